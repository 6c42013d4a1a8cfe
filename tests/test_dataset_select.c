/* test_dataset_select.c - vn_dataset_select_classes(): some classes of a
 * dataset, renumbered, with at most N samples of each.
 *
 * The dataset is 10 u8 images of 2x2 pixels made in memory: image i has
 * every pixel equal to 10*i, so a sample read back says which it is. The
 * labels are 0 1 2 0 1 2 0 1 2 3 (4 classes). Expected views are written
 * down from that list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <visionnet.h>

static const int32_t LABELS[10] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 3};

static vn_dataset *make_dataset(void)
{
    int64_t xs[3] = {10, 2, 2}, ys[1] = {10};
    vn_tensor *x = NULL, *y = NULL;
    assert_int_equal(vn_tensor_create(VN_U8, 3, xs, &x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_I32, 1, ys, &y), VN_OK);
    uint8_t *px = vn_tensor_data(x);
    for (int i = 0; i < 10; i++) {
        memset(px + 4 * i, 10 * i, 4);
        ((int32_t *)vn_tensor_data(y))[i] = LABELS[i];
    }
    vn_dataset *ds = NULL;
    assert_int_equal(vn_dataset_from_tensors(x, y, 0, &ds), VN_OK);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    return ds;
}

/* The view holds exactly the source images `want` with labels `labels`. */
static void assert_view(const vn_dataset *v, int n, const int *want, const int *labels)
{
    assert_int_equal(vn_dataset_size(v), n);
    for (int i = 0; i < n; i++) {
        vn_tensor *img = NULL;
        int32_t y = -1;
        assert_int_equal(vn_dataset_get(v, i, &img, &y), VN_OK);
        assert_int_equal(((const uint8_t *)vn_tensor_data_const(img))[0], 10 * want[i]);
        assert_int_equal(y, labels[i]);
        int32_t y2 = -1;
        assert_int_equal(vn_dataset_label(v, i, &y2), VN_OK);
        assert_int_equal(y2, labels[i]);
        vn_tensor_destroy(img);
    }
}

static void test_select_keeps_the_classes_in_order_and_renumbers_them(void **state)
{
    (void)state;
    vn_dataset *ds = make_dataset(), *v = NULL;
    const int classes[2] = {2, 0};
    assert_int_equal(vn_dataset_select_classes(ds, classes, 2, 0, &v), VN_OK);
    assert_int_equal(vn_dataset_num_classes(v), 2);
    /* images 0 2 3 5 6 8; class 2 -> 0, class 0 -> 1 */
    const int want[6] = {0, 2, 3, 5, 6, 8}, labels[6] = {1, 0, 1, 0, 1, 0};
    assert_view(v, 6, want, labels);
    vn_dataset_destroy(v);
    vn_dataset_destroy(ds);
}

static void test_select_keeps_the_first_per_class_samples_of_each_class(void **state)
{
    (void)state;
    vn_dataset *ds = make_dataset(), *v = NULL;
    const int classes[2] = {1, 2};
    assert_int_equal(vn_dataset_select_classes(ds, classes, 2, 2, &v), VN_OK);
    const int want[4] = {1, 2, 4, 5}, labels[4] = {0, 1, 0, 1};
    assert_view(v, 4, want, labels);
    vn_dataset_destroy(v);
    vn_dataset_destroy(ds);
}

static void test_select_keeps_every_sample_of_a_class_smaller_than_per_class(void **state)
{
    (void)state;
    vn_dataset *ds = make_dataset(), *v = NULL;
    const int classes[2] = {3, 0};
    assert_int_equal(vn_dataset_select_classes(ds, classes, 2, 2, &v), VN_OK);
    /* class 3 has one image (9), class 0 gives its first two (0, 3) */
    const int want[3] = {0, 3, 9}, labels[3] = {1, 1, 0};
    assert_view(v, 3, want, labels);
    vn_dataset_destroy(v);
    vn_dataset_destroy(ds);
}

static void test_select_carries_the_class_names_of_the_selected_classes(void **state)
{
    (void)state;
    vn_dataset *ds = make_dataset(), *v = NULL;
    const char *names[4] = {"a", "b", "c", "d"};
    assert_int_equal(vn_dataset_set_class_names(ds, 4, names), VN_OK);
    const int classes[2] = {3, 1};
    assert_int_equal(vn_dataset_select_classes(ds, classes, 2, 0, &v), VN_OK);
    assert_string_equal(vn_dataset_class_name(v, 0), "d");
    assert_string_equal(vn_dataset_class_name(v, 1), "b");
    assert_null(vn_dataset_class_name(v, 2));
    /* and the view can be renumbered by name again */
    const char *order[2] = {"b", "d"};
    assert_int_equal(vn_dataset_match_classes(v, 2, order), VN_OK);
    const int want[4] = {1, 4, 7, 9}, labels[4] = {0, 0, 0, 1};
    assert_view(v, 4, want, labels);
    vn_dataset_destroy(v);
    vn_dataset_destroy(ds);
}

static void test_select_from_a_view_uses_the_view_samples_and_labels(void **state)
{
    (void)state;
    vn_dataset *ds = make_dataset(), *sub = NULL, *v = NULL;
    assert_int_equal(vn_dataset_subset(ds, 3, 7, &sub), VN_OK); /* images 3..9 */
    const int classes[1] = {0};
    assert_int_equal(vn_dataset_select_classes(sub, classes, 1, 0, &v), VN_OK);
    const int want[2] = {3, 6}, labels[2] = {0, 0};
    assert_view(v, 2, want, labels);
    vn_dataset_destroy(v);
    /* a renumbered view (match_classes) selects by its own numbers */
    const char *names[4] = {"a", "b", "c", "d"}, *order[4] = {"d", "c", "b", "a"};
    assert_int_equal(vn_dataset_set_class_names(sub, 4, names), VN_OK);
    assert_int_equal(vn_dataset_match_classes(sub, 4, order), VN_OK); /* a=3 ... d=0 */
    const int d_only[1] = {0};
    assert_int_equal(vn_dataset_select_classes(sub, d_only, 1, 0, &v), VN_OK);
    const int want_d[1] = {9}, labels_d[1] = {0};
    assert_view(v, 1, want_d, labels_d);
    assert_string_equal(vn_dataset_class_name(v, 0), "d");
    vn_dataset_destroy(v);
    vn_dataset_destroy(sub);
    vn_dataset_destroy(ds);
}

static void test_select_view_outlives_its_parent(void **state)
{
    (void)state;
    vn_dataset *ds = make_dataset(), *v = NULL;
    const int classes[1] = {2};
    assert_int_equal(vn_dataset_select_classes(ds, classes, 1, 0, &v), VN_OK);
    vn_dataset_destroy(ds);
    const int want[3] = {2, 5, 8}, labels[3] = {0, 0, 0};
    assert_view(v, 3, want, labels);
    vn_dataset_destroy(v);
}

static void test_select_refuses_bad_arguments(void **state)
{
    (void)state;
    vn_dataset *ds = make_dataset(), *v = (vn_dataset *)&v;
    const int out_of_range[2] = {0, 4}, twice[2] = {1, 1}, negative[1] = {-1}, ok[1] = {0};
    assert_int_equal(vn_dataset_select_classes(ds, out_of_range, 2, 0, &v), VN_ERR_INVALID_ARG);
    assert_null(v);
    assert_non_null(strstr(vn_last_error(), "class 4 is not in 0..3"));
    assert_int_equal(vn_dataset_select_classes(ds, twice, 2, 0, &v), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "class 1 is asked twice"));
    assert_int_equal(vn_dataset_select_classes(ds, negative, 1, 0, &v), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_dataset_select_classes(ds, ok, 0, 0, &v), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_dataset_select_classes(ds, ok, 5, 0, &v), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_dataset_select_classes(ds, ok, 1, -1, &v), VN_ERR_INVALID_ARG);
    assert_non_null(strstr(vn_last_error(), "per_class -1 is negative"));
    assert_int_equal(vn_dataset_select_classes(NULL, ok, 1, 0, &v), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_dataset_select_classes(ds, NULL, 1, 0, &v), VN_ERR_INVALID_ARG);
    assert_int_equal(vn_dataset_select_classes(ds, ok, 1, 0, NULL), VN_ERR_INVALID_ARG);
    assert_null(v);
    vn_dataset_destroy(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_keeps_the_classes_in_order_and_renumbers_them),
        cmocka_unit_test(test_select_keeps_the_first_per_class_samples_of_each_class),
        cmocka_unit_test(test_select_keeps_every_sample_of_a_class_smaller_than_per_class),
        cmocka_unit_test(test_select_carries_the_class_names_of_the_selected_classes),
        cmocka_unit_test(test_select_from_a_view_uses_the_view_samples_and_labels),
        cmocka_unit_test(test_select_view_outlives_its_parent),
        cmocka_unit_test(test_select_refuses_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
