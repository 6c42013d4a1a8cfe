/*
 * loss_mse.c - mean squared error (PyTorch's F.mse_loss, reduction='mean').
 *
 *     loss  = (1/M) * sum_i (pred_i - target_i)^2      M = number of elements
 *     dpred = 2 * (pred - target) / M
 *
 * Any shape, as long as pred and target agree. The sum runs in double and is
 * rounded once to float.
 */
#include "train/train_internal.h"

VN_API vn_status vn_loss_mse(const vn_tensor *pred, const vn_tensor *target, float *loss,
                             vn_tensor *dpred)
{
    const char *what = "mse";
    if (!loss)
        return vn__error(VN_ERR_INVALID_ARG, "%s: loss is NULL", what);
    VN_TRY(vn__loss_check_pair(what, pred, "pred", target, "target"));
    VN_TRY(vn__loss_check_grad(what, dpred, "dpred", pred, target));

    const size_t m = pred->numel;
    const float *p = pred->data, *t = target->data;
    float *d = dpred ? dpred->data : NULL;
    const double scale = 2.0 / (double)m;
    double total = 0.0;
    for (size_t i = 0; i < m; i++) {
        double diff = (double)p[i] - (double)t[i];
        total += diff * diff;
        if (d)
            d[i] = (float)(scale * diff);
    }
    *loss = (float)(total / (double)m);
    return VN_OK;
}
