/*
 * depthwise.c - direct loops for depthwise convolution (groups == input
 * channels; output channel k reads input channel k / m, m = k_count / c,
 * the channel multiplier).
 *
 * With one input channel per group the im2col GEMM would be a k x 9 by
 * 9 x p product per channel: all packing, no arithmetic. Instead each
 * kernel tap is a run of multiply-adds along an output row (a stride-1
 * row vectorises: restrict pointers, valid columns worked out once per
 * tap, not per pixel). The weight gradient's row dot products keep eight
 * float lanes, which the compiler vectorises without reassociating, and
 * sum each tap in double. The work is memory-bound: 9 multiply-adds per
 * output element against one pass over the input.
 *
 * Threads: forward over (sample, output channel) planes, input gradient
 * over (sample, input channel) planes, weight gradient over output
 * channels (each sums its whole batch, so no partial buffers are needed
 * and the sum order does not depend on the thread count).
 */
#include "kernels/kernels.h"

#include <string.h>

/* Taps whose per-tap data lives on the stack; wider kernels go in groups. */
#define TAPS_AT_ONCE 64

bool vn__conv_is_depthwise(const vn__conv_geom *g)
{
    return g->groups > 1 && g->groups == g->c && g->k % g->c == 0;
}

static double plane_cost(const vn__conv_geom *g)
{
    return 2.0 * (double)(g->oh * g->ow) * g->kh * g->kw;
}

typedef struct dw_job {
    const vn__conv_geom *g;
    const float *x, *w, *bias, *dy;
    float *y, *dx, *dw;
} dw_job;

/* y[o] += a * x[o*s] for o in [0, n). */
static inline void axpy(float *restrict y, const float *restrict x, float a, int64_t n, int s)
{
    if (s == 1)
        for (int64_t o = 0; o < n; o++)
            y[o] += a * x[o];
    else
        for (int64_t o = 0; o < n; o++)
            y[o] += a * x[o * s];
}

/* x[o*s] += a * y[o] for o in [0, n) (the adjoint of axpy). */
static inline void axpy_scatter(float *restrict x, const float *restrict y, float a, int64_t n,
                                int s)
{
    if (s == 1)
        for (int64_t o = 0; o < n; o++)
            x[o] += a * y[o];
    else
        for (int64_t o = 0; o < n; o++)
            x[o * s] += a * y[o];
}

/* sum of a[o] * b[o*s], o in [0, n), in eight float lanes. */
static inline float dot(const float *restrict a, const float *restrict b, int64_t n, int s)
{
    float lane[8] = {0};
    int64_t o = 0;
    if (s == 1) {
        for (; o + 8 <= n; o += 8)
            for (int l = 0; l < 8; l++)
                lane[l] += a[o + l] * b[o + l];
    }
    float tail = 0.0f;
    for (; o < n; o++)
        tail += a[o] * b[o * s];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
           ((lane[4] + lane[5]) + (lane[6] + lane[7])) + tail;
}

/* Valid output columns and input offsets of each kernel column, and the
 * interior [ilo, ihi) where every kernel column is valid. */
typedef struct taps {
    int64_t lo[TAPS_AT_ONCE], hi[TAPS_AT_ONCE], off[TAPS_AT_ONCE];
    int64_t ilo, ihi;
} taps;

static void column_taps(const vn__conv_geom *g, int kj0, int kj1, taps *t)
{
    t->ilo = 0;
    t->ihi = g->ow;
    for (int kj = kj0; kj < kj1; kj++) {
        int i = kj - kj0;
        t->off[i] = (int64_t)kj * g->dw - g->pw;
        vn__conv_valid_cols(t->off[i], g->sw, g->w, g->ow, &t->lo[i], &t->hi[i]);
        t->ilo = VN_MAX(t->ilo, t->lo[i]);
        t->ihi = VN_MIN(t->ihi, t->hi[i]);
    }
    if (t->ihi < t->ilo)
        t->ihi = t->ilo;
}

/* One input row's contribution to one output row: yr[o] += sum over the
 * kernel columns kj of w[kj] * xr[o*s + off[kj]]. Where every tap is inside
 * the image (the interior, worked out once per call by column_taps) the
 * taps are summed in one pass, so the output row is loaded and stored once
 * rather than once per tap; the few edge columns are done one by one.
 * Inlined with kw = 3 and s = 1 so that case's interior loop is straight
 * vector code. */
static inline __attribute__((always_inline)) void
row_taps(float *restrict yr, const float *restrict xr, const float *restrict w, const taps *t,
         int kw, int s, int64_t ow)
{
    /* the few edge columns, element by element: [0, ilo) then [ihi, ow) */
    for (int side = 0; side < 2; side++) {
        int64_t a = side ? t->ihi : 0, b = side ? ow : t->ilo;
        for (int64_t o = a; o < b; o++) {
            float acc = 0.0f;
            for (int kj = 0; kj < kw; kj++)
                if (o >= t->lo[kj] && o < t->hi[kj])
                    acc += w[kj] * xr[o * s + t->off[kj]];
            yr[o] += acc;
        }
    }
    for (int64_t o = t->ilo; o < t->ihi; o++) {
        float acc = 0.0f;
        for (int kj = 0; kj < kw; kj++)
            acc += w[kj] * xr[o * s + t->off[kj]];
        yr[o] += acc;
    }
}

/* A whole output row from kh input rows that all lie inside the image:
 * yr[o] = b + sum over ki, kj of w[ki*kw + kj] * rows[ki][o*s + off[kj]],
 * the interior columns in one pass (the row is written once), the edge
 * columns one by one. Inlined with 3x3, stride 1 for that common case. */
static inline __attribute__((always_inline)) void
row_full(float *restrict yr, const float *const *rows, const float *restrict w, const taps *t,
         int kh, int kw, int s, int64_t ow, float b)
{
    for (int side = 0; side < 2; side++) {
        int64_t a = side ? t->ihi : 0, e = side ? ow : t->ilo;
        for (int64_t o = a; o < e; o++) {
            float acc = b;
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++)
                    if (o >= t->lo[kj] && o < t->hi[kj])
                        acc += w[ki * kw + kj] * rows[ki][o * s + t->off[kj]];
            yr[o] = acc;
        }
    }
    for (int64_t o = t->ilo; o < t->ihi; o++) {
        float acc = b;
        for (int ki = 0; ki < kh; ki++)
            for (int kj = 0; kj < kw; kj++)
                acc += w[ki * kw + kj] * rows[ki][o * s + t->off[kj]];
        yr[o] = acc;
    }
}

/* row_full for 3x3 and stride 1 (MobileNet's depthwise layers), with the
 * rows and weights in named locals so they stay in registers. */
static inline __attribute__((always_inline)) void
row_full_3x3(float *restrict yr, const float *restrict r0, const float *restrict r1,
                         const float *restrict r2, const float *restrict w, const taps *t,
                         int64_t ow, float b)
{
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6],
                w7 = w[7], w8 = w[8];
    const int64_t o0 = t->off[0], o1 = t->off[1], o2 = t->off[2];
    for (int64_t o = t->ilo; o < t->ihi; o++)
        yr[o] = b + (w0 * r0[o + o0] + w1 * r0[o + o1] + w2 * r0[o + o2]) +
                (w3 * r1[o + o0] + w4 * r1[o + o1] + w5 * r1[o + o2]) +
                (w6 * r2[o + o0] + w7 * r2[o + o1] + w8 * r2[o + o2]);
    const float *rows[3] = {r0, r1, r2};
    for (int side = 0; side < 2; side++) {
        int64_t a = side ? t->ihi : 0, e = side ? ow : t->ilo;
        for (int64_t o = a; o < e; o++) {
            float acc = b;
            for (int ki = 0; ki < 3; ki++)
                for (int kj = 0; kj < 3; kj++)
                    if (o >= t->lo[kj] && o < t->hi[kj])
                        acc += w[ki * 3 + kj] * rows[ki][o + t->off[kj]];
            yr[o] = acc;
        }
    }
}

/* Output row oh of a plane, accumulated input row by input row (rows
 * near the top and bottom edge, and kernels too large for row_full). */
static void row_by_input_rows(const vn__conv_geom *g, float *yr, const float *xp,
                              const float *wk, int64_t oh, float b)
{
    taps t;
    for (int64_t o = 0; o < g->ow; o++)
        yr[o] = b;
    for (int kj0 = 0; kj0 < g->kw; kj0 += TAPS_AT_ONCE) {
        int kj1 = VN_MIN(g->kw, kj0 + TAPS_AT_ONCE);
        column_taps(g, kj0, kj1, &t);
        for (int ki = 0; ki < g->kh; ki++) {
            int64_t ih = oh * g->sh - g->ph + (int64_t)ki * g->dh;
            if (ih < 0 || ih >= g->h)
                continue;
            const float *xr = xp + ih * g->w;
            const float *w = wk + ki * g->kw + kj0;
            if (kj1 - kj0 == 3 && g->sw == 1)
                row_taps(yr, xr, w, &t, 3, 1, g->ow);
            else
                row_taps(yr, xr, w, &t, kj1 - kj0, g->sw, g->ow);
        }
    }
}

VN_SIMD_CLONES static void forward_planes(void *arg, int64_t begin, int64_t end)
{
    const dw_job *j = arg;
    const vn__conv_geom *g = j->g;
    const int64_t m = g->k / g->c, OW = g->ow, ntaps = (int64_t)g->kh * g->kw;
    const bool small = g->kh <= TAPS_AT_ONCE && g->kw <= TAPS_AT_ONCE;
    /* output rows whose kh input rows are all inside the image */
    int64_t first = (g->ph + g->sh - 1) / g->sh;
    int64_t last = g->h - 1 + g->ph - (int64_t)(g->kh - 1) * g->dh;
    last = last < 0 ? -1 : last / g->sh;
    taps t;
    if (small)
        column_taps(g, 0, g->kw, &t);
    for (int64_t pi = begin; pi < end; pi++) {
        int64_t n = pi / g->k, k = pi % g->k, c = k / m;
        const float *xp = j->x + (n * g->c + c) * g->h * g->w;
        const float *wk = j->w + k * ntaps;
        float *yp = j->y + pi * g->oh * OW;
        float b = j->bias ? j->bias[k] : 0.0f;
        for (int64_t oh = 0; oh < g->oh; oh++) {
            float *yr = yp + oh * OW;
            if (!small || oh < first || oh > last) {
                row_by_input_rows(g, yr, xp, wk, oh, b);
                continue;
            }
            const float *rows[TAPS_AT_ONCE];
            for (int ki = 0; ki < g->kh; ki++)
                rows[ki] = xp + (oh * g->sh - g->ph + (int64_t)ki * g->dh) * g->w;
            if (g->kh == 3 && g->kw == 3 && g->sw == 1)
                row_full_3x3(yr, rows[0], rows[1], rows[2], wk, &t, OW, b);
            else
                row_full(yr, rows, wk, &t, g->kh, g->kw, g->sw, OW, b);
        }
    }
}

void vn__depthwise_forward(const vn__conv_geom *g, const float *x, const float *w,
                           const float *bias, float *y)
{
    dw_job j = {.g = g, .x = x, .w = w, .bias = bias, .y = y};
    vn__parallel_for(g->n * g->k, plane_cost(g), forward_planes, &j);
}

/* The adjoint of row_taps for stride 1, as a gather: input column i
 * receives w[kj] * dyr[i - off[kj]] from every kernel column whose output
 * column i - off[kj] is valid. Where all are valid (input columns
 * [ilo + max off, ihi + min off)) they are summed in one pass. */
static inline __attribute__((always_inline)) void
row_taps_adjoint(float *restrict dxr, const float *restrict dyr, const float *restrict w,
                 const taps *t, int kw, int64_t width)
{
    int64_t a = 0, b = width;
    for (int kj = 0; kj < kw; kj++) {
        a = VN_MAX(a, t->lo[kj] + t->off[kj]);
        b = VN_MIN(b, t->hi[kj] + t->off[kj]);
    }
    if (b < a)
        b = a;
    for (int side = 0; side < 2; side++) {
        int64_t e0 = side ? b : 0, e1 = side ? width : a;
        for (int64_t i = e0; i < e1; i++) {
            float acc = 0.0f;
            for (int kj = 0; kj < kw; kj++) {
                int64_t o = i - t->off[kj];
                if (o >= t->lo[kj] && o < t->hi[kj])
                    acc += w[kj] * dyr[o];
            }
            dxr[i] += acc;
        }
    }
    for (int64_t i = a; i < b; i++) {
        float acc = 0.0f;
        for (int kj = 0; kj < kw; kj++)
            acc += w[kj] * dyr[i - t->off[kj]];
        dxr[i] += acc;
    }
}

VN_SIMD_CLONES static void backward_data_planes(void *arg, int64_t begin, int64_t end)
{
    const dw_job *j = arg;
    const vn__conv_geom *g = j->g;
    const int64_t m = g->k / g->c, OW = g->ow, ntaps = (int64_t)g->kh * g->kw;
    taps t;
    for (int64_t pi = begin; pi < end; pi++) {
        int64_t n = pi / g->c, c = pi % g->c;
        float *dxp = j->dx + pi * g->h * g->w;
        memset(dxp, 0, (size_t)(g->h * g->w) * sizeof(float));
        for (int kj0 = 0; kj0 < g->kw; kj0 += TAPS_AT_ONCE) {
            int kj1 = VN_MIN(g->kw, kj0 + TAPS_AT_ONCE);
            column_taps(g, kj0, kj1, &t);
            for (int64_t r = 0; r < m; r++) {
                int64_t k = c * m + r;
                const float *dyp = j->dy + (n * g->k + k) * g->oh * OW;
                const float *wk = j->w + k * ntaps;
                for (int64_t oh = 0; oh < g->oh; oh++) {
                    const float *dyr = dyp + oh * OW;
                    for (int ki = 0; ki < g->kh; ki++) {
                        int64_t ih = oh * g->sh - g->ph + (int64_t)ki * g->dh;
                        if (ih < 0 || ih >= g->h)
                            continue;
                        float *dxr = dxp + ih * g->w;
                        const float *w = wk + ki * g->kw + kj0;
                        if (g->sw == 1 && kj1 - kj0 == 3)
                            row_taps_adjoint(dxr, dyr, w, &t, 3, g->w);
                        else if (g->sw == 1)
                            row_taps_adjoint(dxr, dyr, w, &t, kj1 - kj0, g->w);
                        else
                            for (int kj = kj0; kj < kj1; kj++) {
                                int i = kj - kj0;
                                if (t.hi[i] > t.lo[i])
                                    axpy_scatter(dxr + t.lo[i] * g->sw + t.off[i], dyr + t.lo[i],
                                                 w[i], t.hi[i] - t.lo[i], g->sw);
                            }
                    }
                }
            }
        }
    }
}

void vn__depthwise_backward_data(const vn__conv_geom *g, const float *dy, const float *w,
                                 float *dx)
{
    /* With stride 1 and one output per input channel the input gradient is
     * itself a depthwise convolution: of dy, with the kernel flipped and
     * padding dilation*(k-1) - pad, so it runs on the forward's fused rows.
     * The flipped kernel lives in the caller's scratch; without it (out of
     * memory), or in the other cases, the scatter loops below do the work. */
    const int ph = g->dh * (g->kh - 1) - g->ph, pw = g->dw * (g->kw - 1) - g->pw;
    const int64_t taps_n = (int64_t)g->kh * g->kw;
    float *flipped = NULL;
    if (g->sh == 1 && g->sw == 1 && g->k == g->c && ph >= 0 && pw >= 0)
        flipped = vn__scratch(VN__SCRATCH_PARTIAL, (size_t)(g->k * taps_n));
    if (flipped) {
        for (int64_t k = 0; k < g->k; k++)
            for (int64_t i = 0; i < taps_n; i++)
                flipped[k * taps_n + i] = w[k * taps_n + taps_n - 1 - i];
        vn__conv_geom f = {.n = g->n, .c = g->k, .h = g->oh, .w = g->ow, .k = g->c, .oh = g->h,
                           .ow = g->w, .kh = g->kh, .kw = g->kw, .sh = 1, .sw = 1, .ph = ph,
                           .pw = pw, .dh = g->dh, .dw = g->dw, .groups = (int)g->c};
        vn__depthwise_forward(&f, dy, flipped, NULL, dx);
        return;
    }
    dw_job j = {.g = g, .dy = dy, .w = w, .dx = dx};
    vn__parallel_for(g->n * g->c, plane_cost(g) * (double)(g->k / g->c), backward_data_planes, &j);
}

/* The weight gradient of a 3x3 stride-1 kernel from one output row and
 * its three input rows (all inside the image): acc[ki*3 + kj] += sum over
 * o of dyr[o] * rows[ki][o + off[kj]]. The interior keeps nine 8-float
 * lane accumulators (nine vector registers) so dy is read once for all
 * nine taps; the lanes are added into the double sums at the end of the
 * row, the edge columns one by one. */
static inline __attribute__((always_inline)) void
row_grad_3x3(const float *restrict dyr, const float *restrict r0, const float *restrict r1,
             const float *restrict r2, const taps *t, int64_t ow, double *acc)
{
    const int64_t o0 = t->off[0], o1 = t->off[1], o2 = t->off[2];
    float lane[9][8] = {{0}};
    int64_t o = t->ilo;
    for (; o + 8 <= t->ihi; o += 8)
        for (int l = 0; l < 8; l++) {
            const float d = dyr[o + l];
            lane[0][l] += d * r0[o + l + o0];
            lane[1][l] += d * r0[o + l + o1];
            lane[2][l] += d * r0[o + l + o2];
            lane[3][l] += d * r1[o + l + o0];
            lane[4][l] += d * r1[o + l + o1];
            lane[5][l] += d * r1[o + l + o2];
            lane[6][l] += d * r2[o + l + o0];
            lane[7][l] += d * r2[o + l + o1];
            lane[8][l] += d * r2[o + l + o2];
        }
    for (int i = 0; i < 9; i++) {
        float s4[4] = {lane[i][0] + lane[i][4], lane[i][1] + lane[i][5], lane[i][2] + lane[i][6],
                       lane[i][3] + lane[i][7]};
        acc[i] += (double)((s4[0] + s4[2]) + (s4[1] + s4[3]));
    }
    const float *rows[3] = {r0, r1, r2};
    /* the interior's tail [o, ihi), then the edges [0, ilo) and [ihi, ow) */
    const int64_t from[3] = {o, 0, t->ihi}, to[3] = {t->ihi, t->ilo, ow};
    for (int part = 0; part < 3; part++)
        for (int64_t q = from[part]; q < to[part]; q++)
            for (int ki = 0; ki < 3; ki++)
                for (int kj = 0; kj < 3; kj++)
                    if (q >= t->lo[kj] && q < t->hi[kj])
                        acc[ki * 3 + kj] += (double)(dyr[q] * rows[ki][q + t->off[kj]]);
}

VN_SIMD_CLONES static void backward_weight_channels(void *arg, int64_t begin, int64_t end)
{
    const dw_job *j = arg;
    const vn__conv_geom *g = j->g;
    const int64_t m = g->k / g->c, OW = g->ow, ntaps = (int64_t)g->kh * g->kw;
    const bool fast = g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1;
    /* output rows whose three input rows are all inside the image */
    const int64_t first = g->ph, last = g->h - 1 + g->ph - 2 * (int64_t)g->dh;
    taps t;
    double acc[TAPS_AT_ONCE];
    for (int64_t k = begin; k < end; k++) {
        int64_t c = k / m;
        for (int ki = 0; ki < g->kh; ki++) {
            for (int kj0 = 0; kj0 < g->kw; kj0 += TAPS_AT_ONCE) {
                int kj1 = VN_MIN(g->kw, kj0 + TAPS_AT_ONCE);
                column_taps(g, kj0, kj1, &t);
                if (fast && ki > 0)
                    continue; /* the fast path does all three rows at ki == 0 */
                double acc9[9] = {0};
                for (int i = 0; i < kj1 - kj0; i++)
                    acc[i] = 0.0;
                for (int64_t n = 0; n < g->n; n++) {
                    const float *xp = j->x + (n * g->c + c) * g->h * g->w;
                    const float *dyp = j->dy + (n * g->k + k) * g->oh * OW;
                    for (int64_t oh = 0; oh < g->oh; oh++) {
                        const float *dyr = dyp + oh * OW;
                        if (fast && oh >= first && oh <= last) {
                            const float *r0 = xp + (oh - g->ph) * g->w;
                            row_grad_3x3(dyr, r0, r0 + g->dh * g->w, r0 + 2 * g->dh * g->w, &t,
                                         OW, acc9);
                            continue;
                        }
                        for (int fk = fast ? 0 : ki; fk <= (fast ? 2 : ki); fk++) {
                            int64_t ih = oh * g->sh - g->ph + (int64_t)fk * g->dh;
                            if (ih < 0 || ih >= g->h)
                                continue;
                            const float *xr = xp + ih * g->w;
                            for (int i = 0; i < kj1 - kj0; i++) {
                                if (t.hi[i] <= t.lo[i])
                                    continue;
                                double d = dot(dyr + t.lo[i], xr + t.lo[i] * g->sw + t.off[i],
                                               t.hi[i] - t.lo[i], g->sw);
                                if (fast)
                                    acc9[fk * 3 + i] += d;
                                else
                                    acc[i] += d;
                            }
                        }
                    }
                }
                if (fast)
                    for (int i = 0; i < 9; i++)
                        j->dw[k * ntaps + i] += (float)acc9[i];
                else
                    for (int kj = kj0; kj < kj1; kj++)
                        j->dw[k * ntaps + ki * g->kw + kj] += (float)acc[kj - kj0];
            }
        }
    }
}

void vn__depthwise_backward_weight(const vn__conv_geom *g, const float *x, const float *dy,
                                   float *dw)
{
    dw_job j = {.g = g, .x = x, .dy = dy, .dw = dw};
    vn__parallel_for(g->k, plane_cost(g) * (double)g->n, backward_weight_channels, &j);
}
