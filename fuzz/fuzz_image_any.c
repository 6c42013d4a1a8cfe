/* fuzz_image_any.c - libFuzzer target for the whole read path: probing by
 * content, the registry's header / limit / decode / channel-conversion
 * sequence, over every built-in codec. The wanted channel count comes from
 * the input's size. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    vn_image_info info = VN_IMAGE_INFO_INIT;
    vn_clear_error();
    vn_status si = vn_image_info_mem(data, size, &info);
    fuzz_check_failure(si);
    vn_decode_options o = VN_DECODE_OPTIONS_INIT;
    o.channels = (int)(size % 5);
    vn_tensor *t = NULL;
    vn_clear_error();
    vn_status s = vn_image_decode(data, size, &o, &t);
    fuzz_check_failure(s);
    if (s == VN_OK) {
        if (si != VN_OK || t->shape[0] != info.height || t->shape[1] != info.width ||
            (o.channels && t->shape[2] != o.channels))
            __builtin_trap();
        vn_tensor_destroy(t);
    }
    return 0;
}
