/* test_augment.c - augmentation pipelines: the spec grammar and its
 * errors, each op with fixed parameters against a reference, annotations
 * under known transforms, determinism over threads and batch splits,
 * noise statistics, mixing, adversarial examples.
 *
 * Reference arrays are the .npy files of tests/data/augment/, made by
 * tests/data/make_augment_refs.py (torchvision 0.14's colour formulas
 * transcribed into torch, OpenCV 4.6 for the warps and resizes); the input
 * is photo.npy (astronaut, 96x128 RGB). Fixed parameters are written as
 * one-point ranges ("b=1.3,1.3") with p=1. */
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
#include <visionnet/augment.h>

#define DIR VN_TEST_DATA "/augment/"

static vn_tensor *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, DIR "%s.npy", name);
    vn_tensor *t = NULL;
    if (vn_tensor_load_npy(path, &t) != VN_OK)
        fail_msg("%s: %s", path, vn_last_error());
    return t;
}

static vn_augment *pipeline(const char *spec)
{
    vn_augment *a = NULL;
    if (vn_augment_from_spec(spec, &a) != VN_OK)
        fail_msg("spec '%s': %s", spec, vn_last_error());
    return a;
}

static vn_tensor *apply1(const char *spec, const vn_tensor *img, uint64_t index)
{
    vn_augment *a = pipeline(spec);
    vn_tensor *out = NULL;
    if (vn_augment_apply_sample(a, img, 7, 0, index, &out) != VN_OK)
        fail_msg("apply '%s': %s", spec, vn_last_error());
    vn_augment_destroy(a);
    return out;
}

static double at(const vn_tensor *t, size_t i)
{
    const void *d = vn_tensor_data_const(t);
    return vn_tensor_dtype(t) == VN_U8 ? ((const uint8_t *)d)[i] : ((const float *)d)[i];
}

/* Same dtype and shape, |got - want| <= atol everywhere. */
static void assert_close(const vn_tensor *got, const vn_tensor *want, double atol)
{
    assert_int_equal(vn_tensor_dtype(got), vn_tensor_dtype(want));
    assert_int_equal(vn_tensor_ndim(got), vn_tensor_ndim(want));
    for (int i = 0; i < vn_tensor_ndim(want); i++)
        assert_int_equal(vn_tensor_dim(got, i), vn_tensor_dim(want, i));
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < vn_tensor_numel(want); i++)
        if (!(fabs(at(got, i) - at(want, i)) <= atol) && bad++ == 0)
            first = i;
    if (bad)
        fail_msg("%zu of %zu elements differ by more than %g; first at %zu: got %.9g, want %.9g",
                 bad, vn_tensor_numel(want), atol, first, at(got, first), at(want, first));
}

static void assert_identical(const vn_tensor *a, const vn_tensor *b)
{
    assert_int_equal(vn_tensor_nbytes(a), vn_tensor_nbytes(b));
    assert_memory_equal(vn_tensor_data_const(a), vn_tensor_data_const(b), vn_tensor_nbytes(a));
}

/* Apply spec to photo.npy and compare with the reference `ref` within atol. */
static void check_photo_op(const char *spec, const char *ref, double atol)
{
    vn_tensor *x = load("photo"), *want = load(ref);
    vn_tensor *got = apply1(spec, x, 0);
    assert_close(got, want, atol);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

/* ---- the spec grammar ------------------------------------------------------- */

static void test_spec_unknown_key_names_op_index_name_and_word(void **state)
{
    (void)state;
    vn_augment *a = NULL;
    assert_int_equal(vn_augment_from_spec("hflip p=0.5; rotate degs=15", &a), VN_ERR_FORMAT);
    assert_null(a);
    assert_non_null(strstr(vn_last_error(), "augment spec, op 1 'rotate': unknown key 'degs'"));
}

static void test_spec_unknown_op_is_refused_with_its_name(void **state)
{
    (void)state;
    vn_augment *a = NULL;
    assert_int_equal(vn_augment_from_spec("hflip; twirl deg=3", &a), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "op 1 'twirl': unknown op"));
}

static void test_spec_bad_value_names_the_key(void **state)
{
    (void)state;
    vn_augment *a = NULL;
    assert_int_equal(vn_augment_from_spec("color_jitter b=0.4 h=0.9", &a), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "op 0 'color_jitter': h:"));
    assert_int_equal(vn_augment_from_spec("erase p=x", &a), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "op 0 'erase': p: 'x' is not a number"));
}

static void test_spec_size_changing_op_refuses_p_below_one(void **state)
{
    (void)state;
    vn_augment *a = NULL;
    assert_int_equal(vn_augment_from_spec("random_crop size=8 p=0.5", &a), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "p must be 1"));
}

static void test_spec_round_trips_through_to_spec(void **state)
{
    (void)state;
    const char *spec = "random_resized_crop size=32,48; hflip p=0.5; rotate deg=15; "
                       "color_jitter b=0.4 c=0.4 s=0.4 h=0.1; gaussian_noise sigma=0.05\n"
                       "# a comment; with a semicolon\nerase p=0.25 value=random; blur k=5";
    vn_augment *a = pipeline(spec);
    assert_int_equal(vn_augment_op_count(a), 7);
    char *text = NULL, *again = NULL;
    assert_int_equal(vn_augment_to_spec(a, &text), VN_OK);
    vn_augment *b = pipeline(text);
    assert_int_equal(vn_augment_to_spec(b, &again), VN_OK);
    assert_string_equal(text, again);
    vn_tensor *x = load("photo"), *ya = NULL, *yb = NULL;
    assert_int_equal(vn_augment_apply_sample(a, x, 3, 1, 5, &ya), VN_OK);
    assert_int_equal(vn_augment_apply_sample(b, x, 3, 1, 5, &yb), VN_OK);
    assert_identical(ya, yb);
    vn_free(text);
    vn_free(again);
    vn_augment_destroy(a);
    vn_augment_destroy(b);
    vn_tensor_destroy(x);
    vn_tensor_destroy(ya);
    vn_tensor_destroy(yb);
}

static void test_error_on_add_leaves_pipeline_unchanged(void **state)
{
    (void)state;
    vn_augment *a = pipeline("hflip");
    assert_int_equal(vn_augment_add_spec(a, "vflip; blur k=4"), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "op 2 'blur': k:"));
    assert_int_equal(vn_augment_op_count(a), 1);
    assert_int_equal(vn_augment_add_rotation(a, 10, 2.0f), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_augment_op_count(a), 1);
    vn_augment_destroy(a);
}

/* ---- colour ops against torchvision's formulas (u8 within 1 level) ----------- */

static void test_brightness_matches_torchvision(void **state)
{
    (void)state;
    check_photo_op("brightness b=1.3,1.3", "brightness_1.3", 1);
    check_photo_op("brightness b=0.6,0.6", "brightness_0.6", 1);
}

static void test_contrast_matches_torchvision(void **state)
{
    (void)state;
    check_photo_op("contrast c=0.6,0.6", "contrast_0.6", 1);
    check_photo_op("contrast c=1.4,1.4", "contrast_1.4", 1);
}

static void test_saturation_matches_torchvision(void **state)
{
    (void)state;
    check_photo_op("saturation s=0.3,0.3", "saturation_0.3", 1);
    check_photo_op("saturation s=1.7,1.7", "saturation_1.7", 1);
}

static void test_hue_matches_torchvision(void **state)
{
    (void)state;
    check_photo_op("hue h=0.1,0.1", "hue_0.1", 1);
    check_photo_op("hue h=-0.35,-0.35", "hue_-0.35", 1);
}

static void test_hue_and_contrast_on_f32_match_torchvision(void **state)
{
    (void)state;
    vn_tensor *x = load("photo_f32"), *want = load("hue_f32_0.2");
    vn_tensor *got = apply1("hue h=0.2,0.2", x, 0);
    assert_close(got, want, 1e-5);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
    want = load("contrast_f32_1.4");
    got = apply1("contrast c=1.4,1.4", x, 0);
    assert_close(got, want, 1e-5);
    vn_tensor_destroy(x);
    vn_tensor_destroy(want);
    vn_tensor_destroy(got);
}

static void test_gamma_grayscale_sharpen_blur_match_torchvision(void **state)
{
    (void)state;
    check_photo_op("gamma g=0.7,0.7", "gamma_0.7", 1);
    check_photo_op("grayscale p=1", "grayscale", 1);
    check_photo_op("sharpen f=2 p=1", "sharpen_2", 1);
    check_photo_op("blur k=5 sigma=1.2", "blur_5_1.2", 1);
}

static void test_saturation_leaves_grey_images_unchanged(void **state)
{
    (void)state;
    int64_t shape[2] = {5, 7};
    vn_tensor *g = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 2, shape, &g), VN_OK);
    uint8_t *d = vn_tensor_data(g);
    for (int i = 0; i < 35; i++)
        d[i] = (uint8_t)(i * 7);
    vn_tensor *out = apply1("saturation s=0.2,0.2; hue h=0.3,0.3", g, 0);
    assert_identical(out, g);
    vn_tensor_destroy(g);
    vn_tensor_destroy(out);
}

/* The colour kernels have a 3-byte-pixel path and a general one: on an
 * RGBA copy of the photo the colour channels come out as on the RGB photo,
 * and alpha untouched. */
static void test_color_jitter_on_rgba_equals_rgb_and_keeps_alpha(void **state)
{
    (void)state;
    vn_tensor *rgb = load("photo");
    int64_t h = vn_tensor_dim(rgb, 0), w = vn_tensor_dim(rgb, 1);
    int64_t shape[3] = {h, w, 4};
    vn_tensor *rgba = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, shape, &rgba), VN_OK);
    const uint8_t *a = vn_tensor_data_const(rgb);
    uint8_t *b = vn_tensor_data(rgba);
    for (int64_t i = 0; i < h * w; i++) {
        memcpy(b + 4 * i, a + 3 * i, 3);
        b[4 * i + 3] = (uint8_t)(i * 7);
    }
    const char *spec = "color_jitter b=0.4 c=0.4 s=0.4 h=0.1";
    for (uint64_t index = 0; index < 4; index++) {
        vn_tensor *y3 = apply1(spec, rgb, index), *y4 = apply1(spec, rgba, index);
        const uint8_t *p = vn_tensor_data_const(y3), *q = vn_tensor_data_const(y4);
        for (int64_t i = 0; i < h * w; i++) {
            assert_memory_equal(q + 4 * i, p + 3 * i, 3);
            assert_int_equal(q[4 * i + 3], (uint8_t)(i * 7));
        }
        vn_tensor_destroy(y3);
        vn_tensor_destroy(y4);
    }
    vn_tensor_destroy(rgba);
    vn_tensor_destroy(rgb);
}

static void test_grayscale_refuses_five_channels(void **state)
{
    (void)state;
    int64_t shape[3] = {5, 4, 4};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 3, shape, &t), VN_OK);
    vn_augment *a = pipeline("hflip p=1; grayscale p=1");
    vn_tensor *out = NULL;
    assert_int_equal(vn_augment_apply_sample(a, t, 0, 0, 0, &out), VN_ERR_SHAPE);
    assert_non_null(strstr(vn_last_error(), "augment op 1 'grayscale': grayscale needs a grey or RGB"));
    vn_augment_destroy(a);
    vn_tensor_destroy(t);
}

/* ---- geometric ops against the image layer's references ---------------------- */

static void test_hflip_mirrors_columns_exactly(void **state)
{
    (void)state;
    vn_tensor *x = load("photo");
    vn_tensor *y = apply1("hflip p=1", x, 0);
    const uint8_t *a = vn_tensor_data_const(x), *b = vn_tensor_data_const(y);
    for (int r = 0; r < 96; r++)
        for (int c = 0; c < 128; c++)
            for (int k = 0; k < 3; k++)
                assert_int_equal(b[(r * 128 + c) * 3 + k], a[(r * 128 + 127 - c) * 3 + k]);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_hflip_on_f32_chw_mirrors_planes(void **state)
{
    (void)state;
    vn_tensor *x = load("photo_f32");
    vn_tensor *y = apply1("vflip p=1", x, 0);
    const float *a = vn_tensor_data_const(x), *b = vn_tensor_data_const(y);
    assert_int_equal(vn_tensor_dim(y, 0), 3);
    for (int k = 0; k < 3; k++)
        for (int r = 0; r < 96; r++)
            for (int c = 0; c < 128; c++)
                assert_true(b[(k * 96 + r) * 128 + c] == a[(k * 96 + 95 - r) * 128 + c]);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

/* The flips run in place on the working image; the image layer's
 * vn_image_flip is the reference, on odd widths (a middle column that
 * stays) and every channel count. */
static void test_flips_in_place_match_image_flip_for_1_to_4_channels(void **state)
{
    (void)state;
    static const char *specs[3] = {"hflip p=1", "vflip p=1", "hflip p=1; vflip p=1"};
    static const vn_flip dirs[3] = {VN_FLIP_HORIZONTAL, VN_FLIP_VERTICAL, VN_FLIP_BOTH};
    for (int64_t c = 1; c <= 4; c++) {
        int64_t shape[3] = {5, 7, c};
        vn_tensor *x = NULL;
        assert_int_equal(vn_tensor_create(VN_U8, 3, shape, &x), VN_OK);
        uint8_t *d = vn_tensor_data(x);
        for (size_t i = 0; i < vn_tensor_nbytes(x); i++)
            d[i] = (uint8_t)(i * 37 + 11);
        for (int k = 0; k < 3; k++) {
            vn_tensor *want = NULL;
            assert_int_equal(vn_image_flip(x, dirs[k], &want), VN_OK);
            vn_tensor *got = apply1(specs[k], x, 0);
            assert_int_equal(vn_tensor_nbytes(got), vn_tensor_nbytes(want));
            assert_memory_equal(vn_tensor_data_const(got), vn_tensor_data_const(want),
                                vn_tensor_nbytes(want));
            vn_tensor_destroy(got);
            vn_tensor_destroy(want);
        }
        vn_tensor_destroy(x);
    }
}

static void test_rotate_matches_cv2_warp_affine(void **state)
{
    (void)state;
    check_photo_op("rotate deg=30,30", "rotate_30", 1);
}

static void test_affine_matches_torchvision_matrix(void **state)
{
    (void)state;
    check_photo_op("affine deg=20,20 scale=1.1,1.1 shear=10,10,5,5", "affine", 1);
}

static void test_resized_crop_of_whole_image_is_cv2_resize(void **state)
{
    (void)state;
    check_photo_op("random_resized_crop size=80,100 scale=1,1 ratio=1.33333333,1.33333333",
                   "resize_80x100", 0);
}

static void test_perspective_without_distortion_is_identity(void **state)
{
    (void)state;
    vn_tensor *x = load("photo");
    vn_tensor *y = apply1("perspective d=0 p=1", x, 0);
    assert_identical(y, x);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_random_crop_gives_its_size_inside_padded_image(void **state)
{
    (void)state;
    vn_tensor *x = load("photo");
    for (uint64_t i = 0; i < 8; i++) {
        vn_tensor *y = apply1("random_crop size=40,50 pad=4 border=reflect", x, i);
        assert_int_equal(vn_tensor_dim(y, 0), 40);
        assert_int_equal(vn_tensor_dim(y, 1), 50);
        vn_tensor_destroy(y);
    }
    vn_tensor_destroy(x);
}

/* ---- annotations under known transforms ------------------------------------- */

static void run_annotated(const char *spec, int h, int w, const float *box, const float *pt,
                          float *box_out, float *pt_out)
{
    int64_t ishape[3] = {h, w, 3}, bshape[2] = {1, 4}, pshape[2] = {1, 2};
    vn_tensor *img = NULL, *b = NULL, *p = NULL, *out = NULL, *bo = NULL, *po = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, ishape, &img), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 2, bshape, &b), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 2, pshape, &p), VN_OK);
    memcpy(vn_tensor_data(b), box, 4 * sizeof(float));
    memcpy(vn_tensor_data(p), pt, 2 * sizeof(float));
    vn_augment *a = pipeline(spec);
    assert_int_equal(vn_augment_apply_sample_ex(a, img, 1, 0, 0, b, p, &out, &bo, &po), VN_OK);
    memcpy(box_out, vn_tensor_data(bo), 4 * sizeof(float));
    memcpy(pt_out, vn_tensor_data(po), 2 * sizeof(float));
    vn_augment_destroy(a);
    vn_tensor_destroy(img);
    vn_tensor_destroy(b);
    vn_tensor_destroy(p);
    vn_tensor_destroy(out);
    vn_tensor_destroy(bo);
    vn_tensor_destroy(po);
}

static void assert_floats(const float *got, const float *want, int n, double tol)
{
    for (int i = 0; i < n; i++)
        if (fabs(got[i] - want[i]) > tol)
            fail_msg("value %d: got %.6f, want %.6f", i, got[i], want[i]);
}

static void test_hflip_moves_boxes_and_points(void **state)
{
    (void)state;
    float box[4] = {10, 20, 30, 40}, pt[2] = {3.5f, 7.25f}, bo[4], po[2];
    run_annotated("hflip p=1", 48, 64, box, pt, bo, po);
    float wb[4] = {34, 20, 54, 40}, wp[2] = {60.5f, 7.25f};
    assert_floats(bo, wb, 4, 0);
    assert_floats(po, wp, 2, 0);
}

static void test_rotation_by_90_moves_boxes_and_points(void **state)
{
    (void)state;
    /* Counter-clockwise on screen about the centre (32, 32) of a 64x64
     * image: (x, y) -> (y, 64 - x). */
    float box[4] = {10, 20, 30, 40}, pt[2] = {10, 20}, bo[4], po[2];
    run_annotated("rotate deg=90,90", 64, 64, box, pt, bo, po);
    float wb[4] = {20, 34, 40, 54}, wp[2] = {20, 54};
    assert_floats(bo, wb, 4, 1e-4);
    assert_floats(po, wp, 2, 1e-4);
}

static void test_rotation_by_90_rotates_the_pixels(void **state)
{
    (void)state;
    int64_t shape[3] = {4, 4, 1};
    vn_tensor *x = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, shape, &x), VN_OK);
    uint8_t *d = vn_tensor_data(x);
    for (int i = 0; i < 16; i++)
        d[i] = (uint8_t)(i + 1);
    vn_tensor *y = apply1("rotate deg=90,90", x, 0);
    /* CCW: the right column becomes the top row. */
    const uint8_t want[16] = {4, 8, 12, 16, 3, 7, 11, 15, 2, 6, 10, 14, 1, 5, 9, 13};
    assert_memory_equal(vn_tensor_data_const(y), want, 16);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_padded_crop_shifts_and_clips_boxes(void **state)
{
    (void)state;
    /* 32x32 padded by 4 and cropped at 40x40: the only window is the whole
     * padded image, so everything moves by (+4, +4). */
    float box[4] = {-10, 2, 8, 12}, pt[2] = {1, 2}, bo[4], po[2];
    run_annotated("random_crop size=40 pad=4", 32, 32, box, pt, bo, po);
    float wb[4] = {0, 6, 12, 16}, wp[2] = {5, 6};
    assert_floats(bo, wb, 4, 0);
    assert_floats(po, wp, 2, 0);
}

static void test_resized_crop_scales_boxes(void **state)
{
    (void)state;
    float box[4] = {8, 8, 24, 16}, pt[2] = {16, 12}, bo[4], po[2];
    run_annotated("random_resized_crop size=48,64 scale=1,1 ratio=2,2", 24, 48, box, pt, bo, po);
    float wb[4] = {10.666667f, 16, 32, 32}, wp[2] = {21.333334f, 24};
    assert_floats(bo, wb, 4, 1e-4);
    assert_floats(po, wp, 2, 1e-4);
}

/* ---- determinism ------------------------------------------------------------------ */

static const char *RANDOM_SPEC =
    "random_resized_crop size=64,80; hflip; rotate deg=15; perspective p=0.5; "
    "color_jitter b=0.4 c=0.4 s=0.4 h=0.1; gaussian_noise sigma=0.05; salt_pepper p=0.3; "
    "blur k=3 p=0.3; erase p=0.5 value=random";

static vn_tensor *photo_batch(int n)
{
    vn_tensor *x = load("photo"), *b = NULL;
    int64_t shape[4] = {n, 96, 128, 3};
    assert_int_equal(vn_tensor_create(VN_U8, 4, shape, &b), VN_OK);
    for (int i = 0; i < n; i++)
        memcpy((uint8_t *)vn_tensor_data(b) + (size_t)i * vn_tensor_nbytes(x),
               vn_tensor_data(x), vn_tensor_nbytes(x));
    vn_tensor_destroy(x);
    return b;
}

static void test_batch_equals_singles_on_one_and_two_threads(void **state)
{
    (void)state;
    vn_augment *a = pipeline(RANDOM_SPEC);
    vn_tensor *batch = photo_batch(8), *one = NULL, *two = NULL;
    vn_set_num_threads(1);
    assert_int_equal(vn_augment_apply(a, batch, 42, 3, 100, &one), VN_OK);
    vn_set_num_threads(2);
    assert_int_equal(vn_augment_apply(a, batch, 42, 3, 100, &two), VN_OK);
    assert_identical(one, two);
    /* the 8 samples differ from each other (the randomness is per sample) */
    size_t per = vn_tensor_nbytes(one) / 8;
    assert_int_equal(vn_tensor_dim(one, 1), 64);
    assert_true(memcmp(vn_tensor_data(one), (uint8_t *)vn_tensor_data(one) + per, per) != 0);
    vn_tensor *x = load("photo");
    for (int i = 0; i < 8; i++) {
        vn_tensor *s = NULL;
        assert_int_equal(vn_augment_apply_sample(a, x, 42, 3, 100 + (uint64_t)i, &s), VN_OK);
        assert_memory_equal(vn_tensor_data(s), (uint8_t *)vn_tensor_data(one) + i * per, per);
        vn_tensor_destroy(s);
    }
    vn_set_num_threads(0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(batch);
    vn_tensor_destroy(one);
    vn_tensor_destroy(two);
    vn_augment_destroy(a);
}

static void test_batch_split_gives_the_same_samples(void **state)
{
    (void)state;
    vn_augment *a = pipeline(RANDOM_SPEC);
    vn_tensor *b8 = photo_batch(8), *b4 = photo_batch(4), *all = NULL, *lo = NULL, *hi = NULL;
    assert_int_equal(vn_augment_apply(a, b8, 9, 1, 0, &all), VN_OK);
    assert_int_equal(vn_augment_apply(a, b4, 9, 1, 0, &lo), VN_OK);
    assert_int_equal(vn_augment_apply(a, b4, 9, 1, 4, &hi), VN_OK);
    size_t half = vn_tensor_nbytes(lo);
    assert_memory_equal(vn_tensor_data(all), vn_tensor_data(lo), half);
    assert_memory_equal((uint8_t *)vn_tensor_data(all) + half, vn_tensor_data(hi), half);
    vn_tensor *other = NULL;
    assert_int_equal(vn_augment_apply(a, b4, 9, 2, 0, &other), VN_OK);
    assert_true(memcmp(vn_tensor_data(other), vn_tensor_data(lo), half) != 0); /* epoch matters */
    vn_tensor_destroy(other);
    vn_tensor_destroy(b8);
    vn_tensor_destroy(b4);
    vn_tensor_destroy(all);
    vn_tensor_destroy(lo);
    vn_tensor_destroy(hi);
    vn_augment_destroy(a);
}

static void test_sample_hook_replaces_image_by_apply_sample(void **state)
{
    (void)state;
    vn_augment *a = pipeline(RANDOM_SPEC);
    vn_tensor *x = load("photo"), *img = NULL, *want = NULL;
    assert_int_equal(vn_tensor_copy(x, &img), VN_OK);
    assert_int_equal(vn_augment_sample_hook(&img, 5, 2, 11, a), VN_OK);
    assert_int_equal(vn_augment_apply_sample(a, x, 5, 2, 11, &want), VN_OK);
    assert_identical(img, want);
    vn_tensor_destroy(x);
    vn_tensor_destroy(img);
    vn_tensor_destroy(want);
    vn_augment_destroy(a);
}

static void test_probability_zero_never_runs(void **state)
{
    (void)state;
    vn_tensor *x = load("photo");
    for (uint64_t i = 0; i < 16; i++) {
        vn_tensor *y = apply1("hflip p=0; color_jitter b=0.9 p=0; erase p=0", x, i);
        assert_identical(y, x);
        vn_tensor_destroy(y);
    }
    vn_tensor_destroy(x);
}

/* ---- noise and erasing statistics -------------------------------------------------- */

static vn_tensor *grey_image(int h, int w, int c, uint8_t v)
{
    int64_t shape[3] = {h, w, c};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, shape, &t), VN_OK);
    memset(vn_tensor_data(t), v, vn_tensor_nbytes(t));
    return t;
}

static void test_gaussian_noise_has_the_asked_sigma(void **state)
{
    (void)state;
    vn_tensor *x = grey_image(200, 200, 3, 128);
    vn_tensor *y = apply1("gaussian_noise sigma=0.05", x, 0);
    double s1 = 0, s2 = 0;
    size_t n = vn_tensor_numel(y);
    for (size_t i = 0; i < n; i++) {
        double d = at(y, i) - 128;
        s1 += d;
        s2 += d * d;
    }
    double mean = s1 / n, sd = sqrt(s2 / n - mean * mean);
    assert_true(fabs(mean) < 0.1);
    /* 12.75 levels, plus the rounding's 1/12 variance */
    assert_true(fabs(sd - sqrt(12.75 * 12.75 + 1.0 / 12)) < 0.15);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_salt_and_pepper_replaces_the_asked_fraction(void **state)
{
    (void)state;
    vn_tensor *x = grey_image(200, 200, 3, 128);
    vn_tensor *y = apply1("salt_pepper amount=0.1 svp=0.25", x, 0);
    size_t n = vn_tensor_numel(y), salt = 0, pepper = 0;
    for (size_t i = 0; i < n; i++) {
        salt += at(y, i) == 255;
        pepper += at(y, i) == 0;
    }
    assert_true(fabs((double)(salt + pepper) / n - 0.1) < 0.005);
    assert_true(fabs((double)salt / (salt + pepper) - 0.25) < 0.02);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

static void test_erase_fills_one_rectangle_of_the_asked_area(void **state)
{
    (void)state;
    vn_tensor *x = grey_image(100, 120, 3, 200);
    for (uint64_t i = 0; i < 20; i++) {
        vn_tensor *y = apply1("erase p=1 scale=0.1,0.2 value=7", x, i);
        int64_t cnt = 0, x0 = 1000, x1 = -1, y0 = 1000, y1 = -1;
        for (int r = 0; r < 100; r++)
            for (int c = 0; c < 120; c++)
                if (at(y, (size_t)(r * 120 + c) * 3) == 7) {
                    cnt++;
                    x0 = c < x0 ? c : x0, x1 = c > x1 ? c : x1;
                    y0 = r < y0 ? r : y0, y1 = r > y1 ? r : y1;
                }
        assert_int_equal(cnt, (x1 - x0 + 1) * (y1 - y0 + 1)); /* a rectangle */
        assert_true(cnt >= 0.1 * 12000 * 0.85 && cnt <= 0.2 * 12000 * 1.15);
        vn_tensor_destroy(y);
    }
    vn_tensor_destroy(x);
}

/* ---- mixing ----------------------------------------------------------------------------- */

/* 4 f32 samples [4, 1, 8, 10]; sample n holds the value n everywhere. */
static void make_mix_batch(vn_tensor **x, vn_tensor **y)
{
    int64_t shape[4] = {4, 1, 8, 10}, ls[1] = {4};
    assert_int_equal(vn_tensor_create(VN_F32, 4, shape, x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, ls, y), VN_OK);
    float *d = vn_tensor_data(*x);
    for (int i = 0; i < 320; i++)
        d[i] = (float)(i / 80);
    int32_t labels[4] = {0, 2, 1, 2};
    memcpy(vn_tensor_data(*y), labels, sizeof labels);
}

static void test_mixup_blends_with_the_rolled_batch_and_targets_match(void **state)
{
    (void)state;
    vn_tensor *x, *y, *xo = NULL, *t = NULL;
    make_mix_batch(&x, &y);
    assert_int_equal(vn_augment_mix_batch(VN_MIX_MIXUP, 0.4f, x, y, 3, 1, 0, &xo, &t), VN_OK);
    const float *tv = vn_tensor_data(t), *xv = vn_tensor_data(xo);
    /* sample 1 (label 2) mixed with sample 0 (label 0) */
    double lam = tv[1 * 3 + 2];
    assert_true(lam >= 0 && lam <= 1);
    assert_true(fabs(tv[1 * 3 + 0] - (1 - lam)) < 1e-6);
    assert_true(fabs(xv[80] - (lam * 1 + (1 - lam) * 0)) < 1e-5);
    for (int n = 0; n < 4; n++)
        assert_true(fabs(tv[n * 3] + tv[n * 3 + 1] + tv[n * 3 + 2] - 1) < 1e-6);
    float loss;
    assert_int_equal(vn_loss_cross_entropy(t, t, 0.0f, &loss, NULL), VN_OK);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn_tensor_destroy(xo);
    vn_tensor_destroy(t);
}

static void test_cutmix_target_is_the_pasted_area_fraction(void **state)
{
    (void)state;
    vn_tensor *x, *y;
    make_mix_batch(&x, &y);
    for (uint64_t step = 0; step < 10; step++) {
        vn_tensor *xo = NULL, *t = NULL;
        assert_int_equal(vn_augment_mix_batch(VN_MIX_CUTMIX, 1.0f, x, y, 3, 3, step, &xo, &t), VN_OK);
        const float *xv = vn_tensor_data(xo), *tv = vn_tensor_data(t);
        int pasted = 0;
        for (int i = 0; i < 80; i++)
            pasted += xv[2 * 80 + i] == 1.0f; /* sample 2 gets sample 1's pixels */
        /* sample 2 has label 1, sample 1 label 2 */
        assert_true(fabs(tv[2 * 3 + 2] - pasted / 80.0) < 1e-6);
        assert_true(fabs(tv[2 * 3 + 1] - (1 - pasted / 80.0)) < 1e-6);
        vn_tensor_destroy(xo);
        vn_tensor_destroy(t);
    }
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
}

/* ---- adversarial -------------------------------------------------------------------- */

static double model_loss(vn_model *m, const vn_tensor *x, const vn_tensor *y)
{
    const vn_tensor *logits = NULL;
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &logits), VN_OK);
    float loss;
    assert_int_equal(vn_loss_cross_entropy(logits, y, 0.0f, &loss, NULL), VN_OK);
    return loss;
}

static void test_fgsm_and_pgd_raise_the_loss_within_epsilon(void **state)
{
    (void)state;
    vn_model *m = NULL;
    assert_int_equal(vn_model_from_spec("input shape=1,6,6 seed=3\nconv2d name=c out=4 k=3 pad=1\n"
                                        "batch_norm2d name=bn\nrelu\nflatten\ndense name=fc out=3\n",
                                        &m), VN_OK);
    int64_t shape[4] = {5, 1, 6, 6}, ls[1] = {5};
    vn_tensor *x = NULL, *y = NULL, *adv = NULL, *adv2 = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 4, shape, &x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, ls, &y), VN_OK);
    float *xv = vn_tensor_data(x);
    for (int i = 0; i < 180; i++)
        xv[i] = (float)((i * 37) % 101) / 100.0f;
    int32_t *yv = vn_tensor_data(y);
    for (int i = 0; i < 5; i++)
        yv[i] = i % 3;
    vn_tensor *w = NULL;
    assert_int_equal(vn_model_param(m, 0, NULL, &w, NULL, NULL), VN_OK);
    float w0 = ((float *)vn_tensor_data(w))[0];
    double before = model_loss(m, x, y);
    assert_int_equal(vn_augment_fgsm(m, x, y, 0.05f, 0.0f, 1.0f, &adv), VN_OK);
    double after = model_loss(m, adv, y);
    assert_true(after > before);
    vn_augment_pgd_options o = VN_AUGMENT_PGD_OPTIONS_INIT;
    o.epsilon = 0.05f;
    o.step_size = 0.02f;
    o.steps = 5;
    assert_int_equal(vn_augment_pgd(m, x, y, &o, &adv2), VN_OK);
    assert_true(model_loss(m, adv2, y) > before);
    const float *a1 = vn_tensor_data(adv), *a2 = vn_tensor_data(adv2);
    for (int i = 0; i < 180; i++) {
        assert_true(fabsf(a1[i] - xv[i]) <= 0.05f + 1e-6f && a1[i] >= 0 && a1[i] <= 1);
        assert_true(fabsf(a2[i] - xv[i]) <= 0.05f + 1e-6f && a2[i] >= 0 && a2[i] <= 1);
    }
    /* the model is unchanged: same loss, same weights */
    assert_true(model_loss(m, x, y) == before);
    assert_true(((float *)vn_tensor_data(w))[0] == w0);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn_tensor_destroy(adv);
    vn_tensor_destroy(adv2);
    vn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_unknown_key_names_op_index_name_and_word),
        cmocka_unit_test(test_spec_unknown_op_is_refused_with_its_name),
        cmocka_unit_test(test_spec_bad_value_names_the_key),
        cmocka_unit_test(test_spec_size_changing_op_refuses_p_below_one),
        cmocka_unit_test(test_spec_round_trips_through_to_spec),
        cmocka_unit_test(test_error_on_add_leaves_pipeline_unchanged),
        cmocka_unit_test(test_brightness_matches_torchvision),
        cmocka_unit_test(test_contrast_matches_torchvision),
        cmocka_unit_test(test_saturation_matches_torchvision),
        cmocka_unit_test(test_hue_matches_torchvision),
        cmocka_unit_test(test_hue_and_contrast_on_f32_match_torchvision),
        cmocka_unit_test(test_gamma_grayscale_sharpen_blur_match_torchvision),
        cmocka_unit_test(test_saturation_leaves_grey_images_unchanged),
        cmocka_unit_test(test_grayscale_refuses_five_channels),
        cmocka_unit_test(test_hflip_mirrors_columns_exactly),
        cmocka_unit_test(test_hflip_on_f32_chw_mirrors_planes),
        cmocka_unit_test(test_flips_in_place_match_image_flip_for_1_to_4_channels),
        cmocka_unit_test(test_color_jitter_on_rgba_equals_rgb_and_keeps_alpha),
        cmocka_unit_test(test_rotate_matches_cv2_warp_affine),
        cmocka_unit_test(test_affine_matches_torchvision_matrix),
        cmocka_unit_test(test_resized_crop_of_whole_image_is_cv2_resize),
        cmocka_unit_test(test_perspective_without_distortion_is_identity),
        cmocka_unit_test(test_random_crop_gives_its_size_inside_padded_image),
        cmocka_unit_test(test_hflip_moves_boxes_and_points),
        cmocka_unit_test(test_rotation_by_90_moves_boxes_and_points),
        cmocka_unit_test(test_rotation_by_90_rotates_the_pixels),
        cmocka_unit_test(test_padded_crop_shifts_and_clips_boxes),
        cmocka_unit_test(test_resized_crop_scales_boxes),
        cmocka_unit_test(test_batch_equals_singles_on_one_and_two_threads),
        cmocka_unit_test(test_batch_split_gives_the_same_samples),
        cmocka_unit_test(test_sample_hook_replaces_image_by_apply_sample),
        cmocka_unit_test(test_probability_zero_never_runs),
        cmocka_unit_test(test_gaussian_noise_has_the_asked_sigma),
        cmocka_unit_test(test_salt_and_pepper_replaces_the_asked_fraction),
        cmocka_unit_test(test_erase_fills_one_rectangle_of_the_asked_area),
        cmocka_unit_test(test_mixup_blends_with_the_rolled_batch_and_targets_match),
        cmocka_unit_test(test_cutmix_target_is_the_pasted_area_fraction),
        cmocka_unit_test(test_fgsm_and_pgd_raise_the_loss_within_epsilon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
