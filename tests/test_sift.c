/* test_sift.c - SIFT keypoints, descriptors and matching.
 *
 * References under tests/data/sift/ were made by OpenCV 4.6
 * (cv2.SIFT_create() with its defaults) in tests/data/make_sift_refs.py;
 * other expectations are written down here with the reason. */
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

#define DIR VN_TEST_DATA "/sift/"

static vn_tensor *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, DIR "%s.npy", name);
    vn_tensor *t = NULL;
    if (vn_tensor_load_npy(path, &t) != VN_OK)
        fail_msg("%s: %s", path, vn_last_error());
    return t;
}

static vn_sift *make_sift(void)
{
    vn_sift *s = NULL;
    assert_int_equal(vn_sift_create(NULL, &s), VN_OK);
    return s;
}

static vn_keypoint keypoint(const vn_sift *s, int i)
{
    vn_keypoint kp = VN_KEYPOINT_INIT;
    assert_int_equal(vn_sift_keypoint(s, i, &kp), VN_OK);
    return kp;
}

/* The index of our keypoint with the same position, size and angle as
 * OpenCV's row (x, y, size, angle, response), or -1. */
static int find_same(const vn_sift *s, const float *cv)
{
    for (int i = 0; i < vn_sift_count(s); i++) {
        vn_keypoint k = keypoint(s, i);
        float da = fabsf(k.angle - cv[3]);
        da = fminf(da, 360.f - da);
        if (fabsf(k.x - cv[0]) < 0.01f && fabsf(k.y - cv[1]) < 0.01f &&
            fabsf(k.diameter - cv[2]) < 0.01f * cv[2] && da < 0.1f)
            return i;
    }
    return -1;
}

/* A Gaussian blob of standard deviation s is found at its centre with a
 * diameter proportional to s: about 1.77 s (the DoG between the levels
 * sigma and k sigma peaks a little below the blob's own scale), as
 * OpenCV finds: blobs of s = 3 and 6 at (48, 64) and (136, 64) give
 * diameters 5.32 and 10.66. Positions carry OpenCV's +0.24 pixel bias from
 * the doubled image (features.h). */
static void test_gaussian_blobs_give_keypoints_at_their_centres_sized_by_sigma(void **state)
{
    (void)state;
    vn_tensor *img = load("blobs");
    vn_sift *s = make_sift();
    int n = 0;
    assert_int_equal(vn_sift_detect(s, img, &n), VN_OK);
    assert_true(n >= 2);
    const float cx[2] = {48, 136}, sig[2] = {3, 6};
    float diam[2] = {0, 0};
    for (int b = 0; b < 2; b++) {
        int found = 0;
        for (int i = 0; i < n; i++) {
            vn_keypoint k = keypoint(s, i);
            if (fabsf(k.x - cx[b]) < 3 && fabsf(k.y - 64) < 3) {
                found++;
                assert_true(fabsf(k.x - (cx[b] + 0.24f)) < 0.1f);
                assert_true(fabsf(k.y - 64.24f) < 0.1f);
                assert_true(fabsf(k.diameter / sig[b] - 1.77f) < 0.05f);
                diam[b] = k.diameter;
            }
        }
        assert_true(found >= 1);   /* one per dominant orientation */
    }
    assert_true(fabsf(diam[1] / diam[0] - 2.f) < 0.05f);   /* proportional to s */
    /* Nothing but the blobs: every keypoint is on one of them. */
    for (int i = 0; i < n; i++) {
        vn_keypoint k = keypoint(s, i);
        assert_true(fabsf(k.y - 64) < 3 && (fabsf(k.x - 48) < 3 || fabsf(k.x - 136) < 3));
    }
    vn_sift_destroy(s);
    vn_tensor_destroy(img);
}

/* On a real photo the keypoints are OpenCV's: the same count, and every
 * one of OpenCV's has ours at the same position (0.01 px), size (1%) and
 * angle (0.1 degree), with descriptors within 2 (of 0..255) per element. */
static void test_keypoints_and_descriptors_match_opencv_on_a_photo(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_160"), *cvk = load("camera_160_cv_kp");
    vn_tensor *cvd = load("camera_160_cv_desc");
    vn_sift *s = make_sift();
    int n = 0;
    assert_int_equal(vn_sift_detect(s, img, &n), VN_OK);
    int ncv = (int)vn_tensor_dim(cvk, 0);
    assert_int_equal(n, ncv);
    float *desc = malloc((size_t)n * 128 * sizeof(float));
    assert_int_equal(vn_sift_descriptors(s, desc, (size_t)n * 128), VN_OK);
    const float *k = vn_tensor_data_const(cvk), *d = vn_tensor_data_const(cvd);
    for (int i = 0; i < ncv; i++) {
        int j = find_same(s, k + 5 * i);
        if (j < 0)
            fail_msg("OpenCV keypoint %d (%.2f, %.2f) size %.2f angle %.1f has no twin", i,
                     k[5 * i], k[5 * i + 1], k[5 * i + 2], k[5 * i + 3]);
        assert_true(fabsf(keypoint(s, j).response - k[5 * i + 4]) < 1e-4f + 1e-3f * k[5 * i + 4]);
        for (int e = 0; e < 128; e++)
            if (fabsf(desc[(size_t)j * 128 + e] - d[(size_t)i * 128 + e]) > 2)
                fail_msg("keypoint %d element %d: %g vs OpenCV %g", i, e,
                         desc[(size_t)j * 128 + e], d[(size_t)i * 128 + e]);
    }
    free(desc);
    vn_sift_destroy(s);
    vn_tensor_destroy(img);
    vn_tensor_destroy(cvk);
    vn_tensor_destroy(cvd);
}

/* Keypoints come strongest first. */
static void test_keypoints_are_sorted_by_response(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_160");
    vn_sift *s = make_sift();
    int n = 0;
    assert_int_equal(vn_sift_detect(s, img, &n), VN_OK);
    for (int i = 1; i < n; i++)
        assert_true(keypoint(s, i - 1).response >= keypoint(s, i).response);
    vn_sift_destroy(s);
    vn_tensor_destroy(img);
}

/* nfeatures keeps the strongest: the first N of the full list. */
static void test_nfeatures_keeps_the_strongest(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_160");
    vn_sift *all = make_sift(), *few = NULL;
    vn_sift_options o = VN_SIFT_OPTIONS_INIT;
    o.nfeatures = 20;
    assert_int_equal(vn_sift_create(&o, &few), VN_OK);
    int n = 0, m = 0;
    assert_int_equal(vn_sift_detect(all, img, &n), VN_OK);
    assert_int_equal(vn_sift_detect(few, img, &m), VN_OK);
    assert_int_equal(m, 20);
    for (int i = 0; i < m; i++) {
        vn_keypoint a = keypoint(all, i), b = keypoint(few, i);
        assert_true(a.x == b.x && a.y == b.y && a.angle == b.angle);
    }
    vn_sift_destroy(all);
    vn_sift_destroy(few);
    vn_tensor_destroy(img);
}

/* The result does not depend on the number of threads. */
static void test_keypoints_do_not_depend_on_the_thread_count(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_160");
    int saved = vn_get_num_threads();
    vn_sift *a = make_sift(), *b = make_sift();
    int na = 0, nb = 0;
    assert_int_equal(vn_set_num_threads(1), VN_OK);
    assert_int_equal(vn_sift_detect(a, img, &na), VN_OK);
    assert_int_equal(vn_set_num_threads(4), VN_OK);
    assert_int_equal(vn_sift_detect(b, img, &nb), VN_OK);
    vn_set_num_threads(saved);
    assert_int_equal(na, nb);
    float *da = malloc((size_t)na * 128 * sizeof(float)), *db = malloc((size_t)nb * 128 * sizeof(float));
    vn_sift_descriptors(a, da, (size_t)na * 128);
    vn_sift_descriptors(b, db, (size_t)nb * 128);
    assert_memory_equal(da, db, (size_t)na * 128 * sizeof(float));
    for (int i = 0; i < na; i++)
        assert_true(keypoint(a, i).x == keypoint(b, i).x && keypoint(a, i).y == keypoint(b, i).y);
    free(da);
    free(db);
    vn_sift_destroy(a);
    vn_sift_destroy(b);
    vn_tensor_destroy(img);
}

/* Rotating the photo by exactly 90 degrees (numpy.rot90: new[y][x] =
 * old[x][W-1-y], so old (x, y) lands at (y, W-1-x)) keeps the
 * descriptors: ratio-test matches between the two land where the rotation
 * says, within 1.5 px, for at least 90% of at least 50 matches. */
static void test_descriptors_match_across_a_90_degree_rotation(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_160"), *rot = NULL;
    const int H = 160, W = 160;
    int64_t shape[2] = {W, H};
    assert_int_equal(vn_tensor_create(VN_U8, 2, shape, &rot), VN_OK);
    const uint8_t *p = vn_tensor_data_const(img);
    uint8_t *q = vn_tensor_data(rot);
    for (int y = 0; y < W; y++)
        for (int x = 0; x < H; x++)
            q[y * H + x] = p[x * W + (W - 1 - y)];
    vn_sift *a = make_sift(), *b = make_sift();
    int na = 0, nb = 0;
    assert_int_equal(vn_sift_detect(a, img, &na), VN_OK);
    assert_int_equal(vn_sift_detect(b, rot, &nb), VN_OK);
    float *da = malloc((size_t)na * 128 * sizeof(float)), *db = malloc((size_t)nb * 128 * sizeof(float));
    vn_sift_descriptors(a, da, (size_t)na * 128);
    vn_sift_descriptors(b, db, (size_t)nb * 128);
    int *pairs = malloc((size_t)na * 2 * sizeof(int)), m = 0;
    assert_int_equal(vn_sift_match(da, na, db, nb, 0.75f, pairs, na, &m), VN_OK);
    assert_true(m >= 50);
    int good = 0;
    for (int i = 0; i < m; i++) {
        vn_keypoint ka = keypoint(a, pairs[2 * i]), kb = keypoint(b, pairs[2 * i + 1]);
        /* The +0.24 px bias of both sides does not rotate with the image. */
        float ex = ka.y, ey = (float)(W - 1) - ka.x;
        if (hypotf(kb.x - ex, kb.y - ey) < 1.5f)
            good++;
    }
    assert_true(good >= 0.9 * m);
    free(pairs);
    free(da);
    free(db);
    vn_sift_destroy(a);
    vn_sift_destroy(b);
    vn_tensor_destroy(rot);
    vn_tensor_destroy(img);
}

/* Hand-made descriptors (e_k is the k-th unit vector):
 *   d1: q0 = 100 e0, q1 = 50 e5;
 *   d2: t0 = 44 e5, t1 = 100 e0 + e1, t2 = 45 e5.
 * q0: nearest t1 at 1, second t0 at sqrt(100^2 + 44^2) = 109.3, ratio
 * 0.009: matched to 1. q1: nearest t2 at 5, second t0 at 6, ratio 0.83:
 * not matched at 0.75, matched to 2 at 0.9. */
static void test_ratio_test_on_hand_made_descriptors(void **state)
{
    (void)state;
    float d1[2 * 128] = {0}, d2[3 * 128] = {0};
    d1[0] = 100;
    d1[128 + 5] = 50;
    d2[5] = 44;
    d2[128 + 0] = 100, d2[128 + 1] = 1;
    d2[256 + 5] = 45;
    int pairs[4] = {-1, -1, -1, -1}, n = -1;
    assert_int_equal(vn_sift_match(d1, 2, d2, 3, 0.75f, pairs, 2, &n), VN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(pairs[0], 0);
    assert_int_equal(pairs[1], 1);
    assert_int_equal(vn_sift_match(d1, 2, d2, 3, 0.9f, pairs, 2, &n), VN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(pairs[2], 1);
    assert_int_equal(pairs[3], 2);
}

static void test_match_with_one_candidate_matches_nothing(void **state)
{
    (void)state;
    float d1[128] = {1}, d2[128] = {1};
    int pairs[2], n = -1;
    assert_int_equal(vn_sift_match(d1, 1, d2, 1, 0.75f, pairs, 1, &n), VN_OK);
    assert_int_equal(n, 0);
}

static void test_match_refuses_a_ratio_out_of_range(void **state)
{
    (void)state;
    float d[256] = {0};
    int n;
    assert_int_equal(vn_sift_match(d, 2, d, 2, 0.f, NULL, 0, &n), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_sift_match(d, 2, d, 2, 1.5f, NULL, 0, &n), VN_ERR_INVALID_ARG);
}

static void test_options_out_of_range_are_refused(void **state)
{
    (void)state;
    vn_sift *s = NULL;
    vn_sift_options o = VN_SIFT_OPTIONS_INIT;
    o.octave_layers = 0;
    assert_int_equal(vn_sift_create(&o, &s), VN_ERR_INVALID_ARG);
    o = (vn_sift_options)VN_SIFT_OPTIONS_INIT;
    o.contrast_threshold = -0.1f;
    assert_int_equal(vn_sift_create(&o, &s), VN_ERR_INVALID_ARG);
    o = (vn_sift_options)VN_SIFT_OPTIONS_INIT;
    o.nfeatures = -1;
    assert_int_equal(vn_sift_create(&o, &s), VN_ERR_INVALID_ARG);
    o = (vn_sift_options)VN_SIFT_OPTIONS_INIT;
    o.size = 8;   /* a caller built against a smaller struct */
    assert_int_equal(vn_sift_create(&o, &s), VN_ERR_INVALID_ARG);
    assert_null(s);
    vn_sift_destroy(NULL);   /* a no-op */
}

static void test_tiny_images_give_zero_keypoints(void **state)
{
    (void)state;
    vn_sift *s = make_sift();
    const int sizes[3][2] = {{1, 1}, {8, 8}, {3, 200}};
    for (int i = 0; i < 3; i++) {
        int64_t shape[2] = {sizes[i][0], sizes[i][1]};
        vn_tensor *t = NULL;
        assert_int_equal(vn_tensor_create(VN_U8, 2, shape, &t), VN_OK);
        uint8_t *p = vn_tensor_data(t);
        for (size_t j = 0; j < vn_tensor_numel(t); j++)
            p[j] = (uint8_t)(j * 37);
        int n = -1;
        assert_int_equal(vn_sift_detect(s, t, &n), VN_OK);
        assert_int_equal(n, 0);
        assert_int_equal(vn_sift_count(s), 0);
        vn_tensor_destroy(t);
    }
    vn_sift_destroy(s);
}

/* A NaN pixel (f32 input) must not crash the detector or the descriptor
 * (it once did): detection succeeds, and a keypoint whose window is far
 * from the NaN gets a finite descriptor. The NaN sits in a corner. */
static void test_a_nan_pixel_does_not_crash_and_stays_local(void **state)
{
    (void)state;
    vn_tensor *u8 = load("camera_160"), *f = NULL;
    assert_int_equal(vn_tensor_convert(u8, VN_F32, &f), VN_OK);
    float *p = vn_tensor_data(f);
    for (size_t j = 0; j < vn_tensor_numel(f); j++)
        p[j] /= 255.0f;
    p[0] = NAN;
    vn_sift *s = make_sift();
    int n = -1;
    assert_int_equal(vn_sift_detect(s, f, &n), VN_OK);
    assert_true(n > 0);
    float *d = malloc((size_t)n * 128 * sizeof(float));
    assert_non_null(d);
    assert_int_equal(vn_sift_descriptors(s, d, (size_t)n * 128), VN_OK);
    int far = 0;
    for (int i = 0; i < n; i++) {
        vn_keypoint kp = keypoint(s, i);
        if (kp.x > 60 && kp.y > 60) {
            far++;
            for (int j = 0; j < 128; j++)
                assert_true(isfinite(d[(size_t)i * 128 + j]));
        }
    }
    assert_true(far > 0);
    free(d);
    vn_sift_destroy(s);
    vn_tensor_destroy(f);
    vn_tensor_destroy(u8);
}

static void test_unsupported_images_are_refused(void **state)
{
    (void)state;
    vn_sift *s = make_sift();
    int64_t two[3] = {32, 32, 2}, gray[2] = {32, 32};
    vn_tensor *a = NULL, *b = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, two, &a), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 2, gray, &b), VN_OK);
    int n = -1;
    assert_int_equal(vn_sift_detect(s, a, &n), VN_ERR_SHAPE);
    assert_int_equal(vn_sift_detect(s, b, &n), VN_ERR_SHAPE);
    assert_int_equal(vn_sift_detect(s, NULL, &n), VN_ERR_INVALID_ARG);
    vn_tensor_destroy(a);
    vn_tensor_destroy(b);
    vn_sift_destroy(s);
}

static void test_getters_check_their_arguments(void **state)
{
    (void)state;
    vn_tensor *img = load("camera_160");
    vn_sift *s = make_sift();
    int n = 0;
    assert_int_equal(vn_sift_detect(s, img, &n), VN_OK);
    vn_keypoint kp = VN_KEYPOINT_INIT;
    assert_int_equal(vn_sift_keypoint(s, n, &kp), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_sift_keypoint(s, -1, &kp), VN_ERR_INVALID_ARG);
    kp.size = 4;
    assert_int_equal(vn_sift_keypoint(s, 0, &kp), VN_ERR_INVALID_ARG);
    float small[128];
    assert_int_equal(vn_sift_descriptors(s, small, 128), VN_ERR_INVALID_ARG);
    vn_sift_destroy(s);
    vn_tensor_destroy(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gaussian_blobs_give_keypoints_at_their_centres_sized_by_sigma),
        cmocka_unit_test(test_keypoints_and_descriptors_match_opencv_on_a_photo),
        cmocka_unit_test(test_keypoints_are_sorted_by_response),
        cmocka_unit_test(test_nfeatures_keeps_the_strongest),
        cmocka_unit_test(test_keypoints_do_not_depend_on_the_thread_count),
        cmocka_unit_test(test_descriptors_match_across_a_90_degree_rotation),
        cmocka_unit_test(test_ratio_test_on_hand_made_descriptors),
        cmocka_unit_test(test_match_with_one_candidate_matches_nothing),
        cmocka_unit_test(test_match_refuses_a_ratio_out_of_range),
        cmocka_unit_test(test_options_out_of_range_are_refused),
        cmocka_unit_test(test_tiny_images_give_zero_keypoints),
        cmocka_unit_test(test_a_nan_pixel_does_not_crash_and_stays_local),
        cmocka_unit_test(test_unsupported_images_are_refused),
        cmocka_unit_test(test_getters_check_their_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
