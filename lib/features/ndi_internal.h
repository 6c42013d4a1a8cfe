/*
 * ndi_internal.h - scipy.ndimage-style filters on double images, for the
 * edge and corner functions that reproduce scikit-image (which filters
 * through scipy.ndimage): 1-D correlation along an axis with scipy's
 * border modes, the Gaussian of gaussian_filter (truncate 4) and the
 * unnormalised Sobel of ndimage.sobel. Images are h x w row-major doubles.
 */
#ifndef VN_NDI_INTERNAL_H
#define VN_NDI_INTERNAL_H

#include "tensor/tensor_internal.h"
#include <visionnet/features.h>

typedef enum ndi_mode {
    NDI_REFLECT = 0,   /* scipy 'reflect': d c b a | a b c d | d c b a */
    NDI_CONSTANT = 1   /* scipy 'constant' with cval 0 */
} ndi_mode;

/* A grey image (u8 [H,W] / [H,W,1] as value / 255, f32 as is) as a new
 * vn__malloc'ed double array; `what` names the caller in messages. */
vn_status vn__ndi_load_gray(const char *what, const vn_tensor *image, double **out, int *h,
                            int *w);

/* dst = src correlated with k (klen odd, centred) along axis 0 (down the
 * rows) or 1 (along a row). dst may not alias src. */
void vn__ndi_correlate1d(const double *src, double *dst, int h, int w, int axis, const double *k,
                         int klen, ndi_mode mode);

/* scipy.ndimage.gaussian_filter(src, sigma, mode=mode, truncate=4.0) into
 * dst; tmp is h*w doubles of scratch. sigma 0 copies. */
vn_status vn__ndi_gaussian(const double *src, double *dst, double *tmp, int h, int w, double sigma,
                           ndi_mode mode);

/* scipy.ndimage.sobel(src, axis, mode): [-1 0 1] along axis, [1 2 1]
 * across it. tmp is h*w doubles of scratch. */
void vn__ndi_sobel(const double *src, double *dst, double *tmp, int h, int w, int axis,
                   ndi_mode mode);

/* A new f32 [h, w] tensor holding src. */
vn_status vn__ndi_to_tensor(const double *src, int h, int w, vn_tensor **out);

#endif
