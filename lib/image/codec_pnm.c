/*
 * codec_pnm.c - the Netpbm formats, built in: P1 / P4 bitmaps, P2 / P5 grey
 * maps and P3 / P6 pixel maps (ASCII / binary), read; P5 and P6 written.
 *
 * The format (netpbm.sourceforge.net/doc/pnm.html): a magic "Pn", then
 * width, height and (except for bitmaps) maxval as ASCII decimals separated
 * by whitespace, where '#' starts a comment that runs to the end of the
 * line; then, for the binary formats, exactly one whitespace byte and the
 * raster. maxval is 1..65535; binary samples take one byte when maxval < 256
 * and two big-endian bytes otherwise. A bitmap's 1 is black.
 *
 * What comes back (the library's rules for every decoder):
 * - u8 [H,W,C] with C = 1 (P1, P2, P4, P5) or 3 (P3, P6);
 * - samples are scaled to 8 bits as round(255 * v / maxval) (halves round
 *   up), exact for maxval 255; bitmaps become 0 (black) and 255 (white);
 * - with keep_16bit and maxval > 255, an i32 tensor of 16-bit samples
 *   scaled the same way to 0..65535 (so 65535 is always full intensity, as
 *   for a 16-bit PNG);
 * - a sample over maxval, a maxval of 0 or over 65535, a zero or oversized
 *   dimension, or a raster shorter than the header says is refused with
 *   VN_ERR_FORMAT (VN_ERR_LIMIT for the size limit) before any pixel memory
 *   is allocated. Bytes after the first image are ignored (a PNM file may
 *   hold several images).
 */
#include "image/codec_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

typedef struct pnm_header {
    int kind;            /* the digit of the magic: 1..6 */
    uint32_t width, height, maxval;
    int channels;        /* 1 or 3 */
    size_t raster;       /* offset of the raster's first byte */
} pnm_header;

typedef struct cursor {
    const uint8_t *p;
    size_t n, pos;
} cursor;

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* Skip whitespace and comments (netpbm allows comments between tokens). */
static void skip_space(cursor *c)
{
    while (c->pos < c->n) {
        uint8_t ch = c->p[c->pos];
        if (is_space(ch)) {
            c->pos++;
        } else if (ch == '#') {
            while (c->pos < c->n && c->p[c->pos] != '\n' && c->p[c->pos] != '\r')
                c->pos++;
        } else {
            break;
        }
    }
}

/* An unsigned decimal; values over UINT32_MAX saturate (the callers'
 * range checks then refuse them with a clear message). */
static vn_status read_uint(cursor *c, const char *what, uint32_t *out)
{
    skip_space(c);
    if (c->pos >= c->n)
        return vn__error(VN_ERR_FORMAT, "pnm: file ends before the %s", what);
    if (!is_digit(c->p[c->pos]))
        return vn__error(VN_ERR_FORMAT, "pnm: the %s is not a number (byte 0x%02x at offset %zu)", what,
                         c->p[c->pos], c->pos);
    uint64_t v = 0;
    while (c->pos < c->n && is_digit(c->p[c->pos])) {
        v = v * 10 + (uint64_t)(c->p[c->pos] - '0');
        if (v > UINT32_MAX)
            v = UINT32_MAX;
        c->pos++;
    }
    if (c->pos < c->n && !is_space(c->p[c->pos]) && c->p[c->pos] != '#')
        return vn__error(VN_ERR_FORMAT, "pnm: the %s is followed by byte 0x%02x at offset %zu", what,
                         c->p[c->pos], c->pos);
    *out = (uint32_t)v;
    return VN_OK;
}

static vn_status parse_header(const uint8_t *data, size_t n, pnm_header *h)
{
    if (n < 2 || data[0] != 'P' || data[1] < '1' || data[1] > '6')
        return vn__error(VN_ERR_FORMAT, "pnm: no P1..P6 magic");
    memset(h, 0, sizeof *h);
    h->kind = data[1] - '0';
    h->channels = (h->kind == 3 || h->kind == 6) ? 3 : 1;
    cursor c = {data, n, 2};
    VN_TRY(read_uint(&c, "width", &h->width));
    VN_TRY(read_uint(&c, "height", &h->height));
    if (h->kind == 1 || h->kind == 4) {
        h->maxval = 1;
    } else {
        VN_TRY(read_uint(&c, "maxval", &h->maxval));
        if (h->maxval == 0 || h->maxval > 65535)
            return vn__error(VN_ERR_FORMAT, "pnm: maxval is %u, expected 1..65535", h->maxval);
    }
    if (h->width == 0 || h->height == 0)
        return vn__error(VN_ERR_FORMAT, "pnm: image has zero size (%ux%u)", h->width, h->height);
    if (h->kind >= 4) {
        /* Exactly one whitespace byte separates the header from the raster. */
        if (c.pos >= n)
            return vn__error(VN_ERR_FORMAT, "pnm: file ends before the raster");
        if (!is_space(data[c.pos]))
            return vn__error(VN_ERR_FORMAT, "pnm: no whitespace between the header and the raster");
        c.pos++;
    }
    h->raster = c.pos;
    return VN_OK;
}

static int bits_for(const pnm_header *h)
{
    if (h->kind == 1 || h->kind == 4 || h->maxval <= 1)
        return 1;
    return h->maxval <= 3 ? 2 : h->maxval <= 15 ? 4 : h->maxval <= 255 ? 8 : 16;
}

static int pnm_probe(const uint8_t *head, size_t n, void *user_data)
{
    (void)user_data;
    if (n < 3 || head[0] != 'P' || head[1] < '1' || head[1] > '6')
        return 0;
    /* Two bytes are a weak signature: claim them below the binary formats. */
    return (is_space(head[2]) || head[2] == '#') ? 50 : 0;
}

static vn_status pnm_info(const uint8_t *data, size_t n, vn_image_info *info, void *user_data)
{
    (void)user_data;
    pnm_header h;
    VN_TRY(parse_header(data, n, &h));
    if (h.width > INT_MAX || h.height > INT_MAX) {
        VN_TRY(vn__check_pixels("pnm", h.width, h.height));
        return vn__error(VN_ERR_LIMIT, "pnm: image is %ux%u pixels, too large", h.width, h.height);
    }
    info->width = (int)h.width;
    info->height = (int)h.height;
    info->channels = h.channels;
    info->bit_depth = bits_for(&h);
    return VN_OK;
}

/* round(top * v / maxval), halves up, in integers. */
static inline uint32_t rescale(uint32_t v, uint32_t maxval, uint32_t top)
{
    return (uint32_t)((2 * (uint64_t)top * v + maxval) / (2 * (uint64_t)maxval));
}

/* Where decoded samples go: u8, or i32 16-bit samples. */
typedef struct sink {
    uint8_t *u8;
    int32_t *i32;
    uint32_t maxval, top;
} sink;

static inline void put(const sink *s, size_t i, uint32_t v)
{
    if (s->u8)
        s->u8[i] = (uint8_t)(s->maxval == 255 ? v : rescale(v, s->maxval, 255));
    else
        s->i32[i] = (int32_t)(s->maxval == 65535 ? v : rescale(v, s->maxval, 65535));
}

static vn_status over_maxval(uint32_t v, uint32_t maxval, size_t i)
{
    return vn__error(VN_ERR_FORMAT, "pnm: sample %zu is %u, over the maxval %u", i, v, maxval);
}

static vn_status read_binary(const pnm_header *h, const uint8_t *r, size_t count, const sink *s)
{
    if (h->maxval < 256) {
        for (size_t i = 0; i < count; i++) {
            if (r[i] > h->maxval)
                return over_maxval(r[i], h->maxval, i);
            put(s, i, r[i]);
        }
    } else {
        for (size_t i = 0; i < count; i++) {
            uint32_t v = (uint32_t)r[2 * i] << 8 | r[2 * i + 1];
            if (v > h->maxval)
                return over_maxval(v, h->maxval, i);
            put(s, i, v);
        }
    }
    return VN_OK;
}

static void read_p4(const pnm_header *h, const uint8_t *r, uint8_t *out)
{
    size_t row_bytes = ((size_t)h->width + 7) / 8;
    for (size_t y = 0; y < h->height; y++)
        for (size_t x = 0; x < h->width; x++) {
            int bit = r[y * row_bytes + x / 8] >> (7 - x % 8) & 1;
            out[y * h->width + x] = bit ? 0 : 255;
        }
}

static vn_status read_ascii(const pnm_header *h, cursor *c, size_t count, const sink *s)
{
    for (size_t i = 0; i < count; i++) {
        if (h->kind == 1) {
            /* Bitmap samples are single digits, whitespace optional. */
            skip_space(c);
            if (c->pos >= c->n)
                return vn__error(VN_ERR_FORMAT, "pnm: raster is truncated after %zu of %zu samples", i, count);
            uint8_t ch = c->p[c->pos++];
            if (ch != '0' && ch != '1')
                return vn__error(VN_ERR_FORMAT, "pnm: bitmap sample %zu is byte 0x%02x, not 0 or 1", i, ch);
            s->u8[i] = ch == '1' ? 0 : 255;
            continue;
        }
        uint32_t v;
        skip_space(c);
        if (c->pos >= c->n)
            return vn__error(VN_ERR_FORMAT, "pnm: raster is truncated after %zu of %zu samples", i, count);
        VN_TRY(read_uint(c, "sample", &v));
        if (v > h->maxval)
            return over_maxval(v, h->maxval, i);
        put(s, i, v);
    }
    return VN_OK;
}

static vn_status pnm_decode(const uint8_t *data, size_t n, const vn_decode_options *opts,
                            vn_tensor **out, void *user_data)
{
    (void)user_data;
    pnm_header h;
    VN_TRY(parse_header(data, n, &h));
    VN_TRY(vn__check_pixels("pnm", h.width, h.height));

    size_t pixels = 0, count = 0, need = 0;
    bool ok = vn__mul_size(h.width, h.height, &pixels) && vn__mul_size(pixels, (size_t)h.channels, &count);
    /* The least raster the header implies, checked before allocating. */
    switch (h.kind) {
    case 1: need = count; break;                                               /* "0101" */
    case 2: case 3: ok = ok && vn__mul_size(count, 2, &need); need--; break;   /* "0 1 0" */
    case 4: ok = ok && vn__mul_size(((size_t)h.width + 7) / 8, h.height, &need); break;
    default: ok = ok && vn__mul_size(count, h.maxval < 256 ? 1 : 2, &need); break;
    }
    if (!ok)
        return vn__error(VN_ERR_LIMIT, "pnm: image is %ux%u pixels, too large", h.width, h.height);
    size_t avail = n - h.raster;
    if (avail < need)
        return vn__error(VN_ERR_FORMAT, "pnm: raster is truncated (%zu bytes, the header needs %s%zu)", avail,
                         h.kind <= 3 ? "at least " : "", need);

    bool wide = opts && opts->keep_16bit && h.maxval > 255;
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_new3(wide ? VN_I32 : VN_U8, h.height, h.width, h.channels, &t));
    sink s = {wide ? NULL : t->data, wide ? t->data : NULL, h.maxval, wide ? 65535 : 255};
    vn_status st = VN_OK;
    if (h.kind == 4) {
        read_p4(&h, data + h.raster, t->data);
    } else if (h.kind >= 5) {
        st = read_binary(&h, data + h.raster, count, &s);
    } else {
        cursor c = {data, n, h.raster};
        st = read_ascii(&h, &c, count, &s);
    }
    if (st != VN_OK) {
        vn_tensor_destroy(t);
        return st;
    }
    *out = t;
    return VN_OK;
}

static vn_status pnm_encode(const vn_tensor *image, const vn_encode_options *opts, void **bytes,
                            size_t *n, void *user_data)
{
    (void)opts;
    (void)user_data;
    int64_t c = image->shape[2];
    if (c != 1 && c != 3)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "pnm: writes 1 (P5) or 3 (P6) channels, not %lld (see vn_image_convert_channels)",
                         (long long)c);
    char head[64];
    int len = snprintf(head, sizeof head, "P%c\n%lld %lld\n255\n", c == 1 ? '5' : '6',
                       (long long)image->shape[1], (long long)image->shape[0]);
    size_t body = vn_tensor_nbytes(image), total;
    if (!vn__add_size(body, (size_t)len, &total))
        return vn__error(VN_ERR_LIMIT, "pnm: image is too large");
    uint8_t *buf = vn__alloc_or_error(total, "pnm: encoded image");
    if (!buf)
        return VN_ERR_NOMEM;
    memcpy(buf, head, (size_t)len);
    memcpy(buf + len, image->data, body);
    *bytes = buf;
    *n = total;
    return VN_OK;
}

const vn_codec vn__codec_pnm = {
    .size = sizeof(vn_codec),
    .name = "pnm",
    .extensions = "pnm,pgm,ppm,pbm",
    .probe = pnm_probe,
    .info = pnm_info,
    .decode = pnm_decode,
    .encode = pnm_encode,
    .user_data = NULL,
};
