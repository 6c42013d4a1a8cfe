/*
 * save_and_load_model.c - model files: save a model with its
 * preprocessing, class names and optimizer state, load it back and resume
 * training exactly where it stopped.
 *
 *   cc save_and_load_model.c $(pkg-config --cflags --libs visionnet) -o save_and_load_model
 *   ./save_and_load_model [FILE]      (default: save_and_load_model.vnm, removed at the end)
 *
 * The file is a safetensors file (docs/model-files.md): Python reads its
 * tensors with json + numpy, PyTorch users with the safetensors package.
 */
#include <visionnet.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "save_and_load_model: %s: %s\n", what, vn_last_error());
    return 1;
}

/* One SGD step on a fixed batch of two 1x8x8 images with labels 0 and 2. */
static vn_status train_step(vn_model *model, vn_optimizer *opt)
{
    int64_t xs[4] = {2, 1, 8, 8}, ys[1] = {2}, gs[2] = {2, 3};
    vn_tensor *x = NULL, *y = NULL, *grad = NULL;
    const vn_tensor *out = NULL;
    float loss;
    vn_status s = vn_tensor_create(VN_F32, 4, xs, &x);
    if (s == VN_OK)
        s = vn_tensor_create(VN_I32, 1, ys, &y);
    if (s == VN_OK)
        s = vn_tensor_create(VN_F32, 2, gs, &grad);
    if (s == VN_OK) {
        float *px = vn_tensor_data(x);
        for (int i = 0; i < 128; i++)
            px[i] = (float)(i % 7) / 7.0f;
        ((int32_t *)vn_tensor_data(y))[0] = 0;
        ((int32_t *)vn_tensor_data(y))[1] = 2;
        s = vn_model_forward(model, x, VN_MODE_TRAINING, &out);
    }
    if (s == VN_OK)
        s = vn_loss_cross_entropy(out, y, 0.0f, &loss, grad);
    if (s == VN_OK) {
        vn_model_zero_grad(model);
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
    const char *path = argc > 1 ? argv[1] : "save_and_load_model.vnm";
    vn_model *model = NULL;
    vn_optimizer *opt = NULL;
    if (vn_model_from_spec("input shape=1,8,8\n"
                           "conv2d name=conv1 out=4 k=3 pad=1\n"
                           "relu name=relu1\n"
                           "flatten name=flat\n"
                           "dense name=fc out=3\n", &model) != VN_OK)
        return fail("spec");

    /* How a u8 image becomes the input, and what the outputs mean: both
     * are saved in the file and used by `visionnet predict`. */
    const float mean[1] = {0.2860f}, std[1] = {0.3530f};
    const char *const classes[3] = {"circle", "square", "triangle"};
    if (vn_model_set_preprocess(model, 1.0f / 255.0f, mean, std) != VN_OK ||
        vn_model_set_class_names(model, 3, classes) != VN_OK)
        return fail("metadata");

    if (vn_optimizer_create("sgd lr=0.01 momentum=0.9", &opt) != VN_OK ||
        vn_optimizer_add_model(opt, model) != VN_OK || train_step(model, opt) != VN_OK)
        return fail("training");

    /* Save the model and the optimizer's state (NULL saves the model only).
     * The file is written to a temporary file and renamed: a crash during
     * the save leaves the previous file intact. */
    if (vn_model_save(model, opt, path) != VN_OK)
        return fail("save");

    /* Load it back: a new model, and a new optimizer bound to it (NULL when
     * the file holds none; pass NULL instead of &resumed to ignore it). */
    vn_model *loaded = NULL;
    vn_optimizer *resumed = NULL;
    vn_status s = vn_model_load(path, &loaded, &resumed);
    if (s != VN_OK) {
        fprintf(stderr, "%s: %s\n", vn_status_str(s), vn_last_error());
        return 1;
    }
    printf("loaded %s: %d nodes, class 2 is '%s', optimizer step %lld\n", path,
           vn_model_node_count(loaded), vn_model_class_name(loaded, 2),
           (long long)vn_optimizer_get_step_count(resumed));

    /* One more step on each: the resumed run matches the original bit for bit. */
    if (train_step(model, opt) != VN_OK || train_step(loaded, resumed) != VN_OK)
        return fail("training");
    vn_tensor *a = NULL, *b = NULL;
    vn_model_param(model, vn_model_param_find(model, "fc.weight"), NULL, &a, NULL, NULL);
    vn_model_param(loaded, vn_model_param_find(loaded, "fc.weight"), NULL, &b, NULL, NULL);
    int same = memcmp(vn_tensor_data(a), vn_tensor_data(b), vn_tensor_nbytes(a)) == 0;
    printf("resumed training %s the original\n", same ? "matches" : "DIFFERS FROM");

    /* A damaged or foreign file is refused with a reason, never a crash. */
    static const unsigned char junk[16] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '{'};
    vn_model *bad = NULL;
    if (vn_model_load_mem(junk, sizeof junk, "junk.vnm", &bad, NULL) == VN_ERR_FORMAT)
        printf("junk refused: %s\n", vn_last_error());

    vn_optimizer_destroy(resumed);
    vn_model_destroy(loaded);
    vn_optimizer_destroy(opt);
    vn_model_destroy(model);
    if (argc <= 1)
        remove(path);
    return same ? 0 : 1;
}
