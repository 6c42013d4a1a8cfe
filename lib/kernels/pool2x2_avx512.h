/*
 * pool2x2_avx512.h - the AVX-512F 2x2 stride-2 max of 16 windows, shared
 * by pooling.c's 2x2 path and the convolution kernels that pool in
 * registers (conv_pool_direct.c). Include only where immintrin.h is.
 */
#ifndef VN_POOL2X2_AVX512_H
#define VN_POOL2X2_AVX512_H

#include <immintrin.h>
#include <stdint.h>

/* Windows 0..15 of a row of windows: the top input row's 32 values in
 * a0 | a1 (window l covers lanes 2l, 2l+1), the bottom row's in b0 | b1.
 * Returns each window's maximum; *tap gets the winner's offset from the
 * window's top-left pixel (0, 1, w, w+1) for input rows w floats apart.
 * The taps are compared in row-major order, a tap winning when greater or
 * unordered (NaN), so ties keep the earlier tap: pooling.c's portable
 * loop, bit for bit. */
__attribute__((target("avx512f"), always_inline)) static inline __m512
vn__max2x2_avx512(__m512 a0, __m512 a1, __m512 b0, __m512 b1, int32_t w, __m512i *tap)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                           30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    __m512 m = _mm512_permutex2var_ps(a0, even, a1);
    const __m512 t1 = _mm512_permutex2var_ps(a0, odd, a1);
    const __m512 t2 = _mm512_permutex2var_ps(b0, even, b1);
    const __m512 t3 = _mm512_permutex2var_ps(b0, odd, b1);
    const __mmask16 w1 =
        _mm512_cmp_ps_mask(t1, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(t1, t1, _CMP_UNORD_Q);
    m = _mm512_mask_mov_ps(m, w1, t1);
    const __mmask16 w2 =
        _mm512_cmp_ps_mask(t2, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(t2, t2, _CMP_UNORD_Q);
    m = _mm512_mask_mov_ps(m, w2, t2);
    const __mmask16 w3 =
        _mm512_cmp_ps_mask(t3, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(t3, t3, _CMP_UNORD_Q);
    m = _mm512_mask_mov_ps(m, w3, t3);
    __m512i k = _mm512_maskz_mov_epi32(w1, _mm512_set1_epi32(1));
    k = _mm512_mask_mov_epi32(k, w2, _mm512_set1_epi32(w));
    *tap = _mm512_mask_mov_epi32(k, w3, _mm512_set1_epi32(w + 1));
    return m;
}

#endif
