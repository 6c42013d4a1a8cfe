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
 * All parallel over planes (sample, channel).
 */
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

typedef struct pool_job {
    const vn__pool_geom *g;
    const float *x, *dy;
    float *y, *dx;
    int32_t *argmax;
    const int32_t *argmax_in;
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

VN_SIMD_CLONES static void max_forward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    const vn__pool_geom *g = j->g;
    bool inside = g->ph == 0 && g->pw == 0 &&
                  (g->oh - 1) * g->sh + (int64_t)(g->kh - 1) * g->dh < g->h &&
                  (g->ow - 1) * g->sw + (int64_t)(g->kw - 1) * g->dw < g->w;
    if (inside)
        max_planes_inside(j, begin, end);
    else
        max_planes_padded(j, begin, end);
}

void vn__max_pool_forward(const vn__pool_geom *g, const float *x, float *y, int32_t *argmax)
{
    pool_job j = {.g = g, .x = x, .y = y, .argmax = argmax};
    vn__parallel_for(g->n * g->c, window_cost(g), max_forward_planes, &j);
}

VN_SIMD_CLONES static void max_backward_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    const vn__pool_geom *g = j->g;
    for (int64_t pi = begin; pi < end; pi++) {
        float *dx = j->dx + pi * g->h * g->w;
        const float *dy = j->dy + pi * g->oh * g->ow;
        const int32_t *am = j->argmax_in + pi * g->oh * g->ow;
        memset(dx, 0, (size_t)(g->h * g->w) * sizeof(float));
        for (int64_t o = 0; o < g->oh * g->ow; o++)
            if (am[o] >= 0)
                dx[am[o]] += dy[o];
    }
}

void vn__max_pool_backward(const vn__pool_geom *g, const float *dy, const int32_t *argmax,
                           float *dx)
{
    pool_job j = {.g = g, .dy = dy, .dx = dx, .argmax_in = argmax};
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
