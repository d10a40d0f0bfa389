/*
 * serve_playground.h — what `preflight serve` adds for the web playground
 * (issue 23): the page and its script and style sheet (embedded in the
 * binary at build time from cli/playground/, see embed.cmake), and the two
 * small read-only JSON endpoints the page needs besides POST /v1/check:
 * POST /v1/segments (the split, as `preflight segments --format json`) and
 * GET /v1/senders (the loaded config's numbers, without anything secret),
 * and POST /v1/campaign (the campaign pre-scan of a pasted file).
 *
 * serve.c owns the connection; these functions only build answers.
 */
#ifndef PREFLIGHT_SERVE_PLAYGROUND_H
#define PREFLIGHT_SERVE_PLAYGROUND_H

#include <pthread.h>
#include <stddef.h>

#include "preflight/preflight.h"

/* serve.c's lock around cJSON parses (cJSON keeps a global error pointer). */
extern pthread_mutex_t serve_parse_mu;

/* An answer for serve.c to queue: body on the heap (NULL: out of memory),
 * headers as name/value pairs ending in NULL. */
struct pg_answer {
    unsigned status;
    char *body;
    size_t len;
    const char *ctype;
    const char *const *headers;
};

/* The embedded file served at path ("/", "/playground.js", ...): 1 and *a
 * filled, or 0 when path is not one of them. */
int serve_playground_asset(const char *path, struct pg_answer *a);

/* POST /v1/segments with {"message": "..."}: 200 and the segments JSON, or
 * 400 {"detail"} naming the field. */
void serve_playground_segments(const char *body, size_t len, struct pg_answer *a);

/* GET /v1/senders: {"environment", "senders": [{number, label, environment,
 * kind}]} from the session's config (no config: an empty list). */
void serve_playground_senders(const pf_session *sess, struct pg_answer *a);

/* POST /v1/campaign[?kind=10dlc|toll-free] with a campaign file as the
 * body: 200 and the JSON of `preflight campaign --format json FILE` (the
 * file named campaign.json; never --fetch), or 400 naming line, column and
 * key. */
void serve_playground_campaign(const pf_session *sess, const char *kind, const char *body,
                               size_t len, struct pg_answer *a);

#endif
