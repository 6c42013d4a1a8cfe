/*
 * cli_fit.h - what `visionnet train` and `finetune` share around vn_fit:
 * the optimizer from --optimizer / --lr, running vn_fit so that Ctrl-C
 * stops it cleanly, the test-set evaluation after it and the closing lines.
 */
#ifndef VISIONNET_CLI_FIT_H
#define VISIONNET_CLI_FIT_H

#include "cli.h"
#include "progress.h"

/*
 * The optimizer of --optimizer OPT and --lr X: "sgd" is SGD with momentum
 * 0.9 (lr 0.01 unless lr_set), "adam" / "adamw" their defaults (lr 0.001
 * unless lr_set), anything else a configuration string for
 * vn_optimizer_create() whose lr --lr overrides when lr_set. NULL after one
 * line "visionnet: --optimizer: <reason>".
 */
vn_optimizer *cli_build_optimizer(const char *optimizer, bool lr_set, double lr);

/*
 * The learning-rate schedule of --schedule S for a run of total_steps
 * batches, stepped once per batch (VN_SCHEDULE_PER_STEP): "constant" gives
 * *out = NULL (the optimizer's lr throughout); "cosine" anneals to 0 over the
 * run (t_max = total_steps); anything else is a configuration string for
 * vn_schedule_create() counted in batches ("step step_size=938 gamma=0.1"),
 * where a cosine without t_max= also gets t_max = total_steps. false after
 * one line "visionnet: --schedule: <reason>".
 */
bool cli_build_schedule(const char *schedule, int64_t total_steps, vn_schedule **out);

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
