/* bench_frozen_backward.c - what freezing saves: the backward pass of the
 * reference CNN (models/reference_cnn.spec) at batch 64, all trainable
 * versus the backbone frozen up to `flatten` (only fc1 and fc2 train), and
 * the whole training step (forward + backward) both ways. Backward is
 * called with grad_input NULL, as training does, so the frozen run skips
 * every node upstream of fc1. Each figure is the median of --repeats timed
 * runs after two warm-up runs (docs/transfer-learning.md quotes them).
 *
 *   bench_frozen_backward [--repeats N] [--threads N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <visionnet.h>

static const char *REFERENCE_CNN = "input shape=1,28,28\n"
                                   "conv2d name=conv1 out=32 k=3 pad=1\n"
                                   "relu name=relu1\n"
                                   "max_pool2d name=pool1 k=2\n"
                                   "conv2d name=conv2 out=64 k=3 pad=1\n"
                                   "relu name=relu2\n"
                                   "max_pool2d name=pool2 k=2\n"
                                   "flatten name=flatten\n"
                                   "dense name=fc1 out=128\n"
                                   "relu name=relu3\n"
                                   "dense name=fc2 out=10\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check(vn_status s)
{
    if (s != VN_OK) {
        fprintf(stderr, "bench_frozen_backward: %s\n", vn_last_error());
        exit(1);
    }
}

/* Median backward and step times (ms) over `repeats` runs. */
static void measure(vn_model *m, const vn_tensor *x, int repeats, double *bwd, double *step)
{
    double *tb = malloc((size_t)repeats * sizeof *tb), *ts = malloc((size_t)repeats * sizeof *ts);
    vn_tensor *dy = NULL;
    for (int r = -2; r < repeats; r++) {
        const vn_tensor *y;
        double t0 = now();
        check(vn_model_forward(m, x, VN_MODE_TRAINING, &y));
        if (!dy) {
            check(vn_tensor_copy(y, &dy));
            float *g = vn_tensor_data(dy);
            for (size_t i = 0; i < vn_tensor_numel(dy); i++)
                g[i] = (float)(i % 7) / 64.0f - 0.05f;
        }
        double t1 = now();
        check(vn_model_backward(m, dy, NULL));
        double t2 = now();
        if (r >= 0) {
            tb[r] = (t2 - t1) * 1e3;
            ts[r] = (t2 - t0) * 1e3;
        }
    }
    qsort(tb, (size_t)repeats, sizeof *tb, cmp);
    qsort(ts, (size_t)repeats, sizeof *ts, cmp);
    *bwd = tb[repeats / 2];
    *step = ts[repeats / 2];
    vn_tensor_destroy(dy);
    free(tb);
    free(ts);
}

int main(int argc, char **argv)
{
    int repeats = 21, threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--repeats") == 0)
            repeats = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
    }
    if (repeats < 1)
        repeats = 1;
    if (threads > 0)
        check(vn_set_num_threads(threads));
    vn_model *m = NULL;
    check(vn_model_from_spec(REFERENCE_CNN, &m));
    int64_t shape[4] = {64, 1, 28, 28};
    vn_tensor *x = NULL;
    check(vn_tensor_create(VN_F32, 4, shape, &x));
    float *p = vn_tensor_data(x);
    for (size_t i = 0; i < vn_tensor_numel(x); i++)
        p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f;
    double full_b, full_s, frozen_b, frozen_s;
    measure(m, x, repeats, &full_b, &full_s);
    check(vn_model_freeze_until(m, "flatten"));
    measure(m, x, repeats, &frozen_b, &frozen_s);
    printf("reference CNN, batch 64, median of %d runs\n", repeats);
    printf("%-28s %10s %12s\n", "", "backward ms", "fwd+bwd ms");
    printf("%-28s %10.2f %12.2f\n", "all trainable", full_b, full_s);
    printf("%-28s %10.2f %12.2f\n", "frozen up to flatten", frozen_b, frozen_s);
    printf("backward speed-up x%.1f, step speed-up x%.2f\n", full_b / frozen_b, full_s / frozen_s);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
    return 0;
}
