/*
 * audit_json.c — `preflight audit --format json`: the launch audit as one
 * document for machines (dashboards, launch trackers).
 */
#include "report.h"

static void str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *number_json(const pf_audit_number *n)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "number", n->number->number);
    str_or_null(o, "label", n->number->label);
    cJSON_AddStringToObject(o, "kind", pf_sender_type_name(n->number->kind));
    str_or_null(o, "region", n->number->region[0] ? n->number->region : NULL);
    cJSON_AddBoolToObject(o, "checked", n->checked);
    cJSON_AddBoolToObject(o, "can_send", n->can_send);
    cJSON_AddStringToObject(o, "two_way", pf_tri_name(n->two_way));
    if (n->checked)
        cJSON_AddStringToObject(o, "verdict", pf_verdict_name(n->verdict.verdict));
    else
        cJSON_AddNullToObject(o, "verdict");
    cJSON *arr = cJSON_AddArrayToObject(o, "findings");
    for (size_t k = 0; arr && k < n->verdict.findings.count; k++)
        cJSON_AddItemToArray(arr, pf_report_json_finding(&n->verdict.findings.items[k]));
    return o;
}

cJSON *pf_report_json_audit(const pf_audit *a)
{
    const pf_country *c = a->country;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON *tool = cJSON_AddObjectToObject(o, "tool");
    if (tool) {
        cJSON_AddStringToObject(tool, "name", "preflight");
        cJSON_AddStringToObject(tool, "version", pf_version());
    }
    cJSON *co = cJSON_AddObjectToObject(o, "country");
    if (co) {
        cJSON_AddStringToObject(co, "code", c->code);
        cJSON_AddStringToObject(co, "name", c->name ? c->name : "");
        cJSON_AddNumberToObject(co, "calling_code", c->calling_code);
        str_or_null(co, "reviewed", c->reviewed[0] ? c->reviewed : NULL);
        str_or_null(co, "notes", c->notes && c->notes[0] ? c->notes : NULL);
    }
    cJSON_AddStringToObject(o, "verdict", pf_audit_verdict_name(a->verdict));
    cJSON_AddStringToObject(o, "summary", a->summary);
    str_or_null(o, "environment", a->environment);
    str_or_null(o, "recipient", a->recipient[0] ? a->recipient : NULL);
    cJSON *items = cJSON_AddArrayToObject(o, "checklist");
    for (size_t i = 0; items && i < a->item_count; i++) {
        const pf_audit_item *it = &a->items[i];
        cJSON *io = cJSON_CreateObject();
        if (!io)
            break;
        cJSON_AddStringToObject(io, "id", it->id);
        cJSON_AddStringToObject(io, "title", it->title);
        cJSON_AddStringToObject(io, "state", pf_audit_state_name(it->state));
        cJSON_AddStringToObject(io, "weight", pf_severity_name(it->weight));
        cJSON_AddStringToObject(io, "detail", it->detail);
        str_or_null(io, "source", it->source);
        cJSON_AddItemToArray(items, io);
    }
    cJSON *facts = cJSON_AddArrayToObject(o, "facts");
    for (size_t i = 0; facts && i < a->fact_count; i++) {
        const pf_audit_fact *f = &a->facts[i];
        cJSON *fo = cJSON_CreateObject();
        if (!fo)
            break;
        cJSON_AddStringToObject(fo, "label", f->label);
        cJSON_AddStringToObject(fo, "field", f->field);
        cJSON_AddStringToObject(fo, "value", f->value);
        cJSON_AddBoolToObject(fo, "known", f->known);
        str_or_null(fo, "source", f->source);
        str_or_null(fo, "confidence", !f->source ? NULL : f->low_confidence ? "low" : "high");
        str_or_null(fo, "reviewed", c->reviewed[0] ? c->reviewed : NULL);
        cJSON_AddItemToArray(facts, fo);
    }
    if (a->has_config) {
        cJSON *nums = cJSON_AddArrayToObject(o, "numbers");
        for (size_t i = 0; nums && i < a->number_count; i++)
            cJSON_AddItemToArray(nums, number_json(&a->numbers[i]));
        cJSON_AddNumberToObject(o, "other_environment_numbers", (double)a->other_numbers);
    } else {
        cJSON_AddNullToObject(o, "numbers");
    }
    if (a->lint)
        cJSON_AddItemToObject(o, "templates", pf_report_json_lint(a->lint));
    else
        cJSON_AddNullToObject(o, "templates");
    cJSON *cats = cJSON_AddArrayToObject(o, "findings_by_category");
    for (size_t i = 0; cats && i < a->category_count; i++) {
        const pf_audit_category *cat = &a->categories[i];
        cJSON *x = cJSON_CreateObject();
        if (!x)
            break;
        cJSON_AddStringToObject(x, "category", cat->name);
        cJSON_AddNumberToObject(x, "block", (double)cat->count[PF_SEV_BLOCK]);
        cJSON_AddNumberToObject(x, "warn", (double)cat->count[PF_SEV_WARN]);
        cJSON_AddNumberToObject(x, "info", (double)cat->count[PF_SEV_INFO]);
        cJSON_AddItemToArray(cats, x);
    }
    return o;
}
