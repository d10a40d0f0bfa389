/*
 * cli_send.c — `preflight send`: the full check of `preflight check`, then
 * the message goes to the Send SMS API only when the verdict allows it.
 *
 * Credentials come from the environment or --credentials FILE, never from
 * argv, and never reach any output: previews and traces show "***", and
 * the library scrubs them from what the API answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "report.h"

enum {
    OPT_CLUSTER = CLI_OPT_OWN,
    OPT_BASE_URL,
    OPT_CREDENTIALS,
    OPT_DRY_RUN,
    OPT_CONNECT_TIMEOUT,
    OPT_TIMEOUT,
    OPT_MAX_ATTEMPTS,
    OPT_MAX_WAIT,
    OPT_RETRY_5XX,
    OPT_VERBOSE,
    OPT_CACERT,
    OPT_CAPATH
};

static const struct cli_opt opts[] = {
    CLI_CHECK_OPTS,
    {"cluster", CLI_ARG, OPT_CLUSTER, "C", "us-1, uk-1 or euw-1 (default: the config's)"},
    {"base-url", CLI_ARG, OPT_BASE_URL, "URL", "API base URL instead of a cluster"},
    {"credentials", CLI_ARG, OPT_CREDENTIALS, "FILE",
     "JSON {auth_token, token_id} or KEY=VALUE file (default: environment)"},
    {"dry-run", CLI_NO_ARG, OPT_DRY_RUN, NULL, "print the request instead of sending it"},
    {"connect-timeout", CLI_ARG, OPT_CONNECT_TIMEOUT, "S", "connect timeout, seconds (default 10)"},
    {"timeout", CLI_ARG, OPT_TIMEOUT, "S", "timeout of each attempt, seconds (default 30)"},
    {"max-attempts", CLI_ARG, OPT_MAX_ATTEMPTS, "N",
     "attempts on 429 or no connection (default 5)"},
    {"max-wait", CLI_ARG, OPT_MAX_WAIT, "S", "total wait between attempts, seconds (default 60)"},
    {"retry-server-errors", CLI_NO_ARG, OPT_RETRY_5XX, NULL,
     "retry 5xx too (the person may get the text twice)"},
    {"verbose", CLI_NO_ARG, OPT_VERBOSE, NULL, "trace each attempt on stderr"},
    {"cacert", CLI_ARG, OPT_CACERT, "FILE",
     "trust the CA certificates in FILE (PEM) instead of the default bundle "
     "(default: $PREFLIGHT_CA_BUNDLE)"},
    {"capath", CLI_ARG, OPT_CAPATH, "DIR",
     "trust the CA certificates in DIR (hashed by openssl rehash) instead of the default "
     "directory (default: $PREFLIGHT_CA_PATH)"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight send --to NUMBER (--message TEXT | --message-file FILE)\n"
    "                      [--agent-number NUMBER] [--config FILE] [--env dev|sandbox|live]\n"
    "                      [--at TIME] [--first-message | --not-first]\n"
    "                      [--purpose transactional|promotional] [--region CC]\n"
    "                      [--cluster us-1|uk-1|euw-1 | --base-url URL] [--credentials FILE]\n"
    "                      [--dry-run] [--timeout S] [--max-attempts N] [--format text|json]\n"
    "                      [--cacert FILE] [--capath DIR]\n"
    "\n"
    "Credentials: POLYAI_AUTH_TOKEN and POLYAI_TOKEN_ID in the environment, or\n"
    "--credentials FILE; never on the command line.\n"
    "TLS is always verified. Behind a proxy that inspects TLS, trust its CA with\n"
    "--cacert FILE / --capath DIR, or PREFLIGHT_CA_BUNDLE / PREFLIGHT_CA_PATH (each\n"
    "option wins over its variable).\n"
    "Exit: 0 sent (or a dry run that would send), 1 blocked by the verdict,\n"
    "2 usage or input error, 3 the send failed (rejected, rate limited, outcome\n"
    "unknown, or the API unreachable).";

struct send_opts {
    const char *cluster, *base_url, *cred_file;
    const char *cacert, *capath; /* --cacert, --capath; NULL: the environment's */
    bool dry_run, verbose;
    pf_client_options client;
};

/* Options that would put a credential on the command line, refused by
 * name before parsing so the value is never echoed as "unexpected". */
static bool credential_on_argv(int argc, char **argv)
{
    static const char *const names[] = {"--auth-token", "--token-id", "--api-key", "--token"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
            size_t l = strlen(names[n]);
            if (strncmp(argv[i], names[n], l) == 0 && (argv[i][l] == '\0' || argv[i][l] == '=')) {
                cli_error("send",
                          "%s: credentials are never taken on the command line (they "
                          "would show in the process list and shell history); set "
                          "POLYAI_AUTH_TOKEN and POLYAI_TOKEN_ID or use --credentials FILE",
                          names[n]);
                return true;
            }
        }
    }
    return false;
}

/* Seconds (fractions allowed) in (0, max] into milliseconds. */
static bool parse_seconds(const char *opt, const char *val, double max, bool zero_ok, int64_t *ms)
{
    char *end;
    errno = 0;
    double d = strtod(val, &end);
    if (errno || end == val || *end || !(d >= 0) || d > max || (!zero_ok && d * 1000 < 1)) {
        cli_error("send", "--%s takes %s seconds up to %g, not '%s'", opt,
                  zero_ok ? "0 or more" : "a positive number of", max, val);
        return false;
    }
    *ms = (int64_t)(d * 1000 + 0.5);
    return true;
}

/* 1 handled, 0 not a send option, -1 bad value (reported). */
static int send_option(struct send_opts *s, int id, const char *val)
{
    switch (id) {
    case OPT_CLUSTER:
        if (!pf_cluster_base_url(val)) {
            cli_error("send", "--cluster takes us-1, uk-1 or euw-1, not '%s'", val);
            return -1;
        }
        s->cluster = val;
        return 1;
    case OPT_BASE_URL: s->base_url = val; return 1;
    case OPT_CREDENTIALS: s->cred_file = val; return 1;
    case OPT_DRY_RUN: s->dry_run = true; return 1;
    case OPT_VERBOSE: s->verbose = true; return 1;
    case OPT_CACERT: s->cacert = val; return 1;
    case OPT_CAPATH: s->capath = val; return 1;
    case OPT_RETRY_5XX: s->client.retry_server_errors = true; return 1;
    case OPT_CONNECT_TIMEOUT:
        return parse_seconds("connect-timeout", val, 600, false, &s->client.connect_timeout_ms)
                   ? 1
                   : -1;
    case OPT_TIMEOUT:
        return parse_seconds("timeout", val, 3600, false, &s->client.timeout_ms) ? 1 : -1;
    case OPT_MAX_WAIT:
        return parse_seconds("max-wait", val, 3600, true, &s->client.max_total_wait_ms) ? 1 : -1;
    case OPT_MAX_ATTEMPTS: {
        char *end;
        errno = 0;
        long n = strtol(val, &end, 10);
        if (errno || end == val || *end || n < 1 || n > 100) {
            cli_error("send", "--max-attempts takes 1 to 100, not '%s'", val);
            return -1;
        }
        s->client.max_attempts = (unsigned)n;
        return 1;
    }
    default: return 0;
    }
}

/* ---- credentials ---- */

/*
 * The credentials into the send options: from --credentials FILE when
 * given (the library reads it; it must hold both), else from the
 * environment. Returns 0 or the exit code after reporting. Missing
 * credentials are an error unless this is a dry run.
 */
static int load_credentials(const struct send_opts *s, pf_send_options *o, char *source,
                            size_t cap)
{
    pf_diag d;
    if (s->cred_file) {
        struct stat st;
        if (strcmp(s->cred_file, "-") != 0 && stat(s->cred_file, &st) == 0 &&
            (st.st_mode & (S_IRGRP | S_IROTH)))
            fprintf(stderr,
                    "preflight send: warning: %s is readable by group or others; "
                    "chmod 600 %s\n",
                    s->cred_file, s->cred_file);
        if (pf_send_options_load_credentials(o, s->cred_file, &d) != PF_OK) {
            if (d.line)
                cli_error("send", "%s:%u: %s", d.file, d.line, d.message);
            else
                cli_error("send", "%s%s%s", d.file, d.file[0] ? ": " : "", d.message);
            return CLI_EXIT_USAGE;
        }
        snprintf(source, cap, "credentials from %s", s->cred_file);
        return 0;
    }
    const char *t = getenv("POLYAI_AUTH_TOKEN"), *id = getenv("POLYAI_TOKEN_ID");
    bool have_t = t && *t, have_id = id && *id;
    if ((!have_t || !have_id) && !s->dry_run) {
        cli_error("send",
                  "no credentials: %s%s%s not set; set both in the environment or "
                  "pass --credentials FILE",
                  !have_t ? "POLYAI_AUTH_TOKEN" : "", !have_t && !have_id ? " and " : "",
                  !have_id ? "POLYAI_TOKEN_ID" : "");
        return CLI_EXIT_USAGE;
    }
    if (pf_send_options_set_credentials(o, have_t ? t : NULL, have_id ? id : NULL) != PF_OK) {
        cli_error("send", "out of memory");
        return CLI_EXIT_USAGE;
    }
    snprintf(source, cap, "credentials from the environment%s",
             have_t && have_id ? "" : " (incomplete: dry run only)");
    return 0;
}

/* ---- trusted CAs ---- */

/* opt if given, else the variable env when set and not empty. */
static const char *ca_choice(const char *opt, const char *env, const char **origin,
                             const char *opt_name)
{
    const char *v = getenv(env);
    if (opt) {
        *origin = opt_name;
        return opt;
    }
    *origin = env;
    return v && *v ? v : NULL;
}

/* Put the chosen CA file and directory in the send options (the library
 * hands them to its client); 0 or an exit code after reporting, naming the
 * option or variable the path came from. */
static int apply_ca(const struct send_opts *s, pf_send_options *o)
{
    const char *fo, *dorig;
    const char *file = ca_choice(s->cacert, "PREFLIGHT_CA_BUNDLE", &fo, "--cacert");
    const char *dir = ca_choice(s->capath, "PREFLIGHT_CA_PATH", &dorig, "--capath");
    pf_diag d;

    if (!file && !dir)
        return 0;
    /* One at a time, so the error names the right origin. */
    const char *failed = NULL, *path = NULL;
    if (file && pf_send_options_set_ca(o, file, NULL, &d) != PF_OK)
        failed = fo, path = file;
    else if (dir && pf_send_options_set_ca(o, NULL, dir, &d) != PF_OK)
        failed = dorig, path = dir;
    if (failed) {
        cli_error("send", "%s %s: %s", failed, path,
                  d.message[0] ? d.message : pf_strerror(d.status));
        return CLI_EXIT_USAGE;
    }
    if (s->verbose) {
        if (file)
            cli_error("send", "trusting the CA certificates in %s (%s)", file, fo);
        if (dir)
            cli_error("send", "trusting the CA certificates in %s/ (%s)", dir, dorig);
    }
    return 0;
}

/* ---- output ---- */

static void on_trace(void *ctx, const pf_send_event *ev)
{
    (void)ctx;
    fprintf(stderr, "preflight send: %s\n", ev->text);
}

static void text_preview(FILE *f, const pf_request_preview *p)
{
    fprintf(f, "\ndry run: nothing sent. The request would be:\n\n%s %s\n", p->method, p->url);
    for (size_t i = 0; i < p->header_count; i++)
        fprintf(f, "%s: %s\n", p->header_names[i], p->header_values[i]);
    fprintf(f, "\n%s\n", p->body);
}

static const char *plural(unsigned n)
{
    return n == 1 ? "" : "s";
}

/* "HTTP 429" or "no HTTP response", for messages. */
static const char *http_text(const pf_send_result *r, char *buf, size_t cap)
{
    if (r->http_status)
        snprintf(buf, cap, "HTTP %ld", r->http_status);
    else
        snprintf(buf, cap, "no HTTP response");
    return buf;
}

/* The failure on stderr: one line saying what happened and what it means
 * for the person, the API's detail, and the hint. */
static void report_failure(const pf_send_result *r)
{
    char h[32];
    const char *what = "";
    switch (r->status) {
    case PF_SEND_REJECTED: what = "the API rejected the message; it was not sent"; break;
    case PF_SEND_RATE_LIMITED:
        what = "rate limited on every attempt; the message was not sent";
        break;
    case PF_SEND_UNKNOWN:
        what = "outcome unknown: the message may or may not have been sent";
        break;
    case PF_SEND_TRANSPORT_ERROR: what = "the API could not be reached; nothing was sent"; break;
    case PF_SEND_ACCEPTED: return;
    }
    cli_error("send", "%s (%s, %u attempt%s)%s%s", what, http_text(r, h, sizeof h), r->attempts,
              plural(r->attempts), r->detail ? ": " : "", r->detail ? r->detail : "");
    if (r->hint)
        cli_error("send", "hint: %s", r->hint);
    /* libcurl's words for a chain it could not verify (not for a name
     * mismatch, which another CA would not cure). */
    if (r->status == PF_SEND_TRANSPORT_ERROR && r->detail &&
        strstr(r->detail, "certificate problem"))
        cli_error("send", "hint: behind a proxy that inspects TLS, or for an API with a private "
                          "CA, trust that CA with --cacert FILE or --capath DIR "
                          "(PREFLIGHT_CA_BUNDLE, PREFLIGHT_CA_PATH); verification stays on");
}

/* ---- the command ---- */

struct printer {
    struct cli_check *k;
    FILE *out;
};

/* The verdict is on screen before the network can make us wait. */
static void on_verdict(void *ctx, const pf_verdict *v)
{
    struct printer *pr = ctx;
    if (!pr->k->c.quiet)
        pf_report_text_verdict(pr->out, v, pr->k->msg, pr->k->len, pr->k->c.color);
    fflush(pr->out);
}

/* What happened after the verdict, for a person. */
static void text_outcome(FILE *out, const pf_send_outcome *o)
{
    const pf_send_result *r = &o->result;
    char h[32];
    if (o->gate <= PF_GATE_STOPPED)
        fprintf(out, "\nnot sent: %s\n", o->reason);
    else if (o->gate == PF_GATE_DRY_RUN)
        text_preview(out, &o->preview);
    else if (r->status == PF_SEND_ACCEPTED)
        fprintf(out, "\nsent: accepted (%s, %u attempt%s)\n", http_text(r, h, sizeof h),
                r->attempts, plural(r->attempts));
    else
        fprintf(out, "\n%s: %s (%s, %u attempt%s)\n",
                r->status == PF_SEND_UNKNOWN ? "outcome unknown" : "not sent",
                pf_send_status_name(r->status), http_text(r, h, sizeof h), r->attempts,
                plural(r->attempts));
}

/* The rest of the library's send options, from the flags. */
static bool send_options(const struct send_opts *s, const struct cli_check *k, struct printer *pr,
                         pf_send_options *o)
{
    pf_client_options co = s->client;
    if (s->verbose)
        co.trace = on_trace;
    bool ok = (!s->base_url || pf_send_options_set_base_url(o, s->base_url) == PF_OK) &&
              (!s->cluster || pf_send_options_set_cluster(o, s->cluster) == PF_OK) &&
              pf_send_options_set_fail_on(o, k->c.fail_on == CLI_FAIL_WARN ? PF_SEV_WARN
                                                                            : PF_SEV_BLOCK) ==
                  PF_OK &&
              pf_send_options_set_dry_run(o, s->dry_run) == PF_OK &&
              pf_send_options_set_client(o, &co) == PF_OK &&
              (strcmp(k->c.format, "json") == 0 ||
               pf_send_options_set_on_verdict(o, on_verdict, pr) == PF_OK);
    if (!ok)
        cli_error("send", "out of memory");
    return ok;
}

int cli_send(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_check k;
    struct cli_parser p;
    struct send_opts s;
    char source[600]; /* for --verbose: where the credentials came from, never what they are */
    struct printer pr = {&k, NULL};
    pf_send_options *so = NULL;
    pf_sender *snd = NULL;
    pf_send_outcome oc;
    const char *val;
    int id, rc = CLI_EXIT_USAGE;
    pf_diag d;

    memset(&s, 0, sizeof s);
    pf_send_outcome_init(&oc);
    s.client = pf_client_options_default();
    cli_check_init(&k, "send");
    if (credential_on_argv(argc, argv))
        goto out;
    cli_parser_init(&p, "send", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        if (id == CLI_POSITIONAL) {
            cli_error("send", "unexpected argument '%s'\n%s", val, usage);
            goto out;
        }
        int hd = cli_check_option(&k, id, val);
        if (hd == 0)
            hd = send_option(&s, id, val);
        if (hd < 0)
            goto out;
        if (hd)
            continue;
        hd = cli_common_option(&k.c, id, val, opts, usage);
        if (hd == 2)
            rc = CLI_EXIT_OK;
        if (hd != 1)
            goto out;
    }
    if (!cli_check_format(&k.c, formats))
        goto out;
    if (s.cluster && s.base_url) {
        cli_error("send", "give --cluster or --base-url, not both");
        goto out;
    }
    /* Before any check or network activity: a send without credentials
     * would only fail later, after the person's time was spent. */
    if (pf_send_options_create(&so) != PF_OK) {
        cli_error("send", "out of memory");
        goto out;
    }
    if ((rc = load_credentials(&s, so, source, sizeof source)) != 0 ||
        (rc = cli_check_setup(&k)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    if (!send_options(&s, &k, &pr, so))
        goto out;
    if ((rc = apply_ca(&s, so)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    if (pf_sender_create(k.session, so, &snd, &d) != PF_OK) {
        if (strncmp(d.message, "no API", 6) == 0)
            cli_error("send", "no API to send to: pass --cluster us-1|uk-1|euw-1 or --base-url "
                              "URL, or set \"cluster\" in the config");
        else if (d.file[0])
            cli_error_diag("send", &d);
        else
            cli_error("send", "%s", d.message[0] ? d.message : pf_strerror(d.status));
        goto out;
    }
    if (s.verbose)
        cli_error("send", "%s; API %s", source, pf_sender_base_url(snd));
    if (!(pr.out = cli_open_output(&k.c)))
        goto out;
    if (pf_sender_send(snd, &k.in, &oc, &d) != PF_OK) {
        if (oc.checked)
            cli_error("send", "%s", d.message);
        else
            cli_check_input_error(&k, &d);
        cli_close_output(&k.c, pr.out);
        goto out;
    }
    bool sent = oc.gate == PF_GATE_SENT, ok = true;
    if (strcmp(k.c.format, "json") == 0) {
        char *json;
        size_t n;
        ok = pf_send_outcome_to_json(&oc, PF_JSON_PRETTY | PF_JSON_NEWLINE, &json, &n) == PF_OK;
        if (ok)
            fwrite(json, 1, n, pr.out);
        free(json);
    } else if (!k.c.quiet) {
        text_outcome(pr.out, &oc);
    }
    if (!ok)
        cli_error("send", "out of memory");
    if (sent)
        report_failure(&oc.result);
    bool closed = cli_close_output(&k.c, pr.out);
    /* A send that went out still went out, whether or not the report
     * could be written (that error is reported already). */
    if (sent)
        rc = oc.result.status == PF_SEND_ACCEPTED ? CLI_EXIT_OK : CLI_EXIT_SEND;
    else if (ok && closed)
        rc = oc.gate <= PF_GATE_STOPPED ? CLI_EXIT_FINDING : CLI_EXIT_OK;
out:
    pf_send_outcome_clear(&oc);
    pf_sender_destroy(snd);
    pf_send_options_destroy(so);
    cli_check_free(&k);
    return rc;
}
