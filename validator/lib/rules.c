/*
 * rules.c — load content rule packs (rules/README.md) and compile them to
 * PCRE2 with JIT, once, into an immutable rule set.
 *
 * Word lists become one pattern each, tolerant of the usual evasions
 * (separators between letters, repeated letters, l33t digits) so that the
 * scanner never loops over words by hand.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "internal.h"
#include "json_int.h"
#include "model_int.h"
#include "phonenumber_shim.h"
#include "preflight/journal.h"
#include "preflight/number.h"
#include "preflight/util.h"
#include "preflight/version.h"
#include "rules_int.h"

#define PACK_FILE_MAX (8u << 20)
#define MAX_PACKS 256

static const char *const rule_keys[] = {"id",           "category",
                                        "severity",     "message",
                                        "fix",          "source",
                                        "pattern",      "words",
                                        "domains",      "require",
                                        "builtin",      "caseless",
                                        "countries",    "exclude_countries",
                                        "senders",      "first_message",
                                        "escalate",     "escalate_with_url",
                                        "number_types", "signals",
                                        "except",       "model",
                                        NULL};
static const char *const pack_keys[] = {"$schema", "pack", "description", "rules", NULL};
static const char *const matcher_keys[] = {"pattern", "words",   "domains", "require",
                                           "builtin", "signals", "model",   NULL};
static const char *const signals_keys[] = {"threshold", "weights", "when_unflagged", NULL};
static const char *const builtin_names[] = {"url", "phone_number", "brand_missing", NULL};
const char *const pfi_escalate_names[] = {"",
                                             "url_shorteners_banned",
                                             "urls_banned",
                                             "phone_numbers_banned",
                                             "chat_app_links_banned",
                                             "category",
                                             NULL};
static const char *const severity_names[] = {"info", "warn", "block", NULL};

/*
 * URLs: with a scheme or "www." any host; a bare host only when its last
 * label is a two-letter country domain or a common generic one, so that
 * "e.g." or "Mr.Smith" are not links. The look-behind keeps e-mail
 * addresses and the middle of words out.
 */
const char pfi_url_pattern[] =
    "(?<![\\p{L}\\p{N}@.\\-/_])"
    "(?:"
    "(?:https?://|www\\.)(?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}\\-]{0,61}[\\p{L}\\p{N}])?\\.)+"
    "\\p{L}{2,63}"
    "|"
    "(?:[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?\\.)+"
    "(?:[a-z]{2}|com|net|org|info|biz|app|dev|page|link|site|online|shop|store|xyz|top|"
    "club|live|click|tech|news|help|support|email|today|world|life|one|pro|mobi|asia|gov|edu)"
    "(?![\\p{L}\\p{N}\\-])"
    ")"
    "(?::\\d{2,5})?(?:[/?#][^\\s<>\"]*)?";

/* ---- word lists to one pattern ---- */

struct strbuf {
    char *s;
    size_t len, cap;
    bool failed;
};

static void sb_add(struct strbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *ns = realloc(b->s, ncap);
        if (!ns) {
            b->failed = true;
            return;
        }
        b->s = ns;
        b->cap = ncap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(struct strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* The class a letter may be written as: itself plus its l33t stand-ins. */
static const char *leet_class(char c)
{
    switch (c) {
    case 'a': return "[a4@]";
    case 'b': return "[b8]";
    case 'e': return "[e3]";
    case 'g': return "[g9]";
    case 'i': return "[i1!|]";
    case 'l': return "[l1|]";
    case 'o': return "[o0]";
    case 's': return "[s5$]";
    case 't': return "[t7+]";
    case 'z': return "[z2]";
    default: return NULL;
    }
}

/*
 * One word or phrase as a pattern alternative. In a single word each letter
 * may repeat and letters may be split by one separator, the same one all
 * through ("f.r.e.e", "f r e e" but not "fr ee": that would match across
 * ordinary word breaks). A phrase's words are joined by any white space or
 * punctuation run.
 */
static void word_alternative(struct strbuf *b, const char *w)
{
    bool phrase = strchr(w, ' ') != NULL;
    size_t letter = 0; /* index of the letter within the current word */
    sb_str(b, "(?:");
    for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
        if (*p == ' ') {
            while (p[1] == ' ')
                p++;
            sb_str(b, "[\\s\\-_.]+");
            letter = 0;
            continue;
        }
        /* L1+ (sep) L2+ \g{-1} L3+ \g{-1} L4+ ...: one separator, reused. */
        if (!phrase && letter >= 2)
            sb_str(b, "\\g{-1}");
        char lower = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        const char *cls = leet_class(lower);
        if (cls) {
            sb_str(b, cls);
        } else if (*p < 0x80 && !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
            char esc[3] = {'\\', (char)*p, 0};
            sb_str(b, esc);
        } else {
            /* Multi-byte UTF-8 letters are copied whole. */
            size_t n = 1;
            while ((p[n] & 0xC0) == 0x80)
                n++;
            sb_add(b, (const char *)p, n);
            p += n - 1;
        }
        sb_str(b, "+");
        if (!phrase && letter == 0)
            sb_str(b, "([\\s.\\-_*]?)");
        letter++;
    }
    sb_str(b, ")");
}

/* ---- loading ---- */

/*
 * JIT is an optimisation: where it is unavailable the interpreter runs.
 * PF_NO_JIT builds (for valgrind, which cannot see into JIT code and flags
 * its wide reads near the end of a subject) always use the interpreter.
 */
static _Thread_local bool tl_no_jit; /* pf_rules_load_flags' PF_RULES_NO_JIT */
/* This load leaves patterns to be compiled on first use (the files
 * compiled in full before: see lazy_key). */
static _Thread_local bool tl_lazy;

static void jit(pcre2_code *code)
{
#ifdef PF_NO_JIT
    (void)code;
#else
    if (!tl_no_jit)
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
#endif
}

/* Every rule pattern: UTF, Unicode properties, and the offset limit the
 * one-pass prefilter sets per message (onepass.c; without a limit set it
 * changes nothing). */
#define PF_RULE_FLAGS (PCRE2_UTF | PCRE2_UCP | PCRE2_USE_OFFSET_LIMIT)

static pf_status compile(struct pfi_json *j, const char *key, size_t idx, const char *re,
                         bool caseless, pfi_code_slot *out)
{
    int err;
    PCRE2_SIZE off;
    uint32_t flags = PF_RULE_FLAGS | (caseless ? PCRE2_CASELESS : 0);
    if (tl_lazy) {
        atomic_init(out, NULL); /* compiled by pfi_rule_code on first use */
        return PF_OK;
    }
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, flags, &err, &off, NULL);
    if (!code) {
        char msg[256];
        pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof msg);
        pfi_json_push_key(j, key);
        if (idx != (size_t)-1)
            pfi_json_push_index(j, idx);
        pf_status st = pfi_json_error(j, NULL, PF_E_SYNTAX,
                                      "regular expression does not compile: %s (at offset %zu)",
                                      msg, (size_t)off);
        if (idx != (size_t)-1)
            pfi_json_pop(j);
        pfi_json_pop(j);
        return st;
    }
    jit(code);
    atomic_init(out, code);
    return PF_OK;
}

/* The first use of a pattern of a lazily loaded set: compile it (it
 * compiled when the same files were loaded in full), publish it with a
 * compare-and-swap; a thread that loses the race frees its own copy. */
static const pcre2_code *on_demand(pfi_code_slot *slot, const char *re, bool caseless, bool jit_it)
{
    pcre2_code *code = atomic_load_explicit(slot, memory_order_acquire);
    if (code)
        return code;
    int err;
    PCRE2_SIZE off;
    uint32_t flags = PF_RULE_FLAGS | (caseless ? PCRE2_CASELESS : 0);
    pcre2_code *mine = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, flags, &err, &off, NULL);
    if (!mine)
        return NULL;
#ifndef PF_NO_JIT
    if (jit_it)
        (void)pcre2_jit_compile(mine, PCRE2_JIT_COMPLETE);
#else
    (void)jit_it;
#endif
    if (atomic_compare_exchange_strong_explicit(slot, &code, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    pcre2_code_free(mine);
    return code;
}

const pcre2_code *pfi_rule_code(const struct pfi_rule *r, size_t c)
{
    return on_demand(&r->codes[c], r->sources[c], r->caseless, r->jit);
}

const pcre2_code *pfi_rule_except(const struct pfi_rule *r, size_t e)
{
    return on_demand(&r->except[e], r->except_src[e], true, r->jit);
}

bool pfi_rules_lazy(const pf_ruleset *set)
{
    return set && set->lazy;
}

/* A string or an array of strings, as an array of (borrowed) pointers. */
static pf_status string_or_list(struct pfi_json *j, const cJSON *rule, const char *key,
                                const char ***out, size_t *n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, key);
    *out = NULL;
    *n = 0;
    if (cJSON_IsString(v)) {
        const char **a = malloc(sizeof *a);
        if (!a)
            return PF_E_NOMEM;
        a[0] = v->valuestring;
        *out = a;
        *n = 1;
        return PF_OK;
    }
    if (!cJSON_IsArray(v) || !v->child)
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected a string or a non-empty array");
    size_t count = (size_t)cJSON_GetArraySize(v), i = 0;
    const char **a = calloc(count, sizeof *a);
    if (!a)
        return PF_E_NOMEM;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        if (!cJSON_IsString(e) || !e->valuestring[0]) {
            free(a);
            pfi_json_push_key(j, key);
            pfi_json_push_index(j, i);
            pf_status st = pfi_json_error(j, NULL, PF_E_SCHEMA, "expected a non-empty string");
            pfi_json_pop(j);
            pfi_json_pop(j);
            return st;
        }
        a[i] = e->valuestring;
    }
    *out = a;
    *n = count;
    return PF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool valid_id(const char *id)
{
    if (strncmp(id, "content.", 8) != 0 || !id[8])
        return false;
    for (const char *p = id + 8; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                  (*p == '.' && p[1] && p[1] != '.' && p[-1] != '.');
        if (!ok)
            return false;
    }
    return true;
}

static void rule_free(struct pfi_rule *r)
{
    for (size_t i = 0; i < r->ncodes; i++) {
        pcre2_code_free(r->codes[i]);
        free(r->sources[i]);
    }
    free(r->codes);
    free(r->sources);
    free(r->words);
    for (size_t i = 0; i < r->nexcept; i++)
        pcre2_code_free(r->except[i]);
    free(r->except);
    free(r->except_src);
    free(r->domains);
    free((void *)r->countries);
    free((void *)r->excluded);
    free(r->signals);
    pfi_model_free(r->model);
    memset(r, 0, sizeof *r);
}

static pf_status region_list(struct pfi_json *j, const cJSON *rule, const char *key,
                             const char *const **out, size_t *n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, key);
    if (!v)
        return PF_OK;
    const char **list = NULL;
    pf_status st = string_or_list(j, rule, key, &list, n);
    if (st != PF_OK)
        return st;
    for (size_t i = 0; i < *n; i++) {
        if (!pf_region_is_supported(list[i])) {
            pfi_json_push_key(j, key);
            pfi_json_push_index(j, i);
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "'%s' is not a region code", list[i]);
            pfi_json_pop(j);
            pfi_json_pop(j);
            free(list);
            return st;
        }
    }
    *out = list;
    return PF_OK;
}

/*
 * "number_types": ["premium_rate", ...] narrows the phone_number builtin to
 * numbers of those libphonenumber types.
 */
static pf_status number_types(struct pfi_json *j, const cJSON *rule, struct pfi_rule *r)
{
    const char **names = NULL;
    size_t n = 0;
    pf_status st = string_or_list(j, rule, "number_types", &names, &n);
    for (size_t i = 0; st == PF_OK && i < n; i++) {
        pf_number_type t;
        if (pf_number_type_from_name(names[i], &t) != PF_OK) {
            pfi_json_push_key(j, "number_types");
            pfi_json_push_index(j, i);
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "'%s' is not a number type", names[i]);
            pfi_json_pop(j);
            pfi_json_pop(j);
        } else {
            r->number_types |= 1u << t;
        }
    }
    free(names);
    return st;
}

/*
 * "signals": {"threshold": N, "weights": {"content.x": w, ...}}: the rule
 * fires when the weights of the listed rules that fired on the message add
 * up to N. The ids are resolved once every pack is loaded (resolve_signals),
 * since they may name rules of later packs.
 */
static pf_status load_signals(struct pfi_json *j, const cJSON *rule, struct pfi_rule *r)
{
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(rule, "signals");
    const cJSON *w;
    long threshold = 0, sum = 0;
    size_t n = 0;
    bool present;
    pf_status st;

    pfi_json_push_key(j, "signals");
    st = pfi_json_object(j, sig, signals_keys);
    if (st == PF_OK)
        st = pfi_json_get_int(j, sig, "threshold", 1, 1000, &threshold, NULL);
    if (st == PF_OK)
        st = pfi_json_get_bool(j, sig, "when_unflagged", &r->when_unflagged, &present);
    w = cJSON_GetObjectItemCaseSensitive(sig, "weights");
    if (st == PF_OK && (!cJSON_IsObject(w) || !w->child))
        st = pfi_json_error(j, "weights", PF_E_SCHEMA,
                            "expected a non-empty object of rule ids and weights");
    if (st == PF_OK) {
        for (const cJSON *e = w->child; e; e = e->next)
            n++;
        r->signals = calloc(n, sizeof *r->signals);
        if (!r->signals)
            st = PF_E_NOMEM;
    }
    if (st == PF_OK) {
        pfi_json_push_key(j, "weights");
        for (const cJSON *e = w->child; e && st == PF_OK; e = e->next) {
            long weight = 0;
            size_t nth = 0;
            for (size_t k = 0; k < r->nsignals; k++)
                nth += strcmp(r->signals[k].id, e->string) == 0;
            if (nth)
                st = pfi_json_error_key(j, e->string, nth, PF_E_SCHEMA, "duplicate key '%s'",
                                        e->string);
            else if (!valid_id(e->string))
                st = pfi_json_error_key(j, e->string, 0, PF_E_SCHEMA, "'%s' is not a rule id",
                                        e->string);
            else if (strcmp(e->string, r->info.id) == 0)
                st = pfi_json_error_key(j, e->string, 0, PF_E_SCHEMA,
                                        "a signals rule cannot count itself");
            if (st == PF_OK)
                st = pfi_json_get_int(j, w, e->string, 1, 100, &weight, NULL);
            if (st == PF_OK) {
                r->signals[r->nsignals++] =
                    (struct pfi_signal){.id = e->string, .weight = (int)weight};
                sum += weight;
            }
        }
        pfi_json_pop(j);
    }
    if (st == PF_OK && sum < threshold)
        st = pfi_json_error(j, "threshold", PF_E_SCHEMA,
                            "threshold %ld can never be reached: the weights add up to %ld",
                            threshold, sum);
    pfi_json_pop(j);
    r->threshold = (int)threshold;
    return st;
}

/*
 * "except": patterns whose matches excuse a finding inside them ("Casino
 * Road" is a street, not a casino). Always caseless.
 */
static pf_status load_except(struct pfi_json *j, const cJSON *rule, struct pfi_rule *r)
{
    const char **items = NULL;
    size_t n = 0;
    pf_status st = string_or_list(j, rule, "except", &items, &n);
    if (st != PF_OK)
        return st;
    r->except = calloc(n, sizeof *r->except);
    if (!r->except)
        st = PF_E_NOMEM;
    bool one = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rule, "except"));
    for (size_t i = 0; i < n && st == PF_OK; i++) {
        st = compile(j, "except", one ? (size_t)-1 : i, items[i], true, &r->except[i]);
        if (st == PF_OK)
            r->nexcept++;
    }
    if (st == PF_OK)
        r->except_src = items; /* the strings live in the pack's cJSON tree */
    else
        free(items);
    return st;
}

/* The "senders" scope: a name or a list of names, into a bit set. */
static pf_status load_senders(struct pfi_json *j, const cJSON *rule, struct pfi_rule *r)
{
    if (!cJSON_GetObjectItemCaseSensitive(rule, "senders"))
        return PF_OK;
    const char **names = NULL;
    size_t n = 0;
    pf_status st = string_or_list(j, rule, "senders", &names, &n);
    for (size_t i = 0; st == PF_OK && i < n; i++) {
        pf_sender_type k;
        if (pf_sender_type_from_name(names[i], &k) == PF_OK) {
            r->senders |= 1u << k;
            continue;
        }
        pfi_json_push_key(j, "senders");
        pfi_json_push_index(j, i);
        st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                            "'%s' is not one of: long_code, toll_free, short_code, alphanumeric",
                            names[i]);
        pfi_json_pop(j);
        pfi_json_pop(j);
    }
    free(names);
    return st;
}

/* Everything but the matcher: id, texts, source, flags, scopes. */
static pf_status load_rule_fields(struct pfi_json *j, const cJSON *rule, struct pfi_rule *r,
                                  bool *caseless)
{
    pf_rule_info *in = &r->info;
    bool present;
    int sev = 0, esc = 0;
    pf_status st = pfi_json_object(j, rule, rule_keys);
    if (st == PF_OK)
        st = pfi_json_get_string(j, rule, "id", &in->id, NULL);
    if (st == PF_OK && !valid_id(in->id))
        st = pfi_json_error(j, "id", PF_E_SCHEMA,
                            "'%s' is not an id of the form content.<category>[.<name>]", in->id);
    if (st == PF_OK)
        st = pfi_json_get_string(j, rule, "category", &in->category, NULL);
    if (st == PF_OK)
        st = pfi_json_get_enum(j, rule, "severity", severity_names, &sev, NULL);
    in->severity = (pf_severity)sev;
    if (st == PF_OK)
        st = pfi_json_get_string(j, rule, "message", &in->message, NULL);
    if (st == PF_OK)
        st = pfi_json_get_string(j, rule, "fix", &in->fix, NULL);
    if (st == PF_OK)
        st = pfi_json_get_string(j, rule, "source", &in->source, NULL);
    if (st == PF_OK && strcmp(in->source, "heuristic") != 0 &&
        strncmp(in->source, "https://", 8) != 0 && strncmp(in->source, "http://", 7) != 0)
        st = pfi_json_error(j, "source", PF_E_SCHEMA,
                            "a source is an http(s) address or \"heuristic\"");
    if (st == PF_OK)
        st = pfi_json_get_bool(j, rule, "caseless", caseless, &present);
    if (st == PF_OK)
        st = pfi_json_get_bool(j, rule, "first_message", &in->first_message, &present);
    if (st == PF_OK)
        st = pfi_json_get_bool(j, rule, "escalate_with_url", &r->escalate_with_url, &present);
    if (st == PF_OK)
        st = pfi_json_get_enum(j, rule, "escalate", pfi_escalate_names + 1, &esc, &present);
    if (st == PF_OK && present) {
        r->escalate = (enum pfi_escalate)(esc + 1);
        in->escalate = pfi_escalate_names[esc + 1];
    }
    if (st == PF_OK)
        st = region_list(j, rule, "countries", &r->countries, &r->ncountries);
    if (st == PF_OK)
        st = region_list(j, rule, "exclude_countries", &r->excluded, &r->nexcluded);
    if (st == PF_OK)
        st = load_senders(j, rule, r);
    return st;
}

/* "domains": lower-case host names, sorted for binary search. Takes items. */
static pf_status load_domains(struct pfi_json *j, struct pfi_rule *r, const char **items, size_t n)
{
    pf_status st = PF_OK;
    r->info.matcher = PF_MATCH_DOMAINS;
    for (size_t i = 0; i < n && st == PF_OK; i++) {
        for (const char *p = items[i]; *p && st == PF_OK; p++) {
            if ((*p >= 'A' && *p <= 'Z') || *p == '/' || *p == ' ' || *p == ':') {
                pfi_json_push_key(j, "domains");
                pfi_json_push_index(j, i);
                st = pfi_json_error(j, NULL, PF_E_SCHEMA, "'%s' is not a lower-case host name",
                                    items[i]);
                pfi_json_pop(j);
                pfi_json_pop(j);
            }
        }
    }
    if (st != PF_OK) {
        free(items);
        return st;
    }
    qsort(items, n, sizeof *items, cmp_str);
    r->domains = items;
    r->ndomains = n;
    return PF_OK;
}

/* "words": one alternation between letter/number boundaries. Takes items
 * (kept, with the pattern's source, for the one-pass prefilter). */
static pf_status load_words(struct pfi_json *j, struct pfi_rule *r, const char **items, size_t n,
                            bool caseless)
{
    r->info.matcher = PF_MATCH_WORDS;
    struct strbuf b = {0};
    sb_str(&b, "(?<![\\p{L}\\p{N}])(?:");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_str(&b, "|");
        word_alternative(&b, items[i]);
    }
    sb_str(&b, ")(?![\\p{L}\\p{N}])");
    r->words = items;
    r->nwords = n;
    if (b.failed) {
        free(b.s);
        return PF_E_NOMEM;
    }
    r->codes = calloc(1, sizeof *r->codes);
    r->sources = calloc(1, sizeof *r->sources);
    r->caseless = caseless;
    pf_status st = r->codes && r->sources
                       ? compile(j, "words", (size_t)-1, b.s, caseless, &r->codes[0])
                       : PF_E_NOMEM;
    if (st == PF_OK) {
        r->sources[0] = b.s;
        r->ncodes = 1;
    } else {
        free(b.s);
    }
    return st;
}

/* "pattern" / "require": each regex compiled on its own. Takes items; the
 * sources are kept for the one-pass prefilter. */
static pf_status load_patterns(struct pfi_json *j, const cJSON *rule, const char *kind,
                               struct pfi_rule *r, const char **items, size_t n, bool caseless)
{
    pf_status st = PF_OK;
    r->info.matcher = strcmp(kind, "pattern") == 0 ? PF_MATCH_PATTERN : PF_MATCH_REQUIRE;
    r->codes = calloc(n ? n : 1, sizeof *r->codes);
    r->sources = calloc(n ? n : 1, sizeof *r->sources);
    r->caseless = caseless;
    if (!r->codes || !r->sources) {
        free(items);
        return PF_E_NOMEM;
    }
    bool one = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(rule, kind));
    for (size_t i = 0; i < n && st == PF_OK; i++) {
        st = compile(j, kind, one ? (size_t)-1 : i, items[i], caseless, &r->codes[i]);
        if (st == PF_OK) {
            r->sources[i] = strdup(items[i]);
            if (!r->sources[i]) {
                pcre2_code_free(r->codes[i]);
                st = PF_E_NOMEM;
            } else {
                r->ncodes++;
            }
        }
    }
    free(items);
    return st;
}

/* "model": a statistical score (model.c). Warn at most, and never raised:
 * a model may never be the only reason for a block. */
static pf_status load_model(struct pfi_json *j, const cJSON *rule, struct pfi_rule *r)
{
    r->info.matcher = PF_MATCH_MODEL;
    if (r->info.severity == PF_SEV_BLOCK)
        return pfi_json_error(j, "severity", PF_E_SCHEMA,
                              "a model rule is at most \"warn\": it may never be the only "
                              "reason for a block");
    if (r->escalate || r->escalate_with_url)
        return pfi_json_error_key(j, r->escalate ? "escalate" : "escalate_with_url", 0,
                                  PF_E_SCHEMA,
                                  "a model rule cannot be escalated: it may never be the only "
                                  "reason for a block");
    return pfi_model_load(j, cJSON_GetObjectItemCaseSensitive(rule, "model"), &r->model);
}

static pf_status load_rule(struct pfi_json *j, const cJSON *rule, const char *file,
                           struct pfi_rule *r)
{
    bool caseless = true;
    const char *kind = NULL;

    memset(r, 0, sizeof *r);
    r->info.file = file;
    r->jit = !tl_no_jit;
    pf_status st = load_rule_fields(j, rule, r, &caseless);
    /* Exactly one matcher. */
    for (const char *const *m = matcher_keys; st == PF_OK && *m; m++) {
        if (!cJSON_GetObjectItemCaseSensitive(rule, *m))
            continue;
        if (kind)
            st = pfi_json_error(j, *m, PF_E_SCHEMA,
                                "a rule has exactly one matcher; it already has '%s'", kind);
        kind = *m;
    }
    if (st == PF_OK && !kind)
        st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                            "missing matcher: one of pattern, words, domains, require, builtin, "
                            "signals, model");
    if (st == PF_OK && cJSON_GetObjectItemCaseSensitive(rule, "number_types")) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(rule, "builtin");
        if (!cJSON_IsString(b) || strcmp(b->valuestring, "phone_number") != 0)
            st = pfi_json_error_key(j, "number_types", 0, PF_E_SCHEMA,
                                    "number_types applies only to the phone_number builtin");
        else
            st = number_types(j, rule, r);
    }
    if (st == PF_OK && cJSON_GetObjectItemCaseSensitive(rule, "except")) {
        if (strcmp(kind, "pattern") != 0 && strcmp(kind, "words") != 0)
            st = pfi_json_error_key(j, "except", 0, PF_E_SCHEMA,
                                    "except applies only to pattern and words rules");
        else
            st = load_except(j, rule, r);
    }
    if (st != PF_OK)
        return st;
    if (strcmp(kind, "signals") == 0) {
        r->info.matcher = PF_MATCH_SIGNALS;
        return load_signals(j, rule, r);
    }
    if (strcmp(kind, "model") == 0)
        return load_model(j, rule, r);
    if (strcmp(kind, "builtin") == 0) {
        int builtin = 0;
        r->info.matcher = PF_MATCH_BUILTIN;
        st = pfi_json_get_enum(j, rule, "builtin", builtin_names, &builtin, NULL);
        r->builtin = (enum pfi_builtin)builtin;
        return st;
    }
    const char **items = NULL;
    size_t n = 0;
    if ((st = string_or_list(j, rule, kind, &items, &n)) != PF_OK)
        return st;
    if (strcmp(kind, "domains") == 0)
        return load_domains(j, r, items, n);
    if (strcmp(kind, "words") == 0)
        return load_words(j, r, items, n, caseless);
    return load_patterns(j, rule, kind, r, items, n, caseless);
}

static pf_status add_rule(pf_ruleset *set, size_t *cap, struct pfi_rule *r)
{
    /* A later pack's rule with the same id replaces the earlier one. */
    for (size_t i = 0; i < set->count; i++) {
        if (strcmp(set->rules[i].info.id, r->info.id) == 0) {
            rule_free(&set->rules[i]);
            set->rules[i] = *r;
            return PF_OK;
        }
    }
    if (set->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        struct pfi_rule *nr = realloc(set->rules, ncap * sizeof *nr);
        if (!nr)
            return PF_E_NOMEM;
        set->rules = nr;
        *cap = ncap;
    }
    set->rules[set->count++] = *r;
    return PF_OK;
}

static pf_status load_pack(pf_ruleset *set, size_t *cap, const char *text, size_t len,
                           const char *name, pf_diag *diag)
{
    struct pfi_json j;
    cJSON *doc = NULL;
    const char *s;
    const cJSON *rules;
    size_t first = set->count;
    pf_status st = pfi_json_parse(&j, text, len, name, diag, &doc);
    if (st != PF_OK)
        return st;
    set->docs[set->ndocs++] = doc;
    st = pfi_json_object(&j, doc, pack_keys);
    if (st == PF_OK)
        st = pfi_json_schema_ref(&j, doc);
    if (st == PF_OK)
        st = pfi_json_get_string(&j, doc, "pack", &s, NULL);
    if (st == PF_OK)
        st = pfi_json_get_string(&j, doc, "description", &s, NULL);
    if (st == PF_OK)
        st = pfi_json_get_array(&j, doc, "rules", &rules, NULL);
    if (st != PF_OK)
        return st;
    size_t i = 0;
    pfi_json_push_key(&j, "rules");
    for (const cJSON *rule = rules->child; rule && st == PF_OK; rule = rule->next, i++) {
        struct pfi_rule r;
        pfi_json_push_index(&j, i);
        st = load_rule(&j, rule, name, &r);
        r.pack = set->ndocs - 1;
        r.index = i;
        if (st == PF_OK) {
            /* Duplicate ids inside one pack are a mistake, across packs an override. */
            for (size_t k = first; k < set->count; k++) {
                if (strcmp(set->rules[k].info.id, r.info.id) == 0 &&
                    strcmp(set->rules[k].info.file, name) == 0)
                    st = pfi_json_error(&j, "id", PF_E_SCHEMA, "duplicate rule id '%s'", r.info.id);
            }
        }
        if (st == PF_OK)
            st = add_rule(set, cap, &r);
        if (st != PF_OK) {
            rule_free(&r);
            /* Name the rule too: "rules[12]" alone is hard to find in a pack. */
            const cJSON *rid = cJSON_GetObjectItemCaseSensitive(rule, "id");
            if (diag && cJSON_IsString(rid) && st != PF_E_NOMEM) {
                size_t used = strlen(diag->message);
                snprintf(diag->message + used, sizeof diag->message - used, " [rule %s]",
                         rid->valuestring);
            }
        }
        pfi_json_pop(&j);
    }
    pfi_json_pop(&j);
    if (st == PF_E_NOMEM)
        pfi_diag_set(diag, st, "out of memory");
    return st;
}

void pf_rules_destroy(pf_ruleset *set)
{
    if (!set)
        return;
    if (set->snap)
        pfi_rules_snap_drop(set); /* its arrays are in one block */
    for (size_t i = 0; i < set->count; i++)
        rule_free(&set->rules[i]);
    free(set->rules);
    for (size_t i = 0; i < set->ndocs; i++)
        cJSON_Delete(set->docs[i]);
    free(set->docs);
    for (size_t i = 0; i < set->nfiles; i++)
        free(set->files[i]);
    free(set->files);
    pcre2_code_free(set->url);
    pfi_onepass_free(set->onepass);
    free(set);
}

/*
 * Point every signals rule at the rules it counts. Done once all packs are
 * loaded (a signal may name a rule of a later pack, or one a later pack
 * overrides); the error points at the id in its pack.
 */
static pf_status resolve_signals(pf_ruleset *set, const char *const *texts, const size_t *lens,
                                 pf_diag *diag)
{
    for (size_t i = 0; i < set->count; i++) {
        struct pfi_rule *r = &set->rules[i];
        for (size_t k = 0; k < r->nsignals; k++) {
            struct pfi_signal *sg = &r->signals[k];
            const char *why = NULL;
            sg->rule = set->count;
            for (size_t m = 0; m < set->count; m++) {
                if (strcmp(set->rules[m].info.id, sg->id) == 0)
                    sg->rule = m;
            }
            if (sg->rule == set->count)
                why = "names no loaded rule";
            else if (set->rules[sg->rule].info.matcher == PF_MATCH_SIGNALS)
                why = "is itself a signals rule; signals count only other matchers";
            else if (set->rules[sg->rule].info.matcher == PF_MATCH_MODEL)
                why = "is a model rule; a model may never be the reason for a block, so "
                      "signals do not count it";
            if (!why)
                continue;
            struct pfi_json j = {
                .text = texts[r->pack], .len = lens[r->pack], .file = r->info.file, .diag = diag};
            pfi_json_push_key(&j, "rules");
            pfi_json_push_index(&j, r->index);
            pfi_json_push_key(&j, "signals");
            pfi_json_push_key(&j, "weights");
            pfi_json_error_key(&j, sg->id, 0, PF_E_SCHEMA, "'%s' %s [rule %s]", sg->id, why,
                               r->info.id);
            return PF_E_SCHEMA;
        }
    }
    return PF_OK;
}

static pf_status new_set(size_t npacks, pf_ruleset **out)
{
    pf_ruleset *set = calloc(1, sizeof *set);
    if (!set)
        return PF_E_NOMEM;
    set->docs = calloc(npacks ? npacks : 1, sizeof *set->docs);
    set->files = calloc(npacks ? npacks : 1, sizeof *set->files);
    int err;
    PCRE2_SIZE off;
    set->url = pcre2_compile((PCRE2_SPTR)pfi_url_pattern, PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &err, &off, NULL);
    if (!set->docs || !set->files || !set->url) {
        pf_status st = set->url ? PF_E_NOMEM : PF_E_INTERNAL; /* before the set is gone */
        pf_rules_destroy(set);
        return st;
    }
    jit(set->url);
    *out = set;
    return PF_OK;
}

/*
 * Lazy compilation (issue 20). Compiling every pattern of every pack was a
 * quarter of a one-message command's start, yet a message needs the few
 * patterns the one-pass prefilter cannot rule out. A pattern's compile
 * error must still be reported at load, with its file, line and key path,
 * so patterns are left for their first use only when the same bytes of
 * the same packs, in the same order, compiled in full before with this
 * PCRE2 and this library: the start-up cache (cache_int.h, file
 * "rules-valid") keeps the keys of such loads. Any other load (a changed
 * or new pack, another PCRE2, no cache, PREFLIGHT_NO_CACHE) compiles
 * everything eagerly as before and, when it succeeds, adds its key.
 * So `preflight rules --check`, lint and a serve reload of edited packs
 * always validate in full; a load of unchanged packs cannot fail there.
 */
#define VALID_KEYS 32

static void cache_file_key(uint8_t key[32])
{
    char v[64] = "", k[160];
    pcre2_config(PCRE2_CONFIG_VERSION, v);
    snprintf(k, sizeof k, "rules-valid 1\nlibpreflight %s\npcre2 %s\n", pf_version(), v);
    pf_sha256(k, strlen(k), key);
}

/* False when memory ran out: then there is no key, and the load uses no
 * cache file that a key would name (an all-zero key would be shared by
 * every such load; found in review). */
static bool lazy_key(const char *const *texts, const size_t *lens, size_t n, uint8_t key[32])
{
    uint8_t *d = malloc((n + 1) * 32);
    if (!d) {
        memset(key, 0, 32);
        return false;
    }
    cache_file_key(d); /* the versions, then each pack's bytes */
    for (size_t i = 0; i < n; i++)
        pf_sha256(texts[i], lens[i], d + 32 * (i + 1));
    pf_sha256(d, (n + 1) * 32, key);
    free(d);
    return true;
}

/* The same key from the packs' files, by the memo of file hashes
 * (hashmemo.c: a file unchanged since it was hashed is not read). */
static bool lazy_key_files(char *const *paths, size_t n, uint8_t key[32])
{
    uint8_t *d = malloc((n + 1) * 32);
    pf_diag diag;
    bool ok = d != NULL;
    if (ok)
        cache_file_key(d);
    for (size_t i = 0; ok && i < n; i++)
        ok = pfi_file_sha256(paths[i], d + 32 * (i + 1), &diag) == PF_OK;
    pfi_file_sha256_flush();
    if (ok)
        pf_sha256(d, (n + 1) * 32, key);
    free(d);
    return ok;
}

/* Was a load with this key compiled in full before? *keys gets the file's
 * list (to extend), *nkeys its length. */
static bool validated_before(const uint8_t key[32], char **keys, size_t *nkeys)
{
    uint8_t fk[32];
    size_t len = 0;
    cache_file_key(fk);
    *keys = NULL;
    *nkeys = 0;
    if (!pfi_cache_read("rules-valid", fk, keys, &len) || len % 32 || len / 32 > VALID_KEYS) {
        free(*keys);
        *keys = NULL;
        return false;
    }
    *nkeys = len / 32;
    for (size_t i = 0; i < *nkeys; i++)
        if (memcmp(*keys + 32 * i, key, 32) == 0)
            return true;
    return false;
}

/* Remember key as compiled in full: first in the list, the oldest dropped. */
static void remember_valid(const uint8_t key[32], const char *keys, size_t nkeys)
{
    uint8_t fk[32];
    char buf[32 * VALID_KEYS];
    size_t n = nkeys < VALID_KEYS - 1 ? nkeys : VALID_KEYS - 1;
    memcpy(buf, key, 32);
    if (n)
        memcpy(buf + 32, keys, 32 * n);
    cache_file_key(fk);
    (void)pfi_cache_write("rules-valid", fk, buf, 32 * (n + 1));
}

/*
 * The rule-set snapshot (issue 20; rules_snap.c): parsing and validating
 * the packs' JSON and building every rule was the largest part of a warm
 * start once patterns compiled lazily. A set whose packs compiled in full
 * before (the load is lazy anyway) is read from "rules-snapshot" when that
 * holds this key's set; any load from JSON that succeeds with a key
 * writes it. A file that fails a check is a miss: the JSON is loaded.
 *
 * A load also judges every rule's country list by the number engine
 * (pf_region_is_supported: libphonenumber's region map), so the snapshot
 * holds that engine's answers too: its key names the engine as the other
 * caches of its answers do (pfi_phone_library_identity), and with the
 * engine unknown there is no snapshot. Else a libphonenumber that drops
 * or adds a region would have a pack accepted warm and refused cold.
 */
#define SNAP_FILE "rules-snapshot"

static bool snap_key(const uint8_t key[32], uint8_t out[32])
{
    char d[32 + 32 + 128] = {0};
    memcpy(d, key, 32);
    snprintf(d + 32, 32, "rules-snapshot %u", PFI_RULES_SNAP_VERSION);
    if (!pfi_phone_library_identity(d + 64, sizeof d - 64))
        return false;
    pf_sha256(d, 64 + strlen(d + 64), out);
    return true;
}

static bool read_snapshot(pf_ruleset *set, const uint8_t key[32])
{
    uint8_t k[32];
    char *buf = NULL;
    size_t len = 0;
    if (!snap_key(key, k) || !pfi_cache_read(SNAP_FILE, k, &buf, &len))
        return false;
    bool ok = pfi_rules_snap_read(set, buf, len, !tl_no_jit);
    free(buf);
    return ok;
}

static void write_snapshot(const pf_ruleset *set, const uint8_t key[32])
{
    uint8_t k[32];
    char *buf = NULL;
    size_t len = 0;
    if (!pfi_cache_enabled() || !snap_key(key, k) || !pfi_rules_snapshot(set, &buf, &len))
        return;
    (void)pfi_cache_write(SNAP_FILE, k, buf, len);
    free(buf);
}

/* Number every code once the set is final (overrides replaced rules). */
static void number_codes(pf_ruleset *set)
{
    set->ncodes = 0;
    for (size_t i = 0; i < set->count; i++) {
        set->rules[i].code_base = set->ncodes;
        set->ncodes += set->rules[i].ncodes;
    }
    set->ncodes++; /* the URL pattern */
}

/* A new set with its own copy of the packs' names (rule infos name them). */
static pf_status named_set(const char *const *names, size_t n, pf_ruleset **out)
{
    pf_ruleset *set = NULL;
    pf_status st = new_set(n, &set);
    for (size_t i = 0; st == PF_OK && i < n; i++) {
        size_t l = strlen(names[i]) + 1;
        set->files[i] = malloc(l);
        if (!set->files[i]) {
            st = PF_E_NOMEM;
            break;
        }
        memcpy(set->files[i], names[i], l);
        set->nfiles++;
    }
    *out = set;
    return st;
}

pf_status pf_rules_load_buffers(const char *const *texts, const size_t *lens,
                                const char *const *names, size_t n, pf_ruleset **out, pf_diag *diag)
{
    pf_ruleset *set = NULL;
    size_t cap = 0, nkeys = 0;
    char *keys = NULL;
    uint8_t key[32];
    pf_status st;
    bool snapped = false;

    *out = NULL;
    pf_diag_clear(diag);
    bool keyed = lazy_key(texts, lens, n, key);
    tl_lazy = keyed && validated_before(key, &keys, &nkeys);
    st = named_set(names, n, &set);
    if (set)
        set->lazy = tl_lazy;
    if (st == PF_OK && tl_lazy)
        snapped = read_snapshot(set, key);
    for (size_t i = 0; st == PF_OK && !snapped && i < n; i++)
        st = load_pack(set, &cap, texts[i], lens[i], set->files[i], diag);
    if (st == PF_OK && !snapped)
        st = resolve_signals(set, texts, lens, diag);
    if (st == PF_OK) {
        number_codes(set);
        st = keyed ? pfi_onepass_build_cached(set, key) : pfi_onepass_build(set);
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
    }
    if (st == PF_OK && keyed && !tl_lazy)
        remember_valid(key, keys, nkeys);
    if (st == PF_OK && keyed && !snapped)
        write_snapshot(set, key);
    tl_lazy = false;
    free(keys);
    if (st != PF_OK) {
        /* Every failure leaves a diag whose status is the one returned. */
        if (diag && diag->status != st)
            pfi_diag_set(diag, st, "%s", pf_strerror(st));
        pf_rules_destroy(set);
        return st;
    }
    *out = set;
    return PF_OK;
}

pf_status pfi_rules_from_snapshot(const char *buf, size_t len, const char *const *names, size_t n,
                                  pf_ruleset **out)
{
    pf_ruleset *set = NULL;
    pf_status st = named_set(names, n, &set);
    *out = NULL;
    if (st == PF_OK && !pfi_rules_snap_read(set, buf, len, !tl_no_jit))
        st = PF_E_SYNTAX;
    if (st != PF_OK) {
        pf_rules_destroy(set);
        return st;
    }
    set->lazy = true;
    number_codes(set);
    *out = set;
    return PF_OK;
}

bool pfi_rules_snapped(const pf_ruleset *set)
{
    return set && set->snap;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A warm start of unchanged packs: with the key from the memo of file
 * hashes, a set known to compile in full whose snapshot is in the cache is
 * read without reading the packs at all. Anything else (a pack changed
 * since it was hashed, no snapshot, a refused one) is left to
 * pf_rules_load_buffers, which keys the bytes it reads.
 */
static bool load_snapshot_only(char *const *paths, size_t n, pf_ruleset **out)
{
    uint8_t key[32];
    char *keys = NULL;
    size_t nkeys = 0;
    pf_ruleset *set = NULL;
    bool ok = n && pfi_cache_enabled() && lazy_key_files(paths, n, key) &&
              validated_before(key, &keys, &nkeys);
    free(keys);
    ok = ok && named_set((const char *const *)paths, n, &set) == PF_OK && read_snapshot(set, key);
    if (ok) {
        set->lazy = true;
        number_codes(set);
        ok = pfi_onepass_build_cached(set, key) == PF_OK;
    }
    if (!ok) {
        pf_rules_destroy(set);
        return false;
    }
    *out = set;
    return true;
}

pf_status pf_rules_load(const char *const *dirs, size_t ndirs, pf_ruleset **out, pf_diag *diag)
{
    char *paths[MAX_PACKS];
    char *texts[MAX_PACKS];
    size_t lens[MAX_PACKS];
    size_t n = 0;
    pf_status st = PF_OK;

    *out = NULL;
    pf_diag_clear(diag);
    for (size_t d = 0; d < ndirs && st == PF_OK; d++) {
        DIR *dir = opendir(dirs[d]);
        size_t start = n;
        if (!dir) {
            pfi_diag_file(diag, dirs[d]);
            pfi_diag_set(diag, PF_E_IO, "cannot open rules directory");
            st = PF_E_IO;
            break;
        }
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.')
                continue;
            if (n == MAX_PACKS) {
                pfi_diag_file(diag, dirs[d]);
                pfi_diag_set(diag, PF_E_TOO_LARGE, "more than %d rule packs", MAX_PACKS);
                st = PF_E_TOO_LARGE;
                break;
            }
            size_t plen = strlen(dirs[d]) + l + 2;
            paths[n] = malloc(plen);
            if (!paths[n]) {
                st = PF_E_NOMEM;
                pfi_diag_set(diag, st, "out of memory");
                break;
            }
            snprintf(paths[n], plen, "%s/%s", dirs[d], e->d_name);
            n++;
        }
        closedir(dir);
        /* Directory order is arbitrary; name order is reproducible. */
        qsort(paths + start, n - start, sizeof *paths, cmp_name);
    }
    size_t loaded = 0;
    bool snapped = st == PF_OK && load_snapshot_only(paths, n, out); /* nothing read */
    for (; st == PF_OK && !snapped && loaded < n; loaded++)
        st = pf_read_file(paths[loaded], PACK_FILE_MAX, &texts[loaded], &lens[loaded], diag);
    if (st == PF_OK && !snapped)
        st = pf_rules_load_buffers((const char *const *)texts, lens, (const char *const *)paths, n,
                                   out, diag);
    for (size_t i = 0; i < loaded; i++)
        free(texts[i]);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    return st;
}

size_t pf_rules_count(const pf_ruleset *set)
{
    return set ? set->count : 0;
}

const pf_rule_info *pf_rules_at(const pf_ruleset *set, size_t i)
{
    return set && i < set->count ? &set->rules[i].info : NULL;
}

const pf_rule_info *pf_rules_find(const pf_ruleset *set, const char *id)
{
    for (size_t i = 0; set && i < set->count; i++) {
        if (strcmp(set->rules[i].info.id, id) == 0)
            return &set->rules[i].info;
    }
    return NULL;
}

/* A thread-local switch rather than a parameter threaded through every
 * loader: the load runs on this thread from start to end. */
pf_status pf_rules_load_flags(const char *const *dirs, size_t ndirs, unsigned flags,
                              pf_ruleset **out, pf_diag *diag)
{
    tl_no_jit = (flags & PF_RULES_NO_JIT) != 0;
    pf_status st = pf_rules_load(dirs, ndirs, out, diag);
    tl_no_jit = false;
    return st;
}
