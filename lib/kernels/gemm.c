/*
 * gemm.c - single-precision matrix multiply, row-major.
 *
 * Three backends compute the products (chosen once, see below):
 *
 * - native (the default on x86-64 CPUs with AVX2 + FMA or AVX-512F): the
 *   BLIS / GotoBLAS loop nest of gemm_internal.h. op(B) is packed into a
 *   KC x NC block of NR-wide panels (kept in the L2 / L3 cache), op(A)
 *   into an MC x KC block of MR-high panels (L2), and a register-blocked
 *   micro-kernel (gemm_avx512.c: 8 x 32, gemm_avx2.c: 6 x 16) multiplies
 *   one panel of each into an MR x NR tile of C, the B panel staying in the
 *   L1 cache while the A panels stream past it. Tiles at the edges of C are
 *   computed into a small buffer with the same kernel and stored under
 *   masks. Products with few columns (N <= 512, neither transposed: the
 *   batch-1 convolutions of a CNN's late layers) do not pack A at all: the
 *   AVX-512 kernel reads A's rows in place (PATH_DIRECT), with the same
 *   arithmetic, so the same values.
 * - OpenBLAS's cblas_sgemm (when the library was built with BLAS). Its
 *   kernels are chosen by OpenBLAS's own CPU detection, which does not know
 *   every CPU (0.3.21 runs its SSE3 kernels on Sapphire Rapids unless
 *   OPENBLAS_CORETYPE is set): that is why the native GEMM exists.
 * - portable: a blocked C GEMM the compiler vectorises for the baseline
 *   x86-64 (or any other) target; the fallback everywhere else.
 *
 * The environment variable VN_GEMM=native|openblas|portable (read once, at
 * the first GEMM) overrides the default; a backend that is not there (no
 * BLAS in the build, no AVX2 on the CPU) falls back to the default.
 *
 * Threads: a big product is cut into blocks of rows or columns of C, one
 * per pool task, and each block is one single-threaded call. OpenBLAS is
 * told to use one thread (openblas_set_num_threads(1)) so that its own
 * threads, which spin for a while after each call, never compete with the
 * pool for the cores; docs/threads.md has the measurements. Every element
 * of C is computed by one call with the full K, and the native GEMM's K
 * blocking depends only on K, so the result does not depend on the thread
 * count.
 */
#include "kernels/gemm_internal.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if VN_HAVE_BLAS
#include <cblas.h>
/* OpenBLAS's thread control; weak so the library also links against a
 * reference CBLAS that has no such functions. */
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));
#endif

static atomic_int g_policy; /* 0: pool splits, BLAS single-threaded; 1: BLAS threads */

void vn__gemm_set_policy(int policy)
{
    atomic_store(&g_policy, policy == 1 ? 1 : 0);
}

int vn__gemm_policy(void)
{
    return atomic_load(&g_policy);
}

/* ---- backend choice ------------------------------------------------------ */

static atomic_int g_backend = -1; /* a vn__gemm_backend_id, or -1 before the first use */

bool vn__gemm_backend_available(int backend)
{
    switch (backend) {
    case VN__GEMM_PORTABLE:
        return true;
    case VN__GEMM_OPENBLAS:
        return VN_HAVE_BLAS != 0;
#if VN_GEMM_X86
    case VN__GEMM_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case VN__GEMM_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("fma");
#endif
    default:
        return false;
    }
}

static int best_native(void)
{
    if (vn__gemm_backend_available(VN__GEMM_AVX512))
        return VN__GEMM_AVX512;
    if (vn__gemm_backend_available(VN__GEMM_AVX2))
        return VN__GEMM_AVX2;
    return -1;
}

/* The default: VN_GEMM if it names a backend that is there, else native,
 * else OpenBLAS, else portable. */
static int default_backend(void)
{
    const char *env = getenv("VN_GEMM");
    int want = -1;
    if (env && strcmp(env, "openblas") == 0)
        want = VN__GEMM_OPENBLAS;
    else if (env && strcmp(env, "portable") == 0)
        want = VN__GEMM_PORTABLE;
    else if (env && strcmp(env, "avx2") == 0)
        want = VN__GEMM_AVX2;
    else if (env && strcmp(env, "avx512") == 0)
        want = VN__GEMM_AVX512;
    if (want >= 0 && vn__gemm_backend_available(want))
        return want;
    int native = best_native();
    if (native >= 0)
        return native;
    return VN_HAVE_BLAS ? VN__GEMM_OPENBLAS : VN__GEMM_PORTABLE;
}

int vn__gemm_get_backend(void)
{
    int b = atomic_load_explicit(&g_backend, memory_order_relaxed);
    if (b < 0) {
        b = default_backend();   /* the same on every thread: a race is harmless */
        atomic_store(&g_backend, b);
    }
    return b;
}

bool vn__gemm_set_backend(int backend)
{
    if (backend == VN__GEMM_DEFAULT) {
        atomic_store(&g_backend, default_backend());
        return true;
    }
    if (!vn__gemm_backend_available(backend))
        return false;
    atomic_store(&g_backend, backend);
    return true;
}

const char *vn__gemm_backend(void)
{
    switch (vn__gemm_get_backend()) {
#if VN_GEMM_X86
    case VN__GEMM_AVX512:
        return "native avx512 8x32";
    case VN__GEMM_AVX2:
        return "native avx2 6x16";
#endif
    case VN__GEMM_OPENBLAS:
#if VN_HAVE_BLAS
        if (openblas_get_config)
            return openblas_get_config();
        return "cblas";
#endif
    default:
        return "portable";
    }
}

#if VN_HAVE_BLAS
static void blas_threads(int n)
{
    if (openblas_set_num_threads && openblas_get_num_threads && openblas_get_num_threads() != n)
        openblas_set_num_threads(n);
}
#endif

/* C = beta * C, not reading C when beta is 0. */
static void scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f)
            memset(c, 0, (size_t)N * sizeof(float));
        else if (beta != 1.0f)
            for (int64_t j = 0; j < N; j++)
                c[j] *= beta;
    }
}

/* ---- the portable GEMM ------------------------------------------------- */

enum { P_KC = 256, P_NC = 256 };

/* Element (i, j) of op(X) where X is row-major with leading dimension ld. */
static inline float at(const float *X, int64_t ld, bool t, int64_t i, int64_t j)
{
    return t ? X[j * ld + i] : X[i * ld + j];
}

/* The unpacked triple loop, for when there is no memory to pack into. */
static void naive_accumulate(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb, float *C,
                             int64_t ldc)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t k = 0; k < K; k++) {
            float a = alpha * at(A, lda, ta, i, k);
            for (int64_t j = 0; j < N; j++)
                C[i * ldc + j] += a * at(B, ldb, tb, k, j);
        }
}

static void portable_sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                           const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                           float *C, int64_t ldc)
{
    scale_c(M, N, beta, C, ldc);
    if (K == 0 || alpha == 0.0f)
        return;
    float *pack = vn__scratch(VN__SCRATCH_GEMM, (size_t)P_KC * P_NC + 4 * P_KC);
    if (!pack) {
        /* Out of memory for 260 KiB of packing: fall back to the unpacked
         * triple loop rather than fail a kernel that cannot. */
        naive_accumulate(ta, tb, M, N, K, alpha, A, lda, B, ldb, C, ldc);
        return;
    }
    float *bp = pack;              /* [kc][nc] panel of op(B) */
    float *ap = pack + P_KC * P_NC;    /* [4][kc] rows of alpha*op(A) */
    for (int64_t j0 = 0; j0 < N; j0 += P_NC) {
        int64_t nc = VN_MIN((int64_t)P_NC, N - j0);
        for (int64_t k0 = 0; k0 < K; k0 += P_KC) {
            int64_t kc = VN_MIN((int64_t)P_KC, K - k0);
            for (int64_t k = 0; k < kc; k++)
                for (int64_t j = 0; j < nc; j++)
                    bp[k * nc + j] = at(B, ldb, tb, k0 + k, j0 + j);
            int64_t i = 0;
            for (; i + 4 <= M; i += 4) {
                for (int r = 0; r < 4; r++)
                    for (int64_t k = 0; k < kc; k++)
                        ap[r * kc + k] = alpha * at(A, lda, ta, i + r, k0 + k);
                float *c0 = C + i * ldc + j0, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
                for (int64_t k = 0; k < kc; k++) {
                    const float *b = bp + k * nc;
                    float a0 = ap[k], a1 = ap[kc + k], a2 = ap[2 * kc + k], a3 = ap[3 * kc + k];
                    for (int64_t j = 0; j < nc; j++) {
                        float bj = b[j];
                        c0[j] += a0 * bj;
                        c1[j] += a1 * bj;
                        c2[j] += a2 * bj;
                        c3[j] += a3 * bj;
                    }
                }
            }
            for (; i < M; i++) {
                float *c = C + i * ldc + j0;
                for (int64_t k = 0; k < kc; k++) {
                    const float *b = bp + k * nc;
                    float a = alpha * at(A, lda, ta, i, k0 + k);
                    for (int64_t j = 0; j < nc; j++)
                        c[j] += a * b[j];
                }
            }
        }
    }
}

/* ---- the native GEMM ----------------------------------------------------- */

#if VN_GEMM_X86

/* Cache blocking. KC: the depth of one pass, a function of K alone (the
 * blocks are as even as possible and at most KC_MAX deep) so that every
 * element of C is summed in the same order however C is cut. MC x KC of A
 * stays in L2, KC x NR of B (one panel, 32 KiB at KC 256 and NR 32) in L1. */
enum { KC_MAX = 320, MC_MAX = 192, NC_MAX = 3072 };

static int64_t k_block(int64_t K)
{
    int64_t blocks = (K + KC_MAX - 1) / KC_MAX;
    int64_t kc = (K + blocks - 1) / blocks;
    return VN_MIN((kc + 7) / 8 * 8, (int64_t)KC_MAX);
}

/* How the native GEMM computes a product, chosen on the whole product's
 * shape (never on one thread's block of it) so that every block of C is
 * computed the same way: */
enum {
    PATH_TILES = 0,   /* packed panels and micro-kernel tiles */
    PATH_ROW = 1,     /* M == 1: the one-row kernel, no packing */
    PATH_SWAP = 2,    /* N far below a tile's width: C^T = op(B)^T op(A)^T, in tiles */
    PATH_DIRECT = 3   /* few columns, A not transposed: tiles read A in place */
};

/* PATH_DIRECT: up to this many columns each element of A is used by a
 * few column tiles only, and packing it (8 x 8 transposes, A read once
 * from memory anyway) costs more than the tiles reading A in place, eight
 * row streams. Measured on resnet18's batch-1 convolutions (one core,
 * AVX-512): M 512, N 49, K 4608 from 93 to 115 GFLOP/s; N 196 and 280
 * 5-8% faster; N 448 even; N 1680 no better. Only for op(B) = B (a
 * convolution's forward): the training products (B transposed: dense
 * layers, weight gradients) were not measured faster and keep packing. */
#define DIRECT_N_MAX 512

static int native_path(const vn__gemm_kernel *kr, bool ta, bool tb, int64_t M, int64_t N)
{
    if (M == 1)
        return PATH_ROW;
    if (2 * N <= kr->nr && M > 2 * N)
        return PATH_SWAP;
    if (!ta && !tb && kr->direct && N <= DIRECT_N_MAX)
        return PATH_DIRECT;
    return PATH_TILES;
}

/* Bpre, when not NULL, is op(B) already packed (vn__gemm_prepack_layout:
 * N <= NC_MAX, so one column block; K block pc at Bpre + pc * Npad); B,
 * ldb and tb are then not used. */
static void native_sgemm(const vn__gemm_kernel *kr, int path, bool ta, bool tb, int64_t M,
                         int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                         const float *B, int64_t ldb, const float *Bpre, float beta, float *C,
                         int64_t ldc)
{
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    if (path == PATH_SWAP) {
        /* C^T (N x M) = op(B)^T op(A)^T: the wide side becomes the tiles'
         * width; tiles are written to C transposed */
        const float *T = A;
        int64_t t = lda, u = M;
        bool f = ta;
        A = B;
        lda = ldb;
        ta = !tb;
        B = T;
        ldb = t;
        tb = !f;
        M = N;
        N = u;
    }
    const bool trans_c = path == PATH_SWAP;
    if (path == PATH_ROW) {
        /* a product of one row (a dense layer on one sample): no packing,
         * B is read once */
        const float *a = A;
        int64_t inca = ta ? lda : 1;
        if (tb && inca != 1) {
            float *buf = vn__scratch(VN__SCRATCH_GEMM, (size_t)K);
            if (buf) {
                for (int64_t k = 0; k < K; k++)
                    buf[k] = A[k * lda];
                a = buf;
                inca = 1;
            }
        }
        if (inca == 1 || !tb) {
            kr->row(tb, N, K, alpha, a, inca, B, ldb, beta, C);
            return;
        }
        /* no memory for the copy: fall through to the tiled path */
    }
    const int64_t mr = kr->mr, nr = kr->nr;
    const int64_t KC = k_block(K);
    const int64_t MC = VN_MIN(MC_MAX / mr * mr, (M + mr - 1) / mr * mr);
    const int64_t NC = VN_MIN(NC_MAX / nr * nr, (N + nr - 1) / nr * nr);
    float *bp = vn__scratch(VN__SCRATCH_GEMM, (size_t)(KC * (NC + MC)));
    if (!bp) {
        scale_c(M, N, beta, C, ldc);
        naive_accumulate(ta, tb, M, N, K, alpha, A, lda, B, ldb, C, ldc);
        return;
    }
    float *ap = bp + KC * NC;
    for (int64_t jc = 0; jc < N; jc += NC) {
        const int64_t nc = VN_MIN(NC, N - jc);
        for (int64_t pc = 0; pc < K; pc += KC) {
            const int64_t kc = VN_MIN(KC, K - pc);
            const float bet = pc == 0 ? beta : 1.0f;
            const float *bpk = bp;
            if (Bpre)
                bpk = Bpre + pc * ((N + nr - 1) / nr * nr);
            else
                kr->pack_b(tb, B, ldb, pc, kc, jc, nc, bp);
            if (path == PATH_DIRECT) {
                /* A in place: tile by tile, row panel outer so that a
                 * panel of A stays in L1 across the few column tiles */
                for (int64_t ir = 0; ir < M; ir += mr) {
                    const int64_t h = VN_MIN(mr, M - ir);
                    if (h < mr)
                        kr->pack_a(ta, A, lda, ir, h, pc, kc, ap);
                    for (int64_t jr = 0; jr < nc; jr += nr) {
                        const int64_t w = VN_MIN(nr, nc - jr);
                        float *c = C + ir * ldc + jc + jr;
                        if (h == mr)
                            kr->direct(kc, A + ir * lda + pc, lda, bpk + jr * kc, c, ldc, alpha,
                                       bet, w);
                        else
                            kr->edge(kc, ap, bpk + jr * kc, c, ldc, alpha, bet, h, w);
                    }
                }
                continue;
            }
            for (int64_t ic = 0; ic < M; ic += MC) {
                const int64_t mc = VN_MIN(MC, M - ic);
                kr->pack_a(ta, A, lda, ic, mc, pc, kc, ap);
                for (int64_t jr = 0; jr < nc; jr += nr) {
                    const int64_t w = VN_MIN(nr, nc - jr);
                    const float *b = bpk + jr * kc;
                    for (int64_t ir = 0; ir < mc; ir += mr) {
                        const int64_t h = VN_MIN(mr, mc - ir);
                        if (trans_c) {
                            /* element (i, j) of this tile is C[j][i] */
                            kr->edge_t(kc, ap + ir * kc, b, C + (jc + jr) * ldc + ic + ir, ldc,
                                       alpha, bet, h, w);
                            continue;
                        }
                        float *c = C + (ic + ir) * ldc + jc + jr;
                        if (h == mr && w == nr) {
                            kr->ukr(kc, ap + ir * kc, b, c, ldc, alpha, bet);
                            continue;
                        }
                        kr->edge(kc, ap + ir * kc, b, c, ldc, alpha, bet, h, w);
                    }
                }
            }
        }
    }
}

static const vn__gemm_kernel *native_kernel(int backend)
{
    return backend == VN__GEMM_AVX512 ? &vn__gemm_kernel_avx512
         : backend == VN__GEMM_AVX2   ? &vn__gemm_kernel_avx2
                                      : NULL;
}
#endif /* VN_GEMM_X86 */

/* Rows / columns of C one micro-kernel tile covers, for cutting C. */
static void tile_shape(int backend, int64_t *mr, int64_t *nr)
{
    *mr = *nr = 16;
#if VN_GEMM_X86
    const vn__gemm_kernel *kr = native_kernel(backend);
    if (kr) {
        *mr = kr->mr;
        *nr = kr->nr;
    }
#else
    (void)backend;
#endif
}

/* M_all, N_all: the shape of the whole product this block belongs to,
 * which chooses the native GEMM's path (native_path). */
static void sgemm_with(int backend, int64_t M_all, int64_t N_all, bool ta, bool tb, int64_t M,
                       int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                       const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0)
        return;
#if VN_GEMM_X86
    const vn__gemm_kernel *kr = native_kernel(backend);
    if (kr) {
        native_sgemm(kr, native_path(kr, ta, tb, M_all, N_all), ta, tb, M, N, K, alpha, A, lda, B,
                     ldb, NULL, beta, C, ldc);
        return;
    }
#endif
#if VN_HAVE_BLAS
    if (backend == VN__GEMM_OPENBLAS) {
        if (K <= 0) {
            /* BLAS leaves C untouched for K == 0 only when beta is 1; do it here. */
            scale_c(M, N, beta, C, ldc);
            return;
        }
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                    tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A, (int)lda, B,
                    (int)ldb, beta, C, (int)ldc);
        return;
    }
#endif
    portable_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void vn__sgemm_serial(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc)
{
    sgemm_with(vn__gemm_get_backend(), M, N, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C,
               ldc);
}

void vn__sgemm_block(int64_t M_all, int64_t N_all, bool ta, bool tb, int64_t M, int64_t N,
                     int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                     int64_t ldb, float beta, float *C, int64_t ldc)
{
    sgemm_with(vn__gemm_get_backend(), M_all, N_all, ta, tb, M, N, K, alpha, A, lda, B, ldb,
               beta, C, ldc);
}

bool vn__gemm_prepack_layout(int64_t M_all, int64_t N, int64_t K, int64_t *nr, int64_t *kc)
{
#if VN_GEMM_X86
    const vn__gemm_kernel *kr = native_kernel(vn__gemm_get_backend());
    if (!kr || kr->nr != 32 || N > NC_MAX || K <= 0)
        return false;
    const int path = native_path(kr, false, false, M_all, N);
    if (path != PATH_TILES && path != PATH_DIRECT)
        return false;
    *nr = kr->nr;
    *kc = k_block(K);
    return true;
#else
    (void)M_all, (void)N, (void)K, (void)nr, (void)kc;
    return false;
#endif
}

void vn__sgemm_prepacked(int64_t M_all, int64_t M, int64_t N, int64_t K, float alpha,
                         const float *A, int64_t lda, const float *Bp, float beta, float *C,
                         int64_t ldc)
{
#if VN_GEMM_X86
    const vn__gemm_kernel *kr = native_kernel(vn__gemm_get_backend());
    if (kr && M > 0 && N > 0)
        native_sgemm(kr, native_path(kr, false, false, M_all, N), false, false, M, N, K, alpha,
                     A, lda, NULL, 0, Bp, beta, C, ldc);
#else
    (void)M_all, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)Bp;
    (void)beta, (void)C, (void)ldc;
#endif
}

typedef struct gemm_job {
    bool ta, tb, by_rows;
    int backend;
    int64_t M, N, K, lda, ldb, ldc, step;
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

static void gemm_task(void *arg, int t)
{
    const gemm_job *j = arg;
    int64_t total = j->by_rows ? j->M : j->N;
    int64_t b0 = VN_MIN(total, (int64_t)t * j->step);
    int64_t b1 = VN_MIN(total, b0 + j->step);
    if (b1 <= b0)
        return;
    if (j->by_rows) {
        const float *A = j->ta ? j->A + b0 : j->A + b0 * j->lda;
        sgemm_with(j->backend, j->M, j->N, j->ta, j->tb, b1 - b0, j->N, j->K, j->alpha, A, j->lda, j->B,
                   j->ldb, j->beta, j->C + b0 * j->ldc, j->ldc);
    } else {
        const float *B = j->tb ? j->B + b0 * j->ldb : j->B + b0;
        sgemm_with(j->backend, j->M, j->N, j->ta, j->tb, j->M, b1 - b0, j->K, j->alpha, j->A, j->lda, B,
                   j->ldb, j->beta, j->C + b0, j->ldc);
    }
}

void vn__sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
               int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0)
        return;
    int threads = vn__num_threads();
    int backend = vn__gemm_get_backend();
#if VN_HAVE_BLAS
    if (backend == VN__GEMM_OPENBLAS) {
        if (atomic_load(&g_policy) == 1) {
            blas_threads(threads);
            sgemm_with(backend, M, N, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            return;
        }
        blas_threads(1);
    }
#endif
    /* Cut C into blocks of whole rows or columns (multiples of the
     * micro-kernel's tile so the blocks see full tiles), at most one per
     * thread, and only when each block keeps enough work (~4 MFLOP, some
     * 30 us for the native GEMM) to pay for waking a thread. */
    double flops = 2.0 * (double)M * (double)N * (double)K;
    bool by_rows = M >= N;
    int64_t extent = by_rows ? M : N;
    int64_t mr, nr;
    tile_shape(backend, &mr, &nr);
    int64_t unit = by_rows ? mr : nr;
    int blocks = (int)VN_MIN((int64_t)threads, (int64_t)(flops / 4.0e6));
    blocks = (int)VN_MIN((int64_t)blocks, (extent + unit - 1) / unit);
    if (blocks <= 1) {
        sgemm_with(backend, M, N, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    int64_t step = (extent + blocks - 1) / blocks;
    step = (step + unit - 1) / unit * unit;
    blocks = (int)((extent + step - 1) / step);
    gemm_job j = {ta, tb, by_rows, backend, M, N, K, lda, ldb, ldc, step, alpha, beta, A, B, C};
    vn__parallel_tasks(blocks, gemm_task, &j);
}
