/*
 * csv.h — records of an RFC 4180 CSV stream (quoted fields, embedded
 * commas, quotes and newlines, CRLF or LF, a UTF-8 byte-order mark), read
 * with libcsv. Bytes go in as they arrive; each complete record comes out
 * through a callback, so memory does not grow with the input.
 */
#ifndef PREFLIGHT_CSV_H
#define PREFLIGHT_CSV_H

#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pf_csv_record {
    size_t number;              /* 1-based; the header, when there is one, is 1 */
    size_t count;               /* fields in this record */
    const char *const *fields;  /* each NUL-terminated (and may hold NULs: see lens) */
    const size_t *lens;
    /* NULL, or why the record cannot be used (a field over the limit: its
     * text is then dropped, the other fields are kept). */
    const char *error;
} pf_csv_record;

/* Called once per record; the record is valid only during the call.
 * A non-zero return stops the reading (pf_csv_feed returns PF_E_LIMIT). */
typedef int (*pf_csv_record_fn)(void *ctx, const pf_csv_record *rec);

typedef struct pf_csv pf_csv;

/* field_max: the longest field kept, in bytes. */
PF_EXTERN pf_status pf_csv_create(size_t field_max, pf_csv **out);
PF_EXTERN void pf_csv_destroy(pf_csv *csv);

PF_EXTERN pf_status pf_csv_feed(pf_csv *csv, const char *buf, size_t len, pf_csv_record_fn fn, void *ctx,
                      pf_diag *diag);
/* The end of the input: a last record without a final newline comes out. */
PF_EXTERN pf_status pf_csv_finish(pf_csv *csv, pf_csv_record_fn fn, void *ctx, pf_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
