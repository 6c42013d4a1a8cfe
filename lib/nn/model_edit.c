/*
 * model_edit.c - removing nodes from a vn_model and running it up to one
 * node: the pieces of the model the transfer layer (lib/transfer/head.c)
 * needs from inside nn.
 *
 * Removing compacts the node and parameter arrays in place and renumbers
 * the inputs; it allocates only a renumbering table, before it changes
 * anything, so it cannot leave a half-edited model. Parameter names are
 * "node.suffix" and nodes keep their names, so the kept parameters keep
 * their names too.
 *
 * The partial run allocates its own activations instead of using the
 * inference plan (which is per model, for the whole graph): a feature
 * extractor that stops at an early node neither computes nor allocates
 * anything past it.
 */
#include "nn/model_edit.h"

#include <string.h>

vn_status vn__model_keep_nodes(vn_model *m, const bool *keep)
{
    const int n = m->nnodes;
    int *map = vn__malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    if (!map)
        return vn__error(VN_ERR_NOMEM, "removing nodes: out of memory");
    int k = 0;
    for (int i = 0; i < n; i++)
        map[i] = keep[i] ? k++ : -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; keep[i] && j < m->nodes[i].nin; j++) {
            int src = m->nodes[i].inputs[j];
            if (src >= 0 && map[src] < 0) {
                vn__free(map);
                return vn__error(VN_ERR_INTERNAL, "removing nodes: '%s' would lose its input '%s'",
                                 m->nodes[i].name, m->nodes[src].name);
            }
        }
    vn__model_drop_plan(m);
    int nn = 0;
    for (int i = 0; i < n; i++) {
        vn__node *nd = &m->nodes[i];
        if (!keep[i]) {
            vn__model_free_node(nd);
            continue;
        }
        for (int j = 0; j < nd->nin; j++)
            if (nd->inputs[j] >= 0)
                nd->inputs[j] = map[nd->inputs[j]];
        m->nodes[nn++] = *nd;
    }
    int np = 0;
    for (int p = 0; p < m->nparams; p++) {
        vn__model_param mp = m->params[p];
        if (map[mp.node] < 0) {
            vn__free(mp.name);
            continue;
        }
        mp.node = map[mp.node];
        m->params[np++] = mp;
    }
    m->nnodes = nn;
    m->nparams = np;
    /* parameters stay in node order: each node's first is where its run starts */
    for (int i = 0, p = 0; i < nn; i++) {
        m->nodes[i].first_param = p;
        p += m->nodes[i].layer->nparams;
    }
    m->backward_ready = false;
    m->last_mode = -1;
    vn__free(map);
    return VN_OK;
}

static vn_status check_input(const vn_model *m, const vn_tensor *x, const char *who)
{
    bool ok = x->dtype == VN_F32 && x->ndim == m->in_shape.ndim + 1 && x->shape[0] >= 1;
    for (int d = 0; ok && d < m->in_shape.ndim; d++)
        ok = x->shape[d + 1] == m->in_shape.d[d];
    if (ok)
        return VN_OK;
    char want[96], got[96];
    vn__shape_fmt(&m->in_shape, want, sizeof want);
    return vn__error(VN_ERR_SHAPE, "%s: the input is %s %s, the model takes f32 [N, %s", who,
                     vn_dtype_name(x->dtype), vn__shape_str(x, got, sizeof got), want + 1);
}

/* Run node i into acts[i]. */
static vn_status run_node(vn_model *m, int i, const vn_tensor *input, vn_tensor **acts)
{
    vn__node *nd = &m->nodes[i];
    int64_t shape[VN_MAX_DIMS];
    shape[0] = input->shape[0];
    for (int d = 0; d < nd->shape.ndim; d++)
        shape[d + 1] = nd->shape.d[d];
    VN_TRY(vn__tensor_ensure(&acts[i], VN_F32, nd->shape.ndim + 1, shape));
    const vn_tensor *in[VN__NODE_MAX_INPUTS];
    for (int k = 0; k < nd->nin; k++)
        in[k] = nd->inputs[k] == VN__MODEL_INPUT ? input : acts[nd->inputs[k]];
    vn__run r = {.training = false, .frozen = !nd->trainable, .seed = m->seed, .step = m->step,
                 .node = (uint64_t)i};
    return nd->layer->ops->forward(nd->layer, &r, nd->nin, in, acts[i]);
}

vn_status vn__model_forward_to(vn_model *m, const vn_tensor *input, int target, vn_tensor **out)
{
    *out = NULL;
    VN_TRY(check_input(m, input, "vn_model_embed"));
    const int n = target + 1;
    bool *need = vn__calloc((size_t)n, sizeof *need);
    int *last = vn__malloc((size_t)n * sizeof *last);
    vn_tensor **acts = vn__calloc((size_t)n, sizeof *acts);
    vn_status s = VN_OK;
    if (!need || !last || !acts)
        s = vn__error(VN_ERR_NOMEM, "vn_model_embed: out of memory");
    if (s == VN_OK) {
        need[target] = true;
        for (int i = target; i >= 0; i--)
            for (int k = 0; need[i] && k < m->nodes[i].nin; k++)
                if (m->nodes[i].inputs[k] >= 0)
                    need[m->nodes[i].inputs[k]] = true;
        for (int i = 0; i < n; i++)
            last[i] = i == target ? n : i;
        for (int i = 0; i < n; i++)
            for (int k = 0; need[i] && k < m->nodes[i].nin; k++) {
                int src = m->nodes[i].inputs[k];
                if (src >= 0 && last[src] < i)
                    last[src] = i;
            }
    }
    m->backward_ready = false; /* layers may reuse what a training forward kept */
    for (int i = 0; i < n && s == VN_OK; i++) {
        if (!need[i])
            continue;
        s = run_node(m, i, input, acts);
        for (int k = 0; s == VN_OK && k < m->nodes[i].nin; k++) {
            int src = m->nodes[i].inputs[k];
            if (src >= 0 && last[src] == i) {
                vn_tensor_destroy(acts[src]);
                acts[src] = NULL;
            }
        }
    }
    if (s == VN_OK) {
        *out = acts[target];
        acts[target] = NULL;
    }
    for (int i = 0; acts && i < n; i++)
        vn_tensor_destroy(acts[i]);
    vn__free(need);
    vn__free(last);
    vn__free(acts);
    return s;
}
