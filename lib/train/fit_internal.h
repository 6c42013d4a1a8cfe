/*
 * fit_internal.h - what vn_fit() (fit.c) and vn_evaluate() (evaluate.c)
 * share: preparing a batch spec from the model, the classifier checks, and
 * one evaluation pass (used for the validation set after every epoch).
 */
#ifndef VN_TRAIN_FIT_INTERNAL_H
#define VN_TRAIN_FIT_INTERNAL_H

#include "train/batcher.h"
#include "train/metrics.h"

/* The model's input shape and preprocessing into spec (the other fields
 * are left as they are). */
vn_status vn__spec_from_model(const vn_model *m, vn__batch_spec *spec);

/* The model's output must be logits [K] per sample with K >= the dataset's
 * classes (VN_ERR_SHAPE otherwise); *k receives K. `what` names the
 * caller in the message. */
vn_status vn__check_classifier(const vn_model *m, const vn_dataset *ds, const char *what, int *k);

/* Run the model (inference) over every sample of ds in order, in batches of
 * batch_size, adding each to metrics. progress (event VN_FIT_EVALUATE) and
 * abort may be NULL. */
vn_status vn__evaluate_run(vn_model *m, const vn_dataset *ds, int batch_size, vn_metrics *metrics,
                           vn_fit_progress_fn progress, vn_abort_fn should_stop, void *user_data);

/* Seconds on a monotonic clock. */
double vn__seconds(void);

/* Set the library's thread count for a run (threads > 0) and give back what
 * to restore (0: nothing to restore). */
int vn__threads_push(int threads);
void vn__threads_pop(int saved);

/* The history (fit_result.c). */
void vn__fit_result_clear(vn_fit_result *r);
vn_status vn__fit_result_append(vn_fit_result *r, const vn_epoch_stats *e);
void vn__fit_result_mark(vn_fit_result *r, int best_epoch, int stopped_early);

#endif
