/*
 * dataset_idx.c - IDX files, the format of MNIST and Fashion-MNIST
 * (http://yann.lecun.com/exdb/mnist/), gzip-compressed or not.
 *
 * An IDX file is a 4-byte magic number 00 00 TT DD (TT the element type:
 * 08 u8, 09 i8, 0B i16, 0C i32, 0D f32, 0E f64; DD the number of
 * dimensions), DD big-endian u32 dimensions, then the elements, big-endian,
 * row-major. Images are u8 [N, H, W] (or [N, H, W, C]); labels u8 [N] (i32
 * accepted too).
 *
 * Both files are read through zlib's gzread, which inflates a gzip file and
 * passes a plain one through unchanged, in chunks straight into the
 * dataset's buffer: nothing is held twice. Every size comes from the header
 * and is checked before anything is allocated: against overflow, against
 * VN_LIMIT_MAX_FILE_BYTES, and against the file's length. For a plain file
 * the length must be exactly header + elements. For a gzip file the
 * inflated length is only known at the end, so the claimed size is first
 * bounded by what deflate can expand the file to (1032:1), and the read
 * must then end exactly where the header says (a short, a corrupt or an
 * overlong stream is refused).
 */
#include "train/dataset_internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* deflate's largest expansion ratio (zlib's "technical details"). */
#define DEFLATE_MAX_RATIO 1032u
#define IDX_MAX_DIMS 4

typedef struct idx_file {
    int type;                  /* the TT byte */
    int ndim;
    uint32_t dims[IDX_MAX_DIMS];
    uint8_t *data;             /* the elements, vn__malloc'ed */
    size_t nbytes;
} idx_file;

static size_t type_size(int type)
{
    switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
    }
}

static const char *type_name(int type)
{
    switch (type) {
    case 0x08: return "u8";
    case 0x09: return "i8";
    case 0x0B: return "i16";
    case 0x0C: return "i32";
    case 0x0D: return "f32";
    case 0x0E: return "f64";
    default: return "unknown";
    }
}

/* Read exactly n bytes; false on a short read. */
static bool read_exact(gzFile f, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int r = gzread(f, p, chunk);
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* The reason a read came up short: zlib's error, or the end of the file. */
static vn_status short_read(gzFile f, const char *path, const char *what)
{
    int errnum = Z_OK;
    const char *msg = gzerror(f, &errnum);
    if (errnum == Z_ERRNO)
        return vn__error(VN_ERR_IO, "idx file '%s': %s", path, strerror(errno));
    if (errnum != Z_OK && msg && *msg)
        return vn__error(VN_ERR_FORMAT, "idx file '%s': damaged gzip data (%s) in the %s", path,
                         msg, what);
    return vn__error(VN_ERR_FORMAT, "idx file '%s': the file ends inside the %s", path, what);
}

/* Read and check one IDX file whose element type must be one of `types`
 * (0-terminated) and whose rank is in [min_ndim, max_ndim]. */
static vn_status idx_read(const char *path, const int *types, int min_ndim, int max_ndim,
                          idx_file *out)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0)
        return vn__error(VN_ERR_IO, "idx file '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return vn__error(VN_ERR_IO, "idx file '%s': is a directory", path);
    const uint64_t file_len = (uint64_t)st.st_size;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return vn__error(errno == ENOMEM ? VN_ERR_NOMEM : VN_ERR_IO, "idx file '%s': %s", path,
                         errno ? strerror(errno) : "cannot open");
    gzbuffer(f, 1u << 17);
    vn_status s = VN_OK;
    uint8_t magic[4];
    if (!read_exact(f, magic, 4)) {
        s = short_read(f, path, "4-byte magic number");
        goto fail;
    }
    if (magic[0] != 0 || magic[1] != 0 || type_size(magic[2]) == 0 || magic[3] < 1 ||
        magic[3] > IDX_MAX_DIMS) {
        s = vn__error(VN_ERR_FORMAT,
                      "idx file '%s': not an IDX file (magic number %02x %02x %02x %02x)", path,
                      magic[0], magic[1], magic[2], magic[3]);
        goto fail;
    }
    out->type = magic[2];
    out->ndim = magic[3];
    bool type_ok = false;
    for (const int *t = types; *t; t++)
        type_ok |= *t == out->type;
    if (!type_ok) {
        s = vn__error(VN_ERR_UNSUPPORTED, "idx file '%s': elements of type %s are not supported here",
                      path, type_name(out->type));
        goto fail;
    }
    if (out->ndim < min_ndim || out->ndim > max_ndim) {
        if (min_ndim == max_ndim)
            s = vn__error(VN_ERR_FORMAT, "idx file '%s': %d dimensions, expected %d", path,
                          out->ndim, min_ndim);
        else
            s = vn__error(VN_ERR_FORMAT, "idx file '%s': %d dimensions, expected %d to %d", path,
                          out->ndim, min_ndim, max_ndim);
        goto fail;
    }
    uint8_t dims[4 * IDX_MAX_DIMS];
    if (!read_exact(f, dims, 4 * (size_t)out->ndim)) {
        s = short_read(f, path, "dimensions");
        goto fail;
    }
    uint64_t count = 1;
    for (int d = 0; d < out->ndim; d++) {
        const uint8_t *b = dims + 4 * d;
        uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (v == 0) {
            s = vn__error(VN_ERR_FORMAT, "idx file '%s': dimension %d is 0", path, d);
            goto fail;
        }
        out->dims[d] = v;
        if (__builtin_mul_overflow(count, (uint64_t)v, &count)) {
            s = vn__error(VN_ERR_FORMAT, "idx file '%s': the dimensions overflow", path);
            goto fail;
        }
    }
    uint64_t nbytes, total;
    const uint64_t header = 4 + 4 * (uint64_t)out->ndim;
    if (__builtin_mul_overflow(count, (uint64_t)type_size(out->type), &nbytes) ||
        __builtin_add_overflow(nbytes, header, &total) || nbytes > SIZE_MAX - 1) {
        s = vn__error(VN_ERR_FORMAT, "idx file '%s': the dimensions overflow", path);
        goto fail;
    }
    const bool plain = gzdirect(f) == 1;
    if (plain && total != file_len) {
        s = vn__error(VN_ERR_FORMAT, "idx file '%s': the header says %llu bytes, the file has %llu",
                      path, (unsigned long long)total, (unsigned long long)file_len);
        goto fail;
    }
    if (!plain && total / DEFLATE_MAX_RATIO > file_len) {
        s = vn__error(VN_ERR_FORMAT,
                      "idx file '%s': the header says %llu bytes, more than a gzip file of %llu bytes can hold",
                      path, (unsigned long long)total, (unsigned long long)file_len);
        goto fail;
    }
    if (total > vn__limit(VN_LIMIT_MAX_FILE_BYTES)) {
        s = vn__error(VN_ERR_LIMIT, "idx file '%s': %llu bytes of data, over the limit of %llu (vn_set_limit)",
                      path, (unsigned long long)total,
                      (unsigned long long)vn__limit(VN_LIMIT_MAX_FILE_BYTES));
        goto fail;
    }
    out->nbytes = (size_t)nbytes;
    out->data = vn__malloc(out->nbytes ? out->nbytes : 1);
    if (!out->data) {
        s = vn__error(VN_ERR_NOMEM, "idx file '%s': out of memory for %zu bytes", path, out->nbytes);
        goto fail;
    }
    if (!read_exact(f, out->data, out->nbytes)) {
        s = short_read(f, path, "data");
        goto fail;
    }
    uint8_t extra;
    int r = gzread(f, &extra, 1);
    if (r != 0) {
        if (r > 0)
            s = vn__error(VN_ERR_FORMAT, "idx file '%s': data goes on past the %llu bytes the header says",
                          path, (unsigned long long)total);
        else
            s = short_read(f, path, "data");
        goto fail;
    }
    gzclose(f);
    return VN_OK;
fail:
    gzclose(f);
    vn__free(out->data);
    out->data = NULL;
    return s;
}

/* Replace the last occurrence of `from` in `name` by `to` (same length)
 * into buf; false when there is none. */
static bool replace_last(char *buf, const char *from, const char *to)
{
    size_t n = strlen(from);
    char *hit = NULL;
    for (char *p = strstr(buf, from); p; p = strstr(p + 1, from))
        hit = p;
    if (!hit)
        return false;
    memcpy(hit, to, n);
    return true;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* The labels file beside images_path: "images" -> "labels" and "idx3" ->
 * "idx1" in the file name, then with ".gz" added or removed. */
static vn_status find_labels(const char *images_path, char **out)
{
    size_t n = strlen(images_path);
    char *buf = vn__malloc(n + 4);
    if (!buf)
        return vn__error(VN_ERR_NOMEM, "idx: out of memory");
    memcpy(buf, images_path, n + 1);
    const char *slash = strrchr(buf, '/');
    char *base = slash ? (char *)slash + 1 : buf;
    bool renamed = replace_last(base, "images", "labels");
    renamed |= replace_last(base, "idx3", "idx1");
    if (!renamed) {
        vn__free(buf);
        return vn__error(VN_ERR_INVALID_ARG,
                         "idx file '%s': cannot tell its labels file from the name (no \"images\" or \"idx3\" in it)",
                         images_path);
    }
    if (!file_exists(buf)) {
        size_t len = strlen(buf);
        if (len > 3 && !strcmp(buf + len - 3, ".gz"))
            buf[len - 3] = '\0';
        else
            memcpy(buf + len, ".gz", 4);
        if (!file_exists(buf)) {
            vn__error(VN_ERR_IO, "idx file '%s': no labels file beside it (looked for '%s' with and without .gz)",
                      images_path, buf);
            vn__free(buf);
            return VN_ERR_IO;
        }
    }
    *out = buf;
    return VN_OK;
}

VN_API vn_status vn_dataset_load_idx(const char *images_path, const char *labels_path,
                                     vn_dataset **out)
{
    if (!images_path || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_load_idx: NULL argument");
    char *found = NULL;
    struct stat sb;
    if (stat(images_path, &sb) != 0)
        return vn__error(VN_ERR_IO, "idx file '%s': %s", images_path, strerror(errno));
    if (!labels_path) {
        VN_TRY(find_labels(images_path, &found));
        labels_path = found;
    }
    static const int image_types[] = {0x08, 0};
    static const int label_types[] = {0x08, 0x0C, 0};
    idx_file img, lab;
    vn_status s = idx_read(images_path, image_types, 3, 4, &img);
    if (s != VN_OK) {
        vn__free(found);
        return s;
    }
    s = idx_read(labels_path, label_types, 1, 1, &lab);
    if (s != VN_OK) {
        vn__free(img.data);
        vn__free(found);
        return s;
    }
    vn__store *st = NULL;
    const uint32_t n = img.dims[0];
    const uint32_t c = img.ndim == 4 ? img.dims[3] : 1;
    if (lab.dims[0] != n)
        s = vn__error(VN_ERR_FORMAT, "idx files '%s' and '%s': %u images but %u labels",
                      images_path, labels_path, n, lab.dims[0]);
    else if (c > 4)
        s = vn__error(VN_ERR_FORMAT, "idx file '%s': %u channels, not 1..4", images_path, c);
    else
        s = vn__check_pixels(images_path, img.dims[2], img.dims[1]);
    if (s == VN_OK)
        s = vn__store_new(VN__STORE_U8, n, "idx", &st);
    if (s == VN_OK) {
        st->h = img.dims[1];
        st->w = img.dims[2];
        st->c = c;
        st->sample_elems = (size_t)st->h * (size_t)st->w * (size_t)c;
        st->data = img.data;
        img.data = NULL;
        for (uint32_t i = 0; i < n; i++) {
            if (lab.type == 0x08) {
                st->labels[i] = lab.data[i];
            } else {
                const uint8_t *b = lab.data + 4 * (size_t)i;
                st->labels[i] = (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                                          (uint32_t)b[2] << 8 | b[3]);
            }
        }
        s = vn__store_set_classes(st, 0, NULL);
    }
    vn__free(img.data);
    vn__free(lab.data);
    vn__free(found);
    if (s != VN_OK) {
        vn__store_release(st);
        return s;
    }
    return vn__dataset_wrap_store(st, out);
}
