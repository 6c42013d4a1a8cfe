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

/*
 * The optimizer of --optimizer OPT and --lr X: "sgd" is SGD with momentum
 * 0.9 (lr 0.01 unless lr_set), "adam" / "adamw" their defaults (lr 0.001
 * unless lr_set), anything else a configuration string for
 * vn_optimizer_create() whose lr --lr overrides when lr_set. NULL after one
 * line "visionnet: --optimizer: <reason>".
 */
static vn_optimizer *build_optimizer(const char *o, bool lr_set, double lr)
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

/*
 * The learning-rate schedule of --schedule S for a run of total_steps
 * batches, stepped once per batch (VN_SCHEDULE_PER_STEP): "constant" gives
 * *out = NULL (the optimizer's lr throughout); "cosine" anneals to 0 over the
 * run (t_max = total_steps); anything else is a configuration string for
 * vn_schedule_create() counted in batches ("step step_size=938 gamma=0.1"),
 * where a cosine without t_max= also gets t_max = total_steps. false after
 * one line "visionnet: --schedule: <reason>".
 */
static bool build_schedule(const char *text, int64_t total_steps, vn_schedule **out)
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

cli_fit_args cli_fit_args_default(void)
{
    return (cli_fit_args){.epochs = 3, .batch = 64, .optimizer = "sgd", .schedule = "constant"};
}

bool cli_fit_takes_value(const char *opt)
{
    static const char *const opts[] = {"--data",   "--test",    "--optimizer", "--schedule",
                                       "--out",    "--epochs",  "--batch",     "--threads",
                                       "--seed",   "--lr",      "--val-split"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strcmp(opt, opts[i]))
            return true;
    return false;
}

bool cli_fit_parse_value(const char *opt, const char *v, cli_fit_args *a)
{
    long lv;
    bool ok = true;
    if (!strcmp(opt, "--data"))
        a->data = v;
    else if (!strcmp(opt, "--test"))
        a->test = v;
    else if (!strcmp(opt, "--optimizer"))
        a->optimizer = v;
    else if (!strcmp(opt, "--schedule"))
        a->schedule = v;
    else if (!strcmp(opt, "--out"))
        a->out = v;
    else if (!strcmp(opt, "--epochs"))
        ok = cli_parse_int(opt, v, 1, 100000, &a->epochs);
    else if (!strcmp(opt, "--batch"))
        ok = cli_parse_int(opt, v, 1, 1 << 20, &a->batch);
    else if (!strcmp(opt, "--threads"))
        ok = cli_parse_int(opt, v, 1, 1024, &a->threads);
    else if (!strcmp(opt, "--seed")) {
        ok = cli_parse_int(opt, v, 0, 2147483647L, &lv);
        a->seed = (unsigned long long)lv;
        a->seed_set = true;
    } else if (!strcmp(opt, "--lr")) {
        ok = cli_parse_float(opt, v, 0.0, 1e6, &a->lr);
        a->lr_set = true;
    } else if (!strcmp(opt, "--val-split")) {
        ok = cli_parse_float(opt, v, 0.0, 0.99, &a->val_split);
    }
    return ok;
}

bool cli_fit_open_data(const cli_fit_args *a, vn_dataset *all, const char *data_path,
                       vn_dataset **train, vn_dataset **val, vn_dataset **test,
                       char *test_path, size_t test_path_cap)
{
    *train = all;
    *val = *test = NULL;
    if (a->val_split > 0 && vn_dataset_split(all, a->val_split, a->seed, train, val) != VN_OK) {
        *train = all;
        cli_fail_data(VN_ERR_INVALID_ARG);
        return false;
    }
    char test_arg[4096];
    const char *test_name = NULL;
    if (a->test) {
        snprintf(test_arg, sizeof test_arg, "%s", a->test);
        test_name = test_arg;
    } else if (cli_data_test_path(data_path, test_arg, sizeof test_arg)) {
        test_name = test_arg;
    }
    return !test_name || (*test = cli_data_open(test_name, true, test_path, test_path_cap));
}

bool cli_fit_prepare(const cli_fit_args *a, const vn_dataset *train, vn_optimizer **opt,
                     vn_schedule **schedule, vn_fit_options *o)
{
    const int64_t steps = (vn_dataset_size(train) + a->batch - 1) / a->batch * a->epochs;
    *opt = NULL;
    *schedule = NULL;
    if (!(*opt = build_optimizer(a->optimizer, a->lr_set, a->lr)) ||
        !build_schedule(a->schedule, steps, schedule))
        return false;
    o->epochs = (int)a->epochs;
    o->batch_size = (int)a->batch;
    o->seed = a->seed;
    o->optimizer = *opt;
    o->schedule = *schedule;
    o->schedule_unit = VN_SCHEDULE_PER_STEP;
    o->checkpoint_path = a->out;
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
