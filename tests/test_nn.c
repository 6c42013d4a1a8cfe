/* test_nn.c - the model API (visionnet/nn.h): building, shape inference and
 * its errors, parameters and their names, the spec text, forward /
 * backward through graphs, memory planning, freezing, seeds and threads,
 * and a short training run. Per-layer gradients are in test_layers.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include <visionnet.h>
#include "nn/model.h"

static const char *SMALL_CNN =
    "input shape=1,12,12 seed=5\n"
    "conv2d name=conv1 out=4 k=3 pad=1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "conv2d name=conv2 out=6 k=3 pad=1\n"
    "relu name=relu2\n"
    "max_pool2d name=pool2 k=2\n"
    "flatten name=flat\n"
    "dense name=fc out=5\n";

static vn_model *from_spec(const char *text)
{
    vn_model *m = NULL;
    vn_status s = vn_model_from_spec(text, &m);
    if (s != VN_OK)
        fail_msg("vn_model_from_spec: %s: %s", vn_status_str(s), vn_last_error());
    return m;
}

static vn_tensor *random_tensor(int ndim, const int64_t *shape, uint64_t seed)
{
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, ndim, shape, &t), VN_OK);
    vn_rng *rng = NULL;
    assert_int_equal(vn_rng_create(seed, 0, &rng), VN_OK);
    float *p = vn_tensor_data(t);
    for (size_t i = 0; i < vn_tensor_numel(t); i++)
        p[i] = vn_rng_normal(rng);
    vn_rng_destroy(rng);
    return t;
}

static vn_tensor *batch_of(const vn_model *m, int64_t n, uint64_t seed)
{
    int64_t shape[VN_MAX_DIMS];
    int ndim = 0;
    assert_int_equal(vn_model_input_shape(m, shape + 1, &ndim), VN_OK);
    shape[0] = n;
    return random_tensor(ndim + 1, shape, seed);
}

static float *param_data(vn_model *m, const char *name, bool grad)
{
    int i = vn_model_param_find(m, name);
    assert_true(i >= 0);
    vn_tensor *v = NULL, *g = NULL;
    assert_int_equal(vn_model_param(m, i, NULL, &v, &g, NULL), VN_OK);
    return vn_tensor_data(grad ? g : v);
}

/* ---- building and shape inference ------------------------------------------ */

static void test_sequential_builder_infers_every_shape(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    const int64_t want[8][3] = {{4, 12, 12}, {4, 12, 12}, {4, 6, 6}, {6, 6, 6},
                                {6, 6, 6},   {6, 3, 3},   {54},      {5}};
    const int want_ndim[8] = {3, 3, 3, 3, 3, 3, 1, 1};
    assert_int_equal(vn_model_node_count(m), 8);
    for (int i = 0; i < 8; i++) {
        int64_t shape[VN_MAX_DIMS];
        int ndim = 0;
        assert_int_equal(vn_model_node_shape(m, i, shape, &ndim), VN_OK);
        assert_int_equal(ndim, want_ndim[i]);
        for (int d = 0; d < ndim; d++)
            assert_int_equal(shape[d], want[i][d]);
    }
    assert_string_equal(vn_model_node_name(m, 3), "conv2");
    assert_string_equal(vn_model_node_type(m, 3), "conv2d");
    assert_int_equal(vn_model_node_find(m, "fc"), 7);
    assert_int_equal(vn_model_node_find(m, "nope"), -1);
    vn_model_destroy(m);
}

static void test_shape_error_names_the_node(void **state)
{
    (void)state;
    int64_t in[3] = {3, 8, 8};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 3, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "dense", "name=fc out=10"), VN_OK);
    assert_int_equal(vn_model_add(m, "conv2d", "name=conv2 out=4 k=3"), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "conv2d 'conv2'"));
    assert_non_null(strstr(vn_last_error(), "[10]"));
    vn_model_destroy(m);
}

static void test_add_of_mismatched_shapes_names_the_node(void **state)
{
    (void)state;
    int64_t in[3] = {3, 8, 8};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 3, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "conv2d", "name=a out=4 k=3 pad=1"), VN_OK);
    assert_int_equal(vn_model_add(m, "conv2d", "name=b out=5 k=3 pad=1"), VN_OK);
    assert_int_equal(vn_model_add(m, "add", "name=res inputs=a,b"), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "add 'res'"));
    vn_model_destroy(m);
}

static void test_kernel_larger_than_input_names_the_node(void **state)
{
    (void)state;
    int64_t in[3] = {1, 4, 4};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 3, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "conv2d", "name=big out=2 k=5"), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "conv2d 'big'"));
    vn_model_destroy(m);
}

static void test_unknown_attribute_is_refused_naming_the_word(void **state)
{
    (void)state;
    int64_t in[3] = {1, 8, 8};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 3, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "conv2d", "name=c1 out=4 k=3 kk=3"), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'kk=3'"));
    assert_non_null(strstr(vn_last_error(), "conv2d 'c1'"));
    vn_model_destroy(m);
}

static void test_unknown_layer_type_is_refused(void **state)
{
    (void)state;
    int64_t in[3] = {1, 8, 8};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 3, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "conv3d", "out=4"), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'conv3d'"));
    vn_model_destroy(m);
}

static void test_duplicate_node_name_is_refused(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_add(m, "relu", "name=conv1"), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'conv1'"));
    vn_model_destroy(m);
}

static void test_failed_add_leaves_the_model_unchanged(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    int nodes = vn_model_node_count(m), params = vn_model_param_count(m);
    assert_int_equal(vn_model_add(m, "conv2d", "name=bad out=4 k=3"), VN_ERR_SHAPE);
    assert_int_equal(vn_model_node_count(m), nodes);
    assert_int_equal(vn_model_param_count(m), params);
    assert_int_equal(vn_model_add(m, "dense", "name=fc2 out=3"), VN_OK);
    assert_int_equal(vn_model_node_count(m), nodes + 1);
    vn_model_destroy(m);
}

static void test_nodes_without_name_get_type_and_number(void **state)
{
    (void)state;
    int64_t in[1] = {6};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 1, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "dense", "out=4"), VN_OK);
    assert_int_equal(vn_model_add(m, "relu", NULL), VN_OK);
    assert_string_equal(vn_model_node_name(m, 0), "dense_1");
    assert_string_equal(vn_model_node_name(m, 1), "relu_2");
    vn_model_destroy(m);
}

static void test_node_param_count_and_flops(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    /* conv1: 4*1*3*3 + 4 = 40 params; 2*4*12*12*9 + 4*144 = 10944 flops */
    assert_int_equal(vn_model_node_param_count(m, 0), 40);
    assert_int_equal(vn_model_node_flops(m, 0), 10944);
    /* fc: 5*54 + 5 = 275 params; 2*54*5 + 5 = 545 flops */
    assert_int_equal(vn_model_node_param_count(m, 7), 275);
    assert_int_equal(vn_model_node_flops(m, 7), 545);
    assert_int_equal(vn_model_node_param_count(m, 1), 0);
    vn_model_destroy(m);
}

static void test_typed_builders_match_attribute_strings(void **state)
{
    (void)state;
    int64_t in[3] = {3, 16, 16};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 3, &m), VN_OK);
    vn_conv2d_options co = VN_CONV2D_OPTIONS_INIT;
    co.out_channels = 8;
    co.stride_h = co.stride_w = 2;
    co.pad_h = co.pad_w = 1;
    assert_int_equal(vn_model_add_conv2d(m, "c1", &co), VN_OK);
    assert_int_equal(vn_model_add_batch_norm2d(m, "bn"), VN_OK);
    assert_int_equal(vn_model_add_activation(m, "act", "leaky_relu"), VN_OK);
    assert_int_equal(vn_model_add_max_pool2d(m, "mp", 2, 2, 0), VN_OK);
    assert_int_equal(vn_model_add_dropout(m, "dr", 0.1f), VN_OK);
    assert_int_equal(vn_model_add_flatten(m, "fl"), VN_OK);
    assert_int_equal(vn_model_add_dense(m, "fc", 10, 0), VN_OK);
    char *text = NULL;
    assert_int_equal(vn_model_to_spec(m, &text), VN_OK);
    assert_string_equal(text, "input shape=3,16,16 seed=0\n"
                              "conv2d name=c1 out=8 k=3 stride=2 pad=1 dilation=1 groups=1 bias=1\n"
                              "batch_norm2d name=bn eps=1e-05 momentum=0.1\n"
                              "leaky_relu name=act slope=0.01\n"
                              "max_pool2d name=mp k=2 stride=2 pad=0 dilation=1\n"
                              "dropout name=dr p=0.1\n"
                              "flatten name=fl\n"
                              "dense name=fc out=10 bias=0\n");
    vn_free(text);
    co.size = 0;
    assert_int_equal(vn_model_add_conv2d(m, "c2", &co), VN_ERR_INVALID_ARG);
    vn_model_destroy(m);
}

/* ---- parameters -------------------------------------------------------------- */

static void test_params_have_pytorch_state_dict_names(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=3,8,8\n"
                            "conv2d name=conv1 out=4 k=3 bias=0\n"
                            "batch_norm2d name=bn1\n"
                            "dense name=fc out=2\n");
    const char *want[] = {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                          "bn1.running_var", "fc.weight", "fc.bias"};
    const unsigned flags_want[] = {VN_PARAM_TRAINABLE, VN_PARAM_TRAINABLE, VN_PARAM_TRAINABLE,
                                   VN_PARAM_BUFFER, VN_PARAM_BUFFER, VN_PARAM_TRAINABLE,
                                   VN_PARAM_TRAINABLE};
    assert_int_equal(vn_model_param_count(m), 7);
    for (int i = 0; i < 7; i++) {
        const char *name = NULL;
        vn_tensor *v = NULL, *g = NULL;
        unsigned flags = 99;
        assert_int_equal(vn_model_param(m, i, &name, &v, &g, &flags), VN_OK);
        assert_string_equal(name, want[i]);
        assert_int_equal(flags, flags_want[i]);
        assert_true((g == NULL) == (flags == VN_PARAM_BUFFER));
        assert_float_equal(vn_model_param_lr_mult(m, i), 1.0f, 0.0);
    }
    vn_tensor *w = NULL;
    assert_int_equal(vn_model_param(m, 0, NULL, &w, NULL, NULL), VN_OK);
    int64_t shape[4];
    vn_tensor_shape(w, shape);
    assert_int_equal(shape[0], 4);
    assert_int_equal(shape[1], 3);
    assert_int_equal(shape[2], 3);
    assert_int_equal(shape[3], 3);
    assert_int_equal(vn_model_param(m, 7, NULL, NULL, NULL, NULL), VN_ERR_INVALID_ARG);
    vn_model_destroy(m);
}

static void test_frozen_node_params_are_not_trainable(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_set_trainable(m, "conv1", 0), VN_OK);
    unsigned flags = 0;
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, "conv1.weight"), NULL, NULL, NULL,
                                    &flags),
                     VN_OK);
    assert_int_equal(flags, 0u);
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, "conv2.weight"), NULL, NULL, NULL,
                                    &flags),
                     VN_OK);
    assert_int_equal(flags, VN_PARAM_TRAINABLE);
    assert_int_equal(vn_model_set_trainable(m, "nope", 0), VN_ERR_INVALID_ARG);
    vn_model_destroy(m);
}

static void test_lr_multiplier_is_reported_per_param(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_set_lr_mult(m, "fc", 10.0f), VN_OK);
    assert_float_equal(vn_model_param_lr_mult(m, vn_model_param_find(m, "fc.bias")), 10.0f, 0.0);
    assert_float_equal(vn_model_param_lr_mult(m, vn_model_param_find(m, "conv1.bias")), 1.0f, 0.0);
    assert_int_equal(vn_model_set_lr_mult(m, "fc", -1.0f), VN_ERR_INVALID_ARG);
    vn_model_destroy(m);
}

static void test_same_seed_gives_same_weights(void **state)
{
    (void)state;
    vn_model *a = from_spec(SMALL_CNN), *b = from_spec(SMALL_CNN);
    assert_memory_equal(param_data(a, "conv2.weight", false), param_data(b, "conv2.weight", false),
                        6 * 4 * 9 * sizeof(float));
    assert_int_equal(vn_model_set_seed(b, 6), VN_OK);
    assert_memory_not_equal(param_data(a, "conv2.weight", false),
                            param_data(b, "conv2.weight", false), 6 * 4 * 9 * sizeof(float));
    assert_int_equal(vn_model_set_seed(b, 5), VN_OK);
    assert_memory_equal(param_data(a, "fc.weight", false), param_data(b, "fc.weight", false),
                        5 * 54 * sizeof(float));
    vn_model_destroy(a);
    vn_model_destroy(b);
}

/* ---- spec text ------------------------------------------------------------------ */

static const char *SPEC_IN =
    "# a residual net\n"
    "input shape=1,8,8 seed=42\n"
    "\n"
    "conv2d name=conv1 out=4 k=3 pad=1   # first conv\n"
    "batch_norm2d name=bn1\n"
    "   relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "conv2d name=conv2 out=4 k=3 pad=1 bias=0\n"
    "add name=res inputs=conv2,pool1\n"
    "flatten name=flat\n"
    "dropout name=drop p=0.25\n"
    "dense name=fc out=10 lr_mult=0.5\n";

static const char *SPEC_OUT =
    "input shape=1,8,8 seed=42\n"
    "conv2d name=conv1 out=4 k=3 stride=1 pad=1 dilation=1 groups=1 bias=1\n"
    "batch_norm2d name=bn1 eps=1e-05 momentum=0.1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2 stride=2 pad=0 dilation=1\n"
    "conv2d name=conv2 out=4 k=3 stride=1 pad=1 dilation=1 groups=1 bias=0\n"
    "add name=res inputs=conv2,pool1\n"
    "flatten name=flat\n"
    "dropout name=drop p=0.25\n"
    "dense name=fc out=10 bias=1 lr_mult=0.5\n";

static void test_spec_prints_every_attribute_back(void **state)
{
    (void)state;
    vn_model *m = from_spec(SPEC_IN);
    char *text = NULL;
    assert_int_equal(vn_model_to_spec(m, &text), VN_OK);
    assert_string_equal(text, SPEC_OUT);
    vn_free(text);
    vn_model_destroy(m);
}

static void test_spec_round_trip_rebuilds_the_same_model(void **state)
{
    (void)state;
    vn_model *a = from_spec(SPEC_IN);
    char *t1 = NULL, *t2 = NULL;
    assert_int_equal(vn_model_to_spec(a, &t1), VN_OK);
    vn_model *b = from_spec(t1);
    assert_int_equal(vn_model_to_spec(b, &t2), VN_OK);
    assert_string_equal(t1, t2);
    assert_int_equal(vn_model_param_count(a), vn_model_param_count(b));
    for (int i = 0; i < vn_model_param_count(a); i++) {
        vn_tensor *va = NULL, *vb = NULL;
        vn_model_param(a, i, NULL, &va, NULL, NULL);
        vn_model_param(b, i, NULL, &vb, NULL, NULL);
        assert_memory_equal(vn_tensor_data(va), vn_tensor_data(vb), vn_tensor_nbytes(va));
    }
    vn_free(t1);
    vn_free(t2);
    vn_model_destroy(a);
    vn_model_destroy(b);
}

static void test_spec_frozen_node_round_trips(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=4\ndense name=fc out=2 trainable=0\n");
    char *text = NULL;
    assert_int_equal(vn_model_to_spec(m, &text), VN_OK);
    assert_string_equal(text, "input shape=4 seed=0\ndense name=fc out=2 bias=1 trainable=0\n");
    vn_free(text);
    vn_model_destroy(m);
}

static void expect_spec_error(const char *text, vn_status status, const char *line,
                              const char *word)
{
    vn_model *m = (vn_model *)1;
    assert_int_equal(vn_model_from_spec(text, &m), status);
    assert_null(m);
    if (!strstr(vn_last_error(), line) || !strstr(vn_last_error(), word))
        fail_msg("error '%s' does not name '%s' and '%s'", vn_last_error(), line, word);
}

static void test_spec_error_names_the_line_and_the_word(void **state)
{
    (void)state;
    expect_spec_error("input shape=1,8,8\n# comment\nconv2d name=conv1 out=x k=3\n",
                      VN_ERR_FORMAT, "line 3", "'out=x'");
    expect_spec_error("input shape=1,8,8\nconv2d name=c out=2 k=3\n\nconv3d name=d\n",
                      VN_ERR_FORMAT, "line 4", "'conv3d'");
    expect_spec_error("input shape=1,8,8\nrelu name=r oops\n", VN_ERR_FORMAT, "line 2", "'oops'");
    expect_spec_error("input shape=1,8,8\nconv2d name=c out=2 k=3 pad=1\ndense name=fc "
                      "inputs=nothere out=3\n",
                      VN_ERR_FORMAT, "line 3", "'nothere'");
}

static void test_spec_shape_error_names_line_and_node(void **state)
{
    (void)state;
    expect_spec_error("input shape=1,4,4\nconv2d name=big out=2 k=7\n", VN_ERR_SHAPE, "line 2",
                      "conv2d 'big'");
}

static void test_spec_needs_the_input_line_first(void **state)
{
    (void)state;
    expect_spec_error("conv2d name=c out=2 k=3\n", VN_ERR_FORMAT, "line 1", "'conv2d'");
    expect_spec_error("# nothing\n\n", VN_ERR_FORMAT, "no", "input");
    expect_spec_error("input shape=1,x\n", VN_ERR_FORMAT, "line 1", "'shape=1,x'");
}

/* ---- forward, memory plan, outputs --------------------------------------------- */

static void test_forward_rejects_a_wrong_input_shape(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    int64_t shape[4] = {2, 1, 12, 11};
    vn_tensor *x = random_tensor(4, shape, 1);
    const vn_tensor *y = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "[2, 1, 12, 11]"));
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_inference_and_training_agree_without_batch_statistics(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_tensor *x = batch_of(m, 3, 7);
    const vn_tensor *y = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    vn_tensor *copy = NULL;
    assert_int_equal(vn_tensor_copy(y, &copy), VN_OK);
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    assert_int_equal(vn_tensor_dim(y, 0), 3);
    assert_int_equal(vn_tensor_dim(y, 1), 5);
    assert_memory_equal(vn_tensor_data_const(y), vn_tensor_data(copy), vn_tensor_nbytes(copy));
    vn_tensor_destroy(copy);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_inference_memory_is_planned_once_and_shared(void **state)
{
    (void)state;
    char spec[2048] = "input shape=8,16,16\n";
    for (int i = 0; i < 12; i++)
        strcat(spec, "conv2d out=8 k=3 pad=1\nrelu\n");
    vn_model *m = from_spec(spec);
    vn_tensor *x = batch_of(m, 2, 3);
    const vn_tensor *y1 = NULL, *y2 = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y1), VN_OK);
    /* 24 nodes of equal size in a chain: two buffers plus the output's */
    assert_true(m->nbufs <= 3);
    float **bufs = m->bufs;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y2), VN_OK);
    assert_ptr_equal(m->bufs, bufs);
    assert_ptr_equal(y1, y2);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_unkept_activation_is_refused_after_inference(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_tensor *x = batch_of(m, 2, 3);
    const vn_tensor *y = NULL, *act = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    assert_int_equal(vn_model_output(m, "pool1", &act), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "vn_model_keep_output"));
    assert_int_equal(vn_model_output(m, "fc", &act), VN_OK);
    assert_ptr_equal(act, y);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_kept_activation_matches_the_training_one(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_tensor *x = batch_of(m, 2, 3);
    const vn_tensor *y = NULL, *act = NULL;
    assert_int_equal(vn_model_keep_output(m, "pool1", 1), VN_OK);
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    assert_int_equal(vn_model_output(m, "pool1", &act), VN_OK);
    vn_tensor *kept = NULL;
    assert_int_equal(vn_tensor_copy(act, &kept), VN_OK);
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    assert_int_equal(vn_model_output(m, "pool1", &act), VN_OK);
    assert_int_equal(vn_tensor_dim(act, 1), 4);
    assert_int_equal(vn_tensor_dim(act, 2), 6);
    assert_memory_equal(vn_tensor_data_const(act), vn_tensor_data(kept), vn_tensor_nbytes(kept));
    vn_tensor_destroy(kept);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

/* ---- backward ------------------------------------------------------------------ */

static void test_backward_needs_a_training_forward(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_tensor *x = batch_of(m, 2, 3);
    const vn_tensor *y = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    vn_tensor *dy = NULL;
    assert_int_equal(vn_tensor_copy(y, &dy), VN_OK);
    assert_int_equal(vn_model_backward(m, dy, NULL), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(dy);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_backward_accumulates_until_zero_grad(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_tensor *x = batch_of(m, 2, 3);
    const vn_tensor *y = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    vn_tensor *dy = NULL;
    assert_int_equal(vn_tensor_copy(y, &dy), VN_OK);
    assert_int_equal(vn_model_backward(m, dy, NULL), VN_OK);
    float once[40];
    memcpy(once, param_data(m, "conv1.weight", true), 36 * sizeof(float));
    memcpy(once + 36, param_data(m, "conv1.bias", true), 4 * sizeof(float));
    assert_int_equal(vn_model_backward(m, dy, NULL), VN_OK);
    const float *w = param_data(m, "conv1.weight", true), *b = param_data(m, "conv1.bias", true);
    for (int i = 0; i < 36; i++)
        assert_float_equal(w[i], 2.0f * once[i], 1e-6f * fabsf(once[i]) + 1e-7f);
    for (int i = 0; i < 4; i++)
        assert_float_equal(b[i], 2.0f * once[36 + i], 1e-6f * fabsf(once[36 + i]) + 1e-7f);
    vn_model_zero_grad(m);
    for (int i = 0; i < 36; i++)
        assert_float_equal(w[i], 0.0f, 0.0);
    vn_tensor_destroy(dy);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

/* L = sum(y * dy) in double for the model's training forward on x. */
static double model_loss(vn_model *m, const vn_tensor *x, const vn_tensor *dy)
{
    const vn_tensor *y = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    const float *py = vn_tensor_data_const(y), *pd = vn_tensor_data_const(dy);
    double l = 0;
    for (size_t i = 0; i < vn_tensor_numel(y); i++)
        l += (double)py[i] * pd[i];
    return l;
}

/* Central differences (h = 1e-2, tolerance 1e-3 absolute + 1e-3 relative:
 * see test_layers.c for the reasoning) of the input and of two parameters
 * through a graph with a residual add and a concat, where gradients from
 * two consumers must be summed. */
static void test_graph_gradients_match_finite_differences(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=2,6,6 seed=3\n"
                            "conv2d name=a out=3 k=3 pad=1\n"
                            "tanh name=ta\n"
                            "conv2d name=b out=3 k=3 pad=1\n"
                            "add name=res inputs=b,ta\n"
                            "conv2d name=side inputs=input out=2 k=1\n"
                            "concat name=cat inputs=res,side,ta\n"
                            "avg_pool2d name=pool k=2\n"
                            "dense name=fc out=4\n");
    vn_tensor *x = batch_of(m, 2, 11);
    int64_t ys[2] = {2, 4};
    vn_tensor *dy = random_tensor(2, ys, 12);
    const vn_tensor *y = NULL, *dx = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    vn_model_zero_grad(m);
    assert_int_equal(vn_model_backward(m, dy, &dx), VN_OK);
    vn_tensor *dxc = NULL;
    assert_int_equal(vn_tensor_copy(dx, &dxc), VN_OK);
    struct {
        float *v;
        const float *g;
        size_t n;
    } checks[3] = {
        {vn_tensor_data(x), vn_tensor_data(dxc), vn_tensor_numel(x)},
        {param_data(m, "a.weight", false), param_data(m, "a.weight", true), 54},
        {param_data(m, "side.bias", false), param_data(m, "side.bias", true), 2},
    };
    const float h = 1e-2f;
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < checks[c].n; i += checks[c].n > 20 ? 7 : 1) {
            float keep = checks[c].v[i];
            checks[c].v[i] = keep + h;
            double lp = model_loss(m, x, dy);
            checks[c].v[i] = keep - h;
            double lm = model_loss(m, x, dy);
            checks[c].v[i] = keep;
            double fd = (lp - lm) / ((double)(keep + h) - (double)(keep - h));
            double an = checks[c].g[i];
            if (fabs(fd - an) > 1e-3 + 1e-3 * fabs(an))
                fail_msg("check %d element %zu: backward %g, finite difference %g", c, i, an, fd);
        }
    }
    vn_tensor_destroy(dxc);
    vn_tensor_destroy(dy);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_frozen_nodes_get_no_gradient(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_set_trainable(m, "conv1", 0), VN_OK);
    assert_int_equal(vn_model_set_trainable(m, "conv2", 0), VN_OK);
    vn_tensor *x = batch_of(m, 2, 3);
    const vn_tensor *y = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    vn_tensor *dy = NULL;
    assert_int_equal(vn_tensor_copy(y, &dy), VN_OK);
    assert_int_equal(vn_model_backward(m, dy, NULL), VN_OK);
    const float *g1 = param_data(m, "conv1.weight", true), *g2 = param_data(m, "conv2.bias", true);
    for (int i = 0; i < 36; i++)
        assert_float_equal(g1[i], 0.0f, 0.0);
    for (int i = 0; i < 6; i++)
        assert_float_equal(g2[i], 0.0f, 0.0);
    /* nothing upstream of fc needed a gradient: the walk stopped there */
    assert_false(m->nodes[0].need_grad);
    assert_false(m->nodes[5].need_grad);
    const float *gf = param_data(m, "fc.weight", true);
    double s = 0;
    for (int i = 0; i < 270; i++)
        s += fabs(gf[i]);
    assert_true(s > 0);
    vn_tensor_destroy(dy);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_batch_norm_updates_running_stats_only_when_training(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=2,3,3\nbatch_norm2d name=bn\n");
    int64_t shape[4] = {4, 2, 3, 3};
    vn_tensor *x = random_tensor(4, shape, 9);
    const vn_tensor *y = NULL;
    const float *rm = param_data(m, "bn.running_mean", false);
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y), VN_OK);
    assert_float_equal(rm[0], 0.0f, 0.0);
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    assert_true(rm[0] != 0.0f);
    float after = rm[0];
    assert_int_equal(vn_model_set_trainable(m, "bn", 0), VN_OK);
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    assert_float_equal(rm[0], after, 0.0);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

/* ---- threads and randomness --------------------------------------------------- */

static void test_dropout_masks_do_not_depend_on_thread_count(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    vn_model *a = from_spec("input shape=64,32 seed=8\ndropout name=d p=0.5\n");
    vn_model *b = from_spec("input shape=64,32 seed=8\ndropout name=d p=0.5\n");
    vn_tensor *x = batch_of(a, 64, 1);
    const vn_tensor *ya = NULL, *yb = NULL;
    assert_int_equal(vn_set_num_threads(1), VN_OK);
    assert_int_equal(vn_model_forward(a, x, VN_MODE_TRAINING, &ya), VN_OK);
    assert_int_equal(vn_set_num_threads(3), VN_OK);
    assert_int_equal(vn_model_forward(b, x, VN_MODE_TRAINING, &yb), VN_OK);
    assert_memory_equal(vn_tensor_data_const(ya), vn_tensor_data_const(yb), vn_tensor_nbytes(ya));
    /* about half dropped, the rest doubled */
    const float *px = vn_tensor_data(x), *py = vn_tensor_data_const(ya);
    size_t zeros = 0;
    for (size_t i = 0; i < vn_tensor_numel(x); i++) {
        if (py[i] == 0.0f)
            zeros++;
        else
            assert_float_equal(py[i], 2.0f * px[i], 0.0);
    }
    assert_true(zeros > 64 * 64 * 32 * 45 / 100 && zeros < 64 * 64 * 32 * 55 / 100);
    /* the next step draws a new mask */
    assert_int_equal(vn_model_forward(b, x, VN_MODE_TRAINING, &yb), VN_OK);
    assert_memory_not_equal(vn_tensor_data_const(ya), vn_tensor_data_const(yb),
                            vn_tensor_nbytes(ya));
    assert_int_equal(vn_set_num_threads(old), VN_OK);
    vn_tensor_destroy(x);
    vn_model_destroy(a);
    vn_model_destroy(b);
}

/* One training forward and backward of a small CNN on `threads` threads:
 * the output, the input gradient and every parameter gradient, copied. */
static void run_on_threads(int threads, vn_tensor **out, vn_tensor **grads, int *ngrads)
{
    assert_int_equal(vn_set_num_threads(threads), VN_OK);
    vn_model *m = from_spec("input shape=16,20,20 seed=2\n"
                            "conv2d name=c1 out=32 k=3 pad=1\n"
                            "batch_norm2d name=bn\n"
                            "relu\n"
                            "conv2d name=dw out=32 k=3 pad=1 groups=32\n"
                            "max_pool2d k=2\n"
                            "conv2d name=c2 out=8 k=1\n"
                            "dense name=fc out=10\n");
    /* batch 5: one thread groups the 20x20 images by 3 (0-2, 3-4), two
     * threads by their halves (0-1, 2-4): the GEMMs differ, the results may not */
    vn_tensor *x = batch_of(m, 5, 4);
    int64_t ys[2] = {5, 10};
    vn_tensor *dy = random_tensor(2, ys, 5);
    const vn_tensor *y = NULL, *dx = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    assert_int_equal(vn_tensor_copy(y, &out[0]), VN_OK);
    assert_int_equal(vn_model_backward(m, dy, &dx), VN_OK);
    assert_int_equal(vn_tensor_copy(dx, &out[1]), VN_OK);
    *ngrads = 0;
    for (int i = 0; i < vn_model_param_count(m); i++) {
        vn_tensor *g = NULL;
        vn_model_param(m, i, NULL, NULL, &g, NULL);
        if (g)
            assert_int_equal(vn_tensor_copy(g, &grads[(*ngrads)++]), VN_OK);
    }
    vn_tensor_destroy(dy);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

static void test_training_is_bit_identical_on_any_thread_count(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    vn_tensor *out1[2], *out2[2], *g1[16], *g2[16];
    int n1 = 0, n2 = 0;
    run_on_threads(1, out1, g1, &n1);
    run_on_threads(2, out2, g2, &n2);
    assert_int_equal(vn_set_num_threads(old), VN_OK);
    assert_int_equal(n1, n2);
    for (int i = 0; i < 2; i++) {
        assert_memory_equal(vn_tensor_data(out1[i]), vn_tensor_data(out2[i]),
                            vn_tensor_nbytes(out1[i]));
        vn_tensor_destroy(out1[i]);
        vn_tensor_destroy(out2[i]);
    }
    for (int i = 0; i < n1; i++) {
        assert_memory_equal(vn_tensor_data(g1[i]), vn_tensor_data(g2[i]), vn_tensor_nbytes(g1[i]));
        vn_tensor_destroy(g1[i]);
        vn_tensor_destroy(g2[i]);
    }
}

/* ---- training ------------------------------------------------------------------- */

static void test_model_from_spec_learns_random_labels(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=1,8,8 seed=1\n"
                            "conv2d name=conv1 out=6 k=3 pad=1\n"
                            "batch_norm2d name=bn1\n"
                            "relu name=relu1\n"
                            "max_pool2d name=pool1 k=2\n"
                            "dense name=fc out=4\n");
    vn_tensor *x = batch_of(m, 16, 21);
    vn_tensor *labels = NULL, *dlogits = NULL;
    int64_t n = 16, ls[2] = {16, 4};
    assert_int_equal(vn_tensor_create(VN_I32, 1, &n, &labels), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 2, ls, &dlogits), VN_OK);
    for (int i = 0; i < 16; i++)
        ((int32_t *)vn_tensor_data(labels))[i] = (i * 7) % 4;
    float first = 0, last = 0;
    for (int step = 0; step < 30; step++) {
        const vn_tensor *logits = NULL;
        assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &logits), VN_OK);
        float loss = 0;
        assert_int_equal(vn_loss_cross_entropy(logits, labels, 0.0f, &loss, dlogits), VN_OK);
        if (step == 0)
            first = loss;
        last = loss;
        vn_model_zero_grad(m);
        assert_int_equal(vn_model_backward(m, dlogits, NULL), VN_OK);
        /* plain gradient descent, by hand */
        for (int i = 0; i < vn_model_param_count(m); i++) {
            vn_tensor *v = NULL, *g = NULL;
            unsigned flags = 0;
            assert_int_equal(vn_model_param(m, i, NULL, &v, &g, &flags), VN_OK);
            if (!(flags & VN_PARAM_TRAINABLE))
                continue;
            float *pv = vn_tensor_data(v);
            const float *pg = vn_tensor_data(g);
            for (size_t k = 0; k < vn_tensor_numel(v); k++)
                pv[k] -= 0.1f * pg[k];
        }
    }
    /* ln 4 = 1.386 at chance; 16 samples are memorised quickly */
    assert_true(first > 1.0f);
    assert_true(last < 0.5f * first);
    vn_tensor_destroy(labels);
    vn_tensor_destroy(dlogits);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential_builder_infers_every_shape),
        cmocka_unit_test(test_shape_error_names_the_node),
        cmocka_unit_test(test_add_of_mismatched_shapes_names_the_node),
        cmocka_unit_test(test_kernel_larger_than_input_names_the_node),
        cmocka_unit_test(test_unknown_attribute_is_refused_naming_the_word),
        cmocka_unit_test(test_unknown_layer_type_is_refused),
        cmocka_unit_test(test_duplicate_node_name_is_refused),
        cmocka_unit_test(test_failed_add_leaves_the_model_unchanged),
        cmocka_unit_test(test_nodes_without_name_get_type_and_number),
        cmocka_unit_test(test_node_param_count_and_flops),
        cmocka_unit_test(test_typed_builders_match_attribute_strings),
        cmocka_unit_test(test_params_have_pytorch_state_dict_names),
        cmocka_unit_test(test_frozen_node_params_are_not_trainable),
        cmocka_unit_test(test_lr_multiplier_is_reported_per_param),
        cmocka_unit_test(test_same_seed_gives_same_weights),
        cmocka_unit_test(test_spec_prints_every_attribute_back),
        cmocka_unit_test(test_spec_round_trip_rebuilds_the_same_model),
        cmocka_unit_test(test_spec_frozen_node_round_trips),
        cmocka_unit_test(test_spec_error_names_the_line_and_the_word),
        cmocka_unit_test(test_spec_shape_error_names_line_and_node),
        cmocka_unit_test(test_spec_needs_the_input_line_first),
        cmocka_unit_test(test_forward_rejects_a_wrong_input_shape),
        cmocka_unit_test(test_inference_and_training_agree_without_batch_statistics),
        cmocka_unit_test(test_inference_memory_is_planned_once_and_shared),
        cmocka_unit_test(test_unkept_activation_is_refused_after_inference),
        cmocka_unit_test(test_kept_activation_matches_the_training_one),
        cmocka_unit_test(test_backward_needs_a_training_forward),
        cmocka_unit_test(test_backward_accumulates_until_zero_grad),
        cmocka_unit_test(test_graph_gradients_match_finite_differences),
        cmocka_unit_test(test_frozen_nodes_get_no_gradient),
        cmocka_unit_test(test_batch_norm_updates_running_stats_only_when_training),
        cmocka_unit_test(test_dropout_masks_do_not_depend_on_thread_count),
        cmocka_unit_test(test_training_is_bit_identical_on_any_thread_count),
        cmocka_unit_test(test_model_from_spec_learns_random_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
