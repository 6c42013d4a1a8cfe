/*
 * scratch.c - per-thread scratch buffers for the kernels.
 *
 * im2col columns, gathered gradients and partial sums need memory on every
 * call; a fresh allocation costs a page fault per 4 KiB touched (some 12 us
 * per page here), more than the arithmetic on it for small layers. So each
 * thread keeps a few buffers that grow to the largest size asked for and are
 * reused by every later call on that thread. They are freed when the thread
 * exits (a pthread key destructor); the pool's workers live as long as the
 * process.
 */
#include "kernels/kernels.h"

#include <pthread.h>
#include <string.h>

#define SCRATCH_ALIGN 64

typedef struct scratch {
    void *raw[VN__SCRATCH_SLOTS];
    float *aligned[VN__SCRATCH_SLOTS];
    size_t cap[VN__SCRATCH_SLOTS];   /* floats */
    bool registered;
} scratch;

static _Thread_local scratch tls_scratch;
static pthread_key_t g_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void scratch_release(void *arg)
{
    scratch *s = arg;
    for (int i = 0; i < VN__SCRATCH_SLOTS; i++) {
        vn__free(s->raw[i]);
        s->raw[i] = NULL;
        s->aligned[i] = NULL;
        s->cap[i] = 0;
    }
    s->registered = false;
}

static void make_key(void)
{
    (void)pthread_key_create(&g_key, scratch_release);
}

float *vn__scratch(int slot, size_t n)
{
    scratch *s = &tls_scratch;
    if (slot < 0 || slot >= VN__SCRATCH_SLOTS) {
        vn__error(VN_ERR_INTERNAL, "scratch: slot %d out of range", slot);
        return NULL;
    }
    if (n <= s->cap[slot] && s->aligned[slot])
        return s->aligned[slot];
    if (!s->registered) {
        pthread_once(&g_key_once, make_key);
        (void)pthread_setspecific(g_key, s);
        s->registered = true;
    }
    /* Grow by at least a quarter so a slowly growing size does not
     * reallocate every call. */
    size_t want = VN_MAX(n, s->cap[slot] + s->cap[slot] / 4);
    size_t bytes;
    if (!vn__mul_size(want, sizeof(float), &bytes) || !vn__add_size(bytes, SCRATCH_ALIGN, &bytes)) {
        vn__error(VN_ERR_NOMEM, "scratch: %zu floats overflow the address space", n);
        return NULL;
    }
    void *raw = vn__malloc(bytes);
    if (!raw) {
        vn__error(VN_ERR_NOMEM, "scratch: out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    vn__free(s->raw[slot]);
    s->raw[slot] = raw;
    uintptr_t a = ((uintptr_t)raw + SCRATCH_ALIGN - 1) & ~(uintptr_t)(SCRATCH_ALIGN - 1);
    s->aligned[slot] = (float *)a;
    s->cap[slot] = want;
    return s->aligned[slot];
}
