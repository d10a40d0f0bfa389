/*
 * scan.h — content rule packs (rules/ packs, documented in rules/README.md)
 * and the scanner that runs them over a message.
 *
 * Compile once, scan many: pf_rules_load compiles every rule to PCRE2
 * (with JIT) into an immutable rule set that threads share; each thread
 * scans with its own pf_scanner, which holds the per-thread match state.
 */
#ifndef PREFLIGHT_SCAN_H
#define PREFLIGHT_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "countries.h"
#include "findings.h"
#include "sender.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pf_ruleset pf_ruleset;
typedef struct pf_scanner pf_scanner;

/* Whether this is the first message to the contact. */
typedef enum pf_first_message { PF_FIRST_UNKNOWN = 0, PF_FIRST_YES, PF_FIRST_NO } pf_first_message;

typedef enum pf_matcher_kind {
    PF_MATCH_PATTERN = 0,
    PF_MATCH_WORDS,
    PF_MATCH_DOMAINS,
    PF_MATCH_REQUIRE,
    PF_MATCH_BUILTIN,
    PF_MATCH_SIGNALS, /* weighted combination of other rules' findings */
    PF_MATCH_MODEL    /* a statistical score (rules/README.md, "model"); warn at most */
} pf_matcher_kind;

/* What `preflight rules` shows of a loaded rule. */
typedef struct pf_rule_info {
    const char *id;
    const char *category;
    pf_severity severity;
    const char *message;
    const char *fix;
    const char *source;
    pf_matcher_kind matcher;
    const char *file; /* the pack it came from */
    bool first_message;
    const char *escalate; /* NULL when none */
} pf_rule_info;

/*
 * Load every *.json pack in each directory (in name order), directories in
 * order; a later rule with the same id replaces the earlier one. Any error
 * (bad JSON, unknown key, bad regex with PCRE2's message and offset,
 * duplicate id in one pack) fails the load with file, line:column and the
 * rule id in diag.
 */
PF_EXTERN pf_status pf_rules_load(const char *const *dirs, size_t ndirs, pf_ruleset **out, pf_diag *diag);

/* The same from in-memory packs (names are used in messages). */
PF_EXTERN pf_status pf_rules_load_buffers(const char *const *texts, const size_t *lens,
                                const char *const *names, size_t n, pf_ruleset **out,
                                pf_diag *diag);

/*
 * pf_rules_load with flags. PF_RULES_NO_JIT: leave the patterns to PCRE2's
 * interpreter. JIT-compiling every pattern costs several milliseconds, far
 * more than it saves on one message; a program that checks one message and
 * exits is faster without it, a batch or a server faster with it. Matches
 * are the same either way.
 */
#define PF_RULES_NO_JIT 1u
PF_EXTERN pf_status pf_rules_load_flags(const char *const *dirs, size_t ndirs, unsigned flags,
                                        pf_ruleset **out, pf_diag *diag);

PF_EXTERN void pf_rules_destroy(pf_ruleset *set);

PF_EXTERN size_t pf_rules_count(const pf_ruleset *set);
PF_EXTERN const pf_rule_info *pf_rules_at(const pf_ruleset *set, size_t i);
/* NULL when no rule has that id. */
PF_EXTERN const pf_rule_info *pf_rules_find(const pf_ruleset *set, const char *id);

typedef struct pf_scan_options {
    const char *country;             /* recipient region, or NULL: country-scoped rules skip */
    const pf_country *country_entry; /* its table entry, for escalation; may be NULL */
    pf_sender_type sender;           /* PF_SENDER_UNKNOWN: sender-scoped rules all run */
    pf_first_message first_message;
    const char *brand;           /* configured brand, or NULL */
    const char *const *disabled; /* rule ids not to run */
    size_t disabled_count;
} pf_scan_options;

PF_EXTERN pf_scan_options pf_scan_options_default(void);

PF_EXTERN pf_status pf_scanner_create(const pf_ruleset *set, pf_scanner **out);
PF_EXTERN void pf_scanner_destroy(pf_scanner *scanner);

/*
 * Run every applicable rule over msg (UTF-8, len bytes) and append the
 * findings to out. Invalid UTF-8 is PF_E_UTF8 with diag->offset set.
 */
PF_EXTERN pf_status pf_scanner_scan(pf_scanner *scanner, const char *msg, size_t len,
                          const pf_scan_options *opts, pf_finding_list *out, pf_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
