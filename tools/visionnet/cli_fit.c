/* cli_fit.c - the optimizer, the interruptible vn_fit, the test-set
 * evaluation and the closing lines of `visionnet train` and `finetune` (see
 * cli_fit.h). Uses only the public API. */
#include "cli_fit.h"
#include "cli_data.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>

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

bool cli_build_schedule(const char *text, int64_t total_steps, vn_schedule **out)
{
    *out = NULL;
    if (!strcmp(text, "constant"))
        return true;
    char config[512];
    const bool cosine = !strncmp(text, "cosine", 6) && (!text[6] || text[6] == ' ');
    if (cosine && !strstr(text, "t_max="))
        snprintf(config, sizeof config, "%s t_max=%lld", text, (long long)total_steps);
    else
        snprintf(config, sizeof config, "%s", text);
    vn_status s = vn_schedule_create(config, out);
    if (s != VN_OK) {
        cli_fail_status("--schedule", s);
        return false;
    }
    return true;
}

int cli_fit_evaluate(vn_model *model, const vn_dataset *test, cli_progress *prog,
                     vn_metrics **metrics)
{
    vn_evaluate_options eo = VN_EVALUATE_OPTIONS_INIT;
    eo.progress = cli_progress_update;
    eo.user_data = prog;
    vn_status s = vn_evaluate(model, test, &eo, metrics);
    cli_progress_clear(prog);
    if (s != VN_OK) {
        cli_fail_data(s);
        return 1;
    }
    return 0;
}

void cli_fit_report(const vn_metrics *metrics, const char *test_path, const char *out,
                    double seconds)
{
    if (metrics)
        printf("test accuracy: %.2f%% (%lld images of %s)\n", 100.0 * vn_metrics_accuracy(metrics),
               (long long)vn_metrics_count(metrics), test_path);
    printf("model saved to %s (%.1f s)\n", out, seconds);
}

void cli_fit_free_data(vn_dataset *all, vn_dataset *train, vn_dataset *val, vn_dataset *test)
{
    if (train != all)
        vn_dataset_destroy(train);
    vn_dataset_destroy(val);
    vn_dataset_destroy(all);
    vn_dataset_destroy(test);
}

double cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_json_number(FILE *f, const char *key, double v)
{
    fprintf(f, "\"%s\": ", key);
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}
