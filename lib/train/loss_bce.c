/*
 * loss_bce.c - binary cross-entropy on logits (PyTorch's
 * F.binary_cross_entropy_with_logits, reduction='mean').
 *
 * For a logit x and a target probability t in [0, 1] the loss is
 * -t*log(sigmoid(x)) - (1-t)*log(1-sigmoid(x)). Written naively it takes
 * log(0) = -inf once sigmoid saturates (x = +-40 in float); the stable form
 * PyTorch uses is algebraically the same:
 *
 *     l(x, t) = max(x, 0) - x*t + log1p(exp(-|x|))
 *     loss    = (1/M) * sum l                           M = number of elements
 *     dx      = (sigmoid(x) - t) / M
 *
 * with sigmoid evaluated as 1/(1+exp(-x)) for x >= 0 and exp(x)/(1+exp(x))
 * below, so exp never overflows. Targets are used as given (soft labels are
 * fine). The sum runs in double and is rounded once to float.
 */
#include "train/train_internal.h"

#include <math.h>

static double stable_sigmoid(double x)
{
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

VN_API vn_status vn_loss_bce_with_logits(const vn_tensor *logits, const vn_tensor *target,
                                         float *loss, vn_tensor *dlogits)
{
    const char *what = "bce_with_logits";
    if (!loss)
        return vn__error(VN_ERR_INVALID_ARG, "%s: loss is NULL", what);
    VN_TRY(vn__loss_check_pair(what, logits, "logits", target, "target"));
    VN_TRY(vn__loss_check_grad(what, dlogits, "dlogits", logits, target));

    const size_t m = logits->numel;
    const float *x = logits->data, *t = target->data;
    float *d = dlogits ? dlogits->data : NULL;
    double total = 0.0;
    for (size_t i = 0; i < m; i++) {
        double xi = x[i], ti = t[i];
        total += (xi > 0.0 ? xi : 0.0) - xi * ti + log1p(exp(-fabs(xi)));
        if (d)
            d[i] = (float)((stable_sigmoid(xi) - ti) / (double)m);
    }
    *loss = (float)(total / (double)m);
    return VN_OK;
}
