/*
 * cmd_train.c - `visionnet train [options]`: train a classifier.
 *
 * Without options it trains the reference CNN (models/reference_cnn.spec,
 * embedded below) on Fashion-MNIST for 3 epochs with SGD (momentum 0.9,
 * lr 0.01, batch 64), saves it to model.vnm after every epoch and reports
 * its accuracy on the test split. Every choice has an option:
 *
 *   --data PATH        training data: an IDX images file (labels beside it),
 *                      a folder holding IDX files, an image-folder tree or a
 *                      .csv list (default: Fashion-MNIST)
 *   --test PATH        test data for the final accuracy (default: the split
 *                      that goes with --data, e.g. t10k- beside train-)
 *   --spec FILE        the model (spec text); default the reference CNN with
 *                      one output per class of the data
 *   --epochs N --batch N --lr X --seed N --threads N --val-split F
 *   --optimizer sgd|adam|adamw|"CONFIG"   (e.g. "adamw lr=1e-3 weight_decay=0.05")
 *   --mean M[,M...] --std S[,S...]        input normalisation per channel
 *   --schedule constant|cosine|"CONFIG"  lr schedule stepped per batch
 *   --label-smoothing E
 *   --out FILE         the model file (default model.vnm)
 *   --json             one JSON object on stdout at the end
 *   --print-spec       print the model's spec and stop
 *
 * Progress goes to stderr (a bar on a terminal, plain lines otherwise);
 * stdout carries only the results. The model file is rewritten after every
 * epoch (atomically), so an interrupted run (Ctrl-C: the step finishes,
 * then the command exits with status 130) leaves the last finished epoch.
 */
#include "cli_data.h"
#include "cli_fit.h"
#include "reference_cnn.h"
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The command table in main.c calls this. */
int cmd_train(int argc, char **argv);

typedef struct train_args {
    cli_fit_args fit;  /* --data --test --optimizer --schedule --out --epochs ... */
    const char *spec, *mean, *std;
    double label_smoothing;
    bool json, print_spec;
} train_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: visionnet train [options]\n\n"
            "Train a classifier and save it. Without options: the reference CNN on\n"
            "Fashion-MNIST (" CLI_FASHION_MNIST_DIR "), 3 epochs, SGD momentum 0.9,\n"
            "lr 0.01, batch 64, saved to model.vnm, then its test accuracy.\n\n"
            "  --data PATH         IDX images file, folder of IDX files, image-folder tree\n"
            "                      (root/<class>/*.png|jpg) or .csv list (path,label)\n"
            "  --test PATH         test data (default: the split beside --data: t10k-*, test)\n"
            "  --spec FILE         model spec (default: the reference CNN, one output per class)\n"
            "  --epochs N          default 3\n"
            "  --batch N           default 64\n"
            "  --optimizer OPT     sgd (momentum 0.9), adam, adamw, or a configuration string\n"
            "                      such as \"sgd lr=0.1 momentum=0.9 nesterov=1\"\n"
            "  --lr X              learning rate (default 0.01 for sgd, 0.001 for adam/adamw)\n"
            "  --schedule S        lr schedule, stepped every batch: constant (default),\n"
            "                      cosine (to 0 over the run) or a configuration string\n"
            "                      in batches, such as \"step step_size=938 gamma=0.1\"\n"
            "  --seed N            initialisation and shuffling (default 0)\n"
            "  --threads N         threads (default: all cores)\n"
            "  --val-split F       keep a fraction F of the data for validation (default 0)\n"
            "  --mean M[,M...]     input normalisation; default 0.2860 for the reference CNN\n"
            "  --std S[,S...]      and 0.3530; with --spec: 0 and 1 (pixels in [0, 1])\n"
            "  --label-smoothing E default 0\n"
            "  --out FILE          model file, rewritten after every epoch (default model.vnm)\n"
            "  --json              print one JSON object at the end (accuracy, epochs, ...)\n"
            "  --print-spec        print the model's spec and stop\n");
}

/* The value of option argv[*i]: "--opt=value" or the next argument. */
static const char *value_of(int argc, char **argv, int *i, const char *opt)
{
    const char *eq = strchr(argv[*i], '=');
    if (eq)
        return eq + 1;
    if (*i + 1 >= argc) {
        cli_fail("%s needs a value", opt);
        return NULL;
    }
    return argv[++*i];
}

static bool takes_value(const char *opt)
{
    static const char *const opts[] = {"--spec", "--mean", "--std", "--label-smoothing"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strcmp(opt, opts[i]))
            return true;
    return cli_fit_takes_value(opt);
}

static bool parse_args(int argc, char **argv, train_args *a, int *status)
{
    *a = (train_args){.fit = cli_fit_args_default()};
    a->fit.out = "model.vnm";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        size_t len = strcspn(arg, "=");
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)(len < 63 ? len : 63), arg);
        const char *v = NULL;
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            *status = 0;
            return false;
        } else if (!strcmp(opt, "--json")) {
            a->json = true;
        } else if (!strcmp(opt, "--print-spec")) {
            a->print_spec = true;
        } else if (!takes_value(opt)) {
            *status = cli_fail(strncmp(opt, "--", 2)
                                   ? "train: unexpected argument '%s' (see visionnet train --help)"
                                   : "train: unknown option '%s' (see visionnet train --help)",
                               arg);
            return false;
        } else {
            if (!(v = value_of(argc, argv, &i, opt))) {
                *status = 1;
                return false;
            }
            bool ok = true;
            double dv;
            if (!strcmp(opt, "--spec"))
                a->spec = v;
            else if (!strcmp(opt, "--mean"))
                a->mean = v;
            else if (!strcmp(opt, "--std"))
                a->std = v;
            else if (!strcmp(opt, "--label-smoothing")) {
                ok = cli_parse_float(opt, v, 0.0, 1.0, &dv);
                a->label_smoothing = dv;
            } else
                ok = cli_fit_parse_value(opt, v, &a->fit);
            if (!ok) {
                *status = 1;
                return false;
            }
        }
    }
    return true;
}

/* Read a whole text file (NUL-terminated, malloc'ed); NULL after one line. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_fail("%s: cannot open the spec file", path);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        cli_fail("%s: spec file too large", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* "0.5,0.4,0.3" -> up to 4 floats; count must equal channels (or be 1:
 * the same value for every channel). */
static bool parse_floats(const char *opt, const char *text, int channels, float *out)
{
    float v[4];
    int n = 0;
    const char *p = text;
    while (*p && n < 4) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || !isfinite(d)) {
            cli_fail("%s: '%s' is not a list of numbers", opt, text);
            return false;
        }
        v[n++] = (float)d;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') {
            cli_fail("%s: '%s' is not a list of numbers", opt, text);
            return false;
        }
    }
    if (*p || (n != 1 && n != channels)) {
        cli_fail("%s: give 1 or %d values (one per input channel)", opt, channels);
        return false;
    }
    for (int c = 0; c < channels; c++)
        out[c] = v[n == 1 ? 0 : c];
    return true;
}

/* The model: --spec or the reference CNN with k outputs; its seed and its
 * input normalisation. NULL after one line. */
static vn_model *build_model(const train_args *a, int k, bool print_only)
{
    char *text = NULL;
    if (a->spec) {
        if (!(text = read_text(a->spec)))
            return NULL;
    } else {
        text = cli_reference_cnn_spec(k);
        if (!text) {
            cli_fail("out of memory");
            return NULL;
        }
    }
    if (print_only) {
        fputs(text, stdout);
        free(text);
        return NULL;
    }
    vn_model *m = NULL;
    vn_status s = vn_model_from_spec(text, &m);
    free(text);
    if (s != VN_OK) {
        cli_fail_status(a->spec ? a->spec : "reference spec", s);
        return NULL;
    }
    if (a->fit.seed_set)
        vn_model_set_seed(m, a->fit.seed);
    int64_t in[VN_MAX_DIMS];
    int nd = 0;
    vn_model_input_shape(m, in, &nd);
    if (nd == 3 && in[0] >= 1 && in[0] <= 4) {
        const int c = (int)in[0];
        float mean[4], std[4];
        for (int i = 0; i < c; i++) {
            mean[i] = a->spec ? 0.0f : CLI_REFERENCE_MEAN;
            std[i] = a->spec ? 1.0f : CLI_REFERENCE_STD;
        }
        if ((a->mean && !parse_floats("--mean", a->mean, c, mean)) ||
            (a->std && !parse_floats("--std", a->std, c, std))) {
            vn_model_destroy(m);
            return NULL;
        }
        s = vn_model_set_preprocess(m, 1.0f / 255.0f, mean, std);
        if (s != VN_OK) {
            vn_model_destroy(m);
            cli_fail_status("--mean/--std", s);
            return NULL;
        }
    }
    return m;
}

static void json_number(FILE *f, const char *key, double v, bool comma)
{
    cli_json_number(f, key, v);
    if (comma)
        fputs(", ", f);
}

static void print_json(const train_args *a, const char *data, const char *test,
                       const vn_fit_result *r, const vn_metrics *mt, double seconds)
{
    FILE *f = stdout;
    fputs("{\"model\": ", f);
    cli_json_string(f, a->fit.out);
    fputs(", \"data\": ", f);
    cli_json_string(f, data);
    fputs(", \"test\": ", f);
    if (test)
        cli_json_string(f, test);
    else
        fputs("null", f);
    fputs(", ", f);
    json_number(f, "accuracy", mt ? vn_metrics_accuracy(mt) : NAN, true);
    json_number(f, "loss", mt ? vn_metrics_loss(mt) : NAN, true);
    fprintf(f, "\"n\": %lld, ", mt ? (long long)vn_metrics_count(mt) : 0LL);
    json_number(f, "seconds", seconds, true);
    fprintf(f, "\"threads\": %d, \"epochs\": [", vn_get_num_threads());
    for (int i = 0; i < vn_fit_result_epochs(r); i++) {
        vn_epoch_stats e = {.size = sizeof e};
        vn_fit_result_epoch(r, i, &e);
        fprintf(f, "%s{\"epoch\": %d, ", i ? ", " : "", e.epoch);
        json_number(f, "train_loss", e.train_loss, true);
        json_number(f, "train_accuracy", e.train_accuracy, true);
        json_number(f, "val_loss", e.val_loss, true);
        json_number(f, "val_accuracy", e.val_accuracy, true);
        json_number(f, "lr", e.lr, true);
        json_number(f, "seconds", e.seconds, true);
        json_number(f, "images_per_s", e.images_per_s, false);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

int cmd_train(int argc, char **argv)
{
    train_args a;
    int status = 1;
    if (!parse_args(argc, argv, &a, &status))
        return status;
    if (a.fit.threads > 0)
        vn_set_num_threads((int)a.fit.threads);

    char data_path[4096], test_path[4096];
    vn_dataset *all = cli_data_open(a.fit.data, false, data_path, sizeof data_path);
    if (!all)
        return 1;
    const int k = vn_dataset_num_classes(all);
    vn_model *model = build_model(&a, k, a.print_spec);
    if (!model) {
        vn_dataset_destroy(all);
        return a.print_spec ? 0 : 1;
    }
    vn_dataset *train = all, *val = NULL, *test = NULL;
    vn_optimizer *opt = NULL;
    vn_schedule *schedule = NULL;
    vn_fit_result *result = NULL;
    vn_metrics *metrics = NULL;
    int rc = 1;
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    if (!cli_fit_open_data(&a.fit, all, data_path, &train, &val, &test, test_path,
                           sizeof test_path) ||
        !cli_fit_prepare(&a.fit, train, &opt, &schedule, &o))
        goto done;
    if (vn_fit_result_create(&result) != VN_OK) {
        cli_fail("out of memory");
        goto done;
    }

    cli_progress prog;
    cli_progress_init(&prog, "test", false);
    o.label_smoothing = (float)a.label_smoothing;
    o.validation = val;
    o.progress = cli_progress_update;
    o.user_data = &prog;
    if (!a.json)
        fprintf(stderr, "training on %s: %lld images, %d classes%s%s\n", data_path,
                (long long)vn_dataset_size(train), k, val ? ", validation " : "",
                val ? "split" : "");
    const double t0 = cli_seconds();
    if ((rc = cli_fit_run(model, train, &o, result, a.fit.out, &prog)) != 0)
        goto done;
    rc = 1;
    if (test) {
        if (!cli_data_match_model(test, model, test_path))
            goto done;
        if (cli_fit_evaluate(model, test, &prog, &metrics) != 0)
            goto done;
    }
    const double seconds = cli_seconds() - t0;
    if (a.json) {
        print_json(&a, data_path, test ? test_path : NULL, result, metrics, seconds);
    } else {
        cli_fit_report(metrics, test_path, a.fit.out, seconds);
    }
    rc = 0;
done:
    vn_metrics_destroy(metrics);
    vn_fit_result_destroy(result);
    vn_optimizer_destroy(opt);
    vn_schedule_destroy(schedule);
    vn_model_destroy(model);
    cli_fit_free_data(all, train, val, test);
    return rc;
}
