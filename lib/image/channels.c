/*
 * channels.c - vn_image_convert_channels: change the channel count of an
 * [H,W,C] image between 1 (grey), 2 (grey+alpha), 3 (RGB) and 4 (RGBA).
 *
 * The rules (image.h, vn_decode_options.channels):
 * - grey -> colour replicates the grey level into R, G and B;
 * - colour -> grey uses BT.601 in OpenCV's fixed point (color_internal.h),
 *   so the result equals cv2.cvtColor(img, cv2.COLOR_RGB2GRAY);
 * - a missing alpha becomes opaque (the largest sample value);
 * - a dropped alpha is discarded, nothing is composited over a background.
 *
 * u8 images are the documented case. i32 images holding 16-bit samples
 * (what decoders return with keep_16bit) are accepted too, with 65535 as
 * opaque, so that the registry can honour opts->channels for them. A 2-D
 * [H,W] tensor counts as one channel. The result is always [H,W,C], a new
 * tensor even when the count does not change.
 */
#include "image/color_internal.h"
#include "tensor/tensor_internal.h"

#include <visionnet/image.h>
#include <string.h>

/* One pixel's samples as 32-bit values, whatever the dtype. */
static inline uint32_t sample_at(const void *data, vn_dtype dtype, size_t i)
{
    if (dtype == VN_U8)
        return ((const uint8_t *)data)[i];
    int32_t v = ((const int32_t *)data)[i];
    return v < 0 ? 0u : v > 65535 ? 65535u : (uint32_t)v;
}

static inline void sample_put(void *data, vn_dtype dtype, size_t i, uint32_t v)
{
    if (dtype == VN_U8)
        ((uint8_t *)data)[i] = (uint8_t)v;
    else
        ((int32_t *)data)[i] = (int32_t)v;
}

static inline uint32_t gray_of(uint32_t r, uint32_t g, uint32_t b, vn_dtype dtype)
{
    if (dtype == VN_U8)
        return vn__gray_bt601_u8((uint8_t)r, (uint8_t)g, (uint8_t)b);
    return vn__gray_bt601_u16((uint16_t)r, (uint16_t)g, (uint16_t)b);
}

VN_API vn_status vn_image_convert_channels(const vn_tensor *src, int channels, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_convert_channels: NULL argument");
    if (channels < 1 || channels > 4)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_image_convert_channels: channels is %d, expected 1..4", channels);
    if (src->dtype != VN_U8 && src->dtype != VN_I32)
        return vn__error(VN_ERR_SHAPE, "vn_image_convert_channels: image is %s, expected u8 (or i32 16-bit samples)",
                         vn_dtype_name(src->dtype));
    if (src->ndim != 2 && src->ndim != 3) {
        char buf[96];
        return vn__error(VN_ERR_SHAPE, "vn_image_convert_channels: image shape %s is not [H,W,C] or [H,W]",
                         vn__shape_str(src, buf, sizeof buf));
    }
    int in_c = src->ndim == 3 ? (int)src->shape[2] : 1;
    if (in_c < 1 || in_c > 4)
        return vn__error(VN_ERR_SHAPE, "vn_image_convert_channels: image has %d channels, expected 1..4",
                         in_c);

    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_new3(src->dtype, src->shape[0], src->shape[1], channels, &t));
    size_t npix = (size_t)src->shape[0] * (size_t)src->shape[1];
    vn_dtype dt = src->dtype;
    const void *s = src->data;
    void *d = t->data;
    const uint32_t opaque = dt == VN_U8 ? 255u : 65535u;

    if (in_c == channels) {
        memcpy(d, s, vn_tensor_nbytes(src));
        *out = t;
        return VN_OK;
    }
    for (size_t p = 0; p < npix; p++) {
        const size_t si = p * (size_t)in_c, di = p * (size_t)channels;
        uint32_t r, g, b, a;
        if (in_c <= 2) {
            r = g = b = sample_at(s, dt, si);
            a = in_c == 2 ? sample_at(s, dt, si + 1) : opaque;
        } else {
            r = sample_at(s, dt, si);
            g = sample_at(s, dt, si + 1);
            b = sample_at(s, dt, si + 2);
            a = in_c == 4 ? sample_at(s, dt, si + 3) : opaque;
        }
        if (channels <= 2) {
            /* A grey source keeps its level exactly; only colour is weighted. */
            sample_put(d, dt, di, in_c <= 2 ? r : gray_of(r, g, b, dt));
            if (channels == 2)
                sample_put(d, dt, di + 1, a);
        } else {
            sample_put(d, dt, di, r);
            sample_put(d, dt, di + 1, g);
            sample_put(d, dt, di + 2, b);
            if (channels == 4)
                sample_put(d, dt, di + 3, a);
        }
    }
    *out = t;
    return VN_OK;
}
