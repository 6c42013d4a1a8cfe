/*
 * image_io.c - reading and writing images through the codec registry:
 * vn_image_info_read / _mem, vn_image_read / vn_image_decode,
 * vn_image_write / vn_image_encode.
 *
 * Decoding always goes: pick the codec by content (probe, never the file
 * name) -> read the header (info) -> check VN_LIMIT_MAX_PIXELS -> decode ->
 * check what the codec returned against its header -> convert the channel
 * count if the codec did not honour opts->channels. Encoding picks the
 * codec by name or by the path's extension, and vn_image_write goes through
 * vn__write_file_atomic, so a failure never leaves a half file and never
 * clobbers an existing one.
 *
 * Codecs written by programs cannot call vn__error(); when one fails
 * without a message the registry writes one, so vn_last_error() is never
 * empty after a failure.
 */
#include "image/codec_internal.h"

#include <string.h>

/* ---- options ------------------------------------------------------------ */

static vn_status decode_options(const char *fn, const vn_decode_options *opts, vn_decode_options *o)
{
    vn_decode_options defaults = VN_DECODE_OPTIONS_INIT;
    *o = defaults;
    if (!opts)
        return VN_OK;
    if (opts->size < VN__DECODE_OPTIONS_MIN_SIZE)
        return vn__error(VN_ERR_INVALID_ARG, "%s: options size is %zu, use VN_DECODE_OPTIONS_INIT", fn,
                         opts->size);
    memcpy(o, opts, VN_MIN(opts->size, sizeof *o));
    o->size = sizeof *o;
    if (o->channels < 0 || o->channels > 4)
        return vn__error(VN_ERR_INVALID_ARG, "%s: channels is %d, expected 0 (as stored) or 1..4", fn,
                         o->channels);
    if (o->keep_16bit != 0 && o->keep_16bit != 1)
        return vn__error(VN_ERR_INVALID_ARG, "%s: keep_16bit is %d, expected 0 or 1", fn, o->keep_16bit);
    return VN_OK;
}

static vn_status encode_options(const char *fn, const vn_encode_options *opts, vn_encode_options *o)
{
    vn_encode_options defaults = VN_ENCODE_OPTIONS_INIT;
    *o = defaults;
    if (!opts)
        return VN_OK;
    if (opts->size < VN__ENCODE_OPTIONS_MIN_SIZE)
        return vn__error(VN_ERR_INVALID_ARG, "%s: options size is %zu, use VN_ENCODE_OPTIONS_INIT", fn,
                         opts->size);
    memcpy(o, opts, VN_MIN(opts->size, sizeof *o));
    o->size = sizeof *o;
    if (o->quality < 1 || o->quality > 100)
        return vn__error(VN_ERR_INVALID_ARG, "%s: quality is %d, expected 1..100", fn, o->quality);
    if (o->compression < 0 || o->compression > 9)
        return vn__error(VN_ERR_INVALID_ARG, "%s: compression is %d, expected 0..9", fn, o->compression);
    return VN_OK;
}

/* ---- calling codecs ------------------------------------------------------ */

/* A codec's failure, with a message even when the codec gave none. */
static vn_status codec_failed(const vn_codec *c, const char *what, vn_status s)
{
    if (s > 0)
        return vn__error(VN_ERR_INTERNAL, "%s: %s returned the unknown status %d", c->name, what, (int)s);
    if (!vn_last_error()[0])
        return vn__error(s, "%s: %s failed (%s)", c->name, what, vn_status_str(s));
    return s;
}

static bool valid_depth(int d)
{
    return d == 1 || d == 2 || d == 4 || d == 8 || d == 16;
}

static vn_status call_info(const vn_codec *c, const uint8_t *data, size_t n, vn_image_info *info)
{
    vn_image_info li = VN_IMAGE_INFO_INIT;
    vn_clear_error();
    vn_status s = c->info(data, n, &li, c->user_data);
    if (s != VN_OK)
        return codec_failed(c, "reading the header", s);
    if (li.width < 1 || li.height < 1)
        return vn__error(VN_ERR_FORMAT, "%s: image has zero size (%dx%d)", c->name, li.width, li.height);
    if (li.channels < 1 || li.channels > 4 || !valid_depth(li.bit_depth))
        return vn__error(VN_ERR_INTERNAL, "%s: header reader gave %d channels, %d bits", c->name,
                         li.channels, li.bit_depth);
    li.size = sizeof li;
    memset(li.codec, 0, sizeof li.codec);
    strncpy(li.codec, c->name, sizeof li.codec - 1);
    *info = li;
    return VN_OK;
}

/* Is t what the codec's header promised: [H,W] or [H,W,1..4], u8 (or i32
 * when 16-bit samples were asked for)? */
static vn_status check_decoded(const vn_codec *c, const vn_image_info *info,
                               const vn_decode_options *o, const vn_tensor *t)
{
    char buf[96];
    if (!t)
        return vn__error(VN_ERR_INTERNAL, "%s: decoder returned success but no image", c->name);
    bool dtype_ok = t->dtype == VN_U8 || (t->dtype == VN_I32 && o->keep_16bit);
    bool shape_ok = (t->ndim == 2 || (t->ndim == 3 && t->shape[2] >= 1 && t->shape[2] <= 4)) &&
                    t->shape[0] == info->height && t->shape[1] == info->width;
    if (!dtype_ok || !shape_ok)
        return vn__error(VN_ERR_INTERNAL, "%s: decoder returned a %s %s tensor for a %dx%d image",
                         c->name, vn_dtype_name(t->dtype), vn__shape_str(t, buf, sizeof buf),
                         info->width, info->height);
    return VN_OK;
}

static vn_status decode_with(const vn_codec *c, const uint8_t *data, size_t n,
                             const vn_decode_options *o, vn_tensor **out)
{
    vn_image_info info = VN_IMAGE_INFO_INIT;
    VN_TRY(call_info(c, data, n, &info));
    /* The limit is checked from the header, before the decoder allocates. */
    VN_TRY(vn__check_pixels(c->name, (uint64_t)info.width, (uint64_t)info.height));

    vn_tensor *t = NULL;
    vn_clear_error();
    vn_status s = c->decode(data, n, o, &t, c->user_data);
    if (s != VN_OK)
        return codec_failed(c, "decoding", s);
    s = check_decoded(c, &info, o, t);
    if (s != VN_OK) {
        vn_tensor_destroy(t);
        return s;
    }
    if (t->ndim == 2) {
        int64_t shape[3] = {t->shape[0], t->shape[1], 1};
        vn_tensor_reshape(t, 3, shape);
    }
    if (o->channels && t->shape[2] != o->channels) {
        vn_tensor *conv = NULL;
        s = vn_image_convert_channels(t, o->channels, &conv);
        vn_tensor_destroy(t);
        if (s != VN_OK)
            return s;
        t = conv;
    }
    *out = t;
    return VN_OK;
}

/* ---- reading ------------------------------------------------------------- */

/* Copy a full info into the caller's struct, as much as its size covers. */
static void info_out(const vn_image_info *src, vn_image_info *dst)
{
    size_t size = dst->size;
    memcpy(dst, src, VN_MIN(size, sizeof *src));
    dst->size = size;
}

VN_API vn_status vn_image_info_mem(const void *bytes, size_t n, vn_image_info *info)
{
    if (!bytes || !info)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_info_mem: NULL argument");
    if (info->size < VN__IMAGE_INFO_MIN_SIZE)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_info_mem: info size is %zu, use VN_IMAGE_INFO_INIT",
                         info->size);
    vn_codec c;
    VN_TRY(vn__codec_by_content(bytes, n, &c));
    vn_image_info li = VN_IMAGE_INFO_INIT;
    VN_TRY(call_info(&c, bytes, n, &li));
    info_out(&li, info);
    return VN_OK;
}

VN_API vn_status vn_image_decode(const void *bytes, size_t n, const vn_decode_options *opts,
                                 vn_tensor **out)
{
    if (!bytes || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_decode: NULL argument");
    vn_decode_options o;
    VN_TRY(decode_options("vn_image_decode", opts, &o));
    vn_codec c;
    VN_TRY(vn__codec_by_content(bytes, n, &c));
    return decode_with(&c, bytes, n, &o, out);
}

VN_API vn_status vn_image_info_read(const char *path, vn_image_info *info)
{
    if (!path || !info)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_info_read: NULL argument");
    if (info->size < VN__IMAGE_INFO_MIN_SIZE)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_info_read: info size is %zu, use VN_IMAGE_INFO_INIT",
                         info->size);
    uint8_t *bytes = NULL;
    size_t n = 0;
    VN_TRY(vn__read_file(path, &bytes, &n));
    vn_status s = vn_image_info_mem(bytes, n, info);
    vn__free(bytes);
    return s == VN_OK ? s : vn__error_prefix(s, path);
}

VN_API vn_status vn_image_read(const char *path, const vn_decode_options *opts, vn_tensor **out)
{
    if (!path || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_read: NULL argument");
    vn_decode_options o;
    VN_TRY(decode_options("vn_image_read", opts, &o));
    uint8_t *bytes = NULL;
    size_t n = 0;
    VN_TRY(vn__read_file(path, &bytes, &n));
    vn_codec c;
    vn_status s = vn__codec_by_content(bytes, n, &c);
    if (s == VN_OK)
        s = decode_with(&c, bytes, n, &o, out);
    vn__free(bytes);
    return s == VN_OK ? s : vn__error_prefix(s, path);
}

/* ---- writing ------------------------------------------------------------- */

static vn_status check_image(const char *fn, const vn_tensor *image)
{
    char buf[96];
    if (image->dtype != VN_U8)
        return vn__error(VN_ERR_SHAPE, "%s: image is %s, expected u8 (see vn_tensor_convert)", fn,
                         vn_dtype_name(image->dtype));
    bool ok = (image->ndim == 2 || (image->ndim == 3 && image->shape[2] >= 1 && image->shape[2] <= 4)) &&
              image->shape[0] >= 1 && image->shape[1] >= 1 &&
              image->shape[0] <= INT32_MAX && image->shape[1] <= INT32_MAX;
    if (!ok)
        return vn__error(VN_ERR_SHAPE, "%s: image shape %s is not [H,W,C] with C 1..4 or [H,W]", fn,
                         vn__shape_str(image, buf, sizeof buf));
    return VN_OK;
}

static vn_status encode_with(const vn_codec *c, const vn_tensor *image, const vn_encode_options *o,
                             void **bytes, size_t *n)
{
    if (!c->encode)
        return vn__error(VN_ERR_UNSUPPORTED, "%s: this codec cannot write images", c->name);
    /* Codecs see [H,W,C] only: a 2-D image is viewed as one channel. */
    vn_tensor *view = NULL;
    if (image->ndim == 2) {
        int64_t shape[3] = {image->shape[0], image->shape[1], 1};
        VN_TRY(vn_tensor_wrap(VN_U8, 3, shape, image->data, NULL, NULL, &view));
        image = view;
    }
    void *buf = NULL;
    size_t len = 0;
    vn_clear_error();
    vn_status s = c->encode(image, o, &buf, &len, c->user_data);
    vn_tensor_destroy(view);
    if (s != VN_OK)
        return codec_failed(c, "encoding", s);
    if (!buf || len == 0) {
        vn__free(buf);
        return vn__error(VN_ERR_INTERNAL, "%s: encoder returned success but no bytes", c->name);
    }
    *bytes = buf;
    *n = len;
    return VN_OK;
}

VN_API vn_status vn_image_encode(const char *codec, const vn_tensor *image,
                                 const vn_encode_options *opts, void **bytes, size_t *n)
{
    if (!codec || !image || !bytes || !n)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_encode: NULL argument");
    vn_encode_options o;
    VN_TRY(encode_options("vn_image_encode", opts, &o));
    VN_TRY(check_image("vn_image_encode", image));
    vn_codec c;
    VN_TRY(vn__codec_by_name(codec, &c));
    return encode_with(&c, image, &o, bytes, n);
}

VN_API vn_status vn_image_write(const char *path, const vn_tensor *image,
                                const vn_encode_options *opts)
{
    if (!path || !image)
        return vn__error(VN_ERR_INVALID_ARG, "vn_image_write: NULL argument");
    vn_encode_options o;
    VN_TRY(encode_options("vn_image_write", opts, &o));
    VN_TRY(check_image("vn_image_write", image));
    char ext[16];
    vn__path_extension(path, ext, sizeof ext);
    vn_codec c;
    vn_status s = vn__codec_by_extension(ext, &c);
    void *buf = NULL;
    size_t len = 0;
    if (s == VN_OK)
        s = encode_with(&c, image, &o, &buf, &len);
    if (s == VN_OK) {
        s = vn__write_file_atomic(path, buf, len);
        vn__free(buf);
        return s;
    }
    return vn__error_prefix(s, path);
}
