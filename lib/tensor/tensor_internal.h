/*
 * tensor_internal.h - the layout of vn_tensor, for the library's own files.
 * Public code sees only the opaque handle (include/visionnet/tensor.h).
 */
#ifndef VN_TENSOR_INTERNAL_H
#define VN_TENSOR_INTERNAL_H

#include "core/vn_internal.h"
#include <visionnet/tensor.h>

struct vn_tensor {
    vn_dtype dtype;
    int ndim;
    int64_t shape[VN_MAX_DIMS];
    size_t numel;
    void *data;
    vn_release_fn release;  /* wrapped with a release callback */
    void *release_user;
    bool owns;              /* data was allocated by the library */
};

/* Validate dtype / ndim / shape and compute the element count; VN_ERR_* with
 * a message prefixed by `what` when they are not acceptable. */
vn_status vn__shape_numel(const char *what, vn_dtype dtype, int ndim, const int64_t *shape,
                          size_t *numel);

/* Create an uninitialised tensor (for kernels that overwrite every element). */
vn_status vn__tensor_empty(vn_dtype dtype, int ndim, const int64_t *shape, vn_tensor **out);

/* Shorthand creators. */
vn_status vn__tensor_new3(vn_dtype dtype, int64_t d0, int64_t d1, int64_t d2, vn_tensor **out);
vn_status vn__tensor_new4(vn_dtype dtype, int64_t d0, int64_t d1, int64_t d2, int64_t d3,
                          vn_tensor **out);

/* Same dtype and shape? */
bool vn__tensor_same_shape(const vn_tensor *a, const vn_tensor *b);

/* Format a shape as "[2, 3, 28, 28]" into buf (for error messages). */
const char *vn__shape_str(const vn_tensor *t, char *buf, size_t n);

#endif
