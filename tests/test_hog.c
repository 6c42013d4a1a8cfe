/* test_hog.c - HOG (visionnet/features.h): both conventions against their
 * reference libraries, the descriptor's size and layout, caller memory,
 * dense windows, the string constructor, refusals, and the picture.
 *
 * Expected values are tests/data/hog/<case>_y.npy, made from <case>_x.npy
 * by scikit-image 0.19 and OpenCV 4.6 in tests/data/make_hog_refs.py; the
 * parameters of each case are stated in that script's table and again
 * here. Tolerances are the conformance set's (README section 3): skimage
 * rtol 1e-4 atol 1e-5; OpenCV atol 1e-5 (this library follows OpenCV's
 * polynomial atan2, so the strict bound holds). */
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

#include <visionnet.h>
#include "features/hog_internal.h"

#define DIR VN_TEST_DATA "/hog/"

static vn_tensor *load(const char *name, const char *suffix)
{
    char path[512];
    snprintf(path, sizeof path, DIR "%s%s", name, suffix);
    vn_tensor *t = NULL;
    if (vn_tensor_load_npy(path, &t) != VN_OK)
        fail_msg("%s: %s", path, vn_last_error());
    return t;
}

/* Every |got[i] - want[i]| <= atol + rtol * |want[i]|. */
static void assert_floats_close(const float *got, const float *want, size_t n, double atol, double rtol)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - want[i]) <= atol + rtol * fabs((double)want[i])) && bad++ == 0)
            first = i;
    if (bad)
        fail_msg("%zu of %zu values differ; first at %zu: got %.9g, want %.9g", bad, n, first,
                 (double)got[first], (double)want[first]);
}

static vn_hog *make(const vn_hog_options *o)
{
    vn_hog *h = NULL;
    if (vn_hog_create(o, &h) != VN_OK)
        fail_msg("vn_hog_create: %s", vn_last_error());
    return h;
}

/* Descriptor of <name>_x with options o equals <name>_y. */
static void check_case(const char *name, const vn_hog_options *o, double atol, double rtol)
{
    vn_tensor *x = load(name, "_x.npy"), *want = load(name, "_y.npy");
    vn_hog *h = make(o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    size_t n = vn_hog_get_size(h);
    assert_int_equal(n, vn_tensor_numel(want));
    float *got = malloc(n * sizeof *got);
    assert_int_equal(vn_hog_extract(h, got, n), VN_OK);
    assert_floats_close(got, vn_tensor_data_const(want), n, atol, rtol);
    free(got);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
}

static vn_hog_options sk(int orientations, int ch, int cw, int bh, int bw, vn_hog_norm norm)
{
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    o.orientations = orientations;
    o.cell_h = ch;
    o.cell_w = cw;
    o.block_h = bh;
    o.block_w = bw;
    o.norm = norm;
    return o;
}

#define SK_ATOL 1e-5
#define SK_RTOL 1e-4
#define CV_ATOL 1e-5

/* ---- skimage convention ------------------------------------------------- */

static void test_skimage_6_orientations_6x6_cells_3x3_blocks_l1_partial_cells(void **state)
{
    (void)state;
    vn_hog_options o = sk(6, 6, 6, 3, 3, VN_HOG_NORM_L1);
    check_case("sk_o6_c6_b3_l1_61x77", &o, SK_ATOL, SK_RTOL);
}

static void test_skimage_12_orientations_4x8_cells_l1sqrt_with_sqrt_transform(void **state)
{
    (void)state;
    vn_hog_options o = sk(12, 4, 8, 2, 2, VN_HOG_NORM_L1_SQRT);
    o.sqrt_transform = 1;
    check_case("sk_o12_c4x8_b2_l1sqrt_sqrt_50x70", &o, SK_ATOL, SK_RTOL);
}

static void test_skimage_rgb_takes_strongest_channel_l2(void **state)
{
    (void)state;
    vn_hog_options o = sk(9, 8, 8, 2, 2, VN_HOG_NORM_L2);
    check_case("sk_o9_c8_b2_l2_rgb_48x64", &o, SK_ATOL, SK_RTOL);
}

static void test_skimage_7_orientations_5x6_cells_2x3_blocks_l2hys(void **state)
{
    (void)state;
    vn_hog_options o = sk(7, 5, 6, 2, 3, VN_HOG_NORM_L2_HYS);
    check_case("sk_o7_c5x6_b2x3_l2hys_41x53", &o, SK_ATOL, SK_RTOL);
}

static void test_skimage_u8_image_is_used_as_0_to_255_values(void **state)
{
    (void)state;
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    check_case("sk_u8_48x64", &o, SK_ATOL, SK_RTOL);
}

static void test_skimage_cell_histograms_match_hog_histograms(void **state)
{
    (void)state;
    vn_tensor *x = load("sk_o6_c6_b3_l1_61x77", "_x.npy");
    vn_tensor *want = load("sk_o6_c6_b3_l1_61x77", "_cells.npy"); /* [10, 12, 6] */
    vn_hog_options o = sk(6, 6, 6, 3, 3, VN_HOG_NORM_L1);
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    float *cells = malloc(vn_tensor_numel(want) * sizeof *cells);
    assert_int_equal(vn__hog_cells(h, 0, 0, 10, 12, cells), VN_OK);
    assert_floats_close(cells, vn_tensor_data_const(want), vn_tensor_numel(want), 1e-7, 1e-5);
    free(cells);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
}

/* Bins written down: 9 unsigned bins of 20 degrees, angle = atan2(gy, gx)
 * with rows down; 180 (pointing left) is bin 0; a zero gradient is bin 0. */
static void test_skimage_hard_bins_follow_half_open_intervals(void **state)
{
    (void)state;
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog *h = make(&o);
    const float gx[] = {1, -1, 0, 0, 1, 1, -1, -1, 0, 1};
    const float gy[] = {0, 0, 1, -1, 1, -1, 1, -1, 0, 0.3639702f /* tan 20 deg ~ edge */};
    /* 0, 180->0, 90, -90->90, 45, -45->135, 135, -135->45, 0/0, ~20 */
    const uint8_t want[] = {0, 0, 4, 4, 2, 6, 6, 2, 0, 0};
    float mag[10];
    uint8_t bin[10];
    vn__hog_bin_hard(h, 10, gx, gy, mag, bin);
    for (int i = 0; i < 9; i++)
        assert_int_equal(bin[i], want[i]);
    assert_true(bin[9] == 0 || bin[9] == 1); /* on the edge within float rounding */
    assert_float_equal(mag[4], sqrtf(2.0f), 1e-6);
    vn_hog_destroy(h);
}

static void test_skimage_dense_windows_see_the_whole_image(void **state)
{
    (void)state;
    /* default parameters, 32x24 windows every 8 rows and 16 columns */
    vn_tensor *x = load("sk_dense_64x72_win32x24_stride8x16", "_x.npy");
    vn_tensor *want = load("sk_dense_64x72_win32x24_stride8x16", "_y.npy"); /* [5, 4, 216] */
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    vn_tensor *got = NULL;
    assert_int_equal(vn_hog_extract_dense(h, 32, 24, 8, 16, &got), VN_OK);
    assert_int_equal(vn_tensor_ndim(got), 3);
    assert_int_equal(vn_tensor_dim(got, 0), 5);
    assert_int_equal(vn_tensor_dim(got, 1), 4);
    assert_int_equal(vn_tensor_dim(got, 2), 216);
    assert_floats_close(vn_tensor_data_const(got), vn_tensor_data_const(want), vn_tensor_numel(want), SK_ATOL,
                        SK_RTOL);
    vn_tensor_destroy(got);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
}

/* ---- OpenCV convention -------------------------------------------------- */

static void test_opencv_signed_gradients_match_signedGradient(void **state)
{
    (void)state;
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    o.signed_gradients = 1;
    check_case("cv_signed_128x64", &o, CV_ATOL, 0);
}

static void test_opencv_rgb_takes_strongest_channel(void **state)
{
    (void)state;
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    check_case("cv_rgb_128x64", &o, CV_ATOL, 0);
}

static void test_opencv_3x3_blocks_12_bins_without_gamma(void **state)
{
    (void)state;
    /* HOGDescriptor((48,96), (24,24), (8,8), (8,8), 12, L2HysThreshold 0.25, gamma off) */
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    o.orientations = 12;
    o.block_h = o.block_w = 3;
    o.l2hys_threshold = 0.25f;
    o.sqrt_transform = 0;
    check_case("cv_b3_o12_nogamma_96x48", &o, CV_ATOL, 0);
}

static void test_opencv_6x6_cells_with_window_sigma(void **state)
{
    (void)state;
    /* HOGDescriptor((42,60), (12,12), (6,6), (6,6), 9, winSigma 2.5) */
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    o.cell_h = o.cell_w = 6;
    o.window_sigma = 2.5f;
    check_case("cv_c6_sigma_60x42", &o, CV_ATOL, 0);
}

static void check_opencv_dense(const char *name, int stride_y, int stride_x, int ny, int nx)
{
    vn_tensor *x = load(name, "_x.npy"), *want = load(name, "_y.npy");
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    vn_tensor *got = NULL;
    assert_int_equal(vn_hog_extract_dense(h, 128, 64, stride_y, stride_x, &got), VN_OK);
    assert_int_equal(vn_tensor_dim(got, 0), ny);
    assert_int_equal(vn_tensor_dim(got, 1), nx);
    assert_int_equal(vn_tensor_dim(got, 2), 3780);
    assert_floats_close(vn_tensor_data_const(got), vn_tensor_data_const(want), vn_tensor_numel(want), CV_ATOL, 0);
    vn_tensor_destroy(got);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
}

static void test_opencv_dense_matches_compute_with_winStride(void **state)
{
    (void)state;
    /* compute(img, winStride=(8, 16)) on 150x100: 2 x 5 windows */
    check_opencv_dense("cv_dense_150x100_stride8x16", 16, 8, 2, 5);
}

static void test_opencv_dense_with_stride_off_the_block_grid(void **state)
{
    (void)state;
    /* compute(img, winStride=(12, 4)) on 140x76: 4 x 2 windows */
    check_opencv_dense("cv_dense_140x76_stride12x4", 4, 12, 4, 2);
}

/* OpenCV's fastAtan2 written down: exact on the axes, ~0.01 degree off
 * elsewhere, in [0, 360). */
static void test_opencv_fast_atan2_is_within_a_hundredth_of_a_degree(void **state)
{
    (void)state;
    assert_float_equal(vn__hog_fast_atan2(0, 1), 0.0f, 1e-6);
    assert_float_equal(vn__hog_fast_atan2(1, 0), 90.0f, 1e-4);
    assert_float_equal(vn__hog_fast_atan2(0, -1), 180.0f, 1e-4);
    assert_float_equal(vn__hog_fast_atan2(-1, 0), 270.0f, 1e-4);
    assert_float_equal(vn__hog_fast_atan2(1, 1), 45.0f, 0.01);
    assert_float_equal(vn__hog_fast_atan2(-1, 2), 360.0f - 26.565051f, 0.01);
}

/* ---- size, memory, strings, refusals ------------------------------------ */

static void test_size_query_counts_blocks_times_block_length(void **state)
{
    (void)state;
    vn_tensor *img = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 2, (int64_t[]){70, 93}, &img), VN_OK);
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_get_size(h), 0); /* no image yet */
    assert_int_equal(vn_hog_put_image(h, img), VN_OK);
    /* 8 x 11 cells, 7 x 10 blocks of 2*2*9 */
    assert_int_equal(vn_hog_get_size(h), 2520);
    int by, bx, len;
    assert_int_equal(vn_hog_get_grid(h, &by, &bx, &len), VN_OK);
    assert_int_equal(by, 7);
    assert_int_equal(bx, 10);
    assert_int_equal(len, 36);
    vn_hog_destroy(h);
    vn_tensor_destroy(img);
}

static void test_extract_writes_only_the_descriptor_into_caller_memory(void **state)
{
    (void)state;
    vn_tensor *x = load("sk_u8_48x64", "_x.npy");
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    size_t n = vn_hog_get_size(h);
    float *buf = malloc((n + 4) * sizeof *buf);
    for (size_t i = 0; i < n + 4; i++)
        buf[i] = -7.0f;
    assert_int_equal(vn_hog_extract(h, buf, n - 1), VN_ERR_INVALID_ARG); /* too small */
    assert_true(buf[0] == -7.0f);
    assert_int_equal(vn_hog_extract(h, buf, n + 4), VN_OK);
    for (size_t i = n; i < n + 4; i++)
        assert_true(buf[i] == -7.0f);
    assert_true(buf[0] >= 0.0f);
    free(buf);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
}

static void test_image_smaller_than_a_block_is_refused(void **state)
{
    (void)state;
    vn_tensor *img = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 2, (int64_t[]){15, 40}, &img), VN_OK);
    vn_hog_options o = VN_HOG_OPTIONS_INIT; /* 16x16 blocks */
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, img), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "15x40"));
    assert_int_equal(vn_hog_get_size(h), 0);
    vn_hog_destroy(h);
    vn_tensor_destroy(img);
}

static void test_two_channel_and_i32_images_are_refused(void **state)
{
    (void)state;
    vn_tensor *a = NULL, *b = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, (int64_t[]){32, 32, 2}, &a), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 2, (int64_t[]){32, 32}, &b), VN_OK);
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, a), VN_ERR_SHAPE);
    assert_int_equal(vn_hog_put_image(h, b), VN_ERR_SHAPE);
    vn_hog_destroy(h);
    vn_tensor_destroy(a);
    vn_tensor_destroy(b);
}

static void test_bad_options_are_refused_with_reason(void **state)
{
    (void)state;
    vn_hog *h = NULL;
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    o.orientations = 1;
    assert_int_equal(vn_hog_create(&o, &h), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "orientations"));
    o = (vn_hog_options)VN_HOG_OPTIONS_INIT;
    o.block_stride_h = 3; /* more than the block */
    assert_int_equal(vn_hog_create(&o, &h), VN_ERR_INVALID_ARG);
    o = (vn_hog_options)VN_HOG_OPTIONS_INIT;
    o.size = 8;
    assert_int_equal(vn_hog_create(&o, &h), VN_ERR_INVALID_ARG);
    assert_null(h);
}

static void test_string_constructor_reads_every_key(void **state)
{
    (void)state;
    vn_hog *h = NULL;
    assert_int_equal(vn_hog_create_from_string("convention=opencv orientations=12 cell=6x4 block=3 stride=1x2 "
                                               "norm=l1sqrt threshold=0.3 signed=1 sqrt=0 sigma=2.5", &h),
                     VN_OK);
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    assert_int_equal(vn_hog_get_options(h, &o), VN_OK);
    assert_int_equal(o.convention, VN_HOG_OPENCV);
    assert_int_equal(o.orientations, 12);
    assert_int_equal(o.cell_h, 6);
    assert_int_equal(o.cell_w, 4);
    assert_int_equal(o.block_h, 3);
    assert_int_equal(o.block_w, 3);
    assert_int_equal(o.block_stride_h, 1);
    assert_int_equal(o.block_stride_w, 2);
    assert_int_equal(o.norm, VN_HOG_NORM_L1_SQRT);
    assert_float_equal(o.l2hys_threshold, 0.3f, 0);
    assert_int_equal(o.signed_gradients, 1);
    assert_int_equal(o.sqrt_transform, 0);
    assert_float_equal(o.window_sigma, 2.5f, 0);
    vn_hog_destroy(h);
}

static void test_string_constructor_opencv_defaults_to_gamma(void **state)
{
    (void)state;
    vn_hog *h = NULL;
    assert_int_equal(vn_hog_create_from_string("cell=8 convention=opencv", &h), VN_OK);
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog_get_options(h, &o);
    assert_int_equal(o.sqrt_transform, 1);
    assert_int_equal(o.norm, VN_HOG_NORM_L2_HYS);
    vn_hog_destroy(h);
}

static void test_string_constructor_refuses_unknown_key_and_bad_value(void **state)
{
    (void)state;
    vn_hog *h = NULL;
    assert_int_equal(vn_hog_create_from_string("orientation=9", &h), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "orientation=9"));
    assert_int_equal(vn_hog_create_from_string("cell=8x", &h), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_hog_create_from_string("norm=l3", &h), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_hog_create_from_string("convention=vlfeat", &h), VN_ERR_INVALID_ARG);
    assert_null(h);
}

static void test_one_extractor_takes_images_of_different_sizes(void **state)
{
    (void)state;
    vn_tensor *a = load("sk_u8_48x64", "_x.npy"), *want = load("sk_u8_48x64", "_y.npy");
    vn_tensor *b = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 2, (int64_t[]){100, 30}, &b), VN_OK);
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, b), VN_OK);
    assert_int_equal(vn_hog_get_size(h), 11 * 2 * 36);
    assert_int_equal(vn_hog_put_image(h, a), VN_OK);
    size_t n = vn_hog_get_size(h);
    float *got = malloc(n * sizeof *got);
    assert_int_equal(vn_hog_extract(h, got, n), VN_OK);
    assert_floats_close(got, vn_tensor_data_const(want), n, SK_ATOL, SK_RTOL);
    free(got);
    vn_hog_destroy(h);
    vn_tensor_destroy(a);
    vn_tensor_destroy(b);
    vn_tensor_destroy(want);
}

static void test_result_does_not_depend_on_thread_count(void **state)
{
    (void)state;
    vn_tensor *x = load("cv_dense_150x100_stride8x16", "_x.npy");
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    size_t n = vn_hog_get_size(h);
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    int saved = vn_get_num_threads();
    vn_set_num_threads(1);
    assert_int_equal(vn_hog_extract(h, a, n), VN_OK);
    vn_set_num_threads(4);
    assert_int_equal(vn_hog_extract(h, b, n), VN_OK);
    vn_set_num_threads(saved);
    assert_memory_equal(a, b, n * sizeof *a);
    free(a);
    free(b);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
}

/* ---- the picture -------------------------------------------------------- */

static void test_render_at_cell_size_matches_skimage_visualize(void **state)
{
    (void)state;
    vn_tensor *x = load("sk_render_64x80", "_x.npy"), *want = load("sk_render_64x80", "_y.npy");
    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    vn_tensor *pic = NULL;
    assert_int_equal(vn_hog_render(h, 0, &pic), VN_OK);
    assert_int_equal(vn_tensor_dtype(pic), VN_U8);
    assert_int_equal(vn_tensor_dim(pic, 0), 64);
    assert_int_equal(vn_tensor_dim(pic, 1), 80);
    const uint8_t *p = vn_tensor_data_const(pic);
    const float *w = vn_tensor_data_const(want);
    size_t bad = 0;
    for (size_t i = 0; i < 64 * 80; i++)
        bad += fabs(p[i] - 255.0 * w[i]) > 1.0;
    assert_int_equal(bad, 0);
    vn_tensor_destroy(pic);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
}

static void test_render_enlarged_has_glyphs_in_every_textured_cell(void **state)
{
    (void)state;
    vn_tensor *x = load("cv_rgb_128x64", "_x.npy");
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    vn_hog *h = make(&o);
    assert_int_equal(vn_hog_put_image(h, x), VN_OK);
    vn_tensor *pic = NULL;
    assert_int_equal(vn_hog_render(h, 20, &pic), VN_OK);
    assert_int_equal(vn_tensor_dim(pic, 0), 16 * 20);
    assert_int_equal(vn_tensor_dim(pic, 1), 8 * 20);
    const uint8_t *p = vn_tensor_data_const(pic);
    uint8_t mx = 0;
    size_t lit = 0;
    for (size_t i = 0; i < 320 * 160; i++) {
        mx = p[i] > mx ? p[i] : mx;
        lit += p[i] > 0;
    }
    assert_int_equal(mx, 255);
    assert_true(lit > 320 * 160 / 20); /* lines, not dots */
    assert_true(lit < 320 * 160 / 2);  /* lines, not a fill */
    /* a cell's centre is on every glyph line */
    assert_true(p[10 * 160 + 10] > 0);
    assert_int_equal(vn_hog_render(h, 2, &pic), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(pic);
    vn_hog_destroy(h);
    vn_tensor_destroy(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skimage_6_orientations_6x6_cells_3x3_blocks_l1_partial_cells),
        cmocka_unit_test(test_skimage_12_orientations_4x8_cells_l1sqrt_with_sqrt_transform),
        cmocka_unit_test(test_skimage_rgb_takes_strongest_channel_l2),
        cmocka_unit_test(test_skimage_7_orientations_5x6_cells_2x3_blocks_l2hys),
        cmocka_unit_test(test_skimage_u8_image_is_used_as_0_to_255_values),
        cmocka_unit_test(test_skimage_cell_histograms_match_hog_histograms),
        cmocka_unit_test(test_skimage_hard_bins_follow_half_open_intervals),
        cmocka_unit_test(test_skimage_dense_windows_see_the_whole_image),
        cmocka_unit_test(test_opencv_signed_gradients_match_signedGradient),
        cmocka_unit_test(test_opencv_rgb_takes_strongest_channel),
        cmocka_unit_test(test_opencv_3x3_blocks_12_bins_without_gamma),
        cmocka_unit_test(test_opencv_6x6_cells_with_window_sigma),
        cmocka_unit_test(test_opencv_dense_matches_compute_with_winStride),
        cmocka_unit_test(test_opencv_dense_with_stride_off_the_block_grid),
        cmocka_unit_test(test_opencv_fast_atan2_is_within_a_hundredth_of_a_degree),
        cmocka_unit_test(test_size_query_counts_blocks_times_block_length),
        cmocka_unit_test(test_extract_writes_only_the_descriptor_into_caller_memory),
        cmocka_unit_test(test_image_smaller_than_a_block_is_refused),
        cmocka_unit_test(test_two_channel_and_i32_images_are_refused),
        cmocka_unit_test(test_bad_options_are_refused_with_reason),
        cmocka_unit_test(test_string_constructor_reads_every_key),
        cmocka_unit_test(test_string_constructor_opencv_defaults_to_gamma),
        cmocka_unit_test(test_string_constructor_refuses_unknown_key_and_bad_value),
        cmocka_unit_test(test_one_extractor_takes_images_of_different_sizes),
        cmocka_unit_test(test_result_does_not_depend_on_thread_count),
        cmocka_unit_test(test_render_at_cell_size_matches_skimage_visualize),
        cmocka_unit_test(test_render_enlarged_has_glyphs_in_every_textured_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
