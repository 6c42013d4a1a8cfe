/*
 * dataset_csv.c - a CSV list of samples, one `path,label` per line.
 *
 * The grammar (RFC 4180 with the usual leniencies):
 *   - a line is two fields separated by a comma; a field may be quoted
 *     with double quotes, "" inside quotes standing for one quote (so paths
 *     may hold commas); spaces and tabs around a field are dropped;
 *   - line ends are LF or CRLF; blank lines are skipped;
 *   - the first line is a header, and skipped, when its first field is
 *     "path", "file", "filename" or "image" (any case);
 *   - a relative path is relative to the folder holding the CSV file;
 *   - labels: when every label of the file is a whole number >= 0 they are
 *     the class indices (classes unnamed, K = max + 1); otherwise every
 *     label is a class name, and the distinct names sorted byte-wise are
 *     numbered 0..K-1, as vn_dataset_load_folder() numbers its folders.
 *
 * Every listed file must exist when the list is loaded (a typo is reported
 * with its line at once, not in the middle of training); images are
 * decoded when a batch needs them.
 */
#include "train/dataset_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct csv_row {
    char *path;    /* as resolved against the CSV's folder */
    char *label;   /* the label field as written */
    int line;
} csv_row;

typedef struct csv_rows {
    csv_row *v;
    size_t n, cap;
} csv_rows;

static void rows_free(csv_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        vn__free(r->v[i].path);
        vn__free(r->v[i].label);
    }
    vn__free(r->v);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Parse one field starting at *p (within [*p, end)), into a new string.
 * Stops after the field's terminating comma, or at the end of the line
 * (*p then points at '\n' or end). *at_comma tells which. */
static vn_status parse_field(const char *csv, int line, const char **p, const char *end,
                             char **out, bool *at_comma)
{
    const char *q = *p;
    while (q < end && is_space(*q))
        q++;
    char *buf = vn__malloc((size_t)(end - q) + 1);
    if (!buf)
        return vn__error(VN_ERR_NOMEM, "csv '%s': out of memory", csv);
    size_t n = 0;
    if (q < end && *q == '"') {
        q++;
        for (;;) {
            if (q >= end) {
                vn__free(buf);
                return vn__error(VN_ERR_FORMAT, "csv '%s' line %d: a quoted field is not closed",
                                 csv, line);
            }
            if (*q == '"') {
                if (q + 1 < end && q[1] == '"') {
                    buf[n++] = '"';
                    q += 2;
                    continue;
                }
                q++;
                break;
            }
            buf[n++] = *q++;
        }
        while (q < end && (is_space(*q) || *q == '\r'))
            q++;
        if (q < end && *q != ',' && *q != '\n') {
            vn__free(buf);
            return vn__error(VN_ERR_FORMAT, "csv '%s' line %d: text after a closing quote", csv,
                             line);
        }
    } else {
        while (q < end && *q != ',' && *q != '\n')
            buf[n++] = *q++;
        while (n > 0 && (is_space(buf[n - 1]) || buf[n - 1] == '\r'))
            n--;
    }
    buf[n] = '\0';
    *at_comma = q < end && *q == ',';
    if (*at_comma)
        q++;
    *p = q;
    *out = buf;
    return VN_OK;
}

/* "dir/" + path for a relative path, a copy for an absolute one. */
static char *resolve(const char *dir, size_t dlen, const char *path)
{
    if (path[0] == '/' || dlen == 0)
        return vn__strdup(path);
    size_t n = dlen + strlen(path) + 2;
    char *p = vn__malloc(n);
    if (p) {
        memcpy(p, dir, dlen);
        p[dlen] = '/';
        strcpy(p + dlen + 1, path);
    }
    return p;
}

static bool is_header_word(const char *s)
{
    static const char *const words[] = {"path", "file", "filename", "image"};
    for (size_t i = 0; i < VN_ARRAY_LEN(words); i++)
        if (!strcasecmp(s, words[i]))
            return true;
    return false;
}

static vn_status parse_rows(const char *csv, const char *text, size_t len, csv_rows *rows)
{
    const char *slash = strrchr(csv, '/');
    const size_t dlen = slash ? (size_t)(slash - csv) : 0;
    const char *p = text, *end = text + len;
    int line = 0;
    bool first = true;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        const char *q = p;
        while (q < le && (is_space(*q) || *q == '\r'))
            q++;
        if (q == le) { /* blank */
            p = eol ? eol + 1 : end;
            continue;
        }
        char *f1 = NULL, *f2 = NULL, *f3 = NULL;
        bool comma = false;
        const char *cur = p;
        vn_status s = parse_field(csv, line, &cur, le, &f1, &comma);
        if (s == VN_OK && comma)
            s = parse_field(csv, line, &cur, le, &f2, &comma);
        if (s == VN_OK && comma) {
            s = parse_field(csv, line, &cur, le, &f3, &comma);
            if (s == VN_OK)
                s = vn__error(VN_ERR_FORMAT, "csv '%s' line %d: more than two fields (path,label)",
                              csv, line);
        }
        bool header = s == VN_OK && first && is_header_word(f1);
        first = false;
        if (s == VN_OK && !header && !f2)
            s = vn__error(VN_ERR_FORMAT, "csv '%s' line %d: one field, expected path,label", csv,
                          line);
        if (s == VN_OK && !header && (!f1[0] || !f2[0]))
            s = vn__error(VN_ERR_FORMAT, "csv '%s' line %d: an empty %s", csv, line,
                          !f1[0] ? "path" : "label");
        if (s == VN_OK && !header) {
            if (rows->n == rows->cap) {
                size_t cap = rows->cap ? 2 * rows->cap : 256;
                csv_row *v = vn__realloc(rows->v, cap * sizeof *v);
                if (!v)
                    s = vn__error(VN_ERR_NOMEM, "csv '%s': out of memory", csv);
                else {
                    rows->v = v;
                    rows->cap = cap;
                }
            }
            char *path = s == VN_OK ? resolve(csv, dlen, f1) : NULL;
            if (s == VN_OK && !path)
                s = vn__error(VN_ERR_NOMEM, "csv '%s': out of memory", csv);
            if (s == VN_OK) {
                rows->v[rows->n++] = (csv_row){path, f2, line};
                f2 = NULL;
            }
        }
        vn__free(f1);
        vn__free(f2);
        vn__free(f3);
        if (s != VN_OK)
            return s;
        p = eol ? eol + 1 : end;
    }
    if (rows->n == 0)
        return vn__error(VN_ERR_FORMAT, "csv '%s': no samples in it", csv);
    return VN_OK;
}

/* A whole number in 0..VN__MAX_CLASSES-1 (digits only)? */
static bool parse_index(const char *s, int32_t *out)
{
    int64_t v = 0;
    if (!*s)
        return false;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        v = v * 10 + (*c - '0');
        if (v >= VN__MAX_CLASSES)
            return false;
    }
    *out = (int32_t)v;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Label every row: indices, or names numbered in sorted order. */
static vn_status assign_labels(const char *csv, csv_rows *rows, vn__store *st)
{
    bool numeric = true;
    for (size_t i = 0; i < rows->n && numeric; i++)
        numeric = parse_index(rows->v[i].label, &st->labels[i]);
    if (numeric)
        return vn__store_set_classes(st, 0, NULL);

    /* The distinct names, sorted. */
    char **sorted = vn__malloc(rows->n * sizeof(char *));
    if (!sorted)
        return vn__error(VN_ERR_NOMEM, "csv '%s': out of memory", csv);
    for (size_t i = 0; i < rows->n; i++)
        sorted[i] = rows->v[i].label;
    qsort(sorted, rows->n, sizeof(char *), cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < rows->n; i++)
        if (k == 0 || strcmp(sorted[k - 1], sorted[i]) != 0)
            sorted[k++] = sorted[i];
    if (k > VN__MAX_CLASSES) {
        vn__free(sorted);
        return vn__error(VN_ERR_FORMAT, "csv '%s': %zu class names, over %d", csv, k,
                         VN__MAX_CLASSES);
    }
    for (size_t i = 0; i < rows->n; i++) {
        const char *key = rows->v[i].label;
        char **hit = bsearch(&key, sorted, k, sizeof(char *), cmp_str);
        st->labels[i] = (int32_t)(hit - sorted);
    }
    char **names = vn__calloc(k, sizeof(char *));
    vn_status s = names ? VN_OK : vn__error(VN_ERR_NOMEM, "csv '%s': out of memory", csv);
    for (size_t i = 0; s == VN_OK && i < k; i++)
        if (!(names[i] = vn__strdup(sorted[i])))
            s = vn__error(VN_ERR_NOMEM, "csv '%s': out of memory", csv);
    vn__free(sorted);
    if (s != VN_OK) {
        for (size_t i = 0; names && i < k; i++)
            vn__free(names[i]);
        vn__free(names);
        return s;
    }
    return vn__store_set_classes(st, (int)k, names);
}

VN_API vn_status vn_dataset_load_csv(const char *path, vn_dataset **out)
{
    if (!path || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_dataset_load_csv: NULL argument");
    uint8_t *text = NULL;
    size_t len = 0;
    vn_status s = vn__read_file(path, &text, &len);
    if (s != VN_OK)
        return s;
    csv_rows rows = {0};
    vn__store *st = NULL;
    if (memchr(text, '\0', len))
        s = vn__error(VN_ERR_FORMAT, "csv '%s': not a text file (it holds NUL bytes)", path);
    if (s == VN_OK)
        s = parse_rows(path, (const char *)text, len, &rows);
    vn__free(text);
    for (size_t i = 0; s == VN_OK && i < rows.n; i++) {
        struct stat sb;
        if (stat(rows.v[i].path, &sb) != 0)
            s = vn__error(VN_ERR_IO, "csv '%s' line %d: '%s': %s", path, rows.v[i].line,
                          rows.v[i].path, strerror(errno));
        else if (S_ISDIR(sb.st_mode))
            s = vn__error(VN_ERR_IO, "csv '%s' line %d: '%s' is a directory", path,
                          rows.v[i].line, rows.v[i].path);
    }
    if (s == VN_OK)
        s = vn__store_new(VN__STORE_FILES, (int64_t)rows.n, "csv", &st);
    if (s == VN_OK)
        s = assign_labels(path, &rows, st);
    if (s == VN_OK) {
        st->paths = vn__malloc(rows.n * sizeof(char *));
        if (!st->paths)
            s = vn__error(VN_ERR_NOMEM, "csv '%s': out of memory", path);
    }
    if (s == VN_OK)
        for (size_t i = 0; i < rows.n; i++) {
            st->paths[i] = rows.v[i].path; /* taken over */
            rows.v[i].path = NULL;
        }
    rows_free(&rows);
    if (s != VN_OK) {
        vn__store_release(st);
        return s;
    }
    return vn__dataset_wrap_store(st, out);
}
