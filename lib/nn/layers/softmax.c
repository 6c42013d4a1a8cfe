/*
 * softmax.c - the softmax family over one axis of [N, ...] (by default the
 * channel / class axis, dim 1): two layer types that differ only in the
 * kernel's `log` flag.
 *
 * softmax:     PyTorch F.softmax(x, dim), computed as exp(x - max) / sum so
 *              that a large logit cannot overflow; dx = y * (dy - sum(dy * y)).
 * log_softmax: PyTorch F.log_softmax(x, dim) = x - max - log(sum(exp(x -
 *              max))); dx = dy - exp(y) * sum(dy).
 *
 * Both live in this file (an exception to one file per layer type) because
 * every line but the flag would otherwise be written twice.
 *
 * Attribute: dim (1): any axis 1..rank of [N, ...] (the batch is dim 0), a
 * negative one counting from the end as in torch (-1 is the last). dim=0,
 * the batch, is refused with VN_ERR_UNSUPPORTED. attrs prints the resolved
 * positive dim. The tensor is viewed as [outer, dim, inner] for the kernel.
 */
#include "nn/layers/layers.h"

typedef struct softmax {
    vn__layer base;
    int dim;              /* 1..rank, batch = 0 */
} softmax;

static const vn__layer_ops log_softmax_ops;

/* The [outer, mid, inner] view of x around axis dim. */
static void view3(const vn_tensor *x, int dim, int64_t *outer, int64_t *mid, int64_t *inner)
{
    int64_t o = 1, i = 1;
    for (int d = 0; d < dim; d++)
        o *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++)
        i *= x->shape[d];
    *outer = o;
    *mid = x->shape[dim];
    *inner = i;
}

static bool is_log(const vn__layer *l)
{
    return l->ops == &log_softmax_ops;
}

static vn_status sm_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)run;
    (void)nin;
    int64_t outer, mid, inner;
    view3(in[0], ((const softmax *)l)->dim, &outer, &mid, &inner);
    vn__softmax_forward(vn__cf32(in[0]), vn__f32(out), outer, mid, inner, is_log(l));
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
    int64_t outer, mid, inner;
    view3(out, ((const softmax *)l)->dim, &outer, &mid, &inner);
    if (din[0])
        vn__softmax_backward(vn__cf32(out), vn__cf32(dout), vn__f32(din[0]), outer, mid, inner,
                             is_log(l));
    return VN_OK;
}

static void sm_attrs(const vn__layer *l, vn__strbuf *sb)
{
    vn__strbuf_printf(sb, " dim=%d", ((const softmax *)l)->dim);
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
    int dim;
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 1));
    if (in[0].ndim < 1)
        return vn__error(VN_ERR_SHAPE, "%s: needs at least one dimension per sample", a->who);
    VN_TRY(vn__layer_read_dim(a, &in[0], &dim));
    softmax *l = (softmax *)vn__layer_alloc(sizeof *l, ops, a->who);
    if (!l)
        return VN_ERR_NOMEM;
    l->dim = dim;
    *out = &l->base;
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

vn_status vn__layer_read_dim(vn__attrs *a, const vn__shape *in, int *dim)
{
    int64_t d;
    const int rank = in->ndim;   /* per sample; the tensor adds the batch as dim 0 */
    VN_TRY(vn__attr_int(a, "dim", false, 1, -VN_MAX_DIMS, VN_MAX_DIMS, &d));
    if (d == 0)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "%s: dim=0 is the batch; dims 1..%d (or -%d..-1) of the input are "
                         "supported",
                         a->who, rank, rank);
    int64_t r = d < 0 ? d + rank + 1 : d;
    if (r == 0)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "%s: dim=%lld is dim=0, the batch; dims 1..%d (or -%d..-1) of the input "
                         "are supported",
                         a->who, (long long)d, rank, rank);
    if (r < 0 || r > rank) {
        char b[96];
        return vn__error(VN_ERR_SHAPE,
                         "%s: dim=%lld is outside input %s, whose dims are 1..%d (or -%d..-1; "
                         "the batch is dim 0)",
                         a->who, (long long)d, vn__shape_fmt(in, b, sizeof b), rank, rank);
    }
    *dim = (int)r;
    return VN_OK;
}
