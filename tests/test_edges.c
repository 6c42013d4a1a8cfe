/* test_edges.c - Sobel, Canny, Harris, Shi-Tomasi and corner peaks against
 * scikit-image 0.19 on a real photo.
 *
 * The input is a 96 x 128 crop of skimage.data.camera(); every expected
 * array under tests/data/edges/ was made by skimage in
 * tests/data/make_edges_refs.py (the parameters of each case are written
 * there and in the test's name). Tolerances:
 * - Sobel gx, gy, magnitude: |got - want| <= 1e-6 (values are O(1); both
 *   sides compute in double and round to float);
 * - orientation: 1e-5 radians (modulo 2 pi) where the magnitude is above 1e-4 (where the
 *   gradient vanishes the angle is the angle of rounding noise);
 * - Harris / Shi-Tomasi: |got - want| <= 1e-5 * max|want|;
 * - Canny: the edge maps are identical, pixel for pixel (the requirement
 *   was >= 99%; we get all of them);
 * - corner peaks: the same (row, column) list in the same order. */
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

#define DIR VN_TEST_DATA "/edges/"

static vn_tensor *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, DIR "%s.npy", name);
    vn_tensor *t = NULL;
    if (vn_tensor_load_npy(path, &t) != VN_OK)
        fail_msg("%s: %s", path, vn_last_error());
    return t;
}

/* Same shape; |got - want| <= atol everywhere. */
static void assert_close_f32(const vn_tensor *got, const vn_tensor *want, double atol)
{
    assert_int_equal(vn_tensor_dtype(got), VN_F32);
    assert_int_equal(vn_tensor_numel(got), vn_tensor_numel(want));
    assert_int_equal(vn_tensor_dim(got, 0), vn_tensor_dim(want, 0));
    const float *g = vn_tensor_data_const(got), *w = vn_tensor_data_const(want);
    for (size_t i = 0; i < vn_tensor_numel(want); i++)
        if (!(fabs((double)g[i] - w[i]) <= atol))
            fail_msg("element %zu: got %.9g, want %.9g (atol %g)", i, g[i], w[i], atol);
}

static double max_abs(const vn_tensor *t)
{
    const float *p = vn_tensor_data_const(t);
    double m = 0;
    for (size_t i = 0; i < vn_tensor_numel(t); i++)
        m = fmax(m, fabs(p[i]));
    return m;
}

static void check_sobel(vn_sobel_output what, const char *ref, double atol)
{
    vn_tensor *img = load("camera_crop"), *want = load(ref), *got = NULL;
    assert_int_equal(vn_sobel(img, what, &got), VN_OK);
    assert_close_f32(got, want, atol);
    vn_tensor_destroy(got);
    vn_tensor_destroy(want);
    vn_tensor_destroy(img);
}

static void test_sobel_gx_matches_skimage(void **state)
{
    (void)state;
    check_sobel(VN_SOBEL_GX, "sobel_gx", 1e-6);
}

static void test_sobel_gy_matches_skimage(void **state)
{
    (void)state;
    check_sobel(VN_SOBEL_GY, "sobel_gy", 1e-6);
}

static void test_sobel_magnitude_matches_skimage(void **state)
{
    (void)state;
    check_sobel(VN_SOBEL_MAGNITUDE, "sobel_mag", 1e-6);
}

static void test_sobel_orientation_matches_arctan2_of_skimage(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_crop"), *want = load("sobel_ori"), *mag = load("sobel_mag");
    vn_tensor *got = NULL;
    assert_int_equal(vn_sobel(img, VN_SOBEL_ORIENTATION, &got), VN_OK);
    const float *g = vn_tensor_data_const(got), *w = vn_tensor_data_const(want);
    const float *m = vn_tensor_data_const(mag);
    size_t checked = 0;
    for (size_t i = 0; i < vn_tensor_numel(want); i++) {
        if (m[i] <= 1e-4f)
            continue;
        checked++;
        /* Compared round the circle: where gy is +-0 the two sides may sit
         * at pi and -pi, the same direction. */
        double d = fabs((double)g[i] - w[i]);
        d = fmin(d, fabs(d - 2 * M_PI));
        if (!(d <= 1e-5))
            fail_msg("element %zu: got %.9g, want %.9g", i, g[i], w[i]);
    }
    assert_true(checked > vn_tensor_numel(want) / 2);
    vn_tensor_destroy(got);
    vn_tensor_destroy(want);
    vn_tensor_destroy(mag);
    vn_tensor_destroy(img);
}

static void test_sobel_refuses_rgb(void **state)
{
    (void)state;
    int64_t shape[3] = {4, 4, 3};
    vn_tensor *rgb = NULL, *out = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, shape, &rgb), VN_OK);
    assert_int_equal(vn_sobel(rgb, VN_SOBEL_GX, &out), VN_ERR_SHAPE);
    assert_null(out);
    vn_tensor_destroy(rgb);
}

static void check_canny(const vn_canny_options *opts, const char *ref)
{
    vn_tensor *img = load("camera_crop"), *want = load(ref), *got = NULL;
    assert_int_equal(vn_canny(img, opts, &got), VN_OK);
    assert_int_equal(vn_tensor_dtype(got), VN_U8);
    assert_int_equal(vn_tensor_numel(got), vn_tensor_numel(want));
    const uint8_t *g = vn_tensor_data_const(got), *w = vn_tensor_data_const(want);
    size_t differ = 0, edges = 0;
    for (size_t i = 0; i < vn_tensor_numel(want); i++) {
        differ += g[i] != w[i];
        edges += w[i];
    }
    assert_true(edges > 100);   /* the case is not trivially empty */
    if (differ)
        fail_msg("%s: %zu of %zu pixels differ", ref, differ, vn_tensor_numel(want));
    vn_tensor_destroy(got);
    vn_tensor_destroy(want);
    vn_tensor_destroy(img);
}

static void test_canny_defaults_match_skimage(void **state)
{
    (void)state;
    check_canny(NULL, "canny_default");
}

static void test_canny_sigma2_thresholds_in_u8_units_match_skimage(void **state)
{
    (void)state;
    vn_canny_options o = VN_CANNY_OPTIONS_INIT;
    o.sigma = 2;
    o.low_threshold = 10;
    o.high_threshold = 40;
    check_canny(&o, "canny_s2_10_40");
}

static void test_canny_quantile_thresholds_match_skimage(void **state)
{
    (void)state;
    vn_canny_options o = VN_CANNY_OPTIONS_INIT;
    o.sigma = 1.5f;
    o.low_threshold = 0.7f;
    o.high_threshold = 0.9f;
    o.use_quantiles = 1;
    check_canny(&o, "canny_q");
}

static void test_canny_refuses_low_above_high(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_crop"), *out = NULL;
    vn_canny_options o = VN_CANNY_OPTIONS_INIT;
    o.low_threshold = 50;
    o.high_threshold = 20;
    assert_int_equal(vn_canny(img, &o, &out), VN_ERR_INVALID_ARG);
    assert_null(out);
    vn_tensor_destroy(img);
}

static void check_response(const vn_tensor *got, const char *ref)
{
    vn_tensor *want = load(ref);
    assert_close_f32(got, want, 1e-5 * max_abs(want));
    vn_tensor_destroy(want);
}

static void test_harris_k_matches_skimage(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_crop"), *got = NULL;
    assert_int_equal(vn_corner_harris(img, VN_HARRIS_K, 0.05f, 1.0f, &got), VN_OK);
    check_response(got, "harris");
    vn_tensor_destroy(got);
    vn_tensor_destroy(img);
}

static void test_harris_eps_sigma2_matches_skimage(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_crop"), *got = NULL;
    assert_int_equal(vn_corner_harris(img, VN_HARRIS_EPS, 0.05f, 2.0f, &got), VN_OK);
    check_response(got, "harris_eps_s2");
    vn_tensor_destroy(got);
    vn_tensor_destroy(img);
}

static void test_shi_tomasi_matches_skimage(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_crop"), *got = NULL;
    assert_int_equal(vn_corner_shi_tomasi(img, 1.0f, &got), VN_OK);
    check_response(got, "shi_tomasi");
    vn_tensor_destroy(got);
    vn_tensor_destroy(img);
}

static void check_peaks(const char *response, const char *ref, int min_distance, float rel)
{
    vn_tensor *r = load(response), *want = load(ref);
    vn_corner_peaks_options o = VN_CORNER_PEAKS_OPTIONS_INIT;
    o.min_distance = min_distance;
    o.threshold_rel = rel;
    int coords[2 * 256], n = -1;
    assert_int_equal(vn_corner_peaks(r, &o, coords, 256, &n), VN_OK);
    assert_int_equal(n, (int)vn_tensor_dim(want, 0));
    const int32_t *w = vn_tensor_data_const(want);
    for (int i = 0; i < 2 * n; i++)
        assert_int_equal(coords[i], w[i]);
    vn_tensor_destroy(r);
    vn_tensor_destroy(want);
}

static void test_harris_peaks_equal_skimage_corner_peaks(void **state)
{
    (void)state;
    check_peaks("harris", "harris_peaks", 5, 0.02f);
}

static void test_shi_tomasi_peaks_equal_skimage_corner_peaks(void **state)
{
    (void)state;
    check_peaks("shi_tomasi", "shi_tomasi_peaks", 3, 0.05f);
}

static void test_corner_peaks_of_a_constant_image_is_empty(void **state)
{
    (void)state;
    int64_t shape[2] = {20, 20};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 2, shape, &t), VN_OK);
    float *p = vn_tensor_data(t);
    for (int i = 0; i < 400; i++)
        p[i] = 3.0f;
    int n = -1;
    assert_int_equal(vn_corner_peaks(t, NULL, NULL, 0, &n), VN_OK);
    assert_int_equal(n, 0);
    vn_tensor_destroy(t);
}

static void test_corner_peaks_reports_the_count_beyond_capacity(void **state)
{
    (void)state;
    vn_tensor *r = load("shi_tomasi");
    vn_corner_peaks_options o = VN_CORNER_PEAKS_OPTIONS_INIT;
    o.min_distance = 3;
    o.threshold_rel = 0.05f;
    int coords[4] = {-1, -1, -1, -1}, n = 0;
    assert_int_equal(vn_corner_peaks(r, &o, coords, 1, &n), VN_OK);
    assert_int_equal(n, 23);        /* as skimage: tests/data/edges/shi_tomasi_peaks.npy */
    assert_true(coords[0] >= 0);    /* the first peak was written */
    assert_int_equal(coords[2], -1); /* nothing past the capacity */
    vn_tensor_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sobel_gx_matches_skimage),
        cmocka_unit_test(test_sobel_gy_matches_skimage),
        cmocka_unit_test(test_sobel_magnitude_matches_skimage),
        cmocka_unit_test(test_sobel_orientation_matches_arctan2_of_skimage),
        cmocka_unit_test(test_sobel_refuses_rgb),
        cmocka_unit_test(test_canny_defaults_match_skimage),
        cmocka_unit_test(test_canny_sigma2_thresholds_in_u8_units_match_skimage),
        cmocka_unit_test(test_canny_quantile_thresholds_match_skimage),
        cmocka_unit_test(test_canny_refuses_low_above_high),
        cmocka_unit_test(test_harris_k_matches_skimage),
        cmocka_unit_test(test_harris_eps_sigma2_matches_skimage),
        cmocka_unit_test(test_shi_tomasi_matches_skimage),
        cmocka_unit_test(test_harris_peaks_equal_skimage_corner_peaks),
        cmocka_unit_test(test_shi_tomasi_peaks_equal_skimage_corner_peaks),
        cmocka_unit_test(test_corner_peaks_of_a_constant_image_is_empty),
        cmocka_unit_test(test_corner_peaks_reports_the_count_beyond_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
