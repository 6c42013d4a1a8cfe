/* test_dataset.c - datasets (IDX files, image-folder trees, CSV lists,
 * in-memory tensors), the train / validation split, and the batcher that
 * turns them into model input.
 *
 * Files are written into a temporary folder by each test. Expected figures
 * are written down: pixel values are those written; the epoch orders and
 * the split come from tests/data/train/make_shuffle_refs.py (an independent
 * Python implementation of Philox, the stream mixer and Fisher-Yates); the
 * resized grey values from cv2 (noted at the test). The damaged IDX files
 * are tests/data/bad/idx_* (tests/data/make_bad_idx.py). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <cmocka.h>

#include <visionnet.h>
#include <visionnet/experimental.h>
#include "train/batcher.h"

/* ---- helpers ----------------------------------------------------------- */

static void make_tmp(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/vn_dataset_XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rm_rf(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static void write_bytes(const char *path, const void *data, size_t n, bool gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, data, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
        return;
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* An IDX images file of n images h x w, pixel (i, y, x) = i*16 + y*w + x. */
static void write_idx_images(const char *path, uint32_t n, uint32_t h, uint32_t w, bool gz)
{
    size_t len = 16 + (size_t)n * h * w;
    uint8_t *b = malloc(len);
    uint8_t head[16] = {0, 0, 8, 3, n >> 24, n >> 16, n >> 8, n, h >> 24, h >> 16, h >> 8, h,
                        w >> 24, w >> 16, w >> 8, w};
    memcpy(b, head, 16);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t p = 0; p < h * w; p++)
            b[16 + (size_t)i * h * w + p] = (uint8_t)(i * 16 + p);
    write_bytes(path, b, len, gz);
    free(b);
}

static void write_idx_labels(const char *path, const uint8_t *labels, uint32_t n, bool gz)
{
    uint8_t *b = malloc(8 + n);
    uint8_t head[8] = {0, 0, 8, 1, n >> 24, n >> 16, n >> 8, n};
    memcpy(b, head, 8);
    memcpy(b + 8, labels, n);
    write_bytes(path, b, 8 + n, gz);
    free(b);
}

/* A small grey PNG (or PGM) of value v. */
static void write_image(const char *path, int h, int w, int c, uint8_t v)
{
    int64_t shape[3] = {h, w, c};
    vn_tensor *t = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, shape, &t), VN_OK);
    memset(vn_tensor_data(t), v, vn_tensor_nbytes(t));
    assert_int_equal(vn_image_write(path, t, NULL), VN_OK);
    vn_tensor_destroy(t);
}

static void mkdirs(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* The first pixel of sample i. */
static int first_pixel(const vn_dataset *ds, int64_t i)
{
    vn_tensor *img = NULL;
    assert_int_equal(vn_dataset_get(ds, i, &img, NULL), VN_OK);
    int v = ((const uint8_t *)vn_tensor_data_const(img))[0];
    vn_tensor_destroy(img);
    return v;
}

static int32_t label_of(const vn_dataset *ds, int64_t i)
{
    int32_t y = -1;
    assert_int_equal(vn_dataset_label(ds, i, &y), VN_OK);
    return y;
}

/* A dataset of n 1x1 grey images whose pixel is the sample's index and
 * whose label is index % k. */
static vn_dataset *index_dataset(int n, int k)
{
    int64_t ishape[4] = {n, 1, 1, 1}, lshape[1] = {n};
    vn_tensor *img = NULL, *lab = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 4, ishape, &img), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, lshape, &lab), VN_OK);
    for (int i = 0; i < n; i++) {
        ((uint8_t *)vn_tensor_data(img))[i] = (uint8_t)i;
        ((int32_t *)vn_tensor_data(lab))[i] = i % k;
    }
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_from_tensors(img, lab, k, &ds), VN_OK);
    vn_tensor_destroy(img);
    vn_tensor_destroy(lab);
    return ds;
}

/* ---- IDX ------------------------------------------------------------------ */

static void test_idx_plain_files_give_images_and_labels(void **state)
{
    (void)state;
    char dir[64], ip[128], lp[128];
    make_tmp(dir, sizeof dir);
    snprintf(ip, sizeof ip, "%s/x-images-idx3-ubyte", dir);
    snprintf(lp, sizeof lp, "%s/x-labels-idx1-ubyte", dir);
    const uint8_t labels[5] = {3, 0, 7, 1, 3};
    write_idx_images(ip, 5, 3, 2, false);
    write_idx_labels(lp, labels, 5, false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_idx(ip, lp, &ds), VN_OK);
    assert_int_equal(vn_dataset_size(ds), 5);
    assert_int_equal(vn_dataset_num_classes(ds), 8);
    assert_null(vn_dataset_class_name(ds, 0));
    vn_tensor *img = NULL;
    int32_t y = -1;
    assert_int_equal(vn_dataset_get(ds, 2, &img, &y), VN_OK);
    assert_int_equal(y, 7);
    assert_int_equal(vn_tensor_dtype(img), VN_U8);
    assert_int_equal(vn_tensor_ndim(img), 3);
    assert_int_equal(vn_tensor_dim(img, 0), 3);
    assert_int_equal(vn_tensor_dim(img, 1), 2);
    assert_int_equal(vn_tensor_dim(img, 2), 1);
    const uint8_t *p = vn_tensor_data_const(img);
    for (int k = 0; k < 6; k++)
        assert_int_equal(p[k], 2 * 16 + k);
    vn_tensor_destroy(img);
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_idx_gzip_files_give_the_same_samples(void **state)
{
    (void)state;
    char dir[64], ip[128], lp[128];
    make_tmp(dir, sizeof dir);
    snprintf(ip, sizeof ip, "%s/x-images-idx3-ubyte.gz", dir);
    snprintf(lp, sizeof lp, "%s/x-labels-idx1-ubyte.gz", dir);
    const uint8_t labels[4] = {1, 0, 1, 0};
    write_idx_images(ip, 4, 2, 2, true);
    write_idx_labels(lp, labels, 4, true);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_idx(ip, lp, &ds), VN_OK);
    assert_int_equal(vn_dataset_size(ds), 4);
    assert_int_equal(vn_dataset_num_classes(ds), 2);
    assert_int_equal(first_pixel(ds, 3), 48);
    assert_int_equal(label_of(ds, 2), 1);
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_idx_labels_are_found_beside_the_images(void **state)
{
    (void)state;
    char dir[64], ip[128], lp[128];
    make_tmp(dir, sizeof dir);
    /* gzipped images, plain labels: the name is tried with and without .gz */
    snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte", dir);
    const uint8_t labels[3] = {2, 1, 0};
    write_idx_images(ip, 3, 2, 2, true);
    write_idx_labels(lp, labels, 3, false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_idx(ip, NULL, &ds), VN_OK);
    assert_int_equal(label_of(ds, 0), 2);
    vn_dataset_destroy(ds);
    /* vn_dataset_open takes an IDX images file the same way */
    assert_int_equal(vn_dataset_open(ip, &ds), VN_OK);
    assert_int_equal(vn_dataset_size(ds), 3);
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_idx_without_labels_file_is_io_error(void **state)
{
    (void)state;
    char dir[64], ip[128];
    make_tmp(dir, sizeof dir);
    snprintf(ip, sizeof ip, "%s/t10k-images-idx3-ubyte", dir);
    write_idx_images(ip, 3, 2, 2, false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_idx(ip, NULL, &ds), VN_ERR_IO);
    assert_non_null(strstr(vn_last_error(), "t10k-labels-idx1-ubyte"));
    assert_null(ds);
    rm_rf(dir);
}

static void test_idx_label_count_other_than_image_count_is_format_error(void **state)
{
    (void)state;
    char dir[64], ip[128], lp[128];
    make_tmp(dir, sizeof dir);
    snprintf(ip, sizeof ip, "%s/a-images-idx3-ubyte", dir);
    snprintf(lp, sizeof lp, "%s/a-labels-idx1-ubyte", dir);
    const uint8_t labels[4] = {0, 1, 2, 3};
    write_idx_images(ip, 5, 2, 2, false);
    write_idx_labels(lp, labels, 4, false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_idx(ip, lp, &ds), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "5 images but 4 labels"));
    rm_rf(dir);
}

static void test_idx_damaged_files_fail_with_format_error(void **state)
{
    (void)state;
    char dir[64], good_images[128], good_labels[128];
    make_tmp(dir, sizeof dir);
    snprintf(good_images, sizeof good_images, "%s/g-images-idx3-ubyte", dir);
    snprintf(good_labels, sizeof good_labels, "%s/g-labels-idx1-ubyte", dir);
    const uint8_t labels[10] = {0};
    write_idx_images(good_images, 10, 4, 3, false);
    write_idx_labels(good_labels, labels, 10, false);

    DIR *d = opendir(VN_TEST_DATA "/bad");
    assert_non_null(d);
    int tried = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "idx_", 4) != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/bad/%s", VN_TEST_DATA, e->d_name);
        bool is_labels = strstr(e->d_name, "idx1") != NULL;
        vn_dataset *ds = NULL;
        vn_status s = is_labels ? vn_dataset_load_idx(good_images, path, &ds)
                                : vn_dataset_load_idx(path, good_labels, &ds);
        if (s != VN_ERR_FORMAT)
            fail_msg("%s: got %s (%s), want VN_ERR_FORMAT", e->d_name, vn_status_str(s),
                     vn_last_error());
        assert_null(ds);
        assert_non_null(strstr(vn_last_error(), e->d_name)); /* the message names the file */
        tried++;
    }
    closedir(d);
    assert_true(tried >= 14);
    rm_rf(dir);
}

static void test_idx_float_elements_are_unsupported(void **state)
{
    (void)state;
    char dir[64], ip[128], lp[128];
    make_tmp(dir, sizeof dir);
    snprintf(ip, sizeof ip, "%s/f-images-idx3-ubyte", dir);
    snprintf(lp, sizeof lp, "%s/f-labels-idx1-ubyte", dir);
    uint8_t b[4 + 12 + 4 * 4] = {0, 0, 0x0D, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2};
    write_bytes(ip, b, sizeof b, false);
    const uint8_t labels[1] = {0};
    write_idx_labels(lp, labels, 1, false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_idx(ip, lp, &ds), VN_ERR_UNSUPPORTED);
    assert_non_null(strstr(vn_last_error(), "f32"));
    rm_rf(dir);
}

/* ---- image folders ----------------------------------------------------------- */

static void test_folder_numbers_and_orders_like_imagefolder(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    const char *dirs[] = {"cat", "dog", "bird/sub", ".hidden"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
        mkdirs(p);
    }
    /* file -> grey value: the order the samples must come in is by value */
    struct { const char *name; uint8_t v; } files[] = {
        {"cat/b.png", 31}, {"cat/a.png", 30}, {"dog/x.PGM", 40}, {"bird/y.png", 10},
        {"bird/sub/z.png", 11}, {"bird/a_file_in_bird.png", 9}, {".hidden/h.png", 99},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i].name);
        /* PNG writer by extension; .PGM is written as .pgm then renamed */
        if (strstr(files[i].name, ".PGM")) {
            char tmp[256];
            snprintf(tmp, sizeof tmp, "%s/dog/x.pgm", dir);
            write_image(tmp, 2, 3, 1, files[i].v);
            assert_int_equal(rename(tmp, p), 0);
        } else {
            write_image(p, 2, 3, 1, files[i].v);
        }
    }
    snprintf(p, sizeof p, "%s/cat/notes.txt", dir);
    write_bytes(p, "not an image", 12, false);

    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_folder(dir, &ds), VN_OK);
    assert_int_equal(vn_dataset_num_classes(ds), 3);
    assert_string_equal(vn_dataset_class_name(ds, 0), "bird");
    assert_string_equal(vn_dataset_class_name(ds, 1), "cat");
    assert_string_equal(vn_dataset_class_name(ds, 2), "dog");
    assert_null(vn_dataset_class_name(ds, 3));
    assert_int_equal(vn_dataset_size(ds), 6);
    /* os.walk order: bird's own files (sorted), then bird/sub; then cat, dog */
    const int want_v[6] = {9, 10, 11, 30, 31, 40};
    const int want_y[6] = {0, 0, 0, 1, 1, 2};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(first_pixel(ds, i), want_v[i]);
        assert_int_equal(label_of(ds, i), want_y[i]);
    }
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_folder_images_are_decoded_only_when_needed(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/a", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/a/1.png", dir);
    write_image(p, 2, 2, 1, 5);
    snprintf(p, sizeof p, "%s/a/2.png", dir);
    write_bytes(p, "this is no PNG", 14, false); /* damaged: found only when read */
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_folder(dir, &ds), VN_OK);
    assert_int_equal(vn_dataset_size(ds), 2);
    assert_int_equal(first_pixel(ds, 0), 5);
    vn_tensor *img = NULL;
    assert_int_equal(vn_dataset_get(ds, 1, &img, NULL), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "2.png"));
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_folder_class_without_images_is_format_error(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/a", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/empty", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/a/1.png", dir);
    write_image(p, 2, 2, 1, 5);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_folder(dir, &ds), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "'empty'"));
    /* and a root without class folders */
    snprintf(p, sizeof p, "%s/a", dir);
    assert_int_equal(vn_dataset_load_folder(p, &ds), VN_ERR_FORMAT);
    rm_rf(dir);
}

/* ---- CSV -------------------------------------------------------------------- */

static void test_csv_integer_labels_and_paths_relative_to_the_csv(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/imgs", dir);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/imgs/a.png", dir);
    write_image(p, 2, 2, 1, 17);
    snprintf(p, sizeof p, "%s/b.pgm", dir);
    write_image(p, 2, 2, 1, 18);
    char text[512];
    snprintf(text, sizeof text, "path,label\r\nimgs/a.png, 4\r\n\r\n  %s/b.pgm ,0\r\n", dir);
    snprintf(p, sizeof p, "%s/list.csv", dir);
    write_bytes(p, text, strlen(text), false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_csv(p, &ds), VN_OK);
    assert_int_equal(vn_dataset_size(ds), 2);
    assert_int_equal(vn_dataset_num_classes(ds), 5);
    assert_null(vn_dataset_class_name(ds, 4));
    assert_int_equal(label_of(ds, 0), 4);
    assert_int_equal(first_pixel(ds, 0), 17);
    assert_int_equal(label_of(ds, 1), 0);
    assert_int_equal(first_pixel(ds, 1), 18);
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_csv_class_name_labels_are_numbered_in_sorted_order(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/x,1.png", dir);
    write_image(p, 2, 2, 1, 1);
    snprintf(p, sizeof p, "%s/y.png", dir);
    write_image(p, 2, 2, 1, 2);
    /* no header; a quoted path holding a comma; "7" is a name here */
    const char *text = "\"x,1.png\",dog\ny.png,cat\ny.png,7\n";
    snprintf(p, sizeof p, "%s/list.csv", dir);
    write_bytes(p, text, strlen(text), false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_csv(p, &ds), VN_OK);
    assert_int_equal(vn_dataset_num_classes(ds), 3);
    assert_string_equal(vn_dataset_class_name(ds, 0), "7");
    assert_string_equal(vn_dataset_class_name(ds, 1), "cat");
    assert_string_equal(vn_dataset_class_name(ds, 2), "dog");
    assert_int_equal(label_of(ds, 0), 2);
    assert_int_equal(label_of(ds, 1), 1);
    assert_int_equal(label_of(ds, 2), 0);
    assert_int_equal(first_pixel(ds, 0), 1);
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static void test_csv_line_with_three_fields_is_format_error_naming_the_line(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/a.png", dir);
    write_image(p, 2, 2, 1, 1);
    const char *text = "file,label\na.png,1\na.png,1,extra\n";
    snprintf(p, sizeof p, "%s/list.csv", dir);
    write_bytes(p, text, strlen(text), false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_csv(p, &ds), VN_ERR_FORMAT);
    assert_non_null(strstr(vn_last_error(), "line 3"));
    rm_rf(dir);
}

static void test_csv_missing_image_is_io_error_naming_the_line(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    const char *text = "missing.png,1\n";
    snprintf(p, sizeof p, "%s/list.csv", dir);
    write_bytes(p, text, strlen(text), false);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_open(p, &ds), VN_ERR_IO);
    assert_non_null(strstr(vn_last_error(), "line 1"));
    assert_non_null(strstr(vn_last_error(), "missing.png"));
    rm_rf(dir);
}

/* ---- in-memory tensors, views ---------------------------------------------- */

static void test_tensor_dataset_copies_the_callers_samples(void **state)
{
    (void)state;
    int64_t ishape[3] = {2, 2, 2}, lshape[1] = {2};
    vn_tensor *img = NULL, *lab = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, ishape, &img), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, lshape, &lab), VN_OK);
    memset(vn_tensor_data(img), 9, 8);
    ((int32_t *)vn_tensor_data(lab))[1] = 1;
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_from_tensors(img, lab, 0, &ds), VN_OK);
    memset(vn_tensor_data(img), 0, 8);
    vn_tensor_destroy(img);
    vn_tensor_destroy(lab);
    assert_int_equal(vn_dataset_num_classes(ds), 2);
    assert_int_equal(first_pixel(ds, 1), 9);
    vn_dataset_destroy(ds);
}

static void test_split_is_the_reference_permutation_and_repeatable(void **state)
{
    (void)state;
    vn_dataset *ds = index_dataset(10, 10), *tr = NULL, *va = NULL;
    assert_int_equal(vn_dataset_split(ds, 0.3, 7, &tr, &va), VN_OK);
    /* make_shuffle_refs.py: split 10 f=0.3 seed 7 */
    const int want_val[3] = {0, 5, 8}, want_train[7] = {1, 2, 3, 4, 6, 7, 9};
    assert_int_equal(vn_dataset_size(va), 3);
    assert_int_equal(vn_dataset_size(tr), 7);
    for (int i = 0; i < 3; i++)
        assert_int_equal(first_pixel(va, i), want_val[i]);
    for (int i = 0; i < 7; i++)
        assert_int_equal(first_pixel(tr, i), want_train[i]);
    /* the views outlive their parent */
    vn_dataset_destroy(ds);
    assert_int_equal(label_of(tr, 6), 9);
    vn_dataset *tr2 = NULL, *va2 = NULL;
    assert_int_equal(vn_dataset_split(tr, 0.5, 1, &tr2, &va2), VN_OK); /* a view of a view */
    assert_int_equal(vn_dataset_size(va2), 4); /* round(3.5) */
    vn_dataset_destroy(tr);
    vn_dataset_destroy(va);
    vn_dataset_destroy(tr2);
    vn_dataset_destroy(va2);
}

static void test_split_with_another_seed_differs(void **state)
{
    (void)state;
    vn_dataset *ds = index_dataset(200, 10), *a = NULL, *av = NULL, *b = NULL, *bv = NULL;
    assert_int_equal(vn_dataset_split(ds, 0.5, 1, &a, &av), VN_OK);
    assert_int_equal(vn_dataset_split(ds, 0.5, 2, &b, &bv), VN_OK);
    int same = 0;
    for (int i = 0; i < 100; i++)
        same += first_pixel(av, i) == first_pixel(bv, i);
    assert_true(same < 100);
    vn_dataset_destroy(a);
    vn_dataset_destroy(av);
    vn_dataset_destroy(b);
    vn_dataset_destroy(bv);
    vn_dataset_destroy(ds);
}

static void test_subset_and_class_names(void **state)
{
    (void)state;
    vn_dataset *ds = index_dataset(10, 3), *sub = NULL;
    const char *names[4] = {"a", "b", "c", "d"};
    assert_int_equal(vn_dataset_set_class_names(ds, 4, names), VN_OK);
    assert_int_equal(vn_dataset_num_classes(ds), 4);
    assert_int_equal(vn_dataset_subset(ds, 4, 3, &sub), VN_OK);
    assert_int_equal(vn_dataset_size(sub), 3);
    assert_int_equal(first_pixel(sub, 0), 4);
    assert_string_equal(vn_dataset_class_name(sub, 3), "d");
    assert_int_equal(vn_dataset_subset(ds, 8, 3, &sub), VN_ERR_INVALID_ARG);
    /* 2 names cannot name label 2 */
    assert_int_equal(vn_dataset_set_class_names(ds, 2, names), VN_ERR_INVALID_ARG);
    vn_dataset_destroy(ds);
    vn_dataset_destroy(sub);
}

static void test_match_classes_renumbers_labels_by_name(void **state)
{
    (void)state;
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    const char *cls[2] = {"cat", "bird"};
    for (int c = 0; c < 2; c++) {
        snprintf(p, sizeof p, "%s/%s", dir, cls[c]);
        mkdirs(p);
        snprintf(p, sizeof p, "%s/%s/1.png", dir, cls[c]);
        write_image(p, 1, 1, 1, (uint8_t)c);
    }
    vn_dataset *ds = NULL, *sub = NULL;
    assert_int_equal(vn_dataset_load_folder(dir, &ds), VN_OK);
    assert_int_equal(label_of(ds, 0), 0); /* bird */
    assert_int_equal(label_of(ds, 1), 1); /* cat */
    /* a model trained on three classes in another order */
    const char *model[3] = {"cat", "dog", "bird"};
    assert_int_equal(vn_dataset_match_classes(ds, 3, model), VN_OK);
    assert_int_equal(vn_dataset_num_classes(ds), 3);
    assert_int_equal(label_of(ds, 0), 2);
    assert_int_equal(label_of(ds, 1), 0);
    assert_string_equal(vn_dataset_class_name(ds, 1), "dog");
    assert_int_equal(vn_dataset_subset(ds, 1, 1, &sub), VN_OK); /* views keep the numbering */
    assert_int_equal(label_of(sub, 0), 0);
    const char *other[2] = {"cat", "dog"};
    assert_int_equal(vn_dataset_match_classes(sub, 2, other), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "'bird'"));
    vn_dataset_destroy(sub);
    vn_dataset_destroy(ds);
    vn_dataset *unnamed = index_dataset(4, 2);
    assert_int_equal(vn_dataset_match_classes(unnamed, 2, other), VN_ERR_INVALID_ARG);
    vn_dataset_destroy(unnamed);
    rm_rf(dir);
}

/* ---- the batcher --------------------------------------------------------------- */

/* The sample indices of one epoch, from the batches' pixel values (the
 * dataset's pixel is the index; scale 1 keeps it). */
static void epoch_order(const vn_dataset *ds, int64_t batch, uint64_t seed, uint64_t epoch,
                        int *order)
{
    vn__batch_spec spec = {.batch_size = batch, .shuffle = true, .seed = seed, .in_ndim = 3,
                           .in_shape = {1, 1, 1}, .scale = 1.0f, .mean = {0}, .std = {1, 1, 1, 1}};
    vn__batcher *b = NULL;
    assert_int_equal(vn__batcher_create(ds, &spec, &b), VN_OK);
    assert_int_equal(vn__batcher_start(b, epoch), VN_OK);
    int n = 0;
    const vn__batch *bt = NULL;
    while (vn__batcher_next(b, &bt) == VN_OK && bt) {
        const float *x = vn_tensor_data_const(bt->x);
        const int32_t *y = vn_tensor_data_const(bt->y);
        for (int64_t i = 0; i < bt->count; i++) {
            order[n] = (int)x[i];
            assert_int_equal(y[i], order[n] % 10);
            n++;
        }
    }
    assert_int_equal(n, vn_dataset_size(ds));
    vn__batcher_destroy(b);
}

static void test_shuffle_is_the_reference_permutation_of_seed_and_epoch(void **state)
{
    (void)state;
    vn_dataset *ds = index_dataset(10, 10);
    int got[10];
    /* make_shuffle_refs.py; the batch size changes nothing */
    const int s0e0[10] = {9, 3, 0, 8, 4, 2, 5, 1, 6, 7};
    const int s0e1[10] = {8, 4, 3, 1, 7, 2, 0, 6, 9, 5};
    const int s42e0[10] = {8, 5, 3, 0, 4, 7, 9, 1, 2, 6};
    epoch_order(ds, 4, 0, 0, got);
    assert_memory_equal(got, s0e0, sizeof got);
    epoch_order(ds, 3, 0, 0, got);
    assert_memory_equal(got, s0e0, sizeof got);
    epoch_order(ds, 10, 0, 1, got);
    assert_memory_equal(got, s0e1, sizeof got);
    epoch_order(ds, 1, 42, 0, got);
    assert_memory_equal(got, s42e0, sizeof got);
    vn_dataset_destroy(ds);
}

static void test_batches_are_normalised_with_scale_mean_std(void **state)
{
    (void)state;
    vn_dataset *ds = index_dataset(3, 10);
    vn__batch_spec spec = {.batch_size = 2, .shuffle = false, .in_ndim = 3, .in_shape = {1, 1, 1},
                           .scale = 1.0f / 255.0f, .mean = {0.2860f}, .std = {0.3530f}};
    vn__batcher *b = NULL;
    assert_int_equal(vn__batcher_create(ds, &spec, &b), VN_OK);
    assert_int_equal(vn__batcher_batches(b), 2);
    assert_int_equal(vn__batcher_start(b, 0), VN_OK);
    const vn__batch *bt = NULL;
    assert_int_equal(vn__batcher_next(b, &bt), VN_OK);
    assert_int_equal(bt->count, 2);
    /* sample 1 (pixel 1): (1/255 - 0.2860) / 0.3530 */
    assert_float_equal(((const float *)vn_tensor_data_const(bt->x))[1], -0.799089f, 1e-5);
    assert_int_equal(vn__batcher_next(b, &bt), VN_OK);
    assert_int_equal(bt->count, 1);
    assert_int_equal(vn_tensor_dim(bt->x, 0), 1);
    assert_int_equal(vn__batcher_next(b, &bt), VN_OK);
    assert_null(bt);
    vn__batcher_destroy(b);
    vn_dataset_destroy(ds);
}

static void test_batches_convert_channels_and_resize_to_the_model_input(void **state)
{
    (void)state;
    /* RGB 4x4, pixel (y, x, c) = ((y*4+x)*15 + c*20) mod 256; the model takes
     * grey 2x2. cv2: cvtColor(RGB2GRAY) then resize(INTER_AREA) gives
     * [[54, 84], [174, 196]]. */
    int64_t ishape[4] = {1, 4, 4, 3}, lshape[1] = {1};
    vn_tensor *img = NULL, *lab = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 4, ishape, &img), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, lshape, &lab), VN_OK);
    uint8_t *p = vn_tensor_data(img);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            for (int c = 0; c < 3; c++)
                p[(y * 4 + x) * 3 + c] = (uint8_t)(((y * 4 + x) * 15 + c * 20) % 256);
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_from_tensors(img, lab, 1, &ds), VN_OK);
    vn__batch_spec spec = {.batch_size = 1, .in_ndim = 3, .in_shape = {1, 2, 2}, .scale = 1.0f,
                           .mean = {0}, .std = {1}};
    vn__batcher *b = NULL;
    assert_int_equal(vn__batcher_create(ds, &spec, &b), VN_OK);
    assert_int_equal(vn__batcher_start(b, 0), VN_OK);
    const vn__batch *bt = NULL;
    assert_int_equal(vn__batcher_next(b, &bt), VN_OK);
    const float *x = vn_tensor_data_const(bt->x);
    const float want[4] = {54, 84, 174, 196};
    for (int i = 0; i < 4; i++)
        assert_float_equal(x[i], want[i], 1.0);
    vn__batcher_destroy(b);
    vn_dataset_destroy(ds);
    vn_tensor_destroy(img);
    vn_tensor_destroy(lab);
}

/* A hook that writes (seed + 3*epoch + 7*index) mod 256 into the pixel. */
static vn_status keyed_hook(vn_tensor **image, uint64_t seed, uint64_t epoch, uint64_t index,
                            void *user)
{
    (void)user;
    uint8_t *p = vn_tensor_data(*image);
    p[0] = (uint8_t)((seed + 3 * epoch + 7 * index) % 256);
    return VN_OK;
}

static void collect(const vn_dataset *ds, uint64_t epoch, bool hooks, float *out)
{
    vn__batch_spec spec = {.batch_size = 3, .shuffle = true, .seed = 5, .hooks = hooks, .in_ndim = 3,
                           .in_shape = {1, 1, 1}, .scale = 1.0f, .mean = {0}, .std = {1}};
    vn__batcher *b = NULL;
    assert_int_equal(vn__batcher_create(ds, &spec, &b), VN_OK);
    assert_int_equal(vn__batcher_start(b, epoch), VN_OK);
    int n = 0;
    const vn__batch *bt = NULL;
    while (vn__batcher_next(b, &bt) == VN_OK && bt)
        for (int64_t i = 0; i < bt->count; i++)
            out[n++] = ((const float *)vn_tensor_data_const(bt->x))[i];
    vn__batcher_destroy(b);
}

static void test_sample_hook_output_depends_on_seed_epoch_and_index_only(void **state)
{
    (void)state;
    /* A folder dataset: decoded on as many workers as there are threads. */
    char dir[64], p[256];
    make_tmp(dir, sizeof dir);
    snprintf(p, sizeof p, "%s/c", dir);
    mkdirs(p);
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "%s/c/%02d.png", dir, i);
        write_image(p, 1, 1, 1, (uint8_t)i);
    }
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_load_folder(dir, &ds), VN_OK);
    assert_int_equal(vn_dataset_set_sample_fn(ds, keyed_hook, NULL), VN_OK);
    float one[10], two[10], plain[10];
    assert_int_equal(vn_set_num_threads(1), VN_OK);
    collect(ds, 2, true, one);
    assert_int_equal(vn_set_num_threads(4), VN_OK);
    collect(ds, 2, true, two);
    collect(ds, 2, false, plain);
    assert_int_equal(vn_set_num_threads(0), VN_OK);
    assert_memory_equal(one, two, sizeof one);
    for (int i = 0; i < 10; i++) {
        int index = (int)plain[i]; /* without the hook the pixel is the index */
        assert_float_equal(one[i], (float)((5 + 3 * 2 + 7 * index) % 256), 0.0);
    }
    vn_dataset_destroy(ds);
    rm_rf(dir);
}

static vn_status failing_hook(vn_tensor **image, uint64_t seed, uint64_t epoch, uint64_t index,
                              void *user)
{
    (void)image; (void)seed; (void)epoch; (void)user;
    if (index == 4)
        return vn__error(VN_ERR_FORMAT, "hook refuses sample %d", (int)index);
    return VN_OK;
}

static void test_sample_hook_error_reaches_the_consumer_with_its_message(void **state)
{
    (void)state;
    vn_dataset *ds = index_dataset(6, 10);
    assert_int_equal(vn_dataset_set_sample_fn(ds, failing_hook, NULL), VN_OK);
    vn__batch_spec spec = {.batch_size = 2, .hooks = true, .in_ndim = 3, .in_shape = {1, 1, 1},
                           .scale = 1.0f, .mean = {0}, .std = {1}};
    vn__batcher *b = NULL;
    assert_int_equal(vn__batcher_create(ds, &spec, &b), VN_OK);
    assert_int_equal(vn__batcher_start(b, 0), VN_OK);
    const vn__batch *bt = NULL;
    assert_int_equal(vn__batcher_next(b, &bt), VN_OK);
    assert_int_equal(vn__batcher_next(b, &bt), VN_OK);
    assert_int_equal(vn__batcher_next(b, &bt), VN_ERR_FORMAT);
    assert_string_equal(vn_last_error(), "hook refuses sample 4");
    vn__batcher_destroy(b);
    vn_dataset_destroy(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_plain_files_give_images_and_labels),
        cmocka_unit_test(test_idx_gzip_files_give_the_same_samples),
        cmocka_unit_test(test_idx_labels_are_found_beside_the_images),
        cmocka_unit_test(test_idx_without_labels_file_is_io_error),
        cmocka_unit_test(test_idx_label_count_other_than_image_count_is_format_error),
        cmocka_unit_test(test_idx_damaged_files_fail_with_format_error),
        cmocka_unit_test(test_idx_float_elements_are_unsupported),
        cmocka_unit_test(test_folder_numbers_and_orders_like_imagefolder),
        cmocka_unit_test(test_folder_images_are_decoded_only_when_needed),
        cmocka_unit_test(test_folder_class_without_images_is_format_error),
        cmocka_unit_test(test_csv_integer_labels_and_paths_relative_to_the_csv),
        cmocka_unit_test(test_csv_class_name_labels_are_numbered_in_sorted_order),
        cmocka_unit_test(test_csv_line_with_three_fields_is_format_error_naming_the_line),
        cmocka_unit_test(test_csv_missing_image_is_io_error_naming_the_line),
        cmocka_unit_test(test_tensor_dataset_copies_the_callers_samples),
        cmocka_unit_test(test_split_is_the_reference_permutation_and_repeatable),
        cmocka_unit_test(test_split_with_another_seed_differs),
        cmocka_unit_test(test_subset_and_class_names),
        cmocka_unit_test(test_match_classes_renumbers_labels_by_name),
        cmocka_unit_test(test_shuffle_is_the_reference_permutation_of_seed_and_epoch),
        cmocka_unit_test(test_batches_are_normalised_with_scale_mean_std),
        cmocka_unit_test(test_batches_convert_channels_and_resize_to_the_model_input),
        cmocka_unit_test(test_sample_hook_output_depends_on_seed_epoch_and_index_only),
        cmocka_unit_test(test_sample_hook_error_reaches_the_consumer_with_its_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
