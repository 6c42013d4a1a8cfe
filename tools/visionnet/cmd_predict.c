/*
 * cmd_predict.c - `visionnet predict MODEL IMAGE... [--top K] [--json]`:
 * classify images with a trained model.
 *
 * Each image is decoded (any codec, any size, any channel count), converted
 * to the model's channel count, resized to its input size (area when
 * shrinking, bilinear when enlarging), normalised with the preprocessing
 * stored in the model file, and run through the model in batches. The
 * output is turned into probabilities with a softmax, unless the model
 * already ends in softmax (used as it is) or log_softmax (exponentiated).
 *
 *   a.png: Sneaker 0.9731, Sandal 0.0214, Ankle boot 0.0049
 *   {"file": "a.png", "top": [{"label": "Sneaker", "index": 7, "probability": 0.9731}, ...]}
 *
 * Labels are the model's class names, or the output index when it has
 * none. An image that cannot be read gives one line on stderr
 * ("visionnet: FILE: reason") and exit status 1 after the other images
 * have been classified; a model file that cannot be loaded stops at once.
 */
#include "cli_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Images run through the model at once. */
#define BATCH 32

/* The command table in main.c calls this. */
int cmd_predict(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet predict MODEL IMAGE... [--top K] [--json]\n\n"
               "Classify images with a model file: print the K most likely labels of each\n"
               "image with their probabilities. Images of any size and channel count are\n"
               "converted to the model's input as its preprocessing says.\n\n"
               "  --top K    labels per image (default 5, at most the number of classes)\n"
               "  --json     one JSON object per image, one per line:\n"
               "             {\"file\": ..., \"top\": [{\"label\", \"index\", \"probability\"}...]}\n");
}

/* Turn one output row of k values into probabilities in place. */
static void to_probabilities(float *row, int64_t k, const char *last_type)
{
    if (last_type && !strcmp(last_type, "softmax"))
        return;
    if (last_type && !strcmp(last_type, "log_softmax")) {
        for (int64_t i = 0; i < k; i++)
            row[i] = expf(row[i]);
        return;
    }
    float mx = row[0];
    for (int64_t i = 1; i < k; i++)
        mx = row[i] > mx ? row[i] : mx;
    double sum = 0;
    for (int64_t i = 0; i < k; i++)
        sum += exp((double)row[i] - mx);
    for (int64_t i = 0; i < k; i++)
        row[i] = (float)(exp((double)row[i] - mx) / sum);
}

/* Print the `top` most likely of one row of k probabilities. */
static void print_top(const vn_model *m, const char *path, const float *p, int64_t k, int top,
                      bool json)
{
    int64_t *order = malloc((size_t)k * sizeof *order);
    if (!order) {
        cli_fail("%s: out of memory", path);
        return;
    }
    for (int64_t i = 0; i < k; i++)
        order[i] = i;
    /* partial selection sort (top is small); ties keep the lower index first */
    for (int r = 0; r < top; r++) {
        int64_t best = r;
        for (int64_t i = r + 1; i < k; i++)
            if (p[order[i]] > p[order[best]])
                best = i;
        int64_t t = order[r];
        order[r] = order[best];
        order[best] = t;
    }
    if (json) {
        fputs("{\"file\": ", stdout);
        cli_json_string(stdout, path);
        fputs(", \"top\": [", stdout);
    } else {
        printf("%s:", path);
    }
    for (int r = 0; r < top; r++) {
        int64_t i = order[r];
        const char *name = vn_model_class_name(m, (int)i);
        char idx[24];
        snprintf(idx, sizeof idx, "%lld", (long long)i);
        if (json) {
            fputs(r ? ", {\"label\": " : "{\"label\": ", stdout);
            cli_json_string(stdout, name ? name : idx);
            printf(", \"index\": %lld, \"probability\": %.6g}", (long long)i, (double)p[i]);
        } else {
            printf("%s %s %.4f", r ? "," : "", name ? name : idx, (double)p[i]);
        }
    }
    puts(json ? "]}" : "");
    free(order);
}

/* Classify images[0..n-1] in batches; returns 1 when one could not be read. */
static int predict_all(vn_model *m, char **images, int n, int top, bool json)
{
    int64_t in[VN_MAX_DIMS], outs[VN_MAX_DIMS];
    int ind = 0, ond = 0;
    vn_model_input_shape(m, in, &ind);
    vn_model_output_shape(m, outs, &ond);
    int64_t k = 1, per = 1;
    for (int d = 0; d < ond; d++)
        k *= outs[d];
    for (int d = 0; d < ind; d++)
        per *= in[d];
    if (top > k)
        top = (int)k;
    int nodes = vn_model_node_count(m);
    const char *last = nodes > 0 ? vn_model_node_type(m, nodes - 1) : NULL;
    int64_t shape[VN_MAX_DIMS + 1];
    memcpy(shape + 1, in, (size_t)ind * sizeof *in);
    float *xd = malloc((size_t)(BATCH * per) * sizeof *xd);
    const char **names = malloc(BATCH * sizeof *names);
    float *probs = malloc((size_t)k * sizeof *probs);
    if (!xd || !names || !probs) {
        free(xd);
        free(names);
        free(probs);
        return cli_fail("predict: out of memory");
    }
    int status = 0;
    for (int i = 0; i < n;) {
        /* fill a batch with the next images that read */
        int filled = 0;
        for (; i < n && filled < BATCH; i++) {
            if (!cli_model_read_image(m, images[i], xd + filled * per)) {
                status = 1;
                continue;
            }
            names[filled++] = images[i];
        }
        if (filled == 0)
            continue;
        shape[0] = filled;
        vn_tensor *x = NULL;
        const vn_tensor *y = NULL;
        vn_status s = vn_tensor_wrap(VN_F32, ind + 1, shape, xd, NULL, NULL, &x);
        if (s == VN_OK)
            s = vn_model_forward(m, x, VN_MODE_INFERENCE, &y);
        if (s != VN_OK) {
            vn_tensor_destroy(x);
            status = cli_fail_status("predict", s);
            break;
        }
        const float *yd = vn_tensor_data_const(y);
        for (int b = 0; b < filled; b++) {
            memcpy(probs, yd + b * k, (size_t)k * sizeof *probs);
            to_probabilities(probs, k, last);
            print_top(m, names[b], probs, k, top, json);
        }
        vn_tensor_destroy(x);
        fflush(stdout);
    }
    free(xd);
    free(names);
    free(probs);
    return status;
}

int cmd_predict(int argc, char **argv)
{
    bool json = false, options_done = false;
    long top = 5;
    const char *model_path = NULL;
    char **images = malloc((size_t)argc * sizeof *images);
    int nimages = 0;
    if (!images)
        return cli_fail("predict: out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && a[0] == '-' && a[1] != '\0') {
            if (!strcmp(a, "--json")) {
                json = true;
            } else if (!strcmp(a, "--top")) {
                if (!cli_parse_int("--top", i + 1 < argc ? argv[i + 1] : NULL, 1, 1000000, &top)) {
                    free(images);
                    return 1;
                }
                i++;
            } else if (!strcmp(a, "--")) {
                options_done = true;
            } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                usage(stdout);
                free(images);
                return 0;
            } else {
                free(images);
                return cli_fail("predict: unknown option '%s' (try 'visionnet help predict')", a);
            }
        } else if (!model_path) {
            model_path = a;
        } else {
            images[nimages++] = argv[i];
        }
    }
    if (!model_path || nimages == 0) {
        free(images);
        return cli_fail("predict: give a model file and at least one image "
                        "(usage: visionnet predict MODEL IMAGE... [--top K] [--json])");
    }
    vn_model *m = cli_model_load(model_path, NULL);
    if (!m) {
        free(images);
        return 1;
    }
    int64_t in[VN_MAX_DIMS];
    int ind = 0;
    vn_model_input_shape(m, in, &ind);
    int status;
    if (ind != 3 || in[0] > 4)
        status = cli_fail("%s: the model's input is not an image of 1 to 4 channels", model_path);
    else
        status = predict_all(m, images, nimages, (int)top, json);
    vn_model_destroy(m);
    free(images);
    return status;
}
