/*
 * cli_mcp.c — `preflight mcp`: a Model Context Protocol server over stdio.
 *
 * Newline-delimited JSON-RPC 2.0 on stdin and stdout (mcp.c answers each
 * line); stdout carries nothing but protocol, diagnostics go to stderr.
 * Rules, table and config are loaded once, before the first line is read:
 * a broken file is a start-up error (exit 2), never a failed call.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mcp.h"

enum {
    OPT_CONFIG = CLI_OPT_OWN,
    OPT_ALLOW_SEND,
    OPT_CLUSTER,
    OPT_BASE_URL,
    OPT_FAIL_ON,
    OPT_CACERT,
    OPT_CAPATH
};

static const struct cli_opt opts[] = {
    {"config", CLI_ARG, OPT_CONFIG, "FILE", "project config (preflight.json)"},
    {"allow-send", CLI_NO_ARG, OPT_ALLOW_SEND, NULL,
     "offer the send tool (credentials from POLYAI_AUTH_TOKEN, POLYAI_TOKEN_ID)"},
    {"cluster", CLI_ARG, OPT_CLUSTER, "C", "send: us-1, uk-1 or euw-1 (default: the config's)"},
    {"base-url", CLI_ARG, OPT_BASE_URL, "URL", "send: API base URL instead of a cluster"},
    {"fail-on", CLI_ARG, OPT_FAIL_ON, "LEVEL", "send: refuse at block (default) or warn"},
    {"cacert", CLI_ARG, OPT_CACERT, "FILE", "send: trust the CA certificates in FILE (PEM)"},
    {"capath", CLI_ARG, OPT_CAPATH, "DIR", "send: trust the CA certificates in DIR (hashed)"},
    {"rules", CLI_ARG, CLI_OPT_RULES, "DIR", "rule pack directory (repeatable)"},
    {"data", CLI_ARG, CLI_OPT_DATA, "DIR", "data directory (repeatable)"},
    {"help", CLI_NO_ARG, CLI_OPT_HELP, NULL, "show this help"},
    {"version", CLI_NO_ARG, CLI_OPT_VERSION, NULL, "show the version"},
    {NULL, CLI_NO_ARG, 0, NULL, NULL},
};

static const char usage[] =
    "usage: preflight mcp [--config FILE] [--rules DIR]... [--data DIR]...\n"
    "                     [--allow-send [--cluster C | --base-url URL] [--fail-on block|warn]\n"
    "                      [--cacert FILE] [--capath DIR]]\n\n"
    "Serve the check, scan, segments, number, countries and lint_template tools\n"
    "to an MCP client over stdin/stdout (newline-delimited JSON-RPC 2.0). With\n"
    "--allow-send also a send tool, gated exactly like `preflight send`, with the\n"
    "credentials from POLYAI_AUTH_TOKEN and POLYAI_TOKEN_ID (never from a client).";

struct send_flags {
    bool allow;
    const char *cluster, *base_url, *cacert, *capath;
    pf_severity fail_on;
};

/* The send tool's sender, made before the first request so a missing
 * credential or API is a start-up error. 0 or an exit code after reporting. */
static int make_sender(const struct send_flags *f, pf_session *session, pf_sender **out)
{
    pf_send_options *o = NULL;
    pf_diag d;
    int rc = CLI_EXIT_USAGE;
    const char *t = getenv("POLYAI_AUTH_TOKEN"), *id = getenv("POLYAI_TOKEN_ID");
    const char *cacert = f->cacert ? f->cacert : getenv("PREFLIGHT_CA_BUNDLE");
    const char *capath = f->capath ? f->capath : getenv("PREFLIGHT_CA_PATH");

    memset(&d, 0, sizeof d);
    if (!t || !*t || !id || !*id) {
        cli_error("mcp", "--allow-send: POLYAI_AUTH_TOKEN and POLYAI_TOKEN_ID must both be set "
                         "in the server's environment");
        return rc;
    }
    if (pf_send_options_create(&o) != PF_OK || pf_send_options_set_credentials(o, t, id) != PF_OK ||
        pf_send_options_set_fail_on(o, f->fail_on) != PF_OK ||
        (f->base_url && pf_send_options_set_base_url(o, f->base_url) != PF_OK)) {
        cli_error("mcp", "out of memory");
        goto out;
    }
    if (f->cluster && pf_send_options_set_cluster(o, f->cluster) != PF_OK) {
        cli_error("mcp", "--cluster takes us-1, uk-1 or euw-1, not '%s'", f->cluster);
        goto out;
    }
    if ((cacert && *cacert && pf_send_options_set_ca(o, cacert, NULL, &d) != PF_OK) ||
        (capath && *capath && pf_send_options_set_ca(o, NULL, capath, &d) != PF_OK)) {
        cli_error("mcp", "%s", d.message);
        goto out;
    }
    if (pf_sender_create(session, o, out, &d) != PF_OK) {
        if (d.status == PF_E_INVALID && !d.file[0])
            cli_error("mcp", "--allow-send: no API to send to: give --cluster or --base-url, or "
                             "a config with \"cluster\"");
        else
            cli_error("mcp", "%s%s%s", d.file, d.file[0] ? ": " : "", d.message);
        goto out;
    }
    rc = 0;
out:
    pf_send_options_destroy(o);
    return rc;
}

/*
 * Read one line of at most MCP_LINE_MAX bytes into *buf. A longer line is
 * consumed to its end and reported with *len = MCP_LINE_MAX + 1, so the
 * handler answers it -32700 without the server holding it. Returns 1 for
 * a line, 0 at end of input with nothing read, -1 when memory ran out.
 */
static int read_line(FILE *in, char **buf, size_t *cap, size_t *len)
{
    size_t n = 0;
    bool over = false;
    int ch;
    while ((ch = getc(in)) != EOF && ch != '\n') {
        if (n == MCP_LINE_MAX) {
            over = true;
            continue;
        }
        if (n + 1 >= *cap) {
            size_t grown = *cap ? *cap * 2 : 4096;
            char *p = realloc(*buf, grown);
            if (!p)
                return -1;
            *buf = p;
            *cap = grown;
        }
        (*buf)[n++] = (char)ch;
    }
    if (ch == EOF && n == 0 && !over)
        return 0;
    *len = over ? MCP_LINE_MAX + 1 : n;
    return 1;
}

int cli_mcp(int argc, char **argv)
{
    struct cli_common c;
    struct cli_parser p;
    struct mcp_server s;
    struct send_flags sf = {.fail_on = PF_SEV_BLOCK};
    const char *val;
    int id, rc = CLI_EXIT_USAGE;
    pf_session *session = NULL;
    char *line = NULL;
    size_t cap = 0, len;

    memset(&s, 0, sizeof s);
    cli_common_init(&c, "mcp");
    cli_parser_init(&p, "mcp", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        if (id == CLI_POSITIONAL) {
            cli_error("mcp", "unexpected argument '%s'\n%s", val, usage);
            goto out;
        }
        switch (id) {
        case OPT_CONFIG:
            if (cli_session_option(&c, CLI_SO_CONFIG, val) < 0)
                goto out;
            continue;
        case OPT_ALLOW_SEND: sf.allow = true; continue;
        case OPT_CLUSTER: sf.cluster = val; continue;
        case OPT_BASE_URL: sf.base_url = val; continue;
        case OPT_CACERT: sf.cacert = val; continue;
        case OPT_CAPATH: sf.capath = val; continue;
        case OPT_FAIL_ON:
            if (strcmp(val, "block") != 0 && strcmp(val, "warn") != 0) {
                cli_error("mcp", "--fail-on takes block or warn, not '%s'", val);
                goto out;
            }
            sf.fail_on = strcmp(val, "warn") == 0 ? PF_SEV_WARN : PF_SEV_BLOCK;
            continue;
        default: break;
        }
        int h = cli_common_option(&c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if ((sf.cluster || sf.base_url || sf.cacert || sf.capath || sf.fail_on != PF_SEV_BLOCK) &&
        !sf.allow) {
        cli_error("mcp", "--cluster, --base-url, --fail-on, --cacert and --capath are for the "
                         "send tool: add --allow-send");
        goto out;
    }
    if (sf.cluster && sf.base_url) {
        cli_error("mcp", "give --cluster or --base-url, not both");
        goto out;
    }
    if (!cli_open_session(&c, &session))
        goto out;
    mcp_server_init(&s, session);
    if (sf.allow && make_sender(&sf, session, &s.sender) != 0)
        goto out;
    int got;
    while ((got = read_line(stdin, &line, &cap, &len)) > 0) {
        bool oom;
        char *resp = mcp_handle(&s, line ? line : "", len, &oom);
        if (oom) {
            cli_error("mcp", "out of memory");
            goto out;
        }
        if (resp) {
            bool ok = fputs(resp, stdout) >= 0 && putchar('\n') != EOF && fflush(stdout) == 0;
            free(resp);
            if (!ok) {
                cli_error("mcp", "stdout: write failed");
                goto out;
            }
        }
    }
    if (got < 0) {
        cli_error("mcp", "out of memory");
        goto out;
    }
    rc = ferror(stdin) ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    if (rc)
        cli_error("mcp", "stdin: read failed");
out:
    mcp_server_clear(&s);
    free(line);
    pf_session_unref(session);
    cli_common_free(&c);
    return rc;
}
