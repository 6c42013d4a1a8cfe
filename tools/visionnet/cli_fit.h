/*
 * cli_fit.h - what `visionnet train` and `finetune` share around vn_fit:
 * the optimizer from --optimizer / --lr, and running vn_fit so that Ctrl-C
 * stops it cleanly.
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
 * vn_fit(model, train, o, result) with SIGINT caught for the call and
 * o->abort set to stop at the next step when it arrives; prog's line is
 * cleared afterwards. 0 when the fit finished; otherwise one line and the
 * exit status: 130 when interrupted (naming what out_path holds), 1 on
 * any other error.
 */
int cli_fit_run(vn_model *model, const vn_dataset *train, vn_fit_options *o,
                vn_fit_result *result, const char *out_path, cli_progress *prog);

#endif
