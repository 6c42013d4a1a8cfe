/*
 * ops_features.c - the features/ operations of the conformance format
 * (README section 4, features/; sections 5 and 6 for the algorithms)
 * mapped onto visionnet/features.h:
 *
 *   hog_skimage  skimage.feature.hog(x, ...)           -> VN_HOG_SKIMAGE
 *   hog_opencv   cv2.HOGDescriptor(...).compute(img)   -> VN_HOG_OPENCV
 *
 * Parameters absent from params take the reference library's defaults.
 * The debug outputs (gradients, cell histograms, bins) are intermediates
 * the public API does not expose; tests/test_hog.c checks them through the
 * library's internal functions.
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const vn_tensor *input_named_or_first(conf_case *c, const char *name)
{
    for (int i = 0; conf_input_name(c, i); i++)
        if (!strcmp(conf_input_name(c, i), name))
            return conf_input(c, name);
    const char *first = conf_input_name(c, 0);
    if (!first) {
        conf_fail(c, "the case lists no input");
        return NULL;
    }
    return conf_input(c, first);
}

/* An optional boolean parameter (JSON true/false or a number). */
static bool param_bool(conf_case *c, const char *key, bool def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    if (!v || cJSON_IsNull(v))
        return def;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    return def;
}

static bool param_is_null(conf_case *c, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(conf_params(c), key);
    return !v || cJSON_IsNull(v);
}

static bool opt_int(conf_case *c, const char *key, int *v)
{
    if (!conf_param_has(c, key) || param_is_null(c, key))
        return true;
    double d;
    if (!conf_param_double(c, key, &d))
        return false;
    *v = (int)d;
    return true;
}

static bool opt_pair(conf_case *c, const char *key, int v[2])
{
    if (!conf_param_has(c, key) || param_is_null(c, key))
        return true;
    return conf_param_ints(c, key, v, 2);
}

/* Run the extractor on the image and hand the descriptor over as a 1-D
 * float32 tensor named descriptor.npy. */
static conf_result run_hog(conf_case *c, const vn_hog_options *o, const vn_tensor *img,
                           const int win_hw[2], const int stride_hw[2])
{
    vn_hog *hog = NULL;
    vn_status s = vn_hog_create(o, &hog);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_hog_create", s);
    s = vn_hog_put_image(hog, img);
    if (s != VN_OK) {
        vn_hog_destroy(hog);
        return conf_fail_status(c, "vn_hog_put_image", s);
    }
    vn_tensor *d = NULL;
    if (win_hw) {
        s = vn_hog_extract_dense(hog, win_hw[0], win_hw[1], stride_hw[0], stride_hw[1], &d);
        if (s == VN_OK)
            s = vn_tensor_flatten(d, 0);
    } else {
        size_t n = vn_hog_get_size(hog);
        s = vn_tensor_create(VN_F32, 1, (int64_t[]){(int64_t)n}, &d);
        if (s == VN_OK)
            s = vn_hog_extract(hog, vn_tensor_data(d), n);
    }
    vn_hog_destroy(hog);
    if (s != VN_OK) {
        vn_tensor_destroy(d);
        return conf_fail_status(c, "vn_hog_extract", s);
    }
    conf_output(c, "descriptor.npy", d);
    return CONF_OK;
}

conf_result conf_op_hog_skimage(conf_case *c)
{
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_SKIMAGE);
    int ppc[2] = {o.cell_h, o.cell_w}, cpb[2] = {o.block_h, o.block_w};
    if (!opt_int(c, "orientations", &o.orientations) || !opt_pair(c, "pixels_per_cell", ppc) ||
        !opt_pair(c, "cells_per_block", cpb))
        return CONF_ERROR;
    o.cell_h = ppc[0];
    o.cell_w = ppc[1];
    o.block_h = cpb[0];
    o.block_w = cpb[1];
    if (conf_param_has(c, "block_norm")) {
        const char *norm;
        if (!conf_param_string(c, "block_norm", &norm))
            return CONF_ERROR;
        if (!strcmp(norm, "L1"))
            o.norm = VN_HOG_NORM_L1;
        else if (!strcmp(norm, "L1-sqrt"))
            o.norm = VN_HOG_NORM_L1_SQRT;
        else if (!strcmp(norm, "L2"))
            o.norm = VN_HOG_NORM_L2;
        else if (!strcmp(norm, "L2-Hys"))
            o.norm = VN_HOG_NORM_L2_HYS;
        else
            return conf_fail(c, "unknown block_norm '%s'", norm);
    }
    o.sqrt_transform = param_bool(c, "transform_sqrt", false);
    if (!param_bool(c, "feature_vector", true))
        return conf_skip(c, "feature_vector=False (the runner compares the flat descriptor)");
    const vn_tensor *x = input_named_or_first(c, "x.npy");
    if (!x)
        return CONF_ERROR;
    /* A 3-D x is an image with channels (channel_axis=-1): the library
     * takes the strongest channel's gradient per pixel, as skimage does. */
    return run_hog(c, &o, x, NULL, NULL);
}

conf_result conf_op_hog_opencv(conf_case *c)
{
    int win[2] = {64, 128}, block[2] = {16, 16}, bstride[2] = {8, 8}, cell[2] = {8, 8};
    int wstride[2] = {0, 0}, pad[2] = {0, 0};
    vn_hog_options o;
    vn_hog_options_defaults(&o, VN_HOG_OPENCV);
    if (!opt_pair(c, "winSize_wh", win) || !opt_pair(c, "blockSize_wh", block) ||
        !opt_pair(c, "blockStride_wh", bstride) || !opt_pair(c, "cellSize_wh", cell) ||
        !opt_int(c, "nbins", &o.orientations) || !opt_pair(c, "winStride", wstride) ||
        !opt_pair(c, "padding", pad))
        return CONF_ERROR;
    if (conf_param_has(c, "derivAperture") && !param_is_null(c, "derivAperture")) {
        double a;
        if (!conf_param_double(c, "derivAperture", &a))
            return CONF_ERROR;
        if (a != 1)
            return conf_skip(c, "derivAperture %g (OpenCV ignores it; only 1 is described)", a);
    }
    if (pad[0] != 0 || pad[1] != 0)
        return conf_skip(c, "padding (%d, %d): the library does not pad images", pad[0], pad[1]);
    if (block[0] % cell[0] || block[1] % cell[1] || bstride[0] % cell[0] || bstride[1] % cell[1])
        return conf_skip(c, "block size / stride not a multiple of the cell size");
    o.cell_w = cell[0];
    o.cell_h = cell[1];
    o.block_w = block[0] / cell[0];
    o.block_h = block[1] / cell[1];
    o.block_stride_w = bstride[0] / cell[0];
    o.block_stride_h = bstride[1] / cell[1];
    if (conf_param_has(c, "winSigma") && !param_is_null(c, "winSigma")) {
        double s;
        if (!conf_param_double(c, "winSigma", &s))
            return CONF_ERROR;
        o.window_sigma = (float)s;
    }
    if (conf_param_has(c, "L2HysThreshold") && !param_is_null(c, "L2HysThreshold")) {
        double t;
        if (!conf_param_double(c, "L2HysThreshold", &t))
            return CONF_ERROR;
        o.l2hys_threshold = (float)t;
    }
    if (conf_param_has(c, "histogramNormType")) {
        const char *norm;
        if (conf_param_string(c, "histogramNormType", &norm) && strcmp(norm, "L2Hys") != 0)
            return conf_skip(c, "histogramNormType %s", norm);
    }
    o.sqrt_transform = param_bool(c, "gammaCorrection", true);
    o.signed_gradients = param_bool(c, "signedGradient", false);
    const vn_tensor *img = input_named_or_first(c, "image_u8.npy");
    if (!img)
        return CONF_ERROR;
    int H = (int)vn_tensor_dim(img, 0), W = (int)vn_tensor_dim(img, 1);
    if (H == win[1] && W == win[0])
        return run_hog(c, &o, img, NULL, NULL);
    /* A larger image: every window at winStride (default: the cell size),
     * row-major, descriptors one after another, as compute() returns them. */
    if (wstride[0] <= 0 || wstride[1] <= 0) {
        wstride[0] = cell[0];
        wstride[1] = cell[1];
    }
    int whw[2] = {win[1], win[0]}, shw[2] = {wstride[1], wstride[0]};
    return run_hog(c, &o, img, whw, shw);
}
