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

#define CRED_FILE_MAX (64u * 1024u)

struct creds {
    char *auth_token;
    char *token_id;
    char source[600]; /* for --verbose: where they came from, never what they are */
};

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

static void creds_free(struct creds *c)
{
    free(c->auth_token);
    free(c->token_id);
    memset(c, 0, sizeof *c);
}

/* Store value (len bytes) into *slot; an empty value counts as absent. */
static bool creds_set(char **slot, const char *value, size_t len)
{
    free(*slot);
    *slot = NULL;
    if (len == 0)
        return true;
    if (!(*slot = malloc(len + 1)))
        return false;
    memcpy(*slot, value, len);
    (*slot)[len] = '\0';
    return true;
}

/* A JSON credentials file: {"auth_token": "...", "token_id": "..."}. Errors
 * name the file and the key, never a value. */
static bool creds_json(const char *file, const char *text, size_t len, struct creds *c)
{
    bool ok = false;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!doc || !cJSON_IsObject(doc)) {
        cli_error("send", "%s: not a JSON object {\"auth_token\": ..., \"token_id\": ...}", file);
        goto out;
    }
    for (const cJSON *it = doc->child; it; it = it->next) {
        char **slot = strcmp(it->string, "auth_token") == 0 ? &c->auth_token
                      : strcmp(it->string, "token_id") == 0 ? &c->token_id
                                                            : NULL;
        if (!slot) {
            cli_error("send", "%s: unknown key '%.64s' (expected auth_token, token_id)", file,
                      it->string);
            goto out;
        }
        if (!cJSON_IsString(it)) {
            cli_error("send", "%s: %s must be a string", file, it->string);
            goto out;
        }
        if (!creds_set(slot, it->valuestring, strlen(it->valuestring))) {
            cli_error("send", "out of memory");
            goto out;
        }
    }
    ok = true;
out:
    cJSON_Delete(doc);
    return ok;
}

/* A KEY=VALUE file (POLYAI_AUTH_TOKEN=..., POLYAI_TOKEN_ID=...; '#'
 * comments, optional "export " and quotes), as a .env file has them. */
static bool creds_kv(const char *file, const char *text, size_t len, struct creds *c)
{
    unsigned lineno = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        const char *s = text + i;
        size_t n = e - i;
        i = e + 1;
        lineno++;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
            n--;
        if (n == 0 || *s == '#')
            continue;
        if (n > 7 && strncmp(s, "export ", 7) == 0) {
            s += 7;
            n -= 7;
        }
        const char *eq = memchr(s, '=', n);
        if (!eq) {
            cli_error("send", "%s:%u: expected KEY=VALUE", file, lineno);
            return false;
        }
        size_t kl = (size_t)(eq - s);
        while (kl && (s[kl - 1] == ' ' || s[kl - 1] == '\t'))
            kl--;
        const char *v = eq + 1;
        size_t vl = n - (size_t)(v - s);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v++;
            vl -= 2;
        }
        char **slot = NULL;
        if ((kl == 17 && strncmp(s, "POLYAI_AUTH_TOKEN", kl) == 0) ||
            (kl == 10 && strncmp(s, "auth_token", kl) == 0))
            slot = &c->auth_token;
        else if ((kl == 15 && strncmp(s, "POLYAI_TOKEN_ID", kl) == 0) ||
                 (kl == 8 && strncmp(s, "token_id", kl) == 0))
            slot = &c->token_id;
        if (!slot) {
            cli_error("send",
                      "%s:%u: unknown key '%.*s' (expected POLYAI_AUTH_TOKEN, "
                      "POLYAI_TOKEN_ID)",
                      file, lineno, (int)(kl > 64 ? 64 : kl), s);
            return false;
        }
        if (!creds_set(slot, v, vl)) {
            cli_error("send", "out of memory");
            return false;
        }
    }
    return true;
}

/*
 * Load the credentials: from --credentials FILE when given (it must hold
 * both), else from the environment. Returns 0 or the exit code after
 * reporting. Missing credentials are an error unless this is a dry run.
 */
static int load_credentials(const struct send_opts *s, struct creds *c)
{
    int rc = CLI_EXIT_USAGE;
    char *text = NULL;
    size_t len = 0;
    pf_diag d;

    if (s->cred_file) {
        struct stat st;
        if (strcmp(s->cred_file, "-") != 0 && stat(s->cred_file, &st) == 0 &&
            (st.st_mode & (S_IRGRP | S_IROTH)))
            fprintf(stderr,
                    "preflight send: warning: %s is readable by group or others; "
                    "chmod 600 %s\n",
                    s->cred_file, s->cred_file);
        if (pf_read_file(s->cred_file, CRED_FILE_MAX, &text, &len, &d) != PF_OK) {
            cli_error_diag("send", &d);
            goto out;
        }
        size_t i = 0;
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
            i = 3;
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
            i++;
        bool ok = i < len && text[i] == '{' ? creds_json(s->cred_file, text + i, len - i, c)
                                            : creds_kv(s->cred_file, text + i, len - i, c);
        if (!ok)
            goto out;
        if (!c->auth_token || !c->token_id) {
            cli_error("send", "%s: %s is missing or empty", s->cred_file,
                      !c->auth_token ? "the API key (auth_token / POLYAI_AUTH_TOKEN)"
                                     : "the connector id (token_id / POLYAI_TOKEN_ID)");
            goto out;
        }
        snprintf(c->source, sizeof c->source, "credentials from %s", s->cred_file);
    } else {
        const char *t = getenv("POLYAI_AUTH_TOKEN"), *id = getenv("POLYAI_TOKEN_ID");
        if (!creds_set(&c->auth_token, t ? t : "", t ? strlen(t) : 0) ||
            !creds_set(&c->token_id, id ? id : "", id ? strlen(id) : 0)) {
            cli_error("send", "out of memory");
            goto out;
        }
        if ((!c->auth_token || !c->token_id) && !s->dry_run) {
            cli_error("send",
                      "no credentials: %s%s%s not set; set both in the environment or "
                      "pass --credentials FILE",
                      !c->auth_token ? "POLYAI_AUTH_TOKEN" : "",
                      !c->auth_token && !c->token_id ? " and " : "",
                      !c->token_id ? "POLYAI_TOKEN_ID" : "");
            goto out;
        }
        snprintf(c->source, sizeof c->source, "credentials from the environment%s",
                 c->auth_token && c->token_id ? "" : " (incomplete: dry run only)");
    }
    rc = 0;
out:
    if (text) {
        memset(text, 0, len); /* it held the credentials */
        free(text);
    }
    return rc;
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

/* Hand the chosen CA file and directory to the client; 0 or an exit code
 * after reporting (naming the option or variable the path came from). */
static int apply_ca(const struct send_opts *s, pf_client *client)
{
    const char *fo, *dorig;
    const char *file = ca_choice(s->cacert, "PREFLIGHT_CA_BUNDLE", &fo, "--cacert");
    const char *dir = ca_choice(s->capath, "PREFLIGHT_CA_PATH", &dorig, "--capath");
    pf_diag d;

    if (!file && !dir)
        return 0;
    /* One at a time, so the error names the right origin. */
    const char *failed = NULL, *path = NULL;
    if (file && pf_client_set_ca(client, file, NULL, &d) != PF_OK)
        failed = fo, path = file;
    else if (dir && pf_client_set_ca(client, NULL, dir, &d) != PF_OK)
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

static cJSON *json_preview(const pf_request_preview *p)
{
    cJSON *o = cJSON_CreateObject(), *req, *h;
    if (!o || !cJSON_AddStringToObject(o, "status", "dry_run") ||
        !cJSON_AddNumberToObject(o, "attempts", 0) ||
        !(req = cJSON_AddObjectToObject(o, "request")) ||
        !cJSON_AddStringToObject(req, "method", p->method) ||
        !cJSON_AddStringToObject(req, "url", p->url) ||
        !(h = cJSON_AddObjectToObject(req, "headers")))
        goto fail;
    for (size_t i = 0; i < p->header_count; i++) {
        if (!cJSON_AddStringToObject(h, p->header_names[i], p->header_values[i]))
            goto fail;
    }
    if (!cJSON_AddStringToObject(req, "body", p->body))
        goto fail;
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

static cJSON *json_result(const pf_send_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "status", pf_send_status_name(r->status)) ||
        !(r->http_status ? cJSON_AddNumberToObject(o, "http_status", (double)r->http_status)
                         : cJSON_AddNullToObject(o, "http_status")) ||
        !cJSON_AddNumberToObject(o, "attempts", r->attempts) ||
        !cJSON_AddNumberToObject(o, "waited_ms", (double)r->waited_ms) ||
        !(r->detail ? cJSON_AddStringToObject(o, "detail", r->detail)
                    : cJSON_AddNullToObject(o, "detail")) ||
        !(r->hint ? cJSON_AddStringToObject(o, "hint", r->hint)
                  : cJSON_AddNullToObject(o, "hint"))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *json_not_sent(const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "status", "not_sent") ||
        !cJSON_AddNumberToObject(o, "attempts", 0) ||
        !cJSON_AddStringToObject(o, "reason", reason)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
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

int cli_send(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_check k;
    struct cli_parser p;
    struct send_opts s;
    struct creds cr;
    pf_client *client = NULL;
    pf_request_preview pv;
    pf_send_result res;
    cJSON *doc = NULL, *send_obj = NULL;
    FILE *out = NULL;
    const char *val, *base = NULL, *stop_reason = NULL;
    int id, rc = CLI_EXIT_USAGE;
    bool sent = false;
    pf_diag d;

    memset(&s, 0, sizeof s);
    memset(&cr, 0, sizeof cr);
    memset(&pv, 0, sizeof pv);
    pf_send_result_init(&res);
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
    if ((rc = load_credentials(&s, &cr)) != 0)
        goto out;
    if ((rc = cli_check_prepare(&k)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    base = s.base_url ? s.base_url : s.cluster ? pf_cluster_base_url(s.cluster) : NULL;
    if (!base && k.config) {
        const char *cl = pf_config_cluster(k.config);
        if (cl && !(base = pf_cluster_base_url(cl))) {
            cli_error("send", "%s: unknown cluster '%s' (us-1, uk-1 or euw-1)", k.config_file, cl);
            goto out;
        }
    }
    if (!base) {
        cli_error("send", "no API to send to: pass --cluster us-1|uk-1|euw-1 or --base-url URL, "
                          "or set \"cluster\" in the config");
        goto out;
    }
    s.client.base_url = base;
    s.client.auth_token = cr.auth_token;
    s.client.token_id = cr.token_id;
    if (s.verbose)
        s.client.trace = on_trace;
    if (pf_client_create(&s.client, &client, &d) != PF_OK) {
        cli_error("send", "%s", d.message[0] ? d.message : pf_strerror(d.status));
        goto out;
    }
    if (s.verbose)
        cli_error("send", "%s; API %s", cr.source, base);
    if ((rc = apply_ca(&s, client)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;

    if (cli_exit_for(&k.c, pf_finding_list_max(&k.verdict.findings)) != CLI_EXIT_OK)
        stop_reason = k.verdict.verdict == PF_VERDICT_BLOCK ? "blocked by the verdict"
                                                            : "stopped by --fail-on warn";
    const pf_send_request req = {k.verdict.user.e164, k.msg, k.len,
                                 /* What was checked is what is sent: an auto-selected sender goes
                                  * out explicitly, so the API cannot pick a different one. */
                                 k.verdict.has_agent ? k.verdict.agent_e164 : NULL};
    if (!stop_reason) {
        pf_status st = pf_client_preview(client, &req, &pv, &d);
        if (st != PF_OK) {
            cli_error("send", "cannot build the request: %s",
                      d.message[0] ? d.message : pf_strerror(st));
            goto out;
        }
    }

    if (!(out = cli_open_output(&k.c)))
        goto out;
    bool json = strcmp(k.c.format, "json") == 0;
    if (!json && !cli_check_print(&k, out))
        goto oom;
    /* The verdict is on screen before the network can make us wait. */
    fflush(out);

    if (!stop_reason && !s.dry_run) {
        pf_status st = pf_client_send(client, &req, &res, &d);
        if (st != PF_OK) {
            cli_error("send", "cannot send: %s", d.message[0] ? d.message : pf_strerror(st));
            goto close;
        }
        sent = true;
    }

    if (json) {
        if (!(doc = pf_report_json_verdict(&k.verdict)))
            goto oom;
        send_obj = stop_reason ? json_not_sent(stop_reason)
                   : sent      ? json_result(&res)
                               : json_preview(&pv);
        if (!send_obj)
            goto oom;
        cJSON_AddItemToObject(doc, "send", send_obj);
        if (!pf_report_json_print(out, doc))
            goto oom;
    } else if (!k.c.quiet) {
        char h[32];
        if (stop_reason)
            fprintf(out, "\nnot sent: %s\n", stop_reason);
        else if (!sent)
            text_preview(out, &pv);
        else if (res.status == PF_SEND_ACCEPTED)
            fprintf(out, "\nsent: accepted (%s, %u attempt%s)\n", http_text(&res, h, sizeof h),
                    res.attempts, plural(res.attempts));
        else
            fprintf(out, "\n%s: %s (%s, %u attempt%s)\n",
                    res.status == PF_SEND_UNKNOWN ? "outcome unknown" : "not sent",
                    pf_send_status_name(res.status), http_text(&res, h, sizeof h), res.attempts,
                    plural(res.attempts));
    }
    if (sent)
        report_failure(&res);
    bool closed = cli_close_output(&k.c, out);
    out = NULL;
    /* A send that went out still went out, whether or not the report
     * could be written (that error is reported already). */
    if (!closed && !sent)
        goto out;
    rc = stop_reason                               ? CLI_EXIT_FINDING
         : !sent || res.status == PF_SEND_ACCEPTED ? CLI_EXIT_OK
                                                   : CLI_EXIT_SEND;
    goto out;
oom:
    cli_error("send", "out of memory");
close:
    cli_close_output(&k.c, out);
    out = NULL;
    /* A send that went out but could not be reported still went out. */
    if (sent)
        rc = res.status == PF_SEND_ACCEPTED ? CLI_EXIT_OK : CLI_EXIT_SEND;
out:
    cJSON_Delete(doc);
    pf_request_preview_clear(&pv);
    pf_send_result_clear(&res);
    pf_client_destroy(client);
    creds_free(&cr);
    cli_check_free(&k);
    return rc;
}
