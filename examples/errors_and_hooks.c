/*
 * errors_and_hooks.c - the process-wide hooks and the error rules:
 * an allocator of the program's own, a log callback, a limit, what a
 * failing call reports, and who frees what.
 *
 *   cc errors_and_hooks.c $(pkg-config --cflags --libs visionnet) -o errors_and_hooks
 *   ./errors_and_hooks
 *
 * It ends by checking that every allocation the library made through the
 * program's allocator was freed again. The rules are in
 * docs/errors-and-ownership.md.
 */
#include <visionnet.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an allocator that counts live blocks (the hooks must be thread-safe) */
static atomic_long live_blocks;

static void *counting_malloc(size_t size, void *user_data)
{
    (void)user_data;
    void *p = malloc(size);
    if (p)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

static void *counting_realloc(void *ptr, size_t size, void *user_data)
{
    (void)user_data;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        atomic_fetch_add(&live_blocks, 1);
    return p;
}

static void counting_free(void *ptr, void *user_data)
{
    (void)user_data;
    if (ptr)
        atomic_fetch_sub(&live_blocks, 1);
    free(ptr);
}

/* ---- a log callback: the library is silent unless given one ------------- */
static void log_to_stdout(vn_log_level level, const char *message, void *user_data)
{
    int *count = user_data;
    (*count)++;
    static const char *names[] = {"error", "warn", "info", "debug"};
    printf("  [log %s] %s\n", level <= VN_LOG_DEBUG ? names[level] : "?", message);
}

/* ---- a buffer the program hands over to a tensor ------------------------- */
static void release_buffer(void *data, void *user_data)
{
    int *released = user_data;
    (*released)++;
    free(data);
}

/* One step: print the status and the message, say whether it was the expected one. */
static int expect(const char *what, vn_status got, vn_status want)
{
    printf("%-36s -> %s%s%s\n", what, vn_status_str(got), got != VN_OK ? ": " : "",
           got != VN_OK ? vn_last_error() : "");
    if (got != want) {
        fprintf(stderr, "errors_and_hooks: %s: expected %s\n", what, vn_status_str(want));
        return 1;
    }
    return 0;
}

int main(void)
{
    int failures = 0, logged = 0, released = 0;

    /* Hooks first, before any other call: memory must be freed by the
     * allocator that allocated it. */
    vn_status s = vn_set_allocator(counting_malloc, counting_realloc, counting_free, NULL);
    failures += expect("vn_set_allocator", s, VN_OK);
    vn_set_log_callback(log_to_stdout, VN_LOG_DEBUG, &logged);

    /* A 4 x 4 grey PGM, in memory. */
    static const uint8_t pgm[] = "P5\n4 4\n255\n"
                                 "\x00\x10\x20\x30\x40\x50\x60\x70"
                                 "\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0";
    size_t pgm_size = sizeof pgm - 1; /* without the string's NUL */

    /* Success: the tensor is ours until we destroy it. */
    vn_tensor *image = NULL;
    failures += expect("decode a 4x4 PGM", vn_image_decode(pgm, pgm_size, NULL, &image), VN_OK);
    vn_tensor_destroy(image);

    /* Foreign bytes: VN_ERR_FORMAT, and a message saying why; out untouched. */
    static const char junk[] = "this is not an image";
    vn_tensor *none = NULL;
    failures += expect("decode text", vn_image_decode(junk, sizeof junk, NULL, &none),
                       VN_ERR_FORMAT);
    if (none) {
        fprintf(stderr, "errors_and_hooks: a failed call set its out pointer\n");
        failures++;
    }

    /* A limit, set by key: images over 10 pixels are now refused, before
     * their pixels are allocated. */
    failures += expect("vn_set_limit(MAX_PIXELS, 10)", vn_set_limit(VN_LIMIT_MAX_PIXELS, 10), VN_OK);
    failures += expect("decode the 4x4 PGM again", vn_image_decode(pgm, pgm_size, NULL, &none),
                       VN_ERR_LIMIT);
    failures += expect("vn_set_limit(MAX_PIXELS, 0)", vn_set_limit(VN_LIMIT_MAX_PIXELS, 0),
                       VN_ERR_INVALID_ARG);
    vn_set_limit(VN_LIMIT_MAX_PIXELS, 100000000);

    /* Wrapping a buffer: with a release function the tensor owns it and
     * calls release_buffer once when destroyed. */
    int64_t shape[2] = {2, 3};
    float *values = calloc(6, sizeof *values);
    vn_tensor *wrapped = NULL;
    failures += expect("wrap an owned buffer",
                       vn_tensor_wrap(VN_F32, 2, shape, values, release_buffer, &released, &wrapped),
                       VN_OK);
    vn_tensor_destroy(wrapped);
    /* Without one, the buffer is borrowed: it stays ours. */
    float borrowed[6] = {0};
    failures += expect("wrap a borrowed buffer",
                       vn_tensor_wrap(VN_F32, 2, shape, borrowed, NULL, NULL, &wrapped), VN_OK);
    vn_tensor_destroy(wrapped);
    vn_tensor_destroy(NULL); /* a no-op */

    /* Buffers the library hands back are freed with vn_free(). */
    void *bytes = NULL;
    size_t n = 0;
    vn_tensor *t = NULL;
    failures += expect("create a tensor", vn_tensor_create(VN_U8, 2, shape, &t), VN_OK);
    failures += expect("encode it as .npy", vn_tensor_save_npy_mem(t, &bytes, &n), VN_OK);
    printf("%-36s    %zu bytes\n", "", n);
    vn_free(bytes);
    vn_tensor_destroy(t);

    vn_set_log_callback(NULL, VN_LOG_ERROR, NULL);
    printf("log messages received: %d; owned buffers released: %d; blocks still live: %ld\n",
           logged, released, (long)atomic_load(&live_blocks));
    if (released != 1 || atomic_load(&live_blocks) != 0 || logged == 0) {
        fprintf(stderr, "errors_and_hooks: release, free or log did not happen as documented\n");
        failures++;
    }
    vn_set_allocator(NULL, NULL, NULL, NULL);
    return failures ? 1 : 0;
}
