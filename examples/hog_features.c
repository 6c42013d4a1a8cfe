/*
 * hog_features.c - the HOG descriptor of an image, in both conventions,
 * a sliding-window (dense) HOG, and a picture of the descriptor.
 *
 *   cc hog_features.c $(pkg-config --cflags --libs visionnet) -o hog_features
 *   ./hog_features [photo.png [hog.png]]
 *
 * Without arguments a synthetic 128x96 image (a bright disc on a dark
 * background) is described. The life cycle is VLFeat's: create with
 * parameters, put an image, ask the size, extract into your own memory,
 * destroy.
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, vn_status s)
{
    fprintf(stderr, "hog_features: %s: %s (%s)\n", what, vn_last_error(), vn_status_str(s));
    return 1;
}

/* A bright disc on a dark background, u8 [128, 96]. */
static vn_status make_disc(vn_tensor **out)
{
    vn_status s = vn_tensor_create(VN_U8, 2, (int64_t[]){128, 96}, out);
    if (s != VN_OK)
        return s;
    uint8_t *p = vn_tensor_data(*out);
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 96; x++)
            p[y * 96 + x] = (x - 48) * (x - 48) + (y - 64) * (y - 64) < 30 * 30 ? 220 : 30;
    return VN_OK;
}

int main(int argc, char **argv)
{
    vn_tensor *image = NULL;
    vn_status s = argc > 1 ? vn_image_read(argv[1], NULL, &image) : make_disc(&image);
    if (s != VN_OK)
        return fail(argc > 1 ? argv[1] : "image", s);

    /* skimage.feature.hog(image, 9, (8, 8), (2, 2), 'L2-Hys') */
    vn_hog_options opts = VN_HOG_OPTIONS_INIT;
    opts.orientations = 9;
    opts.cell_h = opts.cell_w = 8;
    opts.block_h = opts.block_w = 2;
    opts.norm = VN_HOG_NORM_L2_HYS;
    vn_hog *hog = NULL;
    if ((s = vn_hog_create(&opts, &hog)) != VN_OK)
        return fail("vn_hog_create", s);
    if ((s = vn_hog_put_image(hog, image)) != VN_OK)
        return fail("vn_hog_put_image", s);
    size_t n = vn_hog_get_size(hog);
    float *descriptor = malloc(n * sizeof *descriptor);
    if (!descriptor || (s = vn_hog_extract(hog, descriptor, n)) != VN_OK)
        return fail("vn_hog_extract", s);
    int blocks_y, blocks_x, block_length;
    vn_hog_get_grid(hog, &blocks_y, &blocks_x, &block_length);
    printf("skimage convention: %zu values (%d x %d blocks of %d)\n", n, blocks_y, blocks_x, block_length);

    /* A picture of it: star glyphs, 16 pixels per cell. */
    if (argc > 2) {
        vn_tensor *picture = NULL;
        if ((s = vn_hog_render(hog, 16, &picture)) != VN_OK)
            return fail("vn_hog_render", s);
        if ((s = vn_image_write(argv[2], picture, NULL)) != VN_OK)
            return fail(argv[2], s);
        vn_tensor_destroy(picture);
    }
    free(descriptor);
    vn_hog_destroy(hog);

    /* cv::HOGDescriptor() from a string; sliding 64x128 windows every 8 pixels. */
    vn_hog *people = NULL;
    if ((s = vn_hog_create_from_string("convention=opencv", &people)) != VN_OK)
        return fail("vn_hog_create_from_string", s);
    if ((s = vn_hog_put_image(people, image)) != VN_OK)
        return fail("vn_hog_put_image", s);
    vn_tensor *windows = NULL;
    s = vn_hog_extract_dense(people, 128, 64, 8, 8, &windows);
    if (s == VN_OK)
        printf("opencv convention: %lld x %lld windows of %lld values\n", (long long)vn_tensor_dim(windows, 0),
               (long long)vn_tensor_dim(windows, 1), (long long)vn_tensor_dim(windows, 2));
    else if (s == VN_ERR_SHAPE)
        printf("opencv convention: the image is smaller than one 64x128 window\n");
    else
        return fail("vn_hog_extract_dense", s);
    vn_tensor_destroy(windows);
    vn_hog_destroy(people);
    vn_tensor_destroy(image);
    return 0;
}
