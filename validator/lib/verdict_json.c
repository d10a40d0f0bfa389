/*
 * verdict_json.c — a verdict as SPEC §3 JSON: the one writer the CLI,
 * batch, the gateway and the MCP server all print, so they agree byte for
 * byte.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "preflight/engine.h"
#include "verdict_int.h"

static cJSON *finding_json(const pf_finding *f)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", f->id);
    cJSON_AddStringToObject(o, "severity", pf_severity_name(f->severity));
    cJSON_AddStringToObject(o, "message", f->message ? f->message : "");
    cJSON_AddStringToObject(o, "fix", f->fix ? f->fix : "");
    cJSON_AddStringToObject(o, "source", f->source ? f->source : "heuristic");
    if (f->has_span) {
        cJSON *span = cJSON_AddArrayToObject(o, "span");
        if (span) {
            cJSON_AddItemToArray(span, cJSON_CreateNumber((double)f->span_start));
            cJSON_AddItemToArray(span, cJSON_CreateNumber((double)f->span_end));
        }
    }
    return o;
}

/* cJSON reports allocation failures only through NULL returns scattered
 * over the tree; counting what should be there catches every one. */
static bool complete(const cJSON *o, const pf_verdict *v)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "findings");
    return cJSON_GetObjectItemCaseSensitive(o, "user_number") &&
           cJSON_GetObjectItemCaseSensitive(o, "agent_number") &&
           cJSON_GetObjectItemCaseSensitive(o, "message") && f &&
           (size_t)cJSON_GetArraySize(f) == v->findings.count;
}

cJSON *pfi_verdict_json(const pf_verdict *v)
{
    char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "verdict", pf_verdict_name(v->verdict));
    cJSON *u = cJSON_AddObjectToObject(o, "user_number");
    if (u) {
        pf_utf8_clean(v->user.input, strlen(v->user.input), clean, sizeof clean);
        cJSON_AddStringToObject(u, "input", clean);
        if (v->user_parsed)
            cJSON_AddStringToObject(u, "e164", v->user.e164);
        else
            cJSON_AddNullToObject(u, "e164");
        cJSON_AddBoolToObject(u, "valid", v->user_parsed && v->user.valid);
        if (v->user_parsed && v->user.region[0])
            cJSON_AddStringToObject(u, "region", v->user.region);
        else
            cJSON_AddNullToObject(u, "region");
        cJSON_AddStringToObject(u, "type", pf_number_type_name(v->user.type));
    }
    if (v->has_agent) {
        cJSON *a = cJSON_AddObjectToObject(o, "agent_number");
        if (a) {
            pf_utf8_clean(v->agent_e164, strlen(v->agent_e164), clean, sizeof clean);
            cJSON_AddStringToObject(a, "e164", clean);
            cJSON_AddStringToObject(a, "selected", v->agent_auto ? "auto" : "explicit");
            cJSON_AddStringToObject(a, "kind", pf_sender_type_name(v->agent_kind));
            if (v->agent_region[0])
                cJSON_AddStringToObject(a, "region", v->agent_region);
            else
                cJSON_AddNullToObject(a, "region");
        }
    } else {
        cJSON_AddNullToObject(o, "agent_number");
    }
    cJSON *m = cJSON_AddObjectToObject(o, "message");
    if (m && v->has_message) {
        cJSON_AddStringToObject(m, "encoding", pf_encoding_name(v->encoding));
        cJSON_AddNumberToObject(m, "characters", (double)v->characters);
        cJSON_AddNumberToObject(m, "segments", (double)v->segments);
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "findings");
    for (size_t i = 0; arr && i < v->findings.count; i++)
        cJSON_AddItemToArray(arr, finding_json(&v->findings.items[i]));
    if (!complete(o, v)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

pf_status pfi_json_to_string(cJSON *doc, unsigned flags, char **out, size_t *len)
{
    char *s = flags & PF_JSON_PRETTY ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
    if (!s)
        return PF_E_NOMEM;
    size_t n = strlen(s);
    if (flags & PF_JSON_NEWLINE) {
        char *t = realloc(s, n + 2);
        if (!t) {
            cJSON_free(s);
            return PF_E_NOMEM;
        }
        s = t;
        s[n++] = '\n';
        s[n] = '\0';
    }
    *out = s;
    if (len)
        *len = n;
    return PF_OK;
}

pf_status pf_verdict_to_json(const pf_verdict *v, unsigned flags, char **out, size_t *len)
{
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (len)
        *len = 0;
    if (!v)
        return PF_E_INVALID;
    cJSON *doc = pfi_verdict_json(v);
    if (!doc)
        return PF_E_NOMEM;
    pf_status st = pfi_json_to_string(doc, flags, out, len);
    cJSON_Delete(doc);
    return st;
}
