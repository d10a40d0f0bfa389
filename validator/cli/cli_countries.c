/*
 * cli_countries.c — `preflight countries [CC...]`: the country table, as a
 * compact list or as full entries with their sources; `--check` re-validates
 * the table's invariants and lists the facts that rest only on
 * low-confidence sources.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

enum { OPT_CHECK = CLI_OPT_OWN };

static const struct cli_opt opts[] = {
    {"check", CLI_NO_ARG, OPT_CHECK, NULL,
     "check the table's invariants and list facts backed only by low-confidence sources "
     "(exit 1 when an invariant is broken)"},
    CLI_COMMON_OPTS,
};

static const char usage[] = "usage: preflight countries [--check] [--format text|json] "
                            "[--data DIR]... [CC...]";

/* The sources of c that back field, as a JSON array or a text list. */
static bool add_sources(FILE *out, cJSON *arr, const pf_country *c, const char *field)
{
    for (size_t s = 0; s < c->source_count; s++) {
        if (!pf_source_backs(&c->sources[s], field))
            continue;
        if (!arr)
            fprintf(out, " %s", c->sources[s].url);
        else if (!cJSON_AddItemToArray(arr, cJSON_CreateString(c->sources[s].url)))
            return false;
    }
    return true;
}

static bool wanted(const char *code, const char *const *codes, int ncodes)
{
    for (int k = 0; k < ncodes; k++) {
        if (strcmp(codes[k], code) == 0)
            return true;
    }
    return ncodes == 0;
}

/* --check: broken invariants (they fail the run), then every fact whose
 * only backing is low-confidence, with the sources a reviewer should read. */
static int check_table(FILE *out, const pf_countries *table, const char *const *codes, int ncodes,
                       bool json)
{
    size_t cap = pf_countries_check(table, NULL, 0), nissues = 0, nshown = 0, nlow = 0, nreg = 0;
    pf_country_issue *issues = calloc(cap ? cap : 1, sizeof *issues);
    cJSON *doc = json ? cJSON_CreateObject() : NULL;
    cJSON *ji = doc ? cJSON_AddArrayToObject(doc, "issues") : NULL;
    cJSON *jl = doc ? cJSON_AddArrayToObject(doc, "low_confidence") : NULL;
    int rc = CLI_EXIT_USAGE;
    if (!issues || (json && !jl))
        goto out;
    nissues = pf_countries_check(table, issues, cap);
    for (size_t i = 0; i < nissues; i++) {
        if (!wanted(issues[i].code, codes, ncodes))
            continue;
        nshown++;
        if (!json) {
            fprintf(out, "invariant: %s %s: %s\n", issues[i].code, issues[i].field,
                    issues[i].message);
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(ji, o)) {
            cJSON_Delete(o);
            goto out;
        }
        if (!cJSON_AddStringToObject(o, "code", issues[i].code) ||
            !cJSON_AddStringToObject(o, "field", issues[i].field) ||
            !cJSON_AddStringToObject(o, "message", issues[i].message))
            goto out;
    }
    size_t n = ncodes ? (size_t)ncodes : pf_countries_count(table);
    for (size_t i = 0; i < n; i++) {
        const pf_country *c =
            ncodes ? pf_countries_get(table, codes[i]) : pf_countries_at(table, i);
        const char *fields[32];
        size_t nf = pf_country_low_confidence(c, fields, 32);
        nlow += nf;
        nreg += nf ? 1 : 0;
        for (size_t k = 0; k < nf && k < 32; k++) {
            cJSON *o = NULL, *urls = NULL;
            if (json) {
                o = cJSON_CreateObject();
                if (!o || !cJSON_AddItemToArray(jl, o)) {
                    cJSON_Delete(o);
                    goto out;
                }
                if (!cJSON_AddStringToObject(o, "code", c->code) ||
                    !cJSON_AddStringToObject(o, "field", fields[k]) ||
                    !(urls = cJSON_AddArrayToObject(o, "sources")))
                    goto out;
            } else {
                fprintf(out, "low confidence: %s %s:", c->code, fields[k]);
            }
            if (!add_sources(out, urls, c, fields[k]))
                goto out;
            if (!json)
                fputc('\n', out);
        }
    }
    if (json) {
        if (!pf_report_json_print(out, doc))
            goto out;
    } else {
        fprintf(out,
                "%zu broken invariant%s; %zu fact%s in %zu region%s rest only on "
                "low-confidence sources\n",
                nshown, nshown == 1 ? "" : "s", nlow, nlow == 1 ? "" : "s", nreg,
                nreg == 1 ? "" : "s");
    }
    rc = nshown ? CLI_EXIT_FINDING : CLI_EXIT_OK;
out:
    if (rc == CLI_EXIT_USAGE)
        cli_error("countries", "out of memory");
    cJSON_Delete(doc);
    free(issues);
    return rc;
}

int cli_countries(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val;
    const char **codes = calloc((size_t)argc, sizeof *codes);
    int id, ncodes = 0, rc = CLI_EXIT_USAGE;
    bool check = false;
    pf_session *session = NULL;
    const pf_countries *table = NULL;
    cJSON *doc = NULL;
    FILE *out = NULL;

    cli_common_init(&c, "countries");
    cli_parser_init(&p, "countries", argc, argv, opts);
    if (!codes)
        goto out;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        if (id == CLI_POSITIONAL) {
            codes[ncodes++] = val;
            continue;
        }
        if (id == OPT_CHECK) {
            check = true;
            continue;
        }
        int h = cli_common_option(&c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if (!cli_check_format(&c, formats) || !cli_open_session(&c, &session))
        goto out;
    table = pf_session_countries(session);
    for (int i = 0; i < ncodes; i++) {
        if (!pf_countries_get(table, codes[i])) {
            cli_error("countries",
                      "'%s' is not a region in the table (use ISO 3166-1 "
                      "alpha-2, upper case, e.g. DE)",
                      codes[i]);
            goto out;
        }
    }
    out = cli_open_output(&c);
    if (!out)
        goto out;
    bool json = strcmp(c.format, "json") == 0;
    if (check) {
        rc = check_table(out, table, codes, ncodes, json);
        if (!cli_close_output(&c, out))
            rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (json && !(doc = cJSON_CreateArray()))
        goto nomem;
    size_t n = ncodes ? (size_t)ncodes : pf_countries_count(table);
    if (!json && !ncodes)
        pf_report_text_country_header(out);
    for (size_t i = 0; i < n; i++) {
        const pf_country *e =
            ncodes ? pf_countries_get(table, codes[i]) : pf_countries_at(table, i);
        if (json) {
            cJSON *o = pf_report_json_country(e);
            if (!o || !cJSON_AddItemToArray(doc, o)) {
                cJSON_Delete(o);
                goto nomem;
            }
        } else if (ncodes) {
            if (i)
                fputc('\n', out);
            pf_report_text_country(out, e, c.color);
        } else {
            pf_report_text_country_row(out, e);
        }
    }
    if (json && !pf_report_json_print(out, doc))
        goto nomem;
    rc = CLI_EXIT_OK;
    goto close;
nomem:
    cli_error("countries", "out of memory");
    rc = CLI_EXIT_USAGE;
close:
    if (!cli_close_output(&c, out))
        rc = CLI_EXIT_USAGE;
out:
    cJSON_Delete(doc);
    pf_session_unref(session);
    cli_common_free(&c);
    free(codes);
    return rc;
}
