/*
 * pooling.c - max, average and adaptive-average pooling over the planes of
 * an NCHW tensor, forward and backward, as PyTorch and ONNX define them
 * (padding ph / pw before, ph_end / pw_end after; the output size, which
 * the caller chose with or without ceil_mode, may leave the last windows
 * hanging over the padded end):
 *
 * - max: padding counts as -inf; the gradient goes to the arg-max of each
 *   window (the first in row-major order on ties), overlapping windows
 *   accumulate.
 * - average: zero padding; the divisor is kh*kw with count_include_pad,
 *   else the number of window cells inside the image. PyTorch clips the
 *   window to the padded image first (hend = min(hstart + k, h + p_end)),
 *   so the divisor counts explicit padding but never the ceil_mode
 *   overhang past it.
 * - adaptive average: output (i, j) averages rows floor(i*h/oh) ..
 *   ceil((i+1)*h/oh)-1 and the columns likewise.
 *
 * The common 2x2 stride-2 max-pool has its own paths (AVX-512 forward and
 * backward where the CPU has it, a vectorisable loop elsewhere), and a
 * backward through a relu and the pool at once for the graph runtime's
 * fusion; all give the general path's results bit for bit.
 *
 * All parallel over planes (sample, channel).
 */
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#  define POOL_AVX512 1
#  include "kernels/pool2x2_avx512.h"
#else
#  define POOL_AVX512 0
#endif

typedef struct pool_job {
    const vn__pool_geom *g;
    const float *x, *dy;
    float *y, *dx;
    int32_t *argmax;
    const int32_t *argmax_in;
    const float *relu_y;    /* backward through a relu too: the pooled output */
    int64_t h, w, oh, ow;   /* adaptive */
} pool_job;

static double window_cost(const vn__pool_geom *g)
{
    return (double)(g->oh * g->ow) * g->kh * g->kw;
}

/* One kernel tap along an output row: yr[o] = max(yr[o], xr[o*s]) with
 * the index of the winner in ar (when not NULL); `first` initialises. A
 * value wins when strictly greater, or NaN (as in PyTorch), so ties keep
 * the earlier tap. Inlined with s = 1 and 2 so the loops vectorise. */
static inline __attribute__((always_inline)) void
row_max(float *restrict yr, int32_t *restrict ar, const float *restrict xr, int64_t n, int s,
        int32_t base, bool first)
{
    if (first) {
        for (int64_t o = 0; o < n; o++)
            yr[o] = xr[o * s];
        if (ar)
            for (int64_t o = 0; o < n; o++)
                ar[o] = base + (int32_t)(o * s);
        return;
    }
    if (!ar) {
        for (int64_t o = 0; o < n; o++) {
            float v = xr[o * s];
            yr[o] = (v > yr[o] || v != v) ? v : yr[o];
        }
        return;
    }
    for (int64_t o = 0; o < n; o++) {
        float v = xr[o * s];
        bool win = v > yr[o] || v != v;
        yr[o] = win ? v : yr[o];
        ar[o] = win ? base + (int32_t)(o * s) : ar[o];
    }
}

/* Max pooling without padding: every window lies inside the image (floor
 * mode), so each output row is the maximum of kh*kw shifted input rows,
 * taps in row-major order. */
static inline __attribute__((always_inline)) void
max_planes_inside(const pool_job *j, int64_t begin, int64_t end)
{
    const vn__pool_geom *g = j->g;
    const int64_t OW = g->ow, W = g->w;
    for (int64_t pi = begin; pi < end; pi++) {
        const float *x = j->x + pi * g->h * W;
        float *y = j->y + pi * g->oh * OW;
        int32_t *am = j->argmax ? j->argmax + pi * g->oh * OW : NULL;
        for (int64_t oh = 0; oh < g->oh; oh++) {
            float *yr = y + oh * OW;
            int32_t *ar = am ? am + oh * OW : NULL;
            bool first = true;
            for (int ki = 0; ki < g->kh; ki++) {
                int64_t ih = oh * g->sh + (int64_t)ki * g->dh;
                for (int kj = 0; kj < g->kw; kj++) {
                    int64_t at = ih * W + (int64_t)kj * g->dw;
                    if (g->sw == 1)
                        row_max(yr, ar, x + at, OW, 1, (int32_t)at, first);
                    else if (g->sw == 2)
                        row_max(yr, ar, x + at, OW, 2, (int32_t)at, first);
                    else
                        row_max(yr, ar, x + at, OW, g->sw, (int32_t)at, first);
                    first = false;
                }
            }
        }
    }
}

/* With padding: row by row, for each kernel tap one pass along the output
 * row over the columns where the tap lands inside the image (the ranges
 * are worked out once per call), keeping the running maximum and its
 * index with the same tie and NaN rules. The first tap inside the image
 * always counts, so a window of -inf still routes its gradient somewhere. */
#define MAX_TAP_COLUMNS 64

static inline __attribute__((always_inline)) void
max_planes_padded(const pool_job *j, int64_t begin, int64_t end)
{
    const vn__pool_geom *g = j->g;
    const int64_t OW = g->ow;
    const int kw = VN_MIN(g->kw, MAX_TAP_COLUMNS);
    int64_t lo[MAX_TAP_COLUMNS], hi[MAX_TAP_COLUMNS], off[MAX_TAP_COLUMNS];
    for (int kj = 0; kj < kw; kj++) {
        off[kj] = (int64_t)kj * g->dw - g->pw;
        vn__conv_valid_cols(off[kj], g->sw, g->w, OW, &lo[kj], &hi[kj]);
    }
    for (int64_t pi = begin; pi < end; pi++) {
        const float *x = j->x + pi * g->h * g->w;
        float *y = j->y + pi * g->oh * OW;
        int32_t *am = j->argmax ? j->argmax + pi * g->oh * OW : NULL;
        for (int64_t oh = 0; oh < g->oh; oh++) {
            float *restrict yr = y + oh * OW;
            int32_t *restrict ar = am ? am + oh * OW : NULL;
            for (int64_t o = 0; o < OW; o++)
                yr[o] = -INFINITY;
            if (ar)
                for (int64_t o = 0; o < OW; o++)
                    ar[o] = -1;
            for (int ki = 0; ki < g->kh; ki++) {
                int64_t ih = oh * g->sh - g->ph + (int64_t)ki * g->dh;
                if (ih < 0 || ih >= g->h)
                    continue;
                const float *restrict xr = x + ih * g->w;
                for (int kj = 0; kj < g->kw; kj++) {
                    int64_t l, h, of;
                    if (kj < kw) {
                        l = lo[kj], h = hi[kj], of = off[kj];
                    } else {
                        of = (int64_t)kj * g->dw - g->pw;
                        vn__conv_valid_cols(of, g->sw, g->w, OW, &l, &h);
                    }
                    const int s = g->sw;
                    for (int64_t o = l; o < h; o++) {
                        float v = xr[o * s + of];
                        bool first = ar ? ar[o] < 0 : false;
                        if (first || v > yr[o] || v != v) {
                            yr[o] = v;
                            if (ar)
                                ar[o] = (int32_t)(ih * g->w + o * s + of);
                        }
                    }
                }
            }
        }
    }
}

/* The common 2x2 window, stride 2, no padding or dilation, every window
 * inside the image (floor mode): one pass over each pair of input rows,
 * the four taps of a window compared in row-major order with the same tie
 * and NaN rules as row_max, so the results (values and arg-max) are the
 * general path's bit for bit. */
static bool is_2x2(const vn__pool_geom *g)
{
    return g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->dh == 1 && g->dw == 1 &&
           g->ph == 0 && g->pw == 0 && 2 * g->oh <= g->h && 2 * g->ow <= g->w;
}

static inline __attribute__((always_inline)) void
max_planes_2x2(const pool_job *j, int64_t begin, int64_t end)
{
    const vn__pool_geom *g = j->g;
    const int64_t OW = g->ow, W = g->w;
    for (int64_t pi = begin; pi < end; pi++) {
        const float *x = j->x + pi * g->h * W;
        float *y = j->y + pi * g->oh * OW;
        int32_t *am = j->argmax ? j->argmax + pi * g->oh * OW : NULL;
        for (int64_t oh = 0; oh < g->oh; oh++) {
            const float *restrict r0 = x + 2 * oh * W, *restrict r1 = r0 + W;
            float *restrict yr = y + oh * OW;
            if (!am) {
                for (int64_t o = 0; o < OW; o++) {
                    float m = r0[2 * o], b = r0[2 * o + 1], c = r1[2 * o], d = r1[2 * o + 1];
                    m = (b > m || b != b) ? b : m;
                    m = (c > m || c != c) ? c : m;
                    m = (d > m || d != d) ? d : m;
                    yr[o] = m;
                }
                continue;
            }
            int32_t *restrict ar = am + oh * OW;
            const int32_t base = (int32_t)(2 * oh * W), w32 = (int32_t)W;
            for (int64_t o = 0; o < OW; o++) {
                float m = r0[2 * o], b = r0[2 * o + 1], c = r1[2 * o], d = r1[2 * o + 1];
                int32_t k = 0;
                bool win = b > m || b != b;
                m = win ? b : m;
                k = win ? 1 : k;
                win = c > m || c != c;
                m = win ? c : m;
                k = win ? w32 : k;
                win = d > m || d != d;
                m = win ? d : m;
                k = win ? w32 + 1 : k;
                yr[o] = m;
                ar[o] = base + 2 * (int32_t)o + k;
            }
        }
    }
}

#if POOL_AVX512
/* The 2x2 path with AVX-512F, 16 outputs at a time (a whole 14- or 7-wide
 * row of the reference CNN in one step, with masks): the even and odd
 * columns of each input row are separated with two-source permutes, and
 * the four taps compared in the same order with the same rules (greater,
 * or unordered for a NaN tap), so the results are the portable loop's bit
 * for bit. Called only when the CPU has AVX-512F. */
__attribute__((target("avx512f"))) static void max_planes_2x2_avx512(const pool_job *j,
                                                                      int64_t begin, int64_t end)
{
    const vn__pool_geom *g = j->g;
    const int64_t OW = g->ow, W = g->w;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                           30);
    for (int64_t pi = begin; pi < end; pi++) {
        const float *x = j->x + pi * g->h * W;
        float *y = j->y + pi * g->oh * OW;
        int32_t *am = j->argmax ? j->argmax + pi * g->oh * OW : NULL;
        for (int64_t oh = 0; oh < g->oh; oh++) {
            const float *r0 = x + 2 * oh * W, *r1 = r0 + W;
            for (int64_t o = 0; o < OW; o += 16) {
                int64_t n = VN_MIN((int64_t)16, OW - o);
                __mmask16 mo = (__mmask16)((1u << n) - 1u);
                __mmask16 mlo = n >= 8 ? (__mmask16)0xFFFF : (__mmask16)((1u << (2 * n)) - 1u);
                __mmask16 mhi = n > 8 ? (__mmask16)((1u << (2 * n - 16)) - 1u) : (__mmask16)0;
                __m512i k;
                __m512 m = vn__max2x2_avx512(_mm512_maskz_loadu_ps(mlo, r0 + 2 * o),
                                             _mm512_maskz_loadu_ps(mhi, r0 + 2 * o + 16),
                                             _mm512_maskz_loadu_ps(mlo, r1 + 2 * o),
                                             _mm512_maskz_loadu_ps(mhi, r1 + 2 * o + 16),
                                             (int32_t)W, &k);
                _mm512_mask_storeu_ps(y + oh * OW + o, mo, m);
                if (am) {
                    /* base + 2*(o + lane) + k */
                    __m512i at = _mm512_add_epi32(
                        _mm512_set1_epi32((int32_t)(2 * oh * W + 2 * o)),
                        _mm512_add_epi32(even, k));
                    _mm512_mask_storeu_epi32(am + oh * OW + o, mo, at);
                }
            }
        }
    }
}

/* Backward of the 2x2 path with AVX-512F: the windows tile the image
 * without overlap, so each input pixel is written once, dy where it was
 * the arg-max and 0 elsewhere (interleaved back with two-source permutes),
 * instead of zeroing the plane and adding; the rows and columns no window
 * covers (odd sizes) are zeroed. An arg-max outside its window (not
 * produced by the forward) is added afterwards as the general path would. */
__attribute__((target("avx512f"))) static void max_backward_2x2_avx512(const pool_job *j,
                                                                        int64_t begin,
                                                                        int64_t end)
{
    const __m512 fzero = _mm512_setzero_ps();
    const vn__pool_geom *g = j->g;
    const int64_t OW = g->ow, W = g->w, H = g->h;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                           30);
    const __m512i ilo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ihi = _mm512_add_epi32(ilo, _mm512_set1_epi32(8));
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
    const __m512i wv = _mm512_set1_epi32((int32_t)W), wv1 = _mm512_set1_epi32((int32_t)W + 1);
    for (int64_t pi = begin; pi < end; pi++) {
        float *dx = j->dx + pi * H * W;
        const float *dy = j->dy + pi * g->oh * OW;
        const int32_t *am = j->argmax_in + pi * g->oh * OW;
        bool stray = false;
        for (int64_t oh = 0; oh < g->oh; oh++) {
            float *d0 = dx + 2 * oh * W, *d1 = d0 + W;
            for (int64_t o = 0; o < OW; o += 16) {
                int64_t n = VN_MIN((int64_t)16, OW - o);
                __mmask16 mo = (__mmask16)((1u << n) - 1u);
                __mmask16 mlo = n >= 8 ? (__mmask16)0xFFFF : (__mmask16)((1u << (2 * n)) - 1u);
                __mmask16 mhi = n > 8 ? (__mmask16)((1u << (2 * n - 16)) - 1u) : (__mmask16)0;
                /* + 0: a -0 gradient lands as 0 + -0 = +0, as the general
                 * path's zero-then-add gives */
                __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(mo, dy + oh * OW + o),
                                         _mm512_setzero_ps());
                __m512i k = _mm512_maskz_loadu_epi32(mo, am + oh * OW + o);
                k = _mm512_sub_epi32(
                    k, _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * oh * W + 2 * o)), even));
                __mmask16 k0 = _mm512_cmpeq_epi32_mask(k, zero);
                __mmask16 k1 = _mm512_cmpeq_epi32_mask(k, one);
                __mmask16 k2 = _mm512_cmpeq_epi32_mask(k, wv);
                __mmask16 k3 = _mm512_cmpeq_epi32_mask(k, wv1);
                stray = stray || (mo & (__mmask16)~(k0 | k1 | k2 | k3)) != 0;
                if (j->relu_y) {
                    __mmask16 pos = _mm512_mask_cmp_ps_mask(
                        mo, _mm512_maskz_loadu_ps(mo, j->relu_y + pi * g->oh * OW + oh * OW + o),
                        fzero, _CMP_GT_OQ);
                    v = _mm512_maskz_mov_ps(pos, v);
                }
                __m512 v0 = _mm512_maskz_mov_ps(k0, v), v1 = _mm512_maskz_mov_ps(k1, v);
                __m512 v2 = _mm512_maskz_mov_ps(k2, v), v3 = _mm512_maskz_mov_ps(k3, v);
                _mm512_mask_storeu_ps(d0 + 2 * o, mlo, _mm512_permutex2var_ps(v0, ilo, v1));
                _mm512_mask_storeu_ps(d0 + 2 * o + 16, mhi, _mm512_permutex2var_ps(v0, ihi, v1));
                _mm512_mask_storeu_ps(d1 + 2 * o, mlo, _mm512_permutex2var_ps(v2, ilo, v3));
                _mm512_mask_storeu_ps(d1 + 2 * o + 16, mhi, _mm512_permutex2var_ps(v2, ihi, v3));
            }
            for (int64_t c = 2 * OW; c < W; c++)
                d0[c] = d1[c] = 0.0f;
        }
        if (2 * g->oh < H)
            memset(dx + 2 * g->oh * W, 0, (size_t)((H - 2 * g->oh) * W) * sizeof(float));
        if (stray)
            for (int64_t o = 0; o < g->oh * OW; o++) {
                int64_t k = am[o] - (2 * (o / OW) * W + 2 * (o % OW));
                if (k != 0 && k != 1 && k != W && k != W + 1 && am[o] >= 0)
                    dx[am[o]] += j->relu_y && !(j->relu_y[pi * g->oh * OW + o] > 0.0f)
                                     ? 0.0f
                                     : dy[o];
            }
    }
}

#endif

static vn__simd_switch simd;

bool vn__max_pool_use_simd(bool on)
{
    return vn__simd_set(&simd, on);
}

VN_SIMD_CLONES static void max_forward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    const vn__pool_geom *g = j->g;
    bool inside = g->ph == 0 && g->pw == 0 &&
                  (g->oh - 1) * g->sh + (int64_t)(g->kh - 1) * g->dh < g->h &&
                  (g->ow - 1) * g->sw + (int64_t)(g->kw - 1) * g->dw < g->w;
#if POOL_AVX512
    if (is_2x2(g) && vn__simd_on(&simd)) {
        max_planes_2x2_avx512(j, begin, end);
        return;
    }
#endif
    if (is_2x2(g))
        max_planes_2x2(j, begin, end);
    else if (inside)
        max_planes_inside(j, begin, end);
    else
        max_planes_padded(j, begin, end);
}

void vn__max_pool_forward(const vn__pool_geom *g, const float *x, float *y, int32_t *argmax)
{
    pool_job j = {.g = g, .x = x, .y = y, .argmax = argmax};
    vn__parallel_for(g->n * g->c, window_cost(g), max_forward_planes, &j);
}

void vn__max_pool_forward_serial(const vn__pool_geom *g, const float *x, float *y,
                                 int32_t *argmax)
{
    pool_job j = {.g = g, .x = x, .y = y, .argmax = argmax};
    max_forward_planes(&j, 0, g->n * g->c);
}

VN_SIMD_CLONES static void max_backward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    const vn__pool_geom *g = j->g;
#if POOL_AVX512
    if (is_2x2(g) && vn__simd_on(&simd)) {
        max_backward_2x2_avx512(j, begin, end);
        return;
    }
#endif
    for (int64_t pi = begin; pi < end; pi++) {
        float *dx = j->dx + pi * g->h * g->w;
        const float *dy = j->dy + pi * g->oh * g->ow;
        const int32_t *am = j->argmax_in + pi * g->oh * g->ow;
        memset(dx, 0, (size_t)(g->h * g->w) * sizeof(float));
        if (j->relu_y) {
            const float *y = j->relu_y + pi * g->oh * g->ow;
            for (int64_t o = 0; o < g->oh * g->ow; o++)
                if (am[o] >= 0)
                    dx[am[o]] += y[o] > 0.0f ? dy[o] : 0.0f;
            continue;
        }
        for (int64_t o = 0; o < g->oh * g->ow; o++)
            if (am[o] >= 0)
                dx[am[o]] += dy[o];
    }
}

void vn__max_pool_backward(const vn__pool_geom *g, const float *dy, const int32_t *argmax,
                           float *dx)
{
    vn__max_pool_relu_backward(g, dy, argmax, NULL, dx);
}

void vn__max_pool_relu_backward(const vn__pool_geom *g, const float *dy, const int32_t *argmax,
                                const float *y, float *dx)
{
    pool_job j = {.g = g, .dy = dy, .dx = dx, .argmax_in = argmax, .relu_y = y};
    vn__parallel_for(g->n * g->c, (double)(g->h * g->w + g->oh * g->ow), max_backward_planes, &j);
}

/* The clipped window of output (oh, ow) and its divisor. */
typedef struct window {
    int64_t h0, h1, w0, w1;
    float inv;
} window;

static window avg_window(const vn__pool_geom *g, int64_t oh, int64_t ow)
{
    window wd;
    int64_t hs = oh * g->sh - g->ph, ws = ow * g->sw - g->pw;
    int64_t he = VN_MIN(hs + g->kh, g->h + g->ph_end), we = VN_MIN(ws + g->kw, g->w + g->pw_end);
    int64_t padded = (he - hs) * (we - ws);
    wd.h0 = VN_MAX(hs, (int64_t)0);
    wd.w0 = VN_MAX(ws, (int64_t)0);
    wd.h1 = VN_MIN(he, g->h);
    wd.w1 = VN_MIN(we, g->w);
    int64_t inside = (wd.h1 - wd.h0) * (wd.w1 - wd.w0);
    int64_t div = g->count_include_pad ? padded : inside;
    wd.inv = div > 0 ? 1.0f / (float)div : 0.0f;
    return wd;
}

VN_SIMD_CLONES static void avg_forward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    const vn__pool_geom *g = j->g;
    for (int64_t pi = begin; pi < end; pi++) {
        const float *x = j->x + pi * g->h * g->w;
        float *y = j->y + pi * g->oh * g->ow;
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                window wd = avg_window(g, oh, ow);
                float s = 0.0f;
                for (int64_t ih = wd.h0; ih < wd.h1; ih++)
                    for (int64_t iw = wd.w0; iw < wd.w1; iw++)
                        s += x[ih * g->w + iw];
                y[oh * g->ow + ow] = s * wd.inv;
            }
    }
}

void vn__avg_pool_forward(const vn__pool_geom *g, const float *x, float *y)
{
    pool_job j = {.g = g, .x = x, .y = y};
    vn__parallel_for(g->n * g->c, window_cost(g), avg_forward_planes, &j);
}

VN_SIMD_CLONES static void avg_backward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    const vn__pool_geom *g = j->g;
    for (int64_t pi = begin; pi < end; pi++) {
        float *dx = j->dx + pi * g->h * g->w;
        const float *dy = j->dy + pi * g->oh * g->ow;
        memset(dx, 0, (size_t)(g->h * g->w) * sizeof(float));
        for (int64_t oh = 0; oh < g->oh; oh++)
            for (int64_t ow = 0; ow < g->ow; ow++) {
                window wd = avg_window(g, oh, ow);
                float v = dy[oh * g->ow + ow] * wd.inv;
                for (int64_t ih = wd.h0; ih < wd.h1; ih++)
                    for (int64_t iw = wd.w0; iw < wd.w1; iw++)
                        dx[ih * g->w + iw] += v;
            }
    }
}

void vn__avg_pool_backward(const vn__pool_geom *g, const float *dy, float *dx)
{
    pool_job j = {.g = g, .dy = dy, .dx = dx};
    vn__parallel_for(g->n * g->c, window_cost(g), avg_backward_planes, &j);
}

/* Adaptive bins: [start, end) of output index i of `out` over `in`. */
static void adaptive_bin(int64_t i, int64_t in, int64_t out, int64_t *s, int64_t *e)
{
    *s = (i * in) / out;
    *e = ((i + 1) * in + out - 1) / out;
}

static void adaptive_forward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    for (int64_t pi = begin; pi < end; pi++) {
        const float *x = j->x + pi * j->h * j->w;
        float *y = j->y + pi * j->oh * j->ow;
        for (int64_t oh = 0; oh < j->oh; oh++) {
            int64_t h0, h1;
            adaptive_bin(oh, j->h, j->oh, &h0, &h1);
            for (int64_t ow = 0; ow < j->ow; ow++) {
                int64_t w0, w1;
                adaptive_bin(ow, j->w, j->ow, &w0, &w1);
                double s = 0.0;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++)
                        s += x[ih * j->w + iw];
                y[oh * j->ow + ow] = (float)(s / (double)((h1 - h0) * (w1 - w0)));
            }
        }
    }
}

void vn__adaptive_avg_pool_forward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                   const float *x, float *y)
{
    pool_job j = {.x = x, .y = y, .h = h, .w = w, .oh = oh, .ow = ow};
    vn__parallel_for(planes, (double)(h * w + oh * ow), adaptive_forward_planes, &j);
}

static void adaptive_backward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    for (int64_t pi = begin; pi < end; pi++) {
        float *dx = j->dx + pi * j->h * j->w;
        const float *dy = j->dy + pi * j->oh * j->ow;
        memset(dx, 0, (size_t)(j->h * j->w) * sizeof(float));
        for (int64_t oh = 0; oh < j->oh; oh++) {
            int64_t h0, h1;
            adaptive_bin(oh, j->h, j->oh, &h0, &h1);
            for (int64_t ow = 0; ow < j->ow; ow++) {
                int64_t w0, w1;
                adaptive_bin(ow, j->w, j->ow, &w0, &w1);
                float v = dy[oh * j->ow + ow] / (float)((h1 - h0) * (w1 - w0));
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++)
                        dx[ih * j->w + iw] += v;
            }
        }
    }
}

void vn__adaptive_avg_pool_backward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                    const float *dy, float *dx)
{
    pool_job j = {.dy = dy, .dx = dx, .h = h, .w = w, .oh = oh, .ow = ow};
    vn__parallel_for(planes, (double)(h * w + oh * ow), adaptive_backward_planes, &j);
}
