/*
 * cache.c — the start-up cache's files (see cache_int.h for the contract).
 *
 * File layout (little-endian as written by this machine; a file from
 * another machine fails the magic or the hashes and is rebuilt):
 *   "PFCACHE1"        8 bytes, magic and format version
 *   key              32 bytes, SHA-256 of what the payload depends on
 *   payload length    8 bytes
 *   payload SHA-256  32 bytes
 *   payload
 */
#include "cache_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight/journal.h"

#define MAGIC "PFCACHE1"
#define HEADER (8 + 32 + 8 + 32)
#define MAX_PAYLOAD (64u << 20)

static _Thread_local enum pfi_cache_event last;

enum pfi_cache_event pfi_cache_last(void)
{
    return last;
}

static bool disabled(void)
{
    const char *off = getenv("PREFLIGHT_NO_CACHE");
    return off && *off && strcmp(off, "0") != 0;
}

/* The directory into buf: PREFLIGHT_CACHE_DIR, $XDG_CACHE_HOME/sms-preflight
 * or $HOME/.cache/sms-preflight (relative values are ignored, as the XDG
 * specification asks). */
static const char *dir(char *buf, size_t cap)
{
    const char *d = getenv("PREFLIGHT_CACHE_DIR"), *x = getenv("XDG_CACHE_HOME"),
               *h = getenv("HOME");
    int n;
    if (disabled())
        return NULL;
    if (d && d[0] == '/')
        n = snprintf(buf, cap, "%s", d);
    else if (x && x[0] == '/')
        n = snprintf(buf, cap, "%s/sms-preflight", x);
    else if (h && h[0] == '/')
        n = snprintf(buf, cap, "%s/.cache/sms-preflight", h);
    else
        return NULL;
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

bool pfi_cache_enabled(void)
{
    char d[4096];
    if (dir(d, sizeof d))
        return true;
    last = PFI_CACHE_OFF; /* what a read or write would have said */
    return false;
}

const char *pfi_cache_path(const char *name, char *buf, size_t cap)
{
    char d[4096];
    if (!dir(d, sizeof d))
        return NULL;
    int n = snprintf(buf, cap, "%s/%s", d, name);
    return n > 0 && (size_t)n < cap ? buf : NULL;
}

static bool read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t k = read(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

bool pfi_cache_read(const char *name, const uint8_t key[32], char **data, size_t *len)
{
    char path[4200];
    unsigned char h[HEADER];
    uint8_t sha[32];
    uint64_t plen;
    struct stat sb;
    char *buf = NULL;
    int fd = -1;
    bool ok = false;

    *data = NULL;
    *len = 0;
    last = PFI_CACHE_OFF;
    if (!pfi_cache_path(name, path, sizeof path))
        return false;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        last = PFI_CACHE_MISSING;
        return false;
    }
    last = PFI_CACHE_REJECTED;
    /* A regular file whose size is the header plus the length it states. */
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < HEADER ||
        !read_all(fd, h, HEADER) || memcmp(h, MAGIC, 8) != 0 || memcmp(h + 8, key, 32) != 0)
        goto out;
    memcpy(&plen, h + 40, 8);
    if (plen > MAX_PAYLOAD || (uint64_t)sb.st_size != HEADER + plen)
        goto out;
    if (!(buf = malloc((size_t)plen + 1)) || !read_all(fd, buf, (size_t)plen))
        goto out;
    pf_sha256(buf, (size_t)plen, sha);
    if (memcmp(sha, h + 48, 32) != 0)
        goto out;
    buf[plen] = '\0';
    *data = buf;
    *len = (size_t)plen;
    buf = NULL;
    ok = true;
    last = PFI_CACHE_HIT;
out:
    free(buf);
    close(fd);
    return ok;
}

bool pfi_cache_write(const char *name, const uint8_t key[32], const void *data, size_t len)
{
    char d[4096], tmp[4200], path[4200];
    unsigned char h[HEADER];
    uint64_t plen = len;
    int fd = -1;

    last = PFI_CACHE_OFF;
    if (!dir(d, sizeof d) || !pfi_cache_path(name, path, sizeof path))
        return false;
    last = PFI_CACHE_WRITE_FAILED;
    if (len > MAX_PAYLOAD)
        return false;
    /* The directory, and its parent for the XDG default (~/.cache may not
     * exist yet); private to the user. */
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", d);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        (void)mkdir(parent, 0700);
    }
    if (mkdir(d, 0700) != 0 && errno != EEXIST)
        return false;
    if (snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", d, name) >= (int)sizeof tmp)
        return false;
    if ((fd = mkstemp(tmp)) < 0)
        return false;
    memcpy(h, MAGIC, 8);
    memcpy(h + 8, key, 32);
    memcpy(h + 40, &plen, 8);
    pf_sha256(data, len, h + 48);
    bool ok = write_all(fd, h, HEADER) && write_all(fd, data, len);
    ok = close(fd) == 0 && ok;
    /* rename is atomic: readers see the old file or the whole new one. */
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    last = PFI_CACHE_WRITTEN;
    return true;
}
