/*
 * im2col.c - lay out the receptive fields of a convolution as columns, and
 * the adjoint (col2im) that scatters columns back onto the image.
 *
 * Row r = (c*kh + ki)*kw + kj of the column matrix holds, for every output
 * position p = oh*ow_count + ow, the input pixel that kernel tap (ki, kj) of
 * channel c sees there: x[c, oh*sh - ph + ki*dh, ow*sw - pw + kj*dw], zero
 * outside the image. Then conv(x, w) = W [k, c*kh*kw] x col, one GEMM.
 *
 * Both take a band of output rows [oh0, oh1) so that a large image can be
 * processed in bands whose columns stay in the L2 cache (conv.c); the
 * band's column for output (oh, ow) is (oh - oh0)*ow_count + ow.
 *
 * Each (row, output row) is one contiguous run: the valid columns are worked
 * out once per kernel tap, so the inner loop is a vector copy / add
 * (stride 1) or a strided gather, with no bounds test per pixel.
 */
#include "kernels/kernels.h"

#include <string.h>

void vn__conv_valid_cols(int64_t off, int s, int64_t w, int64_t ow, int64_t *lo, int64_t *hi)
{
    int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
    int64_t b = off > w - 1 ? 0 : (w - 1 - off) / s + 1;
    a = VN_MIN(a, ow);
    b = VN_MIN(b, ow);
    if (b < a)
        b = a;
    *lo = a;
    *hi = b;
}

/* The output rows [*a, *b) of [oh0, oh1) whose input row for kernel row ki
 * lies inside the image (stride 1 in height). */
static void valid_rows(const vn__conv_geom *g, int ki, int64_t oh0, int64_t oh1, int64_t *a,
                       int64_t *b)
{
    int64_t shift = (int64_t)ki * g->dh - g->ph; /* ih = oh + shift */
    *a = VN_MAX(oh0, -shift);
    *b = VN_MIN(oh1, g->h - shift);
    if (*b < *a)
        *b = *a;
}

/* A "same-size" convolution (stride 1, output as wide as the input) lets
 * one tap's band be copied as one run: output row stride equals input row
 * stride, so consecutive rows are consecutive in both. The columns that
 * fall in the padding are zeroed afterwards. A 14x14 map then costs one
 * copy per tap instead of fourteen. */
static bool same_width(const vn__conv_geom *g)
{
    return g->sh == 1 && g->sw == 1 && g->w == g->ow;
}

/* Zero columns [0, lo) and [hi, w) of rows [r0, r1) of a band: a column at
 * a time down the rows (a few columns; row by row the compiler would call
 * memset for each one- or two-float run). */
static inline __attribute__((always_inline)) void
zero_clipped(float *band, int64_t w, int64_t r0, int64_t r1, int64_t lo, int64_t hi)
{
    for (int64_t o = 0; o < lo; o++)
        for (int64_t r = r0; r < r1; r++)
            band[r * w + o] = 0.0f;
    for (int64_t o = hi; o < w; o++)
        for (int64_t r = r0; r < r1; r++)
            band[r * w + o] = 0.0f;
}

static inline __attribute__((always_inline)) void
im2col_same_width(const vn__conv_geom *g, const float *x, float *col, int64_t ldc, int64_t oh0,
                  int64_t oh1)
{
    const int64_t H = g->h, W = g->w;
    for (int64_t c = 0; c < g->c; c++) {
        const float *restrict xc = x + c * H * W;
        for (int ki = 0; ki < g->kh; ki++) {
            int64_t a, b;
            valid_rows(g, ki, oh0, oh1, &a, &b);
            for (int kj = 0; kj < g->kw; kj++) {
                float *restrict row = col + ((c * g->kh + ki) * g->kw + kj) * ldc;
                int64_t off_w = (int64_t)kj * g->dw - g->pw, lo, hi;
                vn__conv_valid_cols(off_w, 1, W, W, &lo, &hi);
                int64_t n = (oh1 - oh0) * W;
                int64_t p0 = (a - oh0) * W + lo, p1 = (b - 1 - oh0) * W + hi;
                if (b <= a || hi <= lo)
                    p0 = p1 = 0;
                for (int64_t p = 0; p < p0; p++)
                    row[p] = 0.0f;
                /* x index of column p: (oh0 + p/W + ki*dh - ph)*W + p%W + off_w */
                const int64_t base = (oh0 + (int64_t)ki * g->dh - g->ph) * W + off_w;
                for (int64_t p = p0; p < p1; p++)
                    row[p] = xc[p + base];
                for (int64_t p = VN_MAX(p1, p0); p < n; p++)
                    row[p] = 0.0f;
                if (hi > lo)
                    zero_clipped(row, W, a - oh0, b - oh0, lo, hi);
            }
        }
    }
}

VN_SIMD_CLONES void vn__im2col(const vn__conv_geom *g, const float *x, float *col, int64_t ldc,
                               int64_t oh0, int64_t oh1)
{
    if (same_width(g)) {
        im2col_same_width(g, x, col, ldc, oh0, oh1);
        return;
    }
    const int64_t H = g->h, W = g->w, OW = g->ow;
    for (int64_t c = 0; c < g->c; c++) {
        const float *xc = x + c * H * W;
        for (int ki = 0; ki < g->kh; ki++) {
            for (int kj = 0; kj < g->kw; kj++) {
                float *row = col + ((c * g->kh + ki) * g->kw + kj) * ldc;
                int64_t off_w = (int64_t)kj * g->dw - g->pw;
                int64_t lo, hi;
                vn__conv_valid_cols(off_w, g->sw, W, OW, &lo, &hi);
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    /* plain loops, not memcpy / memset: the runs are short
                     * (14 floats for a 14x14 map) and a libc call per run
                     * would cost more than the copy */
                    float *restrict dst = row + (oh - oh0) * OW;
                    int64_t ih = oh * g->sh - g->ph + (int64_t)ki * g->dh;
                    if (ih < 0 || ih >= H) {
                        for (int64_t o = 0; o < OW; o++)
                            dst[o] = 0.0f;
                        continue;
                    }
                    const float *restrict src = xc + ih * W + off_w + lo * g->sw;
                    for (int64_t o = 0; o < lo; o++)
                        dst[o] = 0.0f;
                    if (g->sw == 1)
                        for (int64_t o = 0; o < hi - lo; o++)
                            dst[lo + o] = src[o];
                    else if (g->sw == 2) /* a constant stride vectorises (even lanes) */
                        for (int64_t o = 0; o < hi - lo; o++)
                            dst[lo + o] = src[2 * o];
                    else
                        for (int64_t o = 0; o < hi - lo; o++)
                            dst[lo + o] = src[o * g->sw];
                    for (int64_t o = hi; o < OW; o++)
                        dst[o] = 0.0f;
                }
            }
        }
    }
}

/* col2im of a same-size convolution: the columns that fall in the padding
 * are zeroed in col (they carry no gradient to any pixel), then each tap's
 * band is added as one run. */
static inline __attribute__((always_inline)) void
col2im_same_width(const vn__conv_geom *g, float *col, int64_t ldc, int64_t oh0, int64_t oh1,
                  float *x)
{
    const int64_t H = g->h, W = g->w;
    for (int64_t c = 0; c < g->c; c++) {
        float *restrict xc = x + c * H * W;
        for (int ki = 0; ki < g->kh; ki++) {
            int64_t a, b;
            valid_rows(g, ki, oh0, oh1, &a, &b);
            for (int kj = 0; kj < g->kw; kj++) {
                float *restrict row = col + ((c * g->kh + ki) * g->kw + kj) * ldc;
                int64_t off_w = (int64_t)kj * g->dw - g->pw, lo, hi;
                vn__conv_valid_cols(off_w, 1, W, W, &lo, &hi);
                if (b <= a || hi <= lo)
                    continue;
                zero_clipped(row, W, a - oh0, b - oh0, lo, hi);
                int64_t p0 = (a - oh0) * W + lo, p1 = (b - 1 - oh0) * W + hi;
                const int64_t base = (oh0 + (int64_t)ki * g->dh - g->ph) * W + off_w;
                for (int64_t p = p0; p < p1; p++)
                    xc[p + base] += row[p];
            }
        }
    }
}

VN_SIMD_CLONES void vn__col2im(const vn__conv_geom *g, float *col, int64_t ldc, int64_t oh0,
                               int64_t oh1, float *x)
{
    if (same_width(g)) {
        col2im_same_width(g, col, ldc, oh0, oh1, x);
        return;
    }
    const int64_t H = g->h, W = g->w, OW = g->ow;
    for (int64_t c = 0; c < g->c; c++) {
        float *xc = x + c * H * W;
        for (int ki = 0; ki < g->kh; ki++) {
            for (int kj = 0; kj < g->kw; kj++) {
                const float *row = col + ((c * g->kh + ki) * g->kw + kj) * ldc;
                int64_t off_w = (int64_t)kj * g->dw - g->pw;
                int64_t lo, hi;
                vn__conv_valid_cols(off_w, g->sw, W, OW, &lo, &hi);
                if (hi <= lo)
                    continue;
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    int64_t ih = oh * g->sh - g->ph + (int64_t)ki * g->dh;
                    if (ih < 0 || ih >= H)
                        continue;
                    const float *restrict src = row + (oh - oh0) * OW;
                    float *restrict dst = xc + ih * W;
                    if (g->sw == 1) {
                        /* dst + off_w + lo >= xc: lo was chosen so */
                        float *restrict d = dst + off_w + lo;
                        const float *restrict s = src + lo;
                        for (int64_t o = 0; o < hi - lo; o++)
                            d[o] += s[o];
                    } else {
                        for (int64_t o = lo; o < hi; o++)
                            dst[o * g->sw + off_w] += src[o];
                    }
                }
            }
        }
    }
}
