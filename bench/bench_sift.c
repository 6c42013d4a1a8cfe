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
 *   {"file": "a.png", "keypoints": N, "median_ms": .., "min_ms": ..}
 * after one untimed warm-up run per image. bench/sift_vs_opencv.py runs it
 * next to OpenCV in the same run.
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + 1e-6 * (double)t.tv_nsec;
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
    double *t = malloc((size_t)reps * sizeof *t);
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
            double t0 = now_ms();
            vn_sift_detect(sift, img, &n);
            t[r] = now_ms() - t0;
        }
        qsort(t, (size_t)reps, sizeof *t, cmp);
        printf("{\"file\": \"%s\", \"keypoints\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f}\n",
               argv[i], n, t[reps / 2], t[0]);
        vn_tensor_destroy(img);
    }
    free(t);
    vn_sift_destroy(sift);
    return 0;
}
