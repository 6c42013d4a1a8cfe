/* test_codecs.c - the codec registry, the PNG / JPEG / PNM codecs, channel
 * conversion, reading and writing files, and the corpus of damaged files.
 *
 * Expected pixels come from tests/data/images/NAME.npy, written by
 * tests/data/make_images.py from its own source arrays, cv2 and Pillow; the
 * few figures written here were computed with cv2 (noted where used). A
 * tiny .npy reader of the test's own keeps these tests independent of the
 * library's loader. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <visionnet/core.h>
#include <visionnet/tensor.h>
#include <visionnet/image.h>
#include "vn_config.h"

#ifndef VN_TEST_DATA
#define VN_TEST_DATA "tests/data"
#endif
#define IMAGES VN_TEST_DATA "/images/"
#define BAD VN_TEST_DATA "/bad/"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    *n = fread(buf, 1, (size_t)len, f);
    fclose(f);
    return buf;
}

/* The expected array of a fixture: |u1 or <i4, C order, 3 dimensions. */
typedef struct expected {
    int is_i32;
    int64_t shape[3];
    size_t count;
    uint8_t *raw;   /* from the file; data = raw + offset */
    const void *data;
} expected;

static void load_expected(const char *name, expected *e)
{
    char path[512];
    snprintf(path, sizeof path, IMAGES "%s.npy", name);
    size_t n = 0;
    e->raw = slurp(path, &n);
    assert_non_null(e->raw);
    assert_true(n > 10 && memcmp(e->raw, "\x93NUMPY", 6) == 0);
    size_t hl = e->raw[8] | (size_t)e->raw[9] << 8, off = 10;
    if (e->raw[6] >= 2) {
        hl |= (size_t)e->raw[10] << 16 | (size_t)e->raw[11] << 24;
        off = 12;
    }
    char header[512];
    assert_true(hl < sizeof header && off + hl <= n);
    memcpy(header, e->raw + off, hl);
    header[hl] = '\0';
    e->is_i32 = strstr(header, "'<i4'") != NULL;
    assert_true(e->is_i32 || strstr(header, "'|u1'") != NULL);
    assert_non_null(strstr(header, "'fortran_order': False"));
    const char *s = strstr(header, "'shape': (");
    assert_non_null(s);
    long long a, b, c;
    assert_int_equal(sscanf(s, "'shape': (%lld, %lld, %lld)", &a, &b, &c), 3);
    e->shape[0] = a;
    e->shape[1] = b;
    e->shape[2] = c;
    e->count = (size_t)(a * b * c);
    assert_int_equal(n - off - hl, e->count * (e->is_i32 ? 4 : 1));
    e->data = e->raw + off + hl;
}

/* The decoded tensor equals the fixture's expected array within tol. */
static void assert_matches(const vn_tensor *t, const char *expected_name, int tol)
{
    expected e;
    load_expected(expected_name, &e);
    assert_int_equal(vn_tensor_ndim(t), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(vn_tensor_dim(t, i), e.shape[i]);
    assert_int_equal(vn_tensor_dtype(t), e.is_i32 ? VN_I32 : VN_U8);
    int worst = 0;
    for (size_t i = 0; i < e.count; i++) {
        int got, want;
        if (e.is_i32) {
            int32_t w32;
            memcpy(&w32, (const uint8_t *)e.data + 4 * i, 4); /* little-endian host */
            want = w32;
            got = ((const int32_t *)vn_tensor_data_const(t))[i];
        } else {
            want = ((const uint8_t *)e.data)[i];
            got = ((const uint8_t *)vn_tensor_data_const(t))[i];
        }
        int d = abs(got - want);
        if (d > worst)
            worst = d;
    }
    free(e.raw);
    if (worst > tol)
        fail_msg("%s: worst difference %d, tolerance %d", expected_name, worst, tol);
}

/* Read IMAGES/file and compare with IMAGES/expected_name.npy. */
static void check_fixture(const char *file, const char *expected_name, const vn_decode_options *opts,
                          int tol)
{
    char path[512];
    snprintf(path, sizeof path, IMAGES "%s", file);
    vn_tensor *t = NULL;
    vn_status s = vn_image_read(path, opts, &t);
    if (s != VN_OK)
        fail_msg("%s: %s (%s)", file, vn_status_str(s), vn_last_error());
    assert_matches(t, expected_name, tol);
    vn_tensor_destroy(t);
}

static void check_info(const char *file, int w, int h, int c, int depth, const char *codec)
{
    char path[512];
    snprintf(path, sizeof path, IMAGES "%s", file);
    vn_image_info info = VN_IMAGE_INFO_INIT;
    assert_int_equal(vn_image_info_read(path, &info), VN_OK);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
    assert_int_equal(info.channels, c);
    assert_int_equal(info.bit_depth, depth);
    assert_string_equal(info.codec, codec);
}

static vn_tensor *make_image(int h, int w, int c, uint8_t seed)
{
    int64_t shape[3] = {h, w, c};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, shape, &t), VN_OK);
    uint8_t *p = vn_tensor_data(t);
    for (size_t i = 0; i < vn_tensor_numel(t); i++)
        p[i] = (uint8_t)(i * 37u + seed * 11u + (i >> 3));
    return t;
}

static vn_tensor *make_from(int h, int w, int c, const uint8_t *values)
{
    vn_tensor *t = make_image(h, w, c, 0);
    memcpy(vn_tensor_data(t), values, vn_tensor_nbytes(t));
    return t;
}

static char g_tmpdir[256];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(g_tmpdir, sizeof g_tmpdir, "/tmp/vn_test_codecs_XXXXXX");
    return mkdtemp(g_tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    DIR *d = opendir(g_tmpdir);
    if (d) {
        struct dirent *e;
        char path[600];
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                snprintf(path, sizeof path, "%s/%s", g_tmpdir, e->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(g_tmpdir);
    return 0;
}

static int count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------------ */
/* A codec of the test's own: "VNTEST" + channels + width + height (one byte
 * each) + the u8 samples. The probe score and the pixel offset come from
 * user_data, so two instances can compete on the same magic. */

typedef struct test_codec {
    int score;
    int add;             /* added to every sample, to tell instances apart */
    int decode_calls;
    int fail_silently;   /* decode returns VN_ERR_FORMAT without a message */
} test_codec;

static int tc_probe(const uint8_t *head, size_t n, void *user)
{
    if (!user) /* registered with a size that does not cover user_data */
        return 0;
    return n >= 6 && memcmp(head, "VNTEST", 6) == 0 ? ((test_codec *)user)->score : 0;
}

static vn_status tc_info(const uint8_t *data, size_t n, vn_image_info *info, void *user)
{
    (void)user;
    if (n < 9)
        return VN_ERR_FORMAT;
    info->channels = data[6];
    /* width / height 255 stand for 100000: a header claiming a huge image */
    info->width = data[7] == 255 ? 100000 : data[7];
    info->height = data[8] == 255 ? 100000 : data[8];
    info->bit_depth = 8;
    return VN_OK;
}

static vn_status tc_decode(const uint8_t *data, size_t n, const vn_decode_options *opts, vn_tensor **out,
                           void *user)
{
    (void)opts;
    test_codec *tc = user;
    tc->decode_calls++;
    if (tc->fail_silently)
        return VN_ERR_FORMAT;
    int64_t shape[3] = {data[8], data[7], data[6]};
    size_t count = (size_t)(shape[0] * shape[1] * shape[2]);
    if (n < 9 + count)
        return VN_ERR_FORMAT;
    vn_tensor *t = NULL;
    vn_status s = vn_tensor_create(VN_U8, 3, shape, &t);
    if (s != VN_OK)
        return s;
    uint8_t *p = vn_tensor_data(t);
    for (size_t i = 0; i < count; i++)
        p[i] = (uint8_t)(data[9 + i] + tc->add);
    *out = t;
    return VN_OK;
}

static vn_codec test_codec_vtable(const char *name, test_codec *tc)
{
    vn_codec c;
    memset(&c, 0, sizeof c);
    c.size = sizeof c;
    c.name = name;
    c.extensions = "vnt";
    c.probe = tc_probe;
    c.info = tc_info;
    c.decode = tc_decode;
    c.user_data = tc;
    return c;
}

static const uint8_t tc_file[] = {'V', 'N', 'T', 'E', 'S', 'T', 3, 2, 1, 10, 200, 30, 7, 8, 9};

/* ------------------------------------------------------------------------ */
/* Registry                                                                 */

static void test_builtin_codecs_are_registered(void **state)
{
    (void)state;
    int n = vn_codec_count();
    bool png = false, jpeg = false, pnm = false;
    for (int i = 0; i < n; i++) {
        const char *name = vn_codec_name(i);
        assert_non_null(name);
        png |= !strcmp(name, "png");
        jpeg |= !strcmp(name, "jpeg");
        pnm |= !strcmp(name, "pnm");
    }
    assert_true(pnm);
    assert_int_equal(png, VN_HAVE_PNG);
    assert_int_equal(jpeg, VN_HAVE_JPEG);
    assert_null(vn_codec_name(n));
    assert_null(vn_codec_name(-1));
}

static void test_own_codec_reads_through_image_read(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable("vntest", &tc);
    assert_int_equal(vn_codec_register(&c), VN_OK);
    char path[600];
    snprintf(path, sizeof path, "%s/picture.bin", g_tmpdir);
    FILE *f = fopen(path, "wb");
    fwrite(tc_file, 1, sizeof tc_file, f);
    fclose(f);

    vn_tensor *t = NULL;
    assert_int_equal(vn_image_read(path, NULL, &t), VN_OK);
    assert_int_equal(tc.decode_calls, 1);
    assert_int_equal(vn_tensor_dim(t, 0), 1);
    assert_int_equal(vn_tensor_dim(t, 1), 2);
    assert_int_equal(vn_tensor_dim(t, 2), 3);
    assert_memory_equal(vn_tensor_data(t), tc_file + 9, 6);
    vn_tensor_destroy(t);
    vn_image_info info = VN_IMAGE_INFO_INIT;
    assert_int_equal(vn_image_info_read(path, &info), VN_OK);
    assert_string_equal(info.codec, "vntest");
    unlink(path);
    assert_int_equal(vn_codec_unregister("vntest"), VN_OK);
}

static void test_duplicate_codec_name_is_refused(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable("vntest", &tc);
    int before = vn_codec_count();
    assert_int_equal(vn_codec_register(&c), VN_OK);
    assert_int_equal(vn_codec_register(&c), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "already registered"));
    c.name = "pnm"; /* built in, always */
    assert_int_equal(vn_codec_register(&c), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_codec_count(), before + 1);
    assert_int_equal(vn_codec_unregister("vntest"), VN_OK);
}

static void test_unregistered_codec_no_longer_decodes(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable("vntest", &tc);
    int before = vn_codec_count();
    assert_int_equal(vn_codec_register(&c), VN_OK);
    assert_int_equal(vn_codec_unregister("vntest"), VN_OK);
    assert_int_equal(vn_codec_count(), before);
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_decode(tc_file, sizeof tc_file, NULL, &t), VN_ERR_FORMAT);
    assert_null(t);
    assert_int_equal(tc.decode_calls, 0);
    assert_int_equal(vn_codec_unregister("vntest"), VN_ERR_INVALID_ARG);
}

static void test_codec_registration_checks_the_vtable(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable("vntest", &tc);
    c.decode = NULL;
    assert_int_equal(vn_codec_register(&c), VN_ERR_INVALID_ARG);
    c = test_codec_vtable("a_name_longer_than_15", &tc);
    assert_int_equal(vn_codec_register(&c), VN_ERR_INVALID_ARG);
    c = test_codec_vtable("vntest", &tc);
    c.size = 8;
    assert_int_equal(vn_codec_register(&c), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_codec_register(NULL), VN_ERR_INVALID_ARG);
}

static vn_status never_called_encode(const vn_tensor *image, const vn_encode_options *opts, void **bytes,
                                     size_t *n, void *user)
{
    (void)image, (void)opts, (void)bytes, (void)n, (void)user;
    fail_msg("encode past the codec's size was called");
    return VN_ERR_INTERNAL;
}

static void test_codec_fields_past_its_size_are_ignored(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable("vnsmall", &tc);
    c.encode = never_called_encode;
    c.size = offsetof(vn_codec, encode); /* an older, smaller struct */
    assert_int_equal(vn_codec_register(&c), VN_OK);
    vn_tensor *img = make_image(2, 2, 1, 0);
    void *bytes = NULL;
    size_t n = 0;
    assert_int_equal(vn_image_encode("vnsmall", img, NULL, &bytes, &n), VN_ERR_UNSUPPORTED);
    assert_null(bytes);
    assert_int_equal(vn_codec_unregister("vnsmall"), VN_OK);
    vn_tensor_destroy(img);
}

static void test_highest_probe_score_wins(void **state)
{
    (void)state;
    test_codec low = {10, 100, 0, 0}, high = {90, 50, 0, 0};
    vn_codec a = test_codec_vtable("vnlow", &low), b = test_codec_vtable("vnhigh", &high);
    assert_int_equal(vn_codec_register(&a), VN_OK);
    assert_int_equal(vn_codec_register(&b), VN_OK);
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_decode(tc_file, sizeof tc_file, NULL, &t), VN_OK);
    assert_int_equal(((uint8_t *)vn_tensor_data(t))[0], 10 + 50);
    assert_int_equal(low.decode_calls, 0);
    assert_int_equal(high.decode_calls, 1);
    vn_tensor_destroy(t);
    vn_codec_unregister("vnlow");
    vn_codec_unregister("vnhigh");
}

static void test_registry_converts_channels_the_codec_ignored(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable("vntest", &tc);
    assert_int_equal(vn_codec_register(&c), VN_OK);
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    opts.channels = 1;
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_decode(tc_file, sizeof tc_file, &opts, &t), VN_OK);
    assert_int_equal(vn_tensor_dim(t, 2), 1);
    /* cv2.cvtColor([[10,200,30]], COLOR_RGB2GRAY) = 124; [7,8,9] -> 8 */
    assert_int_equal(((uint8_t *)vn_tensor_data(t))[0], 124);
    assert_int_equal(((uint8_t *)vn_tensor_data(t))[1], 8);
    vn_tensor_destroy(t);
    vn_codec_unregister("vntest");
}

static void test_pixel_limit_is_checked_before_decode_is_called(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable("vntest", &tc);
    assert_int_equal(vn_codec_register(&c), VN_OK);
    uint8_t huge[] = {'V', 'N', 'T', 'E', 'S', 'T', 3, 255, 255, 0};
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_decode(huge, sizeof huge, NULL, &t), VN_ERR_LIMIT);
    assert_int_equal(tc.decode_calls, 0);
    assert_non_null(strstr(vn_last_error(), "100000x100000"));
    vn_codec_unregister("vntest");
}

static void test_codec_failing_silently_still_leaves_a_message(void **state)
{
    (void)state;
    test_codec tc = {100, 0, 0, 1};
    vn_codec c = test_codec_vtable("vntest", &tc);
    assert_int_equal(vn_codec_register(&c), VN_OK);
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_decode(tc_file, sizeof tc_file, NULL, &t), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "vntest"));
    vn_codec_unregister("vntest");
}

static void test_unknown_bytes_are_a_format_error_naming_them(void **state)
{
    (void)state;
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_decode("hello world", 11, NULL, &t), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "68 65 6c 6c"));
    assert_int_equal(vn_image_decode("", 0, NULL, &t), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "empty"));
    assert_null(t);
}

static void test_decode_options_are_validated(void **state)
{
    (void)state;
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    vn_tensor *t = NULL;
    opts.channels = 5;
    assert_int_equal(vn_image_decode(tc_file, sizeof tc_file, &opts, &t), VN_ERR_INVALID_ARG);
    opts.channels = 0;
    opts.size = 4;
    assert_int_equal(vn_image_decode(tc_file, sizeof tc_file, &opts, &t), VN_ERR_INVALID_ARG);
    vn_image_info info = VN_IMAGE_INFO_INIT;
    info.size = 8;
    assert_int_equal(vn_image_info_mem(tc_file, sizeof tc_file, &info), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_decode(NULL, 3, NULL, &t), VN_ERR_INVALID_ARG);
}

typedef struct churn_arg {
    int id;
    int failures;
} churn_arg;

static void *churn(void *p)
{
    churn_arg *a = p;
    char name[16];
    snprintf(name, sizeof name, "vnthread%d", a->id);
    test_codec tc = {100, 0, 0, 0};
    vn_codec c = test_codec_vtable(name, &tc);
    for (int i = 0; i < 200; i++) {
        if (vn_codec_register(&c) != VN_OK)
            a->failures++;
        vn_tensor *t = NULL;
        if (vn_image_decode(tc_file, sizeof tc_file, NULL, &t) != VN_OK)
            a->failures++;
        vn_tensor_destroy(t);
        if (vn_codec_unregister(name) != VN_OK)
            a->failures++;
    }
    return NULL;
}

static void test_registry_is_thread_safe(void **state)
{
    (void)state;
    pthread_t th[4];
    churn_arg args[4];
    int before = vn_codec_count();
    for (int i = 0; i < 4; i++) {
        args[i].id = i;
        args[i].failures = 0;
        assert_int_equal(pthread_create(&th[i], NULL, churn, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    assert_int_equal(vn_codec_count(), before);
}

/* ------------------------------------------------------------------------ */
/* PNG                                                                      */

#if VN_HAVE_PNG
static void test_png_named_jpg_decodes_by_content(void **state)
{
    (void)state;
    check_fixture("png_named.jpg", "png_named", NULL, 0);
    check_info("png_named.jpg", 30, 20, 3, 8, "png");
}

static void test_png_8bit_colour_types_decode_exactly(void **state)
{
    (void)state;
    check_fixture("png_gray8.png", "png_gray8", NULL, 0);
    check_fixture("png_graya8.png", "png_graya8", NULL, 0);
    check_fixture("png_rgb8.png", "png_rgb8", NULL, 0);
    check_fixture("png_rgba8.png", "png_rgba8", NULL, 0);
    check_fixture("png_cv2.png", "png_cv2", NULL, 0);
}

static void test_png_low_bit_grey_is_scaled_to_8_bits(void **state)
{
    (void)state;
    check_fixture("png_gray1.png", "png_gray1", NULL, 0);
    check_fixture("png_gray2.png", "png_gray2", NULL, 0);
    check_fixture("png_gray4.png", "png_gray4", NULL, 0);
}

static void test_png_16bit_is_rounded_to_8_bits(void **state)
{
    (void)state;
    check_fixture("png_gray16.png", "png_gray16", NULL, 0);
    check_fixture("png_graya16.png", "png_graya16", NULL, 0);
    check_fixture("png_rgb16.png", "png_rgb16", NULL, 0);
    check_fixture("png_rgba16.png", "png_rgba16", NULL, 0);
}

static void test_png_16bit_kept_as_i32_when_asked(void **state)
{
    (void)state;
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    opts.keep_16bit = 1;
    check_fixture("png_gray16.png", "png_gray16_16", &opts, 0);
    check_fixture("png_rgba16.png", "png_rgba16_16", &opts, 0);
    /* an 8-bit file stays u8 */
    check_fixture("png_rgb8.png", "png_rgb8", &opts, 0);
}

static void test_png_palettes_are_expanded(void **state)
{
    (void)state;
    check_fixture("png_pal1.png", "png_pal1", NULL, 0);
    check_fixture("png_pal2.png", "png_pal2", NULL, 0);
    check_fixture("png_pal4.png", "png_pal4", NULL, 0);
    check_fixture("png_pal8.png", "png_pal8", NULL, 0);
}

static void test_png_trns_becomes_an_alpha_channel(void **state)
{
    (void)state;
    check_fixture("png_pal8_trns.png", "png_pal8_trns", NULL, 0);
    check_fixture("png_gray8_trns.png", "png_gray8_trns", NULL, 0);
    check_fixture("png_rgb8_trns.png", "png_rgb8_trns", NULL, 0);
}

static void test_png_interlaced_images_are_deinterlaced(void **state)
{
    (void)state;
    check_fixture("png_rgb8_interlaced.png", "png_rgb8_interlaced", NULL, 0);
    check_fixture("png_gray1_interlaced.png", "png_gray1_interlaced", NULL, 0);
    check_fixture("png_rgba16_interlaced.png", "png_rgba16_interlaced", NULL, 0);
    check_fixture("png_pal2_interlaced_tiny.png", "png_pal2_interlaced_tiny", NULL, 0);
}

static void test_png_ancillary_chunks_are_skipped(void **state)
{
    (void)state;
    check_fixture("png_rgb8_chunks.png", "png_rgb8_chunks", NULL, 0);
}

static void test_png_info_reports_stored_depth_and_expanded_channels(void **state)
{
    (void)state;
    check_info("png_pal4.png", 7, 6, 3, 4, "png");
    check_info("png_pal8_trns.png", 7, 6, 4, 8, "png");
    check_info("png_gray8_trns.png", 7, 6, 2, 8, "png");
    check_info("png_gray16.png", 7, 6, 1, 16, "png");
    check_info("png_gray1_interlaced.png", 9, 11, 1, 1, "png");
}

static void test_png_round_trip_is_exact(void **state)
{
    (void)state;
    for (int c = 1; c <= 4; c++) {
        vn_tensor *img = make_image(9, 13, c, (uint8_t)c), *back = NULL;
        void *bytes = NULL;
        size_t n = 0;
        vn_encode_options eo = VN_ENCODE_OPTIONS_INIT;
        eo.compression = c == 1 ? 0 : 9;
        assert_int_equal(vn_image_encode("png", img, &eo, &bytes, &n), VN_OK);
        assert_int_equal(vn_image_decode(bytes, n, NULL, &back), VN_OK);
        assert_int_equal(vn_tensor_dim(back, 2), c);
        assert_memory_equal(vn_tensor_data(back), vn_tensor_data(img), vn_tensor_nbytes(img));
        vn_free(bytes);
        vn_tensor_destroy(img);
        vn_tensor_destroy(back);
    }
}
#endif

/* ------------------------------------------------------------------------ */
/* JPEG                                                                     */

#if VN_HAVE_JPEG
static void test_jpeg_baseline_matches_cv2(void **state)
{
    (void)state;
    check_fixture("jpeg_baseline.jpg", "jpeg_baseline", NULL, 1);
    check_fixture("jpeg_444.jpg", "jpeg_444", NULL, 1);
    check_fixture("jpeg_odd_size.jpg", "jpeg_odd_size", NULL, 1);
}

static void test_jpeg_progressive_matches_cv2(void **state)
{
    (void)state;
    check_fixture("jpeg_progressive.jpg", "jpeg_progressive", NULL, 1);
}

static void test_jpeg_scans_are_capped_at_256(void **state)
{
    (void)state;
    /* Both files are valid (cv2 decodes them to grey 128): 190 scans are
     * read, 694 are refused as a CPU bomb. */
    check_fixture("jpeg_190_scans.jpg", "jpeg_190_scans", NULL, 0);
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_read(BAD "jpeg_694_scans.jpg", NULL, &t), VN_ERR_LIMIT);
    assert_non_null(strstr(vn_last_error(), "scans"));
}

static void test_jpeg_grayscale_is_one_channel(void **state)
{
    (void)state;
    check_fixture("jpeg_gray.jpg", "jpeg_gray", NULL, 1);
    check_info("jpeg_gray.jpg", 40, 24, 1, 8, "jpeg");
}

static void test_jpeg_adobe_cmyk_is_converted_to_rgb(void **state)
{
    (void)state;
    check_fixture("jpeg_cmyk.jpg", "jpeg_cmyk", NULL, 1);
    check_info("jpeg_cmyk.jpg", 24, 16, 3, 8, "jpeg");
}

static void test_jpeg_round_trip_is_close(void **state)
{
    (void)state;
    for (int c = 1; c <= 3; c += 2) {
        /* a smooth picture: JPEG's own case */
        vn_tensor *img = make_image(32, 48, c, 0), *back = NULL;
        uint8_t *p = vn_tensor_data(img);
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 48; x++)
                for (int k = 0; k < c; k++)
                    p[(y * 48 + x) * c + k] = (uint8_t)(x * 3 + y * 2 + k * 20);
        void *bytes = NULL;
        size_t n = 0;
        vn_encode_options eo = VN_ENCODE_OPTIONS_INIT;
        eo.quality = 95;
        assert_int_equal(vn_image_encode("jpeg", img, &eo, &bytes, &n), VN_OK);
        assert_int_equal(vn_image_decode(bytes, n, NULL, &back), VN_OK);
        assert_int_equal(vn_tensor_dim(back, 2), c);
        const uint8_t *q = vn_tensor_data(back);
        double err = 0;
        for (size_t i = 0; i < vn_tensor_numel(img); i++)
            err += abs((int)p[i] - (int)q[i]);
        assert_true(err / (double)vn_tensor_numel(img) < 2.0);
        vn_free(bytes);
        vn_tensor_destroy(img);
        vn_tensor_destroy(back);
    }
}

static void test_jpeg_lower_quality_gives_fewer_bytes(void **state)
{
    (void)state;
    vn_tensor *img = make_image(64, 64, 3, 3);
    vn_encode_options eo = VN_ENCODE_OPTIONS_INIT;
    void *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    eo.quality = 95;
    assert_int_equal(vn_image_encode("jpeg", img, &eo, &b1, &n1), VN_OK);
    eo.quality = 20;
    assert_int_equal(vn_image_encode("jpeg", img, &eo, &b2, &n2), VN_OK);
    assert_true(n2 < n1);
    vn_free(b1);
    vn_free(b2);
    vn_tensor_destroy(img);
}

static void test_jpeg_refuses_to_write_alpha(void **state)
{
    (void)state;
    vn_tensor *img = make_image(4, 4, 4, 0);
    void *bytes = NULL;
    size_t n = 0;
    assert_int_equal(vn_image_encode("jpeg", img, NULL, &bytes, &n), VN_ERR_UNSUPPORTED);
    assert_non_null(strstr(vn_last_error(), "channels"));
    vn_tensor_destroy(img);
}
#endif

/* ------------------------------------------------------------------------ */
/* PNM                                                                      */

static void test_pnm_binary_maps_decode_exactly(void **state)
{
    (void)state;
    check_fixture("pnm_p5.pgm", "pnm_p5", NULL, 0);
    check_fixture("pnm_p6.ppm", "pnm_p6", NULL, 0);
    check_info("pnm_p6.ppm", 11, 5, 3, 8, "pnm");
}

static void test_pnm_ascii_maps_with_comments_decode(void **state)
{
    (void)state;
    check_fixture("pnm_p2.pgm", "pnm_p2", NULL, 0);
    check_fixture("pnm_p3.ppm", "pnm_p3", NULL, 0);
}

static void test_pnm_bitmaps_are_black_for_one(void **state)
{
    (void)state;
    check_fixture("pnm_p1.pbm", "pnm_p1", NULL, 0);
    check_fixture("pnm_p4.pbm", "pnm_p4", NULL, 0);
    check_info("pnm_p4.pbm", 11, 5, 1, 1, "pnm");
}

static void test_pnm_samples_are_scaled_by_maxval(void **state)
{
    (void)state;
    check_fixture("pnm_p5_maxval15.pgm", "pnm_p5_maxval15", NULL, 0);
    check_fixture("pnm_p5_16.pgm", "pnm_p5_16", NULL, 0);
    check_fixture("pnm_p6_4095.ppm", "pnm_p6_4095", NULL, 0);
    check_info("pnm_p6_4095.ppm", 11, 5, 3, 16, "pnm");
}

static void test_pnm_16bit_kept_as_i32_when_asked(void **state)
{
    (void)state;
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    opts.keep_16bit = 1;
    check_fixture("pnm_p5_16.pgm", "pnm_p5_16_16", &opts, 0);
    check_fixture("pnm_p6_4095.ppm", "pnm_p6_4095_16", &opts, 0);
    check_fixture("pnm_p2.pgm", "pnm_p2_16", &opts, 0);
    check_fixture("pnm_p5.pgm", "pnm_p5", &opts, 0); /* maxval 255 stays u8 */
}

static void test_pnm_round_trip_is_exact(void **state)
{
    (void)state;
    for (int c = 1; c <= 3; c += 2) {
        vn_tensor *img = make_image(5, 6, c, 9), *back = NULL;
        void *bytes = NULL;
        size_t n = 0;
        assert_int_equal(vn_image_encode("pnm", img, NULL, &bytes, &n), VN_OK);
        assert_memory_equal(bytes, c == 1 ? "P5\n6 5\n255\n" : "P6\n6 5\n255\n", 11);
        assert_int_equal(vn_image_decode(bytes, n, NULL, &back), VN_OK);
        assert_memory_equal(vn_tensor_data(back), vn_tensor_data(img), vn_tensor_nbytes(img));
        vn_free(bytes);
        vn_tensor_destroy(img);
        vn_tensor_destroy(back);
    }
}

static void test_pnm_written_sample_past_maxval_is_refused(void **state)
{
    (void)state;
    static const char p2[] = "P2\n2 1\n10\n3 11\n";
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_decode(p2, sizeof p2 - 1, NULL, &t), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "maxval"));
}

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */

static size_t g_largest;
static void *big_malloc(size_t n, void *u) { (void)u; if (n > g_largest) g_largest = n; return malloc(n); }
static void *big_realloc(void *p, size_t n, void *u) { (void)u; if (n > g_largest) g_largest = n; return realloc(p, n); }
static void big_free(void *p, void *u) { (void)u; free(p); }

static void test_pixel_limit_refuses_before_allocating(void **state)
{
    (void)state;
    static const char *files[] = {
#if VN_HAVE_PNG
        BAD "png_huge_dimensions.png",
        BAD "png_max_dimensions.png",
#endif
#if VN_HAVE_JPEG
        BAD "jpeg_huge_dimensions.jpg",
#endif
        BAD "pnm_huge_dimensions.pgm",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        g_largest = 0;
        assert_int_equal(vn_set_allocator(big_malloc, big_realloc, big_free, NULL), VN_OK);
        vn_tensor *t = NULL;
        vn_status s = vn_image_read(files[i], NULL, &t);
        vn_set_allocator(NULL, NULL, NULL, NULL);
        if (s != VN_ERR_LIMIT)
            fail_msg("%s: %s (%s)", files[i], vn_status_str(s), vn_last_error());
        assert_non_null(strstr(vn_last_error(), "limit"));
        assert_true(g_largest < 1024 * 1024);
    }
}

static void test_small_file_claiming_a_big_image_is_refused_before_allocating(void **state)
{
    (void)state;
    static const char *files[] = {
#if VN_HAVE_PNG
        BAD "png_small_file_claims_8000x8000.png",
#endif
#if VN_HAVE_JPEG
        BAD "jpeg_small_file_claims_8000x8000.jpg",
#endif
        BAD "pnm_p5_truncated.pgm",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        g_largest = 0;
        assert_int_equal(vn_set_allocator(big_malloc, big_realloc, big_free, NULL), VN_OK);
        vn_tensor *t = NULL;
        vn_status s = vn_image_read(files[i], NULL, &t);
        vn_set_allocator(NULL, NULL, NULL, NULL);
        if (s != VN_ERR_FORMAT)
            fail_msg("%s: %s (%s)", files[i], vn_status_str(s), vn_last_error());
        assert_true(g_largest < 1024 * 1024);
    }
}

static void test_lowered_pixel_limit_refuses_a_small_image(void **state)
{
    (void)state;
    uint64_t old = 0;
    vn_get_limit(VN_LIMIT_MAX_PIXELS, &old);
    assert_int_equal(vn_set_limit(VN_LIMIT_MAX_PIXELS, 54), VN_OK);
    vn_tensor *t = NULL;
    assert_int_equal(vn_image_read(IMAGES "pnm_p5.pgm", NULL, &t), VN_ERR_LIMIT); /* 11x5 = 55 */
    assert_int_equal(vn_set_limit(VN_LIMIT_MAX_PIXELS, 55), VN_OK);
    assert_int_equal(vn_image_read(IMAGES "pnm_p5.pgm", NULL, &t), VN_OK);
    vn_tensor_destroy(t);
    vn_set_limit(VN_LIMIT_MAX_PIXELS, old);
}

/* ------------------------------------------------------------------------ */
/* Channel conversion                                                       */

static void test_rgb_to_gray_matches_opencv_bt601(void **state)
{
    (void)state;
    static const uint8_t rgb[] = {10, 200, 30, 255, 255, 255, 0, 0, 0, 255, 0, 0,
                                  0, 255, 0, 0, 0, 255, 12, 34, 56, 128, 128, 127};
    /* cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) */
    static const uint8_t gray[] = {124, 255, 0, 76, 150, 29, 30, 128};
    vn_tensor *img = make_from(1, 8, 3, rgb), *g = NULL;
    assert_int_equal(vn_image_convert_channels(img, 1, &g), VN_OK);
    assert_int_equal(vn_tensor_dim(g, 2), 1);
    assert_memory_equal(vn_tensor_data(g), gray, 8);
    vn_tensor_destroy(g);
    vn_tensor_destroy(img);
}

static void test_rgb_to_gray_on_16bit_samples_uses_the_same_fixed_point(void **state)
{
    (void)state;
    int64_t shape[3] = {1, 4, 3};
    vn_tensor *img = NULL, *g = NULL;
    assert_int_equal(vn_tensor_create(VN_I32, 3, shape, &img), VN_OK);
    static const int32_t rgb[] = {1000, 60000, 30000, 65535, 65535, 65535, 65535, 0, 0, 123, 45678, 9012};
    memcpy(vn_tensor_data(img), rgb, sizeof rgb);
    assert_int_equal(vn_image_convert_channels(img, 2, &g), VN_OK);
    /* The 8-bit fixed point on 16-bit samples, (R*4899 + G*9617 + B*1868 +
     * 8192) >> 14, worked out by hand (cv2's 16-bit SIMD path differs by one
     * on the first and last pixels); alpha added opaque = 65535. */
    static const int32_t want[] = {38938, 65535, 65535, 65535, 19596, 65535, 27876, 65535};
    assert_memory_equal(vn_tensor_data(g), want, sizeof want);
    vn_tensor_destroy(g);
    vn_tensor_destroy(img);
}

static void test_gray_to_colour_replicates_and_adds_opaque_alpha(void **state)
{
    (void)state;
    static const uint8_t gray[] = {0, 77, 255};
    vn_tensor *img = make_from(1, 3, 1, gray), *rgba = NULL, *ga = NULL, *rgb = NULL;
    assert_int_equal(vn_image_convert_channels(img, 4, &rgba), VN_OK);
    static const uint8_t want4[] = {0, 0, 0, 255, 77, 77, 77, 255, 255, 255, 255, 255};
    assert_memory_equal(vn_tensor_data(rgba), want4, 12);
    assert_int_equal(vn_image_convert_channels(img, 2, &ga), VN_OK);
    static const uint8_t want2[] = {0, 255, 77, 255, 255, 255};
    assert_memory_equal(vn_tensor_data(ga), want2, 6);
    assert_int_equal(vn_image_convert_channels(img, 3, &rgb), VN_OK);
    static const uint8_t want3[] = {0, 0, 0, 77, 77, 77, 255, 255, 255};
    assert_memory_equal(vn_tensor_data(rgb), want3, 9);
    vn_tensor_destroy(img);
    vn_tensor_destroy(rgba);
    vn_tensor_destroy(ga);
    vn_tensor_destroy(rgb);
}

static void test_alpha_is_kept_or_discarded_never_composited(void **state)
{
    (void)state;
    static const uint8_t rgba[] = {10, 200, 30, 7, 255, 0, 0, 0};
    vn_tensor *img = make_from(1, 2, 4, rgba), *rgb = NULL, *ga = NULL, *g = NULL;
    assert_int_equal(vn_image_convert_channels(img, 3, &rgb), VN_OK);
    static const uint8_t want3[] = {10, 200, 30, 255, 0, 0};
    assert_memory_equal(vn_tensor_data(rgb), want3, 6);
    assert_int_equal(vn_image_convert_channels(img, 2, &ga), VN_OK);
    static const uint8_t want2[] = {124, 7, 76, 0}; /* cv2 grey of the RGB, alpha kept */
    assert_memory_equal(vn_tensor_data(ga), want2, 4);
    assert_int_equal(vn_image_convert_channels(img, 1, &g), VN_OK);
    static const uint8_t want1[] = {124, 76};
    assert_memory_equal(vn_tensor_data(g), want1, 2);
    vn_tensor_destroy(img);
    vn_tensor_destroy(rgb);
    vn_tensor_destroy(ga);
    vn_tensor_destroy(g);
}

static void test_gray_alpha_to_rgba_keeps_alpha(void **state)
{
    (void)state;
    static const uint8_t ga[] = {50, 9, 200, 255};
    vn_tensor *img = make_from(2, 1, 2, ga), *out = NULL, *g = NULL;
    assert_int_equal(vn_image_convert_channels(img, 4, &out), VN_OK);
    static const uint8_t want[] = {50, 50, 50, 9, 200, 200, 200, 255};
    assert_memory_equal(vn_tensor_data(out), want, 8);
    assert_int_equal(vn_image_convert_channels(img, 1, &g), VN_OK);
    static const uint8_t want1[] = {50, 200};
    assert_memory_equal(vn_tensor_data(g), want1, 2);
    vn_tensor_destroy(img);
    vn_tensor_destroy(out);
    vn_tensor_destroy(g);
}

static void test_convert_channels_refuses_bad_arguments(void **state)
{
    (void)state;
    vn_tensor *img = make_image(2, 2, 3, 0), *out = NULL;
    assert_int_equal(vn_image_convert_channels(img, 0, &out), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_convert_channels(img, 5, &out), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(img);
    int64_t shape[3] = {2, 2, 3};
    assert_int_equal(vn_tensor_create(VN_F32, 3, shape, &img), VN_OK);
    assert_int_equal(vn_image_convert_channels(img, 1, &out), VN_ERR_SHAPE);
    vn_tensor_destroy(img);
    img = make_image(2, 2, 5, 0);
    assert_int_equal(vn_image_convert_channels(img, 1, &out), VN_ERR_SHAPE);
    vn_tensor_destroy(img);
    assert_null(out);
}

#if VN_HAVE_PNG
static void test_decode_with_wanted_channels(void **state)
{
    (void)state;
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    opts.channels = 3;
    vn_tensor *t = NULL, *ref = NULL;
    assert_int_equal(vn_image_read(IMAGES "png_rgba8.png", &opts, &t), VN_OK);
    assert_int_equal(vn_image_read(IMAGES "png_rgba8.png", NULL, &ref), VN_OK);
    assert_int_equal(vn_tensor_dim(t, 2), 3);
    const uint8_t *a = vn_tensor_data(t), *b = vn_tensor_data(ref);
    for (size_t p = 0; p < 42; p++)
        assert_memory_equal(a + 3 * p, b + 4 * p, 3);
    vn_tensor_destroy(t);
    vn_tensor_destroy(ref);
    opts.channels = 4;
    assert_int_equal(vn_image_read(IMAGES "png_gray8.png", &opts, &t), VN_OK);
    assert_int_equal(vn_tensor_dim(t, 2), 4);
    assert_int_equal(((uint8_t *)vn_tensor_data(t))[3], 255);
    vn_tensor_destroy(t);
}
#endif

/* ------------------------------------------------------------------------ */
/* Writing files                                                            */

static const char *pick_ext(void)
{
#if VN_HAVE_PNG
    return "png";
#else
    return "pgm";
#endif
}

static void test_image_write_leaves_no_temporary_file(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/out.%s", g_tmpdir, pick_ext());
    vn_tensor *img = make_image(7, 5, 1, 4), *back = NULL;
    int before = count_dir_entries(g_tmpdir);
    assert_int_equal(vn_image_write(path, img, NULL), VN_OK);
    assert_int_equal(count_dir_entries(g_tmpdir), before + 1);
    assert_int_equal(vn_image_read(path, NULL, &back), VN_OK);
    assert_memory_equal(vn_tensor_data(back), vn_tensor_data(img), vn_tensor_nbytes(img));
    unlink(path);
    vn_tensor_destroy(img);
    vn_tensor_destroy(back);
}

static void test_image_write_failure_keeps_the_existing_file(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/keep.ppm", g_tmpdir);
    vn_tensor *img = make_image(3, 3, 3, 1), *rgba = make_image(3, 3, 4, 1);
    assert_int_equal(vn_image_write(path, img, NULL), VN_OK);
    size_t n1 = 0, n2 = 0;
    uint8_t *before = slurp(path, &n1);
    int entries = count_dir_entries(g_tmpdir);
    /* PNM cannot write four channels: the encode fails, nothing is written */
    assert_int_equal(vn_image_write(path, rgba, NULL), VN_ERR_UNSUPPORTED);
    assert_non_null(strstr(vn_last_error(), path));
    /* and a bad option fails before anything is touched */
    vn_encode_options eo = VN_ENCODE_OPTIONS_INIT;
    eo.quality = 0;
    assert_int_equal(vn_image_write(path, img, &eo), VN_ERR_INVALID_ARG);
    uint8_t *after = slurp(path, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(before, after, n1);
    assert_int_equal(count_dir_entries(g_tmpdir), entries);
    free(before);
    free(after);
    unlink(path);
    vn_tensor_destroy(img);
    vn_tensor_destroy(rgba);
}

static void test_image_write_into_a_missing_folder_is_an_io_error(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/no/such/folder/x.pgm", g_tmpdir);
    vn_tensor *img = make_image(2, 2, 1, 0);
    assert_int_equal(vn_image_write(path, img, NULL), VN_ERR_IO);
    vn_tensor_destroy(img);
}

static void test_image_write_picks_the_codec_by_extension(void **state)
{
    (void)state;
    char path[600];
    vn_tensor *img = make_image(2, 3, 1, 0);
    int before = count_dir_entries(g_tmpdir);
    snprintf(path, sizeof path, "%s/x.PGM", g_tmpdir);
    assert_int_equal(vn_image_write(path, img, NULL), VN_OK);
    size_t n = 0;
    uint8_t *bytes = slurp(path, &n);
    assert_memory_equal(bytes, "P5\n", 3);
    free(bytes);
    unlink(path);
    snprintf(path, sizeof path, "%s/x.xyz", g_tmpdir);
    assert_int_equal(vn_image_write(path, img, NULL), VN_ERR_UNSUPPORTED);
    assert_non_null(strstr(vn_last_error(), "xyz"));
    snprintf(path, sizeof path, "%s/noextension", g_tmpdir);
    assert_int_equal(vn_image_write(path, img, NULL), VN_ERR_UNSUPPORTED);
    assert_int_equal(count_dir_entries(g_tmpdir), before);
    vn_tensor_destroy(img);
}

static void test_two_dimensional_image_is_written_as_gray(void **state)
{
    (void)state;
    int64_t shape[2] = {2, 3};
    vn_tensor *img = NULL, *back = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 2, shape, &img), VN_OK);
    memcpy(vn_tensor_data(img), "\x01\x02\x03\x04\x05\x06", 6);
    void *bytes = NULL;
    size_t n = 0;
    assert_int_equal(vn_image_encode("pnm", img, NULL, &bytes, &n), VN_OK);
    assert_int_equal(vn_image_decode(bytes, n, NULL, &back), VN_OK);
    assert_int_equal(vn_tensor_ndim(back), 3);
    assert_int_equal(vn_tensor_dim(back, 2), 1);
    assert_memory_equal(vn_tensor_data(back), "\x01\x02\x03\x04\x05\x06", 6);
    vn_free(bytes);
    vn_tensor_destroy(img);
    vn_tensor_destroy(back);
}

static void test_encode_refuses_non_images(void **state)
{
    (void)state;
    int64_t shape[3] = {2, 2, 3};
    vn_tensor *img = NULL;
    void *bytes = NULL;
    size_t n = 0;
    assert_int_equal(vn_tensor_create(VN_F32, 3, shape, &img), VN_OK);
    assert_int_equal(vn_image_encode("pnm", img, NULL, &bytes, &n), VN_ERR_SHAPE);
    vn_tensor_destroy(img);
    img = make_image(2, 2, 3, 0);
    assert_int_equal(vn_image_encode("nosuchcodec", img, NULL, &bytes, &n), VN_ERR_UNSUPPORTED);
    assert_int_equal(vn_image_encode("pnm", img, NULL, NULL, &n), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(img);
    assert_null(bytes);
}

/* ------------------------------------------------------------------------ */
/* Damaged input                                                            */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool needs_missing_codec(const char *name)
{
    return (!VN_HAVE_PNG && strncmp(name, "png_", 4) == 0) ||
           (!VN_HAVE_JPEG && strncmp(name, "jpeg_", 5) == 0);
}

static void test_every_bad_file_fails_cleanly(void **state)
{
    (void)state;
    DIR *d = opendir(BAD);
    assert_non_null(d);
    struct dirent *e;
    int checked = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || has_suffix(e->d_name, ".npy"))
            continue;
        char path[600];
        snprintf(path, sizeof path, BAD "%s", e->d_name);
        vn_tensor *t = NULL;
        vn_clear_error();
        vn_status s = vn_image_read(path, NULL, &t);
        if (s != VN_ERR_FORMAT && s != VN_ERR_LIMIT && !(needs_missing_codec(e->d_name) && s != VN_OK))
            fail_msg("%s: %s (%s)", e->d_name, vn_status_str(s), vn_last_error());
        if (!vn_last_error()[0])
            fail_msg("%s: no error message", e->d_name);
        assert_null(t);
        checked++;
    }
    closedir(d);
    assert_true(checked >= 50);
}

/* Every proper prefix of a good binary file is refused (never decoded into
 * a plausible picture, never read past its end: run under ASan / valgrind). */
static void check_prefixes(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, IMAGES "%s", file);
    size_t n = 0;
    uint8_t *bytes = slurp(path, &n);
    assert_non_null(bytes);
    for (size_t len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
        memcpy(copy, bytes, len);
        vn_tensor *t = NULL;
        vn_status s = vn_image_decode(copy, len, NULL, &t);
        if (s == VN_OK)
            fail_msg("%s cut to %zu of %zu bytes decoded", file, len, n);
        free(copy);
    }
    free(bytes);
}

static void test_every_truncation_of_a_good_file_fails(void **state)
{
    (void)state;
#if VN_HAVE_PNG
    check_prefixes("png_rgb8_interlaced.png");
    check_prefixes("png_pal8_trns.png");
#endif
#if VN_HAVE_JPEG
    check_prefixes("jpeg_baseline.jpg");
    check_prefixes("jpeg_progressive.jpg");
#endif
    check_prefixes("pnm_p6.ppm");
    check_prefixes("pnm_p5_16.pgm");
    check_prefixes("pnm_p4.pbm");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_codecs_are_registered),
        cmocka_unit_test(test_own_codec_reads_through_image_read),
        cmocka_unit_test(test_duplicate_codec_name_is_refused),
        cmocka_unit_test(test_unregistered_codec_no_longer_decodes),
        cmocka_unit_test(test_codec_registration_checks_the_vtable),
        cmocka_unit_test(test_codec_fields_past_its_size_are_ignored),
        cmocka_unit_test(test_highest_probe_score_wins),
        cmocka_unit_test(test_registry_converts_channels_the_codec_ignored),
        cmocka_unit_test(test_pixel_limit_is_checked_before_decode_is_called),
        cmocka_unit_test(test_codec_failing_silently_still_leaves_a_message),
        cmocka_unit_test(test_unknown_bytes_are_a_format_error_naming_them),
        cmocka_unit_test(test_decode_options_are_validated),
        cmocka_unit_test(test_registry_is_thread_safe),
#if VN_HAVE_PNG
        cmocka_unit_test(test_png_named_jpg_decodes_by_content),
        cmocka_unit_test(test_png_8bit_colour_types_decode_exactly),
        cmocka_unit_test(test_png_low_bit_grey_is_scaled_to_8_bits),
        cmocka_unit_test(test_png_16bit_is_rounded_to_8_bits),
        cmocka_unit_test(test_png_16bit_kept_as_i32_when_asked),
        cmocka_unit_test(test_png_palettes_are_expanded),
        cmocka_unit_test(test_png_trns_becomes_an_alpha_channel),
        cmocka_unit_test(test_png_interlaced_images_are_deinterlaced),
        cmocka_unit_test(test_png_ancillary_chunks_are_skipped),
        cmocka_unit_test(test_png_info_reports_stored_depth_and_expanded_channels),
        cmocka_unit_test(test_png_round_trip_is_exact),
        cmocka_unit_test(test_decode_with_wanted_channels),
#endif
#if VN_HAVE_JPEG
        cmocka_unit_test(test_jpeg_baseline_matches_cv2),
        cmocka_unit_test(test_jpeg_progressive_matches_cv2),
        cmocka_unit_test(test_jpeg_scans_are_capped_at_256),
        cmocka_unit_test(test_jpeg_grayscale_is_one_channel),
        cmocka_unit_test(test_jpeg_adobe_cmyk_is_converted_to_rgb),
        cmocka_unit_test(test_jpeg_round_trip_is_close),
        cmocka_unit_test(test_jpeg_lower_quality_gives_fewer_bytes),
        cmocka_unit_test(test_jpeg_refuses_to_write_alpha),
#endif
        cmocka_unit_test(test_pnm_binary_maps_decode_exactly),
        cmocka_unit_test(test_pnm_ascii_maps_with_comments_decode),
        cmocka_unit_test(test_pnm_bitmaps_are_black_for_one),
        cmocka_unit_test(test_pnm_samples_are_scaled_by_maxval),
        cmocka_unit_test(test_pnm_16bit_kept_as_i32_when_asked),
        cmocka_unit_test(test_pnm_round_trip_is_exact),
        cmocka_unit_test(test_pnm_written_sample_past_maxval_is_refused),
        cmocka_unit_test(test_pixel_limit_refuses_before_allocating),
        cmocka_unit_test(test_small_file_claiming_a_big_image_is_refused_before_allocating),
        cmocka_unit_test(test_lowered_pixel_limit_refuses_a_small_image),
        cmocka_unit_test(test_rgb_to_gray_matches_opencv_bt601),
        cmocka_unit_test(test_rgb_to_gray_on_16bit_samples_uses_the_same_fixed_point),
        cmocka_unit_test(test_gray_to_colour_replicates_and_adds_opaque_alpha),
        cmocka_unit_test(test_alpha_is_kept_or_discarded_never_composited),
        cmocka_unit_test(test_gray_alpha_to_rgba_keeps_alpha),
        cmocka_unit_test(test_convert_channels_refuses_bad_arguments),
        cmocka_unit_test(test_image_write_leaves_no_temporary_file),
        cmocka_unit_test(test_image_write_failure_keeps_the_existing_file),
        cmocka_unit_test(test_image_write_into_a_missing_folder_is_an_io_error),
        cmocka_unit_test(test_image_write_picks_the_codec_by_extension),
        cmocka_unit_test(test_two_dimensional_image_is_written_as_gray),
        cmocka_unit_test(test_encode_refuses_non_images),
        cmocka_unit_test(test_every_bad_file_fails_cleanly),
        cmocka_unit_test(test_every_truncation_of_a_good_file_fails),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
