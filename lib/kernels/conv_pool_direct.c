/*
 * conv_pool_direct.c - a one-channel 3x3 "same" convolution, relu and 2x2
 * stride-2 max-pool in registers: a grayscale network's first layer.
 *
 * With one input channel the GEMM of conv.c has an inner dimension of 9:
 * its tiles spend their time storing the output to scratch, which the
 * epilogue then reads twice (bias and relu, then the pool). Here each
 * output channel's two conv rows under a row of pool windows are computed
 * 32 columns at a time in four registers, nine multiply-adds each, biased,
 * relu'd and pooled before anything is stored: the pool's output and
 * arg-max are the only writes.
 *
 * The values are conv.c's bit for bit: each conv output is the same
 * fused multiply-adds in the same tap order from zero (the GEMM's
 * micro-kernel over the im2col column, zeros in the padding included),
 * then + bias and relu as bias_relu computes them, and the pool compares
 * the four taps in pooling.c's order with its rules (greater, or NaN).
 *
 * AVX-512F only; conv.c uses it when vn__conv_pool_direct_ok says so.
 */
#include "kernels/kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#  define CPD_AVX512 1
#  include "kernels/pool2x2_avx512.h"
#else
#  define CPD_AVX512 0
#endif

static vn__simd_switch simd; /* tests turn the direct path off */

bool vn__conv_pool_direct_enable(bool on)
{
    vn__simd_set(&simd, on);
    return true;
}

bool vn__conv_pool_direct_ok(const vn__conv_geom *g, const vn__pool_geom *p)
{
#if CPD_AVX512
    return vn__simd_on(&simd) && g->c == 1 && g->groups == 1 && g->kh == 3 && g->kw == 3 && g->sh == 1 &&
           g->sw == 1 && g->ph == 1 && g->pw == 1 && g->dh == 1 && g->dw == 1 &&
           g->oh == g->h && g->ow == g->w && p->kh == 2 && p->kw == 2 && p->sh == 2 &&
           p->sw == 2 && p->ph == 0 && p->pw == 0 && p->dh == 1 && p->dw == 1 &&
           p->h == g->oh && p->w == g->ow && p->oh == g->oh / 2 && p->ow == g->ow / 2 &&
           p->oh >= 1 && p->ow >= 1 && g->h * g->w <= INT32_MAX / 2;
#else
    (void)g, (void)p;
    return false;
#endif
}

#if CPD_AVX512

typedef struct cpd_job {
    const vn__conv_geom *g;
    const vn__pool_geom *p;
    const float *x, *w, *bias;
    float *y;
    int32_t *argmax;
} cpd_job;

#define ATTR __attribute__((target("avx512f")))

/* Input row r (zeros outside the image), columns first + lane for 16
 * lanes, zeros outside [0, W). */
ATTR static inline __m512 input16(const float *x, int64_t H, int64_t W, int64_t r,
                                  int64_t first)
{
    const int64_t lo = VN_MAX((int64_t)0, -first), hi = VN_MIN((int64_t)16, W - first);
    if (r < 0 || r >= H || hi <= lo)
        return _mm512_setzero_ps();
    const uint32_t m = ((1u << hi) - 1u) & ~((1u << lo) - 1u);
    return _mm512_maskz_loadu_ps((__mmask16)m, x + r * W + first);
}

/* relu(sum of the nine taps + b), the taps in the GEMM's order. X holds
 * the input rows the conv row reads: X[ki * 3 + kj] is row + ki - 1 at
 * column shift kj - 1. */
ATTR static inline __m512 conv16(const __m512 *X, const float *wk, __m512 b)
{
    __m512 acc = _mm512_setzero_ps();
    for (int t = 0; t < 9; t++)
        acc = _mm512_fmadd_ps(_mm512_set1_ps(wk[t]), X[t], acc);
    const __m512 y = _mm512_add_ps(acc, b);
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), y);
}

/* Samples [begin, end): for each row of pool windows and 32 conv columns,
 * the four input rows are loaded once (at the three column shifts, two
 * halves) and every output channel convolves, biases, relus and pools
 * them in registers. */
ATTR static void samples(void *arg, int64_t begin, int64_t end)
{
    const cpd_job *j = arg;
    const vn__conv_geom *g = j->g;
    const int64_t H = g->h, W = g->w, K = g->k, PH = j->p->oh, PW = j->p->ow, Q = PH * PW;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                           30);
    for (int64_t n = begin; n < end; n++) {
        const float *x = j->x + n * H * W;
        for (int64_t i = 0; i < PH; i++)
            for (int64_t o = 0; o < PW; o += 16) {
                const int64_t nl = VN_MIN((int64_t)16, PW - o);
                const __mmask16 mo = (__mmask16)((1u << nl) - 1u);
                /* rows 2i-1 .. 2i+2, shifts -1 .. 1, conv columns 2o + 16h + lane */
                __m512 R[4][3][2];
                for (int r = 0; r < 4; r++)
                    for (int kj = 0; kj < 3; kj++)
                        for (int h = 0; h < 2; h++)
                            R[r][kj][h] = input16(x, H, W, 2 * i - 1 + r, 2 * o + 16 * h + kj - 1);
                const __m512i base = _mm512_add_epi32(
                    _mm512_set1_epi32((int32_t)(2 * i * W + 2 * o)), even);
                for (int64_t k = 0; k < K; k++) {
                    const float *wk = j->w + k * 9;
                    const __m512 b = _mm512_set1_ps(j->bias ? j->bias[k] : 0.0f);
                    __m512 conv[2][2];
                    for (int rr = 0; rr < 2; rr++)
                        for (int h = 0; h < 2; h++) {
                            __m512 X[9];
                            for (int t = 0; t < 9; t++)
                                X[t] = R[rr + t / 3][t % 3][h];
                            conv[rr][h] = conv16(X, wk, b);
                        }
                    __m512i tap;
                    const __m512 m = vn__max2x2_avx512(conv[0][0], conv[0][1], conv[1][0],
                                                       conv[1][1], (int32_t)W, &tap);
                    const int64_t at = (n * K + k) * Q + i * PW + o;
                    _mm512_mask_storeu_ps(j->y + at, mo, m);
                    if (j->argmax)
                        _mm512_mask_storeu_epi32(j->argmax + at, mo, _mm512_add_epi32(base, tap));
                }
            }
    }
}

void vn__conv_pool_direct(const vn__conv_geom *g, const vn__pool_geom *p, const float *x,
                          const float *w, const float *bias, float *y, int32_t *argmax)
{
    cpd_job j = {.g = g, .p = p, .x = x, .w = w, .bias = bias, .y = y, .argmax = argmax};
    vn__parallel_for(g->n, (double)(g->k * g->h * g->w * 20), samples, &j);
}

#else

void vn__conv_pool_direct(const vn__conv_geom *g, const vn__pool_geom *p, const float *x,
                          const float *w, const float *bias, float *y, int32_t *argmax)
{
    (void)g, (void)p, (void)x, (void)w, (void)bias, (void)y, (void)argmax;
}

#endif
