/* fuzz_npy.c - libFuzzer target for the .npy loader (lib/tensor/npy.c): a
 * load either fails with a message or gives a tensor that saves and loads
 * back to the same shape and bytes. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_tensor *t = NULL;
    vn_clear_error();
    vn_status s = vn_tensor_load_npy_mem(data, size, &t);
    fuzz_check_failure(s);
    if (s != VN_OK)
        return 0;
    void *bytes = NULL;
    size_t n = 0;
    if (vn_tensor_save_npy_mem(t, &bytes, &n) == VN_OK) {
        vn_tensor *back = NULL;
        if (vn_tensor_load_npy_mem(bytes, n, &back) != VN_OK || !vn__tensor_same_shape(t, back) ||
            back->dtype != t->dtype || memcmp(t->data, back->data, vn_tensor_nbytes(t)) != 0)
            __builtin_trap();
        vn_tensor_destroy(back);
        vn_free(bytes);
    }
    vn_tensor_destroy(t);
    return 0;
}
