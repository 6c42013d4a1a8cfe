/* fuzz_onnx.c - libFuzzer target for the ONNX importer
 * (lib/transfer/onnx_*.c and the protobuf-c code generated from
 * onnx.proto): an import, in both batch modes, either fails with a message
 * and no model or gives a model that runs one inference forward on a zero
 * input (which may fail, e.g. out of memory, but must not crash) and saves.
 *
 * The library's allocator is bounded (fuzz_alloc.h), as for fuzz_model.c,
 * so the fuzzer explores the out-of-memory paths. */
#include "fuzz_alloc.h"
#include "fuzz_common.h"
#include "nn/model_file.h"
#include <visionnet/transfer.h>

#include <stdlib.h>

static void exercise(vn_model *m)
{
    int64_t shape[VN_MAX_DIMS];
    int nd = 0;
    if (vn_model_input_shape(m, shape + 1, &nd) != VN_OK)
        __builtin_trap();
    shape[0] = 1;
    vn_tensor *x = NULL;
    if (vn_tensor_create(VN_F32, nd + 1, shape, &x) == VN_OK) {
        const vn_tensor *y = NULL;
        vn_clear_error();
        fuzz_check_failure(vn_model_forward(m, x, VN_MODE_INFERENCE, &y));
        vn_tensor_destroy(x);
    }
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (vn__model_save_mem(m, NULL, &bytes, &n) == VN_OK)
        vn_free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_limit_memory();
    for (int batch = VN_ONNX_BATCH_FIRST; batch <= VN_ONNX_BATCH_NONE; batch++) {
        vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
        o.batch = batch;
        vn_model *m = (vn_model *)&o; /* must be reset to NULL on failure */
        vn_clear_error();
        vn_status s = vn_model_import_onnx_mem(data, size, &o, &m);
        fuzz_check_failure(s);
        if (s == VN_OK) {
            if (!m)
                __builtin_trap();
            exercise(m);
            vn_model_destroy(m);
        } else if (m) {
            __builtin_trap();
        }
    }
    return 0;
}
