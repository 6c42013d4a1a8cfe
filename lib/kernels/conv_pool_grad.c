/*
 * conv_pool_grad.c - the weight and bias gradients of a convolution seen
 * through a relu and a 2x2 max-pool, without its output gradient.
 *
 * For conv (3x3, stride 1, padding 1, one group) -> relu -> max_pool (2x2,
 * stride 2), the convolution's output gradient is zero everywhere except
 * at each window's arg-max, where it is the pool's output gradient if the
 * pool's output is positive. When nothing upstream needs the input
 * gradient (a network's first layer), forming that map (6.4 MB a batch of
 * 64 in the reference CNN, three quarters zeros at least), running the
 * dense weight-gradient GEMM over it and summing it for the bias costs
 * three passes over memory for a few percent of useful products. Here
 * each window's one gradient is multiplied straight into the 3x3 input
 * patch around its arg-max.
 *
 * Vectorised over 16 neighbouring windows of a pooled row. A tap (ti, tj)
 * of the patch around arg-max (di, dj) of window (i, j) reads input
 * x[2i-1+di+ti][2j-1+dj+tj] (zero outside the image): one of 16 shifted
 * rows V[r][a] = x[2i-1+r][2j-1+a], r, a in 0..3, built once per pooled
 * row and input channel; each output channel picks its lanes' values with
 * selects on (di, dj). Inactive lanes (past the row's end) have zero
 * gradient and zero inputs.
 *
 * Sums: per (k, c, tap) 16 lane partial sums in float over the whole
 * batch, then the lanes added in order in double; each output channel is
 * summed by one task whatever the thread count, so the results do not
 * depend on it. They differ from the dense path's (GEMM and
 * vn__sum_outer_inner) in rounding only: the same products, in another
 * order. The arg-max must be the forward's (inside its window).
 */
#include "kernels/kernels.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#  define CPG_AVX512 1
#  include <immintrin.h>
#else
#  define CPG_AVX512 0
#endif

#define LANES 16
/* Input channels handled: the lane sums of a task's output channels stay
 * in L1/L2 (k * c * 10 * 64 bytes). */
#define MAX_CHANNELS 4

bool vn__conv_relu_pool_grad_fusable(const vn__conv_geom *g, const vn__pool_geom *p)
{
    return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->ph == 1 && g->pw == 1 &&
           g->dh == 1 && g->dw == 1 && g->groups == 1 && g->oh == g->h && g->ow == g->w &&
           g->c >= 1 && g->c <= MAX_CHANNELS && g->n >= 1 && g->k >= 1 && p->kh == 2 &&
           p->kw == 2 && p->sh == 2 && p->sw == 2 && p->ph == 0 && p->pw == 0 &&
           p->ph_end == 0 && p->pw_end == 0 && p->dh == 1 && p->dw == 1 && p->n == g->n &&
           p->c == g->k && p->h == g->oh && p->w == g->ow && p->oh == g->oh / 2 &&
           p->ow == g->ow / 2 && p->oh >= 1 && p->ow >= 1;
}

typedef struct cpg_job {
    const vn__conv_geom *g;
    const vn__pool_geom *p;
    const float *x, *dq, *q;
    const int32_t *am;
    float *dw, *db;
    int failed;
} cpg_job;

/* Rows 2i-1 .. 2i+2 of sample n's channels with a zero on each side and
 * zeros past the end: P[(c*4 + r) * stride + 1 + col] = x[c][2i-1+r][col],
 * rows outside the image all zeros. stride = row_stride(W). */
static int64_t row_stride(int64_t W)
{
    return (W + 2 + 2 * LANES + 15) / 16 * 16;
}

static void padded_rows(const cpg_job *j, int64_t n, int64_t i, float *P)
{
    const vn__conv_geom *g = j->g;
    const int64_t H = g->h, W = g->w, stride = row_stride(W);
    memset(P, 0, (size_t)(g->c * 4 * stride) * sizeof(float));
    for (int64_t c = 0; c < g->c; c++)
        for (int r = 0; r < 4; r++) {
            const int64_t row = 2 * i - 1 + r;
            if (row >= 0 && row < H)
                memcpy(P + (c * 4 + r) * stride + 1, j->x + ((n * g->c + c) * H + row) * W,
                       (size_t)W * sizeof(float));
        }
}

/* V[c][r][a][lane] = x[c][2i-1+r][2(j0+lane)-1+a] for the live lanes (the
 * windows j0 .. j0+live-1 of the row), 0 in the others. */
static void shifted_rows(const cpg_job *j, const float *P, int64_t j0, int64_t live, float *V)
{
    const int64_t stride = row_stride(j->g->w);
    for (int64_t cr = 0; cr < j->g->c * 4; cr++)
        for (int a = 0; a < 4; a++) {
            const float *src = P + cr * stride + 2 * j0 + a;
            float *v = V + (cr * 4 + a) * LANES;
            for (int l = 0; l < LANES; l++)
                v[l] = l < live ? src[2 * l] : 0.0f;
        }
}

/* The lane sums of output channels [k0, k1), per channel C*9 tap sums then
 * the bias sum, LANES floats each, in acc: one call of a block function
 * per block of 16 windows (j0 ..) of pool row i of sample n, the input
 * rows it reads padded in P. */
typedef void (*window_block_fn)(cpg_job *j, const float *P, int64_t n, int64_t i, int64_t j0,
                                int64_t k0, int64_t k1, float *acc, float *V);

static void lane_sums(cpg_job *j, int64_t k0, int64_t k1, float *acc, float *V,
                      window_block_fn block)
{
    float *P = V + j->g->c * 16 * LANES;
    for (int64_t n = 0; n < j->g->n; n++)
        for (int64_t i = 0; i < j->p->oh; i++) {
            padded_rows(j, n, i, P);
            for (int64_t j0 = 0; j0 < j->p->ow; j0 += LANES)
                block(j, P, n, i, j0, k0, k1, acc, V);
        }
}

/* The portable block: a multiply then an add (ISO C does not contract
 * them), as the AVX-512 block does, so the two agree bit for bit. */
static void block_portable(cpg_job *j, const float *P, int64_t n, int64_t i, int64_t j0,
                           int64_t k0, int64_t k1, float *acc, float *V)
{
    const vn__conv_geom *g = j->g;
    const int64_t C = g->c, K = g->k, W = g->w, PH = j->p->oh, PW = j->p->ow;
    const int64_t per_k = (C * 9 + 1) * LANES, live = VN_MIN((int64_t)LANES, PW - j0);
    shifted_rows(j, P, j0, live, V);
    for (int64_t k = k0; k < k1; k++) {
        const int64_t at = ((n * K + k) * PH + i) * PW + j0;
        float gl[LANES];
        bool di[LANES], dj[LANES];
        for (int l = 0; l < LANES; l++) {
            const bool on = l < live;
            const int64_t d = on ? j->am[at + l] - (2 * i * W + 2 * (j0 + l)) : 0;
            gl[l] = on && j->q[at + l] > 0.0f ? j->dq[at + l] : 0.0f;
            di[l] = d >= W;
            dj[l] = d == 1 || d == W + 1;
        }
        float *ak = acc + (k - k0) * per_k;
        for (int64_t c = 0; c < C; c++)
            for (int t = 0; t < 9; t++) {
                const float *v00 = V + ((c * 4 + t / 3) * 4 + t % 3) * LANES;
                const float *v01 = v00 + LANES, *v10 = v00 + 4 * LANES;
                const float *v11 = v10 + LANES;
                float *s = ak + (c * 9 + t) * LANES;
                for (int l = 0; l < LANES; l++) {
                    const float lo = dj[l] ? v01[l] : v00[l];
                    const float hi = dj[l] ? v11[l] : v10[l];
                    const float prod = gl[l] * (di[l] ? hi : lo);
                    s[l] = s[l] + prod;
                }
            }
        float *sb = ak + C * 9 * LANES;
        for (int l = 0; l < LANES; l++)
            sb[l] = sb[l] + gl[l];
    }
}

#if CPG_AVX512
/* The block with AVX-512F: a window's 16 lanes in one register, the
 * selects as masked moves; C a constant where the caller can make it one. */
__attribute__((target("avx512f"), always_inline)) static inline void
block_avx512_c(cpg_job *j, const float *P, int64_t n, int64_t i, int64_t j0, int64_t k0,
               int64_t k1, float *acc, float *V, const int64_t C)
{
    const vn__conv_geom *g = j->g;
    const int64_t K = g->k, W = g->w, PH = j->p->oh, PW = j->p->ow;
    const int64_t per_k = (C * 9 + 1) * LANES, stride = row_stride(W);
    const int64_t live = VN_MIN((int64_t)LANES, PW - j0);
    const __mmask16 mo = (__mmask16)((1u << live) - 1u);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                           30);
    const __m512i one = _mm512_set1_epi32(1), wv = _mm512_set1_epi32((int32_t)W);
    const __m512i wv1 = _mm512_set1_epi32((int32_t)W + 1);
    const __m512 zero = _mm512_setzero_ps();
    /* shifted_rows: the even lanes of 32 floats from 2*j0 + a */
    for (int64_t cr = 0; cr < C * 4; cr++)
        for (int a = 0; a < 4; a++) {
            const float *src = P + cr * stride + 2 * j0 + a;
            _mm512_storeu_ps(V + (cr * 4 + a) * LANES,
                             _mm512_maskz_permutex2var_ps(mo, _mm512_loadu_ps(src), even,
                                                          _mm512_loadu_ps(src + LANES)));
        }
    const __m512i base = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(2 * i * W + 2 * j0)), even);
    for (int64_t k = k0; k < k1; k++) {
        const int64_t at = ((n * K + k) * PH + i) * PW + j0;
        const __m512 qv = _mm512_maskz_loadu_ps(mo, j->q + at);
        const __mmask16 pos = _mm512_mask_cmp_ps_mask(mo, qv, zero, _CMP_GT_OQ);
        const __m512 gv = _mm512_maskz_loadu_ps(pos, j->dq + at);
        const __m512i d = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(mo, j->am + at), base);
        const __mmask16 mi = _mm512_mask_cmpge_epi32_mask(mo, d, wv);
        const __mmask16 mj = _mm512_mask_cmpeq_epi32_mask(mo, d, one) |
                             _mm512_mask_cmpeq_epi32_mask(mo, d, wv1);
        float *ak = acc + (k - k0) * per_k;
        for (int64_t c = 0; c < C; c++)
            for (int t = 0; t < 9; t++) {
                const float *v00 = V + ((c * 4 + t / 3) * 4 + t % 3) * LANES;
                const __m512 lo = _mm512_mask_mov_ps(_mm512_loadu_ps(v00), mj,
                                                     _mm512_loadu_ps(v00 + LANES));
                const __m512 hi = _mm512_mask_mov_ps(_mm512_loadu_ps(v00 + 4 * LANES), mj,
                                                     _mm512_loadu_ps(v00 + 5 * LANES));
                const __m512 v = _mm512_mask_mov_ps(lo, mi, hi);
                float *s = ak + (c * 9 + t) * LANES;
                _mm512_storeu_ps(s, _mm512_add_ps(_mm512_loadu_ps(s), _mm512_mul_ps(gv, v)));
            }
        float *sb = ak + C * 9 * LANES;
        _mm512_storeu_ps(sb, _mm512_add_ps(_mm512_loadu_ps(sb), gv));
    }
}

/* One input channel (a grayscale network's first layer) compiled apart:
 * the 16 shifted rows then stay in registers across the output channels. */
__attribute__((target("avx512f"))) static void block_avx512_one(cpg_job *j, const float *P,
                                                                 int64_t n, int64_t i,
                                                                 int64_t j0, int64_t k0,
                                                                 int64_t k1, float *acc,
                                                                 float *V)
{
    block_avx512_c(j, P, n, i, j0, k0, k1, acc, V, 1);
}

__attribute__((target("avx512f"))) static void block_avx512(cpg_job *j, const float *P,
                                                             int64_t n, int64_t i, int64_t j0,
                                                             int64_t k0, int64_t k1, float *acc,
                                                             float *V)
{
    block_avx512_c(j, P, n, i, j0, k0, k1, acc, V, j->g->c);
}
#endif

static vn__simd_switch simd;

bool vn__conv_relu_pool_grad_use_simd(bool on)
{
    return vn__simd_set(&simd, on);
}

bool vn__conv_relu_pool_grad_vectorised(void)
{
    return CPG_AVX512 && vn__simd_on(&simd);
}

/* Output channels [k0, k1): lane sums over the batch, then into dw / db. */
static void grad_channels(void *arg, int64_t k0, int64_t k1)
{
    cpg_job *j = arg;
    const int64_t C = j->g->c, nk = k1 - k0, per_k = (C * 9 + 1) * LANES;
    float *acc = vn__scratch(VN__SCRATCH_PARTIAL,
                             (size_t)(nk * per_k + C * 16 * LANES + C * 4 * row_stride(j->g->w)));
    if (!acc) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    float *V = acc + nk * per_k;
    memset(acc, 0, (size_t)(nk * per_k) * sizeof(float));
    window_block_fn block = block_portable;
#if CPG_AVX512
    if (vn__simd_on(&simd))
        block = j->g->c == 1 ? block_avx512_one : block_avx512;
#endif
    lane_sums(j, k0, k1, acc, V, block);
    for (int64_t k = k0; k < k1; k++) {
        const float *ak = acc + (k - k0) * per_k;
        for (int64_t e = 0; e <= C * 9; e++) {
            if (e == C * 9 && !j->db)
                break;
            double sum = 0.0;
            for (int l = 0; l < LANES; l++)
                sum += (double)ak[e * LANES + l];
            if (e < C * 9)
                j->dw[k * C * 9 + e] += (float)sum;
            else
                j->db[k] += (float)sum;
        }
    }
}

vn_status vn__conv2d_relu_pool_backward_weight(const vn__conv_geom *g, const vn__pool_geom *p,
                                               const float *x, const float *dq,
                                               const int32_t *argmax, const float *q, float *dw,
                                               float *db)
{
    if (!vn__conv_relu_pool_grad_fusable(g, p))
        return vn__error(VN_ERR_INVALID_ARG,
                         "conv2d: no fused weight gradient through relu and max-pool for this "
                         "geometry");
    cpg_job j = {.g = g, .p = p, .x = x, .dq = dq, .q = q, .am = argmax, .dw = dw, .db = db};
    const double work = (double)g->n * (double)(p->oh * p->ow) * (double)(g->c * 9 + 1);
    vn__parallel_for(g->k, work, grad_channels, &j);
    if (__atomic_load_n(&j.failed, __ATOMIC_RELAXED))
        return vn__error(VN_ERR_NOMEM, "conv2d: out of memory for the weight gradient's sums");
    return VN_OK;
}
