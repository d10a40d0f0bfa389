/*
 * verdict_int.h — the verdict's JSON tree, for the library's writers
 * (pf_verdict_to_json, batch rows).
 */
#ifndef PREFLIGHT_VERDICT_INT_H
#define PREFLIGHT_VERDICT_INT_H

#include <cjson/cJSON.h>

#include "preflight/engine.h"

/* SPEC §3 verdict object; NULL when memory ran out. */
cJSON *pfi_verdict_json(const pf_verdict *v);

/* Print doc (pretty or compact, optional newline) into a malloc'd string
 * (free with free(): cJSON uses the C allocator here). */
pf_status pfi_json_to_string(cJSON *doc, unsigned flags, char **out, size_t *len);

/* A checker without a session (the audit builds its own config). */
pf_status pfi_checker_create(const pf_countries *table, const pf_ruleset *rules,
                             const pf_config *config, pf_checker **out);

#endif
