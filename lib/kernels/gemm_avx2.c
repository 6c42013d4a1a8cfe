/*
 * gemm_avx2.c - the native GEMM's AVX2 + FMA micro-kernel (6 x 16) and its
 * packing loops, compiled for AVX2 and FMA whatever the build's -march;
 * gemm.c calls them only when __builtin_cpu_supports says the CPU has both.
 * See gemm_internal.h for the contract.
 *
 * 6 rows x 16 columns of C in 12 ymm accumulators; per k two vectors of B
 * and six broadcasts of A: 12 FMAs for 8 loads (the classic Haswell tile).
 */
#include "kernels/gemm_internal.h"

#if VN_GEMM_X86

#include <immintrin.h>
#include <math.h>

#define ATTR __attribute__((target("avx2,fma")))
#define MR 6
#define NR 16

VN__GEMM_DEFINE_PACKING(avx2, MR, NR, ATTR)

#define ROW(i)                                                                                 \
    {                                                                                          \
        __m256 ai = _mm256_broadcast_ss(a + (i));                                              \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                                            \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                                            \
    }
#define STEP(off)                                                                              \
    {                                                                                          \
        __m256 b0 = _mm256_loadu_ps(b + (off) * NR), b1 = _mm256_loadu_ps(b + (off) * NR + 8);    \
        const float *a_ = a;                                                                   \
        a = a_ + (off) * MR;                                                                   \
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)                                              \
        a = a_;                                                                                \
    }
#define STORE0(i)                                                                              \
    _mm256_storeu_ps(c + (i) * ldc, _mm256_mul_ps(va, c##i##0));                               \
    _mm256_storeu_ps(c + (i) * ldc + 8, _mm256_mul_ps(va, c##i##1));
#define STORE(i)                                                                               \
    _mm256_storeu_ps(c + (i) * ldc,                                                            \
                     _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + (i) * ldc), _mm256_mul_ps(va, c##i##0))); \
    _mm256_storeu_ps(c + (i) * ldc + 8,                                                        \
                     _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + (i) * ldc + 8),                   \
                                     _mm256_mul_ps(va, c##i##1)));

ATTR static void avx2_ukr(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                          float alpha, float beta)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int i = 0; i < MR; i++)
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 10 * NR), _MM_HINT_T0);
        STEP(0) STEP(1) STEP(2) STEP(3)
        a += 4 * MR;
        b += 4 * NR;
    }
    for (; k < kc; k++) {
        STEP(0)
        a += MR;
        b += NR;
    }
    __m256 va = _mm256_set1_ps(alpha);
    if (beta == 0.0f) {
        STORE0(0) STORE0(1) STORE0(2) STORE0(3) STORE0(4) STORE0(5)
    } else {
        __m256 vb = _mm256_set1_ps(beta);
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
    }
}

/* One row of C (see vn__gemm_row_fn). tb: a dot product per column, in
 * four 8-lane partial sums (k mod 32), then 8 at a time and a scalar tail,
 * added in a fixed order. Otherwise: c += a[k] * B[k, :] over k, 8 columns
 * at a time (a scalar loop for the last N mod 8), each lane in k order. */
/* An edge tile (see vn__gemm_edge_fn): the full tile into a buffer
 * (alpha 1, beta 0: acc exactly), then the full tile's store arithmetic
 * element by element (fmaf is one vfmadd here, compiled for FMA). */
ATTR static void avx2_edge(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                           float alpha, float beta, int64_t h, int64_t w)
{
    float tile[MR * NR] __attribute__((aligned(32)));
    avx2_ukr(kc, a, b, tile, NR, 1.0f, 0.0f);
    for (int64_t i = 0; i < h; i++)
        for (int64_t j = 0; j < w; j++) {
            float t = alpha * tile[i * NR + j];
            c[i * ldc + j] = beta == 0.0f ? t : __builtin_fmaf(beta, c[i * ldc + j], t);
        }
}

/* avx2_edge stored transposed (edge_t of vn__gemm_kernel). */
ATTR static void avx2_edge_t(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                             float alpha, float beta, int64_t h, int64_t w)
{
    float tile[MR * NR] __attribute__((aligned(32)));
    avx2_ukr(kc, a, b, tile, NR, 1.0f, 0.0f);
    for (int64_t j = 0; j < w; j++)
        for (int64_t i = 0; i < h; i++) {
            float t = alpha * tile[i * NR + j];
            c[j * ldc + i] = beta == 0.0f ? t : __builtin_fmaf(beta, c[j * ldc + i], t);
        }
}

ATTR static void avx2_row(bool tb, int64_t N, int64_t K, float alpha, const float *a,
                          int64_t inca, const float *B, int64_t ldb, float beta, float *c)
{
    if (tb) {   /* inca == 1 here (gemm.c gathers a strided a first) */
        (void)inca;
        for (int64_t j = 0; j < N; j++) {
            const float *b = B + j * ldb;
            __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            int64_t k = 0;
            for (; k + 32 <= K; k += 32) {
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), s0);
                s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 8), _mm256_loadu_ps(b + k + 8), s1);
                s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 16), _mm256_loadu_ps(b + k + 16), s2);
                s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k + 24), _mm256_loadu_ps(b + k + 24), s3);
            }
            for (; k + 8 <= K; k += 8)
                s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k), _mm256_loadu_ps(b + k), s0);
            __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
            float lanes[8];
            _mm256_storeu_ps(lanes, s);
            float acc = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                        ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
            for (; k < K; k++)
                acc = fmaf(a[k], b[k], acc);
            float t = alpha * acc;
            c[j] = beta == 0.0f ? t : fmaf(beta, c[j], t);
        }
        return;
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    int64_t j = 0;
    for (; j + 32 <= N; j += 32) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int64_t k = 0; k < K; k++) {
            __m256 ak = _mm256_set1_ps(a[k * inca]);
            const float *bk = B + k * ldb + j;
            s0 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk), s0);
            s1 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk + 8), s1);
            s2 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk + 16), s2);
            s3 = _mm256_fmadd_ps(ak, _mm256_loadu_ps(bk + 24), s3);
        }
        __m256 s[4] = {s0, s1, s2, s3};
        for (int q = 0; q < 4; q++) {
            __m256 t = _mm256_mul_ps(va, s[q]);
            if (beta != 0.0f)
                t = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + j + 8 * q), t);
            _mm256_storeu_ps(c + j + 8 * q, t);
        }
    }
    for (; j + 8 <= N; j += 8) {
        __m256 s0 = _mm256_setzero_ps();
        for (int64_t k = 0; k < K; k++)
            s0 = _mm256_fmadd_ps(_mm256_set1_ps(a[k * inca]), _mm256_loadu_ps(B + k * ldb + j), s0);
        __m256 t = _mm256_mul_ps(va, s0);
        if (beta != 0.0f)
            t = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + j), t);
        _mm256_storeu_ps(c + j, t);
    }
    for (; j < N; j++) {
        float acc = 0.0f;
        for (int64_t k = 0; k < K; k++)
            acc = fmaf(a[k * inca], B[k * ldb + j], acc);
        float t = alpha * acc;
        c[j] = beta == 0.0f ? t : fmaf(beta, c[j], t);
    }
}

const vn__gemm_kernel vn__gemm_kernel_avx2 = {"avx2 6x16", MR,          NR,          avx2_ukr,
                                              avx2_edge,   avx2_edge_t, NULL,        avx2_pack_a,
                                              avx2_pack_b, avx2_row};

#endif /* VN_GEMM_X86 */
