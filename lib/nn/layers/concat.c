/*
 * concat.c - concatenation of two or more inputs along one axis,
 * torch.cat(dim): `concat name=cat inputs=branch1,branch2` (channels, dim
 * 1, by default). The inputs have one rank and the other dimensions must
 * match. Each input's gradient is its slice of the output's.
 *
 * Attribute: dim (1): any axis 1..rank of [N, ...] (the batch is dim 0), a
 * negative one counting from the end as in torch. dim=0, the batch, is
 * refused with VN_ERR_UNSUPPORTED. attrs prints the resolved positive dim.
 *
 * Viewing each input as [outer, chunk] with outer = the product of the dims
 * before `dim` (batch included), output row o is the inputs' rows o side by
 * side.
 */
#include "nn/layers/layers.h"

#include <string.h>

#define CONCAT_MAX_INPUTS 64

typedef struct concat {
    vn__layer base;
    int dim;              /* 1..rank, batch = 0 */
} concat;

static vn_status cat_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 2, CONCAT_MAX_INPUTS));
    const int ax = ((const concat *)l)->dim - 1;   /* per-sample axis */
    *out = in[0];
    for (int i = 1; i < nin; i++) {
        bool fits = in[i].ndim == in[0].ndim && ax < in[0].ndim;
        for (int d = 0; fits && d < in[0].ndim; d++)
            fits = d == ax || in[i].d[d] == in[0].d[d];
        if (!fits) {
            char a[96], b[96];
            return vn__error(VN_ERR_SHAPE,
                             "%s: input %d is %s, input 1 is %s; all but dim %d must match",
                             l->who, i + 1, vn__shape_fmt(&in[i], a, sizeof a),
                             vn__shape_fmt(&in[0], b, sizeof b), ax + 1);
        }
        out->d[ax] += in[i].d[ax];
    }
    return VN_OK;
}

/* Per row of the [outer, ...] view, input i occupies `len[i]` floats
 * starting at `off[i]` of the output's `total`; returns outer. */
static int64_t layout(int dim, int nin, const vn_tensor *const *in, int64_t *len, int64_t *off,
                      int64_t *total)
{
    int64_t outer = 1, t = 0;
    for (int d = 0; d < dim; d++)
        outer *= in[0]->shape[d];
    for (int i = 0; i < nin; i++) {
        len[i] = outer ? (int64_t)in[i]->numel / outer : 0;
        off[i] = t;
        t += len[i];
    }
    *total = t;
    return outer;
}

static vn_status cat_forward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    int64_t len[CONCAT_MAX_INPUTS], off[CONCAT_MAX_INPUTS], total;
    int64_t outer = layout(((const concat *)l)->dim, nin, in, len, off, &total);
    float *y = vn__f32(out);
    for (int64_t s = 0; s < outer; s++)
        for (int i = 0; i < nin; i++)
            memcpy(y + s * total + off[i], vn__cf32(in[i]) + s * len[i],
                   (size_t)len[i] * sizeof(float));
    return VN_OK;
}

static vn_status cat_backward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, const vn_tensor *out,
                              const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)out;
    (void)param_grads;
    int64_t len[CONCAT_MAX_INPUTS], off[CONCAT_MAX_INPUTS], total;
    int64_t outer = layout(((const concat *)l)->dim, nin, in, len, off, &total);
    const float *dy = vn__cf32(dout);
    for (int i = 0; i < nin; i++) {
        if (!din[i])
            continue;
        for (int64_t s = 0; s < outer; s++)
            memcpy(vn__f32(din[i]) + s * len[i], dy + s * total + off[i],
                   (size_t)len[i] * sizeof(float));
    }
    return VN_OK;
}

static void cat_attrs(const vn__layer *l, vn__strbuf *sb)
{
    vn__strbuf_printf(sb, " dim=%d", ((const concat *)l)->dim);
}

static const vn__layer_ops concat_ops = {
    .type = "concat",
    .output_shape = cat_shape,
    .forward = cat_forward,
    .backward = cat_backward,
    .attrs = cat_attrs,
};

vn_status vn__concat_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    int dim;
    VN_TRY(vn__layer_check_inputs(a->who, nin, 2, CONCAT_MAX_INPUTS));
    VN_TRY(vn__layer_read_dim(a, &in[0], &dim));
    concat *c = (concat *)vn__layer_alloc(sizeof *c, &concat_ops, a->who);
    if (!c)
        return VN_ERR_NOMEM;
    c->dim = dim;
    vn__shape os;
    vn_status s = cat_shape(&c->base, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(&c->base);
        return s;
    }
    *out = &c->base;
    return VN_OK;
}
