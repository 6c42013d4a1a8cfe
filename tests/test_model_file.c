/* test_model_file.c - model files (vn_model_save / vn_model_load, lib/nn/
 * model_file.c), the model's metadata (preprocess, class names,
 * lib/nn/model_meta.c) and the strict JSON reader under them
 * (lib/core/json.c).
 *
 * Round trips are checked bit for bit. Refusals use files crafted here by
 * hand (a header written out as text, data as listed floats), so each test
 * shows the exact bytes it feeds the loader. Atomic saving is checked three
 * ways: an allocator hook failing each allocation of a save in turn, a
 * save whose write fails halfway (RLIMIT_FSIZE), and savers killed with
 * SIGKILL at random moments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <visionnet.h>
#include "core/json.h"

static const char *SMALL_CNN =
    "input shape=1,8,8 seed=5\n"
    "conv2d name=conv1 out=4 k=3 pad=1\n"
    "batch_norm2d name=bn1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "dropout name=drop p=0.25\n"
    "flatten name=flat\n"
    "dense name=fc out=3\n";

static char g_dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/vn_model_file_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    DIR *d = opendir(g_dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_dir);
    return 0;
}

static const char *path_in_dir(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    return p;
}

static vn_model *from_spec(const char *text)
{
    vn_model *m = NULL;
    vn_status s = vn_model_from_spec(text, &m);
    if (s != VN_OK)
        fail_msg("vn_model_from_spec: %s", vn_last_error());
    return m;
}

static void check(vn_status s)
{
    if (s != VN_OK)
        fail_msg("%s: %s", vn_status_str(s), vn_last_error());
}

static vn_tensor *batch_of(const vn_model *m, int64_t n, uint64_t seed)
{
    int64_t shape[VN_MAX_DIMS];
    int ndim = 0;
    check(vn_model_input_shape(m, shape + 1, &ndim));
    shape[0] = n;
    vn_tensor *t = NULL;
    check(vn_tensor_create(VN_F32, ndim + 1, shape, &t));
    vn_rng *rng = NULL;
    check(vn_rng_create(seed, 0, &rng));
    float *p = vn_tensor_data(t);
    for (size_t i = 0; i < vn_tensor_numel(t); i++)
        p[i] = vn_rng_normal(rng);
    vn_rng_destroy(rng);
    return t;
}

/* Forward, cross-entropy, backward and an optimizer step on batch `seed`. */
static void train_steps(vn_model *m, vn_optimizer *o, int steps, uint64_t seed0)
{
    for (int s = 0; s < steps; s++) {
        vn_tensor *x = batch_of(m, 4, seed0 + (uint64_t)s), *y = NULL, *d = NULL;
        const vn_tensor *out = NULL;
        int64_t n4 = 4, shape[2] = {4, 3};
        check(vn_tensor_create(VN_I32, 1, &n4, &y));
        for (int i = 0; i < 4; i++)
            ((int32_t *)vn_tensor_data(y))[i] = (s + i) % 3;
        check(vn_tensor_create(VN_F32, 2, shape, &d));
        float loss;
        check(vn_model_forward(m, x, VN_MODE_TRAINING, &out));
        check(vn_loss_cross_entropy(out, y, 0.0f, &loss, d));
        vn_model_zero_grad(m);
        check(vn_model_backward(m, d, NULL));
        check(vn_optimizer_step(o));
        vn_tensor_destroy(x);
        vn_tensor_destroy(y);
        vn_tensor_destroy(d);
    }
}

/* Every parameter and buffer of a and b are equal bit for bit. */
static void assert_same_params(vn_model *a, vn_model *b)
{
    assert_int_equal(vn_model_param_count(a), vn_model_param_count(b));
    for (int i = 0; i < vn_model_param_count(a); i++) {
        const char *na, *nb;
        vn_tensor *ta, *tb;
        check(vn_model_param(a, i, &na, &ta, NULL, NULL));
        check(vn_model_param(b, i, &nb, &tb, NULL, NULL));
        assert_string_equal(na, nb);
        assert_int_equal(vn_tensor_nbytes(ta), vn_tensor_nbytes(tb));
        if (memcmp(vn_tensor_data(ta), vn_tensor_data(tb), vn_tensor_nbytes(ta)) != 0)
            fail_msg("parameter '%s' differs", na);
    }
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static uint64_t header_length(const uint8_t *b)
{
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)b[i] << (8 * i);
    return n;
}

/* ---- crafted files ----------------------------------------------------------- */

/* A tiny model's spec (JSON-escaped) and its two tensors: fc.weight [2, 4]
 * at bytes [0, 32) and fc.bias [2] at [32, 40). */
#define TINY_SPEC "input shape=1,2,2\\ndense name=fc out=2\\n"
#define META(extra)                                                                              \
    "\"__metadata__\":{\"format\":\"visionnet\",\"format_version\":\"1\",\"crc32\":\"@CRC\","   \
    "\"spec\":\"" TINY_SPEC "\"" extra "}"
#define FC_W "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]}"
#define FC_B "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]}"
#define TINY_HEADER "{" META("") "," FC_W "," FC_B "}"

static const float TINY_DATA[10] = {1, 2, 3, 4, 5, 6, 7, 8, -0.5f, 0.25f};

/* The file: 8-byte length, header (with "@CRC" replaced by the data's
 * CRC-32), data. *n gets the size; free() the result. */
static uint8_t *craft(const char *header, const void *data, size_t data_len, size_t *n)
{
    char crc[9];
    snprintf(crc, sizeof crc, "%08lx", crc32(0L, data, (uInt)data_len));
    size_t hl = strlen(header);
    uint8_t *b = malloc(8 + hl + 4 + data_len); /* + 4: the CRC is longer than "@CRC" */
    char *h = (char *)b + 8;
    memcpy(h, header, hl);
    char *at = memmem(h, hl, "@CRC", 4);
    if (at) { /* "@CRC" is 4 bytes, the CRC 8: shift the rest */
        memmove(at + 8, at + 4, hl - (size_t)(at + 4 - h));
        memcpy(at, crc, 8);
        hl += 4;
    }
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(b + 8 + hl, data, data_len);
    *n = 8 + hl + data_len;
    return b;
}

static uint8_t *craft_tiny(const char *header, size_t *n)
{
    return craft(header, TINY_DATA, sizeof TINY_DATA, n);
}

/* Loading header + data fails with status and a message containing want. */
static void expect_refusal_of(const uint8_t *b, size_t n, vn_status status, const char *want)
{
    vn_model *m = (vn_model *)1;
    vn_status s = vn_model_load_mem(b, n, "x.vnm", &m, NULL);
    if (s != status || !strstr(vn_last_error(), want))
        fail_msg("got %s '%s', expected %s with '%s'", vn_status_str(s), vn_last_error(),
                 vn_status_str(status), want);
    assert_null(m);
}

static void expect_refusal(const char *header, vn_status status, const char *want)
{
    size_t n;
    uint8_t *b = craft_tiny(header, &n);
    expect_refusal_of(b, n, status, want);
    free(b);
}

/* ---- metadata ----------------------------------------------------------------- */

static void test_fresh_model_preprocess_is_scale_1_over_255_mean_0_std_1(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=3,4,4\nflatten name=f\n");
    float scale = 0, mean[3] = {9, 9, 9}, std[3] = {9, 9, 9};
    check(vn_model_get_preprocess(m, &scale, mean, std));
    assert_true(scale == 1.0f / 255.0f);
    for (int c = 0; c < 3; c++) {
        assert_true(mean[c] == 0.0f);
        assert_true(std[c] == 1.0f);
    }
    vn_model_destroy(m);
}

static void test_set_preprocess_keeps_per_channel_values(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=3,4,4\nflatten name=f\n");
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    check(vn_model_set_preprocess(m, 0.5f, mean, std));
    float scale, gm[3], gs[3];
    check(vn_model_get_preprocess(m, &scale, gm, gs));
    assert_true(scale == 0.5f);
    assert_memory_equal(gm, mean, sizeof mean);
    assert_memory_equal(gs, std, sizeof std);
    /* NULL mean / std mean 0 / 1 */
    check(vn_model_set_preprocess(m, 1.0f, NULL, NULL));
    check(vn_model_get_preprocess(m, NULL, gm, gs));
    assert_true(gm[2] == 0.0f && gs[2] == 1.0f);
    vn_model_destroy(m);
}

static void test_set_preprocess_refuses_zero_std_and_bad_scale(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=2,4,4\nflatten name=f\n");
    const float std[2] = {0.5f, 0.0f}, mean[2] = {0, NAN};
    assert_int_equal(vn_model_set_preprocess(m, 1.0f, NULL, std), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "std[1]"));
    assert_int_equal(vn_model_set_preprocess(m, 1.0f, mean, NULL), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_set_preprocess(m, 0.0f, NULL, NULL), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_set_preprocess(m, INFINITY, NULL, NULL), VN_ERR_INVALID_ARG);
    vn_model_destroy(m);
}

static void test_class_names_are_copied_and_must_match_the_outputs(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=4\ndense name=fc out=3\n");
    char a[8] = "cat";
    const char *names[3] = {a, "dog", "bird"};
    assert_null(vn_model_class_name(m, 0));
    assert_int_equal(vn_model_set_class_names(m, 2, names), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "3 outputs"));
    check(vn_model_set_class_names(m, 3, names));
    a[0] = 'b'; /* copied, not borrowed */
    assert_string_equal(vn_model_class_name(m, 0), "cat");
    assert_string_equal(vn_model_class_name(m, 2), "bird");
    assert_null(vn_model_class_name(m, 3));
    assert_null(vn_model_class_name(m, -1));
    assert_int_equal(vn_model_class_count(m), 3);
    check(vn_model_set_class_names(m, 0, NULL));
    assert_null(vn_model_class_name(m, 0));
    assert_int_equal(vn_model_class_count(m), 0);
    vn_model_destroy(m);
}

static void test_class_names_refuse_empty_control_and_invalid_utf8(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=4\ndense name=fc out=2\n");
    const char *empty[2] = {"a", ""}, *ctrl[2] = {"a", "b\nc"}, *bad[2] = {"a", "\xff"},
               *null[2] = {"a", NULL};
    assert_int_equal(vn_model_set_class_names(m, 2, empty), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_set_class_names(m, 2, ctrl), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_set_class_names(m, 2, bad), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_model_set_class_names(m, 2, null), VN_ERR_INVALID_ARG);
    const char *utf8[2] = {"T-shirt/top", "\xc3\xa9t\xc3\xa9"}; /* "été" */
    check(vn_model_set_class_names(m, 2, utf8));
    vn_model_destroy(m);
}

/* ---- round trips ---------------------------------------------------------------- */

static void test_round_trip_keeps_every_parameter_and_buffer_bit_exact(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_optimizer *o = NULL;
    check(vn_optimizer_create("sgd lr=0.1 momentum=0.9", &o));
    check(vn_optimizer_add_model(o, m));
    train_steps(m, o, 3, 100); /* running stats and weights move away from init */
    const char *path = path_in_dir("rt.vnm");
    check(vn_model_save(m, NULL, path));
    vn_model *back = NULL;
    check(vn_model_load(path, &back, NULL));
    assert_same_params(m, back);
    char *s1, *s2;
    check(vn_model_to_spec(m, &s1));
    check(vn_model_to_spec(back, &s2));
    assert_string_equal(s1, s2);
    vn_free(s1);
    vn_free(s2);
    vn_model_destroy(back);
    vn_model_destroy(m);
    vn_optimizer_destroy(o);
}

static void test_loaded_model_gives_the_same_inference_output(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    const char *path = path_in_dir("out.vnm");
    check(vn_model_save(m, NULL, path));
    vn_model *back = NULL;
    check(vn_model_load(path, &back, NULL));
    vn_tensor *x = batch_of(m, 2, 7);
    const vn_tensor *ya, *yb;
    check(vn_model_forward(m, x, VN_MODE_INFERENCE, &ya));
    check(vn_model_forward(back, x, VN_MODE_INFERENCE, &yb));
    assert_memory_equal(vn_tensor_data_const(ya), vn_tensor_data_const(yb), vn_tensor_nbytes(ya));
    vn_tensor_destroy(x);
    vn_model_destroy(back);
    vn_model_destroy(m);
}

static void test_round_trip_keeps_preprocess_and_class_names(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=3,2,2\nflatten name=f\ndense name=fc out=3\n");
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    const char *names[3] = {"T-shirt/top", "quote \" and \\ backslash", "\xc3\xa9t\xc3\xa9"};
    check(vn_model_set_preprocess(m, 1.0f / 255.0f, mean, std));
    check(vn_model_set_class_names(m, 3, names));
    const char *path = path_in_dir("meta.vnm");
    check(vn_model_save(m, NULL, path));
    vn_model *back = NULL;
    check(vn_model_load(path, &back, NULL));
    float scale, gm[3], gs[3];
    check(vn_model_get_preprocess(back, &scale, gm, gs));
    assert_true(scale == 1.0f / 255.0f);
    assert_memory_equal(gm, mean, sizeof mean);
    assert_memory_equal(gs, std, sizeof std);
    for (int i = 0; i < 3; i++)
        assert_string_equal(vn_model_class_name(back, i), names[i]);
    vn_model_destroy(back);
    vn_model_destroy(m);
}

static void test_file_is_safetensors_with_aligned_header_and_packed_data(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=1,2,2\ndense name=fc out=2\n");
    vn_tensor *w, *b;
    check(vn_model_param(m, 0, NULL, &w, NULL, NULL));
    check(vn_model_param(m, 1, NULL, &b, NULL, NULL));
    memcpy(vn_tensor_data(w), TINY_DATA, 32);
    memcpy(vn_tensor_data(b), TINY_DATA + 8, 8);
    const char *path = path_in_dir("layout.vnm");
    check(vn_model_save(m, NULL, path));
    size_t n;
    uint8_t *f = read_all(path, &n);
    uint64_t hl = header_length(f);
    assert_int_equal((8 + hl) % 8, 0);
    assert_int_equal(n, 8 + hl + 40);
    assert_int_equal(f[8], '{');
    /* Data: fc.weight then fc.bias, little-endian f32: 1.0f is 00 00 80 3f. */
    const uint8_t one[4] = {0x00, 0x00, 0x80, 0x3f}, quarter[4] = {0x00, 0x00, 0x80, 0x3e};
    assert_memory_equal(f + 8 + hl, one, 4);
    assert_memory_equal(f + 8 + hl + 36, quarter, 4);
    /* The header: tensors with their shapes and offsets, metadata strings. */
    vn__json *j = NULL;
    check(vn__json_parse((char *)f + 8, hl, 8, &j));
    const vn__json *fw = vn__json_get(j, "fc.weight"), *meta = vn__json_get(j, "__metadata__");
    assert_string_equal(vn__json_get(fw, "dtype")->str, "F32");
    const vn__json *offs = vn__json_get(vn__json_get(j, "fc.bias"), "data_offsets");
    assert_int_equal(offs->child->uint, 32);
    assert_int_equal(offs->child->next->uint, 40);
    assert_string_equal(vn__json_get(meta, "format")->str, "visionnet");
    assert_string_equal(vn__json_get(meta, "format_version")->str, "1");
    assert_string_equal(vn__json_get(meta, "preprocess")->str, "scale=0.003921569 mean=0 std=1");
    char crc[9];
    snprintf(crc, sizeof crc, "%08lx", crc32(0L, f + 8 + hl, 40));
    assert_string_equal(vn__json_get(meta, "crc32")->str, crc);
    /* the padding is spaces after the closing brace */
    const char *h = (const char *)f + 8;
    size_t end = hl;
    while (end > 0 && h[end - 1] == ' ')
        end--;
    assert_int_equal(h[end - 1], '}');
    vn__json_free(j);
    free(f);
    vn_model_destroy(m);
}

static void test_loader_reads_a_file_it_did_not_write(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = craft_tiny(TINY_HEADER, &n);
    vn_model *m = NULL;
    check(vn_model_load_mem(b, n, "tiny", &m, NULL));
    vn_tensor *bias;
    check(vn_model_param(m, vn_model_param_find(m, "fc.bias"), NULL, &bias, NULL, NULL));
    assert_true(((float *)vn_tensor_data(bias))[0] == -0.5f);
    assert_true(((float *)vn_tensor_data(bias))[1] == 0.25f);
    float scale;
    check(vn_model_get_preprocess(m, &scale, NULL, NULL));
    assert_true(scale == 1.0f / 255.0f); /* no "preprocess": the default */
    free(b);
    vn_model_destroy(m);
}

static void test_saving_keeps_optimizer_state_under_pytorch_names(void **state)
{
    (void)state;
    vn_model *m = from_spec("input shape=1,2,2\ndense name=fc out=2\n");
    vn_optimizer *o = NULL;
    check(vn_optimizer_create("adam lr=0.01", &o));
    check(vn_optimizer_add_model(o, m));
    vn_tensor *x = batch_of(m, 1, 1), *d = NULL;
    int64_t shape[2] = {1, 2};
    check(vn_tensor_create(VN_F32, 2, shape, &d));
    ((float *)vn_tensor_data(d))[0] = 1.0f;
    const vn_tensor *y;
    check(vn_model_forward(m, x, VN_MODE_TRAINING, &y));
    check(vn_model_backward(m, d, NULL));
    check(vn_optimizer_step(o));
    const char *path = path_in_dir("optnames.vnm");
    check(vn_model_save(m, o, path));
    size_t n;
    uint8_t *f = read_all(path, &n);
    vn__json *j = NULL;
    check(vn__json_parse((char *)f + 8, header_length(f), 8, &j));
    const vn__json *step = vn__json_get(j, "optimizer.fc.weight.step");
    assert_non_null(step);
    assert_int_equal(vn__json_get(step, "shape")->count, 0); /* 0-d, as PyTorch keeps it */
    assert_non_null(vn__json_get(j, "optimizer.fc.weight.exp_avg"));
    assert_non_null(vn__json_get(j, "optimizer.fc.bias.exp_avg_sq"));
    const vn__json *meta = vn__json_get(j, "__metadata__");
    assert_string_equal(vn__json_get(meta, "optimizer_step")->str, "1");
    assert_non_null(strstr(vn__json_get(meta, "optimizer")->str, "adam lr=0.01"));
    vn__json_free(j);
    free(f);
    vn_tensor_destroy(x);
    vn_tensor_destroy(d);
    vn_optimizer_destroy(o);
    vn_model_destroy(m);
}

/* Train k steps, save, load, train n more == train k + n without saving. */
static void resume_is_bit_exact(const char *config)
{
    vn_model *a = from_spec(SMALL_CNN), *b = from_spec(SMALL_CNN);
    vn_optimizer *oa = NULL, *ob = NULL;
    check(vn_optimizer_create(config, &oa));
    check(vn_optimizer_create(config, &ob));
    check(vn_optimizer_add_model(oa, a));
    check(vn_optimizer_add_model(ob, b));
    train_steps(a, oa, 5, 1000);
    train_steps(b, ob, 3, 1000);
    const char *path = path_in_dir("resume.vnm");
    check(vn_model_save(b, ob, path));
    vn_model_destroy(b);
    vn_optimizer_destroy(ob);
    vn_model *c = NULL;
    vn_optimizer *oc = NULL;
    check(vn_model_load(path, &c, &oc));
    assert_non_null(oc);
    assert_int_equal(vn_optimizer_get_step_count(oc), 3);
    train_steps(c, oc, 2, 1003);
    assert_same_params(a, c);
    vn_model_destroy(a);
    vn_model_destroy(c);
    vn_optimizer_destroy(oa);
    vn_optimizer_destroy(oc);
}

static void test_sgd_momentum_resume_is_bit_exact(void **state)
{
    (void)state;
    resume_is_bit_exact("sgd lr=0.05 momentum=0.9 weight_decay=1e-4 nesterov=1");
}

static void test_adamw_resume_is_bit_exact(void **state)
{
    (void)state;
    resume_is_bit_exact("adamw lr=0.003");
}

static void test_optimizer_is_null_when_the_file_holds_none(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    const char *path = path_in_dir("noopt.vnm");
    check(vn_model_save(m, NULL, path));
    vn_model *back = NULL;
    vn_optimizer *o = (vn_optimizer *)1;
    check(vn_model_load(path, &back, &o));
    assert_null(o);
    vn_model_destroy(back);
    vn_model_destroy(m);
}

static void test_optimizer_state_is_ignored_when_not_asked_for(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_optimizer *o = NULL;
    check(vn_optimizer_create("sgd lr=0.1 momentum=0.9", &o));
    check(vn_optimizer_add_model(o, m));
    train_steps(m, o, 1, 5);
    const char *path = path_in_dir("ignored.vnm");
    check(vn_model_save(m, o, path));
    vn_model *back = NULL;
    check(vn_model_load(path, &back, NULL));
    assert_same_params(m, back);
    vn_model_destroy(back);
    vn_model_destroy(m);
    vn_optimizer_destroy(o);
}

static void test_save_refuses_an_optimizer_of_other_tensors(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    vn_optimizer *o = NULL;
    vn_tensor *v = NULL, *g = NULL;
    int64_t n = 3;
    check(vn_tensor_create(VN_F32, 1, &n, &v));
    check(vn_tensor_create(VN_F32, 1, &n, &g));
    check(vn_optimizer_create("sgd lr=0.1", &o));
    check(vn_optimizer_add_param(o, "stranger", v, g));
    assert_int_equal(vn_model_save(m, o, path_in_dir("stranger.vnm")), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'stranger'"));
    vn_optimizer_destroy(o);
    vn_tensor_destroy(v);
    vn_tensor_destroy(g);
    vn_model_destroy(m);
}

/* ---- refusals: the container -------------------------------------------------- */

static void test_file_shorter_than_8_bytes_is_truncated(void **state)
{
    (void)state;
    const uint8_t b[5] = {1, 0, 0, 0, 0};
    expect_refusal_of(b, sizeof b, VN_ERR_FORMAT, "truncated: 5 bytes");
    expect_refusal_of(b, 0, VN_ERR_FORMAT, "truncated: 0 bytes");
}

static void test_header_length_past_the_end_is_refused(void **state)
{
    (void)state;
    uint8_t b[120] = {0x0f, 0x27}; /* 9999 */
    b[8] = '{';
    expect_refusal_of(b, sizeof b, VN_ERR_FORMAT,
                      "model file 'x.vnm': header length 9999 is past the end of the file (120 bytes)");
    memset(b, 0xff, 8); /* 2^64 - 1: no overflow in the check */
    expect_refusal_of(b, sizeof b, VN_ERR_FORMAT, "header length 18446744073709551615 is past");
}

static void test_every_truncation_of_a_valid_file_is_refused(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = craft_tiny(TINY_HEADER, &n);
    for (size_t len = 0; len < n; len++) {
        vn_model *m = NULL;
        vn_status s = vn_model_load_mem(b, len, "cut", &m, NULL);
        if (s != VN_ERR_FORMAT || !vn_last_error()[0])
            fail_msg("cut at %zu: %s '%s'", len, vn_status_str(s), vn_last_error());
    }
    free(b);
}

static void test_header_that_is_not_json_is_refused(void **state)
{
    (void)state;
    expect_refusal("{\"__metadata__\": {\"format\": \"visionnet\",}}", VN_ERR_FORMAT,
                   "the header is not valid JSON");
    expect_refusal("[1, 2]", VN_ERR_FORMAT, "does not start with '{'");
    expect_refusal("{} trailing", VN_ERR_FORMAT, "text after the value");
}

static void test_duplicate_keys_are_refused(void **state)
{
    (void)state;
    expect_refusal("{" META("") "," FC_W "," FC_B "," FC_B "}", VN_ERR_FORMAT,
                   "\"fc.bias\" appears twice");
}

static void test_data_offsets_out_of_range_are_refused(void **state)
{
    (void)state;
    expect_refusal("{" META("") "," FC_W
                   ",\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[40,48]}}",
                   VN_ERR_FORMAT, "'fc.bias': data_offsets [40, 48] are out of range (the data section has 40 bytes: a truncated file?)");
    expect_refusal("{" META("") "," FC_W
                   ",\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[40,32]}}",
                   VN_ERR_FORMAT, "out of range");
    expect_refusal("{" META("") "," FC_W
                   ",\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,-40]}}",
                   VN_ERR_FORMAT, "data_offsets must be two integers");
}

static void test_overlapping_tensors_are_refused(void **state)
{
    (void)state;
    /* fc.bias [28, 36) overlaps fc.weight [0, 32) */
    size_t n;
    uint8_t *b = craft("{" META("") "," FC_W
                       ",\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[28,36]}}",
                       TINY_DATA, 36, &n);
    expect_refusal_of(b, n, VN_ERR_FORMAT, "tensors 'fc.weight' and 'fc.bias' overlap");
    free(b);
}

static void test_gap_between_tensors_is_refused(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = craft("{" META("") ",\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],"
                       "\"data_offsets\":[4,36]}," FC_B "}", TINY_DATA, 40, &n);
    expect_refusal_of(b, n, VN_ERR_FORMAT, "data bytes [0, 4) belong to no tensor");
    free(b);
}

static void test_data_section_longer_than_the_tensors_is_refused(void **state)
{
    (void)state;
    float data[11] = {0};
    size_t n;
    uint8_t *b = craft(TINY_HEADER, data, sizeof data, &n);
    expect_refusal_of(b, n, VN_ERR_FORMAT, "the data section has 44 bytes but the tensors cover 40");
    free(b);
}

static void test_dtype_other_than_f32_is_refused(void **state)
{
    (void)state;
    expect_refusal("{" META("") "," FC_W
                   ",\"fc.bias\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[32,40]}}",
                   VN_ERR_FORMAT, "tensor 'fc.bias': dtype 'F16' is not supported");
}

static void test_shape_disagreeing_with_offsets_is_refused(void **state)
{
    (void)state;
    expect_refusal("{" META("") "," FC_W
                   ",\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[32,40]}}",
                   VN_ERR_FORMAT, "'fc.bias': shape [3] needs 12 bytes but data_offsets [32, 40] hold 8");
    expect_refusal("{" META("") "," FC_W
                   ",\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                   "\"data_offsets\":[32,40]}}",
                   VN_ERR_FORMAT, "overflows");
}

static void test_tensor_entry_with_extra_keys_is_refused(void **state)
{
    (void)state;
    expect_refusal("{" META("") "," FC_W
                   ",\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40],\"x\":1}}",
                   VN_ERR_FORMAT, "must have exactly the keys dtype, shape and data_offsets");
}

/* ---- refusals: foreign files and metadata -------------------------------------- */

static void test_plain_safetensors_file_is_not_a_visionnet_model(void **state)
{
    (void)state;
    expect_refusal("{" FC_W "," FC_B "}", VN_ERR_FORMAT,
                   "not a visionnet model file: no __metadata__");
    expect_refusal("{\"__metadata__\":{\"format\":\"pt\"}," FC_W "," FC_B "}", VN_ERR_FORMAT,
                   "not a visionnet model file: __metadata__ format is 'pt'");
}

static void test_metadata_without_spec_is_not_a_visionnet_model(void **state)
{
    (void)state;
    expect_refusal("{\"__metadata__\":{\"format\":\"visionnet\",\"format_version\":\"1\"}," FC_W
                   "," FC_B "}",
                   VN_ERR_FORMAT, "not a visionnet model file: no spec in __metadata__");
}

static void test_metadata_values_must_be_strings(void **state)
{
    (void)state;
    expect_refusal("{\"__metadata__\":{\"format\":\"visionnet\",\"n\":1}," FC_W "," FC_B "}",
                   VN_ERR_FORMAT, "__metadata__ value of 'n' is a number");
}

static void test_newer_format_version_is_unsupported(void **state)
{
    (void)state;
    expect_refusal("{\"__metadata__\":{\"format\":\"visionnet\",\"format_version\":\"2\","
                   "\"crc32\":\"@CRC\",\"spec\":\"" TINY_SPEC "\"}," FC_W "," FC_B "}",
                   VN_ERR_UNSUPPORTED, "format version 2 is newer than this library reads (1)");
    expect_refusal("{\"__metadata__\":{\"format\":\"visionnet\",\"format_version\":\"one\","
                   "\"crc32\":\"@CRC\",\"spec\":\"" TINY_SPEC "\"}," FC_W "," FC_B "}",
                   VN_ERR_FORMAT, "format_version 'one' is not a version number");
}

static size_t g_biggest_alloc;
static void *track_malloc(size_t n, void *u) { (void)u; if (n > g_biggest_alloc) g_biggest_alloc = n; return malloc(n); }
static void *track_realloc(void *p, size_t n, void *u) { (void)u; if (n > g_biggest_alloc) g_biggest_alloc = n; return realloc(p, n); }
static void track_free(void *p, void *u) { (void)u; free(p); }

/* A 40-byte data section cannot hold a 1000 -> 1,000,000 dense layer (4 GB
 * of weights): the loader must say so before allocating that layer. */
static void test_spec_describing_more_parameters_than_the_file_holds_is_refused_unallocated(void **state)
{
    (void)state;
    g_biggest_alloc = 0;
    assert_int_equal(vn_set_allocator(track_malloc, track_realloc, track_free, NULL), VN_OK);
    expect_refusal("{\"__metadata__\":{\"format\":\"visionnet\",\"format_version\":\"1\","
                   "\"crc32\":\"@CRC\",\"spec\":\"input shape=1000\\ndense name=fc out=1000000\\n\"},"
                   FC_W "," FC_B "}",
                   VN_ERR_FORMAT, "dense 'fc': its parameters need far more bytes than the file's tensor data holds");
    assert_int_equal(vn_set_allocator(NULL, NULL, NULL, NULL), VN_OK);
    assert_true(g_biggest_alloc < (1u << 20));
}

static void test_crc_mismatch_is_refused(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = craft_tiny(TINY_HEADER, &n);
    b[n - 1] ^= 0x01; /* one bit of fc.bias */
    expect_refusal_of(b, n, VN_ERR_FORMAT, "CRC-32 mismatch");
    free(b);
    expect_refusal("{\"__metadata__\":{\"format\":\"visionnet\",\"format_version\":\"1\","
                   "\"crc32\":\"xyz\",\"spec\":\"" TINY_SPEC "\"}," FC_W "," FC_B "}",
                   VN_ERR_FORMAT, "crc32 'xyz' in __metadata__ is not 8 hex digits");
}

static void test_spec_that_does_not_build_is_refused(void **state)
{
    (void)state;
    expect_refusal("{\"__metadata__\":{\"format\":\"visionnet\",\"format_version\":\"1\","
                   "\"crc32\":\"@CRC\",\"spec\":\"input shape=1,2,2\\nwobble name=fc\\n\"}," FC_W
                   "," FC_B "}",
                   VN_ERR_FORMAT, "spec in __metadata__: line 2: unknown layer type 'wobble'");
}

static void test_tensor_the_model_lacks_is_refused(void **state)
{
    (void)state;
    size_t n;
    float data[11] = {0};
    uint8_t *b = craft("{" META("") "," FC_W "," FC_B
                       ",\"extra\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[40,44]}}",
                       data, sizeof data, &n);
    expect_refusal_of(b, n, VN_ERR_FORMAT, "tensor 'extra' is not a parameter of the spec's model");
    free(b);
}

static void test_parameter_the_file_lacks_is_refused(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = craft("{" META("") "," FC_W "}", TINY_DATA, 32, &n);
    expect_refusal_of(b, n, VN_ERR_FORMAT, "the file has no tensor 'fc.bias'");
    free(b);
}

static void test_parameter_of_another_shape_is_refused_by_name(void **state)
{
    (void)state;
    expect_refusal("{" META("") ",\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[4,2],"
                   "\"data_offsets\":[0,32]}," FC_B "}",
                   VN_ERR_FORMAT, "tensor 'fc.weight' is [4, 2] in the file but [2, 4] in the spec's model");
}

static void test_optimizer_tensor_without_optimizer_metadata_is_refused(void **state)
{
    (void)state;
    float data[11] = {0};
    size_t n;
    uint8_t *b = craft("{" META("") "," FC_W "," FC_B ",\"optimizer.fc.bias.step\":{\"dtype\":"
                       "\"F32\",\"shape\":[],\"data_offsets\":[40,44]}}", data, sizeof data, &n);
    expect_refusal_of(b, n, VN_ERR_FORMAT, "is optimizer state but __metadata__ names no optimizer");
    free(b);
}

static void test_bad_preprocess_and_classes_are_refused(void **state)
{
    (void)state;
    expect_refusal("{" META(",\"preprocess\":\"scale=0 mean=0 std=1\"") "," FC_W "," FC_B "}",
                   VN_ERR_FORMAT, "'scale=0' is not a finite number > 0");
    expect_refusal("{" META(",\"preprocess\":\"scale=1 mean=0,0\"") "," FC_W "," FC_B "}",
                   VN_ERR_FORMAT, "'mean=' has 2 values but the model's input has 1 channel");
    expect_refusal("{" META(",\"classes\":\"[\\\"a\\\", \\\"b\\\", \\\"c\\\"]\"") "," FC_W "," FC_B
                   "}",
                   VN_ERR_FORMAT, "3 names for a model with 2 outputs");
    expect_refusal("{" META(",\"classes\":\"a,b\"") "," FC_W "," FC_B "}", VN_ERR_FORMAT,
                   "classes in __metadata__ are not a JSON array");
}

static void test_bad_optimizer_state_is_refused(void **state)
{
    (void)state;
    float data[12] = {0};
    size_t n;
    /* momentum_buffer of fc.bias must be [2] */
    uint8_t *b = craft("{" META(",\"optimizer\":\"sgd lr=0.1 momentum=0.9\"") "," FC_W "," FC_B
                       ",\"optimizer.fc.bias.momentum_buffer\":{\"dtype\":\"F32\",\"shape\":[1],"
                       "\"data_offsets\":[40,44]}}", data, 44, &n);
    vn_model *m = NULL;
    vn_optimizer *o = NULL;
    assert_int_equal(vn_model_load_mem(b, n, "x.vnm", &m, &o), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "tensor 'optimizer.fc.bias.momentum_buffer'"));
    assert_null(m);
    assert_null(o);
    free(b);
}

/* Every single-byte change of a valid file either loads or is refused with a
 * message: never a crash (the sanitizer build checks memory). */
static void test_every_corrupted_byte_is_loaded_or_refused(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = craft_tiny(TINY_HEADER, &n);
    const uint8_t values[] = {0x00, 0x22, 0x5c, 0x7b, 0x7d, 0xff, '9', ','};
    for (size_t i = 0; i < n; i++) {
        uint8_t keep = b[i];
        for (size_t v = 0; v < sizeof values; v++) {
            b[i] = values[v];
            vn_model *m = NULL;
            vn_clear_error();
            vn_status s = vn_model_load_mem(b, n, "x", &m, NULL);
            if (s != VN_OK && !vn_last_error()[0])
                fail_msg("byte %zu = %02x: %s without a message", i, values[v], vn_status_str(s));
            vn_model_destroy(m);
        }
        b[i] = keep;
    }
    free(b);
}

/* ---- atomic saving ---------------------------------------------------------------- */

static bool dir_has_temp_files(void)
{
    DIR *d = opendir(g_dir);
    bool found = false;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-"))
            found = true;
    if (d)
        closedir(d);
    return found;
}

static long g_fail_at, g_count;
static void *failing_malloc(size_t n, void *u)
{
    (void)u;
    return ++g_count == g_fail_at ? NULL : malloc(n);
}
static void *failing_realloc(void *p, size_t n, void *u)
{
    (void)u;
    return ++g_count == g_fail_at ? NULL : realloc(p, n);
}
static void plain_free(void *p, void *u)
{
    (void)u;
    free(p);
}

static void test_failed_save_leaves_the_previous_file_intact(void **state)
{
    (void)state;
    vn_model *old = from_spec(SMALL_CNN), *m = from_spec(SMALL_CNN);
    check(vn_model_set_seed(m, 99));
    const char *path = path_in_dir("keep.vnm");
    check(vn_model_save(old, NULL, path));
    size_t n0;
    uint8_t *before = read_all(path, &n0);
    bool succeeded = false;
    for (g_fail_at = 1; !succeeded && g_fail_at < 1000; g_fail_at++) {
        g_count = 0;
        check(vn_set_allocator(failing_malloc, failing_realloc, plain_free, NULL));
        vn_status s = vn_model_save(m, NULL, path);
        check(vn_set_allocator(NULL, NULL, NULL, NULL));
        succeeded = s == VN_OK;
        if (!succeeded) {
            assert_int_equal(s, VN_ERR_NOMEM);
            size_t n;
            uint8_t *now = read_all(path, &n);
            assert_int_equal(n, n0);
            assert_memory_equal(now, before, n0);
            free(now);
            assert_false(dir_has_temp_files());
        }
    }
    assert_true(succeeded);
    assert_true(g_fail_at > 3); /* some allocations did fail first */
    vn_model *back = NULL;
    check(vn_model_load(path, &back, NULL));
    assert_same_params(back, m);
    vn_model_destroy(back);
    free(before);
    vn_model_destroy(old);
    vn_model_destroy(m);
}

static void test_save_whose_write_fails_halfway_leaves_the_previous_file(void **state)
{
    (void)state;
    vn_model *old = from_spec("input shape=16\ndense name=fc out=4\n");
    vn_model *big = from_spec("input shape=256\ndense name=fc out=256\n"); /* 257 KB */
    const char *path = path_in_dir("half.vnm");
    check(vn_model_save(old, NULL, path));
    size_t n0;
    uint8_t *before = read_all(path, &n0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Files may not grow past 64 KB: the write of the temporary file
         * fails with EFBIG partway through. */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {65536, 65536};
        setrlimit(RLIMIT_FSIZE, &rl);
        vn_status s = vn_model_save(big, NULL, path);
        _exit(s == VN_ERR_IO && strstr(vn_last_error(), "write failed") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t n;
    uint8_t *now = read_all(path, &n);
    assert_int_equal(n, n0);
    assert_memory_equal(now, before, n0);
    assert_false(dir_has_temp_files());
    free(now);
    free(before);
    vn_model_destroy(old);
    vn_model_destroy(big);
}

static void test_killed_saver_always_leaves_a_loadable_file(void **state)
{
    (void)state;
    /* Two big models (about 1 MB of weights each) saved in turn, forever, by
     * a child that is then killed at a random moment. */
    vn_model *a = from_spec("input shape=512 seed=1\ndense name=fc out=512\n");
    vn_model *b = from_spec("input shape=512 seed=2\ndense name=fc out=512\n");
    const char *path = path_in_dir("killed.vnm");
    check(vn_model_save(a, NULL, path));
    srand(12345);
    int saw_b = 0;
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int k = 0;; k++)
                if (vn_model_save(k % 2 ? a : b, NULL, path) != VN_OK)
                    _exit(1);
        }
        struct timespec ts = {0, (long)(rand() % 40000) * 1000L}; /* 0-40 ms */
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        vn_model *back = NULL;
        vn_status s = vn_model_load(path, &back, NULL);
        if (s != VN_OK)
            fail_msg("round %d: %s", round, vn_last_error());
        vn_tensor *w, *wa;
        check(vn_model_param(back, 0, NULL, &w, NULL, NULL));
        check(vn_model_param(a, 0, NULL, &wa, NULL, NULL));
        if (memcmp(vn_tensor_data(w), vn_tensor_data(wa), vn_tensor_nbytes(w)) == 0) {
            assert_same_params(back, a);
        } else {
            assert_same_params(back, b);
            saw_b++;
        }
        vn_model_destroy(back);
    }
    /* A killed save leaves its temporary file behind (nothing can remove
     * it); the model file itself is never half written. */
    remove_dir(NULL);
    setup_dir(NULL);
    vn_model_destroy(a);
    vn_model_destroy(b);
    (void)saw_b;
}

static void test_save_to_a_missing_folder_is_an_io_error(void **state)
{
    (void)state;
    vn_model *m = from_spec(SMALL_CNN);
    assert_int_equal(vn_model_save(m, NULL, "/nonexistent-folder/x.vnm"), VN_ERR_IO);
    vn_model *back = (vn_model *)1;
    assert_int_equal(vn_model_load("/nonexistent-folder/x.vnm", &back, NULL), VN_ERR_IO);
    assert_null(back);
    vn_model_destroy(m);
}

/* ---- the JSON reader ----------------------------------------------------------- */

static vn_status parse(const char *text, vn__json **j)
{
    return vn__json_parse(text, strlen(text), 4, j);
}

static void test_json_decodes_escapes_and_surrogate_pairs(void **state)
{
    (void)state;
    vn__json *j = NULL;
    check(parse("{\"k\": \"a\\n\\\"\\u00e9\\ud83d\\ude00\\/\"}", &j));
    assert_string_equal(vn__json_get(j, "k")->str, "a\n\"\xc3\xa9\xf0\x9f\x98\x80/");
    vn__json_free(j);
}

static void test_json_reads_integers_up_to_2_to_the_64_minus_1(void **state)
{
    (void)state;
    vn__json *j = NULL;
    check(parse("[0, 18446744073709551615, 18446744073709551616, -1, 1.5, 1e3]", &j));
    const vn__json *c = j->child;
    assert_true(c->is_uint && c->uint == 0);
    c = c->next;
    assert_true(c->is_uint && c->uint == UINT64_MAX);
    for (c = c->next; c; c = c->next)
        assert_false(c->is_uint);
    vn__json_free(j);
}

static void test_json_refuses_what_lenient_readers_accept(void **state)
{
    (void)state;
    const char *bad[] = {
        "{\"a\":1,}", "[1,]", "{'a':1}", "[01]", "[1.]", "[.5]", "[NaN]", "[\"\\u0000\"]",
        "[\"\\ud800\"]", "[\"\\x\"]", "[\"\t\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]",
        "{\"a\":1,\"a\":2}", "[[[[[1]]]]]", "[1] [2]", "", "   ", "[\"abc", "tru", "nul",
        "/* c */ 1", "[1 2]", "{\"a\" 1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vn__json *j = NULL;
        vn_status s = parse(bad[i], &j);
        if (s != VN_ERR_FORMAT)
            fail_msg("'%s' was %s", bad[i], vn_status_str(s));
        assert_null(j);
    }
}

static void test_json_error_names_the_byte(void **state)
{
    (void)state;
    vn__json *j = NULL;
    assert_int_equal(parse("{\"a\": tru}", &j), VN_ERR_FORMAT);
    assert_string_equal(vn_last_error(), "unexpected word at byte 6");
}

static void test_json_writer_escapes_quotes_backslashes_and_controls(void **state)
{
    (void)state;
    vn__json_writer w = {0};
    vn__json_string(&w, "a\"b\\c\nd\x01");
    vn__json_raw(&w, "", 1);
    assert_false(w.failed);
    assert_string_equal(w.p, "\"a\\\"b\\\\c\\nd\\u0001\"");
    vn__json_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_model_preprocess_is_scale_1_over_255_mean_0_std_1),
        cmocka_unit_test(test_set_preprocess_keeps_per_channel_values),
        cmocka_unit_test(test_set_preprocess_refuses_zero_std_and_bad_scale),
        cmocka_unit_test(test_class_names_are_copied_and_must_match_the_outputs),
        cmocka_unit_test(test_class_names_refuse_empty_control_and_invalid_utf8),
        cmocka_unit_test(test_round_trip_keeps_every_parameter_and_buffer_bit_exact),
        cmocka_unit_test(test_loaded_model_gives_the_same_inference_output),
        cmocka_unit_test(test_round_trip_keeps_preprocess_and_class_names),
        cmocka_unit_test(test_file_is_safetensors_with_aligned_header_and_packed_data),
        cmocka_unit_test(test_loader_reads_a_file_it_did_not_write),
        cmocka_unit_test(test_saving_keeps_optimizer_state_under_pytorch_names),
        cmocka_unit_test(test_sgd_momentum_resume_is_bit_exact),
        cmocka_unit_test(test_adamw_resume_is_bit_exact),
        cmocka_unit_test(test_optimizer_is_null_when_the_file_holds_none),
        cmocka_unit_test(test_optimizer_state_is_ignored_when_not_asked_for),
        cmocka_unit_test(test_save_refuses_an_optimizer_of_other_tensors),
        cmocka_unit_test(test_file_shorter_than_8_bytes_is_truncated),
        cmocka_unit_test(test_header_length_past_the_end_is_refused),
        cmocka_unit_test(test_every_truncation_of_a_valid_file_is_refused),
        cmocka_unit_test(test_header_that_is_not_json_is_refused),
        cmocka_unit_test(test_duplicate_keys_are_refused),
        cmocka_unit_test(test_data_offsets_out_of_range_are_refused),
        cmocka_unit_test(test_overlapping_tensors_are_refused),
        cmocka_unit_test(test_gap_between_tensors_is_refused),
        cmocka_unit_test(test_data_section_longer_than_the_tensors_is_refused),
        cmocka_unit_test(test_dtype_other_than_f32_is_refused),
        cmocka_unit_test(test_shape_disagreeing_with_offsets_is_refused),
        cmocka_unit_test(test_tensor_entry_with_extra_keys_is_refused),
        cmocka_unit_test(test_plain_safetensors_file_is_not_a_visionnet_model),
        cmocka_unit_test(test_metadata_without_spec_is_not_a_visionnet_model),
        cmocka_unit_test(test_metadata_values_must_be_strings),
        cmocka_unit_test(test_newer_format_version_is_unsupported),
        cmocka_unit_test(test_spec_describing_more_parameters_than_the_file_holds_is_refused_unallocated),
        cmocka_unit_test(test_crc_mismatch_is_refused),
        cmocka_unit_test(test_spec_that_does_not_build_is_refused),
        cmocka_unit_test(test_tensor_the_model_lacks_is_refused),
        cmocka_unit_test(test_parameter_the_file_lacks_is_refused),
        cmocka_unit_test(test_parameter_of_another_shape_is_refused_by_name),
        cmocka_unit_test(test_optimizer_tensor_without_optimizer_metadata_is_refused),
        cmocka_unit_test(test_bad_preprocess_and_classes_are_refused),
        cmocka_unit_test(test_bad_optimizer_state_is_refused),
        cmocka_unit_test(test_every_corrupted_byte_is_loaded_or_refused),
        cmocka_unit_test(test_failed_save_leaves_the_previous_file_intact),
        cmocka_unit_test(test_save_whose_write_fails_halfway_leaves_the_previous_file),
        cmocka_unit_test(test_killed_saver_always_leaves_a_loadable_file),
        cmocka_unit_test(test_save_to_a_missing_folder_is_an_io_error),
        cmocka_unit_test(test_json_decodes_escapes_and_surrogate_pairs),
        cmocka_unit_test(test_json_reads_integers_up_to_2_to_the_64_minus_1),
        cmocka_unit_test(test_json_refuses_what_lenient_readers_accept),
        cmocka_unit_test(test_json_error_names_the_byte),
        cmocka_unit_test(test_json_writer_escapes_quotes_backslashes_and_controls),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
