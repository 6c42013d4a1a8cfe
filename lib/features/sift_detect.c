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
 * result does not depend on the number of threads. The candidate test of
 * step 1 is vectorised for a whole row (extrema_row / extrema_row_tame);
 * the steps after it run on the few candidates it flags.
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

/* One row of the orientation samples, j = jlo..jhi (the arrays are
 * indexed by j). Its own function (with its own clones) because GCC
 * vectorises it there and not inside orientation_hist(). */
SIFT_CLONES __attribute__((noinline)) static void
ori_gather_row(const float *row, int w, int jlo, int jhi, int i, float expf_scale,
               float *restrict xk, float *restrict yk, float *restrict wk)
{
    /* Whole blocks of SIFT_ROW_BLOCK (no scalar remainder loop). In a row
     * of at least a block, the last block is moved back to end at jhi (its
     * first samples are computed twice, to the same values); a shorter
     * row's block runs past jhi: those samples lie past the ones the
     * caller counts (the next row overwrites them, the last row's are
     * never read); their reads stay inside the level but for the last
     * rows, which the pyramid buffer's slack covers. */
    const int nj = jhi - jlo + 1;
    for (int jb = jlo; jb <= jhi; jb += SIFT_ROW_BLOCK) {
        if (jb + SIFT_ROW_BLOCK > jhi + 1 && nj >= SIFT_ROW_BLOCK)
            jb = jhi + 1 - SIFT_ROW_BLOCK;
        for (int l = 0; l < SIFT_ROW_BLOCK; l++) {
            int j = jb + l;
            xk[j] = row[j + 1] - row[j - 1];
            yk[j] = row[j - w] - row[j + w];
            wk[j] = (float)(i * i + j * j) * expf_scale;
        }
    }
}

/* The smoothed 36-bin orientation histogram around (x, y) of a Gaussian
 * level; returns its maximum. work holds 5 * ((2 radius + 1)^2 + 16)
 * floats.
 * The samples are gathered row by row over the columns inside the image
 * (a contiguous run, so the gather vectorises), in the order the scalar
 * loop visited them; the votes are added in that order. */
SIFT_CLONES static float orientation_hist(const float *img, int w, int h, int px, int py,
                                          int radius, float sigma, float *hist, float *work)
{
    const int n = SIFT_ORI_HIST_BINS;
    /* Each array has room for a last block of 16 past the samples. */
    size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1) + SIFT_ROW_BLOCK;
    float *restrict X = work, *restrict Y = X + len, *restrict W = Y + len, *restrict Ori = W + len;
    int32_t *restrict Bin = (int32_t *)(Ori + len);
    float expf_scale = -1.f / (2.f * sigma * sigma);
    const int jlo = VN_MAX(-radius, 1 - px), jhi = VN_MIN(radius, w - 2 - px);
    int k = 0;
    for (int i = -radius; i <= radius && jlo <= jhi; i++) {
        int y = py + i;
        if (y <= 0 || y >= h - 1)
            continue;
        const float *row = img + (size_t)y * w + px;
        float *xk = X + k - jlo, *yk = Y + k - jlo, *wk = W + k - jlo;
        ori_gather_row(row, w, jlo, jhi, i, expf_scale, xk, yk, wk);
        k += jhi - jlo + 1;
    }
    for (int q = 0; q < k; q++) {
        Ori[q] = vn__fast_atan2_deg(Y[q], X[q]);
        W[q] = vn__fast_exp_neg(W[q]) * sqrtf(X[q] * X[q] + Y[q] * Y[q]);
    }
    for (int q = 0; q < k; q++) {
        int bin = (int)rintf((n / 360.f) * Ori[q]);
        bin += n * ((bin < 0) - (bin >= n));
        /* A NaN angle (from a NaN pixel of an f32 image) converts to
         * INT_MIN: bin 0, as lrintf's long truncated to int gave before. */
        Bin[q] = (uint32_t)bin < (uint32_t)n ? bin : 0;
    }
    float temp[SIFT_ORI_HIST_BINS + 4] = {0};
    float *th = temp + 2;
    for (int q = 0; q < k; q++)
        th[Bin[q]] += W[q];
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

/* flag[c] = 1 where cur[c] is a candidate extremum, for c in [c0, c1):
 * over thr and >= (<= for a negative value) its 26 neighbours in the rows
 * above and below and the levels before (prv) and after (nxt). The same
 * comparisons as the scalar test this replaces, NaNs included: the two row
 * neighbours must compare true (v >= l), the other 24 must not compare
 * against it (!(v < n)). Branch-free, so GCC vectorises it (16 pixels at
 * a time in the AVX-512 copy). */
SIFT_CLONES static void extrema_row(const float *restrict cur, const float *restrict prv,
                                    const float *restrict nxt, ptrdiff_t w, uint8_t *restrict flag,
                                    int c0, int c1, float thr)
{
    const float *cu = cur - w, *cd = cur + w, *pu = prv - w, *pd = prv + w, *nu = nxt - w,
                *nd = nxt + w;
    for (int c = c0; c < c1; c++) {
        float v = cur[c];
#define SIFT_NLT(p) (!(v < (p)[c - 1]) & !(v < (p)[c]) & !(v < (p)[c + 1]))
#define SIFT_NGT(p) (!(v > (p)[c - 1]) & !(v > (p)[c]) & !(v > (p)[c + 1]))
        int mx = (v > thr) & (v >= cur[c - 1]) & (v >= cur[c + 1]) & SIFT_NLT(cu) & SIFT_NLT(cd) &
                 SIFT_NLT(prv) & SIFT_NLT(pu) & SIFT_NLT(pd) & SIFT_NLT(nxt) & SIFT_NLT(nu) &
                 SIFT_NLT(nd);
        int mn = (v < -thr) & (v <= cur[c - 1]) & (v <= cur[c + 1]) & SIFT_NGT(cu) & SIFT_NGT(cd) &
                 SIFT_NGT(prv) & SIFT_NGT(pu) & SIFT_NGT(pd) & SIFT_NGT(nxt) & SIFT_NGT(nu) &
                 SIFT_NGT(nd);
#undef SIFT_NLT
#undef SIFT_NGT
        flag[c] = (uint8_t)(mx | mn);
    }
}

/* The same test by separable maxima and minima, for a pyramid without
 * NaNs (vn_sift.tame): v >= each of 26 numbers is v >= their maximum
 * (with v itself among them: v >= v), and the maximum of the 3x3x3 block
 * is the horizontal maximum of 3 of the vertical maxima of 3 of the
 * maxima over the three levels. level_maxmin makes the per-row maxima and
 * minima over the levels (each row is made once and used by three output
 * rows); extrema_row_tame makes the vertical ones into vm / vn over
 * [c0 - 1, c1 + 1) and then the flags. About 14 min / max per pixel
 * against 52 comparisons. `a > b ? a : b` is MAXPS, so it vectorises. */
static inline float sift_max(float a, float b)
{
    return a > b ? a : b;
}
static inline float sift_min(float a, float b)
{
    return a < b ? a : b;
}

SIFT_CLONES static void level_maxmin(const float *restrict a, const float *restrict b,
                                     const float *restrict c, float *restrict mx,
                                     float *restrict mn, int x0, int x1)
{
    for (int x = x0; x < x1; x++) {
        mx[x] = sift_max(sift_max(a[x], b[x]), c[x]);
        mn[x] = sift_min(sift_min(a[x], b[x]), c[x]);
    }
}

SIFT_CLONES static void extrema_row_tame(const float *restrict cur, const float *const *lmx,
                                         const float *const *lmn, float *restrict vm,
                                         float *restrict vn, uint8_t *restrict flag, int c0,
                                         int c1, float thr)
{
    const float *restrict m0 = lmx[0], *restrict m1 = lmx[1], *restrict m2 = lmx[2];
    const float *restrict n0 = lmn[0], *restrict n1 = lmn[1], *restrict n2 = lmn[2];
    for (int x = c0 - 1; x < c1 + 1; x++) {
        vm[x] = sift_max(sift_max(m0[x], m1[x]), m2[x]);
        vn[x] = sift_min(sift_min(n0[x], n1[x]), n2[x]);
    }
    for (int c = c0; c < c1; c++) {
        float v = cur[c];
        float hi = sift_max(sift_max(vm[c - 1], vm[c]), vm[c + 1]);
        float lo = sift_min(sift_min(vn[c - 1], vn[c]), vn[c + 1]);
        flag[c] = (uint8_t)(((v > thr) & (v >= hi)) | ((v < -thr) & (v <= lo)));
    }
}

typedef struct extrema_job {
    vn_sift *s;
    int o;
    int n_bands;        /* bands per layer */
    float threshold;
    int failed;
} extrema_job;

/* Candidate (layer, r, c) of octave o: refine it and, if it holds, append
 * one keypoint per dominant orientation to out; false when memory runs
 * out. */
static bool candidate(vn_sift *s, sift_kp_list *out, int o, int layer, int r, int c)
{
    const int n = SIFT_ORI_HIST_BINS, w = s->ow[o], h = s->oh[o];
    float hist[SIFT_ORI_HIST_BINS];
    sift_kp kp;
    int r1i = r, c1 = c, lay = layer;
    if (!adjust_local_extremum(s, o, &lay, &r1i, &c1, &kp))
        return true;
    float scl_octv = kp.size * 0.5f / (float)(1 << o);
    int radius = (int)lrintf(SIFT_ORI_RADIUS * scl_octv);
    size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1) + SIFT_ROW_BLOCK;
    float *work = vn__scratch(VN__SCRATCH_PARTIAL, 5 * len);
    if (!work)
        return false;
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
            if (!vn__sift_kp_push(out, &kp))
                return false;
        }
    }
    return true;
}

static void extrema_task(void *arg, int task)
{
    extrema_job *j = arg;
    vn_sift *s = j->s;
    const int o = j->o, L = s->opt.octave_layers;
    /* Tasks run band by band, the L layers of a band one after the other,
     * so the DoG rows they share are read from cache; each (layer, band)
     * keeps its list at layer-major index, the order the lists are joined
     * in. */
    const int layer = 1 + task % L, band = task / L;
    const int w = s->ow[o], h = s->oh[o];
    const int r0 = SIFT_IMG_BORDER + band * BAND_ROWS;
    const int r1 = VN_MIN(r0 + BAND_ROWS, h - SIFT_IMG_BORDER);
    sift_kp_list *out = &s->bands[(layer - 1) * j->n_bands + band];
    out->n = 0;
    const float *img = sift_dog_level(s, o, layer);
    const size_t plane = (size_t)w * h;
    const float thr = j->threshold;

    /* Scratch: the flags (w bytes and 8 more), then for the tame test three
     * rows of level maxima and three of minima (a ring) and the vertical
     * ones, each row whole 64-byte lines (the scratch starts on one). */
    const size_t wf = ((size_t)w + 15) & ~(size_t)15, nflag = (wf / 4 + 31) & ~(size_t)15;
    float *scr = vn__scratch(VN__SCRATCH_COL, nflag + (s->tame ? 8 * wf : 0));
    if (!scr) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    uint8_t *flag = (uint8_t *)scr;
    float *ring = scr + nflag;
    const int c_end = w - SIFT_IMG_BORDER;
    for (int r = r0; r < r1; r++) {
        const float *cur = img + (size_t)r * w;
        /* The whole 26-neighbour test, vectorised, then a scan of the
         * flags 8 at a time (candidates are a few per thousand). */
        if (s->tame) {
            /* Ring slot of row y: y % 3; rows r-1 and r are there from the
             * previous row (or made here at the band's first row). */
            for (int y = r == r0 ? r - 1 : r + 1; y <= r + 1; y++) {
                const float *row = img + (size_t)y * w;
                level_maxmin(row - plane, row, row + plane, ring + (size_t)(y % 3) * wf,
                             ring + (size_t)(3 + y % 3) * wf, SIFT_IMG_BORDER - 1, c_end + 1);
            }
            const float *lmx[3], *lmn[3];
            for (int q = 0; q < 3; q++) {
                lmx[q] = ring + (size_t)q * wf;
                lmn[q] = ring + (size_t)(3 + q) * wf;
            }
            extrema_row_tame(cur, lmx, lmn, ring + 6 * wf, ring + 7 * wf, flag, SIFT_IMG_BORDER,
                             c_end, thr);
        } else {
            extrema_row(cur, cur - plane, cur + plane, w, flag, SIFT_IMG_BORDER, c_end, thr);
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* The flags 8 at a time, each set one found by its bit (flag byte
         * b of a word is bit 8 b), in increasing c, without a branch per
         * pixel; the bytes past the row are zeroed. */
        memset(flag + c_end, 0, 8);
        for (int cb = SIFT_IMG_BORDER; cb < c_end; cb += 8) {
            uint64_t word;
            memcpy(&word, flag + cb, sizeof word);
            for (; word; word &= word - 1)
                if (!candidate(s, out, o, layer, r, cb + (__builtin_ctzll(word) >> 3))) {
                    __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
                    return;
                }
        }
#else
        for (int c = SIFT_IMG_BORDER; c < c_end; c++)
            if (flag[c] && !candidate(s, out, o, layer, r, c)) {
                __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
                return;
            }
#endif
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
