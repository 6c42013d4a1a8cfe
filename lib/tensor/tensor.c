/*
 * tensor.c - vn_tensor: creation, wrapping, copying, reshaping, accessors.
 *
 * A tensor is a dense C-contiguous array. It owns its buffer (allocated
 * through the allocator hooks) or wraps a caller's buffer, borrowed or with a
 * release callback (SQLite's SQLITE_STATIC / destructor model).
 */
#include "tensor/tensor_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

VN_API size_t vn_dtype_size(vn_dtype dtype)
{
    switch (dtype) {
    case VN_F32: return 4;
    case VN_U8: return 1;
    case VN_I32: return 4;
    }
    return 0;
}

VN_API const char *vn_dtype_name(vn_dtype dtype)
{
    switch (dtype) {
    case VN_F32: return "f32";
    case VN_U8: return "u8";
    case VN_I32: return "i32";
    }
    return "unknown";
}

vn_status vn__shape_numel(const char *what, vn_dtype dtype, int ndim, const int64_t *shape,
                          size_t *numel)
{
    if (vn_dtype_size(dtype) == 0)
        return vn__error(VN_ERR_INVALID_ARG, "%s: unknown dtype %d", what, (int)dtype);
    if (ndim < 0 || ndim > VN_MAX_DIMS)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %d dimensions, expected 0..%d", what, ndim, VN_MAX_DIMS);
    if (ndim > 0 && !shape)
        return vn__error(VN_ERR_INVALID_ARG, "%s: shape is NULL", what);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return vn__error(VN_ERR_INVALID_ARG, "%s: dimension %d is negative (%lld)", what, i,
                             (long long)shape[i]);
        if ((uint64_t)shape[i] > SIZE_MAX || !vn__mul_size(n, (size_t)shape[i], &n))
            return vn__error(VN_ERR_LIMIT, "%s: shape overflows the address space", what);
    }
    size_t bytes;
    if (!vn__mul_size(n, vn_dtype_size(dtype), &bytes) || bytes > (SIZE_MAX >> 1))
        return vn__error(VN_ERR_LIMIT, "%s: shape overflows the address space", what);
    *numel = n;
    return VN_OK;
}

static vn_status tensor_alloc(const char *what, vn_dtype dtype, int ndim, const int64_t *shape,
                              bool zero, vn_tensor **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "%s: out is NULL", what);
    size_t numel = 0;
    VN_TRY(vn__shape_numel(what, dtype, ndim, shape, &numel));
    vn_tensor *t = vn__malloc(sizeof *t);
    if (!t)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", what);
    memset(t, 0, sizeof *t);
    size_t bytes = numel * vn_dtype_size(dtype);
    t->data = zero ? vn__calloc(1, bytes) : vn__malloc(bytes);
    if (!t->data) {
        vn__free(t);
        return vn__error(VN_ERR_NOMEM, "%s: out of memory allocating %zu bytes", what, bytes);
    }
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    t->numel = numel;
    t->owns = true;
    *out = t;
    return VN_OK;
}

VN_API vn_status vn_tensor_create(vn_dtype dtype, int ndim, const int64_t *shape, vn_tensor **out)
{
    return tensor_alloc("vn_tensor_create", dtype, ndim, shape, true, out);
}

vn_status vn__tensor_empty(vn_dtype dtype, int ndim, const int64_t *shape, vn_tensor **out)
{
    return tensor_alloc("tensor", dtype, ndim, shape, false, out);
}

vn_status vn__tensor_new3(vn_dtype dtype, int64_t d0, int64_t d1, int64_t d2, vn_tensor **out)
{
    int64_t s[3] = {d0, d1, d2};
    return tensor_alloc("tensor", dtype, 3, s, false, out);
}

vn_status vn__tensor_new4(vn_dtype dtype, int64_t d0, int64_t d1, int64_t d2, int64_t d3,
                          vn_tensor **out)
{
    int64_t s[4] = {d0, d1, d2, d3};
    return tensor_alloc("tensor", dtype, 4, s, false, out);
}

VN_API vn_status vn_tensor_wrap(vn_dtype dtype, int ndim, const int64_t *shape, void *data,
                                vn_release_fn release, void *user_data, vn_tensor **out)
{
    size_t numel = 0;
    vn_status s = VN_OK;
    if (!out)
        s = vn__error(VN_ERR_INVALID_ARG, "vn_tensor_wrap: out is NULL");
    else
        s = vn__shape_numel("vn_tensor_wrap", dtype, ndim, shape, &numel);
    if (s == VN_OK && !data && numel > 0)
        s = vn__error(VN_ERR_INVALID_ARG, "vn_tensor_wrap: data is NULL");
    vn_tensor *t = NULL;
    if (s == VN_OK) {
        t = vn__malloc(sizeof *t);
        if (!t)
            s = vn__error(VN_ERR_NOMEM, "vn_tensor_wrap: out of memory");
    }
    if (s != VN_OK) {
        /* The contract: release is called even when wrapping fails, so the
         * caller never has to guess who frees the buffer. */
        if (release)
            release(data, user_data);
        return s;
    }
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    t->numel = numel;
    t->data = data;
    t->release = release;
    t->release_user = user_data;
    t->owns = false;
    *out = t;
    return VN_OK;
}

VN_API vn_status vn_tensor_copy(const vn_tensor *src, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_copy: NULL argument");
    vn_tensor *t = NULL;
    VN_TRY(tensor_alloc("vn_tensor_copy", src->dtype, src->ndim, src->shape, false, &t));
    memcpy(t->data, src->data, vn_tensor_nbytes(src));
    *out = t;
    return VN_OK;
}

static inline float round_sat(float v, float lo, float hi)
{
    if (!(v >= lo)) /* also NaN */
        return lo;
    if (v > hi)
        return hi;
    return nearbyintf(v);
}

VN_API vn_status vn_tensor_convert(const vn_tensor *src, vn_dtype dtype, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_convert: NULL argument");
    vn_tensor *t = NULL;
    VN_TRY(tensor_alloc("vn_tensor_convert", dtype, src->ndim, src->shape, false, &t));
    size_t n = src->numel;
    if (src->dtype == dtype) {
        memcpy(t->data, src->data, vn_tensor_nbytes(src));
    } else if (dtype == VN_F32) {
        float *d = t->data;
        if (src->dtype == VN_U8)
            for (size_t i = 0; i < n; i++) d[i] = ((const uint8_t *)src->data)[i];
        else
            for (size_t i = 0; i < n; i++) d[i] = (float)((const int32_t *)src->data)[i];
    } else if (dtype == VN_U8) {
        uint8_t *d = t->data;
        if (src->dtype == VN_F32)
            for (size_t i = 0; i < n; i++) d[i] = (uint8_t)round_sat(((const float *)src->data)[i], 0, 255);
        else
            for (size_t i = 0; i < n; i++) {
                int32_t v = ((const int32_t *)src->data)[i];
                d[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    } else {
        int32_t *d = t->data;
        if (src->dtype == VN_F32)
            for (size_t i = 0; i < n; i++) {
                double v = ((const float *)src->data)[i];
                d[i] = !(v >= -2147483648.0) ? INT32_MIN : v > 2147483647.0 ? INT32_MAX : (int32_t)nearbyint(v);
            }
        else
            for (size_t i = 0; i < n; i++) d[i] = ((const uint8_t *)src->data)[i];
    }
    *out = t;
    return VN_OK;
}

VN_API void vn_tensor_destroy(vn_tensor *t)
{
    if (!t)
        return;
    if (t->owns)
        vn__free(t->data);
    else if (t->release)
        t->release(t->data, t->release_user);
    vn__free(t);
}

VN_API vn_status vn_tensor_reshape(vn_tensor *t, int ndim, const int64_t *shape)
{
    if (!t)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_reshape: tensor is NULL");
    if (ndim < 0 || ndim > VN_MAX_DIMS || (ndim > 0 && !shape))
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_reshape: bad ndim %d", ndim);
    int64_t s[VN_MAX_DIMS];
    int infer = -1;
    size_t known = 1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i];
        if (s[i] == -1) {
            if (infer >= 0)
                return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_reshape: more than one -1 dimension");
            infer = i;
            continue;
        }
        if (s[i] < 0 || (uint64_t)s[i] > SIZE_MAX || !vn__mul_size(known, (size_t)s[i], &known))
            return vn__error(VN_ERR_SHAPE, "vn_tensor_reshape: bad dimension %lld", (long long)s[i]);
    }
    if (infer >= 0) {
        if (known == 0 || t->numel % known)
            return vn__error(VN_ERR_SHAPE, "vn_tensor_reshape: cannot infer a dimension of %zu elements",
                             t->numel);
        s[infer] = (int64_t)(t->numel / known);
        known = t->numel;
    }
    if (known != t->numel) {
        char buf[96];
        return vn__error(VN_ERR_SHAPE, "vn_tensor_reshape: %zu elements cannot become %zu (from %s)",
                         t->numel, known, vn__shape_str(t, buf, sizeof buf));
    }
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = s[i];
    return VN_OK;
}

VN_API vn_status vn_tensor_flatten(vn_tensor *t, int start_dim)
{
    if (!t)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_flatten: tensor is NULL");
    if (start_dim < 0)
        start_dim += t->ndim;
    if (start_dim < 0 || start_dim >= VN_MAX_DIMS || (t->ndim > 0 && start_dim >= t->ndim))
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_flatten: start_dim %d out of range for %d dimensions",
                         start_dim, t->ndim);
    int64_t s[VN_MAX_DIMS];
    int64_t rest = 1;
    for (int i = 0; i < start_dim; i++)
        s[i] = t->shape[i];
    for (int i = start_dim; i < t->ndim; i++)
        rest *= t->shape[i];
    s[start_dim] = rest;
    return vn_tensor_reshape(t, start_dim + 1, s);
}

VN_API vn_dtype vn_tensor_dtype(const vn_tensor *t) { return t->dtype; }
VN_API int vn_tensor_ndim(const vn_tensor *t) { return t->ndim; }

VN_API int64_t vn_tensor_dim(const vn_tensor *t, int i)
{
    if (i < 0)
        i += t->ndim;
    return (i >= 0 && i < t->ndim) ? t->shape[i] : 0;
}

VN_API void vn_tensor_shape(const vn_tensor *t, int64_t *shape)
{
    for (int i = 0; i < t->ndim; i++)
        shape[i] = t->shape[i];
}

VN_API size_t vn_tensor_numel(const vn_tensor *t) { return t->numel; }
VN_API size_t vn_tensor_nbytes(const vn_tensor *t) { return t->numel * vn_dtype_size(t->dtype); }
VN_API void *vn_tensor_data(vn_tensor *t) { return t->data; }
VN_API const void *vn_tensor_data_const(const vn_tensor *t) { return t->data; }

VN_API void vn_tensor_zero(vn_tensor *t)
{
    if (t && t->numel)
        memset(t->data, 0, vn_tensor_nbytes(t));
}

bool vn__tensor_same_shape(const vn_tensor *a, const vn_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

const char *vn__shape_str(const vn_tensor *t, char *buf, size_t n)
{
    size_t off = 0;
    off += (size_t)snprintf(buf + off, n - off, "[");
    for (int i = 0; i < t->ndim && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (off < n)
        snprintf(buf + off, n - off, "]");
    return buf;
}
