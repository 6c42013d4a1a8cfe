/*
 * sift_scale_space.c - the Gaussian and difference-of-Gaussian pyramids of
 * SIFT, built as OpenCV 4.6's cv::SIFT builds them (sift.dispatch.cpp:
 * createInitialImage, buildGaussianPyramid, buildDoGPyramid):
 *
 * - the grey image on the [0, 1] scale (OpenCV keeps 0..255; every
 *   threshold is scaled to match) is doubled with bilinear interpolation
 *   (half-pixel centres, as cv::resize INTER_LINEAR) and blurred by
 *   sqrt(sigma^2 - (2 * 0.5)^2): the input is assumed blurred by 0.5,
 *   which doubling makes 1.0;
 * - each octave has L+3 levels, level i blurred from level i-1 by
 *   sigma_i = sqrt((k^i sigma)^2 - (k^(i-1) sigma)^2), k = 2^(1/L), so
 *   level i has total blur k^i sigma relative to the octave;
 * - octave o+1 starts from level L of octave o (blur 2 sigma) taken every
 *   other pixel, which is blur sigma at the new size;
 * - there are round(log2(min side of the base) - 2) - first_octave octaves;
 * - DoG level i = Gaussian level i+1 - level i (L+2 per octave), written
 *   by the blur that makes level i+1 from the sums still in registers.
 *
 * The blur is separable and cache-friendly: each output row is blurred
 * vertically into one row buffer (the taps folded in pairs, w_t * (a + b),
 * since the kernel is symmetric), then horizontally from it; 64 pixels at
 * a time (AVX-512, blur_rows_avx512, picked at run time) or 32 (AVX2 /
 * baseline clones of blur_rows) are summed over all taps in vector
 * registers, every pixel's sum in the same order, so all copies give the
 * same bits. Bands of 16 rows run on the library's thread pool.
 * Buffers live in the vn_sift object, start on a 64-byte line (whole-vector
 * loads of a row then do not straddle cache lines when the width is a
 * multiple of 16) and are only ever grown.
 */
#include "features/sift_internal.h"
#include "image/image_internal.h"

#include <string.h>

/* ---- the blur ------------------------------------------------------------ */

#define MAX_RADIUS 256

typedef struct blur_job {
    const float *src;
    float *dst;
    float *dog;                /* NULL, or receives dst - src (one DoG level) */
    int w, h, r;
    float k[MAX_RADIUS + 1];   /* k[0] centre, k[t] for offsets +-t */
    int failed;
} blur_job;

/* Vectors of 8 floats (GCC's vector extension: AVX in the x86-64-v3
 * clone, pairs of SSE registers in the baseline one). Four of them, 32
 * output pixels, stay in registers while every tap is added, so the inner
 * loop only loads its inputs. */
typedef float v8f __attribute__((vector_size(32)));
/* The helpers below are static and inlined, so no AVX value ever crosses a
 * real call: GCC's note about the AVX calling convention does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
#define BLK 32

static inline __attribute__((always_inline)) v8f ld8(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void st8(float *p, v8f v)
{
    memcpy(p, &v, sizeof v);
}

/* out[x] = k[0] in0[x] + sum_t k[t] (lo[t][x] + hi[t][x]) for x in [0, n),
 * with lo[t] / hi[t] the rows (or shifted row pointers) of tap t. */
static inline __attribute__((always_inline)) void
taps(float *out, const float *in0, const float *const *lo, const float *const *hi, const float *k,
     int r, int n, const float *sub, float *dog)
{
    int x = 0;
    for (; x + BLK <= n; x += BLK) {
        v8f k0 = {k[0], k[0], k[0], k[0], k[0], k[0], k[0], k[0]};
        v8f a0 = k0 * ld8(in0 + x), a1 = k0 * ld8(in0 + x + 8);
        v8f a2 = k0 * ld8(in0 + x + 16), a3 = k0 * ld8(in0 + x + 24);
        for (int t = 1; t <= r; t++) {
            const float *p = lo[t] + x, *q = hi[t] + x;
            v8f kt = {k[t], k[t], k[t], k[t], k[t], k[t], k[t], k[t]};
            a0 += kt * (ld8(p) + ld8(q));
            a1 += kt * (ld8(p + 8) + ld8(q + 8));
            a2 += kt * (ld8(p + 16) + ld8(q + 16));
            a3 += kt * (ld8(p + 24) + ld8(q + 24));
        }
        st8(out + x, a0);
        st8(out + x + 8, a1);
        st8(out + x + 16, a2);
        st8(out + x + 24, a3);
        if (dog) {
            st8(dog + x, a0 - ld8(sub + x));
            st8(dog + x + 8, a1 - ld8(sub + x + 8));
            st8(dog + x + 16, a2 - ld8(sub + x + 16));
            st8(dog + x + 24, a3 - ld8(sub + x + 24));
        }
    }
    for (; x < n; x++) {
        float acc = k[0] * in0[x];
        for (int t = 1; t <= r; t++)
            acc += k[t] * (lo[t][x] + hi[t][x]);
        out[x] = acc;
        if (dog)
            dog[x] = acc - sub[x];
    }
}

/* The same sums 16 floats to a vector, 64 pixels to a block, then 16 at a
 * time, then one by one; for the AVX-512 copy of blur_rows (the vectors
 * are ZMM registers there). Each pixel's sum is formed exactly as in
 * taps(): k[0] * in0, then + k[t] * (lo + hi) for t = 1..r in order, so
 * results are the same to the bit. */
typedef float v16f __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) v16f ld16(const float *p)
{
    v16f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void st16(float *p, v16f v)
{
    memcpy(p, &v, sizeof v);
}

static inline __attribute__((always_inline)) void
taps16(float *out, const float *in0, const float *const *lo, const float *const *hi,
       const float *k, int r, int n, const float *sub, float *dog)
{
    int x = 0;
    for (; x + 64 <= n; x += 64) {
        v16f k0 = {0};
        k0 += k[0];
        v16f a0 = k0 * ld16(in0 + x), a1 = k0 * ld16(in0 + x + 16);
        v16f a2 = k0 * ld16(in0 + x + 32), a3 = k0 * ld16(in0 + x + 48);
        for (int t = 1; t <= r; t++) {
            const float *p = lo[t] + x, *q = hi[t] + x;
            v16f kt = {0};
            kt += k[t];
            a0 += kt * (ld16(p) + ld16(q));
            a1 += kt * (ld16(p + 16) + ld16(q + 16));
            a2 += kt * (ld16(p + 32) + ld16(q + 32));
            a3 += kt * (ld16(p + 48) + ld16(q + 48));
        }
        st16(out + x, a0);
        st16(out + x + 16, a1);
        st16(out + x + 32, a2);
        st16(out + x + 48, a3);
        if (dog) {
            st16(dog + x, a0 - ld16(sub + x));
            st16(dog + x + 16, a1 - ld16(sub + x + 16));
            st16(dog + x + 32, a2 - ld16(sub + x + 32));
            st16(dog + x + 48, a3 - ld16(sub + x + 48));
        }
    }
    for (; x + 16 <= n; x += 16) {
        v16f k0 = {0};
        k0 += k[0];
        v16f a0 = k0 * ld16(in0 + x);
        for (int t = 1; t <= r; t++) {
            v16f kt = {0};
            kt += k[t];
            a0 += kt * (ld16(lo[t] + x) + ld16(hi[t] + x));
        }
        st16(out + x, a0);
        if (dog)
            st16(dog + x, a0 - ld16(sub + x));
    }
    for (; x < n; x++) {
        float acc = k[0] * in0[x];
        for (int t = 1; t <= r; t++)
            acc += k[t] * (lo[t][x] + hi[t][x]);
        out[x] = acc;
        if (dog)
            dog[x] = acc - sub[x];
    }
}

/* One band of rows; wide picks taps16 (a constant at each call site, so
 * the other branch is compiled away). */
static inline __attribute__((always_inline)) void blur_rows_impl(void *arg, int64_t y0,
                                                                 int64_t y1, int wide)
{
    blur_job *j = arg;
    const int w = j->w, h = j->h, r = j->r;
    float *buf = vn__scratch(VN__SCRATCH_GATHER, (size_t)w + 2 * (size_t)r);
    if (!buf) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    float *row = buf + r;
    const float *lo[MAX_RADIUS + 1], *hi[MAX_RADIUS + 1];
    for (int64_t y = y0; y < y1; y++) {
        const float *c = j->src + (size_t)y * w;
        /* Vertical: rows y-t and y+t (mirrored at the edges). */
        for (int t = 1; t <= r; t++) {
            lo[t] = j->src + (size_t)vn__border_index((int64_t)y - t, h, VN_BORDER_REFLECT) * w;
            hi[t] = j->src + (size_t)vn__border_index((int64_t)y + t, h, VN_BORDER_REFLECT) * w;
        }
        if (wide)
            taps16(row, c, lo, hi, j->k, r, w, NULL, NULL);
        else
            taps(row, c, lo, hi, j->k, r, w, NULL, NULL);
        for (int t = 1; t <= r; t++) {
            row[-t] = row[vn__border_index(-t, w, VN_BORDER_REFLECT)];
            row[w - 1 + t] = row[vn__border_index(w - 1 + t, w, VN_BORDER_REFLECT)];
        }
        /* Horizontal: the row buffer shifted by -t and +t. */
        for (int t = 1; t <= r; t++) {
            lo[t] = row - t;
            hi[t] = row + t;
        }
        float *d = j->dst + (size_t)y * w;
        /* The DoG row (dst - src) while the sums are in registers. */
        float *g = j->dog ? j->dog + (size_t)y * w : NULL;
        if (wide)
            taps16(d, row, lo, hi, j->k, r, w, c, g);
        else
            taps(d, row, lo, hi, j->k, r, w, c, g);
    }
}

VN_SIMD_CLONES static void blur_rows(void *arg, int64_t y0, int64_t y1)
{
    blur_rows_impl(arg, y0, y1, 0);
}

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && \
    !defined(VN_NO_SIMD_CLONES) && !defined(VN_SIFT_NO_AVX512)
#define SIFT_BLUR_AVX512 1
__attribute__((target("arch=x86-64-v4"))) static void blur_rows_avx512(void *arg, int64_t y0,
                                                                        int64_t y1)
{
    blur_rows_impl(arg, y0, y1, 1);
}
#endif

static vn_status blur(const float *src, float *dst, float *dog, int w, int h, float sigma)
{
    blur_job j;
    /* cv::GaussianBlur's kernel size for CV_32F, and getGaussianKernel's
     * weights (computed in double, normalised, then rounded to float). */
    int ksize = ((int)lrint(sigma * 8.0 + 1.0)) | 1;
    int r = (ksize - 1) / 2;
    if (r > MAX_RADIUS)
        return vn__error(VN_ERR_UNSUPPORTED, "gaussian blur: sigma %g is over the largest supported (%d)",
                         (double)sigma, MAX_RADIUS / 4);
    double kd[MAX_RADIUS + 1], sum = 0;
    double s2 = -0.5 / ((double)sigma * sigma);
    for (int t = 0; t <= r; t++) {
        kd[t] = exp(s2 * t * t);
        sum += t ? 2 * kd[t] : kd[t];
    }
    for (int t = 0; t <= r; t++)
        j.k[t] = (float)(kd[t] / sum);
    j.src = src;
    j.dst = dst;
    j.dog = dog;
    j.w = w;
    j.h = h;
    j.r = r;
    j.failed = 0;
    vn__range_fn fn = blur_rows;
#ifdef SIFT_BLUR_AVX512
    if (__builtin_cpu_supports("x86-64-v4"))
        fn = blur_rows_avx512;
#endif
    vn__sift_parallel(h, (int64_t)w * h < 65536 ? h : 16, fn, &j);
    if (j.failed)
        return vn__error(VN_ERR_NOMEM, "gaussian blur: out of memory for a %d-pixel row buffer", w);
    return VN_OK;
}

vn_status vn__gaussian_blur_cv(const float *src, float *dst, int w, int h, float sigma)
{
    return blur(src, dst, NULL, w, h, sigma);
}

/* ---- the base image -------------------------------------------------------- */

/* No NaN and no magnitude over 1e30 (see vn_sift.tame). */
SIFT_CLONES static bool gray_is_tame(const float *g, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= !(fabsf(g[i]) <= 1e30f);
    return !bad;
}

vn_status vn__sift_load_gray(vn_sift *s, const vn_tensor *image)
{
    int64_t h, w, c;
    if (image->ndim == 2) {
        h = image->shape[0], w = image->shape[1], c = 1;
    } else if (image->ndim == 3) {
        h = image->shape[0], w = image->shape[1], c = image->shape[2];
    } else {
        return vn__error(VN_ERR_SHAPE, "sift: image has %d dimensions, expected [H,W] or [H,W,C]",
                         image->ndim);
    }
    if (c != 1 && c != 3)
        return vn__error(VN_ERR_SHAPE, "sift: image has %lld channels, expected 1 (grey) or 3 (RGB)",
                         (long long)c);
    if (image->dtype != VN_U8 && image->dtype != VN_F32)
        return vn__error(VN_ERR_SHAPE, "sift: image is %s, expected u8 or f32",
                         vn_dtype_name(image->dtype));
    if (h < 1 || w < 1 || h > 1 << 20 || w > 1 << 20)
        return vn__error(VN_ERR_SHAPE, "sift: image is %lldx%lld pixels", (long long)w,
                         (long long)h);
    size_t n = (size_t)h * (size_t)w;
    if (n > s->gray_cap) {
        float *g = vn__realloc(s->gray, n * sizeof(float));
        if (!g)
            return vn__error(VN_ERR_NOMEM, "sift: out of memory for a %lldx%lld image",
                             (long long)w, (long long)h);
        s->gray = g;
        s->gray_cap = n;
    }
    float *g = s->gray;
    s->tame = true;
    if (image->dtype == VN_U8 && c == 1) {
        const uint8_t *p = image->data;
        for (size_t i = 0; i < n; i++)
            g[i] = p[i] * (1.0f / 255.0f);
    } else if (image->dtype == VN_U8) {
        /* cv2.COLOR_RGB2GRAY's fixed point, so grey levels equal OpenCV's. */
        vn_tensor *gray = NULL;
        VN_TRY(vn_image_to_gray(image, VN_GRAY_BT601, &gray));
        const uint8_t *p = gray->data;
        for (size_t i = 0; i < n; i++)
            g[i] = p[i] * (1.0f / 255.0f);
        vn_tensor_destroy(gray);
    } else if (c == 1) {
        memcpy(g, image->data, n * sizeof(float));
    } else {
        const float *p = image->data;
        for (size_t i = 0; i < n; i++)
            g[i] = 0.299f * p[3 * i] + 0.587f * p[3 * i + 1] + 0.114f * p[3 * i + 2];
    }
    if (image->dtype == VN_F32)
        s->tame = gray_is_tame(g, n);
    return VN_OK;
}

/* cv::resize(src, dst, Size(2w, 2h), 0, 0, INTER_LINEAR) on f32: source
 * coordinate (x + 0.5) / 2 - 0.5, so even outputs take 1/4 of the left
 * neighbour and 3/4 of their own pixel, odd ones 3/4 and 1/4 of the right
 * one; the edges replicate. */
typedef struct up_job {
    const float *src;
    float *dst;
    int w, h;
    int failed;
} up_job;

static inline __attribute__((always_inline)) void up_px(const float *s, float *d, int w, int i)
{
    float l = s[i > 0 ? i - 1 : 0], c = s[i], r = s[i + 1 < w ? i + 1 : w - 1];
    d[2 * i] = 0.25f * l + 0.75f * c;
    d[2 * i + 1] = 0.75f * c + 0.25f * r;
}

/* The edges apart, so the interior loop reads s contiguously and GCC
 * vectorises it; every output is the same expression as at the edges. */
static inline __attribute__((always_inline)) void up_row(const float *s, float *d, int w)
{
    if (w < 3) {
        for (int i = 0; i < w; i++)
            up_px(s, d, w, i);
        return;
    }
    up_px(s, d, w, 0);
    for (int i = 1; i < w - 1; i++) {
        float l = s[i - 1], c = s[i], r = s[i + 1];
        d[2 * i] = 0.25f * l + 0.75f * c;
        d[2 * i + 1] = 0.75f * c + 0.25f * r;
    }
    up_px(s, d, w, w - 1);
}

SIFT_CLONES static void upsample_rows(void *arg, int64_t y0, int64_t y1)
{
    up_job *j = arg;
    const int w = j->w, h = j->h, w2 = 2 * w;
    float *buf = vn__scratch(VN__SCRATCH_GATHER, 2 * (size_t)w2);
    if (!buf) {
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        return;
    }
    float *a = buf, *b = buf + w2;
    for (int64_t y = y0; y < y1; y++) {
        int i = (int)(y >> 1);
        int other = (y & 1) ? (i + 1 < h ? i + 1 : h - 1) : (i > 0 ? i - 1 : 0);
        up_row(j->src + (size_t)i * w, a, w);
        up_row(j->src + (size_t)other * w, b, w);
        float *d = j->dst + (size_t)y * w2;
        for (int x = 0; x < w2; x++)
            d[x] = 0.75f * a[x] + 0.25f * b[x];
    }
}

/* ---- the pyramids ---------------------------------------------------------- */

/* Grow a pyramid buffer to n floats (contents not kept), its start on a
 * 64-byte line, with SIFT_BUF_SLACK floats (zeros) after the end: the
 * sample gathers of sift_detect.c and sift_descriptor.c read whole blocks
 * of 16 columns, which near the last row of the last level may run up to
 * 16 floats past it. */
#define SIFT_BUF_SLACK 32
static bool grow(float **buf, void **raw, size_t *cap, size_t n)
{
    if (n <= *cap)
        return true;
    if (n > (SIZE_MAX - 64) / sizeof(float) - SIFT_BUF_SLACK)
        return false;
    void *p = vn__calloc(n + SIFT_BUF_SLACK + 16, sizeof(float));
    if (!p)
        return false;
    vn__free(*raw);
    *raw = p;
    *buf = (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
    *cap = n;
    return true;
}

vn_status vn__sift_build_pyramids(vn_sift *s, int w, int h)
{
    const int L = s->opt.octave_layers;
    const int nl = L + 3;
    const bool up = s->opt.upsample != 0;
    s->first_octave = up ? -1 : 0;
    int bw = up ? 2 * w : w, bh = up ? 2 * h : h;

    int n_oct = (int)lrint(log((double)VN_MIN(bw, bh)) / log(2.0) - 2) - s->first_octave;
    if (n_oct > SIFT_MAX_OCTAVES)
        n_oct = SIFT_MAX_OCTAVES;
    size_t gtotal = 0, dtotal = 0;
    int o = 0;
    for (int ww = bw, hh = bh; o < n_oct && ww >= 1 && hh >= 1; o++, ww /= 2, hh /= 2) {
        s->ow[o] = ww;
        s->oh[o] = hh;
        s->goff[o] = gtotal;
        s->doff[o] = dtotal;
        gtotal += (size_t)nl * ww * hh;
        dtotal += (size_t)(nl - 1) * ww * hh;
    }
    s->n_octaves = n_oct = o;
    if (n_oct <= 0)
        return VN_OK;
    if (!grow(&s->gauss, &s->gauss_raw, &s->gauss_cap, gtotal) ||
        !grow(&s->dog, &s->dog_raw, &s->dog_cap, dtotal))
        return vn__error(VN_ERR_NOMEM, "sift: out of memory for the pyramids of a %dx%d image",
                         w, h);

    /* Base: double (or not), then blur from the assumed 0.5 (1.0 doubled)
     * to sigma. The level-1 slot of octave 0 holds the doubled image for a
     * moment; it is overwritten when level 1 is blurred. */
    float sigma = s->opt.sigma;
    float *base = sift_gauss_level(s, 0, 0);
    if (up) {
        float sig_diff = sqrtf(VN_MAX(sigma * sigma - SIFT_INIT_SIGMA * SIFT_INIT_SIGMA * 4, 0.01f));
        float *dbl = sift_gauss_level(s, 0, 1);
        up_job uj = {s->gray, dbl, w, h, 0};
        vn__sift_parallel(bh, 32, upsample_rows, &uj);
        if (uj.failed)
            return vn__error(VN_ERR_NOMEM, "sift: out of memory for a row buffer");
        VN_TRY(vn__gaussian_blur_cv(dbl, base, bw, bh, sig_diff));
    } else {
        float sig_diff = sqrtf(VN_MAX(sigma * sigma - SIFT_INIT_SIGMA * SIFT_INIT_SIGMA, 0.01f));
        VN_TRY(vn__gaussian_blur_cv(s->gray, base, bw, bh, sig_diff));
    }

    double sig[64];
    double k = pow(2.0, 1.0 / L);
    sig[0] = sigma;
    for (int i = 1; i < nl; i++) {
        double prev = pow(k, (double)(i - 1)) * sigma, total = prev * k;
        sig[i] = sqrt(total * total - prev * prev);
    }
    for (o = 0; o < n_oct; o++) {
        for (int i = 0; i < nl; i++) {
            float *dst = sift_gauss_level(s, o, i);
            if (o == 0 && i == 0)
                continue;
            if (i == 0) {
                /* Every other pixel of level L of the octave below
                 * (cv::resize INTER_NEAREST to exactly half size). */
                const float *src = sift_gauss_level(s, o - 1, L);
                int sw = s->ow[o - 1], ww = s->ow[o], hh = s->oh[o];
                for (int y = 0; y < hh; y++)
                    for (int x = 0; x < ww; x++)
                        dst[(size_t)y * ww + x] = src[(size_t)2 * y * sw + 2 * x];
            } else {
                /* DoG level i-1 = level i - level i-1, written by the blur. */
                VN_TRY(blur(sift_gauss_level(s, o, i - 1), dst, sift_dog_level(s, o, i - 1),
                            s->ow[o], s->oh[o], (float)sig[i]));
            }
        }
    }
    return VN_OK;
}
