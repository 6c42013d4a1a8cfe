/*
 * resize.c - ONNX Resize-13 on the planes of an NCHW tensor: nearest or
 * (bi)linear, every coordinate transformation mode but tf_crop_and_resize,
 * forward and backward.
 *
 * Each axis is worked out once (vn__resize_taps): output index x_r maps to
 * the input coordinate
 *
 *   half_pixel           (x_r + 0.5) / scale - 0.5
 *   pytorch_half_pixel   the same when len > 1, else 0
 *   align_corners        x_r * (in - 1) / (len - 1), 0 when len == 1
 *   asymmetric           x_r / scale
 *   tf_half_pixel_for_nn (x_r + 0.5) / scale
 *
 * (scale = the given scale, or out / in; len = scale * in unrounded, which
 * is out unless a scale was given), in double. Nearest rounds it
 * (round_prefer_floor / round_prefer_ceil / floor / ceil) and clamps the
 * index into the input. Linear takes the two neighbours floor(x) and
 * floor(x) + 1 with weights 1 - f and f (f = x - floor(x)), each index
 * clamped into the input, as ONNX's reference pads the data with its edge
 * values. A plane is interpolated along the width first, then the height,
 * as the reference does. The backward scatters dy with the same weights.
 *
 * Parallel over planes.
 */
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

static int64_t clamp_index(double v, int64_t in)
{
    if (!(v >= 0.0))
        return 0;
    if (v >= (double)(in - 1))
        return in - 1;
    return (int64_t)v;
}

void vn__resize_taps(bool nearest, vn__resize_coord coord, vn__resize_round round, int64_t in,
                     int64_t out, double scale, vn__resize_tap *taps)
{
    /* the resized length of the formulas: scale * in, not rounded, as in
     * ONNX's reference (it differs from out when a scale is given) */
    double len = (double)out;
    if (scale > 0.0)
        len = scale * (double)in;
    else
        scale = (double)out / (double)in;
    for (int64_t o = 0; o < out; o++) {
        double x;
        switch (coord) {
        case VN__RESIZE_PYTORCH_HALF_PIXEL:
            x = len > 1.0 ? ((double)o + 0.5) / scale - 0.5 : 0.0;
            break;
        case VN__RESIZE_ALIGN_CORNERS:
            x = len == 1.0 ? 0.0 : (double)o * (double)(in - 1) / (len - 1.0);
            break;
        case VN__RESIZE_ASYMMETRIC:
            x = (double)o / scale;
            break;
        case VN__RESIZE_TF_HALF_PIXEL_FOR_NN:
            x = ((double)o + 0.5) / scale;
            break;
        case VN__RESIZE_HALF_PIXEL:
        default:
            x = ((double)o + 0.5) / scale - 0.5;
            break;
        }
        vn__resize_tap *t = &taps[o];
        double f = floor(x);
        if (nearest) {
            double r;
            switch (round) {
            case VN__RESIZE_ROUND_PREFER_CEIL:
                r = x - f >= 0.5 ? f + 1.0 : f;
                break;
            case VN__RESIZE_FLOOR:
                r = f;
                break;
            case VN__RESIZE_CEIL:
                r = ceil(x);
                break;
            case VN__RESIZE_ROUND_PREFER_FLOOR:
            default:
                r = x - f > 0.5 ? f + 1.0 : f;
                break;
            }
            t->i0 = t->i1 = clamp_index(r, in);
            t->w0 = 1.0f;
            t->w1 = 0.0f;
        } else {
            t->i0 = clamp_index(f, in);
            t->i1 = clamp_index(f + 1.0, in);
            t->w1 = (float)(x - f);
            t->w0 = (float)(1.0 - (x - f));
        }
    }
}

typedef struct resize_job {
    const vn__resize_geom *g;
    const float *x, *dy;
    float *y, *dx;
} resize_job;

static void forward_planes(void *arg, int64_t begin, int64_t end)
{
    const resize_job *j = arg;
    const vn__resize_geom *g = j->g;
    for (int64_t p = begin; p < end; p++) {
        const float *x = j->x + p * g->h * g->w;
        float *y = j->y + p * g->oh * g->ow;
        for (int64_t i = 0; i < g->oh; i++) {
            const vn__resize_tap *th = &g->th[i];
            float *yr = y + i * g->ow;
            const float *r0 = x + th->i0 * g->w, *r1 = x + th->i1 * g->w;
            if (g->nearest) {
                for (int64_t o = 0; o < g->ow; o++)
                    yr[o] = r0[g->tw[o].i0];
                continue;
            }
            for (int64_t o = 0; o < g->ow; o++) {
                const vn__resize_tap *tw = &g->tw[o];
                float a = tw->w0 * r0[tw->i0] + tw->w1 * r0[tw->i1];
                float b = tw->w0 * r1[tw->i0] + tw->w1 * r1[tw->i1];
                yr[o] = th->w0 * a + th->w1 * b;
            }
        }
    }
}

void vn__resize_forward(const vn__resize_geom *g, const float *x, float *y)
{
    resize_job j = {.g = g, .x = x, .y = y};
    vn__parallel_for(g->planes, (double)(g->oh * g->ow) * (g->nearest ? 1.0 : 6.0),
                     forward_planes, &j);
}

static void backward_planes(void *arg, int64_t begin, int64_t end)
{
    const resize_job *j = arg;
    const vn__resize_geom *g = j->g;
    for (int64_t p = begin; p < end; p++) {
        float *dx = j->dx + p * g->h * g->w;
        const float *dy = j->dy + p * g->oh * g->ow;
        memset(dx, 0, (size_t)(g->h * g->w) * sizeof(float));
        for (int64_t i = 0; i < g->oh; i++) {
            const vn__resize_tap *th = &g->th[i];
            const float *dyr = dy + i * g->ow;
            float *r0 = dx + th->i0 * g->w, *r1 = dx + th->i1 * g->w;
            if (g->nearest) {
                for (int64_t o = 0; o < g->ow; o++)
                    r0[g->tw[o].i0] += dyr[o];
                continue;
            }
            for (int64_t o = 0; o < g->ow; o++) {
                const vn__resize_tap *tw = &g->tw[o];
                float a = th->w0 * dyr[o], b = th->w1 * dyr[o];
                r0[tw->i0] += tw->w0 * a;
                r0[tw->i1] += tw->w1 * a;
                r1[tw->i0] += tw->w0 * b;
                r1[tw->i1] += tw->w1 * b;
            }
        }
    }
}

void vn__resize_backward(const vn__resize_geom *g, const float *dy, float *dx)
{
    resize_job j = {.g = g, .dy = dy, .dx = dx};
    vn__parallel_for(g->planes, (double)(g->oh * g->ow + g->h * g->w) * (g->nearest ? 1.0 : 8.0),
                     backward_planes, &j);
}
