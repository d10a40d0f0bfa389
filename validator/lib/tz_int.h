/*
 * tz_int.h — local times in time zones, cached per checker so a batch does
 * not redo a zone's work for every row: offset tables from the start-up
 * cache where they can be had, ICU's calendars (tz_icu.h) where not.
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

/*
 * A zone's UTC offsets over [PFI_TZ_FROM, PFI_TZ_TO) (1900-01-01 to
 * 2200-01-01 UTC): initial is in force from the start, offset[i] from
 * at[i] on (Unix seconds, strictly increasing, each offset a change).
 * Made from ICU's transitions (build), kept in the start-up cache as file
 * "tz-<zone>" keyed by pfi_icu_identity, the zone and the format
 * (encode, decode: the bounds-checked reader, which refuses anything the
 * builder would not have written; load: read, else when build is true
 * build and write; pfi_cache_last() then says whether it was written).
 * pfi_tz_table_local gives what ICU's calendar gives for an instant in
 * the window, false outside it.
 */
#define PFI_TZ_FROM (-2208988800LL)
#define PFI_TZ_TO 7258118400LL
#define PFI_TZ_IDENT_MAX 4096
struct pfi_tz_table {
    int32_t initial;
    size_t n;
    int64_t *at;
    int32_t *offset;
};
pf_status pfi_tz_table_build(const char *zone, struct pfi_tz_table *out);
bool pfi_tz_table_encode(const char *zone, const struct pfi_tz_table *t, char **data, size_t *len);
bool pfi_tz_table_decode(const char *zone, const char *data, size_t len, struct pfi_tz_table *out);
bool pfi_tz_table_load(const char *ident, const char *zone, bool build, struct pfi_tz_table *out);
bool pfi_tz_table_local(const struct pfi_tz_table *t, int64_t at, unsigned *minute,
                        unsigned *weekday);
void pfi_tz_table_free(struct pfi_tz_table *t);

/* Whether the last pfi_tz_local_times* failure was for want of memory. */
bool pfi_tz_out_of_memory(const struct pfi_tz_cache *c);

/* Is zone one of ICU's canonical location zones of region? (One
 * enumeration per call: the trusted path.) */
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
/* The reader open uses on the file's payload, bare for fuzz_snapshot: a
 * memo with an all-zero key and nothing in it, and payload (malloc'ed,
 * taken over) made its content if it is whole records, else freed. */
struct pfi_tz_ids_memo *pfi_tz_ids_memo_blank(void);
void pfi_tz_ids_memo_adopt(struct pfi_tz_ids_memo *m, char *payload, size_t len);

#endif
