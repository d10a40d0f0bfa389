/*
 * internal.h — helpers shared by the library's files (pfi_ prefix), never
 * installed.
 */
#ifndef PREFLIGHT_INTERNAL_H
#define PREFLIGHT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "preflight/status.h"

/*
 * File-local functions are declared PF_STATIC: `static` in the library,
 * visible in the unit-test build (PF_UNITTEST), where tests declare them.
 */
#ifdef PF_UNITTEST
#define PF_STATIC
#else
#define PF_STATIC static
#endif

#if defined(__GNUC__)
#define PF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PF_PRINTF(f, a)
#endif

/* libphonenumber refuses input longer than this (kMaxInputStringLength). */
#define PFI_NUMBER_PARSE_MAX 250

/* Set diag->status and diag->message (printf style); diag may be NULL. */
void pfi_diag_set(pf_diag *diag, pf_status status, const char *fmt, ...) PF_PRINTF(3, 4);

/* The error contract on the way out: a failing call leaves diag->status
 * equal to what it returns (with a message when none was set). Returns st. */
pf_status pfi_diag_status(pf_diag *diag, pf_status st);

/* Set diag->file (NULL-safe on both sides). */
void pfi_diag_file(pf_diag *diag, const char *file);

/* Set diag->path (printf style); diag may be NULL. */
void pfi_diag_path(pf_diag *diag, const char *fmt, ...) PF_PRINTF(2, 3);

/*
 * Make room for need elements of size bytes in *arr (capacity *cap, grown
 * by doubling). PF_E_NOMEM leaves the array as it was.
 */
pf_status pfi_grow(void **arr, size_t *cap, size_t need, size_t size);

/* Copy len bytes of src into dst[cap], cut to fit, always NUL-terminated. */
void pfi_copy_cut(char *dst, size_t cap, const char *src, size_t len);

/* Read a whole file into a NUL-terminated heap buffer (max_size bytes at most). */
pf_status pfi_read_file(const char *path, size_t max_size, char **out, size_t *len, pf_diag *diag);

/* Does the country table's zone data know any area of region? (countries.c) */
struct pf_countries;
bool pfi_countries_has_areas(const struct pf_countries *t, const char *region);
/* A table from the start-up cache's snapshot payload (a copy is taken);
 * NULL when it is not well formed. For fuzz_snapshot. */
struct pf_countries *pfi_countries_from_snapshot(const char *payload, size_t len);

/* SHA-256 without the SHA-NI instructions, and whether pf_sha256 uses
 * them (journal.c): for the differential test of the two. */
void pfi_sha256_portable(const void *data, size_t len, uint8_t out[32]);
bool pfi_sha256_accelerated(void);

/* Overwrite n bytes with zeros in a way the compiler cannot drop (for
 * credentials before free). */
void pfi_wipe(void *p, size_t n);

/* The cluster names ("us-1", ...), NULL-terminated: the one table,
 * beside pf_cluster_base_url. */
extern const char *const pfi_cluster_names[];

/* Check a CA file (readable, holds a PEM certificate) and a CA directory
 * (readable, holds a hashed certificate name); either may be NULL. */
pf_status pfi_ca_check(const char *ca_file, const char *ca_dir, pf_diag *diag);

/* geomemo.c: the geocoder's description of e164 from the start-up cache:
 * 1 found (into buf), 0 known to have none, -1 not in the memo; put
 * records an answer (desc NULL: none). */
int pfi_geomemo_get(const char *e164, char *buf, size_t cap);
void pfi_geomemo_put(const char *e164, const char *desc);

#endif
