/*
 * cli_campaign.c — `preflight campaign`: pre-scan A2P 10DLC campaign or
 * toll-free verification files before they are submitted (SPEC §6), in
 * text, JSON, SARIF or JUnit XML. The checks live in the library
 * (pf_campaign_*); this file parses flags and renders.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

enum { OPT_KIND = CLI_OPT_OWN, OPT_FETCH, OPT_DISABLE };

static const struct cli_opt opts[] = {
    {"kind", CLI_ARG, OPT_KIND, "KIND", "10dlc (default) or toll-free"},
    {"fetch", CLI_NO_ARG, OPT_FETCH, NULL,
     "fetch the privacy and terms pages (https; checks what they say)"},
    {"disable", CLI_ARG, OPT_DISABLE, "ID", "do not report check ID (repeatable)"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight campaign [--kind 10dlc|toll-free] [--fetch] [--disable ID]...\n"
    "                          [--fail-on block|warn] [--format text|json|sarif|junit]\n"
    "                          [--output FILE] FILE...\n"
    "\n"
    "Pre-scan a campaign registration (or toll-free verification) file; the format\n"
    "and every check, with the rejection code it anticipates, are in rules/campaign.md.";

#define MAX_FILES 256

int cli_campaign(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", "sarif", "junit", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val, *files[MAX_FILES];
    /* --disable names campaign checks, not rules: at most one per argument. */
    const char **disabled = calloc((size_t)argc, sizeof *disabled);
    size_t nfiles = 0, ndisabled = 0, nres = 0;
    int id, rc = CLI_EXIT_USAGE;
    pf_campaign_options co = pf_campaign_options_default();
    pf_session *session = NULL;
    pf_campaign *camps[MAX_FILES];
    pf_campaign_result *res[MAX_FILES];
    FILE *out = NULL;
    pf_diag d;

    cli_common_init(&c, "campaign");
    cli_parser_init(&p, "campaign", argc, argv, opts);
    if (!disabled) {
        cli_error("campaign", "out of memory");
        goto out;
    }
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_ERROR: goto out;
        case CLI_POSITIONAL:
            if (nfiles == MAX_FILES) {
                cli_error("campaign", "at most %d files", MAX_FILES);
                goto out;
            }
            files[nfiles++] = val;
            continue;
        case OPT_KIND:
            if (pf_campaign_kind_from_name(val, &co.kind) != PF_OK) {
                cli_error("campaign", "--kind takes 10dlc or toll-free, not '%s'", val);
                goto out;
            }
            continue;
        case OPT_FETCH: co.fetch = true; continue;
        case OPT_DISABLE:
            if (!pf_campaign_check_find(val)) {
                cli_error("campaign",
                          "--disable: no campaign check has the id '%s' (see "
                          "rules/campaign.md)",
                          val);
                goto out;
            }
            disabled[ndisabled++] = val;
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
    if (nfiles == 0) {
        cli_error("campaign", "give at least one campaign file\n%s", usage);
        goto out;
    }
    co.disabled = disabled;
    co.disabled_count = ndisabled;
    if (!cli_open_session(&c, &session))
        goto out;
    const pf_ruleset *rules = pf_session_rules(session);
    /* Every file is read before any is checked: a broken one is an input
     * error (exit 2) and no report is half written. */
    for (; nres < nfiles; nres++) {
        camps[nres] = NULL;
        res[nres] = NULL;
        if (pf_campaign_load(files[nres], &camps[nres], &d) != PF_OK) {
            cli_error_diag("campaign", &d);
            nres++;
            goto out;
        }
    }
    for (size_t i = 0; i < nfiles; i++) {
        if (pf_campaign_check(camps[i], rules, &co, &res[i], &d) != PF_OK) {
            cli_error("campaign", "%s: %s", files[i], d.message);
            goto out;
        }
    }
    if (!(out = cli_open_output(&c)))
        goto out;
    const pf_campaign_result *const *rr = (const pf_campaign_result *const *)res;
    bool ok = true;
    if (strcmp(c.format, "json") == 0) {
        cJSON *doc = pf_report_json_campaign(rr, nfiles);
        ok = doc && pf_report_json_print(out, doc);
        cJSON_Delete(doc);
    } else if (strcmp(c.format, "sarif") == 0) {
        char cwd[PATH_MAX];
        ok = pf_report_sarif_campaign(out, rr, nfiles, getcwd(cwd, sizeof cwd));
    } else if (strcmp(c.format, "junit") == 0) {
        pf_report_junit_campaign(out, rr, nfiles,
                                 c.fail_on == CLI_FAIL_WARN ? PF_SEV_WARN : PF_SEV_BLOCK);
    } else if (!c.quiet) {
        pf_report_text_campaign(out, rr, nfiles, c.color);
    }
    if (!ok) {
        cli_error("campaign", "out of memory");
        cli_close_output(&c, out);
        goto out;
    }
    int max = -1;
    for (size_t i = 0; i < nfiles; i++) {
        int m = pf_finding_list_max(&res[i]->findings);
        if (m > max)
            max = m;
    }
    rc = cli_close_output(&c, out) ? cli_exit_for(&c, max) : CLI_EXIT_USAGE;
out:
    for (size_t i = 0; i < nres; i++) {
        pf_campaign_result_destroy(res[i]);
        pf_campaign_destroy(camps[i]);
    }
    pf_session_unref(session);
    cli_common_free(&c);
    free(disabled);
    return rc;
}
