/*
 * limits.c - long-lived knobs set by key (zstd's setParameter style), read
 * by the decoders and file loaders before they allocate.
 */
#include "vn_internal.h"

#include <stdatomic.h>

static _Atomic uint64_t g_max_pixels = 100000000u;          /* 10^8 pixels */
static _Atomic uint64_t g_max_file_bytes = 2147483648u;     /* 2 GiB */

VN_API vn_status vn_set_limit(vn_limit limit, uint64_t value)
{
    if (value == 0)
        return vn__error(VN_ERR_INVALID_ARG, "vn_set_limit: a limit must be at least 1");
    switch (limit) {
    case VN_LIMIT_MAX_PIXELS: atomic_store(&g_max_pixels, value); return VN_OK;
    case VN_LIMIT_MAX_FILE_BYTES: atomic_store(&g_max_file_bytes, value); return VN_OK;
    }
    return vn__error(VN_ERR_INVALID_ARG, "vn_set_limit: unknown limit %d", (int)limit);
}

VN_API vn_status vn_get_limit(vn_limit limit, uint64_t *value)
{
    if (!value)
        return vn__error(VN_ERR_INVALID_ARG, "vn_get_limit: value is NULL");
    switch (limit) {
    case VN_LIMIT_MAX_PIXELS: *value = atomic_load(&g_max_pixels); return VN_OK;
    case VN_LIMIT_MAX_FILE_BYTES: *value = atomic_load(&g_max_file_bytes); return VN_OK;
    }
    return vn__error(VN_ERR_INVALID_ARG, "vn_get_limit: unknown limit %d", (int)limit);
}

uint64_t vn__limit(vn_limit limit)
{
    uint64_t v = 0;
    vn_get_limit(limit, &v);
    return v;
}

vn_status vn__check_pixels(const char *what, uint64_t width, uint64_t height)
{
    uint64_t max = vn__limit(VN_LIMIT_MAX_PIXELS);
    if (width == 0 || height == 0)
        return vn__error(VN_ERR_FORMAT, "%s: image has zero size (%llux%llu)", what,
                         (unsigned long long)width, (unsigned long long)height);
    if (width > max || height > max || width * height > max)
        return vn__error(VN_ERR_LIMIT, "%s: image is %llux%llu pixels, over the limit of %llu (vn_set_limit)",
                         what, (unsigned long long)width, (unsigned long long)height,
                         (unsigned long long)max);
    return VN_OK;
}
