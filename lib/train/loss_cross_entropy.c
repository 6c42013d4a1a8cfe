/*
 * loss_cross_entropy.c - softmax cross-entropy with label smoothing, on
 * class indices or on class probabilities (PyTorch's F.cross_entropy with
 * reduction='mean').
 *
 * For logits z [N, K] and a target distribution q per sample,
 *
 *     logp[n,k] = z[n,k] - max_j z[n,j] - log(sum_j exp(z[n,j] - max_j z[n,j]))
 *     loss      = (1/N) * sum_n -sum_k q[n,k] * logp[n,k]
 *     dz[n,k]   = (softmax(z)[n,k] * sum_j q[n,j] - q[n,k]) / N
 *
 * q[n,k] = (1-eps)*t[n,k] + eps/K, where t is the one-hot row of the label
 * (then sum_j q = 1 and dz = (softmax - q)/N) or the given probability row
 * (mixup / cutmix targets, used as given, like PyTorch: a row that does not
 * sum to 1 is not renormalised and dz is the exact gradient of that loss).
 *
 * Stability: subtracting the row maximum makes every exponent <= 0, so no
 * exp overflows, and logp is formed from differences rather than as
 * log(softmax), which would give log(0) = -inf for a class far below the
 * maximum. Sums run in double; the result is rounded once to float.
 */
#include "train/train_internal.h"

#include <math.h>

/* The checks of the targets: class indices in range, or probabilities of
 * the logits' shape. */
static vn_status check_targets(const vn_tensor *logits, const vn_tensor *targets)
{
    const char *what = "cross_entropy";
    int64_t n = logits->shape[0], k = logits->shape[1];
    char sl[96], st[96];
    vn__shape_str(logits, sl, sizeof sl);
    vn__shape_str(targets, st, sizeof st);
    if (targets->dtype == VN_I32) {
        if (targets->ndim != 1 || targets->shape[0] != n)
            return vn__error(VN_ERR_SHAPE,
                             "%s: logits are %s but the labels are i32 %s, expected [%lld]", what,
                             sl, st, (long long)n);
        const int32_t *lab = targets->data;
        for (int64_t i = 0; i < n; i++)
            if (lab[i] < 0 || lab[i] >= k)
                return vn__error(VN_ERR_INVALID_ARG,
                                 "%s: label %d of sample %lld is outside 0..%lld",
                                 what, (int)lab[i], (long long)i, (long long)(k - 1));
        return VN_OK;
    }
    if (targets->dtype == VN_F32) {
        if (!vn__tensor_same_shape(targets, logits))
            return vn__error(VN_ERR_SHAPE,
                             "%s: logits are %s but the target probabilities are %s", what, sl,
                             st);
        return VN_OK;
    }
    return vn__error(VN_ERR_SHAPE,
                     "%s: targets are %s %s; expected i32 [N] class indices or f32 [N, K] "
                     "probabilities", what, vn_dtype_name(targets->dtype), st);
}

VN_API vn_status vn_loss_cross_entropy(const vn_tensor *logits, const vn_tensor *targets,
                                       float label_smoothing, float *loss, vn_tensor *dlogits)
{
    const char *what = "cross_entropy";
    if (!logits || !targets || !loss)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s is NULL", what,
                         !logits ? "logits" : !targets ? "targets" : "loss");
    char sl[96];
    if (logits->dtype != VN_F32 || logits->ndim != 2)
        return vn__error(VN_ERR_SHAPE, "%s: logits are %s %s, expected f32 [N, K]", what,
                         vn_dtype_name(logits->dtype), vn__shape_str(logits, sl, sizeof sl));
    if (logits->numel == 0)
        return vn__error(VN_ERR_SHAPE, "%s: logits are empty (%s)", what,
                         vn__shape_str(logits, sl, sizeof sl));
    if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f))
        return vn__error(VN_ERR_INVALID_ARG, "%s: label_smoothing=%g is outside [0, 1]", what,
                         (double)label_smoothing);
    VN_TRY(check_targets(logits, targets));
    VN_TRY(vn__loss_check_grad(what, dlogits, "dlogits", logits, targets));

    const int64_t n = logits->shape[0], k = logits->shape[1];
    const double eps = label_smoothing, off = eps / (double)k;
    const float *z = logits->data;
    const int32_t *labels = targets->dtype == VN_I32 ? targets->data : NULL;
    const float *probs = labels ? NULL : targets->data;
    float *dz = dlogits ? dlogits->data : NULL;
    double total = 0.0;

    for (int64_t i = 0; i < n; i++) {
        const float *zr = z + i * k;
        const float *pr = probs ? probs + i * k : NULL;
        float m = zr[0];
        for (int64_t j = 1; j < k; j++)
            m = zr[j] > m ? zr[j] : m;
        double s = 0.0;
        for (int64_t j = 0; j < k; j++)
            s += exp((double)zr[j] - (double)m);
        const double log_s = log(s);
        /* -sum_k q_k * logp_k, and sum_k q_k (exactly 1 for labels). */
        double row = 0.0, q_sum = labels ? 1.0 : 0.0;
        for (int64_t j = 0; j < k; j++) {
            double t = labels ? (j == labels[i] ? 1.0 : 0.0) : (double)pr[j];
            double q = (1.0 - eps) * t + off;
            row -= q * (((double)zr[j] - (double)m) - log_s);
            if (!labels)
                q_sum += q;
        }
        total += row;
        if (dz) {
            float *dr = dz + i * k;
            for (int64_t j = 0; j < k; j++) {
                double t = labels ? (j == labels[i] ? 1.0 : 0.0) : (double)pr[j];
                double q = (1.0 - eps) * t + off;
                double p = exp((double)zr[j] - (double)m) / s;
                dr[j] = (float)((p * q_sum - q) / (double)n);
            }
        }
    }
    *loss = (float)(total / (double)n);
    return VN_OK;
}
