/*
 * sift_internal.h - what the SIFT files share: the detector's state (the
 * Gaussian and DoG pyramids kept between images), the keypoint record used
 * while detecting, and the steps of vn_sift_detect, one file each:
 *
 *   sift_scale_space.c  base image, separable Gaussian blur, pyramids
 *   sift_detect.c       DoG extrema, sub-pixel refinement, orientations
 *   sift_descriptor.c   the 4x4x8 descriptor
 *   sift_match.c        ratio-test matching
 *   sift_draw.c         pictures of keypoints and matches
 *
 * Every constant with an OpenCV name (SIFT_IMG_BORDER...) has OpenCV 4.6's
 * value (modules/features2d/src/sift.simd.hpp).
 */
#ifndef VN_SIFT_INTERNAL_H
#define VN_SIFT_INTERNAL_H

#include "kernels/kernels.h"
#include "tensor/tensor_internal.h"
#include <visionnet/features.h>
#include <visionnet/image.h>

#include <math.h>
#include <string.h>

#define SIFT_DESCR_WIDTH 4       /* 4x4 spatial cells */
#define SIFT_DESCR_HIST_BINS 8   /* 8 orientations per cell */
#define SIFT_DESCR_LEN 128
#define SIFT_INIT_SIGMA 0.5f     /* blur assumed in the input image */
#define SIFT_IMG_BORDER 5        /* no extrema this close to an octave's edge */
#define SIFT_MAX_INTERP_STEPS 5
#define SIFT_ORI_HIST_BINS 36
#define SIFT_ORI_SIG_FCTR 1.5f
#define SIFT_ORI_RADIUS 4.5f     /* 3 * SIFT_ORI_SIG_FCTR */
#define SIFT_ORI_PEAK_RATIO 0.8f
#define SIFT_DESCR_SCL_FCTR 3.f
#define SIFT_DESCR_MAG_THR 0.2f
#define SIFT_INT_DESCR_FCTR 512.f
#define SIFT_MAX_OCTAVES 32

/* SIFT_CLONES: VN_SIMD_CLONES plus an x86-64-v4 (AVX-512) copy, picked
 * at load time on CPUs that have it. The loops it marks are written so GCC
 * vectorises them; every copy computes the same IEEE operations in the
 * same order per element (ISO C mode: no FMA contraction; no reductions
 * are reassociated), so keypoints and descriptors do not depend on the
 * CPU. -DVN_SIFT_NO_AVX512 (or -DVN_NO_SIMD_CLONES) drops the AVX-512
 * copy (the AVX2 / baseline ones can then be checked on an AVX-512 CPU). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && \
    defined(__ELF__) && !defined(VN_NO_SIMD_CLONES) && !defined(VN_SIFT_NO_AVX512)
#  define SIFT_CLONES \
      __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#  define SIFT_CLONES VN_SIMD_CLONES
#endif

/* The gathers of the orientation and descriptor samples run over a row of
 * columns in blocks of this many (one AVX-512 vector of floats). */
#define SIFT_ROW_BLOCK 16

/* A keypoint while detecting: position and size in the pixels of pyramid
 * octave 0 (the doubled image when upsampling), plus where it was found. */
typedef struct sift_kp {
    float x, y, size, angle, response;
    int octave;   /* pyramid octave, 0 = the base */
    int layer;    /* 1..octave_layers */
} sift_kp;

/* A growable list of keypoints. */
typedef struct sift_kp_list {
    sift_kp *kp;
    int n, cap;
} sift_kp_list;

struct vn_sift {
    vn_sift_options opt;
    /* Pyramid geometry of the last image. */
    int n_octaves;
    int ow[SIFT_MAX_OCTAVES], oh[SIFT_MAX_OCTAVES];
    size_t goff[SIFT_MAX_OCTAVES];   /* offset of octave o's level 0 in gauss */
    size_t doff[SIFT_MAX_OCTAVES];   /* offset of octave o's level 0 in dog */
    /* Buffers, grown and kept: gauss has octave_layers+3 levels per octave,
     * dog octave_layers+2; gray is the input as f32 in [0, 1]. */
    float *gauss, *dog, *gray;
    size_t gauss_cap, dog_cap, gray_cap;
    /* The allocations behind gauss and dog, which start on a 64-byte line
     * (whole-vector loads of the blur do not straddle cache lines). */
    void *gauss_raw, *dog_raw;
    /* One keypoint list per row band of the extrema search (merged in band
     * order, so results do not depend on the threads), and the result. */
    sift_kp_list *bands;
    int n_bands_cap;
    sift_kp_list kps;
    float *desc;
    size_t desc_cap;
    int first_octave;   /* -1 when upsampling, else 0 */
    /* The grey image has no NaN and no value over 1e30 in magnitude, so no
     * level of the pyramids holds a NaN (blurs are weighted means, and
     * differences of two such stay finite): the extrema test may use
     * maxima instead of 26 comparisons (sift_detect.c). Always so for u8. */
    bool tame;
};

static inline float *sift_gauss_level(const vn_sift *s, int o, int level)
{
    return s->gauss + s->goff[o] + (size_t)level * s->ow[o] * s->oh[o];
}
static inline float *sift_dog_level(const vn_sift *s, int o, int level)
{
    return s->dog + s->doff[o] + (size_t)level * s->ow[o] * s->oh[o];
}

/* Run fn(ctx, begin, end) over [0, n) in chunks of `chunk` items, handed
 * out one by one to the pool's threads (dynamic: a thread that is slow or
 * descheduled takes fewer chunks, which a static split into one range per
 * thread cannot do). The result never depends on which thread runs what. */
typedef struct sift_chunks {
    vn__range_fn fn;
    void *ctx;
    int64_t n, chunk;
} sift_chunks;

static inline void vn__sift_chunk_task(void *arg, int t)
{
    const sift_chunks *c = arg;
    int64_t b = (int64_t)t * c->chunk, e = b + c->chunk;
    c->fn(c->ctx, b, e < c->n ? e : c->n);
}

static inline void vn__sift_parallel(int64_t n, int64_t chunk, vn__range_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    sift_chunks c = {fn, ctx, n, chunk};
    int64_t tasks = (n + chunk - 1) / chunk;
    if (tasks == 1 || vn__num_threads() == 1)
        fn(ctx, 0, n);
    else
        vn__parallel_tasks((int)tasks, vn__sift_chunk_task, &c);
}

/* Append to a list (vn__realloc); false when memory runs out. */
bool vn__sift_kp_push(sift_kp_list *l, const sift_kp *kp);

/* sift_scale_space.c: fill s->gray from the image ([0, 1] grey), then
 * build the Gaussian and DoG pyramids (s->n_octaves may come out 0 for a
 * tiny image). */
vn_status vn__sift_load_gray(vn_sift *s, const vn_tensor *image);
vn_status vn__sift_build_pyramids(vn_sift *s, int w, int h);

/* Separable Gaussian blur of a w x h f32 image as cv::GaussianBlur(src,
 * dst, Size(), sigma) on CV_32F: kernel size round(8 sigma + 1) | 1,
 * BORDER_REFLECT_101; threads over rows. dst may not alias src. */
vn_status vn__gaussian_blur_cv(const float *src, float *dst, int w, int h, float sigma);

/* sift_detect.c: DoG extrema -> refined, oriented keypoints in s->kps. */
vn_status vn__sift_find_keypoints(vn_sift *s);

/* sift_descriptor.c: descriptors of s->kps into s->desc. */
vn_status vn__sift_compute_descriptors(vn_sift *s);

/* ---- vectorisable approximations shared by the orientation and the
 * descriptor loops (plain loops over arrays that GCC vectorises) --------- */

/* atan2(y, x) in degrees, [0, 360), as OpenCV's cv::fastAtan2 (polynomial,
 * about 0.01 degree error at worst). Written without floating-point
 * comparisons or selects (the magnitudes are compared as integers, which
 * orders non-negative floats, and blended; the quadrant comes from sign
 * bits), because
 * GCC does not vectorise loops with them under the default
 * -ftrapping-math; the loops that call this are vectorised. */
static inline float vn__fast_atan2_deg(float y, float x)
{
    const float p1 = 0.9997878412794807f * 57.29577951308232f;
    const float p3 = -0.3258083974640975f * 57.29577951308232f;
    const float p5 = 0.1555786518463281f * 57.29577951308232f;
    const float p7 = -0.04432655554792128f * 57.29577951308232f;
    float ax = fabsf(x), ay = fabsf(y);
    int32_t ix, iy;
    memcpy(&ix, &ax, sizeof ix);
    memcpy(&iy, &ay, sizeof iy);
    float w = (float)(ix >= iy);             /* 1: |x| >= |y| */
    float mx = w * ax + (1.f - w) * ay, mn = w * ay + (1.f - w) * ax;
    float c = mn / (mx + 2.220446049250313e-16f);
    float c2 = c * c;
    float a = (((p7 * c2 + p5) * c2 + p3) * c2 + p1) * c;
    float s1 = 2.f * w - 1.f;                /* a, or 90 - a past the diagonal */
    a = (1.f - s1) * 45.f + s1 * a;
    float s2 = copysignf(1.f, x);            /* 180 - a for x < 0 */
    a = (1.f - s2) * 90.f + s2 * a;
    float s3 = copysignf(1.f, y);            /* 360 - a for y < 0 */
    return (1.f - s3) * 180.f + s3 * a;
}

/* exp(x) for x in [-87, 0], relative error below 1e-7: 2^n * 2^f with
 * n = round(x log2 e) (by the 1.5 * 2^23 trick), |f| <= 1/2, and 2^f by
 * its Taylor series to degree 6. Vectorisable as vn__fast_atan2_deg. */
static inline float vn__fast_exp_neg(float x)
{
    float t = x * 1.4426950408889634f;
    float r = t + 12582912.f;            /* 1.5 * 2^23: rounds t to an integer */
    float nf = r - 12582912.f;
    float f = t - nf;                    /* [-0.5, 0.5] */
    float p = 1.5403530393381606e-4f;
    p = p * f + 1.3333558146428443e-3f;
    p = p * f + 9.618129107628477e-3f;
    p = p * f + 5.550410866482158e-2f;
    p = p * f + 2.402265069591007e-1f;
    p = p * f + 6.931471805599453e-1f;
    p = p * f + 1.0f;
    int32_t ri;
    memcpy(&ri, &r, sizeof ri);
    int32_t bits = (ri - 0x4B400000 + 127) * (1 << 23);   /* 2^n */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#endif /* VN_SIFT_INTERNAL_H */
