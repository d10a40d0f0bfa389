/*
 * cli_batch.c — `preflight batch`: a verdict for every row of a recipient
 * list (CSV, RFC 4180, read with libcsv), streamed, on all cores, in input
 * order.
 *
 * The shape: the main thread reads records (pf_csv, over libcsv) into chunks and writes finished
 * chunks in order; worker threads check whole chunks, each with its own
 * pf_checker over the shared, read-only table, rules and config. The one
 * thing that needs input order — "is this recipient a duplicate?" — is
 * decided by the writer, so it is the same for any --jobs.
 *
 * Every input row yields exactly one output row: a row that cannot be
 * checked (ragged, invalid UTF-8, an over-long field, no number) gets
 * "verdict": "error" and the reason. Output goes out in whole lines with
 * write(2), chunk by chunk, so a run killed part-way leaves complete lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

enum {
    OPT_INPUT = CLI_OPT_OWN,
    OPT_TEMPLATE,
    OPT_JOBS,
    OPT_COLUMN,
    OPT_SUMMARY,
    OPT_BCONFIG,
    OPT_BENV,
    OPT_BREGION,
    OPT_BAT,
    OPT_BPURPOSE
};

static const struct cli_opt opts[] = {
    {"input", CLI_ARG, OPT_INPUT, "FILE", "the CSV recipient list ('-': stdin)"},
    {"template", CLI_ARG, OPT_TEMPLATE, "FILE", "render each row's message from {{column}}s"},
    {"jobs", CLI_ARG, OPT_JOBS, "N", "worker threads (default: the number of cores)"},
    {"column", CLI_ARG, OPT_COLUMN, "NAME=HEADER", "read column NAME from HEADER (repeatable)"},
    {"summary", CLI_ARG, OPT_SUMMARY, "FILE", "also write the summary as JSON to FILE"},
    {"config", CLI_ARG, OPT_BCONFIG, "FILE", "project config (preflight.json)"},
    {"env", CLI_ARG, OPT_BENV, "ENV", "dev, sandbox or live (default: the config's)"},
    {"region", CLI_ARG, OPT_BREGION, "CC", "region for recipients without '+'"},
    {"at", CLI_ARG, OPT_BAT, "TIME", "send time for rows without send_at (default: now)"},
    {"purpose", CLI_ARG, OPT_BPURPOSE, "P", "transactional or promotional"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight batch --input FILE.csv [--output FILE] [--format jsonl|csv]\n"
    "                       [--template FILE] [--jobs N] [--column NAME=HEADER]...\n"
    "                       [--config FILE] [--env ENV] [--region CC] [--at TIME]\n"
    "                       [--purpose P] [--summary FILE.json]";

#define CHUNK_ROWS 256
#define FIELD_MAX PF_MESSAGE_MAX
#define MAX_JOBS 64

/* The columns the batch reads; others are template variables. */
enum col { COL_NUMBER, COL_MESSAGE, COL_AGENT, COL_FIRST, COL_SEND_AT, NCOLS };
static const char *const col_names[NCOLS] = {"user_number", "message", "agent_number",
                                             "first_message", "send_at"};

struct row {
    size_t number; /* 1-based data row */
    char *data;    /* the fields, NUL-terminated, back to back */
    size_t *off;   /* start of field i in data */
    size_t *len;
    size_t nfields;
    char error[256]; /* set when the row cannot be checked */
    /* worker results */
    pf_verdict verdict;
    bool has_verdict;
    uint64_t key; /* the E.164 digits, 0 when none */
    char *line;   /* the output line, '\n' included */
    size_t line_len;
};

enum chunk_state { FREE, FILLING, READY, WORKING, DONE };

struct chunk {
    struct row rows[CHUNK_ROWS];
    size_t n;
    enum chunk_state state;
};

/* Distinct recipients: 8-byte slots, at most half full, grown by doubling,
 * so 16 to 32 MB per million. */
struct keyset {
    uint64_t *slots;
    size_t cap, count;
};

struct idcount {
    char id[64];
    size_t n;
};

struct batch;

struct worker {
    struct batch *b;
    pthread_t thread;
};

struct batch {
    struct cli_common c;
    struct worker workers[MAX_JOBS];
    int nworkers;
    int rc; /* exit code of a failure already reported, or 0 */
    const char *input, *template_file, *summary_file, *at;
    const char *colmap[NCOLS];
    int jobs;
    pf_check_input base; /* settings shared by every row */
    pf_session *session;
    pf_template tmpl;
    char *tmpl_text;
    bool has_template;
    bool csv_out;
    /* header */
    char **header;
    size_t nheader;
    int col[NCOLS]; /* header index, -1 when absent */
    /* reader state */
    bool header_done;
    size_t rows_read;
    /* the ring */
    struct chunk *ring;
    size_t nring, head, tail; /* head: next to write; tail: being filled */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool eof, failed;
    /* writer */
    int out_fd;
    char *obuf;
    size_t olen, ocap;
    struct keyset seen;
    size_t counts[5]; /* pass warn block error duplicates */
    struct idcount ids[128];
    size_t nids;
    size_t by_country[26 * 26 + 1][4];
    /* progress */
    bool progress;
    off_t total_bytes, read_bytes;
    double started, last_progress;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the recipient set ---- */

static bool keyset_add(struct keyset *s, uint64_t k, bool *dup)
{
    if ((s->count + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        uint64_t *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return false;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i])
                continue;
            size_t h = (size_t)((s->slots[i] * 0x9E3779B97F4A7C15ull) >> 20) & (ncap - 1);
            while (ns[h])
                h = (h + 1) & (ncap - 1);
            ns[h] = s->slots[i];
        }
        free(s->slots);
        s->slots = ns;
        s->cap = ncap;
    }
    size_t h = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (s->cap - 1);
    while (s->slots[h]) {
        if (s->slots[h] == k) {
            *dup = true;
            return true;
        }
        h = (h + 1) & (s->cap - 1);
    }
    s->slots[h] = k;
    s->count++;
    *dup = false;
    return true;
}

/* ---- rows ---- */

static const char *field(const struct row *r, int i, size_t *len)
{
    if (i < 0 || (size_t)i >= r->nfields) {
        *len = 0;
        return NULL;
    }
    *len = r->len[i];
    return r->data + r->off[i];
}

static void row_free(struct row *r)
{
    free(r->data);
    free(r->off);
    free(r->len);
    free(r->line);
    if (r->has_verdict)
        pf_verdict_clear(&r->verdict);
    memset(r, 0, sizeof *r);
}

/* Append to a heap string; false on allocation failure. */
static bool append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        while (ncap < *len + n + 1)
            ncap *= 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return false;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

/* A CSV field, quoted when it needs to be (RFC 4180). */
static bool csv_field(char **buf, size_t *len, size_t *cap, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (!quote)
        return append(buf, len, cap, s, strlen(s));
    bool ok = append(buf, len, cap, "\"", 1);
    for (const char *p = s; ok && *p; p++)
        ok = *p == '"' ? append(buf, len, cap, "\"\"", 2) : append(buf, len, cap, p, 1);
    return ok && append(buf, len, cap, "\"", 1);
}

/* Serialize one row's result into r->line. */
static bool render_line(struct batch *b, struct row *r)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    free(r->line);
    r->line = NULL;
    if (b->csv_out) {
        char num[32];
        size_t ulen;
        const char *u = field(r, b->col[COL_NUMBER], &ulen);
        char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
        snprintf(num, sizeof num, "%zu,", r->number);
        pf_report_clean_utf8(u ? u : "", u && ulen < PF_NUMBER_INPUT_MAX ? ulen : 0, clean,
                             sizeof clean);
        bool ok =
            append(&s, &len, &cap, num, strlen(num)) &&
            csv_field(&s, &len, &cap,
                      r->has_verdict && r->verdict.user_parsed ? r->verdict.user.e164 : clean) &&
            append(&s, &len, &cap, ",", 1) &&
            append(&s, &len, &cap, r->has_verdict ? pf_verdict_name(r->verdict.verdict) : "error",
                   r->has_verdict ? strlen(pf_verdict_name(r->verdict.verdict)) : 5) &&
            append(&s, &len, &cap, ",", 1);
        char *ids = NULL;
        size_t il = 0, ic = 0;
        if (r->has_verdict) {
            for (size_t i = 0; ok && i < r->verdict.findings.count; i++) {
                const char *id = r->verdict.findings.items[i].id;
                ok = (!i || append(&ids, &il, &ic, ";", 1)) &&
                     append(&ids, &il, &ic, id, strlen(id));
            }
        } else {
            ok = ok && append(&ids, &il, &ic, r->error, strlen(r->error));
        }
        ok = ok && csv_field(&s, &len, &cap, ids ? ids : "") && append(&s, &len, &cap, "\n", 1);
        free(ids);
        if (!ok) {
            free(s);
            return false;
        }
    } else {
        cJSON *o;
        if (r->has_verdict) {
            o = pf_report_json_verdict(&r->verdict);
        } else {
            o = cJSON_CreateObject();
            if (o) {
                size_t ulen;
                const char *u = field(r, b->col[COL_NUMBER], &ulen);
                char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
                cJSON_AddStringToObject(o, "verdict", "error");
                cJSON_AddStringToObject(o, "error", r->error);
                if (u) {
                    pf_report_clean_utf8(u, ulen < PF_NUMBER_INPUT_MAX ? ulen : PF_NUMBER_INPUT_MAX,
                                         clean, sizeof clean);
                    cJSON *un = cJSON_AddObjectToObject(o, "user_number");
                    cJSON_AddStringToObject(un, "input", clean);
                }
            }
        }
        if (!o || !cJSON_AddNumberToObject(o, "row", (double)r->number)) {
            cJSON_Delete(o);
            return false;
        }
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s)
            return false;
        len = strlen(s);
        char *t = realloc(s, len + 2);
        if (!t) {
            free(s);
            return false;
        }
        s = t;
        s[len++] = '\n';
        s[len] = '\0';
    }
    r->line = s;
    r->line_len = len;
    return true;
}

struct lookup_ctx {
    const struct batch *b;
    const struct row *r;
};

static const char *lookup(void *ctx, const char *name, size_t name_len, size_t *value_len)
{
    const struct lookup_ctx *lc = ctx;
    for (size_t i = 0; i < lc->b->nheader; i++) {
        if (strlen(lc->b->header[i]) == name_len && memcmp(lc->b->header[i], name, name_len) == 0)
            return field(lc->r, (int)i, value_len);
    }
    return NULL;
}

static bool parse_bool(const char *s, size_t len, pf_first_message *out)
{
    static const char *const yes[] = {"true", "yes", "1", "y", "t"};
    static const char *const no[] = {"false", "no", "0", "n", "f"};
    if (len == 0) {
        *out = PF_FIRST_UNKNOWN;
        return true;
    }
    for (size_t i = 0; i < 5; i++) {
        if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0) {
            *out = PF_FIRST_YES;
            return true;
        }
        if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0) {
            *out = PF_FIRST_NO;
            return true;
        }
    }
    return false;
}

/* Check one row (worker side). */
static void check_row(struct batch *b, pf_checker *ck, struct row *r)
{
    size_t len;
    char *rendered = NULL;
    if (r->error[0])
        goto render;
    pf_check_input in = b->base;
    const char *to = field(r, b->col[COL_NUMBER], &len);
    if (!to || len == 0) {
        snprintf(r->error, sizeof r->error, "row %zu: user_number is empty", r->number);
        goto render;
    }
    in.to = to;
    in.to_len = len;
    const char *agent = field(r, b->col[COL_AGENT], &len);
    in.agent_number = agent && len ? agent : NULL;
    const char *first = field(r, b->col[COL_FIRST], &len);
    if (first && !parse_bool(first, len, &in.first_message)) {
        snprintf(r->error, sizeof r->error, "row %zu: first_message: '%.32s' is not true or false",
                 r->number, first);
        goto render;
    }
    const char *at = field(r, b->col[COL_SEND_AT], &len);
    if (at && len && pf_time_parse(at, &in.send_time) != PF_OK) {
        snprintf(r->error, sizeof r->error,
                 "row %zu: send_at: '%.40s' is not an ISO 8601 time with an offset", r->number, at);
        goto render;
    }
    if (b->has_template) {
        struct lookup_ctx lc = {b, r};
        pf_diag d;
        if (pf_template_render(&b->tmpl, lookup, &lc, &rendered, &len, &d) != PF_OK) {
            snprintf(r->error, sizeof r->error, "row %zu: template: %.200s", r->number, d.message);
            goto render;
        }
        in.message = rendered;
        in.message_len = len;
    } else {
        in.message = field(r, b->col[COL_MESSAGE], &len);
        in.message_len = len;
    }
    pf_diag d;
    pf_status st = pf_checker_check(ck, &in, &r->verdict, &d);
    if (st != PF_OK) {
        snprintf(r->error, sizeof r->error, "row %zu: message: %.200s", r->number, d.message);
        goto render;
    }
    r->has_verdict = true;
    if (r->verdict.user_parsed && r->verdict.user.valid) {
        uint64_t k = 0;
        for (const char *p = r->verdict.user.e164 + 1; *p; p++)
            k = k * 10 + (uint64_t)(*p - '0');
        r->key = k;
    }
render:
    free(rendered);
    if (!render_line(b, r)) {
        pthread_mutex_lock(&b->mu);
        b->failed = true;
        pthread_mutex_unlock(&b->mu);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct batch *b = w->b;
    pf_checker *ck = NULL;
    pf_diag d;
    if (pf_checker_create(b->session, &ck, &d) != PF_OK) {
        pthread_mutex_lock(&b->mu);
        b->failed = true;
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
        return NULL;
    }
    pthread_mutex_lock(&b->mu);
    for (;;) {
        struct chunk *todo = NULL;
        for (size_t i = b->head; i < b->tail + 1 && !todo; i++) {
            struct chunk *c = &b->ring[i % b->nring];
            if (c->state == READY)
                todo = c;
        }
        if (!todo) {
            if (b->eof || b->failed)
                break;
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        todo->state = WORKING;
        pthread_mutex_unlock(&b->mu);
        for (size_t i = 0; i < todo->n; i++)
            check_row(b, ck, &todo->rows[i]);
        pthread_mutex_lock(&b->mu);
        todo->state = DONE;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    pf_checker_destroy(ck);
    return NULL;
}

/* ---- the writer (main thread) ---- */

static bool flush_out(struct batch *b)
{
    size_t off = 0;
    while (off < b->olen) {
        ssize_t n = write(b->out_fd, b->obuf + off, b->olen - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    b->olen = 0;
    return true;
}

static void count_id(struct batch *b, const char *id)
{
    for (size_t i = 0; i < b->nids; i++) {
        if (strcmp(b->ids[i].id, id) == 0) {
            b->ids[i].n++;
            return;
        }
    }
    if (b->nids < sizeof b->ids / sizeof b->ids[0]) {
        snprintf(b->ids[b->nids].id, sizeof b->ids[0].id, "%s", id);
        b->ids[b->nids++].n = 1;
    }
}

static size_t country_slot(const struct row *r)
{
    const char *c = r->has_verdict && r->verdict.user_parsed ? r->verdict.user.region : "";
    if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && !c[2])
        return (size_t)(c[0] - 'A') * 26 + (size_t)(c[1] - 'A');
    return 26 * 26;
}

static bool write_row(struct batch *b, struct row *r)
{
    bool dup = false;
    if (r->key && !keyset_add(&b->seen, r->key, &dup))
        return false;
    if (dup) {
        /* Only the writer knows input order, so only it can say "again". */
        if (pf_finding_list_addf(&r->verdict.findings, "batch.duplicate-recipient", PF_SEV_WARN,
                                 "Send to each recipient once per batch, or merge the messages.",
                                 "heuristic",
                                 "%s appears earlier in this batch: each send opens a new "
                                 "conversation session.",
                                 r->verdict.user.e164) != PF_OK)
            return false;
        pf_finding_list_sort(&r->verdict.findings);
        if (r->verdict.verdict == PF_VERDICT_PASS)
            r->verdict.verdict = PF_VERDICT_WARN;
        b->counts[4]++;
        if (!render_line(b, r))
            return false;
    }
    int v = r->has_verdict ? (int)r->verdict.verdict : 3;
    b->counts[v]++;
    b->by_country[country_slot(r)][v]++;
    if (r->has_verdict) {
        for (size_t i = 0; i < r->verdict.findings.count; i++)
            count_id(b, r->verdict.findings.items[i].id);
    }
    return append(&b->obuf, &b->olen, &b->ocap, r->line, r->line_len);
}

static void progress(struct batch *b, bool final)
{
    if (!b->progress)
        return;
    double t = now();
    if (!final && t - b->last_progress < 0.2)
        return;
    b->last_progress = t;
    size_t done = b->counts[0] + b->counts[1] + b->counts[2] + b->counts[3];
    double rate = t > b->started ? (double)done / (t - b->started) : 0;
    fprintf(stderr, "\r%10zu rows  %8.0f rows/s", done, rate);
    if (b->total_bytes > 0) {
        double frac = (double)b->read_bytes / (double)b->total_bytes;
        double eta = frac > 0 ? (t - b->started) * (1 - frac) / frac : 0;
        fprintf(stderr, "  %3.0f%%  ETA %d:%02d", frac * 100, (int)eta / 60, (int)eta % 60);
    }
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Write every finished chunk at the head of the ring, in order. With wait,
 * block until the head chunk is finished first. */
static bool drain(struct batch *b, bool wait)
{
    pthread_mutex_lock(&b->mu);
    for (;;) {
        struct chunk *c = &b->ring[b->head % b->nring];
        if (b->head == b->tail || b->failed)
            break;
        if (c->state != DONE) {
            if (!wait)
                break;
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        pthread_mutex_unlock(&b->mu);
        bool ok = true;
        for (size_t i = 0; i < c->n; i++) {
            ok = ok && write_row(b, &c->rows[i]);
            row_free(&c->rows[i]);
        }
        if (ok && !flush_out(b)) {
            cli_error("batch", "cannot write the output: %s", strerror(errno));
            b->rc = CLI_EXIT_USAGE;
            ok = false;
        }
        progress(b, false);
        pthread_mutex_lock(&b->mu);
        c->n = 0;
        c->state = FREE;
        b->head++;
        if (!ok)
            b->failed = true;
        wait = false; /* one chunk freed is enough to go on reading */
        pthread_cond_broadcast(&b->cv);
    }
    bool ok = !b->failed;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

/* Hand the chunk being filled to the workers and start the next one. */
static bool dispatch(struct batch *b)
{
    pthread_mutex_lock(&b->mu);
    struct chunk *c = &b->ring[b->tail % b->nring];
    if (c->n == 0) {
        pthread_mutex_unlock(&b->mu);
        return true;
    }
    c->state = READY;
    b->tail++;
    pthread_cond_broadcast(&b->cv);
    bool full = b->tail - b->head >= b->nring;
    pthread_mutex_unlock(&b->mu);
    /* The ring is full: write (and so free) the oldest chunk first. */
    if (!drain(b, full))
        return false;
    pthread_mutex_lock(&b->mu);
    b->ring[b->tail % b->nring].state = FILLING;
    pthread_mutex_unlock(&b->mu);
    return true;
}

/* ---- the reader ---- */

static bool take_header(struct batch *b, const pf_csv_record *rec)
{
    b->header = calloc(rec->count ? rec->count : 1, sizeof *b->header);
    if (!b->header)
        return false;
    for (size_t i = 0; i < rec->count; i++) {
        const char *f = rec->fields[i];
        size_t n = rec->lens[i];
        while (n && (*f == ' ' || *f == '\t')) {
            f++;
            n--;
        }
        while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
            n--;
        b->header[i] = strndup(f, n);
        if (!b->header[i])
            return false;
        b->nheader++;
    }
    return true;
}

static int resolve_columns(struct batch *b);

/* Columns known: start the workers (before any chunk can fill the ring). */
static bool start_workers(struct batch *b)
{
    int rc = resolve_columns(b);
    if (rc) {
        b->rc = rc;
        return false;
    }
    for (; b->nworkers < b->jobs; b->nworkers++) {
        b->workers[b->nworkers].b = b;
        if (pthread_create(&b->workers[b->nworkers].thread, NULL, worker_main,
                           &b->workers[b->nworkers]) != 0) {
            cli_error("batch", "cannot start a worker thread");
            b->rc = CLI_EXIT_USAGE;
            return false;
        }
    }
    return true;
}

/* A copy of the record's fields in one block, for the row's lifetime. */
static bool copy_fields(struct row *r, const pf_csv_record *rec)
{
    size_t total = 0;
    for (size_t i = 0; i < rec->count; i++)
        total += rec->lens[i] + 1;
    r->data = malloc(total ? total : 1);
    r->off = calloc(rec->count ? rec->count : 1, sizeof *r->off);
    r->len = calloc(rec->count ? rec->count : 1, sizeof *r->len);
    if (!r->data || !r->off || !r->len)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < rec->count; i++) {
        memcpy(r->data + o, rec->fields[i], rec->lens[i] + 1);
        r->off[i] = o;
        r->len[i] = rec->lens[i];
        o += rec->lens[i] + 1;
    }
    r->nfields = rec->count;
    return true;
}

static int on_record(void *ctx, const pf_csv_record *rec)
{
    struct batch *b = ctx;
    if (b->failed)
        return 1;
    if (!b->header_done) {
        b->header_done = true;
        if (!take_header(b, rec) || !start_workers(b))
            b->failed = true;
        return b->failed;
    }
    struct chunk *ch = &b->ring[b->tail % b->nring];
    struct row *r = &ch->rows[ch->n];
    memset(r, 0, sizeof *r);
    r->number = ++b->rows_read;
    if (!copy_fields(r, rec)) {
        row_free(r);
        b->failed = true;
        return 1;
    }
    if (rec->error)
        snprintf(r->error, sizeof r->error, "row %zu: %s", r->number, rec->error);
    else if (r->nfields != b->nheader)
        snprintf(r->error, sizeof r->error, "row %zu has %zu fields; the header has %zu", r->number,
                 r->nfields, b->nheader);
    for (size_t i = 0; !r->error[0] && i < r->nfields; i++) {
        size_t bad;
        if (pf_utf8_validate(r->data + r->off[i], r->len[i], &bad) != PF_OK)
            snprintf(r->error, sizeof r->error, "row %zu, column %s: invalid UTF-8 at byte %zu",
                     r->number, i < b->nheader ? b->header[i] : "?", bad);
    }
    ch->n++;
    if (ch->n == CHUNK_ROWS && !dispatch(b))
        b->failed = true;
    return b->failed;
}

/* ---- setup ---- */

static int resolve_columns(struct batch *b)
{
    for (int k = 0; k < NCOLS; k++) {
        const char *want = b->colmap[k] ? b->colmap[k] : col_names[k];
        b->col[k] = -1;
        for (size_t i = 0; i < b->nheader; i++) {
            if (strcmp(b->header[i], want) != 0)
                continue;
            if (b->col[k] >= 0) {
                cli_error("batch", "%s: the header names column '%s' twice", b->input, want);
                return CLI_EXIT_USAGE;
            }
            b->col[k] = (int)i;
        }
    }
    if (b->col[COL_NUMBER] < 0) {
        cli_error("batch",
                  "%s: the header has no '%s' column (map another with --column "
                  "user_number=HEADER)",
                  b->input, b->colmap[COL_NUMBER] ? b->colmap[COL_NUMBER] : "user_number");
        return CLI_EXIT_USAGE;
    }
    if (!b->has_template && b->col[COL_MESSAGE] < 0) {
        cli_error("batch", "%s: the header has no 'message' column and no --template was given",
                  b->input);
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; b->has_template && i < b->tmpl.count; i++) {
        const pf_placeholder *p = &b->tmpl.placeholders[i];
        bool found = false;
        for (size_t h = 0; h < b->nheader && !found; h++)
            found = strlen(b->header[h]) == p->name_len &&
                    memcmp(b->header[h], b->tmpl.text + p->name_start, p->name_len) == 0;
        if (!found) {
            cli_error("batch", "%s: placeholder {{%.*s}} has no column in %s", b->template_file,
                      (int)p->name_len, b->tmpl.text + p->name_start, b->input);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

static int parse_args(struct batch *b, int argc, char **argv)
{
    static const char *const formats[] = {"jsonl", "csv", NULL};
    struct cli_parser p;
    const char *val;
    int id;
    cli_parser_init(&p, "batch", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_ERROR: return CLI_EXIT_USAGE;
        case CLI_POSITIONAL:
            cli_error("batch", "unexpected argument '%s'\n%s", val, usage);
            return CLI_EXIT_USAGE;
        case OPT_INPUT: b->input = val; continue;
        case OPT_TEMPLATE: b->template_file = val; continue;
        case OPT_SUMMARY: b->summary_file = val; continue;
        case OPT_BCONFIG:
            if (cli_session_option(&b->c, CLI_SO_CONFIG, val) < 0)
                return CLI_EXIT_USAGE;
            continue;
        case OPT_BREGION: b->base.region = val; continue;
        case OPT_BAT: b->at = val; continue;
        case OPT_JOBS: {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > MAX_JOBS) {
                cli_error("batch", "--jobs takes a number from 1 to %d, not '%s'", MAX_JOBS, val);
                return CLI_EXIT_USAGE;
            }
            b->jobs = (int)n;
            continue;
        }
        case OPT_COLUMN: {
            const char *eq = strchr(val, '=');
            int k = -1;
            for (int c = 0; eq && c < NCOLS; c++) {
                if ((size_t)(eq - val) == strlen(col_names[c]) &&
                    strncmp(val, col_names[c], (size_t)(eq - val)) == 0)
                    k = c;
            }
            if (k < 0 || !eq[1]) {
                cli_error("batch",
                          "--column takes NAME=HEADER with NAME one of user_number, "
                          "message, agent_number, first_message, send_at; not '%s'",
                          val);
                return CLI_EXIT_USAGE;
            }
            b->colmap[k] = eq + 1;
            continue;
        }
        case OPT_BENV: {
            pf_environment e;
            if (pf_environment_from_name(val, &e) != PF_OK) {
                cli_error("batch", "--env takes dev, sandbox or live, not '%s'", val);
                return CLI_EXIT_USAGE;
            }
            b->base.environment = (int)e;
            continue;
        }
        case OPT_BPURPOSE:
            if (strcmp(val, "transactional") == 0)
                b->base.purpose = PF_PURPOSE_TRANSACTIONAL;
            else if (strcmp(val, "promotional") == 0)
                b->base.purpose = PF_PURPOSE_PROMOTIONAL;
            else {
                cli_error("batch", "--purpose takes transactional or promotional, not '%s'", val);
                return CLI_EXIT_USAGE;
            }
            continue;
        default: break;
        }
        int h = cli_common_option(&b->c, id, val, opts, usage);
        if (h == 2)
            return -1;
        if (h != 1)
            return CLI_EXIT_USAGE;
    }
    if (!cli_check_format(&b->c, formats))
        return CLI_EXIT_USAGE;
    b->csv_out = strcmp(b->c.format, "csv") == 0;
    if (!b->input) {
        cli_error("batch", "--input FILE is required\n%s", usage);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int load_all(struct batch *b)
{
    pf_diag d;
    if (b->at) {
        if (pf_time_parse(b->at, &b->base.send_time) != PF_OK) {
            cli_error("batch", "--at: '%s' is not an ISO 8601 time with an offset", b->at);
            return CLI_EXIT_USAGE;
        }
    } else {
        b->base.send_time = (int64_t)time(NULL);
    }
    if (b->base.region && !pf_region_is_supported(b->base.region)) {
        cli_error("batch", "--region: unknown region code '%s'", b->base.region);
        return CLI_EXIT_USAGE;
    }
    if (!cli_open_session(&b->c, &b->session))
        return CLI_EXIT_USAGE;
    if (b->template_file) {
        size_t len;
        if (pf_read_file(b->template_file, PF_MESSAGE_MAX, &b->tmpl_text, &len, &d) != PF_OK) {
            cli_error_diag("batch", &d);
            return CLI_EXIT_USAGE;
        }
        if (pf_template_parse(b->tmpl_text, len, &b->tmpl) != PF_OK) {
            cli_error("batch", "out of memory");
            return CLI_EXIT_USAGE;
        }
        b->has_template = true;
        if (b->tmpl.error_count) {
            cli_error("batch", "%s: malformed placeholder at byte %zu: %s", b->template_file,
                      b->tmpl.errors[0].start, b->tmpl.errors[0].why);
            return CLI_EXIT_USAGE;
        }
    }
    return 0;
}

static int cmp_ids(const void *x, const void *y)
{
    const struct idcount *a = x, *c = y;
    return a->n != c->n ? (a->n < c->n ? 1 : -1) : strcmp(a->id, c->id);
}

static cJSON *summary_json(struct batch *b)
{
    static const char *const names[] = {"pass", "warn", "block", "error"};
    cJSON *o = cJSON_CreateObject();
    cJSON *v = cJSON_AddObjectToObject(o, "verdicts");
    for (int i = 0; v && i < 4; i++)
        cJSON_AddNumberToObject(v, names[i], (double)b->counts[i]);
    cJSON_AddNumberToObject(o, "rows", (double)b->rows_read);
    cJSON_AddNumberToObject(o, "duplicates", (double)b->counts[4]);
    cJSON *ids = cJSON_AddObjectToObject(o, "findings");
    for (size_t i = 0; ids && i < b->nids; i++)
        cJSON_AddNumberToObject(ids, b->ids[i].id, (double)b->ids[i].n);
    cJSON *cc = cJSON_AddObjectToObject(o, "countries");
    for (size_t s = 0; cc && s <= 26 * 26; s++) {
        size_t *n = b->by_country[s];
        if (!n[0] && !n[1] && !n[2] && !n[3])
            continue;
        char code[8] = "unknown";
        if (s < 26 * 26)
            snprintf(code, sizeof code, "%c%c", (char)('A' + s / 26), (char)('A' + s % 26));
        cJSON *e = cJSON_AddObjectToObject(cc, code);
        for (int i = 0; e && i < 4; i++)
            cJSON_AddNumberToObject(e, names[i], (double)n[i]);
    }
    return o;
}

static void summary_text(struct batch *b)
{
    fprintf(stderr, "batch: %zu rows: %zu pass, %zu warn, %zu block, %zu error", b->rows_read,
            b->counts[0], b->counts[1], b->counts[2], b->counts[3]);
    if (b->counts[4])
        fprintf(stderr, " (%zu duplicate recipients)", b->counts[4]);
    fputc('\n', stderr);
    for (size_t i = 0; i < b->nids && i < 5; i++)
        fprintf(stderr, "  %-36s %zu\n", b->ids[i].id, b->ids[i].n);
    size_t shown = 0;
    fprintf(stderr, "  by country:");
    for (size_t s = 0; s <= 26 * 26 && shown < 10; s++) {
        size_t *n = b->by_country[s];
        size_t total = n[0] + n[1] + n[2] + n[3];
        if (!total)
            continue;
        if (s < 26 * 26)
            fprintf(stderr, " %c%c %zu", (char)('A' + s / 26), (char)('A' + s % 26), total);
        else
            fprintf(stderr, " unknown %zu", total);
        shown++;
    }
    fputc('\n', stderr);
}

int cli_batch(int argc, char **argv)
{
    struct batch *b = calloc(1, sizeof *b);
    int rc = CLI_EXIT_USAGE;
    FILE *in = NULL;
    bool started = false;
    pf_csv *csv = NULL;
    pf_diag d;

    if (!b) {
        cli_error("batch", "out of memory");
        return CLI_EXIT_USAGE;
    }
    cli_common_init(&b->c, "batch");
    b->base = pf_check_input_default();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    b->jobs = cores > 0 ? (int)(cores < MAX_JOBS ? cores : MAX_JOBS) : 1;
    int prc = parse_args(b, argc, argv);
    if (prc) {
        rc = prc < 0 ? CLI_EXIT_OK : prc;
        goto out;
    }
    if ((rc = load_all(b)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    in = strcmp(b->input, "-") == 0 ? stdin : fopen(b->input, "rb");
    if (!in) {
        cli_error("batch", "%s: cannot open: %s", b->input, strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
        b->total_bytes = sb.st_size;
    b->progress = !b->c.quiet && isatty(STDERR_FILENO);
    if (b->c.output && strcmp(b->c.output, "-") != 0) {
        b->out_fd = open(b->c.output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (b->out_fd < 0) {
            cli_error("batch", "%s: cannot write: %s", b->c.output, strerror(errno));
            goto out;
        }
    } else {
        b->out_fd = STDOUT_FILENO;
    }
    b->nring = (size_t)b->jobs * 3 + 2;
    b->ring = calloc(b->nring, sizeof *b->ring);
    if (!b->ring || pf_csv_create(FIELD_MAX, &csv) != PF_OK) {
        cli_error("batch", "out of memory");
        goto out;
    }
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    started = true;

    char buf[65536];
    size_t n;
    b->started = now();
    if (b->csv_out) {
        static const char head[] = "row,user_number,verdict,findings\n";
        if (!append(&b->obuf, &b->olen, &b->ocap, head, sizeof head - 1))
            goto fail;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        b->read_bytes += (off_t)n;
        pf_status st = pf_csv_feed(csv, buf, n, on_record, b, &d);
        if (b->failed)
            goto fail;
        if (st != PF_OK) {
            cli_error("batch", "%s: %s", b->input, d.message);
            goto fail;
        }
    }
    if (ferror(in)) {
        cli_error("batch", "%s: read error", b->input);
        goto fail;
    }
    pf_status fst = pf_csv_finish(csv, on_record, b, &d);
    if (b->failed)
        goto fail;
    if (fst != PF_OK) {
        cli_error("batch", "%s: %s", b->input, d.message);
        goto fail;
    }
    if (!b->header_done) {
        cli_error("batch", "%s: empty input: a header row is required", b->input);
        goto fail;
    }
    if (!dispatch(b))
        goto fail;
    pthread_mutex_lock(&b->mu);
    b->eof = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    if (!drain(b, true))
        goto fail;
    while (b->head != b->tail) {
        if (!drain(b, true))
            goto fail;
    }
    if (!flush_out(b)) {
        cli_error("batch", "cannot write the output: %s", strerror(errno));
        goto fail;
    }
    progress(b, true);
    qsort(b->ids, b->nids, sizeof b->ids[0], cmp_ids);
    if (!b->c.quiet)
        summary_text(b);
    if (b->summary_file) {
        cJSON *s = summary_json(b);
        FILE *f = fopen(b->summary_file, "w");
        bool ok = s && f && pf_report_json_print(f, s);
        if (f)
            ok = fclose(f) == 0 && ok;
        cJSON_Delete(s);
        if (!ok) {
            cli_error("batch", "%s: cannot write the summary", b->summary_file);
            goto fail;
        }
    }
    /* Error rows count as blocked: the list is not ready to send. */
    if (b->counts[2] || b->counts[3])
        rc = CLI_EXIT_FINDING;
    else
        rc = cli_exit_for(&b->c, b->counts[1] ? PF_SEV_WARN : -1);
    goto stop;
fail:
    rc = b->rc ? b->rc : CLI_EXIT_USAGE;
    pthread_mutex_lock(&b->mu);
    b->failed = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
stop:
    pthread_mutex_lock(&b->mu);
    b->eof = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    for (int i = 0; i < b->nworkers; i++)
        pthread_join(b->workers[i].thread, NULL);
out:
    pf_csv_destroy(csv);
    if (in && in != stdin)
        fclose(in);
    if (b->out_fd > 2)
        close(b->out_fd);
    if (b->ring) {
        for (size_t c = 0; c < b->nring; c++) {
            for (size_t i = 0; i < b->ring[c].n; i++)
                row_free(&b->ring[c].rows[i]);
        }
    }
    free(b->ring);
    if (started) {
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
    }
    for (size_t i = 0; i < b->nheader; i++)
        free(b->header[i]);
    free(b->header);
    free(b->obuf);
    free(b->seen.slots);
    pf_template_free(&b->tmpl);
    free(b->tmpl_text);
    pf_session_unref(b->session);
    cli_common_free(&b->c);
    free(b);
    return rc;
}
