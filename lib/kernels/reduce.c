/*
 * reduce.c - reductions over the axes of an [outer, mid, inner] view:
 * per-channel sums (bias gradients), bias broadcast, and softmax /
 * log-softmax over the middle axis (the class axis of [N, K] logits, the
 * channel axis of NCHW maps).
 *
 * Sums are accumulated in double: a bias gradient sums N*H*W values
 * (200,000 for a batch of 64 at 56x56), where a float accumulator would
 * lose the 1e-4 relative accuracy PyTorch's reference keeps.
 */
#include "kernels/kernels.h"

#include <math.h>

typedef struct reduce_job {
    const float *x, *dy;
    float *y, *dx, *out;
    const float *bias;
    int64_t outer, mid, inner;
    bool log;
} reduce_job;

/* Sum of n floats: eight float lanes over runs of at most 256 values (the
 * compiler vectorises the lanes without reassociating), runs added in
 * double. */
static inline __attribute__((always_inline)) double
sum_floats(const float *restrict p, int64_t n)
{
    double acc = 0.0;
    for (int64_t i0 = 0; i0 < n; i0 += 256) {
        int64_t i1 = VN_MIN(n, i0 + 256), i = i0;
        float lane[8] = {0};
        for (; i + 8 <= i1; i += 8)
            for (int l = 0; l < 8; l++)
                lane[l] += p[i + l];
        float tail = 0.0f;
        for (; i < i1; i++)
            tail += p[i];
        acc += (double)((lane[0] + lane[1]) + (lane[2] + lane[3])) +
               (double)((lane[4] + lane[5]) + (lane[6] + lane[7])) + (double)tail;
    }
    return acc;
}

VN_SIMD_CLONES static void sum_mid(void *arg, int64_t begin, int64_t end)
{
    const reduce_job *j = arg;
    for (int64_t m = begin; m < end; m++) {
        double acc = 0.0;
        for (int64_t o = 0; o < j->outer; o++)
            acc += sum_floats(j->x + (o * j->mid + m) * j->inner, j->inner);
        j->out[m] += (float)acc;
    }
}

void vn__sum_outer_inner(const float *x, int64_t outer, int64_t mid, int64_t inner, float *out)
{
    reduce_job j = {.x = x, .out = out, .outer = outer, .mid = mid, .inner = inner};
    vn__parallel_for(mid, (double)(outer * inner), sum_mid, &j);
}

VN_SIMD_CLONES static void bias_rows(void *arg, int64_t begin, int64_t end)
{
    const reduce_job *j = arg;
    for (int64_t r = begin; r < end; r++) {
        float b = j->bias[r % j->mid];
        float *p = j->y + r * j->inner;
        for (int64_t i = 0; i < j->inner; i++)
            p[i] += b;
    }
}

void vn__add_bias(float *y, int64_t outer, int64_t mid, int64_t inner, const float *bias)
{
    reduce_job j = {.y = y, .bias = bias, .outer = outer, .mid = mid, .inner = inner};
    vn__parallel_for(outer * mid, (double)inner, bias_rows, &j);
}

/* Softmax over the mid axis at each (outer, inner) position; rows are
 * (outer) slices, the inner positions are walked together so the memory is
 * read in order. */
static void softmax_rows(void *arg, int64_t begin, int64_t end)
{
    const reduce_job *j = arg;
    const int64_t M = j->mid, I = j->inner;
    for (int64_t o = begin; o < end; o++) {
        const float *x = j->x + o * M * I;
        float *y = j->y + o * M * I;
        for (int64_t i = 0; i < I; i++) {
            float mx = x[i];
            for (int64_t m = 1; m < M; m++)
                mx = VN_MAX(mx, x[m * I + i]);
            double sum = 0.0;
            for (int64_t m = 0; m < M; m++)
                sum += exp((double)x[m * I + i] - mx);
            if (j->log) {
                double lse = log(sum);
                for (int64_t m = 0; m < M; m++)
                    y[m * I + i] = (float)((double)x[m * I + i] - mx - lse);
            } else {
                for (int64_t m = 0; m < M; m++)
                    y[m * I + i] = (float)(exp((double)x[m * I + i] - mx) / sum);
            }
        }
    }
}

void vn__softmax_forward(const float *x, float *y, int64_t outer, int64_t mid, int64_t inner,
                         bool log)
{
    reduce_job j = {.x = x, .y = y, .outer = outer, .mid = mid, .inner = inner, .log = log};
    vn__parallel_for(outer, 30.0 * (double)(mid * inner), softmax_rows, &j);
}

static void softmax_back_rows(void *arg, int64_t begin, int64_t end)
{
    const reduce_job *j = arg;
    const int64_t M = j->mid, I = j->inner;
    for (int64_t o = begin; o < end; o++) {
        const float *y = j->y + o * M * I;
        const float *dy = j->dy + o * M * I;
        float *dx = j->dx + o * M * I;
        for (int64_t i = 0; i < I; i++) {
            double s = 0.0;
            if (j->log) {
                for (int64_t m = 0; m < M; m++)
                    s += dy[m * I + i];
                for (int64_t m = 0; m < M; m++)
                    dx[m * I + i] = (float)(dy[m * I + i] - exp((double)y[m * I + i]) * s);
            } else {
                for (int64_t m = 0; m < M; m++)
                    s += (double)dy[m * I + i] * y[m * I + i];
                for (int64_t m = 0; m < M; m++)
                    dx[m * I + i] = (float)(y[m * I + i] * (dy[m * I + i] - s));
            }
        }
    }
}

void vn__softmax_backward(const float *y, const float *dy, float *dx, int64_t outer, int64_t mid,
                          int64_t inner, bool log)
{
    reduce_job j = {.y = (float *)y, .dy = dy, .dx = dx, .outer = outer, .mid = mid,
                    .inner = inner, .log = log};
    vn__parallel_for(outer, 10.0 * (double)(mid * inner), softmax_back_rows, &j);
}
