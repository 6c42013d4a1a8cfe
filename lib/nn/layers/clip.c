/*
 * clip.c - element-wise clamp, torch.clamp(x, min, max) / ONNX Clip:
 * `clip name=c min=0 max=6`. Either bound may be omitted (-inf / +inf).
 * y = min(max(x, min), max) (so min > max gives max everywhere, as torch
 * does; NaN stays NaN). The gradient passes where min <= x <= max and is
 * zero elsewhere, as torch.clamp's backward.
 *
 * Attributes: min, max (finite numbers, beyond the float range taken as
 * -FLT_MAX / FLT_MAX; printed back only when given).
 */
#include "nn/layers/layers.h"

#include <float.h>
#include <math.h>

typedef struct clip {
    vn__layer base;
    float lo, hi;
    bool has_lo, has_hi;
} clip;

static vn_status clip_forward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    (void)nin;
    const clip *c = (const clip *)l;
    const float lo = c->lo, hi = c->hi;
    const float *x = vn__cf32(in[0]);
    float *y = vn__f32(out);
    for (size_t i = 0; i < out->numel; i++) {
        float v = x[i];
        v = v < lo ? lo : v;
        y[i] = v > hi ? hi : v;
    }
    return VN_OK;
}

static vn_status clip_backward(vn__layer *l, const vn__run *run, int nin,
                               const vn_tensor *const *in, const vn_tensor *out,
                               const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)out;
    (void)param_grads;
    if (!din[0])
        return VN_OK;
    const clip *c = (const clip *)l;
    const float lo = c->lo, hi = c->hi;
    const float *x = vn__cf32(in[0]), *dy = vn__cf32(dout);
    float *dx = vn__f32(din[0]);
    for (size_t i = 0; i < dout->numel; i++) {
        float v = x[i], g = dy[i];
        dx[i] = (v >= lo && v <= hi) ? g : 0.0f;
    }
    return VN_OK;
}

static void clip_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const clip *c = (const clip *)l;
    if (c->has_lo)
        vn__strbuf_float(sb, "min", c->lo);
    if (c->has_hi)
        vn__strbuf_float(sb, "max", c->hi);
}

static int64_t clip_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)l;
    (void)nin;
    (void)in;
    return 2 * vn__shape_count(out);
}

static const vn__layer_ops clip_ops = {
    .type = "clip",
    .output_shape = vn__layer_same_shape,
    .forward = clip_forward,
    .backward = clip_backward,
    .attrs = clip_attrs,
    .flops = clip_flops,
};

vn_status vn__clip_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    (void)in;
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 1));
    bool has_lo = vn__attrs_get(a, "min") != NULL, has_hi = vn__attrs_get(a, "max") != NULL;
    double lo, hi;
    VN_TRY(vn__attr_float(a, "min", -INFINITY, -DBL_MAX, DBL_MAX, &lo));
    VN_TRY(vn__attr_float(a, "max", INFINITY, -DBL_MAX, DBL_MAX, &hi));
    /* a finite bound past the float range (an exporter's FLT_MAX printed
     * with a few digits) is the largest float */
    if (has_lo)
        lo = fmax(-FLT_MAX, fmin(FLT_MAX, lo));
    if (has_hi)
        hi = fmax(-FLT_MAX, fmin(FLT_MAX, hi));
    clip *c = (clip *)vn__layer_alloc(sizeof *c, &clip_ops, a->who);
    if (!c)
        return VN_ERR_NOMEM;
    c->lo = (float)lo;
    c->hi = (float)hi;
    c->has_lo = has_lo;
    c->has_hi = has_hi;
    *out = &c->base;
    return VN_OK;
}
