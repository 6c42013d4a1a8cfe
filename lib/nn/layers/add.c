/*
 * add.c - element-wise sum of one or more inputs (residual connections):
 * `add name=res inputs=conv2,conv1`. No attributes.
 *
 * Inputs whose per-sample shapes differ broadcast numpy-style: shapes are
 * aligned from the right, missing leading dims count as 1, and each pair of
 * dims must be equal or one of them 1. The output has the broadcast shape;
 * each input's gradient is the output's summed over the dims along which
 * that input was broadcast. Inputs of one shape keep the plain loop.
 *
 * This file also holds the common part of the two-input element-wise
 * layers (mul.c, sub.c, div.c): they differ only in the kernel's operator
 * (lib/kernels/broadcast.c does the broadcasting and the gradient sums).
 */
#include "nn/layers/layers.h"

#define ADD_MAX_INPUTS 64

typedef struct binary {
    vn__layer base;
    vn__binop op;
} binary;

/* A tensor's per-sample rank and dims (after the batch). */
#define PS(t) ((t)->ndim - 1), ((t)->shape + 1)

static bool same_sample_shape(const vn_tensor *a, const vn_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int d = 1; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return false;
    return true;
}

vn_status vn__binary_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const binary *b = (const binary *)l;
    if (b->op == VN__BIN_ADD)
        VN_TRY(vn__layer_check_inputs(l->who, nin, 1, ADD_MAX_INPUTS));
    else
        VN_TRY(vn__layer_check_inputs(l->who, nin, 2, 2));
    vn__shape s = in[0];
    for (int i = 1; i < nin; i++) {
        vn__shape t;
        if (!vn__bcast_shape(s.ndim, s.d, in[i].ndim, in[i].d, &t.ndim, t.d)) {
            char x[96], y[96];
            return vn__error(VN_ERR_SHAPE,
                             "%s: input %d is %s, which does not broadcast with %s (dims are "
                             "aligned from the right and must be equal or 1)",
                             l->who, i + 1, vn__shape_fmt(&in[i], x, sizeof x),
                             vn__shape_fmt(&s, y, sizeof y));
        }
        s = t;
    }
    *out = s;
    return VN_OK;
}

vn_status vn__binary_forward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    const binary *b = (const binary *)l;
    int64_t n = out->shape[0], count = (int64_t)out->numel;
    float *y = vn__f32(out);
    if (b->op != VN__BIN_ADD) {
        vn__bcast_forward(b->op, n, PS(out), PS(in[0]), vn__cf32(in[0]), PS(in[1]),
                          vn__cf32(in[1]), y);
        return VN_OK;
    }
    bool same = true;
    for (int i = 0; i < nin; i++)
        same = same && same_sample_shape(in[i], out);
    if (same) {
        if (nin == 1)
            vn__copy(vn__cf32(in[0]), y, count);
        else
            vn__add(vn__cf32(in[0]), vn__cf32(in[1]), y, count);
        for (int i = 2; i < nin; i++)
            vn__add(y, vn__cf32(in[i]), y, count);
        return VN_OK;
    }
    if (nin == 1 || same_sample_shape(in[0], out))
        vn__bcast_forward(VN__BIN_COPY, n, PS(out), PS(in[0]), vn__cf32(in[0]), -1, NULL, NULL,
                          y);
    else
        vn__bcast_forward(VN__BIN_ADD, n, PS(out), PS(in[0]), vn__cf32(in[0]), PS(in[1]),
                          vn__cf32(in[1]), y);
    for (int i = (nin == 1 || same_sample_shape(in[0], out)) ? 1 : 2; i < nin; i++)
        vn__bcast_forward(VN__BIN_ADD, n, PS(out), PS(out), y, PS(in[i]), vn__cf32(in[i]), y);
    return VN_OK;
}

vn_status vn__binary_backward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, const vn_tensor *out,
                              const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)param_grads;
    const binary *b = (const binary *)l;
    int64_t n = out->shape[0];
    for (int i = 0; i < nin; i++) {
        if (!din[i])
            continue;
        if (b->op == VN__BIN_ADD) {
            if (same_sample_shape(in[i], out))
                vn__copy(vn__cf32(dout), vn__f32(din[i]), (int64_t)dout->numel);
            else
                vn__bcast_backward(VN__BIN_ADD, 0, n, PS(out), PS(in[i]), NULL, -1, NULL, NULL,
                                   vn__cf32(dout), vn__f32(din[i]));
        } else {
            vn__bcast_backward(b->op, i, n, PS(out), PS(in[0]), vn__cf32(in[0]), PS(in[1]),
                               vn__cf32(in[1]), vn__cf32(dout), vn__f32(din[i]));
        }
    }
    return VN_OK;
}

int64_t vn__binary_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)l;
    (void)in;
    return (nin > 1 ? nin - 1 : 0) * vn__shape_count(out);
}

vn_status vn__binary_create(const vn__layer_ops *ops, vn__binop op, vn__attrs *a, int nin,
                            const vn__shape *in, vn__layer **out)
{
    binary *b = (binary *)vn__layer_alloc(sizeof *b, ops, a->who);
    if (!b)
        return VN_ERR_NOMEM;
    b->op = op;
    vn__shape os;
    vn_status s = vn__binary_shape(&b->base, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(&b->base);
        return s;
    }
    *out = &b->base;
    return VN_OK;
}

static const vn__layer_ops add_ops = {
    .type = "add",
    .output_shape = vn__binary_shape,
    .forward = vn__binary_forward,
    .backward = vn__binary_backward,
    .flops = vn__binary_flops,
};

vn_status vn__add_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    return vn__binary_create(&add_ops, VN__BIN_ADD, a, nin, in, out);
}
