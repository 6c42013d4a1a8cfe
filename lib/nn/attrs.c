/*
 * attrs.c - parsing of "key=value" attribute words (see attrs.h).
 */
#include "nn/attrs.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_range(const char *s, size_t n)
{
    char *d = vn__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void vn__attrs_set_who(vn__attrs *a, const char *type, const char *name)
{
    if (name)
        snprintf(a->who, sizeof a->who, "%s '%s'", type, name);
    else
        snprintf(a->who, sizeof a->who, "%s", type);
}

vn_status vn__attrs_parse(const char *text, const char *who, vn__attrs *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->who, sizeof a->who, "%s", who ? who : "attributes");
    if (!text)
        return VN_OK;
    const char *p = text;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - start);
        const char *eq = memchr(start, '=', len);
        if (!eq || eq == start || eq == start + len - 1)
            return vn__error(VN_ERR_FORMAT, "%s: '%.*s' is not a key=value word", a->who,
                             (int)VN_MIN(len, (size_t)64), start);
        if (a->n == VN__ATTRS_MAX)
            return vn__error(VN_ERR_FORMAT, "%s: more than %d attributes at '%.*s'", a->who,
                             VN__ATTRS_MAX, (int)VN_MIN(len, (size_t)64), start);
        vn__attr *at = &a->items[a->n];
        at->word = dup_range(start, len);
        at->key = dup_range(start, (size_t)(eq - start));
        at->value = dup_range(eq + 1, len - (size_t)(eq - start) - 1);
        a->n++;
        if (!at->word || !at->key || !at->value)
            return vn__error(VN_ERR_NOMEM, "%s: out of memory", a->who);
        for (int i = 0; i < a->n - 1; i++)
            if (strcmp(a->items[i].key, at->key) == 0)
                return vn__error(VN_ERR_FORMAT, "%s: attribute '%s' given twice ('%s' and '%s')",
                                 a->who, at->key, a->items[i].word, at->word);
    }
    return VN_OK;
}

void vn__attrs_free(vn__attrs *a)
{
    for (int i = 0; i < a->n; i++) {
        vn__free(a->items[i].word);
        vn__free(a->items[i].key);
        vn__free(a->items[i].value);
    }
    a->n = 0;
}

static vn__attr *find(vn__attrs *a, const char *key)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->items[i].key, key) == 0) {
            a->items[i].used = true;
            return &a->items[i];
        }
    return NULL;
}

const char *vn__attrs_get(vn__attrs *a, const char *key)
{
    vn__attr *at = find(a, key);
    return at ? at->value : NULL;
}

static vn_status missing(const vn__attrs *a, const char *key)
{
    return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s=' is required", a->who, key);
}

/* Parse one integer from s up to `end` chars ('\0' or ','); *next after it. */
static bool parse_int(const char *s, int64_t *v, const char **next)
{
    if (!*s || isspace((unsigned char)*s))
        return false;
    errno = 0;
    char *e;
    long long x = strtoll(s, &e, 10);
    if (e == s || errno == ERANGE || (*e && *e != ','))
        return false;
    *v = (int64_t)x;
    *next = e;
    return true;
}

vn_status vn__attr_int(vn__attrs *a, const char *key, bool required, int64_t def, int64_t lo,
                       int64_t hi, int64_t *out)
{
    vn__attr *at = find(a, key);
    if (!at) {
        if (required)
            return missing(a, key);
        *out = def;
        return VN_OK;
    }
    int64_t v;
    const char *next;
    if (!parse_int(at->value, &v, &next) || *next)
        return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': expected an integer", a->who,
                         at->word);
    if (v < lo || v > hi)
        return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': %lld is not in %lld..%lld",
                         a->who, at->word, (long long)v, (long long)lo, (long long)hi);
    *out = v;
    return VN_OK;
}

vn_status vn__attr_int_list(vn__attrs *a, const char *key, int max, int64_t lo, int64_t hi,
                            int64_t *out, int *count)
{
    vn__attr *at = find(a, key);
    *count = 0;
    if (!at)
        return VN_OK;
    const char *s = at->value;
    int n = 0;
    for (;;) {
        int64_t v;
        const char *next;
        if (!parse_int(s, &v, &next))
            return vn__error(VN_ERR_INVALID_ARG,
                             "%s: attribute '%s': expected integers separated by commas", a->who,
                             at->word);
        if (n == max)
            return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': more than %d values",
                             a->who, at->word, max);
        if (v < lo || v > hi)
            return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': %lld is not in %lld..%lld",
                             a->who, at->word, (long long)v, (long long)lo, (long long)hi);
        out[n++] = v;
        if (!*next)
            break;
        s = next + 1;
    }
    *count = n;
    return VN_OK;
}

vn_status vn__attr_pair(vn__attrs *a, const char *key, bool required, int def, int lo, int hi,
                        int out[2])
{
    int64_t v[2];
    int n;
    VN_TRY(vn__attr_int_list(a, key, 2, lo, hi, v, &n));
    if (n == 0) {
        if (required)
            return missing(a, key);
        out[0] = out[1] = def;
        return VN_OK;
    }
    out[0] = (int)v[0];
    out[1] = (int)(n == 2 ? v[1] : v[0]);
    return VN_OK;
}

vn_status vn__attr_float(vn__attrs *a, const char *key, double def, double lo, double hi,
                         double *out)
{
    vn__attr *at = find(a, key);
    if (!at) {
        *out = def;
        return VN_OK;
    }
    errno = 0;
    char *e;
    double v = strtod(at->value, &e);
    if (e == at->value || *e || errno == ERANGE || !isfinite(v))
        return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': expected a number", a->who,
                         at->word);
    if (v < lo || v > hi)
        return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': %g is not in [%g, %g]", a->who,
                         at->word, v, lo, hi);
    *out = v;
    return VN_OK;
}

vn_status vn__attr_bool(vn__attrs *a, const char *key, bool def, bool *out)
{
    vn__attr *at = find(a, key);
    if (!at) {
        *out = def;
        return VN_OK;
    }
    if (!strcmp(at->value, "1") || !strcmp(at->value, "true"))
        *out = true;
    else if (!strcmp(at->value, "0") || !strcmp(at->value, "false"))
        *out = false;
    else
        return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': expected 1, 0, true or false",
                         a->who, at->word);
    return VN_OK;
}

vn_status vn__attr_choice(vn__attrs *a, const char *key, const char *const *choices, int def,
                          int *out)
{
    vn__attr *at = find(a, key);
    if (!at) {
        *out = def;
        return VN_OK;
    }
    for (int i = 0; choices[i]; i++)
        if (!strcmp(at->value, choices[i])) {
            *out = i;
            return VN_OK;
        }
    char list[128] = "";
    for (int i = 0; choices[i]; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", choices[i]);
    }
    return vn__error(VN_ERR_INVALID_ARG, "%s: attribute '%s': expected one of %s", a->who,
                     at->word, list);
}

vn_status vn__attrs_check_unused(const vn__attrs *a)
{
    for (int i = 0; i < a->n; i++)
        if (!a->items[i].used)
            return vn__error(VN_ERR_INVALID_ARG, "%s: unknown attribute '%s'", a->who,
                             a->items[i].word);
    return VN_OK;
}
