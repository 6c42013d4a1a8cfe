/* test_npy.c - .npy reading and writing: files written by numpy
 * (tests/data/npy/, made by tests/data/make_npy.py, whose docstring lists
 * the values stated here), round trips for each dtype, byte-identical
 * output to np.save, and every refusal with its status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <visionnet.h>

#define NPY_DIR VN_TEST_DATA "/npy/"

static vn_tensor *load_fixture(const char *name)
{
    vn_tensor *t = NULL;
    vn_status s = vn_tensor_load_npy(name, &t);
    if (s != VN_OK)
        fail_msg("%s: %s: %s", name, vn_status_str(s), vn_last_error());
    return t;
}

static void assert_shape(const vn_tensor *t, int ndim, const int64_t *shape)
{
    assert_int_equal(vn_tensor_ndim(t), ndim);
    for (int i = 0; i < ndim; i++)
        assert_int_equal(vn_tensor_dim(t, i), shape[i]);
}

/* Read a whole fixture file into memory (caller frees). */
static uint8_t *slurp(const char *path, size_t *n)
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

/* Build an in-memory .npy of format `major` with the given header text and
 * data bytes (the header is used as given: no padding is added). */
static uint8_t *make_npy(int major, const char *header, const void *data, size_t ndata, size_t *n)
{
    size_t hl = strlen(header);
    size_t prefix = major == 1 ? 10 : 12;
    uint8_t *b = malloc(prefix + hl + ndata + 1);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (uint8_t)major;
    b[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++)
        b[8 + i] = (uint8_t)(hl >> (8 * i));
    memcpy(b + prefix, header, hl);
    if (ndata)
        memcpy(b + prefix + hl, data, ndata);
    *n = prefix + hl + ndata;
    return b;
}

static vn_status load_header(const char *header, const void *data, size_t ndata)
{
    size_t n;
    uint8_t *b = make_npy(1, header, data, ndata, &n);
    vn_tensor *t = NULL;
    vn_status s = vn_tensor_load_npy_mem(b, n, &t);
    vn_tensor_destroy(t);
    free(b);
    return s;
}

/* ---- files written by numpy -------------------------------------------- */

static void test_load_reads_numpy_v1_float32(void **state)
{
    (void)state;
    vn_tensor *t = load_fixture(NPY_DIR "v1_f32_2x3.npy");
    assert_int_equal(vn_tensor_dtype(t), VN_F32);
    assert_shape(t, 2, (int64_t[]){2, 3});
    const float want[6] = {0.0f, 1.5f, -2.0f, 3.25f, 1e-3f, 65504.0f};
    assert_memory_equal(vn_tensor_data_const(t), want, sizeof want);
    vn_tensor_destroy(t);
}

static void test_load_reads_numpy_v2_uint8(void **state)
{
    (void)state;
    vn_tensor *t = load_fixture(NPY_DIR "v2_u8_3x4x2.npy");
    assert_int_equal(vn_tensor_dtype(t), VN_U8);
    assert_shape(t, 3, (int64_t[]){3, 4, 2});
    const uint8_t *d = vn_tensor_data_const(t);
    for (int i = 0; i < 24; i++)
        assert_int_equal(d[i], (200 + i) % 256);
    vn_tensor_destroy(t);
}

static void test_load_reads_numpy_v3_int32(void **state)
{
    (void)state;
    vn_tensor *t = load_fixture(NPY_DIR "v3_i4_5.npy");
    assert_int_equal(vn_tensor_dtype(t), VN_I32);
    assert_shape(t, 1, (int64_t[]){5});
    const int32_t want[5] = {INT32_MIN, -1, 0, 1, INT32_MAX};
    assert_memory_equal(vn_tensor_data_const(t), want, sizeof want);
    vn_tensor_destroy(t);
}

static void test_load_reads_0d_array_as_scalar(void **state)
{
    (void)state;
    vn_tensor *t = load_fixture(NPY_DIR "scalar_f32.npy");
    assert_int_equal(vn_tensor_ndim(t), 0);
    assert_int_equal(vn_tensor_numel(t), 1);
    assert_true(*(const float *)vn_tensor_data_const(t) == 3.5f);
    vn_tensor_destroy(t);
}

static void test_load_reads_zero_size_dimensions(void **state)
{
    (void)state;
    vn_tensor *t = load_fixture(NPY_DIR "zero_u8_0x3.npy");
    assert_shape(t, 2, (int64_t[]){0, 3});
    assert_int_equal(vn_tensor_numel(t), 0);
    vn_tensor_destroy(t);
    t = load_fixture(NPY_DIR "zero_f32_4x0x2.npy");
    assert_shape(t, 3, (int64_t[]){4, 0, 2});
    assert_int_equal(vn_tensor_numel(t), 0);
    vn_tensor_destroy(t);
}

static void test_load_tolerates_spacing_quotes_key_order_and_commas(void **state)
{
    (void)state;
    const float data[3] = {1.0f, 2.0f, 3.0f};
    const char *headers[] = {
        "{\"shape\":(3,),\"fortran_order\":False,\"descr\":\"<f4\"}\n",
        "{ 'fortran_order' : False , 'shape' : ( 3 , ) , 'descr' : '<f4' , }      \n",
        "{'descr':'<f4','fortran_order':False,'shape':(3,)}",
        "{'descr': '<f4',\t'fortran_order': False, 'shape': (1, 3,), }\n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3L,), }\n",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        vn_status s = load_header(headers[i], data, sizeof data);
        if (s != VN_OK)
            fail_msg("header %zu refused: %s", i, vn_last_error());
    }
}

/* ---- round trips --------------------------------------------------------- */

static void round_trip(vn_dtype dtype, int ndim, const int64_t *shape)
{
    vn_tensor *t = NULL, *back = NULL;
    assert_int_equal(vn_tensor_create(dtype, ndim, shape, &t), VN_OK);
    uint8_t *d = vn_tensor_data(t);
    for (size_t i = 0; i < vn_tensor_nbytes(t); i++)
        d[i] = (uint8_t)(i * 37 + 11);
    void *bytes = NULL;
    size_t n = 0;
    assert_int_equal(vn_tensor_save_npy_mem(t, &bytes, &n), VN_OK);
    assert_int_equal(vn_tensor_load_npy_mem(bytes, n, &back), VN_OK);
    assert_int_equal(vn_tensor_dtype(back), dtype);
    assert_shape(back, ndim, shape);
    if (vn_tensor_nbytes(t))
        assert_memory_equal(vn_tensor_data_const(back), vn_tensor_data_const(t), vn_tensor_nbytes(t));
    vn_free(bytes);
    vn_tensor_destroy(t);
    vn_tensor_destroy(back);
}

static void test_round_trip_float32(void **state)
{
    (void)state;
    round_trip(VN_F32, 4, (int64_t[]){2, 3, 5, 7});
}

static void test_round_trip_uint8(void **state)
{
    (void)state;
    round_trip(VN_U8, 3, (int64_t[]){9, 11, 3});
}

static void test_round_trip_int32(void **state)
{
    (void)state;
    round_trip(VN_I32, 1, (int64_t[]){13});
}

static void test_round_trip_eight_dims_scalar_and_empty(void **state)
{
    (void)state;
    round_trip(VN_U8, 8, (int64_t[]){2, 1, 2, 1, 2, 1, 2, 3});
    round_trip(VN_F32, 0, NULL);
    round_trip(VN_I32, 2, (int64_t[]){0, 4});
}

static void test_save_to_file_round_trips_and_leaves_no_temporary(void **state)
{
    (void)state;
    char dir[] = "/tmp/vn_npy_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/t.npy", dir);
    vn_tensor *t = NULL, *back = NULL;
    assert_int_equal(vn_tensor_create(VN_I32, 2, (int64_t[]){2, 2}, &t), VN_OK);
    ((int32_t *)vn_tensor_data(t))[3] = -5;
    assert_int_equal(vn_tensor_save_npy(t, path), VN_OK);
    assert_int_equal(vn_tensor_load_npy(path, &back), VN_OK);
    assert_int_equal(((const int32_t *)vn_tensor_data_const(back))[3], -5);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0); /* fails if a temporary file was left behind */
    vn_tensor_destroy(t);
    vn_tensor_destroy(back);
}

/* ---- numpy reads what we write: same bytes as np.save -------------------- */

static void assert_saves_like_numpy(const vn_tensor *t, const char *fixture)
{
    size_t want_n;
    uint8_t *want = slurp(fixture, &want_n);
    void *got = NULL;
    size_t n = 0;
    assert_int_equal(vn_tensor_save_npy_mem(t, &got, &n), VN_OK);
    assert_int_equal(n, want_n);
    assert_memory_equal(got, want, n);
    vn_free(got);
    free(want);
}

static void test_save_float32_is_byte_identical_to_np_save(void **state)
{
    (void)state;
    const float v[6] = {1, 2, 3, 4, 5, 6.5f};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_wrap(VN_F32, 2, (int64_t[]){2, 3}, (void *)v, NULL, NULL, &t), VN_OK);
    assert_saves_like_numpy(t, NPY_DIR "save_f32_2x3.npy");
    vn_tensor_destroy(t);
}

static void test_save_uint8_is_byte_identical_to_np_save(void **state)
{
    (void)state;
    uint8_t v[12];
    for (int i = 0; i < 12; i++)
        v[i] = (uint8_t)i;
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_wrap(VN_U8, 3, (int64_t[]){2, 2, 3}, v, NULL, NULL, &t), VN_OK);
    assert_saves_like_numpy(t, NPY_DIR "save_u8_2x2x3.npy");
    vn_tensor_destroy(t);
}

static void test_save_int32_is_byte_identical_to_np_save(void **state)
{
    (void)state;
    int32_t v[4] = {7, -8, 9, 100000};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_wrap(VN_I32, 1, (int64_t[]){4}, v, NULL, NULL, &t), VN_OK);
    assert_saves_like_numpy(t, NPY_DIR "save_i4_4.npy");
    vn_tensor_destroy(t);
}

static void test_save_scalar_and_empty_are_byte_identical_to_np_save(void **state)
{
    (void)state;
    float v = -0.25f;
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_wrap(VN_F32, 0, NULL, &v, NULL, NULL, &t), VN_OK);
    assert_saves_like_numpy(t, NPY_DIR "save_f32_scalar.npy");
    vn_tensor_destroy(t);
    assert_int_equal(vn_tensor_create(VN_U8, 2, (int64_t[]){0, 5}, &t), VN_OK);
    assert_saves_like_numpy(t, NPY_DIR "save_u8_0x5.npy");
    vn_tensor_destroy(t);
}

static void test_save_pads_header_to_64_bytes(void **state)
{
    (void)state;
    vn_tensor *t = NULL;
    void *b = NULL;
    size_t n = 0;
    assert_int_equal(vn_tensor_create(VN_U8, 8, (int64_t[]){1, 1, 1, 1, 1, 1, 1, 1}, &t), VN_OK);
    assert_int_equal(vn_tensor_save_npy_mem(t, &b, &n), VN_OK);
    const uint8_t *p = b;
    size_t hlen = (size_t)p[8] | (size_t)p[9] << 8;
    assert_int_equal(p[6], 1);
    assert_int_equal((10 + hlen) % 64, 0);
    assert_int_equal(p[10 + hlen - 1], '\n');
    assert_int_equal(n, 10 + hlen + 1);
    vn_free(b);
    vn_tensor_destroy(t);
}

/* ---- refusals ------------------------------------------------------------ */

static void assert_fixture_refused(const char *path, vn_status want, const char *needle)
{
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_load_npy(path, &t), want);
    assert_null(t);
    if (!strstr(vn_last_error(), needle))
        fail_msg("message '%s' lacks '%s'", vn_last_error(), needle);
}

static void test_load_refuses_big_endian_as_format(void **state)
{
    (void)state;
    assert_fixture_refused(NPY_DIR "big_endian_f4.npy", VN_ERR_FORMAT, "big-endian");
}

static void test_load_refuses_fortran_order_as_format(void **state)
{
    (void)state;
    assert_fixture_refused(NPY_DIR "fortran_f4_2x3.npy", VN_ERR_FORMAT, "Fortran");
}

static void test_load_refuses_other_dtypes_as_unsupported_naming_them(void **state)
{
    (void)state;
    assert_fixture_refused(NPY_DIR "f8_3.npy", VN_ERR_UNSUPPORTED, "'<f8'");
    assert_fixture_refused(NPY_DIR "i1_3.npy", VN_ERR_UNSUPPORTED, "'|i1'");
    assert_fixture_refused(NPY_DIR "bool_2.npy", VN_ERR_UNSUPPORTED, "'|b1'");
    assert_int_equal(load_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                                 "abcd", 4),
                     VN_ERR_UNSUPPORTED);
}

static void test_load_refuses_more_than_eight_dims(void **state)
{
    (void)state;
    assert_int_equal(load_header("{'descr': '|u1', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }",
                                 "a", 1),
                     VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "dimensions"));
}

static void test_load_refuses_overflowing_shapes(void **state)
{
    (void)state;
    /* product overflows 64 bits */
    assert_int_equal(load_header("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (4294967296, 4294967296, 16), }", "", 0),
                     VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "overflow"));
    /* bytes overflow although the element count does not */
    assert_int_equal(load_header("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (4611686018427387904,), }", "", 0),
                     VN_ERR_FORMAT);
    /* one dimension beyond int64 */
    assert_int_equal(load_header("{'descr': '<f4', 'fortran_order': False, "
                                 "'shape': (99999999999999999999,), }", "", 0),
                     VN_ERR_FORMAT);
}

static void test_load_refuses_header_length_past_end(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = make_npy(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", "x", 1, &n);
    b[8] = 0xff; /* header length 0x..ff: past the end */
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_load_npy_mem(b, n, &t), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "past the end"));
    free(b);
    b = make_npy(2, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", "x", 1, &n);
    b[11] = 0x80; /* 2 GiB header in a 70-byte file */
    assert_int_equal(vn_tensor_load_npy_mem(b, n, &t), VN_ERR_FORMAT);
    free(b);
    assert_null(t);
}

static void test_load_refuses_truncated_data(void **state)
{
    (void)state;
    size_t n;
    uint8_t *full = slurp(NPY_DIR "v1_f32_2x3.npy", &n);
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_load_npy_mem(full, n - 1, &t), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "truncated"));
    for (size_t cut = 0; cut < n - 1; cut += 7)
        assert_int_not_equal(vn_tensor_load_npy_mem(full, cut, &t), VN_OK);
    assert_null(t);
    free(full);
}

static void test_load_refuses_trailing_data(void **state)
{
    (void)state;
    assert_int_equal(load_header("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", "12345", 5),
                     VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "needs only"));
}

static void test_load_refuses_foreign_bytes(void **state)
{
    (void)state;
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_load_npy_mem("\x89PNG\r\n\x1a\n....", 12, &t), VN_ERR_FORMAT);
    assert_int_equal(vn_tensor_load_npy_mem("\x93NUMPY", 6, &t), VN_ERR_FORMAT);
    assert_int_equal(vn_tensor_load_npy_mem("", 0, &t), VN_ERR_FORMAT);
    size_t n;
    uint8_t *b = make_npy(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", "x", 1, &n);
    b[6] = 4; /* unknown major version */
    assert_int_equal(vn_tensor_load_npy_mem(b, n, &t), VN_ERR_FORMAT);
    free(b);
    assert_null(t);
}

static void test_load_refuses_malformed_header_dicts(void **state)
{
    (void)state;
    const char *bad[] = {
        "{'descr': '|u1', 'fortran_order': False}",                            /* no shape */
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}",     /* extra key */
        "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '|u1, 'fortran_order': False, 'shape': (1,)}",              /* quote */
        "{'descr': '|u1', 'fortran_order': false, 'shape': (1,)}",             /* not Python */
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1)}",              /* int, not tuple */
        "{'descr': '|u1', 'fortran_order': False, 'shape': (-1,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1.0,)}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': [1]}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1,)} junk",
        "{'descr': '|u1' 'fortran_order': False, 'shape': (1,)}",              /* no comma */
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1,",               /* cut */
        "['descr', '|u1']",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vn_status s = load_header(bad[i], "x", 1);
        if (s != VN_ERR_FORMAT)
            fail_msg("header %zu: got %s, want VN_ERR_FORMAT", i, vn_status_str(s));
    }
}

static void test_load_missing_file_is_io_error(void **state)
{
    (void)state;
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_load_npy(NPY_DIR "no_such_file.npy", &t), VN_ERR_IO);
    assert_null(t);
}

static void test_null_arguments_are_refused(void **state)
{
    (void)state;
    vn_tensor *t = NULL;
    void *b = NULL;
    size_t n = 0;
    assert_int_equal(vn_tensor_load_npy(NULL, &t), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_tensor_load_npy_mem("x", 1, NULL), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_tensor_save_npy_mem(NULL, &b, &n), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_tensor_save_npy(NULL, "/tmp/x.npy"), VN_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_reads_numpy_v1_float32),
        cmocka_unit_test(test_load_reads_numpy_v2_uint8),
        cmocka_unit_test(test_load_reads_numpy_v3_int32),
        cmocka_unit_test(test_load_reads_0d_array_as_scalar),
        cmocka_unit_test(test_load_reads_zero_size_dimensions),
        cmocka_unit_test(test_load_tolerates_spacing_quotes_key_order_and_commas),
        cmocka_unit_test(test_round_trip_float32),
        cmocka_unit_test(test_round_trip_uint8),
        cmocka_unit_test(test_round_trip_int32),
        cmocka_unit_test(test_round_trip_eight_dims_scalar_and_empty),
        cmocka_unit_test(test_save_to_file_round_trips_and_leaves_no_temporary),
        cmocka_unit_test(test_save_float32_is_byte_identical_to_np_save),
        cmocka_unit_test(test_save_uint8_is_byte_identical_to_np_save),
        cmocka_unit_test(test_save_int32_is_byte_identical_to_np_save),
        cmocka_unit_test(test_save_scalar_and_empty_are_byte_identical_to_np_save),
        cmocka_unit_test(test_save_pads_header_to_64_bytes),
        cmocka_unit_test(test_load_refuses_big_endian_as_format),
        cmocka_unit_test(test_load_refuses_fortran_order_as_format),
        cmocka_unit_test(test_load_refuses_other_dtypes_as_unsupported_naming_them),
        cmocka_unit_test(test_load_refuses_more_than_eight_dims),
        cmocka_unit_test(test_load_refuses_overflowing_shapes),
        cmocka_unit_test(test_load_refuses_header_length_past_end),
        cmocka_unit_test(test_load_refuses_truncated_data),
        cmocka_unit_test(test_load_refuses_trailing_data),
        cmocka_unit_test(test_load_refuses_foreign_bytes),
        cmocka_unit_test(test_load_refuses_malformed_header_dicts),
        cmocka_unit_test(test_load_missing_file_is_io_error),
        cmocka_unit_test(test_null_arguments_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
