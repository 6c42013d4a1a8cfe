/*
 * fit_common.c - helpers vn_fit() and vn_evaluate() share: the batch spec
 * read from the model (input shape, preprocessing), the check that the
 * model is a classifier for the dataset, a monotonic clock, and the thread
 * count set for the length of a run.
 */
#include "train/fit_internal.h"

#include <time.h>

vn_status vn__spec_from_model(const vn_model *m, vn__batch_spec *spec)
{
    int ndim = 0;
    VN_TRY(vn_model_input_shape(m, spec->in_shape, &ndim));
    spec->in_ndim = ndim;
    spec->scale = 1.0f / 255.0f;
    for (int c = 0; c < 4; c++) {
        spec->mean[c] = 0.0f;
        spec->std[c] = 1.0f;
    }
    /* Only image inputs [C, H, W] with C <= 4 have a preprocessing that
     * applies; other inputs take f32 samples as they are. */
    if (ndim == 3 && spec->in_shape[0] >= 1 && spec->in_shape[0] <= 4)
        VN_TRY(vn_model_get_preprocess(m, &spec->scale, spec->mean, spec->std));
    return VN_OK;
}

vn_status vn__check_classifier(const vn_model *m, const vn_dataset *ds, const char *what, int *k)
{
    int64_t shape[VN_MAX_DIMS];
    int ndim = 0;
    VN_TRY(vn_model_output_shape(m, shape, &ndim));
    if (ndim != 1)
        return vn__error(VN_ERR_SHAPE,
                         "%s: the model's output must be logits [K] per sample, it has %d dimensions",
                         what, ndim);
    if (shape[0] < ds->num_classes || shape[0] > 65536)
        return vn__error(VN_ERR_SHAPE, "%s: the model has %lld outputs but the data has %d classes",
                         what, (long long)shape[0], ds->num_classes);
    *k = (int)shape[0];
    return VN_OK;
}

double vn__seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int vn__threads_push(int threads)
{
    if (threads <= 0)
        return 0;
    int saved = vn_get_num_threads();
    if (vn_set_num_threads(threads) != VN_OK)
        return 0;
    return saved;
}

void vn__threads_pop(int saved)
{
    if (saved > 0)
        vn_set_num_threads(saved);
}
