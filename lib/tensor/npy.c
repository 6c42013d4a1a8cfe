/*
 * npy.c - NumPy .npy files: reading format versions 1.0, 2.0 and 3.0 and
 * writing 1.0 (2.0 when the header does not fit a 16-bit length).
 *
 * The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and a
 * minor version byte, the header length (2 bytes little-endian in 1.0,
 * 4 bytes in 2.0 and 3.0), then the header: the repr of a Python dict
 *
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *
 * padded with spaces and ended by '\n', then the raw C-order data.
 *
 * The reader parses that dict strictly (exactly the three keys, each once;
 * only literal strings, True / False and tuples of non-negative integers)
 * but tolerates what other writers do: any key order, either quote, any
 * spacing, trailing commas, "()" for a 0-d array. Every size is checked
 * against the buffer length and against overflow before it is used:
 * the data must be exactly as long as the shape says.
 *
 * Accepted dtypes: <f4, |u1 (also <u1 / =u1), <i4. Other valid dtypes are
 * refused with VN_ERR_UNSUPPORTED naming them; big-endian data, Fortran
 * order, more than VN_MAX_DIMS dimensions and malformed or inconsistent
 * files with VN_ERR_FORMAT.
 *
 * The writer produces the same bytes as numpy 1.24's np.save for the same
 * array (sorted keys, numpy's spare space after the dict so a writer can
 * grow the first axis in place, the whole prefix padded to 64 bytes).
 */
#include "tensor/tensor_internal.h"

#include <stdio.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
/* numpy's GROWTH_AXIS_MAX_DIGITS: spare spaces after the dict. */
#define NPY_GROWTH_DIGITS 21

/* ---- header parsing ---------------------------------------------------- */

typedef struct npy_header {
    vn_dtype dtype;
    int ndim;
    int64_t shape[VN_MAX_DIMS];
    size_t numel;
    size_t data_offset;   /* bytes from the start of the file */
} npy_header;

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A Python string literal in ' or " quotes without escapes; copied into buf
 * (NUL-terminated). false when absent, unterminated or too long. */
static bool parse_string(cursor *c, char *buf, size_t size)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return false;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= size)
            return false;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return false;
    c->p++;
    buf[n] = '\0';
    return true;
}

static bool accept_word(cursor *c, const char *word)
{
    skip_space(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    /* The word must end there ("Falsey" is not False). */
    if ((size_t)(c->end - c->p) > n) {
        char nx = c->p[n];
        if ((nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z') || (nx >= '0' && nx <= '9') || nx == '_')
            return false;
    }
    c->p += n;
    return true;
}

/* Map a descr string to a dtype. VN_OK, or the status to refuse it with. */
static vn_status parse_descr(const char *d, vn_dtype *dtype)
{
    char order = d[0];
    const char *kind = d;
    if (order == '<' || order == '>' || order == '|' || order == '=')
        kind = d + 1;
    else
        order = '=';
    /* '=' is native order; this reader handles little-endian files only. */
    bool little = order == '<' || (order == '=' && vn__host_little_endian());
    if (strcmp(kind, "u1") == 0) {
        *dtype = VN_U8; /* byte order is meaningless for one byte */
        return VN_OK;
    }
    vn_dtype t;
    if (strcmp(kind, "f4") == 0)
        t = VN_F32;
    else if (strcmp(kind, "i4") == 0)
        t = VN_I32;
    else
        return vn__error(VN_ERR_UNSUPPORTED,
                         "npy: dtype '%s' is not supported (use float32 '<f4', uint8 '|u1' or int32 '<i4')",
                         d);
    if (order == '|')
        return vn__error(VN_ERR_FORMAT, "npy: dtype '%s' has no byte order", d);
    if (!little)
        return vn__error(VN_ERR_FORMAT,
                         "npy: dtype '%s' is big-endian; only little-endian data is supported", d);
    *dtype = t;
    return VN_OK;
}

/* A tuple of non-negative integers: "()", "(3,)", "(2, 3)", "(2,3,)". */
static vn_status parse_shape(cursor *c, npy_header *h)
{
    if (!accept(c, '('))
        return vn__error(VN_ERR_FORMAT, "npy: header 'shape' is not a tuple");
    int ndim = 0;
    bool need_comma_for_one = true;
    for (;;) {
        skip_space(c);
        if (accept(c, ')'))
            break;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return vn__error(VN_ERR_FORMAT, "npy: header 'shape' holds something other than "
                                            "non-negative integers");
        uint64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            unsigned dgt = (unsigned)(*c->p - '0');
            if (v > ((uint64_t)INT64_MAX - dgt) / 10)
                return vn__error(VN_ERR_FORMAT, "npy: a dimension in the header overflows 64 bits");
            v = v * 10 + dgt;
            c->p++;
        }
        if (c->p < c->end && (*c->p == 'L' || *c->p == 'l'))
            c->p++; /* Python 2 long literal */
        if (ndim >= VN_MAX_DIMS)
            return vn__error(VN_ERR_FORMAT, "npy: more than %d dimensions", VN_MAX_DIMS);
        h->shape[ndim++] = (int64_t)v;
        if (accept(c, ',')) {
            need_comma_for_one = false;
            continue;
        }
        if (accept(c, ')'))
            break;
        return vn__error(VN_ERR_FORMAT, "npy: header 'shape' is not a well-formed tuple");
    }
    /* "(3)" is the integer 3 in Python, not a tuple. */
    if (ndim == 1 && need_comma_for_one)
        return vn__error(VN_ERR_FORMAT, "npy: header 'shape' (n) lacks the comma of a 1-tuple");
    h->ndim = ndim;
    return VN_OK;
}

static vn_status parse_dict(const char *text, size_t len, npy_header *h)
{
    cursor c = {text, text + len};
    char descr[32] = "";
    bool have_descr = false, have_order = false, have_shape = false;
    if (!accept(&c, '{'))
        return vn__error(VN_ERR_FORMAT, "npy: header is not a Python dict");
    for (;;) {
        if (accept(&c, '}'))
            break;
        char key[32];
        if (!parse_string(&c, key, sizeof key))
            return vn__error(VN_ERR_FORMAT, "npy: header dict key is not a string");
        if (!accept(&c, ':'))
            return vn__error(VN_ERR_FORMAT, "npy: header dict lacks ':' after '%s'", key);
        if (strcmp(key, "descr") == 0) {
            if (have_descr)
                return vn__error(VN_ERR_FORMAT, "npy: header repeats 'descr'");
            have_descr = true;
            skip_space(&c);
            if (c.p < c.end && *c.p == '[')
                return vn__error(VN_ERR_UNSUPPORTED, "npy: structured dtypes are not supported");
            if (!parse_string(&c, descr, sizeof descr))
                return vn__error(VN_ERR_FORMAT, "npy: header 'descr' is not a string");
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_order)
                return vn__error(VN_ERR_FORMAT, "npy: header repeats 'fortran_order'");
            have_order = true;
            if (accept_word(&c, "True"))
                return vn__error(VN_ERR_FORMAT,
                                 "npy: Fortran-order data is not supported (save a C-contiguous array)");
            if (!accept_word(&c, "False"))
                return vn__error(VN_ERR_FORMAT, "npy: header 'fortran_order' is not True or False");
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape)
                return vn__error(VN_ERR_FORMAT, "npy: header repeats 'shape'");
            have_shape = true;
            VN_TRY(parse_shape(&c, h));
        } else {
            return vn__error(VN_ERR_FORMAT, "npy: header has an unexpected key '%s'", key);
        }
        if (accept(&c, ','))
            continue;
        if (accept(&c, '}'))
            break;
        return vn__error(VN_ERR_FORMAT, "npy: header dict is not well formed after '%s'", key);
    }
    if (!have_descr || !have_order || !have_shape)
        return vn__error(VN_ERR_FORMAT, "npy: header lacks '%s'",
                         !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    /* Only the padding may follow the dict. */
    skip_space(&c);
    if (c.p != c.end)
        return vn__error(VN_ERR_FORMAT, "npy: unexpected bytes after the header dict");
    /* The dtype is judged once the whole dict is known to be well formed, so
     * a damaged header is always VN_ERR_FORMAT. */
    return parse_descr(descr, &h->dtype);
}

/* Parse the prefix and the header of a whole file held in bytes[0..n). */
static vn_status parse_npy(const uint8_t *bytes, size_t n, npy_header *h)
{
    if (!bytes && n)
        return vn__error(VN_ERR_INVALID_ARG, "npy: bytes is NULL");
    if (n < NPY_MAGIC_LEN + 2 || memcmp(bytes, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return vn__error(VN_ERR_FORMAT, "npy: not a .npy file (no \\x93NUMPY magic)");
    int major = bytes[6];
    size_t prefix, hlen;
    if (major == 1) {
        prefix = 10;
        if (n < prefix)
            return vn__error(VN_ERR_FORMAT, "npy: file ends inside the header length");
        hlen = (size_t)bytes[8] | (size_t)bytes[9] << 8;
    } else if (major == 2 || major == 3) {
        prefix = 12;
        if (n < prefix)
            return vn__error(VN_ERR_FORMAT, "npy: file ends inside the header length");
        hlen = (size_t)bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 |
               (size_t)bytes[11] << 24;
    } else {
        return vn__error(VN_ERR_FORMAT, "npy: unknown format version %d.%d (1.0, 2.0 and 3.0 are read)",
                         major, bytes[7]);
    }
    if (hlen > n - prefix)
        return vn__error(VN_ERR_FORMAT, "npy: header length %zu runs past the end of the file (%zu bytes)",
                         hlen, n);
    memset(h, 0, sizeof *h);
    VN_TRY(parse_dict((const char *)bytes + prefix, hlen, h));

    size_t numel = 1;
    for (int i = 0; i < h->ndim; i++)
        if ((uint64_t)h->shape[i] > SIZE_MAX || !vn__mul_size(numel, (size_t)h->shape[i], &numel))
            return vn__error(VN_ERR_FORMAT, "npy: shape overflows the address space");
    size_t nbytes;
    if (!vn__mul_size(numel, vn_dtype_size(h->dtype), &nbytes))
        return vn__error(VN_ERR_FORMAT, "npy: shape overflows the address space");
    h->data_offset = prefix + hlen;
    size_t have = n - h->data_offset;
    if (have < nbytes)
        return vn__error(VN_ERR_FORMAT, "npy: data is truncated: the shape needs %zu bytes, the file holds %zu",
                         nbytes, have);
    if (have > nbytes)
        return vn__error(VN_ERR_FORMAT, "npy: %zu bytes of data, but the shape needs only %zu", have, nbytes);
    h->numel = numel;
    return VN_OK;
}

/* ---- loading ------------------------------------------------------------ */

VN_API vn_status vn_tensor_load_npy_mem(const void *bytes, size_t n, vn_tensor **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_load_npy_mem: out is NULL");
    npy_header h;
    VN_TRY(parse_npy(bytes, n, &h));
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_empty(h.dtype, h.ndim, h.shape, &t));
    size_t nbytes = vn_tensor_nbytes(t);
    if (nbytes)
        memcpy(t->data, (const uint8_t *)bytes + h.data_offset, nbytes);
    if (!vn__host_little_endian() && vn_dtype_size(h.dtype) == 4)
        vn__swap32(t->data, t->numel);
    *out = t;
    return VN_OK;
}

VN_API vn_status vn_tensor_load_npy(const char *path, vn_tensor **out)
{
    if (!path || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_load_npy: NULL argument");
    uint8_t *buf = NULL;
    size_t n = 0;
    VN_TRY(vn__read_file(path, &buf, &n));
    vn_status s = vn_tensor_load_npy_mem(buf, n, out);
    vn__free(buf);
    if (s != VN_OK)
        return vn__error_prefix(s, path);
    return VN_OK;
}

/* ---- saving ------------------------------------------------------------- */

static const char *descr_of(vn_dtype dtype)
{
    switch (dtype) {
    case VN_F32: return "<f4";
    case VN_U8: return "|u1";
    case VN_I32: return "<i4";
    }
    return NULL;
}

/* The dict text as numpy writes it, with its spare space; returns its length
 * (320 bytes hold 8 dimensions of 20 digits). */
static size_t format_dict(const vn_tensor *t, char *buf, size_t size)
{
    size_t off = (size_t)snprintf(buf, size, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                                  descr_of(t->dtype));
    for (int i = 0; i < t->ndim; i++)
        off += (size_t)snprintf(buf + off, size - off, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    off += (size_t)snprintf(buf + off, size - off, t->ndim == 1 ? ",), }" : "), }");
    if (t->ndim > 0) {
        char first[24];
        int digits = snprintf(first, sizeof first, "%lld", (long long)t->shape[0]);
        for (int i = digits; i < NPY_GROWTH_DIGITS; i++)
            buf[off++] = ' ';
        buf[off] = '\0';
    }
    return off;
}

VN_API vn_status vn_tensor_save_npy_mem(const vn_tensor *t, void **bytes, size_t *n)
{
    if (!t || !bytes || !n)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_save_npy_mem: NULL argument");
    if (!descr_of(t->dtype))
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_save_npy_mem: unknown dtype %d", (int)t->dtype);
    char dict[320];
    size_t dlen = format_dict(t, dict, sizeof dict);
    /* numpy's _wrap_header: dict + spaces + '\n', with the padding chosen so
     * the data starts at a multiple of 64 (a full 64 when already aligned). */
    size_t prefix = 10;
    size_t hlen = dlen + 1;
    size_t pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
    if (hlen + pad > 0xffff) {
        prefix = 12;
        pad = NPY_ALIGN - (prefix + hlen) % NPY_ALIGN;
    }
    size_t head = prefix + hlen + pad;
    size_t nbytes = vn_tensor_nbytes(t);
    size_t total;
    if (!vn__add_size(head, nbytes, &total))
        return vn__error(VN_ERR_LIMIT, "vn_tensor_save_npy_mem: tensor too large");
    uint8_t *b = vn__alloc_or_error(total, "vn_tensor_save_npy_mem");
    if (!b)
        return VN_ERR_NOMEM;
    memcpy(b, NPY_MAGIC, NPY_MAGIC_LEN);
    size_t field = hlen + pad;
    if (prefix == 10) {
        b[6] = 1;
        b[7] = 0;
        b[8] = (uint8_t)field;
        b[9] = (uint8_t)(field >> 8);
    } else {
        b[6] = 2;
        b[7] = 0;
        for (int i = 0; i < 4; i++)
            b[8 + i] = (uint8_t)(field >> (8 * i));
    }
    memcpy(b + prefix, dict, dlen);
    memset(b + prefix + dlen, ' ', pad);
    b[head - 1] = '\n';
    if (nbytes)
        memcpy(b + head, t->data, nbytes);
    if (!vn__host_little_endian() && vn_dtype_size(t->dtype) == 4)
        vn__swap32(b + head, t->numel);
    *bytes = b;
    *n = total;
    return VN_OK;
}

VN_API vn_status vn_tensor_save_npy(const vn_tensor *t, const char *path)
{
    if (!t || !path)
        return vn__error(VN_ERR_INVALID_ARG, "vn_tensor_save_npy: NULL argument");
    void *b = NULL;
    size_t n = 0;
    VN_TRY(vn_tensor_save_npy_mem(t, &b, &n));
    vn_status s = vn__write_file_atomic(path, b, n);
    vn__free(b);
    return s;
}
