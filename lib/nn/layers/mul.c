/*
 * mul.c - element-wise a * b, torch.mul of exactly two inputs:
 * `mul name=y inputs=a,b`. No attributes.
 *
 * The inputs broadcast numpy-style (right-aligned; each dim equal or 1;
 * missing leading dims count as 1) and the output has the broadcast shape.
 * Gradients: d/da = dy * b, d/db = dy * a, each summed over the dims
 * along which its input was broadcast. The shape rule, forward and
 * backward are the common binary layer's (add.c) with the kernel's
 * VN__BIN_MUL.
 */
#include "nn/layers/layers.h"

static const vn__layer_ops mul_ops = {
    .type = "mul",
    .output_shape = vn__binary_shape,
    .forward = vn__binary_forward,
    .backward = vn__binary_backward,
    .flops = vn__binary_flops,
};

vn_status vn__mul_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return vn__binary_create(&mul_ops, VN__BIN_MUL, a, nin, in, out);
}
