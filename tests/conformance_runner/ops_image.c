/*
 * ops_image.c - the image/ operations of the conformance format (README
 * section 4, image/) mapped onto visionnet/image.h. Each reads its params,
 * calls the library, and gives the outputs in the layout the case stores.
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The first listed input, or NULL after conf_fail. */
static const vn_tensor *first_input(conf_case *c)
{
    const char *name = conf_input_name(c, 0);
    if (!name) {
        conf_fail(c, "the case lists no input");
        return NULL;
    }
    return conf_input(c, name);
}

static conf_result give_first(conf_case *c, vn_tensor *t)
{
    const char *name = conf_output_name(c, 0);
    if (!name) {
        vn_tensor_destroy(t);
        return conf_fail(c, "the case lists no output");
    }
    conf_output(c, name, t);
    return CONF_OK;
}

/* OpenCV and scikit-image drop the channel axis of a grey result made from
 * an [H,W,C] image: [H,W,1] -> [H,W]. */
static void drop_channel_axis(vn_tensor *t)
{
    int64_t s[2] = {vn_tensor_dim(t, 0), vn_tensor_dim(t, 1)};
    vn_tensor_reshape(t, 2, s);
}

static conf_result gray(conf_case *c, vn_gray method, bool drop_axis)
{
    const vn_tensor *x = first_input(c);
    if (!x)
        return CONF_ERROR;
    vn_tensor *y = NULL;
    vn_status s = vn_image_to_gray(x, method, &y);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_image_to_gray", s);
    if (drop_axis)
        drop_channel_axis(y);
    return give_first(c, y);
}

conf_result conf_op_rgb2gray_skimage(conf_case *c)
{
    return gray(c, VN_GRAY_REC709, true);
}

conf_result conf_op_rgb2gray_opencv(conf_case *c)
{
    return gray(c, VN_GRAY_BT601, true);
}

conf_result conf_op_rgb2gray_bt601_float(conf_case *c)
{
    return gray(c, VN_GRAY_BT601, false);
}

static conf_result resize(conf_case *c, vn_interp interp, const int hw[2])
{
    const vn_tensor *x = first_input(c);
    if (!x)
        return CONF_ERROR;
    vn_tensor *y = NULL;
    vn_status s = vn_image_resize(x, hw[0], hw[1], interp, &y);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_image_resize", s);
    return give_first(c, y);
}

conf_result conf_op_resize_opencv(conf_case *c)
{
    static const struct { const char *name; vn_interp interp; } names[] = {
        {"INTER_NEAREST", VN_INTERP_NEAREST},
        {"INTER_LINEAR", VN_INTERP_BILINEAR},
        {"INTER_AREA", VN_INTERP_AREA},
        {"INTER_CUBIC", VN_INTERP_BICUBIC},
    };
    const char *name;
    int hw[2];
    if (!conf_param_string(c, "interpolation", &name) || !conf_param_ints(c, "out_hw", hw, 2))
        return CONF_ERROR;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return resize(c, names[i].interp, hw);
    return conf_skip(c, "interpolation '%s' not implemented", name);
}

/* F.interpolate on NCHW float (op "interpolate_bilinear"; "mode" picks
 * the others when present). */
conf_result conf_op_interpolate(conf_case *c)
{
    static const struct { const char *name; vn_interp interp; } modes[] = {
        {"nearest", VN_INTERP_NEAREST},
        {"bilinear", VN_INTERP_BILINEAR},
        {"bicubic", VN_INTERP_BICUBIC},
        {"area", VN_INTERP_AREA},
    };
    int hw[2];
    if (!conf_param_ints(c, "size", hw, 2))
        return CONF_ERROR;
    const cJSON *p = conf_params(c);
    const cJSON *ac = cJSON_GetObjectItemCaseSensitive(p, "align_corners");
    const cJSON *aa = cJSON_GetObjectItemCaseSensitive(p, "antialias");
    if (cJSON_IsTrue(ac))
        return conf_skip(c, "align_corners=True not implemented");
    if (cJSON_IsTrue(aa))
        return conf_skip(c, "antialias=True not implemented");
    const char *mode = "bilinear";
    if (conf_param_has(c, "mode") && !conf_param_string(c, "mode", &mode))
        return CONF_ERROR;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(modes[i].name, mode) == 0)
            return resize(c, modes[i].interp, hw);
    return conf_skip(c, "mode '%s' not implemented", mode);
}

conf_result conf_op_flip(conf_case *c)
{
    const char *dir;
    if (!conf_param_string(c, "direction", &dir))
        return CONF_ERROR;
    vn_flip f;
    if (strcmp(dir, "horizontal") == 0)
        f = VN_FLIP_HORIZONTAL;
    else if (strcmp(dir, "vertical") == 0)
        f = VN_FLIP_VERTICAL;
    else if (strcmp(dir, "both") == 0)
        f = VN_FLIP_BOTH;
    else
        return conf_skip(c, "flip direction '%s' not implemented", dir);
    const vn_tensor *x = first_input(c);
    if (!x)
        return CONF_ERROR;
    vn_tensor *y = NULL;
    vn_status s = vn_image_flip(x, f, &y);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_image_flip", s);
    return give_first(c, y);
}

conf_result conf_op_center_crop(conf_case *c)
{
    int hw[2];
    if (!conf_param_ints(c, "size_hw", hw, 2))
        return CONF_ERROR;
    const vn_tensor *x = first_input(c);
    if (!x)
        return CONF_ERROR;
    vn_tensor *y = NULL;
    vn_status s = vn_image_center_crop(x, hw[0], hw[1], &y);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_image_center_crop", s);
    return give_first(c, y);
}

/* "1/255", "0.5" or a number. */
static bool parse_scale(conf_case *c, double *scale)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(conf_params(c), "input_scale");
    if (!j) {
        *scale = 1.0 / 255;
        return true;
    }
    if (cJSON_IsNumber(j)) {
        *scale = j->valuedouble;
        return true;
    }
    if (cJSON_IsString(j)) {
        char *end;
        double a = strtod(j->valuestring, &end);
        if (*end == '/') {
            double b = strtod(end + 1, &end);
            if (*end == '\0' && b != 0) {
                *scale = a / b;
                return true;
            }
        } else if (*end == '\0') {
            *scale = a;
            return true;
        }
    }
    conf_fail(c, "param 'input_scale' is not a number or 'a/b'");
    return false;
}

conf_result conf_op_normalize(conf_case *c)
{
    const vn_tensor *x = first_input(c);
    if (!x)
        return CONF_ERROR;
    int ch = vn_tensor_ndim(x) == 2 ? 1 : (int)vn_tensor_dim(x, -1);
    if (ch < 1 || ch > 16)
        return conf_fail(c, "input has %d channels", ch);
    double mean_d[16], std_d[16], scale;
    if (!conf_param_doubles(c, "mean", mean_d, ch) || !conf_param_doubles(c, "std", std_d, ch) ||
        !parse_scale(c, &scale))
        return CONF_ERROR;
    float mean[16], std[16];
    for (int i = 0; i < ch; i++) {
        mean[i] = (float)mean_d[i];
        std[i] = (float)std_d[i];
    }
    vn_tensor *y = NULL;
    vn_status s = vn_image_to_tensor(x, (float)scale, mean, std, &y);
    if (s != VN_OK)
        return conf_fail_status(c, "vn_image_to_tensor", s);
    return give_first(c, y);
}

/* params.M as 6 doubles (a nested [[a, b, c], [d, e, f]] list). */
static bool read_matrix(conf_case *c, double m[6])
{
    const cJSON *M = cJSON_GetObjectItemCaseSensitive(conf_params(c), "M");
    int k = 0;
    const cJSON *row, *v;
    if (!cJSON_IsArray(M) || cJSON_GetArraySize(M) != 2)
        goto bad;
    cJSON_ArrayForEach(row, M)
    {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != 3)
            goto bad;
        cJSON_ArrayForEach(v, row)
        {
            if (!cJSON_IsNumber(v))
                goto bad;
            m[k++] = v->valuedouble;
        }
    }
    return true;
bad:
    conf_fail(c, "param 'M' is not a 2x3 matrix");
    return false;
}

static conf_result read_border(conf_case *c, vn_border *border, double *value)
{
    const char *name = "BORDER_CONSTANT";
    *value = 0;
    if (conf_param_has(c, "border") && !conf_param_string(c, "border", &name))
        return CONF_ERROR;
    if (conf_param_has(c, "border_value") && !conf_param_double(c, "border_value", value))
        return CONF_ERROR;
    if (strcmp(name, "BORDER_CONSTANT") == 0)
        *border = VN_BORDER_CONSTANT;
    else if (strcmp(name, "BORDER_REPLICATE") == 0)
        *border = VN_BORDER_REPLICATE;
    else if (strcmp(name, "BORDER_REFLECT_101") == 0 || strcmp(name, "BORDER_REFLECT101") == 0 ||
             strcmp(name, "BORDER_DEFAULT") == 0)
        *border = VN_BORDER_REFLECT;
    else
        return conf_skip(c, "border '%s' not implemented", name);
    return CONF_OK;
}

/*
 * cv2.warpAffine(x, M, dsize, flags, borderMode, borderValue). y.npy is
 * made from the u8 image (OpenCV fixed point), y_exact.npy from the same
 * image converted to f32 (exact sampling). When the case is a plain
 * rotation about the centre (what vn_image_rotate does), vn_image_rotate
 * is used so that its matrix is checked too; otherwise params.M.
 */
conf_result conf_op_warp_affine_rotate(conf_case *c)
{
    const vn_tensor *x = first_input(c);
    if (!x)
        return CONF_ERROR;
    const char *interp_name = "INTER_LINEAR";
    if (conf_param_has(c, "interpolation") && !conf_param_string(c, "interpolation", &interp_name))
        return CONF_ERROR;
    vn_interp interp;
    if (strcmp(interp_name, "INTER_LINEAR") == 0)
        interp = VN_INTERP_BILINEAR;
    else if (strcmp(interp_name, "INTER_NEAREST") == 0)
        interp = VN_INTERP_NEAREST;
    else
        return conf_skip(c, "interpolation '%s' not implemented", interp_name);
    vn_border border = VN_BORDER_CONSTANT;
    double bval = 0;
    double m[6];
    conf_result r = read_border(c, &border, &bval);
    if (r != CONF_OK)
        return r;
    if (!read_matrix(c, m))
        return CONF_ERROR;
    int64_t h = vn_tensor_dim(x, 0), w = vn_tensor_dim(x, 1);
    int dsize[2] = {(int)w, (int)h};
    if (conf_param_has(c, "dsize_wh") && !conf_param_ints(c, "dsize_wh", dsize, 2))
        return CONF_ERROR;

    bool plain_rotation = conf_param_has(c, "angle_deg") && border == VN_BORDER_CONSTANT && bval == 0 &&
                          dsize[0] == w && dsize[1] == h;
    double angle = 0, scale = 1, centre[2] = {(w - 1) / 2.0, (h - 1) / 2.0};
    if (plain_rotation) {
        double cxy[2] = {centre[0], centre[1]};
        if (!conf_param_double(c, "angle_deg", &angle) ||
            (conf_param_has(c, "scale") && !conf_param_double(c, "scale", &scale)) ||
            (conf_param_has(c, "center_xy") && !conf_param_doubles(c, "center_xy", cxy, 2)))
            return CONF_ERROR;
        plain_rotation = scale == 1 && cxy[0] == centre[0] && cxy[1] == centre[1];
    }

    const char *names[2] = {"y.npy", "y_exact.npy"};
    for (int k = 0; k < 2; k++) {
        if (!conf_wants_output(c, names[k]))
            continue;
        vn_tensor *src = NULL, *y = NULL;
        vn_status s = vn_tensor_convert(x, k == 0 ? vn_tensor_dtype(x) : VN_F32, &src);
        double fill[16];
        for (int i = 0; i < 16; i++)
            fill[i] = bval;
        if (s == VN_OK && vn_tensor_ndim(src) == 3 && vn_tensor_dim(src, 2) > 16)
            s = VN_ERR_UNSUPPORTED;
        if (s == VN_OK)
            s = plain_rotation ? vn_image_rotate(src, angle, interp, &y)
                               : vn_image_warp_affine(src, m, dsize[1], dsize[0], interp, border, fill, &y);
        vn_tensor_destroy(src);
        if (s != VN_OK)
            return conf_fail_status(c, plain_rotation ? "vn_image_rotate" : "vn_image_warp_affine", s);
        conf_output(c, names[k], y);
    }
    return CONF_OK;
}
