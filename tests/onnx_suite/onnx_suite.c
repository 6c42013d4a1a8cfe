/*
 * onnx_suite.c - runs ONNX's own backend test cases (Debian's
 * libonnx-testdata) through vn_model_import_onnx() and compares the results.
 *
 *     onnx_suite [DATA_DIR] [-v]
 *
 * DATA_DIR defaults to /usr/share/libonnx-testdata/data; the cases are the
 * folders of DATA_DIR/{node,pytorch-converted,pytorch-operator,simple}.
 *
 * Policy (docs/onnx.md):
 * - A case is selected when every operator of its model is one the importer
 *   maps (the table below). Other cases are not counted; their number is
 *   printed.
 * - The first graph input that is not an initializer is the model's input;
 *   the graph inputs after it are bound as constants from the data set
 *   (vn_onnx_options.bind_*), so a case is imported once per data set.
 * - The import is tried with VN_ONNX_BATCH_FIRST and, when that is refused
 *   with VN_ERR_UNSUPPORTED, with VN_ONNX_BATCH_NONE (input run as N = 1).
 * - A case is SKIPPED only when the importer refuses it with
 *   VN_ERR_UNSUPPORTED (the message is printed). Any other import error, a
 *   forward error, a shape mismatch or a value outside the tolerance is a
 *   FAILURE. Tolerance as ONNX's backend tests: |got - want| <= atol + rtol *
 *   |want| with rtol = 1e-3, atol = 1e-5 (NaN matches NaN).
 * The last line is exactly "N passed, N failed, N skipped"; the exit status
 * is 1 when anything failed.
 */
#include <visionnet/nn.h>
#include <visionnet/transfer.h>
#include "transfer/onnx_internal.h"
#include "onnx.pb-c.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RTOL 1e-3
#define ATOL 1e-5

static const char *const g_supported[] = {
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
    "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "Concat", "Flatten", "Reshape", "Dropout",
    "Identity", "Constant", "Cast", "Clip", "Pad", "Resize", "Upsample", "ReduceMean",
    /* folded on constants (Shape also of a runtime tensor); Unsqueeze /
     * Squeeze of a runtime tensor are reshapes */
    "Unsqueeze", "Squeeze", "Gather", "Shape", NULL};

static int g_verbose;

static bool supported(const char *op)
{
    for (int k = 0; g_supported[k]; k++)
        if (strcmp(op, g_supported[k]) == 0)
            return true;
    return false;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    if (b && len > 0 && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = len > 0 ? (size_t)len : 0;
    return b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the entries of dir starting with prefix. */
static int list_dir(const char *dir, const char *prefix, char ***out)
{
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d)
        return 0;
    int n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static void free_list(char **v, int n)
{
    for (int k = 0; k < n; k++)
        free(v[k]);
    free(v);
}

typedef struct result {
    int status;        /* 0 pass, 1 fail, 2 skip */
    char why[700];
} result;

static bool is_init(const Onnx__GraphProto *g, const char *name)
{
    for (size_t k = 0; k < g->n_initializer; k++)
        if (g->initializer[k]->name && strcmp(g->initializer[k]->name, name) == 0)
            return true;
    return false;
}

static vn_tensor *load_pb(const char *path, int *dtype, char *why, size_t nwhy)
{
    size_t n;
    unsigned char *b = read_all(path, &n);
    if (!b) {
        snprintf(why, nwhy, "cannot read %s", path);
        return NULL;
    }
    vn_tensor *t = NULL;
    vn_status s = vn__onnx_tensor_decode(b, n, &t, dtype, NULL);
    free(b);
    if (s != VN_OK) {
        snprintf(why, nwhy, "%s: %s", path, vn_last_error());
        return NULL;
    }
    return t;
}

/* One data set of a case. */
static void run_set(const unsigned char *model, size_t mlen, const Onnx__GraphProto *g,
                    const char *setdir, result *r)
{
    char path[1200];
    /* graph inputs that are not initializers, in order */
    const char *names[64];
    int nin = 0;
    for (size_t k = 0; k < g->n_input && nin < 64; k++)
        if (!is_init(g, g->input[k]->name))
            names[nin++] = g->input[k]->name;
    vn_tensor *ins[64] = {0};
    int dts[64] = {0};
    char decode_err[700] = "";
    for (int k = 0; k < nin; k++) {
        snprintf(path, sizeof path, "%s/input_%d.pb", setdir, k);
        ins[k] = load_pb(path, &dts[k], r->why, sizeof r->why);
        /* a value that is not a numeric tensor (string, sequence, optional):
         * not bound; the importer must refuse the graph */
        if (!ins[k]) {
            if (!decode_err[0])
                snprintf(decode_err, sizeof decode_err, "%s", r->why);
            continue;
        }
        /* shape-like inputs are bound as integers */
        if (k > 0 && dts[k] != 1 && dts[k] != 10 && dts[k] != 11) {
            vn_tensor *t = NULL;
            if (vn_tensor_convert(ins[k], VN_I32, &t) == VN_OK) {
                vn_tensor_destroy(ins[k]);
                ins[k] = t;
            }
        }
    }
    vn_onnx_options o = VN_ONNX_OPTIONS_INIT;
    const char *bnames[64];
    const vn_tensor *bvals[64];
    for (int k = 1; k < nin; k++)
        if (ins[k]) {
            bnames[o.nbind] = names[k];
            bvals[o.nbind++] = ins[k];
        }
    o.bind_names = bnames;
    o.bind_values = bvals;
    vn_model *m = NULL;
    o.batch = VN_ONNX_BATCH_FIRST;
    vn_status s = vn_model_import_onnx_mem(model, mlen, &o, &m);
    char first[400] = "";
    if (s == VN_ERR_UNSUPPORTED) {
        snprintf(first, sizeof first, "%s", vn_last_error());
        o.batch = VN_ONNX_BATCH_NONE;
        s = vn_model_import_onnx_mem(model, mlen, &o, &m);
    }
    if (s == VN_ERR_UNSUPPORTED) {
        r->status = 2;
        snprintf(r->why, sizeof r->why, "batch-first: %s | batch-none: %s", first,
                 vn_last_error());
        goto done;
    }
    if (s != VN_OK) {
        r->status = 1;
        snprintf(r->why, sizeof r->why, "import: %s: %s", vn_status_str(s), vn_last_error());
        goto done;
    }
    if (decode_err[0] || nin < 1) {
        r->status = 1;
        snprintf(r->why, sizeof r->why, "imported, but the data set cannot be fed: %s",
                 nin < 1 ? "no runtime input" : decode_err);
        vn_model_destroy(m);
        goto done;
    }
    /* the input: [N, ...] batch-first, [1, shape...] batch-none */
    vn_tensor *x = ins[0];
    vn_tensor *xb = NULL;
    if (o.batch == VN_ONNX_BATCH_NONE) {
        int64_t sh[VN_MAX_DIMS];
        int nd = vn_tensor_ndim(x);
        vn_tensor_shape(x, sh + 1);
        sh[0] = 1;
        if (vn_tensor_wrap(VN_F32, nd + 1, sh, vn_tensor_data(x), NULL, NULL, &xb) != VN_OK) {
            r->status = 1;
            snprintf(r->why, sizeof r->why, "wrap: %s", vn_last_error());
            vn_model_destroy(m);
            goto done;
        }
        x = xb;
    }
    const vn_tensor *y = NULL;
    s = vn_model_forward(m, x, VN_MODE_INFERENCE, &y);
    if (s != VN_OK) {
        r->status = 1;
        snprintf(r->why, sizeof r->why, "forward (%s): %s",
                 o.batch == VN_ONNX_BATCH_NONE ? "batch-none" : "batch-first", vn_last_error());
        vn_tensor_destroy(xb);
        vn_model_destroy(m);
        goto done;
    }
    snprintf(path, sizeof path, "%s/output_0.pb", setdir);
    int odt;
    vn_tensor *want = load_pb(path, &odt, r->why, sizeof r->why);
    if (!want) {
        r->status = 1;
    } else if (vn_tensor_numel(want) != vn_tensor_numel(y)) {
        r->status = 1;
        snprintf(r->why, sizeof r->why, "output has %zu elements, expected %zu",
                 vn_tensor_numel(y), vn_tensor_numel(want));
    } else {
        const float *a = vn_tensor_data_const(y), *b = vn_tensor_data_const(want);
        size_t n = vn_tensor_numel(want), bad = 0, first_bad = 0;
        for (size_t k = 0; k < n; k++) {
            bool ok = (isnan(a[k]) && isnan(b[k])) ||
                      (isinf(b[k]) && a[k] == b[k]) ||
                      fabs((double)a[k] - (double)b[k]) <= ATOL + RTOL * fabs((double)b[k]);
            if (!ok && bad++ == 0)
                first_bad = k;
        }
        if (bad) {
            r->status = 1;
            snprintf(r->why, sizeof r->why,
                     "%zu of %zu values off (%s), first at %zu: got %.7g, expected %.7g", bad, n,
                     o.batch == VN_ONNX_BATCH_NONE ? "batch-none" : "batch-first", first_bad,
                     a[first_bad], b[first_bad]);
        }
    }
    vn_tensor_destroy(want);
    vn_tensor_destroy(xb);
    vn_model_destroy(m);
done:
    for (int k = 0; k < nin; k++)
        vn_tensor_destroy(ins[k]);
}

/* 1 selected and run into *r, 0 not selected */
static int run_case(const char *dir, result *r)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    size_t mlen;
    unsigned char *model = read_all(path, &mlen);
    if (!model)
        return 0;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, mlen, model);
    if (!mp || !mp->graph) {
        r->status = 1;
        snprintf(r->why, sizeof r->why, "the runner cannot parse model.onnx");
        if (mp)
            onnx__model_proto__free_unpacked(mp, NULL);
        free(model);
        return 1;
    }
    for (size_t k = 0; k < mp->graph->n_node; k++)
        if (!supported(mp->graph->node[k]->op_type)) {
            onnx__model_proto__free_unpacked(mp, NULL);
            free(model);
            return 0;
        }
    char **sets;
    int nsets = list_dir(dir, "test_data_set_", &sets);
    r->status = 0;
    if (nsets == 0) {
        r->status = 1;
        snprintf(r->why, sizeof r->why, "no test_data_set_*");
    }
    for (int k = 0; k < nsets && r->status == 0; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, sets[k]);
        run_set(model, mlen, mp->graph, path, r);
        if (r->status == 1 && nsets > 1) {
            char tmp[700];
            snprintf(tmp, sizeof tmp, "%s: %s", sets[k], r->why);
            memcpy(r->why, tmp, sizeof tmp);
        }
    }
    free_list(sets, nsets);
    onnx__model_proto__free_unpacked(mp, NULL);
    free(model);
    return 1;
}

int main(int argc, char **argv)
{
    const char *root = "/usr/share/libonnx-testdata/data";
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-v") == 0)
            g_verbose = 1;
        else
            root = argv[k];
    }
    static const char *const groups[] = {"node", "pytorch-converted", "pytorch-operator",
                                         "simple"};
    int passed = 0, failed = 0, skipped = 0, unselected = 0;
    printf("ONNX test suite from %s (tolerance: rtol %g, atol %g)\n", root, RTOL, ATOL);
    for (size_t gi = 0; gi < 4; gi++) {
        char gdir[1024];
        snprintf(gdir, sizeof gdir, "%s/%s", root, groups[gi]);
        char **cases;
        int nc = list_dir(gdir, "", &cases);
        for (int c = 0; c < nc; c++) {
            char cdir[1200];
            snprintf(cdir, sizeof cdir, "%s/%s", gdir, cases[c]);
            result r;
            memset(&r, 0, sizeof r);
            if (!run_case(cdir, &r)) {
                unselected++;
                continue;
            }
            if (r.status == 0) {
                passed++;
                if (g_verbose)
                    printf("PASS %s/%s\n", groups[gi], cases[c]);
            } else if (r.status == 1) {
                failed++;
                printf("FAIL %s/%s: %s\n", groups[gi], cases[c], r.why);
            } else {
                skipped++;
                printf("SKIP %s/%s: %s\n", groups[gi], cases[c], r.why);
            }
            fflush(stdout);
        }
        free_list(cases, nc);
    }
    printf("%d cases not selected (they use operators the importer does not map)\n",
           unselected);
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
