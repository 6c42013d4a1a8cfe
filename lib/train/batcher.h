/*
 * batcher.h - the batcher (private): turns a dataset into batches of model
 * input, one epoch at a time, on worker threads running ahead of the
 * training step. Used by vn_fit() and vn_evaluate().
 *
 * Life cycle: create (starts the workers, idle), then per epoch start()
 * and next() until it gives NULL, then destroy. The batch next() returns
 * is borrowed and stays valid until the following next() / start() /
 * destroy. One batcher is used from one thread.
 *
 * What is in a batch depends only on (dataset, spec, epoch): the order is a
 * permutation drawn from (seed, epoch), a sample's hook output from (seed,
 * epoch, sample index). The number of workers and which worker builds
 * which batch change nothing.
 */
#ifndef VN_TRAIN_BATCHER_H
#define VN_TRAIN_BATCHER_H

#include "train/dataset_internal.h"

typedef struct vn__batcher vn__batcher;

/* How batches are made. */
typedef struct vn__batch_spec {
    int64_t batch_size;       /* >= 1; the last batch of an epoch may be smaller */
    bool shuffle;             /* a new order per epoch, else dataset order */
    uint64_t seed;            /* keys the order and the sample hooks */
    bool hooks;               /* run the dataset's sample hook */
    int in_ndim;              /* the model's input shape for one sample */
    int64_t in_shape[VN_MAX_DIMS];
    /* Image datasets: input = (pixel * scale - mean[c]) / std[c] (C <= 4). */
    float scale;
    float mean[4];
    float std[4];
} vn__batch_spec;

/* One batch: x f32 [count, in_shape...], y i32 [count] (labels). */
typedef struct vn__batch {
    vn_tensor *x;
    vn_tensor *y;
    int64_t count;
    int64_t index;            /* within the epoch, from 0 */
} vn__batch;

/* Check that ds fits the spec (VN_ERR_SHAPE with a message otherwise) and
 * start the workers. The dataset is borrowed. */
vn_status vn__batcher_create(const vn_dataset *ds, const vn__batch_spec *spec, vn__batcher **out);
/* Batches per epoch. */
int64_t vn__batcher_batches(const vn__batcher *b);
/* Begin epoch `epoch` (any epoch, in any order). */
vn_status vn__batcher_start(vn__batcher *b, uint64_t epoch);
/* The next batch of the epoch (*out NULL after the last one), or the error
 * that making it raised (the message of the worker's thread is carried
 * over). */
vn_status vn__batcher_next(vn__batcher *b, const vn__batch **out);
/* Stop the workers and free everything. NULL is a no-op. */
void vn__batcher_destroy(vn__batcher *b);

#endif
