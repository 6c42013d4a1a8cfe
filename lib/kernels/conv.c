/*
 * conv.c - 2-D convolution (cross-correlation) forward, input gradient and
 * weight gradient, for any stride, padding, dilation and groups.
 *
 * Each is one GEMM per group on im2col columns (im2col.c):
 *
 *   forward       Y[k, p]    = W[k, q] * col[q, p]          (+ bias[k])
 *   input grad    dcol[q, p] = W^T[q, k] * dY[k, p],  dx = col2im(dcol)
 *   weight grad   dW[k, q]  += dY[k, p] * col^T[p, q]
 *
 * with q = (c, ki, kj) over one group's channels and p the output pixels.
 * A 1x1 convolution with stride 1 and no padding needs no im2col: the input
 * itself is the column matrix. A depthwise convolution has no GEMM worth the
 * name (one channel per group) and runs as direct loops (depthwise.c).
 *
 * Blocking. The columns of one GEMM are kept to about 1 MiB so that they
 * stay in the L2 cache between im2col writing them and the GEMM reading
 * them: a large image is cut into bands of output rows (56x56 with 64
 * channels: bands of 8 rows, 448 columns), and small images (14x14 = 196
 * pixels) are taken several samples at a time, their columns side by side,
 * so that each GEMM still has ~1024 columns (a thin GEMM spends its time
 * packing rather than multiplying). From 512 output pixels (28x28) a sample
 * is wide enough alone and its GEMM writes straight into y, with no gather
 * / scatter copies. The forward's epilogue (bias, and relu when the graph
 * runtime fuses a following relu) runs on each block while it is in cache.
 *
 * Packed columns. Where im2col is a copy (stride 1, output as wide as the
 * input, one group: 3x3 "same", batched 1x1) and the GEMM runs on the
 * task's thread, the forward writes its columns straight into the native
 * GEMM's packed panels (im2col_packed.c, vn__sgemm_prepacked), skipping the
 * GEMM's own packing pass over them.
 *
 * Threads: the batch is cut into contiguous ranges of samples, one per pool
 * task; each task runs its own im2col and single-threaded GEMMs on its
 * samples, so the columns it writes stay in its core's cache. With fewer
 * samples than threads (batch 1 inference) the forward cuts each sample
 * into tasks instead (bands of output rows, or ranges of output channels:
 * plan_split), and the backward passes split each GEMM over the pool
 * (gemm.c). The weight gradient is summed into
 * a number of partial buffers fixed by the shape (not by the thread count)
 * that are then added in order, so results are the same on any number of
 * threads.
 *
 * conv_transpose2d is this file read backwards: its forward is the input
 * gradient here, its input gradient the forward, its weight gradient the
 * weight gradient with the roles of x and dy exchanged.
 */
#include "kernels/kernels.h"

#include <stdatomic.h>
#include <string.h>

/* Columns of the GEMMs we aim for when batching small images. */
#define TARGET_COLUMNS 1024
/* Output pixels from which one sample's GEMM is wide enough on its own. */
#define DIRECT_COLUMNS 512
/* Fewest columns of a band of a large image. */
#define MIN_BAND_COLUMNS 256
/* Floats of im2col columns per GEMM (1 MiB: half an L2 cache). */
#define BLOCK_FLOATS (256 * 1024)

int64_t vn__conv_out_size(int64_t in, int k, int s, int p, int d)
{
    int64_t num = in + 2 * (int64_t)p - (int64_t)d * (k - 1) - 1;
    if (num < 0 || s <= 0)
        return 0;
    return num / s + 1;
}

/* The input is the column matrix: 1x1, stride 1, no padding at either
 * end (the output as large as the input; padding only at the bottom /
 * right, pad_end, makes it larger). */
static bool is_pointwise(const vn__conv_geom *g)
{
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 &&
           g->oh == g->h && g->ow == g->w;
}

typedef struct conv_job {
    const vn__conv_geom *g;
    const float *x, *w, *bias, *dy;
    float *y, *dx, *dw;
    float *yrelu;        /* forward: also relu(y) here (NULL: not wanted) */
    const vn__pool_geom *pool; /* forward through relu and a max-pool: y unused */
    float *pooled;       /* ... the pool's output */
    int32_t *argmax;     /* ... and its arg-max (NULL: not wanted) */
    bool tap_major;      /* weight gradient: partials with columns t*c + ch (im2row) */
    float *partials;     /* weight gradient: one [k, c/groups*kh*kw] block per task */
    int ntasks;
    int64_t chunk;       /* samples per GEMM (1 when the image is banded) */
    int64_t band;        /* output rows per GEMM (all of them when chunk > 1) */
    int64_t bands;       /* split forward: bands per sample */
    int64_t ranges;      /* split forward: ranges of output channels per band */
    int64_t kstep;       /* split forward: output channels per range */
    int64_t per;         /* samples per task, whole GEMM blocks (0: n / ntasks each) */
    atomic_int failed;
} conv_job;

static int64_t plane_in(const vn__conv_geom *g) { return g->h * g->w; }
static int64_t plane_out(const vn__conv_geom *g) { return g->oh * g->ow; }
static int64_t col_rows(const vn__conv_geom *g) { return g->c * g->kh * g->kw; }

static void plan_blocks(conv_job *j)
{
    const vn__conv_geom *g = j->g;
    const int64_t P = plane_out(g), rows = col_rows(g);
    if (is_pointwise(g) && P >= MIN_BAND_COLUMNS) {
        /* the input is the column matrix: nothing to keep in cache */
        j->chunk = 1;
        j->band = g->oh;
    } else if (P >= DIRECT_COLUMNS && rows * P <= BLOCK_FLOATS) {
        /* wide enough alone: GEMMs straight into y, no gather / scatter */
        j->chunk = 1;
        j->band = g->oh;
    } else if (rows * P <= BLOCK_FLOATS) {
        int64_t nb = (TARGET_COLUMNS + P - 1) / P;
        j->chunk = VN_MAX(VN_MIN(nb, BLOCK_FLOATS / (rows * P)), (int64_t)1);
        j->band = g->oh;
    } else {
        int64_t band = VN_MAX((MIN_BAND_COLUMNS + g->ow - 1) / g->ow,
                              BLOCK_FLOATS / (rows * g->ow));
        j->chunk = 1;
        j->band = VN_MAX(VN_MIN(band, g->oh), (int64_t)1);
    }
}

/* Copy samples [0, cnt) of t ([cnt, rows, P]) into buf [rows, cnt*P]
 * (the way back is the forward's scatter_bias_relu). */
static void gather(const float *t, int64_t rows, int64_t P, int64_t cnt, float *buf)
{
    for (int64_t j = 0; j < cnt; j++)
        for (int64_t r = 0; r < rows; r++)
            memcpy(buf + r * cnt * P + j * P, t + (j * rows + r) * P, (size_t)P * sizeof(float));
}


/* One GEMM's worth of work: samples [n, n+cnt), output rows [r0, r1). */
typedef struct block {
    int64_t n, cnt, r0, r1;
    int64_t cols;        /* columns per sample: (r1-r0)*ow */
} block;

/* The column matrix of a block in *B with leading dimension *ldb: the
 * input itself for a pointwise conv of one sample, else im2col into the
 * thread's scratch. false when scratch memory ran out. */
static bool columns(const conv_job *j, const block *b, const float **B, int64_t *ldb)
{
    const vn__conv_geom *g = j->g;
    if (is_pointwise(g) && b->cnt == 1) {
        *B = j->x + b->n * g->c * plane_in(g) + b->r0 * g->ow;
        *ldb = plane_out(g);
        return true;
    }
    float *col = vn__scratch(VN__SCRATCH_COL, (size_t)(col_rows(g) * b->cnt * b->cols));
    if (!col)
        return false;
    for (int64_t s = 0; s < b->cnt; s++)
        vn__im2col(g, j->x + (b->n + s) * g->c * plane_in(g), col + s * b->cols, b->cnt * b->cols,
                   b->r0, b->r1);
    *B = col;
    *ldb = b->cnt * b->cols;
    return true;
}

/* The columns of a block straight in the GEMM's packed layout
 * (im2col_packed.c), saving the GEMM its packing pass: 1 when *Bp holds
 * them, 0 when this convolution, block or GEMM backend cannot (columns()
 * then), -1 when scratch memory ran out. A pointwise sample is its own
 * column matrix: packing it here would only move the GEMM's work. */
static int packed_columns(const conv_job *j, const block *b, const float **Bp)
{
    const vn__conv_geom *g = j->g;
    const int64_t N = b->cnt * b->cols, K = col_rows(g);
    int64_t nr, kc;
    if ((is_pointwise(g) && b->cnt == 1) || !vn__im2col_packable(g, b->cnt, b->r0, b->r1) ||
        !vn__gemm_prepack_layout(g->k, N, K, &nr, &kc))
        return 0;
    float *bp = vn__scratch(VN__SCRATCH_COL, (size_t)(K * ((N + nr - 1) / nr * nr)));
    if (!bp)
        return -1;
    vn__im2col_packed(g, j->x + b->n * g->c * plane_in(g), b->cnt, b->r0, b->r1, kc, bp);
    *Bp = bp;
    return 1;
}

/* The block's columns: in the GEMM's packed layout when may_pack and this
 * convolution allows it (*packed), else row-major (columns()). false when
 * scratch memory ran out. */
static bool block_columns(const conv_job *j, const block *b, bool may_pack, const float **B,
                          int64_t *ldb, bool *packed)
{
    const int pk = may_pack ? packed_columns(j, b, B) : 0;
    *packed = pk > 0;
    *ldb = 0;
    return pk > 0 || (pk == 0 && columns(j, b, B, ldb));
}

/* Output channels [k0, k1) of a forward block, C = W * columns, into C
 * (row k at C + k * ldc): from packed columns on this thread; else one GEMM
 * per group, on this thread when serial or split over the pool by
 * vn__sgemm. A partial range (split_forward_task) is of one group. Each
 * GEMM is computed as (a block of) the whole group's product, so the values
 * do not depend on the range. */
static void block_gemm(const conv_job *j, const block *b, bool packed, bool serial,
                       const float *B, int64_t ldb, int64_t k0, int64_t k1, float *C,
                       int64_t ldc)
{
    const vn__conv_geom *g = j->g;
    const int64_t G = g->groups, kg = g->k / G, qg = col_rows(g) / G;
    const int64_t N = b->cnt * b->cols;
    if (packed) {
        vn__sgemm_prepacked(g->k, k1 - k0, N, qg, 1.0f, j->w + k0 * qg, qg, B, 0.0f,
                            C + k0 * ldc, ldc);
    } else if (k1 - k0 < g->k) {
        vn__sgemm_block(g->k, N, false, false, k1 - k0, N, qg, 1.0f, j->w + k0 * qg, qg, B, ldb,
                        0.0f, C + k0 * ldc, ldc);
    } else {
        for (int64_t grp = 0; grp < G; grp++) {
            const float *W = j->w + grp * kg * qg, *Bg = B + grp * qg * ldb;
            float *Cg = C + grp * kg * ldc;
            if (serial)
                vn__sgemm_block(kg, N, false, false, kg, N, qg, 1.0f, W, qg, Bg, ldb, 0.0f, Cg,
                                ldc);
            else
                vn__sgemm(false, false, kg, N, qg, 1.0f, W, qg, Bg, ldb, 0.0f, Cg, ldc);
        }
    }
}

/* The output gradient of a block as a [k, cnt*cols] matrix: in place for
 * one sample, gathered into scratch for several. */
static bool out_grad(const conv_job *j, const block *b, const float **A, int64_t *lda)
{
    const vn__conv_geom *g = j->g;
    const int64_t P = plane_out(g);
    *A = j->dy + b->n * g->k * P + b->r0 * g->ow;
    *lda = P;
    if (b->cnt == 1)
        return true;
    float *buf = vn__scratch(VN__SCRATCH_GATHER, (size_t)(g->k * b->cnt * P));
    if (!buf)
        return false;
    gather(*A, g->k, P, b->cnt, buf);
    *A = buf;
    *lda = b->cnt * P;
    return true;
}

static void sample_range(const conv_job *j, int t, int64_t *n0, int64_t *n1)
{
    if (j->per) {
        *n0 = VN_MIN(j->g->n, (int64_t)t * j->per);
        *n1 = VN_MIN(j->g->n, *n0 + j->per);
        return;
    }
    *n0 = j->g->n * t / j->ntasks;
    *n1 = j->g->n * (t + 1) / j->ntasks;
}

/* Call fn on every block of task t's samples, in order; stop on failure. */
typedef bool (*block_fn)(conv_job *j, const block *b, void *state);

static void for_blocks(conv_job *j, int t, block_fn fn, void *state)
{
    int64_t n0, n1;
    sample_range(j, t, &n0, &n1);
    for (int64_t n = n0; n < n1; n += j->chunk) {
        block b = {.n = n, .cnt = VN_MIN(j->chunk, n1 - n)};
        for (b.r0 = 0; b.r0 < j->g->oh; b.r0 += j->band) {
            b.r1 = VN_MIN(j->g->oh, b.r0 + j->band);
            b.cols = (b.r1 - b.r0) * j->g->ow;
            if (!fn(j, &b, state)) {
                atomic_store(&j->failed, 1);
                return;
            }
        }
    }
}

/* ---- forward ------------------------------------------------------------ */

/* The epilogue of rows [rows] of y ([rows, stride] with the first len
 * floats of each row in use) while they are still in cache: y += bias
 * (row r's channel is r % k) and, when yr is not NULL, yr = relu(y)
 * (v > 0 ? v : 0, as vn__act_forward computes it, so the fused forward is
 * bit for bit the unfused one). A block of whole samples is rows = cnt*k,
 * stride = len = P. */
VN_SIMD_CLONES static void bias_relu(float *y, float *yr, int64_t rows, int64_t k,
                                     int64_t stride, int64_t len, const float *bias)
{
    for (int64_t r = 0; r < rows; r++) {
        float *restrict p = y + r * stride;
        if (bias) {
            const float b = bias[r % k];
            for (int64_t i = 0; i < len; i++)
                p[i] += b;
        }
        if (yr) {
            float *restrict q = yr + r * stride;
            for (int64_t i = 0; i < len; i++) {
                float v = p[i];
                q[i] = v > 0.0f ? v : 0.0f;
            }
        }
    }
}

/* gather()'s inverse for a forward block of whole samples, with
 * bias_relu's epilogue in the same pass: y = buf + bias, yr = relu(y), the same float
 * operations, so the same values, reading the GEMM's output once. */
VN_SIMD_CLONES static void scatter_bias_relu(const float *buf, int64_t rows, int64_t P,
                                             int64_t cnt, const float *bias, float *y, float *yr)
{
    for (int64_t s = 0; s < cnt; s++)
        for (int64_t r = 0; r < rows; r++) {
            const float *restrict src = buf + r * cnt * P + s * P;
            float *restrict dst = y + (s * rows + r) * P;
            if (bias) {
                const float b = bias[r];
                for (int64_t i = 0; i < P; i++)
                    dst[i] = src[i] + b;
            } else {
                memcpy(dst, src, (size_t)P * sizeof(float));
            }
            if (yr) {
                float *restrict q = yr + (s * rows + r) * P;
                for (int64_t i = 0; i < P; i++) {
                    float v = dst[i];
                    q[i] = v > 0.0f ? v : 0.0f;
                }
            }
        }
}

/* The epilogue of a block of whole samples when a relu and a max-pool
 * follow (vn__conv2d_forward_relu_pool): each plane of C ([k, ldc], sample
 * s of the block at column s*P) gets its bias and relu in place, the same
 * float operations as bias_relu, and is pooled into the pool's output
 * while it is in cache. */
VN_SIMD_CLONES static void bias_relu_inplace(float *restrict p, int64_t len, const float *bias)
{
    const float b = bias ? *bias : 0.0f;
    for (int64_t i = 0; i < len; i++) {
        float v = bias ? p[i] + b : p[i];
        p[i] = v > 0.0f ? v : 0.0f;
    }
}

static void relu_pool_block(const conv_job *j, const block *b, float *C, int64_t ldc)
{
    const vn__conv_geom *g = j->g;
    const int64_t P = plane_out(g), Q = j->pool->oh * j->pool->ow;
    vn__pool_geom pg = *j->pool;
    pg.n = pg.c = 1;
    for (int64_t s = 0; s < b->cnt; s++)
        for (int64_t r = 0; r < g->k; r++) {
            float *plane = C + r * ldc + s * P;
            const int64_t at = ((b->n + s) * g->k + r) * Q;
            bias_relu_inplace(plane, P, j->bias ? j->bias + r : NULL);
            vn__max_pool_forward_serial(&pg, plane, j->pooled + at, j->argmax ? j->argmax + at : NULL);
        }
}

static bool forward_block(conv_job *j, const block *b, void *state)
{
    (void)state;
    const vn__conv_geom *g = j->g;
    const int64_t P = plane_out(g);
    const float *B;
    int64_t ldb;
    bool packed;
    /* packed columns only for GEMMs on this thread: with one task on
     * several threads, vn__sgemm splits each GEMM over the pool instead */
    const bool serial = j->ntasks > 1 || vn__num_threads() == 1;
    if (!block_columns(j, b, serial, &B, &ldb, &packed))
        return false;
    float *y = j->pooled ? NULL : j->y + b->n * g->k * P;
    float *C = y ? y + b->r0 * g->ow : NULL;
    int64_t ldc = P;
    if (b->cnt > 1 || j->pooled) {
        if (!(C = vn__scratch(VN__SCRATCH_GATHER, (size_t)(g->k * b->cnt * P))))
            return false;
        ldc = b->cnt * P;
    }
    block_gemm(j, b, packed, serial, B, ldb, 0, g->k, C, ldc);
    if (j->pooled) {
        relu_pool_block(j, b, C, ldc);
        return true;
    }
    float *yr = j->yrelu ? j->yrelu + b->n * g->k * P : NULL;
    if (b->cnt > 1)
        scatter_bias_relu(C, g->k, P, b->cnt, j->bias, y, yr);
    else if (b->r1 == g->oh && (j->bias || yr))
        bias_relu(y, yr, g->k, g->k, P, P, j->bias);
    return true;
}

static void forward_task(void *arg, int t)
{
    for_blocks(arg, t, forward_block, NULL);
}

/* ---- forward of fewer samples than threads ------------------------------ */

/* Batch-1 inference. One task per sample would leave threads idle, and
 * splitting each GEMM over the pool (as the backward passes do) leaves
 * im2col and the epilogue on one thread, with a wake-up per band. So each
 * sample is cut into tasks that do all three on their own thread, in one
 * parallel call per convolution:
 *
 * - a large map into bands of output rows, as many as the L2 blocking
 *   asks for, rounded up to a multiple of the tasks wanted per sample (so
 *   the threads get equal shares), each band's columns built by its task
 *   in that thread's cache;
 * - a small map (fewer than SPLIT_MIN_COLUMNS columns a task if cut into
 *   bands: 14x14 and 7x7 in resnet18) into ranges of output channels, each
 *   task building the whole column matrix itself: a copy that costs under
 *   a tenth of its share of the GEMM, where bands that narrow would waste
 *   a third of the micro-kernel's tiles.
 *
 * The values are those of the one-task plan, bit for bit: every element of
 * y is one full-K sum of the same micro-kernel arithmetic, and each block
 * is computed as a block of the whole product (vn__sgemm_block). */
#define SPLIT_MIN_COLUMNS 256

static void plan_split(conv_job *j, int64_t want)
{
    const vn__conv_geom *g = j->g;
    const int64_t P = plane_out(g), rows = col_rows(g);
    j->chunk = 1;
    j->band = g->oh;
    j->bands = 1;
    j->ranges = 1;
    j->kstep = g->k;
    if (P / want >= SPLIT_MIN_COLUMNS) {
        int64_t nb = is_pointwise(g) ? 1 : (rows * P + BLOCK_FLOATS - 1) / BLOCK_FLOATS;
        nb = (VN_MAX(nb, want) + want - 1) / want * want;
        j->band = VN_MAX((g->oh + nb - 1) / nb, (int64_t)1);
        j->bands = (g->oh + j->band - 1) / j->band;
    } else if (g->groups == 1 && g->k >= 16 * want) {
        /* ranges of whole 8-row tiles (the AVX-512 kernel's height) */
        j->kstep = (g->k / want + 7) / 8 * 8;
        j->ranges = (g->k + j->kstep - 1) / j->kstep;
    }
}

static void split_forward_task(void *arg, int t)
{
    conv_job *j = arg;
    const vn__conv_geom *g = j->g;
    const int64_t P = plane_out(g);
    const int64_t per = j->bands * j->ranges;
    block b = {.n = t / per, .cnt = 1};
    b.r0 = (t % per) / j->ranges * j->band;
    b.r1 = VN_MIN(g->oh, b.r0 + j->band);
    b.cols = (b.r1 - b.r0) * g->ow;
    const int64_t k0 = (t % j->ranges) * j->kstep, k1 = VN_MIN(g->k, k0 + j->kstep);
    const float *B;
    int64_t ldb;
    bool packed;
    if (!block_columns(j, &b, true, &B, &ldb, &packed)) {
        atomic_store(&j->failed, 1);
        return;
    }
    const int64_t off = b.n * g->k * P + b.r0 * g->ow;
    block_gemm(j, &b, packed, true, B, ldb, k0, k1, j->y + off, P);
    if (j->bias || j->yrelu)
        bias_relu(j->y + off + k0 * P, j->yrelu ? j->yrelu + off + k0 * P : NULL, k1 - k0,
                  k1 - k0, P, b.cols, j->bias ? j->bias + k0 : NULL);
}

static int task_count(const vn__conv_geom *g)
{
    double flops = 2.0 * (double)g->k * (double)plane_out(g) * (double)(col_rows(g) / g->groups);
    return vn__parallel_ranges(g->n, flops);
}

/* A task that ran out of scratch memory raised the message on its own
 * thread; raise one on the caller's. */
static vn_status finish(const conv_job *j)
{
    if (!atomic_load(&j->failed))
        return VN_OK;
    return vn__error(VN_ERR_NOMEM,
                     "conv2d: out of memory for the im2col columns of a %lldx%lldx%lld input",
                     (long long)j->g->c, (long long)j->g->h, (long long)j->g->w);
}

/* Tasks per thread for the forward and input gradient: with one task per
 * thread, a thread that starts late or runs slower (a shared machine)
 * holds up the call; several smaller tasks, handed out as threads come
 * free, even that out. Each task is still a run of whole GEMM blocks of
 * contiguous samples. */
#define TASKS_PER_THREAD 4

static void run(conv_job *j, vn__task_fn fn)
{
    const bool by_samples = j->ntasks == 0;
    if (by_samples)
        j->ntasks = task_count(j->g);
    plan_blocks(j);
    if (by_samples && j->ntasks > 1) {
        /* the values do not depend on the cut: each block's GEMMs compute
         * every element with the same full-K arithmetic */
        const int64_t blocks = (j->g->n + j->chunk - 1) / j->chunk;
        const int64_t tasks = VN_MIN(blocks, (int64_t)TASKS_PER_THREAD * j->ntasks);
        j->per = (blocks + tasks - 1) / tasks * j->chunk;
        j->ntasks = (int)((j->g->n + j->per - 1) / j->per);
    }
    atomic_init(&j->failed, 0);
    if (j->ntasks == 1)
        fn(j, 0);   /* on this thread, leaving the pool to the GEMMs */
    else
        vn__parallel_tasks(j->ntasks, fn, j);
}

vn_status vn__conv2d_forward_relu(const vn__conv_geom *g, const float *x, const float *w,
                                  const float *bias, float *y, float *yrelu)
{
    if (g->n == 0 || g->k == 0 || plane_out(g) == 0)
        return VN_OK;
    if (vn__conv_is_depthwise(g)) {
        vn__depthwise_forward(g, x, w, bias, y);
        if (yrelu)
            vn__act_forward(VN__ACT_RELU, 0.0f, y, yrelu, g->n * g->k * plane_out(g));
        return VN_OK;
    }
    conv_job j = {.g = g, .x = x, .w = w, .bias = bias, .y = y, .yrelu = yrelu};
    const int threads = vn__num_threads();
    if (g->n < threads && task_count(g) == g->n) {
        plan_split(&j, (threads + g->n - 1) / g->n);
        const int64_t tasks = g->n * j.bands * j.ranges;
        if (tasks > g->n) {
            atomic_init(&j.failed, 0);
            vn__parallel_tasks((int)tasks, split_forward_task, &j);
            return finish(&j);
        }
    }
    run(&j, forward_task);
    return finish(&j);
}

vn_status vn__conv2d_forward(const vn__conv_geom *g, const float *x, const float *w,
                             const float *bias, float *y)
{
    return vn__conv2d_forward_relu(g, x, w, bias, y, NULL);
}

/* Plan j's blocks; whether every block holds whole output planes. */
static bool whole_planes(conv_job *j)
{
    plan_blocks(j);
    return j->band >= j->g->oh;
}

bool vn__conv2d_relu_pool_fusable(const vn__conv_geom *g)
{
    if (g->n == 0 || g->k == 0 || plane_out(g) == 0 || vn__conv_is_depthwise(g))
        return false;
    /* fewer samples than threads: the forward cuts samples into tasks */
    if (g->n < vn__num_threads() && task_count(g) == g->n)
        return false;
    conv_job j = {.g = g};
    return whole_planes(&j);
}

vn_status vn__conv2d_forward_relu_pool(const vn__conv_geom *g, const float *x, const float *w,
                                       const float *bias, const vn__pool_geom *pool,
                                       float *pooled, int32_t *argmax)
{
    if (!vn__conv2d_relu_pool_fusable(g) || pool->h != g->oh || pool->w != g->ow)
        return vn__error(VN_ERR_INVALID_ARG,
                         "conv2d: no fused relu and max-pool for this geometry");
    if (vn__conv_pool_direct_ok(g, pool)) {
        vn__conv_pool_direct(g, pool, x, w, bias, pooled, argmax);
        return VN_OK;
    }
    conv_job j = {.g = g, .x = x, .w = w, .bias = bias, .pool = pool, .pooled = pooled,
                  .argmax = argmax};
    run(&j, forward_task);
    return finish(&j);
}

/* ---- input gradient ------------------------------------------------------ */

static bool backward_data_block(conv_job *j, const block *b, void *state)
{
    (void)state;
    const vn__conv_geom *g = j->g;
    const int64_t P = plane_out(g), G = g->groups;
    const int64_t kg = g->k / G, qg = col_rows(g) / G;
    const float *A;
    int64_t lda;
    if (!out_grad(j, b, &A, &lda))
        return false;
    float *dxn = j->dx + b->n * g->c * plane_in(g);
    if (is_pointwise(g) && b->cnt == 1) {
        for (int64_t grp = 0; grp < G; grp++)
            vn__sgemm(true, false, qg, b->cols, kg, 1.0f, j->w + grp * kg * qg, qg,
                      A + grp * kg * lda, lda, 0.0f, dxn + grp * qg * P + b->r0 * g->ow, P);
        return true;
    }
    const int64_t ldc = b->cnt * b->cols;
    float *dcol = vn__scratch(VN__SCRATCH_COL, (size_t)(col_rows(g) * ldc));
    if (!dcol)
        return false;
    for (int64_t grp = 0; grp < G; grp++)
        vn__sgemm(true, false, qg, ldc, kg, 1.0f, j->w + grp * kg * qg, qg, A + grp * kg * lda,
                  lda, 0.0f, dcol + grp * qg * ldc, ldc);
    if (b->r0 == 0)
        memset(dxn, 0, (size_t)(b->cnt * g->c * plane_in(g)) * sizeof(float));
    for (int64_t s = 0; s < b->cnt; s++)
        vn__col2im(g, dcol + s * b->cols, ldc, b->r0, b->r1, dxn + s * g->c * plane_in(g));
    return true;
}

static void backward_data_task(void *arg, int t)
{
    for_blocks(arg, t, backward_data_block, NULL);
}

vn_status vn__conv2d_backward_data(const vn__conv_geom *g, const float *dy, const float *w,
                                   float *dx)
{
    if (g->n == 0 || g->c == 0)
        return VN_OK;
    if (g->k == 0 || plane_out(g) == 0) {
        memset(dx, 0, (size_t)(g->n * g->c * plane_in(g)) * sizeof(float));
        return VN_OK;
    }
    if (vn__conv_is_depthwise(g)) {
        vn__depthwise_backward_data(g, dy, w, dx);
        return VN_OK;
    }
    conv_job j = {.g = g, .dy = dy, .w = w, .dx = dx};
    run(&j, backward_data_task);
    return finish(&j);
}

/* ---- weight gradient ----------------------------------------------------- */

typedef struct wgrad_state {
    float *part;      /* this task's [k, qg] sum */
    float beta;       /* 0 until the first block has written part */
} wgrad_state;

/* A block's weight gradient from tap-major packed columns (im2row_packed.c)
 * into st->part with its columns permuted. */
static bool backward_weight_packed(conv_job *j, const block *b, wgrad_state *st)
{
    const vn__conv_geom *g = j->g;
    const int64_t N = col_rows(g), K = b->cnt * plane_out(g);
    const float *A;
    int64_t lda, nr, kc;
    if (!out_grad(j, b, &A, &lda) || !vn__gemm_prepack_layout(g->k, N, K, &nr, &kc))
        return false;
    float *bp = vn__scratch(VN__SCRATCH_COL, (size_t)(K * N) + vn__im2row_scratch_floats(g));
    if (!bp)
        return false;
    vn__im2row_packed(g, j->x + b->n * g->c * plane_in(g), b->cnt, kc, bp, bp + K * N);
    vn__sgemm_prepacked(g->k, g->k, N, K, 1.0f, A, lda, bp, st->beta, st->part, N);
    st->beta = 1.0f;
    return true;
}

static bool backward_weight_block(conv_job *j, const block *b, void *state)
{
    wgrad_state *st = state;
    const vn__conv_geom *g = j->g;
    if (j->tap_major)
        return backward_weight_packed(j, b, st);
    const int64_t G = g->groups, kg = g->k / G, qg = col_rows(g) / G;
    const float *B, *A;
    int64_t ldb, lda;
    if (!columns(j, b, &B, &ldb) || !out_grad(j, b, &A, &lda))
        return false;
    for (int64_t grp = 0; grp < G; grp++)
        vn__sgemm(false, true, kg, qg, b->cnt * b->cols, 1.0f, A + grp * kg * lda, lda,
                  B + grp * qg * ldb, ldb, st->beta, st->part + grp * kg * qg, qg);
    st->beta = 1.0f;
    return true;
}

static void backward_weight_task(void *arg, int t)
{
    conv_job *j = arg;
    const int64_t wsize = j->g->k * (col_rows(j->g) / j->g->groups);
    /* one task adds straight into dw; several write partial sums first */
    wgrad_state st = {j->ntasks == 1 ? j->dw : j->partials + (int64_t)t * wsize,
                      j->ntasks == 1 ? 1.0f : 0.0f};
    for_blocks(j, t, backward_weight_block, &st);
    if (st.beta == 0.0f)
        memset(st.part, 0, (size_t)wsize * sizeof(float));
}

/* The number of partial sums of the weight gradient: a function of the
 * shape only, never of the thread count, so that the gradient (and a whole
 * training run) is the same bit for bit on any number of threads. The
 * slots are spread over the pool's threads as tasks; each sums its
 * contiguous range of samples, and the slots are added in order. At most
 * WEIGHT_SLOTS, fewer when the partials would pass WEIGHT_SLOT_FLOATS (a
 * 512x4608 weight gets one slot; its GEMMs are then split over the pool
 * by rows, which keeps the sums the same too). */
#define WEIGHT_SLOTS 16
#define WEIGHT_SLOT_FLOATS (4 * 1024 * 1024)

static int weight_slots(const vn__conv_geom *g)
{
    const int64_t wsize = g->k * (col_rows(g) / g->groups);
    int64_t slots = VN_MIN(g->n, (int64_t)WEIGHT_SLOTS);
    slots = VN_MIN(slots, WEIGHT_SLOT_FLOATS / VN_MAX(wsize, (int64_t)1));
    /* not worth splitting below ~1 MFLOP per slot */
    double flops = 2.0 * (double)g->n * (double)g->k * (double)plane_out(g) *
                   (double)(col_rows(g) / g->groups);
    slots = VN_MIN(slots, (int64_t)(flops / 1e6));
    return (int)VN_MAX(slots, (int64_t)1);
}

/* [k, c*9 + t] <-> [k, t*c + ch] (to_taps: the first into the second). */
static void tap_permute(const vn__conv_geom *g, const float *from, float *to, bool to_taps)
{
    const int64_t C = g->c;
    for (int64_t k = 0; k < g->k; k++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int t = 0; t < 9; t++) {
                const int64_t a = (k * C + ch) * 9 + t, b = k * 9 * C + t * C + ch;
                to[to_taps ? b : a] = from[to_taps ? a : b];
            }
}

/* Whether the weight gradient's blocks take tap-major packed columns: the
 * convolution allows it, every block holds whole planes, and the GEMM
 * backend computes from the packed layout at the largest block's size. */
static bool tap_major_plan(conv_job *j)
{
    const vn__conv_geom *g = j->g;
    if (!vn__im2row_packable(g))
        return false;
    int64_t nr, kc;
    return whole_planes(j) &&
           vn__gemm_prepack_layout(g->k, col_rows(g), j->chunk * plane_out(g), &nr, &kc);
}

vn_status vn__conv2d_backward_weight(const vn__conv_geom *g, const float *x, const float *dy,
                                     float *dw)
{
    if (!dw || g->n == 0 || g->k == 0 || plane_out(g) == 0)
        return VN_OK;
    if (vn__conv_is_depthwise(g)) {
        vn__depthwise_backward_weight(g, x, dy, dw);
        return VN_OK;
    }
    conv_job j = {.g = g, .x = x, .dy = dy, .dw = dw};
    const int64_t wsize = g->k * (col_rows(g) / g->groups);
    j.ntasks = weight_slots(g);
    if (j.ntasks > 1) {
        j.partials = vn__scratch(VN__SCRATCH_PARTIAL, (size_t)(wsize * j.ntasks));
        if (!j.partials)
            return VN_ERR_NOMEM; /* vn__scratch raised the message */
    }
    j.tap_major = j.ntasks > 1 && tap_major_plan(&j);
    run(&j, backward_weight_task);
    if (atomic_load(&j.failed))
        return finish(&j);
    /* tap-major partials: column t9 * c + ch is column ch * 9 + t9 of dw,
     * so dw is permuted, the partials added in order (the same additions
     * as the row-major path's), and permuted back */
    float *sum = dw;
    if (j.tap_major && !(sum = vn__malloc((size_t)wsize * sizeof(float))))
        return vn__error(VN_ERR_NOMEM, "conv2d: out of memory for the weight gradient");
    if (j.tap_major)
        tap_permute(g, dw, sum, true);
    for (int t = 0; t < j.ntasks && j.ntasks > 1; t++)
        vn__add(sum, j.partials + (int64_t)t * wsize, sum, wsize);
    if (j.tap_major) {
        tap_permute(g, sum, dw, false);
        vn__free(sum);
    }
    return VN_OK;
}
