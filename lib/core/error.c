/*
 * error.c - status names and the thread-local last-error message.
 *
 * Every failing function records one sentence saying what was wrong and
 * where; the caller reads it with vn_last_error() on the same thread. A
 * thread-local buffer (not one process-global buffer, libvips' mistake)
 * keeps threads from overwriting each other's messages.
 */
#include "vn_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define VN_ERROR_MAX 512

static _Thread_local char tls_message[VN_ERROR_MAX];

VN_API const char *vn_status_str(vn_status status)
{
    switch (status) {
    case VN_OK: return "VN_OK";
    case VN_ERR_INVALID_ARG: return "VN_ERR_INVALID_ARG";
    case VN_ERR_NOMEM: return "VN_ERR_NOMEM";
    case VN_ERR_SHAPE: return "VN_ERR_SHAPE";
    case VN_ERR_IO: return "VN_ERR_IO";
    case VN_ERR_FORMAT: return "VN_ERR_FORMAT";
    case VN_ERR_UNSUPPORTED: return "VN_ERR_UNSUPPORTED";
    case VN_ERR_LIMIT: return "VN_ERR_LIMIT";
    case VN_ERR_ABORTED: return "VN_ERR_ABORTED";
    case VN_ERR_INTERNAL: return "VN_ERR_INTERNAL";
    }
    return "VN_ERR_UNKNOWN";
}

VN_API const char *vn_last_error(void)
{
    return tls_message;
}

VN_API void vn_clear_error(void)
{
    tls_message[0] = '\0';
}

vn_status vn__error(vn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls_message, sizeof tls_message, fmt, ap);
    va_end(ap);
    vn__log(VN_LOG_DEBUG, "%s: %s", vn_status_str(status), tls_message);
    return status;
}

vn_status vn__error_prefix(vn_status status, const char *prefix)
{
    char old[VN_ERROR_MAX];
    memcpy(old, tls_message, sizeof old);
    /* Truncation is acceptable: the message is for people. */
    int n = snprintf(tls_message, sizeof tls_message, "%s: ", prefix);
    if (n >= 0 && (size_t)n < sizeof tls_message)
        snprintf(tls_message + n, sizeof tls_message - (size_t)n, "%.*s", (int)(sizeof tls_message - (size_t)n - 1), old);
    return status;
}
