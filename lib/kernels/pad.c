/*
 * pad.c - N-D padding and cropping (ONNX Pad, PyTorch F.pad) of blocks of
 * `outer` samples, forward and backward.
 *
 * Each axis has a map from output index to input index, worked out once
 * by vn__pad_map: the index minus the leading pad, then reflected
 * (x[-1] = x[1]), clamped (edge) or, for constant padding, -1 outside the
 * input ("use the constant"). A negative pad crops: the map then starts
 * inside the input. The forward copies rows along the last axis through
 * its map; the backward is the adjoint, a scatter-add (reflected and edge
 * copies add their gradients back onto the pixels they copied).
 *
 * Parallel over samples (each sample's input gradient is its own block).
 */
#include "kernels/kernels.h"

#include <string.h>

void vn__pad_map(vn__pad_mode mode, int64_t in, int64_t out, int64_t begin, int64_t *map)
{
    for (int64_t o = 0; o < out; o++) {
        int64_t i = o - begin;
        if (i < 0 || i >= in) {
            if (mode == VN__PAD_CONSTANT) {
                i = -1;
            } else if (mode == VN__PAD_EDGE) {
                i = i < 0 ? 0 : in - 1;
            } else {
                /* reflect (pads < in, so once is enough; in == 1 has no pad) */
                while (in > 1 && (i < 0 || i >= in))
                    i = i < 0 ? -i : 2 * (in - 1) - i;
                if (i < 0 || i >= in)
                    i = 0;
            }
        }
        map[o] = i;
    }
}

typedef struct pad_job {
    const vn__pad_geom *g;
    const float *x, *dy;
    float *y, *dx;
    int64_t in_count, out_count, rows;   /* per sample */
} pad_job;

/* The input offset of output row r (all axes but the last) of one sample,
 * or -1 when some axis lands in the constant. */
static int64_t row_source(const vn__pad_geom *g, int64_t r)
{
    int64_t off = 0, stride = g->in[g->ndim - 1];
    for (int a = g->ndim - 2; a >= 0; a--) {
        int64_t o = r % g->out[a];
        r /= g->out[a];
        int64_t i = g->map[a][o];
        if (i < 0)
            return -1;
        off += i * stride;
        stride *= g->in[a];
    }
    return off;
}

static void forward_samples(void *arg, int64_t begin, int64_t end)
{
    const pad_job *j = arg;
    const vn__pad_geom *g = j->g;
    const int last = g->ndim - 1;
    const int64_t ow = g->out[last];
    const int64_t *lm = g->map[last];
    for (int64_t s = begin; s < end; s++) {
        const float *x = j->x + s * j->in_count;
        float *y = j->y + s * j->out_count;
        for (int64_t r = 0; r < j->rows; r++) {
            float *yr = y + r * ow;
            int64_t src = row_source(g, r);
            if (src < 0) {
                for (int64_t o = 0; o < ow; o++)
                    yr[o] = g->value;
                continue;
            }
            const float *xr = x + src;
            for (int64_t o = 0; o < ow; o++)
                yr[o] = lm[o] < 0 ? g->value : xr[lm[o]];
        }
    }
}

void vn__pad_forward(const vn__pad_geom *g, const float *x, float *y)
{
    pad_job j = {.g = g, .x = x, .y = y, .in_count = 1, .out_count = 1};
    for (int a = 0; a < g->ndim; a++) {
        j.in_count *= g->in[a];
        j.out_count *= g->out[a];
    }
    j.rows = j.out_count / g->out[g->ndim - 1];
    vn__parallel_for(g->outer, (double)j.out_count, forward_samples, &j);
}

static void backward_samples(void *arg, int64_t begin, int64_t end)
{
    const pad_job *j = arg;
    const vn__pad_geom *g = j->g;
    const int last = g->ndim - 1;
    const int64_t ow = g->out[last];
    const int64_t *lm = g->map[last];
    for (int64_t s = begin; s < end; s++) {
        float *dx = j->dx + s * j->in_count;
        const float *dy = j->dy + s * j->out_count;
        memset(dx, 0, (size_t)j->in_count * sizeof(float));
        for (int64_t r = 0; r < j->rows; r++) {
            int64_t src = row_source(g, r);
            if (src < 0)
                continue;
            const float *dyr = dy + r * ow;
            float *dxr = dx + src;
            for (int64_t o = 0; o < ow; o++)
                if (lm[o] >= 0)
                    dxr[lm[o]] += dyr[o];
        }
    }
}

void vn__pad_backward(const vn__pad_geom *g, const float *dy, float *dx)
{
    pad_job j = {.g = g, .dy = dy, .dx = dx, .in_count = 1, .out_count = 1};
    for (int a = 0; a < g->ndim; a++) {
        j.in_count *= g->in[a];
        j.out_count *= g->out[a];
    }
    j.rows = j.out_count / g->out[g->ndim - 1];
    vn__parallel_for(g->outer, (double)(j.out_count + j.in_count), backward_samples, &j);
}
