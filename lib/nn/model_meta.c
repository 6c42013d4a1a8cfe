/*
 * model_meta.c - what a model carries besides its graph and weights: how a
 * u8 image becomes its input (scale, per-channel mean and std) and the
 * names of its classes. Both are saved in model files (model_file.c) and
 * read by `visionnet predict` / `eval` and by training.
 *
 * Preprocessing follows torchvision's ToTensor + Normalize and
 * vn_image_to_tensor(): x = (u8 * scale - mean[c]) / std[c]. A fresh model
 * has scale 1/255, mean 0, std 1 (pixels in [0, 1]); a mean or std left
 * NULL is stored as NULL and means all 0 / all 1, so a model with a large
 * 1-D input costs nothing until per-channel values are given.
 *
 * The text form written to model files uses '.' as the decimal point
 * whatever the program's LC_NUMERIC locale is, so a file written under one
 * locale reads back under another.
 */
#include "nn/model_meta.h"
#include "core/json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SCALE (1.0f / 255.0f)
#define CLASS_NAME_MAX 255

void vn__model_meta_free(vn_model *m)
{
    vn__free(m->pre_mean);
    vn__free(m->pre_std);
    m->pre_mean = m->pre_std = NULL;
    m->pre_set = false;
    for (int i = 0; i < m->nclasses; i++)
        vn__free(m->class_names[i]);
    vn__free(m->class_names);
    m->class_names = NULL;
    m->nclasses = 0;
}

int64_t vn__model_input_channels(const vn_model *m)
{
    return m->in_shape.d[0];
}

int64_t vn__model_output_count(const vn_model *m)
{
    if (m->nnodes == 0)
        return vn__shape_count(&m->in_shape);
    return vn__shape_count(&m->nodes[m->nnodes - 1].shape);
}

/* ---- preprocessing ---------------------------------------------------------- */

/* A copy of n floats checked with ok(); NULL stays NULL. */
static vn_status copy_channels(const char *what, const float *src, int64_t n, bool positive,
                               float **out)
{
    *out = NULL;
    if (!src)
        return VN_OK;
    for (int64_t c = 0; c < n; c++)
        if (!isfinite(src[c]) || (positive && !(src[c] > 0.0f)))
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_model_set_preprocess: %s[%lld] is %g, expected a finite number%s",
                             what, (long long)c, (double)src[c], positive ? " > 0" : "");
    size_t bytes;
    if (!vn__mul_size((size_t)n, sizeof(float), &bytes))
        return vn__error(VN_ERR_NOMEM, "vn_model_set_preprocess: %lld channels", (long long)n);
    *out = vn__alloc_or_error(bytes, "vn_model_set_preprocess");
    if (!*out)
        return VN_ERR_NOMEM;
    memcpy(*out, src, bytes);
    return VN_OK;
}

VN_API vn_status vn_model_set_preprocess(vn_model *m, float scale, const float *mean,
                                         const float *std)
{
    if (!m)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_preprocess: model is NULL");
    if (!isfinite(scale) || !(scale > 0.0f))
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_set_preprocess: scale is %g, expected a finite number > 0",
                         (double)scale);
    int64_t c = vn__model_input_channels(m);
    float *nm = NULL, *ns = NULL;
    vn_status s = copy_channels("mean", mean, c, false, &nm);
    if (s == VN_OK)
        s = copy_channels("std", std, c, true, &ns);
    if (s != VN_OK) {
        vn__free(nm);
        return s;
    }
    vn__free(m->pre_mean);
    vn__free(m->pre_std);
    m->pre_mean = nm;
    m->pre_std = ns;
    m->pre_scale = scale;
    m->pre_set = true;
    return VN_OK;
}

VN_API vn_status vn_model_get_preprocess(const vn_model *m, float *scale, float *mean, float *std)
{
    if (!m)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_get_preprocess: model is NULL");
    int64_t c = vn__model_input_channels(m);
    if (scale)
        *scale = m->pre_set ? m->pre_scale : DEFAULT_SCALE;
    for (int64_t i = 0; i < c && mean; i++)
        mean[i] = m->pre_mean ? m->pre_mean[i] : 0.0f;
    for (int64_t i = 0; i < c && std; i++)
        std[i] = m->pre_std ? m->pre_std[i] : 1.0f;
    return VN_OK;
}

/* ---- preprocessing as text ------------------------------------------------- */

static char locale_point(void)
{
    const struct lconv *lc = localeconv();
    return lc && lc->decimal_point && lc->decimal_point[0] ? lc->decimal_point[0] : '.';
}

/* Append " key=v1,v2,..." (the default when values is NULL). */
static void append_list(vn__strbuf *sb, const char *key, const float *values, int64_t n,
                        float def)
{
    char point = locale_point();
    vn__strbuf_printf(sb, " %s=", key);
    /* One number stands for every channel only when all equal the default
     * and no list was given; otherwise write all C of them. */
    int64_t count = values ? n : 1;
    for (int64_t i = 0; i < count; i++) {
        char buf[48];
        vn__format_float(buf, sizeof buf, values ? values[i] : def);
        for (char *c = buf; *c; c++)
            if (*c == point)
                *c = '.';
        vn__strbuf_printf(sb, "%s%s", i ? "," : "", buf);
    }
}

vn_status vn__model_preprocess_text(const vn_model *m, char **text)
{
    vn__strbuf sb = {0};
    char buf[48];
    char point = locale_point();
    vn__format_float(buf, sizeof buf, m->pre_set ? m->pre_scale : DEFAULT_SCALE);
    for (char *c = buf; *c; c++)
        if (*c == point)
            *c = '.';
    vn__strbuf_printf(&sb, "scale=%s", buf);
    int64_t c = vn__model_input_channels(m);
    append_list(&sb, "mean", m->pre_mean, c, 0.0f);
    append_list(&sb, "std", m->pre_std, c, 1.0f);
    return vn__strbuf_take(&sb, text);
}

/* One number of the text [s, s+len): finite, '.' as the point. */
static bool parse_float(const char *s, size_t len, float *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char point = locale_point();
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return false;
        if (c == '.')
            buf[i] = point;
    }
    char *end;
    errno = 0;
    float v = strtof(buf, &end);
    if (end != buf + len || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* The value of "key=a,b,c" into a new array of n floats: exactly n values,
 * or one that stands for every channel. *out stays NULL (the default) when
 * that one value is def. */
static vn_status parse_list(const char *key, const char *val, size_t len, int64_t n, float def,
                            float **out)
{
    int64_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += val[i] == ',';
    if (count != n && count != 1)
        return vn__error(VN_ERR_FORMAT,
                         "preprocess: '%s=' has %lld values but the model's input has %lld channel%s",
                         key, (long long)count, (long long)n, n == 1 ? "" : "s");
    float one = 0.0f;
    if (count == 1 && n > 1) {
        if (!parse_float(val, len, &one))
            return vn__error(VN_ERR_FORMAT, "preprocess: '%s=%.*s' is not a finite number", key,
                             (int)VN_MIN(len, (size_t)80), val);
        if (one == def)
            return VN_OK;
    }
    size_t bytes;
    if (!vn__mul_size((size_t)n, sizeof(float), &bytes))
        return vn__error(VN_ERR_NOMEM, "preprocess: %lld channels", (long long)n);
    float *v = vn__alloc_or_error(bytes, "preprocess");
    if (!v)
        return VN_ERR_NOMEM;
    const char *p = val, *end = val + len;
    for (int64_t i = 0; i < n; i++) {
        if (count == 1 && n > 1) {
            v[i] = one;
            continue;
        }
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t l = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (!parse_float(p, l, &v[i])) {
            vn__free(v);
            return vn__error(VN_ERR_FORMAT, "preprocess: '%s=%.*s': value %lld is not a finite number",
                             key, (int)VN_MIN(len, (size_t)80), val, (long long)i + 1);
        }
        p = comma ? comma + 1 : end;
    }
    *out = v;
    return VN_OK;
}

vn_status vn__model_preprocess_parse(vn_model *m, const char *text)
{
    float scale = DEFAULT_SCALE, *mean = NULL, *std = NULL;
    bool seen_scale = false, seen_mean = false, seen_std = false;
    int64_t c = vn__model_input_channels(m);
    vn_status s = VN_OK;
    const char *p = text;
    while (s == VN_OK) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t wlen = (size_t)(p - w);
        const char *eq = memchr(w, '=', wlen);
        size_t klen = eq ? (size_t)(eq - w) : wlen;
        const char *val = eq ? eq + 1 : NULL;
        size_t vlen = eq ? wlen - klen - 1 : 0;
        if (klen == 5 && !memcmp(w, "scale", 5) && val && !seen_scale) {
            seen_scale = true;
            if (!parse_float(val, vlen, &scale) || !(scale > 0.0f))
                s = vn__error(VN_ERR_FORMAT, "preprocess: 'scale=%.*s' is not a finite number > 0",
                              (int)VN_MIN(vlen, (size_t)80), val);
        } else if (klen == 4 && !memcmp(w, "mean", 4) && val && !seen_mean) {
            seen_mean = true;
            s = parse_list("mean", val, vlen, c, 0.0f, &mean);
        } else if (klen == 3 && !memcmp(w, "std", 3) && val && !seen_std) {
            seen_std = true;
            s = parse_list("std", val, vlen, c, 1.0f, &std);
            for (int64_t i = 0; s == VN_OK && std && i < c; i++)
                if (!(std[i] > 0.0f))
                    s = vn__error(VN_ERR_FORMAT, "preprocess: std value %lld is %g, expected > 0",
                                  (long long)i + 1, (double)std[i]);
        } else {
            s = vn__error(VN_ERR_FORMAT,
                          "preprocess: unexpected word '%.*s' (expected scale=, mean=, std= once each)",
                          (int)VN_MIN(wlen, (size_t)80), w);
        }
    }
    if (s == VN_OK) {
        vn__free(m->pre_mean);
        vn__free(m->pre_std);
        m->pre_mean = mean;
        m->pre_std = std;
        m->pre_scale = scale;
        m->pre_set = true;
        return VN_OK;
    }
    vn__free(mean);
    vn__free(std);
    return s;
}

/* ---- class names ------------------------------------------------------------- */

static vn_status check_class_name(int i, const char *name)
{
    if (!name)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_class_names: name %d is NULL", i);
    size_t len = strlen(name);
    if (len == 0 || len > CLASS_NAME_MAX)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_set_class_names: name %d has %zu bytes, expected 1 to %d", i,
                         len, CLASS_NAME_MAX);
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)name[k] < 0x20 || name[k] == 0x7f)
            return vn__error(VN_ERR_INVALID_ARG,
                             "vn_model_set_class_names: name %d holds a control character", i);
    if (!vn__utf8_valid(name, len))
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_class_names: name %d is not valid UTF-8",
                         i);
    return VN_OK;
}

VN_API vn_status vn_model_set_class_names(vn_model *m, int n, const char *const *names)
{
    if (!m)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_class_names: model is NULL");
    if (n == 0) {
        for (int i = 0; i < m->nclasses; i++)
            vn__free(m->class_names[i]);
        vn__free(m->class_names);
        m->class_names = NULL;
        m->nclasses = 0;
        return VN_OK;
    }
    int64_t outputs = vn__model_output_count(m);
    if (n < 0 || n != outputs)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_set_class_names: %d names for a model with %lld outputs", n,
                         (long long)outputs);
    if (!names)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_set_class_names: names is NULL");
    for (int i = 0; i < n; i++)
        VN_TRY(check_class_name(i, names[i]));
    char **copy = vn__calloc((size_t)n, sizeof *copy);
    if (!copy)
        return vn__error(VN_ERR_NOMEM, "vn_model_set_class_names: out of memory");
    for (int i = 0; i < n; i++) {
        copy[i] = vn__strdup(names[i]);
        if (!copy[i]) {
            for (int k = 0; k < i; k++)
                vn__free(copy[k]);
            vn__free(copy);
            return vn__error(VN_ERR_NOMEM, "vn_model_set_class_names: out of memory");
        }
    }
    vn_model_set_class_names(m, 0, NULL);
    m->class_names = copy;
    m->nclasses = n;
    return VN_OK;
}

VN_API const char *vn_model_class_name(const vn_model *m, int i)
{
    if (!m || i < 0 || i >= m->nclasses)
        return NULL;
    return m->class_names[i];
}

VN_API int vn_model_class_count(const vn_model *m)
{
    return m ? m->nclasses : 0;
}
