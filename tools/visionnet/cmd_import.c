/*
 * cmd_import.c - `visionnet import model.onnx -o model.vnm`: convert an
 * ONNX file into a model file (vn_model_import_onnx, then vn_model_save,
 * which writes atomically), then describe it as `visionnet info` does.
 *
 *   --input-shape C,H,W   the per-sample input shape, for graphs whose input
 *                         has symbolic (named) dimensions
 *   --no-batch            the graph input has no batch axis (the whole input
 *                         is one sample)
 *   --json                the summary as `visionnet info --json` prints it
 */
#include "cli_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The command table in main.c calls this. */
int cmd_import(int argc, char **argv);
/* info_model.c */
int cli_info_model(const char *path, bool json);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet import MODEL.onnx -o MODEL.vnm [--input-shape C,H,W] [--no-batch] [--json]\n\n"
               "Import an ONNX model (docs/onnx.md lists the operators) and save it as a\n"
               "visionnet model file, then print its nodes and parameters (as 'info').\n\n"
               "  -o, --out FILE        the model file to write (required; written atomically)\n"
               "  --input-shape DIMS    per-sample input shape, e.g. 3,224,224, for inputs with\n"
               "                        symbolic dimensions (the batch axis not included)\n"
               "  --no-batch            the graph's input has no batch axis\n"
               "  --json                print the summary as one JSON object\n");
}

/* "3,224,224" -> dims; false after one line. */
static bool parse_dims(const char *text, int64_t *dims, int *n)
{
    *n = 0;
    const char *p = text;
    while (*p) {
        if (*n == VN_MAX_DIMS - 1) {
            cli_fail("--input-shape: '%s' has too many dimensions", text);
            return false;
        }
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 1 || v > (1LL << 24) || (*end && *end != ',')) {
            cli_fail("--input-shape: '%s' is not a list of positive sizes such as 3,224,224", text);
            return false;
        }
        dims[(*n)++] = v;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p) {
            cli_fail("--input-shape: '%s' is not a list of positive sizes such as 3,224,224", text);
            return false;
        }
    }
    if (*n == 0) {
        cli_fail("--input-shape: give the sizes, such as 3,224,224");
        return false;
    }
    return true;
}

int cmd_import(int argc, char **argv)
{
    const char *in_path = NULL, *out_path = NULL;
    int64_t dims[VN_MAX_DIMS];
    int ndims = 0;
    bool json = false, no_batch = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = !strncmp(arg, "--", 2) ? strchr(arg, '=') : NULL;
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)(len < 63 ? len : 63), arg);
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(opt, "--json")) {
            json = true;
        } else if (!strcmp(opt, "--no-batch")) {
            no_batch = true;
        } else if (!strcmp(opt, "-o") || !strcmp(opt, "--out") || !strcmp(opt, "--input-shape")) {
            const char *v = eq ? eq + 1 : NULL;
            if (!v) {
                if (i + 1 >= argc)
                    return cli_fail("import: %s needs a value", opt);
                v = argv[++i];
            }
            if (!strcmp(opt, "--input-shape")) {
                if (!parse_dims(v, dims, &ndims))
                    return 1;
            } else {
                out_path = v;
            }
        } else if (arg[0] == '-' && arg[1]) {
            return cli_fail("import: unknown option '%s' (see visionnet import --help)", arg);
        } else if (!in_path) {
            in_path = arg;
        } else {
            return cli_fail("import: unexpected argument '%s' (see visionnet import --help)", arg);
        }
    }
    if (!in_path)
        return cli_fail("import: give an ONNX file (see visionnet import --help)");
    if (!out_path)
        return cli_fail("import: give the model file to write with -o MODEL.vnm");
    FILE *f = fopen(in_path, "rb");
    if (!f)
        return cli_fail("%s: %s", in_path, strerror(errno));
    fclose(f);

    vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
    o.batch = no_batch ? VN_ONNX_BATCH_NONE : VN_ONNX_BATCH_FIRST;
    if (ndims > 0) {
        o.input_shape = dims;
        o.input_ndim = ndims;
    }
    vn_model *m = NULL;
    vn_status s = vn_model_import_onnx(in_path, &o, &m);
    if (s != VN_OK)
        return cli_fail_file(in_path, s);
    s = vn_model_save(m, NULL, out_path);
    vn_model_destroy(m);
    if (s != VN_OK)
        return cli_fail_file(out_path, s);
    if (!json)
        printf("imported %s into %s\n", in_path, out_path);
    return cli_info_model(out_path, json);
}
