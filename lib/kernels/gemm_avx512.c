/*
 * gemm_avx512.c - the native GEMM's AVX-512 micro-kernel (8 x 32) and its
 * packing loops, compiled for AVX-512F whatever the build's -march; gemm.c
 * calls them only when __builtin_cpu_supports says the CPU has AVX-512F,
 * AVX-512DQ and FMA. See gemm_internal.h for the contract.
 *
 * 8 rows x 32 columns of C live in 16 zmm accumulators; per k the kernel
 * loads two vectors of the B panel and broadcasts eight values of the A
 * panel: 16 FMAs for 10 loads, enough independent chains (16) to cover the
 * FMA latency on two ports.
 */
#include "kernels/gemm_internal.h"

#if VN_GEMM_X86

#include <immintrin.h>
#include <math.h>

#define ATTR __attribute__((target("avx512f,avx512dq,fma")))
#define MR 8
#define NR 32

VN__GEMM_DEFINE_PACKING(avx512, MR, NR, ATTR)

#define ROW(i)                                                                                 \
    {                                                                                          \
        __m512 ai = _mm512_set1_ps(a[i]);                                                      \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                                            \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                                            \
    }
#define STEP(off)                                                                              \
    {                                                                                          \
        __m512 b0 = _mm512_loadu_ps(b + (off) * NR), b1 = _mm512_loadu_ps(b + (off) * NR + 16);   \
        const float *a_ = a;                                                                   \
        a = a_ + (off) * MR;                                                                   \
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)                                \
        a = a_;                                                                                \
    }
#define STORE0(i)                                                                              \
    _mm512_storeu_ps(c + (i) * ldc, _mm512_mul_ps(va, c##i##0));                               \
    _mm512_storeu_ps(c + (i) * ldc + 16, _mm512_mul_ps(va, c##i##1));
#define STORE(i)                                                                               \
    _mm512_storeu_ps(c + (i) * ldc,                                                            \
                     _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + (i) * ldc), _mm512_mul_ps(va, c##i##0))); \
    _mm512_storeu_ps(c + (i) * ldc + 16,                                                       \
                     _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + (i) * ldc + 16),                  \
                                     _mm512_mul_ps(va, c##i##1)));

ATTR static void avx512_ukr(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                            float alpha, float beta)
{
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 9 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 10 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 11 * NR), _MM_HINT_T0);
        STEP(0) STEP(1) STEP(2) STEP(3)
        a += 4 * MR;
        b += 4 * NR;
    }
    for (; k < kc; k++) {
        STEP(0)
        a += MR;
        b += NR;
    }
    __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
        STORE0(0) STORE0(1) STORE0(2) STORE0(3) STORE0(4) STORE0(5) STORE0(6) STORE0(7)
    } else {
        __m512 vb = _mm512_set1_ps(beta);
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
    }
}

/* A tile whose A is read in place (see vn__gemm_direct_fn): row i of A's
 * panel is a + i * lda, k contiguous. The same FMAs in the same order as
 * avx512_ukr on the packed panel, so the same values. */
#define DROW(i)                                                                                \
    {                                                                                          \
        __m512 ai = _mm512_set1_ps(a##i[kk]);                                                  \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                                            \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                                            \
    }
ATTR static void avx512_direct(int64_t kc, const float *a, int64_t lda, const float *b, float *c,
                               int64_t ldc, float alpha, float beta)
{
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
    const float *a4 = a + 4 * lda, *a5 = a + 5 * lda, *a6 = a + 6 * lda, *a7 = a + 7 * lda;
#define DSTEP(off)                                                                             \
    {                                                                                          \
        const int64_t kk = k + (off);                                                          \
        __m512 b0 = _mm512_loadu_ps(b + (off) * NR), b1 = _mm512_loadu_ps(b + (off) * NR + 16); \
        DROW(0) DROW(1) DROW(2) DROW(3) DROW(4) DROW(5) DROW(6) DROW(7)                        \
    }
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        _mm_prefetch((const char *)(b + 8 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 9 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 10 * NR), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 11 * NR), _MM_HINT_T0);
        DSTEP(0) DSTEP(1) DSTEP(2) DSTEP(3)
        b += 4 * NR;
    }
    for (; k < kc; k++) {
        DSTEP(0)
        b += NR;
    }
    __m512 va = _mm512_set1_ps(alpha);
    if (beta == 0.0f) {
        STORE0(0) STORE0(1) STORE0(2) STORE0(3) STORE0(4) STORE0(5) STORE0(6) STORE0(7)
    } else {
        __m512 vb = _mm512_set1_ps(beta);
        STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
    }
}

/* The first h rows and w columns of a tile of accumulators (tile, NR
 * floats a row) into C with the full tile's store arithmetic (alpha * acc,
 * or fma(beta, C, alpha * acc)) under column masks; C outside them is not
 * touched. */
ATTR static void store_tile(const float *tile, float *c, int64_t ldc, float alpha, float beta,
                            int64_t h, int64_t w)
{
    const __mmask16 m0 = w >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << w) - 1u);
    const __mmask16 m1 = w >= 32 ? (__mmask16)0xffff
                       : w <= 16 ? (__mmask16)0
                                 : (__mmask16)((1u << (w - 16)) - 1u);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int64_t i = 0; i < h; i++) {
        float *ci = c + i * ldc;
        __m512 t0 = _mm512_mul_ps(va, _mm512_load_ps(tile + i * NR));
        __m512 t1 = _mm512_mul_ps(va, _mm512_load_ps(tile + i * NR + 16));
        if (beta != 0.0f) {
            t0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), t0);
            t1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), t1);
        }
        _mm512_mask_storeu_ps(ci, m0, t0);
        _mm512_mask_storeu_ps(ci + 16, m1, t1);
    }
}

/* avx512_direct for the first w columns of the tile (all MR rows). */
ATTR static void avx512_direct_edge(int64_t kc, const float *a, int64_t lda, const float *b,
                                    float *c, int64_t ldc, float alpha, float beta, int64_t w)
{
    if (w == NR) {
        avx512_direct(kc, a, lda, b, c, ldc, alpha, beta);
        return;
    }
    float tile[MR * NR] __attribute__((aligned(64)));
    avx512_direct(kc, a, lda, b, tile, NR, 1.0f, 0.0f);
    store_tile(tile, c, ldc, alpha, beta, MR, w);
}

/* An edge tile (see vn__gemm_edge_fn): the full tile's accumulators into
 * a buffer (alpha 1, beta 0: acc exactly), then the same store arithmetic
 * as the full tile's under column masks. */
ATTR static void avx512_edge(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                             float alpha, float beta, int64_t h, int64_t w)
{
    float tile[MR * NR] __attribute__((aligned(64)));
    avx512_ukr(kc, a, b, tile, NR, 1.0f, 0.0f);
    store_tile(tile, c, ldc, alpha, beta, h, w);
}

/* An edge tile stored transposed (edge_t of vn__gemm_kernel): the tile
 * into a buffer, transposed 8 x 8 at a time, then row j of the transpose
 * (column j of the tile, h values) stored at c + j * ldc with the same
 * arithmetic as avx512_edge. */
ATTR static void avx512_edge_t(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                               float alpha, float beta, int64_t h, int64_t w)
{
    float tile[MR * NR] __attribute__((aligned(64)));
    float tt[NR * MR] __attribute__((aligned(64)));
    avx512_ukr(kc, a, b, tile, NR, 1.0f, 0.0f);
    for (int j = 0; j < NR; j += 8)
        avx512_tr8(tile + j, NR, tt + j * MR, MR);
    const __mmask16 mh = (__mmask16)((1u << h) - 1u);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int64_t j = 0; j < w; j++) {
        float *cj = c + j * ldc;
        __m512 t = _mm512_mul_ps(va, _mm512_maskz_loadu_ps(mh, tt + j * MR));
        if (beta != 0.0f)
            t = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mh, cj), t);
        _mm512_mask_storeu_ps(cj, mh, t);
    }
}

/* One row of C (see vn__gemm_row_fn). tb: a dot product per column, in
 * four 16-lane partial sums (k mod 64), then 16 at a time and a masked
 * tail, added in a fixed order. Otherwise: c += a[k] * B[k, :] over k, 16 columns at a
 * time, each lane in k order. */
ATTR static void avx512_row(bool tb, int64_t N, int64_t K, float alpha, const float *a,
                            int64_t inca, const float *B, int64_t ldb, float beta, float *c)
{
    if (tb) {   /* inca == 1 here (gemm.c gathers a strided a first) */
        (void)inca;
        for (int64_t j = 0; j < N; j++) {
            const float *b = B + j * ldb;
            __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            int64_t k = 0;
            for (; k + 64 <= K; k += 64) {
                s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), s0);
                s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k + 16), _mm512_loadu_ps(b + k + 16), s1);
                s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k + 32), _mm512_loadu_ps(b + k + 32), s2);
                s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k + 48), _mm512_loadu_ps(b + k + 48), s3);
            }
            for (; k + 16 <= K; k += 16)
                s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), s0);
            if (k < K) {
                __mmask16 m = (__mmask16)((1u << (K - k)) - 1u);
                s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k),
                                     s1);
            }
            float acc = _mm512_reduce_add_ps(
                _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
            float t = alpha * acc;
            c[j] = beta == 0.0f ? t : fmaf(beta, c[j], t);
        }
        return;
    }
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int64_t j = 0; j < N; j += 64) {
        int64_t w = N - j < 64 ? N - j : 64;
        __mmask16 m[4];
        for (int q = 0; q < 4; q++) {
            int64_t left = w - 16 * q;
            m[q] = left >= 16 ? (__mmask16)0xffff : left <= 0 ? (__mmask16)0
                                                              : (__mmask16)((1u << left) - 1u);
        }
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        const float *b = B + j;
        for (int64_t k = 0; k < K; k++) {
            __m512 ak = _mm512_set1_ps(a[k * inca]);
            const float *bk = b + k * ldb;
            s0 = _mm512_fmadd_ps(ak, _mm512_maskz_loadu_ps(m[0], bk), s0);
            s1 = _mm512_fmadd_ps(ak, _mm512_maskz_loadu_ps(m[1], bk + 16), s1);
            s2 = _mm512_fmadd_ps(ak, _mm512_maskz_loadu_ps(m[2], bk + 32), s2);
            s3 = _mm512_fmadd_ps(ak, _mm512_maskz_loadu_ps(m[3], bk + 48), s3);
        }
        __m512 s[4] = {s0, s1, s2, s3};
        for (int q = 0; q < 4; q++) {
            if (!m[q])
                break;
            __m512 t = _mm512_mul_ps(va, s[q]);
            if (beta != 0.0f)
                t = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m[q], c + j + 16 * q), t);
            _mm512_mask_storeu_ps(c + j + 16 * q, m[q], t);
        }
    }
}

const vn__gemm_kernel vn__gemm_kernel_avx512 = {"avx512 8x32", MR, NR, avx512_ukr, avx512_edge, avx512_edge_t, avx512_direct_edge,
                                                avx512_pack_a, avx512_pack_b, avx512_row};

#endif /* VN_GEMM_X86 */
