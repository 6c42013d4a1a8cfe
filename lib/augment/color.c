/*
 * color.c - the colour ops: colour jitter (brightness, contrast,
 * saturation, hue), gamma, random grayscale and channel shuffle.
 *
 * The formulas are torchvision 0.14's (torchvision/transforms/
 * functional_tensor.py), computed in float32 as PyTorch computes them:
 *   grey        = 0.2989 R + 0.587 G + 0.114 B   (u8: truncated to u8)
 *   _blend(a,b) = clamp(r*a + (1-r)*b, 0, bound)  (u8: truncated, bound 255)
 *   brightness  = _blend(img, 0, f)
 *   contrast    = _blend(img, mean(grey), f)      (1 channel: mean(img))
 *   saturation  = _blend(img, grey, f)            (1 channel: unchanged)
 *   hue         = HSV round trip with h' = (h + f) mod 1 (_rgb2hsv /
 *                 _hsv2rgb; u8 goes through x/255 and back with *255,
 *                 truncated; 1 channel: unchanged)
 *   gamma       = clamp(x^g, 0, 1) on [0, 1] (u8: times 255.999, truncated)
 * ColorJitter draws a random order of the four and one factor for each
 * component that is on, then applies them in that order.
 *
 * Channels: 1 grey, 3 RGB; 2 and 4 carry alpha last, which is left alone.
 * Brightness, contrast (mean over all colour channels) and gamma also work
 * on other channel counts; saturation, hue and grayscale need grey or RGB.
 */
#include "augment/augment_internal.h"

#include <math.h>
#include <string.h>


static inline float ld(const vn_tensor *t, size_t i)
{
    return t->dtype == VN_U8 ? (float)((const uint8_t *)t->data)[i] : ((const float *)t->data)[i];
}

/* Store a blended value: clamp to [0, bound] and, for u8, truncate
 * (torch's .to(torch.uint8)). */
static inline void st(vn_tensor *t, size_t i, float v)
{
    if (t->dtype == VN_U8) {
        v = v < 0 ? 0 : v > 255 ? 255 : v;
        ((uint8_t *)t->data)[i] = (uint8_t)v;
    } else {
        ((float *)t->data)[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
}

/* torchvision rgb_to_grayscale of one pixel (u8: truncated). */
static inline float grey_of(const vn_tensor *t, size_t at)
{
    float g = 0.2989f * ld(t, at) + 0.587f * ld(t, at + 1) + 0.114f * ld(t, at + 2);
    return t->dtype == VN_U8 ? (float)(uint8_t)g : g;
}

typedef enum vmap { VMAP_BLEND, VMAP_GAMMA } vmap;

/* x -> blend(x, other, r) or gamma, on every colour channel; u8 through a
 * 256-entry table of the same float32 formula. */
static void value_map(vn_tensor *img, int nc, vmap kind, float r, float other)
{
    int64_t C = img->shape[2];
    size_t npix = (size_t)(img->shape[0] * img->shape[1]);
    float one_minus = (float)(1.0 - (double)r), bound = img->dtype == VN_U8 ? 255.0f : 1.0f;
    if (img->dtype == VN_U8) {
        uint8_t lut[256];
        for (int v = 0; v < 256; v++) {
            float y;
            if (kind == VMAP_BLEND) {
                y = r * (float)v + one_minus * other;
            } else {
                y = powf((float)v / 255.0f, r);
                y = (y < 0 ? 0 : y > 1 ? 1 : y) * (255.0f + 1.0f - 1e-3f);
            }
            y = y < 0 ? 0 : y > bound ? bound : y;
            lut[v] = (uint8_t)y;
        }
        uint8_t *d = img->data;
        if (nc == C) {
            for (size_t i = 0; i < npix * (size_t)C; i++)
                d[i] = lut[d[i]];
            return;
        }
        for (size_t p = 0; p < npix; p++)
            for (int k = 0; k < nc; k++)
                d[p * (size_t)C + (size_t)k] = lut[d[p * (size_t)C + (size_t)k]];
        return;
    }
    float *d = img->data;
    for (size_t p = 0; p < npix; p++)
        for (int k = 0; k < nc; k++) {
            size_t i = p * (size_t)C + (size_t)k;
            float y = kind == VMAP_BLEND ? r * d[i] + one_minus * other : powf(d[i], r);
            d[i] = y < 0 ? 0 : y > 1 ? 1 : y;
        }
}

static vn_status need_rgb(const vn__aug_sample *s, const char *what)
{
    return vn__aug_fail(s, VN_ERR_SHAPE, "%s needs a grey or RGB image (1 to 4 channels, the 2nd "
                        "and 4th being alpha), the image has %lld", what,
                        (long long)s->img->shape[2]);
}

static inline float clamp255(float v)
{
    v = v < 0 ? 0 : v;
    return v > 255 ? 255 : v;
}

/* torchvision's u8 grey of n pixels C bytes apart (the float32 weighted
 * sum, truncated) into a float plane. C is a constant at the calls, so
 * the strided loads vectorise. */
VN__AUG_INLINE void grey_row_u8(const uint8_t *d, size_t n, size_t C, float *restrict grey)
{
    for (size_t j = 0; j < n; j++)
        grey[j] = (float)(uint8_t)(0.2989f * (float)d[j * C] + 0.587f * (float)d[j * C + 1] +
                                   0.114f * (float)d[j * C + 2]);
}

/* Sum of the u8 grey of an image (exact: integers), row by row. */
VN__AUG_INLINE uint32_t grey_row_sum_u8(const uint8_t *d, size_t n, size_t C)
{
    uint32_t sum = 0; /* at most 255 * 2^24 */
    for (size_t j = 0; j < n; j++)
        sum += (uint8_t)(0.2989f * (float)d[j * C] + 0.587f * (float)d[j * C + 1] +
                         0.114f * (float)d[j * C + 2]);
    return sum;
}

VN__AUG_INLINE uint64_t grey_sum_u8_body(const uint8_t *d, size_t H, size_t W, size_t C)
{
    uint64_t sum = 0;
    for (size_t y = 0; y < H; y++)
        sum += C == 3 ? grey_row_sum_u8(d + y * W * 3, W, 3) : grey_row_sum_u8(d + y * W * C, W, C);
    return sum;
}
VN__AUG_MULTIVERSION(uint64_t, grey_sum_u8, (const uint8_t *d, size_t H, size_t W, size_t C),
                     (d, H, W, C))

/* saturation on u8 rows: clamp(f x + (1 - f) grey, 0, 255), truncated. */
VN__AUG_INLINE void saturation_row_u8(uint8_t *d, size_t W, size_t C, float f, float one_minus,
                                      float *restrict grey)
{
    grey_row_u8(d, W, C, grey);
    for (size_t j = 0; j < W; j++)
        grey[j] *= one_minus;
    for (size_t j = 0; j < W; j++) {
        float r = f * (float)d[j * C] + grey[j];
        float g = f * (float)d[j * C + 1] + grey[j];
        float b = f * (float)d[j * C + 2] + grey[j];
        d[j * C] = (uint8_t)clamp255(r);
        d[j * C + 1] = (uint8_t)clamp255(g);
        d[j * C + 2] = (uint8_t)clamp255(b);
    }
}

VN__AUG_INLINE int saturation_u8_body(uint8_t *d, size_t H, size_t W, size_t C, float f,
                                      float one_minus, float *restrict grey)
{
    for (size_t y = 0; y < H; y++) {
        if (C == 3)
            saturation_row_u8(d + y * W * 3, W, 3, f, one_minus, grey);
        else
            saturation_row_u8(d + y * W * C, W, C, f, one_minus, grey);
    }
    return 0;
}
VN__AUG_MULTIVERSION(int, saturation_u8,
                     (uint8_t *d, size_t H, size_t W, size_t C, float f, float one_minus,
                      float *restrict grey),
                     (d, H, W, C, f, one_minus, grey))

static void adjust_contrast(vn_tensor *img, int nc, float f)
{
    int64_t C = img->shape[2];
    size_t npix = (size_t)(img->shape[0] * img->shape[1]);
    double sum = 0;
    if (nc == 3 && img->dtype == VN_U8) {
        const uint8_t *d = img->data;
        sum = (double)grey_sum_u8(d, (size_t)img->shape[0], (size_t)img->shape[1], (size_t)C);
        sum /= (double)npix;
    } else if (nc == 3) {
        for (size_t p = 0; p < npix; p++)
            sum += grey_of(img, p * (size_t)C);
        sum /= (double)npix;
    } else {
        for (size_t p = 0; p < npix; p++)
            for (int k = 0; k < nc; k++)
                sum += ld(img, p * (size_t)C + (size_t)k);
        sum /= (double)npix * nc;
    }
    value_map(img, nc, VMAP_BLEND, f, (float)sum);
}

static vn_status adjust_saturation(vn_tensor *img, float f)
{
    int64_t C = img->shape[2];
    size_t npix = (size_t)(img->shape[0] * img->shape[1]);
    float one_minus = (float)(1.0 - (double)f);
    if (img->dtype == VN_U8) {
        size_t W = (size_t)img->shape[1];
        float stack[1024];
        float *grey = W <= 1024 ? stack : vn__alloc_or_error(W * sizeof *grey, "augment saturation");
        if (!grey)
            return VN_ERR_NOMEM;
        saturation_u8(img->data, (size_t)img->shape[0], W, (size_t)C, f, one_minus, grey);
        if (grey != stack)
            vn__free(grey);
        return VN_OK;
    }
    for (size_t p = 0; p < npix; p++) {
        size_t at = p * (size_t)C;
        float g = one_minus * grey_of(img, at);
        for (int k = 0; k < 3; k++)
            st(img, at + (size_t)k, f * ld(img, at + (size_t)k) + g);
    }
    return VN_OK;
}

static inline float clamp01(float v)
{
    return vn__aug_sel(v < 0.0f, 0.0f, vn__aug_sel(v > 1.0f, 1.0f, v));
}

/* torchvision _rgb2hsv, the hue shift and _hsv2rgb on n pixels held as
 * three planes in [0, 1], in place. Written for speed with the same
 * operations where they matter: the three divisions by the chroma are one
 * reciprocal and three products (results differ from torch's by an ulp at
 * most), fmod(x, 1) for x in [0, 2) is x - (x >= 1), the floor of a
 * non-negative float is its truncation, and _hsv2rgb's table lookup is a
 * chain of selects.
 *
 * Every arithmetic operation runs unconditionally and the selects (sel)
 * only pick among computed values: the compiler vectorises the loop
 * without -fno-trapping-math, and the vector code computes the same IEEE
 * operations as the scalar one (no FMA: the build is ISO C, which keeps
 * -ffp-contract=off), so every path gives the same bits. */
VN__AUG_INLINE void hue_planes(float *restrict R, float *restrict G,
                                                   float *restrict B, size_t n, float hf)
{
    for (size_t j = 0; j < n; j++) {
        float r = R[j], g = G[j], b = B[j];
        float maxc = vn__aug_sel(r > g, r, g), minc = vn__aug_sel(r < g, r, g);
        maxc = vn__aug_sel(maxc > b, maxc, b);
        minc = vn__aug_sel(minc < b, minc, b);
        int eqc = maxc == minc;
        float cr = maxc - minc;
        float s = cr / vn__aug_sel(eqc, 1.0f, maxc);
        float inv = 1.0f / vn__aug_sel(eqc, 1.0f, cr);
        float rc = (maxc - r) * inv, gc = (maxc - g) * inv, bc = (maxc - b) * inv;
        float hr = bc - gc, hg = 2.0f + rc - bc, hb = 4.0f + gc - rc;
        float hsum = vn__aug_sel(maxc == r, hr, vn__aug_sel(maxc == g, hg, hb));
        float h = hsum / 6.0f + 1.0f; /* in [5/6, 11/6) */
        h = h - vn__aug_sel(h >= 1.0f, 1.0f, 0.0f);
        h = h + hf;                   /* in (-0.5, 1.5) */
        h = h + vn__aug_sel(h < 0.0f, 1.0f, vn__aug_sel(h >= 1.0f, -1.0f, 0.0f)); /* Python's % 1.0 */
        float v = maxc;
        float h6 = h * 6.0f;
        int ii = (int)h6; /* floor: h6 >= 0 */
        float f = h6 - (float)ii;
        ii = ii - (ii >= 6 ? 6 : 0);
        float p = clamp01(v * (1.0f - s));
        float q = clamp01(v * (1.0f - s * f));
        float t = clamp01(v * (1.0f - s * (1.0f - f)));
        R[j] = vn__aug_sel((ii == 0) | (ii == 5), v, vn__aug_sel(ii == 1, q, vn__aug_sel(ii == 4, t, p)));
        G[j] = vn__aug_sel((ii == 1) | (ii == 2), v, vn__aug_sel(ii == 0, t, vn__aug_sel(ii == 3, q, p)));
        B[j] = vn__aug_sel((ii == 3) | (ii == 4), v, vn__aug_sel(ii == 2, t, vn__aug_sel(ii == 5, q, p)));
    }
}

/* One row of a u8 image with C bytes per pixel (C a constant at the call,
 * so the strided loads vectorise): into planes as x / 255, shifted, back
 * as x * 255 truncated (torchvision's (x * 255).to(uint8)). */
VN__AUG_INLINE void hue_row_u8(uint8_t *d, size_t W, size_t C, float hf,
                                                   float *restrict R, float *restrict G,
                                                   float *restrict B)
{
    for (size_t j = 0; j < W; j++) {
        R[j] = (float)d[j * C] / 255.0f;
        G[j] = (float)d[j * C + 1] / 255.0f;
        B[j] = (float)d[j * C + 2] / 255.0f;
    }
    hue_planes(R, G, B, W, hf);
    for (size_t j = 0; j < W; j++) {
        d[j * C] = (uint8_t)(R[j] * 255.0f); /* in [0, 255]: truncation */
        d[j * C + 1] = (uint8_t)(G[j] * 255.0f);
        d[j * C + 2] = (uint8_t)(B[j] * 255.0f);
    }
}

VN__AUG_INLINE void hue_row_f32(float *d, size_t W, size_t C, float hf,
                                                    float *restrict R, float *restrict G,
                                                    float *restrict B)
{
    for (size_t j = 0; j < W; j++)
        R[j] = d[j * C], G[j] = d[j * C + 1], B[j] = d[j * C + 2];
    hue_planes(R, G, B, W, hf);
    for (size_t j = 0; j < W; j++)
        d[j * C] = R[j], d[j * C + 1] = G[j], d[j * C + 2] = B[j];
}

/* The rows of an image. */
VN__AUG_INLINE int hue_image_body(void *data, bool u8, size_t H, size_t W, size_t C, float hf,
                                  float *R, float *G, float *B)
{
    for (size_t y = 0; y < H; y++) {
        if (u8 && C == 3)
            hue_row_u8((uint8_t *)data + y * W * 3, W, 3, hf, R, G, B);
        else if (u8)
            hue_row_u8((uint8_t *)data + y * W * C, W, C, hf, R, G, B);
        else
            hue_row_f32((float *)data + y * W * C, W, C, hf, R, G, B);
    }
    return 0;
}
VN__AUG_MULTIVERSION(int, hue_image,
                     (void *data, bool u8, size_t H, size_t W, size_t C, float hf, float *R,
                      float *G, float *B),
                     (data, u8, H, W, C, hf, R, G, B))

static vn_status adjust_hue(vn_tensor *img, float hf)
{
    size_t H = (size_t)img->shape[0], W = (size_t)img->shape[1], C = (size_t)img->shape[2];
    float stack[3 * 512];
    float *buf = W <= 512 ? stack : vn__alloc_or_error(3 * W * sizeof *buf, "augment hue");
    if (!buf)
        return VN_ERR_NOMEM;
    bool u8 = img->dtype == VN_U8;
    hue_image(img->data, u8, H, W, C, hf, buf, buf + W, buf + 2 * W);
    if (buf != stack)
        vn__free(buf);
    return VN_OK;
}

static void to_grayscale(vn_tensor *img)
{
    int64_t C = img->shape[2];
    size_t npix = (size_t)(img->shape[0] * img->shape[1]);
    for (size_t p = 0; p < npix; p++) {
        size_t at = p * (size_t)C;
        float g = grey_of(img, at);
        for (int k = 0; k < 3; k++)
            st(img, at + (size_t)k, g);
    }
}

static bool is_none(const float r[2], float identity)
{
    return r[0] == identity && r[1] == identity;
}

static vn_status color_jitter(const vn__aug_op *op, vn__aug_sample *s)
{
    int nc = vn__aug_color_channels(s->img->shape[2]);
    int order[4];
    vn__aug_randperm(&s->rng, order, 4);
    /* ColorJitter.get_params: a factor per component that is on. */
    const float *ranges[4] = {op->u.jitter.b, op->u.jitter.c, op->u.jitter.s, op->u.jitter.h};
    float f[4];
    for (int k = 0; k < 4; k++)
        f[k] = is_none(ranges[k], k == 3 ? 0.0f : 1.0f)
                   ? NAN
                   : (float)vn__aug_uniform(&s->rng, ranges[k][0], ranges[k][1]);
    bool rgb = nc == 3, grey = nc == 1;
    if (!rgb && !grey && (!isnan(f[2]) || !isnan(f[3])))
        return need_rgb(s, !isnan(f[2]) ? "saturation" : "hue");
    for (int k = 0; k < 4; k++) {
        int id = order[k];
        if (isnan(f[id]))
            continue;
        switch (id) {
        case 0: value_map(s->img, nc, VMAP_BLEND, f[0], 0.0f); break;
        case 1: adjust_contrast(s->img, nc, f[1]); break;
        case 2: if (rgb) VN_TRY(adjust_saturation(s->img, f[2])); break;
        default: if (rgb) VN_TRY(adjust_hue(s->img, f[3])); break;
        }
    }
    return VN_OK;
}

vn_status vn__aug_color(const vn__aug_op *op, vn__aug_sample *s)
{
    int nc = vn__aug_color_channels(s->img->shape[2]);
    switch (op->kind) {
    case VN__AUG_COLOR_JITTER:
        return color_jitter(op, s);
    case VN__AUG_GAMMA:
        value_map(s->img, nc, VMAP_GAMMA,
                  (float)vn__aug_uniform(&s->rng, op->u.gamma.g[0], op->u.gamma.g[1]), 0.0f);
        return VN_OK;
    case VN__AUG_GRAYSCALE:
        if (nc == 3)
            to_grayscale(s->img);
        else if (nc != 1)
            return need_rgb(s, "grayscale");
        return VN_OK;
    case VN__AUG_CHANNEL_SHUFFLE: {
        int perm[64];
        vn__aug_randperm(&s->rng, perm, nc);
        int64_t C = s->img->shape[2];
        size_t npix = (size_t)(s->img->shape[0] * s->img->shape[1]), es = vn_dtype_size(s->img->dtype);
        uint8_t tmp[64 * sizeof(float)];
        uint8_t *d = s->img->data;
        for (size_t p = 0; p < npix; p++) {
            uint8_t *px = d + p * (size_t)C * es;
            memcpy(tmp, px, (size_t)nc * es);
            for (int k = 0; k < nc; k++)
                memcpy(px + (size_t)k * es, tmp + (size_t)perm[k] * es, es);
        }
        return VN_OK;
    }
    default:
        return vn__aug_fail(s, VN_ERR_INTERNAL, "not a colour op");
    }
}
