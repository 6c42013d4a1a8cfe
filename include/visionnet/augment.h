/**
 * @file visionnet/augment.h
 * @brief Data augmentation: pipelines of random geometric, noise, colour,
 *        blur and erasing ops; mixup / cutmix on batches; adversarial
 *        examples (FGSM, PGD) against a model.
 *
 * A ::vn_augment is an ordered list of ops. Each op runs with its own
 * probability p (drawn per sample, as torchvision's `torch.rand(1) < p`) and
 * draws its random parameters per sample. Build one with typed calls
 * (vn_augment_add_flip(), vn_augment_add_affine(), ...) or from a spec
 * string, one op per `;`-separated item:
 *
 *     hflip p=0.5; rotate deg=15; color_jitter b=0.4 c=0.4 s=0.4 h=0.1; erase p=0.25
 *
 * docs/augmentation.md lists every op, its keys and defaults, and the
 * torchvision transform whose semantics it follows.
 *
 * Images. A pipeline runs on
 * - u8 images, [H, W, C] (or [H, W], one channel) and batches [N, H, W, C];
 * - f32 tensors with values in [0, 1] (torchvision's ToTensor convention),
 *   [C, H, W] and batches [N, C, H, W]. Ops clamp f32 results to [0, 1]
 *   (as torchvision's colour ops do); random erasing writes its values
 *   unclamped.
 * Colour ops treat the last channel of 2- and 4-channel images as alpha and
 * leave it alone. Brightness, contrast and gamma work on any colour channel
 * count; saturation and hue leave 1-channel (grey) images unchanged, as
 * torchvision 0.14 does; ops that need RGB on more than 4 channels are
 * refused with ::VN_ERR_SHAPE.
 *
 * Determinism. Every random choice for a sample comes from the core RNG
 * keyed by (seed, epoch, sample index, op index): the output for a sample
 * never depends on the thread count, on the batch it is in or on the other
 * samples. vn_augment_apply() on a batch of N with first_index i gives,
 * byte for byte, what N calls of vn_augment_apply_sample() with indices
 * i..i+N-1 give.
 *
 * Threads. A pipeline is read-only while it runs: several threads may apply
 * one pipeline at the same time (vn_fit()'s workers do). Building it
 * (vn_augment_add_*) must not overlap with applying it.
 */
#ifndef VISIONNET_AUGMENT_H
#define VISIONNET_AUGMENT_H

#include "core.h"
#include "tensor.h"
#include "image.h"
#include "nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An augmentation pipeline: an ordered list of random ops. */
typedef struct vn_augment vn_augment;

/* ------------------------------------------------------------------------ */
/** @name Building a pipeline */
/**@{*/

/** Create an empty pipeline (it returns its input unchanged). */
VN_API vn_status vn_augment_create(vn_augment **out);

/**
 * Create a pipeline from a spec string: ops separated by `;` (or new
 * lines), each `name key=value ...`. Ranges are written `lo,hi`; a single
 * number v means the op's symmetric range (deg=15 is -15..15, b=0.4 is
 * 0.6..1.4). An unknown op, key or a bad value is refused with
 * ::VN_ERR_FORMAT and a message naming the op's index (from 0), its name and
 * the word: "augment spec, op 1 'rotate': unknown key 'degs'".
 */
VN_API vn_status vn_augment_from_spec(const char *spec, vn_augment **out);

/** Append the ops of a spec string (as vn_augment_from_spec()) to a
 *  pipeline; op indices in messages count from the pipeline's first op.
 *  On error the pipeline is unchanged. */
VN_API vn_status vn_augment_add_spec(vn_augment *aug, const char *spec);

/** The pipeline as a spec string with every key written, which
 *  vn_augment_from_spec() turns back into the same pipeline. The caller
 *  frees *text with vn_free(). */
VN_API vn_status vn_augment_to_spec(const vn_augment *aug, char **text);

/** Destroy a pipeline. NULL is a no-op. */
VN_API void vn_augment_destroy(vn_augment *aug);

/** Number of ops in the pipeline. */
VN_API int vn_augment_op_count(const vn_augment *aug);

/** Horizontal (::VN_FLIP_HORIZONTAL, spec `hflip`) or vertical
 *  (::VN_FLIP_VERTICAL, `vflip`) flip with probability p (torchvision
 *  RandomHorizontalFlip / RandomVerticalFlip). */
VN_API vn_status vn_augment_add_flip(vn_augment *aug, vn_flip direction, float p);

/**
 * torchvision RandomCrop(size=(height, width), padding, pad_if_needed, fill,
 * padding_mode) (spec `random_crop`): pad every side by `padding` pixels
 * (border: ::VN_BORDER_CONSTANT with `fill`, ::VN_BORDER_REPLICATE = "edge",
 * ::VN_BORDER_REFLECT = "reflect"), with pad_if_needed also pad an image
 * still smaller than the crop, then cut a height x width window at a
 * uniformly drawn place. It changes the image size, so it always runs (p 1).
 */
VN_API vn_status vn_augment_add_random_crop(vn_augment *aug, int height, int width, int padding,
                                            int pad_if_needed, vn_border border, float fill);

/**
 * torchvision RandomResizedCrop(size=(height, width), scale, ratio) (spec
 * `random_resized_crop`): up to 10 attempts to draw an area fraction in
 * [scale_min, scale_max] and a log-uniform aspect ratio in [ratio_min,
 * ratio_max] that fit, else the centre crop of the ratio range; the window
 * is resized to height x width (u8: cv2.resize, f32: F.interpolate; interp
 * ::VN_INTERP_NEAREST or ::VN_INTERP_BILINEAR). Always runs (p 1).
 */
VN_API vn_status vn_augment_add_random_resized_crop(vn_augment *aug, int height, int width,
                                                    float scale_min, float scale_max,
                                                    float ratio_min, float ratio_max,
                                                    vn_interp interp);

/** Parameters of a random affine warp (vn_augment_add_affine()). Set
 *  `size`; VN_AUGMENT_AFFINE_OPTIONS_INIT gives the identity with p 1. */
typedef struct vn_augment_affine_options {
    size_t size;              /**< sizeof(vn_augment_affine_options), set by the caller */
    /** Rotation range in degrees, positive = counter-clockwise on screen
     *  (torchvision F.rotate's sense; F.affine's angle is the opposite). */
    float degrees_min, degrees_max;
    /** Largest translation as a fraction of the width / height: the shift
     *  is round(uniform(-tx*W, tx*W)) pixels, as RandomAffine's translate. */
    float translate_x, translate_y;
    float scale_min, scale_max;   /**< scale range (1, 1 = none) */
    /** Shear ranges in degrees along x and y (RandomAffine's shear). */
    float shear_x_min, shear_x_max, shear_y_min, shear_y_max;
    vn_interp interp;         /**< ::VN_INTERP_NEAREST or ::VN_INTERP_BILINEAR (default) */
    vn_border border;         /**< what lies outside: constant (default), replicate (edge), reflect */
    float fill;               /**< the constant, on the image's scale (0..255 for u8) */
    float p;                  /**< probability of the op (default 1) */
} vn_augment_affine_options;

/** Identity warp, bilinear, constant 0 outside, p 1. */
#define VN_AUGMENT_AFFINE_OPTIONS_INIT                                                     \
    { sizeof(vn_augment_affine_options), 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, \
      0.0f, 0.0f, VN_INTERP_BILINEAR, VN_BORDER_CONSTANT, 0.0f, 1.0f }

/**
 * Random affine warp about the image centre ((W-1)/2, (H-1)/2) with the
 * parameterisation of torchvision RandomAffine (rotation, translation,
 * scale, shear drawn in that order), the image keeping its size. The spec
 * names `affine`, `rotate`, `translate`, `scale` and `shear` all make this
 * op. Sampling of u8 images is OpenCV's warpAffine.
 */
VN_API vn_status vn_augment_add_affine(vn_augment *aug, const vn_augment_affine_options *opts);

/** Shorthand for a rotation by uniform(-degrees, degrees), bilinear,
 *  constant 0 outside (spec `rotate deg=...`). */
VN_API vn_status vn_augment_add_rotation(vn_augment *aug, float degrees, float p);

/**
 * torchvision RandomPerspective(distortion_scale, p) (spec `perspective`):
 * each corner moves inwards by up to distortion_scale * half the size.
 * interp nearest or bilinear, border as for the affine op.
 */
VN_API vn_status vn_augment_add_perspective(vn_augment *aug, float distortion_scale,
                                            vn_interp interp, vn_border border, float fill,
                                            float p);

/** Additive Gaussian noise x + sigma * n (spec `gaussian_noise sigma=`):
 *  sigma on the [0, 1] scale (u8 images get 255 * sigma, rounded, clamped). */
VN_API vn_status vn_augment_add_gaussian_noise(vn_augment *aug, float sigma, float p);

/** Salt-and-pepper noise as skimage.util.random_noise('s&p') (spec
 *  `salt_pepper`): each element becomes, with probability amount, the
 *  maximum (with probability salt_vs_pepper) or 0. */
VN_API vn_status vn_augment_add_salt_pepper(vn_augment *aug, float amount, float salt_vs_pepper,
                                            float p);

/** Multiplicative (speckle) noise x + x * sigma * n (spec `speckle`). */
VN_API vn_status vn_augment_add_speckle(vn_augment *aug, float sigma, float p);

/**
 * torchvision ColorJitter(brightness, contrast, saturation, hue) (spec
 * `color_jitter b= c= s= h=`; `brightness`, `contrast`, `saturation` and
 * `hue` make the one-component op): factors uniform in [max(0, 1-v), 1+v]
 * (hue in [-h, h], h <= 0.5), applied in a random order; 0 leaves a
 * component out. Formulas of torchvision 0.14's functional_tensor:
 * contrast blends with the mean of the grey image, saturation with the grey
 * image, hue goes through HSV and back. u8 results are truncated as
 * torchvision's `.to(torch.uint8)` does.
 */
VN_API vn_status vn_augment_add_color_jitter(vn_augment *aug, float brightness, float contrast,
                                             float saturation, float hue, float p);

/** Gamma correction with gamma uniform in [gamma_min, gamma_max]
 *  (torchvision adjust_gamma, gain 1; spec `gamma g=lo,hi`). */
VN_API vn_status vn_augment_add_gamma(vn_augment *aug, float gamma_min, float gamma_max, float p);

/** torchvision RandomGrayscale(p) (spec `grayscale`): RGB becomes its grey
 *  (0.2989 R + 0.587 G + 0.114 B) in all three channels. */
VN_API vn_status vn_augment_add_grayscale(vn_augment *aug, float p);

/** Random permutation of the colour channels (spec `channel_shuffle`). */
VN_API vn_status vn_augment_add_channel_shuffle(vn_augment *aug, float p);

/** torchvision GaussianBlur(kernel_size, sigma=(sigma_min, sigma_max))
 *  (spec `blur k= sigma=`): odd kernel size, sigma drawn per sample,
 *  reflect padding. */
VN_API vn_status vn_augment_add_gaussian_blur(vn_augment *aug, int kernel_size, float sigma_min,
                                              float sigma_max, float p);

/** torchvision adjust_sharpness with a factor uniform in [factor_min,
 *  factor_max] (spec `sharpen f=`; RandomAdjustSharpness is factor_min ==
 *  factor_max). */
VN_API vn_status vn_augment_add_sharpen(vn_augment *aug, float factor_min, float factor_max,
                                        float p);

/** Parameters of random erasing. Set `size`; VN_AUGMENT_ERASE_OPTIONS_INIT
 *  gives torchvision's defaults. */
typedef struct vn_augment_erase_options {
    size_t size;              /**< sizeof(vn_augment_erase_options), set by the caller */
    float p;                  /**< probability (default 0.5) */
    float scale_min, scale_max;   /**< area fraction range (0.02, 0.33) */
    float ratio_min, ratio_max;   /**< aspect ratio range (0.3, 3.3) */
    /** 1: random values (f32: standard normal as torchvision's 'random';
     *  u8: uniform bytes); 0: the values below. */
    int random;
    /** Fill per channel (the image's scale); value_count 1 fills every
     *  channel with value[0]. At most 4 values. */
    float value[4];
    int value_count;          /**< 1..4 (default 1: 0) */
} vn_augment_erase_options;

#define VN_AUGMENT_ERASE_OPTIONS_INIT \
    { sizeof(vn_augment_erase_options), 0.5f, 0.02f, 0.33f, 0.3f, 3.3f, 0, {0, 0, 0, 0}, 1 }

/** torchvision RandomErasing (spec `erase`): up to 10 attempts to place a
 *  rectangle of the drawn area and ratio inside the image. */
VN_API vn_status vn_augment_add_erase(vn_augment *aug, const vn_augment_erase_options *opts);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Applying a pipeline */
/**@{*/

/**
 * Apply the pipeline to one image: u8 [H, W, C] or [H, W], or f32 [C, H, W]
 * in [0, 1]. *out is a new tensor of the same dtype and layout (its size is
 * the crop ops' size when the pipeline has one). The random choices come
 * from (seed, epoch, index) only.
 */
VN_API vn_status vn_augment_apply_sample(const vn_augment *aug, const vn_tensor *image,
                                         uint64_t seed, uint64_t epoch, uint64_t index,
                                         vn_tensor **out);

/**
 * vn_augment_apply_sample() with annotations that follow the geometric ops.
 * boxes: NULL or f32 [B, 4] boxes [x1, y1, x2, y2]; points: NULL or f32
 * [P, 2] keypoints [x, y]. Coordinates are continuous pixel coordinates:
 * pixel (row r, column c) covers [c, c+1) x [r, r+1), so a horizontal flip
 * maps x to W - x. Each box is carried as its four corners; the result is
 * the axis-aligned box around them, clipped to the image after every crop
 * and at the end (a box that leaves the image has zero width or height).
 * Points are moved and not clipped: a point outside [0, W) x [0, H) has
 * left the image. *boxes_out / *points_out (new f32 tensors of the same
 * shapes) may be NULL when the matching input is NULL.
 */
VN_API vn_status vn_augment_apply_sample_ex(const vn_augment *aug, const vn_tensor *image,
                                            uint64_t seed, uint64_t epoch, uint64_t index,
                                            const vn_tensor *boxes, const vn_tensor *points,
                                            vn_tensor **out, vn_tensor **boxes_out,
                                            vn_tensor **points_out);

/**
 * Apply the pipeline to an image or a batch: u8 [H, W, C] / [N, H, W, C] or
 * f32 [C, H, W] / [N, C, H, W]. Sample n of a batch is sample index
 * first_index + n; the samples run in parallel on the library's threads.
 * *out is new, of the input's dtype and layout.
 */
VN_API vn_status vn_augment_apply(const vn_augment *aug, const vn_tensor *images, uint64_t seed,
                                  uint64_t epoch, uint64_t first_index, vn_tensor **out);

/**
 * A per-sample hook for a training dataset, with the signature of
 * experimental.h's vn_sample_fn: pass it with the pipeline as user data,
 * `vn_dataset_set_sample_fn(ds, vn_augment_sample_hook, aug)`, and vn_fit()
 * augments every training image on its worker threads. It replaces *image
 * (u8 [H, W, C]) by vn_augment_apply_sample(aug, *image, seed, epoch,
 * index). The pipeline must outlive the training run.
 */
VN_API vn_status vn_augment_sample_hook(vn_tensor **image, uint64_t seed, uint64_t epoch,
                                        uint64_t index, void *aug);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Mixing a batch: mixup and cutmix */
/**@{*/

/** How vn_augment_mix_batch() mixes. Values are pinned. */
typedef enum vn_mix_kind {
    VN_MIX_MIXUP = 1,   /**< x = lam*x + (1-lam)*x_rolled (Zhang et al. 2018) */
    VN_MIX_CUTMIX = 2   /**< a box of x_rolled pasted into x (Yun et al. 2019) */
} vn_mix_kind;

/**
 * Mix a batch with itself rolled by one sample (sample n with sample n-1,
 * sample 0 with N-1), as torchvision's references/classification
 * RandomMixup / RandomCutmix: lam ~ Beta(alpha, alpha), one per batch; for
 * cutmix a box of side sqrt(1-lam) around a uniform centre, clipped, and
 * lam set to the kept area fraction. images: u8 [N, H, W, C] or f32
 * [N, C, H, W]; labels: i32 [N] in 0..num_classes-1. *images_out: mixed
 * images (u8 mixup rounds); *targets_out: f32 [N, num_classes] soft targets
 * lam*onehot(y) + (1-lam)*onehot(y_rolled), which vn_loss_cross_entropy()
 * accepts. The draw comes from (seed, step). alpha > 0.
 */
VN_API vn_status vn_augment_mix_batch(vn_mix_kind kind, float alpha, const vn_tensor *images,
                                      const vn_tensor *labels, int num_classes, uint64_t seed,
                                      uint64_t step, vn_tensor **images_out,
                                      vn_tensor **targets_out);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Adversarial examples: FGSM and PGD */
/**@{*/

/** Parameters of vn_augment_pgd(). Set `size`; VN_AUGMENT_PGD_OPTIONS_INIT
 *  gives Madry et al.'s CIFAR setting on [0, 1] images. */
typedef struct vn_augment_pgd_options {
    size_t size;          /**< sizeof(vn_augment_pgd_options), set by the caller */
    float epsilon;        /**< L-infinity radius (default 8/255) */
    float step_size;      /**< per-step size (default 2/255) */
    int steps;            /**< k >= 1 (default 10) */
    int random_start;     /**< 1 (default): start at a uniform point of the ball */
    float clamp_min;      /**< valid input range, applied after every step (default 0) */
    float clamp_max;      /**< (default 1) */
    uint64_t seed;        /**< keys the random start, per sample (default 0) */
} vn_augment_pgd_options;

#define VN_AUGMENT_PGD_OPTIONS_INIT \
    { sizeof(vn_augment_pgd_options), 8.0f / 255, 2.0f / 255, 10, 1, 0.0f, 1.0f, 0 }

/**
 * Projected gradient descent (Madry et al. 2018) on the softmax
 * cross-entropy of model: k times x = clamp(proj_eps(x + step *
 * sign(d loss / d x)), clamp_min, clamp_max), from x0 (+ a uniform start in
 * the eps ball). images f32 [N, model input...] (the model's input space,
 * after preprocessing), labels i32 [N]; *out new f32 like images. The
 * model's parameters, gradients, running statistics and step counter are
 * left as they were: every node is frozen during the attack (so batch-norm
 * uses its running statistics) and then restored. Dropout layers drop as
 * in training (their masks keyed by the model's step).
 */
VN_API vn_status vn_augment_pgd(vn_model *model, const vn_tensor *images,
                                const vn_tensor *labels, const vn_augment_pgd_options *opts,
                                vn_tensor **out);

/** FGSM (Goodfellow et al. 2015): one PGD step of size epsilon without
 *  random start, x + eps * sign(grad), clamped to [clamp_min, clamp_max]. */
VN_API vn_status vn_augment_fgsm(vn_model *model, const vn_tensor *images,
                                 const vn_tensor *labels, float epsilon, float clamp_min,
                                 float clamp_max, vn_tensor **out);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_AUGMENT_H */
