/*
 * image_internal.h - what the preprocessing files of the image layer share:
 * reading an image tensor's layout, and the two resize engines behind
 * vn_image_resize (resize_opencv.c for u8 images, resize_torch.c for f32
 * network tensors).
 */
#ifndef VN_IMAGE_INTERNAL_H
#define VN_IMAGE_INTERNAL_H

#include "tensor/tensor_internal.h"
#include <visionnet/image.h>

/* Height, width and channels of an [H,W,C] (or [H,W], one channel) tensor
 * of any dtype. false when the tensor has another number of dimensions. */
static inline bool vn__image_hwc(const vn_tensor *t, int64_t *h, int64_t *w, int64_t *c)
{
    if (t->ndim != 2 && t->ndim != 3)
        return false;
    *h = t->shape[0];
    *w = t->shape[1];
    *c = t->ndim == 3 ? t->shape[2] : 1;
    return true;
}

/*
 * Resize one u8 image held as rows of sw*cn interleaved samples into a
 * caller-allocated dh x dw x cn buffer, as OpenCV 4.6's cv::resize does
 * (interp: any vn_interp). Sizes are >= 1 and sw*cn, dw*cn fit in an int.
 * Fails only with VN_ERR_NOMEM (scratch buffers).
 */
vn_status vn__resize_u8_opencv(const uint8_t *src, int sh, int sw, int cn, uint8_t *dst, int dh,
                               int dw, vn_interp interp);

/*
 * Resize `planes` contiguous f32 planes of sh x sw into planes of dh x dw,
 * as PyTorch's F.interpolate(align_corners=False, antialias=False) does for
 * nearest / bilinear / bicubic, and as F.adaptive_avg_pool2d for area.
 * Fails only with VN_ERR_NOMEM.
 */
vn_status vn__resize_f32_torch(const float *src, size_t planes, int sh, int sw, float *dst, int dh,
                               int dw, vn_interp interp);

/* OpenCV's borderInterpolate for one index, in closed form (OpenCV loops,
 * which takes time proportional to the distance): the source index that
 * index p of an axis of length len reads under `border`, or -1 for "the
 * fill" (VN_BORDER_CONSTANT outside). Shared by the warps of the image and
 * augment layers. */
static inline int64_t vn__border_index(int64_t p, int64_t len, vn_border border)
{
    if (p >= 0 && p < len)
        return p;
    switch (border) {
    case VN_BORDER_REPLICATE:
        return p < 0 ? 0 : len - 1;
    case VN_BORDER_REFLECT: {
        if (len == 1)
            return 0;
        int64_t period = 2 * (len - 1);
        int64_t q = p % period;
        if (q < 0)
            q += period;
        return q < len ? q : period - q;
    }
    default:
        return -1;
    }
}

#endif /* VN_IMAGE_INTERNAL_H */
