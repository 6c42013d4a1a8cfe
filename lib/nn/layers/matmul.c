/*
 * matmul.c - matrix products in two forms.
 *
 * (a) One input, a trainable weight: `matmul name=fc out=M bias=1` applies
 *     weight [K, M] (ONNX / numpy layout, NOT transposed as dense's is) and
 *     an optional bias [M] to the last per-sample dim: (..., K) -> (..., M),
 *     y = x W + b (ONNX MatMul with an initialiser, then Add). Initialised
 *     like dense / nn.Linear: weight and bias from U(-1/sqrt(K), 1/sqrt(K)).
 *     Attributes: out (required), bias (1).
 * (b) Two inputs, no attributes: `matmul name=y inputs=a,b` is numpy.matmul
 *     per sample: a (..., M, K) times b (..., K, P) -> (..., M, P), the
 *     leading dims broadcasting numpy-style (lib/kernels/broadcast.c). A
 *     rank-1 operand is handled as numpy does (a [K] is [1, K], b [K] is
 *     [K, 1], and that dim is dropped from the output); both rank 1 (a
 *     per-sample scalar) is refused with VN_ERR_SHAPE.
 *
 * Gradients: (a) dx = dy W^T, dW += x^T dy, db += column sums of dy;
 * (b) da = dy b^T and db = a^T dy, summed over broadcast leading dims.
 */
#include "nn/layers/layers.h"

#include <math.h>

typedef struct matmul {
    vn__layer base;
    int nin;              /* 1: form (a), 2: form (b) */
    int64_t out;          /* (a): M */
    bool bias;
} matmul;

/* Form (b)'s geometry. */
typedef struct mm_geom {
    int nyb, nab, nbb;
    int64_t yb[VN_MAX_DIMS], ab[VN_MAX_DIMS], bb[VN_MAX_DIMS];
    int64_t m, k, q;
} mm_geom;

static vn_status geom_of(const char *who, const vn__shape *a, const vn__shape *b, mm_geom *g,
                         vn__shape *out)
{
    char x[96], y[96];
    if (a->ndim == 1 && b->ndim == 1)
        return vn__error(VN_ERR_SHAPE,
                         "%s: inputs %s and %s are both vectors; their product per sample would "
                         "be a scalar (use mul and a reduction)",
                         who, vn__shape_fmt(a, x, sizeof x), vn__shape_fmt(b, y, sizeof y));
    /* rank-1 operands as numpy: a [K] -> [1, K], b [K] -> [K, 1] */
    g->nab = a->ndim >= 2 ? a->ndim - 2 : 0;
    g->nbb = b->ndim >= 2 ? b->ndim - 2 : 0;
    g->m = a->ndim >= 2 ? a->d[a->ndim - 2] : 1;
    g->k = a->d[a->ndim - 1];
    int64_t kb = b->ndim >= 2 ? b->d[b->ndim - 2] : b->d[0];
    g->q = b->ndim >= 2 ? b->d[b->ndim - 1] : 1;
    if (kb != g->k)
        return vn__error(VN_ERR_SHAPE,
                         "%s: input 1 is %s, input 2 is %s; the inner dims %lld and %lld differ",
                         who, vn__shape_fmt(a, x, sizeof x), vn__shape_fmt(b, y, sizeof y),
                         (long long)g->k, (long long)kb);
    for (int d = 0; d < g->nab; d++)
        g->ab[d] = a->d[d];
    for (int d = 0; d < g->nbb; d++)
        g->bb[d] = b->d[d];
    if (!vn__bcast_shape(g->nab, g->ab, g->nbb, g->bb, &g->nyb, g->yb))
        return vn__error(VN_ERR_SHAPE,
                         "%s: input 1 is %s, input 2 is %s; their leading dims do not broadcast "
                         "(aligned from the right, each equal or 1)",
                         who, vn__shape_fmt(a, x, sizeof x), vn__shape_fmt(b, y, sizeof y));
    out->ndim = g->nyb;
    for (int d = 0; d < g->nyb; d++)
        out->d[d] = g->yb[d];
    if (a->ndim >= 2)
        out->d[out->ndim++] = g->m;
    if (b->ndim >= 2)
        out->d[out->ndim++] = g->q;
    if (out->ndim > VN_MAX_DIMS - 1)
        return vn__error(VN_ERR_SHAPE, "%s: the product has more than %d dims per sample", who,
                         VN_MAX_DIMS - 1);
    return VN_OK;
}

static vn__shape sample_shape(const vn_tensor *t)
{
    vn__shape s = {.ndim = t->ndim - 1};
    for (int d = 1; d < t->ndim; d++)
        s.d[d - 1] = t->shape[d];
    return s;
}

static vn_status mm_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const matmul *m = (const matmul *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, m->nin, m->nin));
    if (nin == 2) {
        mm_geom g;
        return geom_of(l->who, &in[0], &in[1], &g, out);
    }
    int64_t k = l->params[0].value->shape[0];
    if (in[0].ndim < 1 || in[0].d[in[0].ndim - 1] != k) {
        char b[96];
        return vn__error(VN_ERR_SHAPE, "%s: input %s must end in %lld (the weight's rows)",
                         l->who, vn__shape_fmt(&in[0], b, sizeof b), (long long)k);
    }
    *out = in[0];
    out->d[out->ndim - 1] = m->out;
    return VN_OK;
}

static vn_status mm_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)run;
    const matmul *m = (const matmul *)l;
    if (nin == 2) {
        mm_geom g;
        vn__shape a = sample_shape(in[0]), b = sample_shape(in[1]), o;
        VN_TRY(geom_of(l->who, &a, &b, &g, &o));
        vn__bcast_matmul_forward(out->shape[0], g.nyb, g.yb, g.nab, g.ab, g.nbb, g.bb, g.m, g.k,
                                 g.q, vn__cf32(in[0]), vn__cf32(in[1]), vn__f32(out));
        return VN_OK;
    }
    int64_t k = l->params[0].value->shape[0], rows = (int64_t)in[0]->numel / k;
    vn__sgemm(false, false, rows, m->out, k, 1.0f, vn__cf32(in[0]), k,
              vn__cf32(l->params[0].value), m->out, 0.0f, vn__f32(out), m->out);
    if (m->bias)
        vn__add_bias(vn__f32(out), rows, m->out, 1, vn__cf32(l->params[1].value));
    return VN_OK;
}

static vn_status mm_backward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                             const vn_tensor *out, const vn_tensor *dout, vn_tensor *const *din,
                             bool param_grads)
{
    (void)run;
    const matmul *m = (const matmul *)l;
    if (nin == 2) {
        if (!din[0] && !din[1])
            return VN_OK;
        mm_geom g;
        vn__shape a = sample_shape(in[0]), b = sample_shape(in[1]), o;
        VN_TRY(geom_of(l->who, &a, &b, &g, &o));
        vn__bcast_matmul_backward(out->shape[0], g.nyb, g.yb, g.nab, g.ab, g.nbb, g.bb, g.m, g.k,
                                  g.q, vn__cf32(in[0]), vn__cf32(in[1]), vn__cf32(dout),
                                  din[0] ? vn__f32(din[0]) : NULL,
                                  din[1] ? vn__f32(din[1]) : NULL);
        return VN_OK;
    }
    int64_t k = l->params[0].value->shape[0], rows = (int64_t)in[0]->numel / k;
    if (din[0])
        vn__sgemm(false, true, rows, k, m->out, 1.0f, vn__cf32(dout), m->out,
                  vn__cf32(l->params[0].value), m->out, 0.0f, vn__f32(din[0]), k);
    if (param_grads) {
        vn__sgemm(true, false, k, m->out, rows, 1.0f, vn__cf32(in[0]), k, vn__cf32(dout), m->out,
                  1.0f, vn__f32(l->params[0].grad), m->out);
        if (m->bias)
            vn__sum_outer_inner(vn__cf32(dout), rows, m->out, 1, vn__f32(l->params[1].grad));
    }
    return VN_OK;
}

static void mm_init(vn__layer *l, vn_rng *rng)
{
    if (l->nparams == 0)
        return;
    float bound = 1.0f / sqrtf((float)l->params[0].value->shape[0]);
    for (int i = 0; i < l->nparams; i++)
        vn__fill_uniform(l->params[i].value, rng, bound);
}

static void mm_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const matmul *m = (const matmul *)l;
    if (m->nin == 1)
        vn__strbuf_printf(sb, " out=%lld bias=%d", (long long)m->out, m->bias ? 1 : 0);
}

static int64_t mm_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    const matmul *m = (const matmul *)l;
    if (nin == 2) {
        mm_geom g;
        vn__shape o;
        if (geom_of(l->who, &in[0], &in[1], &g, &o) != VN_OK)
            return 0;
        return 2 * g.k * vn__shape_count(out);
    }
    int64_t k = l->params[0].value->shape[0];
    return 2 * k * vn__shape_count(out) + (m->bias ? vn__shape_count(out) : 0);
}

static const vn__layer_ops matmul_ops = {
    .type = "matmul",
    .output_shape = mm_shape,
    .forward = mm_forward,
    .backward = mm_backward,
    .init = mm_init,
    .attrs = mm_attrs,
    .flops = mm_flops,
};

vn_status vn__matmul_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 2));
    matmul *m = (matmul *)vn__layer_alloc(sizeof *m, &matmul_ops, a->who);
    if (!m)
        return VN_ERR_NOMEM;
    m->nin = nin;
    vn_status s = VN_OK;
    if (nin == 1) {
        /* out / bias are only read here, so form (b) refuses them as unknown */
        s = vn__attr_int(a, "out", true, 0, 1, 1 << 24, &m->out);
        if (s == VN_OK)
            s = vn__attr_bool(a, "bias", true, &m->bias);
        if (s == VN_OK && in[0].ndim < 1)
            s = vn__error(VN_ERR_SHAPE, "%s: needs at least one dimension per sample", a->who);
        if (s == VN_OK) {
            int64_t ws[2] = {in[0].d[in[0].ndim - 1], m->out};
            s = vn__layer_add_param(&m->base, "weight", 2, ws, false);
        }
        if (s == VN_OK && m->bias) {
            int64_t bs[1] = {m->out};
            s = vn__layer_add_param(&m->base, "bias", 1, bs, false);
        }
    }
    vn__shape os;
    if (s == VN_OK)
        s = mm_shape(&m->base, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(&m->base);
        return s;
    }
    *out = &m->base;
    return VN_OK;
}
