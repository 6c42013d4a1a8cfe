/*
 * threads.c - the thread count the library's pool uses. The pool itself is
 * in lib/kernels (the only layer that knows about threads); this file holds
 * the setting so every layer can read it.
 */
#include "vn_internal.h"

#include <stdatomic.h>
#include <unistd.h>

static _Atomic int g_threads; /* 0 = one per online core */

VN_API vn_status vn_set_num_threads(int n)
{
    if (n < 0 || n > 1024)
        return vn__error(VN_ERR_INVALID_ARG, "vn_set_num_threads: %d is not in 0..1024", n);
    atomic_store(&g_threads, n);
    return VN_OK;
}

int vn__num_threads(void)
{
    int n = atomic_load(&g_threads);
    if (n > 0)
        return n;
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    return c >= 1 ? (int)VN_MIN(c, 1024) : 1;
}

VN_API int vn_get_num_threads(void)
{
    return vn__num_threads();
}
