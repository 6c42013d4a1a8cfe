/*
 * dataset_internal.h - the layout of vn_dataset, shared by the dataset core
 * (dataset.c), the files that fill it from a source (dataset_tensor.c,
 * dataset_idx.c, dataset_folder.c, dataset_csv.c) and the batcher.
 *
 * A dataset is a view on a store. The store holds the samples and is
 * reference-counted: vn_dataset_split() / vn_dataset_subset() make new views
 * on the same store without copying a pixel. A view is a list of store
 * indices (or all of them, in order) plus its own class names and sample
 * hook.
 *
 * Samples are kept in one of three forms:
 *   VN__STORE_U8    images of one size, u8 [n, h, w, c] in one block (IDX,
 *                   u8 tensors): 1 byte per pixel;
 *   VN__STORE_F32   f32 samples of one shape [n, ...] (feature vectors,
 *                   prepared tensors), fed to the model as they are;
 *   VN__STORE_FILES one image file per sample (folder trees, CSV lists),
 *                   decoded when a batch needs it, on the batcher's threads.
 * Labels are always in memory (i32, 0 <= label < num_classes).
 */
#ifndef VN_TRAIN_DATASET_INTERNAL_H
#define VN_TRAIN_DATASET_INTERNAL_H

#include "train/train_internal.h"
#include <visionnet/experimental.h>

#include <stdatomic.h>

/* Most classes a dataset may have (labels are below this). */
#define VN__MAX_CLASSES 65536

typedef enum vn__store_kind {
    VN__STORE_U8 = 1,
    VN__STORE_F32 = 2,
    VN__STORE_FILES = 3
} vn__store_kind;

typedef struct vn__store {
    atomic_int refs;
    vn__store_kind kind;
    int64_t n;                 /* samples */
    int32_t *labels;           /* [n] */
    int num_classes;
    char **class_names;        /* [num_classes] or NULL (unnamed classes) */
    /* VN__STORE_U8: n images [h, w, c]; VN__STORE_F32: n samples of
     * sample_shape (sample_ndim dims). */
    int64_t h, w, c;
    int sample_ndim;
    int64_t sample_shape[VN_MAX_DIMS];
    size_t sample_elems;       /* elements per sample */
    void *data;                /* n * sample_elems elements, vn__malloc'ed */
    /* VN__STORE_FILES: one path per sample, vn__malloc'ed strings. */
    char **paths;
    const char *what;          /* "idx", "folder", "csv", "tensors": for messages */
} vn__store;

struct vn_dataset {
    vn__store *store;
    int64_t n;                 /* samples in this view */
    int64_t *index;            /* [n] store indices, NULL = 0..n-1 */
    int num_classes;           /* >= store->num_classes */
    char **class_names;        /* [num_classes] owned copies, or NULL */
    int32_t *label_map;        /* [store->num_classes] store label -> this view's
                                  label (vn_dataset_match_classes), or NULL */
    vn_sample_fn sample_fn;    /* augmentation hook (experimental.h), or NULL */
    void *sample_user;
};

/* A new, empty store of `kind` holding n samples: labels allocated (zeroed),
 * refs 1. */
vn_status vn__store_new(vn__store_kind kind, int64_t n, const char *what, vn__store **out);
/* Drop one reference; the last frees everything. NULL is a no-op. */
void vn__store_release(vn__store *s);
/* Take the classes of a finished store (labels filled): when names is NULL
 * num_classes is max(label) + 1 unless given (> 0); otherwise the names
 * (taken over, vn__malloc'ed) number the classes. Checks every label. */
vn_status vn__store_set_classes(vn__store *s, int num_classes, char **names);
/* A dataset viewing all of a store, in order; takes over the caller's
 * reference (released on failure too). */
vn_status vn__dataset_wrap_store(vn__store *s, vn_dataset **out);

/* The store index of view sample i (0 <= i < ds->n). */
static inline int64_t vn__dataset_index(const vn_dataset *ds, int64_t i)
{
    return ds->index ? ds->index[i] : i;
}

/* The label of view sample i. */
static inline int32_t vn__dataset_label(const vn_dataset *ds, int64_t i)
{
    int32_t y = ds->store->labels[vn__dataset_index(ds, i)];
    return ds->label_map ? ds->label_map[y] : y;
}

/* Where the pixels of view sample i come from, without copying: for u8
 * stores *pixels points into the store and *image stays NULL; for file
 * stores the file is decoded into a new *image (u8 [H, W, C], owned by the
 * caller). f32 stores are not images: VN_ERR_INTERNAL. */
vn_status vn__dataset_image(const vn_dataset *ds, int64_t i, const uint8_t **pixels,
                            vn_tensor **image);

/* Is this folder entry name an image file a folder tree or CSV would take
 * (png, jpg, jpeg, pgm, ppm, pbm, pnm; any case)? */
bool vn__dataset_image_ext(const char *name);

#endif
