/* test_image_ops.c - preprocessing: resize, grey, crop / centre crop / flip,
 * affine warp / rotate, u8 HWC <-> f32 CHW.
 *
 * Expected values are tests/data/image_ops/<case>_y.npy, made from
 * <case>_x.npy by OpenCV 4.6 / PyTorch 1.13 / scikit-image 0.19 (or
 * torchvision's formulas written out) in tests/data/make_image_ops.py; the
 * case names carry the sizes, and the parameters are stated here and there.
 * A few small cases are written down literally. */
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

#define DIR VN_TEST_DATA "/image_ops/"

static vn_tensor *load(const char *name, const char *suffix)
{
    char path[512];
    snprintf(path, sizeof path, DIR "%s%s", name, suffix);
    vn_tensor *t = NULL;
    vn_status s = vn_tensor_load_npy(path, &t);
    if (s != VN_OK)
        fail_msg("%s: %s", path, vn_last_error());
    return t;
}

static void load_matrix(const char *name, double m[6])
{
    char path[512];
    snprintf(path, sizeof path, DIR "%s_m.txt", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    for (int i = 0; i < 6; i++)
        assert_int_equal(fscanf(f, "%lf", &m[i]), 1);
    fclose(f);
}

static double at(const vn_tensor *t, size_t i)
{
    const void *d = vn_tensor_data_const(t);
    switch (vn_tensor_dtype(t)) {
    case VN_F32: return ((const float *)d)[i];
    case VN_U8: return ((const uint8_t *)d)[i];
    case VN_I32: return ((const int32_t *)d)[i];
    }
    return NAN;
}

/* Same dtype and shape, every |got - want| <= atol + rtol * |want|. */
static void assert_close(const vn_tensor *got, const vn_tensor *want, double atol, double rtol)
{
    assert_int_equal(vn_tensor_dtype(got), vn_tensor_dtype(want));
    assert_int_equal(vn_tensor_ndim(got), vn_tensor_ndim(want));
    for (int i = 0; i < vn_tensor_ndim(want); i++)
        assert_int_equal(vn_tensor_dim(got, i), vn_tensor_dim(want, i));
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < vn_tensor_numel(want); i++) {
        double g = at(got, i), w = at(want, i);
        if (!(fabs(g - w) <= atol + rtol * fabs(w)) && bad++ == 0)
            first = i;
    }
    if (bad)
        fail_msg("%zu of %zu elements differ; first at flat index %zu: got %.9g, want %.9g", bad,
                 vn_tensor_numel(want), first, at(got, first), at(want, first));
}

/* ---- resize ------------------------------------------------------------- */

/* Resize <name>_x to the size of <name>_y and compare. */
static void check_resize(const char *name, vn_interp interp, double atol)
{
    vn_tensor *x = load(name, "_x.npy"), *want = load(name, "_y.npy"), *got = NULL;
    int nd = vn_tensor_ndim(want);
    bool planar = vn_tensor_dtype(x) == VN_F32;
    int oh = (int)vn_tensor_dim(want, planar ? nd - 2 : 0);
    int ow = (int)vn_tensor_dim(want, planar ? nd - 1 : 1);
    vn_status s = vn_image_resize(x, oh, ow, interp, &got);
    if (s != VN_OK)
        fail_msg("%s: %s", name, vn_last_error());
    assert_close(got, want, atol, planar ? 1e-6 : 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

/* u8 results equal cv2.resize exactly (the conformance set allows 1). */
static void test_resize_u8_linear_downscale_non_integer_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_linear_down_37x53x3_to_20x29", VN_INTERP_BILINEAR, 0);
}

static void test_resize_u8_linear_upscale_gray_2d_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_linear_up_13x17_to_31x40", VN_INTERP_BILINEAR, 0);
}

static void test_resize_u8_linear_exact_half_averages_2x2_like_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_linear_half_24x30x4_to_12x15", VN_INTERP_BILINEAR, 0);
}

static void test_resize_u8_linear_four_channels_mixed_factors_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_linear_4ch_9x14x4_to_16x5", VN_INTERP_BILINEAR, 0);
}

static void test_resize_u8_linear_one_pixel_image_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_linear_1x1x3_to_5x7", VN_INTERP_BILINEAR, 0);
}

static void test_resize_u8_area_downscale_non_integer_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_area_down_45x61x3_to_17x23", VN_INTERP_AREA, 0);
}

static void test_resize_u8_area_integer_factor_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_area_third_27x33_to_9x11", VN_INTERP_AREA, 0);
}

static void test_resize_u8_area_half_two_channels_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_area_half_2ch_20x22x2_to_10x11", VN_INTERP_AREA, 0);
}

static void test_resize_u8_area_upscale_is_opencv_bilinear_variant(void **state)
{
    (void)state;
    check_resize("resize_u8_area_up_11x14x3_to_29x33", VN_INTERP_AREA, 0);
}

static void test_resize_u8_area_shrink_one_axis_grow_other_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_area_mixed_10x40x3_to_25x13", VN_INTERP_AREA, 0);
}

static void test_resize_u8_nearest_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_nearest_19x23x3_to_41x10", VN_INTERP_NEAREST, 0);
}

static void test_resize_u8_bicubic_upscale_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_cubic_up_15x18x3_to_37x29", VN_INTERP_BICUBIC, 0);
}

static void test_resize_u8_bicubic_downscale_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_cubic_down_40x50_to_17x21", VN_INTERP_BICUBIC, 0);
}

static void test_resize_u8_bicubic_one_column_image_matches_cv2(void **state)
{
    (void)state;
    check_resize("resize_u8_cubic_7x1_to_3x4", VN_INTERP_BICUBIC, 0);
}

static void test_resize_to_same_size_is_a_copy(void **state)
{
    (void)state;
    vn_tensor *x = load("resize_u8_cubic_up_15x18x3_to_37x29", "_x.npy");
    for (int m = VN_INTERP_NEAREST; m <= VN_INTERP_BICUBIC; m++) {
        vn_tensor *y = NULL;
        assert_int_equal(vn_image_resize(x, 15, 18, (vn_interp)m, &y), VN_OK);
        assert_close(y, x, 0, 0);
        vn_tensor_destroy(y);
    }
    vn_tensor_destroy(x);
}

/* f32 results match F.interpolate computed in float64, within 1e-6. */
static void test_resize_f32_bilinear_downscale_nchw_matches_torch(void **state)
{
    (void)state;
    check_resize("resize_f32_bilinear_down_2x3x23x31_to_10x13", VN_INTERP_BILINEAR, 1e-6);
}

static void test_resize_f32_bilinear_upscale_chw_matches_torch(void **state)
{
    (void)state;
    check_resize("resize_f32_bilinear_up_3x7x9_to_20x17", VN_INTERP_BILINEAR, 1e-6);
}

static void test_resize_f32_bilinear_one_pixel_plane_matches_torch(void **state)
{
    (void)state;
    check_resize("resize_f32_bilinear_1x1_to_4x3", VN_INTERP_BILINEAR, 1e-6);
}

static void test_resize_f32_bicubic_upscale_matches_torch(void **state)
{
    (void)state;
    check_resize("resize_f32_bicubic_up_1x2x9x11_to_25x19", VN_INTERP_BICUBIC, 1e-6);
}

static void test_resize_f32_bicubic_downscale_matches_torch(void **state)
{
    (void)state;
    check_resize("resize_f32_bicubic_down_1x1x30x30_to_11x7", VN_INTERP_BICUBIC, 1e-6);
}

static void test_resize_f32_nearest_picks_torch_pixels_exactly(void **state)
{
    (void)state;
    check_resize("resize_f32_nearest_2x1x13x17_to_29x8", VN_INTERP_NEAREST, 0);
    check_resize("resize_f32_nearest_double_1x3x5x6_to_10x12", VN_INTERP_NEAREST, 0);
}

static void test_resize_f32_area_is_adaptive_avg_pool(void **state)
{
    (void)state;
    check_resize("resize_f32_area_1x2x17x23_to_5x7", VN_INTERP_AREA, 1e-6);
}

static void test_resize_refuses_bad_arguments(void **state)
{
    (void)state;
    vn_tensor *x = load("resize_u8_linear_1x1x3_to_5x7", "_x.npy"), *y = NULL;
    assert_int_equal(vn_image_resize(NULL, 2, 2, VN_INTERP_BILINEAR, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_resize(x, 2, 2, VN_INTERP_BILINEAR, NULL), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_resize(x, 0, 2, VN_INTERP_BILINEAR, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_resize(x, 2, -1, VN_INTERP_BILINEAR, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_resize(x, 2, 2, (vn_interp)9, &y), VN_ERR_INVALID_ARG);
    assert_null(y);
    vn_tensor_destroy(x);
}

static void test_resize_refuses_tensors_that_are_not_images(void **state)
{
    (void)state;
    vn_tensor *t = NULL, *y = NULL;
    assert_int_equal(vn_tensor_create(VN_I32, 3, (int64_t[]){4, 4, 1}, &t), VN_OK);
    assert_int_equal(vn_image_resize(t, 2, 2, VN_INTERP_BILINEAR, &y), VN_ERR_SHAPE);
    vn_tensor_destroy(t);
    assert_int_equal(vn_tensor_create(VN_U8, 4, (int64_t[]){1, 4, 4, 3}, &t), VN_OK);
    assert_int_equal(vn_image_resize(t, 2, 2, VN_INTERP_BILINEAR, &y), VN_ERR_SHAPE);
    vn_tensor_destroy(t);
    assert_int_equal(vn_tensor_create(VN_U8, 3, (int64_t[]){0, 4, 3}, &t), VN_OK);
    assert_int_equal(vn_image_resize(t, 2, 2, VN_INTERP_BILINEAR, &y), VN_ERR_SHAPE);
    vn_tensor_destroy(t);
    assert_int_equal(vn_tensor_create(VN_F32, 1, (int64_t[]){5}, &t), VN_OK);
    assert_int_equal(vn_image_resize(t, 2, 2, VN_INTERP_BILINEAR, &y), VN_ERR_SHAPE);
    vn_tensor_destroy(t);
    assert_null(y);
}

/* ---- warp / rotate -------------------------------------------------------- */

static void check_warp(const char *name, vn_interp interp, vn_border border, const double *fill,
                       double atol)
{
    vn_tensor *x = load(name, "_x.npy"), *want = load(name, "_y.npy"), *got = NULL;
    double m[6];
    load_matrix(name, m);
    vn_status s = vn_image_warp_affine(x, m, (int)vn_tensor_dim(want, 0), (int)vn_tensor_dim(want, 1), interp,
                                       border, fill, &got);
    if (s != VN_OK)
        fail_msg("%s: %s", name, vn_last_error());
    assert_close(got, want, atol, 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

static void test_rotate_u8_matches_cv2_rotation_matrix_and_warp(void **state)
{
    (void)state;
    vn_tensor *x = load("rotate_u8_m17.5deg_39x52x3", "_x.npy");
    vn_tensor *want = load("rotate_u8_m17.5deg_39x52x3", "_y.npy"), *got = NULL;
    assert_int_equal(vn_image_rotate(x, -17.5, VN_INTERP_BILINEAR, &got), VN_OK);
    assert_close(got, want, 0, 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

static void test_rotate_one_pixel_image_keeps_it(void **state)
{
    (void)state;
    vn_tensor *x = load("rotate_u8_90deg_1x1", "_x.npy");
    vn_tensor *want = load("rotate_u8_90deg_1x1", "_y.npy"), *got = NULL;
    assert_int_equal(vn_image_rotate(x, 90.0, VN_INTERP_BILINEAR, &got), VN_OK);
    assert_close(got, want, 0, 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

static void test_warp_u8_bilinear_replicate_matches_cv2(void **state)
{
    (void)state;
    check_warp("warp_u8_linear_replicate_31x27_to_25x36", VN_INTERP_BILINEAR, VN_BORDER_REPLICATE, NULL, 0);
}

static void test_warp_u8_nearest_reflect_matches_cv2(void **state)
{
    (void)state;
    check_warp("warp_u8_nearest_reflect_17x21x4_to_30x19", VN_INTERP_NEAREST, VN_BORDER_REFLECT, NULL, 0);
}

static void test_warp_u8_constant_blends_per_channel_fill_like_cv2(void **state)
{
    (void)state;
    const double fill[3] = {200, 10, 90};
    check_warp("warp_u8_linear_constant_fill_20x24x3_to_22x22", VN_INTERP_BILINEAR, VN_BORDER_CONSTANT, fill, 0);
}

static void test_warp_u8_bilinear_reflect_two_channels_matches_cv2(void **state)
{
    (void)state;
    check_warp("warp_u8_linear_reflect_2ch_12x9x2_to_14x15", VN_INTERP_BILINEAR, VN_BORDER_REFLECT, NULL, 0);
}

static void test_warp_f32_bilinear_constant_is_exact(void **state)
{
    (void)state;
    const double fill[3] = {0.25, 0.25, 0.25};
    check_warp("warp_f32_linear_constant_fill_15x13x3_to_17x11", VN_INTERP_BILINEAR, VN_BORDER_CONSTANT, fill,
               1e-6);
}

static void test_warp_f32_bilinear_reflect_2d_is_exact(void **state)
{
    (void)state;
    check_warp("warp_f32_linear_reflect_9x10_to_12x12", VN_INTERP_BILINEAR, VN_BORDER_REFLECT, NULL, 1e-6);
}

static void test_warp_f32_nearest_replicate_is_exact(void **state)
{
    (void)state;
    check_warp("warp_f32_nearest_replicate_8x11x1_to_10x9", VN_INTERP_NEAREST, VN_BORDER_REPLICATE, NULL, 0);
}

static void test_warp_identity_returns_the_image(void **state)
{
    (void)state;
    vn_tensor *x = load("warp_u8_nearest_reflect_17x21x4_to_30x19", "_x.npy"), *y = NULL;
    const double id[6] = {1, 0, 0, 0, 1, 0};
    for (int m = VN_INTERP_NEAREST; m <= VN_INTERP_BILINEAR; m++) {
        assert_int_equal(vn_image_warp_affine(x, id, 17, 21, (vn_interp)m, VN_BORDER_CONSTANT, NULL, &y), VN_OK);
        assert_close(y, x, 0, 0);
        vn_tensor_destroy(y);
    }
    vn_tensor_destroy(x);
}

static void test_warp_refuses_singular_matrix_and_unsupported_modes(void **state)
{
    (void)state;
    vn_tensor *x = load("rotate_u8_90deg_1x1", "_x.npy"), *y = NULL;
    const double sing[6] = {1, 2, 0, 2, 4, 0}, id[6] = {1, 0, 0, 0, 1, 0}, nan_m[6] = {NAN, 0, 0, 0, 1, 0};
    assert_int_equal(vn_image_warp_affine(x, sing, 1, 1, VN_INTERP_BILINEAR, VN_BORDER_CONSTANT, NULL, &y),
                     VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_warp_affine(x, nan_m, 1, 1, VN_INTERP_BILINEAR, VN_BORDER_CONSTANT, NULL, &y),
                     VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_warp_affine(x, id, 1, 1, VN_INTERP_BICUBIC, VN_BORDER_CONSTANT, NULL, &y),
                     VN_ERR_UNSUPPORTED);
    assert_int_equal(vn_image_warp_affine(x, id, 1, 1, VN_INTERP_BILINEAR, (vn_border)7, NULL, &y),
                     VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_warp_affine(x, id, 0, 1, VN_INTERP_BILINEAR, VN_BORDER_CONSTANT, NULL, &y),
                     VN_ERR_INVALID_ARG);
    assert_null(y);
    vn_tensor_destroy(x);
}

/* ---- grey ------------------------------------------------------------------ */

static void check_gray(const char *name, vn_gray method, double atol, bool drop_channel_axis)
{
    vn_tensor *x = load(name, "_x.npy"), *want = load(name, "_y.npy"), *got = NULL;
    assert_int_equal(vn_image_to_gray(x, method, &got), VN_OK);
    if (drop_channel_axis) {
        /* The library keeps [H,W,1]; OpenCV / skimage return [H,W]. */
        assert_int_equal(vn_tensor_dim(got, 2), 1);
        assert_int_equal(vn_tensor_reshape(got, 2, (int64_t[]){vn_tensor_dim(got, 0), vn_tensor_dim(got, 1)}),
                         VN_OK);
    }
    assert_close(got, want, atol, 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

/* Exact: OpenCV 4.6 uses 15-bit fixed-point weights for 8-bit images. */
static void test_gray_bt601_u8_matches_cv2_exactly(void **state)
{
    (void)state;
    check_gray("gray_bt601_u8_13x11", VN_GRAY_BT601, 0, true);
}

static void test_gray_bt601_u8_ignores_alpha(void **state)
{
    (void)state;
    check_gray("gray_bt601_u8_rgba_9x7", VN_GRAY_BT601, 0, true);
}

static void test_gray_rec709_u8_matches_skimage(void **state)
{
    (void)state;
    check_gray("gray_rec709_u8_10x12", VN_GRAY_REC709, 1e-7, true);
}

static void test_gray_bt601_f32_chw_matches_torchvision(void **state)
{
    (void)state;
    check_gray("gray_bt601_f32_3x8x5", VN_GRAY_BT601, 1e-7, false);
}

static void test_gray_rec709_f32_batch_keeps_scale(void **state)
{
    (void)state;
    check_gray("gray_rec709_f32_2x3x4x6", VN_GRAY_REC709, 1e-7, false);
}

static void test_gray_refuses_one_channel_and_bad_method(void **state)
{
    (void)state;
    vn_tensor *t = NULL, *y = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, (int64_t[]){2, 2, 1}, &t), VN_OK);
    assert_int_equal(vn_image_to_gray(t, VN_GRAY_BT601, &y), VN_ERR_SHAPE);
    vn_tensor_destroy(t);
    assert_int_equal(vn_tensor_create(VN_U8, 2, (int64_t[]){2, 2}, &t), VN_OK);
    assert_int_equal(vn_image_to_gray(t, VN_GRAY_BT601, &y), VN_ERR_SHAPE);
    assert_int_equal(vn_image_to_gray(t, (vn_gray)5, &y), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(t);
    assert_int_equal(vn_tensor_create(VN_F32, 3, (int64_t[]){1, 2, 2}, &t), VN_OK);
    assert_int_equal(vn_image_to_gray(t, VN_GRAY_BT601, &y), VN_ERR_SHAPE);
    vn_tensor_destroy(t);
    assert_null(y);
}

/* ---- crop, centre crop, flip ---------------------------------------------------- */

/* A 3x4 two-channel image whose samples are 10*row + col (channel 0) and
 * 100 + 10*row + col (channel 1). */
static vn_tensor *grid_3x4x2(void)
{
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, (int64_t[]){3, 4, 2}, &t), VN_OK);
    uint8_t *d = vn_tensor_data(t);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) {
            d[(r * 4 + c) * 2] = (uint8_t)(10 * r + c);
            d[(r * 4 + c) * 2 + 1] = (uint8_t)(100 + 10 * r + c);
        }
    return t;
}

static void test_crop_copies_the_window(void **state)
{
    (void)state;
    vn_tensor *x = grid_3x4x2(), *y = NULL;
    assert_int_equal(vn_image_crop(x, 1, 2, 2, 2, &y), VN_OK);
    const uint8_t want[8] = {12, 112, 13, 113, 22, 122, 23, 123};
    assert_int_equal(vn_tensor_dim(y, 0), 2);
    assert_int_equal(vn_tensor_dim(y, 1), 2);
    assert_memory_equal(vn_tensor_data_const(y), want, sizeof want);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_crop_refuses_a_window_outside_the_image(void **state)
{
    (void)state;
    vn_tensor *x = grid_3x4x2(), *y = NULL;
    assert_int_equal(vn_image_crop(x, 2, 0, 2, 1, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_crop(x, 0, 3, 1, 2, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_crop(x, -1, 0, 1, 1, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_crop(x, 0, 0, 1, 2147483647, &y), VN_ERR_INVALID_ARG);
    assert_null(y);
    vn_tensor_destroy(x);
}

static void check_center_crop(const char *name, int h, int w)
{
    vn_tensor *x = load(name, "_x.npy"), *want = load(name, "_y.npy"), *got = NULL;
    assert_int_equal(vn_image_center_crop(x, h, w, &got), VN_OK);
    assert_close(got, want, 0, 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

static void test_center_crop_rounds_half_to_even_like_torchvision(void **state)
{
    (void)state;
    check_center_crop("center_crop_u8_12x15x3_to_7x8", 7, 8); /* 2.5 -> 2, 3.5 -> 4 */
}

static void test_center_crop_pads_with_zeros_when_larger(void **state)
{
    (void)state;
    check_center_crop("center_crop_u8_pad_5x4_to_8x9", 8, 9);
}

static void test_center_crop_pads_one_axis_and_crops_the_other(void **state)
{
    (void)state;
    check_center_crop("center_crop_f32_pad_rows_3x9x2_to_6x4", 6, 4);
}

static void test_flip_horizontal_mirrors_columns(void **state)
{
    (void)state;
    vn_tensor *x = grid_3x4x2(), *y = NULL;
    assert_int_equal(vn_image_flip(x, VN_FLIP_HORIZONTAL, &y), VN_OK);
    const uint8_t *d = vn_tensor_data_const(y);
    assert_int_equal(d[0], 3);   /* (0,0) <- (0,3) */
    assert_int_equal(d[1], 103);
    assert_int_equal(d[(1 * 4 + 1) * 2], 12); /* (1,1) <- (1,2) */
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_flip_vertical_mirrors_rows(void **state)
{
    (void)state;
    vn_tensor *x = grid_3x4x2(), *y = NULL;
    assert_int_equal(vn_image_flip(x, VN_FLIP_VERTICAL, &y), VN_OK);
    const uint8_t *d = vn_tensor_data_const(y);
    assert_int_equal(d[0], 20);  /* (0,0) <- (2,0) */
    assert_int_equal(d[(2 * 4 + 3) * 2 + 1], 103); /* (2,3) <- (0,3) */
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_flip_both_on_f32_2d_rotates_by_180(void **state)
{
    (void)state;
    float v[6] = {1, 2, 3, 4, 5, 6};
    vn_tensor *x = NULL, *y = NULL;
    assert_int_equal(vn_tensor_wrap(VN_F32, 2, (int64_t[]){2, 3}, v, NULL, NULL, &x), VN_OK);
    assert_int_equal(vn_image_flip(x, VN_FLIP_BOTH, &y), VN_OK);
    const float want[6] = {6, 5, 4, 3, 2, 1};
    assert_memory_equal(vn_tensor_data_const(y), want, sizeof want);
    assert_int_equal(vn_image_flip(x, (vn_flip)0, &y), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

/* ---- u8 HWC <-> f32 CHW ----------------------------------------------------------- */

static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};

static void test_to_tensor_matches_totensor_and_normalize(void **state)
{
    (void)state;
    vn_tensor *x = load("to_tensor_u8_6x7x3_imagenet", "_x.npy");
    vn_tensor *want = load("to_tensor_u8_6x7x3_imagenet", "_y.npy"), *got = NULL;
    assert_int_equal(vn_image_to_tensor(x, 1.0f / 255, imagenet_mean, imagenet_std, &got), VN_OK);
    assert_close(got, want, 1e-6, 1e-6);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

static void test_to_tensor_of_2d_image_has_one_channel(void **state)
{
    (void)state;
    vn_tensor *x = load("to_tensor_u8_4x5_scale1", "_x.npy");
    vn_tensor *want = load("to_tensor_u8_4x5_scale1", "_y.npy"), *got = NULL;
    assert_int_equal(vn_image_to_tensor(x, 1.0f, NULL, NULL, &got), VN_OK);
    assert_close(got, want, 0, 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

static void test_to_tensor_of_batch_is_nchw(void **state)
{
    (void)state;
    /* two 1x2 RGB images: n, h, w, c */
    uint8_t v[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    vn_tensor *x = NULL, *y = NULL;
    assert_int_equal(vn_tensor_wrap(VN_U8, 4, (int64_t[]){2, 1, 2, 3}, v, NULL, NULL, &x), VN_OK);
    assert_int_equal(vn_image_to_tensor(x, 2.0f, NULL, NULL, &y), VN_OK);
    assert_int_equal(vn_tensor_dim(y, 1), 3);
    const float want[12] = {2, 8, 4, 10, 6, 12, 14, 20, 16, 22, 18, 24};
    assert_memory_equal(vn_tensor_data_const(y), want, sizeof want);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_tensor_to_image_inverts_to_tensor(void **state)
{
    (void)state;
    vn_tensor *x = load("to_tensor_u8_6x7x3_imagenet", "_x.npy"), *t = NULL, *back = NULL;
    assert_int_equal(vn_image_to_tensor(x, 1.0f / 255, imagenet_mean, imagenet_std, &t), VN_OK);
    assert_int_equal(vn_tensor_to_image(t, 1.0f / 255, imagenet_mean, imagenet_std, &back), VN_OK);
    assert_close(back, x, 0, 0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(t);
    vn_tensor_destroy(back);
}

static void test_tensor_to_image_rounds_half_even_and_saturates(void **state)
{
    (void)state;
    float v[6] = {-3.0f, 0.5f, 1.5f, 254.6f, 300.0f, NAN};
    vn_tensor *x = NULL, *y = NULL;
    assert_int_equal(vn_tensor_wrap(VN_F32, 3, (int64_t[]){1, 2, 3}, v, NULL, NULL, &x), VN_OK);
    assert_int_equal(vn_tensor_to_image(x, 1.0f, NULL, NULL, &y), VN_OK);
    const uint8_t want[6] = {0, 0, 2, 255, 255, 0};
    assert_memory_equal(vn_tensor_data_const(y), want, sizeof want);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_conversions_refuse_zero_std_and_zero_scale(void **state)
{
    (void)state;
    vn_tensor *x = load("to_tensor_u8_6x7x3_imagenet", "_x.npy"), *t = NULL, *y = NULL;
    const float bad_std[3] = {1, 0, 1};
    assert_int_equal(vn_image_to_tensor(x, 1.0f, NULL, bad_std, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_image_to_tensor(x, 1.0f, NULL, NULL, &t), VN_OK);
    assert_int_equal(vn_tensor_to_image(t, 0.0f, NULL, NULL, &y), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_tensor_to_image(x, 1.0f, NULL, NULL, &y), VN_ERR_SHAPE);
    assert_null(y);
    vn_tensor_destroy(x);
    vn_tensor_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resize_u8_linear_downscale_non_integer_matches_cv2),
        cmocka_unit_test(test_resize_u8_linear_upscale_gray_2d_matches_cv2),
        cmocka_unit_test(test_resize_u8_linear_exact_half_averages_2x2_like_cv2),
        cmocka_unit_test(test_resize_u8_linear_four_channels_mixed_factors_matches_cv2),
        cmocka_unit_test(test_resize_u8_linear_one_pixel_image_matches_cv2),
        cmocka_unit_test(test_resize_u8_area_downscale_non_integer_matches_cv2),
        cmocka_unit_test(test_resize_u8_area_integer_factor_matches_cv2),
        cmocka_unit_test(test_resize_u8_area_half_two_channels_matches_cv2),
        cmocka_unit_test(test_resize_u8_area_upscale_is_opencv_bilinear_variant),
        cmocka_unit_test(test_resize_u8_area_shrink_one_axis_grow_other_matches_cv2),
        cmocka_unit_test(test_resize_u8_nearest_matches_cv2),
        cmocka_unit_test(test_resize_u8_bicubic_upscale_matches_cv2),
        cmocka_unit_test(test_resize_u8_bicubic_downscale_matches_cv2),
        cmocka_unit_test(test_resize_u8_bicubic_one_column_image_matches_cv2),
        cmocka_unit_test(test_resize_to_same_size_is_a_copy),
        cmocka_unit_test(test_resize_f32_bilinear_downscale_nchw_matches_torch),
        cmocka_unit_test(test_resize_f32_bilinear_upscale_chw_matches_torch),
        cmocka_unit_test(test_resize_f32_bilinear_one_pixel_plane_matches_torch),
        cmocka_unit_test(test_resize_f32_bicubic_upscale_matches_torch),
        cmocka_unit_test(test_resize_f32_bicubic_downscale_matches_torch),
        cmocka_unit_test(test_resize_f32_nearest_picks_torch_pixels_exactly),
        cmocka_unit_test(test_resize_f32_area_is_adaptive_avg_pool),
        cmocka_unit_test(test_resize_refuses_bad_arguments),
        cmocka_unit_test(test_resize_refuses_tensors_that_are_not_images),
        cmocka_unit_test(test_rotate_u8_matches_cv2_rotation_matrix_and_warp),
        cmocka_unit_test(test_rotate_one_pixel_image_keeps_it),
        cmocka_unit_test(test_warp_u8_bilinear_replicate_matches_cv2),
        cmocka_unit_test(test_warp_u8_nearest_reflect_matches_cv2),
        cmocka_unit_test(test_warp_u8_constant_blends_per_channel_fill_like_cv2),
        cmocka_unit_test(test_warp_u8_bilinear_reflect_two_channels_matches_cv2),
        cmocka_unit_test(test_warp_f32_bilinear_constant_is_exact),
        cmocka_unit_test(test_warp_f32_bilinear_reflect_2d_is_exact),
        cmocka_unit_test(test_warp_f32_nearest_replicate_is_exact),
        cmocka_unit_test(test_warp_identity_returns_the_image),
        cmocka_unit_test(test_warp_refuses_singular_matrix_and_unsupported_modes),
        cmocka_unit_test(test_gray_bt601_u8_matches_cv2_exactly),
        cmocka_unit_test(test_gray_bt601_u8_ignores_alpha),
        cmocka_unit_test(test_gray_rec709_u8_matches_skimage),
        cmocka_unit_test(test_gray_bt601_f32_chw_matches_torchvision),
        cmocka_unit_test(test_gray_rec709_f32_batch_keeps_scale),
        cmocka_unit_test(test_gray_refuses_one_channel_and_bad_method),
        cmocka_unit_test(test_crop_copies_the_window),
        cmocka_unit_test(test_crop_refuses_a_window_outside_the_image),
        cmocka_unit_test(test_center_crop_rounds_half_to_even_like_torchvision),
        cmocka_unit_test(test_center_crop_pads_with_zeros_when_larger),
        cmocka_unit_test(test_center_crop_pads_one_axis_and_crops_the_other),
        cmocka_unit_test(test_flip_horizontal_mirrors_columns),
        cmocka_unit_test(test_flip_vertical_mirrors_rows),
        cmocka_unit_test(test_flip_both_on_f32_2d_rotates_by_180),
        cmocka_unit_test(test_to_tensor_matches_totensor_and_normalize),
        cmocka_unit_test(test_to_tensor_of_2d_image_has_one_channel),
        cmocka_unit_test(test_to_tensor_of_batch_is_nchw),
        cmocka_unit_test(test_tensor_to_image_inverts_to_tensor),
        cmocka_unit_test(test_tensor_to_image_rounds_half_even_and_saturates),
        cmocka_unit_test(test_conversions_refuse_zero_std_and_zero_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
