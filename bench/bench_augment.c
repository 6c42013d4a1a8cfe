/*
 * bench_augment.c - two measurements of the augmentation layer.
 *
 *   bench_augment speed [IMAGE.png]
 *       images/s of the standard pipeline (the one of `visionnet bench
 *       augment` and ../shared/bench/augment_torchvision.py) on 224x224 RGB
 *       u8 images, on 1 and 2 threads (median of 5 runs of 512 images),
 *       and the time of each op alone on one thread. One JSON line per
 *       figure.
 *
 *   bench_augment effect FASHION_MNIST_DIR [EPOCHS] [SEEDS] [PIPELINE]
 *       the effect of augmentation on a small training set: a small CNN
 *       trained by vn_fit on the first 2,000 Fashion-MNIST training images
 *       with and without PIPELINE (default EFFECT_PIPELINE; attached with
 *       vn_dataset_set_augment), test accuracy
 *       on the 10,000 test images, for SEEDS seeds (default 3). Written up
 *       in docs/augmentation.md.
 */
#include <visionnet.h>
#include <visionnet/augment.h>
#include <visionnet/experimental.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char SPEED_PIPELINE[] =
    "random_resized_crop size=224; hflip p=0.5; rotate deg=15 interp=nearest; "
    "color_jitter b=0.4 c=0.4 s=0.4 h=0.1; gaussian_noise sigma=0.05; erase p=0.5";

static const char EFFECT_PIPELINE[] = "random_crop size=28 pad=2; hflip p=0.5";

static const char EFFECT_MODEL[] =
    "input shape=1,28,28 seed=1\n"
    "conv2d name=conv1 out=32 k=3 pad=1\nbatch_norm2d name=bn1\nrelu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "conv2d name=conv2 out=64 k=3 pad=1\nbatch_norm2d name=bn2\nrelu name=relu2\n"
    "max_pool2d name=pool2 k=2\n"
    "flatten name=flat\ndropout name=drop p=0.3\ndense name=fc out=10\n";

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

static void check(vn_status s, const char *what)
{
    if (s != VN_OK) {
        fprintf(stderr, "bench_augment: %s: %s\n", what, vn_last_error());
        exit(1);
    }
}

/* Median images/s of spec on batches of copies of img. */
static double images_per_s(const char *spec, const vn_tensor *img, int reps, int n)
{
    vn_augment *aug = NULL;
    check(vn_augment_from_spec(spec, &aug), spec);
    const int B = 32;
    int64_t shape[4] = {B, vn_tensor_dim(img, 0), vn_tensor_dim(img, 1), vn_tensor_dim(img, 2)};
    vn_tensor *batch = NULL, *out = NULL;
    check(vn_tensor_create(VN_U8, 4, shape, &batch), "batch");
    size_t per = vn_tensor_nbytes(img);
    for (int i = 0; i < B; i++)
        memcpy((uint8_t *)vn_tensor_data(batch) + (size_t)i * per, vn_tensor_data_const(img), per);
    check(vn_augment_apply(aug, batch, 1, 0, 0, &out), "warm-up");
    vn_tensor_destroy(out);
    double r[64];
    uint64_t epoch = 1;
    for (int k = 0; k < reps; k++) {
        double t0 = now_s();
        for (int done = 0; done < n; done += B) {
            check(vn_augment_apply(aug, batch, 1, epoch++, 0, &out), "apply");
            vn_tensor_destroy(out);
        }
        r[k] = n / (now_s() - t0);
    }
    qsort(r, (size_t)reps, sizeof *r, cmp_double);
    vn_tensor_destroy(batch);
    vn_augment_destroy(aug);
    return r[reps / 2];
}

static int speed(const char *path)
{
    vn_tensor *img = NULL;
    if (path) {
        vn_decode_options o = VN_DECODE_OPTIONS_INIT;
        o.channels = 3;
        vn_tensor *raw = NULL;
        check(vn_image_read(path, &o, &raw), path);
        check(vn_image_resize(raw, 224, 224, VN_INTERP_BILINEAR, &img), "resize");
        vn_tensor_destroy(raw);
    } else {
        int64_t shape[3] = {224, 224, 3};
        check(vn_tensor_create(VN_U8, 3, shape, &img), "image");
        uint8_t *d = vn_tensor_data(img);
        for (int i = 0; i < 224 * 224 * 3; i++)
            d[i] = (uint8_t)((i * 2654435761u) >> 24);
    }
    for (int threads = 1; threads <= 2; threads++) {
        vn_set_num_threads(threads);
        printf("{\"pipeline\": \"standard\", \"threads\": %d, \"images_per_s\": %.1f}\n", threads,
               images_per_s(SPEED_PIPELINE, img, 5, 512));
        fflush(stdout);
    }
    vn_set_num_threads(1);
    static const char *ops[] = {"random_resized_crop size=224", "hflip p=1",
                                "rotate deg=15 interp=nearest", "rotate deg=15",
                                "color_jitter b=0.4 c=0.4 s=0.4 h=0.1", "brightness b=0.4",
                                "contrast c=0.4", "saturation s=0.4", "hue h=0.1",
                                "gaussian_noise sigma=0.05", "erase p=1", "perspective p=1",
                                "blur k=5", "hflip p=0"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        printf("{\"op\": \"%s\", \"threads\": 1, \"ms_per_image\": %.3f}\n", ops[i],
               1e3 / images_per_s(ops[i], img, 3, 256));
    vn_tensor_destroy(img);
    return 0;
}

static double train_once(const vn_dataset *train, const vn_dataset *test, vn_augment *aug,
                         int epochs, uint64_t seed)
{
    vn_model *m = NULL;
    check(vn_model_from_spec(EFFECT_MODEL, &m), "model");
    check(vn_model_set_seed(m, seed), "seed");
    vn_dataset *ds = NULL;
    check(vn_dataset_subset(train, 0, vn_dataset_size(train), &ds), "view");
    if (aug)
        check(vn_dataset_set_augment(ds, aug), "augment");
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = epochs;
    o.batch_size = 64;
    o.seed = seed;
    o.optimizer_config = "adam lr=0.002";
    vn_schedule *cosine = NULL; /* anneal to 0 so the last epoch's model is settled */
    check(vn_schedule_create_cosine(epochs, 0.0, &cosine), "schedule");
    o.schedule = cosine;
    check(vn_fit(m, ds, &o, NULL), "fit");
    vn_schedule_destroy(cosine);
    vn_metrics *met = NULL;
    check(vn_evaluate(m, test, NULL, &met), "evaluate");
    double acc = vn_metrics_accuracy(met);
    vn_metrics_destroy(met);
    vn_dataset_destroy(ds);
    vn_model_destroy(m);
    return acc;
}

static int effect(const char *dir, int epochs, int seeds, const char *spec)
{
    char a[1024], b[1024];
    vn_dataset *full = NULL, *train = NULL, *test = NULL;
    snprintf(a, sizeof a, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%s/t10k-images-idx3-ubyte.gz", dir);
    check(vn_dataset_load_idx(a, NULL, &full), a);
    check(vn_dataset_load_idx(b, NULL, &test), b);
    check(vn_dataset_subset(full, 0, 2000, &train), "subset");
    vn_augment *aug = NULL;
    check(vn_augment_from_spec(spec, &aug), "pipeline");
    double sum[2] = {0, 0};
    for (int s = 0; s < seeds; s++) {
        for (int with = 0; with < 2; with++) {
            double t0 = now_s();
            double acc = train_once(train, test, with ? aug : NULL, epochs, (uint64_t)s + 1);
            sum[with] += acc;
            printf("{\"augment\": %s, \"seed\": %d, \"epochs\": %d, \"train_images\": 2000, "
                   "\"test_accuracy\": %.4f, \"seconds\": %.1f}\n", with ? "true" : "false", s + 1,
                   epochs, acc, now_s() - t0);
            fflush(stdout);
        }
    }
    printf("{\"mean_test_accuracy_without\": %.4f, \"mean_test_accuracy_with\": %.4f, "
           "\"pipeline\": \"%s\"}\n", sum[0] / seeds, sum[1] / seeds, spec);
    vn_augment_destroy(aug);
    vn_dataset_destroy(train);
    vn_dataset_destroy(full);
    vn_dataset_destroy(test);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "speed"))
        return speed(argc >= 3 ? argv[2] : NULL);
    if (argc >= 3 && !strcmp(argv[1], "effect"))
        return effect(argv[2], argc >= 4 ? atoi(argv[3]) : 20, argc >= 5 ? atoi(argv[4]) : 3,
                      argc >= 6 ? argv[5] : EFFECT_PIPELINE);
    fprintf(stderr, "usage: bench_augment speed [IMAGE.png]\n"
                    "       bench_augment effect FASHION_MNIST_DIR [EPOCHS] [SEEDS] [PIPELINE]\n");
    return 1;
}
