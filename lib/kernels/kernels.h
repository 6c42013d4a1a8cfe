/*
 * kernels.h - the library's numerical kernels (private): the thread pool,
 * per-thread scratch memory, GEMM, convolution (im2col + GEMM, 1x1 and
 * depthwise paths), pooling, element-wise activations, reductions,
 * batch-norm, softmax and upsampling.
 *
 * This is the only layer that knows about threads and BLAS. Everything is
 * f32, NCHW, C-contiguous. Kernels that can fail (memory for scratch) return
 * vn_status; the others cannot fail. "Accumulate" means the kernel adds to
 * its output (gradients of parameters, PyTorch style); otherwise outputs are
 * overwritten.
 */
#ifndef VN_KERNELS_H
#define VN_KERNELS_H

#include "core/vn_internal.h"

/* VN_SIMD_CLONES on a kernel's loop function compiles it twice, for the
 * x86-64 baseline (SSE2) and for x86-64-v3 (AVX2), and picks one when the
 * library loads (GCC's target_clones, through an ifunc). Memory-bound
 * loops run up to twice as fast with 8-wide vectors; results are the same
 * either way: ISO C mode does not contract a*b+c into FMA, and no loop is
 * reassociated. The GEMMs choose their kernels at run time (gemm.c). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && \
    defined(__ELF__) && !defined(VN_NO_SIMD_CLONES)
#  define VN_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#  define VN_SIMD_CLONES
#endif

/* ---- AVX-512F loops (simd_switch.c) ------------------------------------ */

/* A kernel's choice between its AVX-512F loop and its portable one:
 * vn__simd_on is true when the CPU has AVX-512F and no test turned the
 * switch off; vn__simd_set(s, false) makes the kernel take its portable
 * loop, (s, true) restores the CPU's choice, and returns whether the
 * requested loop is the one now in use. One static switch per kernel,
 * zero-initialised (on). */
typedef struct vn__simd_switch {
    int off;
} vn__simd_switch;
bool vn__simd_on(const vn__simd_switch *s);
bool vn__simd_set(vn__simd_switch *s, bool on);

/* ---- thread pool (threadpool.c) ---------------------------------------- */

/* Run fn(ctx, t) for every t in [0, ntasks): on the pool's threads and the
 * caller's, at most vn__num_threads() at once. Tasks are handed out in
 * order from a shared counter; a task's result must not depend on which
 * thread runs it (use vn__scratch for per-thread memory). When the pool is
 * busy (another application thread, or a nested call from inside a task)
 * the tasks run one after another on the calling thread, so nesting is safe.
 * Returns after every task has finished. */
typedef void (*vn__task_fn)(void *ctx, int task);
void vn__parallel_tasks(int ntasks, vn__task_fn fn, void *ctx);

/* Split [0, n) into contiguous ranges and run fn(ctx, begin, end) on each,
 * in parallel when the work is worth it: `cost` is the estimated work of one
 * item in arithmetic operations; below ~64k operations in total, or with one
 * thread, fn runs once on the calling thread over [0, n). */
typedef void (*vn__range_fn)(void *ctx, int64_t begin, int64_t end);
void vn__parallel_for(int64_t n, double cost, vn__range_fn fn, void *ctx);

/* How many ranges vn__parallel_for(n, cost, ...) would use right now. */
int vn__parallel_ranges(int64_t n, double cost);

/* Threads the pool has started (for tests); 0 before the first parallel run. */
int vn__pool_started_threads(void);
/* CPU time the pool's threads have used, in seconds (for tests). */
double vn__pool_cpu_seconds(void);

/* ---- scratch memory (scratch.c) ---------------------------------------- */

/* A per-thread buffer of at least n floats, kept and reused by the calling
 * thread (grown, never shrunk; freed when the thread exits). `slot` 0..3
 * selects one of four independent buffers so one kernel can hold several.
 * Slots in use: 0 im2col columns, 1 gathered gradients / outputs, 2 the
 * caller's per-task partial sums, 3 the portable GEMM's packing. NULL (and
 * VN_ERR_NOMEM raised) when memory runs out. */
enum { VN__SCRATCH_COL = 0, VN__SCRATCH_GATHER = 1, VN__SCRATCH_PARTIAL = 2, VN__SCRATCH_GEMM = 3,
       VN__SCRATCH_SLOTS = 4 };
float *vn__scratch(int slot, size_t n);

/* ---- GEMM (gemm.c) ----------------------------------------------------- */

/* Row-major C = alpha * op(A) * op(B) + beta * C with op(A) M x K, op(B)
 * K x N; ta / tb transpose A / B; beta == 0 never reads C. Computed by the
 * backend of vn__gemm_get_backend(): the native packed GEMM with AVX-512 or
 * AVX2 micro-kernels (the default where the CPU has them), OpenBLAS's
 * cblas_sgemm, or a portable blocked C GEMM. Large products are split over
 * the thread pool (by rows or columns of C, so every element is summed in
 * the same order on any thread count); BLAS itself runs on one thread
 * (docs/threads.md says why). */
void vn__sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/* The same on the calling thread only. */
void vn__sgemm_serial(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc);
/* One block (M x N) of a product whose whole C is M_all x N_all, on the
 * calling thread: the backend computes it as it computes that block of the
 * whole product, so a caller that cuts a product into blocks itself gets
 * the values vn__sgemm gives. */
void vn__sgemm_block(int64_t M_all, int64_t N_all, bool ta, bool tb, int64_t M, int64_t N,
                     int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                     int64_t ldb, float beta, float *C, int64_t ldc);

/* A pre-packed op(B): a caller that can write op(B) (K x N, not
 * transposed) straight in the native GEMM's packed layout saves the GEMM
 * its packing pass (conv.c: im2col into panels). vn__gemm_prepack_layout
 * says whether the backend in use computes a product of M_all rows and
 * these N, K from such a layout, and gives the layout: K cut into blocks of
 * *kc rows (the last shorter), block pc starting at float pc * Npad (Npad =
 * N rounded up to *nr); in a block of kb rows, panel jp (the columns
 * [jp, jp + nr), jp a multiple of nr) starts at jp * kb and holds
 * element (k, jp + j) at k * nr + j, the columns past N zero.
 * vn__sgemm_prepacked then computes rows (M of the M_all) of
 * C = alpha * A * B + beta * C on the calling thread, A not transposed,
 * with the values vn__sgemm gives. */
bool vn__gemm_prepack_layout(int64_t M_all, int64_t N, int64_t K, int64_t *nr, int64_t *kc);
void vn__sgemm_prepacked(int64_t M_all, int64_t M, int64_t N, int64_t K, float alpha,
                         const float *A, int64_t lda, const float *Bp, float beta, float *C,
                         int64_t ldc);

/* How BLAS and the pool share the cores (for the benchmark that measures
 * the choice): 0 = the pool splits big GEMMs and BLAS runs on one thread
 * (the default); 1 = each GEMM is one BLAS call and BLAS threads it with
 * vn__num_threads() threads. */
void vn__gemm_set_policy(int policy);
int vn__gemm_policy(void);
/* "native avx512 8x32" / "OpenBLAS 0.3.21 ..." / "portable": what
 * computes the GEMMs. */
const char *vn__gemm_backend(void);

/* The GEMM backends. The default is chosen at the first GEMM: VN_GEMM=
 * native|openblas|portable (or avx2|avx512) from the environment when that
 * backend is available, else the best native kernel the CPU runs, else
 * OpenBLAS, else portable. */
enum vn__gemm_backend_id {
    VN__GEMM_DEFAULT = -1,   /* for vn__gemm_set_backend: back to the default */
    VN__GEMM_PORTABLE = 0,
    VN__GEMM_OPENBLAS = 1,
    VN__GEMM_AVX2 = 2,       /* native, 6x16 AVX2 + FMA micro-kernel */
    VN__GEMM_AVX512 = 3      /* native, 8x32 AVX-512F micro-kernel */
};
/* Whether a backend can run here (built in, and supported by the CPU). */
bool vn__gemm_backend_available(int backend);
/* Use `backend` for every later GEMM (tests and benchmarks); false, and no
 * change, when it is not available. Not for use while GEMMs run. */
bool vn__gemm_set_backend(int backend);
/* The backend in use (a vn__gemm_backend_id). */
int vn__gemm_get_backend(void);

/* ---- convolution (conv.c, im2col.c, depthwise.c) ----------------------- */

typedef struct vn__pool_geom vn__pool_geom; /* pooling, below */

/* Geometry of a 2-D convolution (cross-correlation) of an [n, c, h, w] input
 * with a [k, c/groups, kh, kw] weight into an [n, k, oh, ow] output. ph / pw
 * pad the top / left; the padding at the bottom / right is whatever oh / ow
 * imply (asymmetric padding needs no field of its own). */
typedef struct vn__conv_geom {
    int64_t n, c, h, w;          /* input */
    int64_t k, oh, ow;           /* output channels and size */
    int kh, kw, sh, sw, ph, pw, dh, dw;
    int groups;
} vn__conv_geom;

/* Output size of one axis, floor((in + 2p - d(k-1) - 1)/s) + 1; <= 0 when
 * the kernel does not fit. */
int64_t vn__conv_out_size(int64_t in, int k, int s, int p, int d);

/* y = conv(x, w) + bias (bias may be NULL). */
vn_status vn__conv2d_forward(const vn__conv_geom *g, const float *x, const float *w,
                             const float *bias, float *y);
/* The same, and also yrelu = relu(y) (when not NULL), computed while each
 * block of y is still in cache; yrelu must not overlap x or y. */
vn_status vn__conv2d_forward_relu(const vn__conv_geom *g, const float *x, const float *w,
                                  const float *bias, float *y, float *yrelu);
/* Whether vn__conv2d_forward_relu_pool can run this convolution: every
 * block of its plan holds whole output planes (not a large image cut into
 * bands, nor fewer samples than threads, whose forward cuts each sample
 * into tasks), and it is not depthwise. */
bool vn__conv2d_relu_pool_fusable(const vn__conv_geom *g);
/* pooled = max_pool(relu(conv(x, w) + bias)) with the pool's arg-max (when
 * argmax is not NULL), pool being the max-pool's geometry (any window)
 * over the [n, k, oh, ow] convolution output, which is never written: each
 * block's planes are biased, relu'd and pooled while in cache. Bit for bit
 * vn__conv2d_forward_relu followed by vn__max_pool_forward. Refused
 * (VN_ERR_INVALID_ARG) unless vn__conv2d_relu_pool_fusable(g). */
vn_status vn__conv2d_forward_relu_pool(const vn__conv_geom *g, const float *x, const float *w,
                                       const float *bias, const vn__pool_geom *pool,
                                       float *pooled, int32_t *argmax);
/* max_pool(relu(conv(x) + bias)) and its arg-max for a one-channel 3x3
 * "same" stride-1 convolution and a 2x2 stride-2 pool (floor), computed in
 * registers (conv_pool_direct.c, AVX-512F): the bytes of conv.c's fused
 * path. vn__conv_pool_direct_ok says when it runs;
 * vn__conv_pool_direct_enable(false) turns it off (tests). */
bool vn__conv_pool_direct_ok(const vn__conv_geom *g, const vn__pool_geom *p);
bool vn__conv_pool_direct_enable(bool on);
void vn__conv_pool_direct(const vn__conv_geom *g, const vn__pool_geom *p, const float *x,
                          const float *w, const float *bias, float *y, int32_t *argmax);
/* Whether vn__conv2d_relu_pool_backward_weight can run: a 3x3 stride-1
 * "same" convolution of one group and at most 4 input channels, and a
 * 2x2 stride-2 max-pool without padding over its whole output (floor). */
bool vn__conv_relu_pool_grad_fusable(const vn__conv_geom *g, const vn__pool_geom *p);
/* dw += and db += (db may be NULL) the weight and bias gradients of
 * conv -> relu -> max_pool from the pool's output gradient dq, arg-max and
 * output q, without the convolution's output gradient
 * (conv_pool_grad.c). The values of vn__max_pool_relu_backward then
 * vn__conv2d_backward_weight and vn__sum_outer_inner up to rounding, and
 * the same on any number of threads. */
vn_status vn__conv2d_relu_pool_backward_weight(const vn__conv_geom *g, const vn__pool_geom *p,
                                               const float *x, const float *dq,
                                               const int32_t *argmax, const float *q, float *dw,
                                               float *db);
/* Whether that kernel has its AVX-512 loop on this CPU (the portable one
 * gives the same bytes but is slower than the dense path); for tests,
 * vn__conv_relu_pool_grad_use_simd(false) takes the portable loop and
 * (true) restores the CPU's choice, returning whether the requested loop
 * is the one now in use. */
bool vn__conv_relu_pool_grad_vectorised(void);
bool vn__conv_relu_pool_grad_use_simd(bool on);
/* dx = d(sum(y*dy))/dx (overwritten): the adjoint of the convolution, which
 * is also conv_transpose2d's forward. */
vn_status vn__conv2d_backward_data(const vn__conv_geom *g, const float *dy, const float *w,
                                   float *dx);
/* dw += d(sum(y*dy))/dw; dw may be NULL (then nothing is done). */
vn_status vn__conv2d_backward_weight(const vn__conv_geom *g, const float *x, const float *dy,
                                     float *dw);

/* im2col: the [c*kh*kw, (oh1-oh0)*ow] column matrix of one sample's
 * channels for the band of output rows [oh0, oh1), written with row stride
 * ldc (>= (oh1-oh0)*ow) so several samples can sit side by side. col2im is
 * its adjoint and ADDS into x; it may zero the entries of col that fall in
 * the padding (they reach no pixel), so col is scratch to it. */
void vn__im2col(const vn__conv_geom *g, const float *x, float *col, int64_t ldc, int64_t oh0,
                int64_t oh1);
void vn__col2im(const vn__conv_geom *g, float *col, int64_t ldc, int64_t oh0, int64_t oh1,
                float *x);
/* im2col straight into the native GEMM's packed layout (see
 * vn__gemm_prepack_layout, panels of 32 columns, K blocks of kc rows): the
 * columns of cnt samples side by side (x the first of them), each the band
 * of output rows [oh0, oh1). Only for what vn__im2col_packable accepts: a
 * CPU with AVX-512, one group, stride 1, the output as wide as the input,
 * and (several samples) at least 32 columns a sample. */
bool vn__im2col_packable(const vn__conv_geom *g, int64_t cnt, int64_t oh0, int64_t oh1);
/* For tests: on = false makes vn__im2col_packable refuse everything (the
 * convolutions then im2col row-major and the GEMM packs); true restores. */
bool vn__im2col_packed_enable(bool on);
/* The weight gradient's B = col^T of samples [0, cnt) of x (K = cnt*h*w
 * rows, one per output pixel; N = 9*c columns, tap-major: column t*c + ch
 * is tap t of channel ch) in the packed layout of vn__gemm_prepack_layout
 * with blocks of kc rows, for what vn__im2row_packable accepts (a 3x3
 * "same" stride-1 convolution of one group, c a multiple of 32, AVX-512F).
 * scratch holds vn__im2row_scratch_floats(g) floats (im2row_packed.c). */
bool vn__im2row_packable(const vn__conv_geom *g);
size_t vn__im2row_scratch_floats(const vn__conv_geom *g);
void vn__im2row_packed(const vn__conv_geom *g, const float *x, int64_t cnt, int64_t kc,
                       float *out, float *scratch);
/* For tests: false makes vn__im2row_packable refuse everything. */
bool vn__im2row_packed_enable(bool on);
void vn__im2col_packed(const vn__conv_geom *g, const float *x, int64_t cnt, int64_t oh0,
                       int64_t oh1, int64_t kc, float *out);
/* The output columns ow in [0, ow_count) whose input column ow*s + off lies
 * in [0, w): [*lo, *hi) (empty when lo == hi). */
void vn__conv_valid_cols(int64_t off, int s, int64_t w, int64_t ow_count, int64_t *lo,
                         int64_t *hi);

/* The direct depthwise paths (groups == c, k a multiple of c). */
bool vn__conv_is_depthwise(const vn__conv_geom *g);
void vn__depthwise_forward(const vn__conv_geom *g, const float *x, const float *w,
                           const float *bias, float *y);
void vn__depthwise_backward_data(const vn__conv_geom *g, const float *dy, const float *w,
                                 float *dx);
void vn__depthwise_backward_weight(const vn__conv_geom *g, const float *x, const float *dy,
                                   float *dw);

/* ---- reductions (reduce.c) --------------------------------------------- */

/* Viewing x as [outer, mid, inner]: out[m] += sum over outer and inner of x
 * (bias gradients: conv db is outer=N, mid=C, inner=H*W; dense db is
 * outer=N, mid=F, inner=1). Summed in double. */
void vn__sum_outer_inner(const float *x, int64_t outer, int64_t mid, int64_t inner, float *out);
/* y[o, m, i] += bias[m]: the forward counterpart. */
void vn__add_bias(float *y, int64_t outer, int64_t mid, int64_t inner, const float *bias);
/* Softmax (or log-softmax) over the middle axis of [outer, mid, inner]. */
void vn__softmax_forward(const float *x, float *y, int64_t outer, int64_t mid, int64_t inner,
                         bool log);
/* Its backward from the forward output y: softmax dx = y*(dy - sum(dy*y)),
 * log-softmax dx = dy - exp(y)*sum(dy). */
void vn__softmax_backward(const float *y, const float *dy, float *dx, int64_t outer, int64_t mid,
                          int64_t inner, bool log);

/* ---- element-wise (eltwise.c) ------------------------------------------ */

typedef enum vn__act {
    VN__ACT_RELU = 1,
    VN__ACT_LEAKY_RELU = 2,   /* param = negative slope */
    VN__ACT_SIGMOID = 3,
    VN__ACT_TANH = 4,
    VN__ACT_GELU = 5,         /* exact, erf */
    VN__ACT_GELU_TANH = 6     /* tanh approximation */
} vn__act;
/* y = act(x) over n elements. */
void vn__act_forward(vn__act act, float param, const float *x, float *y, int64_t n);
/* dx = dy * act'(x) (y is the forward output, used where it is cheaper). */
void vn__act_backward(vn__act act, float param, const float *x, const float *y, const float *dy,
                      float *dx, int64_t n);
/* y = a + b (y may alias a or b). */
void vn__add(const float *a, const float *b, float *y, int64_t n);
/* y = a * b element-wise (y may alias a or b). */
void vn__mul(const float *a, const float *b, float *y, int64_t n);
/* Inverted-dropout mask for `samples` samples of `per_sample` values:
 * mask = 0 with probability p, else 1/(1-p). Sample s draws from Philox
 * keyed by `seed` on stream vn__rng_stream(a, b, s), so the mask does not
 * depend on the thread count or on which other samples are in the batch. */
void vn__dropout_mask(float *mask, int64_t samples, int64_t per_sample, float p, uint64_t seed,
                      uint64_t a, uint64_t b);
/* Copy n floats in parallel. */
void vn__copy(const float *x, float *y, int64_t n);

/* ---- broadcasting (broadcast.c; the element-wise layers) --------------- */

/* Shapes here are per sample, right-aligned numpy style (missing leading
 * dims count as 1); the batch n is prepended to every operand. An operand
 * rank < 0 means "no such operand" (its data is not read). */
typedef enum vn__binop {
    VN__BIN_ADD = 0,
    VN__BIN_SUB = 1,
    VN__BIN_MUL = 2,
    VN__BIN_DIV = 3,
    VN__BIN_COPY = 4          /* y = a broadcast to y's shape (b unused) */
} vn__binop;
/* The broadcast of shapes a and b into y (rank max(na, nb)); false when
 * some dim pair is neither equal nor has a 1. */
bool vn__bcast_shape(int na, const int64_t *a, int nb, const int64_t *b, int *ny, int64_t *y);
/* y = a op b, y of shape ys = the broadcast of as and bs. y may alias an
 * operand of y's own shape. */
void vn__bcast_forward(vn__binop op, int64_t n, int ny, const int64_t *ys, int na,
                       const int64_t *as, const float *a, int nb, const int64_t *bs,
                       const float *b, float *y);
/* dx (overwritten, the shape of operand `which`, 0 = a, 1 = b) = the
 * gradient of sum(dy * (a op b)) with respect to that operand: the
 * derivative times dy, summed (in double) over the dims along which it was
 * broadcast. Operand data not needed by the derivative may be NULL (ADD
 * with which = 0 and nb = -1 reduces dy to a's shape). */
void vn__bcast_backward(vn__binop op, int which, int64_t n, int ny, const int64_t *ys, int na,
                        const int64_t *as, const float *a, int nb, const int64_t *bs,
                        const float *b, const float *dy, float *dx);
/* Batched matrix products Y[t] = A[ia(t)] B[ib(t)] (m x k times k x q) where
 * the leading "batch" dims of A (ab), B (bb) broadcast to yb as above. */
void vn__bcast_matmul_forward(int64_t n, int nyb, const int64_t *yb, int nab, const int64_t *ab,
                              int nbb, const int64_t *bb, int64_t m, int64_t k, int64_t q,
                              const float *a, const float *b, float *y);
/* Their gradients, overwritten into da / db (either may be NULL), summed
 * over broadcast batch dims. */
void vn__bcast_matmul_backward(int64_t n, int nyb, const int64_t *yb, int nab, const int64_t *ab,
                               int nbb, const int64_t *bb, int64_t m, int64_t k, int64_t q,
                               const float *a, const float *b, const float *dy, float *da,
                               float *db);

/* ---- pooling (pooling.c) ----------------------------------------------- */

struct vn__pool_geom {
    int64_t n, c, h, w, oh, ow;
    int kh, kw, sh, sw, ph, pw, dh, dw;
    int ph_end, pw_end;       /* bottom / right padding (the avg divisor's clip) */
    bool count_include_pad;   /* avg pool divisor */
};
/* Max pool; padding is -inf. When argmax is not NULL it receives, per
 * output, the index (h*w + col within the plane) of the maximum (the first
 * in row-major order on ties). */
void vn__max_pool_forward(const vn__pool_geom *g, const float *x, float *y, int32_t *argmax);
/* The same on the calling thread (for a caller that is itself one task of
 * a parallel call: the fused convolution's epilogue). */
void vn__max_pool_forward_serial(const vn__pool_geom *g, const float *x, float *y,
                                 int32_t *argmax);
/* For tests: on = false makes the 2x2 stride-2 max-pool take its portable
 * loop instead of the AVX-512 one; on = true restores the CPU's choice.
 * Returns whether the requested path is the one now in use. */
bool vn__max_pool_use_simd(bool on);
/* dx = 0 then dx[argmax] += dy. */
void vn__max_pool_backward(const vn__pool_geom *g, const float *dy, const int32_t *argmax,
                           float *dx);
/* The gradient of max_pool(relu(x)) with respect to x in one pass, from the
 * pool's output y: dx = 0 then dx[argmax] += (y > 0 ? dy : 0), bit for bit
 * the pool's backward followed by relu's (relu(x) > 0 exactly where x > 0,
 * and y is relu(x) at the arg-max). y == NULL: vn__max_pool_backward. */
void vn__max_pool_relu_backward(const vn__pool_geom *g, const float *dy, const int32_t *argmax,
                                const float *y, float *dx);
void vn__avg_pool_forward(const vn__pool_geom *g, const float *x, float *y);
void vn__avg_pool_backward(const vn__pool_geom *g, const float *dy, float *dx);
/* PyTorch adaptive average pooling (rows floor(i*h/oh) .. ceil((i+1)*h/oh)-1). */
void vn__adaptive_avg_pool_forward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                   const float *x, float *y);
void vn__adaptive_avg_pool_backward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                    const float *dy, float *dx);

/* ---- batch normalisation (batchnorm.c) --------------------------------- */

/* Training forward over [n, c, p]: per channel mean and biased variance
 * over (n, p) into mean[c] / var[c], invstd[c] = 1/sqrt(var + eps), and
 * y = (x - mean) * invstd * gamma + beta. */
void vn__bn_forward_train(const float *x, int64_t n, int64_t c, int64_t p, const float *gamma,
                          const float *beta, float eps, float *y, float *mean, float *var,
                          float *invstd);
/* y = (x - mean) * invstd * gamma + beta with given statistics. */
void vn__bn_forward_stats(const float *x, int64_t n, int64_t c, int64_t p, const float *gamma,
                          const float *beta, const float *mean, const float *invstd, float *y);
/* Backward. With `batch_stats` the statistics came from the batch (full
 * gradient through them), else they were constants (eval). dx may be NULL;
 * dgamma / dbeta (accumulated) may be NULL. */
void vn__bn_backward(const float *x, const float *dy, int64_t n, int64_t c, int64_t p,
                     const float *gamma, const float *mean, const float *invstd, bool batch_stats,
                     float *dx, float *dgamma, float *dbeta);

/* ---- upsampling (upsample.c) ------------------------------------------- */

/* Integer-scale upsampling of planes x [planes, h, w] -> [planes, h*s, w*s]:
 * nearest (y[i,j] = x[i/s, j/s]) or bilinear with align_corners=false. */
void vn__upsample_forward(bool bilinear, int s, int64_t planes, int64_t h, int64_t w,
                          const float *x, float *y);
/* The adjoint: dx (overwritten) from dy. */
void vn__upsample_backward(bool bilinear, int s, int64_t planes, int64_t h, int64_t w,
                           const float *dy, float *dx);

/* ---- pad and resize (pad.c, resize.c; helper "layers-geometry") ------- */

typedef enum vn__pad_mode {
    VN__PAD_CONSTANT = 0,
    VN__PAD_REFLECT = 1,     /* x[-1] = x[1]; pads smaller than the axis */
    VN__PAD_EDGE = 2         /* x[-1] = x[0] */
} vn__pad_mode;
/* The input index of each of the `out` output indices of one axis padded
 * by `begin` in front (negative crops): reflected / clamped, or -1 where a
 * constant pad goes. */
void vn__pad_map(vn__pad_mode mode, int64_t in, int64_t out, int64_t begin, int64_t *map);
/* `outer` samples of shape in[0..ndim) padded to out[0..ndim) through the
 * per-axis maps (ndim >= 1), `value` where a map says -1. */
#define VN__PAD_MAX_RANK 8
typedef struct vn__pad_geom {
    int64_t outer;
    int ndim;
    int64_t in[VN__PAD_MAX_RANK], out[VN__PAD_MAX_RANK];
    const int64_t *map[VN__PAD_MAX_RANK];
    float value;
} vn__pad_geom;
void vn__pad_forward(const vn__pad_geom *g, const float *x, float *y);
/* dx (overwritten) = the adjoint of the forward applied to dy. */
void vn__pad_backward(const vn__pad_geom *g, const float *dy, float *dx);

typedef enum vn__resize_coord {
    VN__RESIZE_HALF_PIXEL = 0,
    VN__RESIZE_PYTORCH_HALF_PIXEL = 1,
    VN__RESIZE_ALIGN_CORNERS = 2,
    VN__RESIZE_ASYMMETRIC = 3,
    VN__RESIZE_TF_HALF_PIXEL_FOR_NN = 4
} vn__resize_coord;
typedef enum vn__resize_round {
    VN__RESIZE_ROUND_PREFER_FLOOR = 0,
    VN__RESIZE_ROUND_PREFER_CEIL = 1,
    VN__RESIZE_FLOOR = 2,
    VN__RESIZE_CEIL = 3
} vn__resize_round;
/* Output index -> input indices and weights along one axis (nearest:
 * i1 == i0, w0 = 1, w1 = 0). */
typedef struct vn__resize_tap {
    int64_t i0, i1;
    float w0, w1;
} vn__resize_tap;
/* The taps of one axis of ONNX Resize-13 from `in` to `out` elements;
 * scale <= 0 means out / in. */
void vn__resize_taps(bool nearest, vn__resize_coord coord, vn__resize_round round, int64_t in,
                     int64_t out, double scale, vn__resize_tap *taps);
typedef struct vn__resize_geom {
    int64_t planes, h, w, oh, ow;
    bool nearest;
    const vn__resize_tap *th, *tw;   /* oh and ow taps */
} vn__resize_geom;
/* [planes, h, w] -> [planes, oh, ow]. */
void vn__resize_forward(const vn__resize_geom *g, const float *x, float *y);
/* dx (overwritten) = the adjoint applied to dy. */
void vn__resize_backward(const vn__resize_geom *g, const float *dy, float *dx);

#endif /* VN_KERNELS_H */
