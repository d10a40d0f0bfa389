/*
 * tz_int.h — local times in time zones (ICU calendars), cached per checker
 * so a batch does not reopen calendars for every row.
 */
#ifndef PREFLIGHT_TZ_INT_H
#define PREFLIGHT_TZ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "preflight/status.h"

struct pfi_tz_cache;

struct pfi_local_time {
    const char *zone; /* IANA id, e.g. "America/New_York" (owned by the cache) */
    unsigned minute;  /* minutes after local midnight */
    unsigned weekday; /* 0 Monday .. 6 Sunday */
};

pf_status pfi_tz_cache_create(struct pfi_tz_cache **out);
void pfi_tz_cache_destroy(struct pfi_tz_cache *c);

/*
 * The local time at Unix time t in every canonical zone of region (ISO
 * alpha-2). Stores up to cap entries; returns how many zones the region
 * has (0 when ICU knows none), or -1 on failure.
 */
long pfi_tz_local_times(struct pfi_tz_cache *c, const char *region, int64_t t,
                        struct pfi_local_time *out, size_t cap);

/* The same for the n zones named in zones (IANA ids); -1 on failure. */
long pfi_tz_local_times_in(struct pfi_tz_cache *c, const char *const *zones, size_t n, int64_t t,
                           struct pfi_local_time *out, size_t cap);

/* Whether the last pfi_tz_local_times* failure was for want of memory. */
bool pfi_tz_out_of_memory(const struct pfi_tz_cache *c);

/* Is zone one of ICU's canonical location zones of region? */
bool pfi_tz_zone_in_region(const char *zone, const char *region);

/*
 * The same question for many zones of one region at one ICU enumeration:
 * *ids gets region's canonical location zones as "id\0id\0...\0\0"
 * (free() it). Each enumeration walks all of ICU's ~600 zones, so asking
 * pfi_tz_zone_in_region once per zone of timezones.json cost a cold start
 * about a third of its time.
 */
pf_status pfi_tz_region_ids(const char *region, char **ids);
bool pfi_tz_ids_contain(const char *ids, const char *zone);

/*
 * pfi_tz_region_ids remembered across processes (cache_int.h, file
 * "icu-zones"): the lists depend only on ICU's version and its time zone
 * data version, which key the file. Open one memo per load, get each
 * region's list through it (the same answer as pfi_tz_region_ids, computed
 * so on a miss), close it to write what was missing. Never fails for the
 * cache's sake; NULL from open means "no memo", which get accepts.
 */
struct pfi_tz_ids_memo;
struct pfi_tz_ids_memo *pfi_tz_ids_memo_open(void);
pf_status pfi_tz_ids_memo_get(struct pfi_tz_ids_memo *m, const char *region, char **ids);
void pfi_tz_ids_memo_close(struct pfi_tz_ids_memo *m);

#endif
