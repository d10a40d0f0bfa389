/*
 * audit_text.c — `preflight audit` for a terminal: the verdict first, then
 * the checklist, the numbers, the templates, the findings by category and
 * the country's facts with their sources.
 */
#include <string.h>

#include "report.h"

#define C_BOLD "\033[1m"
#define C_RED "\033[1;31m"
#define C_YELLOW "\033[1;33m"
#define C_CYAN "\033[1;36m"
#define C_GREEN "\033[1;32m"
#define C_OFF "\033[0m"

static const char *state_color(pf_audit_state s)
{
    return s == PF_AUDIT_READY ? C_GREEN : s == PF_AUDIT_ACTION ? C_RED : C_YELLOW;
}

static const char *sev_color(pf_severity s)
{
    return s == PF_SEV_BLOCK ? C_RED : s == PF_SEV_WARN ? C_YELLOW : C_CYAN;
}

static void heading(FILE *f, const char *text, bool color)
{
    fprintf(f, "\n%s%s%s\n", color ? C_BOLD : "", text, color ? C_OFF : "");
}

static void findings(FILE *f, const pf_finding_list *l, const pf_lint_location *locs, bool color)
{
    for (size_t k = 0; k < l->count; k++) {
        const pf_finding *x = &l->items[k];
        fprintf(f, "      %s%-5s%s %s", color ? sev_color(x->severity) : "",
                pf_severity_name(x->severity), color ? C_OFF : "", x->id);
        if (locs)
            fprintf(f, " (line %u:%u)", locs[k].line, locs[k].column);
        fprintf(f, ": %s\n", x->message ? x->message : "");
    }
}

void pf_report_text_audit(FILE *f, const pf_audit *a, bool color)
{
    const pf_country *c = a->country;
    const char *vcol = a->verdict == PF_AUDIT_VERDICT_READY      ? C_GREEN
                       : a->verdict == PF_AUDIT_VERDICT_WARNINGS ? C_YELLOW
                                                                 : C_RED;
    fprintf(f, "%sLaunch audit: %s (%s, +%d)%s\n", color ? C_BOLD : "", c->name, c->code,
            c->calling_code, color ? C_OFF : "");
    fprintf(f, "verdict: %s%s%s\n", color ? vcol : "", pf_audit_verdict_name(a->verdict),
            color ? C_OFF : "");
    fprintf(f, "%s\n", a->summary);
    fprintf(f, "country entry: %s%s; example recipient: %s; environment: %s\n",
            c->reviewed[0] ? "reviewed " : "not reviewed", c->reviewed,
            a->recipient[0] ? a->recipient : "(no example number)",
            a->environment ? a->environment : "(no --config)");

    heading(f, "Checklist", color);
    for (size_t i = 0; i < a->item_count; i++) {
        const pf_audit_item *it = &a->items[i];
        char state[32];
        snprintf(state, sizeof state, "[%s]", pf_audit_state_name(it->state));
        fprintf(f, "  %s%-15s%s %s\n", color ? state_color(it->state) : "", state,
                color ? C_OFF : "", it->title);
        fprintf(f, "                  %s\n", it->detail);
        if (it->source)
            fprintf(f, "                  source: %s\n", it->source);
    }

    heading(f, "Numbers", color);
    if (!a->has_config)
        fprintf(f, "  not checked: no --config given\n");
    else if (a->number_count == 0)
        fprintf(f, "  the config has no %s numbers\n", a->environment);
    for (size_t i = 0; i < a->number_count; i++) {
        const pf_audit_number *n = &a->numbers[i];
        const char *state = !n->checked ? "not checked" : n->can_send ? "can send" : "cannot send";
        fprintf(f, "  %-16s %-11s %-3s %s%-11s%s two-way %-7s %s\n", n->number->number,
                pf_sender_type_name(n->number->kind),
                n->number->region[0] ? n->number->region : "--",
                color ? (n->can_send ? C_GREEN : C_RED) : "", state, color ? C_OFF : "",
                pf_tri_name(n->two_way), n->number->label ? n->number->label : "");
        findings(f, &n->verdict.findings, NULL, color);
    }
    if (a->other_numbers)
        fprintf(f, "  (%zu number%s of other environments not audited)\n", a->other_numbers,
                a->other_numbers == 1 ? "" : "s");

    heading(f, "Templates", color);
    if (!a->lint)
        fprintf(f, "  not checked: no --templates given\n");
    for (size_t i = 0; a->lint && i < a->lint->count; i++) {
        const pf_lint_template *t = &a->lint->templates[i];
        if (t->skipped) {
            fprintf(f, "  %-24s skipped   %s (%s)\n", t->def->name, t->skip_reason, t->def->file);
            continue;
        }
        fprintf(f, "  %-24s %s%-9s%s %zu-%zu segment%s (%s at worst)  %s:%u\n", t->def->name,
                color ? (t->verdict == PF_VERDICT_BLOCK  ? C_RED
                         : t->verdict == PF_VERDICT_WARN ? C_YELLOW
                                                         : C_GREEN)
                      : "",
                pf_verdict_name(t->verdict), color ? C_OFF : "", t->best.segments,
                t->worst.segments, t->worst.segments == 1 ? "" : "s",
                pf_encoding_name(t->worst.encoding), t->def->file, t->def->line);
        findings(f, &t->findings, t->locations, color);
    }

    heading(f, "Findings by category", color);
    if (a->category_count == 0)
        fprintf(f, "  none\n");
    for (size_t i = 0; i < a->category_count; i++) {
        const pf_audit_category *cat = &a->categories[i];
        fprintf(f, "  %-22s block %-3zu warn %-3zu info %zu\n", cat->name, cat->count[PF_SEV_BLOCK],
                cat->count[PF_SEV_WARN], cat->count[PF_SEV_INFO]);
    }

    heading(f, "Country facts", color);
    for (size_t i = 0; i < a->fact_count; i++) {
        const pf_audit_fact *x = &a->facts[i];
        fprintf(f, "  %-32s %s\n", x->label, x->value);
        fprintf(f, "  %-32s %s%s%s%s\n", "", x->source ? x->source : "no source",
                x->low_confidence ? " (low confidence)" : "", c->reviewed[0] ? ", reviewed " : "",
                c->reviewed);
    }
    if (c->notes && c->notes[0])
        fprintf(f, "  notes: %s\n", c->notes);
}
