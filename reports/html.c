/*
 * html.c — `preflight audit --format html`: the launch audit as one
 * self-contained page. Inline CSS and an inline SVG chart; no script, no
 * web font, nothing fetched, so it opens offline, mails as one file and
 * prints (a print style sheet drops the colours that waste ink). It is
 * checked by the Nu HTML checker and rendered by headless Chromium in the
 * test suite.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define RED "#b71c1c"
#define AMBER "#e65100"
#define BLUE "#1565c0"
#define GREEN "#2e7d32"

/* Text as HTML: escaped, invalid UTF-8 and controls as U+FFFD. */
static const char *html_escape(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static void esc(FILE *f, const char *s)
{
    pf_report_write_escaped(f, s, html_escape);
}

static bool is_address(const char *s)
{
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0);
}

static void source_link(FILE *f, const char *url)
{
    if (is_address(url)) {
        fputs("<a href=\"", f);
        esc(f, url);
        fputs("\">", f);
        esc(f, url);
        fputs("</a>", f);
    } else {
        fputs(url ? url : "<span class=\"muted\">no source</span>", f);
    }
}

static const char *const css =
    ":root{--red:" RED ";--amber:" AMBER ";--blue:" BLUE ";--green:" GREEN ";"
    "--ink:#1a1a1a;--muted:#5f6368;--line:#dadce0;--bg:#f6f8fa}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',"
    "Arial,sans-serif;color:var(--ink);background:#fff}\n"
    "main,header .inner,footer{max-width:1120px;margin:0 auto;padding:0 24px}\n"
    "header{border-bottom:6px solid var(--v);background:var(--vbg);padding:28px 0 20px}\n"
    "header.ready{--v:var(--green);--vbg:#e8f5e9}\n"
    "header.warnings{--v:var(--amber);--vbg:#fff3e0}\n"
    "header.not-ready{--v:var(--red);--vbg:#ffebee}\n"
    "h1{margin:0 0 6px;font-size:26px}\n"
    ".verdict{display:inline-block;margin:6px 0 10px;padding:6px 16px;border-radius:6px;"
    "background:var(--v);color:#fff;font-weight:700;font-size:22px;letter-spacing:.04em;"
    "text-transform:uppercase}\n"
    ".summary{font-size:17px;margin:4px 0 12px}\n"
    ".meta{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0;color:var(--muted)}\n"
    ".meta dt{font-weight:600;color:var(--ink)}.meta dd{margin:0}\n"
    ".meta div{display:flex;gap:6px}\n"
    ".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:22px 0 6px}\n"
    ".card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:var(--bg)}\n"
    ".card b{display:block;font-size:24px}.card span{color:var(--muted)}\n"
    "h2{font-size:20px;margin:30px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}\n"
    "table{width:100%;border-collapse:collapse;margin:8px 0 4px}\n"
    "th,td{text-align:left;vertical-align:top;padding:7px 9px;border-bottom:1px solid "
    "var(--line)}\n"
    "th{background:var(--bg);font-weight:600}\n"
    "td.num{white-space:nowrap}\n"
    ".pill{display:inline-block;padding:1px 9px;border-radius:10px;font-size:13px;font-weight:600;"
    "white-space:nowrap;color:#fff}\n"
    ".s-ready,.s-pass{background:var(--green)}.s-action,.s-block{background:var(--red)}"
    ".s-unknown{background:#757575}.s-warn{background:var(--amber)}.s-info{background:var(--blue)}"
    ".s-skipped{background:#9e9e9e}\n"
    ".src{font-size:13px;word-break:break-all}\n"
    ".muted{color:var(--muted)}\n"
    ".low{color:var(--amber);font-weight:600}\n"
    "ul.findings{margin:4px 0 0;padding-left:18px}ul.findings li{margin:2px 0}\n"
    "code{font:13px/1.4 ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "background:var(--bg);padding:0 3px;border-radius:3px}\n"
    "figure{margin:8px 0}figcaption{color:var(--muted);font-size:13px}\n"
    "svg text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}\n"
    ".notes{color:var(--muted);font-size:14px}\n"
    "footer{color:var(--muted);font-size:13px;margin-top:36px;padding-bottom:30px}\n"
    "@media print{body{font-size:10.5pt}header{padding:10px 0;background:none}"
    ".cards{gap:6px}.card{background:none}th{background:none}"
    "a{color:inherit;text-decoration:none}tr,figure,.card{break-inside:avoid}"
    "h2{break-after:avoid}}\n"
    "@media (max-width:760px){.cards{grid-template-columns:repeat(2,1fr)}}\n";

static void pill(FILE *f, const char *cls, const char *text)
{
    fprintf(f, "<span class=\"pill s-%s\">", cls);
    esc(f, text);
    fputs("</span>", f);
}

static const char *state_class(pf_audit_state s)
{
    return s == PF_AUDIT_READY ? "ready" : s == PF_AUDIT_ACTION ? "action" : "unknown";
}

static void finding_list(FILE *f, const pf_finding_list *l, const pf_lint_location *locs)
{
    if (!l->count)
        return;
    fputs("<ul class=\"findings\">", f);
    for (size_t k = 0; k < l->count; k++) {
        const pf_finding *x = &l->items[k];
        fputs("<li>", f);
        pill(f, pf_severity_name(x->severity), pf_severity_name(x->severity));
        fputs(" <code>", f);
        esc(f, x->id);
        fputs("</code>", f);
        if (locs) {
            fprintf(f, " <span class=\"muted\">line %u:%u", locs[k].line, locs[k].column);
            if (locs[k].countries) {
                fputs(", ", f);
                esc(f, locs[k].countries);
            }
            fputs("</span>", f);
        }
        fputs(" ", f);
        esc(f, x->message ? x->message : "");
        if (x->fix && x->fix[0]) {
            fputs(" <span class=\"muted\">Fix: ", f);
            esc(f, x->fix);
            fputs("</span>", f);
        }
        fputs("</li>", f);
    }
    fputs("</ul>", f);
}

/* Findings by category and severity as stacked horizontal bars. */
static void chart(FILE *f, const pf_audit *a)
{
    static const char *const fills[3] = {BLUE, AMBER, RED};
    static const char *const names[3] = {"info", "warn", "block"};
    const unsigned label_w = 170, bar_w = 640, row_h = 26, gap = 10, top = 34;
    size_t max = 0;
    for (size_t i = 0; i < a->category_count; i++) {
        const size_t *n = a->categories[i].count;
        size_t total = n[0] + n[1] + n[2];
        if (total > max)
            max = total;
    }
    fputs("<figure>", f);
    if (max == 0) {
        fputs("<p class=\"muted\">No findings.</p></figure>", f);
        return;
    }
    unsigned height = top + (unsigned)a->category_count * (row_h + gap) + 24;
    unsigned width = label_w + bar_w + 150;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
            "aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 %u %u\" width=\"100%%\" "
            "style=\"max-width:%upx\">"
            "<title id=\"chart-title\">Findings by category and severity</title>"
            "<desc id=\"chart-desc\">%zu block, %zu warn and %zu info findings in %zu "
            "categories.</desc>",
            width, height, width, a->severity_count[PF_SEV_BLOCK], a->severity_count[PF_SEV_WARN],
            a->severity_count[PF_SEV_INFO], a->category_count);
    /* Legend, block first as everywhere else. */
    for (int s = 2, k = 0; s >= 0; s--, k++) {
        unsigned x = label_w + (unsigned)k * 90;
        fprintf(f,
                "<rect x=\"%u\" y=\"6\" width=\"14\" height=\"14\" rx=\"2\" fill=\"%s\"/>"
                "<text x=\"%u\" y=\"18\" font-size=\"13\" fill=\"#1a1a1a\">%s</text>",
                x, fills[s], x + 20, names[s]);
    }
    for (size_t i = 0; i < a->category_count; i++) {
        const pf_audit_category *c = &a->categories[i];
        unsigned y = top + (unsigned)i * (row_h + gap);
        fputs("<g>", f);
        fprintf(f,
                "<text x=\"%u\" y=\"%u\" font-size=\"14\" text-anchor=\"end\" "
                "fill=\"#1a1a1a\">",
                label_w - 10, y + row_h / 2 + 5);
        esc(f, c->name);
        fputs("</text>", f);
        double x = label_w;
        for (int s = 2; s >= 0; s--) {
            if (!c->count[s])
                continue;
            double w = (double)bar_w * (double)c->count[s] / (double)max;
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"%u\" fill=\"%s\">"
                    "<title>%s: %zu %s</title></rect>",
                    x, y, w, row_h, fills[s], c->name, c->count[s], names[s]);
            x += w;
        }
        char counts[96] = "";
        size_t o = 0;
        for (int s = 2; s >= 0; s--) {
            if (c->count[s] && o < sizeof counts) {
                int w = snprintf(counts + o, sizeof counts - o, "%s%zu %s", o ? " · " : "",
                                 c->count[s], names[s]);
                if (w > 0)
                    o += (size_t)w;
            }
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%u\" font-size=\"13\" fill=\"#5f6368\">%s</text></g>",
                x + 8, y + row_h / 2 + 5, counts);
    }
    fputs("</svg><figcaption>Findings of the numbers' checks and the templates' lint, by "
          "category (a finding id's area, or a content rule's category) and "
          "severity.</figcaption></figure>",
          f);
}

static void card(FILE *f, const char *value, const char *label)
{
    fputs("<div class=\"card\"><b>", f);
    esc(f, value);
    fputs("</b><span>", f);
    esc(f, label);
    fputs("</span></div>", f);
}

static void cards(FILE *f, const pf_audit *a)
{
    char v[64], l[96];
    size_t ready = 0, nok = 0, tpass = 0, tlinted = 0;
    for (size_t i = 0; i < a->item_count; i++)
        ready += a->items[i].state == PF_AUDIT_READY;
    for (size_t i = 0; i < a->number_count; i++)
        nok += a->numbers[i].can_send;
    for (size_t i = 0; a->lint && i < a->lint->count; i++) {
        const pf_lint_template *t = &a->lint->templates[i];
        tlinted += !t->skipped;
        tpass += !t->skipped && t->verdict == PF_VERDICT_PASS;
    }
    fputs("<div class=\"cards\">", f);
    snprintf(v, sizeof v, "%zu / %zu", ready, a->item_count);
    card(f, v, "checklist items ready");
    if (a->has_config) {
        snprintf(v, sizeof v, "%zu / %zu", nok, a->number_count);
        snprintf(l, sizeof l, "%s numbers can send", a->environment);
    } else {
        snprintf(v, sizeof v, "—");
        snprintf(l, sizeof l, "numbers not checked");
    }
    card(f, v, l);
    if (a->lint)
        snprintf(v, sizeof v, "%zu / %zu", tpass, tlinted);
    else
        snprintf(v, sizeof v, "—");
    card(f, v, a->lint ? "templates pass" : "templates not checked");
    snprintf(v, sizeof v, "%zu · %zu · %zu", a->severity_count[PF_SEV_BLOCK],
             a->severity_count[PF_SEV_WARN], a->severity_count[PF_SEV_INFO]);
    card(f, v, "findings: block · warn · info");
    fputs("</div>\n", f);
}

void pf_report_html_audit(FILE *f, const pf_audit *a)
{
    const pf_country *c = a->country;
    const char *vclass = a->verdict == PF_AUDIT_VERDICT_READY      ? "ready"
                         : a->verdict == PF_AUDIT_VERDICT_WARNINGS ? "warnings"
                                                                   : "not-ready";
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    fputs("Launch audit: ", f);
    esc(f, c->name);
    fprintf(f, " (%s) — %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", c->code,
            pf_audit_verdict_name(a->verdict), css);

    fprintf(f, "<header class=\"%s\"><div class=\"inner\">\n<h1>Launch audit: ", vclass);
    esc(f, c->name);
    fprintf(f, " <span class=\"muted\">(%s, +%d)</span></h1>\n", c->code, c->calling_code);
    fputs("<div class=\"verdict\">", f);
    esc(f, pf_audit_verdict_name(a->verdict));
    fputs("</div>\n<p class=\"summary\">", f);
    esc(f, a->summary);
    fputs("</p>\n<dl class=\"meta\">", f);
    fprintf(f, "<div><dt>Country entry</dt><dd>%s%s</dd></div>",
            c->reviewed[0] ? "reviewed " : "not reviewed", c->reviewed);
    fprintf(f, "<div><dt>Example recipient</dt><dd>%s</dd></div>",
            a->recipient[0] ? a->recipient : "no example number");
    fputs("<div><dt>Environment</dt><dd>", f);
    esc(f, a->environment ? a->environment : "no config given");
    fputs("</dd></div></dl>\n</div></header>\n<main>\n", f);
    cards(f, a);

    fputs("<section id=\"checklist\">\n<h2>Before launch</h2>\n<table>\n<thead><tr>"
          "<th scope=\"col\">State</th><th scope=\"col\">Item</th><th scope=\"col\">Detail</th>"
          "<th scope=\"col\">Source</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < a->item_count; i++) {
        const pf_audit_item *it = &a->items[i];
        fputs("<tr><td>", f);
        pill(f, state_class(it->state), pf_audit_state_name(it->state));
        fputs("</td><td>", f);
        esc(f, it->title);
        fputs("</td><td>", f);
        esc(f, it->detail);
        fputs("</td><td class=\"src\">", f);
        source_link(f, it->source);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n</section>\n", f);

    fputs("<section id=\"findings\">\n<h2>Findings by category and severity</h2>\n", f);
    chart(f, a);
    fputs("\n</section>\n", f);

    fputs("<section id=\"numbers\">\n<h2>Provisioned numbers", f);
    if (a->environment) {
        fputs(" (", f);
        esc(f, a->environment);
        fputs(")", f);
    }
    fputs("</h2>\n", f);
    if (!a->has_config) {
        fputs("<p class=\"muted\">Not checked: no config was given (--config).</p>\n", f);
    } else if (a->number_count == 0) {
        fputs("<p>The config has no numbers in this environment.</p>\n", f);
    } else {
        fputs("<table>\n<thead><tr><th scope=\"col\">Number</th><th scope=\"col\">Kind</th>"
              "<th scope=\"col\">Can send</th><th scope=\"col\">Two-way</th>"
              "<th scope=\"col\">What blocks it, what to watch</th></tr></thead>\n<tbody>\n",
              f);
        for (size_t i = 0; i < a->number_count; i++) {
            const pf_audit_number *n = &a->numbers[i];
            fprintf(f, "<tr><td class=\"num\">%s", n->number->number);
            if (n->number->label) {
                fputs("<br><span class=\"muted\">", f);
                esc(f, n->number->label);
                fputs("</span>", f);
            }
            fprintf(f, "</td><td>%s%s%s</td><td>", pf_sender_type_name(n->number->kind),
                    n->number->region[0] ? ", " : "", n->number->region);
            if (!n->checked)
                pill(f, "unknown", "not checked");
            else
                pill(f, n->can_send ? "pass" : "block", n->can_send ? "yes" : "no");
            fprintf(f, "</td><td>%s</td><td>", pf_tri_name(n->two_way));
            if (n->verdict.findings.count)
                finding_list(f, &n->verdict.findings, NULL);
            else
                fputs("<span class=\"muted\">nothing</span>", f);
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
    }
    if (a->other_numbers)
        fprintf(f, "<p class=\"muted\">%zu number%s of other environments not audited.</p>\n",
                a->other_numbers, a->other_numbers == 1 ? "" : "s");
    fputs("</section>\n", f);

    fputs("<section id=\"templates\">\n<h2>Templates</h2>\n", f);
    if (!a->lint) {
        fputs("<p class=\"muted\">Not checked: no templates were given (--templates).</p>\n", f);
    } else if (a->lint->count == 0) {
        fputs("<p>No templates were found.</p>\n", f);
    } else {
        fprintf(f,
                "<p>Each template linted for %s. Segments are what one send is billed as: "
                "best case with every variable empty, worst case with every variable at its "
                "max_length; the limit is %u.</p>\n",
                c->code, a->lint->max_segments);
        fputs("<table>\n<thead><tr><th scope=\"col\">Template</th><th scope=\"col\">Verdict</th>"
              "<th scope=\"col\">Segments</th><th scope=\"col\">Findings</th></tr></thead>\n"
              "<tbody>\n",
              f);
        for (size_t i = 0; i < a->lint->count; i++) {
            const pf_lint_template *t = &a->lint->templates[i];
            fputs("<tr><td><b>", f);
            esc(f, t->def->name);
            fputs("</b><br><span class=\"muted\">", f);
            esc(f, t->def->file);
            fprintf(f, ":%u</span></td><td>", t->def->line);
            if (t->skipped) {
                pill(f, "skipped", "skipped");
                fputs("</td><td>—</td><td class=\"muted\">", f);
                esc(f, t->skip_reason);
                fputs("</td></tr>\n", f);
                continue;
            }
            pill(f, pf_verdict_name(t->verdict), pf_verdict_name(t->verdict));
            fprintf(f,
                    "</td><td class=\"num\">%zu–%zu<br><span class=\"muted\">%s at "
                    "worst</span></td><td>",
                    t->best.segments, t->worst.segments, pf_encoding_name(t->worst.encoding));
            if (t->findings.count)
                finding_list(f, &t->findings, t->locations);
            else
                fputs("<span class=\"muted\">nothing</span>", f);
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody>\n</table>\n", f);
    }
    fputs("</section>\n", f);

    fputs("<section id=\"facts\">\n<h2>Country facts</h2>\n<table>\n<thead><tr>"
          "<th scope=\"col\">Fact</th><th scope=\"col\">Value</th><th scope=\"col\">Source</th>"
          "<th scope=\"col\">Reviewed</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < a->fact_count; i++) {
        const pf_audit_fact *x = &a->facts[i];
        fputs("<tr><td>", f);
        esc(f, x->label);
        fprintf(f, "</td><td%s>", x->known ? "" : " class=\"muted\"");
        esc(f, x->value);
        fputs("</td><td class=\"src\">", f);
        source_link(f, x->source);
        if (x->low_confidence)
            fputs(" <span class=\"low\">low confidence</span>", f);
        fprintf(f, "</td><td class=\"num\">%s</td></tr>\n", c->reviewed[0] ? c->reviewed : "—");
    }
    fputs("</tbody>\n</table>\n", f);
    if (c->notes && c->notes[0]) {
        fputs("<p class=\"notes\">", f);
        esc(f, c->notes);
        fputs("</p>\n", f);
    }
    fputs("</section>\n</main>\n<footer>Generated by preflight ", f);
    esc(f, pf_version());
    fputs(" from the country table, the project config and the templates. Facts marked "
          "unknown are not known to any source the table cites; they are never guessed."
          "</footer>\n</body>\n</html>\n",
          f);
}
