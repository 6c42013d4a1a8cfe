/* test_onnx_import.c - ONNX import (visionnet/transfer.h,
 * lib/transfer/onnx_*.c, docs/onnx.md).
 *
 * The models under tests/data/onnx and the bad corpus under
 * tests/data/bad_onnx are written by tests/data/make_onnx_models.py (onnx
 * 1.12 + torch / numpy), which also writes each model's input and the
 * output torch or numpy computed for it. A build without ONNX support runs
 * only the test that every call is refused. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include <unistd.h>

#include <visionnet.h>
#include "vn_config.h"

#ifndef VN_TEST_DATA
#define VN_TEST_DATA "tests/data"
#endif

static const char *data_path(const char *rel)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", VN_TEST_DATA, rel);
    return buf;
}

#if VN_HAVE_ONNX

static vn_tensor *npy(const char *rel)
{
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_load_npy(data_path(rel), &t), VN_OK);
    return t;
}

static void assert_close(const vn_tensor *got, const vn_tensor *want, double tol)
{
    assert_int_equal(vn_tensor_numel(got), vn_tensor_numel(want));
    const float *a = vn_tensor_data_const(got), *b = vn_tensor_data_const(want);
    for (size_t i = 0; i < vn_tensor_numel(want); i++)
        if (fabs((double)a[i] - (double)b[i]) > tol * (1 + fabs((double)b[i])))
            fail_msg("element %zu: got %.8g, expected %.8g", i, a[i], b[i]);
}

static vn_model *import_ok(const char *rel, const vn_onnx_options *o)
{
    vn_model *m = NULL;
    vn_status s = vn_model_import_onnx(data_path(rel), o, &m);
    if (s != VN_OK)
        fail_msg("%s: %s", rel, vn_last_error());
    assert_non_null(m);
    return m;
}

static void run_and_compare(vn_model *m, const char *xin, const char *yout)
{
    vn_tensor *x = npy(xin), *y = npy(yout);
    const vn_tensor *out = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &out), VN_OK);
    assert_close(out, y, 1e-5);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

/* torch's CNN (conv, kept batch-norm, relu, max-pool, x.view(x.size(0), -1),
 * linear) gives torch's logits. */
static void test_torch_cnn_matches_torch(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/tiny_cnn.onnx", NULL);
    run_and_compare(m, "onnx/tiny_cnn_x.npy", "onnx/tiny_cnn_y.npy");
    vn_model_destroy(m);
}

/* A torch network using most mapped operators (Clip, depthwise / dilated /
 * transposed convs, Concat, arithmetic with constants, reflect Pad whose
 * pads torch computes with ConstantOfShape / Slice / Transpose, AveragePool,
 * Resize by scales and by sizes, ceil-mode MaxPool, Dropout, Gemm,
 * LogSoftmax) gives torch's output. */
static void test_mixed_torch_network_matches_torch(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/mixed.onnx", NULL);
    run_and_compare(m, "onnx/mixed_x.npy", "onnx/mixed_y.npy");
    vn_model_destroy(m);
}

/* BatchNorm1d on features [N, C] runs as batch_norm2d on [N, C, 1, 1]:
 * torch's output, and the parameters keep their names ("1.running_var" for
 * torch.nn.Sequential's second module). */
static void test_batch_norm_of_features_matches_torch(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/bn1d.onnx", NULL);
    run_and_compare(m, "onnx/bn1d_x.npy", "onnx/bn1d_y.npy");
    assert_true(vn_model_param_find(m, "1.running_var") >= 0);
    vn_model_destroy(m);
}

/* The shape arithmetic of x.view(x.size(0), -1) is folded away: one flatten,
 * no Shape / Gather / Concat nodes. */
static void test_view_of_batch_size_folds_to_flatten(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/tiny_cnn.onnx", NULL);
    static const char *const types[] = {"conv2d", "batch_norm2d", "relu", "max_pool2d",
                                        "flatten", "dense"};
    assert_int_equal(vn_model_node_count(m), 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(vn_model_node_type(m, i), types[i]);
    vn_model_destroy(m);
}

/* PyTorch's scoped node names become module paths, so parameters carry
 * state-dict names. */
static void test_parameters_take_state_dict_names(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/tiny_cnn.onnx", NULL);
    static const char *const names[] = {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                                        "bn1.running_mean", "bn1.running_var", "fc.weight",
                                        "fc.bias"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (vn_model_param_find(m, names[i]) < 0)
            fail_msg("no parameter %s", names[i]);
    vn_model_destroy(m);
}

/* MatMul + Add, Sigmoid, Gemm (alpha, transB), LeakyRelu, Softmax: numpy's
 * values. */
static void test_hand_built_mlp_matches_numpy(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/mlp.onnx", NULL);
    run_and_compare(m, "onnx/mlp_x.npy", "onnx/mlp_y.npy");
    vn_model_destroy(m);
}

/* MatMul by a constant followed by Add of a constant vector is one dense
 * node with a bias (fc1.weight, fc1.bias), not three nodes. */
static void test_matmul_plus_constant_add_becomes_one_node_with_bias(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/mlp.onnx", NULL);
    assert_int_equal(vn_model_node_count(m), 5);
    assert_string_equal(vn_model_node_name(m, 0), "fc1");
    assert_string_equal(vn_model_node_type(m, 0), "dense");
    assert_true(vn_model_param_find(m, "fc1.bias") >= 0);
    vn_model_destroy(m);
}

/* A graph without a batch axis and two inputs: batch-none mode, the second
 * input bound to a constant. */
static void test_bound_input_in_batch_none_mode(void **state)
{
    (void)state;
    vn_tensor *y = npy("onnx/bind_y.npy");
    const char *names[] = {"y"};
    const vn_tensor *vals[] = {y};
    vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
    o.batch = VN_ONNX_BATCH_NONE;
    o.nbind = 1;
    o.bind_names = names;
    o.bind_values = vals;
    vn_model *m = import_ok("onnx/bind_add.onnx", &o);
    vn_tensor *x = npy("onnx/bind_x.npy"), *want = npy("onnx/bind_out.npy");
    vn_tensor *xb = NULL;
    int64_t shape[3] = {1, 2, 3};
    assert_int_equal(vn_tensor_wrap(VN_F32, 3, shape, vn_tensor_data(x), NULL, NULL, &xb), VN_OK);
    const vn_tensor *out = NULL;
    assert_int_equal(vn_model_forward(m, xb, VN_MODE_INFERENCE, &out), VN_OK);
    assert_close(out, want, 1e-6);
    vn_tensor_destroy(xb);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(y);
    vn_model_destroy(m);
}

/* Symbolic dimensions other than the batch need opts->input_shape: without
 * it the import is refused naming the dimension; with it the model takes
 * that shape; a shape of the wrong rank is an invalid argument. */
static void test_symbolic_dims_need_input_shape(void **state)
{
    (void)state;
    vn_model *m = NULL;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/dynamic_hw.onnx"), NULL, &m),
                     VN_ERR_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(vn_last_error(), "symbolic ('H')"));
    const int64_t ps[3] = {2, 5, 7};
    vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
    o.input_shape = ps;
    o.input_ndim = 3;
    m = import_ok("onnx/dynamic_hw.onnx", &o);
    int64_t shape[8];
    int nd = 0;
    assert_int_equal(vn_model_input_shape(m, shape, &nd), VN_OK);
    assert_int_equal(nd, 3);
    assert_int_equal(shape[1], 5);
    assert_int_equal(shape[2], 7);
    assert_int_equal(vn_model_output_shape(m, shape, &nd), VN_OK);
    assert_int_equal(nd, 3);
    assert_int_equal(shape[0], 3);
    vn_model_destroy(m);
    o.input_ndim = 2;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/dynamic_hw.onnx"), &o, &m),
                     VN_ERR_INVALID_ARG);
    assert_null(m);
}

/* Two runtime inputs: refused, naming both. */
static void test_two_runtime_inputs_are_refused_by_name(void **state)
{
    (void)state;
    vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
    o.batch = VN_ONNX_BATCH_NONE;
    vn_model *m = (vn_model *)1;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/bind_add.onnx"), &o, &m),
                     VN_ERR_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(vn_last_error(), "'x', 'y'"));
}

/* Batch-first: a constant [2, 3] against the data spans the batch axis. */
static void test_constant_spanning_the_batch_is_refused_in_batch_first_mode(void **state)
{
    (void)state;
    vn_tensor *y = npy("onnx/bind_y.npy");
    const char *names[] = {"y"};
    const vn_tensor *vals[] = {y};
    vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
    o.nbind = 1;
    o.bind_names = names;
    o.bind_values = vals;
    vn_model *m = NULL;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/bind_add.onnx"), &o, &m),
                     VN_ERR_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(vn_last_error(), "batch"));
    vn_tensor_destroy(y);
}

/* x.mean((2, 3)) with and without keepdim and with negative axes
 * (ReduceMean) in a squeeze-excite block gives torch's output; the pooling
 * becomes global_avg_pool (+ flatten). */
static void test_spatial_mean_matches_torch(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/se_mean.onnx", NULL);
    int pools = 0;
    for (int i = 0; i < vn_model_node_count(m); i++)
        pools += strcmp(vn_model_node_type(m, i), "global_avg_pool") == 0;
    assert_int_equal(pools, 3);
    run_and_compare(m, "onnx/se_mean_x.npy", "onnx/se_mean_y.npy");
    vn_model_destroy(m);
}

/* A mean over the channel axis is refused, saying which means are mapped. */
static void test_mean_over_channels_is_refused(void **state)
{
    (void)state;
    vn_model *m = (vn_model *)1;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/mean_channels.onnx"), NULL, &m),
                     VN_ERR_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(vn_last_error(), "'mean_c' (ReduceMean)"));
    assert_non_null(strstr(vn_last_error(), "spatial ones (2, 3)"));
}

/* An operator the importer does not map: VN_ERR_UNSUPPORTED naming it and
 * its node. */
static void test_unsupported_operator_is_named(void **state)
{
    (void)state;
    vn_model *m = (vn_model *)1;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/unsupported.onnx"), NULL, &m),
                     VN_ERR_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(vn_last_error(), "operator 'Erf' is not supported"));
    assert_non_null(strstr(vn_last_error(), "'erf1'"));
}

/* Counting allocator: what the library still holds after a call. */
static long g_live;
static void *count_malloc(size_t n, void *u) { (void)u; void *p = malloc(n + 16); if (!p) return NULL; *(size_t *)p = n; g_live++; return (char *)p + 16; }
static void *count_realloc(void *p, size_t n, void *u)
{
    (void)u;
    if (!p)
        return count_malloc(n, u);
    void *q = realloc((char *)p - 16, n + 16);
    return q ? (char *)q + 16 : NULL;
}
static void count_free(void *p, void *u) { (void)u; if (p) { g_live--; free((char *)p - 16); } }

/* Every file of the bad corpus is refused with VN_ERR_FORMAT, out stays
 * NULL and nothing allocated is left behind. */
static void test_bad_files_are_format_errors_and_leak_nothing(void **state)
{
    (void)state;
    static const char *const bad[] = {"truncated.onnx", "garbage.onnx", "wrong_dims.onnx",
                                      "raw_too_short.onnx", "external.onnx",
                                      "too_many_dims.onnx", "no_graph.onnx",
                                      "deep_nesting.onnx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "bad_onnx/%s", bad[i]);
        g_live = 0;
        assert_int_equal(vn_set_allocator(count_malloc, count_realloc, count_free, NULL), VN_OK);
        vn_model *m = (vn_model *)1;
        vn_status s = vn_model_import_onnx(data_path(rel), NULL, &m);
        long live = g_live;
        assert_int_equal(vn_set_allocator(NULL, NULL, NULL, NULL), VN_OK);
        if (s != VN_ERR_FORMAT)
            fail_msg("%s: %s, %s", bad[i], vn_status_str(s), vn_last_error());
        assert_null(m);
        if (live != 0)
            fail_msg("%s: %ld allocations left", bad[i], live);
    }
}

/* The error messages say what is wrong. */
static void test_bad_file_messages_give_the_reason(void **state)
{
    (void)state;
    vn_model *m = NULL;
    assert_int_equal(vn_model_import_onnx(data_path("bad_onnx/raw_too_short.onnx"), NULL, &m),
                     VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "raw_data holds 20 bytes, the shape needs 24"));
    assert_int_equal(vn_model_import_onnx(data_path("bad_onnx/external.onnx"), NULL, &m),
                     VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "external data"));
}

/* Every prefix of a good file is refused or imported, never crashes. */
static void test_every_prefix_of_a_model_is_handled(void **state)
{
    (void)state;
    FILE *f = fopen(data_path("onnx/mlp.onnx"), "rb");
    assert_non_null(f);
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t k = 0; k < n; k++) {
        vn_model *m = NULL;
        vn_status s = vn_model_import_onnx_mem(buf, k, NULL, &m);
        if (s == VN_OK)
            vn_model_destroy(m);
        else
            assert_null(m);
    }
}

/* A successful import leaves nothing behind but the model. */
static void test_import_leaks_nothing(void **state)
{
    (void)state;
    g_live = 0;
    assert_int_equal(vn_set_allocator(count_malloc, count_realloc, count_free, NULL), VN_OK);
    vn_model *m = NULL;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/tiny_cnn.onnx"), NULL, &m), VN_OK);
    vn_model_destroy(m);
    long live = g_live;
    assert_int_equal(vn_set_allocator(NULL, NULL, NULL, NULL), VN_OK);
    assert_int_equal(live, 0);
}

/* The imported model saves, loads back with the same outputs, and trains
 * as torch trains the same network: the loss before and after one SGD step
 * in training mode (batch statistics) is torch's. */
static void test_imported_model_saves_loads_and_trains(void **state)
{
    (void)state;
    vn_model *m = import_ok("onnx/tiny_cnn.onnx", NULL);
    char path[] = "/tmp/vn_onnx_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(vn_model_save(m, NULL, path), VN_OK);
    vn_model *back = NULL;
    assert_int_equal(vn_model_load(path, &back, NULL), VN_OK);
    unlink(path);
    run_and_compare(back, "onnx/tiny_cnn_x.npy", "onnx/tiny_cnn_y.npy");
    vn_model_destroy(back);

    vn_tensor *x = npy("onnx/tiny_cnn_x.npy");
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.1", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    float loss[2];
    for (int step = 0; step < 2; step++) {
        const vn_tensor *out = NULL;
        assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &out), VN_OK);
        /* loss = sum(out^2) / 2, d loss / d out = out */
        vn_tensor *g = NULL;
        assert_int_equal(vn_tensor_copy(out, &g), VN_OK);
        const float *o = vn_tensor_data_const(out);
        loss[step] = 0;
        for (size_t i = 0; i < vn_tensor_numel(out); i++)
            loss[step] += 0.5f * o[i] * o[i];
        vn_model_zero_grad(m);
        assert_int_equal(vn_model_backward(m, g, NULL), VN_OK);
        vn_tensor_destroy(g);
        if (step == 0)
            assert_int_equal(vn_optimizer_step(opt), VN_OK);
    }
    /* torch's figures for the same step (make_onnx_models.py) */
    vn_tensor *ref = npy("onnx/tiny_cnn_train_losses.npy");
    const float *r = vn_tensor_data_const(ref);
    for (int k = 0; k < 2; k++)
        if (fabsf(loss[k] - r[k]) > 1e-4f * fabsf(r[k]))
            fail_msg("loss %d: %.7g, torch %.7g", k, loss[k], r[k]);
    vn_tensor_destroy(ref);
    vn_optimizer_destroy(opt);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

/* opts->size smaller than the struct (an older caller) is accepted; a size
 * that does not even cover `batch` is refused. */
static void test_options_size_is_checked(void **state)
{
    (void)state;
    vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
    o.size = offsetof(vn_onnx_options, input_shape);
    vn_model *m = NULL;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/mlp.onnx"), &o, &m), VN_OK);
    vn_model_destroy(m);
    o.size = 4;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/mlp.onnx"), &o, &m),
                     VN_ERR_INVALID_ARG);
    assert_null(m);
}

/* A file over VN_LIMIT_MAX_FILE_BYTES is refused before it is parsed. */
static void test_file_size_limit_is_honoured(void **state)
{
    (void)state;
    uint64_t old;
    assert_int_equal(vn_get_limit(VN_LIMIT_MAX_FILE_BYTES, &old), VN_OK);
    assert_int_equal(vn_set_limit(VN_LIMIT_MAX_FILE_BYTES, 100), VN_OK);
    vn_model *m = NULL;
    vn_status s = vn_model_import_onnx(data_path("onnx/tiny_cnn.onnx"), NULL, &m);
    assert_int_equal(vn_set_limit(VN_LIMIT_MAX_FILE_BYTES, old), VN_OK);
    assert_int_equal(s, VN_ERR_LIMIT);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torch_cnn_matches_torch),
        cmocka_unit_test(test_mixed_torch_network_matches_torch),
        cmocka_unit_test(test_batch_norm_of_features_matches_torch),
        cmocka_unit_test(test_view_of_batch_size_folds_to_flatten),
        cmocka_unit_test(test_parameters_take_state_dict_names),
        cmocka_unit_test(test_hand_built_mlp_matches_numpy),
        cmocka_unit_test(test_matmul_plus_constant_add_becomes_one_node_with_bias),
        cmocka_unit_test(test_bound_input_in_batch_none_mode),
        cmocka_unit_test(test_symbolic_dims_need_input_shape),
        cmocka_unit_test(test_two_runtime_inputs_are_refused_by_name),
        cmocka_unit_test(test_constant_spanning_the_batch_is_refused_in_batch_first_mode),
        cmocka_unit_test(test_spatial_mean_matches_torch),
        cmocka_unit_test(test_mean_over_channels_is_refused),
        cmocka_unit_test(test_unsupported_operator_is_named),
        cmocka_unit_test(test_bad_files_are_format_errors_and_leak_nothing),
        cmocka_unit_test(test_bad_file_messages_give_the_reason),
        cmocka_unit_test(test_every_prefix_of_a_model_is_handled),
        cmocka_unit_test(test_import_leaks_nothing),
        cmocka_unit_test(test_imported_model_saves_loads_and_trains),
        cmocka_unit_test(test_options_size_is_checked),
        cmocka_unit_test(test_file_size_limit_is_honoured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* !VN_HAVE_ONNX */

/* Built without ONNX support: both entry points refuse, saying so. */
static void test_disabled_build_refuses(void **state)
{
    (void)state;
    vn_model *m = (vn_model *)1;
    assert_int_equal(vn_model_import_onnx(data_path("onnx/mlp.onnx"), NULL, &m),
                     VN_ERR_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(vn_last_error(), "built without ONNX support"));
    m = (vn_model *)1;
    assert_int_equal(vn_model_import_onnx_mem("x", 1, NULL, &m), VN_ERR_UNSUPPORTED);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disabled_build_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
