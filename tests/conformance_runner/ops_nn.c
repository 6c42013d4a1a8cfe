/*
 * ops_nn.c - the nn/ operations of the conformance format (README section
 * 4, nn/) run through the library's layers.
 *
 * Each case is one layer: built from the registry by type and an attribute
 * string made from the case's params (the same words a model spec would
 * use), its parameters overwritten with the case's arrays, then one
 * forward (training or inference as the case says) and one backward with
 * the case's dy. The outputs are y, the gradient of every input ("dx.npy"
 * for "x.npy", "da.npy" for "a.npy") and of every parameter ("dW.npy" for
 * "W.npy"), and for batch-norm the updated running statistics and the
 * batch statistics.
 */
#include "ops.h"

#include "nn/layer.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

/* One layer case: which inputs feed the layer, which fill its parameters
 * (in the layer's parameter order), and the attribute words. */
typedef struct layer_case {
    const char *type;
    char attrs[256];
    int ndata;
    const char *data[4];
    int nparam;
    const char *param[4];
    bool training;
} layer_case;

static bool param_bool(conf_case *c, const char *key, bool def, bool *out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    if (!j) {
        *out = def;
        return true;
    }
    if (!cJSON_IsBool(j)) {
        conf_fail(c, "param '%s' is not a boolean", key);
        return false;
    }
    *out = cJSON_IsTrue(j);
    return true;
}

/* A pair of integers given as [h, w] or as one number for both. */
static bool param_pair(conf_case *c, const char *key, int v[2])
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    if (cJSON_IsNumber(j)) {
        v[0] = v[1] = (int)j->valuedouble;
        return true;
    }
    return conf_param_ints(c, key, v, 2);
}

/* The same, with a default when the key is absent or null (PyTorch's None). */
static bool param_pair_or(conf_case *c, const char *key, const int def[2], int v[2])
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    if (!j || cJSON_IsNull(j)) {
        v[0] = def[0];
        v[1] = def[1];
        return true;
    }
    return param_pair(c, key, v);
}

/* A param that must be absent or null (divisor_override) / false (ceil_mode). */
static bool param_absent_or(conf_case *c, const char *key, bool allow_false)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    return !j || cJSON_IsNull(j) || (allow_false && cJSON_IsFalse(j));
}

static vn_tensor *new_like(int ndim, const int64_t *shape)
{
    vn_tensor *t = NULL;
    if (vn_tensor_create(VN_F32, ndim, shape, &t) != VN_OK)
        return NULL;
    return t;
}

/* "x.npy" -> "dx.npy" */
static void grad_name(const char *in, char *out, size_t n)
{
    snprintf(out, n, "d%s", in);
}

static void give_copy(conf_case *c, const char *name, const vn_tensor *t)
{
    vn_tensor *copy = NULL;
    if (conf_wants_output(c, name) && vn_tensor_copy(t, &copy) == VN_OK)
        conf_output(c, name, copy);
}

static void give_floats(conf_case *c, const char *name, const float *v, int64_t n)
{
    vn_tensor *t = NULL;
    if (!conf_wants_output(c, name) || vn_tensor_create(VN_F32, 1, &n, &t) != VN_OK)
        return;
    memcpy(vn_tensor_data(t), v, (size_t)n * sizeof(float));
    conf_output(c, name, t);
}

static conf_result run_layer(conf_case *c, const layer_case *lc)
{
    const vn_tensor *data[4];
    vn__shape shapes[4];
    for (int i = 0; i < lc->ndata; i++) {
        if (!(data[i] = conf_input(c, lc->data[i])))
            return CONF_ERROR;
        if (vn_tensor_dtype(data[i]) != VN_F32 || vn_tensor_ndim(data[i]) < 2)
            return conf_fail(c, "%s: expected f32 with a batch dimension", lc->data[i]);
        shapes[i].ndim = vn_tensor_ndim(data[i]) - 1;
        for (int d = 0; d < shapes[i].ndim; d++)
            shapes[i].d[d] = vn_tensor_dim(data[i], d + 1);
    }
    const vn_tensor *dy = conf_input(c, "dy.npy");
    if (!dy)
        return CONF_ERROR;

    const vn__layer_type *lt = vn__layer_type_find(lc->type);
    if (!lt)
        return conf_fail(c, "no layer type '%s'", lc->type);
    vn__attrs a;
    vn__layer *l = NULL;
    vn_tensor *y = NULL, *din[4] = {0};
    conf_result r = CONF_OK;
    vn_status s = vn__attrs_parse(lc->attrs, lc->type, &a);
    if (s == VN_OK)
        s = lt->create(&a, lc->ndata, shapes, &l);
    if (s == VN_OK)
        s = vn__attrs_check_unused(&a);
    vn__attrs_free(&a);
    if (s != VN_OK) {
        r = conf_fail_status(c, lc->type, s);
        goto done;
    }
    if (l->nparams < lc->nparam) {
        r = conf_fail(c, "%s has %d parameters, the case gives %d", lc->type, l->nparams,
                      lc->nparam);
        goto done;
    }
    for (int k = 0; k < lc->nparam; k++) {
        const vn_tensor *p = conf_input(c, lc->param[k]);
        if (!p) {
            r = CONF_ERROR;
            goto done;
        }
        if (vn_tensor_numel(p) != vn_tensor_numel(l->params[k].value)) {
            r = conf_fail(c, "%s has %zu values, %s.%s holds %zu", lc->param[k],
                          vn_tensor_numel(p), lc->type, l->params[k].suffix,
                          vn_tensor_numel(l->params[k].value));
            goto done;
        }
        memcpy(vn_tensor_data(l->params[k].value), vn_tensor_data_const(p), vn_tensor_nbytes(p));
    }

    vn__shape os;
    if ((s = l->ops->output_shape(l, lc->ndata, shapes, &os)) != VN_OK) {
        r = conf_fail_status(c, "output_shape", s);
        goto done;
    }
    int64_t yshape[VN_MAX_DIMS];
    yshape[0] = vn_tensor_dim(data[0], 0);
    for (int d = 0; d < os.ndim; d++)
        yshape[d + 1] = os.d[d];
    y = new_like(os.ndim + 1, yshape);
    bool allocated = y != NULL;
    for (int i = 0; i < lc->ndata; i++) {
        int64_t sh[VN_MAX_DIMS];
        vn_tensor_shape(data[i], sh);
        din[i] = new_like(vn_tensor_ndim(data[i]), sh);
        allocated = allocated && din[i];
    }
    if (!allocated) {
        r = conf_fail(c, "out of memory");
        goto done;
    }
    vn__run run = {.training = lc->training, .seed = 1};
    if ((s = l->ops->forward(l, &run, lc->ndata, data, y)) != VN_OK) {
        r = conf_fail_status(c, "forward", s);
        goto done;
    }
    if (vn_tensor_numel(dy) != vn_tensor_numel(y)) {
        r = conf_fail(c, "dy has %zu values, the output %zu", vn_tensor_numel(dy),
                      vn_tensor_numel(y));
        goto done;
    }
    /* running statistics after the forward, before anything else */
    if (l->nparams == 4 && conf_wants_output(c, "running_mean_new.npy")) {
        give_copy(c, "running_mean_new.npy", l->params[2].value);
        give_copy(c, "running_var_new.npy", l->params[3].value);
    }
    const float *bm, *bv;
    if (lc->training && vn__batch_norm2d_batch_stats(l, &bm, &bv)) {
        give_floats(c, "batch_mean.npy", bm, yshape[1]);
        give_floats(c, "batch_var_biased.npy", bv, yshape[1]);
    }
    if ((s = l->ops->backward(l, &run, lc->ndata, data, y, dy, din, true)) != VN_OK) {
        r = conf_fail_status(c, "backward", s);
        goto done;
    }
    const char *yname = conf_output_name(c, 0);
    conf_output(c, yname ? yname : "y.npy", y);
    y = NULL;
    char name[64];
    for (int i = 0; i < lc->ndata; i++) {
        grad_name(lc->data[i], name, sizeof name);
        if (conf_wants_output(c, name)) {
            conf_output(c, name, din[i]);
            din[i] = NULL;
        }
    }
    for (int k = 0; k < lc->nparam; k++) {
        grad_name(lc->param[k], name, sizeof name);
        if (l->params[k].grad)
            give_copy(c, name, l->params[k].grad);
    }
done:
    vn_tensor_destroy(y);
    for (int i = 0; i < 4; i++)
        vn_tensor_destroy(din[i]);
    vn__layer_destroy(l);
    return r;
}

static conf_result one_input(conf_case *c, const char *type, const char *attrs, bool training)
{
    layer_case lc = {.type = type, .ndata = 1, .data = {"x.npy"}, .training = training};
    snprintf(lc.attrs, sizeof lc.attrs, "%s", attrs);
    return run_layer(c, &lc);
}

static conf_result conv_like(conf_case *c, const char *type, bool transposed)
{
    int stride[2], pad[2], dil[2], opad[2] = {0, 0};
    double groups;
    bool bias;
    int stride_def[2] = {1, 1}, pad_def[2] = {0, 0};
    groups = 1;
    if (!param_pair_or(c, "stride", stride_def, stride) ||
        !param_pair_or(c, "padding", pad_def, pad) ||
        !param_pair_or(c, "dilation", stride_def, dil) ||
        (conf_param_has(c, "groups") && !conf_param_double(c, "groups", &groups)) ||
        !param_bool(c, "bias", true, &bias))
        return CONF_ERROR;
    if (transposed && !param_pair_or(c, "output_padding", pad_def, opad))
        return CONF_ERROR;
    const vn_tensor *w = conf_input(c, "W.npy");
    if (!w)
        return CONF_ERROR;
    if (vn_tensor_ndim(w) != 4)
        return conf_fail(c, "W.npy is not 4-D");
    int64_t out = transposed ? vn_tensor_dim(w, 1) * (int64_t)groups : vn_tensor_dim(w, 0);
    layer_case lc = {.type = type, .ndata = 1, .data = {"x.npy"}, .nparam = bias ? 2 : 1,
                     .param = {"W.npy", "b.npy"}, .training = true};
    int n = snprintf(lc.attrs, sizeof lc.attrs,
                     "out=%lld k=%lld,%lld stride=%d,%d pad=%d,%d dilation=%d,%d groups=%d bias=%d",
                     (long long)out, (long long)vn_tensor_dim(w, 2), (long long)vn_tensor_dim(w, 3),
                     stride[0], stride[1], pad[0], pad[1], dil[0], dil[1], (int)groups, bias);
    if (transposed)
        snprintf(lc.attrs + n, sizeof lc.attrs - (size_t)n, " output_pad=%d,%d", opad[0], opad[1]);
    return run_layer(c, &lc);
}

conf_result conf_op_conv2d(conf_case *c)
{
    return conv_like(c, "conv2d", false);
}

conf_result conf_op_conv_transpose2d(conf_case *c)
{
    return conv_like(c, "conv_transpose2d", true);
}

conf_result conf_op_max_pool2d(conf_case *c)
{
    int k[2], s[2], p[2], d[2], zero[2] = {0, 0}, one[2] = {1, 1};
    if (!param_pair(c, "kernel_size", k) || !param_pair_or(c, "stride", k, s) ||
        !param_pair_or(c, "padding", zero, p) || !param_pair_or(c, "dilation", one, d))
        return CONF_ERROR;
    bool ceil;
    if (!param_bool(c, "ceil_mode", false, &ceil))
        return CONF_ERROR;
    char attrs[128];
    snprintf(attrs, sizeof attrs, "k=%d,%d stride=%d,%d pad=%d,%d dilation=%d,%d ceil_mode=%d",
             k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], ceil);
    return one_input(c, "max_pool2d", attrs, true);
}

conf_result conf_op_avg_pool2d(conf_case *c)
{
    int k[2], s[2], p[2], zero[2] = {0, 0};
    bool include;
    if (!param_pair(c, "kernel_size", k) || !param_pair_or(c, "stride", k, s) ||
        !param_pair_or(c, "padding", zero, p) ||
        !param_bool(c, "count_include_pad", true, &include))
        return CONF_ERROR;
    bool ceil;
    if (!param_bool(c, "ceil_mode", false, &ceil))
        return CONF_ERROR;
    if (!param_absent_or(c, "divisor_override", false))
        return conf_skip(c, "divisor_override is not supported");
    char attrs[128];
    snprintf(attrs, sizeof attrs, "k=%d,%d stride=%d,%d pad=%d,%d count_include_pad=%d ceil_mode=%d",
             k[0], k[1], s[0], s[1], p[0], p[1], include, ceil);
    return one_input(c, "avg_pool2d", attrs, true);
}

conf_result conf_op_adaptive_avg_pool2d(conf_case *c)
{
    int o[2];
    if (!param_pair(c, "output_size", o))
        return CONF_ERROR;
    char attrs[64];
    snprintf(attrs, sizeof attrs, "out=%d,%d", o[0], o[1]);
    return one_input(c, "adaptive_avg_pool2d", attrs, true);
}

conf_result conf_op_linear(conf_case *c)
{
    bool bias;
    if (!param_bool(c, "bias", true, &bias))
        return CONF_ERROR;
    const vn_tensor *w = conf_input(c, "W.npy");
    if (!w)
        return CONF_ERROR;
    layer_case lc = {.type = "dense", .ndata = 1, .data = {"x.npy"}, .nparam = bias ? 2 : 1,
                     .param = {"W.npy", "b.npy"}, .training = true};
    snprintf(lc.attrs, sizeof lc.attrs, "out=%lld bias=%d", (long long)vn_tensor_dim(w, 0), bias);
    return run_layer(c, &lc);
}

conf_result conf_op_batch_norm2d(conf_case *c)
{
    bool training, affine;
    double momentum = 0.1, eps = 1e-5;
    if (!param_bool(c, "training", true, &training) || !param_bool(c, "affine", true, &affine))
        return CONF_ERROR;
    if (conf_param_has(c, "momentum") && !conf_param_double(c, "momentum", &momentum))
        return CONF_ERROR;
    if (conf_param_has(c, "eps") && !conf_param_double(c, "eps", &eps))
        return CONF_ERROR;
    if (!affine)
        return conf_skip(c, "affine=False is not supported");
    layer_case lc = {.type = "batch_norm2d", .ndata = 1, .data = {"x.npy"}, .nparam = 4,
                     .param = {"gamma.npy", "beta.npy", "running_mean.npy", "running_var.npy"},
                     .training = training};
    snprintf(lc.attrs, sizeof lc.attrs, "eps=%.17g momentum=%.17g", eps, momentum);
    return run_layer(c, &lc);
}

conf_result conf_op_relu(conf_case *c)
{
    return one_input(c, "relu", "", true);
}

conf_result conf_op_leaky_relu(conf_case *c)
{
    double slope;
    if (!conf_param_double(c, "negative_slope", &slope))
        return CONF_ERROR;
    char attrs[64];
    snprintf(attrs, sizeof attrs, "slope=%.17g", slope);
    return one_input(c, "leaky_relu", attrs, true);
}

conf_result conf_op_sigmoid(conf_case *c)
{
    return one_input(c, "sigmoid", "", true);
}

conf_result conf_op_tanh(conf_case *c)
{
    return one_input(c, "tanh", "", true);
}

conf_result conf_op_gelu(conf_case *c)
{
    const char *approx = "none";
    if (conf_param_has(c, "approximate") && !conf_param_string(c, "approximate", &approx))
        return CONF_ERROR;
    char attrs[64];
    snprintf(attrs, sizeof attrs, "approximate=%s", approx);
    return one_input(c, "gelu", attrs, true);
}

static conf_result softmax_like(conf_case *c, const char *type)
{
    double dim = 1;
    if (conf_param_has(c, "dim") && !conf_param_double(c, "dim", &dim))
        return CONF_ERROR;
    char attrs[32];
    snprintf(attrs, sizeof attrs, "dim=%d", (int)dim);
    return one_input(c, type, attrs, true);
}

conf_result conf_op_softmax(conf_case *c)
{
    return softmax_like(c, "softmax");
}

conf_result conf_op_log_softmax(conf_case *c)
{
    return softmax_like(c, "log_softmax");
}

conf_result conf_op_flatten(conf_case *c)
{
    double start = 1, end = -1;
    if (conf_param_has(c, "start_dim") && !conf_param_double(c, "start_dim", &start))
        return CONF_ERROR;
    if (conf_param_has(c, "end_dim") && !conf_param_double(c, "end_dim", &end))
        return CONF_ERROR;
    if (start == 1 && end == -1)
        return one_input(c, "flatten", "", true);
    /* Any other range is a reshape of the sample (dim 0, the batch, stays). */
    const vn_tensor *x = conf_input(c, "x.npy");
    if (!x)
        return CONF_ERROR;
    int nd = vn_tensor_ndim(x), st = (int)start, en = (int)end;
    if (st < 0)
        st += nd;
    if (en < 0)
        en += nd;
    if (st < 1 || en >= nd || st > en)
        return conf_skip(c, "flatten over the batch dimension");
    char attrs[160] = "shape=";
    size_t len = strlen(attrs);
    int64_t merged = 1;
    for (int d = 1; d < nd; d++) {
        if (d >= st && d <= en) {
            merged *= vn_tensor_dim(x, d);
            if (d < en)
                continue;
        }
        int64_t v = (d >= st && d <= en) ? merged : vn_tensor_dim(x, d);
        len += (size_t)snprintf(attrs + len, sizeof attrs - len, "%s%lld", len > 6 ? "," : "",
                                (long long)v);
        if (len >= sizeof attrs)
            return conf_fail(c, "flatten: shape too long");
    }
    return one_input(c, "reshape", attrs, true);
}

conf_result conf_op_dropout(conf_case *c)
{
    bool training;
    double p = 0.5;
    if (!param_bool(c, "training", true, &training))
        return CONF_ERROR;
    if (conf_param_has(c, "p") && !conf_param_double(c, "p", &p))
        return CONF_ERROR;
    if (training)
        return conf_skip(c, "a training dropout mask cannot match PyTorch's RNG");
    char attrs[64];
    snprintf(attrs, sizeof attrs, "p=%.17g", p);
    return one_input(c, "dropout", attrs, false);
}

conf_result conf_op_upsample(conf_case *c)
{
    double scale[2] = {2, 2};
    const char *mode = "nearest";
    bool align = false;
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(conf_params(c), "scale_factor");
    if (cJSON_IsNumber(sf))
        scale[0] = scale[1] = sf->valuedouble;
    else if (sf && !conf_param_doubles(c, "scale_factor", scale, 2))
        return CONF_ERROR;
    if (conf_param_has(c, "mode") && !conf_param_string(c, "mode", &mode))
        return CONF_ERROR;
    if (!param_bool(c, "align_corners", false, &align))
        return CONF_ERROR;
    if (scale[0] == scale[1] && scale[0] == (int)scale[0] && scale[0] >= 1 && !align) {
        char attrs[64];
        snprintf(attrs, sizeof attrs, "scale=%d mode=%s", (int)scale[0], mode);
        return one_input(c, "upsample", attrs, true);
    }
    /* Other scales and align_corners: the general resize layer with
     * F.interpolate's rules (size = floor(in * scale); the given scale in
     * the coordinate transform, except with align_corners). */
    const vn_tensor *x = conf_input(c, "x.npy");
    if (!x)
        return CONF_ERROR;
    if (vn_tensor_ndim(x) != 4)
        return conf_fail(c, "x.npy is not 4-D");
    bool linear = !strcmp(mode, "bilinear");
    if (!linear && strcmp(mode, "nearest"))
        return conf_skip(c, "upsample mode is neither nearest nor bilinear");
    int64_t oh = (int64_t)floor((double)vn_tensor_dim(x, 2) * scale[0]);
    int64_t ow = (int64_t)floor((double)vn_tensor_dim(x, 3) * scale[1]);
    char attrs[192];
    int n = snprintf(attrs, sizeof attrs, "size=%lld,%lld mode=%s coord=%s nearest=floor",
                     (long long)oh, (long long)ow, linear ? "linear" : "nearest",
                     align ? "align_corners" : linear ? "half_pixel" : "asymmetric");
    if (!align)
        snprintf(attrs + n, sizeof attrs - (size_t)n, " scale=%.9g,%.9g", scale[0], scale[1]);
    return one_input(c, "resize", attrs, true);
}

static conf_result two_inputs(conf_case *c, const char *type, const char *attrs)
{
    layer_case lc = {.type = type, .ndata = 2, .data = {"a.npy", "b.npy"}, .training = true};
    snprintf(lc.attrs, sizeof lc.attrs, "%s", attrs);
    return run_layer(c, &lc);
}

conf_result conf_op_add(conf_case *c)
{
    return two_inputs(c, "add", "");
}

conf_result conf_op_concat(conf_case *c)
{
    double dim = 1;
    if (conf_param_has(c, "dim") && !conf_param_double(c, "dim", &dim))
        return CONF_ERROR;
    char attrs[32];
    snprintf(attrs, sizeof attrs, "dim=%d", (int)dim);
    return two_inputs(c, "concat", attrs);
}
