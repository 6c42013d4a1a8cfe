/*
 * edges.c - Sobel gradients and the Canny edge detector, as scikit-image
 * 0.19 computes them (skimage/filters/edges.py, skimage/feature/_canny.py).
 *
 * Sobel. The derivative along x is the image convolved with [1 0 -1]
 * across (a convolution flips it: I(x+1) - I(x-1)) times [1 2 1]/4 down;
 * along y likewise transposed; the border mirrors the image with the edge
 * pixel repeated (scipy's 'reflect'). The magnitude is skimage's
 * sqrt((gx^2 + gy^2) / 2), the orientation atan2(gy, gx).
 *
 * Canny (J. Canny, "A Computational Approach to Edge Detection", IEEE
 * PAMI 8(6), 1986), step by step as skimage.feature.canny without a mask:
 * 1. smooth with a Gaussian (zero padding, then divided by the Gaussian of
 *    an all-ones image, so the border is not darkened);
 * 2. gradients by the unnormalised Sobel (scipy.ndimage.sobel, 'reflect'),
 *    magnitude hypot(gy, gx);
 * 3. non-maximum suppression: a pixel stays if its magnitude is >= the
 *    magnitude interpolated at the two points one step along and against
 *    the gradient (between the two neighbours that bracket the gradient
 *    direction, weighted by |gx|/|gy| or its inverse); pixels on the outer
 *    ring and pixels of magnitude 0 never stay;
 * 4. hysteresis: keep the 8-connected groups of surviving pixels >= low
 *    that contain at least one pixel >= high.
 * skimage classifies a pixel into four direction cases that overlap on
 * the diagonals and axes and lets the last case win; the code below keeps
 * that order so the same pixels survive.
 */
#include "features/ndi_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

vn_status vn_sobel(const vn_tensor *image, vn_sobel_output what, vn_tensor **out)
{
    VN_CHECK_ARG(out, "out is NULL");
    if (what < VN_SOBEL_GX || what > VN_SOBEL_ORIENTATION)
        return vn__error(VN_ERR_INVALID_ARG, "sobel: unknown output %d", (int)what);
    double *img = NULL;
    int h, w;
    VN_TRY(vn__ndi_load_gray("sobel", image, &img, &h, &w));
    size_t n = (size_t)h * w;
    double *buf = vn__malloc(3 * n * sizeof(double));
    if (!buf) {
        vn__free(img);
        return vn__error(VN_ERR_NOMEM, "sobel: out of memory");
    }
    double *gx = buf, *gy = buf + n, *tmp = buf + 2 * n;
    static const double diff[3] = {-1, 0, 1}, smooth[3] = {0.25, 0.5, 0.25};
    if (what != VN_SOBEL_GY) {
        vn__ndi_correlate1d(img, tmp, h, w, 1, diff, 3, NDI_REFLECT);
        vn__ndi_correlate1d(tmp, gx, h, w, 0, smooth, 3, NDI_REFLECT);
    }
    if (what != VN_SOBEL_GX) {
        vn__ndi_correlate1d(img, tmp, h, w, 0, diff, 3, NDI_REFLECT);
        vn__ndi_correlate1d(tmp, gy, h, w, 1, smooth, 3, NDI_REFLECT);
    }
    double *res = what == VN_SOBEL_GY ? gy : gx;
    if (what == VN_SOBEL_MAGNITUDE)
        for (size_t i = 0; i < n; i++)
            res[i] = sqrt((gx[i] * gx[i] + gy[i] * gy[i]) / 2);
    else if (what == VN_SOBEL_ORIENTATION)
        for (size_t i = 0; i < n; i++)
            res[i] = atan2(gy[i], gx[i]);
    vn_status s = vn__ndi_to_tensor(res, h, w, out);
    vn__free(buf);
    vn__free(img);
    return s;
}

/* ---- Canny ------------------------------------------------------------------ */

/* Non-maximum suppression, skimage's _get_local_maxima; isob = d/drow,
 * jsob = d/dcol. */
static void local_maxima(const double *isob, const double *jsob, const double *mag, int h, int w,
                         uint8_t *out)
{
    memset(out, 0, (size_t)h * w);
    for (int i = 1; i < h - 1; i++)
        for (int j = 1; j < w - 1; j++) {
            size_t p = (size_t)i * w + j;
            double m = mag[p];
            if (!(m > 0))
                continue;
            double ai = fabs(isob[p]), aj = fabs(jsob[p]);
            bool horiz = ai >= aj, vert = ai <= aj;
            bool up = isob[p] >= 0, down = isob[p] <= 0, right = jsob[p] >= 0, left = jsob[p] <= 0;
            bool diag = (up && right) || (down && left);
            bool anti = (down && right) || (up && left);
#define MAG(r, c) mag[(size_t)(r) * w + (c)]
            if (diag && horiz) {
                double wt = aj / ai;
                bool plus = MAG(i + 1, j + 1) * wt + MAG(i + 1, j) * (1 - wt) <= m;
                bool minus = MAG(i - 1, j - 1) * wt + MAG(i - 1, j) * (1 - wt) <= m;
                out[p] = plus && minus;
            }
            if (diag && vert) {
                double wt = ai / aj;
                bool plus = MAG(i + 1, j + 1) * wt + MAG(i, j + 1) * (1 - wt) <= m;
                bool minus = MAG(i - 1, j - 1) * wt + MAG(i, j - 1) * (1 - wt) <= m;
                out[p] = plus && minus;
            }
            if (anti && vert) {
                double wt = ai / aj;
                bool plus = MAG(i - 1, j + 1) * wt + MAG(i, j + 1) * (1 - wt) <= m;
                bool minus = MAG(i + 1, j - 1) * wt + MAG(i, j - 1) * (1 - wt) <= m;
                out[p] = plus && minus;
            }
            if (anti && horiz) {
                double wt = aj / ai;
                bool plus = MAG(i - 1, j + 1) * wt + MAG(i - 1, j) * (1 - wt) <= m;
                bool minus = MAG(i + 1, j - 1) * wt + MAG(i + 1, j) * (1 - wt) <= m;
                out[p] = plus && minus;
            }
#undef MAG
        }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.percentile(v, 100 q) with linear interpolation; sorts v. */
static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double f = pos - (double)lo;
    return v[lo] + (v[hi] - v[lo]) * f;
}

vn_status vn_canny(const vn_tensor *image, const vn_canny_options *opts, vn_tensor **out)
{
    VN_CHECK_ARG(out, "out is NULL");
    vn_canny_options def = VN_CANNY_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (opts->size < sizeof(vn_canny_options))
        return vn__error(VN_ERR_INVALID_ARG,
                         "canny: options.size is %zu, expected sizeof(vn_canny_options) = %zu",
                         opts->size, sizeof(vn_canny_options));
    if (!(opts->sigma >= 0) || !isfinite(opts->sigma))
        return vn__error(VN_ERR_INVALID_ARG, "canny: sigma is %g, must be >= 0",
                         (double)opts->sigma);
    if (image && image->dtype != VN_U8 && image->dtype != VN_F32)
        return vn__error(VN_ERR_SHAPE, "canny: image is %s, expected u8 or f32",
                         vn_dtype_name(image->dtype));
    /* skimage: thresholds are in the input's units (divided by the dtype's
     * maximum, 255 for u8) or quantiles; the defaults are 0.1 and 0.2. */
    double dtype_max = image && image->dtype == VN_U8 ? 255.0 : 1.0;
    double low = opts->low_threshold, high = opts->high_threshold;
    bool quant = opts->use_quantiles != 0;
    if (low < 0)
        low = 0.1;
    else if (!quant)
        low /= dtype_max;
    if (high < 0)
        high = 0.2;
    else if (!quant)
        high /= dtype_max;
    if (quant && (low > 1 || high > 1))
        return vn__error(VN_ERR_INVALID_ARG, "canny: quantile thresholds must be in [0, 1]");
    if (high < low)
        return vn__error(VN_ERR_INVALID_ARG, "canny: low threshold %g is above the high one %g",
                         low, high);

    double *img = NULL;
    int h, w;
    VN_TRY(vn__ndi_load_gray("canny", image, &img, &h, &w));
    size_t n = (size_t)h * w;
    double *buf = vn__malloc(5 * n * sizeof(double));
    uint8_t *lm = vn__malloc(n);
    int32_t *stack = vn__malloc(n * sizeof(int32_t));
    vn_tensor *res = NULL;
    vn_status s = VN_OK;
    if (!buf || !lm || !stack) {
        s = vn__error(VN_ERR_NOMEM, "canny: out of memory for a %dx%d image", w, h);
        goto done;
    }
    double *sm = buf, *tmp = buf + n, *bleed = buf + 2 * n, *isob = buf + 3 * n,
           *jsob = buf + 4 * n;
    /* 1. Gaussian with zero padding, renormalised by the blurred ones. */
    if ((s = vn__ndi_gaussian(img, sm, tmp, h, w, opts->sigma, NDI_CONSTANT)) != VN_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        isob[i] = 1.0;
    if ((s = vn__ndi_gaussian(isob, bleed, tmp, h, w, opts->sigma, NDI_CONSTANT)) != VN_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        sm[i] /= bleed[i] + 2.220446049250313e-16;
    /* 2. Gradients; the magnitude goes into bleed. */
    vn__ndi_sobel(sm, jsob, tmp, h, w, 1, NDI_REFLECT);
    vn__ndi_sobel(sm, isob, tmp, h, w, 0, NDI_REFLECT);
    double *mag = bleed;
    for (size_t i = 0; i < n; i++)
        mag[i] = hypot(isob[i], jsob[i]);
    if (quant) {
        memcpy(tmp, mag, n * sizeof(double));
        double l = quantile(tmp, n, low), hq = quantile(tmp, n, high);
        low = l;
        high = hq;
    }
    /* 3. Thin. */
    local_maxima(isob, jsob, mag, h, w, lm);
    /* 4. Hysteresis: flood from the strong pixels through the weak ones. */
    int64_t shape[2] = {h, w};
    if ((s = vn_tensor_create(VN_U8, 2, shape, &res)) != VN_OK)
        goto done;
    uint8_t *e = res->data;
    size_t top = 0;
    for (size_t p = 0; p < n; p++)
        if (lm[p] && mag[p] >= high && mag[p] >= low && !e[p]) {
            e[p] = 1;
            stack[top++] = (int32_t)p;
            while (top) {
                int32_t q = stack[--top];
                int qi = q / w, qj = q % w;
                for (int di = -1; di <= 1; di++)
                    for (int dj = -1; dj <= 1; dj++) {
                        int ri = qi + di, rj = qj + dj;
                        if (ri < 0 || ri >= h || rj < 0 || rj >= w)
                            continue;
                        size_t r = (size_t)ri * w + rj;
                        if (!e[r] && lm[r] && mag[r] >= low) {
                            e[r] = 1;
                            stack[top++] = (int32_t)r;
                        }
                    }
            }
        }
    *out = res;
    res = NULL;
done:
    vn_tensor_destroy(res);
    vn__free(stack);
    vn__free(lm);
    vn__free(buf);
    vn__free(img);
    return s;
}
