/*
 * test_hashmemo.c — the memo of file hashes (hashmemo.c) against
 * pf_sha256_file, the trusted slow path: the same hash from a recorded
 * entry as from reading; a fresh hash after a rewrite that keeps size and
 * modification time, a replacement by rename and a truncation; no trust
 * in an entry hashed within the racy window; payloads that are not well
 * formed refused as a whole; nothing used with the cache off; the bound.
 *
 * Entries are only trusted for files changed two seconds or more before
 * they were hashed, so the set-up writes its files and waits that long
 * once. A "new process" is the memo flushed and forgotten in memory.
 */
/* realpath is XSI, beyond the project's _POSIX_C_SOURCE. */
#undef _POSIX_C_SOURCE
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_int.h"
#include "internal.h"
#include "preflight/journal.h"
#include "test_util.h"

#define NBOUND 300 /* files for the bound: more than the memo keeps */

static char dir[] = "/tmp/pf_hashmemo_XXXXXX";
static char cache[128];

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, size_t len)
{
    char p[128];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    char name[32], cdir[64];
    if (!mkdtemp(dir))
        return -1;
    snprintf(cdir, sizeof cdir, "%s/cache", dir);
    snprintf(cache, sizeof cache, "%s/file-hashes", cdir);
    setenv("PREFLIGHT_CACHE_DIR", cdir, 1);
    unsetenv("PREFLIGHT_NO_CACHE");
    write_file("same-size", "first version of the file\n", 26);
    write_file("renamed", "the file before its rename\n", 27);
    write_file("truncated", "a file to be cut short\n", 23);
    write_file("empty", "", 0);
    write_file("forged", "bytes the forged entries lie about\n", 35);
    char big[70000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i * 7 % 26);
    write_file("big", big, sizeof big); /* more than pf_sha256_file's buffer */
    for (int i = 0; i < NBOUND; i++) {
        snprintf(name, sizeof name, "bound-%03d", i);
        write_file(name, name, strlen(name));
    }
    /* Every file above is now outside the racy window. */
    struct timespec t = {2, 300000000};
    nanosleep(&t, NULL);
    pfi_file_sha256_forget();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    pfi_file_sha256_forget();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void new_process(void)
{
    pfi_file_sha256_flush();
    pfi_file_sha256_forget();
}

/* The memo's answer for path, which must be pf_sha256_file's; whether it
 * came from the memo into *memo. */
static void memo_hash(const char *path, uint8_t sha[32], bool *memo)
{
    uint8_t want[32];
    pf_diag d;
    assert_int_equal(pfi_file_sha256(path, sha, &d), PF_OK);
    *memo = pfi_file_sha256_was_memo();
    assert_int_equal(pf_sha256_file(path, want, &d), PF_OK);
    if (memcmp(sha, want, 32) != 0)
        fail_msg("%s: the memo's hash is not the file's", path);
}

static void test_same_hash(void **state)
{
    (void)state;
    char paths[8][160];
    size_t n = 0;
    const char *names[] = {"same-size", "renamed", "truncated", "empty", "forged", "big"};
    for (size_t i = 0; i < PF_ARRAY_LEN(names); i++)
        path_of(paths[n++], sizeof paths[0], names[i]);
    snprintf(paths[n++], sizeof paths[0], "%s/data/countries.json", PF_SOURCE_DIR);
    snprintf(paths[n++], sizeof paths[0], "%s/rules/../rules/url.json", PF_SOURCE_DIR);
    uint8_t first[8][32], sha[32];
    bool memo;
    new_process();
    for (size_t i = 0; i < n; i++) {
        memo_hash(paths[i], first[i], &memo);
        pf_check(paths[i], !memo); /* nothing recorded yet */
    }
    new_process();
    struct stat sb;
    pf_check("the memo was written", stat(cache, &sb) == 0 && S_ISREG(sb.st_mode));
    for (size_t i = 0; i < n; i++) {
        memo_hash(paths[i], sha, &memo);
        pf_check(paths[i], memo);
        pf_check(paths[i], memcmp(sha, first[i], 32) == 0);
    }
    /* Missing files and directories: pf_sha256_file's own errors. */
    pf_diag d1, d2;
    char missing[160];
    path_of(missing, sizeof missing, "no-such-file");
    pf_check_int("missing", pfi_file_sha256(missing, sha, &d1), PF_E_IO);
    pf_check_int("missing", pf_sha256_file(missing, sha, &d2), PF_E_IO);
    pf_check_str("missing: same message", d1.message, d2.message);
    pf_check_int("directory", pfi_file_sha256(dir, sha, &d1), pf_sha256_file(dir, sha, &d2));
}

/* The modification time back as it was before a change. */
static void restore_mtime(const char *path, const struct stat *old)
{
    struct timespec t[2] = {old->st_atim, old->st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static void test_changes_seen(void **state)
{
    (void)state;
    char same[160], ren[160], trunc[160], tmp[160];
    path_of(same, sizeof same, "same-size");
    path_of(ren, sizeof ren, "renamed");
    path_of(trunc, sizeof trunc, "truncated");
    path_of(tmp, sizeof tmp, "renamed.tmp");
    const char *paths[] = {same, ren, trunc};
    uint8_t old[3][32], sha[32];
    bool memo;
    struct stat sb[3];

    /* Recorded and answered from the memo before each change. */
    for (int i = 0; i < 3; i++)
        memo_hash(paths[i], old[i], &memo);
    new_process();
    for (int i = 0; i < 3; i++) {
        memo_hash(paths[i], sha, &memo);
        pf_check(paths[i], memo && memcmp(sha, old[i], 32) == 0);
        assert_int_equal(stat(paths[i], &sb[i]), 0);
    }

    /* Same size, old modification time: only the change time differs. */
    write_file("same-size", "FIRST version of the file\n", 26);
    restore_mtime(same, &sb[0]);
    /* A new file of the same size and time renamed over the old one. */
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    fputs("THE FILE BEFORE ITS RENAME\n", f);
    assert_int_equal(fclose(f), 0);
    restore_mtime(tmp, &sb[1]);
    assert_int_equal(rename(tmp, ren), 0);
    /* Cut short, old time back. */
    assert_int_equal(truncate(trunc, 5), 0);
    restore_mtime(trunc, &sb[2]);

    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) {
            struct stat now;
            assert_int_equal(stat(paths[i], &now), 0);
            pf_check(paths[i], now.st_mtim.tv_sec == sb[i].st_mtim.tv_sec &&
                                   now.st_mtim.tv_nsec == sb[i].st_mtim.tv_nsec);
            memo_hash(paths[i], sha, &memo); /* fails unless the file's own hash */
            pf_check(paths[i], !memo);
            pf_check(paths[i], memcmp(sha, old[i], 32) != 0);
        }
        new_process(); /* and in the next process too */
    }
}

/* ---- forged payloads (the format as hashmemo.c documents it) ---- */

struct fake {
    const char *path;
    uint64_t dev, ino;
    int64_t size, ms, cs, hs;
    uint32_t mns, cns, hns;
    uint8_t sha[32];
};

static struct fake fake_of(const char *path, int64_t hashed_after)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    struct fake e = {path,
                     (uint64_t)sb.st_dev,
                     (uint64_t)sb.st_ino,
                     (int64_t)sb.st_size,
                     (int64_t)sb.st_mtim.tv_sec,
                     (int64_t)sb.st_ctim.tv_sec,
                     0,
                     (uint32_t)sb.st_mtim.tv_nsec,
                     (uint32_t)sb.st_ctim.tv_nsec,
                     0,
                     {0}};
    struct timespec later = sb.st_ctim.tv_sec > sb.st_mtim.tv_sec ? sb.st_ctim : sb.st_mtim;
    e.hs = (int64_t)later.tv_sec + hashed_after;
    e.hns = (uint32_t)later.tv_nsec;
    memset(e.sha, 0x5a, 32); /* not the file's hash */
    return e;
}

static size_t encode(const struct fake *e, size_t n, uint32_t count, unsigned char *out)
{
    unsigned char *w = out;
#define PUT(v)                                                                                     \
    do {                                                                                           \
        memcpy(w, &(v), sizeof(v));                                                                \
        w += sizeof(v);                                                                            \
    } while (0)
    PUT(count);
    for (size_t i = 0; i < n; i++) {
        uint32_t plen = (uint32_t)strlen(e[i].path);
        PUT(e[i].dev);
        PUT(e[i].ino);
        PUT(e[i].size);
        PUT(e[i].ms);
        PUT(e[i].cs);
        PUT(e[i].hs);
        PUT(e[i].mns);
        PUT(e[i].cns);
        PUT(e[i].hns);
        PUT(plen);
        memcpy(w, e[i].sha, 32);
        w += 32;
        memcpy(w, e[i].path, plen);
        w += plen;
    }
#undef PUT
    return (size_t)(w - out);
}

static void memo_key(uint8_t key[32])
{
    pf_sha256("file-hashes 1\n", 14, key);
}

/* The memo file holding payload p (it passes every check of cache.c). */
static void install(const unsigned char *p, size_t n)
{
    uint8_t key[32];
    memo_key(key);
    assert_true(pfi_cache_write("file-hashes", key, p, n));
    pfi_file_sha256_forget();
}

/* What the memo answers for path: the forged hash or the file's. */
static bool believes_forgery(const char *path)
{
    uint8_t sha[32], want[32];
    pf_diag d;
    assert_int_equal(pfi_file_sha256(path, sha, &d), PF_OK);
    assert_int_equal(pf_sha256_file(path, want, &d), PF_OK);
    uint8_t forged[32];
    memset(forged, 0x5a, 32);
    if (memcmp(sha, forged, 32) == 0)
        return pfi_file_sha256_was_memo();
    pf_check(path, memcmp(sha, want, 32) == 0 && !pfi_file_sha256_was_memo());
    return false;
}

static void test_racy_entry_not_trusted(void **state)
{
    (void)state;
    char fresh[160], real[4096];
    unsigned char buf[1024];
    bool memo;
    uint8_t sha[32];
    write_file("fresh", "written just now\n", 17);
    path_of(fresh, sizeof fresh, "fresh");
    assert_non_null(realpath(fresh, real));

    /* Hashed within the window: answered, not recorded. */
    new_process();
    memo_hash(fresh, sha, &memo);
    pf_check("fresh: hashed", !memo);
    new_process();
    memo_hash(fresh, sha, &memo);
    pf_check("fresh: not recorded within the window", !memo);

    /* An entry that says it was hashed 1 s after the file's last change
     * is not believed; 3 s after, it is (the control). */
    static const struct {
        int64_t after;
        bool believed;
    } rows[] = {{0, false}, {1, false}, {-5, false}, {3, true}};
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        struct fake e = fake_of(real, rows[i].after);
        install(buf, encode(&e, 1, 1, buf));
        print_message("hashed %+lld s after the last change\n", (long long)rows[i].after);
        pf_check(rows[i].believed ? "believed" : "not believed",
                 believes_forgery(fresh) == rows[i].believed);
    }
    pfi_file_sha256_forget();
}

static void test_bad_payloads_refused(void **state)
{
    (void)state;
    char forged[160], real[4096], other[4200];
    static unsigned char buf[16384];
    path_of(forged, sizeof forged, "forged");
    assert_non_null(realpath(forged, real));
    snprintf(other, sizeof other, "%sz", real); /* sorts after real */
    struct fake good = fake_of(real, 10), second = fake_of(real, 10);
    second.path = other;

    /* Control: well formed, with the file's signature: believed. */
    struct fake two[2] = {good, second};
    size_t n = encode(two, 2, 2, buf);
    pf_check_int("control: parsed", pfi_file_sha256_parse((char *)buf, n), 2);
    install(buf, n);
    pf_check("control: a well-formed forged entry is believed", believes_forgery(forged));

    /* One defect each (most in the second entry: the first, forged one
     * must not be believed either — the payload is refused as a whole). */
    enum {
        TRUNC,
        TRAIL,
        COUNT_MORE,
        COUNT_LESS,
        REL,
        NUL,
        ORDER,
        DUP,
        NS,
        HNS,
        SIZE,
        PLEN0,
        PLEN_BIG,
        TIME_HUGE
    };
    static const struct {
        int what;
        const char *name;
    } rows[] = {{TRUNC, "truncated by a byte"},    {TRAIL, "a byte after the last entry"},
                {COUNT_MORE, "count too large"},   {COUNT_LESS, "count too small"},
                {REL, "a relative path"},          {NUL, "a NUL in a path"},
                {ORDER, "paths out of order"},     {DUP, "a path twice"},
                {NS, "nanoseconds past a second"}, {HNS, "hashed-at nanoseconds too"},
                {SIZE, "a negative size"},         {PLEN0, "an empty path"},
                {PLEN_BIG, "a path past the end"}, {TIME_HUGE, "a time out of range"}};
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        struct fake e[2] = {good, second};
        char rel[4200];
        uint32_t count = 2;
        switch (rows[i].what) {
        case COUNT_MORE: count = 3; break;
        case COUNT_LESS: count = 1; break;
        case REL:
            snprintf(rel, sizeof rel, "%s", other + 1);
            e[1].path = rel;
            break;
        case ORDER:
            e[0] = second;
            e[1] = good;
            break;
        case DUP: e[1] = good; break;
        case NS: e[1].mns = 1000000000u; break;
        case HNS: e[1].hns = 4000000000u; break;
        case SIZE: e[1].size = -1; break;
        case TIME_HUGE: e[1].hs = INT64_MAX; break;
        default: break;
        }
        n = encode(e, 2, count, buf);
        switch (rows[i].what) {
        case TRUNC: n--; break;
        case TRAIL: buf[n++] = 0; break;
        case NUL: /* the second path's middle byte: the lengths stay right */
            buf[n - strlen(other) / 2] = '\0';
            break;
        case PLEN0:
        case PLEN_BIG: {
            /* The second entry's path length: after the count, the first
             * entry, and six 8-byte and three 4-byte fields. */
            uint32_t v = rows[i].what == PLEN0 ? 0 : 0x7fffffff;
            memcpy(buf + 4 + 96 + strlen(real) + 60, &v, 4);
            break;
        }
        default: break;
        }
        pf_check_int(rows[i].name, pfi_file_sha256_parse((char *)buf, n), -1);
        install(buf, n);
        pf_check(rows[i].name, !believes_forgery(forged));
    }
    /* Nothing but a count, and an empty payload. */
    uint32_t zero = 0;
    pf_check_int("no entries", pfi_file_sha256_parse((char *)&zero, 4), 0);
    pf_check_int("empty payload", pfi_file_sha256_parse("", 0), -1);
    pfi_file_sha256_forget();
}

static void test_off_switch(void **state)
{
    (void)state;
    char p[160];
    uint8_t sha[32];
    bool memo;
    path_of(p, sizeof p, "big");
    memo_hash(p, sha, &memo);
    new_process();
    memo_hash(p, sha, &memo);
    pf_check("on: from the memo", memo);
    struct stat before, after;
    assert_int_equal(stat(cache, &before), 0);
    setenv("PREFLIGHT_NO_CACHE", "1", 1);
    pfi_file_sha256_forget();
    memo_hash(p, sha, &memo);
    pf_check("off: not from the memo", !memo);
    pfi_file_sha256_flush();
    assert_int_equal(stat(cache, &after), 0);
    pf_check("off: the memo file untouched",
             before.st_ino == after.st_ino && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    unsetenv("PREFLIGHT_NO_CACHE");
}

static void test_bounded(void **state)
{
    (void)state;
    char p[160], name[32];
    uint8_t sha[32], key[32];
    bool memo;
    new_process();
    for (int i = 0; i < NBOUND; i++) {
        snprintf(name, sizeof name, "bound-%03d", i);
        path_of(p, sizeof p, name);
        memo_hash(p, sha, &memo);
    }
    new_process();
    char *payload = NULL;
    size_t len = 0;
    memo_key(key);
    assert_true(pfi_cache_read("file-hashes", key, &payload, &len));
    long kept = pfi_file_sha256_parse(payload, len);
    free(payload);
    pf_check("bounded", kept > 0 && kept < NBOUND);
    /* Whatever was kept or dropped, every answer is the file's. */
    size_t hits = 0;
    for (int i = 0; i < NBOUND; i++) {
        snprintf(name, sizeof name, "bound-%03d", i);
        path_of(p, sizeof p, name);
        memo_hash(p, sha, &memo);
        hits += memo;
    }
    pf_check_int("hits: the entries kept", (long)hits, kept);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_hash),
        cmocka_unit_test(test_changes_seen),
        cmocka_unit_test(test_racy_entry_not_trusted),
        cmocka_unit_test(test_bad_payloads_refused),
        cmocka_unit_test(test_off_switch),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests_name("hashmemo", tests, setup, teardown);
}
