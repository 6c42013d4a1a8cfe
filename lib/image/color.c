/*
 * color.c - vn_image_to_gray: RGB(A) to grey with the two conventions
 * users meet in practice.
 *
 * - VN_GRAY_BT601 on u8 [H,W,3|4]: OpenCV's fixed point, shared with the
 *   decoders' channel conversion (color_internal.h), as
 *   cv2.cvtColor(img, cv2.COLOR_RGB2GRAY); u8 [H,W,1] out.
 * - VN_GRAY_REC709 on u8: skimage.color.rgb2gray (0.19): the samples are
 *   scaled by 1/255 and weighted 0.2125 R + 0.7154 G + 0.0721 B in double;
 *   f32 [H,W,1] out in [0, 1].
 * - f32 [3|4,H,W] or [N,3|4,H,W] tensors: the same weights without any
 *   scaling (BT601 uses torchvision's rgb_to_grayscale weights 0.2989,
 *   0.587, 0.114); f32 [1,H,W] / [N,1,H,W] out. Computed in double and
 *   rounded once.
 * Alpha is ignored (no compositing).
 */
#include "image/color_internal.h"
#include "image/image_internal.h"

static vn_status gray_u8(const vn_tensor *src, vn_gray method, vn_tensor **out)
{
    int64_t h, w, c;
    char sbuf[96];
    if (!vn__image_hwc(src, &h, &w, &c) || (c != 3 && c != 4))
        return vn__error(VN_ERR_SHAPE, "to_gray: u8 image shape %s is not [H,W,3] or [H,W,4]",
                         vn__shape_str(src, sbuf, sizeof sbuf));
    size_t n = (size_t)h * (size_t)w;
    const uint8_t *s = src->data;
    vn_tensor *t = NULL;
    if (method == VN_GRAY_BT601) {
        VN_TRY(vn__tensor_new3(VN_U8, h, w, 1, &t));
        uint8_t *d = t->data;
        for (size_t i = 0; i < n; i++, s += c)
            d[i] = vn__gray_bt601_u8(s[0], s[1], s[2]);
    } else {
        VN_TRY(vn__tensor_new3(VN_F32, h, w, 1, &t));
        float *d = t->data;
        const double k = 1.0 / 255;
        for (size_t i = 0; i < n; i++, s += c)
            d[i] = (float)((s[0] * k) * 0.2125 + (s[1] * k) * 0.7154 + (s[2] * k) * 0.0721);
    }
    *out = t;
    return VN_OK;
}

static vn_status gray_f32(const vn_tensor *src, vn_gray method, vn_tensor **out)
{
    int nd = src->ndim;
    char sbuf[96];
    if ((nd != 3 && nd != 4) || (src->shape[nd - 3] != 3 && src->shape[nd - 3] != 4))
        return vn__error(VN_ERR_SHAPE, "to_gray: f32 tensor shape %s is not [3,H,W] or [N,3,H,W]",
                         vn__shape_str(src, sbuf, sizeof sbuf));
    double wr = 0.2989, wg = 0.587, wb = 0.114;
    if (method == VN_GRAY_REC709)
        wr = 0.2125, wg = 0.7154, wb = 0.0721;
    int64_t shape[4];
    for (int i = 0; i < nd; i++)
        shape[i] = src->shape[i];
    shape[nd - 3] = 1;
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_empty(VN_F32, nd, shape, &t));
    size_t plane = (size_t)src->shape[nd - 2] * (size_t)src->shape[nd - 1];
    size_t c = (size_t)src->shape[nd - 3];
    size_t images = nd == 4 ? (size_t)src->shape[0] : 1;
    for (size_t b = 0; b < images; b++) {
        const float *r = (const float *)src->data + b * c * plane;
        const float *g = r + plane, *bl = g + plane;
        float *d = (float *)t->data + b * plane;
        for (size_t i = 0; i < plane; i++)
            d[i] = (float)(wr * r[i] + wg * g[i] + wb * bl[i]);
    }
    *out = t;
    return VN_OK;
}

VN_API vn_status vn_image_to_gray(const vn_tensor *src, vn_gray method, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "to_gray: NULL argument");
    if (method != VN_GRAY_BT601 && method != VN_GRAY_REC709)
        return vn__error(VN_ERR_INVALID_ARG, "to_gray: unknown method %d", (int)method);
    if (src->dtype == VN_U8)
        return gray_u8(src, method, out);
    if (src->dtype == VN_F32)
        return gray_f32(src, method, out);
    return vn__error(VN_ERR_SHAPE, "to_gray: %s tensors are not images (u8 [H,W,C] or f32 [C,H,W])",
                     vn_dtype_name(src->dtype));
}
