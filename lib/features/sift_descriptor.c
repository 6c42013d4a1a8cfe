/*
 * sift_descriptor.c - the 128-d SIFT descriptor (Lowe 2004 section 6), as
 * OpenCV 4.6's calcSIFTDescriptor:
 *
 * - around the keypoint, in the Gaussian level it was found in, a square
 *   grid of 4x4 cells of side 3 sigma_oct, rotated by the keypoint's angle;
 *   every pixel within radius round(3 sigma_oct * sqrt(2) * 5 / 2) whose
 *   rotated position falls in the grid votes its gradient magnitude,
 *   weighted by a Gaussian of half the grid width, into 8 orientation bins
 *   relative to the keypoint's angle;
 * - votes are spread trilinearly over the two nearest cells in each axis
 *   and the two nearest orientation bins;
 * - the 128 values are normalised, clipped at 0.2 (to damp large gradient
 *   magnitudes from lighting), renormalised, then multiplied by 512,
 *   rounded and saturated to 0..255 as OpenCV stores them (whole numbers in
 *   floats: vn_sift_descriptors documents the format).
 *
 * Keypoints are independent: they are split over the thread pool, each
 * writing its own row. Gradient directions and Gaussian weights use the
 * vectorisable approximations of sift_internal.h (as OpenCV's fastAtan2
 * and exp32f do). Each keypoint's samples are gathered into arrays by
 * vectorised loops (desc_samples_make); only the histogram votes, which
 * must reach each bin in sample order to give the same sums, are scalar,
 * and run for two keypoints at once (desc_scatter).
 */
#include "features/sift_internal.h"

#include <stdlib.h>
#include <string.h>

#define D SIFT_DESCR_WIDTH
#define NB SIFT_DESCR_HIST_BINS

typedef struct desc_job {
    vn_sift *s;
    const int32_t *order;   /* keypoints in pyramid order: octave, layer, y, x */
    int failed;
} desc_job;

/* The histogram: (D + 2) x (D + 2) cells (a border for the trilinear
 * spill) of NB + 2 bins, then a dummy block that receives the (zero)
 * votes of samples outside the grid. */
#define HIST_LEN ((D + 2) * (D + 2) * (NB + 2))
#define HIST_DUMMY HIST_LEN
#define HIST_TOTAL (HIST_LEN + (D + 3) * (NB + 2) + 2)

/* One row of samples, j = j0..j1 (the arrays are indexed by j): the
 * gradient, the rotated grid coordinates, the Gaussian's exponent and
 * whether the sample is in the grid (all ones / zero). Its own function
 * (with its own clones) because GCC vectorises it there and not inside
 * descriptor(). */
SIFT_CLONES __attribute__((noinline)) static void
desc_gather_row(const float *row, int cols, int j0, int j1, int i, float cos_t, float sin_t,
                float exp_scale, float *restrict xk, float *restrict yk, float *restrict rk,
                float *restrict ck, float *restrict wk, int32_t *restrict mk)
{
    const int d = D;
    /* Whole blocks of SIFT_ROW_BLOCK (one AVX-512 vector; no scalar
     * remainder loop). In a row of at least a block, the last block is
     * moved back to end at j1 (its first samples are computed twice, to
     * the same values); a shorter row's block runs past j1: those samples
     * are marked outside the grid and lie past the ones the caller counts
     * (the next row overwrites them); their reads stay inside the level
     * but for the last rows, which the pyramid buffer's slack covers. */
    const int nj = j1 - j0 + 1;
    for (int jb = j0; jb <= j1; jb += SIFT_ROW_BLOCK) {
        if (jb + SIFT_ROW_BLOCK > j1 + 1 && nj >= SIFT_ROW_BLOCK)
            jb = j1 + 1 - SIFT_ROW_BLOCK;
        for (int l = 0; l < SIFT_ROW_BLOCK; l++) {
            int j = jb + l;
            float c_rot = j * cos_t - i * sin_t;
            float r_rot = j * sin_t + i * cos_t;
            float rbin = r_rot + d / 2 - 0.5f;
            float cbin = c_rot + d / 2 - 0.5f;
            xk[j] = row[j + 1] - row[j - 1];
            yk[j] = row[j - cols] - row[j + cols];
            rk[j] = rbin;
            ck[j] = cbin;
            wk[j] = (c_rot * c_rot + r_rot * r_rot) * exp_scale;
            mk[j] = -((rbin > -1) & (rbin < d) & (cbin > -1) & (cbin < d) & (j <= j1));
        }
    }
}

/* floorf(x) for the finite values here (|x| < 2^31), written so GCC
 * vectorises it (it does not vectorise floorf itself under the default
 * -ftrapping-math): truncate, then step down where that rounded up. Equal
 * to floorf to the bit, except that it gives +0 for -0, where floorf gives
 * -0; the x here are never -0: rbin and cbin are (v + 2) - 0.5, and a
 * difference of equal values rounds to +0; obin is (a - ori) * 8 / 360
 * with a, the result of vn__fast_atan2_deg, never -0 (its last step adds
 * to +0 or to 360), so a - ori is never -0 either. */
static inline float desc_floor(float x)
{
    float t = (float)(int32_t)x;
    return t - (float)(t > x);
}

/* Trilinear weights: the cell / bin index replaces the mask in Msk (the
 * dummy block outside the grid), the fractions go into RBin, CBin and X
 * (which holds the orientation in degrees on entry). */
SIFT_CLONES __attribute__((noinline)) static void
desc_trilinear(int k, float ori, float bins_per_rad, float *restrict RBin, float *restrict CBin,
               float *restrict X, int32_t *restrict Msk)
{
    const int n = NB, d = D;
    for (int q = 0; q < k; q++) {
        float rbin = RBin[q], cbin = CBin[q];
        float obin = (X[q] - ori) * bins_per_rad;
        float r0 = desc_floor(rbin), c0 = desc_floor(cbin), o0 = desc_floor(obin);
        int oi = (int)o0;
        oi += n * ((oi < 0) - (oi >= n));
        /* In range already, except for a NaN angle (a NaN pixel of an f32
         * image), which converts to INT_MIN: keep its votes (NaN) inside
         * the histogram. n is a power of two. */
        oi &= n - 1;
        int32_t idx = (((int)r0 + 1) * (d + 2) + (int)c0 + 1) * (n + 2) + oi;
        int32_t m = Msk[q];
        Msk[q] = (idx & m) | (HIST_DUMMY & ~m);
        CBin[q] = cbin - c0;
        RBin[q] = rbin - r0;
        X[q] = obin - o0;
    }
}

/* work holds 6 * ((2 radius + 1)^2 + SIFT_ROW_BLOCK) floats. The samples are gathered row by
 * row over the run of columns whose rotated position can fall in the grid
 * (contiguous, so the gather vectorises); a sample outside the grid keeps
 * its place with a zero weight (bit-masked, so even a NaN becomes +0) and
 * votes into the dummy block. Adding +0 to a bin leaves it unchanged, and
 * the other votes reach each bin in the order the scalar loop added them,
 * so the descriptor is the same to the bit. */
/* The samples of one keypoint, in the arrays the scatter reads. */
typedef struct desc_samples {
    const float *W, *RBin, *CBin, *OBin;   /* weighted magnitude, fractions */
    const int32_t *Idx;                     /* first of the 8 bins */
    int k;
} desc_samples;

SIFT_CLONES static void desc_samples_make(const float *img, int cols, int rows, float ptx,
                                          float pty, float ori, float scl, float *work,
                                          int radius, desc_samples *out)
{
    const int n = NB, d = D;
    int px = (int)lrintf(ptx), py = (int)lrintf(pty);
    float cos_t = cosf(ori * (float)(M_PI / 180));
    float sin_t = sinf(ori * (float)(M_PI / 180));
    float bins_per_rad = n / 360.f;
    float exp_scale = -1.f / (d * d * 0.5f);
    float hist_width = SIFT_DESCR_SCL_FCTR * scl;
    cos_t /= hist_width;
    sin_t /= hist_width;
    /* Each array has room for a last block of 16 past the samples. */
    size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1) + SIFT_ROW_BLOCK;
    float *restrict X = work, *restrict Y = X + len, *restrict W = Y + len;
    float *restrict RBin = W + len, *restrict CBin = RBin + len;
    int32_t *restrict Msk = (int32_t *)(CBin + len);
    int k = 0;
    for (int i = -radius; i <= radius; i++) {
        int r = py + i;
        if (r <= 0 || r >= rows - 1)
            continue;
        /* The columns whose rotated position can fall in the grid: both
         * c_rot and r_rot are linear in j and must lie in (-d/2 - 1/2,
         * d/2 + 1/2); the exact test below still decides, this only skips
         * the columns that cannot pass (about half of the square). Both
         * ends are inside the image's columns 1..cols-2. */
        float jlo = (float)-radius, jhi = (float)radius;
        const float lim = d / 2 + 0.5f;
        const float a_[2] = {cos_t, sin_t}, b_[2] = {-i * sin_t, i * cos_t};
        for (int q = 0; q < 2; q++) {
            if (fabsf(a_[q]) > 1e-6f) {
                float u = (-lim - b_[q]) / a_[q], v = (lim - b_[q]) / a_[q];
                jlo = fmaxf(jlo, fminf(u, v) - 1.f);
                jhi = fminf(jhi, fmaxf(u, v) + 1.f);
            } else if (!(fabsf(b_[q]) < lim)) {
                jhi = jlo - 1.f;   /* the whole row is outside */
            }
        }
        jlo = fmaxf(jlo, (float)(1 - px));
        jhi = fminf(jhi, (float)(cols - 2 - px));
        if (jhi < jlo)
            continue;
        const int j0 = (int)floorf(jlo), j1 = (int)ceilf(jhi);
        const float *row = img + (size_t)r * cols + px;
        /* The row the gather of row r + 3 reads last (its lower
         * neighbours), asked for now: these reads miss the cache. */
        if (r + 4 < rows) {
            const char *pf = (const char *)(row + 4 * (size_t)cols + j0 - 1);
            const char *pe = (const char *)(row + 4 * (size_t)cols + j1 + 1);
            for (; pf <= pe; pf += 64)
                __builtin_prefetch(pf, 0, 3);
        }
        float *xk = X + k - j0, *yk = Y + k - j0, *wk = W + k - j0;
        float *rk = RBin + k - j0, *ck = CBin + k - j0;
        int32_t *mk = Msk + k - j0;
        desc_gather_row(row, cols, j0, j1, i, cos_t, sin_t, exp_scale, xk, yk, rk, ck, wk, mk);
        k += j1 - j0 + 1;
    }
    /* Orientation in degrees into X, weighted magnitude (0 outside the
     * grid) into W. */
    for (int q = 0; q < k; q++) {
        float m = sqrtf(X[q] * X[q] + Y[q] * Y[q]);
        float a = vn__fast_atan2_deg(Y[q], X[q]);
        float wv = vn__fast_exp_neg(W[q]) * m;
        int32_t b;
        memcpy(&b, &wv, sizeof b);
        b &= Msk[q];
        memcpy(&wv, &b, sizeof wv);
        W[q] = wv;
        X[q] = a;
    }
    /* Trilinear weights, vectorised: the cell / bin index replaces the
     * mask in Msk (the dummy block outside the grid), the fractions go
     * into RBin, CBin and X; the scatter (desc_scatter) is scalar. */
    desc_trilinear(k, ori, bins_per_rad, RBin, CBin, X, Msk);
    *out = (desc_samples){W, RBin, CBin, X, Msk, k};
}

/* Sample q's 8 trilinear votes added to its bins of hist. */
static inline __attribute__((always_inline)) void desc_vote(float *hist, const desc_samples *S,
                                                            int q)
{
    const int n = NB, d = D;
    float rbin = S->RBin[q], cbin = S->CBin[q], obin = S->OBin[q];
    float mag = S->W[q];
    float v_r1 = mag * rbin, v_r0 = mag - v_r1;
    float v_rc11 = v_r1 * cbin, v_rc10 = v_r1 - v_rc11;
    float v_rc01 = v_r0 * cbin, v_rc00 = v_r0 - v_rc01;
    float v_rco111 = v_rc11 * obin, v_rco110 = v_rc11 - v_rco111;
    float v_rco101 = v_rc10 * obin, v_rco100 = v_rc10 - v_rco101;
    float v_rco011 = v_rc01 * obin, v_rco010 = v_rc01 - v_rco011;
    float v_rco001 = v_rc00 * obin, v_rco000 = v_rc00 - v_rco001;
    int idx = S->Idx[q];
    hist[idx] += v_rco000;
    hist[idx + 1] += v_rco001;
    hist[idx + (n + 2)] += v_rco010;
    hist[idx + (n + 3)] += v_rco011;
    hist[idx + (d + 2) * (n + 2)] += v_rco100;
    hist[idx + (d + 2) * (n + 2) + 1] += v_rco101;
    hist[idx + (d + 3) * (n + 2)] += v_rco110;
    hist[idx + (d + 3) * (n + 2) + 1] += v_rco111;
}

/* The scatter of two keypoints at once, sample q of one then of the
 * other, each into its own histogram: every bin still receives its votes
 * in sample order, but the two chains of dependent additions (a bin's
 * next vote waits for its last one to be stored) overlap in the CPU.
 * b may be NULL (one keypoint). */
static void desc_scatter(float *ha, const desc_samples *a, float *hb, const desc_samples *b)
{
    int q = 0;
    if (b) {
        int m = VN_MIN(a->k, b->k);
        for (; q < m; q++) {
            desc_vote(ha, a, q);
            desc_vote(hb, b, q);
        }
        for (int qb = q; qb < b->k; qb++)
            desc_vote(hb, b, qb);
    }
    for (; q < a->k; q++)
        desc_vote(ha, a, q);
}

/* The histogram folded, normalised, clipped and quantised into dst. */
static void desc_finish(float *hist, float *dst)
{
    const int n = NB, d = D;
    float raw[SIFT_DESCR_LEN];
    /* The orientation axis is circular: fold bins n, n+1 onto 0, 1. */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            int idx = ((i + 1) * (d + 2) + (j + 1)) * (n + 2);
            hist[idx] += hist[idx + n];
            hist[idx + 1] += hist[idx + n + 1];
            for (int q = 0; q < n; q++)
                raw[(i * d + j) * n + q] = hist[idx + q];
        }
    float nrm2 = 0;
    for (int q = 0; q < SIFT_DESCR_LEN; q++)
        nrm2 += raw[q] * raw[q];
    float thr = sqrtf(nrm2) * SIFT_DESCR_MAG_THR;
    nrm2 = 0;
    for (int q = 0; q < SIFT_DESCR_LEN; q++) {
        float v = raw[q] < thr ? raw[q] : thr;
        raw[q] = v;
        nrm2 += v * v;
    }
    nrm2 = SIFT_INT_DESCR_FCTR / VN_MAX(sqrtf(nrm2), 1.1920929e-7f);
    for (int q = 0; q < SIFT_DESCR_LEN; q++) {
        float v = rintf(raw[q] * nrm2);
        dst[q] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
}

/* Keypoint t of the visiting order: its samples into work (grown in the
 * scratch slot), false when memory runs out. */
static bool desc_prepare(vn_sift *s, int32_t i, int slot, desc_samples *out)
{
    const sift_kp *kp = &s->kps.kp[i];
    int o = kp->octave;
    float scale = 1.f / (float)(1 << o);
    float size = kp->size * scale;
    float angle = 360.f - kp->angle;
    if (fabsf(angle - 360.f) < 1.1920929e-7f)
        angle = 0.f;
    const int cols = s->ow[o], rows = s->oh[o];
    float scl = size * 0.5f;
    float hist_width = SIFT_DESCR_SCL_FCTR * scl;
    int radius = (int)lrintf(hist_width * 1.4142135623730951f * (D + 1) * 0.5f);
    radius = VN_MIN(radius, (int)sqrt((double)cols * cols + (double)rows * rows));
    size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1) + SIFT_ROW_BLOCK;
    float *work = vn__scratch(slot, 6 * len);
    if (!work)
        return false;
    desc_samples_make(sift_gauss_level(s, o, kp->layer), cols, rows, kp->x * scale,
                      kp->y * scale, angle, scl, work, radius, out);
    return true;
}

static void desc_range(void *arg, int64_t b, int64_t e)
{
    desc_job *j = arg;
    vn_sift *s = j->s;
    /* Two keypoints at a time (see desc_scatter); their sample arrays in
     * two scratch slots (GATHER and GEMM, which nothing else holds across
     * this loop). */
    for (int64_t t = b; t < e; t += 2) {
        int32_t ia = j->order[t], ib = t + 1 < e ? j->order[t + 1] : -1;
        desc_samples sa, sb;
        if (!desc_prepare(s, ia, VN__SCRATCH_GATHER, &sa) ||
            (ib >= 0 && !desc_prepare(s, ib, VN__SCRATCH_GEMM, &sb))) {
            __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
            return;
        }
        float ha[HIST_TOTAL] = {0}, hb[HIST_TOTAL] = {0};
        desc_scatter(ha, &sa, hb, ib >= 0 ? &sb : NULL);
        desc_finish(ha, s->desc + (size_t)ia * SIFT_DESCR_LEN);
        if (ib >= 0)
            desc_finish(hb, s->desc + (size_t)ib * SIFT_DESCR_LEN);
    }
}

typedef struct pyr_key {
    int octave, layer;
    float y, x;
    int32_t idx;
} pyr_key;

static int cmp_pyramid_order(const void *pa, const void *pb)
{
    const pyr_key *a = pa, *b = pb;
    if (a->octave != b->octave)
        return a->octave - b->octave;
    if (a->layer != b->layer)
        return a->layer - b->layer;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return a->idx - b->idx;
}

vn_status vn__sift_compute_descriptors(vn_sift *s)
{
    size_t n = (size_t)s->kps.n * SIFT_DESCR_LEN;
    if (n > s->desc_cap) {
        float *d = vn__realloc(s->desc, n * sizeof(float));
        if (!d)
            return vn__error(VN_ERR_NOMEM, "sift: out of memory for %d descriptors", s->kps.n);
        s->desc = d;
        s->desc_cap = n;
    }
    /* Visit keypoints in pyramid order, not by response, so neighbouring
     * keypoints read the same rows of the same level from cache. */
    size_t nk = (size_t)s->kps.n;
    pyr_key *keys = vn__malloc((nk + 1) * sizeof *keys);
    int32_t *order = vn__malloc((nk + 1) * sizeof *order);
    if (!keys || !order) {
        vn__free(keys);
        vn__free(order);
        return vn__error(VN_ERR_NOMEM, "sift: out of memory for %d descriptors", s->kps.n);
    }
    for (size_t i = 0; i < nk; i++) {
        const sift_kp *k = &s->kps.kp[i];
        keys[i] = (pyr_key){k->octave, k->layer, k->y, k->x, (int32_t)i};
    }
    qsort(keys, nk, sizeof *keys, cmp_pyramid_order);
    for (size_t i = 0; i < nk; i++)
        order[i] = keys[i].idx;
    vn__free(keys);
    desc_job j = {s, order, 0};
    vn__sift_parallel(s->kps.n, 16, desc_range, &j);
    vn__free(order);
    if (j.failed)
        return vn__error(VN_ERR_NOMEM, "sift: out of memory while computing descriptors");
    return VN_OK;
}
