/*
 * optim_adam.c - Adam (torch.optim.Adam) and AdamW (torch.optim.AdamW):
 * one kernel, the weight decay either coupled (added to the gradient, Adam's
 * L2 penalty) or decoupled (AdamW, Loshchilov & Hutter 2019).
 *
 * At a parameter's t-th update (t counts from 1 and includes updates made
 * before a save / load):
 *
 *     AdamW only:  p = p * (1 - lr * weight_decay)
 *     g = grad + weight_decay * p    (Adam only; AdamW uses g = grad)
 *     m = beta1 * m + (1 - beta1) * g                 state "exp_avg"
 *     v = beta2 * v + (1 - beta2) * g^2               state "exp_avg_sq"
 *     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * eps is added AFTER bias-correcting sqrt(v), as PyTorch does (with tiny
 * gradients the two placements differ visibly). m and v start at zero; t is
 * the state "step", an f32 scalar as in PyTorch's state dict. The bias
 * corrections are computed in double once per parameter, then the kernel
 * runs in float as PyTorch's does.
 */
#include "train/train_internal.h"

#include <math.h>
#include <stddef.h>

static int adam_state_count(const vn__optim_hparams *h)
{
    (void)h;
    return 2;
}

static vn_status check_common(const char *what, const vn__optim_hparams *h)
{
    if (!(h->lr >= 0.0) || !isfinite(h->lr))
        return vn__error(VN_ERR_INVALID_ARG, "%s: lr=%g must be finite and >= 0", what, h->lr);
    if (!(h->beta1 >= 0.0 && h->beta1 < 1.0))
        return vn__error(VN_ERR_INVALID_ARG, "%s: beta1=%g must be in [0, 1)", what, h->beta1);
    if (!(h->beta2 >= 0.0 && h->beta2 < 1.0))
        return vn__error(VN_ERR_INVALID_ARG, "%s: beta2=%g must be in [0, 1)", what, h->beta2);
    if (!(h->eps >= 0.0) || !isfinite(h->eps))
        return vn__error(VN_ERR_INVALID_ARG, "%s: eps=%g must be finite and >= 0", what, h->eps);
    if (!(h->weight_decay >= 0.0) || !isfinite(h->weight_decay))
        return vn__error(VN_ERR_INVALID_ARG, "%s: weight_decay=%g must be finite and >= 0", what,
                         h->weight_decay);
    return VN_OK;
}

static vn_status adam_check(const vn__optim_hparams *h)
{
    return check_common("optimizer 'adam'", h);
}

static vn_status adamw_check(const vn__optim_hparams *h)
{
    return check_common("optimizer 'adamw'", h);
}

static void adam_kernel(const vn__optim_hparams *h, double lr, int64_t step, bool decoupled,
                        float *p, const float *grad, float *const *state, size_t n)
{
    float *m = state[0], *v = state[1];
    const double t = (double)step;
    const float b1 = (float)h->beta1, b2 = (float)h->beta2, eps = (float)h->eps;
    const float one_b1 = (float)(1.0 - h->beta1), one_b2 = (float)(1.0 - h->beta2);
    const float step_size = (float)(lr / (1.0 - pow(h->beta1, t)));
    const float bc2_sqrt = (float)sqrt(1.0 - pow(h->beta2, t));
    const float coupled_wd = decoupled ? 0.0f : (float)h->weight_decay;
    const float shrink = (float)(1.0 - lr * h->weight_decay);
    for (size_t i = 0; i < n; i++) {
        float pi = p[i];
        if (decoupled)
            pi *= shrink;
        float g = grad[i];
        if (coupled_wd != 0.0f)
            g += coupled_wd * pi;
        m[i] = b1 * m[i] + one_b1 * g;
        v[i] = b2 * v[i] + one_b2 * g * g;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] = pi - step_size * m[i] / denom;
    }
}

static void adam_update(const vn__optim_hparams *h, double lr, int64_t step, bool fresh, float *p,
                        const float *g, float *const *state, size_t n)
{
    (void)fresh; /* zero-filled moments are the fresh state */
    adam_kernel(h, lr, step, false, p, g, state, n);
}

static void adamw_update(const vn__optim_hparams *h, double lr, int64_t step, bool fresh, float *p,
                         const float *g, float *const *state, size_t n)
{
    (void)fresh;
    adam_kernel(h, lr, step, true, p, g, state, n);
}

static const vn__optim_key adam_keys[] = {
    {"lr", offsetof(vn__optim_hparams, lr), false},
    {"beta1", offsetof(vn__optim_hparams, beta1), false},
    {"beta2", offsetof(vn__optim_hparams, beta2), false},
    {"eps", offsetof(vn__optim_hparams, eps), false},
    {"weight_decay", offsetof(vn__optim_hparams, weight_decay), false},
    {NULL, 0, false},
};

const vn__optim_algo vn__optim_adam = {
    .kind = VN_OPTIMIZER_ADAM,
    .name = "adam",
    .keys = adam_keys,
    .defaults = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.0},
    .has_betas = true,
    .exports_step = true,
    .state_names = {"exp_avg", "exp_avg_sq"},
    .state_count = adam_state_count,
    .check = adam_check,
    .update = adam_update,
};

const vn__optim_algo vn__optim_adamw = {
    .kind = VN_OPTIMIZER_ADAMW,
    .name = "adamw",
    .keys = adam_keys,
    .defaults = {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-2},
    .has_betas = true,
    .exports_step = true,
    .state_names = {"exp_avg", "exp_avg_sq"},
    .state_count = adam_state_count,
    .check = adamw_check,
    .update = adamw_update,
};

static vn_status create(const vn__optim_algo *algo, const vn_adam_options *defaults,
                        const vn_adam_options *opts, vn_optimizer **out)
{
    vn_adam_options o = *defaults;
    if (opts) {
        if (opts->size < sizeof o)
            return vn__error(VN_ERR_INVALID_ARG,
                             "optimizer '%s': opts->size is %zu, expected %zu "
                             "(set it to sizeof(vn_adam_options))", algo->name, opts->size,
                             sizeof o);
        o = *opts;
    }
    vn__optim_hparams h = {.lr = o.lr, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.eps,
                           .weight_decay = o.weight_decay};
    return vn__optimizer_new(algo, &h, out);
}

VN_API vn_status vn_optimizer_create_adam(const vn_adam_options *opts, vn_optimizer **out)
{
    static const vn_adam_options d = VN_ADAM_OPTIONS_INIT;
    return create(&vn__optim_adam, &d, opts, out);
}

VN_API vn_status vn_optimizer_create_adamw(const vn_adam_options *opts, vn_optimizer **out)
{
    static const vn_adam_options d = VN_ADAMW_OPTIONS_INIT;
    return create(&vn__optim_adamw, &d, opts, out);
}
