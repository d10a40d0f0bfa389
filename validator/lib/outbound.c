/*
 * outbound.c — the Send SMS API client: request building, the libcurl
 * exchange, and the retry policy (see outbound.h for the outcomes).
 *
 * The one rule that shapes the code: retry only what provably did not
 * reach the server (or what the server asked us to repeat, 429). A
 * timeout or a dropped connection after the body went out, or a 5xx, may
 * mean the person already has the text; sending again would text them
 * twice, so those end as "unknown" unless the caller opts in for 5xx.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include "curl_dl.h"

#include "internal.h"
#include "preflight/number.h"
#include "preflight/outbound.h"
#include "preflight/segments.h"
#include "preflight/util.h"
#include "preflight/version.h"
#include "utf8_int.h"

/* Response bodies are error objects of a few hundred bytes; more is kept
 * only up to this, so a misbehaving server cannot grow us without bound. */
#define BODY_KEEP (64u * 1024u)
/* Longest detail handed back, in bytes. */
#define DETAIL_MAX 2048u
/* A credential shorter than this is not searched for in details: replacing
 * every "1" of a message would say nothing and mangle it. */
#define SCRUB_MIN 4u
/* A CA bundle larger than this is not a CA bundle (Debian's is 0.2 MB). */
#define CA_FILE_MAX (16u * 1024u * 1024u)

struct pf_client {
    CURL *curl;
    struct curl_slist *headers;
    char *url;        /* base + PF_OUTBOUND_PATH */
    char *auth_token; /* NULL when not given */
    char *token_id;
    bool loopback;
    pf_client_options o; /* base_url and credentials cleared: see above */
    uint64_t rng;        /* state of the default jitter source */
    char user_agent[64];
    char errbuf[CURL_ERROR_SIZE];
};

/* One attempt's response, and how far the request body got. */
struct exchange {
    const char *req; /* the request body */
    size_t req_len;
    size_t req_off;
    bool body_pulled; /* libcurl asked for body bytes: it may be out */
    char *body;
    size_t len;
    size_t cap;
    char retry_after[128]; /* of the final response; "" when absent */
    char content_type[128];
};

/* The policy, as pure functions the unit tests reach (PF_UNITTEST). */
PF_STATIC int64_t outbound_retry_after_ms(const char *value, int64_t now_ms);
PF_STATIC int64_t outbound_backoff_ms(unsigned retry, int64_t base, int64_t cap, uint64_t rnd);
PF_STATIC pf_send_status outbound_classify_http(long http, bool retry_5xx, bool has_agent,
                                                bool *retry, const char **hint);
PF_STATIC pf_send_status outbound_classify_curl(int code, bool reached, bool *retry,
                                                const char **hint);
PF_STATIC char *outbound_error_detail(const char *body, size_t len);
PF_STATIC pf_status outbound_endpoint(const char *base, char **url, bool *loopback, pf_diag *diag);

/* The one cluster table: names (the config loader validates against
 * them) and base URLs, in the same order. */
const char *const pfi_cluster_names[] = {"us-1", "uk-1", "euw-1", NULL};
static const char *const cluster_urls[] = {
    "https://api.us-1.platform.polyai.app",
    "https://api.uk-1.platform.polyai.app",
    "https://api.euw-1.platform.polyai.app",
};

const char *pf_cluster_base_url(const char *cluster)
{
    for (size_t i = 0; cluster && pfi_cluster_names[i]; i++) {
        if (strcmp(cluster, pfi_cluster_names[i]) == 0)
            return cluster_urls[i];
    }
    return NULL;
}

const char *pf_send_status_name(pf_send_status s)
{
    switch (s) {
    case PF_SEND_ACCEPTED: return "accepted";
    case PF_SEND_REJECTED: return "rejected";
    case PF_SEND_RATE_LIMITED: return "rate_limited";
    case PF_SEND_UNKNOWN: return "unknown";
    case PF_SEND_TRANSPORT_ERROR: return "transport_error";
    }
    return "unknown";
}

pf_client_options pf_client_options_default(void)
{
    pf_client_options o;
    memset(&o, 0, sizeof o);
    o.connect_timeout_ms = 10000;
    o.timeout_ms = 30000;
    o.max_attempts = 5;
    o.backoff_base_ms = 1000;
    o.backoff_max_ms = 30000;
    o.max_total_wait_ms = 60000;
    return o;
}

void pf_send_result_init(pf_send_result *r)
{
    memset(r, 0, sizeof *r);
    r->status = PF_SEND_TRANSPORT_ERROR;
}

void pf_send_result_clear(pf_send_result *r)
{
    if (!r)
        return;
    free(r->detail);
    pf_send_result_init(r);
}

void pf_request_preview_clear(pf_request_preview *p)
{
    if (!p)
        return;
    free(p->url);
    for (size_t i = 0; i < p->header_count; i++)
        free(p->header_values[i]);
    free(p->body);
    memset(p, 0, sizeof *p);
}

/* ---- the defaults behind the injectable clock, sleep and randomness ---- */

static int64_t real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void real_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t client_random(pf_client *c)
{
    if (c->o.random)
        return c->o.random(c->o.ctx);
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 2685821657736338717ULL;
}

static int64_t client_now(const pf_client *c)
{
    return c->o.now_ms ? c->o.now_ms(c->o.ctx) : real_now_ms();
}

static void client_sleep(const pf_client *c, int64_t ms)
{
    if (c->o.sleep_ms)
        c->o.sleep_ms(c->o.ctx, ms);
    else
        real_sleep_ms(ms);
}

static void trace(const pf_client *c, pf_send_event_kind kind, unsigned attempt, long http,
                  int64_t wait, const char *fmt, ...) PF_PRINTF(6, 7);

static void trace(const pf_client *c, pf_send_event_kind kind, unsigned attempt, long http,
                  int64_t wait, const char *fmt, ...)
{
    if (!c->o.trace)
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pf_send_event ev = {kind, attempt, http, wait, text};
    c->o.trace(c->o.trace_ctx, &ev);
}

/* ---- policy: pure functions, reachable from the unit tests ---- */

/*
 * Milliseconds a Retry-After value asks for: delay-seconds or an HTTP-date
 * (RFC 9110 §10.2.3; curl_getdate reads all three date forms), relative to
 * now_ms. A date in the past means "now" (0). -1 when the value is
 * neither, so the caller falls back to its own backoff.
 */
PF_STATIC int64_t outbound_retry_after_ms(const char *value, int64_t now_ms)
{
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    if (n == 0)
        return -1;
    size_t digits = 0;
    while (digits < n && isdigit((unsigned char)value[digits]))
        digits++;
    if (digits == n) {
        /* A year is far beyond any wait budget; stop there, before overflow. */
        int64_t s = 0;
        for (size_t i = 0; i < n && s <= 366 * 86400; i++)
            s = s * 10 + (value[i] - '0');
        return s * 1000;
    }
    char buf[128];
    /* Every HTTP-date form starts with the day's name. */
    if (n >= sizeof buf || !isalpha((unsigned char)value[0]))
        return -1;
    memcpy(buf, value, n);
    buf[n] = '\0';
    time_t t = curl_getdate(buf, NULL);
    if (t == (time_t)-1)
        return -1;
    /* In seconds first: a date far in the future (curl reads odd years)
     * would overflow in milliseconds (found by fuzzing). A year is far
     * beyond any wait budget, as above. */
    int64_t secs = (int64_t)t - now_ms / 1000;
    if (secs > 366 * 86400)
        return (int64_t)366 * 86400 * 1000;
    int64_t ms = secs * 1000 - now_ms % 1000;
    return ms < 0 ? 0 : ms;
}

/*
 * Exponential backoff with full jitter (a uniform wait between 0 and the
 * ceiling; the ceiling starts at base and doubles per retry up to cap):
 * clients that failed together do not come back together. retry is
 * 1-based: the wait before the second attempt is retry 1.
 */
PF_STATIC int64_t outbound_backoff_ms(unsigned retry, int64_t base, int64_t cap, uint64_t rnd)
{
    int64_t ceiling = base;
    for (unsigned i = 1; i < retry && ceiling < cap; i++)
        ceiling *= 2;
    if (ceiling > cap)
        ceiling = cap;
    if (ceiling <= 0)
        return 0;
    return (int64_t)(rnd % (uint64_t)(ceiling + 1));
}

/* What an HTTP status means. has_agent: the request named a sender, so a
 * 400 most likely means it is not provisioned (SPEC §1). */
PF_STATIC pf_send_status outbound_classify_http(long http, bool retry_5xx, bool has_agent,
                                                bool *retry, const char **hint)
{
    struct {
        pf_send_status status;
        bool retry;
        const char *hint;
    } o = {PF_SEND_REJECTED, false, NULL};
    if (http >= 200 && http < 300) {
        o.status = PF_SEND_ACCEPTED;
    } else if (http == 429) {
        o.status = PF_SEND_RATE_LIMITED;
        o.retry = true;
        o.hint = "The project's rate limit was hit on every attempt; try again later or "
                 "send more slowly.";
    } else if (http >= 500) {
        o.status = PF_SEND_UNKNOWN;
        o.retry = retry_5xx;
        o.hint = "The server failed: the message may or may not have gone out. Check before "
                 "sending again, or the person may get it twice.";
    } else if (http == 400) {
        o.hint = has_agent ? "The agent number is likely not provisioned for this project (or "
                             "not for the token's environment); the API refuses senders it "
                             "does not know."
                           : "The API refused the request body: the recipient must be E.164 "
                             "and the message must not be empty.";
    } else if (http == 401) {
        o.hint = "The API key (X-PolyAi-Auth-Token) is missing or invalid.";
    } else if (http == 403) {
        o.hint = "The API key and the connector (X-TOKEN-ID) belong to different accounts.";
    } else if (http == 404) {
        o.hint = "The connector (X-TOKEN-ID) is unknown, or the project has no numbers "
                 "provisioned.";
    } else if (http >= 300 && http < 400) {
        o.hint = "The API answered with a redirect, which is not followed: check the base URL.";
    } else {
        o.hint = "The API refused the request.";
    }
    *retry = o.retry;
    *hint = o.hint;
    return o.status;
}

/*
 * What a failed exchange means. reached: the request may have got to the
 * server (libcurl took body bytes, or the connection was fully set up).
 * Only failures before that point are safe to repeat.
 */
PF_STATIC pf_send_status outbound_classify_curl(int code, bool reached, bool *retry,
                                                const char **hint)
{
    *retry = false;
    if (reached) {
        *hint = "The request went out but no complete answer came back: the message may "
                "already have been sent. Check before sending again.";
        return PF_SEND_UNKNOWN;
    }
    switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_OPERATION_TIMEDOUT: /* not reached: the connect timed out */
        *retry = true;
        *hint = "The API could not be reached (name lookup, connection or TLS handshake); "
                "nothing was sent.";
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        *hint = "The server's TLS certificate could not be verified; nothing was sent.";
        break;
    default: *hint = "The request could not be made; nothing was sent."; break;
    }
    return PF_SEND_TRANSPORT_ERROR;
}

/* Make s one line of valid UTF-8 in place: controls become spaces, bytes
 * that are not UTF-8 become '?', and it is cut to DETAIL_MAX at a
 * character boundary. */
static void clean_line(char *s)
{
    size_t len = strlen(s), o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = pfi_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n == 0) {
            n = 1;
            cp = '?';
            s[i] = '?';
        } else if (cp < 0x20 || cp == 0x7f) {
            s[i] = ' ';
        }
        if (o + n > DETAIL_MAX - 4) {
            /* The "..." must fit in the string itself: step back over whole
             * characters until it does (found by fuzzing). */
            while (o + 3 > len && o > 0) {
                o--;
                while (o > 0 && ((unsigned char)s[o] & 0xC0) == 0x80)
                    o--;
            }
            if (o + 3 <= len) {
                memcpy(s + o, "...", 3);
                o += 3;
            }
            break;
        }
        memmove(s + o, s + i, n);
        o += n;
        i += n;
    }
    s[o] = '\0';
}

/*
 * The detail of an error response: the API's "detail" when it is a
 * string, else that value or the whole JSON it sent, compact; a body that
 * is not JSON as text. NULL for an empty body or no memory.
 */
PF_STATIC char *outbound_error_detail(const char *body, size_t len)
{
    char *out = NULL;
    if (len == 0)
        return NULL;
    cJSON *doc = cJSON_ParseWithLength(body, len);
    if (doc) {
        const cJSON *d =
            cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, "detail") : NULL;
        const cJSON *show = d ? d : doc;
        if (cJSON_IsString(show))
            out = strdup(show->valuestring);
        else
            out = cJSON_PrintUnformatted(show);
        cJSON_Delete(doc);
    } else {
        size_t n = len < DETAIL_MAX ? len : DETAIL_MAX;
        out = malloc(n + 1);
        if (out) {
            memcpy(out, body, n);
            out[n] = '\0';
        }
    }
    if (out)
        clean_line(out);
    return out;
}

/* Replace every occurrence of secret in s by PF_REDACTED, in place (the
 * replacement is never longer than what it replaces). */
static void scrub(char *s, const char *secret)
{
    size_t sl = secret ? strlen(secret) : 0, rl = strlen(PF_REDACTED);
    if (!s || sl < SCRUB_MIN)
        return;
    char *p;
    while ((p = strstr(s, secret)) != NULL) {
        memcpy(p, PF_REDACTED, rl);
        memmove(p + rl, p + sl, strlen(p + sl) + 1);
    }
}

/* Whether host (as libcurl's URL parser gives it) is a loopback address. */
static bool is_loopback(const char *host)
{
    unsigned char a4[4];
    if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    return inet_pton(AF_INET, host, a4) == 1 && a4[0] == 127;
}

/*
 * Check a base URL and build the endpoint from it into *url (heap). https
 * anywhere; plain http only to loopback, where nothing crosses a network.
 */
PF_STATIC pf_status outbound_endpoint(const char *base, char **url, bool *loopback, pf_diag *diag)
{
    pf_status st = PF_E_INVALID;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL, *query = NULL, *frag = NULL,
         *full = NULL;

    *url = NULL;
    *loopback = false;
    if (!u)
        return PF_E_NOMEM;
    if (!base || !*base) {
        pfi_diag_set(diag, st, "no base URL");
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        pfi_diag_set(diag, st, "'%s' is not a URL (expected https://HOST[:PORT][/PATH])", base);
        goto out;
    }
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
    if (user || pass) {
        /* Never echo it: the user info may be a credential. */
        pfi_diag_set(diag, st, "the base URL must not carry a user name or password");
        goto out;
    }
    if (query || frag) {
        pfi_diag_set(diag, st, "the base URL must not have a query or fragment: '%s'", base);
        goto out;
    }
    *loopback = is_loopback(host);
    if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && *loopback)) {
        pfi_diag_set(diag, st,
                     "'%s': the base URL must be https:// (plain http:// only to a loopback "
                     "host: 127.0.0.0/8, ::1, localhost)",
                     base);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        pfi_diag_set(diag, st, "'%s' is not a URL", base);
        goto out;
    }
    size_t n = strlen(full);
    while (n && full[n - 1] == '/')
        n--;
    *url = malloc(n + sizeof PF_OUTBOUND_PATH);
    if (!*url) {
        st = PF_E_NOMEM;
        goto out;
    }
    memcpy(*url, full, n);
    memcpy(*url + n, PF_OUTBOUND_PATH, sizeof PF_OUTBOUND_PATH);
    st = PF_OK;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(pass);
    curl_free(query);
    curl_free(frag);
    curl_free(full);
    curl_url_cleanup(u);
    return st;
}

/* ---- the request ---- */

enum { H_AUTH, H_TOKEN_ID, H_CONTENT_TYPE, H_ACCEPT, H_USER_AGENT, H_COUNT };

static const char *const header_names[H_COUNT] = {
    "X-PolyAi-Auth-Token", "X-TOKEN-ID", "Content-Type", "Accept", "User-Agent",
};

/* A header's value; redacted credentials show as PF_REDACTED whether or
 * not they were given. NULL for a credential that is absent. */
static const char *header_value(const pf_client *c, int h, bool redact)
{
    switch (h) {
    case H_AUTH: return redact ? PF_REDACTED : c->auth_token;
    case H_TOKEN_ID: return redact ? PF_REDACTED : c->token_id;
    case H_CONTENT_TYPE: return "application/json";
    case H_ACCEPT: return "application/json";
    default: return c->user_agent;
    }
}

/* The JSON body for req, checked: strict E.164 numbers (what the engine
 * checked is what is sent), a UTF-8 message without NUL bytes. */
static pf_status build_body(const pf_send_request *req, char **out, size_t *len, pf_diag *diag)
{
    pf_status st = PF_E_INVALID;
    cJSON *o = NULL;
    char *msg = NULL;
    size_t bad;

    *out = NULL;
    if (!req->user_number ||
        !pf_number_is_strict_e164(req->user_number, strlen(req->user_number))) {
        pfi_diag_set(diag, st, "user_number must be E.164 ('+' and 8 to 15 digits)");
        goto out;
    }
    if (req->agent_number &&
        !pf_number_is_strict_e164(req->agent_number, strlen(req->agent_number))) {
        pfi_diag_set(diag, st, "agent_number must be E.164 ('+' and 8 to 15 digits)");
        goto out;
    }
    if (!req->message) {
        pfi_diag_set(diag, st, "no message");
        goto out;
    }
    if (memchr(req->message, '\0', req->message_len)) {
        pfi_diag_set(diag, st, "the message contains a NUL byte");
        goto out;
    }
    if (pf_utf8_validate(req->message, req->message_len, &bad) != PF_OK) {
        st = PF_E_UTF8;
        pfi_diag_set(diag, st, "the message is not valid UTF-8 (byte %zu)", bad);
        if (diag)
            diag->offset = bad;
        goto out;
    }
    st = PF_E_NOMEM;
    if (!(msg = malloc(req->message_len + 1)))
        goto out;
    memcpy(msg, req->message, req->message_len);
    msg[req->message_len] = '\0';
    if (!(o = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(o, "user_number", req->user_number) ||
        !cJSON_AddStringToObject(o, "message", msg) ||
        (req->agent_number && !cJSON_AddStringToObject(o, "agent_number", req->agent_number)))
        goto out;
    if (!(*out = cJSON_PrintUnformatted(o)))
        goto out;
    *len = strlen(*out);
    st = PF_OK;
out:
    cJSON_Delete(o);
    free(msg);
    return st;
}

pf_status pf_client_preview(const pf_client *c, const pf_send_request *req, pf_request_preview *p,
                            pf_diag *diag)
{
    pf_status st;
    char num[32];

    memset(p, 0, sizeof *p);
    pf_diag_clear(diag);
    if ((st = build_body(req, &p->body, &p->body_len, diag)) != PF_OK)
        goto out;
    st = PF_E_NOMEM;
    p->method = "POST";
    if (!(p->url = strdup(c->url)))
        goto out;
    for (int h = 0; h < H_COUNT; h++) {
        p->header_names[p->header_count] = header_names[h];
        if (!(p->header_values[p->header_count] = strdup(header_value(c, h, true))))
            goto out;
        p->header_count++;
    }
    snprintf(num, sizeof num, "%zu", p->body_len);
    p->header_names[p->header_count] = "Content-Length";
    if (!(p->header_values[p->header_count] = strdup(num)))
        goto out;
    p->header_count++;
    st = PF_OK;
out:
    if (st != PF_OK)
        pf_request_preview_clear(p);
    return st;
}

/* ---- the client ---- */

/* A credential goes into a header line: visible ASCII only, so a stray
 * newline cannot smuggle in a header, and short enough for the line. */
static bool header_safe(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++) {
        if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e)
            return false;
    }
    return n <= 512;
}

pf_status pf_client_create(const pf_client_options *opts, pf_client **out, pf_diag *diag)
{
    pf_status st = PF_E_INVALID;
    pf_client *c = NULL;
    char line[1024] = "";

    *out = NULL;
    pf_diag_clear(diag);
    if (opts->connect_timeout_ms <= 0 || opts->timeout_ms <= 0) {
        pfi_diag_set(diag, st, "timeouts must be positive");
        goto out;
    }
    if (opts->max_attempts < 1 || opts->max_attempts > 100) {
        pfi_diag_set(diag, st, "max_attempts must be 1 to 100, not %u", opts->max_attempts);
        goto out;
    }
    if (opts->backoff_base_ms < 0 || opts->backoff_max_ms < 0 || opts->max_total_wait_ms < 0) {
        pfi_diag_set(diag, st, "backoff and wait limits must not be negative");
        goto out;
    }
    {
        /* libcurl is loaded here, on the first client (curl_dl.h). */
        char why[256];
        if (!pfi_curl_load(why, sizeof why)) {
            st = PF_E_INTERNAL;
            pfi_diag_set(diag, st, "%s", why);
            goto out;
        }
    }
    st = PF_E_NOMEM;
    if (!(c = calloc(1, sizeof *c)))
        goto out;
    c->o = *opts;
    c->o.base_url = c->o.auth_token = c->o.token_id = NULL;
    if ((st = outbound_endpoint(opts->base_url, &c->url, &c->loopback, diag)) != PF_OK)
        goto out;
    if (!header_safe(opts->auth_token) || !header_safe(opts->token_id)) {
        /* Never echoed: the value is a credential. */
        st = PF_E_INVALID;
        pfi_diag_set(diag, st, "the %s holds characters an HTTP header cannot carry",
                     !header_safe(opts->auth_token) ? "API key" : "connector id");
        goto out;
    }
    st = PF_E_NOMEM;
    if ((opts->auth_token && *opts->auth_token && !(c->auth_token = strdup(opts->auth_token))) ||
        (opts->token_id && *opts->token_id && !(c->token_id = strdup(opts->token_id))))
        goto out;
    snprintf(c->user_agent, sizeof c->user_agent, "sms-preflight/%s", pf_version());
    {
        struct timespec a, b;
        clock_gettime(CLOCK_REALTIME, &a);
        clock_gettime(CLOCK_MONOTONIC, &b);
        c->rng = ((uint64_t)a.tv_nsec << 32) ^ (uint64_t)a.tv_sec ^ (uint64_t)b.tv_nsec ^
                 ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)c;
        if (c->rng == 0)
            c->rng = 0x9e3779b97f4a7c15ULL;
    }
    for (int h = 0; h < H_COUNT; h++) {
        const char *v = header_value(c, h, false);
        if (!v)
            continue; /* no credentials: this client can only preview */
        snprintf(line, sizeof line, "%s: %s", header_names[h], v);
        struct curl_slist *nl = curl_slist_append(c->headers, line);
        if (!nl)
            goto out;
        c->headers = nl;
    }
    /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
    struct curl_slist *nl = curl_slist_append(c->headers, "Expect:");
    if (!nl)
        goto out;
    c->headers = nl;

    st = PF_E_INTERNAL;
    if (!(c->curl = curl_easy_init())) {
        pfi_diag_set(diag, st, "libcurl could not be initialised");
        goto out;
    }
    CURL *h = c->curl;
    if (curl_easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)opts->connect_timeout_ms) !=
            CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)opts->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK ||
        /* A loopback test server is never behind a proxy from the environment. */
        (c->loopback && curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK)) {
        pfi_diag_set(diag, st, "libcurl refused an option");
        goto out;
    }
    *out = c;
    c = NULL;
    st = PF_OK;
out:
    pfi_wipe(line, sizeof line); /* it held a credential header */
    if (st == PF_E_NOMEM)
        pfi_diag_set(diag, st, "out of memory");
    pf_client_destroy(c);
    return st;
}

void pf_client_destroy(pf_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    /* Credentials are wiped before their memory goes back to the heap. */
    for (struct curl_slist *h = c->headers; h; h = h->next)
        pfi_wipe(h->data, strlen(h->data));
    curl_slist_free_all(c->headers);
    free(c->url);
    if (c->auth_token)
        pfi_wipe(c->auth_token, strlen(c->auth_token));
    if (c->token_id)
        pfi_wipe(c->token_id, strlen(c->token_id));
    free(c->auth_token);
    free(c->token_id);
    free(c);
}

/* ca_file is a readable file with at least one PEM certificate in it. */
static pf_status check_ca_file(const char *path, pf_diag *diag)
{
    struct stat sb;
    char *text = NULL;
    size_t len = 0;
    pf_status st;

    pfi_diag_file(diag, path);
    if (stat(path, &sb) != 0) {
        pfi_diag_set(diag, PF_E_IO, "cannot read the CA file: %s", strerror(errno));
        return PF_E_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        pfi_diag_set(diag, PF_E_IO, "the CA file is not a regular file");
        return PF_E_IO;
    }
    if ((st = pf_read_file(path, CA_FILE_MAX, &text, &len, diag)) != PF_OK)
        return st;
    /* libcurl would only say so at the first handshake, as a verification
     * failure that reads like the server's fault. */
    if (!strstr(text, "-----BEGIN CERTIFICATE-----")) {
        st = PF_E_INVALID;
        pfi_diag_set(diag, st, "no PEM certificate (-----BEGIN CERTIFICATE-----) in the CA file");
    }
    free(text);
    return st;
}

/* ca_dir is a readable directory with at least one hashed certificate
 * name (8 hex digits, '.', a number), the only names OpenSSL looks up. */
static pf_status check_ca_dir(const char *path, pf_diag *diag)
{
    DIR *d;
    const struct dirent *e;
    bool hashed = false;

    pfi_diag_file(diag, path);
    if (!(d = opendir(path))) {
        pfi_diag_set(diag, PF_E_IO, "cannot read the CA directory: %s", strerror(errno));
        return PF_E_IO;
    }
    while (!hashed && (e = readdir(d))) {
        const char *n = e->d_name;
        size_t i = 0;
        while (i < 8 && isxdigit((unsigned char)n[i]))
            i++;
        if (i == 8 && n[8] == '.' && isdigit((unsigned char)n[9])) {
            for (i = 10; isdigit((unsigned char)n[i]);)
                i++;
            hashed = n[i] == '\0';
        }
    }
    closedir(d);
    if (!hashed) {
        pfi_diag_set(diag, PF_E_INVALID,
                     "no hashed certificate names (HHHHHHHH.0) in the CA directory; "
                     "run `openssl rehash` on it");
        return PF_E_INVALID;
    }
    return PF_OK;
}

pf_status pfi_ca_check(const char *ca_file, const char *ca_dir, pf_diag *diag)
{
    pf_status st;
    if ((ca_file && (st = check_ca_file(ca_file, diag)) != PF_OK) ||
        (ca_dir && (st = check_ca_dir(ca_dir, diag)) != PF_OK))
        return st;
    return PF_OK;
}

pf_status pf_client_set_ca(pf_client *c, const char *ca_file, const char *ca_dir, pf_diag *diag)
{
    pf_status st;

    pf_diag_clear(diag);
    if (!c) {
        pfi_diag_set(diag, PF_E_INVALID, "no client");
        return PF_E_INVALID;
    }
    if ((st = pfi_ca_check(ca_file, ca_dir, diag)) != PF_OK)
        return st;
    pf_diag_clear(diag);
    /* libcurl copies the strings. */
    if ((ca_file && curl_easy_setopt(c->curl, CURLOPT_CAINFO, ca_file) != CURLE_OK) ||
        (ca_dir && curl_easy_setopt(c->curl, CURLOPT_CAPATH, ca_dir) != CURLE_OK)) {
        /* CAPATH is CURLE_NOT_BUILT_IN with some TLS back ends. */
        pfi_diag_set(diag, PF_E_INTERNAL, "libcurl (%s) refused the CA %s",
                     curl_version_info(CURLVERSION_NOW)->ssl_version,
                     ca_dir ? "directory" : "file");
        return PF_E_INTERNAL;
    }
    return PF_OK;
}

/* ---- the exchange ---- */

static size_t on_read(char *buf, size_t size, size_t nitems, void *userp)
{
    struct exchange *x = userp;
    size_t n = size * nitems, left = x->req_len - x->req_off;
    if (n > left)
        n = left;
    x->body_pulled = true;
    memcpy(buf, x->req + x->req_off, n);
    x->req_off += n;
    return n;
}

/* libcurl rewinds to resend on a fresh connection when a reused one gave
 * no answer. It cannot tell a connection the server had closed before the
 * request from one the server closed after reading the whole body (the
 * message may be out), so once it has taken body bytes the rewind is
 * refused: the attempt fails as "may have reached the server" instead of
 * being sent a second time behind our back (found by bulk send's test
 * with a server that drops connections after the body). */
static int on_seek(void *userp, curl_off_t offset, int origin)
{
    struct exchange *x = userp;
    if (x->body_pulled)
        return CURL_SEEKFUNC_FAIL;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > x->req_len)
        return CURL_SEEKFUNC_CANTSEEK;
    x->req_off = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct exchange *x = userp;
    size_t n = size * nmemb, take = n;
    if (x->len + take > BODY_KEEP)
        take = BODY_KEEP - x->len;
    if (take && x->len + take + 1 > x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 1024;
        while (ncap < x->len + take + 1)
            ncap *= 2;
        char *nb = realloc(x->body, ncap);
        if (!nb)
            return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
        x->body = nb;
        x->cap = ncap;
    }
    if (take) {
        memcpy(x->body + x->len, data, take);
        x->len += take;
        x->body[x->len] = '\0';
    }
    return n;
}

/* Keep the final response's Retry-After; a status line starts a new
 * response (after a 1xx), so it clears what an earlier one said. */
static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
    struct exchange *x = userp;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";
    static const char ctype[] = "content-type:";
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        x->retry_after[0] = '\0';
        x->content_type[0] = '\0';
    } else if (n >= sizeof ctype - 1 && strncasecmp(data, ctype, sizeof ctype - 1) == 0) {
        const char *v = data + sizeof ctype - 1;
        size_t vl = n - (sizeof ctype - 1);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        pfi_copy_cut(x->content_type, sizeof x->content_type, v, vl);
    } else if (n >= sizeof name - 1) {
        size_t i = 0;
        while (i < sizeof name - 1 && tolower((unsigned char)data[i]) == name[i])
            i++;
        if (i == sizeof name - 1) {
            const char *v = data + i;
            size_t vl = n - i;
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
                vl--;
            pfi_copy_cut(x->retry_after, sizeof x->retry_after, v, vl);
        }
    }
    return n;
}

/* Replace r->detail by text (which the result takes over), scrubbed of
 * the credentials this call used. */
static void set_detail(pf_send_result *r, const char *const cred[2], char *text)
{
    free(r->detail);
    r->detail = text;
    scrub(r->detail, cred[0]);
    scrub(r->detail, cred[1]);
}

static char *format_detail(const char *fmt, ...) PF_PRINTF(1, 2);

static char *format_detail(const char *fmt, ...)
{
    char buf[DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = strdup(buf);
    if (s)
        clean_line(s);
    return s;
}

void pf_send_response_init(pf_send_response *resp)
{
    if (!resp)
        return;
    memset(resp, 0, sizeof *resp);
    resp->size = sizeof *resp;
}

void pf_send_response_clear(pf_send_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    pf_send_response_init(resp);
}

/* The header list for one call with credentials other than the client's:
 * the same headers in the same order. NULL when memory ran out. */
static struct curl_slist *call_headers(const pf_client *c, const char *const cred[2])
{
    struct curl_slist *list = NULL, *nl;
    char line[1024];
    for (int h = 0; h < H_COUNT; h++) {
        const char *v = h == H_AUTH       ? cred[0]
                        : h == H_TOKEN_ID ? cred[1]
                                          : header_value(c, h, false);
        snprintf(line, sizeof line, "%s: %s", header_names[h], v);
        nl = curl_slist_append(list, line);
        pfi_wipe(line, sizeof line);
        if (!nl)
            goto fail;
        list = nl;
    }
    if ((nl = curl_slist_append(list, "Expect:")))
        return nl;
fail:
    for (struct curl_slist *i = list; i; i = i->next)
        pfi_wipe(i->data, strlen(i->data));
    curl_slist_free_all(list);
    return NULL;
}

/* Hand the final response over to resp, scrubbed like a detail (a body
 * with a NUL byte is kept as it came: scrub works on strings). */
static void keep_response(pf_send_response *resp, struct exchange *x, const char *const cred[2])
{
    if (x->body && !memchr(x->body, '\0', x->len)) {
        scrub(x->body, cred[0]);
        scrub(x->body, cred[1]);
        x->len = strlen(x->body);
    }
    resp->body = x->body;
    resp->body_len = x->len;
    if (!resp->body && (resp->body = malloc(1)))
        resp->body[0] = '\0';
    x->body = NULL;
    x->len = x->cap = 0;
    const char *ra = x->retry_after;
    while (*ra == ' ' || *ra == '\t')
        ra++; /* the header's value as kept has the space after the colon */
    snprintf(resp->retry_after, sizeof resp->retry_after, "%s", ra);
    snprintf(resp->content_type, sizeof resp->content_type, "%s", x->content_type);
}

pf_status pf_client_send(pf_client *c, const pf_send_request *req, pf_send_result *r, pf_diag *diag)
{
    return pf_client_send_as(c, req, NULL, NULL, r, NULL, diag);
}

pf_status pf_client_send_as(pf_client *c, const pf_send_request *req, const char *auth_token,
                            const char *token_id, pf_send_result *r, pf_send_response *resp,
                            pf_diag *diag)
{
    pf_status st;
    char *body = NULL;
    size_t body_len = 0;
    struct exchange x;
    CURL *h = c->curl;
    struct curl_slist *own = NULL; /* this call's headers, when it brings its credentials */
    bool per_call = auth_token || token_id;
    const char *cred[2] = {per_call ? auth_token : c->auth_token,
                           per_call ? token_id : c->token_id};

    memset(&x, 0, sizeof x);
    pf_send_result_clear(r);
    pf_send_response_clear(resp);
    pf_diag_clear(diag);
    if (!cred[0] || !*cred[0] || !cred[1] || !*cred[1]) {
        st = PF_E_INVALID;
        pfi_diag_set(diag, st, "no credentials: the API key and the connector id are both needed");
        goto out;
    }
    if (per_call && (!header_safe(cred[0]) || !header_safe(cred[1]))) {
        /* Never echoed: the value is a credential. */
        st = PF_E_INVALID;
        pfi_diag_set(diag, st, "the %s holds characters an HTTP header cannot carry",
                     !header_safe(cred[0]) ? "API key" : "connector id");
        goto out;
    }
    if ((st = build_body(req, &body, &body_len, diag)) != PF_OK)
        goto out;
    if (per_call && !(own = call_headers(c, cred))) {
        st = PF_E_NOMEM;
        pfi_diag_set(diag, st, "out of memory");
        goto out;
    }
    x.req = body;
    x.req_len = body_len;
    st = PF_E_INTERNAL;
    if (curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_READDATA, &x) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_SEEKDATA, &x) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x) != CURLE_OK ||
        (own && curl_easy_setopt(h, CURLOPT_HTTPHEADER, own) != CURLE_OK)) {
        pfi_diag_set(diag, st, "libcurl refused an option");
        goto out;
    }

    for (unsigned attempt = 1;; attempt++) {
        x.req_off = 0;
        x.body_pulled = false;
        x.len = 0;
        x.retry_after[0] = '\0';
        x.content_type[0] = '\0';
        c->errbuf[0] = '\0';
        r->attempts = attempt;
        trace(c, PF_SEND_EV_REQUEST, attempt, 0, 0,
              "attempt %u of at most %u: POST %s (%zu-byte body)", attempt, c->o.max_attempts,
              c->url, body_len);

        CURLcode rc = curl_easy_perform(h);
        pf_send_status status;
        bool retry;
        const char *hint;
        curl_off_t us = 0;
        curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
        if (rc == CURLE_OK) {
            long http = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
            r->http_status = http;
            status = outbound_classify_http(http, c->o.retry_server_errors,
                                            req->agent_number != NULL, &retry, &hint);
            trace(c, PF_SEND_EV_RESPONSE, attempt, http, 0,
                  "attempt %u: HTTP %ld in %" PRId64 " ms%s%s", attempt, http, (int64_t)us / 1000,
                  x.retry_after[0] ? ", Retry-After: " : "", x.retry_after);
            set_detail(r, cred,
                       status == PF_SEND_ACCEPTED ? NULL : outbound_error_detail(x.body, x.len));
        } else {
            curl_off_t pre = 0;
            curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);
            /* Either sign that the request may be out counts: being wrong
             * here costs a duplicate text, being cautious only a retry. */
            bool reached = x.body_pulled || pre > 0;
            status = outbound_classify_curl((int)rc, reached, &retry, &hint);
            r->http_status = 0;
            const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
            set_detail(r, cred,
                       reached ? format_detail("no complete response after the request "
                                               "was sent: %s",
                                               why)
                               : format_detail("%s", why));
            trace(c, PF_SEND_EV_ERROR, attempt, 0, 0, "attempt %u: %s (%s)", attempt,
                  r->detail ? r->detail : why,
                  reached ? "the request may have reached the server" : "the request was not sent");
        }
        r->status = status;
        r->hint = hint;
        if (!retry || attempt >= c->o.max_attempts) {
            if (resp && rc == CURLE_OK)
                keep_response(resp, &x, cred);
            break;
        }

        int64_t wait =
            x.retry_after[0] ? outbound_retry_after_ms(x.retry_after, client_now(c)) : -1;
        bool told = wait >= 0;
        if (!told)
            wait = outbound_backoff_ms(attempt, c->o.backoff_base_ms, c->o.backoff_max_ms,
                                       client_random(c));
        if (r->waited_ms + wait > c->o.max_total_wait_ms) {
            char *prev = r->detail;
            r->detail = NULL;
            set_detail(r, cred,
                       format_detail("%s%sgave up: waiting %" PRId64 " ms more%s would "
                                     "exceed the total wait limit of %" PRId64 " ms",
                                     prev ? prev : "", prev ? "; " : "", wait,
                                     told ? " (Retry-After)" : "", c->o.max_total_wait_ms));
            free(prev);
            if (resp && rc == CURLE_OK)
                keep_response(resp, &x, cred);
            break;
        }
        trace(c, PF_SEND_EV_WAIT, attempt, 0, wait, "waiting %" PRId64 " ms before attempt %u (%s)",
              wait, attempt + 1, told ? "Retry-After" : "backoff with jitter");
        client_sleep(c, wait);
        r->waited_ms += wait;
    }
    st = PF_OK;
out:
    /* The handle outlives this call; it must not point at our stack. */
    curl_easy_setopt(h, CURLOPT_READDATA, NULL);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
    if (own) {
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
        for (struct curl_slist *i = own; i; i = i->next)
            pfi_wipe(i->data, strlen(i->data));
        curl_slist_free_all(own);
    }
    free(x.body);
    free(body);
    return st;
}
