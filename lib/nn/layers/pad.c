/*
 * pad.c - padding and cropping of each sample, ONNX Pad / PyTorch F.pad:
 * constant (value), reflect (x[-1] = x[1]) or edge (x[-1] = x[0]), any
 * per-sample rank.
 *
 * Attributes: pads (required; ONNX order, all the begins then all the ends
 * over the per-sample dims: "b1,b2,...,e1,e2,..." with 2 x rank numbers; a
 * negative entry crops), mode (constant | reflect | edge; constant),
 * value (0; the constant). reflect needs every pad smaller than its dim.
 * Output dim i = d_i + b_i + e_i, which must stay at least 1.
 *
 * The backward adds the gradient of every reflected / edge copy back onto
 * the element it copied; the constant gets none. The per-axis index maps
 * are worked out when the layer is built (lib/kernels/pad.c).
 */
#include "nn/layers/layers.h"

#include <string.h>

static const char *const modes[] = {"constant", "reflect", "edge", NULL};

#define PAD_MAX_RANK (VN_MAX_DIMS - 1)

typedef struct pad_layer {
    vn__layer base;
    int rank;
    int64_t pads[2 * PAD_MAX_RANK];
    int mode;
    float value;
    vn__shape in, out;              /* the shapes the maps were built for */
    int64_t *maps;                  /* sum of out dims: one map per axis */
} pad_layer;

static vn_status pad_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const pad_layer *p = (const pad_layer *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    char b[96];
    if (in[0].ndim != p->rank)
        return vn__error(VN_ERR_SHAPE, "%s: pads has %d numbers for an input of rank %d %s; "
                         "it needs 2 x rank (all begins, then all ends)",
                         l->who, 2 * p->rank, in[0].ndim, vn__shape_fmt(&in[0], b, sizeof b));
    out->ndim = p->rank;
    for (int a = 0; a < p->rank; a++) {
        int64_t d = in[0].d[a], lo = p->pads[a], hi = p->pads[p->rank + a];
        if (p->mode == VN__PAD_REFLECT && (lo >= d || hi >= d))
            return vn__error(VN_ERR_SHAPE,
                             "%s: reflect padding %lld,%lld of dim %d needs pads smaller than "
                             "its size %lld",
                             l->who, (long long)lo, (long long)hi, a + 1, (long long)d);
        out->d[a] = d + lo + hi;
        if (out->d[a] < 1)
            return vn__error(VN_ERR_SHAPE, "%s: pads %lld,%lld leave nothing of dim %d (size %lld)",
                             l->who, (long long)lo, (long long)hi, a + 1, (long long)d);
    }
    return VN_OK;
}

static void geometry(const pad_layer *p, int64_t outer, vn__pad_geom *g)
{
    memset(g, 0, sizeof *g);
    g->outer = outer;
    g->ndim = p->rank;
    g->value = p->value;
    const int64_t *m = p->maps;
    for (int a = 0; a < p->rank; a++) {
        g->in[a] = p->in.d[a];
        g->out[a] = p->out.d[a];
        g->map[a] = m;
        m += p->out.d[a];
    }
}

/* The tensor's per-sample shape must be the one the layer was built for. */
static vn_status check_input(const pad_layer *p, const vn_tensor *x)
{
    bool ok = x->ndim == p->rank + 1;
    for (int a = 0; ok && a < p->rank; a++)
        ok = x->shape[a + 1] == p->in.d[a];
    if (!ok) {
        char b[96];
        return vn__error(VN_ERR_SHAPE, "%s: input per sample is not %s", p->base.who,
                         vn__shape_fmt(&p->in, b, sizeof b));
    }
    return VN_OK;
}

static vn_status pad_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                             vn_tensor *out)
{
    (void)run;
    (void)nin;
    const pad_layer *p = (const pad_layer *)l;
    VN_TRY(check_input(p, in[0]));
    vn__pad_geom g;
    geometry(p, in[0]->shape[0], &g);
    vn__pad_forward(&g, vn__cf32(in[0]), vn__f32(out));
    return VN_OK;
}

static vn_status pad_backward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, const vn_tensor *out,
                              const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)out;
    (void)param_grads;
    const pad_layer *p = (const pad_layer *)l;
    if (!din[0])
        return VN_OK;
    VN_TRY(check_input(p, in[0]));
    vn__pad_geom g;
    geometry(p, in[0]->shape[0], &g);
    vn__pad_backward(&g, vn__cf32(dout), vn__f32(din[0]));
    return VN_OK;
}

static void pad_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const pad_layer *p = (const pad_layer *)l;
    vn__strbuf_printf(sb, " pads=");
    for (int i = 0; i < 2 * p->rank; i++)
        vn__strbuf_printf(sb, "%s%lld", i ? "," : "", (long long)p->pads[i]);
    vn__strbuf_printf(sb, " mode=%s", modes[p->mode]);
    vn__strbuf_float(sb, "value", p->value);
}

static void pad_destroy(vn__layer *l)
{
    vn__free(((pad_layer *)l)->maps);
}

static const vn__layer_ops pad_ops = {
    .type = "pad",
    .output_shape = pad_shape,
    .forward = pad_forward,
    .backward = pad_backward,
    .attrs = pad_attrs,
    .destroy = pad_destroy,
};

static vn_status pad_read(pad_layer *p, vn__attrs *a, int nin, const vn__shape *in)
{
    int count = 0;
    double value = 0.0;
    VN_TRY(vn__attr_int_list(a, "pads", 2 * PAD_MAX_RANK, -(1 << 24), 1 << 24, p->pads, &count));
    if (count == 0)
        return vn__error(VN_ERR_INVALID_ARG,
                         "%s: needs pads=b1,...,e1,... (all begins, then all ends)", a->who);
    if (count % 2 != 0)
        return vn__error(VN_ERR_INVALID_ARG,
                         "%s: pads has %d numbers; it needs an even count, 2 x the per-sample "
                         "rank (all begins, then all ends)",
                         a->who, count);
    p->rank = count / 2;
    VN_TRY(vn__attr_choice(a, "mode", modes, 0, &p->mode));
    VN_TRY(vn__attr_float(a, "value", 0.0, -3.4e38, 3.4e38, &value));
    p->value = (float)value;
    VN_TRY(pad_shape(&p->base, nin, in, &p->out));
    p->in = in[0];
    int64_t total = 0;
    for (int ax = 0; ax < p->rank; ax++)
        total += p->out.d[ax];
    p->maps = vn__malloc((size_t)total * sizeof(int64_t));
    if (!p->maps)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", a->who);
    int64_t *m = p->maps;
    for (int ax = 0; ax < p->rank; ax++) {
        vn__pad_map((vn__pad_mode)p->mode, p->in.d[ax], p->out.d[ax], p->pads[ax], m);
        m += p->out.d[ax];
    }
    return VN_OK;
}

vn_status vn__pad_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    pad_layer *p = (pad_layer *)vn__layer_alloc(sizeof *p, &pad_ops, a->who);
    if (!p)
        return VN_ERR_NOMEM;
    vn_status s = pad_read(p, a, nin, in);
    if (s != VN_OK) {
        vn__layer_destroy(&p->base);
        return s;
    }
    *out = &p->base;
    return VN_OK;
}
