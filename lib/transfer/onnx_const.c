/*
 * onnx_const.c - ONNX import, constants (docs/onnx.md): TensorProto
 * decoding with every count checked against the data it holds, and the
 * folding of nodes whose inputs are all constants (Constant, Cast,
 * Identity, Reshape, Flatten, Unsqueeze, Squeeze, Concat, Gather, Shape,
 * ConstantOfShape, Slice, Transpose, Add / Sub / Mul / Div). Integer
 * constants are int64; a folded shape entry that is the batch size is
 * BATCH_SYM.
 */
#include "core/vn_internal.h"

#if VN_HAVE_ONNX

#include "transfer/onnx_graph.h"

/* ---- protobuf-c allocator ---------------------------------------------------- */

static void *pb_alloc(void *ud, size_t n)
{
    (void)ud;
    return vn__malloc(n ? n : 1);
}
static void pb_free(void *ud, void *p)
{
    (void)ud;
    vn__free(p);
}
ProtobufCAllocator vn__onnx_pb_alloc = {pb_alloc, pb_free, NULL};

/* ---- constants ------------------------------------------------------------------ */

void vn__onnx_cval_free(cval *c)
{
    vn__free(c->f);
    vn__free(c->i);
    c->f = NULL;
    c->i = NULL;
}

static vn_status shape_count(const int64_t *shape, int ndim, uint64_t max, int64_t *n,
                             const char *what)
{
    uint64_t c = 1;
    *n = 0;
    if (ndim < 0 || ndim > VN_MAX_DIMS)
        return vn__error(VN_ERR_FORMAT, "%s: %d dimensions (at most %d)", what, ndim, VN_MAX_DIMS);
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return vn__error(VN_ERR_FORMAT, "%s: negative dimension %lld", what,
                             (long long)shape[d]);
        if (shape[d] > 0 && c > max / (uint64_t)shape[d] + 1)
            return vn__error(VN_ERR_FORMAT, "%s: too many elements", what);
        c *= (uint64_t)shape[d];
    }
    if (c > max)
        return vn__error(VN_ERR_FORMAT, "%s: %llu elements, over the bound %llu", what,
                         (unsigned long long)c, (unsigned long long)max);
    *n = (int64_t)c;
    return VN_OK;
}

vn_status vn__onnx_cval_alloc(cval *c, bool is_int, int ndim, const int64_t *shape, uint64_t max)
{
    memset(c, 0, sizeof *c);
    c->is_int = is_int;
    c->ndim = ndim;
    if (ndim > 0)
        memcpy(c->shape, shape, (size_t)ndim * sizeof *shape);
    VN_TRY(shape_count(c->shape, ndim, max, &c->n, "ONNX constant"));
    size_t bytes = (size_t)(c->n ? c->n : 1) * (is_int ? sizeof(int64_t) : sizeof(float));
    if (is_int)
        c->i = vn__calloc(1, bytes);
    else
        c->f = vn__calloc(1, bytes);
    if (!(is_int ? (void *)c->i : (void *)c->f))
        return vn__error(VN_ERR_NOMEM, "ONNX import: out of memory for a constant");
    return VN_OK;
}

vn_status vn__onnx_cval_copy(const cval *s, cval *d, uint64_t max)
{
    VN_TRY(vn__onnx_cval_alloc(d, s->is_int, s->ndim, s->shape, max));
    if (s->n)
        memcpy(s->is_int ? (void *)d->i : (void *)d->f, s->is_int ? (void *)s->i : (void *)s->f,
               (size_t)s->n * (s->is_int ? sizeof(int64_t) : sizeof(float)));
    return VN_OK;
}

double vn__onnx_cval_get(const cval *c, int64_t k)
{
    return c->is_int ? (double)c->i[k] : (double)c->f[k];
}

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 31, mnt = h & 1023;
    float v = e == 0    ? ldexpf((float)mnt, -24)
              : e == 31 ? (mnt ? NAN : INFINITY)
                        : ldexpf((float)(mnt | 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

static uint64_t rd_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; k--)
        v = (v << 8) | p[k];
    return v;
}

/* Decode a TensorProto into a constant (floats for float types, int64 for
 * integer and bool types). */
vn_status vn__onnx_tensor_to_cval(const Onnx__TensorProto *t, cval *c, uint64_t max,
                                  const char *what, int *dtype_out)
{
    memset(c, 0, sizeof *c);
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return vn__error(VN_ERR_FORMAT, "%s: external data is not supported", what);
    if (t->n_external_data)
        return vn__error(VN_ERR_FORMAT, "%s: external data is not supported", what);
    if (t->segment)
        return vn__error(VN_ERR_FORMAT, "%s: segmented tensors are not supported", what);
    if (t->n_dims > VN_MAX_DIMS)
        return vn__error(VN_ERR_FORMAT, "%s: %zu dimensions (at most %d)", what, t->n_dims,
                         VN_MAX_DIMS);
    int dt = t->has_data_type ? t->data_type : 0;
    if (dtype_out)
        *dtype_out = dt;
    int esize;
    bool is_int;
    switch (dt) {
    case DT_FLOAT:
        esize = 4;
        is_int = false;
        break;
    case DT_DOUBLE:
        esize = 8;
        is_int = false;
        break;
    case DT_FLOAT16:
        esize = 2;
        is_int = false;
        break;
    case DT_INT64:
        esize = 8;
        is_int = true;
        break;
    case DT_INT32:
        esize = 4;
        is_int = true;
        break;
    case DT_INT16:
    case DT_UINT16:
        esize = 2;
        is_int = true;
        break;
    case DT_INT8:
    case DT_UINT8:
    case DT_BOOL:
        esize = 1;
        is_int = true;
        break;
    case 0: return vn__error(VN_ERR_FORMAT, "%s: no data type", what);
    default: return vn__error(VN_ERR_UNSUPPORTED, "%s: data type %d is not supported", what, dt);
    }
    VN_TRY(vn__onnx_cval_alloc(c, is_int, (int)t->n_dims, t->dims, max));
    int64_t n = c->n;
    if (t->has_raw_data) {
        uint64_t need = (uint64_t)n * (uint64_t)esize;
        if (t->raw_data.len != need) {
            vn__onnx_cval_free(c);
            return vn__error(VN_ERR_FORMAT, "%s: raw_data holds %zu bytes, the shape needs %llu",
                             what, t->raw_data.len, (unsigned long long)need);
        }
        const uint8_t *p = t->raw_data.data;
        for (int64_t k = 0; k < n; k++, p += esize) {
            uint64_t u = rd_le(p, esize);
            switch (dt) {
            case DT_FLOAT: {
                uint32_t b = (uint32_t)u;
                float f;
                memcpy(&f, &b, 4);
                c->f[k] = f;
                break;
            }
            case DT_DOUBLE: {
                double d;
                memcpy(&d, &u, 8);
                c->f[k] = (float)d;
                break;
            }
            case DT_FLOAT16: c->f[k] = half_to_float((uint16_t)u); break;
            case DT_INT64: c->i[k] = (int64_t)u; break;
            case DT_INT32: c->i[k] = (int32_t)(uint32_t)u; break;
            case DT_INT16: c->i[k] = (int16_t)(uint16_t)u; break;
            case DT_UINT16: c->i[k] = (uint16_t)u; break;
            case DT_INT8: c->i[k] = (int8_t)(uint8_t)u; break;
            default: c->i[k] = (uint8_t)u; break;
            }
        }
        return VN_OK;
    }
    size_t have;
    switch (dt) {
    case DT_FLOAT: have = t->n_float_data; break;
    case DT_DOUBLE: have = t->n_double_data; break;
    case DT_INT64: have = t->n_int64_data; break;
    default: have = t->n_int32_data; break;
    }
    if (have != (size_t)n) {
        vn__onnx_cval_free(c);
        return vn__error(VN_ERR_FORMAT, "%s: %zu data entries, the shape needs %lld", what, have,
                         (long long)n);
    }
    for (int64_t k = 0; k < n; k++) {
        switch (dt) {
        case DT_FLOAT: c->f[k] = t->float_data[k]; break;
        case DT_DOUBLE: c->f[k] = (float)t->double_data[k]; break;
        case DT_FLOAT16: c->f[k] = half_to_float((uint16_t)t->int32_data[k]); break;
        case DT_INT64: c->i[k] = t->int64_data[k]; break;
        default: c->i[k] = t->int32_data[k]; break;
        }
    }
    return VN_OK;
}

vn_status vn__onnx_tensor_decode(const void *data, size_t n, vn_tensor **out, int *onnx_dtype,
                                 char **name)
{
    *out = NULL;
    if (name)
        *name = NULL;
    if (!data && n)
        return vn__error(VN_ERR_INVALID_ARG, "vn__onnx_tensor_decode: NULL data");
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(&vn__onnx_pb_alloc, n, data);
    if (!t)
        return vn__error(VN_ERR_FORMAT, "ONNX tensor: not a valid TensorProto");
    cval c;
    int dt = 0;
    vn_status s = vn__onnx_tensor_to_cval(t, &c, (uint64_t)n + 64, "ONNX tensor", &dt);
    if (s == VN_OK) {
        int64_t one = 1;
        s = vn_tensor_create(VN_F32, c.ndim ? c.ndim : 1, c.ndim ? c.shape : &one, out);
        if (s == VN_OK) {
            float *f = vn_tensor_data(*out);
            for (int64_t k = 0; k < c.n; k++)
                f[k] = (float)vn__onnx_cval_get(&c, k);
        }
        vn__onnx_cval_free(&c);
    }
    if (s == VN_OK && name) {
        *name = vn__strdup(t->name ? t->name : "");
        if (!*name) {
            vn_tensor_destroy(*out);
            *out = NULL;
            s = vn__error(VN_ERR_NOMEM, "ONNX tensor: out of memory");
        }
    }
    if (onnx_dtype)
        *onnx_dtype = dt;
    onnx__tensor_proto__free_unpacked(t, &vn__onnx_pb_alloc);
    return s;
}

/* ---- constant folding ------------------------------------------------------------- */

static vn_status fold_constant(imp *I)
{
    static const char *const known[] = {"value",     "value_float", "value_floats",
                                        "value_int", "value_ints",  NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    if (I->nd->n_attribute != 1)
        return BADF("needs exactly one value attribute");
    const Onnx__AttributeProto *a = I->nd->attribute[0];
    cval c;
    const char *nm = a->name;
    if (strcmp(nm, "value") == 0) {
        if (!a->t)
            return BADF("attribute 'value' holds no tensor");
        vn_status s = vn__onnx_tensor_to_cval(a->t, &c, I->max_elems, "Constant value", NULL);
        if (s != VN_OK)
            return vn__onnx_node_err(I, s, "%s", vn_last_error());
    } else if (strcmp(nm, "value_float") == 0 || strcmp(nm, "value_int") == 0) {
        bool isi = nm[6] == 'i';
        VN_TRY(vn__onnx_cval_alloc(&c, isi, 0, NULL, I->max_elems));
        if (isi)
            c.i[0] = a->i;
        else
            c.f[0] = a->f;
    } else {
        bool isi = nm[6] == 'i';
        int64_t n = (int64_t)(isi ? a->n_ints : a->n_floats);
        VN_TRY(vn__onnx_cval_alloc(&c, isi, 1, &n, I->max_elems));
        for (int64_t k = 0; k < n; k++) {
            if (isi)
                c.i[k] = a->ints[k];
            else
                c.f[k] = a->floats[k];
        }
    }
    return vn__onnx_out_const(I, 0, &c);
}

static vn_status fold_cast(imp *I, const cval *x)
{
    static const char *const known[] = {"to", "saturate", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    int64_t to = vn__onnx_attr_i(I->nd, "to", 0);
    bool toint;
    switch (to) {
    case DT_FLOAT:
    case DT_DOUBLE: toint = false; break;
    case DT_INT64:
    case DT_INT32:
    case DT_BOOL: toint = true; break;
    default: return UNSUP("cast to data type %lld is not supported", (long long)to);
    }
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, toint, x->ndim, x->shape, I->max_elems));
    for (int64_t k = 0; k < x->n; k++) {
        double v = vn__onnx_cval_get(x, k);
        if (!toint) {
            c.f[k] = (float)v;
        } else if (to == DT_BOOL) {
            c.i[k] = v != 0;
        } else {
            if (!(v > -9.2e18 && v < 9.2e18) ||
                (to == DT_INT32 && (v < -2147483648.0 || v > 2147483647.0))) {
                vn__onnx_cval_free(&c);
                return UNSUP("value %g does not fit the cast's integer type", v);
            }
            c.i[k] = x->is_int ? x->i[k] : (int64_t)v;
        }
    }
    return vn__onnx_out_const(I, 0, &c);
}

/* Same data, new shape. */
static vn_status fold_reshape_to(imp *I, const cval *x, int nd, const int64_t *shape)
{
    cval c;
    int64_t n;
    VN_TRY(shape_count(shape, nd, I->max_elems, &n, "ONNX reshape"));
    if (n != x->n)
        return BADF("reshape of %lld elements into %lld", (long long)x->n, (long long)n);
    VN_TRY(vn__onnx_cval_copy(x, &c, I->max_elems));
    c.ndim = nd;
    memcpy(c.shape, shape, (size_t)nd * sizeof *shape);
    return vn__onnx_out_const(I, 0, &c);
}

/* An axes list from the attribute (opset < 13) or input 1. */
vn_status vn__onnx_get_axes(imp *I, int64_t *axes, int *na)
{
    *na = vn__onnx_attr_ints(I->nd, "axes", axes, VN_MAX_DIMS);
    if (*na > VN_MAX_DIMS)
        return BADF("too many axes");
    val *v = vn__onnx_in_val(I, 1);
    if (v) {
        if (v->kind != V_CONST || !v->c.is_int)
            return UNSUP("input 'axes' must be an integer constant");
        if (v->c.n > VN_MAX_DIMS)
            return BADF("too many axes");
        *na = (int)v->c.n;
        for (int k = 0; k < *na; k++)
            axes[k] = v->c.i[k];
    }
    return VN_OK;
}

/* Output shape of Unsqueeze / Squeeze applied to in (rank r). */
vn_status vn__onnx_squeeze_shape(imp *I, bool unsq, const int64_t *in, int r, int64_t *out, int *ro)
{
    int64_t axes[VN_MAX_DIMS + 1];
    int na;
    VN_TRY(vn__onnx_get_axes(I, axes, &na));
    if (unsq) {
        if (na < 0)
            return BADF("no axes");
        int rn = r + na;
        if (rn > VN_MAX_DIMS)
            return UNSUP("result has %d dimensions (at most %d)", rn, VN_MAX_DIMS);
        bool ins[VN_MAX_DIMS] = {0};
        for (int k = 0; k < na; k++) {
            int a;
            VN_TRY(vn__onnx_norm_axis(I, axes[k], rn, &a));
            if (ins[a])
                return BADF("axis %lld given twice", (long long)axes[k]);
            ins[a] = true;
        }
        int j = 0;
        for (int d = 0; d < rn; d++)
            out[d] = ins[d] ? 1 : in[j++];
        *ro = rn;
        return VN_OK;
    }
    bool del[VN_MAX_DIMS] = {0};
    if (na < 0) {
        for (int d = 0; d < r; d++)
            del[d] = in[d] == 1;
    } else {
        for (int k = 0; k < na; k++) {
            int a;
            VN_TRY(vn__onnx_norm_axis(I, axes[k], r, &a));
            if (in[a] == BATCH_SYM)
                return UNSUP("squeezes the batch axis (batch-first)");
            if (in[a] != 1)
                return BADF("axis %d has size %lld, not 1", a, (long long)in[a]);
            del[a] = true;
        }
    }
    int j = 0;
    for (int d = 0; d < r; d++)
        if (!del[d])
            out[j++] = in[d];
    *ro = j;
    return VN_OK;
}

/* Target shape of Reshape: shape constant s against input dims in (rank r);
 * zeros copied, one -1 inferred (when count is known, else left -1). */
vn_status vn__onnx_reshape_target(imp *I, const cval *s, const int64_t *in, int r, int64_t *out,
                                  int *ro)
{
    if (!s->is_int || s->ndim != 1)
        return UNSUP("input 'shape' must be a 1-D integer constant");
    if (s->n > VN_MAX_DIMS)
        return UNSUP("target has %lld dimensions (at most %d)", (long long)s->n, VN_MAX_DIMS);
    bool allowzero = vn__onnx_attr_i(I->nd, "allowzero", 0) != 0;
    int neg = -1;
    for (int k = 0; k < (int)s->n; k++) {
        int64_t v = s->i[k];
        if (v == 0 && !allowzero) {
            if (k >= r)
                return BADF("shape entry %d is 0 but the input has rank %d", k, r);
            v = in[k];
        } else if (v == 0) {
            return UNSUP("allowzero=1 with a 0 entry is not supported");
        } else if (v == -1) {
            if (neg >= 0)
                return BADF("two -1 entries in the shape");
            neg = k;
        } else if (v < -1 && v != BATCH_SYM) {
            return BADF("shape entry %lld", (long long)v);
        }
        out[k] = v;
    }
    *ro = (int)s->n;
    return VN_OK;
}

static vn_status fold_concat(imp *I)
{
    static const char *const known[] = {"axis", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    val *v0;
    VN_TRY(vn__onnx_need_in(I, 0, &v0));
    int r = v0->c.ndim, a;
    VN_TRY(vn__onnx_norm_axis(I, vn__onnx_attr_i(I->nd, "axis", 1), r, &a));
    int64_t shape[VN_MAX_DIMS];
    memcpy(shape, v0->c.shape, sizeof shape);
    shape[a] = 0;
    bool isi = true;
    for (int k = 0; k < vn__onnx_nin(I); k++) {
        val *v;
        VN_TRY(vn__onnx_need_in(I, k, &v));
        if (v->c.ndim != r)
            return BADF("inputs of different ranks");
        for (int d = 0; d < r; d++)
            if (d != a && v->c.shape[d] != v0->c.shape[d])
                return BADF("inputs of different shapes");
        shape[a] += v->c.shape[a];
        isi = isi && v->c.is_int;
    }
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, isi, r, shape, I->max_elems));
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < a; d++)
        outer *= shape[d];
    for (int d = a + 1; d < r; d++)
        inner *= shape[d];
    int64_t pos = 0;
    for (int k = 0; k < vn__onnx_nin(I); k++) {
        val *v = vn__onnx_in_val(I, k);
        int64_t w = v->c.shape[a] * inner;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < w; j++) {
                int64_t dst = o * shape[a] * inner + pos + j;
                if (isi)
                    c.i[dst] = v->c.i[o * w + j];
                else
                    c.f[dst] = (float)vn__onnx_cval_get(&v->c, o * w + j);
            }
        pos += w;
    }
    return vn__onnx_out_const(I, 0, &c);
}

static vn_status fold_gather(imp *I, const cval *x, const cval *idx)
{
    static const char *const known[] = {"axis", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    if (!idx->is_int)
        return BADF("indices must be integers");
    int r = x->ndim, a;
    if (r < 1)
        return BADF("Gather of a scalar");
    VN_TRY(vn__onnx_norm_axis(I, vn__onnx_attr_i(I->nd, "axis", 0), r, &a));
    int ro = r - 1 + idx->ndim;
    if (ro > VN_MAX_DIMS)
        return UNSUP("result has %d dimensions", ro);
    int64_t shape[VN_MAX_DIMS];
    int j = 0;
    for (int d = 0; d < a; d++)
        shape[j++] = x->shape[d];
    for (int d = 0; d < idx->ndim; d++)
        shape[j++] = idx->shape[d];
    for (int d = a + 1; d < r; d++)
        shape[j++] = x->shape[d];
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, x->is_int, ro, shape, I->max_elems));
    int64_t outer = 1, inner = 1, len = x->shape[a];
    for (int d = 0; d < a; d++)
        outer *= x->shape[d];
    for (int d = a + 1; d < r; d++)
        inner *= x->shape[d];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t q = 0; q < idx->n; q++) {
            int64_t ix = idx->i[q];
            if (ix < 0)
                ix += len;
            if (ix < 0 || ix >= len) {
                vn__onnx_cval_free(&c);
                return BADF("index %lld is out of range", (long long)idx->i[q]);
            }
            for (int64_t in = 0; in < inner; in++) {
                int64_t src = (o * len + ix) * inner + in, dst = (o * idx->n + q) * inner + in;
                if (x->is_int)
                    c.i[dst] = x->i[src];
                else
                    c.f[dst] = x->f[src];
            }
        }
    return vn__onnx_out_const(I, 0, &c);
}

static vn_status fold_shape(imp *I, const int64_t *shape, int r)
{
    static const char *const known[] = {"start", "end", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    int64_t st = vn__onnx_attr_i(I->nd, "start", 0), en = vn__onnx_attr_i(I->nd, "end", r);
    if (st < 0)
        st += r;
    if (en < 0)
        en += r;
    st = st < 0 ? 0 : st > r ? r : st;
    en = en < 0 ? 0 : en > r ? r : en;
    int64_t n = en > st ? en - st : 0;
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, true, 1, &n, I->max_elems));
    for (int64_t k = 0; k < n; k++)
        c.i[k] = shape[st + k];
    return vn__onnx_out_const(I, 0, &c);
}

/* Broadcast shape of two shapes. */
/* Advance the row-major multi-index idx over shape (rank r), wrapping to
 * zeros after the last element: the walk of the folds below. */
static void next_index(int64_t *idx, const int64_t *shape, int r)
{
    for (int d = r - 1; d >= 0; d--) {
        if (++idx[d] < shape[d])
            return;
        idx[d] = 0;
    }
}

static vn_status bcast_shape(imp *I, const int64_t *a, int ra, const int64_t *b, int rb, int64_t *o,
                             int *ro)
{
    *ro = 0;
    int r = ra > rb ? ra : rb;
    for (int d = 0; d < r; d++) {
        int64_t x = d - (r - ra) >= 0 ? a[d - (r - ra)] : 1;
        int64_t y = d - (r - rb) >= 0 ? b[d - (r - rb)] : 1;
        if (x != y && x != 1 && y != 1)
            return BADF("shapes do not broadcast (%lld vs %lld at dim %d)", (long long)x,
                        (long long)y, d);
        o[d] = x == 1 ? y : x;
    }
    *ro = r;
    return VN_OK;
}

/* Element offset into a (rank ra, right-aligned in r) for output index idx. */
static int64_t bcast_off(const int64_t *idx, int r, const int64_t *a, int ra)
{
    int64_t off = 0;
    for (int d = 0; d < ra; d++) {
        int64_t i = a[d] == 1 ? 0 : idx[d + r - ra];
        off = off * a[d] + i;
    }
    return off;
}

static vn_status fold_binary(imp *I, int op, const cval *a, const cval *b)
{
    VN_TRY(vn__onnx_check_attrs(I, NULL));
    int64_t shape[VN_MAX_DIMS];
    int r;
    VN_TRY(bcast_shape(I, a->shape, a->ndim, b->shape, b->ndim, shape, &r));
    bool isi = a->is_int && b->is_int;
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, isi, r, shape, I->max_elems));
    int64_t idx[VN_MAX_DIMS] = {0};
    for (int64_t k = 0; k < c.n; k++) {
        int64_t ia = bcast_off(idx, r, a->shape, a->ndim),
                ib = bcast_off(idx, r, b->shape, b->ndim);
        if (isi) {
            int64_t x = a->i[ia], y = b->i[ib], z;
            if (x == BATCH_SYM || y == BATCH_SYM) {
                vn__onnx_cval_free(&c);
                return UNSUP("arithmetic on the batch size is not supported");
            }
            bool bad = false;
            switch (op) {
            case 0: bad = __builtin_add_overflow(x, y, &z); break;
            case 1: bad = __builtin_sub_overflow(x, y, &z); break;
            case 2: bad = __builtin_mul_overflow(x, y, &z); break;
            default:
                bad = y == 0 || (x == INT64_MIN && y == -1);
                z = bad ? 0 : x / y;
                if (!bad && (x % y != 0) && ((x < 0) != (y < 0)))
                    z -= 1; /* numpy floor division */
                break;
            }
            if (bad) {
                vn__onnx_cval_free(&c);
                return UNSUP("integer overflow or division by zero");
            }
            c.i[k] = z;
        } else {
            double x = vn__onnx_cval_get(a, ia), y = vn__onnx_cval_get(b, ib);
            c.f[k] = (float)(op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y);
        }
        next_index(idx, shape, r);
    }
    return vn__onnx_out_const(I, 0, &c);
}

static vn_status fold_constant_of_shape(imp *I, const cval *sh)
{
    static const char *const known[] = {"value", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    if (!sh->is_int || sh->ndim != 1 || sh->n > VN_MAX_DIMS)
        return UNSUP("input 'input' must be a 1-D integer constant of at most %d entries",
                     VN_MAX_DIMS);
    int64_t shape[VN_MAX_DIMS];
    for (int k = 0; k < (int)sh->n; k++) {
        if (sh->i[k] == BATCH_SYM)
            return UNSUP("a constant shaped by the batch size is not supported");
        shape[k] = sh->i[k];
    }
    cval v = {0};
    bool isi = false;
    double fill = 0;
    const Onnx__AttributeProto *a = vn__onnx_attr(I->nd, "value");
    if (a && a->t) {
        vn_status st = vn__onnx_tensor_to_cval(a->t, &v, 16, "ConstantOfShape value", NULL);
        if (st != VN_OK)
            return vn__onnx_node_err(I, st, "%s", vn_last_error());
        if (v.n != 1) {
            vn__onnx_cval_free(&v);
            return BADF("attribute value must hold one element");
        }
        isi = v.is_int;
        fill = vn__onnx_cval_get(&v, 0);
        vn__onnx_cval_free(&v);
    }
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, isi, (int)sh->n, shape, I->max_elems));
    for (int64_t k = 0; k < c.n; k++) {
        if (isi)
            c.i[k] = (int64_t)fill;
        else
            c.f[k] = (float)fill;
    }
    return vn__onnx_out_const(I, 0, &c);
}

/* Integer list from attribute `name` (opset < 10) or constant input k. */
static vn_status int_list(imp *I, const char *name, int k, int64_t *out, int *n)
{
    val *v = vn__onnx_in_val(I, k);
    if (v) {
        if (v->kind != V_CONST || !v->c.is_int || v->c.ndim > 1)
            return UNSUP("input %d (%s) must be a 1-D integer constant", k, name);
        if (v->c.n > VN_MAX_DIMS)
            return BADF("%s has %lld entries", name, (long long)v->c.n);
        *n = (int)v->c.n;
        memcpy(out, v->c.i, (size_t)*n * sizeof *out);
        return VN_OK;
    }
    *n = vn__onnx_attr_ints(I->nd, name, out, VN_MAX_DIMS);
    if (*n > VN_MAX_DIMS)
        return BADF("%s has too many entries", name);
    return VN_OK;
}

static vn_status fold_slice(imp *I, const cval *x)
{
    static const char *const known[] = {"starts", "ends", "axes", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    int r = x->ndim;
    int64_t st[VN_MAX_DIMS], en[VN_MAX_DIMS], ax[VN_MAX_DIMS], sp[VN_MAX_DIMS];
    int nst, nen, nax, nsp;
    VN_TRY(int_list(I, "starts", 1, st, &nst));
    VN_TRY(int_list(I, "ends", 2, en, &nen));
    VN_TRY(int_list(I, "axes", 3, ax, &nax));
    VN_TRY(int_list(I, "steps", 4, sp, &nsp));
    if (nst < 0 || nst != nen || (nax >= 0 && nax != nst) || (nsp >= 0 && nsp != nst))
        return BADF("starts, ends, axes and steps do not match");
    int64_t b[VN_MAX_DIMS], step[VN_MAX_DIMS], shape[VN_MAX_DIMS];
    for (int d = 0; d < r; d++)
        b[d] = 0, step[d] = 1, shape[d] = x->shape[d];
    bool seen[VN_MAX_DIMS] = {0};
    for (int k = 0; k < nst; k++) {
        int a;
        VN_TRY(vn__onnx_norm_axis(I, nax >= 0 ? ax[k] : k, r, &a));
        if (seen[a])
            return BADF("axis %d sliced twice", a);
        seen[a] = true;
        int64_t dim = x->shape[a], s0 = st[k], e0 = en[k], sv = nsp >= 0 ? sp[k] : 1;
        if (sv == 0)
            return BADF("step 0");
        if (s0 < 0)
            s0 = s0 < -dim ? 0 : s0 + dim;
        if (e0 < 0)
            e0 = e0 < -dim ? -1 : e0 + dim;
        if (sv > 0) {
            s0 = s0 > dim ? dim : s0;
            e0 = e0 < 0 ? 0 : e0 > dim ? dim : e0;
            shape[a] = e0 > s0 ? (e0 - s0 + sv - 1) / sv : 0;
        } else {
            s0 = s0 > dim - 1 ? dim - 1 : s0;
            e0 = e0 > dim - 1 ? dim - 1 : e0;
            shape[a] = s0 > e0 ? (s0 - e0 + (-sv) - 1) / (-sv) : 0;
        }
        b[a] = s0;
        step[a] = sv;
    }
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, x->is_int, r, shape, I->max_elems));
    int64_t idx[VN_MAX_DIMS] = {0};
    for (int64_t k = 0; k < c.n; k++) {
        int64_t src = 0;
        for (int d = 0; d < r; d++)
            src = src * x->shape[d] + b[d] + idx[d] * step[d];
        if (x->is_int)
            c.i[k] = x->i[src];
        else
            c.f[k] = x->f[src];
        next_index(idx, shape, r);
    }
    return vn__onnx_out_const(I, 0, &c);
}

static vn_status fold_transpose(imp *I, const cval *x)
{
    static const char *const known[] = {"perm", NULL};
    VN_TRY(vn__onnx_check_attrs(I, known));
    int r = x->ndim;
    int64_t perm[VN_MAX_DIMS + 1];
    int np = vn__onnx_attr_ints(I->nd, "perm", perm, VN_MAX_DIMS);
    if (np < 0) {
        np = r;
        for (int d = 0; d < r; d++)
            perm[d] = r - 1 - d;
    }
    if (np != r)
        return BADF("perm has %d entries for rank %d", np, r);
    bool seen[VN_MAX_DIMS] = {0};
    int64_t shape[VN_MAX_DIMS], stride[VN_MAX_DIMS];
    for (int d = 0; d < r; d++) {
        if (perm[d] < 0 || perm[d] >= r || seen[perm[d]])
            return BADF("perm is not a permutation");
        seen[perm[d]] = true;
        shape[d] = x->shape[perm[d]];
    }
    int64_t acc = 1;
    for (int d = r - 1; d >= 0; d--) {
        stride[d] = acc;
        acc *= x->shape[d];
    }
    cval c;
    VN_TRY(vn__onnx_cval_alloc(&c, x->is_int, r, shape, I->max_elems));
    int64_t idx[VN_MAX_DIMS] = {0};
    for (int64_t k = 0; k < c.n; k++) {
        int64_t src = 0;
        for (int d = 0; d < r; d++)
            src += idx[d] * stride[perm[d]];
        if (x->is_int)
            c.i[k] = x->i[src];
        else
            c.f[k] = x->f[src];
        next_index(idx, shape, r);
    }
    return vn__onnx_out_const(I, 0, &c);
}

/* Fold the current node when all its inputs are constants and the op is
 * simple; *done = false when it is not folded. */
vn_status vn__onnx_try_fold(imp *I, const char *op, bool *done)
{
    *done = false;
    if (strcmp(op, "Constant") == 0) {
        *done = true;
        return fold_constant(I);
    }
    bool allc = vn__onnx_nin(I) > 0;
    for (int k = 0; k < vn__onnx_nin(I); k++) {
        val *v = vn__onnx_in_val(I, k);
        if (v && v->kind != V_CONST)
            allc = false;
    }
    /* Shape of a runtime tensor: static but for the batch. */
    if (strcmp(op, "Shape") == 0) {
        val *x;
        VN_TRY(vn__onnx_need_in(I, 0, &x));
        int64_t s[VN_MAX_DIMS];
        int r = x->kind == V_RUN ? vn__onnx_run_shape(I, x, s) : x->c.ndim;
        if (x->kind != V_RUN)
            memcpy(s, x->c.shape, sizeof s);
        *done = true;
        return fold_shape(I, s, r);
    }
    if (!allc)
        return VN_OK;
    val *x;
    VN_TRY(vn__onnx_need_in(I, 0, &x));
    const cval *c0 = &x->c;
    *done = true;
    if (strcmp(op, "Identity") == 0) {
        VN_TRY(vn__onnx_check_attrs(I, NULL));
        cval c;
        VN_TRY(vn__onnx_cval_copy(c0, &c, I->max_elems));
        return vn__onnx_out_const(I, 0, &c);
    }
    if (strcmp(op, "Cast") == 0)
        return fold_cast(I, c0);
    if (strcmp(op, "Reshape") == 0) {
        static const char *const known[] = {"allowzero", NULL};
        VN_TRY(vn__onnx_check_attrs(I, known));
        cval *s;
        VN_TRY(vn__onnx_need_const(I, 1, "shape", &s));
        int64_t t[VN_MAX_DIMS];
        int r;
        VN_TRY(vn__onnx_reshape_target(I, s, c0->shape, c0->ndim, t, &r));
        int64_t known_n = 1;
        int neg = -1;
        for (int k = 0; k < r; k++) {
            if (t[k] == -1)
                neg = k;
            else if (t[k] < 0)
                return UNSUP("reshape of a constant by the batch size");
            else if (__builtin_mul_overflow(known_n, t[k], &known_n))
                return BADF("target shape overflows");
        }
        if (neg >= 0) {
            if (known_n == 0 || c0->n % known_n)
                return BADF("cannot infer the -1 entry");
            t[neg] = c0->n / known_n;
        }
        return fold_reshape_to(I, c0, r, t);
    }
    if (strcmp(op, "Flatten") == 0) {
        static const char *const known[] = {"axis", NULL};
        VN_TRY(vn__onnx_check_attrs(I, known));
        int r = c0->ndim, a;
        int64_t ax = vn__onnx_attr_i(I->nd, "axis", 1);
        if (ax < -r || ax > r)
            return BADF("axis %lld is out of range", (long long)ax);
        a = (int)(ax < 0 ? ax + r : ax);
        int64_t t[2] = {1, 1};
        for (int d = 0; d < r; d++)
            t[d < a ? 0 : 1] *= c0->shape[d];
        return fold_reshape_to(I, c0, 2, t);
    }
    if (strcmp(op, "Unsqueeze") == 0 || strcmp(op, "Squeeze") == 0) {
        static const char *const known[] = {"axes", NULL};
        VN_TRY(vn__onnx_check_attrs(I, known));
        int64_t t[VN_MAX_DIMS];
        int r;
        VN_TRY(vn__onnx_squeeze_shape(I, op[0] == 'U', c0->shape, c0->ndim, t, &r));
        return fold_reshape_to(I, c0, r, t);
    }
    if (strcmp(op, "Concat") == 0)
        return fold_concat(I);
    if (strcmp(op, "ConstantOfShape") == 0)
        return fold_constant_of_shape(I, c0);
    if (strcmp(op, "Slice") == 0)
        return fold_slice(I, c0);
    if (strcmp(op, "Transpose") == 0)
        return fold_transpose(I, c0);
    if (strcmp(op, "Gather") == 0) {
        cval *idx;
        VN_TRY(vn__onnx_need_const(I, 1, "indices", &idx));
        return fold_gather(I, c0, idx);
    }
    static const char *const bin[] = {"Add", "Sub", "Mul", "Div"};
    for (int k = 0; k < 4; k++)
        if (strcmp(op, bin[k]) == 0) {
            cval *b;
            VN_TRY(vn__onnx_need_const(I, 1, "B", &b));
            return fold_binary(I, k, c0, b);
        }
    *done = false;
    return VN_OK;
}

#endif /* VN_HAVE_ONNX */
