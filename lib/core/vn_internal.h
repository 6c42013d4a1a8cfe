/*
 * vn_internal.h - what every file of the library shares and nothing outside
 * it sees: error raising, allocation through the hooks, logging, limits,
 * whole-file I/O and the RNG state struct.
 *
 * Internal cross-file symbols are named vn__* and are never exported (the
 * version script exports vn_* only, and hidden visibility is the default).
 */
#ifndef VN_INTERNAL_H
#define VN_INTERNAL_H

#include "vn_config.h"
#include <visionnet/core.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#  define VN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define VN_LIKELY(x) __builtin_expect(!!(x), 1)
#  define VN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define VN_PRINTF(a, b)
#  define VN_LIKELY(x) (x)
#  define VN_UNLIKELY(x) (x)
#endif

#define VN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define VN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors (lib/core/error.c) ---------------------------------------- */
/* Record a message for vn_last_error() on this thread and return status,
 * so that error paths read `return vn__error(VN_ERR_FORMAT, "...", ...);`. */
vn_status vn__error(vn_status status, const char *fmt, ...) VN_PRINTF(2, 3);
/* Prepend "prefix: " to the current message (to add context on the way up). */
vn_status vn__error_prefix(vn_status status, const char *prefix);
/* Shorthands for the common cases. */
#define VN_CHECK_ARG(cond, what) \
    do { if (VN_UNLIKELY(!(cond))) return vn__error(VN_ERR_INVALID_ARG, "%s: %s", __func__, what); } while (0)
#define VN_TRY(expr) \
    do { vn_status vn__s = (expr); if (vn__s != VN_OK) return vn__s; } while (0)

/* ---- allocation (lib/core/alloc.c) ------------------------------------- */
void *vn__malloc(size_t size);
/* Zeroed n*size bytes; NULL (no allocation) when n*size overflows. */
void *vn__calloc(size_t n, size_t size);
void *vn__realloc(void *ptr, size_t size);
void vn__free(void *ptr);
char *vn__strdup(const char *s);
/* *out = a*b; returns false on overflow. */
static inline bool vn__mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool vn__add_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
/* vn__malloc that sets VN_ERR_NOMEM's message itself; NULL on failure. */
void *vn__alloc_or_error(size_t size, const char *what);

/* ---- byte order --------------------------------------------------------- */
/* Files (.npy, safetensors) are little-endian; a big-endian host swaps. */
static inline bool vn__host_little_endian(void)
{
    const union { uint16_t u; uint8_t b[2]; } one = {1};
    return one.b[0] == 1;
}
/* Reverse the bytes of each of n 4-byte elements in place. */
static inline void vn__swap32(void *data, size_t n)
{
    uint8_t *p = data;
    for (size_t i = 0; i < n; i++, p += 4) {
        uint8_t t = p[0];
        p[0] = p[3];
        p[3] = t;
        t = p[1];
        p[1] = p[2];
        p[2] = t;
    }
}

/* ---- logging (lib/core/log.c) ------------------------------------------ */
void vn__log(vn_log_level level, const char *fmt, ...) VN_PRINTF(2, 3);

/* ---- limits (lib/core/limits.c) ---------------------------------------- */
uint64_t vn__limit(vn_limit limit);
/* VN_OK, or VN_ERR_LIMIT with a message naming `what`, for a w x h image. */
vn_status vn__check_pixels(const char *what, uint64_t width, uint64_t height);

/* ---- files (lib/core/file.c) ------------------------------------------- */
/* Read a whole file (refusing files over VN_LIMIT_MAX_FILE_BYTES); the
 * buffer is vn__malloc'ed and owned by the caller. */
vn_status vn__read_file(const char *path, uint8_t **bytes, size_t *n);
/* Write to "path.tmp-XXXXXX" in the same folder, fsync, rename over path. */
vn_status vn__write_file_atomic(const char *path, const void *bytes, size_t n);
/* Lower-case extension of a path without the dot ("" when none), into buf. */
void vn__path_extension(const char *path, char *buf, size_t buf_size);

/* ---- random numbers (lib/core/rng.c) ----------------------------------- */
/* The state behind vn_rng, public to the library so kernels can keep one on
 * the stack: Philox4x32-10 keyed by the seed, counter = (position/4, stream). */
struct vn_rng {
    uint64_t key;
    uint64_t stream;
    uint64_t block;     /* index of the next 4-word block */
    uint32_t buf[4];
    int used;           /* words of buf already handed out (4 = empty) */
};
void vn__rng_init(struct vn_rng *rng, uint64_t seed, uint64_t stream);
/* Mix several integers into one stream id (seed, epoch, sample, op...). */
uint64_t vn__rng_stream(uint64_t a, uint64_t b, uint64_t c);

/* ---- threads (lib/core/threads.c) -------------------------------------- */
int vn__num_threads(void);

#endif /* VN_INTERNAL_H */
