/*
 * dataset_select.c - vn_dataset_select_classes(): a view holding some of
 * a dataset's classes, renumbered 0..n-1, with at most a given number of
 * samples of each (the first ones, in the dataset's order). Transfer
 * learning experiments need exactly this: "classes 5-9, 50 images each".
 *
 * The view shares the store like the views of dataset.c: an index list
 * into the store and a label map from the store's labels to the view's.
 * Store classes that are not selected map to 0; no sample of the view has
 * one of them, so that entry is never read for a label.
 */
#include "train/dataset_internal.h"

#include <string.h>

static void free_names(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        vn__free(names[i]);
    vn__free(names);
}

VN_API vn_status vn_dataset_select_classes(const vn_dataset *ds, const int *classes,
                                           int n_classes, int64_t per_class, vn_dataset **out)
{
    if (out)
        *out = NULL;
    if (!ds || !classes || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_select_classes: NULL argument");
    const int k = ds->num_classes;
    if (n_classes < 1 || n_classes > k)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_dataset_select_classes: %d classes asked of a dataset of %d",
                         n_classes, k);
    if (per_class < 0)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_dataset_select_classes: per_class %lld is negative",
                         (long long)per_class);
    /* view class c -> new class, -1 when not selected */
    int32_t *to_new = vn__malloc((size_t)k * sizeof(int32_t));
    int64_t *taken = vn__calloc((size_t)n_classes, sizeof(int64_t));
    if (!to_new || !taken) {
        vn__free(to_new);
        vn__free(taken);
        return vn__error(VN_ERR_NOMEM, "vn_dataset_select_classes: out of memory");
    }
    for (int c = 0; c < k; c++)
        to_new[c] = -1;
    vn_status st = VN_OK;
    for (int j = 0; j < n_classes && st == VN_OK; j++) {
        const int c = classes[j];
        if (c < 0 || c >= k)
            st = vn__error(VN_ERR_INVALID_ARG,
                           "vn_dataset_select_classes: class %d is not in 0..%d", c, k - 1);
        else if (to_new[c] >= 0)
            st = vn__error(VN_ERR_INVALID_ARG,
                           "vn_dataset_select_classes: class %d is asked twice", c);
        else
            to_new[c] = j;
    }
    /* which samples: the first per_class of each selected class */
    int64_t n = 0;
    int64_t *index = NULL;
    if (st == VN_OK && !(index = vn__malloc((size_t)(ds->n > 0 ? ds->n : 1) * sizeof(int64_t))))
        st = vn__error(VN_ERR_NOMEM, "vn_dataset_select_classes: out of memory");
    for (int64_t i = 0; i < ds->n && st == VN_OK; i++) {
        const int32_t y = vn__dataset_label(ds, i);
        const int32_t j = y >= 0 && y < k ? to_new[y] : -1;
        if (j < 0 || (per_class > 0 && taken[j] >= per_class))
            continue;
        taken[j]++;
        index[n++] = vn__dataset_index(ds, i);
    }
    /* the view: label map over the store's classes, names of the selected */
    vn_dataset *v = NULL;
    const int ks = ds->store->num_classes;
    if (st == VN_OK && !(v = vn__calloc(1, sizeof *v)))
        st = vn__error(VN_ERR_NOMEM, "vn_dataset_select_classes: out of memory");
    if (st == VN_OK &&
        !(v->label_map = vn__malloc((size_t)(ks > 0 ? ks : 1) * sizeof(int32_t))))
        st = vn__error(VN_ERR_NOMEM, "vn_dataset_select_classes: out of memory");
    if (st == VN_OK) {
        for (int y = 0; y < ks; y++) {
            const int32_t c = ds->label_map ? ds->label_map[y] : y;
            v->label_map[y] = c >= 0 && c < k && to_new[c] >= 0 ? to_new[c] : 0;
        }
        if (ds->class_names) {
            if (!(v->class_names = vn__calloc((size_t)n_classes, sizeof(char *))))
                st = vn__error(VN_ERR_NOMEM, "vn_dataset_select_classes: out of memory");
            for (int j = 0; j < n_classes && st == VN_OK; j++)
                if (!(v->class_names[j] = vn__strdup(ds->class_names[classes[j]])))
                    st = vn__error(VN_ERR_NOMEM, "vn_dataset_select_classes: out of memory");
        }
    }
    vn__free(to_new);
    vn__free(taken);
    if (st != VN_OK) {
        if (v) {
            free_names(v->class_names, n_classes);
            vn__free(v->label_map);
            vn__free(v);
        }
        vn__free(index);
        return st;
    }
    atomic_fetch_add(&ds->store->refs, 1);
    v->store = ds->store;
    v->n = n;
    v->index = index;
    v->num_classes = n_classes;
    *out = v;
    return VN_OK;
}
