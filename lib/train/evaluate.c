/*
 * evaluate.c - vn_evaluate(): run a classifier over a dataset in inference
 * mode and collect its metrics; and the evaluation pass vn_fit() runs on
 * its validation set after every epoch.
 *
 * Batches come from the batcher in dataset order, without the sample hook,
 * prepared from the model's preprocessing exactly as in training. The
 * inference forward plans its activation memory once for the batch size
 * and reuses it (the last, smaller batch plans once more).
 */
#include "train/fit_internal.h"

#include <math.h>
#include <string.h>

vn_status vn__evaluate_run(vn_model *m, const vn_dataset *ds, int batch_size, vn_metrics *metrics,
                           vn_fit_progress_fn progress, vn_abort_fn should_stop, void *user_data)
{
    vn__batch_spec spec = {.batch_size = batch_size, .shuffle = false, .hooks = false};
    VN_TRY(vn__spec_from_model(m, &spec));
    if (ds->n == 0)
        return VN_OK;
    vn__batcher *b = NULL;
    VN_TRY(vn__batcher_create(ds, &spec, &b));
    vn_status s = vn__batcher_start(b, 0);
    const int k = vn_metrics_num_classes(metrics);
    const double t0 = vn__seconds();
    vn_fit_progress p = {.size = sizeof p, .event = VN_FIT_EVALUATE, .epoch = 1, .epochs = 1,
                         .steps_per_epoch = vn__batcher_batches(b), .val_loss = NAN,
                         .val_accuracy = NAN};
    while (s == VN_OK) {
        if (should_stop && should_stop(user_data)) {
            s = vn__error(VN_ERR_ABORTED, "evaluate: stopped by the abort callback");
            break;
        }
        const vn__batch *batch = NULL;
        s = vn__batcher_next(b, &batch);
        if (s != VN_OK || !batch)
            break;
        const vn_tensor *out = NULL;
        s = vn_model_forward(m, batch->x, VN_MODE_INFERENCE, &out);
        if (s != VN_OK)
            break;
        const float *z = out->data;
        const int32_t *y = batch->y->data;
        for (int64_t i = 0; i < batch->count; i++)
            vn__metrics_add_row(metrics, z + (size_t)i * (size_t)k, y[i]);
        if (progress) {
            double dt = vn__seconds() - t0;
            p.step = batch->index + 1;
            p.images += batch->count;
            p.loss = vn_metrics_loss(metrics);
            p.accuracy = vn_metrics_accuracy(metrics);
            p.seconds = dt;
            p.images_per_s = dt > 0 ? (double)p.images / dt : 0.0;
            progress(&p, user_data);
        }
    }
    vn__batcher_destroy(b);
    return s;
}

VN_API vn_status vn_evaluate(vn_model *model, const vn_dataset *data,
                             const vn_evaluate_options *opts, vn_metrics **out)
{
    if (!model || !data || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_evaluate: NULL argument");
    vn_evaluate_options o = VN_EVALUATE_OPTIONS_INIT;
    if (opts) {
        /* The first version of the struct is the current one: a smaller
         * size means `size` was not set. A larger one comes from a newer
         * header; its extra fields are not known here. */
        if (opts->size < sizeof o)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_evaluate: opts->size is %zu, expected %zu (set it to sizeof(vn_evaluate_options))",
                             opts->size, sizeof o);
        memcpy(&o, opts, sizeof o);
    }
    if (o.batch_size < 1 || o.top_k < 1 || o.threads < 0 || o.threads > 1024)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_evaluate: batch_size %d and top_k %d must be >= 1, threads %d in 0..1024",
                         o.batch_size, o.top_k, o.threads);
    int k = 0;
    VN_TRY(vn__check_classifier(model, data, "vn_evaluate", &k));
    vn_metrics *m = NULL;
    VN_TRY(vn_metrics_create(k, o.top_k, &m));
    int saved = vn__threads_push(o.threads);
    vn_status s = vn__evaluate_run(model, data, o.batch_size, m, o.progress, o.abort, o.user_data);
    vn__threads_pop(saved);
    if (s != VN_OK) {
        vn_metrics_destroy(m);
        return s;
    }
    *out = m;
    return VN_OK;
}
