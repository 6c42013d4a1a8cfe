/* test_transfer.c - the transfer layer (visionnet/transfer.h, lib/transfer/
 * and lib/nn/model_edit.c): freezing by name, glob and "up to a node";
 * frozen weights and batch-norm statistics that do not move; truncating,
 * replacing the head and embeddings; weights by name with each policy.
 *
 * The weights files are written by tests/data/make_weights.py (numpy only,
 * no library code), so the reader is tested on files it did not write.
 * Their values are t + i/8 for tensor number t at flat index i, exact in
 * float32, so the expected figures are written down here. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <unistd.h>

#include <visionnet.h>

/* The test CNN of make_weights.py, with dropout left out so that a
 * training step is deterministic however the masks are drawn. */
static const char *SMALL_CNN =
    "input shape=1,8,8 seed=5\n"
    "conv2d name=conv1 out=4 k=3 pad=1\n"
    "batch_norm2d name=bn1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "flatten name=flat\n"
    "dense name=fc out=3\n";

static const char *WITH_SOFTMAX =
    "input shape=1,8,8 seed=5\n"
    "conv2d name=conv1 out=4 k=3 pad=1\n"
    "batch_norm2d name=bn1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "flatten name=flat\n"
    "dense name=fc out=3\n"
    "softmax name=prob\n";

/* SMALL_CNN with a five-class head: what replace_head(fc, 5) must equal. */
static const char *SMALL_CNN_5 =
    "input shape=1,8,8 seed=5\n"
    "conv2d name=conv1 out=4 k=3 pad=1\n"
    "batch_norm2d name=bn1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "flatten name=flat\n"
    "dense name=fc out=5\n";

/* Two branches after conv1: a (which the output uses) and side. */
static const char *BRANCHED =
    "input shape=1,4,4 seed=1\n"
    "conv2d name=conv1 out=2 k=3 pad=1\n"
    "conv2d name=side out=2 k=1\n"
    "conv2d name=a out=2 k=1 inputs=conv1\n"
    "add name=sum inputs=a,side\n"
    "flatten name=flat\n"
    "dense name=fc out=2\n";

static vn_model *from_spec(const char *text)
{
    vn_model *m = NULL;
    assert_int_equal(vn_model_from_spec(text, &m), VN_OK);
    return m;
}

static vn_tensor *param(vn_model *m, const char *name)
{
    vn_tensor *v = NULL;
    int i = vn_model_param_find(m, name);
    assert_true(i >= 0);
    assert_int_equal(vn_model_param(m, i, NULL, &v, NULL, NULL), VN_OK);
    return v;
}

static vn_tensor *grad(vn_model *m, const char *name)
{
    vn_tensor *g = NULL;
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, name), NULL, NULL, &g, NULL), VN_OK);
    return g;
}

static float at(vn_model *m, const char *name, size_t i)
{
    return ((const float *)vn_tensor_data(param(m, name)))[i];
}

static int trainable(vn_model *m, const char *name)
{
    unsigned flags = 0;
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, name), NULL, NULL, NULL, &flags),
                     VN_OK);
    return (flags & VN_PARAM_TRAINABLE) != 0;
}

/* A batch of n images whose pixels are a fixed pattern (no RNG needed). */
static vn_tensor *batch(int n, int c, int h, int w)
{
    int64_t shape[4] = {n, c, h, w};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 4, shape, &t), VN_OK);
    float *p = vn_tensor_data(t);
    for (size_t i = 0; i < vn_tensor_numel(t); i++)
        p[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
    return t;
}

/* A copy of all of m's parameters and buffers, concatenated. */
static float *snapshot(vn_model *m, size_t *n)
{
    size_t total = 0;
    for (int i = 0; i < vn_model_param_count(m); i++) {
        vn_tensor *v;
        vn_model_param(m, i, NULL, &v, NULL, NULL);
        total += vn_tensor_numel(v);
    }
    float *s = malloc(total * sizeof *s), *p = s;
    for (int i = 0; i < vn_model_param_count(m); i++) {
        vn_tensor *v;
        vn_model_param(m, i, NULL, &v, NULL, NULL);
        memcpy(p, vn_tensor_data(v), vn_tensor_nbytes(v));
        p += vn_tensor_numel(v);
    }
    *n = total;
    return s;
}

static void assert_unchanged(vn_model *m, const float *before, size_t n)
{
    size_t k;
    float *now = snapshot(m, &k);
    assert_int_equal(k, n);
    assert_memory_equal(now, before, n * sizeof *now);
    free(now);
}

/* steps SGD steps (momentum 0.9) on a sum-of-outputs loss, training mode. */
static void train_steps(vn_model *m, int steps)
{
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.1 momentum=0.9", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    vn_tensor *x = batch(4, 1, 8, 8);
    for (int s = 0; s < steps; s++) {
        const vn_tensor *y;
        assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
        vn_tensor *dy = NULL;
        assert_int_equal(vn_tensor_copy(y, &dy), VN_OK);
        float *g = vn_tensor_data(dy);
        for (size_t i = 0; i < vn_tensor_numel(dy); i++)
            g[i] = (float)(i % 3) - 1.0f;
        vn_model_zero_grad(m);
        assert_int_equal(vn_model_backward(m, dy, NULL), VN_OK);
        assert_int_equal(vn_optimizer_step(opt), VN_OK);
        vn_tensor_destroy(dy);
    }
    vn_tensor_destroy(x);
    vn_optimizer_destroy(opt);
}

static bool all_zero(const vn_tensor *t)
{
    const float *p = vn_tensor_data_const(t);
    for (size_t i = 0; i < vn_tensor_numel(t); i++)
        if (p[i] != 0.0f)
            return false;
    return true;
}

/* ---- freezing ------------------------------------------------------------- */

static void test_freeze_by_name_freezes_only_that_node(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_freeze(m, "conv1"), VN_OK);
    assert_false(trainable(m, "conv1.weight"));
    assert_false(trainable(m, "conv1.bias"));
    assert_true(trainable(m, "bn1.weight"));
    assert_true(trainable(m, "fc.weight"));
    vn_model_destroy(m);
}

static void test_freeze_glob_freezes_every_matching_node(void **state)
{
    (void)state;
    vn_model *m = from_spec(BRANCHED);
    assert_int_equal(vn_model_freeze(m, "conv*"), VN_OK);
    assert_false(trainable(m, "conv1.weight"));
    assert_true(trainable(m, "side.weight"));
    assert_int_equal(vn_model_freeze(m, "?ide"), VN_OK);
    assert_false(trainable(m, "side.weight"));
    assert_true(trainable(m, "a.weight"));
    vn_model_destroy(m);
}

static void test_freeze_pattern_matching_nothing_fails_naming_it(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_freeze(m, "layer1.*"), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'layer1.*'"));
    assert_true(trainable(m, "conv1.weight"));
    assert_int_equal(vn_model_unfreeze(m, "nope"), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'nope'"));
    vn_model_destroy(m);
}

static void test_unfreeze_glob_makes_nodes_trainable_again(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_freeze(m, "*"), VN_OK);
    assert_false(trainable(m, "fc.weight"));
    assert_int_equal(vn_model_unfreeze(m, "f*"), VN_OK);
    assert_true(trainable(m, "fc.weight"));
    assert_false(trainable(m, "conv1.weight"));
    vn_model_destroy(m);
}

static void test_freeze_until_freezes_the_node_and_everything_before(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_freeze_until(m, "bn1"), VN_OK);
    assert_false(trainable(m, "conv1.weight"));
    assert_false(trainable(m, "bn1.weight"));
    assert_true(trainable(m, "fc.weight"));
    assert_int_equal(vn_model_freeze_until(m, "nothere"), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'nothere'"));
    vn_model_destroy(m);
}

static void test_frozen_weights_are_bitwise_unchanged_by_optimizer_steps(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_freeze_until(m, "pool1"), VN_OK);
    vn_tensor *w0 = NULL, *b0 = NULL, *fc0 = NULL;
    assert_int_equal(vn_tensor_copy(param(m, "conv1.weight"), &w0), VN_OK);
    assert_int_equal(vn_tensor_copy(param(m, "bn1.weight"), &b0), VN_OK);
    assert_int_equal(vn_tensor_copy(param(m, "fc.weight"), &fc0), VN_OK);
    train_steps(m, 3);
    assert_memory_equal(vn_tensor_data(param(m, "conv1.weight")), vn_tensor_data(w0),
                        vn_tensor_nbytes(w0));
    assert_memory_equal(vn_tensor_data(param(m, "bn1.weight")), vn_tensor_data(b0),
                        vn_tensor_nbytes(b0));
    /* the head did train */
    assert_true(memcmp(vn_tensor_data(param(m, "fc.weight")), vn_tensor_data(fc0),
                       vn_tensor_nbytes(fc0)) != 0);
    vn_tensor_destroy(w0);
    vn_tensor_destroy(b0);
    vn_tensor_destroy(fc0);
    vn_model_destroy(m);
}

static void test_frozen_batch_norm_running_stats_are_bitwise_unchanged(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_freeze(m, "bn1"), VN_OK);
    vn_tensor *mean0 = NULL, *var0 = NULL;
    assert_int_equal(vn_tensor_copy(param(m, "bn1.running_mean"), &mean0), VN_OK);
    assert_int_equal(vn_tensor_copy(param(m, "bn1.running_var"), &var0), VN_OK);
    train_steps(m, 3);
    assert_memory_equal(vn_tensor_data(param(m, "bn1.running_mean")), vn_tensor_data(mean0),
                        vn_tensor_nbytes(mean0));
    assert_memory_equal(vn_tensor_data(param(m, "bn1.running_var")), vn_tensor_data(var0),
                        vn_tensor_nbytes(var0));
    /* unfrozen, the same steps move them */
    assert_int_equal(vn_model_unfreeze(m, "bn1"), VN_OK);
    train_steps(m, 1);
    assert_true(memcmp(vn_tensor_data(param(m, "bn1.running_mean")), vn_tensor_data(mean0),
                       vn_tensor_nbytes(mean0)) != 0);
    vn_tensor_destroy(mean0);
    vn_tensor_destroy(var0);
    vn_model_destroy(m);
}

static void test_frozen_backbone_gets_exactly_zero_gradients(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_freeze_until(m, "flat"), VN_OK);
    train_steps(m, 1);
    assert_true(all_zero(grad(m, "conv1.weight")));
    assert_true(all_zero(grad(m, "conv1.bias")));
    assert_true(all_zero(grad(m, "bn1.weight")));
    assert_false(all_zero(grad(m, "fc.weight")));
    vn_model_destroy(m);
}

static void test_lr_mult_matching_sets_every_matching_node(void **state)
{
    (void)state;
    vn_model *m = from_spec(BRANCHED);
    assert_int_equal(vn_model_set_lr_mult_matching(m, "conv*", 0.25f), VN_OK);
    assert_true(vn_model_param_lr_mult(m, vn_model_param_find(m, "conv1.weight")) == 0.25f);
    assert_true(vn_model_param_lr_mult(m, vn_model_param_find(m, "side.weight")) == 1.0f);
    assert_int_equal(vn_model_set_lr_mult_matching(m, "x*", 0.5f), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_set_lr_mult_matching(m, "*", -1.0f), VN_ERR_INVALID_ARG);
    assert_true(vn_model_param_lr_mult(m, vn_model_param_find(m, "fc.weight")) == 1.0f);
    vn_model_destroy(m);
}

/* ---- head surgery ---------------------------------------------------------- */

static void test_truncate_makes_the_node_the_output(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_truncate(m, "pool1"), VN_OK);
    assert_int_equal(vn_model_node_count(m), 4);
    int64_t shape[VN_MAX_DIMS];
    int ndim;
    assert_int_equal(vn_model_output_shape(m, shape, &ndim), VN_OK);
    assert_int_equal(ndim, 3);
    assert_int_equal(shape[0], 4);
    assert_int_equal(shape[1], 4);
    assert_int_equal(shape[2], 4);
    assert_int_equal(vn_model_param_find(m, "fc.weight"), -1);
    assert_int_equal(vn_model_param_count(m), 6);
    vn_model_destroy(m);
}

static void test_truncate_drops_a_branch_that_does_not_feed_the_node(void **state)
{
    (void)state;
    vn_model *m = from_spec(BRANCHED);
    assert_int_equal(vn_model_truncate(m, "a"), VN_OK);
    assert_int_equal(vn_model_node_count(m), 2);
    assert_string_equal(vn_model_node_name(m, 0), "conv1");
    assert_string_equal(vn_model_node_name(m, 1), "a");
    assert_int_equal(vn_model_param_find(m, "side.weight"), -1);
    /* the edited graph still runs and still prints as a spec that builds */
    vn_tensor *x = batch(2, 1, 4, 4);
    const vn_tensor *y;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    char *spec = NULL;
    vn_model *again = NULL;
    assert_int_equal(vn_model_to_spec(m, &spec), VN_OK);
    assert_int_equal(vn_model_from_spec(spec, &again), VN_OK);
    vn_free(spec);
    vn_model_destroy(again);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_replace_head_gives_new_output_shape_and_parameters(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_replace_head(m, "fc", 5), VN_OK);
    int64_t shape[VN_MAX_DIMS];
    int ndim;
    assert_int_equal(vn_model_output_shape(m, shape, &ndim), VN_OK);
    assert_int_equal(ndim, 1);
    assert_int_equal(shape[0], 5);
    assert_int_equal(vn_tensor_dim(param(m, "fc.weight"), 0), 5);
    assert_int_equal(vn_tensor_dim(param(m, "fc.weight"), 1), 64);
    assert_int_equal(vn_tensor_dim(param(m, "fc.bias"), 0), 5);
    assert_int_equal(vn_model_param_count(m), 8);
    vn_model_destroy(m);
}

static void test_replace_head_initialises_like_a_fresh_model_and_keeps_the_backbone(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_load_weights(m, VN_TEST_DATA "/weights/full.safetensors",
                                           VN_WEIGHTS_STRICT, NULL), VN_OK);
    assert_int_equal(vn_model_replace_head(m, "fc", 5), VN_OK);
    vn_model *fresh = from_spec(SMALL_CNN_5);
    assert_memory_equal(vn_tensor_data(param(m, "fc.weight")),
                        vn_tensor_data(param(fresh, "fc.weight")), 5 * 64 * sizeof(float));
    assert_memory_equal(vn_tensor_data(param(m, "fc.bias")),
                        vn_tensor_data(param(fresh, "fc.bias")), 5 * sizeof(float));
    assert_true(at(m, "conv1.weight", 5) == 1.625f);
    assert_true(at(m, "bn1.running_var", 3) == 6.375f);
    assert_true(trainable(m, "fc.weight"));
    vn_model_destroy(fresh);
    vn_model_destroy(m);
}

static void test_replace_head_keeps_the_softmax_after_it(void **state)
{
    (void)state;
    vn_model *m = from_spec(WITH_SOFTMAX);
    assert_int_equal(vn_model_replace_head(m, "fc", 2), VN_OK);
    assert_int_equal(vn_model_node_count(m), 7);
    assert_string_equal(vn_model_node_type(m, 6), "softmax");
    assert_string_equal(vn_model_node_name(m, 6), "prob");
    vn_tensor *x = batch(3, 1, 8, 8);
    const vn_tensor *y;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    assert_int_equal(vn_tensor_dim(y, 1), 2);
    const float *p = vn_tensor_data_const(y);
    assert_float_equal(p[0] + p[1], 1.0f, 1e-6f);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_replace_head_refuses_a_node_that_is_not_dense(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_replace_head(m, "conv1", 5), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'conv1'"));
    assert_int_equal(vn_model_replace_head(m, "fc", 0), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_replace_head(m, "nope", 3), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_node_count(m), 6);
    vn_model_destroy(m);
}

static void test_replace_head_clears_class_names_that_no_longer_fit(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    const char *names[] = {"a", "b", "c"};
    assert_int_equal(vn_model_set_class_names(m, 3, names), VN_OK);
    assert_int_equal(vn_model_replace_head(m, "fc", 3), VN_OK);
    assert_int_equal(vn_model_class_count(m), 3); /* same size: kept */
    assert_int_equal(vn_model_replace_head(m, "fc", 4), VN_OK);
    assert_int_equal(vn_model_class_count(m), 0);
    vn_model_destroy(m);
}

static void test_replace_head_spec_appends_the_fragment(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_replace_head_spec(m, "fc",
                                                "# new head\n"
                                                "dense name=fc_a out=7\n"
                                                "\n"
                                                "relu name=r\n"
                                                "dense name=fc_b out=2\n"),
                     VN_OK);
    assert_int_equal(vn_model_node_count(m), 8);
    assert_int_equal(vn_model_param_find(m, "fc.weight"), -1);
    assert_int_equal(vn_tensor_dim(param(m, "fc_a.weight"), 0), 7);
    assert_int_equal(vn_tensor_dim(param(m, "fc_b.weight"), 1), 7);
    vn_model_destroy(m);
}

static void test_replace_head_spec_error_leaves_the_model_unchanged(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    size_t n;
    float *before = snapshot(m, &n);
    assert_int_equal(vn_model_replace_head_spec(m, "flat", "dense name=x out=3\nbogus name=y\n"),
                     VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "head line 2"));
    assert_non_null(strstr(vn_last_error(), "bogus"));
    assert_int_equal(vn_model_node_count(m), 6);
    assert_unchanged(m, before, n);
    free(before);
    vn_model_destroy(m);
}

static void test_embed_equals_the_node_output_of_a_full_forward(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_tensor *x = batch(3, 1, 8, 8);
    vn_tensor *e = NULL;
    assert_int_equal(vn_model_embed(m, x, "pool1", &e), VN_OK);
    assert_int_equal(vn_model_keep_output(m, "pool1", 1), VN_OK);
    const vn_tensor *y, *ref;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    assert_int_equal(vn_model_output(m, "pool1", &ref), VN_OK);
    assert_int_equal(vn_tensor_ndim(e), 4);
    assert_int_equal(vn_tensor_dim(e, 0), 3);
    assert_int_equal(vn_tensor_nbytes(e), vn_tensor_nbytes(ref));
    assert_memory_equal(vn_tensor_data(e), vn_tensor_data_const(ref), vn_tensor_nbytes(e));
    vn_tensor_destroy(e);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_embed_unknown_node_fails_naming_it(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_tensor *x = batch(1, 1, 8, 8), *e = (vn_tensor *)1;
    assert_int_equal(vn_model_embed(m, x, "fc7", &e), VN_ERR_INVALID_ARG);
    assert_null(e);
    assert_non_null(strstr(vn_last_error(), "'fc7'"));
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

/* ---- weights by name -------------------------------------------------------- */

#define WEIGHTS(name) VN_TEST_DATA "/weights/" name ".safetensors"

static void test_load_weights_strict_loads_every_value(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_weights_report *r = NULL;
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("full"), VN_WEIGHTS_STRICT, &r), VN_OK);
    assert_true(at(m, "conv1.weight", 0) == 1.0f);
    assert_true(at(m, "conv1.weight", 5) == 1.625f);
    assert_true(at(m, "bn1.running_mean", 1) == 5.125f);
    assert_true(at(m, "fc.weight", 191) == 30.875f);
    assert_true(at(m, "fc.bias", 2) == 8.25f);
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_LOADED), 8);
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_MISSING), 0);
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_UNEXPECTED), 0);
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_MISMATCHED), 0);
    vn_weights_report_destroy(r);
    vn_model_destroy(m);
}

static void test_load_weights_strict_refuses_missing_and_changes_nothing(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    size_t n;
    float *before = snapshot(m, &n);
    vn_weights_report *r = NULL;
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("missing"), VN_WEIGHTS_STRICT, &r),
                     VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "'fc.weight'"));
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_MISSING), 2);
    assert_string_equal(vn_weights_report_name(r, VN_WEIGHTS_MISSING, 0), "fc.weight");
    assert_string_equal(vn_weights_report_name(r, VN_WEIGHTS_MISSING, 1), "fc.bias");
    assert_null(vn_weights_report_name(r, VN_WEIGHTS_MISSING, 2));
    assert_unchanged(m, before, n);
    free(before);
    vn_weights_report_destroy(r);
    vn_model_destroy(m);
}

static void test_load_weights_skip_missing_loads_the_rest(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    float fc0 = at(m, "fc.bias", 0);
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("missing"), VN_WEIGHTS_SKIP_MISSING, NULL),
                     VN_OK);
    assert_true(at(m, "conv1.bias", 3) == 2.375f);
    assert_true(at(m, "fc.bias", 0) == fc0);
    vn_model_destroy(m);
}

static void test_load_weights_unexpected_names_need_skip_unexpected(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_weights_report *r = NULL;
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("unexpected"), VN_WEIGHTS_SKIP_MISSING, &r),
                     VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "'extra.weight'"));
    assert_string_equal(vn_weights_report_name(r, VN_WEIGHTS_UNEXPECTED, 0), "extra.weight");
    vn_weights_report_destroy(r);
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("unexpected"), VN_WEIGHTS_SKIP_UNEXPECTED,
                                           NULL), VN_OK);
    assert_true(at(m, "fc.bias", 1) == 8.125f);
    vn_model_destroy(m);
}

static void test_load_weights_skip_mismatch_keeps_the_new_head(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    size_t n;
    float *before = snapshot(m, &n);
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("mismatch"), VN_WEIGHTS_STRICT, NULL),
                     VN_ERR_SHAPE);
    assert_unchanged(m, before, n);
    float fc0 = at(m, "fc.weight", 0);
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("mismatch"), VN_WEIGHTS_SKIP_MISMATCH, NULL),
                     VN_OK);
    assert_true(at(m, "conv1.weight", 1) == 1.125f);
    assert_true(at(m, "fc.weight", 0) == fc0);
    free(before);
    vn_model_destroy(m);
}

static void test_load_weights_report_lists_missing_unexpected_and_mismatched(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_weights_report *r = NULL;
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("mixed"), VN_WEIGHTS_LENIENT, &r), VN_OK);
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_MISSING), 1);
    assert_string_equal(vn_weights_report_name(r, VN_WEIGHTS_MISSING, 0), "fc.bias");
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_MISMATCHED), 1);
    assert_string_equal(vn_weights_report_name(r, VN_WEIGHTS_MISMATCHED, 0), "fc.weight");
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_UNEXPECTED), 1);
    assert_string_equal(vn_weights_report_name(r, VN_WEIGHTS_UNEXPECTED, 0), "extra.weight");
    assert_int_equal(vn_weights_report_count(r, VN_WEIGHTS_LOADED), 6);
    assert_int_equal(vn_weights_report_count(r, (vn_weights_list)9), 0);
    assert_null(vn_weights_report_name(r, VN_WEIGHTS_UNEXPECTED, 1));
    vn_weights_report_destroy(r);
    vn_weights_report_destroy(NULL);
    vn_model_destroy(m);
}

static void test_load_weights_refuses_f16_tensors_with_a_format_error(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_weights_report *r = (vn_weights_report *)1;
    assert_int_equal(vn_model_load_weights(m, WEIGHTS("f16"), VN_WEIGHTS_LENIENT, &r),
                     VN_ERR_FORMAT);
    assert_null(r);
    assert_non_null(strstr(vn_last_error(), "'conv1.bias'"));
    assert_non_null(strstr(vn_last_error(), "F16"));
    vn_model_destroy(m);
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void test_load_weights_damaged_files_fail_with_format_errors(void **state)
{
    (void)state;
    size_t n;
    uint8_t *good = read_all(WEIGHTS("full"), &n);
    uint8_t *bad = malloc(n);
    vn_model *m = from_spec(SMALL_CNN);
    size_t k;
    float *before = snapshot(m, &k);
    /* truncated anywhere: in the length, the header, the data */
    const size_t cuts[] = {0, 5, 8, 40, n - 1};
    for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++)
        assert_int_equal(vn_model_load_weights_mem(m, good, cuts[c], "cut", VN_WEIGHTS_LENIENT,
                                                   NULL), VN_ERR_FORMAT);
    /* header length past the end */
    memcpy(bad, good, n);
    bad[5] = 0x7f;
    assert_int_equal(vn_model_load_weights_mem(m, bad, n, "len", VN_WEIGHTS_LENIENT, NULL),
                     VN_ERR_FORMAT);
    /* the header is not JSON */
    memcpy(bad, good, n);
    bad[9] = '[';
    assert_int_equal(vn_model_load_weights_mem(m, bad, n, "json", VN_WEIGHTS_LENIENT, NULL),
                     VN_ERR_FORMAT);
    /* a data offset moved: the tensors no longer tile the data */
    memcpy(bad, good, n);
    char *off = strstr((char *)bad + 8, "[0,144]");
    assert_non_null(off);
    off[5] = '0'; /* [0,140] */
    assert_int_equal(vn_model_load_weights_mem(m, bad, n, "offsets", VN_WEIGHTS_LENIENT, NULL),
                     VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "weights file 'offsets'"));
    /* extra bytes after the last tensor */
    uint8_t *longer = malloc(n + 4);
    memcpy(longer, good, n);
    memset(longer + n, 0, 4);
    assert_int_equal(vn_model_load_weights_mem(m, longer, n + 4, "padded", VN_WEIGHTS_LENIENT,
                                               NULL), VN_ERR_FORMAT);
    assert_unchanged(m, before, k);
    free(longer);
    free(before);
    free(bad);
    free(good);
    vn_model_destroy(m);
}

static void test_save_weights_round_trips_bitwise(void **state)
{
    (void)state;
    char path[] = "/tmp/vn_weights_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    vn_model *a = from_spec(SMALL_CNN);
    train_steps(a, 1); /* running statistics away from their defaults */
    assert_int_equal(vn_model_save_weights(a, path), VN_OK);
    vn_model *b = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_set_seed(b, 99), VN_OK);
    assert_int_equal(vn_model_load_weights(b, path, VN_WEIGHTS_STRICT, NULL), VN_OK);
    size_t na, nb;
    float *sa = snapshot(a, &na), *sb = snapshot(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(sa, sb, na * sizeof *sa);
    free(sa);
    free(sb);
    vn_model_destroy(a);
    vn_model_destroy(b);
    unlink(path);
}

static void test_save_weights_writes_plain_safetensors(void **state)
{
    (void)state;
    char path[] = "/tmp/vn_weights_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_save_weights(m, path), VN_OK);
    size_t n;
    uint8_t *b = read_all(path, &n);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++)
        hl |= (uint64_t)b[i] << (8 * i);
    assert_int_equal((8 + hl) % 8, 0);
    assert_int_equal(n, 8 + hl + (4 * 9 + 4 * 5 + 3 * 64 + 3) * 4);
    char *header = strndup((char *)b + 8, hl);
    assert_non_null(strstr(header, "{\"__metadata__\":{\"format\":\"pt\"},"));
    assert_null(strstr(header, "spec"));
    assert_non_null(strstr(header, "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[3,64]"));
    /* not a model file: vn_model_load says why */
    vn_model *loaded = NULL;
    assert_int_equal(vn_model_load(path, &loaded, NULL), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "not a visionnet model file"));
    free(header);
    free(b);
    vn_model_destroy(m);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freeze_by_name_freezes_only_that_node),
        cmocka_unit_test(test_freeze_glob_freezes_every_matching_node),
        cmocka_unit_test(test_freeze_pattern_matching_nothing_fails_naming_it),
        cmocka_unit_test(test_unfreeze_glob_makes_nodes_trainable_again),
        cmocka_unit_test(test_freeze_until_freezes_the_node_and_everything_before),
        cmocka_unit_test(test_frozen_weights_are_bitwise_unchanged_by_optimizer_steps),
        cmocka_unit_test(test_frozen_batch_norm_running_stats_are_bitwise_unchanged),
        cmocka_unit_test(test_frozen_backbone_gets_exactly_zero_gradients),
        cmocka_unit_test(test_lr_mult_matching_sets_every_matching_node),
        cmocka_unit_test(test_truncate_makes_the_node_the_output),
        cmocka_unit_test(test_truncate_drops_a_branch_that_does_not_feed_the_node),
        cmocka_unit_test(test_replace_head_gives_new_output_shape_and_parameters),
        cmocka_unit_test(test_replace_head_initialises_like_a_fresh_model_and_keeps_the_backbone),
        cmocka_unit_test(test_replace_head_keeps_the_softmax_after_it),
        cmocka_unit_test(test_replace_head_refuses_a_node_that_is_not_dense),
        cmocka_unit_test(test_replace_head_clears_class_names_that_no_longer_fit),
        cmocka_unit_test(test_replace_head_spec_appends_the_fragment),
        cmocka_unit_test(test_replace_head_spec_error_leaves_the_model_unchanged),
        cmocka_unit_test(test_embed_equals_the_node_output_of_a_full_forward),
        cmocka_unit_test(test_embed_unknown_node_fails_naming_it),
        cmocka_unit_test(test_load_weights_strict_loads_every_value),
        cmocka_unit_test(test_load_weights_strict_refuses_missing_and_changes_nothing),
        cmocka_unit_test(test_load_weights_skip_missing_loads_the_rest),
        cmocka_unit_test(test_load_weights_unexpected_names_need_skip_unexpected),
        cmocka_unit_test(test_load_weights_skip_mismatch_keeps_the_new_head),
        cmocka_unit_test(test_load_weights_report_lists_missing_unexpected_and_mismatched),
        cmocka_unit_test(test_load_weights_refuses_f16_tensors_with_a_format_error),
        cmocka_unit_test(test_load_weights_damaged_files_fail_with_format_errors),
        cmocka_unit_test(test_save_weights_round_trips_bitwise),
        cmocka_unit_test(test_save_weights_writes_plain_safetensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
