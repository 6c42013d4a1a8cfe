/*
 * case.h - one conformance case as the run functions see it (ops.h says
 * how they are written), and the runner's side: loading a case folder,
 * comparing outputs with the stored references.
 */
#ifndef CONF_CASE_H
#define CONF_CASE_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <visionnet.h>

typedef enum conf_result {
    CONF_OK = 0,
    CONF_ERROR = 1,
    CONF_SKIP = 2
} conf_result;

typedef struct conf_case conf_case;

/* ---- for run functions --------------------------------------------------- */

/* The case's "params" object (never NULL: an empty object when absent). */
const cJSON *conf_params(const conf_case *c);
/* Input file `name` ("x.npy"), loaded on first use and borrowed; NULL
 * (after conf_fail) when the case does not list it or it cannot be read. */
const vn_tensor *conf_input(conf_case *c, const char *name);
/* Name of the i-th listed input / output ("x.npy"), NULL past the end: ops
 * with one input and one output use these rather than fixed names. */
const char *conf_input_name(const conf_case *c, int i);
const char *conf_output_name(const conf_case *c, int i);
/* Whether the case lists an output of that name. */
bool conf_wants_output(const conf_case *c, const char *name);
/* Hand an output to the runner, which owns it from then on. */
void conf_output(conf_case *c, const char *name, vn_tensor *t);

/* Record why the case failed / is skipped; return CONF_ERROR / CONF_SKIP. */
conf_result conf_fail(conf_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
conf_result conf_skip(conf_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* conf_fail with the library's status and last error, prefixed by what. */
conf_result conf_fail_status(conf_case *c, const char *what, vn_status s);

/* Parameters. Each returns false (after conf_fail) when the key is missing
 * or of the wrong type. Arrays are read as [v0, v1, ...] up to n values
 * and must hold exactly n. */
bool conf_param_double(conf_case *c, const char *key, double *v);
bool conf_param_string(conf_case *c, const char *key, const char **v);
bool conf_param_doubles(conf_case *c, const char *key, double *v, int n);
bool conf_param_ints(conf_case *c, const char *key, int *v, int n);
/* Whether params has the key (for optional parameters). */
bool conf_param_has(const conf_case *c, const char *key);

/* ---- for the runner ------------------------------------------------------ */

/* Load dir/case.json (inputs are read when a run function asks). On
 * failure returns NULL and writes a reason into err. */
conf_case *conf_case_load(const char *dir, char *err, size_t err_size);
void conf_case_free(conf_case *c);
/* The op id of the case. */
const char *conf_case_op(const conf_case *c);
/* The message recorded by conf_fail / conf_skip. */
const char *conf_case_message(const conf_case *c);
/* Compare every listed output with its reference. Returns true when all
 * pass; otherwise writes every failure into msg ("; "-separated). Writes into note the
 * debug outputs that were not produced ("" when none). */
bool conf_case_check(conf_case *c, char *msg, size_t msg_size, char *note, size_t note_size);

#endif /* CONF_CASE_H */
