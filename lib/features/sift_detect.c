/*
 * sift_detect.c - keypoints from the DoG pyramid, as OpenCV 4.6's
 * findScaleSpaceExtrema / adjustLocalExtrema / calcOrientationHist
 * (modules/features2d/src/sift.simd.hpp):
 *
 * 1. Candidates: a DoG sample whose |value| exceeds
 *    floor(0.5 * contrast_threshold / L * 255) / 255 and which is >= (for a
 *    positive value; <= for a negative one) all 26 neighbours in the 3x3x3
 *    block of its level and the two levels beside it; levels 1..L, at least
 *    SIFT_IMG_BORDER pixels from the octave's edges.
 * 2. Refinement (Lowe 2004 section 4): fit a quadratic to the DoG by
 *    finite differences, D(x) ~ D + g.x + x'Hx/2, and move to its extremum
 *    x = -H^-1 g; if an offset is 0.5 or more step to the neighbouring
 *    sample and try again, at most 5 times, dropping points that wander out.
 *    Contrast: |D(x)| * L must reach contrast_threshold. Edges: with tr and
 *    det the trace and determinant of the 2x2 spatial Hessian, keep only
 *    det > 0 and tr^2 * r < (r + 1)^2 * det (r = edge_threshold).
 * 3. Orientation: a 36-bin histogram of gradient directions around the
 *    point in the Gaussian level it was found in (radius 4.5 sigma_oct,
 *    votes weighted by magnitude and a Gaussian of 1.5 sigma_oct), smoothed
 *    with [1 4 6 4 1]/16; every local peak of at least 80% of the highest
 *    gives a keypoint, its angle refined by a parabola through three bins.
 *
 * Work is split into bands of rows (per layer) run on the thread pool; each
 * band keeps its own list and the lists are joined in band order, so the
 * result does not depend on the number of threads.
 */
#include "features/sift_internal.h"

#include <string.h>

#define BAND_ROWS 32

bool vn__sift_kp_push(sift_kp_list *l, const sift_kp *kp)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        sift_kp *p = vn__realloc(l->kp, (size_t)cap * sizeof(sift_kp));
        if (!p)
            return false;
        l->kp = p;
        l->cap = cap;
    }
    l->kp[l->n++] = *kp;
    return true;
}

/* Solve H x = g for 3x3 H by Gaussian elimination with partial pivoting
 * (cv::solve DECOMP_LU); false when H is singular. */
static bool solve3(const float H[9], const float g[3], float x[3])
{
    double a[3][4];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            a[i][j] = H[3 * i + j];
        a[i][3] = g[i];
    }
    for (int c = 0; c < 3; c++) {
        int p = c;
        for (int i = c + 1; i < 3; i++)
            if (fabs(a[i][c]) > fabs(a[p][c]))
                p = i;
        if (fabs(a[p][c]) < 1e-30)
            return false;
        if (p != c)
            for (int j = 0; j < 4; j++) {
                double t = a[c][j];
                a[c][j] = a[p][j];
                a[p][j] = t;
            }
        for (int i = c + 1; i < 3; i++) {
            double f = a[i][c] / a[c][c];
            for (int j = c; j < 4; j++)
                a[i][j] -= f * a[c][j];
        }
    }
    for (int i = 2; i >= 0; i--) {
        double v = a[i][3];
        for (int j = i + 1; j < 3; j++)
            v -= a[i][j] * x[j];
        x[i] = (float)(v / a[i][i]);
    }
    return true;
}

/* Refine the extremum at (layer, r, c) of octave o; on success fill kp
 * (position, size, response, octave, layer) and update layer, r, c. */
static bool adjust_local_extremum(const vn_sift *s, int o, int *layer_io, int *r_io, int *c_io,
                                  sift_kp *kp)
{
    const int L = s->opt.octave_layers;
    const int w = s->ow[o], h = s->oh[o];
    int layer = *layer_io, r = *r_io, c = *c_io;
    float xi = 0, xr = 0, xc = 0;
    int i = 0;
    /* The image is on the [0, 1] scale: OpenCV's img_scale (1/255) is 1. */
    const float deriv_scale = 0.5f, second_scale = 1.f, cross_scale = 0.25f;
    for (; i < SIFT_MAX_INTERP_STEPS; i++) {
        const float *img = sift_dog_level(s, o, layer);
        const float *prev = img - (size_t)w * h, *next = img + (size_t)w * h;
        size_t p = (size_t)r * w + c;
        float dD[3] = {(img[p + 1] - img[p - 1]) * deriv_scale,
                       (img[p + w] - img[p - w]) * deriv_scale,
                       (next[p] - prev[p]) * deriv_scale};
        float v2 = img[p] * 2;
        float dxx = (img[p + 1] + img[p - 1] - v2) * second_scale;
        float dyy = (img[p + w] + img[p - w] - v2) * second_scale;
        float dss = (next[p] + prev[p] - v2) * second_scale;
        float dxy = (img[p + w + 1] - img[p + w - 1] - img[p - w + 1] + img[p - w - 1]) * cross_scale;
        float dxs = (next[p + 1] - next[p - 1] - prev[p + 1] + prev[p - 1]) * cross_scale;
        float dys = (next[p + w] - next[p - w] - prev[p + w] + prev[p - w]) * cross_scale;
        float H[9] = {dxx, dxy, dxs, dxy, dyy, dys, dxs, dys, dss};
        float X[3];
        if (!solve3(H, dD, X))
            X[0] = X[1] = X[2] = 0;   /* cv::solve leaves 0 on a singular matrix */
        xi = -X[2];
        xr = -X[1];
        xc = -X[0];
        if (fabsf(xi) < 0.5f && fabsf(xr) < 0.5f && fabsf(xc) < 0.5f)
            break;
        if (fabsf(xi) > (float)(INT32_MAX / 3) || fabsf(xr) > (float)(INT32_MAX / 3) ||
            fabsf(xc) > (float)(INT32_MAX / 3))
            return false;
        c += (int)lrintf(xc);
        r += (int)lrintf(xr);
        layer += (int)lrintf(xi);
        if (layer < 1 || layer > L || c < SIFT_IMG_BORDER || c >= w - SIFT_IMG_BORDER ||
            r < SIFT_IMG_BORDER || r >= h - SIFT_IMG_BORDER)
            return false;
    }
    if (i >= SIFT_MAX_INTERP_STEPS)
        return false;

    const float *img = sift_dog_level(s, o, layer);
    const float *prev = img - (size_t)w * h, *next = img + (size_t)w * h;
    size_t p = (size_t)r * w + c;
    float dD[3] = {(img[p + 1] - img[p - 1]) * deriv_scale, (img[p + w] - img[p - w]) * deriv_scale,
                   (next[p] - prev[p]) * deriv_scale};
    float t = dD[0] * xc + dD[1] * xr + dD[2] * xi;
    float contr = img[p] + t * 0.5f;
    if (fabsf(contr) * L < s->opt.contrast_threshold)
        return false;
    float v2 = img[p] * 2.f;
    float dxx = (img[p + 1] + img[p - 1] - v2) * second_scale;
    float dyy = (img[p + w] + img[p - w] - v2) * second_scale;
    float dxy = (img[p + w + 1] - img[p + w - 1] - img[p - w + 1] + img[p - w - 1]) * cross_scale;
    float tr = dxx + dyy, det = dxx * dyy - dxy * dxy;
    float et = s->opt.edge_threshold;
    if (det <= 0 || tr * tr * et >= (et + 1) * (et + 1) * det)
        return false;

    float scale = (float)(1 << o);
    kp->x = (c + xc) * scale;
    kp->y = (r + xr) * scale;
    kp->size = s->opt.sigma * powf(2.f, (layer + xi) / L) * scale * 2;
    kp->response = fabsf(contr);
    kp->octave = o;
    kp->layer = layer;
    *layer_io = layer;
    *r_io = r;
    *c_io = c;
    return true;
}

/* The smoothed 36-bin orientation histogram around (x, y) of a Gaussian
 * level; returns its maximum. work holds 4 * (2 radius + 1)^2 floats. */
VN_SIMD_CLONES static float orientation_hist(const float *img, int w, int h, int px, int py,
                                             int radius, float sigma, float *hist, float *work)
{
    const int n = SIFT_ORI_HIST_BINS;
    size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1);
    float *X = work, *Y = X + len, *W = Y + len, *Ori = W + len;
    float expf_scale = -1.f / (2.f * sigma * sigma);
    int k = 0;
    for (int i = -radius; i <= radius; i++) {
        int y = py + i;
        if (y <= 0 || y >= h - 1)
            continue;
        const float *row = img + (size_t)y * w;
        for (int j = -radius; j <= radius; j++) {
            int x = px + j;
            if (x <= 0 || x >= w - 1)
                continue;
            X[k] = row[x + 1] - row[x - 1];
            Y[k] = row[x - w] - row[x + w];
            W[k] = (float)(i * i + j * j) * expf_scale;
            k++;
        }
    }
    for (int q = 0; q < k; q++) {
        Ori[q] = vn__fast_atan2_deg(Y[q], X[q]);
        W[q] = vn__fast_exp_neg(W[q]) * sqrtf(X[q] * X[q] + Y[q] * Y[q]);
    }
    float temp[SIFT_ORI_HIST_BINS + 4] = {0};
    float *th = temp + 2;
    for (int q = 0; q < k; q++) {
        int bin = (int)lrintf((n / 360.f) * Ori[q]);
        if (bin >= n)
            bin -= n;
        if (bin < 0)
            bin += n;
        th[bin] += W[q];
    }
    th[-1] = th[n - 1];
    th[-2] = th[n - 2];
    th[n] = th[0];
    th[n + 1] = th[1];
    float maxval = 0;
    for (int i = 0; i < n; i++) {
        hist[i] = (th[i - 2] + th[i + 2]) * (1.f / 16.f) + (th[i - 1] + th[i + 1]) * (4.f / 16.f) +
                  th[i] * (6.f / 16.f);
        maxval = i == 0 || hist[i] > maxval ? hist[i] : maxval;
    }
    return maxval;
}

VN_SIMD_CLONES static void prefilter_row(const float *cur, uint8_t *flag, int c0, int c1, float thr)
{
    for (int c = c0; c < c1; c++) {
        float v = cur[c], l = cur[c - 1], r = cur[c + 1];
        flag[c] = (uint8_t)(((v > thr) & (v >= l) & (v >= r)) | ((v < -thr) & (v <= l) & (v <= r)));
    }
}

typedef struct extrema_job {
    vn_sift *s;
    int o;
    int n_bands;        /* bands per layer */
    float threshold;
    int failed;
} extrema_job;

static void extrema_task(void *arg, int task)
{
    extrema_job *j = arg;
    vn_sift *s = j->s;
    const int o = j->o, L = s->opt.octave_layers, n = SIFT_ORI_HIST_BINS;
    const int layer = 1 + task / j->n_bands, band = task % j->n_bands;
    const int w = s->ow[o], h = s->oh[o];
    const int r0 = SIFT_IMG_BORDER + band * BAND_ROWS;
    const int r1 = VN_MIN(r0 + BAND_ROWS, h - SIFT_IMG_BORDER);
    sift_kp_list *out = &s->bands[task];
    out->n = 0;
    const float *img = sift_dog_level(s, o, layer);
    const size_t plane = (size_t)w * h;
    const float thr = j->threshold;
    float hist[SIFT_ORI_HIST_BINS];

    uint8_t *flag = (uint8_t *)vn__scratch(VN__SCRATCH_COL, (size_t)w / 4 + 1);
    if (!flag) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int r = r0; r < r1; r++) {
        const float *cur = img + (size_t)r * w;
        const float *prv = cur - plane, *nxt = cur + plane;
        /* A vectorised first pass: over the threshold and an extremum of
         * its row neighbours; the full 26-neighbour test runs on those. */
        prefilter_row(cur, flag, SIFT_IMG_BORDER, w - SIFT_IMG_BORDER, thr);
        for (int c = SIFT_IMG_BORDER; c < w - SIFT_IMG_BORDER; c++) {
            if (!flag[c])
                continue;
            float v = cur[c];
            bool ext;
            if (v > 0) {
                ext = true;
                for (int dy = -1; dy <= 1 && ext; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        ptrdiff_t q = (ptrdiff_t)c + dy * w + dx;
                        if (v < cur[q] || v < prv[q] || v < nxt[q]) {
                            ext = false;
                            break;
                        }
                    }
            } else {
                ext = true;
                for (int dy = -1; dy <= 1 && ext; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        ptrdiff_t q = (ptrdiff_t)c + dy * w + dx;
                        if (v > cur[q] || v > prv[q] || v > nxt[q]) {
                            ext = false;
                            break;
                        }
                    }
            }
            if (!ext)
                continue;
            sift_kp kp;
            int r1i = r, c1 = c, lay = layer;
            if (!adjust_local_extremum(s, o, &lay, &r1i, &c1, &kp))
                continue;
            float scl_octv = kp.size * 0.5f / (float)(1 << o);
            int radius = (int)lrintf(SIFT_ORI_RADIUS * scl_octv);
            size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1);
            float *work = vn__scratch(VN__SCRATCH_PARTIAL, 4 * len);
            if (!work) {
                __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
                return;
            }
            float omax = orientation_hist(sift_gauss_level(s, o, lay), w, h, c1, r1i, radius,
                                          SIFT_ORI_SIG_FCTR * scl_octv, hist, work);
            float mag_thr = omax * SIFT_ORI_PEAK_RATIO;
            for (int k = 0; k < n; k++) {
                int l = k > 0 ? k - 1 : n - 1;
                int r2 = k < n - 1 ? k + 1 : 0;
                if (hist[k] > hist[l] && hist[k] > hist[r2] && hist[k] >= mag_thr) {
                    float bin = k + 0.5f * (hist[l] - hist[r2]) / (hist[l] - 2 * hist[k] + hist[r2]);
                    bin = bin < 0 ? n + bin : bin >= n ? bin - n : bin;
                    kp.angle = 360.f - (360.f / n) * bin;
                    if (fabsf(kp.angle - 360.f) < 1.1920929e-7f)
                        kp.angle = 0.f;
                    if (!vn__sift_kp_push(out, &kp)) {
                        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
                        return;
                    }
                }
            }
        }
    }
    (void)L;
}

vn_status vn__sift_find_keypoints(vn_sift *s)
{
    const int L = s->opt.octave_layers;
    s->kps.n = 0;
    extrema_job j;
    j.s = s;
    /* OpenCV's integer threshold on the 0..255 scale, brought to [0, 1]. */
    j.threshold = floorf(0.5f * s->opt.contrast_threshold / L * 255.f) / 255.f;
    for (int o = 0; o < s->n_octaves; o++) {
        int rows = s->oh[o] - 2 * SIFT_IMG_BORDER;
        if (rows <= 0 || s->ow[o] <= 2 * SIFT_IMG_BORDER)
            continue;
        j.o = o;
        j.n_bands = (rows + BAND_ROWS - 1) / BAND_ROWS;
        j.failed = 0;
        int ntasks = j.n_bands * L;
        if (ntasks > s->n_bands_cap) {
            sift_kp_list *b = vn__realloc(s->bands, (size_t)ntasks * sizeof *b);
            if (!b)
                return vn__error(VN_ERR_NOMEM, "sift: out of memory for keypoint lists");
            memset(b + s->n_bands_cap, 0, (size_t)(ntasks - s->n_bands_cap) * sizeof *b);
            s->bands = b;
            s->n_bands_cap = ntasks;
        }
        vn__parallel_tasks(ntasks, extrema_task, &j);
        if (j.failed)
            return vn__error(VN_ERR_NOMEM, "sift: out of memory while collecting keypoints");
        for (int t = 0; t < ntasks; t++)
            for (int i = 0; i < s->bands[t].n; i++)
                if (!vn__sift_kp_push(&s->kps, &s->bands[t].kp[i]))
                    return vn__error(VN_ERR_NOMEM, "sift: out of memory for keypoints");
    }
    return VN_OK;
}
