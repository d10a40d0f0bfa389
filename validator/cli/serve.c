/*
 * serve.c — the gateway's core: routing, request bodies, the check and the
 * gated send per worker thread, metrics, the access log, and the main
 * thread's signal loop (reload on SIGHUP, drain on SIGTERM/SIGINT).
 *
 * Threads: libmicrohttpd's pool runs the handlers; each worker keeps a
 * checker and a sender in thread-local storage, made from the slot's
 * session and made again when a reload bumps the generation. The main
 * thread only waits on a signalfd: no work ever happens in a signal
 * handler (there is none).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include "cli.h"
#include "mhd_dl.h"
#include "serve.h"
#include "serve_playground.h"

/* ---- endpoints and metrics ---- */

enum endpoint {
    EP_CHECK,
    EP_OUTBOUND,
    EP_HEALTHZ,
    EP_READYZ,
    EP_METRICS,
    EP_PAGE,     /* the playground's files (serve_playground.c) */
    EP_SEGMENTS, /* the playground's POST /v1/segments */
    EP_SENDERS,  /* the playground's GET /v1/senders */
    EP_CAMPAIGN, /* the playground's POST /v1/campaign */
    EP_OTHER,
    EP_COUNT
};

static const char *const ep_names[EP_COUNT] = {
    "/v1/check", "/v1/outbound-sms", "/healthz", "/readyz", "/metrics",
    "playground", "/v1/segments", "/v1/senders", "/v1/campaign", "other",
};

/* Latency bucket bounds in microseconds (printed in seconds). */
static const uint64_t buckets_us[] = {250,    500,    1000,    2500,    5000,    10000,  25000,
                                      50000,  100000, 250000,  500000,  1000000, 2500000,
                                      5000000, 10000000};
#define NBUCKETS (sizeof buckets_us / sizeof buckets_us[0])

/* Finding ids seen, for preflight_findings_total; ids come from the
 * loaded rules and the engine, so the set is small and bounded. */
#define FINDING_SLOTS 1024

struct metrics {
    atomic_uint_fast64_t requests[EP_COUNT][600]; /* by HTTP status */
    atomic_uint_fast64_t verdicts[3];
    atomic_uint_fast64_t upstream[600];   /* upstream HTTP statuses */
    atomic_uint_fast64_t upstream_connect; /* nothing sent: 502 */
    atomic_uint_fast64_t upstream_unknown; /* no answer after sending: 504 */
    atomic_uint_fast64_t hist[EP_COUNT][NBUCKETS + 1];
    atomic_uint_fast64_t hist_sum_us[EP_COUNT];
    atomic_uint_fast64_t reloads, reload_failures;
    pthread_mutex_t fmu; /* guards the finding table */
    struct {
        char *id;
        uint64_t n;
    } findings[FINDING_SLOTS];
    size_t nfindings;
    uint64_t findings_overflow; /* ids beyond the table, counted as "other" */
};

/* ---- the server ---- */

struct server {
    const struct serve_config *cfg;
    pf_session_slot *slot;
    atomic_uint_fast64_t generation; /* bumped after each successful reload */
    atomic_bool draining;
    atomic_int inflight; /* requests between their first call and completion */
    pf_send_options *send_opts;
    int log_fd; /* access log, or -1 */
    bool log_close;
    struct metrics m;
};

/* One worker thread's checker and sender, for one session generation. */
struct worker {
    uint64_t generation;
    pf_checker *ck;
    pf_sender *snd;
    char snd_error[512]; /* why there is no sender (no upstream configured, ...) */
};

static pthread_key_t worker_key;

static void worker_free(void *p)
{
    struct worker *w = p;
    if (!w)
        return;
    pf_checker_destroy(w->ck);
    pf_sender_destroy(w->snd);
    free(w);
}

/* The calling thread's worker, current with the slot; NULL without memory
 * or when no checker can be made (then *why says so). */
static struct worker *worker_get(struct server *s, const char **why)
{
    struct worker *w = pthread_getspecific(worker_key);
    uint64_t gen = atomic_load(&s->generation);
    *why = "out of memory";
    if (w && w->generation == gen && w->ck)
        return w;
    if (!w) {
        if (!(w = calloc(1, sizeof *w)))
            return NULL;
        if (pthread_setspecific(worker_key, w) != 0) {
            free(w);
            return NULL;
        }
    }
    pf_checker_destroy(w->ck);
    pf_sender_destroy(w->snd);
    w->ck = NULL;
    w->snd = NULL;
    /* The generation is read before the session: a reload in between
     * makes the next request rebuild again, which is merely wasted work. */
    pf_session *sess = pf_session_slot_get(s->slot);
    pf_diag d;
    if (!sess || pf_checker_create(sess, &w->ck, &d) != PF_OK) {
        pf_session_unref(sess);
        *why = "no session loaded";
        return NULL;
    }
    if (pf_sender_create(sess, s->send_opts, &w->snd, &d) != PF_OK)
        snprintf(w->snd_error, sizeof w->snd_error, "no upstream to forward to: %.400s",
                 d.message[0] ? d.message : pf_strerror(d.status));
    pf_session_unref(sess); /* checker and sender hold their own references */
    w->generation = gen;
    return w;
}

/* ---- output helpers ---- */

/* UTC time as ISO 8601 with milliseconds. The calendar date is computed
 * here (days to civil date, Howard Hinnant's algorithm) rather than with
 * gmtime_r, which runs glibc's time-zone setup under a lock that ICU's
 * calls to tzset on the worker threads share: no reason to touch it for
 * UTC. */
static void iso_now(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t secs = (int64_t)ts.tv_sec, days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, (int)m, (int)d,
             (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
             (int)(ts.tv_nsec / 1000000) % 1000);
}

/* A JSON-escaped copy of s (cut to max bytes) appended to a cJSON-free
 * buffer: the access log and stderr lines are built by hand to stay cheap. */
struct buf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 512;
        while (nc < b->len + n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        buf_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_add(b, big, (size_t)n);
    free(big);
}

/* s as a JSON string (quotes included); invalid UTF-8 is cleaned first. */
static void buf_json_str(struct buf *b, const char *s, size_t n)
{
    char *clean = malloc(n * 3 + 1);
    if (!clean) {
        b->oom = true;
        return;
    }
    pf_utf8_clean(s, n, clean, n * 3 + 1);
    buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': buf_add(b, "\\\"", 2); break;
        case '\\': buf_add(b, "\\\\", 2); break;
        case '\n': buf_add(b, "\\n", 2); break;
        case '\r': buf_add(b, "\\r", 2); break;
        case '\t': buf_add(b, "\\t", 2); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                buf_add(b, esc, 6);
            } else {
                buf_add(b, (const char *)p, 1);
            }
        }
    }
    buf_add(b, "\"", 1);
    free(clean);
}

/* One JSON line on stderr: {"time", "event", ...fields}. fields is a
 * pre-rendered ",\"k\":v..." tail or "". */
static void log_event(const char *event, const char *fields)
{
    char t[80];
    iso_now(t, sizeof t);
    fprintf(stderr, "{\"time\":\"%s\",\"event\":\"%s\"%s}\n", t, event, fields ? fields : "");
    fflush(stderr);
}

/* ---- a request ---- */

struct route {
    const char *path;
    enum endpoint ep;
    const char *method; /* the one allowed (GET also allows HEAD) */
};

struct req {
    enum endpoint ep;
    const struct route *rt; /* NULL: unknown path */
    bool method_ok;
    bool too_large;
    bool counted; /* counted in inflight */
    char *body;
    size_t len, cap;
    struct timespec t0;
};

static int64_t elapsed_us(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* What an answer was, for the metrics and the access log. */
struct answer {
    unsigned status;
    const pf_verdict *verdict; /* NULL: no check ran */
    long upstream;             /* upstream HTTP status, 0: none, -1: not reached */
    const char *message;       /* for --log-messages */
    size_t message_len;
};

static void count_findings(struct server *s, const pf_verdict *v)
{
    struct metrics *m = &s->m;
    if (!v->findings.count)
        return;
    pthread_mutex_lock(&m->fmu);
    for (size_t i = 0; i < v->findings.count; i++) {
        const char *id = v->findings.items[i].id;
        size_t j = 0;
        while (j < m->nfindings && strcmp(m->findings[j].id, id) != 0)
            j++;
        if (j == m->nfindings) {
            char *dup = m->nfindings < FINDING_SLOTS ? strdup(id) : NULL;
            if (!dup) {
                m->findings_overflow++;
                continue;
            }
            m->findings[j].id = dup;
            m->findings[j].n = 0;
            m->nfindings++;
        }
        m->findings[j].n++;
    }
    pthread_mutex_unlock(&m->fmu);
}

static void record(struct server *s, struct MHD_Connection *conn, const char *method,
                   const char *url, struct req *r, const struct answer *a)
{
    (void)conn;
    struct metrics *m = &s->m;
    int64_t us = elapsed_us(&r->t0);
    if (us < 0)
        us = 0;
    unsigned st = a->status < 600 ? a->status : 0;
    atomic_fetch_add_explicit(&m->requests[r->ep][st], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKETS && (uint64_t)us > buckets_us[b])
        b++;
    atomic_fetch_add_explicit(&m->hist[r->ep][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->hist_sum_us[r->ep], (uint64_t)us, memory_order_relaxed);
    if (a->verdict) {
        atomic_fetch_add_explicit(&m->verdicts[a->verdict->verdict], 1, memory_order_relaxed);
        count_findings(s, a->verdict);
    }
    if (a->upstream > 0 && a->upstream < 600)
        atomic_fetch_add_explicit(&m->upstream[a->upstream], 1, memory_order_relaxed);

    if (s->log_fd < 0)
        return;
    /* Never a header value: the credentials travel there. Never the
     * message unless --log-messages. */
    struct buf b2 = {0};
    char t[80];
    iso_now(t, sizeof t);
    buf_printf(&b2, "{\"time\":\"%s\",\"method\":", t);
    buf_json_str(&b2, method, strnlen(method, 16));
    buf_add(&b2, ",\"path\":", 8);
    buf_json_str(&b2, url, strnlen(url, 256));
    buf_printf(&b2, ",\"status\":%u,\"verdict\":", a->status);
    if (a->verdict) {
        buf_printf(&b2, "\"%s\",\"findings\":[", pf_verdict_name(a->verdict->verdict));
        for (size_t i = 0; i < a->verdict->findings.count; i++) {
            if (i)
                buf_add(&b2, ",", 1);
            const char *id = a->verdict->findings.items[i].id;
            buf_json_str(&b2, id, strlen(id));
        }
        buf_add(&b2, "]", 1);
    } else {
        buf_add(&b2, "null,\"findings\":[]", 18);
    }
    buf_printf(&b2, ",\"latency_ms\":%.3f,\"upstream_status\":", (double)us / 1000.0);
    if (a->upstream > 0)
        buf_printf(&b2, "%ld", a->upstream);
    else
        buf_add(&b2, "null", 4);
    if (s->cfg->log_messages && a->message) {
        buf_add(&b2, ",\"message\":", 11);
        buf_json_str(&b2, a->message, a->message_len);
    }
    buf_add(&b2, "}\n", 2);
    if (!b2.oom) {
        /* One write per line: lines from several workers never interleave
         * (O_APPEND for a file). */
        ssize_t w = write(s->log_fd, b2.p, b2.len);
        (void)w;
    }
    free(b2.p);
}

/* Queue an answer; the body (heap, NULL when its allocation failed) is
 * taken over and freed by libmicrohttpd. */
static enum MHD_Result respond(struct server *s, struct MHD_Connection *conn, const char *method,
                               const char *url, struct req *r, const struct answer *a, char *body,
                               size_t len, const char *ctype, const char *const *extra)
{
    if (!body)
        return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, "X-Preflight-Verdict",
                            a->verdict ? pf_verdict_name(a->verdict->verdict) : "none");
    for (size_t i = 0; extra && extra[i]; i += 2)
        MHD_add_response_header(resp, extra[i], extra[i + 1]);
    if (atomic_load(&s->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    record(s, conn, method, url, r, a);
    enum MHD_Result ret = MHD_queue_response(conn, a->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* {"detail": detail} (+ "preflight": verdict JSON when v is not NULL). */
static char *detail_body(const char *detail, const pf_verdict *v, size_t *len)
{
    struct buf b = {0};
    buf_add(&b, "{\"detail\":", 10);
    buf_json_str(&b, detail, strlen(detail));
    if (v) {
        char *vj = NULL;
        size_t vl = 0;
        if (pf_verdict_to_json(v, 0, &vj, &vl) != PF_OK) {
            free(b.p);
            return NULL;
        }
        buf_add(&b, ",\"preflight\":", 13);
        buf_add(&b, vj, vl);
        free(vj);
    }
    buf_add(&b, "}\n", 2);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

static enum MHD_Result respond_detail(struct server *s, struct MHD_Connection *conn,
                                      const char *method, const char *url, struct req *r,
                                      struct answer *a, const char *detail,
                                      const char *const *extra)
{
    size_t len = 0;
    char *body = detail_body(detail, a->verdict, &len);
    if (!body)
        return MHD_NO;
    return respond(s, conn, method, url, r, a, body, len, "application/json", extra);
}

/* ---- the request body: the provider's JSON ---- */

/* cJSON's parser writes a process-wide error position on every call
 * (cJSON_GetErrorPtr): parses are serialised so workers do not race on it.
 * A parse of a few hundred bytes takes a microsecond or two. */
pthread_mutex_t serve_parse_mu = PTHREAD_MUTEX_INITIALIZER;

/* Parse and check the body; NULL, or the one-line reason for a 400. */
static const char *parse_body(const char *body, size_t len, struct serve_input *in, char *why,
                              size_t cap);

const char *serve_parse_body(const char *body, size_t len, struct serve_input *in, char *why,
                             size_t cap)
{
    const char *err = parse_body(body, len, in, why, cap);
    /* One line: a field name may hold control characters (cJSON takes
     * them raw inside strings), and the reason names the field. */
    for (char *p = why; err && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return err;
}

static const char *parse_body(const char *body, size_t len, struct serve_input *in, char *why,
                              size_t cap)
{
    size_t bad;
    memset(in, 0, sizeof *in);
    if (pf_utf8_validate(body, len, &bad) != PF_OK) {
        snprintf(why, cap, "the body is not valid UTF-8 (byte %zu)", bad);
        return why;
    }
    const char *end = NULL;
    pthread_mutex_lock(&serve_parse_mu);
    cJSON *doc = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    pthread_mutex_unlock(&serve_parse_mu);
    in->doc = doc;
    if (!doc) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        snprintf(why, cap, "the body is not valid JSON (at byte %zu)", at);
        return why;
    }
    if (!cJSON_IsObject(doc)) {
        snprintf(why, cap, "the body must be a JSON object with user_number and message");
        return why;
    }
    for (const cJSON *f = doc->child; f; f = f->next) {
        const char *k = f->string ? f->string : "";
        const char **slot = strcmp(k, "user_number") == 0    ? &in->user_number
                            : strcmp(k, "message") == 0      ? &in->message
                            : strcmp(k, "agent_number") == 0 ? &in->agent_number
                                                             : NULL;
        if (!slot) {
            /* The send path forwards exactly these fields: an unknown one
             * would be dropped silently. */
            snprintf(why, cap, "unknown field '%.64s' (expected user_number, message, agent_number)",
                     k);
            return why;
        }
        if (slot == &in->agent_number && cJSON_IsNull(f))
            continue;
        if (!cJSON_IsString(f)) {
            snprintf(why, cap, "field '%s' must be a string", k);
            return why;
        }
        *slot = f->valuestring;
    }
    if (!in->user_number || !in->message) {
        snprintf(why, cap, "missing field '%s'", !in->user_number ? "user_number" : "message");
        return why;
    }
    return NULL;
}

void serve_input_clear(struct serve_input *in)
{
    cJSON_Delete(in->doc);
    memset(in, 0, sizeof *in);
}

/* The optional X-Preflight-* headers: send time, first message, purpose.
 * NULL, or the reason for a 400. */
static const char *header_input(struct MHD_Connection *conn, pf_check_input *ci, char *why,
                                size_t cap)
{
    const char *v;
    ci->send_time = (int64_t)time(NULL);
    if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Preflight-Send-At")) &&
        pf_time_parse(v, &ci->send_time) != PF_OK) {
        snprintf(why, cap, "header X-Preflight-Send-At must be ISO 8601 with an offset");
        return why;
    }
    if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Preflight-First-Message"))) {
        if (strcmp(v, "true") == 0)
            ci->first_message = PF_FIRST_YES;
        else if (strcmp(v, "false") == 0)
            ci->first_message = PF_FIRST_NO;
        else {
            snprintf(why, cap, "header X-Preflight-First-Message must be true or false");
            return why;
        }
    }
    if ((v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Preflight-Purpose"))) {
        if (strcmp(v, "transactional") == 0)
            ci->purpose = PF_PURPOSE_TRANSACTIONAL;
        else if (strcmp(v, "promotional") == 0)
            ci->purpose = PF_PURPOSE_PROMOTIONAL;
        else {
            snprintf(why, cap, "header X-Preflight-Purpose must be transactional or promotional");
            return why;
        }
    }
    return NULL;
}

/* The first finding at the verdict's severity, for the 422 detail. */
static void block_detail(const pf_verdict *v, bool stopped, char *out, size_t cap)
{
    const pf_finding *f = v->findings.count ? &v->findings.items[0] : NULL;
    snprintf(out, cap, "%s by preflight: %s%s%s", stopped ? "stopped (--fail-on warn)" : "blocked",
             f ? f->id : "", f ? ": " : "", f ? f->message : "");
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static enum MHD_Result handle_post(struct server *s, struct MHD_Connection *conn,
                                   const char *method, const char *url, struct req *r)
{
    struct answer a = {0};
    char why[512];
    const char *err;
    struct serve_input in = {0};
    pf_check_input ci = pf_check_input_default();
    pf_verdict v;
    pf_send_outcome out;
    pf_send_response resp;
    pf_diag d;
    enum MHD_Result ret = MHD_NO;
    const char *wwhy;

    pf_verdict_init(&v);
    pf_send_outcome_init(&out);
    pf_send_response_init(&resp);
    if (r->too_large) {
        a.status = 413;
        snprintf(why, sizeof why, "the body is over %u bytes", SERVE_BODY_MAX);
        ret = respond_detail(s, conn, method, url, r, &a, why, NULL);
        goto out;
    }
    if ((err = serve_parse_body(r->body ? r->body : "", r->len, &in, why, sizeof why)) ||
        (err = header_input(conn, &ci, why, sizeof why))) {
        a.status = MHD_HTTP_BAD_REQUEST;
        ret = respond_detail(s, conn, method, url, r, &a, err, NULL);
        goto out;
    }
    ci.to = in.user_number;
    ci.to_len = strlen(in.user_number);
    ci.message = in.message;
    ci.message_len = strlen(in.message);
    ci.agent_number = in.agent_number;
    a.message = ci.message;
    a.message_len = ci.message_len;

    struct worker *w = worker_get(s, &wwhy);
    if (!w) {
        a.status = MHD_HTTP_SERVICE_UNAVAILABLE;
        ret = respond_detail(s, conn, method, url, r, &a, wwhy, NULL);
        goto out;
    }

    if (r->ep == EP_CHECK) {
        if (pf_checker_check(w->ck, &ci, &v, &d) != PF_OK) {
            a.status = d.status == PF_E_NOMEM ? 500 : MHD_HTTP_BAD_REQUEST;
            snprintf(why, sizeof why, "field 'message' or 'user_number': %.400s",
                     d.message[0] ? d.message : pf_strerror(d.status));
            ret = respond_detail(s, conn, method, url, r, &a, why, NULL);
            goto out;
        }
        char *json = NULL;
        size_t len = 0;
        /* The same bytes as `preflight check --format json`. */
        if (pf_verdict_to_json(&v, PF_JSON_PRETTY | PF_JSON_NEWLINE, &json, &len) != PF_OK)
            goto out;
        a.status = MHD_HTTP_OK;
        a.verdict = &v;
        ret = respond(s, conn, method, url, r, &a, json, len, "application/json", NULL);
        goto out;
    }

    /* /v1/outbound-sms */
    const char *tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-PolyAi-Auth-Token");
    const char *tid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-TOKEN-ID");
    if (!tok || !*tok || !tid || !*tid) {
        a.status = MHD_HTTP_UNAUTHORIZED;
        snprintf(why, sizeof why, "missing header %s (forwarded to the API unchanged)",
                 !tok || !*tok ? "X-PolyAi-Auth-Token" : "X-TOKEN-ID");
        ret = respond_detail(s, conn, method, url, r, &a, why, NULL);
        goto out;
    }
    if (!w->snd) {
        a.status = MHD_HTTP_SERVICE_UNAVAILABLE;
        ret = respond_detail(s, conn, method, url, r, &a, w->snd_error, NULL);
        goto out;
    }
    pf_status st = pf_sender_send_as(w->snd, &ci, tok, tid, &out, &resp, &d);
    if (out.checked)
        a.verdict = &out.verdict;
    if (st != PF_OK) {
        /* The input the check refused, or credentials no header can carry
         * (the message never names their value). Nothing was sent. */
        a.status = st == PF_E_NOMEM || st == PF_E_INTERNAL ? 500 : MHD_HTTP_BAD_REQUEST;
        snprintf(why, sizeof why, "%s", d.message[0] ? d.message : pf_strerror(st));
        ret = respond_detail(s, conn, method, url, r, &a, why, NULL);
        goto out;
    }
    if (out.gate == PF_GATE_BLOCKED || out.gate == PF_GATE_STOPPED) {
        a.status = 422;
        block_detail(&out.verdict, out.gate == PF_GATE_STOPPED, why, sizeof why);
        ret = respond_detail(s, conn, method, url, r, &a, why, NULL);
        goto out;
    }
    const pf_send_result *res = &out.result;
    if (res->http_status > 0 && resp.body) {
        /* The upstream answered: its status and body go back as they came
         * (with Retry-After on a 429 the gateway did not retry). */
        a.status = (unsigned)res->http_status;
        a.upstream = res->http_status;
        const char *extra[3] = {NULL, NULL, NULL};
        if (resp.retry_after[0]) {
            extra[0] = MHD_HTTP_HEADER_RETRY_AFTER;
            extra[1] = resp.retry_after;
        }
        char *body = resp.body;
        size_t len = resp.body_len;
        resp.body = NULL;
        ret = respond(s, conn, method, url, r, &a, body, len,
                      resp.content_type[0] ? resp.content_type : "application/json", extra);
        goto out;
    }
    if (res->status == PF_SEND_TRANSPORT_ERROR) {
        atomic_fetch_add_explicit(&s->m.upstream_connect, 1, memory_order_relaxed);
        a.status = MHD_HTTP_BAD_GATEWAY;
        a.upstream = -1;
        snprintf(why, sizeof why, "the upstream could not be reached; nothing was sent: %s",
                 res->detail ? res->detail : "transport error");
    } else {
        atomic_fetch_add_explicit(&s->m.upstream_unknown, 1, memory_order_relaxed);
        a.status = MHD_HTTP_GATEWAY_TIMEOUT;
        a.upstream = -1;
        snprintf(why, sizeof why,
                 "the outcome is unknown: the request went upstream but no complete answer "
                 "came back (%s); the message may have been sent, and it was not retried",
                 res->detail ? res->detail : "no answer");
    }
    ret = respond_detail(s, conn, method, url, r, &a, why, NULL);
out:
    serve_input_clear(&in);
    pf_verdict_clear(&v);
    pf_send_outcome_clear(&out);
    pf_send_response_clear(&resp);
    return ret;
}

/* ---- metrics ---- */

static char *render_metrics(struct server *s, size_t *len)
{
    struct metrics *m = &s->m;
    struct buf b = {0};
    buf_printf(&b, "# HELP preflight_http_requests_total HTTP requests answered, by endpoint "
                   "and status.\n# TYPE preflight_http_requests_total counter\n");
    for (int e = 0; e < EP_COUNT; e++)
        for (int st = 0; st < 600; st++) {
            uint64_t n = atomic_load_explicit(&m->requests[e][st], memory_order_relaxed);
            if (n)
                buf_printf(&b, "preflight_http_requests_total{endpoint=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                           ep_names[e], st, n);
        }
    buf_printf(&b, "# HELP preflight_verdicts_total Verdicts given, on both POST endpoints.\n"
                   "# TYPE preflight_verdicts_total counter\n");
    for (int i = 0; i < 3; i++)
        buf_printf(&b, "preflight_verdicts_total{verdict=\"%s\"} %" PRIu64 "\n",
                   pf_verdict_name((pf_verdict_kind)i),
                   (uint64_t)atomic_load_explicit(&m->verdicts[i], memory_order_relaxed));
    buf_printf(&b, "# HELP preflight_findings_total Findings reported, by id.\n"
                   "# TYPE preflight_findings_total counter\n");
    pthread_mutex_lock(&m->fmu);
    for (size_t i = 0; i < m->nfindings; i++) {
        buf_add(&b, "preflight_findings_total{id=", 28);
        buf_json_str(&b, m->findings[i].id, strlen(m->findings[i].id));
        buf_printf(&b, "} %" PRIu64 "\n", m->findings[i].n);
    }
    if (m->findings_overflow)
        buf_printf(&b, "preflight_findings_total{id=\"other\"} %" PRIu64 "\n", m->findings_overflow);
    pthread_mutex_unlock(&m->fmu);
    buf_printf(&b, "# HELP preflight_upstream_responses_total Upstream answers to forwarded "
                   "sends, by HTTP status.\n# TYPE preflight_upstream_responses_total counter\n");
    for (int st = 0; st < 600; st++) {
        uint64_t n = atomic_load_explicit(&m->upstream[st], memory_order_relaxed);
        if (n)
            buf_printf(&b, "preflight_upstream_responses_total{status=\"%d\"} %" PRIu64 "\n", st, n);
    }
    buf_printf(&b,
               "# HELP preflight_upstream_failures_total Forwarded sends without an upstream "
               "answer: not_sent (connect failure, 502) or unknown (after sending, 504).\n"
               "# TYPE preflight_upstream_failures_total counter\n"
               "preflight_upstream_failures_total{outcome=\"not_sent\"} %" PRIu64 "\n"
               "preflight_upstream_failures_total{outcome=\"unknown\"} %" PRIu64 "\n",
               (uint64_t)atomic_load(&m->upstream_connect),
               (uint64_t)atomic_load(&m->upstream_unknown));
    buf_printf(&b, "# HELP preflight_request_duration_seconds Time from a request's headers "
                   "to its answer, by endpoint.\n"
                   "# TYPE preflight_request_duration_seconds histogram\n");
    for (int e = 0; e < EP_COUNT; e++) {
        uint64_t cum = 0;
        for (size_t k = 0; k <= NBUCKETS; k++) {
            cum += atomic_load_explicit(&m->hist[e][k], memory_order_relaxed);
            if (k < NBUCKETS)
                buf_printf(&b,
                           "preflight_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} "
                           "%" PRIu64 "\n",
                           ep_names[e], (double)buckets_us[k] / 1e6, cum);
            else
                buf_printf(&b,
                           "preflight_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} "
                           "%" PRIu64 "\n",
                           ep_names[e], cum);
        }
        buf_printf(&b, "preflight_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", ep_names[e],
                   (double)atomic_load(&m->hist_sum_us[e]) / 1e6);
        buf_printf(&b, "preflight_request_duration_seconds_count{endpoint=\"%s\"} %" PRIu64 "\n",
                   ep_names[e], cum);
    }
    buf_printf(&b,
               "# HELP preflight_reloads_total Successful reloads (SIGHUP).\n"
               "# TYPE preflight_reloads_total counter\npreflight_reloads_total %" PRIu64 "\n"
               "# HELP preflight_reload_failures_total Reloads that kept the old session.\n"
               "# TYPE preflight_reload_failures_total counter\n"
               "preflight_reload_failures_total %" PRIu64 "\n"
               "# HELP preflight_in_flight_requests Requests being handled.\n"
               "# TYPE preflight_in_flight_requests gauge\npreflight_in_flight_requests %d\n"
               "# HELP preflight_draining 1 while draining after SIGTERM.\n"
               "# TYPE preflight_draining gauge\npreflight_draining %d\n",
               (uint64_t)atomic_load(&m->reloads), (uint64_t)atomic_load(&m->reload_failures),
               atomic_load(&s->inflight), atomic_load(&s->draining) ? 1 : 0);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* ---- routing ---- */

static const struct route routes[] = {
    {"/v1/check", EP_CHECK, "POST"},     {"/v1/outbound-sms", EP_OUTBOUND, "POST"},
    {"/healthz", EP_HEALTHZ, "GET"},     {"/readyz", EP_READYZ, "GET"},
    {"/metrics", EP_METRICS, "GET"},
    /* The playground (issue 23): its page and files, and its helpers. */
    {"/", EP_PAGE, "GET"},               {"/playground.js", EP_PAGE, "GET"},
    {"/playground.css", EP_PAGE, "GET"}, {"/v1/segments", EP_SEGMENTS, "POST"},
    {"/v1/senders", EP_SENDERS, "GET"},  {"/v1/campaign", EP_CAMPAIGN, "POST"},
};

/* The reading of the body is shared with the POST endpoints. */
static bool takes_body(enum endpoint ep)
{
    return ep == EP_CHECK || ep == EP_OUTBOUND || ep == EP_SEGMENTS || ep == EP_CAMPAIGN;
}

/* Queue one of the playground's answers. */
static enum MHD_Result respond_pg(struct server *s, struct MHD_Connection *conn,
                                  const char *method, const char *url, struct req *r,
                                  struct pg_answer *pa)
{
    struct answer a = {0};
    a.status = pa->status;
    return respond(s, conn, method, url, r, &a, pa->body, pa->len, pa->ctype, pa->headers);
}

/* The answer to a request whose body (if any) has been read: errors
 * decided at the headers, the GET endpoints, or the POST handling. */
static enum MHD_Result answer_request(struct server *s, struct MHD_Connection *conn,
                                      const char *method, const char *url, struct req *r)
{
    struct answer a = {0};
    if (!r->rt) {
        a.status = MHD_HTTP_NOT_FOUND;
        return respond_detail(s, conn, method, url, r, &a, "no such endpoint", NULL);
    }
    if (!r->method_ok) {
        const char *allow[] = {MHD_HTTP_HEADER_ALLOW,
                               strcmp(r->rt->method, "GET") == 0 ? "GET, HEAD" : "POST", NULL};
        a.status = MHD_HTTP_METHOD_NOT_ALLOWED;
        return respond_detail(s, conn, method, url, r, &a, "method not allowed", allow);
    }
    switch (r->ep) {
    case EP_CHECK:
    case EP_OUTBOUND: return handle_post(s, conn, method, url, r);
    case EP_PAGE: {
        struct pg_answer pa = {0};
        serve_playground_asset(url, &pa); /* the route table lists only its files */
        return respond_pg(s, conn, method, url, r, &pa);
    }
    case EP_SEGMENTS:
    case EP_CAMPAIGN: {
        struct pg_answer pa = {0};
        if (r->too_large) {
            a.status = 413;
            char why[64];
            snprintf(why, sizeof why, "the body is over %u bytes", SERVE_BODY_MAX);
            return respond_detail(s, conn, method, url, r, &a, why, NULL);
        }
        if (r->ep == EP_SEGMENTS) {
            serve_playground_segments(r->body ? r->body : "", r->len, &pa);
        } else {
            pf_session *sess = pf_session_slot_get(s->slot);
            serve_playground_campaign(
                sess, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "kind"),
                r->body ? r->body : "", r->len, &pa);
            pf_session_unref(sess);
        }
        return respond_pg(s, conn, method, url, r, &pa);
    }
    case EP_SENDERS: {
        struct pg_answer pa = {0};
        pf_session *sess = pf_session_slot_get(s->slot);
        serve_playground_senders(sess, &pa);
        pf_session_unref(sess);
        return respond_pg(s, conn, method, url, r, &pa);
    }
    case EP_HEALTHZ:
        a.status = MHD_HTTP_OK;
        return respond(s, conn, method, url, r, &a, strdup("{\"status\":\"ok\"}\n"), 16,
                       "application/json", NULL);
    case EP_READYZ: {
        pf_session *sess = pf_session_slot_get(s->slot);
        bool ready = sess && !atomic_load(&s->draining);
        pf_session_unref(sess);
        a.status = ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
        const char *txt = ready                        ? "{\"status\":\"ready\"}\n"
                          : atomic_load(&s->draining) ? "{\"status\":\"draining\"}\n"
                                                       : "{\"status\":\"no session\"}\n";
        return respond(s, conn, method, url, r, &a, strdup(txt), strlen(txt), "application/json",
                       NULL);
    }
    default: {
        size_t len = 0;
        char *txt = render_metrics(s, &len);
        a.status = MHD_HTTP_OK;
        return respond(s, conn, method, url, r, &a, txt, len,
                       "text/plain; version=0.0.4; charset=utf-8", NULL);
    }
    }
}

/*
 * libmicrohttpd calls this once with the headers, then once per piece of
 * body, then once more with none. Answers are queued on that last call, so
 * the connection stays open for the next request (an answer queued before
 * the request is read through makes libmicrohttpd close it); the one
 * exception is a declared body over the limit, refused before it is read.
 */
static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct server *s = cls;
    struct req *r = *con_cls;
    (void)version;

    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        r->ep = EP_OTHER;
        *con_cls = r;
        atomic_fetch_add(&s->inflight, 1);
        r->counted = true;
        for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
            if (strcmp(url, routes[i].path) == 0)
                r->rt = &routes[i];
        if (!r->rt)
            return MHD_YES;
        r->ep = r->rt->ep;
        r->method_ok = strcmp(method, r->rt->method) == 0 ||
                       (strcmp(r->rt->method, "GET") == 0 && strcmp(method, "HEAD") == 0);
        if (r->method_ok && takes_body(r->ep)) {
            const char *cl =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && strtoull(cl, NULL, 10) > SERVE_BODY_MAX) {
                r->too_large = true;
                if (r->ep == EP_SEGMENTS || r->ep == EP_CAMPAIGN)
                    return answer_request(s, conn, method, url, r);
                return handle_post(s, conn, method, url, r);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        bool keep = r->method_ok && takes_body(r->ep);
        if (!keep || r->too_large || r->len + n > SERVE_BODY_MAX) {
            /* Discarded from here on: never more than the limit held (and
             * nothing for a request that will be refused anyway). */
            r->too_large = keep;
            free(r->body);
            r->body = NULL;
            r->len = r->cap = 0;
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t nc = r->cap ? r->cap * 2 : 1024;
            while (nc < r->len + n + 1)
                nc *= 2;
            char *nb = realloc(r->body, nc);
            if (!nb)
                return MHD_NO;
            r->body = nb;
            r->cap = nc;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = '\0';
        return MHD_YES;
    }
    return answer_request(s, conn, method, url, r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct req *r = *con_cls;
    (void)conn;
    (void)toe;
    if (!r)
        return;
    if (r->counted)
        atomic_fetch_sub(&s->inflight, 1);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- listening, reloading, draining ---- */

/* Bind ADDR:PORT ("[v6]:port" too); the socket, or -1 after reporting. */
static int open_listener(const char *spec, char *shown, size_t cap)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        cli_error("serve", "--listen must be ADDR:PORT, not '%s'", spec);
        return -1;
    }
    char *pend;
    errno = 0;
    unsigned long port_no = strtoul(colon + 1, &pend, 10);
    if (*pend || errno || port_no > 65535 || colon[1] == '-' || colon[1] == '+') {
        /* getaddrinfo would take 99999 and bind port 34463. */
        cli_error("serve", "--listen: the port must be 0 to 65535, not '%s'", colon + 1);
        return -1;
    }
    size_t hl = (size_t)(colon - spec);
    const char *h = spec;
    if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        cli_error("serve", "--listen: address too long");
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        cli_error("serve", "--listen %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        cli_error("serve", "--listen %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char a[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
            port = ntohs(in->sin_port);
            snprintf(shown, cap, "%s:%u", a, port);
        } else {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
            port = ntohs(in6->sin6_port);
            snprintf(shown, cap, "[%s]:%u", a, port);
        }
    }
    return fd;
}

static void reload(struct server *s)
{
    pf_session *ns = NULL;
    pf_diag d;
    if (pf_session_open(s->cfg->session_options, &ns, &d) != PF_OK) {
        atomic_fetch_add(&s->m.reload_failures, 1);
        struct buf b = {0};
        buf_add(&b, ",\"file\":", 8);
        buf_json_str(&b, d.file, strlen(d.file));
        buf_printf(&b, ",\"line\":%u,\"column\":%u,\"path\":", d.line, d.column);
        buf_json_str(&b, d.path, strlen(d.path));
        buf_add(&b, ",\"error\":", 9);
        buf_json_str(&b, d.message[0] ? d.message : pf_strerror(d.status),
                     strlen(d.message[0] ? d.message : pf_strerror(d.status)));
        buf_add(&b, ",\"kept\":\"the previous session\"", 31);
        log_event("reload_failed", b.oom ? "" : b.p);
        free(b.p);
        return;
    }
    pf_session_slot_set(s->slot, ns);
    pf_session_unref(ns);
    atomic_fetch_add(&s->generation, 1);
    atomic_fetch_add(&s->m.reloads, 1);
    log_event("reloaded", NULL);
}

static bool make_send_options(const struct serve_config *cfg, pf_send_options **out)
{
    pf_send_options *o = NULL;
    pf_diag d;
    pf_client_options co = pf_client_options_default();
    co.connect_timeout_ms = cfg->timeout_s * 1000;
    co.timeout_ms = cfg->timeout_s * 1000;
    /* Without --retry-429 the caller owns the retry policy: one attempt,
     * 429 and connect failures go back. With it, 429 and requests that
     * provably never left are retried within the budget. Never a 5xx or an
     * attempt that may have reached the API. */
    co.max_attempts = cfg->retry_429 ? 5 : 1;
    co.max_total_wait_ms = cfg->retry_budget_ms;
    co.backoff_base_ms = 200;
    co.backoff_max_ms = cfg->retry_budget_ms;
    co.retry_server_errors = false;
    if (pf_send_options_create(&o) != PF_OK || pf_send_options_set_client(o, &co) != PF_OK ||
        pf_send_options_set_fail_on(o, cfg->fail_on_warn ? PF_SEV_WARN : PF_SEV_BLOCK) != PF_OK)
        goto oom;
    if (cfg->base_url && pf_send_options_set_base_url(o, cfg->base_url) != PF_OK)
        goto oom;
    if (cfg->cluster && pf_send_options_set_cluster(o, cfg->cluster) != PF_OK) {
        cli_error("serve", "--cluster: unknown cluster '%s' (us-1, uk-1 or euw-1)", cfg->cluster);
        goto fail;
    }
    if ((cfg->cacert || cfg->capath) &&
        pf_send_options_set_ca(o, cfg->cacert, cfg->capath, &d) != PF_OK) {
        cli_error_diag("serve", &d);
        goto fail;
    }
    *out = o;
    return true;
oom:
    cli_error("serve", "out of memory");
fail:
    pf_send_options_destroy(o);
    return false;
}

void serve_block_signals(sigset_t *mask)
{
    sigemptyset(mask);
    sigaddset(mask, SIGHUP);
    sigaddset(mask, SIGTERM);
    sigaddset(mask, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, mask, NULL);
}

/* The next signal from the signalfd: its number, 0 when timeout_ms (-1:
 * none) ran out first, -1 when the signalfd failed (reported). */
static int read_signal(int sfd, int timeout_ms)
{
    for (;;) {
        struct pollfd pfd = {.fd = sfd, .events = POLLIN};
        int n = poll(&pfd, 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return 0;
        struct signalfd_siginfo si;
        ssize_t got = n > 0 ? read(sfd, &si, sizeof si) : -1;
        if (got == (ssize_t)sizeof si)
            return (int)si.ssi_signo;
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        cli_error("serve", "signalfd: %s", strerror(errno));
        return -1;
    }
}

int serve_run(const struct serve_config *cfg, pf_session *session)
{
    struct server *s = NULL;
    struct MHD_Daemon *daemon = NULL;
    int rc = CLI_EXIT_USAGE, lfd = -1, sfd = -1;
    char shown[300] = "";
    sigset_t mask;
    bool key = false;

    if (!(s = calloc(1, sizeof *s))) {
        cli_error("serve", "out of memory");
        return rc;
    }
    s->cfg = cfg;
    s->log_fd = -1;
    pthread_mutex_init(&s->m.fmu, NULL);
    if (pf_session_slot_create(session, &s->slot) != PF_OK) {
        cli_error("serve", "out of memory");
        goto out;
    }
    if (!make_send_options(cfg, &s->send_opts))
        goto out;
    {
        /* The upstream is resolved now, so a bad --upstream fails at start
         * (a gateway without one still answers /v1/check). */
        pf_sender *probe = NULL;
        pf_diag d;
        pf_status st = pf_sender_create(session, s->send_opts, &probe, &d);
        pf_sender_destroy(probe);
        if (st != PF_OK && (cfg->base_url || cfg->cluster)) {
            cli_error("serve", "upstream: %s", d.message[0] ? d.message : pf_strerror(st));
            goto out;
        }
    }
    if (cfg->access_log) {
        if (strcmp(cfg->access_log, "-") == 0) {
            s->log_fd = STDOUT_FILENO;
        } else {
            s->log_fd = open(cfg->access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
            if (s->log_fd < 0) {
                cli_error("serve", "--access-log %s: %s", cfg->access_log, strerror(errno));
                goto out;
            }
            s->log_close = true;
        }
    }
    if (pthread_key_create(&worker_key, worker_free) != 0) {
        cli_error("serve", "out of memory");
        goto out;
    }
    key = true;
    if ((lfd = open_listener(cfg->listen, shown, sizeof shown)) < 0)
        goto out;

    serve_block_signals(&mask);
    if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
        cli_error("serve", "signalfd: %s", strerror(errno));
        goto out;
    }

    {
        char why[256]; /* libmicrohttpd is loaded by serve only (mhd_dl.h) */
        if (!mhd_dl_load(why, sizeof why)) {
            cli_error("serve", "%s", why);
            goto out;
        }
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, s, MHD_OPTION_LISTEN_SOCKET, lfd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 1),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        completed, s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(cfg->max_connections ? cfg->max_connections : FD_SETSIZE - 4),
        MHD_OPTION_END);
    if (!daemon) {
        cli_error("serve", "cannot start the HTTP server on %s", shown);
        goto out;
    }
    {
        struct buf b = {0};
        buf_add(&b, ",\"address\":", 11);
        buf_json_str(&b, shown, strlen(shown));
        buf_printf(&b, ",\"threads\":%u", cfg->threads);
        log_event("listening", b.oom ? "" : b.p);
        free(b.p);
    }

    for (;;) {
        int sig = read_signal(sfd, -1);
        if (sig < 0)
            break;
        if (sig == SIGHUP) {
            reload(s);
            continue;
        }
        break; /* SIGTERM, SIGINT */
    }

    /*
     * Drain, in three steps. (1) The grace: /readyz answers 503 and every
     * answer says Connection: close, but connections are still accepted
     * and served, so a balancer keeps getting answers until its health
     * checks have taken the instance out. Closing earlier races the
     * balancer: a keep-alive connection it reuses can be closed by this
     * side at the moment it sends a request on it, and the request fails
     * without an answer (HAProxy then closes its client's connection
     * silently when it cannot retry). A second SIGTERM/SIGINT ends the
     * grace. (2) No new connection is accepted; requests in flight finish
     * (bounded by the timeout plus the upstream's). (3) The pool stops,
     * closing the idle connections nobody routes to any more.
     */
    atomic_store(&s->draining, true);
    {
        char f[64];
        snprintf(f, sizeof f, ",\"grace_ms\":%u", cfg->drain_grace_ms);
        log_event("draining", f);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            int64_t left_ms = (int64_t)cfg->drain_grace_ms - elapsed_us(&t0) / 1000;
            if (left_ms <= 0)
                break;
            int sig = read_signal(sfd, (int)left_ms);
            if (sig == SIGHUP)
                reload(s);
            else if (sig != 0)
                break; /* SIGTERM/SIGINT again, or the signalfd failed */
        }
    }
    MHD_socket q = MHD_quiesce_daemon(daemon);
    if (q != MHD_INVALID_SOCKET)
        close(q);
    lfd = -1;
    {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int64_t limit_us = (int64_t)(2 * cfg->timeout_s + 5) * 1000000;
        while (atomic_load(&s->inflight) > 0 && elapsed_us(&t0) < limit_us) {
            struct timespec ts = {0, 5 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    MHD_stop_daemon(daemon);
    daemon = NULL;
    log_event("stopped", NULL);
    rc = CLI_EXIT_OK;
out:
    if (daemon)
        MHD_stop_daemon(daemon);
    if (lfd >= 0)
        close(lfd);
    if (sfd >= 0)
        close(sfd);
    if (key) {
        /* The main thread may have served nothing, but free its worker if
         * it did; pool threads freed theirs when they exited. */
        worker_free(pthread_getspecific(worker_key));
        pthread_key_delete(worker_key);
    }
    if (s->log_close)
        close(s->log_fd);
    for (size_t i = 0; i < s->m.nfindings; i++)
        free(s->m.findings[i].id);
    pthread_mutex_destroy(&s->m.fmu);
    pf_send_options_destroy(s->send_opts);
    pf_session_slot_destroy(s->slot);
    free(s);
    return rc;
}
