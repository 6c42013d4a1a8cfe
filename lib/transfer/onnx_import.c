/*
 * onnx_import.c - ONNX import (docs/onnx.md): a ModelProto decoded with
 * protobuf-c (C generated at build time from the system's onnx.proto) is
 * turned into an ordinary vn_model through vn_model_add words and
 * parameters copied in by name.
 *
 * The graph is pruned to what the single output depends on and walked in
 * topological order. Each ONNX value is either a constant (initializers,
 * bound inputs, Constant nodes and everything folded from constants) or a
 * runtime value produced by a model node. Nodes whose inputs are all
 * constants are folded when the operator is simple; the others map onto
 * layers, their constant inputs becoming parameters (Conv W / B, ...) or
 * `constant` nodes.
 *
 * Batch rule: in VN_ONNX_BATCH_FIRST mode a runtime value's ONNX axis 0 is
 * the batch and axis k is model dim k; in VN_ONNX_BATCH_NONE mode the
 * whole ONNX tensor is one sample and axis k is model dim k + 1.
 */
#include "core/vn_internal.h"
#include "transfer/onnx_internal.h"
#include <visionnet/transfer.h>

#if !VN_HAVE_ONNX

VN_API vn_status vn_model_import_onnx_mem(const void *data, size_t n, const vn_onnx_options *opts,
                                          vn_model **out)
{
    (void)data;
    (void)n;
    (void)opts;
    if (out)
        *out = NULL;
    return vn__error(VN_ERR_UNSUPPORTED, "ONNX import: built without ONNX support");
}

VN_API vn_status vn_model_import_onnx(const char *path, const vn_onnx_options *opts, vn_model **out)
{
    (void)path;
    return vn_model_import_onnx_mem(NULL, 0, opts, out);
}

vn_status vn__onnx_tensor_decode(const void *data, size_t n, vn_tensor **out, int *onnx_dtype,
                                 char **name)
{
    (void)data;
    (void)n;
    (void)onnx_dtype;
    if (out)
        *out = NULL;
    if (name)
        *name = NULL;
    return vn__error(VN_ERR_UNSUPPORTED, "ONNX import: built without ONNX support");
}

#else

#include "transfer/onnx_graph.h"

/* ---- errors ---------------------------------------------------------------- */

vn_status vn__onnx_node_err(imp *I, vn_status st, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *nm = I->nd && I->nd->name && I->nd->name[0] ? I->nd->name : I->base;
    return vn__error(st, "ONNX node '%s' (%s): %s", nm,
                     I->nd && I->nd->op_type ? I->nd->op_type : "?", msg);
}

/* ---- values ------------------------------------------------------------------------ */

static val *find_val(imp *I, const char *name)
{
    for (int k = I->nvals - 1; k >= 0; k--)
        if (strcmp(I->vals[k].name, name) == 0)
            return &I->vals[k];
    return NULL;
}

/* A new value (or the existing one of that name, cleared). */
static vn_status new_val(imp *I, const char *name, val **out)
{
    val *v = find_val(I, name);
    if (v) {
        vn__onnx_cval_free(&v->c);
        v->kind = V_NONE;
        *out = v;
        return VN_OK;
    }
    if (I->nvals == I->cap) {
        int nc = I->cap ? 2 * I->cap : 64;
        val *nv = vn__realloc(I->vals, (size_t)nc * sizeof *nv);
        if (!nv)
            return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
        I->vals = nv;
        I->cap = nc;
    }
    v = &I->vals[I->nvals];
    memset(v, 0, sizeof *v);
    v->name = vn__strdup(name);
    if (!v->name)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    I->nvals++;
    *out = v;
    return VN_OK;
}

const char *vn__onnx_node_name_of(imp *I, int node)
{
    return node < 0 ? "input" : vn_model_node_name(I->m, node);
}

/* Per-sample shape of a runtime value. */
void vn__onnx_run_ps(imp *I, const val *v, int64_t *ps, int *nd)
{
    if (v->node < 0)
        vn_model_input_shape(I->m, ps, nd);
    else
        vn_model_node_shape(I->m, v->node, ps, nd);
}

/* ONNX shape of a runtime value (the batch entry BATCH_SYM in batch-first mode). */
int vn__onnx_run_shape(imp *I, const val *v, int64_t *s)
{
    int64_t ps[VN_MAX_DIMS];
    int nd = 0;
    vn__onnx_run_ps(I, v, ps, &nd);
    if (I->off == 0) {
        s[0] = BATCH_SYM;
        for (int d = 0; d < nd; d++)
            s[d + 1] = ps[d];
        return nd + 1;
    }
    for (int d = 0; d < nd; d++)
        s[d] = ps[d];
    return nd;
}

/* ---- attributes ----------------------------------------------------------------- */

const Onnx__AttributeProto *vn__onnx_attr(const Onnx__NodeProto *nd, const char *name)
{
    for (size_t k = 0; k < nd->n_attribute; k++)
        if (nd->attribute[k]->name && strcmp(nd->attribute[k]->name, name) == 0)
            return nd->attribute[k];
    return NULL;
}

int64_t vn__onnx_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = vn__onnx_attr(nd, name);
    return a && a->has_i ? a->i : def;
}

float vn__onnx_attr_f(const Onnx__NodeProto *nd, const char *name, float def)
{
    const Onnx__AttributeProto *a = vn__onnx_attr(nd, name);
    return a && a->has_f ? a->f : def;
}

/* String attribute into buf ("" when absent and def NULL). */
const char *vn__onnx_attr_s(const Onnx__NodeProto *nd, const char *name, const char *def, char *buf,
                            size_t n)
{
    const Onnx__AttributeProto *a = vn__onnx_attr(nd, name);
    if (!a || !a->has_s)
        return def;
    size_t len = a->s.len < n - 1 ? a->s.len : n - 1;
    memcpy(buf, a->s.data, len);
    buf[len] = 0;
    for (size_t k = 0; k < len; k++)
        if (buf[k] < 32 || buf[k] > 126)
            buf[k] = '?';
    return buf;
}

/* Integer list attribute: count (or -1 when absent). */
int vn__onnx_attr_ints(const Onnx__NodeProto *nd, const char *name, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = vn__onnx_attr(nd, name);
    if (!a)
        return -1;
    int n = a->n_ints > (size_t)max ? max + 1 : (int)a->n_ints;
    for (int k = 0; k < n && k < max; k++)
        out[k] = a->ints[k];
    return n;
}

/* Refuse any attribute not in the NULL-terminated list. */
vn_status vn__onnx_check_attrs(imp *I, const char *const *known)
{
    for (size_t k = 0; k < I->nd->n_attribute; k++) {
        const char *nm = I->nd->attribute[k]->name ? I->nd->attribute[k]->name : "";
        /* consumed_inputs (opset < 6) is an in-place hint */
        bool ok = strcmp(nm, "consumed_inputs") == 0;
        const char *op = I->nd->op_type;
        if (I->opset < 7 && strcmp(nm, "is_test") == 0 &&
            (!strcmp(op, "BatchNormalization") || !strcmp(op, "Dropout"))) {
            if (vn__onnx_attr_i(I->nd, "is_test", 0) == 0)
                return UNSUP("attribute is_test=0 (training mode) is not supported");
            ok = true;
        }
        if (I->opset < 7 && strcmp(nm, "broadcast") == 0)
            ok = true; /* legacy broadcasting: see legacy_broadcast() */
        if (I->opset < 7 && strcmp(nm, "axis") == 0 &&
            (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div")))
            ok = true;
        for (int j = 0; known && known[j]; j++)
            if (strcmp(known[j], nm) == 0)
                ok = true;
        if (!ok)
            return UNSUP("attribute '%s' is not supported", nm);
        if (I->nd->attribute[k]->ref_attr_name && I->nd->attribute[k]->ref_attr_name[0])
            return UNSUP("attribute '%s' refers to a function attribute", nm);
    }
    return VN_OK;
}

/* ---- inputs of the current node ------------------------------------------------------- */

int vn__onnx_nin(imp *I)
{
    return (int)I->nd->n_input;
}

/* Input k (NULL when absent or named ""). */
val *vn__onnx_in_val(imp *I, int k)
{
    if (k >= (int)I->nd->n_input || !I->nd->input[k] || !I->nd->input[k][0])
        return NULL;
    return find_val(I, I->nd->input[k]);
}

vn_status vn__onnx_need_in(imp *I, int k, val **out)
{
    *out = vn__onnx_in_val(I, k);
    if (!*out)
        return BADF("input %d is missing", k);
    return VN_OK;
}

vn_status vn__onnx_need_const(imp *I, int k, const char *what, cval **out)
{
    val *v = vn__onnx_in_val(I, k);
    if (!v)
        return BADF("input %d (%s) is missing", k, what);
    if (v->kind != V_CONST)
        return UNSUP("input '%s' (%s) must be a constant", v->name, what);
    *out = &v->c;
    return VN_OK;
}

vn_status vn__onnx_need_run(imp *I, int k, val **out)
{
    VN_TRY(vn__onnx_need_in(I, k, out));
    if ((*out)->kind != V_RUN)
        return UNSUP("input '%s' must be a runtime tensor here", (*out)->name);
    return VN_OK;
}

/* ---- outputs --------------------------------------------------------------------- */

vn_status vn__onnx_out_const(imp *I, int k, cval *c)
{
    if (k >= (int)I->nd->n_output || !I->nd->output[k][0]) {
        vn__onnx_cval_free(c);
        return VN_OK;
    }
    val *v;
    vn_status s = new_val(I, I->nd->output[k], &v);
    if (s != VN_OK) {
        vn__onnx_cval_free(c);
        return s;
    }
    v->kind = V_CONST;
    v->c = *c;
    memset(c, 0, sizeof *c);
    return VN_OK;
}

vn_status vn__onnx_out_run(imp *I, int k, int node, int rank)
{
    if (k >= (int)I->nd->n_output || !I->nd->output[k][0])
        return VN_OK;
    val *v;
    VN_TRY(new_val(I, I->nd->output[k], &v));
    v->kind = V_RUN;
    v->node = node;
    v->rank = rank;
    return VN_OK;
}

/* Only output 0 may be used. */
vn_status vn__onnx_one_output(imp *I)
{
    for (size_t k = 1; k < I->nd->n_output; k++)
        if (I->nd->output[k][0])
            return UNSUP("output %zu ('%s') is not supported", k, I->nd->output[k]);
    return VN_OK;
}

/* ---- names ------------------------------------------------------------------------ */

static bool name_taken(imp *I, const char *nm)
{
    return strcmp(nm, "input") == 0 || vn_model_node_find(I->m, nm) >= 0;
}

static void sanitize(const char *src, char *dst)
{
    size_t j = 0;
    for (size_t k = 0; src[k] && j < MAX_NODE_NAME - 8; k++) {
        unsigned char ch = (unsigned char)src[k];
        char o = (char)((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_'
                            ? ch
                            : '_');
        if (j == 0 && (o == '_' || o == '.'))
            continue;
        dst[j++] = o;
    }
    while (j > 0 && (dst[j - 1] == '_' || dst[j - 1] == '.'))
        j--;
    dst[j] = 0;
}

static void unique_name(imp *I, const char *want, char *out)
{
    char b[MAX_NODE_NAME + 1];
    snprintf(b, sizeof b, "%s", want[0] ? want : "node");
    if (!name_taken(I, b)) {
        strcpy(out, b);
        return;
    }
    for (int k = 2;; k++) {
        snprintf(out, MAX_NODE_NAME + 1, "%.52s_%d", b, k);
        if (!name_taken(I, out))
            return;
    }
}

/* ---- emitting model nodes ---------------------------------------------------------------- */

/* Append a node of `type` fed by `inputs` (comma list of model node names)
 * with the attribute words fmt; its index into *node. The first node of an
 * ONNX node takes its name, later ones "<name>_<suffix>". */
vn_status vn__onnx_emit(imp *I, int *node, const char *type, const char *suffix, const char *inputs,
                        const char *fmt, ...) VN_PRINTF(6, 7);
vn_status vn__onnx_emit(imp *I, int *node, const char *type, const char *suffix, const char *inputs,
                        const char *fmt, ...)
{
    char want[MAX_NODE_NAME + 1], nm[MAX_NODE_NAME + 1], words[1024];
    if (suffix)
        snprintf(want, sizeof want, "%.48s_%s", I->base, suffix);
    else
        snprintf(want, sizeof want, "%s", I->base);
    unique_name(I, want, nm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(words, sizeof words, fmt, ap);
    va_end(ap);
    size_t need = strlen(nm) + strlen(inputs) + strlen(words) + 32;
    char *text = vn__malloc(need);
    if (!text)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    snprintf(text, need, "name=%s inputs=%s %s", nm, inputs, words);
    vn_status s = vn_model_add(I->m, type, text);
    vn__free(text);
    if (s != VN_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", vn_last_error());
        if (s == VN_ERR_NOMEM || (s == VN_ERR_FORMAT && strstr(msg, "far more bytes")))
            return vn__onnx_node_err(I, s, "%s", msg);
        return UNSUP("cannot be mapped onto layer '%s': %s", type, msg);
    }
    *node = vn_model_node_count(I->m) - 1;
    return VN_OK;
}

/* Copy n floats into parameter <node>.<suffix>. */
vn_status vn__onnx_set_param(imp *I, int node, const char *suffix, const float *data, int64_t n)
{
    char pn[MAX_NODE_NAME + 32];
    snprintf(pn, sizeof pn, "%s.%s", vn_model_node_name(I->m, node), suffix);
    int idx = vn_model_param_find(I->m, pn);
    vn_tensor *t = NULL;
    if (idx < 0 || vn_model_param(I->m, idx, NULL, &t, NULL, NULL) != VN_OK || !t)
        return vn__onnx_node_err(I, VN_ERR_INTERNAL, "no parameter '%s'", pn);
    if ((int64_t)vn_tensor_numel(t) != n)
        return vn__onnx_node_err(I, VN_ERR_INTERNAL, "parameter '%s' has %zu elements, not %lld",
                                 pn, vn_tensor_numel(t), (long long)n);
    memcpy(vn_tensor_data(t), data, (size_t)n * sizeof(float));
    return VN_OK;
}

static vn_status float_data(imp *I, const cval *c, float **out)
{
    *out = vn__malloc((size_t)(c->n ? c->n : 1) * sizeof(float));
    if (!*out)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    for (int64_t k = 0; k < c->n; k++) {
        if (c->is_int && c->i[k] == BATCH_SYM) {
            vn__free(*out);
            *out = NULL;
            return UNSUP("a constant that depends on the batch size is not supported");
        }
        (*out)[k] = (float)vn__onnx_cval_get(c, k);
    }
    return VN_OK;
}

void vn__onnx_fmt_list(char *buf, size_t n, const int64_t *v, int k)
{
    size_t used = 0;
    buf[0] = 0;
    for (int j = 0; j < k && used < n; j++)
        used += (size_t)snprintf(buf + used, n - used, j ? ",%lld" : "%lld", (long long)v[j]);
}

/* A `constant` node holding c, shaped to broadcast against a runtime value
 * of ONNX rank `rank`; its index into *node. */
vn_status vn__onnx_const_node(imp *I, const cval *c, int rank, int *node)
{
    int64_t ps[VN_MAX_DIMS];
    int nd = 0;
    if (I->off == 0) {
        if (c->ndim > rank)
            return UNSUP("constant of rank %d against a tensor of rank %d spans the batch axis",
                         c->ndim, rank);
        if (c->ndim == rank) {
            if (c->shape[0] != 1)
                return UNSUP("constant of shape starting %lld spans the batch axis (batch-first)",
                             (long long)c->shape[0]);
            for (int d = 1; d < c->ndim; d++)
                ps[nd++] = c->shape[d];
        } else {
            for (int d = 0; d < c->ndim; d++)
                ps[nd++] = c->shape[d];
        }
    } else {
        for (int d = 0; d < c->ndim; d++)
            ps[nd++] = c->shape[d];
    }
    if (nd == 0)
        ps[nd++] = 1;
    for (int d = 0; d < nd; d++)
        if (ps[d] < 1)
            return UNSUP("empty constant");
    char sh[256];
    vn__onnx_fmt_list(sh, sizeof sh, ps, nd);
    VN_TRY(vn__onnx_emit(I, node, "constant", "const", "input", "shape=%s", sh));
    float *f;
    VN_TRY(float_data(I, c, &f));
    vn_status s = vn__onnx_set_param(I, *node, "value", f, c->n);
    vn__free(f);
    return s;
}

/* Model node name of input k, making a constant node for a constant input
 * (shaped against ONNX rank `rank`). */
vn_status vn__onnx_operand(imp *I, int k, int rank, char *name, size_t n, int *orank)
{
    val *v;
    VN_TRY(vn__onnx_need_in(I, k, &v));
    if (v->kind == V_RUN) {
        snprintf(name, n, "%s", vn__onnx_node_name_of(I, v->node));
        *orank = v->rank;
        return VN_OK;
    }
    int node;
    VN_TRY(vn__onnx_const_node(I, &v->c, rank, &node));
    snprintf(name, n, "%s", vn__onnx_node_name_of(I, node));
    *orank = v->c.ndim;
    return VN_OK;
}

/* Normalise an axis of a rank-r tensor. */
vn_status vn__onnx_norm_axis(imp *I, int64_t axis, int r, int *out)
{
    *out = 0;
    if (axis < -r || axis >= (r ? r : 1))
        return BADF("axis %lld is out of range for rank %d", (long long)axis, r);
    *out = (int)(axis < 0 ? axis + r : axis);
    return VN_OK;
}

/* The model dim of ONNX axis a of a runtime value; refuses the batch. */
vn_status vn__onnx_model_dim(imp *I, int a, int *dim)
{
    *dim = 0;
    if (I->off == 0 && a == 0)
        return UNSUP("an operation on axis 0, the batch axis (batch-first), is not supported");
    *dim = a + I->off;
    return VN_OK;
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static vn_status smap_init(smap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 16)
        m->cap *= 2;
    m->keys = vn__calloc(m->cap, sizeof *m->keys);
    m->vals = vn__calloc(m->cap, sizeof *m->vals);
    if (!m->keys || !m->vals)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    return VN_OK;
}

static void smap_free(smap *m)
{
    vn__free(m->keys);
    vn__free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
}

static void smap_put(smap *m, const char *k, int v)
{
    size_t i = (size_t)str_hash(k) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], k) != 0)
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = k;
    m->vals[i] = v;
}

static int smap_get(const smap *m, const char *k)
{
    size_t i = (size_t)str_hash(k) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], k) == 0)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

/* ---- the graph ---------------------------------------------------------------------- */

/* Nodes the output needs, in topological order, into order[0..*n). */
static vn_status plan(imp *I, const char *output, int *order, int *n)
{
    Onnx__GraphProto *g = I->g;
    int nn = (int)g->n_node;
    smap prod;
    VN_TRY(smap_init(&prod, (size_t)nn * 2));
    vn_status s = VN_OK;
    bool *need = vn__calloc((size_t)nn + 1, sizeof *need);
    int *stack = vn__malloc(((size_t)nn + 1) * sizeof *stack);
    int *indeg = vn__calloc((size_t)nn + 1, sizeof *indeg);
    int *start = vn__calloc((size_t)nn + 2, sizeof *start);
    int *adj = NULL;
    if (!need || !stack || !indeg || !start) {
        s = vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
        goto done;
    }
    for (int k = 0; k < nn; k++) {
        Onnx__NodeProto *nd = g->node[k];
        for (size_t o = 0; o < nd->n_output; o++)
            if (nd->output[o][0]) {
                if (smap_get(&prod, nd->output[o]) >= 0) {
                    s = vn__error(VN_ERR_FORMAT, "ONNX graph: value '%s' is produced twice",
                                  nd->output[o]);
                    goto done;
                }
                smap_put(&prod, nd->output[o], k);
            }
    }
    /* mark what the output depends on */
    int sp = 0, p = smap_get(&prod, output);
    if (p >= 0) {
        need[p] = true;
        stack[sp++] = p;
    }
    while (sp > 0) {
        Onnx__NodeProto *nd = g->node[stack[--sp]];
        for (size_t i = 0; i < nd->n_input; i++) {
            if (!nd->input[i][0])
                continue;
            int q = smap_get(&prod, nd->input[i]);
            if (q >= 0 && !need[q]) {
                need[q] = true;
                stack[sp++] = q;
            }
        }
    }
    /* Kahn's algorithm over the needed nodes (edges producer -> consumer) */
    size_t nedges = 0;
    for (int k = 0; k < nn; k++)
        if (need[k])
            for (size_t i = 0; i < g->node[k]->n_input; i++) {
                int q = g->node[k]->input[i][0] ? smap_get(&prod, g->node[k]->input[i]) : -1;
                if (q >= 0) {
                    start[q + 1]++;
                    indeg[k]++;
                    nedges++;
                }
            }
    for (int k = 0; k < nn; k++)
        start[k + 1] += start[k];
    adj = vn__malloc((nedges + 1) * sizeof *adj);
    int *fill = vn__calloc((size_t)nn + 1, sizeof *fill);
    if (!adj || !fill) {
        vn__free(fill);
        s = vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
        goto done;
    }
    for (int k = 0; k < nn; k++)
        if (need[k])
            for (size_t i = 0; i < g->node[k]->n_input; i++) {
                int q = g->node[k]->input[i][0] ? smap_get(&prod, g->node[k]->input[i]) : -1;
                if (q >= 0)
                    adj[start[q] + fill[q]++] = k;
            }
    vn__free(fill);
    int head = 0, tail = 0, nneed = 0;
    for (int k = 0; k < nn; k++)
        if (need[k]) {
            nneed++;
            if (indeg[k] == 0)
                order[tail++] = k;
        }
    while (head < tail) {
        int k = order[head++];
        for (int e = start[k]; e < start[k + 1]; e++)
            if (--indeg[adj[e]] == 0)
                order[tail++] = adj[e];
    }
    if (tail != nneed) {
        s = vn__error(VN_ERR_FORMAT, "ONNX graph: the nodes form a cycle");
        goto done;
    }
    *n = tail;
done:
    smap_free(&prod);
    vn__free(need);
    vn__free(stack);
    vn__free(indeg);
    vn__free(start);
    vn__free(adj);
    return s;
}

static const char *dtype_name(int dt)
{
    static const char *const names[] = {"undefined",  "float",   "uint8",  "int8",   "uint16",
                                        "int16",      "int32",   "int64",  "string", "bool",
                                        "float16",    "double",  "uint32", "uint64", "complex64",
                                        "complex128", "bfloat16"};
    return dt >= 0 && dt < (int)VN_ARRAY_LEN(names) ? names[dt] : "unknown";
}

static bool is_initializer(const imp *I, const char *name)
{
    for (size_t k = 0; k < I->g->n_initializer; k++)
        if (I->g->initializer[k]->name && strcmp(I->g->initializer[k]->name, name) == 0)
            return true;
    return false;
}

static int bound_index(const imp *I, const char *name)
{
    for (int k = 0; k < I->o.nbind; k++)
        if (I->o.bind_names[k] && strcmp(I->o.bind_names[k], name) == 0)
            return k;
    return -1;
}

/* Initializers and bound inputs become constants; the one runtime input
 * creates the model. */
static vn_status setup_inputs(imp *I)
{
    Onnx__GraphProto *g = I->g;
    for (size_t k = 0; k < g->n_initializer; k++) {
        Onnx__TensorProto *t = g->initializer[k];
        if (!t->name || !t->name[0])
            return vn__error(VN_ERR_FORMAT, "ONNX graph: initializer %zu has no name", k);
        char what[96];
        snprintf(what, sizeof what, "ONNX initializer '%.60s'", t->name);
        val *v;
        VN_TRY(new_val(I, t->name, &v));
        VN_TRY(vn__onnx_tensor_to_cval(t, &v->c, I->max_elems, what, NULL));
        v->kind = V_CONST;
    }
    if (g->n_sparse_initializer)
        return vn__error(VN_ERR_UNSUPPORTED, "ONNX graph: sparse initializers are not supported");
    for (int b = 0; b < I->o.nbind; b++) {
        const char *nm = I->o.bind_names[b];
        const vn_tensor *t = I->o.bind_values[b];
        if (!nm || !t)
            return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: bind %d is NULL", b);
        bool found = false;
        for (size_t k = 0; k < g->n_input; k++)
            found = found || (g->input[k]->name && strcmp(g->input[k]->name, nm) == 0);
        if (!found)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_model_import_onnx: bound name '%s' is not a graph input", nm);
        vn_dtype dt = vn_tensor_dtype(t);
        if (dt != VN_F32 && dt != VN_I32)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_model_import_onnx: bound '%s' must be f32 or i32", nm);
        int64_t shape[VN_MAX_DIMS];
        vn_tensor_shape(t, shape);
        val *v;
        VN_TRY(new_val(I, nm, &v));
        VN_TRY(vn__onnx_cval_alloc(&v->c, dt == VN_I32, vn_tensor_ndim(t), shape,
                                   I->max_elems + (uint64_t)vn_tensor_numel(t)));
        v->kind = V_CONST;
        const void *d = vn_tensor_data_const(t);
        for (int64_t k = 0; k < v->c.n; k++) {
            if (dt == VN_I32)
                v->c.i[k] = ((const int32_t *)d)[k];
            else
                v->c.f[k] = ((const float *)d)[k];
        }
    }
    /* the runtime input */
    const Onnx__ValueInfoProto *rin = NULL;
    char names[300] = "";
    int nrun = 0;
    for (size_t k = 0; k < g->n_input; k++) {
        const Onnx__ValueInfoProto *vi = g->input[k];
        if (!vi->name || !vi->name[0])
            return vn__error(VN_ERR_FORMAT, "ONNX graph: input %zu has no name", k);
        if (is_initializer(I, vi->name) || bound_index(I, vi->name) >= 0)
            continue;
        if (nrun++ == 0)
            rin = vi;
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s'%.60s'", nrun > 1 ? ", " : "", vi->name);
    }
    if (nrun != 1)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "ONNX graph: %d runtime inputs (%s); exactly one is supported (bind the "
                         "others to constants)",
                         nrun, names);
    const Onnx__TypeProto *tp = rin->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return vn__error(VN_ERR_UNSUPPORTED, "ONNX graph: input '%s' is not a tensor", rin->name);
    int dt = tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0;
    if (dt != DT_FLOAT)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "ONNX graph: input '%s' has data type %s; only float is supported",
                         rin->name, dtype_name(dt));
    const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
    int r = sh ? (int)sh->n_dim : -1;
    if (r > VN_MAX_DIMS)
        return vn__error(VN_ERR_FORMAT, "ONNX graph: input '%s' has %d dimensions (at most %d)",
                         rin->name, r, VN_MAX_DIMS);
    int first = I->off == 0 ? 1 : 0;
    int nd = r - first;
    if (r >= 0 && nd < 1)
        return vn__error(VN_ERR_UNSUPPORTED, "ONNX graph: input '%s' of rank %d has no %s",
                         rin->name, r,
                         first ? "dimension after the batch (batch-first)" : "dimension");
    if (I->o.input_shape && r >= 0 && I->o.input_ndim != nd)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_import_onnx: input_shape has %d entries, input '%s' has %d "
                         "per-sample dimensions",
                         I->o.input_ndim, rin->name, nd);
    if (r < 0) {
        if (!I->o.input_shape)
            return vn__error(VN_ERR_UNSUPPORTED,
                             "ONNX graph: input '%s' has no shape; pass opts->input_shape",
                             rin->name);
        nd = I->o.input_ndim;
        r = nd + first;
        if (nd < 1 || nd >= VN_MAX_DIMS)
            return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: input_ndim %d", nd);
    }
    int64_t ps[VN_MAX_DIMS];
    I->decl_batch = -1;
    for (int d = 0; d < r; d++) {
        const Onnx__TensorShapeProto__Dimension *dm = sh ? sh->dim[d] : NULL;
        bool fixed = dm && dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (d < first) {
            I->decl_batch = fixed ? dm->dim_value : -1;
            continue;
        }
        int64_t v;
        if (I->o.input_shape) {
            v = I->o.input_shape[d - first];
            if (fixed && dm->dim_value != v)
                return vn__error(VN_ERR_INVALID_ARG,
                                 "vn_model_import_onnx: input_shape[%d] = %lld, the file says %lld",
                                 d - first, (long long)v, (long long)dm->dim_value);
        } else if (fixed) {
            v = dm->dim_value;
        } else {
            return vn__error(
                VN_ERR_UNSUPPORTED,
                "ONNX graph: input '%s' dimension %d is symbolic ('%s'); pass "
                "opts->input_shape",
                rin->name, d,
                dm && dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                        dm->dim_param
                    ? dm->dim_param
                    : "?");
        }
        if (v < 1 || v > (1 << 24))
            return vn__error(VN_ERR_UNSUPPORTED, "ONNX graph: input '%s' dimension %d is %lld",
                             rin->name, d, (long long)v);
        ps[d - first] = v;
    }
    VN_TRY(vn_model_create(ps, nd, &I->m));
    val *v;
    VN_TRY(new_val(I, rin->name, &v));
    v->kind = V_RUN;
    v->node = -1;
    v->rank = r;
    return VN_OK;
}

static vn_status check_opset(imp *I, const Onnx__ModelProto *mp)
{
    I->opset = -1;
    for (size_t k = 0; k < mp->n_opset_import; k++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[k];
        if (!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0)
            I->opset = o->has_version ? o->version : 0;
    }
    if (I->opset < 0)
        return vn__error(VN_ERR_UNSUPPORTED, "ONNX model: no opset for the default domain");
    if (I->opset < 1 || I->opset > 17)
        return vn__error(VN_ERR_UNSUPPORTED,
                         "ONNX model: opset %lld is not supported (1 to 17 are)",
                         (long long)I->opset);
    return VN_OK;
}

/* Opset < 7 Add / Sub / Mul / Div with broadcast=1 and axis=a align B's
 * dimensions with A's starting at a: B gets trailing 1s so that numpy
 * broadcasting does the same (only for a constant B). */
static vn_status legacy_broadcast(imp *I)
{
    const char *op = I->nd->op_type ? I->nd->op_type : "";
    if (I->opset >= 7 ||
        (strcmp(op, "Add") && strcmp(op, "Sub") && strcmp(op, "Mul") && strcmp(op, "Div")))
        return VN_OK;
    const Onnx__AttributeProto *ax = vn__onnx_attr(I->nd, "axis");
    if (vn__onnx_attr_i(I->nd, "broadcast", 0) == 0 || !ax || !ax->has_i)
        return VN_OK;
    val *a, *b;
    VN_TRY(vn__onnx_need_in(I, 0, &a));
    VN_TRY(vn__onnx_need_in(I, 1, &b));
    int ra = a->kind == V_RUN ? a->rank : a->c.ndim, axis;
    VN_TRY(vn__onnx_norm_axis(I, ax->i, ra, &axis));
    if (b->kind != V_CONST)
        return UNSUP("legacy broadcast (axis=%lld) of a runtime B is not supported",
                     (long long)ax->i);
    int nb = b->c.ndim, rn = ra - axis;
    if (nb > rn)
        return BADF("B of rank %d does not fit at axis %d", nb, axis);
    char nm[300];
    snprintf(nm, sizeof nm, "%.200s#legacy_bcast_%d_%d", b->name, axis, ra);
    if (!find_val(I, nm)) {
        cval c;
        VN_TRY(vn__onnx_cval_copy(&b->c, &c, I->max_elems));
        for (int d = nb; d < rn; d++)
            c.shape[d] = 1;
        c.ndim = rn;
        val *v;
        vn_status s = new_val(I, nm, &v);
        if (s != VN_OK) {
            vn__onnx_cval_free(&c);
            return s;
        }
        v->kind = V_CONST;
        v->c = c;
    }
    char *dup = vn__strdup(nm);
    if (!dup)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    Onnx__NodeProto *nd = (Onnx__NodeProto *)I->nd;
    /* the old name may be a key of I->uses: freed with the importer */
    char **ns = vn__realloc(I->stash, (size_t)(I->nstash + 1) * sizeof *ns);
    if (!ns) {
        vn__free(dup);
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    }
    I->stash = ns;
    I->stash[I->nstash++] = nd->input[1]; /* allocated through vn__onnx_pb_alloc (vn__malloc) */
    nd->input[1] = dup;
    return VN_OK;
}

/* PyTorch's scoped node names "/layer1/layer1.0/conv1/Conv" -> the module
 * path "layer1.0.conv1" (so parameters get state-dict names); other names
 * unchanged. */
static void torch_scope(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s", name);
    if (name[0] != '/')
        return;
    const char *last = strrchr(name, '/');
    char path[256] = "";
    const char *p = name + 1;
    while (p < last) {
        const char *e = strchr(p, '/');
        size_t len = (size_t)(e - p);
        char comp[128];
        if (len >= sizeof comp)
            len = sizeof comp - 1;
        memcpy(comp, p, len);
        comp[len] = 0;
        size_t pl = strlen(path);
        if (pl && strncmp(comp, path, pl) == 0 && comp[pl] == '.')
            snprintf(path, sizeof path, "%s", comp);
        else if (pl)
            snprintf(path + pl, sizeof path - pl, ".%s", comp);
        else
            snprintf(path, sizeof path, "%s", comp);
        p = e + 1;
    }
    snprintf(out, n, "%s", path[0] ? path : last + 1);
}

static vn_status map_node(imp *I, const Onnx__NodeProto *nd)
{
    I->nd = nd;
    I->lift = false;
    I->lift_flat = false;
    const char *op = nd->op_type ? nd->op_type : "";
    char tmp[MAX_NODE_NAME + 1], scoped[256];
    torch_scope(nd->name ? nd->name : "", scoped, sizeof scoped);
    sanitize(scoped, tmp);
    if (!tmp[0]) {
        char o[MAX_NODE_NAME + 1];
        sanitize(nd->n_output ? nd->output[0] : "", o);
        snprintf(tmp, sizeof tmp, "%.24s_%.30s", op[0] ? op : "node", o);
        sanitize(tmp, I->base);
    } else {
        memcpy(I->base, tmp, sizeof tmp);
    }
    if (!I->base[0])
        snprintf(I->base, sizeof I->base, "node");
    if (nd->domain && nd->domain[0] && strcmp(nd->domain, "ai.onnx") != 0)
        return UNSUP("operator '%s' of domain '%s' is not supported", op, nd->domain);
    for (size_t k = 0; k < nd->n_input; k++)
        if (nd->input[k][0] && !find_val(I, nd->input[k]))
            return BADF("input '%s' is not defined", nd->input[k]);
    if (nd->n_output < 1)
        return BADF("no output");
    if (I->fused && I->fused[I->cur] >= 0) {
        /* an Add whose bias went into the MatMul before it */
        int node = I->fused[I->cur];
        int64_t ps[VN_MAX_DIMS];
        int nd2 = 0;
        vn_model_node_shape(I->m, node, ps, &nd2);
        return vn__onnx_out_run(I, 0, node, nd2 + (I->off == 0 ? 1 : 0));
    }
    VN_TRY(legacy_broadcast(I));
    bool done;
    VN_TRY(vn__onnx_try_fold(I, op, &done));
    if (done)
        return VN_OK;
    if (nd->n_input < 1)
        return UNSUP("operator '%s' without inputs is not supported", op);
    return vn__onnx_map_runtime(I, op);
}

static vn_status finish_output(imp *I, const char *oname)
{
    val *v = find_val(I, oname);
    if (!v)
        return vn__error(VN_ERR_FORMAT, "ONNX graph: output '%s' is not computed", oname);
    I->nd = NULL;
    sanitize(oname, I->base);
    if (!I->base[0])
        snprintf(I->base, sizeof I->base, "output");
    int node;
    if (v->kind == V_CONST) {
        if (I->off == 0)
            return vn__error(VN_ERR_UNSUPPORTED,
                             "ONNX graph: output '%s' is a constant, it has no batch axis "
                             "(batch-first)",
                             oname);
        VN_TRY(vn__onnx_const_node(I, &v->c, v->c.ndim + (I->off == 0 ? 1 : 0), &node));
        return VN_OK;
    }
    int last = vn_model_node_count(I->m) - 1;
    if (v->node == last && last >= 0)
        return VN_OK;
    /* the output is an earlier node (or the input): an identity node */
    return vn__onnx_emit(I, &node, "dropout", "out", vn__onnx_node_name_of(I, v->node), "p=0");
}

/* How often each value is used by the needed nodes (the graph output counts
 * as a use), and by which node, for the MatMul + Add fusion. */
static vn_status count_uses(imp *I, const int *order, int n, const char *oname)
{
    size_t nin_total = 1;
    for (int k = 0; k < n; k++)
        nin_total += I->g->node[order[k]]->n_input;
    VN_TRY(smap_init(&I->uses, nin_total));
    VN_TRY(smap_init(&I->consumer, nin_total));
    I->fused = vn__malloc((I->g->n_node + 1) * sizeof *I->fused);
    if (!I->fused)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    for (size_t k = 0; k < I->g->n_node; k++)
        I->fused[k] = -1;
    smap_put(&I->uses, oname, 1);
    for (int k = 0; k < n; k++) {
        const Onnx__NodeProto *nd = I->g->node[order[k]];
        for (size_t i = 0; i < nd->n_input; i++) {
            if (!nd->input[i][0])
                continue;
            int u = smap_get(&I->uses, nd->input[i]);
            smap_put(&I->uses, nd->input[i], u < 0 ? 1 : u + 1);
            smap_put(&I->consumer, nd->input[i], order[k]);
        }
    }
    return VN_OK;
}

/* MatMul output [.., M] used only by an Add with a constant [M] (or [1, .., M])
 * already known: its node index and the constant, else -1. */
int vn__onnx_bias_add(imp *I, int64_t M, int rank, const cval **bias)
{
    const char *y = I->nd->n_output ? I->nd->output[0] : "";
    if (!y[0] || smap_get(&I->uses, y) != 1)
        return -1;
    int c = smap_get(&I->consumer, y);
    if (c < 0)
        return -1;
    const Onnx__NodeProto *add = I->g->node[c];
    if (!add->op_type || strcmp(add->op_type, "Add") != 0 || add->n_input != 2 ||
        add->n_attribute != 0 || (add->domain && add->domain[0] && strcmp(add->domain, "ai.onnx")))
        return -1;
    const char *other = strcmp(add->input[0], y) == 0 ? add->input[1] : add->input[0];
    if (strcmp(add->input[0], y) != 0 && strcmp(add->input[1], y) != 0)
        return -1;
    val *b = find_val(I, other);
    if (!b || b->kind != V_CONST || b->c.is_int || b->c.n != M || b->c.ndim > rank ||
        b->c.ndim < 1 || b->c.shape[b->c.ndim - 1] != M)
        return -1;
    *bias = &b->c;
    return c;
}

static vn_status import_model(imp *I, const Onnx__ModelProto *mp)
{
    VN_TRY(check_opset(I, mp));
    I->g = mp->graph;
    if (!I->g)
        return vn__error(VN_ERR_FORMAT, "ONNX model: no graph");
    if (I->g->n_output != 1) {
        char names[300] = "";
        for (size_t k = 0; k < I->g->n_output && k < 4; k++) {
            size_t u = strlen(names);
            snprintf(names + u, sizeof names - u, "%s'%.60s'", k ? ", " : "",
                     I->g->output[k]->name ? I->g->output[k]->name : "");
        }
        return vn__error(VN_ERR_UNSUPPORTED,
                         "ONNX graph: %zu outputs (%s); exactly one is supported", I->g->n_output,
                         names);
    }
    const char *oname = I->g->output[0]->name;
    if (!oname || !oname[0])
        return vn__error(VN_ERR_FORMAT, "ONNX graph: the output has no name");
    if (I->g->n_node > (1u << 20))
        return vn__error(VN_ERR_FORMAT, "ONNX graph: %zu nodes", I->g->n_node);
    VN_TRY(setup_inputs(I));
    int *order = vn__malloc((I->g->n_node + 1) * sizeof *order);
    if (!order)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    int n = 0;
    vn_status s = plan(I, oname, order, &n);
    if (s == VN_OK)
        s = count_uses(I, order, n, oname);
    for (int k = 0; k < n && s == VN_OK; k++) {
        I->cur = order[k];
        s = map_node(I, I->g->node[order[k]]);
    }
    vn__free(order);
    VN_TRY(s);
    VN_TRY(finish_output(I, oname));
    /* nodes computed only for their shape (x.size(0)) feed nothing now */
    int last = vn_model_node_count(I->m) - 1;
    if (last < 0)
        return vn__error(VN_ERR_INTERNAL, "ONNX import: no node");
    char keep[MAX_NODE_NAME + 1];
    snprintf(keep, sizeof keep, "%s", vn_model_node_name(I->m, last));
    return vn_model_truncate(I->m, keep);
}

/* protobuf-c unpacks nested messages recursively; a file nesting graphs in
 * attributes thousands of levels deep would exhaust the stack. This scan
 * reads the wire format (every length-delimited field that parses as a
 * message counts as one level) and reports the depth, stopping past limit. */
static bool pb_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
    *v = 0;
    for (int sh = 0; sh < 64; sh += 7) {
        if (*i >= n)
            return false;
        uint8_t b = p[(*i)++];
        *v |= (uint64_t)(b & 127) << sh;
        if (!(b & 128))
            return true;
    }
    return false;
}

static int pb_depth(const uint8_t *p, size_t n, int depth, int limit)
{
    int maxd = depth;
    size_t i = 0;
    while (i < n) {
        uint64_t key, v;
        if (!pb_varint(p, n, &i, &key) || (key >> 3) == 0)
            return -1;
        switch (key & 7) {
        case 0:
            if (!pb_varint(p, n, &i, &v))
                return -1;
            break;
        case 1:
            if (n - i < 8)
                return -1;
            i += 8;
            break;
        case 5:
            if (n - i < 4)
                return -1;
            i += 4;
            break;
        case 2: {
            if (!pb_varint(p, n, &i, &v) || v > n - i)
                return -1;
            if (depth < limit) {
                int d = pb_depth(p + i, (size_t)v, depth + 1, limit);
                if (d > maxd)
                    maxd = d;
            } else if (v > 0) {
                return limit + 1;
            }
            i += (size_t)v;
            break;
        }
        default: return -1;
        }
        if (maxd > limit)
            return maxd;
    }
    return maxd;
}

static void imp_free(imp *I)
{
    for (int k = 0; k < I->nstash; k++)
        vn__free(I->stash[k]);
    vn__free(I->stash);
    vn__free(I->fused);
    smap_free(&I->uses);
    smap_free(&I->consumer);
    for (int k = 0; k < I->nvals; k++) {
        vn__free(I->vals[k].name);
        vn__onnx_cval_free(&I->vals[k].c);
    }
    vn__free(I->vals);
}

VN_API vn_status vn_model_import_onnx_mem(const void *data, size_t n, const vn_onnx_options *opts,
                                          vn_model **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: NULL out");
    *out = NULL;
    if (!data && n)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: NULL data");
    imp I;
    memset(&I, 0, sizeof I);
    I.o = (vn_onnx_options)VN_ONNX_OPTIONS_INIT;
    if (opts) {
        if (opts->size < offsetof(vn_onnx_options, input_shape))
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_model_import_onnx: opts->size is %zu (set it to "
                             "sizeof(vn_onnx_options))",
                             opts->size);
        memcpy(&I.o, opts, opts->size < sizeof I.o ? opts->size : sizeof I.o);
        I.o.size = sizeof I.o;
    }
    if (I.o.batch != VN_ONNX_BATCH_FIRST && I.o.batch != VN_ONNX_BATCH_NONE)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: batch %d", I.o.batch);
    if (I.o.nbind < 0 || (I.o.nbind > 0 && (!I.o.bind_names || !I.o.bind_values)))
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: bad bind arrays");
    if (I.o.input_shape && (I.o.input_ndim < 1 || I.o.input_ndim >= VN_MAX_DIMS))
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: input_ndim %d", I.o.input_ndim);
    uint64_t lim = vn__limit(VN_LIMIT_MAX_FILE_BYTES);
    if (lim && (uint64_t)n > lim)
        return vn__error(VN_ERR_LIMIT, "ONNX model: %zu bytes, over the limit of %llu", n,
                         (unsigned long long)lim);
    I.off = I.o.batch == VN_ONNX_BATCH_NONE ? 1 : 0;
    uint64_t budget = (uint64_t)n + (16u << 20);
    I.max_elems = budget / sizeof(float);
    if (pb_depth(data, n, 0, 100) > 100)
        return vn__error(VN_ERR_FORMAT, "ONNX model: messages nested more than 100 levels deep");
    Onnx__ModelProto *mp = onnx__model_proto__unpack(&vn__onnx_pb_alloc, n, data);
    if (!mp)
        return vn__error(VN_ERR_FORMAT, "ONNX model: not a valid ModelProto (%zu bytes)", n);
    vn__param_budget_set(budget);
    vn_status s = import_model(&I, mp);
    vn__param_budget_clear();
    onnx__model_proto__free_unpacked(mp, &vn__onnx_pb_alloc);
    imp_free(&I);
    if (s != VN_OK) {
        vn_model_destroy(I.m);
        return s;
    }
    *out = I.m;
    return VN_OK;
}

VN_API vn_status vn_model_import_onnx(const char *path, const vn_onnx_options *opts, vn_model **out)
{
    if (!out || !path)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_import_onnx: NULL argument");
    *out = NULL;
    uint8_t *bytes = NULL;
    size_t n = 0;
    VN_TRY(vn__read_file(path, &bytes, &n));
    vn_status s = vn_model_import_onnx_mem(bytes, n, opts, out);
    vn__free(bytes);
    if (s != VN_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", vn_last_error());
        const char *base = strrchr(path, '/');
        vn__error(s, "%s: %s", base ? base + 1 : path, msg);
    }
    return s;
}

#endif /* VN_HAVE_ONNX */
