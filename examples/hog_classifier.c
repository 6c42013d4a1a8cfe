/*
 * hog_classifier.c - feature engineering: HOG features of Fashion-MNIST fed
 * to (a) a linear softmax classifier and (b) a small MLP, both trained with
 * the library's Adam and softmax cross-entropy. docs/feature-engineering.md
 * compares their accuracy with the reference CNN's.
 *
 *   cc hog_classifier.c $(pkg-config --cflags --libs visionnet) -o hog_classifier
 *   ./hog_classifier                 # a quick run on 3000 / 1000 images
 *   ./hog_classifier --full          # 60000 / 10000 images, 10 epochs each
 *   ./hog_classifier --full DIR      # Fashion-MNIST's four .gz files in DIR
 *
 * Features: 28x28 image -> HOG with 9 orientations, 4x4-pixel cells, 2x2
 * blocks (7x7 cells, 6x6 blocks, 1296 values), skimage's convention,
 * L2-Hys; then each feature standardised with the training set's mean and
 * standard deviation. Linear: dense 1296 -> 10. MLP: dense 1296 -> 256,
 * ReLU, dense 256 -> 10. Adam lr 1e-3, batch 128, shuffled every epoch.
 * Without the dataset (default DIR /usr/share/datasets/fashion-mnist) the
 * program says so and exits with status 0.
 */
#include <visionnet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOG_SPEC "convention=skimage orientations=9 cell=4 block=2 norm=l2hys"

static int fail(const char *what, vn_status s)
{
    fprintf(stderr, "hog_classifier: %s: %s (%s)\n", what, vn_last_error(), vn_status_str(s));
    return 1;
}

static double seconds(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC); /* C11 */
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* HOG features of the first n images of ds: f32 [n, D] and labels i32 [n]. */
static vn_status hog_features(const vn_dataset *ds, int64_t n, vn_tensor **features, vn_tensor **labels)
{
    vn_hog *hog = NULL;
    vn_status s = vn_hog_create_from_string(HOG_SPEC, &hog);
    vn_tensor *img = NULL, *x = NULL, *y = NULL;
    size_t d = 0;
    for (int64_t i = 0; s == VN_OK && i < n; i++) {
        int32_t label;
        s = vn_dataset_get(ds, i, &img, &label);
        if (s == VN_OK)
            s = vn_hog_put_image(hog, img);
        if (s == VN_OK && !x) {
            d = vn_hog_get_size(hog);
            s = vn_tensor_create(VN_F32, 2, (int64_t[]){n, (int64_t)d}, &x);
            if (s == VN_OK)
                s = vn_tensor_create(VN_I32, 1, (int64_t[]){n}, &y);
        }
        if (s == VN_OK)
            s = vn_hog_extract(hog, (float *)vn_tensor_data(x) + (size_t)i * d, d);
        if (s == VN_OK)
            ((int32_t *)vn_tensor_data(y))[i] = label;
        vn_tensor_destroy(img);
        img = NULL;
    }
    vn_hog_destroy(hog);
    if (s != VN_OK) {
        vn_tensor_destroy(x);
        vn_tensor_destroy(y);
        return s;
    }
    *features = x;
    *labels = y;
    return VN_OK;
}

/* Square root by Newton's method, so the example needs no -lm. */
static double root(double v)
{
    double r = v > 1.0 ? v : 1.0;
    for (int i = 0; i < 200; i++) {
        double next = 0.5 * (r + v / r);
        if (next >= r)
            break;
        r = next;
    }
    return r;
}

/* Standardise every column of x with the mean / std of train's columns. */
static void standardize(const vn_tensor *train, vn_tensor *x)
{
    int64_t n = vn_tensor_dim(train, 0), d = vn_tensor_dim(train, 1), m = vn_tensor_dim(x, 0);
    const float *t = vn_tensor_data_const(train);
    float *v = vn_tensor_data(x);
    for (int64_t j = 0; j < d; j++) {
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < n; i++) {
            sum += t[i * d + j];
            sq += (double)t[i * d + j] * t[i * d + j];
        }
        double mean = sum / n, sd = root(sq / n - mean * mean + 1e-8);
        for (int64_t i = 0; i < m; i++)
            v[i * d + j] = (float)((v[i * d + j] - mean) / sd);
    }
}

/* Train model on (x, y) with Adam for `epochs`, batch 128. */
static vn_status train(vn_model *model, const vn_tensor *x, const vn_tensor *y, int epochs)
{
    int64_t n = vn_tensor_dim(x, 0), d = vn_tensor_dim(x, 1), batch = 128;
    vn_optimizer *opt = NULL;
    vn_tensor *bx = NULL, *by = NULL, *dlogits = NULL;
    int64_t *order = malloc((size_t)n * sizeof *order);
    vn_status s = order ? vn_optimizer_create("adam lr=1e-3", &opt) : VN_ERR_NOMEM;
    if (s == VN_OK)
        s = vn_optimizer_add_model(opt, model);
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t rng = 12345;
    for (int e = 0; s == VN_OK && e < epochs; e++) {
        for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates with a 64-bit LCG */
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            int64_t j = (int64_t)((rng >> 33) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int64_t b0 = 0; s == VN_OK && b0 < n; b0 += batch) {
            int64_t m = n - b0 < batch ? n - b0 : batch;
            if (!bx || vn_tensor_dim(bx, 0) != m) {
                vn_tensor_destroy(bx);
                vn_tensor_destroy(by);
                vn_tensor_destroy(dlogits);
                bx = by = dlogits = NULL;
                s = vn_tensor_create(VN_F32, 2, (int64_t[]){m, d}, &bx);
                if (s == VN_OK)
                    s = vn_tensor_create(VN_I32, 1, (int64_t[]){m}, &by);
                if (s == VN_OK)
                    s = vn_tensor_create(VN_F32, 2, (int64_t[]){m, 10}, &dlogits);
                if (s != VN_OK)
                    break;
            }
            for (int64_t k = 0; k < m; k++) {
                memcpy((float *)vn_tensor_data(bx) + k * d,
                       (const float *)vn_tensor_data_const(x) + order[b0 + k] * d, (size_t)d * sizeof(float));
                ((int32_t *)vn_tensor_data(by))[k] = ((const int32_t *)vn_tensor_data_const(y))[order[b0 + k]];
            }
            const vn_tensor *logits = NULL;
            float loss;
            s = vn_model_forward(model, bx, VN_MODE_TRAINING, &logits);
            if (s == VN_OK)
                s = vn_loss_cross_entropy(logits, by, 0.0f, &loss, dlogits);
            if (s == VN_OK)
                s = vn_optimizer_zero_grad(opt);
            if (s == VN_OK)
                s = vn_model_backward(model, dlogits, NULL);
            if (s == VN_OK)
                s = vn_optimizer_step(opt);
        }
    }
    vn_tensor_destroy(bx);
    vn_tensor_destroy(by);
    vn_tensor_destroy(dlogits);
    vn_optimizer_destroy(opt);
    free(order);
    return s;
}

/* Fraction of (x, y) the model classifies right. */
static vn_status accuracy(vn_model *model, const vn_tensor *x, const vn_tensor *y, double *acc)
{
    int64_t n = vn_tensor_dim(x, 0), d = vn_tensor_dim(x, 1), right = 0;
    const float *xv = vn_tensor_data_const(x);
    const int32_t *yv = vn_tensor_data_const(y);
    for (int64_t b0 = 0; b0 < n; b0 += 500) {
        int64_t m = n - b0 < 500 ? n - b0 : 500;
        vn_tensor *bx = NULL;
        /* wrap, not copy: inference only reads its input */
        vn_status s = vn_tensor_wrap(VN_F32, 2, (int64_t[]){m, d}, (void *)(xv + b0 * d), NULL, NULL, &bx);
        const vn_tensor *logits = NULL;
        if (s == VN_OK)
            s = vn_model_forward(model, bx, VN_MODE_INFERENCE, &logits);
        vn_tensor_destroy(bx);
        if (s != VN_OK)
            return s;
        const float *l = vn_tensor_data_const(logits);
        for (int64_t i = 0; i < m; i++) {
            int best = 0;
            for (int k = 1; k < 10; k++)
                best = l[i * 10 + k] > l[i * 10 + best] ? k : best;
            right += best == yv[b0 + i];
        }
    }
    *acc = (double)right / (double)n;
    return VN_OK;
}

/* Build, train and test one classifier; `hidden` 0 = linear. */
static int run(const char *what, int hidden, const vn_tensor *xtr, const vn_tensor *ytr, const vn_tensor *xte,
               const vn_tensor *yte, int epochs)
{
    vn_model *m = NULL;
    int64_t d = vn_tensor_dim(xtr, 1);
    vn_status s = vn_model_create(&d, 1, &m);
    if (s == VN_OK && hidden) {
        s = vn_model_add_dense(m, "fc1", hidden, 1);
        if (s == VN_OK)
            s = vn_model_add_activation(m, "relu1", "relu");
    }
    if (s == VN_OK)
        s = vn_model_add_dense(m, "fc", 10, 1);
    double t0 = seconds(), acc = 0;
    if (s == VN_OK)
        s = train(m, xtr, ytr, epochs);
    double t1 = seconds();
    if (s == VN_OK)
        s = accuracy(m, xte, yte, &acc);
    vn_model_destroy(m);
    if (s != VN_OK)
        return fail(what, s);
    printf("%-28s test accuracy %.2f%%  (%d epochs, training %.2f s)\n", what, 100.0 * acc, epochs, t1 - t0);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = "/usr/share/datasets/fashion-mnist";
    int full = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--full"))
            full = 1;
        else
            dir = argv[i];
    }
    char train_path[512], test_path[512];
    snprintf(train_path, sizeof train_path, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(test_path, sizeof test_path, "%s/t10k-images-idx3-ubyte.gz", dir);
    vn_dataset *train_ds = NULL, *test_ds = NULL;
    vn_status s = vn_dataset_load_idx(train_path, NULL, &train_ds);
    if (s != VN_OK) {
        printf("hog_classifier: no Fashion-MNIST in %s (%s); nothing to do\n", dir, vn_last_error());
        return 0;
    }
    if ((s = vn_dataset_load_idx(test_path, NULL, &test_ds)) != VN_OK)
        return fail(test_path, s);
    int64_t ntr = full ? vn_dataset_size(train_ds) : 3000, nte = full ? vn_dataset_size(test_ds) : 1000;
    int epochs = full ? 10 : 2;

    double t0 = seconds();
    vn_tensor *xtr = NULL, *ytr = NULL, *xte = NULL, *yte = NULL;
    if ((s = hog_features(train_ds, ntr, &xtr, &ytr)) != VN_OK || (s = hog_features(test_ds, nte, &xte, &yte)) != VN_OK)
        return fail("hog features", s);
    double t1 = seconds();
    printf("HOG (%s): %lld + %lld images -> %lld features each in %.2f s (%.1f us per image)\n", HOG_SPEC,
           (long long)ntr, (long long)nte, (long long)vn_tensor_dim(xtr, 1), t1 - t0,
           1e6 * (t1 - t0) / (double)(ntr + nte));
    standardize(xtr, xte);
    standardize(xtr, xtr); /* after xte: it reads xtr's raw statistics */

    int rc = run("linear softmax on HOG", 0, xtr, ytr, xte, yte, epochs);
    if (!rc)
        rc = run("MLP 1296-256-10 on HOG", 256, xtr, ytr, xte, yte, epochs);
    vn_tensor_destroy(xtr);
    vn_tensor_destroy(ytr);
    vn_tensor_destroy(xte);
    vn_tensor_destroy(yte);
    vn_dataset_destroy(train_ds);
    vn_dataset_destroy(test_ds);
    return rc;
}
