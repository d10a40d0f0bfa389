/*
 * findings.h — findings and the lists that hold them: the public structs
 * every renderer reads (SPEC §3).
 *
 * A list owns copies of all its strings, so a finding outlives the rule
 * set, table or config that produced it.
 */
#ifndef PREFLIGHT_FINDINGS_H
#define PREFLIGHT_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pf_severity {
    PF_SEV_INFO = 0, /* never changes a verdict */
    PF_SEV_WARN = 1,
    PF_SEV_BLOCK = 2
} pf_severity;

/* "info", "warn", "block". */
PF_EXTERN const char *pf_severity_name(pf_severity s);
/* Inverse; PF_E_NOT_FOUND for another name. */
PF_EXTERN pf_status pf_severity_from_name(const char *name, pf_severity *out);

typedef struct pf_finding {
    const char *id; /* "a2p.10dlc-unregistered", "content.url-shortener", ... */
    pf_severity severity;
    const char *message; /* what is wrong */
    const char *fix;     /* how to fix it */
    const char *source;  /* address of the rule it enforces, or "heuristic" */
    bool has_span;
    size_t span_start; /* byte offsets into the message, end exclusive */
    size_t span_end;
    /* The provider's error code the finding anticipates ("30893"), for
     * campaign.* findings; NULL for every other finding. */
    const char *rejection_code;
} pf_finding;

struct pfi_arena;

typedef struct pf_finding_list {
    pf_finding *items;
    size_t count;
    size_t cap;
    struct pfi_arena *arena; /* private: owns the strings */
} pf_finding_list;

/* An empty list; pf_finding_list_clear frees what it holds. */
PF_EXTERN void pf_finding_list_init(pf_finding_list *list);
PF_EXTERN void pf_finding_list_clear(pf_finding_list *list);

/* Append a finding, copying every string (NULL strings stay NULL). */
PF_EXTERN pf_status pf_finding_list_add(pf_finding_list *list, const pf_finding *f);

/* Append with a printf-style message. */
PF_EXTERN pf_status pf_finding_list_addf(pf_finding_list *list, const char *id, pf_severity sev,
                               const char *fix, const char *source, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* The highest severity in the list, or -1 when it is empty. */
PF_EXTERN int pf_finding_list_max(const pf_finding_list *list);

/* Sort by severity (highest first), then span start, then id: stable output. */
PF_EXTERN void pf_finding_list_sort(pf_finding_list *list);

#ifdef __cplusplus
}
#endif

#endif
