/*
 * hashmemo.c — the SHA-256 of files read before, kept in the start-up
 * cache (cache_int.h, file "file-hashes"; issue 20).
 *
 * Several caches are keyed by the bytes of their source files (the country
 * table's snapshot, --version's counts), so every start read and hashed
 * those files only to find its key: 540 KB for the country table, every
 * rule pack and data file for --version. The memo maps a file's absolute
 * path to the stat signature it had when it was hashed — device, inode,
 * size, modification and change times to the nanosecond — and the hash.
 * A file whose signature is unchanged is taken to hold the same bytes
 * (what git's index and ccache's inode cache assume): stat instead of a
 * read. The path's directory is resolved with realpath, so the spellings
 * of one file share its entry. The change time cannot be set by a program, so a rewrite that
 * keeps the size and puts the old modification time back still changes
 * the signature; a file replaced by rename has another inode.
 *
 * The one hole is a write within the filesystem's timestamp tick after
 * the hash was taken: the times stay equal. So an entry is trusted only
 * when both times are at least WINDOW older than the moment the file was
 * hashed (the clock read before the first stat); any later write then
 * gets a later time. A file hashed sooner after a change is hashed again
 * next time, and not recorded (it could only be recorded as untrusted).
 * The file is also stat'ed again after hashing: a file that changed while
 * it was read is not recorded.
 *
 * The payload is read once per process (under a lock: loaders run in
 * threads) and refused as a whole when anything in it is not well formed.
 * New entries are written back by pfi_file_sha256_flush, which callers
 * call once they have hashed a set of files: a warm start writes nothing.
 * At most MAX_ENTRIES are kept: those used in this process first, then
 * the most recently recorded.
 *
 * Payload (numbers little-endian as this machine writes them, like the
 * cache file's header):
 *   u32 entry count
 *   per entry, sorted by path (strcmp), no two alike:
 *     u64 device, u64 inode, i64 size,
 *     i64 mtime s, i64 ctime s, i64 hashed-at s,
 *     u32 mtime ns, u32 ctime ns, u32 hashed-at ns, u32 path length,
 *     32 bytes SHA-256, the path (absolute, no NUL)
 */
/* realpath is XSI, beyond the project's _POSIX_C_SOURCE. */
#undef _POSIX_C_SOURCE
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cache_int.h"
#include "preflight/journal.h"

#define FILE_NAME "file-hashes"
#define KEY_TEXT "file-hashes 1\n" /* the payload's format; cache.c checks its bytes */
#define MAX_ENTRIES 256
#define WINDOW 2 /* seconds: more than any timestamp tick (FAT's is 2 s) */
#define FIXED 96 /* an entry's bytes before its path */
#define PATH_LIMIT 4095
#define TIME_LIMIT ((int64_t)1 << 62) /* keeps sums and differences in range */

struct stamp {
    int64_t s;
    uint32_t ns;
};

struct entry {
    char *path;
    uint64_t dev, ino;
    int64_t size;
    struct stamp mtime, ctime, hashed;
    uint8_t sha[32];
    bool used; /* looked up or recorded in this process */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *ents; /* sorted by path; under lock */
static size_t nents, capents;
static bool loaded, dirty;
static char dir_in[PATH_MAX], dir_out[PATH_MAX]; /* the last directory resolved */
static _Thread_local bool was_memo;

bool pfi_file_sha256_was_memo(void)
{
    return was_memo;
}

static void memo_key(uint8_t key[32])
{
    pf_sha256(KEY_TEXT, sizeof KEY_TEXT - 1, key);
}

/* a is at least WINDOW seconds before b. */
static bool window_before(struct stamp a, struct stamp b)
{
    return a.s + WINDOW < b.s || (a.s + WINDOW == b.s && a.ns <= b.ns);
}

static bool trusted(const struct entry *e)
{
    return window_before(e->mtime, e->hashed) && window_before(e->ctime, e->hashed);
}

static struct entry sig_of(const struct stat *sb)
{
    return (struct entry){.dev = (uint64_t)sb->st_dev,
                          .ino = (uint64_t)sb->st_ino,
                          .size = (int64_t)sb->st_size,
                          .mtime = {(int64_t)sb->st_mtim.tv_sec, (uint32_t)sb->st_mtim.tv_nsec},
                          .ctime = {(int64_t)sb->st_ctim.tv_sec, (uint32_t)sb->st_ctim.tv_nsec}};
}

static bool same_sig(const struct entry *a, const struct entry *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.s == b->mtime.s &&
           a->mtime.ns == b->mtime.ns && a->ctime.s == b->ctime.s && a->ctime.ns == b->ctime.ns;
}

static void free_entries(struct entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].path);
    free(e);
}

/* ---- the payload ---- */

struct in {
    const unsigned char *p;
    size_t left;
    bool bad;
};

static void take(struct in *in, void *dst, size_t n)
{
    if (in->bad || in->left < n) {
        in->bad = true;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, in->p, n);
    in->p += n;
    in->left -= n;
}

static bool stamp_ok(struct stamp t)
{
    return t.s > -TIME_LIMIT && t.s < TIME_LIMIT && t.ns < 1000000000u;
}

/* The entries of payload p into *out (sorted, as stored); false, and
 * nothing, when any part of it is not well formed. */
static bool parse(const char *p, size_t len, struct entry **out, size_t *n_out)
{
    struct in in = {(const unsigned char *)p, len, false};
    uint32_t n;
    struct entry *e = NULL;
    size_t n_ok = 0;

    *out = NULL;
    *n_out = 0;
    take(&in, &n, 4);
    /* Each entry takes FIXED bytes and a path of two or more. */
    if (in.bad || n > MAX_ENTRIES || n > in.left / (FIXED + 2))
        return false;
    if (n && !(e = calloc(n, sizeof *e)))
        return false;
    for (; n_ok < n; n_ok++) {
        struct entry *x = &e[n_ok];
        uint32_t plen;
        take(&in, &x->dev, 8);
        take(&in, &x->ino, 8);
        take(&in, &x->size, 8);
        take(&in, &x->mtime.s, 8);
        take(&in, &x->ctime.s, 8);
        take(&in, &x->hashed.s, 8);
        take(&in, &x->mtime.ns, 4);
        take(&in, &x->ctime.ns, 4);
        take(&in, &x->hashed.ns, 4);
        take(&in, &plen, 4);
        take(&in, x->sha, 32);
        if (in.bad || plen < 2 || plen > PATH_LIMIT || plen > in.left || in.p[0] != '/' ||
            memchr(in.p, '\0', plen) || x->size < 0 || !stamp_ok(x->mtime) || !stamp_ok(x->ctime) ||
            !stamp_ok(x->hashed))
            goto bad;
        if (!(x->path = malloc(plen + 1)))
            goto bad;
        take(&in, x->path, plen);
        x->path[plen] = '\0';
        if (n_ok && strcmp(e[n_ok - 1].path, x->path) >= 0)
            goto bad;
    }
    if (in.left != 0)
        goto bad;
    *out = e;
    *n_out = n;
    return true;
bad:
    free_entries(e, n); /* calloc'd: paths not reached are NULL */
    return false;
}

long pfi_file_sha256_parse(const char *payload, size_t len)
{
    struct entry *e;
    size_t n;
    if (!parse(payload, len, &e, &n))
        return -1;
    free_entries(e, n);
    return (long)n;
}

static void put(unsigned char **w, const void *src, size_t n)
{
    memcpy(*w, src, n);
    *w += n;
}

/* The payload for ents[0..n) (sorted); malloc'd, NULL when out of memory. */
static unsigned char *serialize(const struct entry *e, size_t n, size_t *len)
{
    size_t total = 4;
    for (size_t i = 0; i < n; i++)
        total += FIXED + strlen(e[i].path);
    unsigned char *buf = malloc(total), *w = buf;
    if (!buf)
        return NULL;
    uint32_t count = (uint32_t)n;
    put(&w, &count, 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t plen = (uint32_t)strlen(e[i].path);
        put(&w, &e[i].dev, 8);
        put(&w, &e[i].ino, 8);
        put(&w, &e[i].size, 8);
        put(&w, &e[i].mtime.s, 8);
        put(&w, &e[i].ctime.s, 8);
        put(&w, &e[i].hashed.s, 8);
        put(&w, &e[i].mtime.ns, 4);
        put(&w, &e[i].ctime.ns, 4);
        put(&w, &e[i].hashed.ns, 4);
        put(&w, &plen, 4);
        put(&w, e[i].sha, 32);
        put(&w, e[i].path, plen);
    }
    *len = total;
    return buf;
}

/* ---- the memo in memory (everything below under lock) ---- */

static void load_locked(void)
{
    uint8_t key[32];
    char *buf = NULL;
    size_t len = 0;
    if (loaded)
        return;
    loaded = true;
    memo_key(key);
    if (pfi_cache_read(FILE_NAME, key, &buf, &len) && parse(buf, len, &ents, &nents))
        capents = nents;
    free(buf);
}

/* The index of path in ents, or where it would go (*found false). */
static size_t find(const char *path, bool *found)
{
    size_t lo = 0, hi = nents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ents[mid].path, path);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void record_locked(const char *path, const struct entry *sig, struct stamp hashed,
                          const uint8_t sha[32])
{
    bool found;
    size_t i = find(path, &found);
    if (!found) {
        char *copy = strdup(path);
        if (!copy)
            return;
        if (nents == capents) {
            size_t ncap = capents ? capents * 2 : 16;
            struct entry *ne = realloc(ents, ncap * sizeof *ne);
            if (!ne) {
                free(copy);
                return;
            }
            ents = ne;
            capents = ncap;
        }
        memmove(ents + i + 1, ents + i, (nents - i) * sizeof *ents);
        nents++;
        ents[i] = (struct entry){.path = copy};
    }
    char *keep = ents[i].path;
    ents[i] = *sig;
    ents[i].path = keep;
    ents[i].hashed = hashed;
    ents[i].used = true;
    memcpy(ents[i].sha, sha, 32);
    dirty = true;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* Used in this process first, then the most recently hashed. */
static int by_worth(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->used != b->used)
        return a->used ? -1 : 1;
    if (a->hashed.s != b->hashed.s)
        return a->hashed.s > b->hashed.s ? -1 : 1;
    if (a->hashed.ns != b->hashed.ns)
        return a->hashed.ns > b->hashed.ns ? -1 : 1;
    return by_path(a, b);
}

/* At most MAX_ENTRIES, the most worth keeping. */
static void bound_locked(void)
{
    if (nents <= MAX_ENTRIES)
        return;
    qsort(ents, nents, sizeof *ents, by_worth);
    for (size_t i = MAX_ENTRIES; i < nents; i++)
        free(ents[i].path);
    nents = MAX_ENTRIES;
    qsort(ents, nents, sizeof *ents, by_path);
}

void pfi_file_sha256_flush(void)
{
    uint8_t key[32];
    size_t len = 0;
    pthread_mutex_lock(&lock);
    if (dirty) {
        bound_locked();
        unsigned char *buf = serialize(ents, nents, &len);
        if (buf) {
            memo_key(key);
            /* A cache that cannot be written is not retried in this process. */
            (void)pfi_cache_write(FILE_NAME, key, buf, len);
            free(buf);
        }
        dirty = false;
    }
    pthread_mutex_unlock(&lock);
}

void pfi_file_sha256_forget(void)
{
    pthread_mutex_lock(&lock);
    free_entries(ents, nents);
    ents = NULL;
    nents = capents = 0;
    loaded = dirty = false;
    dir_out[0] = '\0';
    pthread_mutex_unlock(&lock);
}

/* path made absolute with its directory resolved by realpath (once for
 * the files of one absolute directory: realpath reads every component's
 * link); the last component stays as named. It only names the entry: the
 * signature is what decides. false when it cannot be resolved. */
static bool resolve(const char *path, char real[PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char din[PATH_MAX], dout[PATH_MAX];
    size_t dl = slash ? (size_t)(slash - path) : 0;
    bool known = false;

    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || dl >= sizeof din)
        return false;
    if (!slash)
        strcpy(din, ".");
    else if (dl == 0)
        strcpy(din, "/");
    else {
        memcpy(din, path, dl);
        din[dl] = '\0';
    }
    /* A relative directory is resolved every time: the working directory
     * may have changed. */
    if (din[0] == '/') {
        pthread_mutex_lock(&lock);
        known = dir_out[0] && strcmp(din, dir_in) == 0;
        if (known)
            memcpy(dout, dir_out, sizeof dout);
        pthread_mutex_unlock(&lock);
    }
    if (!known) {
        if (!realpath(din, dout))
            return false;
        if (din[0] == '/') {
            pthread_mutex_lock(&lock);
            memcpy(dir_in, din, sizeof dir_in);
            memcpy(dir_out, dout, sizeof dir_out);
            pthread_mutex_unlock(&lock);
        }
    }
    int n = snprintf(real, PATH_MAX, "%s%s%s", dout, strcmp(dout, "/") == 0 ? "" : "/", base);
    return n > 0 && n < PATH_MAX;
}

pf_status pfi_file_sha256(const char *path, uint8_t out[32], pf_diag *diag)
{
    char real[PATH_MAX];
    struct stat before, after;
    struct timespec now;

    was_memo = false;
    /* Anything but a regular file that stat and realpath can name is
     * hashed as pf_sha256_file does it, with its errors. */
    if (!path || !pfi_cache_enabled() || clock_gettime(CLOCK_REALTIME, &now) != 0 ||
        stat(path, &before) != 0 || !S_ISREG(before.st_mode) || !resolve(path, real) ||
        strlen(real) > PATH_LIMIT || real[0] != '/' || real[1] == '\0')
        return pf_sha256_file(path, out, diag);
    struct entry sig = sig_of(&before);
    struct stamp at = {(int64_t)now.tv_sec, (uint32_t)now.tv_nsec};
    bool hit = false, found;

    pthread_mutex_lock(&lock);
    load_locked();
    size_t i = find(real, &found);
    if (found && same_sig(&ents[i], &sig) && trusted(&ents[i])) {
        memcpy(out, ents[i].sha, 32);
        ents[i].used = true;
        hit = true;
    }
    pthread_mutex_unlock(&lock);
    if (hit) {
        pf_diag_clear(diag);
        was_memo = true;
        return PF_OK;
    }

    pf_status st = pf_sha256_file(path, out, diag);
    int err = errno;
    /* Recorded only when it will be trusted, and for the bytes hashed. */
    sig.hashed = at;
    if (st == PF_OK && trusted(&sig) && stat(path, &after) == 0) {
        struct entry again = sig_of(&after);
        if (same_sig(&sig, &again)) {
            pthread_mutex_lock(&lock);
            record_locked(real, &sig, at, out);
            pthread_mutex_unlock(&lock);
        }
    }
    errno = err;
    return st;
}
