/*
 * batch_norm2d.c - batch normalisation over (N, H, W) per channel, PyTorch
 * nn.BatchNorm2d (affine, track_running_stats).
 *
 * Training: normalise with the batch mean and the biased variance; update
 * running_mean = (1-m)*running_mean + m*mean and running_var =
 * (1-m)*running_var + m*var*M/(M-1) (the unbiased variance, M = N*H*W
 * values per channel); m is PyTorch's momentum (weight of the NEW
 * statistic, 0.1 by default). Inference, or a frozen (non-trainable) node
 * in either mode: normalise with the running statistics, which are not
 * updated.
 *
 * Attributes: eps (1e-5), momentum (0.1).
 * Parameters: weight (gamma, 1) and bias (beta, 0) [C]; buffers
 * running_mean (0) and running_var (1) [C]. PyTorch's num_batches_tracked
 * counter is not kept (it only matters for momentum=None).
 */
#include "nn/layers/layers.h"

#include <math.h>

typedef struct batch_norm {
    vn__layer base;
    double eps, momentum;
    int64_t c;
    float *mean, *var, *invstd;   /* [c] each: statistics of the last forward */
    bool batch_stats;              /* the last forward used batch statistics */
} batch_norm;

enum { GAMMA = 0, BETA = 1, RUNNING_MEAN = 2, RUNNING_VAR = 3 };

static vn_status bn_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const batch_norm *b = (const batch_norm *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(l->who, &in[0]));
    if (b->c && in[0].d[0] != b->c)
        return vn__error(VN_ERR_SHAPE, "%s: input has %lld channels, layer expects %lld", l->who,
                         (long long)in[0].d[0], (long long)b->c);
    *out = in[0];
    return VN_OK;
}

static vn_status bn_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)nin;
    batch_norm *b = (batch_norm *)l;
    const vn_tensor *x = in[0];
    int64_t n = x->shape[0], p = x->shape[2] * x->shape[3];
    const float *gamma = vn__cf32(l->params[GAMMA].value), *beta = vn__cf32(l->params[BETA].value);
    float *rm = vn__f32(l->params[RUNNING_MEAN].value), *rv = vn__f32(l->params[RUNNING_VAR].value);
    b->batch_stats = run->training && !run->frozen;
    if (!b->batch_stats) {
        for (int64_t ch = 0; ch < b->c; ch++) {
            b->mean[ch] = rm[ch];
            b->invstd[ch] = (float)(1.0 / sqrt((double)rv[ch] + b->eps));
        }
        vn__bn_forward_stats(vn__cf32(x), n, b->c, p, gamma, beta, b->mean, b->invstd,
                             vn__f32(out));
        return VN_OK;
    }
    int64_t M = n * p;
    if (M < 2)
        return vn__error(VN_ERR_SHAPE,
                         "%s: training needs more than one value per channel (batch %lld of "
                         "%lldx%lld maps)",
                         l->who, (long long)n, (long long)x->shape[2], (long long)x->shape[3]);
    vn__bn_forward_train(vn__cf32(x), n, b->c, p, gamma, beta, (float)b->eps, vn__f32(out),
                         b->mean, b->var, b->invstd);
    const double m = b->momentum, unbias = (double)M / (double)(M - 1);
    for (int64_t ch = 0; ch < b->c; ch++) {
        rm[ch] = (float)((1.0 - m) * rm[ch] + m * b->mean[ch]);
        rv[ch] = (float)((1.0 - m) * rv[ch] + m * b->var[ch] * unbias);
    }
    return VN_OK;
}

static vn_status bn_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)out;
    batch_norm *b = (batch_norm *)l;
    const vn_tensor *x = in[0];
    vn__bn_backward(vn__cf32(x), vn__cf32(dout), x->shape[0], b->c, x->shape[2] * x->shape[3],
                    vn__cf32(l->params[GAMMA].value), b->mean, b->invstd, b->batch_stats,
                    din[0] ? vn__f32(din[0]) : NULL,
                    param_grads ? vn__f32(l->params[GAMMA].grad) : NULL,
                    param_grads ? vn__f32(l->params[BETA].grad) : NULL);
    return VN_OK;
}

static void bn_init(vn__layer *l, vn_rng *rng)
{
    (void)rng;
    vn__fill_value(l->params[GAMMA].value, 1.0f);
    vn__fill_value(l->params[BETA].value, 0.0f);
    vn__fill_value(l->params[RUNNING_MEAN].value, 0.0f);
    vn__fill_value(l->params[RUNNING_VAR].value, 1.0f);
}

static void bn_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const batch_norm *b = (const batch_norm *)l;
    vn__strbuf_double(sb, "eps", b->eps);
    vn__strbuf_double(sb, "momentum", b->momentum);
}

static int64_t bn_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)l;
    (void)nin;
    (void)in;
    return 2 * vn__shape_count(out);
}

static void bn_destroy(vn__layer *l)
{
    batch_norm *b = (batch_norm *)l;
    vn__free(b->mean);
    vn__free(b->var);
    vn__free(b->invstd);
}

static const vn__layer_ops batch_norm2d_ops = {
    .type = "batch_norm2d",
    .output_shape = bn_shape,
    .forward = bn_forward,
    .backward = bn_backward,
    .init = bn_init,
    .attrs = bn_attrs,
    .flops = bn_flops,
    .destroy = bn_destroy,
};

bool vn__batch_norm2d_batch_stats(const vn__layer *l, const float **mean, const float **var)
{
    if (l->ops != &batch_norm2d_ops)
        return false;
    const batch_norm *b = (const batch_norm *)l;
    *mean = b->mean;
    *var = b->var;
    return true;
}

vn_status vn__batch_norm2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    batch_norm *b = (batch_norm *)vn__layer_alloc(sizeof *b, &batch_norm2d_ops, a->who);
    if (!b)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = vn__attr_float(a, "eps", 1e-5, 1e-30, 1.0, &b->eps);
    if (s == VN_OK)
        s = vn__attr_float(a, "momentum", 0.1, 0.0, 1.0, &b->momentum);
    if (s == VN_OK)
        s = bn_shape(&b->base, nin, in, &os);
    if (s == VN_OK) {
        b->c = in[0].d[0];
        int64_t cs[1] = {b->c};
        s = vn__layer_add_param(&b->base, "weight", 1, cs, false);
        if (s == VN_OK)
            s = vn__layer_add_param(&b->base, "bias", 1, cs, false);
        if (s == VN_OK)
            s = vn__layer_add_param(&b->base, "running_mean", 1, cs, true);
        if (s == VN_OK)
            s = vn__layer_add_param(&b->base, "running_var", 1, cs, true);
    }
    if (s == VN_OK) {
        b->mean = vn__calloc((size_t)b->c, sizeof(float));
        b->var = vn__calloc((size_t)b->c, sizeof(float));
        b->invstd = vn__calloc((size_t)b->c, sizeof(float));
        if (!b->mean || !b->var || !b->invstd)
            s = vn__error(VN_ERR_NOMEM, "%s: out of memory", a->who);
    }
    if (s != VN_OK) {
        vn__layer_destroy(&b->base);
        return s;
    }
    *out = &b->base;
    return VN_OK;
}
