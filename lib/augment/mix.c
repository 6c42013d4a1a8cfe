/*
 * mix.c - mixup (Zhang et al., ICLR 2018) and cutmix (Yun et al., ICCV
 * 2019) on a batch, as torchvision's references/classification/
 * transforms.py RandomMixup / RandomCutmix (with p = 1: the caller decides
 * when to mix):
 *
 *   rolled = batch rolled by one sample (rolled[n] = batch[n-1]);
 *   lam ~ Beta(alpha, alpha), one draw for the batch;
 *   mixup:  x = lam * x + (1 - lam) * rolled;
 *   cutmix: centre (r_x, r_y) uniform over the pixels, half sides
 *           int(0.5 sqrt(1 - lam) * W) and int(0.5 sqrt(1 - lam) * H),
 *           the box clipped to the image is copied from rolled and lam
 *           becomes 1 - box area / image area;
 *   targets = lam * onehot(y) + (1 - lam) * onehot(rolled y).
 *
 * The draws come from the core RNG keyed by (seed, step), so a run is
 * reproducible whatever the thread count.
 */
#include "augment/augment_internal.h"

#include <math.h>
#include <string.h>

#define MIX_STREAM_TAG 0x6d6978ull /* "mix" */

VN_API vn_status vn_augment_mix_batch(vn_mix_kind kind, float alpha, const vn_tensor *images,
                                      const vn_tensor *labels, int num_classes, uint64_t seed,
                                      uint64_t step, vn_tensor **images_out,
                                      vn_tensor **targets_out)
{
    char sbuf[96];
    if (!images || !labels || !images_out || !targets_out)
        return vn__error(VN_ERR_INVALID_ARG, "augment_mix_batch: NULL argument");
    if (kind != VN_MIX_MIXUP && kind != VN_MIX_CUTMIX)
        return vn__error(VN_ERR_INVALID_ARG, "augment_mix_batch: unknown kind %d", (int)kind);
    if (!(alpha > 0) || !isfinite(alpha))
        return vn__error(VN_ERR_INVALID_ARG, "augment_mix_batch: alpha %g is not > 0", alpha);
    if (num_classes < 1)
        return vn__error(VN_ERR_INVALID_ARG, "augment_mix_batch: num_classes %d is not >= 1",
                         num_classes);
    bool u8 = images->dtype == VN_U8;
    if (images->ndim != 4 || (!u8 && images->dtype != VN_F32) || images->shape[0] < 1)
        return vn__error(VN_ERR_SHAPE, "augment_mix_batch: images must be u8 [N,H,W,C] or f32 "
                         "[N,C,H,W], got %s %s", vn_dtype_name(images->dtype),
                         vn__shape_str(images, sbuf, sizeof sbuf));
    int64_t N = images->shape[0];
    if (labels->dtype != VN_I32 || labels->ndim != 1 || labels->shape[0] != N)
        return vn__error(VN_ERR_SHAPE, "augment_mix_batch: labels must be i32 [%lld], got %s %s",
                         (long long)N, vn_dtype_name(labels->dtype),
                         vn__shape_str(labels, sbuf, sizeof sbuf));
    const int32_t *y = labels->data;
    for (int64_t n = 0; n < N; n++)
        if (y[n] < 0 || y[n] >= num_classes)
            return vn__error(VN_ERR_INVALID_ARG, "augment_mix_batch: label %d of sample %lld is "
                             "not in 0..%d", y[n], (long long)n, num_classes - 1);
    int64_t H = u8 ? images->shape[1] : images->shape[2];
    int64_t W = u8 ? images->shape[2] : images->shape[3];
    int64_t C = u8 ? images->shape[3] : images->shape[1];

    struct vn_rng rng;
    vn__rng_init(&rng, seed, vn__rng_stream(step, MIX_STREAM_TAG, 0));
    double lam = vn__aug_beta(&rng, alpha, alpha);

    vn_tensor *out = NULL, *tg = NULL;
    VN_TRY(vn_tensor_copy(images, &out));
    int64_t tshape[2] = {N, num_classes};
    vn_status st = vn_tensor_create(VN_F32, 2, tshape, &tg);
    if (st != VN_OK) {
        vn_tensor_destroy(out);
        return st;
    }
    size_t per = images->numel / (size_t)N;
    if (kind == VN_MIX_MIXUP) {
        for (int64_t n = 0; n < N; n++) {
            int64_t r = (n + N - 1) % N;
            for (size_t i = 0; i < per; i++) {
                size_t a = (size_t)n * per + i, b = (size_t)r * per + i;
                if (u8) {
                    const uint8_t *x = images->data;
                    double v = nearbyint(lam * x[a] + (1 - lam) * x[b]);
                    ((uint8_t *)out->data)[a] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                } else {
                    const float *x = images->data;
                    ((float *)out->data)[a] = (float)(lam * x[a] + (1 - lam) * x[b]);
                }
            }
        }
    } else {
        int64_t rx = vn__aug_randint(&rng, 0, W), ry = vn__aug_randint(&rng, 0, H);
        double r = 0.5 * sqrt(1.0 - lam);
        int64_t rw = (int64_t)(r * (double)W), rh = (int64_t)(r * (double)H);
        int64_t x1 = VN_MAX(rx - rw, 0), y1 = VN_MAX(ry - rh, 0);
        int64_t x2 = VN_MIN(rx + rw, W), y2 = VN_MIN(ry + rh, H);
        size_t es = vn_dtype_size(images->dtype);
        for (int64_t n = 0; n < N; n++) {
            int64_t src = (n + N - 1) % N;
            const uint8_t *S = (const uint8_t *)images->data + (size_t)src * per * es;
            uint8_t *D = (uint8_t *)out->data + (size_t)n * per * es;
            if (u8) {
                for (int64_t yy = y1; yy < y2; yy++) {
                    size_t at = (size_t)((yy * W + x1) * C) * es;
                    memcpy(D + at, S + at, (size_t)((x2 - x1) * C) * es);
                }
            } else {
                for (int64_t c = 0; c < C; c++)
                    for (int64_t yy = y1; yy < y2; yy++) {
                        size_t at = (size_t)((c * H + yy) * W + x1) * es;
                        memcpy(D + at, S + at, (size_t)(x2 - x1) * es);
                    }
            }
        }
        lam = 1.0 - (double)((x2 - x1) * (y2 - y1)) / (double)(W * H);
    }
    float *t = tg->data;
    for (int64_t n = 0; n < N; n++) {
        int64_t r = (n + N - 1) % N;
        t[n * num_classes + y[n]] += (float)lam;
        t[n * num_classes + y[r]] += (float)(1 - lam);
    }
    *images_out = out;
    *targets_out = tg;
    return VN_OK;
}
