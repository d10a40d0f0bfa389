/*
 * cli_rules.c — `preflight rules`: the content rules as loaded, with the
 * pack each came from.
 */
#include <string.h>

#include "cli.h"
#include "report.h"

static const struct cli_opt opts[] = {
    CLI_COMMON_OPTS,
};

static const char usage[] = "usage: preflight rules [--rules DIR]... [--format text|json]";

static const char *const matcher_names[] = {"pattern", "words",   "domains", "require",
                                            "builtin", "signals", "model"};

int cli_rules(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val;
    int id, rc = CLI_EXIT_USAGE;
    pf_session *session = NULL;
    const pf_ruleset *rules = NULL;
    cJSON *doc = NULL;
    FILE *out = NULL;

    cli_common_init(&c, "rules");
    cli_parser_init(&p, "rules", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        if (id == CLI_POSITIONAL) {
            cli_error("rules", "unexpected argument '%s'\n%s", val, usage);
            goto out;
        }
        int h = cli_common_option(&c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if (!cli_check_format(&c, formats) || !cli_open_session(&c, &session))
        goto out;
    rules = pf_session_rules(session);
    if (!(out = cli_open_output(&c)))
        goto out;
    bool json = strcmp(c.format, "json") == 0;
    if (json)
        doc = cJSON_CreateArray();
    else
        fprintf(out, "%-44s %-5s %-8s %-20s %s\n", "ID", "SEV", "MATCHER", "CATEGORY", "PACK");
    for (size_t i = 0; i < pf_rules_count(rules); i++) {
        const pf_rule_info *r = pf_rules_at(rules, i);
        const char *pack = strrchr(r->file, '/') ? strrchr(r->file, '/') + 1 : r->file;
        if (!json) {
            fprintf(out, "%-44s %-5s %-8s %-20s %s\n", r->id, pf_severity_name(r->severity),
                    matcher_names[r->matcher], r->category, pack);
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "id", r->id);
        cJSON_AddStringToObject(o, "category", r->category);
        cJSON_AddStringToObject(o, "severity", pf_severity_name(r->severity));
        cJSON_AddStringToObject(o, "matcher", matcher_names[r->matcher]);
        cJSON_AddBoolToObject(o, "first_message", r->first_message);
        if (r->escalate)
            cJSON_AddStringToObject(o, "escalate", r->escalate);
        cJSON_AddStringToObject(o, "message", r->message);
        cJSON_AddStringToObject(o, "fix", r->fix);
        cJSON_AddStringToObject(o, "source", r->source);
        cJSON_AddStringToObject(o, "pack", pack);
        cJSON_AddItemToArray(doc, o);
    }
    if (json && (!doc || !pf_report_json_print(out, doc))) {
        cli_error("rules", "out of memory");
        cli_close_output(&c, out);
        goto out;
    }
    rc = cli_close_output(&c, out) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
out:
    cJSON_Delete(doc);
    pf_session_unref(session);
    cli_common_free(&c);
    return rc;
}
