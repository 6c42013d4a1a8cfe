/* fuzz_pnm.c - libFuzzer target for the PNM codec (lib/image/codec_pnm.c):
 * header, decode (8-bit and keep_16bit, chosen by the input's size) and an
 * exact encode / decode round trip of what was decoded. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    vn_tensor *t = fuzz_codec(&vn__codec_pnm, data, size, (int)(size & 1));
    if (t) {
        fuzz_round_trip("pnm", t);
        vn_tensor_destroy(t);
    }
    return 0;
}
