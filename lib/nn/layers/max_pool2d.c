/*
 * max_pool2d.c - max pooling, PyTorch nn.MaxPool2d / ONNX MaxPool:
 * padding counts as -inf; the gradient goes to the arg-max of each window,
 * the first in row-major order on ties; overlapping windows accumulate.
 *
 * Attributes: k (required), stride (default k), pad (0, smaller than the
 * window; top / left), pad_end (default pad; bottom / right, smaller than
 * the window), dilation (1), ceil_mode (0; 1 rounds the output size up,
 * the last window starting inside the input or the leading padding).
 * A training forward records the arg-max of every output (int32, per
 * plane) for the backward pass.
 */
#include "nn/layers/layers.h"

typedef struct max_pool {
    vn__layer base;
    vn__window win;
    vn_tensor *argmax;   /* [N, C, OH, OW] int32 from the last training forward */
} max_pool;

static vn_status mp_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const max_pool *p = (const max_pool *)l;
    return vn__layer_window_shape(l->who, nin, in, &p->win, out);
}

vn_status vn__max_pool2d_prepare(vn__layer *l, const vn__run *run, const vn_tensor *in,
                                 const vn_tensor *out, vn__pool_geom *g, int32_t **argmax)
{
    max_pool *p = (max_pool *)l;
    vn__layer_pool_geom(g, in, out, &p->win);
    *argmax = NULL;
    if (run->training) {
        vn_status s = vn__tensor_ensure(&p->argmax, VN_I32, out->ndim, out->shape);
        if (s != VN_OK)
            return vn__error_prefix(s, l->who);
        *argmax = p->argmax->data;
    }
    return VN_OK;
}

static vn_status mp_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)nin;
    vn__pool_geom g;
    int32_t *am;
    VN_TRY(vn__max_pool2d_prepare(l, run, in[0], out, &g, &am));
    vn__max_pool_forward(&g, vn__cf32(in[0]), vn__f32(out), am);
    return VN_OK;
}

bool vn__max_pool2d_peek(const vn__layer *l, const vn_tensor *in, const vn_tensor *out,
                         vn__pool_geom *g, const int32_t **argmax)
{
    const max_pool *p = (const max_pool *)l;
    if (!p->argmax || p->argmax->numel != out->numel)
        return false;
    vn__layer_pool_geom(g, in, out, &p->win);
    *argmax = p->argmax->data;
    return true;
}

vn_status vn__max_pool2d_saved(const vn__layer *l, const vn_tensor *in, const vn_tensor *out,
                               vn__pool_geom *g, const int32_t **argmax)
{
    if (!vn__max_pool2d_peek(l, in, out, g, argmax))
        return vn__error(VN_ERR_INVALID_ARG, "%s: backward without a training forward", l->who);
    return VN_OK;
}

static vn_status mp_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)param_grads;
    if (!din[0])
        return VN_OK;
    vn__pool_geom g;
    const int32_t *am = NULL;
    VN_TRY(vn__max_pool2d_saved(l, in[0], out, &g, &am));
    vn__max_pool_backward(&g, vn__cf32(dout), am, vn__f32(din[0]));
    return VN_OK;
}

bool vn__layer_is_max_pool2d(const vn__layer *l)
{
    return l->ops->backward == mp_backward;
}

vn_status vn__max_pool2d_relu_backward_layer(vn__layer *l, const vn_tensor *in,
                                             const vn_tensor *out, const vn_tensor *dout,
                                             vn_tensor *din)
{
    vn__pool_geom g;
    const int32_t *am = NULL;
    VN_TRY(vn__max_pool2d_saved(l, in, out, &g, &am));
    vn__max_pool_relu_backward(&g, vn__cf32(dout), am, vn__cf32(out), vn__f32(din));
    return VN_OK;
}

static void mp_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const max_pool *p = (const max_pool *)l;
    vn__layer_window_attrs(&p->win, sb, true);
}

static int64_t mp_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)nin;
    (void)in;
    const max_pool *p = (const max_pool *)l;
    return vn__shape_count(out) * p->win.k[0] * p->win.k[1];
}

static void mp_destroy(vn__layer *l)
{
    vn_tensor_destroy(((max_pool *)l)->argmax);
}

static const vn__layer_ops max_pool2d_ops = {
    .type = "max_pool2d",
    .output_shape = mp_shape,
    .forward = mp_forward,
    .backward = mp_backward,
    .attrs = mp_attrs,
    .flops = mp_flops,
    .destroy = mp_destroy,
};

vn_status vn__max_pool2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    max_pool *p = (max_pool *)vn__layer_alloc(sizeof *p, &max_pool2d_ops, a->who);
    if (!p)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = vn__layer_read_window(a, &p->win, true);
    if (s == VN_OK)
        s = mp_shape(&p->base, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(&p->base);
        return s;
    }
    *out = &p->base;
    return VN_OK;
}
