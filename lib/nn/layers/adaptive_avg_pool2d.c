/*
 * adaptive_avg_pool2d.c - PyTorch nn.AdaptiveAvgPool2d: output (i, j)
 * averages input rows floor(i*H/oh) .. ceil((i+1)*H/oh)-1 and the columns
 * likewise, so any input size maps onto the requested output size.
 *
 * Attribute: out (output size "oh,ow" or one number for both, required).
 */
#include "nn/layers/layers.h"

typedef struct adaptive {
    vn__layer base;
    int size[2];
} adaptive;

static vn_status ad_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const adaptive *p = (const adaptive *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(l->who, &in[0]));
    out->ndim = 3;
    out->d[0] = in[0].d[0];
    out->d[1] = p->size[0];
    out->d[2] = p->size[1];
    return VN_OK;
}

static vn_status ad_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)l;
    (void)run;
    (void)nin;
    const vn_tensor *x = in[0];
    vn__adaptive_avg_pool_forward(x->shape[0] * x->shape[1], x->shape[2], x->shape[3],
                                  out->shape[2], out->shape[3], vn__cf32(x), vn__f32(out));
    return VN_OK;
}

static vn_status ad_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)l;
    (void)run;
    (void)nin;
    (void)param_grads;
    const vn_tensor *x = in[0];
    if (din[0])
        vn__adaptive_avg_pool_backward(x->shape[0] * x->shape[1], x->shape[2], x->shape[3],
                                       out->shape[2], out->shape[3], vn__cf32(dout),
                                       vn__f32(din[0]));
    return VN_OK;
}

static void ad_attrs(const vn__layer *l, vn__strbuf *sb)
{
    vn__strbuf_pair(sb, "out", ((const adaptive *)l)->size);
}

static int64_t ad_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)l;
    (void)nin;
    (void)out;
    return vn__shape_count(&in[0]);
}

static const vn__layer_ops adaptive_avg_pool2d_ops = {
    .type = "adaptive_avg_pool2d",
    .output_shape = ad_shape,
    .forward = ad_forward,
    .backward = ad_backward,
    .attrs = ad_attrs,
    .flops = ad_flops,
};

vn_status vn__adaptive_avg_pool2d_create(vn__attrs *a, int nin, const vn__shape *in,
                                         vn__layer **out)
{
    adaptive *p = (adaptive *)vn__layer_alloc(sizeof *p, &adaptive_avg_pool2d_ops, a->who);
    if (!p)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = vn__attr_pair(a, "out", true, 0, 1, 1 << 16, p->size);
    if (s == VN_OK)
        s = ad_shape(&p->base, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(&p->base);
        return s;
    }
    *out = &p->base;
    return VN_OK;
}
