/*
 * ops_loss.c - the loss/ operations of the conformance format (README
 * section 4, loss/) run through visionnet/train.h.
 *
 * Each case has two inputs, the network output first (logits.npy /
 * pred.npy) and the targets second (int32 labels or float32 targets), and
 * two outputs: loss.npy (shape [1]) and the gradient of the first input,
 * named "d" + its file name (dlogits.npy, dpred.npy). reduction 'mean' is
 * the library's; 'sum' is the mean times the count the loss averages over
 * (N samples for cross-entropy, every element otherwise). PyTorch options
 * the library does not have (class weights, pos_weight, ignore_index) are
 * SKIPped when a case uses them.
 */
#include "ops.h"

#include <stdio.h>
#include <string.h>

/* A loss; eps is the label smoothing (cross-entropy only). */
typedef vn_status (*loss_fn)(const vn_tensor *x, const vn_tensor *t, double eps, float *loss,
                             vn_tensor *dx);

/* A PyTorch option the library lacks must be absent or null. */
static bool unsupported_set(conf_case *c, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    if (j && !cJSON_IsNull(j)) {
        conf_skip(c, "%s is not supported", key);
        return true;
    }
    return false;
}

static conf_result run_loss(conf_case *c, loss_fn fn, double eps, bool per_sample)
{
    const char *xname = conf_input_name(c, 0), *tname = conf_input_name(c, 1);
    if (!xname || !tname || conf_input_name(c, 2))
        return conf_fail(c, "a loss case has exactly two inputs");
    const vn_tensor *x = conf_input(c, xname), *t = conf_input(c, tname);
    if (!x || !t)
        return CONF_ERROR;
    double scale = 1.0;
    if (conf_param_has(c, "reduction")) {
        const char *red = NULL;
        if (!conf_param_string(c, "reduction", &red))
            return CONF_ERROR;
        if (strcmp(red, "sum") == 0)
            scale = per_sample ? (double)vn_tensor_dim(x, 0) : (double)vn_tensor_numel(x);
        else if (strcmp(red, "mean") != 0)
            return conf_skip(c, "reduction '%s' is not supported", red);
    }
    int64_t shape[VN_MAX_DIMS];
    vn_tensor_shape(x, shape);
    vn_tensor *dx = NULL;
    vn_status s = vn_tensor_create(VN_F32, vn_tensor_ndim(x), shape, &dx);
    float loss = 0.0f;
    if (s == VN_OK)
        s = fn(x, t, eps, &loss, dx);
    if (s != VN_OK) {
        vn_tensor_destroy(dx);
        return conf_fail_status(c, "loss", s);
    }
    if (scale != 1.0) {
        float *d = vn_tensor_data(dx);
        for (size_t i = 0; i < vn_tensor_numel(dx); i++)
            d[i] = (float)(d[i] * scale);
        loss = (float)(loss * scale);
    }
    int64_t one = 1;
    vn_tensor *l = NULL;
    if (vn_tensor_create(VN_F32, 1, &one, &l) != VN_OK) {
        vn_tensor_destroy(dx);
        return conf_fail(c, "out of memory");
    }
    *(float *)vn_tensor_data(l) = loss;
    conf_output(c, "loss.npy", l);
    char dname[256];
    snprintf(dname, sizeof dname, "d%s", xname);
    conf_output(c, dname, dx);
    return CONF_OK;
}

static vn_status cross_entropy(const vn_tensor *x, const vn_tensor *t, double eps, float *loss,
                               vn_tensor *dx)
{
    return vn_loss_cross_entropy(x, t, (float)eps, loss, dx);
}

static vn_status mse(const vn_tensor *x, const vn_tensor *t, double eps, float *loss,
                     vn_tensor *dx)
{
    (void)eps;
    return vn_loss_mse(x, t, loss, dx);
}

static vn_status bce(const vn_tensor *x, const vn_tensor *t, double eps, float *loss,
                     vn_tensor *dx)
{
    (void)eps;
    return vn_loss_bce_with_logits(x, t, loss, dx);
}

/* ignore_index is PyTorch's default -100 in most cases: harmless unless a
 * label actually has that value. */
static bool ignored_label_present(conf_case *c)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), "ignore_index");
    const char *tname = conf_input_name(c, 1);
    if (!j || cJSON_IsNull(j) || !tname)
        return false;
    const vn_tensor *t = conf_input(c, tname);
    if (!cJSON_IsNumber(j) || !t || vn_tensor_dtype(t) != VN_I32)
        return false;
    const int32_t *lab = vn_tensor_data_const(t);
    for (size_t i = 0; i < vn_tensor_numel(t); i++)
        if (lab[i] == (int32_t)j->valuedouble) {
            conf_skip(c, "ignore_index %d is not supported", (int)lab[i]);
            return true;
        }
    return false;
}

conf_result conf_op_cross_entropy(conf_case *c)
{
    if (unsupported_set(c, "weight") || ignored_label_present(c))
        return CONF_SKIP;
    double eps = 0.0;
    if (conf_param_has(c, "label_smoothing") && !conf_param_double(c, "label_smoothing", &eps))
        return CONF_ERROR;
    return run_loss(c, cross_entropy, eps, true);
}

conf_result conf_op_mse(conf_case *c)
{
    return run_loss(c, mse, 0.0, false);
}

conf_result conf_op_bce_with_logits(conf_case *c)
{
    if (unsupported_set(c, "weight") || unsupported_set(c, "pos_weight"))
        return CONF_SKIP;
    return run_loss(c, bce, 0.0, false);
}
