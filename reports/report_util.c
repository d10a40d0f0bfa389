/*
 * report_util.c — helpers every renderer needs.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    size_t need;
    unsigned cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 2;
        cp = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 3;
        cp = s[0] & 0x0Fu;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (left < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need;
}

void pf_report_clean_utf8(const char *in, size_t len, char *out, size_t cap)
{
    static const char repl[] = "\xEF\xBF\xBD";
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, i = 0;
    if (cap == 0)
        return;
    while (i < len) {
        size_t n = utf8_seq(s + i, len - i);
        bool control = n == 1 && (s[i] < 0x20 || s[i] == 0x7F) && s[i] != '\t' && s[i] != '\n';
        const char *src = (n == 0 || control) ? repl : in + i;
        size_t slen = (n == 0 || control) ? 3 : n;
        if (o + slen >= cap)
            break;
        memcpy(out + o, src, slen);
        o += slen;
        i += n ? n : 1;
    }
    out[o] = '\0';
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
