/*
 * geometry.c - crop, centre crop and flips of [H,W,C] (or [H,W]) tensors
 * of any dtype. These only move elements, so they are exact for every
 * dtype; each returns a new tensor with the input's number of dimensions.
 *
 * vn_image_center_crop follows torchvision's center_crop (0.14): the
 * offsets are round((H - h) / 2) and round((W - w) / 2) with Python's
 * round-half-to-even, and an axis where the crop is larger than the image
 * is first padded with zeros, floor(excess / 2) before and the rest after.
 */
#include "image/image_internal.h"

#include <string.h>

static vn_status image_dims(const char *what, const vn_tensor *src, int64_t *h, int64_t *w, int64_t *c)
{
    char sbuf[96];
    if (!vn__image_hwc(src, h, w, c))
        return vn__error(VN_ERR_SHAPE, "%s: image shape %s is not [H,W,C] or [H,W]", what,
                         vn__shape_str(src, sbuf, sizeof sbuf));
    return VN_OK;
}

/* A new zero-filled image like src with h rows and w columns. */
static vn_status new_like(const vn_tensor *src, int64_t h, int64_t w, int64_t c, vn_tensor **out)
{
    int64_t shape[3] = {h, w, c};
    return vn_tensor_create(src->dtype, src->ndim, shape, out);
}

/* Copy the h x w window of src at (top, left) into dst at (dtop, dleft);
 * both windows lie inside their images. */
static void copy_window(const vn_tensor *src, int64_t top, int64_t left, vn_tensor *dst, int64_t dtop,
                        int64_t dleft, int64_t h, int64_t w, int64_t c)
{
    size_t es = vn_dtype_size(src->dtype);
    size_t pix = (size_t)c * es;
    size_t sstep = (size_t)src->shape[1] * pix, dstep = (size_t)dst->shape[1] * pix;
    const uint8_t *s = (const uint8_t *)src->data + (size_t)top * sstep + (size_t)left * pix;
    uint8_t *d = (uint8_t *)dst->data + (size_t)dtop * dstep + (size_t)dleft * pix;
    for (int64_t y = 0; y < h; y++)
        memcpy(d + (size_t)y * dstep, s + (size_t)y * sstep, (size_t)w * pix);
}

VN_API vn_status vn_image_crop(const vn_tensor *src, int top, int left, int h, int w, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "crop: NULL argument");
    int64_t H = 0, W = 0, C = 0;
    VN_TRY(image_dims("crop", src, &H, &W, &C));
    if (top < 0 || left < 0 || h < 0 || w < 0 || (int64_t)top + h > H || (int64_t)left + w > W)
        return vn__error(VN_ERR_INVALID_ARG,
                         "crop: rows %d..%d, columns %d..%d do not lie inside a %lldx%lld image", top,
                         top + h - 1, left, left + w - 1, (long long)H, (long long)W);
    vn_tensor *t = NULL;
    VN_TRY(new_like(src, h, w, C, &t));
    copy_window(src, top, left, t, 0, 0, h, w, C);
    *out = t;
    return VN_OK;
}

/* Python's round((size - crop) / 2) for size >= crop: half to even. */
static int64_t center_offset(int64_t size, int64_t crop)
{
    int64_t d = size - crop;
    int64_t k = d / 2;
    if (d % 2 == 0)
        return k;
    return (k % 2 == 0) ? k : k + 1; /* k + 0.5 rounds to the even one */
}

VN_API vn_status vn_image_center_crop(const vn_tensor *src, int h, int w, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "center_crop: NULL argument");
    if (h < 0 || w < 0)
        return vn__error(VN_ERR_INVALID_ARG, "center_crop: size %dx%d is negative", h, w);
    int64_t H = 0, W = 0, C = 0;
    VN_TRY(image_dims("center_crop", src, &H, &W, &C));
    /* Offsets of the crop in source coordinates; negative when padded. */
    int64_t top = h > H ? -((h - H) / 2) : center_offset(H, h);
    int64_t left = w > W ? -((w - W) / 2) : center_offset(W, w);
    vn_tensor *t = NULL;
    VN_TRY(new_like(src, h, w, C, &t));
    int64_t y0 = VN_MAX(top, 0), x0 = VN_MAX(left, 0);
    int64_t y1 = VN_MIN(top + h, H), x1 = VN_MIN(left + w, W);
    if (y1 > y0 && x1 > x0)
        copy_window(src, y0, x0, t, y0 - top, x0 - left, y1 - y0, x1 - x0, C);
    *out = t;
    return VN_OK;
}

VN_API vn_status vn_image_flip(const vn_tensor *src, vn_flip direction, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "flip: NULL argument");
    if (direction != VN_FLIP_HORIZONTAL && direction != VN_FLIP_VERTICAL && direction != VN_FLIP_BOTH)
        return vn__error(VN_ERR_INVALID_ARG, "flip: unknown direction %d", (int)direction);
    int64_t H = 0, W = 0, C = 0;
    VN_TRY(image_dims("flip", src, &H, &W, &C));
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_empty(src->dtype, src->ndim, src->shape, &t));
    size_t pix = (size_t)C * vn_dtype_size(src->dtype);
    size_t step = (size_t)W * pix;
    bool hor = direction & VN_FLIP_HORIZONTAL, ver = direction & VN_FLIP_VERTICAL;
    for (int64_t y = 0; y < H; y++) {
        const uint8_t *s = (const uint8_t *)src->data + (size_t)(ver ? H - 1 - y : y) * step;
        uint8_t *d = (uint8_t *)t->data + (size_t)y * step;
        if (!hor) {
            memcpy(d, s, step);
            continue;
        }
        if (pix == 1) {
            for (int64_t x = 0; x < W; x++)
                d[x] = s[W - 1 - x];
        } else {
            for (int64_t x = 0; x < W; x++)
                memcpy(d + (size_t)x * pix, s + (size_t)(W - 1 - x) * pix, pix);
        }
    }
    *out = t;
    return VN_OK;
}
