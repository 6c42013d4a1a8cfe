/* test_layers_geometry.c - the pad and resize layers, ceil_mode and
 * pad_end (asymmetric padding) of the pooling layers and convolutions.
 *
 * Forward values come from tests/data/geometry/ (written by
 * tests/data/make_geometry_cases.py): ONNX's own node test data for
 * Resize-13, Pad, MaxPool / AveragePool, Conv and ConvTranspose, and torch
 * (F.interpolate, F.pad, pooling with ceil_mode, convolutions with F.pad
 * applied first) for the rest. Every case is also printed back through the
 * layer's attrs and rebuilt from that text, which must give the same text.
 *
 * Gradients are checked against central differences exactly as in
 * test_layers.c: L = sum(y * dy) in double, h = 1e-2, |fd - an| <= 1e-3 +
 * 1e-3 |an|. Every layer here is linear in its input (max pool piecewise:
 * its inputs are distinct values 0.03 apart, > 2h, so no perturbation
 * changes an arg-max), so the truncation error is zero and the tolerance
 * only has to cover float rounding.
 */
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
#include "nn/layer.h"
#include "grad_check.h"

#ifndef VN_TEST_DATA
#define VN_TEST_DATA "tests/data"
#endif
#define GEOMETRY_DIR VN_TEST_DATA "/geometry"

/* ---- helpers --------------------------------------------------------------- */

/* Build a layer of one input with the per-sample shape of x (batch first). */
static vn_status build(const char *type, const char *attrs, int ndim, const int64_t *sample,
                       vn__layer **l)
{
    vn__shape s = {.ndim = ndim};
    for (int d = 0; d < ndim; d++)
        s.d[d] = sample[d];
    vn__attrs a;
    vn_status st = vn__attrs_parse(attrs, type, &a);
    const vn__layer_type *lt = vn__layer_type_find(type);
    assert_non_null(lt);
    if (st == VN_OK)
        st = lt->create(&a, 1, &s, l);
    if (st == VN_OK) {
        st = vn__attrs_check_unused(&a);
        if (st != VN_OK) {
            vn__layer_destroy(*l);
            *l = NULL;
        }
    }
    vn__attrs_free(&a);
    return st;
}

static vn__layer *must_build(const char *type, const char *attrs, int ndim, const int64_t *sample)
{
    vn__layer *l = NULL;
    vn_status s = build(type, attrs, ndim, sample, &l);
    if (s != VN_OK)
        fail_msg("%s %s: %s", type, attrs, vn_last_error());
    return l;
}

/* The layer's attributes as printed (caller frees). */
static char *attrs_text(const vn__layer *l)
{
    vn__strbuf sb = {0};
    vn__strbuf_printf(&sb, "%s", "");
    if (l->ops->attrs)
        l->ops->attrs(l, &sb);
    char *t = NULL;
    assert_int_equal(vn__strbuf_take(&sb, &t), VN_OK);
    return t;
}

static vn_tensor *load(const char *name, const char *suffix)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s_%s.npy", GEOMETRY_DIR, name, suffix);
    vn_tensor *t = NULL;
    if (vn_tensor_load_npy(path, &t) != VN_OK)
        return NULL;
    return t;
}

static vn_tensor *output_for(const vn__layer *l, const vn_tensor *x)
{
    vn__shape in = {.ndim = (int)x->ndim - 1}, os;
    for (int d = 0; d < in.ndim; d++)
        in.d[d] = x->shape[d + 1];
    assert_int_equal(l->ops->output_shape(l, 1, &in, &os), VN_OK);
    int64_t ys[VN_MAX_DIMS] = {x->shape[0]};
    for (int d = 0; d < os.ndim; d++)
        ys[d + 1] = os.d[d];
    vn_tensor *y = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, os.ndim + 1, ys, &y), VN_OK);
    return y;
}

static vn_status forward(vn__layer *l, const vn_tensor *x, vn_tensor *y, bool training)
{
    vn__run run = {.training = training, .seed = 1};
    const vn_tensor *in[1] = {x};
    return l->ops->forward(l, &run, 1, in, y);
}

/* Run every case of `group` in cases.txt; returns how many ran. */
static int run_group(const char *group)
{
    FILE *f = fopen(GEOMETRY_DIR "/cases.txt", "r");
    assert_non_null(f);
    char line[1024];
    int ran = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '#' || !line[0])
            continue;
        char *grp = strtok(line, "|"), *name = strtok(NULL, "|"), *type = strtok(NULL, "|"),
             *attrs = strtok(NULL, "|");
        assert_non_null(attrs);
        if (strcmp(grp, group) != 0)
            continue;
        vn_tensor *x = load(name, "x"), *want = load(name, "y");
        if (!x || !want)
            fail_msg("%s: cannot read its .npy files: %s", name, vn_last_error());
        int64_t sample[VN_MAX_DIMS];
        int nd = (int)x->ndim - 1;
        for (int d = 0; d < nd; d++)
            sample[d] = x->shape[d + 1];
        vn__layer *l = NULL;
        if (build(type, attrs, nd, sample, &l) != VN_OK)
            fail_msg("%s: %s %s: %s", name, type, attrs, vn_last_error());
        vn_tensor *w = load(name, "w"), *b = load(name, "b");
        if (w) {
            assert_int_equal(vn_tensor_numel(w), vn_tensor_numel(l->params[0].value));
            memcpy(vn_tensor_data(l->params[0].value), vn_tensor_data(w),
                   vn_tensor_numel(w) * sizeof(float));
        }
        if (b) {
            assert_true(l->nparams > 1);
            memcpy(vn_tensor_data(l->params[1].value), vn_tensor_data(b),
                   vn_tensor_numel(b) * sizeof(float));
        }
        vn_tensor *y = output_for(l, x);
        if (y->ndim != want->ndim)
            fail_msg("%s: rank %d, expected %d", name, (int)y->ndim,
                     (int)want->ndim);
        for (int d = 0; d < y->ndim; d++)
            if (y->shape[d] != want->shape[d])
                fail_msg("%s: output dim %d is %lld, expected %lld", name, d,
                         (long long)y->shape[d], (long long)want->shape[d]);
        assert_int_equal(forward(l, x, y, false), VN_OK);
        const float *got = vn_tensor_data(y), *ref = vn_tensor_data(want);
        for (size_t i = 0; i < vn_tensor_numel(y); i++)
            if (!(fabsf(got[i] - ref[i]) <= 1e-5f + 1e-5f * fabsf(ref[i])))
                fail_msg("%s: y[%zu] = %.8g, expected %.8g (%s %s)", name, i, (double)got[i],
                         (double)ref[i], type, attrs);
        /* the attributes printed back build the same layer */
        char *t1 = attrs_text(l);
        vn__layer *l2 = must_build(type, t1, nd, sample);
        char *t2 = attrs_text(l2);
        assert_string_equal(t1, t2);
        vn__free(t1);
        vn__free(t2);
        vn__layer_destroy(l2);
        vn__layer_destroy(l);
        vn_tensor_destroy(x);
        vn_tensor_destroy(want);
        vn_tensor_destroy(y);
        vn_tensor_destroy(w);
        vn_tensor_destroy(b);
        ran++;
    }
    fclose(f);
    return ran;
}

/* ---- gradient check (as test_layers.c) ------------------------------------ */

#define MAX_CHECKS 60

/* Gradient check of a one-input layer on an input of shape xs (batch
 * first); `distinct` fills the input with distinct values 0.03 apart. */
static void check_gradients(const char *type, const char *attrs, int ndim, const int64_t *xs,
                            bool distinct)
{
    struct vn_rng rng;
    vn__rng_init(&rng, 4321, 8765);
    gc_rig r = {.nin = 1, .run = {.training = true, .seed = 1}};
    assert_int_equal(vn_tensor_create(VN_F32, ndim, xs, &r.in[0]), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, ndim, xs, &r.din[0]), VN_OK);
    float *p = vn_tensor_data(r.in[0]);
    size_t n = vn_tensor_numel(r.in[0]);
    for (size_t i = 0; i < n; i++)
        p[i] = distinct ? 0.03f * (float)i - 0.015f * (float)n : vn_rng_normal(&rng);
    if (distinct)
        for (size_t i = n; i > 1; i--) {
            size_t j = vn_rng_below(&rng, (uint32_t)i);
            float t = p[i - 1];
            p[i - 1] = p[j];
            p[j] = t;
        }
    r.layer = must_build(type, attrs, ndim - 1, xs + 1);
    if (r.layer->ops->init)
        r.layer->ops->init(r.layer, &rng);
    r.y = output_for(r.layer, r.in[0]);
    assert_int_equal(vn_tensor_create(VN_F32, (int)r.y->ndim, r.y->shape,
                                      &r.dy),
                     VN_OK);
    float *dy = vn_tensor_data(r.dy);
    for (size_t i = 0; i < vn_tensor_numel(r.dy); i++)
        dy[i] = vn_rng_normal(&rng);
    (void)gc_loss(&r);
    assert_int_equal(r.layer->ops->backward(r.layer, &r.run, 1, (const vn_tensor *const *)r.in,
                                            r.y, r.dy, r.din, true),
                     VN_OK);
    gc_check_tensor(&r, r.in[0], r.din[0], "input", MAX_CHECKS);
    for (int k = 0; k < r.layer->nparams; k++)
        if (r.layer->params[k].grad)
            gc_check_tensor(&r, r.layer->params[k].value, r.layer->params[k].grad, r.layer->params[k].suffix, MAX_CHECKS);
    vn_tensor_destroy(r.in[0]);
    vn_tensor_destroy(r.din[0]);
    vn_tensor_destroy(r.y);
    vn_tensor_destroy(r.dy);
    vn__layer_destroy(r.layer);
}

/* The constructor refuses attrs on a per-sample shape with `status`, and
 * its message contains `words`. */
static void refuses(const char *type, const char *attrs, int ndim, const int64_t *sample,
                    vn_status status, const char *words)
{
    vn__layer *l = NULL;
    vn_status s = build(type, attrs, ndim, sample, &l);
    if (s == VN_OK) {
        vn__layer_destroy(l);
        fail_msg("%s %s was accepted", type, attrs);
    }
    assert_int_equal(s, status);
    if (!strstr(vn_last_error(), words))
        fail_msg("%s %s: message '%s' does not say '%s'", type, attrs, vn_last_error(), words);
    assert_null(l);
}

static const int64_t IMG[3] = {2, 5, 6};

/* ---- forward values ------------------------------------------------------------ */

static void test_resize_matches_onnx_test_data(void **state)
{
    (void)state;
    assert_int_equal(run_group("onnx_resize"), 13);
}

static void test_resize_matches_torch_interpolate(void **state)
{
    (void)state;
    assert_int_equal(run_group("torch_resize"), 9);
}

static void test_pad_matches_onnx_test_data(void **state)
{
    (void)state;
    assert_int_equal(run_group("onnx_pad"), 3);
}

static void test_pad_matches_torch_and_numpy_on_ranks_1_to_4(void **state)
{
    (void)state;
    assert_int_equal(run_group("torch_pad"), 11);
}

static void test_pooling_matches_onnx_test_data(void **state)
{
    (void)state;
    assert_int_equal(run_group("onnx_pool"), 21);
}

static void test_pooling_ceil_mode_and_pad_end_match_torch(void **state)
{
    (void)state;
    assert_int_equal(run_group("torch_pool"), 13);
}

static void test_convolutions_match_onnx_test_data(void **state)
{
    (void)state;
    assert_int_equal(run_group("onnx_conv"), 11);
}

static void test_convolutions_with_pad_end_match_torch(void **state)
{
    (void)state;
    assert_int_equal(run_group("torch_conv"), 11);
}

static void test_pad_constant_values_written_down(void **state)
{
    (void)state;
    /* x = [1, 2, 3]; pads=2,-1 value=9 -> [9, 9, 1, 2] */
    int64_t xs[2] = {1, 3};
    vn__layer *l = must_build("pad", "pads=2,-1 value=9", 1, xs + 1);
    vn_tensor *x;
    assert_int_equal(vn_tensor_create(VN_F32, 2, xs, &x), VN_OK);
    float *px = vn_tensor_data(x);
    px[0] = 1, px[1] = 2, px[2] = 3;
    vn_tensor *y = output_for(l, x);
    assert_int_equal(y->shape[1], 4);
    assert_int_equal(forward(l, x, y, false), VN_OK);
    const float want[4] = {9, 9, 1, 2};
    for (int i = 0; i < 4; i++)
        assert_float_equal(((float *)vn_tensor_data(y))[i], want[i], 0.0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn__layer_destroy(l);
}

static void test_max_pool2d_ceil_mode_drops_a_window_starting_in_the_end_padding(void **state)
{
    (void)state;
    /* 4 rows, k=2 s=2 pad=1: floor gives 3; ceil(5/2)+1 = 4 would start the
     * last window at row 5 (past the input and the leading padding): 3. */
    int64_t s[3] = {1, 4, 4};
    vn__layer *l = must_build("max_pool2d", "k=2 stride=2 pad=1 ceil_mode=1", 3, s);
    vn__shape in = {.ndim = 3, .d = {1, 4, 4}}, os;
    assert_int_equal(l->ops->output_shape(l, 1, &in, &os), VN_OK);
    assert_int_equal(os.d[1], 3);
    assert_int_equal(os.d[2], 3);
    vn__layer_destroy(l);
    /* 5 rows, k=2 s=2: floor 2, ceil 3 (the last window starts at row 4) */
    int64_t s5[3] = {1, 5, 5};
    l = must_build("max_pool2d", "k=2 ceil_mode=1", 3, s5);
    in.d[1] = in.d[2] = 5;
    assert_int_equal(l->ops->output_shape(l, 1, &in, &os), VN_OK);
    assert_int_equal(os.d[1], 3);
    vn__layer_destroy(l);
}

static void test_avg_pool2d_ceil_divisor_ignores_the_overhang(void **state)
{
    (void)state;
    /* 1x3 row [1, 2, 3], k=1,2 s=1,2 ceil: windows [1,2] and [3] ->
     * 1.5 and 3 (divisor 1 for the overhanging window, count_include_pad
     * or not: there is no explicit padding). */
    int64_t xs[4] = {1, 1, 1, 3};
    for (int include = 0; include < 2; include++) {
        vn__layer *l = must_build("avg_pool2d",
                                  include ? "k=1,2 stride=1,2 ceil_mode=1 count_include_pad=1"
                                          : "k=1,2 stride=1,2 ceil_mode=1 count_include_pad=0",
                                  3, xs + 1);
        vn_tensor *x;
        assert_int_equal(vn_tensor_create(VN_F32, 4, xs, &x), VN_OK);
        float *px = vn_tensor_data(x);
        px[0] = 1, px[1] = 2, px[2] = 3;
        vn_tensor *y = output_for(l, x);
        assert_int_equal(y->shape[3], 2);
        assert_int_equal(forward(l, x, y, false), VN_OK);
        assert_float_equal(((float *)vn_tensor_data(y))[0], 1.5, 0.0);
        assert_float_equal(((float *)vn_tensor_data(y))[1], 3.0, 0.0);
        vn_tensor_destroy(x);
        vn_tensor_destroy(y);
        vn__layer_destroy(l);
    }
}

/* ---- attrs printing ---------------------------------------------------------------- */

static void expect_attrs(const char *type, const char *attrs, const char *want)
{
    vn__layer *l = must_build(type, attrs, 3, IMG);
    char *t = attrs_text(l);
    assert_string_equal(t, want);
    vn__free(t);
    vn__layer_destroy(l);
}

static void test_default_pooling_and_conv_attrs_print_as_before(void **state)
{
    (void)state;
    expect_attrs("max_pool2d", "k=2", " k=2 stride=2 pad=0 dilation=1");
    expect_attrs("avg_pool2d", "k=3 stride=1 pad=1", " k=3 stride=1 pad=1 count_include_pad=1");
    expect_attrs("conv2d", "out=4 k=3 pad=1 pad_end=1",
                 " out=4 k=3 stride=1 pad=1 dilation=1 groups=1 bias=1");
    expect_attrs("conv_transpose2d", "out=4 k=3 pad=0",
                 " out=4 k=3 stride=1 pad=0 output_pad=0 dilation=1 groups=1 bias=1");
}

static void test_pad_end_and_ceil_mode_print_when_not_default(void **state)
{
    (void)state;
    expect_attrs("max_pool2d", "k=3 stride=2 pad=1 pad_end=0 ceil_mode=1",
                 " k=3 stride=2 pad=1 pad_end=0 dilation=1 ceil_mode=1");
    expect_attrs("avg_pool2d", "k=3 stride=2 pad_end=1,2 ceil_mode=1",
                 " k=3 stride=2 pad=0 pad_end=1,2 count_include_pad=1 ceil_mode=1");
    expect_attrs("conv2d", "out=2 k=3 pad=1,0 pad_end=0,1",
                 " out=2 k=3 stride=1 pad=1,0 pad_end=0,1 dilation=1 groups=1 bias=1");
    expect_attrs("conv_transpose2d", "out=2 k=3 stride=2 pad=1 pad_end=0",
                 " out=2 k=3 stride=2 pad=1 pad_end=0 output_pad=0 dilation=1 groups=1 bias=1");
}

static void test_init_prints_only_when_not_the_default(void **state)
{
    (void)state;
    expect_attrs("conv2d", "out=4 k=3 init=torch",
                 " out=4 k=3 stride=1 pad=0 dilation=1 groups=1 bias=1");
    expect_attrs("conv2d", "out=4 k=3 init=he",
                 " out=4 k=3 stride=1 pad=0 dilation=1 groups=1 bias=1 init=he");
    expect_attrs("conv_transpose2d", "out=4 k=3 init=he",
                 " out=4 k=3 stride=1 pad=0 output_pad=0 dilation=1 groups=1 bias=1 init=he");
    expect_attrs("dense", "out=5 init=he", " out=5 bias=1 init=he");
}

static void test_init_refuses_an_unknown_scheme(void **state)
{
    (void)state;
    vn__layer *l = NULL;
    assert_int_equal(build("conv2d", "out=4 k=3 init=xavier", 3, IMG, &l), VN_ERR_INVALID_ARG);
    assert_null(l);
    assert_non_null(strstr(vn_last_error(), "init=xavier"));
    assert_int_equal(build("dense", "out=4 init=", 3, IMG, &l), VN_ERR_FORMAT);
    assert_null(l);
}

static void test_pad_and_resize_print_every_attribute(void **state)
{
    (void)state;
    expect_attrs("pad", "pads=0,1,2,0,3,-1", " pads=0,1,2,0,3,-1 mode=constant value=0");
    expect_attrs("pad", "pads=0,1,1,0,1,1 mode=reflect value=2.5",
                 " pads=0,1,1,0,1,1 mode=reflect value=2.5");
    expect_attrs("resize", "size=7,9",
                 " size=7,9 mode=nearest coord=half_pixel nearest=round_prefer_floor");
    expect_attrs("resize", "size=10 mode=linear coord=align_corners scale=2",
                 " size=10,10 mode=linear coord=align_corners nearest=round_prefer_floor "
                 "scale=2,2");
}

static void test_spec_with_the_new_words_round_trips_and_runs(void **state)
{
    (void)state;
    const char *spec =
        "input shape=3,9,10 seed=3\n"
        "pad name=p pads=0,1,2,0,0,-1 mode=reflect value=0\n"
        "conv2d name=c out=4 k=3 stride=2 pad=1,0 pad_end=0,1 dilation=1 groups=1 bias=1\n"
        "max_pool2d name=mp k=2 stride=2 pad=0 dilation=1 ceil_mode=1\n"
        "resize name=r size=7,5 mode=linear coord=half_pixel nearest=round_prefer_floor\n"
        "avg_pool2d name=ap k=3 stride=2 pad=1 pad_end=0 count_include_pad=0 ceil_mode=1\n";
    vn_model *m = NULL;
    if (vn_model_from_spec(spec, &m) != VN_OK)
        fail_msg("vn_model_from_spec: %s", vn_last_error());
    char *text = NULL;
    assert_int_equal(vn_model_to_spec(m, &text), VN_OK);
    assert_string_equal(text, spec);
    vn_free(text);
    int64_t os[VN_MAX_DIMS];
    int nd = 0;
    assert_int_equal(vn_model_output_shape(m, os, &nd), VN_OK);
    /* pad [3,10,11] -> conv [4,5,5] -> pool ceil [4,3,3] -> resize [4,7,5] -> avg [4,4,3] */
    assert_int_equal(nd, 3);
    assert_int_equal(os[0], 4);
    assert_int_equal(os[1], 4);
    assert_int_equal(os[2], 3);
    int64_t xs[4] = {2, 3, 9, 10}, ys[4] = {2, 4, 4, 3};
    vn_tensor *x, *g, *y = NULL;
    const vn_tensor *gin = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 4, xs, &x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 4, ys, &g), VN_OK);
    float *px = vn_tensor_data(x), *pg = vn_tensor_data(g);
    for (size_t i = 0; i < vn_tensor_numel(x); i++)
        px[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
    for (size_t i = 0; i < vn_tensor_numel(g); i++)
        pg[i] = 1.0f;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, (const vn_tensor **)&y), VN_OK);
    assert_int_equal(vn_model_backward(m, g, &gin), VN_OK);
    assert_non_null(gin);
    double sum = 0;
    for (size_t i = 0; i < vn_tensor_numel(gin); i++)
        sum += fabs(((const float *)vn_tensor_data_const(gin))[i]);
    assert_true(sum > 0.0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(g);
    vn_model_destroy(m);
}

/* ---- gradients ------------------------------------------------------------------- */

static void test_pad_constant_with_crop_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 3, 5, 6};
    check_gradients("pad", "pads=1,-1,2,0,2,-2 value=0.5", 4, xs, false);
}

static void test_pad_reflect_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 5, 6};
    check_gradients("pad", "pads=0,4,2,0,3,5 mode=reflect", 4, xs, false);
}

static void test_pad_edge_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[3] = {2, 4, 3};
    check_gradients("pad", "pads=3,2,1,4 mode=edge", 3, xs, false);
}

static void test_pad_rank1_reflect_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[2] = {3, 6};
    check_gradients("pad", "pads=5,4 mode=reflect", 2, xs, false);
}

static void test_resize_nearest_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 5, 4};
    check_gradients("resize", "size=8,3 mode=nearest coord=half_pixel", 4, xs, false);
}

static void test_resize_linear_half_pixel_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 5, 4};
    check_gradients("resize", "size=9,3 mode=linear coord=half_pixel", 4, xs, false);
}

static void test_resize_linear_align_corners_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {1, 2, 4, 6};
    check_gradients("resize", "size=7,4 mode=linear coord=align_corners", 4, xs, false);
}

static void test_resize_linear_asymmetric_scale_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {1, 2, 4, 5};
    check_gradients("resize", "size=6,7 mode=linear coord=asymmetric scale=1.5,1.4", 4, xs,
                    false);
}

static void test_max_pool2d_ceil_mode_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 7, 8};
    check_gradients("max_pool2d", "k=3 stride=2 pad=1 ceil_mode=1", 4, xs, true);
}

static void test_max_pool2d_pad_end_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 6, 7};
    check_gradients("max_pool2d", "k=2 stride=1 pad=0 pad_end=1", 4, xs, true);
}

static void test_avg_pool2d_ceil_mode_include_pad_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 7, 8};
    check_gradients("avg_pool2d", "k=3 stride=2 pad=1 ceil_mode=1", 4, xs, false);
}

static void test_avg_pool2d_ceil_mode_exclude_pad_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 6, 7};
    check_gradients("avg_pool2d", "k=3 stride=2 pad=1 ceil_mode=1 count_include_pad=0", 4, xs,
                    false);
}

static void test_avg_pool2d_pad_end_gradient_matches(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 2, 6, 7};
    check_gradients("avg_pool2d", "k=3 stride=2 pad=0,1 pad_end=2,0", 4, xs, false);
}

static void test_conv2d_pad_end_gradients_match(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 3, 7, 6};
    check_gradients("conv2d", "out=4 k=3 stride=2 pad=0,1 pad_end=2,1", 4, xs, false);
}

static void test_conv2d_depthwise_pad_end_gradients_match(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 3, 6, 7};
    check_gradients("conv2d", "out=3 k=3 groups=3 pad=0 pad_end=2", 4, xs, false);
}

static void test_conv2d_pointwise_pad_end_gradients_match(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 3, 5, 4};
    check_gradients("conv2d", "out=2 k=1 pad_end=1,2", 4, xs, false);
}

static void test_conv2d_same_width_band_pad_end_gradients_match(void **state)
{
    (void)state;
    /* k=2, pad=1, pad_end=0: the output is as wide as the input, which takes
     * im2col's same-width path with the padding on one side only */
    int64_t xs[4] = {2, 2, 5, 6};
    check_gradients("conv2d", "out=3 k=2 pad=1 pad_end=0", 4, xs, false);
}

static void test_conv_transpose2d_pad_end_gradients_match(void **state)
{
    (void)state;
    int64_t xs[4] = {2, 3, 4, 5};
    check_gradients("conv_transpose2d", "out=2 k=3 stride=2 pad=1,0 pad_end=0,2 output_pad=1",
                    4, xs, false);
}

/* ---- bad attributes ----------------------------------------------------------------- */

static void test_pad_refuses_reflect_pads_not_smaller_than_the_dim(void **state)
{
    (void)state;
    refuses("pad", "pads=0,5,0,0,0,0 mode=reflect", 3, IMG, VN_ERR_SHAPE, "smaller than");
    refuses("pad", "pads=0,0,0,0,0,6 mode=reflect", 3, IMG, VN_ERR_SHAPE, "smaller than");
}

static void test_pad_refuses_a_pads_count_that_is_not_twice_the_rank(void **state)
{
    (void)state;
    refuses("pad", "pads=1,1,1,1", 3, IMG, VN_ERR_SHAPE, "2 x rank");
    refuses("pad", "pads=1,1,1", 3, IMG, VN_ERR_INVALID_ARG, "even count");
    refuses("pad", "mode=edge", 3, IMG, VN_ERR_INVALID_ARG, "needs pads=");
}

static void test_pad_refuses_crops_that_leave_nothing(void **state)
{
    (void)state;
    refuses("pad", "pads=0,-3,0,0,-2,0", 3, IMG, VN_ERR_SHAPE, "leave nothing");
}

static void test_pad_refuses_an_unknown_mode(void **state)
{
    (void)state;
    refuses("pad", "pads=0,1,1,0,1,1 mode=wrap", 3, IMG, VN_ERR_INVALID_ARG, "expected one of");
}

static void test_resize_refuses_zero_or_negative_sizes(void **state)
{
    (void)state;
    refuses("resize", "size=0,4", 3, IMG, VN_ERR_INVALID_ARG, "size=0,4");
    refuses("resize", "size=4,-2", 3, IMG, VN_ERR_INVALID_ARG, "size=4,-2");
    refuses("resize", "mode=linear", 3, IMG, VN_ERR_INVALID_ARG, "size");
}

static void test_resize_refuses_unknown_modes_and_bad_scales(void **state)
{
    (void)state;
    refuses("resize", "size=4 mode=cubic", 3, IMG, VN_ERR_INVALID_ARG, "expected one of");
    refuses("resize", "size=4 coord=tf_crop_and_resize", 3, IMG, VN_ERR_INVALID_ARG,
            "expected one of");
    refuses("resize", "size=4 nearest=round", 3, IMG, VN_ERR_INVALID_ARG, "expected one of");
    refuses("resize", "size=4 scale=0", 3, IMG, VN_ERR_INVALID_ARG, "positive");
    refuses("resize", "size=4 scale=1,2,3", 3, IMG, VN_ERR_INVALID_ARG, "positive");
    refuses("resize", "size=4 scale=x", 3, IMG, VN_ERR_INVALID_ARG, "positive");
}

static void test_resize_refuses_a_non_image_input(void **state)
{
    (void)state;
    int64_t s[2] = {3, 4};
    refuses("resize", "size=4", 2, s, VN_ERR_SHAPE, "expected an image");
}

static void test_pooling_refuses_pads_as_wide_as_the_window_and_bad_ceil_mode(void **state)
{
    (void)state;
    refuses("max_pool2d", "k=3 pad_end=3", 3, IMG, VN_ERR_INVALID_ARG, "pad_end=3");
    refuses("avg_pool2d", "k=2 pad=2", 3, IMG, VN_ERR_INVALID_ARG, "pad=2");
    refuses("max_pool2d", "k=2 ceil_mode=2", 3, IMG, VN_ERR_INVALID_ARG, "ceil_mode=2");
    refuses("conv2d", "out=2 k=3 pad_end=-1", 3, IMG, VN_ERR_INVALID_ARG, "pad_end=-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resize_matches_onnx_test_data),
        cmocka_unit_test(test_resize_matches_torch_interpolate),
        cmocka_unit_test(test_pad_matches_onnx_test_data),
        cmocka_unit_test(test_pad_matches_torch_and_numpy_on_ranks_1_to_4),
        cmocka_unit_test(test_pooling_matches_onnx_test_data),
        cmocka_unit_test(test_pooling_ceil_mode_and_pad_end_match_torch),
        cmocka_unit_test(test_convolutions_match_onnx_test_data),
        cmocka_unit_test(test_convolutions_with_pad_end_match_torch),
        cmocka_unit_test(test_pad_constant_values_written_down),
        cmocka_unit_test(test_max_pool2d_ceil_mode_drops_a_window_starting_in_the_end_padding),
        cmocka_unit_test(test_avg_pool2d_ceil_divisor_ignores_the_overhang),
        cmocka_unit_test(test_default_pooling_and_conv_attrs_print_as_before),
        cmocka_unit_test(test_pad_end_and_ceil_mode_print_when_not_default),
        cmocka_unit_test(test_pad_and_resize_print_every_attribute),
        cmocka_unit_test(test_spec_with_the_new_words_round_trips_and_runs),
        cmocka_unit_test(test_pad_constant_with_crop_gradient_matches),
        cmocka_unit_test(test_pad_reflect_gradient_matches),
        cmocka_unit_test(test_pad_edge_gradient_matches),
        cmocka_unit_test(test_pad_rank1_reflect_gradient_matches),
        cmocka_unit_test(test_resize_nearest_gradient_matches),
        cmocka_unit_test(test_resize_linear_half_pixel_gradient_matches),
        cmocka_unit_test(test_resize_linear_align_corners_gradient_matches),
        cmocka_unit_test(test_resize_linear_asymmetric_scale_gradient_matches),
        cmocka_unit_test(test_max_pool2d_ceil_mode_gradient_matches),
        cmocka_unit_test(test_max_pool2d_pad_end_gradient_matches),
        cmocka_unit_test(test_avg_pool2d_ceil_mode_include_pad_gradient_matches),
        cmocka_unit_test(test_avg_pool2d_ceil_mode_exclude_pad_gradient_matches),
        cmocka_unit_test(test_avg_pool2d_pad_end_gradient_matches),
        cmocka_unit_test(test_conv2d_pad_end_gradients_match),
        cmocka_unit_test(test_conv2d_depthwise_pad_end_gradients_match),
        cmocka_unit_test(test_conv2d_pointwise_pad_end_gradients_match),
        cmocka_unit_test(test_conv2d_same_width_band_pad_end_gradients_match),
        cmocka_unit_test(test_conv_transpose2d_pad_end_gradients_match),
        cmocka_unit_test(test_pad_refuses_reflect_pads_not_smaller_than_the_dim),
        cmocka_unit_test(test_pad_refuses_a_pads_count_that_is_not_twice_the_rank),
        cmocka_unit_test(test_pad_refuses_crops_that_leave_nothing),
        cmocka_unit_test(test_pad_refuses_an_unknown_mode),
        cmocka_unit_test(test_resize_refuses_zero_or_negative_sizes),
        cmocka_unit_test(test_resize_refuses_unknown_modes_and_bad_scales),
        cmocka_unit_test(test_resize_refuses_a_non_image_input),
        cmocka_unit_test(test_pooling_refuses_pads_as_wide_as_the_window_and_bad_ceil_mode),
        cmocka_unit_test(test_init_prints_only_when_not_the_default),
        cmocka_unit_test(test_init_refuses_an_unknown_scheme),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
