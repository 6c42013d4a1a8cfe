/* fuzz_idx.c - libFuzzer target for IDX files (vn_dataset_load_idx:
 * lib/train/dataset_idx.c, plain or gzip). Each input is tried twice, once
 * as the images file and once as the labels file; the other file of the
 * pair is a valid one made to agree with the count the input's header
 * claims, so the fuzzer gets past the count check into the parser.
 * Invariants, whatever the input:
 * - a failure leaves a message in vn_last_error();
 * - a success gives a dataset of the claimed size whose samples all read
 *   back, with labels in [0, num_classes).
 * Seeded with tests/data/bad (the damaged IDX files) and tests/data/train. */
#include "fuzz_common.h"
#include <visionnet/train.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64], g_input[96], g_other_images[96], g_other_labels[96];

static void setup(void)
{
    if (g_dir[0])
        return;
    snprintf(g_dir, sizeof g_dir, "/tmp/vn-fuzz-idx-%d", (int)getpid());
    if (mkdir(g_dir, 0700) != 0 && errno != EEXIST)
        __builtin_trap();
    snprintf(g_input, sizeof g_input, "%s/input", g_dir);
    snprintf(g_other_images, sizeof g_other_images, "%s/images", g_dir);
    snprintf(g_other_labels, sizeof g_other_labels, "%s/labels", g_dir);
    vn_set_limit(VN_LIMIT_MAX_FILE_BYTES, 1u << 20);
}

static void put(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        __builtin_trap();
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The count an IDX header claims (its first dimension), bounded; 1 when
 * the input has no plausible header. */
static uint32_t claimed_count(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 1;
    uint32_t n = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 |
                 data[7];
    return n >= 1 && n <= 4096 ? n : 1;
}

static void check(vn_status s, vn_dataset *ds, uint32_t want)
{
    if (s != VN_OK) {
        if (ds || !vn_last_error()[0])
            __builtin_trap();
        return;
    }
    if (!ds || vn_dataset_size(ds) != (int64_t)want)
        __builtin_trap();
    int k = vn_dataset_num_classes(ds);
    for (int64_t i = 0; i < vn_dataset_size(ds); i++) {
        vn_tensor *img = NULL;
        int32_t label = -1;
        if (vn_dataset_get(ds, i, &img, &label) != VN_OK || !img || label < 0 || label >= k)
            __builtin_trap();
        vn_tensor_destroy(img);
    }
    vn_dataset_destroy(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    setup();
    uint32_t n = claimed_count(data, size);

    /* the input as the images file, with n valid labels beside it */
    uint8_t *labels = malloc(8 + (size_t)n);
    if (!labels)
        return 0;
    put_be32(labels, 0x00000801);
    put_be32(labels + 4, n);
    for (uint32_t i = 0; i < n; i++)
        labels[8 + i] = (uint8_t)(i % 10);
    put(g_input, data, size);
    put(g_other_labels, labels, 8 + (size_t)n);
    vn_dataset *ds = NULL;
    check(vn_dataset_load_idx(g_input, g_other_labels, &ds), ds, n);

    /* the input as the labels file, with n valid 2x2 images beside it */
    uint8_t *images = malloc(16 + 4 * (size_t)n);
    if (images) {
        put_be32(images, 0x00000803);
        put_be32(images + 4, n);
        put_be32(images + 8, 2);
        put_be32(images + 12, 2);
        memset(images + 16, 0x80, 4 * (size_t)n);
        put(g_other_images, images, 16 + 4 * (size_t)n);
        ds = NULL;
        check(vn_dataset_load_idx(g_other_images, g_input, &ds), ds, n);
    }
    free(images);
    free(labels);
    return 0;
}
