/*
 * optimizer.c - vn_optimizer: the parameters an optimizer updates, their
 * state, learning-rate multipliers, the configuration string, and the step
 * loop. The update rules themselves live one per file (optim_sgd.c,
 * optim_adam.c) behind the private vtable vn__optim_algo.
 *
 * Parameters are borrowed: either a (value, grad) pair given by the caller,
 * or parameter i of a model, re-read through vn_model_param() at every step
 * so that freezing a node or changing its lr multiplier after the optimizer
 * was made takes effect at once (as flipping requires_grad does in PyTorch).
 *
 * State follows PyTorch's optimizer state dict: it is created lazily at a
 * parameter's first update, keyed by the parameter's name, with PyTorch's
 * names ("momentum_buffer"; "step", "exp_avg", "exp_avg_sq"). Each parameter
 * keeps its own step count, advanced only when the parameter is updated, as
 * PyTorch's per-parameter state['step'] is; the optimizer's step count
 * counts vn_optimizer_step() calls. Exporting every state tensor and the
 * step count, then setting them into a new optimizer with the same
 * hyper-parameters, continues training bit-exactly.
 *
 * A step first resolves and checks every parameter (and allocates any new
 * state), and only then updates: a step that fails changes nothing.
 */
#include "train/train_internal.h"
#include "kernels/kernels.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct optim_param {
    char *name;
    vn_tensor *value, *grad;  /* borrowed; for model parameters the ones last resolved */
    vn_model *model;          /* NULL for parameters added one by one */
    int model_index;
    double rule_mult;         /* from the vn_optimizer_set_lr_mult() globs */
    int64_t step;             /* updates made (PyTorch's state['step']) */
    bool has_state;           /* state holds values (an update happened, or a load) */
    vn_tensor *state[VN__OPTIM_MAX_STATE];  /* owned, allocated zeroed on first need */
    vn_tensor *step_tensor;   /* owned f32 scalar mirroring step, for algorithms exporting it */
    bool active;              /* resolved for the current step: update it */
    double lr_mult;           /* resolved for the current step: rule * node multiplier */
} optim_param;

typedef struct lr_rule {
    char *glob;
    double mult;
} lr_rule;

struct vn_optimizer {
    const vn__optim_algo *algo;
    vn__optim_hparams h;
    int64_t step_count;
    optim_param *params;
    int n_params, cap_params;
    lr_rule *rules;
    int n_rules, cap_rules;
};

static const vn__optim_algo *const algos[] = {&vn__optim_sgd, &vn__optim_adam, &vn__optim_adamw};

/* ---- creation ----------------------------------------------------------- */

vn_status vn__optimizer_new(const vn__optim_algo *algo, const vn__optim_hparams *h,
                            vn_optimizer **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "optimizer %s: out is NULL", algo->name);
    VN_TRY(algo->check(h));
    vn_optimizer *opt = vn__calloc(1, sizeof *opt);
    if (!opt)
        return vn__error(VN_ERR_NOMEM, "optimizer %s: out of memory", algo->name);
    opt->algo = algo;
    opt->h = *h;
    *out = opt;
    return VN_OK;
}

static const vn__optim_key *find_key(const vn__optim_algo *algo, const char *key)
{
    for (const vn__optim_key *k = algo->keys; k->key; k++)
        if (strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

static vn_status unknown_key(const char *what, const vn__optim_algo *algo, const char *key)
{
    char list[256] = "";
    for (const vn__optim_key *k = algo->keys; k->key; k++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", k->key);
    }
    if (algo->has_betas) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, ", betas");
    }
    return vn__error(VN_ERR_INVALID_ARG, "%s: unknown key '%s' (expected %s)", what, key, list);
}

static vn_status parse_flag(const char *what, const char *key, const char *val, int *out)
{
    if (strcmp(val, "true") == 0 || strcmp(val, "false") == 0) {
        *out = val[0] == 't';
        return VN_OK;
    }
    int64_t v = 0;
    VN_TRY(vn__train_parse_int(what, key, val, 0, 1, &v));
    *out = (int)v;
    return VN_OK;
}

static vn_status parse_betas(const char *what, char *val, vn__optim_hparams *h)
{
    char *comma = strchr(val, ',');
    if (!comma)
        return vn__error(VN_ERR_INVALID_ARG, "%s: betas='%s' is not two numbers B1,B2", what,
                         val);
    *comma = '\0';
    double b1 = 0, b2 = 0;
    VN_TRY(vn__train_parse_double(what, "betas", val, &b1));
    VN_TRY(vn__train_parse_double(what, "betas", comma + 1, &b2));
    h->beta1 = b1;
    h->beta2 = b2;
    return VN_OK;
}

VN_API vn_status vn_optimizer_create(const char *config, vn_optimizer **out)
{
    if (!config || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_create: %s is NULL",
                         !config ? "config" : "out");
    char word[VN__WORD_MAX];
    bool got = false;
    const char *cur = config;
    VN_TRY(vn__train_word_next("optimizer", &cur, word, &got));
    if (!got)
        return vn__error(VN_ERR_INVALID_ARG,
                         "optimizer: empty configuration; expected sgd, adam or adamw");
    const vn__optim_algo *algo = NULL;
    for (size_t i = 0; i < VN_ARRAY_LEN(algos); i++)
        if (strcmp(algos[i]->name, word) == 0)
            algo = algos[i];
    if (!algo)
        return vn__error(VN_ERR_INVALID_ARG,
                         "optimizer: unknown algorithm '%s' (expected sgd, adam or adamw)", word);
    char what[64];
    snprintf(what, sizeof what, "optimizer '%s'", algo->name);

    vn__optim_hparams h = algo->defaults;
    unsigned seen = 0; /* bit i: key i given; bit 31: betas */
    for (;;) {
        VN_TRY(vn__train_word_next(what, &cur, word, &got));
        if (!got)
            break;
        char *val = vn__train_word_value(word);
        if (!val)
            return vn__error(VN_ERR_INVALID_ARG, "%s: '%s' is not key=value", what, word);
        unsigned bit;
        if (algo->has_betas && strcmp(word, "betas") == 0) {
            bit = 1u << 31;
            VN_TRY(parse_betas(what, val, &h));
        } else {
            const vn__optim_key *k = find_key(algo, word);
            if (!k)
                return unknown_key(what, algo, word);
            bit = 1u << (k - algo->keys);
            char *field = (char *)&h + k->offset;
            if (k->is_int) {
                VN_TRY(parse_flag(what, word, val, (int *)(void *)field));
            } else {
                double v = 0;
                VN_TRY(vn__train_parse_double(what, word, val, &v));
                *(double *)(void *)field = v;
            }
        }
        if (seen & bit)
            return vn__error(VN_ERR_INVALID_ARG, "%s: key '%s' is given twice", what, word);
        seen |= bit;
    }
    const vn__optim_key *b1 = find_key(algo, "beta1"), *b2 = find_key(algo, "beta2");
    if ((seen & (1u << 31)) && ((b1 && (seen & (1u << (b1 - algo->keys)))) ||
                                (b2 && (seen & (1u << (b2 - algo->keys))))))
        return vn__error(VN_ERR_INVALID_ARG, "%s: give either betas or beta1 / beta2, not both",
                         what);
    return vn__optimizer_new(algo, &h, out);
}

static void free_param_state(optim_param *p)
{
    for (int s = 0; s < VN__OPTIM_MAX_STATE; s++) {
        vn_tensor_destroy(p->state[s]);
        p->state[s] = NULL;
    }
    vn_tensor_destroy(p->step_tensor);
    p->step_tensor = NULL;
}

VN_API void vn_optimizer_destroy(vn_optimizer *opt)
{
    if (!opt)
        return;
    for (int i = 0; i < opt->n_params; i++) {
        free_param_state(&opt->params[i]);
        vn__free(opt->params[i].name);
    }
    for (int i = 0; i < opt->n_rules; i++)
        vn__free(opt->rules[i].glob);
    vn__free(opt->params);
    vn__free(opt->rules);
    vn__free(opt);
}

VN_API vn_optimizer_kind vn_optimizer_get_kind(const vn_optimizer *opt)
{
    return opt ? opt->algo->kind : (vn_optimizer_kind)0;
}

VN_API vn_status vn_optimizer_to_string(const vn_optimizer *opt, char **text)
{
    if (!opt || !text)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_to_string: %s is NULL",
                         !opt ? "opt" : "text");
    char buf[512];
    snprintf(buf, sizeof buf, "%s", opt->algo->name);
    for (const vn__optim_key *k = opt->algo->keys; k->key; k++) {
        const char *field = (const char *)&opt->h + k->offset;
        if (k->is_int) {
            size_t used = strlen(buf);
            snprintf(buf + used, sizeof buf - used, " %s=%d", k->key,
                     *(const int *)(const void *)field);
        } else if (!vn__train_append_double(buf, sizeof buf, k->key,
                                            *(const double *)(const void *)field)) {
            return vn__error(VN_ERR_INTERNAL, "vn_optimizer_to_string: text too long");
        }
    }
    char *s = vn__strdup(buf);
    if (!s)
        return vn__error(VN_ERR_NOMEM, "vn_optimizer_to_string: out of memory");
    *text = s;
    return VN_OK;
}

/* ---- parameters ----------------------------------------------------------- */

static optim_param *find_param(const vn_optimizer *opt, const char *name)
{
    for (int i = 0; i < opt->n_params; i++)
        if (strcmp(opt->params[i].name, name) == 0)
            return &opt->params[i];
    return NULL;
}

static double rule_mult_for(const vn_optimizer *opt, const char *name)
{
    for (int r = opt->n_rules - 1; r >= 0; r--)
        if (vn__train_glob_match(opt->rules[r].glob, name))
            return opt->rules[r].mult;
    return 1.0;
}

/* The current value and gradient of p, whether the model wants it updated
 * now, and its node's lr multiplier. */
static vn_status resolve(const optim_param *p, vn_tensor **value, vn_tensor **grad,
                         bool *trainable, float *node_mult)
{
    if (!p->model) {
        *value = p->value;
        *grad = p->grad;
        *trainable = true;
        *node_mult = 1.0f;
        return VN_OK;
    }
    const char *name = NULL;
    unsigned flags = 0;
    vn_status s = vn_model_param(p->model, p->model_index, &name, value, grad, &flags);
    if (s != VN_OK || !name || strcmp(name, p->name) != 0 || !*value)
        return vn__error(VN_ERR_INVALID_ARG,
                         "optimizer: the model's parameter %d is no longer '%s': its parameters "
                         "changed after vn_optimizer_add_model() (make a new optimizer)",
                         p->model_index, p->name);
    *trainable = (flags & VN_PARAM_TRAINABLE) && !(flags & VN_PARAM_BUFFER);
    *node_mult = vn_model_param_lr_mult(p->model, p->model_index);
    return VN_OK;
}

static vn_status check_value(const char *name, const vn_tensor *value, const vn_tensor *grad)
{
    char sv[96], sg[96];
    if (value->dtype != VN_F32)
        return vn__error(VN_ERR_SHAPE, "optimizer: parameter '%s' is %s, expected f32", name,
                         vn_dtype_name(value->dtype));
    if (grad && (grad->dtype != VN_F32 || !vn__tensor_same_shape(grad, value)))
        return vn__error(VN_ERR_SHAPE, "optimizer: parameter '%s' is f32 %s but its gradient is %s %s",
                         name, vn__shape_str(value, sv, sizeof sv), vn_dtype_name(grad->dtype),
                         vn__shape_str(grad, sg, sizeof sg));
    return VN_OK;
}

static vn_status push_param(vn_optimizer *opt, const char *name, vn_tensor *value,
                            vn_tensor *grad, vn_model *model, int model_index)
{
    if (find_param(opt, name))
        return vn__error(VN_ERR_INVALID_ARG, "optimizer: parameter '%s' is already there", name);
    for (int i = 0; i < opt->n_params; i++) {
        const optim_param *q = &opt->params[i];
        vn_tensor *qv = q->value, *qg = NULL;
        bool tr = false;
        float nm = 1.0f;
        if (q->model && resolve(q, &qv, &qg, &tr, &nm) != VN_OK)
            continue;
        if (qv == value)
            return vn__error(VN_ERR_INVALID_ARG,
                             "optimizer: parameter '%s' is the tensor already added as '%s'",
                             name, q->name);
    }
    if (opt->n_params == opt->cap_params) {
        int cap = opt->cap_params ? 2 * opt->cap_params : 16;
        optim_param *np = vn__realloc(opt->params, (size_t)cap * sizeof *np);
        if (!np)
            return vn__error(VN_ERR_NOMEM, "optimizer: out of memory");
        opt->params = np;
        opt->cap_params = cap;
    }
    optim_param *p = &opt->params[opt->n_params];
    memset(p, 0, sizeof *p);
    p->name = vn__strdup(name);
    if (!p->name)
        return vn__error(VN_ERR_NOMEM, "optimizer: out of memory");
    p->value = value;
    p->grad = grad;
    p->model = model;
    p->model_index = model_index;
    p->rule_mult = rule_mult_for(opt, name);
    p->step = opt->step_count;
    opt->n_params++;
    return VN_OK;
}

VN_API vn_status vn_optimizer_add_param(vn_optimizer *opt, const char *name, vn_tensor *value,
                                        vn_tensor *grad)
{
    if (!opt || !value)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_add_param: %s is NULL",
                         !opt ? "opt" : "value");
    char auto_name[24];
    if (!name) {
        snprintf(auto_name, sizeof auto_name, "%d", opt->n_params);
        name = auto_name;
    }
    if (!*name)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_add_param: the name is empty");
    VN_TRY(check_value(name, value, grad));
    return push_param(opt, name, value, grad, NULL, -1);
}

VN_API vn_status vn_optimizer_add_model(vn_optimizer *opt, vn_model *model)
{
    if (!opt || !model)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_add_model: %s is NULL",
                         !opt ? "opt" : "model");
    int n = vn_model_param_count(model);
    int first = opt->n_params;
    for (int i = 0; i < n; i++) {
        const char *name = NULL;
        vn_tensor *value = NULL, *grad = NULL;
        unsigned flags = 0;
        vn_status s = vn_model_param(model, i, &name, &value, &grad, &flags);
        if (s == VN_OK && (!name || !value))
            s = vn__error(VN_ERR_INTERNAL, "vn_optimizer_add_model: parameter %d has no name or value", i);
        if (s == VN_OK && !(flags & VN_PARAM_BUFFER)) {
            s = check_value(name, value, grad);
            if (s == VN_OK)
                s = push_param(opt, name, value, grad, model, i);
        }
        if (s != VN_OK) {
            /* All or nothing: drop what this call added. */
            while (opt->n_params > first)
                vn__free(opt->params[--opt->n_params].name);
            return s;
        }
    }
    return VN_OK;
}

VN_API int vn_optimizer_param_count(const vn_optimizer *opt)
{
    return opt ? opt->n_params : 0;
}

VN_API const char *vn_optimizer_param_name(const vn_optimizer *opt, int i)
{
    return (opt && i >= 0 && i < opt->n_params) ? opt->params[i].name : NULL;
}

/* ---- state -------------------------------------------------------------- */

static void refresh_step_tensor(optim_param *p)
{
    if (p->step_tensor)
        *(float *)p->step_tensor->data = (float)p->step;
}

/* Allocate p's state tensors (zeroed, of value's shape) if they are not
 * there yet, and check the shape of those that are. */
static vn_status ensure_state(const vn_optimizer *opt, optim_param *p, const vn_tensor *value)
{
    int n = opt->algo->state_count(&opt->h);
    for (int s = 0; s < n; s++) {
        if (p->state[s]) {
            if (!vn__tensor_same_shape(p->state[s], value)) {
                char a[96], b[96];
                return vn__error(VN_ERR_SHAPE, "optimizer: state '%s' of '%s' is %s but the parameter is now %s",
                                 opt->algo->state_names[s], p->name,
                                 vn__shape_str(p->state[s], a, sizeof a),
                                 vn__shape_str(value, b, sizeof b));
            }
            continue;
        }
        vn_status st = vn_tensor_create(VN_F32, value->ndim, value->shape, &p->state[s]);
        if (st != VN_OK)
            return vn__error_prefix(st, "optimizer");
    }
    if (opt->algo->exports_step && !p->step_tensor) {
        vn_status st = vn_tensor_create(VN_F32, 0, NULL, &p->step_tensor);
        if (st != VN_OK)
            return vn__error_prefix(st, "optimizer");
        refresh_step_tensor(p);
    }
    return VN_OK;
}

static int states_of(const vn_optimizer *opt)
{
    return opt->algo->state_count(&opt->h) + (opt->algo->exports_step ? 1 : 0);
}

VN_API int vn_optimizer_state_count(const vn_optimizer *opt)
{
    if (!opt)
        return 0;
    int per = states_of(opt), n = 0;
    for (int i = 0; i < opt->n_params; i++)
        if (opt->params[i].has_state)
            n += per;
    return n;
}

VN_API vn_status vn_optimizer_state(const vn_optimizer *opt, int i, const char **param_name,
                                    const char **state_name, vn_tensor **tensor)
{
    if (!opt)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_state: opt is NULL");
    int per = states_of(opt), left = i;
    for (int k = 0; i >= 0 && k < opt->n_params && per > 0; k++) {
        optim_param *p = &opt->params[k];
        if (!p->has_state)
            continue;
        if (left >= per) {
            left -= per;
            continue;
        }
        bool step = opt->algo->exports_step && left == 0;
        int s = left - (opt->algo->exports_step ? 1 : 0);
        if (param_name)
            *param_name = p->name;
        if (state_name)
            *state_name = step ? "step" : opt->algo->state_names[s];
        if (tensor)
            *tensor = step ? p->step_tensor : p->state[s];
        return VN_OK;
    }
    return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_state: index %d is outside 0..%d", i,
                     vn_optimizer_state_count(opt) - 1);
}

static vn_status read_step_value(const char *pname, const vn_tensor *value, int64_t *step)
{
    if (value->numel != 1 || (value->dtype != VN_F32 && value->dtype != VN_I32))
        return vn__error(VN_ERR_SHAPE, "optimizer: state 'step' of '%s' must be one f32 or i32 "
                         "number, got %s with %zu elements", pname, vn_dtype_name(value->dtype),
                         value->numel);
    double v = value->dtype == VN_F32 ? (double)*(const float *)value->data
                                      : (double)*(const int32_t *)value->data;
    if (!(v >= 0.0 && v <= 9007199254740992.0) || v != floor(v))
        return vn__error(VN_ERR_INVALID_ARG,
                         "optimizer: state 'step' of '%s' is %g, expected a whole number >= 0",
                         pname, v);
    *step = (int64_t)v;
    return VN_OK;
}

VN_API vn_status vn_optimizer_set_state(vn_optimizer *opt, const char *param_name,
                                        const char *state_name, const vn_tensor *value)
{
    if (!opt || !param_name || !state_name || !value)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_set_state: NULL argument");
    optim_param *p = find_param(opt, param_name);
    if (!p)
        return vn__error(VN_ERR_INVALID_ARG, "optimizer: no parameter called '%s'", param_name);
    int n = opt->algo->state_count(&opt->h), slot = -1;
    bool is_step = opt->algo->exports_step && strcmp(state_name, "step") == 0;
    for (int s = 0; s < n; s++)
        if (strcmp(opt->algo->state_names[s], state_name) == 0)
            slot = s;
    if (!is_step && slot < 0) {
        char list[128] = "";
        if (opt->algo->exports_step)
            snprintf(list, sizeof list, "step");
        for (int s = 0; s < n; s++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                     opt->algo->state_names[s]);
        }
        return vn__error(VN_ERR_INVALID_ARG, "optimizer %s: no state called '%s' (it has: %s)",
                         opt->algo->name, state_name, n || opt->algo->exports_step ? list : "none");
    }
    vn_tensor *pv = NULL, *pg = NULL;
    bool trainable = false;
    float node_mult = 1.0f;
    VN_TRY(resolve(p, &pv, &pg, &trainable, &node_mult));
    int64_t step = 0;
    if (is_step) {
        VN_TRY(read_step_value(param_name, value, &step));
    } else if (value->dtype != VN_F32 || !vn__tensor_same_shape(value, pv)) {
        char a[96], b[96];
        return vn__error(VN_ERR_SHAPE, "optimizer: state '%s' of '%s' must be f32 %s, got %s %s",
                         state_name, param_name, vn__shape_str(pv, a, sizeof a),
                         vn_dtype_name(value->dtype), vn__shape_str(value, b, sizeof b));
    }
    VN_TRY(ensure_state(opt, p, pv));
    if (is_step)
        p->step = step;
    else
        memcpy(p->state[slot]->data, value->data, vn_tensor_nbytes(value));
    refresh_step_tensor(p);
    p->has_state = true;
    return VN_OK;
}

/* ---- stepping ----------------------------------------------------------- */

/* One parameter's update over elements [b, e): the rules are element-wise,
 * so ranges on several threads give the values of one call. A memory-bound
 * handful of operations per element (read value, gradient and state,
 * write value and state). */
#define UPDATE_COST 16.0

typedef struct update_job {
    const vn__optim_algo *algo;
    const vn__optim_hparams *h;
    double lr;
    int64_t step;
    bool fresh;
    float *p;
    const float *grad;
    float *state[VN__OPTIM_MAX_STATE];
} update_job;

static void update_range(void *ctx, int64_t b, int64_t e)
{
    const update_job *j = ctx;
    float *state[VN__OPTIM_MAX_STATE] = {0};
    for (int s = 0; s < VN__OPTIM_MAX_STATE; s++)
        state[s] = j->state[s] ? j->state[s] + b : NULL;
    j->algo->update(j->h, j->lr, j->step, j->fresh, j->p + b, j->grad + b, state,
                    (size_t)(e - b));
}

VN_API vn_status vn_optimizer_step(vn_optimizer *opt)
{
    if (!opt)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_step: opt is NULL");
    /* Pass 1: resolve and check everything, allocate new state. */
    for (int i = 0; i < opt->n_params; i++) {
        optim_param *p = &opt->params[i];
        bool trainable = false;
        float node_mult = 1.0f;
        p->active = false;
        VN_TRY(resolve(p, &p->value, &p->grad, &trainable, &node_mult));
        if (!trainable || !p->grad)
            continue;
        VN_TRY(check_value(p->name, p->value, p->grad));
        VN_TRY(ensure_state(opt, p, p->value));
        p->lr_mult = p->rule_mult * (double)node_mult;
        p->active = true;
    }
    /* Pass 2: update. */
    for (int i = 0; i < opt->n_params; i++) {
        optim_param *p = &opt->params[i];
        if (!p->active)
            continue;
        p->step++;
        update_job j = {opt->algo, &opt->h, opt->h.lr * p->lr_mult, p->step, !p->has_state,
                        p->value->data, p->grad->data, {0}};
        for (int s = 0; s < VN__OPTIM_MAX_STATE; s++)
            j.state[s] = p->state[s] ? p->state[s]->data : NULL;
        /* element-wise: cut into ranges over the pool, the same values */
        vn__parallel_for((int64_t)p->value->numel, UPDATE_COST, update_range, &j);
        p->has_state = true;
        refresh_step_tensor(p);
    }
    opt->step_count++;
    return VN_OK;
}

VN_API vn_status vn_optimizer_zero_grad(vn_optimizer *opt)
{
    if (!opt)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_zero_grad: opt is NULL");
    for (int i = 0; i < opt->n_params; i++) {
        optim_param *p = &opt->params[i];
        vn_tensor *value = NULL, *grad = NULL;
        bool trainable = false;
        float node_mult = 1.0f;
        VN_TRY(resolve(p, &value, &grad, &trainable, &node_mult));
        if (grad)
            vn_tensor_zero(grad);
    }
    return VN_OK;
}

/* ---- learning rate and step count ---------------------------------------- */

VN_API vn_status vn_optimizer_set_lr(vn_optimizer *opt, double lr)
{
    if (!opt)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_set_lr: opt is NULL");
    if (!(lr >= 0.0) || !isfinite(lr))
        return vn__error(VN_ERR_INVALID_ARG, "optimizer: lr=%g must be finite and >= 0", lr);
    opt->h.lr = lr;
    return VN_OK;
}

VN_API double vn_optimizer_get_lr(const vn_optimizer *opt)
{
    return opt ? opt->h.lr : 0.0;
}

VN_API vn_status vn_optimizer_set_lr_mult(vn_optimizer *opt, const char *glob, double mult)
{
    if (!opt || !glob)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_set_lr_mult: %s is NULL",
                         !opt ? "opt" : "glob");
    if (!(mult >= 0.0) || !isfinite(mult))
        return vn__error(VN_ERR_INVALID_ARG,
                         "optimizer: lr multiplier %g for '%s' must be finite and >= 0", mult,
                         glob);
    if (opt->n_rules == opt->cap_rules) {
        int cap = opt->cap_rules ? 2 * opt->cap_rules : 4;
        lr_rule *nr = vn__realloc(opt->rules, (size_t)cap * sizeof *nr);
        if (!nr)
            return vn__error(VN_ERR_NOMEM, "optimizer: out of memory");
        opt->rules = nr;
        opt->cap_rules = cap;
    }
    char *g = vn__strdup(glob);
    if (!g)
        return vn__error(VN_ERR_NOMEM, "optimizer: out of memory");
    opt->rules[opt->n_rules].glob = g;
    opt->rules[opt->n_rules].mult = mult;
    opt->n_rules++;
    for (int i = 0; i < opt->n_params; i++)
        if (vn__train_glob_match(glob, opt->params[i].name))
            opt->params[i].rule_mult = mult;
    return VN_OK;
}

VN_API int64_t vn_optimizer_get_step_count(const vn_optimizer *opt)
{
    return opt ? opt->step_count : 0;
}

VN_API vn_status vn_optimizer_set_step_count(vn_optimizer *opt, int64_t steps)
{
    if (!opt)
        return vn__error(VN_ERR_INVALID_ARG, "vn_optimizer_set_step_count: opt is NULL");
    if (steps < 0)
        return vn__error(VN_ERR_INVALID_ARG, "optimizer: step count %lld must be >= 0",
                         (long long)steps);
    opt->step_count = steps;
    for (int i = 0; i < opt->n_params; i++) {
        opt->params[i].step = steps;
        refresh_step_tensor(&opt->params[i]);
    }
    return VN_OK;
}
