/*
 * div.c - element-wise a / b of exactly two inputs, torch.div (true
 * division; b = 0 gives inf / nan as IEEE does):
 * `div name=y inputs=a,b`. No attributes.
 *
 * The inputs broadcast numpy-style (right-aligned; each dim equal or 1;
 * missing leading dims count as 1) and the output has the broadcast shape.
 * Gradients: d/da = dy / b, d/db = -dy * a / b^2, each summed over the
 * dims along which its input was broadcast. The shape rule, forward and
 * backward are the common binary layer's (add.c) with the kernel's
 * VN__BIN_DIV.
 */
#include "nn/layers/layers.h"

static const vn__layer_ops div_ops = {
    .type = "div",
    .output_shape = vn__binary_shape,
    .forward = vn__binary_forward,
    .backward = vn__binary_backward,
    .flops = vn__binary_flops,
};

vn_status vn__div_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return vn__binary_create(&div_ops, VN__BIN_DIV, a, nin, in, out);
}
