/*
 * spec.c - the model spec text: parse (vn_model_from_spec) and print
 * (vn_model_to_spec).
 *
 *     # a comment, to the end of the line
 *     input shape=1,28,28 seed=7
 *     conv2d name=conv1 out=8 k=3 pad=1
 *     relu name=relu1
 *     add name=res inputs=relu1,conv1
 *
 * The first line that is not blank or a comment declares the input (its
 * per-sample shape, and optionally the seed the parameters are drawn
 * from). Every other line is `type key=value ...`, exactly the arguments of
 * vn_model_add(). Errors are prefixed "line N: " and quote the word at
 * fault. The printer writes every attribute explicitly, so parsing its
 * output builds the same graph (and, with the same seed, the same
 * initial weights).
 */
#include "nn/model.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX_LINE 4096

static vn_status line_error(vn_status s, int line)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "line %d", line);
    return vn__error_prefix(s, prefix);
}

/* The `input shape=... [seed=...]` line (text after the word "input"). */
static vn_status parse_input_line(const char *rest, vn_model **out)
{
    vn__attrs a;
    vn_status s = vn__attrs_parse(rest, "input", &a);
    int64_t shape[VN_MAX_DIMS];
    int ndim = 0;
    const char *seed_text = NULL;
    uint64_t seed = 0;
    if (s == VN_OK)
        s = vn__attr_int_list(&a, "shape", VN_MAX_DIMS - 1, 1, (int64_t)1 << 31, shape, &ndim);
    if (s == VN_OK && ndim == 0)
        s = vn__error(VN_ERR_FORMAT, "input: 'shape=' is required, e.g. 'input shape=1,28,28'");
    if (s == VN_OK && (seed_text = vn__attrs_get(&a, "seed")) != NULL) {
        char *end;
        errno = 0;
        seed = strtoull(seed_text, &end, 10);
        if (end == seed_text || *end || errno == ERANGE || seed_text[0] == '-')
            s = vn__error(VN_ERR_FORMAT, "input: 'seed=%s' is not an unsigned integer", seed_text);
    }
    if (s == VN_OK)
        s = vn__attrs_check_unused(&a);
    vn__attrs_free(&a);
    if (s == VN_OK)
        s = vn_model_create(shape, ndim, out);
    if (s == VN_OK)
        (*out)->seed = seed;
    return s;
}

VN_API vn_status vn_model_from_spec(const char *text, vn_model **out)
{
    if (!text || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_from_spec: NULL argument");
    *out = NULL;
    vn_model *m = NULL;
    int lineno = 0;
    const char *p = text;
    char line[SPEC_MAX_LINE];
    vn_status s = VN_OK;
    while (*p && s == VN_OK) {
        lineno++;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = nl ? nl + 1 : p + len;
        if (len >= sizeof line) {
            s = line_error(vn__error(VN_ERR_FORMAT, "longer than %d characters", SPEC_MAX_LINE - 1),
                           lineno);
            break;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = next;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *word = line;
        while (isspace((unsigned char)*word))
            word++;
        if (!*word)
            continue;
        char *rest = word;
        while (*rest && !isspace((unsigned char)*rest))
            rest++;
        if (*rest)
            *rest++ = '\0';
        if (!m) {
            if (strcmp(word, "input") != 0)
                s = vn__error(VN_ERR_FORMAT,
                              "expected 'input shape=...' before the first node, got '%s'", word);
            else
                s = parse_input_line(rest, &m);
        } else if (strcmp(word, "input") == 0) {
            s = vn__error(VN_ERR_FORMAT, "'input' may only be the first line");
        } else {
            s = vn_model_add(m, word, rest);
        }
        if (s != VN_OK)
            s = line_error(s, lineno);
    }
    if (s == VN_OK && !m)
        s = vn__error(VN_ERR_FORMAT, "vn_model_from_spec: no 'input shape=...' line");
    if (s != VN_OK) {
        vn_model_destroy(m);
        return s == VN_ERR_INVALID_ARG ? VN_ERR_FORMAT : s;
    }
    *out = m;
    return VN_OK;
}

VN_API vn_status vn_model_to_spec(const vn_model *m, char **text)
{
    if (!m || !text)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_to_spec: NULL argument");
    *text = NULL;
    vn__strbuf sb = {0};
    vn__strbuf_printf(&sb, "input shape=");
    for (int d = 0; d < m->in_shape.ndim; d++)
        vn__strbuf_printf(&sb, "%s%lld", d ? "," : "", (long long)m->in_shape.d[d]);
    vn__strbuf_printf(&sb, " seed=%llu\n", (unsigned long long)m->seed);
    for (int i = 0; i < m->nnodes; i++) {
        vn__strbuf_printf(&sb, "%s", m->nodes[i].layer->ops->type);
        vn__model_node_words(m, i, &sb);
        vn__strbuf_printf(&sb, "\n");
    }
    return vn__strbuf_take(&sb, text);
}
