/*
 * ops_optim.c - the optim/ operations of the conformance format (README
 * section 4, optim/) run through the library's optimizers
 * (visionnet/train.h).
 *
 * A case gives p0.npy, the gradients g1.npy .. g<steps>.npy and, when
 * params.initial_step = k > 0, the state after k earlier steps as
 * <state>0.npy (momentum_buffer0.npy, exp_avg0.npy, exp_avg_sq0.npy). The
 * optimizer is made with the typed constructor from the case's
 * hyper-parameters (PyTorch's defaults for those not given), resumed with
 * vn_optimizer_set_step_count(k) and vn_optimizer_set_state() for every
 * <state>0.npy, then stepped once per gradient; after step i the outputs
 * are p<i>.npy and <state><i>.npy for every state tensor the optimizer
 * lists under PyTorch's names.
 */
#include "ops.h"

#include <stdio.h>
#include <string.h>

/* An optional number; false (after conf_fail) when present but not one. */
static bool opt_double(conf_case *c, const char *key, double *v)
{
    return !conf_param_has(c, key) || conf_param_double(c, key, v);
}

/* A PyTorch flag the library does not have must be absent or false. */
static bool flag_unsupported(conf_case *c, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    if (j && !cJSON_IsNull(j) && !cJSON_IsFalse(j)) {
        conf_skip(c, "%s is not supported", key);
        return true;
    }
    return false;
}

static bool param_true(conf_case *c, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf_params(c), key));
}

/* "g<digits>.npy" */
static bool is_gradient(const char *name)
{
    size_t d = strspn(name + 1, "0123456789");
    return name[0] == 'g' && d > 0 && strcmp(name + 1 + d, ".npy") == 0;
}

static int count_gradients(conf_case *c)
{
    int n = 0;
    for (int i = 0; conf_input_name(c, i); i++)
        n += is_gradient(conf_input_name(c, i));
    return n;
}

/* Load the resumed state (<state>0.npy, everything listed but p0 and the
 * gradients) into the optimizer's parameter "p". */
static conf_result load_state(conf_case *c, vn_optimizer *opt)
{
    for (int i = 0; conf_input_name(c, i); i++) {
        const char *name = conf_input_name(c, i);
        size_t n = strlen(name);
        if (strcmp(name, "p0.npy") == 0 || is_gradient(name) || n <= 5 ||
            strcmp(name + n - 5, "0.npy") != 0)
            continue;
        char state[128];
        snprintf(state, sizeof state, "%.*s", (int)(n - 5), name);
        const vn_tensor *t = conf_input(c, name);
        if (!t)
            return CONF_ERROR;
        vn_status s = vn_optimizer_set_state(opt, "p", state, t);
        if (s != VN_OK)
            return conf_fail_status(c, name, s);
    }
    return CONF_OK;
}

/* The outputs of step `step`: the parameter and every state tensor. */
static void give_outputs(conf_case *c, vn_optimizer *opt, const vn_tensor *p, int step)
{
    char name[160];
    vn_tensor *copy = NULL;
    snprintf(name, sizeof name, "p%d.npy", step);
    if (conf_wants_output(c, name) && vn_tensor_copy(p, &copy) == VN_OK)
        conf_output(c, name, copy);
    for (int i = 0; i < vn_optimizer_state_count(opt); i++) {
        const char *state = NULL;
        vn_tensor *t = NULL;
        if (vn_optimizer_state(opt, i, NULL, &state, &t) != VN_OK)
            continue;
        snprintf(name, sizeof name, "%s%d.npy", state, step);
        if (conf_wants_output(c, name) && vn_tensor_copy(t, &copy) == VN_OK)
            conf_output(c, name, copy);
    }
}

/* Resume if asked, then step through the gradients. Takes the optimizer. */
static conf_result run_optimizer(conf_case *c, vn_optimizer *opt)
{
    double k = 0.0, steps = (double)count_gradients(c);
    const vn_tensor *p0 = conf_input(c, "p0.npy");
    vn_tensor *p = NULL, *g = NULL;
    conf_result r = CONF_OK;
    vn_status s = VN_OK;
    if (!p0 || !opt_double(c, "initial_step", &k) || !opt_double(c, "steps", &steps))
        r = CONF_ERROR;
    if (r == CONF_OK && ((s = vn_tensor_copy(p0, &p)) != VN_OK ||
                         (s = vn_tensor_copy(p0, &g)) != VN_OK ||
                         (s = vn_optimizer_add_param(opt, "p", p, g)) != VN_OK ||
                         (s = vn_optimizer_set_step_count(opt, (int64_t)k)) != VN_OK))
        r = conf_fail_status(c, "optimizer", s);
    if (r == CONF_OK)
        r = load_state(c, opt);
    for (int step = 1; r == CONF_OK && step <= (int)steps; step++) {
        char name[32];
        snprintf(name, sizeof name, "g%d.npy", step);
        const vn_tensor *gi = conf_input(c, name);
        if (!gi) {
            r = CONF_ERROR;
            break;
        }
        if (vn_tensor_nbytes(gi) != vn_tensor_nbytes(g) || vn_tensor_dtype(gi) != VN_F32) {
            r = conf_fail(c, "%s does not have the shape of p0.npy", name);
            break;
        }
        memcpy(vn_tensor_data(g), vn_tensor_data_const(gi), vn_tensor_nbytes(g));
        if ((s = vn_optimizer_step(opt)) != VN_OK) {
            r = conf_fail_status(c, "vn_optimizer_step", s);
            break;
        }
        give_outputs(c, opt, p, step);
    }
    vn_optimizer_destroy(opt);
    vn_tensor_destroy(p);
    vn_tensor_destroy(g);
    return r;
}

conf_result conf_op_sgd(conf_case *c)
{
    if (flag_unsupported(c, "maximize"))
        return CONF_SKIP;
    /* torch.optim.SGD's defaults; lr has none. */
    vn_sgd_options o = VN_SGD_OPTIONS_INIT;
    if (!conf_param_double(c, "lr", &o.lr) || !opt_double(c, "momentum", &o.momentum) ||
        !opt_double(c, "dampening", &o.dampening) ||
        !opt_double(c, "weight_decay", &o.weight_decay))
        return CONF_ERROR;
    o.nesterov = param_true(c, "nesterov");
    vn_optimizer *opt = NULL;
    vn_status s = vn_optimizer_create_sgd(&o, &opt);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_optimizer_create_sgd", s);
    return run_optimizer(c, opt);
}

/* Adam and AdamW: the same keys, different default weight decay. */
static conf_result run_adam(conf_case *c, bool decoupled)
{
    if (flag_unsupported(c, "amsgrad") || flag_unsupported(c, "maximize"))
        return CONF_SKIP;
    vn_adam_options o = VN_ADAM_OPTIONS_INIT;
    if (decoupled)
        o.weight_decay = 1e-2;
    double betas[2] = {o.beta1, o.beta2};
    if (!opt_double(c, "lr", &o.lr) || !opt_double(c, "eps", &o.eps) ||
        !opt_double(c, "weight_decay", &o.weight_decay) ||
        (conf_param_has(c, "betas") && !conf_param_doubles(c, "betas", betas, 2)))
        return CONF_ERROR;
    o.beta1 = betas[0];
    o.beta2 = betas[1];
    vn_optimizer *opt = NULL;
    vn_status s = decoupled ? vn_optimizer_create_adamw(&o, &opt)
                            : vn_optimizer_create_adam(&o, &opt);
    if (s != VN_OK)
        return conf_fail_status(c, decoupled ? "vn_optimizer_create_adamw" : "vn_optimizer_create_adam", s);
    return run_optimizer(c, opt);
}

conf_result conf_op_adam(conf_case *c)
{
    return run_adam(c, false);
}

conf_result conf_op_adamw(conf_case *c)
{
    return run_adam(c, true);
}
