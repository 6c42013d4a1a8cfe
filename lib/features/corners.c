/*
 * corners.c - Harris and Shi-Tomasi corner responses and corner peak
 * picking, as scikit-image 0.19 (skimage/feature/corner.py, peak.py,
 * _shared/coord.py).
 *
 * The structure tensor of an image I is
 *     A = G_sigma * [ Ir*Ir  Ir*Ic ]
 *                   [ Ir*Ic  Ic*Ic ]
 * with Ir, Ic the unnormalised Sobel derivatives down the rows and along
 * the columns (scipy.ndimage.sobel, zero padding) and G_sigma a Gaussian
 * (zero padding, truncated at 4 sigma). Its eigenvalues are large in both
 * directions at a corner, in one along an edge. Harris (C. Harris and M.
 * Stephens, "A Combined Corner and Edge Detector", Alvey 1988) scores
 * det(A) - k trace(A)^2, or Noble's 2 det(A) / (trace(A) + eps);
 * Shi-Tomasi (J. Shi and C. Tomasi, "Good Features to Track", CVPR 1994)
 * scores the smaller eigenvalue, (Arr + Acc - sqrt((Arr - Acc)^2 + 4
 * Arc^2)) / 2.
 *
 * Peaks (skimage.feature.corner_peaks): pixels equal to the maximum over a
 * (2 d + 1)^2 window (outside the image counts as 0), above the
 * threshold, away from the border; sorted strongest first (ties in raster
 * order); then thinned greedily twice as skimage does, first dropping
 * peaks closer than d (Chebyshev) to a kept one (ensure_spacing), then
 * those at d or closer (corner_peaks' own pass).
 */
#include "features/ndi_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The three smoothed products Arr, Arc, Acc, each h*w, in one buffer of
 * 3 h w doubles the caller frees. */
static vn_status structure_tensor(const char *what, const vn_tensor *image, float sigma,
                                  double **out, int *h, int *w)
{
    if (!(sigma >= 0) || !isfinite(sigma))
        return vn__error(VN_ERR_INVALID_ARG, "%s: sigma is %g, must be >= 0", what,
                         (double)sigma);
    double *img = NULL;
    VN_TRY(vn__ndi_load_gray(what, image, &img, h, w));
    size_t n = (size_t)*h * *w;
    double *buf = vn__malloc(7 * n * sizeof(double));
    if (!buf) {
        vn__free(img);
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", what);
    }
    double *A = buf, *ir = buf + 3 * n, *ic = buf + 4 * n, *tmp = buf + 5 * n, *prod = buf + 6 * n;
    vn__ndi_sobel(img, ir, tmp, *h, *w, 0, NDI_CONSTANT);
    vn__ndi_sobel(img, ic, tmp, *h, *w, 1, NDI_CONSTANT);
    const double *f[3][2] = {{ir, ir}, {ir, ic}, {ic, ic}};
    vn_status s = VN_OK;
    for (int e = 0; e < 3 && s == VN_OK; e++) {
        for (size_t i = 0; i < n; i++)
            prod[i] = f[e][0][i] * f[e][1][i];
        s = vn__ndi_gaussian(prod, A + e * n, tmp, *h, *w, sigma, NDI_CONSTANT);
    }
    vn__free(img);
    if (s != VN_OK) {
        vn__free(buf);
        return s;
    }
    *out = buf;
    return VN_OK;
}

vn_status vn_corner_harris(const vn_tensor *image, vn_harris_method method, float k, float sigma,
                           vn_tensor **out)
{
    VN_CHECK_ARG(out, "out is NULL");
    if (method != VN_HARRIS_K && method != VN_HARRIS_EPS)
        return vn__error(VN_ERR_INVALID_ARG, "harris: unknown method %d", (int)method);
    if (!isfinite(k))
        return vn__error(VN_ERR_INVALID_ARG, "harris: k is not finite");
    double *A;
    int h, w;
    VN_TRY(structure_tensor("harris", image, sigma, &A, &h, &w));
    size_t n = (size_t)h * w;
    double *rr = A, *rc = A + n, *cc = A + 2 * n, *res = A + 3 * n;
    for (size_t i = 0; i < n; i++) {
        double det = rr[i] * cc[i] - rc[i] * rc[i], tr = rr[i] + cc[i];
        res[i] = method == VN_HARRIS_K ? det - k * tr * tr : 2 * det / (tr + 1e-6);
    }
    vn_status s = vn__ndi_to_tensor(res, h, w, out);
    vn__free(A);
    return s;
}

vn_status vn_corner_shi_tomasi(const vn_tensor *image, float sigma, vn_tensor **out)
{
    VN_CHECK_ARG(out, "out is NULL");
    double *A;
    int h, w;
    VN_TRY(structure_tensor("shi-tomasi", image, sigma, &A, &h, &w));
    size_t n = (size_t)h * w;
    double *rr = A, *rc = A + n, *cc = A + 2 * n, *res = A + 3 * n;
    for (size_t i = 0; i < n; i++)
        res[i] = ((rr[i] + cc[i]) - sqrt((rr[i] - cc[i]) * (rr[i] - cc[i]) + 4 * rc[i] * rc[i])) / 2;
    vn_status s = vn__ndi_to_tensor(res, h, w, out);
    vn__free(A);
    return s;
}

/* ---- peaks ------------------------------------------------------------------ */

typedef struct peak {
    float v;
    int32_t idx;   /* raster index */
} peak;

static int cmp_peak(const void *a, const void *b)
{
    const peak *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Greedy thinning in order: keep a peak unless a kept one lies within
 * Chebyshev distance `reach` (inclusive). mark is h*w zeroed bytes. */
static int thin(peak *p, int n, int h, int w, int reach, uint8_t *mark)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        int r = p[i].idx / w, c = p[i].idx % w;
        bool near = false;
        for (int y = VN_MAX(r - reach, 0); y <= VN_MIN(r + reach, h - 1) && !near; y++)
            for (int x = VN_MAX(c - reach, 0); x <= VN_MIN(c + reach, w - 1); x++)
                if (mark[(size_t)y * w + x]) {
                    near = true;
                    break;
                }
        if (!near) {
            mark[p[i].idx] = 1;
            p[m++] = p[i];
        }
    }
    for (int i = 0; i < m; i++)
        mark[p[i].idx] = 0;
    return m;
}

vn_status vn_corner_peaks(const vn_tensor *response, const vn_corner_peaks_options *opts,
                          int *coords, int capacity, int *n_peaks)
{
    VN_CHECK_ARG(response, "response is NULL");
    VN_CHECK_ARG(n_peaks, "n_peaks is NULL");
    VN_CHECK_ARG(capacity >= 0 && (capacity == 0 || coords), "coords is NULL");
    vn_corner_peaks_options def = VN_CORNER_PEAKS_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (opts->size < sizeof(vn_corner_peaks_options))
        return vn__error(VN_ERR_INVALID_ARG, "corner peaks: options.size is %zu, expected %zu",
                         opts->size, sizeof(vn_corner_peaks_options));
    if (opts->min_distance < 0 || opts->exclude_border < -1)
        return vn__error(VN_ERR_INVALID_ARG,
                         "corner peaks: min_distance must be >= 0 and exclude_border >= -1");
    if (response->dtype != VN_F32 ||
        !(response->ndim == 2 || (response->ndim == 3 && response->shape[2] == 1)))
        return vn__error(VN_ERR_SHAPE, "corner peaks: response must be f32 [H,W]");
    const int h = (int)response->shape[0], w = (int)response->shape[1];
    const float *img = response->data;
    const size_t n = (size_t)h * w;
    const int d = opts->min_distance;
    const int bw = opts->exclude_border < 0 ? d : opts->exclude_border;
    *n_peaks = 0;
    if (n == 0)
        return VN_OK;

    float vmin = img[0], vmax = img[0];
    for (size_t i = 1; i < n; i++) {
        vmin = img[i] < vmin ? img[i] : vmin;
        vmax = img[i] > vmax ? img[i] : vmax;
    }
    double thr = opts->threshold_abs > -1e38f ? opts->threshold_abs : vmin;
    if (opts->threshold_rel >= 0)
        thr = VN_MAX(thr, (double)opts->threshold_rel * vmax);

    float *mx = vn__malloc(2 * n * sizeof(float));
    peak *pk = vn__malloc(n * sizeof(peak));
    uint8_t *mark = vn__calloc(n, 1);
    if (!mx || !pk || !mark) {
        vn__free(mx);
        vn__free(pk);
        vn__free(mark);
        return vn__error(VN_ERR_NOMEM, "corner peaks: out of memory");
    }
    /* Maximum filter, separable, outside = 0 (scipy mode='constant'). */
    float *rowmax = mx + n;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float m = -INFINITY;
            for (int t = x - d; t <= x + d; t++)
                m = fmaxf(m, t < 0 || t >= w ? 0.f : img[(size_t)y * w + t]);
            rowmax[(size_t)y * w + x] = m;
        }
    bool trivial = true;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float m = -INFINITY;
            for (int t = y - d; t <= y + d; t++)
                m = fmaxf(m, t < 0 || t >= h ? 0.f : rowmax[(size_t)t * w + x]);
            mx[(size_t)y * w + x] = m;
            trivial = trivial && img[(size_t)y * w + x] == m;
        }
    if (d == 0)
        trivial = false;   /* skimage: a 1x1 footprint is a plain threshold */
    int np = 0;
    if (!trivial)
        for (int y = bw; y < h - bw; y++)
            for (int x = bw; x < w - bw; x++) {
                size_t i = (size_t)y * w + x;
                if (img[i] == mx[i] && img[i] > thr)
                    pk[np++] = (peak){img[i], (int32_t)i};
            }
    qsort(pk, (size_t)np, sizeof *pk, cmp_peak);
    if (d > 0) {
        np = thin(pk, np, h, w, d - 1, mark);  /* ensure_spacing: distance < d */
        np = thin(pk, np, h, w, d, mark);      /* corner_peaks: distance <= d */
    }
    for (int i = 0; i < np && i < capacity; i++) {
        coords[2 * i] = pk[i].idx / w;
        coords[2 * i + 1] = pk[i].idx % w;
    }
    *n_peaks = np;
    vn__free(mx);
    vn__free(pk);
    vn__free(mark);
    return VN_OK;
}
