/*
 * json.c - the strict JSON reader and the small writer of json.h.
 *
 * The reader is a recursive-descent parser over a length-bounded buffer:
 * it never reads past text + n and never needs a terminating NUL. Depth is
 * bounded by the caller (so is the recursion), every string and number it
 * stores is at most n bytes, and duplicate keys are found by sorting the
 * keys of each object (n log n, so a header of many keys cannot be made to
 * cost quadratic time).
 */
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const unsigned char *s;
    size_t n, pos;
    int max_depth;
} parser;

static vn_status fail(const parser *p, const char *what)
{
    if (p->pos >= p->n)
        return vn__error(VN_ERR_FORMAT, "%s at the end of the text (byte %zu)", what, p->pos);
    return vn__error(VN_ERR_FORMAT, "%s at byte %zu", what, p->pos);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->n) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static bool literal(parser *p, const char *word)
{
    size_t len = strlen(word);
    if (p->n - p->pos < len || memcmp(p->s + p->pos, word, len) != 0)
        return false;
    p->pos += len;
    return true;
}

static vn__json *new_node(vn__json_type type)
{
    vn__json *j = vn__calloc(1, sizeof *j);
    if (j)
        j->type = type;
    else
        vn__error(VN_ERR_NOMEM, "out of memory reading JSON");
    return j;
}

void vn__json_free(vn__json *j)
{
    while (j) {
        vn__json *next = j->next;
        vn__json_free(j->child);   /* depth is bounded by the parse limit */
        vn__free(j->str);
        vn__free(j->key);
        vn__free(j);
        j = next;
    }
}

/* ---- strings ---------------------------------------------------------------- */

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p->pos (after "\u"). */
static bool read_hex4(parser *p, uint32_t *out)
{
    if (p->n - p->pos < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p->s[p->pos + i]);
        if (d < 0)
            return false;
        v = v << 4 | (uint32_t)d;
    }
    p->pos += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s[0..avail) (not ASCII), 0 when it
 * is not valid (overlong, surrogate, above U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t min, cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A string at p->pos (the opening quote); *out is vn__malloc'ed. */
static vn_status parse_string(parser *p, char **out, size_t *out_len)
{
    p->pos++; /* '"' */
    /* The decoded text is never longer than the escaped text: find the end
     * first to size the buffer. */
    size_t end = p->pos;
    while (end < p->n && p->s[end] != '"') {
        if (p->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= p->n) {
        p->pos = p->n;
        return fail(p, "unterminated string");
    }
    char *buf = vn__malloc(end - p->pos + 1);
    if (!buf)
        return vn__error(VN_ERR_NOMEM, "out of memory reading JSON");
    size_t len = 0;
    while (p->s[p->pos] != '"') {
        unsigned char c = p->s[p->pos];
        if (c < 0x20) {
            vn__free(buf);
            return fail(p, "control character in a string");
        }
        if (c >= 0x80) {
            size_t l = utf8_len(p->s + p->pos, p->n - p->pos);
            if (l == 0) {
                vn__free(buf);
                return fail(p, "invalid UTF-8 in a string");
            }
            memcpy(buf + len, p->s + p->pos, l);
            len += l;
            p->pos += l;
            continue;
        }
        if (c != '\\') {
            buf[len++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        unsigned char e = p->s[p->pos++];
        switch (e) {
        case '"': buf[len++] = '"'; break;
        case '\\': buf[len++] = '\\'; break;
        case '/': buf[len++] = '/'; break;
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'n': buf[len++] = '\n'; break;
        case 'r': buf[len++] = '\r'; break;
        case 't': buf[len++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (!read_hex4(p, &cp)) {
                vn__free(buf);
                return fail(p, "bad \\u escape");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (!literal(p, "\\u") || !read_hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    vn__free(buf);
                    return fail(p, "unpaired surrogate in a \\u escape");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                vn__free(buf);
                return fail(p, "unpaired surrogate in a \\u escape");
            } else if (cp == 0) {
                vn__free(buf);
                return fail(p, "\\u0000 in a string");
            }
            /* 6 or 12 escaped bytes give at most 4 decoded ones */
            len += put_utf8(buf + len, cp);
            break;
        }
        default:
            p->pos--;
            vn__free(buf);
            return fail(p, "unknown escape in a string");
        }
    }
    p->pos++; /* closing quote */
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return VN_OK;
}

/* ---- numbers ---------------------------------------------------------------- */

static bool is_digit(const parser *p)
{
    return p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static vn_status parse_number(parser *p, vn__json *j)
{
    size_t start = p->pos;
    bool integer = true, negative = false;
    if (p->s[p->pos] == '-') {
        negative = true;
        p->pos++;
    }
    if (!is_digit(p))
        return fail(p, "malformed number");
    if (p->s[p->pos] == '0') {
        p->pos++;
        if (is_digit(p))
            return fail(p, "number with a leading zero");
    } else {
        while (is_digit(p))
            p->pos++;
    }
    if (p->pos < p->n && p->s[p->pos] == '.') {
        integer = false;
        p->pos++;
        if (!is_digit(p))
            return fail(p, "malformed number");
        while (is_digit(p))
            p->pos++;
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integer = false;
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        if (!is_digit(p))
            return fail(p, "malformed number");
        while (is_digit(p))
            p->pos++;
    }
    size_t len = p->pos - start;
    j->str = vn__malloc(len + 1);
    if (!j->str)
        return vn__error(VN_ERR_NOMEM, "out of memory reading JSON");
    memcpy(j->str, p->s + start, len);
    j->str[len] = '\0';
    j->len = len;
    if (integer && !negative) {
        uint64_t v = 0;
        bool ok = true;
        for (size_t i = 0; i < len && ok; i++) {
            unsigned d = (unsigned)(j->str[i] - '0');
            ok = !__builtin_mul_overflow(v, 10u, &v) && !__builtin_add_overflow(v, d, &v);
        }
        j->is_uint = ok;
        j->uint = ok ? v : 0;
    }
    return VN_OK;
}

/* ---- values ----------------------------------------------------------------- */

static vn_status parse_value(parser *p, int depth, vn__json **out);

static int cmp_keys(const void *a, const void *b)
{
    const vn__json *x = *(const vn__json *const *)a, *y = *(const vn__json *const *)b;
    size_t n = VN_MIN(x->len, y->len);
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Refuse an object whose keys repeat. The key lengths are in ->len of a
 * scratch copy: members keep their own len (of their value). */
static vn_status check_duplicates(parser *p, const vn__json *obj, size_t obj_pos)
{
    if (obj->count < 2)
        return VN_OK;
    vn__json *keys = vn__calloc(obj->count, sizeof *keys);
    vn__json **order = vn__calloc(obj->count, sizeof *order);
    if (!keys || !order) {
        vn__free(keys);
        vn__free(order);
        return vn__error(VN_ERR_NOMEM, "out of memory reading JSON");
    }
    size_t i = 0;
    for (const vn__json *c = obj->child; c; c = c->next, i++) {
        keys[i].key = c->key;
        keys[i].len = strlen(c->key);
        order[i] = &keys[i];
    }
    qsort(order, obj->count, sizeof *order, cmp_keys);
    const char *dup = NULL;
    for (i = 1; i < obj->count && !dup; i++)
        if (cmp_keys(&order[i - 1], &order[i]) == 0)
            dup = order[i]->key;
    vn_status s = VN_OK;
    if (dup)
        s = vn__error(VN_ERR_FORMAT, "key \"%.80s\" appears twice in the object at byte %zu",
                      dup, obj_pos);
    vn__free(keys);
    vn__free(order);
    (void)p;
    return s;
}

static vn_status parse_container(parser *p, int depth, vn__json *j)
{
    bool object = j->type == VN__JSON_OBJECT;
    char close = object ? '}' : ']';
    size_t start = p->pos;
    if (depth >= p->max_depth)
        return fail(p, "nested too deeply");
    p->pos++; /* '{' or '[' */
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == (unsigned char)close) {
        p->pos++;
        return VN_OK;
    }
    vn__json **tail = &j->child;
    for (;;) {
        char *key = NULL;
        size_t key_len = 0;
        if (object) {
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"')
                return fail(p, "expected a string key");
            VN_TRY(parse_string(p, &key, &key_len));
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                vn__free(key);
                return fail(p, "expected ':' after a key");
            }
            p->pos++;
        }
        vn__json *child = NULL;
        vn_status s = parse_value(p, depth + 1, &child);
        if (s != VN_OK) {
            vn__free(key);
            return s;
        }
        child->key = key;
        *tail = child;
        tail = &child->next;
        j->count++;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == (unsigned char)close) {
            p->pos++;
            break;
        }
        return fail(p, object ? "expected ',' or '}' in an object"
                              : "expected ',' or ']' in an array");
    }
    return object ? check_duplicates(p, j, start) : VN_OK;
}

static vn_status parse_value(parser *p, int depth, vn__json **out)
{
    skip_ws(p);
    if (p->pos >= p->n)
        return fail(p, "expected a value");
    unsigned char c = p->s[p->pos];
    vn__json_type type;
    if (c == '{')
        type = VN__JSON_OBJECT;
    else if (c == '[')
        type = VN__JSON_ARRAY;
    else if (c == '"')
        type = VN__JSON_STRING;
    else if (c == '-' || (c >= '0' && c <= '9'))
        type = VN__JSON_NUMBER;
    else if (c == 't' || c == 'f')
        type = VN__JSON_BOOL;
    else if (c == 'n')
        type = VN__JSON_NULL;
    else
        return fail(p, "unexpected character");

    vn__json *j = new_node(type);
    if (!j)
        return VN_ERR_NOMEM;
    vn_status s = VN_OK;
    switch (type) {
    case VN__JSON_OBJECT:
    case VN__JSON_ARRAY:
        s = parse_container(p, depth, j);
        break;
    case VN__JSON_STRING:
        s = parse_string(p, &j->str, &j->len);
        break;
    case VN__JSON_NUMBER:
        s = parse_number(p, j);
        break;
    case VN__JSON_BOOL:
        if (literal(p, "true"))
            j->boolean = true;
        else if (!literal(p, "false"))
            s = fail(p, "unexpected word");
        break;
    case VN__JSON_NULL:
        if (!literal(p, "null"))
            s = fail(p, "unexpected word");
        break;
    }
    if (s != VN_OK) {
        vn__json_free(j);
        return s;
    }
    *out = j;
    return VN_OK;
}

vn_status vn__json_parse(const char *text, size_t n, int max_depth, vn__json **out)
{
    if (!out || (!text && n))
        return vn__error(VN_ERR_INVALID_ARG, "vn__json_parse: NULL argument");
    *out = NULL;
    parser p = {(const unsigned char *)text, n, 0, max_depth};
    vn__json *j = NULL;
    VN_TRY(parse_value(&p, 0, &j));
    skip_ws(&p);
    if (p.pos != p.n) {
        vn__json_free(j);
        return fail(&p, "text after the value");
    }
    *out = j;
    return VN_OK;
}

const vn__json *vn__json_get(const vn__json *obj, const char *key)
{
    if (!obj || obj->type != VN__JSON_OBJECT)
        return NULL;
    for (const vn__json *c = obj->child; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

bool vn__utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = utf8_len(u + i, n - i);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

const char *vn__json_type_name(vn__json_type t)
{
    switch (t) {
    case VN__JSON_NULL: return "null";
    case VN__JSON_BOOL: return "boolean";
    case VN__JSON_NUMBER: return "number";
    case VN__JSON_STRING: return "string";
    case VN__JSON_ARRAY: return "array";
    case VN__JSON_OBJECT: return "object";
    }
    return "?";
}

/* ---- writer ----------------------------------------------------------------- */

void vn__json_raw(vn__json_writer *w, const char *s, size_t n)
{
    if (w->failed)
        return;
    size_t need;
    if (!vn__add_size(w->len, n, &need)) {
        w->failed = true;
        return;
    }
    if (need > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < need) {
            if (cap > SIZE_MAX / 2) {
                cap = need;
                break;
            }
            cap *= 2;
        }
        char *np = vn__realloc(w->p, cap);
        if (!np) {
            w->failed = true;
            return;
        }
        w->p = np;
        w->cap = cap;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

void vn__json_string(vn__json_writer *w, const char *s)
{
    vn__json_raw(w, "\"", 1);
    const char *run = s;
    for (const char *c = s;; c++) {
        unsigned char ch = (unsigned char)*c;
        if (ch != '\0' && ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        vn__json_raw(w, run, (size_t)(c - run));
        if (ch == '\0')
            break;
        char esc[8];
        switch (ch) {
        case '"': memcpy(esc, "\\\"", 3); break;
        case '\\': memcpy(esc, "\\\\", 3); break;
        case '\n': memcpy(esc, "\\n", 3); break;
        case '\r': memcpy(esc, "\\r", 3); break;
        case '\t': memcpy(esc, "\\t", 3); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", ch); break;
        }
        vn__json_raw(w, esc, strlen(esc));
        run = c + 1;
    }
    vn__json_raw(w, "\"", 1);
}

void vn__json_uint(vn__json_writer *w, uint64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    vn__json_raw(w, buf, (size_t)n);
}

void vn__json_writer_free(vn__json_writer *w)
{
    vn__free(w->p);
    w->p = NULL;
    w->len = w->cap = 0;
    w->failed = false;
}
