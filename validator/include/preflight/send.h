/*
 * send.h — the gated send: check, and only when the verdict allows it,
 * send through the Send SMS API (outbound.h), with the sender that was
 * checked named explicitly and the API chosen from the options or the
 * session's config.
 *
 * A pf_sender is per thread (it owns a checker and a libcurl handle, so
 * consecutive sends reuse the connection); the session it is made from is
 * shared.
 *
 *     pf_send_options *o;   pf_sender *snd;   pf_send_outcome out;
 *     pf_send_options_create(&o);
 *     pf_send_options_set_credentials(o, token, connector);
 *     pf_send_options_set_dry_run(o, true);
 *     pf_sender_create(session, o, &snd, &d);     // o may go now
 *     pf_send_outcome_init(&out);
 *     pf_sender_send(snd, &input, &out, &d);      // out.gate says what happened
 *     pf_send_outcome_to_json(&out, PF_JSON_PRETTY, &json, &len);
 *     pf_send_outcome_clear(&out);
 *     pf_sender_destroy(snd);
 */
#ifndef PREFLIGHT_SEND_H
#define PREFLIGHT_SEND_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "findings.h"
#include "outbound.h"
#include "session.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pf_send_options pf_send_options;

PF_EXTERN pf_status pf_send_options_create(pf_send_options **out);
/* Wipes the credentials it holds. */
PF_EXTERN void pf_send_options_destroy(pf_send_options *o);

/* The API: an explicit base URL wins over a cluster name ("us-1", "uk-1",
 * "euw-1"), which wins over the config's "cluster". PF_E_NOT_FOUND for an
 * unknown cluster name. */
PF_EXTERN pf_status pf_send_options_set_base_url(pf_send_options *o, const char *url);
PF_EXTERN pf_status pf_send_options_set_cluster(pf_send_options *o, const char *cluster);
/* API key and connector id (copied; wiped when freed). Without them a
 * sender can only do dry runs. */
PF_EXTERN pf_status pf_send_options_set_credentials(pf_send_options *o, const char *auth_token,
                                                    const char *token_id);
/*
 * The credentials from a file ("-": standard input): a JSON object
 * {"auth_token": ..., "token_id": ...} or KEY=VALUE lines
 * (POLYAI_AUTH_TOKEN=..., POLYAI_TOKEN_ID=...; '#' comments, "export ",
 * quotes). Both are required. Errors name the file, the line and the key,
 * never a value; the file's text is wiped before it is freed.
 */
PF_EXTERN pf_status pf_send_options_load_credentials(pf_send_options *o, const char *file,
                                                     pf_diag *diag);
/*
 * Trust the CA certificates in ca_file (PEM) and/or ca_dir (hashed by
 * `openssl rehash`) instead of the default bundle: for a TLS-inspecting
 * proxy or an API behind a private CA (pf_client_set_ca; verification stays
 * on). NULL leaves that one as it was. Checked now: PF_E_IO (diag->file
 * set) when unreadable, PF_E_INVALID when the file holds no PEM
 * certificate or the directory no hashed certificate name.
 */
PF_EXTERN pf_status pf_send_options_set_ca(pf_send_options *o, const char *ca_file,
                                           const char *ca_dir, pf_diag *diag);
/* The lowest severity that stops a send: PF_SEV_BLOCK (default) or
 * PF_SEV_WARN. */
PF_EXTERN pf_status pf_send_options_set_fail_on(pf_send_options *o, pf_severity level);
/* Build the request but send nothing (the outcome holds the preview). */
PF_EXTERN pf_status pf_send_options_set_dry_run(pf_send_options *o, bool dry_run);
/* Timeouts, retries, trace and the injectable clock (base_url and the
 * credentials in it are ignored: use the setters above). */
PF_EXTERN pf_status pf_send_options_set_client(pf_send_options *o, const pf_client_options *c);
/* Called with the verdict after the check and before any request, so a
 * caller can show it before the network makes anyone wait. */
typedef void (*pf_send_verdict_fn)(void *ctx, const pf_verdict *v);
PF_EXTERN pf_status pf_send_options_set_on_verdict(pf_send_options *o, pf_send_verdict_fn fn,
                                                   void *ctx);

/* What became of one gated send. */
typedef enum pf_send_gate {
    PF_GATE_BLOCKED = 0, /* the verdict blocks: no request */
    PF_GATE_STOPPED,     /* the verdict warns and fail-on is warn: no request */
    PF_GATE_DRY_RUN,     /* allowed; the request is in preview, nothing sent */
    PF_GATE_SENT         /* allowed and sent: result says how it went */
} pf_send_gate;

/* "blocked", "stopped", "dry_run", "sent". */
PF_EXTERN const char *pf_send_gate_name(pf_send_gate g);

/*
 * The outcome. size is set by pf_send_outcome_init to the size the caller
 * was compiled with, so fields can be added at the end without breaking
 * older callers.
 */
typedef struct pf_send_outcome {
    size_t size;
    bool checked; /* the check ran (false: the input was refused, see diag) */
    pf_send_gate gate;
    const char *reason;         /* BLOCKED/STOPPED: why, for a person (static) */
    pf_verdict verdict;         /* always, once the check ran */
    pf_request_preview preview; /* DRY_RUN and SENT: the request (credentials "***") */
    pf_send_result result;      /* SENT: status, HTTP status, attempts, detail, hint */
} pf_send_outcome;

PF_EXTERN void pf_send_outcome_init(pf_send_outcome *out);
PF_EXTERN void pf_send_outcome_clear(pf_send_outcome *out);

typedef struct pf_sender pf_sender;

/*
 * A sender over a session. Resolves the API now: PF_E_INVALID when there
 * is none ("no API to send to"), PF_E_SCHEMA when the config names an
 * unknown cluster (diag names the config file); the client's own checks
 * (https, header-safe credentials) as pf_client_create. It holds a
 * reference to the session.
 */
PF_EXTERN pf_status pf_sender_create(pf_session *session, const pf_send_options *o,
                                     pf_sender **out, pf_diag *diag);
PF_EXTERN void pf_sender_destroy(pf_sender *s);
/* The base URL the sender posts to. */
PF_EXTERN const char *pf_sender_base_url(const pf_sender *s);

/*
 * Check, then send only when the verdict is below fail-on: the recipient's
 * E.164 form, the message, and the sender the check chose (explicitly, so
 * the API cannot pick another). PF_OK whenever the gate decided, whatever
 * the API answered (see out->gate and out->result); an input the check
 * refuses (invalid UTF-8, a NUL, too long) or a request that cannot be
 * built is an error with diag set, and nothing is sent.
 */
PF_EXTERN pf_status pf_sender_send(pf_sender *s, const pf_check_input *in, pf_send_outcome *out,
                                   pf_diag *diag);

/*
 * pf_sender_send with this call's credentials (NULL: the sender's) and the
 * upstream's final response kept in resp (may be NULL), as
 * pf_client_send_as: for a gateway that forwards each caller's credentials
 * and relays what the API answered.
 */
PF_EXTERN pf_status pf_sender_send_as(pf_sender *s, const pf_check_input *in,
                                      const char *auth_token, const char *token_id,
                                      pf_send_outcome *out, pf_send_response *resp,
                                      pf_diag *diag);

/*
 * The outcome as JSON: the verdict (as pf_verdict_to_json writes it) plus
 * "send": {"status": "not_sent", "reason"} | {"status": "dry_run",
 * "request"} | {"status": accepted|rejected|..., "http_status", "attempts",
 * "waited_ms", "detail", "hint"}. Flags as pf_verdict_to_json.
 */
PF_EXTERN pf_status pf_send_outcome_to_json(const pf_send_outcome *out, unsigned flags,
                                            char **json, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
