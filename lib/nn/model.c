/*
 * model.c - building a vn_model: the graph of named nodes, shape inference
 * when a node is added, parameters with PyTorch state-dict names, seeds,
 * trainable flags and learning-rate multipliers, and the node listing.
 *
 * A node is added from a layer type and an attribute string. The common
 * keys (name, inputs, trainable, lr_mult) are the model's; the others go to
 * the layer's constructor (lib/nn/layers/registry.c finds it). The inputs
 * default to the last node added (the sequential builder). Shapes are
 * checked at once, per sample: a node whose input does not fit is refused
 * with a message naming it, and the model is left as it was.
 *
 * Parameters are initialised as PyTorch does by default, from Philox keyed
 * by the model's seed on a stream of the node's index, so a model built
 * from the same spec and seed has the same weights on any machine and any
 * thread count; vn_model_set_seed() re-draws them all.
 *
 * Running the model (forward, backward, memory planning) is model_run.c;
 * the spec text is spec.c.
 */
#include "nn/model.h"
#include "nn/model_meta.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define INIT_STREAM_TAG 0x696e6974ull /* "init" */
#define NAME_MAX_LEN 63

VN_API vn_status vn_model_create(const int64_t *input_shape, int ndim, vn_model **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_create: out is NULL");
    *out = NULL;
    if (!input_shape || ndim < 1 || ndim > VN_MAX_DIMS - 1)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_create: the input shape needs 1 to %d dimensions (without the "
                         "batch), got %d",
                         VN_MAX_DIMS - 1, ndim);
    for (int i = 0; i < ndim; i++)
        if (input_shape[i] < 1 || input_shape[i] > ((int64_t)1 << 31))
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_model_create: input dimension %d is %lld, expected 1..2^31", i,
                             (long long)input_shape[i]);
    vn_model *m = vn__calloc(1, sizeof *m);
    if (!m)
        return vn__error(VN_ERR_NOMEM, "vn_model_create: out of memory");
    m->in_shape.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        m->in_shape.d[i] = input_shape[i];
    m->plan_batch = -1;
    m->last_mode = -1;
    *out = m;
    return VN_OK;
}

void vn__model_free_node(vn__node *n)
{
    vn__free(n->name);
    vn__free(n->inputs);
    vn__layer_destroy(n->layer);
    vn_tensor_destroy(n->act);
    vn_tensor_destroy(n->view);
    vn_tensor_destroy(n->grad);
}

VN_API void vn_model_destroy(vn_model *m)
{
    if (!m)
        return;
    vn__model_free_run(m);
    vn__model_meta_free(m);
    for (int i = 0; i < m->nnodes; i++)
        vn__model_free_node(&m->nodes[i]);
    for (int i = 0; i < m->nparams; i++)
        vn__free(m->params[i].name);
    vn__free(m->nodes);
    vn__free(m->params);
    vn__free(m);
}

/* ---- adding nodes --------------------------------------------------------- */

static int find_node(const vn_model *m, const char *name, size_t len)
{
    for (int i = 0; i < m->nnodes; i++)
        if (strlen(m->nodes[i].name) == len && memcmp(m->nodes[i].name, name, len) == 0)
            return i;
    return -2;
}

static vn_status check_name(const vn_model *m, const char *type, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN)
        return vn__error(VN_ERR_INVALID_ARG, "%s: name '%s' must have 1 to %d characters", type,
                         name, NAME_MAX_LEN);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '_' && c != '.' && c != '-')
            return vn__error(VN_ERR_INVALID_ARG,
                             "%s: name '%s' may only hold letters, digits, '_', '.' and '-'", type,
                             name);
    }
    if (strcmp(name, "input") == 0)
        return vn__error(VN_ERR_INVALID_ARG, "%s: the name 'input' is the model's input", type);
    if (find_node(m, name, n) >= 0)
        return vn__error(VN_ERR_INVALID_ARG, "%s '%s': a node of that name exists already", type,
                         name);
    return VN_OK;
}

/* Resolve "a,b,input" into node indices. */
static vn_status parse_inputs(const vn_model *m, const vn__attrs *a, const char *list, int *idx,
                              int *count)
{
    int n = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (n == VN__NODE_MAX_INPUTS)
            return vn__error(VN_ERR_INVALID_ARG, "%s: more than %d inputs in 'inputs=%s'", a->who,
                             VN__NODE_MAX_INPUTS, list);
        if (len == 5 && memcmp(p, "input", 5) == 0)
            idx[n] = VN__MODEL_INPUT;
        else if ((idx[n] = find_node(m, p, len)) < 0)
            return vn__error(VN_ERR_INVALID_ARG, "%s: unknown input '%.*s' in 'inputs=%s'",
                             a->who, (int)VN_MIN(len, (size_t)64), p, list);
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *count = n;
    return VN_OK;
}

static const vn__shape *input_shape_of(const vn_model *m, int idx)
{
    return idx == VN__MODEL_INPUT ? &m->in_shape : &m->nodes[idx].shape;
}

void vn__model_init_node(vn_model *m, int i)
{
    vn__layer *l = m->nodes[i].layer;
    if (!l->ops->init)
        return;
    struct vn_rng rng;
    vn__rng_init(&rng, m->seed, vn__rng_stream(INIT_STREAM_TAG, (uint64_t)i, 0));
    l->ops->init(l, &rng);
}

static vn_status grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return VN_OK;
    int nc = VN_MAX(need, *cap * 2 + 8);
    void *p = vn__realloc(*arr, (size_t)nc * elem);
    if (!p)
        return vn__error(VN_ERR_NOMEM, "vn_model_add: out of memory");
    *arr = p;
    *cap = nc;
    return VN_OK;
}

/* Everything vn_model_add builds before the node joins the model. */
typedef struct pending {
    vn__attrs attrs;
    char name[NAME_MAX_LEN + 1];
    int inputs[VN__NODE_MAX_INPUTS];
    int nin;
    bool trainable;
    double lr_mult;
    vn__layer *layer;
    vn__shape shape;
} pending;

static vn_status build_node(vn_model *m, const char *type, const char *attrs, pending *p)
{
    const vn__layer_type *lt = vn__layer_type_find(type);
    if (!lt)
        return vn__error(VN_ERR_INVALID_ARG, "unknown layer type '%s'", type);
    VN_TRY(vn__attrs_parse(attrs, type, &p->attrs));

    const char *name = vn__attrs_get(&p->attrs, "name");
    if (name) {
        VN_TRY(check_name(m, type, name));
        snprintf(p->name, sizeof p->name, "%s", name);
    } else {
        for (int k = m->nnodes + 1;; k++) {
            snprintf(p->name, sizeof p->name, "%s_%d", type, k);
            if (find_node(m, p->name, strlen(p->name)) < 0)
                break;
        }
    }
    vn__attrs_set_who(&p->attrs, type, p->name);

    const char *inputs = vn__attrs_get(&p->attrs, "inputs");
    if (inputs) {
        VN_TRY(parse_inputs(m, &p->attrs, inputs, p->inputs, &p->nin));
    } else {
        p->inputs[0] = m->nnodes > 0 ? m->nnodes - 1 : VN__MODEL_INPUT;
        p->nin = 1;
    }
    VN_TRY(vn__attr_bool(&p->attrs, "trainable", true, &p->trainable));
    VN_TRY(vn__attr_float(&p->attrs, "lr_mult", 1.0, 0.0, 1e6, &p->lr_mult));

    vn__shape shapes[VN__NODE_MAX_INPUTS];
    for (int k = 0; k < p->nin; k++)
        shapes[k] = *input_shape_of(m, p->inputs[k]);
    VN_TRY(lt->create(&p->attrs, p->nin, shapes, &p->layer));
    VN_TRY(vn__attrs_check_unused(&p->attrs));
    VN_TRY(p->layer->ops->output_shape(p->layer, p->nin, shapes, &p->shape));
    if (p->shape.ndim < 1 || p->shape.ndim > VN_MAX_DIMS - 1 || vn__shape_count(&p->shape) < 1)
        return vn__error(VN_ERR_SHAPE, "%s: empty output", p->attrs.who);
    return VN_OK;
}

/* Move a built node into the model (cannot fail once memory is reserved). */
static vn_status commit_node(vn_model *m, pending *p)
{
    vn__layer *l = p->layer;
    VN_TRY(grow((void **)&m->nodes, &m->node_cap, m->nnodes + 1, sizeof(vn__node)));
    VN_TRY(grow((void **)&m->params, &m->param_cap, m->nparams + l->nparams,
                sizeof(vn__model_param)));
    vn__node n = {0};
    n.name = vn__strdup(p->name);
    n.inputs = vn__malloc((size_t)p->nin * sizeof(int));
    char *pnames[VN__LAYER_MAX_PARAMS] = {0};
    bool ok = n.name && n.inputs;
    for (int k = 0; ok && k < l->nparams; k++) {
        size_t len = strlen(p->name) + 1 + strlen(l->params[k].suffix) + 1;
        pnames[k] = vn__malloc(len);
        ok = pnames[k] != NULL;
        if (ok)
            snprintf(pnames[k], len, "%s.%s", p->name, l->params[k].suffix);
    }
    if (!ok) {
        vn__free(n.name);
        vn__free(n.inputs);
        for (int k = 0; k < l->nparams; k++)
            vn__free(pnames[k]);
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", p->attrs.who);
    }
    memcpy(n.inputs, p->inputs, (size_t)p->nin * sizeof(int));
    n.nin = p->nin;
    n.layer = l;
    n.shape = p->shape;
    n.trainable = p->trainable;
    n.lr_mult = (float)p->lr_mult;
    n.first_param = m->nparams;
    p->layer = NULL;
    int index = m->nnodes++;
    m->nodes[index] = n;
    for (int k = 0; k < l->nparams; k++) {
        vn__model_param *mp = &m->params[m->nparams++];
        mp->node = index;
        mp->index = k;
        mp->name = pnames[k];
    }
    vn__model_init_node(m, index);
    vn__model_drop_plan(m);
    m->backward_ready = false;
    return VN_OK;
}

VN_API vn_status vn_model_add(vn_model *m, const char *type, const char *attrs)
{
    if (!m || !type)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_add: %s is NULL", m ? "type" : "model");
    pending *p = vn__calloc(1, sizeof *p);
    if (!p)
        return vn__error(VN_ERR_NOMEM, "vn_model_add: out of memory");
    vn_status s = build_node(m, type, attrs, p);
    if (s == VN_OK)
        s = commit_node(m, p);
    vn__layer_destroy(p->layer);
    vn__attrs_free(&p->attrs);
    vn__free(p);
    return s;
}

/* ---- typed builders: each formats an attribute string ---------------------- */

static vn_status add_fmt(vn_model *m, const char *type, const char *name, const char *rest)
{
    char text[512];
    if (name)
        snprintf(text, sizeof text, "name=%s %s", name, rest);
    else
        snprintf(text, sizeof text, "%s", rest);
    return vn_model_add(m, type, text);
}

VN_API vn_status vn_model_add_conv2d(vn_model *m, const char *name, const vn_conv2d_options *o)
{
    if (!o || o->size < sizeof(vn_conv2d_options))
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_add_conv2d: options are NULL or their size is not set "
                         "(use VN_CONV2D_OPTIONS_INIT)");
    char rest[256];
    snprintf(rest, sizeof rest,
             "out=%d k=%d,%d stride=%d,%d pad=%d,%d dilation=%d,%d groups=%d bias=%d",
             o->out_channels, o->kernel_h, o->kernel_w, o->stride_h, o->stride_w, o->pad_h,
             o->pad_w, o->dilation_h, o->dilation_w, o->groups, o->bias ? 1 : 0);
    return add_fmt(m, "conv2d", name, rest);
}

VN_API vn_status vn_model_add_dense(vn_model *m, const char *name, int out_features, int bias)
{
    char rest[64];
    snprintf(rest, sizeof rest, "out=%d bias=%d", out_features, bias ? 1 : 0);
    return add_fmt(m, "dense", name, rest);
}

VN_API vn_status vn_model_add_max_pool2d(vn_model *m, const char *name, int kernel, int stride,
                                         int padding)
{
    char rest[96];
    snprintf(rest, sizeof rest, "k=%d stride=%d pad=%d", kernel, stride, padding);
    return add_fmt(m, "max_pool2d", name, rest);
}

VN_API vn_status vn_model_add_batch_norm2d(vn_model *m, const char *name)
{
    return add_fmt(m, "batch_norm2d", name, "");
}

VN_API vn_status vn_model_add_activation(vn_model *m, const char *name, const char *type)
{
    static const char *const allowed[] = {"relu", "sigmoid", "tanh", "gelu", "leaky_relu",
                                          "softmax", "log_softmax"};
    for (size_t i = 0; type && i < VN_ARRAY_LEN(allowed); i++)
        if (strcmp(type, allowed[i]) == 0)
            return add_fmt(m, type, name, "");
    return vn__error(VN_ERR_INVALID_ARG, "vn_model_add_activation: '%s' is not an activation",
                     type ? type : "(null)");
}

VN_API vn_status vn_model_add_flatten(vn_model *m, const char *name)
{
    return add_fmt(m, "flatten", name, "");
}

VN_API vn_status vn_model_add_dropout(vn_model *m, const char *name, float p)
{
    char rest[64], num[32];
    snprintf(rest, sizeof rest, "p=%s", vn__format_float(num, sizeof num, p));
    return add_fmt(m, "dropout", name, rest);
}

/* ---- seed ------------------------------------------------------------------ */

VN_API vn_status vn_model_set_seed(vn_model *m, uint64_t seed)
{
    if (!m)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_seed: model is NULL");
    m->seed = seed;
    for (int i = 0; i < m->nnodes; i++)
        vn__model_init_node(m, i);
    return VN_OK;
}

VN_API uint64_t vn_model_seed(const vn_model *m)
{
    return m ? m->seed : 0;
}

VN_API vn_status vn_model_set_step(vn_model *m, uint64_t step)
{
    if (!m)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_step: model is NULL");
    m->step = step;
    return VN_OK;
}

/* ---- nodes ------------------------------------------------------------------ */

VN_API int vn_model_node_count(const vn_model *m)
{
    return m ? m->nnodes : 0;
}

static const vn__node *node_at(const vn_model *m, int i)
{
    return m && i >= 0 && i < m->nnodes ? &m->nodes[i] : NULL;
}

VN_API const char *vn_model_node_name(const vn_model *m, int i)
{
    const vn__node *n = node_at(m, i);
    return n ? n->name : NULL;
}

VN_API const char *vn_model_node_type(const vn_model *m, int i)
{
    const vn__node *n = node_at(m, i);
    return n ? n->layer->ops->type : NULL;
}

VN_API int vn_model_node_find(const vn_model *m, const char *name)
{
    if (!m || !name)
        return -1;
    int i = find_node(m, name, strlen(name));
    return i >= 0 ? i : -1;
}

static vn_status copy_shape(const vn__shape *s, int64_t *shape, int *ndim)
{
    if (!shape || !ndim)
        return vn__error(VN_ERR_INVALID_ARG, "shape or ndim is NULL");
    *ndim = s->ndim;
    for (int i = 0; i < s->ndim; i++)
        shape[i] = s->d[i];
    return VN_OK;
}

VN_API vn_status vn_model_node_shape(const vn_model *m, int i, int64_t *shape, int *ndim)
{
    const vn__node *n = node_at(m, i);
    if (!n)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_node_shape: no node %d", i);
    return copy_shape(&n->shape, shape, ndim);
}

VN_API vn_status vn_model_output_shape(const vn_model *m, int64_t *shape, int *ndim)
{
    if (!m)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_output_shape: model is NULL");
    return copy_shape(m->nnodes ? &m->nodes[m->nnodes - 1].shape : &m->in_shape, shape, ndim);
}

VN_API vn_status vn_model_input_shape(const vn_model *m, int64_t *shape, int *ndim)
{
    if (!m)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_input_shape: model is NULL");
    return copy_shape(&m->in_shape, shape, ndim);
}

VN_API int64_t vn_model_node_param_count(const vn_model *m, int i)
{
    const vn__node *n = node_at(m, i);
    if (!n)
        return 0;
    int64_t total = 0;
    for (int k = 0; k < n->layer->nparams; k++)
        if (n->layer->params[k].grad)
            total += (int64_t)n->layer->params[k].value->numel;
    return total;
}

VN_API int64_t vn_model_node_flops(const vn_model *m, int i)
{
    const vn__node *n = node_at(m, i);
    if (!n || !n->layer->ops->flops)
        return 0;
    vn__shape in[VN__NODE_MAX_INPUTS];
    for (int k = 0; k < n->nin; k++)
        in[k] = *input_shape_of(m, n->inputs[k]);
    return n->layer->ops->flops(n->layer, n->nin, in, &n->shape);
}

void vn__model_node_words(const vn_model *m, int i, vn__strbuf *sb)
{
    const vn__node *n = &m->nodes[i];
    vn__strbuf_printf(sb, " name=%s", n->name);
    int def = i > 0 ? i - 1 : VN__MODEL_INPUT;
    if (n->nin != 1 || n->inputs[0] != def) {
        vn__strbuf_printf(sb, " inputs=");
        for (int k = 0; k < n->nin; k++) {
            int src = n->inputs[k];
            vn__strbuf_printf(sb, "%s%s", k ? "," : "",
                              src == VN__MODEL_INPUT ? "input" : m->nodes[src].name);
        }
    }
    if (n->layer->ops->attrs)
        n->layer->ops->attrs(n->layer, sb);
    if (!n->trainable)
        vn__strbuf_printf(sb, " trainable=0");
    if (n->lr_mult != 1.0f)
        vn__strbuf_float(sb, "lr_mult", n->lr_mult);
}

VN_API vn_status vn_model_node_attrs(const vn_model *m, int i, char **text)
{
    if (!node_at(m, i) || !text)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_node_attrs: no node %d or text is NULL", i);
    vn__strbuf sb = {0};
    vn__model_node_words(m, i, &sb);
    char *t = NULL;
    VN_TRY(vn__strbuf_take(&sb, &t));
    memmove(t, t + 1, strlen(t)); /* drop the leading blank */
    *text = t;
    return VN_OK;
}

static vn_status node_by_name(vn_model *m, const char *fn, const char *node, vn__node **out)
{
    if (!m || !node)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s is NULL", fn, m ? "node" : "model");
    int i = find_node(m, node, strlen(node));
    if (i < 0)
        return vn__error(VN_ERR_INVALID_ARG, "%s: no node '%s'", fn, node);
    *out = &m->nodes[i];
    return VN_OK;
}

VN_API vn_status vn_model_set_trainable(vn_model *m, const char *node, int trainable)
{
    vn__node *n;
    VN_TRY(node_by_name(m, "vn_model_set_trainable", node, &n));
    n->trainable = trainable != 0;
    m->backward_ready = false; /* batch-norm's forward depends on it */
    return VN_OK;
}

VN_API vn_status vn_model_set_lr_mult(vn_model *m, const char *node, float mult)
{
    vn__node *n;
    VN_TRY(node_by_name(m, "vn_model_set_lr_mult", node, &n));
    if (!(mult >= 0.0f) || mult > 1e6f)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_lr_mult: %g is not in [0, 1e6]",
                         (double)mult);
    n->lr_mult = mult;
    return VN_OK;
}

VN_API vn_status vn_model_keep_output(vn_model *m, const char *node, int keep)
{
    vn__node *n;
    VN_TRY(node_by_name(m, "vn_model_keep_output", node, &n));
    if (n->keep != (keep != 0)) {
        n->keep = keep != 0;
        vn__model_drop_plan(m);
    }
    return VN_OK;
}

/* ---- parameters --------------------------------------------------------------- */

VN_API int vn_model_param_count(const vn_model *m)
{
    return m ? m->nparams : 0;
}

VN_API vn_status vn_model_param(vn_model *m, int i, const char **name, vn_tensor **value,
                                vn_tensor **grad, unsigned *flags)
{
    if (!m || i < 0 || i >= m->nparams)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_param: no parameter %d (the model has %d)",
                         i, m ? m->nparams : 0);
    const vn__model_param *mp = &m->params[i];
    const vn__node *n = &m->nodes[mp->node];
    const vn__param *p = &n->layer->params[mp->index];
    if (name)
        *name = mp->name;
    if (value)
        *value = p->value;
    if (grad)
        *grad = p->grad;
    if (flags)
        *flags = p->grad ? (n->trainable ? VN_PARAM_TRAINABLE : 0u) : VN_PARAM_BUFFER;
    return VN_OK;
}

VN_API float vn_model_param_lr_mult(const vn_model *m, int i)
{
    if (!m || i < 0 || i >= m->nparams)
        return 0.0f;
    return m->nodes[m->params[i].node].lr_mult;
}

VN_API int vn_model_param_find(const vn_model *m, const char *name)
{
    if (!m || !name)
        return -1;
    for (int i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return i;
    return -1;
}

VN_API void vn_model_zero_grad(vn_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nnodes; i++) {
        vn__layer *l = m->nodes[i].layer;
        for (int k = 0; k < l->nparams; k++)
            if (l->params[k].grad)
                vn_tensor_zero(l->params[k].grad);
    }
}
