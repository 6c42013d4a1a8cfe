/*
 * sift_match.c - brute-force descriptor matching with Lowe's ratio test
 * (Lowe 2004 section 7.1), as cv2.BFMatcher(NORM_L2).knnMatch(k=2)
 * followed by `m.distance < ratio * n.distance`.
 *
 * Squared distances come from one matrix product per block of queries,
 * |q - t|^2 = |q|^2 + |t|^2 - 2 q.t, so the work is a GEMM (OpenBLAS when
 * the library has it). Blocks of queries run on the thread pool, each on
 * its own rows, so the result does not depend on the number of threads.
 * Ties between equally near rows go to the lower index, as BFMatcher.
 */
#include "features/sift_internal.h"

#define QBLOCK 64

typedef struct match_job {
    const float *d1, *d2;
    int n1, n2;
    float ratio;
    const float *norm2;   /* |t|^2 of each row of d2 */
    int *best;            /* per query: the matched row, or -1 */
    int failed;
} match_job;

static void match_blocks(void *arg, int64_t b, int64_t e)
{
    match_job *j = arg;
    const int n2 = j->n2;
    float *dots = vn__scratch(VN__SCRATCH_GATHER, (size_t)QBLOCK * n2);
    if (!dots) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t blk = b; blk < e; blk++) {
        int q0 = (int)(blk * QBLOCK), q1 = VN_MIN(q0 + QBLOCK, j->n1);
        const float *Q = j->d1 + (size_t)q0 * SIFT_DESCR_LEN;
        vn__sgemm_serial(false, true, q1 - q0, n2, SIFT_DESCR_LEN, -2.f, Q, SIFT_DESCR_LEN, j->d2,
                         SIFT_DESCR_LEN, 0.f, dots, n2);
        for (int q = q0; q < q1; q++) {
            const float *row = dots + (size_t)(q - q0) * n2;
            const float *qv = j->d1 + (size_t)q * SIFT_DESCR_LEN;
            double qn = 0;
            for (int k = 0; k < SIFT_DESCR_LEN; k++)
                qn += (double)qv[k] * qv[k];
            float b1 = INFINITY, b2 = INFINITY;
            int i1 = -1;
            for (int t = 0; t < n2; t++) {
                float dd = row[t] + j->norm2[t];
                if (dd < b1) {
                    b2 = b1;
                    b1 = dd;
                    i1 = t;
                } else if (dd < b2) {
                    b2 = dd;
                }
            }
            float d1 = sqrtf(VN_MAX((float)(b1 + qn), 0.f));
            float d2 = sqrtf(VN_MAX((float)(b2 + qn), 0.f));
            j->best[q] = (n2 >= 2 && d1 < j->ratio * d2) ? i1 : -1;
        }
    }
}

vn_status vn_sift_match(const float *d1, int n1, const float *d2, int n2, float ratio, int *pairs,
                        int max_pairs, int *n_pairs)
{
    VN_CHECK_ARG(n_pairs, "n_pairs is NULL");
    VN_CHECK_ARG(n1 >= 0 && n2 >= 0, "n1 and n2 must be >= 0");
    VN_CHECK_ARG(n1 == 0 || d1, "d1 is NULL");
    VN_CHECK_ARG(n2 == 0 || d2, "d2 is NULL");
    VN_CHECK_ARG(max_pairs >= 0, "max_pairs must be >= 0");
    VN_CHECK_ARG(max_pairs == 0 || pairs, "pairs is NULL");
    if (!(ratio > 0.f && ratio <= 1.f))
        return vn__error(VN_ERR_INVALID_ARG, "sift match: ratio is %g, must be in (0, 1]",
                         (double)ratio);
    *n_pairs = 0;
    if (n1 == 0 || n2 < 2)
        return VN_OK;
    float *norm2 = vn__malloc((size_t)n2 * sizeof(float));
    int *best = vn__malloc((size_t)n1 * sizeof(int));
    if (!norm2 || !best) {
        vn__free(norm2);
        vn__free(best);
        return vn__error(VN_ERR_NOMEM, "sift match: out of memory for %d x %d descriptors", n1, n2);
    }
    for (int t = 0; t < n2; t++) {
        const float *v = d2 + (size_t)t * SIFT_DESCR_LEN;
        double s = 0;
        for (int k = 0; k < SIFT_DESCR_LEN; k++)
            s += (double)v[k] * v[k];
        norm2[t] = (float)s;
    }
    match_job j = {d1, d2, n1, n2, ratio, norm2, best, 0};
    int64_t blocks = (n1 + QBLOCK - 1) / QBLOCK;
    vn__parallel_for(blocks, (double)QBLOCK * n2 * 2 * SIFT_DESCR_LEN, match_blocks, &j);
    vn_status st = VN_OK;
    if (j.failed) {
        st = vn__error(VN_ERR_NOMEM, "sift match: out of memory for distances");
    } else {
        int m = 0;
        for (int q = 0; q < n1; q++) {
            if (best[q] < 0)
                continue;
            if (m < max_pairs) {
                pairs[2 * m] = q;
                pairs[2 * m + 1] = best[q];
            }
            m++;
        }
        *n_pairs = m;
    }
    vn__free(norm2);
    vn__free(best);
    return st;
}
