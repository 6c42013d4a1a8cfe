/* fuzz_csv.c - libFuzzer target for CSV sample lists (vn_dataset_load_csv:
 * lib/train/dataset_csv.c). The input is written as list.csv in a scratch
 * folder that also holds a.pgm and b.pgm, so relative paths in mutated
 * lines can name real files. Invariants, whatever the input:
 * - a failure leaves a message in vn_last_error() and no dataset;
 * - a success gives a dataset with at least one sample, every label in
 *   [0, num_classes), and a name for every class when the labels were
 *   names.
 * Images are not decoded here (the codecs have their own targets, and a
 * mutated path may name any file of the machine). */
#include "fuzz_common.h"
#include <visionnet/train.h>

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64], g_csv[96];

static void put(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        __builtin_trap();
}

static void setup(void)
{
    if (g_dir[0])
        return;
    snprintf(g_dir, sizeof g_dir, "/tmp/vn-fuzz-csv-%d", (int)getpid());
    if (mkdir(g_dir, 0700) != 0 && errno != EEXIST)
        __builtin_trap();
    static const char pgm[] = "P5\n2 2\n255\n\x01\x02\x03\x04";
    char path[128];
    snprintf(path, sizeof path, "%s/a.pgm", g_dir);
    put(path, pgm, sizeof pgm - 1);
    snprintf(path, sizeof path, "%s/b.pgm", g_dir);
    put(path, pgm, sizeof pgm - 1);
    snprintf(g_csv, sizeof g_csv, "%s/list.csv", g_dir);
    vn_set_limit(VN_LIMIT_MAX_FILE_BYTES, 1u << 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    setup();
    put(g_csv, data, size);
    vn_dataset *ds = NULL;
    vn_status s = vn_dataset_load_csv(g_csv, &ds);
    if (s != VN_OK) {
        if (ds || !vn_last_error()[0])
            __builtin_trap();
        return 0;
    }
    int64_t n = vn_dataset_size(ds);
    int k = vn_dataset_num_classes(ds);
    if (!ds || n < 1 || k < 1)
        __builtin_trap();
    for (int64_t i = 0; i < n; i++) {
        int32_t label = -1;
        if (vn_dataset_label(ds, i, &label) != VN_OK || label < 0 || label >= k)
            __builtin_trap();
    }
    vn_dataset_destroy(ds);
    return 0;
}
