/*
 * report_util.c — helpers every renderer needs.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

void pf_report_clean_utf8(const char *in, size_t len, char *out, size_t cap)
{
    /* One decoder for the whole program: the library's. */
    pf_utf8_clean(in, len, out, cap);
}

bool pf_report_json_print(FILE *f, const cJSON *doc)
{
    char *s = cJSON_Print(doc);
    if (!s)
        return false;
    fputs(s, f);
    fputc('\n', f);
    free(s);
    return true;
}

void pf_report_write_escaped(FILE *f, const char *s, const char *(*escape)(char c))
{
    size_t n = strlen(s);
    char *clean = malloc(n * 3 + 1);
    if (!clean)
        return;
    pf_report_clean_utf8(s, n, clean, n * 3 + 1);
    for (const char *p = clean; *p; p++) {
        const char *r = escape(*p);
        if (r)
            fputs(r, f);
        else
            fputc(*p, f);
    }
    free(clean);
}
