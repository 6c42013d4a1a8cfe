/*
 * sigmoid.c - the logistic function 1 / (1 + exp(-x)), evaluated without
 * overflow for large |x|; dx = dy * y * (1 - y). No attributes.
 */
#include "nn/layers/layers.h"

static const vn__layer_ops sigmoid_ops = {
    .type = "sigmoid",
    .output_shape = vn__layer_same_shape,
    .forward = vn__activation_forward,
    .backward = vn__activation_backward,
    .flops = vn__activation_flops,
};

vn_status vn__sigmoid_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return vn__activation_create(&sigmoid_ops, VN__ACT_SIGMOID, 0.0f, nin, in, a->who, out);
}
