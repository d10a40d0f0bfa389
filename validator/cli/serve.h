/*
 * serve.h — the pre-send HTTP gateway's core (SPEC §6, `preflight serve`):
 * libmicrohttpd with its internal thread pool, one shared session from a
 * pf_session_slot, a checker and a gated sender per worker thread.
 *
 * cli_serve.c turns flags into a serve_config; serve_run owns everything
 * from there until the process should exit (SIGTERM or SIGINT: drain).
 */
#ifndef PREFLIGHT_SERVE_H
#define PREFLIGHT_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "preflight/preflight.h"

/* The largest request body accepted (SPEC §6: over 64 KiB is 413). */
#define SERVE_BODY_MAX (64u * 1024u)

struct serve_config {
    const char *listen;       /* "ADDR:PORT", "[V6]:PORT" */
    unsigned threads;         /* worker threads (libmicrohttpd's pool) */
    unsigned max_connections; /* 0: libmicrohttpd's default */
    unsigned timeout_s;       /* idle/slow client timeout and the upstream's per-attempt limit */
    unsigned drain_grace_ms;  /* SIGTERM: serve on with /readyz failing this long, then stop */
    bool fail_on_warn;        /* warn answers 422 on /v1/outbound-sms */
    bool retry_429;           /* retry 429 (and unreached attempts) inside the gateway */
    unsigned retry_budget_ms; /* total waiting allowed for those retries */
    bool log_messages;        /* put the message text in the access log */
    const char *access_log;   /* NULL: none; "-": stdout; else a file (appended) */
    const char *base_url;     /* --upstream; NULL: --cluster or the config's */
    const char *cluster;
    const char *cacert, *capath;
    /* Reopened on SIGHUP: the files are read again, the options kept. */
    pf_session_options *session_options;
};

/* A request body as SPEC §6 takes it (the provider's): user_number and
 * message (strings, required), agent_number (string or null). */
struct serve_input {
    void *doc; /* the parsed document (cJSON), owning the strings */
    const char *user_number, *message, *agent_number;
};

/*
 * Parse and check a body: NULL with *in filled, or the one-line reason for
 * a 400 (written into why, which is returned), naming the field. Invalid
 * UTF-8, invalid JSON, not an object, a missing or non-string field, an
 * unknown field. Clear *in with serve_input_clear either way. Thread-safe.
 */
const char *serve_parse_body(const char *body, size_t len, struct serve_input *in, char *why,
                             size_t cap);
void serve_input_clear(struct serve_input *in);

/*
 * Block SIGHUP, SIGTERM and SIGINT in the calling thread (they are read
 * from a signalfd by serve_run) and ignore SIGPIPE. Call it first, before
 * any thread exists (loading a session may start some): a thread created
 * earlier with the signals unblocked could take one and die of it.
 */
void serve_block_signals(sigset_t *mask);

/*
 * Serve until SIGTERM/SIGINT, then drain and return 0; return 2 after
 * reporting on stderr when the gateway cannot start (address, options).
 * The session is the first one (the caller keeps its own reference).
 */
int serve_run(const struct serve_config *cfg, pf_session *session);

#endif
