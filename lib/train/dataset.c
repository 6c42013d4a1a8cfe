/*
 * dataset.c - the dataset core: stores and views, the split into training
 * and validation, subsets, class names, and reading one sample.
 *
 * The sources (dataset_tensor.c, dataset_idx.c, dataset_folder.c,
 * dataset_csv.c) each fill a vn__store and wrap it in a first view; this
 * file knows nothing of where the samples came from. See
 * dataset_internal.h for the layout.
 *
 * The split draws a permutation of 0..N-1 with Fisher-Yates from the core
 * RNG keyed by (seed, a fixed "split" stream); its first round(N*f)
 * entries, sorted, are the validation view and the rest, sorted, the
 * training view. So a split is a pure function of (N, f, seed), whatever
 * the thread count or platform.
 */
#include "train/dataset_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <visionnet/augment.h>
#include <visionnet/image.h>

/* Stream of the split's permutation ("SPLIT" in ASCII). */
#define SPLIT_STREAM 0x53504c4954ull

/* ---- stores ---------------------------------------------------------------- */

vn_status vn__store_new(vn__store_kind kind, int64_t n, const char *what, vn__store **out)
{
    if (n < 0)
        return vn__error(VN_ERR_INVALID_ARG, "%s: negative sample count", what);
    vn__store *s = vn__calloc(1, sizeof *s);
    if (!s)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", what);
    atomic_init(&s->refs, 1);
    s->kind = kind;
    s->n = n;
    s->what = what;
    s->labels = vn__calloc(n > 0 ? (size_t)n : 1, sizeof(int32_t));
    if (!s->labels) {
        vn__free(s);
        return vn__error(VN_ERR_NOMEM, "%s: out of memory for %lld labels", what, (long long)n);
    }
    *out = s;
    return VN_OK;
}

static void free_names(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        vn__free(names[i]);
    vn__free(names);
}

void vn__store_release(vn__store *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    vn__free(s->labels);
    free_names(s->class_names, s->num_classes);
    vn__free(s->data);
    if (s->paths) {
        for (int64_t i = 0; i < s->n; i++)
            vn__free(s->paths[i]);
        vn__free(s->paths);
    }
    vn__free(s);
}

vn_status vn__store_set_classes(vn__store *s, int num_classes, char **names)
{
    int32_t max = -1;
    for (int64_t i = 0; i < s->n; i++) {
        if (s->labels[i] < 0) {
            free_names(names, num_classes);
            return vn__error(VN_ERR_FORMAT, "%s: sample %lld has the negative label %d", s->what,
                             (long long)i, (int)s->labels[i]);
        }
        if (s->labels[i] > max)
            max = s->labels[i];
    }
    if (max >= VN__MAX_CLASSES) {
        free_names(names, num_classes);
        return vn__error(VN_ERR_FORMAT, "%s: label %d: more classes than the %d a dataset may have",
                         s->what, (int)max, VN__MAX_CLASSES);
    }
    if (num_classes <= 0) {
        if (names)
            return vn__error(VN_ERR_INTERNAL, "%s: class names without a count", s->what);
        num_classes = max + 1;
    } else if (max >= num_classes) {
        free_names(names, num_classes);
        return vn__error(VN_ERR_FORMAT, "%s: label %d is not below the %d classes", s->what,
                         (int)max, num_classes);
    }
    s->num_classes = num_classes;
    s->class_names = names;
    return VN_OK;
}

/* ---- views ------------------------------------------------------------------ */

static vn_status copy_names(char **src, int n, char ***out)
{
    *out = NULL;
    if (!src || n <= 0)
        return VN_OK;
    char **names = vn__calloc((size_t)n, sizeof(char *));
    if (!names)
        return vn__error(VN_ERR_NOMEM, "dataset: out of memory for class names");
    for (int i = 0; i < n; i++)
        if (!(names[i] = vn__strdup(src[i]))) {
            free_names(names, n);
            return vn__error(VN_ERR_NOMEM, "dataset: out of memory for class names");
        }
    *out = names;
    return VN_OK;
}

/* A copy of a label map of a store with k classes (NULL stays NULL). */
static vn_status copy_map(const int32_t *map, int k, int32_t **out)
{
    *out = NULL;
    if (!map)
        return VN_OK;
    if (!(*out = vn__malloc((size_t)(k > 0 ? k : 1) * sizeof(int32_t))))
        return vn__error(VN_ERR_NOMEM, "dataset: out of memory");
    memcpy(*out, map, (size_t)k * sizeof(int32_t));
    return VN_OK;
}

/* A view of store s holding n samples (index taken over, NULL = all in
 * order), with the given class names and label map copied. Takes one new
 * reference. */
static vn_status new_view(vn__store *s, int64_t n, int64_t *index, int num_classes, char **names,
                          const int32_t *map, vn_dataset **out)
{
    vn_dataset *ds = vn__calloc(1, sizeof *ds);
    if (!ds) {
        vn__free(index);
        return vn__error(VN_ERR_NOMEM, "dataset: out of memory");
    }
    vn_status st = copy_names(names, num_classes, &ds->class_names);
    if (st == VN_OK)
        st = copy_map(map, s->num_classes, &ds->label_map);
    if (st != VN_OK) {
        free_names(ds->class_names, num_classes);
        vn__free(index);
        vn__free(ds);
        return st;
    }
    atomic_fetch_add(&s->refs, 1);
    ds->store = s;
    ds->n = n;
    ds->index = index;
    ds->num_classes = num_classes;
    *out = ds;
    return VN_OK;
}

vn_status vn__dataset_wrap_store(vn__store *s, vn_dataset **out)
{
    vn_status st = new_view(s, s->n, NULL, s->num_classes, s->class_names, NULL, out);
    vn__store_release(s); /* the view holds its own reference now (or failed) */
    return st;
}

VN_API void vn_dataset_destroy(vn_dataset *ds)
{
    if (!ds)
        return;
    vn__store_release(ds->store);
    vn__free(ds->index);
    vn__free(ds->label_map);
    free_names(ds->class_names, ds->num_classes);
    vn__free(ds);
}

VN_API int64_t vn_dataset_size(const vn_dataset *ds)
{
    return ds ? ds->n : 0;
}

VN_API int vn_dataset_num_classes(const vn_dataset *ds)
{
    return ds ? ds->num_classes : 0;
}

VN_API const char *vn_dataset_class_name(const vn_dataset *ds, int i)
{
    if (!ds || !ds->class_names || i < 0 || i >= ds->num_classes)
        return NULL;
    return ds->class_names[i];
}

VN_API vn_status vn_dataset_set_class_names(vn_dataset *ds, int n, const char *const *names)
{
    if (!ds || n < 0 || (n > 0 && !names) || (n == 0 && names))
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_set_class_names: bad arguments");
    if (n == 0) {
        free_names(ds->class_names, ds->num_classes);
        ds->class_names = NULL;
        return VN_OK;
    }
    for (int i = 0; i < n; i++)
        if (!names[i])
            return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_set_class_names: name %d is NULL", i);
    for (int64_t i = 0; i < ds->n; i++) {
        int32_t label = vn__dataset_label(ds, i);
        if (label >= n)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_dataset_set_class_names: %d names, but sample %lld has label %d", n,
                             (long long)i, (int)label);
    }
    char **copy = NULL;
    VN_TRY(copy_names((char **)names, n, &copy));
    free_names(ds->class_names, ds->num_classes);
    ds->class_names = copy;
    ds->num_classes = n;
    return VN_OK;
}

VN_API vn_status vn_dataset_match_classes(vn_dataset *ds, int n, const char *const *names)
{
    if (!ds || n < 1 || !names)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_match_classes: bad arguments");
    if (n > VN__MAX_CLASSES)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_match_classes: %d names, over %d", n,
                         VN__MAX_CLASSES);
    if (!ds->class_names)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_dataset_match_classes: the dataset's classes have no names");
    for (int j = 0; j < n; j++)
        if (!names[j])
            return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_match_classes: name %d is NULL", j);
    /* this view's class c -> the new index */
    int32_t *to_new = vn__malloc((size_t)ds->num_classes * sizeof(int32_t));
    if (!to_new)
        return vn__error(VN_ERR_NOMEM, "vn_dataset_match_classes: out of memory");
    for (int c = 0; c < ds->num_classes; c++) {
        to_new[c] = -1;
        for (int j = 0; j < n && to_new[c] < 0; j++)
            if (!strcmp(ds->class_names[c], names[j]))
                to_new[c] = j;
        if (to_new[c] < 0) {
            vn__free(to_new);
            return vn__error(VN_ERR_INVALID_ARG, "the data's class '%s' is not one of the %d classes given",
                             ds->class_names[c], n);
        }
    }
    const int ks = ds->store->num_classes;
    int32_t *map = vn__malloc((size_t)(ks > 0 ? ks : 1) * sizeof(int32_t));
    char **copy = NULL;
    vn_status st = map ? copy_names((char **)names, n, &copy)
                       : vn__error(VN_ERR_NOMEM, "vn_dataset_match_classes: out of memory");
    if (st != VN_OK) {
        vn__free(map);
        vn__free(to_new);
        return st;
    }
    for (int y = 0; y < ks; y++)
        map[y] = to_new[ds->label_map ? ds->label_map[y] : y];
    vn__free(to_new);
    vn__free(ds->label_map);
    free_names(ds->class_names, ds->num_classes);
    ds->label_map = map;
    ds->class_names = copy;
    ds->num_classes = n;
    return VN_OK;
}

VN_API vn_status vn_dataset_subset(const vn_dataset *ds, int64_t start, int64_t count,
                                   vn_dataset **out)
{
    if (!ds || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_subset: NULL argument");
    if (start < 0 || count < 0 || start > ds->n || count > ds->n - start)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_dataset_subset: samples %lld..+%lld are not inside the %lld samples",
                         (long long)start, (long long)count, (long long)ds->n);
    int64_t *index = vn__malloc((size_t)(count > 0 ? count : 1) * sizeof(int64_t));
    if (!index)
        return vn__error(VN_ERR_NOMEM, "vn_dataset_subset: out of memory");
    for (int64_t i = 0; i < count; i++)
        index[i] = vn__dataset_index(ds, start + i);
    return new_view(ds->store, count, index, ds->num_classes, ds->class_names, ds->label_map,
                    out);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

VN_API vn_status vn_dataset_split(const vn_dataset *ds, double val_fraction, uint64_t seed,
                                  vn_dataset **train, vn_dataset **val)
{
    if (!ds || !train || !val)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_split: NULL argument");
    if (!(val_fraction >= 0.0 && val_fraction <= 1.0))
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_split: val_fraction %g is not in [0, 1]",
                         val_fraction);
    const int64_t n = ds->n;
    if ((uint64_t)n > UINT32_MAX)
        return vn__error(VN_ERR_UNSUPPORTED, "vn_dataset_split: %lld samples is over 2^32",
                         (long long)n);
    int64_t nval = (int64_t)llround((double)n * val_fraction);
    if (nval > n)
        nval = n;
    int64_t *perm = vn__malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    int64_t *tidx = vn__malloc((size_t)(n - nval > 0 ? n - nval : 1) * sizeof(int64_t));
    int64_t *vidx = vn__malloc((size_t)(nval > 0 ? nval : 1) * sizeof(int64_t));
    if (!perm || !tidx || !vidx) {
        vn__free(perm);
        vn__free(tidx);
        vn__free(vidx);
        return vn__error(VN_ERR_NOMEM, "vn_dataset_split: out of memory");
    }
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    struct vn_rng rng;
    vn__rng_init(&rng, seed, SPLIT_STREAM);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)vn_rng_below(&rng, (uint32_t)(i + 1));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    qsort(perm, (size_t)nval, sizeof(int64_t), cmp_i64);
    qsort(perm + nval, (size_t)(n - nval), sizeof(int64_t), cmp_i64);
    for (int64_t i = 0; i < nval; i++)
        vidx[i] = vn__dataset_index(ds, perm[i]);
    for (int64_t i = nval; i < n; i++)
        tidx[i - nval] = vn__dataset_index(ds, perm[i]);
    vn__free(perm);
    vn_dataset *t = NULL, *v = NULL;
    vn_status st = new_view(ds->store, n - nval, tidx, ds->num_classes, ds->class_names,
                            ds->label_map, &t);
    if (st != VN_OK) {
        vn__free(vidx);
        return st;
    }
    st = new_view(ds->store, nval, vidx, ds->num_classes, ds->class_names, ds->label_map, &v);
    if (st != VN_OK) {
        vn_dataset_destroy(t);
        return st;
    }
    *train = t;
    *val = v;
    return VN_OK;
}

VN_API vn_status vn_dataset_set_sample_fn(vn_dataset *ds, vn_sample_fn fn, void *user_data)
{
    if (!ds)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_set_sample_fn: ds is NULL");
    if (ds->store->kind == VN__STORE_F32 && fn)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "vn_dataset_set_sample_fn: the dataset holds f32 samples, not images");
    ds->sample_fn = fn;
    ds->sample_user = fn ? user_data : NULL;
    return VN_OK;
}

VN_API vn_status vn_dataset_set_augment(vn_dataset *ds, vn_augment *aug)
{
    /* The pipeline rides on the per-sample hook, with its determinism. */
    return vn_dataset_set_sample_fn(ds, aug ? vn_augment_sample_hook : NULL, aug);
}

/* ---- samples ---------------------------------------------------------------- */

static vn_status check_index(const vn_dataset *ds, int64_t i, const char *fn)
{
    if (!ds)
        return vn__error(VN_ERR_INVALID_ARG, "%s: ds is NULL", fn);
    if (i < 0 || i >= ds->n)
        return vn__error(VN_ERR_INVALID_ARG, "%s: sample %lld is not in 0..%lld", fn, (long long)i,
                         (long long)ds->n - 1);
    return VN_OK;
}

VN_API vn_status vn_dataset_label(const vn_dataset *ds, int64_t i, int32_t *label)
{
    VN_TRY(check_index(ds, i, "vn_dataset_label"));
    if (!label)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_label: label is NULL");
    *label = vn__dataset_label(ds, i);
    return VN_OK;
}

vn_status vn__dataset_image(const vn_dataset *ds, int64_t i, const uint8_t **pixels,
                            vn_tensor **image)
{
    const vn__store *s = ds->store;
    const int64_t k = vn__dataset_index(ds, i);
    *pixels = NULL;
    *image = NULL;
    switch (s->kind) {
    case VN__STORE_U8:
        *pixels = (const uint8_t *)s->data + (size_t)k * s->sample_elems;
        return VN_OK;
    case VN__STORE_FILES: {
        vn_status st = vn_image_read(s->paths[k], NULL, image);
        if (st != VN_OK) {
            /* Decoder messages usually name the file already. */
            const char *msg = vn_last_error();
            if (strstr(msg, s->paths[k]) == NULL)
                vn__error_prefix(st, s->paths[k]);
            return st;
        }
        if ((*image)->dtype != VN_U8) {
            vn_tensor_destroy(*image);
            *image = NULL;
            return vn__error(VN_ERR_UNSUPPORTED, "%s: not an 8-bit image", s->paths[k]);
        }
        return VN_OK;
    }
    case VN__STORE_F32:
        break;
    }
    return vn__error(VN_ERR_INTERNAL, "dataset: sample %lld is not an image", (long long)i);
}

VN_API vn_status vn_dataset_get(const vn_dataset *ds, int64_t i, vn_tensor **image,
                                int32_t *label)
{
    VN_TRY(check_index(ds, i, "vn_dataset_get"));
    const vn__store *s = ds->store;
    const int64_t k = vn__dataset_index(ds, i);
    if (image) {
        vn_tensor *t = NULL;
        if (s->kind == VN__STORE_F32) {
            VN_TRY(vn__tensor_empty(VN_F32, s->sample_ndim, s->sample_shape, &t));
            memcpy(t->data, (const float *)s->data + (size_t)k * s->sample_elems,
                   s->sample_elems * sizeof(float));
        } else {
            const uint8_t *pixels;
            VN_TRY(vn__dataset_image(ds, i, &pixels, &t));
            if (!t) {
                VN_TRY(vn__tensor_new3(VN_U8, s->h, s->w, s->c, &t));
                memcpy(t->data, pixels, s->sample_elems);
            }
        }
        *image = t;
    }
    if (label)
        *label = vn__dataset_label(ds, i);
    return VN_OK;
}

bool vn__dataset_image_ext(const char *name)
{
    static const char *const exts[] = {"png", "jpg", "jpeg", "pgm", "ppm", "pbm", "pnm"};
    char ext[8];
    vn__path_extension(name, ext, sizeof ext);
    for (size_t i = 0; i < VN_ARRAY_LEN(exts); i++)
        if (!strcmp(ext, exts[i]))
            return true;
    return false;
}

VN_API vn_status vn_dataset_open(const char *path, vn_dataset **out)
{
    if (!path || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_open: NULL argument");
    char ext[8];
    vn__path_extension(path, ext, sizeof ext);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return vn_dataset_load_folder(path, out);
    if (!strcmp(ext, "csv"))
        return vn_dataset_load_csv(path, out);
    return vn_dataset_load_idx(path, NULL, out);
}
