/*
 * cli_scan.c — `preflight scan`: the content rules and segment checks
 * alone, without a recipient number or a project config.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

enum {
    OPT_MESSAGE = CLI_OPT_OWN,
    OPT_MESSAGE_FILE,
    OPT_COUNTRY,
    OPT_FIRST,
    OPT_NOT_FIRST,
    OPT_BRAND,
    OPT_SENDER,
    OPT_DISABLE
};

static const struct cli_opt opts[] = {
    {"message", CLI_ARG, OPT_MESSAGE, "TEXT", "the message text"},
    {"message-file", CLI_ARG, OPT_MESSAGE_FILE, "FILE", "read the message from FILE ('-': stdin)"},
    {"country", CLI_ARG, OPT_COUNTRY, "CC", "recipient country (scopes and escalates rules)"},
    {"first-message", CLI_NO_ARG, OPT_FIRST, NULL, "this is the first message to the contact"},
    {"not-first", CLI_NO_ARG, OPT_NOT_FIRST, NULL, "the contact has had messages before"},
    {"brand", CLI_ARG, OPT_BRAND, "NAME", "brand name the first message must carry"},
    {"sender", CLI_ARG, OPT_SENDER, "KIND", "long_code, toll_free, short_code or alphanumeric"},
    {"disable", CLI_ARG, OPT_DISABLE, "ID", "do not run rule ID (repeatable)"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight scan (--message TEXT | --message-file FILE) [--country CC]\n"
    "                      [--first-message | --not-first] [--brand NAME] [--sender KIND]\n"
    "                      [--disable ID]... [--format text|json]";


int cli_scan(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val, *text = NULL, *file = NULL;
    char *msg = NULL;
    size_t len = 0;
    int id, rc = CLI_EXIT_USAGE;
    pf_scan_options so = pf_scan_options_default();
    pf_session *session = NULL;
    const pf_countries *table;
    pf_scanner *scanner = NULL;
    pf_segments *seg = NULL;
    pf_finding_list findings;
    cJSON *doc = NULL;
    FILE *out = NULL;
    pf_diag d = {0};

    pf_finding_list_init(&findings);
    cli_common_init(&c, "scan");
    cli_parser_init(&p, "scan", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_ERROR: goto out;
        case CLI_POSITIONAL:
            cli_error("scan", "unexpected argument '%s'\n%s", val, usage);
            goto out;
        case OPT_MESSAGE: text = val; continue;
        case OPT_MESSAGE_FILE: file = val; continue;
        case OPT_COUNTRY: so.country = val; continue;
        case OPT_FIRST: so.first_message = PF_FIRST_YES; continue;
        case OPT_NOT_FIRST: so.first_message = PF_FIRST_NO; continue;
        case OPT_BRAND: so.brand = val; continue;
        case OPT_SENDER:
            if (pf_sender_type_from_name(val, &so.sender) != PF_OK) {
                cli_error("scan",
                          "--sender takes long_code, toll_free, short_code or "
                          "alphanumeric, not '%s'",
                          val);
                goto out;
            }
            continue;
        case OPT_DISABLE:
            if (cli_session_option(&c, CLI_SO_DISABLE, val) < 0)
                goto out;
            continue;
        default: break;
        }
        int h = cli_common_option(&c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if (!cli_check_format(&c, formats))
        goto out;
    if ((rc = cli_read_message("scan", text, file, &msg, &len)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    if (!cli_open_session(&c, &session))
        goto out;
    table = pf_session_countries(session);
    so.disabled = pf_session_disabled_rules(session, &so.disabled_count);
    if (so.country) {
        so.country_entry = pf_countries_get(table, so.country);
        if (!so.country_entry) {
            cli_error("scan",
                      "--country: '%s' is not a region in the table (use ISO 3166-1 "
                      "alpha-2, upper case, e.g. DE)",
                      so.country);
            goto out;
        }
    }
    if (pf_segments_compute(msg, len, &seg, &d) != PF_OK ||
        pf_message_check(msg, len, seg, PF_SEGMENTS_MAX_DEFAULT, &findings) != PF_OK ||
        pf_scanner_create(pf_session_rules(session), &scanner) != PF_OK ||
        pf_scanner_scan(scanner, msg, len, &so, &findings, &d) != PF_OK) {
        /* d is zeroed above, so a failure that set no message (memory) is
         * never read uninitialised. */
        cli_error("scan", "%s", d.message[0] ? d.message : "out of memory");
        goto out;
    }
    pf_finding_list_sort(&findings);
    if (!(out = cli_open_output(&c)))
        goto out;
    if (strcmp(c.format, "json") == 0) {
        doc = pf_report_json_scan(so.country, seg, &findings);
        if (!doc || !pf_report_json_print(out, doc)) {
            cli_error("scan", "out of memory");
            cli_close_output(&c, out);
            goto out;
        }
    } else if (!c.quiet) {
        fprintf(out, "verdict: %s\n", pf_report_verdict_name(&findings));
        fprintf(out, "message: %s, %zu characters, %zu segment%s\n",
                pf_encoding_name(seg->encoding), seg->characters, seg->segment_count,
                seg->segment_count == 1 ? "" : "s");
        if (!so.country)
            fprintf(out, "note: no --country given; country-scoped rules were not run\n");
        if (findings.count)
            fprintf(out, "findings:\n");
        pf_report_text_findings(out, msg, len, &findings, c.color);
    }
    rc = cli_close_output(&c, out) ? cli_exit_for(&c, pf_finding_list_max(&findings))
                                   : CLI_EXIT_USAGE;
out:
    cJSON_Delete(doc);
    pf_finding_list_clear(&findings);
    pf_scanner_destroy(scanner);
    pf_segments_destroy(seg);
    pf_session_unref(session);
    cli_common_free(&c);
    free(msg);
    return rc;
}
