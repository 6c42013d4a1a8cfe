/*
 * pipeline.c - vn_augment: an ordered list of random ops, and applying it
 * to images, batches and annotated samples.
 *
 * What it computes. For sample `index` of epoch `epoch`, op k of the
 * pipeline opens its own random stream, keyed by (seed, epoch, index, k)
 * (random.c), draws u in [0, 1) and runs when u < p, as torchvision's
 * `torch.rand(1) < self.p`; the op then draws its own parameters (an
 * angle, a crop window, jitter factors, noise) from the same stream. The
 * result therefore depends on (seed, epoch, index) and the image only:
 * not on the thread count, not on the batch the sample is in. That is what
 * lets vn_fit()'s batcher augment on worker threads and still train the
 * same model on 1 or 8 threads (DESIGN.md section 3).
 *
 * How to use it.
 *
 *     vn_augment *aug;
 *     vn_augment_from_spec("hflip p=0.5; rotate deg=15; erase p=0.25", &aug);
 *     vn_augment_apply(aug, batch_u8_nhwc, seed, epoch, first_index, &out);
 *     vn_augment_destroy(aug);
 *
 * Layout. Ops work on an [H, W, C] image (u8, or f32 in [0, 1]); an f32
 * [C, H, W] input is transposed to HWC before the first op and back after
 * the last, so each op family is written once for both dtypes (the pixel
 * kernels read u8 or f32 and compute in float). Geometric ops also move
 * annotations (boxes as their four corners, keypoints) carried in
 * continuous pixel coordinates.
 *
 * Batches run one sample per task on the library's thread pool
 * (vn__parallel_tasks); a task that fails keeps its message, and the
 * lowest failing sample's message is raised on the calling thread.
 *
 * The op families live in geometric.c, noise.c, color.c, blur.c and
 * erase.c; the spec grammar and op names in spec.c; batch mixing in mix.c
 * and adversarial examples in adversarial.c.
 */
#include "augment/augment_internal.h"
#include "kernels/kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

VN_API vn_status vn_augment_create(vn_augment **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "augment_create: out is NULL");
    vn_augment *a = vn__calloc(1, sizeof *a);
    if (!a)
        return vn__error(VN_ERR_NOMEM, "augment_create: out of memory");
    *out = a;
    return VN_OK;
}

VN_API void vn_augment_destroy(vn_augment *aug)
{
    if (!aug)
        return;
    vn__free(aug->ops);
    vn__free(aug);
}

VN_API int vn_augment_op_count(const vn_augment *aug)
{
    return aug ? aug->n : 0;
}

vn_status vn__aug_push(vn_augment *aug, const vn__aug_op *op)
{
    if (!aug)
        return vn__error(VN_ERR_INVALID_ARG, "augment: pipeline is NULL");
    vn_status s = vn__aug_validate(op);
    if (s != VN_OK) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "augment op %d '%s'", aug->n, op->name);
        return vn__error_prefix(s, prefix);
    }
    if (aug->n == aug->cap) {
        int cap = aug->cap ? 2 * aug->cap : 8;
        vn__aug_op *ops = vn__realloc(aug->ops, (size_t)cap * sizeof *ops);
        if (!ops)
            return vn__error(VN_ERR_NOMEM, "augment: out of memory");
        aug->ops = ops;
        aug->cap = cap;
    }
    aug->ops[aug->n++] = *op;
    return VN_OK;
}

vn_status vn__aug_fail(const vn__aug_sample *s, vn_status status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vn__error(status, "augment op %d '%s': %s", s->op_index, s->op_name, msg);
}

void vn__aug_output_size(const vn_augment *aug, int64_t *h, int64_t *w)
{
    for (int k = 0; k < aug->n; k++) {
        const vn__aug_op *op = &aug->ops[k];
        if (op->kind == VN__AUG_RANDOM_CROP) {
            *h = op->u.crop.h;
            *w = op->u.crop.w;
        } else if (op->kind == VN__AUG_RESIZED_CROP) {
            *h = op->u.rrc.h;
            *w = op->u.rrc.w;
        }
    }
}

/* ---- one sample ----------------------------------------------------------- */

static vn_status run_op(const vn__aug_op *op, vn__aug_sample *s)
{
    switch (op->kind) {
    case VN__AUG_FLIP:
    case VN__AUG_RANDOM_CROP:
    case VN__AUG_RESIZED_CROP:
    case VN__AUG_AFFINE:
    case VN__AUG_PERSPECTIVE:
        return vn__aug_geometric(op, s);
    case VN__AUG_GAUSSIAN_NOISE:
    case VN__AUG_SALT_PEPPER:
    case VN__AUG_SPECKLE:
        return vn__aug_noise(op, s);
    case VN__AUG_COLOR_JITTER:
    case VN__AUG_GAMMA:
    case VN__AUG_GRAYSCALE:
    case VN__AUG_CHANNEL_SHUFFLE:
        return vn__aug_color(op, s);
    case VN__AUG_BLUR:
    case VN__AUG_SHARPEN:
        return vn__aug_blur(op, s);
    case VN__AUG_ERASE:
        return vn__aug_erase(op, s);
    }
    return vn__aug_fail(s, VN_ERR_INTERNAL, "unknown op kind %d", (int)op->kind);
}

/* Run every op on s (the working image already in s->img). */
static vn_status run_pipeline(const vn_augment *aug, vn__aug_sample *s, uint64_t seed,
                              uint64_t epoch, uint64_t index)
{
    for (int k = 0; k < aug->n; k++) {
        const vn__aug_op *op = &aug->ops[k];
        vn__aug_rng(&s->rng, seed, epoch, index, k);
        s->op_index = k;
        s->op_name = op->name;
        /* torch.rand(1) < p: always true for p = 1, never for p = 0. */
        if (vn_rng_uniform(&s->rng) >= op->p)
            continue;
        VN_TRY(run_op(op, s));
    }
    return VN_OK;
}

/* What kind of input: u8 HWC (or HW) images, or f32 CHW tensors; batch or not. */
typedef struct layout {
    bool f32;
    bool batch;
    bool hw2d;                /* u8 [H, W]: one channel, and a 2-D result */
    int64_t n, h, w, c;
} layout;

static vn_status read_layout(const char *what, const vn_tensor *t, bool allow_batch, layout *L)
{
    char sbuf[96];
    memset(L, 0, sizeof *L);
    L->n = 1;
    if (t->dtype == VN_U8 && (t->ndim == 2 || t->ndim == 3)) {
        L->h = t->shape[0];
        L->w = t->shape[1];
        L->c = t->ndim == 3 ? t->shape[2] : 1;
        L->hw2d = t->ndim == 2;
    } else if (t->dtype == VN_U8 && t->ndim == 4 && allow_batch) {
        L->batch = true;
        L->n = t->shape[0];
        L->h = t->shape[1];
        L->w = t->shape[2];
        L->c = t->shape[3];
    } else if (t->dtype == VN_F32 && (t->ndim == 3 || (t->ndim == 4 && allow_batch))) {
        L->f32 = true;
        L->batch = t->ndim == 4;
        int o = L->batch ? 1 : 0;
        L->n = L->batch ? t->shape[0] : 1;
        L->c = t->shape[o];
        L->h = t->shape[o + 1];
        L->w = t->shape[o + 2];
    } else {
        return vn__error(VN_ERR_SHAPE,
                         "%s: expected a u8 [H,W,C] image%s or an f32 [C,H,W] tensor%s, got %s %s",
                         what, allow_batch ? " / [N,H,W,C] batch" : "",
                         allow_batch ? " / [N,C,H,W] batch" : "", vn_dtype_name(t->dtype),
                         vn__shape_str(t, sbuf, sizeof sbuf));
    }
    if (L->h < 1 || L->w < 1 || L->c < 1)
        return vn__error(VN_ERR_SHAPE, "%s: image %s is empty", what,
                         vn__shape_str(t, sbuf, sizeof sbuf));
    if (L->h > (1 << 24) || L->w > (1 << 24) || L->c > 64)
        return vn__error(VN_ERR_LIMIT, "%s: image %s is too large (at most 2^24 rows / columns "
                         "and 64 channels)", what, vn__shape_str(t, sbuf, sizeof sbuf));
    return VN_OK;
}

/* Sample n of the input into a fresh HWC working image. */
static vn_status load_sample(const vn_tensor *t, const layout *L, int64_t n, vn_tensor **out)
{
    vn_tensor *img = NULL;
    VN_TRY(vn__tensor_new3(L->f32 ? VN_F32 : VN_U8, L->h, L->w, L->c, &img));
    size_t plane = (size_t)(L->h * L->w), per = plane * (size_t)L->c;
    if (!L->f32) {
        memcpy(img->data, (const uint8_t *)t->data + (size_t)n * per, per);
    } else {
        const float *src = (const float *)t->data + (size_t)n * per;
        float *dst = img->data;
        for (int64_t ch = 0; ch < L->c; ch++)
            for (size_t i = 0; i < plane; i++)
                dst[i * (size_t)L->c + (size_t)ch] = src[(size_t)ch * plane + i];
    }
    *out = img;
    return VN_OK;
}

/* Write the HWC working image into sample n of dst (laid out as L says). */
static void store_sample(const vn_tensor *img, const layout *L, vn_tensor *dst, int64_t n)
{
    size_t plane = (size_t)(img->shape[0] * img->shape[1]), c = (size_t)img->shape[2];
    size_t per = plane * c;
    if (!L->f32) {
        memcpy((uint8_t *)dst->data + (size_t)n * per, img->data, per);
        return;
    }
    const float *src = img->data;
    float *d = (float *)dst->data + (size_t)n * per;
    for (size_t ch = 0; ch < c; ch++)
        for (size_t i = 0; i < plane; i++)
            d[ch * plane + i] = src[i * c + ch];
}

static vn_status make_output(const layout *L, int64_t oh, int64_t ow, vn_tensor **out)
{
    int64_t shape[4];
    int nd;
    if (!L->f32) {
        if (L->batch) {
            shape[0] = L->n, shape[1] = oh, shape[2] = ow, shape[3] = L->c;
            nd = 4;
        } else {
            shape[0] = oh, shape[1] = ow, shape[2] = L->c;
            nd = L->hw2d ? 2 : 3;
        }
        return vn__tensor_empty(VN_U8, nd, shape, out);
    }
    if (L->batch) {
        shape[0] = L->n, shape[1] = L->c, shape[2] = oh, shape[3] = ow;
        nd = 4;
    } else {
        shape[0] = L->c, shape[1] = oh, shape[2] = ow;
        nd = 3;
    }
    return vn__tensor_empty(VN_F32, nd, shape, out);
}

/* Pack boxes ([B,4]) and points ([P,2]) into the sample's point list. */
static vn_status load_annotations(const vn_tensor *boxes, const vn_tensor *points,
                                  vn__aug_sample *s)
{
    char sbuf[96];
    if (boxes && (boxes->dtype != VN_F32 || boxes->ndim != 2 || boxes->shape[1] != 4))
        return vn__error(VN_ERR_SHAPE, "augment: boxes must be f32 [B, 4], got %s %s",
                         vn_dtype_name(boxes->dtype), vn__shape_str(boxes, sbuf, sizeof sbuf));
    if (points && (points->dtype != VN_F32 || points->ndim != 2 || points->shape[1] != 2))
        return vn__error(VN_ERR_SHAPE, "augment: points must be f32 [P, 2], got %s %s",
                         vn_dtype_name(points->dtype), vn__shape_str(points, sbuf, sizeof sbuf));
    s->nbox = boxes ? boxes->shape[0] : 0;
    s->npoint = points ? points->shape[0] : 0;
    size_t count = (size_t)(s->nbox * 4 + s->npoint);
    if (!count)
        return VN_OK;
    s->pts = vn__alloc_or_error(count * 2 * sizeof(double), "augment annotations");
    if (!s->pts)
        return VN_ERR_NOMEM;
    const float *b = boxes ? boxes->data : NULL;
    for (int64_t i = 0; i < s->nbox; i++) {
        double x1 = b[4 * i], y1 = b[4 * i + 1], x2 = b[4 * i + 2], y2 = b[4 * i + 3];
        double *q = s->pts + 8 * i;
        q[0] = x1, q[1] = y1, q[2] = x2, q[3] = y1, q[4] = x2, q[5] = y2, q[6] = x1, q[7] = y2;
    }
    const float *p = points ? points->data : NULL;
    double *q = s->pts + 8 * s->nbox;
    for (int64_t i = 0; i < 2 * s->npoint; i++)
        q[i] = p[i];
    return VN_OK;
}

/* The box around corners 4i..4i+3, clipped to [0, w] x [0, h]. */
static void box_of_corners(const double *q, double w, double h, double box[4])
{
    double x1 = q[0], x2 = q[0], y1 = q[1], y2 = q[1];
    for (int k = 1; k < 4; k++) {
        x1 = fmin(x1, q[2 * k]), x2 = fmax(x2, q[2 * k]);
        y1 = fmin(y1, q[2 * k + 1]), y2 = fmax(y2, q[2 * k + 1]);
    }
    box[0] = fmin(fmax(x1, 0), w), box[2] = fmin(fmax(x2, 0), w);
    box[1] = fmin(fmax(y1, 0), h), box[3] = fmin(fmax(y2, 0), h);
}

static vn_status store_annotations(const vn__aug_sample *s, const vn_tensor *boxes,
                                   const vn_tensor *points, vn_tensor **boxes_out,
                                   vn_tensor **points_out)
{
    double W = (double)s->img->shape[1], H = (double)s->img->shape[0];
    vn_tensor *bo = NULL, *po = NULL;
    if (boxes && boxes_out) {
        VN_TRY(vn_tensor_create(VN_F32, 2, boxes->shape, &bo));
        float *d = bo->data;
        for (int64_t i = 0; i < s->nbox; i++) {
            double box[4];
            box_of_corners(s->pts + 8 * i, W, H, box);
            for (int k = 0; k < 4; k++)
                d[4 * i + k] = (float)box[k];
        }
    }
    if (points && points_out) {
        vn_status st = vn_tensor_create(VN_F32, 2, points->shape, &po);
        if (st != VN_OK) {
            vn_tensor_destroy(bo);
            return st;
        }
        float *d = po->data;
        const double *q = s->pts + 8 * s->nbox;
        for (int64_t i = 0; i < 2 * s->npoint; i++)
            d[i] = (float)q[i];
    }
    if (boxes_out)
        *boxes_out = bo;
    if (points_out)
        *points_out = po;
    return VN_OK;
}

VN_API vn_status vn_augment_apply_sample_ex(const vn_augment *aug, const vn_tensor *image,
                                            uint64_t seed, uint64_t epoch, uint64_t index,
                                            const vn_tensor *boxes, const vn_tensor *points,
                                            vn_tensor **out, vn_tensor **boxes_out,
                                            vn_tensor **points_out)
{
    if (!aug || !image || !out)
        return vn__error(VN_ERR_INVALID_ARG, "augment_apply_sample: NULL argument");
    if ((boxes && !boxes_out) || (points && !points_out))
        return vn__error(VN_ERR_INVALID_ARG,
                         "augment_apply_sample: boxes / points given without an out pointer");
    layout L;
    VN_TRY(read_layout("augment_apply_sample", image, false, &L));
    vn__aug_sample s;
    memset(&s, 0, sizeof s);
    VN_TRY(load_annotations(boxes, points, &s));
    vn_status st = load_sample(image, &L, 0, &s.img);
    if (st == VN_OK)
        st = run_pipeline(aug, &s, seed, epoch, index);
    vn_tensor *res = NULL;
    if (st == VN_OK)
        st = make_output(&L, s.img->shape[0], s.img->shape[1], &res);
    if (st == VN_OK) {
        store_sample(s.img, &L, res, 0);
        st = store_annotations(&s, boxes, points, boxes_out, points_out);
    }
    vn_tensor_destroy(s.img);
    vn__free(s.pts);
    if (st != VN_OK) {
        vn_tensor_destroy(res);
        return st;
    }
    *out = res;
    return VN_OK;
}

VN_API vn_status vn_augment_apply_sample(const vn_augment *aug, const vn_tensor *image,
                                         uint64_t seed, uint64_t epoch, uint64_t index,
                                         vn_tensor **out)
{
    return vn_augment_apply_sample_ex(aug, image, seed, epoch, index, NULL, NULL, out, NULL,
                                      NULL);
}

/* ---- batches -------------------------------------------------------------- */

typedef struct batch_job {
    const vn_augment *aug;
    const vn_tensor *in;
    vn_tensor *out;
    layout L;
    uint64_t seed, epoch, first;
    int64_t oh, ow;
    pthread_mutex_t lock;
    int64_t failed;           /* lowest failing sample, -1 none */
    vn_status status;
    char message[512];
} batch_job;

static void batch_task(void *ctx, int task)
{
    batch_job *j = ctx;
    vn__aug_sample s;
    memset(&s, 0, sizeof s);
    vn_status st = load_sample(j->in, &j->L, task, &s.img);
    if (st == VN_OK)
        st = run_pipeline(j->aug, &s, j->seed, j->epoch, j->first + (uint64_t)task);
    if (st == VN_OK && (s.img->shape[0] != j->oh || s.img->shape[1] != j->ow))
        st = vn__error(VN_ERR_INTERNAL, "augment: sample %d came out %lldx%lld, expected "
                       "%lldx%lld", task, (long long)s.img->shape[0],
                       (long long)s.img->shape[1], (long long)j->oh, (long long)j->ow);
    if (st == VN_OK)
        store_sample(s.img, &j->L, j->out, task);
    vn_tensor_destroy(s.img);
    if (st != VN_OK) {
        pthread_mutex_lock(&j->lock);
        if (j->failed < 0 || task < j->failed) {
            j->failed = task;
            j->status = st;
            snprintf(j->message, sizeof j->message, "%s", vn_last_error());
        }
        pthread_mutex_unlock(&j->lock);
    }
}

VN_API vn_status vn_augment_apply(const vn_augment *aug, const vn_tensor *images, uint64_t seed,
                                  uint64_t epoch, uint64_t first_index, vn_tensor **out)
{
    if (!aug || !images || !out)
        return vn__error(VN_ERR_INVALID_ARG, "augment_apply: NULL argument");
    batch_job j;
    memset(&j, 0, sizeof j);
    VN_TRY(read_layout("augment_apply", images, true, &j.L));
    if (!j.L.batch)
        return vn_augment_apply_sample(aug, images, seed, epoch, first_index, out);
    if (j.L.n > INT32_MAX)
        return vn__error(VN_ERR_LIMIT, "augment_apply: batch of %lld is too large",
                         (long long)j.L.n);
    j.aug = aug;
    j.in = images;
    j.seed = seed;
    j.epoch = epoch;
    j.first = first_index;
    j.oh = j.L.h;
    j.ow = j.L.w;
    vn__aug_output_size(aug, &j.oh, &j.ow);
    VN_TRY(make_output(&j.L, j.oh, j.ow, &j.out));
    j.failed = -1;
    pthread_mutex_init(&j.lock, NULL);
    vn__parallel_tasks((int)j.L.n, batch_task, &j);
    pthread_mutex_destroy(&j.lock);
    if (j.failed >= 0) {
        vn_tensor_destroy(j.out);
        return vn__error(j.status, "sample %lld: %s", (long long)j.failed, j.message);
    }
    *out = j.out;
    return VN_OK;
}

VN_API vn_status vn_augment_sample_hook(vn_tensor **image, uint64_t seed, uint64_t epoch,
                                        uint64_t index, void *aug)
{
    if (!image || !*image || !aug)
        return vn__error(VN_ERR_INVALID_ARG, "augment_sample_hook: NULL argument");
    vn_tensor *res = NULL;
    VN_TRY(vn_augment_apply_sample(aug, *image, seed, epoch, index, &res));
    vn_tensor_destroy(*image);
    *image = res;
    return VN_OK;
}
