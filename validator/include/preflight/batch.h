/*
 * batch.h — a verdict for every row of a recipient list, checked by a pool
 * of worker threads (each with its own checker over one shared session)
 * and delivered in input order, with duplicate recipients, rows that
 * cannot be checked, a summary and cancellation.
 *
 * Rows come as CSV bytes (pf_batch_feed_csv: the first record is the
 * header; RFC 4180 via pf_csv) or as fields (pf_batch_set_header, then
 * pf_batch_add_row, or pf_batch_run with a callback that yields rows).
 * Every input row yields exactly one pf_batch_row, in input order, on the
 * thread that feeds the batch, so output is the same for any number of
 * jobs.
 *
 * Columns: user_number (required), message (unless a template renders it
 * from {{column}} placeholders), agent_number, first_message (true/false/
 * empty), send_at (ISO 8601 with an offset; empty: the base input's time);
 * each can be read from another header with pf_batch_options_map_column.
 */
#ifndef PREFLIGHT_BATCH_H
#define PREFLIGHT_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "session.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One input row's result, valid during the callback only. */
typedef struct pf_batch_row {
    size_t size;                 /* sizeof(pf_batch_row) of the library: fields may be added */
    size_t number;               /* 1-based data row (the header is row 0) */
    bool error;                  /* the row could not be checked */
    const char *error_message;   /* when error: "row 3: send_at: ..." */
    const char *user_input;      /* the user_number field as given (raw bytes), or NULL */
    size_t user_input_len;
    const pf_verdict *verdict;   /* when !error */
    bool duplicate;              /* an earlier row had the same E.164 recipient */
    const char *json;            /* with pf_batch_options_set_json: the JSON line
                                  * (the verdict plus "row", or an error object), '\n' included */
    size_t json_len;
    bool burst_end;              /* the last row delivered for now: a moment to flush output */
    const char *message;         /* when !error: the text that was checked (the template
                                  * rendered, or the message field), for bulk send */
    size_t message_len;
    const char *csv; /* with pf_batch_options_set_csv: pf_batch_row_to_csv's line, rendered
                      * by the worker that checked the row ('\n' included) */
    size_t csv_len;
} pf_batch_row;

/* Return 0 to go on, anything else to stop the batch (as pf_batch_cancel). */
typedef int (*pf_batch_row_fn)(void *ctx, const pf_batch_row *row);

typedef struct pf_batch_options pf_batch_options;

PF_EXTERN pf_status pf_batch_options_create(pf_batch_options **out);
PF_EXTERN void pf_batch_options_destroy(pf_batch_options *o);
/* Worker threads; 0 (default): the number of cores. At most 256. */
PF_EXTERN pf_status pf_batch_options_set_jobs(pf_batch_options *o, unsigned jobs);
/* Read column name (user_number, message, agent_number, first_message,
 * send_at) from the header called header. PF_E_NOT_FOUND for another name. */
PF_EXTERN pf_status pf_batch_options_map_column(pf_batch_options *o, const char *name,
                                                const char *header);
/* Render each row's message from a template; PF_E_SYNTAX (diag: byte
 * offset and why) for a malformed placeholder. The text is copied. */
PF_EXTERN pf_status pf_batch_options_set_template(pf_batch_options *o, const char *text,
                                                  size_t len, pf_diag *diag);
/* What every row shares: send_time, region, environment, purpose,
 * disabled ids (the strings must outlive the batch). to, message,
 * agent_number and first_message come from the row. */
PF_EXTERN pf_status pf_batch_options_set_base(pf_batch_options *o, const pf_check_input *base);
/* Also render each row's JSON line (workers do it, in parallel). */
PF_EXTERN pf_status pf_batch_options_set_json(pf_batch_options *o, bool json);
/* Or its CSV line (pf_batch_row.csv), the same way; each turns the other off. */
PF_EXTERN pf_status pf_batch_options_set_csv(pf_batch_options *o, bool csv);
PF_EXTERN pf_status pf_batch_options_set_on_row(pf_batch_options *o, pf_batch_row_fn fn,
                                                void *ctx);

typedef struct pf_batch pf_batch;

/* A batch over a session (it holds a reference). Workers start with the
 * header. */
PF_EXTERN pf_status pf_batch_create(pf_session *session, const pf_batch_options *o,
                                    pf_batch **out, pf_diag *diag);
/* Stops the workers (unfinished rows are dropped) and frees everything. */
PF_EXTERN void pf_batch_destroy(pf_batch *b);

/*
 * CSV input, in pieces of any size; the first record is the header.
 * PF_E_SYNTAX for input the CSV parser cannot continue past; a header
 * without the needed columns is PF_E_SCHEMA with the reason in diag. Rows
 * are delivered from inside these calls as they finish.
 */
PF_EXTERN pf_status pf_batch_feed_csv(pf_batch *b, const char *data, size_t len, pf_diag *diag);

/* Field input: the header once, then rows. A field may hold any bytes;
 * a row's error (from the reader) makes it an error row. */
PF_EXTERN pf_status pf_batch_set_header(pf_batch *b, const char *const *fields,
                                        const size_t *lens, size_t n, pf_diag *diag);
PF_EXTERN pf_status pf_batch_add_row(pf_batch *b, const char *const *fields, const size_t *lens,
                                     size_t n, const char *error, pf_diag *diag);

/* Rows from a callback: next returns 1 with a row (fields valid until the
 * next call), 0 at the end, -1 on an error of its own (the run stops). */
typedef int (*pf_batch_next_fn)(void *ctx, const char *const **fields, const size_t **lens,
                                size_t *n);
PF_EXTERN pf_status pf_batch_run(pf_batch *b, pf_batch_next_fn next, void *ctx, pf_diag *diag);

/* The end of the input: waits for every row and delivers the rest.
 * PF_E_SCHEMA "empty input" when no header ever came. */
PF_EXTERN pf_status pf_batch_finish(pf_batch *b, pf_diag *diag);

/* Stop as soon as possible, from any thread: no more rows are delivered
 * and the feeding call returns PF_E_LIMIT ("cancelled"). */
PF_EXTERN void pf_batch_cancel(pf_batch *b);

/* Counts so far (final after pf_batch_finish). The summary calls read what
 * delivery writes: call them from the thread that feeds the batch (the
 * row callback included), or after pf_batch_finish. */
typedef struct pf_batch_summary {
    size_t size; /* set by the caller to sizeof(pf_batch_summary) */
    size_t rows;
    size_t pass, warn, block, errors;
    size_t duplicates;
} pf_batch_summary;

PF_EXTERN pf_status pf_batch_get_summary(const pf_batch *b, pf_batch_summary *s);
/* Finding ids by how many rows had them (most first, then by id). */
PF_EXTERN size_t pf_batch_finding_count(const pf_batch *b);
PF_EXTERN const char *pf_batch_finding_at(const pf_batch *b, size_t i, size_t *rows);
/* Rows per recipient country ("US", ..., then "unknown"), in code order;
 * verdicts[4] gets pass, warn, block, error. */
PF_EXTERN size_t pf_batch_country_count(const pf_batch *b);
PF_EXTERN const char *pf_batch_country_at(const pf_batch *b, size_t i, size_t verdicts[4]);
/* The summary as JSON: {"verdicts", "rows", "duplicates", "findings",
 * "countries"}. Flags as pf_verdict_to_json. */
PF_EXTERN pf_status pf_batch_summary_to_json(const pf_batch *b, unsigned flags, char **out,
                                             size_t *len);

/* The header line of the CSV rendering, newline included. */
#define PF_BATCH_CSV_HEADER "row,user_number,verdict,findings\n"

/* A row as one CSV line: row,user_number (E.164 when parsed, else the
 * input cleaned to UTF-8),verdict (or "error"),findings (ids joined by
 * ';', or the error), quoted per RFC 4180, newline included. */
PF_EXTERN pf_status pf_batch_row_to_csv(const pf_batch_row *r, char **out, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
