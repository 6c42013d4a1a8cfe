/*
 * upsample.c - integer-factor upsampling of NCHW planes, PyTorch's
 * F.interpolate(scale_factor=s) in modes 'nearest' and 'bilinear'
 * (align_corners=False):
 *
 *   nearest:  y[i, j] = x[floor(i/s), floor(j/s)]
 *   bilinear: src = (dst + 0.5)/s - 0.5, clamped below at 0; i0 = floor(src),
 *             i1 = min(i0 + 1, in - 1), weights (1 - f, f), f = src - i0;
 *             separable over rows and columns.
 *
 * The backward passes are the exact adjoints (each output's gradient is
 * spread back with the same weights). Parallel over planes.
 */
#include "kernels/kernels.h"

#include <string.h>

typedef struct tap {
    int64_t i0, i1;
    float l0, l1;
} tap;

static tap bilinear_tap(int64_t dst, int s, int64_t in)
{
    double src = ((double)dst + 0.5) / s - 0.5;
    if (src < 0.0)
        src = 0.0;
    tap t;
    t.i0 = (int64_t)src;
    if (t.i0 > in - 1)
        t.i0 = in - 1;
    t.i1 = t.i0 + 1 < in ? t.i0 + 1 : in - 1;
    t.l1 = (float)(src - (double)t.i0);
    t.l0 = 1.0f - t.l1;
    return t;
}

typedef struct up_job {
    bool bilinear;
    int s;
    int64_t h, w;
    const float *x, *dy;
    float *y, *dx;
} up_job;

VN_SIMD_CLONES static void forward_planes(void *arg, int64_t begin, int64_t end)
{
    const up_job *j = arg;
    const int64_t OH = j->h * j->s, OW = j->w * j->s;
    for (int64_t pi = begin; pi < end; pi++) {
        const float *x = j->x + pi * j->h * j->w;
        float *y = j->y + pi * OH * OW;
        for (int64_t i = 0; i < OH; i++) {
            float *yr = y + i * OW;
            if (!j->bilinear) {
                const float *xr = x + (i / j->s) * j->w;
                for (int64_t o = 0; o < OW; o++)
                    yr[o] = xr[o / j->s];
                continue;
            }
            tap th = bilinear_tap(i, j->s, j->h);
            const float *r0 = x + th.i0 * j->w, *r1 = x + th.i1 * j->w;
            for (int64_t o = 0; o < OW; o++) {
                tap tw = bilinear_tap(o, j->s, j->w);
                yr[o] = th.l0 * (tw.l0 * r0[tw.i0] + tw.l1 * r0[tw.i1]) +
                        th.l1 * (tw.l0 * r1[tw.i0] + tw.l1 * r1[tw.i1]);
            }
        }
    }
}

void vn__upsample_forward(bool bilinear, int s, int64_t planes, int64_t h, int64_t w,
                          const float *x, float *y)
{
    up_job j = {.bilinear = bilinear, .s = s, .h = h, .w = w, .x = x, .y = y};
    vn__parallel_for(planes, 8.0 * (double)(h * w * s * s), forward_planes, &j);
}

VN_SIMD_CLONES static void backward_planes(void *arg, int64_t begin, int64_t end)
{
    const up_job *j = arg;
    const int64_t OH = j->h * j->s, OW = j->w * j->s;
    for (int64_t pi = begin; pi < end; pi++) {
        float *dx = j->dx + pi * j->h * j->w;
        const float *dy = j->dy + pi * OH * OW;
        memset(dx, 0, (size_t)(j->h * j->w) * sizeof(float));
        for (int64_t i = 0; i < OH; i++) {
            const float *dyr = dy + i * OW;
            if (!j->bilinear) {
                float *dxr = dx + (i / j->s) * j->w;
                for (int64_t o = 0; o < OW; o++)
                    dxr[o / j->s] += dyr[o];
                continue;
            }
            tap th = bilinear_tap(i, j->s, j->h);
            float *r0 = dx + th.i0 * j->w, *r1 = dx + th.i1 * j->w;
            for (int64_t o = 0; o < OW; o++) {
                tap tw = bilinear_tap(o, j->s, j->w);
                float v = dyr[o];
                r0[tw.i0] += th.l0 * tw.l0 * v;
                r0[tw.i1] += th.l0 * tw.l1 * v;
                r1[tw.i0] += th.l1 * tw.l0 * v;
                r1[tw.i1] += th.l1 * tw.l1 * v;
            }
        }
    }
}

void vn__upsample_backward(bool bilinear, int s, int64_t planes, int64_t h, int64_t w,
                           const float *dy, float *dx)
{
    up_job j = {.bilinear = bilinear, .s = s, .h = h, .w = w, .dy = dy, .dx = dx};
    vn__parallel_for(planes, 8.0 * (double)(h * w * s * s), backward_planes, &j);
}
