/* fuzz_weights.c - libFuzzer target for weights files
 * (vn_model_load_weights_mem: lib/transfer/weights.c on the safetensors
 * reader of lib/nn/model_file.c). Invariants, whatever the input:
 * - a failure leaves a message and the model bit-for-bit as it was;
 * - a success under the lenient policy reports every parameter as loaded,
 *   missing or mismatched, and the model's weights then save and load back
 *   strictly into a second model to the same bits.
 * The model is the small CNN of tests/data/make_weights.py, whose files
 * (tests/data/weights/) seed the corpus. */
#include "fuzz_common.h"
#include "nn/model_file.h"
#include <visionnet/transfer.h>

#include <stdlib.h>

static const char *SPEC = "input shape=1,8,8 seed=5\n"
                          "conv2d name=conv1 out=4 k=3 pad=1\n"
                          "batch_norm2d name=bn1\n"
                          "relu name=relu1\n"
                          "max_pool2d name=pool1 k=2\n"
                          "flatten name=flat\n"
                          "dense name=fc out=3\n";

/* All parameter bytes of m, concatenated (malloc'ed). */
static uint8_t *snapshot(vn_model *m, size_t *n)
{
    size_t total = 0;
    for (int i = 0; i < vn_model_param_count(m); i++) {
        vn_tensor *v;
        vn_model_param(m, i, NULL, &v, NULL, NULL);
        total += vn_tensor_nbytes(v);
    }
    uint8_t *s = malloc(total ? total : 1), *p = s;
    for (int i = 0; s && i < vn_model_param_count(m); i++) {
        vn_tensor *v;
        vn_model_param(m, i, NULL, &v, NULL, NULL);
        memcpy(p, vn_tensor_data(v), vn_tensor_nbytes(v));
        p += vn_tensor_nbytes(v);
    }
    *n = total;
    return s;
}

static void check_round_trip(vn_model *m)
{
    uint8_t *bytes = NULL;
    size_t n = 0;
    vn_model *b = NULL;
    if (vn__safetensors_save_mem(m, &bytes, &n) != VN_OK || vn_model_from_spec(SPEC, &b) != VN_OK)
        __builtin_trap();
    if (vn_model_load_weights_mem(b, bytes, n, "round trip", VN_WEIGHTS_STRICT, NULL) != VN_OK)
        __builtin_trap();
    size_t na, nb;
    uint8_t *sa = snapshot(m, &na), *sb = snapshot(b, &nb);
    if (!sa || !sb || na != nb || memcmp(sa, sb, na) != 0)
        __builtin_trap();
    free(sa);
    free(sb);
    vn__free(bytes);
    vn_model_destroy(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    vn_model *m = NULL;
    if (vn_model_from_spec(SPEC, &m) != VN_OK)
        __builtin_trap();
    size_t n0;
    uint8_t *before = snapshot(m, &n0);
    vn_weights_report *r = NULL;
    vn_status s = vn_model_load_weights_mem(m, data, size, "fuzz", VN_WEIGHTS_LENIENT, &r);
    if (s != VN_OK) {
        size_t n1;
        uint8_t *after = snapshot(m, &n1);
        if (!vn_last_error()[0] || r || n1 != n0 || memcmp(before, after, n0) != 0)
            __builtin_trap();
        free(after);
    } else {
        int sorted = vn_weights_report_count(r, VN_WEIGHTS_LOADED) +
                     vn_weights_report_count(r, VN_WEIGHTS_MISSING) +
                     vn_weights_report_count(r, VN_WEIGHTS_MISMATCHED);
        if (!r || sorted != vn_model_param_count(m))
            __builtin_trap();
        check_round_trip(m);
    }
    vn_weights_report_destroy(r);
    free(before);
    vn_model_destroy(m);
    return 0;
}
