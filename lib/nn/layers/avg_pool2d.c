/*
 * avg_pool2d.c - average pooling, PyTorch nn.AvgPool2d / ONNX AveragePool:
 * zero padding; the divisor with count_include_pad=1 (PyTorch's default)
 * is the window clipped to the padded image (explicit padding counts, the
 * ceil_mode overhang past it never does), else the number of cells inside
 * the image.
 *
 * Attributes: k (required), stride (default k), pad (0, smaller than the
 * window; top / left), pad_end (default pad; bottom / right, smaller than
 * the window), count_include_pad (1), ceil_mode (0; 1 rounds the output
 * size up, the last window starting inside the input or the leading
 * padding).
 */
#include "nn/layers/layers.h"

typedef struct avg_pool {
    vn__layer base;
    vn__window win;
    bool include_pad;
} avg_pool;

static vn_status ap_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    const avg_pool *p = (const avg_pool *)l;
    return vn__layer_window_shape(l->who, nin, in, &p->win, out);
}

static void geom(const avg_pool *p, const vn_tensor *x, const vn_tensor *y, vn__pool_geom *g)
{
    vn__layer_pool_geom(g, x, y, &p->win);
    g->count_include_pad = p->include_pad;
}

static vn_status ap_forward(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                            vn_tensor *out)
{
    (void)run;
    (void)nin;
    vn__pool_geom g;
    geom((const avg_pool *)l, in[0], out, &g);
    vn__avg_pool_forward(&g, vn__cf32(in[0]), vn__f32(out));
    return VN_OK;
}

static vn_status ap_backward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, const vn_tensor *out,
                             const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)param_grads;
    if (!din[0])
        return VN_OK;
    vn__pool_geom g;
    geom((const avg_pool *)l, in[0], out, &g);
    vn__avg_pool_backward(&g, vn__cf32(dout), vn__f32(din[0]));
    return VN_OK;
}

static void ap_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const avg_pool *p = (const avg_pool *)l;
    vn__strbuf_pair(sb, "k", p->win.k);
    vn__strbuf_pair(sb, "stride", p->win.stride);
    vn__strbuf_pair(sb, "pad", p->win.pad);
    if (p->win.pad_end[0] != p->win.pad[0] || p->win.pad_end[1] != p->win.pad[1])
        vn__strbuf_pair(sb, "pad_end", p->win.pad_end);
    vn__strbuf_printf(sb, " count_include_pad=%d", p->include_pad ? 1 : 0);
    if (p->win.ceil_mode)
        vn__strbuf_printf(sb, " ceil_mode=1");
}

static int64_t ap_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out)
{
    (void)nin;
    (void)in;
    const avg_pool *p = (const avg_pool *)l;
    return vn__shape_count(out) * p->win.k[0] * p->win.k[1];
}

static const vn__layer_ops avg_pool2d_ops = {
    .type = "avg_pool2d",
    .output_shape = ap_shape,
    .forward = ap_forward,
    .backward = ap_backward,
    .attrs = ap_attrs,
    .flops = ap_flops,
};

vn_status vn__avg_pool2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    avg_pool *p = (avg_pool *)vn__layer_alloc(sizeof *p, &avg_pool2d_ops, a->who);
    if (!p)
        return VN_ERR_NOMEM;
    vn__shape os;
    vn_status s = vn__layer_read_window(a, &p->win, false);
    if (s == VN_OK)
        s = vn__attr_bool(a, "count_include_pad", true, &p->include_pad);
    if (s == VN_OK)
        s = ap_shape(&p->base, nin, in, &os);
    if (s != VN_OK) {
        vn__layer_destroy(&p->base);
        return s;
    }
    *out = &p->base;
    return VN_OK;
}
