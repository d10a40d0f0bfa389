/*
 * outbound.h — the client for the platform's Send SMS API (SPEC §1):
 * POST {base}/v1/outbound-sms, with the retry policy that keeps a person
 * from being texted twice.
 *
 * Outcomes are kept apart because they call for different actions:
 * accepted (202); rejected (400/401/403/404 and other 4xx, never retried);
 * rate limited (429, retried with backoff until the attempts or the wait
 * budget run out); unknown (a 5xx, or a timeout or dropped connection
 * after the request went out: the message may already be on its way, so
 * it is not retried unless the caller opts in for 5xx); transport error
 * (the request provably never reached the server: DNS, refused
 * connection, TLS handshake; retried like 429).
 *
 * A client owns one libcurl easy handle, so consecutive sends reuse the
 * connection; use one client per thread. The library never prints: the
 * caller may watch each attempt through a trace callback, which never
 * sees the credentials. Clock, sleep and randomness are injectable so
 * tests never wait in real time.
 */
#ifndef PREFLIGHT_OUTBOUND_H
#define PREFLIGHT_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The API path appended to the base URL. */
#define PF_OUTBOUND_PATH "/v1/outbound-sms"

/* What credentials look like in every preview, trace and detail. */
#define PF_REDACTED "***"

/* The base URL of a cluster ("us-1", "uk-1", "euw-1"), or NULL when the
 * name is not one of them. */
PF_EXTERN const char *pf_cluster_base_url(const char *cluster);

typedef enum pf_send_status {
    PF_SEND_ACCEPTED = 0,   /* 202 (any 2xx): the API took the message */
    PF_SEND_REJECTED,       /* a 4xx other than 429 (or a 3xx): not sent, not retried */
    PF_SEND_RATE_LIMITED,   /* 429 on the last attempt allowed */
    PF_SEND_UNKNOWN,        /* 5xx, or no answer after the request went out */
    PF_SEND_TRANSPORT_ERROR /* the request never reached the server */
} pf_send_status;

/* "accepted", "rejected", "rate_limited", "unknown", "transport_error". */
PF_EXTERN const char *pf_send_status_name(pf_send_status s);

/* One step of a send, for the caller's --verbose tracing. */
typedef enum pf_send_event_kind {
    PF_SEND_EV_REQUEST = 0, /* an attempt starts */
    PF_SEND_EV_RESPONSE,    /* an HTTP response arrived */
    PF_SEND_EV_ERROR,       /* the attempt failed without a response */
    PF_SEND_EV_WAIT         /* sleeping before the next attempt */
} pf_send_event_kind;

typedef struct pf_send_event {
    pf_send_event_kind kind;
    unsigned attempt; /* 1-based */
    long http_status; /* RESPONSE: the status; else 0 */
    int64_t wait_ms;  /* WAIT: how long */
    const char *text; /* one line for a person; never holds a credential */
} pf_send_event;

typedef void (*pf_send_trace_fn)(void *ctx, const pf_send_event *ev);

typedef struct pf_client_options {
    /* "https://api.us-1.platform.polyai.app" (see pf_cluster_base_url), or
     * http:// to a loopback host (127.0.0.0/8, ::1, localhost) for tests.
     * A path prefix is kept; user info, query and fragment are refused. */
    const char *base_url;
    /* X-PolyAi-Auth-Token and X-TOKEN-ID. May be NULL for a client that
     * only previews requests; pf_client_send then fails with PF_E_INVALID. */
    const char *auth_token;
    const char *token_id;
    int64_t connect_timeout_ms; /* default 10000 */
    int64_t timeout_ms;         /* whole attempt, default 30000 */
    unsigned max_attempts;      /* 429 and unreached attempts; default 5 */
    int64_t backoff_base_ms;    /* first backoff ceiling, doubled per retry; default 1000 */
    int64_t backoff_max_ms;     /* ceiling of one backoff wait; default 30000 */
    int64_t max_total_wait_ms;  /* all waits of one send together; default 60000 */
    bool retry_server_errors;   /* retry 5xx too (risks a second text); default false */
    /* Injectable for tests; NULL means the real thing. now_ms is the wall
     * clock in Unix milliseconds (Retry-After dates are compared with it);
     * random returns uniformly distributed bits for the backoff jitter. */
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    uint64_t (*random)(void *ctx);
    void *ctx;              /* handed to the three above */
    pf_send_trace_fn trace; /* NULL: no tracing */
    void *trace_ctx;
} pf_client_options;

PF_EXTERN pf_client_options pf_client_options_default(void);

typedef struct pf_client pf_client;

/*
 * Create a client. PF_E_INVALID (with the reason in diag->message, never a
 * credential) for a base URL that is not https:// or loopback http://, a
 * credential that is not visible ASCII, a timeout or attempt count out of
 * range; PF_E_NOMEM; PF_E_INTERNAL when libcurl fails. The options'
 * strings are copied.
 *
 * libcurl initialises itself on first use; a program that creates clients
 * on several threads at once should call curl_global_init() first (libcurl
 * before 7.84 does not make that first use thread-safe).
 */
PF_EXTERN pf_status pf_client_create(const pf_client_options *opts, pf_client **out, pf_diag *diag);
PF_EXTERN void pf_client_destroy(pf_client *client);

/*
 * Trust the certificate authorities in ca_file (PEM, one certificate or
 * more) instead of libcurl's default CA bundle, and/or those in ca_dir (a
 * directory hashed by `openssl rehash` / c_rehash) instead of its default
 * CA directory; NULL keeps that default. For a proxy that inspects TLS, or
 * an API behind a private CA. Verification stays on: the peer and the
 * host name are always checked. Call before sending; a later call
 * replaces the earlier choice.
 *
 * A function on the opaque client rather than new pf_client_options
 * fields, so programs built against an earlier pf_client_options keep
 * working with a newer library. PF_E_IO (diag->file set) when the file or
 * directory cannot be read; PF_E_INVALID when the file holds no PEM
 * certificate or the directory no hashed certificate name (HHHHHHHH.N);
 * PF_E_INTERNAL when libcurl refuses (a TLS back end without CA
 * directories). A rejected file or directory leaves the client unchanged.
 */
PF_EXTERN pf_status pf_client_set_ca(pf_client *client, const char *ca_file, const char *ca_dir,
                           pf_diag *diag);

typedef struct pf_send_request {
    const char *user_number; /* recipient, strict E.164 */
    const char *message;     /* UTF-8, no NUL bytes */
    size_t message_len;
    const char *agent_number; /* sender, strict E.164; NULL lets the API choose */
} pf_send_request;

typedef struct pf_send_result {
    pf_send_status status;
    long http_status;  /* of the last response; 0 when none came */
    unsigned attempts; /* requests started */
    int64_t waited_ms; /* slept between attempts, in all */
    char *detail;      /* owned: the API's error (its "detail", or the
                        * JSON object it sent), or what the transport
                        * reported; NULL when none. Credentials are
                        * replaced by "***". */
    const char *hint;  /* static advice for the outcome, or NULL */
} pf_send_result;

PF_EXTERN void pf_send_result_init(pf_send_result *r);
PF_EXTERN void pf_send_result_clear(pf_send_result *r);

/*
 * Send one message. PF_OK whenever the exchange was carried out, whatever
 * the API said: r tells how it went. PF_E_INVALID (reason in diag) when
 * the request or the client's credentials are unusable; nothing is sent.
 * PF_E_UTF8 for a message that is not UTF-8. PF_E_NOMEM.
 */
PF_EXTERN pf_status pf_client_send(pf_client *client, const pf_send_request *req, pf_send_result *r,
                         pf_diag *diag);

/*
 * The final response as it arrived, for a caller that relays it (the
 * gateway): body (at most 64 KiB kept; credentials replaced by "***"),
 * Content-Type and Retry-After. size is set by pf_send_response_init, so
 * fields can be added at the end. body is NULL when no response came.
 */
typedef struct pf_send_response {
    size_t size;
    char *body; /* owned, NUL-terminated */
    size_t body_len;
    char content_type[128]; /* "" when absent */
    char retry_after[128];  /* "" when absent */
} pf_send_response;

PF_EXTERN void pf_send_response_init(pf_send_response *resp);
PF_EXTERN void pf_send_response_clear(pf_send_response *resp);

/*
 * pf_client_send with this call's credentials instead of the client's (a
 * gateway forwarding each caller's own; NULL: the client's) and, when resp
 * is not NULL, the final response kept for relaying. The credentials are
 * checked as pf_client_create checks them (PF_E_INVALID, never echoed) and
 * scrubbed from details and the kept body. Same retry policy.
 */
PF_EXTERN pf_status pf_client_send_as(pf_client *client, const pf_send_request *req,
                                      const char *auth_token, const char *token_id,
                                      pf_send_result *r, pf_send_response *resp, pf_diag *diag);

/* A request as it would go out, credentials shown as "***". */
#define PF_PREVIEW_HEADERS 8

typedef struct pf_request_preview {
    const char *method; /* "POST" */
    char *url;          /* owned */
    const char *header_names[PF_PREVIEW_HEADERS];
    char *header_values[PF_PREVIEW_HEADERS]; /* owned */
    size_t header_count;
    char *body; /* owned: the exact bytes sent */
    size_t body_len;
} pf_request_preview;

/* What pf_client_send would send for req (first attempt), without sending
 * anything. Same validation and statuses as pf_client_send, except that
 * missing credentials are fine. Clear with pf_request_preview_clear. */
PF_EXTERN pf_status pf_client_preview(const pf_client *client, const pf_send_request *req,
                            pf_request_preview *out, pf_diag *diag);
PF_EXTERN void pf_request_preview_clear(pf_request_preview *p);

#ifdef __cplusplus
}
#endif

#endif
