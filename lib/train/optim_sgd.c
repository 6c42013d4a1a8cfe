/*
 * optim_sgd.c - stochastic gradient descent with momentum, dampening,
 * Nesterov momentum and L2 weight decay, exactly as torch.optim.SGD.
 *
 * For a parameter p with gradient grad, at every update:
 *
 *     g   = grad + weight_decay * p                 (decay BEFORE the momentum)
 *     buf = g                                       on the first update (a copy,
 *                                                   no dampening)
 *     buf = momentum * buf + (1 - dampening) * g    afterwards
 *     d   = g + momentum * buf   if nesterov,  else  d = buf
 *     p   = p - lr * d
 *
 * With momentum 0 there is no buffer and d = g. The buffer is the state
 * "momentum_buffer" (PyTorch's name); "the first update" means the
 * parameter has no buffer yet, so a buffer loaded with
 * vn_optimizer_set_state() continues where the saved run stopped.
 */
#include "train/train_internal.h"

#include <math.h>
#include <stddef.h>

static int sgd_state_count(const vn__optim_hparams *h)
{
    return h->momentum != 0.0 ? 1 : 0;
}

static vn_status sgd_check(const vn__optim_hparams *h)
{
    const char *what = "optimizer 'sgd'";
    if (!(h->lr >= 0.0) || !isfinite(h->lr))
        return vn__error(VN_ERR_INVALID_ARG, "%s: lr=%g must be finite and >= 0", what, h->lr);
    if (!(h->momentum >= 0.0) || !isfinite(h->momentum))
        return vn__error(VN_ERR_INVALID_ARG, "%s: momentum=%g must be finite and >= 0", what,
                         h->momentum);
    if (!isfinite(h->dampening))
        return vn__error(VN_ERR_INVALID_ARG, "%s: dampening=%g must be finite", what, h->dampening);
    if (!(h->weight_decay >= 0.0) || !isfinite(h->weight_decay))
        return vn__error(VN_ERR_INVALID_ARG, "%s: weight_decay=%g must be finite and >= 0", what,
                         h->weight_decay);
    if (h->nesterov != 0 && h->nesterov != 1)
        return vn__error(VN_ERR_INVALID_ARG, "%s: nesterov=%d must be 0 or 1", what, h->nesterov);
    if (h->nesterov && (h->momentum <= 0.0 || h->dampening != 0.0))
        return vn__error(VN_ERR_INVALID_ARG,
                         "%s: nesterov=1 needs momentum > 0 and dampening=0 (momentum=%g, dampening=%g)",
                         what, h->momentum, h->dampening);
    return VN_OK;
}

/* PyTorch's float32 arithmetic: every scalar factor rounded to float once. */
static void sgd_update(const vn__optim_hparams *h, double lr, int64_t step, bool fresh, float *p,
                       const float *grad, float *const *state, size_t n)
{
    (void)step;
    const float wd = (float)h->weight_decay, mom = (float)h->momentum;
    const float keep = (float)(1.0 - h->dampening), rate = (float)lr;
    const bool has_momentum = h->momentum != 0.0, nesterov = h->nesterov != 0;
    float *buf = state[0];
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (wd != 0.0f)
            g += wd * p[i];
        float d = g;
        if (has_momentum) {
            buf[i] = fresh ? g : mom * buf[i] + keep * g;
            d = nesterov ? g + mom * buf[i] : buf[i];
        }
        p[i] -= rate * d;
    }
}

static const vn__optim_key sgd_keys[] = {
    {"lr", offsetof(vn__optim_hparams, lr), false},
    {"momentum", offsetof(vn__optim_hparams, momentum), false},
    {"dampening", offsetof(vn__optim_hparams, dampening), false},
    {"weight_decay", offsetof(vn__optim_hparams, weight_decay), false},
    {"nesterov", offsetof(vn__optim_hparams, nesterov), true},
    {NULL, 0, false},
};

const vn__optim_algo vn__optim_sgd = {
    .kind = VN_OPTIMIZER_SGD,
    .name = "sgd",
    .keys = sgd_keys,
    .defaults = {.lr = 0.01},
    .has_betas = false,
    .exports_step = false,
    .state_names = {"momentum_buffer", NULL},
    .state_count = sgd_state_count,
    .check = sgd_check,
    .update = sgd_update,
};

VN_API vn_status vn_optimizer_create_sgd(const vn_sgd_options *opts, vn_optimizer **out)
{
    vn_sgd_options o = VN_SGD_OPTIONS_INIT;
    if (opts) {
        if (opts->size < sizeof o)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_optimizer_create_sgd: opts->size is %zu, expected %zu "
                             "(set it to sizeof(vn_sgd_options))", opts->size, sizeof o);
        o = *opts;
    }
    vn__optim_hparams h = {.lr = o.lr, .momentum = o.momentum, .dampening = o.dampening,
                           .weight_decay = o.weight_decay, .nesterov = o.nesterov};
    return vn__optimizer_new(&vn__optim_sgd, &h, out);
}
