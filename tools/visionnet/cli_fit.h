/*
 * cli_fit.h - what `visionnet train` and `finetune` share around vn_fit:
 * the optimizer from --optimizer / --lr.
 */
#ifndef VISIONNET_CLI_FIT_H
#define VISIONNET_CLI_FIT_H

#include "cli.h"

/*
 * The optimizer of --optimizer OPT and --lr X: "sgd" is SGD with momentum
 * 0.9 (lr 0.01 unless lr_set), "adam" / "adamw" their defaults (lr 0.001
 * unless lr_set), anything else a configuration string for
 * vn_optimizer_create() whose lr --lr overrides when lr_set. NULL after one
 * line "visionnet: --optimizer: <reason>".
 */
vn_optimizer *cli_build_optimizer(const char *optimizer, bool lr_set, double lr);

#endif
