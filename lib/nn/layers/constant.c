/*
 * constant.c - a stored tensor repeated over the batch (ONNX Constant /
 * initialisers used as operands): `constant name=k inputs=input shape=3,1,1`.
 * The one input is only there for its batch size N (any node, or `input`);
 * its gradient is zero. Output [N, shape...] = value for every sample.
 *
 * Attribute: shape (required; per-sample dims >= 1; a scalar is shape=1).
 * Buffer: value [shape...] (model name "<node>.value"): no gradient, never
 * touched by an optimizer, saved and loaded with the model; initialised to
 * zeros (an importer then sets it).
 */
#include "nn/layers/layers.h"

#include <string.h>

typedef struct constant {
    vn__layer base;
    vn__shape shape;
} constant;

static vn_status const_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    (void)in;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    *out = ((const constant *)l)->shape;
    return VN_OK;
}

static vn_status const_forward(vn__layer *l, const vn__run *run, int nin,
                               const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    (void)nin;
    (void)in;
    const vn_tensor *v = l->params[0].value;
    float *y = vn__f32(out);
    for (int64_t s = 0; s < out->shape[0]; s++)
        memcpy(y + s * (int64_t)v->numel, v->data, v->numel * sizeof(float));
    return VN_OK;
}

static vn_status const_backward(vn__layer *l, const vn__run *run, int nin,
                                const vn_tensor *const *in, const vn_tensor *out,
                                const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)l;
    (void)run;
    (void)nin;
    (void)in;
    (void)out;
    (void)dout;
    (void)param_grads;
    if (din[0])
        vn__fill_value(din[0], 0.0f);
    return VN_OK;
}

static void const_init(vn__layer *l, vn_rng *rng)
{
    (void)rng;
    vn__fill_value(l->params[0].value, 0.0f);
}

static void const_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const constant *c = (const constant *)l;
    vn__strbuf_printf(sb, " shape=");
    for (int d = 0; d < c->shape.ndim; d++)
        vn__strbuf_printf(sb, "%s%lld", d ? "," : "", (long long)c->shape.d[d]);
}

static const vn__layer_ops constant_ops = {
    .type = "constant",
    .output_shape = const_shape,
    .forward = const_forward,
    .backward = const_backward,
    .init = const_init,
    .attrs = const_attrs,
};

vn_status vn__constant_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    (void)in;
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 1));
    vn__shape s;
    VN_TRY(vn__layer_read_shape(a, &s));
    constant *c = (constant *)vn__layer_alloc(sizeof *c, &constant_ops, a->who);
    if (!c)
        return VN_ERR_NOMEM;
    c->shape = s;
    vn_status st = vn__layer_add_param(&c->base, "value", s.ndim, s.d, true);
    if (st != VN_OK) {
        vn__layer_destroy(&c->base);
        return st;
    }
    *out = &c->base;
    return VN_OK;
}
