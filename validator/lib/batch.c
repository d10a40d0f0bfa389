/*
 * batch.c — a verdict for every row of a recipient list: streamed, on a
 * pool of workers, delivered in input order.
 *
 * The shape: the feeding thread puts rows into chunks of a ring and
 * delivers finished chunks in order; workers check whole chunks, each with
 * its own checker over the shared session. The one thing that needs input
 * order — "is this recipient a duplicate?" — is decided on delivery, so it
 * is the same for any number of jobs.
 *
 * Every input row yields exactly one delivered row: one that cannot be
 * checked (ragged, invalid UTF-8, an over-long field, no number, a bad
 * first_message or send_at, a template that cannot be rendered) is an
 * error row with the reason.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "preflight/batch.h"
#include "preflight/csv.h"
#include "preflight/message.h"
#include "preflight/template.h"
#include "verdict_int.h"

#define CHUNK_ROWS 256
#define MAX_JOBS 256

enum col { COL_NUMBER, COL_MESSAGE, COL_AGENT, COL_FIRST, COL_SEND_AT, NCOLS };
static const char *const col_names[NCOLS] = {"user_number", "message", "agent_number",
                                             "first_message", "send_at"};

struct pf_batch_options {
    unsigned jobs;
    char *colmap[NCOLS];
    char *tmpl_text;
    size_t tmpl_len;
    bool has_template;
    pf_check_input base;
    bool json;
    bool csv;
    bool slow_json; /* tests: the cJSON writer instead of the streaming one */
    bool no_memo;   /* tests: no content memo in the workers' checkers */
    pf_batch_row_fn on_row;
    void *ctx;
};

/*
 * A row's slot in a chunk. Slots are reused chunk after chunk: the field
 * block, the offsets and the output line keep their memory (up to
 * KEEP_BYTES), so a steady batch allocates nothing for them per row.
 */
#define KEEP_BYTES 65536

struct row {
    size_t number;
    char *data; /* the fields, NUL-terminated, back to back */
    size_t data_cap;
    size_t *off;
    size_t *len;
    size_t fields_cap;
    size_t nfields;
    char error[256];
    pf_verdict verdict;
    bool has_verdict;
    uint64_t key; /* the E.164 digits, 0 when none */
    struct pfi_buf line; /* the output line (JSON or CSV), when asked for */
    bool has_line;
    char *rendered; /* the template's text for this row, or NULL (the message field) */
    size_t rendered_len;
};

enum chunk_state { FREE, READY, WORKING, DONE };

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
    char *id;
    size_t n;
    uint32_t hash; /* of id: most lookups compare this alone */
};

#define NSLOTS (26 * 26 + 1) /* AA..ZZ, then unknown */

struct pf_batch {
    pf_session *session;
    pf_batch_options o; /* strings owned */
    pf_template tmpl;
    /* header */
    char **header;
    size_t nheader;
    int col[NCOLS];
    bool header_done;
    size_t rows_read;
    pf_csv *csv;
    /* workers and the ring */
    pthread_t *threads;
    unsigned nworkers, jobs;
    struct chunk *ring;
    size_t nring, head, tail; /* head: next to deliver; tail: being filled */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool eof;                      /* under mu */
    atomic_bool failed, cancelled; /* read anywhere, set then broadcast under mu */
    pf_status werr;                /* a worker's failure, under mu */
    char werr_msg[256];
    /* delivery (feeding thread only) */
    struct keyset seen;
    size_t counts[5]; /* pass warn block error duplicates */
    struct idcount *ids;
    size_t nids, capids;
    bool ids_sorted;
    size_t by_country[NSLOTS][4];
    char codes[26 * 26][3]; /* "AA".."ZZ", for pf_batch_country_at */
};

/* ---- options ---- */

pf_status pf_batch_options_create(pf_batch_options **out)
{
    if (!out)
        return PF_E_INVALID;
    if (!(*out = calloc(1, sizeof **out)))
        return PF_E_NOMEM;
    (*out)->base = pf_check_input_default();
    return PF_OK;
}

void pf_batch_options_destroy(pf_batch_options *o)
{
    if (!o)
        return;
    for (int i = 0; i < NCOLS; i++)
        free(o->colmap[i]);
    free(o->tmpl_text);
    free(o);
}

pf_status pf_batch_options_set_jobs(pf_batch_options *o, unsigned jobs)
{
    if (!o || jobs > MAX_JOBS)
        return PF_E_INVALID;
    o->jobs = jobs;
    return PF_OK;
}

pf_status pf_batch_options_map_column(pf_batch_options *o, const char *name, const char *header)
{
    if (!o || !name || !header || !*header)
        return PF_E_INVALID;
    for (int i = 0; i < NCOLS; i++) {
        if (strcmp(name, col_names[i]) != 0)
            continue;
        char *copy = strdup(header);
        if (!copy)
            return PF_E_NOMEM;
        free(o->colmap[i]);
        o->colmap[i] = copy;
        return PF_OK;
    }
    return PF_E_NOT_FOUND;
}

pf_status pf_batch_options_set_template(pf_batch_options *o, const char *text, size_t len,
                                        pf_diag *diag)
{
    pf_template t;
    pf_diag_clear(diag);
    if (!o || (!text && len)) {
        pfi_diag_set(diag, PF_E_INVALID, "no options or template");
        return PF_E_INVALID;
    }
    pf_status st = pf_template_parse(text ? text : "", len, &t);
    if (st != PF_OK) {
        pfi_diag_set(diag, st, "out of memory");
        return st;
    }
    if (t.error_count) {
        if (diag)
            diag->offset = t.errors[0].start;
        pfi_diag_set(diag, PF_E_SYNTAX, "malformed placeholder at byte %zu: %s", t.errors[0].start,
                     t.errors[0].why);
        pf_template_free(&t);
        return PF_E_SYNTAX;
    }
    pf_template_free(&t);
    char *copy = malloc(len + 1);
    if (!copy) {
        pfi_diag_set(diag, PF_E_NOMEM, "out of memory");
        return PF_E_NOMEM;
    }
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    free(o->tmpl_text);
    o->tmpl_text = copy;
    o->tmpl_len = len;
    o->has_template = true;
    return PF_OK;
}

pf_status pf_batch_options_set_base(pf_batch_options *o, const pf_check_input *base)
{
    if (!o || !base)
        return PF_E_INVALID;
    o->base = *base;
    return PF_OK;
}

pf_status pf_batch_options_set_json(pf_batch_options *o, bool json)
{
    if (!o)
        return PF_E_INVALID;
    o->json = json;
    if (json)
        o->csv = false;
    return PF_OK;
}

pf_status pf_batch_options_set_csv(pf_batch_options *o, bool csv)
{
    if (!o)
        return PF_E_INVALID;
    o->csv = csv;
    if (csv)
        o->json = false;
    return PF_OK;
}

void pfi_batch_options_set_slow_json(pf_batch_options *o, bool slow)
{
    o->slow_json = slow;
}

void pfi_batch_options_set_memo(pf_batch_options *o, bool on)
{
    o->no_memo = !on;
}

pf_status pf_batch_options_set_on_row(pf_batch_options *o, pf_batch_row_fn fn, void *ctx)
{
    if (!o)
        return PF_E_INVALID;
    o->on_row = fn;
    o->ctx = ctx;
    return PF_OK;
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

/* ---- rows (worker side) ---- */

static const char *field(const struct row *r, int i, size_t *len)
{
    if (i < 0 || (size_t)i >= r->nfields) {
        *len = 0;
        return NULL;
    }
    *len = r->len[i];
    return r->data + r->off[i];
}

/*
 * What the worker that checks the slot's next row frees first: the last
 * row's verdict and rendered text. Freed there, not on delivery, because
 * the feeding thread is the one serial step of a batch (and the worker
 * frees what a worker allocated).
 */
static void row_clear_results(struct row *r)
{
    free(r->rendered);
    r->rendered = NULL;
    r->rendered_len = 0;
    if (r->has_verdict)
        pf_verdict_clear(&r->verdict);
    r->has_verdict = false;
}

/* Forget the row's input, keeping its buffers for the next one (unless large). */
static void row_reset(struct row *r)
{
    r->has_line = false;
    r->key = 0;
    r->nfields = 0;
    r->error[0] = '\0';
    if (r->data_cap > KEEP_BYTES) {
        free(r->data);
        r->data = NULL;
        r->data_cap = 0;
    }
    if (r->line.cap > KEEP_BYTES)
        pfi_buf_free(&r->line);
}

static void row_free(struct row *r)
{
    row_clear_results(r);
    row_reset(r);
    free(r->data);
    free(r->off);
    free(r->len);
    pfi_buf_free(&r->line);
    memset(r, 0, sizeof *r);
}

/* The row as the public callback sees it (message fields aside). */
static pf_batch_row public_row(const pf_batch *b, const struct row *r, bool dup)
{
    size_t ulen;
    const char *u = field(r, b->col[COL_NUMBER], &ulen);
    pf_batch_row out = {
        .size = sizeof out,
        .number = r->number,
        .error = !r->has_verdict,
        .error_message = r->has_verdict ? NULL : r->error,
        .user_input = u,
        .user_input_len = ulen,
        .verdict = r->has_verdict ? &r->verdict : NULL,
        .duplicate = dup,
    };
    return out;
}

static void csv_line(struct pfi_buf *b, const pf_batch_row *r);

/* The row's JSON line through cJSON: the trusted path (tests compare). */
static bool render_json_slow(const pf_batch *b, struct row *r)
{
    cJSON *o;
    char *json = NULL;
    size_t json_len = 0;
    if (r->has_verdict) {
        o = pfi_verdict_json(&r->verdict);
    } else if ((o = cJSON_CreateObject())) {
        size_t ulen;
        const char *u = field(r, b->col[COL_NUMBER], &ulen);
        char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
        cJSON_AddStringToObject(o, "verdict", "error");
        cJSON_AddStringToObject(o, "error", r->error);
        if (u) {
            pf_utf8_clean(u, ulen < PF_NUMBER_INPUT_MAX ? ulen : PF_NUMBER_INPUT_MAX, clean,
                          sizeof clean);
            cJSON *un = cJSON_AddObjectToObject(o, "user_number");
            if (!un || !cJSON_AddStringToObject(un, "input", clean)) {
                cJSON_Delete(o);
                return false;
            }
        }
    }
    if (!o || !cJSON_AddNumberToObject(o, "row", (double)r->number)) {
        cJSON_Delete(o);
        return false;
    }
    pf_status st = pfi_json_to_string(o, PF_JSON_NEWLINE, &json, &json_len);
    cJSON_Delete(o);
    if (st != PF_OK)
        return false;
    pfi_buf_reset(&r->line);
    pfi_buf_put(&r->line, json, json_len);
    free(json);
    return r->line.ok;
}

static void put_lit(struct pfi_buf *b, const char *s)
{
    pfi_buf_put(b, s, strlen(s));
}

/*
 * The row's output line into its reused buffer: the JSON line (the verdict
 * plus "row", or an error object) by the streaming writer, or the CSV line.
 */
static bool render_line(const pf_batch *b, struct row *r, bool dup)
{
    struct pfi_buf *out = &r->line;
    r->has_line = true;
    if (b->o.csv) {
        pf_batch_row pr = public_row(b, r, dup);
        pfi_buf_reset(out);
        csv_line(out, &pr);
        return out->ok;
    }
    if (b->o.slow_json)
        return render_json_slow(b, r);
    pfi_buf_reset(out);
    if (r->has_verdict) {
        pfi_verdict_write_json(out, &r->verdict, true);
    } else {
        size_t ulen;
        const char *u = field(r, b->col[COL_NUMBER], &ulen);
        char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
        put_lit(out, "{\"verdict\":\"error\",\"error\":");
        pfi_json_put_string(out, r->error);
        if (u) {
            pf_utf8_clean(u, ulen < PF_NUMBER_INPUT_MAX ? ulen : PF_NUMBER_INPUT_MAX, clean,
                          sizeof clean);
            put_lit(out, ",\"user_number\":{\"input\":");
            pfi_json_put_string(out, clean);
            pfi_buf_put(out, "}", 1);
        }
    }
    put_lit(out, ",\"row\":");
    pfi_json_put_size(out, r->number);
    pfi_buf_put(out, "}\n", 2);
    return out->ok;
}

struct lookup_ctx {
    const pf_batch *b;
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

/* Check one row. PF_OK unless memory ran out (an unusable row is an error
 * row, not a failure). */
static pf_status check_row(pf_batch *b, pf_checker *ck, struct row *r)
{
    size_t len;
    char *rendered = NULL;
    pf_diag d;
    row_clear_results(r);
    for (size_t i = 0; !r->error[0] && i < r->nfields; i++) {
        size_t bad;
        if (pf_utf8_validate(r->data + r->off[i], r->len[i], &bad) != PF_OK)
            snprintf(r->error, sizeof r->error, "row %zu, column %s: invalid UTF-8 at byte %zu",
                     r->number, i < b->nheader ? b->header[i] : "?", bad);
    }
    if (r->error[0])
        goto render;
    pf_check_input in = b->o.base;
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
    if (b->o.has_template) {
        struct lookup_ctx lc = {b, r};
        pf_status st = pf_template_render(&b->tmpl, lookup, &lc, &rendered, &len, &d);
        if (st == PF_E_NOMEM)
            return st;
        if (st != PF_OK) {
            snprintf(r->error, sizeof r->error, "row %zu: template: %.200s", r->number, d.message);
            goto render;
        }
        in.message = rendered;
        in.message_len = len;
    } else {
        in.message = field(r, b->col[COL_MESSAGE], &len);
        in.message_len = len;
    }
    pf_status st = pf_checker_check(ck, &in, &r->verdict, &d);
    /* Kept: bulk send sends exactly the text that was checked. */
    r->rendered = rendered;
    r->rendered_len = in.message_len;
    rendered = NULL;
    if (st == PF_E_NOMEM)
        return st;
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
    if ((b->o.json || b->o.csv) && !render_line(b, r, false))
        return PF_E_NOMEM;
    return PF_OK;
}

/* A worker's failure: remembered with its reason, and everyone stops. */
static void worker_fail(pf_batch *b, pf_status st, const char *what)
{
    pthread_mutex_lock(&b->mu);
    if (b->werr == PF_OK) {
        b->werr = st;
        snprintf(b->werr_msg, sizeof b->werr_msg, "a worker failed: %s: %s", what,
                 pf_strerror(st));
    }
    atomic_store(&b->failed, true);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void *worker_main(void *arg)
{
    pf_batch *b = arg;
    pf_checker *ck = NULL;
    pf_diag d;
    pf_status st = pf_checker_create(b->session, &ck, &d);
    if (st != PF_OK) {
        worker_fail(b, st, "cannot create a checker");
        return NULL;
    }
    if (!b->o.no_memo)
        pfi_checker_set_memo(ck, true);
    pthread_mutex_lock(&b->mu);
    for (;;) {
        struct chunk *todo = NULL;
        for (size_t i = b->head; i < b->tail && !todo; i++) {
            struct chunk *c = &b->ring[i % b->nring];
            if (c->state == READY)
                todo = c;
        }
        if (!todo) {
            if (b->eof || atomic_load(&b->failed) || atomic_load(&b->cancelled))
                break;
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        todo->state = WORKING;
        pthread_mutex_unlock(&b->mu);
        st = PF_OK;
        for (size_t i = 0; i < todo->n && st == PF_OK; i++)
            st = check_row(b, ck, &todo->rows[i]);
        if (st != PF_OK)
            worker_fail(b, st, "checking a row");
        pthread_mutex_lock(&b->mu);
        todo->state = DONE;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    pf_checker_destroy(ck);
    return NULL;
}

/* ---- delivery (the feeding thread) ---- */

static pf_status count_id(pf_batch *b, const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (size_t i = 0; i < b->nids; i++) {
        if (b->ids[i].hash == h && strcmp(b->ids[i].id, id) == 0) {
            b->ids[i].n++;
            return PF_OK;
        }
    }
    void *arr = b->ids;
    pf_status st = pfi_grow(&arr, &b->capids, b->nids + 1, sizeof *b->ids);
    b->ids = arr;
    if (st != PF_OK)
        return st;
    if (!(b->ids[b->nids].id = strdup(id)))
        return PF_E_NOMEM;
    b->ids[b->nids].hash = h;
    b->ids[b->nids++].n = 1;
    b->ids_sorted = false;
    return PF_OK;
}

static size_t country_slot(const struct row *r)
{
    const char *c = r->has_verdict && r->verdict.user_parsed ? r->verdict.user.region : "";
    if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && !c[2])
        return (size_t)(c[0] - 'A') * 26 + (size_t)(c[1] - 'A');
    return 26 * 26;
}

/* Count, mark duplicates, hand the row to the caller. */
static pf_status deliver(pf_batch *b, struct row *r, bool burst_end)
{
    bool dup = false;
    if (r->key && !keyset_add(&b->seen, r->key, &dup))
        return PF_E_NOMEM;
    if (dup) {
        /* Only delivery knows input order, so only it can say "again". */
        if (pf_finding_list_addf(&r->verdict.findings, "batch.duplicate-recipient", PF_SEV_WARN,
                                 "Send to each recipient once per batch, or merge the messages.",
                                 "heuristic",
                                 "%s appears earlier in this batch: each send opens a new "
                                 "conversation session.",
                                 r->verdict.user.e164) != PF_OK)
            return PF_E_NOMEM;
        pf_finding_list_sort(&r->verdict.findings);
        r->verdict.verdict = pf_verdict_from_findings(&r->verdict.findings);
        b->counts[4]++;
        if ((b->o.json || b->o.csv) && !render_line(b, r, true))
            return PF_E_NOMEM;
    }
    int v = r->has_verdict ? (int)r->verdict.verdict : 3;
    b->counts[v]++;
    b->by_country[country_slot(r)][v]++;
    for (size_t i = 0; r->has_verdict && i < r->verdict.findings.count; i++) {
        pf_status st = count_id(b, r->verdict.findings.items[i].id);
        if (st != PF_OK)
            return st;
    }
    if (!b->o.on_row)
        return PF_OK;
    size_t mlen = r->rendered_len;
    const char *msg = r->rendered ? r->rendered : field(r, b->col[COL_MESSAGE], &mlen);
    pf_batch_row out = public_row(b, r, dup);
    if (r->has_line && !b->o.csv) {
        out.json = r->line.s;
        out.json_len = r->line.len;
    } else if (r->has_line) {
        out.csv = r->line.s;
        out.csv_len = r->line.len;
    }
    out.burst_end = burst_end;
    out.message = r->has_verdict ? msg : NULL;
    out.message_len = r->has_verdict ? mlen : 0;
    if (b->o.on_row(b->o.ctx, &out) != 0)
        pf_batch_cancel(b);
    return PF_OK;
}

/* The status of a batch that stopped, with its reason. */
static pf_status stopped(pf_batch *b, pf_diag *diag)
{
    pthread_mutex_lock(&b->mu);
    pf_status st = b->werr;
    if (st != PF_OK)
        pfi_diag_set(diag, st, "%s", b->werr_msg);
    pthread_mutex_unlock(&b->mu);
    if (st == PF_OK) {
        st = PF_E_LIMIT;
        pfi_diag_set(diag, st, "cancelled");
    }
    return st;
}

/* Deliver every finished chunk at the head of the ring, in order. With
 * wait, block until the head chunk is finished first. */
static pf_status drain(pf_batch *b, bool wait, pf_diag *diag)
{
    pthread_mutex_lock(&b->mu);
    for (;;) {
        struct chunk *c = &b->ring[b->head % b->nring];
        if (b->head == b->tail || atomic_load(&b->failed) || atomic_load(&b->cancelled))
            break;
        if (c->state != DONE) {
            if (!wait)
                break;
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        pthread_mutex_unlock(&b->mu);
        pf_status st = PF_OK;
        for (size_t i = 0; i < c->n; i++) {
            if (st == PF_OK && !atomic_load(&b->cancelled))
                st = deliver(b, &c->rows[i], i + 1 == c->n);
            row_reset(&c->rows[i]);
        }
        if (st != PF_OK)
            worker_fail(b, st, "delivering a row");
        pthread_mutex_lock(&b->mu);
        c->n = 0;
        c->state = FREE;
        b->head++;
        wait = false; /* one chunk freed is enough to go on reading */
        pthread_cond_broadcast(&b->cv);
    }
    bool bad = atomic_load(&b->failed) || atomic_load(&b->cancelled);
    pthread_mutex_unlock(&b->mu);
    return bad ? stopped(b, diag) : PF_OK;
}

/* Hand the chunk being filled to the workers; make room for the next. */
static pf_status dispatch(pf_batch *b, pf_diag *diag)
{
    pthread_mutex_lock(&b->mu);
    struct chunk *c = &b->ring[b->tail % b->nring];
    if (c->n == 0) {
        pthread_mutex_unlock(&b->mu);
        return PF_OK;
    }
    c->state = READY;
    b->tail++;
    pthread_cond_broadcast(&b->cv);
    bool full = b->tail - b->head >= b->nring;
    pthread_mutex_unlock(&b->mu);
    /* The ring is full: deliver (and so free) the oldest chunk first. */
    return drain(b, full, diag);
}

/* ---- input ---- */

static pf_status resolve_columns(pf_batch *b, pf_diag *diag)
{
    for (int k = 0; k < NCOLS; k++) {
        const char *want = b->o.colmap[k] ? b->o.colmap[k] : col_names[k];
        b->col[k] = -1;
        for (size_t i = 0; i < b->nheader; i++) {
            if (strcmp(b->header[i], want) != 0)
                continue;
            if (b->col[k] >= 0) {
                pfi_diag_set(diag, PF_E_SCHEMA, "the header names column '%s' twice", want);
                return PF_E_SCHEMA;
            }
            b->col[k] = (int)i;
        }
    }
    if (b->col[COL_NUMBER] < 0) {
        pfi_diag_path(diag, "user_number");
        pfi_diag_set(diag, PF_E_SCHEMA, "the header has no '%s' column",
                     b->o.colmap[COL_NUMBER] ? b->o.colmap[COL_NUMBER] : "user_number");
        return PF_E_SCHEMA;
    }
    if (!b->o.has_template && b->col[COL_MESSAGE] < 0) {
        pfi_diag_path(diag, "message");
        pfi_diag_set(diag, PF_E_SCHEMA, "the header has no 'message' column and no template");
        return PF_E_SCHEMA;
    }
    for (size_t i = 0; b->o.has_template && i < b->tmpl.count; i++) {
        const pf_placeholder *p = &b->tmpl.placeholders[i];
        bool found = false;
        for (size_t h = 0; h < b->nheader && !found; h++)
            found = strlen(b->header[h]) == p->name_len &&
                    memcmp(b->header[h], b->tmpl.text + p->name_start, p->name_len) == 0;
        if (!found) {
            pfi_diag_path(diag, "template");
            pfi_diag_set(diag, PF_E_SCHEMA, "placeholder {{%.*s}} has no column", (int)p->name_len,
                         b->tmpl.text + p->name_start);
            return PF_E_SCHEMA;
        }
    }
    return PF_OK;
}

pf_status pf_batch_set_header(pf_batch *b, const char *const *fields, const size_t *lens, size_t n,
                              pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!b || (n && (!fields || !lens)) || b->header_done) {
        pfi_diag_set(diag, PF_E_INVALID, "the header is given once, before any row");
        return PF_E_INVALID;
    }
    b->header_done = true;
    if (!(b->header = calloc(n ? n : 1, sizeof *b->header)))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        const char *f = fields[i];
        size_t len = lens[i];
        while (len && (*f == ' ' || *f == '\t')) {
            f++;
            len--;
        }
        while (len && (f[len - 1] == ' ' || f[len - 1] == '\t'))
            len--;
        if (!(b->header[i] = malloc(len + 1)))
            goto nomem;
        memcpy(b->header[i], f, len);
        b->header[i][len] = '\0';
        b->nheader++;
    }
    pf_status st = resolve_columns(b, diag);
    if (st != PF_OK) {
        atomic_store(&b->failed, true);
        return st;
    }
    /* Columns known: start the workers (before any chunk can fill). */
    for (; b->nworkers < b->jobs; b->nworkers++) {
        if (pthread_create(&b->threads[b->nworkers], NULL, worker_main, b) != 0) {
            atomic_store(&b->failed, true);
            pfi_diag_set(diag, PF_E_INTERNAL, "cannot start a worker thread");
            return PF_E_INTERNAL;
        }
    }
    return PF_OK;
nomem:
    atomic_store(&b->failed, true);
    pfi_diag_set(diag, PF_E_NOMEM, "out of memory");
    return PF_E_NOMEM;
}

/*
 * A copy of the fields into the row's reused block, each NUL-terminated.
 * Fields that already lie back to back that way (pf_csv's records do) go
 * in one copy.
 */
static bool copy_fields(struct row *r, const char *const *fields, const size_t *lens, size_t n)
{
    size_t total = 0;
    bool packed = true;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] > SIZE_MAX / 2 - total)
            return false;
        packed = packed && fields[i] == fields[0] + total && fields[i][lens[i]] == '\0';
        total += lens[i] + 1;
    }
    if (total > r->data_cap) {
        size_t ncap = r->data_cap ? r->data_cap : 256;
        while (ncap < total)
            ncap *= 2;
        char *nd = malloc(ncap);
        if (!nd)
            return false;
        free(r->data);
        r->data = nd;
        r->data_cap = ncap;
    }
    if (n > r->fields_cap) {
        size_t *no = realloc(r->off, n * sizeof *no);
        if (no)
            r->off = no;
        size_t *nl = no ? realloc(r->len, n * sizeof *nl) : NULL;
        if (nl)
            r->len = nl;
        if (!nl)
            return false;
        r->fields_cap = n;
    }
    if (packed && total)
        memcpy(r->data, fields[0], total);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (!packed) {
            if (lens[i])
                memcpy(r->data + o, fields[i], lens[i]);
            r->data[o + lens[i]] = '\0';
        }
        r->off[i] = o;
        r->len[i] = lens[i];
        o += lens[i] + 1;
    }
    r->nfields = n;
    return true;
}

pf_status pf_batch_add_row(pf_batch *b, const char *const *fields, const size_t *lens, size_t n,
                           const char *error, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!b || (n && (!fields || !lens)) || !b->header_done) {
        pfi_diag_set(diag, PF_E_INVALID, "a row needs the header first");
        return PF_E_INVALID;
    }
    if (atomic_load(&b->failed) || atomic_load(&b->cancelled))
        return stopped(b, diag);
    struct chunk *ch = &b->ring[b->tail % b->nring];
    struct row *r = &ch->rows[ch->n];
    row_reset(r); /* already reset on delivery: only its buffers are left */
    r->number = ++b->rows_read;
    if (!copy_fields(r, fields, lens, n)) {
        row_reset(r);
        worker_fail(b, PF_E_NOMEM, "reading a row");
        return stopped(b, diag);
    }
    if (error)
        snprintf(r->error, sizeof r->error, "row %zu: %s", r->number, error);
    else if (r->nfields != b->nheader)
        snprintf(r->error, sizeof r->error, "row %zu has %zu fields; the header has %zu", r->number,
                 r->nfields, b->nheader);
    /* UTF-8 is checked by the worker (check_row): the feeding thread is
     * the one serial step of a batch, so it does as little as it can. */
    ch->n++;
    return ch->n == CHUNK_ROWS ? dispatch(b, diag) : PF_OK;
}

struct feed_ctx {
    pf_batch *b;
    pf_status st;
    pf_diag *diag;
};

static int on_record(void *ctx, const pf_csv_record *rec)
{
    struct feed_ctx *f = ctx;
    if (!f->b->header_done)
        f->st = pf_batch_set_header(f->b, rec->fields, rec->lens, rec->count, f->diag);
    else
        f->st = pf_batch_add_row(f->b, rec->fields, rec->lens, rec->count, rec->error, f->diag);
    return f->st != PF_OK;
}

pf_status pf_batch_feed_csv(pf_batch *b, const char *data, size_t len, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!b || (!data && len)) {
        pfi_diag_set(diag, PF_E_INVALID, "no batch or data");
        return PF_E_INVALID;
    }
    if (!b->csv && pf_csv_create(PF_MESSAGE_MAX, &b->csv) != PF_OK) {
        pfi_diag_set(diag, PF_E_NOMEM, "out of memory");
        return PF_E_NOMEM;
    }
    /* The parser's own diag apart: when a row stopped it, the row's reason
     * is the one to keep. */
    pf_diag cd;
    struct feed_ctx f = {b, PF_OK, diag};
    pf_status st = pf_csv_feed(b->csv, data, len, on_record, &f, &cd);
    if (f.st != PF_OK)
        return f.st;
    if (st != PF_OK && diag)
        *diag = cd;
    return st;
}

pf_status pf_batch_run(pf_batch *b, pf_batch_next_fn next, void *ctx, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!b || !next) {
        pfi_diag_set(diag, PF_E_INVALID, "no batch or row source");
        return PF_E_INVALID;
    }
    for (;;) {
        const char *const *fields = NULL;
        const size_t *lens = NULL;
        size_t n = 0;
        int got = next(ctx, &fields, &lens, &n);
        if (got == 0)
            return pf_batch_finish(b, diag);
        if (got < 0) {
            pf_batch_cancel(b);
            pfi_diag_set(diag, PF_E_IO, "the row source failed");
            return PF_E_IO;
        }
        pf_status st = b->header_done ? pf_batch_add_row(b, fields, lens, n, NULL, diag)
                                      : pf_batch_set_header(b, fields, lens, n, diag);
        if (st != PF_OK)
            return st;
    }
}

pf_status pf_batch_finish(pf_batch *b, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!b) {
        pfi_diag_set(diag, PF_E_INVALID, "no batch");
        return PF_E_INVALID;
    }
    if (b->csv) {
        pf_diag cd;
        struct feed_ctx f = {b, PF_OK, diag};
        pf_status st = pf_csv_finish(b->csv, on_record, &f, &cd);
        if (f.st != PF_OK)
            return f.st;
        if (st != PF_OK) {
            if (diag)
                *diag = cd;
            return st;
        }
    }
    if (!b->header_done) {
        pfi_diag_set(diag, PF_E_SCHEMA, "empty input: a header row is required");
        return PF_E_SCHEMA;
    }
    pf_status st = dispatch(b, diag);
    if (st != PF_OK)
        return st;
    pthread_mutex_lock(&b->mu);
    b->eof = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    while (st == PF_OK && b->head != b->tail)
        st = drain(b, true, diag);
    return st;
}

void pf_batch_cancel(pf_batch *b)
{
    if (!b)
        return;
    atomic_store(&b->cancelled, true);
    pthread_mutex_lock(&b->mu);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* ---- lifetime ---- */

pf_status pf_batch_create(pf_session *session, const pf_batch_options *o, pf_batch **out,
                          pf_diag *diag)
{
    pf_batch *b = NULL;
    pf_status st = PF_E_NOMEM;
    pf_diag_clear(diag);
    if (out)
        *out = NULL;
    if (!session || !o || !out) {
        pfi_diag_set(diag, PF_E_INVALID, "a batch needs a session and options");
        return PF_E_INVALID;
    }
    if (!(b = calloc(1, sizeof *b)))
        goto fail;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->o = *o;
    memset(b->o.colmap, 0, sizeof b->o.colmap);
    b->o.tmpl_text = NULL;
    for (int i = 0; i < NCOLS; i++) {
        if (o->colmap[i] && !(b->o.colmap[i] = strdup(o->colmap[i])))
            goto fail;
    }
    if (o->has_template) {
        if (!(b->o.tmpl_text = malloc(o->tmpl_len + 1)))
            goto fail;
        memcpy(b->o.tmpl_text, o->tmpl_text, o->tmpl_len + 1);
        if (pf_template_parse(b->o.tmpl_text, o->tmpl_len, &b->tmpl) != PF_OK)
            goto fail;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    b->jobs = o->jobs ? o->jobs : cores > 0 ? (unsigned)(cores < 64 ? cores : 64) : 1;
    b->nring = (size_t)b->jobs * 3 + 2;
    if (!(b->ring = calloc(b->nring, sizeof *b->ring)) ||
        !(b->threads = calloc(b->jobs, sizeof *b->threads)))
        goto fail;
    for (size_t c = 0; c < 26 * 26; c++) {
        b->codes[c][0] = (char)('A' + c / 26);
        b->codes[c][1] = (char)('A' + c % 26);
    }
    b->session = pf_session_ref(session);
    *out = b;
    return PF_OK;
fail:
    pfi_diag_set(diag, st, "out of memory");
    pf_batch_destroy(b);
    return st;
}

void pf_batch_destroy(pf_batch *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->eof = true;
    atomic_store(&b->cancelled, true);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    for (unsigned i = 0; i < b->nworkers; i++)
        pthread_join(b->threads[i], NULL);
    for (size_t c = 0; b->ring && c < b->nring; c++) {
        for (size_t i = 0; i < CHUNK_ROWS; i++)
            row_free(&b->ring[c].rows[i]);
    }
    free(b->ring);
    free(b->threads);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    for (size_t i = 0; i < b->nheader; i++)
        free(b->header[i]);
    free(b->header);
    for (size_t i = 0; i < b->nids; i++)
        free(b->ids[i].id);
    free(b->ids);
    free(b->seen.slots);
    pf_csv_destroy(b->csv);
    pf_template_free(&b->tmpl);
    for (int i = 0; i < NCOLS; i++)
        free(b->o.colmap[i]);
    free(b->o.tmpl_text);
    pf_session_unref(b->session);
    free(b);
}

/* ---- the summary ---- */

pf_status pf_batch_get_summary(const pf_batch *b, pf_batch_summary *s)
{
    if (!b || !s || s->size < sizeof(size_t))
        return PF_E_INVALID;
    pf_batch_summary full = {
        .size = s->size < sizeof full ? s->size : sizeof full,
        .rows = b->rows_read,
        .pass = b->counts[0],
        .warn = b->counts[1],
        .block = b->counts[2],
        .errors = b->counts[3],
        .duplicates = b->counts[4],
    };
    memcpy(s, &full, full.size); /* a caller built against an older, shorter struct */
    return PF_OK;
}

static int cmp_ids(const void *x, const void *y)
{
    const struct idcount *a = x, *c = y;
    return a->n != c->n ? (a->n < c->n ? 1 : -1) : strcmp(a->id, c->id);
}

size_t pf_batch_finding_count(const pf_batch *b)
{
    return b ? b->nids : 0;
}

const char *pf_batch_finding_at(const pf_batch *b, size_t i, size_t *rows)
{
    if (!b || i >= b->nids)
        return NULL;
    if (!b->ids_sorted) {
        /* Sorting is bookkeeping on a const view: the counts do not change. */
        pf_batch *m = (pf_batch *)b;
        qsort(m->ids, m->nids, sizeof m->ids[0], cmp_ids);
        m->ids_sorted = true;
    }
    if (rows)
        *rows = b->ids[i].n;
    return b->ids[i].id;
}

/* Slots with rows, in code order, "unknown" last. */
static bool slot_used(const pf_batch *b, size_t s)
{
    const size_t *n = b->by_country[s];
    return n[0] || n[1] || n[2] || n[3];
}

size_t pf_batch_country_count(const pf_batch *b)
{
    size_t n = 0;
    for (size_t s = 0; b && s < NSLOTS; s++)
        n += slot_used(b, s);
    return n;
}

const char *pf_batch_country_at(const pf_batch *b, size_t i, size_t verdicts[4])
{
    for (size_t s = 0; b && s < NSLOTS; s++) {
        if (!slot_used(b, s) || i--)
            continue;
        if (verdicts)
            memcpy(verdicts, b->by_country[s], 4 * sizeof(size_t));
        return s == 26 * 26 ? "unknown" : b->codes[s];
    }
    return NULL;
}

pf_status pf_batch_summary_to_json(const pf_batch *b, unsigned flags, char **out, size_t *len)
{
    static const char *const names[] = {"pass", "warn", "block", "error"};
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (!b)
        return PF_E_INVALID;
    cJSON *o = cJSON_CreateObject();
    cJSON *v = cJSON_AddObjectToObject(o, "verdicts");
    for (int i = 0; v && i < 4; i++)
        cJSON_AddNumberToObject(v, names[i], (double)b->counts[i]);
    cJSON_AddNumberToObject(o, "rows", (double)b->rows_read);
    cJSON_AddNumberToObject(o, "duplicates", (double)b->counts[4]);
    cJSON *ids = cJSON_AddObjectToObject(o, "findings");
    for (size_t i = 0; ids && i < b->nids; i++) {
        size_t n;
        const char *id = pf_batch_finding_at(b, i, &n);
        cJSON_AddNumberToObject(ids, id, (double)n);
    }
    cJSON *cc = cJSON_AddObjectToObject(o, "countries");
    for (size_t i = 0; cc && i < pf_batch_country_count(b); i++) {
        size_t n[4];
        const char *code = pf_batch_country_at(b, i, n);
        cJSON *e = cJSON_AddObjectToObject(cc, code);
        for (int k = 0; e && k < 4; k++)
            cJSON_AddNumberToObject(e, names[k], (double)n[k]);
    }
    pf_status st = o && v && ids && cc ? pfi_json_to_string(o, flags, out, len) : PF_E_NOMEM;
    cJSON_Delete(o);
    return st;
}

/* ---- a row as CSV ---- */

static void put(struct pfi_buf *b, const char *s, size_t n)
{
    pfi_buf_put(b, s, n);
}

/* A CSV field, quoted when it needs to be (RFC 4180). */
static void put_field(struct pfi_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        put(b, s, strlen(s));
        return;
    }
    put(b, "\"", 1);
    for (const char *p = s; *p; p++)
        put(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    put(b, "\"", 1);
}

/* A finding id list field: the ids joined by ';', quoted as one field. */
static void put_ids(struct pfi_buf *b, const pf_finding_list *f)
{
    bool quote = false;
    for (size_t i = 0; i < f->count && !quote; i++)
        quote = strpbrk(f->items[i].id, ",\"\r\n") != NULL;
    if (!quote) {
        for (size_t i = 0; i < f->count; i++) {
            if (i)
                put(b, ";", 1);
            put(b, f->items[i].id, strlen(f->items[i].id));
        }
        return;
    }
    struct pfi_buf ids = {NULL, 0, 0, true};
    put(&ids, "", 0);
    for (size_t i = 0; i < f->count; i++) {
        if (i)
            put(&ids, ";", 1);
        put(&ids, f->items[i].id, strlen(f->items[i].id));
    }
    if (ids.ok)
        put_field(b, ids.s);
    b->ok = b->ok && ids.ok;
    pfi_buf_free(&ids);
}

static void csv_line(struct pfi_buf *b, const pf_batch_row *r)
{
    char num[32], clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    snprintf(num, sizeof num, "%zu,", r->number);
    pf_utf8_clean(r->user_input ? r->user_input : "",
                  r->user_input && r->user_input_len < PF_NUMBER_INPUT_MAX ? r->user_input_len : 0,
                  clean, sizeof clean);
    const char *verdict = r->error ? "error" : pf_verdict_name(r->verdict->verdict);
    put(b, num, strlen(num));
    put_field(b, !r->error && r->verdict->user_parsed ? r->verdict->user.e164 : clean);
    put(b, ",", 1);
    put(b, verdict, strlen(verdict));
    put(b, ",", 1);
    if (r->error)
        put_field(b, r->error_message);
    else
        put_ids(b, &r->verdict->findings);
    put(b, "\n", 1);
}

pf_status pf_batch_row_to_csv(const pf_batch_row *r, char **out, size_t *len)
{
    struct pfi_buf b = {NULL, 0, 0, true};
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (!r || (!r->error && !r->verdict))
        return PF_E_INVALID;
    csv_line(&b, r);
    if (!b.ok) {
        free(b.s);
        return PF_E_NOMEM;
    }
    *out = b.s;
    if (len)
        *len = b.len;
    return PF_OK;
}
