/*
 * codec_registry.c - the table of codecs (DESIGN §5): registration, removal,
 * enumeration, and the look-ups by content, name and extension.
 *
 * The table is a fixed array guarded by one mutex: registration is rare, the
 * look-ups copy what they need under the lock and run every codec callback
 * (probe included) outside it, so a callback may itself call into the
 * registry without deadlock. The built-in codecs are added lazily, once, on
 * the first call of any registry function (pthread_once), so a program that
 * never touches images pays nothing and needs no init call.
 *
 * vn_codec_register copies the caller's struct honouring its `size`: the
 * fields up to `decode` are required; those past `size` (encode, user_data
 * for the smallest struct, anything appended in later versions) read as
 * zero. A fixed capacity keeps the registry free of allocations, so nothing
 * is left to free at exit.
 */
#include "image/codec_internal.h"

#include <pthread.h>
#include <string.h>

#define REGISTRY_CAPACITY 64
/* vn_image_info.codec holds the name with its NUL. */
#define NAME_MAX_LEN (sizeof(((vn_image_info *)0)->codec) - 1)

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static vn_codec g_codecs[REGISTRY_CAPACITY];
static int g_count;

/* Called with g_lock held. */
static vn_status add_locked(const vn_codec *codec)
{
    for (int i = 0; i < g_count; i++)
        if (strcmp(g_codecs[i].name, codec->name) == 0)
            return vn__error(VN_ERR_INVALID_ARG, "vn_codec_register: a codec named '%s' is already registered",
                             codec->name);
    if (g_count == REGISTRY_CAPACITY)
        return vn__error(VN_ERR_LIMIT, "vn_codec_register: the registry is full (%d codecs)",
                         REGISTRY_CAPACITY);
    vn_codec c;
    memset(&c, 0, sizeof c);
    memcpy(&c, codec, VN_MIN(codec->size, sizeof c));
    c.size = sizeof c;
    g_codecs[g_count++] = c;
    return VN_OK;
}

static void register_builtins(void)
{
    pthread_mutex_lock(&g_lock);
#if VN_HAVE_PNG
    add_locked(&vn__codec_png);
#endif
#if VN_HAVE_JPEG
    add_locked(&vn__codec_jpeg);
#endif
    add_locked(&vn__codec_pnm);
    pthread_mutex_unlock(&g_lock);
}

static void ensure_builtins(void)
{
    pthread_once(&g_once, register_builtins);
}

VN_API vn_status vn_codec_register(const vn_codec *codec)
{
    if (!codec)
        return vn__error(VN_ERR_INVALID_ARG, "vn_codec_register: codec is NULL");
    if (codec->size < VN__CODEC_MIN_SIZE)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_codec_register: size is %zu, expected sizeof(vn_codec) (%zu)",
                         codec->size, sizeof(vn_codec));
    if (!codec->name || !codec->name[0] || strlen(codec->name) > NAME_MAX_LEN)
        return vn__error(VN_ERR_INVALID_ARG, "vn_codec_register: the name must have 1..%zu characters",
                         NAME_MAX_LEN);
    if (!codec->probe || !codec->info || !codec->decode)
        return vn__error(VN_ERR_INVALID_ARG, "vn_codec_register: codec '%s' lacks probe, info or decode",
                         codec->name);
    ensure_builtins();
    pthread_mutex_lock(&g_lock);
    vn_status s = add_locked(codec);
    pthread_mutex_unlock(&g_lock);
    return s;
}

VN_API vn_status vn_codec_unregister(const char *name)
{
    if (!name)
        return vn__error(VN_ERR_INVALID_ARG, "vn_codec_unregister: name is NULL");
    ensure_builtins();
    pthread_mutex_lock(&g_lock);
    for (int i = 0; i < g_count; i++) {
        if (strcmp(g_codecs[i].name, name) == 0) {
            /* Keep the order: it breaks ties between equal probe scores. */
            memmove(&g_codecs[i], &g_codecs[i + 1], (size_t)(g_count - i - 1) * sizeof g_codecs[0]);
            g_count--;
            pthread_mutex_unlock(&g_lock);
            return VN_OK;
        }
    }
    pthread_mutex_unlock(&g_lock);
    return vn__error(VN_ERR_INVALID_ARG, "vn_codec_unregister: no codec named '%s'", name);
}

VN_API int vn_codec_count(void)
{
    ensure_builtins();
    pthread_mutex_lock(&g_lock);
    int n = g_count;
    pthread_mutex_unlock(&g_lock);
    return n;
}

/* The name pointer is the one given at registration: it stays valid as long
 * as the registering program keeps it alive (the public contract). */
VN_API const char *vn_codec_name(int i)
{
    ensure_builtins();
    pthread_mutex_lock(&g_lock);
    const char *name = (i >= 0 && i < g_count) ? g_codecs[i].name : NULL;
    pthread_mutex_unlock(&g_lock);
    return name;
}

/* A copy of the table, so that callbacks run without the lock. */
static int snapshot(vn_codec *copy)
{
    ensure_builtins();
    pthread_mutex_lock(&g_lock);
    int n = g_count;
    memcpy(copy, g_codecs, (size_t)n * sizeof *copy);
    pthread_mutex_unlock(&g_lock);
    return n;
}

vn_status vn__codec_by_content(const uint8_t *data, size_t n, vn_codec *out)
{
    if (n == 0)
        return vn__error(VN_ERR_FORMAT, "image: the input is empty");
    vn_codec all[REGISTRY_CAPACITY];
    int count = snapshot(all);
    int best = -1, best_score = 0;
    for (int i = 0; i < count; i++) {
        int score = all[i].probe(data, n, all[i].user_data);
        if (score > best_score) {
            best = i;
            best_score = score;
        }
    }
    if (best < 0) {
        /* Name the first bytes: the most useful clue for a foreign file. */
        char hex[3 * 8 + 1] = "";
        size_t k = VN_MIN(n, (size_t)8);
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < k; i++) {
            hex[3 * i] = digits[data[i] >> 4];
            hex[3 * i + 1] = digits[data[i] & 15];
            hex[3 * i + 2] = i + 1 < k ? ' ' : '\0';
        }
        return vn__error(VN_ERR_FORMAT, "image: not a format any codec knows (first bytes %s)", hex);
    }
    *out = all[best];
    return VN_OK;
}

vn_status vn__codec_by_name(const char *name, vn_codec *out)
{
    vn_codec all[REGISTRY_CAPACITY];
    int count = snapshot(all);
    for (int i = 0; i < count; i++) {
        if (strcmp(all[i].name, name) == 0) {
            *out = all[i];
            return VN_OK;
        }
    }
    return vn__error(VN_ERR_UNSUPPORTED, "image: no codec named '%s'", name);
}

/* Does the comma-separated list hold ext as a whole item? */
static bool list_has(const char *list, const char *ext)
{
    size_t len = strlen(ext);
    if (!list || len == 0)
        return false;
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t item = end ? (size_t)(end - p) : strlen(p);
        if (item == len && memcmp(p, ext, len) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

vn_status vn__codec_by_extension(const char *ext, vn_codec *out)
{
    vn_codec all[REGISTRY_CAPACITY];
    int count = snapshot(all);
    bool known = false;
    for (int i = 0; i < count; i++) {
        if (!list_has(all[i].extensions, ext))
            continue;
        known = true;
        if (all[i].encode) {
            *out = all[i];
            return VN_OK;
        }
    }
    if (!ext[0])
        return vn__error(VN_ERR_UNSUPPORTED, "image: the file name has no extension to choose a codec by");
    if (known)
        return vn__error(VN_ERR_UNSUPPORTED, "image: no codec can write '.%s' files", ext);
    return vn__error(VN_ERR_UNSUPPORTED, "image: no codec knows the extension '.%s'", ext);
}
