/*
 * im2row_packed.c - the weight gradient's column matrix written straight
 * into the native GEMM's packed panels, for 3x3 "same" stride-1
 * convolutions of one group whose channels come in multiples of 32.
 *
 * The weight gradient is dW[k, q] = sum_p dY[k, p] col[q, p]: a GEMM whose
 * B operand is col^T, one row per output pixel p and one column per
 * (channel, tap) q. Built by im2col then packed by the GEMM, it was
 * written twice and read twice (a quarter of the gradient's time). Here
 * the columns are taken tap-major, q' = t*C + c: with the input copied
 * channels-last into a zero-bordered plane (one sample at a time, in
 * cache), row p of a 32-column panel is then 32 consecutive floats of
 * that copy (tap t of channels c0 .. c0+31), two loads and two aligned
 * stores. The GEMM gives dW with its columns permuted (conv.c puts them
 * back when it adds the partial sums); every element is the same dot
 * product in the same order as the row-major path's, so the values are
 * the same bytes.
 *
 * AVX-512F only (the layout is the 8x32 kernel's).
 */
#include "kernels/gemm_internal.h"

#include <string.h>

#if VN_GEMM_X86
#include <immintrin.h>
#endif

#define PANEL 32

static vn__simd_switch simd; /* tests turn the packed path off */

bool vn__im2row_packed_enable(bool on)
{
    vn__simd_set(&simd, on);
    return true;
}

bool vn__im2row_packable(const vn__conv_geom *g)
{
#if VN_GEMM_X86
    return vn__simd_on(&simd) && g->groups == 1 && g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 &&
           g->ph == 1 && g->pw == 1 && g->dh == 1 && g->dw == 1 && g->oh == g->h &&
           g->ow == g->w && g->c % PANEL == 0 && g->c > 0 && 16 * g->h * g->w < INT32_MAX;
#else
    (void)g;
    return false;
#endif
}

size_t vn__im2row_scratch_floats(const vn__conv_geom *g)
{
    return (size_t)((g->h + 2) * (g->w + 2) * g->c);
}

#if VN_GEMM_X86

#define ATTR __attribute__((target("avx512f")))

/* Sample x ([C, H, W]) channels-last into t ([H+2, W+2, C]), zero border;
 * 16 channels of a pixel a gather. */
ATTR static void channels_last(const vn__conv_geom *g, const float *x, float *t)
{
    const int64_t H = g->h, W = g->w, C = g->c, Wp = W + 2;
    const __m512i lanes = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int32_t)(H * W)));
    memset(t, 0, (size_t)(Wp * C) * sizeof(float));
    memset(t + (H + 1) * Wp * C, 0, (size_t)(Wp * C) * sizeof(float));
    for (int64_t y = 0; y < H; y++) {
        float *row = t + (y + 1) * Wp * C;
        memset(row, 0, (size_t)C * sizeof(float));
        memset(row + (W + 1) * C, 0, (size_t)C * sizeof(float));
        for (int64_t xx = 0; xx < W; xx++) {
            float *dst = row + (xx + 1) * C;
            for (int64_t c0 = 0; c0 < C; c0 += 16)
                _mm512_storeu_ps(dst + c0, _mm512_i32gather_ps(lanes, x + (c0 * H + y) * W + xx,
                                                               4));
        }
    }
}

ATTR void vn__im2row_packed(const vn__conv_geom *g, const float *x, int64_t cnt, int64_t kc,
                            float *out, float *scratch)
{
    const int64_t H = g->h, W = g->w, C = g->c, HW = H * W, Wp = W + 2;
    const int64_t N = 9 * C, K = cnt * HW; /* N is a multiple of PANEL */
    for (int64_t s = 0; s < cnt; s++) {
        channels_last(g, x + s * C * HW, scratch);
        for (int64_t p = 0; p < HW; p++) {
            const int64_t r = s * HW + p, pc = r / kc * kc, kb = VN_MIN(kc, K - pc);
            float *row = out + pc * N + (r - pc) * PANEL;
            const float *at = scratch + ((p / W) * Wp + p % W) * C;
            for (int t = 0; t < 9; t++) {
                const float *src = at + ((t / 3) * Wp + t % 3) * C;
                for (int64_t c0 = 0; c0 < C; c0 += PANEL) {
                    float *dst = row + (t * C + c0) * kb;
                    _mm512_store_ps(dst, _mm512_loadu_ps(src + c0));
                    _mm512_store_ps(dst + 16, _mm512_loadu_ps(src + c0 + 16));
                }
            }
        }
    }
}

#else

void vn__im2row_packed(const vn__conv_geom *g, const float *x, int64_t cnt, int64_t kc,
                       float *out, float *scratch)
{
    (void)g, (void)x, (void)cnt, (void)kc, (void)out, (void)scratch;
}

#endif
