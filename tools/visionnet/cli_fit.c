/* cli_fit.c - the optimizer and the interruptible vn_fit of `visionnet
 * train` and `finetune` (see cli_fit.h). Uses only the public API. */
#include "cli_fit.h"
#include "cli_data.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static int should_abort(void *user_data)
{
    (void)user_data;
    return g_interrupted;
}

int cli_fit_run(vn_model *model, const vn_dataset *train, vn_fit_options *o,
                vn_fit_result *result, const char *out_path, cli_progress *prog)
{
    o->abort = should_abort;
    signal(SIGINT, on_sigint);
    vn_status s = vn_fit(model, train, o, result);
    signal(SIGINT, SIG_DFL);
    cli_progress_clear(prog);
    if (s == VN_ERR_ABORTED) {
        int done_epochs = vn_fit_result_epochs(result);
        if (done_epochs > 0)
            cli_fail("interrupted; %s holds the model after epoch %d", out_path, done_epochs);
        else
            cli_fail("interrupted before the first epoch ended; nothing saved");
        return 130;
    }
    if (s != VN_OK) {
        cli_fail_data(s);
        return 1;
    }
    return 0;
}

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
