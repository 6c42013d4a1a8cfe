/* test_train_math.c - losses, optimizers and learning-rate schedules
 * against PyTorch.
 *
 * Every expected number below was computed once with torch 1.13 by the
 * scripts in tests/data/train (make_loss_refs.py, make_optim_refs.py,
 * make_schedule_refs.py) and pasted here; none comes from the code under
 * test. Gradients are also checked by central finite differences. */
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
#include "train/train_internal.h"

/* ---- reference values (tests/data/train/make_loss_refs.py) ------------- */
static const float ce_logits[12] = {-0.728937626f, 0.984534204f, 4.02345848f, -1.85861492f, -1.97146189f, 2.47311497f, 2.47867179f, -1.57092297f, 0.329359829f, -1.66060293f, 0.176636949f, 4.46015596f};
static const int32_t ce_labels[3] = {2, 0, 3};
/* ce_labels_eps0: F.cross_entropy(label_smoothing=0.0) */
static const float ce_labels_eps0_loss[1] = {1.7480555f};
static const float ce_labels_eps0_dlogits[12] = {0.00271592492f, 0.0150684687f, -0.0186620109f, 0.000877617237f, -0.331409829f, 0.163812969f, 0.164725783f, 0.00287107754f, 0.00519028794f, 0.000709515043f, 0.00445517479f, -0.0103549778f};
/* ce_labels_eps02: F.cross_entropy(label_smoothing=0.2) */
static const float ce_labels_eps02_loss[1] = {2.06327581f};
static const float ce_labels_eps02_dlogits[12] = {-0.0139507417f, -0.00159819794f, 0.0313379891f, -0.0157890494f, -0.281409829f, 0.147146303f, 0.148059116f, -0.0137955891f, -0.0114763787f, -0.0159571516f, -0.0122114919f, 0.0396450222f};
static const float ce_soft[12] = {0.604195237f, 0.0421282127f, 0.233958185f, 0.119718373f, 0.159553483f, 0.0274986718f, 0.548017085f, 0.264930755f, 0.391124457f, 0.00597405387f, 0.0494119264f, 0.553489566f};
/* ce_soft_eps0: F.cross_entropy(label_smoothing=0.0) */
static const float ce_soft_eps0_loss[1] = {2.71485067f};
static const float ce_soft_eps0_dlogits[12] = {-0.198682487f, 0.00102573125f, 0.236685263f, -0.039028507f, -0.0512609905f, 0.154646744f, -0.0179465799f, -0.0854391741f, -0.125184531f, -0.00128183625f, -0.0120154673f, 0.138481835f};
/* ce_soft_eps01: F.cross_entropy(label_smoothing=0.1) */
static const float ce_soft_eps01_loss[1] = {2.77578131f};
static const float ce_soft_eps01_dlogits[12] = {-0.18687598f, -0.00590332834f, 0.236150536f, -0.0433712279f, -0.0542758744f, 0.147230034f, -0.00801267696f, -0.0849414823f, -0.120480383f, -0.00941603445f, -0.0187017365f, 0.148598153f};
static const float ce_unnorm[12] = {0.25f, 0.25f, 0.0f, 0.0f, 0.5f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f};
/* ce_unnorm_eps0: F.cross_entropy(label_smoothing=0.0) */
static const float ce_unnorm_eps0_loss[1] = {1.76351767f};
static const float ce_unnorm_eps0_dlogits[12] = {-0.0819753709f, -0.075799099f, 0.157335661f, 0.000438808619f, -0.163781411f, 0.245719454f, -0.0862446595f, 0.00430661631f, 0.00519028794f, 0.000709515043f, 0.00445517479f, -0.0103549778f};
static const float ce_big_logits[9] = {100.0f, -100.0f, 0.0f, -100.0f, -100.0f, 100.0f, 10000.0f, -10000.0f, 0.0f};
static const int32_t ce_big_labels[3] = {1, 2, 1};
/* ce_big: F.cross_entropy(label_smoothing=0.1) */
static const float ce_big_loss[1] = {6401.11111f};
static const float ce_big_dlogits[9] = {0.322222222f, -0.311111111f, -0.0111111111f, -0.0111111111f, -0.0111111111f, 0.0222222222f, 0.322222222f, -0.311111111f, -0.0111111111f};
static const float mse_pred[6] = {-0.3232117f, -1.24050045f, -0.0874016657f, 0.653775334f, -0.84238857f, -0.743508756f};
static const float mse_target[6] = {-2.57951784f, 1.9204253f, 0.362604171f, 0.0368657373f, -1.03706872f, -0.549122453f};
/* F.mse_loss */
static const float mse_loss[1] = {2.62352301f};
static const float mse_dpred[6] = {0.752102047f, -1.05364192f, -0.150001946f, 0.205636532f, 0.0648933848f, -0.0647954345f};
static const float bce_logits[8] = {0.300000012f, -1.70000005f, 100.0f, -100.0f, 35.0f, -35.0f, 2.5f, -0.0625f};
static const float bce_target[8] = {0.975101113f, 0.647491097f, 0.0f, 1.0f, 0.585200489f, 0.0661768615f, 0.634089589f, 0.662858069f};
/* F.binary_cross_entropy_with_logits */
static const float bce_loss[1] = {27.5452498f};
static const float bce_dlogits[8] = {-0.0500823242f, -0.0616282298f, 0.125f, -0.125f, 0.0518499389f, -0.00827210769f, 0.0362565289f, -0.0223097481f};

/* ---- reference values (tests/data/train/make_optim_refs.py) ------------ */
static const float opt_p0[5] = {-1.74687243f, 1.25136602f, 0.0548590086f, 1.46219099f, 1.52415657f};
static const float opt_g[15] = {2.31980824f, 1.63752651f, -1.08851123f, -0.869105101f, -0.482128501f, 0.248742133f, 4.51843834f, -0.202783287f, 0.433203757f, 0.541282177f, 1.08421659f, -1.55898678f, 1.74273312f, -2.53670788f, -0.522590041f};
static const float opt_tiny_g[15] = {8.69426486e-08f, -2.42320102e-08f, 4.81453171e-08f, 1.09065112e-08f, -6.52654037e-08f, 5.75881609e-09f, -7.66323893e-08f, 7.22007698e-08f, 4.98819759e-08f, -3.29292007e-08f, 7.13433508e-08f, -4.74411088e-08f, -4.44844908e-08f, 1.22739223e-07f, 1.64302449e-07f};
/* sgd_plain */
static const float sgd_plain_p[15] = {-1.97885325f, 1.08761337f, 0.163710131f, 1.5491015f, 1.57236942f, -2.00372746f, 0.635769534f, 0.18398846f, 1.50578112f, 1.5182412f, -2.11214912f, 0.791668212f, 0.00971514806f, 1.75945191f, 1.57050021f};
/* sgd_momentum */
static const float sgd_momentum_p[15] = {-1.8619894f, 1.16886401f, 0.109257141f, 1.50491515f, 1.54750092f, -1.97595018f, 0.890756489f, 0.167291541f, 1.52319551f, 1.54345676f, -2.12641545f, 0.710213284f, 0.141024231f, 1.65311425f, 1.56263901f};
static const float sgd_momentum_momentum_buffer[5] = {3.00930541f, 3.6108641f, 0.525346216f, -2.59837486f, -0.383645023f};
/* sgd_nesterov */
static const float sgd_nesterov_p[15] = {-1.96708826f, 1.09568212f, 0.158262364f, 1.54461706f, 1.56981398f, -2.08441337f, 0.599955885f, 0.221594224f, 1.5384555f, 1.53770752f, -2.28170365f, 0.505228052f, 0.103894074f, 1.79331487f, 1.58274001f};
static const float sgd_nesterov_momentum_buffer[5] = {3.18185943f, 3.83660387f, 0.678942534f, -2.84668664f, -0.421775061f};
/* adam */
static const float adam_p[15] = {-1.75687242f, 1.24136602f, 0.0648589994f, 1.47219097f, 1.53415654f, -1.76343806f, 1.23180782f, 0.0724627264f, 1.47217305f, 1.52976064f, -1.77058816f, 1.22712921f, 0.0693799619f, 1.47876016f, 1.52996754f};
static const float adam_exp_avg[5] = {0.467838829f, 0.681271669f, 0.179961055f, -0.477559866f, -0.00497438641f};
static const float adam_exp_avg_sq[5] = {0.0533949003f, 0.264446583f, 0.0425017749f, 0.0655535213f, 0.00720940737f};
/* step = 3.0 */
/* adam_tiny */
static const float adam_tiny_p[15] = {-1.75584089f, 1.25844478f, 0.0465788376f, 1.45697418f, 1.53282794f, -1.76201631f, 1.2661959f, 0.038058911f, 1.45016056f, 1.54064957f, -1.76924518f, 1.27405307f, 0.0347477349f, 1.44265715f, 1.53799856f};
static const float adam_tiny_exp_avg[5] = {1.46949831e-08f, -1.36038187e-08f, 5.94939089e-09f, 1.76467276e-08f, 8.18011913e-09f};
static const float adam_tiny_exp_avg_sq[5] = {1.26669182e-17f, 8.7033259e-18f, 9.49994606e-18f, 1.76693544e-17f, 3.23296007e-17f};
/* step = 3.0 */
/* adamw */
static const float adamw_p[15] = {-1.75512555f, 1.24011465f, 0.0648041495f, 1.47072879f, 1.53263241f, -1.76082653f, 1.22959599f, 0.0726899804f, 1.47193343f, 1.52999733f, -1.7669859f, 1.22351646f, 0.0705173548f, 1.47716689f, 1.53151384f};
static const float adamw_exp_avg[5] = {0.318712919f, 0.38340042f, 0.0678534068f, -0.285079963f, -0.0425960168f};
static const float adamw_exp_avg_sq[5] = {0.00660808905f, 0.0255024413f, 0.00426068684f, 0.00737619843f, 0.000797776988f};
/* step = 3.0 */
/* groups: fc at lr 0.1, conv at lr 0.01, momentum 0.9, after 3 steps */
static const float groups_fc_p3[5] = {-2.53122312f, 0.104991728f, 0.214101064f, 1.86908054f, 1.60422878f};
static const float groups_conv_p3[5] = {-1.82530749f, 1.13672859f, 0.0707832142f, 1.50287994f, 1.53216379f};

/* ---- reference values (tests/data/train/make_schedule_refs.py), base lr 0.1 */
/* sched_step_3_05 */
static const float sched_step_3_05[16] = {0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.05f, 0.025f, 0.025f, 0.025f, 0.0125f, 0.0125f, 0.0125f, 0.00625f, 0.00625f, 0.00625f, 0.003125f};
/* sched_multistep_2_5_01 */
static const float sched_multistep_2_5_01[16] = {0.1f, 0.1f, 0.01f, 0.01f, 0.01f, 0.001f, 0.001f, 0.001f, 0.001f, 0.001f, 0.001f, 0.001f, 0.001f, 0.001f, 0.001f, 0.001f};
/* sched_cosine_10_0001 */
static const float sched_cosine_10_0001[16] = {0.1f, 0.0975772976f, 0.0905463412f, 0.07959537f, 0.0657963412f, 0.0505f, 0.0352036588f, 0.02140463f, 0.0104536588f, 0.00342270244f, 0.001f, 0.00342270244f, 0.0104536588f, 0.02140463f, 0.0352036588f, 0.0505f};
/* sched_warm4_01_cosine_8 */
static const float sched_warm4_01_cosine_8[16] = {0.01f, 0.0325f, 0.055f, 0.0775f, 0.1f, 0.0961939766f, 0.0853553391f, 0.0691341716f, 0.05f, 0.0308658284f, 0.0146446609f, 0.00380602337f, 0.0f, 0.00380602337f, 0.0146446609f, 0.0308658284f};
/* sched_warm3_025_step_4_05 */
static const float sched_warm3_025_step_4_05[16] = {0.025f, 0.05f, 0.075f, 0.1f, 0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.05f, 0.05f, 0.025f, 0.025f, 0.025f, 0.025f, 0.0125f};
/* sched_linear_5_default */
static const float sched_linear_5_default[16] = {0.0333333333f, 0.0466666667f, 0.06f, 0.0733333333f, 0.0866666667f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f};

/* ---- helpers ------------------------------------------------------------- */

static vn_tensor *f32_tensor(const float *values, int ndim, const int64_t *shape)
{
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, ndim, shape, &t), VN_OK);
    if (values)
        memcpy(vn_tensor_data(t), values, vn_tensor_nbytes(t));
    return t;
}

static vn_tensor *f32_2d(const float *values, int64_t rows, int64_t cols)
{
    int64_t shape[2] = {rows, cols};
    return f32_tensor(values, 2, shape);
}

static vn_tensor *labels_tensor(const int32_t *values, int64_t n)
{
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_I32, 1, &n, &t), VN_OK);
    memcpy(vn_tensor_data(t), values, vn_tensor_nbytes(t));
    return t;
}

static float *data_of(vn_tensor *t)
{
    return vn_tensor_data(t);
}

/* |got - ref| <= atol + rtol*|ref| for every element, as the conformance set checks. */
static void assert_close(const float *got, const float *ref, size_t n, double rtol, double atol,
                         const char *what)
{
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - (double)ref[i]);
        if (!(err <= atol + rtol * fabs((double)ref[i])))
            fail_msg("%s[%zu]: got %.9g, expected %.9g", what, i, (double)got[i], (double)ref[i]);
    }
}

/* The loss tolerances of the conformance README: rtol 1e-5, atol 1e-6 / 1e-7. */
#define LOSS_RTOL 1e-5
#define LOSS_ATOL 1e-6
#define GRAD_ATOL 1e-7

/* A loss as a function of its first input, for the finite differences. */
typedef vn_status (*loss_of_x)(const vn_tensor *x, const void *ctx, float *loss, vn_tensor *dx);

static vn_status ce_of_x(const vn_tensor *x, const void *ctx, float *loss, vn_tensor *dx)
{
    const vn_tensor *const *c = ctx;
    return vn_loss_cross_entropy(x, c[0], *(const float *)(const void *)c[1], loss, dx);
}

static vn_status mse_of_x(const vn_tensor *x, const void *ctx, float *loss, vn_tensor *dx)
{
    return vn_loss_mse(x, ctx, loss, dx);
}

static vn_status bce_of_x(const vn_tensor *x, const void *ctx, float *loss, vn_tensor *dx)
{
    return vn_loss_bce_with_logits(x, ctx, loss, dx);
}

/* Central differences with step h against the analytic gradient. The loss
 * comes back in float, so the differences carry an error of about
 * ulp(loss)/h; the tolerance allows for it. */
static void assert_gradient_matches_finite_differences(loss_of_x f, const void *ctx, vn_tensor *x,
                                                       float h)
{
    int64_t shape[VN_MAX_DIMS];
    vn_tensor_shape(x, shape);
    vn_tensor *g = f32_tensor(NULL, vn_tensor_ndim(x), shape);
    float loss = 0;
    assert_int_equal(f(x, ctx, &loss, g), VN_OK);
    float *xd = data_of(x);
    for (size_t i = 0; i < vn_tensor_numel(x); i++) {
        float keep = xd[i], lp = 0, lm = 0;
        float up = keep + h, down = keep - h;
        xd[i] = up;
        assert_int_equal(f(x, ctx, &lp, NULL), VN_OK);
        xd[i] = down;
        assert_int_equal(f(x, ctx, &lm, NULL), VN_OK);
        xd[i] = keep;
        double fd = ((double)lp - (double)lm) / ((double)up - (double)down);
        double an = data_of(g)[i];
        if (!(fabs(fd - an) <= 2e-4 + 1e-2 * fabs(an)))
            fail_msg("element %zu: analytic %.7g, finite differences %.7g", i, an, fd);
    }
    vn_tensor_destroy(g);
}

/* ---- cross-entropy -------------------------------------------------------- */

static void check_ce(const float *logits, const vn_tensor *targets, float eps, const float *ref_loss,
                     const float *ref_grad, int64_t n, int64_t k)
{
    vn_tensor *x = f32_2d(logits, n, k), *g = f32_2d(NULL, n, k);
    float loss = 0;
    assert_int_equal(vn_loss_cross_entropy(x, targets, eps, &loss, g), VN_OK);
    assert_close(&loss, ref_loss, 1, LOSS_RTOL, LOSS_ATOL, "loss");
    assert_close(data_of(g), ref_grad, (size_t)(n * k), LOSS_RTOL, GRAD_ATOL, "dlogits");
    vn_tensor_destroy(x);
    vn_tensor_destroy(g);
}

static void test_cross_entropy_labels_match_pytorch(void **state)
{
    (void)state;
    vn_tensor *t = labels_tensor(ce_labels, 3);
    check_ce(ce_logits, t, 0.0f, ce_labels_eps0_loss, ce_labels_eps0_dlogits, 3, 4);
    vn_tensor_destroy(t);
}

static void test_cross_entropy_label_smoothing_matches_pytorch(void **state)
{
    (void)state;
    vn_tensor *t = labels_tensor(ce_labels, 3);
    check_ce(ce_logits, t, 0.2f, ce_labels_eps02_loss, ce_labels_eps02_dlogits, 3, 4);
    vn_tensor_destroy(t);
}

static void test_cross_entropy_soft_targets_match_pytorch(void **state)
{
    (void)state;
    vn_tensor *t = f32_2d(ce_soft, 3, 4);
    check_ce(ce_logits, t, 0.0f, ce_soft_eps0_loss, ce_soft_eps0_dlogits, 3, 4);
    check_ce(ce_logits, t, 0.1f, ce_soft_eps01_loss, ce_soft_eps01_dlogits, 3, 4);
    vn_tensor_destroy(t);
}

static void test_cross_entropy_unnormalised_soft_targets_are_used_as_given(void **state)
{
    (void)state;
    vn_tensor *t = f32_2d(ce_unnorm, 3, 4);
    check_ce(ce_logits, t, 0.0f, ce_unnorm_eps0_loss, ce_unnorm_eps0_dlogits, 3, 4);
    vn_tensor_destroy(t);
}

static void test_cross_entropy_one_hot_soft_targets_equal_labels(void **state)
{
    (void)state;
    float onehot[12] = {0};
    for (int i = 0; i < 3; i++)
        onehot[i * 4 + ce_labels[i]] = 1.0f;
    vn_tensor *soft = f32_2d(onehot, 3, 4), *lab = labels_tensor(ce_labels, 3);
    vn_tensor *x = f32_2d(ce_logits, 3, 4), *g1 = f32_2d(NULL, 3, 4), *g2 = f32_2d(NULL, 3, 4);
    float l1 = 0, l2 = 0;
    assert_int_equal(vn_loss_cross_entropy(x, lab, 0.1f, &l1, g1), VN_OK);
    assert_int_equal(vn_loss_cross_entropy(x, soft, 0.1f, &l2, g2), VN_OK);
    assert_close(&l2, &l1, 1, 1e-6, 0, "loss");
    assert_close(data_of(g2), data_of(g1), 12, 1e-6, 1e-9, "dlogits");
    vn_tensor_destroy(soft);
    vn_tensor_destroy(lab);
    vn_tensor_destroy(x);
    vn_tensor_destroy(g1);
    vn_tensor_destroy(g2);
}

static void test_cross_entropy_extreme_logits_stay_finite(void **state)
{
    (void)state;
    vn_tensor *t = labels_tensor(ce_big_labels, 3);
    check_ce(ce_big_logits, t, 0.1f, ce_big_loss, ce_big_dlogits, 3, 3);
    vn_tensor_destroy(t);
}

static void test_cross_entropy_without_gradient_gives_the_same_loss(void **state)
{
    (void)state;
    vn_tensor *t = labels_tensor(ce_labels, 3), *x = f32_2d(ce_logits, 3, 4);
    float loss = 0;
    assert_int_equal(vn_loss_cross_entropy(x, t, 0.2f, &loss, NULL), VN_OK);
    assert_close(&loss, ce_labels_eps02_loss, 1, LOSS_RTOL, LOSS_ATOL, "loss");
    vn_tensor_destroy(t);
    vn_tensor_destroy(x);
}

static void test_cross_entropy_label_gradient_matches_finite_differences(void **state)
{
    (void)state;
    vn_tensor *t = labels_tensor(ce_labels, 3), *x = f32_2d(ce_logits, 3, 4);
    float eps = 0.1f;
    const void *ctx[2] = {t, &eps};
    assert_gradient_matches_finite_differences(ce_of_x, ctx, x, 1e-2f);
    vn_tensor_destroy(t);
    vn_tensor_destroy(x);
}

static void test_cross_entropy_soft_gradient_matches_finite_differences(void **state)
{
    (void)state;
    /* Unnormalised rows: the gradient must be that of the loss as given. */
    vn_tensor *t = f32_2d(ce_unnorm, 3, 4), *x = f32_2d(ce_logits, 3, 4);
    float eps = 0.2f;
    const void *ctx[2] = {t, &eps};
    assert_gradient_matches_finite_differences(ce_of_x, ctx, x, 1e-2f);
    vn_tensor_destroy(t);
    vn_tensor_destroy(x);
}

static void test_cross_entropy_refuses_label_out_of_range(void **state)
{
    (void)state;
    const int32_t bad[3] = {2, 4, 0};
    const int32_t ignore[3] = {2, -100, 0};
    vn_tensor *x = f32_2d(ce_logits, 3, 4), *t = labels_tensor(bad, 3);
    vn_tensor *t2 = labels_tensor(ignore, 3);
    float loss = 123.0f;
    assert_int_equal(vn_loss_cross_entropy(x, t, 0.0f, &loss, NULL), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "label 4 of sample 1 is outside 0..3"));
    assert_int_equal(vn_loss_cross_entropy(x, t2, 0.0f, &loss, NULL), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "label -100 of sample 1"));
    assert_true(loss == 123.0f);
    vn_tensor_destroy(x);
    vn_tensor_destroy(t);
    vn_tensor_destroy(t2);
}

static void test_cross_entropy_refuses_mismatched_shapes(void **state)
{
    (void)state;
    vn_tensor *x = f32_2d(ce_logits, 3, 4), *t = labels_tensor(ce_labels, 2);
    vn_tensor *soft = f32_2d(ce_soft, 4, 3), *g = f32_2d(NULL, 4, 3);
    vn_tensor *lab3 = labels_tensor(ce_labels, 3);
    float loss = 0;
    assert_int_equal(vn_loss_cross_entropy(x, t, 0.0f, &loss, NULL), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "logits are [3, 4] but the labels are i32 [2]"));
    assert_int_equal(vn_loss_cross_entropy(x, soft, 0.0f, &loss, NULL), VN_ERR_SHAPE);
    assert_int_equal(vn_loss_cross_entropy(x, lab3, 0.0f, &loss, g), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "dlogits is [4, 3], expected [3, 4]"));
    assert_int_equal(vn_loss_cross_entropy(x, lab3, 1.5f, &loss, NULL), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "label_smoothing"));
    vn_tensor_destroy(x);
    vn_tensor_destroy(t);
    vn_tensor_destroy(soft);
    vn_tensor_destroy(g);
    vn_tensor_destroy(lab3);
}

/* ---- MSE and BCE ---------------------------------------------------------- */

static void test_mse_matches_pytorch(void **state)
{
    (void)state;
    vn_tensor *p = f32_2d(mse_pred, 2, 3), *t = f32_2d(mse_target, 2, 3), *g = f32_2d(NULL, 2, 3);
    float loss = 0;
    assert_int_equal(vn_loss_mse(p, t, &loss, g), VN_OK);
    assert_close(&loss, mse_loss, 1, LOSS_RTOL, LOSS_ATOL, "loss");
    assert_close(data_of(g), mse_dpred, 6, LOSS_RTOL, GRAD_ATOL, "dpred");
    vn_tensor_destroy(p);
    vn_tensor_destroy(t);
    vn_tensor_destroy(g);
}

static void test_mse_gradient_matches_finite_differences(void **state)
{
    (void)state;
    vn_tensor *p = f32_2d(mse_pred, 2, 3), *t = f32_2d(mse_target, 2, 3);
    assert_gradient_matches_finite_differences(mse_of_x, t, p, 1e-2f);
    vn_tensor_destroy(p);
    vn_tensor_destroy(t);
}

static void test_mse_refuses_mismatched_shapes(void **state)
{
    (void)state;
    vn_tensor *p = f32_2d(mse_pred, 2, 3), *t = f32_2d(mse_target, 3, 2);
    float loss = 0;
    assert_int_equal(vn_loss_mse(p, t, &loss, NULL), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "mse: pred is [2, 3] but target is [3, 2]"));
    vn_tensor_destroy(p);
    vn_tensor_destroy(t);
}

static void test_bce_with_logits_matches_pytorch_at_extreme_logits(void **state)
{
    (void)state;
    vn_tensor *x = f32_2d(bce_logits, 2, 4), *t = f32_2d(bce_target, 2, 4), *g = f32_2d(NULL, 2, 4);
    float loss = 0;
    assert_int_equal(vn_loss_bce_with_logits(x, t, &loss, g), VN_OK);
    assert_true(isfinite(loss));
    assert_close(&loss, bce_loss, 1, LOSS_RTOL, LOSS_ATOL, "loss");
    assert_close(data_of(g), bce_dlogits, 8, LOSS_RTOL, GRAD_ATOL, "dlogits");
    vn_tensor_destroy(x);
    vn_tensor_destroy(t);
    vn_tensor_destroy(g);
}

static void test_bce_gradient_matches_finite_differences(void **state)
{
    (void)state;
    vn_tensor *x = f32_2d(bce_logits, 2, 4), *t = f32_2d(bce_target, 2, 4);
    assert_gradient_matches_finite_differences(bce_of_x, t, x, 1e-2f);
    vn_tensor_destroy(x);
    vn_tensor_destroy(t);
}

static void test_losses_refuse_empty_and_non_f32_inputs(void **state)
{
    (void)state;
    vn_tensor *e1 = f32_2d(NULL, 0, 3), *e2 = f32_2d(NULL, 0, 3), *l = labels_tensor(ce_labels, 3);
    vn_tensor *x = f32_2d(ce_logits, 3, 4);
    float loss = 0;
    assert_int_equal(vn_loss_mse(e1, e2, &loss, NULL), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "empty"));
    assert_int_equal(vn_loss_bce_with_logits(e1, e2, &loss, NULL), VN_ERR_SHAPE);
    assert_int_equal(vn_loss_cross_entropy(e1, l, 0.0f, &loss, NULL), VN_ERR_SHAPE);
    assert_int_equal(vn_loss_cross_entropy(l, l, 0.0f, &loss, NULL), VN_ERR_SHAPE);
    assert_int_equal(vn_loss_mse(x, x, NULL, NULL), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(e1);
    vn_tensor_destroy(e2);
    vn_tensor_destroy(l);
    vn_tensor_destroy(x);
}

static void test_loss_gradient_must_not_alias_an_input(void **state)
{
    (void)state;
    vn_tensor *p = f32_2d(mse_pred, 2, 3), *t = f32_2d(mse_target, 2, 3);
    float loss = 0;
    assert_int_equal(vn_loss_mse(p, t, &loss, p), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "shares memory"));
    vn_tensor_destroy(p);
    vn_tensor_destroy(t);
}

/* ---- optimizers ------------------------------------------------------------ */

#define NP 5
/* Parameters after each step: rtol 1e-5, atol 1e-6 (conformance README). */
#define OPT_RTOL 1e-5
#define OPT_ATOL 1e-6

typedef struct param {
    vn_tensor *value, *grad;
} param;

static param new_param(void)
{
    int64_t n = NP;
    param p = {f32_tensor(opt_p0, 1, &n), f32_tensor(NULL, 1, &n)};
    return p;
}

static void free_param(param p)
{
    vn_tensor_destroy(p.value);
    vn_tensor_destroy(p.grad);
}

/* Steps first..last-1 with the gradients g[step], checking the parameter
 * after each against ref[step] when ref is not NULL. */
static void run_steps(vn_optimizer *opt, param p, const float *g, int first, int last,
                      const float *ref)
{
    for (int s = first; s < last; s++) {
        memcpy(vn_tensor_data(p.grad), g + s * NP, NP * sizeof(float));
        assert_int_equal(vn_optimizer_step(opt), VN_OK);
        if (ref) {
            char what[32];
            snprintf(what, sizeof what, "p after step %d", s + 1);
            assert_close(data_of(p.value), ref + s * NP, NP, OPT_RTOL, OPT_ATOL, what);
        }
    }
}

/* The state tensor called `name` of the first parameter. */
static vn_tensor *state_named(vn_optimizer *opt, const char *name)
{
    for (int i = 0; i < vn_optimizer_state_count(opt); i++) {
        const char *sn = NULL;
        vn_tensor *t = NULL;
        assert_int_equal(vn_optimizer_state(opt, i, NULL, &sn, &t), VN_OK);
        if (strcmp(sn, name) == 0)
            return t;
    }
    fail_msg("no state called %s", name);
    return NULL;
}

static void check_state(vn_optimizer *opt, const char *name, const float *ref)
{
    vn_tensor *t = state_named(opt, name);
    assert_int_equal(vn_tensor_numel(t), NP);
    /* State tolerance: rtol 1e-5, atol 1e-6 * max|ref|. */
    float mx = 0;
    for (int i = 0; i < NP; i++)
        mx = fmaxf(mx, fabsf(ref[i]));
    assert_close(data_of(t), ref, NP, 1e-5, 1e-6 * mx, name);
}

static vn_optimizer *from_string(const char *config, param p)
{
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create(config, &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "w", p.value, p.grad), VN_OK);
    return opt;
}

static void test_sgd_plain_matches_pytorch(void **state)
{
    (void)state;
    param p = new_param();
    vn_sgd_options o = VN_SGD_OPTIONS_INIT;
    o.lr = 0.1;
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create_sgd(&o, &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "w", p.value, p.grad), VN_OK);
    run_steps(opt, p, opt_g, 0, 3, sgd_plain_p);
    assert_int_equal(vn_optimizer_state_count(opt), 0); /* no momentum, no buffer */
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_sgd_momentum_dampening_weight_decay_match_pytorch(void **state)
{
    (void)state;
    param p = new_param();
    vn_sgd_options o = VN_SGD_OPTIONS_INIT;
    o.lr = 0.05;
    o.momentum = 0.9;
    o.dampening = 0.1;
    o.weight_decay = 0.01;
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create_sgd(&o, &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "w", p.value, p.grad), VN_OK);
    run_steps(opt, p, opt_g, 0, 3, sgd_momentum_p);
    check_state(opt, "momentum_buffer", sgd_momentum_momentum_buffer);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_sgd_nesterov_matches_pytorch(void **state)
{
    (void)state;
    param p = new_param();
    vn_optimizer *opt =
        from_string("sgd lr=0.05 momentum=0.9 weight_decay=1e-3 nesterov=1", p);
    run_steps(opt, p, opt_g, 0, 3, sgd_nesterov_p);
    check_state(opt, "momentum_buffer", sgd_nesterov_momentum_buffer);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_sgd_from_string_matches_pytorch(void **state)
{
    (void)state;
    param p = new_param();
    vn_optimizer *opt =
        from_string("  sgd\tlr=0.05 momentum=0.9  dampening=0.1 weight_decay=0.01 ", p);
    run_steps(opt, p, opt_g, 0, 3, sgd_momentum_p);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_adam_with_weight_decay_matches_pytorch(void **state)
{
    (void)state;
    param p = new_param();
    vn_adam_options o = VN_ADAM_OPTIONS_INIT;
    o.lr = 0.01;
    o.beta1 = 0.8;
    o.beta2 = 0.99;
    o.eps = 1e-6;
    o.weight_decay = 0.1;
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create_adam(&o, &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "w", p.value, p.grad), VN_OK);
    run_steps(opt, p, opt_g, 0, 3, adam_p);
    check_state(opt, "exp_avg", adam_exp_avg);
    check_state(opt, "exp_avg_sq", adam_exp_avg_sq);
    assert_true(*data_of(state_named(opt, "step")) == 3.0f);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_adam_from_string_with_betas_matches_pytorch(void **state)
{
    (void)state;
    param p = new_param();
    vn_optimizer *opt = from_string("adam lr=0.01 betas=0.8,0.99 eps=1e-6 weight_decay=0.1", p);
    run_steps(opt, p, opt_g, 0, 3, adam_p);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_adam_tiny_gradients_add_eps_after_bias_correction(void **state)
{
    (void)state;
    param p = new_param();
    vn_optimizer *opt = from_string("adam lr=0.01", p);
    run_steps(opt, p, opt_tiny_g, 0, 3, adam_tiny_p);
    check_state(opt, "exp_avg", adam_tiny_exp_avg);
    check_state(opt, "exp_avg_sq", adam_tiny_exp_avg_sq);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_adamw_matches_pytorch(void **state)
{
    (void)state;
    param p = new_param();
    vn_adam_options o = VN_ADAMW_OPTIONS_INIT;
    o.lr = 0.01;
    o.weight_decay = 0.1;
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create_adamw(&o, &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "w", p.value, p.grad), VN_OK);
    assert_int_equal(vn_optimizer_get_kind(opt), VN_OPTIMIZER_ADAMW);
    run_steps(opt, p, opt_g, 0, 3, adamw_p);
    check_state(opt, "exp_avg", adamw_exp_avg);
    check_state(opt, "exp_avg_sq", adamw_exp_avg_sq);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_optimizer_config_errors_name_the_word(void **state)
{
    (void)state;
    static const struct { const char *config, *message; } cases[] = {
        {"", "empty configuration"},
        {"sgdd lr=0.1", "unknown algorithm 'sgdd'"},
        {"sgd lr=abc", "lr='abc' is not a finite number"},
        {"sgd lr=0.1x", "lr='0.1x'"},
        {"sgd momentun=0.9", "unknown key 'momentun' (expected lr, momentum, dampening, weight_decay, nesterov)"},
        {"sgd lr", "'lr' is not key=value"},
        {"sgd lr=-1", "lr=-1 must be"},
        {"sgd nesterov=1", "nesterov=1 needs momentum > 0"},
        {"sgd momentum=0.9 dampening=0.1 nesterov=1", "dampening=0"},
        {"sgd nesterov=2", "nesterov=2 is out of range"},
        {"adam beta1=1", "beta1=1 must be in [0, 1)"},
        {"adam betas=0.9", "betas='0.9' is not two numbers"},
        {"adam betas=0.9,0.99 beta2=0.9", "either betas or beta1"},
        {"adam lr=0.1 lr=0.2", "key 'lr' is given twice"},
        {"adamw eps=nan", "eps='nan'"},
        {"adam lr=1e999", "lr='1e999'"},
        {"adam momentum=0.9", "unknown key 'momentum'"},
        {"sgd betas=0.9,0.99", "unknown key 'betas'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vn_optimizer *opt = (vn_optimizer *)(uintptr_t)1;
        vn_status s = vn_optimizer_create(cases[i].config, &opt);
        if (s != VN_ERR_INVALID_ARG || !strstr(vn_last_error(), cases[i].message))
            fail_msg("'%s': status %d, message '%s', expected '%s'", cases[i].config, s,
                     vn_last_error(), cases[i].message);
        assert_true(opt == (vn_optimizer *)(uintptr_t)1);
    }
}

static void test_optimizer_to_string_recreates_the_optimizer(void **state)
{
    (void)state;
    vn_optimizer *a = NULL, *b = NULL;
    assert_int_equal(vn_optimizer_create("adamw lr=3e-4 betas=0.85,0.995 weight_decay=0.05", &a),
                     VN_OK);
    char *text = NULL, *text2 = NULL;
    assert_int_equal(vn_optimizer_to_string(a, &text), VN_OK);
    assert_string_equal(text, "adamw lr=0.0003 beta1=0.85 beta2=0.995 eps=1e-08 weight_decay=0.05");
    assert_int_equal(vn_optimizer_create(text, &b), VN_OK);
    assert_int_equal(vn_optimizer_to_string(b, &text2), VN_OK);
    assert_string_equal(text, text2);
    vn_free(text);
    vn_free(text2);
    vn_optimizer_destroy(a);
    vn_optimizer_destroy(b);

    assert_int_equal(vn_optimizer_create_sgd(NULL, &a), VN_OK);
    assert_int_equal(vn_optimizer_to_string(a, &text), VN_OK);
    assert_string_equal(text, "sgd lr=0.01 momentum=0 dampening=0 weight_decay=0 nesterov=0");
    vn_free(text);
    vn_optimizer_destroy(a);
}

static void test_options_struct_size_is_checked(void **state)
{
    (void)state;
    vn_sgd_options o = VN_SGD_OPTIONS_INIT;
    o.size = sizeof(size_t);
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create_sgd(&o, &opt), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "sizeof(vn_sgd_options)"));
    assert_null(opt);
}

static void test_lr_mult_glob_matches_pytorch_param_groups(void **state)
{
    (void)state;
    param fc = new_param(), conv = new_param();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.01 momentum=0.9", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "conv.weight", conv.value, conv.grad), VN_OK);
    assert_int_equal(vn_optimizer_set_lr_mult(opt, "fc.*", 10.0), VN_OK);
    /* The rule also applies to parameters added after it. */
    assert_int_equal(vn_optimizer_add_param(opt, "fc.weight", fc.value, fc.grad), VN_OK);
    for (int s = 0; s < 3; s++) {
        memcpy(vn_tensor_data(fc.grad), opt_g + s * NP, NP * sizeof(float));
        memcpy(vn_tensor_data(conv.grad), opt_g + s * NP, NP * sizeof(float));
        assert_int_equal(vn_optimizer_step(opt), VN_OK);
    }
    assert_close(data_of(fc.value), groups_fc_p3, NP, OPT_RTOL, OPT_ATOL, "fc");
    assert_close(data_of(conv.value), groups_conv_p3, NP, OPT_RTOL, OPT_ATOL, "conv");
    vn_optimizer_destroy(opt);
    free_param(fc);
    free_param(conv);
}

static void test_lr_mult_last_matching_rule_wins(void **state)
{
    (void)state;
    param fc = new_param(), conv = new_param();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.01 momentum=0.9", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "fc.weight", fc.value, fc.grad), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "conv.weight", conv.value, conv.grad), VN_OK);
    assert_int_equal(vn_optimizer_set_lr_mult(opt, "*", 0.0), VN_OK);
    assert_int_equal(vn_optimizer_set_lr_mult(opt, "f?.w*t", 10.0), VN_OK);
    for (int s = 0; s < 3; s++) {
        memcpy(vn_tensor_data(fc.grad), opt_g + s * NP, NP * sizeof(float));
        memcpy(vn_tensor_data(conv.grad), opt_g + s * NP, NP * sizeof(float));
        assert_int_equal(vn_optimizer_step(opt), VN_OK);
    }
    assert_close(data_of(fc.value), groups_fc_p3, NP, OPT_RTOL, OPT_ATOL, "fc");
    assert_memory_equal(data_of(conv.value), opt_p0, sizeof opt_p0); /* lr 0: unchanged */
    assert_int_equal(vn_optimizer_set_lr_mult(opt, "*", -1.0), VN_ERR_INVALID_ARG);
    vn_optimizer_destroy(opt);
    free_param(fc);
    free_param(conv);
}

static void test_glob_matches_star_and_question_mark(void **state)
{
    (void)state;
    assert_true(vn__train_glob_match("fc.*", "fc.weight"));
    assert_true(vn__train_glob_match("*", ""));
    assert_true(vn__train_glob_match("*.bias", "layer1.0.conv1.bias"));
    assert_true(vn__train_glob_match("conv?.weight", "conv2.weight"));
    assert_true(vn__train_glob_match("*conv*", "layer1.conv2.weight"));
    assert_false(vn__train_glob_match("fc.*", "fc"));
    assert_false(vn__train_glob_match("conv?.weight", "conv12.weight"));
    assert_false(vn__train_glob_match("*.bias", "fc.weight"));
    assert_false(vn__train_glob_match("fc", "fc.weight"));
}

static void test_set_lr_changes_the_update(void **state)
{
    (void)state;
    param p = new_param();
    vn_optimizer *opt = from_string("sgd lr=0.5", p);
    assert_true(vn_optimizer_get_lr(opt) == 0.5);
    assert_int_equal(vn_optimizer_set_lr(opt, 0.1), VN_OK);
    assert_true(vn_optimizer_get_lr(opt) == 0.1);
    run_steps(opt, p, opt_g, 0, 3, sgd_plain_p);
    assert_int_equal(vn_optimizer_set_lr(opt, -0.1), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_optimizer_set_lr(opt, NAN), VN_ERR_INVALID_ARG);
    vn_optimizer_destroy(opt);
    free_param(p);
}

/* Bit-exact resume: 3 steps straight equal 1 step, export of the state,
 * a new optimizer from the exported configuration, import, 2 steps. */
static void check_resume_is_bit_exact(const char *config)
{
    param straight = new_param(), first = new_param();
    vn_optimizer *a = from_string(config, straight);
    run_steps(a, straight, opt_g, 0, 3, NULL);

    vn_optimizer *b = from_string(config, first);
    run_steps(b, first, opt_g, 0, 1, NULL);
    char *text = NULL;
    assert_int_equal(vn_optimizer_to_string(b, &text), VN_OK);
    int64_t steps = vn_optimizer_get_step_count(b);
    assert_int_equal(steps, 1);
    int n = vn_optimizer_state_count(b);
    assert_true(n >= 1);
    vn_tensor *saved[8] = {0};
    const char *pnames[8], *snames[8];
    assert_true(n <= 8);
    for (int i = 0; i < n; i++) {
        vn_tensor *t = NULL;
        assert_int_equal(vn_optimizer_state(b, i, &pnames[i], &snames[i], &t), VN_OK);
        assert_int_equal(vn_tensor_copy(t, &saved[i]), VN_OK);
    }

    /* A different parameter object holding the saved value. */
    param resumed = new_param();
    memcpy(vn_tensor_data(resumed.value), vn_tensor_data(first.value), NP * sizeof(float));
    vn_optimizer *c = from_string(text, resumed);
    assert_int_equal(vn_optimizer_set_step_count(c, steps), VN_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(vn_optimizer_set_state(c, pnames[i], snames[i], saved[i]), VN_OK);
    run_steps(c, resumed, opt_g, 1, 3, NULL);

    assert_memory_equal(vn_tensor_data(resumed.value), vn_tensor_data(straight.value),
                        NP * sizeof(float));
    assert_int_equal(vn_optimizer_get_step_count(c), vn_optimizer_get_step_count(a));
    assert_int_equal(vn_optimizer_state_count(c), vn_optimizer_state_count(a));
    for (int i = 0; i < vn_optimizer_state_count(a); i++) {
        vn_tensor *ta = NULL, *tc = NULL;
        assert_int_equal(vn_optimizer_state(a, i, NULL, NULL, &ta), VN_OK);
        assert_int_equal(vn_optimizer_state(c, i, NULL, NULL, &tc), VN_OK);
        assert_memory_equal(vn_tensor_data(ta), vn_tensor_data(tc), vn_tensor_nbytes(ta));
    }
    for (int i = 0; i < n; i++)
        vn_tensor_destroy(saved[i]);
    vn_free(text);
    vn_optimizer_destroy(a);
    vn_optimizer_destroy(b);
    vn_optimizer_destroy(c);
    free_param(straight);
    free_param(first);
    free_param(resumed);
}

static void test_resume_from_exported_state_is_bit_exact(void **state)
{
    (void)state;
    check_resume_is_bit_exact("sgd lr=0.05 momentum=0.9 dampening=0.1 weight_decay=0.01");
    check_resume_is_bit_exact("sgd lr=0.05 momentum=0.9 weight_decay=1e-3 nesterov=1");
    check_resume_is_bit_exact("adam lr=0.01 betas=0.8,0.99 eps=1e-6 weight_decay=0.1");
    check_resume_is_bit_exact("adamw lr=0.01 weight_decay=0.1");
}

static void test_state_is_created_lazily_with_pytorch_names(void **state)
{
    (void)state;
    param p = new_param(), q = new_param();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("adam", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, NULL, p.value, p.grad), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, NULL, q.value, q.grad), VN_OK);
    assert_int_equal(vn_optimizer_param_count(opt), 2);
    assert_string_equal(vn_optimizer_param_name(opt, 1), "1");
    assert_null(vn_optimizer_param_name(opt, 2));
    assert_int_equal(vn_optimizer_state_count(opt), 0);
    assert_int_equal(vn_optimizer_step(opt), VN_OK);
    assert_int_equal(vn_optimizer_state_count(opt), 6);
    static const char *names[6][2] = {{"0", "step"}, {"0", "exp_avg"}, {"0", "exp_avg_sq"},
                                      {"1", "step"}, {"1", "exp_avg"}, {"1", "exp_avg_sq"}};
    for (int i = 0; i < 6; i++) {
        const char *pn = NULL, *sn = NULL;
        vn_tensor *t = NULL;
        assert_int_equal(vn_optimizer_state(opt, i, &pn, &sn, &t), VN_OK);
        assert_string_equal(pn, names[i][0]);
        assert_string_equal(sn, names[i][1]);
        assert_int_equal(vn_tensor_dtype(t), VN_F32);
        assert_int_equal(vn_tensor_ndim(t), i % 3 == 0 ? 0 : 1);
    }
    assert_int_equal(vn_optimizer_state(opt, 6, NULL, NULL, NULL), VN_ERR_INVALID_ARG);
    vn_optimizer_destroy(opt);
    free_param(p);
    free_param(q);
}

static void test_set_state_refuses_unknown_names_and_wrong_shapes(void **state)
{
    (void)state;
    param p = new_param();
    vn_optimizer *opt = from_string("sgd momentum=0.9", p);
    int64_t four = 4, one = 1;
    vn_tensor *small = f32_tensor(NULL, 1, &four), *scalar = f32_tensor(NULL, 1, &one);
    assert_int_equal(vn_optimizer_set_state(opt, "nope", "momentum_buffer", p.value),
                     VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "no parameter called 'nope'"));
    assert_int_equal(vn_optimizer_set_state(opt, "w", "exp_avg", p.value), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "no state called 'exp_avg' (it has: momentum_buffer)"));
    assert_int_equal(vn_optimizer_set_state(opt, "w", "momentum_buffer", small), VN_ERR_SHAPE);
    assert_int_equal(vn_optimizer_state_count(opt), 0);
    vn_optimizer_destroy(opt);

    opt = from_string("adam", p);
    data_of(scalar)[0] = -2.0f;
    assert_int_equal(vn_optimizer_set_state(opt, "w", "step", scalar), VN_ERR_INVALID_ARG);
    data_of(scalar)[0] = 2.5f;
    assert_int_equal(vn_optimizer_set_state(opt, "w", "step", scalar), VN_ERR_INVALID_ARG);
    data_of(scalar)[0] = 7.0f;
    assert_int_equal(vn_optimizer_set_state(opt, "w", "step", scalar), VN_OK);
    assert_int_equal(vn_optimizer_state_count(opt), 3);
    assert_true(*data_of(state_named(opt, "step")) == 7.0f);
    vn_optimizer_destroy(opt);
    vn_tensor_destroy(small);
    vn_tensor_destroy(scalar);
    free_param(p);
}

static void test_set_step_count_sets_adam_bias_correction(void **state)
{
    (void)state;
    /* Two steps, keep the parameter and the moments, then a new optimizer
     * given the moments and the step count 2: its step must use t = 3 and
     * land on PyTorch's third step. */
    param p = new_param();
    vn_optimizer *opt = from_string("adam lr=0.01 betas=0.8,0.99 eps=1e-6 weight_decay=0.1", p);
    run_steps(opt, p, opt_g, 0, 2, NULL);
    vn_tensor *m = NULL, *v = NULL;
    assert_int_equal(vn_tensor_copy(state_named(opt, "exp_avg"), &m), VN_OK);
    assert_int_equal(vn_tensor_copy(state_named(opt, "exp_avg_sq"), &v), VN_OK);
    vn_optimizer_destroy(opt);

    opt = from_string("adam lr=0.01 betas=0.8,0.99 eps=1e-6 weight_decay=0.1", p);
    assert_int_equal(vn_optimizer_set_state(opt, "w", "exp_avg", m), VN_OK);
    assert_int_equal(vn_optimizer_set_state(opt, "w", "exp_avg_sq", v), VN_OK);
    assert_int_equal(vn_optimizer_set_step_count(opt, 2), VN_OK);
    run_steps(opt, p, opt_g, 2, 3, adam_p);
    assert_true(*data_of(state_named(opt, "step")) == 3.0f);
    assert_int_equal(vn_optimizer_set_step_count(opt, -1), VN_ERR_INVALID_ARG);
    vn_optimizer_destroy(opt);
    vn_tensor_destroy(m);
    vn_tensor_destroy(v);
    free_param(p);
}

static void test_parameter_without_gradient_is_skipped(void **state)
{
    (void)state;
    param p = new_param();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("adam lr=0.1", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "w", p.value, NULL), VN_OK);
    assert_int_equal(vn_optimizer_step(opt), VN_OK);
    assert_memory_equal(data_of(p.value), opt_p0, sizeof opt_p0);
    assert_int_equal(vn_optimizer_state_count(opt), 0);
    assert_int_equal(vn_optimizer_get_step_count(opt), 1);
    vn_optimizer_destroy(opt);
    free_param(p);
}

static void test_zero_grad_zeroes_every_known_gradient(void **state)
{
    (void)state;
    param p = new_param(), q = new_param();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "p", p.value, p.grad), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "q", q.value, q.grad), VN_OK);
    memcpy(vn_tensor_data(p.grad), opt_g, NP * sizeof(float));
    memcpy(vn_tensor_data(q.grad), opt_g + NP, NP * sizeof(float));
    assert_int_equal(vn_optimizer_zero_grad(opt), VN_OK);
    for (int i = 0; i < NP; i++) {
        assert_true(data_of(p.grad)[i] == 0.0f);
        assert_true(data_of(q.grad)[i] == 0.0f);
    }
    vn_optimizer_destroy(opt);
    free_param(p);
    free_param(q);
}

static void test_add_param_refuses_duplicates_and_bad_tensors(void **state)
{
    (void)state;
    param p = new_param(), q = new_param();
    int64_t four = 4;
    vn_tensor *g4 = f32_tensor(NULL, 1, &four);
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "p", p.value, p.grad), VN_OK);
    assert_int_equal(vn_optimizer_add_param(opt, "p", q.value, q.grad), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'p' is already there"));
    assert_int_equal(vn_optimizer_add_param(opt, "r", p.value, p.grad), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "already added as 'p'"));
    assert_int_equal(vn_optimizer_add_param(opt, "q", q.value, g4), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "f32 [5] but its gradient is f32 [4]"));
    assert_int_equal(vn_optimizer_param_count(opt), 1);
    vn_optimizer_destroy(opt);
    vn_optimizer_destroy(NULL);
    vn_tensor_destroy(g4);
    free_param(p);
    free_param(q);
}

/* ---- optimizers on a model ------------------------------------------------ */

/* conv1 (2x1x3x3 + 2) - bn1 (2 + 2, buffers running_mean / running_var) -
 * flatten - fc (3x32 + 3), input 1x4x4. */
static vn_model *small_model(void)
{
    const int64_t in[3] = {1, 4, 4};
    vn_model *m = NULL;
    assert_int_equal(vn_model_create(in, 3, &m), VN_OK);
    assert_int_equal(vn_model_add(m, "conv2d", "name=conv1 out=2 k=3 pad=1"), VN_OK);
    assert_int_equal(vn_model_add(m, "batch_norm2d", "name=bn1"), VN_OK);
    assert_int_equal(vn_model_add(m, "flatten", "name=flat"), VN_OK);
    assert_int_equal(vn_model_add(m, "dense", "name=fc out=3"), VN_OK);
    return m;
}

static vn_tensor *model_value(vn_model *m, const char *name)
{
    vn_tensor *v = NULL;
    int i = vn_model_param_find(m, name);
    assert_true(i >= 0);
    assert_int_equal(vn_model_param(m, i, NULL, &v, NULL, NULL), VN_OK);
    return v;
}

/* Every gradient of the model set to `value`. */
static void fill_model_grads(vn_model *m, float value)
{
    for (int i = 0; i < vn_model_param_count(m); i++) {
        vn_tensor *g = NULL;
        assert_int_equal(vn_model_param(m, i, NULL, NULL, &g, NULL), VN_OK);
        for (size_t k = 0; g && k < vn_tensor_numel(g); k++)
            data_of(g)[k] = value;
    }
}

/* value == before - delta element by element (delta written down by the test). */
static void assert_moved_by(vn_tensor *value, const vn_tensor *before, float delta,
                            const char *what)
{
    const float *b = vn_tensor_data_const(before);
    for (size_t k = 0; k < vn_tensor_numel(value); k++) {
        float want = b[k] - delta;
        if (!(fabsf(data_of(value)[k] - want) <= 1e-6f + 1e-6f * fabsf(want)))
            fail_msg("%s[%zu]: got %.9g, expected %.9g", what, k, (double)data_of(value)[k],
                     (double)want);
    }
}

static void test_add_model_adds_every_parameter_but_the_buffers(void **state)
{
    (void)state;
    vn_model *m = small_model();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.1", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    static const char *names[] = {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                                  "fc.weight", "fc.bias"};
    assert_int_equal(vn_optimizer_param_count(opt), 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(vn_optimizer_param_name(opt, i), names[i]);
    /* The same model twice: every name is already there. */
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_optimizer_param_count(opt), 6);
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
}

static void test_frozen_model_parameters_are_untouched(void **state)
{
    (void)state;
    vn_model *m = small_model();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.1 momentum=0.9", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    /* Frozen after the optimizer was made: the flag is re-read at the step. */
    assert_int_equal(vn_model_set_trainable(m, "conv1", 0), VN_OK);
    vn_tensor *w0 = NULL, *fc0 = NULL, *rm0 = NULL;
    assert_int_equal(vn_tensor_copy(model_value(m, "conv1.weight"), &w0), VN_OK);
    assert_int_equal(vn_tensor_copy(model_value(m, "fc.weight"), &fc0), VN_OK);
    assert_int_equal(vn_tensor_copy(model_value(m, "bn1.running_mean"), &rm0), VN_OK);
    fill_model_grads(m, 1.0f);
    assert_int_equal(vn_optimizer_step(opt), VN_OK);
    assert_memory_equal(vn_tensor_data(model_value(m, "conv1.weight")), vn_tensor_data(w0),
                        vn_tensor_nbytes(w0));
    assert_memory_equal(vn_tensor_data(model_value(m, "bn1.running_mean")),
                        vn_tensor_data(rm0), vn_tensor_nbytes(rm0));
    /* First SGD step with momentum: buf = g = 1, p -= 0.1 * 1. */
    assert_moved_by(model_value(m, "fc.weight"), fc0, 0.1f, "fc.weight");
    /* Buffers for bn1.weight, bn1.bias, fc.weight, fc.bias; none for conv1. */
    assert_int_equal(vn_optimizer_state_count(opt), 4);
    for (int i = 0; i < 4; i++) {
        const char *pn = NULL;
        assert_int_equal(vn_optimizer_state(opt, i, &pn, NULL, NULL), VN_OK);
        assert_null(strstr(pn, "conv1"));
    }
    vn_tensor_destroy(w0);
    vn_tensor_destroy(fc0);
    vn_tensor_destroy(rm0);
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
}

static void test_unfreezing_takes_effect_at_the_next_step(void **state)
{
    (void)state;
    vn_model *m = small_model();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("adam lr=0.01", &opt), VN_OK);
    assert_int_equal(vn_model_set_trainable(m, "conv1", 0), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    fill_model_grads(m, 1.0f);
    assert_int_equal(vn_optimizer_step(opt), VN_OK);
    assert_int_equal(vn_optimizer_step(opt), VN_OK);
    assert_int_equal(vn_model_set_trainable(m, "conv1", 1), VN_OK);
    vn_tensor *w0 = NULL;
    assert_int_equal(vn_tensor_copy(model_value(m, "conv1.weight"), &w0), VN_OK);
    fill_model_grads(m, 1.0f);
    assert_int_equal(vn_optimizer_step(opt), VN_OK);
    /* conv1's own first Adam step (t = 1, not 3): with a constant gradient
     * m/(1-b1) = 1 and sqrt(v/(1-b2)) = 1, so p -= 0.01 * 1/(1 + 1e-8). */
    assert_moved_by(model_value(m, "conv1.weight"), w0, 0.01f, "conv1.weight");
    const char *pn = NULL, *sn = NULL;
    vn_tensor *t = NULL;
    assert_int_equal(vn_optimizer_state(opt, 0, &pn, &sn, &t), VN_OK);
    assert_string_equal(pn, "conv1.weight");
    assert_string_equal(sn, "step");
    assert_true(*data_of(t) == 1.0f);
    assert_int_equal(vn_optimizer_get_step_count(opt), 3);
    vn_tensor_destroy(w0);
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
}

static void test_node_lr_mult_multiplies_the_glob_rule(void **state)
{
    (void)state;
    vn_model *m = small_model();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.01", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    assert_int_equal(vn_model_set_lr_mult(m, "fc", 10.0f), VN_OK);
    assert_int_equal(vn_optimizer_set_lr_mult(opt, "*.bias", 0.5), VN_OK);
    vn_tensor *fw = NULL, *fb = NULL, *cw = NULL, *cb = NULL;
    assert_int_equal(vn_tensor_copy(model_value(m, "fc.weight"), &fw), VN_OK);
    assert_int_equal(vn_tensor_copy(model_value(m, "fc.bias"), &fb), VN_OK);
    assert_int_equal(vn_tensor_copy(model_value(m, "conv1.weight"), &cw), VN_OK);
    assert_int_equal(vn_tensor_copy(model_value(m, "conv1.bias"), &cb), VN_OK);
    fill_model_grads(m, 1.0f);
    assert_int_equal(vn_optimizer_step(opt), VN_OK);
    assert_moved_by(model_value(m, "fc.weight"), fw, 0.1f, "fc.weight");      /* 0.01 * 10 */
    assert_moved_by(model_value(m, "fc.bias"), fb, 0.05f, "fc.bias");         /* 0.01 * 10 * 0.5 */
    assert_moved_by(model_value(m, "conv1.weight"), cw, 0.01f, "conv1.weight");
    assert_moved_by(model_value(m, "conv1.bias"), cb, 0.005f, "conv1.bias");  /* 0.01 * 0.5 */
    vn_tensor_destroy(fw);
    vn_tensor_destroy(fb);
    vn_tensor_destroy(cw);
    vn_tensor_destroy(cb);
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
}

static void test_zero_grad_reaches_the_model_gradients(void **state)
{
    (void)state;
    vn_model *m = small_model();
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    fill_model_grads(m, 3.0f);
    assert_int_equal(vn_optimizer_zero_grad(opt), VN_OK);
    for (int i = 0; i < vn_model_param_count(m); i++) {
        vn_tensor *g = NULL;
        assert_int_equal(vn_model_param(m, i, NULL, NULL, &g, NULL), VN_OK);
        for (size_t k = 0; g && k < vn_tensor_numel(g); k++)
            assert_true(data_of(g)[k] == 0.0f);
    }
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
}

static void test_training_loop_lowers_the_loss(void **state)
{
    (void)state;
    /* 8 random 1x4x4 samples with random labels 0..2: a model that can
     * memorise them must drive the loss down with Adam under a warm-up +
     * cosine schedule. */
    vn_model *m = small_model();
    assert_int_equal(vn_model_set_seed(m, 5), VN_OK);
    vn_rng *rng = NULL;
    assert_int_equal(vn_rng_create(11, 0, &rng), VN_OK);
    int64_t xs[4] = {8, 1, 4, 4}, n = 8;
    vn_tensor *x = f32_tensor(NULL, 4, xs), *y = NULL, *dlogits = f32_2d(NULL, 8, 3);
    assert_int_equal(vn_tensor_create(VN_I32, 1, &n, &y), VN_OK);
    for (size_t i = 0; i < vn_tensor_numel(x); i++)
        data_of(x)[i] = vn_rng_normal(rng);
    for (int i = 0; i < 8; i++)
        ((int32_t *)vn_tensor_data(y))[i] = (int32_t)vn_rng_below(rng, 3);
    vn_optimizer *opt = NULL;
    vn_schedule *sched = NULL;
    assert_int_equal(vn_optimizer_create("adam lr=0.05", &opt), VN_OK);
    assert_int_equal(vn_optimizer_add_model(opt, m), VN_OK);
    assert_int_equal(vn_schedule_create("cosine t_max=40 warmup=5", &sched), VN_OK);
    float first = 0, last = 0;
    for (int step = 0; step < 45; step++) {
        double lr = 0;
        assert_int_equal(vn_schedule_lr(sched, 0.05, vn_optimizer_get_step_count(opt), &lr), VN_OK);
        assert_int_equal(vn_optimizer_set_lr(opt, lr), VN_OK);
        const vn_tensor *logits = NULL;
        assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &logits), VN_OK);
        float loss = 0;
        assert_int_equal(vn_loss_cross_entropy(logits, y, 0.0f, &loss, dlogits), VN_OK);
        assert_int_equal(vn_optimizer_zero_grad(opt), VN_OK);
        assert_int_equal(vn_model_backward(m, dlogits, NULL), VN_OK);
        assert_int_equal(vn_optimizer_step(opt), VN_OK);
        if (step == 0)
            first = loss;
        last = loss;
    }
    if (!(last < 0.25f * first))
        fail_msg("loss went from %g to %g", (double)first, (double)last);
    vn_schedule_destroy(sched);
    vn_optimizer_destroy(opt);
    vn_rng_destroy(rng);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn_tensor_destroy(dlogits);
    vn_model_destroy(m);
}

/* ---- schedules ------------------------------------------------------------- */

static void check_schedule(const vn_schedule *s, const float *ref, const char *what)
{
    float got[16];
    for (int i = 0; i < 16; i++) {
        double lr = -1;
        assert_int_equal(vn_schedule_lr(s, 0.1, i, &lr), VN_OK);
        got[i] = (float)lr;
    }
    assert_close(got, ref, 16, 1e-6, 1e-9, what);
}

static void test_schedule_step_matches_pytorch(void **state)
{
    (void)state;
    vn_schedule *s = NULL;
    assert_int_equal(vn_schedule_create_step(3, 0.5, &s), VN_OK);
    assert_int_equal(vn_schedule_get_kind(s), VN_SCHEDULE_STEP);
    check_schedule(s, sched_step_3_05, "step");
    vn_schedule_destroy(s);
}

static void test_schedule_multistep_matches_pytorch(void **state)
{
    (void)state;
    vn_schedule *s = NULL;
    assert_int_equal(vn_schedule_create("multistep milestones=2,5 gamma=0.1", &s), VN_OK);
    check_schedule(s, sched_multistep_2_5_01, "multistep");
    vn_schedule_destroy(s);
    const int64_t ms[2] = {2, 5};
    assert_int_equal(vn_schedule_create_multistep(ms, 2, 0.1, &s), VN_OK);
    check_schedule(s, sched_multistep_2_5_01, "multistep typed");
    vn_schedule_destroy(s);
}

static void test_schedule_cosine_matches_pytorch_past_t_max(void **state)
{
    (void)state;
    vn_schedule *s = NULL;
    assert_int_equal(vn_schedule_create("cosine t_max=10 eta_min=0.001", &s), VN_OK);
    check_schedule(s, sched_cosine_10_0001, "cosine");
    vn_schedule_destroy(s);
}

static void test_schedule_warmup_then_cosine_matches_pytorch(void **state)
{
    (void)state;
    vn_schedule *s = NULL;
    assert_int_equal(vn_schedule_create("cosine t_max=8 eta_min=0 warmup=4 warmup_start=0.1", &s),
                     VN_OK);
    check_schedule(s, sched_warm4_01_cosine_8, "warm-up + cosine");
    vn_schedule_destroy(s);
}

static void test_schedule_warmup_then_step_matches_pytorch(void **state)
{
    (void)state;
    vn_schedule *s = NULL;
    assert_int_equal(vn_schedule_create_step(4, 0.5, &s), VN_OK);
    assert_int_equal(vn_schedule_set_warmup(s, 3, 0.25), VN_OK);
    check_schedule(s, sched_warm3_025_step_4_05, "warm-up + step");
    vn_schedule_destroy(s);
}

static void test_schedule_constant_warmup_defaults_to_linear_lr(void **state)
{
    (void)state;
    vn_schedule *s = NULL;
    assert_int_equal(vn_schedule_create("constant warmup=5", &s), VN_OK);
    check_schedule(s, sched_linear_5_default, "LinearLR");
    vn_schedule_destroy(s);
}

static void test_schedule_config_errors_name_the_word(void **state)
{
    (void)state;
    static const struct { const char *config, *message; } cases[] = {
        {"", "no kind"},
        {"cosinus t_max=3", "unknown kind 'cosinus'"},
        {"cosine", "t_max= is required"},
        {"step gamma=0.5", "step_size= is required"},
        {"multistep gamma=0.5", "milestones= is required"},
        {"cosine t_max=0", "t_max=0 is out of range"},
        {"cosine t_max=ten", "t_max='ten' is not an integer"},
        {"cosine t_max=10 gamma=0.1", "unknown key 'gamma' (expected t_max, eta_min, warmup, warmup_start)"},
        {"step step_size=2 warmup=-1", "warmup=-1 is out of range"},
        {"step step_size=2 warmup=3 warmup_start=0", "warmup_start=0 must be in (0, 1]"},
        {"multistep milestones=5,2", "milestone 2 must be >= 1 and above the one before"},
        {"multistep milestones=2,,5", "milestones='' is not an integer"},
        {"step step_size=2 gamma=-1", "gamma=-1"},
        {"constant 5", "'5' is not key=value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vn_schedule *s = (vn_schedule *)(uintptr_t)1;
        vn_status st = vn_schedule_create(cases[i].config, &s);
        if (st != VN_ERR_INVALID_ARG || !strstr(vn_last_error(), cases[i].message))
            fail_msg("'%s': status %d, message '%s', expected '%s'", cases[i].config, st,
                     vn_last_error(), cases[i].message);
        assert_true(s == (vn_schedule *)(uintptr_t)1);
    }
}

static void test_schedule_refuses_negative_step(void **state)
{
    (void)state;
    vn_schedule *s = NULL;
    double lr = 5.0;
    assert_int_equal(vn_schedule_create_constant(&s), VN_OK);
    assert_int_equal(vn_schedule_lr(s, 0.1, -1, &lr), VN_ERR_INVALID_ARG);
    assert_true(lr == 5.0);
    assert_int_equal(vn_schedule_lr(s, 0.1, 1000000000000LL, &lr), VN_OK);
    assert_true(lr == 0.1);
    vn_schedule_destroy(s);
    vn_schedule_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_entropy_labels_match_pytorch),
        cmocka_unit_test(test_cross_entropy_label_smoothing_matches_pytorch),
        cmocka_unit_test(test_cross_entropy_soft_targets_match_pytorch),
        cmocka_unit_test(test_cross_entropy_unnormalised_soft_targets_are_used_as_given),
        cmocka_unit_test(test_cross_entropy_one_hot_soft_targets_equal_labels),
        cmocka_unit_test(test_cross_entropy_extreme_logits_stay_finite),
        cmocka_unit_test(test_cross_entropy_without_gradient_gives_the_same_loss),
        cmocka_unit_test(test_cross_entropy_label_gradient_matches_finite_differences),
        cmocka_unit_test(test_cross_entropy_soft_gradient_matches_finite_differences),
        cmocka_unit_test(test_cross_entropy_refuses_label_out_of_range),
        cmocka_unit_test(test_cross_entropy_refuses_mismatched_shapes),
        cmocka_unit_test(test_mse_matches_pytorch),
        cmocka_unit_test(test_mse_gradient_matches_finite_differences),
        cmocka_unit_test(test_mse_refuses_mismatched_shapes),
        cmocka_unit_test(test_bce_with_logits_matches_pytorch_at_extreme_logits),
        cmocka_unit_test(test_bce_gradient_matches_finite_differences),
        cmocka_unit_test(test_losses_refuse_empty_and_non_f32_inputs),
        cmocka_unit_test(test_loss_gradient_must_not_alias_an_input),
        cmocka_unit_test(test_sgd_plain_matches_pytorch),
        cmocka_unit_test(test_sgd_momentum_dampening_weight_decay_match_pytorch),
        cmocka_unit_test(test_sgd_nesterov_matches_pytorch),
        cmocka_unit_test(test_sgd_from_string_matches_pytorch),
        cmocka_unit_test(test_adam_with_weight_decay_matches_pytorch),
        cmocka_unit_test(test_adam_from_string_with_betas_matches_pytorch),
        cmocka_unit_test(test_adam_tiny_gradients_add_eps_after_bias_correction),
        cmocka_unit_test(test_adamw_matches_pytorch),
        cmocka_unit_test(test_optimizer_config_errors_name_the_word),
        cmocka_unit_test(test_optimizer_to_string_recreates_the_optimizer),
        cmocka_unit_test(test_options_struct_size_is_checked),
        cmocka_unit_test(test_lr_mult_glob_matches_pytorch_param_groups),
        cmocka_unit_test(test_lr_mult_last_matching_rule_wins),
        cmocka_unit_test(test_glob_matches_star_and_question_mark),
        cmocka_unit_test(test_set_lr_changes_the_update),
        cmocka_unit_test(test_resume_from_exported_state_is_bit_exact),
        cmocka_unit_test(test_state_is_created_lazily_with_pytorch_names),
        cmocka_unit_test(test_set_state_refuses_unknown_names_and_wrong_shapes),
        cmocka_unit_test(test_set_step_count_sets_adam_bias_correction),
        cmocka_unit_test(test_parameter_without_gradient_is_skipped),
        cmocka_unit_test(test_zero_grad_zeroes_every_known_gradient),
        cmocka_unit_test(test_add_param_refuses_duplicates_and_bad_tensors),
        cmocka_unit_test(test_add_model_adds_every_parameter_but_the_buffers),
        cmocka_unit_test(test_frozen_model_parameters_are_untouched),
        cmocka_unit_test(test_unfreezing_takes_effect_at_the_next_step),
        cmocka_unit_test(test_node_lr_mult_multiplies_the_glob_rule),
        cmocka_unit_test(test_zero_grad_reaches_the_model_gradients),
        cmocka_unit_test(test_training_loop_lowers_the_loss),
        cmocka_unit_test(test_schedule_step_matches_pytorch),
        cmocka_unit_test(test_schedule_multistep_matches_pytorch),
        cmocka_unit_test(test_schedule_cosine_matches_pytorch_past_t_max),
        cmocka_unit_test(test_schedule_warmup_then_cosine_matches_pytorch),
        cmocka_unit_test(test_schedule_warmup_then_step_matches_pytorch),
        cmocka_unit_test(test_schedule_constant_warmup_defaults_to_linear_lr),
        cmocka_unit_test(test_schedule_config_errors_name_the_word),
        cmocka_unit_test(test_schedule_refuses_negative_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
