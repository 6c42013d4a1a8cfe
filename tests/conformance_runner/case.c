/*
 * case.c - a conformance case: case.json, its inputs (read on demand), the
 * outputs a run function produced, and the comparison with the references
 * under the README's pass rule:
 *
 *   every listed output has exactly the reference's shape and dtype, and
 *   every element satisfies |got - ref| <= atol + rtol * |ref| in double
 *   (NumPy isclose), with tolerance_per_output[file] when present, else
 *   tolerance. Outputs named in debug_outputs may be missing.
 */
#include "case.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct named {
    char *name;
    vn_tensor *t;
} named;

struct conf_case {
    char *dir;
    cJSON *json;
    cJSON *empty;          /* params when case.json has none */
    const cJSON *params;
    named *inputs;         /* one per listed input, loaded on demand */
    int ninputs;
    named *outputs;        /* produced by the run function */
    int noutputs, outputs_cap;
    char msg[1024];
};

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, 4096, f);
        len += r;
        if (r < 4096)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* ---- run-function side -------------------------------------------------- */

const cJSON *conf_params(const conf_case *c)
{
    return c->params;
}

static conf_result vmessage(conf_case *c, conf_result r, const char *fmt, va_list ap)
{
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    return r;
}

conf_result conf_fail(conf_case *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(c, CONF_ERROR, fmt, ap);
    va_end(ap);
    return CONF_ERROR;
}

conf_result conf_skip(conf_case *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(c, CONF_SKIP, fmt, ap);
    va_end(ap);
    return CONF_SKIP;
}

conf_result conf_fail_status(conf_case *c, const char *what, vn_status s)
{
    return conf_fail(c, "%s failed: %s: %s", what, vn_status_str(s), vn_last_error());
}

const vn_tensor *conf_input(conf_case *c, const char *name)
{
    for (int i = 0; i < c->ninputs; i++) {
        if (strcmp(c->inputs[i].name, name) != 0)
            continue;
        if (!c->inputs[i].t) {
            char *path = join(c->dir, name);
            vn_status s = path ? vn_tensor_load_npy(path, &c->inputs[i].t) : VN_ERR_NOMEM;
            free(path);
            if (s != VN_OK) {
                conf_fail_status(c, name, s);
                return NULL;
            }
        }
        return c->inputs[i].t;
    }
    conf_fail(c, "the case lists no input '%s'", name);
    return NULL;
}

const char *conf_input_name(const conf_case *c, int i)
{
    return i >= 0 && i < c->ninputs ? c->inputs[i].name : NULL;
}

const char *conf_output_name(const conf_case *c, int i)
{
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c->json, "outputs"), i);
    return e ? e->valuestring : NULL;
}

bool conf_wants_output(const conf_case *c, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c->json, "outputs")) if (strcmp(e->valuestring, name) == 0) return true;
    return false;
}

void conf_output(conf_case *c, const char *name, vn_tensor *t)
{
    if (!t)
        return;
    for (int i = 0; i < c->noutputs; i++)
        if (strcmp(c->outputs[i].name, name) == 0) {
            vn_tensor_destroy(c->outputs[i].t);
            c->outputs[i].t = t;
            return;
        }
    if (c->noutputs == c->outputs_cap) {
        int cap = c->outputs_cap ? 2 * c->outputs_cap : 8;
        named *n = realloc(c->outputs, (size_t)cap * sizeof *n);
        if (!n) {
            vn_tensor_destroy(t);
            return;
        }
        c->outputs = n;
        c->outputs_cap = cap;
    }
    c->outputs[c->noutputs].name = strdup(name);
    c->outputs[c->noutputs].t = t;
    c->noutputs++;
}

static const cJSON *param(conf_case *c, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->params, key);
    if (!v)
        conf_fail(c, "params lack '%s'", key);
    return v;
}

bool conf_param_has(const conf_case *c, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(c->params, key) != NULL;
}

bool conf_param_double(conf_case *c, const char *key, double *v)
{
    const cJSON *j = param(c, key);
    if (!j)
        return false;
    if (!cJSON_IsNumber(j)) {
        conf_fail(c, "param '%s' is not a number", key);
        return false;
    }
    *v = j->valuedouble;
    return true;
}

bool conf_param_string(conf_case *c, const char *key, const char **v)
{
    const cJSON *j = param(c, key);
    if (!j)
        return false;
    if (!cJSON_IsString(j)) {
        conf_fail(c, "param '%s' is not a string", key);
        return false;
    }
    *v = j->valuestring;
    return true;
}

bool conf_param_doubles(conf_case *c, const char *key, double *v, int n)
{
    const cJSON *j = param(c, key);
    if (!j)
        return false;
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != n) {
        conf_fail(c, "param '%s' is not an array of %d numbers", key, n);
        return false;
    }
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        if (!cJSON_IsNumber(e)) {
            conf_fail(c, "param '%s' holds a non-number", key);
            return false;
        }
        v[i++] = e->valuedouble;
    }
    return true;
}

bool conf_param_ints(conf_case *c, const char *key, int *v, int n)
{
    double d[16];
    if (n > 16 || !conf_param_doubles(c, key, d, n))
        return false;
    for (int i = 0; i < n; i++) {
        if (d[i] != floor(d[i]) || fabs(d[i]) > 1e9) {
            conf_fail(c, "param '%s' holds a non-integer", key);
            return false;
        }
        v[i] = (int)d[i];
    }
    return true;
}

/* ---- runner side --------------------------------------------------------- */

static bool string_list(const cJSON *j)
{
    if (!cJSON_IsArray(j))
        return false;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) if (!cJSON_IsString(e)) return false;
    return true;
}

conf_case *conf_case_load(const char *dir, char *err, size_t err_size)
{
    char *path = join(dir, "case.json");
    char *text = path ? read_text(path) : NULL;
    free(path);
    if (!text) {
        snprintf(err, err_size, "cannot read case.json");
        return NULL;
    }
    cJSON *json = cJSON_Parse(text);
    free(text);
    if (!json || !cJSON_IsObject(json)) {
        cJSON_Delete(json);
        snprintf(err, err_size, "case.json is not a JSON object");
        return NULL;
    }
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(json, "op");
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(json, "inputs");
    const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(json, "outputs");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(json, "params");
    if (!cJSON_IsString(op) || !string_list(inputs) || !string_list(outputs) ||
        (params && !cJSON_IsObject(params))) {
        cJSON_Delete(json);
        snprintf(err, err_size, "case.json lacks a string 'op', string lists 'inputs' / 'outputs', "
                                "or has non-object 'params'");
        return NULL;
    }
    conf_case *c = calloc(1, sizeof *c);
    c->dir = strdup(dir);
    c->json = json;
    if (!params)
        params = c->empty = cJSON_CreateObject();
    c->params = params;
    c->ninputs = cJSON_GetArraySize(inputs);
    c->inputs = calloc((size_t)c->ninputs + 1, sizeof *c->inputs);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, inputs) c->inputs[i++].name = strdup(e->valuestring);
    return c;
}

void conf_case_free(conf_case *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->ninputs; i++) {
        free(c->inputs[i].name);
        vn_tensor_destroy(c->inputs[i].t);
    }
    for (int i = 0; i < c->noutputs; i++) {
        free(c->outputs[i].name);
        vn_tensor_destroy(c->outputs[i].t);
    }
    free(c->inputs);
    free(c->outputs);
    cJSON_Delete(c->json);
    cJSON_Delete(c->empty);
    free(c->dir);
    free(c);
}

const char *conf_case_op(const conf_case *c)
{
    return cJSON_GetObjectItemCaseSensitive(c->json, "op")->valuestring;
}

const char *conf_case_message(const conf_case *c)
{
    return c->msg;
}

static double element(const vn_tensor *t, size_t i)
{
    const void *d = vn_tensor_data_const(t);
    switch (vn_tensor_dtype(t)) {
    case VN_F32: return ((const float *)d)[i];
    case VN_U8: return ((const uint8_t *)d)[i];
    case VN_I32: return ((const int32_t *)d)[i];
    }
    return NAN;
}

static void shape_text(const vn_tensor *t, char *buf, size_t n)
{
    size_t off = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < vn_tensor_ndim(t) && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, i ? ", %lld" : "%lld", (long long)vn_tensor_dim(t, i));
    if (off < n)
        snprintf(buf + off, n - off, "]");
}

static void index_text(const vn_tensor *t, size_t flat, char *buf, size_t n)
{
    int nd = vn_tensor_ndim(t);
    long long idx[VN_MAX_DIMS];
    for (int i = nd - 1; i >= 0; i--) {
        size_t d = (size_t)vn_tensor_dim(t, i);
        idx[i] = d ? (long long)(flat % d) : 0;
        flat = d ? flat / d : 0;
    }
    size_t off = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < nd && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, i ? ", %lld" : "%lld", idx[i]);
    if (off < n)
        snprintf(buf + off, n - off, "]");
}

static void tolerance_of(const cJSON *json, const char *name, double *rtol, double *atol)
{
    *rtol = 0;
    *atol = 0;
    const cJSON *tol = cJSON_GetObjectItemCaseSensitive(json, "tolerance");
    const cJSON *per = cJSON_GetObjectItemCaseSensitive(json, "tolerance_per_output");
    const cJSON *own = per ? cJSON_GetObjectItemCaseSensitive(per, name) : NULL;
    if (cJSON_IsObject(own))
        tol = own;
    if (!cJSON_IsObject(tol))
        return;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(tol, "rtol");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(tol, "atol");
    if (cJSON_IsNumber(r))
        *rtol = r->valuedouble;
    if (cJSON_IsNumber(a))
        *atol = a->valuedouble;
}

static bool is_debug(const cJSON *json, const char *name)
{
    const cJSON *dbg = cJSON_GetObjectItemCaseSensitive(json, "debug_outputs");
    const cJSON *e;
    if (!cJSON_IsArray(dbg))
        return false;
    cJSON_ArrayForEach(e, dbg) if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0) return true;
    return false;
}

/* Compare one output; true when it passes, else a message in msg. */
static bool check_output(conf_case *c, const char *name, const vn_tensor *got, char *msg, size_t n)
{
    char *path = join(c->dir, name);
    vn_tensor *ref = NULL;
    vn_status s = path ? vn_tensor_load_npy(path, &ref) : VN_ERR_NOMEM;
    free(path);
    if (s != VN_OK) {
        snprintf(msg, n, "%s: cannot read the reference: %s", name, vn_last_error());
        return false;
    }
    char gs[128], rs[128];
    shape_text(got, gs, sizeof gs);
    shape_text(ref, rs, sizeof rs);
    bool ok = true;
    if (strcmp(gs, rs) != 0) {
        snprintf(msg, n, "%s: shape %s, reference %s", name, gs, rs);
        ok = false;
    } else if (vn_tensor_dtype(got) != vn_tensor_dtype(ref)) {
        snprintf(msg, n, "%s: dtype %s, reference %s", name, vn_dtype_name(vn_tensor_dtype(got)),
                 vn_dtype_name(vn_tensor_dtype(ref)));
        ok = false;
    } else {
        double rtol, atol;
        tolerance_of(c->json, name, &rtol, &atol);
        size_t count = vn_tensor_numel(ref), bad = 0, worst_i = 0;
        double worst_excess = -1, worst_d = 0;
        for (size_t i = 0; i < count; i++) {
            double g = element(got, i), r = element(ref, i);
            double d = fabs(g - r), allowed = atol + rtol * fabs(r);
            if (d <= allowed)
                continue;
            bad++;
            double excess = isnan(d) ? INFINITY : d - allowed;
            if (excess > worst_excess) {
                worst_excess = excess;
                worst_i = i;
                worst_d = d;
            }
        }
        if (bad) {
            char is[128];
            index_text(ref, worst_i, is, sizeof is);
            snprintf(msg, n, "%s worst |got-ref| = %.9g at index %s (got %.9g, ref %.9g; tol atol %g + rtol %g*|ref|), "
                     "%zu of %zu elements out of tolerance",
                     name, worst_d, is, element(got, worst_i), element(ref, worst_i), atol, rtol, bad, count);
            ok = false;
        }
    }
    vn_tensor_destroy(ref);
    return ok;
}

bool conf_case_check(conf_case *c, char *msg, size_t msg_size, char *note, size_t note_size)
{
    const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(c->json, "outputs");
    const cJSON *e;
    size_t note_len = 0, msg_len = 0;
    note[0] = '\0';
    msg[0] = '\0';
    cJSON_ArrayForEach(e, outputs)
    {
        const char *name = e->valuestring;
        const vn_tensor *got = NULL;
        for (int i = 0; i < c->noutputs; i++)
            if (strcmp(c->outputs[i].name, name) == 0)
                got = c->outputs[i].t;
        char one[1024];
        if (!got) {
            if (is_debug(c->json, name)) {
                if (note_len < note_size)
                    note_len += (size_t)snprintf(note + note_len, note_size - note_len, "%s%s",
                                                 note_len ? ", " : "", name);
                continue;
            }
            snprintf(one, sizeof one, "%s: not produced", name);
        } else if (check_output(c, name, got, one, sizeof one)) {
            continue;
        }
        /* Every failing output is reported, separated by "; ". */
        if (msg_len < msg_size)
            msg_len += (size_t)snprintf(msg + msg_len, msg_size - msg_len, "%s%s", msg_len ? "; " : "", one);
    }
    return msg_len == 0;
}
