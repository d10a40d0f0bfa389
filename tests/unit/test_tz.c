/*
 * test_tz.c — local times from the start-up cache's offset tables (tz.c)
 * against ICU's calendar (tz_icu.c, the trusted path), minute and weekday
 * exactly: every canonical location zone ICU knows, at a few thousand
 * instants each (random in the window with a fixed seed, every transition
 * and the seconds either side, instants before 1970, the window's ends);
 * the whole per-checker path cold and warm; table files that are
 * corrupted, truncated or forged are refused and the answers stay ICU's
 * (also with no cache, and with one that cannot be written);
 * a forged table that is well formed is believed (the control: the file
 * is really what answers).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_int.h"
#include "test_util.h"
#include "tz_icu.h"
#include "tz_int.h"

#define RANDOM_INSTANTS 2500
#define EARLY_INSTANTS 500

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rng(void)
{
    /* xorshift64*: a fixed sequence, the same on every run. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static int64_t rng_in(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng() % (uint64_t)(hi - lo));
}

/* The table's answer at t is ICU's, or the table declines t because it is
 * outside the window. Returns whether it compared. */
static bool same_as_icu(const char *zone, const struct pfi_tz_table *tab, struct pfi_icu_zone *icu,
                        int64_t t)
{
    unsigned tm = 0, tw = 0, im = 0, iw = 0;
    bool in = t >= PFI_TZ_FROM && t < PFI_TZ_TO;
    bool answered = pfi_tz_table_local(tab, t, &tm, &tw);
    char row[160];
    snprintf(row, sizeof row, "%s at %lld", zone, (long long)t);
    pf_check(row, answered == in);
    if (!answered)
        return false;
    pf_check(row, pfi_icu_local_time(icu, t, &im, &iw));
    if (tm != im || tw != iw) {
        snprintf(row, sizeof row, "%s at %lld: table %u min day %u, ICU %u min day %u", zone,
                 (long long)t, tm, tw, im, iw);
        pf_check(row, false);
    }
    return true;
}

static void test_every_zone_matches_icu(void **state)
{
    (void)state;
    static const int64_t fixed[] = {
        PFI_TZ_FROM,
        PFI_TZ_FROM + 1,
        PFI_TZ_FROM + 59,
        PFI_TZ_FROM + 86399,
        PFI_TZ_FROM + 86400,
        PFI_TZ_TO - 1,
        PFI_TZ_TO - 60,
        PFI_TZ_TO - 86401,
        -86401,
        -86400,
        -86399,
        -61,
        -60,
        -1,
        0,
        1,
        951782400,
        /* 2000-02-29 */ 4107542400, /* 2100-03-01 */
        PFI_TZ_FROM - 1,
        PFI_TZ_TO,
        PFI_TZ_TO + 1,
        INT64_C(-5000000000),
    };
    char *ids = NULL;
    assert_int_equal(pfi_icu_region_ids(NULL, &ids), PF_OK);
    size_t zones = 0, compared = 0, transitions = 0;
    for (const char *zone = ids; *zone; zone += strlen(zone) + 1, zones++) {
        struct pfi_tz_table built, read;
        pf_check_int(zone, pfi_tz_table_build(zone, &built), PF_OK);
        /* What a warm start uses is the table read back from its file. */
        char *data = NULL;
        size_t len = 0;
        pf_check(zone, pfi_tz_table_encode(zone, &built, &data, &len));
        pf_check(zone, pfi_tz_table_decode(zone, data, len, &read));
        pf_check(zone, read.n == built.n && read.initial == built.initial);
        free(data);
        struct pfi_icu_zone *icu = pfi_icu_zone_open(zone);
        pf_check(zone, icu != NULL);
        for (size_t i = 0; i < PF_ARRAY_LEN(fixed); i++)
            compared += same_as_icu(zone, &read, icu, fixed[i]);
        for (int i = 0; i < RANDOM_INSTANTS; i++)
            compared += same_as_icu(zone, &read, icu, rng_in(PFI_TZ_FROM, PFI_TZ_TO));
        for (int i = 0; i < EARLY_INSTANTS; i++)
            compared += same_as_icu(zone, &read, icu, rng_in(PFI_TZ_FROM, 0));
        for (size_t i = 0; i < read.n; i++) {
            pf_check(zone, read.at[i] == built.at[i] && read.offset[i] == built.offset[i]);
            for (int64_t d = -1; d <= 1; d++)
                compared += same_as_icu(zone, &read, icu, read.at[i] + d);
        }
        transitions += read.n;
        pfi_icu_zone_close(icu);
        pfi_tz_table_free(&built);
        pfi_tz_table_free(&read);
    }
    free(ids);
    print_message("%zu zones, %zu transitions, %zu instants compared\n", zones, transitions,
                  compared);
    pf_check("ICU lists zones", zones > 300);
    pf_check("zones change offsets", transitions > 10000);
}

/* ---- the per-checker path, through the start-up cache ---- */

static char cache_dir[64];

static void fresh_cache_dir(void)
{
    snprintf(cache_dir, sizeof cache_dir, "/tmp/pf-test-tz-XXXXXX");
    assert_non_null(mkdtemp(cache_dir));
    setenv("PREFLIGHT_CACHE_DIR", cache_dir, 1);
    unsetenv("PREFLIGHT_NO_CACHE");
}

static void remove_cache_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cache_dir);
    assert_int_equal(system(cmd), 0);
}

static const int64_t probe[] = {
    1795000000,
    1772323200 /* 2026-03-01 */,
    1773550799,
    1773550800,
    1773554400,
    1793602799,
    1793602800,
    0,
    -1,
    -1000000000,
    PFI_TZ_FROM,
    PFI_TZ_TO - 1,
    PFI_TZ_FROM - 1,
    PFI_TZ_TO, /* outside the window: ICU answers */
    INT64_C(-6000000000),
    INT64_C(8000000000),
};

/* The cache's answers for zone at every probe instant against ICU's. */
static void check_zone(const char *label, const char *zone, bool expect_same)
{
    struct pfi_tz_cache *c = NULL;
    struct pfi_icu_zone *icu = pfi_icu_zone_open(zone);
    assert_non_null(icu);
    assert_int_equal(pfi_tz_cache_create(&c), PF_OK);
    const char *zones[] = {zone};
    bool all_same = true;
    for (size_t i = 0; i < PF_ARRAY_LEN(probe); i++) {
        struct pfi_local_time lt;
        unsigned m, w;
        pf_check(label, pfi_tz_local_times_in(c, zones, 1, probe[i], &lt, 1) == 1);
        pf_check(label, pfi_icu_local_time(icu, probe[i], &m, &w));
        pf_check_str(label, lt.zone, zone);
        if (expect_same && (lt.minute != m || lt.weekday != w)) {
            char row[200];
            snprintf(row, sizeof row, "%s: %s at %lld: %u/%u, ICU %u/%u", label, zone,
                     (long long)probe[i], lt.minute, lt.weekday, m, w);
            pf_check(row, false);
        }
        all_same = all_same && lt.minute == m && lt.weekday == w;
    }
    pfi_tz_cache_destroy(c);
    pfi_icu_zone_close(icu);
    if (!expect_same)
        pf_check(label, !all_same);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

static void spill(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Every US zone through a fresh tz cache, in ICU's order and with ICU's
 * answer at each probe instant; ids is ICU's list for the region. */
static void us_matches_icu(const char *ids)
{
    struct pfi_tz_cache *c = NULL;
    struct pfi_local_time lt[64];
    assert_int_equal(pfi_tz_cache_create(&c), PF_OK);
    for (size_t i = 0; i < PF_ARRAY_LEN(probe); i++) {
        long n = pfi_tz_local_times(c, "US", probe[i], lt, 64);
        pf_check("US", n > 20 && n <= 64);
        const char *id = ids;
        for (long k = 0; k < n; k++, id += strlen(id) + 1) {
            pf_check_str("US, ICU's order", lt[k].zone, id);
            struct pfi_icu_zone *icu = pfi_icu_zone_open(id);
            unsigned m = 0, w = 0;
            pf_check(id, icu && pfi_icu_local_time(icu, probe[i], &m, &w));
            pf_check(id, lt[k].minute == m && lt[k].weekday == w);
            pfi_icu_zone_close(icu);
        }
    }
    pfi_tz_cache_destroy(c);
}

static void test_region_cold_and_warm(void **state)
{
    (void)state;
    fresh_cache_dir();
    char *ids = NULL;
    assert_int_equal(pfi_icu_region_ids("US", &ids), PF_OK);
    for (int round = 0; round < 2; round++) { /* cold: made and written; warm: read */
        us_matches_icu(ids);
        char path[256];
        snprintf(path, sizeof path, "%s/tz-America~Los_Angeles", cache_dir);
        pf_check("a table file per zone", access(path, R_OK) == 0);
        snprintf(path, sizeof path, "%s/icu-zones", cache_dir);
        pf_check("the region's list in the memo", access(path, R_OK) == 0);
    }
    free(ids);
    remove_cache_dir();
}

/* One table payload with a defect, for the reader to refuse. */
struct forgery {
    const char *name;
    size_t off; /* where to write (from the end when from_end) */
    bool from_end;
    uint8_t bytes[8];
    size_t nbytes;
    long resize; /* bytes added (>0) or cut (<0) at the end */
};

static void test_bad_tables_refused(void **state)
{
    (void)state;
    fresh_cache_dir();
    const char *zone = "America/Los_Angeles";
    char path[256];
    snprintf(path, sizeof path, "%s/tz-America~Los_Angeles", cache_dir);
    check_zone("cold", zone, true);
    size_t glen = 0;
    char *good = slurp(path, &glen);
    assert_non_null(good);
    assert_true(glen > 80 + 1000);
    uint8_t key[32];
    memcpy(key, good + 8, 32);
    const char *payload = good + 80;
    size_t plen = glen - 80;

    /* The reader on its own: every cut of a good payload is refused. */
    struct pfi_tz_table t;
    pf_check("whole", pfi_tz_table_decode(zone, payload, plen, &t));
    pfi_tz_table_free(&t);
    pf_check("another zone's name", !pfi_tz_table_decode("America/Los_Angelex", payload, plen, &t));
    for (size_t cut = 0; cut < plen; cut++) {
        char row[32];
        snprintf(row, sizeof row, "cut at %zu", cut);
        pf_check(row, !pfi_tz_table_decode(zone, payload, cut, &t));
    }

    /* Files: damaged ones fail the cache's own checks; forged ones (the
     * right key and hash, a payload the builder would not write) fail the
     * reader's. Each is refused, the answers are ICU's, and the file is
     * rebuilt as it was. Layout: format 4, window 8+8, id length 1 + 19,
     * initial offset 4, count 4, instants, offsets. */
    const size_t id_at = 21, initial_at = 21 + 19, count_at = initial_at + 4, at0 = count_at + 4;
    const struct forgery forged[] = {
        {"format", 0, false, {2}, 1, 0},
        {"window start", 4, false, {1}, 1, 0},
        {"window end", 12, false, {1}, 1, 0},
        {"id length", 20, false, {18}, 1, 0},
        {"id", id_at + 8, false, {'x'}, 1, 0},
        {"initial offset out of range", initial_at, false, {0x80, 0x51, 0x01, 0}, 4, 0},
        {"count one more", count_at, false, {0}, 0, 0}, /* set below */
        {"count huge", count_at + 3, false, {0x7f}, 1, 0},
        {"first instant before the window", at0 + 7, false, {0x80}, 1, 0},
        {"last offset out of range", 4, true, {0x00, 0x00, 0x02, 0x00}, 4, 0},
        {"last offset repeats", 4, true, {0}, 0, 0},           /* set below */
        {"last instant past the window", 0, false, {0}, 0, 0}, /* set below */
        {"instants not increasing", 0, false, {0}, 0, 0},      /* set below */
        {"a byte more", 0, false, {0}, 0, 1},
        {"a byte less", 0, false, {0}, 0, -1},
    };
    for (size_t f = 0; f < PF_ARRAY_LEN(forged) + 4; f++) {
        char *buf = malloc(plen + 8);
        assert_non_null(buf);
        memcpy(buf, payload, plen);
        size_t len = plen;
        uint32_t count;
        memcpy(&count, payload + count_at, 4);
        const char *name;
        if (f < PF_ARRAY_LEN(forged)) {
            const struct forgery *g = &forged[f];
            name = g->name;
            size_t off = g->from_end ? plen - g->off : g->off;
            memcpy(buf + off, g->bytes, g->nbytes);
            if (strcmp(name, "count one more") == 0) {
                uint32_t more = count + 1;
                memcpy(buf + count_at, &more, 4);
            } else if (strcmp(name, "last offset repeats") == 0) {
                memcpy(buf + plen - 4, buf + plen - 8, 4);
            } else if (strcmp(name, "last instant past the window") == 0) {
                int64_t past = PFI_TZ_TO;
                memcpy(buf + at0 + (size_t)(count - 1) * 8, &past, 8);
            } else if (strcmp(name, "instants not increasing") == 0) {
                memcpy(buf + at0 + 8 * 5, buf + at0 + 8 * 4, 8);
            }
            len = (size_t)((long)plen + g->resize);
            if (g->resize > 0)
                buf[plen] = 0;
            /* A forged file: the right key, a hash of what it holds. */
            pf_check(name, !pfi_tz_table_decode(zone, buf, len, &t));
            pf_check(name, pfi_cache_write("tz-America~Los_Angeles", key, buf, len));
        } else {
            static const char *const damaged[] = {"corrupted payload", "truncated file",
                                                  "empty file", "file of another format"};
            name = damaged[f - PF_ARRAY_LEN(forged)];
            if (f == PF_ARRAY_LEN(forged)) {
                char *c = malloc(glen);
                assert_non_null(c);
                memcpy(c, good, glen);
                c[glen - 5] ^= 0x20;
                spill(path, c, glen);
                free(c);
            } else if (f == PF_ARRAY_LEN(forged) + 1) {
                spill(path, good, glen / 2);
            } else if (f == PF_ARRAY_LEN(forged) + 2) {
                spill(path, "", 0);
            } else {
                spill(path, "not a cache\n", 12);
            }
        }
        check_zone(name, zone, true);
        size_t nlen = 0;
        char *now = slurp(path, &nlen);
        pf_check(name, now && nlen == glen && memcmp(now, good, glen) == 0);
        free(now);
        free(buf);
    }

    /* Control: a well-formed table that is false (every offset an hour
     * more), under the right key, is believed. */
    char *buf = malloc(plen);
    assert_non_null(buf);
    memcpy(buf, payload, plen);
    uint32_t count;
    memcpy(&count, payload + count_at, 4);
    for (size_t i = 0; i <= count; i++) {
        char *o = i == 0 ? buf + initial_at : buf + at0 + (size_t)count * 8 + (i - 1) * 4;
        int32_t v;
        memcpy(&v, o, 4);
        v += 3600;
        memcpy(o, &v, 4);
    }
    pf_check("control", pfi_tz_table_decode(zone, buf, plen, &t));
    pfi_tz_table_free(&t);
    pf_check("control", pfi_cache_write("tz-America~Los_Angeles", key, buf, plen));
    check_zone("control: a forged file that passes every check is used", zone, false);
    free(buf);
    free(good);
    remove_cache_dir();
}

/* No cache: no file, ICU's answers (the table is not made at all). */
static void test_without_cache(void **state)
{
    (void)state;
    fresh_cache_dir();
    setenv("PREFLIGHT_NO_CACHE", "1", 1);
    check_zone("no cache", "Europe/London", true);
    char path[256];
    snprintf(path, sizeof path, "%s/tz-Europe~London", cache_dir);
    pf_check("no cache: no file", access(path, F_OK) != 0);
    unsetenv("PREFLIGHT_NO_CACHE");
    remove_cache_dir();
}

/* A cache that cannot be written (an impossible directory): the first
 * zone's table is made and used, the others are asked of ICU; the
 * answers are ICU's either way, for a whole region. */
static void test_unwritable_cache(void **state)
{
    (void)state;
    setenv("PREFLIGHT_CACHE_DIR", "/proc/pf-test-tz-impossible", 1);
    unsetenv("PREFLIGHT_NO_CACHE");
    char *ids = NULL;
    assert_int_equal(pfi_icu_region_ids("US", &ids), PF_OK);
    us_matches_icu(ids);
    free(ids);
    unsetenv("PREFLIGHT_CACHE_DIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_zone_matches_icu), cmocka_unit_test(test_region_cold_and_warm),
        cmocka_unit_test(test_bad_tables_refused),     cmocka_unit_test(test_without_cache),
        cmocka_unit_test(test_unwritable_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
