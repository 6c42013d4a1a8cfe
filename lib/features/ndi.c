/*
 * ndi.c - the few scipy.ndimage filters that scikit-image's edge and
 * corner functions are made of (scipy 1.10, ndimage/_filters.py and
 * ni_filters.c): correlate1d with the 'reflect' and 'constant' borders,
 * gaussian_filter (weights exp(-x^2 / 2 sigma^2) for |x| <= int(4 sigma +
 * 0.5), normalised to sum 1, applied axis by axis) and sobel. Computed in
 * double as scipy does for float64 images, so results agree with
 * skimage's to rounding.
 */
#include "features/ndi_internal.h"

#include <math.h>
#include <string.h>

vn_status vn__ndi_load_gray(const char *what, const vn_tensor *image, double **out, int *h, int *w)
{
    if (!image)
        return vn__error(VN_ERR_INVALID_ARG, "%s: image is NULL", what);
    if (!(image->ndim == 2 || (image->ndim == 3 && image->shape[2] == 1)))
        return vn__error(VN_ERR_SHAPE, "%s: image must be grey, [H,W] or [H,W,1]", what);
    if (image->dtype != VN_U8 && image->dtype != VN_F32)
        return vn__error(VN_ERR_SHAPE, "%s: image is %s, expected u8 or f32", what,
                         vn_dtype_name(image->dtype));
    int64_t hh = image->shape[0], ww = image->shape[1];
    if (hh < 1 || ww < 1 || hh > 1 << 20 || ww > 1 << 20)
        return vn__error(VN_ERR_SHAPE, "%s: image is %lldx%lld pixels", what, (long long)ww,
                         (long long)hh);
    size_t n = (size_t)hh * (size_t)ww;
    double *d = vn__malloc(n * sizeof(double));
    if (!d)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory for a %lldx%lld image", what,
                         (long long)ww, (long long)hh);
    if (image->dtype == VN_U8) {
        const uint8_t *p = image->data;
        for (size_t i = 0; i < n; i++)
            d[i] = p[i] / 255.0;
    } else {
        const float *p = image->data;
        for (size_t i = 0; i < n; i++)
            d[i] = p[i];
    }
    *out = d;
    *h = (int)hh;
    *w = (int)ww;
    return VN_OK;
}

/* scipy's 'reflect' (half-sample symmetric) index; -1 for 'constant' outside. */
static inline int border(int p, int len, ndi_mode mode)
{
    if (p >= 0 && p < len)
        return p;
    if (mode == NDI_CONSTANT)
        return -1;
    int period = 2 * len;
    int q = p % period;
    if (q < 0)
        q += period;
    return q < len ? q : period - 1 - q;
}

void vn__ndi_correlate1d(const double *src, double *dst, int h, int w, int axis, const double *k,
                         int klen, ndi_mode mode)
{
    int r = klen / 2;
    int len = axis == 0 ? h : w;
    size_t step = axis == 0 ? (size_t)w : 1;
    int lines = axis == 0 ? w : h;
    size_t line_step = axis == 0 ? 1 : (size_t)w;
    for (int l = 0; l < lines; l++) {
        const double *s = src + (size_t)l * line_step;
        double *d = dst + (size_t)l * line_step;
        for (int i = 0; i < len; i++) {
            double acc = 0;
            for (int t = -r; t <= r; t++) {
                int p = border(i + t, len, mode);
                if (p >= 0)
                    acc += k[t + r] * s[(size_t)p * step];
            }
            d[(size_t)i * step] = acc;
        }
    }
}

vn_status vn__ndi_gaussian(const double *src, double *dst, double *tmp, int h, int w, double sigma,
                           ndi_mode mode)
{
    if (sigma <= 0) {
        memcpy(dst, src, (size_t)h * w * sizeof(double));
        return VN_OK;
    }
    int r = (int)(4.0 * sigma + 0.5);
    double *k = vn__malloc((size_t)(2 * r + 1) * sizeof(double));
    if (!k)
        return vn__error(VN_ERR_NOMEM, "gaussian: out of memory for a kernel of radius %d", r);
    double sum = 0;
    for (int t = -r; t <= r; t++) {
        k[t + r] = exp(-0.5 / (sigma * sigma) * t * t);
        sum += k[t + r];
    }
    for (int t = 0; t <= 2 * r; t++)
        k[t] /= sum;
    vn__ndi_correlate1d(src, tmp, h, w, 0, k, 2 * r + 1, mode);
    vn__ndi_correlate1d(tmp, dst, h, w, 1, k, 2 * r + 1, mode);
    vn__free(k);
    return VN_OK;
}

void vn__ndi_sobel(const double *src, double *dst, double *tmp, int h, int w, int axis,
                   ndi_mode mode)
{
    static const double diff[3] = {-1, 0, 1}, smooth[3] = {1, 2, 1};
    vn__ndi_correlate1d(src, tmp, h, w, axis, diff, 3, mode);
    vn__ndi_correlate1d(tmp, dst, h, w, 1 - axis, smooth, 3, mode);
}

vn_status vn__ndi_to_tensor(const double *src, int h, int w, vn_tensor **out)
{
    int64_t shape[2] = {h, w};
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_empty(VN_F32, 2, shape, &t));
    float *d = t->data;
    for (size_t i = 0; i < (size_t)h * w; i++)
        d[i] = (float)src[i];
    *out = t;
    return VN_OK;
}
