/*
 * gemm_internal.h - the pieces of the native GEMM (gemm.c) that are
 * compiled for one instruction set each (gemm_avx2.c, gemm_avx512.c).
 *
 * The native GEMM is the BLIS / GotoBLAS loop nest: op(B) is packed into
 * panels of KC x NR (row k of a panel is NR consecutive floats), op(A) into
 * panels of MR x KC (column k is MR consecutive floats), both zero-padded
 * to whole panels, and a register-blocked micro-kernel multiplies one A
 * panel by one B panel into an MR x NR tile of C. The packing loops are
 * written once here (as macros expanded in each instruction-set file, so
 * the compiler vectorises them for that set) and the micro-kernels are
 * intrinsics.
 *
 * Micro-kernel contract: acc[i][j] = sum over k in order of
 * a[k*MR + i] * b[k*NR + j], one fused multiply-add per term, then
 * C[i][j] = alpha * acc (beta == 0: C is not read) or
 * fma(beta, C[i][j], alpha * acc). Every lane is summed in the same order
 * whatever the tile's position, so an element's value depends only on the
 * shape of the product (its K blocking), not on how C was cut over threads.
 */
#ifndef VN_GEMM_INTERNAL_H
#define VN_GEMM_INTERNAL_H

#include "kernels/kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#  define VN_GEMM_X86 1
#else
#  define VN_GEMM_X86 0
#endif

/* A full MR x NR tile: see the contract above. */
typedef void (*vn__gemm_ukr_fn)(int64_t kc, const float *a, const float *b, float *c,
                                int64_t ldc, float alpha, float beta);
/* An edge tile: the first h rows and w columns (h <= MR, w <= NR) of a full
 * tile, with exactly the arithmetic of the full tile (acc, then
 * alpha * acc, or fma(beta, C, alpha * acc)); C outside them is not
 * touched. */
/* The _t variant stores element (i, j) of the tile at c[j * ldc + i]. */
typedef void (*vn__gemm_edge_fn)(int64_t kc, const float *a, const float *b, float *c,
                                 int64_t ldc, float alpha, float beta, int64_t h, int64_t w);
/* Pack op(B)[k0 .. k0+kc) x [j0 .. j0+nc) into ceil(nc/NR) panels. */
typedef void (*vn__gemm_pack_b_fn)(bool tb, const float *B, int64_t ldb, int64_t k0, int64_t kc,
                                   int64_t j0, int64_t nc, float *out);
/* Pack op(A)[i0 .. i0+mc) x [k0 .. k0+kc) into ceil(mc/MR) panels. */
typedef void (*vn__gemm_pack_a_fn)(bool ta, const float *A, int64_t lda, int64_t i0, int64_t mc,
                                   int64_t k0, int64_t kc, float *out);

/* The product of one row, M == 1: c[j] = alpha * acc_j (beta == 0) or
 * fma(beta, c[j], alpha * acc_j) with acc_j = sum_k a[k * inca] * op(B)[k, j],
 * no packing. Each acc_j is summed in an order fixed by K alone. */
typedef void (*vn__gemm_row_fn)(bool tb, int64_t N, int64_t K, float alpha, const float *a,
                                int64_t inca, const float *B, int64_t ldb, float beta, float *c);

/* A tile of MR full rows and the first w columns (w <= NR) whose op(A) is
 * read in place, not packed: row i of its panel is a + i * lda, k
 * contiguous (A not transposed). The same arithmetic as the packed tile,
 * so the same values. */
typedef void (*vn__gemm_direct_fn)(int64_t kc, const float *a, int64_t lda, const float *b,
                                   float *c, int64_t ldc, float alpha, float beta, int64_t w);

typedef struct vn__gemm_kernel {
    const char *name;     /* "avx512 8x32" */
    int mr, nr;
    vn__gemm_ukr_fn ukr;
    vn__gemm_edge_fn edge;
    vn__gemm_edge_fn edge_t;   /* the same tile stored transposed: C[j][i] */
    vn__gemm_direct_fn direct; /* NULL: A is always packed */
    vn__gemm_pack_a_fn pack_a;
    vn__gemm_pack_b_fn pack_b;
    vn__gemm_row_fn row;
} vn__gemm_kernel;

#if VN_GEMM_X86
extern const vn__gemm_kernel vn__gemm_kernel_avx2;
extern const vn__gemm_kernel vn__gemm_kernel_avx512;
#endif

/* The packing loops for a given MR / NR, as static functions named
 * PREFIX_pack_a / PREFIX_pack_b with the attributes ATTR, and the 8 x 8
 * transpose they use, PREFIX_tr8(src, lds, dst, ldd): dst[c * ldd + r] =
 * src[r * lds + c] for r, c < 8 (AVX, which both instruction sets have;
 * the file includes <immintrin.h> first). */
#define VN__GEMM_DEFINE_PACKING(PREFIX, MR, NR, ATTR)                                          \
    ATTR static inline void PREFIX##_tr8(const float *src, int64_t lds, float *dst,           \
                                         int64_t ldd)                                          \
    {                                                                                          \
        __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds);                     \
        __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);       \
        __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);       \
        __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);       \
        __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);               \
        __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);               \
        __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);               \
        __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);               \
        __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));                        \
        __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));                        \
        __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));                        \
        __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));                        \
        __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));                        \
        __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));                        \
        __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));                        \
        __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));                        \
        _mm256_storeu_ps(dst, _mm256_permute2f128_ps(s0, s4, 0x20));                           \
        _mm256_storeu_ps(dst + ldd, _mm256_permute2f128_ps(s1, s5, 0x20));                     \
        _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(s2, s6, 0x20));                 \
        _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(s3, s7, 0x20));                 \
        _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(s0, s4, 0x31));                 \
        _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(s1, s5, 0x31));                 \
        _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(s2, s6, 0x31));                 \
        _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(s3, s7, 0x31));                 \
    }                                                                                          \
    ATTR static void PREFIX##_pack_b(bool tb, const float *B, int64_t ldb, int64_t k0,         \
                                     int64_t kc, int64_t j0, int64_t nc, float *out)           \
    {                                                                                          \
        for (int64_t jp = 0; jp < nc; jp += (NR)) {                                            \
            int64_t w = nc - jp < (NR) ? nc - jp : (NR);                                       \
            float *o = out + jp * kc;                                                          \
            if (!tb) {                                                                         \
                const float *b = B + k0 * ldb + j0 + jp;                                       \
                if (w == (NR)) {                                                               \
                    for (int64_t k = 0; k < kc; k++)                                           \
                        for (int j = 0; j < (NR); j++)                                         \
                            o[k * (NR) + j] = b[k * ldb + j];                                  \
                } else {                                                                       \
                    for (int64_t k = 0; k < kc; k++) {                                         \
                        for (int j = 0; j < w; j++)                                            \
                            o[k * (NR) + j] = b[k * ldb + j];                                  \
                        for (int j = (int)w; j < (NR); j++)                                    \
                            o[k * (NR) + j] = 0.0f;                                            \
                    }                                                                          \
                }                                                                              \
            } else {                                                                           \
                const float *b = B + (j0 + jp) * ldb + k0;                                     \
                int64_t k = 0;                                                                 \
                if (w == (NR) && (NR) % 8 == 0)                                                \
                    for (; k + 8 <= kc; k += 8)                                                \
                        for (int j = 0; j < (NR); j += 8)                                      \
                            PREFIX##_tr8(b + j * ldb + k, ldb, o + k * (NR) + j, (NR));        \
                for (; k < kc; k++) {                                                          \
                    for (int j = 0; j < w; j++)                                                \
                        o[k * (NR) + j] = b[j * ldb + k];                                      \
                    for (int j = (int)w; j < (NR); j++)                                        \
                        o[k * (NR) + j] = 0.0f;                                                \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    ATTR static void PREFIX##_pack_a(bool ta, const float *A, int64_t lda, int64_t i0,         \
                                     int64_t mc, int64_t k0, int64_t kc, float *out)           \
    {                                                                                          \
        for (int64_t ip = 0; ip < mc; ip += (MR)) {                                            \
            int64_t h = mc - ip < (MR) ? mc - ip : (MR);                                       \
            float *o = out + ip * kc;                                                          \
            if (ta) {                                                                          \
                const float *a = A + k0 * lda + i0 + ip;                                       \
                for (int64_t k = 0; k < kc; k++) {                                             \
                    for (int i = 0; i < h; i++)                                                \
                        o[k * (MR) + i] = a[k * lda + i];                                      \
                    for (int i = (int)h; i < (MR); i++)                                        \
                        o[k * (MR) + i] = 0.0f;                                                \
                }                                                                              \
            } else {                                                                           \
                const float *a = A + (i0 + ip) * lda + k0;                                     \
                if (h == (MR) && (MR) % 8 == 0) {                                              \
                    int64_t kt = 0;                                                            \
                    for (; kt + 8 <= kc; kt += 8)                                              \
                        for (int i = 0; i < (MR); i += 8)                                      \
                            PREFIX##_tr8(a + i * lda + kt, lda, o + kt * (MR) + i, (MR));      \
                    for (; kt < kc; kt++)                                                      \
                        for (int i = 0; i < (MR); i++)                                         \
                            o[kt * (MR) + i] = a[i * lda + kt];                                \
                    continue;                                                                  \
                }                                                                              \
                for (int i = 0; i < (MR); i++)                                                 \
                    if (i < h)                                                                 \
                        for (int64_t k = 0; k < kc; k++)                                       \
                            o[k * (MR) + i] = a[i * lda + k];                                  \
                    else                                                                       \
                        for (int64_t k = 0; k < kc; k++)                                       \
                            o[k * (MR) + i] = 0.0f;                                            \
            }                                                                                  \
        }                                                                                      \
    }

#endif /* VN_GEMM_INTERNAL_H */
