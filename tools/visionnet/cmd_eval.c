/*
 * cmd_eval.c - `visionnet eval MODEL [--data PATH] [--json]`: measure a
 * trained classifier on labelled data: accuracy, top-k accuracy, mean
 * loss, per-class accuracy and the confusion matrix.
 *
 * --data takes what `visionnet train --data` takes (an IDX images file, a
 * folder of IDX files, an image-folder tree, a .csv list); without it, the
 * Fashion-MNIST test split. The data's classes are lined up with the
 * model's by name (a folder tree may hold fewer classes, in any order), or
 * by number when they are named "0", "1", ... Images are prepared as the
 * model's preprocessing says, exactly as in training.
 *
 * With --json, one object on stdout:
 *   {"model": ..., "data": ..., "n": 10000, "loss": 0.27, "accuracy": 0.9012,
 *    "top_k": 5, "top_k_accuracy": 0.998, "classes": ["T-shirt/top", ...],
 *    "per_class_accuracy": [0.85, ...], "confusion_matrix": [[852, 1, ...], ...]}
 * (rows of the matrix: true class; columns: predicted class).
 */
#include "cli_data.h"
#include "cli_model.h"
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The command table in main.c calls this. */
int cmd_eval(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet eval MODEL [--data PATH] [--json] [--batch N] [--top K] [--threads N]\n\n"
               "Accuracy, top-k accuracy, loss, per-class accuracy and the confusion matrix of\n"
               "a model file on labelled data (default: the Fashion-MNIST test split).\n\n"
               "  --data PATH   IDX images file, folder of IDX files, image-folder tree or .csv\n"
               "  --json        one JSON object (accuracy as a fraction, per_class_accuracy,\n"
               "                confusion_matrix, loss, n, ...)\n"
               "  --batch N     images per forward pass (default 256)\n"
               "  --top K       k of the top-k accuracy (default 5)\n"
               "  --threads N   threads (default: all cores)\n");
}

static const char *class_label(const vn_model *m, const vn_dataset *ds, int c, char *buf,
                               size_t n)
{
    const char *name = vn_model_class_name(m, c);
    if (!name)
        name = vn_dataset_class_name(ds, c);
    if (name)
        return name;
    snprintf(buf, n, "%d", c);
    return buf;
}

static void print_json(const char *model_path, const char *data, const vn_model *m,
                       const vn_dataset *ds, const vn_metrics *mt)
{
    const int k = vn_metrics_num_classes(mt);
    char buf[32];
    fputs("{\"model\": ", stdout);
    cli_json_string(stdout, model_path);
    fputs(", \"data\": ", stdout);
    cli_json_string(stdout, data);
    printf(", \"n\": %lld, \"loss\": %.6g, \"accuracy\": %.6g, \"top_k\": %d, \"top_k_accuracy\": %.6g",
           (long long)vn_metrics_count(mt), vn_metrics_loss(mt), vn_metrics_accuracy(mt),
           vn_metrics_top_k(mt), vn_metrics_top_k_accuracy(mt));
    fputs(", \"classes\": [", stdout);
    for (int c = 0; c < k; c++) {
        fputs(c ? ", " : "", stdout);
        cli_json_string(stdout, class_label(m, ds, c, buf, sizeof buf));
    }
    fputs("], \"per_class_accuracy\": [", stdout);
    for (int c = 0; c < k; c++) {
        double v = vn_metrics_class_accuracy(mt, c);
        if (isnan(v))
            printf("%snull", c ? ", " : "");
        else
            printf("%s%.6g", c ? ", " : "", v);
    }
    fputs("], \"confusion_matrix\": [", stdout);
    for (int t = 0; t < k; t++) {
        fputs(t ? ", [" : "[", stdout);
        for (int p = 0; p < k; p++)
            printf("%s%lld", p ? ", " : "", (long long)vn_metrics_confusion(mt, t, p));
        fputc(']', stdout);
    }
    fputs("]}\n", stdout);
}

static void print_text(const char *model_path, const char *data, const vn_model *m,
                       const vn_dataset *ds, const vn_metrics *mt)
{
    const int k = vn_metrics_num_classes(mt);
    char buf[32];
    printf("%s on %s: %lld images\n", model_path, data, (long long)vn_metrics_count(mt));
    printf("accuracy %.2f%%, top-%d %.2f%%, loss %.4f\n\n", 100.0 * vn_metrics_accuracy(mt),
           vn_metrics_top_k(mt), 100.0 * vn_metrics_top_k_accuracy(mt), vn_metrics_loss(mt));
    printf("per class:\n");
    for (int c = 0; c < k; c++) {
        double v = vn_metrics_class_accuracy(mt, c);
        printf("  %3d  %-16s ", c, class_label(m, ds, c, buf, sizeof buf));
        if (isnan(v))
            printf("    -   (no images)\n");
        else
            printf("%6.2f%%\n", 100.0 * v);
    }
    if (k > 32) {
        printf("\n(confusion matrix of %d classes: see --json)\n", k);
        return;
    }
    printf("\nconfusion matrix (rows: true class, columns: predicted):\n     ");
    for (int p = 0; p < k; p++)
        printf("%6d", p);
    putchar('\n');
    for (int t = 0; t < k; t++) {
        printf("  %3d", t);
        for (int p = 0; p < k; p++)
            printf("%6lld", (long long)vn_metrics_confusion(mt, t, p));
        putchar('\n');
    }
}

int cmd_eval(int argc, char **argv)
{
    const char *model_path = NULL, *data = NULL;
    long batch = 256, top = 5, threads = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--data")) {
            if (!next)
                return cli_fail("--data needs a value");
            data = argv[++i];
        } else if (!strcmp(a, "--batch")) {
            if (!cli_parse_int(a, next, 1, 1 << 16, &batch))
                return 1;
            i++;
        } else if (!strcmp(a, "--top")) {
            if (!cli_parse_int(a, next, 1, 65536, &top))
                return 1;
            i++;
        } else if (!strcmp(a, "--threads")) {
            if (!cli_parse_int(a, next, 1, 1024, &threads))
                return 1;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return cli_fail("eval: unknown option '%s' (see visionnet eval --help)", a);
        } else if (!model_path) {
            model_path = a;
        } else {
            return cli_fail("eval: one model file only (usage: visionnet eval MODEL [--data PATH] [--json])");
        }
    }
    if (!model_path)
        return cli_fail("eval: no model file given (usage: visionnet eval MODEL [--data PATH] [--json])");

    vn_model *m = cli_model_load(model_path, NULL);
    if (!m)
        return 1;
    char data_path[4096];
    vn_dataset *ds = cli_data_open(data, true, data_path, sizeof data_path);
    if (!ds) {
        vn_model_destroy(m);
        return 1;
    }
    int rc = 1;
    vn_metrics *mt = NULL;
    if (cli_data_match_model(ds, m, data_path)) {
        cli_progress prog;
        cli_progress_init(&prog, "eval", false);
        vn_evaluate_options o = VN_EVALUATE_OPTIONS_INIT;
        o.batch_size = (int)batch;
        o.top_k = (int)top;
        o.threads = (int)threads;
        o.progress = cli_progress_update;
        o.user_data = &prog;
        vn_status s = vn_evaluate(m, ds, &o, &mt);
        cli_progress_clear(&prog);
        if (s != VN_OK) {
            cli_fail_data(s);
        } else {
            if (json)
                print_json(model_path, data_path, m, ds, mt);
            else
                print_text(model_path, data_path, m, ds, mt);
            rc = 0;
        }
    }
    vn_metrics_destroy(mt);
    vn_dataset_destroy(ds);
    vn_model_destroy(m);
    return rc;
}
