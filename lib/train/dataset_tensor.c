/*
 * dataset_tensor.c - a dataset of in-memory samples: u8 images
 * [N, H, W, C] / [N, H, W] kept as they are (1 byte per pixel), or f32
 * samples [N, ...] that training feeds to the model unchanged. Both are
 * copied, so the caller's tensors may go away at once.
 */
#include "train/dataset_internal.h"

#include <string.h>

static vn_status check_labels(const vn_tensor *images, const vn_tensor *labels)
{
    if (labels->dtype != VN_I32 || labels->ndim != 1)
        return vn__error(VN_ERR_SHAPE, "vn_dataset_from_tensors: labels must be i32 [N], not %s %dD",
                         vn_dtype_name(labels->dtype), labels->ndim);
    if (labels->shape[0] != images->shape[0])
        return vn__error(VN_ERR_SHAPE, "vn_dataset_from_tensors: %lld images but %lld labels",
                         (long long)images->shape[0], (long long)labels->shape[0]);
    return VN_OK;
}

VN_API vn_status vn_dataset_from_tensors(const vn_tensor *images, const vn_tensor *labels,
                                         int num_classes, vn_dataset **out)
{
    if (!images || !labels || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_from_tensors: NULL argument");
    if (num_classes < 0)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_from_tensors: num_classes %d < 0",
                         num_classes);
    const bool u8 = images->dtype == VN_U8;
    if (u8 && images->ndim != 3 && images->ndim != 4)
        return vn__error(VN_ERR_SHAPE,
                         "vn_dataset_from_tensors: u8 images must be [N, H, W] or [N, H, W, C], not %dD",
                         images->ndim);
    if (!u8 && (images->dtype != VN_F32 || images->ndim < 2))
        return vn__error(VN_ERR_SHAPE,
                         "vn_dataset_from_tensors: images must be u8 [N, H, W, C] or f32 [N, ...], not %s %dD",
                         vn_dtype_name(images->dtype), images->ndim);
    if (images->shape[0] < 1)
        return vn__error(VN_ERR_SHAPE, "vn_dataset_from_tensors: no samples");
    if (u8 && images->ndim == 4 && (images->shape[3] < 1 || images->shape[3] > 4))
        return vn__error(VN_ERR_SHAPE, "vn_dataset_from_tensors: %lld channels, not 1..4",
                         (long long)images->shape[3]);
    VN_TRY(check_labels(images, labels));
    for (int d = 1; d < images->ndim; d++)
        if (images->shape[d] < 1)
            return vn__error(VN_ERR_SHAPE, "vn_dataset_from_tensors: dimension %d is empty", d);

    const int64_t n = images->shape[0];
    vn__store *s = NULL;
    VN_TRY(vn__store_new(u8 ? VN__STORE_U8 : VN__STORE_F32, n, "tensors", &s));
    s->sample_elems = images->numel / (size_t)n;
    if (u8) {
        s->h = images->shape[1];
        s->w = images->shape[2];
        s->c = images->ndim == 4 ? images->shape[3] : 1;
    } else {
        s->sample_ndim = images->ndim - 1;
        for (int d = 1; d < images->ndim; d++)
            s->sample_shape[d - 1] = images->shape[d];
    }
    size_t bytes = vn_tensor_nbytes(images);
    s->data = vn__malloc(bytes ? bytes : 1);
    if (!s->data) {
        vn__store_release(s);
        return vn__error(VN_ERR_NOMEM, "vn_dataset_from_tensors: out of memory for %zu bytes",
                         bytes);
    }
    memcpy(s->data, images->data, bytes);
    memcpy(s->labels, labels->data, (size_t)n * sizeof(int32_t));
    vn_status st = vn__store_set_classes(s, num_classes, NULL);
    if (st != VN_OK) {
        vn__store_release(s);
        return st;
    }
    return vn__dataset_wrap_store(s, out);
}
