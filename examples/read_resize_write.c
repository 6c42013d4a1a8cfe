/*
 * read_resize_write.c - read an image, resize it with bilinear
 * interpolation, write the result.
 *
 *   cc read_resize_write.c $(pkg-config --cflags --libs visionnet) -o read_resize_write
 *   ./read_resize_write photo.jpg small.png 64 48
 *
 * The decoder is chosen by the input file's content, the encoder by the
 * output file's extension (".png" writes PNG). Every call returns a
 * vn_status; on failure vn_last_error() says what went wrong and where.
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>

/* The message names the file or the operation that failed. */
static int fail(vn_status status)
{
    fprintf(stderr, "read_resize_write: %s (%s)\n", vn_last_error(), vn_status_str(status));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: read_resize_write INPUT OUTPUT.png WIDTH HEIGHT\n");
        return 2;
    }
    const char *in_path = argv[1], *out_path = argv[2];
    int width = atoi(argv[3]), height = atoi(argv[4]);
    if (width <= 0 || height <= 0) {
        fprintf(stderr, "read_resize_write: WIDTH and HEIGHT must be positive\n");
        return 2;
    }

    int rc = 1;
    vn_tensor *image = NULL, *small = NULL;

    /* NULL options: the file's own channels, 16-bit samples scaled to 8. */
    vn_status s = vn_image_read(in_path, NULL, &image);
    if (s != VN_OK) {
        rc = fail(s);
        goto done;
    }
    printf("%s: %lld x %lld pixels, %lld channel(s)\n", in_path,
           (long long)vn_tensor_dim(image, 1), (long long)vn_tensor_dim(image, 0),
           (long long)vn_tensor_dim(image, 2));

    /* Images are u8 [H, W, C]: the height comes first. */
    s = vn_image_resize(image, height, width, VN_INTERP_BILINEAR, &small);
    if (s != VN_OK) {
        rc = fail(s);
        goto done;
    }

    s = vn_image_write(out_path, small, NULL);
    if (s != VN_OK) {
        rc = fail(s);
        goto done;
    }
    printf("%s: %d x %d pixels written\n", out_path, width, height);
    rc = 0;

done:
    /* The tensors are ours; destroying NULL is a no-op. */
    vn_tensor_destroy(small);
    vn_tensor_destroy(image);
    return rc;
}
