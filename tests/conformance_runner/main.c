/*
 * main.c - the conformance runner:
 *
 *     build/tests/conformance [--strict] DIR...
 *
 * Each DIR is a conformance set in the format of
 * ../shared/conformance/README.md (DIR/<category>/<case>/case.json + .npy
 * files), or one category folder, or one case folder; MANIFEST.json is not
 * needed. Cases run in sorted path order; each prints one line:
 *
 *     PASS <path>
 *     PASS <path> (debug outputs not exposed: a.npy, b.npy)
 *     FAIL <path>: <output> worst |got-ref| = ... at index [...] (...)
 *     SKIP <path>: op '<op>' not implemented
 *
 * and the last line is "N passed, N failed, N skipped". The exit status is
 * 1 when a case failed (or, with --strict, was skipped), 2 on a usage error,
 * 0 otherwise. --strict is for sets that hold only cases the library
 * claims to support (tests/data/conformance_extra).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONF_OPS_TABLE
#include "ops.h"

typedef struct case_list {
    char **dirs;   /* full paths */
    char **shown;  /* what the report prints */
    size_t n, cap;
} case_list;

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "a/b" (or "b" when a is empty), malloc'ed. */
static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (!p) {
        fprintf(stderr, "conformance: out of memory\n");
        exit(2);
    }
    snprintf(p, n, a[0] ? "%s/%s" : "%s%s", a, b);
    return p;
}

static bool has_case(const char *dir)
{
    char *p = join(dir, "case.json");
    struct stat st;
    bool yes = stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return yes;
}

static void add_case(case_list *l, const char *dir, const char *shown)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->dirs = realloc(l->dirs, l->cap * sizeof *l->dirs);
        l->shown = realloc(l->shown, l->cap * sizeof *l->shown);
    }
    l->dirs[l->n] = strdup(dir);
    l->shown[l->n] = strdup(shown);
    l->n++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Find case folders under root/rel, at most `depth` levels down. The
 * report shows paths relative to root, or the full path when several sets
 * are run (with_root). */
static void collect(const char *root, const char *rel, int depth, bool with_root, case_list *l)
{
    char *dir = rel[0] ? join(root, rel) : join("", root);
    if (has_case(dir)) {
        add_case(l, dir, rel[0] && !with_root ? rel : dir);
        free(dir);
        return;
    }
    DIR *d = depth > 0 ? opendir(dir) : NULL;
    free(dir);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        char *sub = join(rel, names[i]);
        char *full = join(root, sub);
        if (is_dir(full))
            collect(root, sub, depth - 1, with_root, l);
        free(full);
        free(sub);
        free(names[i]);
    }
    free(names);
}

static const conf_op *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof conf_ops / sizeof conf_ops[0]; i++)
        if (strcmp(conf_ops[i].name, name) == 0)
            return &conf_ops[i];
    return NULL;
}

typedef enum { R_PASS, R_FAIL, R_SKIP } outcome;

static outcome run_case(const char *dir, const char *shown)
{
    char err[2048], note[1024];
    conf_case *c = conf_case_load(dir, err, sizeof err);
    if (!c) {
        printf("FAIL %s: %s\n", shown, err);
        return R_FAIL;
    }
    outcome o;
    const conf_op *op = find_op(conf_case_op(c));
    if (!op) {
        printf("SKIP %s: op '%s' not implemented\n", shown, conf_case_op(c));
        o = R_SKIP;
    } else {
        vn_clear_error();
        conf_result r = op->run(c);
        if (r == CONF_SKIP) {
            printf("SKIP %s: %s\n", shown, conf_case_message(c));
            o = R_SKIP;
        } else if (r != CONF_OK) {
            printf("FAIL %s: %s\n", shown, conf_case_message(c));
            o = R_FAIL;
        } else if (!conf_case_check(c, err, sizeof err, note, sizeof note)) {
            printf("FAIL %s: %s\n", shown, err);
            o = R_FAIL;
        } else if (note[0]) {
            printf("PASS %s (debug outputs not exposed: %s)\n", shown, note);
            o = R_PASS;
        } else {
            printf("PASS %s\n", shown);
            o = R_PASS;
        }
    }
    fflush(stdout);
    conf_case_free(c);
    return o;
}

int main(int argc, char **argv)
{
    bool strict = argc > 1 && strcmp(argv[1], "--strict") == 0;
    if (strict) {
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(stderr, "usage: %s [--strict] DIR...\n"
                        "Run every case of the conformance set(s) DIR (format: "
                        "../shared/conformance/README.md).\n", argv[0]);
        return 2;
    }
    case_list l = {0};
    for (int i = 1; i < argc; i++) {
        if (!is_dir(argv[i])) {
            fprintf(stderr, "%s: %s: not a directory\n", argv[0], argv[i]);
            return 2;
        }
        /* DIR/<category>/<case>: two levels below a set's root. */
        collect(argv[i], "", 2, argc > 2, &l);
    }
    if (l.n == 0)
        fprintf(stderr, "%s: no case.json found under the given folder(s)\n", argv[0]);
    size_t passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < l.n; i++) {
        switch (run_case(l.dirs[i], l.shown[i])) {
        case R_PASS: passed++; break;
        case R_FAIL: failed++; break;
        case R_SKIP: skipped++; break;
        }
        free(l.dirs[i]);
        free(l.shown[i]);
    }
    free(l.dirs);
    free(l.shown);
    printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    return failed || (strict && skipped) ? 1 : 0;
}
