/*
 * transfer_experiment.c - does transfer learning pay off with little data?
 *
 *   transfer_experiment [--quick] [DIR]
 *
 * 1. Pretrain the reference CNN (models/reference_cnn.spec, 5 outputs) on
 *    the Fashion-MNIST training images of classes 0-4 (T-shirt/top,
 *    Trouser, Pullover, Dress, Coat).
 * 2. Take only 50 training images of each of classes 5-9 (Sandal, Shirt,
 *    Sneaker, Bag, Ankle boot): the first 50 of each class in the file,
 *    vn_dataset_select_classes(). Train on them in four ways, each with
 *    the same epochs, batch and shuffling seed (SGD, momentum 0.9):
 *      frozen   the pretrained network, backbone frozen up to relu3
 *               (vn_model_freeze_until), a new 5-class head fc2
 *               (vn_model_replace_head); only fc2 trains (lr 0.01)
 *      conv     the same, frozen up to flatten only: fc1 and fc2 train
 *      full     the same start, nothing frozen, a small lr (0.001)
 *      scratch  a freshly initialised reference CNN (lr 0.01)
 * 3. Report the accuracy of each on the test images of classes 5-9 (5,000)
 *    and the wall time of its training.
 *
 * DIR holds the IDX files (default /usr/share/datasets/fashion-mnist, the
 * Debian package dataset-fashion-mnist); without them in the default
 * folder the program says so and exits 0. --quick (used by
 * tests/check_examples.sh) pretrains on 1,000 images and tests on 250, to
 * show the steps in a second; the figures of docs/transfer-learning.md come
 * from the full run. Every seed is fixed: the same run gives the same
 * accuracies.
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const SPEC = "input shape=1,28,28 seed=1\n"
                                "conv2d name=conv1 out=32 k=3 pad=1\n"
                                "relu name=relu1\n"
                                "max_pool2d name=pool1 k=2\n"
                                "conv2d name=conv2 out=64 k=3 pad=1\n"
                                "relu name=relu2\n"
                                "max_pool2d name=pool2 k=2\n"
                                "flatten name=flatten\n"
                                "dense name=fc1 out=128\n"
                                "relu name=relu3\n"
                                "dense name=fc2 out=5\n";

/* Fashion-MNIST's mean and std, as `visionnet train` normalises. */
static const float MEAN = 0.2860f, STD = 0.3530f;

static int fail(const char *what)
{
    fprintf(stderr, "transfer_experiment: %s: %s\n", what, vn_last_error());
    return 1;
}

static double now_s(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The reference CNN with 5 outputs and the input normalisation. */
static vn_status new_model(uint64_t seed, vn_model **out)
{
    vn_status s = vn_model_from_spec(SPEC, out);
    if (s == VN_OK)
        s = vn_model_set_seed(*out, seed);
    if (s == VN_OK)
        s = vn_model_set_preprocess(*out, 1.0f / 255.0f, &MEAN, &STD);
    return s;
}

/* Copy every parameter and buffer of src into dst (same spec). */
static vn_status copy_weights(vn_model *dst, vn_model *src)
{
    for (int i = 0; i < vn_model_param_count(src); i++) {
        const char *name = NULL;
        vn_tensor *from = NULL, *to = NULL;
        vn_status s = vn_model_param(src, i, &name, &from, NULL, NULL);
        if (s != VN_OK)
            return s;
        s = vn_model_param(dst, vn_model_param_find(dst, name), NULL, &to, NULL, NULL);
        if (s != VN_OK)
            return s;
        memcpy(vn_tensor_data(to), vn_tensor_data_const(from), vn_tensor_nbytes(from));
    }
    return VN_OK;
}

/* Train `m` on `train` and measure it on `test`: accuracy and seconds. */
static vn_status train_and_test(vn_model *m, const vn_dataset *train, const vn_dataset *test,
                                int epochs, double lr, double *accuracy, double *seconds)
{
    char config[64];
    snprintf(config, sizeof config, "sgd lr=%g momentum=0.9", lr);
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    o.epochs = epochs;
    o.batch_size = 25;
    o.seed = 7;
    o.optimizer_config = config;
    const double t0 = now_s();
    vn_status s = vn_fit(m, train, &o, NULL);
    *seconds = now_s() - t0;
    vn_metrics *mt = NULL;
    if (s == VN_OK)
        s = vn_evaluate(m, test, NULL, &mt);
    if (s == VN_OK)
        *accuracy = vn_metrics_accuracy(mt);
    vn_metrics_destroy(mt);
    return s;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress lines appear as they come */
    int quick = 0;
    const char *dir = "/usr/share/datasets/fashion-mnist";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else
            dir = argv[i];
    }
    char train_path[1024], test_path[1024];
    snprintf(train_path, sizeof train_path, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(test_path, sizeof test_path, "%s/t10k-images-idx3-ubyte.gz", dir);
    FILE *probe = fopen(train_path, "rb");
    if (!probe) {
        printf("Fashion-MNIST is not in %s (apt install dataset-fashion-mnist); nothing to do\n",
               dir);
        return 0;
    }
    fclose(probe);

    const int old_classes[5] = {0, 1, 2, 3, 4}, new_classes[5] = {5, 6, 7, 8, 9};
    const int pre_epochs = quick ? 1 : 2, epochs = quick ? 3 : 30;
    vn_dataset *train = NULL, *test = NULL, *pre = NULL, *pre_test = NULL, *few = NULL,
               *few_test = NULL;
    vn_model *base = NULL, *m = NULL;
    vn_status s = vn_dataset_load_idx(train_path, NULL, &train);
    if (s == VN_OK)
        s = vn_dataset_load_idx(test_path, NULL, &test);
    /* pretraining data: classes 0-4 (all ~30,000 images; --quick: 400 each) */
    if (s == VN_OK)
        s = vn_dataset_select_classes(train, old_classes, 5, quick ? 200 : 0, &pre);
    if (s == VN_OK)
        s = vn_dataset_select_classes(test, old_classes, 5, quick ? 50 : 0, &pre_test);
    /* the new task: classes 5-9, 50 training images each; all their test images */
    if (s == VN_OK)
        s = vn_dataset_select_classes(train, new_classes, 5, 50, &few);
    if (s == VN_OK)
        s = vn_dataset_select_classes(test, new_classes, 5, quick ? 50 : 0, &few_test);
    if (s != VN_OK)
        return fail(dir);

    /* 1. pretrain */
    double acc = 0, secs = 0;
    s = new_model(1, &base);
    if (s == VN_OK) {
        printf("pretraining the reference CNN on classes 0-4: %lld images, %d epoch%s\n",
               (long long)vn_dataset_size(pre), pre_epochs, pre_epochs == 1 ? "" : "s");
        s = train_and_test(base, pre, pre_test, pre_epochs, 0.01, &acc, &secs);
    }
    if (s != VN_OK)
        return fail("pretraining");
    printf("pretrained: %.2f%% on the %lld test images of classes 0-4 (%.1f s)\n\n", 100 * acc,
           (long long)vn_dataset_size(pre_test), secs);

    /* 2. four ways to learn classes 5-9 from 50 images each */
    printf("new task: classes 5-9, %lld training images, %lld test images, %d epochs, batch 25\n",
           (long long)vn_dataset_size(few), (long long)vn_dataset_size(few_test), epochs);
    printf("| method | SGD lr | trainable parameters | test accuracy | training time |\n");
    printf("|---|---:|---:|---:|---:|\n");
    static const struct {
        const char *name;
        int pretrained;          /* start from the pretrained network */
        const char *freeze;      /* freeze up to this node, or NULL */
        double lr;
    } ways[4] = {
        {"frozen backbone up to relu3 + new head fc2", 1, "relu3", 0.01},
        {"frozen convolutions (up to flatten), fc1 + new fc2", 1, "flatten", 0.01},
        {"full fine-tune, new fc2", 1, NULL, 0.001},
        {"from scratch", 0, NULL, 0.01},
    };
    for (int way = 0; way < 4 && s == VN_OK; way++) {
        s = new_model(ways[way].pretrained ? 1 : 2, &m);
        if (s == VN_OK && ways[way].pretrained)
            s = copy_weights(m, base);
        if (s == VN_OK && ways[way].pretrained)
            s = vn_model_replace_head(m, "fc2", 5);
        if (s == VN_OK && ways[way].freeze)
            s = vn_model_freeze_until(m, ways[way].freeze);
        int64_t trainable = 0;
        for (int i = 0; i < vn_model_param_count(m) && s == VN_OK; i++) {
            vn_tensor *v = NULL;
            unsigned flags = 0;
            s = vn_model_param(m, i, NULL, &v, NULL, &flags);
            if (flags & VN_PARAM_TRAINABLE)
                trainable += (int64_t)vn_tensor_numel(v);
        }
        if (s == VN_OK)
            s = train_and_test(m, few, few_test, epochs, ways[way].lr, &acc, &secs);
        if (s == VN_OK)
            printf("| %s | %g | %lld | %.2f%% | %.2f s |\n", ways[way].name, ways[way].lr,
                   (long long)trainable, 100 * acc, secs);
        vn_model_destroy(m);
        m = NULL;
    }
    vn_model_destroy(base);
    vn_dataset_destroy(train);
    vn_dataset_destroy(test);
    vn_dataset_destroy(pre);
    vn_dataset_destroy(pre_test);
    vn_dataset_destroy(few);
    vn_dataset_destroy(few_test);
    return s == VN_OK ? 0 : fail("the new task");
}
