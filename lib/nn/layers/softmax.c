/*
 * softmax.c - the softmax family over the channel / class axis (dim 1 of
 * [N, C, ...]): two layer types that differ only in the kernel's `log` flag.
 *
 * softmax:     PyTorch F.softmax(x, dim=1), computed as exp(x - max) / sum so
 *              that a large logit cannot overflow; dx = y * (dy - sum(dy * y)).
 * log_softmax: PyTorch F.log_softmax(x, dim=1) = x - max - log(sum(exp(x -
 *              max))); dx = dy - exp(y) * sum(dy).
 *
 * Both live in this file (an exception to one file per layer type) because
 * every line but the flag would otherwise be written twice.
 *
 * Attribute: dim (1; other axes are refused with VN_ERR_UNSUPPORTED).
 */
#include "nn/layers/layers.h"

static const vn__layer_ops log_softmax_ops;

static bool is_log(const vn__layer *l)
{
    return l->ops == &log_softmax_ops;
}

static vn_status sm_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)run;
    (void)nin;
    const vn_tensor *x = in[0];
    int64_t n = x->shape[0], c = x->shape[1];
    int64_t inner = (n * c != 0) ? (int64_t)x->numel / (n * c) : 0;
    vn__softmax_forward(vn__cf32(x), vn__f32(out), n, c, inner, is_log(l));
    return VN_OK;
}

static vn_status sm_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)in;
    (void)param_grads;
    int64_t n = out->shape[0], c = out->shape[1];
    if (din[0])
        vn__softmax_backward(vn__cf32(out), vn__cf32(dout), vn__f32(din[0]), n, c,
                             (n * c != 0) ? (int64_t)out->numel / (n * c) : 0, is_log(l));
    return VN_OK;
}

static void sm_attrs(const vn__layer *l, vn__strbuf *sb)
{
    (void)l;
    vn__strbuf_printf(sb, " dim=1");
}

static int64_t sm_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)l;
    (void)nin;
    (void)in;
    return 5 * vn__shape_count(out);
}

static const vn__layer_ops softmax_ops = {
    .type = "softmax",
    .output_shape = vn__layer_same_shape,
    .forward = sm_forward,
    .backward = sm_backward,
    .attrs = sm_attrs,
    .flops = sm_flops,
};

static const vn__layer_ops log_softmax_ops = {
    .type = "log_softmax",
    .output_shape = vn__layer_same_shape,
    .forward = sm_forward,
    .backward = sm_backward,
    .attrs = sm_attrs,
    .flops = sm_flops,
};

static vn_status create(const vn__layer_ops *ops, vn__attrs *a, int nin, const vn__shape *in,
                        vn__layer **out)
{
    int64_t dim;
    VN_TRY(vn__attr_int(a, "dim", false, 1, -8, 8, &dim));
    if (dim != 1)
        return vn__error(VN_ERR_UNSUPPORTED, "%s: only dim=1 (channels / classes) is supported",
                         a->who);
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 1));
    if (in[0].ndim < 1)
        return vn__error(VN_ERR_SHAPE, "%s: needs at least one dimension per sample", a->who);
    vn__layer *l = vn__layer_alloc(sizeof *l, ops, a->who);
    if (!l)
        return VN_ERR_NOMEM;
    *out = l;
    return VN_OK;
}

vn_status vn__softmax_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return create(&softmax_ops, a, nin, in, out);
}

vn_status vn__log_softmax_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return create(&log_softmax_ops, a, nin, in, out);
}
