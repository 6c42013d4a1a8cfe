/*
 * network_from_spec.c - build a small CNN from spec text, look at its
 * nodes and parameters, train it for a few steps on random images with
 * SGD, read an activation, and print the model back as spec text.
 *
 *   cc network_from_spec.c $(pkg-config --cflags --libs visionnet) -o network_from_spec
 *   ./network_from_spec
 *
 * docs/networks.md explains each step.
 */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>

static const char *SPEC =
    "# a small CNN for 28x28 grey images, 10 classes\n"
    "input shape=1,28,28 seed=7\n"
    "conv2d name=conv1 out=8 k=3 pad=1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "conv2d name=conv2 out=16 k=3 pad=1\n"
    "relu name=relu2\n"
    "max_pool2d name=pool2 k=2\n"
    "dense name=fc out=10\n";

static int fail(const char *what, vn_status s)
{
    fprintf(stderr, "%s: %s: %s\n", what, vn_status_str(s), vn_last_error());
    return 1;
}

int main(void)
{
    vn_model *model = NULL;
    vn_status s = vn_model_from_spec(SPEC, &model);
    if (s != VN_OK)
        return fail("vn_model_from_spec", s);

    /* the nodes, their output shapes (one sample) and sizes */
    for (int i = 0; i < vn_model_node_count(model); i++) {
        int64_t shape[VN_MAX_DIMS];
        int ndim = 0;
        vn_model_node_shape(model, i, shape, &ndim);
        printf("%-6s %-10s [%lld", vn_model_node_name(model, i), vn_model_node_type(model, i),
               (long long)shape[0]);
        for (int d = 1; d < ndim; d++)
            printf(", %lld", (long long)shape[d]);
        printf("]  %lld params, %lld flops\n", (long long)vn_model_node_param_count(model, i),
               (long long)vn_model_node_flops(model, i));
    }

    /* parameters under their PyTorch state-dict names */
    for (int i = 0; i < vn_model_param_count(model); i++) {
        const char *name = NULL;
        vn_tensor *value = NULL;
        vn_model_param(model, i, &name, &value, NULL, NULL);
        printf("%s: %zu values\n", name, vn_tensor_numel(value));
    }

    /* a batch of 16 random images with random labels */
    int64_t xshape[4] = {16, 1, 28, 28}, n = 16, gshape[2] = {16, 10};
    vn_tensor *x = NULL, *labels = NULL, *dlogits = NULL;
    vn_rng *rng = NULL;
    if ((s = vn_tensor_create(VN_F32, 4, xshape, &x)) != VN_OK ||
        (s = vn_tensor_create(VN_I32, 1, &n, &labels)) != VN_OK ||
        (s = vn_tensor_create(VN_F32, 2, gshape, &dlogits)) != VN_OK ||
        (s = vn_rng_create(1, 0, &rng)) != VN_OK)
        return fail("setup", s);
    float *px = vn_tensor_data(x);
    for (size_t i = 0; i < vn_tensor_numel(x); i++)
        px[i] = vn_rng_uniform(rng);
    int32_t *pl = vn_tensor_data(labels);
    for (int i = 0; i < 16; i++)
        pl[i] = (int32_t)vn_rng_below(rng, 10);

    /* SGD with momentum over every trainable parameter of the model */
    vn_optimizer *opt = NULL;
    if ((s = vn_optimizer_create("sgd lr=0.05 momentum=0.9", &opt)) != VN_OK ||
        (s = vn_optimizer_add_model(opt, model)) != VN_OK)
        return fail("optimizer", s);

    for (int step = 0; step < 20; step++) {
        const vn_tensor *logits = NULL;
        float loss = 0.0f;
        if ((s = vn_model_forward(model, x, VN_MODE_TRAINING, &logits)) != VN_OK)
            return fail("vn_model_forward", s);
        if ((s = vn_loss_cross_entropy(logits, labels, 0.0f, &loss, dlogits)) != VN_OK)
            return fail("vn_loss_cross_entropy", s);
        vn_model_zero_grad(model);
        if ((s = vn_model_backward(model, dlogits, NULL)) != VN_OK)
            return fail("vn_model_backward", s);
        if ((s = vn_optimizer_step(opt)) != VN_OK)
            return fail("vn_optimizer_step", s);
        if (step % 5 == 0 || step == 19)
            printf("step %2d  loss %.4f\n", step, (double)loss);
    }

    /* inference keeps only what it is asked to: the output, and pool2 */
    const vn_tensor *logits = NULL, *features = NULL;
    vn_model_keep_output(model, "pool2", 1);
    if ((s = vn_model_forward(model, x, VN_MODE_INFERENCE, &logits)) != VN_OK)
        return fail("vn_model_forward", s);
    if ((s = vn_model_output(model, "pool2", &features)) != VN_OK)
        return fail("vn_model_output", s);
    printf("pool2 holds %zu values per image\n", vn_tensor_numel(features) / 16);

    /* the model as spec text, every attribute written out */
    char *text = NULL;
    if ((s = vn_model_to_spec(model, &text)) != VN_OK)
        return fail("vn_model_to_spec", s);
    fputs(text, stdout);
    vn_free(text);

    vn_optimizer_destroy(opt);
    vn_rng_destroy(rng);
    vn_tensor_destroy(dlogits);
    vn_tensor_destroy(labels);
    vn_tensor_destroy(x);
    vn_model_destroy(model);
    return 0;
}
