/*
 * fuzz_alloc.h - a bounded allocator for the targets whose input decides
 * how much memory the library takes before it can be checked (a model
 * file's spec, an ONNX graph): the library's allocator refuses allocations
 * past FUZZ_MAX_BYTES in total, so the fuzzer explores the out-of-memory
 * paths instead of stopping at libFuzzer's malloc limit.
 * fuzz_limit_memory() installs it (once).
 */
#ifndef VN_FUZZ_ALLOC_H
#define VN_FUZZ_ALLOC_H

#include <visionnet/core.h>

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_BYTES ((size_t)64 << 20)

/* Each block carries its size in a 16-byte prefix, so the total can be kept. */
static size_t g_fuzz_live;

static void *fuzz_malloc(size_t n, void *u)
{
    (void)u;
    if (n > FUZZ_MAX_BYTES || g_fuzz_live + n > FUZZ_MAX_BYTES)
        return NULL;
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = n;
    g_fuzz_live += n;
    return (char *)p + 16;
}

static void fuzz_free(void *ptr, void *u)
{
    (void)u;
    if (!ptr)
        return;
    size_t *p = (size_t *)((char *)ptr - 16);
    g_fuzz_live -= p[0];
    free(p);
}

static void *fuzz_realloc(void *ptr, size_t n, void *u)
{
    if (!ptr)
        return fuzz_malloc(n, u);
    size_t old = ((size_t *)((char *)ptr - 16))[0];
    void *np = fuzz_malloc(n, u);
    if (!np)
        return NULL;
    memcpy(np, ptr, old < n ? old : n);
    fuzz_free(ptr, u);
    return np;
}

static void fuzz_limit_memory(void)
{
    static int hooked;
    if (!hooked) {
        vn_set_allocator(fuzz_malloc, fuzz_realloc, fuzz_free, NULL);
        hooked = 1;
    }
}

#endif
