/*
 * cli_lint.c — `preflight lint`: lint message templates (.txt and .json
 * files, directories walked recursively) for the countries they go to, in
 * compiler-style text, JSON, SARIF or JUnit XML.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"

enum { OPT_COUNTRY = CLI_OPT_OWN, OPT_CONFIG, OPT_DISABLE, OPT_MAX_LENGTH, OPT_VERBOSE };

static const struct cli_opt opts[] = {
    {"country", CLI_ARG, OPT_COUNTRY, "CC", "lint for this destination (repeatable)"},
    {"config", CLI_ARG, OPT_CONFIG, "FILE", "project config: brand, max_segments, disabled_rules"},
    {"disable", CLI_ARG, OPT_DISABLE, "ID", "do not run rule ID (repeatable)"},
    {"max-length", CLI_ARG, OPT_MAX_LENGTH, "N",
     "length of a variable without max_length (default 20)"},
    {"verbose", CLI_NO_ARG, OPT_VERBOSE, NULL, "also say which files were not templates"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight lint [--country CC]... [--config FILE] [--disable ID]...\n"
    "                      [--max-length N] [--verbose] [--fail-on block|warn]\n"
    "                      [--format text|json|sarif|junit] [--output FILE] PATH...\n"
    "\n"
    "A .txt file is one template; a .json file holds many ({\"templates\": [...]},\n"
    "see README.md); directories are walked recursively.";

#define MAX_PATHS 256

int cli_lint(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", "sarif", "junit", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val, *paths[MAX_PATHS], *countries[PF_LINT_MAX_COUNTRIES];
    size_t npaths = 0, ncountries = 0;
    unsigned max_length = 0;
    bool verbose = false;
    int id, rc = CLI_EXIT_USAGE;
    pf_session *session = NULL;
    const pf_ruleset *rules = NULL;
    const pf_countries *table = NULL;
    const pf_config *config = NULL;
    pf_template_set *set = NULL;
    pf_lint_result *res = NULL;
    FILE *out = NULL;
    pf_diag d;

    cli_common_init(&c, "lint");
    cli_parser_init(&p, "lint", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        switch (id) {
        case CLI_ERROR: goto out;
        case CLI_POSITIONAL:
            if (npaths == MAX_PATHS) {
                cli_error("lint", "at most %d paths", MAX_PATHS);
                goto out;
            }
            paths[npaths++] = val;
            continue;
        case OPT_COUNTRY:
            if (ncountries == PF_LINT_MAX_COUNTRIES) {
                cli_error("lint", "at most %d --country options", PF_LINT_MAX_COUNTRIES);
                goto out;
            }
            countries[ncountries++] = val;
            continue;
        case OPT_CONFIG:
            if (cli_session_option(&c, CLI_SO_CONFIG, val) < 0)
                goto out;
            continue;
        case OPT_DISABLE:
            if (cli_session_option(&c, CLI_SO_DISABLE, val) < 0)
                goto out;
            continue;
        case OPT_MAX_LENGTH: {
            char *end;
            errno = 0;
            long n = strtol(val, &end, 10);
            if (errno || *end || n < 1 || n > 1600) {
                cli_error("lint", "--max-length takes a number from 1 to 1600, not '%s'", val);
                goto out;
            }
            max_length = (unsigned)n;
            continue;
        }
        case OPT_VERBOSE: verbose = true; continue;
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
    if (npaths == 0) {
        cli_error("lint", "give at least one template file or directory\n%s", usage);
        goto out;
    }
    if (!cli_open_session(&c, &session))
        goto out;
    rules = pf_session_rules(session);
    table = pf_session_countries(session);
    config = pf_session_config(session);
    if (pf_template_set_create(&set) != PF_OK) {
        cli_error("lint", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < npaths; i++) {
        if (pf_template_set_add_path(set, paths[i], &d) != PF_OK) {
            cli_error_diag("lint", &d);
            goto out;
        }
    }
    for (size_t i = 0; verbose && i < pf_template_set_ignored_count(set); i++)
        fprintf(stderr, "preflight lint: note: %s: not a template (.txt or .json); ignored\n",
                pf_template_set_ignored_at(set, i));

    pf_lint_options lo = pf_lint_options_default();
    lo.countries = countries;
    lo.country_count = ncountries;
    lo.table = table;
    lo.config = config;
    lo.disabled = pf_session_disabled_rules(session, &lo.disabled_count);
    lo.default_max_length = max_length;
    if (pf_lint_run(set, rules, &lo, &res, &d) != PF_OK) {
        if (d.path[0])
            cli_error("lint", "--country: %s", d.message);
        else
            cli_error_diag("lint", &d);
        goto out;
    }
    if (!(out = cli_open_output(&c)))
        goto out;
    bool ok = true;
    if (strcmp(c.format, "json") == 0) {
        cJSON *doc = pf_report_json_lint(res);
        ok = doc && pf_report_json_print(out, doc);
        cJSON_Delete(doc);
    } else if (strcmp(c.format, "sarif") == 0) {
        char cwd[PATH_MAX];
        ok = pf_report_sarif_lint(out, res, rules, getcwd(cwd, sizeof cwd));
    } else if (strcmp(c.format, "junit") == 0) {
        pf_report_junit_lint(out, res, c.fail_on == CLI_FAIL_WARN ? PF_SEV_WARN : PF_SEV_BLOCK);
    } else if (!c.quiet) {
        pf_report_text_lint(out, res, c.color);
    }
    if (!ok) {
        cli_error("lint", "out of memory");
        cli_close_output(&c, out);
        goto out;
    }
    int max = res->severity_count[PF_SEV_BLOCK]  ? PF_SEV_BLOCK
              : res->severity_count[PF_SEV_WARN] ? PF_SEV_WARN
              : res->severity_count[PF_SEV_INFO] ? PF_SEV_INFO
                                                 : -1;
    rc = cli_close_output(&c, out) ? cli_exit_for(&c, max) : CLI_EXIT_USAGE;
out:
    pf_lint_result_destroy(res);
    pf_template_set_destroy(set);
    pf_session_unref(session);
    cli_common_free(&c);
    return rc;
}
