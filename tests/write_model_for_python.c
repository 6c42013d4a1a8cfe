/* write_model_for_python.c DIR - the C side of test_model_file_python.py:
 * builds a small CNN, takes one SGD step (so there is momentum state and
 * batch-norm running statistics), saves DIR/model.vnm with the optimizer,
 * and writes every parameter and optimizer state tensor as DIR/<name>.npy
 * with vn_tensor_save_npy, for Python to compare with what it reads from
 * the model file. */
#include <stdio.h>
#include <string.h>

#include <visionnet.h>

static const char *SPEC = "input shape=3,8,8 seed=11\n"
                          "conv2d name=conv1 out=4 k=3 pad=1\n"
                          "batch_norm2d name=bn1\n"
                          "relu name=relu1\n"
                          "max_pool2d name=pool1 k=2\n"
                          "flatten name=flat\n"
                          "dense name=fc out=5\n";

static int fail(const char *what, vn_status s)
{
    fprintf(stderr, "write_model_for_python: %s: %s: %s\n", what, vn_status_str(s), vn_last_error());
    return 1;
}

static vn_status save_npy(const char *dir, const char *name, const vn_tensor *t)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    return vn_tensor_save_npy(t, path);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: write_model_for_python DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    vn_model *m = NULL;
    vn_optimizer *o = NULL;
    vn_tensor *x = NULL, *y = NULL, *d = NULL;
    const vn_tensor *out = NULL;
    int64_t xs[4] = {2, 3, 8, 8}, ys[1] = {2}, ds[2] = {2, 5};
    vn_status s;
    if ((s = vn_model_from_spec(SPEC, &m)) != VN_OK)
        return fail("spec", s);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    const char *names[5] = {"zero", "one", "two", "three", "four"};
    vn_model_set_preprocess(m, 1.0f / 255.0f, mean, std);
    vn_model_set_class_names(m, 5, names);
    if ((s = vn_optimizer_create("sgd lr=0.1 momentum=0.9", &o)) != VN_OK ||
        (s = vn_optimizer_add_model(o, m)) != VN_OK)
        return fail("optimizer", s);
    vn_tensor_create(VN_F32, 4, xs, &x);
    vn_tensor_create(VN_I32, 1, ys, &y);
    vn_tensor_create(VN_F32, 2, ds, &d);
    float *xp = vn_tensor_data(x);
    for (size_t i = 0; i < vn_tensor_numel(x); i++)
        xp[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
    ((int32_t *)vn_tensor_data(y))[0] = 1;
    ((int32_t *)vn_tensor_data(y))[1] = 3;
    float loss;
    if ((s = vn_model_forward(m, x, VN_MODE_TRAINING, &out)) != VN_OK ||
        (s = vn_loss_cross_entropy(out, y, 0.0f, &loss, d)) != VN_OK ||
        (s = vn_model_backward(m, d, NULL)) != VN_OK || (s = vn_optimizer_step(o)) != VN_OK)
        return fail("training step", s);
    char path[1024];
    snprintf(path, sizeof path, "%s/model.vnm", dir);
    if ((s = vn_model_save(m, o, path)) != VN_OK)
        return fail("save", s);
    for (int i = 0; i < vn_model_param_count(m); i++) {
        const char *name;
        vn_tensor *v;
        vn_model_param(m, i, &name, &v, NULL, NULL);
        if ((s = save_npy(dir, name, v)) != VN_OK)
            return fail(name, s);
    }
    for (int i = 0; i < vn_optimizer_state_count(o); i++) {
        const char *pn, *sn;
        vn_tensor *t;
        char name[512];
        vn_optimizer_state(o, i, &pn, &sn, &t);
        snprintf(name, sizeof name, "optimizer.%s.%s", pn, sn);
        if ((s = save_npy(dir, name, t)) != VN_OK)
            return fail(name, s);
    }
    vn_tensor_destroy(x);
    vn_tensor_destroy(y);
    vn_tensor_destroy(d);
    vn_optimizer_destroy(o);
    vn_model_destroy(m);
    return 0;
}
