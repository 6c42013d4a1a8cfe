/*
 * add.c - element-wise sum of two or more inputs of one shape (residual
 * connections): `add name=res inputs=conv2,conv1`. Each input's gradient
 * is the output's. No attributes.
 */
#include "nn/layers/layers.h"

#define ADD_MAX_INPUTS 64

static vn_status add_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 2, ADD_MAX_INPUTS));
    for (int i = 1; i < nin; i++)
        if (!vn__shape_equal(&in[i], &in[0])) {
            char a[96], b[96];
            return vn__error(VN_ERR_SHAPE, "%s: input %d is %s, input 1 is %s; they must match",
                             l->who, i + 1, vn__shape_fmt(&in[i], a, sizeof a),
                             vn__shape_fmt(&in[0], b, sizeof b));
        }
    *out = in[0];
    return VN_OK;
}

static vn_status add_forward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, vn_tensor *out)
{
    (void)l;
    (void)run;
    int64_t n = (int64_t)out->numel;
    vn__add(vn__cf32(in[0]), vn__cf32(in[1]), vn__f32(out), n);
    for (int i = 2; i < nin; i++)
        vn__add(vn__f32(out), vn__cf32(in[i]), vn__f32(out), n);
    return VN_OK;
}

static vn_status add_backward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, const vn_tensor *out,
                              const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)l;
    (void)run;
    (void)in;
    (void)out;
    (void)param_grads;
    for (int i = 0; i < nin; i++)
        if (din[i])
            vn__copy(vn__cf32(dout), vn__f32(din[i]), (int64_t)dout->numel);
    return VN_OK;
}

static int64_t add_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)l;
    (void)in;
    return (nin - 1) * vn__shape_count(out);
}

static const vn__layer_ops add_ops = {
    .type = "add",
    .output_shape = add_shape,
    .forward = add_forward,
    .backward = add_backward,
    .flops = add_flops,
};

vn_status vn__add_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    vn__layer *l = vn__layer_alloc(sizeof *l, &add_ops, a->who);
    if (!l)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = add_shape(l, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(l);
        return s;
    }
    *out = l;
    return VN_OK;
}
