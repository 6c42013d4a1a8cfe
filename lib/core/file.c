/*
 * file.c - whole-file reads with the size limit checked first, and atomic
 * writes (temporary file in the same folder, fsync, rename) so that a crash
 * or a failure never leaves a half-written file behind.
 */
#include "vn_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

vn_status vn__read_file(const char *path, uint8_t **bytes, size_t *n)
{
    if (!path || !bytes || !n)
        return vn__error(VN_ERR_INVALID_ARG, "read: NULL argument");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vn__error(VN_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vn__error(VN_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return vn__error(VN_ERR_IO, "%s: is a directory", path);
    }
    uint64_t max = vn__limit(VN_LIMIT_MAX_FILE_BYTES);
    if (st.st_size < 0 || (uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX - 1) {
        close(fd);
        return vn__error(VN_ERR_LIMIT, "%s: file is %lld bytes, over the limit of %llu (vn_set_limit)",
                         path, (long long)st.st_size, (unsigned long long)max);
    }
    /* Read until EOF rather than trusting st_size: pipes and /proc files
     * report 0, and a file may shrink or grow while it is read. */
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    uint8_t *buf = vn__malloc(cap);
    if (!buf) {
        close(fd);
        return vn__error(VN_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, cap);
    }
    size_t len = 0;
    for (;;) {
        if (len == cap) {
            /* cap never exceeds max + 1, so this read can tell "over". */
            size_t ncap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
            if ((uint64_t)ncap > max + 1)
                ncap = (size_t)(max + 1);
            if (ncap <= cap) {
                vn__free(buf);
                close(fd);
                return vn__error(VN_ERR_LIMIT, "%s: file is over the limit of %llu bytes", path,
                                 (unsigned long long)max);
            }
            uint8_t *nb = vn__realloc(buf, ncap);
            if (!nb) {
                vn__free(buf);
                close(fd);
                return vn__error(VN_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            vn__free(buf);
            close(fd);
            return vn__error(VN_ERR_IO, "%s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max) {
            vn__free(buf);
            close(fd);
            return vn__error(VN_ERR_LIMIT, "%s: file is over the limit of %llu bytes", path,
                             (unsigned long long)max);
        }
    }
    close(fd);
    *bytes = buf;
    *n = len;
    return VN_OK;
}

vn_status vn__write_file_atomic(const char *path, const void *bytes, size_t n)
{
    if (!path || (!bytes && n))
        return vn__error(VN_ERR_INVALID_ARG, "write: NULL argument");
    size_t plen = strlen(path);
    char *tmp = vn__malloc(plen + 16);
    if (!tmp)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        vn__free(tmp);
        return vn__error(VN_ERR_IO, "%s: cannot create a temporary file: %s", path, strerror(e));
    }
    const uint8_t *p = bytes;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            unlink(tmp);
            vn__free(tmp);
            return vn__error(VN_ERR_IO, "%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    /* mkstemp makes the file 0600; give it the usual 0666 & ~umask. */
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(fd, 0666 & ~um);
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        vn__free(tmp);
        return vn__error(VN_ERR_IO, "%s: flush failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        vn__free(tmp);
        return vn__error(VN_ERR_IO, "%s: rename failed: %s", path, strerror(e));
    }
    vn__free(tmp);
    return VN_OK;
}

void vn__path_extension(const char *path, char *buf, size_t buf_size)
{
    buf[0] = '\0';
    if (!path || buf_size == 0)
        return;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return;
    size_t i = 0;
    for (const char *c = dot + 1; *c && i + 1 < buf_size; c++)
        buf[i++] = (char)((*c >= 'A' && *c <= 'Z') ? *c - 'A' + 'a' : *c);
    buf[i] = '\0';
}
