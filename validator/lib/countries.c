/*
 * countries.c — load, validate and look up the country SMS table.
 *
 * Loading works on cJSON trees: every file is validated on its own (so an
 * error names the file that has it), overlays are merged into the tree
 * field by field, and the merged tree is then turned into pf_country
 * structs whose strings point into it. The tree is kept for the table's
 * lifetime; nothing is mutated after loading, so threads share it freely.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cache_int.h"
#include "json_int.h"
#include "phonenumber_shim.h"
#include "preflight/countries.h"
#include "preflight/journal.h"
#include "preflight/number.h"
#include "preflight/util.h"
#include "preflight/version.h"
#include "tz_int.h"

/* The table is a few hundred KiB; anything far larger is not a table. */
#define COUNTRIES_FILE_MAX (64u << 20)

/* One state or province of a multi-zone country (data/timezones.json). */
struct area {
    char region[3];
    const char *code; /* "CA", "ON" */
    const char *name; /* "California", "Ontario" */
    const char **zones;
    size_t nzones;
};

struct pf_countries {
    cJSON *doc;       /* the merged document; strings point into it */
    char *snap;       /* or the snapshot they were read from (see below) */
    cJSON *zones_doc; /* data/timezones.json; area strings point into it */
    struct area *areas;
    size_t nareas;
    pf_country *entries; /* sorted by code */
    size_t count;
    short index[26 * 26]; /* code -> entry index + 1; 0 = none */
    void **blocks;        /* per-entry arrays to free */
    size_t nblocks;
    size_t capblocks;
};

static const char *const tri_names[] = {"unknown", "yes", "no", NULL};
static const char *const status_names[] = {"unknown", "supported", "registration_required",
                                           "not_supported", NULL};
static const char *const kind_names[] = {"long_code_domestic", "long_code_international",
                                         "toll_free",          "short_code",
                                         "alphanumeric",       NULL};
static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
static const char *const traffic_names[] = {"all", "promotional", NULL};

static const char *const entry_keys[] = {"name",
                                         "calling_code",
                                         "sms",
                                         "two_way",
                                         "concatenation",
                                         "length_note",
                                         "landline_sms",
                                         "senders",
                                         "registrations",
                                         "sender_id_rules",
                                         "quiet_hours",
                                         "content",
                                         "opt_out",
                                         "notes",
                                         "sources",
                                         "reviewed",
                                         NULL};
static const char *const content_keys[] = {"url_shorteners_banned", "urls_banned",
                                           "phone_numbers_banned",  "chat_app_links_banned",
                                           "banned_categories",     NULL};
static const char *const opt_out_keys[] = {"required", "keywords", NULL};
static const char *const registration_keys[] = {"name", "senders", "note", "optional", NULL};
static const char *const window_keys[] = {"from", "to", "days", "traffic", NULL};
static const char *const source_keys[] = {"url", "facts", "confidence", NULL};
static const char *const confidence_names[] = {"high", "low", NULL};
static const char *const top_keys[] = {"$schema", "schema", "overlay", "countries", NULL};

/* Every field path a source may name as backed. */
static const char *const fact_paths[] = {"sms",
                                         "two_way",
                                         "concatenation",
                                         "length_note",
                                         "landline_sms",
                                         "senders",
                                         "senders.long_code_domestic",
                                         "senders.long_code_international",
                                         "senders.toll_free",
                                         "senders.short_code",
                                         "senders.alphanumeric",
                                         "registrations",
                                         "sender_id_rules",
                                         "quiet_hours",
                                         "content",
                                         "content.url_shorteners_banned",
                                         "content.urls_banned",
                                         "content.phone_numbers_banned",
                                         "content.chat_app_links_banned",
                                         "content.banned_categories",
                                         "opt_out",
                                         "opt_out.required",
                                         "opt_out.keywords",
                                         NULL};

/* Category names shared with the rule packs (rules/README.md). */
static const char *const category_names[] = {"url-shortener",
                                             "url",
                                             "phone-number",
                                             "sex",
                                             "hate",
                                             "alcohol",
                                             "firearms",
                                             "tobacco",
                                             "cannabis",
                                             "gambling",
                                             "high-risk-financial",
                                             "debt-collection",
                                             "lead-generation",
                                             "political",
                                             "religious",
                                             "crypto",
                                             "phishing",
                                             "sensitive-data",
                                             "opt-out-missing",
                                             "brand-missing",
                                             "help",
                                             "filter-evasion",
                                             "chat-app",
                                             NULL};

const char *pf_tri_name(pf_tri t)
{
    return (unsigned)t < 3 ? tri_names[t] : "unknown";
}

const char *pf_sender_status_name(pf_sender_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "unknown";
}

const char *pf_sender_kind_name(pf_sender_kind k)
{
    return (unsigned)k < PF_SK_COUNT ? kind_names[k] : "unknown";
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(*list, s) == 0)
            return true;
    }
    return false;
}

/* ---- validation of one file (partial = overlay: keys may be absent) ---- */

static pf_status check_string_or_null(struct pfi_json *j, const cJSON *obj, const char *key,
                                      bool partial)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return partial ? PF_OK : pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key '%s'", key);
    if (!cJSON_IsString(v) && !cJSON_IsNull(v))
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected a string or null");
    return PF_OK;
}

static pf_status check_enum(struct pfi_json *j, const cJSON *obj, const char *key,
                            const char *const *names, bool partial)
{
    int dummy;
    bool present;
    pf_status st = pfi_json_get_enum(j, obj, key, names, &dummy, partial ? &present : NULL);
    return st;
}

/* "unknown" or an array of strings (each, when names is set, from names). */
static pf_status check_unknown_or_list(struct pfi_json *j, const cJSON *obj, const char *key,
                                       const char *const *names, bool partial)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return partial ? PF_OK : pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key '%s'", key);
    if (cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "unknown") != 0)
            return pfi_json_error(j, key, PF_E_SCHEMA,
                                  "expected \"unknown\" or an array, found \"%s\"", v->valuestring);
        return PF_OK;
    }
    if (!cJSON_IsArray(v))
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected \"unknown\" or an array");
    pf_status st = PF_OK;
    size_t i = 0;
    pfi_json_push_key(j, key);
    for (const cJSON *e = v->child; e && st == PF_OK; e = e->next, i++) {
        pfi_json_push_index(j, i);
        if (!cJSON_IsString(e) || !e->valuestring[0])
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "expected a non-empty string");
        else if (names && !in_list(e->valuestring, names))
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "unknown category '%s'", e->valuestring);
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

/* "HH:MM" -> minutes; false when it does not parse. */
static bool parse_hhmm(const char *s, unsigned *minutes)
{
    if (strlen(s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    unsigned h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    unsigned m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
    if (h > 23 || m > 59)
        return false;
    *minutes = h * 60 + m;
    return true;
}

static bool valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    int mo = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

static pf_status check_window(struct pfi_json *j, const cJSON *w)
{
    pf_status st = pfi_json_object(j, w, window_keys);
    const char *from, *to;
    const cJSON *days;
    unsigned m;
    if (st == PF_OK)
        st = pfi_json_get_string(j, w, "from", &from, NULL);
    if (st == PF_OK && !parse_hhmm(from, &m))
        st = pfi_json_error(j, "from", PF_E_SCHEMA, "'%s' is not a time HH:MM", from);
    if (st == PF_OK)
        st = pfi_json_get_string(j, w, "to", &to, NULL);
    if (st == PF_OK && !parse_hhmm(to, &m))
        st = pfi_json_error(j, "to", PF_E_SCHEMA, "'%s' is not a time HH:MM", to);
    if (st == PF_OK && strcmp(from, to) == 0)
        st = pfi_json_error(j, "to", PF_E_SCHEMA, "an empty window (from equals to)");
    if (st == PF_OK)
        st = pfi_json_get_array(j, w, "days", &days, NULL);
    if (st == PF_OK && !days->child)
        st = pfi_json_error(j, "days", PF_E_SCHEMA, "a window needs at least one day");
    if (st == PF_OK)
        st = check_unknown_or_list(j, w, "days", day_names, false);
    if (st == PF_OK)
        st = check_enum(j, w, "traffic", traffic_names, false);
    return st;
}

static pf_status check_quiet(struct pfi_json *j, const cJSON *entry, bool partial)
{
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(entry, "quiet_hours");
    if (!q)
        return partial ? PF_OK : pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key 'quiet_hours'");
    if (cJSON_IsNull(q) || (cJSON_IsString(q) && strcmp(q->valuestring, "unknown") == 0))
        return PF_OK;
    if (!cJSON_IsArray(q))
        return pfi_json_error(j, "quiet_hours", PF_E_SCHEMA,
                              "expected \"unknown\", null or an array of windows");
    pf_status st = PF_OK;
    size_t i = 0;
    pfi_json_push_key(j, "quiet_hours");
    for (const cJSON *w = q->child; w && st == PF_OK; w = w->next, i++) {
        pfi_json_push_index(j, i);
        st = check_window(j, w);
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

static pf_status check_object_enums(struct pfi_json *j, const cJSON *entry, const char *key,
                                    const char *const *keys, const char *const *names, bool partial)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(entry, key);
    if (!o)
        return partial ? PF_OK : pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key '%s'", key);
    pfi_json_push_key(j, key);
    pf_status st = pfi_json_object(j, o, keys);
    for (const char *const *k = keys; *k && st == PF_OK; k++) {
        if (names)
            st = check_enum(j, o, *k, names, partial);
    }
    pfi_json_pop(j);
    return st;
}

static pf_status check_registrations(struct pfi_json *j, const cJSON *entry, bool partial)
{
    const cJSON *arr;
    bool present;
    pf_status st = pfi_json_get_array(j, entry, "registrations", &arr, partial ? &present : NULL);
    if (st != PF_OK || !arr)
        return st;
    size_t i = 0;
    pfi_json_push_key(j, "registrations");
    for (const cJSON *r = arr->child; r && st == PF_OK; r = r->next, i++) {
        const char *s;
        const cJSON *kinds;
        pfi_json_push_index(j, i);
        st = pfi_json_object(j, r, registration_keys);
        if (st == PF_OK)
            st = pfi_json_get_string(j, r, "name", &s, NULL);
        if (st == PF_OK)
            st = pfi_json_get_string(j, r, "note", &s, NULL);
        if (st == PF_OK)
            st = pfi_json_get_array(j, r, "senders", &kinds, NULL);
        if (st == PF_OK)
            st = check_unknown_or_list(j, r, "senders", kind_names, false);
        if (st == PF_OK) {
            bool optional, has;
            st = pfi_json_get_bool(j, r, "optional", &optional, &has);
        }
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

static pf_status check_sources(struct pfi_json *j, const cJSON *entry, bool partial)
{
    const cJSON *arr;
    bool present;
    pf_status st = pfi_json_get_array(j, entry, "sources", &arr, partial ? &present : NULL);
    if (st != PF_OK || !arr)
        return st;
    size_t i = 0;
    pfi_json_push_key(j, "sources");
    for (const cJSON *s = arr->child; s && st == PF_OK; s = s->next, i++) {
        const char *url;
        const cJSON *facts;
        pfi_json_push_index(j, i);
        st = pfi_json_object(j, s, source_keys);
        if (st == PF_OK)
            st = pfi_json_get_string(j, s, "url", &url, NULL);
        if (st == PF_OK && strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
            st = pfi_json_error(j, "url", PF_E_SCHEMA, "a source must be an http(s) address");
        if (st == PF_OK)
            st = check_enum(j, s, "confidence", confidence_names, true);
        if (st == PF_OK)
            st = pfi_json_get_array(j, s, "facts", &facts, NULL);
        if (st == PF_OK) {
            size_t k = 0;
            pfi_json_push_key(j, "facts");
            for (const cJSON *f = facts->child; f && st == PF_OK; f = f->next, k++) {
                pfi_json_push_index(j, k);
                if (!cJSON_IsString(f) || !in_list(f->valuestring, fact_paths))
                    st = pfi_json_error(j, NULL, PF_E_SCHEMA, "not a field path of an entry");
                pfi_json_pop(j);
            }
            pfi_json_pop(j);
        }
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

static pf_status check_entry(struct pfi_json *j, const char *code, const cJSON *e, bool partial)
{
    pf_status st = pfi_json_object(j, e, entry_keys);
    const char *s;
    bool present;
    long cc;

    if (st == PF_OK)
        st = pfi_json_get_string(j, e, "name", &s, partial ? &present : NULL);
    if (st == PF_OK)
        st = pfi_json_get_int(j, e, "calling_code", 1, 999, &cc, partial ? &present : NULL);
    if (st == PF_OK && cJSON_GetObjectItemCaseSensitive(e, "calling_code") &&
        cc != pf_region_calling_code(code))
        st = pfi_json_error(j, "calling_code", PF_E_SCHEMA, "%s has calling code %d, not %ld", code,
                            pf_region_calling_code(code), cc);
    static const char *const tris[] = {"sms", "two_way", "concatenation", "landline_sms", NULL};
    for (const char *const *t = tris; *t && st == PF_OK; t++)
        st = check_enum(j, e, *t, tri_names, partial);
    if (st == PF_OK)
        st = check_string_or_null(j, e, "length_note", partial);
    if (st == PF_OK)
        st = check_string_or_null(j, e, "sender_id_rules", partial);
    if (st == PF_OK)
        st = check_object_enums(j, e, "senders", kind_names, status_names, partial);
    if (st == PF_OK)
        st = check_registrations(j, e, partial);
    if (st == PF_OK)
        st = check_quiet(j, e, partial);
    if (st == PF_OK) {
        static const char *const flags[] = {"url_shorteners_banned", "urls_banned",
                                            "phone_numbers_banned", "chat_app_links_banned", NULL};
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "content");
        if (c) {
            pfi_json_push_key(j, "content");
            st = pfi_json_object(j, c, content_keys);
            for (const char *const *f = flags; *f && st == PF_OK; f++)
                st = check_enum(j, c, *f, tri_names, partial);
            if (st == PF_OK)
                st = check_unknown_or_list(j, c, "banned_categories", category_names, partial);
            pfi_json_pop(j);
        } else if (!partial) {
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key 'content'");
        }
    }
    if (st == PF_OK) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "opt_out");
        if (o) {
            pfi_json_push_key(j, "opt_out");
            st = pfi_json_object(j, o, opt_out_keys);
            if (st == PF_OK)
                st = check_enum(j, o, "required", tri_names, partial);
            if (st == PF_OK)
                st = check_unknown_or_list(j, o, "keywords", NULL, partial);
            pfi_json_pop(j);
        } else if (!partial) {
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key 'opt_out'");
        }
    }
    if (st == PF_OK)
        st = pfi_json_get_string(j, e, "notes", &s, partial ? &present : NULL);
    if (st == PF_OK)
        st = check_sources(j, e, partial);
    if (st == PF_OK) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "reviewed");
        if (!r && !partial)
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key 'reviewed'");
        else if (r && !cJSON_IsNull(r) && !(cJSON_IsString(r) && valid_date(r->valuestring)))
            st = pfi_json_error(j, "reviewed", PF_E_SCHEMA, "expected a date YYYY-MM-DD or null");
    }
    return st;
}

static pf_status check_file(struct pfi_json *j, const cJSON *root, bool *overlay)
{
    pf_status st = pfi_json_object(j, root, top_keys);
    long schema;
    const cJSON *countries;
    bool present;

    *overlay = false;
    if (st == PF_OK)
        st = pfi_json_schema_ref(j, root);
    if (st == PF_OK)
        st = pfi_json_get_int(j, root, "schema", 1, 1, &schema, NULL);
    if (st == PF_OK)
        st = pfi_json_get_bool(j, root, "overlay", overlay, &present);
    if (st != PF_OK)
        return st;
    countries = cJSON_GetObjectItemCaseSensitive(root, "countries");
    if (!countries)
        return pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key 'countries'");
    pfi_json_push_key(j, "countries");
    if (!cJSON_IsObject(countries))
        st = pfi_json_error(j, NULL, PF_E_SCHEMA, "expected an object of regions");
    for (const cJSON *e = countries->child; e && st == PF_OK; e = e->next) {
        if (!pf_region_is_supported(e->string)) {
            st = pfi_json_error_key(j, e->string, 0, PF_E_SCHEMA,
                                    "'%s' is not a region code libphonenumber supports", e->string);
            break;
        }
        for (const cJSON *p = countries->child; p != e; p = p->next) {
            if (strcmp(p->string, e->string) == 0) {
                st = pfi_json_error_key(j, e->string, 1, PF_E_SCHEMA, "duplicate region '%s'",
                                        e->string);
                break;
            }
        }
        if (st != PF_OK)
            break;
        pfi_json_push_key(j, e->string);
        st = check_entry(j, e->string, e, *overlay);
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

/* ---- merging and building ---- */

/* Replace or merge obj[key] with the overlay's value; objects merge per key. */
static pf_status merge_into(cJSON *base, const cJSON *over)
{
    for (const cJSON *o = over->child; o; o = o->next) {
        cJSON *b = cJSON_GetObjectItemCaseSensitive(base, o->string);
        if (b && cJSON_IsObject(b) && cJSON_IsObject(o)) {
            pf_status st = merge_into(b, o);
            if (st != PF_OK)
                return st;
            continue;
        }
        cJSON *copy = cJSON_Duplicate(o, 1);
        if (!copy)
            return PF_E_NOMEM;
        if (b) {
            if (!cJSON_ReplaceItemInObjectCaseSensitive(base, o->string, copy)) {
                cJSON_Delete(copy);
                return PF_E_NOMEM;
            }
        } else if (!cJSON_AddItemToObject(base, o->string, copy)) {
            cJSON_Delete(copy);
            return PF_E_NOMEM;
        }
    }
    return PF_OK;
}

static void *keep(pf_countries *t, size_t size)
{
    if (t->nblocks == t->capblocks) {
        size_t ncap = t->capblocks ? t->capblocks * 2 : 256;
        void **nb = realloc(t->blocks, ncap * sizeof *nb);
        if (!nb)
            return NULL;
        t->blocks = nb;
        t->capblocks = ncap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p)
        t->blocks[t->nblocks++] = p;
    return p;
}

static int enum_index(const char *s, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0)
            return i;
    }
    return 0;
}

static pf_tri tri_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? (pf_tri)enum_index(v->valuestring, tri_names) : PF_TRI_UNKNOWN;
}

static const char *str_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A list field: false when it is "unknown" (or absent). */
static bool list_of(pf_countries *t, const cJSON *v, const char *const **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!cJSON_IsArray(v))
        return false;
    size_t n = (size_t)cJSON_GetArraySize(v);
    const char **arr = keep(t, n * sizeof *arr);
    if (!arr)
        return false;
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next)
        arr[i++] = e->valuestring;
    *out = arr;
    *count = n;
    return true;
}

static pf_status build_entry(pf_countries *t, const cJSON *e, pf_country *c)
{
    memcpy(c->code, e->string, 2);
    c->name = str_of(e, "name");
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(e, "calling_code");
    c->calling_code = cJSON_IsNumber(cc) ? cc->valueint : 0;
    c->sms = tri_of(e, "sms");
    c->two_way = tri_of(e, "two_way");
    c->concatenation = tri_of(e, "concatenation");
    c->landline_sms = tri_of(e, "landline_sms");
    c->length_note = str_of(e, "length_note");
    c->sender_id_rules = str_of(e, "sender_id_rules");
    c->notes = str_of(e, "notes");

    const cJSON *senders = cJSON_GetObjectItemCaseSensitive(e, "senders");
    for (int k = 0; k < PF_SK_COUNT; k++) {
        const char *s = str_of(senders, kind_names[k]);
        c->senders[k] = s ? (pf_sender_status)enum_index(s, status_names) : PF_SS_UNKNOWN;
    }

    const cJSON *regs = cJSON_GetObjectItemCaseSensitive(e, "registrations");
    size_t nreg = (size_t)cJSON_GetArraySize(regs);
    pf_registration *reg = keep(t, nreg * sizeof *reg);
    if (!reg)
        return PF_E_NOMEM;
    size_t i = 0;
    for (const cJSON *r = regs ? regs->child : NULL; r; r = r->next, i++) {
        reg[i].name = str_of(r, "name");
        reg[i].note = str_of(r, "note");
        reg[i].optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "optional"));
        const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(r, "senders");
        for (const cJSON *k = kinds ? kinds->child : NULL; k; k = k->next)
            reg[i].senders |= 1u << enum_index(k->valuestring, kind_names);
    }
    c->registrations = reg;
    c->registration_count = nreg;

    const cJSON *q = cJSON_GetObjectItemCaseSensitive(e, "quiet_hours");
    if (cJSON_IsNull(q)) {
        c->quiet = PF_QUIET_NONE;
    } else if (cJSON_IsArray(q)) {
        size_t nw = (size_t)cJSON_GetArraySize(q);
        pf_quiet_window *w = keep(t, nw * sizeof *w);
        if (!w)
            return PF_E_NOMEM;
        i = 0;
        for (const cJSON *x = q->child; x; x = x->next, i++) {
            parse_hhmm(str_of(x, "from"), &w[i].from_minute);
            parse_hhmm(str_of(x, "to"), &w[i].to_minute);
            const cJSON *days = cJSON_GetObjectItemCaseSensitive(x, "days");
            for (const cJSON *d = days->child; d; d = d->next)
                w[i].days |= 1u << enum_index(d->valuestring, day_names);
            w[i].promotional_only = strcmp(str_of(x, "traffic"), "promotional") == 0;
        }
        c->quiet = PF_QUIET_WINDOWS;
        c->quiet_windows = w;
        c->quiet_window_count = nw;
    }

    const cJSON *content = cJSON_GetObjectItemCaseSensitive(e, "content");
    c->url_shorteners_banned = tri_of(content, "url_shorteners_banned");
    c->urls_banned = tri_of(content, "urls_banned");
    c->phone_numbers_banned = tri_of(content, "phone_numbers_banned");
    c->chat_app_links_banned = tri_of(content, "chat_app_links_banned");
    c->banned_categories_known =
        list_of(t, cJSON_GetObjectItemCaseSensitive(content, "banned_categories"),
                &c->banned_categories, &c->banned_category_count);

    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(e, "opt_out");
    c->opt_out_required = tri_of(opt, "required");
    c->opt_out_keywords_known = list_of(t, cJSON_GetObjectItemCaseSensitive(opt, "keywords"),
                                        &c->opt_out_keywords, &c->opt_out_keyword_count);

    const cJSON *srcs = cJSON_GetObjectItemCaseSensitive(e, "sources");
    size_t ns = (size_t)cJSON_GetArraySize(srcs);
    pf_source *src = keep(t, ns * sizeof *src);
    if (!src)
        return PF_E_NOMEM;
    i = 0;
    for (const cJSON *s = srcs ? srcs->child : NULL; s; s = s->next, i++) {
        src[i].url = str_of(s, "url");
        const char *conf = str_of(s, "confidence");
        src[i].low_confidence = conf && strcmp(conf, "low") == 0;
        list_of(t, cJSON_GetObjectItemCaseSensitive(s, "facts"), &src[i].facts, &src[i].fact_count);
    }
    c->sources = src;
    c->source_count = ns;

    const char *rev = str_of(e, "reviewed");
    if (rev)
        memcpy(c->reviewed, rev, 10);
    return PF_OK;
}

static int cmp_code(const void *a, const void *b)
{
    return strcmp(((const pf_country *)a)->code, ((const pf_country *)b)->code);
}

static pf_status build(pf_countries *t)
{
    const cJSON *countries = cJSON_GetObjectItemCaseSensitive(t->doc, "countries");
    size_t n = (size_t)cJSON_GetArraySize(countries);
    t->entries = calloc(n ? n : 1, sizeof *t->entries);
    if (!t->entries)
        return PF_E_NOMEM;
    for (const cJSON *e = countries->child; e; e = e->next) {
        pf_status st = build_entry(t, e, &t->entries[t->count]);
        if (st != PF_OK)
            return st;
        t->count++;
    }
    qsort(t->entries, t->count, sizeof *t->entries, cmp_code);
    for (size_t i = 0; i < t->count; i++) {
        const char *c = t->entries[i].code;
        t->index[(c[0] - 'A') * 26 + (c[1] - 'A')] = (short)(i + 1);
    }
    return PF_OK;
}

void pf_countries_destroy(pf_countries *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nblocks; i++)
        free(t->blocks[i]);
    free(t->blocks);
    free(t->entries);
    for (size_t i = 0; i < t->nareas; i++)
        free(t->areas[i].zones);
    free(t->areas);
    cJSON_Delete(t->zones_doc);
    cJSON_Delete(t->doc);
    free(t->snap);
    free(t);
}

pf_status pf_countries_load_buffers(const char *const *texts, const size_t *lens,
                                    const char *const *names, size_t n, pf_countries **out,
                                    pf_diag *diag)
{
    pf_status st = PF_OK;
    pf_countries *t = calloc(1, sizeof *t);
    cJSON *root = NULL;

    *out = NULL;
    pf_diag_clear(diag);
    if (!t)
        return PF_E_NOMEM;
    if (n == 0) {
        pfi_diag_set(diag, PF_E_INVALID, "no country table given");
        st = PF_E_INVALID;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct pfi_json j;
        bool overlay = false;
        st = pfi_json_parse(&j, texts[i], lens[i], names[i], diag, &root);
        if (st == PF_OK)
            st = check_file(&j, root, &overlay);
        if (st != PF_OK)
            goto out;
        if (!overlay) {
            cJSON_Delete(t->doc);
            t->doc = root;
            root = NULL;
            continue;
        }
        if (!t->doc) {
            pfi_diag_file(diag, names[i]);
            pfi_diag_set(diag, PF_E_SCHEMA, "an overlay needs a full table loaded before it");
            st = PF_E_SCHEMA;
            goto out;
        }
        /* Overlay entries for regions the base lacks must then be complete. */
        cJSON *bc = cJSON_GetObjectItemCaseSensitive(t->doc, "countries");
        const cJSON *oc = cJSON_GetObjectItemCaseSensitive(root, "countries");
        for (const cJSON *e = oc ? oc->child : NULL; e; e = e->next) {
            cJSON *be = cJSON_GetObjectItemCaseSensitive(bc, e->string);
            if (be) {
                st = merge_into(be, e);
            } else {
                j.depth = 0;
                pfi_json_push_key(&j, "countries");
                pfi_json_push_key(&j, e->string);
                st = check_entry(&j, e->string, e, false);
                if (st == PF_OK) {
                    cJSON *copy = cJSON_Duplicate(e, 1);
                    st = copy && cJSON_AddItemToObject(bc, e->string, copy) ? PF_OK : PF_E_NOMEM;
                    if (st != PF_OK)
                        cJSON_Delete(copy);
                }
            }
            if (st != PF_OK)
                goto out;
        }
        cJSON_Delete(root);
        root = NULL;
    }
    st = build(t);
out:
    cJSON_Delete(root);
    if (st != PF_OK) {
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
        pf_countries_destroy(t);
        return st;
    }
    *out = t;
    return PF_OK;
}

/* ---- the binary snapshot (issue 20) ----
 *
 * Parsing and validating the 540 KB table took a quarter of a one-message
 * command's start, for one country. A table loaded from files is built
 * once the slow way and then kept in the start-up cache (cache_int.h, file
 * "countries"): the built entries as a list of 32-bit words and a pool of
 * NUL-terminated strings. The key is the SHA-256 of this format's name,
 * this library's version, the identity of the installed libphonenumber
 * (validation asks it which regions and calling codes exist) and every
 * file's bytes in order, so a changed file, overlay, order or library is
 * a miss and validates in full (errors are reported as before; only a
 * table that loaded is ever written). The files' hashes come from the
 * memo of file hashes (hashmemo.c) when their stat signatures are
 * unchanged, so a hit reads the snapshot and not the table. The reader checks every count,
 * string offset and enum value against the payload, so even a file that
 * passes the cache's checks cannot make it read out of bounds: anything
 * odd is a miss. test_countries compares every field of every entry of a
 * snapshot load with the slow one; tests/cli/cache_test.py the commands.
 *
 * Payload: u32 word count W, u32 pool size P, W words, P pool bytes (the
 * last one NUL). A string is its pool offset + 1, 0 for NULL; a list is
 * its count + 1 (0 for NULL) and then its strings.
 */
#define SNAP_FILE "countries"
#define SNAP_MAX_COUNTRIES 1000

struct snap_out {
    uint32_t *w;
    size_t nw, capw;
    char *pool;
    size_t npool, cappool;
    bool failed;
};

static void sw_u32(struct snap_out *o, uint32_t v)
{
    if (o->nw == o->capw &&
        pfi_grow((void **)&o->w, &o->capw, o->nw + 1, sizeof *o->w) != PF_OK) {
        o->failed = true;
        return;
    }
    o->w[o->nw++] = v;
}

static void sw_str(struct snap_out *o, const char *str)
{
    if (!str) {
        sw_u32(o, 0);
        return;
    }
    size_t n = strlen(str) + 1;
    if (o->npool + n > UINT32_MAX - 1 ||
        pfi_grow((void **)&o->pool, &o->cappool, o->npool + n, 1) != PF_OK) {
        o->failed = true;
        return;
    }
    sw_u32(o, (uint32_t)o->npool + 1);
    memcpy(o->pool + o->npool, str, n);
    o->npool += n;
}

static void sw_list(struct snap_out *o, const char *const *list, size_t n)
{
    sw_u32(o, list ? (uint32_t)n + 1 : 0);
    for (size_t i = 0; list && i < n; i++)
        sw_str(o, list[i]);
}

static void snap_entry(struct snap_out *o, const pf_country *c)
{
    sw_u32(o, (uint32_t)(unsigned char)c->code[0] | (uint32_t)(unsigned char)c->code[1] << 8);
    sw_str(o, c->name);
    sw_u32(o, (uint32_t)c->calling_code);
    sw_u32(o, c->sms);
    sw_u32(o, c->two_way);
    sw_u32(o, c->concatenation);
    sw_str(o, c->length_note);
    sw_u32(o, c->landline_sms);
    for (int k = 0; k < PF_SK_COUNT; k++)
        sw_u32(o, c->senders[k]);
    sw_u32(o, (uint32_t)c->registration_count);
    for (size_t i = 0; i < c->registration_count; i++) {
        sw_str(o, c->registrations[i].name);
        sw_u32(o, c->registrations[i].senders);
        sw_str(o, c->registrations[i].note);
        sw_u32(o, c->registrations[i].optional);
    }
    sw_str(o, c->sender_id_rules);
    sw_u32(o, c->quiet);
    sw_u32(o, c->quiet_windows ? (uint32_t)c->quiet_window_count + 1 : 0);
    for (size_t i = 0; c->quiet_windows && i < c->quiet_window_count; i++) {
        sw_u32(o, c->quiet_windows[i].from_minute);
        sw_u32(o, c->quiet_windows[i].to_minute);
        sw_u32(o, c->quiet_windows[i].days);
        sw_u32(o, c->quiet_windows[i].promotional_only);
    }
    sw_u32(o, c->url_shorteners_banned);
    sw_u32(o, c->urls_banned);
    sw_u32(o, c->phone_numbers_banned);
    sw_u32(o, c->chat_app_links_banned);
    sw_u32(o, c->banned_categories_known);
    sw_list(o, c->banned_categories, c->banned_category_count);
    sw_u32(o, c->opt_out_required);
    sw_u32(o, c->opt_out_keywords_known);
    sw_list(o, c->opt_out_keywords, c->opt_out_keyword_count);
    sw_str(o, c->notes);
    sw_u32(o, (uint32_t)c->source_count);
    for (size_t i = 0; i < c->source_count; i++) {
        sw_str(o, c->sources[i].url);
        sw_u32(o, c->sources[i].low_confidence);
        sw_list(o, c->sources[i].facts, c->sources[i].fact_count);
    }
    sw_str(o, c->reviewed);
}

/* The payload for table t into *buf (malloc'd); false on memory. */
static bool snap_write(const pf_countries *t, char **buf, size_t *len)
{
    struct snap_out o = {0};
    sw_u32(&o, (uint32_t)t->count);
    for (size_t i = 0; i < t->count; i++)
        snap_entry(&o, &t->entries[i]);
    *buf = NULL;
    if (!o.failed && (*buf = malloc(8 + 4 * o.nw + o.npool)) != NULL) {
        uint32_t head[2] = {(uint32_t)o.nw, (uint32_t)o.npool};
        memcpy(*buf, head, 8);
        memcpy(*buf + 8, o.w, 4 * o.nw);
        if (o.npool)
            memcpy(*buf + 8 + 4 * o.nw, o.pool, o.npool);
        *len = 8 + 4 * o.nw + o.npool;
    }
    free(o.w);
    free(o.pool);
    return *buf != NULL;
}

struct snap_in {
    const char *w; /* words (unaligned) */
    size_t nw, at;
    const char *pool;
    size_t npool;
    bool bad;
};

static uint32_t sr_u32(struct snap_in *in)
{
    uint32_t v = 0;
    if (in->at >= in->nw) {
        in->bad = true;
        return 0;
    }
    memcpy(&v, in->w + 4 * in->at++, 4);
    return v;
}

/* A value below limit (an enum or a flag), else the snapshot is bad. */
static uint32_t sr_enum(struct snap_in *in, uint32_t limit)
{
    uint32_t v = sr_u32(in);
    if (v >= limit)
        in->bad = true;
    return v < limit ? v : 0;
}

static const char *sr_str(struct snap_in *in)
{
    uint32_t v = sr_u32(in);
    if (v == 0)
        return NULL;
    if (v > in->npool) {
        in->bad = true;
        return NULL;
    }
    return in->pool + v - 1; /* the pool ends with a NUL (checked) */
}

/* A string the loader never leaves NULL (a list's items, a name, a
 * source's address): NULL makes the snapshot bad, so no reader of the
 * table meets a NULL there (found by fuzz_snapshot). */
static const char *sr_str_req(struct snap_in *in)
{
    const char *s = sr_str(in);
    if (!s)
        in->bad = true;
    return s ? s : "";
}

/* A count no larger than the words left could hold (each item at least one word). */
static size_t sr_count(struct snap_in *in, uint32_t v)
{
    if (v > in->nw - in->at) {
        in->bad = true;
        return 0;
    }
    return v;
}

static bool sr_list(struct snap_in *in, pf_countries *t, const char *const **out, size_t *count)
{
    uint32_t v = sr_u32(in);
    *out = NULL;
    *count = 0;
    if (v == 0)
        return true;
    size_t n = sr_count(in, v - 1);
    const char **arr = keep(t, n * sizeof *arr);
    if (!arr)
        return false;
    for (size_t i = 0; i < n; i++)
        arr[i] = sr_str_req(in);
    *out = arr;
    *count = n;
    return true;
}

static bool sr_entry(struct snap_in *in, pf_countries *t, pf_country *c)
{
    uint32_t code = sr_u32(in);
    c->code[0] = (char)(code & 0xff);
    c->code[1] = (char)(code >> 8 & 0xff);
    c->code[2] = '\0';
    if (code >> 16 || c->code[0] < 'A' || c->code[0] > 'Z' || c->code[1] < 'A' ||
        c->code[1] > 'Z')
        in->bad = true;
    c->name = sr_str_req(in);
    c->calling_code = (int)sr_u32(in);
    c->sms = (pf_tri)sr_enum(in, 3);
    c->two_way = (pf_tri)sr_enum(in, 3);
    c->concatenation = (pf_tri)sr_enum(in, 3);
    c->length_note = sr_str(in);
    c->landline_sms = (pf_tri)sr_enum(in, 3);
    for (int k = 0; k < PF_SK_COUNT; k++)
        c->senders[k] = (pf_sender_status)sr_enum(in, PF_SS_NOT_SUPPORTED + 1);
    size_t nreg = sr_count(in, sr_u32(in));
    pf_registration *reg = keep(t, nreg * sizeof *reg);
    if (!reg)
        return false;
    for (size_t i = 0; i < nreg; i++) {
        reg[i].name = sr_str_req(in);
        reg[i].senders = sr_u32(in);
        reg[i].note = sr_str(in);
        reg[i].optional = sr_enum(in, 2) != 0;
    }
    c->registrations = reg;
    c->registration_count = nreg;
    c->sender_id_rules = sr_str(in);
    c->quiet = (pf_quiet_state)sr_enum(in, PF_QUIET_WINDOWS + 1);
    uint32_t nw = sr_u32(in);
    if (nw) {
        size_t n = sr_count(in, nw - 1);
        pf_quiet_window *w = keep(t, n * sizeof *w);
        if (!w)
            return false;
        for (size_t i = 0; i < n; i++) {
            w[i].from_minute = sr_enum(in, 24 * 60);
            w[i].to_minute = sr_enum(in, 24 * 60);
            w[i].days = sr_enum(in, 1u << 7);
            w[i].promotional_only = sr_enum(in, 2) != 0;
        }
        c->quiet_windows = w;
        c->quiet_window_count = n;
    }
    c->url_shorteners_banned = (pf_tri)sr_enum(in, 3);
    c->urls_banned = (pf_tri)sr_enum(in, 3);
    c->phone_numbers_banned = (pf_tri)sr_enum(in, 3);
    c->chat_app_links_banned = (pf_tri)sr_enum(in, 3);
    c->banned_categories_known = sr_enum(in, 2) != 0;
    if (!sr_list(in, t, &c->banned_categories, &c->banned_category_count))
        return false;
    c->opt_out_required = (pf_tri)sr_enum(in, 3);
    c->opt_out_keywords_known = sr_enum(in, 2) != 0;
    if (!sr_list(in, t, &c->opt_out_keywords, &c->opt_out_keyword_count))
        return false;
    c->notes = sr_str(in);
    size_t ns = sr_count(in, sr_u32(in));
    pf_source *src = keep(t, ns * sizeof *src);
    if (!src)
        return false;
    for (size_t i = 0; i < ns; i++) {
        src[i].url = sr_str_req(in);
        src[i].low_confidence = sr_enum(in, 2) != 0;
        if (!sr_list(in, t, &src[i].facts, &src[i].fact_count))
            return false;
    }
    c->sources = src;
    c->source_count = ns;
    const char *rev = sr_str(in);
    if (!rev || strlen(rev) >= sizeof c->reviewed)
        in->bad = true;
    else
        memcpy(c->reviewed, rev, strlen(rev) + 1);
    return true;
}

/* A table from snapshot payload buf (taken over on success); NULL when it
 * is not a well-formed snapshot or memory runs out. */
static pf_countries *snap_read(char *buf, size_t len)
{
    uint32_t head[2];
    if (len < 8)
        return NULL;
    memcpy(head, buf, 8);
    if (head[0] == 0 || (len - 8) / 4 < head[0] || len - 8 - 4 * (size_t)head[0] != head[1] ||
        head[1] == 0 || buf[len - 1] != '\0')
        return NULL;
    struct snap_in in = {buf + 8, head[0], 0, buf + 8 + 4 * (size_t)head[0], head[1], false};
    pf_countries *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    size_t n = sr_u32(&in);
    if (n == 0 || n > SNAP_MAX_COUNTRIES || !(t->entries = calloc(n, sizeof *t->entries)))
        goto bad;
    for (size_t i = 0; i < n && !in.bad; i++) {
        if (!sr_entry(&in, t, &t->entries[i]))
            goto bad;
        /* Written sorted by code: anything else is not our snapshot. */
        if (i && strcmp(t->entries[i - 1].code, t->entries[i].code) >= 0)
            in.bad = true;
        t->count++;
    }
    if (in.bad || in.at != in.nw)
        goto bad;
    for (size_t i = 0; i < t->count; i++) {
        const char *c = t->entries[i].code;
        t->index[(c[0] - 'A') * 26 + (c[1] - 'A')] = (short)(i + 1);
    }
    t->snap = buf;
    return t;
bad:
    pf_countries_destroy(t);
    return NULL;
}

/* The snapshot reader on a copy of payload (fuzz_snapshot). */
struct pf_countries *pfi_countries_from_snapshot(const char *payload, size_t len)
{
    char *buf = malloc(len ? len : 1);
    if (!buf)
        return NULL;
    if (len)
        memcpy(buf, payload, len);
    pf_countries *t = snap_read(buf, len);
    if (!t)
        free(buf);
    return t;
}

/* The snapshot's key for files whose contents have these SHA-256s; false
 * when there is none (libphonenumber's identity unknown). */
static bool snap_key(const uint8_t *shas, size_t n, uint8_t key[32])
{
    char id[2048], k[2300];
    if (!pfi_phone_library_identity(id, sizeof id))
        return false;
    int kl = snprintf(k, sizeof k, "countries-snapshot 1\nlibpreflight %s\n%s\nfiles %zu\n",
                      pf_version(), id, n);
    if (kl <= 0 || (size_t)kl >= sizeof k)
        return false;
    uint8_t *d = malloc((n + 1) * 32);
    if (!d)
        return false;
    pf_sha256(k, (size_t)kl, d);
    memcpy(d + 32, shas, n * 32);
    pf_sha256(d, (n + 1) * 32, key);
    free(d);
    return true;
}

/* The key from the files' hashes, taken from the memo of file hashes
 * (hashmemo.c) when a file is unchanged since it was hashed: a warm start
 * does not read the table. false: no key (a file that cannot be hashed,
 * or standard input, is left to the slow path and its errors). */
static bool snap_key_files(const char *const *files, size_t n, uint8_t *shas, uint8_t key[32])
{
    pf_diag d;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = strcmp(files[i], "-") != 0 && pfi_file_sha256(files[i], shas + 32 * i, &d) == PF_OK;
    pfi_file_sha256_flush();
    return ok && snap_key(shas, n, key);
}

pf_status pf_countries_load(const char *const *files, size_t nfiles, pf_countries **out,
                            pf_diag *diag)
{
    pf_status st = PF_OK;
    size_t nn = nfiles ? nfiles : 1;
    char **texts = calloc(nn, sizeof *texts);
    size_t *lens = calloc(nn, sizeof *lens);
    uint8_t *shas = malloc(nn * 32), key[32];
    char *snap = NULL;
    size_t snap_len = 0;

    *out = NULL;
    if (!texts || !lens || !shas) {
        st = PF_E_NOMEM;
        goto out;
    }
    bool keyed = nfiles && pfi_cache_enabled() && snap_key_files(files, nfiles, shas, key);
    if (keyed && pfi_cache_read(SNAP_FILE, key, &snap, &snap_len)) {
        if ((*out = snap_read(snap, snap_len)) != NULL) {
            pf_diag_clear(diag);
            goto out; /* the table now owns snap */
        }
        free(snap);
        snap = NULL;
    }
    for (size_t i = 0; i < nfiles && st == PF_OK; i++)
        st = pf_read_file(files[i], COUNTRIES_FILE_MAX, &texts[i], &lens[i], diag);
    if (st == PF_OK)
        st = pf_countries_load_buffers((const char *const *)texts, lens, files, nfiles, out, diag);
    /* The snapshot goes under the key of the bytes just loaded: a file
     * that changed after it was hashed above gets its own key. */
    if (st == PF_OK && keyed) {
        for (size_t i = 0; i < nfiles; i++)
            pf_sha256(texts[i], lens[i], shas + 32 * i);
        if (snap_key(shas, nfiles, key) && snap_write(*out, &snap, &snap_len)) {
            (void)pfi_cache_write(SNAP_FILE, key, snap, snap_len);
            free(snap);
        }
    }
out:
    for (size_t i = 0; texts && i < nfiles; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    free(shas);
    return st;
}

const pf_country *pf_countries_get(const pf_countries *t, const char *code)
{
    if (!t || !code || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' ||
        code[2] != '\0')
        return NULL;
    short i = t->index[(code[0] - 'A') * 26 + (code[1] - 'A')];
    return i ? &t->entries[i - 1] : NULL;
}

size_t pf_countries_count(const pf_countries *t)
{
    return t ? t->count : 0;
}

const pf_country *pf_countries_at(const pf_countries *t, size_t i)
{
    return t && i < t->count ? &t->entries[i] : NULL;
}

/* Every fact of an entry by field path, and whether it is known. */
struct fact {
    const char *path;
    bool known;
};

static size_t entry_facts(const pf_country *c, struct fact *f)
{
    static const char *const sender_paths[PF_SK_COUNT] = {
        "senders.long_code_domestic", "senders.long_code_international", "senders.toll_free",
        "senders.short_code", "senders.alphanumeric"};
    size_t n = 0;
    f[n++] = (struct fact){"sms", c->sms != PF_TRI_UNKNOWN};
    f[n++] = (struct fact){"two_way", c->two_way != PF_TRI_UNKNOWN};
    f[n++] = (struct fact){"concatenation", c->concatenation != PF_TRI_UNKNOWN};
    f[n++] = (struct fact){"length_note", c->length_note != NULL};
    f[n++] = (struct fact){"landline_sms", c->landline_sms != PF_TRI_UNKNOWN};
    for (int k = 0; k < PF_SK_COUNT; k++)
        f[n++] = (struct fact){sender_paths[k], c->senders[k] != PF_SS_UNKNOWN};
    f[n++] = (struct fact){"registrations", c->registration_count > 0};
    f[n++] = (struct fact){"sender_id_rules", c->sender_id_rules != NULL};
    f[n++] = (struct fact){"quiet_hours", c->quiet != PF_QUIET_UNKNOWN};
    f[n++] =
        (struct fact){"content.url_shorteners_banned", c->url_shorteners_banned != PF_TRI_UNKNOWN};
    f[n++] = (struct fact){"content.urls_banned", c->urls_banned != PF_TRI_UNKNOWN};
    f[n++] =
        (struct fact){"content.phone_numbers_banned", c->phone_numbers_banned != PF_TRI_UNKNOWN};
    f[n++] =
        (struct fact){"content.chat_app_links_banned", c->chat_app_links_banned != PF_TRI_UNKNOWN};
    f[n++] = (struct fact){"content.banned_categories", c->banned_categories_known};
    f[n++] = (struct fact){"opt_out.required", c->opt_out_required != PF_TRI_UNKNOWN};
    f[n++] = (struct fact){"opt_out.keywords", c->opt_out_keywords_known};
    return n;
}

#define ENTRY_FACTS_MAX 24

/* Does source s back field (names it or an enclosing object)? */
bool pf_source_backs(const pf_source *s, const char *field)
{
    size_t flen = strlen(field);
    for (size_t f = 0; f < s->fact_count; f++) {
        const char *fact = s->facts[f];
        size_t n = strlen(fact);
        /* "senders" backs "senders.alphanumeric"; "sms" does not back "sms_x". */
        if (strcmp(fact, field) == 0 ||
            (n < flen && strncmp(fact, field, n) == 0 && field[n] == '.'))
            return true;
    }
    return false;
}

const pf_source *pf_country_source_for(const pf_country *c, const char *field)
{
    for (size_t s = 0; s < c->source_count; s++) {
        if (pf_source_backs(&c->sources[s], field))
            return &c->sources[s];
    }
    return NULL;
}

/* Backed, and only by low-confidence sources. */
static bool only_low(const pf_country *c, const char *field)
{
    bool any = false;
    for (size_t s = 0; s < c->source_count; s++) {
        if (!pf_source_backs(&c->sources[s], field))
            continue;
        if (!c->sources[s].low_confidence)
            return false;
        any = true;
    }
    return any;
}

bool pf_country_fact_low_confidence(const pf_country *c, const char *field)
{
    struct fact f[ENTRY_FACTS_MAX];
    size_t n = entry_facts(c, f);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].path, field) == 0)
            return f[i].known && only_low(c, field);
    }
    return false;
}

size_t pf_country_unsourced(const pf_country *c, const char **fields, size_t cap)
{
    struct fact f[ENTRY_FACTS_MAX];
    size_t nf = entry_facts(c, f), n = 0;
    for (size_t i = 0; i < nf; i++) {
        if (!f[i].known || pf_country_source_for(c, f[i].path))
            continue;
        if (n < cap)
            fields[n] = f[i].path;
        n++;
    }
    return n;
}

size_t pf_country_low_confidence(const pf_country *c, const char **fields, size_t cap)
{
    struct fact f[ENTRY_FACTS_MAX];
    size_t nf = entry_facts(c, f), n = 0;
    for (size_t i = 0; i < nf; i++) {
        if (!f[i].known || !only_low(c, f[i].path))
            continue;
        if (n < cap)
            fields[n] = f[i].path;
        n++;
    }
    return n;
}

/* ---- invariants over the table ---- */

struct issues {
    pf_country_issue *out;
    size_t cap, n;
};

static void issue(struct issues *is, const pf_country *c, const char *field, const char *f, ...)
    PF_PRINTF(4, 5);

static void issue(struct issues *is, const pf_country *c, const char *field, const char *f, ...)
{
    if (is->n < is->cap) {
        pf_country_issue *x = &is->out[is->n];
        memcpy(x->code, c->code, 3);
        x->field = field;
        va_list ap;
        va_start(ap, f);
        vsnprintf(x->message, sizeof x->message, f, ap);
        va_end(ap);
    }
    is->n++;
}

static bool may_send(pf_sender_status s)
{
    return s == PF_SS_SUPPORTED || s == PF_SS_REGISTRATION_REQUIRED;
}

static void check_country(struct issues *is, const pf_country *c)
{
    static const char *const sender_paths[PF_SK_COUNT] = {
        "senders.long_code_domestic", "senders.long_code_international", "senders.toll_free",
        "senders.short_code", "senders.alphanumeric"};
    struct fact f[ENTRY_FACTS_MAX];
    size_t nf = entry_facts(c, f);

    for (size_t i = 0; i < nf; i++) {
        if (f[i].known && !pf_country_source_for(c, f[i].path))
            issue(is, c, f[i].path, "a known value that no source backs");
    }
    if (!c->reviewed[0]) {
        /* Its known values, if any, have no source either: reported above. */
        if (c->source_count)
            issue(is, c, "reviewed", "sources are listed but the entry is not reviewed");
    } else if (c->source_count == 0) {
        issue(is, c, "sources", "a reviewed entry needs at least one source");
    }

    /* registration_required <=> a registration that is not optional names the kind. */
    unsigned required = 0;
    for (size_t i = 0; i < c->registration_count; i++) {
        if (!c->registrations[i].optional)
            required |= c->registrations[i].senders;
    }
    for (int k = 0; k < PF_SK_COUNT; k++) {
        bool named = required & (1u << k);
        if (c->senders[k] == PF_SS_REGISTRATION_REQUIRED && !named)
            issue(is, c, sender_paths[k],
                  "registration_required, but no registration that is not optional names %s",
                  kind_names[k]);
        /* not_supported stays allowed: a source may say the provider does not
         * offer the kind at all although the country has a registration for it. */
        else if (named && c->senders[k] != PF_SS_REGISTRATION_REQUIRED &&
                 c->senders[k] != PF_SS_NOT_SUPPORTED)
            issue(is, c, sender_paths[k],
                  "a required registration names %s, so it must be registration_required "
                  "(or not_supported), not %s",
                  kind_names[k], status_names[c->senders[k]]);
    }

    /* Replies reach numeric senders only; an alphanumeric ID cannot receive. */
    if (c->two_way == PF_TRI_YES) {
        bool numeric = false;
        for (int k = 0; k < PF_SK_ALPHANUMERIC; k++)
            numeric |= may_send(c->senders[k]);
        if (!numeric)
            issue(is, c, "two_way",
                  "two_way is yes, but no numeric sender kind (long code, toll-free, short "
                  "code) is supported or registration_required");
    }
    if (c->sms == PF_TRI_NO) {
        for (int k = 0; k < PF_SK_COUNT; k++) {
            if (may_send(c->senders[k]))
                issue(is, c, sender_paths[k], "sms is no, but this sender kind may send");
        }
    }
}

size_t pf_countries_check(const pf_countries *t, pf_country_issue *out, size_t cap)
{
    struct issues is = {out, cap, 0};
    for (size_t i = 0; t && i < t->count; i++)
        check_country(&is, &t->entries[i]);
    return is.n;
}

/* ---- time zones by area ---- */

static void free_areas(struct area *areas, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(areas[i].zones);
    free(areas);
}

static pf_status load_areas(struct pfi_json *j, const cJSON *root, struct area **out, size_t *nout)
{
    static const char *const top[] = {"$schema", "schema", "reviewed", "sources", "regions", NULL};
    static const char *const region_keys[] = {"areas", NULL};
    static const char *const area_keys[] = {"name", "zones", NULL};
    struct area *areas = NULL;
    size_t n = 0, cap = 0;
    long schema;
    const char *reviewed;
    const cJSON *sources, *regions;
    pf_status st = pfi_json_object(j, root, top);
    if (st == PF_OK)
        st = pfi_json_schema_ref(j, root);
    if (st == PF_OK)
        st = pfi_json_get_int(j, root, "schema", 1, 1, &schema, NULL);
    if (st == PF_OK)
        st = pfi_json_get_string(j, root, "reviewed", &reviewed, NULL);
    if (st == PF_OK && !valid_date(reviewed))
        st = pfi_json_error(j, "reviewed", PF_E_SCHEMA, "expected a date YYYY-MM-DD");
    if (st == PF_OK)
        st = pfi_json_get_array(j, root, "sources", &sources, NULL);
    if (st == PF_OK && !sources->child)
        st = pfi_json_error(j, "sources", PF_E_SCHEMA, "at least one source is required");
    if (st == PF_OK)
        st = check_unknown_or_list(j, root, "sources", NULL, false);
    regions = cJSON_GetObjectItemCaseSensitive(root, "regions");
    if (st == PF_OK && !cJSON_IsObject(regions))
        st = pfi_json_error(j, "regions", PF_E_SCHEMA, "expected an object of regions");
    /* ICU's lists from the start-up cache when it has them (tz_int.h). */
    struct pfi_tz_ids_memo *memo = st == PF_OK ? pfi_tz_ids_memo_open() : NULL;
    pfi_json_push_key(j, "regions");
    for (const cJSON *r = regions ? regions->child : NULL; r && st == PF_OK; r = r->next) {
        if (!pf_region_is_supported(r->string)) {
            st = pfi_json_error_key(j, r->string, 0, PF_E_SCHEMA, "'%s' is not a region code",
                                    r->string);
            break;
        }
        pfi_json_push_key(j, r->string);
        st = pfi_json_object(j, r, region_keys);
        char *rids = NULL; /* ICU's zones of this region, listed once */
        if (st == PF_OK)
            st = pfi_tz_ids_memo_get(memo, r->string, &rids);
        const cJSON *as = cJSON_GetObjectItemCaseSensitive(r, "areas");
        if (st == PF_OK && !cJSON_IsObject(as))
            st = pfi_json_error(j, "areas", PF_E_SCHEMA, "expected an object of areas");
        pfi_json_push_key(j, "areas");
        for (const cJSON *a = as ? as->child : NULL; a && st == PF_OK; a = a->next) {
            pfi_json_push_key(j, a->string);
            const char *name;
            const cJSON *zones;
            st = pfi_json_object(j, a, area_keys);
            if (st == PF_OK)
                st = pfi_json_get_string(j, a, "name", &name, NULL);
            if (st == PF_OK)
                st = pfi_json_get_array(j, a, "zones", &zones, NULL);
            if (st == PF_OK && !zones->child)
                st = pfi_json_error(j, "zones", PF_E_SCHEMA, "an area needs at least one zone");
            if (st == PF_OK && n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct area *na = realloc(areas, ncap * sizeof *na);
                if (!na)
                    st = PF_E_NOMEM;
                else {
                    areas = na;
                    cap = ncap;
                }
            }
            if (st == PF_OK) {
                struct area *ar = &areas[n];
                memset(ar, 0, sizeof *ar);
                memcpy(ar->region, r->string, 2);
                ar->code = a->string;
                ar->name = name;
                ar->nzones = (size_t)cJSON_GetArraySize(zones);
                ar->zones = calloc(ar->nzones, sizeof *ar->zones);
                if (!ar->zones)
                    st = PF_E_NOMEM;
                else
                    n++;
                size_t k = 0;
                pfi_json_push_key(j, "zones");
                for (const cJSON *z = zones->child; z && st == PF_OK; z = z->next, k++) {
                    pfi_json_push_index(j, k);
                    if (!cJSON_IsString(z))
                        st = pfi_json_error(j, NULL, PF_E_SCHEMA, "expected a zone id");
                    else if (!pfi_tz_ids_contain(rids, z->valuestring))
                        st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                                            "'%s' is not one of ICU's time zones for %s",
                                            z->valuestring, r->string);
                    else
                        ar->zones[k] = z->valuestring;
                    pfi_json_pop(j);
                }
                pfi_json_pop(j);
            }
            pfi_json_pop(j);
        }
        free(rids);
        pfi_json_pop(j);
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    pfi_tz_ids_memo_close(memo);
    if (st != PF_OK) {
        free_areas(areas, n);
        return st;
    }
    *out = areas;
    *nout = n;
    return PF_OK;
}

pf_status pf_countries_load_zones_buffer(pf_countries *t, const char *text, size_t len,
                                         const char *name, pf_diag *diag)
{
    struct pfi_json j;
    cJSON *root = NULL;
    struct area *areas = NULL;
    size_t n = 0;
    pf_diag_clear(diag);
    /* A table that checkers may already read is never changed: zones are
     * loaded once, as the last step of building the table. */
    if (t->zones_doc) {
        pfi_diag_file(diag, name);
        pfi_diag_set(diag, PF_E_INVALID,
                     "the table already has time zones; load a new table to change them");
        return PF_E_INVALID;
    }
    pf_status st = pfi_json_parse(&j, text, len, name, diag, &root);
    if (st == PF_OK)
        st = load_areas(&j, root, &areas, &n);
    if (st != PF_OK) {
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
        cJSON_Delete(root);
        return st;
    }
    t->zones_doc = root;
    t->areas = areas;
    t->nareas = n;
    return PF_OK;
}

pf_status pf_countries_load_zones(pf_countries *t, const char *file, pf_diag *diag)
{
    char *text;
    size_t len;
    pf_status st = pf_read_file(file, COUNTRIES_FILE_MAX, &text, &len, diag);
    if (st != PF_OK)
        return st;
    st = pf_countries_load_zones_buffer(t, text, len, file, diag);
    free(text);
    return st;
}

/* Does the zone data name any area of region? Without one a number's
 * description cannot narrow its zones, so engine.c does not look it up
 * (libphonenumber's geocoder is the dearest step of a batch row). */
bool pfi_countries_has_areas(const struct pf_countries *t, const char *region)
{
    for (size_t i = 0; t && i < t->nareas; i++) {
        if (strcmp(t->areas[i].region, region) == 0)
            return true;
    }
    return false;
}

/* The area one part of a description names: "City, ST" by code, else by name. */
static const struct area *find_area(const pf_countries *t, const char *region, const char *part,
                                    size_t len)
{
    const char *comma = NULL;
    for (size_t i = 0; i < len; i++) {
        if (part[i] == ',')
            comma = part + i;
    }
    const char *code = comma ? comma + 1 : NULL;
    while (code && *code == ' ')
        code++;
    size_t code_len = code ? (size_t)(part + len - code) : 0;
    for (size_t i = 0; i < t->nareas; i++) {
        const struct area *a = &t->areas[i];
        if (strcmp(a->region, region) != 0)
            continue;
        if (code ? strlen(a->code) == code_len && memcmp(a->code, code, code_len) == 0
                 : strlen(a->name) == len && memcmp(a->name, part, len) == 0)
            return a;
    }
    return NULL;
}

size_t pf_countries_area_zones(const pf_countries *t, const char *region, const char *description,
                               const char **zones, size_t cap, char *area, size_t area_cap)
{
    size_t n = 0, alen = 0;
    if (area && area_cap)
        area[0] = '\0';
    if (!t || !description || !*description)
        return 0;
    /* "Nova Scotia/Prince Edward Island": every named area must be known,
     * else the description as a whole is not (and all zones count). */
    for (const char *p = description; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        const struct area *a = find_area(t, region, p, len);
        if (!a)
            return 0;
        for (size_t z = 0; z < a->nzones; z++) {
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = strcmp(zones[k], a->zones[z]) == 0;
            if (!dup && n < cap)
                zones[n++] = a->zones[z];
        }
        if (area && alen + strlen(a->code) + 2 < area_cap) {
            alen +=
                (size_t)snprintf(area + alen, area_cap - alen, "%s%s", alen ? "/" : "", a->code);
        }
        p = slash ? slash + 1 : p + len;
    }
    return n;
}
