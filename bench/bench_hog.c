/*
 * bench_hog.c - HOG speed on the cases of ../shared/bench/hog_reference.py
 * (issue 6, part 6): milliseconds per image, put_image + extract, medians.
 *
 *   bench_hog IMAGE.npy [--threads N] [--repeats R] [--json]
 *
 * IMAGE.npy is scikit-image's camera (512x512 u8 gray), the image of the
 * reference script; bench/run_hog_bench.sh writes it and runs both side by
 * side. Cases:
 *   skimage      VN_HOG_SKIMAGE, 9 orientations, 8x8 cells, 2x2 blocks,
 *                L2-Hys, whole image (= skimage.feature.hog(im, 9, (8,8), (2,2)))
 *   opencv512    VN_HOG_OPENCV defaults, the whole 512x512 image as one
 *                window (= HOGDescriptor((512,512),(16,16),(8,8),(8,8),9).compute)
 *   opencv64x128 VN_HOG_OPENCV defaults on the crop [200:328, 220:284]
 *                (= HOGDescriptor().compute(crop))
 * Each figure: one untimed warm-up, then R timed runs of k calls each
 * (k chosen so a run lasts ~0.1 s), the median of the R per-call times.
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct run_ctx {
    vn_hog *hog;
    const vn_tensor *img;
    float *out;
    size_t n;
} run_ctx;

static void once(run_ctx *r)
{
    if (vn_hog_put_image(r->hog, r->img) != VN_OK || vn_hog_extract(r->hog, r->out, r->n) != VN_OK) {
        fprintf(stderr, "bench_hog: %s\n", vn_last_error());
        exit(1);
    }
}

static double time_case(const char *spec, const vn_tensor *img, int repeats)
{
    run_ctx r = {0};
    if (vn_hog_create_from_string(spec, &r.hog) != VN_OK || vn_hog_put_image(r.hog, img) != VN_OK) {
        fprintf(stderr, "bench_hog: %s\n", vn_last_error());
        exit(1);
    }
    r.img = img;
    r.n = vn_hog_get_size(r.hog);
    r.out = malloc(r.n * sizeof *r.out);
    once(&r);
    double t0 = now_ms();
    once(&r);
    double one = now_ms() - t0;
    int k = (int)(100.0 / (one > 1e-3 ? one : 1e-3)) + 1;
    double *ms = malloc((size_t)repeats * sizeof *ms);
    for (int i = 0; i < repeats; i++) {
        t0 = now_ms();
        for (int j = 0; j < k; j++)
            once(&r);
        ms[i] = (now_ms() - t0) / k;
    }
    qsort(ms, (size_t)repeats, sizeof *ms, cmp);
    double med = ms[repeats / 2];
    free(ms);
    free(r.out);
    vn_hog_destroy(r.hog);
    return med;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int threads = 1, repeats = 9;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            path = argv[i];
    }
    if (!path || repeats < 1) {
        fprintf(stderr, "usage: bench_hog IMAGE.npy [--threads N] [--repeats R] [--json]\n");
        return 1;
    }
    vn_tensor *img = NULL, *crop = NULL;
    if (vn_tensor_load_npy(path, &img) != VN_OK || vn_image_crop(img, 200, 220, 128, 64, &crop) != VN_OK) {
        fprintf(stderr, "bench_hog: %s: %s\n", path, vn_last_error());
        return 1;
    }
    vn_set_num_threads(threads);
    double sk = time_case("convention=skimage orientations=9 cell=8 block=2 norm=l2hys", img, repeats);
    double cv512 = time_case("convention=opencv", img, repeats);
    double cv64 = time_case("convention=opencv", crop, repeats);
    if (json)
        printf("{\"threads\": %d, \"skimage_ms\": %.4f, \"opencv_window512_ms\": %.4f, "
               "\"opencv_default_64x128_ms\": %.4f}\n",
               vn_get_num_threads(), sk, cv512, cv64);
    else
        printf("threads %d: skimage %.3f ms, opencv_window512 %.3f ms, opencv_default_64x128 %.4f ms\n",
               vn_get_num_threads(), sk, cv512, cv64);
    vn_tensor_destroy(crop);
    vn_tensor_destroy(img);
    return 0;
}
