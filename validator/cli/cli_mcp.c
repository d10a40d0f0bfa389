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

enum { OPT_CONFIG = CLI_OPT_OWN };

static const struct cli_opt opts[] = {
    {"config", CLI_ARG, OPT_CONFIG, "FILE", "project config (preflight.json)"},
    {"rules", CLI_ARG, CLI_OPT_RULES, "DIR", "rule pack directory (repeatable)"},
    {"data", CLI_ARG, CLI_OPT_DATA, "DIR", "data directory (repeatable)"},
    {"help", CLI_NO_ARG, CLI_OPT_HELP, NULL, "show this help"},
    {"version", CLI_NO_ARG, CLI_OPT_VERSION, NULL, "show the version"},
    {NULL, CLI_NO_ARG, 0, NULL, NULL},
};

static const char usage[] =
    "usage: preflight mcp [--config FILE] [--rules DIR]... [--data DIR]...\n\n"
    "Serve the check, scan, segments, number, countries and lint_template tools\n"
    "to an MCP client over stdin/stdout (newline-delimited JSON-RPC 2.0).";

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
        if (id == OPT_CONFIG) {
            if (cli_session_option(&c, CLI_SO_CONFIG, val) < 0)
                goto out;
            continue;
        }
        int h = cli_common_option(&c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if (!cli_open_session(&c, &session))
        goto out;
    mcp_server_init(&s, session);
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
