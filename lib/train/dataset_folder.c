/*
 * dataset_folder.c - an image-folder tree, root/<class>/<image>, numbered
 * and ordered exactly as torchvision.datasets.ImageFolder does:
 *
 *   - the classes are the sub-folders of root, sorted by name (Python's
 *     sorted(), i.e. byte-wise), numbered from 0;
 *   - a class's samples are found by os.walk(class_dir, followlinks=True):
 *     its folders visited in sorted order of their paths, each folder's
 *     files in sorted order of their names;
 *   - only files with an image extension count (png, jpg, jpeg, pgm, ppm,
 *     pbm, pnm in any case); a class folder without any is an error.
 *
 * Entries whose names start with '.' are skipped (torchvision's
 * find_classes skips them too). Only names are read here: the images are
 * decoded by the batcher's threads when a batch needs them, so opening a
 * tree of a million files costs a directory walk, not a decode.
 */
#include "train/dataset_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Folders deeper than this under a class folder are not searched (a guard
 * against symbolic-link loops). */
#define MAX_DEPTH 32

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

static void strvec_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++)
        vn__free(s->v[i]);
    vn__free(s->v);
    memset(s, 0, sizeof *s);
}

/* Append a new string "a/b" (b NULL: a copy of a); false when out of memory. */
static bool strvec_push(strvec *s, const char *a, const char *b)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char **v = vn__realloc(s->v, cap * sizeof(char *));
        if (!v)
            return false;
        s->v = v;
        s->cap = cap;
    }
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    char *p = vn__malloc(la + lb + 2);
    if (!p)
        return false;
    memcpy(p, a, la);
    if (b) {
        p[la] = '/';
        memcpy(p + la + 1, b, lb + 1);
    } else {
        p[la] = '\0';
    }
    s->v[s->n++] = p;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void strvec_sort(strvec *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(char *), cmp_str);
}

/* The entries of folder `dir` (not hidden): sub-folders (links followed)
 * into *dirs as names, image files into *files as names. */
static vn_status list_dir(const char *dir, strvec *dirs, strvec *files)
{
    DIR *d = opendir(dir);
    if (!d)
        return vn__error(VN_ERR_IO, "folder '%s': %s", dir, strerror(errno));
    vn_status s = VN_OK;
    struct dirent *e;
    size_t dlen = strlen(dir);
    char *path = NULL;
    size_t path_cap = 0;
    while (s == VN_OK && (errno = 0, e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t need = dlen + strlen(e->d_name) + 2;
        if (need > path_cap) {
            char *p = vn__realloc(path, need);
            if (!p) {
                s = vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", dir);
                break;
            }
            path = p;
            path_cap = need;
        }
        memcpy(path, dir, dlen);
        path[dlen] = '/';
        strcpy(path + dlen + 1, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue; /* a dangling link: not a sample */
        bool ok = true;
        if (S_ISDIR(st.st_mode) && dirs)
            ok = strvec_push(dirs, e->d_name, NULL);
        else if (S_ISREG(st.st_mode) && files && vn__dataset_image_ext(e->d_name))
            ok = strvec_push(files, e->d_name, NULL);
        if (!ok)
            s = vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", dir);
    }
    if (s == VN_OK && errno != 0)
        s = vn__error(VN_ERR_IO, "folder '%s': %s", dir, strerror(errno));
    vn__free(path);
    closedir(d);
    return s;
}

/* Every folder under (and including) `dir`, as paths, into *out. */
static vn_status walk_dirs(const char *dir, int depth, strvec *out)
{
    if (!strvec_push(out, dir, NULL))
        return vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", dir);
    if (depth >= MAX_DEPTH)
        return VN_OK;
    strvec sub = {0};
    vn_status s = list_dir(dir, &sub, NULL);
    for (size_t i = 0; s == VN_OK && i < sub.n; i++) {
        size_t n = strlen(dir) + strlen(sub.v[i]) + 2;
        char *p = vn__malloc(n);
        if (!p) {
            s = vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", dir);
            break;
        }
        snprintf(p, n, "%s/%s", dir, sub.v[i]);
        s = walk_dirs(p, depth + 1, out);
        vn__free(p);
    }
    strvec_free(&sub);
    return s;
}

/* Append the image files of one class folder, in ImageFolder's order, to
 * *paths. */
static vn_status class_files(const char *class_dir, strvec *paths)
{
    strvec dirs = {0};
    vn_status s = walk_dirs(class_dir, 0, &dirs);
    strvec_sort(&dirs);
    for (size_t i = 0; s == VN_OK && i < dirs.n; i++) {
        strvec files = {0};
        s = list_dir(dirs.v[i], NULL, &files);
        strvec_sort(&files);
        for (size_t j = 0; s == VN_OK && j < files.n; j++)
            if (!strvec_push(paths, dirs.v[i], files.v[j]))
                s = vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", class_dir);
        strvec_free(&files);
    }
    strvec_free(&dirs);
    return s;
}

VN_API vn_status vn_dataset_load_folder(const char *root, vn_dataset **out)
{
    if (!root || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_load_folder: NULL argument");
    /* "root/" and "root" name the same tree; keep paths free of "//". */
    size_t rlen = strlen(root);
    while (rlen > 1 && root[rlen - 1] == '/')
        rlen--;
    char *r = vn__malloc(rlen + 1);
    if (!r)
        return vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", root);
    memcpy(r, root, rlen);
    r[rlen] = '\0';

    strvec classes = {0}, paths = {0};
    size_t *first = NULL; /* first sample of each class, then the total */
    vn__store *st = NULL;
    vn_status s = list_dir(r, &classes, NULL);
    strvec_sort(&classes);
    if (s == VN_OK && classes.n == 0)
        s = vn__error(VN_ERR_FORMAT, "folder '%s': no class folders in it (expected root/<class>/<image>)",
                      r);
    if (s == VN_OK && classes.n > VN__MAX_CLASSES)
        s = vn__error(VN_ERR_FORMAT, "folder '%s': %zu class folders, over %d", r, classes.n,
                      VN__MAX_CLASSES);
    if (s == VN_OK && !(first = vn__calloc(classes.n + 1, sizeof(size_t))))
        s = vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", r);
    for (size_t c = 0; s == VN_OK && c < classes.n; c++) {
        first[c] = paths.n;
        size_t n = rlen + strlen(classes.v[c]) + 2;
        char *dir = vn__malloc(n);
        if (!dir) {
            s = vn__error(VN_ERR_NOMEM, "folder '%s': out of memory", r);
            break;
        }
        snprintf(dir, n, "%s/%s", r, classes.v[c]);
        s = class_files(dir, &paths);
        if (s == VN_OK && paths.n == first[c])
            s = vn__error(VN_ERR_FORMAT,
                          "folder '%s': class folder '%s' has no image files (png, jpg, jpeg, pgm, ppm)",
                          r, classes.v[c]);
        vn__free(dir);
    }
    if (s == VN_OK) {
        first[classes.n] = paths.n;
        s = vn__store_new(VN__STORE_FILES, (int64_t)paths.n, "folder", &st);
    }
    if (s == VN_OK) {
        for (size_t c = 0; c < classes.n; c++)
            for (size_t i = first[c]; i < first[c + 1]; i++)
                st->labels[i] = (int32_t)c;
        st->paths = paths.v; /* taken over */
        paths.v = NULL;
        paths.n = paths.cap = 0;
        s = vn__store_set_classes(st, (int)classes.n, classes.v); /* names taken over */
        classes.v = NULL;
        classes.n = classes.cap = 0;
    }
    vn__free(first);
    vn__free(r);
    strvec_free(&paths);
    strvec_free(&classes);
    if (s != VN_OK) {
        vn__store_release(st);
        return s;
    }
    return vn__dataset_wrap_store(st, out);
}
