/*
 * cmd_bench.c - `visionnet bench [WHAT] ...`: the benchmarks.
 *
 *   visionnet bench augment [--threads N] [--n IMAGES] [--reps R] [--image PATH] [--json]
 *       images/s of the standard augmentation pipeline on 224x224 RGB u8
 *       images (random resized crop 224, hflip, rotate 15, colour jitter
 *       0.4/0.4/0.4/0.1, Gaussian noise 0.05, random erasing), the
 *       pipeline of ../shared/bench/augment_torchvision.py. Batches of 64
 *       copies of the image run through vn_augment_apply; the figure is the
 *       median over R repetitions of N images. The image is PATH resized to
 *       224x224 (bilinear), or a synthetic one. bench/run_augment_bench.sh
 *       runs it interleaved with the torchvision script and prints the
 *       ratio (the machine's speed drifts: only same-run ratios mean much).
 *
 * `visionnet bench` alone is the training benchmark, which is not built
 * yet: it says so and exits 1.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_bench(int argc, char **argv);

/* The pipeline of ../shared/bench/augment_torchvision.py, in the library's
 * grammar (RandomRotation's default sampling is nearest). */
static const char BENCH_PIPELINE[] =
    "random_resized_crop size=224; hflip p=0.5; rotate deg=15 interp=nearest; "
    "color_jitter b=0.4 c=0.4 s=0.4 h=0.1; gaussian_noise sigma=0.05; erase p=0.5";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static vn_status bench_image(const char *path, vn_tensor **out)
{
    if (!path) {
        int64_t shape[3] = {224, 224, 3};
        vn_status s = vn_tensor_create(VN_U8, 3, shape, out);
        if (s != VN_OK)
            return s;
        uint8_t *d = vn_tensor_data(*out);
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++) {
                d[(y * 224 + x) * 3] = (uint8_t)x;
                d[(y * 224 + x) * 3 + 1] = (uint8_t)(y + x / 2);
                d[(y * 224 + x) * 3 + 2] = (uint8_t)((x * y) >> 6);
            }
        return VN_OK;
    }
    vn_decode_options o = VN_DECODE_OPTIONS_INIT;
    o.channels = 3;
    vn_tensor *img = NULL;
    vn_status s = vn_image_read(path, &o, &img);
    if (s != VN_OK)
        return s;
    s = vn_image_resize(img, 224, 224, VN_INTERP_BILINEAR, out);
    vn_tensor_destroy(img);
    return s;
}

static int bench_augment(int argc, char **argv)
{
    long threads = 1, n = 512, reps = 5;
    bool json = false;
    const char *image = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: visionnet bench augment [--threads N] [--n IMAGES] [--reps R] "
                   "[--image PATH] [--json]\n\npipeline: %s\n", BENCH_PIPELINE);
            return 0;
        } else if (!strcmp(a, "--threads")) {
            if (!cli_parse_int("--threads", v, 1, 1024, &threads))
                return 1;
            i++;
        } else if (!strcmp(a, "--n")) {
            if (!cli_parse_int("--n", v, 64, 1000000, &n))
                return 1;
            i++;
        } else if (!strcmp(a, "--reps")) {
            if (!cli_parse_int("--reps", v, 1, 1000, &reps))
                return 1;
            i++;
        } else if (!strcmp(a, "--image")) {
            if (!v)
                return cli_fail("bench augment: --image needs a path");
            image = v, i++;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else {
            return cli_fail("bench augment: unknown option '%s'", a);
        }
    }
    vn_set_num_threads((int)threads);
    vn_augment *aug = NULL;
    vn_tensor *img = NULL, *batch = NULL;
    vn_status s = vn_augment_from_spec(BENCH_PIPELINE, &aug);
    if (s == VN_OK)
        s = bench_image(image, &img);
    const int64_t B = 64;
    int64_t shape[4] = {B, 224, 224, 3};
    if (s == VN_OK)
        s = vn_tensor_create(VN_U8, 4, shape, &batch);
    if (s != VN_OK) {
        vn_augment_destroy(aug);
        vn_tensor_destroy(img);
        return cli_fail_status("bench augment", s);
    }
    for (int64_t i = 0; i < B; i++)
        memcpy((uint8_t *)vn_tensor_data(batch) + i * 224 * 224 * 3, vn_tensor_data(img),
               224 * 224 * 3);
    double *ips = calloc((size_t)reps, sizeof *ips);
    uint64_t epoch = 0;
    /* warm-up: one batch */
    vn_tensor *out = NULL;
    s = vn_augment_apply(aug, batch, 1, epoch++, 0, &out);
    vn_tensor_destroy(out);
    for (long r = 0; r < reps && s == VN_OK; r++) {
        double t0 = now_s();
        int64_t done = 0;
        while (done < n && s == VN_OK) {
            out = NULL;
            s = vn_augment_apply(aug, batch, 1, epoch++, 0, &out);
            vn_tensor_destroy(out);
            done += B;
        }
        ips[r] = (double)done / (now_s() - t0);
    }
    int rc = 0;
    if (s != VN_OK) {
        rc = cli_fail_status("bench augment", s);
    } else {
        double lo = ips[0], hi = ips[0];
        for (long r = 0; r < reps; r++)
            lo = fmin(lo, ips[r]), hi = fmax(hi, ips[r]);
        qsort(ips, (size_t)reps, sizeof *ips, cmp_double);
        double med = reps % 2 ? ips[reps / 2] : 0.5 * (ips[reps / 2 - 1] + ips[reps / 2]);
        if (json) {
            printf("{\"bench\": \"augment\", \"threads\": %ld, \"images_per_s\": %.1f, "
                   "\"min_images_per_s\": %.1f, \"max_images_per_s\": %.1f, \"reps\": %ld, "
                   "\"images_per_rep\": %ld, \"pipeline\": ", threads, med, lo, hi, reps, n);
            cli_json_string(stdout, BENCH_PIPELINE);
            printf("}\n");
        } else {
            printf("augment: %.1f images/s on %ld thread%s (median of %ld; min %.1f, max %.1f)\n",
                   med, threads, threads == 1 ? "" : "s", reps, lo, hi);
        }
    }
    free(ips);
    vn_tensor_destroy(img);
    vn_tensor_destroy(batch);
    vn_augment_destroy(aug);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "augment"))
        return bench_augment(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: visionnet bench augment [--threads N] [--json] ...\n"
               "       visionnet bench            (the training benchmark: not built yet)\n");
        return 0;
    }
    return cli_fail("bench: the training benchmark is not built yet");
}
