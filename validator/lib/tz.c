/*
 * tz.c — time zones and their local times.
 *
 * A warm start answers without ICU (issue 20): each zone's UTC offsets
 * over 1900-2200 are a table of transitions kept in the start-up cache
 * (file "tz-<zone>", '/' written '~'), made once from ICU's own
 * transitions (tz_icu.c); a local time is then the UTC instant plus the
 * offset in force, split into minute of day and weekday by integer
 * arithmetic — ICU computes its calendar fields from the same sum. An
 * instant outside the window, a zone without a table (no cache, a name
 * that cannot be a file name, ICU failing to list transitions) is asked
 * of ICU's calendar. Region zone lists come from the icu-zones memo.
 *
 * A cache belongs to one checker, so to one thread: it keeps each zone it
 * has been asked about (table, and ICU calendar when one was needed), and
 * each region's zone list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "preflight/journal.h"
#include "tz_icu.h"
#include "tz_int.h"

#define TZ_FORMAT 1u
#define TZ_MAX_TRANSITIONS 4096 /* ICU 72's most: 564 (Europe/London and its links) */
#define TZ_MAX_OFFSET 86400     /* ICU's offsets are within +-24 h */

struct zone {
    char id[64];
    struct pfi_icu_zone *icu; /* opened when ICU must answer */
    struct pfi_tz_table table;
    bool looked;    /* the table was looked for */
    bool has_table; /* and found or made */
};

struct region_zones {
    char region[3];
    size_t *zones; /* indexes into the cache's zones */
    size_t count;
};

struct pfi_tz_cache {
    struct zone *zones;
    size_t nzones, capzones;
    struct region_zones *regions;
    size_t nregions, capregions;
    struct pfi_tz_ids_memo *memo; /* region lists, opened on first need */
    bool memo_opened;
    int ident_state; /* 0 not yet asked, 1 ident holds it, -1 none */
    bool unsaved;    /* a table could not be written: make no more */
    char ident[PFI_TZ_IDENT_MAX];
    bool nomem; /* the last lookup failed for want of memory */
};

/* ---- offset tables ---- */

void pfi_tz_table_free(struct pfi_tz_table *t)
{
    if (!t)
        return;
    free(t->at);
    free(t->offset);
    memset(t, 0, sizeof *t);
}

pf_status pfi_tz_table_build(const char *zone, struct pfi_tz_table *out)
{
    memset(out, 0, sizeof *out);
    struct pfi_icu_zone *z = pfi_icu_zone_open(zone);
    if (!z)
        return PF_E_INTERNAL;
    pf_status st = pfi_icu_offsets(z, PFI_TZ_FROM, PFI_TZ_TO, &out->initial, &out->at, &out->offset,
                                   &out->n, TZ_MAX_TRANSITIONS);
    pfi_icu_zone_close(z);
    if (st == PF_OK && (out->initial <= -TZ_MAX_OFFSET || out->initial >= TZ_MAX_OFFSET))
        st = PF_E_INTERNAL;
    for (size_t i = 0; st == PF_OK && i < out->n; i++) {
        if (out->offset[i] <= -TZ_MAX_OFFSET || out->offset[i] >= TZ_MAX_OFFSET)
            st = PF_E_INTERNAL; /* the reader would refuse it */
    }
    if (st != PF_OK)
        pfi_tz_table_free(out);
    return st;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool pfi_tz_table_local(const struct pfi_tz_table *t, int64_t at, unsigned *minute,
                        unsigned *weekday)
{
    if (at < PFI_TZ_FROM || at >= PFI_TZ_TO)
        return false;
    /* The last transition at or before at: its offset is in force. */
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->at[mid] <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t local = at + (lo ? t->offset[lo - 1] : t->initial);
    int64_t days = floor_div(local, 86400);
    *minute = (unsigned)((local - days * 86400) / 60);
    /* 1970-01-01 was a Thursday: 3, counting from Monday. */
    *weekday = (unsigned)(days + 3 - floor_div(days + 3, 7) * 7);
    return true;
}

/* Payload of a "tz-<zone>" file (this machine's byte order, as every
 * cache file): u32 format, i64 window start and end, u8 length and the
 * zone's id, i32 offset at the start, u32 count, count i64 instants,
 * count i32 offsets. */
static void put(char **p, const void *d, size_t n)
{
    memcpy(*p, d, n);
    *p += n;
}

bool pfi_tz_table_encode(const char *zone, const struct pfi_tz_table *t, char **data, size_t *len)
{
    size_t idlen = strlen(zone);
    if (idlen > 255 || t->n > TZ_MAX_TRANSITIONS)
        return false;
    size_t n = 4 + 8 + 8 + 1 + idlen + 4 + 4 + t->n * 12;
    char *buf = malloc(n), *p = buf;
    if (!buf)
        return false;
    uint32_t format = TZ_FORMAT, count = (uint32_t)t->n;
    int64_t from = PFI_TZ_FROM, to = PFI_TZ_TO;
    uint8_t l = (uint8_t)idlen;
    put(&p, &format, 4);
    put(&p, &from, 8);
    put(&p, &to, 8);
    put(&p, &l, 1);
    put(&p, zone, idlen);
    put(&p, &t->initial, 4);
    put(&p, &count, 4);
    if (t->n) {
        put(&p, t->at, t->n * 8);
        put(&p, t->offset, t->n * 4);
    }
    *data = buf;
    *len = n;
    return true;
}

/* Reads n bytes at *p when they are there. */
static bool get(const char **p, const char *end, void *d, size_t n)
{
    if ((size_t)(end - *p) < n)
        return false;
    memcpy(d, *p, n);
    *p += n;
    return true;
}

bool pfi_tz_table_decode(const char *zone, const char *data, size_t len, struct pfi_tz_table *out)
{
    const char *p = data, *end = data + len;
    uint32_t format, count;
    int64_t from, to;
    uint8_t idlen;
    char id[256];
    memset(out, 0, sizeof *out);
    if (!get(&p, end, &format, 4) || format != TZ_FORMAT || !get(&p, end, &from, 8) ||
        from != PFI_TZ_FROM || !get(&p, end, &to, 8) || to != PFI_TZ_TO ||
        !get(&p, end, &idlen, 1) || idlen != strlen(zone) || !get(&p, end, id, idlen) ||
        memcmp(id, zone, idlen) != 0 || !get(&p, end, &out->initial, 4) ||
        !get(&p, end, &count, 4) || count > TZ_MAX_TRANSITIONS ||
        (size_t)(end - p) != (size_t)count * 12)
        return false;
    if (out->initial <= -TZ_MAX_OFFSET || out->initial >= TZ_MAX_OFFSET)
        return false;
    out->n = count;
    if (count) {
        out->at = malloc(count * sizeof *out->at);
        out->offset = malloc(count * sizeof *out->offset);
        if (!out->at || !out->offset) {
            pfi_tz_table_free(out);
            return false;
        }
        memcpy(out->at, p, count * 8);
        memcpy(out->offset, p + count * 8, count * 4);
    }
    /* Instants strictly increasing inside the window; each offset in
     * range and a change from the one before (as the builder writes). */
    int64_t prev_at = PFI_TZ_FROM;
    int32_t prev_off = out->initial;
    for (size_t i = 0; i < out->n; i++) {
        if (out->at[i] <= prev_at || out->at[i] >= PFI_TZ_TO || out->offset[i] <= -TZ_MAX_OFFSET ||
            out->offset[i] >= TZ_MAX_OFFSET || out->offset[i] == prev_off) {
            pfi_tz_table_free(out);
            return false;
        }
        prev_at = out->at[i];
        prev_off = out->offset[i];
    }
    return true;
}

/* The cache file's name for zone: "tz-" and the id with '/' as '~'; false
 * for an id that is not made of the characters IANA ids use. */
static bool table_file(const char *zone, char *name, size_t cap)
{
    size_t n = strlen(zone);
    if (n == 0 || n + 4 > cap)
        return false;
    memcpy(name, "tz-", 3);
    for (size_t i = 0; i < n; i++) {
        char ch = zone[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '+' || ch == '/'))
            return false;
        name[3 + i] = ch == '/' ? '~' : ch;
    }
    name[3 + n] = 0;
    return true;
}

static void table_key(const char *ident, const char *zone, uint8_t key[32])
{
    char text[PFI_TZ_IDENT_MAX + 384];
    snprintf(text, sizeof text, "tz-offsets %u\n%lld %lld\nzone %s\n%s", TZ_FORMAT,
             (long long)PFI_TZ_FROM, (long long)PFI_TZ_TO, zone, ident);
    pf_sha256(text, strlen(text), key);
}

bool pfi_tz_table_load(const char *ident, const char *zone, bool build, struct pfi_tz_table *out)
{
    char name[96];
    uint8_t key[32];
    char *data = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    if (!table_file(zone, name, sizeof name))
        return false;
    table_key(ident, zone, key);
    if (pfi_cache_read(name, key, &data, &len)) {
        bool ok = pfi_tz_table_decode(zone, data, len, out);
        free(data);
        if (ok)
            return true;
    }
    if (!build || pfi_tz_table_build(zone, out) != PF_OK)
        return false;
    /* Failing to write is no failure of the lookup. */
    if (pfi_tz_table_encode(zone, out, &data, &len)) {
        (void)pfi_cache_write(name, key, data, len);
        free(data);
    }
    return true;
}

/* ---- the per-checker cache ---- */

pf_status pfi_tz_cache_create(struct pfi_tz_cache **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? PF_OK : PF_E_NOMEM;
}

void pfi_tz_cache_destroy(struct pfi_tz_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nzones; i++) {
        pfi_icu_zone_close(c->zones[i].icu);
        pfi_tz_table_free(&c->zones[i].table);
    }
    for (size_t i = 0; i < c->nregions; i++)
        free(c->regions[i].zones);
    pfi_tz_ids_memo_close(c->memo); /* writes the lists it had to ask ICU for */
    free(c->zones);
    free(c->regions);
    free(c);
}

/* The cache index of zone id, or -1. */
static long zone_index(struct pfi_tz_cache *c, const char *id)
{
    for (size_t i = 0; i < c->nzones; i++) {
        if (strcmp(c->zones[i].id, id) == 0)
            return (long)i;
    }
    if (strlen(id) >= sizeof c->zones[0].id)
        return -1;
    if (c->nzones == c->capzones) {
        size_t ncap = c->capzones ? c->capzones * 2 : 16;
        struct zone *nz = realloc(c->zones, ncap * sizeof *nz);
        if (!nz) {
            c->nomem = true;
            return -1;
        }
        c->zones = nz;
        c->capzones = ncap;
    }
    struct zone *z = &c->zones[c->nzones];
    memset(z, 0, sizeof *z);
    strcpy(z->id, id);
    return (long)c->nzones++;
}

/* Every canonical location zone of region, listed once per cache (from
 * the icu-zones memo when it has the region). */
static struct region_zones *region_zones(struct pfi_tz_cache *c, const char *region)
{
    for (size_t i = 0; i < c->nregions; i++) {
        if (strcmp(c->regions[i].region, region) == 0)
            return &c->regions[i];
    }
    if (c->nregions == c->capregions) {
        size_t ncap = c->capregions ? c->capregions * 2 : 8;
        struct region_zones *nr = realloc(c->regions, ncap * sizeof *nr);
        if (!nr) {
            c->nomem = true;
            return NULL;
        }
        c->regions = nr;
        c->capregions = ncap;
    }
    if (!c->memo_opened) {
        c->memo = pfi_tz_ids_memo_open();
        c->memo_opened = true;
    }
    char *ids = NULL;
    if (pfi_tz_ids_memo_get(c->memo, region, &ids) != PF_OK) {
        c->nomem = true;
        return NULL;
    }
    struct region_zones *rz = &c->regions[c->nregions];
    memset(rz, 0, sizeof *rz);
    memcpy(rz->region, region, 2);
    size_t cap = 0;
    bool ok = true;
    for (const char *id = ids; *id; id += strlen(id) + 1) {
        long zi = zone_index(c, id);
        if (zi < 0) {
            ok = false;
            break;
        }
        if (rz->count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            size_t *nz = realloc(rz->zones, ncap * sizeof *nz);
            if (!nz) {
                c->nomem = true;
                ok = false;
                break;
            }
            rz->zones = nz;
            cap = ncap;
        }
        rz->zones[rz->count++] = (size_t)zi;
    }
    free(ids);
    if (!ok) {
        free(rz->zones);
        return NULL;
    }
    c->nregions++;
    return rz;
}

static bool local_time(struct pfi_tz_cache *c, struct zone *z, int64_t t,
                       struct pfi_local_time *out)
{
    out->zone = z->id;
    if (!z->looked) {
        z->looked = true;
        /* Without a cache to keep it, a table costs more to make than
         * the calendar answers it would save. */
        if (c->ident_state == 0)
            c->ident_state =
                pfi_cache_enabled() && pfi_icu_identity(c->ident, sizeof c->ident) ? 1 : -1;
        /* A table costs about 0.5 ms to make (Los Angeles: 508 changes),
         * ICU's calendar a few microseconds per answer: with a cache that
         * cannot keep tables (read-only directory), making one for each
         * of a region's zones at every start would cost more than it
         * saves, so after the first that could not be written, zones
         * without a file are asked of ICU. */
        z->has_table =
            c->ident_state == 1 && pfi_tz_table_load(c->ident, z->id, !c->unsaved, &z->table);
        if (z->has_table && pfi_cache_last() == PFI_CACHE_WRITE_FAILED)
            c->unsaved = true;
    }
    if (z->has_table && pfi_tz_table_local(&z->table, t, &out->minute, &out->weekday))
        return true;
    if (!z->icu && !(z->icu = pfi_icu_zone_open(z->id)))
        return false;
    return pfi_icu_local_time(z->icu, t, &out->minute, &out->weekday);
}

long pfi_tz_local_times(struct pfi_tz_cache *c, const char *region, int64_t t,
                        struct pfi_local_time *out, size_t cap)
{
    c->nomem = false;
    struct region_zones *rz = region_zones(c, region);
    if (!rz)
        return -1;
    for (size_t i = 0; i < rz->count && i < cap; i++) {
        if (!local_time(c, &c->zones[rz->zones[i]], t, &out[i]))
            return -1;
    }
    return (long)rz->count;
}

long pfi_tz_local_times_in(struct pfi_tz_cache *c, const char *const *zones, size_t n, int64_t t,
                           struct pfi_local_time *out, size_t cap)
{
    c->nomem = false;
    /* Every zone into the cache first: adding one may grow (move) the
     * zone array, and out[i].zone points into it. */
    for (size_t i = 0; i < n && i < cap; i++) {
        if (zone_index(c, zones[i]) < 0)
            return -1;
    }
    for (size_t i = 0; i < n && i < cap; i++) {
        long zi = zone_index(c, zones[i]);
        if (zi < 0 || !local_time(c, &c->zones[zi], t, &out[i]))
            return -1;
    }
    return (long)n;
}

bool pfi_tz_zone_in_region(const char *zone, const char *region)
{
    return pfi_icu_zone_in_region(zone, region);
}

pf_status pfi_tz_region_ids(const char *region, char **ids)
{
    return pfi_icu_region_ids(region, ids);
}

bool pfi_tz_ids_contain(const char *ids, const char *zone)
{
    for (const char *p = ids; *p; p += strlen(p) + 1) {
        if (strcmp(p, zone) == 0)
            return true;
    }
    return false;
}

bool pfi_tz_out_of_memory(const struct pfi_tz_cache *c)
{
    return c->nomem;
}

/* ---- ICU's zones per region, remembered across processes ---- */

struct pfi_tz_ids_memo {
    uint8_t key[32];
    char *old; /* the cache file's payload: records "RR\0" + ids list */
    size_t old_len;
    char *add; /* records worked out in this process */
    size_t add_len, add_cap;
};

/* The ids list of one record starting at p (after "RR\0") ends at the
 * first empty id; its length with the final NUL, or 0 when malformed. */
static size_t ids_len(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && *q) {
        const char *nul = memchr(q, '\0', (size_t)(end - q));
        if (!nul)
            return 0;
        q = nul + 1;
    }
    return q < end ? (size_t)(q - p) + 1 : 0;
}

/* A payload is whole records or nothing is trusted of it. */
static bool records_ok(const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        size_t n;
        if (end - p < 3 || p[0] < 'A' || p[0] > 'Z' || p[1] < 'A' || p[1] > 'Z' || p[2] ||
            !(n = ids_len(p + 3, end)))
            return false;
        p += 3 + n;
    }
    return true;
}

struct pfi_tz_ids_memo *pfi_tz_ids_memo_open(void)
{
    if (!pfi_cache_enabled())
        return NULL; /* no memo: get asks ICU, as a memo would on a miss */
    struct pfi_tz_ids_memo *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    /* What ICU's answers depend on (tz_icu.h), worked out without ICU. */
    char ident[PFI_TZ_IDENT_MAX], key[PFI_TZ_IDENT_MAX + 32];
    if (!pfi_icu_identity(ident, sizeof ident)) {
        free(m);
        return NULL;
    }
    snprintf(key, sizeof key, "icu-zones 2\n%s", ident);
    pf_sha256(key, strlen(key), m->key);
    char *old = NULL;
    size_t old_len = 0;
    if (pfi_cache_read("icu-zones", m->key, &old, &old_len))
        pfi_tz_ids_memo_adopt(m, old, old_len);
    return m;
}

void pfi_tz_ids_memo_adopt(struct pfi_tz_ids_memo *m, char *payload, size_t len)
{
    if (payload && records_ok(payload, len)) {
        m->old = payload;
        m->old_len = len;
    } else {
        free(payload);
    }
}

struct pfi_tz_ids_memo *pfi_tz_ids_memo_blank(void)
{
    return calloc(1, sizeof(struct pfi_tz_ids_memo));
}

pf_status pfi_tz_ids_memo_get(struct pfi_tz_ids_memo *m, const char *region, char **ids)
{
    if (!m || strlen(region) != 2)
        return pfi_tz_region_ids(region, ids);
    /* No file read: old is NULL, and NULL + 0 is undefined. */
    const char *end = m->old ? m->old + m->old_len : NULL;
    for (const char *p = m->old; p && p < end;) {
        size_t n = ids_len(p + 3, end);
        if (memcmp(p, region, 2) == 0) {
            if (!(*ids = malloc(n)))
                return PF_E_NOMEM;
            memcpy(*ids, p + 3, n);
            return PF_OK;
        }
        p += 3 + n;
    }
    pf_status st = pfi_tz_region_ids(region, ids);
    if (st != PF_OK)
        return st;
    /* Remember it; failing to is no failure of the lookup. */
    size_t n = 1; /* the list's length with its final empty id */
    for (const char *q = *ids; *q; q += strlen(q) + 1)
        n += strlen(q) + 1;
    if (m->add_len + 3 + n > m->add_cap) {
        size_t cap = (m->add_len + 3 + n) * 2;
        char *a = realloc(m->add, cap);
        if (!a)
            return PF_OK;
        m->add = a;
        m->add_cap = cap;
    }
    memcpy(m->add + m->add_len, region, 2);
    m->add[m->add_len + 2] = '\0';
    memcpy(m->add + m->add_len + 3, *ids, n);
    m->add_len += 3 + n;
    return PF_OK;
}

void pfi_tz_ids_memo_close(struct pfi_tz_ids_memo *m)
{
    if (!m)
        return;
    if (m->add_len) {
        char *all = malloc(m->old_len + m->add_len);
        if (all) {
            if (m->old_len)
                memcpy(all, m->old, m->old_len);
            memcpy(all + m->old_len, m->add, m->add_len);
            (void)pfi_cache_write("icu-zones", m->key, all, m->old_len + m->add_len);
            free(all);
        }
    }
    free(m->old);
    free(m->add);
    free(m);
}
