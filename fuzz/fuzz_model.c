/* fuzz_model.c - libFuzzer target for the model-file loader
 * (lib/nn/model_file.c, lib/core/json.c): a load either fails with a
 * message or gives a model (and maybe an optimizer) that saves and loads
 * back to the same parameters.
 *
 * A model file's spec decides how much memory the model takes before its
 * tensors can be checked against the file, so the library's allocator is
 * bounded (fuzz_alloc.h): the fuzzer then explores the out-of-memory paths
 * instead of stopping at libFuzzer's malloc limit. */
#include "fuzz_alloc.h"
#include "fuzz_common.h"
#include "nn/model_file.h"

#include <stdlib.h>

static void check_round_trip(vn_model *m, vn_optimizer *o)
{
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (vn__model_save_mem(m, o, &bytes, &n) != VN_OK)
        return; /* out of memory */
    vn_model *back = NULL;
    vn_optimizer *ob = NULL;
    if (vn_model_load_mem(bytes, n, "saved", &back, o ? &ob : NULL) != VN_OK) {
        if (strstr(vn_last_error(), "out of memory") == NULL)
            __builtin_trap(); /* what was saved must load */
    } else {
        if (vn_model_param_count(back) != vn_model_param_count(m))
            __builtin_trap();
        for (int i = 0; i < vn_model_param_count(m); i++) {
            vn_tensor *a, *b;
            if (vn_model_param(m, i, NULL, &a, NULL, NULL) != VN_OK ||
                vn_model_param(back, i, NULL, &b, NULL, NULL) != VN_OK ||
                vn_tensor_nbytes(a) != vn_tensor_nbytes(b) ||
                memcmp(vn_tensor_data(a), vn_tensor_data(b), vn_tensor_nbytes(a)) != 0)
                __builtin_trap();
        }
        if (o && (!ob || vn_optimizer_state_count(ob) != vn_optimizer_state_count(o)))
            __builtin_trap();
    }
    vn_optimizer_destroy(ob);
    vn_model_destroy(back);
    vn_free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_limit_memory();
    vn_model *m = NULL;
    vn_optimizer *o = NULL;
    vn_clear_error();
    vn_status s = vn_model_load_mem(data, size, "fuzz", &m, &o);
    fuzz_check_failure(s);
    if (s == VN_OK) {
        if (!m)
            __builtin_trap();
        check_round_trip(m, o);
    } else if (m || o) {
        __builtin_trap();
    }
    vn_optimizer_destroy(o);
    vn_model_destroy(m);
    return 0;
}
