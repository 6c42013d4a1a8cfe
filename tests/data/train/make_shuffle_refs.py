#!/usr/bin/python3
"""make_shuffle_refs.py - the epoch orders and the split of tests/test_dataset.c,
from an independent Python implementation of the library's randomness:
Philox4x32-10 (Salmon et al. SC'11), the splitmix64 stream mixer of
lib/core/rng.c, Lemire's unbiased bounded integers and Fisher-Yates from the
identity (n-1 down to 1). The stream constants are those of
lib/train/batcher.c ("SHUFFLE", mixed with the epoch) and lib/train/dataset.c
("SPLIT"). Run with /usr/bin/python3; prints the figures pasted in the test.
"""
M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK32 = 0xFFFFFFFF
MASK64 = (1 << 64) - 1

def philox(key, ctr):
    k0, k1 = key & MASK32, (key >> 32) & MASK32
    c0, c1, c2, c3 = ctr
    for _ in range(10):
        p0 = M0 * c0; p1 = M1 * c2
        hi0, lo0 = p0 >> 32, p0 & MASK32
        hi1, lo1 = p1 >> 32, p1 & MASK32
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = (k0 + W0) & MASK32; k1 = (k1 + W1) & MASK32
    return [c0, c1, c2, c3]

class Rng:
    def __init__(self, seed, stream):
        self.key, self.stream, self.block, self.buf, self.used = seed, stream, 0, [], 4
    def u32(self):
        if self.used >= 4:
            self.buf = philox(self.key, [self.block & MASK32, self.block >> 32, self.stream & MASK32, self.stream >> 32])
            self.block += 1; self.used = 0
        v = self.buf[self.used]; self.used += 1; return v
    def below(self, n):
        if n <= 1: return 0
        m = self.u32() * n; l = m & MASK32
        if l < n:
            t = ((-n) & MASK32) % n
            while l < t:
                m = self.u32() * n; l = m & MASK32
        return m >> 32

def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)

def stream(a, b, c):
    return mix64(mix64(mix64(a) ^ b) ^ c)

def fisher_yates(n, seed, strm):
    p = list(range(n)); r = Rng(seed, strm)
    for i in range(n - 1, 0, -1):
        j = r.below(i + 1); p[i], p[j] = p[j], p[i]
    return p

SHUFFLE = 0x53485546464c45
SPLIT = 0x53504c4954
for seed, epoch in [(0, 0), (0, 1), (42, 0)]:
    print("shuffle seed", seed, "epoch", epoch, fisher_yates(10, seed, stream(SHUFFLE, epoch, 0)))
p = fisher_yates(10, 7, SPLIT)
print("split 10 f=0.3 seed 7 val", sorted(p[:3]), "train", sorted(p[3:]))
