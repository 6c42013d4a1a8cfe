/**
 * @file visionnet/experimental.h
 * @brief Interfaces that are not yet stable: they may change or go away in
 *        any release, minor ones included, and are outside the ABI promise
 *        of the other headers (DESIGN.md section 2).
 *
 * A program that uses them should check vn_version_number() against the
 * version it was written for. Each entry says what it is waiting for before
 * it moves to a stable header.
 */
#ifndef VISIONNET_EXPERIMENTAL_H
#define VISIONNET_EXPERIMENTAL_H

#include "core.h"
#include "tensor.h"
#include "train.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Per-sample hook of a training dataset
 *
 * The place where augmentation plugs into vn_fit(): the batcher calls the
 * hook for every training sample, on its worker threads, after the image is
 * decoded and before it is converted to the model's input. Waiting for the
 * augmentation pipelines (augment.h) to settle on how they attach.
 */
/**@{*/

/**
 * A per-sample hook. *image is a u8 [H, W, C] image owned by the batcher
 * (a private copy: changing it in place never changes the dataset). The hook
 * either changes it in place or destroys it with vn_tensor_destroy() and
 * stores a new u8 [H', W', C'] image in *image (any size and channel count:
 * the batcher then resizes and converts it to the model's input as it does
 * for every sample).
 *
 * Its result must depend only on (seed, epoch, index) and the image: seed is
 * vn_fit_options.seed, epoch counts from 0, index is the sample's index in
 * the dataset the hook is set on (not its place in the shuffled order).
 * Random numbers should come from a generator keyed by those three, e.g.
 * vn_rng_create(seed, stream) with a stream mixed from epoch and index, so
 * that the batches are the same on any number of threads and for any batch
 * size. The hook is called from several threads at once and must be
 * reentrant. A status other than ::VN_OK stops vn_fit() with that status
 * (set a message with the error the hook's own library calls raised).
 */
typedef vn_status (*vn_sample_fn)(vn_tensor **image, uint64_t seed, uint64_t epoch,
                                  uint64_t index, void *user_data);

/**
 * Set (fn not NULL) or remove (fn NULL) the per-sample hook of a dataset of
 * images. It is called only for the training batches of vn_fit(): the
 * validation batches and vn_evaluate() never call it. Views made
 * from ds later (vn_dataset_split(), vn_dataset_subset()) do not inherit it.
 * A dataset of f32 samples has no images: ::VN_ERR_UNSUPPORTED.
 */
VN_API vn_status vn_dataset_set_sample_fn(vn_dataset *ds, vn_sample_fn fn, void *user_data);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_EXPERIMENTAL_H */
