/*
 * sift_draw.c - pictures of SIFT results: keypoints as circles with a
 * radius along their orientation (cv2.drawKeypoints with
 * DRAW_RICH_KEYPOINTS), and matches between two images side by side
 * (cv2.drawMatches). Every keypoint or match gets its own colour, a hue
 * spread by the golden ratio so neighbours differ. Lines are one pixel
 * wide, sampled at least once per pixel of length; shapes are clipped at
 * the picture's edges.
 */
#include "features/sift_internal.h"

#include <string.h>

/* A new u8 [H,W,3] copy of a u8 grey or RGB image. */
static vn_status to_rgb(const char *what, const vn_tensor *img, vn_tensor **out)
{
    if (!img)
        return vn__error(VN_ERR_INVALID_ARG, "%s: image is NULL", what);
    int64_t c = img->ndim == 3 ? img->shape[2] : 1;
    if (img->dtype != VN_U8 || img->ndim < 2 || img->ndim > 3 || (c != 1 && c != 3))
        return vn__error(VN_ERR_SHAPE, "%s: image must be u8 [H,W], [H,W,1] or [H,W,3]", what);
    int64_t h = img->shape[0], w = img->shape[1];
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_new3(VN_U8, h, w, 3, &t));
    const uint8_t *s = img->data;
    uint8_t *d = t->data;
    for (size_t i = 0; i < (size_t)(h * w); i++)
        for (int k = 0; k < 3; k++)
            d[3 * i + k] = s[c == 3 ? 3 * i + k : i];
    *out = t;
    return VN_OK;
}

static void colour_of(int i, uint8_t rgb[3])
{
    float hue = (float)fmod(i * 0.6180339887498949, 1.0) * 6.f;
    int sector = (int)hue;
    float f = hue - sector;
    float v[3];
    switch (sector % 6) {
    case 0: v[0] = 1, v[1] = f, v[2] = 0; break;
    case 1: v[0] = 1 - f, v[1] = 1, v[2] = 0; break;
    case 2: v[0] = 0, v[1] = 1, v[2] = f; break;
    case 3: v[0] = 0, v[1] = 1 - f, v[2] = 1; break;
    case 4: v[0] = f, v[1] = 0, v[2] = 1; break;
    default: v[0] = 1, v[1] = 0, v[2] = 1 - f; break;
    }
    for (int k = 0; k < 3; k++)
        rgb[k] = (uint8_t)lrintf(40 + 215 * v[k]);
}

typedef struct canvas {
    uint8_t *p;
    int h, w;
} canvas;

static void plot(const canvas *c, float x, float y, const uint8_t rgb[3])
{
    int xi = (int)lrintf(x), yi = (int)lrintf(y);
    if (xi < 0 || yi < 0 || xi >= c->w || yi >= c->h)
        return;
    memcpy(c->p + ((size_t)yi * c->w + xi) * 3, rgb, 3);
}

static void line(const canvas *c, float x0, float y0, float x1, float y1, const uint8_t rgb[3])
{
    float len = fmaxf(fabsf(x1 - x0), fabsf(y1 - y0));
    int steps = (int)ceilf(len) + 1;
    if (steps > 1 << 16)
        steps = 1 << 16;
    for (int i = 0; i <= steps; i++) {
        float t = (float)i / steps;
        plot(c, x0 + t * (x1 - x0), y0 + t * (y1 - y0), rgb);
    }
}

static void circle(const canvas *c, float x, float y, float r, const uint8_t rgb[3])
{
    int steps = VN_MIN(VN_MAX((int)ceilf(2 * (float)M_PI * r * 1.5f), 8), 1 << 16);
    for (int i = 0; i < steps; i++) {
        float a = 2 * (float)M_PI * i / steps;
        plot(c, x + r * cosf(a), y + r * sinf(a), rgb);
    }
}

vn_status vn_sift_draw_keypoints(const vn_sift *sift, const vn_tensor *image, vn_tensor **out)
{
    VN_CHECK_ARG(sift, "sift is NULL");
    VN_CHECK_ARG(out, "out is NULL");
    vn_tensor *t = NULL;
    VN_TRY(to_rgb("sift draw keypoints", image, &t));
    canvas c = {t->data, (int)t->shape[0], (int)t->shape[1]};
    for (int i = 0; i < sift->kps.n; i++) {
        vn_keypoint kp = VN_KEYPOINT_INIT;
        vn_sift_keypoint(sift, i, &kp);
        uint8_t rgb[3];
        colour_of(i, rgb);
        float r = fmaxf(kp.diameter * 0.5f, 1.f);
        float a = kp.angle * (float)(M_PI / 180);
        circle(&c, kp.x, kp.y, r, rgb);
        line(&c, kp.x, kp.y, kp.x + r * cosf(a), kp.y + r * sinf(a), rgb);
    }
    *out = t;
    return VN_OK;
}

vn_status vn_sift_draw_matches(const vn_tensor *image1, const vn_tensor *image2, const float *xy,
                               int n_matches, vn_tensor **out)
{
    VN_CHECK_ARG(out, "out is NULL");
    VN_CHECK_ARG(n_matches >= 0 && (n_matches == 0 || xy), "xy is NULL");
    vn_tensor *a = NULL, *b = NULL, *t = NULL;
    vn_status s = to_rgb("sift draw matches", image1, &a);
    if (s == VN_OK)
        s = to_rgb("sift draw matches", image2, &b);
    int64_t h1 = a ? a->shape[0] : 0, w1 = a ? a->shape[1] : 0;
    int64_t h2 = b ? b->shape[0] : 0, w2 = b ? b->shape[1] : 0;
    if (s == VN_OK)
        s = vn__tensor_new3(VN_U8, VN_MAX(h1, h2), w1 + w2, 3, &t);
    if (s != VN_OK) {
        vn_tensor_destroy(a);
        vn_tensor_destroy(b);
        return s;
    }
    uint8_t *d = t->data;
    memset(d, 0, t->numel);
    int64_t W = w1 + w2;
    for (int64_t y = 0; y < h1; y++)
        memcpy(d + (size_t)(y * W) * 3, (uint8_t *)a->data + (size_t)(y * w1) * 3, (size_t)w1 * 3);
    for (int64_t y = 0; y < h2; y++)
        memcpy(d + (size_t)(y * W + w1) * 3, (uint8_t *)b->data + (size_t)(y * w2) * 3,
               (size_t)w2 * 3);
    canvas c = {d, (int)t->shape[0], (int)W};
    for (int i = 0; i < n_matches; i++) {
        const float *m = xy + 4 * (size_t)i;
        uint8_t rgb[3];
        colour_of(i, rgb);
        float x2 = m[2] + (float)w1;
        circle(&c, m[0], m[1], 3.f, rgb);
        circle(&c, x2, m[3], 3.f, rgb);
        line(&c, m[0], m[1], x2, m[3], rgb);
    }
    vn_tensor_destroy(a);
    vn_tensor_destroy(b);
    *out = t;
    return VN_OK;
}
