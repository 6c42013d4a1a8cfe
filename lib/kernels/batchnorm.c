/*
 * batchnorm.c - batch normalisation over the (N, H, W) axes of NCHW data,
 * viewed as [n, c, p] with p = H*W.
 *
 * Training normalises with the batch mean and the biased variance
 * var = sum((x - mean)^2) / M, M = n*p, computed in two passes in double (a
 * one-pass E[x^2] - E[x]^2 cancels badly when |mean| >> std). The backward
 * through the batch statistics is
 *
 *   dx = gamma * invstd / M * (M*dy - sum(dy) - xhat * sum(dy * xhat)),
 *
 * with xhat = (x - mean) * invstd; with constant statistics (eval, or a
 * frozen layer) it is dy * gamma * invstd. dgamma = sum(dy * xhat),
 * dbeta = sum(dy). Parallel over channels.
 */
#include "kernels/kernels.h"

#include <math.h>

typedef struct bn_job {
    const float *x, *dy, *gamma, *beta, *mean_in, *invstd_in;
    float *y, *dx, *mean, *var, *invstd, *dgamma, *dbeta;
    int64_t n, c, p;
    float eps;
    bool batch_stats;
} bn_job;

static void normalise(const bn_job *j, int64_t ch, float mean, float invstd)
{
    float g = j->gamma ? j->gamma[ch] : 1.0f;
    float b = j->beta ? j->beta[ch] : 0.0f;
    float scale = g * invstd, shift = b - mean * scale;
    for (int64_t s = 0; s < j->n; s++) {
        const float *x = j->x + (s * j->c + ch) * j->p;
        float *y = j->y + (s * j->c + ch) * j->p;
        for (int64_t i = 0; i < j->p; i++)
            y[i] = x[i] * scale + shift;
    }
}

VN_SIMD_CLONES static void train_channels(void *arg, int64_t begin, int64_t end)
{
    const bn_job *j = arg;
    const double M = (double)(j->n * j->p);
    for (int64_t ch = begin; ch < end; ch++) {
        double sum = 0.0;
        for (int64_t s = 0; s < j->n; s++) {
            const float *x = j->x + (s * j->c + ch) * j->p;
            for (int64_t i = 0; i < j->p; i++)
                sum += x[i];
        }
        double mean = sum / M;
        double sq = 0.0;
        for (int64_t s = 0; s < j->n; s++) {
            const float *x = j->x + (s * j->c + ch) * j->p;
            for (int64_t i = 0; i < j->p; i++) {
                double d = x[i] - mean;
                sq += d * d;
            }
        }
        double var = sq / M;
        double invstd = 1.0 / sqrt(var + j->eps);
        j->mean[ch] = (float)mean;
        j->var[ch] = (float)var;
        j->invstd[ch] = (float)invstd;
        normalise(j, ch, (float)mean, (float)invstd);
    }
}

void vn__bn_forward_train(const float *x, int64_t n, int64_t c, int64_t p, const float *gamma,
                          const float *beta, float eps, float *y, float *mean, float *var,
                          float *invstd)
{
    bn_job j = {.x = x, .gamma = gamma, .beta = beta, .y = y, .mean = mean, .var = var,
                .invstd = invstd, .n = n, .c = c, .p = p, .eps = eps};
    vn__parallel_for(c, 6.0 * (double)(n * p), train_channels, &j);
}

VN_SIMD_CLONES static void stats_channels(void *arg, int64_t begin, int64_t end)
{
    const bn_job *j = arg;
    for (int64_t ch = begin; ch < end; ch++)
        normalise(j, ch, j->mean_in[ch], j->invstd_in[ch]);
}

void vn__bn_forward_stats(const float *x, int64_t n, int64_t c, int64_t p, const float *gamma,
                          const float *beta, const float *mean, const float *invstd, float *y)
{
    bn_job j = {.x = x, .gamma = gamma, .beta = beta, .mean_in = mean, .invstd_in = invstd,
                .y = y, .n = n, .c = c, .p = p};
    vn__parallel_for(c, 2.0 * (double)(n * p), stats_channels, &j);
}

VN_SIMD_CLONES static void backward_channels(void *arg, int64_t begin, int64_t end)
{
    const bn_job *j = arg;
    const double M = (double)(j->n * j->p);
    for (int64_t ch = begin; ch < end; ch++) {
        const double mean = j->mean_in[ch], invstd = j->invstd_in[ch];
        const double g = j->gamma ? j->gamma[ch] : 1.0;
        double sdy = 0.0, sdyx = 0.0;
        for (int64_t s = 0; s < j->n; s++) {
            const float *x = j->x + (s * j->c + ch) * j->p;
            const float *dy = j->dy + (s * j->c + ch) * j->p;
            for (int64_t i = 0; i < j->p; i++) {
                sdy += dy[i];
                sdyx += dy[i] * ((x[i] - mean) * invstd);
            }
        }
        if (j->dgamma)
            j->dgamma[ch] += (float)sdyx;
        if (j->dbeta)
            j->dbeta[ch] += (float)sdy;
        if (!j->dx)
            continue;
        for (int64_t s = 0; s < j->n; s++) {
            const float *x = j->x + (s * j->c + ch) * j->p;
            const float *dy = j->dy + (s * j->c + ch) * j->p;
            float *dx = j->dx + (s * j->c + ch) * j->p;
            if (j->batch_stats) {
                /* dx = k * (dy - a - xhat * b) */
                const float k = (float)(g * invstd);
                const float a = (float)(sdy / M), b = (float)(sdyx / M);
                const float fm = (float)mean, fi = (float)invstd;
                for (int64_t i = 0; i < j->p; i++)
                    dx[i] = k * (dy[i] - a - (x[i] - fm) * fi * b);
            } else {
                const float k = (float)(g * invstd);
                for (int64_t i = 0; i < j->p; i++)
                    dx[i] = dy[i] * k;
            }
        }
    }
}

void vn__bn_backward(const float *x, const float *dy, int64_t n, int64_t c, int64_t p,
                     const float *gamma, const float *mean, const float *invstd, bool batch_stats,
                     float *dx, float *dgamma, float *dbeta)
{
    bn_job j = {.x = x, .dy = dy, .gamma = gamma, .mean_in = mean, .invstd_in = invstd, .dx = dx,
                .dgamma = dgamma, .dbeta = dbeta, .n = n, .c = c, .p = p,
                .batch_stats = batch_stats};
    vn__parallel_for(c, 8.0 * (double)(n * p), backward_channels, &j);
}
