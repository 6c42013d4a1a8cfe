/*
 * bench_layers.c - forward and backward speed of conv2d at four
 * representative shapes, as GFLOP/s and as a fraction of the sgemm peak
 * of the library's GEMM backend measured in the same run, on 1 and 2
 * threads.
 *
 *   bench_layers [--threads N] [--repeats R] [--policy 0|1|both] [--clock wall|cpu]
 *                [--gemm native|openblas|portable|avx2|avx512] [--json]
 *
 * Shapes (issue 3, part 7), all stride 1, "same" padding:
 *   a  3x3  32 -> 64  on 14x14,   batch 64
 *   b  3x3  64 -> 64  on 56x56,   batch 8
 *   c  1x1 256 -> 64  on 28x28,   batch 8
 *   d  3x3 depthwise, 32 channels on 112x112, batch 8
 *
 * FLOPs count a multiply-add as 2: forward 2*N*K*OH*OW*(C/groups)*kh*kw,
 * backward twice that (input gradient + weight gradient; the bias
 * gradient's additions are not counted). The sgemm peak is the best rate
 * of a 1024^3 product through the library's GEMM on the same thread count
 * and policy; every layer figure is the median of --repeats timed runs
 * after one untimed warm-up. The peak and the layers are timed in turns,
 * so that a change in the machine's load touches both alike. The load
 * average at the start is printed too: on a shared machine, compare runs
 * made at a low load.
 *
 * Each configuration also times one training step (forward + backward) of
 * the reference CNN of ../shared/bench at batch 64, and the CPU time the
 * process burns in the 50 ms after it (threads left spinning).
 *
 * --policy selects how BLAS and the pool share the cores (docs/threads.md):
 * 0 = the library's pool splits the work and BLAS runs on one thread (the
 * default), 1 = each GEMM is one BLAS call threaded by OpenBLAS; it only
 * matters for the OpenBLAS backend.
 *
 * --gemm selects the GEMM backend for the whole run (default: the
 * library's default, the native GEMM on CPUs with AVX2 / AVX-512). The
 * 1024^3 rate of the native GEMM and of OpenBLAS are timed too, in the same
 * turns, and printed next to the peak of the backend in use.
 */
#include "kernels/kernels.h"
#include "nn/layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct shape {
    const char *name, *what;
    int64_t n, c, h, w, k;
    int ksize, groups;
} shape;

static const shape g_shapes[] = {
    {"a", "3x3 32->64 14x14 b64", 64, 32, 14, 14, 64, 3, 1},
    {"b", "3x3 64->64 56x56 b8", 8, 64, 56, 56, 64, 3, 1},
    {"c", "1x1 256->64 28x28 b8", 8, 256, 28, 28, 64, 1, 1},
    {"d", "3x3 dw 32ch 112x112 b8", 8, 32, 112, 112, 32, 3, 32},
};
#define NSHAPES ((int)(sizeof g_shapes / sizeof g_shapes[0]))

/* Wall-clock time, or with --clock cpu the calling thread's CPU time
 * (one thread only: time the scheduler gives to other processes on a
 * shared machine is then not counted). */
static clockid_t g_clock = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec ts;
    clock_gettime(g_clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The 1-minute load average, -1 when unknown. */
static double load_average(void)
{
    double l = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1.0;
        fclose(f);
    }
    return l;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static float *random_floats(size_t n, uint64_t seed)
{
    float *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "bench_layers: out of memory\n");
        exit(1);
    }
    struct vn_rng rng;
    vn__rng_init(&rng, seed, 0);
    for (size_t i = 0; i < n; i++)
        p[i] = vn_rng_uniform(&rng) - 0.5f;
    return p;
}

/* A conv2d layer with its tensors, ready to run. */
typedef struct rig {
    vn__layer *layer;
    vn_tensor *x, *y, *dy, *dx;
    double flops;               /* forward */
    double fwd[64], bwd[64];    /* seconds per repeat */
} rig;

static void rig_init(rig *r, const shape *s)
{
    vn__attrs a;
    char attrs[128];
    snprintf(attrs, sizeof attrs, "out=%lld k=%d pad=%d groups=%d", (long long)s->k, s->ksize,
             s->ksize / 2, s->groups);
    vn__shape in = {.ndim = 3, .d = {s->c, s->h, s->w}};
    if (vn__attrs_parse(attrs, "conv2d", &a) != VN_OK ||
        vn__layer_type_find("conv2d")->create(&a, 1, &in, &r->layer) != VN_OK) {
        fprintf(stderr, "bench_layers: %s\n", vn_last_error());
        exit(1);
    }
    vn__attrs_free(&a);
    struct vn_rng rng;
    vn__rng_init(&rng, 7, 7);
    r->layer->ops->init(r->layer, &rng);
    int64_t xs[4] = {s->n, s->c, s->h, s->w}, ys[4] = {s->n, s->k, s->h, s->w};
    if (vn_tensor_create(VN_F32, 4, xs, &r->x) != VN_OK ||
        vn_tensor_create(VN_F32, 4, xs, &r->dx) != VN_OK ||
        vn_tensor_create(VN_F32, 4, ys, &r->y) != VN_OK ||
        vn_tensor_create(VN_F32, 4, ys, &r->dy) != VN_OK) {
        fprintf(stderr, "bench_layers: out of memory\n");
        exit(1);
    }
    float *px = random_floats(vn_tensor_numel(r->x), 4);
    float *pd = random_floats(vn_tensor_numel(r->dy), 5);
    memcpy(vn_tensor_data(r->x), px, vn_tensor_nbytes(r->x));
    memcpy(vn_tensor_data(r->dy), pd, vn_tensor_nbytes(r->dy));
    free(px);
    free(pd);
    r->flops = 2.0 * (double)(s->n * s->k * s->h * s->w) * (double)(s->c / s->groups) *
               s->ksize * s->ksize;
}

static void rig_run(rig *r, int slot)
{
    vn__run run = {.training = true};
    const vn_tensor *inputs[1] = {r->x};
    vn_tensor *grads[1] = {r->dx};
    double t0 = now();
    r->layer->ops->forward(r->layer, &run, 1, inputs, r->y);
    double t1 = now();
    r->layer->ops->backward(r->layer, &run, 1, inputs, r->y, r->dy, grads, true);
    double t2 = now();
    if (slot >= 0) {
        r->fwd[slot] = t1 - t0;
        r->bwd[slot] = t2 - t1;
    }
}

static void rig_free(rig *r)
{
    vn_tensor_destroy(r->x);
    vn_tensor_destroy(r->y);
    vn_tensor_destroy(r->dx);
    vn_tensor_destroy(r->dy);
    vn__layer_destroy(r->layer);
}

/* The reference CNN of ../shared/bench (conv 32 - pool - conv 64 - pool -
 * dense 128 - dense 10 on 28x28) for one training step of batch 64: a mix
 * of GEMMs and memory-bound kernels, where threads that spin after a GEMM
 * would slow what follows. */
static const char *MODEL_SPEC = "input shape=1,28,28\n"
                                "conv2d name=conv1 out=32 k=3 pad=1\nrelu\nmax_pool2d k=2\n"
                                "conv2d name=conv2 out=64 k=3 pad=1\nrelu\nmax_pool2d k=2\n"
                                "dense name=fc1 out=128\nrelu\ndense name=fc2 out=10\n";

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds of one forward + backward; *idle_cpu gets the CPU seconds the
 * process burns in the 50 ms after it returns (threads left spinning). */
static double model_step(vn_model *m, const vn_tensor *x, vn_tensor *dy, double *idle_cpu)
{
    const vn_tensor *y = NULL;
    double t0 = now();
    if (vn_model_forward(m, x, VN_MODE_TRAINING, &y) != VN_OK ||
        vn_model_backward(m, dy, NULL) != VN_OK) {
        fprintf(stderr, "bench_layers: %s\n", vn_last_error());
        exit(1);
    }
    double t = now() - t0;
    double c0 = cpu_now();
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
    *idle_cpu = cpu_now() - c0;
    return t;
}

/* One 1024^3 sgemm through the library's GEMM, in seconds. */
static double gemm_once(const float *a, const float *b, float *c)
{
    double t0 = now();
    vn__sgemm(false, false, 1024, 1024, 1024, 1.0f, a, 1024, b, 1024, 0.0f, c, 1024);
    return now() - t0;
}

/* The same on another backend (then back to the one in use); 0 when that
 * backend is not available. */
static double gemm_once_on(int backend, const float *a, const float *b, float *c)
{
    int was = vn__gemm_get_backend();
    if (!vn__gemm_set_backend(backend))
        return 0.0;
    double t = gemm_once(a, b, c);
    vn__gemm_set_backend(was);
    return t;
}

static double best_gflops(const double *t, int n)
{
    double best = 0.0;
    for (int r = 0; r < n; r++)
        if (t[r] > 0.0 && (best == 0.0 || t[r] < best))
            best = t[r];
    return best > 0.0 ? 2.0 * 1024.0 * 1024.0 * 1024.0 / best / 1e9 : 0.0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_layers [--threads N] [--repeats R] [--policy 0|1|both] "
            "[--clock wall|cpu] [--gemm native|openblas|portable|avx2|avx512] [--json]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    int threads[2] = {1, 2}, nthreads = 2, repeats = 9, policies[2] = {0, 1}, npolicies = 1;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads[0] = atoi(argv[++i]);
            nthreads = 1;
        } else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            repeats = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--clock") && i + 1 < argc) {
            const char *c = argv[++i];
            if (!strcmp(c, "cpu"))
                g_clock = CLOCK_THREAD_CPUTIME_ID;
            else if (strcmp(c, "wall"))
                usage();
        } else if (!strcmp(argv[i], "--gemm") && i + 1 < argc) {
            const char *g = argv[++i];
            int b = !strcmp(g, "openblas")   ? VN__GEMM_OPENBLAS
                    : !strcmp(g, "portable") ? VN__GEMM_PORTABLE
                    : !strcmp(g, "avx2")     ? VN__GEMM_AVX2
                    : !strcmp(g, "avx512")   ? VN__GEMM_AVX512
                    : !strcmp(g, "native")   ? (vn__gemm_backend_available(VN__GEMM_AVX512)
                                                    ? VN__GEMM_AVX512
                                                    : VN__GEMM_AVX2)
                                             : -2;
            if (b == -2)
                usage();
            if (!vn__gemm_set_backend(b)) {
                fprintf(stderr, "bench_layers: GEMM backend '%s' is not available here\n", g);
                return 1;
            }
        } else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
            const char *p = argv[++i];
            if (!strcmp(p, "both"))
                npolicies = 2;
            else
                policies[0] = atoi(p);
        } else
            usage();
    }
    if (repeats < 1 || repeats > 64 || threads[0] < 1)
        usage();
    if (g_clock == CLOCK_THREAD_CPUTIME_ID && (nthreads != 1 || threads[0] != 1)) {
        fprintf(stderr, "bench_layers: --clock cpu needs --threads 1\n");
        return 1;
    }
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    double load = load_average();
    const int native = vn__gemm_backend_available(VN__GEMM_AVX512) ? VN__GEMM_AVX512
                                                                   : VN__GEMM_AVX2;
    if (json)
        printf("{\"backend\": \"%s\", \"openblas_coretype_env\": \"%s\", \"repeats\": %d, "
               "\"load_average\": %.2f, \"clock\": \"%s\", \"runs\": [",
               vn__gemm_backend(), coretype ? coretype : "", repeats, load,
               g_clock == CLOCK_MONOTONIC ? "wall" : "cpu");
    else
        printf("GEMM: %s (OPENBLAS_CORETYPE=%s), medians of %d runs, %s time, load average "
               "%.2f\n",
               vn__gemm_backend(), coretype ? coretype : "unset", repeats,
               g_clock == CLOCK_MONOTONIC ? "wall" : "thread CPU", load);
    bool first = true;
    float *ga = random_floats(1024 * 1024, 1), *gb = random_floats(1024 * 1024, 2);
    float *gc = random_floats(1024 * 1024, 3);
    rig rigs[NSHAPES];
    for (int si = 0; si < NSHAPES; si++)
        rig_init(&rigs[si], &g_shapes[si]);
    vn_model *model = NULL;
    if (vn_model_from_spec(MODEL_SPEC, &model) != VN_OK) {
        fprintf(stderr, "bench_layers: %s\n", vn_last_error());
        return 1;
    }
    int64_t mx_shape[4] = {64, 1, 28, 28}, my_shape[2] = {64, 10};
    vn_tensor *mx = NULL, *mdy = NULL;
    vn_tensor_create(VN_F32, 4, mx_shape, &mx);
    vn_tensor_create(VN_F32, 2, my_shape, &mdy);
    float *tmp = random_floats(64 * 784, 8);
    memcpy(vn_tensor_data(mx), tmp, 64 * 784 * sizeof(float));
    free(tmp);
    for (int pi = 0; pi < npolicies; pi++) {
        vn__gemm_set_policy(policies[pi]);
        for (int ti = 0; ti < nthreads; ti++) {
            vn_set_num_threads(threads[ti]);
            /* the peak and the layers are timed in turns, so that a change
             * in the machine's load touches both alike */
            double tg[64], tm[64], ti_cpu[64], tn[64], tb[64];
            for (int r = -1; r < repeats; r++) {
                double t = gemm_once(ga, gb, gc);
                if (r >= 0)
                    tg[r] = t;
                t = gemm_once_on(native, ga, gb, gc);
                if (r >= 0)
                    tn[r] = t;
                t = gemm_once_on(VN__GEMM_OPENBLAS, ga, gb, gc);
                if (r >= 0)
                    tb[r] = t;
                for (int si = 0; si < NSHAPES; si++)
                    rig_run(&rigs[si], r);
                double idle;
                t = model_step(model, mx, mdy, &idle);
                if (r >= 0) {
                    tm[r] = t;
                    ti_cpu[r] = idle;
                }
            }
            /* the peak is the best sgemm rate seen: on a shared machine the
             * median of a loaded run would flatter the layers */
            double best = tg[0];
            for (int r = 1; r < repeats; r++)
                best = tg[r] < best ? tg[r] : best;
            double peak = 2.0 * 1024.0 * 1024.0 * 1024.0 / best / 1e9;
            double step_ms = 1e3 * median(tm, repeats), idle_ms = 1e3 * median(ti_cpu, repeats);
            double native_peak = best_gflops(tn, repeats), blas_peak = best_gflops(tb, repeats);
            if (json)
                printf("%s\n  {\"policy\": %d, \"threads\": %d, \"sgemm_gflops\": %.2f, "
                       "\"native_sgemm_gflops\": %.2f, \"openblas_sgemm_gflops\": %.2f, "
                       "\"cnn_step_b64_ms\": %.3f, \"idle_cpu_ms_after_step\": %.3f, \"layers\": [",
                       first ? "" : ",", policies[pi], threads[ti], peak, native_peak, blas_peak,
                       step_ms, idle_ms);
            else
                printf("\npolicy %d, %d thread%s: sgemm 1024^3 %.1f GFLOP/s (native %.1f, "
                       "OpenBLAS %.1f); CNN train step b64 %.2f ms, then %.1f ms of CPU burnt in "
                       "50 ms idle\n"
                       "  %-24s %9s %8s %6s %9s %8s %6s\n",
                       policies[pi], threads[ti], threads[ti] > 1 ? "s" : "", peak, native_peak,
                       blas_peak, step_ms, idle_ms, "conv2d", "fwd ms", "GFLOP/s", "peak",
                       "bwd ms", "GFLOP/s", "peak");
            first = false;
            for (int si = 0; si < NSHAPES; si++) {
                rig *r = &rigs[si];
                double fs = median(r->fwd, repeats), bs = median(r->bwd, repeats);
                double gf = r->flops / fs / 1e9, gbw = 2.0 * r->flops / bs / 1e9;
                if (json)
                    printf("%s\n    {\"shape\": \"%s\", \"what\": \"%s\", \"fwd_ms\": %.3f, "
                           "\"fwd_gflops\": %.2f, \"fwd_of_peak\": %.3f, \"bwd_ms\": %.3f, "
                           "\"bwd_gflops\": %.2f, \"bwd_of_peak\": %.3f}",
                           si ? "," : "", g_shapes[si].name, g_shapes[si].what, 1e3 * fs, gf,
                           gf / peak, 1e3 * bs, gbw, gbw / peak);
                else
                    printf("  %s %-22s %9.2f %8.1f %5.0f%% %9.2f %8.1f %5.0f%%\n",
                           g_shapes[si].name, g_shapes[si].what, 1e3 * fs, gf,
                           100.0 * gf / peak, 1e3 * bs, gbw, 100.0 * gbw / peak);
            }
            if (json)
                printf("\n  ]}");
        }
    }
    for (int si = 0; si < NSHAPES; si++)
        rig_free(&rigs[si]);
    vn_tensor_destroy(mx);
    vn_tensor_destroy(mdy);
    vn_model_destroy(model);
    free(ga);
    free(gb);
    free(gc);
    if (json)
        printf("\n]}\n");
    return 0;
}
