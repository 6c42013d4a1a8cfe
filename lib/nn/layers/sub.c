/*
 * sub.c - element-wise a - b, torch.sub of exactly two inputs:
 * `sub name=y inputs=a,b`. No attributes.
 *
 * The inputs broadcast numpy-style (right-aligned; each dim equal or 1;
 * missing leading dims count as 1) and the output has the broadcast shape.
 * Gradients: d/da = dy, d/db = -dy, each summed over the dims
 * along which its input was broadcast. The shape rule, forward and
 * backward are the common binary layer's (add.c) with the kernel's
 * VN__BIN_SUB.
 */
#include "nn/layers/layers.h"

static const vn__layer_ops sub_ops = {
    .type = "sub",
    .output_shape = vn__binary_shape,
    .forward = vn__binary_forward,
    .backward = vn__binary_backward,
    .flops = vn__binary_flops,
};

vn_status vn__sub_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return vn__binary_create(&sub_ops, VN__BIN_SUB, a, nin, in, out);
}
