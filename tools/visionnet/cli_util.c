/* cli_util.c - error lines, argument parsing and JSON helpers for visionnet. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("visionnet: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_fail_status(const char *what, vn_status s)
{
    const char *msg = vn_last_error();
    if (!msg || !*msg)
        msg = vn_status_str(s);
    return cli_fail("%s: %s", what, msg);
}

bool cli_parse_int(const char *opt, const char *text, long lo, long hi, long *out)
{
    if (!text) {
        cli_fail("%s needs a value", opt);
        return false;
    }
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        cli_fail("%s: '%s' is not a whole number in %ld..%ld", opt, text, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_float(const char *opt, const char *text, double lo, double hi, double *out)
{
    if (!text) {
        cli_fail("%s needs a value", opt);
        return false;
    }
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < lo || v > hi) {
        cli_fail("%s: '%s' is not a number in %g..%g", opt, text, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

bool cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO) == 1;
}
