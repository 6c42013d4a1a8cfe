/*
 * cmd_hog.c - `visionnet hog IMAGE [options]`: the HOG descriptor of an
 * image (visionnet/features.h).
 *
 * Prints the descriptor's length and a short summary (grid, value range,
 * time); --npy writes the descriptor as a float32 .npy (1-D, the
 * convention's layout), --render a picture of it (star glyphs per cell, as
 * skimage's hog(visualize=True)), --json one JSON object instead of text.
 * The options become the string of vn_hog_create_from_string(), so the
 * command and the library read parameters the same way.
 *
 * Images are taken as the file holds them: gray or RGB (an alpha channel is
 * dropped, gray+alpha becomes gray); --gray converts colour to gray first
 * (BT.601), otherwise colour uses the strongest channel per pixel.
 */
#include "cli.h"

#include <string.h>
#include <time.h>

int cmd_hog(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet hog IMAGE [options]\n\n"
               "Compute the HOG descriptor of IMAGE and print its length and a summary.\n\n"
               "  --convention C    skimage (default) or opencv (cv::HOGDescriptor)\n"
               "  --orientations N  orientation bins (default 9)\n"
               "  --cell HxW        pixels per cell, e.g. 8 or 6x4 (default 8)\n"
               "  --block HxW       cells per block (default 2)\n"
               "  --stride HxW      block step in cells (default 1)\n"
               "  --norm N          l1, l1sqrt, l2 or l2hys (default l2hys)\n"
               "  --signed          orientations over 360 degrees\n"
               "  --sqrt            square root of the pixel values first (opencv: default on)\n"
               "  --no-sqrt         no square root\n"
               "  --gray            convert a colour image to gray first\n"
               "  --npy FILE        write the descriptor (float32, 1-D) to FILE\n"
               "  --render FILE     write a picture of the descriptor (PNG / JPEG / PNM)\n"
               "  --render-cell N   draw each cell N pixels wide (default: the cell size)\n"
               "  --json            one JSON object on stdout instead of text\n");
}

/* Append " key=value" to spec. */
static bool add_word(char *spec, size_t n, const char *key, const char *value)
{
    size_t len = strlen(spec);
    int w = snprintf(spec + len, n - len, " %s=%s", key, value);
    return w > 0 && (size_t)w < n - len;
}

/* The image as gray or RGB (alpha dropped), or gray when asked. */
static int read_image(const char *path, bool gray, vn_tensor **out)
{
    vn_tensor *img = NULL;
    vn_status s = vn_image_read(path, NULL, &img);
    if (s != VN_OK)
        return cli_fail_status(path, s);
    int c = vn_tensor_ndim(img) == 3 ? (int)vn_tensor_dim(img, 2) : 1;
    int want = gray || c <= 2 ? 1 : 3;
    if (c != want) {
        vn_tensor *conv = NULL;
        s = want == 1 && c >= 3 ? vn_image_to_gray(img, VN_GRAY_BT601, &conv)
                                : vn_image_convert_channels(img, want, &conv);
        vn_tensor_destroy(img);
        if (s != VN_OK)
            return cli_fail_status(path, s);
        img = conv;
    }
    *out = img;
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int cmd_hog(int argc, char **argv)
{
    const char *image = NULL, *npy = NULL, *render = NULL;
    bool json = false, gray = false;
    long render_cell = 0;
    char spec[512] = "";
    const char *convention = NULL;
    static const char *const valued[][2] = {
        {"--convention", "convention"}, {"--orientations", "orientations"}, {"--cell", "cell"},
        {"--block", "block"},           {"--stride", "stride"},             {"--norm", "norm"},
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        bool done = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !done; k++)
            if (!strcmp(a, valued[k][0])) {
                if (i + 1 >= argc)
                    return cli_fail("hog: %s needs a value", a);
                if (!strcmp(valued[k][1], "convention")) {
                    convention = argv[i + 1];
                } else if (!add_word(spec, sizeof spec, valued[k][1], argv[i + 1])) {
                    return cli_fail("hog: too many options");
                }
                i++;
                done = true;
            }
        if (done)
            continue;
        if (!strcmp(a, "--signed")) {
            add_word(spec, sizeof spec, "signed", "1");
        } else if (!strcmp(a, "--sqrt")) {
            add_word(spec, sizeof spec, "sqrt", "1");
        } else if (!strcmp(a, "--no-sqrt")) {
            add_word(spec, sizeof spec, "sqrt", "0");
        } else if (!strcmp(a, "--gray")) {
            gray = true;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--npy") || !strcmp(a, "--render") || !strcmp(a, "--render-cell")) {
            if (i + 1 >= argc)
                return cli_fail("hog: %s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--npy"))
                npy = v;
            else if (!strcmp(a, "--render"))
                render = v;
            else if (!cli_parse_int(a, v, 3, 256, &render_cell))
                return 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_fail("hog: unknown option '%s' (try 'visionnet hog --help')", a);
        } else if (!image) {
            image = a;
        } else {
            return cli_fail("hog: one image at a time ('%s' is a second one)", a);
        }
    }
    if (!image) {
        usage(stderr);
        return 1;
    }

    char full[600];
    snprintf(full, sizeof full, "%s%s%s", convention ? "convention=" : "", convention ? convention : "", spec);
    vn_hog *hog = NULL;
    vn_status s = vn_hog_create_from_string(full, &hog);
    if (s != VN_OK)
        return cli_fail("%s", vn_last_error()); /* "hog: ..." already */
    vn_tensor *img = NULL, *desc = NULL, *pic = NULL;
    int rc = read_image(image, gray, &img);
    if (rc)
        goto done;
    double t0 = now_ms();
    s = vn_hog_put_image(hog, img);
    size_t n = vn_hog_get_size(hog);
    if (s == VN_OK)
        s = vn_tensor_create(VN_F32, 1, (int64_t[]){(int64_t)n}, &desc);
    if (s == VN_OK)
        s = vn_hog_extract(hog, vn_tensor_data(desc), n);
    double ms = now_ms() - t0;
    if (s != VN_OK) {
        rc = cli_fail_status(image, s);
        goto done;
    }
    if (npy && (s = vn_tensor_save_npy(desc, npy)) != VN_OK) {
        rc = cli_fail_status(npy, s);
        goto done;
    }
    if (render) {
        s = vn_hog_render(hog, (int)render_cell, &pic);
        if (s == VN_OK)
            s = vn_image_write(render, pic, NULL);
        if (s != VN_OK) {
            rc = cli_fail_status(render, s);
            goto done;
        }
    }

    vn_hog_options o = VN_HOG_OPTIONS_INIT;
    vn_hog_get_options(hog, &o);
    int by = 0, bx = 0, len = 0;
    vn_hog_get_grid(hog, &by, &bx, &len);
    const float *d = vn_tensor_data(desc);
    double sum = 0, mx = 0;
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        sum += d[i];
        mx = d[i] > mx ? d[i] : mx;
        nonzero += d[i] != 0.0f;
    }
    const char *conv = o.convention == VN_HOG_OPENCV ? "opencv" : "skimage";
    static const char *const norms[] = {"l1", "l1sqrt", "l2", "l2hys"};
    int H = (int)vn_tensor_dim(img, 0), W = (int)vn_tensor_dim(img, 1);
    int C = vn_tensor_ndim(img) == 3 ? (int)vn_tensor_dim(img, 2) : 1;
    if (json) {
        fputs("{\"file\": ", stdout);
        cli_json_string(stdout, image);
        printf(", \"height\": %d, \"width\": %d, \"channels\": %d, \"convention\": \"%s\", "
               "\"orientations\": %d, \"cell\": [%d, %d], \"block\": [%d, %d], \"stride\": [%d, %d], "
               "\"norm\": \"%s\", \"signed\": %s, \"sqrt\": %s, \"blocks\": [%d, %d], \"block_length\": %d, "
               "\"length\": %zu, \"mean\": %.6g, \"max\": %.6g, \"nonzero\": %zu, \"ms\": %.3f",
               H, W, C, conv, o.orientations, o.cell_h, o.cell_w, o.block_h, o.block_w, o.block_stride_h,
               o.block_stride_w, norms[o.norm], o.signed_gradients ? "true" : "false",
               o.sqrt_transform ? "true" : "false", by, bx, len, n, n ? sum / n : 0.0, mx, nonzero, ms);
        if (npy) {
            fputs(", \"npy\": ", stdout);
            cli_json_string(stdout, npy);
        }
        if (render) {
            fputs(", \"render\": ", stdout);
            cli_json_string(stdout, render);
        }
        puts("}");
    } else {
        printf("%s: %dx%d, %d channel%s\n", image, W, H, C, C > 1 ? "s (strongest gradient per pixel)" : "");
        printf("hog %s: %d orientations%s, %dx%d-pixel cells, %dx%d-cell blocks every %dx%d cells, %s%s\n", conv,
               o.orientations, o.signed_gradients ? " (signed)" : "", o.cell_h, o.cell_w, o.block_h, o.block_w,
               o.block_stride_h, o.block_stride_w, norms[o.norm], o.sqrt_transform ? ", sqrt" : "");
        printf("descriptor: %zu floats = %d x %d blocks x %d\n", n, by, bx, len);
        printf("values: mean %.4g, max %.4g, %.1f%% nonzero; computed in %.2f ms\n", n ? sum / n : 0.0, mx,
               n ? 100.0 * nonzero / n : 0.0, ms);
        if (npy)
            printf("wrote %s\n", npy);
        if (render)
            printf("wrote %s (%lldx%lld)\n", render, (long long)vn_tensor_dim(pic, 1),
                   (long long)vn_tensor_dim(pic, 0));
    }
done:
    vn_tensor_destroy(pic);
    vn_tensor_destroy(desc);
    vn_tensor_destroy(img);
    vn_hog_destroy(hog);
    return rc;
}
