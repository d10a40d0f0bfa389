/*
 * test_engine.c — the decision engine over a scenario table: recipient x
 * sender x config x message x time x first-message, each row with the
 * expected verdict and the exact set of finding ids.
 *
 * The country facts the rows depend on come from a test overlay
 * (engine/countries-overlay.json) on top of the shipped table, so the rows
 * test the engine's logic, not today's data. Recipients written "@CC:type"
 * are libphonenumber's own example number of that type.
 */
#include <stdlib.h>

#include "../test_util.h"
#include "preflight/preflight.h"
#include "tz_int.h"
#include "verdict_int.h"

#define DIR PF_SOURCE_DIR "/tests/unit/engine/"

static pf_countries *table;
static pf_ruleset *rules;
static pf_config *cfg_main, *cfg_pending;

static int setup(void **state)
{
    (void)state;
    const char *tables[] = {PF_SOURCE_DIR "/data/countries.json", DIR "countries-overlay.json"};
    const char *dir = PF_SOURCE_DIR "/rules";
    pf_diag d;
    if (pf_countries_load(tables, 2, &table, &d) != PF_OK ||
        pf_rules_load(&dir, 1, &rules, &d) != PF_OK ||
        pf_countries_load_zones(table, DIR "timezones.json", &d) != PF_OK ||
        pf_config_load(DIR "config.json", &cfg_main, &d) != PF_OK ||
        pf_config_load(DIR "config-us-pending-only.json", &cfg_pending, &d) != PF_OK) {
        print_error("%s:%u:%u: %s: %s\n", d.file, d.line, d.column, d.path, d.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pf_config_destroy(cfg_main);
    pf_config_destroy(cfg_pending);
    pf_rules_destroy(rules);
    pf_countries_destroy(table);
    return 0;
}

enum cfg { MAIN, PENDING, NONE };

struct row {
    const char *name;
    enum cfg cfg;
    const char *to;
    const char *msg; /* NULL: a neutral, compliant message */
    const char *agent;
    int env; /* -1: the config's */
    pf_first_message first;
    pf_purpose purpose;
    const char *at; /* NULL: 2026-11-26T20:00:00Z (daytime in the US and GB) */
    const char *region;
    const char *verdict;
    const char *ids;        /* the exact finding ids, sorted, comma-separated */
    const char *agent_want; /* the sender the verdict must name, or NULL */
};

#define OK_MSG "Acme: your appointment is confirmed for Tuesday at 10:00."
#define NF PF_FIRST_NO
#define TX PF_PURPOSE_TRANSACTIONAL
#define PROMO PF_PURPOSE_PROMOTIONAL
#define UNK PF_PURPOSE_UNKNOWN

static const struct row rows[] = {
    /* US senders and the A2P gate */
    {"us auto", MAIN, "+14155552671", NULL, NULL, -1, NF, TX, NULL, NULL, "pass", "",
     "+14155550132"},
    {"us explicit approved", MAIN, "+14155552671", NULL, "+14155550132", -1, NF, TX, NULL, NULL,
     "pass", "", "+14155550132"},
    {"us explicit pending", MAIN, "+14155552671", NULL, "+16505550147", -1, NF, TX, NULL, NULL,
     "block", "a2p.10dlc-unregistered", NULL},
    {"us explicit rejected", MAIN, "+14155552671", NULL, "+13125550111", -1, NF, TX, NULL, NULL,
     "block", "a2p.10dlc-unregistered", NULL},
    {"us explicit no campaign", MAIN, "+14155552671", NULL, "+12125550100", -1, NF, TX, NULL, NULL,
     "block", "a2p.10dlc-unregistered", NULL},
    {"us toll-free verified", MAIN, "+14155552671", NULL, "+18335550142", -1, NF, TX, NULL, NULL,
     "pass", "", NULL},
    {"us toll-free pending", MAIN, "+14155552671", NULL, "+18885550100", -1, NF, TX, NULL, NULL,
     "block", "a2p.toll-free-unverified", NULL},
    {"ca auto uses us 10dlc", MAIN, "@CA:mobile", NULL, NULL, -1, NF, TX, NULL, NULL, "pass", "",
     "+14155550132"},
    {"ca from pending campaign", MAIN, "@CA:mobile", NULL, "+16505550147", -1, NF, TX, NULL, NULL,
     "block", "a2p.10dlc-unregistered", NULL},
    {"ca from own approved", MAIN, "@CA:mobile", NULL, "+14165550188", -1, NF, TX, NULL, NULL,
     "pass", "", NULL},
    {"ca toll-free pending", MAIN, "@CA:mobile", NULL, "+18885550100", -1, NF, TX, NULL, NULL,
     "block", "a2p.toll-free-unverified", NULL},
    {"us from gb long code", MAIN, "+14155552671", NULL, "+447400123456", -1, NF, TX, NULL, NULL,
     "block", "country.sender-unsupported", NULL},
    /* provisioning and environments */
    {"not provisioned", MAIN, "+14155552671", NULL, "+14155559999", -1, NF, TX, NULL, NULL, "block",
     "sender.not-provisioned", NULL},
    {"wrong environment", MAIN, "+14155552671", NULL, "+12025550173", -1, NF, TX, NULL, NULL,
     "block", "sender.wrong-environment", NULL},
    {"sandbox explicit", MAIN, "+14155552671", NULL, "+12025550173", PF_ENV_SANDBOX, NF, TX, NULL,
     NULL, "pass", "", NULL},
    {"sandbox auto", MAIN, "+14155552671", NULL, NULL, PF_ENV_SANDBOX, NF, TX, NULL, NULL, "pass",
     "", "+12025550173"},
    {"none available", PENDING, "+14155552671", NULL, NULL, -1, NF, TX, NULL, NULL, "block",
     "sender.none-available", NULL},
    {"none in environment", PENDING, "+14155552671", NULL, NULL, PF_ENV_DEV, NF, TX, NULL, NULL,
     "block", "sender.none-available", NULL},
    {"sender not e164", MAIN, "+14155552671", NULL, "+1 415 555 0132", -1, NF, TX, NULL, NULL,
     "block", "number.not-e164", NULL},
    {"no config", NONE, "+14155552671", NULL, NULL, -1, NF, TX, NULL, NULL, "pass", "config.none", NULL},
    /* other countries: kinds, registrations, one-way */
    {"gb auto prefers domestic", MAIN, "@GB:mobile", NULL, NULL, -1, NF, TX, NULL, NULL, "pass", "",
     "+447400123456"},
    {"gb from us long code", MAIN, "@GB:mobile", NULL, "+14155550132", -1, NF, TX, NULL, NULL,
     "pass", "", NULL},
    {"gb from us toll-free", MAIN, "@GB:mobile", NULL, "+18335550142", -1, NF, TX, NULL, NULL,
     "pass", "", NULL},
    {"ae one-way auto", MAIN, "+971501234567", NULL, NULL, -1, NF, TX, NULL, NULL, "warn",
     "country.one-way", "+14155550132"},
    {"ae one-way from gb", MAIN, "+971501234567", NULL, "+447400123456", -1, NF, TX, NULL, NULL,
     "warn", "country.one-way", NULL},
    {"ae from toll-free", MAIN, "+971501234567", NULL, "+18335550142", -1, NF, TX, NULL, NULL,
     "warn", "country.one-way", NULL},
    {"au registration missing", MAIN, "@AU:mobile", NULL, "+14155550132", -1, NF, TX, NULL, NULL,
     "warn", "country.registration-required", NULL},
    {"au registration approved", MAIN, "@AU:mobile", NULL, "+447400123456", -1, NF, TX, NULL, NULL,
     "pass", "", NULL},
    {"au auto picks registered", MAIN, "@AU:mobile", NULL, NULL, -1, NF, TX, NULL, NULL, "pass", "",
     "+447400123456"},
    {"de registration pending", MAIN, "@DE:mobile", NULL, "+447400123456", -1, NF, TX, NULL, NULL,
     "warn", "country.registration-required", NULL},
    {"de landline", MAIN, "+4930123456", NULL, "+447400123456", -1, NF, TX, NULL, NULL, "block",
     "country.registration-required,number.landline", NULL},
    {"gb premium rate", MAIN, "@GB:premium_rate", NULL, NULL, -1, NF, TX, NULL, NULL, "block",
     "number.non-sms-type", NULL},
    {"kp no sms", MAIN, "@KP:fixed_line", NULL, "+447400123456", -1, NF, TX, NULL, NULL, "block",
     "country.sender-unknown,country.sms-unsupported", NULL},
    {"ie unverified", MAIN, "@IE:mobile", NULL, "+447400123456", -1, NF, TX, NULL, NULL, "warn",
     "country.unverified", NULL},
    {"fr sender unknown", MAIN, "@FR:mobile", NULL, "+14155550132", -1, NF, TX, NULL, NULL, "warn",
     "country.sender-unknown", NULL},
    {"fr auto avoids unknown", MAIN, "@FR:mobile", NULL, "+447400123456", -1, NF, TX, NULL, NULL,
     "warn", "country.sender-unknown", NULL},
    /* quiet hours: a one-zone country with an all-traffic window */
    {"jp 22:00 inside", MAIN, "@JP:mobile", NULL, "+447400123456", -1, NF, TX,
     "2026-11-26T13:00:00Z", NULL, "block", "time.quiet-hours", NULL},
    {"jp 21:59 outside", MAIN, "@JP:mobile", NULL, "+447400123456", -1, NF, TX,
     "2026-11-26T12:59:00Z", NULL, "pass", "", NULL},
    {"jp 06:59 inside", MAIN, "@JP:mobile", NULL, "+447400123456", -1, NF, TX,
     "2026-11-26T21:59:00Z", NULL, "block", "time.quiet-hours", NULL},
    {"jp 07:00 outside", MAIN, "@JP:mobile", NULL, "+447400123456", -1, NF, TX,
     "2026-11-26T22:00:00Z", NULL, "pass", "", NULL},
    {"jp offset input", MAIN, "@JP:mobile", NULL, "+447400123456", -1, NF, TX,
     "2026-11-26T22:30:00+09:00", NULL, "block", "time.quiet-hours", NULL},
    /* quiet hours: US promotional window, in the zones of the number's area
     * (+1 212 New York, +1 808 Hawaii, +1 415 San Francisco) */
    {"us 21:00 new york", MAIN, "+12125550123", NULL, NULL, -1, NF, PROMO, "2026-11-27T02:00:00Z",
     NULL, "block", "time.quiet-hours", NULL},
    {"us 20:59 new york", MAIN, "+12125550123", NULL, NULL, -1, NF, PROMO, "2026-11-27T01:59:00Z",
     NULL, "pass", "", NULL},
    {"us 07:59 hawaii", MAIN, "+18085550123", NULL, NULL, -1, NF, PROMO, "2026-11-26T17:59:00Z",
     NULL, "block", "time.quiet-hours", NULL},
    {"us 08:00 hawaii", MAIN, "+18085550123", NULL, NULL, -1, NF, PROMO, "2026-11-26T18:00:00Z",
     NULL, "pass", "", NULL},
    {"us 23:59 in new york is 20:59 in sf", MAIN, "+14155552671", NULL, NULL, -1, NF, PROMO,
     "2026-11-27T04:59:00Z", NULL, "pass", "", NULL},
    {"us 21:00 in sf", MAIN, "+14155552671", NULL, NULL, -1, NF, PROMO, "2026-11-27T05:00:00Z",
     NULL, "block", "time.quiet-hours", NULL},
    {"us texas: 21:00 central", MAIN, "+12145550123", NULL, NULL, -1, NF, PROMO,
     "2026-11-27T03:00:00Z", NULL, "block", "time.quiet-hours", NULL},
    {"us texas: 20:59 central", MAIN, "+12145550123", NULL, NULL, -1, NF, PROMO,
     "2026-11-27T02:59:00Z", NULL, "pass", "", NULL},
    {"us unknown area: every zone", MAIN, "+18005550199", NULL, NULL, -1, NF, PROMO,
     "2026-11-26T17:59:00Z", NULL, "block", "time.quiet-hours", NULL},
    {"us unknown area: all zones awake", MAIN, "+18005550199", NULL, NULL, -1, NF, PROMO,
     "2026-11-26T18:00:00Z", NULL, "pass", "", NULL},
    {"us unknown purpose warns", MAIN, "+12125550123", NULL, NULL, -1, NF, UNK,
     "2026-11-27T02:00:00Z", NULL, "warn", "time.quiet-hours", NULL},
    {"us transactional at night", MAIN, "+12125550123", NULL, NULL, -1, NF, TX,
     "2026-11-27T02:00:00Z", NULL, "pass", "", NULL},
    {"us 01:30Z winter is 20:30 EST", MAIN, "+12125550123", NULL, NULL, -1, NF, PROMO,
     "2026-01-15T01:30:00Z", NULL, "pass", "", NULL},
    {"us 01:30Z summer is 21:30 EDT", MAIN, "+12125550123", NULL, NULL, -1, NF, PROMO,
     "2026-07-15T01:30:00Z", NULL, "block", "time.quiet-hours", NULL},
    {"us eve of dst start", MAIN, "+12125550123", NULL, NULL, -1, NF, PROMO, "2026-03-08T01:30:00Z",
     NULL, "pass", "", NULL},
    {"us day of dst start", MAIN, "+12125550123", NULL, NULL, -1, NF, PROMO, "2026-03-09T01:30:00Z",
     NULL, "block", "time.quiet-hours", NULL},
    /* quiet hours: a window on one weekday that wraps midnight, across BST */
    {"gb sunday 20:30", MAIN, "@GB:mobile", NULL, NULL, -1, NF, PROMO, "2026-11-29T20:30:00Z", NULL,
     "block", "time.quiet-hours", NULL},
    {"gb monday 08:30", MAIN, "@GB:mobile", NULL, NULL, -1, NF, PROMO, "2026-11-30T08:30:00Z", NULL,
     "block", "time.quiet-hours", NULL},
    {"gb monday 09:00", MAIN, "@GB:mobile", NULL, NULL, -1, NF, PROMO, "2026-11-30T09:00:00Z", NULL,
     "pass", "", NULL},
    {"gb saturday 20:30", MAIN, "@GB:mobile", NULL, NULL, -1, NF, PROMO, "2026-11-28T20:30:00Z",
     NULL, "pass", "", NULL},
    {"gb sunday 19:30Z in BST", MAIN, "@GB:mobile", NULL, NULL, -1, NF, PROMO,
     "2026-03-29T19:30:00Z", NULL, "block", "time.quiet-hours", NULL},
    {"gb sunday 19:30Z in GMT", MAIN, "@GB:mobile", NULL, NULL, -1, NF, PROMO,
     "2026-11-29T19:30:00Z", NULL, "pass", "", NULL},
    /* recipients */
    {"unparseable", MAIN, "hello", NULL, NULL, -1, NF, TX, NULL, NULL, "block",
     "number.unparseable", NULL},
    {"empty recipient", MAIN, "", NULL, NULL, -1, NF, TX, NULL, NULL, "block", "number.unparseable",
     NULL},
    {"spaced e164", MAIN, "+1 415 555 2671", NULL, NULL, -1, NF, TX, NULL, NULL, "block",
     "number.not-e164", NULL},
    {"national with region", MAIN, "(415) 555-2671", NULL, NULL, -1, NF, TX, NULL, "US", "block",
     "number.not-e164", NULL},
    {"national without region", MAIN, "(415) 555-2671", NULL, NULL, -1, NF, TX, NULL, NULL, "block",
     "number.unparseable", NULL},
    {"invalid", MAIN, "+1415555267", NULL, NULL, -1, NF, TX, NULL, NULL, "block", "number.invalid",
     NULL},
    /* the message */
    {"empty message", MAIN, "+14155552671", "  \n ", NULL, -1, NF, TX, NULL, NULL, "block",
     "message.empty", NULL},
    {"too many segments", MAIN, "+14155552671",
     "Acme: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaa",
     NULL, -1, NF, TX, NULL, NULL, "block", "message.too-long", NULL},
    {"ucs2 is info", MAIN, "+14155552671", "Acme: see you at 10:00 \xe2\x80\x94 thanks", NULL, -1,
     NF, TX, NULL, NULL, "pass", "message.ucs2", NULL},
    /* content, first message, config-scoped rules */
    {"first message without opt-out", MAIN, "+14155552671", NULL, NULL, -1, PF_FIRST_YES, TX, NULL,
     NULL, "block", "content.help,content.opt-out-missing", NULL},
    {"first message unknown", MAIN, "+14155552671", NULL, NULL, -1, PF_FIRST_UNKNOWN, TX, NULL,
     NULL, "warn", "content.help,content.opt-out-missing", NULL},
    {"first message complete", MAIN, "+14155552671",
     "Acme: your appointment is confirmed. Reply HELP for help, STOP to opt out. Msg&data rates "
     "may apply.",
     NULL, -1, PF_FIRST_YES, TX, NULL, NULL, "pass", "", NULL},
    {"first message without brand", MAIN, "+14155552671",
     "Your appointment is confirmed. Reply HELP for help, STOP to opt out. Msg&data rates may "
     "apply.",
     NULL, -1, PF_FIRST_YES, TX, NULL, NULL, "block", "content.brand-missing", NULL},
    {"shortener blocked in us", MAIN, "+14155552671", "Acme: details at bit.ly/abc123", NULL, -1,
     NF, TX, NULL, NULL, "block", "content.url,content.url-shortener", NULL},
    {"shortener warns in gb", MAIN, "@GB:mobile", "Acme: details at bit.ly/abc123", NULL, -1, NF,
     TX, NULL, NULL, "warn", "content.url,content.url-shortener", NULL},
};

/* "@CC:type" -> libphonenumber's example; anything else as written. */
static const char *recipient(const char *spec, char *buf, size_t cap)
{
    if (spec[0] != '@')
        return spec;
    char cc[3] = {spec[1], spec[2], 0};
    pf_number_type t;
    assert_int_equal(pf_number_type_from_name(spec + 4, &t), PF_OK);
    assert_int_equal(pf_number_example(cc, t, buf, cap), PF_OK);
    return buf;
}

static void test_scenarios(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct row *r = &rows[i];
        const pf_config *cfg = r->cfg == MAIN ? cfg_main : r->cfg == PENDING ? cfg_pending : NULL;
        pf_checker *ck;
        assert_int_equal(pfi_checker_create(table, rules, cfg, &ck), PF_OK);
        char to[32];
        pf_check_input in = pf_check_input_default();
        in.to = recipient(r->to, to, sizeof to);
        in.to_len = strlen(in.to);
        in.message = r->msg ? r->msg : OK_MSG;
        in.message_len = strlen(in.message);
        in.agent_number = r->agent;
        in.environment = r->env;
        in.first_message = r->first;
        in.purpose = r->purpose;
        in.region = r->region;
        assert_int_equal(pf_time_parse(r->at ? r->at : "2026-11-26T20:00:00Z", &in.send_time),
                         PF_OK);
        pf_verdict v;
        pf_diag d;
        pf_status st = pf_checker_check(ck, &in, &v, &d);
        char got[512];
        pf_test_finding_ids(&v.findings, got, sizeof got);
        bool ok = st == PF_OK && strcmp(pf_verdict_name(v.verdict), r->verdict) == 0 &&
                  strcmp(got, r->ids) == 0 &&
                  (!r->agent_want || (v.has_agent && strcmp(v.agent_e164, r->agent_want) == 0));
        if (!ok) {
            print_error("row '%s': got %s [%s] from %s; want %s [%s] from %s\n", r->name,
                        pf_verdict_name(v.verdict), got, v.has_agent ? v.agent_e164 : "-",
                        r->verdict, r->ids, r->agent_want ? r->agent_want : "any");
            for (size_t f = 0; f < v.findings.count; f++)
                print_error("    %s: %s\n", v.findings.items[f].id, v.findings.items[f].message);
            failed++;
        }
        pf_verdict_clear(&v);
        pf_checker_destroy(ck);
    }
    print_message("%zu scenarios, %d failed\n", PF_ARRAY_LEN(rows), failed);
    assert_int_equal(failed, 0);
}

/* Every engine finding id of SPEC §3 appears in some row. */
static void test_every_id_covered(void **state)
{
    (void)state;
    static const char *const ids[] = {"number.unparseable",
                                      "number.not-e164",
                                      "number.invalid",
                                      "number.landline",
                                      "number.non-sms-type",
                                      "country.sms-unsupported",
                                      "country.sender-unsupported",
                                      "country.one-way",
                                      "country.registration-required",
                                      "country.unverified",
                                      "sender.not-provisioned",
                                      "sender.wrong-environment",
                                      "sender.none-available",
                                      "a2p.10dlc-unregistered",
                                      "a2p.toll-free-unverified",
                                      "time.quiet-hours",
                                      "message.empty",
                                      "message.too-long",
                                      "message.ucs2"};
    for (size_t i = 0; i < PF_ARRAY_LEN(ids); i++) {
        bool found = false;
        for (size_t r = 0; r < PF_ARRAY_LEN(rows) && !found; r++)
            found = strstr(rows[r].ids, ids[i]) != NULL;
        pf_check(ids[i], found);
    }
}

static void test_time_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        pf_status st;
        int64_t want;
    } t[] = {
        {"1970-01-01T00:00:00Z", PF_OK, 0},
        {"2026-11-26T14:30:00Z", PF_OK, 1795703400},
        {"2026-11-26T09:30:00-05:00", PF_OK, 1795703400},
        {"2026-11-26T15:30+0100", PF_OK, 1795703400},
        {"2026-11-26T14:30:00.250Z", PF_OK, 1795703400},
        {"2024-02-29T00:00:00Z", PF_OK, 1709164800},
        {"2026-02-29T00:00:00Z", PF_E_SYNTAX, 0},
        {"2026-11-26T14:30:00", PF_E_SYNTAX, 0},
        {"2026-11-26", PF_E_SYNTAX, 0},
        {"2026-13-01T00:00:00Z", PF_E_SYNTAX, 0},
        {"2026-11-26T24:00:00Z", PF_E_SYNTAX, 0},
        {"2026-11-26T14:30:00Zjunk", PF_E_SYNTAX, 0},
        {"tomorrow", PF_E_SYNTAX, 0},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(t); i++) {
        int64_t got = 0;
        pf_check_int(t[i].in, pf_time_parse(t[i].in, &got), t[i].st);
        if (t[i].st == PF_OK)
            pf_check_int(t[i].in, got, t[i].want);
    }
}

static void test_bad_message(void **state)
{
    (void)state;
    pf_checker *ck;
    assert_int_equal(pfi_checker_create(table, rules, cfg_main, &ck), PF_OK);
    pf_check_input in = pf_check_input_default();
    in.to = "+14155552671";
    in.to_len = strlen(in.to);
    in.message = "Acme \xc3\x28 bad";
    in.message_len = strlen(in.message);
    pf_verdict v;
    pf_diag d;
    assert_int_equal(pf_checker_check(ck, &in, &v, &d), PF_E_UTF8);
    assert_int_equal(d.offset, 5);
    char *big = malloc(PF_MESSAGE_MAX + 2);
    memset(big, 'a', PF_MESSAGE_MAX + 1);
    in.message = big;
    in.message_len = PF_MESSAGE_MAX + 1;
    assert_int_equal(pf_checker_check(ck, &in, &v, &d), PF_E_TOO_LARGE);
    free(big);
    pf_checker_destroy(ck);
}

/* One lookup naming more zones than the cache has room for: the cache
 * grows (moves) while the call fills its answers, which point at the
 * cache's zone names; every answer must still name its zone (ASan saw
 * them freed). */
static void test_tz_many_zones_in_one_call(void **state)
{
    (void)state;
    static const char *const zones[] = {
        "America/New_York",    "America/Chicago",     "America/Denver",   "America/Phoenix",
        "America/Los_Angeles", "America/Anchorage",   "Pacific/Honolulu", "America/Toronto",
        "America/Vancouver",   "America/Halifax",     "America/St_Johns", "America/Regina",
        "America/Winnipeg",    "America/Edmonton",    "Europe/London",    "Europe/Paris",
        "Europe/Berlin",       "Asia/Tokyo",          "Asia/Kolkata",     "Australia/Sydney",
        "America/Sao_Paulo",   "Africa/Johannesburg", "Asia/Dubai",       "Asia/Singapore",
    };
    struct pfi_tz_cache *c = NULL;
    struct pfi_local_time lt[32];
    assert_int_equal(pfi_tz_cache_create(&c), PF_OK);
    size_t n = sizeof zones / sizeof zones[0];
    assert_int_equal(pfi_tz_local_times_in(c, zones, n, 1795000000, lt, 32), (long)n);
    for (size_t i = 0; i < n; i++)
        pf_check_str(zones[i], lt[i].zone, zones[i]);
    pfi_tz_cache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_every_id_covered),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_bad_message),
        cmocka_unit_test(test_tz_many_zones_in_one_call),
    };
    return cmocka_run_group_tests_name("engine", tests, setup, teardown);
}
