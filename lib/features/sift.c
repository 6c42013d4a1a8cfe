/*
 * sift.c - SIFT keypoints and descriptors: the vn_sift object.
 *
 * What it computes. The Scale-Invariant Feature Transform (D. G. Lowe,
 * "Distinctive Image Features from Scale-Invariant Keypoints", IJCV 60(2),
 * 2004) finds blob-like points that come back when the image is rotated,
 * scaled, brightened or blurred, and describes the neighbourhood of each by
 * a 128-d vector that stays nearly the same under those changes, so points
 * of two pictures of one scene can be matched by nearest neighbour.
 *
 * How to use it.
 *
 *     vn_sift *sift;
 *     vn_sift_create(NULL, &sift);                 // cv2.SIFT_create() defaults
 *     int n;
 *     vn_sift_detect(sift, image, &n);             // keypoints + descriptors
 *     vn_keypoint kp = VN_KEYPOINT_INIT;
 *     vn_sift_keypoint(sift, 0, &kp);              // strongest first
 *     vn_sift_descriptors(sift, buf, n * 128);     // n rows of 128 floats
 *     vn_sift_match(d1, n1, d2, n2, 0.75f, pairs, max, &m);
 *     vn_sift_destroy(sift);
 *
 * The maths, step by step (each in its own file):
 *
 * 1. Scale space (sift_scale_space.c). L(x, y, s) = G(s) * I: the image
 *    blurred by Gaussians of growing s, sampled at L levels per octave
 *    (s = sigma 2^(i/L)), each octave half the size of the one before. The
 *    difference of neighbouring levels, D = L(k s) - L(s), approximates
 *    (k - 1) s^2 times the scale-normalised Laplacian, whose extrema are
 *    blobs with their own scale. The image is first doubled, which
 *    quadruples the number of stable small keypoints (Lowe section 3.3).
 * 2. Keypoints (sift_detect.c). Extrema of D over the 26 neighbours in
 *    space and scale, refined to sub-pixel / sub-level precision by a
 *    quadratic fit, kept if their contrast is high enough and they are not
 *    on an edge (ratio of principal curvatures below r = 10), and given one
 *    or more dominant orientations from a histogram of local gradients.
 * 3. Descriptors (sift_descriptor.c). Gradients in a 4x4 grid of cells
 *    around the keypoint, in its own scale and orientation, binned into 8
 *    directions: 128 numbers, normalised, clipped at 0.2, renormalised.
 * 4. Matching (sift_match.c). Nearest neighbour in Euclidean distance,
 *    accepted when clearly nearer than the second nearest (the ratio test,
 *    Lowe section 7.1).
 *
 * Where Lowe leaves choices open we follow OpenCV 4.6's cv::SIFT
 * (sift.dispatch.cpp, sift.simd.hpp) so keypoints are comparable with
 * cv2.SIFT_create(); the differences are stated in docs/features-sift.md
 * (the image is kept on the [0, 1] scale, and angles and weights use
 * polynomial approximations as OpenCV's own fastAtan2 / exp do).
 *
 * Output order: duplicates (same position, size and angle, found from two
 * starting samples) are removed as KeyPointsFilter::removeDuplicatedSorted
 * does; the keypoints are then sorted by response, strongest first (ties by
 * x, y, size, angle), and the first nfeatures kept.
 */
#include "features/sift_internal.h"

#include <stdlib.h>
#include <string.h>

static vn_status check_options(const vn_sift_options *o)
{
    if (o->size < sizeof(vn_sift_options))
        return vn__error(VN_ERR_INVALID_ARG,
                         "sift: options.size is %zu, expected sizeof(vn_sift_options) = %zu "
                         "(use VN_SIFT_OPTIONS_INIT)",
                         o->size, sizeof(vn_sift_options));
    if (o->nfeatures < 0)
        return vn__error(VN_ERR_INVALID_ARG, "sift: nfeatures is %d, must be >= 0", o->nfeatures);
    if (o->octave_layers < 1 || o->octave_layers > 32)
        return vn__error(VN_ERR_INVALID_ARG, "sift: octave_layers is %d, must be 1..32",
                         o->octave_layers);
    if (!(o->contrast_threshold >= 0) || !isfinite(o->contrast_threshold))
        return vn__error(VN_ERR_INVALID_ARG, "sift: contrast_threshold is %g, must be >= 0",
                         (double)o->contrast_threshold);
    if (!(o->edge_threshold > 0) || !isfinite(o->edge_threshold))
        return vn__error(VN_ERR_INVALID_ARG, "sift: edge_threshold is %g, must be > 0",
                         (double)o->edge_threshold);
    if (!(o->sigma > 0.1f && o->sigma <= 32.f))
        return vn__error(VN_ERR_INVALID_ARG, "sift: sigma is %g, must be in (0.1, 32]",
                         (double)o->sigma);
    if (o->upsample != 0 && o->upsample != 1)
        return vn__error(VN_ERR_INVALID_ARG, "sift: upsample is %d, must be 0 or 1", o->upsample);
    return VN_OK;
}

vn_status vn_sift_create(const vn_sift_options *opts, vn_sift **out)
{
    VN_CHECK_ARG(out, "out is NULL");
    vn_sift_options def = VN_SIFT_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    VN_TRY(check_options(opts));
    vn_sift *s = vn__calloc(1, sizeof *s);
    if (!s)
        return vn__error(VN_ERR_NOMEM, "sift: out of memory");
    s->opt = *opts;
    s->opt.size = sizeof(vn_sift_options);
    *out = s;
    return VN_OK;
}

void vn_sift_destroy(vn_sift *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_bands_cap; i++)
        vn__free(s->bands[i].kp);
    vn__free(s->bands);
    vn__free(s->kps.kp);
    vn__free(s->gauss_raw);
    vn__free(s->dog_raw);
    vn__free(s->gray);
    vn__free(s->desc);
    vn__free(s);
}

static int cmp_geometry(const sift_kp *a, const sift_kp *b)
{
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    if (a->size != b->size)
        return a->size > b->size ? -1 : 1;
    if (a->angle != b->angle)
        return a->angle < b->angle ? -1 : 1;
    return 0;
}

static int cmp_position(const void *pa, const void *pb)
{
    const sift_kp *a = pa, *b = pb;
    int c = cmp_geometry(a, b);
    if (c)
        return c;
    if (a->response != b->response)
        return a->response > b->response ? -1 : 1;
    return (a->octave - b->octave) ? a->octave - b->octave : a->layer - b->layer;
}

static int cmp_response(const void *pa, const void *pb)
{
    const sift_kp *a = pa, *b = pb;
    if (a->response != b->response)
        return a->response > b->response ? -1 : 1;
    return cmp_position(pa, pb);
}

vn_status vn_sift_detect(vn_sift *s, const vn_tensor *image, int *n_keypoints)
{
    VN_CHECK_ARG(s, "sift is NULL");
    VN_CHECK_ARG(image, "image is NULL");
    s->kps.n = 0;
    VN_TRY(vn__sift_load_gray(s, image));
    int h = (int)image->shape[0], w = (int)image->shape[1];
    VN_TRY(vn__sift_build_pyramids(s, w, h));
    VN_TRY(vn__sift_find_keypoints(s));

    sift_kp_list *l = &s->kps;
    if (l->n > 1) {
        qsort(l->kp, (size_t)l->n, sizeof *l->kp, cmp_position);
        int m = 1;
        for (int i = 1; i < l->n; i++)
            if (cmp_geometry(&l->kp[i], &l->kp[m - 1]) != 0)
                l->kp[m++] = l->kp[i];
        l->n = m;
        qsort(l->kp, (size_t)l->n, sizeof *l->kp, cmp_response);
    }
    if (s->opt.nfeatures > 0 && l->n > s->opt.nfeatures)
        l->n = s->opt.nfeatures;
    vn_status st = vn__sift_compute_descriptors(s);
    if (st != VN_OK) {
        l->n = 0;
        return st;
    }
    if (n_keypoints)
        *n_keypoints = l->n;
    return VN_OK;
}

int vn_sift_count(const vn_sift *s)
{
    return s ? s->kps.n : 0;
}

vn_status vn_sift_keypoint(const vn_sift *s, int i, vn_keypoint *kp)
{
    VN_CHECK_ARG(s, "sift is NULL");
    VN_CHECK_ARG(kp, "kp is NULL");
    if (kp->size < sizeof(vn_keypoint))
        return vn__error(VN_ERR_INVALID_ARG,
                         "sift: keypoint.size is %zu, expected sizeof(vn_keypoint) = %zu", kp->size,
                         sizeof(vn_keypoint));
    if (i < 0 || i >= s->kps.n)
        return vn__error(VN_ERR_INVALID_ARG, "sift: keypoint %d out of range (%d found)", i,
                         s->kps.n);
    const sift_kp *k = &s->kps.kp[i];
    /* Pyramid octave 0 is the doubled image when upsampling: halve. */
    float f = s->first_octave < 0 ? 0.5f : 1.f;
    kp->x = k->x * f;
    kp->y = k->y * f;
    kp->diameter = k->size * f;
    kp->angle = k->angle;
    kp->response = k->response;
    kp->octave = k->octave + s->first_octave;
    return VN_OK;
}

vn_status vn_sift_descriptors(const vn_sift *s, float *dst, size_t capacity)
{
    VN_CHECK_ARG(s, "sift is NULL");
    size_t n = (size_t)s->kps.n * SIFT_DESCR_LEN;
    if (n == 0)
        return VN_OK;
    VN_CHECK_ARG(dst, "dst is NULL");
    if (capacity < n)
        return vn__error(VN_ERR_INVALID_ARG,
                         "sift: descriptor buffer holds %zu floats, %d keypoints need %zu",
                         capacity, s->kps.n, n);
    memcpy(dst, s->desc, n * sizeof(float));
    return VN_OK;
}
