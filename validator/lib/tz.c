/*
 * tz.c — time zones and their local times, through ICU's C calendar API
 * (thread-safe, unlike setenv("TZ") + localtime).
 *
 * A cache belongs to one checker, so to one thread: it keeps one opened
 * calendar per zone it has been asked about, and each region's zone list.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/uenum.h>
#include <unicode/ustring.h>

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

bool pfi_tz_out_of_memory(const struct pfi_tz_cache *c)
{
    return c->nomem;
}
