/*
 * adversarial.c - adversarial examples against a model: FGSM (Goodfellow,
 * Shlens and Szegedy, "Explaining and harnessing adversarial examples",
 * ICLR 2015) and PGD (Madry et al., "Towards deep learning models
 * resistant to adversarial attacks", ICLR 2018).
 *
 * PGD with k steps of size a in the L-infinity ball of radius eps:
 *   x_0 = x (+ uniform(-eps, eps) per element with a random start, clamped)
 *   x_{t+1} = clamp(clip(x_t + a * sign(d L / d x_t), x - eps, x + eps),
 *                   clamp_min, clamp_max)
 * with L the mean softmax cross-entropy of the model's logits and the true
 * labels (vn_loss_cross_entropy) and the gradient from vn_model_backward's
 * input gradient. FGSM is one step of size eps without a random start.
 *
 * The model is only read: for the attack every node is made non-trainable
 * (no parameter gradient is accumulated, batch-norm normalises with its
 * running statistics and leaves them alone), and afterwards each node's
 * trainable flag and the model's step counter are put back.
 */
#include "augment/augment_internal.h"
#include "nn/model.h"

#include <math.h>
#include <string.h>
#include <visionnet/train.h>

#define PGD_STREAM_TAG 0x706764ull /* "pgd" */

static vn_status attack(vn_model *m, const vn_tensor *images, const vn_tensor *labels,
                        const vn_augment_pgd_options *o, vn_tensor **out)
{
    char sbuf[96];
    if (images->dtype != VN_F32 || images->ndim < 2)
        return vn__error(VN_ERR_SHAPE, "augment_pgd: images must be f32 [N, ...], got %s %s",
                         vn_dtype_name(images->dtype), vn__shape_str(images, sbuf, sizeof sbuf));
    int64_t N = images->shape[0];
    if (labels->dtype != VN_I32 || labels->ndim != 1 || labels->shape[0] != N)
        return vn__error(VN_ERR_SHAPE, "augment_pgd: labels must be i32 [%lld], got %s %s",
                         (long long)N, vn_dtype_name(labels->dtype),
                         vn__shape_str(labels, sbuf, sizeof sbuf));
    size_t count = images->numel, per = N ? count / (size_t)N : 0;
    const float *x0 = images->data;
    vn_tensor *x = NULL, *dlogits = NULL;
    VN_TRY(vn_tensor_copy(images, &x));
    float *xv = x->data;
    float eps = o->epsilon, lo = o->clamp_min, hi = o->clamp_max;
    if (o->random_start) {
        for (int64_t n = 0; n < N; n++) {
            struct vn_rng rng;
            vn__rng_init(&rng, o->seed, vn__rng_stream(PGD_STREAM_TAG, (uint64_t)n, 0));
            for (size_t i = 0; i < per; i++) {
                size_t at = (size_t)n * per + i;
                float v = xv[at] + (2 * vn_rng_uniform(&rng) - 1) * eps;
                xv[at] = v < lo ? lo : v > hi ? hi : v;
            }
        }
    }
    vn_status st = VN_OK;
    for (int k = 0; k < o->steps && st == VN_OK; k++) {
        const vn_tensor *logits = NULL, *gin = NULL;
        st = vn_model_forward(m, x, VN_MODE_TRAINING, &logits);
        if (st == VN_OK && !dlogits)
            st = vn_tensor_create(VN_F32, logits->ndim, logits->shape, &dlogits);
        float loss;
        if (st == VN_OK)
            st = vn_loss_cross_entropy(logits, labels, 0.0f, &loss, dlogits);
        if (st == VN_OK)
            st = vn_model_backward(m, dlogits, &gin);
        if (st != VN_OK)
            break;
        const float *g = gin->data;
        for (size_t i = 0; i < count; i++) {
            float sgn = g[i] > 0 ? 1.0f : g[i] < 0 ? -1.0f : 0.0f;
            float v = xv[i] + o->step_size * sgn;
            v = fminf(fmaxf(v, x0[i] - eps), x0[i] + eps);
            xv[i] = v < lo ? lo : v > hi ? hi : v;
        }
    }
    vn_tensor_destroy(dlogits);
    if (st != VN_OK) {
        vn_tensor_destroy(x);
        return st;
    }
    *out = x;
    return VN_OK;
}

VN_API vn_status vn_augment_pgd(vn_model *model, const vn_tensor *images,
                                const vn_tensor *labels, const vn_augment_pgd_options *opts,
                                vn_tensor **out)
{
    if (!model || !images || !labels || !out)
        return vn__error(VN_ERR_INVALID_ARG, "augment_pgd: NULL argument");
    vn_augment_pgd_options o = VN_AUGMENT_PGD_OPTIONS_INIT;
    if (opts) {
        if (opts->size < sizeof o)
            return vn__error(VN_ERR_INVALID_ARG, "augment_pgd: options size %zu is not "
                             "sizeof(vn_augment_pgd_options)", opts->size);
        o = *opts;
    }
    if (!(o.epsilon >= 0) || !(o.step_size >= 0) || o.steps < 1 || !(o.clamp_min <= o.clamp_max))
        return vn__error(VN_ERR_INVALID_ARG, "augment_pgd: epsilon %g and step_size %g must be "
                         ">= 0, steps %d >= 1, clamp_min %g <= clamp_max %g", o.epsilon,
                         o.step_size, o.steps, o.clamp_min, o.clamp_max);
    int nn = model->nnodes;
    bool *was = vn__alloc_or_error((size_t)(nn ? nn : 1) * sizeof *was, "augment_pgd");
    if (!was)
        return VN_ERR_NOMEM;
    uint64_t step = model->step;
    vn_status st = VN_OK;
    for (int i = 0; i < nn && st == VN_OK; i++) {
        was[i] = model->nodes[i].trainable;
        if (was[i])
            st = vn_model_set_trainable(model, model->nodes[i].name, 0);
    }
    if (st == VN_OK)
        st = attack(model, images, labels, &o, out);
    for (int i = 0; i < nn; i++)
        if (was[i])
            vn_model_set_trainable(model, model->nodes[i].name, 1);
    vn_model_set_step(model, step);
    vn__free(was);
    return st;
}

VN_API vn_status vn_augment_fgsm(vn_model *model, const vn_tensor *images,
                                 const vn_tensor *labels, float epsilon, float clamp_min,
                                 float clamp_max, vn_tensor **out)
{
    vn_augment_pgd_options o = VN_AUGMENT_PGD_OPTIONS_INIT;
    o.epsilon = epsilon;
    o.step_size = epsilon;
    o.steps = 1;
    o.random_start = 0;
    o.clamp_min = clamp_min;
    o.clamp_max = clamp_max;
    return vn_augment_pgd(model, images, labels, &o, out);
}
