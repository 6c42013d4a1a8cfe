/*
 * convert.c - between u8 images as decoders give them (HWC, 0..255) and
 * f32 network tensors (CHW, normalised):
 *
 *   vn_image_to_tensor:  y[c,h,w] = (x[h,w,c] * scale - mean[c]) / std[c]
 *   vn_tensor_to_image:  x[h,w,c] = round((y[c,h,w] * std[c] + mean[c]) / scale)
 *
 * With scale = 1/255 and ImageNet's mean / std this is torchvision's
 * ToTensor() + Normalize(). The forward map goes through a 256-entry table
 * per channel computed in double, so every value is the correctly rounded
 * result of the formula. The inverse rounds half to even and saturates to
 * 0..255 (NaN becomes 0).
 */
#include "image/image_internal.h"

#include <math.h>

VN_API vn_status vn_image_to_tensor(const vn_tensor *src, float scale, const float *mean,
                                    const float *std, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "to_tensor: NULL argument");
    if (!isfinite(scale))
        return vn__error(VN_ERR_INVALID_ARG, "to_tensor: scale is not finite");
    char sbuf[96];
    if (src->dtype != VN_U8 || src->ndim < 2 || src->ndim > 4)
        return vn__error(VN_ERR_SHAPE, "to_tensor: expected a u8 [H,W,C], [N,H,W,C] or [H,W] image, got %s %s",
                         vn_dtype_name(src->dtype), vn__shape_str(src, sbuf, sizeof sbuf));
    int nd = src->ndim;
    int64_t n = nd == 4 ? src->shape[0] : 1;
    int64_t h = src->shape[nd == 4 ? 1 : 0], w = src->shape[nd == 4 ? 2 : 1];
    int64_t c = nd == 2 ? 1 : src->shape[nd - 1];
    for (int64_t k = 0; k < c; k++)
        if (std && !(std[k] != 0 && isfinite(std[k])))
            return vn__error(VN_ERR_INVALID_ARG, "to_tensor: std[%lld] is zero or not finite", (long long)k);

    vn_tensor *t = NULL;
    if (nd == 4)
        VN_TRY(vn__tensor_new4(VN_F32, n, c, h, w, &t));
    else
        VN_TRY(vn__tensor_new3(VN_F32, c, h, w, &t));
    float *lut = vn__calloc((size_t)c, 256 * sizeof *lut);
    if (!lut) {
        vn_tensor_destroy(t);
        return vn__error(VN_ERR_NOMEM, "to_tensor: out of memory");
    }
    for (int64_t k = 0; k < c; k++)
        for (int v = 0; v < 256; v++) {
            double m = mean ? mean[k] : 0.0, s = std ? std[k] : 1.0;
            lut[k * 256 + v] = (float)(((double)v * scale - m) / s);
        }
    size_t plane = (size_t)h * (size_t)w;
    for (int64_t b = 0; b < n; b++) {
        const uint8_t *s = (const uint8_t *)src->data + (size_t)b * plane * (size_t)c;
        float *d = (float *)t->data + (size_t)b * plane * (size_t)c;
        for (int64_t k = 0; k < c; k++) {
            const float *L = lut + k * 256;
            float *dk = d + (size_t)k * plane;
            const uint8_t *sk = s + k;
            for (size_t i = 0; i < plane; i++)
                dk[i] = L[sk[i * (size_t)c]];
        }
    }
    vn__free(lut);
    *out = t;
    return VN_OK;
}

VN_API vn_status vn_tensor_to_image(const vn_tensor *src, float scale, const float *mean,
                                    const float *std, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "to_image: NULL argument");
    if (!isfinite(scale) || scale == 0)
        return vn__error(VN_ERR_INVALID_ARG, "to_image: scale is zero or not finite");
    char sbuf[96];
    if (src->dtype != VN_F32 || (src->ndim != 3 && src->ndim != 4))
        return vn__error(VN_ERR_SHAPE, "to_image: expected an f32 [C,H,W] or [N,C,H,W] tensor, got %s %s",
                         vn_dtype_name(src->dtype), vn__shape_str(src, sbuf, sizeof sbuf));
    int nd = src->ndim;
    int64_t n = nd == 4 ? src->shape[0] : 1;
    int64_t c = src->shape[nd - 3], h = src->shape[nd - 2], w = src->shape[nd - 1];
    vn_tensor *t = NULL;
    if (nd == 4)
        VN_TRY(vn__tensor_new4(VN_U8, n, h, w, c, &t));
    else
        VN_TRY(vn__tensor_new3(VN_U8, h, w, c, &t));
    size_t plane = (size_t)h * (size_t)w;
    for (int64_t b = 0; b < n; b++) {
        const float *s = (const float *)src->data + (size_t)b * plane * (size_t)c;
        uint8_t *d = (uint8_t *)t->data + (size_t)b * plane * (size_t)c;
        for (int64_t k = 0; k < c; k++) {
            double m = mean ? mean[k] : 0.0, sd = std ? std[k] : 1.0;
            const float *sk = s + (size_t)k * plane;
            uint8_t *dk = d + k;
            for (size_t i = 0; i < plane; i++) {
                double v = (sk[i] * sd + m) / scale;
                dk[i * (size_t)c] = (uint8_t)(!(v > 0) ? 0 : v >= 255 ? 255 : nearbyint(v));
            }
        }
    }
    *out = t;
    return VN_OK;
}
