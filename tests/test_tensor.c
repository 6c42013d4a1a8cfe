/* test_tensor.c - vn_tensor creation, wrapping, copying, reshaping,
 * conversion. (.npy tests live in test_npy.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <visionnet.h>

static void test_create_is_zero_filled_with_shape(void **state)
{
    (void)state;
    int64_t shape[4] = {2, 3, 4, 5};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 4, shape, &t), VN_OK);
    assert_int_equal(vn_tensor_ndim(t), 4);
    assert_int_equal(vn_tensor_dim(t, 0), 2);
    assert_int_equal(vn_tensor_dim(t, -1), 5);
    assert_int_equal(vn_tensor_dim(t, 7), 0);
    assert_int_equal(vn_tensor_numel(t), 120);
    assert_int_equal(vn_tensor_nbytes(t), 480);
    const float *d = vn_tensor_data_const(t);
    for (int i = 0; i < 120; i++)
        assert_true(d[i] == 0.0f);
    vn_tensor_destroy(t);
}

static void test_create_refuses_bad_shapes(void **state)
{
    (void)state;
    vn_tensor *t = NULL;
    int64_t neg[2] = {2, -1};
    assert_int_equal(vn_tensor_create(VN_F32, 2, neg, &t), VN_ERR_INVALID_ARG);
    int64_t huge[3] = {1ll << 40, 1ll << 40, 1ll << 40};
    assert_int_equal(vn_tensor_create(VN_U8, 3, huge, &t), VN_ERR_LIMIT);
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(vn_tensor_create(VN_U8, 9, nine, &t), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_tensor_create((vn_dtype)77, 1, nine, &t), VN_ERR_INVALID_ARG);
    assert_null(t);
}

static void test_scalar_has_one_element(void **state)
{
    (void)state;
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_I32, 0, NULL, &t), VN_OK);
    assert_int_equal(vn_tensor_numel(t), 1);
    vn_tensor_destroy(t);
}

static int g_released;
static void release_cb(void *data, void *user)
{
    g_released++;
    assert_ptr_equal(data, user);
}

static void test_wrap_borrows_or_releases(void **state)
{
    (void)state;
    float buf[6] = {1, 2, 3, 4, 5, 6};
    int64_t shape[2] = {2, 3};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_wrap(VN_F32, 2, shape, buf, NULL, NULL, &t), VN_OK);
    assert_ptr_equal(vn_tensor_data(t), buf);
    vn_tensor_destroy(t);
    g_released = 0;
    assert_int_equal(vn_tensor_wrap(VN_F32, 2, shape, buf, release_cb, buf, &t), VN_OK);
    vn_tensor_destroy(t);
    assert_int_equal(g_released, 1);
}

static void test_wrap_failure_still_releases(void **state)
{
    (void)state;
    float buf[6];
    int64_t bad[2] = {2, -3};
    vn_tensor *t = NULL;
    g_released = 0;
    assert_int_equal(vn_tensor_wrap(VN_F32, 2, bad, buf, release_cb, buf, &t), VN_ERR_INVALID_ARG);
    assert_int_equal(g_released, 1);
    assert_null(t);
}

static void test_copy_is_deep(void **state)
{
    (void)state;
    uint8_t buf[4] = {1, 2, 3, 4};
    int64_t shape[1] = {4};
    vn_tensor *w, *c;
    assert_int_equal(vn_tensor_wrap(VN_U8, 1, shape, buf, NULL, NULL, &w), VN_OK);
    assert_int_equal(vn_tensor_copy(w, &c), VN_OK);
    buf[0] = 9;
    assert_int_equal(((uint8_t *)vn_tensor_data(c))[0], 1);
    assert_ptr_not_equal(vn_tensor_data(c), buf);
    vn_tensor_destroy(w);
    vn_tensor_destroy(c);
}

static void test_reshape_keeps_data_and_infers(void **state)
{
    (void)state;
    int64_t shape[3] = {2, 3, 4};
    vn_tensor *t;
    assert_int_equal(vn_tensor_create(VN_F32, 3, shape, &t), VN_OK);
    int64_t s2[2] = {-1, 4};
    assert_int_equal(vn_tensor_reshape(t, 2, s2), VN_OK);
    assert_int_equal(vn_tensor_dim(t, 0), 6);
    int64_t s3[2] = {5, 5};
    assert_int_equal(vn_tensor_reshape(t, 2, s3), VN_ERR_SHAPE);
    int64_t s4[2] = {-1, -1};
    assert_int_equal(vn_tensor_reshape(t, 2, s4), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_tensor_dim(t, 0), 6);
    vn_tensor_destroy(t);
}

static void test_flatten_matches_torch_flatten_start1(void **state)
{
    (void)state;
    int64_t shape[4] = {2, 3, 5, 7};
    vn_tensor *t;
    assert_int_equal(vn_tensor_create(VN_F32, 4, shape, &t), VN_OK);
    assert_int_equal(vn_tensor_flatten(t, 1), VN_OK);
    assert_int_equal(vn_tensor_ndim(t), 2);
    assert_int_equal(vn_tensor_dim(t, 0), 2);
    assert_int_equal(vn_tensor_dim(t, 1), 105);
    vn_tensor_destroy(t);
}

static void test_convert_rounds_and_saturates(void **state)
{
    (void)state;
    float src[5] = {-3.0f, 0.4f, 0.6f, 254.5f, 1000.0f};
    int64_t shape[1] = {5};
    vn_tensor *w, *u;
    assert_int_equal(vn_tensor_wrap(VN_F32, 1, shape, src, NULL, NULL, &w), VN_OK);
    assert_int_equal(vn_tensor_convert(w, VN_U8, &u), VN_OK);
    const uint8_t *d = vn_tensor_data_const(u);
    assert_int_equal(d[0], 0);
    assert_int_equal(d[1], 0);
    assert_int_equal(d[2], 1);
    assert_int_equal(d[3], 254); /* round half to even */
    assert_int_equal(d[4], 255);
    vn_tensor_destroy(w);
    vn_tensor_destroy(u);
}

static void test_destroy_null_is_noop(void **state)
{
    (void)state;
    vn_tensor_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_is_zero_filled_with_shape),
        cmocka_unit_test(test_create_refuses_bad_shapes),
        cmocka_unit_test(test_scalar_has_one_element),
        cmocka_unit_test(test_wrap_borrows_or_releases),
        cmocka_unit_test(test_wrap_failure_still_releases),
        cmocka_unit_test(test_copy_is_deep),
        cmocka_unit_test(test_reshape_keeps_data_and_infers),
        cmocka_unit_test(test_flatten_matches_torch_flatten_start1),
        cmocka_unit_test(test_convert_rounds_and_saturates),
        cmocka_unit_test(test_destroy_null_is_noop),
    };
    return cmocka_run_group_tests_name("tensor", tests, NULL, NULL);
}
