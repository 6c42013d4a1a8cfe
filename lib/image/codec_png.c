/*
 * codec_png.c - PNG through libpng: every colour type and bit depth read,
 * u8 images written.
 *
 * Reading. What comes back is the library's decoder contract (image.h):
 * u8 [H,W,C] with palettes expanded to RGB, 1/2/4-bit grey scaled to 8 bits
 * (a 1-bit 1 is 255), a tRNS chunk turned into an alpha channel (grey ->
 * grey+alpha, RGB and palette -> RGBA), interlaced (Adam7) images
 * de-interlaced; 16-bit samples scaled to 8 bits as round(v * 255 / 65535)
 * = (v + 128) / 257, or, with keep_16bit, returned as they are in an i32
 * tensor. Ancillary chunks (gamma, colour profiles, text...) are skipped
 * without being parsed: the library does no colour management, and a chunk
 * never parsed cannot hurt. The whole file is checked: CRCs of critical
 * chunks, the zlib stream, and the trailing IEND (a truncated file is an
 * error even when all the pixels arrived).
 *
 * Safety. libpng reads from the caller's buffer through a read callback
 * that refuses to go past n bytes. Errors longjmp back to the setjmp in
 * run_read / run_write (libpng's own protocol) after the message is saved;
 * warnings are dropped, so libpng never prints. libpng allocates through the
 * library's allocator hooks. The pixel limit is checked from IHDR before
 * any pixel memory is allocated (libpng's own width / height limits are set
 * to the PNG maximum so that VN_LIMIT_MAX_PIXELS alone decides, with
 * VN_ERR_LIMIT), the number of stored ancillary chunks and the size of any
 * one chunk's allocation are bounded.
 *
 * Every variable that must survive a longjmp lives in a png_job reached
 * through a pointer, never in a local of the function that called setjmp
 * (C11 7.13.2.1: such locals are indeterminate after the jump).
 */
#include "image/codec_internal.h"

#if VN_HAVE_PNG

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/* Per-chunk allocation cap (decompressed ancillary chunks, palettes). */
#define PNG_CHUNK_MALLOC_MAX (8u * 1024 * 1024)
/* Ancillary chunks libpng may keep in memory. */
#define PNG_CHUNK_CACHE_MAX 128

static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

typedef struct png_job {
    /* input */
    const uint8_t *data;
    size_t n, pos;
    bool header_only, keep_16bit;
    /* libpng state, kept here so that it survives a longjmp */
    png_structp png;
    png_infop pinfo;
    char msg[200];
    vn_status fail;          /* status for the message, VN_ERR_FORMAT unless set */
    /* output */
    vn_image_info info;
    vn_tensor *tensor;       /* owned by the job until handed over */
    uint8_t *wide;           /* the 16-bit raster before conversion */
    png_bytep *rows;
    /* encoder output */
    uint8_t *buf;
    size_t len, cap;
} png_job;

static void on_error(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    snprintf(job->msg, sizeof job->msg, "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* the library never prints */
}

static png_voidp on_malloc(png_structp png, png_alloc_size_t size)
{
    (void)png;
    return vn__malloc(size);
}

static void on_free(png_structp png, png_voidp ptr)
{
    (void)png;
    vn__free(ptr);
}

static void on_read(png_structp png, png_bytep out, size_t len)
{
    png_job *job = png_get_io_ptr(png);
    if (len > job->n - job->pos)
        png_error(png, "file is truncated");
    memcpy(out, job->data + job->pos, len);
    job->pos += len;
}

static int probe_png(const uint8_t *head, size_t n, void *user_data)
{
    (void)user_data;
    return n >= 8 && memcmp(head, png_magic, 8) == 0 ? 100 : 0;
}

/* Channels after expansion (palette -> RGB, tRNS -> alpha). */
static int expanded_channels(int color_type, bool trns)
{
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return trns ? 2 : 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return trns ? 4 : 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    case PNG_COLOR_TYPE_PALETTE: return trns ? 4 : 3;
    }
    return 0;
}

/* Deflate expands at most 1032:1, so a file of n bytes cannot hold more
 * than about 1032 n bytes of filtered rows: a small file claiming a big
 * image is refused before the pixels are allocated (decompression bombs
 * and lying headers alike). */
static vn_status check_file_can_hold(size_t n, png_uint_32 w, png_uint_32 h, int depth, int ctype)
{
    int stored = ctype == PNG_COLOR_TYPE_PALETTE ? 1 : expanded_channels(ctype, false);
    uint64_t row = ((uint64_t)w * (uint64_t)stored * (uint64_t)depth + 7) / 8 + 1;
    uint64_t raw = row * h;
    if (raw / 1032 > n)
        return vn__error(VN_ERR_FORMAT, "png: %zu bytes cannot hold a %ux%u image (deflate shrinks at most 1032:1)",
                         n, (unsigned)w, (unsigned)h);
    return VN_OK;
}

/* 16-bit big-endian samples -> u8 (rounded) or i32 (as they are). */
static void convert_16(const uint8_t *wide, size_t count, vn_tensor *t)
{
    if (t->dtype == VN_U8) {
        uint8_t *d = t->data;
        for (size_t i = 0; i < count; i++)
            d[i] = (uint8_t)((((uint32_t)wide[2 * i] << 8 | wide[2 * i + 1]) + 128) / 257);
    } else {
        int32_t *d = t->data;
        for (size_t i = 0; i < count; i++)
            d[i] = (int32_t)((uint32_t)wide[2 * i] << 8 | wide[2 * i + 1]);
    }
}

/* Everything after setjmp. Its locals may be lost on a longjmp: only the
 * job's fields carry state out. Failures that are not libpng errors
 * (limit, memory) return a status. */
static vn_status read_steps(png_job *job)
{
    png_structp png = job->png;
    png_infop info = job->pinfo;
    png_set_read_fn(png, job, on_read);
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
    png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
    /* Skip every chunk but IHDR, PLTE, tRNS, IDAT and IEND unparsed. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* Fuzz builds only (fuzz/meson.build): let mutated data past the
     * checksums so the fuzzer reaches the code behind them, as libpng's own
     * fuzz target does. */
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif

    png_read_info(png, info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, ctype = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    bool trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    int channels = expanded_channels(ctype, trns);
    if (channels == 0)
        return vn__error(VN_ERR_FORMAT, "png: colour type %d is not valid", ctype);
    job->info.width = (int)w; /* libpng caps both at 2^31 - 1 */
    job->info.height = (int)h;
    job->info.channels = channels;
    job->info.bit_depth = depth;
    if (job->header_only)
        return VN_OK;

    VN_TRY(vn__check_pixels("png", w, h));
    VN_TRY(check_file_can_hold(job->n, w, h, depth, ctype));
    if (ctype == PNG_COLOR_TYPE_PALETTE || depth < 8 || trns)
        png_set_expand(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int out_depth = png_get_bit_depth(png, info);
    size_t row_bytes = png_get_rowbytes(png, info), expect = 0;
    if (png_get_channels(png, info) != channels || (out_depth != 8 && out_depth != 16) ||
        !vn__mul_size((size_t)w * (size_t)channels, (size_t)out_depth / 8, &expect) || row_bytes != expect)
        return vn__error(VN_ERR_INTERNAL, "png: libpng gives %d channels of %d bits, %zu bytes a row",
                         png_get_channels(png, info), out_depth, row_bytes);

    vn_dtype dtype = (out_depth == 16 && job->keep_16bit) ? VN_I32 : VN_U8;
    VN_TRY(vn__tensor_new3(dtype, h, w, channels, &job->tensor));
    uint8_t *raster = job->tensor->data;
    if (out_depth == 16) {
        size_t total;
        if (!vn__mul_size(row_bytes, h, &total))
            return vn__error(VN_ERR_LIMIT, "png: image is too large");
        if (!(job->wide = vn__alloc_or_error(total, "png: 16-bit raster")))
            return VN_ERR_NOMEM;
        raster = job->wide;
    }
    if (!(job->rows = vn__calloc(h, sizeof *job->rows)))
        return vn__error(VN_ERR_NOMEM, "png: out of memory for %u row pointers", (unsigned)h);
    for (png_uint_32 y = 0; y < h; y++)
        job->rows[y] = raster + (size_t)y * row_bytes;

    png_read_image(png, job->rows);
    png_read_end(png, NULL);
    if (out_depth == 16)
        convert_16(job->wide, job->tensor->numel, job->tensor);
    return VN_OK;
}

static vn_status run_read(png_job *job)
{
    job->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, job, on_error, on_warning, NULL,
                                        on_malloc, on_free);
    if (!job->png)
        return vn__error(VN_ERR_NOMEM, "png: cannot create the libpng reader");
    job->pinfo = png_create_info_struct(job->png);
    if (!job->pinfo) {
        png_destroy_read_struct(&job->png, NULL, NULL);
        return vn__error(VN_ERR_NOMEM, "png: cannot create the libpng reader");
    }
    vn_status s;
    if (setjmp(png_jmpbuf(job->png))) {
        s = vn__error(job->fail ? job->fail : VN_ERR_FORMAT, "png: %s", job->msg);
    } else {
        s = read_steps(job);
    }
    png_destroy_read_struct(&job->png, &job->pinfo, NULL);
    vn__free(job->rows);
    vn__free(job->wide);
    job->rows = NULL;
    job->wide = NULL;
    return s;
}

static vn_status info_png(const uint8_t *data, size_t n, vn_image_info *info, void *user_data)
{
    (void)user_data;
    png_job job;
    memset(&job, 0, sizeof job);
    job.data = data;
    job.n = n;
    job.header_only = true;
    VN_TRY(run_read(&job));
    info->width = job.info.width;
    info->height = job.info.height;
    info->channels = job.info.channels;
    info->bit_depth = job.info.bit_depth;
    return VN_OK;
}

static vn_status decode_png(const uint8_t *data, size_t n, const vn_decode_options *opts,
                            vn_tensor **out, void *user_data)
{
    (void)user_data;
    png_job job;
    memset(&job, 0, sizeof job);
    job.data = data;
    job.n = n;
    job.keep_16bit = opts && opts->keep_16bit;
    vn_status s = run_read(&job);
    if (s != VN_OK) {
        vn_tensor_destroy(job.tensor);
        return s;
    }
    *out = job.tensor;
    return VN_OK;
}

/* ---- writing ------------------------------------------------------------ */

static void on_write(png_structp png, png_bytep data, size_t len)
{
    png_job *job = png_get_io_ptr(png);
    if (len > job->cap - job->len) {
        size_t cap = job->cap ? job->cap : 4096;
        while (cap - job->len < len) {
            if (cap > SIZE_MAX / 2) {
                job->fail = VN_ERR_LIMIT;
                png_error(png, "encoded image is too large");
            }
            cap *= 2;
        }
        uint8_t *nb = vn__realloc(job->buf, cap);
        if (!nb) {
            job->fail = VN_ERR_NOMEM;
            png_error(png, "out of memory for the encoded image");
        }
        job->buf = nb;
        job->cap = cap;
    }
    memcpy(job->buf + job->len, data, len);
    job->len += len;
}

static void on_flush(png_structp png)
{
    (void)png;
}

static void write_steps(png_job *job, const vn_tensor *image, int level)
{
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                 PNG_COLOR_TYPE_RGB_ALPHA};
    png_structp png = job->png;
    png_set_write_fn(png, job, on_write, on_flush);
    png_set_IHDR(png, job->pinfo, (png_uint_32)image->shape[1], (png_uint_32)image->shape[0], 8,
                 types[image->shape[2]], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    png_write_info(png, job->pinfo);
    png_write_image(png, job->rows);
    png_write_end(png, NULL);
}

static vn_status run_write(png_job *job, const vn_tensor *image, int level)
{
    job->png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, job, on_error, on_warning, NULL,
                                         on_malloc, on_free);
    if (job->png)
        job->pinfo = png_create_info_struct(job->png);
    vn_status s = VN_OK;
    if (!job->png || !job->pinfo)
        s = vn__error(VN_ERR_NOMEM, "png: cannot create the libpng writer");
    else if (setjmp(png_jmpbuf(job->png)))
        s = vn__error(job->fail ? job->fail : VN_ERR_INTERNAL, "png: %s", job->msg);
    else
        write_steps(job, image, level);
    png_destroy_write_struct(&job->png, &job->pinfo);
    return s;
}

static vn_status encode_png(const vn_tensor *image, const vn_encode_options *opts, void **bytes,
                            size_t *n, void *user_data)
{
    (void)user_data;
    int64_t h = image->shape[0], w = image->shape[1], c = image->shape[2];
    if (c < 1 || c > 4)
        return vn__error(VN_ERR_UNSUPPORTED, "png: cannot write %lld channels", (long long)c);
    if (h > PNG_UINT_31_MAX || w > PNG_UINT_31_MAX)
        return vn__error(VN_ERR_UNSUPPORTED, "png: %lldx%lld is larger than PNG allows", (long long)w,
                         (long long)h);
    int level = opts ? VN_MAX(0, VN_MIN(9, opts->compression)) : 6;
    png_job job;
    memset(&job, 0, sizeof job);
    if (!(job.rows = vn__calloc((size_t)h, sizeof *job.rows)))
        return vn__error(VN_ERR_NOMEM, "png: out of memory for %lld row pointers", (long long)h);
    for (int64_t y = 0; y < h; y++)
        job.rows[y] = (uint8_t *)image->data + (size_t)y * (size_t)w * (size_t)c;
    vn_status s = run_write(&job, image, level);
    vn__free(job.rows);
    if (s != VN_OK) {
        vn__free(job.buf);
        return s;
    }
    *bytes = job.buf;
    *n = job.len;
    return VN_OK;
}

const vn_codec vn__codec_png = {
    .size = sizeof(vn_codec),
    .name = "png",
    .extensions = "png",
    .probe = probe_png,
    .info = info_png,
    .decode = decode_png,
    .encode = encode_png,
    .user_data = NULL,
};

#endif /* VN_HAVE_PNG */
