/*
 * cli_batch.c — `preflight batch`: a verdict for every row of a recipient
 * list. The library's pf_batch reads the CSV, checks rows on all cores and
 * hands them back in input order; this file is flags, I/O and rendering.
 *
 * Output goes out in whole lines with write(2), a burst at a time, so a
 * run killed part-way leaves complete lines, but for the last one, which a
 * SIGKILL in the middle of a write can cut short (without its newline).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

#define MAX_JOBS 64

struct batch {
    struct cli_common c;
    const char *input, *template_file, *summary_file, *at;
    pf_batch_options *bo;
    pf_check_input base; /* settings shared by every row */
    pf_session *session;
    pf_batch *run;
    bool csv_out;
    int out_fd;
    char *obuf;
    size_t olen, ocap;
    bool write_failed;
    /* progress */
    bool progress;
    size_t done;
    off_t total_bytes, read_bytes;
    double started, last_progress;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append to the output buffer; false on allocation failure. */
static bool append(struct batch *b, const char *s, size_t n)
{
    if (b->olen + n + 1 > b->ocap) {
        size_t ncap = b->ocap ? b->ocap * 2 : 65536;
        while (ncap < b->olen + n + 1)
            ncap *= 2;
        char *nb = realloc(b->obuf, ncap);
        if (!nb)
            return false;
        b->obuf = nb;
        b->ocap = ncap;
    }
    memcpy(b->obuf + b->olen, s, n);
    b->olen += n;
    return true;
}

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

static void progress(struct batch *b, bool final)
{
    if (!b->progress)
        return;
    double t = now();
    if (!final && t - b->last_progress < 0.2)
        return;
    b->last_progress = t;
    double rate = t > b->started ? (double)b->done / (t - b->started) : 0;
    fprintf(stderr, "\r%10zu rows  %8.0f rows/s", b->done, rate);
    if (b->total_bytes > 0) {
        double frac = (double)b->read_bytes / (double)b->total_bytes;
        double eta = frac > 0 ? (t - b->started) * (1 - frac) / frac : 0;
        fprintf(stderr, "  %3.0f%%  ETA %d:%02d", frac * 100, (int)eta / 60, (int)eta % 60);
    }
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* One row back from the library, in input order. */
static int on_row(void *ctx, const pf_batch_row *r)
{
    struct batch *b = ctx;
    bool ok;
    if (b->csv_out) {
        ok = r->csv && append(b, r->csv, r->csv_len);
    } else {
        ok = append(b, r->json, r->json_len);
    }
    b->done++;
    if (ok && r->burst_end) {
        if (!(ok = flush_out(b)))
            b->write_failed = true;
        progress(b, false);
    }
    if (!ok && !b->write_failed)
        cli_error("batch", "out of memory");
    return ok ? 0 : 1;
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
            pf_batch_options_set_jobs(b->bo, (unsigned)n);
            continue;
        }
        case OPT_COLUMN: {
            const char *eq = strchr(val, '=');
            char name[32] = "";
            if (eq && (size_t)(eq - val) < sizeof name)
                memcpy(name, val, (size_t)(eq - val));
            pf_status st = eq && eq[1] ? pf_batch_options_map_column(b->bo, name, eq + 1)
                                       : PF_E_NOT_FOUND;
            if (st != PF_OK) {
                cli_error("batch",
                          st == PF_E_NOMEM ? "out of memory"
                                           : "--column takes NAME=HEADER with NAME one of "
                                             "user_number, message, agent_number, "
                                             "first_message, send_at; not '%s'",
                          val);
                return CLI_EXIT_USAGE;
            }
            continue;
        }
        case OPT_BENV:
            if (!cli_parse_env("batch", val, &b->base.environment))
                return CLI_EXIT_USAGE;
            continue;
        case OPT_BPURPOSE:
            if (!cli_parse_purpose("batch", val, &b->base.purpose))
                return CLI_EXIT_USAGE;
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
    if (b->base.region && !cli_region_ok("batch", b->base.region))
        return CLI_EXIT_USAGE;
    if (!cli_open_session(&b->c, &b->session))
        return CLI_EXIT_USAGE;
    if (b->template_file && !cli_batch_template("batch", b->template_file, b->bo))
        return CLI_EXIT_USAGE;
    if (pf_batch_options_set_base(b->bo, &b->base) != PF_OK ||
        pf_batch_options_set_json(b->bo, !b->csv_out) != PF_OK ||
        pf_batch_options_set_csv(b->bo, b->csv_out) != PF_OK ||
        pf_batch_options_set_on_row(b->bo, on_row, b) != PF_OK ||
        pf_batch_create(b->session, b->bo, &b->run, &d) != PF_OK) {
        cli_error("batch", "out of memory");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* A failure while reading: the header's, the CSV's or a worker's. */
static void input_error(const struct batch *b, const pf_diag *d)
{
    if (b->write_failed)
        cli_error("batch", "cannot write the output: %s", strerror(errno));
    else if (strcmp(d->path, "user_number") == 0)
        cli_error("batch", "%s: %s (map another with --column user_number=HEADER)", b->input,
                  d->message);
    else if (strcmp(d->path, "message") == 0)
        cli_error("batch", "%s: the header has no 'message' column and no --template was given",
                  b->input);
    else if (strcmp(d->path, "template") == 0)
        cli_error("batch", "%s: %s in %s", b->template_file, d->message, b->input);
    else if (d->status != PF_E_LIMIT) /* a cancel is ours: already reported */
        cli_error("batch", "%s: %s", b->input, d->message);
}

static void summary_text(const struct batch *b, const pf_batch_summary *s)
{
    fprintf(stderr, "batch: %zu rows: %zu pass, %zu warn, %zu block, %zu error", s->rows, s->pass,
            s->warn, s->block, s->errors);
    if (s->duplicates)
        fprintf(stderr, " (%zu duplicate recipients)", s->duplicates);
    fputc('\n', stderr);
    for (size_t i = 0; i < pf_batch_finding_count(b->run) && i < 5; i++) {
        size_t n;
        const char *id = pf_batch_finding_at(b->run, i, &n);
        fprintf(stderr, "  %-36s %zu\n", id, n);
    }
    fprintf(stderr, "  by country:");
    for (size_t i = 0; i < pf_batch_country_count(b->run) && i < 10; i++) {
        size_t n[4];
        const char *code = pf_batch_country_at(b->run, i, n);
        fprintf(stderr, " %s %zu", code, n[0] + n[1] + n[2] + n[3]);
    }
    fputc('\n', stderr);
}

static bool write_summary(const struct batch *b)
{
    char *json = NULL;
    size_t len = 0;
    FILE *f = fopen(b->summary_file, "w");
    bool ok = f &&
              pf_batch_summary_to_json(b->run, PF_JSON_PRETTY | PF_JSON_NEWLINE, &json, &len) ==
                  PF_OK &&
              fwrite(json, 1, len, f) == len;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(json);
    if (!ok)
        cli_error("batch", "%s: cannot write the summary", b->summary_file);
    return ok;
}

/* Feed the input to the batch; false after reporting. */
static bool feed(struct batch *b, FILE *in)
{
    static char buf[65536];
    size_t n;
    pf_diag d;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        b->read_bytes += (off_t)n;
        if (pf_batch_feed_csv(b->run, buf, n, &d) != PF_OK) {
            input_error(b, &d);
            return false;
        }
    }
    if (ferror(in)) {
        cli_error("batch", "%s: read error", b->input);
        return false;
    }
    if (pf_batch_finish(b->run, &d) != PF_OK) {
        input_error(b, &d);
        return false;
    }
    if (!flush_out(b)) {
        cli_error("batch", "cannot write the output: %s", strerror(errno));
        return false;
    }
    return true;
}

int cli_batch(int argc, char **argv)
{
    struct batch *b = calloc(1, sizeof *b);
    int rc = CLI_EXIT_USAGE;
    FILE *in = NULL;

    if (!b || pf_batch_options_create(&b->bo) != PF_OK) {
        cli_error("batch", "out of memory");
        free(b);
        return CLI_EXIT_USAGE;
    }
    cli_common_init(&b->c, "batch");
    b->base = pf_check_input_default();
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
    b->out_fd = STDOUT_FILENO;
    if (b->c.output && strcmp(b->c.output, "-") != 0 &&
        (b->out_fd = open(b->c.output, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
        cli_error("batch", "%s: cannot write: %s", b->c.output, strerror(errno));
        goto out;
    }
    b->started = now();
    if (b->csv_out && !append(b, PF_BATCH_CSV_HEADER, strlen(PF_BATCH_CSV_HEADER))) {
        cli_error("batch", "out of memory");
        goto out;
    }
    if (!feed(b, in))
        goto out;
    progress(b, true);
    pf_batch_summary s = {.size = sizeof s};
    pf_batch_get_summary(b->run, &s);
    if (!b->c.quiet)
        summary_text(b, &s);
    if (b->summary_file && !write_summary(b))
        goto out;
    /* Error rows count as blocked: the list is not ready to send. */
    rc = s.block || s.errors ? CLI_EXIT_FINDING : cli_exit_for(&b->c, s.warn ? PF_SEV_WARN : -1);
out:
    pf_batch_destroy(b->run);
    if (in && in != stdin)
        fclose(in);
    if (b->out_fd > 2)
        close(b->out_fd);
    free(b->obuf);
    pf_batch_options_destroy(b->bo);
    pf_session_unref(b->session);
    cli_common_free(&b->c);
    free(b);
    return rc;
}
