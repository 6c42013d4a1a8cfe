/*
 * resize_torch.c - resizing f32 planes as PyTorch 1.13 does on the CPU:
 * F.interpolate(x, size, mode, align_corners=False, antialias=False) for
 * nearest, bilinear and bicubic, F.adaptive_avg_pool2d for area.
 *
 * Geometry (aten/src/ATen/native/UpSample.h), with scale = in / out:
 * - nearest: src = min(floor(dst * scale), in - 1) computed in float as
 *   PyTorch does whatever the dtype (out == in copies, out == 2 * in uses
 *   dst >> 1), so the picked pixels are PyTorch's exactly.
 * - bilinear: src = max(scale * (dst + 0.5) - 0.5, 0), i0 = min(floor(src),
 *   in - 1), i1 = i0 + (i0 < in-1), l1 = clamp(src - i0, 0, 1), l0 = 1 - l1.
 *   No antialiasing: shrinking samples 2 taps whatever the factor.
 * - bicubic: the same src without the clamp at 0, Keys' kernel with
 *   a = -0.75, taps i0-1 .. i0+2 clamped into the image.
 * - area: output (i, j) is the mean of rows floor(i*H/oh) ..
 *   ceil((i+1)*H/oh) - 1 and of the columns likewise.
 * Interpolation is separable as in PyTorch's generic kernel: each output
 * is sum_r wy[r] * (sum_c wx[c] * x[r, c]). Weights and sums are computed
 * in double and rounded once to float: the result is the correctly rounded
 * value for the float input (what the conformance set stores, computed by
 * PyTorch in float64); PyTorch's own float32 result differs from it by a
 * few units in the last place.
 */
#include "image/image_internal.h"

#include <math.h>
#include <string.h>

/* Source taps and weights of one axis (k taps per destination index). */
static void linear_taps(int in, int out, int *idx, double *w)
{
    double scale = (double)in / out;
    for (int d = 0; d < out; d++) {
        int i0 = d;
        double l1 = 0.0;
        if (in != out) {
            double src = scale * (d + 0.5) - 0.5;
            if (src < 0.0)
                src = 0.0;
            i0 = VN_MIN((int)floor(src), in - 1);
            l1 = VN_MIN(VN_MAX(src - i0, 0.0), 1.0);
        }
        idx[2 * d] = i0;
        idx[2 * d + 1] = i0 + (i0 < in - 1 ? 1 : 0);
        w[2 * d] = 1.0 - l1;
        w[2 * d + 1] = l1;
    }
}

static inline double cubic1(double x, double a) { return ((a + 2) * x - (a + 3)) * x * x + 1; }
static inline double cubic2(double x, double a) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; }

static void cubic_taps(int in, int out, int *idx, double *w)
{
    const double a = -0.75;
    double scale = (double)in / out;
    for (int d = 0; d < out; d++) {
        double src = scale * (d + 0.5) - 0.5;
        int i0 = VN_MIN((int)floor(src), in - 1);
        double t = VN_MIN(VN_MAX(src - i0, 0.0), 1.0);
        w[4 * d + 0] = cubic2(t + 1.0, a);
        w[4 * d + 1] = cubic1(t, a);
        w[4 * d + 2] = cubic1(1.0 - t, a);
        w[4 * d + 3] = cubic2(2.0 - t, a);
        for (int k = 0; k < 4; k++)
            idx[4 * d + k] = VN_MAX(VN_MIN(i0 - 1 + k, in - 1), 0);
    }
}

static inline int nearest_src(int d, int in, int out, float scale)
{
    if (out == in)
        return d;
    if (out == 2 * in)
        return d >> 1;
    return VN_MIN((int)floorf((float)d * scale), in - 1);
}

static void resize_nearest(const float *src, int sh, int sw, float *dst, int dh, int dw, int *xs)
{
    float fx = (float)sw / (float)dw, fy = (float)sh / (float)dh;
    for (int x = 0; x < dw; x++)
        xs[x] = nearest_src(x, sw, dw, fx);
    for (int y = 0; y < dh; y++) {
        const float *S = src + (size_t)nearest_src(y, sh, dh, fy) * sw;
        float *D = dst + (size_t)y * dw;
        for (int x = 0; x < dw; x++)
            D[x] = S[xs[x]];
    }
}

static void resize_area(const float *src, int sh, int sw, float *dst, int dh, int dw)
{
    for (int oy = 0; oy < dh; oy++) {
        int y0 = (int)(((int64_t)oy * sh) / dh);
        int y1 = (int)(((int64_t)(oy + 1) * sh + dh - 1) / dh);
        for (int ox = 0; ox < dw; ox++) {
            int x0 = (int)(((int64_t)ox * sw) / dw);
            int x1 = (int)(((int64_t)(ox + 1) * sw + dw - 1) / dw);
            double sum = 0.0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                    sum += src[(size_t)y * sw + x];
            dst[(size_t)oy * dw + ox] = (float)(sum / ((double)(y1 - y0) * (x1 - x0)));
        }
    }
}

/* Separable k-tap pass: horizontally interpolated rows kept in k buffers
 * (a row is computed once while the rows needing it go by), then the
 * vertical sum. */
static void resize_separable(const float *src, int sw, float *dst, int dh, int dw, int k,
                             const int *xi, const double *xw, const int *yi, const double *yw,
                             double *rowbuf)
{
    int cached[4] = {-1, -1, -1, -1};
    double *acc = rowbuf + (size_t)k * dw;
    for (int y = 0; y < dh; y++) {
        const int *want = yi + (size_t)y * k;
        float *D = dst + (size_t)y * dw;
        for (int t = 0; t < k; t++) {
            int slot = -1;
            for (int j = 0; j < k && slot < 0; j++)
                if (cached[j] == want[t])
                    slot = j;
            if (slot < 0) {
                /* A buffer no tap of this output row needs. */
                for (int j = 0; j < k && slot < 0; j++) {
                    bool needed = false;
                    for (int m = 0; m < k; m++)
                        needed |= cached[j] == want[m];
                    if (!needed)
                        slot = j;
                }
                const float *S = src + (size_t)want[t] * sw;
                double *H = rowbuf + (size_t)slot * dw;
                for (int x = 0; x < dw; x++) {
                    const int *ix = xi + (size_t)x * k;
                    const double *wx = xw + (size_t)x * k;
                    double v = S[ix[0]] * wx[0];
                    for (int j = 1; j < k; j++)
                        v += S[ix[j]] * wx[j];
                    H[x] = v;
                }
                cached[slot] = want[t];
            }
            const double *H = rowbuf + (size_t)slot * dw;
            double wy = yw[(size_t)y * k + t];
            if (t == 0)
                for (int x = 0; x < dw; x++)
                    acc[x] = H[x] * wy;
            else
                for (int x = 0; x < dw; x++)
                    acc[x] += H[x] * wy;
        }
        for (int x = 0; x < dw; x++)
            D[x] = (float)acc[x];
    }
}

vn_status vn__resize_f32_torch(const float *src, size_t planes, int sh, int sw, float *dst, int dh,
                               int dw, vn_interp interp)
{
    size_t in_plane = (size_t)sh * sw, out_plane = (size_t)dh * dw;
    if (interp == VN_INTERP_AREA) {
        for (size_t p = 0; p < planes; p++)
            resize_area(src + p * in_plane, sh, sw, dst + p * out_plane, dh, dw);
        return VN_OK;
    }
    int k = interp == VN_INTERP_BICUBIC ? 4 : interp == VN_INTERP_BILINEAR ? 2 : 1;
    /* Scratch: k row buffers and an accumulator row, x and y weights, x and
     * y taps. */
    size_t nx = (size_t)dw * k, ny = (size_t)dh * k;
    size_t bytes = (nx + ny) * (sizeof(int) + sizeof(double)) + (size_t)(k + 1) * dw * sizeof(double);
    double *rowbuf = vn__alloc_or_error(bytes, "resize");
    if (!rowbuf)
        return VN_ERR_NOMEM;
    double *xw = rowbuf + (size_t)(k + 1) * dw;
    double *yw = xw + nx;
    int *xi = (int *)(yw + ny);
    int *yi = xi + nx;
    if (k == 1) {
        for (size_t p = 0; p < planes; p++)
            resize_nearest(src + p * in_plane, sh, sw, dst + p * out_plane, dh, dw, xi);
    } else {
        if (k == 2) {
            linear_taps(sw, dw, xi, xw);
            linear_taps(sh, dh, yi, yw);
        } else {
            cubic_taps(sw, dw, xi, xw);
            cubic_taps(sh, dh, yi, yw);
        }
        for (size_t p = 0; p < planes; p++)
            resize_separable(src + p * in_plane, sw, dst + p * out_plane, dh, dw, k, xi, xw, yi, yw,
                             rowbuf);
    }
    vn__free(rowbuf);
    return VN_OK;
}
