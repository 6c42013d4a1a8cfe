/*
 * info_model.c - `visionnet info MODEL`: what a model file holds.
 *
 *   model.vnm: visionnet model, 8 nodes, 421,642 parameters, 4.2 MFLOPs per image
 *     input [1, 28, 28], preprocess scale=0.00392157 mean=0.286 std=0.353
 *     node       type          output shape        params         flops
 *     conv1      conv2d        [32, 28, 28]           320        451584
 *     ...
 *     total                                        421642       4213248
 *     classes (10): T-shirt/top, Trouser, ...
 *     optimizer: sgd lr=0.01 momentum=0.9 ... (step 2814)
 *
 * With --json, one object on one line:
 *   {"file": ..., "nodes": [{"name", "type", "shape", "params", "flops"}...],
 *    "params": N, "flops": N, "input_shape": [...], "output_shape": [...],
 *    "preprocess": {"scale": x, "mean": [...], "std": [...]},
 *    "classes": [...] or null, "optimizer": "..." or null,
 *    "optimizer_step": N or null}
 * FLOPs count a multiply-add as 2, for one image (vn_model_node_flops).
 */
#include "cli_model.h"

#include <stdlib.h>
#include <string.h>

int cli_info_model(const char *path, bool json);

static void print_shape(const int64_t *shape, int ndim)
{
    putchar('[');
    for (int d = 0; d < ndim; d++)
        printf(d ? ", %lld" : "%lld", (long long)shape[d]);
    putchar(']');
}

static void shape_text(const int64_t *shape, int ndim, char *buf, size_t n)
{
    size_t at = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && at < n; d++)
        at += (size_t)snprintf(buf + at, n - at, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (at < n)
        snprintf(buf + at, n - at, "]");
}

static void print_floats(const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        printf(i ? ",%.9g" : "%.9g", (double)v[i]);
}

static void print_json_floats(const float *v, int64_t n)
{
    putchar('[');
    for (int64_t i = 0; i < n; i++)
        printf(i ? ", %.9g" : "%.9g", (double)v[i]);
    putchar(']');
}

/* The model's totals. */
static void totals(const vn_model *m, int64_t *params, int64_t *flops)
{
    *params = *flops = 0;
    for (int i = 0; i < vn_model_node_count(m); i++) {
        *params += vn_model_node_param_count(m, i);
        *flops += vn_model_node_flops(m, i);
    }
}

static void describe_text(const char *path, const vn_model *m, const vn_optimizer *opt,
                          const float *mean, const float *std, float scale, int64_t channels)
{
    int64_t params, flops, in[VN_MAX_DIMS];
    int ind = 0, n = vn_model_node_count(m);
    totals(m, &params, &flops);
    vn_model_input_shape(m, in, &ind);
    printf("%s: visionnet model, %d node%s, %lld parameters, %lld FLOPs per image\n", path, n,
           n == 1 ? "" : "s", (long long)params, (long long)flops);
    printf("  input ");
    print_shape(in, ind);
    printf(", preprocess scale=%.9g mean=", (double)scale);
    print_floats(mean, channels);
    printf(" std=");
    print_floats(std, channels);
    printf("\n  %-16s %-18s %-20s %12s %14s\n", "node", "type", "output shape", "params", "flops");
    for (int i = 0; i < n; i++) {
        int64_t shape[VN_MAX_DIMS];
        int nd = 0;
        char sb[160];
        vn_model_node_shape(m, i, shape, &nd);
        shape_text(shape, nd, sb, sizeof sb);
        printf("  %-16s %-18s %-20s %12lld %14lld\n", vn_model_node_name(m, i),
               vn_model_node_type(m, i), sb, (long long)vn_model_node_param_count(m, i),
               (long long)vn_model_node_flops(m, i));
    }
    printf("  %-16s %-18s %-20s %12lld %14lld\n", "total", "", "", (long long)params,
           (long long)flops);
    int nc = vn_model_class_count(m);
    if (nc > 0) {
        printf("  classes (%d): ", nc);
        for (int i = 0; i < nc; i++)
            printf(i ? ", %s" : "%s", vn_model_class_name(m, i));
        putchar('\n');
    } else {
        printf("  classes: none (labels are output indices)\n");
    }
    if (opt) {
        char *text = NULL;
        if (vn_optimizer_to_string(opt, &text) == VN_OK)
            printf("  optimizer: %s (step %lld)\n", text,
                   (long long)vn_optimizer_get_step_count(opt));
        vn_free(text);
    }
}

static void describe_json(const char *path, const vn_model *m, const vn_optimizer *opt,
                          const float *mean, const float *std, float scale, int64_t channels)
{
    int64_t params, flops, shape[VN_MAX_DIMS];
    int nd = 0, n = vn_model_node_count(m);
    totals(m, &params, &flops);
    fputs("{\"file\": ", stdout);
    cli_json_string(stdout, path);
    fputs(", \"nodes\": [", stdout);
    for (int i = 0; i < n; i++) {
        vn_model_node_shape(m, i, shape, &nd);
        fputs(i ? ", {\"name\": " : "{\"name\": ", stdout);
        cli_json_string(stdout, vn_model_node_name(m, i));
        fputs(", \"type\": ", stdout);
        cli_json_string(stdout, vn_model_node_type(m, i));
        fputs(", \"shape\": ", stdout);
        print_shape(shape, nd);
        printf(", \"params\": %lld, \"flops\": %lld}", (long long)vn_model_node_param_count(m, i),
               (long long)vn_model_node_flops(m, i));
    }
    printf("], \"params\": %lld, \"flops\": %lld, \"input_shape\": ", (long long)params,
           (long long)flops);
    vn_model_input_shape(m, shape, &nd);
    print_shape(shape, nd);
    fputs(", \"output_shape\": ", stdout);
    vn_model_output_shape(m, shape, &nd);
    print_shape(shape, nd);
    printf(", \"preprocess\": {\"scale\": %.9g, \"mean\": ", (double)scale);
    print_json_floats(mean, channels);
    fputs(", \"std\": ", stdout);
    print_json_floats(std, channels);
    fputs("}, \"classes\": ", stdout);
    int nc = vn_model_class_count(m);
    if (nc > 0) {
        putchar('[');
        for (int i = 0; i < nc; i++) {
            if (i)
                fputs(", ", stdout);
            cli_json_string(stdout, vn_model_class_name(m, i));
        }
        putchar(']');
    } else {
        fputs("null", stdout);
    }
    fputs(", \"optimizer\": ", stdout);
    char *text = NULL;
    if (opt && vn_optimizer_to_string(opt, &text) == VN_OK) {
        cli_json_string(stdout, text);
        printf(", \"optimizer_step\": %lld}\n", (long long)vn_optimizer_get_step_count(opt));
    } else {
        fputs("null, \"optimizer_step\": null}\n", stdout);
    }
    vn_free(text);
}

int cli_info_model(const char *path, bool json)
{
    vn_optimizer *opt = NULL;
    vn_model *m = cli_model_load(path, &opt);
    if (!m)
        return 1;
    int64_t in[VN_MAX_DIMS];
    int ind = 0;
    vn_model_input_shape(m, in, &ind);
    int64_t channels = in[0];
    float scale = 0, *mean = malloc((size_t)channels * sizeof(float)),
          *std = malloc((size_t)channels * sizeof(float));
    if (!mean || !std) {
        free(mean);
        free(std);
        vn_optimizer_destroy(opt);
        vn_model_destroy(m);
        return cli_fail("%s: out of memory", path);
    }
    vn_model_get_preprocess(m, &scale, mean, std);
    if (json)
        describe_json(path, m, opt, mean, std, scale, channels);
    else
        describe_text(path, m, opt, mean, std, scale, channels);
    free(mean);
    free(std);
    vn_optimizer_destroy(opt);
    vn_model_destroy(m);
    return 0;
}
