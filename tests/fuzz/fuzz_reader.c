/*
 * fuzz_reader.c — differential over patterns: the one-pass prefilter's
 * reading of a rule's pattern (onepass.c: the strings every match must
 * contain) never rules out a message PCRE2 alone finds a match in.
 * fuzz_onepass varies the message under the shipped packs; this varies
 * the pattern too.
 *
 * Input: a flag byte (bit 0: caseless), the pattern up to the first
 * newline, then the message. A pattern PCRE2 refuses is skipped. Each is
 * scanned over the message and over the pattern's own text (which holds
 * its literals), by a scanner with the prefilter and one without; they
 * must agree, except where PCRE2 gave up (rules.match-limit), the one
 * documented difference.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "preflight/preflight.h"
#include "rules_int.h"

static bool gave_up(const pf_finding_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        if (strcmp(l->items[i].id, "rules.match-limit") == 0)
            return true;
    }
    return false;
}

static void compare(pf_scanner *fast, pf_scanner *slow, const char *msg, size_t len)
{
    pf_finding_list a, b;
    pf_diag d;
    pf_finding_list_init(&a);
    pf_finding_list_init(&b);
    pf_status sa = pf_scanner_scan(fast, msg, len, NULL, &a, &d);
    pf_status sb = pf_scanner_scan(slow, msg, len, NULL, &b, &d);
    bool same = sa == sb && a.count == b.count;
    for (size_t i = 0; same && i < a.count; i++) {
        same = strcmp(a.items[i].id, b.items[i].id) == 0 &&
               a.items[i].has_span == b.items[i].has_span &&
               a.items[i].span_start == b.items[i].span_start &&
               a.items[i].span_end == b.items[i].span_end;
    }
    if (!same && !gave_up(&b))
        abort();
    pf_finding_list_clear(&a);
    pf_finding_list_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        /* Hermetic: no start-up cache read or written. */
        setenv("PREFLIGHT_NO_CACHE", "1", 1);
        ready = true;
    }
    if (size < 2)
        return 0;
    bool caseless = data[0] & 1;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(p, '\n', n);
    size_t plen = nl ? (size_t)(nl - p) : n;
    const char *msg = nl ? nl + 1 : "";
    size_t mlen = nl ? n - plen - 1 : 0;
    char *pattern = malloc(plen + 1);
    if (!pattern)
        return 0;
    memcpy(pattern, p, plen);
    pattern[plen] = '\0';
    if (strlen(pattern) != plen || pf_utf8_validate(pattern, plen, NULL) != PF_OK) {
        free(pattern);
        return 0;
    }
    /* The pack, written by cJSON so any pattern text is a JSON string. */
    cJSON *pack = cJSON_CreateObject(), *rules = cJSON_AddArrayToObject(pack, "rules");
    cJSON *rule = cJSON_CreateObject();
    cJSON_AddStringToObject(pack, "pack", "fuzz");
    cJSON_AddStringToObject(pack, "description", "d");
    cJSON_AddStringToObject(rule, "id", "content.fuzz.reader");
    cJSON_AddStringToObject(rule, "category", "fuzz");
    cJSON_AddStringToObject(rule, "severity", "warn");
    cJSON_AddStringToObject(rule, "message", "m");
    cJSON_AddStringToObject(rule, "fix", "f");
    cJSON_AddStringToObject(rule, "source", "heuristic");
    cJSON_AddStringToObject(rule, "pattern", pattern);
    cJSON_AddBoolToObject(rule, "caseless", caseless);
    cJSON_AddItemToArray(rules, rule);
    char *text = cJSON_PrintUnformatted(pack);
    cJSON_Delete(pack);
    const char *name = "fuzz.json";
    const char *t = text;
    size_t tlen = text ? strlen(text) : 0;
    pf_ruleset *set = NULL;
    pf_scanner *fast = NULL, *slow = NULL;
    pf_diag d;
    if (text && pf_rules_load_buffers(&t, &tlen, &name, 1, &set, &d) == PF_OK &&
        pf_scanner_create(set, &fast) == PF_OK && pf_scanner_create(set, &slow) == PF_OK) {
        pfi_scanner_set_onepass(slow, false);
        pfi_scanner_set_memo(fast, false);
        pfi_scanner_set_memo(slow, false);
        compare(fast, slow, msg, mlen);
        compare(fast, slow, pattern, plen);
    }
    pf_scanner_destroy(fast);
    pf_scanner_destroy(slow);
    pf_rules_destroy(set);
    free(text);
    free(pattern);
    return 0;
}
