/*
 * journal.h — the append-only journal of a bulk send, so a run can be
 * killed at any moment and resumed without texting anyone twice.
 *
 * One record per event, each checksummed (CRC-32C over its length and
 * body): a header binding the journal to the SHA-256 of the input file and
 * of the config, then for each row an intent (made durable with fdatasync
 * BEFORE the request leaves) and an outcome (after). Replaying the journal
 * on open tells, for every row, whether it is done (an outcome), pending
 * (an intent without an outcome: the request may or may not have reached
 * the API) or untouched.
 *
 * A torn last record (the process killed mid-write, or a crash that left
 * zeros at the end) is ignored and cut off before anything is appended; a
 * bad checksum anywhere else is corruption, reported with its byte offset.
 *
 *     uint8_t in[32], cfg[32];
 *     pf_sha256_file("list.csv", in, &d);
 *     pf_journal_open("run.journal", in, cfg, 0, &j, &d);
 *     pf_journal_lookup(j, row, &e);           // e.state: NONE, PENDING, DONE
 *     pf_journal_record_intent(j, row, "+15551234567", &d);   // durable on return
 *     ... the request ...
 *     pf_journal_record_outcome(j, row, &e, &d);
 *     pf_journal_close(j);
 */
#ifndef PREFLIGHT_JOURNAL_H
#define PREFLIGHT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outbound.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SHA-256 of len bytes (FIPS 180-4). */
PF_EXTERN void pf_sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA-256 of a file's content, read in pieces. PF_E_IO (diag names the
 * file) when it cannot be read. */
PF_EXTERN pf_status pf_sha256_file(const char *path, uint8_t out[32], pf_diag *diag);
/* 64 lowercase hex digits and a NUL into hex[65]. */
PF_EXTERN void pf_sha256_hex(const uint8_t sha[32], char hex[65]);

/* What became of a row that was sent (or tried). */
typedef enum pf_journal_outcome {
    PF_JOURNAL_SENT = 1,   /* the API accepted it */
    PF_JOURNAL_FAILED = 2, /* provably not delivered: rejected, rate limited, unreachable */
    PF_JOURNAL_UNKNOWN = 3 /* it may have gone out (5xx, no answer after the body left) */
} pf_journal_outcome;

/* "sent", "failed", "unknown". */
PF_EXTERN const char *pf_journal_outcome_name(pf_journal_outcome o);

typedef enum pf_journal_state {
    PF_JOURNAL_NONE = 0, /* nothing recorded: never tried */
    PF_JOURNAL_PENDING,  /* an intent and no outcome after it: in flight at a crash */
    PF_JOURNAL_DONE      /* the last event is an outcome */
} pf_journal_state;

/* One row's state after replay, or an outcome to record. */
typedef struct pf_journal_entry {
    size_t size; /* sizeof(pf_journal_entry) of the caller: fields may be added */
    pf_journal_state state;
    pf_journal_outcome outcome; /* DONE */
    pf_send_status status;      /* DONE: the client's status */
    long http_status;           /* DONE: 0 when no response came */
    unsigned attempts;          /* DONE: requests started */
    int64_t time_ms;            /* Unix ms of the last event */
} pf_journal_entry;

/* What a scan of journal bytes found. */
typedef struct pf_journal_info {
    size_t size; /* set by the caller to sizeof(pf_journal_info) */
    uint8_t input_sha256[32], config_sha256[32];
    int64_t created_ms;
    size_t intents, outcomes;
    size_t valid_bytes; /* the prefix made of whole, valid records */
    size_t torn_bytes;  /* a torn last record after it, ignored */
} pf_journal_info;

/*
 * Check journal bytes without opening anything (replay, and the fuzz
 * target). PF_OK for an empty input (no header yet) or a valid journal,
 * possibly with a torn tail; PF_E_SYNTAX for corruption (bad magic, a bad
 * checksum or an impossible record before the last one), with
 * diag->offset the byte offset of the bad record and the reason in
 * diag->message.
 */
PF_EXTERN pf_status pf_journal_scan(const void *data, size_t len, pf_journal_info *info,
                                    pf_diag *diag);

/* Open for reading only: no header is written, no torn tail cut, nothing
 * appended (for a dry run). A missing file is then an empty journal. */
#define PF_JOURNAL_READ_ONLY 0x1u

typedef struct pf_journal pf_journal;

/*
 * Open (creating it if missing) and replay the journal at path, which
 * must belong to this input and config: a journal with other hashes is
 * PF_E_SCHEMA, diag saying which one differs. Corruption is PF_E_SYNTAX
 * (diag->file, diag->offset); a journal locked by another running send is
 * PF_E_LIMIT; PF_E_IO when it cannot be read, created or written. A torn
 * tail is cut off (pf_journal_torn_bytes says how much). The header of a
 * new journal is durable (file and directory synced) on return.
 */
PF_EXTERN pf_status pf_journal_open(const char *path, const uint8_t input_sha256[32],
                                    const uint8_t config_sha256[32], unsigned flags,
                                    pf_journal **out, pf_diag *diag);
/* Closes the file; accepts NULL. */
PF_EXTERN void pf_journal_close(pf_journal *j);

/* Bytes of a torn last record found (and, unless read-only, cut) on open. */
PF_EXTERN size_t pf_journal_torn_bytes(const pf_journal *j);
/* Rows with an event in the journal as replayed on open. */
PF_EXTERN size_t pf_journal_row_count(const pf_journal *j);

/* A row's state as replayed on open (events appended since do not
 * change it). Rows are the caller's numbers (1-based data rows). */
PF_EXTERN pf_status pf_journal_lookup(const pf_journal *j, uint64_t row, pf_journal_entry *e);

/*
 * Record that row is about to be sent to e164, and make it durable
 * (write, then fdatasync) before returning. PF_E_IO (reason in diag) when
 * that fails; the journal then refuses every later append, so a caller
 * that checks the status never sends without a durable intent. Safe from
 * several threads.
 */
PF_EXTERN pf_status pf_journal_record_intent(pf_journal *j, uint64_t row, const char *e164,
                                             pf_diag *diag);
/* Record row's outcome (e->outcome, status, http_status, attempts; the
 * time is taken now), durable on return. Errors as pf_journal_intent. */
PF_EXTERN pf_status pf_journal_record_outcome(pf_journal *j, uint64_t row,
                                              const pf_journal_entry *e, pf_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
