/*
 * conv_transpose2d.c - transposed 2-D convolution, PyTorch
 * nn.ConvTranspose2d: each input pixel scatters x[ci, i, j] * W[ci, :, :, :]
 * onto output rows i*stride - pad + ki*dilation (and columns likewise).
 * It is the adjoint of conv2d, so it runs on conv2d's kernels with the
 * roles exchanged: forward = conv2d's input gradient, input gradient =
 * conv2d's forward, weight gradient = conv2d's weight gradient with x and
 * dy swapped.
 *
 * Attributes: out (required), k (required), stride (1), pad (0; rows /
 * columns cut from the top / left), pad_end (default pad; cut from the
 * bottom / right, ONNX's asymmetric pads), output_pad (0; extra rows /
 * columns at the bottom / right, smaller than the stride or the dilation),
 * dilation (1), groups (1), bias (1), init (torch; or he, see conv2d.c).
 * Output size (H-1)*stride - pad - pad_end + dilation*(k-1) + output_pad + 1.
 *
 * Parameters: weight [C, out/groups, kh, kw] (PyTorch's layout), bias [out];
 * initialised like PyTorch, U(+-1/sqrt(fan_in)) with fan_in =
 * out/groups*kh*kw (PyTorch computes the fan from the weight's second
 * dimension, whatever the layer's direction).
 */
#include "nn/layers/layers.h"

typedef struct convt {
    vn__layer base;
    vn__conv_attrs a;
    int opad[2];
} convt;

static vn_status convt_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const convt *c = (const convt *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(l->who, &in[0]));
    if (in[0].d[0] % c->a.groups != 0)
        return vn__error(VN_ERR_SHAPE, "%s: input has %lld channels, not a multiple of groups=%d",
                         l->who, (long long)in[0].d[0], c->a.groups);
    int64_t size[2];
    for (int a = 0; a < 2; a++)
        size[a] = (in[0].d[1 + a] - 1) * c->a.stride[a] - (int64_t)c->a.pad[a] - c->a.pad_end[a] +
                  (int64_t)c->a.dilation[a] * (c->a.k[a] - 1) + c->opad[a] + 1;
    if (size[0] <= 0 || size[1] <= 0)
        return vn__error(VN_ERR_SHAPE, "%s: padding %d,%d leaves no output for a %lldx%lld input",
                         l->who, c->a.pad[0], c->a.pad[1], (long long)in[0].d[1],
                         (long long)in[0].d[2]);
    out->ndim = 3;
    out->d[0] = c->a.out;
    out->d[1] = size[0];
    out->d[2] = size[1];
    return VN_OK;
}

/* The conv2d whose input gradient this layer's forward is: its input is our
 * output, its output our input. */
static vn__conv_geom geometry(const convt *c, const vn_tensor *x, const vn_tensor *y)
{
    vn__conv_geom g = {
        .n = x->shape[0], .c = y->shape[1], .h = y->shape[2], .w = y->shape[3],
        .k = x->shape[1], .oh = x->shape[2], .ow = x->shape[3],
        .kh = c->a.k[0], .kw = c->a.k[1], .sh = c->a.stride[0], .sw = c->a.stride[1],
        .ph = c->a.pad[0], .pw = c->a.pad[1], .dh = c->a.dilation[0], .dw = c->a.dilation[1],
        .groups = c->a.groups,
    };
    return g;
}

static vn_status convt_forward(vn__layer *l, const vn__run *run, int nin,
                               const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    (void)nin;
    const convt *c = (const convt *)l;
    vn__conv_geom g = geometry(c, in[0], out);
    vn_status s = vn__conv2d_backward_data(&g, vn__cf32(in[0]), vn__cf32(l->params[0].value),
                                           vn__f32(out));
    if (s != VN_OK)
        return vn__error_prefix(s, l->who);
    if (c->a.bias)
        vn__add_bias(vn__f32(out), g.n, g.c, g.h * g.w, vn__cf32(l->params[1].value));
    return VN_OK;
}

static vn_status convt_backward(vn__layer *l, const vn__run *run, int nin,
                                const vn_tensor *const *in, const vn_tensor *out,
                                const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    const convt *c = (const convt *)l;
    vn__conv_geom g = geometry(c, in[0], out);
    vn_status s = VN_OK;
    if (din[0])
        s = vn__conv2d_forward(&g, vn__cf32(dout), vn__cf32(l->params[0].value), NULL,
                               vn__f32(din[0]));
    if (s == VN_OK && param_grads) {
        s = vn__conv2d_backward_weight(&g, vn__cf32(dout), vn__cf32(in[0]),
                                       vn__f32(l->params[0].grad));
        if (c->a.bias)
            vn__sum_outer_inner(vn__cf32(dout), g.n, g.c, g.h * g.w, vn__f32(l->params[1].grad));
    }
    return s == VN_OK ? s : vn__error_prefix(s, l->who);
}

static void convt_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const convt *c = (const convt *)l;
    vn__conv_attrs_write(&c->a, c->opad, sb);
    vn__layer_write_init(l, sb);
}

static int64_t convt_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)nin;
    const convt *c = (const convt *)l;
    int64_t macs = vn__shape_count(&in[0]) * (c->a.out / c->a.groups) * c->a.k[0] * c->a.k[1];
    return 2 * macs + (c->a.bias ? vn__shape_count(out) : 0);
}

static const vn__layer_ops conv_transpose2d_ops = {
    .type = "conv_transpose2d",
    .output_shape = convt_shape,
    .forward = convt_forward,
    .backward = convt_backward,
    .init = vn__layer_init_fan_in,
    .attrs = convt_attrs,
    .flops = convt_flops,
};

static vn_status convt_read(convt *c, vn__attrs *a)
{
    VN_TRY(vn__conv_attrs_read(a, &c->a));
    VN_TRY(vn__layer_read_init(a, &c->base));
    VN_TRY(vn__attr_pair(a, "output_pad", false, 0, 0, 1 << 12, c->opad));
    for (int i = 0; i < 2; i++)
        if (c->opad[i] >= c->a.stride[i] && c->opad[i] >= c->a.dilation[i])
            return vn__error(VN_ERR_INVALID_ARG,
                             "%s: output_pad=%d must be smaller than the stride (%d) or the "
                             "dilation (%d)",
                             a->who, c->opad[i], c->a.stride[i], c->a.dilation[i]);
    return VN_OK;
}

vn_status vn__conv_transpose2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    convt *c = (convt *)vn__layer_alloc(sizeof *c, &conv_transpose2d_ops, a->who);
    if (!c)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = convt_read(c, a);
    if (s == VN_OK)
        s = convt_shape(&c->base, nin, in, &os);
    if (s == VN_OK) {
        int64_t ws[4] = {in[0].d[0], c->a.out / c->a.groups, c->a.k[0], c->a.k[1]};
        s = vn__layer_add_param(&c->base, "weight", 4, ws, false);
    }
    if (s == VN_OK && c->a.bias) {
        int64_t bs[1] = {c->a.out};
        s = vn__layer_add_param(&c->base, "bias", 1, bs, false);
    }
    if (s != VN_OK) {
        vn__layer_destroy(&c->base);
        return s;
    }
    *out = &c->base;
    return VN_OK;
}
