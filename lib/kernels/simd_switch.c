/*
 * simd_switch.c - whether a kernel takes its AVX-512F loop: the CPU's
 * answer (asked once), which a test may turn off to run the portable loop
 * the AVX-512F one must match bit for bit.
 */
#include "kernels/kernels.h"

static bool cpu_has_avx512f(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int known = -1; /* a benign race: every thread computes the same */
    int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (k < 0) {
        __builtin_cpu_init();
        k = __builtin_cpu_supports("avx512f") ? 1 : 0;
        __atomic_store_n(&known, k, __ATOMIC_RELAXED);
    }
    return k == 1;
#else
    return false;
#endif
}

bool vn__simd_on(const vn__simd_switch *s)
{
    return !__atomic_load_n(&s->off, __ATOMIC_RELAXED) && cpu_has_avx512f();
}

bool vn__simd_set(vn__simd_switch *s, bool on)
{
    __atomic_store_n(&s->off, on ? 0 : 1, __ATOMIC_RELAXED);
    return on ? cpu_has_avx512f() : true;
}
