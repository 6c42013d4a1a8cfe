/*
 * fuzz_common.h - what the libFuzzer targets share: a small pixel limit (so
 * the fuzzer explores parsers instead of allocating gigabytes for headers
 * that claim them), and the invariants every decoder must keep whatever the
 * input:
 * - a failure leaves a message in vn_last_error();
 * - a success returns a u8 (or i32) [H,W,C] tensor whose H and W are those
 *   the header reader reported;
 * - an encoded image decodes back to the same pixels (lossless codecs).
 * A broken invariant calls __builtin_trap(), which libFuzzer reports as a
 * crash with the input that caused it.
 */
#ifndef VN_FUZZ_COMMON_H
#define VN_FUZZ_COMMON_H

#include "image/codec_internal.h"

#include <string.h>

#define FUZZ_MAX_PIXELS (1u << 22)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void fuzz_init(void)
{
    static int done;
    if (!done) {
        vn_set_limit(VN_LIMIT_MAX_PIXELS, FUZZ_MAX_PIXELS);
        done = 1;
    }
}

static inline void fuzz_check_failure(vn_status s)
{
    if (s != VN_OK && vn_last_error()[0] == '\0')
        __builtin_trap();
}

/* Decode through one codec's vtable as the registry would, checking the
 * invariants; returns the tensor (owned by the caller) or NULL. */
static inline vn_tensor *fuzz_codec(const vn_codec *c, const uint8_t *data, size_t size, int keep_16bit)
{
    vn_image_info info = VN_IMAGE_INFO_INIT;
    vn_clear_error();
    vn_status si = c->info(data, size, &info, c->user_data);
    fuzz_check_failure(si);
    vn_decode_options o = VN_DECODE_OPTIONS_INIT;
    o.keep_16bit = keep_16bit;
    vn_tensor *t = NULL;
    vn_clear_error();
    vn_status s = c->decode(data, size, &o, &t, c->user_data);
    fuzz_check_failure(s);
    if (s != VN_OK)
        return NULL;
    if (si != VN_OK || !t || t->ndim != 3 || t->shape[0] != info.height || t->shape[1] != info.width ||
        t->shape[2] < 1 || t->shape[2] > 4 || (t->dtype != VN_U8 && !(t->dtype == VN_I32 && keep_16bit)))
        __builtin_trap();
    return t;
}

/* Encode t with the named codec and check it decodes to the same pixels. */
static inline void fuzz_round_trip(const char *codec, const vn_tensor *t)
{
    if (t->dtype != VN_U8)
        return;
    void *bytes = NULL;
    size_t n = 0;
    if (vn_image_encode(codec, t, NULL, &bytes, &n) != VN_OK)
        return; /* e.g. a channel count the format cannot hold */
    vn_tensor *back = NULL;
    if (vn_image_decode(bytes, n, NULL, &back) != VN_OK || !vn__tensor_same_shape(t, back) ||
        memcmp(t->data, back->data, vn_tensor_nbytes(t)) != 0)
        __builtin_trap();
    vn_tensor_destroy(back);
    vn_free(bytes);
}

#endif
