/* test_kernels.c - the private kernel layer: the thread pool (coverage,
 * nesting, small work inline, no spinning when idle), scratch reuse, GEMM
 * (written-down products; every backend - portable, OpenBLAS, native AVX2
 * and AVX-512 - against a double loop on many shapes, and bit-identical on 1
 * and 2 threads), im2col (written-down columns) and col2im (its adjoint). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <cmocka.h>

#include <visionnet.h>
#include "kernels/kernels.h"
#include "nn/model.h"

/* ---- thread pool ------------------------------------------------------------- */

typedef struct cover {
    atomic_int hits[1000];
} cover;

static void mark(void *arg, int64_t begin, int64_t end)
{
    cover *c = arg;
    for (int64_t i = begin; i < end; i++)
        atomic_fetch_add(&c->hits[i], 1);
}

static void test_parallel_for_covers_every_index_once(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    const int counts[] = {1, 2, 5};
    for (int t = 0; t < 3; t++) {
        assert_int_equal(vn_set_num_threads(counts[t]), VN_OK);
        cover *c = calloc(1, sizeof *c);
        vn__parallel_for(1000, 1e6, mark, c);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(atomic_load(&c->hits[i]), 1);
        free(c);
    }
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

typedef struct single {
    int calls;
    int64_t begin, end;
    pthread_t thread;
} single;

static void record(void *arg, int64_t begin, int64_t end)
{
    single *s = arg;
    s->calls++;
    s->begin = begin;
    s->end = end;
    s->thread = pthread_self();
}

static void test_small_work_runs_on_the_calling_thread(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    assert_int_equal(vn_set_num_threads(4), VN_OK);
    single s = {0};
    vn__parallel_for(100, 1.0, record, &s); /* 100 operations */
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.begin, 0);
    assert_int_equal(s.end, 100);
    assert_true(pthread_equal(s.thread, pthread_self()));
    assert_int_equal(vn__parallel_ranges(100, 1.0), 1);
    assert_int_equal(vn__parallel_ranges(100, 1e6), 4);
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

typedef struct nested {
    atomic_int inner;
} nested;

static void inner_task(void *arg, int t)
{
    (void)t;
    atomic_fetch_add(&((nested *)arg)->inner, 1);
}

static void outer_task(void *arg, int t)
{
    (void)t;
    vn__parallel_tasks(10, inner_task, arg);
}

static void test_nested_parallel_calls_run_inline(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    assert_int_equal(vn_set_num_threads(2), VN_OK);
    nested n;
    atomic_init(&n.inner, 0);
    vn__parallel_tasks(6, outer_task, &n);
    assert_int_equal(atomic_load(&n.inner), 60);
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

static void busy(void *arg, int64_t begin, int64_t end)
{
    volatile double *sink = arg;
    double s = 0;
    for (int64_t i = begin; i < end; i++)
        s += sqrt((double)i);
    *sink += s;
}

static void test_idle_pool_threads_sleep(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    assert_int_equal(vn_set_num_threads(2), VN_OK);
    volatile double sink = 0;
    vn__parallel_for(2000000, 10.0, busy, (void *)&sink);
    assert_true(vn__pool_started_threads() >= 1);
    /* 200 ms of wall time with the pool idle: its threads must not burn CPU.
     * (Only the pool's threads are measured: OpenBLAS's own threads spin
     * for ~0.1 s after the library loads, see docs/threads.md.) */
    double before = vn__pool_cpu_seconds();
    struct timespec nap = {0, 200 * 1000 * 1000};
    nanosleep(&nap, NULL);
    double used = vn__pool_cpu_seconds() - before;
    if (used >= 0.005)
        fail_msg("the idle pool used %.3f s of CPU in 0.2 s", used);
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

/* ---- scratch ----------------------------------------------------------------- */

static void test_scratch_is_reused_between_calls(void **state)
{
    (void)state;
    float *a = vn__scratch(VN__SCRATCH_COL, 1000);
    assert_non_null(a);
    assert_int_equal((uintptr_t)a % 64, 0);
    float *b = vn__scratch(VN__SCRATCH_COL, 500);
    assert_ptr_equal(a, b);
    float *c = vn__scratch(VN__SCRATCH_GATHER, 10);
    assert_ptr_not_equal(a, c);
}

/* ---- GEMM -------------------------------------------------------------------- */

static void test_sgemm_matches_written_products_in_every_layout(void **state)
{
    (void)state;
    /* A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]: A B = [[58,64],[139,154]];
     * with alpha 2, beta 1 on C = ones: [[117,129],[279,309]]. */
    const float A[6] = {1, 2, 3, 4, 5, 6}, At[6] = {1, 4, 2, 5, 3, 6};
    const float B[6] = {7, 8, 9, 10, 11, 12}, Bt[6] = {7, 9, 11, 8, 10, 12};
    const float want[4] = {117, 129, 279, 309};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            float C[4] = {1, 1, 1, 1};
            vn__sgemm(ta, tb, 2, 2, 3, 2.0f, ta ? At : A, ta ? 2 : 3, tb ? Bt : B, tb ? 3 : 2,
                      1.0f, C, 2);
            for (int i = 0; i < 4; i++)
                assert_float_equal(C[i], want[i], 0.0);
        }
    float C[4] = {NAN, NAN, NAN, NAN};
    vn__sgemm(false, false, 2, 2, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2); /* beta 0 ignores C */
    assert_float_equal(C[0], 58.0f, 0.0);
    assert_float_equal(C[3], 154.0f, 0.0);
}

static void test_sgemm_split_over_threads_matches_double_loop(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    assert_int_equal(vn_set_num_threads(2), VN_OK);
    const int M = 70, N = 333, K = 129;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C = malloc(sizeof(float) * M * N);
    struct vn_rng rng;
    vn__rng_init(&rng, 1, 2);
    for (int i = 0; i < M * K; i++)
        A[i] = vn_rng_normal(&rng);
    for (int i = 0; i < K * N; i++)
        B[i] = vn_rng_normal(&rng);
    vn__sgemm(false, true, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N); /* B read as [N, K] */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (int k = 0; k < K; k++) {
                s += (double)A[i * K + k] * B[j * K + k];
                mag += fabs((double)A[i * K + k] * B[j * K + k]);
            }
            /* float accumulation over K = 129 terms: within 129 * 2^-24 * sum|terms| */
            assert_true(fabs(C[i * N + j] - s) <= 1e-5 * mag + 1e-6);
        }
    free(A);
    free(B);
    free(C);
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

/* ---- GEMM backends against a double-precision reference ---------------------- */

static const int k_backends[] = {VN__GEMM_PORTABLE, VN__GEMM_OPENBLAS, VN__GEMM_AVX2,
                                 VN__GEMM_AVX512};

/* Fill n floats with values in [-1, 1) from a fixed stream. */
static void fill_uniform(float *x, int64_t n, uint64_t seed)
{
    struct vn_rng rng;
    vn__rng_init(&rng, seed, 7);
    for (int64_t i = 0; i < n; i++)
        x[i] = 2.0f * vn_rng_uniform(&rng) - 1.0f;
}

typedef struct gemm_case {
    bool ta, tb;
    int64_t M, N, K;
    float alpha, beta;
    int64_t pad;      /* extra leading-dimension floats, and the offset of every matrix */
} gemm_case;

/* Run one product on the current backend and check every element against
 * a double loop: |C - ref| within 2*(K+2) float roundings of the sum of
 * the magnitudes of its terms. beta == 0 starts C as NaN. */
static void check_gemm_case(const gemm_case *g)
{
    const int64_t M = g->M, N = g->N, K = g->K, p = g->pad;
    const int64_t ar = g->ta ? K : M, ac = g->ta ? M : K;   /* stored shape of A */
    const int64_t br = g->tb ? N : K, bc = g->tb ? K : N;
    const int64_t lda = ac + p, ldb = bc + p, ldc = N + p;
    float *Abuf = malloc(sizeof(float) * (size_t)(ar * lda + p + 1));
    float *Bbuf = malloc(sizeof(float) * (size_t)(br * ldb + p + 1));
    float *Cbuf = malloc(sizeof(float) * (size_t)(M * ldc + p + 1));
    float *C0 = malloc(sizeof(float) * (size_t)(M * ldc + p + 1));
    assert_non_null(Abuf);
    assert_non_null(Bbuf);
    assert_non_null(Cbuf);
    assert_non_null(C0);
    float *A = Abuf + p, *B = Bbuf + p, *C = Cbuf + p;   /* unaligned when p is odd */
    fill_uniform(Abuf, ar * lda + p + 1, (uint64_t)(M * 131 + K));
    fill_uniform(Bbuf, br * ldb + p + 1, (uint64_t)(N * 137 + K + 1));
    fill_uniform(Cbuf, M * ldc + p + 1, 99);
    if (g->beta == 0.0f)
        for (int64_t i = 0; i < M * ldc; i++)
            C[i] = NAN;
    memcpy(C0, Cbuf, sizeof(float) * (size_t)(M * ldc + p + 1));
    vn__sgemm(g->ta, g->tb, M, N, K, g->alpha, A, lda, B, ldb, g->beta, C, ldc);
    const float *c0 = C0 + p;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            double s = 0, mag = 0;
            for (int64_t k = 0; k < K; k++) {
                double a = g->ta ? A[k * lda + i] : A[i * lda + k];
                double b = g->tb ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
                mag += fabs(a * b);
            }
            double want = (double)g->alpha * s, bound = fabs((double)g->alpha) * mag;
            if (g->beta != 0.0f) {
                want += (double)g->beta * c0[i * ldc + j];
                bound += fabs((double)g->beta * c0[i * ldc + j]);
            }
            double got = C[i * ldc + j];
            if (!(fabs(got - want) <= 2.0 * (double)(K + 2) * 0x1p-24 * bound + 1e-30)) {
                print_error("backend %s, ta %d tb %d M %lld N %lld K %lld alpha %g beta %g pad "
                            "%lld: C[%lld,%lld] = %.9g, want %.9g\n",
                            vn__gemm_backend(), g->ta, g->tb, (long long)M, (long long)N,
                            (long long)K, g->alpha, g->beta, (long long)p, (long long)i,
                            (long long)j, got, want);
                fail();
            }
        }
        /* the padding between rows of C is not written */
        for (int64_t j = N; j < ldc && i + 1 < M; j++)
            assert_memory_equal(&C[i * ldc + j], &c0[i * ldc + j], sizeof(float));
    }
    free(Abuf);
    free(Bbuf);
    free(Cbuf);
    free(C0);
}

static void test_sgemm_every_backend_matches_double_reference(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    assert_int_equal(vn_set_num_threads(1), VN_OK);
    /* 1x1x1, primes, K = 1, single rows / columns, the micro-kernels' tile
     * sizes and one past them, a dense layer at batch 1 and 64, K across the
     * native GEMM's K blocks (320) and M across its M blocks (192). */
    static const int64_t shapes[][3] = {
        {1, 1, 1},     {1, 1, 7},     {2, 3, 1},     {13, 17, 1},   {17, 19, 23},  {5, 1, 29},
        {1, 37, 31},   {6, 16, 8},    {8, 32, 16},   {7, 15, 9},    {9, 33, 17},   {12, 48, 5},
        {1, 130, 333}, {64, 10, 128}, {32, 9, 97},   {97, 101, 103}, {193, 67, 41}, {40, 70, 641},
    };
    const float alphas[] = {1.0f, -0.5f};
    const float betas[] = {0.0f, 1.0f, 0.75f};
    int tried = 0;
    for (size_t b = 0; b < sizeof k_backends / sizeof k_backends[0]; b++) {
        if (!vn__gemm_set_backend(k_backends[b]))
            continue;
        tried++;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int t = 0; t < 4; t++) {
                gemm_case g = {t & 1, (t >> 1) & 1, shapes[s][0], shapes[s][1], shapes[s][2],
                               alphas[(s + t) % 2], betas[(s + t) % 3], (int64_t)(s % 3)};
                check_gemm_case(&g);
            }
    }
    assert_true(tried >= 1);
    assert_true(vn__gemm_set_backend(VN__GEMM_DEFAULT));
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

static void test_sgemm_every_backend_handles_huge_k(void **state)
{
    (void)state;
    /* K = 20000: many K blocks, tiny M and N (a weight gradient's shape) */
    for (size_t b = 0; b < sizeof k_backends / sizeof k_backends[0]; b++) {
        if (!vn__gemm_set_backend(k_backends[b]))
            continue;
        gemm_case g1 = {false, true, 3, 5, 20000, 1.0f, 0.0f, 1};
        gemm_case g2 = {true, false, 33, 2, 20001, 2.0f, 1.0f, 0};
        check_gemm_case(&g1);
        check_gemm_case(&g2);
    }
    assert_true(vn__gemm_set_backend(VN__GEMM_DEFAULT));
}

static void test_sgemm_k_zero_or_alpha_zero_scales_c(void **state)
{
    (void)state;
    const float A[4] = {NAN, NAN, NAN, NAN}, B[4] = {1, 2, 3, 4};
    for (size_t b = 0; b < sizeof k_backends / sizeof k_backends[0]; b++) {
        if (!vn__gemm_set_backend(k_backends[b]))
            continue;
        float C[4] = {1, 2, 3, 4};
        vn__sgemm(false, false, 2, 2, 0, 1.0f, A, 1, B, 2, 0.5f, C, 2);   /* K = 0 */
        assert_float_equal(C[0], 0.5f, 0.0);
        assert_float_equal(C[3], 2.0f, 0.0);
        float D[4] = {NAN, NAN, NAN, NAN};
        vn__sgemm(false, false, 2, 2, 0, 1.0f, A, 1, B, 2, 0.0f, D, 2);   /* beta 0: zeros */
        for (int i = 0; i < 4; i++)
            assert_float_equal(D[i], 0.0f, 0.0);
    }
    assert_true(vn__gemm_set_backend(VN__GEMM_DEFAULT));
}

/* Products big enough to be cut over two threads, by rows and by columns,
 * with edges that do not fall on the tiles: every backend gives the same
 * bits on 1 and on 2 threads. */
static void test_sgemm_one_and_two_threads_identical_on_every_backend(void **state)
{
    (void)state;
    int old = vn_get_num_threads();
    static const int64_t shapes[][3] = {{70, 333, 129}, {333, 70, 700}, {129, 131, 1000},
                                        {17, 1000, 300}, {1, 4097, 300}, {500, 1, 300}};
    float *A = malloc(sizeof(float) * 333 * 1000), *B = malloc(sizeof(float) * 4097 * 1000);
    float *C1 = malloc(sizeof(float) * 333 * 4097), *C2 = malloc(sizeof(float) * 333 * 4097);
    assert_non_null(A);
    assert_non_null(B);
    assert_non_null(C1);
    assert_non_null(C2);
    fill_uniform(A, 333 * 1000, 5);
    fill_uniform(B, 4097 * 1000, 6);
    for (size_t b = 0; b < sizeof k_backends / sizeof k_backends[0]; b++) {
        if (!vn__gemm_set_backend(k_backends[b]))
            continue;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int t = 0; t < 4; t++) {
                bool ta = t & 1, tb = (t >> 1) & 1;
                int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                int64_t lda = ta ? M : K, ldb = tb ? K : N;
                fill_uniform(C1, M * N, 8);
                memcpy(C2, C1, sizeof(float) * (size_t)(M * N));
                assert_int_equal(vn_set_num_threads(1), VN_OK);
                vn__sgemm(ta, tb, M, N, K, 1.5f, A, lda, B, ldb, 0.5f, C1, N);
                assert_int_equal(vn_set_num_threads(2), VN_OK);
                vn__sgemm(ta, tb, M, N, K, 1.5f, A, lda, B, ldb, 0.5f, C2, N);
                assert_memory_equal(C1, C2, sizeof(float) * (size_t)(M * N));
            }
    }
    assert_true(vn__gemm_set_backend(VN__GEMM_DEFAULT));
    assert_int_equal(vn_set_num_threads(old), VN_OK);
    free(A);
    free(B);
    free(C1);
    free(C2);
}

static void test_sgemm_default_backend_is_native_on_avx2_cpus(void **state)
{
    (void)state;
    assert_true(vn__gemm_set_backend(VN__GEMM_DEFAULT));
    const char *env = getenv("VN_GEMM");
    if (env && *env && strcmp(env, "native") != 0) {
        /* the variable picked another backend: it must be the one in use */
        assert_true(vn__gemm_get_backend() == VN__GEMM_PORTABLE ||
                    vn__gemm_get_backend() == VN__GEMM_OPENBLAS ||
                    vn__gemm_get_backend() == VN__GEMM_AVX2 ||
                    vn__gemm_get_backend() == VN__GEMM_AVX512);
        return;
    }
    if (vn__gemm_backend_available(VN__GEMM_AVX512)) {
        assert_int_equal(vn__gemm_get_backend(), VN__GEMM_AVX512);
        assert_string_equal(vn__gemm_backend(), "native avx512 8x32");
    } else if (vn__gemm_backend_available(VN__GEMM_AVX2)) {
        assert_int_equal(vn__gemm_get_backend(), VN__GEMM_AVX2);
    } else {
        assert_true(vn__gemm_get_backend() == VN__GEMM_OPENBLAS ||
                    vn__gemm_get_backend() == VN__GEMM_PORTABLE);
    }
    assert_true(vn__gemm_set_backend(VN__GEMM_PORTABLE));
    assert_int_equal(vn__gemm_get_backend(), VN__GEMM_PORTABLE);
    assert_string_equal(vn__gemm_backend(), "portable");
    assert_false(vn__gemm_set_backend(42));
    assert_int_equal(vn__gemm_get_backend(), VN__GEMM_PORTABLE);
    assert_true(vn__gemm_set_backend(VN__GEMM_DEFAULT));
}

/* ---- im2col / col2im ------------------------------------------------------------- */

static void test_im2col_lays_out_receptive_fields(void **state)
{
    (void)state;
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}; /* one 3x3 channel */
    vn__conv_geom g = {.n = 1, .c = 1, .h = 3, .w = 3, .k = 1, .oh = 2, .ow = 2, .kh = 2, .kw = 2,
                       .sh = 1, .sw = 1, .ph = 0, .pw = 0, .dh = 1, .dw = 1, .groups = 1};
    float col[16];
    vn__im2col(&g, x, col, 4, 0, g.oh);
    const float want[16] = {1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9};
    for (int i = 0; i < 16; i++)
        assert_float_equal(col[i], want[i], 0.0);
    /* padding 1, stride 2: taps (0,0) and (1,1) of the 2x2 output */
    g.ph = g.pw = 1;
    g.sh = g.sw = 2;
    vn__im2col(&g, x, col, 4, 0, g.oh);
    const float tap00[4] = {0, 0, 0, 5}, tap11[4] = {1, 3, 7, 9};
    for (int i = 0; i < 4; i++) {
        assert_float_equal(col[i], tap00[i], 0.0);
        assert_float_equal(col[12 + i], tap11[i], 0.0);
    }
}

static void test_im2col_same_size_conv_zeroes_the_padding(void **state)
{
    (void)state;
    /* 3x3 kernel, padding 1, stride 1 on a 3x3 channel: the output is as
     * wide as the input, the case copied a whole band at a time */
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    vn__conv_geom g = {.n = 1, .c = 1, .h = 3, .w = 3, .k = 1, .oh = 3, .ow = 3, .kh = 3, .kw = 3,
                       .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1};
    float col[81];
    vn__im2col(&g, x, col, 9, 0, 3);
    const float tap00[9] = {0, 0, 0, 0, 1, 2, 0, 4, 5};
    const float tap11[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const float tap22[9] = {5, 6, 0, 8, 9, 0, 0, 0, 0};
    for (int i = 0; i < 9; i++) {
        assert_float_equal(col[i], tap00[i], 0.0);
        assert_float_equal(col[4 * 9 + i], tap11[i], 0.0);
        assert_float_equal(col[8 * 9 + i], tap22[i], 0.0);
    }
    /* the band of output rows 1..2 of tap (0,0) */
    float band[54];
    vn__im2col(&g, x, band, 6, 1, 3);
    for (int i = 0; i < 6; i++)
        assert_float_equal(band[i], tap00[3 + i], 0.0);
}

static void test_col2im_is_the_adjoint_of_im2col(void **state)
{
    (void)state;
    vn__conv_geom g = {.n = 1, .c = 2, .h = 7, .w = 6, .k = 1, .kh = 3, .kw = 2, .sh = 2, .sw = 1,
                       .ph = 1, .pw = 2, .dh = 2, .dw = 3, .groups = 1};
    g.oh = vn__conv_out_size(g.h, g.kh, g.sh, g.ph, g.dh);
    g.ow = vn__conv_out_size(g.w, g.kw, g.sw, g.pw, g.dw);
    const int64_t rows = g.c * g.kh * g.kw, P = g.oh * g.ow, X = g.c * g.h * g.w;
    float *x = malloc(sizeof(float) * X), *xb = calloc((size_t)X, sizeof(float));
    /* room for both geometries below (252 and 540 column entries) */
    float *col = malloc(sizeof(float) * 1024), *c = malloc(sizeof(float) * 1024);
    struct vn_rng rng;
    vn__rng_init(&rng, 5, 6);
    for (int64_t i = 0; i < X; i++)
        x[i] = vn_rng_normal(&rng);
    for (int64_t i = 0; i < 1024; i++)
        c[i] = vn_rng_normal(&rng);
    vn__im2col(&g, x, col, P, 0, g.oh);
    vn__col2im(&g, c, P, 0, g.oh, xb);
    double lhs = 0, rhs = 0;
    for (int64_t i = 0; i < rows * P; i++)
        lhs += (double)col[i] * c[i];
    for (int64_t i = 0; i < X; i++)
        rhs += (double)x[i] * xb[i];
    assert_float_equal(lhs, rhs, 1e-4 * (1 + fabs(lhs)));
    /* and for a same-size geometry (the band-at-once path), in two bands */
    vn__conv_geom s = {.n = 1, .c = 2, .h = 6, .w = 5, .k = 1, .oh = 6, .ow = 5, .kh = 3, .kw = 3,
                       .sh = 1, .sw = 1, .ph = 2, .pw = 2, .dh = 2, .dw = 2, .groups = 1};
    const int64_t srows = 18, sP = 30;
    memset(xb, 0, sizeof(float) * 60);
    vn__im2col(&s, x, col, sP, 0, 6);
    lhs = 0;
    for (int64_t i = 0; i < srows * sP; i++)
        lhs += (double)col[i] * c[i];
    float *cband = malloc(sizeof(float) * srows * 15);
    for (int band = 0; band < 2; band++) {
        for (int64_t r = 0; r < srows; r++)
            memcpy(cband + r * 15, c + r * sP + band * 15, 15 * sizeof(float));
        vn__col2im(&s, cband, 15, 3 * band, 3 * band + 3, xb);
    }
    rhs = 0;
    for (int64_t i = 0; i < 60; i++)
        rhs += (double)x[i] * xb[i];
    assert_float_equal(lhs, rhs, 1e-4 * (1 + fabs(lhs)));
    free(cband);
    free(x);
    free(xb);
    free(col);
    free(c);
}

/* ---- max pooling, 2x2 stride 2 fast path ---------------------------------- */

/* The definition, written out: each window's first maximum in row-major
 * order (a NaN wins, as in PyTorch), and its gradient routed there. */
static void max_pool_2x2_reference(int64_t planes, int64_t h, int64_t w, const float *x, float *y,
                                   int32_t *am)
{
    const int64_t oh = h / 2, ow = w / 2;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++) {
                int32_t best = -1;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) {
                        int32_t at = (int32_t)((2 * i + a) * w + 2 * j + b);
                        float v = x[p * h * w + at];
                        if (best < 0 || v > x[p * h * w + best] || v != v)
                            best = at;
                    }
                y[(p * oh + i) * ow + j] = x[p * h * w + best];
                am[(p * oh + i) * ow + j] = best;
            }
}

static float *random_floats(size_t n, unsigned seed);

/* vn__max_pool_relu_backward against relu's and the pool's own backwards
 * run one after the other (x: the relu's input; NaN included). */
static void check_max_pool_relu_backward(const vn__pool_geom *g, const float *x)
{
    const size_t nx = (size_t)(g->n * g->c * g->h * g->w), ny = (size_t)(g->n * g->c * g->oh * g->ow);
    float *r = malloc(nx * sizeof(float)), *y = malloc(ny * sizeof(float));
    float *dy = malloc(ny * sizeof(float)), *dr = malloc(nx * sizeof(float));
    float *want = malloc(nx * sizeof(float)), *got = malloc(nx * sizeof(float));
    int32_t *am = malloc(ny * sizeof(int32_t));
    vn__act_forward(VN__ACT_RELU, 0.0f, x, r, (int64_t)nx);
    vn__max_pool_forward(g, r, y, am);
    for (size_t i = 0; i < ny; i++)
        dy[i] = i % 5 == 2 ? -0.0f : (float)((int)(i * 7919 % 1000) - 500) / 64.0f;
    vn__max_pool_backward(g, dy, am, dr);
    vn__act_backward(VN__ACT_RELU, 0.0f, x, r, dr, want, (int64_t)nx);
    for (size_t i = 0; i < nx; i++)
        got[i] = 99.0f;
    vn__max_pool_relu_backward(g, dy, am, y, got);
    assert_memory_equal(got, want, nx * sizeof(float));
    free(r);
    free(y);
    free(dy);
    free(dr);
    free(want);
    free(got);
    free(am);
}

static void check_max_pool_2x2(void)
{
    static const int64_t sizes[][2] = {{8, 8}, {7, 9}, {28, 28}, {5, 4}, {2, 3}, {3, 35}, {6, 66}};
    srand(7);
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int64_t n = 2, c = 3, h = sizes[si][0], w = sizes[si][1];
        const int64_t oh = h / 2, ow = w / 2, planes = n * c;
        vn__pool_geom g = {.n = n, .c = c, .h = h, .w = w, .oh = oh, .ow = ow, .kh = 2, .kw = 2,
                           .sh = 2, .sw = 2, .dh = 1, .dw = 1};
        float *x = malloc(sizeof(float) * (size_t)(planes * h * w));
        float *y = malloc(sizeof(float) * (size_t)(planes * oh * ow));
        float *yr = malloc(sizeof(float) * (size_t)(planes * oh * ow));
        float *y2 = malloc(sizeof(float) * (size_t)(planes * oh * ow));
        float *dy = malloc(sizeof(float) * (size_t)(planes * oh * ow));
        float *dx = malloc(sizeof(float) * (size_t)(planes * h * w));
        float *dxr = malloc(sizeof(float) * (size_t)(planes * h * w));
        int32_t *am = malloc(sizeof(int32_t) * (size_t)(planes * oh * ow));
        int32_t *amr = malloc(sizeof(int32_t) * (size_t)(planes * oh * ow));
        /* few distinct values: most windows hold ties; a few NaNs, -inf */
        for (int64_t i = 0; i < planes * h * w; i++) {
            int r = rand() % 64;
            x[i] = r == 0 ? NAN : r == 1 ? -INFINITY : (float)(r % 4) - 1.5f;
        }
        for (int64_t i = 0; i < planes * oh * ow; i++)
            dy[i] = i % 7 == 3 ? -0.0f : (float)(rand() % 1000) / 100.0f - 4.0f;
        max_pool_2x2_reference(planes, h, w, x, yr, amr);
        vn__max_pool_forward(&g, x, y, am);
        assert_memory_equal(y, yr, sizeof(float) * (size_t)(planes * oh * ow));
        assert_memory_equal(am, amr, sizeof(int32_t) * (size_t)(planes * oh * ow));
        vn__max_pool_forward(&g, x, y2, NULL); /* inference: no arg-max */
        assert_memory_equal(y2, yr, sizeof(float) * (size_t)(planes * oh * ow));
        for (int64_t i = 0; i < planes * h * w; i++)
            dx[i] = 99.0f; /* every pixel must be written */
        memset(dxr, 0, sizeof(float) * (size_t)(planes * h * w));
        for (int64_t p = 0; p < planes; p++)
            for (int64_t o = 0; o < oh * ow; o++)
                dxr[p * h * w + amr[p * oh * ow + o]] += dy[p * oh * ow + o];
        vn__max_pool_backward(&g, dy, am, dx);
        assert_memory_equal(dx, dxr, sizeof(float) * (size_t)(planes * h * w));
        check_max_pool_relu_backward(&g, x);
        free(x);
        free(y);
        free(yr);
        free(y2);
        free(dy);
        free(dx);
        free(dxr);
        free(am);
        free(amr);
    }
}

/* Both 2x2 stride-2 paths (the CPU's SIMD one where it has AVX-512, and
 * the portable loop) against the definition, on data full of ties, NaN
 * and -inf, with odd sizes and rows longer than one vector; and the fused
 * relu + max-pool backward against the two backwards in turn. */
static void test_max_pool_2x2_fast_path_matches_definition(void **state)
{
    (void)state;
    bool simd = vn__max_pool_use_simd(true);
    check_max_pool_2x2();
    assert_true(vn__max_pool_use_simd(false));
    check_max_pool_2x2();
    vn__max_pool_use_simd(true);
    /* the general path's fused backward: overlapping padded windows */
    float *x = random_floats(2 * 3 * 9 * 11, 3);
    for (int i = 0; i < 2 * 3 * 9 * 11; i += 17)
        x[i] = NAN;
    vn__pool_geom g = {.n = 2, .c = 3, .h = 9, .w = 11, .oh = 5, .ow = 6, .kh = 3, .kw = 3,
                       .sh = 2, .sw = 2, .ph = 1, .pw = 1, .ph_end = 1, .pw_end = 1, .dh = 1,
                       .dw = 1};
    check_max_pool_relu_backward(&g, x);
    free(x);
    if (!simd)
        print_message("note: no AVX-512 on this CPU; only the portable 2x2 path was checked\n");
}

/* ---- conv2d -> relu fusion -------------------------------------------------- */

static float *random_floats(size_t n, unsigned seed)
{
    float *p = malloc(n * sizeof(float));
    srand(seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(rand() % 2001 - 1000) / 500.0f;
    return p;
}

/* One convolution's inputs (random, seeded) and two pairs of output
 * buffers (y and relu(y)) to compare two ways of computing it. */
typedef struct conv_case {
    float *x, *w, *b, *y0, *r0, *y1, *r1;
    size_t nx, nw, ny;
} conv_case;

static void conv_case_init(conv_case *c, const vn__conv_geom *g, unsigned seed)
{
    c->nx = (size_t)(g->n * g->c * g->h * g->w);
    c->ny = (size_t)(g->n * g->k * g->oh * g->ow);
    c->nw = (size_t)(g->k * (g->c / g->groups) * g->kh * g->kw);
    c->x = random_floats(c->nx, seed);
    c->w = random_floats(c->nw, seed + 50);
    c->b = random_floats((size_t)g->k, seed + 90);
    c->y0 = malloc(c->ny * sizeof(float));
    c->r0 = malloc(c->ny * sizeof(float));
    c->y1 = malloc(c->ny * sizeof(float));
    c->r1 = malloc(c->ny * sizeof(float));
    assert_non_null(c->y0);
    assert_non_null(c->r0);
    assert_non_null(c->y1);
    assert_non_null(c->r1);
}

static void conv_case_free(conv_case *c)
{
    free(c->x);
    free(c->w);
    free(c->b);
    free(c->y0);
    free(c->r0);
    free(c->y1);
    free(c->r1);
}

/* A 3x3 "same" stride-1 convolution of one group. */
static vn__conv_geom same3x3(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k)
{
    vn__conv_geom g = {.n = n, .c = c, .h = h, .w = w, .k = k, .oh = h, .ow = w, .kh = 3,
                       .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1,
                       .groups = 1};
    return g;
}

/* A k x k max-pool with stride s and padding p over g's output. */
static vn__pool_geom pool_over(const vn__conv_geom *g, int k, int s, int p)
{
    vn__pool_geom pg = {.n = g->n, .c = g->k, .h = g->oh, .w = g->ow,
                        .oh = (g->oh + 2 * p - k) / s + 1, .ow = (g->ow + 2 * p - k) / s + 1,
                        .kh = k, .kw = k, .sh = s, .sw = s, .ph = p, .pw = p, .dh = 1, .dw = 1,
                        .ph_end = p, .pw_end = p};
    return pg;
}

/* Two pool outputs and arg-maxes of one geometry, to compare two ways of
 * computing them. */
typedef struct pool_pair {
    float *q0, *q1;
    int32_t *a0, *a1;
    size_t n;
} pool_pair;

static void pool_pair_init(pool_pair *p, const vn__pool_geom *g)
{
    p->n = (size_t)(g->n * g->c * g->oh * g->ow);
    p->q0 = malloc(p->n * sizeof(float));
    p->q1 = malloc(p->n * sizeof(float));
    p->a0 = malloc(p->n * sizeof(int32_t));
    p->a1 = malloc(p->n * sizeof(int32_t));
    assert_true(p->q0 && p->q1 && p->a0 && p->a1);
}

static void pool_pair_free(pool_pair *p)
{
    free(p->q0);
    free(p->q1);
    free(p->a0);
    free(p->a1);
}

/* vn__conv2d_forward_relu_pool of case c into q's second pair, with the
 * arg-max and without, gives the bytes of its first pair. */
static void check_forward_relu_pool(const vn__conv_geom *g, const conv_case *c, const float *bias,
                                    const vn__pool_geom *pg, pool_pair *q)
{
    memset(q->q1, 0xff, q->n * sizeof(float));
    memset(q->a1, 0xff, q->n * sizeof(int32_t));
    assert_int_equal(vn__conv2d_forward_relu_pool(g, c->x, c->w, bias, pg, q->q1, q->a1), VN_OK);
    assert_memory_equal(q->q0, q->q1, q->n * sizeof(float));
    assert_memory_equal(q->a0, q->a1, q->n * sizeof(int32_t));
    memset(q->q1, 0xff, q->n * sizeof(float));
    assert_int_equal(vn__conv2d_forward_relu_pool(g, c->x, c->w, bias, pg, q->q1, NULL), VN_OK);
    assert_memory_equal(q->q0, q->q1, q->n * sizeof(float));
}

/* vn__conv2d_forward_relu writes the convolution's output and relu of it,
 * bit for bit what vn__conv2d_forward then vn__act_forward give: batched
 * small images (gathered GEMMs), a sample wide enough for a GEMM of its
 * own, a large image cut in bands, depthwise, and no bias. */
static void test_conv2d_forward_relu_matches_unfused(void **state)
{
    (void)state;
    vn__conv_geom geoms[] = {
        {.n = 5, .c = 3, .h = 9, .w = 7, .k = 6, .oh = 9, .ow = 7, .kh = 3, .kw = 3, .sh = 1,
         .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 3, .c = 1, .h = 28, .w = 28, .k = 8, .oh = 28, .ow = 28, .kh = 3, .kw = 3, .sh = 1,
         .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 2, .c = 16, .h = 120, .w = 120, .k = 4, .oh = 60, .ow = 60, .kh = 3, .kw = 3,
         .sh = 2, .sw = 2, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 2, .c = 4, .h = 8, .w = 8, .k = 4, .oh = 8, .ow = 8, .kh = 3, .kw = 3, .sh = 1,
         .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 4},
    };
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
        const vn__conv_geom *g = &geoms[gi];
        conv_case c;
        conv_case_init(&c, g, 1 + (unsigned)gi);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const float *bias = with_bias ? c.b : NULL;
            assert_int_equal(vn__conv2d_forward(g, c.x, c.w, bias, c.y0), VN_OK);
            vn__act_forward(VN__ACT_RELU, 0.0f, c.y0, c.r0, (int64_t)c.ny);
            assert_int_equal(vn__conv2d_forward_relu(g, c.x, c.w, bias, c.y1, c.r1), VN_OK);
            assert_memory_equal(c.y0, c.y1, c.ny * sizeof(float));
            assert_memory_equal(c.r0, c.r1, c.ny * sizeof(float));
            size_t neg = 0;
            for (size_t i = 0; i < c.ny; i++)
                neg += c.y0[i] < 0.0f;
            assert_true(neg > 0 && neg < c.ny); /* the relu had work to do */
        }
        conv_case_free(&c);
    }
}

/* With fewer samples than threads (batch-1 inference) the forward cuts
 * each sample into tasks: bands of output rows of a large map, ranges of
 * output channels of a small one. The bytes are those of one thread: a
 * banded 3x3 map, a strided 7x7 (resnet's stem), a pointwise conv read in
 * place, a small map split by channels (k not a multiple of the range),
 * grouped convs, and two samples on three and four threads. */
static void test_conv2d_split_forward_matches_one_thread(void **state)
{
    (void)state;
    vn__conv_geom geoms[] = {
        {.n = 1, .c = 16, .h = 40, .w = 40, .k = 24, .oh = 40, .ow = 40, .kh = 3, .kw = 3,
         .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 1, .c = 3, .h = 90, .w = 90, .k = 16, .oh = 45, .ow = 45, .kh = 7, .kw = 7,
         .sh = 2, .sw = 2, .ph = 3, .pw = 3, .dh = 1, .dw = 1, .groups = 1},
        {.n = 1, .c = 32, .h = 32, .w = 32, .k = 20, .oh = 32, .ow = 32, .kh = 1, .kw = 1,
         .sh = 1, .sw = 1, .ph = 0, .pw = 0, .dh = 1, .dw = 1, .groups = 1},
        {.n = 1, .c = 40, .h = 7, .w = 7, .k = 100, .oh = 7, .ow = 7, .kh = 3, .kw = 3,
         .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 1, .c = 8, .h = 36, .w = 30, .k = 12, .oh = 36, .ow = 30, .kh = 3, .kw = 3,
         .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 2},
        {.n = 1, .c = 8, .h = 6, .w = 6, .k = 64, .oh = 6, .ow = 6, .kh = 3, .kw = 3, .sh = 1,
         .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 2},
        {.n = 2, .c = 8, .h = 30, .w = 34, .k = 16, .oh = 15, .ow = 17, .kh = 3, .kw = 3,
         .sh = 2, .sw = 2, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 2, .c = 24, .h = 9, .w = 9, .k = 136, .oh = 9, .ow = 9, .kh = 3, .kw = 3,
         .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
    };
    const int old = vn_get_num_threads(), counts[] = {2, 3, 4};
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
        const vn__conv_geom *g = &geoms[gi];
        conv_case c;
        conv_case_init(&c, g, 7 + (unsigned)gi);
        assert_int_equal(vn_set_num_threads(1), VN_OK);
        assert_int_equal(vn__conv2d_forward_relu(g, c.x, c.w, c.b, c.y0, c.r0), VN_OK);
        for (size_t t = 0; t < sizeof counts / sizeof counts[0]; t++) {
            assert_int_equal(vn_set_num_threads(counts[t]), VN_OK);
            memset(c.y1, 0xff, c.ny * sizeof(float));
            memset(c.r1, 0xff, c.ny * sizeof(float));
            assert_int_equal(vn__conv2d_forward_relu(g, c.x, c.w, c.b, c.y1, c.r1), VN_OK);
            assert_memory_equal(c.y0, c.y1, c.ny * sizeof(float));
            assert_memory_equal(c.r0, c.r1, c.ny * sizeof(float));
            assert_int_equal(vn__conv2d_forward(g, c.x, c.w, NULL, c.y1), VN_OK);
            for (size_t i = 0; i < c.ny; i++) /* no bias: y0 less the bias */
                assert_float_equal(c.y1[i],
                                   c.y0[i] - c.b[(i / (size_t)(g->oh * g->ow)) % (size_t)g->k],
                                   1e-4 * (1.0 + fabs(c.y0[i])));
        }
        conv_case_free(&c);
    }
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

/* im2col written straight into the GEMM's packed panels gives the bytes
 * of im2col then the GEMM's own packing: 3x3 "same" maps of one sample and
 * of several side by side (panels straddling two samples, 14x14 = 196
 * columns a sample), a 1x1 batch, dilation 2, no padding (the output
 * shorter than the input), a 5x5, and a map narrower than a panel; forward
 * with relu, on 1 and 2 threads. */
static void test_conv2d_packed_columns_match_im2col(void **state)
{
    (void)state;
    vn__conv_geom geoms[] = {
        {.n = 1, .c = 5, .h = 20, .w = 20, .k = 24, .oh = 20, .ow = 20, .kh = 3, .kw = 3,
         .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 9, .c = 32, .h = 14, .w = 14, .k = 64, .oh = 14, .ow = 14, .kh = 3, .kw = 3,
         .sh = 1, .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
        {.n = 6, .c = 24, .h = 9, .w = 9, .k = 16, .oh = 9, .ow = 9, .kh = 1, .kw = 1, .sh = 1,
         .sw = 1, .ph = 0, .pw = 0, .dh = 1, .dw = 1, .groups = 1},
        {.n = 3, .c = 4, .h = 17, .w = 15, .k = 12, .oh = 17, .ow = 15, .kh = 3, .kw = 3,
         .sh = 1, .sw = 1, .ph = 2, .pw = 2, .dh = 2, .dw = 2, .groups = 1},
        {.n = 4, .c = 3, .h = 12, .w = 10, .k = 8, .oh = 10, .ow = 10, .kh = 3, .kw = 1, .sh = 1,
         .sw = 1, .ph = 0, .pw = 0, .dh = 1, .dw = 1, .groups = 1},
        {.n = 2, .c = 6, .h = 16, .w = 16, .k = 40, .oh = 16, .ow = 16, .kh = 5, .kw = 5,
         .sh = 1, .sw = 1, .ph = 2, .pw = 2, .dh = 1, .dw = 1, .groups = 1},
        {.n = 5, .c = 2, .h = 4, .w = 4, .k = 9, .oh = 4, .ow = 4, .kh = 3, .kw = 3, .sh = 1,
         .sw = 1, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .groups = 1},
    };
    const int old = vn_get_num_threads();
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
        const vn__conv_geom *g = &geoms[gi];
        conv_case c;
        conv_case_init(&c, g, 3 + (unsigned)gi);
        for (int threads = 1; threads <= 2; threads++) {
            assert_int_equal(vn_set_num_threads(threads), VN_OK);
            assert_true(vn__im2col_packed_enable(false));
            assert_int_equal(vn__conv2d_forward_relu(g, c.x, c.w, c.b, c.y0, c.r0), VN_OK);
            assert_true(vn__im2col_packed_enable(true));
            memset(c.y1, 0xff, c.ny * sizeof(float));
            assert_int_equal(vn__conv2d_forward_relu(g, c.x, c.w, c.b, c.y1, c.r1), VN_OK);
            assert_memory_equal(c.y0, c.y1, c.ny * sizeof(float));
            assert_memory_equal(c.r0, c.r1, c.ny * sizeof(float));
        }
        /* and the values are the convolution's: one output against a
         * written-down sum */
        const int64_t o = g->oh * g->ow - 1, kk = g->k - 1, s = g->n - 1;
        double want = c.b[kk];
        for (int64_t ch = 0; ch < g->c; ch++)
            for (int ki = 0; ki < g->kh; ki++)
                for (int kj = 0; kj < g->kw; kj++) {
                    int64_t ih = (o / g->ow) - g->ph + ki * g->dh;
                    int64_t iw = (o % g->ow) - g->pw + kj * g->dw;
                    if (ih >= 0 && ih < g->h && iw >= 0 && iw < g->w)
                        want += (double)c.w[((kk * g->c + ch) * g->kh + ki) * g->kw + kj] *
                                c.x[((s * g->c + ch) * g->h + ih) * g->w + iw];
                }
        assert_float_equal(c.y1[(size_t)((s * g->k + kk) * g->oh * g->ow + o)], want,
                           1e-4 * (1.0 + fabs(want)));
        conv_case_free(&c);
    }
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

/* In a model, conv2d -> relu runs fused (model_run.c); the relu node's
 * output is relu of the conv node's, in training and inference, and an
 * inference plan whose relu buffer is the convolution's input (conv0 ->
 * conv1 -> relu reuses conv0's buffer; 28x28 images are convolved one
 * sample at a time, so a fused pass would overwrite inputs not yet read)
 * gives the same output as training. */
static void test_model_conv_relu_fusion_keeps_both_outputs(void **state)
{
    (void)state;
    const char *spec = "input shape=2,28,28\n"
                       "conv2d name=c0 out=3 k=3 pad=1\n"
                       "conv2d name=c1 out=5 k=3 pad=1\n"
                       "relu name=r1\n"
                       "max_pool2d name=p1 k=2\n"
                       "flatten name=f\n"
                       "dense name=d out=4\n";
    vn_model *m = NULL;
    assert_int_equal(vn_model_from_spec(spec, &m), VN_OK);
    int64_t shape[4] = {3, 2, 28, 28};
    vn_tensor *x = NULL;
    assert_int_equal(vn_tensor_create(VN_F32, 4, shape, &x), VN_OK);
    float *px = random_floats(3 * 2 * 28 * 28, 7);
    memcpy(vn_tensor_data(x), px, sizeof(float) * 3 * 2 * 28 * 28);
    const vn_tensor *out = NULL, *c = NULL, *r = NULL;
    for (int mode = 0; mode < 2; mode++) {
        vn_mode md = mode ? VN_MODE_INFERENCE : VN_MODE_TRAINING;
        if (md == VN_MODE_INFERENCE) {
            assert_int_equal(vn_model_keep_output(m, "c1", 1), VN_OK);
            assert_int_equal(vn_model_keep_output(m, "r1", 1), VN_OK);
        }
        assert_int_equal(vn_model_forward(m, x, md, &out), VN_OK);
        assert_int_equal(vn_model_output(m, "c1", &c), VN_OK);
        assert_int_equal(vn_model_output(m, "r1", &r), VN_OK);
        const float *pc = vn_tensor_data_const(c), *pr = vn_tensor_data_const(r);
        size_t neg = 0;
        for (size_t i = 0; i < vn_tensor_numel(c); i++) {
            float want = pc[i] > 0.0f ? pc[i] : 0.0f;
            assert_memory_equal(&pr[i], &want, sizeof(float));
            neg += pc[i] < 0.0f;
        }
        assert_true(neg > 0);
    }
    /* the plan without kept outputs: r1 may take c0's buffer (c1's input) */
    float train_out[12];
    assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &out), VN_OK);
    memcpy(train_out, vn_tensor_data_const(out), sizeof train_out);
    assert_int_equal(vn_model_keep_output(m, "c1", 0), VN_OK);
    assert_int_equal(vn_model_keep_output(m, "r1", 0), VN_OK);
    assert_int_equal(vn_model_forward(m, x, VN_MODE_INFERENCE, &out), VN_OK);
    assert_memory_equal(vn_tensor_data_const(out), train_out, sizeof train_out);
    free(px);
    vn_tensor_destroy(x);
    vn_model_destroy(m);
}

/* vn__conv2d_forward_relu_pool gives max_pool(relu(conv)) and the arg-max
 * bit for bit as the three unfused passes do: a 28x28 sample alone per
 * GEMM, 14x14 samples gathered several per GEMM, an odd 9x7 map whose
 * last row and column no 2x2 window covers, and a 3x3 stride-2 padded
 * window (the general pooling path); with and without bias or arg-max, on
 * 1 and 2 threads. */
static void test_conv2d_forward_relu_pool_matches_unfused(void **state)
{
    (void)state;
    struct {
        vn__conv_geom g;
        int k, s, p;
    } cases[] = {
        {same3x3(5, 1, 28, 28, 8), 2, 2, 0},
        {same3x3(9, 32, 14, 14, 64), 2, 2, 0},
        {same3x3(4, 3, 9, 7, 6), 2, 2, 0},
        {same3x3(3, 4, 10, 10, 5), 3, 2, 1},
    };
    const int old = vn_get_num_threads();
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const vn__conv_geom *g = &cases[ci].g;
        vn__pool_geom pg = pool_over(g, cases[ci].k, cases[ci].s, cases[ci].p);
        conv_case c;
        conv_case_init(&c, g, 21 + (unsigned)ci);
        pool_pair q;
        pool_pair_init(&q, &pg);
        for (int threads = 1; threads <= 2; threads++)
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                const float *bias = with_bias ? c.b : NULL;
                assert_int_equal(vn_set_num_threads(threads), VN_OK);
                assert_true(vn__conv2d_relu_pool_fusable(g));
                assert_int_equal(vn__conv2d_forward_relu(g, c.x, c.w, bias, c.y0, c.r0), VN_OK);
                vn__max_pool_forward(&pg, c.r0, q.q0, q.a0);
                check_forward_relu_pool(g, &c, bias, &pg, &q);
                size_t zero = 0;
                for (size_t i = 0; i < q.n; i++)
                    zero += q.q0[i] == 0.0f;
                assert_true(zero < q.n); /* not all windows negative */
            }
        pool_pair_free(&q);
        conv_case_free(&c);
    }
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

/* The fused conv -> relu -> pool forward needs whole output planes in
 * every block: a large map the forward cuts into bands, a depthwise conv,
 * and one sample on two threads (cut into tasks) are refused, with
 * VN_ERR_INVALID_ARG from the forward itself; one sample on one thread is
 * fused. */
static void test_conv2d_relu_pool_fusable_needs_whole_planes(void **state)
{
    (void)state;
    const vn__conv_geom banded = {.n = 2, .c = 16, .h = 120, .w = 120, .k = 4, .oh = 60,
                                  .ow = 60, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .ph = 1,
                                  .pw = 1, .dh = 1, .dw = 1, .groups = 1};
    const vn__conv_geom depthwise = {.n = 4, .c = 4, .h = 8, .w = 8, .k = 4, .oh = 8, .ow = 8,
                                     .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1,
                                     .dh = 1, .dw = 1, .groups = 4};
    const vn__conv_geom one = same3x3(1, 1, 28, 28, 32);
    const int old = vn_get_num_threads();
    assert_int_equal(vn_set_num_threads(2), VN_OK);
    assert_false(vn__conv2d_relu_pool_fusable(&banded));
    assert_false(vn__conv2d_relu_pool_fusable(&depthwise));
    assert_false(vn__conv2d_relu_pool_fusable(&one));
    const vn__pool_geom pg = pool_over(&one, 2, 2, 0);
    float x[28 * 28] = {0}, w[32 * 9] = {0}, q[32 * 14 * 14];
    assert_int_equal(vn__conv2d_forward_relu_pool(&one, x, w, NULL, &pg, q, NULL),
                     VN_ERR_INVALID_ARG);
    assert_int_equal(vn_set_num_threads(1), VN_OK);
    assert_true(vn__conv2d_relu_pool_fusable(&one));
    assert_int_equal(vn__conv2d_forward_relu_pool(&one, x, w, NULL, &pg, q, NULL), VN_OK);
    assert_true(q[0] == 0.0f && q[32 * 14 * 14 - 1] == 0.0f);
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

/* A model of two conv -> relu -> max_pool2d chains and a dense head, a
 * batch of 6 random inputs (seed) and output gradients (seed + 1). */
typedef struct chain_model {
    vn_model *m;
    vn_tensor *x, *dy;
} chain_model;

static void chain_model_init(chain_model *cm, unsigned seed)
{
    const char *spec = "input shape=1,28,28\n"
                       "conv2d name=c1 out=8 k=3 pad=1\nrelu name=r1\nmax_pool2d name=p1 k=2\n"
                       "conv2d name=c2 out=16 k=3 pad=1\nrelu name=r2\nmax_pool2d name=p2 k=2\n"
                       "flatten\ndense name=d out=10\n";
    cm->m = NULL;
    cm->x = cm->dy = NULL;
    assert_int_equal(vn_model_from_spec(spec, &cm->m), VN_OK);
    int64_t xs[4] = {6, 1, 28, 28}, ys[2] = {6, 10};
    assert_int_equal(vn_tensor_create(VN_F32, 4, xs, &cm->x), VN_OK);
    assert_int_equal(vn_tensor_create(VN_F32, 2, ys, &cm->dy), VN_OK);
    float *px = random_floats(6 * 784, seed), *pd = random_floats(60, seed + 1);
    memcpy(vn_tensor_data(cm->x), px, sizeof(float) * 6 * 784);
    memcpy(vn_tensor_data(cm->dy), pd, sizeof(float) * 60);
    free(px);
    free(pd);
}

static void chain_model_free(chain_model *cm)
{
    vn_tensor_destroy(cm->x);
    vn_tensor_destroy(cm->dy);
    vn_model_destroy(cm->m);
}

/* A training step of a model with conv -> relu -> max_pool2d chains, run
 * fused (the convolution and relu outputs never written), gives the bytes
 * of the unfused run (forced by vn_model_keep_output on the convolution
 * and relu nodes): the output, the input gradient and every parameter
 * gradient; and vn_model_output still returns the skipped activations,
 * computed when asked, equal to the unfused run's. */
static void test_model_conv_relu_pool_fusion_matches_unfused_step(void **state)
{
    (void)state;
    chain_model cm;
    chain_model_init(&cm, 31);
    vn_model *m = cm.m;
    const vn_tensor *x = cm.x, *dy = cm.dy;
    const char *kept[] = {"c1", "r1", "c2", "r2"};
    const int np = vn_model_param_count(m);
    float *ref[16] = {0};
    size_t refn[16] = {0};
    assert_true(np + 6 <= 16);
    for (int fused = 0; fused < 2; fused++) {
        for (int k = 0; k < 4; k++)
            assert_int_equal(vn_model_keep_output(m, kept[k], !fused), VN_OK);
        const vn_tensor *out = NULL, *dx = NULL;
        vn_model_zero_grad(m);
        assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &out), VN_OK);
        assert_int_equal(vn_model_backward(m, dy, &dx), VN_OK);
        for (int k = 0; k < 4; k++) /* fused: neither output was written */
            assert_int_equal(m->nodes[vn_model_node_find(m, kept[k])].stale, fused);
        const vn_tensor *got[16];
        int n = 0;
        got[n++] = out;
        got[n++] = dx;
        for (int i = 0; i < np; i++) {
            vn_tensor *value = NULL, *grad = NULL;
            assert_int_equal(vn_model_param(m, i, NULL, &value, &grad, NULL), VN_OK);
            got[n++] = grad;
        }
        for (int k = 0; k < 4; k++) /* asked after the backward */
            assert_int_equal(vn_model_output(m, kept[k], &got[n++]), VN_OK);
        for (int t = 0; t < n; t++) {
            size_t bytes = vn_tensor_numel(got[t]) * sizeof(float);
            if (!fused) {
                ref[t] = malloc(bytes);
                refn[t] = bytes;
                memcpy(ref[t], vn_tensor_data_const(got[t]), bytes);
            } else {
                assert_int_equal(bytes, refn[t]);
                assert_memory_equal(vn_tensor_data_const(got[t]), ref[t], bytes);
            }
        }
    }
    for (int t = 0; t < 16; t++)
        free(ref[t]);
    chain_model_free(&cm);
}

/* The weight and bias gradients of conv -> relu -> 2x2 max-pool taken
 * straight from the pool's gradient and arg-max agree with the dense path
 * (pool-relu backward, weight-gradient GEMM, bias sum) and with sums in
 * double from the definition: a 28x28 single-channel map, three channels
 * on an odd 9x11 map (the last row and column in no window), and a 40-wide
 * map (two blocks of 16 windows, the second partial). They add to what
 * the gradients held, and give the same bytes on 1 and 2 threads and with
 * the portable loop. */
static void test_conv_relu_pool_weight_grad_matches_dense(void **state)
{
    (void)state;
    const vn__conv_geom geoms[] = {same3x3(5, 1, 28, 28, 32), same3x3(3, 3, 9, 11, 7),
                                   same3x3(2, 2, 6, 40, 5)};
    const int old = vn_get_num_threads();
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
        const vn__conv_geom *g = &geoms[gi];
        const vn__pool_geom pg = pool_over(g, 2, 2, 0);
        const size_t nq = (size_t)(pg.n * pg.c * pg.oh * pg.ow), nw = (size_t)(g->k * g->c * 9);
        conv_case c;
        conv_case_init(&c, g, 41 + (unsigned)gi);
        float *q = malloc(nq * sizeof(float)), *dq = random_floats(nq, 61 + (unsigned)gi);
        int32_t *am = malloc(nq * sizeof(int32_t));
        float *dw0 = calloc(nw, sizeof(float)), *db0 = calloc((size_t)g->k, sizeof(float));
        float *dw1 = malloc(nw * sizeof(float)), *db1 = malloc((size_t)g->k * sizeof(float));
        float *dw2 = malloc(nw * sizeof(float)), *db2 = malloc((size_t)g->k * sizeof(float));
        assert_true(q && dq && am && dw0 && db0 && dw1 && db1 && dw2 && db2);
        assert_true(vn__conv_relu_pool_grad_fusable(g, &pg));
        assert_int_equal(vn__conv2d_forward_relu_pool(g, c.x, c.w, c.b, &pg, q, am), VN_OK);
        /* dense: c.y1 is the convolution's output gradient */
        vn__max_pool_relu_backward(&pg, dq, am, q, c.y1);
        assert_int_equal(vn__conv2d_backward_weight(g, c.x, c.y1, dw0), VN_OK);
        vn__sum_outer_inner(c.y1, g->n, g->k, g->oh * g->ow, db0);
        for (int variant = 0; variant < 3; variant++) {
            float *dw = variant ? dw2 : dw1, *db = variant ? db2 : db1;
            for (size_t i = 0; i < nw; i++)
                dw[i] = 1.0f;
            for (int64_t k = 0; k < g->k; k++)
                db[k] = 1.0f;
            assert_int_equal(vn_set_num_threads(variant == 1 ? 2 : 1), VN_OK);
            if (variant == 2)
                assert_true(vn__conv_relu_pool_grad_use_simd(false));
            assert_int_equal(vn__conv2d_relu_pool_backward_weight(g, &pg, c.x, dq, am, q, dw, db),
                             VN_OK);
            vn__conv_relu_pool_grad_use_simd(true);
            if (variant > 0) { /* the same bytes as one thread, vectorised */
                assert_memory_equal(dw1, dw2, nw * sizeof(float));
                assert_memory_equal(db1, db2, (size_t)g->k * sizeof(float));
            }
        }
        /* against the definition in double, and the dense path */
        for (int64_t k = 0; k < g->k; k++) {
            double bias = 0.0, babs = 0.0;
            for (int64_t n = 0; n < g->n; n++)
                for (int64_t p = 0; p < g->oh * g->ow; p++) {
                    double d = c.y1[(n * g->k + k) * g->oh * g->ow + p];
                    bias += d;
                    babs += fabs(d);
                }
            assert_float_equal(db1[k] - 1.0f, bias, 1e-6 * babs + 1e-6);
            assert_float_equal(db1[k] - 1.0f, db0[k], 1e-6 * babs + 1e-6);
            for (int64_t ch = 0; ch < g->c; ch++)
                for (int t = 0; t < 9; t++) {
                    double sum = 0.0, sabs = 0.0;
                    for (int64_t n = 0; n < g->n; n++)
                        for (int64_t oy = 0; oy < g->oh; oy++)
                            for (int64_t ox = 0; ox < g->ow; ox++) {
                                int64_t iy = oy - 1 + t / 3, ix = ox - 1 + t % 3;
                                if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w)
                                    continue;
                                double term =
                                    (double)c.y1[((n * g->k + k) * g->oh + oy) * g->ow + ox] *
                                    c.x[((n * g->c + ch) * g->h + iy) * g->w + ix];
                                sum += term;
                                sabs += fabs(term);
                            }
                    const size_t e = (size_t)((k * g->c + ch) * 9 + t);
                    assert_true(sabs > 0.0);
                    assert_float_equal(dw1[e] - 1.0f, sum, 1e-6 * sabs + 1e-6);
                    assert_float_equal(dw1[e] - 1.0f, dw0[e], 1e-6 * sabs + 1e-6);
                }
        }
        free(q);
        free(dq);
        free(am);
        free(dw0);
        free(db0);
        free(dw1);
        free(db1);
        free(dw2);
        free(db2);
        conv_case_free(&c);
    }
    assert_int_equal(vn_set_num_threads(old), VN_OK);
}

/* Only the geometry the direct weight gradient handles is accepted: a
 * strided or 5x5 convolution, more than 4 input channels, grouped, or a
 * 3x3 / padded / ceil-mode pool are refused, and the kernel itself
 * returns VN_ERR_INVALID_ARG for them. */
static void test_conv_relu_pool_weight_grad_refuses_other_geometry(void **state)
{
    (void)state;
    const vn__conv_geom ok = same3x3(2, 1, 8, 8, 4);
    const vn__pool_geom pok = pool_over(&ok, 2, 2, 0);
    assert_true(vn__conv_relu_pool_grad_fusable(&ok, &pok));
    vn__conv_geom g = ok;
    g.sh = g.sw = 2;
    g.oh = g.ow = 4;
    assert_false(vn__conv_relu_pool_grad_fusable(&g, &pok));
    g = ok;
    g.kh = g.kw = 5;
    g.ph = g.pw = 2;
    assert_false(vn__conv_relu_pool_grad_fusable(&g, &pok));
    g = ok;
    g.c = 5;
    assert_false(vn__conv_relu_pool_grad_fusable(&g, &pok));
    g = ok;
    g.c = 2;
    g.groups = 2;
    assert_false(vn__conv_relu_pool_grad_fusable(&g, &pok));
    vn__pool_geom p = pok;
    p.kh = p.kw = 3;
    p.oh = p.ow = 3;
    assert_false(vn__conv_relu_pool_grad_fusable(&ok, &p));
    p = pok;
    p.ph = p.pw = p.ph_end = p.pw_end = 1;
    p.oh = p.ow = 5;
    assert_false(vn__conv_relu_pool_grad_fusable(&ok, &p));
    vn__conv_geom odd = ok;
    odd.h = odd.w = odd.oh = odd.ow = 7;
    p = pok;
    p.h = p.w = 7;
    p.oh = p.ow = 3;
    assert_true(vn__conv_relu_pool_grad_fusable(&odd, &p)); /* floor: 3x3 windows */
    p.oh = p.ow = 4;                                         /* ceil_mode */
    assert_false(vn__conv_relu_pool_grad_fusable(&odd, &p));
    float x[2 * 49] = {0}, dq[2 * 4 * 16] = {0}, q[2 * 4 * 16] = {0}, dw[36] = {0};
    int32_t am[2 * 4 * 16] = {0};
    assert_int_equal(vn__conv2d_relu_pool_backward_weight(&odd, &p, x, dq, am, q, dw, NULL),
                     VN_ERR_INVALID_ARG);
}

/* In a model whose first layers are conv -> relu -> max_pool2d, a backward
 * that does not ask for the input gradient takes the first convolution's
 * weight and bias gradients straight from the pool's (no relu or
 * convolution output gradient formed): they match the unfused run's
 * (vn_model_keep_output on the chain) to rounding, and every other
 * gradient is the same bytes. */
static void test_model_first_conv_weight_grad_skips_output_grad(void **state)
{
    (void)state;
    if (!vn__conv_relu_pool_grad_vectorised())
        skip(); /* the graph uses the dense path without AVX-512 */
    chain_model cm;
    chain_model_init(&cm, 33);
    vn_model *m = cm.m;
    const vn_tensor *x = cm.x, *dy = cm.dy;
    const int np = vn_model_param_count(m);
    float *ref[16] = {0};
    assert_true(np <= 16);
    for (int fused = 0; fused < 2; fused++) {
        assert_int_equal(vn_model_keep_output(m, "c1", !fused), VN_OK);
        assert_int_equal(vn_model_keep_output(m, "r1", !fused), VN_OK);
        const vn_tensor *out = NULL;
        vn_model_zero_grad(m);
        assert_int_equal(vn_model_forward(m, x, VN_MODE_TRAINING, &out), VN_OK);
        assert_int_equal(vn_model_backward(m, dy, NULL), VN_OK);
        /* fused: the convolution's output gradient was never formed */
        assert_int_equal(m->nodes[vn_model_node_find(m, "c1")].grad_set, !fused);
        for (int i = 0; i < np; i++) {
            const char *name = NULL;
            vn_tensor *value = NULL, *grad = NULL;
            assert_int_equal(vn_model_param(m, i, &name, &value, &grad, NULL), VN_OK);
            const size_t n = vn_tensor_numel(grad);
            const float *gv = vn_tensor_data_const(grad);
            if (!fused) {
                ref[i] = malloc(n * sizeof(float));
                memcpy(ref[i], gv, n * sizeof(float));
            } else if (strncmp(name, "c1.", 3) == 0) {
                double scale = 0.0;
                for (size_t e = 0; e < n; e++)
                    scale = fmax(scale, fabs(ref[i][e]));
                for (size_t e = 0; e < n; e++)
                    assert_float_equal(gv[e], ref[i][e], 1e-5 * scale);
            } else {
                assert_memory_equal(gv, ref[i], n * sizeof(float));
            }
        }
    }
    for (int i = 0; i < 16; i++)
        free(ref[i]);
    chain_model_free(&cm);
}

/* The weight gradient from tap-major columns packed straight into the
 * GEMM's panels (im2row_packed.c) gives the bytes of im2col then the
 * GEMM's own packing, added into what dw held: 14x14 maps several samples
 * a block, 28x28 one sample a block, 7x7 with 64 channels, an odd 9x11
 * map; on 1 and 2 threads. One element is checked against a sum in double
 * from the definition. Other geometries are refused. */
static void test_conv2d_weight_grad_packed_rows_match_im2col(void **state)
{
    (void)state;
    vn__conv_geom geoms[] = {same3x3(9, 32, 14, 14, 64), same3x3(3, 32, 28, 28, 8),
                             same3x3(5, 64, 7, 7, 16), same3x3(4, 32, 9, 11, 12)};
    const int old = vn_get_num_threads();
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
        const vn__conv_geom *g = &geoms[gi];
        if (!__builtin_cpu_supports("avx512f"))
            skip(); /* the packed layout is the AVX-512 kernel's */
        assert_true(vn__im2row_packable(g));
        conv_case c;
        conv_case_init(&c, g, 71 + (unsigned)gi);
        float *dy = random_floats(c.ny, 81 + (unsigned)gi);
        float *dw0 = malloc(c.nw * sizeof(float)), *dw1 = malloc(c.nw * sizeof(float));
        assert_true(dy && dw0 && dw1);
        for (int threads = 1; threads <= 2; threads++) {
            assert_int_equal(vn_set_num_threads(threads), VN_OK);
            memcpy(dw0, c.w, c.nw * sizeof(float));
            memcpy(dw1, c.w, c.nw * sizeof(float));
            assert_true(vn__im2row_packed_enable(false));
            assert_int_equal(vn__conv2d_backward_weight(g, c.x, dy, dw0), VN_OK);
            assert_true(vn__im2row_packed_enable(true));
            assert_int_equal(vn__conv2d_backward_weight(g, c.x, dy, dw1), VN_OK);
            assert_memory_equal(dw0, dw1, c.nw * sizeof(float));
        }
        const int64_t kk = g->k - 1, ch = g->c / 2, ki = 0, kj = 2;
        double want = 0.0, mag = 0.0;
        for (int64_t n = 0; n < g->n; n++)
            for (int64_t oy = 0; oy < g->oh; oy++)
                for (int64_t ox = 0; ox < g->ow; ox++) {
                    const int64_t iy = oy - 1 + ki, ix = ox - 1 + kj;
                    if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w)
                        continue;
                    const double t = (double)dy[((n * g->k + kk) * g->oh + oy) * g->ow + ox] *
                                     c.x[((n * g->c + ch) * g->h + iy) * g->w + ix];
                    want += t;
                    mag += fabs(t);
                }
        const size_t e = (size_t)(((kk * g->c + ch) * 3 + ki) * 3 + kj);
        assert_float_equal(dw1[e] - c.w[e], want, 1e-5 * mag + 1e-5);
        free(dy);
        free(dw0);
        free(dw1);
        conv_case_free(&c);
    }
    assert_int_equal(vn_set_num_threads(old), VN_OK);
    vn__conv_geom g = geoms[0];
    g.c = 16;
    assert_false(vn__im2row_packable(&g));
    g = geoms[0];
    g.sh = g.sw = 2;
    g.oh = g.ow = 7;
    assert_false(vn__im2row_packable(&g));
    g = geoms[0];
    g.kh = g.kw = 5;
    g.ph = g.pw = 2;
    assert_false(vn__im2row_packable(&g));
    g = geoms[0];
    g.groups = 2;
    assert_false(vn__im2row_packable(&g));
}

/* The one-channel conv -> relu -> 2x2 pool in registers
 * (conv_pool_direct.c) gives the bytes of the GEMM-based fused path: a
 * 28x28 map, an odd 9x13 map (last row and column in no window), a 70-wide
 * map (pool rows of three 16-wide blocks); with and without bias or
 * arg-max, on 1 and 2 threads. Other geometries are not taken. */
static void test_conv_pool_direct_matches_gemm_path(void **state)
{
    (void)state;
    if (!__builtin_cpu_supports("avx512f"))
        skip(); /* the direct path is AVX-512 only */
    const vn__conv_geom geoms[] = {same3x3(4, 1, 28, 28, 32), same3x3(3, 1, 9, 13, 5),
                                   same3x3(2, 1, 10, 70, 4)};
    const int old = vn_get_num_threads();
    for (size_t gi = 0; gi < sizeof geoms / sizeof geoms[0]; gi++) {
        const vn__conv_geom *g = &geoms[gi];
        const vn__pool_geom pg = pool_over(g, 2, 2, 0);
        conv_case c;
        conv_case_init(&c, g, 91 + (unsigned)gi);
        pool_pair q;
        pool_pair_init(&q, &pg);
        assert_true(vn__conv_pool_direct_ok(g, &pg));
        for (int threads = 1; threads <= 2; threads++)
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                const float *bias = with_bias ? c.b : NULL;
                assert_int_equal(vn_set_num_threads(threads), VN_OK);
                assert_true(vn__conv_pool_direct_enable(false));
                assert_false(vn__conv_pool_direct_ok(g, &pg));
                assert_int_equal(
                    vn__conv2d_forward_relu_pool(g, c.x, c.w, bias, &pg, q.q0, q.a0), VN_OK);
                assert_true(vn__conv_pool_direct_enable(true));
                check_forward_relu_pool(g, &c, bias, &pg, &q);
            }
        pool_pair_free(&q);
        conv_case_free(&c);
    }
    assert_int_equal(vn_set_num_threads(old), VN_OK);
    vn__conv_geom g = geoms[0];
    vn__pool_geom pg = pool_over(&geoms[0], 2, 2, 0);
    g.c = 2;
    assert_false(vn__conv_pool_direct_ok(&g, &pg));
    g = geoms[0];
    g.kh = g.kw = 5;
    g.ph = g.pw = 2;
    assert_false(vn__conv_pool_direct_ok(&g, &pg));
    pg.kh = pg.kw = 3;
    assert_false(vn__conv_pool_direct_ok(&geoms[0], &pg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_for_covers_every_index_once),
        cmocka_unit_test(test_small_work_runs_on_the_calling_thread),
        cmocka_unit_test(test_nested_parallel_calls_run_inline),
        cmocka_unit_test(test_idle_pool_threads_sleep),
        cmocka_unit_test(test_scratch_is_reused_between_calls),
        cmocka_unit_test(test_sgemm_matches_written_products_in_every_layout),
        cmocka_unit_test(test_sgemm_split_over_threads_matches_double_loop),
        cmocka_unit_test(test_sgemm_every_backend_matches_double_reference),
        cmocka_unit_test(test_sgemm_every_backend_handles_huge_k),
        cmocka_unit_test(test_sgemm_k_zero_or_alpha_zero_scales_c),
        cmocka_unit_test(test_sgemm_one_and_two_threads_identical_on_every_backend),
        cmocka_unit_test(test_sgemm_default_backend_is_native_on_avx2_cpus),
        cmocka_unit_test(test_im2col_lays_out_receptive_fields),
        cmocka_unit_test(test_im2col_same_size_conv_zeroes_the_padding),
        cmocka_unit_test(test_col2im_is_the_adjoint_of_im2col),
        cmocka_unit_test(test_max_pool_2x2_fast_path_matches_definition),
        cmocka_unit_test(test_conv2d_forward_relu_matches_unfused),
        cmocka_unit_test(test_conv2d_split_forward_matches_one_thread),
        cmocka_unit_test(test_conv2d_packed_columns_match_im2col),
        cmocka_unit_test(test_conv2d_weight_grad_packed_rows_match_im2col),
        cmocka_unit_test(test_model_conv_relu_fusion_keeps_both_outputs),
        cmocka_unit_test(test_conv2d_forward_relu_pool_matches_unfused),
        cmocka_unit_test(test_conv2d_relu_pool_fusable_needs_whole_planes),
        cmocka_unit_test(test_conv_pool_direct_matches_gemm_path),
        cmocka_unit_test(test_model_conv_relu_pool_fusion_matches_unfused_step),
        cmocka_unit_test(test_conv_relu_pool_weight_grad_matches_dense),
        cmocka_unit_test(test_conv_relu_pool_weight_grad_refuses_other_geometry),
        cmocka_unit_test(test_model_first_conv_weight_grad_skips_output_grad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
