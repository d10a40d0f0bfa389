/*
 * tz_icu.h — every call the library makes into ICU (issue 20), behind
 * plain C types: tz_icu.c is built into the number module, and the
 * library's functions of these names (phone_dl.c) load it and call
 * through its table, failing as on an ICU failure when it cannot be
 * loaded. The phone number shim's use of icu::Locale is libphonenumber's.
 *
 * Nothing here is called on a warm `check`: local times come from offset
 * tables in the start-up cache (tz.c), the digit test from a table
 * generated from this ICU at build time (numfast.c). What remains is the
 * slow path those fast paths fall back to, and the trusted path their
 * differential tests compare with.
 */
#ifndef PREFLIGHT_TZ_ICU_H
#define PREFLIGHT_TZ_ICU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "preflight/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The text ICU-derived cache files are keyed by: the number module's
 * identity (phone_dl.c: the module and every library it maps, ICU's code
 * and data among them, ICU_DATA and ICU_TIMEZONE_FILES_DIR and the time
 * zone file there), known without loading the module once remembered —
 * computing a key must not cost what the cache saves. False when it
 * cannot be told: then no cache.
 */
bool pfi_icu_identity(char *buf, size_t cap);

/* One zone's calendar (IANA id). ICU opens an unknown id as GMT
 * ("Etc/Unknown"), and so does this; NULL only for want of memory or an
 * ICU failure. Close accepts NULL. */
struct pfi_icu_zone;
struct pfi_icu_zone *pfi_icu_zone_open(const char *id);
void pfi_icu_zone_close(struct pfi_icu_zone *z);

/* The local time at Unix time t (seconds): minutes after local midnight
 * and weekday, 0 Monday .. 6 Sunday; false when ICU fails. */
bool pfi_icu_local_time(struct pfi_icu_zone *z, int64_t t, unsigned *minute, unsigned *weekday);

/*
 * The zone's total UTC offset (standard + daylight, seconds) at from, and
 * every instant in (from, to) where it changes with the offset from then
 * on: *at and *offset get *n entries (malloc'd; free both), at most max.
 * PF_E_NOMEM; PF_E_LIMIT past max; PF_E_INTERNAL when ICU fails or gives
 * an instant or offset that is not whole seconds.
 */
pf_status pfi_icu_offsets(struct pfi_icu_zone *z, int64_t from, int64_t to, int32_t *initial,
                          int64_t **at, int32_t **offset, size_t *n, size_t max);

/* ICU's canonical location zones of region (ISO alpha-2; NULL: of every
 * region) as "id\0id\0...\0\0" into *ids (free() it); a region ICU knows
 * nothing of gets an empty list. PF_E_NOMEM only. */
pf_status pfi_icu_region_ids(const char *region, char **ids);

/* Is zone one of them (an enumeration of its own: the trusted path)? */
bool pfi_icu_zone_in_region(const char *zone, const char *region);

/* u_charType(cp) == U_DECIMAL_DIGIT_NUMBER: what the generated digit
 * table (numfast.c) must agree with. */
bool pfi_icu_is_decimal_digit(uint32_t cp);

#ifdef __cplusplus
}
#endif

#endif
