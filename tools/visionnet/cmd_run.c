/*
 * cmd_run.c - `visionnet run MODEL IN.npy -o OUT.npy [--node NAME]`: a
 * forward pass of a model on a tensor, or its activation at one node
 * (vn_model_embed: embeddings from the command line).
 *
 * IN.npy holds samples in one of these forms:
 *   f32 [N, <input shape>]      the model's input, fed unchanged
 *   f32 [<input shape>]         one sample (the output then has no batch axis)
 *   u8  [N, H, W, C] / [H, W, C] images (HWC, as vn_image_read gives them),
 *                               or [N, H, W] / [H, W] for a grey model; they
 *                               go through the model's preprocessing exactly
 *                               as `visionnet predict` prepares images (no
 *                               resizing: H and W must be the model's)
 * OUT.npy is f32 [N, <output or node shape>]. Samples are run in batches of
 * --batch (default 32) in inference mode (the figures may differ in the last
 * bits between batch sizes, as the GEMM's blocking does).
 */
#include "cli_model.h"

#include <stdlib.h>
#include <string.h>

/* The command table in main.c calls this. */
int cmd_run(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet run MODEL IN.npy -o OUT.npy [--node NAME] [--batch N] [--threads N]\n\n"
               "Run a model file on the samples of a .npy file and write its outputs (f32)\n"
               "to OUT.npy; with --node, the activation of that node instead (embeddings).\n\n"
               "  IN.npy        f32 [N, input shape...] or one sample [input shape...];\n"
               "                u8 images [N, H, W, C] or [H, W, C] ([N, H, W] / [H, W] grey),\n"
               "                prepared with the model's preprocessing as predict does\n"
               "  -o, --out F   the output .npy file (required; written atomically)\n"
               "  --node NAME   stop at node NAME and write its activation\n"
               "  --batch N     samples per forward pass (default 32)\n"
               "  --threads N   threads (default: all cores)\n");
}

static bool same_dims(const int64_t *a, const int64_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static void shape_text(const int64_t *s, int n, char *buf, size_t cap)
{
    size_t at = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, i ? ", %lld" : "%lld", (long long)s[i]);
    if (at < cap)
        snprintf(buf + at, cap - at, "]");
}

/* u8 images -> f32 [N, C, H, W] through the model's preprocessing. NULL
 * after one line. *batched says whether the file had a batch axis. */
static vn_tensor *prepare_u8(const vn_model *m, const vn_tensor *in, const char *path,
                             bool *batched)
{
    int64_t ms[VN_MAX_DIMS];
    int mnd = 0;
    vn_model_input_shape(m, ms, &mnd);
    if (mnd != 3 || ms[0] < 1 || ms[0] > 4) {
        cli_fail("%s: u8 images need a model whose input is an image [C, H, W] of 1 to 4 "
                 "channels", path);
        return NULL;
    }
    const int64_t c = ms[0], h = ms[1], w = ms[2];
    const int nd = vn_tensor_ndim(in);
    int64_t s[VN_MAX_DIMS];
    vn_tensor_shape(in, s);
    const int64_t hwc[3] = {h, w, c};
    int64_t n = 0;
    if (nd == 4 && same_dims(s + 1, hwc, 3))
        n = s[0], *batched = true;
    else if (nd == 3 && same_dims(s, hwc, 3))
        n = 1, *batched = false;
    else if (c == 1 && nd == 3 && same_dims(s + 1, hwc, 2))
        n = s[0], *batched = true;
    else if (c == 1 && nd == 2 && same_dims(s, hwc, 2))
        n = 1, *batched = false;
    if (n < 1) {
        char got[160], want[160];
        shape_text(s, nd, got, sizeof got);
        shape_text(hwc, 3, want, sizeof want);
        cli_fail("%s: u8 images of shape %s do not fit the model: want [N, %lld, %lld, %lld] "
                 "or %s (H, W, C)", path, got, (long long)h, (long long)w, (long long)c, want);
        return NULL;
    }
    float scale = 0, mean[4], std[4];
    vn_model_get_preprocess(m, &scale, mean, std);
    const int64_t out_shape[4] = {n, c, h, w};
    vn_tensor *out = NULL;
    vn_status st = vn_tensor_create(VN_F32, 4, out_shape, &out);
    if (st != VN_OK) {
        cli_fail_status(path, st);
        return NULL;
    }
    const size_t per = (size_t)(h * w * c);
    const uint8_t *src = vn_tensor_data_const(in);
    float *dst = vn_tensor_data(out);
    for (int64_t i = 0; i < n; i++) {
        vn_tensor *img = NULL, *x = NULL;
        st = vn_tensor_wrap(VN_U8, 3, hwc, (void *)(src + (size_t)i * per), NULL, NULL, &img);
        if (st == VN_OK)
            st = vn_image_to_tensor(img, scale, mean, std, &x);
        if (st == VN_OK)
            memcpy(dst + (size_t)i * per, vn_tensor_data_const(x), per * sizeof(float));
        vn_tensor_destroy(img);
        vn_tensor_destroy(x);
        if (st != VN_OK) {
            vn_tensor_destroy(out);
            cli_fail_file(path, st);
            return NULL;
        }
    }
    return out;
}

/* f32 samples: [N, S...] or [S...] (S the model's input shape). A new
 * tensor [N, S...]; NULL after one line. */
static vn_tensor *prepare_f32(const vn_model *m, const vn_tensor *in, const char *path,
                              bool *batched)
{
    int64_t ms[VN_MAX_DIMS];
    int mnd = 0;
    vn_model_input_shape(m, ms, &mnd);
    const int nd = vn_tensor_ndim(in);
    int64_t s[VN_MAX_DIMS];
    vn_tensor_shape(in, s);
    int64_t shape[VN_MAX_DIMS + 1];
    if (nd == mnd + 1 && same_dims(s + 1, ms, mnd) && s[0] >= 1) {
        *batched = true;
        memcpy(shape, s, (size_t)nd * sizeof *s);
    } else if (nd == mnd && same_dims(s, ms, mnd) && mnd < VN_MAX_DIMS) {
        *batched = false;
        shape[0] = 1;
        memcpy(shape + 1, s, (size_t)nd * sizeof *s);
    } else {
        char got[160], want[160];
        shape_text(s, nd, got, sizeof got);
        shape_text(ms, mnd, want, sizeof want);
        cli_fail("%s: shape %s does not fit the model's input %s (give [N, ...] or one sample)",
                 path, got, want);
        return NULL;
    }
    vn_tensor *x = NULL;
    vn_status st = vn_tensor_copy(in, &x);
    if (st == VN_OK)
        st = vn_tensor_reshape(x, *batched ? nd : nd + 1, shape);
    if (st != VN_OK) {
        vn_tensor_destroy(x);
        cli_fail_status(path, st);
        return NULL;
    }
    return x;
}

/* Run x [N, ...] in batches of `batch`; the whole output in *out. */
static vn_status run_batches(vn_model *m, const vn_tensor *x, const char *node, int64_t batch,
                             vn_tensor **out)
{
    *out = NULL;
    const int nd = vn_tensor_ndim(x);
    int64_t s[VN_MAX_DIMS];
    vn_tensor_shape(x, s);
    const int64_t n = s[0];
    const size_t per_in = vn_tensor_numel(x) / (size_t)n;
    const float *src = vn_tensor_data_const(x);
    vn_tensor *all = NULL;
    size_t per_out = 0;
    vn_status st = VN_OK;
    for (int64_t at = 0; at < n && st == VN_OK; at += batch) {
        const int64_t b = n - at < batch ? n - at : batch;
        int64_t bs[VN_MAX_DIMS];
        memcpy(bs, s, (size_t)nd * sizeof *s);
        bs[0] = b;
        vn_tensor *chunk = NULL, *emb = NULL;
        const vn_tensor *y = NULL;
        st = vn_tensor_wrap(VN_F32, nd, bs, (void *)(src + (size_t)at * per_in), NULL, NULL,
                            &chunk);
        if (st == VN_OK) {
            if (node) {
                st = vn_model_embed(m, chunk, node, &emb);
                y = emb;
            } else {
                st = vn_model_forward(m, chunk, VN_MODE_INFERENCE, &y);
            }
        }
        if (st == VN_OK && !all) {
            int64_t os[VN_MAX_DIMS];
            const int ond = vn_tensor_ndim(y);
            vn_tensor_shape(y, os);
            os[0] = n;
            per_out = vn_tensor_numel(y) / (size_t)b;
            st = vn_tensor_create(VN_F32, ond, os, &all);
        }
        if (st == VN_OK)
            memcpy((float *)vn_tensor_data(all) + (size_t)at * per_out, vn_tensor_data_const(y),
                   (size_t)b * per_out * sizeof(float));
        vn_tensor_destroy(emb);
        vn_tensor_destroy(chunk);
    }
    if (st != VN_OK) {
        vn_tensor_destroy(all);
        return st;
    }
    *out = all;
    return VN_OK;
}

int cmd_run(int argc, char **argv)
{
    const char *model_path = NULL, *in_path = NULL, *out_path = NULL, *node = NULL;
    long batch = 32, threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq = strchr(arg, '=');
        size_t len = eq && !strncmp(arg, "--", 2) ? (size_t)(eq - arg) : strlen(arg);
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)(len < 63 ? len : 63), arg);
        const bool has_value = !strcmp(opt, "-o") || !strcmp(opt, "--out") ||
                               !strcmp(opt, "--node") || !strcmp(opt, "--batch") ||
                               !strcmp(opt, "--threads");
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            usage(stdout);
            return 0;
        }
        if (has_value) {
            const char *v = eq && !strncmp(arg, "--", 2) ? eq + 1 : NULL;
            if (!v) {
                if (i + 1 >= argc)
                    return cli_fail("run: %s needs a value", opt);
                v = argv[++i];
            }
            if (!strcmp(opt, "-o") || !strcmp(opt, "--out"))
                out_path = v;
            else if (!strcmp(opt, "--node"))
                node = v;
            else if (!strcmp(opt, "--batch") && !cli_parse_int(opt, v, 1, 1 << 20, &batch))
                return 1;
            else if (!strcmp(opt, "--threads") && !cli_parse_int(opt, v, 1, 1024, &threads))
                return 1;
        } else if (!strncmp(arg, "-", 1) && arg[1]) {
            return cli_fail("run: unknown option '%s' (see visionnet run --help)", arg);
        } else if (!model_path) {
            model_path = arg;
        } else if (!in_path) {
            in_path = arg;
        } else {
            return cli_fail("run: unexpected argument '%s' (see visionnet run --help)", arg);
        }
    }
    if (!model_path || !in_path)
        return cli_fail("run: give a model file and an input .npy file (see visionnet run --help)");
    if (!out_path)
        return cli_fail("run: give the output file with -o OUT.npy");
    if (threads > 0)
        vn_set_num_threads((int)threads);

    vn_model *m = cli_model_load(model_path, NULL);
    if (!m)
        return 1;
    int rc = 1;
    vn_tensor *in = NULL, *x = NULL, *y = NULL;
    if (node && vn_model_node_find(m, node) < 0) {
        cli_fail("%s: no node named '%s' (see visionnet info %s)", model_path, node, model_path);
        goto done;
    }
    vn_status st = vn_tensor_load_npy(in_path, &in);
    if (st != VN_OK) {
        cli_fail_file(in_path, st);
        goto done;
    }
    bool batched = true;
    if (vn_tensor_dtype(in) == VN_U8)
        x = prepare_u8(m, in, in_path, &batched);
    else if (vn_tensor_dtype(in) == VN_F32)
        x = prepare_f32(m, in, in_path, &batched);
    else
        cli_fail("%s: %s samples are not supported (give f32 inputs or u8 images)", in_path,
                 vn_dtype_name(vn_tensor_dtype(in)));
    if (!x)
        goto done;
    st = run_batches(m, x, node, batch, &y);
    if (st != VN_OK) {
        cli_fail_file(model_path, st);
        goto done;
    }
    if (!batched) {
        int64_t s[VN_MAX_DIMS];
        vn_tensor_shape(y, s);
        const int nd = vn_tensor_ndim(y);
        if (nd > 1 && (st = vn_tensor_reshape(y, nd - 1, s + 1)) != VN_OK) {
            cli_fail_status(out_path, st);
            goto done;
        }
    }
    st = vn_tensor_save_npy(y, out_path);
    if (st != VN_OK) {
        cli_fail_file(out_path, st);
        goto done;
    }
    rc = 0;
done:
    vn_tensor_destroy(y);
    vn_tensor_destroy(x);
    vn_tensor_destroy(in);
    vn_model_destroy(m);
    return rc;
}
