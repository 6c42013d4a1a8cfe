/*
 * broadcast.c - numpy-style broadcasting for the element-wise layers (add,
 * sub, mul, div) and the batched matmul: the broadcast shape, the strided
 * forward loop, and the gradient of one operand summed over the dims along
 * which it was broadcast.
 *
 * Shapes are per sample and right-aligned; the batch (n) is prepended and
 * is the same for every operand. Before looping, the full shapes become a
 * "plan": dims of extent 1 in the output are dropped and neighbouring dims
 * are merged wherever every operand's strides allow it, so that
 *   same shape             -> one dim, strides (1, 1)
 *   [C,1,1] vs [C,H,W]     -> [n*C, H*W], strides (1, 1) / (1, 0)
 *   scalar vs anything     -> [n, M], strides (1, 1) / (1, 0)
 * and the innermost loop runs over contiguous memory with one operand
 * either contiguous or held in a register (the fast paths). A gradient
 * summed over inner dims ([C,1,1]) runs its sums along contiguous memory;
 * one summed over outer dims only ([W] against [C,H,W]) accumulates whole
 * rows. Every output element is written by one task and every gradient
 * element is summed (in double) by one task in a fixed order, so results
 * do not depend on the thread count.
 */
#include "kernels/kernels.h"

#include <visionnet/tensor.h>

#include <string.h>

#define MAXD (VN_MAX_DIMS + 1)

typedef struct plan {
    int k;               /* merged dims, >= 1 */
    int64_t n[MAXD];     /* extents, outermost first */
    int64_t s[3][MAXD];  /* element strides of y (contiguous), a, b; 0 where broadcast */
} plan;

bool vn__bcast_shape(int na, const int64_t *a, int nb, const int64_t *b, int *ny, int64_t *y)
{
    int r = na > nb ? na : nb;
    for (int i = 0; i < r; i++) {
        /* i counts from the right */
        int64_t da = i < na ? a[na - 1 - i] : 1, db = i < nb ? b[nb - 1 - i] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        y[r - 1 - i] = da == 1 ? db : da;
    }
    *ny = r;
    return true;
}

/* The full dims of an operand of per-sample rank nx, padded with 1s on the
 * left to rank ny + 1 (batch first). nx < 0: an absent operand (all 1s). */
static void full_dims(int64_t n, int ny, int nx, const int64_t *xs, int64_t *d)
{
    d[0] = nx < 0 ? 1 : n;
    for (int i = 0; i < ny; i++) {
        int j = i - (ny - nx);
        d[i + 1] = (nx >= 0 && j >= 0) ? xs[j] : 1;
    }
}

static void make_plan(int64_t n, int ny, const int64_t *ys, int na, const int64_t *as, int nb,
                      const int64_t *bs, plan *p)
{
    int r = ny + 1;
    int64_t dim[3][MAXD], st[3][MAXD];
    full_dims(n, ny, ny, ys, dim[0]);
    full_dims(n, ny, na, as, dim[1]);
    full_dims(n, ny, nb, bs, dim[2]);
    for (int o = 0; o < 3; o++) {
        int64_t s = 1;
        for (int d = r - 1; d >= 0; d--) {
            st[o][d] = dim[o][d] == 1 ? 0 : s;
            s *= dim[o][d];
        }
    }
    p->k = 0;
    for (int d = 0; d < r; d++) {
        if (dim[0][d] == 1)
            continue;
        int k = p->k;
        if (k > 0) {
            bool merge = true;
            for (int o = 0; o < 3; o++)
                merge = merge && p->s[o][k - 1] == st[o][d] * dim[0][d];
            if (merge) {
                p->n[k - 1] *= dim[0][d];
                for (int o = 0; o < 3; o++)
                    p->s[o][k - 1] = st[o][d];
                continue;
            }
        }
        p->n[k] = dim[0][d];
        for (int o = 0; o < 3; o++)
            p->s[o][k] = st[o][d];
        p->k++;
    }
    if (p->k == 0) {
        p->k = 1;
        p->n[0] = 1;
        for (int o = 0; o < 3; o++)
            p->s[o][0] = 0;
    }
}

static int64_t plan_count(const plan *p)
{
    int64_t c = 1;
    for (int d = 0; d < p->k; d++)
        c *= p->n[d];
    return c;
}

/* Offsets of a and b for row `row` of the plan (all dims but the last). */
static void row_offsets(const plan *p, int64_t row, int64_t *oa, int64_t *ob)
{
    int64_t a = 0, b = 0;
    for (int d = p->k - 2; d >= 0; d--) {
        int64_t i = row % p->n[d];
        row /= p->n[d];
        a += i * p->s[1][d];
        b += i * p->s[2][d];
    }
    *oa = a;
    *ob = b;
}

/* ---- forward ------------------------------------------------------------ */

typedef struct fwd_job {
    plan p;
    vn__binop op;
    const float *a, *b;
    float *y;
} fwd_job;

#define INNER(E)                                                              \
    do {                                                                      \
        if (sa == 1 && sb == 1) {                                             \
            for (int64_t i = 0; i < len; i++) {                               \
                float av = a[i], bv = b[i];                                   \
                y[i] = E;                                                     \
            }                                                                 \
        } else if (sa == 1 && sb == 0) {                                      \
            const float bv = b[0];                                            \
            for (int64_t i = 0; i < len; i++) {                               \
                float av = a[i];                                              \
                y[i] = E;                                                     \
            }                                                                 \
        } else if (sa == 0 && sb == 1) {                                      \
            const float av = a[0];                                            \
            for (int64_t i = 0; i < len; i++) {                               \
                float bv = b[i];                                              \
                y[i] = E;                                                     \
            }                                                                 \
        } else {                                                              \
            for (int64_t i = 0; i < len; i++) {                               \
                float av = a[i * sa], bv = b[i * sb];                         \
                y[i] = E;                                                     \
            }                                                                 \
        }                                                                     \
    } while (0)

VN_SIMD_CLONES static void fwd_inner(vn__binop op, const float *a, int64_t sa, const float *b,
                                     int64_t sb, float *y, int64_t len)
{
    switch (op) {
    case VN__BIN_ADD:
        INNER(av + bv);
        break;
    case VN__BIN_SUB:
        INNER(av - bv);
        break;
    case VN__BIN_MUL:
        INNER(av * bv);
        break;
    case VN__BIN_DIV:
        INNER(av / bv);
        break;
    case VN__BIN_COPY:
        if (sa == 1)
            memmove(y, a, (size_t)len * sizeof(float));
        else
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i * sa];
        break;
    }
}

static void fwd_range(void *arg, int64_t begin, int64_t end)
{
    const fwd_job *j = arg;
    const plan *p = &j->p;
    int64_t inner = p->n[p->k - 1];
    int64_t sa = p->s[1][p->k - 1], sb = p->s[2][p->k - 1];
    for (int64_t i = begin; i < end;) {
        int64_t col = i % inner, oa, ob;
        row_offsets(p, i / inner, &oa, &ob);
        int64_t len = VN_MIN(inner - col, end - i);
        fwd_inner(j->op, j->a + oa + col * sa, sa, j->b ? j->b + ob + col * sb : NULL, sb,
                  j->y + i, len);
        i += len;
    }
}

void vn__bcast_forward(vn__binop op, int64_t n, int ny, const int64_t *ys, int na,
                       const int64_t *as, const float *a, int nb, const int64_t *bs,
                       const float *b, float *y)
{
    fwd_job j = {.op = op, .a = a, .b = op == VN__BIN_COPY ? NULL : b, .y = y};
    make_plan(n, ny, ys, na, as, op == VN__BIN_COPY ? -1 : nb, bs, &j.p);
    vn__parallel_for(plan_count(&j.p), 1.0, fwd_range, &j);
}

/* ---- backward ----------------------------------------------------------- */

typedef struct bwd_job {
    plan p;
    vn__binop op;
    int which;                 /* 0: gradient of a, 1: of b */
    const float *a, *b, *dy;
    float *dx;
    int nkept, nred;
    int kept[MAXD], red[MAXD]; /* plan dims the operand keeps / is broadcast along */
} bwd_job;

/* The derivative term for one output element: g = dy, av / bv the operands. */
#define TERM_CASES(ACC)                                                           \
    switch (j->op) {                                                              \
    case VN__BIN_ADD:                                                             \
    case VN__BIN_COPY:                                                            \
        ACC(g);                                                                   \
        break;                                                                    \
    case VN__BIN_SUB:                                                             \
        if (j->which)                                                             \
            ACC(-g);                                                              \
        else                                                                      \
            ACC(g);                                                               \
        break;                                                                    \
    case VN__BIN_MUL:                                                             \
        if (j->which)                                                             \
            ACC(g * AV);                                                          \
        else                                                                      \
            ACC(g * BV);                                                          \
        break;                                                                    \
    case VN__BIN_DIV:                                                             \
        if (j->which)                                                             \
            ACC(-g * AV / (BV * BV));                                             \
        else                                                                      \
            ACC(g / BV);                                                          \
        break;                                                                    \
    }

/* The operand is not broadcast: dx[i] = term(dy[i], a, b) element by element. */
static void bwd_direct_range(void *arg, int64_t begin, int64_t end)
{
    const bwd_job *j = arg;
    const plan *p = &j->p;
    int64_t inner = p->n[p->k - 1];
    int64_t sa = p->s[1][p->k - 1], sb = p->s[2][p->k - 1];
    for (int64_t i = begin; i < end;) {
        int64_t col = i % inner, oa, ob;
        row_offsets(p, i / inner, &oa, &ob);
        int64_t len = VN_MIN(inner - col, end - i);
        const float *a = j->a ? j->a + oa + col * sa : NULL;
        const float *b = j->b ? j->b + ob + col * sb : NULL;
        const float *dy = j->dy + i;
        float *dx = j->dx + i;
#define AV a[t * sa]
#define BV b[t * sb]
#define STORE(E)                                                                   \
    do {                                                                           \
        for (int64_t t = 0; t < len; t++) {                                        \
            float g = dy[t];                                                       \
            dx[t] = (E);                                                           \
        }                                                                          \
    } while (0)
        /* the common terms are a forward product with dy (vectorised there) */
        if (j->op == VN__BIN_ADD || j->op == VN__BIN_COPY || (j->op == VN__BIN_SUB && !j->which))
            memcpy(dx, dy, (size_t)len * sizeof(float));
        else if (j->op == VN__BIN_MUL)
            fwd_inner(VN__BIN_MUL, dy, 1, j->which ? a : b, j->which ? sa : sb, dx, len);
        else if (j->op == VN__BIN_DIV && !j->which)
            fwd_inner(VN__BIN_DIV, dy, 1, b, sb, dx, len);
        else
            TERM_CASES(STORE);
#undef STORE
#undef AV
#undef BV
        i += len;
    }
}

/* The offsets into dy, a and b (off[0..2]) of index e over the plan dims
 * dims[0..nd), dims[nd-1] varying fastest. */
static inline void dims_offsets(const plan *p, const int *dims, int nd, int64_t e, int64_t off[3])
{
    off[0] = off[1] = off[2] = 0;
    for (int q = nd - 1; q >= 0; q--) {
        const int d = dims[q];
        const int64_t i = e % p->n[d];
        e /= p->n[d];
        for (int o = 0; o < 3; o++)
            off[o] += i * p->s[o][d];
    }
}

/* base + the offsets of the multi-index idx over dims[0..nd). */
static inline void add_offsets(const plan *p, const int *dims, int nd, const int64_t *idx,
                               const int64_t base[3], int64_t off[3])
{
    for (int o = 0; o < 3; o++)
        off[o] = base[o];
    for (int q = 0; q < nd; q++)
        for (int o = 0; o < 3; o++)
            off[o] += idx[q] * p->s[o][dims[q]];
}

/* Advance the multi-index idx over dims[0..nd) (the last fastest); false
 * once it has wrapped back to all zeros. */
static inline bool next_index(const plan *p, const int *dims, int nd, int64_t *idx)
{
    for (int q = nd - 1; q >= 0; q--) {
        if (++idx[q] < p->n[dims[q]])
            return true;
        idx[q] = 0;
    }
    return false;
}

/* The operand is broadcast: dx[e] = sum of term over the output elements
 * that read e, in double, the innermost broadcast dim as the inner loop. */
static void bwd_reduce_range(void *arg, int64_t begin, int64_t end)
{
    const bwd_job *j = arg;
    const plan *p = &j->p;
    int last = j->red[j->nred - 1];
    int64_t rn = p->n[last], ry = p->s[0][last], ra = p->s[1][last], rb = p->s[2][last];
    for (int64_t e = begin; e < end; e++) {
        int64_t base[3], off[3], idx[MAXD] = {0};
        dims_offsets(p, j->kept, j->nkept, e, base);
        double sum = 0.0;
        do {
            /* the reduced dims but the last, which the inner loop walks */
            add_offsets(p, j->red, j->nred - 1, idx, base, off);
            const float *dy = j->dy + off[0];
            const float *a = j->a ? j->a + off[1] : NULL;
            const float *b = j->b ? j->b + off[2] : NULL;
#define AV a[t * ra]
#define BV b[t * rb]
#define ACCUM(E)                                                                   \
    do {                                                                           \
        for (int64_t t = 0; t < rn; t++) {                                         \
            float g = dy[t * ry];                                                  \
            sum += (double)(E);                                                    \
        }                                                                          \
    } while (0)
            TERM_CASES(ACCUM)
#undef ACCUM
#undef AV
#undef BV
        } while (next_index(p, j->red, j->nred - 1, idx));
        j->dx[e] = (float)sum;
    }
}

/* The operand is broadcast along outer dims only (its innermost dim is
 * kept, [W] against [C,H,W]): walking each dx element's own strided sum
 * would touch a new cache line per term, so instead a block of up to
 * ROW_BLOCK consecutive dx elements is summed row by row into double
 * accumulators. Each element still sums its terms in the same order. */
#define ROW_BLOCK 256

static void bwd_rows_range(void *arg, int64_t begin, int64_t end)
{
    const bwd_job *j = arg;
    const plan *p = &j->p;
    const int last = p->k - 1;
    const int64_t L = p->n[last], ly = p->s[0][last], la = p->s[1][last], lb = p->s[2][last];
    double acc[ROW_BLOCK];
    for (int64_t e = begin; e < end; e++) {
        int64_t row[3];
        /* the kept dims but the last (the row) */
        dims_offsets(p, j->kept, j->nkept - 1, e, row);
        for (int64_t c0 = 0; c0 < L; c0 += ROW_BLOCK) {
            const int64_t len = VN_MIN(ROW_BLOCK, L - c0);
            for (int64_t t = 0; t < len; t++)
                acc[t] = 0.0;
            const int64_t base[3] = {row[0] + c0 * ly, row[1] + c0 * la, row[2] + c0 * lb};
            int64_t off[3], idx[MAXD] = {0};
            do {
                add_offsets(p, j->red, j->nred, idx, base, off);
                const float *dy = j->dy + off[0];
                const float *a = j->a ? j->a + off[1] : NULL;
                const float *b = j->b ? j->b + off[2] : NULL;
#define AV a[t * la]
#define BV b[t * lb]
#define ACCROW(E)                                                                  \
    do {                                                                           \
        for (int64_t t = 0; t < len; t++) {                                        \
            float g = dy[t * ly];                                                  \
            acc[t] += (double)(E);                                                 \
        }                                                                          \
    } while (0)
                TERM_CASES(ACCROW)
#undef ACCROW
#undef AV
#undef BV
            } while (next_index(p, j->red, j->nred, idx));
            for (int64_t t = 0; t < len; t++)
                j->dx[e * L + c0 + t] = (float)acc[t];
        }
    }
}

void vn__bcast_backward(vn__binop op, int which, int64_t n, int ny, const int64_t *ys, int na,
                        const int64_t *as, const float *a, int nb, const int64_t *bs,
                        const float *b, const float *dy, float *dx)
{
    bwd_job j = {.op = op, .which = which, .a = a, .b = b, .dy = dy, .dx = dx};
    make_plan(n, ny, ys, na, as, nb, bs, &j.p);
    const plan *p = &j.p;
    const int64_t *sx = p->s[1 + which];
    int64_t kept_count = 1, red_count = 1;
    for (int d = 0; d < p->k; d++) {
        if (sx[d] != 0 || p->n[d] == 1) {
            j.kept[j.nkept++] = d;
            kept_count *= p->n[d];
        } else {
            j.red[j.nred++] = d;
            red_count *= p->n[d];
        }
    }
    if (j.nred == 0) {
        vn__parallel_for(plan_count(p), 2.0, bwd_direct_range, &j);
        return;
    }
    if (j.nkept > 0 && j.kept[j.nkept - 1] == p->k - 1) {
        int64_t L = p->n[p->k - 1];
        vn__parallel_for(kept_count / L, 2.0 * (double)(red_count * L), bwd_rows_range, &j);
        return;
    }
    vn__parallel_for(kept_count, 2.0 * (double)red_count, bwd_reduce_range, &j);
}

/* ---- batched matrix product --------------------------------------------- */

typedef struct mm_job {
    plan p;
    int64_t m, k, q;
    const float *a, *b;
    float *y;
} mm_job;

static void mm_offsets(const plan *p, int64_t t, int64_t *oa, int64_t *ob)
{
    int64_t a = 0, b = 0;
    for (int d = p->k - 1; d >= 0; d--) {
        int64_t i = t % p->n[d];
        t /= p->n[d];
        a += i * p->s[1][d];
        b += i * p->s[2][d];
    }
    *oa = a;
    *ob = b;
}

static void mm_range(void *arg, int64_t begin, int64_t end)
{
    const mm_job *j = arg;
    for (int64_t t = begin; t < end; t++) {
        int64_t ia, ib;
        mm_offsets(&j->p, t, &ia, &ib);
        vn__sgemm_serial(false, false, j->m, j->q, j->k, 1.0f, j->a + ia * j->m * j->k, j->k,
                         j->b + ib * j->k * j->q, j->q, 0.0f, j->y + t * j->m * j->q, j->q);
    }
}

void vn__bcast_matmul_forward(int64_t n, int nyb, const int64_t *yb, int nab, const int64_t *ab,
                              int nbb, const int64_t *bb, int64_t m, int64_t k, int64_t q,
                              const float *a, const float *b, float *y)
{
    mm_job j = {.m = m, .k = k, .q = q, .a = a, .b = b, .y = y};
    make_plan(n, nyb, yb, nab, ab, nbb, bb, &j.p);
    vn__parallel_for(plan_count(&j.p), 2.0 * (double)(m * k * q), mm_range, &j);
}

void vn__bcast_matmul_backward(int64_t n, int nyb, const int64_t *yb, int nab, const int64_t *ab,
                               int nbb, const int64_t *bb, int64_t m, int64_t k, int64_t q,
                               const float *a, const float *b, const float *dy, float *da,
                               float *db)
{
    plan p;
    make_plan(n, nyb, yb, nab, ab, nbb, bb, &p);
    int64_t count = plan_count(&p);
    int64_t acount = 1, bcount = 1;
    for (int d = 0; d < p.k; d++) {
        acount *= p.s[1][d] ? p.n[d] : 1;
        bcount *= p.s[2][d] ? p.n[d] : 1;
    }
    if (da)
        memset(da, 0, (size_t)(acount * m * k) * sizeof(float));
    if (db)
        memset(db, 0, (size_t)(bcount * k * q) * sizeof(float));
    /* in output order, so each sum has the same order on any thread count */
    for (int64_t t = 0; t < count; t++) {
        int64_t ia, ib;
        mm_offsets(&p, t, &ia, &ib);
        const float *g = dy + t * m * q;
        if (da)
            vn__sgemm(false, true, m, k, q, 1.0f, g, q, b + ib * k * q, q, 1.0f, da + ia * m * k,
                      k);
        if (db)
            vn__sgemm(true, false, k, q, m, 1.0f, a + ia * m * k, k, g, q, 1.0f, db + ib * k * q,
                      q);
    }
}
