/*
 * eltwise.c - element-wise kernels: the activations (one parameterised
 * kernel, the activation chosen once per call, outside the loop), their
 * derivatives, and add / multiply / copy.
 *
 * Derivative conventions follow PyTorch: relu'(0) = 0, leaky_relu'(0) =
 * slope; sigmoid and tanh differentiate through their output; GELU exact is
 * 0.5*x*(1 + erf(x/sqrt 2)), its tanh approximation
 * 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715 x^3))). Sigmoid is evaluated in
 * the form that cannot overflow (exp of a non-positive number).
 */
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

#define SQRT_HALF 0.70710678118654752440
#define INV_SQRT_2PI 0.39894228040143267794
#define SQRT_2_OVER_PI 0.79788456080286535588
#define GELU_C 0.044715

typedef struct elt_job {
    vn__act act;
    float param;
    const float *x, *y, *dy, *a, *b;
    float *out;
} elt_job;

static inline float sigmoid(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

VN_SIMD_CLONES static void forward_range(void *arg, int64_t begin, int64_t end)
{
    const elt_job *j = arg;
    const float *restrict x = j->x;
    float *restrict y = j->out;
    const float slope = j->param;
    switch (j->act) {
    case VN__ACT_RELU:
        for (int64_t i = begin; i < end; i++) {
            float v = x[i];
            y[i] = v > 0.0f ? v : 0.0f;
        }
        break;
    case VN__ACT_LEAKY_RELU:
        for (int64_t i = begin; i < end; i++) {
            float v = x[i];
            y[i] = v > 0.0f ? v : v * slope;
        }
        break;
    case VN__ACT_SIGMOID:
        for (int64_t i = begin; i < end; i++)
            y[i] = sigmoid(x[i]);
        break;
    case VN__ACT_TANH:
        for (int64_t i = begin; i < end; i++)
            y[i] = tanhf(x[i]);
        break;
    case VN__ACT_GELU:
        for (int64_t i = begin; i < end; i++) {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1.0 + erf(v * SQRT_HALF)));
        }
        break;
    case VN__ACT_GELU_TANH:
        for (int64_t i = begin; i < end; i++) {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1.0 + tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v))));
        }
        break;
    }
}

static double act_cost(vn__act act)
{
    return act == VN__ACT_RELU || act == VN__ACT_LEAKY_RELU ? 1.0 : 20.0;
}

void vn__act_forward(vn__act act, float param, const float *x, float *y, int64_t n)
{
    elt_job j = {.act = act, .param = param, .x = x, .out = y};
    vn__parallel_for(n, act_cost(act), forward_range, &j);
}

VN_SIMD_CLONES static void backward_range(void *arg, int64_t begin, int64_t end)
{
    const elt_job *j = arg;
    const float *restrict x = j->x, *restrict y = j->y, *restrict dy = j->dy;
    float *restrict dx = j->out;
    const float slope = j->param;
    switch (j->act) {
    /* both operands loaded unconditionally so the select vectorises */
    case VN__ACT_RELU:
        for (int64_t i = begin; i < end; i++) {
            float v = x[i], d = dy[i];
            dx[i] = v > 0.0f ? d : 0.0f;
        }
        break;
    case VN__ACT_LEAKY_RELU:
        for (int64_t i = begin; i < end; i++) {
            float v = x[i], d = dy[i];
            dx[i] = v > 0.0f ? d : d * slope;
        }
        break;
    case VN__ACT_SIGMOID:
        for (int64_t i = begin; i < end; i++)
            dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case VN__ACT_TANH:
        for (int64_t i = begin; i < end; i++)
            dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case VN__ACT_GELU:
        for (int64_t i = begin; i < end; i++) {
            double v = x[i];
            double cdf = 0.5 * (1.0 + erf(v * SQRT_HALF));
            double pdf = INV_SQRT_2PI * exp(-0.5 * v * v);
            dx[i] = (float)(dy[i] * (cdf + v * pdf));
        }
        break;
    case VN__ACT_GELU_TANH:
        for (int64_t i = begin; i < end; i++) {
            double v = x[i];
            double u = SQRT_2_OVER_PI * (v + GELU_C * v * v * v);
            double t = tanh(u);
            double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * v * v);
            dx[i] = (float)(dy[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du));
        }
        break;
    }
}

void vn__act_backward(vn__act act, float param, const float *x, const float *y, const float *dy,
                      float *dx, int64_t n)
{
    elt_job j = {.act = act, .param = param, .x = x, .y = y, .dy = dy, .out = dx};
    vn__parallel_for(n, act_cost(act), backward_range, &j);
}

VN_SIMD_CLONES static void add_range(void *arg, int64_t begin, int64_t end)
{
    const elt_job *j = arg;
    for (int64_t i = begin; i < end; i++)
        j->out[i] = j->a[i] + j->b[i];
}

void vn__add(const float *a, const float *b, float *y, int64_t n)
{
    elt_job j = {.a = a, .b = b, .out = y};
    vn__parallel_for(n, 1.0, add_range, &j);
}

VN_SIMD_CLONES static void mul_range(void *arg, int64_t begin, int64_t end)
{
    const elt_job *j = arg;
    for (int64_t i = begin; i < end; i++)
        j->out[i] = j->a[i] * j->b[i];
}

void vn__mul(const float *a, const float *b, float *y, int64_t n)
{
    elt_job j = {.a = a, .b = b, .out = y};
    vn__parallel_for(n, 1.0, mul_range, &j);
}

typedef struct mask_job {
    float *mask;
    int64_t per_sample;
    float p;
    uint64_t seed, a, b;
} mask_job;

static void mask_samples(void *arg, int64_t begin, int64_t end)
{
    const mask_job *j = arg;
    const float keep = 1.0f / (1.0f - j->p);
    for (int64_t s = begin; s < end; s++) {
        struct vn_rng rng;
        vn__rng_init(&rng, j->seed, vn__rng_stream(j->a, j->b, (uint64_t)s));
        float *m = j->mask + s * j->per_sample;
        for (int64_t i = 0; i < j->per_sample; i++)
            m[i] = vn_rng_uniform(&rng) < j->p ? 0.0f : keep;
    }
}

void vn__dropout_mask(float *mask, int64_t samples, int64_t per_sample, float p, uint64_t seed,
                      uint64_t a, uint64_t b)
{
    if (p >= 1.0f) {
        memset(mask, 0, (size_t)(samples * per_sample) * sizeof(float));
        return;
    }
    mask_job j = {mask, per_sample, p, seed, a, b};
    vn__parallel_for(samples, 10.0 * (double)per_sample, mask_samples, &j);
}

static void copy_range(void *arg, int64_t begin, int64_t end)
{
    const elt_job *j = arg;
    memcpy(j->out + begin, j->a + begin, (size_t)(end - begin) * sizeof(float));
}

void vn__copy(const float *x, float *y, int64_t n)
{
    if (x == y)
        return;
    elt_job j = {.a = x, .out = y};
    vn__parallel_for(n, 0.5, copy_range, &j);
}
