/* fuzz_jpeg.c - libFuzzer target for the JPEG codec (lib/image/codec_jpeg.c):
 * header and decode; a decoded image is encoded again (lossy, so only that
 * the result decodes to the same shape is checked). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    vn_tensor *t = fuzz_codec(&vn__codec_jpeg, data, size, 0);
    if (t) {
        void *bytes = NULL;
        size_t n = 0;
        if (vn_image_encode("jpeg", t, NULL, &bytes, &n) == VN_OK) {
            vn_tensor *back = NULL;
            if (vn_image_decode(bytes, n, NULL, &back) != VN_OK || !vn__tensor_same_shape(t, back))
                __builtin_trap();
            vn_tensor_destroy(back);
            vn_free(bytes);
        }
        vn_tensor_destroy(t);
    }
    return 0;
}
