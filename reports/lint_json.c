/*
 * lint_json.c — `preflight lint --format json`: one document with a
 * summary and, file by file and template by template, the verdict, best
 * and worst length, and every finding (SPEC §3 fields plus where it is).
 */
#include <string.h>

#include "report.h"

/* "US, CA" as ["US", "CA"]. */
static cJSON *country_array(const char *list)
{
    cJSON *a = cJSON_CreateArray();
    const char *p = list;
    while (a && p && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char cc[8];
        snprintf(cc, sizeof cc, "%.*s", (int)(n < 7 ? n : 7), p);
        cJSON_AddItemToArray(a, cJSON_CreateString(cc));
        p = e ? e + 1 : NULL;
        while (p && *p == ' ')
            p++;
    }
    return a;
}

void pf_report_json_add_location(cJSON *o, const pf_lint_location *loc)
{
    cJSON_AddNumberToObject(o, "line", loc->line);
    cJSON_AddNumberToObject(o, "column", loc->column);
    cJSON_AddNumberToObject(o, "end_line", loc->end_line);
    cJSON_AddNumberToObject(o, "end_column", loc->end_column);
    if (loc->countries)
        cJSON_AddItemToObject(o, "countries", country_array(loc->countries));
}

static cJSON *estimate(const pf_length_estimate *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "encoding", pf_encoding_name(e->encoding));
    cJSON_AddNumberToObject(o, "characters", (double)e->characters);
    cJSON_AddNumberToObject(o, "segments", (double)e->segments);
    return o;
}

static cJSON *template_json(const pf_lint_template *t)
{
    const pf_template_def *d = t->def;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", d->name);
    cJSON_AddNumberToObject(o, "line", d->line);
    cJSON_AddNumberToObject(o, "column", d->column);
    if (d->first_message == PF_FIRST_UNKNOWN)
        cJSON_AddNullToObject(o, "first_message");
    else
        cJSON_AddBoolToObject(o, "first_message", d->first_message == PF_FIRST_YES);
    if (t->skipped) {
        cJSON_AddBoolToObject(o, "skipped", 1);
        cJSON_AddStringToObject(o, "reason", t->skip_reason);
        return o;
    }
    cJSON_AddBoolToObject(o, "skipped", 0);
    cJSON_AddItemToObject(o, "countries", country_array(t->countries));
    cJSON_AddStringToObject(o, "verdict", pf_verdict_name(t->verdict));
    cJSON *len = cJSON_AddObjectToObject(o, "length");
    if (len) {
        cJSON_AddItemToObject(len, "best", estimate(&t->best));
        cJSON_AddItemToObject(len, "worst", estimate(&t->worst));
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "findings");
    for (size_t k = 0; arr && k < t->findings.count; k++) {
        cJSON *f = pf_report_json_finding(&t->findings.items[k]);
        if (!f)
            break;
        pf_report_json_add_location(f, &t->locations[k]);
        cJSON_AddItemToArray(arr, f);
    }
    return o;
}

cJSON *pf_report_json_lint(const pf_lint_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON *tool = cJSON_AddObjectToObject(o, "tool");
    if (tool) {
        cJSON_AddStringToObject(tool, "name", "preflight");
        cJSON_AddStringToObject(tool, "version", pf_version());
    }
    cJSON_AddStringToObject(o, "verdict", pf_verdict_name(r->verdict));
    cJSON *s = cJSON_AddObjectToObject(o, "summary");
    if (s) {
        cJSON_AddNumberToObject(s, "files", (double)r->file_count);
        cJSON_AddNumberToObject(s, "templates", (double)(r->count - r->skipped));
        cJSON_AddNumberToObject(s, "skipped", (double)r->skipped);
        cJSON_AddNumberToObject(s, "block", (double)r->severity_count[PF_SEV_BLOCK]);
        cJSON_AddNumberToObject(s, "warn", (double)r->severity_count[PF_SEV_WARN]);
        cJSON_AddNumberToObject(s, "info", (double)r->severity_count[PF_SEV_INFO]);
        cJSON_AddNumberToObject(s, "max_segments", r->max_segments);
    }
    cJSON *files = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; files && i < r->file_count; i++) {
        const pf_lint_file *lf = &r->files[i];
        cJSON *fo = cJSON_CreateObject();
        if (!fo)
            break;
        cJSON_AddStringToObject(fo, "path", lf->path);
        cJSON *ts = cJSON_AddArrayToObject(fo, "templates");
        for (size_t k = 0; ts && k < lf->count; k++)
            cJSON_AddItemToArray(ts, template_json(&r->templates[lf->first + k]));
        cJSON_AddItemToArray(files, fo);
    }
    return o;
}
