/*
 * alloc.c - every allocation of the library goes through these hooks, so an
 * embedder can route memory to its own allocator (vn_set_allocator).
 */
#include "vn_internal.h"

#include <stdlib.h>
#include <string.h>

static void *default_malloc(size_t size, void *u) { (void)u; return malloc(size); }
static void *default_realloc(void *p, size_t size, void *u) { (void)u; return realloc(p, size); }
static void default_free(void *p, void *u) { (void)u; free(p); }

static vn_malloc_fn g_malloc = default_malloc;
static vn_realloc_fn g_realloc = default_realloc;
static vn_free_fn g_free = default_free;
static void *g_user;

VN_API vn_status vn_set_allocator(vn_malloc_fn malloc_fn, vn_realloc_fn realloc_fn,
                                  vn_free_fn free_fn, void *user_data)
{
    if (!malloc_fn && !realloc_fn && !free_fn) {
        g_malloc = default_malloc;
        g_realloc = default_realloc;
        g_free = default_free;
        g_user = NULL;
        return VN_OK;
    }
    if (!malloc_fn || !realloc_fn || !free_fn)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_set_allocator: give all three functions, or none to restore the default");
    g_malloc = malloc_fn;
    g_realloc = realloc_fn;
    g_free = free_fn;
    g_user = user_data;
    return VN_OK;
}

void *vn__malloc(size_t size)
{
    return g_malloc(size ? size : 1, g_user);
}

void *vn__calloc(size_t n, size_t size)
{
    size_t total;
    if (!vn__mul_size(n, size, &total))
        return NULL;
    void *p = vn__malloc(total);
    if (p)
        memset(p, 0, total);
    return p;
}

void *vn__realloc(void *ptr, size_t size)
{
    return g_realloc(ptr, size ? size : 1, g_user);
}

void vn__free(void *ptr)
{
    if (ptr)
        g_free(ptr, g_user);
}

char *vn__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = vn__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void *vn__alloc_or_error(size_t size, const char *what)
{
    void *p = vn__malloc(size);
    if (!p)
        vn__error(VN_ERR_NOMEM, "%s: out of memory allocating %zu bytes", what, size);
    return p;
}

VN_API void *vn_malloc(size_t size)
{
    return vn__malloc(size);
}

VN_API void vn_free(void *ptr)
{
    vn__free(ptr);
}
