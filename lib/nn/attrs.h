/*
 * attrs.h - the "key=value" attribute words shared by vn_model_add() and
 * the spec parser, and a growable string for printing them back.
 *
 * A layer's constructor reads its keys with the typed getters below; each
 * getter marks its key as used, and vn__attrs_check_unused() then refuses
 * any word nobody asked for, so a misspelt key is an error, never ignored.
 * Error messages start with the attribute set's `who` ("conv2d 'conv1'")
 * and quote the offending word ("attribute 'k=x': expected an integer").
 */
#ifndef VN_NN_ATTRS_H
#define VN_NN_ATTRS_H

#include "core/vn_internal.h"

#define VN__ATTRS_MAX 32

typedef struct vn__attr {
    char *word;     /* "k=3", as written */
    char *key;      /* "k" */
    char *value;    /* "3" */
    bool used;
} vn__attr;

typedef struct vn__attrs {
    int n;
    vn__attr items[VN__ATTRS_MAX];
    char who[96];   /* prefix of error messages: "conv2d 'conv1'" */
} vn__attrs;

/* Split text (NULL or "" for none) on blanks into key=value words. A word
 * without '=' or with an empty key or value, or a key given twice, is a
 * VN_ERR_FORMAT error naming the word. *a is usable (and must be freed)
 * whatever the result. */
vn_status vn__attrs_parse(const char *text, const char *who, vn__attrs *a);
void vn__attrs_free(vn__attrs *a);
/* Set the prefix of error messages. */
void vn__attrs_set_who(vn__attrs *a, const char *type, const char *name);

/* The value of key (marked used), or NULL when absent. */
const char *vn__attrs_get(vn__attrs *a, const char *key);

/* Typed getters: absent -> the default; present but malformed or outside
 * [lo, hi] -> VN_ERR_INVALID_ARG naming the word. `required` keys have no
 * default: absent is an error too. */
vn_status vn__attr_int(vn__attrs *a, const char *key, bool required, int64_t def, int64_t lo,
                       int64_t hi, int64_t *out);
/* "3" (both axes) or "3,5" (rows, columns). */
vn_status vn__attr_pair(vn__attrs *a, const char *key, bool required, int def, int lo, int hi,
                        int out[2]);
vn_status vn__attr_float(vn__attrs *a, const char *key, double def, double lo, double hi,
                         double *out);
/* 1 / 0 / true / false. */
vn_status vn__attr_bool(vn__attrs *a, const char *key, bool def, bool *out);
/* One of choices[0..n-1] (NULL-terminated list); *out is its index. */
vn_status vn__attr_choice(vn__attrs *a, const char *key, const char *const *choices, int def,
                          int *out);
/* A comma-separated list of up to max integers in [lo, hi]; *count gets
 * how many. */
vn_status vn__attr_int_list(vn__attrs *a, const char *key, int max, int64_t lo, int64_t hi,
                            int64_t *out, int *count);

/* VN_ERR_INVALID_ARG naming the first word no getter asked for. */
vn_status vn__attrs_check_unused(const vn__attrs *a);

/* ---- growable string (strbuf.c) ---------------------------------------- */

typedef struct vn__strbuf {
    char *p;        /* NUL-terminated, or NULL before the first append */
    size_t len, cap;
    bool failed;    /* an allocation failed: the text is incomplete */
} vn__strbuf;

void vn__strbuf_printf(vn__strbuf *sb, const char *fmt, ...) VN_PRINTF(2, 3);
/* " key=v" or " key=r,c" for a pair (one number when both are equal). */
void vn__strbuf_pair(vn__strbuf *sb, const char *key, const int v[2]);
/* " key=v" with the fewest digits that read back as the same float
 * (0.01f prints as 0.01, not 0.00999999978). */
void vn__strbuf_float(vn__strbuf *sb, const char *key, float v);
/* The same for a double (up to 17 digits). */
void vn__strbuf_double(vn__strbuf *sb, const char *key, double v);
/* The shortest text of v that reads back as the same float, into buf. */
const char *vn__format_float(char *buf, size_t n, float v);
/* Hand the text over (the caller vn__free's it); NULL and VN_ERR_NOMEM when
 * an append failed. The buffer is reset either way. */
vn_status vn__strbuf_take(vn__strbuf *sb, char **out);
void vn__strbuf_free(vn__strbuf *sb);

#endif /* VN_NN_ATTRS_H */
