/*
 * verdict_int.h — the verdict's JSON tree, for the library's writers
 * (pf_verdict_to_json, batch rows).
 */
#ifndef PREFLIGHT_VERDICT_INT_H
#define PREFLIGHT_VERDICT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "preflight/batch.h"
#include "preflight/engine.h"

/* SPEC §3 verdict object; NULL when memory ran out. */
cJSON *pfi_verdict_json(const pf_verdict *v);

/* Print doc (pretty or compact, optional newline) into a malloc'd string
 * (free with free(): cJSON uses the C allocator here). */
pf_status pfi_json_to_string(cJSON *doc, unsigned flags, char **out, size_t *len);

/*
 * The streaming writer (issue 15): the bytes of the cJSON path above,
 * compact or indented, written straight into a buffer the caller reuses,
 * with no tree per verdict. pf_verdict_to_json is this writer;
 * pfi_verdict_json (pfi_verdict_to_json_slow) stays the trusted path, and
 * tests/unit/test_batch_stream.c compares the two on the corpus, the eval
 * splits and generated verdicts, and fuzz_message on anything.
 */
struct pfi_buf {
    char *s; /* NUL-terminated while ok */
    size_t len, cap;
    bool ok; /* false once memory ran out: the contents are then incomplete */
};

/* Empty the buffer for reuse (keeps its memory); ok again. */
void pfi_buf_reset(struct pfi_buf *b);
void pfi_buf_free(struct pfi_buf *b);
void pfi_buf_put(struct pfi_buf *b, const char *s, size_t n);
/* A JSON string as cJSON prints it (its escapes, bytes >= 0x20 as they are). */
void pfi_json_put_string(struct pfi_buf *b, const char *s);
/* A number as cJSON prints a double holding v. */
void pfi_json_put_size(struct pfi_buf *b, size_t v);
/*
 * Append v as compact JSON: exactly pf_verdict_to_json(v, 0, ...). With
 * open, the closing brace is left off so the caller can add members (a
 * batch row's "row"). Returns b->ok.
 */
bool pfi_verdict_write_json(struct pfi_buf *b, const pf_verdict *v, bool open);
/* Append v indented: exactly pf_verdict_to_json(v, PF_JSON_PRETTY, ...)
 * (cJSON_Print's layout). Returns b->ok. */
bool pfi_verdict_write_json_pretty(struct pfi_buf *b, const pf_verdict *v);
/* pf_verdict_to_json the slow, trusted way: the cJSON tree printed by
 * cJSON (the differential tests' reference). */
pf_status pfi_verdict_to_json_slow(const pf_verdict *v, unsigned flags, char **out, size_t *len);

/* Tests (issue 15 differential tests): a batch that prints its JSON lines
 * through cJSON (the trusted path), and one without the content memo. */
void pfi_batch_options_set_slow_json(pf_batch_options *o, bool slow);
void pfi_batch_options_set_memo(pf_batch_options *o, bool on);

/* A checker without a session (the audit builds its own config). */
pf_status pfi_checker_create(const pf_countries *table, const pf_ruleset *rules,
                             const pf_config *config, pf_checker **out);

/* The exact memo of content checks (engine.c); off by default, batch
 * workers turn it on. */
void pfi_checker_set_memo(pf_checker *c, bool on);
size_t pfi_checker_memo_hits(const pf_checker *c);

#endif
