/*
 * bulk.h — bulk send: every row of a recipient list checked (a pf_batch),
 * the allowed ones sent through the library's client at a bounded rate,
 * each send recorded in a journal (journal.h) so that a run killed at any
 * moment resumes without texting anyone twice.
 *
 * Per row, in order: an error or a verdict at or above fail-on → blocked,
 * nothing sent. Otherwise the journal decides: an outcome recorded by an
 * earlier run → skipped; an intent without an outcome (the request may
 * have left when the earlier run died) → unknown, not sent again unless
 * resend_unknown. Otherwise a sender thread waits for a token from the
 * shared rate limiter (the overall rate in messages, and the sender
 * number's "mps" from the config in segments), makes the intent durable, sends (the client's
 * never-double-send retry rules: only 429 and requests that provably never
 * left are retried, and each retry takes a token too), and records the
 * outcome. A 429 halves the rate, each accepted send wins a little of it
 * back (AIMD). If the journal cannot be written the run stops before the
 * next request.
 *
 * Rows come back through the row callback in input order, on the thread
 * that feeds the input.
 */
#ifndef PREFLIGHT_BULK_H
#define PREFLIGHT_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "engine.h"
#include "journal.h"
#include "send.h"
#include "session.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pf_bulk_outcome {
    PF_BULK_SENT = 0, /* accepted by the API in this run */
    PF_BULK_BLOCKED,  /* the verdict (or an unusable row) stopped it; never sent */
    PF_BULK_FAILED,   /* provably not delivered: rejected, rate limited, unreachable */
    PF_BULK_UNKNOWN,  /* may have gone out: 5xx, no answer, or in flight at a crash */
    PF_BULK_SKIPPED,  /* done by an earlier run (see previous) */
    PF_BULK_DRY_RUN   /* allowed; a dry run sends nothing */
} pf_bulk_outcome;

/* "sent", "blocked", "failed", "unknown", "skipped", "dry_run". */
PF_EXTERN const char *pf_bulk_outcome_name(pf_bulk_outcome o);

/* One input row's result, valid during the callback only. */
typedef struct pf_bulk_row {
    size_t size;
    size_t number;             /* 1-based data row */
    const char *user_number;   /* E.164 when parsed, else the input cleaned to UTF-8 */
    const char *verdict;       /* "pass", "warn", "block" or "error" */
    const char *error_message; /* when verdict is "error" */
    pf_bulk_outcome outcome;
    /* What the API said, for sent/failed/unknown (this run's or, for
     * skipped, the earlier run's): "accepted", "rejected", ...; for
     * blocked "blocked", "stopped" (fail-on warn) or "error"; for unknown
     * from the journal "in_flight"; for dry_run "dry_run". */
    const char *status;
    long http_status; /* 0 when none */
    unsigned attempts;
    pf_journal_outcome previous; /* skipped: what the earlier run recorded */
    bool duplicate;              /* an earlier row had the same recipient */
} pf_bulk_row;

typedef int (*pf_bulk_row_fn)(void *ctx, const pf_bulk_row *row);

typedef struct pf_bulk_options pf_bulk_options;

PF_EXTERN pf_status pf_bulk_options_create(pf_bulk_options **out);
PF_EXTERN void pf_bulk_options_destroy(pf_bulk_options *o);
/* Overall messages per second (default 10; at most 10000). */
PF_EXTERN pf_status pf_bulk_options_set_rate(pf_bulk_options *o, double per_second);
/* Requests in flight at once (default 4; at most 64). */
PF_EXTERN pf_status pf_bulk_options_set_senders(pf_bulk_options *o, unsigned n);
/* Send rows again whose earlier outcome is unknown (risks a second text). */
PF_EXTERN pf_status pf_bulk_options_set_resend_unknown(pf_bulk_options *o, bool yes);
/* Send nothing; rows that would be sent come back as dry_run. */
PF_EXTERN pf_status pf_bulk_options_set_dry_run(pf_bulk_options *o, bool yes);
/* The lowest severity that blocks a row: PF_SEV_BLOCK (default) or PF_SEV_WARN. */
PF_EXTERN pf_status pf_bulk_options_set_fail_on(pf_bulk_options *o, pf_severity level);
PF_EXTERN pf_status pf_bulk_options_set_on_row(pf_bulk_options *o, pf_bulk_row_fn fn, void *ctx);

typedef struct pf_bulk pf_bulk;

/*
 * A bulk send over a session. bo: the batch options (columns, template,
 * base input, check jobs); their row callback and JSON flag are taken
 * over. so: the send options (API, credentials, CAs, client timeouts and
 * retries); senders are made from them now, so errors in them come back
 * here, as pf_sender_create's. journal: open, read-write (read-only is
 * fine for a dry run); it must outlive the bulk. All three are borrowed.
 */
PF_EXTERN pf_status pf_bulk_create(pf_session *session, pf_batch_options *bo, pf_send_options *so,
                                   pf_journal *journal, const pf_bulk_options *o, pf_bulk **out,
                                   pf_diag *diag);
/* Stops the sender threads (rows waiting for a token are not sent) and frees. */
PF_EXTERN void pf_bulk_destroy(pf_bulk *b);

/* CSV input in pieces (as pf_batch_feed_csv), then the end. Errors as
 * the batch's; PF_E_IO when the journal failed (the run stopped, diag
 * says why); PF_E_LIMIT when cancelled. After either, pf_bulk_finish
 * still waits for the requests in flight and hands back their rows (rows
 * never tried are not handed back). */
PF_EXTERN pf_status pf_bulk_feed_csv(pf_bulk *b, const char *data, size_t len, pf_diag *diag);
PF_EXTERN pf_status pf_bulk_finish(pf_bulk *b, pf_diag *diag);
/* Stop soon, from any thread (a signal handler must not: use a flag). */
PF_EXTERN void pf_bulk_cancel(pf_bulk *b);

typedef struct pf_bulk_summary {
    size_t size; /* set by the caller */
    size_t rows;
    size_t sent, blocked, failed, unknown, skipped, dry_run;
    size_t skipped_sent, skipped_failed, skipped_unknown; /* skipped, by earlier outcome */
    size_t requests;                                      /* HTTP attempts made by this run */
    size_t rate_limited;                                  /* 429 answers seen */
    double elapsed_s;     /* from the first request to the last answer */
    double rate_achieved; /* (requests - 1) / elapsed_s: the pace kept */
    double rate_final;    /* the limiter's rate at the end (AIMD) */
} pf_bulk_summary;

PF_EXTERN pf_status pf_bulk_get_summary(const pf_bulk *b, pf_bulk_summary *s);
/* The batch underneath (findings, countries: batch.h). */
PF_EXTERN const pf_batch *pf_bulk_batch(const pf_bulk *b);

#ifdef __cplusplus
}
#endif

#endif
