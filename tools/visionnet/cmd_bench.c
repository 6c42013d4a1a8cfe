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
 *   visionnet bench [--threads N] [--epochs E] [--latency-n N] [--limit N] [--json]
 *       the reference CNN (models/reference_cnn.spec) on Fashion-MNIST held
 *       in memory, as ../shared/bench/reference_cnn_torch.py runs it in
 *       PyTorch (SGD momentum 0.9, lr 0.01, batch 64, shuffled):
 *       - training images/s: with E >= 2 the median of the epochs' figures
 *         (as the PyTorch script); with E = 1 the median over 10 equal
 *         chunks of the epoch after 20 warm-up steps (fewer for tiny runs);
 *       - inference images/s at batch 256 over the test set (whole batches
 *         only), median of 5 passes after a warm-up pass, in
 *         VN_MODE_INFERENCE on already normalised f32 input;
 *       - batch-1 latency: median over N single test images (after 50
 *         warm-up images);
 *       - peak RSS (getrusage ru_maxrss) and the test accuracy.
 *       --limit N uses only the first N training images and the first
 *       max(N, 256) test images (quick checks, the test suite).
 *
 *   visionnet bench --model FILE [--input-shape C,H,W] [--reps N] [--threads N] [--json]
 *       inference time of any model file, or ONNX file (imported first;
 *       --input-shape for symbolic dimensions), on random f32 input: batch-1
 *       latency (median of N runs, default 30) and batch-8 time (median of
 *       max(N/3, 5) runs), each after 2 warm-up runs. --json keys:
 *       latency_b1_ms, batch8_ms, gflops_per_image, input_shape, threads.
 */
#include "cli_data.h"
#include "cli_model.h"
#include "reference_cnn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* Seconds and images since the start of epoch 1 after each of its steps
 * (index 0: the start), from vn_fit's progress callback. */
typedef struct bench_steps {
    int64_t n;        /* steps recorded */
    int64_t cap;      /* steps_per_epoch + 1 */
    double *seconds;
    int64_t *images;
    bool oom;
} bench_steps;

static void bench_on_progress(const vn_fit_progress *p, void *user_data)
{
    bench_steps *st = user_data;
    if (p->event != VN_FIT_BATCH || p->epoch != 1 || st->oom)
        return;
    if (!st->seconds) {
        st->cap = p->steps_per_epoch + 1;
        st->seconds = calloc((size_t)st->cap, sizeof *st->seconds);
        st->images = calloc((size_t)st->cap, sizeof *st->images);
        if (!st->seconds || !st->images) {
            st->oom = true;
            return;
        }
    }
    if (p->step > 0 && p->step < st->cap) {
        st->seconds[p->step] = p->seconds;
        st->images[p->step] = p->images;
        if (p->step > st->n)
            st->n = p->step;
    }
}

static double median_of(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Training images/s of epoch 1 as the median over up to 10 equal chunks
 * after the warm-up steps; *chunks and *warm say what was used. */
static double chunked_rate(const bench_steps *st, int *chunks, int64_t *warm)
{
    const int64_t steps = st->n;
    *warm = steps >= 50 ? 20 : steps / 5;
    const int64_t rest = steps - *warm;
    int nc = rest < 10 ? (int)rest : 10;
    double r[10];
    int k = 0;
    for (int c = 0; c < nc; c++) {
        int64_t a = *warm + rest * c / nc, b = *warm + rest * (c + 1) / nc;
        double dt = st->seconds[b] - st->seconds[a];
        if (dt > 0)
            r[k++] = (double)(st->images[b] - st->images[a]) / dt;
    }
    *chunks = k;
    return k ? median_of(r, k) : NAN;
}

/* The test images, normalised, as f32 [n, 1, 28, 28] (malloc'ed), and their labels. */
static vn_status bench_test_input(const vn_dataset *ds, int64_t n, float **x, int32_t **y)
{
    *x = malloc((size_t)n * 784 * sizeof **x);
    *y = malloc((size_t)n * sizeof **y);
    if (!*x || !*y)
        return VN_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        vn_tensor *img = NULL;
        vn_status s = vn_dataset_get(ds, i, &img, &(*y)[i]);
        if (s != VN_OK)
            return s;
        if (vn_tensor_numel(img) != 784) {
            vn_tensor_destroy(img);
            return VN_ERR_SHAPE;
        }
        const uint8_t *p = vn_tensor_data_const(img);
        for (int j = 0; j < 784; j++)
            (*x)[i * 784 + j] = ((float)p[j] * (1.0f / 255.0f) - CLI_REFERENCE_MEAN) / CLI_REFERENCE_STD;
        vn_tensor_destroy(img);
    }
    return VN_OK;
}

/* Forward images [start, start + n) of x in inference mode; *out borrowed. */
static vn_status bench_forward(vn_model *m, float *x, int64_t start, int64_t n,
                               const vn_tensor **out)
{
    int64_t shape[4] = {n, 1, 28, 28};
    vn_tensor *in = NULL;
    vn_status s = vn_tensor_wrap(VN_F32, 4, shape, x + start * 784, NULL, NULL, &in);
    if (s == VN_OK)
        s = vn_model_forward(m, in, VN_MODE_INFERENCE, out);
    vn_tensor_destroy(in);
    return s;
}

typedef struct bench_result {
    double train_ips, infer_ips, latency_ms, rss_mb, accuracy;
    int chunks;
    int64_t warm, train_n, test_n, infer_n;
} bench_result;

static vn_status bench_run(vn_model *m, const vn_dataset *train, const vn_dataset *test,
                           long epochs, long latency_n, bench_result *r)
{
    bench_steps st = {0};
    vn_fit_result *fr = NULL;
    float *x = NULL;
    int32_t *y = NULL;
    double *t = NULL;
    vn_status s = vn_fit_result_create(&fr);
    if (s == VN_OK) {
        vn_fit_options o = VN_FIT_OPTIONS_INIT;
        o.epochs = (int)epochs;
        o.progress = bench_on_progress;
        o.user_data = &st;
        s = vn_fit(m, train, &o, fr);
    }
    if (s == VN_OK && st.oom)
        s = VN_ERR_NOMEM;
    if (s == VN_OK) {
        if (epochs == 1) {
            r->train_ips = chunked_rate(&st, &r->chunks, &r->warm);
        } else {
            double e[1000];
            int ne = vn_fit_result_epochs(fr);
            for (int i = 0; i < ne; i++) {
                vn_epoch_stats es = {.size = sizeof es};
                vn_fit_result_epoch(fr, i, &es);
                e[i] = es.images_per_s;
            }
            r->train_ips = median_of(e, ne);
        }
        r->train_n = vn_dataset_size(train);
        r->test_n = vn_dataset_size(test);
        s = bench_test_input(test, r->test_n, &x, &y);
    }
    /* accuracy: one pass over the whole test set, which also warms up */
    const int64_t B = 256;
    int64_t right = 0;
    const vn_tensor *out = NULL;
    for (int64_t i = 0; i < r->test_n && s == VN_OK; i += B) {
        int64_t n = r->test_n - i < B ? r->test_n - i : B;
        s = bench_forward(m, x, i, n, &out);
        if (s != VN_OK)
            break;
        const float *lg = vn_tensor_data_const(out);
        const int64_t k = vn_tensor_dim(out, 1);
        for (int64_t j = 0; j < n; j++) {
            int64_t best = 0;
            for (int64_t c = 1; c < k; c++)
                if (lg[j * k + c] > lg[j * k + best])
                    best = c;
            right += best == y[i + j];
        }
    }
    r->accuracy = r->test_n ? (double)right / (double)r->test_n : NAN;
    /* batch-256 throughput over the whole batches: a warm-up pass, then 5 */
    r->infer_n = r->test_n / B * B;
    double pass[6];
    for (int p = 0; p < 6 && s == VN_OK; p++) {
        double t0 = now_s();
        for (int64_t i = 0; i < r->infer_n && s == VN_OK; i += B)
            s = bench_forward(m, x, i, B, &out);
        pass[p] = (double)r->infer_n / (now_s() - t0);
    }
    if (s == VN_OK)
        r->infer_ips = median_of(pass + 1, 5);
    /* batch-1 latency */
    if (s == VN_OK && !(t = malloc((size_t)latency_n * sizeof *t)))
        s = VN_ERR_NOMEM;
    for (long i = 0; i < 50 && s == VN_OK; i++)
        s = bench_forward(m, x, i % r->test_n, 1, &out);
    for (long i = 0; i < latency_n && s == VN_OK; i++) {
        double t0 = now_s();
        s = bench_forward(m, x, i % r->test_n, 1, &out);
        t[i] = now_s() - t0;
    }
    if (s == VN_OK)
        r->latency_ms = 1e3 * median_of(t, latency_n);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->rss_mb = (double)ru.ru_maxrss / 1024.0;
    free(t);
    free(x);
    free(y);
    free(st.seconds);
    free(st.images);
    vn_fit_result_destroy(fr);
    return s;
}

/* ---- visionnet bench --model FILE ---------------------------------------- */

/* "3,224,224" -> dims; false after one line. */
static bool parse_shape(const char *text, int64_t *dims, int *n)
{
    *n = 0;
    for (const char *p = text; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 1 || v > (1LL << 24) || (*end && *end != ',') ||
            *n == VN_MAX_DIMS - 1) {
            cli_fail("--input-shape: '%s' is not a list of positive sizes such as 3,224,224",
                     text);
            return false;
        }
        dims[(*n)++] = v;
        p = *end ? end + 1 : end;
    }
    if (!*n)
        cli_fail("--input-shape: give the sizes, such as 3,224,224");
    return *n > 0;
}

/* Median milliseconds of `reps` inference forwards of x, after 2 warm-ups. */
static vn_status time_forward(vn_model *m, const vn_tensor *x, long reps, double *ms)
{
    double *t = malloc((size_t)reps * sizeof *t);
    if (!t)
        return VN_ERR_NOMEM;
    const vn_tensor *out = NULL;
    vn_status s = VN_OK;
    for (long i = 0; i < 2 && s == VN_OK; i++)
        s = vn_model_forward(m, x, VN_MODE_INFERENCE, &out);
    for (long i = 0; i < reps && s == VN_OK; i++) {
        double t0 = now_s();
        s = vn_model_forward(m, x, VN_MODE_INFERENCE, &out);
        t[i] = 1e3 * (now_s() - t0);
    }
    if (s == VN_OK)
        *ms = median_of(t, reps);
    free(t);
    return s;
}

/* A batch of n random samples (normal-ish, fixed seed) of the model's input. */
static vn_status random_batch(const vn_model *m, int64_t n, vn_tensor **out)
{
    int64_t shape[VN_MAX_DIMS + 1];
    int nd = 0;
    vn_model_input_shape(m, shape + 1, &nd);
    shape[0] = n;
    vn_status s = vn_tensor_create(VN_F32, nd + 1, shape, out);
    if (s != VN_OK)
        return s;
    float *d = vn_tensor_data(*out);
    uint64_t z = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < vn_tensor_numel(*out); i++) {
        float acc = 0;
        for (int k = 0; k < 4; k++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            acc += (float)(z >> 40) / (float)(1 << 24);
        }
        d[i] = (acc - 2.0f) * 1.7320508f; /* mean 0, variance 1 */
    }
    return VN_OK;
}

static int bench_model(const char *path, const char *input_shape, long threads, long reps,
                       bool json)
{
    if (threads > 0)
        vn_set_num_threads((int)threads);
    vn_model *m = NULL;
    if (cli_is_model_file(path)) {
        if (input_shape)
            return cli_fail("bench: --input-shape is for ONNX files; %s is a model file", path);
        if (!(m = cli_model_load(path, NULL)))
            return 1;
    } else {
        FILE *f = fopen(path, "rb");
        if (!f)
            return cli_fail("%s: no such file", path);
        fclose(f);
        int64_t dims[VN_MAX_DIMS];
        int nd = 0;
        if (input_shape && !parse_shape(input_shape, dims, &nd))
            return 1;
        vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
        if (nd) {
            o.input_shape = dims;
            o.input_ndim = nd;
        }
        vn_status s = vn_model_import_onnx(path, &o, &m);
        if (s != VN_OK)
            return cli_fail_file(path, s);
    }
    vn_tensor *x1 = NULL, *x8 = NULL;
    double b1 = NAN, b8 = NAN;
    const long reps8 = reps / 3 < 5 ? 5 : reps / 3;
    vn_status s = random_batch(m, 1, &x1);
    if (s == VN_OK)
        s = random_batch(m, 8, &x8);
    if (s == VN_OK)
        s = time_forward(m, x1, reps, &b1);
    if (s == VN_OK)
        s = time_forward(m, x8, reps8, &b8);
    int64_t shape[VN_MAX_DIMS];
    int nd = 0;
    vn_model_input_shape(m, shape, &nd);
    int64_t flops = 0;
    for (int i = 0; i < vn_model_node_count(m); i++)
        flops += vn_model_node_flops(m, i);
    vn_tensor_destroy(x1);
    vn_tensor_destroy(x8);
    vn_model_destroy(m);
    if (s != VN_OK)
        return cli_fail_file(path, s);
    const int nt = vn_get_num_threads();
    if (json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, path);
        fputs(", \"input_shape\": [", stdout);
        for (int d = 0; d < nd; d++)
            printf(d ? ", %lld" : "%lld", (long long)shape[d]);
        printf("], \"gflops_per_image\": %.4f, \"latency_b1_ms\": %.4f, \"batch8_ms\": %.4f, "
               "\"latency_n\": %ld, \"batch8_n\": %ld, \"threads\": %d}\n",
               1e-9 * (double)flops, b1, b8, reps, reps8, nt);
        return 0;
    }
    printf("%s: %.4g GFLOPs per image, %d thread%s\n", path, 1e-9 * (double)flops, nt,
           nt == 1 ? "" : "s");
    printf("latency: %.3f ms (batch 1, median of %ld runs after 2 warm-up runs)\n", b1, reps);
    printf("batch 8: %.3f ms (median of %ld runs; %.1f images/s)\n", b8, reps8, 8e3 / b8);
    return 0;
}

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: visionnet bench [--threads N] [--epochs E] [--latency-n N] [--limit N] "
            "[--json]\n"
            "       visionnet bench --model FILE [--input-shape C,H,W] [--reps N] [--threads N] "
            "[--json]\n"
            "       visionnet bench augment [--threads N] [--n IMAGES] [--reps R] "
            "[--image PATH] [--json]\n\n"
            "The reference CNN on Fashion-MNIST (" CLI_FASHION_MNIST_DIR "), as\n"
            "../shared/bench/reference_cnn_torch.py runs it in PyTorch: training images/s\n"
            "(median over the epochs, or over 10 chunks of the epoch when E is 1, after 20\n"
            "warm-up steps), batch-256 inference images/s, batch-1 latency (median of N\n"
            "test images, default 1000), peak RSS and test accuracy.\n\n"
            "  --threads N     threads (default: all cores)\n"
            "  --epochs E      training epochs (default 1)\n"
            "  --latency-n N   single images timed (default 1000)\n"
            "  --limit N       only the first N training and max(N, 256) test images\n"
            "  --json          one JSON object: train_images_per_s, infer_images_per_s,\n"
            "                  latency_b1_ms, peak_rss_mb, threads, epochs, accuracy\n\n"
            "With --model: inference time of any model file (or ONNX file, imported first;\n"
            "--input-shape for its symbolic dimensions) on random input: batch-1 latency\n"
            "(median of N runs, default 30) and batch-8 time (median of max(N/3, 5) runs).\n"
            "  --json          latency_b1_ms, batch8_ms, gflops_per_image, input_shape, threads\n");
}

static int bench_train(int argc, char **argv)
{
    long threads = 0, epochs = 1, latency_n = 1000, limit = 0, reps = 30;
    const char *model_path = NULL, *input_shape = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--threads")) {
            if (!cli_parse_int("--threads", v, 1, 1024, &threads))
                return 1;
            i++;
        } else if (!strcmp(a, "--epochs")) {
            if (!cli_parse_int("--epochs", v, 1, 1000, &epochs))
                return 1;
            i++;
        } else if (!strcmp(a, "--latency-n")) {
            if (!cli_parse_int("--latency-n", v, 1, 10000000, &latency_n))
                return 1;
            i++;
        } else if (!strcmp(a, "--limit")) {
            if (!cli_parse_int("--limit", v, 1, 1000000000, &limit))
                return 1;
            i++;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--model") || !strcmp(a, "--input-shape")) {
            if (!v)
                return cli_fail("bench: %s needs a value", a);
            *(!strcmp(a, "--model") ? &model_path : &input_shape) = v;
            i++;
        } else if (!strcmp(a, "--reps")) {
            if (!cli_parse_int("--reps", v, 1, 1000000, &reps))
                return 1;
            i++;
        } else {
            return cli_fail(strncmp(a, "--", 2)
                                ? "bench: unexpected argument '%s' (see visionnet bench --help)"
                                : "bench: unknown option '%s' (see visionnet bench --help)",
                            a);
        }
    }
    if (model_path)
        return bench_model(model_path, input_shape, threads, reps, json);
    if (input_shape)
        return cli_fail("bench: --input-shape goes with --model");
    if (threads > 0)
        vn_set_num_threads((int)threads);
    char train_path[4096], test_path[4096];
    vn_dataset *all = cli_data_open(NULL, false, train_path, sizeof train_path);
    if (!all)
        return 1;
    vn_dataset *all_test = cli_data_open(NULL, true, test_path, sizeof test_path);
    if (!all_test) {
        vn_dataset_destroy(all);
        return 1;
    }
    vn_dataset *train = NULL, *test = NULL;
    vn_model *model = NULL;
    int64_t ntr = vn_dataset_size(all), nte = vn_dataset_size(all_test);
    if (limit > 0) {
        const int64_t lt = limit < 256 ? 256 : limit;
        ntr = limit < ntr ? limit : ntr;
        nte = lt < nte ? lt : nte;
    }
    vn_status s = vn_dataset_subset(all, 0, ntr, &train);
    if (s == VN_OK)
        s = vn_dataset_subset(all_test, 0, nte, &test);
    char *spec = cli_reference_cnn_spec(10);
    if (s == VN_OK)
        s = spec ? vn_model_from_spec(spec, &model) : VN_ERR_NOMEM;
    free(spec);
    const float mean = CLI_REFERENCE_MEAN, std = CLI_REFERENCE_STD;
    if (s == VN_OK)
        s = vn_model_set_preprocess(model, 1.0f / 255.0f, &mean, &std);
    bench_result r = {0};
    if (s == VN_OK) {
        if (!json)
            fprintf(stderr, "bench: training the reference CNN for %ld epoch%s on %lld images "
                    "of %s, %d thread%s\n", epochs, epochs == 1 ? "" : "s", (long long)ntr,
                    train_path, vn_get_num_threads(), vn_get_num_threads() == 1 ? "" : "s");
        s = bench_run(model, train, test, epochs, latency_n, &r);
    }
    vn_model_destroy(model);
    vn_dataset_destroy(train);
    vn_dataset_destroy(test);
    vn_dataset_destroy(all);
    vn_dataset_destroy(all_test);
    if (s != VN_OK)
        return cli_fail_data(s);
    const int nt = vn_get_num_threads();
    if (json) {
        printf("{\"train_images_per_s\": %.1f, \"infer_images_per_s\": %.1f, "
               "\"latency_b1_ms\": %.4f, \"peak_rss_mb\": %.1f, \"threads\": %d, "
               "\"epochs\": %ld, \"accuracy\": %.4f}\n",
               r.train_ips, r.infer_ips, r.latency_ms, r.rss_mb, nt, epochs, r.accuracy);
        return 0;
    }
    if (epochs == 1)
        printf("training: %.1f images/s (median of %d chunks of the epoch after %lld warm-up "
               "steps; %lld images, batch 64, %d thread%s)\n", r.train_ips, r.chunks,
               (long long)r.warm, (long long)r.train_n, nt, nt == 1 ? "" : "s");
    else
        printf("training: %.1f images/s (median of %ld epochs; %lld images, batch 64, "
               "%d thread%s)\n", r.train_ips, epochs, (long long)r.train_n, nt,
               nt == 1 ? "" : "s");
    printf("inference: %.1f images/s (batch 256, median of 5 passes over %lld test images)\n",
           r.infer_ips, (long long)r.infer_n);
    printf("latency: %.4f ms (batch 1, median of %ld images)\n", r.latency_ms, latency_n);
    printf("peak RSS: %.1f MB\n", r.rss_mb);
    printf("test accuracy: %.2f%% (%lld images, after %ld epoch%s)\n", 100.0 * r.accuracy,
           (long long)r.test_n, epochs, epochs == 1 ? "" : "s");
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "augment"))
        return bench_augment(argc - 1, argv + 1);
    return bench_train(argc, argv);
}
