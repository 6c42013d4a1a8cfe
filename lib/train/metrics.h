/*
 * metrics.h - what vn_fit() and vn_evaluate() use of the metrics
 * accumulator beyond its public functions (metrics.c).
 */
#ifndef VN_TRAIN_METRICS_H
#define VN_TRAIN_METRICS_H

#include "train/train_internal.h"

/* Add one sample: its logits z[0..K-1] and its label (0 <= label < K,
 * checked by the caller). */
void vn__metrics_add_row(vn_metrics *m, const float *z, int32_t label);
/* Forget every sample. */
void vn__metrics_reset(vn_metrics *m);

#endif
