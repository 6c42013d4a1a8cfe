/*
 * noise.c - the noise ops: additive Gaussian, speckle (multiplicative) and
 * salt-and-pepper.
 *
 * Values are on the [0, 1] scale: a u8 image gets x + 255 * sigma * n,
 * rounded to nearest and clamped to 0..255; an f32 image x + sigma * n
 * clamped to [0, 1] (as the torchvision benchmark pipeline's
 * `(x + randn * sigma).clamp(0, 1)`). Speckle is x + x * sigma * n
 * (skimage.util.random_noise 'speckle' with std sigma). Salt-and-pepper
 * follows skimage's 's&p': every element (each channel of each pixel) is
 * replaced with probability `amount`, by the maximum with probability
 * salt_vs_pepper and by 0 otherwise; the two choices use 16 random bits
 * each.
 *
 * The normals come from random.c's table generator (vn__aug_normals), one
 * row at a time, from the op's own stream.
 */
#include "augment/augment_internal.h"

#include <math.h>

/* Clamp to [0, 255] and round half to even (lrintf in the default
 * rounding mode): adding and removing 1.5 * 2^23 rounds any |v| < 2^22 to
 * an integer in the current mode, without a libm call. */
static inline uint8_t u8_round_clamped(float v)
{
    v = vn__aug_sel(v < 0, 0, vn__aug_sel(v > 255, 255, v));
    return (uint8_t)(int32_t)((v + 0x1.8p23f) - 0x1.8p23f);
}

static vn_status gaussian(const vn__aug_op *op, vn__aug_sample *s, bool speckle)
{
    vn_tensor *img = s->img;
    size_t row = (size_t)(img->shape[1] * img->shape[2]);
    float *n = vn__alloc_or_error(row * sizeof *n, "augment noise");
    if (!n)
        return VN_ERR_NOMEM;
    float sigma = op->u.noise.sigma;
    for (int64_t y = 0; y < img->shape[0]; y++) {
        vn__aug_normals(&s->rng, n, (int64_t)row);
        if (img->dtype == VN_U8) {
            uint8_t *d = (uint8_t *)img->data + (size_t)y * row;
            /* Two branch-free loops the compiler vectorises; the products
             * are (1 * scale) * n = scale * n and (x * scale) * n. */
            if (speckle) {
                for (size_t i = 0; i < row; i++) {
                    float x = d[i];
                    d[i] = u8_round_clamped(x + x * sigma * n[i]);
                }
            } else {
                float scale = 255.0f * sigma;
                for (size_t i = 0; i < row; i++)
                    d[i] = u8_round_clamped((float)d[i] + scale * n[i]);
            }
        } else {
            float *d = (float *)img->data + (size_t)y * row;
            for (size_t i = 0; i < row; i++) {
                float v = d[i] + (speckle ? d[i] : 1.0f) * sigma * n[i];
                d[i] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
        }
    }
    vn__free(n);
    return VN_OK;
}

static void salt_pepper(const vn__aug_op *op, vn__aug_sample *s)
{
    vn_tensor *img = s->img;
    size_t count = img->numel;
    uint32_t amount = (uint32_t)lrint(op->u.sp.amount * 65536.0);
    uint32_t salt = (uint32_t)lrint(op->u.sp.salt * 65536.0);
    for (size_t i = 0; i < count; i++) {
        uint32_t w = vn_rng_u32(&s->rng);
        if ((w & 0xFFFF) >= amount)
            continue;
        bool is_salt = (w >> 16) < salt;
        if (img->dtype == VN_U8)
            ((uint8_t *)img->data)[i] = is_salt ? 255 : 0;
        else
            ((float *)img->data)[i] = is_salt ? 1.0f : 0.0f;
    }
}

vn_status vn__aug_noise(const vn__aug_op *op, vn__aug_sample *s)
{
    switch (op->kind) {
    case VN__AUG_GAUSSIAN_NOISE: return gaussian(op, s, false);
    case VN__AUG_SPECKLE: return gaussian(op, s, true);
    case VN__AUG_SALT_PEPPER: salt_pepper(op, s); return VN_OK;
    default: return vn__aug_fail(s, VN_ERR_INTERNAL, "not a noise op");
    }
}
