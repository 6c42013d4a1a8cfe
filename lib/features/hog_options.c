/*
 * hog_options.c - HOG parameters: the defaults of each convention, the
 * range checks, and the "key=value" string constructor's parser.
 */
#include "features/hog_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

VN_API vn_status vn_hog_options_defaults(vn_hog_options *opts, vn_hog_convention convention)
{
    if (!opts)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL options");
    if (convention != VN_HOG_SKIMAGE && convention != VN_HOG_OPENCV)
        return vn__error(VN_ERR_INVALID_ARG, "hog: unknown convention %d", (int)convention);
    vn_hog_options d = VN_HOG_OPTIONS_INIT;
    d.convention = convention;
    if (convention == VN_HOG_OPENCV)
        d.sqrt_transform = 1;
    *opts = d;
    return VN_OK;
}

vn_status vn__hog_check_options(const vn_hog_options *o)
{
    if (o->size < sizeof(vn_hog_options))
        return vn__error(VN_ERR_INVALID_ARG, "hog: options size is %zu, expected %zu (use VN_HOG_OPTIONS_INIT)",
                         o->size, sizeof(vn_hog_options));
    if (o->convention != VN_HOG_SKIMAGE && o->convention != VN_HOG_OPENCV)
        return vn__error(VN_ERR_INVALID_ARG, "hog: unknown convention %d", o->convention);
    if (o->orientations < 2 || o->orientations > VN__HOG_MAX_BINS)
        return vn__error(VN_ERR_INVALID_ARG, "hog: orientations is %d, must be 2..%d", o->orientations,
                         VN__HOG_MAX_BINS);
    if (o->cell_h < 1 || o->cell_w < 1 || o->cell_h > 4096 || o->cell_w > 4096)
        return vn__error(VN_ERR_INVALID_ARG, "hog: cell is %dx%d pixels, each side must be 1..4096",
                         o->cell_h, o->cell_w);
    if (o->block_h < 1 || o->block_w < 1 || o->block_h > 64 || o->block_w > 64)
        return vn__error(VN_ERR_INVALID_ARG, "hog: block is %dx%d cells, each side must be 1..64",
                         o->block_h, o->block_w);
    if (o->block_stride_h < 1 || o->block_stride_w < 1 || o->block_stride_h > o->block_h ||
        o->block_stride_w > o->block_w)
        return vn__error(VN_ERR_INVALID_ARG, "hog: block stride is %dx%d cells, must be 1..block size (%dx%d)",
                         o->block_stride_h, o->block_stride_w, o->block_h, o->block_w);
    if (o->norm < VN_HOG_NORM_L1 || o->norm > VN_HOG_NORM_L2_HYS)
        return vn__error(VN_ERR_INVALID_ARG, "hog: unknown block norm %d", o->norm);
    if (!(o->l2hys_threshold > 0.0f) || !isfinite(o->l2hys_threshold))
        return vn__error(VN_ERR_INVALID_ARG, "hog: L2-Hys threshold must be a positive number");
    if (o->signed_gradients != 0 && o->signed_gradients != 1)
        return vn__error(VN_ERR_INVALID_ARG, "hog: signed_gradients must be 0 or 1");
    if (o->sqrt_transform != 0 && o->sqrt_transform != 1)
        return vn__error(VN_ERR_INVALID_ARG, "hog: sqrt_transform must be 0 or 1");
    if (!isfinite(o->window_sigma))
        return vn__error(VN_ERR_INVALID_ARG, "hog: window_sigma is not finite");
    return VN_OK;
}

/* "8" -> 8,8; "6x4" -> 6,4 (height x width). */
static bool parse_pair(const char *v, int *a, int *b)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || errno || x < 1 || x > 4096)
        return false;
    long y = x;
    if (*end == 'x' || *end == ',') {
        const char *s = end + 1;
        y = strtol(s, &end, 10);
        if (end == s || errno || y < 1 || y > 4096)
            return false;
    }
    if (*end)
        return false;
    *a = (int)x;
    *b = (int)y;
    return true;
}

static bool parse_int(const char *v, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < -1000000 || x > 1000000)
        return false;
    *out = (int)x;
    return true;
}

static bool parse_float(const char *v, float *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x))
        return false;
    *out = (float)x;
    return true;
}

/* Copy word i (blank-separated) of spec into buf; false when there is none. */
static const char *next_word(const char *p, char *buf, size_t n, bool *too_long)
{
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    size_t k = 0;
    *too_long = false;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
        if (k + 1 < n)
            buf[k++] = *p;
        else
            *too_long = true;
        p++;
    }
    buf[k] = 0;
    return p;
}

static vn_status apply(vn_hog_options *o, const char *key, const char *v, const char *word)
{
    bool ok = true;
    if (!strcmp(key, "convention")) {
        /* handled in the first pass */
    } else if (!strcmp(key, "orientations") || !strcmp(key, "bins")) {
        ok = parse_int(v, &o->orientations);
    } else if (!strcmp(key, "cell")) {
        ok = parse_pair(v, &o->cell_h, &o->cell_w);
    } else if (!strcmp(key, "block")) {
        ok = parse_pair(v, &o->block_h, &o->block_w);
    } else if (!strcmp(key, "stride")) {
        ok = parse_pair(v, &o->block_stride_h, &o->block_stride_w);
    } else if (!strcmp(key, "norm")) {
        if (!strcmp(v, "l1"))
            o->norm = VN_HOG_NORM_L1;
        else if (!strcmp(v, "l1sqrt") || !strcmp(v, "l1-sqrt"))
            o->norm = VN_HOG_NORM_L1_SQRT;
        else if (!strcmp(v, "l2"))
            o->norm = VN_HOG_NORM_L2;
        else if (!strcmp(v, "l2hys") || !strcmp(v, "l2-hys"))
            o->norm = VN_HOG_NORM_L2_HYS;
        else
            return vn__error(VN_ERR_INVALID_ARG, "hog: '%s': norm must be l1, l1sqrt, l2 or l2hys", word);
    } else if (!strcmp(key, "threshold")) {
        ok = parse_float(v, &o->l2hys_threshold);
    } else if (!strcmp(key, "signed")) {
        ok = parse_int(v, &o->signed_gradients);
    } else if (!strcmp(key, "sqrt")) {
        ok = parse_int(v, &o->sqrt_transform);
    } else if (!strcmp(key, "sigma")) {
        ok = parse_float(v, &o->window_sigma);
    } else {
        return vn__error(VN_ERR_INVALID_ARG, "hog: unknown key in '%s' (keys: convention orientations cell block "
                         "stride norm threshold signed sqrt sigma)", word);
    }
    if (!ok)
        return vn__error(VN_ERR_INVALID_ARG, "hog: bad value in '%s'", word);
    return VN_OK;
}

vn_status vn__hog_parse_options(const char *spec, vn_hog_options *o)
{
    vn_hog_options_defaults(o, VN_HOG_SKIMAGE);
    if (!spec)
        return VN_OK;
    char word[128];
    bool too_long;
    /* First pass: the convention, which sets the defaults of the rest. */
    for (const char *p = spec; (p = next_word(p, word, sizeof word, &too_long)), word[0];) {
        if (too_long)
            return vn__error(VN_ERR_INVALID_ARG, "hog: word too long in \"%s\"", spec);
        char *eq = strchr(word, '=');
        if (!eq || eq == word || !eq[1])
            return vn__error(VN_ERR_INVALID_ARG, "hog: '%s' is not key=value", word);
        *eq = 0;
        if (!strcmp(word, "convention")) {
            if (!strcmp(eq + 1, "skimage"))
                vn_hog_options_defaults(o, VN_HOG_SKIMAGE);
            else if (!strcmp(eq + 1, "opencv"))
                vn_hog_options_defaults(o, VN_HOG_OPENCV);
            else
                return vn__error(VN_ERR_INVALID_ARG, "hog: 'convention=%s': expected skimage or opencv", eq + 1);
        }
    }
    for (const char *p = spec; (p = next_word(p, word, sizeof word, &too_long)), word[0];) {
        char full[128];
        memcpy(full, word, sizeof full);
        char *eq = strchr(word, '=');
        *eq = 0;
        VN_TRY(apply(o, word, eq + 1, full));
    }
    return VN_OK;
}
