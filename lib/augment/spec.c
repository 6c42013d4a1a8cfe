/*
 * spec.c - the spec string of a pipeline: parsing (vn_augment_from_spec,
 * vn_augment_add_spec) and printing (vn_augment_to_spec).
 *
 * Grammar: ops separated by ';' or new lines; an op is its name then
 * space-separated key=value words; '#' starts a comment that runs to the
 * end of the line. Values are numbers, comma-separated number lists
 * (ranges "lo,hi", sizes "H,W") or words (interp=nearest,
 * border=reflect, value=random). Which keys an op takes, and what a single
 * number means for a range key, is the table below; defaults are ops.c's.
 *
 *   deg=15        rotation range -15..15 (a single number is symmetric)
 *   b=0.4         jitter factor range max(0, 1-0.4)..1+0.4
 *   scale=0.9,1.1 any range given as lo,hi is used as written
 *
 * Errors name the op's index (from 0), its name and the word:
 * "augment spec, op 1 'rotate': unknown key 'degs'".
 */
#include "augment/augment_internal.h"
#include "core/vn_internal.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum key_type {
    K_P,          /* probability */
    K_INT,
    K_BOOL,
    K_FLOAT,
    K_SIZE,       /* "H" or "H,W" into two ints */
    K_SYM,        /* range; single v -> -v..v */
    K_FACTOR,     /* range; single v -> max(0, 1-v)..1+v */
    K_FIXED,      /* range; single v -> v..v */
    K_PAIR,       /* two floats; single v -> v, v */
    K_SHEAR,      /* 1: x -v..v; 2: x range; 4: x and y ranges */
    K_INTERP,
    K_BORDER,
    K_VALUE       /* erase value: "random" or 1..4 numbers */
} key_type;

typedef struct key_def {
    const char *key;
    key_type type;
    size_t offset;
} key_def;

#define OFF(field) offsetof(vn__aug_op, field)
#define P_KEY {"p", K_P, OFF(p)}
#define SAMPLING(f) {"interp", K_INTERP, OFF(u.f.interp)}, {"border", K_BORDER, OFF(u.f.border)}, \
                    {"fill", K_FLOAT, OFF(u.f.fill)}
#define END {NULL, K_P, 0}

static const key_def keys_flip[] = {P_KEY, END};
static const key_def keys_crop[] = {{"size", K_SIZE, OFF(u.crop.h)}, {"pad", K_INT, OFF(u.crop.pad)},
    {"pad_if_needed", K_BOOL, OFF(u.crop.pad_if_needed)}, {"border", K_BORDER, OFF(u.crop.border)},
    {"fill", K_FLOAT, OFF(u.crop.fill)}, P_KEY, END};
static const key_def keys_rrc[] = {{"size", K_SIZE, OFF(u.rrc.h)},
    {"scale", K_FIXED, OFF(u.rrc.scale)}, {"ratio", K_FIXED, OFF(u.rrc.ratio)},
    {"interp", K_INTERP, OFF(u.rrc.interp)}, P_KEY, END};
static const key_def keys_affine[] = {{"deg", K_SYM, OFF(u.affine.deg)},
    {"translate", K_PAIR, OFF(u.affine.translate)}, {"scale", K_FIXED, OFF(u.affine.scale)},
    {"shear", K_SHEAR, OFF(u.affine.shear)}, SAMPLING(affine), P_KEY, END};
static const key_def keys_rotate[] = {{"deg", K_SYM, OFF(u.affine.deg)}, SAMPLING(affine), P_KEY, END};
static const key_def keys_translate[] = {{"t", K_PAIR, OFF(u.affine.translate)}, SAMPLING(affine),
    P_KEY, END};
static const key_def keys_scale[] = {{"s", K_FIXED, OFF(u.affine.scale)}, SAMPLING(affine), P_KEY, END};
static const key_def keys_shear[] = {{"shear", K_SHEAR, OFF(u.affine.shear)}, SAMPLING(affine),
    P_KEY, END};
static const key_def keys_persp[] = {{"d", K_FLOAT, OFF(u.persp.distortion)}, SAMPLING(persp),
    P_KEY, END};
static const key_def keys_noise[] = {{"sigma", K_FLOAT, OFF(u.noise.sigma)}, P_KEY, END};
static const key_def keys_sp[] = {{"amount", K_FLOAT, OFF(u.sp.amount)},
    {"svp", K_FLOAT, OFF(u.sp.salt)}, P_KEY, END};
static const key_def keys_jitter[] = {{"b", K_FACTOR, OFF(u.jitter.b)},
    {"c", K_FACTOR, OFF(u.jitter.c)}, {"s", K_FACTOR, OFF(u.jitter.s)},
    {"h", K_SYM, OFF(u.jitter.h)}, P_KEY, END};
static const key_def keys_bright[] = {{"b", K_FACTOR, OFF(u.jitter.b)}, P_KEY, END};
static const key_def keys_contrast[] = {{"c", K_FACTOR, OFF(u.jitter.c)}, P_KEY, END};
static const key_def keys_sat[] = {{"s", K_FACTOR, OFF(u.jitter.s)}, P_KEY, END};
static const key_def keys_hue[] = {{"h", K_SYM, OFF(u.jitter.h)}, P_KEY, END};
static const key_def keys_gamma[] = {{"g", K_FIXED, OFF(u.gamma.g)}, P_KEY, END};
static const key_def keys_blur[] = {{"k", K_INT, OFF(u.blur.k)},
    {"sigma", K_FIXED, OFF(u.blur.sigma)}, P_KEY, END};
static const key_def keys_sharpen[] = {{"f", K_FIXED, OFF(u.sharpen.f)}, P_KEY, END};
static const key_def keys_erase[] = {{"scale", K_FIXED, OFF(u.erase.scale)},
    {"ratio", K_FIXED, OFF(u.erase.ratio)}, {"value", K_VALUE, 0}, P_KEY, END};

static const struct {
    const char *name;
    const key_def *keys;
} g_ops[] = {
    {"hflip", keys_flip}, {"vflip", keys_flip},
    {"random_crop", keys_crop}, {"random_resized_crop", keys_rrc},
    {"affine", keys_affine}, {"rotate", keys_rotate}, {"translate", keys_translate},
    {"scale", keys_scale}, {"shear", keys_shear}, {"perspective", keys_persp},
    {"gaussian_noise", keys_noise}, {"speckle", keys_noise}, {"salt_pepper", keys_sp},
    {"color_jitter", keys_jitter}, {"brightness", keys_bright}, {"contrast", keys_contrast},
    {"saturation", keys_sat}, {"hue", keys_hue}, {"gamma", keys_gamma},
    {"grayscale", keys_flip}, {"channel_shuffle", keys_flip},
    {"blur", keys_blur}, {"sharpen", keys_sharpen}, {"erase", keys_erase},
};

/* Parse up to max comma-separated finite numbers; the count, or -1. */
static int parse_numbers(const char *v, double *out, int max)
{
    int n = 0;
    const char *p = v;
    for (;;) {
        if (n == max)
            return -1;
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno || !isfinite(d))
            return -1;
        out[n++] = d;
        if (*end == '\0')
            return n;
        if (*end != ',')
            return -1;
        p = end + 1;
    }
}

#define BADVAL(...) return vn__error(VN_ERR_FORMAT, __VA_ARGS__)

static vn_status set_key(vn__aug_op *op, const key_def *k, const char *v)
{
    char *base = (char *)op;
    float *f = (float *)(base + k->offset);
    int *i = (int *)(base + k->offset);
    double d[4];
    int n;
    switch (k->type) {
    case K_P:
    case K_FLOAT:
        if (parse_numbers(v, d, 1) != 1)
            BADVAL("%s: '%s' is not a number", k->key, v);
        *f = (float)d[0];
        return VN_OK;
    case K_INT:
    case K_BOOL:
        if (parse_numbers(v, d, 1) != 1 || d[0] != floor(d[0]) || fabs(d[0]) > 1e9 ||
            (k->type == K_BOOL && d[0] != 0 && d[0] != 1))
            BADVAL("%s: '%s' is not %s", k->key, v, k->type == K_BOOL ? "0 or 1" : "a whole number");
        *i = (int)d[0];
        return VN_OK;
    case K_SIZE:
        n = parse_numbers(v, d, 2);
        if (n < 1 || d[0] != floor(d[0]) || d[n - 1] != floor(d[n - 1]) || d[0] < 1 ||
            d[n - 1] < 1 || d[0] > 1e8 || d[n - 1] > 1e8)
            BADVAL("%s: '%s' is not a size H or H,W", k->key, v);
        i[0] = (int)d[0];
        i[1] = (int)d[n - 1];
        return VN_OK;
    case K_SYM:
    case K_FACTOR:
    case K_FIXED:
    case K_PAIR:
        n = parse_numbers(v, d, 2);
        if (n < 1)
            BADVAL("%s: '%s' is not a number or a range lo,hi", k->key, v);
        if (n == 2) {
            f[0] = (float)d[0], f[1] = (float)d[1];
        } else if (k->type == K_SYM || k->type == K_FACTOR) {
            if (d[0] < 0)
                BADVAL("%s: '%s' is negative (give a range lo,hi for an asymmetric one)", k->key, v);
            f[0] = k->type == K_SYM ? (float)-d[0] : (float)(d[0] < 1 ? 1 - d[0] : 0);
            f[1] = k->type == K_SYM ? (float)d[0] : (float)(1 + d[0]);
        } else {
            f[0] = f[1] = (float)d[0];
        }
        return VN_OK;
    case K_SHEAR:
        n = parse_numbers(v, d, 4);
        if (n != 1 && n != 2 && n != 4)
            BADVAL("%s: '%s' is not S, xmin,xmax or xmin,xmax,ymin,ymax", k->key, v);
        if (n == 1) {
            f[0] = (float)-fabs(d[0]), f[1] = (float)fabs(d[0]);
        } else {
            for (int j = 0; j < n; j++)
                f[j] = (float)d[j];
        }
        return VN_OK;
    case K_INTERP:
        if (!strcmp(v, "nearest"))
            *i = VN_INTERP_NEAREST;
        else if (!strcmp(v, "bilinear") || !strcmp(v, "linear"))
            *i = VN_INTERP_BILINEAR;
        else
            BADVAL("%s: '%s' is not nearest or bilinear", k->key, v);
        return VN_OK;
    case K_BORDER:
        if (!strcmp(v, "constant"))
            *i = VN_BORDER_CONSTANT;
        else if (!strcmp(v, "edge") || !strcmp(v, "replicate"))
            *i = VN_BORDER_REPLICATE;
        else if (!strcmp(v, "reflect"))
            *i = VN_BORDER_REFLECT;
        else
            BADVAL("%s: '%s' is not constant, edge or reflect", k->key, v);
        return VN_OK;
    case K_VALUE:
        if (!strcmp(v, "random")) {
            op->u.erase.random = 1;
            return VN_OK;
        }
        n = parse_numbers(v, d, 4);
        if (n < 1)
            BADVAL("%s: '%s' is not 'random' or 1 to 4 numbers", k->key, v);
        op->u.erase.random = 0;
        op->u.erase.nvalue = n;
        for (int j = 0; j < n; j++)
            op->u.erase.value[j] = (float)d[j];
        return VN_OK;
    }
    BADVAL("%s: unknown key type", k->key);
}

static const key_def *find_keys(const char *name)
{
    for (size_t i = 0; i < VN_ARRAY_LEN(g_ops); i++)
        if (!strcmp(g_ops[i].name, name))
            return g_ops[i].keys;
    return NULL;
}

/* Parse one op's words (NUL-terminated, modified in place) into op. */
static vn_status parse_op(char *text, vn__aug_op *op, char *name_out, size_t name_size)
{
    char *save = NULL;
    char *name = strtok_r(text, " \t\r", &save);
    snprintf(name_out, name_size, "%s", name);
    const key_def *keys = find_keys(name);
    if (!keys || !vn__aug_defaults(name, op)) {
        char list[600] = "";
        for (size_t i = 0; i < VN_ARRAY_LEN(g_ops); i++) {
            strcat(list, i ? ", " : "");
            strcat(list, g_ops[i].name);
        }
        return vn__error(VN_ERR_FORMAT, "unknown op (ops: %s)", list);
    }
    for (char *w = strtok_r(NULL, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
        char *eq = strchr(w, '=');
        if (!eq || eq == w || eq[1] == '\0')
            return vn__error(VN_ERR_FORMAT, "'%s' is not key=value", w);
        *eq = '\0';
        const key_def *k = keys;
        while (k->key && strcmp(k->key, w))
            k++;
        if (!k->key) {
            char list[200] = "";
            for (const key_def *q = keys; q->key; q++) {
                strcat(list, q == keys ? "" : " ");
                strcat(list, q->key);
            }
            return vn__error(VN_ERR_FORMAT, "unknown key '%s' (keys: %s)", w, list);
        }
        VN_TRY(set_key(op, k, eq + 1));
    }
    vn_status s = vn__aug_validate(op);
    return s == VN_OK ? VN_OK : VN_ERR_FORMAT;
}

VN_API vn_status vn_augment_add_spec(vn_augment *aug, const char *spec)
{
    if (!aug || !spec)
        return vn__error(VN_ERR_INVALID_ARG, "augment_add_spec: NULL argument");
    char *text = vn__strdup(spec);
    if (!text)
        return vn__error(VN_ERR_NOMEM, "augment_add_spec: out of memory");
    /* A comment runs from '#' to the end of the line, ';' included. */
    for (char *c = strchr(text, '#'); c; c = strchr(c, '#'))
        while (*c && *c != '\n')
            *c++ = ' ';
    int first = aug->n;
    vn_status st = VN_OK;
    char *p = text;
    while (st == VN_OK && *p) {
        size_t len = strcspn(p, ";\n");
        char *next = p[len] ? p + len + 1 : p + len;
        p[len] = '\0';
        if (p[strspn(p, " \t\r")] != '\0') {
            vn__aug_op op;
            char name[32];
            st = parse_op(p, &op, name, sizeof name);
            if (st == VN_OK) {
                st = vn__aug_push(aug, &op);
            } else {
                char prefix[80];
                snprintf(prefix, sizeof prefix, "augment spec, op %d '%s'", aug->n, name);
                st = vn__error_prefix(st, prefix);
            }
        }
        p = next;
    }
    vn__free(text);
    if (st != VN_OK)
        aug->n = first; /* unchanged on error */
    return st;
}

VN_API vn_status vn_augment_from_spec(const char *spec, vn_augment **out)
{
    if (!spec || !out)
        return vn__error(VN_ERR_INVALID_ARG, "augment_from_spec: NULL argument");
    vn_augment *a = NULL;
    VN_TRY(vn_augment_create(&a));
    vn_status s = vn_augment_add_spec(a, spec);
    if (s != VN_OK) {
        vn_augment_destroy(a);
        return s;
    }
    *out = a;
    return VN_OK;
}

/* ---- printing --------------------------------------------------------------- */

static const char *interp_name(vn_interp i)
{
    return i == VN_INTERP_NEAREST ? "nearest" : "bilinear";
}

static const char *border_name(vn_border b)
{
    return b == VN_BORDER_REPLICATE ? "edge" : b == VN_BORDER_REFLECT ? "reflect" : "constant";
}

/* Print one op with every key, in the canonical name of its kind. */
static int print_op(const vn__aug_op *op, char *buf, size_t n)
{
    const float *r;
    switch (op->kind) {
    case VN__AUG_FLIP:
        return snprintf(buf, n, "%s p=%.9g", op->u.flip.dir == VN_FLIP_VERTICAL ? "vflip" : "hflip",
                        op->p);
    case VN__AUG_RANDOM_CROP:
        return snprintf(buf, n, "random_crop size=%d,%d pad=%d pad_if_needed=%d border=%s fill=%.9g",
                        op->u.crop.h, op->u.crop.w, op->u.crop.pad, op->u.crop.pad_if_needed,
                        border_name(op->u.crop.border), op->u.crop.fill);
    case VN__AUG_RESIZED_CROP:
        return snprintf(buf, n, "random_resized_crop size=%d,%d scale=%.9g,%.9g ratio=%.9g,%.9g "
                        "interp=%s", op->u.rrc.h, op->u.rrc.w, op->u.rrc.scale[0],
                        op->u.rrc.scale[1], op->u.rrc.ratio[0], op->u.rrc.ratio[1],
                        interp_name(op->u.rrc.interp));
    case VN__AUG_AFFINE:
        r = op->u.affine.shear;
        return snprintf(buf, n, "affine deg=%.9g,%.9g translate=%.9g,%.9g scale=%.9g,%.9g "
                        "shear=%.9g,%.9g,%.9g,%.9g interp=%s border=%s fill=%.9g p=%.9g",
                        op->u.affine.deg[0], op->u.affine.deg[1], op->u.affine.translate[0],
                        op->u.affine.translate[1], op->u.affine.scale[0], op->u.affine.scale[1],
                        r[0], r[1], r[2], r[3], interp_name(op->u.affine.interp),
                        border_name(op->u.affine.border), op->u.affine.fill, op->p);
    case VN__AUG_PERSPECTIVE:
        return snprintf(buf, n, "perspective d=%.9g interp=%s border=%s fill=%.9g p=%.9g",
                        op->u.persp.distortion, interp_name(op->u.persp.interp),
                        border_name(op->u.persp.border), op->u.persp.fill, op->p);
    case VN__AUG_GAUSSIAN_NOISE:
    case VN__AUG_SPECKLE:
        return snprintf(buf, n, "%s sigma=%.9g p=%.9g",
                        op->kind == VN__AUG_SPECKLE ? "speckle" : "gaussian_noise",
                        op->u.noise.sigma, op->p);
    case VN__AUG_SALT_PEPPER:
        return snprintf(buf, n, "salt_pepper amount=%.9g svp=%.9g p=%.9g", op->u.sp.amount,
                        op->u.sp.salt, op->p);
    case VN__AUG_COLOR_JITTER:
        return snprintf(buf, n, "color_jitter b=%.9g,%.9g c=%.9g,%.9g s=%.9g,%.9g h=%.9g,%.9g "
                        "p=%.9g", op->u.jitter.b[0], op->u.jitter.b[1], op->u.jitter.c[0],
                        op->u.jitter.c[1], op->u.jitter.s[0], op->u.jitter.s[1],
                        op->u.jitter.h[0], op->u.jitter.h[1], op->p);
    case VN__AUG_GAMMA:
        return snprintf(buf, n, "gamma g=%.9g,%.9g p=%.9g", op->u.gamma.g[0], op->u.gamma.g[1],
                        op->p);
    case VN__AUG_GRAYSCALE:
        return snprintf(buf, n, "grayscale p=%.9g", op->p);
    case VN__AUG_CHANNEL_SHUFFLE:
        return snprintf(buf, n, "channel_shuffle p=%.9g", op->p);
    case VN__AUG_BLUR:
        return snprintf(buf, n, "blur k=%d sigma=%.9g,%.9g p=%.9g", op->u.blur.k,
                        op->u.blur.sigma[0], op->u.blur.sigma[1], op->p);
    case VN__AUG_SHARPEN:
        return snprintf(buf, n, "sharpen f=%.9g,%.9g p=%.9g", op->u.sharpen.f[0],
                        op->u.sharpen.f[1], op->p);
    case VN__AUG_ERASE: {
        char v[80] = "random";
        if (!op->u.erase.random) {
            int len = 0;
            for (int i = 0; i < op->u.erase.nvalue; i++)
                len += snprintf(v + len, sizeof v - (size_t)len, i ? ",%.9g" : "%.9g",
                                op->u.erase.value[i]);
        }
        return snprintf(buf, n, "erase scale=%.9g,%.9g ratio=%.9g,%.9g value=%s p=%.9g",
                        op->u.erase.scale[0], op->u.erase.scale[1], op->u.erase.ratio[0],
                        op->u.erase.ratio[1], v, op->p);
    }
    }
    return snprintf(buf, n, "unknown");
}

VN_API vn_status vn_augment_to_spec(const vn_augment *aug, char **text)
{
    if (!aug || !text)
        return vn__error(VN_ERR_INVALID_ARG, "augment_to_spec: NULL argument");
    size_t cap = (size_t)aug->n * 256 + 1, len = 0;
    char *buf = vn__malloc(cap);
    if (!buf)
        return vn__error(VN_ERR_NOMEM, "augment_to_spec: out of memory");
    buf[0] = '\0';
    for (int k = 0; k < aug->n; k++) {
        if (k)
            len += (size_t)snprintf(buf + len, cap - len, "; ");
        len += (size_t)print_op(&aug->ops[k], buf + len, cap - len);
    }
    *text = buf;
    return VN_OK;
}
