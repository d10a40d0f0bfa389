/*
 * json_int.h — strict reading of JSON documents for the loaders (country
 * table, rule packs, project config, templates).
 *
 * cJSON parses; this layer checks the schema and, when something is wrong,
 * says where: file, line:column and the key path (DE.senders.alphanumeric,
 * numbers[2].a2p_10dlc.status). cJSON keeps no positions, so on an error
 * the offending value is located again in the source text by walking the
 * same key path (pfi_json_locate) — a cold path, only taken on failure.
 */
#ifndef PREFLIGHT_JSON_INT_H
#define PREFLIGHT_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "preflight/status.h"

#define PFI_JSON_MAX_DEPTH 24

/* One step of a key path: an object key or an array index. */
struct pfi_json_step {
    const char *key; /* NULL for an array index */
    size_t index;
};

/* Where a loader is in a document. */
struct pfi_json {
    const char *text;
    size_t len;
    const char *file;
    pf_diag *diag;
    struct pfi_json_step path[PFI_JSON_MAX_DEPTH];
    int depth;
};

/*
 * Parse text (len bytes) of file. On a syntax error, fills diag with
 * line:column and returns PF_E_SYNTAX. Invalid UTF-8 is PF_E_UTF8.
 * Nesting deeper than PFI_JSON_MAX_DEPTH is PF_E_TOO_LARGE.
 */
pf_status pfi_json_parse(struct pfi_json *j, const char *text, size_t len, const char *file,
                         pf_diag *diag, cJSON **root);

/* Enter / leave a key or an index of the current value (for error paths). */
void pfi_json_push_key(struct pfi_json *j, const char *key);
void pfi_json_push_index(struct pfi_json *j, size_t index);
void pfi_json_pop(struct pfi_json *j);

/*
 * Report an error at the current path (plus key, when not NULL): sets the
 * diag's status, message, path, line and column. Returns status.
 */
pf_status pfi_json_error(struct pfi_json *j, const char *key, pf_status status, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

/* The same, pointing at the nth occurrence of key itself (not its value):
 * for unknown and duplicate keys. */
pf_status pfi_json_error_key(struct pfi_json *j, const char *key, size_t nth, pf_status status,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Check that obj is an object whose keys are all in allowed (NULL-ended)
 * and appear once. */
pf_status pfi_json_object(struct pfi_json *j, const cJSON *obj, const char *const *allowed);

/* A file's top-level "$schema" (its JSON Schema's address, which editors
 * follow to complete and check it; schemas/): optional, a string, and
 * otherwise ignored. The top level lists "$schema" among its keys. */
pf_status pfi_json_schema_ref(struct pfi_json *j, const cJSON *root);

/*
 * Typed getters for obj[key]. When the key is absent: PF_OK with *present
 * = false if present is non-NULL, else a "missing" error. Wrong type: error.
 */
pf_status pfi_json_get_string(struct pfi_json *j, const cJSON *obj, const char *key,
                              const char **out, bool *present);
pf_status pfi_json_get_bool(struct pfi_json *j, const cJSON *obj, const char *key, bool *out,
                            bool *present);
pf_status pfi_json_get_int(struct pfi_json *j, const cJSON *obj, const char *key, long min,
                           long max, long *out, bool *present);
/* An array (of any element type); *out is NULL when absent and optional. */
pf_status pfi_json_get_array(struct pfi_json *j, const cJSON *obj, const char *key,
                             const cJSON **out, bool *present);
/* A string that must be one of names (NULL-ended); *out is its index. */
pf_status pfi_json_get_enum(struct pfi_json *j, const cJSON *obj, const char *key,
                            const char *const *names, int *out, bool *present);

/* Offset of the value at path (of the last key itself when at_key), or
 * the innermost enclosing value found. nth (in a key step's index) picks
 * the nth occurrence of a duplicated key. */
size_t pfi_json_locate(const char *text, size_t len, const struct pfi_json_step *path, int depth,
                       bool at_key);

/* Index of the first non-white-space byte at or after i. */
size_t pfi_json_skip_ws(const char *text, size_t len, size_t i);
/* Index just past the JSON value that starts at i (after white space);
 * the text is assumed to have parsed already. */
size_t pfi_json_skip_value(const char *text, size_t len, size_t i);

/* 1-based line and column (in bytes) of offset in text. */
void pfi_text_position(const char *text, size_t len, size_t offset, unsigned *line,
                       unsigned *column);

#endif
