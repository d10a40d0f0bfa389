/*
 * cli_bulk.c — `preflight send --input LIST.csv --journal RUN.journal`:
 * bulk send through the library's pf_bulk (bulk.h). This file is flags,
 * the hashes that bind the journal to its run, output rows, the progress
 * bar and the exit code.
 *
 * Output rows go out whole with write(2) as they come (in input order), so
 * a run killed part-way leaves complete lines; the journal, not the
 * output, is what a resumed run trusts.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_send.h"

enum {
    OPT_INPUT = CLI_OPT_OWN + 100,
    OPT_JOURNAL,
    OPT_TEMPLATE,
    OPT_JOBS,
    OPT_SENDERS,
    OPT_COLUMN,
    OPT_SUMMARY,
    OPT_CONFIG,
    OPT_ENV,
    OPT_REGION,
    OPT_AT,
    OPT_PURPOSE,
    OPT_RATE,
    OPT_RESEND_UNKNOWN
};

static const struct cli_opt opts[] = {
    {"input", CLI_ARG, OPT_INPUT, "FILE", "the CSV recipient list (a file: it is hashed)"},
    {"journal", CLI_ARG, OPT_JOURNAL, "FILE", "the run's journal (created, or resumed)"},
    {"template", CLI_ARG, OPT_TEMPLATE, "FILE", "render each row's message from {{column}}s"},
    {"column", CLI_ARG, OPT_COLUMN, "NAME=HEADER", "read column NAME from HEADER (repeatable)"},
    {"config", CLI_ARG, OPT_CONFIG, "FILE", "project config (preflight.json)"},
    {"env", CLI_ARG, OPT_ENV, "ENV", "dev, sandbox or live (default: the config's)"},
    {"region", CLI_ARG, OPT_REGION, "CC", "region for recipients without '+'"},
    {"at", CLI_ARG, OPT_AT, "TIME", "send time for rows without send_at (default: now)"},
    {"purpose", CLI_ARG, OPT_PURPOSE, "P", "transactional or promotional"},
    {"rate", CLI_ARG, OPT_RATE, "N", "messages per second overall (default 10)"},
    {"senders", CLI_ARG, OPT_SENDERS, "N", "requests in flight at once (default 4)"},
    {"jobs", CLI_ARG, OPT_JOBS, "N", "threads checking rows (default: the number of cores)"},
    {"resend-unknown", CLI_NO_ARG, OPT_RESEND_UNKNOWN, NULL,
     "send rows whose earlier outcome is unknown again (they may get it twice)"},
    {"summary", CLI_ARG, OPT_SUMMARY, "FILE", "also write the summary as JSON to FILE"},
    CLI_SEND_OPTS,
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight send --input LIST.csv --journal RUN.journal [--rate N] [--senders N]\n"
    "                      [--template FILE] [--column NAME=HEADER]... [--config FILE]\n"
    "                      [--env ENV] [--region CC] [--at TIME] [--purpose P] [--jobs N]\n"
    "                      [--resend-unknown] [--dry-run] [--format jsonl|csv] [--output F]\n"
    "                      [--summary F.json] [--cluster C | --base-url URL]\n"
    "                      [--credentials FILE] [--fail-on block|warn]\n"
    "\n"
    "Every row is checked; allowed rows are sent at --rate per second (and each sender\n"
    "number's \"mps\" from the config). The journal records an intent (synced to disk)\n"
    "before each request and the outcome after: run the same command again to resume.\n"
    "Rows done before are skipped; rows in flight when a run died are 'unknown' and are\n"
    "not sent again unless --resend-unknown.\n"
    "Credentials: POLYAI_AUTH_TOKEN and POLYAI_TOKEN_ID, or --credentials FILE.\n"
    "Exit: 0 every allowed row sent, 1 rows blocked (per --fail-on), 2 usage, input or\n"
    "journal error, 3 a send failed or its outcome is unknown (or the run was interrupted).";

struct bulk {
    struct cli_common c;
    struct send_opts s;
    const char *input, *journal_file, *template_file, *summary_file, *at, *config_file;
    char colmap[512]; /* the --column flags, for the config hash */
    size_t colmap_len;
    double rate;
    unsigned senders;
    bool resend_unknown;
    pf_batch_options *bo;
    pf_bulk_options *opt;
    pf_send_options *so;
    pf_check_input base;
    pf_session *session;
    pf_journal *journal;
    pf_bulk *run;
    bool csv_out;
    int out_fd;
    bool write_failed;
    /* progress */
    bool progress;
    size_t done, total;
    double started, last_progress;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Signals only set a flag; this thread turns it into pf_bulk_cancel (which
 * takes locks, so a handler must not), for a run waiting on its last
 * requests as much as for one still reading. */
struct watch {
    pf_bulk *run;
    pthread_mutex_t mu;
    bool done;
};

static void *watch_main(void *arg)
{
    struct watch *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        bool done = w->done;
        pthread_mutex_unlock(&w->mu);
        if (done)
            return NULL;
        if (interrupted) {
            pf_bulk_cancel(w->run);
            return NULL;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- output ---- */

struct line {
    char buf[1024];
    size_t n;
};

static void put(struct line *l, const char *s)
{
    size_t n = strlen(s);
    if (l->n + n < sizeof l->buf) {
        memcpy(l->buf + l->n, s, n);
        l->n += n;
    }
}

static void putf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, ap);
    va_end(ap);
    if (n > 0 && l->n + (size_t)n < sizeof l->buf)
        l->n += (size_t)n;
}

/* A JSON string (the text is printable ASCII or UTF-8 already). */
static void put_json(struct line *l, const char *s)
{
    put(l, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            putf(l, "\\%c", c);
        else if (c < 0x20)
            putf(l, "\\u%04x", c);
        else
            putf(l, "%c", c);
    }
    put(l, "\"");
}

/* A CSV field, quoted when it needs to be (RFC 4180). */
static void put_csv(struct line *l, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        put(l, s);
        return;
    }
    put(l, "\"");
    for (; *s; s++)
        putf(l, *s == '"' ? "\"\"" : "%c", *s);
    put(l, "\"");
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void progress(struct bulk *b, bool final)
{
    if (!b->progress)
        return;
    double t = now();
    if (!final && t - b->last_progress < 0.2)
        return;
    b->last_progress = t;
    size_t total = b->total > b->done ? b->total : b->done;
    double frac = total ? (double)b->done / (double)total : 1;
    int width = 30, fill = (int)(frac * width);
    double eta = frac > 0 ? (t - b->started) * (1 - frac) / frac : 0;
    fprintf(stderr, "\r[%.*s%*s] %3.0f%% %zu/%zu rows  ETA %d:%02d ", fill,
            "##############################", width - fill, "", frac * 100, b->done, total,
            (int)eta / 60, (int)eta % 60);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

static int on_row(void *ctx, const pf_bulk_row *r)
{
    struct bulk *b = ctx;
    struct line l = {.n = 0};
    const char *oc = pf_bulk_outcome_name(r->outcome);
    if (b->csv_out) {
        putf(&l, "%zu,", r->number);
        put_csv(&l, r->user_number);
        putf(&l, ",%s,%s,%s,", r->verdict, oc, r->status);
        if (r->http_status)
            putf(&l, "%ld", r->http_status);
        putf(&l, ",%u,%s\n", r->attempts,
             r->outcome == PF_BULK_SKIPPED ? pf_journal_outcome_name(r->previous) : "");
    } else {
        putf(&l, "{\"row\":%zu,\"user_number\":", r->number);
        put_json(&l, r->user_number);
        putf(&l, ",\"verdict\":\"%s\",\"outcome\":\"%s\",\"status\":\"%s\"", r->verdict, oc,
             r->status);
        if (r->http_status)
            putf(&l, ",\"http_status\":%ld", r->http_status);
        else
            put(&l, ",\"http_status\":null");
        putf(&l, ",\"attempts\":%u", r->attempts);
        if (r->outcome == PF_BULK_SKIPPED)
            putf(&l, ",\"previous\":\"%s\"", pf_journal_outcome_name(r->previous));
        if (r->duplicate)
            put(&l, ",\"duplicate\":true");
        if (r->error_message) {
            put(&l, ",\"error\":");
            put_json(&l, r->error_message);
        }
        put(&l, "}\n");
    }
    b->done++;
    if (!b->write_failed && !write_all(b->out_fd, l.buf, l.n)) {
        b->write_failed = true;
        cli_error("send", "cannot write the output: %s", strerror(errno));
    }
    progress(b, false);
    return b->write_failed ? 1 : 0; /* a signal is the watch thread's business */
}

/* ---- flags ---- */

static bool parse_count(const char *opt, const char *val, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(val, &end, 10);
    if (errno || end == val || *end || n < 1 || n > max) {
        cli_error("send", "--%s takes a number from 1 to %ld, not '%s'", opt, max, val);
        return false;
    }
    *out = n;
    return true;
}

static int parse_args(struct bulk *b, int argc, char **argv)
{
    static const char *const formats[] = {"jsonl", "csv", NULL};
    struct cli_parser p;
    const char *val;
    int id;
    long n;
    cli_parser_init(&p, "send", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_ERROR: return CLI_EXIT_USAGE;
        case CLI_POSITIONAL:
            cli_error("send", "unexpected argument '%s'\n%s", val, usage);
            return CLI_EXIT_USAGE;
        case OPT_INPUT: b->input = val; continue;
        case OPT_JOURNAL: b->journal_file = val; continue;
        case OPT_TEMPLATE: b->template_file = val; continue;
        case OPT_SUMMARY: b->summary_file = val; continue;
        case OPT_RESEND_UNKNOWN: b->resend_unknown = true; continue;
        case OPT_CONFIG:
            b->config_file = val;
            if (cli_session_option(&b->c, CLI_SO_CONFIG, val) < 0)
                return CLI_EXIT_USAGE;
            continue;
        case OPT_REGION: b->base.region = val; continue;
        case OPT_AT: b->at = val; continue;
        case OPT_JOBS:
            if (!parse_count("jobs", val, 64, &n))
                return CLI_EXIT_USAGE;
            pf_batch_options_set_jobs(b->bo, (unsigned)n);
            continue;
        case OPT_SENDERS:
            if (!parse_count("senders", val, 64, &n))
                return CLI_EXIT_USAGE;
            b->senders = (unsigned)n;
            continue;
        case OPT_RATE: {
            char *end;
            errno = 0;
            double r = strtod(val, &end);
            if (errno || end == val || *end || !(r > 0) || r > 10000) {
                cli_error("send",
                          "--rate takes messages per second above 0 and at most 10000, "
                          "not '%s'",
                          val);
                return CLI_EXIT_USAGE;
            }
            b->rate = r;
            continue;
        }
        case OPT_COLUMN: {
            const char *eq = strchr(val, '=');
            char name[32] = "";
            if (eq && (size_t)(eq - val) < sizeof name)
                memcpy(name, val, (size_t)(eq - val));
            pf_status st =
                eq && eq[1] ? pf_batch_options_map_column(b->bo, name, eq + 1) : PF_E_NOT_FOUND;
            if (st != PF_OK) {
                cli_error("send",
                          "--column takes NAME=HEADER with NAME one of user_number, message, "
                          "agent_number, first_message, send_at; not '%s'",
                          val);
                return CLI_EXIT_USAGE;
            }
            size_t l = strlen(val);
            if (b->colmap_len + l + 1 < sizeof b->colmap) {
                memcpy(b->colmap + b->colmap_len, val, l + 1);
                b->colmap_len += l + 1;
            }
            continue;
        }
        case OPT_ENV:
            if (!cli_parse_env("send", val, &b->base.environment))
                return CLI_EXIT_USAGE;
            continue;
        case OPT_PURPOSE:
            if (!cli_parse_purpose("send", val, &b->base.purpose))
                return CLI_EXIT_USAGE;
            continue;
        default: break;
        }
        int h = cli_send_option(&b->s, id, val);
        if (h < 0)
            return CLI_EXIT_USAGE;
        if (h)
            continue;
        h = cli_common_option(&b->c, id, val, opts, usage);
        if (h == 2)
            return -1;
        if (h != 1)
            return CLI_EXIT_USAGE;
    }
    if (!cli_check_format(&b->c, formats))
        return CLI_EXIT_USAGE;
    b->csv_out = strcmp(b->c.format, "csv") == 0;
    if (!b->input) {
        cli_error("send", "--input FILE is required\n%s", usage);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(b->input, "-") == 0) {
        cli_error("send", "--input must be a file for a bulk send: the journal is bound to its "
                          "content, so it is read twice");
        return CLI_EXIT_USAGE;
    }
    if (!b->journal_file && !b->s.dry_run) {
        cli_error("send",
                  "--journal FILE is required with --input (it is what makes a "
                  "resumed run skip what was sent)\n%s",
                  usage);
        return CLI_EXIT_USAGE;
    }
    if (b->s.client.retry_server_errors) {
        cli_error("send", "--retry-server-errors is refused with --input: a bulk send never "
                          "repeats a request that may have gone out (see --resend-unknown)");
        return CLI_EXIT_USAGE;
    }
    if (b->s.cluster && b->s.base_url) {
        cli_error("send", "give --cluster or --base-url, not both");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- the hashes that bind the journal ---- */

/* SHA-256 of what decides what is sent besides the list: the config
 * file, the template and the column mapping (each length-prefixed). */
static int config_hash(struct bulk *b, uint8_t out[32])
{
    const char *files[2] = {b->config_file, b->template_file};
    char *acc = NULL;
    size_t len = 0;
    int rc = CLI_EXIT_USAGE;
    for (int i = 0; i < 3; i++) {
        char *text = NULL;
        size_t n = 0;
        pf_diag d;
        if (i < 2 && files[i] && pf_read_file(files[i], 16u << 20, &text, &n, &d) != PF_OK) {
            cli_error_diag("send", &d);
            goto out;
        }
        const char *src = i < 2 ? text : b->colmap;
        if (i == 2)
            n = b->colmap_len;
        char head[32];
        int hl = snprintf(head, sizeof head, "%d:%zu:", i, src ? n : (size_t)-1);
        char *na = realloc(acc, len + (size_t)hl + n);
        if (!na) {
            free(text);
            cli_error("send", "out of memory");
            goto out;
        }
        acc = na;
        memcpy(acc + len, head, (size_t)hl);
        if (n)
            memcpy(acc + len + hl, src, n);
        len += (size_t)hl + n;
        free(text);
    }
    pf_sha256(acc, len, out);
    rc = 0;
out:
    free(acc);
    return rc;
}

/* Rows in the input (lines after the header, a close guess for quoted
 * line breaks), for the progress bar. */
static size_t count_rows(const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n, lines = 0;
    bool last_nl = true;
    if (!f)
        return 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
        last_nl = buf[n - 1] == '\n';
    }
    fclose(f);
    lines += !last_nl;
    return lines ? lines - 1 : 0;
}

static int setup(struct bulk *b)
{
    pf_diag d;
    uint8_t in_sha[32], cfg_sha[32];
    int rc;
    if (b->at) {
        if (pf_time_parse(b->at, &b->base.send_time) != PF_OK) {
            cli_error("send", "--at: '%s' is not an ISO 8601 time with an offset", b->at);
            return CLI_EXIT_USAGE;
        }
    } else {
        b->base.send_time = (int64_t)time(NULL);
    }
    if (b->base.region && !cli_region_ok("send", b->base.region))
        return CLI_EXIT_USAGE;
    if (pf_send_options_create(&b->so) != PF_OK) {
        cli_error("send", "out of memory");
        return CLI_EXIT_USAGE;
    }
    char source[600];
    if ((rc = cli_send_load_credentials(&b->s, b->so, source, sizeof source)) != 0 ||
        (rc = cli_send_apply_ca(&b->s, b->so)) != 0)
        return rc;
    pf_client_options co = b->s.client;
    if ((b->s.base_url && pf_send_options_set_base_url(b->so, b->s.base_url) != PF_OK) ||
        (b->s.cluster && pf_send_options_set_cluster(b->so, b->s.cluster) != PF_OK) ||
        pf_send_options_set_client(b->so, &co) != PF_OK) {
        cli_error("send", "out of memory");
        return CLI_EXIT_USAGE;
    }
    if (pf_sha256_file(b->input, in_sha, &d) != PF_OK) {
        cli_error("send", "%s: %s", b->input, d.message);
        return CLI_EXIT_USAGE;
    }
    if ((rc = config_hash(b, cfg_sha)) != 0)
        return rc;
    if (!cli_open_session(&b->c, &b->session))
        return CLI_EXIT_USAGE;
    if (b->template_file && !cli_batch_template("send", b->template_file, b->bo))
        return CLI_EXIT_USAGE;
    if (b->journal_file) {
        pf_status st = pf_journal_open(b->journal_file, in_sha, cfg_sha,
                                       b->s.dry_run ? PF_JOURNAL_READ_ONLY : 0, &b->journal, &d);
        if (st != PF_OK) {
            if (st == PF_E_SYNTAX)
                cli_error("send",
                          "%s: corrupt journal at byte %zu: %s; not resuming (move it "
                          "aside to inspect it)",
                          b->journal_file, d.offset, d.message);
            else
                cli_error("send", "%s: %s", b->journal_file, d.message);
            return CLI_EXIT_USAGE;
        }
        if (pf_journal_torn_bytes(b->journal) && !b->c.quiet)
            cli_error("send",
                      "%s: ignored a torn last record (%zu bytes, a run killed while "
                      "writing it)",
                      b->journal_file, pf_journal_torn_bytes(b->journal));
        if (b->s.verbose)
            cli_error("send", "%s: %zu rows recorded by earlier runs", b->journal_file,
                      pf_journal_row_count(b->journal));
    }
    if (pf_bulk_options_set_rate(b->opt, b->rate) != PF_OK ||
        pf_bulk_options_set_senders(b->opt, b->senders) != PF_OK ||
        pf_bulk_options_set_resend_unknown(b->opt, b->resend_unknown) != PF_OK ||
        pf_bulk_options_set_dry_run(b->opt, b->s.dry_run) != PF_OK ||
        pf_bulk_options_set_fail_on(
            b->opt, b->c.fail_on == CLI_FAIL_WARN ? PF_SEV_WARN : PF_SEV_BLOCK) != PF_OK ||
        pf_bulk_options_set_on_row(b->opt, on_row, b) != PF_OK ||
        pf_batch_options_set_base(b->bo, &b->base) != PF_OK) {
        cli_error("send", "out of memory");
        return CLI_EXIT_USAGE;
    }
    if (pf_bulk_create(b->session, b->bo, b->so, b->journal, b->opt, &b->run, &d) != PF_OK) {
        if (d.file[0])
            cli_error_diag("send", &d);
        else
            cli_error("send", "%s", d.message[0] ? d.message : pf_strerror(d.status));
        return CLI_EXIT_USAGE;
    }
    if (b->s.verbose)
        cli_error("send", "%s", source);
    return 0;
}

/* A failure while feeding: the input's, the journal's or an interrupt. */
static int feed_error(const struct bulk *b, pf_status st, const pf_diag *d)
{
    if (st == PF_E_IO && d->file[0] && b->journal_file && strcmp(d->file, b->journal_file) == 0) {
        cli_error("send",
                  "%s: %s; stopped before the next request (rows not yet tried are "
                  "left for a resumed run)",
                  b->journal_file, d->message);
        return CLI_EXIT_USAGE;
    }
    if (st == PF_E_LIMIT) {
        if (b->write_failed)
            return CLI_EXIT_USAGE;
        cli_error("send", "interrupted: requests in flight finished and were recorded; run the "
                          "same command to resume");
        return CLI_EXIT_SEND;
    }
    if (strcmp(d->path, "user_number") == 0)
        cli_error("send", "%s: %s (map another with --column user_number=HEADER)", b->input,
                  d->message);
    else if (strcmp(d->path, "message") == 0)
        cli_error("send", "%s: the header has no 'message' column and no --template was given",
                  b->input);
    else
        cli_error("send", "%s: %s", b->input, d->message);
    return CLI_EXIT_USAGE;
}

static void summary_text(const struct bulk *b, const pf_bulk_summary *s)
{
    fprintf(stderr, "send: %zu rows: %zu sent, %zu blocked, %zu failed, %zu unknown, %zu skipped",
            s->rows, s->sent, s->blocked, s->failed, s->unknown, s->skipped);
    if (s->skipped)
        fprintf(stderr, " (earlier: %zu sent, %zu failed, %zu unknown)", s->skipped_sent,
                s->skipped_failed, s->skipped_unknown);
    if (s->dry_run)
        fprintf(stderr, ", %zu would be sent (dry run)", s->dry_run);
    fputc('\n', stderr);
    if (s->requests)
        fprintf(stderr,
                "  %zu requests in %.1f s (%.1f/s; limit %.1f/s, now %.1f/s), %zu "
                "answered 429\n",
                s->requests, s->elapsed_s, s->rate_achieved, b->rate, s->rate_final,
                s->rate_limited);
}

static bool write_summary(const struct bulk *b, const pf_bulk_summary *s)
{
    FILE *f = fopen(b->summary_file, "w");
    bool ok =
        f && fprintf(f,
                     "{\n  \"rows\": %zu,\n  \"sent\": %zu,\n  \"blocked\": %zu,\n"
                     "  \"failed\": %zu,\n  \"unknown\": %zu,\n  \"skipped\": %zu,\n"
                     "  \"skipped_by_earlier_outcome\": {\"sent\": %zu, \"failed\": %zu, "
                     "\"unknown\": %zu},\n  \"dry_run\": %zu,\n  \"requests\": %zu,\n"
                     "  \"rate_limited\": %zu,\n  \"elapsed_s\": %.3f,\n"
                     "  \"rate_limit\": %.3f,\n  \"rate_achieved\": %.3f\n}\n",
                     s->rows, s->sent, s->blocked, s->failed, s->unknown, s->skipped,
                     s->skipped_sent, s->skipped_failed, s->skipped_unknown, s->dry_run,
                     s->requests, s->rate_limited, s->elapsed_s, b->rate, s->rate_achieved) > 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    if (!ok)
        cli_error("send", "%s: cannot write the summary", b->summary_file);
    return ok;
}

static int run(struct bulk *b)
{
    static char buf[65536];
    pf_diag d;
    size_t n;
    pf_status st = PF_OK;
    FILE *in = fopen(b->input, "rb");
    if (!in) {
        cli_error("send", "%s: cannot open: %s", b->input, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    b->total = count_rows(b->input);
    b->progress = !b->c.quiet && isatty(STDERR_FILENO);
    b->started = now();
    static const char csv_head[] =
        "row,user_number,verdict,outcome,status,http_status,attempts,previous\n";
    if (b->csv_out && !write_all(b->out_fd, csv_head, sizeof csv_head - 1)) {
        fclose(in);
        cli_error("send", "cannot write the output: %s", strerror(errno));
        return CLI_EXIT_USAGE;
    }
    while (st == PF_OK && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        st = pf_bulk_feed_csv(b->run, buf, n, &d);
        if (st == PF_OK && interrupted) {
            pf_bulk_cancel(b->run);
            st = PF_E_LIMIT;
        }
    }
    bool read_err = ferror(in);
    fclose(in);
    if (st == PF_OK && read_err) {
        cli_error("send", "%s: read error", b->input);
        return CLI_EXIT_USAGE;
    }
    if (st == PF_OK) {
        st = pf_bulk_finish(b->run, &d);
    } else if (st == PF_E_LIMIT || st == PF_E_IO) {
        pf_diag d2; /* the rows in flight still come out; the first error stands */
        pf_bulk_finish(b->run, &d2);
    }
    progress(b, true);
    pf_bulk_summary s = {.size = sizeof s};
    pf_bulk_get_summary(b->run, &s);
    if (st != PF_OK) {
        int rc = feed_error(b, st, &d);
        if (!b->c.quiet)
            summary_text(b, &s);
        return rc;
    }
    if (!b->c.quiet)
        summary_text(b, &s);
    if (b->summary_file && !write_summary(b, &s))
        return CLI_EXIT_USAGE;
    if (b->write_failed)
        return CLI_EXIT_USAGE;
    if (s.failed || s.unknown || s.skipped_failed || s.skipped_unknown)
        return CLI_EXIT_SEND;
    return s.blocked ? CLI_EXIT_FINDING : CLI_EXIT_OK;
}

int cli_bulk_send(int argc, char **argv)
{
    struct bulk *b = calloc(1, sizeof *b);
    int rc = CLI_EXIT_USAGE;
    if (!b || pf_batch_options_create(&b->bo) != PF_OK ||
        pf_bulk_options_create(&b->opt) != PF_OK) {
        cli_error("send", "out of memory");
        if (b) {
            pf_batch_options_destroy(b->bo);
            free(b);
        }
        return CLI_EXIT_USAGE;
    }
    cli_common_init(&b->c, "send");
    b->base = pf_check_input_default();
    b->s.client = pf_client_options_default();
    b->rate = 10;
    b->senders = 4;
    b->out_fd = -1;
    if (cli_send_credential_on_argv(argc, argv))
        goto out;
    int prc = parse_args(b, argc, argv);
    if (prc) {
        rc = prc < 0 ? CLI_EXIT_OK : prc;
        goto out;
    }
    if ((rc = setup(b)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    b->out_fd = STDOUT_FILENO;
    if (b->c.output && strcmp(b->c.output, "-") != 0 &&
        (b->out_fd = open(b->c.output, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
        cli_error("send", "%s: cannot write: %s", b->c.output, strerror(errno));
        goto out;
    }
    /* The first signal stops the run after the requests in flight (their
     * outcomes are recorded); a second one kills it at once, which the
     * journal makes safe too. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct watch w = {.run = b->run, .done = false};
    pthread_t wt;
    pthread_mutex_init(&w.mu, NULL);
    bool watching = pthread_create(&wt, NULL, watch_main, &w) == 0;
    rc = run(b);
    if (watching) {
        pthread_mutex_lock(&w.mu);
        w.done = true;
        pthread_mutex_unlock(&w.mu);
        pthread_join(wt, NULL);
    }
    pthread_mutex_destroy(&w.mu);
out:
    pf_bulk_destroy(b->run);
    pf_journal_close(b->journal);
    if (b->out_fd > 2)
        close(b->out_fd);
    pf_send_options_destroy(b->so);
    pf_bulk_options_destroy(b->opt);
    pf_batch_options_destroy(b->bo);
    pf_session_unref(b->session);
    cli_common_free(&b->c);
    free(b);
    return rc;
}
