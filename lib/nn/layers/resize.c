/*
 * resize.c - resizing of images [C, H, W] to a given size, ONNX Resize-13
 * (opset 13..17) with mode nearest or linear (bilinear); PyTorch's
 * F.interpolate is the modes it has: nearest = coord=asymmetric
 * nearest=floor, bilinear align_corners=False = half_pixel (or
 * pytorch_half_pixel), align_corners=True = align_corners.
 *
 * Attributes: size (required, "H,W" or one number for both), mode
 * (nearest | linear; nearest), coord (half_pixel | pytorch_half_pixel |
 * align_corners | asymmetric | tf_half_pixel_for_nn; half_pixel), nearest
 * (round_prefer_floor | round_prefer_ceil | floor | ceil;
 * round_prefer_floor; used by mode=nearest), scale (optional "sh,sw" or one
 * number: the scales the coordinate transform divides by, as ONNX does when
 * a model gives scales rather than sizes; default size / input size).
 *
 * The formulas are in lib/kernels/resize.c. The backward scatters the
 * output gradient back with the interpolation weights (nearest: onto the
 * pixel each output copied).
 */
#include "nn/layers/layers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const modes[] = {"nearest", "linear", NULL};
static const char *const coords[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                     "asymmetric", "tf_half_pixel_for_nn", NULL};
static const char *const rounds[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                     NULL};

typedef struct resize_layer {
    vn__layer base;
    int size[2];
    int mode, coord, round;
    bool has_scale;
    double scale[2];
    int64_t in_h, in_w;            /* the input the taps were built for */
    vn__resize_tap *taps;          /* size[0] row taps, then size[1] column taps */
} resize_layer;

static vn_status rs_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const resize_layer *r = (const resize_layer *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(l->who, &in[0]));
    out->ndim = 3;
    out->d[0] = in[0].d[0];
    out->d[1] = r->size[0];
    out->d[2] = r->size[1];
    return VN_OK;
}

static vn_status geometry(const resize_layer *r, const vn_tensor *x, vn__resize_geom *g)
{
    if (x->ndim != 4 || x->shape[2] != r->in_h || x->shape[3] != r->in_w)
        return vn__error(VN_ERR_SHAPE, "%s: input is not [N, C, %lld, %lld]", r->base.who,
                         (long long)r->in_h, (long long)r->in_w);
    g->planes = x->shape[0] * x->shape[1];
    g->h = r->in_h;
    g->w = r->in_w;
    g->oh = r->size[0];
    g->ow = r->size[1];
    g->nearest = r->mode == 0;
    g->th = r->taps;
    g->tw = r->taps + r->size[0];
    return VN_OK;
}

static vn_status rs_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)run;
    (void)nin;
    vn__resize_geom g;
    VN_TRY(geometry((const resize_layer *)l, in[0], &g));
    vn__resize_forward(&g, vn__cf32(in[0]), vn__f32(out));
    return VN_OK;
}

static vn_status rs_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)out;
    (void)param_grads;
    if (!din[0])
        return VN_OK;
    vn__resize_geom g;
    VN_TRY(geometry((const resize_layer *)l, in[0], &g));
    vn__resize_backward(&g, vn__cf32(dout), vn__f32(din[0]));
    return VN_OK;
}

static void rs_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const resize_layer *r = (const resize_layer *)l;
    vn__strbuf_printf(sb, " size=%d,%d mode=%s coord=%s nearest=%s", r->size[0], r->size[1],
                      modes[r->mode], coords[r->coord], rounds[r->round]);
    if (r->has_scale) {
        char a[40], b[40];
        vn__strbuf_printf(sb, " scale=%s,%s", vn__format_float(a, sizeof a, (float)r->scale[0]),
                          vn__format_float(b, sizeof b, (float)r->scale[1]));
    }
}

static int64_t rs_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)nin;
    (void)in;
    return (((const resize_layer *)l)->mode == 1 ? 6 : 0) * vn__shape_count(out);
}

static void rs_destroy(vn__layer *l)
{
    vn__free(((resize_layer *)l)->taps);
}

static const vn__layer_ops resize_ops = {
    .type = "resize",
    .output_shape = rs_shape,
    .forward = rs_forward,
    .backward = rs_backward,
    .attrs = rs_attrs,
    .flops = rs_flops,
    .destroy = rs_destroy,
};

/* scale=s or scale=sh,sw: positive finite numbers. */
static vn_status read_scale(resize_layer *r, vn__attrs *a)
{
    const char *v = vn__attrs_get(a, "scale");
    if (!v)
        return VN_OK;
    const char *s = v;
    int n = 0;
    for (;;) {
        errno = 0;
        char *e;
        double x = strtod(s, &e);
        if (e == s || errno == ERANGE || !isfinite(x) || !(x > 0.0) || n == 2 ||
            (*e && *e != ','))
            return vn__error(VN_ERR_INVALID_ARG,
                             "%s: attribute 'scale=%s': expected one or two positive numbers "
                             "(sh,sw)",
                             a->who, v);
        r->scale[n++] = (double)(float)x;   /* ONNX scales are floats */
        if (!*e)
            break;
        s = e + 1;
    }
    if (n == 1)
        r->scale[1] = r->scale[0];
    r->has_scale = true;
    return VN_OK;
}

static vn_status rs_read(resize_layer *r, vn__attrs *a, int nin, const vn__shape *in)
{
    VN_TRY(vn__attr_pair(a, "size", true, 0, 1, 1 << 16, r->size));
    VN_TRY(vn__attr_choice(a, "mode", modes, 0, &r->mode));
    VN_TRY(vn__attr_choice(a, "coord", coords, 0, &r->coord));
    VN_TRY(vn__attr_choice(a, "nearest", rounds, 0, &r->round));
    VN_TRY(read_scale(r, a));
    vn__shape os;
    VN_TRY(rs_shape(&r->base, nin, in, &os));
    r->in_h = in[0].d[1];
    r->in_w = in[0].d[2];
    if (r->in_h < 1 || r->in_w < 1)
        return vn__error(VN_ERR_SHAPE, "%s: input %lldx%lld is empty", a->who,
                         (long long)r->in_h, (long long)r->in_w);
    r->taps = vn__malloc((size_t)(r->size[0] + r->size[1]) * sizeof *r->taps);
    if (!r->taps)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", a->who);
    bool nearest = r->mode == 0;
    vn__resize_taps(nearest, (vn__resize_coord)r->coord, (vn__resize_round)r->round, r->in_h,
                    r->size[0], r->has_scale ? r->scale[0] : 0.0, r->taps);
    vn__resize_taps(nearest, (vn__resize_coord)r->coord, (vn__resize_round)r->round, r->in_w,
                    r->size[1], r->has_scale ? r->scale[1] : 0.0, r->taps + r->size[0]);
    return VN_OK;
}

vn_status vn__resize_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    resize_layer *r = (resize_layer *)vn__layer_alloc(sizeof *r, &resize_ops, a->who);
    if (!r)
        return VN_ERR_NOMEM;
    vn_status s = rs_read(r, a, nin, in);
    if (s != VN_OK) {
        vn__layer_destroy(&r->base);
        return s;
    }
    *out = &r->base;
    return VN_OK;
}
