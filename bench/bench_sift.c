/*
 * bench_sift.c - time vn_sift_detect (keypoints + descriptors) per image,
 * the way a program that processes many images uses it: one vn_sift
 * object, reused, so the pyramid buffers are allocated once.
 *
 *   bench_sift REPEATS IMAGE...
 *
 * The environment variable BENCH_THREADS, when set, is passed to
 * vn_set_num_threads (the default is all cores).
 * Prints one JSON object per image on its own line:
 *   {"file": "a.png", "keypoints": N, "median_ms": .., "min_ms": ..,
 *    "cpu_ms": .., "kp_hash": "..", "desc_hash": ".."}
 * after one untimed warm-up run per image. cpu_ms is the median process
 * CPU time per run (all threads). kp_hash and desc_hash are FNV-1a 64
 * hashes of the keypoints (the bits of x, y, diameter, angle, response,
 * octave, in output order) and of the descriptors (their float bits): equal
 * hashes before and after a change mean identical results.
 * bench/sift_vs_opencv.py runs it next to OpenCV in the same run.
 */
#include <visionnet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + 1e-6 * (double)t.tv_nsec;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + 1e-6 * (double)t.tv_nsec;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_sift REPEATS IMAGE...\n");
        return 1;
    }
    int reps = atoi(argv[1]);
    if (reps < 1 || reps > 10000)
        reps = 1;
    const char *th = getenv("BENCH_THREADS");
    if (th && *th)
        vn_set_num_threads(atoi(th));
    vn_sift *sift = NULL;
    if (vn_sift_create(NULL, &sift) != VN_OK)
        return 1;
    double *t = malloc((size_t)reps * sizeof *t), *c = malloc((size_t)reps * sizeof *c);
    for (int i = 2; i < argc; i++) {
        vn_decode_options d = VN_DECODE_OPTIONS_INIT;
        d.channels = 1;
        vn_tensor *img = NULL;
        if (vn_image_read(argv[i], &d, &img) != VN_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], vn_last_error());
            return 1;
        }
        int n = 0;
        vn_sift_detect(sift, img, &n);
        for (int r = 0; r < reps; r++) {
            double t0 = now_ms(), c0 = cpu_ms();
            vn_sift_detect(sift, img, &n);
            t[r] = now_ms() - t0;
            c[r] = cpu_ms() - c0;
        }
        qsort(t, (size_t)reps, sizeof *t, cmp);
        qsort(c, (size_t)reps, sizeof *c, cmp);
        uint64_t hk = 1469598103934665603ull, hd = hk;
        float *desc = malloc(((size_t)n + 1) * 128 * sizeof *desc);
        if (!desc || vn_sift_descriptors(sift, desc, (size_t)n * 128) != VN_OK)
            return 1;
        for (int k = 0; k < n; k++) {
            vn_keypoint kp = VN_KEYPOINT_INIT;
            if (vn_sift_keypoint(sift, k, &kp) != VN_OK)
                return 1;
            float f[5] = {kp.x, kp.y, kp.diameter, kp.angle, kp.response};
            hk = fnv(hk, f, sizeof f);
            hk = fnv(hk, &kp.octave, sizeof kp.octave);
            hd = fnv(hd, desc + (size_t)k * 128, 128 * sizeof *desc);
        }
        free(desc);
        printf("{\"file\": \"%s\", \"keypoints\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, "
               "\"cpu_ms\": %.3f, \"kp_hash\": \"%016llx\", \"desc_hash\": \"%016llx\"}\n",
               argv[i], n, t[reps / 2], t[0], c[reps / 2], (unsigned long long)hk,
               (unsigned long long)hd);
        vn_tensor_destroy(img);
    }
    free(t);
    free(c);
    vn_sift_destroy(sift);
    return 0;
}
