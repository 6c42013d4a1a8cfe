/*
 * json.h - a small strict JSON reader and writer for the library's own file
 * formats (the safetensors header of model files). Private: not part of
 * the API.
 *
 * The reader accepts exactly RFC 8259 JSON: one value with optional
 * whitespace around it; strings of valid UTF-8 without raw control
 * characters; escapes \" \\ \/ \b \f \n \r \t and \uXXXX (surrogate pairs
 * joined, lone surrogates refused); numbers in JSON's grammar. It refuses
 * what lenient readers let through: duplicate keys in an object, "\u0000"
 * (so every string is a C string), nesting deeper than the caller's limit,
 * trailing commas, comments, NaN. Every failure is VN_ERR_FORMAT with a
 * message "<reason> at byte K" and no prefix (the caller adds what text it
 * was), or VN_ERR_NOMEM when memory runs out.
 *
 * Numbers are kept as text checked against the grammar; a non-negative
 * integer that fits 64 bits is also given as `uint` (the sizes and offsets
 * of file formats). No floating-point conversion is done, so the reader
 * does not depend on the locale.
 *
 * The writer appends to a growable buffer and remembers a failed
 * allocation instead of reporting each one: check `failed` at the end.
 */
#ifndef VN_CORE_JSON_H
#define VN_CORE_JSON_H

#include "core/vn_internal.h"

typedef enum vn__json_type {
    VN__JSON_NULL,
    VN__JSON_BOOL,
    VN__JSON_NUMBER,
    VN__JSON_STRING,
    VN__JSON_ARRAY,
    VN__JSON_OBJECT
} vn__json_type;

typedef struct vn__json vn__json;
struct vn__json {
    vn__json_type type;
    bool boolean;       /* BOOL */
    bool is_uint;       /* NUMBER: an integer in 0 .. UINT64_MAX (no '-', '.', 'e') */
    uint64_t uint;      /* its value when is_uint */
    char *str;          /* STRING: decoded UTF-8, NUL-terminated; NUMBER: the text */
    size_t len;         /* bytes of str */
    char *key;          /* member of an OBJECT: its key (decoded, NUL-terminated) */
    size_t count;       /* ARRAY / OBJECT: number of children */
    vn__json *child;    /* ARRAY / OBJECT: first child, in document order */
    vn__json *next;     /* next sibling */
};

/* Parse the n bytes at text (no NUL needed) into a tree (*out, freed with
 * vn__json_free). Nesting deeper than max_depth arrays / objects is
 * refused. */
vn_status vn__json_parse(const char *text, size_t n, int max_depth, vn__json **out);
void vn__json_free(vn__json *j);

/* The member of object obj called key, NULL when absent (or obj is not an
 * object). */
const vn__json *vn__json_get(const vn__json *obj, const char *key);

/* Is s[0..n) valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF)? */
bool vn__utf8_valid(const char *s, size_t n);

/* "string", "object", ... for messages. */
const char *vn__json_type_name(vn__json_type t);

/* ---- writer ------------------------------------------------------------ */

typedef struct vn__json_writer {
    char *p;            /* the text so far (not NUL-terminated), vn__malloc'ed */
    size_t len, cap;
    bool failed;        /* an allocation failed: the text is incomplete */
} vn__json_writer;

/* Append n bytes as they are. */
void vn__json_raw(vn__json_writer *w, const char *s, size_t n);
/* Append s (NUL-terminated UTF-8) as a quoted JSON string with the
 * escapes JSON needs (", \, control characters). */
void vn__json_string(vn__json_writer *w, const char *s);
/* Append an unsigned integer. */
void vn__json_uint(vn__json_writer *w, uint64_t v);
void vn__json_writer_free(vn__json_writer *w);

#endif /* VN_CORE_JSON_H */
