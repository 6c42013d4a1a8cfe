/*
 * conv2d.c - 2-D convolution, PyTorch nn.Conv2d: y = W * x + b as a
 * cross-correlation with zero padding.
 *
 * Attributes: out (output channels, required), k (kernel, "3" or "3,5",
 * required), stride (1), pad (0; top / left), pad_end (default pad; bottom
 * / right, ONNX's asymmetric pads), dilation (1), groups (1; groups equal
 * to the input channels is depthwise), bias (1), init (torch; or he).
 *
 * Parameters: weight [out, C/groups, kh, kw] (OIHW), bias [out]; both
 * initialised U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in =
 * C/groups*kh*kw, which is PyTorch's kaiming_uniform_(a=sqrt(5)) default;
 * init=he: kaiming_uniform_(nonlinearity='relu') and a zero bias.
 *
 * The arithmetic is lib/kernels/conv.c (im2col + GEMM, with 1x1 and
 * depthwise paths).
 */
#include "nn/layers/layers.h"

typedef struct conv2d {
    vn__layer base;
    vn__conv_attrs a;
} conv2d;

static vn_status conv_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const conv2d *c = (const conv2d *)l;
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(l->who, &in[0]));
    if (in[0].d[0] % c->a.groups != 0)
        return vn__error(VN_ERR_SHAPE, "%s: input has %lld channels, not a multiple of groups=%d",
                         l->who, (long long)in[0].d[0], c->a.groups);
    int64_t oh = vn__window_out_size(in[0].d[1], c->a.k[0], c->a.stride[0], c->a.pad[0], c->a.pad_end[0],
                                     c->a.dilation[0], false);
    int64_t ow = vn__window_out_size(in[0].d[2], c->a.k[1], c->a.stride[1], c->a.pad[1], c->a.pad_end[1],
                                     c->a.dilation[1], false);
    if (oh <= 0 || ow <= 0)
        return vn__error(VN_ERR_SHAPE,
                         "%s: a %dx%d kernel (dilation %d,%d, padding %d,%d) does not fit a "
                         "%lldx%lld input",
                         l->who, c->a.k[0], c->a.k[1], c->a.dilation[0], c->a.dilation[1], c->a.pad[0],
                         c->a.pad[1], (long long)in[0].d[1], (long long)in[0].d[2]);
    out->ndim = 3;
    out->d[0] = c->a.out;
    out->d[1] = oh;
    out->d[2] = ow;
    return VN_OK;
}

static vn__conv_geom geometry(const conv2d *c, const vn_tensor *x, const vn_tensor *y)
{
    vn__conv_geom g = {
        .n = x->shape[0], .c = x->shape[1], .h = x->shape[2], .w = x->shape[3],
        .k = y->shape[1], .oh = y->shape[2], .ow = y->shape[3],
        .kh = c->a.k[0], .kw = c->a.k[1], .sh = c->a.stride[0], .sw = c->a.stride[1],
        .ph = c->a.pad[0], .pw = c->a.pad[1], .dh = c->a.dilation[0], .dw = c->a.dilation[1],
        .groups = c->a.groups,
    };
    return g;
}

static vn_status conv_forward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    (void)nin;
    const conv2d *c = (const conv2d *)l;
    vn__conv_geom g = geometry(c, in[0], out);
    vn_status s = vn__conv2d_forward(&g, vn__cf32(in[0]), vn__cf32(l->params[0].value),
                                     c->a.bias ? vn__cf32(l->params[1].value) : NULL, vn__f32(out));
    return s == VN_OK ? s : vn__error_prefix(s, l->who);
}

bool vn__layer_is_conv2d(const vn__layer *l)
{
    return l->ops->forward == conv_forward;
}

vn_status vn__conv2d_forward_relu_layer(vn__layer *l, const vn_tensor *x, vn_tensor *out,
                                        vn_tensor *relu_out)
{
    const conv2d *c = (const conv2d *)l;
    vn__conv_geom g = geometry(c, x, out);
    vn_status s = vn__conv2d_forward_relu(&g, vn__cf32(x), vn__cf32(l->params[0].value),
                                          c->a.bias ? vn__cf32(l->params[1].value) : NULL,
                                          vn__f32(out), vn__f32(relu_out));
    return s == VN_OK ? s : vn__error_prefix(s, l->who);
}

bool vn__conv2d_relu_pool_fusable_layer(const vn__layer *l, const vn_tensor *x,
                                        const vn_tensor *out)
{
    if (l->ops->forward != conv_forward || x->dtype != VN_F32 || x->ndim != 4 ||
        out->ndim != 4)
        return false;
    vn__conv_geom g = geometry((const conv2d *)l, x, out);
    return vn__conv2d_relu_pool_fusable(&g);
}

vn_status vn__conv2d_forward_relu_pool_layer(vn__layer *l, vn__layer *pool, const vn__run *run,
                                             const vn_tensor *x, const vn_tensor *out,
                                             vn_tensor *pooled)
{
    const conv2d *c = (const conv2d *)l;
    vn__conv_geom g = geometry(c, x, out);
    vn__pool_geom pg;
    int32_t *argmax;
    VN_TRY(vn__max_pool2d_prepare(pool, run, out, pooled, &pg, &argmax));
    vn_status s = vn__conv2d_forward_relu_pool(&g, vn__cf32(x), vn__cf32(l->params[0].value),
                                               c->a.bias ? vn__cf32(l->params[1].value) : NULL,
                                               &pg, vn__f32(pooled), argmax);
    return s == VN_OK ? s : vn__error_prefix(s, l->who);
}

bool vn__conv2d_relu_pool_grad_fusable_layer(const vn__layer *l, const vn__layer *pool,
                                             const vn_tensor *x, const vn_tensor *out,
                                             const vn_tensor *pooled)
{
    if (l->ops->forward != conv_forward || x->ndim != 4 || out->ndim != 4 || pooled->ndim != 4 ||
        !vn__conv_relu_pool_grad_vectorised())
        return false;
    vn__conv_geom g = geometry((const conv2d *)l, x, out);
    vn__pool_geom pg;
    const int32_t *am = NULL;
    return vn__max_pool2d_peek(pool, out, pooled, &pg, &am) &&
           vn__conv_relu_pool_grad_fusable(&g, &pg);
}

vn_status vn__conv2d_relu_pool_backward_layer(vn__layer *l, const vn__layer *pool,
                                              const vn_tensor *x, const vn_tensor *out,
                                              const vn_tensor *pooled, const vn_tensor *dpooled)
{
    const conv2d *c = (const conv2d *)l;
    vn__conv_geom g = geometry(c, x, out);
    vn__pool_geom pg;
    const int32_t *am = NULL;
    VN_TRY(vn__max_pool2d_saved(pool, out, pooled, &pg, &am));
    vn_status s = vn__conv2d_relu_pool_backward_weight(
        &g, &pg, vn__cf32(x), vn__cf32(dpooled), am, vn__cf32(pooled),
        vn__f32(l->params[0].grad), c->a.bias ? vn__f32(l->params[1].grad) : NULL);
    return s == VN_OK ? s : vn__error_prefix(s, l->who);
}

static vn_status conv_backward(vn__layer *l, const vn__run *run, int nin,
                               const vn_tensor *const *in, const vn_tensor *out,
                               const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    const conv2d *c = (const conv2d *)l;
    vn__conv_geom g = geometry(c, in[0], out);
    vn_status s = VN_OK;
    if (din[0])
        s = vn__conv2d_backward_data(&g, vn__cf32(dout), vn__cf32(l->params[0].value),
                                     vn__f32(din[0]));
    if (s == VN_OK && param_grads) {
        s = vn__conv2d_backward_weight(&g, vn__cf32(in[0]), vn__cf32(dout),
                                       vn__f32(l->params[0].grad));
        if (c->a.bias)
            vn__sum_outer_inner(vn__cf32(dout), g.n, g.k, g.oh * g.ow, vn__f32(l->params[1].grad));
    }
    return s == VN_OK ? s : vn__error_prefix(s, l->who);
}

static void conv_attrs(const vn__layer *l, vn__strbuf *sb)
{
    vn__conv_attrs_write(&((const conv2d *)l)->a, NULL, sb);
    vn__layer_write_init(l, sb);
}

static int64_t conv_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)nin;
    const conv2d *c = (const conv2d *)l;
    int64_t macs = vn__shape_count(out) * (in[0].d[0] / c->a.groups) * c->a.k[0] * c->a.k[1];
    return 2 * macs + (c->a.bias ? vn__shape_count(out) : 0);
}

static const vn__layer_ops conv2d_ops = {
    .type = "conv2d",
    .output_shape = conv_shape,
    .forward = conv_forward,
    .backward = conv_backward,
    .init = vn__layer_init_fan_in,
    .attrs = conv_attrs,
    .flops = conv_flops,
};


vn_status vn__conv2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    conv2d *c = (conv2d *)vn__layer_alloc(sizeof *c, &conv2d_ops, a->who);
    if (!c)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = vn__conv_attrs_read(a, &c->a);
    if (s == VN_OK)
        s = vn__layer_read_init(a, &c->base);
    if (s == VN_OK)
        s = conv_shape(&c->base, nin, in, &os);
    if (s == VN_OK) {
        int64_t ws[4] = {c->a.out, in[0].d[0] / c->a.groups, c->a.k[0], c->a.k[1]};
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
