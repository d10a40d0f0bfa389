/*
 * campaign_report.c — `preflight campaign` in text, JSON, SARIF 2.1.0 and
 * JUnit XML. Each finding sits at its field's line:column in the campaign
 * file, as lint findings sit in templates, and carries the provider's
 * error code it anticipates (rejection_code). The lint renderers' helpers
 * (source line and caret, SARIF URIs, messages and snippets) are reused.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#ifndef PF_INFORMATION_URI
#define PF_INFORMATION_URI "https://docs.poly.ai/api-reference/sms/endpoint/trigger-outbound-sms"
#endif

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

static const char *verdict_color(pf_verdict_kind v)
{
    return v == PF_VERDICT_BLOCK ? C_RED : v == PF_VERDICT_WARN ? C_YELLOW : C_GREEN;
}

static pf_verdict_kind overall(const pf_campaign_result *const *r, size_t n)
{
    pf_verdict_kind v = PF_VERDICT_PASS;
    for (size_t i = 0; i < n; i++)
        if (r[i]->verdict > v)
            v = r[i]->verdict;
    return v;
}

void pf_report_text_campaign(FILE *f, const pf_campaign_result *const *r, size_t n, bool color)
{
    for (size_t i = 0; i < n; i++) {
        const pf_campaign_result *c = r[i];
        for (size_t k = 0; k < c->findings.count; k++) {
            const pf_finding *x = &c->findings.items[k];
            const pf_campaign_location *loc = &c->locations[k];
            fprintf(f, "%s%s:%u:%u:%s %s%s:%s %s [%s]", color ? C_BOLD : "", c->file, loc->at.line,
                    loc->at.column, color ? C_OFF : "", color ? sev_color(x->severity) : "",
                    pf_severity_name(x->severity), color ? C_OFF : "", x->message ? x->message : "",
                    x->id);
            if (x->rejection_code)
                fprintf(f, " (anticipates %s)", x->rejection_code);
            fputc('\n', f);
            pf_report_text_source_caret(f, &loc->at, color);
            if (x->fix && x->fix[0])
                fprintf(f, "      = fix: %s\n", x->fix);
            fprintf(f, "      = source: %s\n", x->source ? x->source : "heuristic");
        }
        fprintf(
            f, "%s%s:%s %s campaign for %s (%s): %zu block, %zu warn, %zu info; verdict %s%s%s\n",
            color ? C_BOLD : "", c->file, color ? C_OFF : "", pf_campaign_kind_name(c->kind),
            c->brand, c->use_case, c->severity_count[PF_SEV_BLOCK], c->severity_count[PF_SEV_WARN],
            c->severity_count[PF_SEV_INFO], color ? verdict_color(c->verdict) : "",
            pf_verdict_name(c->verdict), color ? C_OFF : "");
    }
}

cJSON *pf_report_json_campaign(const pf_campaign_result *const *r, size_t n)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return NULL;
    cJSON_AddStringToObject(doc, "verdict", pf_verdict_name(overall(r, n)));
    cJSON *arr = cJSON_AddArrayToObject(doc, "campaigns");
    if (!arr)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const pf_campaign_result *c = r[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            goto fail;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "file", c->file);
        cJSON_AddStringToObject(o, "kind", pf_campaign_kind_name(c->kind));
        cJSON_AddStringToObject(o, "brand", c->brand);
        cJSON_AddStringToObject(o, "use_case", c->use_case);
        cJSON_AddStringToObject(o, "verdict", pf_verdict_name(c->verdict));
        cJSON *counts = cJSON_AddObjectToObject(o, "counts");
        if (!counts)
            goto fail;
        for (int s = PF_SEV_BLOCK; s >= PF_SEV_INFO; s--)
            cJSON_AddNumberToObject(counts, pf_severity_name((pf_severity)s),
                                    (double)c->severity_count[s]);
        cJSON *fs = cJSON_AddArrayToObject(o, "findings");
        if (!fs)
            goto fail;
        for (size_t k = 0; k < c->findings.count; k++) {
            const pf_finding *x = &c->findings.items[k];
            cJSON *jf = pf_report_json_finding(x);
            if (!jf)
                goto fail;
            /* Always present in campaign output: null when no code applies. */
            if (!x->rejection_code)
                cJSON_AddNullToObject(jf, "rejection_code");
            cJSON_AddStringToObject(jf, "path", c->locations[k].path);
            cJSON_AddNumberToObject(jf, "line", c->locations[k].at.line);
            cJSON_AddNumberToObject(jf, "column", c->locations[k].at.column);
            cJSON_AddItemToArray(fs, jf);
        }
    }
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}

/* The rule descriptor for a campaign.* id. */
static cJSON *rule_json(const pf_finding *example)
{
    const pf_campaign_check_info *ci = pf_campaign_check_find(example->id);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char name[128];
    cJSON_AddStringToObject(o, "id", example->id);
    pf_report_sarif_rule_name(example->id, name, sizeof name);
    cJSON_AddStringToObject(o, "name", name);
    pf_report_sarif_text(o, "shortDescription", ci ? ci->summary : example->id);
    const char *src = example->source;
    if (src && strncmp(src, "https://", 8) == 0)
        cJSON_AddStringToObject(o, "helpUri", src);
    if (example->fix && example->fix[0])
        pf_report_sarif_text(o, "help", example->fix);
    cJSON *dc = cJSON_AddObjectToObject(o, "defaultConfiguration");
    if (dc)
        cJSON_AddStringToObject(dc, "level",
                                pf_report_sarif_level(ci ? ci->severity : example->severity));
    return o;
}

static int rule_index(cJSON *rules, const pf_finding *f)
{
    int i = 0;
    for (cJSON *r = rules->child; r; r = r->next, i++) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(r, "id")->valuestring, f->id) == 0)
            return i;
    }
    cJSON *r = rule_json(f);
    if (!r)
        return -1;
    cJSON_AddItemToArray(rules, r);
    return i;
}

static cJSON *result_json(const pf_campaign_result *c, size_t k, int index, const char *uri)
{
    const pf_finding *f = &c->findings.items[k];
    const pf_lint_location *loc = &c->locations[k].at;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "ruleId", f->id);
    cJSON_AddNumberToObject(o, "ruleIndex", index);
    cJSON_AddStringToObject(o, "level", pf_report_sarif_level(f->severity));
    size_t need = strlen(f->message ? f->message : "") + strlen(f->fix ? f->fix : "") + 64;
    char *msg = malloc(need);
    if (msg) {
        snprintf(msg, need, "%s%s%s%s%s", f->message ? f->message : "",
                 f->rejection_code ? " Anticipates error " : "",
                 f->rejection_code ? f->rejection_code : "", f->fix && f->fix[0] ? ". Fix: " : "",
                 f->fix ? f->fix : "");
        pf_report_sarif_text(o, "message", msg);
        free(msg);
    }
    cJSON *locs = cJSON_AddArrayToObject(o, "locations");
    cJSON *l = cJSON_CreateObject();
    cJSON *pl = l ? cJSON_AddObjectToObject(l, "physicalLocation") : NULL;
    if (!locs || !pl) {
        cJSON_Delete(l);
        return o;
    }
    cJSON_AddItemToArray(locs, l);
    cJSON *art = cJSON_AddObjectToObject(pl, "artifactLocation");
    if (art) {
        cJSON_AddStringToObject(art, "uri", uri);
        cJSON_AddStringToObject(art, "uriBaseId", "%SRCROOT%");
    }
    cJSON *reg = cJSON_AddObjectToObject(pl, "region");
    if (reg) {
        cJSON_AddNumberToObject(reg, "startLine", loc->line);
        cJSON_AddNumberToObject(reg, "startColumn", loc->column);
        if (loc->end_line > loc->line ||
            (loc->end_line == loc->line && loc->end_column > loc->column)) {
            cJSON_AddNumberToObject(reg, "endLine", loc->end_line);
            cJSON_AddNumberToObject(reg, "endColumn", loc->end_column);
        }
        if (loc->end_line == loc->line && loc->end_column > loc->column) {
            pf_report_sarif_snippet(reg, "snippet", loc->source_line, loc->source_line_len,
                                    loc->column, loc->end_column);
            cJSON *ctx = cJSON_AddObjectToObject(pl, "contextRegion");
            if (ctx) {
                cJSON_AddNumberToObject(ctx, "startLine", loc->line);
                cJSON_AddNumberToObject(ctx, "endLine", loc->line);
                pf_report_sarif_snippet(ctx, "snippet", loc->source_line, loc->source_line_len, 1,
                                        (unsigned)-1);
            }
        }
    }
    cJSON *props = cJSON_AddObjectToObject(o, "properties");
    if (props) {
        cJSON_AddStringToObject(props, "severity", pf_severity_name(f->severity));
        cJSON_AddStringToObject(props, "source", f->source ? f->source : "heuristic");
        cJSON_AddStringToObject(props, "path", c->locations[k].path);
        if (f->rejection_code)
            cJSON_AddStringToObject(props, "rejection_code", f->rejection_code);
        cJSON_AddStringToObject(props, "kind", pf_campaign_kind_name(c->kind));
    }
    return o;
}

bool pf_report_sarif_campaign(FILE *out, const pf_campaign_result *const *r, size_t n,
                              const char *cwd)
{
    bool ok = false;
    cJSON *doc = cJSON_CreateObject();
    if (!doc)
        return false;
    cJSON_AddStringToObject(doc, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    cJSON_AddStringToObject(doc, "version", "2.1.0");
    cJSON *runs = cJSON_AddArrayToObject(doc, "runs");
    cJSON *run = cJSON_CreateObject();
    if (!runs || !run) {
        cJSON_Delete(run);
        goto out;
    }
    cJSON_AddItemToArray(runs, run);
    cJSON *tool = cJSON_AddObjectToObject(run, "tool");
    cJSON *driver = tool ? cJSON_AddObjectToObject(tool, "driver") : NULL;
    if (!driver)
        goto out;
    cJSON_AddStringToObject(driver, "name", "preflight");
    cJSON_AddStringToObject(driver, "version", pf_version());
    cJSON_AddStringToObject(driver, "semanticVersion", pf_version());
    cJSON_AddStringToObject(driver, "informationUri", PF_INFORMATION_URI);
    cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
    cJSON *results = cJSON_CreateArray();
    if (!rules || !results) {
        cJSON_Delete(results);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const pf_campaign_result *c = r[i];
        char *uri = c->findings.count ? pf_report_sarif_uri(c->file, cwd) : NULL;
        if (c->findings.count && !uri) {
            cJSON_Delete(results);
            goto out;
        }
        for (size_t k = 0; k < c->findings.count; k++) {
            int index = rule_index(rules, &c->findings.items[k]);
            cJSON *res = index >= 0 ? result_json(c, k, index, uri) : NULL;
            if (!res) {
                free(uri);
                cJSON_Delete(results);
                goto out;
            }
            cJSON_AddItemToArray(results, res);
        }
        free(uri);
    }
    cJSON_AddStringToObject(run, "columnKind", "unicodeCodePoints");
    cJSON_AddItemToObject(run, "results", results);
    ok = pf_report_json_print(out, doc);
out:
    cJSON_Delete(doc);
    return ok;
}

/* ---- JUnit ---- */

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

/* The part of a submission a check is about: one testcase each. */
static const char *const areas[] = {"description", "samples", "message_flow", "keywords",
                                    "policies"};

static size_t area_of(const char *id)
{
    const char *n = strncmp(id, "campaign.", 9) == 0 ? id + 9 : id;
    if (strncmp(n, "description", 11) == 0)
        return 0;
    if (strncmp(n, "sample", 6) == 0 || strncmp(n, "embedded", 8) == 0 ||
        strncmp(n, "content", 7) == 0)
        return 1;
    if (strncmp(n, "cta-", 4) == 0 || strncmp(n, "message-flow", 12) == 0 ||
        strncmp(n, "age-gate", 8) == 0)
        return 2;
    if (strncmp(n, "opt-", 4) == 0 || strncmp(n, "help", 4) == 0 || strncmp(n, "keyword", 7) == 0)
        return 3;
    return 4;
}

static size_t area_failures(const pf_campaign_result *c, size_t area, pf_severity fail_on)
{
    size_t n = 0;
    for (size_t k = 0; k < c->findings.count; k++)
        n += c->findings.items[k].severity >= fail_on && area_of(c->findings.items[k].id) == area;
    return n;
}

void pf_report_junit_campaign(FILE *f, const pf_campaign_result *const *r, size_t n,
                              pf_severity fail_on)
{
    const size_t na = sizeof areas / sizeof areas[0];
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < na; a++)
            failed += area_failures(r[i], a, fail_on) > 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"preflight campaign\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"0\" time=\"0\">\n",
            n * na, failed);
    for (size_t i = 0; i < n; i++) {
        const pf_campaign_result *c = r[i];
        size_t ff = 0;
        for (size_t a = 0; a < na; a++)
            ff += area_failures(c, a, fail_on) > 0;
        fputs("  <testsuite name=\"", f);
        xml(f, c->file);
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\">\n", na,
                ff);
        for (size_t a = 0; a < na; a++) {
            fprintf(f, "    <testcase name=\"%s\" classname=\"", areas[a]);
            xml(f, c->file);
            fputs("\" time=\"0\"", f);
            if (!area_failures(c, a, fail_on)) {
                fputs("/>\n", f);
                continue;
            }
            fputs(">\n", f);
            for (size_t k = 0; k < c->findings.count; k++) {
                const pf_finding *x = &c->findings.items[k];
                const pf_campaign_location *loc = &c->locations[k];
                if (x->severity < fail_on || area_of(x->id) != a)
                    continue;
                fputs("      <failure type=\"", f);
                xml(f, x->id);
                fputs("\" message=\"", f);
                xml(f, x->message ? x->message : "");
                fputs("\">", f);
                xml(f, c->file);
                fprintf(f, ":%u:%u: %s: ", loc->at.line, loc->at.column,
                        pf_severity_name(x->severity));
                xml(f, x->message ? x->message : "");
                fputs(" [", f);
                xml(f, x->id);
                fputs("]", f);
                if (x->rejection_code) {
                    fputs(" (anticipates ", f);
                    xml(f, x->rejection_code);
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
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
}
