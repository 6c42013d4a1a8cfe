/*
 * tanh.c - hyperbolic tangent; dx = dy * (1 - y^2). No attributes.
 */
#include "nn/layers/layers.h"

static const vn__layer_ops tanh_ops = {
    .type = "tanh",
    .output_shape = vn__layer_same_shape,
    .forward = vn__activation_forward,
    .backward = vn__activation_backward,
    .flops = vn__activation_flops,
};

vn_status vn__tanh_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return vn__activation_create(&tanh_ops, VN__ACT_TANH, 0.0f, nin, in, a->who, out);
}
