/*
 * codec_jpeg.c - JPEG through the libjpeg API (libjpeg-turbo): baseline,
 * progressive and arithmetic-coded 8-bit files read, grey and RGB written.
 *
 * Reading. What comes back is u8 [H,W,1] for a grey file and u8 [H,W,3]
 * RGB for everything else, decoded with libjpeg's defaults (accurate
 * integer IDCT, fancy upsampling) so the pixels are those of
 * cv2.imdecode / djpeg. Four-component files are converted to RGB rather
 * than refused: libjpeg turns YCCK into CMYK, then R = C*K/255 (and so on,
 * rounded) on the inverted samples that Adobe writes - a file is taken to
 * be inverted when it carries an Adobe APP14 marker (every CMYK / YCCK
 * file Photoshop and libjpeg write does), otherwise R = (255-C)(255-K)/255,
 * as Pillow does. Other component counts and 12-bit files are refused.
 *
 * Corrupt data. libjpeg reports a damaged entropy stream or a truncated
 * file as a warning and goes on with grey pixels; this codec makes those
 * warnings errors (VN_ERR_FORMAT), so a damaged file never decodes to a
 * plausible picture. Harmless warnings (extraneous bytes before a marker,
 * an unknown JFIF revision or Adobe transform, a bad ICC marker, which is
 * not read) are ignored.
 *
 * Safety. Errors longjmp back from libjpeg's error_exit to run_decode /
 * run_encode after the message is saved; output_message stays silent, so
 * libjpeg never prints or exits. The pixel limit is checked from the frame
 * header before jpeg_start_decompress allocates anything. Progressive files
 * are bounded twice, as libjpeg-turbo's own fuzz targets do: at most
 * MAX_SCANS scans (a file of thousands of tiny scans is a CPU bomb), and
 * libjpeg's memory manager may not hold more than the pixel limit needs
 * (mem->max_memory_to_use; its coefficient buffers are the large part).
 *
 * A Huffman-coded file too small to hold one bit per MCU of the size its
 * header claims is refused before the pixels are allocated. libjpeg's own
 * working memory comes from malloc (its memory manager has no hook); the
 * pixels, the state and the encoded bytes go through the allocator hooks.
 *
 * Every variable that must survive a longjmp lives in a job struct reached
 * through a pointer (C11 7.13.2.1).
 */
#include "image/codec_internal.h"

#if VN_HAVE_JPEG

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
/* jpeglib.h needs size_t and FILE declared first. */
#include <jpeglib.h>
#include <jerror.h>

/* More scans than any real encoder writes (mozjpeg's optimised scripts use
 * a few dozen); libjpeg-turbo's fuzzers cap at 500. */
#define MAX_SCANS 256
/* libjpeg's working memory beyond its coefficient buffers. */
#define JPEG_MEMORY_SLACK (64u * 1024 * 1024)
/* Largest dimension libjpeg handles. */
#define JPEG_MAX_SIDE 65500

typedef struct jpeg_job {
    struct jpeg_error_mgr err;   /* first: libjpeg hands it back as cinfo->err */
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX + 64];
    vn_status fail;              /* status for the message, VN_ERR_FORMAT unless set */
    struct jpeg_progress_mgr progress;
    struct jpeg_decompress_struct d;
    struct jpeg_compress_struct c;
    struct jpeg_destination_mgr dest;
    bool created;
    /* input */
    const uint8_t *data;
    size_t n;
    bool header_only;
    /* output */
    vn_image_info info;
    vn_tensor *tensor;           /* owned by the job until handed over */
    uint8_t *row;                /* one CMYK row */
    /* encoder */
    const vn_tensor *image;
    int quality;
    uint8_t *buf;
    size_t cap, len;
} jpeg_job;

static void on_error_exit(j_common_ptr cinfo)
{
    jpeg_job *job = (jpeg_job *)cinfo->err;
    cinfo->err->format_message(cinfo, job->msg);
    if (!job->fail) {
        switch (cinfo->err->msg_code) {
        case JERR_NO_BACKING_STORE: /* max_memory_to_use reached */
            job->fail = VN_ERR_LIMIT;
            snprintf(job->msg, sizeof job->msg, "the image needs more memory than its pixel count allows");
            break;
        case JERR_OUT_OF_MEMORY: job->fail = VN_ERR_NOMEM; break;
        case JERR_BAD_PRECISION:
        case JERR_ARITH_NOTIMPL:
        case JERR_NOT_COMPILED: job->fail = VN_ERR_UNSUPPORTED; break;
        default: job->fail = VN_ERR_FORMAT; break;
        }
    }
    longjmp(job->jmp, 1);
}

/* Warnings that mean the pixels are wrong: they end the decode. */
static bool fatal_warning(int code)
{
    switch (code) {
    case JWRN_JPEG_EOF:
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_BOGUS_PROGRESSION:
        return true;
    }
    return false;
}

static void on_emit_message(j_common_ptr cinfo, int level)
{
    if (level < 0) {
        cinfo->err->num_warnings++;
        if (fatal_warning(cinfo->err->msg_code)) {
            ((jpeg_job *)cinfo->err)->fail = VN_ERR_FORMAT;
            on_error_exit(cinfo);
        }
    }
    /* Trace messages (level >= 0) and benign warnings are dropped. */
}

static void on_output_message(j_common_ptr cinfo)
{
    (void)cinfo; /* the library never prints */
}

static void on_progress(j_common_ptr cinfo)
{
    if (!cinfo->is_decompressor)
        return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > MAX_SCANS) {
        jpeg_job *job = (jpeg_job *)cinfo->err;
        job->fail = VN_ERR_LIMIT;
        snprintf(job->msg, sizeof job->msg, "more than %d scans", MAX_SCANS);
        longjmp(job->jmp, 1);
    }
}

static void setup_errors(jpeg_job *job)
{
    jpeg_std_error(&job->err);
    job->err.error_exit = on_error_exit;
    job->err.emit_message = on_emit_message;
    job->err.output_message = on_output_message;
}

static int probe_jpeg(const uint8_t *head, size_t n, void *user_data)
{
    (void)user_data;
    return n >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff ? 100 : 0;
}

/* R, G, B of a CMYK sample as libjpeg returns it. */
static void cmyk_row_to_rgb(const uint8_t *src, uint8_t *dst, size_t width, bool inverted)
{
    for (size_t x = 0; x < width; x++, src += 4, dst += 3) {
        unsigned k = inverted ? src[3] : 255u - src[3];
        for (int i = 0; i < 3; i++) {
            unsigned c = inverted ? src[i] : 255u - src[i];
            dst[i] = (uint8_t)((c * k + 127) / 255);
        }
    }
}

/* Everything after setjmp; its locals may be lost on a longjmp. */
static vn_status decode_steps(jpeg_job *job)
{
    j_decompress_ptr d = &job->d;
    d->err = &job->err;
    jpeg_create_decompress(d);
    job->created = true;
    job->progress.progress_monitor = on_progress;
    d->progress = &job->progress;
    jpeg_mem_src(d, job->data, (unsigned long)job->n);
    jpeg_read_header(d, TRUE);

    int channels;
    switch (d->jpeg_color_space) {
    case JCS_GRAYSCALE: d->out_color_space = JCS_GRAYSCALE; channels = 1; break;
    case JCS_YCbCr:
    case JCS_RGB: d->out_color_space = JCS_RGB; channels = 3; break;
    case JCS_CMYK:
    case JCS_YCCK: d->out_color_space = JCS_CMYK; channels = 3; break;
    default:
        return vn__error(VN_ERR_UNSUPPORTED, "jpeg: %d colour components are not supported",
                         d->num_components);
    }
    job->info.width = (int)d->image_width; /* libjpeg caps both at 65500 */
    job->info.height = (int)d->image_height;
    job->info.channels = channels;
    job->info.bit_depth = d->data_precision;
    if (job->header_only)
        return VN_OK;

    VN_TRY(vn__check_pixels("jpeg", d->image_width, d->image_height));
    /* With Huffman coding every MCU costs at least one bit (its first DC
     * code), so a small file claiming a big image is refused before the
     * pixels are allocated. Arithmetic coding has no such floor. */
    uint64_t mcus = (uint64_t)((d->image_width + 8 * d->max_h_samp_factor - 1) / (8 * d->max_h_samp_factor)) *
                    ((d->image_height + 8 * d->max_v_samp_factor - 1) / (8 * d->max_v_samp_factor));
    if (!d->arith_code && (uint64_t)job->n * 8 < mcus)
        return vn__error(VN_ERR_FORMAT, "jpeg: %zu bytes cannot hold a %ux%u image", job->n,
                         d->image_width, d->image_height);
    /* Room for the coefficient buffers of an image at the pixel limit:
     * 2 bytes per coefficient, up to 4 components. */
    uint64_t budget = vn__limit(VN_LIMIT_MAX_PIXELS);
    budget = budget > (uint64_t)(LONG_MAX - JPEG_MEMORY_SLACK) / 8 ? (uint64_t)LONG_MAX
                                                                    : budget * 8 + JPEG_MEMORY_SLACK;
    d->mem->max_memory_to_use = (long)budget;

    jpeg_start_decompress(d);
    bool cmyk = d->out_color_space == JCS_CMYK;
    if (d->output_width != d->image_width || d->output_height != d->image_height ||
        d->output_components != (cmyk ? 4 : channels))
        return vn__error(VN_ERR_INTERNAL, "jpeg: libjpeg gives %ux%u with %d components",
                         d->output_width, d->output_height, d->output_components);
    size_t w = d->output_width;
    VN_TRY(vn__tensor_new3(VN_U8, d->output_height, d->output_width, channels, &job->tensor));
    if (cmyk && !(job->row = vn__alloc_or_error(w * 4, "jpeg: CMYK row")))
        return VN_ERR_NOMEM;
    uint8_t *pixels = job->tensor->data;
    while (d->output_scanline < d->output_height) {
        uint8_t *dst = pixels + (size_t)d->output_scanline * w * (size_t)channels;
        JSAMPROW row = cmyk ? job->row : dst;
        if (jpeg_read_scanlines(d, &row, 1) != 1)
            return vn__error(VN_ERR_FORMAT, "jpeg: the decoder stopped at row %u", d->output_scanline);
        if (cmyk)
            cmyk_row_to_rgb(job->row, dst, w, d->saw_Adobe_marker);
    }
    jpeg_finish_decompress(d);
    return VN_OK;
}

static vn_status run_decode(jpeg_job *job)
{
    setup_errors(job);
    vn_status s;
    if (setjmp(job->jmp))
        s = vn__error(job->fail ? job->fail : VN_ERR_FORMAT, "jpeg: %s", job->msg);
    else
        s = decode_steps(job);
    if (job->created)
        jpeg_destroy_decompress(&job->d);
    vn__free(job->row);
    job->row = NULL;
    return s;
}

/* The job is large (two libjpeg structs): it lives on the heap. */
static jpeg_job *job_new(void)
{
    jpeg_job *job = vn__alloc_or_error(sizeof *job, "jpeg: decoder state");
    if (job)
        memset(job, 0, sizeof *job);
    return job;
}

static vn_status info_jpeg(const uint8_t *data, size_t n, vn_image_info *info, void *user_data)
{
    (void)user_data;
    jpeg_job *job = job_new();
    if (!job)
        return VN_ERR_NOMEM;
    job->data = data;
    job->n = n;
    job->header_only = true;
    vn_status s = run_decode(job);
    if (s == VN_OK) {
        info->width = job->info.width;
        info->height = job->info.height;
        info->channels = job->info.channels;
        info->bit_depth = job->info.bit_depth;
    }
    vn__free(job);
    return s;
}

static vn_status decode_jpeg(const uint8_t *data, size_t n, const vn_decode_options *opts,
                             vn_tensor **out, void *user_data)
{
    (void)opts; /* no 16-bit JPEG; channel counts are converted by the registry */
    (void)user_data;
    jpeg_job *job = job_new();
    if (!job)
        return VN_ERR_NOMEM;
    job->data = data;
    job->n = n;
    vn_status s = run_decode(job);
    if (s == VN_OK)
        *out = job->tensor;
    else
        vn_tensor_destroy(job->tensor);
    vn__free(job);
    return s;
}

/* ---- writing: a destination manager growing a vn__malloc'ed buffer ---- */

static jpeg_job *dest_job(j_compress_ptr c)
{
    return (jpeg_job *)c->err;
}

static void dest_init(j_compress_ptr c)
{
    jpeg_job *job = dest_job(c);
    job->cap = 65536;
    job->buf = vn__malloc(job->cap);
    if (!job->buf) {
        job->fail = VN_ERR_NOMEM;
        ERREXIT1(c, JERR_OUT_OF_MEMORY, 0);
    }
    job->dest.next_output_byte = job->buf;
    job->dest.free_in_buffer = job->cap;
}

/* Called when the buffer is full: double it. */
static boolean dest_empty(j_compress_ptr c)
{
    jpeg_job *job = dest_job(c);
    size_t used = job->cap;
    uint8_t *nb = job->cap <= SIZE_MAX / 2 ? vn__realloc(job->buf, job->cap * 2) : NULL;
    if (!nb) {
        job->fail = VN_ERR_NOMEM;
        ERREXIT1(c, JERR_OUT_OF_MEMORY, 1);
    }
    job->buf = nb;
    job->cap *= 2;
    job->dest.next_output_byte = job->buf + used;
    job->dest.free_in_buffer = job->cap - used;
    return TRUE;
}

static void dest_term(j_compress_ptr c)
{
    jpeg_job *job = dest_job(c);
    job->len = job->cap - job->dest.free_in_buffer;
}

static void encode_steps(jpeg_job *job)
{
    j_compress_ptr c = &job->c;
    const vn_tensor *img = job->image;
    c->err = &job->err;
    jpeg_create_compress(c);
    job->created = true;
    job->dest.init_destination = dest_init;
    job->dest.empty_output_buffer = dest_empty;
    job->dest.term_destination = dest_term;
    c->dest = &job->dest;
    c->image_width = (JDIMENSION)img->shape[1];
    c->image_height = (JDIMENSION)img->shape[0];
    c->input_components = (int)img->shape[2];
    c->in_color_space = img->shape[2] == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, job->quality, TRUE);
    jpeg_start_compress(c, TRUE);
    size_t stride = (size_t)img->shape[1] * (size_t)img->shape[2];
    while (c->next_scanline < c->image_height) {
        JSAMPROW row = (uint8_t *)img->data + (size_t)c->next_scanline * stride;
        jpeg_write_scanlines(c, &row, 1);
    }
    jpeg_finish_compress(c);
}

static vn_status run_encode(jpeg_job *job)
{
    setup_errors(job);
    vn_status s = VN_OK;
    if (setjmp(job->jmp))
        s = vn__error(job->fail && job->fail != VN_ERR_FORMAT ? job->fail : VN_ERR_INTERNAL, "jpeg: %s",
                      job->msg);
    else
        encode_steps(job);
    if (job->created)
        jpeg_destroy_compress(&job->c);
    return s;
}

static vn_status encode_jpeg(const vn_tensor *image, const vn_encode_options *opts, void **bytes,
                             size_t *n, void *user_data)
{
    (void)user_data;
    int64_t h = image->shape[0], w = image->shape[1], ch = image->shape[2];
    if (ch != 1 && ch != 3)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "jpeg: writes 1 (grey) or 3 (RGB) channels, not %lld (see vn_image_convert_channels)",
                         (long long)ch);
    if (h > JPEG_MAX_SIDE || w > JPEG_MAX_SIDE)
        return vn__error(VN_ERR_UNSUPPORTED, "jpeg: %lldx%lld is larger than JPEG allows (%d)",
                         (long long)w, (long long)h, JPEG_MAX_SIDE);
    jpeg_job *job = job_new();
    if (!job)
        return VN_ERR_NOMEM;
    job->image = image;
    job->quality = opts ? VN_MAX(1, VN_MIN(100, opts->quality)) : 90;
    vn_status s = run_encode(job);
    if (s == VN_OK) {
        *bytes = job->buf;
        *n = job->len;
    } else {
        vn__free(job->buf);
    }
    vn__free(job);
    return s;
}

const vn_codec vn__codec_jpeg = {
    .size = sizeof(vn_codec),
    .name = "jpeg",
    .extensions = "jpg,jpeg,jpe,jfif",
    .probe = probe_jpeg,
    .info = info_jpeg,
    .decode = decode_jpeg,
    .encode = encode_jpeg,
    .user_data = NULL,
};

#endif /* VN_HAVE_JPEG */
