/*
 * engine.h — the decision engine: one call answers "may this message go to
 * this number, from this sender, now?" with a verdict and every reason
 * (SPEC §3).
 *
 * A pf_session (session.h) holds the country table, rule set and config,
 * loaded once and shared read-only by any number of checkers; a checker is
 * per thread (it owns a scanner and time-zone calendars).
 */
#ifndef PREFLIGHT_ENGINE_H
#define PREFLIGHT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "countries.h"
#include "findings.h"
#include "number.h"
#include "scan.h"
#include "segments.h"
#include "session.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pf_verdict_kind {
    PF_VERDICT_PASS = 0,
    PF_VERDICT_WARN,
    PF_VERDICT_BLOCK
} pf_verdict_kind;

/* "pass", "warn", "block". */
PF_EXTERN const char *pf_verdict_name(pf_verdict_kind v);

/* What the message is for; decides promotional-only quiet hours. */
typedef enum pf_purpose {
    PF_PURPOSE_UNKNOWN = 0,   /* promotional-only windows warn */
    PF_PURPOSE_TRANSACTIONAL, /* promotional-only windows do not apply */
    PF_PURPOSE_PROMOTIONAL    /* promotional-only windows block */
} pf_purpose;

typedef struct pf_check_input {
    const char *to; /* recipient as given */
    size_t to_len;
    const char *message; /* UTF-8 */
    size_t message_len;
    const char *agent_number; /* sender (E.164), or NULL to select one */
    pf_first_message first_message;
    pf_purpose purpose;
    int64_t send_time;           /* Unix time, seconds */
    const char *region;          /* region for a recipient without '+' (else the config's) */
    int environment;             /* pf_environment, or -1 for the config's */
    const char *const *disabled; /* extra rule ids to skip */
    size_t disabled_count;
} pf_check_input;

/* Defaults: no sender, first message unknown, purpose unknown, time 0. */
PF_EXTERN pf_check_input pf_check_input_default(void);

typedef struct pf_verdict {
    pf_verdict_kind verdict;
    /* SPEC §3 user_number */
    pf_number user;
    bool user_parsed;
    /* SPEC §3 agent_number; has_agent false when no sender is known */
    bool has_agent;
    bool agent_auto; /* selected: auto (else explicit) */
    char agent_e164[24];
    pf_sender_type agent_kind; /* PF_SENDER_UNKNOWN when no sender is known */
    char agent_region[4];
    /* SPEC §3 message */
    bool has_message; /* false when the text could not be segmented */
    pf_encoding encoding;
    size_t characters;
    size_t segments;
    pf_finding_list findings; /* sorted: block first */
} pf_verdict;

PF_EXTERN void pf_verdict_init(pf_verdict *v);
PF_EXTERN void pf_verdict_clear(pf_verdict *v);

/* The verdict a list of findings makes: its highest severity (info never
 * counts), pass for an empty list. */
PF_EXTERN pf_verdict_kind pf_verdict_from_findings(const pf_finding_list *findings);

/* Flags for pf_verdict_to_json. */
#define PF_JSON_PRETTY 0x1u  /* indented, as `preflight check --format json` prints it */
#define PF_JSON_NEWLINE 0x2u /* end with a newline */

/*
 * The verdict as SPEC §3 JSON, byte for byte what `preflight check
 * --format json` prints (with PF_JSON_PRETTY | PF_JSON_NEWLINE), into a
 * NUL-terminated heap string the caller frees; *len (may be NULL) gets its
 * length. Input text is cleaned to valid UTF-8 first.
 */
PF_EXTERN pf_status pf_verdict_to_json(const pf_verdict *v, unsigned flags, char **out, size_t *len);

typedef struct pf_checker pf_checker;

/*
 * A checker over a session (session.h): one per thread, it owns a scanner,
 * time-zone calendars and a geocoder memo. It holds a reference to the
 * session, so the session outlives it whatever the caller does.
 */
PF_EXTERN pf_status pf_checker_create(pf_session *session, pf_checker **out, pf_diag *diag);
PF_EXTERN void pf_checker_destroy(pf_checker *c);

/*
 * Check one send. PF_OK whenever a verdict was produced, however bad the
 * input (a malformed number or invalid UTF-8 are findings or an error
 * status in diag); other statuses mean the check itself failed (memory).
 * The caller clears *out with pf_verdict_clear.
 */
PF_EXTERN pf_status pf_checker_check(pf_checker *c, const pf_check_input *in, pf_verdict *out, pf_diag *diag);

/*
 * Parse an ISO 8601 date-time with a UTC offset ("2026-11-26T14:30:00Z",
 * "2026-11-26T09:30-05:00", fractional seconds allowed) into Unix seconds.
 * PF_E_SYNTAX when it does not parse or has no offset.
 */
PF_EXTERN pf_status pf_time_parse(const char *text, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif
