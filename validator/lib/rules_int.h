/*
 * rules_int.h — the compiled rule set, shared by rules.c (loading and
 * compiling) and scan.c (matching).
 */
#ifndef PREFLIGHT_RULES_INT_H
#define PREFLIGHT_RULES_INT_H

#include <stdbool.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cjson/cJSON.h>

#include "preflight/scan.h"

enum pfi_builtin { PFI_BUILTIN_URL = 0, PFI_BUILTIN_PHONE, PFI_BUILTIN_BRAND };

enum pfi_escalate {
    PFI_ESC_NONE = 0,
    PFI_ESC_URL_SHORTENERS,
    PFI_ESC_URLS,
    PFI_ESC_PHONE_NUMBERS,
    PFI_ESC_CHAT_APPS,
    PFI_ESC_CATEGORY
};

/* One weighted signal of a signals rule: another rule of the set. */
struct pfi_model;

struct pfi_signal {
    const char *id; /* points into the pack's cJSON tree */
    size_t rule;    /* index into pf_ruleset.rules, resolved after loading */
    int weight;
};

/* A compiled pattern, or NULL until its first use when the set was loaded
 * lazily (see pfi_rule_code); published with a compare-and-swap. */
typedef pcre2_code *_Atomic pfi_code_slot;

/*
 * Strings and lists "into the cJSON tree" are, in a set read from the
 * rule-set snapshot (rules_snap.c), in its block (pf_ruleset.snap) instead.
 * A field added here must be written and read back there, and compared by
 * tests/unit/test_rules_snap.c.
 */
struct pfi_rule {
    pf_rule_info info;     /* strings point into the pack's cJSON tree */
    pfi_code_slot *codes;  /* pattern, words (one code) or require */
    char **sources;     /* each code's pattern text, for the one-pass prefilter */
    size_t ncodes;
    size_t code_base; /* index of codes[0] among all codes of the set (onepass.c) */
    bool caseless;
    const char **words; /* words matcher: the list (into the cJSON tree), for onepass.c */
    size_t nwords;
    pfi_code_slot *except; /* a match inside a match of one of these is no finding */
    const char **except_src; /* each except pattern's text (into the cJSON tree) */
    size_t nexcept;
    bool jit;                /* JIT-compile codes compiled on first use */
    const char **domains; /* sorted, lower case */
    size_t ndomains;
    enum pfi_builtin builtin;
    const char *const *countries; /* NULL: every country */
    size_t ncountries;
    const char *const *excluded;
    size_t nexcluded;
    unsigned senders; /* bit (1u << pf_sender_type) per sender; 0 = every sender */
    enum pfi_escalate escalate;
    bool escalate_with_url;
    unsigned number_types;      /* phone_number builtin: bit per pf_number_type; 0 = every type */
    struct pfi_signal *signals; /* signals matcher */
    size_t nsignals;
    int threshold;
    bool when_unflagged; /* signals: only when no other rule reported at warn or block */
    struct pfi_model *model; /* model matcher (model.c) */
    size_t pack, index;  /* where the rule is: pack number and index in its rules array */
};

struct pf_ruleset {
    cJSON **docs; /* one per pack, kept for the strings (none from a snapshot) */
    size_t ndocs;
    char **files; /* pack names, one per pack */
    size_t nfiles;
    struct pfi_rule *rules; /* in load order, overridden ids replaced */
    size_t count;
    pcre2_code *url;             /* the one URL pattern */
    size_t ncodes;               /* codes of all rules, plus the URL pattern (index ncodes - 1) */
    struct pfi_onepass *onepass; /* NULL: no one-pass prefilter (onepass.c) */
    bool lazy;                   /* patterns compiled on first use */
    /* A set read from the start-up cache (rules_snap.c): one block, the
     * string pool and then every array the rules point to; docs are then
     * empty. NULL: loaded from the packs' JSON, each array its own. */
    void *snap;
};

/* The escalate names by enum pfi_escalate ("" for none): pf_rule_info's escalate. */
extern const char *const pfi_escalate_names[];

/*
 * The rule-set snapshot (rules_snap.c; the start-up cache's
 * "rules-snapshot", keyed by the packs' lazy key and this version).
 * pfi_rules_snapshot: a set's rules as bytes (false: out of memory).
 * pfi_rules_snap_read: fill set (new, its files named, no rules yet) from
 * them, every code left to be compiled on first use, JIT when jit; false
 * (and set left without rules) when they are not well formed or memory
 * ran out. pfi_rules_snap_drop frees what a snapshot set's rules hold.
 */
#define PFI_RULES_SNAP_VERSION 1u
bool pfi_rules_snapshot(const pf_ruleset *set, char **buf, size_t *len);
bool pfi_rules_snap_read(pf_ruleset *set, const char *buf, size_t len, bool jit);
void pfi_rules_snap_drop(pf_ruleset *set);
/* Tests and fuzzing: a set from snapshot bytes and the packs' names, with
 * no prefilter (PF_E_SYNTAX: not well formed); whether a set came from one. */
pf_status pfi_rules_from_snapshot(const char *buf, size_t len, const char *const *names, size_t n,
                                  pf_ruleset **out);
bool pfi_rules_snapped(const pf_ruleset *set);

/* The URL pattern's text (rules.c); onepass.c relies on its every form having a
 * dot followed by a letter (url_may_match). */
extern const char pfi_url_pattern[];

/*
 * The one-pass prefilter (onepass.c): one pass over the message tells
 * which codes may match; only those run in PCRE2, which decides the spans.
 * A code it cannot judge is always a candidate. Built unless the build
 * turns it off (PF_ONEPASS=OFF): then every code is a candidate.
 */
pf_status pfi_onepass_build(pf_ruleset *set);
void pfi_onepass_free(struct pfi_onepass *op);
/* The same, from the start-up cache when it has the prefilter for key (the
 * pack set's key, rules.c), else built and written there. */
pf_status pfi_onepass_build_cached(pf_ruleset *set, const uint8_t key[32]);
/* The prefilter's bytes, and a prefilter from them (NULL: not well formed);
 * for the cache and the tests. */
bool pfi_onepass_serialize(const struct pfi_onepass *op, size_t ncodes, char **buf, size_t *len);
struct pfi_onepass *pfi_onepass_deserialize(const char *buf, size_t len, size_t ncodes);

/* Per-scanner scratch space; *out stays NULL when the set has no prefilter. */
pf_status pfi_onepass_scratch(const pf_ruleset *set, void **out);
void pfi_onepass_scratch_free(void *scratch);
/* No offset limit: PCRE2's PCRE2_UNSET. */
#define PF_NO_LIMIT (~(size_t)0)
/*
 * cand[i] = 1 for each code i (of set->ncodes) that may match msg, 0 for
 * each that cannot. The message is valid UTF-8. Without a prefilter, or on
 * any engine error, every code is a candidate (the PCRE2-only answer).
 * No match of code i starts after limit[i] (PCRE2's offset limit;
 * PF_NO_LIMIT when nothing is known). Only the entries of codes it can
 * bound are written: the others must hold PF_NO_LIMIT already (the
 * scanner sets them once). Codes are compiled with PCRE2_USE_OFFSET_LIMIT
 * for it (rules.c).
 */
void pfi_onepass_candidates(const pf_ruleset *set, void *scratch, const char *msg, size_t len,
                            unsigned char *cand, size_t *limit);
/* Tests: the scan's table of folded ASCII bytes is fold()'s answer for each. */
bool pfi_onepass_folds_ok(void);
/* How many codes the prefilter can rule out (filtered) and cannot (absent); prefilter is 0. */
void pfi_onepass_stats(const pf_ruleset *set, size_t *exact, size_t *prefilter, size_t *absent);
/* Tests and benchmarks: turn the prefilter off (PCRE2 only) or on for one scanner. */
void pfi_scanner_set_onepass(pf_scanner *s, bool on);
/* Tests and benchmarks: the exact memo of whole scans (scan.c), on by default. */
void pfi_scanner_set_memo(pf_scanner *s, bool on);
size_t pfi_scanner_memo_hits(const pf_scanner *s);
/* Tests: remember the rules in effect for the last scope (on by default),
 * or work them out from pfi_rule_applies for every message. */
void pfi_scanner_set_scope_memo(pf_scanner *s, bool on);

/*
 * Rule r's code c and except pattern e, compiled on first use when the set
 * was loaded lazily (rules.c: only rule files that compiled in full
 * before, by the start-up cache). Thread-safe; NULL only when compiling
 * fails for want of memory.
 */
const pcre2_code *pfi_rule_code(const struct pfi_rule *r, size_t c);
const pcre2_code *pfi_rule_except(const struct pfi_rule *r, size_t e);
/* Tests: whether set's patterns were left to be compiled on first use. */
bool pfi_rules_lazy(const pf_ruleset *set);

/* Is rule r in effect for these options (scope, disabled list)? */
bool pfi_rule_applies(const struct pfi_rule *r, const pf_scan_options *o);

#endif
