/*
 * junit.c — `preflight lint --format junit`: JUnit XML, which every CI
 * system shows as a test report. One testsuite per file, one testcase per
 * template, a failure per finding at or above --fail-on (so the report
 * fails exactly when the exit code does); a template not sent to the
 * countries asked for is a skipped testcase.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Text as XML character data or attribute value: escaped, with every
 * character XML 1.0 forbids (controls other than tab and newline, bad
 * UTF-8) shown as U+FFFD. */
static const char *xml_escape(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\n': return "&#10;";
    case '\t': return "&#9;";
    default: return NULL;
    }
}

static void xml(FILE *f, const char *s)
{
    pf_report_write_escaped(f, s, xml_escape);
}

/* Findings of t at or above fail_on. */
static size_t failures(const pf_lint_template *t, pf_severity fail_on)
{
    size_t n = 0;
    for (size_t k = 0; k < t->findings.count; k++)
        n += t->findings.items[k].severity >= fail_on;
    return n;
}

static void testcase(FILE *f, const pf_lint_template *t, pf_severity fail_on)
{
    fputs("    <testcase name=\"", f);
    xml(f, t->def->name);
    fputs("\" classname=\"", f);
    xml(f, t->def->file);
    fputs("\" time=\"0\"", f);
    if (t->skipped) {
        fputs(">\n      <skipped message=\"", f);
        xml(f, t->skip_reason);
        fputs("\"/>\n    </testcase>\n", f);
        return;
    }
    if (!failures(t, fail_on)) {
        fputs("/>\n", f);
        return;
    }
    fputs(">\n", f);
    for (size_t k = 0; k < t->findings.count; k++) {
        const pf_finding *x = &t->findings.items[k];
        const pf_lint_location *loc = &t->locations[k];
        if (x->severity < fail_on)
            continue;
        fputs("      <failure type=\"", f);
        xml(f, x->id);
        fputs("\" message=\"", f);
        xml(f, x->message ? x->message : "");
        fputs("\">", f);
        xml(f, t->def->file);
        fprintf(f, ":%u:%u: %s: ", loc->line, loc->column, pf_severity_name(x->severity));
        xml(f, x->message ? x->message : "");
        fputs(" [", f);
        xml(f, x->id);
        fputs("]", f);
        if (loc->countries) {
            fputs(" (", f);
            xml(f, loc->countries);
            fputs(")", f);
        }
        if (x->fix && x->fix[0]) {
            fputs("\nfix: ", f);
            xml(f, x->fix);
        }
        fputs("\nsource: ", f);
        xml(f, x->source ? x->source : "heuristic");
        fputs("</failure>\n", f);
    }
    fputs("    </testcase>\n", f);
}

void pf_report_junit_lint(FILE *f, const pf_lint_result *r, pf_severity fail_on)
{
    size_t tests = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < r->count; i++) {
        tests++;
        skipped += r->templates[i].skipped;
        failed += !r->templates[i].skipped && failures(&r->templates[i], fail_on) > 0;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"preflight lint\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"%zu\" time=\"0\">\n",
            tests, failed, skipped);
    for (size_t i = 0; i < r->file_count; i++) {
        const pf_lint_file *lf = &r->files[i];
        size_t ft = 0, ff = 0, fs = 0;
        for (size_t k = 0; k < lf->count; k++) {
            const pf_lint_template *t = &r->templates[lf->first + k];
            ft++;
            fs += t->skipped;
            ff += !t->skipped && failures(t, fail_on) > 0;
        }
        fputs("  <testsuite name=\"", f);
        xml(f, lf->path);
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"0\"", ft,
                ff, fs);
        if (!lf->count) {
            fputs("/>\n", f);
            continue;
        }
        fputs(">\n", f);
        for (size_t k = 0; k < lf->count; k++)
            testcase(f, &r->templates[lf->first + k], fail_on);
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
}
