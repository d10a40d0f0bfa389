/*
 * verdict_json.c — a verdict as SPEC §3 JSON: the one writer the CLI,
 * batch, the gateway and the MCP server all print, so they agree byte for
 * byte.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
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

/* The trusted path: the cJSON tree, printed by cJSON. */
pf_status pfi_verdict_to_json_slow(const pf_verdict *v, unsigned flags, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    cJSON *doc = pfi_verdict_json(v);
    if (!doc)
        return PF_E_NOMEM;
    pf_status st = pfi_json_to_string(doc, flags, out, len);
    cJSON_Delete(doc);
    return st;
}

/* The streaming writer (below), the same bytes as the path above:
 * tests/unit/test_batch_stream.c and fuzz_message compare the two. */
pf_status pf_verdict_to_json(const pf_verdict *v, unsigned flags, char **out, size_t *len)
{
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (len)
        *len = 0;
    if (!v)
        return PF_E_INVALID;
    struct pfi_buf b = {NULL, 0, 0, true};
    if (flags & PF_JSON_PRETTY)
        pfi_verdict_write_json_pretty(&b, v);
    else
        pfi_verdict_write_json(&b, v, false);
    if (flags & PF_JSON_NEWLINE)
        pfi_buf_put(&b, "\n", 1);
    if (!b.ok) {
        pfi_buf_free(&b);
        return PF_E_NOMEM;
    }
    *out = b.s;
    if (len)
        *len = b.len;
    return PF_OK;
}

/* ---- the streaming writer (see verdict_int.h) ---- */

void pfi_buf_reset(struct pfi_buf *b)
{
    b->len = 0;
    b->ok = true;
    if (b->s)
        b->s[0] = '\0';
}

void pfi_buf_free(struct pfi_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

static bool reserve(struct pfi_buf *b, size_t n);

void pfi_buf_put(struct pfi_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void put_lit(struct pfi_buf *b, const char *s)
{
    pfi_buf_put(b, s, strlen(s));
}

/* Room for n more bytes (and the NUL); false once memory ran out. */
static bool reserve(struct pfi_buf *b, size_t n)
{
    if (!b->ok)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + n + 1)
        ncap *= 2;
    char *ns = realloc(b->s, ncap);
    if (!ns) {
        b->ok = false;
        return false;
    }
    b->s = ns;
    b->cap = ncap;
    return true;
}

/* Does any of the eight bytes in w need escaping: below 0x20, '"' or
 * '\\'? (Bytes from 0x80 never do.) Each test is exact as a whole: the
 * classic "has a zero byte" and "has a byte below n" expressions. */
static bool needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
}

void pfi_json_put_string(struct pfi_buf *b, const char *s)
{
    /* cJSON prints a NULL string as "" (cJSON_CreateString(NULL)). */
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    /* At most 6 bytes per input byte (\u00XX), plus the quotes. */
    if (!reserve(b, 6 * n + 2))
        return;
    char *o = b->s + b->len;
    const unsigned char *end = p + n;
    *o++ = '"';
    while (p < end) {
        /* Eight bytes at a time where none needs escaping: most of a
         * verdict's text (finding messages, fixes, sources). */
        uint64_t w;
        if (end - p >= 8 && (memcpy(&w, p, 8), !needs_escape(w))) {
            memcpy(o, p, 8);
            o += 8;
            p += 8;
            continue;
        }
        unsigned char c = *p++;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            /* cJSON's "u%04x": lower-case hex */
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = "0123456789abcdef"[c >> 4];
            *o++ = "0123456789abcdef"[c & 15];
            break;
        }
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->s);
}

void pfi_json_put_size(struct pfi_buf *b, size_t v)
{
    char tmp[32];
    size_t n = 0;
    if (v < 1000000000000000u) {
        /* cJSON's "%1.15g" of a double holding an integer below 10^15 is
         * its plain decimal digits: no exponent, nothing lost. */
        char rev[24];
        do {
            rev[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        for (size_t i = 0; i < n; i++)
            tmp[i] = rev[n - 1 - i];
        pfi_buf_put(b, tmp, n);
        return;
    }
    /* Larger: cJSON's own steps (1.7.15 print_number) on the double. */
    double d = (double)v, test = 0;
    int k = snprintf(tmp, sizeof tmp, "%1.15g", d);
    bool same = sscanf(tmp, "%lg", &test) == 1;
    /* cJSON's compare_double (d is positive here; test may not be). */
    double at = test < 0 ? -test : test, diff = test > d ? test - d : d - test;
    double big = at > d ? at : d;
    if (!same || !(diff <= big * DBL_EPSILON))
        k = snprintf(tmp, sizeof tmp, "%1.17g", d);
    pfi_buf_put(b, tmp, k > 0 ? (size_t)k : 0);
}

/*
 * The writer's layout: compact, or cJSON_Print's indentation, which is
 * (cJSON 1.7.15 print_object/print_array) an object as "{\n", each member
 * on its own line after depth tabs as "key":\tvalue, members joined by
 * ",\n", then "\n", depth-1 tabs and "}" (an empty object is "{\n", depth-1
 * tabs, "}"); an array as "[" with its elements joined by ", " and "]",
 * no line breaks of its own. Both count depth, objects and arrays alike.
 */
struct jw {
    struct pfi_buf *b;
    bool pretty;
    unsigned depth;
};

static void pad(struct jw *w, unsigned n)
{
    static const char tabs[] = "\t\t\t\t\t\t\t\t";
    while (n) {
        unsigned k = n < 8 ? n : 8;
        pfi_buf_put(w->b, tabs, k);
        n -= k;
    }
}

static void obj_open(struct jw *w)
{
    pfi_buf_put(w->b, "{\n", w->pretty ? 2 : 1);
    w->depth++;
}

/* members: how many the object got */
static void obj_close(struct jw *w, size_t members)
{
    if (w->pretty) {
        if (members)
            pfi_buf_put(w->b, "\n", 1);
        pad(w, w->depth - 1);
    }
    pfi_buf_put(w->b, "}", 1);
    w->depth--;
}

/* ,"key": — first: the object's first member */
static void put_key(struct jw *w, const char *key, bool first)
{
    /* Compact, a key of plain characters (every key here: they are the
     * writer's own names) goes in one piece. */
    size_t n = strlen(key);
    bool plain = !w->pretty;
    for (size_t i = 0; plain && i < n; i++)
        plain = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"' && key[i] != '\\';
    if (plain) {
        if (!reserve(w->b, n + 4))
            return;
        char *o = w->b->s + w->b->len;
        if (!first)
            *o++ = ',';
        *o++ = '"';
        memcpy(o, key, n);
        o += n;
        *o++ = '"';
        *o++ = ':';
        w->b->len = (size_t)(o - w->b->s);
        w->b->s[w->b->len] = '\0';
        return;
    }
    if (!first)
        pfi_buf_put(w->b, ",\n", w->pretty ? 2 : 1);
    if (w->pretty)
        pad(w, w->depth);
    pfi_json_put_string(w->b, key);
    pfi_buf_put(w->b, ":\t", w->pretty ? 2 : 1);
}

static void put_str_member(struct jw *w, const char *key, const char *val, bool first)
{
    put_key(w, key, first);
    pfi_json_put_string(w->b, val);
}

static void arr_open(struct jw *w)
{
    pfi_buf_put(w->b, "[", 1);
    w->depth++;
}

static void arr_sep(struct jw *w)
{
    pfi_buf_put(w->b, ", ", w->pretty ? 2 : 1);
}

static void arr_close(struct jw *w)
{
    pfi_buf_put(w->b, "]", 1);
    w->depth--;
}

/* The members in pfi_verdict_json's order, with its choices. */
static bool write_verdict(struct jw *w, const pf_verdict *v, bool open)
{
    char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    struct pfi_buf *b = w->b;
    obj_open(w);
    put_str_member(w, "verdict", pf_verdict_name(v->verdict), true);
    put_key(w, "user_number", false);
    obj_open(w);
    pf_utf8_clean(v->user.input, strlen(v->user.input), clean, sizeof clean);
    put_str_member(w, "input", clean, true);
    put_key(w, "e164", false);
    if (v->user_parsed)
        pfi_json_put_string(b, v->user.e164);
    else
        put_lit(b, "null");
    put_key(w, "valid", false);
    put_lit(b, v->user_parsed && v->user.valid ? "true" : "false");
    put_key(w, "region", false);
    if (v->user_parsed && v->user.region[0])
        pfi_json_put_string(b, v->user.region);
    else
        put_lit(b, "null");
    put_str_member(w, "type", pf_number_type_name(v->user.type), false);
    obj_close(w, 5);
    put_key(w, "agent_number", false);
    if (v->has_agent) {
        obj_open(w);
        pf_utf8_clean(v->agent_e164, strlen(v->agent_e164), clean, sizeof clean);
        put_str_member(w, "e164", clean, true);
        put_str_member(w, "selected", v->agent_auto ? "auto" : "explicit", false);
        put_str_member(w, "kind", pf_sender_type_name(v->agent_kind), false);
        put_key(w, "region", false);
        if (v->agent_region[0])
            pfi_json_put_string(b, v->agent_region);
        else
            put_lit(b, "null");
        obj_close(w, 4);
    } else {
        put_lit(b, "null");
    }
    put_key(w, "message", false);
    obj_open(w);
    if (v->has_message) {
        put_str_member(w, "encoding", pf_encoding_name(v->encoding), true);
        put_key(w, "characters", false);
        pfi_json_put_size(b, v->characters);
        put_key(w, "segments", false);
        pfi_json_put_size(b, v->segments);
    }
    obj_close(w, v->has_message ? 3 : 0);
    put_key(w, "findings", false);
    arr_open(w);
    for (size_t i = 0; i < v->findings.count; i++) {
        const pf_finding *f = &v->findings.items[i];
        if (i)
            arr_sep(w);
        obj_open(w);
        put_str_member(w, "id", f->id, true);
        put_str_member(w, "severity", pf_severity_name(f->severity), false);
        put_str_member(w, "message", f->message ? f->message : "", false);
        put_str_member(w, "fix", f->fix ? f->fix : "", false);
        put_str_member(w, "source", f->source ? f->source : "heuristic", false);
        if (f->has_span) {
            put_key(w, "span", false);
            arr_open(w);
            pfi_json_put_size(b, f->span_start);
            arr_sep(w);
            pfi_json_put_size(b, f->span_end);
            arr_close(w);
        }
        obj_close(w, f->has_span ? 6 : 5);
    }
    arr_close(w);
    if (!open)
        obj_close(w, 6);
    return b->ok;
}

bool pfi_verdict_write_json(struct pfi_buf *b, const pf_verdict *v, bool open)
{
    struct jw w = {b, false, 0};
    return write_verdict(&w, v, open);
}

bool pfi_verdict_write_json_pretty(struct pfi_buf *b, const pf_verdict *v)
{
    struct jw w = {b, true, 0};
    return write_verdict(&w, v, false);
}
