/* cli_fit.c - the optimizer of `visionnet train` and `finetune` (see
 * cli_fit.h). Uses only the public API. */
#include "cli_fit.h"

#include <string.h>

vn_optimizer *cli_build_optimizer(const char *o, bool lr_set, double lr)
{
    char config[512];
    if (!strcmp(o, "sgd"))
        snprintf(config, sizeof config, "sgd lr=%.17g momentum=0.9", lr_set ? lr : 0.01);
    else if (!strcmp(o, "adam") || !strcmp(o, "adamw"))
        snprintf(config, sizeof config, "%s lr=%.17g", o, lr_set ? lr : 0.001);
    else
        snprintf(config, sizeof config, "%s", o);
    vn_optimizer *opt = NULL;
    vn_status s = vn_optimizer_create(config, &opt);
    if (s == VN_OK && lr_set)
        s = vn_optimizer_set_lr(opt, lr);
    if (s != VN_OK) {
        vn_optimizer_destroy(opt);
        cli_fail_status("--optimizer", s);
        return NULL;
    }
    return opt;
}
