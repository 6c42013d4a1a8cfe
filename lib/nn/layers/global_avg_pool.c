/*
 * global_avg_pool.c - the mean of each channel: [C, H, W] -> [C, 1, 1],
 * PyTorch nn.AdaptiveAvgPool2d(1) (follow it with flatten or dense, which
 * flattens by itself). No attributes.
 */
#include "nn/layers/layers.h"

static vn_status gap_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(l->who, &in[0]));
    out->ndim = 3;
    out->d[0] = in[0].d[0];
    out->d[1] = 1;
    out->d[2] = 1;
    return VN_OK;
}

static vn_status gap_forward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, vn_tensor *out)
{
    (void)l;
    (void)run;
    (void)nin;
    const vn_tensor *x = in[0];
    vn__adaptive_avg_pool_forward(x->shape[0] * x->shape[1], x->shape[2], x->shape[3], 1, 1,
                                  vn__cf32(x), vn__f32(out));
    return VN_OK;
}

static vn_status gap_backward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, const vn_tensor *out,
                              const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)l;
    (void)run;
    (void)nin;
    (void)out;
    (void)param_grads;
    const vn_tensor *x = in[0];
    if (din[0])
        vn__adaptive_avg_pool_backward(x->shape[0] * x->shape[1], x->shape[2], x->shape[3], 1, 1,
                                       vn__cf32(dout), vn__f32(din[0]));
    return VN_OK;
}

static int64_t gap_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)l;
    (void)nin;
    (void)out;
    return vn__shape_count(&in[0]);
}

static const vn__layer_ops global_avg_pool_ops = {
    .type = "global_avg_pool",
    .output_shape = gap_shape,
    .forward = gap_forward,
    .backward = gap_backward,
    .flops = gap_flops,
};

vn_status vn__global_avg_pool_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    vn__layer *l = vn__layer_alloc(sizeof *l, &global_avg_pool_ops, a->who);
    if (!l)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = gap_shape(l, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(l);
        return s;
    }
    *out = l;
    return VN_OK;
}
