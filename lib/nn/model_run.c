/*
 * model_run.c - running a vn_model: forward in training or inference mode,
 * backward, the activation memory plan of inference, and access to
 * activations.
 *
 * Training keeps one tensor per node (backward reads every activation) and
 * a copy of the input, all reused from one call to the next while the batch
 * size stays the same.
 *
 * Inference plans memory once per batch size: each node's output goes to
 * a buffer that is free again once the node's last consumer has run, so a
 * chain of layers needs about two buffers however deep it is. The plan
 * (which node writes where) is kept and reused for every forward with that
 * batch size; the model's output and the nodes marked with
 * vn_model_keep_output() get buffers of their own.
 *
 * A conv2d whose output feeds a plain relu as the next node runs as one
 * pass with it (conv_relu_fused): the convolution writes its own output
 * and the relu's, block by block while each block is in cache, so the relu
 * never reads a cold feature map. Both outputs are still written (backward
 * and vn_model_output read them), and the results are the two layers'
 * bit for bit. Backward fuses the mirror image: a relu whose only consumer
 * is a max_pool2d (the next node) gets no output gradient of its own; the
 * pool's gradient goes straight to the relu's input, masked by the pool's
 * output (relu_pool_fused), again bit for bit the two backwards.
 *
 * A conv2d, a relu of it and a max_pool2d of that, where only the relu
 * reads the convolution's output and only the pool the relu's, go further
 * (conv_relu_pool_fused): the convolution's epilogue biases, relus and
 * pools each block while it is in cache, and neither the convolution's
 * output nor the relu's is written at all (the reference CNN's first
 * feature map is 6.4 MB a batch of 64, written twice and read back once
 * unfused). Backward needs neither: the relu-pool backward reads the
 * pool's output and arg-max, the convolution's backward its input. The two
 * nodes are marked stale, and vn_model_output computes them when asked
 * (materialize); nodes marked with vn_model_keep_output are never fused
 * away. Inference plans keep the convolution's input alive until the pool
 * has run.
 *
 * When such a chain starts the network (nothing upstream needs the
 * convolution's input gradient), its backward skips the relu's and the
 * convolution's output gradients too (backward_at): the
 * weight and bias gradients are summed straight from the pool's gradient
 * and arg-max (kernels/conv_pool_grad.c), the same products as the dense
 * path in another order, so equal to it up to rounding.
 *
 * Backward walks the nodes in reverse. A node's output gradient is needed
 * when some trainable node or the requested input gradient lies upstream;
 * other nodes are skipped (a frozen backbone costs nothing when only the
 * head trains). When a node feeds several others (residual branches) the
 * gradients reaching it are summed: the first is written in place, the
 * others through a temporary and added.
 */
#include "nn/model.h"
#include "nn/layers/layers.h"

#include <stdio.h>
#include <string.h>

/* ---- fusion patterns ------------------------------------------------------ */

static bool is_relu(const vn__node *nd)
{
    return nd->layer->ops->forward == vn__activation_forward &&
           vn__activation_kind(nd->layer) == VN__ACT_RELU;
}

/* Node j reads node src and nothing else, and no other node reads src. */
static bool sole_reader(const vn_model *m, int j, int src)
{
    if (m->nodes[j].nin != 1 || m->nodes[j].inputs[0] != src)
        return false;
    for (int a = 0; a < m->nnodes; a++)
        for (int k = 0; k < m->nodes[a].nin && a != j; k++)
            if (m->nodes[a].inputs[k] == src)
                return false;
    return true;
}

/* Nodes i, i+1, i+2: a conv2d, a plain relu of it and a max_pool2d of the
 * relu, each output read only by the next, neither of the first two
 * marked with vn_model_keep_output. */
static bool conv_relu_pool_chain(const vn_model *m, int i)
{
    return i + 2 < m->nnodes && vn__layer_is_conv2d(m->nodes[i].layer) &&
           is_relu(&m->nodes[i + 1]) && sole_reader(m, i + 1, i) &&
           vn__layer_is_max_pool2d(m->nodes[i + 2].layer) && sole_reader(m, i + 2, i + 1) &&
           !m->nodes[i].keep && !m->nodes[i + 1].keep;
}

/* ---- inference memory plan ---------------------------------------------- */

void vn__model_drop_plan(vn_model *m)
{
    for (int i = 0; i < m->nnodes; i++) {
        vn_tensor_destroy(m->nodes[i].view);
        m->nodes[i].view = NULL;
    }
    for (int b = 0; b < m->nbufs; b++)
        vn__free(m->bufs[b]);
    vn__free(m->bufs);
    m->bufs = NULL;
    m->nbufs = 0;
    m->plan_batch = -1;
    m->last_input = NULL;
    if (m->last_mode == VN_MODE_INFERENCE)
        m->last_mode = -1;
}

void vn__model_free_run(vn_model *m)
{
    vn__model_drop_plan(m);
    vn_tensor_destroy(m->input);
    vn_tensor_destroy(m->grad_input);
    m->input = m->grad_input = NULL;
    for (int k = 0; k < VN__NODE_MAX_INPUTS; k++) {
        vn_tensor_destroy(m->tmp[k]);
        m->tmp[k] = NULL;
    }
}

/* A node whose output must survive the whole inference forward. */
static bool pinned(const vn_model *m, int i)
{
    return i == m->nnodes - 1 || m->nodes[i].keep;
}

static vn_status make_plan(vn_model *m, int64_t batch)
{
    const int n = m->nnodes;
    int *last_use = vn__malloc((size_t)n * sizeof(int));
    int *buf_of = vn__malloc((size_t)n * sizeof(int));
    int *owner = vn__malloc((size_t)n * sizeof(int));      /* per buffer: node using it, -1 free */
    size_t *size = vn__malloc((size_t)n * sizeof(size_t)); /* per buffer, floats */
    vn_status s = VN_OK;
    if (!last_use || !buf_of || !owner || !size) {
        s = vn__error(VN_ERR_NOMEM, "vn_model_forward: out of memory planning activations");
        goto done;
    }
    for (int i = 0; i < n; i++)
        last_use[i] = pinned(m, i) ? n : i;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < m->nodes[i].nin; k++) {
            int src = m->nodes[i].inputs[k];
            /* a fused conv -> relu -> pool reads its input until the pool */
            int until = k == 0 && conv_relu_pool_chain(m, i) ? i + 2 : i;
            if (src >= 0 && last_use[src] < until)
                last_use[src] = until;
        }
    int nbufs = 0;
    for (int i = 0; i < n; i++) {
        for (int b = 0; b < nbufs; b++)
            if (owner[b] >= 0 && last_use[owner[b]] < i)
                owner[b] = -1;
        size_t need = (size_t)batch * (size_t)vn__shape_count(&m->nodes[i].shape);
        int best = -1;
        for (int b = 0; b < nbufs; b++) {
            if (owner[b] >= 0)
                continue;
            /* the smallest free buffer that fits, else the largest free one (grown) */
            if (best < 0)
                best = b;
            else if (size[b] >= need && (size[best] < need || size[b] < size[best]))
                best = b;
            else if (size[best] < need && size[b] > size[best])
                best = b;
        }
        if (best < 0) {
            best = nbufs++;
            size[best] = 0;
        }
        if (size[best] < need)
            size[best] = need;
        owner[best] = i;
        buf_of[i] = best;
    }
    m->bufs = vn__calloc((size_t)nbufs, sizeof(float *));
    if (!m->bufs) {
        s = vn__error(VN_ERR_NOMEM, "vn_model_forward: out of memory planning activations");
        goto done;
    }
    m->nbufs = nbufs;
    for (int b = 0; b < nbufs && s == VN_OK; b++) {
        size_t bytes;
        if (!vn__mul_size(size[b], sizeof(float), &bytes) ||
            !(m->bufs[b] = vn__malloc(bytes)))
            s = vn__error(VN_ERR_NOMEM, "vn_model_forward: out of memory for %zu activations",
                          size[b]);
    }
    for (int i = 0; i < n && s == VN_OK; i++) {
        vn__node *nd = &m->nodes[i];
        int64_t shape[VN_MAX_DIMS];
        shape[0] = batch;
        for (int d = 0; d < nd->shape.ndim; d++)
            shape[d + 1] = nd->shape.d[d];
        s = vn_tensor_wrap(VN_F32, nd->shape.ndim + 1, shape, m->bufs[buf_of[i]], NULL, NULL,
                           &nd->view);
    }
    if (s == VN_OK)
        m->plan_batch = batch;
done:
    vn__free(last_use);
    vn__free(buf_of);
    vn__free(owner);
    vn__free(size);
    if (s != VN_OK)
        vn__model_drop_plan(m);
    return s;
}

/* ---- forward ---------------------------------------------------------------- */

static vn_status check_input(const vn_model *m, const vn_tensor *x)
{
    bool ok = x->dtype == VN_F32 && x->ndim == m->in_shape.ndim + 1 && x->shape[0] >= 1;
    for (int d = 0; ok && d < m->in_shape.ndim; d++)
        ok = x->shape[d + 1] == m->in_shape.d[d];
    if (ok)
        return VN_OK;
    char want[96], got[96];
    vn__shape_fmt(&m->in_shape, want, sizeof want);
    return vn__error(VN_ERR_SHAPE,
                     "vn_model_forward: the input is %s %s, the model takes f32 [N, %s",
                     vn_dtype_name(x->dtype), vn__shape_str(x, got, sizeof got), want + 1);
}

static vn_status ensure_act(vn_tensor **t, int64_t batch, const vn__shape *s)
{
    int64_t shape[VN_MAX_DIMS];
    shape[0] = batch;
    for (int d = 0; d < s->ndim; d++)
        shape[d + 1] = s->d[d];
    return vn__tensor_ensure(t, VN_F32, s->ndim + 1, shape);
}

static vn__run run_of(const vn_model *m, int i, bool training)
{
    vn__run r = {.training = training, .frozen = !m->nodes[i].trainable, .seed = m->seed,
                 .step = m->step, .node = (uint64_t)i};
    return r;
}

static const vn_tensor *source(const vn_model *m, int src, bool training, const vn_tensor *input)
{
    if (src == VN__MODEL_INPUT)
        return input;
    return training ? m->nodes[src].act : m->nodes[src].view;
}

static bool overlap(const vn_tensor *a, const vn_tensor *b)
{
    const char *pa = a->data, *pb = b->data;
    return pa < pb + b->numel * sizeof(float) && pb < pa + a->numel * sizeof(float);
}

/* Node i (a conv2d reading x) and node i+1 (a relu of it) run as one pass
 * into out and relu_out, unless relu_out shares memory with x or out (an
 * inference plan may give the relu the buffer the convolution's input
 * frees). */
static bool conv_relu_fused(const vn_model *m, int i, const vn_tensor *x, const vn_tensor *out,
                            const vn_tensor *relu_out)
{
    if (i + 1 >= m->nnodes || !vn__layer_is_conv2d(m->nodes[i].layer))
        return false;
    const vn__node *r = &m->nodes[i + 1];
    if (r->nin != 1 || r->inputs[0] != i || !is_relu(r))
        return false;
    return x->dtype == VN_F32 && out->dtype == VN_F32 && relu_out->dtype == VN_F32 &&
           relu_out->numel == out->numel && !overlap(relu_out, x) && !overlap(relu_out, out);
}

/* Node i (a conv2d reading x) and the relu and max-pool after it run as
 * one pass into the pool's output (see the top of the file). */
static bool conv_relu_pool_fused(const vn_model *m, int i, const vn_tensor *x, bool training)
{
    if (!conv_relu_pool_chain(m, i))
        return false;
    const vn_tensor *out = training ? m->nodes[i].act : m->nodes[i].view;
    const vn_tensor *pooled = training ? m->nodes[i + 2].act : m->nodes[i + 2].view;
    return x->dtype == VN_F32 && !overlap(pooled, x) &&
           vn__conv2d_relu_pool_fusable_layer(m->nodes[i].layer, x, out);
}

/* The outputs of the conv2d and relu that a training forward fused into a
 * max-pool (stale node i, either of them), computed from the forward's
 * input to the convolution and its current weights. */
static vn_status materialize(vn_model *m, int i)
{
    const int c = vn__layer_is_conv2d(m->nodes[i].layer) ? i : i - 1;
    vn__node *conv = &m->nodes[c], *relu = &m->nodes[c + 1];
    const vn_tensor *x = source(m, conv->inputs[0], true, m->input);
    VN_TRY(vn__conv2d_forward_relu_layer(conv->layer, x, conv->act, relu->act));
    conv->stale = relu->stale = false;
    return VN_OK;
}

VN_API vn_status vn_model_forward(vn_model *m, const vn_tensor *input, vn_mode mode,
                                  const vn_tensor **output)
{
    if (!m || !input || !output)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_forward: NULL argument");
    if (mode != VN_MODE_INFERENCE && mode != VN_MODE_TRAINING)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_forward: unknown mode %d", (int)mode);
    if (m->nnodes == 0)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_forward: the model has no nodes");
    VN_TRY(check_input(m, input));
    const bool training = mode == VN_MODE_TRAINING;
    const int64_t batch = input->shape[0];
    m->backward_ready = false;
    m->last_mode = -1;
    const vn_tensor *x = input;
    if (training) {
        VN_TRY(vn__tensor_ensure(&m->input, VN_F32, input->ndim, input->shape));
        vn__copy(vn__cf32(input), vn__f32(m->input), (int64_t)input->numel);
        x = m->input;
        for (int i = 0; i < m->nnodes; i++)
            VN_TRY(ensure_act(&m->nodes[i].act, batch, &m->nodes[i].shape));
    } else if (m->plan_batch != batch) {
        vn__model_drop_plan(m);
        VN_TRY(make_plan(m, batch));
    }
    for (int i = 0; i < m->nnodes; i++)
        m->nodes[i].stale = false;
    for (int i = 0; i < m->nnodes; i++) {
        vn__node *nd = &m->nodes[i];
        const vn_tensor *in[VN__NODE_MAX_INPUTS];
        for (int k = 0; k < nd->nin; k++)
            in[k] = source(m, nd->inputs[k], training, x);
        vn_tensor *out = training ? nd->act : nd->view;
        if (conv_relu_pool_fused(m, i, in[0], training)) {
            vn__node *pool = &m->nodes[i + 2];
            vn__run r = run_of(m, i + 2, training);
            VN_TRY(vn__conv2d_forward_relu_pool_layer(nd->layer, pool->layer, &r, in[0], out,
                                                      training ? pool->act : pool->view));
            nd->stale = m->nodes[i + 1].stale = training;
            i += 2;
            continue;
        }
        if (i + 1 < m->nnodes) {
            vn_tensor *next = training ? m->nodes[i + 1].act : m->nodes[i + 1].view;
            if (conv_relu_fused(m, i, in[0], out, next)) {
                VN_TRY(vn__conv2d_forward_relu_layer(nd->layer, in[0], out, next));
                i++;
                continue;
            }
        }
        vn__run r = run_of(m, i, training);
        VN_TRY(nd->layer->ops->forward(nd->layer, &r, nd->nin, in, out));
    }
    if (training) {
        m->step++;
        m->backward_ready = true;
    } else {
        m->last_input = input;
    }
    m->last_mode = (int)mode;
    *output = training ? m->nodes[m->nnodes - 1].act : m->nodes[m->nnodes - 1].view;
    return VN_OK;
}

VN_API vn_status vn_model_output(vn_model *m, const char *node, const vn_tensor **act)
{
    if (!m || !node || !act)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_output: NULL argument");
    if (m->last_mode < 0)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_output: no forward has run yet");
    const bool training = m->last_mode == VN_MODE_TRAINING;
    if (strcmp(node, "input") == 0) {
        *act = training ? m->input : m->last_input;
        return VN_OK;
    }
    int i = vn_model_node_find(m, node);
    if (i < 0)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_output: no node '%s'", node);
    if (!training && !pinned(m, i))
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_output: the inference forward did not keep '%s'; call "
                         "vn_model_keep_output(m, \"%s\", 1) before it",
                         node, node);
    if (training && m->nodes[i].stale)
        VN_TRY(materialize(m, i));
    *act = training ? m->nodes[i].act : m->nodes[i].view;
    return VN_OK;
}

/* ---- backward -------------------------------------------------------------- */

static bool has_trainable_params(const vn__node *nd)
{
    if (!nd->trainable)
        return false;
    for (int k = 0; k < nd->layer->nparams; k++)
        if (nd->layer->params[k].grad)
            return true;
    return false;
}

static bool needs(const vn_model *m, int src, bool want_input)
{
    return src == VN__MODEL_INPUT ? want_input : m->nodes[src].need_grad;
}

/* Backward through node i; input_set tracks the input gradient. With
 * pool >= 0, node i is a relu and node pool the max_pool2d that alone
 * consumes it; dout is then the pool's output gradient and the two
 * backwards run as one. */
static vn_status node_backward(vn_model *m, int i, const vn_tensor *dout, bool want_input,
                               bool *input_set, int pool)
{
    vn__node *nd = &m->nodes[i];
    const int64_t batch = m->input->shape[0];
    const vn_tensor *in[VN__NODE_MAX_INPUTS];
    vn_tensor *din[VN__NODE_MAX_INPUTS];
    vn_tensor *target[VN__NODE_MAX_INPUTS];
    bool direct[VN__NODE_MAX_INPUTS];
    for (int k = 0; k < nd->nin; k++) {
        int src = nd->inputs[k];
        in[k] = source(m, src, true, m->input);
        din[k] = target[k] = NULL;
        direct[k] = false;
        if (!needs(m, src, want_input))
            continue;
        bool *set = src == VN__MODEL_INPUT ? input_set : &m->nodes[src].grad_set;
        if (src == VN__MODEL_INPUT) {
            VN_TRY(vn__tensor_ensure(&m->grad_input, VN_F32, m->input->ndim, m->input->shape));
            target[k] = m->grad_input;
        } else {
            VN_TRY(ensure_act(&m->nodes[src].grad, batch, &m->nodes[src].shape));
            target[k] = m->nodes[src].grad;
        }
        bool taken = *set;
        for (int e = 0; e < k; e++)
            taken = taken || (direct[e] && target[e] == target[k]);
        if (!taken) {
            din[k] = target[k];
            direct[k] = true;
        } else {
            VN_TRY(vn__tensor_ensure(&m->tmp[k], VN_F32, target[k]->ndim, target[k]->shape));
            din[k] = m->tmp[k];
        }
    }
    /* a fused-away relu's backward reads its output (the convolution's
     * only its input); the relu -> pool backward fusion, which always
     * applies to the chain, reads neither */
    if (pool < 0 && nd->stale && !vn__layer_is_conv2d(nd->layer))
        VN_TRY(materialize(m, i));
    vn__run r = run_of(m, i, true);
    if (pool >= 0) {
        if (din[0])
            VN_TRY(vn__max_pool2d_relu_backward_layer(m->nodes[pool].layer, nd->act,
                                                      m->nodes[pool].act, dout, din[0]));
    } else {
        VN_TRY(nd->layer->ops->backward(nd->layer, &r, nd->nin, in, nd->act, dout, din,
                                        nd->trainable));
    }
    for (int k = 0; k < nd->nin; k++) {
        if (!target[k])
            continue;
        int src = nd->inputs[k];
        bool *set = src == VN__MODEL_INPUT ? input_set : &m->nodes[src].grad_set;
        if (!direct[k])
            vn__add(vn__cf32(target[k]), vn__cf32(din[k]), vn__f32(target[k]),
                    (int64_t)target[k]->numel);
        *set = true;
    }
    return VN_OK;
}

/* Node i a max_pool2d whose input is node i-1, a plain relu used by no
 * other node: their backwards run as one (node_backward with pool = i). */
static bool relu_pool_fused(const vn_model *m, int i)
{
    return i >= 1 && vn__layer_is_max_pool2d(m->nodes[i].layer) && sole_reader(m, i, i - 1) &&
           m->nodes[i - 1].nin == 1 && is_relu(&m->nodes[i - 1]);
}

static vn_status backward_at(vn_model *m, int i, const vn_tensor *dout, bool want_input,
                             bool *input_set)
{
    /* Node i a max_pool2d ending a conv -> relu -> pool chain whose
     * convolution has trainable parameters and whose input needs no
     * gradient (a first layer): the convolution's parameter gradients come
     * straight from the pool's gradient and arg-max, and neither the relu's
     * nor the convolution's output gradient is formed (their backwards are
     * then skipped: grad_set stays false). */
    if (i >= 2 && conv_relu_pool_chain(m, i - 2)) {
        const vn__node *conv = &m->nodes[i - 2], *pool = &m->nodes[i];
        const vn_tensor *x = source(m, conv->inputs[0], true, m->input);
        if (has_trainable_params(conv) && !needs(m, conv->inputs[0], want_input) &&
            vn__conv2d_relu_pool_grad_fusable_layer(conv->layer, pool->layer, x, conv->act,
                                                    pool->act))
            return vn__conv2d_relu_pool_backward_layer(conv->layer, pool->layer, x, conv->act,
                                                       pool->act, dout);
    }
    if (relu_pool_fused(m, i))
        return node_backward(m, i - 1, dout, want_input, input_set, i);
    return node_backward(m, i, dout, want_input, input_set, -1);
}

VN_API vn_status vn_model_backward(vn_model *m, const vn_tensor *grad_output,
                                   const vn_tensor **grad_input)
{
    if (grad_input)
        *grad_input = NULL;
    if (!m || !grad_output)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_backward: NULL argument");
    if (!m->backward_ready)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_backward: needs a VN_MODE_TRAINING forward first (since the "
                         "last change to the model or inference forward)");
    const int last = m->nnodes - 1;
    if (!vn__tensor_same_shape(grad_output, m->nodes[last].act)) {
        char want[96], got[96];
        return vn__error(VN_ERR_SHAPE,
                         "vn_model_backward: grad_output is %s %s, the output is f32 %s",
                         vn_dtype_name(grad_output->dtype),
                         vn__shape_str(grad_output, got, sizeof got),
                         vn__shape_str(m->nodes[last].act, want, sizeof want));
    }
    const bool want_input = grad_input != NULL;
    for (int i = 0; i < m->nnodes; i++) {
        vn__node *nd = &m->nodes[i];
        bool up = false;
        for (int k = 0; k < nd->nin && !up; k++)
            up = needs(m, nd->inputs[k], want_input);
        nd->need_grad = up || has_trainable_params(nd);
        nd->grad_set = false;
    }
    bool input_set = false;
    if (m->nodes[last].need_grad) {
        VN_TRY(backward_at(m, last, grad_output, want_input, &input_set));
        for (int i = last - 1; i >= 0; i--) {
            vn__node *nd = &m->nodes[i];
            if (nd->need_grad && nd->grad_set)
                VN_TRY(backward_at(m, i, nd->grad, want_input, &input_set));
        }
    }
    if (want_input) {
        VN_TRY(vn__tensor_ensure(&m->grad_input, VN_F32, m->input->ndim, m->input->shape));
        if (!input_set)
            vn_tensor_zero(m->grad_input);
        *grad_input = m->grad_input;
    }
    return VN_OK;
}
