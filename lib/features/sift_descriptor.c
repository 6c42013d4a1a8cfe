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
 * and exp32f do).
 */
#include "features/sift_internal.h"

#include <stdlib.h>

#define D SIFT_DESCR_WIDTH
#define NB SIFT_DESCR_HIST_BINS

typedef struct desc_job {
    vn_sift *s;
    const int32_t *order;   /* keypoints in pyramid order: octave, layer, y, x */
    int failed;
} desc_job;

VN_SIMD_CLONES static void descriptor(const float *img, int cols, int rows, float ptx, float pty,
                                      float ori, float scl, float *work, int radius, float *dst)
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
    size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1);
    float *X = work, *Y = X + len, *W = Y + len, *RBin = W + len, *CBin = RBin + len;
    float hist[(D + 2) * (D + 2) * (NB + 2)] = {0};
    float raw[SIFT_DESCR_LEN];

    int k = 0;
    for (int i = -radius; i <= radius; i++) {
        int r = py + i;
        if (r <= 0 || r >= rows - 1)
            continue;
        const float *row = img + (size_t)r * cols;
        /* The columns whose rotated position can fall in the grid: both
         * c_rot and r_rot are linear in j and must lie in (-d/2 - 1/2,
         * d/2 + 1/2); the exact test below still decides, this only skips
         * the columns that cannot pass (about half of the square). */
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
        for (int j = (int)floorf(jlo); j <= (int)ceilf(jhi); j++) {
            float c_rot = j * cos_t - i * sin_t;
            float r_rot = j * sin_t + i * cos_t;
            float rbin = r_rot + d / 2 - 0.5f;
            float cbin = c_rot + d / 2 - 0.5f;
            int c = px + j;
            if (rbin > -1 && rbin < d && cbin > -1 && cbin < d && c > 0 && c < cols - 1) {
                X[k] = row[c + 1] - row[c - 1];
                Y[k] = row[c - cols] - row[c + cols];
                RBin[k] = rbin;
                CBin[k] = cbin;
                W[k] = (c_rot * c_rot + r_rot * r_rot) * exp_scale;
                k++;
            }
        }
    }
    /* Orientation in degrees into X, weighted magnitude into W. */
    for (int q = 0; q < k; q++) {
        float m = sqrtf(X[q] * X[q] + Y[q] * Y[q]);
        float a = vn__fast_atan2_deg(Y[q], X[q]);
        W[q] = vn__fast_exp_neg(W[q]) * m;
        X[q] = a;
    }
    /* Trilinear weights, vectorised: the cell / bin index goes into
     * RBin (as an int), the fractions into CBin, Y and X, the weighted
     * magnitude stays in W; the scatter below is scalar. */
    int32_t *Idx = (int32_t *)RBin;
    for (int q = 0; q < k; q++) {
        float rbin = RBin[q], cbin = CBin[q];
        float obin = (X[q] - ori) * bins_per_rad;
        float r0 = floorf(rbin), c0 = floorf(cbin), o0 = floorf(obin);
        int oi = (int)o0;
        oi += n * ((oi < 0) - (oi >= n));
        Idx[q] = (((int)r0 + 1) * (d + 2) + (int)c0 + 1) * (n + 2) + oi;
        CBin[q] = cbin - c0;
        Y[q] = rbin - r0;
        X[q] = obin - o0;
    }
    for (int q = 0; q < k; q++) {
        float rbin = Y[q], cbin = CBin[q], obin = X[q];
        float mag = W[q];
        float v_r1 = mag * rbin, v_r0 = mag - v_r1;
        float v_rc11 = v_r1 * cbin, v_rc10 = v_r1 - v_rc11;
        float v_rc01 = v_r0 * cbin, v_rc00 = v_r0 - v_rc01;
        float v_rco111 = v_rc11 * obin, v_rco110 = v_rc11 - v_rco111;
        float v_rco101 = v_rc10 * obin, v_rco100 = v_rc10 - v_rco101;
        float v_rco011 = v_rc01 * obin, v_rco010 = v_rc01 - v_rco011;
        float v_rco001 = v_rc00 * obin, v_rco000 = v_rc00 - v_rco001;
        int idx = Idx[q];
        hist[idx] += v_rco000;
        hist[idx + 1] += v_rco001;
        hist[idx + (n + 2)] += v_rco010;
        hist[idx + (n + 3)] += v_rco011;
        hist[idx + (d + 2) * (n + 2)] += v_rco100;
        hist[idx + (d + 2) * (n + 2) + 1] += v_rco101;
        hist[idx + (d + 3) * (n + 2)] += v_rco110;
        hist[idx + (d + 3) * (n + 2) + 1] += v_rco111;
    }
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

static void desc_range(void *arg, int64_t b, int64_t e)
{
    desc_job *j = arg;
    vn_sift *s = j->s;
    const int L = s->opt.octave_layers;
    for (int64_t t = b; t < e; t++) {
        int32_t i = j->order[t];
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
        size_t len = (size_t)(2 * radius + 1) * (2 * radius + 1);
        float *work = vn__scratch(VN__SCRATCH_GATHER, 5 * len);
        if (!work) {
            __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
            return;
        }
        descriptor(sift_gauss_level(s, o, kp->layer), cols, rows, kp->x * scale, kp->y * scale,
                   angle, scl, work, radius, s->desc + (size_t)i * SIFT_DESCR_LEN);
    }
    (void)L;
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
