/*
 * leaky_relu.c - y = x for x > 0, slope * x otherwise (PyTorch
 * nn.LeakyReLU; the derivative at 0 is the slope).
 * Attribute: slope (default 0.01, PyTorch's negative_slope).
 */
#include "nn/layers/layers.h"

static void leaky_attrs(const vn__layer *l, vn__strbuf *sb)
{
    vn__strbuf_float(sb, "slope", vn__activation_param(l));
}

static const vn__layer_ops leaky_relu_ops = {
    .type = "leaky_relu",
    .output_shape = vn__layer_same_shape,
    .forward = vn__activation_forward,
    .backward = vn__activation_backward,
    .attrs = leaky_attrs,
    .flops = vn__activation_flops,
};

vn_status vn__leaky_relu_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    double slope;
    VN_TRY(vn__attr_float(a, "slope", 0.01, -1e6, 1e6, &slope));
    return vn__activation_create(&leaky_relu_ops, VN__ACT_LEAKY_RELU, (float)slope, nin, in,
                                 a->who, out);
}
