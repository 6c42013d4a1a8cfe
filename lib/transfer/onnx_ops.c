/*
 * onnx_ops.c - ONNX import, the operators that become layers
 * (docs/onnx.md has the table): each op_* reads its node's attributes,
 * refuses what it cannot map with VN_ERR_UNSUPPORTED naming it, appends
 * the layers with vn__onnx_emit() and copies constant inputs into their
 * parameters.
 */
#include "core/vn_internal.h"

#if VN_HAVE_ONNX

#include "transfer/onnx_graph.h"

/* ---- runtime operators ------------------------------------------------------------ */

/* The runtime input 0 and its ONNX shape. */
static vn_status run_in(imp *I, val **x, int64_t *s, int *r)
{
    VN_TRY(vn__onnx_need_run(I, 0, x));
    *r = vn__onnx_run_shape(I, *x, s);
    return VN_OK;
}

/* Alias output 0 to runtime value x (Identity and friends). */
static vn_status alias(imp *I, const val *x)
{
    return vn__onnx_out_run(I, 0, x->node, x->rank);
}

/* Spatial ops work on [N, C, H, W] batch-first tensors only. */
static vn_status need_nchw(imp *I, int r)
{
    if (I->off != 0)
        return UNSUP("needs a batch-first [N, C, H, W] input");
    if (r == 3)
        return UNSUP("1-D (rank 3) input is not supported, only 2-D [N, C, H, W]");
    if (r == 5)
        return UNSUP("3-D (rank 5) input is not supported, only 2-D [N, C, H, W]");
    if (r != 4)
        return UNSUP("input of rank %d is not supported, only [N, C, H, W]", r);
    return VN_OK;
}

/* Spatial input: [N, C, H, W], or [N, C, L] lifted to [N, C, 1, L] by a
 * reshape node (then *x points at x2 and the op reads its attributes as
 * 1-D; out_spatial() reshapes the result back). */
static vn_status spatial_in(imp *I, val **x, int64_t *s, int *r, val *x2)
{
    if (I->off == 0 && *r == 3) {
        int node;
        VN_TRY(vn__onnx_emit(I, &node, "reshape", "to2d", vn__onnx_node_name_of(I, (*x)->node),
                             "shape=%lld,1,%lld", (long long)s[1], (long long)s[2]));
        *x2 = **x;
        x2->node = node;
        x2->rank = 4;
        *x = x2;
        s[3] = s[2];
        s[2] = 1;
        *r = 4;
        I->lift = true;
        return VN_OK;
    }
    if (I->off == 0 && *r == 2 && strcmp(I->nd->op_type, "BatchNormalization") == 0) {
        /* BatchNorm1d on features [N, C]: run on [N, C, 1, 1] */
        int node;
        VN_TRY(vn__onnx_emit(I, &node, "reshape", "to2d", vn__onnx_node_name_of(I, (*x)->node),
                             "shape=%lld,1,1", (long long)s[1]));
        *x2 = **x;
        x2->node = node;
        x2->rank = 4;
        *x = x2;
        s[2] = s[3] = 1;
        *r = 4;
        I->lift_flat = true;
        return VN_OK;
    }
    return need_nchw(I, *r);
}

static vn_status out_spatial(imp *I, int node)
{
    if (I->lift_flat) {
        int back;
        VN_TRY(vn__onnx_emit(I, &back, "flatten", "to1d", vn_model_node_name(I->m, node), " "));
        return vn__onnx_out_run(I, 0, back, 2);
    }
    if (!I->lift)
        return vn__onnx_out_run(I, 0, node, 4);
    int64_t ps[VN_MAX_DIMS];
    int nd = 0;
    vn_model_node_shape(I->m, node, ps, &nd);
    int back;
    VN_TRY(vn__onnx_emit(I, &back, "reshape", "to1d", vn_model_node_name(I->m, node),
                         "shape=%lld,%lld", (long long)ps[0], (long long)ps[2]));
    return vn__onnx_out_run(I, 0, back, 3);
}

/* A two-entry spatial attribute (default def). */
static vn_status pair_attr(imp *I, const char *name, int64_t def, int64_t lo, int64_t out[2])
{
    int64_t v[VN_MAX_DIMS + 1];
    int n = vn__onnx_attr_ints(I->nd, name, v, VN_MAX_DIMS);
    if (n < 0) {
        out[0] = out[1] = def;
        return VN_OK;
    }
    if (I->lift && n == 1) {
        v[1] = v[0];
        v[0] = strcmp(name, "output_padding") == 0 ? 0 : 1;
        n = 2;
    }
    if (n != 2)
        return UNSUP("attribute %s has %d entries (2-D only)", name, n);
    for (int k = 0; k < 2; k++) {
        if (v[k] < lo || v[k] > 4096)
            return UNSUP("attribute %s=%lld is not supported", name, (long long)v[k]);
        out[k] = v[k];
    }
    return VN_OK;
}

/* Padding of a window op: pads t, l, b, r from pads / auto_pad. */
static vn_status window_pads(imp *I, const int64_t *in_hw, const int64_t *keff,
                             const int64_t *stride, int64_t p[4])
{
    char buf[32];
    const char *ap = vn__onnx_attr_s(I->nd, "auto_pad", "NOTSET", buf, sizeof buf);
    if (strcmp(ap, "NOTSET") == 0) {
        int64_t v[VN_MAX_DIMS + 1];
        int n = vn__onnx_attr_ints(I->nd, "pads", v, VN_MAX_DIMS);
        if (n < 0) {
            p[0] = p[1] = p[2] = p[3] = 0;
            return VN_OK;
        }
        if (I->lift && n == 2) {
            int64_t b = v[0], e = v[1];
            v[0] = 0, v[1] = b, v[2] = 0, v[3] = e;
            n = 4;
        }
        if (n != 4)
            return UNSUP("attribute pads has %d entries (2-D only)", n);
        for (int k = 0; k < 4; k++) {
            if (v[k] < 0 || v[k] > 4096)
                return UNSUP("attribute pads=%lld is not supported", (long long)v[k]);
            p[k] = v[k];
        }
        return VN_OK;
    }
    if (strcmp(ap, "VALID") == 0) {
        p[0] = p[1] = p[2] = p[3] = 0;
        return VN_OK;
    }
    bool upper = strcmp(ap, "SAME_UPPER") == 0;
    if (!upper && strcmp(ap, "SAME_LOWER") != 0)
        return UNSUP("attribute auto_pad=%s is not supported", ap);
    for (int d = 0; d < 2; d++) {
        int64_t o = (in_hw[d] + stride[d] - 1) / stride[d];
        int64_t total = (o - 1) * stride[d] + keff[d] - in_hw[d];
        if (total < 0)
            total = 0;
        int64_t small = total / 2, big = total - small;
        p[d] = upper ? small : big;
        p[d + 2] = upper ? big : small;
    }
    return VN_OK;
}

/* " pad=t,l[ pad_end=b,r]" */
static void pad_words(char *buf, size_t n, const int64_t p[4])
{
    int k = snprintf(buf, n, "pad=%lld,%lld", (long long)p[0], (long long)p[1]);
    if (p[2] != p[0] || p[3] != p[1])
        snprintf(buf + k, n - (size_t)k, " pad_end=%lld,%lld", (long long)p[2], (long long)p[3]);
}

/* What Conv and ConvTranspose read alike: the runtime input ([N, C, L]
 * lifted to 2-D by spatial_in), one output, the constant weight W (rank 4,
 * or 3 when lifted) and the optional constant bias B, the group count and
 * the kernel size from W's shape. x may point at x2. */
typedef struct conv_args {
    val *x, x2;
    int64_t s[VN_MAX_DIMS];
    int r;
    cval *w, *b;
    int64_t g, k[2];
} conv_args;

static vn_status conv_inputs(imp *I, const char *const *known, conv_args *c)
{
    c->b = NULL;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &c->x, c->s, &c->r));
    VN_TRY(spatial_in(I, &c->x, c->s, &c->r, &c->x2));
    VN_TRY(vn__onnx_one_output(I));
    VN_TRY(vn__onnx_need_const(I, 1, "W", &c->w));
    if (vn__onnx_in_val(I, 2))
        VN_TRY(vn__onnx_need_const(I, 2, "B", &c->b));
    if (c->w->ndim != (I->lift ? 3 : 4) || c->w->is_int)
        return UNSUP("weight of rank %d (float rank %d expected)", c->w->ndim, I->lift ? 3 : 4);
    c->g = vn__onnx_attr_i(I->nd, "group", 1);
    if (c->g < 1 || c->g > (1 << 20))
        return UNSUP("attribute group=%lld is not supported", (long long)c->g);
    c->k[0] = I->lift ? 1 : c->w->shape[2];
    c->k[1] = c->w->shape[I->lift ? 2 : 3];
    return VN_OK;
}

/* kernel_shape (which must match W), strides and dilations. */
static vn_status conv_window(imp *I, const conv_args *c, int64_t st[2], int64_t dl[2])
{
    int64_t ks[2] = {0, 0};
    VN_TRY(pair_attr(I, "kernel_shape", c->k[0], 1, ks));
    if (vn__onnx_attr(I->nd, "kernel_shape") && (ks[0] != c->k[0] || ks[1] != c->k[1]))
        return BADF("kernel_shape does not match the weight");
    VN_TRY(pair_attr(I, "strides", 1, 1, st));
    return pair_attr(I, "dilations", 1, 1, dl);
}

/* The layer (conv2d or conv_transpose2d) of O output channels with the
 * padding words pads, after checking B against O; W and B become its
 * parameters. */
static vn_status conv_emit(imp *I, const conv_args *c, const char *type, int64_t O,
                           const int64_t st[2], const char *pads, const int64_t dl[2])
{
    if (c->b && (c->b->ndim != 1 || c->b->shape[0] != O))
        return BADF("bias shape does not match %lld output channels", (long long)O);
    int node;
    VN_TRY(vn__onnx_emit(
        I, &node, type, NULL, vn__onnx_node_name_of(I, c->x->node),
        "out=%lld k=%lld,%lld stride=%lld,%lld %s dilation=%lld,%lld groups=%lld bias=%d",
        (long long)O, (long long)c->k[0], (long long)c->k[1], (long long)st[0], (long long)st[1],
        pads, (long long)dl[0], (long long)dl[1], (long long)c->g, c->b ? 1 : 0));
    VN_TRY(vn__onnx_set_param(I, node, "weight", c->w->f, c->w->n));
    if (c->b)
        VN_TRY(vn__onnx_set_param(I, node, "bias", c->b->f, c->b->n));
    return out_spatial(I, node);
}

static vn_status op_conv(imp *I)
{
    static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape",
                                        "pads",     "strides",   NULL};
    conv_args c;
    VN_TRY(conv_inputs(I, known, &c));
    const int64_t O = c.w->shape[0];
    if (O % c.g || c.w->shape[1] * c.g != c.s[1])
        return BADF("weight shape does not fit %lld input channels in %lld groups",
                    (long long)c.s[1], (long long)c.g);
    int64_t st[2], dl[2], p[4];
    VN_TRY(conv_window(I, &c, st, dl));
    int64_t keff[2] = {(c.k[0] - 1) * dl[0] + 1, (c.k[1] - 1) * dl[1] + 1};
    VN_TRY(window_pads(I, c.s + 2, keff, st, p));
    char pw[96];
    pad_words(pw, sizeof pw, p);
    return conv_emit(I, &c, "conv2d", O, st, pw, dl);
}

static vn_status op_conv_transpose(imp *I)
{
    static const char *const known[] = {"auto_pad",     "dilations",      "group",
                                        "kernel_shape", "output_padding", "output_shape",
                                        "pads",         "strides",        NULL};
    conv_args c;
    VN_TRY(conv_inputs(I, known, &c));
    const int64_t *s = c.s, *k = c.k;
    if (c.w->shape[0] != s[1] || s[1] % c.g)
        return BADF("weight shape does not fit %lld input channels", (long long)s[1]);
    const int64_t O = c.w->shape[1] * c.g;
    int64_t st[2], dl[2], op[2];
    VN_TRY(conv_window(I, &c, st, dl));
    VN_TRY(pair_attr(I, "output_padding", 0, 0, op));
    int64_t pb[2], pe[2];
    char buf[32];
    const char *ap = vn__onnx_attr_s(I->nd, "auto_pad", "NOTSET", buf, sizeof buf);
    int64_t os[VN_MAX_DIMS + 1];
    int nos = vn__onnx_attr_ints(I->nd, "output_shape", os, VN_MAX_DIMS);
    bool same = strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0;
    if (!same && strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0)
        return UNSUP("attribute auto_pad=%s is not supported", ap);
    if (nos >= 0 || same) {
        if (nos >= 0 && nos != 2 && nos != 4 && !(I->lift && (nos == 1 || nos == 3)))
            return UNSUP("attribute output_shape has %d entries (2-D only)", nos);
        for (int d = 0; d < 2; d++) {
            int64_t want = nos < 0   ? s[2 + d] * st[d]
                           : I->lift ? (d ? os[nos - 1] : 1)
                                     : os[nos - 2 + d];
            int64_t total = st[d] * (s[2 + d] - 1) + op[d] + (k[d] - 1) * dl[d] + 1 - want;
            /* ONNX's rule with floor division: a negative total becomes a
             * negative end padding, i.e. extra output padding */
            int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
            bool upper = strcmp(ap, "SAME_UPPER") == 0;
            pb[d] = upper ? half : total - half;
            pe[d] = total - pb[d];
            if (pb[d] < 0)
                return UNSUP("output_shape %lld needs a negative padding", (long long)want);
        }
    } else if (strcmp(ap, "VALID") == 0) {
        pb[0] = pb[1] = pe[0] = pe[1] = 0;
    } else {
        int64_t p[4];
        int64_t keff[2] = {0, 0};
        VN_TRY(window_pads(I, s + 2, keff, st, p));
        pb[0] = p[0], pb[1] = p[1], pe[0] = p[2], pe[1] = p[3];
    }
    /* Uneven padding folds into output_pad when it is the end that is smaller. */
    int64_t opad[2];
    bool need_end = false;
    for (int d = 0; d < 2; d++) {
        opad[d] = op[d] + pb[d] - pe[d];
        if (opad[d] < 0 || (pb[d] != pe[d] && opad[d] >= (st[d] > dl[d] ? st[d] : dl[d])))
            need_end = true;
    }
    char words[128];
    if (need_end)
        snprintf(words, sizeof words, "pad=%lld,%lld pad_end=%lld,%lld output_pad=%lld,%lld",
                 (long long)pb[0], (long long)pb[1], (long long)pe[0], (long long)pe[1],
                 (long long)op[0], (long long)op[1]);
    else
        snprintf(words, sizeof words, "pad=%lld,%lld output_pad=%lld,%lld", (long long)pb[0],
                 (long long)pb[1], (long long)opad[0], (long long)opad[1]);
    return conv_emit(I, &c, "conv_transpose2d", O, st, words, dl);
}

static vn_status op_pool(imp *I, bool max)
{
    static const char *const kmax[] = {"auto_pad", "ceil_mode",     "dilations", "kernel_shape",
                                       "pads",     "storage_order", "strides",   NULL};
    static const char *const kavg[] = {
        "auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides", NULL};
    val *x, x2;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, max ? kmax : kavg));
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(spatial_in(I, &x, s, &r, &x2));
    if (max && I->nd->n_output > 1 && I->nd->output[1][0])
        return UNSUP("output 'Indices' is not supported");
    VN_TRY(vn__onnx_one_output(I));
    int64_t k[2], st[2], dl[2] = {1, 1}, p[4];
    if (!vn__onnx_attr(I->nd, "kernel_shape"))
        return BADF("attribute kernel_shape is missing");
    VN_TRY(pair_attr(I, "kernel_shape", 1, 1, k));
    VN_TRY(pair_attr(I, "strides", 1, 1, st));
    if (max)
        VN_TRY(pair_attr(I, "dilations", 1, 1, dl));
    int64_t keff[2] = {(k[0] - 1) * dl[0] + 1, (k[1] - 1) * dl[1] + 1};
    VN_TRY(window_pads(I, s + 2, keff, st, p));
    char pw[96], extra[64] = "";
    pad_words(pw, sizeof pw, p);
    int64_t ceil_mode = vn__onnx_attr_i(I->nd, "ceil_mode", 0);
    if (ceil_mode)
        snprintf(extra, sizeof extra, " ceil_mode=1");
    int node;
    if (max) {
        VN_TRY(vn__onnx_emit(I, &node, "max_pool2d", NULL, vn__onnx_node_name_of(I, x->node),
                             "k=%lld,%lld stride=%lld,%lld %s dilation=%lld,%lld%s",
                             (long long)k[0], (long long)k[1], (long long)st[0], (long long)st[1],
                             pw, (long long)dl[0], (long long)dl[1], extra));
    } else {
        VN_TRY(vn__onnx_emit(I, &node, "avg_pool2d", NULL, vn__onnx_node_name_of(I, x->node),
                             "k=%lld,%lld stride=%lld,%lld %s count_include_pad=%d%s",
                             (long long)k[0], (long long)k[1], (long long)st[0], (long long)st[1],
                             pw, vn__onnx_attr_i(I->nd, "count_include_pad", 0) ? 1 : 0, extra));
    }
    return out_spatial(I, node);
}

static vn_status op_global_avg(imp *I)
{
    val *x, x2;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, NULL));
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(spatial_in(I, &x, s, &r, &x2));
    int node;
    VN_TRY(
        vn__onnx_emit(I, &node, "global_avg_pool", NULL, vn__onnx_node_name_of(I, x->node), " "));
    return out_spatial(I, node);
}

/* ReduceMean over the two spatial axes of [N, C, H, W] (PyTorch's
 * x.mean((2, 3)), which torchvision's MNASNet and many squeeze-excite
 * blocks export): global_avg_pool, flattened to [N, C] when keepdims is 0.
 * Means over other axes are refused. */
static vn_status op_reduce_mean(imp *I)
{
    static const char *const known[] = {"axes", "keepdims", "noop_with_empty_axes", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS], axes[VN_MAX_DIMS + 1];
    int r, na;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(need_nchw(I, r));
    VN_TRY(vn__onnx_get_axes(I, axes, &na));
    bool spatial[VN_MAX_DIMS] = {0};
    for (int k = 0; k < na; k++) {
        int a;
        VN_TRY(vn__onnx_norm_axis(I, axes[k], r, &a));
        spatial[a] = true;
    }
    if (na < 1 || spatial[0] || spatial[1] || !spatial[2] || !spatial[3])
        return UNSUP("a mean over axes other than the spatial ones (2, 3) is not supported");
    int node;
    VN_TRY(
        vn__onnx_emit(I, &node, "global_avg_pool", NULL, vn__onnx_node_name_of(I, x->node), " "));
    if (vn__onnx_attr_i(I->nd, "keepdims", 1))
        return vn__onnx_out_run(I, 0, node, 4);
    int flat;
    VN_TRY(vn__onnx_emit(I, &flat, "flatten", "flat", vn_model_node_name(I->m, node), " "));
    return vn__onnx_out_run(I, 0, flat, 2);
}

static vn_status op_batchnorm(imp *I)
{
    static const char *const known[] = {"epsilon", "momentum", "spatial", "training_mode", NULL};
    val *x, x2;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, known));
    if (vn__onnx_attr_i(I->nd, "training_mode", 0) != 0)
        return UNSUP("attribute training_mode=1 is not supported (inference form only)");
    if (vn__onnx_attr_i(I->nd, "spatial", 1) != 1)
        return UNSUP("attribute spatial=0 is not supported");
    for (size_t k = 1; k < I->nd->n_output; k++)
        if (I->nd->output[k][0])
            return UNSUP("training outputs (running statistics) are not supported");
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(spatial_in(I, &x, s, &r, &x2));
    cval *c[4];
    static const char *const what[] = {"scale", "B", "input_mean", "input_var"};
    static const char *const pn[] = {"weight", "bias", "running_mean", "running_var"};
    for (int k = 0; k < 4; k++) {
        VN_TRY(vn__onnx_need_const(I, k + 1, what[k], &c[k]));
        if (c[k]->ndim != 1 || c[k]->shape[0] != s[1] || c[k]->is_int)
            return BADF("%s does not have %lld float entries", what[k], (long long)s[1]);
    }
    float eps = vn__onnx_attr_f(I->nd, "epsilon", 1e-5f),
          mom = vn__onnx_attr_f(I->nd, "momentum", 0.9f);
    if (!(eps > 0 && eps < 1))
        return UNSUP("attribute epsilon=%g is not supported", eps);
    if (!(mom >= 0 && mom <= 1))
        mom = 0.9f;
    int node;
    VN_TRY(vn__onnx_emit(I, &node, "batch_norm2d", NULL, vn__onnx_node_name_of(I, x->node),
                         "eps=%.9g momentum=%.9g", eps, 1.0 - mom));
    for (int k = 0; k < 4; k++)
        VN_TRY(vn__onnx_set_param(I, node, pn[k], c[k]->f, c[k]->n));
    return out_spatial(I, node);
}

/* Element-wise unary ops that map onto one layer. */
static vn_status op_unary(imp *I, const char *type, const char *words, const char *const *known)
{
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(vn__onnx_one_output(I));
    int node;
    VN_TRY(vn__onnx_emit(I, &node, type, NULL, vn__onnx_node_name_of(I, x->node), "%s", words));
    return vn__onnx_out_run(I, 0, node, r);
}

static vn_status op_softmax(imp *I, bool log)
{
    static const char *const known[] = {"axis", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r, a;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(vn__onnx_norm_axis(I, vn__onnx_attr_i(I->nd, "axis", I->opset >= 13 ? -1 : 1), r, &a));
    if (I->opset < 13) {
        /* flatten-to-2-D semantics: one softmax over axes a..r-1; the same as a
         * softmax over one axis when at most one of them is not 1. */
        int t = -1, non1 = 0;
        for (int d = a; d < r; d++)
            if (s[d] != 1) {
                non1++;
                t = d;
            }
        if (non1 > 1)
            return UNSUP("axis=%d of a rank-%d input (opset %lld flattens axes %d.. into one) "
                         "is not supported",
                         a, r, (long long)I->opset, a);
        a = t >= 0 ? t : r - 1;
    }
    int dim;
    VN_TRY(vn__onnx_model_dim(I, a, &dim));
    char w[32];
    snprintf(w, sizeof w, "dim=%d", dim);
    return op_unary(I, log ? "log_softmax" : "softmax", w, known);
}

/* A runtime value reshaped to per-sample shape ps (alias when unchanged). */
static vn_status emit_reshape(imp *I, const val *x, const int64_t *ps, int nd, int rank)
{
    int64_t cur[VN_MAX_DIMS];
    int cn = 0;
    vn__onnx_run_ps(I, x, cur, &cn);
    int64_t n1 = 1, n2 = 1;
    for (int d = 0; d < cn; d++)
        n1 *= cur[d];
    for (int d = 0; d < nd; d++) {
        if (ps[d] < 1)
            return UNSUP("reshape to a shape with entry %lld is not supported", (long long)ps[d]);
        if (__builtin_mul_overflow(n2, ps[d], &n2))
            return BADF("target shape overflows");
    }
    if (n1 != n2)
        return BADF("reshape of %lld elements per sample into %lld", (long long)n1, (long long)n2);
    if (nd == cn && memcmp(ps, cur, (size_t)nd * sizeof *ps) == 0)
        return vn__onnx_out_run(I, 0, x->node, rank);
    int node;
    if (nd == 1) {
        VN_TRY(vn__onnx_emit(I, &node, "flatten", NULL, vn__onnx_node_name_of(I, x->node), " "));
    } else {
        char sh[256];
        vn__onnx_fmt_list(sh, sizeof sh, ps, nd);
        VN_TRY(vn__onnx_emit(I, &node, "reshape", NULL, vn__onnx_node_name_of(I, x->node),
                             "shape=%s", sh));
    }
    return vn__onnx_out_run(I, 0, node, rank);
}

/* ONNX target shape t (rank rt) of a runtime value -> per-sample shape. */
static vn_status target_ps(imp *I, const val *x, const int64_t *t, int rt, int64_t *ps, int *nd)
{
    int64_t cur[VN_MAX_DIMS];
    int cn = 0;
    vn__onnx_run_ps(I, x, cur, &cn);
    int64_t n = 1;
    for (int d = 0; d < cn; d++)
        n *= cur[d];
    int start = 0;
    if (I->off == 0) {
        if (rt < 1)
            return UNSUP("reshape to a scalar drops the batch axis");
        bool batch_ok =
            t[0] == BATCH_SYM || t[0] == -1 || (I->decl_batch > 0 && t[0] == I->decl_batch);
        if (!batch_ok)
            return UNSUP("target shape entry 0 is %lld, not the batch (0, -1 or the batch size)",
                         (long long)t[0]);
        start = 1;
    }
    *nd = rt - start;
    int neg = -1;
    int64_t known = 1;
    for (int d = start; d < rt; d++) {
        int64_t v = t[d];
        if (v == -1) {
            if (neg >= 0 || (start && t[0] == -1))
                return UNSUP("two unknown entries in the target shape");
            neg = d - start;
        } else if (v < 0) {
            return UNSUP("target shape entry %d depends on the batch size", d);
        } else if (__builtin_mul_overflow(known, v, &known)) {
            return BADF("target shape overflows");
        }
        ps[d - start] = v;
    }
    if (neg >= 0) {
        if (known == 0 || n % known)
            return BADF("cannot infer the -1 entry of the target shape");
        ps[neg] = n / known;
    } else if (start && known != n) {
        return UNSUP("target shape keeps %lld of %lld elements per sample: entry 0 is not the "
                     "batch",
                     (long long)known, (long long)n);
    }
    if (*nd == 0) {
        ps[0] = 1;
        *nd = 1;
    }
    return VN_OK;
}

static vn_status op_reshape(imp *I)
{
    static const char *const known[] = {"allowzero", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS], t[VN_MAX_DIMS], ps[VN_MAX_DIMS];
    int r, rt, nd;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    cval *sh;
    VN_TRY(vn__onnx_need_const(I, 1, "shape", &sh));
    VN_TRY(vn__onnx_reshape_target(I, sh, s, r, t, &rt));
    VN_TRY(target_ps(I, x, t, rt, ps, &nd));
    return emit_reshape(I, x, ps, nd, rt);
}

static vn_status op_flatten(imp *I)
{
    static const char *const known[] = {"axis", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    int64_t ax = vn__onnx_attr_i(I->nd, "axis", 1);
    if (ax < -r || ax > r)
        return BADF("axis %lld is out of range", (long long)ax);
    int a = (int)(ax < 0 ? ax + r : ax);
    int64_t t[2] = {1, 1}, ps[2];
    if (I->off == 0) {
        if (a == 0)
            return UNSUP("axis=0 folds the batch axis into the data (batch-first)");
        for (int d = 1; d < r; d++)
            t[d < a ? 0 : 1] *= s[d];
        if (a == 1)
            return emit_reshape(I, x, &t[1], 1, 2);
        /* ONNX gives [N * A, B] with A the product of axes 1..axis-1: only
         * A = 1 keeps the batch apart */
        if (t[0] != 1)
            return UNSUP("axis=%d merges the batch axis with axis 1 (batch-first)", a);
        return emit_reshape(I, x, &t[1], 1, 2);
    }
    for (int d = 0; d < r; d++)
        t[d < a ? 0 : 1] *= s[d];
    ps[0] = t[0];
    ps[1] = t[1];
    return emit_reshape(I, x, ps, 2, 2);
}

static vn_status op_squeeze(imp *I, bool unsq)
{
    static const char *const known[] = {"axes", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS], t[VN_MAX_DIMS], ps[VN_MAX_DIMS];
    int r, rt, nd;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(vn__onnx_squeeze_shape(I, unsq, s, r, t, &rt));
    if (I->off == 0 && (rt < 1 || t[0] != BATCH_SYM))
        return UNSUP("moves the batch axis (batch-first)");
    VN_TRY(target_ps(I, x, t, rt, ps, &nd));
    return emit_reshape(I, x, ps, nd, rt);
}

static vn_status op_dropout(imp *I)
{
    static const char *const known[] = {"ratio", "seed", "is_test", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, known));
    if (I->nd->n_output > 1 && I->nd->output[1][0])
        return UNSUP("output 'mask' is not supported");
    VN_TRY(run_in(I, &x, s, &r));
    float ratio = vn__onnx_attr_f(I->nd, "ratio", 0.5f);
    val *rv = vn__onnx_in_val(I, 1), *tv = vn__onnx_in_val(I, 2);
    if (rv) {
        if (rv->kind != V_CONST || rv->c.n != 1)
            return UNSUP("input 'ratio' must be a scalar constant");
        ratio = (float)vn__onnx_cval_get(&rv->c, 0);
    }
    if (tv) {
        if (tv->kind != V_CONST || tv->c.n != 1)
            return UNSUP("input 'training_mode' must be a scalar constant");
        if (vn__onnx_cval_get(&tv->c, 0) != 0)
            return UNSUP("training_mode=1 is not supported (inference form only)");
    }
    if (!(ratio >= 0 && ratio < 1))
        return UNSUP("ratio=%g is not supported", ratio);
    int node;
    VN_TRY(vn__onnx_emit(I, &node, "dropout", NULL, vn__onnx_node_name_of(I, x->node), "p=%.9g",
                         ratio));
    return vn__onnx_out_run(I, 0, node, r);
}

static vn_status op_cast(imp *I)
{
    static const char *const known[] = {"to", "saturate", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    int64_t to = vn__onnx_attr_i(I->nd, "to", 0);
    if (to != DT_FLOAT)
        return UNSUP("cast of a runtime tensor to data type %lld is not supported (float only)",
                     (long long)to);
    return alias(I, x);
}

static vn_status op_clip(imp *I)
{
    static const char *const known[] = {"min", "max", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    bool hmin = false, hmax = false;
    double mn = 0, mx = 0;
    const Onnx__AttributeProto *a;
    if ((a = vn__onnx_attr(I->nd, "min")) && a->has_f)
        hmin = true, mn = a->f;
    if ((a = vn__onnx_attr(I->nd, "max")) && a->has_f)
        hmax = true, mx = a->f;
    for (int k = 1; k <= 2; k++) {
        val *v = vn__onnx_in_val(I, k);
        if (!v)
            continue;
        if (v->kind != V_CONST || v->c.n != 1)
            return UNSUP("input '%s' must be a scalar constant", k == 1 ? "min" : "max");
        if (k == 1)
            hmin = true, mn = vn__onnx_cval_get(&v->c, 0);
        else
            hmax = true, mx = vn__onnx_cval_get(&v->c, 0);
    }
    if (hmin && !hmax && mn == 0)
        return op_unary(I, "relu", " ", known);
    if (!hmin && !hmax)
        return op_unary(I, "dropout", "p=0", known);
    char w[96] = "";
    int k = 0;
    if (hmin)
        k += snprintf(w + k, sizeof w - (size_t)k, "min=%.9g ", mn);
    if (hmax)
        snprintf(w + k, sizeof w - (size_t)k, "max=%.9g", mx);
    return op_unary(I, "clip", w, known);
}

static vn_status op_leaky(imp *I)
{
    static const char *const known[] = {"alpha", NULL};
    char w[48];
    snprintf(w, sizeof w, "slope=%.9g", vn__onnx_attr_f(I->nd, "alpha", 0.01f));
    return op_unary(I, "leaky_relu", w, known);
}

static vn_status op_gemm(imp *I)
{
    static const char *const known[] = {"alpha", "beta", "transA", "transB", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    if (r != 2)
        return BADF("input A has rank %d, not 2", r);
    if (vn__onnx_attr_i(I->nd, "transA", 0))
        return UNSUP("attribute transA=1 with a runtime A is not supported");
    val *bv = vn__onnx_in_val(I, 1);
    if (!bv)
        return BADF("input B is missing");
    if (bv->kind != V_CONST)
        return UNSUP("a runtime B is not supported");
    const cval *B = &bv->c;
    bool tb = vn__onnx_attr_i(I->nd, "transB", 0) != 0;
    float alpha = vn__onnx_attr_f(I->nd, "alpha", 1.0f),
          beta = vn__onnx_attr_f(I->nd, "beta", 1.0f);
    if (B->ndim != 2)
        return BADF("B has rank %d, not 2", B->ndim);
    int64_t K = tb ? B->shape[1] : B->shape[0], M = tb ? B->shape[0] : B->shape[1];
    if (K != s[1])
        return BADF("B does not fit A's %lld columns", (long long)s[1]);
    cval *C = NULL;
    val *crun = NULL;
    if (vn__onnx_in_val(I, 2) && vn__onnx_in_val(I, 2)->kind == V_RUN) {
        crun = vn__onnx_in_val(I, 2);
        if (beta != 1.0f)
            return UNSUP("a runtime C with beta=%g is not supported", beta);
        if (crun->rank != 2 && I->off == 0)
            return UNSUP("a runtime C of rank %d would broadcast over the batch axis", crun->rank);
    } else if (vn__onnx_in_val(I, 2)) {
        VN_TRY(vn__onnx_need_const(I, 2, "C", &C));
    }
    /* C broadcast over rows -> a bias; else added as a constant. */
    bool cvec = C && (C->n == 1 || C->n == M) &&
                (C->ndim <= 1 || (C->ndim == 2 && C->shape[0] == 1 && C->shape[1] == M));
    if (C && C->ndim == 2 && C->shape[1] == 1 && C->shape[0] == 1)
        cvec = true;
    if (C && !cvec && I->off == 0)
        return UNSUP("bias C of shape [%lld, %lld] spans the batch axis (batch-first)",
                     (long long)C->shape[0], (long long)(C->ndim > 1 ? C->shape[1] : 1));
    float *w = vn__malloc((size_t)(K * M) * sizeof(float));
    float *bias = vn__calloc((size_t)M, sizeof(float));
    if (!w || !bias) {
        vn__free(w);
        vn__free(bias);
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    }
    bool dense = I->off == 0;
    for (int64_t m = 0; m < M; m++)
        for (int64_t k = 0; k < K; k++) {
            float v = alpha * (float)vn__onnx_cval_get(B, tb ? m * K + k : k * M + m);
            if (dense)
                w[m * K + k] = v; /* dense: [M, K] */
            else
                w[k * M + m] = v; /* matmul: [K, M] */
        }
    if (cvec)
        for (int64_t m = 0; m < M; m++)
            bias[m] = beta * (float)vn__onnx_cval_get(C, C->n == 1 ? 0 : m);
    int node;
    vn_status st = dense
                       ? vn__onnx_emit(I, &node, "dense", NULL, vn__onnx_node_name_of(I, x->node),
                                       "out=%lld bias=%d", (long long)M, cvec ? 1 : 0)
                       : vn__onnx_emit(I, &node, "matmul", NULL, vn__onnx_node_name_of(I, x->node),
                                       "out=%lld bias=%d", (long long)M, cvec ? 1 : 0);
    if (st == VN_OK)
        st = vn__onnx_set_param(I, node, "weight", w, K * M);
    if (st == VN_OK && cvec)
        st = vn__onnx_set_param(I, node, "bias", bias, M);
    vn__free(w);
    vn__free(bias);
    VN_TRY(st);
    if (C && !cvec) {
        /* batch-none: + beta * C as a constant */
        cval sc;
        VN_TRY(vn__onnx_cval_alloc(&sc, false, C->ndim, C->shape, I->max_elems));
        for (int64_t k = 0; k < C->n; k++)
            sc.f[k] = beta * (float)vn__onnx_cval_get(C, k);
        int cn;
        st = vn__onnx_const_node(I, &sc, 2, &cn);
        vn__onnx_cval_free(&sc);
        VN_TRY(st);
        char ins[2 * MAX_NODE_NAME + 4];
        snprintf(ins, sizeof ins, "%s,%s", vn_model_node_name(I->m, node),
                 vn_model_node_name(I->m, cn));
        int an;
        VN_TRY(vn__onnx_emit(I, &an, "add", "bias", ins, " "));
        node = an;
    }
    if (crun) {
        char ins[2 * MAX_NODE_NAME + 4];
        snprintf(ins, sizeof ins, "%s,%s", vn_model_node_name(I->m, node),
                 vn__onnx_node_name_of(I, crun->node));
        int an;
        VN_TRY(vn__onnx_emit(I, &an, "add", "C", ins, " "));
        node = an;
    }
    return vn__onnx_out_run(I, 0, node, 2);
}

static vn_status op_binary(imp *I, const char *type)
{
    VN_TRY(vn__onnx_check_attrs(I, NULL));
    VN_TRY(vn__onnx_one_output(I));
    val *a, *b;
    VN_TRY(vn__onnx_need_in(I, 0, &a));
    VN_TRY(vn__onnx_need_in(I, 1, &b));
    int ra = a->kind == V_RUN ? a->rank : a->c.ndim, rb = b->kind == V_RUN ? b->rank : b->c.ndim;
    if (I->off == 0 && a->kind == V_RUN && b->kind == V_RUN && ra != rb)
        return UNSUP("runtime inputs of ranks %d and %d would broadcast over the batch axis "
                     "(batch-first)",
                     ra, rb);
    int r = ra > rb ? ra : rb;
    char na[MAX_NODE_NAME + 1], nb[MAX_NODE_NAME + 1];
    int oa, ob;
    VN_TRY(vn__onnx_operand(I, 0, a->kind == V_RUN ? ra : rb, na, sizeof na, &oa));
    VN_TRY(vn__onnx_operand(I, 1, b->kind == V_RUN ? rb : ra, nb, sizeof nb, &ob));
    char ins[2 * MAX_NODE_NAME + 4];
    snprintf(ins, sizeof ins, "%s,%s", na, nb);
    int node;
    VN_TRY(vn__onnx_emit(I, &node, type, NULL, ins, " "));
    return vn__onnx_out_run(I, 0, node, r);
}

static vn_status op_matmul(imp *I)
{
    VN_TRY(vn__onnx_check_attrs(I, NULL));
    val *a, *b;
    VN_TRY(vn__onnx_need_in(I, 0, &a));
    VN_TRY(vn__onnx_need_in(I, 1, &b));
    if (a->kind == V_RUN && b->kind == V_CONST && b->c.ndim == 2 && !b->c.is_int) {
        int64_t s[VN_MAX_DIMS];
        int r = vn__onnx_run_shape(I, a, s);
        const cval *B = &b->c;
        int64_t K = B->shape[0], M = B->shape[1];
        if (r < 1 || s[r - 1] != K)
            return BADF("B [%lld, %lld] does not fit A's last dimension", (long long)K,
                        (long long)M);
        bool dense = I->off == 0 && r == 2;
        float *w = vn__malloc((size_t)((K * M) != 0 ? K * M : 1) * sizeof(float));
        if (!w)
            return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
        for (int64_t k = 0; k < K; k++)
            for (int64_t m = 0; m < M; m++)
                w[dense ? m * K + k : k * M + m] = B->f[k * M + m];
        const cval *bias = NULL;
        int addn = vn__onnx_bias_add(I, M, r, &bias);
        int node;
        vn_status st = vn__onnx_emit(I, &node, dense ? "dense" : "matmul", NULL,
                                     vn__onnx_node_name_of(I, a->node), "out=%lld bias=%d",
                                     (long long)M, addn >= 0 ? 1 : 0);
        if (st == VN_OK)
            st = vn__onnx_set_param(I, node, "weight", w, K * M);
        if (st == VN_OK && addn >= 0) {
            st = vn__onnx_set_param(I, node, "bias", bias->f, M);
            I->fused[addn] = node;
        }
        vn__free(w);
        VN_TRY(st);
        return vn__onnx_out_run(I, 0, node, r);
    }
    int ra = a->kind == V_RUN ? a->rank : a->c.ndim, rb = b->kind == V_RUN ? b->rank : b->c.ndim;
    if (ra < 2 || rb < 2)
        return UNSUP("MatMul with a rank-1 operand is only supported for a constant B");
    if (I->off == 0 && ra != rb)
        return UNSUP("operands of ranks %d and %d would broadcast over the batch axis "
                     "(batch-first)",
                     ra, rb);
    char na[MAX_NODE_NAME + 1], nb[MAX_NODE_NAME + 1];
    int oa, ob;
    VN_TRY(vn__onnx_operand(I, 0, ra > rb ? ra : rb, na, sizeof na, &oa));
    VN_TRY(vn__onnx_operand(I, 1, ra > rb ? ra : rb, nb, sizeof nb, &ob));
    char ins[2 * MAX_NODE_NAME + 4];
    snprintf(ins, sizeof ins, "%s,%s", na, nb);
    int node;
    VN_TRY(vn__onnx_emit(I, &node, "matmul", NULL, ins, " "));
    return vn__onnx_out_run(I, 0, node, ra > rb ? ra : rb);
}

static vn_status op_concat(imp *I)
{
    static const char *const known[] = {"axis", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    int r = -1;
    for (int k = 0; k < vn__onnx_nin(I); k++) {
        val *v;
        VN_TRY(vn__onnx_need_in(I, k, &v));
        if (v->kind == V_RUN)
            r = v->rank;
    }
    if (r < 0)
        return BADF("no runtime input");
    int a, dim;
    VN_TRY(vn__onnx_norm_axis(I, vn__onnx_attr_i(I->nd, "axis", 1), r, &a));
    VN_TRY(vn__onnx_model_dim(I, a, &dim));
    if (vn__onnx_nin(I) == 1)
        return alias(I, vn__onnx_in_val(I, 0));
    size_t cap = (size_t)vn__onnx_nin(I) * (MAX_NODE_NAME + 1) + 1;
    char *ins = vn__malloc(cap);
    if (!ins)
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory");
    size_t used = 0;
    vn_status st = VN_OK;
    for (int k = 0; k < vn__onnx_nin(I) && st == VN_OK; k++) {
        char nm[MAX_NODE_NAME + 1];
        int o;
        st = vn__onnx_operand(I, k, r, nm, sizeof nm, &o);
        if (st == VN_OK)
            used += (size_t)snprintf(ins + used, cap - used, k ? ",%s" : "%s", nm);
    }
    int node;
    if (st == VN_OK)
        st = vn__onnx_emit(I, &node, "concat", NULL, ins, "dim=%d", dim);
    vn__free(ins);
    VN_TRY(st);
    return vn__onnx_out_run(I, 0, node, r);
}

static vn_status op_pad(imp *I)
{
    static const char *const known[] = {"mode", "pads", "value", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, known));
    VN_TRY(run_in(I, &x, s, &r));
    char buf[32];
    const char *mode = vn__onnx_attr_s(I->nd, "mode", "constant", buf, sizeof buf);
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
        return UNSUP("attribute mode=%s is not supported", mode);
    int64_t p[2 * VN_MAX_DIMS + 1];
    int np = vn__onnx_attr_ints(I->nd, "pads", p, 2 * VN_MAX_DIMS);
    double value = vn__onnx_attr_f(I->nd, "value", 0.0f);
    val *pv = vn__onnx_in_val(I, 1), *cv = vn__onnx_in_val(I, 2);
    if (vn__onnx_in_val(I, 3))
        return UNSUP("input 'axes' is not supported");
    if (pv) {
        if (pv->kind != V_CONST || !pv->c.is_int)
            return UNSUP("input 'pads' must be an integer constant");
        if (pv->c.n > 2 * VN_MAX_DIMS)
            return BADF("too many pads");
        np = (int)pv->c.n;
        for (int k = 0; k < np; k++)
            p[k] = pv->c.i[k];
    }
    if (cv) {
        if (cv->kind != V_CONST || cv->c.n != 1)
            return UNSUP("input 'constant_value' must be a scalar constant");
        value = vn__onnx_cval_get(&cv->c, 0);
    }
    if (np != 2 * r)
        return BADF("%d pads for a rank-%d input", np, r);
    int64_t q[2 * VN_MAX_DIMS];
    int nq = 0, first = I->off == 0 ? 1 : 0;
    if (first && (p[0] != 0 || p[r] != 0))
        return UNSUP("padding the batch axis is not supported (batch-first)");
    bool any = false;
    for (int k = first; k < r; k++)
        q[nq++] = p[k], any = any || p[k];
    for (int k = first; k < r; k++)
        q[nq++] = p[r + k], any = any || p[r + k];
    if (!any)
        return alias(I, x);
    char list[256];
    vn__onnx_fmt_list(list, sizeof list, q, nq);
    int node;
    VN_TRY(vn__onnx_emit(I, &node, "pad", NULL, vn__onnx_node_name_of(I, x->node),
                         "pads=%s mode=%s value=%.9g", list, mode, value));
    return vn__onnx_out_run(I, 0, node, r);
}

static vn_status op_resize(imp *I, bool upsample)
{
    static const char *const kres[] = {"coordinate_transformation_mode",
                                       "cubic_coeff_a",
                                       "exclude_outside",
                                       "extrapolation_value",
                                       "mode",
                                       "nearest_mode",
                                       NULL};
    static const char *const kup[] = {"mode", "scales", NULL};
    val *x;
    int64_t s[VN_MAX_DIMS];
    int r;
    VN_TRY(vn__onnx_check_attrs(I, upsample ? kup : kres));
    VN_TRY(run_in(I, &x, s, &r));
    VN_TRY(need_nchw(I, r));
    char b1[48], b2[48], b3[48];
    const char *mode = vn__onnx_attr_s(I->nd, "mode", "nearest", b1, sizeof b1);
    const char *coord =
        vn__onnx_attr_s(I->nd, "coordinate_transformation_mode",
                        upsample || I->opset < 11 ? "asymmetric" : "half_pixel", b2, sizeof b2);
    const char *nmode =
        vn__onnx_attr_s(I->nd, "nearest_mode",
                        upsample || I->opset < 11 ? "floor" : "round_prefer_floor", b3, sizeof b3);
    if (strcmp(mode, "nearest") && strcmp(mode, "linear"))
        return UNSUP("attribute mode=%s is not supported", mode);
    if (vn__onnx_attr_i(I->nd, "exclude_outside", 0))
        return UNSUP("attribute exclude_outside=1 is not supported");
    static const char *const coords[] = {"half_pixel", "pytorch_half_pixel",   "align_corners",
                                         "asymmetric", "tf_half_pixel_for_nn", NULL};
    bool ok = false;
    for (int k = 0; coords[k]; k++)
        ok = ok || strcmp(coord, coords[k]) == 0;
    if (!ok)
        return UNSUP("attribute coordinate_transformation_mode=%s is not supported", coord);
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil",
                                      NULL};
    ok = false;
    for (int k = 0; nms[k]; k++)
        ok = ok || strcmp(nmode, nms[k]) == 0;
    if (!ok)
        return UNSUP("attribute nearest_mode=%s is not supported", nmode);
    double sc[4] = {1, 1, 1, 1};
    int64_t out[2];
    bool have_scale = false;
    const val *scv = NULL, *szv = NULL;
    if (upsample) {
        const Onnx__AttributeProto *a = vn__onnx_attr(I->nd, "scales");
        if (a) {
            if (a->n_floats != 4)
                return BADF("attribute scales has %zu entries, not 4", a->n_floats);
            for (int k = 0; k < 4; k++)
                sc[k] = a->floats[k];
            have_scale = true;
        } else {
            scv = vn__onnx_in_val(I, 1);
        }
    } else if (I->opset < 11) {
        scv = vn__onnx_in_val(I, 1);
    } else {
        scv = vn__onnx_in_val(I, 2);
        szv = vn__onnx_in_val(I, 3);
    }
    if (scv && scv->kind == V_CONST && scv->c.n == 0)
        scv = NULL;
    if (scv) {
        if (scv->kind != V_CONST || scv->c.n != 4)
            return UNSUP("input 'scales' must be a constant of 4 entries");
        for (int k = 0; k < 4; k++)
            sc[k] = vn__onnx_cval_get(&scv->c, k);
        have_scale = true;
    }
    if (szv) {
        if (szv->kind != V_CONST || szv->c.n != 4 || !szv->c.is_int)
            return UNSUP("input 'sizes' must be an integer constant of 4 entries");
        if (szv->c.i[1] != s[1])
            return UNSUP("resizing the channel axis is not supported");
        out[0] = szv->c.i[2];
        out[1] = szv->c.i[3];
        have_scale = false;
    } else if (have_scale) {
        if (sc[0] != 1 || sc[1] != 1)
            return UNSUP("scales of the batch or channel axis (%g, %g) are not supported", sc[0],
                         sc[1]);
        for (int d = 0; d < 2; d++) {
            if (!(sc[2 + d] > 0 && sc[2 + d] < 1e4))
                return UNSUP("scale %g is not supported", sc[2 + d]);
            out[d] = (int64_t)floor((double)s[2 + d] * sc[2 + d]);
        }
    } else {
        return BADF("neither scales nor sizes given");
    }
    if (out[0] < 1 || out[1] < 1 || out[0] > 65536 || out[1] > 65536)
        return UNSUP("output size %lldx%lld is not supported", (long long)out[0],
                     (long long)out[1]);
    char extra[64] = "";
    if (have_scale)
        snprintf(extra, sizeof extra, " scale=%.9g,%.9g", sc[2], sc[3]);
    int node;
    VN_TRY(vn__onnx_emit(I, &node, "resize", NULL, vn__onnx_node_name_of(I, x->node),
                         "size=%lld,%lld mode=%s coord=%s nearest=%s%s", (long long)out[0],
                         (long long)out[1], mode, coord, nmode, extra));
    return vn__onnx_out_run(I, 0, node, 4);
}

static const char *const k_none[] = {NULL};

vn_status vn__onnx_map_runtime(imp *I, const char *op)
{
    if (!strcmp(op, "Conv"))
        return op_conv(I);
    if (!strcmp(op, "ConvTranspose"))
        return op_conv_transpose(I);
    if (!strcmp(op, "MaxPool"))
        return op_pool(I, true);
    if (!strcmp(op, "AveragePool"))
        return op_pool(I, false);
    if (!strcmp(op, "GlobalAveragePool"))
        return op_global_avg(I);
    if (!strcmp(op, "ReduceMean"))
        return op_reduce_mean(I);
    if (!strcmp(op, "BatchNormalization"))
        return op_batchnorm(I);
    if (!strcmp(op, "Relu"))
        return op_unary(I, "relu", " ", k_none);
    if (!strcmp(op, "Sigmoid"))
        return op_unary(I, "sigmoid", " ", k_none);
    if (!strcmp(op, "Tanh"))
        return op_unary(I, "tanh", " ", k_none);
    if (!strcmp(op, "LeakyRelu"))
        return op_leaky(I);
    if (!strcmp(op, "Softmax"))
        return op_softmax(I, false);
    if (!strcmp(op, "LogSoftmax"))
        return op_softmax(I, true);
    if (!strcmp(op, "Gemm"))
        return op_gemm(I);
    if (!strcmp(op, "MatMul"))
        return op_matmul(I);
    if (!strcmp(op, "Add"))
        return op_binary(I, "add");
    if (!strcmp(op, "Sub"))
        return op_binary(I, "sub");
    if (!strcmp(op, "Mul"))
        return op_binary(I, "mul");
    if (!strcmp(op, "Div"))
        return op_binary(I, "div");
    if (!strcmp(op, "Concat"))
        return op_concat(I);
    if (!strcmp(op, "Flatten"))
        return op_flatten(I);
    if (!strcmp(op, "Reshape"))
        return op_reshape(I);
    if (!strcmp(op, "Unsqueeze"))
        return op_squeeze(I, true);
    if (!strcmp(op, "Squeeze"))
        return op_squeeze(I, false);
    if (!strcmp(op, "Dropout"))
        return op_dropout(I);
    if (!strcmp(op, "Identity")) {
        val *x;
        VN_TRY(vn__onnx_check_attrs(I, NULL));
        VN_TRY(vn__onnx_need_run(I, 0, &x));
        return alias(I, x);
    }
    if (!strcmp(op, "Cast"))
        return op_cast(I);
    if (!strcmp(op, "Clip"))
        return op_clip(I);
    if (!strcmp(op, "Pad"))
        return op_pad(I);
    if (!strcmp(op, "Resize"))
        return op_resize(I, false);
    if (!strcmp(op, "Upsample"))
        return op_resize(I, true);
    if (!strcmp(op, "Gather") || !strcmp(op, "Slice") || !strcmp(op, "Transpose") ||
        !strcmp(op, "ConstantOfShape"))
        return UNSUP("%s of a runtime tensor is not supported (only on constants)", op);
    return UNSUP("operator '%s' is not supported", op);
}

#endif /* VN_HAVE_ONNX */
