/* test_layers_eltwise.c - the element-wise and shape layers: add / mul /
 * sub / div with numpy broadcasting, constant, clip, matmul (both forms),
 * reshape, and softmax / log_softmax / concat on any dim.
 *
 * Forward values and gradients are compared with PyTorch 1.13: the .npy
 * files of tests/data/eltwise/, written by tests/data/make_eltwise_cases.py
 * (inputs, y, a fixed dy and torch's gradients of sum(y * dy)).
 *
 * Every gradient is also checked against central finite differences, as in
 * test_layers.c (same step h = 1e-2 and tolerances 1e-3 absolute + 1e-3
 * relative; that file's header explains why): L = sum(y * dy) in double,
 * (L(v + h) - L(v - h)) / 2h against backward's value, for every input and
 * parameter and every broadcast pattern. Divisors are kept >= 0.5 away
 * from zero and clip's inputs >= 0.05 away from its bounds, so no
 * perturbation crosses a pole or a kink.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <cmocka.h>

#include <visionnet.h>
#include "nn/layer.h"
#include "grad_check.h"

#define MAX_CHECKS 40
#define MAXIN GC_MAXIN

/* ---- finite-difference rig ---------------------------------------------- */

enum { FILL_NORMAL = 0, FILL_AWAY = 1, FILL_CLIP = 2 };

typedef struct gcase {
    const char *type;
    const char *attrs;
    int nin;
    int ndim[MAXIN];               /* rank of each input, batch included */
    int64_t shape[MAXIN][6];
    int fill[MAXIN];               /* how each input is drawn */
} gcase;

static void fill(vn_tensor *t, struct vn_rng *rng, int kind)
{
    float *p = vn_tensor_data(t);
    for (size_t i = 0; i < vn_tensor_numel(t); i++) {
        float v = vn_rng_normal(rng);
        if (kind == FILL_AWAY)   /* divisors: |v| >= 0.5 */
            v = v < 0 ? v - 0.5f : v + 0.5f;
        if (kind == FILL_CLIP) { /* clip min=-0.5 max=0.7: stay 0.05 away from both */
            if (fabsf(v + 0.5f) < 0.05f)
                v = v < -0.5f ? -0.56f : -0.44f;
            if (fabsf(v - 0.7f) < 0.05f)
                v = v < 0.7f ? 0.64f : 0.76f;
        }
        p[i] = v;
    }
}

/* A tensor's shape, in one of four rotating static buffers. */
static const int64_t *shape_of(const vn_tensor *t)
{
    static int64_t buf[4][VN_MAX_DIMS];
    static int next;
    int64_t *s = buf[next++ & 3];
    vn_tensor_shape(t, s);
    return s;
}

static vn__shape sample_of(int ndim, const int64_t *shape)
{
    vn__shape s = {.ndim = ndim - 1};
    for (int d = 1; d < ndim; d++)
        s.d[d - 1] = shape[d];
    return s;
}

/* Build the layer of gc through the registry; NULL-free on success. */
static vn__layer *make_layer(const char *type, const char *attrs, int nin, const vn__shape *in)
{
    vn__attrs a;
    assert_int_equal(vn__attrs_parse(attrs, type, &a), VN_OK);
    const vn__layer_type *lt = vn__layer_type_find(type);
    assert_non_null(lt);
    vn__layer *l = NULL;
    vn_status s = lt->create(&a, nin, in, &l);
    if (s != VN_OK)
        fail_msg("%s %s: %s", type, attrs, vn_last_error());
    assert_int_equal(vn__attrs_check_unused(&a), VN_OK);
    vn__attrs_free(&a);
    return l;
}

static void check_gradients(const gcase *gc)
{
    struct vn_rng rng;
    vn__rng_init(&rng, 4321, 8765);
    gc_rig r = {.nin = gc->nin};
    r.run.training = true;
    vn__shape shapes[MAXIN];
    for (int i = 0; i < gc->nin; i++) {
        assert_int_equal(vn_tensor_create(VN_F32, gc->ndim[i], gc->shape[i], &r.in[i]), VN_OK);
        assert_int_equal(vn_tensor_create(VN_F32, gc->ndim[i], gc->shape[i], &r.din[i]), VN_OK);
        fill(r.in[i], &rng, gc->fill[i]);
        shapes[i] = sample_of(gc->ndim[i], gc->shape[i]);
    }
    r.layer = make_layer(gc->type, gc->attrs, gc->nin, shapes);
    if (r.layer->ops->init)
        r.layer->ops->init(r.layer, &rng);
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
    fill(r.dy, &rng, FILL_NORMAL);
    (void)gc_loss(&r);
    /* garbage in din: backward must overwrite, not add */
    for (int i = 0; i < gc->nin; i++)
        vn__fill_value(r.din[i], 123.0f);
    assert_int_equal(r.layer->ops->backward(r.layer, &r.run, r.nin,
                                            (const vn_tensor *const *)r.in, r.y, r.dy, r.din,
                                            true),
                     VN_OK);
    for (int i = 0; i < gc->nin; i++)
        gc_check_tensor(&r, r.in[i], r.din[i], i == 0 ? "input1" : "input2", MAX_CHECKS);
    for (int k = 0; k < r.layer->nparams; k++)
        if (r.layer->params[k].grad)
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

/* binary op on a [2,3,4,5] and b of the given rank / dims */
static void check_binary(const char *type, int na, const int64_t *as, int nb, const int64_t *bs)
{
    gcase gc = {.type = type, .attrs = "", .nin = 2, .ndim = {na, nb}};
    memcpy(gc.shape[0], as, (size_t)na * sizeof(int64_t));
    memcpy(gc.shape[1], bs, (size_t)nb * sizeof(int64_t));
    gc.fill[1] = strcmp(type, "div") == 0 ? FILL_AWAY : FILL_NORMAL;
    check_gradients(&gc);
}

static const int64_t CHW[4] = {2, 3, 4, 5};
static const char *const BINARY[] = {"add", "mul", "sub", "div"};

static void check_all_binary(int na, const int64_t *as, int nb, const int64_t *bs)
{
    for (int k = 0; k < 4; k++) {
        check_binary(BINARY[k], na, as, nb, bs);
        /* and the other way round (the broadcast operand first) */
        check_binary(BINARY[k], nb, bs, na, as);
    }
}

/* ---- broadcast gradients -------------------------------------------------- */

static void test_binary_same_shape_gradients(void **state)
{
    (void)state;
    check_all_binary(4, CHW, 4, CHW);
}

static void test_binary_channel_gradients(void **state)
{
    (void)state;
    const int64_t c11[4] = {2, 3, 1, 1};
    check_all_binary(4, CHW, 4, c11);
}

static void test_binary_scalar_gradients(void **state)
{
    (void)state;
    const int64_t one[2] = {2, 1};
    check_all_binary(4, CHW, 2, one);
}

static void test_binary_row_gradients(void **state)
{
    (void)state;
    const int64_t w[2] = {2, 5};
    check_all_binary(4, CHW, 2, w);
}

static void test_binary_both_sides_broadcast_gradients(void **state)
{
    (void)state;
    const int64_t c1w[4] = {2, 3, 1, 5}, h1[4] = {2, 1, 4, 1};
    check_all_binary(4, c1w, 4, h1);
}

static void test_add_three_inputs_broadcast_gradients(void **state)
{
    (void)state;
    gcase gc = {"add", "", 3, {4, 2, 4}, {{2, 3, 1, 5}, {2, 5}, {2, 1, 4, 1}}, {0}};
    check_gradients(&gc);
}

static void test_add_one_input_is_identity(void **state)
{
    (void)state;
    gcase gc = {"add", "", 1, {3}, {{2, 3, 4}}, {0}};
    check_gradients(&gc);
}

/* ---- other layers' gradients ---------------------------------------------- */

static void test_clip_gradients(void **state)
{
    (void)state;
    gcase gc = {"clip", "min=-0.5 max=0.7", 1, {4}, {{2, 3, 4, 5}}, {FILL_CLIP}};
    check_gradients(&gc);
}

static void test_clip_one_bound_gradients(void **state)
{
    (void)state;
    gcase lo = {"clip", "min=-0.5", 1, {3}, {{2, 6, 5}}, {FILL_CLIP}};
    check_gradients(&lo);
    gcase hi = {"clip", "max=0.7", 1, {3}, {{2, 6, 5}}, {FILL_CLIP}};
    check_gradients(&hi);
}

static void test_reshape_gradients(void **state)
{
    (void)state;
    gcase gc = {"reshape", "shape=5,12", 1, {4}, {{2, 3, 4, 5}}, {0}};
    check_gradients(&gc);
}

static void test_constant_gradient_is_zero(void **state)
{
    (void)state;
    /* the value does not depend on the input: finite differences are 0 */
    gcase gc = {"constant", "shape=3,1,2", 1, {3}, {{2, 4, 5}}, {0}};
    check_gradients(&gc);
}

static void test_matmul_weight_gradients(void **state)
{
    (void)state;
    gcase gc = {"matmul", "out=4 bias=1", 1, {4}, {{2, 3, 2, 5}}, {0}};
    check_gradients(&gc);
    gcase nb = {"matmul", "out=3 bias=0", 1, {2}, {{3, 6}}, {0}};
    check_gradients(&nb);
}

static void test_matmul_two_inputs_gradients(void **state)
{
    (void)state;
    gcase same = {"matmul", "", 2, {4, 4}, {{2, 3, 4, 5}, {2, 3, 5, 2}}, {0}};
    check_gradients(&same);
    gcase bc = {"matmul", "", 2, {4, 3}, {{2, 3, 4, 5}, {2, 5, 2}}, {0}};
    check_gradients(&bc);
    gcase both = {"matmul", "", 2, {5, 4}, {{2, 3, 1, 2, 4}, {2, 4, 4, 3}}, {0}};
    check_gradients(&both);
}

static void test_matmul_vector_operands_gradients(void **state)
{
    (void)state;
    gcase left = {"matmul", "", 2, {2, 4}, {{2, 4}, {2, 3, 4, 5}}, {0}};
    check_gradients(&left);
    gcase right = {"matmul", "", 2, {4, 2}, {{2, 3, 5, 4}, {2, 4}}, {0}};
    check_gradients(&right);
}

static void test_softmax_any_dim_gradients(void **state)
{
    (void)state;
    const char *dims[] = {"dim=1", "dim=2", "dim=3", "dim=-1", "dim=-3"};
    for (int i = 0; i < 5; i++) {
        gcase sm = {"softmax", dims[i], 1, {4}, {{2, 3, 4, 5}}, {0}};
        check_gradients(&sm);
        gcase ls = {"log_softmax", dims[i], 1, {4}, {{2, 3, 4, 5}}, {0}};
        check_gradients(&ls);
    }
}

static void test_concat_any_dim_gradients(void **state)
{
    (void)state;
    gcase d1 = {"concat", "dim=1", 2, {4, 4}, {{2, 2, 3, 4}, {2, 3, 3, 4}}, {0}};
    check_gradients(&d1);
    gcase d2 = {"concat", "dim=2", 2, {4, 4}, {{2, 2, 1, 4}, {2, 2, 3, 4}}, {0}};
    check_gradients(&d2);
    gcase d3 = {"concat", "dim=3", 2, {4, 4}, {{2, 2, 3, 1}, {2, 2, 3, 4}}, {0}};
    check_gradients(&d3);
    gcase neg = {"concat", "dim=-1", 3, {3, 3, 3}, {{2, 3, 2}, {2, 3, 1}, {2, 3, 4}}, {0}};
    check_gradients(&neg);
}

/* ---- forward values and gradients against PyTorch ------------------------- */

static vn_tensor *load_opt(const char *cs, const char *what)
{
    char path[512];
    snprintf(path, sizeof path, VN_TEST_DATA "/eltwise/%s_%s.npy", cs, what);
    if (access(path, F_OK) != 0)
        return NULL;
    vn_tensor *t = NULL;
    if (vn_tensor_load_npy(path, &t) != VN_OK)
        fail_msg("%s: %s", path, vn_last_error());
    return t;
}

static vn_tensor *load(const char *cs, const char *what)
{
    vn_tensor *t = load_opt(cs, what);
    if (!t)
        fail_msg("missing tests/data/eltwise/%s_%s.npy (run make_eltwise_cases.py)", cs, what);
    return t;
}

static void assert_close(const vn_tensor *got, const vn_tensor *want, double tol, const char *cs,
                         const char *what)
{
    assert_int_equal(vn_tensor_ndim(got), vn_tensor_ndim(want));
    const int64_t *gs = shape_of(got), *ws = shape_of(want);
    for (int d = 0; d < vn_tensor_ndim(got); d++)
        assert_int_equal(gs[d], ws[d]);
    const float *g = vn_tensor_data_const(got), *w = vn_tensor_data_const(want);
    for (size_t i = 0; i < vn_tensor_numel(got); i++)
        if (!(fabs((double)g[i] - w[i]) <= tol * (1.0 + fabs(w[i]))))
            fail_msg("%s %s[%zu]: %.7g, torch %.7g", cs, what, i, (double)g[i], (double)w[i]);
}

/* Run case `cs` of make_eltwise_cases.py through layer `type attrs`. */
static void check_case(const char *cs, const char *type, const char *attrs)
{
    vn_tensor *in[MAXIN] = {0}, *din[MAXIN] = {0};
    vn__shape shapes[MAXIN];
    int nin = 0;
    for (; nin < 2; nin++) {
        char what[16];
        snprintf(what, sizeof what, "in%d", nin);
        in[nin] = load_opt(cs, what);
        if (!in[nin])
            break;
        shapes[nin] = sample_of(vn_tensor_ndim(in[nin]), shape_of(in[nin]));
        assert_int_equal(vn_tensor_create(VN_F32, vn_tensor_ndim(in[nin]),
                                          shape_of(in[nin]), &din[nin]),
                         VN_OK);
    }
    vn__layer *l = make_layer(type, attrs, nin, shapes);
    for (int k = 0; k < l->nparams; k++) {
        char what[16];
        snprintf(what, sizeof what, "p%d", k);
        vn_tensor *p = load(cs, what);
        assert_int_equal(vn_tensor_numel(p), vn_tensor_numel(l->params[k].value));
        memcpy(vn_tensor_data(l->params[k].value), vn_tensor_data(p),
               vn_tensor_numel(p) * sizeof(float));
        vn_tensor_destroy(p);
    }
    vn_tensor *want_y = load(cs, "y"), *dy = load(cs, "dy"), *y = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, vn_tensor_ndim(want_y), shape_of(want_y), &y),
                     VN_OK);
    vn__run run = {.training = true};
    assert_int_equal(l->ops->forward(l, &run, nin, (const vn_tensor *const *)in, y), VN_OK);
    assert_close(y, want_y, 1e-5, cs, "y");
    assert_int_equal(l->ops->backward(l, &run, nin, (const vn_tensor *const *)in, y, dy, din,
                                      true),
                     VN_OK);
    for (int i = 0; i < nin; i++) {
        char what[16];
        snprintf(what, sizeof what, "din%d", i);
        vn_tensor *w = load(cs, what);
        assert_close(din[i], w, 1e-5, cs, what);
        vn_tensor_destroy(w);
    }
    for (int k = 0; k < l->nparams; k++) {
        char what[16];
        snprintf(what, sizeof what, "dp%d", k);
        vn_tensor *w = load(cs, what);
        assert_close(l->params[k].grad, w, 1e-5, cs, what);
        vn_tensor_destroy(w);
    }
    for (int i = 0; i < nin; i++) {
        vn_tensor_destroy(in[i]);
        vn_tensor_destroy(din[i]);
    }
    vn_tensor_destroy(want_y);
    vn_tensor_destroy(dy);
    vn_tensor_destroy(y);
    vn__layer_destroy(l);
}

static void test_mul_per_channel_matches_torch(void **state)
{
    (void)state;
    check_case("mul_channel", "mul", "");
}

static void test_sub_scalar_matches_torch(void **state)
{
    (void)state;
    check_case("sub_scalar", "sub", "");
}

static void test_div_row_matches_torch(void **state)
{
    (void)state;
    check_case("div_row", "div", "");
}

static void test_div_both_sides_broadcast_matches_torch(void **state)
{
    (void)state;
    check_case("div_both", "div", "");
}

static void test_add_both_sides_broadcast_matches_torch(void **state)
{
    (void)state;
    check_case("add_both", "add", "");
}

static void test_matmul_batched_matches_torch(void **state)
{
    (void)state;
    check_case("matmul_batched", "matmul", "");
}

static void test_matmul_vector_matches_torch(void **state)
{
    (void)state;
    check_case("matmul_vec", "matmul", "");
}

static void test_matmul_weight_matches_torch(void **state)
{
    (void)state;
    check_case("matmul_weight", "matmul", "out=4 bias=1");
}

static void test_softmax_dim2_matches_torch(void **state)
{
    (void)state;
    check_case("softmax_dim2", "softmax", "dim=2");
}

static void test_softmax_negative_dim_matches_torch(void **state)
{
    (void)state;
    check_case("softmax_dim-1", "softmax", "dim=-1");
}

static void test_log_softmax_dim3_matches_torch(void **state)
{
    (void)state;
    check_case("log_softmax_dim3", "log_softmax", "dim=3");
}

static void test_concat_dim3_matches_torch(void **state)
{
    (void)state;
    check_case("concat_dim3", "concat", "dim=3");
}

static void test_concat_dim2_matches_torch(void **state)
{
    (void)state;
    check_case("concat_dim2", "concat", "dim=2");
}

static void test_clip_matches_torch(void **state)
{
    (void)state;
    check_case("clip", "clip", "min=-0.5 max=0.7");
}

/* ---- forward values written down ------------------------------------------ */

static void test_mul_scalar_values(void **state)
{
    (void)state;
    vn__shape s[2] = {{.ndim = 2, .d = {2, 3}}, {.ndim = 1, .d = {1}}};
    vn__layer *l = make_layer("mul", "", 2, s);
    const int64_t as[3] = {1, 2, 3}, bs[2] = {1, 1};
    vn_tensor *a, *b, *y;
    assert_int_equal(vn_tensor_create(VN_F32, 3, as, &a), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 2, bs, &b), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 3, as, &y), VN_OK);
    float *pa = vn_tensor_data(a);
    for (int i = 0; i < 6; i++)
        pa[i] = (float)(i + 1);
    *(float *)vn_tensor_data(b) = -2.0f;
    const vn_tensor *in[2] = {a, b};
    vn__run run = {0};
    assert_int_equal(l->ops->forward(l, &run, 2, in, y), VN_OK);
    const float want[6] = {-2, -4, -6, -8, -10, -12};
    assert_memory_equal(vn_tensor_data(y), want, sizeof want);
    vn_tensor_destroy(a);
    vn_tensor_destroy(b);
    vn_tensor_destroy(y);
    vn__layer_destroy(l);
}

static void test_constant_repeats_value_over_batch(void **state)
{
    (void)state;
    vn__shape s = {.ndim = 1, .d = {7}};
    vn__layer *l = make_layer("constant", "shape=2,1", 1, &s);
    assert_int_equal(l->nparams, 1);
    assert_string_equal(l->params[0].suffix, "value");
    assert_null(l->params[0].grad);
    float *v = vn_tensor_data(l->params[0].value);
    v[0] = 1.5f;
    v[1] = -3.0f;
    const int64_t xs[2] = {3, 7}, ys[3] = {3, 2, 1};
    vn_tensor *x, *y;
    assert_int_equal(vn_tensor_create(VN_F32, 2, xs, &x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 3, ys, &y), VN_OK);
    const vn_tensor *in[1] = {x};
    vn__run run = {0};
    assert_int_equal(l->ops->forward(l, &run, 1, in, y), VN_OK);
    const float want[6] = {1.5f, -3.0f, 1.5f, -3.0f, 1.5f, -3.0f};
    assert_memory_equal(vn_tensor_data(y), want, sizeof want);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn__layer_destroy(l);
}

static void test_matmul_init_like_dense(void **state)
{
    (void)state;
    /* U(-1/sqrt(K), 1/sqrt(K)) with K = 16 (the input's last dim), not
     * 1/sqrt(out) as the dense rule on a [K, out] weight would give */
    vn__shape s = {.ndim = 2, .d = {3, 16}};
    vn__layer *l = make_layer("matmul", "out=100 bias=1", 1, &s);
    struct vn_rng rng;
    vn__rng_init(&rng, 5, 6);
    l->ops->init(l, &rng);
    for (int k = 0; k < 2; k++) {
        const float *p = vn_tensor_data(l->params[k].value);
        size_t n = vn_tensor_numel(l->params[k].value);
        float lo = 1, hi = -1;
        for (size_t i = 0; i < n; i++) {
            lo = fminf(lo, p[i]);
            hi = fmaxf(hi, p[i]);
        }
        assert_true(lo >= -0.25f && hi <= 0.25f);
        assert_true(lo < -0.2f && hi > 0.2f);   /* the whole range is used */
    }
    assert_int_equal(shape_of(l->params[0].value)[0], 16);
    assert_int_equal(shape_of(l->params[0].value)[1], 100);
    vn__layer_destroy(l);
}

static void test_constant_is_zero_after_set_seed(void **state)
{
    (void)state;
    const int64_t shape[1] = {4};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(shape, 1, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "constant", "name=k shape=2,3"), VN_OK);
    vn_tensor *v;
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, "k.value"), NULL, &v, NULL, NULL),
                     VN_OK);
    vn__fill_value(v, 7.0f);
    assert_int_equal(vn_model_set_seed(m, 9), VN_OK);
    const float *p = vn_tensor_data(v);
    for (int i = 0; i < 6; i++)
        assert_true(p[i] == 0.0f);
    vn_model_destroy(m);
}

static void test_clip_takes_float_max_printed_short(void **state)
{
    (void)state;
    /* 3.40282347e+38 (FLT_MAX to 9 digits) is just above FLT_MAX as a
     * double; it is FLT_MAX, and the spec prints it back readably */
    const int64_t shape[1] = {2};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(shape, 1, &m), VN_OK);
    if (vn_model_add(m, "clip", "name=c min=0 max=3.40282347e+38") != VN_OK)
        fail_msg("%s", vn_last_error());
    char *text = NULL, *text2 = NULL;
    assert_int_equal(vn_model_to_spec(m, &text), VN_OK);
    vn_model *m2 = NULL;
    if (vn_model_from_spec(text, &m2) != VN_OK)
        fail_msg("%s\n%s", vn_last_error(), text);
    assert_int_equal(vn_model_to_spec(m2, &text2), VN_OK);
    assert_string_equal(text, text2);
    const int64_t xs[2] = {1, 2};
    vn_tensor *x;
    assert_int_equal(vn_tensor_create(VN_F32, 2, xs, &x), VN_OK);
    float *p = vn_tensor_data(x);
    p[0] = -1.0f;
    p[1] = INFINITY;
    const vn_tensor *y;
    assert_int_equal(vn_model_forward(m2, x, VN_MODE_INFERENCE, &y), VN_OK);
    assert_true(((const float *)vn_tensor_data_const(y))[0] == 0.0f);
    assert_true(((const float *)vn_tensor_data_const(y))[1] == 3.40282347e+38f);
    vn_free(text);
    vn_free(text2);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
    vn_model_destroy(m2);
}

/* ---- errors ---------------------------------------------------------------- */

static vn_status try_create(const char *type, const char *attrs, int nin, const vn__shape *in)
{
    vn__attrs a;
    vn_status s = vn__attrs_parse(attrs, type, &a);
    vn__attrs_set_who(&a, type, "n");
    vn__layer *l = NULL;
    if (s == VN_OK)
        s = vn__layer_type_find(type)->create(&a, nin, in, &l);
    if (s == VN_OK)
        s = vn__attrs_check_unused(&a);
    vn__attrs_free(&a);
    vn__layer_destroy(l);
    return s;
}

static void test_binary_refuses_shapes_that_do_not_broadcast(void **state)
{
    (void)state;
    vn__shape s[2] = {{.ndim = 3, .d = {3, 4, 5}}, {.ndim = 2, .d = {3, 5}}};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(try_create(BINARY[k], "", 2, s), VN_ERR_SHAPE);
        assert_non_null(strstr(vn_last_error(), BINARY[k]));
        assert_non_null(strstr(vn_last_error(), "[3, 5]"));
    }
}

static void test_binary_needs_two_inputs(void **state)
{
    (void)state;
    vn__shape s[3] = {{.ndim = 1, .d = {3}}, {.ndim = 1, .d = {3}}, {.ndim = 1, .d = {3}}};
    assert_int_equal(try_create("mul", "", 1, s), VN_ERR_SHAPE);
    assert_int_equal(try_create("sub", "", 3, s), VN_ERR_SHAPE);
    assert_int_equal(try_create("add", "", 3, s), VN_OK);
}

static void test_dim0_is_refused_as_the_batch(void **state)
{
    (void)state;
    vn__shape s[2] = {{.ndim = 3, .d = {3, 4, 5}}, {.ndim = 3, .d = {3, 4, 5}}};
    const char *types[] = {"softmax", "log_softmax", "concat"};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(try_create(types[k], "dim=0", k == 2 ? 2 : 1, s), VN_ERR_UNSUPPORTED);
        assert_non_null(strstr(vn_last_error(), "dim=0 is the batch"));
        /* -4 on a rank-3 sample is dim 0 too */
        assert_int_equal(try_create(types[k], "dim=-4", k == 2 ? 2 : 1, s), VN_ERR_UNSUPPORTED);
        assert_non_null(strstr(vn_last_error(), "the batch"));
        assert_int_equal(try_create(types[k], "dim=4", k == 2 ? 2 : 1, s), VN_ERR_SHAPE);
    }
}

static void test_concat_refuses_other_dims_differing(void **state)
{
    (void)state;
    vn__shape s[2] = {{.ndim = 3, .d = {3, 4, 5}}, {.ndim = 3, .d = {3, 2, 5}}};
    assert_int_equal(try_create("concat", "dim=2", 2, s), VN_OK);
    assert_int_equal(try_create("concat", "dim=3", 2, s), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "concat 'n'"));
}

static void test_reshape_refuses_a_different_count(void **state)
{
    (void)state;
    vn__shape s = {.ndim = 3, .d = {3, 4, 5}};
    assert_int_equal(try_create("reshape", "shape=6,10", 1, &s), VN_OK);
    assert_int_equal(try_create("reshape", "shape=6,11", 1, &s), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "[3, 4, 5]"));
    assert_non_null(strstr(vn_last_error(), "[6, 11]"));
    assert_int_equal(try_create("reshape", "shape=-1,10", 1, &s), VN_ERR_INVALID_ARG);
    assert_int_equal(try_create("reshape", "shape=0,10", 1, &s), VN_ERR_INVALID_ARG);
    assert_int_equal(try_create("reshape", "", 1, &s), VN_ERR_INVALID_ARG);
}

static void test_matmul_refuses_bad_shapes(void **state)
{
    (void)state;
    vn__shape inner[2] = {{.ndim = 2, .d = {3, 4}}, {.ndim = 2, .d = {5, 2}}};
    assert_int_equal(try_create("matmul", "", 2, inner), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "inner dims"));
    vn__shape lead[2] = {{.ndim = 3, .d = {2, 3, 4}}, {.ndim = 3, .d = {3, 4, 2}}};
    assert_int_equal(try_create("matmul", "", 2, lead), VN_ERR_SHAPE);
    vn__shape vecs[2] = {{.ndim = 1, .d = {4}}, {.ndim = 1, .d = {4}}};
    assert_int_equal(try_create("matmul", "", 2, vecs), VN_ERR_SHAPE);
    /* the weight form needs out=, the two-input form takes no attributes */
    assert_int_equal(try_create("matmul", "", 1, inner), VN_ERR_INVALID_ARG);
    vn__shape ok[2] = {{.ndim = 2, .d = {3, 4}}, {.ndim = 2, .d = {4, 2}}};
    assert_int_equal(try_create("matmul", "out=3", 2, ok), VN_ERR_INVALID_ARG);
}

static void test_constant_and_clip_refuse_bad_attributes(void **state)
{
    (void)state;
    vn__shape s = {.ndim = 1, .d = {4}};
    assert_int_equal(try_create("constant", "", 1, &s), VN_ERR_INVALID_ARG);
    assert_int_equal(try_create("constant", "shape=0", 1, &s), VN_ERR_INVALID_ARG);
    assert_int_equal(try_create("clip", "min=x", 1, &s), VN_ERR_INVALID_ARG);
    assert_int_equal(try_create("clip", "min=inf", 1, &s), VN_ERR_INVALID_ARG);
}

/* ---- models: vn_model_add, spec round trip, save / load, threads -------- */

static const char *SPEC =
    "input shape=3,4,5 seed=3\n"
    "constant name=k inputs=input shape=3,1,1\n"
    "mul name=m inputs=input,k\n"
    "clip name=c min=-1 max=2\n"
    "reshape name=r shape=3,20\n"
    "matmul name=fc out=6 bias=1\n"
    "softmax name=sm dim=-1\n"
    "concat name=cat inputs=sm,fc dim=2\n"
    "sub name=s inputs=cat,k\n";

static vn_model *build_model(void)
{
    const int64_t shape[3] = {3, 4, 5};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(shape, 3, &m), VN_OK);
    assert_int_equal(vn_model_set_seed(m, 3), VN_OK);
    const char *nodes[][2] = {
        {"constant", "name=k inputs=input shape=3,1,1"},
        {"mul", "name=m inputs=input,k"},
        {"clip", "name=c min=-1 max=2"},
        {"reshape", "name=r shape=3,20"},
        {"matmul", "name=fc out=6 bias=1"},
        {"softmax", "name=sm dim=-1"},
        {"concat", "name=cat inputs=sm,fc dim=2"},
        {"sub", "name=s inputs=cat,k"},
    };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
        if (vn_model_add(m, nodes[i][0], nodes[i][1]) != VN_OK)
            fail_msg("%s: %s", nodes[i][0], vn_last_error());
    int k = vn_model_param_find(m, "k.value");
    assert_true(k >= 0);
    vn_tensor *v;
    unsigned flags;
    assert_int_equal(vn_model_param(m, k, NULL, &v, NULL, &flags), VN_OK);
    float *p = vn_tensor_data(v);
    p[0] = 0.5f;
    p[1] = -1.0f;
    p[2] = 2.0f;
    return m;
}

static void test_model_add_builds_the_new_layers(void **state)
{
    (void)state;
    vn_model *m = build_model();
    int64_t shape[VN_MAX_DIMS];
    int ndim;
    assert_int_equal(vn_model_output_shape(m, shape, &ndim), VN_OK);
    /* cat [3, 12] - k [3, 1, 1] broadcasts to [3, 3, 12] */
    assert_int_equal(ndim, 3);
    assert_int_equal(shape[0], 3);
    assert_int_equal(shape[1], 3);
    assert_int_equal(shape[2], 12);
    int k = vn_model_param_find(m, "k.value");
    unsigned flags;
    vn_tensor *grad = (vn_tensor *)1;
    assert_int_equal(vn_model_param(m, k, NULL, NULL, &grad, &flags), VN_OK);
    assert_null(grad);
    assert_int_equal(flags, VN_PARAM_BUFFER);
    assert_true(vn_model_param_find(m, "fc.weight") >= 0);
    assert_true(vn_model_param_find(m, "fc.bias") >= 0);
    vn_model_destroy(m);
}

static void test_spec_round_trip(void **state)
{
    (void)state;
    vn_model *m = NULL;
    if (vn_model_from_spec(SPEC, &m) != VN_OK)
        fail_msg("%s", vn_last_error());
    char *text = NULL;
    assert_int_equal(vn_model_to_spec(m, &text), VN_OK);
    assert_non_null(strstr(text, "constant name=k shape=3,1,1"));
    assert_non_null(strstr(text, "clip name=c"));
    assert_non_null(strstr(text, " min=-1 max=2"));
    assert_non_null(strstr(text, "reshape name=r shape=3,20"));
    assert_non_null(strstr(text, " out=6 bias=1"));
    assert_non_null(strstr(text, "softmax name=sm dim=2"));  /* -1 resolved */
    assert_non_null(strstr(text, "concat name=cat inputs=sm,fc dim=2"));
    vn_model *m2 = NULL;
    if (vn_model_from_spec(text, &m2) != VN_OK)
        fail_msg("%s\n%s", vn_last_error(), text);
    char *text2 = NULL;
    assert_int_equal(vn_model_to_spec(m2, &text2), VN_OK);
    assert_string_equal(text, text2);
    vn_free(text);
    vn_free(text2);
    vn_model_destroy(m);
    vn_model_destroy(m2);
}

static vn_tensor *model_input(int64_t n)
{
    const int64_t xs[4] = {n, 3, 4, 5};
    vn_tensor *x;
    assert_int_equal(vn_tensor_create(VN_F32, 4, xs, &x), VN_OK);
    struct vn_rng rng;
    vn__rng_init(&rng, 11, 12);
    fill(x, &rng, FILL_NORMAL);
    return x;
}

static void test_model_with_constant_saves_and_loads(void **state)
{
    (void)state;
    vn_model *m = build_model();
    vn_tensor *x = model_input(2);
    const vn_tensor *y1, *y2;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &y1), VN_OK);
    char path[] = "/tmp/vn_eltwise_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    if (vn_model_save(m, NULL, path) != VN_OK)
        fail_msg("%s", vn_last_error());
    vn_model *m2 = NULL;
    if (vn_model_load(path, &m2, NULL) != VN_OK)
        fail_msg("%s", vn_last_error());
    unlink(path);
    vn_tensor *v;
    assert_int_equal(vn_model_param(m2, vn_model_param_find(m2, "k.value"), NULL, &v, NULL,
                                    NULL),
                     VN_OK);
    const float want[3] = {0.5f, -1.0f, 2.0f};
    assert_memory_equal(vn_tensor_data(v), want, sizeof want);
    assert_int_equal(vn_model_forward(m2, x, VN_MODE_INFERENCE, &y2), VN_OK);
    assert_int_equal(vn_tensor_numel(y1), vn_tensor_numel(y2));
    assert_memory_equal(vn_tensor_data_const(y1), vn_tensor_data_const(y2),
                        vn_tensor_numel(y1) * sizeof(float));
    vn_tensor_destroy(x);
    vn_model_destroy(m);
    vn_model_destroy(m2);
}

static void test_model_backward_leaves_constant_alone(void **state)
{
    (void)state;
    vn_model *m = build_model();
    vn_tensor *x = model_input(2);
    const vn_tensor *y, *gx;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &y), VN_OK);
    vn_tensor *g;
    assert_int_equal(vn_tensor_create(VN_F32, vn_tensor_ndim(y), shape_of(y), &g), VN_OK);
    vn__fill_value(g, 1.0f);
    if (vn_model_backward(m, g, &gx) != VN_OK)
        fail_msg("%s", vn_last_error());
    assert_non_null(gx);
    assert_int_equal(vn_tensor_numel(gx), vn_tensor_numel(x));
    vn_tensor *v;
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, "k.value"), NULL, &v, NULL, NULL),
                     VN_OK);
    const float want[3] = {0.5f, -1.0f, 2.0f};
    assert_memory_equal(vn_tensor_data(v), want, sizeof want);
    vn_tensor_destroy(g);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

/* One forward and backward of a broadcasting layer on a size big enough to
 * be split over the pool; the bytes must not depend on the thread count. */
static void run_big(int threads, float *y_out, float *da_out, float *db_out, size_t ny,
                   size_t nb)
{
    assert_int_equal(vn_set_num_threads(threads), VN_OK);
    gcase gc = {"div", "", 2, {4, 4}, {{4, 16, 64, 64}, {4, 16, 1, 64}}, {0, FILL_AWAY}};
    struct vn_rng rng;
    vn__rng_init(&rng, 1, 2);
    vn_tensor *in[2], *din[2], *y;
    vn__shape s[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(vn_tensor_create(VN_F32, 4, gc.shape[i], &in[i]), VN_OK);
        assert_int_equal(vn_tensor_create(VN_F32, 4, gc.shape[i], &din[i]), VN_OK);
        fill(in[i], &rng, gc.fill[i]);
        s[i] = sample_of(4, gc.shape[i]);
    }
    assert_int_equal(vn_tensor_create(VN_F32, 4, gc.shape[0], &y), VN_OK);
    vn__layer *l = make_layer("div", "", 2, s);
    if (threads == 2) /* the forward and the reduction of b are both split */
        assert_true(vn__parallel_ranges((int64_t)ny, 1.0) >= 2 &&
                    vn__parallel_ranges((int64_t)nb, 2.0 * 64) >= 2);
    vn__run run = {.training = true};
    assert_int_equal(l->ops->forward(l, &run, 2, (const vn_tensor *const *)in, y), VN_OK);
    assert_int_equal(l->ops->backward(l, &run, 2, (const vn_tensor *const *)in, y, in[0], din,
                                      true),
                     VN_OK);
    memcpy(y_out, vn_tensor_data(y), ny * sizeof(float));
    memcpy(da_out, vn_tensor_data(din[0]), ny * sizeof(float));
    memcpy(db_out, vn_tensor_data(din[1]), nb * sizeof(float));
    for (int i = 0; i < 2; i++) {
        vn_tensor_destroy(in[i]);
        vn_tensor_destroy(din[i]);
    }
    vn_tensor_destroy(y);
    vn__layer_destroy(l);
}

static void test_one_and_two_threads_give_the_same_bytes(void **state)
{
    (void)state;
    const size_t ny = 4 * 16 * 64 * 64, nb = 4 * 16 * 64;
    float *y1 = malloc(ny * 4), *a1 = malloc(ny * 4), *b1 = malloc(nb * 4);
    float *y2 = malloc(ny * 4), *a2 = malloc(ny * 4), *b2 = malloc(nb * 4);
    assert_true(y1 && a1 && b1 && y2 && a2 && b2);
    run_big(1, y1, a1, b1, ny, nb);
    run_big(2, y2, a2, b2, ny, nb);
    assert_int_equal(vn_set_num_threads(0), VN_OK);
    assert_memory_equal(y1, y2, ny * 4);
    assert_memory_equal(a1, a2, ny * 4);
    assert_memory_equal(b1, b2, nb * 4);
    free(y1);
    free(a1);
    free(b1);
    free(y2);
    free(a2);
    free(b2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_same_shape_gradients),
        cmocka_unit_test(test_binary_channel_gradients),
        cmocka_unit_test(test_binary_scalar_gradients),
        cmocka_unit_test(test_binary_row_gradients),
        cmocka_unit_test(test_binary_both_sides_broadcast_gradients),
        cmocka_unit_test(test_add_three_inputs_broadcast_gradients),
        cmocka_unit_test(test_add_one_input_is_identity),
        cmocka_unit_test(test_clip_gradients),
        cmocka_unit_test(test_clip_one_bound_gradients),
        cmocka_unit_test(test_reshape_gradients),
        cmocka_unit_test(test_constant_gradient_is_zero),
        cmocka_unit_test(test_matmul_weight_gradients),
        cmocka_unit_test(test_matmul_two_inputs_gradients),
        cmocka_unit_test(test_matmul_vector_operands_gradients),
        cmocka_unit_test(test_softmax_any_dim_gradients),
        cmocka_unit_test(test_concat_any_dim_gradients),
        cmocka_unit_test(test_mul_per_channel_matches_torch),
        cmocka_unit_test(test_sub_scalar_matches_torch),
        cmocka_unit_test(test_div_row_matches_torch),
        cmocka_unit_test(test_div_both_sides_broadcast_matches_torch),
        cmocka_unit_test(test_add_both_sides_broadcast_matches_torch),
        cmocka_unit_test(test_matmul_batched_matches_torch),
        cmocka_unit_test(test_matmul_vector_matches_torch),
        cmocka_unit_test(test_matmul_weight_matches_torch),
        cmocka_unit_test(test_softmax_dim2_matches_torch),
        cmocka_unit_test(test_softmax_negative_dim_matches_torch),
        cmocka_unit_test(test_log_softmax_dim3_matches_torch),
        cmocka_unit_test(test_concat_dim3_matches_torch),
        cmocka_unit_test(test_concat_dim2_matches_torch),
        cmocka_unit_test(test_clip_matches_torch),
        cmocka_unit_test(test_mul_scalar_values),
        cmocka_unit_test(test_constant_repeats_value_over_batch),
        cmocka_unit_test(test_clip_takes_float_max_printed_short),
        cmocka_unit_test(test_matmul_init_like_dense),
        cmocka_unit_test(test_constant_is_zero_after_set_seed),
        cmocka_unit_test(test_binary_refuses_shapes_that_do_not_broadcast),
        cmocka_unit_test(test_binary_needs_two_inputs),
        cmocka_unit_test(test_dim0_is_refused_as_the_batch),
        cmocka_unit_test(test_concat_refuses_other_dims_differing),
        cmocka_unit_test(test_reshape_refuses_a_different_count),
        cmocka_unit_test(test_matmul_refuses_bad_shapes),
        cmocka_unit_test(test_constant_and_clip_refuse_bad_attributes),
        cmocka_unit_test(test_model_add_builds_the_new_layers),
        cmocka_unit_test(test_spec_round_trip),
        cmocka_unit_test(test_model_with_constant_saves_and_loads),
        cmocka_unit_test(test_model_backward_leaves_constant_alone),
        cmocka_unit_test(test_one_and_two_threads_give_the_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
