/**
 * @file visionnet/core.h
 * @brief Status codes, errors, allocator, logging, version, threads, limits
 *        and the counter-based random number generator.
 *
 * Every other header of libvisionnet includes this one. The rules that hold
 * for the whole library are stated here once:
 *
 * - Every fallible function returns a ::vn_status. ::VN_OK is 0, errors are
 *   negative and their values never change. On error the out pointers are
 *   left untouched (or set to NULL where documented) and vn_last_error()
 *   returns a sentence saying what was wrong.
 * - `*_create` / `*_load` / `*_read` hand ownership to the caller; every
 *   `*_destroy(NULL)` is a no-op. Functions that return a borrowed pointer
 *   say so.
 * - The library never prints, never exits and never aborts on any input.
 * - Distinct handles may be used from distinct threads at the same time; one
 *   handle must not be used from two threads at once without the caller's
 *   lock. The process-wide settings below (allocator, log callback, limits,
 *   thread count) are meant to be set once at start-up.
 */
#ifndef VISIONNET_CORE_H
#define VISIONNET_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Export macro
 *  Marks every public symbol. The library is built with hidden visibility
 *  and a version script, so nothing without VN_API is exported. */
/**@{*/
#if defined(_WIN32) && defined(VN_BUILDING_DLL)
#  define VN_API __declspec(dllexport)
#elif defined(_WIN32) && defined(VN_USING_DLL)
#  define VN_API __declspec(dllimport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define VN_API __attribute__((visibility("default")))
#else
#  define VN_API
#endif
/**@}*/

/** @name Version of the header
 *  Compare with vn_version_number() at run time to check that the header a
 *  program was built with matches the library it loaded. */
/**@{*/
#define VN_VERSION_MAJOR 0
#define VN_VERSION_MINOR 1
#define VN_VERSION_PATCH 0
/** major*10000 + minor*100 + patch, e.g. 100 for 0.1.0 */
#define VN_VERSION_NUMBER (VN_VERSION_MAJOR * 10000 + VN_VERSION_MINOR * 100 + VN_VERSION_PATCH)
#define VN_VERSION_STRING "0.1.0"
/**@}*/

/** Version of the library that is loaded, as VN_VERSION_NUMBER. */
VN_API unsigned vn_version_number(void);
/** Version of the library that is loaded, as "MAJOR.MINOR.PATCH" (static string). */
VN_API const char *vn_version(void);

/**
 * Result of every fallible function. The values are pinned: they are part
 * of the ABI and never change; new codes are only ever appended.
 */
typedef enum vn_status {
    VN_OK = 0,                /**< success */
    VN_ERR_INVALID_ARG = -1,  /**< a NULL or out-of-range argument */
    VN_ERR_NOMEM = -2,        /**< an allocation failed */
    VN_ERR_SHAPE = -3,        /**< tensor shapes or dtypes do not fit */
    VN_ERR_IO = -4,           /**< a file could not be opened, read or written */
    VN_ERR_FORMAT = -5,       /**< malformed, truncated or foreign input */
    VN_ERR_UNSUPPORTED = -6,  /**< valid input the library cannot handle */
    VN_ERR_LIMIT = -7,        /**< input over a limit set by vn_set_limit() */
    VN_ERR_ABORTED = -8,      /**< an abort callback asked to stop */
    VN_ERR_INTERNAL = -9      /**< a bug in the library: please report it */
} vn_status;

/** Short name of a status code ("VN_ERR_FORMAT"); a static string, never NULL. */
VN_API const char *vn_status_str(vn_status status);

/**
 * The message of the last error raised on the calling thread, e.g.
 * "png: image is 70000x70000 pixels, over the limit of 100000000".
 * Never NULL; "" when no error was raised. The string is owned by the
 * library and stays valid until the next libvisionnet call on this thread.
 */
VN_API const char *vn_last_error(void);

/** Forget the last error of the calling thread. */
VN_API void vn_clear_error(void);

/** @name Allocator hooks
 *  All memory the library allocates goes through these. Set them before any
 *  other call (memory allocated by one allocator must be freed by the same).
 *  All three NULL restores the C library's malloc / realloc / free. The
 *  functions must be thread-safe. A malloc hook returning NULL makes the
 *  calling function fail with ::VN_ERR_NOMEM. */
/**@{*/
typedef void *(*vn_malloc_fn)(size_t size, void *user_data);
typedef void *(*vn_realloc_fn)(void *ptr, size_t size, void *user_data);
typedef void (*vn_free_fn)(void *ptr, void *user_data);

/** Install the allocator. Either all three functions or none (all NULL). */
VN_API vn_status vn_set_allocator(vn_malloc_fn malloc_fn, vn_realloc_fn realloc_fn,
                                  vn_free_fn free_fn, void *user_data);
/** Allocate through the installed allocator (for buffers handed to the library). */
VN_API void *vn_malloc(size_t size);
/** Free a buffer the library handed to the caller (encoded images, spec text...). NULL is a no-op. */
VN_API void vn_free(void *ptr);
/**@}*/

/** @name Logging
 *  The library is silent by default. A program that wants diagnostics installs
 *  a callback; it is called from whichever thread logs, so it must be
 *  thread-safe. */
/**@{*/
typedef enum vn_log_level {
    VN_LOG_ERROR = 0,
    VN_LOG_WARN = 1,
    VN_LOG_INFO = 2,
    VN_LOG_DEBUG = 3
} vn_log_level;

typedef void (*vn_log_fn)(vn_log_level level, const char *message, void *user_data);

/** Send messages up to and including max_level to fn; fn NULL silences the library. */
VN_API void vn_set_log_callback(vn_log_fn fn, vn_log_level max_level, void *user_data);
/**@}*/

/** @name Threads
 *  The library runs its heavy kernels on a small pool of its own threads. */
/**@{*/
/** Use n threads for the library's work; 0 means one per online core. Always honoured. */
VN_API vn_status vn_set_num_threads(int n);
/** The number of threads the library uses (>= 1). */
VN_API int vn_get_num_threads(void);
/**@}*/

/** @name Limits
 *  Long-lived knobs set by key, zstd style: new limits are appended to the
 *  enum, no struct grows. */
/**@{*/
typedef enum vn_limit {
    /** Largest width*height an image decoder accepts (default 100,000,000).
     *  Checked from the header, before any pixel memory is allocated. */
    VN_LIMIT_MAX_PIXELS = 1,
    /** Largest file the library reads into memory, in bytes (default 2 GiB). */
    VN_LIMIT_MAX_FILE_BYTES = 2
} vn_limit;

/** Set a limit. value 0 is refused (::VN_ERR_INVALID_ARG). */
VN_API vn_status vn_set_limit(vn_limit limit, uint64_t value);
/** Read a limit into *value. */
VN_API vn_status vn_get_limit(vn_limit limit, uint64_t *value);
/**@}*/

/** @name Random numbers
 *  A counter-based generator (Philox4x32-10): the numbers are a pure function
 *  of (seed, stream, position), so results never depend on thread scheduling.
 *  The library keys its own streams by (seed, epoch, sample index). */
/**@{*/
typedef struct vn_rng vn_rng;

/** Create a generator for (seed, stream), positioned at 0. */
VN_API vn_status vn_rng_create(uint64_t seed, uint64_t stream, vn_rng **out);
VN_API void vn_rng_destroy(vn_rng *rng);
/** Move to position `position` (in 32-bit outputs) of the stream. */
VN_API void vn_rng_seek(vn_rng *rng, uint64_t position);
/** Next 32 random bits. */
VN_API uint32_t vn_rng_u32(vn_rng *rng);
/** Next uniform float in [0, 1) with 24 random bits. */
VN_API float vn_rng_uniform(vn_rng *rng);
/** Next standard normal (Box-Muller on two uniforms). */
VN_API float vn_rng_normal(vn_rng *rng);
/** Uniform integer in [0, n) without modulo bias; n must be >= 1. */
VN_API uint32_t vn_rng_below(vn_rng *rng, uint32_t n);
/** Philox4x32-10 block function: out = Philox(key, counter). */
VN_API void vn_philox4x32(uint64_t key, const uint32_t counter[4], uint32_t out[4]);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_CORE_H */
