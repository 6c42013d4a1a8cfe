/*
 * batcher.c - batches of model input made ahead of the training step on
 * worker threads (see batcher.h for the contract).
 *
 * A ring of `depth` slots, each big enough for one batch. Batch k of an
 * epoch is built in slot k % depth by whichever worker takes it from a
 * shared counter; the consumer takes batch k from its slot, and holds it
 * until its next call. A worker may start batch k only when the slot is
 * free: k < oldest + depth, oldest being the batch the consumer holds (or
 * will take next). So with one worker and two slots the batcher is double
 * buffered: batch k+1 is built while the step runs on batch k. Workers and
 * consumer sleep on condition variables: nothing spins.
 *
 * Workers: one for in-memory datasets (building a batch is a table lookup
 * per pixel, far cheaper than the step), one per library thread (at most
 * 8) for datasets of files, whose images are decoded here. They are plain
 * pthreads, not the kernel pool's: the pool is busy with the training step
 * meanwhile, and library calls made here (decode, resize) that would use the
 * pool find it busy and run on the worker's own thread.
 *
 * Making one sample (make_sample):
 *   1. its pixels: a pointer into the dataset (u8 datasets), or the file
 *      decoded (folder / CSV datasets); f32 samples are copied as they are;
 *   2. the dataset's sample hook, on a private copy, keyed by (seed, epoch,
 *      sample index) (training only);
 *   3. channel conversion (vn_image_convert_channels) when the image's
 *      channel count differs from the model's, then a resize when its size
 *      differs (vn_image_resize with VN_INTERP_AREA: cv2.resize's INTER_AREA,
 *      a box filter when shrinking and bilinear when enlarging, as
 *      `visionnet predict` resizes);
 *   4. (pixel * scale - mean[c]) / std[c] into the batch, CHW, through a
 *      256-entry table per channel (the same float expression
 *      vn_image_to_tensor evaluates, computed once per value).
 */
#include "train/batcher.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <visionnet/image.h>

/* Stream of the epoch permutations ("SHUFFLE" in ASCII). */
#define SHUFFLE_STREAM 0x53485546464c45ull
#define MAX_WORKERS 8
#define MSG_MAX 512

typedef struct slot {
    float *x;                 /* batch_size * sample floats */
    int32_t *y;
    vn__batch batch;          /* x / y tensors wrap the buffers above */
    int64_t holds;            /* batch number it holds, -1 none */
    bool ready;
    vn_status status;
    char msg[MSG_MAX];
} slot;

struct vn__batcher {
    const vn_dataset *ds;
    vn__batch_spec spec;
    int64_t n, nbatches;
    size_t sample;            /* floats per sample of model input */
    int64_t C, H, W;          /* model input, image datasets */
    float lut[4][256];
    int64_t *order;           /* the epoch's order (view indices), NULL = in order */
    uint64_t epoch;

    pthread_mutex_t mu;
    pthread_cond_t work_cv;   /* workers: there is a batch to make, or stop */
    pthread_cond_t ready_cv;  /* consumer: a batch is ready */
    bool running;             /* an epoch is going on */
    bool stop;
    int64_t next_make;        /* next batch number to hand to a worker */
    int64_t next_take;        /* next batch number the consumer takes */
    int64_t oldest;           /* oldest batch still in use (held or not yet taken) */
    int busy;                 /* workers making a batch */

    int depth;
    slot *slots;
    int nworkers;
    pthread_t threads[MAX_WORKERS];
};

/* ---- one sample ------------------------------------------------------------- */

/* Write image (u8 [h, w, c] at pix) into dst as model input, CHW. The image
 * already has the model's size and channels. */
static void write_chw(const vn__batcher *b, const uint8_t *pix, float *dst)
{
    const int64_t C = b->C, HW = b->H * b->W;
    if (C == 1) {
        const float *lut = b->lut[0];
        for (int64_t i = 0; i < HW; i++)
            dst[i] = lut[pix[i]];
        return;
    }
    for (int64_t c = 0; c < C; c++) {
        const float *lut = b->lut[c];
        float *d = dst + c * HW;
        for (int64_t i = 0; i < HW; i++)
            d[i] = lut[pix[i * C + c]];
    }
}

/* After a call that made *n from *t: replace *t by *n. */
static vn_status swap_in(vn_tensor **t, vn_status s, vn_tensor **n)
{
    if (s != VN_OK)
        return s;
    vn_tensor_destroy(*t);
    *t = *n;
    return VN_OK;
}

static vn_status make_sample(const vn__batcher *b, int64_t i, float *dst)
{
    const vn_dataset *ds = b->ds;
    const vn__store *st = ds->store;
    if (st->kind == VN__STORE_F32) {
        const float *src = (const float *)st->data +
                           (size_t)vn__dataset_index(ds, i) * st->sample_elems;
        memcpy(dst, src, b->sample * sizeof(float));
        return VN_OK;
    }
    const uint8_t *pix = NULL;
    vn_tensor *img = NULL; /* owned, when the pixels are not the dataset's */
    VN_TRY(vn__dataset_image(ds, i, &pix, &img));
    vn_status s = VN_OK;
    if (b->spec.hooks && ds->sample_fn) {
        if (!img) {
            s = vn__tensor_new3(VN_U8, st->h, st->w, st->c, &img);
            if (s != VN_OK)
                return s;
            memcpy(img->data, pix, st->sample_elems);
        }
        s = ds->sample_fn(&img, b->spec.seed, b->epoch, (uint64_t)i, ds->sample_user);
        if (s == VN_OK && (!img || img->dtype != VN_U8 || img->ndim < 2 || img->ndim > 3))
            s = vn__error(VN_ERR_INVALID_ARG,
                          "dataset sample hook: sample %lld: the hook must leave a u8 [H, W, C] image",
                          (long long)i);
        if (s != VN_OK) {
            vn_tensor_destroy(img);
            return s;
        }
    }
    if (!img) {
        int64_t shape[3] = {st->h, st->w, st->c};
        if (st->h != b->H || st->w != b->W || st->c != b->C)
            s = vn_tensor_wrap(VN_U8, 3, shape, (void *)pix, NULL, NULL, &img);
    }
    if (img) {
        int64_t c = img->ndim == 3 ? img->shape[2] : 1;
        if (s == VN_OK && c != b->C) {
            vn_tensor *n = NULL;
            s = swap_in(&img, vn_image_convert_channels(img, (int)b->C, &n), &n);
        }
        if (s == VN_OK && (img->shape[0] != b->H || img->shape[1] != b->W)) {
            vn_tensor *n = NULL;
            s = swap_in(&img, vn_image_resize(img, (int)b->H, (int)b->W, VN_INTERP_AREA, &n), &n);
        }
        if (s == VN_OK)
            write_chw(b, img->data, dst);
        vn_tensor_destroy(img);
        return s;
    }
    write_chw(b, pix, dst);
    return VN_OK;
}

/* Build batch k into sl. Runs on a worker without the lock: the slot is
 * this worker's until it is marked ready. */
static vn_status make_batch(vn__batcher *b, int64_t k, slot *sl)
{
    const int64_t first = k * b->spec.batch_size;
    const int64_t count = VN_MIN(b->spec.batch_size, b->n - first);
    for (int64_t j = 0; j < count; j++) {
        int64_t i = b->order ? b->order[first + j] : first + j;
        VN_TRY(make_sample(b, i, sl->x + (size_t)j * b->sample));
        sl->y[j] = vn__dataset_label(b->ds, i);
    }
    if (!sl->batch.x || sl->batch.count != count) {
        vn_tensor_destroy(sl->batch.x);
        vn_tensor_destroy(sl->batch.y);
        sl->batch.x = sl->batch.y = NULL;
        int64_t shape[VN_MAX_DIMS];
        shape[0] = count;
        for (int d = 0; d < b->spec.in_ndim; d++)
            shape[d + 1] = b->spec.in_shape[d];
        VN_TRY(vn_tensor_wrap(VN_F32, b->spec.in_ndim + 1, shape, sl->x, NULL, NULL, &sl->batch.x));
        VN_TRY(vn_tensor_wrap(VN_I32, 1, &count, sl->y, NULL, NULL, &sl->batch.y));
    }
    sl->batch.count = count;
    sl->batch.index = k;
    return VN_OK;
}

static void *worker_main(void *arg)
{
    vn__batcher *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->stop && !(b->running && b->next_make < b->nbatches &&
                             b->next_make < b->oldest + b->depth))
            pthread_cond_wait(&b->work_cv, &b->mu);
        if (b->stop)
            break;
        int64_t k = b->next_make++;
        slot *sl = &b->slots[k % b->depth];
        b->busy++;
        pthread_mutex_unlock(&b->mu);

        vn_status s = make_batch(b, k, sl);
        if (s != VN_OK)
            snprintf(sl->msg, sizeof sl->msg, "%s", vn_last_error());

        pthread_mutex_lock(&b->mu);
        sl->status = s;
        sl->holds = k;
        sl->ready = true;
        b->busy--;
        pthread_cond_broadcast(&b->ready_cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* ---- set-up ----------------------------------------------------------------- */

static vn_status check_fit(vn__batcher *b)
{
    const vn__store *st = b->ds->store;
    const vn__batch_spec *sp = &b->spec;
    char want[128];
    int at = 0;
    for (int d = 0; d < sp->in_ndim && at < (int)sizeof want - 24; d++)
        at += snprintf(want + at, sizeof want - (size_t)at, d ? ", %lld" : "[%lld",
                       (long long)sp->in_shape[d]);
    snprintf(want + at, sizeof want - (size_t)at, "]");
    size_t sample = 1;
    for (int d = 0; d < sp->in_ndim; d++)
        sample *= (size_t)sp->in_shape[d];
    b->sample = sample;
    if (st->kind == VN__STORE_F32) {
        bool same = st->sample_ndim == sp->in_ndim;
        for (int d = 0; same && d < sp->in_ndim; d++)
            same = st->sample_shape[d] == sp->in_shape[d];
        if (!same)
            return vn__error(VN_ERR_SHAPE,
                             "the dataset's f32 samples do not have the model's input shape %s", want);
        return VN_OK;
    }
    if (sp->in_ndim != 3 || sp->in_shape[0] < 1 || sp->in_shape[0] > 4)
        return vn__error(VN_ERR_SHAPE,
                         "the dataset holds images but the model's input %s is not an image [C, H, W] with C 1..4",
                         want);
    b->C = sp->in_shape[0];
    b->H = sp->in_shape[1];
    b->W = sp->in_shape[2];
    for (int c = 0; c < b->C; c++) {
        if (!(sp->std[c] != 0.0f))
            return vn__error(VN_ERR_INVALID_ARG, "input preprocessing: std[%d] is 0", c);
        for (int v = 0; v < 256; v++)
            b->lut[c][v] = ((float)v * sp->scale - sp->mean[c]) / sp->std[c];
    }
    return VN_OK;
}

void vn__batcher_destroy(vn__batcher *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    pthread_cond_broadcast(&b->work_cv);
    pthread_mutex_unlock(&b->mu);
    for (int w = 0; w < b->nworkers; w++)
        pthread_join(b->threads[w], NULL);
    for (int i = 0; b->slots && i < b->depth; i++) {
        vn_tensor_destroy(b->slots[i].batch.x);
        vn_tensor_destroy(b->slots[i].batch.y);
        vn__free(b->slots[i].x);
        vn__free(b->slots[i].y);
    }
    vn__free(b->slots);
    vn__free(b->order);
    pthread_cond_destroy(&b->work_cv);
    pthread_cond_destroy(&b->ready_cv);
    pthread_mutex_destroy(&b->mu);
    vn__free(b);
}

vn_status vn__batcher_create(const vn_dataset *ds, const vn__batch_spec *spec, vn__batcher **out)
{
    if (spec->batch_size < 1)
        return vn__error(VN_ERR_INVALID_ARG, "batch size %lld < 1", (long long)spec->batch_size);
    if ((uint64_t)ds->n > UINT32_MAX)
        return vn__error(VN_ERR_UNSUPPORTED, "%lld samples is over 2^32", (long long)ds->n);
    vn__batcher *b = vn__calloc(1, sizeof *b);
    if (!b)
        return vn__error(VN_ERR_NOMEM, "batcher: out of memory");
    b->ds = ds;
    b->spec = *spec;
    b->n = ds->n;
    b->nbatches = (ds->n + spec->batch_size - 1) / spec->batch_size;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->work_cv, NULL);
    pthread_cond_init(&b->ready_cv, NULL);
    vn_status s = check_fit(b);
    const int64_t per_batch = VN_MIN(spec->batch_size, VN_MAX(ds->n, 1));
    size_t floats = 0;
    if (s == VN_OK && !vn__mul_size((size_t)per_batch, b->sample, &floats))
        s = vn__error(VN_ERR_LIMIT, "batcher: a batch of %lld samples overflows",
                      (long long)per_batch);
    if (s == VN_OK) {
        b->nworkers = ds->store->kind == VN__STORE_FILES ? VN_MIN(vn__num_threads(), MAX_WORKERS) : 1;
        b->depth = b->nworkers + 1;
        b->slots = vn__calloc((size_t)b->depth, sizeof(slot));
        if (!b->slots)
            s = vn__error(VN_ERR_NOMEM, "batcher: out of memory");
    }
    for (int i = 0; s == VN_OK && i < b->depth; i++) {
        slot *sl = &b->slots[i];
        sl->holds = -1;
        sl->x = vn__malloc(floats * sizeof(float));
        sl->y = vn__malloc((size_t)per_batch * sizeof(int32_t));
        if (!sl->x || !sl->y)
            s = vn__error(VN_ERR_NOMEM, "batcher: out of memory for a batch of %lld samples",
                          (long long)per_batch);
    }
    int started = 0;
    for (int w = 0; s == VN_OK && w < b->nworkers; w++) {
        if (pthread_create(&b->threads[w], NULL, worker_main, b) != 0)
            s = vn__error(VN_ERR_INTERNAL, "batcher: cannot start a worker thread");
        else
            started++;
    }
    if (s != VN_OK) {
        b->nworkers = started; /* destroy joins only the threads that exist */
        vn__batcher_destroy(b);
        return s;
    }
    *out = b;
    return VN_OK;
}

int64_t vn__batcher_batches(const vn__batcher *b)
{
    return b->nbatches;
}

/* ---- epochs ------------------------------------------------------------------ */

vn_status vn__batcher_start(vn__batcher *b, uint64_t epoch)
{
    pthread_mutex_lock(&b->mu);
    b->running = false;
    while (b->busy > 0)
        pthread_cond_wait(&b->ready_cv, &b->mu);
    if (b->spec.shuffle && b->n > 1) {
        if (!b->order && !(b->order = vn__malloc((size_t)b->n * sizeof(int64_t)))) {
            pthread_mutex_unlock(&b->mu);
            return vn__error(VN_ERR_NOMEM, "batcher: out of memory for the epoch's order");
        }
        /* Fisher-Yates from the identity, keyed by (seed, epoch) alone. */
        for (int64_t i = 0; i < b->n; i++)
            b->order[i] = i;
        struct vn_rng rng;
        vn__rng_init(&rng, b->spec.seed, vn__rng_stream(SHUFFLE_STREAM, epoch, 0));
        for (int64_t i = b->n - 1; i > 0; i--) {
            int64_t j = (int64_t)vn_rng_below(&rng, (uint32_t)(i + 1));
            int64_t t = b->order[i];
            b->order[i] = b->order[j];
            b->order[j] = t;
        }
    }
    b->epoch = epoch;
    b->next_make = b->next_take = b->oldest = 0;
    for (int i = 0; i < b->depth; i++) {
        b->slots[i].holds = -1;
        b->slots[i].ready = false;
    }
    b->running = true;
    pthread_cond_broadcast(&b->work_cv);
    pthread_mutex_unlock(&b->mu);
    return VN_OK;
}

vn_status vn__batcher_next(vn__batcher *b, const vn__batch **out)
{
    *out = NULL;
    pthread_mutex_lock(&b->mu);
    if (!b->running || b->next_take >= b->nbatches) {
        b->oldest = b->nbatches;
        pthread_mutex_unlock(&b->mu);
        return VN_OK;
    }
    const int64_t k = b->next_take;
    b->oldest = k; /* the batch held until now is free */
    pthread_cond_broadcast(&b->work_cv);
    slot *sl = &b->slots[k % b->depth];
    while (!(sl->ready && sl->holds == k))
        pthread_cond_wait(&b->ready_cv, &b->mu);
    vn_status s = sl->status;
    b->next_take++;
    if (s != VN_OK) {
        b->running = false; /* the epoch cannot go on */
        pthread_mutex_unlock(&b->mu);
        return vn__error(s, "%s", sl->msg);
    }
    pthread_mutex_unlock(&b->mu);
    *out = &sl->batch;
    return VN_OK;
}
