/*
 * bulk.c — bulk send (bulk.h): a pf_batch checks the rows and hands them
 * back in order; allowed rows go to a queue that sender threads drain,
 * each with its own client, through one shared rate limiter, with an
 * intent made durable in the journal before every request and the
 * outcome recorded after. Results come back to the feeding thread, which
 * hands them to the caller in input order.
 *
 * The rate limiter spaces requests (no bursts): a request may start at
 * max(now, next) and pushes next on by 1/rate, for the overall rate and
 * for the sender number's own "mps". Every attempt takes a slot, retries
 * included, so a storm of 429s cannot push the rate over the limit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "preflight/bulk.h"
#include "send_int.h"

#define QUEUE_PER_SENDER 4
#define MAX_SENDERS 64
#define RATE_MAX 10000.0

struct pf_bulk_options {
    double rate;
    unsigned senders;
    bool resend_unknown, dry_run;
    pf_severity fail_on;
    pf_bulk_row_fn on_row;
    void *ctx;
};

/* A row between its delivery by the batch and its delivery to the caller. */
struct slot {
    bool done;
    pf_bulk_outcome outcome;
    char user[64];
    const char *verdict;
    char *error; /* owned */
    const char *status;
    long http;
    unsigned attempts;
    pf_journal_outcome previous;
    bool duplicate;
};

/* A spacing limiter: the next start allowed, and the rate it is spaced at. */
struct bucket {
    char e164[24];
    double max, rate; /* messages per second: the ceiling and the current (AIMD) */
    double next;      /* monotonic seconds */
};

struct job {
    size_t number;
    char e164[24];
    char agent[24];
    bool has_agent;
    char *msg;
    size_t len;
    size_t segments;
};

struct worker {
    pf_bulk *b;
    pf_sender *snd;
    pthread_t th;
    bool started;
    struct bucket *agent; /* of the job being sent, or NULL */
    long last_http;       /* the last response of this send */
    size_t segments;      /* of the job being sent */
};

struct pf_bulk {
    pf_bulk_options o;
    pf_session *session;
    pf_batch *batch;
    pf_journal *journal;
    pf_client_options orig; /* the caller's client hooks, wrapped by ours */
    struct worker *w;
    unsigned nw;

    pthread_mutex_t mu;
    pthread_cond_t cv_job, cv_done;
    struct job *q;
    size_t qcap, qhead, qlen;
    size_t busy;       /* jobs taken by a sender and not finished */
    bool eof, stopped; /* stopped: no new request may start */
    pf_diag stop_diag; /* why, when the journal failed */
    bool journal_failed;
    struct slot *win;
    size_t win_base, win_head, win_n, win_cap; /* win[i] is row win_base + i */

    pthread_mutex_t lim_mu;
    struct bucket global;
    struct bucket *agents;
    size_t nagents;
    size_t requests, rate_limited;
    double first_req, last_answer;

    pf_bulk_summary sum; /* feeding thread */
};

const char *pf_bulk_outcome_name(pf_bulk_outcome o)
{
    static const char *const names[] = {"sent",    "blocked", "failed",
                                        "unknown", "skipped", "dry_run"};
    return (unsigned)o <= PF_BULK_DRY_RUN ? names[o] : "?";
}

/* ---- options ---- */

pf_status pf_bulk_options_create(pf_bulk_options **out)
{
    if (!out)
        return PF_E_INVALID;
    if (!(*out = calloc(1, sizeof **out)))
        return PF_E_NOMEM;
    (*out)->rate = 10;
    (*out)->senders = 4;
    (*out)->fail_on = PF_SEV_BLOCK;
    return PF_OK;
}

void pf_bulk_options_destroy(pf_bulk_options *o)
{
    free(o);
}

pf_status pf_bulk_options_set_rate(pf_bulk_options *o, double per_second)
{
    if (!o || !(per_second > 0) || per_second > RATE_MAX)
        return PF_E_INVALID;
    o->rate = per_second;
    return PF_OK;
}

pf_status pf_bulk_options_set_senders(pf_bulk_options *o, unsigned n)
{
    if (!o || n < 1 || n > MAX_SENDERS)
        return PF_E_INVALID;
    o->senders = n;
    return PF_OK;
}

pf_status pf_bulk_options_set_resend_unknown(pf_bulk_options *o, bool yes)
{
    if (!o)
        return PF_E_INVALID;
    o->resend_unknown = yes;
    return PF_OK;
}

pf_status pf_bulk_options_set_dry_run(pf_bulk_options *o, bool yes)
{
    if (!o)
        return PF_E_INVALID;
    o->dry_run = yes;
    return PF_OK;
}

pf_status pf_bulk_options_set_fail_on(pf_bulk_options *o, pf_severity level)
{
    if (!o || (level != PF_SEV_BLOCK && level != PF_SEV_WARN))
        return PF_E_INVALID;
    o->fail_on = level;
    return PF_OK;
}

pf_status pf_bulk_options_set_on_row(pf_bulk_options *o, pf_bulk_row_fn fn, void *ctx)
{
    if (!o)
        return PF_E_INVALID;
    o->on_row = fn;
    o->ctx = ctx;
    return PF_OK;
}

/* ---- the rate limiter ---- */

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_stopped(pf_bulk *b)
{
    pthread_mutex_lock(&b->mu);
    bool s = b->stopped;
    pthread_mutex_unlock(&b->mu);
    return s;
}

/* Sleep until monotonic time t in short slices; false when the run stops
 * first (then nothing may be sent). */
static bool sleep_until(pf_bulk *b, double t, bool stoppable)
{
    for (;;) {
        if (stoppable && is_stopped(b))
            return false;
        double left = t - mono();
        if (left <= 0)
            return true;
        if (left > 0.05)
            left = 0.05;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* Take the next start slot of the overall limiter (per message) and of
 * agent's (per segment: carriers count a sender's throughput in segments). */
static double limiter_take(pf_bulk *b, struct bucket *agent, size_t segments)
{
    pthread_mutex_lock(&b->lim_mu);
    double t = mono();
    if (b->global.next > t)
        t = b->global.next;
    if (agent && agent->next > t)
        t = agent->next;
    b->global.next = t + 1 / b->global.rate;
    if (agent)
        agent->next = t + (double)(segments ? segments : 1) / agent->rate;
    pthread_mutex_unlock(&b->lim_mu);
    return t;
}

/* AIMD: a 429 halves the rate (down to a floor of 1/64 of the ceiling),
 * an accepted send gives back 1/32 of the ceiling. */
static void limiter_feedback(pf_bulk *b, struct bucket *agent, bool limited)
{
    pthread_mutex_lock(&b->lim_mu);
    struct bucket *bs[2] = {&b->global, agent};
    for (int i = 0; i < 2; i++) {
        struct bucket *k = bs[i];
        if (!k)
            continue;
        if (limited) {
            k->rate /= 2;
            if (k->rate < k->max / 64)
                k->rate = k->max / 64;
        } else {
            k->rate += k->max / 32;
            if (k->rate > k->max)
                k->rate = k->max;
        }
    }
    pthread_mutex_unlock(&b->lim_mu);
}

/* ---- hooks on each sender's client ---- */

static int64_t hook_now(void *ctx)
{
    struct worker *w = ctx;
    return w->b->orig.now_ms(w->b->orig.ctx);
}

static uint64_t hook_random(void *ctx)
{
    struct worker *w = ctx;
    return w->b->orig.random(w->b->orig.ctx);
}

/* Before a retry: the client's own wait (Retry-After or backoff), then a
 * slot from the limiter, so retries are paced like first attempts. */
static void hook_sleep(void *ctx, int64_t ms)
{
    struct worker *w = ctx;
    pf_bulk *b = w->b;
    /* A stopped run cuts the waits short: the client then makes its
     * remaining attempts at once, which ends a send that keeps failing
     * (an unreachable API) quickly; the intent covers them all. */
    if (b->orig.sleep_ms)
        b->orig.sleep_ms(b->orig.ctx, ms);
    else
        sleep_until(b, mono() + (double)ms / 1000, true);
    sleep_until(b, limiter_take(b, w->agent, w->segments), true);
}

static void hook_trace(void *ctx, const pf_send_event *ev)
{
    struct worker *w = ctx;
    pf_bulk *b = w->b;
    double t = mono();
    pthread_mutex_lock(&b->lim_mu);
    if (ev->kind == PF_SEND_EV_REQUEST) {
        if (!b->requests)
            b->first_req = t;
        b->requests++;
    } else if (ev->kind == PF_SEND_EV_RESPONSE || ev->kind == PF_SEND_EV_ERROR) {
        b->last_answer = t;
        if (ev->http_status == 429)
            b->rate_limited++;
    } else if (ev->kind == PF_SEND_EV_WAIT && w->last_http == 429) {
        /* The project's limit, not this sender's: everyone waits. */
        double until = t + (double)ev->wait_ms / 1000;
        if (b->global.next < until)
            b->global.next = until;
    }
    pthread_mutex_unlock(&b->lim_mu);
    if (ev->kind == PF_SEND_EV_RESPONSE) {
        w->last_http = ev->http_status;
        if (ev->http_status == 429 || (ev->http_status >= 200 && ev->http_status < 300))
            limiter_feedback(b, w->agent, ev->http_status == 429);
    }
    if (b->orig.trace)
        b->orig.trace(b->orig.trace_ctx, ev);
}

/* ---- results ---- */

static struct slot *slot_of(pf_bulk *b, size_t number)
{
    return &b->win[number - b->win_base];
}

/* Stop the run (the first reason is kept); under mu. */
static void stop_locked(pf_bulk *b, const pf_diag *why)
{
    if (why && !b->journal_failed) {
        b->journal_failed = true;
        b->stop_diag = *why;
    }
    b->stopped = true;
    pthread_cond_broadcast(&b->cv_job);
    pthread_cond_broadcast(&b->cv_done);
}

static void finish_slot(pf_bulk *b, size_t number, pf_bulk_outcome oc, const char *status,
                        long http, unsigned attempts)
{
    pthread_mutex_lock(&b->mu);
    struct slot *s = slot_of(b, number);
    s->outcome = oc;
    s->status = status;
    s->http = http;
    s->attempts = attempts;
    s->done = true;
    b->busy--;
    pthread_cond_broadcast(&b->cv_done);
    pthread_mutex_unlock(&b->mu);
}

static pf_journal_outcome outcome_of(pf_send_status s)
{
    switch (s) {
    case PF_SEND_ACCEPTED: return PF_JOURNAL_SENT;
    case PF_SEND_UNKNOWN: return PF_JOURNAL_UNKNOWN;
    default: return PF_JOURNAL_FAILED;
    }
}

static struct bucket *agent_bucket(pf_bulk *b, const struct job *j)
{
    for (size_t i = 0; j->has_agent && i < b->nagents; i++) {
        if (strcmp(b->agents[i].e164, j->agent) == 0)
            return &b->agents[i];
    }
    return NULL;
}

/* One job: a slot, the intent, the request, the outcome. */
static void send_job(struct worker *w, struct job *j)
{
    pf_bulk *b = w->b;
    pf_diag d;
    w->agent = agent_bucket(b, j);
    w->last_http = 0;
    w->segments = j->segments;
    if (!sleep_until(b, limiter_take(b, w->agent, w->segments), true) || is_stopped(b)) {
        finish_slot(b, j->number, PF_BULK_SKIPPED, "not_attempted", 0, 0);
        return;
    }
    if (pf_journal_record_intent(b->journal, j->number, j->e164, &d) != PF_OK) {
        pthread_mutex_lock(&b->mu);
        stop_locked(b, &d);
        pthread_mutex_unlock(&b->mu);
        finish_slot(b, j->number, PF_BULK_SKIPPED, "not_attempted", 0, 0);
        return;
    }
    pf_send_request req = {j->e164, j->msg, j->len, j->has_agent ? j->agent : NULL};
    pf_send_result r;
    pf_send_result_init(&r);
    pf_status st = pf_client_send(pfi_sender_client(w->snd), &req, &r, &d);
    if (st != PF_OK) {
        /* Refused before anything went out (checked input makes this
         * unlikely): nothing was sent. */
        r.status = PF_SEND_REJECTED;
        r.attempts = 0;
    }
    pf_journal_entry e = {.size = sizeof e,
                          .outcome = outcome_of(r.status),
                          .status = r.status,
                          .http_status =
                              r.http_status < 0 || r.http_status > 65535 ? 0 : r.http_status,
                          .attempts = r.attempts};
    if (pf_journal_record_outcome(b->journal, j->number, &e, &d) != PF_OK) {
        pthread_mutex_lock(&b->mu);
        stop_locked(b, &d);
        pthread_mutex_unlock(&b->mu);
    }
    pf_bulk_outcome oc = e.outcome == PF_JOURNAL_SENT     ? PF_BULK_SENT
                         : e.outcome == PF_JOURNAL_FAILED ? PF_BULK_FAILED
                                                          : PF_BULK_UNKNOWN;
    finish_slot(b, j->number, oc, pf_send_status_name(r.status), r.http_status, r.attempts);
    pf_send_result_clear(&r);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    pf_bulk *b = w->b;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->qlen && !b->eof && !b->stopped)
            pthread_cond_wait(&b->cv_job, &b->mu);
        if (!b->qlen) {
            pthread_mutex_unlock(&b->mu);
            return NULL;
        }
        struct job j = b->q[b->qhead];
        b->qhead = (b->qhead + 1) % b->qcap;
        b->qlen--;
        b->busy++;
        pthread_cond_broadcast(&b->cv_done); /* room in the queue */
        pthread_mutex_unlock(&b->mu);
        send_job(w, &j);
        free(j.msg);
    }
}

/* ---- delivery to the caller, in order (feeding thread) ---- */

static void count(pf_bulk *b, const struct slot *s)
{
    pf_bulk_summary *m = &b->sum;
    m->rows++;
    switch (s->outcome) {
    case PF_BULK_SENT: m->sent++; break;
    case PF_BULK_BLOCKED: m->blocked++; break;
    case PF_BULK_FAILED: m->failed++; break;
    case PF_BULK_UNKNOWN: m->unknown++; break;
    case PF_BULK_DRY_RUN: m->dry_run++; break;
    case PF_BULK_SKIPPED:
        m->skipped++;
        if (s->previous == PF_JOURNAL_SENT)
            m->skipped_sent++;
        else if (s->previous == PF_JOURNAL_FAILED)
            m->skipped_failed++;
        else if (s->previous == PF_JOURNAL_UNKNOWN)
            m->skipped_unknown++;
        break;
    }
}

/* Hand every finished row at the head of the window to the caller. Under
 * mu on entry and exit; the callback runs without it. Returns false when
 * the caller asked to stop. */
static bool emit_ready(pf_bulk *b)
{
    bool go_on = true;
    while (b->win_head < b->win_n && b->win[b->win_head].done) {
        struct slot s = b->win[b->win_head];
        size_t number = b->win_base + b->win_head;
        b->win[b->win_head].error = NULL;
        b->win_head++;
        /* A row that never got its chance (the run stopped) is not
         * reported as if it had been skipped on purpose. */
        if (s.outcome == PF_BULK_SKIPPED && !s.previous) {
            free(s.error);
            continue;
        }
        pthread_mutex_unlock(&b->mu);
        count(b, &s);
        pf_bulk_row r = {.size = sizeof r,
                         .number = number,
                         .user_number = s.user,
                         .verdict = s.verdict,
                         .error_message = s.error,
                         .outcome = s.outcome,
                         .status = s.status,
                         .http_status = s.http,
                         .attempts = s.attempts,
                         .previous = s.previous,
                         .duplicate = s.duplicate};
        if (b->o.on_row && b->o.on_row(b->o.ctx, &r) != 0)
            go_on = false;
        free(s.error);
        pthread_mutex_lock(&b->mu);
        if (!go_on) {
            /* The caller stops the run: queued rows stay unsent. */
            stop_locked(b, NULL);
            break;
        }
    }
    /* Compact once the delivered half is the larger. */
    if (b->win_head > 1024 && b->win_head * 2 > b->win_n) {
        memmove(b->win, b->win + b->win_head, (b->win_n - b->win_head) * sizeof *b->win);
        b->win_base += b->win_head;
        b->win_n -= b->win_head;
        b->win_head = 0;
    }
    return go_on;
}

/* The input as it was given, cleaned to printable ASCII for output. */
static void clean_copy(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; s && i < n && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[k] = '\0';
}

static int on_batch_row(void *ctx, const pf_batch_row *r)
{
    pf_bulk *b = ctx;
    pthread_mutex_lock(&b->mu);
    if (b->stopped) {
        pthread_mutex_unlock(&b->mu);
        return 1;
    }
    if (!b->win_n)
        b->win_base = r->number;
    if (pfi_grow((void **)&b->win, &b->win_cap, b->win_n + 1, sizeof *b->win) != PF_OK) {
        pthread_mutex_unlock(&b->mu);
        return 1;
    }
    struct slot *s = &b->win[b->win_n++];
    memset(s, 0, sizeof *s);
    s->duplicate = r->duplicate;
    const pf_verdict *v = r->verdict;
    if (v && v->user_parsed && v->user.valid)
        snprintf(s->user, sizeof s->user, "%s", v->user.e164);
    else
        clean_copy(s->user, sizeof s->user, r->user_input, r->user_input_len);
    s->verdict = r->error ? "error" : pf_verdict_name(v->verdict);
    pf_journal_entry e = {.size = sizeof e};
    if (r->error) {
        s->error = strdup(r->error_message ? r->error_message : "error");
        s->outcome = PF_BULK_BLOCKED;
        s->status = "error";
        s->done = true;
    } else if (pf_finding_list_max(&v->findings) >= (int)b->o.fail_on || !v->user.valid) {
        s->outcome = PF_BULK_BLOCKED;
        s->status = v->verdict == PF_VERDICT_BLOCK ? "blocked" : "stopped";
        s->done = true;
    } else if (r->duplicate) {
        /* A second row for the same person would open a second
         * conversation: the first row's send stands for both. */
        s->outcome = PF_BULK_BLOCKED;
        s->status = "duplicate";
        s->done = true;
    } else if (b->journal && pf_journal_lookup(b->journal, r->number, &e) == PF_OK &&
               e.state == PF_JOURNAL_DONE &&
               !(e.outcome == PF_JOURNAL_UNKNOWN && b->o.resend_unknown)) {
        s->outcome = PF_BULK_SKIPPED;
        s->previous = e.outcome;
        s->status = pf_send_status_name(e.status);
        s->http = e.http_status;
        s->attempts = e.attempts;
        s->done = true;
    } else if (e.state == PF_JOURNAL_PENDING && !b->o.resend_unknown) {
        s->outcome = PF_BULK_UNKNOWN;
        s->status = "in_flight";
        s->done = true;
    } else if (b->o.dry_run) {
        s->outcome = PF_BULK_DRY_RUN;
        s->status = "dry_run";
        s->done = true;
    } else {
        /* Wait for room: the queue is bounded, so a slow rate holds the
         * reading back instead of the whole list in memory. */
        size_t number = r->number;
        while (b->qlen == b->qcap && !b->stopped) {
            if (!emit_ready(b))
                break;
            if (b->qlen == b->qcap)
                pthread_cond_wait(&b->cv_done, &b->mu);
        }
        if (b->stopped) {
            /* Never tried: done, so the window drains (emit_ready drops
             * it). The window may have moved: find the slot again. */
            s = slot_of(b, number);
            s->outcome = PF_BULK_SKIPPED;
            s->status = "not_attempted";
            s->done = true;
            pthread_mutex_unlock(&b->mu);
            return 1;
        }
        struct job *j = &b->q[(b->qhead + b->qlen) % b->qcap];
        memset(j, 0, sizeof *j);
        j->number = r->number;
        snprintf(j->e164, sizeof j->e164, "%s", v->user.e164);
        j->has_agent = v->has_agent;
        j->segments = v->has_message ? v->segments : 1;
        if (v->has_agent)
            snprintf(j->agent, sizeof j->agent, "%s", v->agent_e164);
        if (!(j->msg = malloc(r->message_len + 1))) {
            s = slot_of(b, number);
            s->outcome = PF_BULK_SKIPPED;
            s->status = "not_attempted";
            s->done = true;
            stop_locked(b, NULL);
            pthread_mutex_unlock(&b->mu);
            return 1;
        }
        memcpy(j->msg, r->message, r->message_len);
        j->msg[r->message_len] = '\0';
        j->len = r->message_len;
        b->qlen++;
        pthread_cond_signal(&b->cv_job);
    }
    bool go_on = emit_ready(b);
    pthread_mutex_unlock(&b->mu);
    return go_on ? 0 : 1;
}

/* ---- the run ---- */

static void stop_workers(pf_bulk *b)
{
    pthread_mutex_lock(&b->mu);
    b->eof = true;
    pthread_cond_broadcast(&b->cv_job);
    pthread_mutex_unlock(&b->mu);
    for (unsigned i = 0; i < b->nw; i++) {
        if (b->w[i].started)
            pthread_join(b->w[i].th, NULL);
        b->w[i].started = false;
    }
}

void pf_bulk_destroy(pf_bulk *b)
{
    if (!b)
        return;
    pf_bulk_cancel(b);
    stop_workers(b);
    for (unsigned i = 0; i < b->nw; i++)
        pf_sender_destroy(b->w[i].snd);
    free(b->w);
    pf_batch_destroy(b->batch);
    for (size_t i = 0; i < b->qlen; i++)
        free(b->q[(b->qhead + i) % b->qcap].msg);
    free(b->q);
    for (size_t i = b->win_head; i < b->win_n; i++)
        free(b->win[i].error);
    free(b->win);
    free(b->agents);
    pthread_mutex_destroy(&b->mu);
    pthread_mutex_destroy(&b->lim_mu);
    pthread_cond_destroy(&b->cv_job);
    pthread_cond_destroy(&b->cv_done);
    pf_session_unref(b->session);
    free(b);
}

/* The overall bucket and one per config number with an "mps". */
static pf_status make_buckets(pf_bulk *b)
{
    b->global = (struct bucket){.max = b->o.rate, .rate = b->o.rate, .next = 0};
    const pf_config *cfg = pf_session_config(b->session);
    size_t n = cfg ? pf_config_number_count(cfg) : 0;
    if (n && !(b->agents = calloc(n, sizeof *b->agents)))
        return PF_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const pf_config_number *c = pf_config_number_at(cfg, i);
        if (c->mps > 0) {
            struct bucket *k = &b->agents[b->nagents++];
            snprintf(k->e164, sizeof k->e164, "%s", c->number);
            k->max = k->rate = c->mps;
        }
    }
    return PF_OK;
}

pf_status pf_bulk_create(pf_session *session, pf_batch_options *bo, pf_send_options *so,
                         pf_journal *journal, const pf_bulk_options *o, pf_bulk **out,
                         pf_diag *diag)
{
    pf_bulk *b = NULL;
    pf_status st = PF_E_NOMEM;

    pf_diag_clear(diag);
    if (out)
        *out = NULL;
    if (!session || !bo || !so || !o || !out || (!journal && !o->dry_run)) {
        pfi_diag_set(diag, PF_E_INVALID,
                     "a bulk send needs a session, batch and send options, and a journal");
        return PF_E_INVALID;
    }
    if (!(b = calloc(1, sizeof *b)))
        goto nomem;
    b->o = *o;
    b->session = pf_session_ref(session);
    b->journal = journal;
    pthread_mutex_init(&b->mu, NULL);
    pthread_mutex_init(&b->lim_mu, NULL);
    pthread_cond_init(&b->cv_job, NULL);
    pthread_cond_init(&b->cv_done, NULL);
    if (make_buckets(b) != PF_OK)
        goto nomem;
    b->qcap = (size_t)o->senders * QUEUE_PER_SENDER;
    if (!(b->q = calloc(b->qcap, sizeof *b->q)))
        goto nomem;
    /* A dry run still makes one sender: a bad API or CA is reported now. */
    b->nw = o->dry_run ? 1 : o->senders;
    if (!(b->w = calloc(b->nw, sizeof *b->w)))
        goto nomem;
    b->orig = pfi_send_options_client(so);
    for (unsigned i = 0; i < b->nw; i++) {
        struct worker *w = &b->w[i];
        w->b = b;
        pf_client_options co = b->orig;
        co.ctx = w;
        co.now_ms = b->orig.now_ms ? hook_now : NULL;
        co.random = b->orig.random ? hook_random : NULL;
        co.sleep_ms = hook_sleep;
        co.trace = hook_trace;
        co.trace_ctx = w;
        if ((st = pf_send_options_set_client(so, &co)) != PF_OK)
            goto out;
        st = pf_sender_create(session, so, &w->snd, diag);
        pf_send_options_set_client(so, &b->orig);
        if (st != PF_OK)
            goto out;
    }
    if (o->dry_run) {
        pf_sender_destroy(b->w[0].snd);
        b->w[0].snd = NULL;
        b->nw = 0;
    }
    if ((st = pf_batch_options_set_on_row(bo, on_batch_row, b)) != PF_OK ||
        (st = pf_batch_options_set_json(bo, false)) != PF_OK ||
        (st = pf_batch_create(session, bo, &b->batch, diag)) != PF_OK)
        goto out;
    for (unsigned i = 0; i < b->nw; i++) {
        if (pthread_create(&b->w[i].th, NULL, worker_main, &b->w[i]) != 0) {
            st = PF_E_INTERNAL;
            pfi_diag_set(diag, st, "cannot start a sender thread");
            goto out;
        }
        b->w[i].started = true;
    }
    *out = b;
    return PF_OK;
nomem:
    pfi_diag_set(diag, PF_E_NOMEM, "out of memory");
    st = PF_E_NOMEM;
out:
    pf_bulk_destroy(b);
    return st;
}

/* The status of a call that the batch ended: the journal's failure
 * first, since that is why the batch was stopped. */
static pf_status outcome_status(pf_bulk *b, pf_status st, pf_diag *diag)
{
    pthread_mutex_lock(&b->mu);
    if (b->journal_failed) {
        if (diag)
            *diag = b->stop_diag;
        st = PF_E_IO;
    }
    pthread_mutex_unlock(&b->mu);
    return st;
}

pf_status pf_bulk_feed_csv(pf_bulk *b, const char *data, size_t len, pf_diag *diag)
{
    if (!b)
        return PF_E_INVALID;
    pf_status st = pf_batch_feed_csv(b->batch, data, len, diag);
    return st == PF_OK ? st : outcome_status(b, st, diag);
}

pf_status pf_bulk_finish(pf_bulk *b, pf_diag *diag)
{
    if (!b)
        return PF_E_INVALID;
    pf_status st = pf_batch_finish(b->batch, diag);
    /* A stopped run still hands back the rows that were tried: their
     * outcomes are in the journal, the caller should see them too. */
    if (st != PF_OK && !is_stopped(b))
        return outcome_status(b, st, diag);
    pthread_mutex_lock(&b->mu);
    b->eof = true;
    pthread_cond_broadcast(&b->cv_job);
    for (;;) {
        if (!emit_ready(b))
            break;
        if (b->win_head == b->win_n)
            break;
        pthread_cond_wait(&b->cv_done, &b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    stop_workers(b);
    pf_status fin = outcome_status(b, PF_OK, diag);
    if (fin == PF_OK && is_stopped(b)) {
        pfi_diag_set(diag, PF_E_LIMIT, "cancelled");
        fin = PF_E_LIMIT;
    }
    return fin;
}

void pf_bulk_cancel(pf_bulk *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    stop_locked(b, NULL);
    pthread_mutex_unlock(&b->mu);
    pf_batch_cancel(b->batch);
}

pf_status pf_bulk_get_summary(const pf_bulk *b, pf_bulk_summary *s)
{
    if (!b || !s || s->size < sizeof *s)
        return PF_E_INVALID;
    *s = b->sum;
    s->size = sizeof *s;
    pf_bulk *m = (pf_bulk *)b; /* the limiter's lock; nothing else changes */
    pthread_mutex_lock(&m->lim_mu);
    s->requests = b->requests;
    s->rate_limited = b->rate_limited;
    s->elapsed_s = b->requests ? b->last_answer - b->first_req : 0;
    /* n requests span n - 1 intervals: that is the pace the limiter kept. */
    s->rate_achieved = s->elapsed_s > 0 ? (double)(b->requests - 1) / s->elapsed_s : 0;
    s->rate_final = b->global.rate;
    pthread_mutex_unlock(&m->lim_mu);
    return PF_OK;
}

const pf_batch *pf_bulk_batch(const pf_bulk *b)
{
    return b ? b->batch : NULL;
}
