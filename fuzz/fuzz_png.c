/* fuzz_png.c - libFuzzer target for the PNG codec (lib/image/codec_png.c):
 * header, decode (8-bit and keep_16bit, chosen by the input's size), channel
 * conversion of the result, and an encode / decode round trip. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    vn_tensor *t = fuzz_codec(&vn__codec_png, data, size, (int)(size & 1));
    if (t) {
        vn_tensor *c = NULL;
        if (vn_image_convert_channels(t, (int)(size >> 1) % 4 + 1, &c) == VN_OK)
            vn_tensor_destroy(c);
        fuzz_round_trip("png", t);
        vn_tensor_destroy(t);
    }
    return 0;
}
