/*
 * fake_api.h — a scripted stand-in for the Send SMS API, for tests only.
 *
 * It listens on 127.0.0.1 on an ephemeral port, records every request
 * (method, path, headers, body) in memory and optionally to files, and
 * answers each with the next step of a script (the last step repeats).
 * It is bounded: its thread stops after max_requests requests or max_ms
 * milliseconds, whichever comes first, so a test can never hang on it.
 */
#ifndef PREFLIGHT_FAKE_API_H
#define PREFLIGHT_FAKE_API_H

#include <stdbool.h>
#include <stddef.h>

/* The most requests one server records. */
#define FAKE_API_MAX_REQUESTS 64

/* One scripted answer. */
struct fake_step {
    int status;              /* HTTP status; 0: close the connection without answering */
    const char *retry_after; /* Retry-After value, or NULL */
    const char *body;        /* response body, or NULL for the status's default JSON */
    unsigned delay_ms;       /* wait this long before answering */
    const char *content_type; /* Content-Type, or NULL for application/json */
    const char *location;    /* Location header (a redirect), or NULL */
};

struct fake_request {
    char method[16];
    char path[512];
    char *head; /* the header lines as received (CRLF-separated) */
    char *body; /* NUL-terminated; body_len bytes */
    size_t body_len;
};

struct fake_api;

/*
 * Start a server playing steps[0..nsteps). log_dir, when not NULL, gets
 * req-N.head (request line and headers) and req-N.body for every request
 * N (1-based), written before the answer goes out. Returns 0, or -1 with
 * errno set.
 */
int fake_api_start(const struct fake_step *steps, size_t nsteps, unsigned max_requests,
                   unsigned max_ms, const char *log_dir, struct fake_api **out);

unsigned fake_api_port(const struct fake_api *api);

/* Wait until the server stops by itself (max_requests or max_ms). */
void fake_api_wait(struct fake_api *api);

/* Stop now (interrupting a delayed answer) and free everything. */
void fake_api_destroy(struct fake_api *api);

/* Requests recorded so far; a request is complete before it is counted
 * and never changes afterwards. */
size_t fake_api_count(struct fake_api *api);
const struct fake_request *fake_api_request(struct fake_api *api, size_t i);

/* The value of header name (case-insensitive) in r, or false. */
bool fake_api_header(const struct fake_request *r, const char *name, char *buf, size_t cap);

/*
 * Parse a step written as "STATUS[;ra=VALUE][;delay=MS][;ctype=TYPE][;loc=URL][;body=TEXT]"
 * (body last: it takes the rest of the text) or "drop". The step points
 * into spec, which is modified. Returns 0 or -1.
 */
int fake_api_parse_step(char *spec, struct fake_step *out);

/* A loopback port nothing listens on (bound, then released). 0 on failure. */
unsigned fake_api_refused_port(void);

#endif
