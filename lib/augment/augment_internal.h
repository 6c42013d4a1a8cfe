/*
 * augment_internal.h - what the files of the augmentation layer share: the
 * op record of a pipeline, the per-sample working state the ops transform,
 * and the random draws (random.c).
 *
 * Working image: every op sees an [H, W, C] tensor (ndim 3), u8 or f32
 * (f32 values in [0, 1]); pipeline.c converts f32 [C, H, W] inputs to HWC
 * before the first op and back after the last. An op either changes
 * s->img in place or replaces it (destroying the old one).
 */
#ifndef VN_AUGMENT_INTERNAL_H
#define VN_AUGMENT_INTERNAL_H

#include "image/image_internal.h"
#include <visionnet/augment.h>

#include <string.h>

/* Op kinds. Spec names map onto them (several names per kind: "rotate",
 * "translate", "scale", "shear" are all VN__AUG_AFFINE). */
typedef enum vn__aug_kind {
    VN__AUG_FLIP = 1,
    VN__AUG_RANDOM_CROP,
    VN__AUG_RESIZED_CROP,
    VN__AUG_AFFINE,
    VN__AUG_PERSPECTIVE,
    VN__AUG_GAUSSIAN_NOISE,
    VN__AUG_SALT_PEPPER,
    VN__AUG_SPECKLE,
    VN__AUG_COLOR_JITTER,
    VN__AUG_GAMMA,
    VN__AUG_GRAYSCALE,
    VN__AUG_CHANNEL_SHUFFLE,
    VN__AUG_BLUR,
    VN__AUG_SHARPEN,
    VN__AUG_ERASE,
} vn__aug_kind;

typedef struct vn__aug_op {
    vn__aug_kind kind;
    char name[24];            /* the spec name it was made as ("rotate") */
    float p;
    union {
        struct { vn_flip dir; } flip;
        struct { int h, w, pad, pad_if_needed; vn_border border; float fill; } crop;
        struct { int h, w; float scale[2], ratio[2]; vn_interp interp; } rrc;
        struct { float deg[2], translate[2], scale[2], shear[4]; vn_interp interp;
                 vn_border border; float fill; } affine;
        struct { float distortion; vn_interp interp; vn_border border; float fill; } persp;
        struct { float sigma; } noise;
        struct { float amount, salt; } sp;
        struct { float b[2], c[2], s[2], h[2]; } jitter;
        struct { float g[2]; } gamma;
        struct { int k; float sigma[2]; } blur;
        struct { float f[2]; } sharpen;
        struct { float scale[2], ratio[2]; int random; float value[4]; int nvalue; } erase;
    } u;
} vn__aug_op;

struct vn_augment {
    int n, cap;
    vn__aug_op *ops;
};

/* The state one sample goes through the pipeline with. */
typedef struct vn__aug_sample {
    vn_tensor *img;           /* [H, W, C] u8 or f32, owned */
    struct vn_rng rng;        /* the current op's stream */
    int op_index;             /* for messages */
    const char *op_name;
    /* Annotations as continuous (x, y) points: nbox*4 box corners (top-left,
     * top-right, bottom-right, bottom-left) then npoint keypoints. */
    double *pts;
    int64_t nbox, npoint;
} vn__aug_sample;

/* Raise an error naming the op being applied: "augment op 2 'hue': ...". */
vn_status vn__aug_fail(const vn__aug_sample *s, vn_status status, const char *fmt, ...)
    VN_PRINTF(3, 4);

/* Check an op's parameters (typed adders and the spec parser call it);
 * VN_ERR_INVALID_ARG with a message "<key>: ..." naming the bad value. */
vn_status vn__aug_validate(const vn__aug_op *op);
/* Append a validated copy of op. */
vn_status vn__aug_push(vn_augment *aug, const vn__aug_op *op);
/* Fill op with the defaults of spec name `name` (false: unknown name). */
bool vn__aug_defaults(const char *name, vn__aug_op *op);

/* Height and width a pipeline turns an h x w image into (crops resize). */
void vn__aug_output_size(const vn_augment *aug, int64_t *h, int64_t *w);

/* ---- the ops, one function per family file ------------------------------ */
vn_status vn__aug_geometric(const vn__aug_op *op, vn__aug_sample *s);   /* geometric.c */
vn_status vn__aug_noise(const vn__aug_op *op, vn__aug_sample *s);       /* noise.c */
vn_status vn__aug_color(const vn__aug_op *op, vn__aug_sample *s);       /* color.c */
vn_status vn__aug_blur(const vn__aug_op *op, vn__aug_sample *s);        /* blur.c */
vn_status vn__aug_erase(const vn__aug_op *op, vn__aug_sample *s);       /* erase.c */

/* Colour channels of a c-channel image: 2 and 4 end with alpha. */
static inline int vn__aug_color_channels(int64_t c)
{
    return (c == 2 || c == 4) ? (int)c - 1 : (int)c;
}

/* c ? a : b as bit masks, for loops meant to vectorise. GCC vectorises a
 * ?: between computed floats only if it has not sunk their computation
 * into the branch taken, which it does, and then it may not speculate them
 * back under the default -ftrapping-math ("control flow in loop"); a
 * select on bits keeps every operation unconditional. */
static inline float vn__aug_sel(int c, float a, float b)
{
    uint32_t ua, ub, m = -(uint32_t)(c != 0);
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    uint32_t r = (ua & m) | (ub & ~m);
    float f;
    memcpy(&f, &r, sizeof f);
    return f;
}

/* Kernels compiled twice from one body: for the baseline ISA and, on x86,
 * for AVX2, picked at run time. Both copies compute the same IEEE
 * operations (the build is ISO C, so -ffp-contract=off: no FMA), so results
 * never depend on the machine. VN__AUG_MULTIVERSION(ret, name, params, args)
 * defines `static ret name params` calling `name##_body args`, an
 * always-inline function the file defines first. */
#define VN__AUG_INLINE static inline __attribute__((always_inline))
#if defined(__GNUC__) && defined(__x86_64__)
#define VN__AUG_AVX512 "avx512f,avx512bw,avx512vl,avx512dq,prefer-vector-width=512"
#define VN__AUG_MULTIVERSION(ret, name, params, args)                                      \
    static ret name##_base params { return name##_body args; }                            \
    __attribute__((target("avx2"))) static ret name##_avx2 params                         \
    {                                                                                      \
        return name##_body args;                                                           \
    }                                                                                      \
    __attribute__((target(VN__AUG_AVX512))) static ret name##_avx512 params               \
    {                                                                                      \
        return name##_body args;                                                           \
    }                                                                                      \
    static ret name params                                                                 \
    {                                                                                      \
        if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&    \
            __builtin_cpu_supports("avx512dq"))                                            \
            return name##_avx512 args;                                                     \
        return __builtin_cpu_supports("avx2") ? name##_avx2 args : name##_base args;      \
    }
#else
#define VN__AUG_MULTIVERSION(ret, name, params, args)                                      \
    static ret name params { return name##_body args; }
#endif

/* ---- random draws (random.c) --------------------------------------------- */
/* The stream of op k of sample (epoch, index) under seed. */
void vn__aug_rng(struct vn_rng *rng, uint64_t seed, uint64_t epoch, uint64_t index, int op);
/* Uniform double in [lo, hi) from 53 random bits (two words); lo when
 * lo == hi. The counterpart of torch's uniform_(lo, hi). */
double vn__aug_uniform(struct vn_rng *rng, double lo, double hi);
/* Uniform integer in [lo, hi) (torch.randint(lo, hi)); lo when hi <= lo. */
int64_t vn__aug_randint(struct vn_rng *rng, int64_t lo, int64_t hi);
/* A uniformly random permutation of 0..n-1 (Fisher-Yates). */
void vn__aug_randperm(struct vn_rng *rng, int *perm, int n);
/* n standard normals, fast: 16 random bits each through an inverse-CDF
 * table (tails cut at +-4.17). */
void vn__aug_normals(struct vn_rng *rng, float *out, int64_t n);
/* Gamma(shape, 1) (Marsaglia-Tsang) and Beta(a, b) draws. */
double vn__aug_gamma(struct vn_rng *rng, double shape);
double vn__aug_beta(struct vn_rng *rng, double a, double b);

#endif /* VN_AUGMENT_INTERNAL_H */
