/*
 * cli_fit.h - what `visionnet train` and `finetune` share around vn_fit:
 * the optimizer from --optimizer / --lr, running vn_fit so that Ctrl-C
 * stops it cleanly, the test-set evaluation after it and the closing lines.
 */
#ifndef VISIONNET_CLI_FIT_H
#define VISIONNET_CLI_FIT_H

#include "cli.h"
#include "progress.h"

/* The options `train` and `finetune` share. */
typedef struct cli_fit_args {
    const char *data, *test, *optimizer, *schedule, *out;
    long epochs, batch, threads;
    double lr, val_split;
    unsigned long long seed;
    bool lr_set, seed_set;
} cli_fit_args;

/* Their defaults: 3 epochs, batch 64, "sgd", "constant", the rest unset. */
cli_fit_args cli_fit_args_default(void);

/* Whether opt is one of them: --data --test --optimizer --schedule --out
 * --epochs --batch --threads --seed --lr --val-split (each takes a value). */
bool cli_fit_takes_value(const char *opt);

/* Store the value v of such an option in a; false after one line when v is
 * out of range. */
bool cli_fit_parse_value(const char *opt, const char *v, cli_fit_args *a);

/*
 * The data a fit runs on beside the training set `all` (read from
 * data_path): *train is all, or its part left by --val-split with *val the
 * rest; *test is --test's data, or the split found beside data_path, or
 * NULL (its resolved path in test_path). false after one line (the caller
 * frees what is not NULL with cli_fit_free_data).
 */
bool cli_fit_open_data(const cli_fit_args *a, vn_dataset *all, const char *data_path,
                       vn_dataset **train, vn_dataset **val, vn_dataset **test,
                       char *test_path, size_t test_path_cap);

/*
 * The optimizer (--optimizer, --lr) and schedule (--schedule) of a fit on
 * train, and the options they set in o: epochs, batch_size, seed,
 * optimizer, schedule (per step) and checkpoint_path (--out). false after
 * one line; the caller destroys *opt and *schedule either way.
 */
bool cli_fit_prepare(const cli_fit_args *a, const vn_dataset *train, vn_optimizer **opt,
                     vn_schedule **schedule, vn_fit_options *o);

/*
 * vn_fit(model, train, o, result) with SIGINT caught for the call and
 * o->abort set to stop at the next step when it arrives; prog's line is
 * cleared afterwards. 0 when the fit finished; otherwise one line and the
 * exit status: 130 when interrupted (naming what out_path holds), 1 on
 * any other error.
 */
int cli_fit_run(vn_model *model, const vn_dataset *train, vn_fit_options *o,
                vn_fit_result *result, const char *out_path, cli_progress *prog);

/*
 * vn_evaluate(model, test) with prog's progress line, cleared afterwards;
 * *metrics gets the result. 0, or 1 after one line naming the error.
 */
int cli_fit_evaluate(vn_model *model, const vn_dataset *test, cli_progress *prog,
                     vn_metrics **metrics);

/* The closing lines of a fit: "test accuracy: ..." when metrics is not
 * NULL, then "model saved to OUT (S s)". */
void cli_fit_report(const vn_metrics *metrics, const char *test_path, const char *out,
                    double seconds);

/* Free the datasets of a fit (train may be all itself; any may be NULL). */
void cli_fit_free_data(vn_dataset *all, vn_dataset *train, vn_dataset *val, vn_dataset *test);

/* Monotonic seconds, for the times the commands print. */
double cli_seconds(void);

/* "key": v (%.6g), or "key": null when v is not finite, to f. */
void cli_json_number(FILE *f, const char *key, double v);

#endif
