/*
 * blur.c - Gaussian blur and sharpening, as torchvision 0.14's
 * gaussian_blur / GaussianBlur and adjust_sharpness (functional_tensor.py).
 *
 * Blur: a kernel of odd size k with sigma drawn uniformly per sample;
 * the 1-D kernel is exp(-x^2 / (2 sigma^2)) at x = -(k-1)/2 .. (k-1)/2,
 * normalised to sum 1 (_get_gaussian_kernel1d), used along both axes, with
 * reflect padding (dcb|abcd|cba). We run it as two 1-D passes in float32
 * (torchvision convolves with the 2-D outer product: the same sums in
 * another order); u8 results are rounded half to even, as torch.round.
 *
 * Sharpen: the image blended with its "degenerate" version, which is the
 * 3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13 on the interior pixels (u8:
 * rounded) and the original on the one-pixel border:
 * clamp(f * img + (1 - f) * degenerate) (u8: truncated). Images with a side
 * of 2 pixels or less are left alone, as torchvision does.
 */
#include "augment/augment_internal.h"

#include <math.h>
#include <string.h>

static inline int64_t reflect(int64_t p, int64_t len)
{
    if (len == 1)
        return 0;
    int64_t period = 2 * (len - 1), q = p % period;
    if (q < 0)
        q += period;
    return q < len ? q : period - q;
}

static inline float ld(const vn_tensor *t, size_t i)
{
    return t->dtype == VN_U8 ? (float)((const uint8_t *)t->data)[i] : ((const float *)t->data)[i];
}

static vn_status gaussian_blur(const vn__aug_op *op, vn__aug_sample *s)
{
    vn_tensor *img = s->img;
    int k = op->u.blur.k, half = k / 2;
    double sigma = vn__aug_uniform(&s->rng, op->u.blur.sigma[0], op->u.blur.sigma[1]);
    float kern[1024], pdf[1024], fsum = 0;
    for (int i = 0; i < k; i++) {
        /* torch.linspace(-half, half, k) in float32, then the pdf */
        float x = (float)(-half + i);
        pdf[i] = expf(-0.5f * (x / (float)sigma) * (x / (float)sigma));
        fsum += pdf[i];
    }
    for (int i = 0; i < k; i++)
        kern[i] = pdf[i] / fsum;
    int64_t H = img->shape[0], W = img->shape[1], C = img->shape[2];
    float *tmp = vn__alloc_or_error((size_t)(H * W * C) * sizeof *tmp, "augment blur");
    if (!tmp)
        return VN_ERR_NOMEM;
    /* horizontal pass into tmp */
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++)
            for (int64_t c = 0; c < C; c++) {
                float acc = 0;
                for (int i = 0; i < k; i++) {
                    int64_t xx = reflect(x - half + i, W);
                    acc += kern[i] * ld(img, (size_t)((y * W + xx) * C + c));
                }
                tmp[(y * W + x) * C + c] = acc;
            }
    /* vertical pass back into the image */
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++)
            for (int64_t c = 0; c < C; c++) {
                float acc = 0;
                for (int i = 0; i < k; i++) {
                    int64_t yy = reflect(y - half + i, H);
                    acc += kern[i] * tmp[(yy * W + x) * C + c];
                }
                size_t at = (size_t)((y * W + x) * C + c);
                if (img->dtype == VN_U8) {
                    float v = (float)lrintf(acc);
                    ((uint8_t *)img->data)[at] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                } else {
                    ((float *)img->data)[at] = acc;
                }
            }
    vn__free(tmp);
    return VN_OK;
}

static vn_status sharpen(const vn__aug_op *op, vn__aug_sample *s)
{
    vn_tensor *img = s->img;
    float f = (float)vn__aug_uniform(&s->rng, op->u.sharpen.f[0], op->u.sharpen.f[1]);
    int64_t H = img->shape[0], W = img->shape[1], C = img->shape[2];
    if (H <= 2 || W <= 2)
        return VN_OK;
    int nc = vn__aug_color_channels(C);
    float *deg = vn__alloc_or_error((size_t)(H * W * C) * sizeof *deg, "augment sharpen");
    if (!deg)
        return VN_ERR_NOMEM;
    for (size_t i = 0; i < (size_t)(H * W * C); i++)
        deg[i] = ld(img, i);
    for (int64_t y = 1; y < H - 1; y++)
        for (int64_t x = 1; x < W - 1; x++)
            for (int64_t c = 0; c < C; c++) {
                float acc = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        acc += (dx == 0 && dy == 0 ? 5.0f / 13.0f : 1.0f / 13.0f) *
                               ld(img, (size_t)(((y + dy) * W + x + dx) * C + c));
                deg[(y * W + x) * C + c] = img->dtype == VN_U8 ? (float)lrintf(acc) : acc;
            }
    float one_minus = (float)(1.0 - (double)f);
    for (int64_t p = 0; p < H * W; p++)
        for (int c = 0; c < nc; c++) {
            size_t at = (size_t)(p * C + c);
            float v = f * ld(img, at) + one_minus * deg[at];
            if (img->dtype == VN_U8)
                ((uint8_t *)img->data)[at] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            else
                ((float *)img->data)[at] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
    vn__free(deg);
    return VN_OK;
}

vn_status vn__aug_blur(const vn__aug_op *op, vn__aug_sample *s)
{
    switch (op->kind) {
    case VN__AUG_BLUR: return gaussian_blur(op, s);
    case VN__AUG_SHARPEN: return sharpen(op, s);
    default: return vn__aug_fail(s, VN_ERR_INTERNAL, "not a blur op");
    }
}
