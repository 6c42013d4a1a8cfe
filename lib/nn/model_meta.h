/*
 * model_meta.h - the model's metadata (preprocessing, class names) as the
 * library's other files see it: freeing it with the model, and the text
 * form of the preprocessing that model files store.
 */
#ifndef VN_NN_MODEL_META_H
#define VN_NN_MODEL_META_H

#include "nn/model.h"

/* Free the preprocessing arrays and class names (vn_model_destroy). */
void vn__model_meta_free(vn_model *m);

/* Number of preprocessing channels: the first dimension of the input
 * shape (C of [C, H, W]). */
int64_t vn__model_input_channels(const vn_model *m);
/* Number of elements of one sample's output (the count of class names). */
int64_t vn__model_output_count(const vn_model *m);

/* The preprocessing as text, "scale=0.00392156886 mean=0.286 std=0.353"
 * (per-channel lists comma-separated, numbers with '.' whatever the
 * locale, the fewest digits that read back as the same float). The caller
 * vn__free's *text. */
vn_status vn__model_preprocess_text(const vn_model *m, char **text);
/* Parse that text into m's preprocessing: keys scale, mean, std (each at
 * most once, any order, absent = the default); mean and std have exactly
 * the model's input-channel count of entries. VN_ERR_FORMAT naming the
 * word otherwise. */
vn_status vn__model_preprocess_parse(vn_model *m, const char *text);

#endif /* VN_NN_MODEL_META_H */
