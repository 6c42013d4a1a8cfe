/*
 * gemm.c - single-precision matrix multiply, row-major.
 *
 * With BLAS (the default build) every product is cblas_sgemm. Without it
 * (-Dblas=disabled) a portable blocked C GEMM is used: packed K x N panels
 * of B that stay in the L2 cache, four rows of C at a time so each loaded B
 * row feeds four multiply-adds; the compiler vectorises the inner loop.
 * It is several times slower than OpenBLAS but keeps the library free of
 * any dependency.
 *
 * Threads: a big product is cut into blocks of rows or columns of C, one
 * per pool task, and each block is one single-threaded BLAS call. OpenBLAS
 * is told to use one thread (openblas_set_num_threads(1)) so that its own
 * threads, which spin for a while after each call, never compete with the
 * pool for the cores; docs/threads.md has the measurements. Every element
 * of C is computed by one call with the full K, so the result does not
 * depend on the thread count.
 */
#include "kernels/kernels.h"

#include <stdatomic.h>
#include <string.h>

#if VN_HAVE_BLAS
#include <cblas.h>
/* OpenBLAS's thread control; weak so the library also links against a
 * reference CBLAS that has no such functions. */
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));
#endif

static atomic_int g_policy; /* 0: pool splits, BLAS single-threaded; 1: BLAS threads */

void vn__gemm_set_policy(int policy)
{
    atomic_store(&g_policy, policy == 1 ? 1 : 0);
}

int vn__gemm_policy(void)
{
    return atomic_load(&g_policy);
}

const char *vn__gemm_backend(void)
{
#if VN_HAVE_BLAS
    if (openblas_get_config)
        return openblas_get_config();
    return "cblas";
#else
    return "portable";
#endif
}

#if VN_HAVE_BLAS
static void blas_threads(int n)
{
    if (openblas_set_num_threads && openblas_get_num_threads && openblas_get_num_threads() != n)
        openblas_set_num_threads(n);
}
#else
/* ---- the portable GEMM ------------------------------------------------- */

enum { KC = 256, NC = 256 };

/* Element (i, j) of op(X) where X is row-major with leading dimension ld. */
static inline float at(const float *X, int64_t ld, bool t, int64_t i, int64_t j)
{
    return t ? X[j * ld + i] : X[i * ld + j];
}

static void portable_sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                           const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                           float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f)
            memset(c, 0, (size_t)N * sizeof(float));
        else if (beta != 1.0f)
            for (int64_t j = 0; j < N; j++)
                c[j] *= beta;
    }
    if (K == 0 || alpha == 0.0f)
        return;
    float *pack = vn__scratch(VN__SCRATCH_GEMM, (size_t)KC * NC + 4 * KC);
    if (!pack) {
        /* Out of memory for 260 KiB of packing: fall back to the unpacked
         * triple loop rather than fail a kernel that cannot. */
        for (int64_t i = 0; i < M; i++)
            for (int64_t k = 0; k < K; k++) {
                float a = alpha * at(A, lda, ta, i, k);
                for (int64_t j = 0; j < N; j++)
                    C[i * ldc + j] += a * at(B, ldb, tb, k, j);
            }
        return;
    }
    float *bp = pack;              /* [kc][nc] panel of op(B) */
    float *ap = pack + KC * NC;    /* [4][kc] rows of alpha*op(A) */
    for (int64_t j0 = 0; j0 < N; j0 += NC) {
        int64_t nc = VN_MIN((int64_t)NC, N - j0);
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
            int64_t kc = VN_MIN((int64_t)KC, K - k0);
            for (int64_t k = 0; k < kc; k++)
                for (int64_t j = 0; j < nc; j++)
                    bp[k * nc + j] = at(B, ldb, tb, k0 + k, j0 + j);
            int64_t i = 0;
            for (; i + 4 <= M; i += 4) {
                for (int r = 0; r < 4; r++)
                    for (int64_t k = 0; k < kc; k++)
                        ap[r * kc + k] = alpha * at(A, lda, ta, i + r, k0 + k);
                float *c0 = C + i * ldc + j0, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
                for (int64_t k = 0; k < kc; k++) {
                    const float *b = bp + k * nc;
                    float a0 = ap[k], a1 = ap[kc + k], a2 = ap[2 * kc + k], a3 = ap[3 * kc + k];
                    for (int64_t j = 0; j < nc; j++) {
                        float bj = b[j];
                        c0[j] += a0 * bj;
                        c1[j] += a1 * bj;
                        c2[j] += a2 * bj;
                        c3[j] += a3 * bj;
                    }
                }
            }
            for (; i < M; i++) {
                float *c = C + i * ldc + j0;
                for (int64_t k = 0; k < kc; k++) {
                    const float *b = bp + k * nc;
                    float a = alpha * at(A, lda, ta, i, k0 + k);
                    for (int64_t j = 0; j < nc; j++)
                        c[j] += a * b[j];
                }
            }
        }
    }
}
#endif

void vn__sgemm_serial(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0)
        return;
#if VN_HAVE_BLAS
    if (K <= 0) {
        /* BLAS leaves C untouched for K == 0 only when beta is 1; do it here. */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
#else
    portable_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

typedef struct gemm_job {
    bool ta, tb, by_rows;
    int64_t M, N, K, lda, ldb, ldc, step;
    float alpha, beta;
    const float *A, *B;
    float *C;
    int blocks;
} gemm_job;

static void gemm_task(void *arg, int t)
{
    const gemm_job *j = arg;
    int64_t total = j->by_rows ? j->M : j->N;
    int64_t b0 = VN_MIN(total, (int64_t)t * j->step);
    int64_t b1 = VN_MIN(total, b0 + j->step);
    if (b1 <= b0)
        return;
    if (j->by_rows) {
        const float *A = j->ta ? j->A + b0 : j->A + b0 * j->lda;
        vn__sgemm_serial(j->ta, j->tb, b1 - b0, j->N, j->K, j->alpha, A, j->lda, j->B, j->ldb,
                         j->beta, j->C + b0 * j->ldc, j->ldc);
    } else {
        const float *B = j->tb ? j->B + b0 * j->ldb : j->B + b0;
        vn__sgemm_serial(j->ta, j->tb, j->M, b1 - b0, j->K, j->alpha, j->A, j->lda, B, j->ldb,
                         j->beta, j->C + b0, j->ldc);
    }
}

void vn__sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0)
        return;
    int threads = vn__num_threads();
#if VN_HAVE_BLAS
    if (atomic_load(&g_policy) == 1) {
        blas_threads(threads);
        vn__sgemm_serial(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    blas_threads(1);
#endif
    /* Cut C into blocks of whole rows or columns (multiples of 16 so the
     * micro-kernels see full tiles), at most one per thread, and only when
     * each block keeps enough work (~1 MFLOP) to pay for the wake-up. */
    double flops = 2.0 * (double)M * (double)N * (double)K;
    bool by_rows = M >= N;
    int64_t extent = by_rows ? M : N;
    int blocks = (int)VN_MIN((int64_t)threads, (int64_t)(flops / 1.0e6));
    blocks = (int)VN_MIN((int64_t)blocks, (extent + 15) / 16);
    if (blocks <= 1) {
        vn__sgemm_serial(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    int64_t step = (extent + blocks - 1) / blocks;
    step = (step + 15) / 16 * 16;
    blocks = (int)((extent + step - 1) / step);
    gemm_job j = {ta, tb, by_rows, M, N, K, lda, ldb, ldc, step, alpha, beta, A, B, C, blocks};
    vn__parallel_tasks(blocks, gemm_task, &j);
}
