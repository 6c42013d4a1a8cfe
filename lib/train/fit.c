/*
 * fit.c - vn_fit(): the training loop.
 *
 *   for each epoch e:
 *       lr = schedule(base_lr, e)                  (per-epoch schedules)
 *       the batcher shuffles with (seed, e) and builds batches ahead
 *       for each batch:
 *           abort?                                 -> VN_ERR_ABORTED
 *           lr = schedule(base_lr, global step)    (per-step schedules)
 *           zero the gradients; forward (training); softmax cross-entropy
 *           with label smoothing and its gradient; backward; optimizer step
 *           progress(VN_FIT_BATCH)
 *       validation pass (vn__evaluate_run), history entry, checkpoint,
 *       best model, progress(VN_FIT_EPOCH), early stopping
 *
 * The loss and accuracy reported for an epoch are over its images, each
 * measured by the forward pass of its own step (before the update), as a
 * PyTorch loop that sums loss.item() * batch does.
 *
 * Determinism: the batches depend only on (data, seed, epoch); the kernels
 * give the same sums on any thread count; the optimizer is elementwise. So
 * the trained parameters are the same bit for bit on 1 or N threads
 * (tests/test_fit.c checks it).
 *
 * Aborting is checked between steps only, so the model always holds the
 * parameters of a finished step; checkpoints already written stay.
 */
#include "train/fit_internal.h"

#include <math.h>
#include <string.h>

#define DEFAULT_OPTIMIZER "sgd lr=0.01 momentum=0.9"
/* Batch size of the validation pass: inference batches cost no backward
 * memory, so bigger ones amortise per-call work. */
#define VAL_BATCH_MIN 256

typedef struct fit_run {
    vn_model *model;
    const vn_dataset *train;
    vn_fit_options o;
    vn_monitor monitor;
    int k;                      /* model outputs */
    vn_optimizer *opt;
    bool own_opt;
    double base_lr;
    vn__batcher *batcher;
    vn_tensor *dlogits;
    vn_metrics *val;
    vn_fit_result *result;
    int64_t global_step;
    double best;                /* monitored value of the best epoch (NaN: none yet) */
    int best_epoch;
    int bad_epochs;             /* epochs in a row without improvement */
} fit_run;

static vn_status check_options(const vn_fit_options *o, const vn_dataset *train)
{
    if (o->epochs < 1 || o->batch_size < 1)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: epochs %d and batch_size %d must be >= 1",
                         o->epochs, o->batch_size);
    if (o->threads < 0 || o->threads > 1024)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: threads %d is not in 0..1024", o->threads);
    if (!(o->label_smoothing >= 0.0f && o->label_smoothing <= 1.0f))
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: label_smoothing %g is not in [0, 1]",
                         (double)o->label_smoothing);
    if (o->schedule_unit != VN_SCHEDULE_PER_EPOCH && o->schedule_unit != VN_SCHEDULE_PER_STEP)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: unknown schedule_unit %d",
                         (int)o->schedule_unit);
    if (o->monitor < VN_MONITOR_AUTO || o->monitor > VN_MONITOR_TRAIN_LOSS)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: unknown monitor %d", (int)o->monitor);
    if ((o->monitor == VN_MONITOR_VAL_ACCURACY || o->monitor == VN_MONITOR_VAL_LOSS) &&
        !o->validation)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_fit: the monitor is a validation metric but there is no validation set");
    if (o->patience < 0 || !(o->min_delta >= 0.0) || !isfinite(o->min_delta))
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: patience %d and min_delta %g must be >= 0",
                         o->patience, o->min_delta);
    if (train->n < 1)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: the training set is empty");
    if (o->validation && o->validation->n < 1)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: the validation set is empty");
    return VN_OK;
}

/* The optimizer: the caller's (given the model's parameters when it has
 * none) or one made from the configuration string. */
static vn_status setup_optimizer(fit_run *r)
{
    if (r->o.optimizer) {
        r->opt = r->o.optimizer;
        if (vn_optimizer_param_count(r->opt) == 0)
            VN_TRY(vn_optimizer_add_model(r->opt, r->model));
    } else {
        VN_TRY(vn_optimizer_create(r->o.optimizer_config ? r->o.optimizer_config : DEFAULT_OPTIMIZER,
                                   &r->opt));
        r->own_opt = true;
        VN_TRY(vn_optimizer_add_model(r->opt, r->model));
    }
    r->base_lr = vn_optimizer_get_lr(r->opt);
    return VN_OK;
}

/* When the model's classes are unnamed and the training set names as many
 * classes as the model has outputs, the model takes those names (so that
 * checkpoints and `visionnet predict` can show them). Best effort: names
 * the model refuses (control characters, over 255 bytes) are left out. */
static void adopt_class_names(fit_run *r)
{
    const vn_dataset *ds = r->train;
    if (vn_model_class_count(r->model) > 0 || !ds->class_names || ds->num_classes != r->k)
        return;
    if (vn_model_set_class_names(r->model, ds->num_classes,
                                 (const char *const *)ds->class_names) != VN_OK)
        vn_clear_error();
}

static vn_status set_lr(fit_run *r, int64_t step)
{
    if (!r->o.schedule)
        return VN_OK;
    double lr = r->base_lr;
    VN_TRY(vn_schedule_lr(r->o.schedule, r->base_lr, step, &lr));
    return vn_optimizer_set_lr(r->opt, lr);
}

/* One training step on a batch; *loss its mean loss, *correct the samples
 * whose largest logit was their label. */
static vn_status train_step(fit_run *r, const vn__batch *b, float *loss, int64_t *correct)
{
    vn_model_zero_grad(r->model);
    const vn_tensor *out = NULL;
    VN_TRY(vn_model_forward(r->model, b->x, VN_MODE_TRAINING, &out));
    if (!r->dlogits || r->dlogits->shape[0] != b->count) {
        vn_tensor_destroy(r->dlogits);
        r->dlogits = NULL;
        int64_t shape[2] = {b->count, r->k};
        VN_TRY(vn__tensor_empty(VN_F32, 2, shape, &r->dlogits));
    }
    VN_TRY(vn_loss_cross_entropy(out, b->y, r->o.label_smoothing, loss, r->dlogits));
    const float *z = out->data;
    const int32_t *y = b->y->data;
    int64_t right = 0;
    for (int64_t i = 0; i < b->count; i++) {
        const float *row = z + (size_t)i * (size_t)r->k;
        int best = 0;
        for (int j = 1; j < r->k; j++)
            if (row[j] > row[best])
                best = j;
        right += best == y[i];
    }
    *correct = right;
    VN_TRY(vn_model_backward(r->model, r->dlogits, NULL));
    return vn_optimizer_step(r->opt);
}

static vn_status run_epoch(fit_run *r, int e, vn_epoch_stats *st)
{
    if (r->o.schedule_unit == VN_SCHEDULE_PER_EPOCH)
        VN_TRY(set_lr(r, e));
    VN_TRY(vn__batcher_start(r->batcher, (uint64_t)e));
    const double t0 = vn__seconds();
    double loss_sum = 0.0;
    int64_t correct = 0, images = 0;
    vn_fit_progress p = {.size = sizeof p, .event = VN_FIT_BATCH, .epoch = e + 1,
                         .epochs = r->o.epochs,
                         .steps_per_epoch = vn__batcher_batches(r->batcher), .val_loss = NAN,
                         .val_accuracy = NAN};
    for (;;) {
        if (r->o.abort && r->o.abort(r->o.user_data))
            return vn__error(VN_ERR_ABORTED, "vn_fit: stopped by the abort callback in epoch %d",
                             e + 1);
        const vn__batch *b = NULL;
        VN_TRY(vn__batcher_next(r->batcher, &b));
        if (!b)
            break;
        if (r->o.schedule_unit == VN_SCHEDULE_PER_STEP)
            VN_TRY(set_lr(r, r->global_step));
        float loss = 0.0f;
        int64_t right = 0;
        VN_TRY(train_step(r, b, &loss, &right));
        r->global_step++;
        loss_sum += (double)loss * (double)b->count;
        correct += right;
        images += b->count;
        if (r->o.progress) {
            double dt = vn__seconds() - t0;
            p.step = b->index + 1;
            p.images = images;
            p.loss = loss_sum / (double)images;
            p.accuracy = (double)correct / (double)images;
            p.seconds = dt;
            p.images_per_s = dt > 0 ? (double)images / dt : 0.0;
            p.lr = vn_optimizer_get_lr(r->opt);
            r->o.progress(&p, r->o.user_data);
        }
    }
    const double dt = vn__seconds() - t0;
    st->epoch = e + 1;
    st->train_loss = images ? loss_sum / (double)images : NAN;
    st->train_accuracy = images ? (double)correct / (double)images : NAN;
    st->lr = vn_optimizer_get_lr(r->opt);
    st->seconds = dt;
    st->images_per_s = dt > 0 ? (double)images / dt : 0.0;
    st->val_loss = st->val_accuracy = NAN;
    if (r->o.validation) {
        vn__metrics_reset(r->val);
        VN_TRY(vn__evaluate_run(r->model, r->o.validation, VN_MAX(r->o.batch_size, VAL_BATCH_MIN),
                                r->val, NULL, r->o.abort, r->o.user_data));
        st->val_loss = vn_metrics_loss(r->val);
        st->val_accuracy = vn_metrics_accuracy(r->val);
    }
    return VN_OK;
}

/* Did this epoch improve the monitored value? */
static bool improved(fit_run *r, const vn_epoch_stats *st)
{
    double v = r->monitor == VN_MONITOR_VAL_ACCURACY ? st->val_accuracy
             : r->monitor == VN_MONITOR_VAL_LOSS     ? st->val_loss
                                                     : st->train_loss;
    if (isnan(v))
        return false;
    bool higher_better = r->monitor == VN_MONITOR_VAL_ACCURACY;
    bool better = isnan(r->best) || (higher_better ? v > r->best + r->o.min_delta
                                                   : v < r->best - r->o.min_delta);
    if (better) {
        r->best = v;
        r->best_epoch = st->epoch;
    }
    return better;
}

/* After an epoch: history, files, progress; *stop when early stopping ends the run. */
static vn_status end_epoch(fit_run *r, const vn_epoch_stats *st, bool *stop)
{
    if (r->result)
        VN_TRY(vn__fit_result_append(r->result, st));
    bool better = improved(r, st);
    r->bad_epochs = better ? 0 : r->bad_epochs + 1;
    if (r->o.checkpoint_path)
        VN_TRY(vn_model_save(r->model, r->opt, r->o.checkpoint_path));
    if (better && r->o.best_path)
        VN_TRY(vn_model_save(r->model, NULL, r->o.best_path));
    if (r->result)
        vn__fit_result_mark(r->result, r->best_epoch, 0);
    if (r->o.progress) {
        vn_fit_progress p = {.size = sizeof p, .event = VN_FIT_EPOCH, .epoch = st->epoch,
                             .epochs = r->o.epochs,
                             .step = vn__batcher_batches(r->batcher),
                             .steps_per_epoch = vn__batcher_batches(r->batcher),
                             .images = r->train->n, .loss = st->train_loss,
                             .accuracy = st->train_accuracy, .images_per_s = st->images_per_s,
                             .seconds = st->seconds, .lr = st->lr, .val_loss = st->val_loss,
                             .val_accuracy = st->val_accuracy};
        r->o.progress(&p, r->o.user_data);
    }
    *stop = r->o.patience > 0 && r->bad_epochs >= r->o.patience;
    if (*stop && r->result)
        vn__fit_result_mark(r->result, r->best_epoch, 1);
    return VN_OK;
}

static vn_status fit_setup(fit_run *r)
{
    VN_TRY(vn__check_classifier(r->model, r->train, "vn_fit", &r->k));
    if (r->o.validation) {
        int kv = 0;
        VN_TRY(vn__check_classifier(r->model, r->o.validation, "vn_fit: validation set", &kv));
        VN_TRY(vn_metrics_create(r->k, 1, &r->val));
    }
    VN_TRY(setup_optimizer(r));
    adopt_class_names(r);
    vn__batch_spec spec = {.batch_size = r->o.batch_size, .shuffle = r->o.shuffle != 0,
                           .seed = r->o.seed, .hooks = true};
    VN_TRY(vn__spec_from_model(r->model, &spec));
    return vn__batcher_create(r->train, &spec, &r->batcher);
}

VN_API vn_status vn_fit(vn_model *model, const vn_dataset *train, const vn_fit_options *opts,
                        vn_fit_result *result)
{
    if (!model || !train)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit: NULL argument");
    fit_run r = {.model = model, .train = train, .result = result, .best = NAN};
    r.o = (vn_fit_options)VN_FIT_OPTIONS_INIT;
    if (opts) {
        /* The first version of the struct is the current one; see vn_evaluate. */
        if (opts->size < sizeof r.o)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_fit: opts->size is %zu, expected %zu (set it to sizeof(vn_fit_options))",
                             opts->size, sizeof r.o);
        memcpy(&r.o, opts, sizeof r.o);
    }
    VN_TRY(check_options(&r.o, train));
    r.monitor = r.o.monitor != VN_MONITOR_AUTO ? r.o.monitor
              : r.o.validation                 ? VN_MONITOR_VAL_ACCURACY
                                               : VN_MONITOR_TRAIN_LOSS;
    if (result)
        vn__fit_result_clear(result);

    const int saved_threads = vn__threads_push(r.o.threads);
    vn_status s = fit_setup(&r);
    for (int e = 0; s == VN_OK && e < r.o.epochs; e++) {
        vn_epoch_stats st = {.size = sizeof st};
        s = run_epoch(&r, e, &st);
        bool stop = false;
        if (s == VN_OK)
            s = end_epoch(&r, &st, &stop);
        if (stop)
            break;
    }
    vn__threads_pop(saved_threads);
    vn__batcher_destroy(r.batcher);
    vn_tensor_destroy(r.dlogits);
    vn_metrics_destroy(r.val);
    if (r.own_opt)
        vn_optimizer_destroy(r.opt);
    return s;
}
