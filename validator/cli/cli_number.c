/*
 * cli_number.c — `preflight number`: parse and classify phone numbers.
 *
 * Results stream: each number is written as soon as it is parsed — a line
 * of text, a line of JSON (--format jsonl), or the next element of a JSON
 * array printed piece by piece exactly as cJSON prints the whole array — so
 * memory stays flat however long --input is.
 *
 * Exit 0 when every number is valid, 1 when any is invalid or cannot be
 * parsed, 2 on a usage error.
 */
#include <errno.h>
#include <stdio.h>
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
    "usage: preflight number [--region CC] [--input FILE] [--format text|json|jsonl] NUMBER...";

enum number_format { FMT_TEXT, FMT_JSON, FMT_JSONL };

struct number_run {
    const struct cli_common *c;
    const char *region;
    FILE *out;
    enum number_format format;
    size_t emitted; /* JSON elements written so far */
    bool any_invalid;
};

/*
 * Write one result object. The JSON array is cJSON's formatted print of
 * the whole array, produced element by element: each element is printed
 * inside a one-element array (so at the nesting depth it has in the whole)
 * and written without that array's brackets.
 */
static bool emit(struct number_run *r, cJSON *o)
{
    bool ok = false;
    char *s = NULL;
    if (r->format == FMT_JSONL) {
        if (!(s = cJSON_PrintUnformatted(o)))
            goto out;
        fputs(s, r->out);
        fputc('\n', r->out);
        ok = true;
        goto out;
    }
    cJSON *a = cJSON_CreateArray();
    if (!a || !cJSON_AddItemReferenceToArray(a, o)) {
        cJSON_Delete(a);
        goto out;
    }
    s = cJSON_Print(a);
    cJSON_Delete(a);
    if (!s)
        goto out;
    size_t n = strlen(s);
    fputs(r->emitted ? ", " : "[", r->out);
    fwrite(s + 1, 1, n - 2, r->out);
    r->emitted++;
    ok = true;
out:
    free(s);
    return ok;
}

/* Parse one number and render it; line > 0 names its line in --input. */
static bool one(struct number_run *r, const char *s, size_t len, const char *file, unsigned line)
{
    pf_number n;
    pf_diag d;
    pf_status st = pf_number_parse(s, len, r->region, &n, &d);
    const char *error = st == PF_OK ? NULL : d.message;
    if (st != PF_OK || !n.valid)
        r->any_invalid = true;
    if (r->c->quiet)
        return true;
    if (r->format != FMT_TEXT) {
        cJSON *o = pf_report_json_number(&n, error);
        bool ok = o && (!line || cJSON_AddNumberToObject(o, "line", line)) && emit(r, o);
        cJSON_Delete(o);
        return ok;
    }
    if (line)
        fprintf(r->out, "%s:%u: ", file, line);
    pf_report_text_number(r->out, &n, error, r->c->color);
    return true;
}

/*
 * Every line of f is one number, a blank one too: it gets its own "empty"
 * error rather than being skipped silently. A line may be any length.
 * Returns 0, CLI_EXIT_USAGE after a read error (reported), or -1 when out
 * of memory.
 */
static int from_file(struct number_run *r, FILE *f, const char *path)
{
    char *buf = NULL;
    size_t cap = 0;
    unsigned line = 0;
    int rc = 0;
    ssize_t got;

    errno = 0;
    while ((got = getline(&buf, &cap, f)) >= 0) {
        size_t end = (size_t)got;
        line++;
        if (end > 0 && buf[end - 1] == '\n')
            end--;
        if (end > 0 && buf[end - 1] == '\r')
            end--;
        if (!one(r, buf, end, path, line)) {
            rc = -1;
            goto out;
        }
        errno = 0;
    }
    if (ferror(f) || (errno && errno != EINVAL)) {
        if (errno == ENOMEM) {
            rc = -1;
            goto out;
        }
        cli_error("number", "%s: read error: %s", path, strerror(errno ? errno : EIO));
        rc = CLI_EXIT_USAGE;
    }
out:
    free(buf);
    return rc;
}

int cli_number(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", "jsonl", NULL};
    struct cli_common c;
    struct cli_parser p;
    struct number_run r = {.c = &c};
    const char *input = NULL, *val;
    int id, rc = CLI_EXIT_USAGE, nargs = 0;
    char **numbers = calloc((size_t)argc, sizeof *numbers);
    FILE *in = NULL;

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
    if (r.region && !cli_region_ok("number", r.region))
        goto out;
    /* Opened before anything is written, so a file that cannot be read
     * leaves no partial output behind. */
    if (input && !(in = strcmp(input, "-") == 0 ? stdin : fopen(input, "rb"))) {
        cli_error("number", "%s: cannot open: %s", input, strerror(errno));
        goto out;
    }
    r.out = cli_open_output(&c);
    if (!r.out)
        goto out;
    r.format = strcmp(c.format, "json") == 0    ? FMT_JSON
               : strcmp(c.format, "jsonl") == 0 ? FMT_JSONL
                                                : FMT_TEXT;
    for (int i = 0; i < nargs; i++) {
        if (!one(&r, numbers[i], strlen(numbers[i]), NULL, 0))
            goto fail;
    }
    if (in) {
        int frc = from_file(&r, in, input);
        if (frc < 0)
            goto fail;
        if (frc > 0) {
            rc = frc;
            goto close;
        }
    }
    if (r.format == FMT_JSON && !c.quiet)
        fputs(r.emitted ? "]\n" : "[]\n", r.out);
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
    if (in && in != stdin)
        fclose(in);
    free(numbers);
    return rc;
}
