/* cli_model.c - loading model files and preparing images for them, for
 * the visionnet commands (info, predict, eval). Uses only the public API. */
#include "cli_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Skip a leading "<prefix>" of msg when it is there. */
static const char *skip(const char *msg, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(msg, prefix, n) == 0 ? msg + n : msg;
}

int cli_fail_file(const char *path, vn_status s)
{
    const char *msg = vn_last_error();
    if (!msg || !*msg)
        msg = vn_status_str(s);
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "model file '%s': ", path);
    msg = skip(msg, prefix);
    snprintf(prefix, sizeof prefix, "%s: ", path);
    msg = skip(msg, prefix);
    char line[1024];
    snprintf(line, sizeof line, "%s", msg);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return cli_fail("%s: %s", path, line);
}

vn_model *cli_model_load(const char *path, vn_optimizer **opt)
{
    vn_model *m = NULL;
    vn_status s = vn_model_load(path, &m, opt);
    if (s != VN_OK) {
        cli_fail_file(path, s);
        return NULL;
    }
    return m;
}

static bool has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n > k && !strcmp(path + n - k, suffix);
}

bool cli_is_model_file(const char *path)
{
    if (has_suffix(path, ".vnm") || has_suffix(path, ".safetensors"))
        return true;
    unsigned char head[9];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && head[8] == '{';
}

bool cli_model_read_image(const vn_model *m, const char *path, float *out)
{
    int64_t shape[VN_MAX_DIMS];
    int ndim = 0;
    vn_model_input_shape(m, shape, &ndim);
    if (ndim != 3 || shape[0] > 4) {
        cli_fail("%s: the model's input is not an image of 1 to 4 channels", path);
        return false;
    }
    int c = (int)shape[0], h = (int)shape[1], w = (int)shape[2];
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    opts.channels = c;
    vn_tensor *img = NULL, *sized = NULL, *x = NULL;
    vn_status s = vn_image_read(path, &opts, &img);
    if (s == VN_OK) {
        int ih = (int)vn_tensor_dim(img, 0), iw = (int)vn_tensor_dim(img, 1);
        if (ih != h || iw != w) {
            vn_interp how = (h < ih || w < iw) ? VN_INTERP_AREA : VN_INTERP_BILINEAR;
            s = vn_image_resize(img, h, w, how, &sized);
        }
    }
    float scale = 0, mean[4], std[4];
    if (s == VN_OK)
        s = vn_model_get_preprocess(m, &scale, mean, std);
    if (s == VN_OK)
        s = vn_image_to_tensor(sized ? sized : img, scale, mean, std, &x);
    if (s == VN_OK)
        memcpy(out, vn_tensor_data_const(x), vn_tensor_nbytes(x));
    vn_tensor_destroy(img);
    vn_tensor_destroy(sized);
    vn_tensor_destroy(x);
    if (s != VN_OK) {
        cli_fail_file(path, s);
        return false;
    }
    return true;
}
