/*
 * tz_icu.c — the library's ICU calls, all of them (tz_icu.h): calendars
 * of time zones (ICU's C API, thread-safe unlike setenv("TZ") +
 * localtime), their offset transitions, the zones of a region, the
 * Unicode decimal digit property.
 *
 * Built into the number module (phone_module.h) beside libphonenumber,
 * which needs ICU too: the library reaches these through the module's
 * table (phone_dl.c), so nothing of ICU is mapped until one is called.
 * It uses nothing of the library but the status codes.
 */
#include "tz_icu.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <unicode/ucal.h>
#include <unicode/uchar.h>
#include <unicode/uenum.h>
#include <unicode/ustring.h>

struct pfi_icu_zone {
    UCalendar *cal;
};

/* ---- calendars ---- */

struct pfi_icu_zone *pfi_icu_zone_open(const char *id)
{
    struct pfi_icu_zone *z = malloc(sizeof *z);
    if (!z)
        return NULL;
    UChar uid[64];
    UErrorCode err = U_ZERO_ERROR;
    u_uastrncpy(uid, id, 63);
    uid[63] = 0;
    z->cal = ucal_open(uid, -1, "en_US_POSIX", UCAL_GREGORIAN, &err);
    if (U_FAILURE(err) || !z->cal) {
        if (z->cal)
            ucal_close(z->cal);
        free(z);
        return NULL;
    }
    return z;
}

void pfi_icu_zone_close(struct pfi_icu_zone *z)
{
    if (!z)
        return;
    ucal_close(z->cal);
    free(z);
}

bool pfi_icu_local_time(struct pfi_icu_zone *z, int64_t t, unsigned *minute, unsigned *weekday)
{
    UErrorCode err = U_ZERO_ERROR;
    ucal_setMillis(z->cal, (UDate)t * 1000.0, &err);
    int32_t h = ucal_get(z->cal, UCAL_HOUR_OF_DAY, &err);
    int32_t m = ucal_get(z->cal, UCAL_MINUTE, &err);
    int32_t dow = ucal_get(z->cal, UCAL_DAY_OF_WEEK, &err); /* 1 Sunday .. 7 Saturday */
    if (U_FAILURE(err))
        return false;
    *minute = (unsigned)(h * 60 + m);
    *weekday = (unsigned)((dow + 5) % 7);
    return true;
}

/* The total offset in force at the calendar's time, in whole seconds. */
static bool offset_now(UCalendar *cal, int32_t *out)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t ms = ucal_get(cal, UCAL_ZONE_OFFSET, &err) + ucal_get(cal, UCAL_DST_OFFSET, &err);
    if (U_FAILURE(err) || ms % 1000 != 0)
        return false;
    *out = ms / 1000;
    return true;
}

pf_status pfi_icu_offsets(struct pfi_icu_zone *z, int64_t from, int64_t to, int32_t *initial,
                          int64_t **at, int32_t **offset, size_t *n, size_t max)
{
    UErrorCode err = U_ZERO_ERROR;
    int64_t *a = NULL;
    int32_t *o = NULL, cur;
    size_t k = 0, cap = 0;
    pf_status st = PF_E_INTERNAL;
    ucal_setMillis(z->cal, (UDate)from * 1000.0, &err);
    if (U_FAILURE(err) || !offset_now(z->cal, &cur))
        goto out;
    *initial = cur;
    UDate prev = (UDate)from * 1000.0, d;
    for (;;) {
        /* The next instant after the calendar's time where the zone's
         * rules change anything (a change of name or of the split between
         * standard and daylight time may leave the total as it was). */
        UBool more = ucal_getTimeZoneTransitionDate(z->cal, UCAL_TZ_TRANSITION_NEXT, &d, &err);
        if (U_FAILURE(err))
            goto out;
        if (!more || d >= (UDate)to * 1000.0)
            break;
        if (!(d > prev) || d != floor(d) || fmod(d, 1000.0) != 0.0)
            goto out; /* not increasing, or not a whole second */
        prev = d;
        ucal_setMillis(z->cal, d, &err);
        int32_t off;
        if (U_FAILURE(err) || !offset_now(z->cal, &off))
            goto out;
        if (off == cur)
            continue;
        if (k == max) {
            st = PF_E_LIMIT;
            goto out;
        }
        if (k == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            int64_t *na = realloc(a, ncap * sizeof *na);
            if (na)
                a = na;
            int32_t *no = na ? realloc(o, ncap * sizeof *no) : NULL;
            if (!no) {
                st = PF_E_NOMEM;
                goto out;
            }
            o = no;
            cap = ncap;
        }
        a[k] = (int64_t)(d / 1000.0);
        o[k++] = cur = off;
    }
    *at = a;
    *offset = o;
    *n = k;
    return PF_OK;
out:
    free(a);
    free(o);
    return st;
}

/* ---- zones of a region ---- */

pf_status pfi_icu_region_ids(const char *region, char **ids)
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
       pfi_icu_zone_in_region. */
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

bool pfi_icu_zone_in_region(const char *zone, const char *region)
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

/* ---- characters ---- */

bool pfi_icu_is_decimal_digit(uint32_t cp)
{
    return u_charType((UChar32)cp) == U_DECIMAL_DIGIT_NUMBER;
}
