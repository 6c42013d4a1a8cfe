/* test_layers.c - every layer type's gradients against finite differences,
 * plus a few forward values and initialisation rules written down from
 * PyTorch.
 *
 * Gradient check. For a layer y = f(inputs, params) and a fixed random dy,
 * L = sum(y * dy) is evaluated in double from the float forward output.
 * For each checked element v the central difference
 * (L(v + h) - L(v - h)) / 2h with h = 1e-2 (inputs are O(1), so h is ~1e-2
 * relative) is compared with the analytic gradient from backward:
 *
 *   |fd - an| <= tol_abs + tol_rel * |an|.
 *
 * Tolerances. Rounding: y is float (relative error ~6e-8); only the m
 * outputs that depend on v change between the two evaluations, so the
 * noise in L is ~6e-8 * sqrt(m) * |y dy| and in fd ~3e-6 * sqrt(m) for
 * m <= 1000: ~1e-4. Truncation: h^2/6 * |L'''| ~ 2e-5 * |L'''|, zero for
 * the layers that are linear in v (conv, dense, pooling, add, concat,
 * upsample, flatten), O(1e-4) for the smooth non-linear ones (sigmoid,
 * tanh, GELU, softmax, batch-norm). Hence tol_abs 1e-3 and tol_rel 1e-3
 * throughout, an order of magnitude above both and two below the O(1)
 * error of a wrong formula. Piecewise-linear layers get inputs that no
 * perturbation moves across a kink: |x| >= 0.05 for relu / leaky_relu,
 * and for max-pool distinct values at least 0.03 apart (> 2h).
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

enum { INPUT_NORMAL = 0, INPUT_AWAY_FROM_ZERO = 1, INPUT_DISTINCT = 2 };

typedef struct grad_case {
    const char *type;
    const char *attrs;
    int nin;
    int ndim;                 /* rank of every input, batch included */
    int64_t shape[2][4];
    bool training;
    bool frozen;
    int input_kind;
} grad_case;

#define MAX_CHECKS 40

static void fill(vn_tensor *t, struct vn_rng *rng, int kind)
{
    float *p = vn_tensor_data(t);
    size_t n = vn_tensor_numel(t);
    if (kind == INPUT_DISTINCT) {
        /* a shuffled ramp: distinct values 0.03 apart */
        for (size_t i = 0; i < n; i++)
            p[i] = 0.03f * (float)i - 0.015f * (float)n;
        for (size_t i = n; i > 1; i--) {
            size_t j = vn_rng_below(rng, (uint32_t)i);
            float tmp = p[i - 1];
            p[i - 1] = p[j];
            p[j] = tmp;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float v = vn_rng_normal(rng);
        if (kind == INPUT_AWAY_FROM_ZERO && fabsf(v) < 0.05f)
            v = v < 0 ? v - 0.05f : v + 0.05f;
        p[i] = v;
    }
}

static void check_gradients(const grad_case *gc)
{
    struct vn_rng rng;
    vn__rng_init(&rng, 1234, 5678);
    gc_rig r = {.nin = gc->nin};
    r.run.training = gc->training;
    r.run.frozen = gc->frozen;
    r.run.seed = 99;
    vn__shape shapes[2];
    for (int i = 0; i < gc->nin; i++) {
        assert_int_equal(vn_tensor_create(VN_F32, gc->ndim, gc->shape[i], &r.in[i]), VN_OK);
        assert_int_equal(vn_tensor_create(VN_F32, gc->ndim, gc->shape[i], &r.din[i]), VN_OK);
        fill(r.in[i], &rng, gc->input_kind);
        shapes[i].ndim = gc->ndim - 1;
        for (int d = 1; d < gc->ndim; d++)
            shapes[i].d[d - 1] = gc->shape[i][d];
    }
    vn__attrs a;
    assert_int_equal(vn__attrs_parse(gc->attrs, gc->type, &a), VN_OK);
    const vn__layer_type *lt = vn__layer_type_find(gc->type);
    assert_non_null(lt);
    assert_int_equal(lt->create(&a, gc->nin, shapes, &r.layer), VN_OK);
    assert_int_equal(vn__attrs_check_unused(&a), VN_OK);
    vn__attrs_free(&a);
    if (r.layer->ops->init)
        r.layer->ops->init(r.layer, &rng);
    /* non-trivial parameters (batch-norm starts at gamma 1, beta 0) */
    for (int k = 0; k < r.layer->nparams; k++)
        if (r.layer->params[k].grad) {
            float *p = vn_tensor_data(r.layer->params[k].value);
            for (size_t i = 0; i < vn_tensor_numel(r.layer->params[k].value); i++)
                p[i] += 0.5f * vn_rng_normal(&rng);
        }
    vn__shape os;
    assert_int_equal(r.layer->ops->output_shape(r.layer, gc->nin, shapes, &os), VN_OK);
    int64_t ys[VN_MAX_DIMS] = {gc->shape[0][0]};
    for (int d = 0; d < os.ndim; d++)
        ys[d + 1] = os.d[d];
    assert_int_equal(vn_tensor_create(VN_F32, os.ndim + 1, ys, &r.y), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, os.ndim + 1, ys, &r.dy), VN_OK);
    fill(r.dy, &rng, INPUT_NORMAL);

    (void)gc_loss(&r);
    assert_int_equal(r.layer->ops->backward(r.layer, &r.run, r.nin,
                                            (const vn_tensor *const *)r.in, r.y, r.dy, r.din,
                                            !gc->frozen),
                     VN_OK);
    for (int i = 0; i < gc->nin; i++)
        gc_check_tensor(&r, r.in[i], r.din[i], "input", MAX_CHECKS);
    for (int k = 0; k < r.layer->nparams; k++)
        if (r.layer->params[k].grad && !gc->frozen)
            gc_check_tensor(&r, r.layer->params[k].value, r.layer->params[k].grad,
                         r.layer->params[k].suffix, MAX_CHECKS);
    for (int i = 0; i < gc->nin; i++) {
        vn_tensor_destroy(r.in[i]);
        vn_tensor_destroy(r.din[i]);
    }
    vn_tensor_destroy(r.y);
    vn_tensor_destroy(r.dy);
    vn__layer_destroy(r.layer);
}

#define IMAGE(n, c, h, w) .ndim = 4, .shape = {{n, c, h, w}, {n, c, h, w}}

/* ---- convolutions ------------------------------------------------------- */

static void test_conv2d_gradients_match_finite_differences(void **state)
{
    (void)state;
    grad_case gc = {"conv2d", "out=4 k=3 pad=1", 1, IMAGE(2, 3, 6, 5), true};
    check_gradients(&gc);
}

static void test_conv2d_stride_dilation_groups_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"conv2d", "out=6 k=3,2 stride=2,1 pad=2,1 dilation=2,1 groups=2", 1,
                    IMAGE(2, 4, 9, 7), true};
    check_gradients(&gc);
}

static void test_conv2d_depthwise_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"conv2d", "out=6 k=3 stride=2 pad=1 groups=3", 1, IMAGE(2, 3, 7, 8), true};
    check_gradients(&gc);
}

static void test_conv2d_depthwise_stride1_gradients_match(void **state)
{
    (void)state;
    /* stride 1: the input gradient runs as a flipped-kernel convolution */
    grad_case gc = {"conv2d", "out=4 k=3,2 pad=1 dilation=2,1 groups=4", 1, IMAGE(2, 4, 7, 6),
                    true};
    check_gradients(&gc);
}

static void test_conv2d_depthwise_3x3_multiplier2_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"conv2d", "out=6 k=3 pad=1 groups=3", 1, IMAGE(2, 3, 6, 7), true};
    check_gradients(&gc);
}

static void test_conv2d_pointwise_without_bias_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"conv2d", "out=5 k=1 bias=0", 1, IMAGE(3, 4, 3, 4), true};
    check_gradients(&gc);
}

static void test_conv2d_batched_small_images_gradients_match(void **state)
{
    (void)state;
    /* 40 samples of 3x3 outputs: several samples per GEMM (conv.c) */
    grad_case gc = {"conv2d", "out=3 k=3 pad=1", 1, IMAGE(40, 2, 3, 3), true};
    check_gradients(&gc);
}

static void test_conv2d_large_image_in_bands_gradients_match(void **state)
{
    (void)state;
    /* 64*3*3 column rows x 24*24 pixels exceed one block: processed in bands of rows */
    grad_case gc = {"conv2d", "out=4 k=3 pad=1", 1, IMAGE(1, 64, 24, 24), true};
    check_gradients(&gc);
}

static void test_conv_transpose2d_large_output_in_bands_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"conv_transpose2d", "out=64 k=3 pad=1", 1, IMAGE(1, 3, 24, 24), true};
    check_gradients(&gc);
}

static void test_conv_transpose2d_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"conv_transpose2d", "out=3 k=3 stride=2 pad=1 output_pad=1", 1,
                    IMAGE(2, 4, 4, 3), true};
    check_gradients(&gc);
}

static void test_conv_transpose2d_groups_dilation_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"conv_transpose2d", "out=4 k=2,3 stride=1,2 dilation=2 output_pad=1 groups=2",
                    1, IMAGE(2, 4, 3, 4), true};
    check_gradients(&gc);
}

/* ---- pooling ------------------------------------------------------------- */

static void test_max_pool2d_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"max_pool2d", "k=3 stride=2 pad=1", 1, IMAGE(2, 2, 7, 6), true, false,
                    INPUT_DISTINCT};
    check_gradients(&gc);
}

static void test_avg_pool2d_include_pad_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"avg_pool2d", "k=3 stride=2 pad=1", 1, IMAGE(2, 2, 7, 6), true};
    check_gradients(&gc);
}

static void test_avg_pool2d_exclude_pad_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"avg_pool2d", "k=3 stride=1 pad=1 count_include_pad=0", 1, IMAGE(2, 2, 5, 4),
                    true};
    check_gradients(&gc);
}

static void test_adaptive_avg_pool2d_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"adaptive_avg_pool2d", "out=3,2", 1, IMAGE(2, 2, 7, 5), true};
    check_gradients(&gc);
}

static void test_global_avg_pool_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"global_avg_pool", "", 1, IMAGE(2, 3, 4, 5), true};
    check_gradients(&gc);
}

/* ---- dense, batch-norm, dropout ------------------------------------------ */

static void test_dense_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"dense", "out=5", 1, .ndim = 2, .shape = {{4, 7}}, .training = true};
    check_gradients(&gc);
}

static void test_dense_flattens_image_input_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"dense", "out=3 bias=0", 1, IMAGE(2, 2, 3, 2), true};
    check_gradients(&gc);
}

static void test_batch_norm2d_training_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"batch_norm2d", "", 1, IMAGE(3, 2, 3, 4), true};
    check_gradients(&gc);
}

static void test_batch_norm2d_inference_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"batch_norm2d", "", 1, IMAGE(3, 2, 3, 4), false};
    check_gradients(&gc);
}

static void test_batch_norm2d_frozen_input_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"batch_norm2d", "", 1, IMAGE(3, 2, 3, 4), true, true};
    check_gradients(&gc);
}

static void test_dropout_training_gradient_matches_its_mask(void **state)
{
    (void)state;
    grad_case gc = {"dropout", "p=0.3", 1, IMAGE(2, 3, 4, 4), true};
    check_gradients(&gc);
}

/* ---- activations ---------------------------------------------------------- */

static void test_relu_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"relu", "", 1, IMAGE(2, 3, 4, 4), true, false, INPUT_AWAY_FROM_ZERO};
    check_gradients(&gc);
}

static void test_leaky_relu_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"leaky_relu", "slope=0.2", 1, IMAGE(2, 3, 4, 4), true, false,
                    INPUT_AWAY_FROM_ZERO};
    check_gradients(&gc);
}

static void test_sigmoid_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"sigmoid", "", 1, IMAGE(2, 3, 4, 4), true};
    check_gradients(&gc);
}

static void test_tanh_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"tanh", "", 1, IMAGE(2, 3, 4, 4), true};
    check_gradients(&gc);
}

static void test_gelu_exact_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"gelu", "", 1, IMAGE(2, 3, 4, 4), true};
    check_gradients(&gc);
}

static void test_gelu_tanh_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"gelu", "approximate=tanh", 1, IMAGE(2, 3, 4, 4), true};
    check_gradients(&gc);
}

static void test_softmax_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"softmax", "", 1, IMAGE(2, 5, 2, 3), true};
    check_gradients(&gc);
}

static void test_log_softmax_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"log_softmax", "", 1, .ndim = 2, .shape = {{3, 7}}, .training = true};
    check_gradients(&gc);
}

/* ---- shape layers ---------------------------------------------------------- */

static void test_flatten_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"flatten", "", 1, IMAGE(2, 3, 2, 2), true};
    check_gradients(&gc);
}

static void test_upsample_nearest_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"upsample", "scale=3", 1, IMAGE(2, 2, 3, 2), true};
    check_gradients(&gc);
}

static void test_upsample_bilinear_gradient_matches(void **state)
{
    (void)state;
    grad_case gc = {"upsample", "scale=2 mode=bilinear", 1, IMAGE(2, 2, 3, 4), true};
    check_gradients(&gc);
}

static void test_add_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"add", "", 2, IMAGE(2, 3, 3, 2), true};
    check_gradients(&gc);
}

static void test_concat_gradients_match(void **state)
{
    (void)state;
    grad_case gc = {"concat", "", 2, .ndim = 4, .shape = {{2, 2, 3, 2}, {2, 3, 3, 2}},
                    .training = true};
    check_gradients(&gc);
}

/* ---- forward values and initialisation written down from PyTorch ------------ */

/* Build a layer of one input from the registry; *l is destroyed by the caller. */
static void make_layer(const char *type, const char *attrs, int ndim, const int64_t *sample,
                       vn__layer **l)
{
    vn__shape s = {.ndim = ndim};
    for (int d = 0; d < ndim; d++)
        s.d[d] = sample[d];
    vn__attrs a;
    assert_int_equal(vn__attrs_parse(attrs, type, &a), VN_OK);
    assert_int_equal(vn__layer_type_find(type)->create(&a, 1, &s, l), VN_OK);
    vn__attrs_free(&a);
}

static void test_conv2d_stride2_matches_reference(void **state)
{
    (void)state;
    /* torch: x = arange(16.).reshape(1,1,4,4); w = [[1,0],[0,-1]] (1,1,2,2),
     * b = 0.5; F.conv2d(x, w, b, stride=2) = [[-4.5, -4.5], [-4.5, -4.5]]. */
    vn__layer *l = NULL;
    int64_t sample[3] = {1, 4, 4};
    make_layer("conv2d", "out=1 k=2 stride=2", 3, sample, &l);
    float *w = vn_tensor_data(l->params[0].value), *b = vn_tensor_data(l->params[1].value);
    w[0] = 1, w[1] = 0, w[2] = 0, w[3] = -1;
    b[0] = 0.5f;
    vn_tensor *x, *y;
    int64_t xs[4] = {1, 1, 4, 4}, ys[4] = {1, 1, 2, 2};
    assert_int_equal(vn_tensor_create(VN_F32, 4, xs, &x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 4, ys, &y), VN_OK);
    for (int i = 0; i < 16; i++)
        ((float *)vn_tensor_data(x))[i] = (float)i;
    vn__run run = {0};
    const vn_tensor *in[1] = {x};
    assert_int_equal(l->ops->forward(l, &run, 1, in, y), VN_OK);
    const float want[4] = {-4.5f, -4.5f, -4.5f, -4.5f};
    for (int i = 0; i < 4; i++)
        assert_float_equal(((float *)vn_tensor_data(y))[i], want[i], 0.0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn__layer_destroy(l);
}

static void test_conv2d_init_is_uniform_within_one_over_sqrt_fan_in(void **state)
{
    (void)state;
    /* PyTorch: kaiming_uniform_(a=sqrt(5)) -> bound = 1/sqrt(fan_in); fan_in
     * = 8*3*3 = 72: |w| <= 0.11785, std = bound/sqrt(3) = 0.06804. */
    vn__layer *l = NULL;
    int64_t sample[3] = {8, 10, 10};
    make_layer("conv2d", "out=64 k=3", 3, sample, &l);
    struct vn_rng rng;
    vn__rng_init(&rng, 3, 4);
    l->ops->init(l, &rng);
    const float *w = vn_tensor_data(l->params[0].value);
    size_t n = vn_tensor_numel(l->params[0].value);
    double sq = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        sq += (double)w[i] * w[i];
        mx = fmax(mx, fabs(w[i]));
    }
    assert_true(mx <= 0.11785);
    assert_true(mx > 0.11);
    assert_float_equal(sqrt(sq / (double)n), 0.06804, 0.003);
    const float *b = vn_tensor_data(l->params[1].value);
    for (int i = 0; i < 64; i++)
        assert_true(fabsf(b[i]) <= 0.11785f);
    vn__layer_destroy(l);
}

/* Weights of l after init from a fixed stream: the largest |w| and the
 * root mean square. */
static void init_stats(vn__layer *l, double *mx, double *rms)
{
    struct vn_rng rng;
    vn__rng_init(&rng, 3, 4);
    l->ops->init(l, &rng);
    const float *w = vn_tensor_data(l->params[0].value);
    size_t n = vn_tensor_numel(l->params[0].value);
    double sq = 0;
    *mx = 0;
    for (size_t i = 0; i < n; i++) {
        sq += (double)w[i] * w[i];
        *mx = fmax(*mx, fabs(w[i]));
    }
    *rms = sqrt(sq / (double)n);
}

/* init=he on `type` with `attrs` over a [C, H, W] sample: every |w| within
 * bound = sqrt(6/fan_in) and reaching near it, the RMS sqrt(2/fan_in),
 * every bias 0. */
static void check_he_init(const char *type, const char *attrs, const int64_t sample[3],
                          double bound, double rms_want)
{
    vn__layer *l = NULL;
    make_layer(type, attrs, 3, sample, &l);
    double mx, rms;
    init_stats(l, &mx, &rms);
    assert_true(mx <= bound);
    assert_true(mx > 0.97 * bound);
    assert_float_equal(rms, rms_want, 0.006);
    const float *b = vn_tensor_data(l->params[1].value);
    for (size_t i = 0; i < vn_tensor_numel(l->params[1].value); i++)
        assert_float_equal(b[i], 0.0f, 0.0);
    vn__layer_destroy(l);
}

static void test_conv2d_init_he_is_kaiming_uniform_for_relu_with_zero_bias(void **state)
{
    (void)state;
    /* torch.nn.init.kaiming_uniform_(w, nonlinearity='relu'): bound =
     * sqrt(2)*sqrt(3/fan_in) = sqrt(6/72) = 0.288675 for fan_in = 8*3*3,
     * std = sqrt(2/72) = 0.166667; nn.init.zeros_(b). */
    const int64_t sample[3] = {8, 10, 10};
    check_he_init("conv2d", "out=64 k=3 init=he", sample, 0.288675, 0.166667);
}

static void test_dense_init_he_is_kaiming_uniform_for_relu_with_zero_bias(void **state)
{
    (void)state;
    /* fan_in = 2*5*5 = 50 features: bound sqrt(6/50) = 0.346410, std =
     * sqrt(2/50) = 0.2. */
    const int64_t sample[3] = {2, 5, 5};
    check_he_init("dense", "out=128 init=he", sample, 0.346410, 0.2);
}

static void test_batch_norm2d_init_is_identity(void **state)
{
    (void)state;
    vn__layer *l = NULL;
    int64_t sample[3] = {3, 2, 2};
    make_layer("batch_norm2d", "", 3, sample, &l);
    struct vn_rng rng;
    vn__rng_init(&rng, 3, 4);
    l->ops->init(l, &rng);
    const float want[4] = {1.0f, 0.0f, 0.0f, 1.0f}; /* gamma, beta, running mean, var */
    assert_int_equal(l->nparams, 4);
    for (int k = 0; k < 4; k++)
        for (int c = 0; c < 3; c++)
            assert_float_equal(((float *)vn_tensor_data(l->params[k].value))[c], want[k], 0.0);
    assert_string_equal(l->params[2].suffix, "running_mean");
    assert_null(l->params[2].grad);
    vn__layer_destroy(l);
}

static void test_gelu_exact_and_tanh_differ_as_in_pytorch(void **state)
{
    (void)state;
    /* torch.nn.functional.gelu(torch.tensor([-3., -1., 0.5, 2.]), approximate=...):
     * none: [-0.0040496, -0.1586553, 0.3457312, 1.9544998]
     * tanh: [-0.0036374, -0.1588080, 0.3457140, 1.9545977] */
    const float x[4] = {-3.0f, -1.0f, 0.5f, 2.0f};
    const float exact[4] = {-0.0040496f, -0.1586553f, 0.3457312f, 1.9544998f};
    const float approx[4] = {-0.0036374f, -0.1588080f, 0.3457140f, 1.9545977f};
    float y[4];
    vn__act_forward(VN__ACT_GELU, 0.0f, x, y, 4);
    for (int i = 0; i < 4; i++)
        assert_float_equal(y[i], exact[i], 2e-7);
    vn__act_forward(VN__ACT_GELU_TANH, 0.0f, x, y, 4);
    for (int i = 0; i < 4; i++)
        assert_float_equal(y[i], approx[i], 2e-7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv2d_gradients_match_finite_differences),
        cmocka_unit_test(test_conv2d_stride_dilation_groups_gradients_match),
        cmocka_unit_test(test_conv2d_depthwise_gradients_match),
        cmocka_unit_test(test_conv2d_depthwise_stride1_gradients_match),
        cmocka_unit_test(test_conv2d_depthwise_3x3_multiplier2_gradients_match),
        cmocka_unit_test(test_conv2d_pointwise_without_bias_gradients_match),
        cmocka_unit_test(test_conv2d_batched_small_images_gradients_match),
        cmocka_unit_test(test_conv2d_large_image_in_bands_gradients_match),
        cmocka_unit_test(test_conv_transpose2d_large_output_in_bands_gradients_match),
        cmocka_unit_test(test_conv_transpose2d_gradients_match),
        cmocka_unit_test(test_conv_transpose2d_groups_dilation_gradients_match),
        cmocka_unit_test(test_max_pool2d_gradients_match),
        cmocka_unit_test(test_avg_pool2d_include_pad_gradients_match),
        cmocka_unit_test(test_avg_pool2d_exclude_pad_gradients_match),
        cmocka_unit_test(test_adaptive_avg_pool2d_gradients_match),
        cmocka_unit_test(test_global_avg_pool_gradients_match),
        cmocka_unit_test(test_dense_gradients_match),
        cmocka_unit_test(test_dense_flattens_image_input_gradients_match),
        cmocka_unit_test(test_batch_norm2d_training_gradients_match),
        cmocka_unit_test(test_batch_norm2d_inference_gradients_match),
        cmocka_unit_test(test_batch_norm2d_frozen_input_gradient_matches),
        cmocka_unit_test(test_dropout_training_gradient_matches_its_mask),
        cmocka_unit_test(test_relu_gradient_matches),
        cmocka_unit_test(test_leaky_relu_gradient_matches),
        cmocka_unit_test(test_sigmoid_gradient_matches),
        cmocka_unit_test(test_tanh_gradient_matches),
        cmocka_unit_test(test_gelu_exact_gradient_matches),
        cmocka_unit_test(test_gelu_tanh_gradient_matches),
        cmocka_unit_test(test_softmax_gradient_matches),
        cmocka_unit_test(test_log_softmax_gradient_matches),
        cmocka_unit_test(test_flatten_gradient_matches),
        cmocka_unit_test(test_upsample_nearest_gradient_matches),
        cmocka_unit_test(test_upsample_bilinear_gradient_matches),
        cmocka_unit_test(test_add_gradients_match),
        cmocka_unit_test(test_concat_gradients_match),
        cmocka_unit_test(test_conv2d_stride2_matches_reference),
        cmocka_unit_test(test_conv2d_init_is_uniform_within_one_over_sqrt_fan_in),
        cmocka_unit_test(test_conv2d_init_he_is_kaiming_uniform_for_relu_with_zero_bias),
        cmocka_unit_test(test_dense_init_he_is_kaiming_uniform_for_relu_with_zero_bias),
        cmocka_unit_test(test_batch_norm2d_init_is_identity),
        cmocka_unit_test(test_gelu_exact_and_tanh_differ_as_in_pytorch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
