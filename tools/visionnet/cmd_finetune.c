/*
 * cmd_finetune.c - `visionnet finetune BASE.vnm --data PATH --out NEW.vnm`:
 * transfer learning from the command line. Loads a trained model, replaces
 * its head (a dense or conv2d node, by default the last one) by a fresh one
 * with one output per new class (vn_model_replace_head; a conv2d head and
 * the nodes after it through vn_model_replace_head_spec), freezes every
 * node up to
 * --freeze-until (vn_model_freeze_until), trains the rest on the data as
 * `visionnet train` does and reports the accuracy on the test split (or the
 * validation split). The new model is rewritten atomically after every
 * epoch, with the base model's preprocessing and the data's class names.
 *
 *   --data PATH          as for train: IDX file or folder, image-folder tree, .csv
 *   --test PATH          test data (default: the split beside --data)
 *   --freeze-until NODE  freeze NODE and everything before it (default: nothing
 *                        frozen: a full fine-tune)
 *   --new-classes N      outputs of the new head (default: the data's classes)
 *   --head NODE          the node to replace (default: the last dense or conv2d node)
 *   --epochs N --batch N --lr X --optimizer OPT --schedule S --seed N --threads N
 *   --val-split F        as for train
 *   --out FILE           the new model file (required)
 *   --json               one JSON object on stdout at the end
 */
#include "cli_data.h"
#include "cli_fit.h"
#include "cli_model.h"
#include "progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The command table in main.c calls this. */
int cmd_finetune(int argc, char **argv);

typedef struct finetune_args {
    cli_fit_args fit;  /* --data --test --optimizer --schedule --out --epochs ... */
    const char *base, *freeze_until, *head;
    long new_classes;
    bool json;
} finetune_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: visionnet finetune BASE.vnm --data PATH --out NEW.vnm [options]\n\n"
            "Adapt a trained model to new classes: replace its head by a fresh dense\n"
            "layer with one output per class, freeze the backbone up to a node, train\n"
            "on the data and save the new model (rewritten after every epoch).\n\n"
            "  --data PATH          IDX images file, folder of IDX files, image-folder tree\n"
            "                       (root/<class>/*.png|jpg) or .csv list (default: Fashion-MNIST)\n"
            "  --test PATH          test data (default: the split beside --data: t10k-*, test)\n"
            "  --out FILE           the new model file (required)\n"
            "  --freeze-until NODE  freeze NODE and every node before it (default: none)\n"
            "  --new-classes N      outputs of the new head (default: the data's classes)\n"
            "  --head NODE          the dense or conv2d node to replace (default: the last one)\n"
            "  --epochs N           default 3\n"
            "  --batch N            default 64\n"
            "  --optimizer OPT      sgd (momentum 0.9), adam, adamw, or a configuration string\n"
            "  --lr X               learning rate (default 0.01 for sgd, 0.001 for adam/adamw)\n"
            "  --schedule S         lr schedule, stepped every batch: constant (default),\n"
            "                       cosine (to 0 over the run) or a configuration string\n"
            "  --seed N             shuffling (default 0); the new head is initialised from the\n"
            "                       base model's seed (vn_model_replace_head)\n"
            "  --threads N          threads (default: all cores)\n"
            "  --val-split F        keep a fraction F of the data for validation (default 0)\n"
            "  --json               print one JSON object at the end\n");
}

static bool takes_value(const char *opt)
{
    static const char *const opts[] = {"--freeze-until", "--new-classes", "--head"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strcmp(opt, opts[i]))
            return true;
    return cli_fit_takes_value(opt);
}

static bool parse_args(int argc, char **argv, finetune_args *a, int *status)
{
    *a = (finetune_args){.fit = cli_fit_args_default()};
    *status = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = !strncmp(arg, "--", 2) ? strchr(arg, '=') : NULL;
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)(len < 63 ? len : 63), arg);
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            *status = 0;
            return false;
        } else if (!strcmp(opt, "--json")) {
            a->json = true;
        } else if (takes_value(opt)) {
            const char *v = eq ? eq + 1 : NULL;
            if (!v) {
                if (i + 1 >= argc) {
                    cli_fail("finetune: %s needs a value", opt);
                    return false;
                }
                v = argv[++i];
            }
            bool ok = true;
            if (!strcmp(opt, "--freeze-until"))
                a->freeze_until = v;
            else if (!strcmp(opt, "--head"))
                a->head = v;
            else if (!strcmp(opt, "--new-classes"))
                ok = cli_parse_int(opt, v, 1, 1 << 20, &a->new_classes);
            else
                ok = cli_fit_parse_value(opt, v, &a->fit);
            if (!ok)
                return false;
        } else if (arg[0] == '-' && arg[1]) {
            cli_fail("finetune: unknown option '%s' (see visionnet finetune --help)", arg);
            return false;
        } else if (!a->base) {
            a->base = arg;
        } else {
            cli_fail("finetune: unexpected argument '%s' (see visionnet finetune --help)", arg);
            return false;
        }
    }
    if (!a->base) {
        cli_fail("finetune: give the base model file (see visionnet finetune --help)");
        return false;
    }
    if (!a->fit.out) {
        cli_fail("finetune: give the new model file with --out NEW.vnm");
        return false;
    }
    return true;
}

static bool is_head_type(const char *type)
{
    return !strcmp(type, "dense") || !strcmp(type, "conv2d");
}

/* The last dense or conv2d node of the model, or NULL. */
static const char *last_head(const vn_model *m)
{
    for (int i = vn_model_node_count(m) - 1; i >= 0; i--)
        if (is_head_type(vn_model_node_type(m, i)))
            return vn_model_node_name(m, i);
    return NULL;
}

/* Replace conv2d node `hi` by one with k outputs: the node and every node
 * after it are written back as a spec fragment (their attributes as the
 * model prints them, out=k on the head) for vn_model_replace_head_spec.
 * Nodes after the head keep their attributes; parameters they have (none
 * for the usual pooling / flatten / activation tail) start fresh. */
static vn_status replace_conv_head(vn_model *m, int hi, int k)
{
    size_t cap = 256, len = 0;
    char *frag = malloc(cap);
    vn_status s = frag ? VN_OK : VN_ERR_NOMEM;
    const int n = vn_model_node_count(m);
    for (int i = hi; i < n && s == VN_OK; i++) {
        char *attrs = NULL;
        if ((s = vn_model_node_attrs(m, i, &attrs)) != VN_OK)
            break;
        const char *type = vn_model_node_type(m, i);
        size_t need = len + strlen(type) + strlen(attrs) + 64;
        if (need > cap) {
            char *nf = realloc(frag, need * 2);
            if (!nf) {
                vn_free(attrs);
                s = VN_ERR_NOMEM;
                break;
            }
            frag = nf;
            cap = need * 2;
        }
        len += (size_t)sprintf(frag + len, "%s", type);
        /* copy the words, out=k in place of the head's out= */
        for (char *w = strtok(attrs, " "); w; w = strtok(NULL, " ")) {
            if (i == hi && !strncmp(w, "out=", 4))
                len += (size_t)sprintf(frag + len, " out=%d", k);
            else
                len += (size_t)sprintf(frag + len, " %s", w);
        }
        frag[len++] = '\n';
        frag[len] = '\0';
        vn_free(attrs);
    }
    if (s == VN_OK)
        s = vn_model_replace_head_spec(m, vn_model_node_name(m, hi), frag);
    free(frag);
    return s;
}

/* Replace the head and freeze the backbone; false after one line. */
static bool prepare_model(vn_model *m, const finetune_args *a, int k, const vn_dataset *ds,
                          char *head, size_t head_n)
{
    const char *h = a->head ? a->head : last_head(m);
    if (!h) {
        cli_fail("%s: the model has no dense or conv2d node to replace", a->base);
        return false;
    }
    int hi = vn_model_node_find(m, h);
    if (hi < 0) {
        cli_fail("%s: --head: no node named '%s' (see visionnet info %s)", a->base, h, a->base);
        return false;
    }
    if (!is_head_type(vn_model_node_type(m, hi))) {
        cli_fail("%s: --head: node '%s' is a %s node; the head must be a dense or conv2d node",
                 a->base, h, vn_model_node_type(m, hi));
        return false;
    }
    snprintf(head, head_n, "%s", h);
    if (a->freeze_until) {
        int fi = vn_model_node_find(m, a->freeze_until);
        if (fi < 0) {
            cli_fail("%s: --freeze-until: no node named '%s' (see visionnet info %s)", a->base,
                     a->freeze_until, a->base);
            return false;
        }
        if (fi >= hi) {
            cli_fail("%s: --freeze-until: node '%s' is not before the head '%s', so nothing "
                     "would train", a->base, a->freeze_until, head);
            return false;
        }
    }
    vn_status s = !strcmp(vn_model_node_type(m, hi), "dense") ? vn_model_replace_head(m, head, k)
                                                              : replace_conv_head(m, hi, k);
    if (s != VN_OK) {
        cli_fail_file(a->base, s);
        return false;
    }
    if (a->freeze_until && (s = vn_model_freeze_until(m, a->freeze_until)) != VN_OK) {
        cli_fail_file(a->base, s);
        return false;
    }
    /* The data's class names, when it has as many as the new head. */
    const int nc = vn_dataset_num_classes(ds);
    if (nc == k && vn_dataset_class_name(ds, 0)) {
        const char **names = malloc((size_t)k * sizeof *names);
        if (!names) {
            cli_fail("out of memory");
            return false;
        }
        for (int i = 0; i < k; i++)
            names[i] = vn_dataset_class_name(ds, i);
        s = vn_model_set_class_names(m, k, names);
        free(names);
        if (s != VN_OK) {
            cli_fail_status("class names", s);
            return false;
        }
    }
    return true;
}

static int64_t count_params(vn_model *m, bool trainable_only)
{
    int64_t total = 0;
    for (int i = 0; i < vn_model_param_count(m); i++) {
        const char *name;
        vn_tensor *v;
        unsigned flags = 0;
        if (vn_model_param(m, i, &name, &v, NULL, &flags) != VN_OK || (flags & VN_PARAM_BUFFER))
            continue;
        if (!trainable_only || (flags & VN_PARAM_TRAINABLE))
            total += (int64_t)vn_tensor_numel(v);
    }
    return total;
}

int cmd_finetune(int argc, char **argv)
{
    finetune_args a;
    int status = 1;
    if (!parse_args(argc, argv, &a, &status))
        return status;
    if (a.fit.threads > 0)
        vn_set_num_threads((int)a.fit.threads);

    char data_path[4096], test_path[4096], head[256];
    vn_model *model = cli_model_load(a.base, NULL);
    if (!model)
        return 1;
    vn_dataset *all = cli_data_open(a.fit.data, false, data_path, sizeof data_path);
    if (!all) {
        vn_model_destroy(model);
        return 1;
    }
    vn_dataset *train = all, *val = NULL, *test = NULL;
    vn_optimizer *opt = NULL;
    vn_schedule *schedule = NULL;
    vn_fit_result *result = NULL;
    vn_metrics *metrics = NULL;
    int rc = 1;
    vn_fit_options o = VN_FIT_OPTIONS_INIT;
    const int nc = vn_dataset_num_classes(all);
    const int k = a.new_classes > 0 ? (int)a.new_classes : nc;
    if (nc > k) {
        cli_fail("%s: the data has %d classes, more than --new-classes %d", data_path, nc, k);
        goto done;
    }
    if (!prepare_model(model, &a, k, all, head, sizeof head))
        goto done;
    if (!cli_data_match_model(all, model, data_path))
        goto done;
    if (!cli_fit_open_data(&a.fit, all, data_path, &train, &val, &test, test_path,
                           sizeof test_path))
        goto done;
    if (test && !cli_data_match_model(test, model, test_path))
        goto done;
    if (!cli_fit_prepare(&a.fit, train, &opt, &schedule, &o))
        goto done;
    if (vn_fit_result_create(&result) != VN_OK) {
        cli_fail("out of memory");
        goto done;
    }

    const int64_t n_params = count_params(model, false);
    const int64_t n_train = count_params(model, true);
    cli_progress prog;
    cli_progress_init(&prog, "test", false);
    o.validation = val;
    o.progress = cli_progress_update;
    o.user_data = &prog;
    if (!a.json)
        fprintf(stderr,
                "fine-tuning %s on %s: %lld images, %d classes; new head '%s', %lld of %lld "
                "parameters trainable%s%s\n",
                a.base, data_path, (long long)vn_dataset_size(train), k, head,
                (long long)n_train, (long long)n_params,
                a.freeze_until ? ", frozen up to " : "", a.freeze_until ? a.freeze_until : "");
    const double t0 = cli_seconds();
    if ((rc = cli_fit_run(model, train, &o, result, a.fit.out, &prog)) != 0)
        goto done;
    rc = 1;
    if (test) {
        if (cli_fit_evaluate(model, test, &prog, &metrics) != 0)
            goto done;
    }
    const double seconds = cli_seconds() - t0;
    vn_epoch_stats last = {.size = sizeof last};
    vn_fit_result_epoch(result, vn_fit_result_epochs(result) - 1, &last);
    if (a.json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, a.fit.out);
        fputs(", \"base\": ", stdout);
        cli_json_string(stdout, a.base);
        fputs(", \"data\": ", stdout);
        cli_json_string(stdout, data_path);
        fputs(", \"test\": ", stdout);
        if (test)
            cli_json_string(stdout, test_path);
        else
            fputs("null", stdout);
        fputs(", \"head\": ", stdout);
        cli_json_string(stdout, head);
        fputs(", \"freeze_until\": ", stdout);
        if (a.freeze_until)
            cli_json_string(stdout, a.freeze_until);
        else
            fputs("null", stdout);
        printf(", \"classes\": %d, \"params\": %lld, \"trainable_params\": %lld, \"epochs\": %d, ",
               k, (long long)n_params, (long long)n_train, vn_fit_result_epochs(result));
        cli_json_number(stdout, "train_loss", last.train_loss);
        fputs(", ", stdout);
        cli_json_number(stdout, "train_accuracy", last.train_accuracy);
        fputs(", ", stdout);
        cli_json_number(stdout, "val_accuracy", last.val_accuracy);
        fputs(", ", stdout);
        cli_json_number(stdout, "accuracy", metrics ? vn_metrics_accuracy(metrics) : NAN);
        printf(", \"n\": %lld, ", metrics ? (long long)vn_metrics_count(metrics) : 0LL);
        cli_json_number(stdout, "seconds", seconds);
        fputs("}\n", stdout);
    } else {
        if (val)
            printf("validation accuracy: %.2f%% (%lld images)\n", 100.0 * last.val_accuracy,
                   (long long)vn_dataset_size(val));
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
