/*
 * dropout.c - inverted dropout, PyTorch nn.Dropout: in training each value
 * is zeroed with probability p and the others scaled by 1/(1-p); in
 * inference it is the identity.
 *
 * The mask of sample s comes from the core RNG keyed by (model seed, node,
 * training step, s) (vn__dropout_mask), so a run is reproducible on any
 * number of threads and a sample's mask does not depend on the rest of its
 * batch. Attribute: p (0.5).
 */
#include "nn/layers/layers.h"

#define DROPOUT_STREAM_TAG 0x64726f706f7574ull /* "dropout" */

typedef struct dropout {
    vn__layer base;
    double p;
    vn_tensor *mask;     /* [N, ...] from the last training forward */
    bool masked;         /* the last forward applied the mask */
} dropout;

static vn_status do_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)nin;
    dropout *d = (dropout *)l;
    const vn_tensor *x = in[0];
    d->masked = run->training && d->p > 0.0;
    if (!d->masked) {
        vn__copy(vn__cf32(x), vn__f32(out), (int64_t)x->numel);
        return VN_OK;
    }
    vn_status s = vn__tensor_ensure(&d->mask, VN_F32, x->ndim, x->shape);
    if (s != VN_OK)
        return vn__error_prefix(s, l->who);
    int64_t n = x->shape[0];
    vn__dropout_mask(vn__f32(d->mask), n, n ? (int64_t)x->numel / n : 0, (float)d->p, run->seed,
                     DROPOUT_STREAM_TAG ^ run->node, run->step);
    vn__mul(vn__cf32(x), vn__cf32(d->mask), vn__f32(out), (int64_t)x->numel);
    return VN_OK;
}

static vn_status do_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)in;
    (void)out;
    (void)param_grads;
    const dropout *d = (const dropout *)l;
    if (!din[0])
        return VN_OK;
    if (d->masked)
        vn__mul(vn__cf32(dout), vn__cf32(d->mask), vn__f32(din[0]), (int64_t)dout->numel);
    else
        vn__copy(vn__cf32(dout), vn__f32(din[0]), (int64_t)dout->numel);
    return VN_OK;
}

static void do_attrs(const vn__layer *l, vn__strbuf *sb)
{
    vn__strbuf_double(sb, "p", ((const dropout *)l)->p);
}

static void do_destroy(vn__layer *l)
{
    vn_tensor_destroy(((dropout *)l)->mask);
}

static const vn__layer_ops dropout_ops = {
    .type = "dropout",
    .output_shape = vn__layer_same_shape,
    .forward = do_forward,
    .backward = do_backward,
    .attrs = do_attrs,
    .destroy = do_destroy,
};

vn_status vn__dropout_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    (void)in;
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 1));
    dropout *d = (dropout *)vn__layer_alloc(sizeof *d, &dropout_ops, a->who);
    if (!d)
        return VN_ERR_NOMEM;
    vn_status s = vn__attr_float(a, "p", 0.5, 0.0, 1.0, &d->p);
    if (s != VN_OK) {
        vn__layer_destroy(&d->base);
        return s;
    }
    *out = &d->base;
    return VN_OK;
}
