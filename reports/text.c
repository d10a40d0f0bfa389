/*
 * text.c — the plain-text renderer, for people at a terminal.
 */
#include <string.h>

#include "report.h"

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_OFF "\033[0m"

void pf_report_text_number(FILE *f, const pf_number *n, const char *error, bool color)
{
    char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    pf_report_clean_utf8(n->input, strlen(n->input), clean, sizeof clean);
    if (error) {
        fprintf(f, "%-20s %sunparseable%s  %s\n", clean, color ? C_RED : "",
                color ? C_OFF : "", error);
        return;
    }
    const char *state = n->valid ? "valid" : "invalid";
    const char *col = n->valid ? C_GREEN : C_RED;
    fprintf(f, "%-20s %s%-7s%s %-16s %-3s %s%s\n", clean, color ? col : "", state,
            color ? C_OFF : "", n->e164, n->region[0] ? n->region : "--",
            pf_number_type_name(n->type),
            n->strict_e164 ? "" : (n->valid ? "  (not strict E.164)" : ""));
}
