/*
 * sarif.c — `preflight lint --format sarif`: SARIF 2.1.0 (OASIS), the
 * format GitHub code scanning and other CI dashboards read.
 *
 * One run. tool.driver lists each rule that has a result (id, short
 * description, helpUri = the rule's source when it is an address, default
 * level); each result names its rule, level, message (with the fix) and
 * physical location: the file as a URI relative to the working directory
 * (uriBaseId %SRCROOT%) and a region whose columns count Unicode code
 * points (the run's columnKind), as the lint locations do.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

#ifndef PF_INFORMATION_URI
#define PF_INFORMATION_URI "https://docs.poly.ai/api-reference/sms/endpoint/trigger-outbound-sms"
#endif

const char *pf_report_sarif_level(pf_severity s)
{
    return s == PF_SEV_BLOCK ? "error" : s == PF_SEV_WARN ? "warning" : "note";
}

/* The engine's own finding ids that lint reports, with their defaults. */
static const struct {
    const char *id;
    pf_severity severity;
    const char *text;
} builtin[] = {
    {"template.placeholder-malformed", PF_SEV_BLOCK,
     "A placeholder has unbalanced braces or an empty or invalid name."},
    {"template.placeholder-undeclared", PF_SEV_WARN,
     "A JSON template uses a variable it does not declare."},
    {"template.placeholder-unused", PF_SEV_INFO, "A declared variable is never used."},
    {"message.empty", PF_SEV_BLOCK, "The message is empty or only white space."},
    {"message.too-long", PF_SEV_BLOCK,
     "At its longest the message needs more segments than the limit."},
    {"message.ucs2", PF_SEV_INFO, "A character forces UCS-2 (70 characters a segment)."},
    {"rules.match-limit", PF_SEV_WARN, "A rule was stopped at the match limit."},
};

static bool is_address(const char *s)
{
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0);
}

/* Percent-encode a path as a relative URI reference (RFC 3986): keep
 * unreserved characters and '/', encode every other byte. */
static char *uri_of(const char *path, const char *cwd)
{
    size_t clen = cwd ? strlen(cwd) : 0;
    while (clen > 1 && cwd[clen - 1] == '/')
        clen--;
    if (clen && path[0] == '/' && strncmp(path, cwd, clen) == 0 && path[clen] == '/')
        path += clen + 1;
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    size_t n = strlen(path);
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            *o++ = (char)c;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* A message for SARIF: one that ends in a period (SARIF2001). */
static void add_text(cJSON *o, const char *key, const char *text)
{
    size_t n = strlen(text);
    char *buf = malloc(n * 3 + 3);
    if (!buf)
        return;
    pf_report_clean_utf8(text, n, buf, n * 3 + 1);
    n = strlen(buf);
    if (n && buf[n - 1] != '.' && buf[n - 1] != '?' && buf[n - 1] != '!') {
        buf[n] = '.';
        buf[n + 1] = '\0';
    }
    cJSON *m = cJSON_AddObjectToObject(o, key);
    if (m)
        cJSON_AddStringToObject(m, "text", buf);
    free(buf);
}

/* SARIF's friendly rule name: the id in Pascal case
 * ("content.url-shortener" -> "ContentUrlShortener"). */
static void friendly_name(const char *id, char *out, size_t cap)
{
    size_t o = 0;
    bool up = true;
    for (const char *p = id; *p && o + 1 < cap; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            up = true;
            continue;
        }
        out[o++] = up && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
        up = false;
    }
    out[o] = '\0';
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

/* {"text": s[a..b)}, valid UTF-8. */
static void add_snippet(cJSON *o, const char *key, const char *s, size_t a, size_t b)
{
    size_t n = b - a;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return;
    pf_report_clean_utf8(s + a, n, buf, n * 3 + 1);
    cJSON *m = cJSON_AddObjectToObject(o, key);
    if (m)
        cJSON_AddStringToObject(m, "text", buf);
    free(buf);
}

/* The rule descriptor for id, from the loaded rules or the built-in list. */
static cJSON *rule_json(const char *id, const pf_finding *example, const pf_ruleset *rules)
{
    const pf_rule_info *ri = rules ? pf_rules_find(rules, id) : NULL;
    pf_severity sev = example->severity;
    const char *text = example->message ? example->message : id;
    const char *source = example->source;
    for (size_t i = 0; !ri && i < sizeof builtin / sizeof builtin[0]; i++) {
        if (strcmp(builtin[i].id, id) == 0) {
            sev = builtin[i].severity;
            text = builtin[i].text;
        }
    }
    if (ri) {
        sev = ri->severity;
        text = ri->message;
        source = ri->source;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", id);
    char name[128];
    friendly_name(id, name, sizeof name);
    cJSON_AddStringToObject(o, "name", name);
    add_text(o, "shortDescription", text);
    if (is_address(source))
        cJSON_AddStringToObject(o, "helpUri", source);
    if (example->fix && example->fix[0] && ri)
        add_text(o, "help", ri->fix);
    cJSON *dc = cJSON_AddObjectToObject(o, "defaultConfiguration");
    if (dc)
        cJSON_AddStringToObject(dc, "level", pf_report_sarif_level(sev));
    if (ri) {
        cJSON *props = cJSON_AddObjectToObject(o, "properties");
        if (props)
            cJSON_AddStringToObject(props, "category", ri->category);
    }
    return o;
}

/* Index of id in the rules array, adding a descriptor when it is new. */
static int rule_index(cJSON *rules_arr, const pf_finding *f, const pf_ruleset *rules)
{
    int i = 0;
    for (cJSON *r = rules_arr->child; r; r = r->next, i++) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(r, "id")->valuestring, f->id) == 0)
            return i;
    }
    cJSON *r = rule_json(f->id, f, rules);
    if (!r)
        return -1;
    cJSON_AddItemToArray(rules_arr, r);
    return i;
}

static cJSON *result_json(const pf_lint_template *t, size_t k, int index, const char *uri)
{
    const pf_finding *f = &t->findings.items[k];
    const pf_lint_location *loc = &t->locations[k];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "ruleId", f->id);
    cJSON_AddNumberToObject(o, "ruleIndex", index);
    cJSON_AddStringToObject(o, "level", pf_report_sarif_level(f->severity));
    size_t need = strlen(f->message ? f->message : "") + strlen(f->fix ? f->fix : "") +
                  (loc->countries ? strlen(loc->countries) : 0) + 32;
    char *msg = malloc(need);
    if (msg) {
        snprintf(msg, need, "%s%s%s%s%s%s", f->message ? f->message : "",
                 loc->countries ? " (" : "", loc->countries ? loc->countries : "",
                 loc->countries ? ")" : "", f->fix && f->fix[0] ? " Fix: " : "",
                 f->fix ? f->fix : "");
        add_text(o, "message", msg);
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
        cJSON_AddNumberToObject(reg, "endLine", loc->end_line);
        cJSON_AddNumberToObject(reg, "endColumn", loc->end_column);
    }
    /* The text itself, and its line around it, when the span is on one
     * line (a viewer shows them without the file). */
    if (reg && loc->end_line == loc->line && loc->end_column > loc->column) {
        const char *sl = loc->source_line;
        size_t n = loc->source_line_len;
        add_snippet(reg, "snippet", sl, byte_at(sl, n, loc->column),
                    byte_at(sl, n, loc->end_column));
        cJSON *ctx = cJSON_AddObjectToObject(pl, "contextRegion");
        if (ctx) {
            cJSON_AddNumberToObject(ctx, "startLine", loc->line);
            cJSON_AddNumberToObject(ctx, "endLine", loc->line);
            add_snippet(ctx, "snippet", sl, 0, n);
        }
    }
    cJSON *props = cJSON_AddObjectToObject(o, "properties");
    if (props) {
        cJSON_AddStringToObject(props, "template", t->def->name);
        cJSON_AddStringToObject(props, "severity", pf_severity_name(f->severity));
        cJSON_AddStringToObject(props, "source", f->source ? f->source : "heuristic");
        if (loc->countries)
            cJSON_AddStringToObject(props, "countries", loc->countries);
    }
    return o;
}

bool pf_report_sarif_lint(FILE *out, const pf_lint_result *r, const pf_ruleset *rules,
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
    cJSON *rules_arr = cJSON_AddArrayToObject(driver, "rules");
    cJSON *results = cJSON_CreateArray();
    if (!rules_arr || !results) {
        cJSON_Delete(results);
        goto out;
    }
    for (size_t i = 0; i < r->count; i++) {
        const pf_lint_template *t = &r->templates[i];
        char *uri = t->findings.count ? uri_of(t->def->file, cwd) : NULL;
        if (t->findings.count && !uri) {
            cJSON_Delete(results);
            goto out;
        }
        for (size_t k = 0; k < t->findings.count; k++) {
            int index = rule_index(rules_arr, &t->findings.items[k], rules);
            cJSON *res = index >= 0 ? result_json(t, k, index, uri) : NULL;
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

/* The helpers above, for the campaign report (campaign_report.c). */
char *pf_report_sarif_uri(const char *path, const char *cwd)
{
    return uri_of(path, cwd);
}

void pf_report_sarif_text(cJSON *o, const char *key, const char *text)
{
    add_text(o, key, text);
}

void pf_report_sarif_rule_name(const char *id, char *out, size_t cap)
{
    friendly_name(id, out, cap);
}

void pf_report_sarif_snippet(cJSON *o, const char *key, const char *line, size_t len,
                             unsigned from_col, unsigned to_col)
{
    add_snippet(o, key, line, byte_at(line, len, from_col), byte_at(line, len, to_col));
}
