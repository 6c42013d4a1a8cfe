/*
 * reshape.c - a new per-sample shape for the same values in the same
 * (row-major) order, torch.reshape / ONNX Reshape with the target fully
 * resolved: `reshape name=r shape=4,6`. The batch is kept. Backward is
 * the reverse reshape (a copy).
 *
 * Attribute: shape (required; every entry >= 1, no -1 / 0 placeholders;
 * the element count must equal the input's, else VN_ERR_SHAPE).
 */
#include "nn/layers/layers.h"

typedef struct reshape {
    vn__layer base;
    vn__shape shape;
} reshape;

static vn_status rs_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out)
{
    VN_TRY(vn__layer_check_inputs(l->who, nin, 1, 1));
    const reshape *r = (const reshape *)l;
    if (vn__shape_count(&r->shape) != vn__shape_count(&in[0])) {
        char a[96], b[96];
        return vn__error(VN_ERR_SHAPE,
                         "%s: cannot reshape input %s (%lld values) to %s (%lld values)",
                         l->who, vn__shape_fmt(&in[0], a, sizeof a),
                         (long long)vn__shape_count(&in[0]), vn__shape_fmt(&r->shape, b, sizeof b),
                         (long long)vn__shape_count(&r->shape));
    }
    *out = r->shape;
    return VN_OK;
}

static void rs_attrs(const vn__layer *l, vn__strbuf *sb)
{
    const reshape *r = (const reshape *)l;
    vn__strbuf_printf(sb, " shape=");
    for (int d = 0; d < r->shape.ndim; d++)
        vn__strbuf_printf(sb, "%s%lld", d ? "," : "", (long long)r->shape.d[d]);
}

static const vn__layer_ops reshape_ops = {
    .type = "reshape",
    .output_shape = rs_shape,
    .forward = vn__layer_copy_forward,
    .backward = vn__layer_copy_backward,
    .attrs = rs_attrs,
};

vn_status vn__reshape_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    VN_TRY(vn__layer_check_inputs(a->who, nin, 1, 1));
    vn__shape s;
    VN_TRY(vn__layer_read_shape(a, &s));
    reshape *r = (reshape *)vn__layer_alloc(sizeof *r, &reshape_ops, a->who);
    if (!r)
        return VN_ERR_NOMEM;
    r->shape = s;
    vn__shape os;
    vn_status st = rs_shape(&r->base, nin, in, &os);
    if (st != VN_OK) {
        vn__layer_destroy(&r->base);
        return st;
    }
    *out = &r->base;
    return VN_OK;
}

vn_status vn__layer_read_shape(vn__attrs *a, vn__shape *s)
{
    int count;
    VN_TRY(vn__attr_int_list(a, "shape", VN_MAX_DIMS - 1, 1, INT32_MAX, s->d, &count));
    if (count == 0)
        return vn__error(VN_ERR_INVALID_ARG,
                         "%s: attribute 'shape' is required (per-sample dims, e.g. shape=4,6)",
                         a->who);
    s->ndim = count;
    int64_t total = 1;
    for (int d = 0; d < count; d++) {
        if (total > INT64_MAX / 4 / s->d[d])
            return vn__error(VN_ERR_INVALID_ARG, "%s: attribute 'shape' describes too many values",
                             a->who);
        total *= s->d[d];
    }
    return VN_OK;
}
