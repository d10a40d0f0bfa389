/*
 * lint_text.c — `preflight lint` for people and for editors that read
 * compiler output: "path:line:col: severity: message [id]", then the
 * source line with a caret under the span, then the fix; a note per
 * template with its best and worst length; a summary at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define C_BOLD "\033[1m"
#define C_RED "\033[1;31m"
#define C_YELLOW "\033[1;33m"
#define C_CYAN "\033[1;36m"
#define C_GREEN "\033[1;32m"
#define C_OFF "\033[0m"

static const char *sev_color(pf_severity s)
{
    return s == PF_SEV_BLOCK ? C_RED : s == PF_SEV_WARN ? C_YELLOW : C_CYAN;
}

/* Code points in s[0..n). */
static size_t code_points(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset of code point col (1-based) in s[0..n), or n. */
static size_t byte_at(const char *s, size_t n, unsigned col)
{
    size_t i = 0;
    for (unsigned c = 1; c < col && i < n; c++) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* "   12 | source" and "      | ^~~~" under the span (to the end of the
 * line when the span goes on). Tabs are kept so the caret lines up. */
static void source_and_caret(FILE *f, const pf_lint_location *loc, bool color)
{
    const char *s = loc->source_line;
    size_t n = loc->source_line_len;
    char *clean = malloc(n * 3 + 1);
    if (!clean)
        return;
    pf_report_clean_utf8(s, n, clean, n * 3 + 1);
    fprintf(f, "%5u | %s\n", loc->line, clean);
    free(clean);
    size_t start = byte_at(s, n, loc->column);
    size_t width = loc->end_line == loc->line && loc->end_column > loc->column
                       ? loc->end_column - loc->column
                       : code_points(s + start, n - start);
    if (width == 0)
        width = 1;
    fputs("      | ", f);
    for (size_t i = 0; i < start; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            fputc(s[i] == '\t' ? '\t' : ' ', f);
    }
    fputs(color ? C_GREEN "^" : "^", f);
    for (size_t i = 1; i < width; i++)
        fputc('~', f);
    fputs(color ? C_OFF "\n" : "\n", f);
}

static void length_text(char *buf, size_t cap, const pf_length_estimate *e)
{
    snprintf(buf, cap, "%zu segment%s (%s, %zu character%s)", e->segments,
             e->segments == 1 ? "" : "s", pf_encoding_name(e->encoding), e->characters,
             e->characters == 1 ? "" : "s");
}

static void template_note(FILE *f, const pf_lint_template *t, bool color)
{
    const pf_template_def *d = t->def;
    fprintf(f, "%s%s:%u:%u:%s %snote:%s template '%s'", color ? C_BOLD : "", d->file, d->line,
            d->column, color ? C_OFF : "", color ? C_CYAN : "", color ? C_OFF : "", d->name);
    if (t->skipped) {
        fprintf(f, " skipped: %s\n", t->skip_reason);
        return;
    }
    char best[96], worst[96];
    length_text(best, sizeof best, &t->best);
    length_text(worst, sizeof worst, &t->worst);
    fprintf(f, "%s%s: %s; best case %s, worst case %s\n", t->countries[0] ? " for " : "",
            t->countries, pf_verdict_name(t->verdict), best, worst);
}

void pf_report_text_lint(FILE *f, const pf_lint_result *r, bool color)
{
    for (size_t i = 0; i < r->count; i++) {
        const pf_lint_template *t = &r->templates[i];
        for (size_t k = 0; k < t->findings.count; k++) {
            const pf_finding *x = &t->findings.items[k];
            const pf_lint_location *loc = &t->locations[k];
            fprintf(f, "%s%s:%u:%u:%s %s%s:%s %s [%s]", color ? C_BOLD : "", t->def->file,
                    loc->line, loc->column, color ? C_OFF : "", color ? sev_color(x->severity) : "",
                    pf_severity_name(x->severity), color ? C_OFF : "", x->message ? x->message : "",
                    x->id);
            if (loc->countries)
                fprintf(f, " (%s)", loc->countries);
            fputc('\n', f);
            source_and_caret(f, loc, color);
            if (x->fix && x->fix[0])
                fprintf(f, "      = fix: %s\n", x->fix);
        }
        template_note(f, t, color);
    }
    size_t linted = r->count - r->skipped;
    fprintf(f, "%zu file%s, %zu template%s linted", r->file_count, r->file_count == 1 ? "" : "s",
            linted, linted == 1 ? "" : "s");
    if (r->skipped)
        fprintf(f, " (%zu skipped)", r->skipped);
    fprintf(f, ": %zu block, %zu warn, %zu info; verdict %s%s%s\n", r->severity_count[PF_SEV_BLOCK],
            r->severity_count[PF_SEV_WARN], r->severity_count[PF_SEV_INFO],
            color ? (r->verdict == PF_VERDICT_BLOCK  ? C_RED
                     : r->verdict == PF_VERDICT_WARN ? C_YELLOW
                                                     : C_GREEN)
                  : "",
            pf_verdict_name(r->verdict), color ? C_OFF : "");
}

/* The source line and caret, for the campaign report (campaign_report.c). */
void pf_report_text_source_caret(FILE *f, const pf_lint_location *loc, bool color)
{
    source_and_caret(f, loc, color);
}
