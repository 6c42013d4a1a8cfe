/*
 * ops.h - the conformance runner's operations: one row per op id of the
 * conformance format (../shared/conformance/README.md, section 4).
 *
 * HOW TO ADD OPERATIONS
 * 1. Write the run functions in the file of their family (ops_image.c,
 *    ops_nn.c, ops_loss.c, ops_optim.c, ops_model.c, ops_features.c); a new
 *    file goes into tests/conformance_runner/meson.build.
 * 2. Declare each function below and add its row to conf_ops[], under the
 *    family's heading. Op ids missing from the table are reported as SKIP.
 *
 * A run function gets the case (case.h): its params (cJSON), its inputs
 * loaded by file name (conf_input(c, "x.npy"), borrowed), and hands back
 * every output it computes with conf_output(c, "y.npy", tensor) (ownership
 * passes to the runner). It returns
 * - CONF_OK when it ran; the runner then compares each listed output with
 *   the reference (exact shape, dtype, and |got - ref| <= atol + rtol*|ref|
 *   in double). Outputs listed in debug_outputs may be left out;
 * - CONF_ERROR after conf_fail(c, "...") when the library refused or
 *   the case is malformed: the case FAILs with that message;
 * - CONF_SKIP after conf_skip(c, "...") for a variant the library does not
 *   have (an interpolation it lacks, ...): the case is SKIPped.
 * Outputs must be given in the layout the reference stores (e.g. [H,W]
 * for a grey image made from [H,W,3]): reshape in the run function.
 */
#ifndef CONF_OPS_H
#define CONF_OPS_H

#include "case.h"

typedef struct conf_op {
    const char *name;                 /* "op" of case.json */
    conf_result (*run)(conf_case *c);
} conf_op;

/* ---- image/ (ops_image.c) ---------------------------------------------- */
conf_result conf_op_rgb2gray_skimage(conf_case *c);
conf_result conf_op_rgb2gray_opencv(conf_case *c);
conf_result conf_op_rgb2gray_bt601_float(conf_case *c);
conf_result conf_op_resize_opencv(conf_case *c);
conf_result conf_op_interpolate(conf_case *c);
conf_result conf_op_flip(conf_case *c);
conf_result conf_op_warp_affine_rotate(conf_case *c);
conf_result conf_op_center_crop(conf_case *c);
conf_result conf_op_normalize(conf_case *c);

/* ---- nn/ (ops_nn.c) ----------------------------------------------------- */
conf_result conf_op_conv2d(conf_case *c);
conf_result conf_op_conv_transpose2d(conf_case *c);
conf_result conf_op_max_pool2d(conf_case *c);
conf_result conf_op_avg_pool2d(conf_case *c);
conf_result conf_op_adaptive_avg_pool2d(conf_case *c);
conf_result conf_op_linear(conf_case *c);
conf_result conf_op_batch_norm2d(conf_case *c);
conf_result conf_op_relu(conf_case *c);
conf_result conf_op_leaky_relu(conf_case *c);
conf_result conf_op_sigmoid(conf_case *c);
conf_result conf_op_tanh(conf_case *c);
conf_result conf_op_gelu(conf_case *c);
conf_result conf_op_softmax(conf_case *c);
conf_result conf_op_log_softmax(conf_case *c);
conf_result conf_op_flatten(conf_case *c);
conf_result conf_op_dropout(conf_case *c);
conf_result conf_op_upsample(conf_case *c);
conf_result conf_op_add(conf_case *c);
conf_result conf_op_concat(conf_case *c);

/* ---- loss/ (ops_loss.c) ------------------------------------------------- */
conf_result conf_op_cross_entropy(conf_case *c);
conf_result conf_op_mse(conf_case *c);
conf_result conf_op_bce_with_logits(conf_case *c);

/* ---- optim/ (ops_optim.c) ----------------------------------------------- */
conf_result conf_op_sgd(conf_case *c);
conf_result conf_op_adam(conf_case *c);
conf_result conf_op_adamw(conf_case *c);

/* ---- features/ (ops_features.c) ---------------------------------------- */
conf_result conf_op_hog_skimage(conf_case *c);
conf_result conf_op_hog_opencv(conf_case *c);

/* ---- model/ (ops_model.c) ---------------------------------------------- */
conf_result conf_op_model_small_cnn(conf_case *c);

#ifdef CONF_OPS_TABLE
/* The table; instantiated by main.c only. */
static const conf_op conf_ops[] = {
    /* image/ */
    {"rgb2gray_skimage", conf_op_rgb2gray_skimage},
    {"rgb2gray_opencv", conf_op_rgb2gray_opencv},
    {"rgb2gray_bt601_float", conf_op_rgb2gray_bt601_float},
    {"resize_opencv", conf_op_resize_opencv},
    {"interpolate_bilinear", conf_op_interpolate},
    {"flip", conf_op_flip},
    {"warp_affine_rotate", conf_op_warp_affine_rotate},
    {"center_crop", conf_op_center_crop},
    {"normalize", conf_op_normalize},
    /* nn/ (ops_nn.c) */
    {"conv2d", conf_op_conv2d},
    {"conv_transpose2d", conf_op_conv_transpose2d},
    {"max_pool2d", conf_op_max_pool2d},
    {"avg_pool2d", conf_op_avg_pool2d},
    {"adaptive_avg_pool2d", conf_op_adaptive_avg_pool2d},
    {"linear", conf_op_linear},
    {"batch_norm2d", conf_op_batch_norm2d},
    {"relu", conf_op_relu},
    {"leaky_relu", conf_op_leaky_relu},
    {"sigmoid", conf_op_sigmoid},
    {"tanh", conf_op_tanh},
    {"gelu", conf_op_gelu},
    {"softmax", conf_op_softmax},
    {"log_softmax", conf_op_log_softmax},
    {"flatten", conf_op_flatten},
    {"dropout", conf_op_dropout},
    {"upsample", conf_op_upsample},
    {"add", conf_op_add},
    {"concat", conf_op_concat},
    /* loss/ (ops_loss.c) */
    {"cross_entropy", conf_op_cross_entropy},
    {"mse", conf_op_mse},
    {"binary_cross_entropy_with_logits", conf_op_bce_with_logits},
    /* optim/ (ops_optim.c) */
    {"sgd", conf_op_sgd},
    {"adam", conf_op_adam},
    {"adamw", conf_op_adamw},
    /* features/ (ops_features.c) */
    {"hog_skimage", conf_op_hog_skimage},
    {"hog_opencv", conf_op_hog_opencv},
    /* model/ (ops_model.c) */
    {"model_small_cnn", conf_op_model_small_cnn},
};
#endif

#endif /* CONF_OPS_H */
