/*
 * weights.c - weights by name: vn_model_load_weights(_mem),
 * vn_model_save_weights and the vn_weights_report they fill.
 *
 * A weights file is a plain safetensors file, the format PyTorch users
 * exchange state dicts in: tensors under their state-dict names and no
 * graph. Loading matches the file's tensors to the model's parameters and
 * buffers by name, as torch's load_state_dict does, and sorts every name
 * into one of four lists: loaded, missing (the model has it, the file not),
 * unexpected (the file has it, the model not) and mismatched (both, with
 * different shapes). The policy says which of the last three lists may be
 * non-empty; the report hands all four back, also when the policy refuses,
 * so a caller sees at once why a checkpoint does not fit.
 *
 * Loading is all or nothing: the file is checked and matched completely
 * before the first value is written, so a refused or damaged file leaves
 * the model as it was. The file itself is read by the model-file reader
 * (lib/nn/model_file.c, vn__safetensors_visit), which checks every length
 * and offset; only the matching is done here.
 */
#include "core/vn_internal.h"
#include "nn/model_file.h"
#include <visionnet/transfer.h>

#include <stdio.h>
#include <string.h>

#define NLISTS 4

struct vn_weights_report {
    int count[NLISTS];
    int cap[NLISTS];
    char **names[NLISTS];
};

/* One tensor of the file (borrowed data inside the caller's buffer). */
typedef struct file_tensor {
    char *name;             /* owned */
    int ndim;
    int64_t shape[VN_MAX_DIMS];
    const uint8_t *data;
    bool matched;
} file_tensor;

typedef struct file_list {
    file_tensor *t;
    int n, cap;
} file_list;

static vn_status collect(void *user, const char *name, int ndim, const int64_t *shape,
                         const uint8_t *data)
{
    file_list *l = user;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 32;
        file_tensor *nt = vn__realloc(l->t, (size_t)cap * sizeof *nt);
        if (!nt)
            return vn__error(VN_ERR_NOMEM, "vn_model_load_weights: out of memory");
        l->t = nt;
        l->cap = cap;
    }
    file_tensor *t = &l->t[l->n];
    memset(t, 0, sizeof *t);
    if (!(t->name = vn__strdup(name)))
        return vn__error(VN_ERR_NOMEM, "vn_model_load_weights: out of memory");
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->data = data;
    l->n++;
    return VN_OK;
}

static void file_list_free(file_list *l)
{
    for (int i = 0; i < l->n; i++)
        vn__free(l->t[i].name);
    vn__free(l->t);
}

static vn_status report_add(vn_weights_report *r, vn_weights_list list, const char *name)
{
    if (r->count[list] == r->cap[list]) {
        int cap = r->cap[list] ? r->cap[list] * 2 : 16;
        char **nn = vn__realloc(r->names[list], (size_t)cap * sizeof *nn);
        if (!nn)
            return vn__error(VN_ERR_NOMEM, "vn_model_load_weights: out of memory");
        r->names[list] = nn;
        r->cap[list] = cap;
    }
    if (!(r->names[list][r->count[list]] = vn__strdup(name)))
        return vn__error(VN_ERR_NOMEM, "vn_model_load_weights: out of memory");
    r->count[list]++;
    return VN_OK;
}

static bool shape_equals(const file_tensor *t, const vn_tensor *v)
{
    if (t->ndim != vn_tensor_ndim(v))
        return false;
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] != vn_tensor_dim(v, d))
            return false;
    return true;
}

/* Sort every name into the report; match[i] = the file tensor for model
 * parameter i, or -1. */
static vn_status match(vn_model *m, file_list *f, vn_weights_report *r, int *match_of)
{
    for (int i = 0; i < vn_model_param_count(m); i++) {
        const char *name;
        vn_tensor *value;
        VN_TRY(vn_model_param(m, i, &name, &value, NULL, NULL));
        match_of[i] = -1;
        int j = 0;
        while (j < f->n && strcmp(f->t[j].name, name) != 0)
            j++;
        if (j == f->n) {
            VN_TRY(report_add(r, VN_WEIGHTS_MISSING, name));
            continue;
        }
        f->t[j].matched = true;
        if (!shape_equals(&f->t[j], value)) {
            VN_TRY(report_add(r, VN_WEIGHTS_MISMATCHED, name));
            continue;
        }
        VN_TRY(report_add(r, VN_WEIGHTS_LOADED, name));
        match_of[i] = j;
    }
    for (int j = 0; j < f->n; j++)
        if (!f->t[j].matched)
            VN_TRY(report_add(r, VN_WEIGHTS_UNEXPECTED, f->t[j].name));
    return VN_OK;
}

/* The policy's verdict on the report. */
static vn_status check_policy(const vn_weights_report *r, unsigned policy, const char *where)
{
    static const struct {
        vn_weights_list list;
        unsigned skip;
        const char *what, *flag;
    } rules[] = {
        {VN_WEIGHTS_MISSING, VN_WEIGHTS_SKIP_MISSING, "parameter(s) of the model missing from the file",
         "VN_WEIGHTS_SKIP_MISSING"},
        {VN_WEIGHTS_MISMATCHED, VN_WEIGHTS_SKIP_MISMATCH, "tensor(s) of another shape",
         "VN_WEIGHTS_SKIP_MISMATCH"},
        {VN_WEIGHTS_UNEXPECTED, VN_WEIGHTS_SKIP_UNEXPECTED, "tensor(s) that name no parameter",
         "VN_WEIGHTS_SKIP_UNEXPECTED"},
    };
    for (size_t k = 0; k < VN_ARRAY_LEN(rules); k++) {
        int n = r->count[rules[k].list];
        if (n > 0 && !(policy & rules[k].skip))
            return vn__error(VN_ERR_SHAPE,
                             "vn_model_load_weights: %s: %d %s, the first '%.80s' (nothing "
                             "loaded; %s allows it)",
                             where, n, rules[k].what, r->names[rules[k].list][0], rules[k].flag);
    }
    return VN_OK;
}

VN_API vn_status vn_model_load_weights_mem(vn_model *m, const void *data, size_t n,
                                           const char *name, unsigned policy,
                                           vn_weights_report **report)
{
    if (report)
        *report = NULL;
    if (!m || (!data && n))
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_load_weights: NULL argument");
    if (policy & ~VN_WEIGHTS_LENIENT)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_load_weights: unknown policy flags 0x%x",
                         policy & ~VN_WEIGHTS_LENIENT);
    char where[160];
    snprintf(where, sizeof where, "weights file '%.120s'", name ? name : "(memory)");
    file_list f = {0};
    vn_weights_report *r = vn__calloc(1, sizeof *r);
    int np = vn_model_param_count(m);
    int *match_of = vn__malloc((size_t)(np ? np : 1) * sizeof *match_of);
    vn_status s = r && match_of ? VN_OK
                                : vn__error(VN_ERR_NOMEM, "vn_model_load_weights: out of memory");
    if (s == VN_OK)
        s = vn__safetensors_visit(data, n, where, collect, &f);
    if (s == VN_OK)
        s = match(m, &f, r, match_of);
    bool policy_failed = false;
    if (s == VN_OK) {
        s = check_policy(r, policy, where);
        policy_failed = s != VN_OK;
    }
    for (int i = 0; s == VN_OK && i < np; i++) {
        vn_tensor *value;
        if (match_of[i] < 0 || vn_model_param(m, i, NULL, &value, NULL, NULL) != VN_OK)
            continue;
        vn__safetensors_read_f32(vn_tensor_data(value), f.t[match_of[i]].data,
                                 vn_tensor_numel(value));
    }
    file_list_free(&f);
    vn__free(match_of);
    if (report && (s == VN_OK || policy_failed))
        *report = r;
    else
        vn_weights_report_destroy(r);
    return s;
}

VN_API vn_status vn_model_load_weights(vn_model *m, const char *path, unsigned policy,
                                       vn_weights_report **report)
{
    if (report)
        *report = NULL;
    if (!m || !path)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_load_weights: NULL argument");
    uint8_t *bytes = NULL;
    size_t n = 0;
    VN_TRY(vn__read_file(path, &bytes, &n));
    vn_status s = vn_model_load_weights_mem(m, bytes, n, path, policy, report);
    vn__free(bytes);
    return s;
}

VN_API vn_status vn_model_save_weights(const vn_model *m, const char *path)
{
    if (!m || !path)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_save_weights: NULL argument");
    uint8_t *bytes = NULL;
    size_t n = 0;
    VN_TRY(vn__safetensors_save_mem(m, &bytes, &n));
    vn_status s = vn__write_file_atomic(path, bytes, n);
    vn__free(bytes);
    return s;
}

VN_API int vn_weights_report_count(const vn_weights_report *r, vn_weights_list list)
{
    if (!r || (int)list < 0 || (int)list >= NLISTS)
        return 0;
    return r->count[list];
}

VN_API const char *vn_weights_report_name(const vn_weights_report *r, vn_weights_list list, int i)
{
    if (!r || (int)list < 0 || (int)list >= NLISTS || i < 0 || i >= r->count[list])
        return NULL;
    return r->names[list][i];
}

VN_API void vn_weights_report_destroy(vn_weights_report *r)
{
    if (!r)
        return;
    for (int k = 0; k < NLISTS; k++) {
        for (int i = 0; i < r->count[k]; i++)
            vn__free(r->names[k][i]);
        vn__free(r->names[k]);
    }
    vn__free(r);
}
