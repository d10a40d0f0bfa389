/*
 * cli_segments.c — `preflight segments`: encoding and segment count of a
 * message, the per-segment split and the characters that force UCS-2.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

enum { OPT_MESSAGE = CLI_OPT_OWN, OPT_MESSAGE_FILE };

static const struct cli_opt opts[] = {
    {"message", CLI_ARG, OPT_MESSAGE, "TEXT", "the message text"},
    {"message-file", CLI_ARG, OPT_MESSAGE_FILE, "FILE", "read the message from FILE ('-': stdin)"},
    CLI_COMMON_OPTS,
};

static const char usage[] =
    "usage: preflight segments (--message TEXT | --message-file FILE) [--format text|json]";

int cli_segments(int argc, char **argv)
{
    static const char *const formats[] = {"text", "json", NULL};
    struct cli_common c;
    struct cli_parser p;
    const char *val, *text = NULL, *file = NULL;
    char *msg = NULL;
    size_t len = 0;
    int id, rc = CLI_EXIT_USAGE;
    pf_segments *seg = NULL;
    cJSON *doc = NULL;
    FILE *out = NULL;
    pf_diag d;

    cli_common_init(&c, "segments");
    cli_parser_init(&p, "segments", argc, argv, opts);
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_ERROR)
            goto out;
        if (id == CLI_POSITIONAL) {
            cli_error("segments", "unexpected argument '%s'\n%s", val, usage);
            goto out;
        }
        if (id == OPT_MESSAGE) {
            text = val;
            continue;
        }
        if (id == OPT_MESSAGE_FILE) {
            file = val;
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
    if ((rc = cli_read_message("segments", text, file, &msg, &len)) != 0)
        goto out;
    rc = CLI_EXIT_USAGE;
    if (pf_segments_compute(msg, len, &seg, &d) != PF_OK) {
        cli_error("segments", "%s", d.message);
        goto out;
    }
    if (!(out = cli_open_output(&c)))
        goto out;
    if (strcmp(c.format, "json") == 0) {
        doc = pf_report_json_segments(msg, len, seg);
        if (!doc || !pf_report_json_print(out, doc)) {
            cli_error("segments", "out of memory");
            cli_close_output(&c, out);
            goto out;
        }
    } else if (!c.quiet) {
        pf_report_text_segments(out, msg, len, seg, c.color);
    }
    rc = cli_close_output(&c, out) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
out:
    cli_common_free(&c);
    cJSON_Delete(doc);
    pf_segments_destroy(seg);
    free(msg);
    return rc;
}
