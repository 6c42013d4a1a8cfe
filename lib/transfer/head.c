/*
 * head.c - head surgery and embeddings: vn_model_truncate,
 * vn_model_replace_head, vn_model_replace_head_spec and vn_model_embed.
 *
 * Fine-tuning a trained network for a new task keeps its backbone and
 * swaps the classifier at the end. The model's nodes are kept in a
 * topological order (a node's inputs come first), so "the head" is a tail
 * of that order: everything from one node on.
 *
 * Replacing is done in two passes so that a failure leaves the model as it
 * was. The first pass builds a scratch model from the spec text of the
 * nodes that stay (vn_model_to_spec prints every attribute, so it builds
 * the same graph) and appends the new nodes to it: every error a new node
 * can raise (an unknown type or key, a duplicate name, a shape that does
 * not fit) is raised there. Only then are the old nodes removed from the
 * model (lib/nn/model_edit.c) and the new ones appended for real, which
 * repeats what already succeeded. New nodes draw their parameters from the
 * model's seed as any added node does, so the result does not depend on
 * the scratch model.
 *
 * vn_model_replace_head keeps the nodes after the replaced dense node (a
 * softmax, a log_softmax): they are appended again after the new dense
 * node with their attributes and flags, and their parameters, if any, are
 * copied back, which needs them to keep their shapes.
 *
 * Class names describe the outputs; when the output size changes they are
 * cleared (vn_model_save refuses names that do not fit the outputs).
 */
#include "core/vn_internal.h"
#include "nn/model_edit.h"
#include <visionnet/transfer.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_LEN 4096

static vn_status find(const vn_model *m, const char *fn, const char *node, int *out)
{
    if (!m || !node)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s is NULL", fn, m ? "node" : "model");
    *out = vn_model_node_find(m, node);
    if (*out < 0)
        return vn__error(VN_ERR_INVALID_ARG, "%s: no node '%s'", fn, node);
    return VN_OK;
}

/* Clear class names that no longer fit the output. */
static void fit_class_names(vn_model *m)
{
    int64_t shape[VN_MAX_DIMS];
    int ndim = 0;
    int64_t count = 1;
    if (vn_model_output_shape(m, shape, &ndim) == VN_OK)
        for (int d = 0; d < ndim; d++)
            count *= shape[d];
    if (vn_model_class_count(m) > 0 && vn_model_class_count(m) != count)
        vn_model_set_class_names(m, 0, NULL);
}

/* Append the nodes of fragment (spec lines without the input line). */
static vn_status add_lines(vn_model *m, const char *fragment)
{
    char line[LINE_MAX_LEN];
    int lineno = 0;
    for (const char *p = fragment; *p;) {
        lineno++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "head line %d", lineno);
        if (len >= sizeof line)
            return vn__error_prefix(
                vn__error(VN_ERR_INVALID_ARG, "longer than %d characters", LINE_MAX_LEN - 1),
                prefix);
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl ? nl + 1 : p + len;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *type = line;
        while (isspace((unsigned char)*type))
            type++;
        if (!*type)
            continue;
        char *rest = type;
        while (*rest && !isspace((unsigned char)*rest))
            rest++;
        if (*rest)
            *rest++ = '\0';
        vn_status s = strcmp(type, "input") == 0
                          ? vn__error(VN_ERR_INVALID_ARG,
                                      "a head fragment has no 'input' line, only nodes")
                          : vn_model_add(m, type, rest);
        if (s != VN_OK)
            return vn__error_prefix(s, prefix);
    }
    return VN_OK;
}

/* A scratch model with m's first `keep` nodes (fresh weights). */
static vn_status scratch_prefix(const vn_model *m, int keep, vn_model **out)
{
    char *spec = NULL;
    VN_TRY(vn_model_to_spec(m, &spec));
    char *p = spec; /* the input line, then one line per node */
    for (int i = 0; i <= keep && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (p)
        *p = '\0';
    vn_status s = vn_model_from_spec(spec, out);
    vn__free(spec);
    return s;
}

static bool same_shape(const vn_tensor *a, const vn_tensor *b)
{
    if (vn_tensor_ndim(a) != vn_tensor_ndim(b))
        return false;
    for (int d = 0; d < vn_tensor_ndim(a); d++)
        if (vn_tensor_dim(a, d) != vn_tensor_dim(b, d))
            return false;
    return true;
}

/* What replace_tail carries over from the old nodes after the head. */
typedef struct carried {
    int nparams;
    char **names;           /* owned */
    vn_tensor **values;     /* owned copies */
    int nkeep;
    char **keep;            /* nodes marked with vn_model_keep_output */
} carried;

static void carried_free(carried *c)
{
    for (int i = 0; i < c->nparams; i++) {
        vn__free(c->names[i]);
        vn_tensor_destroy(c->values[i]);
    }
    for (int i = 0; i < c->nkeep; i++)
        vn__free(c->keep[i]);
    vn__free(c->names);
    vn__free(c->values);
    vn__free(c->keep);
}

/* Copy the parameters and keep flags of m's nodes after `head`, after
 * checking that the scratch model gives those parameters the same shapes. */
static vn_status carry(vn_model *m, const char *fn, int head, vn_model *scratch, carried *c)
{
    int n = m->nparams, nn = m->nnodes;
    c->names = vn__calloc((size_t)(n ? n : 1), sizeof *c->names);
    c->values = vn__calloc((size_t)(n ? n : 1), sizeof *c->values);
    c->keep = vn__calloc((size_t)(nn ? nn : 1), sizeof *c->keep);
    if (!c->names || !c->values || !c->keep)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", fn);
    for (int k = head + 1; k < nn; k++) {
        const vn__node *nd = &m->nodes[k];
        if (nd->keep && !(c->keep[c->nkeep++] = vn__strdup(nd->name)))
            return vn__error(VN_ERR_NOMEM, "%s: out of memory", fn);
        for (int p = nd->first_param; p < nd->first_param + nd->layer->nparams; p++) {
            const char *name = m->params[p].name;
            vn_tensor *value, *now = NULL;
            VN_TRY(vn_model_param(m, p, NULL, &value, NULL, NULL));
            int j = vn_model_param_find(scratch, name);
            if (j >= 0)
                VN_TRY(vn_model_param(scratch, j, NULL, &now, NULL, NULL));
            if (!now || !same_shape(value, now))
                return vn__error(VN_ERR_SHAPE,
                                 "%s: node '%s' after '%s' would change the shape of its "
                                 "parameter '%s'; replace it too (vn_model_replace_head_spec)",
                                 fn, nd->name, m->nodes[head].name, name);
            if (!(c->names[c->nparams] = vn__strdup(name)))
                return vn__error(VN_ERR_NOMEM, "%s: out of memory", fn);
            c->nparams++;
            VN_TRY(vn_tensor_copy(value, &c->values[c->nparams - 1]));
        }
    }
    return VN_OK;
}

static void restore(vn_model *m, const carried *c)
{
    for (int i = 0; i < c->nparams; i++) {
        vn_tensor *v = NULL;
        if (vn_model_param(m, vn_model_param_find(m, c->names[i]), NULL, &v, NULL, NULL) == VN_OK)
            memcpy(vn_tensor_data(v), vn_tensor_data_const(c->values[i]),
                   vn_tensor_nbytes(c->values[i]));
    }
    for (int i = 0; i < c->nkeep; i++)
        vn_model_keep_output(m, c->keep[i], 1);
}

/* Remove node `head` and everything after it and append `fragment`; with
 * carry_after the fragment re-creates the old nodes after the head, whose
 * parameters and keep flags are carried over. */
static vn_status replace_tail(vn_model *m, const char *fn, int head, const char *fragment,
                              bool carry_after)
{
    vn_model *scratch = NULL;
    carried c = {0};
    vn_status s = scratch_prefix(m, head, &scratch);
    if (s == VN_OK)
        s = add_lines(scratch, fragment);
    if (s == VN_OK && carry_after)
        s = carry(m, fn, head, scratch, &c);
    vn_model_destroy(scratch);
    bool *keep = NULL;
    if (s == VN_OK && !(keep = vn__calloc((size_t)m->nnodes, sizeof *keep)))
        s = vn__error(VN_ERR_NOMEM, "%s: out of memory", fn);
    if (s == VN_OK) {
        for (int i = 0; i < head; i++)
            keep[i] = true;
        s = vn__model_keep_nodes(m, keep);
    }
    /* the scratch model took these very lines: only memory can fail now */
    if (s == VN_OK)
        s = add_lines(m, fragment);
    if (s == VN_OK) {
        restore(m, &c);
        fit_class_names(m);
    }
    vn__free(keep);
    carried_free(&c);
    return s;
}

VN_API vn_status vn_model_replace_head_spec(vn_model *m, const char *node, const char *fragment)
{
    int head = -1;
    VN_TRY(find(m, "vn_model_replace_head_spec", node, &head));
    if (!fragment)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_replace_head_spec: fragment is NULL");
    return replace_tail(m, "vn_model_replace_head_spec", head, fragment, false);
}

/* Append node i's attribute words to sb, with out=n_classes when i is the
 * head and without its trainable / lr_mult flags (a new head trains). */
static vn_status head_words(const vn_model *m, int i, bool is_head, int n_classes, vn__strbuf *sb)
{
    char *attrs = NULL;
    VN_TRY(vn_model_node_attrs(m, i, &attrs));
    vn__strbuf_printf(sb, "%s", vn_model_node_type(m, i));
    for (char *w = attrs, *end; *w; w = *end ? end + 1 : end) {
        end = strchr(w, ' ');
        if (!end)
            end = w + strlen(w);
        if (end == w)
            continue;
        char save = *end;
        *end = '\0';
        if (is_head && strncmp(w, "out=", 4) == 0)
            vn__strbuf_printf(sb, " out=%d", n_classes);
        else if (!is_head || (strncmp(w, "trainable=", 10) != 0 && strncmp(w, "lr_mult=", 8) != 0))
            vn__strbuf_printf(sb, " %s", w);
        *end = save;
    }
    vn__strbuf_printf(sb, "\n");
    vn__free(attrs);
    return VN_OK;
}

VN_API vn_status vn_model_replace_head(vn_model *m, const char *node, int n_classes)
{
    const char *fn = "vn_model_replace_head";
    int head = -1;
    VN_TRY(find(m, fn, node, &head));
    if (strcmp(vn_model_node_type(m, head), "dense") != 0)
        return vn__error(VN_ERR_INVALID_ARG,
                         "%s: node '%s' is a %s, not a dense node (use vn_model_replace_head_spec)",
                         fn, node, vn_model_node_type(m, head));
    if (n_classes < 1)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %d classes for '%s', expected >= 1", fn,
                         n_classes, node);
    vn__strbuf sb = {0};
    vn_status s = VN_OK;
    for (int i = head; i < m->nnodes && s == VN_OK; i++)
        s = head_words(m, i, i == head, n_classes, &sb);
    char *fragment = NULL;
    vn_status t = vn__strbuf_take(&sb, &fragment);
    if (s == VN_OK)
        s = t;
    if (s == VN_OK)
        s = replace_tail(m, fn, head, fragment, true);
    vn__free(fragment);
    return s;
}

VN_API vn_status vn_model_truncate(vn_model *m, const char *node)
{
    int last = -1;
    VN_TRY(find(m, "vn_model_truncate", node, &last));
    bool *keep = vn__calloc((size_t)m->nnodes, sizeof *keep);
    if (!keep)
        return vn__error(VN_ERR_NOMEM, "vn_model_truncate: out of memory");
    keep[last] = true;
    for (int i = last; i >= 0; i--)
        for (int k = 0; keep[i] && k < m->nodes[i].nin; k++)
            if (m->nodes[i].inputs[k] >= 0)
                keep[m->nodes[i].inputs[k]] = true;
    vn_status s = vn__model_keep_nodes(m, keep);
    vn__free(keep);
    if (s == VN_OK)
        fit_class_names(m);
    return s;
}

VN_API vn_status vn_model_embed(vn_model *m, const vn_tensor *input, const char *node,
                                vn_tensor **out)
{
    if (out)
        *out = NULL;
    if (!m || !input || !node || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_embed: NULL argument");
    if (strcmp(node, "input") == 0)
        return vn_tensor_copy(input, out);
    int target = -1;
    VN_TRY(find(m, "vn_model_embed", node, &target));
    return vn__model_forward_to(m, input, target, out);
}
