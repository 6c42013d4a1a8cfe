/*
 * layer.c - what every layer type shares: allocation of the layer and its
 * parameters, initialisation helpers, shape helpers and input checks.
 */
#include "nn/layer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t vn__shape_count(const vn__shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= s->d[i];
    return n;
}

const char *vn__shape_fmt(const vn__shape *s, char *buf, size_t n)
{
    size_t at = 0;
    at += (size_t)snprintf(buf + at, n - at, "[");
    for (int i = 0; i < s->ndim && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? ", " : "", (long long)s->d[i]);
    if (at < n)
        snprintf(buf + at, n - at, "]");
    return buf;
}

bool vn__shape_equal(const vn__shape *a, const vn__shape *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->d[i] != b->d[i])
            return false;
    return true;
}

vn__layer *vn__layer_alloc(size_t size, const vn__layer_ops *ops, const char *who)
{
    vn__layer *l = vn__calloc(1, size);
    if (!l) {
        vn__error(VN_ERR_NOMEM, "%s: out of memory", who);
        return NULL;
    }
    l->ops = ops;
    snprintf(l->who, sizeof l->who, "%s", who);
    return l;
}

static _Thread_local bool tls_budget_on;
static _Thread_local uint64_t tls_budget_left;

void vn__param_budget_set(uint64_t bytes)
{
    tls_budget_on = true;
    tls_budget_left = bytes;
}

void vn__param_budget_clear(void)
{
    tls_budget_on = false;
}

vn_status vn__layer_add_param(vn__layer *l, const char *suffix, int ndim, const int64_t *shape,
                              bool buffer)
{
    if (l->nparams == VN__LAYER_MAX_PARAMS)
        return vn__error(VN_ERR_INTERNAL, "%s: too many parameters", l->who);
    if (tls_budget_on) {
        size_t numel = 0;
        VN_TRY(vn__shape_numel(l->who, VN_F32, ndim, shape, &numel));
        uint64_t bytes = (uint64_t)numel * 4;
        if (bytes > tls_budget_left)
            return vn__error(VN_ERR_FORMAT,
                             "%s: its parameters need far more bytes than the file's tensor data holds",
                             l->who);
        tls_budget_left -= bytes;
    }
    vn__param *p = &l->params[l->nparams];
    p->suffix = suffix;
    vn_status s = vn_tensor_create(VN_F32, ndim, shape, &p->value);
    if (s == VN_OK && !buffer)
        s = vn_tensor_create(VN_F32, ndim, shape, &p->grad);
    if (s != VN_OK) {
        vn_tensor_destroy(p->value);
        p->value = NULL;
        return vn__error_prefix(s, l->who);
    }
    l->nparams++;
    return VN_OK;
}

void vn__layer_destroy(vn__layer *l)
{
    if (!l)
        return;
    if (l->ops && l->ops->destroy)
        l->ops->destroy(l);
    for (int i = 0; i < l->nparams; i++) {
        vn_tensor_destroy(l->params[i].value);
        vn_tensor_destroy(l->params[i].grad);
    }
    vn__free(l);
}

vn_status vn__tensor_ensure(vn_tensor **t, vn_dtype dtype, int ndim, const int64_t *shape)
{
    if (*t && (*t)->dtype == dtype && (*t)->owns) {
        size_t numel = 0;
        VN_TRY(vn__shape_numel("tensor", dtype, ndim, shape, &numel));
        if (numel == (*t)->numel) {
            (*t)->ndim = ndim;
            for (int i = 0; i < ndim; i++)
                (*t)->shape[i] = shape[i];
            return VN_OK;
        }
    }
    vn_tensor *n = NULL;
    VN_TRY(vn__tensor_empty(dtype, ndim, shape, &n));
    vn_tensor_destroy(*t);
    *t = n;
    return VN_OK;
}

void vn__fill_uniform(vn_tensor *t, vn_rng *rng, float bound)
{
    float *p = vn__f32(t);
    for (size_t i = 0; i < t->numel; i++)
        p[i] = (2.0f * vn_rng_uniform(rng) - 1.0f) * bound;
}

void vn__fill_value(vn_tensor *t, float v)
{
    float *p = vn__f32(t);
    for (size_t i = 0; i < t->numel; i++)
        p[i] = v;
}

void vn__layer_init_fan_in(vn__layer *l, vn_rng *rng)
{
    const vn_tensor *w = l->params[0].value;
    int64_t fan_in = 1;
    for (int i = 1; i < w->ndim; i++)
        fan_in *= w->shape[i];
    float bound = fan_in > 0 ? 1.0f / sqrtf((float)fan_in) : 0.0f;
    if (l->init == VN__INIT_HE) {
        vn__fill_uniform(l->params[0].value, rng, fan_in > 0 ? sqrtf(6.0f / (float)fan_in) : 0.0f);
        if (l->nparams > 1)
            vn__fill_value(l->params[1].value, 0.0f);
        return;
    }
    vn__fill_uniform(l->params[0].value, rng, bound);
    if (l->nparams > 1)
        vn__fill_uniform(l->params[1].value, rng, bound);
}

static const char *const INIT_NAMES[] = {"torch", "he", NULL};

vn_status vn__layer_read_init(vn__attrs *a, vn__layer *l)
{
    return vn__attr_choice(a, "init", INIT_NAMES, VN__INIT_TORCH, &l->init);
}

void vn__layer_write_init(const vn__layer *l, vn__strbuf *sb)
{
    if (l->init != VN__INIT_TORCH)
        vn__strbuf_printf(sb, " init=%s", INIT_NAMES[l->init]);
}

vn_status vn__layer_check_inputs(const char *who, int nin, int min, int max)
{
    if (nin < min || nin > max) {
        if (min == max)
            return vn__error(VN_ERR_SHAPE, "%s: takes %d input%s, got %d", who, min,
                             min == 1 ? "" : "s", nin);
        return vn__error(VN_ERR_SHAPE, "%s: takes %d to %d inputs (inputs=a,b,...), got %d", who,
                         min, max, nin);
    }
    return VN_OK;
}

vn_status vn__layer_check_chw(const char *who, const vn__shape *in)
{
    if (in->ndim != 3) {
        char b[96];
        return vn__error(VN_ERR_SHAPE, "%s: input is %s, expected an image [C, H, W]", who,
                         vn__shape_fmt(in, b, sizeof b));
    }
    return VN_OK;
}

vn_status vn__layer_same_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    *out = in[0];
    return VN_OK;
}

vn_status vn__layer_read_window(vn__attrs *a, vn__window *w, bool dilation)
{
    VN_TRY(vn__attr_pair(a, "k", true, 0, 1, 1 << 12, w->k));
    VN_TRY(vn__attr_pair(a, "stride", false, 0, 1, 1 << 12, w->stride));
    VN_TRY(vn__attr_pair(a, "pad", false, 0, 0, 1 << 12, w->pad));
    VN_TRY(vn__attr_pair(a, "pad_end", false, -1, 0, 1 << 12, w->pad_end));
    w->dilation[0] = w->dilation[1] = 1;
    if (dilation)
        VN_TRY(vn__attr_pair(a, "dilation", false, 1, 1, 1 << 12, w->dilation));
    VN_TRY(vn__attr_bool(a, "ceil_mode", false, &w->ceil_mode));
    for (int i = 0; i < 2; i++) {
        if (w->stride[i] == 0)
            w->stride[i] = w->k[i];
        if (w->pad_end[i] < 0)
            w->pad_end[i] = w->pad[i];
        int eff = w->dilation[i] * (w->k[i] - 1) + 1;
        if (w->pad[i] >= eff)
            return vn__error(VN_ERR_INVALID_ARG,
                             "%s: pad=%d is not smaller than the %d-wide window", a->who,
                             w->pad[i], eff);
        if (w->pad_end[i] >= eff)
            return vn__error(VN_ERR_INVALID_ARG,
                             "%s: pad_end=%d is not smaller than the %d-wide window", a->who,
                             w->pad_end[i], eff);
    }
    return VN_OK;
}

int64_t vn__window_out_size(int64_t in, int k, int s, int pb, int pe, int d, bool ceil_mode)
{
    int64_t num = in + (int64_t)pb + pe - (int64_t)d * (k - 1) - 1;
    if (num < 0 || s <= 0)
        return 0;
    if (!ceil_mode)
        return num / s + 1;
    int64_t out = (num + s - 1) / s + 1;
    /* the last window must start inside the input or the leading padding */
    if ((out - 1) * s >= in + pb)
        out--;
    return out;
}

vn_status vn__layer_window_shape(const char *who, int nin, const vn__shape *in,
                                 const vn__window *w, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(who, nin, 1, 1));
    VN_TRY(vn__layer_check_chw(who, &in[0]));
    int64_t oh = vn__window_out_size(in[0].d[1], w->k[0], w->stride[0], w->pad[0], w->pad_end[0],
                                     w->dilation[0], w->ceil_mode);
    int64_t ow = vn__window_out_size(in[0].d[2], w->k[1], w->stride[1], w->pad[1], w->pad_end[1],
                                     w->dilation[1], w->ceil_mode);
    if (oh <= 0 || ow <= 0)
        return vn__error(VN_ERR_SHAPE, "%s: a %dx%d window does not fit a %lldx%lld input", who,
                         w->k[0], w->k[1], (long long)in[0].d[1], (long long)in[0].d[2]);
    out->ndim = 3;
    out->d[0] = in[0].d[0];
    out->d[1] = oh;
    out->d[2] = ow;
    return VN_OK;
}

void vn__layer_pool_geom(vn__pool_geom *g, const vn_tensor *x, const vn_tensor *y,
                         const vn__window *w)
{
    g->n = x->shape[0];
    g->c = x->shape[1];
    g->h = x->shape[2];
    g->w = x->shape[3];
    g->oh = y->shape[2];
    g->ow = y->shape[3];
    g->kh = w->k[0];
    g->kw = w->k[1];
    g->sh = w->stride[0];
    g->sw = w->stride[1];
    g->ph = w->pad[0];
    g->pw = w->pad[1];
    g->ph_end = w->pad_end[0];
    g->pw_end = w->pad_end[1];
    g->dh = w->dilation[0];
    g->dw = w->dilation[1];
    g->count_include_pad = true;
}

void vn__layer_window_attrs(const vn__window *w, vn__strbuf *sb, bool dilation)
{
    vn__strbuf_pair(sb, "k", w->k);
    vn__strbuf_pair(sb, "stride", w->stride);
    vn__strbuf_pair(sb, "pad", w->pad);
    if (w->pad_end[0] != w->pad[0] || w->pad_end[1] != w->pad[1])
        vn__strbuf_pair(sb, "pad_end", w->pad_end);
    if (dilation)
        vn__strbuf_pair(sb, "dilation", w->dilation);
    if (w->ceil_mode)
        vn__strbuf_printf(sb, " ceil_mode=1");
}

vn_status vn__conv_attrs_read(vn__attrs *a, vn__conv_attrs *c)
{
    int64_t outc, groups;
    VN_TRY(vn__attr_int(a, "out", true, 0, 1, 1 << 20, &outc));
    VN_TRY(vn__attr_pair(a, "k", true, 0, 1, 1 << 12, c->k));
    VN_TRY(vn__attr_pair(a, "stride", false, 1, 1, 1 << 12, c->stride));
    VN_TRY(vn__attr_pair(a, "pad", false, 0, 0, 1 << 12, c->pad));
    VN_TRY(vn__attr_pair(a, "pad_end", false, -1, 0, 1 << 12, c->pad_end));
    for (int i = 0; i < 2; i++)
        if (c->pad_end[i] < 0)
            c->pad_end[i] = c->pad[i];
    VN_TRY(vn__attr_pair(a, "dilation", false, 1, 1, 1 << 12, c->dilation));
    VN_TRY(vn__attr_int(a, "groups", false, 1, 1, 1 << 20, &groups));
    VN_TRY(vn__attr_bool(a, "bias", true, &c->bias));
    c->out = (int)outc;
    c->groups = (int)groups;
    if (c->out % c->groups != 0)
        return vn__error(VN_ERR_INVALID_ARG, "%s: out=%d is not a multiple of groups=%d", a->who,
                         c->out, c->groups);
    return VN_OK;
}

void vn__conv_attrs_write(const vn__conv_attrs *c, const int *opad, vn__strbuf *sb)
{
    vn__strbuf_printf(sb, " out=%d", c->out);
    vn__strbuf_pair(sb, "k", c->k);
    vn__strbuf_pair(sb, "stride", c->stride);
    vn__strbuf_pair(sb, "pad", c->pad);
    if (c->pad_end[0] != c->pad[0] || c->pad_end[1] != c->pad[1])
        vn__strbuf_pair(sb, "pad_end", c->pad_end);
    if (opad)
        vn__strbuf_pair(sb, "output_pad", opad);
    vn__strbuf_pair(sb, "dilation", c->dilation);
    vn__strbuf_printf(sb, " groups=%d bias=%d", c->groups, c->bias ? 1 : 0);
}

vn_status vn__layer_copy_forward(vn__layer *l, const vn__run *run, int nin,
                                 const vn_tensor *const *in, vn_tensor *out)
{
    (void)l;
    (void)run;
    (void)nin;
    vn__copy(vn__cf32(in[0]), vn__f32(out), (int64_t)out->numel);
    return VN_OK;
}

vn_status vn__layer_copy_backward(vn__layer *l, const vn__run *run, int nin,
                                  const vn_tensor *const *in, const vn_tensor *out,
                                  const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)l;
    (void)run;
    (void)nin;
    (void)in;
    (void)out;
    (void)param_grads;
    if (din[0])
        vn__copy(vn__cf32(dout), vn__f32(din[0]), (int64_t)dout->numel);
    return VN_OK;
}
