/*
 * random.c - the random draws of the augmentation layer, all from the core
 * Philox generator (lib/core/rng.c).
 *
 * Keying: op k of sample `index` in epoch `epoch` reads the stream
 * vn__rng_stream(epoch, index, TAG ^ k) under the key `seed`. Every op of
 * every sample has a stream of its own, so what one op draws never shifts
 * what another op draws, and a sample's result depends on nothing but
 * (seed, epoch, index): not on the thread that runs it, the batch it is in,
 * or the other samples.
 *
 * Normals for noise: 150,000 values per 224x224 RGB image make Box-Muller
 * (a log, a sqrt and a cosine per pair) the most expensive part of a
 * pipeline, so noise uses an inverse-CDF table instead: each normal takes
 * 16 random bits u and returns Phi^-1((u + 0.5) / 65536), interpolated
 * linearly in a 4097-entry table of Phi^-1(i / 4096) (ends pinned at the
 * extreme 16-bit quantiles, +-4.17). The distribution is the normal
 * quantised to 65536 levels with tails cut at 4.17 sigma (variance
 * 0.9996): plenty for noise that ends up in 8-bit pixels.
 *
 * Gamma variates use Marsaglia and Tsang's method (ACM TOMS 26(3), 2000)
 * with the core's Box-Muller normals; Beta(a, b) = X / (X + Y).
 */
#include "augment/augment_internal.h"

#include <math.h>
#include <pthread.h>

#define AUG_STREAM_TAG 0x6175676d656e7400ull /* "augment" */
#define NORMAL_TABLE_BITS 12
#define NORMAL_TABLE_SIZE (1 << NORMAL_TABLE_BITS)

void vn__aug_rng(struct vn_rng *rng, uint64_t seed, uint64_t epoch, uint64_t index, int op)
{
    vn__rng_init(rng, seed, vn__rng_stream(epoch, index, AUG_STREAM_TAG ^ (uint64_t)op));
}

double vn__aug_uniform(struct vn_rng *rng, double lo, double hi)
{
    uint64_t a = vn_rng_u32(rng), b = vn_rng_u32(rng);
    double u = (double)((a << 21) ^ (b >> 11)) * (1.0 / 9007199254740992.0); /* 53 bits */
    return lo + (hi - lo) * u;
}

int64_t vn__aug_randint(struct vn_rng *rng, int64_t lo, int64_t hi)
{
    if (hi - lo <= 1)
        return lo;
    return lo + (int64_t)vn_rng_below(rng, (uint32_t)(hi - lo));
}

void vn__aug_randperm(struct vn_rng *rng, int *perm, int n)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)vn_rng_below(rng, (uint32_t)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* ---- inverse normal CDF table ------------------------------------------- */

static float g_table[NORMAL_TABLE_SIZE + 1];
static float g_slope[NORMAL_TABLE_SIZE]; /* g_table[k + 1] - g_table[k] */
static pthread_once_t g_table_once = PTHREAD_ONCE_INIT;

/* Phi^-1(q) by bisection on erfc: exact to double precision, run 4097 times
 * once per process. */
static double inv_phi(double q)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < q)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void build_table(void)
{
    double edge = inv_phi(0.5 / 65536.0);
    for (int i = 0; i <= NORMAL_TABLE_SIZE; i++) {
        if (i == 0)
            g_table[i] = (float)edge;
        else if (i == NORMAL_TABLE_SIZE)
            g_table[i] = (float)-edge;
        else
            g_table[i] = (float)inv_phi((double)i / NORMAL_TABLE_SIZE);
    }
    for (int i = 0; i < NORMAL_TABLE_SIZE; i++)
        g_slope[i] = g_table[i + 1] - g_table[i];
}

static inline float table_normal(uint32_t u16)
{
    /* position in table units: (u + 0.5) / 65536 * 4096 = (2u + 1) / 32 */
    uint32_t twice = 2 * u16 + 1;
    uint32_t k = twice >> 5;
    float f = (float)(twice & 31) * (1.0f / 32.0f);
    return g_table[k] + f * g_slope[k];
}

/* Philox4x32-10 on PHILOX_LANES consecutive blocks of one stream at once:
 * the same words as vn_philox4x32 (lib/core/rng.c), lane-parallel; then
 * the 2 * 4 * PHILOX_LANES normals of those words, in the order
 * vn_rng_u32 gives them. On x86 with AVX2 the rounds run 8 lanes to a
 * register (_mm256_mul_epu32 gives the 32x32->64 products); integer
 * arithmetic, so both paths give the same words. */
#define PHILOX_LANES 8

static void lanes_to_normals(const uint32_t c[4][PHILOX_LANES], float *restrict out)
{
    for (int l = 0; l < PHILOX_LANES; l++)
        for (int k = 0; k < 4; k++) {
            out[8 * l + 2 * k] = table_normal(c[k][l] & 0xFFFF);
            out[8 * l + 2 * k + 1] = table_normal(c[k][l] >> 16);
        }
}

static void philox_normals_base(uint64_t key, uint64_t block, uint64_t stream, float *out)
{
    uint32_t c[4][PHILOX_LANES];
    for (int l = 0; l < PHILOX_LANES; l++) {
        uint32_t ctr[4] = {(uint32_t)(block + (uint64_t)l), (uint32_t)((block + (uint64_t)l) >> 32),
                           (uint32_t)stream, (uint32_t)(stream >> 32)};
        uint32_t w[4];
        vn_philox4x32(key, ctr, w);
        for (int k = 0; k < 4; k++)
            c[k][l] = w[k];
    }
    lanes_to_normals(c, out);
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

/* hi and lo 32 bits of the 8 products a * m. */
__attribute__((target("avx2"))) static inline void mulhilo8(__m256i a, __m256i m, __m256i *hi,
                                                             __m256i *lo)
{
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

__attribute__((target("avx2"))) static void philox_normals_avx2(uint64_t key, uint64_t block,
                                                                 uint64_t stream, float *out)
{
    uint32_t b0[PHILOX_LANES], b1[PHILOX_LANES];
    for (int l = 0; l < PHILOX_LANES; l++) {
        b0[l] = (uint32_t)(block + (uint64_t)l);
        b1[l] = (uint32_t)((block + (uint64_t)l) >> 32);
    }
    __m256i c0 = _mm256_loadu_si256((const __m256i *)b0);
    __m256i c1 = _mm256_loadu_si256((const __m256i *)b1);
    __m256i c2 = _mm256_set1_epi32((int)(uint32_t)stream);
    __m256i c3 = _mm256_set1_epi32((int)(uint32_t)(stream >> 32));
    __m256i m0 = _mm256_set1_epi64x(0xD2511F53u), m1 = _mm256_set1_epi64x(0xCD9E8D57u);
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    for (int r = 0; r < 10; r++) {
        __m256i hi0, lo0, hi1, lo1;
        mulhilo8(c0, m0, &hi0, &lo0);
        mulhilo8(c2, m1, &hi1, &lo1);
        c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
        c1 = lo1;
        c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    uint32_t c[4][PHILOX_LANES], words[4 * PHILOX_LANES];
    _mm256_storeu_si256((__m256i *)c[0], c0);
    _mm256_storeu_si256((__m256i *)c[1], c1);
    _mm256_storeu_si256((__m256i *)c[2], c2);
    _mm256_storeu_si256((__m256i *)c[3], c3);
    for (int l = 0; l < PHILOX_LANES; l++)
        for (int k = 0; k < 4; k++)
            words[4 * l + k] = c[k][l];
    /* table_normal on 8 words' low and high halves, interleaved back. */
    for (int q = 0; q < PHILOX_LANES / 2; q++) {
        __m256i w = _mm256_loadu_si256((const __m256i *)(words + 8 * q));
        __m256 v[2];
        for (int half = 0; half < 2; half++) {
            __m256i u = half ? _mm256_srli_epi32(w, 16) : _mm256_and_si256(w, _mm256_set1_epi32(0xFFFF));
            __m256i twice = _mm256_add_epi32(_mm256_slli_epi32(u, 1), _mm256_set1_epi32(1));
            __m256i k = _mm256_srli_epi32(twice, 5);
            __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_and_si256(twice, _mm256_set1_epi32(31))),
                                     _mm256_set1_ps(1.0f / 32.0f));
            __m256 g = _mm256_i32gather_ps(g_table, k, 4), sl = _mm256_i32gather_ps(g_slope, k, 4);
            v[half] = _mm256_add_ps(g, _mm256_mul_ps(f, sl));
        }
        __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
        _mm256_storeu_ps(out + 16 * q, _mm256_permute2f128_ps(t0, t1, 0x20));
        _mm256_storeu_ps(out + 16 * q + 8, _mm256_permute2f128_ps(t0, t1, 0x31));
    }
}

static void philox_normals(uint64_t key, uint64_t block, uint64_t stream, float *out)
{
    if (__builtin_cpu_supports("avx2"))
        philox_normals_avx2(key, block, stream, out);
    else
        philox_normals_base(key, block, stream, out);
}
#else
#define philox_normals philox_normals_base
#endif

void vn__aug_normals(struct vn_rng *rng, float *out, int64_t n)
{
    pthread_once(&g_table_once, build_table);
    int64_t i = 0;
    /* Word by word to the end of the current block (an op's stream has
     * usually given one word to the p draw), then whole Philox blocks (8
     * normals each) straight from the block function, PHILOX_LANES blocks
     * at a time, then word by word for the rest: the same words in the same
     * order as calls of vn_rng_u32 give. */
    while (i < n && rng->used < 4) {
        uint32_t w = vn_rng_u32(rng);
        out[i++] = table_normal(w & 0xFFFF);
        if (i < n)
            out[i++] = table_normal(w >> 16);
    }
    if (rng->used == 4) {
        for (; i + 8 * PHILOX_LANES <= n; i += 8 * PHILOX_LANES) {
            philox_normals(rng->key, rng->block, rng->stream, out + i);
            rng->block += PHILOX_LANES;
        }
        for (; i + 8 <= n; i += 8) {
            uint32_t ctr[4] = {(uint32_t)rng->block, (uint32_t)(rng->block >> 32),
                               (uint32_t)rng->stream, (uint32_t)(rng->stream >> 32)};
            uint32_t w[4];
            vn_philox4x32(rng->key, ctr, w);
            rng->block++;
            for (int k = 0; k < 4; k++) {
                out[i + 2 * k] = table_normal(w[k] & 0xFFFF);
                out[i + 2 * k + 1] = table_normal(w[k] >> 16);
            }
        }
    }
    while (i < n) {
        uint32_t w = vn_rng_u32(rng);
        out[i++] = table_normal(w & 0xFFFF);
        if (i < n)
            out[i++] = table_normal(w >> 16);
    }
}

/* ---- gamma and beta ------------------------------------------------------- */

double vn__aug_gamma(struct vn_rng *rng, double shape)
{
    if (shape < 1) {
        /* Gamma(a) = Gamma(a + 1) * U^(1/a) */
        double u = vn__aug_uniform(rng, 0, 1);
        return vn__aug_gamma(rng, shape + 1) * pow(u > 0 ? u : 1e-300, 1.0 / shape);
    }
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x, v;
        do {
            x = vn_rng_normal(rng);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = vn__aug_uniform(rng, 0, 1);
        if (u < 1 - 0.0331 * x * x * x * x)
            return d * v;
        if (u > 0 && log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            return d * v;
    }
}

double vn__aug_beta(struct vn_rng *rng, double a, double b)
{
    double x = vn__aug_gamma(rng, a), y = vn__aug_gamma(rng, b);
    return x + y > 0 ? x / (x + y) : 0.5;
}
