/*
 * concat.c - concatenation of two or more inputs along the channel axis
 * (dim 1 of [N, C, ...]), torch.cat(dim=1): `concat name=cat
 * inputs=branch1,branch2`. The other dimensions must match. Each input's
 * gradient is its slice of the output's.
 *
 * Attribute: dim (1; other axes are refused with VN_ERR_UNSUPPORTED).
 */
#include "nn/layers/layers.h"

#include <string.h>

#define CONCAT_MAX_INPUTS 64

static vn_status cat_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 2, CONCAT_MAX_INPUTS));
    *out = in[0];
    for (int i = 1; i < nin; i++) {
        bool fits = in[i].ndim == in[0].ndim && in[0].ndim >= 1;
        for (int d = 1; fits && d < in[0].ndim; d++)
            fits = in[i].d[d] == in[0].d[d];
        if (!fits) {
            char a[96], b[96];
            return vn__error(VN_ERR_SHAPE,
                             "%s: input %d is %s, input 1 is %s; all but the channels must match",
                             l->who, i + 1, vn__shape_fmt(&in[i], a, sizeof a),
                             vn__shape_fmt(&in[0], b, sizeof b));
        }
        out->d[0] += in[i].d[0];
    }
    return VN_OK;
}

/* Per sample, input i occupies `len[i]` floats starting at `off[i]` of the
 * output's `total`. */
static void layout(int nin, const vn_tensor *const *in, int64_t *len, int64_t *off, int64_t *total)
{
    int64_t n = in[0]->shape[0], t = 0;
    for (int i = 0; i < nin; i++) {
        len[i] = n ? (int64_t)in[i]->numel / n : 0;
        off[i] = t;
        t += len[i];
    }
    *total = t;
}

static vn_status cat_forward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, vn_tensor *out)
{
    (void)l;
    (void)run;
    int64_t len[CONCAT_MAX_INPUTS], off[CONCAT_MAX_INPUTS], total;
    layout(nin, in, len, off, &total);
    float *y = vn__f32(out);
    for (int64_t s = 0; s < out->shape[0]; s++)
        for (int i = 0; i < nin; i++)
            memcpy(y + s * total + off[i], vn__cf32(in[i]) + s * len[i],
                   (size_t)len[i] * sizeof(float));
    return VN_OK;
}

static vn_status cat_backward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, const vn_tensor *out,
                              const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)l;
    (void)run;
    (void)param_grads;
    int64_t len[CONCAT_MAX_INPUTS], off[CONCAT_MAX_INPUTS], total;
    layout(nin, in, len, off, &total);
    const float *dy = vn__cf32(dout);
    for (int i = 0; i < nin; i++) {
        if (!din[i])
            continue;
        for (int64_t s = 0; s < out->shape[0]; s++)
            memcpy(vn__f32(din[i]) + s * len[i], dy + s * total + off[i],
                   (size_t)len[i] * sizeof(float));
    }
    return VN_OK;
}

static void cat_attrs(const vn__layer *l, vn__strbuf *sb)
{
    (void)l;
    vn__strbuf_printf(sb, " dim=1");
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
    int64_t dim;
    VN_TRY(vn__attr_int(a, "dim", false, 1, -8, 8, &dim));
    if (dim != 1)
        return vn__error(VN_ERR_UNSUPPORTED, "%s: only dim=1 (channels) is supported", a->who);
    vn__layer *l = vn__layer_alloc(sizeof *l, &concat_ops, a->who);
    if (!l)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = cat_shape(l, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(l);
        return s;
    }
    *out = l;
    return VN_OK;
}
