/*
 * campaign.h — pre-scan an A2P 10DLC campaign registration or a toll-free
 * verification before it is submitted (SPEC §6, `preflight campaign`).
 *
 * A campaign file is one JSON object (format and every check in
 * rules/campaign.md): brand, use case, description, message flow, sample
 * messages, opt-in / opt-out / HELP keywords and messages, privacy and
 * terms addresses, and the attributes the registration form asks for
 * (embedded links and phone numbers, age gating, direct lending, ...).
 *
 * pf_campaign_load* is strict (unknown keys, wrong types and bad values are
 * errors with file, line:column and key path); pf_campaign_check runs the
 * checks and gives campaign.* findings, each with the provider's error code
 * it anticipates (rejection_code), its documentation page (source) and the
 * line:column of the field it is about. A loaded campaign is immutable; a
 * result borrows source lines from its campaign and must not outlive it.
 */
#ifndef PREFLIGHT_CAMPAIGN_H
#define PREFLIGHT_CAMPAIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "findings.h"
#include "lint.h"
#include "scan.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest campaign file read (bytes). */
#define PF_CAMPAIGN_FILE_MAX (1u << 20)

typedef enum pf_campaign_kind {
    PF_CAMPAIGN_10DLC = 0, /* an A2P 10DLC campaign (The Campaign Registry) */
    PF_CAMPAIGN_TOLL_FREE  /* a toll-free verification request */
} pf_campaign_kind;

/* "10dlc", "toll-free". */
PF_EXTERN const char *pf_campaign_kind_name(pf_campaign_kind k);
/* Inverse; PF_E_NOT_FOUND for another name. */
PF_EXTERN pf_status pf_campaign_kind_from_name(const char *name, pf_campaign_kind *out);

typedef struct pf_campaign pf_campaign;

/* Read and check a campaign file (at most PF_CAMPAIGN_FILE_MAX bytes). */
PF_EXTERN pf_status pf_campaign_load(const char *path, pf_campaign **out, pf_diag *diag);
/* The same from memory; name is used in messages and results. */
PF_EXTERN pf_status pf_campaign_load_buffer(const char *text, size_t len, const char *name, pf_campaign **out,
                                  pf_diag *diag);
PF_EXTERN void pf_campaign_destroy(pf_campaign *c);

/* What a caller may want to show without running the checks. */
PF_EXTERN const char *pf_campaign_file(const pf_campaign *c);
PF_EXTERN const char *pf_campaign_brand(const pf_campaign *c);
PF_EXTERN const char *pf_campaign_use_case(const pf_campaign *c);

typedef struct pf_campaign_options {
    pf_campaign_kind kind;
    const char *const *disabled; /* campaign.* ids not to report */
    size_t disabled_count;
    /* Fetch the privacy policy and terms pages (libcurl): https only, plain
     * http only to a loopback address; redirects, size and time capped. */
    bool fetch;
    unsigned fetch_timeout_ms;    /* whole transfer; 0: 10 000 */
    size_t fetch_max_bytes;       /* a larger page is a finding; 0: 1 MiB */
    unsigned fetch_max_redirects; /* 0: 3 */
} pf_campaign_options;

PF_EXTERN pf_campaign_options pf_campaign_options_default(void);

/* Where a finding is: the field's position (or the span inside a string
 * value, through its JSON escapes) and its key path. at.countries is NULL. */
typedef struct pf_campaign_location {
    pf_lint_location at;
    char path[128]; /* "sample_messages[1]", "opt_out.keywords", "" for the document */
} pf_campaign_location;

typedef struct pf_campaign_result {
    const char *file;
    const char *brand;
    const char *use_case;
    pf_campaign_kind kind;
    pf_verdict_kind verdict;         /* the highest severity (info never counts) */
    size_t severity_count[3];        /* findings by pf_severity */
    pf_finding_list findings;        /* block first, then by position; rejection_code set */
    pf_campaign_location *locations; /* locations[i] is where findings.items[i] is */
} pf_campaign_result;

/*
 * Run every check over c. rules (required) are the content rule packs each
 * sample message is scanned with, as a US message from the campaign's kind
 * of sender. Only memory failures (and a missing argument) fail; an
 * unreachable page with opts->fetch is a finding, not an error.
 */
PF_EXTERN pf_status pf_campaign_check(const pf_campaign *c, const pf_ruleset *rules,
                            const pf_campaign_options *opts, pf_campaign_result **out,
                            pf_diag *diag);

PF_EXTERN void pf_campaign_result_destroy(pf_campaign_result *r);

/* Every campaign.* check: id, default severity, and its rejection code
 * and source for each kind (NULL code: the provider documents none). */
typedef struct pf_campaign_check_info {
    const char *id;
    pf_severity severity;
    const char *summary;
    const char *code_10dlc, *source_10dlc;
    const char *code_toll_free, *source_toll_free;
} pf_campaign_check_info;

PF_EXTERN size_t pf_campaign_check_count(void);
PF_EXTERN const pf_campaign_check_info *pf_campaign_check_at(size_t i);
/* NULL for an id that is no campaign check. */
PF_EXTERN const pf_campaign_check_info *pf_campaign_check_find(const char *id);

#ifdef __cplusplus
}
#endif

#endif
