/*
 * upsample.c - integer-factor upsampling of images, PyTorch
 * nn.Upsample(scale_factor=s, mode) with mode nearest or bilinear
 * (align_corners=False): y[i, j] = x[floor(i/s), floor(j/s)], or bilinear
 * interpolation at source (dst + 0.5)/s - 0.5 clamped below at 0.
 *
 * Attributes: scale (2, any integer 1..64), mode (nearest).
 */
#include "nn/layers/layers.h"

static const char *const modes[] = {"nearest", "bilinear", NULL};

typedef struct upsample {
    vn__layer base;
    int scale;
    bool bilinear;
} upsample;

static vn_status up_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const upsample *u = (const upsample *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(l->who, &in[0]));
    *out = in[0];
    out->d[1] *= u->scale;
    out->d[2] *= u->scale;
    return VN_OK;
}

static vn_status up_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)run;
    (void)nin;
    const upsample *u = (const upsample *)l;
    const vn_tensor *x = in[0];
    vn__upsample_forward(u->bilinear, u->scale, x->shape[0] * x->shape[1], x->shape[2],
                         x->shape[3], vn__cf32(x), vn__f32(out));
    return VN_OK;
}

static vn_status up_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)out;
    (void)param_grads;
    const upsample *u = (const upsample *)l;
    const vn_tensor *x = in[0];
    if (din[0])
        vn__upsample_backward(u->bilinear, u->scale, x->shape[0] * x->shape[1], x->shape[2],
                              x->shape[3], vn__cf32(dout), vn__f32(din[0]));
    return VN_OK;
}

static void up_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const upsample *u = (const upsample *)l;
    vn__strbuf_printf(sb, " scale=%d mode=%s", u->scale, modes[u->bilinear ? 1 : 0]);
}

static int64_t up_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)nin;
    (void)in;
    return (((const upsample *)l)->bilinear ? 8 : 0) * vn__shape_count(out);
}

static const vn__layer_ops upsample_ops = {
    .type = "upsample",
    .output_shape = up_shape,
    .forward = up_forward,
    .backward = up_backward,
    .attrs = up_attrs,
    .flops = up_flops,
};

vn_status vn__upsample_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    upsample *u = (upsample *)vn__layer_alloc(sizeof *u, &upsample_ops, a->who);
    if (!u)
        return VN_ERR_NOMEM;
    int64_t scale = 2;
    int mode = 0;
    vn__shape os;
    vn_status s = vn__attr_int(a, "scale", false, 2, 1, 64, &scale);
    if (s == VN_OK)
        s = vn__attr_choice(a, "mode", modes, 0, &mode);
    u->scale = (int)scale;
    u->bilinear = mode == 1;
    if (s == VN_OK)
        s = up_shape(&u->base, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(&u->base);
        return s;
    }
    *out = &u->base;
    return VN_OK;
}
