/*
 * model_file.h - the model-file writer without the file, for tests and the
 * fuzz target (which check that what loads saves and loads back), and the
 * safetensors reader and writer without visionnet's metadata, which the
 * transfer layer's weights files use (lib/transfer/weights.c).
 */
#ifndef VN_NN_MODEL_FILE_H
#define VN_NN_MODEL_FILE_H

#include "nn/model.h"
#include <visionnet/train.h>

/* The bytes vn_model_save() would write to the file: *bytes is vn__malloc'ed
 * (the caller vn__free's it), *n its length. */
vn_status vn__model_save_mem(const vn_model *m, const vn_optimizer *opt, uint8_t **bytes,
                             size_t *n);

/* ---- plain safetensors (the transfer layer's weights files) ---------------- */

/* The bytes of a plain safetensors file of m's parameters and buffers
 * (__metadata__ {"format": "pt"}, no spec, no CRC), as above. */
vn_status vn__safetensors_save_mem(const vn_model *m, uint8_t **bytes, size_t *n);

/* Called once per tensor, in header order: name (borrowed for the call),
 * shape, and its little-endian F32 data (numel = product of shape, inside
 * the caller's buffer). A status other than VN_OK stops the walk and is
 * returned. */
typedef vn_status (*vn__safetensors_fn)(void *user, const char *name, int ndim,
                                        const int64_t *shape, const uint8_t *data);

/* Check a safetensors file in memory exactly as vn_model_load_mem does
 * (header, F32 dtypes, shapes, offsets tiling the data) without requiring
 * visionnet's metadata, then hand each tensor to fn. `where` names the
 * source in messages ("weights file 'x'"). Refusals are VN_ERR_FORMAT. */
vn_status vn__safetensors_visit(const void *data, size_t n, const char *where,
                                vn__safetensors_fn fn, void *user);

/* Copy n little-endian floats from src to host floats at dst. */
void vn__safetensors_read_f32(float *dst, const void *src, size_t n);

#endif /* VN_NN_MODEL_FILE_H */
