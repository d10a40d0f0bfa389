/*
 * sarif.c — `preflight lint --format sarif`: SARIF 2.1.0 (OASIS), the
 * format GitHub code scanning and other CI dashboards read.
 *
 * One run. tool.driver lists each rule that has a result (id, short
 * description, helpUri = the rule's source when it is an address, help
 * text, default level); each result names its rule, level, message (with
 * the fix), a partial fingerprint that stays the same from run to run, and
 * physical location: the file as a URI relative to the working directory
 * (uriBaseId %SRCROOT%, given in originalUriBaseIds) or, for a file
 * outside it, a file:// URI; and a region whose columns count Unicode
 * code points (the run's columnKind), as the lint locations do.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <stdint.h>
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
    const char *help; /* what to do; these are the engine's own checks, with
                         no public page for a helpUri */
} builtin[] = {
    {"template.placeholder-malformed", PF_SEV_BLOCK,
     "A placeholder has unbalanced braces or an empty or invalid name.",
     "Write placeholders as {{name}}: two braces each side, a name of letters, digits, "
     "'_', '-' or '.'."},
    {"template.placeholder-undeclared", PF_SEV_WARN,
     "A JSON template uses a variable it does not declare.",
     "Declare the variable under \"variables\" with its max_length, so the longest "
     "message can be estimated."},
    {"template.placeholder-unused", PF_SEV_INFO, "A declared variable is never used.",
     "Remove the declaration or use the variable in the text."},
    {"message.empty", PF_SEV_BLOCK, "The message is empty or only white space.",
     "Write the message text."},
    {"message.too-long", PF_SEV_BLOCK,
     "At its longest the message needs more segments than the limit.",
     "Shorten the text or the variables' max_length, or raise max_segments in the config."},
    {"message.ucs2", PF_SEV_INFO, "A character forces UCS-2 (70 characters a segment).",
     "Replace the character with its GSM-7 equivalent, when the finding names one."},
    {"rules.match-limit", PF_SEV_WARN, "A rule was stopped at the match limit.",
     "Simplify the rule's pattern; the text was not fully checked by it."},
};

static bool is_address(const char *s)
{
    return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0);
}

/* Percent-encode path into out (RFC 3986): keep unreserved characters and
 * '/', encode every other byte. out holds strlen(path) * 3 + 1. */
static void pct_encode(const char *path, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
}

/* Fold an absolute path in place, lexically (symbolic links are not
 * followed): drop empty and "." segments, let ".." remove the segment
 * before it (never above the root). The result starts with '/'. */
static void fold_path(char *p)
{
    char *w = p; /* the folded path so far is p[0..w) */
    const char *r = p;
    while (*r) {
        while (*r == '/')
            r++;
        const char *seg = r;
        while (*r && *r != '/')
            r++;
        size_t n = (size_t)(r - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (w > p && *--w != '/')
                ;
            continue;
        }
        *w++ = '/';
        memmove(w, seg, n);
        w += n;
    }
    if (w == p)
        *w++ = '/';
    *w = '\0';
}

/* path relative to dir when it lies inside it ("a/b.txt"), else NULL. */
static const char *inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1) /* the root */
        return path + 1;
    return strncmp(path, dir, n) == 0 && path[n] == '/' ? path + n + 1 : NULL;
}

/*
 * The artifact location of a template file given as the user gave it.
 * GitHub code scanning and the SARIF validator want either a relative
 * reference under a base (uriBaseId %SRCROOT%, the working directory) or
 * an absolute URI; a path starting with '/' is neither (SARIF1004). So:
 * the path made absolute against the working directory and folded; when
 * that, or failing it the real path with links resolved, lies under the
 * working directory, a relative reference with the base; otherwise a
 * file:// URI without one. *base says which. The caller frees the result.
 */
static char *uri_of(const char *path, const char *cwd, bool *base)
{
    char *abs = NULL, *real = NULL, *out = NULL;
    size_t clen = cwd ? strlen(cwd) : 0;
    abs = malloc(clen + strlen(path) + 3);
    if (!abs)
        goto out;
    if (path[0] == '/' || !cwd)
        snprintf(abs, clen + strlen(path) + 3, "/%s", path);
    else
        snprintf(abs, clen + strlen(path) + 3, "%s/%s", cwd, path);
    fold_path(abs);
    const char *rel = cwd && cwd[0] == '/' ? inside(abs, cwd) : NULL;
    if (!rel && cwd && cwd[0] == '/' && (real = realpath(abs, NULL)) != NULL)
        rel = inside(real, cwd);
    *base = rel != NULL;
    const char *p = rel ? rel : abs;
    out = malloc(strlen(p) * 3 + 8);
    if (!out)
        goto out;
    if (rel) {
        pct_encode(p, out);
    } else {
        memcpy(out, "file://", 7);
        pct_encode(p, out + 7);
    }
out:
    free(real);
    free(abs);
    return out;
}

/* The working directory as the file:// URI of %SRCROOT% (ends in '/'). */
static char *base_uri(const char *cwd)
{
    char *folded = malloc(strlen(cwd) + 2), *out = NULL;
    if (!folded)
        return NULL;
    snprintf(folded, strlen(cwd) + 2, "/%s", cwd);
    fold_path(folded);
    out = malloc(strlen(folded) * 3 + 9);
    if (out) {
        memcpy(out, "file://", 7);
        pct_encode(folded, out + 7);
        size_t n = strlen(out);
        if (out[n - 1] != '/') {
            out[n] = '/';
            out[n + 1] = '\0';
        }
    }
    free(folded);
    return out;
}

/* 64-bit FNV-1a over s[0..n) and then one NUL byte, so that fields hashed
 * one after another cannot run into each other. */
static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h * 0x100000001b3ULL; /* the NUL: h ^= 0 changes nothing */
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* What identifies finding k of t whatever the run: the rule, the
 * template's name and file name (not its directory, which changes with
 * how the path was given), the text of the line it is on (not the line
 * number, which changes when lines are added above it), and the
 * countries it holds for. */
static uint64_t finding_key(const pf_lint_template *t, size_t k)
{
    const pf_finding *f = &t->findings.items[k];
    const pf_lint_location *loc = &t->locations[k];
    const char *file = base_name(t->def->file);
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv1a(h, f->id, strlen(f->id));
    h = fnv1a(h, t->def->name, strlen(t->def->name));
    h = fnv1a(h, file, strlen(file));
    h = fnv1a(h, loc->source_line ? loc->source_line : "",
              loc->source_line ? loc->source_line_len : 0);
    h = fnv1a(h, loc->countries ? loc->countries : "", loc->countries ? strlen(loc->countries) : 0);
    return h;
}

/* partialFingerprints: the key of the finding plus its occurrence among
 * the template's findings with the same key (two identical links on one
 * line stay apart, in order). */
static void add_fingerprint(cJSON *o, const pf_lint_template *t, size_t k)
{
    uint64_t key = finding_key(t, k);
    unsigned nth = 0;
    for (size_t j = 0; j < k; j++)
        nth += finding_key(t, j) == key;
    char buf[40];
    snprintf(buf, sizeof buf, "%016llx:%u", (unsigned long long)key, nth + 1);
    cJSON *fp = cJSON_AddObjectToObject(o, "partialFingerprints");
    if (fp)
        cJSON_AddStringToObject(fp, "preflightFinding/v1", buf);
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
    const char *source = example->source, *help = NULL;
    for (size_t i = 0; !ri && i < sizeof builtin / sizeof builtin[0]; i++) {
        if (strcmp(builtin[i].id, id) == 0) {
            sev = builtin[i].severity;
            text = builtin[i].text;
            help = builtin[i].help;
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
    else if (help)
        add_text(o, "help", help);
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

static cJSON *result_json(const pf_lint_template *t, size_t k, int index, const char *uri,
                          bool base)
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
        if (base)
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
    add_fingerprint(o, t, k);
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
        bool base = false;
        char *uri = t->findings.count ? uri_of(t->def->file, cwd, &base) : NULL;
        if (t->findings.count && !uri) {
            cJSON_Delete(results);
            goto out;
        }
        for (size_t k = 0; k < t->findings.count; k++) {
            int index = rule_index(rules_arr, &t->findings.items[k], rules);
            cJSON *res = index >= 0 ? result_json(t, k, index, uri, base) : NULL;
            if (!res) {
                free(uri);
                cJSON_Delete(results);
                goto out;
            }
            cJSON_AddItemToArray(results, res);
        }
        free(uri);
    }
    /* Where %SRCROOT% is, for viewers that open the files. */
    char *root = cwd && cwd[0] == '/' ? base_uri(cwd) : NULL;
    if (root) {
        cJSON *ob = cJSON_AddObjectToObject(run, "originalUriBaseIds");
        cJSON *sr = ob ? cJSON_AddObjectToObject(ob, "%SRCROOT%") : NULL;
        if (sr)
            cJSON_AddStringToObject(sr, "uri", root);
        free(root);
    }
    cJSON_AddStringToObject(run, "columnKind", "unicodeCodePoints");
    cJSON_AddItemToObject(run, "results", results);
    ok = pf_report_json_print(out, doc);
out:
    cJSON_Delete(doc);
    return ok;
}

/* The helpers above, for the campaign report (campaign_report.c). */
char *pf_report_sarif_uri(const char *path, const char *cwd, bool *base)
{
    return uri_of(path, cwd, base);
}

char *pf_report_sarif_base_uri(const char *cwd)
{
    return cwd && cwd[0] == '/' ? base_uri(cwd) : NULL;
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
