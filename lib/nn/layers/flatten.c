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

static vn_status fl_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)l;
    (void)run;
    (void)nin;
    vn__copy(vn__cf32(in[0]), vn__f32(out), (int64_t)out->numel);
    return VN_OK;
}

static vn_status fl_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)l;
    (void)run;
    (void)nin;
    (void)in;
    (void)out;
    (void)param_grads;
    if (din[0])
        vn__copy(vn__cf32(dout), vn__f32(din[0]), (int64_t)dout->numel);
    return VN_OK;
}

static const vn__layer_ops flatten_ops = {
    .type = "flatten",
    .output_shape = fl_shape,
    .forward = fl_forward,
    .backward = fl_backward,
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
