/*
 * cmd_sift.c - `visionnet sift IMAGE [IMAGE2] [--draw out.png] [--json]
 *              [--ratio R] [--nfeatures N]`: SIFT keypoints, and matches
 *              between two images.
 *
 * One image: the keypoint count (with --draw, the keypoints drawn on it).
 * Two images: both counts and the number of matches passing the ratio test
 * (with --draw, the two images side by side with the matches joined).
 * --json prints one JSON object instead:
 *   {"file": "a.png", "width": W, "height": H, "count": N,
 *    "keypoints": [{"x": .., "y": .., "size": .., "angle": .., "response": ..}, ...],
 * and with a second image also "file2", "width2", "height2", "count2",
 * "keypoints2" and
 *    "matches": [[x1, y1, x2, y2], ...]}
 * where (x1, y1) is in the first image and (x2, y2) in the second. All
 * coordinates are pixels, x = column, y = row, the centre of the top-left
 * pixel at (0, 0) as OpenCV counts; size is OpenCV's KeyPoint.size (the
 * diameter), angle in degrees as OpenCV's. Keypoints are listed strongest
 * first; --json also prints "seconds", the time of detection and
 * description of each image (for bench/sift_vs_opencv.py).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_sift(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet sift IMAGE [IMAGE2] [--draw out.png] [--json] [--ratio R]\n"
               "                      [--nfeatures N]\n\n"
               "SIFT keypoints of IMAGE (OpenCV 4.6's defaults); with IMAGE2, the matches\n"
               "between the two that pass Lowe's ratio test.\n\n"
               "  --draw FILE     draw the keypoints (one image) or the matches side by side\n"
               "                  (two images) into FILE (.png, .jpg, .ppm)\n"
               "  --json          one JSON object: keypoints {x, y, size, angle, response}\n"
               "                  and \"matches\": [[x1, y1, x2, y2], ...]; pixel coordinates,\n"
               "                  the centre of the top-left pixel at (0, 0)\n"
               "  --ratio R       ratio test threshold, (0, 1] (default 0.75)\n"
               "  --nfeatures N   keep the N strongest keypoints per image (default all)\n");
}

typedef struct image_result {
    const char *path;
    vn_tensor *img;
    int n;
    vn_keypoint *kp;
    float *desc;
    double seconds;
} image_result;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* "visionnet: PATH: reason", without the library's own "PATH: " prefix. */
static int fail_file(const char *path)
{
    const char *msg = vn_last_error();
    size_t n = strlen(path);
    if (!strncmp(msg, path, n) && msg[n] == ':' && msg[n + 1] == ' ')
        msg += n + 2;
    return cli_fail("%s: %s", path, msg);
}

static int detect(vn_sift *sift, image_result *r)
{
    vn_decode_options d = VN_DECODE_OPTIONS_INIT;
    vn_status s = vn_image_read(r->path, &d, &r->img);
    if (s != VN_OK)
        return fail_file(r->path);
    /* Grey and alpha channels: keep what SIFT reads (grey or RGB). */
    int64_t c = vn_tensor_ndim(r->img) == 3 ? vn_tensor_dim(r->img, 2) : 1;
    if (c == 2 || c == 4) {
        vn_tensor *t = NULL;
        s = vn_image_convert_channels(r->img, c == 2 ? 1 : 3, &t);
        if (s != VN_OK)
            return cli_fail_status(r->path, s);
        vn_tensor_destroy(r->img);
        r->img = t;
    }
    double t0 = now();
    s = vn_sift_detect(sift, r->img, &r->n);
    if (s == VN_OK) {
        r->desc = malloc(((size_t)r->n * 128 + 1) * sizeof(float));
        r->kp = malloc(((size_t)r->n + 1) * sizeof(vn_keypoint));
        if (!r->desc || !r->kp)
            return cli_fail("%s: out of memory", r->path);
        s = vn_sift_descriptors(sift, r->desc, (size_t)r->n * 128);
    }
    r->seconds = now() - t0;
    if (s != VN_OK)
        return fail_file(r->path);
    for (int i = 0; i < r->n; i++) {
        r->kp[i].size = sizeof(vn_keypoint);
        vn_sift_keypoint(sift, i, &r->kp[i]);
    }
    return 0;
}

static void json_keypoints(const char *key, const image_result *r)
{
    printf(", \"%s\": [", key);
    for (int i = 0; i < r->n; i++) {
        const vn_keypoint *k = &r->kp[i];
        printf("%s{\"x\": %.9g, \"y\": %.9g, \"size\": %.9g, \"angle\": %.9g, \"response\": %.9g}",
               i ? ", " : "", k->x, k->y, k->diameter, k->angle, k->response);
    }
    putchar(']');
}

static void json_image(const char *suffix, const image_result *r)
{
    char key[32];
    printf("%s\"file%s\": ", *suffix ? ", " : "", suffix);
    cli_json_string(stdout, r->path);
    printf(", \"width%s\": %lld, \"height%s\": %lld, \"count%s\": %d, \"seconds%s\": %.6f", suffix,
           (long long)vn_tensor_dim(r->img, 1), suffix, (long long)vn_tensor_dim(r->img, 0), suffix,
           r->n, suffix, r->seconds);
    snprintf(key, sizeof key, "keypoints%s", suffix);
    json_keypoints(key, r);
}

int cmd_sift(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL}, *draw = NULL;
    int npaths = 0;
    bool json = false;
    double ratio = 0.75;
    long nfeatures = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--draw") || !strcmp(a, "--ratio") || !strcmp(a, "--nfeatures")) {
            if (i + 1 >= argc)
                return cli_fail("%s needs a value (see 'visionnet sift --help')", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--draw"))
                draw = v;
            else if (!strcmp(a, "--ratio") && !cli_parse_float(a, v, 1e-6, 1.0, &ratio))
                return 1;
            else if (!strcmp(a, "--nfeatures") && !cli_parse_int(a, v, 0, 100000000, &nfeatures))
                return 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_fail("unknown option '%s' (see 'visionnet sift --help')", a);
        } else if (npaths < 2) {
            paths[npaths++] = a;
        } else {
            return cli_fail("too many images: sift takes one or two");
        }
    }
    if (npaths == 0) {
        usage(stderr);
        return 1;
    }

    vn_sift_options o = VN_SIFT_OPTIONS_INIT;
    o.nfeatures = (int)nfeatures;
    vn_sift *sift = NULL;
    vn_status s = vn_sift_create(&o, &sift);
    if (s != VN_OK)
        return cli_fail_status("sift", s);
    image_result r[2] = {{paths[0]}, {paths[1]}};
    int rc = 0;
    int *pairs = NULL, npairs = 0;
    float *xy = NULL;
    vn_tensor *pic = NULL;
    for (int i = 0; i < npaths && !rc; i++)
        rc = detect(sift, &r[i]);
    if (!rc && npaths == 2) {
        s = vn_sift_match(r[0].desc, r[0].n, r[1].desc, r[1].n, (float)ratio, NULL, 0, &npairs);
        pairs = malloc(((size_t)npairs * 2 + 1) * sizeof(int));
        xy = malloc(((size_t)npairs * 4 + 1) * sizeof(float));
        if (s == VN_OK && (!pairs || !xy))
            rc = cli_fail("out of memory");
        else if (s == VN_OK)
            s = vn_sift_match(r[0].desc, r[0].n, r[1].desc, r[1].n, (float)ratio, pairs, npairs,
                              &npairs);
        if (!rc && s != VN_OK)
            rc = cli_fail_status("sift match", s);
        for (int m = 0; !rc && m < npairs; m++) {
            const vn_keypoint *a = &r[0].kp[pairs[2 * m]], *b = &r[1].kp[pairs[2 * m + 1]];
            xy[4 * m] = a->x, xy[4 * m + 1] = a->y, xy[4 * m + 2] = b->x, xy[4 * m + 3] = b->y;
        }
    }
    if (!rc && draw) {
        /* Pictures are drawn on u8 images; a 16-bit file was scaled to 8 bits. */
        if (npaths == 2)
            s = vn_sift_draw_matches(r[0].img, r[1].img, xy, npairs, &pic);
        else
            s = vn_sift_draw_keypoints(sift, r[0].img, &pic);
        if (s == VN_OK)
            s = vn_image_write(draw, pic, NULL);
        if (s != VN_OK)
            rc = fail_file(draw);
    }
    if (!rc && json) {
        putchar('{');
        json_image("", &r[0]);
        if (npaths == 2) {
            json_image("2", &r[1]);
            fputs(", \"matches\": [", stdout);
            for (int m = 0; m < npairs; m++)
                printf("%s[%.9g, %.9g, %.9g, %.9g]", m ? ", " : "", xy[4 * m], xy[4 * m + 1],
                       xy[4 * m + 2], xy[4 * m + 3]);
            putchar(']');
        }
        puts("}");
    } else if (!rc) {
        for (int i = 0; i < npaths; i++)
            printf("%s: %d keypoints\n", r[i].path, r[i].n);
        if (npaths == 2)
            printf("matches: %d (ratio %.2f)\n", npairs, ratio);
        if (draw)
            printf("drawn: %s\n", draw);
    }
    for (int i = 0; i < 2; i++) {
        vn_tensor_destroy(r[i].img);
        free(r[i].kp);
        free(r[i].desc);
    }
    free(pairs);
    free(xy);
    vn_tensor_destroy(pic);
    vn_sift_destroy(sift);
    return rc;
}
