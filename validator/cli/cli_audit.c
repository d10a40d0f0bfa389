/*
 * cli_audit.c — `preflight audit --country CC`: the launch-readiness report
 * for one country (facts with sources, a checklist against the project
 * config, every provisioned number checked as `preflight check` would, the
 * templates linted for the country, a verdict), as text, Markdown, JSON or
 * one self-contained HTML page.
 *
 * Exit codes follow SPEC §2 like every command: 1 when the verdict is not
 * ready (or, with --fail-on warn, ready with warnings).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

enum { OPT_COUNTRY = CLI_OPT_OWN, OPT_CONFIG, OPT_TEMPLATES, OPT_CAMPAIGN };

static const struct cli_opt opts[] = {
    {"country", CLI_ARG, OPT_COUNTRY, "CC", "the country to launch in (required)"},
    {"config", CLI_ARG, OPT_CONFIG, "FILE", "project config: numbers and registrations"},
    {"templates", CLI_ARG, OPT_TEMPLATES, "PATH", "template file or directory (repeatable)"},
    {"campaign", CLI_ARG, OPT_CAMPAIGN, "FILE",
     "10DLC campaign file to pre-scan (repeatable; see 'preflight campaign')"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight audit --country CC [--config FILE] [--templates PATH]...\n"
    "                       [--campaign FILE]... [--format text|md|json|html] [--output FILE]";

#define MAX_PATHS 64

int cli_audit(int argc, char **argv)
{
    static const char *const formats[] = {"text", "md", "json", "html", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val, *country = NULL, *config_file = NULL, *paths[MAX_PATHS],
                     *campaign_files[MAX_PATHS];
    size_t npaths = 0, ncampaigns = 0, nloaded = 0;
    pf_campaign *campaigns[MAX_PATHS];
    int id, rc = CLI_EXIT_USAGE;
    pf_session *session = NULL;
    const pf_ruleset *rules = NULL;
    const pf_countries *table = NULL;
    const pf_config *config = NULL;
    pf_template_set *set = NULL;
    pf_audit *audit = NULL;
    FILE *out = NULL;
    pf_diag d;

    cli_common_init(&c, "audit");
    cli_parser_init(&p, "audit", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_ERROR: goto out;
        case CLI_POSITIONAL:
            cli_error("audit", "unexpected argument '%s'\n%s", val, usage);
            goto out;
        case OPT_COUNTRY: country = val; continue;
        case OPT_CONFIG:
            config_file = val;
            if (cli_session_option(&c, CLI_SO_CONFIG, val) < 0)
                goto out;
            continue;
        case OPT_TEMPLATES:
            if (npaths == MAX_PATHS) {
                cli_error("audit", "at most %d --templates options", MAX_PATHS);
                goto out;
            }
            paths[npaths++] = val;
            continue;
        case OPT_CAMPAIGN:
            if (ncampaigns == MAX_PATHS) {
                cli_error("audit", "at most %d --campaign options", MAX_PATHS);
                goto out;
            }
            campaign_files[ncampaigns++] = val;
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
    if (!country) {
        cli_error("audit", "--country CC is required\n%s", usage);
        goto out;
    }
    if (!cli_open_session(&c, &session))
        goto out;
    rules = pf_session_rules(session);
    table = pf_session_countries(session);
    config = pf_session_config(session);
    if (npaths && pf_template_set_create(&set) != PF_OK) {
        cli_error("audit", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < npaths; i++) {
        if (pf_template_set_add_path(set, paths[i], &d) != PF_OK) {
            cli_error_diag("audit", &d);
            goto out;
        }
    }
    /* The config's campaigns too: a2p_10dlc.campaign_file, relative to the
     * config file, each file once. */
    char resolved[MAX_PATHS][1024];
    size_t nresolved = 0;
    for (size_t i = 0; config && i < pf_config_number_count(config); i++) {
        const char *cf = pf_config_number_at(config, i)->campaign_file;
        if (!cf)
            continue;
        const char *slash = strrchr(config_file, '/');
        int dl = slash ? (int)(slash - config_file) : 0;
        if (cf[0] == '/' || !slash)
            snprintf(resolved[nresolved], sizeof resolved[nresolved], "%s", cf);
        else
            snprintf(resolved[nresolved], sizeof resolved[nresolved], "%.*s/%s", dl, config_file,
                     cf);
        bool dup = false;
        for (size_t k = 0; k < ncampaigns; k++)
            dup |= strcmp(campaign_files[k], resolved[nresolved]) == 0;
        if (dup)
            continue;
        if (ncampaigns == MAX_PATHS) {
            cli_error("audit", "at most %d campaign files", MAX_PATHS);
            goto out;
        }
        campaign_files[ncampaigns++] = resolved[nresolved++];
    }
    for (; nloaded < ncampaigns; nloaded++) {
        if (pf_campaign_load(campaign_files[nloaded], &campaigns[nloaded], &d) != PF_OK) {
            cli_error_diag("audit", &d);
            goto out;
        }
    }
    pf_audit_options ao = pf_audit_options_default();
    ao.campaigns = (const pf_campaign *const *)campaigns;
    ao.campaign_count = ncampaigns;
    ao.country = country;
    ao.table = table;
    ao.rules = rules;
    ao.config = config;
    ao.templates = set;
    if (pf_audit_run(&ao, &audit, &d) != PF_OK) {
        if (d.status == PF_E_NOT_FOUND)
            cli_error("audit", "--country: %s", d.message);
        else
            cli_error_diag("audit", &d);
        goto out;
    }
    if (!(out = cli_open_output(&c)))
        goto out;
    bool ok = true;
    if (strcmp(c.format, "json") == 0) {
        cJSON *doc = pf_report_json_audit(audit);
        ok = doc && pf_report_json_print(out, doc);
        cJSON_Delete(doc);
    } else if (strcmp(c.format, "html") == 0) {
        pf_report_html_audit(out, audit);
    } else if (strcmp(c.format, "md") == 0) {
        pf_report_md_audit(out, audit);
    } else if (!c.quiet) {
        pf_report_text_audit(out, audit, c.color);
    }
    if (!ok) {
        cli_error("audit", "out of memory");
        cli_close_output(&c, out);
        goto out;
    }
    int sev = audit->verdict == PF_AUDIT_VERDICT_NOT_READY  ? PF_SEV_BLOCK
              : audit->verdict == PF_AUDIT_VERDICT_WARNINGS ? PF_SEV_WARN
                                                            : -1;
    rc = cli_close_output(&c, out) ? cli_exit_for(&c, sev) : CLI_EXIT_USAGE;
out:
    pf_audit_destroy(audit);
    for (size_t i = 0; i < nloaded; i++)
        pf_campaign_destroy(campaigns[i]);
    pf_template_set_destroy(set);
    pf_session_unref(session);
    cli_common_free(&c);
    return rc;
}
