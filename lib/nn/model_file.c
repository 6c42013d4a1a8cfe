/*
 * model_file.c - model files: vn_model_save, vn_model_load and
 * vn_model_load_mem.
 *
 * A model file is a safetensors file (docs/model-files.md has the format
 * key by key):
 *
 *     8 bytes   N, the header length, unsigned little-endian
 *     N bytes   the header: a JSON object, padded with spaces so that the
 *               data starts at a multiple of 8 (as the safetensors writer
 *               pads it)
 *     the data  the tensors' bytes, packed in header order, little-endian
 *
 * The header maps each tensor name to {"dtype": "F32", "shape": [...],
 * "data_offsets": [begin, end]} (offsets relative to the data start) and
 * "__metadata__" to string -> string pairs: "format" = "visionnet",
 * "format_version" = "1", "spec" (vn_model_to_spec), "crc32" (zlib's CRC-32
 * of the whole data section, 8 lower-case hex digits), "preprocess",
 * "classes" (a JSON array of strings, as a string), "model_step", and with
 * an optimizer "optimizer" (vn_optimizer_to_string) and "optimizer_step".
 *
 * Tensors are the model's parameters and buffers under their PyTorch
 * state-dict names, so PyTorch's safetensors users read them as they are,
 * then the optimizer's state as "optimizer.<parameter>.<state>"
 * ("optimizer.conv1.weight.momentum_buffer"; Adam's "step" a 0-d tensor).
 *
 * Saving builds the whole file in memory and writes it with
 * vn__write_file_atomic (a temporary file, fsync, rename): a crash, a kill
 * or an error at any point leaves the previous file intact.
 *
 * Loading trusts nothing: every length and offset is checked against the
 * buffer and against overflow before use, the offsets must tile the data
 * section exactly (no overlap, no gap), the CRC must match, the spec must
 * build, and the tensors must be exactly the spec's parameters with the
 * same shapes. Every refusal is VN_ERR_FORMAT with a sentence naming the
 * file and what is wrong (VN_ERR_UNSUPPORTED for a newer format version).
 * A foreign safetensors file (one without visionnet's metadata) is refused
 * as "not a visionnet model file" before its tensors are looked at.
 *
 * The optimizer is train's; this file uses only its public API
 * (visionnet/train.h), the one place where nn reaches up to train, so that
 * one file holds a resumable training state.
 */
#include "nn/model_file.h"
#include "nn/model_meta.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define FORMAT_NAME "visionnet"
#define FORMAT_VERSION 1
#define HEADER_ALIGN 8
/* root object > tensor object > shape array is 3 deep; no valid header needs more */
#define HEADER_MAX_DEPTH 4
#define CLASSES_MAX_DEPTH 2
#define OPT_PREFIX "optimizer."
#define OPT_PREFIX_LEN (sizeof OPT_PREFIX - 1)

/* ---- shared helpers -------------------------------------------------------- */

/* Copy n 4-byte values between host order and little-endian. */
static void copy_le32(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n * 4);
    if (!vn__host_little_endian())
        vn__swap32(dst, n);
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

/* A parameter's value tensor (the model is not changed; vn_model_param
 * takes a mutable model because it hands out writable tensors). */
static vn_tensor *param_value(const vn_model *m, int i)
{
    const vn__model_param *p = &m->params[i];
    return m->nodes[p->node].layer->params[p->index].value;
}

/* ---- saving ------------------------------------------------------------------ */

typedef struct out_tensor {
    char *name;             /* owned */
    const vn_tensor *t;
} out_tensor;

typedef struct save_list {
    out_tensor *items;
    int n, cap;
    size_t data_bytes;
} save_list;

static vn_status list_add(save_list *l, const char *name, const char *suffix, const vn_tensor *t)
{
    if (t->dtype != VN_F32)
        return vn__error(VN_ERR_INTERNAL, "vn_model_save: tensor '%s' is not f32", name);
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        out_tensor *ni = vn__realloc(l->items, (size_t)cap * sizeof *ni);
        if (!ni)
            return vn__error(VN_ERR_NOMEM, "vn_model_save: out of memory");
        l->items = ni;
        l->cap = cap;
    }
    size_t len = strlen(name) + (suffix ? strlen(suffix) + 1 : 0) + 1;
    char *full = vn__malloc(len);
    if (!full)
        return vn__error(VN_ERR_NOMEM, "vn_model_save: out of memory");
    snprintf(full, len, suffix ? "%s.%s" : "%s", name, suffix);
    if (!vn__add_size(l->data_bytes, vn_tensor_nbytes(t), &l->data_bytes)) {
        vn__free(full);
        return vn__error(VN_ERR_LIMIT, "vn_model_save: the tensors are too large for memory");
    }
    l->items[l->n].name = full;
    l->items[l->n].t = t;
    l->n++;
    return VN_OK;
}

static void list_free(save_list *l)
{
    for (int i = 0; i < l->n; i++)
        vn__free(l->items[i].name);
    vn__free(l->items);
}

/* The optimizer's state tensors, after checking that it is the model's. */
static vn_status add_optimizer_state(save_list *l, const vn_model *m, const vn_optimizer *opt)
{
    for (int i = 0; i < vn_optimizer_param_count(opt); i++) {
        const char *pn = vn_optimizer_param_name(opt, i);
        if (vn_model_param_find(m, pn) < 0)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_model_save: the optimizer updates '%s', which is not a parameter "
                             "of the model (give the optimizer made with vn_optimizer_add_model)",
                             pn);
    }
    int n = vn_optimizer_state_count(opt);
    for (int i = 0; i < n; i++) {
        const char *pn = NULL, *sn = NULL;
        vn_tensor *t = NULL;
        VN_TRY(vn_optimizer_state(opt, i, &pn, &sn, &t));
        size_t len = OPT_PREFIX_LEN + strlen(pn) + 1;
        char *prefix = vn__malloc(len);
        if (!prefix)
            return vn__error(VN_ERR_NOMEM, "vn_model_save: out of memory");
        snprintf(prefix, len, OPT_PREFIX "%s", pn);
        vn_status s = list_add(l, prefix, sn, t);
        vn__free(prefix);
        VN_TRY(s);
    }
    return VN_OK;
}

static void raw(vn__json_writer *w, const char *s)
{
    vn__json_raw(w, s, strlen(s));
}

static void meta_pair(vn__json_writer *w, const char *key, const char *value)
{
    raw(w, ",");
    vn__json_string(w, key);
    raw(w, ":");
    vn__json_string(w, value);
}

/* The "classes" value: a JSON array of the names, as text. */
static vn_status classes_text(const vn_model *m, char **out)
{
    vn__json_writer w = {0};
    raw(&w, "[");
    for (int i = 0; i < m->nclasses; i++) {
        if (i)
            raw(&w, ", ");
        vn__json_string(&w, m->class_names[i]);
    }
    vn__json_raw(&w, "]", 2); /* "]" and its NUL: the text is a C string */
    if (w.failed) {
        vn__json_writer_free(&w);
        return vn__error(VN_ERR_NOMEM, "vn_model_save: out of memory");
    }
    *out = w.p;
    return VN_OK;
}

/* The header JSON (unpadded) into w. */
static vn_status write_header(vn__json_writer *w, const vn_model *m, const vn_optimizer *opt,
                              const save_list *l, uint32_t crc, bool plain)
{
    char *spec = NULL, *pre = NULL, *classes = NULL, *optc = NULL;
    char num[32];
    vn_status s = plain ? VN_OK : vn_model_to_spec(m, &spec);
    if (s == VN_OK && !plain)
        s = vn__model_preprocess_text(m, &pre);
    if (s == VN_OK && !plain && m->nclasses > 0)
        s = classes_text(m, &classes);
    if (s == VN_OK && opt)
        s = vn_optimizer_to_string(opt, &optc);
    if (s == VN_OK && plain) {
        /* a plain weights file: what Python's safetensors writes for PyTorch */
        raw(w, "{\"__metadata__\":{\"format\":\"pt\"");
    } else if (s == VN_OK) {
        raw(w, "{\"__metadata__\":{");
        vn__json_string(w, "format");
        raw(w, ":");
        vn__json_string(w, FORMAT_NAME);
        snprintf(num, sizeof num, "%d", FORMAT_VERSION);
        meta_pair(w, "format_version", num);
        snprintf(num, sizeof num, "%08x", (unsigned)crc);
        meta_pair(w, "crc32", num);
        meta_pair(w, "spec", spec);
        meta_pair(w, "preprocess", pre);
        if (classes)
            meta_pair(w, "classes", classes);
        snprintf(num, sizeof num, "%llu", (unsigned long long)m->step);
        meta_pair(w, "model_step", num);
        if (opt) {
            meta_pair(w, "optimizer", optc);
            snprintf(num, sizeof num, "%lld", (long long)vn_optimizer_get_step_count(opt));
            meta_pair(w, "optimizer_step", num);
        }
    }
    if (s == VN_OK) {
        raw(w, "}");
        size_t offset = 0;
        for (int i = 0; i < l->n; i++) {
            const vn_tensor *t = l->items[i].t;
            raw(w, ",");
            vn__json_string(w, l->items[i].name);
            raw(w, ":{\"dtype\":\"F32\",\"shape\":[");
            for (int d = 0; d < t->ndim; d++) {
                if (d)
                    raw(w, ",");
                vn__json_uint(w, (uint64_t)t->shape[d]);
            }
            raw(w, "],\"data_offsets\":[");
            vn__json_uint(w, offset);
            raw(w, ",");
            offset += vn_tensor_nbytes(t);
            vn__json_uint(w, offset);
            raw(w, "]}");
        }
        raw(w, "}");
        /* Pad with spaces so the data starts 8-byte aligned (8 + N). */
        while (!w->failed && w->len % HEADER_ALIGN != 0)
            raw(w, " ");
        if (w->failed)
            s = vn__error(VN_ERR_NOMEM, "vn_model_save: out of memory");
    }
    vn__free(spec);
    vn__free(pre);
    vn__free(classes);
    vn__free(optc);
    return s;
}

/* The whole file in memory: *bytes (vn__malloc'ed) of *n bytes. */
static vn_status build_file(const vn_model *m, const vn_optimizer *opt, bool plain,
                            uint8_t **bytes, size_t *n)
{
    save_list l = {0};
    vn_status s = VN_OK;
    for (int i = 0; i < m->nparams && s == VN_OK; i++)
        s = list_add(&l, m->params[i].name, NULL, param_value(m, i));
    if (s == VN_OK && opt)
        s = add_optimizer_state(&l, m, opt);
    for (int i = 0; i < l.n && s == VN_OK; i++)
        for (int k = 0; k < i && s == VN_OK; k++)
            if (strcmp(l.items[i].name, l.items[k].name) == 0)
                s = vn__error(VN_ERR_INVALID_ARG, "vn_model_save: two tensors are called '%s'",
                              l.items[i].name);
    uint8_t *data = NULL;
    if (s == VN_OK && !(data = vn__malloc(l.data_bytes)))
        s = vn__error(VN_ERR_NOMEM, "vn_model_save: out of memory for %zu bytes", l.data_bytes);
    size_t off = 0;
    for (int i = 0; i < l.n && s == VN_OK; i++) {
        copy_le32(data + off, l.items[i].t->data, l.items[i].t->numel);
        off += vn_tensor_nbytes(l.items[i].t);
    }
    vn__json_writer w = {0};
    if (s == VN_OK)
        s = write_header(&w, m, opt, &l, crc32_of(data, l.data_bytes), plain);
    size_t total = 0;
    uint8_t *file = NULL;
    if (s == VN_OK && (!vn__add_size(8 + w.len, l.data_bytes, &total) || !(file = vn__malloc(total))))
        s = vn__error(VN_ERR_NOMEM, "vn_model_save: out of memory for %zu bytes", total);
    if (s == VN_OK) {
        uint64_t hl = w.len;
        for (int b = 0; b < 8; b++)
            file[b] = (uint8_t)(hl >> (8 * b));
        memcpy(file + 8, w.p, w.len);
        if (l.data_bytes)
            memcpy(file + 8 + w.len, data, l.data_bytes);
        *bytes = file;
        *n = total;
    }
    vn__json_writer_free(&w);
    vn__free(data);
    list_free(&l);
    return s;
}

vn_status vn__model_save_mem(const vn_model *m, const vn_optimizer *opt, uint8_t **bytes,
                             size_t *n)
{
    if (!m || !bytes || !n)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_save: NULL argument");
    if (m->nclasses > 0 && m->nclasses != vn__model_output_count(m))
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_save: the model has %d class names but %lld outputs (set them "
                         "again with vn_model_set_class_names)",
                         m->nclasses, (long long)vn__model_output_count(m));
    return build_file(m, opt, false, bytes, n);
}

vn_status vn__safetensors_save_mem(const vn_model *m, uint8_t **bytes, size_t *n)
{
    if (!m || !bytes || !n)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_save_weights: NULL argument");
    return build_file(m, NULL, true, bytes, n);
}

VN_API vn_status vn_model_save(const vn_model *m, const vn_optimizer *opt, const char *path)
{
    if (!m || !path)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_save: NULL argument");
    uint8_t *bytes = NULL;
    size_t n = 0;
    VN_TRY(vn__model_save_mem(m, opt, &bytes, &n));
    vn_status s = vn__write_file_atomic(path, bytes, n);
    vn__free(bytes);
    return s;
}

/* ---- loading ------------------------------------------------------------------ */

typedef struct in_tensor {
    const char *name;       /* borrowed from the JSON tree */
    int ndim;
    int64_t shape[VN_MAX_DIMS];
    size_t numel;
    uint64_t begin, end;    /* within the data section */
    bool used;              /* matched a model parameter */
} in_tensor;

typedef struct loader {
    char where[160];        /* "model file 'x.vnm'" */
    const uint8_t *data;    /* the data section */
    size_t data_len;
    vn__json *root;
    const vn__json *meta;
    in_tensor *tensors;
    int ntensors;
    in_tensor **by_name;    /* tensors sorted by name */
    vn_model *model;
    vn_optimizer *opt;
} loader;

/* Any failure of a step that reads the file is a format error (out of
 * memory and limits stay what they are). */
static vn_status as_format(vn_status s)
{
    if (s == VN_OK || s == VN_ERR_NOMEM || s == VN_ERR_LIMIT || s == VN_ERR_UNSUPPORTED)
        return s;
    return VN_ERR_FORMAT;
}

static vn_status with_context(const loader *L, vn_status s, const char *what)
{
    char prefix[sizeof L->where + 160];
    snprintf(prefix, sizeof prefix, "%s: %.150s", L->where, what);
    return as_format(vn__error_prefix(s, prefix));
}

static const char *shape_text(const int64_t *shape, int ndim, char *buf, size_t n)
{
    vn__shape s = {.ndim = ndim};
    for (int d = 0; d < ndim; d++)
        s.d[d] = shape[d];
    return vn__shape_fmt(&s, buf, n);
}

/* The metadata value of key (a string), NULL when absent. */
static const char *meta_get(const loader *L, const char *key)
{
    const vn__json *v = vn__json_get(L->meta, key);
    return v ? v->str : NULL;
}

/* 8-byte length, header bounds, JSON. */
static vn_status read_header(loader *L, const uint8_t *bytes, size_t n)
{
    if (n < 8)
        return vn__error(VN_ERR_FORMAT,
                         "%s: truncated: %zu byte%s, shorter than the 8-byte header length of a "
                         "safetensors file",
                         L->where, n, n == 1 ? "" : "s");
    uint64_t hl = 0;
    for (int b = 0; b < 8; b++)
        hl |= (uint64_t)bytes[b] << (8 * b);
    if (hl > n - 8)
        return vn__error(VN_ERR_FORMAT, "%s: header length %llu is past the end of the file (%zu bytes)",
                         L->where, (unsigned long long)hl, n);
    if (hl < 2 || bytes[8] != '{')
        return vn__error(VN_ERR_FORMAT,
                         "%s: not a safetensors file: the header does not start with '{'",
                         L->where);
    vn_status s = vn__json_parse((const char *)bytes + 8, (size_t)hl, HEADER_MAX_DEPTH, &L->root);
    if (s != VN_OK)
        return with_context(L, s, "the header is not valid JSON");
    if (L->root->type != VN__JSON_OBJECT)
        return vn__error(VN_ERR_FORMAT, "%s: the header is a JSON %s, expected an object", L->where,
                         vn__json_type_name(L->root->type));
    L->data = bytes + 8 + hl;
    L->data_len = n - 8 - (size_t)hl;
    return VN_OK;
}

/* __metadata__ is visionnet's, of a version this library reads. */
/* __metadata__, when there is one, maps strings to strings. */
static vn_status check_metadata_object(loader *L)
{
    L->meta = vn__json_get(L->root, "__metadata__");
    if (!L->meta)
        return VN_OK;
    if (L->meta->type != VN__JSON_OBJECT)
        return vn__error(VN_ERR_FORMAT, "%s: __metadata__ is a JSON %s, expected an object",
                         L->where, vn__json_type_name(L->meta->type));
    for (const vn__json *c = L->meta->child; c; c = c->next)
        if (c->type != VN__JSON_STRING)
            return vn__error(VN_ERR_FORMAT,
                             "%s: __metadata__ value of '%.80s' is a %s; safetensors metadata "
                             "maps strings to strings",
                             L->where, c->key, vn__json_type_name(c->type));
    return VN_OK;
}

/* __metadata__ is visionnet's, of a version this library reads. */
static vn_status check_metadata(loader *L)
{
    VN_TRY(check_metadata_object(L));
    if (!L->meta)
        return vn__error(VN_ERR_FORMAT,
                         "%s: not a visionnet model file: no __metadata__ (a plain safetensors file?)",
                         L->where);
    const char *format = meta_get(L, "format");
    if (format && strcmp(format, FORMAT_NAME) != 0)
        return vn__error(VN_ERR_FORMAT,
                         "%s: not a visionnet model file: __metadata__ format is '%.40s', expected '"
                         FORMAT_NAME "'",
                         L->where, format);
    if (!meta_get(L, "spec"))
        return vn__error(VN_ERR_FORMAT, "%s: not a visionnet model file: no spec in __metadata__",
                         L->where);
    if (!format)
        return vn__error(VN_ERR_FORMAT, "%s: not a visionnet model file: no format in __metadata__",
                         L->where);
    const char *ver = meta_get(L, "format_version");
    if (!ver)
        return vn__error(VN_ERR_FORMAT, "%s: no format_version in __metadata__", L->where);
    uint64_t v = 0;
    bool ok = ver[0] != '\0' && strlen(ver) <= 9;
    for (const char *c = ver; ok && *c; c++) {
        ok = *c >= '0' && *c <= '9';
        v = v * 10 + (uint64_t)(*c - '0');
    }
    if (!ok || v == 0)
        return vn__error(VN_ERR_FORMAT, "%s: format_version '%.20s' is not a version number",
                         L->where, ver);
    if (v > FORMAT_VERSION)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "%s: format version %llu is newer than this library reads (%d): update "
                         "libvisionnet",
                         L->where, (unsigned long long)v, FORMAT_VERSION);
    return VN_OK;
}

/* One tensor's header entry into t. */
static vn_status read_tensor_entry(const loader *L, const vn__json *e, in_tensor *t)
{
    t->name = e->key;
    if (e->type != VN__JSON_OBJECT)
        return vn__error(VN_ERR_FORMAT, "%s: tensor '%.80s' is a JSON %s, expected an object",
                         L->where, e->key, vn__json_type_name(e->type));
    const vn__json *dtype = vn__json_get(e, "dtype"), *shape = vn__json_get(e, "shape"),
                   *offs = vn__json_get(e, "data_offsets");
    if (!dtype || !shape || !offs || e->count != 3)
        return vn__error(VN_ERR_FORMAT,
                         "%s: tensor '%.80s' must have exactly the keys dtype, shape and data_offsets",
                         L->where, e->key);
    if (dtype->type != VN__JSON_STRING)
        return vn__error(VN_ERR_FORMAT, "%s: tensor '%.80s': dtype is not a string", L->where,
                         e->key);
    if (strcmp(dtype->str, "F32") != 0)
        return vn__error(VN_ERR_FORMAT,
                         "%s: tensor '%.80s': dtype '%.20s' is not supported (libvisionnet reads "
                         "F32 tensors only)",
                         L->where, e->key, dtype->str);
    if (shape->type != VN__JSON_ARRAY || shape->count > VN_MAX_DIMS)
        return vn__error(VN_ERR_FORMAT,
                         "%s: tensor '%.80s': shape must be an array of at most %d integers",
                         L->where, e->key, VN_MAX_DIMS);
    size_t numel = 1;
    t->ndim = 0;
    for (const vn__json *d = shape->child; d; d = d->next) {
        if (d->type != VN__JSON_NUMBER || !d->is_uint || d->uint > (uint64_t)INT64_MAX)
            return vn__error(VN_ERR_FORMAT,
                             "%s: tensor '%.80s': shape must be an array of integers >= 0",
                             L->where, e->key);
        if (d->uint > SIZE_MAX || !vn__mul_size(numel, (size_t)d->uint, &numel))
            return vn__error(VN_ERR_FORMAT, "%s: tensor '%.80s': the shape's element count overflows",
                             L->where, e->key);
        t->shape[t->ndim++] = (int64_t)d->uint;
    }
    size_t nbytes;
    if (!vn__mul_size(numel, 4, &nbytes))
        return vn__error(VN_ERR_FORMAT, "%s: tensor '%.80s': the shape's byte count overflows",
                         L->where, e->key);
    t->numel = numel;
    if (offs->type != VN__JSON_ARRAY || offs->count != 2 || offs->child->type != VN__JSON_NUMBER ||
        !offs->child->is_uint || offs->child->next->type != VN__JSON_NUMBER ||
        !offs->child->next->is_uint)
        return vn__error(VN_ERR_FORMAT,
                         "%s: tensor '%.80s': data_offsets must be two integers [begin, end]",
                         L->where, e->key);
    t->begin = offs->child->uint;
    t->end = offs->child->next->uint;
    if (t->begin > t->end || t->end > L->data_len)
        return vn__error(VN_ERR_FORMAT,
                         "%s: tensor '%.80s': data_offsets [%llu, %llu] are out of range (the data "
                         "section has %zu bytes%s)",
                         L->where, e->key, (unsigned long long)t->begin,
                         (unsigned long long)t->end, L->data_len,
                         t->begin <= t->end ? ": a truncated file?" : "");
    if (t->end - t->begin != nbytes) {
        char sb[160];
        return vn__error(VN_ERR_FORMAT,
                         "%s: tensor '%.80s': shape %s needs %zu bytes but data_offsets [%llu, %llu] "
                         "hold %llu",
                         L->where, e->key, shape_text(t->shape, t->ndim, sb, sizeof sb), nbytes,
                         (unsigned long long)t->begin, (unsigned long long)t->end,
                         (unsigned long long)(t->end - t->begin));
    }
    return VN_OK;
}

static int cmp_offsets(const void *a, const void *b)
{
    const in_tensor *x = *(const in_tensor *const *)a, *y = *(const in_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((*(const in_tensor *const *)a)->name, (*(const in_tensor *const *)b)->name);
}

/* Every tensor entry, then the offsets tile [0, data_len) exactly. */
static vn_status read_tensors(loader *L)
{
    /* all but __metadata__ (optional in a plain safetensors file) */
    size_t count = L->root->count - (vn__json_get(L->root, "__metadata__") ? 1 : 0);
    if (count > (size_t)INT32_MAX)
        return vn__error(VN_ERR_FORMAT, "%s: too many tensors", L->where);
    L->tensors = vn__calloc(count ? count : 1, sizeof *L->tensors);
    L->by_name = vn__calloc(count ? count : 1, sizeof *L->by_name);
    if (!L->tensors || !L->by_name)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", L->where);
    for (const vn__json *e = L->root->child; e; e = e->next) {
        if (strcmp(e->key, "__metadata__") == 0)
            continue;
        in_tensor *t = &L->tensors[L->ntensors];
        VN_TRY(read_tensor_entry(L, e, t));
        L->by_name[L->ntensors++] = t;
    }
    /* Tiling: sorted by offset, each tensor starts where the previous ended. */
    qsort(L->by_name, (size_t)L->ntensors, sizeof *L->by_name, cmp_offsets);
    uint64_t at = 0;
    for (int i = 0; i < L->ntensors; i++) {
        const in_tensor *t = L->by_name[i];
        if (t->begin < at)
            return vn__error(VN_ERR_FORMAT, "%s: tensors '%.80s' and '%.80s' overlap in the data",
                             L->where, L->by_name[i - 1]->name, t->name);
        if (t->begin > at)
            return vn__error(VN_ERR_FORMAT,
                             "%s: data bytes [%llu, %llu) belong to no tensor (data_offsets leave "
                             "a gap)",
                             L->where, (unsigned long long)at, (unsigned long long)t->begin);
        at = t->end;
    }
    if (at != L->data_len)
        return vn__error(VN_ERR_FORMAT,
                         "%s: the data section has %zu bytes but the tensors cover %llu (wrong "
                         "data_offsets, or a truncated or padded file)",
                         L->where, L->data_len, (unsigned long long)at);
    qsort(L->by_name, (size_t)L->ntensors, sizeof *L->by_name, cmp_names);
    return VN_OK;
}

static vn_status check_crc(const loader *L)
{
    const char *text = meta_get(L, "crc32");
    if (!text)
        return vn__error(VN_ERR_FORMAT, "%s: no crc32 in __metadata__", L->where);
    uint32_t want = 0;
    bool ok = strlen(text) == 8;
    for (int i = 0; ok && i < 8; i++) {
        char c = text[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        ok = d >= 0;
        want = want << 4 | (uint32_t)(d & 15);
    }
    if (!ok)
        return vn__error(VN_ERR_FORMAT, "%s: crc32 '%.20s' in __metadata__ is not 8 hex digits",
                         L->where, text);
    uint32_t got = crc32_of(L->data, L->data_len);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* let mutated inputs reach the checks after this one */
    got = want;
#endif
    if (got != want)
        return vn__error(VN_ERR_FORMAT,
                         "%s: CRC-32 mismatch: the tensor data gives %08x but __metadata__ says "
                         "%08x (the file is damaged)",
                         L->where, (unsigned)got, (unsigned)want);
    return VN_OK;
}

static in_tensor *find_tensor(const loader *L, const char *name)
{
    in_tensor key = {.name = name}, *kp = &key;
    in_tensor **hit = bsearch(&kp, L->by_name, (size_t)L->ntensors, sizeof *L->by_name, cmp_names);
    return hit ? *hit : NULL;
}

static bool shape_equals(const in_tensor *t, const vn_tensor *v)
{
    if (t->ndim != v->ndim)
        return false;
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] != v->shape[d])
            return false;
    return true;
}

/* Build the spec's model and fill its parameters from the tensors. */
static vn_status load_parameters(loader *L)
{
    /* Every parameter must come from the file, so a spec describing far more
     * parameter bytes than the data section holds is refused while it is
     * built, not after its network has been allocated and initialised. The
     * 16 MiB of slack leaves small mismatches to the precise per-tensor
     * messages below. */
    vn__param_budget_set((uint64_t)L->data_len + (16u << 20));
    vn_status s = vn_model_from_spec(meta_get(L, "spec"), &L->model);
    vn__param_budget_clear();
    if (s != VN_OK)
        return with_context(L, s, "spec in __metadata__");
    vn_model *m = L->model;
    for (int i = 0; i < m->nparams; i++) {
        const char *name = m->params[i].name;
        vn_tensor *v = param_value(m, i);
        in_tensor *t = find_tensor(L, name);
        char a[160], b[160];
        if (!t)
            return vn__error(VN_ERR_FORMAT,
                             "%s: the file has no tensor '%s', a parameter of the spec's model",
                             L->where, name);
        if (!shape_equals(t, v))
            return vn__error(VN_ERR_FORMAT,
                             "%s: tensor '%s' is %s in the file but %s in the spec's model",
                             L->where, name, shape_text(t->shape, t->ndim, a, sizeof a),
                             vn__shape_str(v, b, sizeof b));
        copy_le32(v->data, L->data + t->begin, t->numel);
        t->used = true;
    }
    bool has_opt = meta_get(L, "optimizer") != NULL;
    for (int i = 0; i < L->ntensors; i++) {
        const in_tensor *t = &L->tensors[i];
        if (t->used)
            continue;
        if (strncmp(t->name, OPT_PREFIX, OPT_PREFIX_LEN) != 0)
            return vn__error(VN_ERR_FORMAT,
                             "%s: tensor '%.80s' is not a parameter of the spec's model", L->where,
                             t->name);
        if (!has_opt)
            return vn__error(VN_ERR_FORMAT,
                             "%s: tensor '%.80s' is optimizer state but __metadata__ names no "
                             "optimizer",
                             L->where, t->name);
    }
    return VN_OK;
}

/* A decimal count from the metadata (absent: 0). */
static vn_status meta_count(const loader *L, const char *key, uint64_t max, uint64_t *out)
{
    const char *text = meta_get(L, key);
    *out = 0;
    if (!text)
        return VN_OK;
    bool ok = text[0] != '\0' && strlen(text) <= 19;
    uint64_t v = 0;
    for (const char *c = text; ok && *c; c++) {
        ok = *c >= '0' && *c <= '9';
        v = v * 10 + (uint64_t)(*c - '0');
    }
    if (!ok || v > max)
        return vn__error(VN_ERR_FORMAT, "%s: %s '%.24s' in __metadata__ is not a count", L->where,
                         key, text);
    *out = v;
    return VN_OK;
}

static vn_status load_metadata(loader *L)
{
    vn_model *m = L->model;
    const char *pre = meta_get(L, "preprocess");
    if (pre) {
        vn_status s = vn__model_preprocess_parse(m, pre);
        if (s != VN_OK)
            return with_context(L, s, "__metadata__");
    }
    const char *classes = meta_get(L, "classes");
    if (classes) {
        vn__json *arr = NULL;
        vn_status s = vn__json_parse(classes, strlen(classes), CLASSES_MAX_DEPTH, &arr);
        if (s != VN_OK)
            return with_context(L, s, "classes in __metadata__ are not a JSON array");
        const char **names = NULL;
        if (arr->type != VN__JSON_ARRAY || arr->count > INT32_MAX)
            s = vn__error(VN_ERR_FORMAT, "%s: classes in __metadata__ are not a JSON array of strings",
                          L->where);
        else if (!(names = vn__calloc(arr->count ? arr->count : 1, sizeof *names)))
            s = vn__error(VN_ERR_NOMEM, "%s: out of memory", L->where);
        int n = 0;
        for (const vn__json *c = s == VN_OK ? arr->child : NULL; c && s == VN_OK; c = c->next) {
            if (c->type != VN__JSON_STRING)
                s = vn__error(VN_ERR_FORMAT,
                              "%s: classes in __metadata__ are not a JSON array of strings",
                              L->where);
            names[n++] = c->str;
        }
        if (s == VN_OK && n > 0)
            s = with_context(L, vn_model_set_class_names(m, n, names), "classes in __metadata__");
        vn__free(names);
        vn__json_free(arr);
        VN_TRY(s);
    }
    uint64_t step;
    VN_TRY(meta_count(L, "model_step", UINT64_MAX / 2, &step));
    m->step = step;
    return VN_OK;
}

/* The optimizer from "optimizer", "optimizer_step" and the optimizer.*
 * tensors, bound to the loaded model. */
static vn_status load_optimizer(loader *L)
{
    const char *config = meta_get(L, "optimizer");
    if (!config)
        return VN_OK;
    vn_status s = vn_optimizer_create(config, &L->opt);
    if (s == VN_OK)
        s = vn_optimizer_add_model(L->opt, L->model);
    if (s != VN_OK)
        return with_context(L, s, "optimizer in __metadata__");
    uint64_t steps;
    VN_TRY(meta_count(L, "optimizer_step", (uint64_t)INT64_MAX, &steps));
    VN_TRY(vn_optimizer_set_step_count(L->opt, (int64_t)steps));
    for (int i = 0; i < L->ntensors; i++) {
        const in_tensor *t = &L->tensors[i];
        if (t->used)
            continue;
        /* "optimizer.<param>.<state>": state names hold no '.' */
        const char *rest = t->name + OPT_PREFIX_LEN, *dot = strrchr(rest, '.');
        if (!dot || dot == rest || !dot[1])
            return vn__error(VN_ERR_FORMAT,
                             "%s: tensor '%.80s': expected optimizer.<parameter>.<state>",
                             L->where, t->name);
        char *pname = vn__malloc((size_t)(dot - rest) + 1);
        vn_tensor *v = NULL;
        s = pname ? vn_tensor_create(VN_F32, t->ndim, t->shape, &v)
                  : vn__error(VN_ERR_NOMEM, "%s: out of memory", L->where);
        if (s == VN_OK) {
            memcpy(pname, rest, (size_t)(dot - rest));
            pname[dot - rest] = '\0';
            copy_le32(v->data, L->data + t->begin, t->numel);
            s = vn_optimizer_set_state(L->opt, pname, dot + 1, v);
        }
        vn_tensor_destroy(v);
        vn__free(pname);
        if (s != VN_OK) {
            char what[128];
            snprintf(what, sizeof what, "tensor '%.80s'", t->name);
            return with_context(L, s, what);
        }
    }
    return VN_OK;
}

VN_API vn_status vn_model_load_mem(const void *data, size_t n, const char *name, vn_model **model,
                                   vn_optimizer **opt)
{
    if (model)
        *model = NULL;
    if (opt)
        *opt = NULL;
    if (!model || (!data && n))
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_load_mem: NULL argument");
    loader L = {0};
    snprintf(L.where, sizeof L.where, "model file '%.120s'", name ? name : "(memory)");
    vn_status s = read_header(&L, data, n);
    if (s == VN_OK)
        s = check_metadata(&L);
    if (s == VN_OK)
        s = read_tensors(&L);
    if (s == VN_OK)
        s = check_crc(&L);
    if (s == VN_OK)
        s = load_parameters(&L);
    if (s == VN_OK)
        s = load_metadata(&L);
    if (s == VN_OK && opt)
        s = load_optimizer(&L);
    vn__json_free(L.root);
    vn__free(L.tensors);
    vn__free(L.by_name);
    if (s != VN_OK) {
        vn_optimizer_destroy(L.opt);
        vn_model_destroy(L.model);
        return s;
    }
    *model = L.model;
    if (opt)
        *opt = L.opt;
    return VN_OK;
}

VN_API vn_status vn_model_load(const char *path, vn_model **model, vn_optimizer **opt)
{
    if (model)
        *model = NULL;
    if (opt)
        *opt = NULL;
    if (!path || !model)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_load: NULL argument");
    uint8_t *bytes = NULL;
    size_t n = 0;
    VN_TRY(vn__read_file(path, &bytes, &n));
    vn_status s = vn_model_load_mem(bytes, n, path, model, opt);
    vn__free(bytes);
    return s;
}

/* ---- plain safetensors, for the transfer layer ------------------------------- */

vn_status vn__safetensors_visit(const void *data, size_t n, const char *where,
                                vn__safetensors_fn fn, void *user)
{
    if (!fn || (!data && n))
        return vn__error(VN_ERR_INVALID_ARG, "vn__safetensors_visit: NULL argument");
    loader L = {0};
    snprintf(L.where, sizeof L.where, "%.150s", where ? where : "safetensors (memory)");
    vn_status s = read_header(&L, data, n);
    if (s == VN_OK)
        s = check_metadata_object(&L);
    if (s == VN_OK)
        s = read_tensors(&L);
    for (int i = 0; i < L.ntensors && s == VN_OK; i++) {
        const in_tensor *t = &L.tensors[i];
        s = fn(user, t->name, t->ndim, t->shape, L.data + t->begin);
    }
    vn__json_free(L.root);
    vn__free(L.tensors);
    vn__free(L.by_name);
    return s;
}

void vn__safetensors_read_f32(float *dst, const void *src, size_t n)
{
    copy_le32(dst, src, n);
}
