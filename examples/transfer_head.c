/*
 * transfer_head.c - transfer learning in one page: take a trained network,
 * load its weights by name, freeze the backbone, put a new head on it for
 * another task and train only that head.
 *
 *   cc transfer_head.c $(pkg-config --cflags --libs visionnet) -o transfer_head
 *   ./transfer_head [WEIGHTS]   (default: transfer_head.safetensors, removed at the end)
 *
 * Here the "pretrained" network is a freshly built 10-class CNN whose
 * weights are written to a plain safetensors file first, standing in for a
 * checkpoint from elsewhere (vn_model_save_weights writes what PyTorch's
 * safetensors reads, and vn_model_load_weights reads what it writes). The
 * new task has 3 classes. docs/transfer-learning.md explains each step.
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>

static const char *BACKBONE_SPEC = "input shape=1,28,28 seed=1\n"
                                   "conv2d name=conv1 out=8 k=3 pad=1\n"
                                   "batch_norm2d name=bn1\n"
                                   "relu name=relu1\n"
                                   "max_pool2d name=pool1 k=2\n"
                                   "conv2d name=conv2 out=16 k=3 pad=1\n"
                                   "relu name=relu2\n"
                                   "max_pool2d name=pool2 k=2\n"
                                   "flatten name=flatten\n"
                                   "dense name=fc out=10\n";

static int fail(const char *what)
{
    fprintf(stderr, "transfer_head: %s: %s\n", what, vn_last_error());
    return 1;
}

/* One SGD step of cross-entropy on a batch of 4 images with labels 0..2. */
static vn_status train_step(vn_model *model, vn_optimizer *opt, float *loss)
{
    int64_t xs[4] = {4, 1, 28, 28}, ys[1] = {4}, gs[2] = {4, 3};
    vn_tensor *x = NULL, *y = NULL, *grad = NULL;
    const vn_tensor *out = NULL;
    vn_status s = vn_tensor_create(VN_F32, 4, xs, &x);
    if (s == VN_OK)
        s = vn_tensor_create(VN_I32, 1, ys, &y);
    if (s == VN_OK)
        s = vn_tensor_create(VN_F32, 2, gs, &grad);
    if (s == VN_OK) {
        float *px = vn_tensor_data(x);
        for (size_t i = 0; i < vn_tensor_numel(x); i++)
            px[i] = (float)(i % 11) / 11.0f;
        for (int i = 0; i < 4; i++)
            ((int32_t *)vn_tensor_data(y))[i] = i % 3;
        s = vn_model_forward(model, x, VN_MODE_TRAINING, &out);
    }
    if (s == VN_OK)
        s = vn_loss_cross_entropy(out, y, 0.0f, loss, grad);
    if (s == VN_OK) {
        vn_model_zero_grad(model);
        /* grad_input NULL: nothing upstream of the first trainable node runs */
        s = vn_model_backward(model, grad, NULL);
    }
    if (s == VN_OK)
        s = vn_optimizer_step(opt);
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn_tensor_destroy(grad);
    return s;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "transfer_head.safetensors";

    /* A "pretrained" checkpoint: weights under PyTorch state-dict names. */
    vn_model *pretrained = NULL;
    if (vn_model_from_spec(BACKBONE_SPEC, &pretrained) != VN_OK ||
        vn_model_save_weights(pretrained, path) != VN_OK)
        return fail("writing the checkpoint");
    vn_model_destroy(pretrained);

    /* The same architecture built here, its weights loaded by name. */
    vn_model *model = NULL;
    vn_weights_report *report = NULL;
    if (vn_model_from_spec(BACKBONE_SPEC, &model) != VN_OK)
        return fail("spec");
    if (vn_model_load_weights(model, path, VN_WEIGHTS_STRICT, &report) != VN_OK)
        return fail("loading the weights");
    printf("loaded %d tensors\n", vn_weights_report_count(report, VN_WEIGHTS_LOADED));
    vn_weights_report_destroy(report);

    /* Freeze the backbone and give the network a 3-class head. */
    if (vn_model_freeze_until(model, "flatten") != VN_OK)
        return fail("freeze");
    if (vn_model_replace_head(model, "fc", 3) != VN_OK)
        return fail("replace head");

    /* An optimizer made after the surgery: it sees the new head's tensors. */
    vn_optimizer *opt = NULL;
    float loss = 0.0f;
    if (vn_optimizer_create("sgd lr=0.01 momentum=0.9", &opt) != VN_OK ||
        vn_optimizer_add_model(opt, model) != VN_OK)
        return fail("optimizer");
    if (train_step(model, opt, &loss) != VN_OK)
        return fail("training step");
    printf("one step on the new head: loss %.4f\n", (double)loss);

    /* Embeddings: the backbone's features for the same kind of input. */
    int64_t shape[4] = {2, 1, 28, 28};
    vn_tensor *x = NULL, *features = NULL;
    if (vn_tensor_create(VN_F32, 4, shape, &x) != VN_OK)
        return fail("input");
    vn_tensor_zero(x);
    if (vn_model_embed(model, x, "flatten", &features) != VN_OK)
        return fail("embed");
    printf("embedding: %lld features per image\n", (long long)vn_tensor_dim(features, 1));

    vn_tensor_destroy(features);
    vn_tensor_destroy(x);
    vn_optimizer_destroy(opt);
    vn_model_destroy(model);
    if (argc <= 1)
        remove(path);
    return 0;
}
