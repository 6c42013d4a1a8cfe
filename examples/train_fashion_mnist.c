/*
 * train_fashion_mnist.c - train the reference CNN on Fashion-MNIST with
 * vn_fit(), then measure it on the test set with vn_evaluate().
 *
 *   train_fashion_mnist [DIR [EPOCHS [TRAIN_IMAGES [MODEL_OUT]]]]
 *
 * DIR holds the four IDX files (default /usr/share/datasets/fashion-mnist,
 * the Debian package dataset-fashion-mnist); EPOCHS defaults to 1;
 * TRAIN_IMAGES (default 5000, 0 = all 60,000) keeps the default run short;
 * MODEL_OUT, when given, is where the trained model is saved. Without the
 * data in the default folder it says so and exits 0.
 *
 * `train_fashion_mnist /usr/share/datasets/fashion-mnist 3 0` is what
 * `visionnet train` does with its defaults (test accuracy about 90%).
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *const SPEC =
    "input shape=1,28,28\n"
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

/* Called by vn_fit after every step and every epoch. */
static void on_progress(const vn_fit_progress *p, void *user_data)
{
    (void)user_data;
    if (p->event == VN_FIT_EPOCH)
        printf("epoch %d/%d: loss %.4f, train accuracy %.2f%%, %.0f images/s\n", p->epoch,
               p->epochs, p->loss, 100.0 * p->accuracy, p->images_per_s);
}

static int fail(const char *what)
{
    fprintf(stderr, "train_fashion_mnist: %s: %s\n", what, vn_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int epochs = argc > 2 ? atoi(argv[2]) : 1;
    long limit = argc > 3 ? atol(argv[3]) : 5000;
    const char *model_out = argc > 4 ? argv[4] : NULL;
    char train_path[1024], test_path[1024];
    snprintf(train_path, sizeof train_path, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(test_path, sizeof test_path, "%s/t10k-images-idx3-ubyte.gz", dir);
    if (argc <= 1 && access(train_path, R_OK) != 0) {
        printf("Fashion-MNIST is not in %s (apt install dataset-fashion-mnist); nothing to do\n",
               dir);
        return 0;
    }

    /* The datasets: the labels files are found beside the images. */
    vn_dataset *all = NULL, *train = NULL, *test = NULL;
    if (vn_dataset_load_idx(train_path, NULL, &all) != VN_OK)
        return fail(train_path);
    if (vn_dataset_load_idx(test_path, NULL, &test) != VN_OK)
        return fail(test_path);
    if (limit <= 0 || limit > vn_dataset_size(all))
        limit = (long)vn_dataset_size(all);
    if (vn_dataset_subset(all, 0, limit, &train) != VN_OK)
        return fail("subset");

    /* The model and how a u8 image becomes its input. */
    vn_model *model = NULL;
    if (vn_model_from_spec(SPEC, &model) != VN_OK)
        return fail("spec");
    const float mean[1] = {0.2860f}, std[1] = {0.3530f};
    if (vn_model_set_preprocess(model, 1.0f / 255.0f, mean, std) != VN_OK)
        return fail("preprocess");

    /* Training. */
    vn_fit_options opts = VN_FIT_OPTIONS_INIT;
    opts.epochs = epochs;
    opts.batch_size = 64;
    opts.optimizer_config = "sgd lr=0.01 momentum=0.9";
    opts.seed = 1;
    opts.progress = on_progress;
    if (vn_fit(model, train, &opts, NULL) != VN_OK)
        return fail("fit");

    /* Testing. */
    vn_metrics *metrics = NULL;
    if (vn_evaluate(model, test, NULL, &metrics) != VN_OK)
        return fail("evaluate");
    printf("test accuracy: %.2f%% of %lld images (top-%d: %.2f%%)\n",
           100.0 * vn_metrics_accuracy(metrics), (long long)vn_metrics_count(metrics),
           vn_metrics_top_k(metrics), 100.0 * vn_metrics_top_k_accuracy(metrics));

    if (model_out && vn_model_save(model, NULL, model_out) != VN_OK)
        return fail(model_out);

    vn_metrics_destroy(metrics);
    vn_model_destroy(model);
    vn_dataset_destroy(train);
    vn_dataset_destroy(all);
    vn_dataset_destroy(test);
    return 0;
}
