/*
 * relu.c - ReLU, y = max(x, 0); its derivative is taken as 0 at x == 0
 * (PyTorch's convention). No attributes.
 */
#include "nn/layers/layers.h"

static const vn__layer_ops relu_ops = {
    .type = "relu",
    .output_shape = vn__layer_same_shape,
    .forward = vn__activation_forward,
    .backward = vn__activation_backward,
    .flops = vn__activation_flops,
};

vn_status vn__relu_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return vn__activation_create(&relu_ops, VN__ACT_RELU, 0.0f, nin, in, a->who, out);
}
