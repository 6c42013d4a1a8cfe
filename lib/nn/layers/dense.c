/*
 * dense.c - fully connected layer, PyTorch nn.Linear: y = x W^T + b. Any
 * [N, ...] input is read as [N, F] with F the product of the sample's
 * dimensions (the NCHW memory order, as torch.flatten(x, 1) gives).
 *
 * Attributes: out (output features, required), bias (1), init (torch).
 * Parameters: weight [out, F], bias [out]; initialised like PyTorch,
 * U(+-1/sqrt(F)), or with init=he as kaiming_uniform_(nonlinearity='relu')
 * with a zero bias (vn__layer_init_fan_in).
 *
 * Forward and both gradients are one GEMM each (lib/kernels/gemm.c):
 * y = x W^T, dx = dy W, dW += dy^T x; db += column sums of dy.
 */
#include "nn/layers/layers.h"

typedef struct dense {
    vn__layer base;
    int out;
    bool bias;
} dense;

static vn_status dense_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    const dense *d = (const dense *)l;
    if (l->nparams > 0 && vn__shape_count(&in[0]) != l->params[0].value->shape[1]) {
        char b[96];
        return vn__error(VN_ERR_SHAPE, "%s: input %s has %lld features, layer expects %lld",
                         l->who, vn__shape_fmt(&in[0], b, sizeof b),
                         (long long)vn__shape_count(&in[0]),
                         (long long)l->params[0].value->shape[1]);
    }
    out->ndim = 1;
    out->d[0] = d->out;
    return VN_OK;
}

static vn_status dense_forward(vn__layer *l, const vn__run *run, int nin,
                               const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    (void)nin;
    const dense *d = (const dense *)l;
    int64_t n = in[0]->shape[0], f = l->params[0].value->shape[1];
    vn__sgemm(false, true, n, d->out, f, 1.0f, vn__cf32(in[0]), f, vn__cf32(l->params[0].value), f,
              0.0f, vn__f32(out), d->out);
    if (d->bias)
        vn__add_bias(vn__f32(out), n, d->out, 1, vn__cf32(l->params[1].value));
    return VN_OK;
}

static vn_status dense_backward(vn__layer *l, const vn__run *run, int nin,
                                const vn_tensor *const *in, const vn_tensor *out,
                                const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)out;
    const dense *d = (const dense *)l;
    int64_t n = in[0]->shape[0], f = l->params[0].value->shape[1];
    if (din[0])
        vn__sgemm(false, false, n, f, d->out, 1.0f, vn__cf32(dout), d->out,
                  vn__cf32(l->params[0].value), f, 0.0f, vn__f32(din[0]), f);
    if (param_grads) {
        vn__sgemm(true, false, d->out, f, n, 1.0f, vn__cf32(dout), d->out, vn__cf32(in[0]), f,
                  1.0f, vn__f32(l->params[0].grad), f);
        if (d->bias)
            vn__sum_outer_inner(vn__cf32(dout), n, d->out, 1, vn__f32(l->params[1].grad));
    }
    return VN_OK;
}

static void dense_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const dense *d = (const dense *)l;
    vn__strbuf_printf(sb, " out=%d bias=%d", d->out, d->bias ? 1 : 0);
    vn__layer_write_init(l, sb);
}

static int64_t dense_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)nin;
    const dense *d = (const dense *)l;
    return 2 * vn__shape_count(&in[0]) * d->out + (d->bias ? vn__shape_count(out) : 0);
}

static const vn__layer_ops dense_ops = {
    .type = "dense",
    .output_shape = dense_shape,
    .forward = dense_forward,
    .backward = dense_backward,
    .init = vn__layer_init_fan_in,
    .attrs = dense_attrs,
    .flops = dense_flops,
};

vn_status vn__dense_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    dense *d = (dense *)vn__layer_alloc(sizeof *d, &dense_ops, a->who);
    if (!d)
        return VN_ERR_NOMEM;
    int64_t outf = 0;
    vn__shape os;
    vn_status s = vn__attr_int(a, "out", true, 0, 1, 1 << 24, &outf);
    if (s == VN_OK)
        s = vn__attr_bool(a, "bias", true, &d->bias);
    if (s == VN_OK)
        s = vn__layer_read_init(a, &d->base);
    d->out = (int)outf;
    if (s == VN_OK)
        s = dense_shape(&d->base, nin, in, &os);
    if (s == VN_OK) {
        int64_t ws[2] = {d->out, vn__shape_count(&in[0])};
        s = vn__layer_add_param(&d->base, "weight", 2, ws, false);
    }
    if (s == VN_OK && d->bias) {
        int64_t bs[1] = {d->out};
        s = vn__layer_add_param(&d->base, "bias", 1, bs, false);
    }
    if (s != VN_OK) {
        vn__layer_destroy(&d->base);
        return s;
    }
    *out = &d->base;
    return VN_OK;
}
