/*
 * erase.c - random erasing (Zhong et al., "Random Erasing Data
 * Augmentation", AAAI 2020), as torchvision 0.14's RandomErasing:
 * up to 10 attempts draw an area fraction uniform in [scale_min,
 * scale_max] and an aspect ratio log-uniform in [ratio_min, ratio_max];
 * h = round(sqrt(area * ratio)), w = round(sqrt(area / ratio)); the first
 * that fits strictly inside the image (h < H and w < W) is placed at a
 * uniform position and filled. When none fits the image is unchanged.
 *
 * Fill: the given value per channel (one value fills every channel; u8
 * values are rounded and clamped), or random values: standard normals for
 * f32 images (torchvision's value='random'), uniform bytes for u8.
 */
#include "augment/augment_internal.h"

#include <math.h>

vn_status vn__aug_erase(const vn__aug_op *op, vn__aug_sample *s)
{
    vn_tensor *img = s->img;
    int64_t H = img->shape[0], W = img->shape[1], C = img->shape[2];
    if (!op->u.erase.random && op->u.erase.nvalue != 1 && op->u.erase.nvalue != C)
        return vn__aug_fail(s, VN_ERR_SHAPE, "value has %d numbers, the image %lld channels "
                            "(give 1 or one per channel)", op->u.erase.nvalue, (long long)C);
    double area = (double)H * (double)W;
    double lr0 = log(op->u.erase.ratio[0]), lr1 = log(op->u.erase.ratio[1]);
    for (int attempt = 0; attempt < 10; attempt++) {
        double ea = area * vn__aug_uniform(&s->rng, op->u.erase.scale[0], op->u.erase.scale[1]);
        double ar = exp(vn__aug_uniform(&s->rng, lr0, lr1));
        int64_t h = (int64_t)nearbyint(sqrt(ea * ar)), w = (int64_t)nearbyint(sqrt(ea / ar));
        if (!(h < H && w < W))
            continue;
        int64_t top = vn__aug_randint(&s->rng, 0, H - h + 1);
        int64_t left = vn__aug_randint(&s->rng, 0, W - w + 1);
        float normal[64];
        for (int64_t y = top; y < top + h; y++)
            for (int64_t x = left; x < left + w; x++) {
                size_t at = (size_t)((y * W + x) * C);
                if (op->u.erase.random && img->dtype == VN_F32)
                    vn__aug_normals(&s->rng, normal, C);
                for (int64_t c = 0; c < C; c++) {
                    if (img->dtype == VN_U8) {
                        uint8_t v;
                        if (op->u.erase.random) {
                            v = (uint8_t)(vn_rng_u32(&s->rng) >> 24);
                        } else {
                            float f = op->u.erase.value[op->u.erase.nvalue == 1 ? 0 : c];
                            f = (float)lrintf(f);
                            v = (uint8_t)(f < 0 ? 0 : f > 255 ? 255 : f);
                        }
                        ((uint8_t *)img->data)[at + (size_t)c] = v;
                    } else {
                        ((float *)img->data)[at + (size_t)c] =
                            op->u.erase.random ? normal[c]
                                               : op->u.erase.value[op->u.erase.nvalue == 1 ? 0 : c];
                    }
                }
            }
        return VN_OK;
    }
    return VN_OK;
}
