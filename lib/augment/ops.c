/*
 * ops.c - the catalogue of ops: each spec name's kind and defaults, the
 * checks every op's parameters pass, and the typed adders of augment.h
 * (which fill an op record and push it, exactly as the spec parser does).
 *
 * Defaults are torchvision's where the op comes from torchvision
 * (RandomHorizontalFlip p 0.5, RandomResizedCrop scale (0.08, 1) ratio
 * (3/4, 4/3), RandomPerspective 0.5 / p 0.5, RandomGrayscale p 0.1,
 * GaussianBlur sigma (0.1, 2), RandomAdjustSharpness p 0.5, RandomErasing
 * p 0.5, scale (0.02, 0.33), ratio (0.3, 3.3)); docs/augmentation.md lists
 * them all.
 */
#include "augment/augment_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void set_name(vn__aug_op *op, const char *name)
{
    snprintf(op->name, sizeof op->name, "%s", name);
}

static void affine_identity(vn__aug_op *op)
{
    op->kind = VN__AUG_AFFINE;
    op->p = 1;
    op->u.affine.scale[0] = op->u.affine.scale[1] = 1;
    op->u.affine.interp = VN_INTERP_BILINEAR;
    op->u.affine.border = VN_BORDER_CONSTANT;
}

bool vn__aug_defaults(const char *name, vn__aug_op *op)
{
    memset(op, 0, sizeof *op);
    set_name(op, name);
    op->p = 1;
    if (!strcmp(name, "hflip") || !strcmp(name, "vflip")) {
        op->kind = VN__AUG_FLIP;
        op->p = 0.5f;
        op->u.flip.dir = name[0] == 'h' ? VN_FLIP_HORIZONTAL : VN_FLIP_VERTICAL;
    } else if (!strcmp(name, "random_crop")) {
        op->kind = VN__AUG_RANDOM_CROP;
        op->u.crop.border = VN_BORDER_CONSTANT;
    } else if (!strcmp(name, "random_resized_crop")) {
        op->kind = VN__AUG_RESIZED_CROP;
        op->u.rrc.scale[0] = 0.08f, op->u.rrc.scale[1] = 1.0f;
        op->u.rrc.ratio[0] = 3.0f / 4, op->u.rrc.ratio[1] = 4.0f / 3;
        op->u.rrc.interp = VN_INTERP_BILINEAR;
    } else if (!strcmp(name, "affine") || !strcmp(name, "rotate") || !strcmp(name, "translate") ||
               !strcmp(name, "scale") || !strcmp(name, "shear")) {
        affine_identity(op);
    } else if (!strcmp(name, "perspective")) {
        op->kind = VN__AUG_PERSPECTIVE;
        op->p = 0.5f;
        op->u.persp.distortion = 0.5f;
        op->u.persp.interp = VN_INTERP_BILINEAR;
        op->u.persp.border = VN_BORDER_CONSTANT;
    } else if (!strcmp(name, "gaussian_noise")) {
        op->kind = VN__AUG_GAUSSIAN_NOISE;
        op->u.noise.sigma = 0.05f;
    } else if (!strcmp(name, "speckle")) {
        op->kind = VN__AUG_SPECKLE;
        op->u.noise.sigma = 0.1f;
    } else if (!strcmp(name, "salt_pepper")) {
        op->kind = VN__AUG_SALT_PEPPER;
        op->u.sp.amount = 0.05f;
        op->u.sp.salt = 0.5f;
    } else if (!strcmp(name, "color_jitter") || !strcmp(name, "brightness") ||
               !strcmp(name, "contrast") || !strcmp(name, "saturation") || !strcmp(name, "hue")) {
        op->kind = VN__AUG_COLOR_JITTER;
        op->u.jitter.b[0] = op->u.jitter.b[1] = 1;
        op->u.jitter.c[0] = op->u.jitter.c[1] = 1;
        op->u.jitter.s[0] = op->u.jitter.s[1] = 1;
    } else if (!strcmp(name, "gamma")) {
        op->kind = VN__AUG_GAMMA;
        op->u.gamma.g[0] = 0.8f, op->u.gamma.g[1] = 1.25f;
    } else if (!strcmp(name, "grayscale")) {
        op->kind = VN__AUG_GRAYSCALE;
        op->p = 0.1f;
    } else if (!strcmp(name, "channel_shuffle")) {
        op->kind = VN__AUG_CHANNEL_SHUFFLE;
    } else if (!strcmp(name, "blur")) {
        op->kind = VN__AUG_BLUR;
        op->u.blur.k = 3;
        op->u.blur.sigma[0] = 0.1f, op->u.blur.sigma[1] = 2.0f;
    } else if (!strcmp(name, "sharpen")) {
        op->kind = VN__AUG_SHARPEN;
        op->p = 0.5f;
        op->u.sharpen.f[0] = op->u.sharpen.f[1] = 2.0f;
    } else if (!strcmp(name, "erase")) {
        op->kind = VN__AUG_ERASE;
        op->p = 0.5f;
        op->u.erase.scale[0] = 0.02f, op->u.erase.scale[1] = 0.33f;
        op->u.erase.ratio[0] = 0.3f, op->u.erase.ratio[1] = 3.3f;
        op->u.erase.nvalue = 1;
    } else {
        return false;
    }
    return true;
}

/* ---- checks ---------------------------------------------------------------- */

#define BAD(...) return vn__error(VN_ERR_INVALID_ARG, __VA_ARGS__)

static vn_status check_range(const char *key, const float r[2], double lo, double hi)
{
    if (!isfinite(r[0]) || !isfinite(r[1]) || r[0] > r[1] || r[0] < lo || r[1] > hi)
        BAD("%s: range %g,%g is not an increasing range inside [%g, %g]", key, r[0], r[1], lo, hi);
    return VN_OK;
}

static vn_status check_sampling(vn_interp interp, vn_border border, float fill)
{
    if (interp != VN_INTERP_NEAREST && interp != VN_INTERP_BILINEAR)
        BAD("interp: %d is not nearest (0) or bilinear (1)", (int)interp);
    if (border != VN_BORDER_CONSTANT && border != VN_BORDER_REPLICATE && border != VN_BORDER_REFLECT)
        BAD("border: %d is not constant, edge or reflect", (int)border);
    if (!isfinite(fill))
        BAD("fill: %g is not finite", fill);
    return VN_OK;
}

vn_status vn__aug_validate(const vn__aug_op *op)
{
    if (!(op->p >= 0 && op->p <= 1))
        BAD("p: %g is not in [0, 1]", op->p);
    switch (op->kind) {
    case VN__AUG_FLIP:
        if (op->u.flip.dir != VN_FLIP_HORIZONTAL && op->u.flip.dir != VN_FLIP_VERTICAL)
            BAD("direction: %d is not VN_FLIP_HORIZONTAL or VN_FLIP_VERTICAL (add two flips "
                "for both)", (int)op->u.flip.dir);
        return VN_OK;
    case VN__AUG_RANDOM_CROP:
        if (op->p != 1)
            BAD("p: the op changes the image size, so it always runs (p must be 1)");
        if (op->u.crop.h < 1 || op->u.crop.w < 1 || op->u.crop.h > (1 << 24) || op->u.crop.w > (1 << 24))
            BAD("size: %dx%d is not a positive size (give size=H,W)", op->u.crop.h, op->u.crop.w);
        if (op->u.crop.pad < 0 || op->u.crop.pad > (1 << 20))
            BAD("pad: %d is negative or too large", op->u.crop.pad);
        return check_sampling(VN_INTERP_NEAREST, op->u.crop.border, op->u.crop.fill);
    case VN__AUG_RESIZED_CROP:
        if (op->p != 1)
            BAD("p: the op changes the image size, so it always runs (p must be 1)");
        if (op->u.rrc.h < 1 || op->u.rrc.w < 1 || op->u.rrc.h > (1 << 24) || op->u.rrc.w > (1 << 24))
            BAD("size: %dx%d is not a positive size (give size=H,W)", op->u.rrc.h, op->u.rrc.w);
        VN_TRY(check_range("scale", op->u.rrc.scale, 1e-9, 1e9));
        VN_TRY(check_range("ratio", op->u.rrc.ratio, 1e-9, 1e9));
        return check_sampling(op->u.rrc.interp, VN_BORDER_CONSTANT, 0);
    case VN__AUG_AFFINE:
        VN_TRY(check_range("deg", op->u.affine.deg, -36000, 36000));
        if (!(op->u.affine.translate[0] >= 0 && op->u.affine.translate[0] <= 1 &&
              op->u.affine.translate[1] >= 0 && op->u.affine.translate[1] <= 1))
            BAD("translate: %g,%g are not fractions in [0, 1]", op->u.affine.translate[0],
                op->u.affine.translate[1]);
        VN_TRY(check_range("scale", op->u.affine.scale, 1e-6, 1e6));
        VN_TRY(check_range("shear (x)", op->u.affine.shear, -89, 89));
        VN_TRY(check_range("shear (y)", op->u.affine.shear + 2, -89, 89));
        return check_sampling(op->u.affine.interp, op->u.affine.border, op->u.affine.fill);
    case VN__AUG_PERSPECTIVE:
        if (!(op->u.persp.distortion >= 0 && op->u.persp.distortion <= 1))
            BAD("d: distortion %g is not in [0, 1]", op->u.persp.distortion);
        return check_sampling(op->u.persp.interp, op->u.persp.border, op->u.persp.fill);
    case VN__AUG_GAUSSIAN_NOISE:
    case VN__AUG_SPECKLE:
        if (!(op->u.noise.sigma >= 0 && op->u.noise.sigma <= 1e6))
            BAD("sigma: %g is not >= 0", op->u.noise.sigma);
        return VN_OK;
    case VN__AUG_SALT_PEPPER:
        if (!(op->u.sp.amount >= 0 && op->u.sp.amount <= 1))
            BAD("amount: %g is not in [0, 1]", op->u.sp.amount);
        if (!(op->u.sp.salt >= 0 && op->u.sp.salt <= 1))
            BAD("svp: salt_vs_pepper %g is not in [0, 1]", op->u.sp.salt);
        return VN_OK;
    case VN__AUG_COLOR_JITTER:
        VN_TRY(check_range("b", op->u.jitter.b, 0, 1e6));
        VN_TRY(check_range("c", op->u.jitter.c, 0, 1e6));
        VN_TRY(check_range("s", op->u.jitter.s, 0, 1e6));
        return check_range("h", op->u.jitter.h, -0.5, 0.5);
    case VN__AUG_GAMMA:
        return check_range("g", op->u.gamma.g, 0, 1e6);
    case VN__AUG_GRAYSCALE:
    case VN__AUG_CHANNEL_SHUFFLE:
        return VN_OK;
    case VN__AUG_BLUR:
        if (op->u.blur.k < 1 || op->u.blur.k % 2 == 0 || op->u.blur.k > 1023)
            BAD("k: kernel size %d is not an odd number in 1..1023", op->u.blur.k);
        return check_range("sigma", op->u.blur.sigma, 1e-6, 1e6);
    case VN__AUG_SHARPEN:
        return check_range("f", op->u.sharpen.f, 0, 1e6);
    case VN__AUG_ERASE:
        VN_TRY(check_range("scale", op->u.erase.scale, 0, 1));
        VN_TRY(check_range("ratio", op->u.erase.ratio, 1e-9, 1e9));
        if (op->u.erase.nvalue < 1 || op->u.erase.nvalue > 4)
            BAD("value: %d values, 1 to 4 are allowed", op->u.erase.nvalue);
        for (int i = 0; i < op->u.erase.nvalue; i++)
            if (!isfinite(op->u.erase.value[i]))
                BAD("value: %g is not finite", op->u.erase.value[i]);
        return VN_OK;
    }
    BAD("unknown op kind %d", (int)op->kind);
}

/* ---- typed adders ------------------------------------------------------------ */

static vn_status add_named(vn_augment *aug, const char *name, vn__aug_op *op)
{
    if (!aug)
        return vn__error(VN_ERR_INVALID_ARG, "augment_add_%s: pipeline is NULL", name);
    return vn__aug_push(aug, op);
}

VN_API vn_status vn_augment_add_flip(vn_augment *aug, vn_flip direction, float p)
{
    vn__aug_op op;
    vn__aug_defaults(direction == VN_FLIP_VERTICAL ? "vflip" : "hflip", &op);
    op.u.flip.dir = direction;
    op.p = p;
    return add_named(aug, "flip", &op);
}

VN_API vn_status vn_augment_add_random_crop(vn_augment *aug, int height, int width, int padding,
                                            int pad_if_needed, vn_border border, float fill)
{
    vn__aug_op op;
    vn__aug_defaults("random_crop", &op);
    op.u.crop.h = height, op.u.crop.w = width, op.u.crop.pad = padding;
    op.u.crop.pad_if_needed = pad_if_needed != 0;
    op.u.crop.border = border, op.u.crop.fill = fill;
    return add_named(aug, "random_crop", &op);
}

VN_API vn_status vn_augment_add_random_resized_crop(vn_augment *aug, int height, int width,
                                                    float scale_min, float scale_max,
                                                    float ratio_min, float ratio_max,
                                                    vn_interp interp)
{
    vn__aug_op op;
    vn__aug_defaults("random_resized_crop", &op);
    op.u.rrc.h = height, op.u.rrc.w = width;
    op.u.rrc.scale[0] = scale_min, op.u.rrc.scale[1] = scale_max;
    op.u.rrc.ratio[0] = ratio_min, op.u.rrc.ratio[1] = ratio_max;
    op.u.rrc.interp = interp;
    return add_named(aug, "random_resized_crop", &op);
}

VN_API vn_status vn_augment_add_affine(vn_augment *aug, const vn_augment_affine_options *o)
{
    if (!o || o->size < sizeof(vn_augment_affine_options))
        return vn__error(VN_ERR_INVALID_ARG, "augment_add_affine: options are NULL or their "
                         "size is not sizeof(vn_augment_affine_options)");
    vn__aug_op op;
    vn__aug_defaults("affine", &op);
    op.u.affine.deg[0] = o->degrees_min, op.u.affine.deg[1] = o->degrees_max;
    op.u.affine.translate[0] = o->translate_x, op.u.affine.translate[1] = o->translate_y;
    op.u.affine.scale[0] = o->scale_min, op.u.affine.scale[1] = o->scale_max;
    op.u.affine.shear[0] = o->shear_x_min, op.u.affine.shear[1] = o->shear_x_max;
    op.u.affine.shear[2] = o->shear_y_min, op.u.affine.shear[3] = o->shear_y_max;
    op.u.affine.interp = o->interp, op.u.affine.border = o->border, op.u.affine.fill = o->fill;
    op.p = o->p;
    return add_named(aug, "affine", &op);
}

VN_API vn_status vn_augment_add_rotation(vn_augment *aug, float degrees, float p)
{
    vn__aug_op op;
    vn__aug_defaults("rotate", &op);
    op.u.affine.deg[0] = -degrees, op.u.affine.deg[1] = degrees;
    op.p = p;
    return add_named(aug, "rotation", &op);
}

VN_API vn_status vn_augment_add_perspective(vn_augment *aug, float distortion_scale,
                                            vn_interp interp, vn_border border, float fill,
                                            float p)
{
    vn__aug_op op;
    vn__aug_defaults("perspective", &op);
    op.u.persp.distortion = distortion_scale;
    op.u.persp.interp = interp, op.u.persp.border = border, op.u.persp.fill = fill;
    op.p = p;
    return add_named(aug, "perspective", &op);
}

static vn_status add_noise(vn_augment *aug, const char *name, float sigma, float p)
{
    vn__aug_op op;
    vn__aug_defaults(name, &op);
    op.u.noise.sigma = sigma;
    op.p = p;
    return add_named(aug, name, &op);
}

VN_API vn_status vn_augment_add_gaussian_noise(vn_augment *aug, float sigma, float p)
{
    return add_noise(aug, "gaussian_noise", sigma, p);
}

VN_API vn_status vn_augment_add_speckle(vn_augment *aug, float sigma, float p)
{
    return add_noise(aug, "speckle", sigma, p);
}

VN_API vn_status vn_augment_add_salt_pepper(vn_augment *aug, float amount, float salt_vs_pepper,
                                            float p)
{
    vn__aug_op op;
    vn__aug_defaults("salt_pepper", &op);
    op.u.sp.amount = amount, op.u.sp.salt = salt_vs_pepper;
    op.p = p;
    return add_named(aug, "salt_pepper", &op);
}

/* ColorJitter's ranges: [max(0, 1 - v), 1 + v] for factors, [-v, v] for hue. */
static void factor_range(float v, float r[2])
{
    r[0] = v < 1 ? 1 - v : 0;
    r[1] = 1 + v;
}

VN_API vn_status vn_augment_add_color_jitter(vn_augment *aug, float brightness, float contrast,
                                             float saturation, float hue, float p)
{
    if (!(brightness >= 0 && contrast >= 0 && saturation >= 0 && hue >= 0))
        return vn__error(VN_ERR_INVALID_ARG, "augment_add_color_jitter: brightness %g, "
                         "contrast %g, saturation %g, hue %g must be >= 0", brightness, contrast,
                         saturation, hue);
    vn__aug_op op;
    vn__aug_defaults("color_jitter", &op);
    factor_range(brightness, op.u.jitter.b);
    factor_range(contrast, op.u.jitter.c);
    factor_range(saturation, op.u.jitter.s);
    op.u.jitter.h[0] = -hue, op.u.jitter.h[1] = hue;
    op.p = p;
    return add_named(aug, "color_jitter", &op);
}

VN_API vn_status vn_augment_add_gamma(vn_augment *aug, float gamma_min, float gamma_max, float p)
{
    vn__aug_op op;
    vn__aug_defaults("gamma", &op);
    op.u.gamma.g[0] = gamma_min, op.u.gamma.g[1] = gamma_max;
    op.p = p;
    return add_named(aug, "gamma", &op);
}

VN_API vn_status vn_augment_add_grayscale(vn_augment *aug, float p)
{
    vn__aug_op op;
    vn__aug_defaults("grayscale", &op);
    op.p = p;
    return add_named(aug, "grayscale", &op);
}

VN_API vn_status vn_augment_add_channel_shuffle(vn_augment *aug, float p)
{
    vn__aug_op op;
    vn__aug_defaults("channel_shuffle", &op);
    op.p = p;
    return add_named(aug, "channel_shuffle", &op);
}

VN_API vn_status vn_augment_add_gaussian_blur(vn_augment *aug, int kernel_size, float sigma_min,
                                              float sigma_max, float p)
{
    vn__aug_op op;
    vn__aug_defaults("blur", &op);
    op.u.blur.k = kernel_size;
    op.u.blur.sigma[0] = sigma_min, op.u.blur.sigma[1] = sigma_max;
    op.p = p;
    return add_named(aug, "blur", &op);
}

VN_API vn_status vn_augment_add_sharpen(vn_augment *aug, float factor_min, float factor_max,
                                        float p)
{
    vn__aug_op op;
    vn__aug_defaults("sharpen", &op);
    op.u.sharpen.f[0] = factor_min, op.u.sharpen.f[1] = factor_max;
    op.p = p;
    return add_named(aug, "sharpen", &op);
}

VN_API vn_status vn_augment_add_erase(vn_augment *aug, const vn_augment_erase_options *o)
{
    if (!o || o->size < sizeof(vn_augment_erase_options))
        return vn__error(VN_ERR_INVALID_ARG, "augment_add_erase: options are NULL or their "
                         "size is not sizeof(vn_augment_erase_options)");
    vn__aug_op op;
    vn__aug_defaults("erase", &op);
    op.p = o->p;
    op.u.erase.scale[0] = o->scale_min, op.u.erase.scale[1] = o->scale_max;
    op.u.erase.ratio[0] = o->ratio_min, op.u.erase.ratio[1] = o->ratio_max;
    op.u.erase.random = o->random != 0;
    op.u.erase.nvalue = o->value_count;
    for (int i = 0; i < 4; i++)
        op.u.erase.value[i] = o->value[i];
    return add_named(aug, "erase", &op);
}
