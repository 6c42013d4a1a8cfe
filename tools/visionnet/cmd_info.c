/*
 * cmd_info.c - `visionnet info FILE... [--json]`: say what each file is.
 *
 *   image  width, height, channels (as stored, palettes counted expanded),
 *          bit depth and the codec that reads it;
 *   .npy   dtype and shape;
 *   model  nodes, output shapes, parameters, FLOPs, preprocessing, classes
 *          (info_model.c).
 *
 * The kind of a file comes from its first bytes, never its name (the .npy
 * magic "\x93NUMPY"; anything else is offered to the image codecs, which
 * probe by content too). An image is also decoded in full, so a file whose
 * header is fine but whose body is damaged is reported, not described.
 *
 * Every file is tried. One that cannot be read, is damaged, truncated,
 * foreign or over a limit gives exactly one line on stderr,
 * "visionnet: FILE: <reason>", and makes the exit status 1. With --json each
 * good file gives one JSON object on its own line:
 *   {"file": "a.png", "width": 640, "height": 480, "channels": 3, "bit_depth": 8, "codec": "png"}
 *   {"file": "x.npy", "dtype": "f32", "shape": [2, 3]}
 */
#include "cli.h"
#include "cli_model.h"

#include <errno.h>
#include <string.h>

/* The command table in main.c calls this. */
int cmd_info(int argc, char **argv);
/* Model files: info_model.c. */
int cli_info_model(const char *path, bool json);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet info [--json] FILE...\n\n"
               "Describe image files (width, height, channels, bit depth, codec) and .npy\n"
               "files (dtype, shape). A file that cannot be read is reported on stderr and\n"
               "makes the exit status 1; the other files are still described.\n\n"
               "  --json    one JSON object per file, one per line\n");
}

/* The library's message for a failed call on path, on one line, without a
 * leading "path: " (the line names the file already). */
static int report(const char *path, vn_status s)
{
    const char *msg = vn_last_error();
    if (!msg || !*msg)
        msg = vn_status_str(s);
    size_t plen = strlen(path);
    if (strncmp(msg, path, plen) == 0 && msg[plen] == ':' && msg[plen + 1] == ' ')
        msg += plen + 2;
    char line[600];
    snprintf(line, sizeof line, "%s", msg);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return cli_fail("%s: %s", path, line);
}

/* ---- .npy ---------------------------------------------------------------- */

static int info_npy(const char *path, bool json)
{
    vn_tensor *t = NULL;
    vn_status s = vn_tensor_load_npy(path, &t);
    if (s != VN_OK)
        return report(path, s);
    int nd = vn_tensor_ndim(t);
    if (json) {
        fputs("{\"file\": ", stdout);
        cli_json_string(stdout, path);
        printf(", \"dtype\": \"%s\", \"shape\": [", vn_dtype_name(vn_tensor_dtype(t)));
    } else {
        printf("%s: npy %s [", path, vn_dtype_name(vn_tensor_dtype(t)));
    }
    for (int i = 0; i < nd; i++)
        printf(i ? ", %lld" : "%lld", (long long)vn_tensor_dim(t, i));
    puts(json ? "]}" : "]");
    vn_tensor_destroy(t);
    return 0;
}

/* ---- images -------------------------------------------------------------- */

static int info_image(const char *path, bool json)
{
    vn_image_info info = VN_IMAGE_INFO_INIT;
    vn_status s = vn_image_info_read(path, &info);
    if (s != VN_OK)
        return report(path, s);
    /* The header alone does not prove the file is sound: decode it all. */
    vn_decode_options opts = VN_DECODE_OPTIONS_INIT;
    opts.keep_16bit = 1; /* no need to convert samples we only check */
    vn_tensor *t = NULL;
    s = vn_image_read(path, &opts, &t);
    if (s != VN_OK)
        return report(path, s);
    vn_tensor_destroy(t);
    if (json) {
        fputs("{\"file\": ", stdout);
        cli_json_string(stdout, path);
        printf(", \"width\": %d, \"height\": %d, \"channels\": %d, \"bit_depth\": %d, \"codec\": ",
               info.width, info.height, info.channels, info.bit_depth);
        cli_json_string(stdout, info.codec);
        puts("}");
    } else {
        printf("%s: %dx%d, %d channel%s, %d-bit, %s\n", path, info.width, info.height, info.channels,
               info.channels == 1 ? "" : "s", info.bit_depth, info.codec);
    }
    return 0;
}

/* ---- one file -------------------------------------------------------------- */

static int info_file(const char *path, bool json)
{
    /* Sniff the first bytes; the libraries re-read the file themselves. */
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_fail("%s: %s", path, strerror(errno));
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);

    if (n >= 6 && memcmp(head, "\x93NUMPY", 6) == 0)
        return info_npy(path, json);
    /* Model files (safetensors with visionnet metadata, info_model.c; see
     * cli_is_model_file). A foreign safetensors file goes there too and is
     * reported as not a visionnet model. */
    if (cli_is_model_file(path))
        return cli_info_model(path, json);
    return info_image(path, json);
}

int cmd_info(int argc, char **argv)
{
    bool json = false, options_done = false;
    int files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && a[0] == '-' && a[1] != '\0') {
            if (!strcmp(a, "--json"))
                json = true;
            else if (!strcmp(a, "--"))
                options_done = true;
            else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                usage(stdout);
                return 0;
            } else {
                return cli_fail("info: unknown option '%s' (try 'visionnet help info')", a);
            }
        }
    }
    options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && a[0] == '-' && a[1] != '\0') {
            options_done = !strcmp(a, "--");
            continue;
        }
        files++;
        if (info_file(a, json) != 0)
            failed = 1;
        fflush(stdout);
    }
    if (files == 0)
        return cli_fail("info: no file given (usage: visionnet info [--json] FILE...)");
    return failed;
}
