/*
 * im2col_packed.c - im2col written straight into the native GEMM's packed
 * panels (gemm.c, vn__gemm_prepack_layout), for the convolutions where that
 * is a copy: stride 1, the output as wide as the input (3x3 with padding 1,
 * 1x1, any dilation), one group. There, in output pixel order p = oh*W + ow,
 * kernel tap (ki, kj) of channel c reads x[c*H*W + p + (ki*dh - ph)*W +
 * (kj*dw - pw)]: consecutive columns read consecutive floats, except that
 * taps falling in the padding read zero. So one row of a 32-column panel is
 * two masked 16-float loads (a third and fourth when the panel straddles
 * two samples), the masks worked out once per panel and tap, and two
 * aligned stores: the column matrix is never written row-major and packed
 * again, which was a tenth of a convolution's time (the packing pass) on
 * top of im2col's own.
 *
 * AVX-512F only (the layout is the 8x32 kernel's); masked loads read no
 * memory under a zero mask bit, so lanes in the padding or past the image
 * touch nothing.
 */
#include "kernels/gemm_internal.h"

#if VN_GEMM_X86
#include <immintrin.h>
#endif

#define PANEL 32
/* Kernel sizes taken (per axis): the per-panel masks live on the stack. */
#define MAX_TAPS_1D 16

static vn__simd_switch simd; /* tests turn the packed path off */

bool vn__im2col_packed_enable(bool on)
{
    vn__simd_set(&simd, on);
    return true;
}

bool vn__im2col_packable(const vn__conv_geom *g, int64_t cnt, int64_t oh0, int64_t oh1)
{
#if VN_GEMM_X86
    const int64_t cols = (oh1 - oh0) * g->ow;
    return vn__simd_on(&simd) && g->groups == 1 && g->sh == 1 && g->sw == 1 && g->w == g->ow &&
           g->kh <= MAX_TAPS_1D && g->kw <= MAX_TAPS_1D && oh1 > oh0 &&
           (cnt == 1 || cols >= PANEL) && g->h * g->w <= INT32_MAX / 2;
#else
    (void)g, (void)cnt, (void)oh0, (void)oh1;
    return false;
#endif
}

#if VN_GEMM_X86

#define ATTR __attribute__((target("avx512f")))

/* Bits j (lanes of a panel) for which lo <= v[j] + d < hi. */
ATTR static inline uint32_t in_range(__m512i v0, __m512i v1, int64_t d, int64_t lo, int64_t hi)
{
    const __m512i vd = _mm512_set1_epi32((int)d);
    const __m512i vlo = _mm512_set1_epi32((int)lo), vhi = _mm512_set1_epi32((int)hi);
    const __m512i a = _mm512_add_epi32(v0, vd), b = _mm512_add_epi32(v1, vd);
    const uint32_t m0 = _mm512_cmpge_epi32_mask(a, vlo) & _mm512_cmplt_epi32_mask(a, vhi);
    const uint32_t m1 = _mm512_cmpge_epi32_mask(b, vlo) & _mm512_cmplt_epi32_mask(b, vhi);
    return m0 | m1 << 16;
}

ATTR void vn__im2col_packed(const vn__conv_geom *g, const float *x, int64_t cnt, int64_t oh0,
                            int64_t oh1, int64_t kc, float *out)
{
    const int64_t H = g->h, W = g->w, HW = H * W, C = g->c;
    const int kh = g->kh, kw = g->kw, taps = kh * kw;
    const int64_t ncs = (oh1 - oh0) * W, cols = cnt * ncs;
    const int64_t K = C * taps, npad = (cols + PANEL - 1) / PANEL * PANEL;
    int32_t oh[PANEL] __attribute__((aligned(64))), ow[PANEL] __attribute__((aligned(64)));
    uint32_t rowm[MAX_TAPS_1D], colm[MAX_TAPS_1D], ma[MAX_TAPS_1D * MAX_TAPS_1D],
        mb[MAX_TAPS_1D * MAX_TAPS_1D];
    int64_t toff[MAX_TAPS_1D * MAX_TAPS_1D];
    for (int ki = 0; ki < kh; ki++)
        for (int kj = 0; kj < kw; kj++)
            toff[ki * kw + kj] = ((int64_t)ki * g->dh - g->ph) * W + (int64_t)kj * g->dw - g->pw;
    for (int64_t j0 = 0; j0 < cols; j0 += PANEL) {
        /* the panel's lanes: sample sa up to lane split, then sample sa + 1 */
        const int64_t sa = j0 / ncs, pa = oh0 * W + (j0 - sa * ncs);
        const int64_t split = VN_MIN((int64_t)PANEL, (sa + 1) * ncs - j0);
        const int64_t live = VN_MIN((int64_t)PANEL, cols - j0);
        for (int64_t j = 0; j < PANEL; j++) {
            const int64_t p = j < split ? pa + j : oh0 * W + (j - split);
            oh[j] = (int32_t)(p / W);
            ow[j] = (int32_t)(p % W);
        }
        const uint32_t all = live == PANEL ? 0xffffffffu : (uint32_t)((1ull << live) - 1);
        const uint32_t lane_a = all & (split >= PANEL ? 0xffffffffu : (uint32_t)((1ull << split) - 1));
        const uint32_t lane_b = all & ~lane_a;
        const __m512i oh0v = _mm512_load_si512(oh), oh1v = _mm512_load_si512(oh + 16);
        const __m512i ow0v = _mm512_load_si512(ow), ow1v = _mm512_load_si512(ow + 16);
        for (int ki = 0; ki < kh; ki++)
            rowm[ki] = in_range(oh0v, oh1v, (int64_t)ki * g->dh - g->ph, 0, H);
        for (int kj = 0; kj < kw; kj++)
            colm[kj] = in_range(ow0v, ow1v, (int64_t)kj * g->dw - g->pw, 0, W);
        /* each tap's lanes of sample a and of sample b, for every channel */
        for (int t = 0; t < taps; t++) {
            const uint32_t valid = rowm[t / kw] & colm[t % kw];
            ma[t] = valid & lane_a;
            mb[t] = valid & lane_b;
        }
        /* lane j of sample a reads xa[j + off], of sample b xb[j + off] */
        const float *xa = x + sa * C * HW + pa;
        const float *xb = lane_b ? x + (sa + 1) * C * HW + oh0 * W - split : xa;
        /* row k of this panel: K block [pc, pc + kb), then k - pc rows in */
        int64_t pc = 0, kb = VN_MIN(kc, K);
        float *o = out + j0 * kb;
        for (int64_t c = 0, k = 0; c < C; c++) {
            for (int t = 0; t < taps; t++, k++, o += PANEL) {
                if (k == pc + kb) {
                    pc = k;
                    kb = VN_MIN(kc, K - pc);
                    o = out + pc * npad + j0 * kb;
                }
                const int64_t off = c * HW + toff[t];
                __m512 v0 = _mm512_maskz_loadu_ps((__mmask16)ma[t], xa + off);
                __m512 v1 = _mm512_maskz_loadu_ps((__mmask16)(ma[t] >> 16), xa + off + 16);
                if (mb[t]) {
                    v0 = _mm512_mask_loadu_ps(v0, (__mmask16)mb[t], xb + off);
                    v1 = _mm512_mask_loadu_ps(v1, (__mmask16)(mb[t] >> 16), xb + off + 16);
                }
                _mm512_store_ps(o, v0);
                _mm512_store_ps(o + 16, v1);
            }
        }
    }
}

#else

void vn__im2col_packed(const vn__conv_geom *g, const float *x, int64_t cnt, int64_t oh0,
                       int64_t oh1, int64_t kc, float *out)
{
    (void)g, (void)x, (void)cnt, (void)oh0, (void)oh1, (void)kc, (void)out;
}

#endif
