/*
 * cli_countries.c — `preflight countries [CC...]`: the country table, as a
 * compact list or as full entries with their sources.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static const struct cli_opt opts[] = {
    CLI_COMMON_OPTS,
};

static const char usage[] = "usage: preflight countries [--format text|json] [--data DIR]... "
                            "[CC...]";

int cli_countries(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val;
    const char **codes = calloc((size_t)argc, sizeof *codes);
    int id, ncodes = 0, rc = CLI_EXIT_USAGE;
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
