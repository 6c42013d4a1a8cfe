/*
 * resize_opencv.c - resizing u8 [H,W,C] images exactly as OpenCV 4.6's
 * cv::resize (modules/imgproc/src/resize.cpp, x86 build with SSE2
 * baseline), so that results equal cv2.resize's.
 *
 * What OpenCV does, and therefore what this file does:
 *
 * - Same size: a copy, whatever the interpolation.
 * - NEAREST: sx = min(floor(dx * (1 / (dw / sw))), sw - 1), per axis.
 * - LINEAR and CUBIC: separable. Per destination column a source index and
 *   float weights are computed from the half-pixel mapping
 *   fx = (float)((dx + 0.5) * scale - 0.5), sx = floor(fx), fx -= sx, then
 *   the weights are rounded to 11-bit fixed point (INTER_RESIZE_COEF_BITS,
 *   sum 2048). For LINEAR the column mapping is clamped (sx < 0 ->
 *   (0, 0); sx >= sw-1 -> (sw-1, 0)); rows are not: their taps are clamped
 *   to the image but keep their weights. CUBIC uses Keys' kernel with
 *   a = -0.75 and clamped (replicated) taps on both axes. The horizontal
 *   pass is exact in int32. The vertical pass is OpenCV's SIMD kernel:
 *   LINEAR computes ((((S0>>4)*b0)>>16) + (((S1>>4)*b1)>>16) + 2) >> 2 for
 *   every sample (checked against cv2 over 700k random samples: the
 *   scalar formula never shows); CUBIC computes in float
 *   S0*b0 + (S1*b1 + (S2*b2 + S3*b3)), b = beta / 2048^2, rounded half to
 *   even, for the first floor(W*C/8)*8 samples of a row and the scalar
 *   (sum + 2^21) >> 22 for the rest.
 * - LINEAR with an exact factor of 2 down on both axes is INTER_AREA.
 * - AREA with both factors >= 1 (shrinking):
 *   - integer factors: the block sum; for 2x2 with 1, 3 or 4 channels
 *     (sum + 2) >> 2, otherwise round-half-even(sum * (1.f / area));
 *   - otherwise a separable box filter with fractional edge weights
 *     (computeResizeAreaTab), accumulated in float, rounded half to even.
 * - AREA otherwise (enlarging on an axis): the bilinear scheme above with
 *   sx = floor(dx * scale), fx = (float)((dx + 1) - (sx + 1) / scale),
 *   fx = fx <= 0 ? 0 : fx - floor(fx).
 *
 * The arithmetic is reproduced to the bit, so a test against cv2 can ask
 * for equality; the conformance set allows one grey level.
 */
#include "image/image_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* OpenCV's float vertical cubic pass rounds every product and sum (SSE2,
 * no FMA); fused multiply-adds would move results by one level. GCC in
 * ISO C mode does not contract; clang needs to be told. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define COEF_BITS 11
#define COEF_SCALE (1 << COEF_BITS)

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline uint8_t sat_u8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* cvRound(float) then saturate_cast<short>. */
static inline int16_t sat_short(float v)
{
    long r = lrintf(v);
    return (int16_t)(r < -32768 ? -32768 : r > 32767 ? 32767 : r);
}

/* saturate_cast<uchar>(float): round half to even, then clamp. */
static inline uint8_t sat_u8f(float v)
{
    if (!(v > 0.0f))
        return 0;
    if (v >= 255.0f)
        return 255;
    return (uint8_t)lrintf(v);
}

/* OpenCV's interpolateCubic (a = -0.75), in float as it computes it. */
static void cubic_coeffs(float x, float *c)
{
    const float A = -0.75f;
    c[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
    c[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
    c[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
    c[3] = 1.f - c[0] - c[1] - c[2];
}

/*
 * Taps of one axis: for destination index d, ksize source indices
 * (clamped into the image) and fixed-point weights. clamp_linear applies
 * OpenCV's column rule for 2-tap kernels (rows do not get it).
 */
static void build_taps(int ssize, int dsize, vn_interp mode, bool clamp_linear, int *idx, int16_t *w)
{
    double inv_scale = (double)dsize / ssize;
    double scale = 1.0 / inv_scale;
    int ksize = mode == VN_INTERP_BICUBIC ? 4 : 2;
    for (int d = 0; d < dsize; d++) {
        int s;
        float f;
        if (mode == VN_INTERP_AREA) {
            s = (int)floor(d * scale);
            f = (float)((d + 1) - (s + 1) * inv_scale);
            f = f <= 0 ? 0.f : f - (float)(int)floorf(f);
        } else {
            f = (float)((d + 0.5) * scale - 0.5);
            s = (int)floorf(f);
            f -= (float)s;
        }
        if (clamp_linear && ksize == 2) {
            if (s < 0)
                f = 0, s = 0;
            if (s >= ssize - 1)
                f = 0, s = ssize - 1;
        }
        float cb[4];
        if (ksize == 4) {
            cubic_coeffs(f, cb);
        } else {
            cb[0] = 1.f - f;
            cb[1] = f;
        }
        for (int k = 0; k < ksize; k++) {
            idx[d * ksize + k] = clampi(s - ksize / 2 + 1 + k, 0, ssize - 1);
            w[d * ksize + k] = sat_short(cb[k] * COEF_SCALE);
        }
    }
}

/* Horizontal pass of one source row into dw*cn int32 samples. xofs holds
 * element offsets (index * cn) of the taps. */
static void hpass(const uint8_t *S, int32_t *D, int dw, int cn, int ksize, const int *xofs,
                  const int16_t *xw)
{
    if (ksize == 2) {
        for (int dx = 0; dx < dw; dx++, D += cn) {
            const uint8_t *a = S + xofs[2 * dx], *b = S + xofs[2 * dx + 1];
            int w0 = xw[2 * dx], w1 = xw[2 * dx + 1];
            for (int c = 0; c < cn; c++)
                D[c] = a[c] * w0 + b[c] * w1;
        }
        return;
    }
    for (int dx = 0; dx < dw; dx++, D += cn) {
        const int *o = xofs + 4 * dx;
        const int16_t *w = xw + 4 * dx;
        for (int c = 0; c < cn; c++)
            D[c] = S[o[0] + c] * w[0] + S[o[1] + c] * w[1] + S[o[2] + c] * w[2] + S[o[3] + c] * w[3];
    }
}

/* OpenCV's VResizeLinearVec_32s8u for every sample (int16 lanes). */
static void vpass_linear(const int32_t *S0, const int32_t *S1, uint8_t *D, int width, int b0, int b1)
{
    for (int x = 0; x < width; x++) {
        int16_t s0 = (int16_t)(S0[x] >> 4), s1 = (int16_t)(S1[x] >> 4);
        int16_t t = (int16_t)(((s0 * b0) >> 16) + ((s1 * b1) >> 16));
        D[x] = sat_u8((t + 2) >> 2);
    }
}

/* OpenCV's VResizeCubicVec_32s8u (float) on whole groups of 8 samples,
 * VResizeCubic's fixed point on the rest. */
static void vpass_cubic(const int32_t *const *S, uint8_t *D, int width, const int16_t *beta)
{
    const float scale = 1.f / (COEF_SCALE * COEF_SCALE);
    float b0 = beta[0] * scale, b1 = beta[1] * scale, b2 = beta[2] * scale, b3 = beta[3] * scale;
    int xv = width / 8 * 8, x = 0;
    for (; x < xv; x++) {
        float p3 = (float)S[3][x] * b3;
        float p2 = (float)S[2][x] * b2 + p3;
        float p1 = (float)S[1][x] * b1 + p2;
        float v = (float)S[0][x] * b0 + p1;
        D[x] = sat_u8f(v);
    }
    for (; x < width; x++) {
        int64_t acc = (int64_t)S[0][x] * beta[0] + (int64_t)S[1][x] * beta[1] +
                      (int64_t)S[2][x] * beta[2] + (int64_t)S[3][x] * beta[3];
        int64_t v = (acc + (1 << 21)) >> 22;
        D[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* LINEAR, CUBIC and AREA-when-enlarging: separable fixed point, with the
 * horizontal results of the last ksize source rows kept for reuse. */
static vn_status resize_separable(const uint8_t *src, int sh, int sw, int cn, uint8_t *dst, int dh,
                                  int dw, vn_interp mode)
{
    int ksize = mode == VN_INTERP_BICUBIC ? 4 : 2;
    size_t width = (size_t)dw * cn;
    size_t sstep = (size_t)sw * cn;
    size_t nx = (size_t)dw * ksize, ny = (size_t)dh * ksize;
    /* One block: x taps, y taps, x weights, y weights, ksize row buffers. */
    size_t bytes = (nx + ny) * sizeof(int) + (nx + ny) * sizeof(int16_t) + 16 +
                   (size_t)ksize * width * sizeof(int32_t);
    uint8_t *block = vn__alloc_or_error(bytes, "resize");
    if (!block)
        return VN_ERR_NOMEM;
    int32_t *rowbuf = (int32_t *)block;
    int *xofs = (int *)(rowbuf + (size_t)ksize * width);
    int *yofs = xofs + nx;
    int16_t *xw = (int16_t *)(yofs + ny);
    int16_t *yw = xw + nx;
    build_taps(sw, dw, mode, true, xofs, xw);
    build_taps(sh, dh, mode, false, yofs, yw);
    for (size_t i = 0; i < nx; i++)
        xofs[i] *= cn;

    int32_t *buf[4];
    int cached[4];
    for (int k = 0; k < ksize; k++) {
        buf[k] = rowbuf + (size_t)k * width;
        cached[k] = -1;
    }
    for (int dy = 0; dy < dh; dy++) {
        const int *want = yofs + (size_t)dy * ksize;
        const int32_t *rows[4];
        for (int k = 0; k < ksize; k++) {
            int slot = -1;
            for (int j = 0; j < ksize && slot < 0; j++)
                if (cached[j] == want[k])
                    slot = j;
            if (slot < 0) {
                /* Reuse a buffer no tap of this row needs (one exists:
                 * ksize buffers, at most ksize-1 of them wanted). */
                for (int j = 0; j < ksize && slot < 0; j++) {
                    bool needed = false;
                    for (int m = 0; m < ksize; m++)
                        needed |= cached[j] == want[m];
                    if (!needed)
                        slot = j;
                }
                hpass(src + (size_t)want[k] * sstep, buf[slot], dw, cn, ksize, xofs, xw);
                cached[slot] = want[k];
            }
            rows[k] = buf[slot];
        }
        uint8_t *D = dst + (size_t)dy * width;
        const int16_t *b = yw + (size_t)dy * ksize;
        if (ksize == 2)
            vpass_linear(rows[0], rows[1], D, (int)width, b[0], b[1]);
        else
            vpass_cubic(rows, D, (int)width, b);
    }
    vn__free(block);
    return VN_OK;
}

static vn_status resize_nearest(const uint8_t *src, int sh, int sw, int cn, uint8_t *dst, int dh, int dw)
{
    size_t *xofs = vn__alloc_or_error((size_t)dw * sizeof *xofs, "resize");
    if (!xofs)
        return VN_ERR_NOMEM;
    double ifx = 1.0 / ((double)dw / sw), ify = 1.0 / ((double)dh / sh);
    for (int x = 0; x < dw; x++)
        xofs[x] = (size_t)VN_MIN((int)floor(x * ifx), sw - 1) * cn;
    for (int y = 0; y < dh; y++) {
        int sy = VN_MIN((int)floor(y * ify), sh - 1);
        const uint8_t *S = src + (size_t)sy * sw * cn;
        uint8_t *D = dst + (size_t)y * dw * cn;
        if (cn == 1)
            for (int x = 0; x < dw; x++)
                D[x] = S[xofs[x]];
        else
            for (int x = 0; x < dw; x++)
                memcpy(D + (size_t)x * cn, S + xofs[x], (size_t)cn);
    }
    vn__free(xofs);
    return VN_OK;
}

/* INTER_AREA by integer factors (ResizeAreaFast). */
static void resize_area_int(const uint8_t *src, int sw, int cn, uint8_t *dst, int dh, int dw, int fx, int fy)
{
    size_t sstep = (size_t)sw * cn;
    bool half_up = fx == 2 && fy == 2 && (cn == 1 || cn == 3 || cn == 4);
    float scale = 1.f / (float)(fx * fy);
    for (int dy = 0; dy < dh; dy++) {
        const uint8_t *S = src + (size_t)dy * fy * sstep;
        uint8_t *D = dst + (size_t)dy * dw * cn;
        for (int dx = 0; dx < dw; dx++)
            for (int c = 0; c < cn; c++) {
                const uint8_t *p = S + (size_t)dx * fx * cn + c;
                int sum = 0;
                for (int i = 0; i < fy; i++)
                    for (int j = 0; j < fx; j++)
                        sum += p[i * sstep + (size_t)j * cn];
                D[(size_t)dx * cn + c] = half_up ? (uint8_t)((sum + 2) >> 2) : sat_u8f((float)sum * scale);
            }
    }
}

typedef struct area_tap {
    int di, si;   /* destination and source index (pixels) */
    float alpha;  /* share of the source pixel in the destination one */
} area_tap;

/* computeResizeAreaTab: the overlap of source cells with destination
 * cells; returns the number of taps (at most 2 * ssize). */
static int area_taps(int ssize, int dsize, double scale, area_tap *tab)
{
    int k = 0;
    for (int dx = 0; dx < dsize; dx++) {
        double fsx1 = dx * scale;
        double fsx2 = fsx1 + scale;
        double cell = VN_MIN(scale, ssize - fsx1);
        int sx1 = (int)ceil(fsx1), sx2 = (int)floor(fsx2);
        sx2 = VN_MIN(sx2, ssize - 1);
        sx1 = VN_MIN(sx1, sx2);
        if (sx1 - fsx1 > 1e-3)
            tab[k++] = (area_tap){dx, sx1 - 1, (float)((sx1 - fsx1) / cell)};
        for (int sx = sx1; sx < sx2; sx++)
            tab[k++] = (area_tap){dx, sx, (float)(1.0 / cell)};
        if (fsx2 - sx2 > 1e-3)
            tab[k++] = (area_tap){dx, sx2, (float)(VN_MIN(VN_MIN(fsx2 - sx2, 1.), cell) / cell)};
    }
    return k;
}

/* INTER_AREA by other factors >= 1 (ResizeArea_Invoker), float sums. */
static vn_status resize_area(const uint8_t *src, int sh, int sw, int cn, uint8_t *dst, int dh, int dw,
                             double scale_x, double scale_y)
{
    size_t width = (size_t)dw * cn;
    size_t ntab = 2 * ((size_t)sw + sh) + 2;
    size_t bytes = ntab * sizeof(area_tap) + 2 * width * sizeof(float);
    uint8_t *block = vn__alloc_or_error(bytes, "resize");
    if (!block)
        return VN_ERR_NOMEM;
    area_tap *xtab = (area_tap *)block;
    area_tap *ytab = xtab + 2 * (size_t)sw + 1;
    float *buf = (float *)(xtab + ntab);
    float *sum = buf + width;
    int nxt = area_taps(sw, dw, scale_x, xtab);
    int nyt = area_taps(sh, dh, scale_y, ytab);

    int prev_dy = ytab[0].di;
    for (size_t i = 0; i < width; i++)
        sum[i] = 0;
    for (int j = 0; j < nyt; j++) {
        float beta = ytab[j].alpha;
        int dy = ytab[j].di;
        const uint8_t *S = src + (size_t)ytab[j].si * sw * cn;
        for (size_t i = 0; i < width; i++)
            buf[i] = 0;
        for (int k = 0; k < nxt; k++) {
            float *B = buf + (size_t)xtab[k].di * cn;
            const uint8_t *P = S + (size_t)xtab[k].si * cn;
            float a = xtab[k].alpha;
            for (int c = 0; c < cn; c++)
                B[c] += (float)P[c] * a;
        }
        if (dy != prev_dy) {
            uint8_t *D = dst + (size_t)prev_dy * width;
            for (size_t i = 0; i < width; i++) {
                D[i] = sat_u8f(sum[i]);
                sum[i] = beta * buf[i];
            }
            prev_dy = dy;
        } else {
            for (size_t i = 0; i < width; i++)
                sum[i] += beta * buf[i];
        }
    }
    uint8_t *D = dst + (size_t)prev_dy * width;
    for (size_t i = 0; i < width; i++)
        D[i] = sat_u8f(sum[i]);
    vn__free(block);
    return VN_OK;
}

vn_status vn__resize_u8_opencv(const uint8_t *src, int sh, int sw, int cn, uint8_t *dst, int dh,
                               int dw, vn_interp interp)
{
    if (sh == dh && sw == dw) {
        memcpy(dst, src, (size_t)sh * sw * cn);
        return VN_OK;
    }
    if (interp == VN_INTERP_NEAREST)
        return resize_nearest(src, sh, sw, cn, dst, dh, dw);

    double scale_x = 1.0 / ((double)dw / sw), scale_y = 1.0 / ((double)dh / sh);
    int iscale_x = (int)lrint(scale_x), iscale_y = (int)lrint(scale_y);
    bool area_fast = fabs(scale_x - iscale_x) < DBL_EPSILON && fabs(scale_y - iscale_y) < DBL_EPSILON;
    if (interp == VN_INTERP_BILINEAR && area_fast && iscale_x == 2 && iscale_y == 2)
        interp = VN_INTERP_AREA;
    if (interp == VN_INTERP_AREA && scale_x >= 1 && scale_y >= 1) {
        if (area_fast) {
            resize_area_int(src, sw, cn, dst, dh, dw, iscale_x, iscale_y);
            return VN_OK;
        }
        return resize_area(src, sh, sw, cn, dst, dh, dw, scale_x, scale_y);
    }
    return resize_separable(src, sh, sw, cn, dst, dh, dw, interp);
}
