/*
 * cli_number.c — `preflight number`: parse and classify phone numbers.
 *
 * Exit 0 when every number is valid, 1 when any is invalid or cannot be
 * parsed, 2 on a usage error.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

enum { OPT_REGION = CLI_OPT_OWN, OPT_INPUT };

static const struct cli_opt opts[] = {
    {"region", CLI_ARG, OPT_REGION, "CC", "region for numbers written without '+'"},
    {"input", CLI_ARG, OPT_INPUT, "FILE", "read numbers from FILE, one per line ('-': stdin)"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight number [--region CC] [--input FILE] [--format text|json] NUMBER...";

/* Input files hold one number per line; a longer line is still one number. */
#define NUMBER_FILE_MAX (16u << 20)

struct number_run {
    const struct cli_common *c;
    const char *region;
    FILE *out;
    cJSON *doc;
    bool any_invalid;
};

/* Parse one number and render it; line > 0 names its line in --input. */
static bool one(struct number_run *r, const char *s, size_t len, const char *file, unsigned line)
{
    pf_number n;
    pf_diag d;
    pf_status st = pf_number_parse(s, len, r->region, &n, &d);
    const char *error = st == PF_OK ? NULL : d.message;
    if (st != PF_OK || !n.valid)
        r->any_invalid = true;
    if (r->doc) {
        cJSON *o = pf_report_json_number(&n, error);
        if (o && line && !cJSON_AddNumberToObject(o, "line", line)) {
            cJSON_Delete(o);
            o = NULL;
        }
        if (!o || !cJSON_AddItemToArray(r->doc, o)) {
            cJSON_Delete(o);
            return false;
        }
    } else if (!r->c->quiet) {
        if (line)
            fprintf(r->out, "%s:%u: ", file, line);
        pf_report_text_number(r->out, &n, error, r->c->color);
    }
    return true;
}

static int from_file(struct number_run *r, const char *path)
{
    char *buf;
    size_t len;
    pf_diag d;
    pf_status st = pf_read_file(path, NUMBER_FILE_MAX, &buf, &len, &d);
    if (st != PF_OK) {
        cli_error_diag("number", &d);
        return CLI_EXIT_USAGE;
    }
    size_t start = 0;
    unsigned line = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && buf[i] != '\n')
            continue;
        size_t end = i;
        line++;
        if (end > start && buf[end - 1] == '\r')
            end--;
        if (i == len && end == start)
            break; /* the newline at the end of the last line */
        /* Every line is one number, a blank one too: it gets its own
         * "empty" error rather than being skipped silently. */
        if (!one(r, buf + start, end - start, path, line)) {
            free(buf);
            return -1;
        }
        start = i + 1;
    }
    free(buf);
    return 0;
}

int cli_number(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_common c;
    struct cli_parser p;
    struct number_run r = {.c = &c};
    const char *input = NULL, *val;
    int id, rc = CLI_EXIT_USAGE, nargs = 0;
    char **numbers = calloc((size_t)argc, sizeof *numbers);

    cli_common_init(&c, "number");
    cli_parser_init(&p, "number", argc, argv, opts);
    if (!numbers)
        goto out;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        if (id == CLI_POSITIONAL) {
            numbers[nargs++] = (char *)val;
            continue;
        }
        if (id == OPT_REGION) {
            r.region = val;
            continue;
        }
        if (id == OPT_INPUT) {
            input = val;
            continue;
        }
        int h = cli_common_option(&c, id, val, opts, usage);
        if (h == 2)
            rc = CLI_EXIT_OK;
        if (h != 1)
            goto out;
    }
    if (!cli_check_format(&c, formats))
        goto out;
    if (nargs == 0 && !input) {
        cli_error("number", "no numbers given\n%s", usage);
        goto out;
    }
    if (r.region && !pf_region_is_supported(r.region)) {
        cli_error("number",
                  "--region: unknown region code '%s' (use ISO 3166-1 alpha-2, "
                  "upper case, e.g. US)",
                  r.region);
        goto out;
    }
    r.out = cli_open_output(&c);
    if (!r.out)
        goto out;
    if (strcmp(c.format, "json") == 0 && !(r.doc = cJSON_CreateArray()))
        goto fail;
    for (int i = 0; i < nargs; i++) {
        if (!one(&r, numbers[i], strlen(numbers[i]), NULL, 0))
            goto fail;
    }
    if (input) {
        int frc = from_file(&r, input);
        if (frc > 0) {
            rc = frc;
            goto close;
        }
        if (frc < 0)
            goto fail;
    }
    if (r.doc && !c.quiet && !pf_report_json_print(r.out, r.doc))
        goto fail;
    rc = r.any_invalid ? CLI_EXIT_FINDING : CLI_EXIT_OK;
    goto close;
fail:
    cli_error("number", "out of memory");
    rc = CLI_EXIT_USAGE;
close:
    if (!cli_close_output(&c, r.out))
        rc = CLI_EXIT_USAGE;
out:
    cli_common_free(&c);
    cJSON_Delete(r.doc);
    free(numbers);
    return rc;
}
