/*
 * tz.c — a region's time zones and their local times, through ICU's C
 * calendar API (thread-safe, unlike setenv("TZ") + localtime).
 *
 * A cache belongs to one checker, so one thread: it keeps the opened
 * calendars of every region it has been asked about.
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
    struct zone *zones;
    size_t count;
};

struct pfi_tz_cache {
    struct region_zones *regions;
    size_t count;
    size_t cap;
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
    for (size_t i = 0; i < c->count; i++) {
        for (size_t k = 0; k < c->regions[i].count; k++)
            ucal_close(c->regions[i].zones[k].cal);
        free(c->regions[i].zones);
    }
    free(c->regions);
    free(c);
}

/* Open every canonical location zone of region. */
static pf_status open_region(struct region_zones *rz, const char *region)
{
    UErrorCode err = U_ZERO_ERROR;
    UEnumeration *e =
        ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_CANONICAL_LOCATION, region, NULL, &err);
    pf_status st = PF_OK;
    size_t cap = 0;

    memcpy(rz->region, region, 2);
    rz->region[2] = '\0';
    if (U_FAILURE(err))
        return PF_OK; /* ICU knows no zone for it: an empty list */
    const UChar *id;
    int32_t len;
    while ((id = uenum_unext(e, &len, &err)) != NULL && U_SUCCESS(err)) {
        if (rz->count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct zone *nz = realloc(rz->zones, ncap * sizeof *nz);
            if (!nz) {
                st = PF_E_NOMEM;
                break;
            }
            rz->zones = nz;
            cap = ncap;
        }
        struct zone *z = &rz->zones[rz->count];
        UErrorCode cerr = U_ZERO_ERROR;
        z->cal = ucal_open(id, len, "en_US_POSIX", UCAL_GREGORIAN, &cerr);
        if (U_FAILURE(cerr) || !z->cal) {
            st = PF_E_INTERNAL;
            break;
        }
        u_austrncpy(z->id, id, (int32_t)sizeof z->id - 1);
        z->id[sizeof z->id - 1] = '\0';
        rz->count++;
    }
    uenum_close(e);
    return st;
}

long pfi_tz_local_times(struct pfi_tz_cache *c, const char *region, int64_t t,
                        struct pfi_local_time *out, size_t cap)
{
    struct region_zones *rz = NULL;
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->regions[i].region, region) == 0)
            rz = &c->regions[i];
    }
    if (!rz) {
        if (c->count == c->cap) {
            size_t ncap = c->cap ? c->cap * 2 : 8;
            struct region_zones *nr = realloc(c->regions, ncap * sizeof *nr);
            if (!nr)
                return -1;
            c->regions = nr;
            c->cap = ncap;
        }
        rz = &c->regions[c->count];
        memset(rz, 0, sizeof *rz);
        if (open_region(rz, region) != PF_OK) {
            for (size_t k = 0; k < rz->count; k++)
                ucal_close(rz->zones[k].cal);
            free(rz->zones);
            return -1;
        }
        c->count++;
    }
    for (size_t i = 0; i < rz->count && i < cap; i++) {
        UErrorCode err = U_ZERO_ERROR;
        UCalendar *cal = rz->zones[i].cal;
        ucal_setMillis(cal, (UDate)t * 1000.0, &err);
        int32_t h = ucal_get(cal, UCAL_HOUR_OF_DAY, &err);
        int32_t m = ucal_get(cal, UCAL_MINUTE, &err);
        int32_t dow = ucal_get(cal, UCAL_DAY_OF_WEEK, &err); /* 1 Sunday .. 7 Saturday */
        if (U_FAILURE(err))
            return -1;
        out[i].zone = rz->zones[i].id;
        out[i].minute = (unsigned)(h * 60 + m);
        out[i].weekday = (unsigned)((dow + 5) % 7);
    }
    return (long)rz->count;
}
