/*
 * sift_match.c - SIFT keypoints of two images and the matches between them.
 *
 *   cc sift_match.c $(pkg-config --cflags --libs visionnet) -lm -o sift_match
 *   ./sift_match first.png second.png
 *   ./sift_match                 (no files: a made-up picture and itself
 *                                 turned by 90 degrees)
 *
 * One vn_sift object serves both images (it keeps its buffers between
 * them). Keypoints are read through vn_sift_keypoint, descriptors copied
 * into memory we own, and vn_sift_match applies Lowe's ratio test.
 */
#include <visionnet.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(vn_status status)
{
    fprintf(stderr, "sift_match: %s (%s)\n", vn_last_error(), vn_status_str(status));
    return 1;
}

/* A 200 x 240 grey picture of random soft blobs (seeded: the same every
 * run), and the same picture turned a quarter turn. */
static vn_status make_pictures(vn_tensor **a, vn_tensor **b)
{
    int64_t shape_a[2] = {200, 240}, shape_b[2] = {240, 200};
    vn_rng *rng = NULL;
    vn_status s = vn_rng_create(7, 0, &rng);
    if (s == VN_OK)
        s = vn_tensor_create(VN_U8, 2, shape_a, a);
    if (s == VN_OK)
        s = vn_tensor_create(VN_U8, 2, shape_b, b);
    if (s != VN_OK) {
        vn_rng_destroy(rng);
        return s;
    }
    float *acc = calloc(200 * 240, sizeof(float));
    for (int k = 0; k < 60; k++) {
        float cx = 240 * vn_rng_uniform(rng), cy = 200 * vn_rng_uniform(rng);
        float r = 2 + 8 * vn_rng_uniform(rng), v = 2 * vn_rng_uniform(rng) - 1;
        for (int y = 0; y < 200; y++)
            for (int x = 0; x < 240; x++)
                acc[y * 240 + x] += v * expf(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * r * r));
    }
    uint8_t *pa = vn_tensor_data(*a), *pb = vn_tensor_data(*b);
    for (int y = 0; y < 200; y++)
        for (int x = 0; x < 240; x++) {
            float v = 128 + 100 * acc[y * 240 + x];
            uint8_t u = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            pa[y * 240 + x] = u;
            pb[(239 - x) * 200 + y] = u;   /* counter-clockwise quarter turn */
        }
    free(acc);
    vn_rng_destroy(rng);
    return VN_OK;
}

int main(int argc, char **argv)
{
    vn_tensor *img[2] = {NULL, NULL};
    vn_sift *sift = NULL;
    float *desc[2] = {NULL, NULL};
    int n[2] = {0, 0}, *pairs = NULL, rc = 1;
    vn_status s;

    if (argc == 3) {
        for (int i = 0; i < 2; i++)
            if ((s = vn_image_read(argv[1 + i], NULL, &img[i])) != VN_OK) {
                rc = fail(s);
                goto done;
            }
    } else if ((s = make_pictures(&img[0], &img[1])) != VN_OK) {
        rc = fail(s);
        goto done;
    }

    /* cv2.SIFT_create()'s defaults; set fields of o to change them. */
    vn_sift_options o = VN_SIFT_OPTIONS_INIT;
    if ((s = vn_sift_create(&o, &sift)) != VN_OK) {
        rc = fail(s);
        goto done;
    }
    for (int i = 0; i < 2; i++) {
        if ((s = vn_sift_detect(sift, img[i], &n[i])) != VN_OK) {
            rc = fail(s);
            goto done;
        }
        /* Keypoints come strongest first. */
        vn_keypoint kp = VN_KEYPOINT_INIT;
        if (n[i] > 0 && vn_sift_keypoint(sift, 0, &kp) == VN_OK)
            printf("image %d: %d keypoints, strongest at (%.1f, %.1f), diameter %.1f\n", i + 1,
                   n[i], kp.x, kp.y, kp.diameter);
        desc[i] = malloc(((size_t)n[i] + 1) * 128 * sizeof(float));
        if (!desc[i] || (s = vn_sift_descriptors(sift, desc[i], (size_t)n[i] * 128)) != VN_OK) {
            rc = desc[i] ? fail(s) : 1;
            goto done;
        }
    }

    /* First ask how many matches there are, then fetch them. */
    int m = 0;
    if ((s = vn_sift_match(desc[0], n[0], desc[1], n[1], 0.75f, NULL, 0, &m)) != VN_OK) {
        rc = fail(s);
        goto done;
    }
    pairs = malloc(((size_t)m + 1) * 2 * sizeof(int));
    if (!pairs || (s = vn_sift_match(desc[0], n[0], desc[1], n[1], 0.75f, pairs, m, &m)) != VN_OK) {
        rc = pairs ? fail(s) : 1;
        goto done;
    }
    printf("%d matches pass the ratio test 0.75\n", m);
    for (int k = 0; k < m && k < 3; k++)
        printf("  keypoint %d of image 1 <-> keypoint %d of image 2\n", pairs[2 * k],
               pairs[2 * k + 1]);
    rc = (argc == 3 || m > 0) ? 0 : 1;   /* the made-up pair must match */

done:
    free(pairs);
    free(desc[0]);
    free(desc[1]);
    vn_sift_destroy(sift);
    vn_tensor_destroy(img[0]);
    vn_tensor_destroy(img[1]);
    return rc;
}
