/*
 * tz.c — time zones and their local times, through ICU's C calendar API
 * (thread-safe, unlike setenv("TZ") + localtime).
 *
 * A cache belongs to one checker, so to one thread: it keeps one opened
 * calendar per zone it has been asked about, and each region's zone list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/ustring.h>

#include "cache_int.h"
#include "preflight/journal.h"
#include "tz_int.h"

struct zone {
    char id[64];
    UCalendar *cal;
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
    bool nomem; /* the last lookup failed for want of memory */
};

pf_status pfi_tz_cache_create(struct pfi_tz_cache **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? PF_OK : PF_E_NOMEM;
}

void pfi_tz_cache_destroy(struct pfi_tz_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nzones; i++)
        ucal_close(c->zones[i].cal);
    for (size_t i = 0; i < c->nregions; i++)
        free(c->regions[i].zones);
    free(c->zones);
    free(c->regions);
    free(c);
}

/* The cache index of zone id (opening its calendar once), or -1. */
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
    UChar uid[64];
    UErrorCode err = U_ZERO_ERROR;
    u_uastrncpy(uid, id, 63);
    uid[63] = 0;
    UCalendar *cal = ucal_open(uid, -1, "en_US_POSIX", UCAL_GREGORIAN, &err);
    if (U_FAILURE(err) || !cal)
        return -1;
    struct zone *z = &c->zones[c->nzones];
    strcpy(z->id, id);
    z->cal = cal;
    return (long)c->nzones++;
}

/* Every canonical location zone of region, listed once per cache. */
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
    struct region_zones *rz = &c->regions[c->nregions];
    memset(rz, 0, sizeof *rz);
    memcpy(rz->region, region, 2);
    UErrorCode err = U_ZERO_ERROR;
    UEnumeration *e =
        ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, region, NULL, &err);
    if (U_FAILURE(err)) {
        c->nregions++; /* ICU knows no zone for it: an empty list */
        return rz;
    }
    const char *id;
    int32_t len;
    size_t cap = 0;
    bool ok = true;
    while (ok && (id = uenum_next(e, &len, &err)) != NULL && U_SUCCESS(err)) {
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
    uenum_close(e);
    if (!ok) {
        free(rz->zones);
        return NULL;
    }
    c->nregions++;
    return rz;
}

static bool local_time(struct zone *z, int64_t t, struct pfi_local_time *out)
{
    UErrorCode err = U_ZERO_ERROR;
    ucal_setMillis(z->cal, (UDate)t * 1000.0, &err);
    int32_t h = ucal_get(z->cal, UCAL_HOUR_OF_DAY, &err);
    int32_t m = ucal_get(z->cal, UCAL_MINUTE, &err);
    int32_t dow = ucal_get(z->cal, UCAL_DAY_OF_WEEK, &err); /* 1 Sunday .. 7 Saturday */
    if (U_FAILURE(err))
        return false;
    out->zone = z->id;
    out->minute = (unsigned)(h * 60 + m);
    out->weekday = (unsigned)((dow + 5) % 7);
    return true;
}

long pfi_tz_local_times(struct pfi_tz_cache *c, const char *region, int64_t t,
                        struct pfi_local_time *out, size_t cap)
{
    c->nomem = false;
    struct region_zones *rz = region_zones(c, region);
    if (!rz)
        return -1;
    for (size_t i = 0; i < rz->count && i < cap; i++) {
        if (!local_time(&c->zones[rz->zones[i]], t, &out[i]))
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
        if (zi < 0 || !local_time(&c->zones[zi], t, &out[i]))
            return -1;
    }
    return (long)n;
}

bool pfi_tz_zone_in_region(const char *zone, const char *region)
{
    UErrorCode err = U_ZERO_ERROR;
    UEnumeration *e =
        ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, region, NULL, &err);
    bool found = false;
    const char *id;
    int32_t len;
    while (U_SUCCESS(err) && !found && (id = uenum_next(e, &len, &err)) != NULL)
        found = strcmp(id, zone) == 0;
    uenum_close(e);
    return found;
}

pf_status pfi_tz_region_ids(const char *region, char **ids)
{
    UErrorCode err = U_ZERO_ERROR;
    UEnumeration *e =
        ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, region, NULL, &err);
    size_t n = 0, cap = 256;
    char *buf = malloc(cap);
    pf_status st = buf ? PF_OK : PF_E_NOMEM;
    const char *id;
    int32_t len;
    /* An enumeration that fails to open is an empty list, as in
       pfi_tz_zone_in_region. */
    while (st == PF_OK && U_SUCCESS(err) && (id = uenum_next(e, &len, &err)) != NULL) {
        size_t l = strlen(id) + 1;
        if (n + l + 1 > cap) {
            size_t ncap = (n + l + 1) * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                st = PF_E_NOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + n, id, l);
        n += l;
    }
    uenum_close(e);
    if (st != PF_OK) {
        free(buf);
        return st;
    }
    buf[n] = 0;
    *ids = buf;
    return PF_OK;
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
    struct pfi_tz_ids_memo *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    /* What ICU's answers depend on: its version and its zone data's. */
    UVersionInfo v;
    char ver[U_MAX_VERSION_STRING_LENGTH], key[256];
    UErrorCode err = U_ZERO_ERROR;
    u_getVersion(v);
    u_versionToString(v, ver);
    const char *tzv = ucal_getTZDataVersion(&err);
    snprintf(key, sizeof key, "icu-zones 1\nicu %s\ntzdata %s\n", ver,
             U_SUCCESS(err) && tzv ? tzv : "?");
    pf_sha256(key, strlen(key), m->key);
    if (pfi_cache_read("icu-zones", m->key, &m->old, &m->old_len) &&
        !records_ok(m->old, m->old_len)) {
        free(m->old);
        m->old = NULL;
        m->old_len = 0;
    }
    return m;
}

pf_status pfi_tz_ids_memo_get(struct pfi_tz_ids_memo *m, const char *region, char **ids)
{
    if (!m || strlen(region) != 2)
        return pfi_tz_region_ids(region, ids);
    for (const char *p = m->old, *end = m->old + m->old_len; p && p < end;) {
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
