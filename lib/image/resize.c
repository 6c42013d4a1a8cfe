/*
 * resize.c - vn_image_resize: checks the arguments and picks the engine.
 *
 * u8 [H,W,C] / [H,W] images go to resize_opencv.c (cv2.resize semantics,
 * what image pipelines expect); f32 [H,W] / [C,H,W] / [N,C,H,W] tensors to
 * resize_torch.c (F.interpolate semantics, what network code expects).
 * The result keeps the input's layout with H and W replaced.
 */
#include "image/image_internal.h"

#include <limits.h>

/* Sizes are kept in int inside the engines; a row of samples must fit. */
#define RESIZE_MAX_ROW (INT_MAX / 8)

VN_API vn_status vn_image_resize(const vn_tensor *src, int out_h, int out_w, vn_interp interp,
                                 vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "resize: NULL argument");
    if (out_h < 1 || out_w < 1)
        return vn__error(VN_ERR_INVALID_ARG, "resize: output size %dx%d is not positive", out_h, out_w);
    if ((int)interp < VN_INTERP_NEAREST || (int)interp > VN_INTERP_BICUBIC)
        return vn__error(VN_ERR_INVALID_ARG, "resize: unknown interpolation %d", (int)interp);
    char sbuf[96];
    int64_t shape[VN_MAX_DIMS];
    for (int i = 0; i < src->ndim; i++)
        shape[i] = src->shape[i];

    if (src->dtype == VN_U8) {
        int64_t h, w, c;
        if (!vn__image_hwc(src, &h, &w, &c))
            return vn__error(VN_ERR_SHAPE, "resize: u8 image shape %s is not [H,W,C] or [H,W]",
                             vn__shape_str(src, sbuf, sizeof sbuf));
        if (h < 1 || w < 1 || c < 1)
            return vn__error(VN_ERR_SHAPE, "resize: image %s is empty", vn__shape_str(src, sbuf, sizeof sbuf));
        if (h > INT_MAX || w * c > RESIZE_MAX_ROW || (int64_t)out_w * c > RESIZE_MAX_ROW)
            return vn__error(VN_ERR_LIMIT, "resize: image rows are too long");
        shape[0] = out_h;
        shape[1] = out_w;
        vn_tensor *t = NULL;
        VN_TRY(vn__tensor_empty(VN_U8, src->ndim, shape, &t));
        vn_status s = vn__resize_u8_opencv(src->data, (int)h, (int)w, (int)c, t->data, out_h, out_w, interp);
        if (s != VN_OK) {
            vn_tensor_destroy(t);
            return s;
        }
        *out = t;
        return VN_OK;
    }
    if (src->dtype == VN_F32) {
        if (src->ndim < 2 || src->ndim > 4)
            return vn__error(VN_ERR_SHAPE, "resize: f32 tensor shape %s is not [C,H,W], [N,C,H,W] or [H,W]",
                             vn__shape_str(src, sbuf, sizeof sbuf));
        int nd = src->ndim;
        int64_t h = src->shape[nd - 2], w = src->shape[nd - 1];
        if (h < 1 || w < 1)
            return vn__error(VN_ERR_SHAPE, "resize: tensor %s has an empty plane",
                             vn__shape_str(src, sbuf, sizeof sbuf));
        if (h > INT_MAX || w > RESIZE_MAX_ROW)
            return vn__error(VN_ERR_LIMIT, "resize: planes are too large");
        size_t planes = src->numel / (size_t)(h * w);
        shape[nd - 2] = out_h;
        shape[nd - 1] = out_w;
        vn_tensor *t = NULL;
        VN_TRY(vn__tensor_empty(VN_F32, nd, shape, &t));
        vn_status s = vn__resize_f32_torch(src->data, planes, (int)h, (int)w, t->data, out_h, out_w, interp);
        if (s != VN_OK) {
            vn_tensor_destroy(t);
            return s;
        }
        *out = t;
        return VN_OK;
    }
    return vn__error(VN_ERR_SHAPE, "resize: %s tensors are not images (u8 [H,W,C] or f32 [N,C,H,W])",
                     vn_dtype_name(src->dtype));
}
