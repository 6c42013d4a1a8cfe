/*
 * cli.h - what the visionnet subcommands share: the command table entry,
 * error reporting (one line on stderr, exit status 1), argument parsing and
 * JSON output helpers. The command uses only the public API.
 */
#ifndef VISIONNET_CLI_H
#define VISIONNET_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <visionnet.h>

/* A subcommand: argv[0] is the subcommand's name. Returns the exit status. */
typedef int (*cli_command_fn)(int argc, char **argv);

/* Print "visionnet: <message>" on stderr; returns 1 (the exit status of a user error). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As cli_fail for a failed library call: "visionnet: <what>: <vn_last_error()>". */
int cli_fail_status(const char *what, vn_status s);

/* Parse a whole decimal integer in [lo, hi]; false (and a message) otherwise. */
bool cli_parse_int(const char *opt, const char *text, long lo, long hi, long *out);
/* Parse a finite float in [lo, hi]. */
bool cli_parse_float(const char *opt, const char *text, double lo, double hi, double *out);

/* Write s as a JSON string literal (quotes and escapes) to f. */
void cli_json_string(FILE *f, const char *s);

/* True when standard error is a terminal (progress bars) . */
bool cli_stderr_is_tty(void);

#endif
