/*
 * test_rules.c — the rule-pack loader and the scanner's matchers: a table
 * of broken packs with the expected error and position, and a table of
 * small packs run over messages (words with evasions, domains with
 * subdomains, require, first-message and country escalation, match limits).
 */
#include <stdlib.h>

#include "../test_util.h"
#include "preflight/countries.h"
#include "preflight/scan.h"

/* A rule body with everything but the matcher; %s is the matcher part. */
#define RULE(extra)                                                                                \
    "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [\n"                                     \
    "{\"id\": \"content.t\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\",\n"   \
    " \"fix\": \"f\", \"source\": \"heuristic\", " extra "}\n]}\n"

struct bad_pack {
    const char *name;
    const char *text;
    pf_status status;
    unsigned line, column;
    const char *path;
    const char *message;
};

static void test_broken_packs(void **state)
{
    (void)state;
    static const struct bad_pack rows[] = {
        {"not json", "{\"pack\": \"t\",", PF_E_SYNTAX, 1, 14, "", "end of file"},
        {"unknown pack key", "{\"pack\": \"t\", \"description\": \"d\", \"rulez\": []}",
         PF_E_SCHEMA, 1, 35, "rulez", "unknown key 'rulez'"},
        {"rules not array", "{\"pack\": \"t\", \"description\": \"d\", \"rules\": {}}", PF_E_SCHEMA,
         1, 44, "rules", "expected an array"},
        {"bad regex", RULE("\"pattern\": \"a(b\""), PF_E_SYNTAX, 3, 48, "rules[0].pattern",
         "missing closing parenthesis (at offset 3) [rule content.t]"},
        {"bad regex in list", RULE("\"pattern\": [\"ok\", \"[z-a]\"]"), PF_E_SYNTAX, 3, 55,
         "rules[0].pattern[1]", "range out of order"},
        {"duplicate severity", RULE("\"pattern\": \"x\", \"severity\": \"fatal\""), PF_E_SCHEMA, 3,
         53, "rules[0].severity", "duplicate key"},
        {"two matchers", RULE("\"pattern\": \"x\", \"words\": [\"y\"]"), PF_E_SCHEMA, 3, 62,
         "rules[0].words", "exactly one matcher"},
        {"no matcher", RULE("\"caseless\": true"), PF_E_SCHEMA, 2, 1, "rules[0]",
         "missing matcher"},
        {"unknown rule key", RULE("\"pattern\": \"x\", \"weight\": 3"), PF_E_SCHEMA, 3, 53,
         "rules[0].weight", "unknown key 'weight'"},
        {"bad builtin", RULE("\"builtin\": \"emails\""), PF_E_SCHEMA, 3, 48, "rules[0].builtin",
         "'emails' is not one of: url, phone_number, brand_missing"},
        {"bad country", RULE("\"pattern\": \"x\", \"countries\": [\"US\", \"XX\"]"), PF_E_SCHEMA, 3,
         73, "rules[0].countries[1]", "'XX' is not a region code"},
        {"bad sender", RULE("\"pattern\": \"x\", \"senders\": [\"fax\"]"), PF_E_SCHEMA, 3, 65,
         "rules[0].senders[0]", "'fax' is not one of"},
        {"bad escalate", RULE("\"pattern\": \"x\", \"escalate\": \"sometimes\""), PF_E_SCHEMA, 3,
         65, "rules[0].escalate", "'sometimes' is not one of"},
        {"upper-case domain", RULE("\"domains\": [\"bit.ly\", \"Goo.gl\"]"), PF_E_SCHEMA, 3, 59,
         "rules[0].domains[1]", "not a lower-case host name"},
        {"empty words", RULE("\"words\": []"), PF_E_SCHEMA, 3, 46, "rules[0].words",
         "non-empty array"},
        {"caseless not bool", RULE("\"pattern\": \"x\", \"caseless\": \"no\""), PF_E_SCHEMA, 3, 65,
         "rules[0].caseless", "expected true or false"},
        {"source not an address",
         "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [{\"id\": "
         "\"content.t\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\", \"fix\": "
         "\"f\", \"source\": \"a blog\", \"pattern\": \"x\"}]}",
         PF_E_SCHEMA, 1, 140, "rules[0].source", "http(s) address"},
        {"id not content.",
         "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [{\"id\": "
         "\"spam\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\", \"fix\": "
         "\"f\", "
         "\"source\": \"heuristic\", \"pattern\": \"x\"}]}",
         PF_E_SCHEMA, 1, 52, "rules[0].id", "content.<category>"},
        {"duplicate id",
         "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [\n"
         "{\"id\": \"content.t\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\", "
         "\"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": \"x\"},\n"
         "{\"id\": \"content.t\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\", "
         "\"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": \"y\"}]}",
         PF_E_SCHEMA, 3, 8, "rules[1].id", "duplicate rule id 'content.t'"},
        {"invalid utf8", "{\"pack\": \"t\xff\"}", PF_E_UTF8, 1, 12, "", "invalid UTF-8"},
        {"number_types without phone builtin",
         RULE("\"builtin\": \"url\", \"number_types\": [\"premium_rate\"]"), PF_E_SCHEMA, 3, 55,
         "rules[0].number_types", "only to the phone_number builtin"},
        {"bad number type",
         RULE("\"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\", "
              "\"expensive\"]"),
         PF_E_SCHEMA, 3, 97, "rules[0].number_types[1]", "'expensive' is not a number type"},
        {"signals not an object", RULE("\"signals\": [\"content.x\"]"), PF_E_SCHEMA, 3, 48,
         "rules[0].signals", "expected an object"},
        {"signals when_unflagged not bool",
         RULE("\"signals\": {\"threshold\": 1, \"weights\": {\"content.x\": 1}, "
              "\"when_unflagged\": 1}"),
         PF_E_SCHEMA, 3, 112, "rules[0].signals.when_unflagged", "expected true or false"},
        {"signals unknown key",
         RULE("\"signals\": {\"threshold\": 1, \"weights\": {\"content.x\": 1}, \"min\": 2}"),
         PF_E_SCHEMA, 3, 94, "rules[0].signals.min", "unknown key 'min'"},
        {"signals no threshold", RULE("\"signals\": {\"weights\": {\"content.x\": 1}}"),
         PF_E_SCHEMA, 3, 48, "rules[0].signals", "missing"},
        {"signals empty weights", RULE("\"signals\": {\"threshold\": 1, \"weights\": {}}"),
         PF_E_SCHEMA, 3, 76, "rules[0].signals.weights", "non-empty object"},
        {"signals weight not an integer",
         RULE("\"signals\": {\"threshold\": 1, \"weights\": {\"content.x\": 1.5}}"), PF_E_SCHEMA, 3,
         90, "rules[0].signals.weights.content.x", "integer from 1 to 100"},
        {"signals weight not an id",
         RULE("\"signals\": {\"threshold\": 1, \"weights\": {\"caps\": 1}}"), PF_E_SCHEMA, 3, 77,
         "rules[0].signals.weights.caps", "'caps' is not a rule id"},
        {"signals duplicate id",
         RULE("\"signals\": {\"threshold\": 1, \"weights\": {\"content.x\": 1, \"content.x\": "
              "2}}"),
         PF_E_SCHEMA, 3, 93, "rules[0].signals.weights.content.x", "duplicate key"},
        {"signals counting itself",
         RULE("\"signals\": {\"threshold\": 1, \"weights\": {\"content.t\": 1}}"), PF_E_SCHEMA, 3,
         77, "rules[0].signals.weights.content.t", "cannot count itself"},
        {"signals threshold out of reach",
         RULE("\"signals\": {\"threshold\": 4, \"weights\": {\"content.x\": 1, \"content.y\": "
              "2}}"),
         PF_E_SCHEMA, 3, 62, "rules[0].signals.threshold", "weights add up to 3"},
        {"signals name no rule",
         RULE("\"signals\": {\"threshold\": 1, \"weights\": {\"content.nope\": 1}}"), PF_E_SCHEMA,
         3, 77, "rules[0].signals.weights.content.nope",
         "'content.nope' names no loaded rule [rule content.t]"},
        {"except on a builtin", RULE("\"builtin\": \"url\", \"except\": \"x\""), PF_E_SCHEMA, 3, 55,
         "rules[0].except", "only to pattern and words"},
        {"except does not compile", RULE("\"words\": [\"x\"], \"except\": [\"ok\", \"(\"]"),
         PF_E_SYNTAX, 3, 70, "rules[0].except[1]", "missing closing parenthesis"},
        {"signals of signals",
         "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [\n"
         "{\"id\": \"content.a\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\", "
         "\"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": \"x\"},\n"
         "{\"id\": \"content.b\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\", "
         "\"fix\": \"f\", \"source\": \"heuristic\", \"signals\": {\"threshold\": 1, "
         "\"weights\": {\"content.a\": 1}}},\n"
         "{\"id\": \"content.c\", \"category\": \"t\", \"severity\": \"warn\", \"message\": \"m\", "
         "\"fix\": \"f\", \"source\": \"heuristic\", \"signals\": {\"threshold\": 1, "
         "\"weights\": {\"content.a\": 1, \"content.b\": 1}}}]}",
         PF_E_SCHEMA, 4, 165, "rules[2].signals.weights.content.b", "is itself a signals rule"},
    };
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct bad_pack *r = &rows[i];
        const char *names[] = {r->name};
        size_t len = strlen(r->text);
        pf_ruleset *set = NULL;
        pf_diag d;
        pf_status st = pf_rules_load_buffers(&r->text, &len, names, 1, &set, &d);
        if (st != r->status || d.line != r->line || d.column != r->column ||
            strcmp(d.path, r->path) != 0 || !strstr(d.message, r->message) || set) {
            print_error("row '%s': got %d at %u:%u '%s' '%s'; want %d at %u:%u '%s' '%s'\n",
                        r->name, st, d.line, d.column, d.path, d.message, r->status, r->line,
                        r->column, r->path, r->message);
            failed++;
        }
        pf_rules_destroy(set);
    }
    assert_int_equal(failed, 0);
}

struct scan_row {
    const char *name;
    const char *rule; /* the rule's extra fields: matcher and scope */
    const char *msg;
    const char *country;
    pf_first_message first;
    int want_count;    /* findings of content.t */
    int want_severity; /* of the first, when any */
    size_t span_start, span_end;
};

static void test_matchers(void **state)
{
    (void)state;
    static const struct scan_row rows[] = {
        {"word plain", "\"words\": [\"casino\"]", "Visit our casino tonight", NULL, 0, 1, 1, 10,
         16},
        {"word caps", "\"words\": [\"casino\"]", "CASINO night", NULL, 0, 1, 1, 0, 6},
        {"word leet", "\"words\": [\"casino\"]", "c4s1n0 night", NULL, 0, 1, 1, 0, 6},
        {"word dotted", "\"words\": [\"casino\"]", "c.a.s.i.n.o night", NULL, 0, 1, 1, 0, 11},
        {"word spaced", "\"words\": [\"casino\"]", "c a s i n o night", NULL, 0, 1, 1, 0, 11},
        {"word repeated letters", "\"words\": [\"free\"]", "freeeee money", NULL, 0, 1, 1, 0, 7},
        {"word mixed separators", "\"words\": [\"casino\"]", "ca sino", NULL, 0, 0, 0, 0, 0},
        {"word inside word", "\"words\": [\"sex\"]", "Essex and Sussex", NULL, 0, 0, 0, 0, 0},
        {"phrase", "\"words\": [\"cash advance\"]", "Get a cash   advance now", NULL, 0, 1, 1, 6,
         20},
        {"two hits", "\"words\": [\"bet\"]", "bet now, bet big", NULL, 0, 2, 1, 0, 3},
        {"domain exact", "\"domains\": [\"bit.ly\"]", "see https://bit.ly/x.", NULL, 0, 1, 1, 4,
         20},
        {"domain subdomain", "\"domains\": [\"goo.gl\"]", "maps.app.goo.gl/abc", NULL, 0, 1, 1, 0,
         19},
        {"domain lookalike", "\"domains\": [\"bit.ly\"]", "see orbit.ly/x", NULL, 0, 0, 0, 0, 0},
        {"domain in email", "\"domains\": [\"bit.ly\"]", "mail me at sam@bit.ly", NULL, 0, 0, 0, 0,
         0},
        {"require met", "\"require\": \"\\\\bSTOP\\\\b\"", "Reply STOP to end", NULL, 0, 0, 0, 0,
         0},
        {"require unmet", "\"require\": \"\\\\bSTOP\\\\b\"", "Hello", NULL, 0, 1, 1, 0, 0},
        {"first yes blocks", "\"require\": \"STOP\", \"severity\": \"block\"", "Hi", NULL,
         PF_FIRST_YES, 1, 2, 0, 0},
        {"country scope skips", "\"pattern\": \"x\", \"countries\": [\"US\"]", "x", "GB", 0, 0, 0,
         0, 0},
        {"country scope runs", "\"pattern\": \"x\", \"countries\": [\"US\"]", "x", "US", 0, 1, 1, 0,
         1},
        {"no country skips scoped", "\"pattern\": \"x\", \"countries\": [\"US\"]", "x", NULL, 0, 0,
         0, 0, 0},
        {"excluded country", "\"pattern\": \"x\", \"exclude_countries\": [\"GB\"]", "x", "GB", 0, 0,
         0, 0, 0},
        {"escalate with url", "\"pattern\": \"verify\", \"escalate_with_url\": true",
         "verify at https://acme.example.com/v", NULL, 0, 1, 2, 0, 6},
        {"case sensitive", "\"pattern\": \"STOP\", \"caseless\": false", "stop", NULL, 0, 0, 0, 0,
         0},
        {"number types: premium rate from the recipient's country",
         "\"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\", \"shared_cost\"]",
         "WIN! Call 09061701461 now", "GB", 0, 1, 1, 10, 21},
        {"number types: premium rate with its own +",
         "\"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\", \"shared_cost\"]",
         "Call +44 906 170 1461 now", "US", 0, 1, 1, 5, 21},
        {"number types: no country, only +",
         "\"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\"]",
         "Call 09061701461 or +1 900 555 0199", NULL, 0, 1, 1, 20, 35},
        {"number types: shared cost",
         "\"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\", \"shared_cost\"]",
         "Appelez le 0810 12 34 56", "FR", 0, 1, 1, 11, 24},
        {"number types: landline and mobile pass",
         "\"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\", \"shared_cost\"]",
         "Call 020 7946 0958 or 07400 123456", "GB", 0, 0, 0, 0, 0},
        {"number types: toll-free passes",
         "\"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\", \"shared_cost\"]",
         "Call 0800 123 4567 free", "GB", 0, 0, 0, 0, 0},
        {"number types: every type without the list", "\"builtin\": \"phone_number\"",
         "Call 020 7946 0958 or 09061701461", "GB", 0, 2, 1, 5, 18},
        {"except: a street name is no casino",
         "\"words\": [\"casino\"], \"except\": \"\\\\b\\\\w+\\\\s+road\\\\b\"",
         "Pick-up at 1420 Casino Road", NULL, 0, 0, 0, 0, 0},
        {"except: the same word elsewhere still counts",
         "\"words\": [\"casino\"], \"except\": \"\\\\b\\\\w+\\\\s+road\\\\b\"",
         "Casino Road, then the casino", NULL, 0, 1, 1, 22, 28},
        {"except: evasive spelling is excused too",
         "\"words\": [\"casino\"], \"except\": [\"royale\", "
         "\"c\\\\W*a\\\\W*s\\\\W*i\\\\W*n\\\\W*o\\\\s+"
         "road\"]",
         "meet at C.A.S.I.N.O Road", NULL, 0, 0, 0, 0, 0},
        {"except: a pattern that does not cover the match does not excuse",
         "\"words\": [\"pistol\"], \"except\": \"\\\\bpistol\\\\s+squats?\"", "pistol, squats",
         NULL, 0, 1, 1, 0, 6},
        {"except on a pattern rule", "\"pattern\": \"poker\", \"except\": \"poker\\\\s+face\"",
         "Poker Face is on the radio", NULL, 0, 0, 0, 0, 0},
        {"catastrophic pattern is stopped", "\"pattern\": \"(a+)+$\"",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", NULL,
         0, -1, 0, 0, 0},
    };
    static const char head[] = "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [{\"id\": "
                               "\"content.t\", \"category\": \"t\", \"message\": \"m\", \"fix\": "
                               "\"f\", \"source\": \"heuristic\", ";
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct scan_row *r = &rows[i];
        char text[1024];
        bool has_sev = strstr(r->rule, "\"severity\"") != NULL;
        snprintf(text, sizeof text, "%s%s%s}]}", head, has_sev ? "" : "\"severity\": \"warn\", ",
                 r->rule);
        const char *t = text;
        size_t len = strlen(text);
        const char *name = r->name;
        pf_ruleset *set = NULL;
        pf_scanner *sc = NULL;
        pf_diag d;
        if (pf_rules_load_buffers(&t, &len, &name, 1, &set, &d) != PF_OK) {
            print_error("row '%s': pack does not load: %s\n", r->name, d.message);
            failed++;
            continue;
        }
        assert_int_equal(pf_scanner_create(set, &sc), PF_OK);
        pf_scan_options o = pf_scan_options_default();
        o.country = r->country;
        o.first_message = r->first;
        pf_finding_list got;
        pf_finding_list_init(&got);
        assert_int_equal(pf_scanner_scan(sc, r->msg, strlen(r->msg), &o, &got, &d), PF_OK);
        int n = 0, limit = 0;
        const pf_finding *first = NULL;
        for (size_t k = 0; k < got.count; k++) {
            if (strcmp(got.items[k].id, "content.t") == 0) {
                if (!first)
                    first = &got.items[k];
                n++;
            }
            limit += strcmp(got.items[k].id, "rules.match-limit") == 0;
        }
        bool ok;
        if (r->want_count < 0)
            ok = limit == 1 && n == 0;
        else
            ok = n == r->want_count &&
                 (!first || ((int)first->severity == r->want_severity &&
                             (!first->has_span || (first->span_start == r->span_start &&
                                                   first->span_end == r->span_end))));
        if (!ok) {
            print_error("row '%s': %d findings (limit %d)", r->name, n, limit);
            if (first)
                print_error(", first severity %d span %zu-%zu", first->severity, first->span_start,
                            first->span_end);
            print_error("\n");
            failed++;
        }
        pf_finding_list_clear(&got);
        pf_scanner_destroy(sc);
        pf_rules_destroy(set);
    }
    assert_int_equal(failed, 0);
}

/* Rules a signals rule counts, in a second pack loaded first: the ids are
 * resolved across packs once all are loaded. */
static const char signals_pack[] =
    "{\"pack\": \"s\", \"description\": \"d\", \"rules\": [\n"
    "{\"id\": \"content.sig\", \"category\": \"s\", \"severity\": \"warn\", \"message\": "
    "\"Several signals.\", \"fix\": \"f\", \"source\": \"heuristic\", \"signals\": "
    "{\"threshold\": 3, \"weights\": {\"content.caps\": 2, \"content.money\": 2, "
    "\"content.link\": 1, \"content.phone\": 1, \"content.us-only\": 2}}}]}";
static const char signal_rules_pack[] =
    "{\"pack\": \"r\", \"description\": \"d\", \"rules\": [\n"
    "{\"id\": \"content.caps\", \"category\": \"r\", \"severity\": \"info\", \"message\": "
    "\"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": \"\\\\b[A-Z]{4,}\\\\b\", "
    "\"caseless\": false},\n"
    "{\"id\": \"content.money\", \"category\": \"r\", \"severity\": \"info\", \"message\": "
    "\"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": \"\\\\${2,}\"},\n"
    "{\"id\": \"content.link\", \"category\": \"r\", \"severity\": \"info\", \"message\": "
    "\"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"builtin\": \"url\"},\n"
    "{\"id\": \"content.phone\", \"category\": \"r\", \"severity\": \"info\", \"message\": "
    "\"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"builtin\": \"phone_number\"},\n"
    "{\"id\": \"content.us-only\", \"category\": \"r\", \"severity\": \"info\", "
    "\"message\": \"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"words\": [\"hurry\"], "
    "\"countries\": [\"US\"]}]}";

struct signals_row {
    const char *name;
    const char *msg;
    const char *country;
    const char *disabled; /* one rule id to disable, or NULL */
    const char *want;     /* the signals finding's message, or NULL: none */
};

static void test_signals(void **state)
{
    (void)state;
    static const struct signals_row rows[] = {
        {"nothing", "Your order has shipped.", "US", NULL, NULL},
        {"caps alone stays info", "HUGE sale this weekend", "US", NULL, NULL},
        {"money alone stays info", "Win $$ today", "US", NULL, NULL},
        {"link and phone are not enough", "See acme.com or call 020 7946 0958", "GB", NULL, NULL},
        {"caps and a link", "HUGE sale at acme.com", "US", NULL,
         "Several signals. Signals: content.caps (+2), content.link (+1) = 3, threshold 3."},
        {"caps and money", "HUGE $$$ sale", "US", NULL,
         "Several signals. Signals: content.caps (+2), content.money (+2) = 4, threshold 3."},
        {"caps and a phone number", "CALL 020 7946 0958", "GB", NULL,
         "Several signals. Signals: content.caps (+2), content.phone (+1) = 3, threshold 3."},
        {"many hits of one rule count once", "HUGE HUGE HUGE sale", "US", NULL, NULL},
        {"a disabled signal does not count", "HUGE sale at acme.com", "US", "content.caps", NULL},
        {"a signal out of scope does not count", "hurry to acme.com", "GB", NULL, NULL},
        {"a signal in scope counts", "hurry to acme.com", "US", NULL,
         "Several signals. Signals: content.link (+1), content.us-only (+2) = 3, threshold 3."},
        {"the signals rule itself disabled", "HUGE sale at acme.com", "US", "content.sig", NULL},
    };
    const char *texts[] = {signals_pack, signal_rules_pack};
    size_t lens[] = {strlen(signals_pack), strlen(signal_rules_pack)};
    const char *names[] = {"s.json", "r.json"};
    pf_ruleset *set = NULL;
    pf_scanner *sc = NULL;
    pf_diag d;
    if (pf_rules_load_buffers(texts, lens, names, 2, &set, &d) != PF_OK)
        print_error("packs do not load: %s at %u:%u %s\n", d.message, d.line, d.column, d.path);
    assert_non_null(set);
    assert_int_equal(pf_rules_find(set, "content.sig")->matcher, PF_MATCH_SIGNALS);
    assert_int_equal(pf_scanner_create(set, &sc), PF_OK);
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct signals_row *r = &rows[i];
        pf_scan_options o = pf_scan_options_default();
        o.country = r->country;
        o.disabled = &r->disabled;
        o.disabled_count = r->disabled ? 1 : 0;
        pf_finding_list got;
        pf_finding_list_init(&got);
        assert_int_equal(pf_scanner_scan(sc, r->msg, strlen(r->msg), &o, &got, &d), PF_OK);
        const pf_finding *sig = NULL;
        int others_above_info = 0;
        for (size_t k = 0; k < got.count; k++) {
            if (strcmp(got.items[k].id, "content.sig") == 0)
                sig = &got.items[k];
            else
                others_above_info += got.items[k].severity != PF_SEV_INFO;
        }
        bool ok = others_above_info == 0 &&
                  (r->want ? sig && sig->severity == PF_SEV_WARN && !sig->has_span &&
                                 strcmp(sig->message, r->want) == 0
                           : sig == NULL);
        if (!ok) {
            print_error("row '%s': got %s\n", r->name, sig ? sig->message : "no signals finding");
            failed++;
        }
        pf_finding_list_clear(&got);
    }
    pf_scanner_destroy(sc);
    pf_rules_destroy(set);
    assert_int_equal(failed, 0);
}

/*
 * The shipped packs on evasions and on known false-positive traps: each row
 * names an id that must be found at warn or above (or at info, for the
 * weak signals) and an id that must not be found at all.
 */
struct shipped_row {
    const char *msg;
    const char *country;
    const char *want;     /* must be reported, or NULL */
    int want_severity;    /* of that finding */
    const char *not_want; /* must not be reported, or NULL */
};

static void test_shipped_packs(void **state)
{
    (void)state;
    static const struct shipped_row rows[] = {
        /* evasions */
        {"Y0U H4VE A P4CKAGE waiting, cl1ck the link", "US", "content.filter-evasion.leet", 1,
         NULL},
        {"your in.voice for la.st mo.nth was pa.id", "US", "content.filter-evasion.dotted", 1,
         NULL},
        {"Fr3sh w33d delivered daily", "US", "content.cannabis", 2, NULL},
        {"c.a.s.i.n.o bonus tonight", "US", "content.gambling", 2, NULL},
        {"you have w0n a cash prize", "GB", "content.prize", 1, NULL},
        {"Claim your £500 voucher now", "GB", "content.prize", 1, NULL},
        {"150 p / msg, 3 msgs per week", "GB", "content.subscription", 1, NULL},
        {"Call 09061 701461 now", "GB", "content.premium-number", 2, NULL},
        {"Call +44 9061 701461 now", "US", "content.premium-number", 2, NULL},
        {"Your package is on hold, pay the $2 redelivery fee at https://usps.example-track.top/x",
         "US", "content.phishing.fee", 2, NULL},
        {"HOT singles near you want to chat", "GB", "content.adult.intl", 1, NULL},
        {"$$$ CASH $$$ for you, reply today", "US", "content.urgency.signals", 1, NULL},
        {"LIMITED TIME OFFER ACT NOW at https://acme.example.com", "US", "content.urgency.signals",
         1, NULL},
        {"HEY MUMM, smashed my phone, this is my new number, save it x", "GB",
         "content.phishing.impersonation", 1, NULL},
        {"Your A/C will be bl0cked today. Kindly click here to update KYC", "IN",
         "content.phishing.signals", 1, NULL},
        {"Dear consumer your electricity power willbe disconnected tonight, immediately contact "
         "our officer",
         "IN", "content.phishing.signals", 1, NULL},
        {"Oh I saved your number by mistake, hope you don't mind", "US",
         "content.phishing.wrong-number", 1, NULL},
        {"Dear customer, you are winner of our lucky draw", "GB", "content.prize", 1, NULL},
        {"Join our group and learn to earn 500-5000 per day", "GB", "content.lead-generation", 1,
         NULL},
        {"Dear customer your K.Y.C is pending, your account will be blocked", "IN",
         "content.phishing", 1, NULL},
        /* weak signals stay info alone */
        {"Click here to see our new lunch menu.", "US", "content.phishing.action", 0,
         "content.phishing.signals"},
        {"Your 500 reward points expire on March 31; use them at checkout.", "US", NULL, 0,
         "content.phishing.signals"},
        {"URGENT: the meeting moved to 3pm", "US", "content.urgency", 0, "content.urgency.signals"},
        {"See https://acme.example.com or call 415-555-0137", "US", "content.url", 0,
         "content.urgency.signals"},
        /* traps */
        {"Your ride is arriving at 1420 Casino Road.", "US", NULL, 0, "content.gambling"},
        {"Drinks on Bourbon Street after the parade?", "US", NULL, 0, "content.shaft.alcohol"},
        {"Class today: pistol squats and lunges.", "US", NULL, 0, "content.shaft.firearms"},
        {"Table for two confirmed; our wine list is on the table.", "US", "content.shaft.alcohol",
         2, NULL},
        {"Your reservation at Vino is confirmed for 7pm; ask about wine by the glass.", "US", NULL,
         0, "content.shaft.alcohol"},
        {"Reminder: your flu shot is tomorrow at 9am.", "US", NULL, 0, "content.shaft.firearms"},
        {"Your COVID booster shot is booked for Friday.", "US", NULL, 0, "content.shaft.firearms"},
        {"Tom Brady is the G.O.A.T.", "US", NULL, 0, "content.filter-evasion.spaced"},
        {"Your sign-in code is 123456. It expires in 10 minutes.", "US", NULL, 0,
         "content.urgency"},
        {"Acme: Reply YES to subscribe to order updates.", "US", NULL, 0, "content.subscription"},
        {"We're hiring at $18/hr, apply today.", "US", NULL, 0, "content.subscription"},
        {"Your oxycodone refill is ready for pickup.", "US", NULL, 0, "content.drugs"},
        {"Congrats to the winner of the chess match!", "US", NULL, 0, "content.prize"},
        {"Claim your seat for Thursday's webinar.", "US", NULL, 0, "content.prize"},
        {"Call us free on 0800 123 4567.", "GB", NULL, 0, "content.premium-number"},
        {"Our adult education classes start Monday.", "US", NULL, 0, "content.adult"},
        {"Hi mum, see you at 6 for dinner.", "GB", NULL, 0, "content.phishing.impersonation"},
        {"Your KYC is due for periodic updation. Please visit your branch with your ID.", "IN",
         "content.phishing.lure", 0, "content.phishing.signals"},
        {"Order update: 1 item is backordered; the rest ships today.", "US", NULL, 0,
         "content.phishing.action"},
        {"Dad, my phone died at the station, can you pick me up?", "US", NULL, 0,
         "content.phishing.impersonation"},
        {"We attempted to deliver your parcel; we will try again tomorrow.", "US", NULL, 0,
         "content.phishing.lure"},
        {"Your card ending 4412 was locked; reply YES if the $60 charge was you.", "US",
         "content.phishing.lure", 0, "content.phishing.signals"},
    };
    const char *dir = PF_SOURCE_DIR "/rules";
    pf_ruleset *set = NULL;
    pf_scanner *sc = NULL;
    pf_diag d;
    assert_int_equal(pf_rules_load(&dir, 1, &set, &d), PF_OK);
    assert_int_equal(pf_scanner_create(set, &sc), PF_OK);
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct shipped_row *r = &rows[i];
        pf_scan_options o = pf_scan_options_default();
        o.country = r->country;
        o.first_message = PF_FIRST_NO;
        pf_finding_list got;
        pf_finding_list_init(&got);
        assert_int_equal(pf_scanner_scan(sc, r->msg, strlen(r->msg), &o, &got, &d), PF_OK);
        bool found = r->want == NULL, clean = true;
        for (size_t k = 0; k < got.count; k++) {
            const pf_finding *f = &got.items[k];
            if (r->want && strcmp(f->id, r->want) == 0 && (int)f->severity == r->want_severity)
                found = true;
            if (r->not_want && strcmp(f->id, r->not_want) == 0)
                clean = false;
        }
        if (!found || !clean) {
            print_error("row %zu '%s':%s%s\n", i, r->msg, found ? "" : " missing want",
                        clean ? "" : " has not_want");
            for (size_t k = 0; k < got.count; k++)
                print_error("    %s (%d)\n", got.items[k].id, got.items[k].severity);
            failed++;
        }
        pf_finding_list_clear(&got);
    }
    pf_scanner_destroy(sc);
    pf_rules_destroy(set);
    assert_int_equal(failed, 0);
}

/* when_unflagged: a signals rule that speaks only when nothing else warned. */
static void test_signals_unflagged(void **state)
{
    (void)state;
    static const char pack[] =
        "{\"pack\": \"u\", \"description\": \"d\", \"rules\": [\n"
        "{\"id\": \"content.caps\", \"category\": \"u\", \"severity\": \"info\", "
        "\"message\": \"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": "
        "\"\\\\b[A-Z]{4,}\\\\b\", \"caseless\": false},\n"
        "{\"id\": \"content.scam\", \"category\": \"u\", \"severity\": \"warn\", "
        "\"message\": \"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"words\": [\"scam\"]},\n"
        "{\"id\": \"content.alone\", \"category\": \"u\", \"severity\": \"warn\", "
        "\"message\": \"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"signals\": "
        "{\"threshold\": 2, \"when_unflagged\": true, \"weights\": {\"content.caps\": 2}}},\n"
        "{\"id\": \"content.always\", \"category\": \"u\", \"severity\": \"warn\", "
        "\"message\": \"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"signals\": "
        "{\"threshold\": 2, \"when_unflagged\": false, \"weights\": {\"content.caps\": 2}}}]}";
    static const struct {
        const char *msg;
        bool alone, always;
    } rows[] = {
        {"HUGE sale", true, true},
        {"HUGE scam", false, true},
        {"small sale", false, false},
    };
    const char *t = pack;
    size_t len = strlen(pack);
    const char *name = "u.json";
    pf_ruleset *set = NULL;
    pf_scanner *sc = NULL;
    pf_diag d;
    assert_int_equal(pf_rules_load_buffers(&t, &len, &name, 1, &set, &d), PF_OK);
    assert_int_equal(pf_scanner_create(set, &sc), PF_OK);
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_finding_list got;
        pf_finding_list_init(&got);
        assert_int_equal(pf_scanner_scan(sc, rows[i].msg, strlen(rows[i].msg), NULL, &got, &d),
                         PF_OK);
        bool alone = false, always = false;
        for (size_t k = 0; k < got.count; k++) {
            alone |= strcmp(got.items[k].id, "content.alone") == 0;
            always |= strcmp(got.items[k].id, "content.always") == 0;
        }
        if (alone != rows[i].alone || always != rows[i].always) {
            print_error("row '%s': alone %d always %d\n", rows[i].msg, alone, always);
            failed++;
        }
        pf_finding_list_clear(&got);
    }
    pf_scanner_destroy(sc);
    pf_rules_destroy(set);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_packs),  cmocka_unit_test(test_matchers),
        cmocka_unit_test(test_signals),       cmocka_unit_test(test_signals_unflagged),
        cmocka_unit_test(test_shipped_packs),
    };
    return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
