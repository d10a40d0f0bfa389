/*
 * countries.h — the country SMS table (data/countries.json, documented in
 * data/README.md): per region, whether SMS is delivered, replies, allowed
 * sender kinds, registrations, quiet hours, content bans and opt-out rules,
 * each fact with its source.
 *
 * The table is loaded once into an immutable object that any number of
 * threads may read at once. Structs point into the table; they live until
 * pf_countries_destroy.
 */
#ifndef PREFLIGHT_COUNTRIES_H
#define PREFLIGHT_COUNTRIES_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A fact that a source may or may not state. */
typedef enum pf_tri { PF_TRI_UNKNOWN = 0, PF_TRI_YES, PF_TRI_NO } pf_tri;

typedef enum pf_sender_kind {
    PF_SK_LONG_CODE_DOMESTIC = 0,
    PF_SK_LONG_CODE_INTERNATIONAL,
    PF_SK_TOLL_FREE,
    PF_SK_SHORT_CODE,
    PF_SK_ALPHANUMERIC,
    PF_SK_COUNT
} pf_sender_kind;

typedef enum pf_sender_status {
    PF_SS_UNKNOWN = 0,
    PF_SS_SUPPORTED,
    PF_SS_REGISTRATION_REQUIRED,
    PF_SS_NOT_SUPPORTED
} pf_sender_status;

typedef struct pf_registration {
    const char *name;
    unsigned senders; /* bit (1u << pf_sender_kind) per kind it applies to */
    const char *note;
    /* Not needed before first use by every sender of these kinds (only on
     * one network, only for some senders, or merely recommended). A
     * registration that is not optional makes its kinds
     * registration_required. */
    bool optional;
} pf_registration;

/* Local-time window in which traffic is barred; wraps midnight when
 * from > to. A send at `from` is inside, at `to` outside. */
typedef struct pf_quiet_window {
    unsigned from_minute; /* minutes after local midnight, 0..1439 */
    unsigned to_minute;
    unsigned days;         /* bit 0 Monday .. bit 6 Sunday: the day the window starts */
    bool promotional_only; /* applies to marketing traffic only */
} pf_quiet_window;

typedef enum pf_quiet_state {
    PF_QUIET_UNKNOWN = 0, /* no source says */
    PF_QUIET_NONE,        /* a source states there is no time restriction */
    PF_QUIET_WINDOWS      /* see quiet_windows */
} pf_quiet_state;

typedef struct pf_source {
    const char *url;
    const char *const *facts; /* field paths this source backs */
    size_t fact_count;
    /* A secondary source (an aggregator's table, a vendor's blog or guide
     * about a country it does not serve itself): "confidence": "low". */
    bool low_confidence;
} pf_source;

typedef struct pf_country {
    char code[3];
    const char *name;
    int calling_code;
    pf_tri sms;
    pf_tri two_way;
    pf_tri concatenation;
    const char *length_note; /* NULL when none */
    pf_tri landline_sms;
    pf_sender_status senders[PF_SK_COUNT];
    const pf_registration *registrations;
    size_t registration_count;
    const char *sender_id_rules; /* NULL when none */
    pf_quiet_state quiet;
    const pf_quiet_window *quiet_windows;
    size_t quiet_window_count;
    pf_tri url_shorteners_banned;
    pf_tri urls_banned;
    pf_tri phone_numbers_banned;
    pf_tri chat_app_links_banned;
    bool banned_categories_known;
    const char *const *banned_categories;
    size_t banned_category_count;
    pf_tri opt_out_required;
    bool opt_out_keywords_known;
    const char *const *opt_out_keywords;
    size_t opt_out_keyword_count;
    const char *notes;
    const pf_source *sources;
    size_t source_count;
    char reviewed[11]; /* "YYYY-MM-DD", or "" when not reviewed */
} pf_country;

typedef struct pf_countries pf_countries;

/*
 * Load the table from files, in order. A file whose top level says
 * "overlay": true is merged into what came before, field by field (later
 * wins); any other file is a full table and replaces what came before.
 * Every file is validated strictly; the first error is reported in diag
 * (file, line:column, key path) and nothing is returned.
 */
PF_EXTERN pf_status pf_countries_load(const char *const *files, size_t nfiles, pf_countries **out,
                            pf_diag *diag);

/* The same from in-memory documents (names are used in messages). */
PF_EXTERN pf_status pf_countries_load_buffers(const char *const *texts, const size_t *lens,
                                    const char *const *names, size_t n, pf_countries **out,
                                    pf_diag *diag);

PF_EXTERN void pf_countries_destroy(pf_countries *table);

/* O(1) lookup by region code (upper case); NULL when the table has none. */
PF_EXTERN const pf_country *pf_countries_get(const pf_countries *table, const char *code);

/* Entries sorted by code. */
PF_EXTERN size_t pf_countries_count(const pf_countries *table);
PF_EXTERN const pf_country *pf_countries_at(const pf_countries *table, size_t i);

/* The first source that backs a field path ("senders.alphanumeric"): a
 * source's fact names the field or an enclosing object. NULL when none. */
PF_EXTERN const pf_source *pf_country_source_for(const pf_country *c, const char *field);

/* Does source s back field (it names the field or an enclosing object)? */
PF_EXTERN bool pf_source_backs(const pf_source *s, const char *field);

/*
 * Field paths of c whose value is known (not unknown) but that no source
 * backs; up to cap are stored. Returns how many there are in all.
 */
PF_EXTERN size_t pf_country_unsourced(const pf_country *c, const char **fields, size_t cap);

/*
 * Field paths of c whose value is known but whose every backing source is
 * low-confidence; up to cap are stored. Returns how many there are.
 */
PF_EXTERN size_t pf_country_low_confidence(const pf_country *c, const char **fields, size_t cap);

/* True when field is known in c and only low-confidence sources back it. */
PF_EXTERN bool pf_country_fact_low_confidence(const pf_country *c, const char *field);

/* One broken invariant of the table (data/README.md, "One meaning per value"). */
typedef struct pf_country_issue {
    char code[3];
    const char *field; /* the field path at fault */
    char message[200];
} pf_country_issue;

/*
 * Check the invariants that tie an entry's values together, over the
 * whole table: every known fact is sourced; an unreviewed entry claims
 * nothing; a sender kind is registration_required exactly when a
 * registration that is not optional names it; two_way "yes" needs a
 * numeric sender kind that may send; sms "no" allows no sender kind.
 * Up to cap issues are stored; returns how many there are in all.
 */
PF_EXTERN size_t pf_countries_check(const pf_countries *table, pf_country_issue *issues, size_t cap);

/*
 * Time zones by area (data/timezones.json, documented in data/timezones.md):
 * for a multi-zone country, the IANA zones of each state or province, so
 * quiet hours are judged in the zones a number's area code can be in.
 * Every zone must be one ICU lists for that country. Zones are loaded
 * once, right after the table and before any checker reads it (a table is
 * never changed once shared): a second load is PF_E_INVALID. pf_session
 * does this for you.
 */
PF_EXTERN pf_status pf_countries_load_zones(pf_countries *table, const char *file, pf_diag *diag);
PF_EXTERN pf_status pf_countries_load_zones_buffer(pf_countries *table, const char *text, size_t len,
                                         const char *name, pf_diag *diag);

/*
 * The zones of the area(s) that libphonenumber's description of a number
 * names in region: "San Francisco, CA" -> CA; "Ontario" -> ON; "Nova
 * Scotia/Prince Edward Island" -> both, zones merged. Up to cap zone ids
 * (owned by the table) go to zones, the area codes to area ("NS/PE").
 * Returns the number of zones, 0 when the description names no known area
 * (then every zone of the country applies).
 */
PF_EXTERN size_t pf_countries_area_zones(const pf_countries *table, const char *region,
                               const char *description, const char **zones, size_t cap, char *area,
                               size_t area_cap);

/* Names: "yes"/"no"/"unknown", "supported"/..., "long_code_domestic"/... */
PF_EXTERN const char *pf_tri_name(pf_tri t);
PF_EXTERN const char *pf_sender_status_name(pf_sender_status s);
PF_EXTERN const char *pf_sender_kind_name(pf_sender_kind k);

#ifdef __cplusplus
}
#endif

#endif
