/* test_fit.c - vn_fit(), vn_evaluate() and the metrics.
 *
 * Training is checked on tiny synthetic problems built here (a few hundred
 * 4x4 or 16x16 images), so the suite runs in seconds. The metrics figures
 * are worked out by hand at the test (the loss by torch.nn.functional.
 * cross_entropy in float64: 0.9792606144832406). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <visionnet.h>
#include "kernels/kernels.h"

/* ---- helpers ----------------------------------------------------------- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* n images 1 x size x size: class 0 bright on the left half, class 1 on
 * the right half (k = 2), or with k = 4 also top / bottom halves; noise on
 * every pixel. */
static vn_dataset *halves_dataset(int n, int size, int k, uint32_t seed)
{
    int64_t ishape[4] = {n, size, size, 1}, lshape[1] = {n};
    vn_tensor *img = NULL, *lab = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 4, ishape, &img), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, lshape, &lab), VN_OK);
    uint8_t *p = vn_tensor_data(img);
    int32_t *y = vn_tensor_data(lab);
    for (int i = 0; i < n; i++) {
        int c = i % k;
        y[i] = c;
        for (int r = 0; r < size; r++)
            for (int col = 0; col < size; col++) {
                bool lit = c == 0 ? col < size / 2 : c == 1 ? col >= size / 2
                         : c == 2 ? r < size / 2 : r >= size / 2;
                int v = (lit ? 170 : 60) + (int)(lcg(&seed) % 60) - 30;
                p[((size_t)i * size + r) * size + col] = (uint8_t)v;
            }
    }
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_from_tensors(img, lab, k, &ds), VN_OK);
    vn_tensor_destroy(img);
    vn_tensor_destroy(lab);
    return ds;
}

static vn_model *linear_model(int size, int k)
{
    char spec[128];
    snprintf(spec, sizeof spec, "input shape=1,%d,%d seed=3\nflatten name=f\ndense name=fc out=%d\n",
             size, size, k);
    vn_model *m = NULL;
    assert_int_equal(vn_model_from_spec(spec, &m), VN_OK);
    return m;
}

/* A small CNN whose GEMMs are big enough to be split over threads. */
static vn_model *small_cnn(void)
{
    static const char *spec = "input shape=1,16,16 seed=11\n"
                              "conv2d name=c1 out=8 k=3 pad=1\n"
                              "relu name=r1\n"
                              "max_pool2d name=p1 k=2\n"
                              "conv2d name=c2 out=16 k=3 pad=1\n"
                              "relu name=r2\n"
                              "max_pool2d name=p2 k=2\n"
                              "flatten name=f\n"
                              "dense name=fc1 out=32\n"
                              "relu name=r3\n"
                              "dense name=fc2 out=4\n";
    vn_model *m = NULL;
    assert_int_equal(vn_model_from_spec(spec, &m), VN_OK);
    return m;
}

static float param0(vn_model *m, const char *name)
{
    vn_tensor *v = NULL;
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, name), NULL, &v, NULL, NULL), VN_OK);
    return ((const float *)vn_tensor_data_const(v))[0];
}

static void make_tmp(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/vn_fit_XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rm_rf(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* ---- training ------------------------------------------------------------ */

static void test_fit_loss_goes_down_on_a_separable_problem(void **state)
{
    (void)state;
    vn_dataset *ds = halves_dataset(128, 4, 2, 1);
    vn_model *m = linear_model(4, 2);
    vn_fit_result *r = NULL;
    assert_int_equal(vn_fit_result_create(&r), VN_OK);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 5;
    o.batch_size = 16;
    o.optimizer_config = "sgd lr=0.1 momentum=0.9";
    assert_int_equal(vn_fit(m, ds, &o, r), VN_OK);
    assert_int_equal(vn_fit_result_epochs(r), 5);
    vn_epoch_stats first = {.size = sizeof first}, last = {.size = sizeof last};
    assert_int_equal(vn_fit_result_epoch(r, 0, &first), VN_OK);
    assert_int_equal(vn_fit_result_epoch(r, 4, &last), VN_OK);
    assert_int_equal(first.epoch, 1);
    assert_int_equal(last.epoch, 5);
    assert_true(last.train_loss < 0.5 * first.train_loss);
    assert_true(last.train_accuracy > 0.95);
    assert_true(isnan(last.val_loss));
    assert_true(last.images_per_s > 0);
    vn_metrics *mt = NULL;
    assert_int_equal(vn_evaluate(m, ds, NULL, &mt), VN_OK);
    assert_true(vn_metrics_accuracy(mt) > 0.95);
    vn_metrics_destroy(mt);
    vn_fit_result_destroy(r);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
}

typedef struct counter {
    int abort_calls, abort_at, batches, epochs;
} counter;

static int abort_on_call(void *user)
{
    counter *c = user;
    return ++c->abort_calls >= c->abort_at;
}

static void count_progress(const vn_fit_progress *p, void *user)
{
    counter *c = user;
    if (p->event == VN_FIT_BATCH)
        c->batches++;
    else if (p->event == VN_FIT_EPOCH)
        c->epochs++;
}

static void test_abort_callback_stops_with_aborted_after_whole_steps(void **state)
{
    (void)state;
    vn_dataset *ds = halves_dataset(64, 4, 2, 2);
    vn_model *m = linear_model(4, 2);
    const float w0 = param0(m, "fc.weight");
    counter c = {.abort_at = 3};
    vn_fit_result *r = NULL;
    assert_int_equal(vn_fit_result_create(&r), VN_OK);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 3;
    o.batch_size = 8;
    o.abort = abort_on_call;
    o.progress = count_progress;
    o.user_data = &c;
    assert_int_equal(vn_fit(m, ds, &o, r), VN_ERR_ABORTED);
    assert_int_equal(c.batches, 2); /* asked before steps 1, 2, 3: stopped before step 3 */
    assert_int_equal(c.epochs, 0);
    assert_int_equal(vn_fit_result_epochs(r), 0);
    const float w = param0(m, "fc.weight");
    assert_true(isfinite(w) && w != w0);
    /* the model is usable afterwards */
    vn_metrics *mt = NULL;
    assert_int_equal(vn_evaluate(m, ds, NULL, &mt), VN_OK);
    vn_metrics_destroy(mt);
    vn_fit_result_destroy(r);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
}

static void test_early_stopping_ends_the_run_after_patience_epochs(void **state)
{
    (void)state;
    vn_dataset *ds = halves_dataset(64, 4, 2, 3), *tr = NULL, *va = NULL;
    assert_int_equal(vn_dataset_split(ds, 0.25, 9, &tr, &va), VN_OK);
    vn_model *m = linear_model(4, 2);
    vn_fit_result *r = NULL;
    assert_int_equal(vn_fit_result_create(&r), VN_OK);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 10;
    o.batch_size = 8;
    o.optimizer_config = "sgd lr=0"; /* nothing changes: no epoch improves on the first */
    o.validation = va;
    o.monitor = VN_MONITOR_VAL_LOSS;
    o.patience = 2;
    assert_int_equal(vn_fit(m, tr, &o, r), VN_OK);
    assert_int_equal(vn_fit_result_epochs(r), 3);
    assert_int_equal(vn_fit_result_stopped_early(r), 1);
    assert_int_equal(vn_fit_result_best_epoch(r), 1);
    vn_epoch_stats e = {.size = sizeof e};
    assert_int_equal(vn_fit_result_epoch(r, 2, &e), VN_OK);
    assert_true(e.val_accuracy >= 0.0 && e.val_accuracy <= 1.0);
    assert_true(e.val_loss > 0.0);
    vn_fit_result_destroy(r);
    vn_model_destroy(m);
    vn_dataset_destroy(tr);
    vn_dataset_destroy(va);
    vn_dataset_destroy(ds);
}

typedef struct ckpt_check {
    const char *path;
    vn_model *live;
    int checked;
} ckpt_check;

/* At the end of every epoch the checkpoint holds this epoch's parameters
 * and the optimizer. */
static void check_checkpoint(const vn_fit_progress *p, void *user)
{
    ckpt_check *c = user;
    if (p->event != VN_FIT_EPOCH)
        return;
    vn_model *saved = NULL;
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_model_load(c->path, &saved, &opt), VN_OK);
    assert_non_null(opt);
    assert_true(param0(saved, "fc.weight") == param0(c->live, "fc.weight"));
    assert_true(param0(saved, "fc.bias") == param0(c->live, "fc.bias"));
    assert_int_equal(vn_optimizer_get_step_count(opt), 4 * p->epoch);
    vn_optimizer_destroy(opt);
    vn_model_destroy(saved);
    c->checked++;
}

static void test_checkpoint_is_written_after_every_epoch(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_tmp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/ckpt.vnm", dir);
    vn_dataset *ds = halves_dataset(32, 4, 2, 4);
    vn_model *m = linear_model(4, 2);
    ckpt_check c = {.path = path, .live = m};
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 3;
    o.batch_size = 8;
    o.checkpoint_path = path;
    o.progress = check_checkpoint;
    o.user_data = &c;
    assert_int_equal(vn_fit(m, ds, &o, NULL), VN_OK);
    assert_int_equal(c.checked, 3);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_best_model_file_follows_the_monitored_value(void **state)
{
    (void)state;
    char dir[64], path[128];
    make_tmp(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/best.vnm", dir);
    vn_dataset *ds = halves_dataset(64, 4, 2, 5);
    vn_model *m = linear_model(4, 2);
    vn_fit_result *r = NULL;
    assert_int_equal(vn_fit_result_create(&r), VN_OK);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 2;
    o.batch_size = 8;
    o.optimizer_config = "sgd lr=0.05";
    o.best_path = path;
    assert_int_equal(vn_fit(m, ds, &o, r), VN_OK);
    assert_int_equal(vn_fit_result_best_epoch(r), 2); /* the training loss fell */
    vn_model *best = NULL;
    assert_int_equal(vn_model_load(path, &best, NULL), VN_OK);
    assert_true(param0(best, "fc.weight") == param0(m, "fc.weight"));
    vn_model_destroy(best);
    vn_fit_result_destroy(r);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

/* Train small_cnn two epochs on 96 images; with `augment` a pipeline spec,
 * through vn_dataset_set_augment. */
static void train_cnn_with(int threads, const char *augment, vn_model **out)
{
    vn_dataset *ds = halves_dataset(96, 16, 4, 6);
    vn_augment *aug = NULL;
    if (augment) {
        assert_int_equal(vn_augment_from_spec(augment, &aug), VN_OK);
        assert_int_equal(vn_dataset_set_augment(ds, aug), VN_OK);
    }
    vn_model *m = small_cnn();
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 2;
    o.batch_size = 32;
    o.seed = 5;
    o.threads = threads;
    o.optimizer_config = "sgd lr=0.05 momentum=0.9";
    assert_int_equal(vn_fit(m, ds, &o, NULL), VN_OK);
    vn_dataset_destroy(ds);
    vn_augment_destroy(aug);
    *out = m;
}

static void train_cnn(int threads, vn_model **out)
{
    train_cnn_with(threads, NULL, out);
}

/* Number of parameters whose bytes differ between the two models. */
static int params_differing(vn_model *one, vn_model *two, const char **first)
{
    int n = vn_model_param_count(one), differ = 0;
    assert_int_equal(n, vn_model_param_count(two));
    for (int i = 0; i < n; i++) {
        const char *name = NULL;
        vn_tensor *a = NULL, *b = NULL;
        assert_int_equal(vn_model_param(one, i, &name, &a, NULL, NULL), VN_OK);
        assert_int_equal(vn_model_param(two, i, NULL, &b, NULL, NULL), VN_OK);
        if (memcmp(vn_tensor_data_const(a), vn_tensor_data_const(b), vn_tensor_nbytes(a)) != 0) {
            if (!differ && first)
                *first = name;
            differ++;
        }
    }
    return differ;
}

static void test_same_seed_gives_the_same_model_bit_for_bit_on_1_and_2_threads(void **state)
{
    (void)state;
    vn_model *one = NULL, *two = NULL;
    train_cnn(1, &one);
    train_cnn(2, &two);
    assert_true(vn__pool_started_threads() >= 1); /* the 2-thread run did use the pool */
    assert_int_equal(vn_model_param_count(one), 8);
    const char *name = NULL;
    if (params_differing(one, two, &name) != 0)
        fail_msg("parameter %s differs between 1 and 2 threads", name);
    vn_model_destroy(one);
    vn_model_destroy(two);
}

#define AUG_SPEC "hflip p=0.5; random_crop size=16 pad=2; gaussian_noise sigma=0.05"

static void test_augmented_training_is_the_same_on_1_and_2_threads(void **state)
{
    (void)state;
    vn_model *one = NULL, *two = NULL;
    train_cnn_with(1, AUG_SPEC, &one);
    train_cnn_with(2, AUG_SPEC, &two);
    const char *name = NULL;
    if (params_differing(one, two, &name) != 0)
        fail_msg("parameter %s differs between 1 and 2 threads with augmentation", name);
    vn_model_destroy(one);
    vn_model_destroy(two);
}

static void test_dataset_set_augment_changes_what_the_model_sees(void **state)
{
    (void)state;
    vn_model *plain = NULL, *augmented = NULL;
    train_cnn_with(1, NULL, &plain);
    train_cnn_with(1, AUG_SPEC, &augmented);
    /* Every weight is touched by every step, so a pipeline that ran must
     * leave every parameter different. */
    assert_int_equal(params_differing(plain, augmented, NULL), vn_model_param_count(plain));
    vn_model_destroy(plain);
    vn_model_destroy(augmented);
}

static void test_dataset_set_augment_refuses_f32_samples(void **state)
{
    (void)state;
    int64_t ishape[2] = {4, 3}, lshape[1] = {4};
    vn_tensor *x = NULL, *y = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 2, ishape, &x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, lshape, &y), VN_OK);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_from_tensors(x, y, 2, &ds), VN_OK);
    vn_augment *aug = NULL;
    assert_int_equal(vn_augment_from_spec("hflip", &aug), VN_OK);
    assert_int_equal(vn_dataset_set_augment(ds, aug), VN_ERR_UNSUPPORTED);
    assert_int_equal(vn_dataset_set_augment(ds, NULL), VN_OK);
    vn_augment_destroy(aug);
    vn_dataset_destroy(ds);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_per_step_schedule_sets_the_lr_of_every_step(void **state)
{
    (void)state;
    vn_dataset *ds = halves_dataset(32, 4, 2, 7);
    vn_model *m = linear_model(4, 2);
    vn_optimizer *opt = NULL;
    assert_int_equal(vn_optimizer_create("sgd lr=0.1", &opt), VN_OK);
    vn_schedule *sch = NULL;
    assert_int_equal(vn_schedule_create("step step_size=3 gamma=0.5", &sch), VN_OK);
    vn_fit_result *r = NULL;
    assert_int_equal(vn_fit_result_create(&r), VN_OK);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 2;
    o.batch_size = 8; /* 4 steps per epoch, 8 in all: the last at step 7 */
    o.optimizer = opt;
    o.schedule = sch;
    o.schedule_unit = VN_SCHEDULE_PER_STEP;
    assert_int_equal(vn_fit(m, ds, &o, r), VN_OK);
    vn_epoch_stats e = {.size = sizeof e};
    assert_int_equal(vn_fit_result_epoch(r, 0, &e), VN_OK);
    assert_float_equal(e.lr, 0.05, 1e-12);   /* step 3: 0.1 * 0.5^1 */
    assert_int_equal(vn_fit_result_epoch(r, 1, &e), VN_OK);
    assert_float_equal(e.lr, 0.025, 1e-12);  /* step 7: 0.1 * 0.5^2 */
    assert_int_equal(vn_optimizer_param_count(opt), 2); /* fit added the model's parameters */
    assert_int_equal(vn_optimizer_get_step_count(opt), 8);
    vn_fit_result_destroy(r);
    vn_schedule_destroy(sch);
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
}

static void test_fit_gives_the_model_the_datasets_class_names(void **state)
{
    (void)state;
    vn_dataset *ds = halves_dataset(16, 4, 2, 8);
    const char *names[2] = {"left", "right"};
    assert_int_equal(vn_dataset_set_class_names(ds, 2, names), VN_OK);
    vn_model *m = linear_model(4, 2);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    assert_int_equal(vn_fit(m, ds, &o, NULL), VN_OK);
    assert_string_equal(vn_model_class_name(m, 1), "right");
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
}

static void test_fit_refuses_a_model_with_fewer_outputs_than_classes(void **state)
{
    (void)state;
    vn_dataset *ds = halves_dataset(16, 4, 4, 9);
    vn_model *m = linear_model(4, 2);
    assert_int_equal(vn_fit(m, ds, NULL, NULL), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "2 outputs but the data has 4 classes"));
    vn_model *wrong_input = linear_model(5, 4);
    vn_dataset *ds4 = halves_dataset(16, 4, 4, 9);
    /* images of another size are resized, so this one trains */
    assert_int_equal(vn_fit(wrong_input, ds4, NULL, NULL), VN_OK);
    vn_model_destroy(wrong_input);
    vn_dataset_destroy(ds4);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
}

static void test_fit_refuses_bad_options(void **state)
{
    (void)state;
    vn_dataset *ds = halves_dataset(16, 4, 2, 10);
    vn_model *m = linear_model(4, 2);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = 0;
    assert_int_equal(vn_fit(m, ds, &o, NULL), VN_ERR_INVALID_ARG);
    o = (vn_fit_options)VN_FIT_OPTIONS_INIT;
    o.monitor = VN_MONITOR_VAL_ACCURACY; /* without a validation set */
    assert_int_equal(vn_fit(m, ds, &o, NULL), VN_ERR_INVALID_ARG);
    o = (vn_fit_options)VN_FIT_OPTIONS_INIT;
    o.size = 8;
    assert_int_equal(vn_fit(m, ds, &o, NULL), VN_ERR_INVALID_ARG);
    o = (vn_fit_options)VN_FIT_OPTIONS_INIT;
    o.optimizer_config = "sgd lr=banana";
    assert_int_equal(vn_fit(m, ds, &o, NULL), VN_ERR_INVALID_ARG);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
}

/* ---- metrics ----------------------------------------------------------------- */

static void test_evaluate_metrics_match_the_hand_computed_figures(void **state)
{
    (void)state;
    /* logits (the model is the identity on 3 features) and labels:
     *   [2.0 1.0 0.1] 0  right          top-2 right
     *   [0.5 2.5 0.3] 2  predicted 1    2 logits above: not in top-2
     *   [1.0 1.0 3.0] 2  right
     *   [3.0 3.0 0.0] 1  tie: argmax 0  none above: in top-2
     *   [0.2 0.1 0.0] 1  predicted 0    one above: in top-2
     * accuracy 2/5, top-2 4/5, class accuracy 1, 0, 1/2. */
    const float z[15] = {2.0f, 1.0f, 0.1f, 0.5f, 2.5f, 0.3f, 1.0f, 1.0f, 3.0f,
                         3.0f, 3.0f, 0.0f, 0.2f, 0.1f, 0.0f};
    const int32_t y[5] = {0, 2, 2, 1, 1};
    int64_t xs[2] = {5, 3}, ys[1] = {5};
    vn_tensor *x = NULL, *l = NULL;
    assert_int_equal(vn_tensor_wrap(VN_F32, 2, xs, (void *)z, NULL, NULL, &x), VN_OK);
    assert_int_equal(vn_tensor_wrap(VN_I32, 1, ys, (void *)y, NULL, NULL, &l), VN_OK);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_from_tensors(x, l, 3, &ds), VN_OK);
    vn_model *m = NULL;
    assert_int_equal(vn_model_from_spec("input shape=3\ndense name=fc out=3\n", &m), VN_OK);
    vn_tensor *w = NULL, *b = NULL;
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, "fc.weight"), NULL, &w, NULL, NULL), VN_OK);
    assert_int_equal(vn_model_param(m, vn_model_param_find(m, "fc.bias"), NULL, &b, NULL, NULL), VN_OK);
    float *wd = vn_tensor_data(w);
    for (int i = 0; i < 9; i++)
        wd[i] = i % 4 == 0 ? 1.0f : 0.0f;
    vn_tensor_zero(b);

    vn_evaluate_options o = VN_EVALUATE_OPTIONS_INIT;
    o.batch_size = 2; /* batches of 2, 2, 1: the sums do not depend on it */
    o.top_k = 2;
    vn_metrics *mt = NULL;
    assert_int_equal(vn_evaluate(m, ds, &o, &mt), VN_OK);
    assert_int_equal(vn_metrics_count(mt), 5);
    assert_int_equal(vn_metrics_num_classes(mt), 3);
    assert_float_equal(vn_metrics_loss(mt), 0.9792606144832406, 1e-6);
    assert_float_equal(vn_metrics_accuracy(mt), 0.4, 1e-12);
    assert_int_equal(vn_metrics_top_k(mt), 2);
    assert_float_equal(vn_metrics_top_k_accuracy(mt), 0.8, 1e-12);
    assert_float_equal(vn_metrics_class_accuracy(mt, 0), 1.0, 1e-12);
    assert_float_equal(vn_metrics_class_accuracy(mt, 1), 0.0, 1e-12);
    assert_float_equal(vn_metrics_class_accuracy(mt, 2), 0.5, 1e-12);
    assert_true(isnan(vn_metrics_class_accuracy(mt, 3)));
    const int64_t want[9] = {1, 0, 0, 2, 0, 0, 0, 1, 1};
    int64_t cm[9];
    assert_int_equal(vn_metrics_confusion_matrix(mt, cm, 9), VN_OK);
    assert_memory_equal(cm, want, sizeof cm);
    assert_int_equal(vn_metrics_confusion(mt, 1, 0), 2);
    assert_int_equal(vn_metrics_confusion_matrix(mt, cm, 8), VN_ERR_INVALID_ARG);
    vn_metrics_destroy(mt);
    vn_model_destroy(m);
    vn_dataset_destroy(ds);
    vn_tensor_destroy(x);
    vn_tensor_destroy(l);
}

static void test_metrics_update_refuses_out_of_range_labels(void **state)
{
    (void)state;
    vn_metrics *mt = NULL;
    assert_int_equal(vn_metrics_create(2, 1, &mt), VN_OK);
    const float z[2] = {0.0f, 1.0f};
    const int32_t y[1] = {2};
    int64_t zs[2] = {1, 2}, ys[1] = {1};
    vn_tensor *zt = NULL, *yt = NULL;
    assert_int_equal(vn_tensor_wrap(VN_F32, 2, zs, (void *)z, NULL, NULL, &zt), VN_OK);
    assert_int_equal(vn_tensor_wrap(VN_I32, 1, ys, (void *)y, NULL, NULL, &yt), VN_OK);
    assert_int_equal(vn_metrics_update(mt, zt, yt), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_metrics_count(mt), 0);
    assert_true(isnan(vn_metrics_accuracy(mt)));
    vn_tensor_destroy(zt);
    vn_tensor_destroy(yt);
    vn_metrics_destroy(mt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_loss_goes_down_on_a_separable_problem),
        cmocka_unit_test(test_abort_callback_stops_with_aborted_after_whole_steps),
        cmocka_unit_test(test_early_stopping_ends_the_run_after_patience_epochs),
        cmocka_unit_test(test_checkpoint_is_written_after_every_epoch),
        cmocka_unit_test(test_best_model_file_follows_the_monitored_value),
        cmocka_unit_test(test_same_seed_gives_the_same_model_bit_for_bit_on_1_and_2_threads),
        cmocka_unit_test(test_augmented_training_is_the_same_on_1_and_2_threads),
        cmocka_unit_test(test_dataset_set_augment_changes_what_the_model_sees),
        cmocka_unit_test(test_dataset_set_augment_refuses_f32_samples),
        cmocka_unit_test(test_per_step_schedule_sets_the_lr_of_every_step),
        cmocka_unit_test(test_fit_gives_the_model_the_datasets_class_names),
        cmocka_unit_test(test_fit_refuses_a_model_with_fewer_outputs_than_classes),
        cmocka_unit_test(test_fit_refuses_bad_options),
        cmocka_unit_test(test_evaluate_metrics_match_the_hand_computed_figures),
        cmocka_unit_test(test_metrics_update_refuses_out_of_range_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
