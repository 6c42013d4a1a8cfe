/* test_core.c - status codes, errors, allocator, log, version, threads,
 * limits and the counter-based RNG. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <math.h>
#include <cmocka.h>

#include <visionnet.h>
#include "core/vn_internal.h"

static void test_status_values_are_pinned(void **state)
{
    (void)state;
    assert_int_equal(VN_OK, 0);
    assert_int_equal(VN_ERR_INVALID_ARG, -1);
    assert_int_equal(VN_ERR_NOMEM, -2);
    assert_int_equal(VN_ERR_SHAPE, -3);
    assert_int_equal(VN_ERR_IO, -4);
    assert_int_equal(VN_ERR_FORMAT, -5);
    assert_int_equal(VN_ERR_UNSUPPORTED, -6);
    assert_int_equal(VN_ERR_LIMIT, -7);
    assert_int_equal(VN_ERR_ABORTED, -8);
    assert_int_equal(VN_ERR_INTERNAL, -9);
}

static void test_status_str_names_every_code(void **state)
{
    (void)state;
    assert_string_equal(vn_status_str(VN_OK), "VN_OK");
    assert_string_equal(vn_status_str(VN_ERR_FORMAT), "VN_ERR_FORMAT");
    assert_string_equal(vn_status_str(VN_ERR_INTERNAL), "VN_ERR_INTERNAL");
    assert_string_equal(vn_status_str((vn_status)-1000), "VN_ERR_UNKNOWN");
}

static void test_last_error_holds_message(void **state)
{
    (void)state;
    vn_clear_error();
    assert_string_equal(vn_last_error(), "");
    assert_int_equal(vn_set_limit(VN_LIMIT_MAX_PIXELS, 0), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "at least 1"));
    vn_clear_error();
    assert_string_equal(vn_last_error(), "");
}

static void *other_thread(void *arg)
{
    (void)arg;
    vn__error(VN_ERR_IO, "from the other thread");
    return NULL;
}

static void test_last_error_is_thread_local(void **state)
{
    (void)state;
    vn__error(VN_ERR_FORMAT, "from the main thread");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    pthread_join(t, NULL);
    assert_string_equal(vn_last_error(), "from the main thread");
}

static int g_mallocs, g_frees;
static void *count_malloc(size_t n, void *u) { (void)u; g_mallocs++; return malloc(n); }
static void *count_realloc(void *p, size_t n, void *u) { (void)u; return realloc(p, n); }
static void count_free(void *p, void *u) { (void)u; g_frees++; free(p); }

static void test_allocator_hooks_see_every_allocation(void **state)
{
    (void)state;
    g_mallocs = g_frees = 0;
    assert_int_equal(vn_set_allocator(count_malloc, count_realloc, count_free, NULL), VN_OK);
    vn_tensor *t = NULL;
    int64_t shape[2] = {3, 4};
    assert_int_equal(vn_tensor_create(VN_F32, 2, shape, &t), VN_OK);
    vn_tensor_destroy(t);
    assert_int_equal(vn_set_allocator(NULL, NULL, NULL, NULL), VN_OK);
    assert_true(g_mallocs >= 2);
    assert_int_equal(g_mallocs, g_frees);
}

static void test_allocator_refuses_partial_set(void **state)
{
    (void)state;
    assert_int_equal(vn_set_allocator(count_malloc, NULL, count_free, NULL), VN_ERR_INVALID_ARG);
}

static int g_log_calls;
static char g_log_last[256];
static void log_cb(vn_log_level level, const char *msg, void *user)
{
    (void)level;
    g_log_calls++;
    *(int *)user += 1;
    strncpy(g_log_last, msg, sizeof g_log_last - 1);
}

static void test_log_is_silent_by_default_and_reaches_callback(void **state)
{
    (void)state;
    int user = 0;
    g_log_calls = 0;
    vn__log(VN_LOG_ERROR, "nobody hears this");
    assert_int_equal(g_log_calls, 0);
    vn_set_log_callback(log_cb, VN_LOG_INFO, &user);
    vn__log(VN_LOG_INFO, "hello %d", 42);
    vn__log(VN_LOG_DEBUG, "too detailed");
    vn_set_log_callback(NULL, VN_LOG_ERROR, NULL);
    assert_int_equal(g_log_calls, 1);
    assert_int_equal(user, 1);
    assert_string_equal(g_log_last, "hello 42");
}

static void test_version_matches_header(void **state)
{
    (void)state;
    assert_int_equal(vn_version_number(), VN_VERSION_NUMBER);
    assert_string_equal(vn_version(), VN_VERSION_STRING);
}

static void test_num_threads_is_honoured(void **state)
{
    (void)state;
    assert_int_equal(vn_set_num_threads(3), VN_OK);
    assert_int_equal(vn_get_num_threads(), 3);
    assert_int_equal(vn_set_num_threads(0), VN_OK);
    assert_true(vn_get_num_threads() >= 1);
    assert_int_equal(vn_set_num_threads(-1), VN_ERR_INVALID_ARG);
}

static void test_limits_round_trip(void **state)
{
    (void)state;
    uint64_t v = 0, old = 0;
    assert_int_equal(vn_get_limit(VN_LIMIT_MAX_PIXELS, &old), VN_OK);
    assert_int_equal(old, 100000000u);
    assert_int_equal(vn_set_limit(VN_LIMIT_MAX_PIXELS, 1234), VN_OK);
    assert_int_equal(vn_get_limit(VN_LIMIT_MAX_PIXELS, &v), VN_OK);
    assert_int_equal(v, 1234);
    assert_int_equal(vn__check_pixels("t", 100, 12), VN_OK);
    assert_int_equal(vn__check_pixels("t", 100, 13), VN_ERR_LIMIT);
    assert_int_equal(vn_set_limit(VN_LIMIT_MAX_PIXELS, old), VN_OK);
    assert_int_equal(vn_get_limit((vn_limit)99, &v), VN_ERR_INVALID_ARG);
}

/* Known-answer test from the Random123 distribution (kat_vectors):
 * philox4x32 10 rounds, counter = 0, key = 0. */
static void test_philox_known_answer(void **state)
{
    (void)state;
    uint32_t ctr[4] = {0, 0, 0, 0}, out[4];
    vn_philox4x32(0, ctr, out);
    assert_int_equal(out[0], 0x6627e8d5u);
    assert_int_equal(out[1], 0xe169c58du);
    assert_int_equal(out[2], 0xbc57ac4cu);
    assert_int_equal(out[3], 0x9b00dbd8u);
    uint32_t ctr2[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    vn_philox4x32(0xffffffffffffffffull, ctr2, out);
    assert_int_equal(out[0], 0x408f276du);
    assert_int_equal(out[1], 0x41c83b0eu);
    assert_int_equal(out[2], 0xa20bc7c6u);
    assert_int_equal(out[3], 0x6d5451fdu);
}

static void test_rng_is_a_function_of_seed_stream_position(void **state)
{
    (void)state;
    vn_rng *a, *b;
    assert_int_equal(vn_rng_create(7, 3, &a), VN_OK);
    assert_int_equal(vn_rng_create(7, 3, &b), VN_OK);
    uint32_t seq[11];
    for (int i = 0; i < 11; i++)
        seq[i] = vn_rng_u32(a);
    vn_rng_seek(b, 6);
    assert_int_equal(vn_rng_u32(b), seq[6]);
    assert_int_equal(vn_rng_u32(b), seq[7]);
    vn_rng_seek(b, 0);
    assert_int_equal(vn_rng_u32(b), seq[0]);
    vn_rng_destroy(a);
    vn_rng_destroy(b);
    vn_rng_destroy(NULL);
}

static void test_rng_uniform_and_normal_moments(void **state)
{
    (void)state;
    vn_rng *r;
    assert_int_equal(vn_rng_create(1, 0, &r), VN_OK);
    double su = 0, sn = 0, sn2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        float u = vn_rng_uniform(r);
        assert_true(u >= 0.0f && u < 1.0f);
        su += u;
        float z = vn_rng_normal(r);
        sn += z;
        sn2 += (double)z * z;
    }
    /* Standard errors: uniform mean 0.00065, normal mean 0.0022, var 0.0032. */
    assert_true(fabs(su / n - 0.5) < 0.005);
    assert_true(fabs(sn / n) < 0.015);
    assert_true(fabs(sn2 / n - 1.0) < 0.02);
    uint32_t counts[5] = {0};
    for (int i = 0; i < 50000; i++)
        counts[vn_rng_below(r, 5)]++;
    for (int i = 0; i < 5; i++)
        assert_true(counts[i] > 9500 && counts[i] < 10500);
    vn_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_values_are_pinned),
        cmocka_unit_test(test_status_str_names_every_code),
        cmocka_unit_test(test_last_error_holds_message),
        cmocka_unit_test(test_last_error_is_thread_local),
        cmocka_unit_test(test_allocator_hooks_see_every_allocation),
        cmocka_unit_test(test_allocator_refuses_partial_set),
        cmocka_unit_test(test_log_is_silent_by_default_and_reaches_callback),
        cmocka_unit_test(test_version_matches_header),
        cmocka_unit_test(test_num_threads_is_honoured),
        cmocka_unit_test(test_limits_round_trip),
        cmocka_unit_test(test_philox_known_answer),
        cmocka_unit_test(test_rng_is_a_function_of_seed_stream_position),
        cmocka_unit_test(test_rng_uniform_and_normal_moments),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
