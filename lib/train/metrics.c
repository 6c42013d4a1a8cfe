/*
 * metrics.c - classification metrics accumulated batch by batch: the
 * softmax cross-entropy loss, accuracy (argmax, first index on ties as
 * torch.argmax), top-k accuracy, and the confusion matrix from which the
 * per-class accuracy (recall) is read.
 *
 * Sums are kept in double (loss) and 64-bit integers (counts), so the
 * result does not depend on how the samples were cut into batches.
 */
#include "train/metrics.h"

#include <math.h>
#include <string.h>

struct vn_metrics {
    int k;                    /* classes */
    int top_k;
    int64_t count;
    int64_t correct;
    int64_t correct_top_k;
    double loss_sum;
    int64_t *confusion;       /* [k * k], rows = true class */
};

VN_API vn_status vn_metrics_create(int num_classes, int top_k, vn_metrics **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_metrics_create: out is NULL");
    if (num_classes < 1 || num_classes > 65536 || top_k < 1)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_metrics_create: %d classes (1..65536) and top-%d (>= 1)", num_classes,
                         top_k);
    vn_metrics *m = vn__calloc(1, sizeof *m);
    if (m)
        m->confusion = vn__calloc((size_t)num_classes * (size_t)num_classes, sizeof(int64_t));
    if (!m || !m->confusion) {
        vn__free(m);
        return vn__error(VN_ERR_NOMEM, "vn_metrics_create: out of memory for %d classes",
                         num_classes);
    }
    m->k = num_classes;
    m->top_k = top_k;
    *out = m;
    return VN_OK;
}

VN_API void vn_metrics_destroy(vn_metrics *m)
{
    if (!m)
        return;
    vn__free(m->confusion);
    vn__free(m);
}

void vn__metrics_add_row(vn_metrics *m, const float *z, int32_t label)
{
    const int k = m->k;
    int best = 0;
    float zmax = z[0];
    for (int j = 1; j < k; j++)
        if (z[j] > zmax) {
            zmax = z[j];
            best = j;
        }
    const float zl = z[label];
    int above = 0;
    double sum = 0.0;
    for (int j = 0; j < k; j++) {
        above += z[j] > zl;
        sum += exp((double)z[j] - (double)zmax);
    }
    m->loss_sum += log(sum) + (double)zmax - (double)zl;
    m->count++;
    m->correct += best == label;
    m->correct_top_k += above < m->top_k;
    m->confusion[(size_t)label * (size_t)k + (size_t)best]++;
}

VN_API vn_status vn_metrics_update(vn_metrics *m, const vn_tensor *logits, const vn_tensor *labels)
{
    if (!m || !logits || !labels)
        return vn__error(VN_ERR_INVALID_ARG, "vn_metrics_update: NULL argument");
    if (logits->dtype != VN_F32 || logits->ndim != 2 || logits->shape[1] != m->k)
        return vn__error(VN_ERR_SHAPE, "vn_metrics_update: logits must be f32 [N, %d]", m->k);
    if (labels->dtype != VN_I32 || labels->ndim != 1 || labels->shape[0] != logits->shape[0])
        return vn__error(VN_ERR_SHAPE, "vn_metrics_update: labels must be i32 [%lld]",
                         (long long)logits->shape[0]);
    const int32_t *y = labels->data;
    for (int64_t i = 0; i < labels->shape[0]; i++)
        if (y[i] < 0 || y[i] >= m->k)
            return vn__error(VN_ERR_INVALID_ARG, "vn_metrics_update: sample %lld has label %d, not in 0..%d",
                             (long long)i, (int)y[i], m->k - 1);
    const float *z = logits->data;
    for (int64_t i = 0; i < labels->shape[0]; i++)
        vn__metrics_add_row(m, z + (size_t)i * (size_t)m->k, y[i]);
    return VN_OK;
}

void vn__metrics_reset(vn_metrics *m)
{
    m->count = m->correct = m->correct_top_k = 0;
    m->loss_sum = 0.0;
    memset(m->confusion, 0, (size_t)m->k * (size_t)m->k * sizeof(int64_t));
}

VN_API int64_t vn_metrics_count(const vn_metrics *m)
{
    return m ? m->count : 0;
}

VN_API int vn_metrics_num_classes(const vn_metrics *m)
{
    return m ? m->k : 0;
}

VN_API double vn_metrics_loss(const vn_metrics *m)
{
    return m && m->count ? m->loss_sum / (double)m->count : NAN;
}

VN_API double vn_metrics_accuracy(const vn_metrics *m)
{
    return m && m->count ? (double)m->correct / (double)m->count : NAN;
}

VN_API int vn_metrics_top_k(const vn_metrics *m)
{
    return m ? m->top_k : 0;
}

VN_API double vn_metrics_top_k_accuracy(const vn_metrics *m)
{
    return m && m->count ? (double)m->correct_top_k / (double)m->count : NAN;
}

VN_API double vn_metrics_class_accuracy(const vn_metrics *m, int c)
{
    if (!m || c < 0 || c >= m->k)
        return NAN;
    const int64_t *row = m->confusion + (size_t)c * (size_t)m->k;
    int64_t total = 0;
    for (int j = 0; j < m->k; j++)
        total += row[j];
    return total ? (double)row[c] / (double)total : NAN;
}

VN_API int64_t vn_metrics_confusion(const vn_metrics *m, int truth, int predicted)
{
    if (!m || truth < 0 || truth >= m->k || predicted < 0 || predicted >= m->k)
        return 0;
    return m->confusion[(size_t)truth * (size_t)m->k + (size_t)predicted];
}

VN_API vn_status vn_metrics_confusion_matrix(const vn_metrics *m, int64_t *out, size_t count)
{
    if (!m || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_metrics_confusion_matrix: NULL argument");
    const size_t kk = (size_t)m->k * (size_t)m->k;
    if (count < kk)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_metrics_confusion_matrix: room for %zu counts, the matrix has %zu",
                         count, kk);
    memcpy(out, m->confusion, kk * sizeof(int64_t));
    return VN_OK;
}
