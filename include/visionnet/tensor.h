/**
 * @file visionnet/tensor.h
 * @brief vn_tensor: a dense row-major array of f32, u8 or i32 with up to 8
 *        dimensions, and .npy input / output.
 *
 * Networks use f32 NCHW tensors; images straight from a decoder are u8 HWC
 * tensors. A tensor either owns its buffer (vn_tensor_create, vn_tensor_copy,
 * vn_tensor_load_npy) or wraps a caller's buffer (vn_tensor_wrap), in the
 * spirit of SQLite's SQLITE_STATIC / SQLITE_TRANSIENT: a wrapped buffer is
 * borrowed when no release function is given, otherwise the tensor calls the
 * release function when it is destroyed.
 *
 * Data is always C-contiguous: element (i0, i1, ..., ik) lives at offset
 * ((i0*d1 + i1)*d2 + ...)*dk + ik elements from vn_tensor_data().
 */
#ifndef VISIONNET_TENSOR_H
#define VISIONNET_TENSOR_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most dimensions a tensor may have. */
#define VN_MAX_DIMS 8

/** Element type. Values are pinned. */
typedef enum vn_dtype {
    VN_F32 = 1, /**< 32-bit IEEE float */
    VN_U8 = 2,  /**< unsigned byte (images) */
    VN_I32 = 3  /**< signed 32-bit integer (labels, indices, 16-bit samples) */
} vn_dtype;

typedef struct vn_tensor vn_tensor;

/** Bytes per element of dtype, 0 for an unknown dtype. */
VN_API size_t vn_dtype_size(vn_dtype dtype);
/** "f32", "u8", "i32" or "unknown" (static string). */
VN_API const char *vn_dtype_name(vn_dtype dtype);

/**
 * Create a zero-filled tensor. ndim 0..VN_MAX_DIMS (0 = a scalar holding one
 * element); every dimension >= 0. A total size that overflows size_t is
 * refused with ::VN_ERR_LIMIT.
 */
VN_API vn_status vn_tensor_create(vn_dtype dtype, int ndim, const int64_t *shape, vn_tensor **out);

/** Called with the wrapped buffer when a wrapping tensor is destroyed. */
typedef void (*vn_release_fn)(void *data, void *user_data);

/**
 * Wrap a caller's C-contiguous buffer without copying. With release NULL the
 * buffer is borrowed: the caller keeps it alive and unchanged in size until
 * the tensor is destroyed. Otherwise release(data, user_data) is called once
 * when the tensor is destroyed (also when this function fails).
 */
VN_API vn_status vn_tensor_wrap(vn_dtype dtype, int ndim, const int64_t *shape, void *data,
                                vn_release_fn release, void *user_data, vn_tensor **out);

/** Deep copy: the new tensor owns a new buffer. */
VN_API vn_status vn_tensor_copy(const vn_tensor *src, vn_tensor **out);

/** Convert to another dtype (a new tensor). f32 -> u8 / i32 rounds to nearest and saturates. */
VN_API vn_status vn_tensor_convert(const vn_tensor *src, vn_dtype dtype, vn_tensor **out);

/** Destroy a tensor (releasing or freeing its buffer). NULL is a no-op. */
VN_API void vn_tensor_destroy(vn_tensor *t);

/**
 * Change the shape in place, keeping the data. The element count must stay
 * the same; one dimension may be -1 and is then inferred.
 */
VN_API vn_status vn_tensor_reshape(vn_tensor *t, int ndim, const int64_t *shape);

/** Reshape in place to [d0, d1*d2*...] keeping dimensions before start_dim: torch.flatten(t, start_dim). */
VN_API vn_status vn_tensor_flatten(vn_tensor *t, int start_dim);

/** @name Accessors (t must not be NULL) */
/**@{*/
VN_API vn_dtype vn_tensor_dtype(const vn_tensor *t);
VN_API int vn_tensor_ndim(const vn_tensor *t);
/** Size of dimension i; negative i counts from the end; 0 when out of range. */
VN_API int64_t vn_tensor_dim(const vn_tensor *t, int i);
/** Copy the shape into shape[0 .. ndim-1]. */
VN_API void vn_tensor_shape(const vn_tensor *t, int64_t *shape);
VN_API size_t vn_tensor_numel(const vn_tensor *t);
VN_API size_t vn_tensor_nbytes(const vn_tensor *t);
/** The element buffer, borrowed: valid while the tensor lives. */
VN_API void *vn_tensor_data(vn_tensor *t);
VN_API const void *vn_tensor_data_const(const vn_tensor *t);
/**@}*/

/** Set every element to zero. */
VN_API void vn_tensor_zero(vn_tensor *t);

/** @name .npy files
 *  NumPy format versions 1.0, 2.0 and 3.0, little-endian, C order, dtypes
 *  <f4, |u1, <i4 (and |i1 / <i8 / <f8 are refused as ::VN_ERR_UNSUPPORTED).
 *  Big-endian data, Fortran order, a malformed header, a shape that
 *  overflows, or a shape that disagrees with the file's length are refused
 *  with ::VN_ERR_FORMAT (or ::VN_ERR_UNSUPPORTED) and a message. */
/**@{*/
VN_API vn_status vn_tensor_load_npy(const char *path, vn_tensor **out);
VN_API vn_status vn_tensor_load_npy_mem(const void *bytes, size_t n, vn_tensor **out);
/** Write format 1.0 (2.0 when the header needs it). Written to a temporary file and renamed. */
VN_API vn_status vn_tensor_save_npy(const vn_tensor *t, const char *path);
/** Encode to a buffer the caller frees with vn_free(). */
VN_API vn_status vn_tensor_save_npy_mem(const vn_tensor *t, void **bytes, size_t *n);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_TENSOR_H */
