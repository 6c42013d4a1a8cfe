/*
 * config_words.c - reading and writing the configuration strings of
 * optimizers and schedules ("sgd lr=0.1 momentum=0.9", "cosine t_max=30").
 *
 * A string is words separated by blanks; a word is "key=value" or, first,
 * the kind. Numbers are read and written with '.' as the decimal point
 * whatever the program's LC_NUMERIC locale is: a configuration written under
 * one locale must read back under another.
 */
#include "train/train_internal.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

vn_status vn__train_word_next(const char *what, const char **cursor, char *buf, bool *got)
{
    const char *s = *cursor;
    while (*s && is_blank(*s))
        s++;
    size_t n = 0;
    while (s[n] && !is_blank(s[n]))
        n++;
    *got = n > 0;
    if (n >= VN__WORD_MAX)
        return vn__error(VN_ERR_INVALID_ARG, "%s: the word '%.32s...' is longer than %d characters",
                         what, s, VN__WORD_MAX - 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    *cursor = s + n;
    return VN_OK;
}

char *vn__train_word_value(char *word)
{
    char *eq = strchr(word, '=');
    if (!eq)
        return NULL;
    *eq = '\0';
    return eq + 1;
}

/* The locale's decimal point ("." in the C locale, "," in many others). */
static char locale_point(void)
{
    const struct lconv *lc = localeconv();
    return (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point[0] : '.';
}

vn_status vn__train_parse_double(const char *what, const char *key, const char *val, double *out)
{
    char buf[VN__WORD_MAX];
    size_t n = strlen(val);
    if (n == 0 || n >= sizeof buf)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s='%s' is not a number", what, key, val);
    memcpy(buf, val, n + 1);
    char point = locale_point();
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == point && point != '.')
            return vn__error(VN_ERR_INVALID_ARG, "%s: %s='%s' is not a number", what, key, val);
        if (buf[i] == '.')
            buf[i] = point;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + n || errno == ERANGE || !isfinite(v))
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s='%s' is not a finite number", what, key, val);
    *out = v;
    return VN_OK;
}

vn_status vn__train_parse_int(const char *what, const char *key, const char *val, int64_t lo,
                              int64_t hi, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (*val == '\0' || *end != '\0' || errno == ERANGE)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s='%s' is not an integer", what, key, val);
    if (v < lo || v > hi)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s=%lld is out of range (%lld..%lld)", what, key,
                         v, (long long)lo, (long long)hi);
    *out = v;
    return VN_OK;
}

bool vn__train_append_double(char *buf, size_t n, const char *key, double value)
{
    /* The shortest %g precision that reads back as the same double. */
    char num[64];
    char point = locale_point();
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(num, sizeof num, "%.*g", prec, value);
        if (strtod(num, NULL) == value)
            break;
    }
    for (char *c = num; *c; c++)
        if (*c == point)
            *c = '.';
    size_t used = strlen(buf);
    int w = snprintf(buf + used, n - used, "%s%s=%s", used ? " " : "", key, num);
    return w >= 0 && (size_t)w < n - used;
}

bool vn__train_glob_match(const char *glob, const char *s)
{
    /* Iterative matcher with one backtrack point: linear in practice and
     * never recursive, so a hostile glob cannot blow the stack. */
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*glob == '*') {
            star = glob++;
            resume = s;
        } else if (*glob == '?' || *glob == *s) {
            glob++;
            s++;
        } else if (star) {
            glob = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*glob == '*')
        glob++;
    return *glob == '\0';
}
