/*
 * custom_codec.c - teach libvisionnet a new image format.
 *
 *   cc custom_codec.c $(pkg-config --cflags --libs visionnet) -o custom_codec
 *   ./custom_codec /tmp/example.vnt
 *
 * The format here is made up and tiny ("VNT"): the magic "VNT1", one byte
 * of channels (1..4), width and height as 16-bit little-endian numbers, then
 * the u8 samples row by row, channels interleaved. The program registers a
 * codec for it, writes an image with vn_image_write() (the ".vnt" extension
 * picks the encoder), reads it back with vn_image_read() (the magic picks
 * the decoder: the name of the file plays no part) and checks the pixels.
 *
 * The contract of every callback is in the comment above vn_codec in
 * visionnet/image.h and in docs/codecs.md.
 */
#include <visionnet.h>

#include <stdio.h>
#include <string.h>

#define VNT_HEADER 9 /* magic 4 + channels 1 + width 2 + height 2 */

/* How sure are we that these bytes are ours? Read at most n bytes. */
static int vnt_probe(const uint8_t *head, size_t n, void *user_data)
{
    (void)user_data;
    return n >= 4 && memcmp(head, "VNT1", 4) == 0 ? 100 : 0;
}

/* Header only: the registry checks the pixel limit against it before decode. */
static vn_status vnt_info(const uint8_t *data, size_t n, vn_image_info *info, void *user_data)
{
    (void)user_data;
    if (n < VNT_HEADER || memcmp(data, "VNT1", 4) != 0)
        return VN_ERR_FORMAT;
    int channels = data[4];
    int width = data[5] | data[6] << 8;
    int height = data[7] | data[8] << 8;
    if (channels < 1 || channels > 4 || width == 0 || height == 0)
        return VN_ERR_FORMAT;
    info->width = width;
    info->height = height;
    info->channels = channels;
    info->bit_depth = 8;
    return VN_OK;
}

/* The whole image into a new u8 [H, W, C] tensor; never read past n bytes. */
static vn_status vnt_decode(const uint8_t *data, size_t n, const vn_decode_options *opts,
                            vn_tensor **out, void *user_data)
{
    (void)opts; /* channel conversion is left to the registry */
    vn_image_info info = VN_IMAGE_INFO_INIT;
    vn_status s = vnt_info(data, n, &info, user_data);
    if (s != VN_OK)
        return s;
    size_t bytes = (size_t)info.width * (size_t)info.height * (size_t)info.channels;
    if (n - VNT_HEADER < bytes)
        return VN_ERR_FORMAT; /* truncated */

    int64_t shape[3] = {info.height, info.width, info.channels};
    vn_tensor *t = NULL;
    s = vn_tensor_create(VN_U8, 3, shape, &t);
    if (s != VN_OK)
        return s;
    memcpy(vn_tensor_data(t), data + VNT_HEADER, bytes);
    *out = t;
    return VN_OK;
}

/* A u8 [H, W, C] image (the registry checked that, and views a 2-D [H, W]
 * image as one channel) into a buffer from vn_malloc(). */
static vn_status vnt_encode(const vn_tensor *image, const vn_encode_options *opts,
                            void **bytes, size_t *n, void *user_data)
{
    (void)opts;
    (void)user_data;
    int64_t h = vn_tensor_dim(image, 0), w = vn_tensor_dim(image, 1);
    int64_t c = vn_tensor_dim(image, 2);
    if (h > 65535 || w > 65535)
        return VN_ERR_UNSUPPORTED; /* the format's 16-bit sizes cannot hold it */

    size_t size = VNT_HEADER + vn_tensor_nbytes(image);
    uint8_t *buf = vn_malloc(size);
    if (!buf)
        return VN_ERR_NOMEM;
    memcpy(buf, "VNT1", 4);
    buf[4] = (uint8_t)c;
    buf[5] = (uint8_t)(w & 0xff);
    buf[6] = (uint8_t)(w >> 8);
    buf[7] = (uint8_t)(h & 0xff);
    buf[8] = (uint8_t)(h >> 8);
    memcpy(buf + VNT_HEADER, vn_tensor_data_const(image), vn_tensor_nbytes(image));
    *bytes = buf;
    *n = size;
    return VN_OK;
}

static int fail(const char *what, vn_status status)
{
    fprintf(stderr, "custom_codec: %s: %s (%s)\n", what, vn_last_error(), vn_status_str(status));
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "example.vnt";

    /* The registry copies the struct; the strings are static, so they
     * outlive the registration as they must. */
    vn_codec codec = {
        .size = sizeof(vn_codec),
        .name = "vnt",
        .extensions = "vnt",
        .probe = vnt_probe,
        .info = vnt_info,
        .decode = vnt_decode,
        .encode = vnt_encode,
        .user_data = NULL,
    };
    vn_status s = vn_codec_register(&codec);
    if (s != VN_OK)
        return fail("register", s);

    /* A 3 x 4 RGB test picture. */
    int rc = 1;
    vn_tensor *picture = NULL, *back = NULL, *gray = NULL;
    int64_t shape[3] = {3, 4, 3};
    s = vn_tensor_create(VN_U8, 3, shape, &picture);
    if (s != VN_OK) {
        rc = fail("create", s);
        goto done;
    }
    uint8_t *px = vn_tensor_data(picture);
    for (size_t i = 0; i < vn_tensor_numel(picture); i++)
        px[i] = (uint8_t)(i * 7);

    s = vn_image_write(path, picture, NULL);
    if (s != VN_OK) {
        rc = fail(path, s);
        goto done;
    }

    vn_image_info info = VN_IMAGE_INFO_INIT;
    s = vn_image_info_read(path, &info);
    if (s != VN_OK) {
        rc = fail(path, s);
        goto done;
    }
    printf("%s: %d x %d, %d channel(s), %d-bit, codec %s\n", path, info.width, info.height,
           info.channels, info.bit_depth, info.codec);

    s = vn_image_read(path, NULL, &back);
    if (s != VN_OK) {
        rc = fail(path, s);
        goto done;
    }
    if (vn_tensor_nbytes(back) != vn_tensor_nbytes(picture) ||
        memcmp(vn_tensor_data(back), px, vn_tensor_nbytes(picture)) != 0) {
        fprintf(stderr, "custom_codec: the pixels read back differ from those written\n");
        goto done;
    }

    /* The codec ignores opts->channels; the registry converts for it. */
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    opts.channels = 1;
    s = vn_image_read(path, &opts, &gray);
    if (s != VN_OK) {
        rc = fail(path, s);
        goto done;
    }
    if (vn_tensor_ndim(gray) != 3 || vn_tensor_dim(gray, 2) != 1) {
        fprintf(stderr, "custom_codec: asked for 1 channel, got another shape\n");
        goto done;
    }
    printf("read back through vn_image_read: identical; as gray: %lld x %lld x 1\n",
           (long long)vn_tensor_dim(gray, 0), (long long)vn_tensor_dim(gray, 1));
    rc = 0;

done:
    vn_tensor_destroy(gray);
    vn_tensor_destroy(back);
    vn_tensor_destroy(picture);
    vn_codec_unregister("vnt");
    return rc;
}
