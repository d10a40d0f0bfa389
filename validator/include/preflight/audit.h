/*
 * audit.h — the country launch audit (`preflight audit --country CC`):
 * what a country needs before a project sends SMS there, and whether the
 * project's config, numbers and templates are ready.
 *
 * The audit is a model, not a report: renderers (text, Markdown, JSON,
 * HTML in reports/) read the public struct below. It is built from the
 * same engine `preflight check` runs — each provisioned number is checked
 * as the explicit sender to libphonenumber's example mobile number of the
 * country — so an audit and a check never disagree about a sender.
 */
#ifndef PREFLIGHT_AUDIT_H
#define PREFLIGHT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "campaign.h"
#include "config.h"
#include "countries.h"
#include "engine.h"
#include "findings.h"
#include "lint.h"
#include "scan.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A checklist item's state. */
typedef enum pf_audit_state {
    PF_AUDIT_READY = 0, /* true for this project */
    PF_AUDIT_ACTION,    /* something must be done */
    PF_AUDIT_UNKNOWN    /* neither the table nor the config can say */
} pf_audit_state;

/* "ready", "action needed", "unknown". */
PF_EXTERN const char *pf_audit_state_name(pf_audit_state s);

typedef enum pf_audit_verdict {
    PF_AUDIT_VERDICT_READY = 0,
    PF_AUDIT_VERDICT_WARNINGS, /* ready with warnings */
    PF_AUDIT_VERDICT_NOT_READY
} pf_audit_verdict;

/* "ready", "ready with warnings", "not ready". */
PF_EXTERN const char *pf_audit_verdict_name(pf_audit_verdict v);

/* One fact of the country table, with the source that backs it. */
typedef struct pf_audit_fact {
    const char *label;  /* "SMS delivered" */
    const char *field;  /* the table's field path, "sms" */
    const char *value;  /* "yes", "registration_required", "21:00-08:00 every day ..." */
    bool known;         /* false when the table says unknown */
    const char *source; /* the address backing it, or NULL */
    /* Known, but every source backing it is low-confidence (a secondary
     * aggregator or vendor guide): a reviewer should confirm it. */
    bool low_confidence;
} pf_audit_fact;

/* One thing that must be true before launch. */
typedef struct pf_audit_item {
    const char *id; /* "sms", "senders", "registrations", "content", "quiet-hours",
                       "opt-out", "two-way", "reviewed", "templates", "campaign" */
    const char *title;
    pf_audit_state state;
    /* What the state weighs in the verdict when it is not ready: block
     * (not ready), warn (ready with warnings) or info (never counts). */
    pf_severity weight;
    const char *detail;
    const char *source; /* NULL when none */
} pf_audit_item;

/* One provisioned number of the environment, checked as the sender. */
typedef struct pf_audit_number {
    const pf_config_number *number;
    bool checked;   /* false when the country has no example number to check with */
    bool can_send;  /* the check has no blocking finding */
    pf_tri two_way; /* replies come back to this number there */
    /* The engine's verdict for a neutral message from this number to the
     * example recipient; the time of day and content findings are left
     * out (quiet hours and templates have their own items). */
    pf_verdict verdict;
} pf_audit_number;

/* Findings of the audit (numbers and templates) by category. */
typedef struct pf_audit_category {
    char name[40];   /* "country", "a2p", "template", "url-shortener", ... */
    size_t count[3]; /* by pf_severity */
} pf_audit_category;

typedef struct pf_audit {
    const pf_country *country;
    char recipient[24];      /* the example number checked against, or "" */
    const char *environment; /* the config's, or NULL without a config */
    bool has_config;
    pf_audit_fact *facts;
    size_t fact_count;
    pf_audit_item *items;
    size_t item_count;
    pf_audit_number *numbers; /* the environment's numbers, config order */
    size_t number_count;
    size_t other_numbers;          /* numbers of other environments, not audited */
    pf_lint_result *lint;          /* templates linted for the country; NULL without */
    pf_audit_category *categories; /* sorted by name */
    size_t category_count;
    size_t severity_count[3]; /* all findings of numbers and templates */
    pf_audit_verdict verdict;
    const char *summary; /* one sentence on why the verdict */
} pf_audit;

typedef struct pf_audit_options {
    const char *country;              /* upper-case region code; required */
    const pf_countries *table;        /* required */
    const pf_ruleset *rules;          /* required */
    const pf_config *config;          /* may be NULL: numbers and registrations unknown */
    const pf_template_set *templates; /* may be NULL: templates not checked */
    /* Campaign files (pf_campaign_load) to pre-scan as 10DLC campaigns: a
     * "campaign" checklist item for US and CA. None: no such item. */
    const pf_campaign *const *campaigns;
    size_t campaign_count;
} pf_audit_options;

PF_EXTERN pf_audit_options pf_audit_options_default(void);

/*
 * Build the audit. PF_E_NOT_FOUND (diag says so) when the country is not
 * in the table. The audit points into the table, config and template set:
 * destroy it before them.
 */
PF_EXTERN pf_status pf_audit_run(const pf_audit_options *o, pf_audit **out, pf_diag *diag);
PF_EXTERN void pf_audit_destroy(pf_audit *a);

#ifdef __cplusplus
}
#endif

#endif
