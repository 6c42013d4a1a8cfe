/*
 * log.c - diagnostics go to a callback with user data; silent by default.
 */
#include "vn_internal.h"

#include <stdarg.h>
#include <stdio.h>

static vn_log_fn g_log;
static void *g_log_user;
static vn_log_level g_log_max = VN_LOG_ERROR;

VN_API void vn_set_log_callback(vn_log_fn fn, vn_log_level max_level, void *user_data)
{
    g_log = fn;
    g_log_user = user_data;
    g_log_max = max_level;
}

void vn__log(vn_log_level level, const char *fmt, ...)
{
    vn_log_fn fn = g_log;
    if (!fn || level > g_log_max)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fn(level, buf, g_log_user);
}
