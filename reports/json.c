/*
 * json.c — the JSON renderer (SPEC §3 field names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

cJSON *pf_report_json_number(const pf_number *n, const char *error)
{
    char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    pf_report_clean_utf8(n->input, strlen(n->input), clean, sizeof clean);
    cJSON_AddStringToObject(o, "input", clean);
    if (error) {
        cJSON_AddBoolToObject(o, "valid", 0);
        cJSON_AddStringToObject(o, "error", error);
        return o;
    }
    cJSON_AddStringToObject(o, "e164", n->e164);
    cJSON_AddBoolToObject(o, "valid", n->valid);
    cJSON_AddBoolToObject(o, "possible", n->possible);
    cJSON_AddBoolToObject(o, "strict_e164", n->strict_e164);
    cJSON_AddNumberToObject(o, "calling_code", n->calling_code);
    if (n->region[0])
        cJSON_AddStringToObject(o, "region", n->region);
    else
        cJSON_AddNullToObject(o, "region");
    cJSON_AddStringToObject(o, "type", pf_number_type_name(n->type));
    return o;
}

static cJSON *string_list(const char *const *items, size_t n, bool known)
{
    if (!known)
        return cJSON_CreateString("unknown");
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
    return a;
}

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static void hhmm(unsigned minutes, char buf[6])
{
    snprintf(buf, 6, "%02u:%02u", minutes / 60 % 24, minutes % 60);
}

cJSON *pf_report_json_country(const pf_country *c)
{
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "code", c->code);
    cJSON_AddStringToObject(o, "name", c->name ? c->name : "");
    cJSON_AddNumberToObject(o, "calling_code", c->calling_code);
    cJSON_AddStringToObject(o, "sms", pf_tri_name(c->sms));
    cJSON_AddStringToObject(o, "two_way", pf_tri_name(c->two_way));
    cJSON_AddStringToObject(o, "concatenation", pf_tri_name(c->concatenation));
    add_str_or_null(o, "length_note", c->length_note);
    cJSON_AddStringToObject(o, "landline_sms", pf_tri_name(c->landline_sms));
    cJSON *s = cJSON_AddObjectToObject(o, "senders");
    for (int k = 0; s && k < PF_SK_COUNT; k++)
        cJSON_AddStringToObject(s, pf_sender_kind_name((pf_sender_kind)k),
                                pf_sender_status_name(c->senders[k]));
    cJSON *regs = cJSON_AddArrayToObject(o, "registrations");
    for (size_t i = 0; regs && i < c->registration_count; i++) {
        const pf_registration *r = &c->registrations[i];
        cJSON *ro = cJSON_CreateObject();
        cJSON_AddStringToObject(ro, "name", r->name);
        cJSON *kinds = cJSON_AddArrayToObject(ro, "senders");
        for (int k = 0; kinds && k < PF_SK_COUNT; k++) {
            if (r->senders & (1u << k))
                cJSON_AddItemToArray(kinds,
                                     cJSON_CreateString(pf_sender_kind_name((pf_sender_kind)k)));
        }
        cJSON_AddStringToObject(ro, "note", r->note ? r->note : "");
        if (r->optional)
            cJSON_AddTrueToObject(ro, "optional");
        cJSON_AddItemToArray(regs, ro);
    }
    add_str_or_null(o, "sender_id_rules", c->sender_id_rules);
    if (c->quiet == PF_QUIET_UNKNOWN) {
        cJSON_AddStringToObject(o, "quiet_hours", "unknown");
    } else if (c->quiet == PF_QUIET_NONE) {
        cJSON_AddNullToObject(o, "quiet_hours");
    } else {
        cJSON *q = cJSON_AddArrayToObject(o, "quiet_hours");
        for (size_t i = 0; q && i < c->quiet_window_count; i++) {
            const pf_quiet_window *w = &c->quiet_windows[i];
            char from[6], to[6];
            hhmm(w->from_minute, from);
            hhmm(w->to_minute, to);
            cJSON *wo = cJSON_CreateObject();
            cJSON_AddStringToObject(wo, "from", from);
            cJSON_AddStringToObject(wo, "to", to);
            cJSON *d = cJSON_AddArrayToObject(wo, "days");
            for (int k = 0; d && k < 7; k++) {
                if (w->days & (1u << k))
                    cJSON_AddItemToArray(d, cJSON_CreateString(days[k]));
            }
            cJSON_AddStringToObject(wo, "traffic", w->promotional_only ? "promotional" : "all");
            cJSON_AddItemToArray(q, wo);
        }
    }
    cJSON *ct = cJSON_AddObjectToObject(o, "content");
    if (ct) {
        cJSON_AddStringToObject(ct, "url_shorteners_banned", pf_tri_name(c->url_shorteners_banned));
        cJSON_AddStringToObject(ct, "urls_banned", pf_tri_name(c->urls_banned));
        cJSON_AddStringToObject(ct, "phone_numbers_banned", pf_tri_name(c->phone_numbers_banned));
        cJSON_AddStringToObject(ct, "chat_app_links_banned", pf_tri_name(c->chat_app_links_banned));
        cJSON_AddItemToObject(ct, "banned_categories",
                              string_list(c->banned_categories, c->banned_category_count,
                                          c->banned_categories_known));
    }
    cJSON *oo = cJSON_AddObjectToObject(o, "opt_out");
    if (oo) {
        cJSON_AddStringToObject(oo, "required", pf_tri_name(c->opt_out_required));
        cJSON_AddItemToObject(
            oo, "keywords",
            string_list(c->opt_out_keywords, c->opt_out_keyword_count, c->opt_out_keywords_known));
    }
    cJSON_AddStringToObject(o, "notes", c->notes ? c->notes : "");
    cJSON *srcs = cJSON_AddArrayToObject(o, "sources");
    for (size_t i = 0; srcs && i < c->source_count; i++) {
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "url", c->sources[i].url);
        cJSON_AddItemToObject(so, "facts",
                              string_list(c->sources[i].facts, c->sources[i].fact_count, true));
        if (c->sources[i].low_confidence)
            cJSON_AddStringToObject(so, "confidence", "low");
        cJSON_AddItemToArray(srcs, so);
    }
    if (c->reviewed[0])
        cJSON_AddStringToObject(o, "reviewed", c->reviewed);
    else
        cJSON_AddNullToObject(o, "reviewed");
    return o;
}

const char *pf_report_verdict_name(const pf_finding_list *findings)
{
    return pf_verdict_name(pf_verdict_from_findings(findings));
}

cJSON *pf_report_json_finding(const pf_finding *f)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", f->id);
    cJSON_AddStringToObject(o, "severity", pf_severity_name(f->severity));
    cJSON_AddStringToObject(o, "message", f->message ? f->message : "");
    cJSON_AddStringToObject(o, "fix", f->fix ? f->fix : "");
    cJSON_AddStringToObject(o, "source", f->source ? f->source : "heuristic");
    /* Only campaign findings carry one; every other output stays as it was. */
    if (f->rejection_code)
        cJSON_AddStringToObject(o, "rejection_code", f->rejection_code);
    if (f->has_span) {
        cJSON *span = cJSON_AddArrayToObject(o, "span");
        if (span) {
            cJSON_AddItemToArray(span, cJSON_CreateNumber((double)f->span_start));
            cJSON_AddItemToArray(span, cJSON_CreateNumber((double)f->span_end));
        }
    }
    return o;
}

cJSON *pf_report_json_scan(const char *country, const pf_segments *seg,
                           const pf_finding_list *findings)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = doc ? cJSON_CreateArray() : NULL;
    if (!arr) {
        cJSON_Delete(doc);
        return NULL;
    }
    for (size_t i = 0; i < findings->count; i++) {
        cJSON *f = pf_report_json_finding(&findings->items[i]);
        if (!f || !cJSON_AddItemToArray(arr, f)) {
            cJSON_Delete(f);
            cJSON_Delete(arr);
            cJSON_Delete(doc);
            return NULL;
        }
    }
    cJSON *msg = pf_report_json_message(seg);
    bool ok = cJSON_AddStringToObject(doc, "verdict", pf_report_verdict_name(findings)) &&
              (country ? cJSON_AddStringToObject(doc, "country", country) != NULL
                       : cJSON_AddNullToObject(doc, "country") != NULL) &&
              msg && cJSON_AddItemToObject(doc, "message", msg);
    if (!ok)
        cJSON_Delete(msg);
    if (!ok || !cJSON_AddItemToObject(doc, "findings", arr)) {
        cJSON_Delete(arr);
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

cJSON *pf_report_json_message(const pf_segments *seg)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "encoding", pf_encoding_name(seg->encoding));
    cJSON_AddNumberToObject(o, "characters", (double)seg->characters);
    cJSON_AddNumberToObject(o, "segments", (double)seg->segment_count);
    return o;
}

/* A slice of the message as a JSON string (valid UTF-8 guaranteed). */
static cJSON *slice(const char *msg, size_t start, size_t end)
{
    size_t n = end - start;
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    pf_report_clean_utf8(msg + start, n, buf, n * 3 + 1);
    cJSON *s = cJSON_CreateString(buf);
    free(buf);
    return s;
}

cJSON *pf_report_json_segments(const char *msg, size_t len, const pf_segments *seg)
{
    (void)len;
    cJSON *o = pf_report_json_message(seg);
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "units", (double)seg->units);
    cJSON_AddStringToObject(o, "unit",
                            seg->encoding == PF_ENC_GSM7 ? "septets" : "utf16_code_units");
    cJSON *parts = cJSON_AddArrayToObject(o, "parts");
    for (size_t i = 0; parts && i < seg->segment_count; i++) {
        const pf_segment *s = &seg->segments[i];
        cJSON *p = cJSON_CreateObject();
        if (!p)
            break;
        cJSON *span = cJSON_AddArrayToObject(p, "span");
        cJSON_AddItemToArray(span, cJSON_CreateNumber((double)s->byte_start));
        cJSON_AddItemToArray(span, cJSON_CreateNumber((double)s->byte_end));
        cJSON_AddNumberToObject(p, "units", s->units);
        cJSON_AddItemToObject(p, "text", slice(msg, s->byte_start, s->byte_end));
        cJSON_AddItemToArray(parts, p);
    }
    cJSON *cul = cJSON_AddArrayToObject(o, "ucs2_characters");
    for (size_t i = 0; cul && i < seg->culprit_count; i++) {
        const pf_ucs2_char *c = &seg->culprits[i];
        cJSON *p = cJSON_CreateObject();
        if (!p)
            break;
        char cp[16];
        snprintf(cp, sizeof cp, "U+%04X", (unsigned)c->codepoint);
        cJSON_AddNumberToObject(p, "offset", (double)c->offset);
        cJSON_AddItemToObject(p, "character", slice(msg, c->offset, c->offset + c->length));
        cJSON_AddStringToObject(p, "codepoint", cp);
        if (c->replacement)
            cJSON_AddStringToObject(p, "replacement", c->replacement);
        else
            cJSON_AddNullToObject(p, "replacement");
        cJSON_AddItemToArray(cul, p);
    }
    return o;
}

cJSON *pf_report_json_verdict(const pf_verdict *v)
{
    char *text;
    if (pf_verdict_to_json(v, 0, &text, NULL) != PF_OK)
        return NULL;
    cJSON *doc = cJSON_Parse(text);
    free(text);
    return doc;
}
