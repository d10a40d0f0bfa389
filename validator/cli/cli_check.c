/*
 * cli_check.c — `preflight check`: the full verdict for one send. Also
 * the front half of `preflight send`, which shares its options.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "report.h"

static const struct cli_opt opts[] = {
    CLI_CHECK_OPTS,
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight check --to NUMBER (--message TEXT | --message-file FILE)\n"
    "                       [--agent-number NUMBER] [--config FILE] [--env dev|sandbox|live]\n"
    "                       [--at TIME] [--first-message | --not-first]\n"
    "                       [--purpose transactional|promotional] [--region CC]\n"
    "                       [--disable ID]... [--format text|json]";

int cli_check_option(struct cli_check *k, int id, const char *val)
{
    switch (id) {
    case OPT_CK_TO: k->to = val; return 1;
    case OPT_CK_MESSAGE: k->text = val; return 1;
    case OPT_CK_MESSAGE_FILE: k->file = val; return 1;
    case OPT_CK_AGENT: k->in.agent_number = val; return 1;
    case OPT_CK_CONFIG: k->config_file = val; return cli_session_option(&k->c, CLI_SO_CONFIG, val);
    case OPT_CK_REGION: k->in.region = val; return 1;
    case OPT_CK_FIRST: k->in.first_message = PF_FIRST_YES; return 1;
    case OPT_CK_NOT_FIRST: k->in.first_message = PF_FIRST_NO; return 1;
    case OPT_CK_AT: k->at = val; return 1;
    case OPT_CK_ENV: return cli_parse_env(k->c.command, val, &k->in.environment) ? 1 : -1;
    case OPT_CK_PURPOSE: return cli_parse_purpose(k->c.command, val, &k->in.purpose) ? 1 : -1;
    case OPT_CK_DISABLE: return cli_session_option(&k->c, CLI_SO_DISABLE, val);
    default: return 0;
    }
}

int cli_check_setup(struct cli_check *k)
{
    if (!k->to) {
        cli_error(k->c.command, "--to NUMBER is required");
        return CLI_EXIT_USAGE;
    }
    int rc = cli_read_message(k->c.command, k->text, k->file, &k->msg, &k->len);
    if (rc)
        return rc;
    if (k->at) {
        if (pf_time_parse(k->at, &k->in.send_time) != PF_OK) {
            cli_error(k->c.command,
                      "--at: '%s' is not an ISO 8601 time with an offset, e.g. "
                      "2026-11-26T14:30:00-05:00 or 2026-11-26T19:30:00Z",
                      k->at);
            return CLI_EXIT_USAGE;
        }
    } else {
        k->in.send_time = (int64_t)time(NULL);
    }
    if (k->in.region && !cli_region_ok(k->c.command, k->in.region))
        return CLI_EXIT_USAGE;
    if (!cli_open_session(&k->c, &k->session))
        return CLI_EXIT_USAGE;
    k->in.to = k->to;
    k->in.to_len = strlen(k->to);
    k->in.message = k->msg;
    k->in.message_len = k->len;
    return 0;
}

void cli_check_input_error(const struct cli_check *k, const pf_diag *d)
{
    cli_error(k->c.command, "%s%s%s", k->file ? k->file : "", k->file ? ": " : "", d->message);
}

int cli_check_prepare(struct cli_check *k)
{
    int rc = cli_check_setup(k);
    if (rc)
        return rc;
    pf_checker *ck = NULL;
    pf_diag d;
    if (pf_checker_create(k->session, &ck, &d) != PF_OK) {
        cli_error_diag(k->c.command, &d);
        return CLI_EXIT_USAGE;
    }
    pf_status st = pf_checker_check(ck, &k->in, &k->verdict, &d);
    pf_checker_destroy(ck);
    if (st != PF_OK) {
        cli_check_input_error(k, &d);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

void cli_check_init(struct cli_check *k, const char *command)
{
    memset(k, 0, sizeof *k);
    cli_common_init(&k->c, command);
    k->in = pf_check_input_default();
    pf_verdict_init(&k->verdict);
}

void cli_check_free(struct cli_check *k)
{
    pf_verdict_clear(&k->verdict);
    pf_session_unref(k->session);
    cli_common_free(&k->c);
    free(k->msg);
}

bool cli_check_print(struct cli_check *k, FILE *out)
{
    if (strcmp(k->c.format, "json") == 0) {
        char *json;
        size_t n;
        if (pf_verdict_to_json(&k->verdict, PF_JSON_PRETTY | PF_JSON_NEWLINE, &json, &n) != PF_OK)
            return false;
        fwrite(json, 1, n, out);
        free(json);
        return true;
    }
    if (!k->c.quiet)
        pf_report_text_verdict(out, &k->verdict, k->msg, k->len, k->c.color);
    return true;
}

int cli_check(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_check k;
    struct cli_parser p;
    const char *val;
    int id, rc = CLI_EXIT_USAGE;
    FILE *out = NULL;

    cli_check_init(&k, "check");
    cli_parser_init(&p, "check", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        if (id == CLI_POSITIONAL) {
            cli_error("check", "unexpected argument '%s'\n%s", val, usage);
            goto out;
        }
        int h = cli_check_option(&k, id, val);
        if (h < 0)
            goto out;
        if (h)
            continue;
        h = cli_common_option(&k.c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if (!cli_check_format(&k.c, formats) || (rc = cli_check_prepare(&k)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    if (!(out = cli_open_output(&k.c)))
        goto out;
    if (!cli_check_print(&k, out)) {
        cli_error("check", "out of memory");
        cli_close_output(&k.c, out);
        goto out;
    }
    rc = cli_close_output(&k.c, out) ? cli_exit_for(&k.c, pf_finding_list_max(&k.verdict.findings))
                                     : CLI_EXIT_USAGE;
out:
    cli_check_free(&k);
    return rc;
}
