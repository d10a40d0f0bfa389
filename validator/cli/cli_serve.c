/*
 * cli_serve.c — `preflight serve`: flags into a serve_config, the first
 * session opened (a broken file is a start-up error, exit 2), then
 * serve_run (serve.c) until SIGTERM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

enum {
    OPT_LISTEN = CLI_OPT_OWN,
    OPT_CONFIG,
    OPT_CLUSTER,
    OPT_UPSTREAM,
    OPT_CACERT,
    OPT_CAPATH,
    OPT_THREADS,
    OPT_MAX_CONN,
    OPT_TIMEOUT,
    OPT_ACCESS_LOG,
    OPT_LOG_MESSAGES,
    OPT_RETRY_429,
    OPT_RETRY_BUDGET,
    OPT_DRAIN_GRACE,
};

static const struct cli_opt opts[] = {
    {"listen", CLI_ARG, OPT_LISTEN, "ADDR:PORT", "address to listen on (default 127.0.0.1:8080)"},
    {"config", CLI_ARG, OPT_CONFIG, "FILE", "project config (preflight.json)"},
    {"cluster", CLI_ARG, OPT_CLUSTER, "C", "forward to us-1, uk-1 or euw-1"},
    {"upstream", CLI_ARG, OPT_UPSTREAM, "URL", "forward to this base URL (http only to loopback)"},
    {"cacert", CLI_ARG, OPT_CACERT, "FILE",
     "trust the CA certificates in FILE (PEM; default: $PREFLIGHT_CA_BUNDLE)"},
    {"capath", CLI_ARG, OPT_CAPATH, "DIR",
     "trust the CA certificates in DIR (hashed; default: $PREFLIGHT_CA_PATH)"},
    {"threads", CLI_ARG, OPT_THREADS, "N", "worker threads (default 2)"},
    {"max-connections", CLI_ARG, OPT_MAX_CONN, "N", "open connections at most (default 1000)"},
    {"timeout", CLI_ARG, OPT_TIMEOUT, "S",
     "idle/slow client timeout and upstream attempt timeout, seconds (default 30)"},
    {"drain-grace", CLI_ARG, OPT_DRAIN_GRACE, "S",
     "on SIGTERM, keep serving S seconds with /readyz failing before closing (default 2)"},
    {"access-log", CLI_ARG, OPT_ACCESS_LOG, "F", "JSON-lines access log to F ('-': stdout)"},
    {"log-messages", CLI_NO_ARG, OPT_LOG_MESSAGES, NULL, "put message texts in the access log"},
    {"retry-429", CLI_NO_ARG, OPT_RETRY_429, NULL,
     "retry 429 inside the gateway (else the caller gets it with Retry-After)"},
    {"retry-budget", CLI_ARG, OPT_RETRY_BUDGET, "S", "total wait for --retry-429, seconds (default 10)"},
    {"rules", CLI_ARG, CLI_OPT_RULES, "DIR", "rule pack directory (repeatable)"},
    {"data", CLI_ARG, CLI_OPT_DATA, "DIR", "data directory (repeatable)"},
    {"fail-on", CLI_ARG, CLI_OPT_FAIL_ON, "LEVEL", "block (default) or warn: warn also answers 422"},
    {"help", CLI_NO_ARG, CLI_OPT_HELP, NULL, "show this help"},
    {"version", CLI_NO_ARG, CLI_OPT_VERSION, NULL, "show the version"},
    {NULL, CLI_NO_ARG, 0, NULL, NULL},
};

static const char usage[] =
    "usage: preflight serve [--listen ADDR:PORT] [--config FILE] [--rules DIR]... [--data DIR]...\n"
    "                       [--cluster us-1|uk-1|euw-1 | --upstream URL] [--cacert FILE]\n"
    "                       [--capath DIR] [--threads N] [--fail-on block|warn]\n"
    "                       [--max-connections N] [--timeout S] [--drain-grace S]\n"
    "                       [--access-log F|-]\n"
    "                       [--log-messages] [--retry-429] [--retry-budget S]\n"
    "\n"
    "A pre-send HTTP gateway in front of the Send SMS API (SPEC §6):\n"
    "  POST /v1/outbound-sms  check; block -> 422, else forwarded upstream with the\n"
    "                         caller's X-PolyAi-Auth-Token and X-TOKEN-ID\n"
    "  POST /v1/check         the verdict JSON, never sends\n"
    "  GET /healthz, /readyz, /metrics\n"
    "SIGHUP reloads config, rules and data; SIGTERM drains (/readyz fails, the\n"
    "balancer's health checks take the instance out during --drain-grace, then\n"
    "requests in flight finish) and exits 0; a second SIGTERM cuts the grace short.";

static bool parse_uint(const char *opt, const char *val, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(val, &end, 10);
    if (errno || end == val || *end || val[0] == '-' || v < lo || v > hi) {
        cli_error("serve", "--%s takes a whole number from %u to %u, not '%s'", opt, lo, hi, val);
        return false;
    }
    *out = (unsigned)v;
    return true;
}

int cli_serve(int argc, char **argv)
{
    struct cli_common c;
    struct cli_parser p;
    struct serve_config cfg = {
        .listen = "127.0.0.1:8080",
        .threads = 2,
        .max_connections = 1000,
        .timeout_s = 30,
        .drain_grace_ms = 2000,
        .retry_budget_ms = 10000,
    };
    const char *val;
    int id, rc = CLI_EXIT_USAGE;
    pf_session *session = NULL;
    unsigned u;

    sigset_t mask;
    serve_block_signals(&mask);
    cli_common_init(&c, "serve");
    cli_parser_init(&p, "serve", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        switch (id) {
        case CLI_POSITIONAL: cli_error("serve", "unexpected argument '%s'\n%s", val, usage); goto out;
        case OPT_LISTEN: cfg.listen = val; continue;
        case OPT_CONFIG:
            if (cli_session_option(&c, CLI_SO_CONFIG, val) < 0)
                goto out;
            continue;
        case OPT_CLUSTER:
            if (!pf_cluster_base_url(val)) {
                cli_error("serve", "--cluster takes us-1, uk-1 or euw-1, not '%s'", val);
                goto out;
            }
            cfg.cluster = val;
            continue;
        case OPT_UPSTREAM: cfg.base_url = val; continue;
        case OPT_CACERT: cfg.cacert = val; continue;
        case OPT_CAPATH: cfg.capath = val; continue;
        case OPT_THREADS:
            if (!parse_uint("threads", val, 1, 256, &cfg.threads))
                goto out;
            continue;
        case OPT_MAX_CONN:
            if (!parse_uint("max-connections", val, 1, 100000, &cfg.max_connections))
                goto out;
            continue;
        case OPT_TIMEOUT:
            if (!parse_uint("timeout", val, 1, 3600, &cfg.timeout_s))
                goto out;
            continue;
        case OPT_DRAIN_GRACE:
            if (!parse_uint("drain-grace", val, 0, 600, &u))
                goto out;
            cfg.drain_grace_ms = u * 1000;
            continue;
        case OPT_RETRY_BUDGET:
            if (!parse_uint("retry-budget", val, 0, 600, &u))
                goto out;
            cfg.retry_budget_ms = u * 1000;
            continue;
        case OPT_ACCESS_LOG: cfg.access_log = val; continue;
        case OPT_LOG_MESSAGES: cfg.log_messages = true; continue;
        case OPT_RETRY_429: cfg.retry_429 = true; continue;
        default: break;
        }
        int h = cli_common_option(&c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if (cfg.cluster && cfg.base_url) {
        cli_error("serve", "--cluster and --upstream are exclusive");
        goto out;
    }
    cfg.fail_on_warn = c.fail_on == CLI_FAIL_WARN;
    /* As `send`: each option wins over its variable. */
    if (!cfg.cacert && getenv("PREFLIGHT_CA_BUNDLE") && *getenv("PREFLIGHT_CA_BUNDLE"))
        cfg.cacert = getenv("PREFLIGHT_CA_BUNDLE");
    if (!cfg.capath && getenv("PREFLIGHT_CA_PATH") && *getenv("PREFLIGHT_CA_PATH"))
        cfg.capath = getenv("PREFLIGHT_CA_PATH");
    if (!cli_open_session(&c, &session))
        goto out;
    cfg.session_options = c.so;
    rc = serve_run(&cfg, session);
out:
    pf_session_unref(session);
    cli_common_free(&c);
    return rc;
}
