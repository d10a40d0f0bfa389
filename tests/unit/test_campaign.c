/*
 * test_campaign.c — the campaign pre-scan (preflight campaign), table-driven:
 * one campaign file per check with the exact findings (id, severity,
 * rejection code) it must give, good campaigns for several use cases that
 * must give none, the peer scanner's published examples (A2P10DLC-Scanner's
 * test fixtures) with the verdicts their authors expect, broken files with
 * their status, line:column and key path, positions through JSON escapes,
 * the text helpers, and --fetch against a loopback server.
 *
 * Content rules come from the shipped rules/ (the checks map them).
 */
#include <stdlib.h>

#include "../test_util.h"
#include "fake_api.h"
#include "preflight/preflight.h"

#define CAMPAIGNS PF_SOURCE_DIR "/tests/campaign/"

/* File-local helpers of campaign.c and campaign_fetch.c (PF_UNITTEST). */
long find_word(const char *text, const char *word);
void brand_core(const char *name, char *out, size_t cap);
bool has_contact(const char *s);
long find_bad_placeholder(const char *s, size_t *n);
bool url_host(const char *url, char *host, size_t cap, bool *https);
bool texted_keyword(const char *text);
size_t page_text(char *s, size_t len);

static pf_ruleset *rules;

static int setup(void **state)
{
    (void)state;
    const char *dirs[] = {PF_SOURCE_DIR "/rules"};
    pf_diag d;
    if (pf_rules_load(dirs, 1, &rules, &d) != PF_OK) {
        print_error("%s:%u:%u: %s\n", d.file, d.line, d.column, d.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pf_rules_destroy(rules);
    return 0;
}

/* "id:severity:code,..." in the result's order (campaign. prefix dropped). */
static void summary(const pf_campaign_result *r, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < r->findings.count; i++) {
        const pf_finding *f = &r->findings.items[i];
        char one[160];
        snprintf(one, sizeof one, "%s%s:%s:%s", i ? "," : "", f->id + 9,
                 pf_severity_name(f->severity), f->rejection_code ? f->rejection_code : "-");
        strncat(out, one, cap - strlen(out) - 1);
    }
}

static pf_campaign_result *run_file(const char *row, const char *path, pf_campaign_kind kind,
                                    pf_campaign **camp)
{
    pf_diag d;
    pf_campaign_result *r = NULL;
    pf_campaign_options o = pf_campaign_options_default();
    o.kind = kind;
    if (pf_campaign_load(path, camp, &d) != PF_OK) {
        print_error("row '%s': %s:%u:%u: %s: %s\n", row, d.file, d.line, d.column, d.path,
                    d.message);
        fail();
    }
    pf_check(row, pf_campaign_check(*camp, rules, &o, &r, &d) == PF_OK);
    return r;
}

/* One file per check: the exact findings, in order. Every check of the
 * table (but the --fetch ones, in test_fetch) is hit by at least one row. */
static const struct {
    const char *name;
    pf_campaign_kind kind;
    const char *want;
} rows[] = {
    {"description-missing", PF_CAMPAIGN_10DLC, "description-missing:block:30886"},
    {"description-short-block", PF_CAMPAIGN_10DLC,
     "description-short:block:30886,description-audience:warn:30886"},
    {"description-short-warn", PF_CAMPAIGN_10DLC, "description-short:warn:30886"},
    {"description-brand", PF_CAMPAIGN_10DLC, "description-brand:warn:30886"},
    {"description-use-case", PF_CAMPAIGN_10DLC, "description-use-case:warn:30886"},
    {"description-audience", PF_CAMPAIGN_10DLC, "description-audience:warn:30886"},
    {"description-direct-lending", PF_CAMPAIGN_10DLC, "description-direct-lending:warn:30886"},
    {"samples-count-one", PF_CAMPAIGN_10DLC, "samples-count:block:30893"},
    {"samples-count-none", PF_CAMPAIGN_10DLC, "samples-count:block:30893"},
    {"samples-count-six", PF_CAMPAIGN_10DLC, "samples-count:warn:30893"},
    {"sample-empty", PF_CAMPAIGN_10DLC, "sample-empty:block:30893"},
    {"samples-brand", PF_CAMPAIGN_10DLC, "samples-brand:block:30893"},
    {"samples-opt-out", PF_CAMPAIGN_10DLC, "samples-opt-out:block:30893"},
    /* "cancel" and "end" in prose are no opt-out language. */
    {"samples-opt-out-prose", PF_CAMPAIGN_10DLC, "samples-opt-out:block:30893"},
    {"sample-placeholder", PF_CAMPAIGN_10DLC, "sample-placeholder:warn:30893"},
    {"sample-promotional", PF_CAMPAIGN_10DLC, "sample-promotional:block:30893"},
    {"samples-use-case", PF_CAMPAIGN_10DLC, "samples-use-case:warn:30893"},
    {"sample-url-shortener", PF_CAMPAIGN_10DLC, "sample-url-shortener:block:30892"},
    {"sample-insecure-link", PF_CAMPAIGN_10DLC, "sample-insecure-link:warn:30892"},
    {"content-shaft", PF_CAMPAIGN_10DLC, "content-shaft:block:30883"},
    {"content-shaft-age-gated", PF_CAMPAIGN_10DLC, "age-gate-flow:warn:30888"},
    {"content-shaft-description", PF_CAMPAIGN_10DLC, "content-shaft:block:30883"},
    {"content-high-risk", PF_CAMPAIGN_10DLC, "content-high-risk:block:30885"},
    {"content-high-risk-direct-lending", PF_CAMPAIGN_10DLC, ""},
    {"content-disallowed", PF_CAMPAIGN_10DLC, "content-disallowed:block:30897"},
    {"sample-phishing", PF_CAMPAIGN_10DLC, "sample-phishing:warn:30884"},
    {"sample-content", PF_CAMPAIGN_10DLC, "sample-content:warn:30893"},
    {"embedded-links-undeclared", PF_CAMPAIGN_10DLC, "embedded-links-undeclared:block:-"},
    {"embedded-links-unused", PF_CAMPAIGN_10DLC, "embedded-links-unused:warn:-"},
    {"embedded-phone-undeclared", PF_CAMPAIGN_10DLC, "embedded-phone-undeclared:block:30889"},
    {"embedded-phone-unused", PF_CAMPAIGN_10DLC, "embedded-phone-unused:warn:30889"},
    {"age-gate-flow", PF_CAMPAIGN_10DLC, "age-gate-flow:warn:30888"},
    {"message-flow-missing", PF_CAMPAIGN_10DLC, "message-flow-missing:block:30896"},
    {"message-flow-short", PF_CAMPAIGN_10DLC, "message-flow-missing:block:30896"},
    {"cta-method", PF_CAMPAIGN_10DLC, "cta-method:block:30896,cta-sms:warn:30896"},
    {"cta-brand", PF_CAMPAIGN_10DLC, "cta-brand:warn:30896"},
    {"cta-purpose", PF_CAMPAIGN_10DLC, "cta-purpose:warn:30896"},
    {"cta-sms", PF_CAMPAIGN_10DLC, "cta-sms:warn:30896"},
    {"cta-frequency", PF_CAMPAIGN_10DLC, "cta-frequency:warn:30902"},
    {"cta-rates", PF_CAMPAIGN_10DLC, "cta-rates:warn:30902"},
    {"cta-stop", PF_CAMPAIGN_10DLC, "cta-stop:warn:30902"},
    {"cta-help", PF_CAMPAIGN_10DLC, "cta-help:warn:30902"},
    {"cta-privacy", PF_CAMPAIGN_10DLC, "cta-privacy:warn:30908"},
    {"cta-terms", PF_CAMPAIGN_10DLC, "cta-terms:warn:30896"},
    {"cta-written-consent", PF_CAMPAIGN_10DLC, "cta-written-consent:warn:30896"},
    {"cta-consent-required", PF_CAMPAIGN_10DLC, "cta-consent-required:warn:30896"},
    {"opt-in-message-missing-block", PF_CAMPAIGN_10DLC, "opt-in-message-missing:block:30896"},
    {"opt-in-message-missing-warn", PF_CAMPAIGN_10DLC, "opt-in-message-missing:warn:30896"},
    {"opt-in-message-elements", PF_CAMPAIGN_10DLC, "opt-in-message-elements:warn:30896"},
    {"opt-out-missing", PF_CAMPAIGN_10DLC, "opt-out-missing:block:30887"},
    {"opt-out-missing-message", PF_CAMPAIGN_10DLC, "opt-out-missing:block:30887"},
    {"opt-out-stop", PF_CAMPAIGN_10DLC, "opt-out-stop:block:30887"},
    {"opt-out-message", PF_CAMPAIGN_10DLC, "opt-out-message:warn:30887"},
    {"help-missing", PF_CAMPAIGN_10DLC, "help-missing:block:30902"},
    {"help-keyword", PF_CAMPAIGN_10DLC, "help-keyword:block:30902"},
    {"help-message", PF_CAMPAIGN_10DLC, "help-message:block:30902"},
    {"keyword-conflict", PF_CAMPAIGN_10DLC, "keyword-conflict:warn:-"},
    {"privacy-url-missing", PF_CAMPAIGN_10DLC, "privacy-url-missing:block:30908"},
    {"privacy-url-invalid", PF_CAMPAIGN_10DLC, "privacy-url-invalid:block:30908"},
    {"privacy-url-insecure", PF_CAMPAIGN_10DLC, "privacy-url-insecure:warn:30908"},
    {"privacy-url-domain", PF_CAMPAIGN_10DLC, "privacy-url-domain:warn:30907"},
    {"privacy-url-policy-host", PF_CAMPAIGN_10DLC, ""},
    {"terms-url-missing", PF_CAMPAIGN_10DLC, "terms-url-missing:warn:30896"},
    {"terms-url-invalid", PF_CAMPAIGN_10DLC, "terms-url-invalid:block:30896"},
    {"terms-url-insecure", PF_CAMPAIGN_10DLC, "terms-url-insecure:warn:30896"},
    {"terms-url-domain", PF_CAMPAIGN_10DLC, "terms-url-domain:warn:30907"},
    {"website-missing", PF_CAMPAIGN_10DLC,
     "website-missing:warn:30907,privacy-url-domain:warn:30907,terms-url-domain:warn:30907"},
    {"website-insecure", PF_CAMPAIGN_10DLC, "website-missing:warn:30907"},
    {"tf-good", PF_CAMPAIGN_TOLL_FREE, ""},
    {"tf-volume-missing", PF_CAMPAIGN_TOLL_FREE, "volume-missing:info:-"},
    {"tf-tobacco-age-gated", PF_CAMPAIGN_TOLL_FREE, "content-shaft:block:30458"},
    {"tf-opt-in", PF_CAMPAIGN_TOLL_FREE, "message-flow-missing:block:30842"},
    {"tf-help", PF_CAMPAIGN_TOLL_FREE, "help-message:block:30531"},
    {"tf-embedded-flags-not-asked", PF_CAMPAIGN_TOLL_FREE, ""},
    {"mixed-no-vocab", PF_CAMPAIGN_10DLC, ""},
};

static void test_checks(void **state)
{
    (void)state;
    bool hit[128] = {false};
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        char path[512], got[2048];
        pf_campaign *c = NULL;
        snprintf(path, sizeof path, CAMPAIGNS "cases/%s.json", rows[i].name);
        pf_campaign_result *r = run_file(rows[i].name, path, rows[i].kind, &c);
        summary(r, got, sizeof got);
        pf_check_str(rows[i].name, got, rows[i].want);
        for (size_t k = 0; k < r->findings.count; k++) {
            const pf_finding *f = &r->findings.items[k];
            const pf_campaign_check_info *ci = pf_campaign_check_find(f->id);
            pf_check(rows[i].name, ci != NULL);
            hit[ci - pf_campaign_check_at(0)] = true;
            /* Every finding cites its page and sits on a real line. */
            pf_check(rows[i].name, f->source && (strncmp(f->source, "https://", 8) == 0 ||
                                                 strcmp(f->source, "heuristic") == 0));
            pf_check(rows[i].name, r->locations[k].at.line >= 1 && r->locations[k].at.column >= 1);
            pf_check(rows[i].name, f->fix && f->fix[0]);
        }
        pf_campaign_result_destroy(r);
        pf_campaign_destroy(c);
    }
    for (size_t k = 0; k < pf_campaign_check_count(); k++) {
        const char *id = pf_campaign_check_at(k)->id;
        if (strstr(id, "unreachable") || strstr(id, "no-sharing") || strstr(id, "no-sms"))
            continue; /* test_fetch */
        pf_check(id, hit[k]);
    }
}

/* Campaigns written to pass: several use cases, both kinds. */
static void test_good(void **state)
{
    (void)state;
    static const char *const files[] = {PF_SOURCE_DIR "/data/examples/campaigns/acme-dental.json",
                                        CAMPAIGNS "good/2fa.json", CAMPAIGNS "good/marketing.json",
                                        CAMPAIGNS "good/delivery.json",
                                        CAMPAIGNS "good/customer-care.json"};
    for (size_t i = 0; i < PF_ARRAY_LEN(files); i++) {
        for (int kind = 0; kind < 2; kind++) {
            pf_campaign *c = NULL;
            char got[2048];
            pf_campaign_result *r = run_file(files[i], files[i], (pf_campaign_kind)kind, &c);
            summary(r, got, sizeof got);
            /* A toll-free verification also asks for the volume (info). */
            if (kind == PF_CAMPAIGN_TOLL_FREE && strstr(got, "volume-missing"))
                pf_check_str(files[i], got, "volume-missing:info:-");
            else
                pf_check_str(files[i], got, "");
            pf_check_int(files[i], r->verdict, PF_VERDICT_PASS);
            pf_campaign_result_destroy(r);
            pf_campaign_destroy(c);
        }
    }
}

/* nmogil/A2P10DLC-Scanner's worker/test/fixtures/campaigns.ts (MIT),
 * converted to this format as data points: its good campaign must not be
 * blocked, its bad one is blocked for the shorteners (30892), the
 * description (30886) and the samples (30893), its SHAFT one for the adult
 * content (30883) even though it declares an age gate. */
static void test_peer(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        pf_verdict_kind verdict;
        const char *must[4];
    } peers[] = {
        {"good", PF_VERDICT_WARN, {NULL}},
        {"bad",
         PF_VERDICT_BLOCK,
         {"sample-url-shortener:block:30892", "description-short:block:30886",
          "samples-opt-out:block:30893", NULL}},
        {"shaft", PF_VERDICT_BLOCK, {"content-shaft:block:30883", NULL}},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(peers); i++) {
        char path[512], got[4096];
        pf_campaign *c = NULL;
        snprintf(path, sizeof path, CAMPAIGNS "peer/%s.json", peers[i].file);
        pf_campaign_result *r = run_file(peers[i].file, path, PF_CAMPAIGN_10DLC, &c);
        summary(r, got, sizeof got);
        pf_check_int(peers[i].file, r->verdict, peers[i].verdict);
        for (size_t k = 0; peers[i].must[k]; k++)
            pf_check(peers[i].must[k], strstr(got, peers[i].must[k]) != NULL);
        pf_campaign_result_destroy(r);
        pf_campaign_destroy(c);
    }
}

/* Broken files: status, line:column and key path. */
static void test_broken(void **state)
{
    (void)state;
    static const struct {
        const char *name, *text;
        pf_status status;
        unsigned line, column;
        const char *path;
    } bad[] = {
        {"empty", "", PF_E_SYNTAX, 1, 1, ""},
        {"array", "[]", PF_E_SCHEMA, 1, 1, ""},
        {"no brand", "{\"use_case\": \"2FA\"}", PF_E_SCHEMA, 1, 1, ""},
        {"unknown key", "{\"brand\": {\"name\": \"A\"},\n \"use_case\": \"2FA\",\n \"extra\": 1}",
         PF_E_SCHEMA, 3, 2, "extra"},
        {"unknown brand key",
         "{\"brand\": {\"name\": \"A\", \"logo\": \"x\"}, \"use_case\": \"2FA\"}", PF_E_SCHEMA, 1,
         25, "brand.logo"},
        {"empty brand name", "{\"brand\": {\"name\": \"  \"}, \"use_case\": \"2FA\"}", PF_E_SCHEMA,
         1, 20, "brand.name"},
        {"bad use case", "{\"brand\": {\"name\": \"A\"},\n  \"use_case\": \"PROMO\"}", PF_E_SCHEMA,
         2, 15, "use_case"},
        {"samples not an array",
         "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\", \"sample_messages\": \"hi\"}",
         PF_E_SCHEMA, 1, 64, "sample_messages"},
        {"sample not a string",
         "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\",\n\"sample_messages\": [\"hi\", 7]}",
         PF_E_SCHEMA, 2, 27, "sample_messages[1]"},
        {"keyword with a space",
         "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\",\n\"opt_out\": {\"keywords\": "
         "[\"STOP "
         "ALL\"]}}",
         PF_E_SCHEMA, 2, 26, "opt_out.keywords[0]"},
        {"unknown opt_out key",
         "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\", \"opt_out\": {\"words\": []}}",
         PF_E_SCHEMA, 1, 57, "opt_out.words"},
        {"negative volume",
         "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\", \"monthly_volume\": -5}",
         PF_E_SCHEMA, 1, 63, "monthly_volume"},
        {"flag not a bool",
         "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\", \"embedded_links\": \"yes\"}",
         PF_E_SCHEMA, 1, 63, "embedded_links"},
        {"schema not a string",
         "{\"$schema\": 5, \"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\"}", PF_E_SCHEMA, 1,
         13, "$schema"},
        {"other $ key",
         "{\"$schema\": \"x.json\", \"$id\": \"y\", \"brand\": {\"name\": \"A\"}, "
         "\"use_case\": \"2FA\"}",
         PF_E_SCHEMA, 1, 23, "$id"},
        {"duplicate key",
         "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\", \"description\": \"a\",\n"
         "\"description\": \"b\"}",
         PF_E_SCHEMA, 2, 1, "description"},
        {"syntax error", "{\"brand\": {\"name\": \"A\"},\n  \"use_case\": }", PF_E_SYNTAX, 2, 15,
         ""},
        {"invalid UTF-8", "{\"brand\": {\"name\": \"A\xff\"}, \"use_case\": \"2FA\"}", PF_E_UTF8, 1,
         22, ""},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(bad); i++) {
        pf_campaign *c = NULL;
        pf_diag d;
        pf_status st =
            pf_campaign_load_buffer(bad[i].text, strlen(bad[i].text), "broken.json", &c, &d);
        pf_check_int(bad[i].name, st, bad[i].status);
        pf_check(bad[i].name, c == NULL);
        pf_check_int(bad[i].name, d.line, bad[i].line);
        pf_check_int(bad[i].name, d.column, bad[i].column);
        pf_check_str(bad[i].name, d.path, bad[i].path);
        pf_check_str(bad[i].name, d.file, "broken.json");
        pf_check(bad[i].name, d.message[0] != '\0');
    }
    /* Too many samples: a cap, not a crash. */
    char big[8192] = "{\"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\", \"sample_messages\": [";
    for (int i = 0; i < 40; i++)
        strcat(big, i ? ", \"x\"" : "\"x\"");
    strcat(big, "]}");
    pf_campaign *c = NULL;
    pf_diag d;
    pf_check_int("40 samples", pf_campaign_load_buffer(big, strlen(big), "big.json", &c, &d),
                 PF_E_TOO_LARGE);
    pf_check_str("40 samples", d.path, "sample_messages");
    /* "$schema" (a string) is for editors: it loads, and is the only
     * key outside the format that does. */
    static const char with_schema[] = "{\"$schema\": \"../../schemas/campaign.schema.json\",\n"
                                      " \"brand\": {\"name\": \"A\"}, \"use_case\": \"2FA\"}";
    pf_check_int("$schema string",
                 pf_campaign_load_buffer(with_schema, strlen(with_schema), "s.json", &c, &d), PF_OK);
    pf_check("$schema string", c != NULL);
    pf_campaign_destroy(c);
    c = NULL;
    pf_check_int("missing file", pf_campaign_load(CAMPAIGNS "no-such-file.json", &c, &d), PF_E_IO);
}

/* Code points from the start of text's line to p, plus one. */
static unsigned column_of(const char *text, const char *p)
{
    const char *ls = p;
    while (ls > text && ls[-1] != '\n')
        ls--;
    unsigned col = 1;
    for (const char *q = ls; q < p; q++)
        col += ((unsigned char)*q & 0xC0) != 0x80;
    return col;
}

/* A finding inside a string lands on its own text, through the escapes
 * and multi-byte characters before it, columns in code points. */
static void test_positions(void **state)
{
    (void)state;
    static const char text[] =
        "{\n"
        "  \"brand\": {\"name\": \"Acme Dental\", \"website\": \"https://acme.example.com\"},\n"
        "  \"use_case\": \"ACCOUNT_NOTIFICATION\",\n"
        "  \"sample_messages\": [\n"
        "    \"Acme Dental: your visit is on [date]. Reply STOP to opt out.\",\n"
        "    \"Acme \\\"Dental\\\" caf\\u00e9 \xc3\xa9t\xc3\xa9 \\ud83d\\ude00 see bit.ly/abc "
        "now\"\n"
        "  ],\n"
        "  \"embedded_links\": true\n"
        "}\n";
    pf_campaign *c = NULL;
    pf_campaign_result *r = NULL;
    pf_diag d;
    pf_campaign_options o = pf_campaign_options_default();
    assert_int_equal(pf_campaign_load_buffer(text, strlen(text), "pos.json", &c, &d), PF_OK);
    assert_int_equal(pf_campaign_check(c, rules, &o, &r, &d), PF_OK);
    bool seen = false, seen_missing = false;
    for (size_t i = 0; i < r->findings.count; i++) {
        const pf_campaign_location *l = &r->locations[i];
        if (strcmp(r->findings.items[i].id, "campaign.sample-url-shortener") == 0) {
            const char *at = strstr(text, "bit.ly");
            pf_check_int("shortener line", l->at.line, 6);
            pf_check_int("shortener column", l->at.column, column_of(text, at));
            pf_check_int("shortener end", l->at.end_column, column_of(text, at) + 10);
            pf_check_str("shortener path", l->path, "sample_messages[1]");
            pf_check_str("rejection code", r->findings.items[i].rejection_code, "30892");
            seen = true;
        }
        if (strcmp(r->findings.items[i].id, "campaign.description-missing") == 0) {
            pf_check_int("missing: the document", l->at.line, 1);
            pf_check_int("missing: the document", l->at.column, 1);
            seen_missing = true;
        }
    }
    pf_check("shortener found", seen);
    pf_check("description-missing found", seen_missing);
    pf_campaign_result_destroy(r);
    pf_campaign_destroy(c);
}

static void test_helpers(void **state)
{
    (void)state;
    static const struct {
        const char *text, *word;
        long at;
    } words[] = {
        {"Reply STOP to end", "stop", 6},
        {"stopwatch", "stop", -1},
        {"nonstop", "stop", -1},
        {"Reminders!", "remind*", 0},
        {"Save 20% off now", "% off", 7},
        {"x-sms-terms", "sms", 2},
        {"", "stop", -1},
        {"STOP", "", -1},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(words); i++)
        pf_check_int(words[i].text, find_word(words[i].text, words[i].word), words[i].at);

    static const struct {
        const char *name, *core;
    } brands[] = {{"Acme Dental, LLC", "Acme Dental"},
                  {"AdultStuff Inc", "AdultStuff"},
                  {"Co", "Co"},
                  {"Widgets Co. Ltd", "Widgets"}};
    for (size_t i = 0; i < PF_ARRAY_LEN(brands); i++) {
        char out[64];
        brand_core(brands[i].name, out, sizeof out);
        pf_check_str(brands[i].name, out, brands[i].core);
    }

    static const struct {
        const char *text;
        bool contact;
    } contacts[] = {{"call (415) 555-0134", true},   {"email care@acme.example", true},
                    {"visit acme.com/help", true},   {"see https://x.example", true},
                    {"we are here to help.", false}, {"reply 12 34", false}};
    for (size_t i = 0; i < PF_ARRAY_LEN(contacts); i++)
        pf_check(contacts[i].text, has_contact(contacts[i].text) == contacts[i].contact);

    static const struct {
        const char *url, *host;
        bool https;
    } urls[] = {{"https://Acme.Example.com/privacy", "acme.example.com", true},
                {"http://user@acme.example.com:8080/x", "acme.example.com", false},
                {"ftp://acme.example.com", NULL, false},
                {"https://localhost/x", NULL, true},
                {"acme.example.com/privacy", NULL, false}};
    for (size_t i = 0; i < PF_ARRAY_LEN(urls); i++) {
        char host[128];
        bool https = false;
        bool ok = url_host(urls[i].url, host, sizeof host, &https);
        pf_check(urls[i].url, ok == (urls[i].host != NULL));
        if (ok) {
            pf_check_str(urls[i].url, host, urls[i].host);
            pf_check(urls[i].url, https == urls[i].https);
        }
    }

    static const struct {
        const char *text;
        long at;
        size_t n;
    } ph[] = {{"Hi {{first_name}}!", 3, 14}, {"Hi <name>.", 3, 6}, {"Hi [name].", -1, 0},
              {"cost ${amount}", 5, 9},      {"x %s y", 2, 2},     {"3 < 4 > 2", -1, 0}};
    for (size_t i = 0; i < PF_ARRAY_LEN(ph); i++) {
        size_t n = 0;
        pf_check_int(ph[i].text, find_bad_placeholder(ph[i].text, &n), ph[i].at);
        if (ph[i].at >= 0)
            pf_check_int(ph[i].text, n, ph[i].n);
    }

    pf_check("text JOIN", texted_keyword("Text JOIN to 12345 to subscribe."));
    pf_check("reply YES", texted_keyword("Reply YES to confirm your subscription."));
    pf_check("reply STOP is no opt-in", !texted_keyword("Reply STOP to opt out."));
    pf_check("lower case", !texted_keyword("text me reminders"));

    char page[] = "<html><head><style>p{}</style><script>var a='<p>';</script></head>"
                  "<body><p>We will <b>not</b>\n  share&nbsp;your number.</p></body></html>";
    size_t n = page_text(page, strlen(page));
    pf_check_str("page text", page, "We will not share your number. ");
    pf_check_int("page text length", n, strlen(page));
}

/* --fetch against the fake server on loopback: live pages, a missing one,
 * redirects (followed on loopback, refused to plain http elsewhere, capped
 * in number) and an oversized page. */
static void test_fetch(void **state)
{
    (void)state;
    static char huge[6000];
    memset(huge, 'a', sizeof huge - 1);
    static const char privacy_ok[] =
        "<html><body><h1>Privacy</h1><p>Mobile information will <b>not</b> be shared with "
        "third parties or affiliates for marketing purposes.</p></body></html>";
    static const char terms_ok[] = "<p>SMS terms: text STOP to cancel, HELP for help.</p>";
    static char loc[128], loc_away[] = "http://example.com/privacy";
    static const struct {
        const char *name;
        struct fake_step steps[4];
        size_t nsteps;
        size_t max_bytes;
        const char *want; /* the --fetch findings, in order */
    } cases[] = {
        {"live",
         {{.status = 200, .body = privacy_ok}, {.status = 200, .body = terms_ok}},
         2,
         0,
         ""},
        {"missing",
         {{.status = 404, .body = "nope"}},
         1,
         0,
         "privacy-unreachable:block:30908,terms-unreachable:warn:30896"},
        {"redirect on loopback",
         {{.status = 302, .body = "", .location = loc},
          {.status = 200, .body = privacy_ok},
          {.status = 200, .body = terms_ok}},
         3,
         0,
         ""},
        {"redirect to plain http elsewhere",
         {{.status = 301, .body = "", .location = loc_away}, {.status = 200, .body = terms_ok}},
         2,
         0,
         "privacy-unreachable:block:30908"},
        {"redirect loop",
         {{.status = 302, .body = "", .location = loc}},
         1,
         0,
         "privacy-unreachable:block:30908,terms-unreachable:warn:30896"},
        {"oversized",
         {{.status = 200, .body = huge}},
         1,
         1000,
         "privacy-unreachable:block:30908,terms-unreachable:warn:30896"},
        {"says the wrong things",
         {{.status = 200, .body = "<p>We may share your data with our partners.</p>"},
          {.status = 200, .body = "<p>Terms of use of our website.</p>"}},
         2,
         0,
         "privacy-no-sharing:block:30908,terms-no-sms:warn:30896"},
    };
    memset(huge, 'a', sizeof huge - 1);
    for (size_t i = 0; i < PF_ARRAY_LEN(cases); i++) {
        struct fake_api *api = NULL;
        assert_int_equal(fake_api_start(cases[i].steps, cases[i].nsteps, 16, 20000, NULL, &api), 0);
        unsigned port = fake_api_port(api);
        snprintf(loc, sizeof loc, "http://127.0.0.1:%u/moved", port);
        char text[2048];
        snprintf(text, sizeof text,
                 "{\"brand\": {\"name\": \"Acme\", \"website\": \"https://acme.example.com\"},"
                 " \"use_case\": \"2FA\", \"privacy_policy_url\": \"http://127.0.0.1:%u/privacy\","
                 " \"terms_url\": \"http://127.0.0.1:%u/terms\"}",
                 port, port);
        pf_campaign *c = NULL;
        pf_campaign_result *r = NULL;
        pf_diag d;
        pf_campaign_options o = pf_campaign_options_default();
        o.fetch = true;
        o.fetch_timeout_ms = 5000;
        o.fetch_max_bytes = cases[i].max_bytes;
        o.fetch_max_redirects = 2;
        assert_int_equal(pf_campaign_load_buffer(text, strlen(text), "fetch.json", &c, &d), PF_OK);
        assert_int_equal(pf_campaign_check(c, rules, &o, &r, &d), PF_OK);
        char got[1024] = "";
        for (size_t k = 0; k < r->findings.count; k++) {
            const pf_finding *f = &r->findings.items[k];
            if (!strstr(f->id, "unreachable") && !strstr(f->id, "no-sharing") &&
                !strstr(f->id, "no-sms"))
                continue;
            char one[160];
            snprintf(one, sizeof one, "%s%s:%s:%s", got[0] ? "," : "", f->id + 9,
                     pf_severity_name(f->severity), f->rejection_code ? f->rejection_code : "-");
            strncat(got, one, sizeof got - strlen(got) - 1);
        }
        pf_check_str(cases[i].name, got, cases[i].want);
        pf_campaign_result_destroy(r);
        pf_campaign_destroy(c);
        fake_api_destroy(api);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks),    cmocka_unit_test(test_good),
        cmocka_unit_test(test_peer),      cmocka_unit_test(test_broken),
        cmocka_unit_test(test_positions), cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_fetch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
