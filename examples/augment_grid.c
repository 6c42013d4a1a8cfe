/*
 * augment_grid.c - build an augmentation pipeline two ways (a spec string,
 * typed calls), run it on a batch, follow a bounding box through a flip,
 * and mix a batch with mixup for soft targets.
 *
 *   cc augment_grid.c $(pkg-config --cflags --libs visionnet) -o augment_grid
 *   ./augment_grid [OUT.png]
 *
 * With OUT.png it writes the first augmented image there. The input is a
 * synthetic 64x64 RGB picture, so the program runs anywhere.
 */
#include <visionnet.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, vn_status status)
{
    fprintf(stderr, "augment_grid: %s: %s (%s)\n", what, vn_last_error(), vn_status_str(status));
    return 1;
}

int main(int argc, char **argv)
{
    /* A batch of 8 copies of a 64x64 RGB gradient: u8 [N, H, W, C]. */
    int64_t shape[4] = {8, 64, 64, 3};
    vn_tensor *batch = NULL;
    vn_status s = vn_tensor_create(VN_U8, 4, shape, &batch);
    if (s != VN_OK)
        return fail("create", s);
    uint8_t *px = vn_tensor_data(batch);
    for (size_t i = 0; i < vn_tensor_numel(batch); i++)
        px[i] = (uint8_t)((i % 192) + (i / 12288) * 8);

    /* The pipeline from a spec string: ops separated by ';', each with its
     * own probability p. */
    vn_augment *aug = NULL;
    s = vn_augment_from_spec("random_resized_crop size=48 scale=0.5,1; hflip p=0.5; "
                             "rotate deg=15; color_jitter b=0.4 c=0.4 s=0.4 h=0.1", &aug);
    if (s != VN_OK)
        return fail("spec", s);

    /* Typed calls append more ops. */
    vn_augment_erase_options erase = VN_AUGMENT_ERASE_OPTIONS_INIT;
    erase.p = 0.25f;
    s = vn_augment_add_erase(aug, &erase);
    if (s == VN_OK)
        s = vn_augment_add_gaussian_noise(aug, 0.02f, 1.0f);
    if (s != VN_OK)
        return fail("add", s);

    /* Sample n of the batch draws its randomness from (seed, epoch, n):
     * the same on any number of threads and for any batch split. */
    vn_tensor *out = NULL;
    uint64_t seed = 7, epoch = 0;
    s = vn_augment_apply(aug, batch, seed, epoch, 0, &out);
    if (s != VN_OK)
        return fail("apply", s);
    printf("augmented batch: %lld x %lld x %lld x %lld\n", (long long)vn_tensor_dim(out, 0),
           (long long)vn_tensor_dim(out, 1), (long long)vn_tensor_dim(out, 2),
           (long long)vn_tensor_dim(out, 3));

    /* A bounding box [x1, y1, x2, y2] follows the geometric ops. */
    vn_augment *flip = NULL;
    vn_tensor *one = NULL, *box = NULL, *flipped = NULL, *box_out = NULL;
    int64_t img_shape[3] = {64, 64, 3}, box_shape[2] = {1, 4};
    float corners[4] = {8, 16, 24, 40};
    s = vn_augment_from_spec("hflip p=1", &flip);
    if (s == VN_OK)
        s = vn_tensor_wrap(VN_U8, 3, img_shape, px, NULL, NULL, &one);
    if (s == VN_OK)
        s = vn_tensor_wrap(VN_F32, 2, box_shape, corners, NULL, NULL, &box);
    if (s == VN_OK)
        s = vn_augment_apply_sample_ex(flip, one, seed, epoch, 0, box, NULL, &flipped, &box_out,
                                       NULL);
    if (s != VN_OK)
        return fail("boxes", s);
    const float *b = vn_tensor_data(box_out);
    printf("box after hflip: [%g, %g, %g, %g]\n", b[0], b[1], b[2], b[3]);

    /* Mixup on a batch gives soft targets for vn_loss_cross_entropy. */
    int64_t label_shape[1] = {8};
    vn_tensor *labels = NULL, *mixed = NULL, *targets = NULL;
    s = vn_tensor_create(VN_I32, 1, label_shape, &labels);
    if (s == VN_OK) {
        int32_t *l = vn_tensor_data(labels);
        for (int i = 0; i < 8; i++)
            l[i] = i % 4;
        s = vn_augment_mix_batch(VN_MIX_MIXUP, 0.4f, out, labels, 4, seed, 0, &mixed, &targets);
    }
    if (s != VN_OK)
        return fail("mixup", s);
    const float *t = vn_tensor_data(targets);
    printf("soft target of sample 1: [%.3f, %.3f, %.3f, %.3f]\n", t[4], t[5], t[6], t[7]);

    if (argc > 1) {
        int64_t first_shape[3] = {48, 48, 3};
        vn_tensor *first = NULL;
        s = vn_tensor_wrap(VN_U8, 3, first_shape, vn_tensor_data(out), NULL, NULL, &first);
        if (s == VN_OK)
            s = vn_image_write(argv[1], first, NULL);
        vn_tensor_destroy(first);
        if (s != VN_OK)
            return fail(argv[1], s);
    }
    vn_tensor_destroy(labels);
    vn_tensor_destroy(mixed);
    vn_tensor_destroy(targets);
    vn_tensor_destroy(one);
    vn_tensor_destroy(box);
    vn_tensor_destroy(flipped);
    vn_tensor_destroy(box_out);
    vn_augment_destroy(flip);
    vn_tensor_destroy(out);
    vn_tensor_destroy(batch);
    vn_augment_destroy(aug);
    return 0;
}
