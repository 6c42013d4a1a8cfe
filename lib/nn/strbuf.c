/*
 * strbuf.c - a growable NUL-terminated string for printing specs and
 * attributes back (see attrs.h). An allocation failure is remembered and
 * reported once, at vn__strbuf_take(), so printing code needs no checks.
 */
#include "nn/attrs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static bool reserve(vn__strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    size_t need;
    if (!vn__add_size(sb->len, extra + 1, &need)) {
        sb->failed = true;
        return false;
    }
    if (need <= sb->cap)
        return true;
    size_t cap = VN_MAX(need, sb->cap * 2 + 64);
    char *p = vn__realloc(sb->p, cap);
    if (!p) {
        sb->failed = true;
        return false;
    }
    sb->p = p;
    sb->cap = cap;
    return true;
}

void vn__strbuf_printf(vn__strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(sb, (size_t)n)) {
        sb->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void vn__strbuf_pair(vn__strbuf *sb, const char *key, const int v[2])
{
    if (v[0] == v[1])
        vn__strbuf_printf(sb, " %s=%d", key, v[0]);
    else
        vn__strbuf_printf(sb, " %s=%d,%d", key, v[0], v[1]);
}

const char *vn__format_float(char *buf, size_t n, float v)
{
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, n, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return buf;
}

void vn__strbuf_float(vn__strbuf *sb, const char *key, float v)
{
    char buf[48];
    vn__strbuf_printf(sb, " %s=%s", key, vn__format_float(buf, sizeof buf, v));
}

void vn__strbuf_double(vn__strbuf *sb, const char *key, double v)
{
    char buf[48];
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    vn__strbuf_printf(sb, " %s=%s", key, buf);
}

vn_status vn__strbuf_take(vn__strbuf *sb, char **out)
{
    if (!sb->failed && !sb->p)
        reserve(sb, 0);
    if (sb->failed) {
        vn__strbuf_free(sb);
        *out = NULL;
        return vn__error(VN_ERR_NOMEM, "out of memory building a string");
    }
    sb->p[sb->len] = '\0';
    *out = sb->p;
    sb->p = NULL;
    sb->len = sb->cap = 0;
    return VN_OK;
}

void vn__strbuf_free(vn__strbuf *sb)
{
    vn__free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
    sb->failed = false;
}
