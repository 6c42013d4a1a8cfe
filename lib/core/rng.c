/*
 * rng.c - Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
 * 1, 2, 3", SC'11): a counter-based generator. Output block b of stream s
 * under seed k is Philox_k(b, s): a pure function, so any thread can compute
 * any sample's numbers without shared state, and a run gives the same
 * numbers on 1 or N threads. The library keys augmentation, dropout and
 * shuffling streams by (seed, epoch, sample index) through vn__rng_stream.
 */
#include "vn_internal.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

VN_API void vn_philox4x32(uint64_t key, const uint32_t counter[4], uint32_t out[4])
{
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void vn__rng_init(struct vn_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->key = seed;
    rng->stream = stream;
    rng->block = 0;
    rng->used = 4;
}

/* splitmix64 finaliser: a bijective mix, so distinct tuples stay distinct
 * with overwhelming probability. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t vn__rng_stream(uint64_t a, uint64_t b, uint64_t c)
{
    return mix64(mix64(mix64(a) ^ b) ^ c);
}

VN_API vn_status vn_rng_create(uint64_t seed, uint64_t stream, vn_rng **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_rng_create: out is NULL");
    struct vn_rng *r = vn__malloc(sizeof *r);
    if (!r)
        return vn__error(VN_ERR_NOMEM, "vn_rng_create: out of memory");
    vn__rng_init(r, seed, stream);
    *out = r;
    return VN_OK;
}

VN_API void vn_rng_destroy(vn_rng *rng)
{
    vn__free(rng);
}

VN_API void vn_rng_seek(vn_rng *rng, uint64_t position)
{
    rng->block = position / 4;
    rng->used = 4;
    if (position % 4) {
        (void)vn_rng_u32(rng); /* refill */
        rng->used = (int)(position % 4);
    }
}

VN_API uint32_t vn_rng_u32(vn_rng *rng)
{
    if (rng->used >= 4) {
        uint32_t ctr[4] = {(uint32_t)rng->block, (uint32_t)(rng->block >> 32), (uint32_t)rng->stream,
                           (uint32_t)(rng->stream >> 32)};
        vn_philox4x32(rng->key, ctr, rng->buf);
        rng->block++;
        rng->used = 0;
    }
    return rng->buf[rng->used++];
}

VN_API float vn_rng_uniform(vn_rng *rng)
{
    return (float)(vn_rng_u32(rng) >> 8) * (1.0f / 16777216.0f);
}

VN_API float vn_rng_normal(vn_rng *rng)
{
    /* Box-Muller; u1 in (0, 1] so log never sees 0. */
    float u1 = ((float)(vn_rng_u32(rng) >> 8) + 1.0f) * (1.0f / 16777216.0f);
    float u2 = vn_rng_uniform(rng);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
}

VN_API uint32_t vn_rng_below(vn_rng *rng, uint32_t n)
{
    if (n <= 1)
        return 0;
    /* Lemire's multiply-and-reject. */
    uint64_t m = (uint64_t)vn_rng_u32(rng) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (l < t) {
            m = (uint64_t)vn_rng_u32(rng) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}
