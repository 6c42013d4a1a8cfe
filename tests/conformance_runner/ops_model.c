/*
 * ops_model.c - the model/ operations of the conformance format (README
 * section 4, model/): a whole network built from spec text, run forward,
 * backward and through two SGD steps with the library's own optimizer
 * (visionnet/train.h), exactly as a user would train it.
 *
 * model_small_cnn: conv3x3 - relu - maxpool2 - conv3x3 - relu - maxpool2 -
 * flatten - linear, cross-entropy on int32 labels. Channel counts, kernel
 * sizes and the number of classes are read from the parameter arrays and
 * the input size from x.npy, so other shapes of the same kind run too.
 */
#include "ops.h"

#include <stdio.h>
#include <string.h>

/* Parameters of the model in the case's file naming: conv1_weight.npy is
 * the model's conv1.weight. */
static const char *const param_files[] = {"conv1_weight.npy", "conv1_bias.npy",
                                          "conv2_weight.npy", "conv2_bias.npy",
                                          "fc_weight.npy",    "fc_bias.npy"};
#define NPARAMS 6

/* "conv1_weight.npy" -> "conv1.weight" */
static void model_name(const char *file, char *out, size_t n)
{
    snprintf(out, n, "%s", file);
    char *dot = strstr(out, ".npy");
    if (dot)
        *dot = '\0';
    char *us = strrchr(out, '_');
    if (us)
        *us = '.';
}

static void give_copy(conf_case *c, const char *name, const vn_tensor *t)
{
    vn_tensor *copy = NULL;
    if (conf_wants_output(c, name) && vn_tensor_copy(t, &copy) == VN_OK)
        conf_output(c, name, copy);
}

static void give_scalar(conf_case *c, const char *name, float v)
{
    vn_tensor *t = NULL;
    int64_t one = 1;
    if (!conf_wants_output(c, name) || vn_tensor_create(VN_F32, 1, &one, &t) != VN_OK)
        return;
    *(float *)vn_tensor_data(t) = v;
    conf_output(c, name, t);
}

/* The spec of the case's network, from the shapes of its arrays. */
static conf_result small_cnn_spec(conf_case *c, const vn_tensor *x, char *spec, size_t n)
{
    const vn_tensor *w1 = conf_input(c, "conv1_weight.npy");
    const vn_tensor *w2 = conf_input(c, "conv2_weight.npy");
    const vn_tensor *fc = conf_input(c, "fc_weight.npy");
    if (!w1 || !w2 || !fc)
        return CONF_ERROR;
    if (vn_tensor_ndim(x) != 4 || vn_tensor_ndim(w1) != 4 || vn_tensor_ndim(w2) != 4 ||
        vn_tensor_ndim(fc) != 2)
        return conf_fail(c, "unexpected array ranks");
    int k1 = (int)vn_tensor_dim(w1, 2), k2 = (int)vn_tensor_dim(w2, 2);
    snprintf(spec, n,
             "input shape=%lld,%lld,%lld\n"
             "conv2d name=conv1 out=%lld k=%d pad=%d\n"
             "relu name=relu1\n"
             "max_pool2d name=pool1 k=2 stride=2\n"
             "conv2d name=conv2 out=%lld k=%d pad=%d\n"
             "relu name=relu2\n"
             "max_pool2d name=pool2 k=2 stride=2\n"
             "flatten name=flat\n"
             "dense name=fc out=%lld\n",
             (long long)vn_tensor_dim(x, 1), (long long)vn_tensor_dim(x, 2),
             (long long)vn_tensor_dim(x, 3), (long long)vn_tensor_dim(w1, 0), k1, k1 / 2,
             (long long)vn_tensor_dim(w2, 0), k2, k2 / 2, (long long)vn_tensor_dim(fc, 0));
    return CONF_OK;
}

static conf_result sgd_options(conf_case *c, vn_sgd_options *o)
{
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(conf_params(c), "optimizer");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(opt, "type");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "SGD") != 0)
        return conf_skip(c, "only the SGD optimizer is wired into this op");
    const char *keys[] = {"lr", "momentum", "dampening", "weight_decay"};
    double *dst[] = {&o->lr, &o->momentum, &o->dampening, &o->weight_decay};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(opt, keys[i]);
        if (v && !cJSON_IsNumber(v))
            return conf_fail(c, "optimizer.%s is not a number", keys[i]);
        if (v)
            *dst[i] = v->valuedouble;
    }
    const cJSON *nest = cJSON_GetObjectItemCaseSensitive(opt, "nesterov");
    o->nesterov = cJSON_IsTrue(nest);
    return CONF_OK;
}

/* Training step 1 or 2: forward, loss, backward, optimizer step, and the
 * outputs the case names for that step. */
static conf_result train_step(conf_case *c, vn_model *m, vn_optimizer *opt, const vn_tensor *x,
                              const vn_tensor *labels, int step)
{
    char name[96];
    const vn_tensor *logits = NULL, *act = NULL;
    vn_status s = vn_model_forward(m, x, VN_MODE_TRAINING, &logits);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_model_forward", s);
    give_copy(c, step == 1 ? "logits.npy" : "logits_step2.npy", logits);
    if (step == 1) {
        if (vn_model_output(m, "pool1", &act) == VN_OK)
            give_copy(c, "act_pool1.npy", act);
        if (vn_model_output(m, "pool2", &act) == VN_OK)
            give_copy(c, "act_pool2.npy", act);
    }
    int64_t shape[2] = {vn_tensor_dim(logits, 0), vn_tensor_dim(logits, 1)};
    vn_tensor *dlogits = NULL;
    float loss = 0.0f;
    if ((s = vn_tensor_create(VN_F32, 2, shape, &dlogits)) != VN_OK)
        return conf_fail_status(c, "vn_tensor_create", s);
    s = vn_loss_cross_entropy(logits, labels, 0.0f, &loss, dlogits);
    if (s == VN_OK) {
        give_scalar(c, step == 1 ? "loss.npy" : "loss_step2.npy", loss);
        vn_model_zero_grad(m);
        s = vn_model_backward(m, dlogits, NULL);
    }
    vn_tensor_destroy(dlogits);
    if (s != VN_OK)
        return conf_fail_status(c, "loss / backward", s);
    for (int i = 0; i < NPARAMS; i++) {
        char pname[64];
        model_name(param_files[i], pname, sizeof pname);
        vn_tensor *grad = NULL;
        int idx = vn_model_param_find(m, pname);
        if (idx < 0 || vn_model_param(m, idx, NULL, NULL, &grad, NULL) != VN_OK || !grad)
            return conf_fail(c, "the model has no gradient for %s", pname);
        snprintf(name, sizeof name, "grad%s_%s", step == 1 ? "" : "2", param_files[i]);
        give_copy(c, name, grad);
    }
    if ((s = vn_optimizer_step(opt)) != VN_OK)
        return conf_fail_status(c, "vn_optimizer_step", s);
    for (int i = 0; i < NPARAMS; i++) {
        char pname[64], stem[64];
        model_name(param_files[i], pname, sizeof pname);
        vn_tensor *value = NULL;
        vn_model_param(m, vn_model_param_find(m, pname), NULL, &value, NULL, NULL);
        snprintf(stem, sizeof stem, "%s", param_files[i]);
        stem[strlen(stem) - 4] = '\0';
        snprintf(name, sizeof name, "%s_after_step%d.npy", stem, step);
        give_copy(c, name, value);
    }
    return CONF_OK;
}

conf_result conf_op_model_small_cnn(conf_case *c)
{
    vn_sgd_options so = VN_SGD_OPTIONS_INIT;
    conf_result r = sgd_options(c, &so);
    if (r != CONF_OK)
        return r;
    const vn_tensor *x = conf_input(c, "x.npy");
    const vn_tensor *labels = conf_input(c, "labels.npy");
    if (!x || !labels)
        return CONF_ERROR;
    char spec[1024];
    r = small_cnn_spec(c, x, spec, sizeof spec);
    if (r != CONF_OK)
        return r;
    vn_model *m = NULL;
    vn_optimizer *opt = NULL;
    vn_status s = vn_model_from_spec(spec, &m);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_model_from_spec", s);
    for (int i = 0; i < NPARAMS && r == CONF_OK; i++) {
        char pname[64];
        model_name(param_files[i], pname, sizeof pname);
        const vn_tensor *src = conf_input(c, param_files[i]);
        vn_tensor *value = NULL;
        int idx = vn_model_param_find(m, pname);
        if (!src)
            r = CONF_ERROR;
        else if (idx < 0 || vn_model_param(m, idx, NULL, &value, NULL, NULL) != VN_OK ||
                 vn_tensor_numel(value) != vn_tensor_numel(src))
            r = conf_fail(c, "%s does not fit the model's %s", param_files[i], pname);
        else
            memcpy(vn_tensor_data(value), vn_tensor_data_const(src), vn_tensor_nbytes(src));
    }
    if (r == CONF_OK && (s = vn_optimizer_create_sgd(&so, &opt)) == VN_OK)
        s = vn_optimizer_add_model(opt, m);
    if (r == CONF_OK && s != VN_OK)
        r = conf_fail_status(c, "optimizer", s);
    if (r == CONF_OK)
        r = train_step(c, m, opt, x, labels, 1);
    if (r == CONF_OK)
        r = train_step(c, m, opt, x, labels, 2);
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
    return r;
}
