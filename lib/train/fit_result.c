/*
 * fit_result.c - vn_fit_result, the history of a vn_fit() run: one
 * vn_epoch_stats per finished epoch, the best epoch and whether early
 * stopping ended the run. The caller creates it, vn_fit() fills it (also
 * when the run fails or is aborted), the caller reads it with getters.
 */
#include "train/fit_internal.h"

#include <string.h>

struct vn_fit_result {
    int n, cap;
    vn_epoch_stats *epochs;
    int best_epoch;
    int stopped_early;
};

VN_API vn_status vn_fit_result_create(vn_fit_result **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit_result_create: out is NULL");
    vn_fit_result *r = vn__calloc(1, sizeof *r);
    if (!r)
        return vn__error(VN_ERR_NOMEM, "vn_fit_result_create: out of memory");
    *out = r;
    return VN_OK;
}

VN_API void vn_fit_result_destroy(vn_fit_result *r)
{
    if (!r)
        return;
    vn__free(r->epochs);
    vn__free(r);
}

void vn__fit_result_clear(vn_fit_result *r)
{
    r->n = 0;
    r->best_epoch = 0;
    r->stopped_early = 0;
}

vn_status vn__fit_result_append(vn_fit_result *r, const vn_epoch_stats *e)
{
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        vn_epoch_stats *v = vn__realloc(r->epochs, (size_t)cap * sizeof *v);
        if (!v)
            return vn__error(VN_ERR_NOMEM, "vn_fit: out of memory for the history");
        r->epochs = v;
        r->cap = cap;
    }
    r->epochs[r->n++] = *e;
    return VN_OK;
}

void vn__fit_result_mark(vn_fit_result *r, int best_epoch, int stopped_early)
{
    r->best_epoch = best_epoch;
    r->stopped_early = stopped_early;
}

VN_API int vn_fit_result_epochs(const vn_fit_result *r)
{
    return r ? r->n : 0;
}

VN_API vn_status vn_fit_result_epoch(const vn_fit_result *r, int i, vn_epoch_stats *out)
{
    if (!r || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit_result_epoch: NULL argument");
    if (i < 0 || i >= r->n)
        return vn__error(VN_ERR_INVALID_ARG, "vn_fit_result_epoch: epoch entry %d is not in 0..%d",
                         i, r->n - 1);
    if (out->size < sizeof(size_t))
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_fit_result_epoch: out->size is not set (sizeof(vn_epoch_stats))");
    size_t size = out->size;
    /* Copy what the caller's (possibly older, smaller) struct holds. */
    memcpy((char *)out + sizeof(size_t), (const char *)&r->epochs[i] + sizeof(size_t),
           VN_MIN(size, sizeof(vn_epoch_stats)) - sizeof(size_t));
    return VN_OK;
}

VN_API int vn_fit_result_best_epoch(const vn_fit_result *r)
{
    return r ? r->best_epoch : 0;
}

VN_API int vn_fit_result_stopped_early(const vn_fit_result *r)
{
    return r ? r->stopped_early : 0;
}
