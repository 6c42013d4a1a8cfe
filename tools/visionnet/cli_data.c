/* cli_data.c - opening the datasets `visionnet train` and `eval` are given
 * (see cli_data.h). Uses only the public API. */
#include "cli_data.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const FASHION_NAMES[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

int cli_fail_data(vn_status s)
{
    const char *msg = vn_last_error();
    if (!msg || !*msg)
        msg = vn_status_str(s);
    char line[1024];
    snprintf(line, sizeof line, "%s", msg);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return cli_fail("%s", line);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/<prefix>-images-idx3-ubyte[.gz] into out when it exists. */
static bool idx_in_dir(const char *dir, const char *prefix, char *out, size_t n)
{
    snprintf(out, n, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    if (is_file(out))
        return true;
    snprintf(out, n, "%s/%s-images-idx3-ubyte", dir, prefix);
    return is_file(out);
}

/* Does the path say Fashion-MNIST? */
static bool is_fashion(const char *path)
{
    for (const char *p = path; *p; p++)
        if (strncasecmp(p, "fashion", 7) == 0)
            return true;
    return false;
}

vn_dataset *cli_data_open(const char *arg, bool test, char *resolved, size_t n)
{
    const char *path = arg ? arg : CLI_FASHION_MNIST_DIR;
    if (is_dir(path) && !idx_in_dir(path, test ? "t10k" : "train", resolved, n)) {
        if (!arg) {
            cli_fail("no data given and Fashion-MNIST is not in %s (apt install "
                     "dataset-fashion-mnist, or pass --data)", path);
            return NULL;
        }
        snprintf(resolved, n, "%s", path);
    } else if (!is_dir(path)) {
        snprintf(resolved, n, "%s", path);
    }
    if (!is_file(resolved) && !is_dir(resolved)) {
        cli_fail("%s: no such file or folder", resolved);
        return NULL;
    }
    vn_dataset *ds = NULL;
    vn_status s = vn_dataset_open(resolved, &ds);
    if (s != VN_OK) {
        cli_fail_data(s);
        return NULL;
    }
    if (is_fashion(resolved) && vn_dataset_num_classes(ds) <= 10 && !vn_dataset_class_name(ds, 0))
        vn_dataset_set_class_names(ds, 10, FASHION_NAMES);
    return ds;
}

/* Replace the last `from` in the file name part of path by `to`. */
static bool swap_word(const char *path, const char *from, const char *to, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *hit = NULL;
    for (const char *p = strstr(base, from); p; p = strstr(p + 1, from))
        hit = p;
    if (!hit)
        return false;
    int len = snprintf(out, n, "%.*s%s%s", (int)(hit - path), path, to, hit + strlen(from));
    return len > 0 && (size_t)len < n;
}

bool cli_data_test_path(const char *train, char *out, size_t n)
{
    char trimmed[4096];
    snprintf(trimmed, sizeof trimmed, "%s", train);
    size_t len = strlen(trimmed);
    while (len > 1 && trimmed[len - 1] == '/')
        trimmed[--len] = '\0';
    if (is_dir(trimmed))
        return swap_word(trimmed, "train", "test", out, n) && is_dir(out);
    if (swap_word(trimmed, "train", "t10k", out, n) && is_file(out))
        return true;
    return swap_word(trimmed, "train", "test", out, n) && is_file(out);
}

/* Is every class name a decimal number below k? */
static bool numbered_classes(const vn_dataset *ds, int64_t k)
{
    int nc = vn_dataset_num_classes(ds);
    for (int c = 0; c < nc; c++) {
        const char *name = vn_dataset_class_name(ds, c);
        if (!name || !*name)
            return false;
        char *end;
        long v = strtol(name, &end, 10);
        if (*end || !isdigit((unsigned char)name[0]) || v < 0 || v >= k)
            return false;
    }
    return true;
}

bool cli_data_match_model(vn_dataset *ds, const vn_model *m, const char *path)
{
    int64_t shape[VN_MAX_DIMS];
    int ndim = 0;
    if (vn_model_output_shape(m, shape, &ndim) != VN_OK || ndim != 1) {
        cli_fail("%s: the model's output is not one score per class", path);
        return false;
    }
    const int64_t k = shape[0];
    const int nm = vn_model_class_count(m);
    if (vn_dataset_class_name(ds, 0)) {
        vn_status s = VN_ERR_INVALID_ARG;
        if (nm > 0) {
            const char **names = malloc((size_t)nm * sizeof *names);
            if (!names) {
                cli_fail("out of memory");
                return false;
            }
            for (int i = 0; i < nm; i++)
                names[i] = vn_model_class_name(m, i);
            s = vn_dataset_match_classes(ds, nm, names);
            free(names);
        }
        if (s != VN_OK && numbered_classes(ds, k)) {
            char **nums = malloc((size_t)k * sizeof *nums);
            char *buf = malloc((size_t)k * 24);
            if (!nums || !buf) {
                free(nums);
                free(buf);
                cli_fail("out of memory");
                return false;
            }
            for (int64_t i = 0; i < k; i++) {
                nums[i] = buf + 24 * i;
                snprintf(nums[i], 24, "%lld", (long long)i);
            }
            s = vn_dataset_match_classes(ds, (int)k, (const char *const *)nums);
            free(nums);
            free(buf);
        }
        if (s != VN_OK && nm > 0) {
            cli_fail("%s: %s (the model's classes are %s, %s, ...)", path, vn_last_error(),
                     vn_model_class_name(m, 0), nm > 1 ? vn_model_class_name(m, 1) : "");
            return false;
        }
    }
    if (vn_dataset_num_classes(ds) > k) {
        cli_fail("%s: the data has %d classes, the model only %lld outputs", path,
                 vn_dataset_num_classes(ds), (long long)k);
        return false;
    }
    return true;
}
