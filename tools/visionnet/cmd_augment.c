/*
 * cmd_augment.c - `visionnet augment IMAGE --pipeline SPEC [-n 16]
 * [--seed S] [--epoch E] [--grid out.png] [--out-dir DIR] [--cols C]`:
 * run an augmentation pipeline n times on one image (sample indices
 * 0..n-1 of epoch E under seed S, so the same command gives the same
 * pictures) and write the results as one grid picture (a 4-pixel white gap
 * between tiles, C columns, by default ceil(sqrt(n))) and / or one PNG per
 * result, DIR/aug_000.png ...
 *
 * The pipeline grammar is docs/augmentation.md's (the library's
 * vn_augment_from_spec); an error in it is reported with the op's index,
 * name and the word.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cmd_augment(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet augment IMAGE --pipeline SPEC [-n N] [--seed S] [--epoch E]\n"
               "                         [--grid OUT.png] [--out-dir DIR] [--cols C]\n\n"
               "Augment IMAGE N times (default 16) with the pipeline SPEC, e.g.\n"
               "  \"hflip p=0.5; rotate deg=15; color_jitter b=0.4 c=0.4 s=0.4 h=0.1; erase p=0.25\"\n"
               "and write the results as one grid picture (--grid) and/or one file each\n"
               "(--out-dir DIR: DIR/aug_000.png ...). At least one of the two is needed.\n"
               "Sample i uses the random numbers of (seed, epoch, i): the same command\n"
               "gives the same pictures. See docs/augmentation.md for the ops.\n");
}

/* Tile n u8 [h, w, c] images (one block [n, h, w, c]) into a grid. */
static vn_status make_grid(const vn_tensor *batch, int cols, vn_tensor **out)
{
    int64_t n = vn_tensor_dim(batch, 0), h = vn_tensor_dim(batch, 1);
    int64_t w = vn_tensor_dim(batch, 2), c = vn_tensor_dim(batch, 3);
    int64_t rows = (n + cols - 1) / cols, gap = 4;
    int64_t shape[3] = {rows * h + (rows + 1) * gap, cols * w + (cols + 1) * gap, c};
    vn_tensor *g = NULL;
    vn_status s = vn_tensor_create(VN_U8, 3, shape, &g);
    if (s != VN_OK)
        return s;
    uint8_t *G = vn_tensor_data(g);
    memset(G, 255, vn_tensor_nbytes(g));
    const uint8_t *B = vn_tensor_data_const(batch);
    for (int64_t i = 0; i < n; i++) {
        int64_t r0 = gap + (i / cols) * (h + gap), c0 = gap + (i % cols) * (w + gap);
        for (int64_t y = 0; y < h; y++)
            memcpy(G + ((r0 + y) * shape[1] + c0) * c, B + ((i * h + y) * w) * c,
                   (size_t)(w * c));
    }
    *out = g;
    return VN_OK;
}

int cmd_augment(int argc, char **argv)
{
    const char *image = NULL, *spec = NULL, *grid = NULL, *dir = NULL;
    long n = 16, cols = 0, seed = 0, epoch = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--pipeline")) {
            if (!v)
                return cli_fail("augment: --pipeline needs a value");
            spec = v, i++;
        } else if (!strcmp(a, "-n")) {
            if (!cli_parse_int("-n", v, 1, 10000, &n))
                return 1;
            i++;
        } else if (!strcmp(a, "--seed")) {
            if (!cli_parse_int("--seed", v, 0, 2147483647L, &seed))
                return 1;
            i++;
        } else if (!strcmp(a, "--epoch")) {
            if (!cli_parse_int("--epoch", v, 0, 2147483647L, &epoch))
                return 1;
            i++;
        } else if (!strcmp(a, "--cols")) {
            if (!cli_parse_int("--cols", v, 1, 1000, &cols))
                return 1;
            i++;
        } else if (!strcmp(a, "--grid")) {
            if (!v)
                return cli_fail("augment: --grid needs a file name");
            grid = v, i++;
        } else if (!strcmp(a, "--out-dir")) {
            if (!v)
                return cli_fail("augment: --out-dir needs a folder");
            dir = v, i++;
        } else if (a[0] == '-') {
            return cli_fail("augment: unknown option '%s' (try 'visionnet augment --help')", a);
        } else if (!image) {
            image = a;
        } else {
            return cli_fail("augment: one IMAGE only ('%s' is a second one)", a);
        }
    }
    if (!image || !spec) {
        usage(stderr);
        return 1;
    }
    if (!grid && !dir)
        return cli_fail("augment: nothing to write: give --grid OUT.png and/or --out-dir DIR");

    vn_augment *aug = NULL;
    vn_status s = vn_augment_from_spec(spec, &aug);
    if (s != VN_OK)
        return cli_fail_status("augment: --pipeline", s);
    vn_tensor *img = NULL, *batch = NULL, *out = NULL;
    vn_decode_options dopts = VN_DECODE_OPTIONS_INIT;
    s = vn_image_read(image, &dopts, &img);
    if (s != VN_OK) {
        vn_augment_destroy(aug);
        return cli_fail_status(image, s);
    }
    if (vn_tensor_ndim(img) == 2) {
        int64_t sh[3] = {vn_tensor_dim(img, 0), vn_tensor_dim(img, 1), 1};
        vn_tensor_reshape(img, 3, sh);
    }
    int64_t shape[4] = {n, vn_tensor_dim(img, 0), vn_tensor_dim(img, 1), vn_tensor_dim(img, 2)};
    int rc = 0;
    s = vn_tensor_create(VN_U8, 4, shape, &batch);
    if (s == VN_OK) {
        size_t per = vn_tensor_nbytes(img);
        for (long i = 0; i < n; i++)
            memcpy((uint8_t *)vn_tensor_data(batch) + (size_t)i * per, vn_tensor_data(img), per);
        s = vn_augment_apply(aug, batch, (uint64_t)seed, (uint64_t)epoch, 0, &out);
    }
    if (s != VN_OK) {
        rc = cli_fail_status("augment", s);
        goto done;
    }
    if (dir) {
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            rc = cli_fail("augment: cannot create folder '%s': %s", dir, strerror(errno));
            goto done;
        }
        int64_t one[3] = {vn_tensor_dim(out, 1), vn_tensor_dim(out, 2), vn_tensor_dim(out, 3)};
        size_t per = (size_t)(one[0] * one[1] * one[2]);
        for (long i = 0; i < n && rc == 0; i++) {
            vn_tensor *view = NULL;
            char path[4096];
            snprintf(path, sizeof path, "%s/aug_%03ld.png", dir, i);
            s = vn_tensor_wrap(VN_U8, 3, one, (uint8_t *)vn_tensor_data(out) + (size_t)i * per,
                               NULL, NULL, &view);
            if (s == VN_OK)
                s = vn_image_write(path, view, NULL);
            vn_tensor_destroy(view);
            if (s != VN_OK)
                rc = cli_fail_status(path, s);
        }
    }
    if (grid && rc == 0) {
        vn_tensor *g = NULL;
        int c = cols ? (int)cols : (int)ceil(sqrt((double)n));
        s = make_grid(out, c, &g);
        if (s == VN_OK)
            s = vn_image_write(grid, g, NULL);
        vn_tensor_destroy(g);
        if (s != VN_OK)
            rc = cli_fail_status(grid, s);
    }
done:
    vn_tensor_destroy(img);
    vn_tensor_destroy(batch);
    vn_tensor_destroy(out);
    vn_augment_destroy(aug);
    return rc;
}
