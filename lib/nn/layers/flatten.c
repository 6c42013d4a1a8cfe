/*
 * flatten.c - [N, C, H, W] -> [N, C*H*W], torch.flatten(x, 1): a plain
 * reinterpretation of the NCHW memory (index c*H*W + h*W + w). No
 * attributes. (dense flattens its input by itself; this layer is for
 * graphs that want the flat vector as a node.)
 */
#include "nn/layers/layers.h"

static vn_status fl_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    out->ndim = 1;
    out->d[0] = vn__shape_count(&in[0]);
    return VN_OK;
}

static const vn__layer_ops flatten_ops = {
    .type = "flatten",
    .output_shape = fl_shape,
    .forward = vn__layer_copy_forward,
    .backward = vn__layer_copy_backward,
};

vn_status vn__flatten_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    (void)in;
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 1));
    vn__layer *l = vn__layer_alloc(sizeof *l, &flatten_ops, a->who);
    if (!l)
        return VN_ERR_NOMEM;
    *out = l;
    return VN_OK;
}
