/*
 * test_countries.c — the shipped country table loads, covers exactly the
 * regions libphonenumber supports, backs every known fact with a source;
 * overlays merge per field; and each kind of broken file is rejected with
 * the right message at the right line:column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test_util.h"
#include "cache_int.h"
#include "preflight/journal.h"
#include "preflight/countries.h"
#include "preflight/number.h"
#include "preflight/util.h"
#include "tz_int.h"

static const char *table_path = PF_SOURCE_DIR "/data/countries.json";

static pf_countries *load_shipped(void)
{
    pf_countries *t = NULL;
    pf_diag d;
    pf_status st = pf_countries_load(&table_path, 1, &t, &d);
    if (st != PF_OK)
        print_error("%s:%u:%u: %s: %s\n", d.file, d.line, d.column, d.path, d.message);
    assert_int_equal(st, PF_OK);
    return t;
}

static void test_region_set_matches_libphonenumber(void **state)
{
    (void)state;
    pf_countries *t = load_shipped();
    char regions[300][3];
    size_t count;
    assert_int_equal(pf_region_list(regions, 300, &count), PF_OK);
    assert_int_equal(pf_countries_count(t), count);
    for (size_t i = 0; i < count; i++) {
        const pf_country *c = pf_countries_get(t, regions[i]);
        pf_check(regions[i], c != NULL);
        pf_check_str(regions[i], c->code, regions[i]);
        pf_check_int(regions[i], c->calling_code, pf_region_calling_code(regions[i]));
        pf_check_str(regions[i], pf_countries_at(t, i)->code, regions[i]);
    }
    assert_null(pf_countries_get(t, "ZZ"));
    assert_null(pf_countries_get(t, "us"));
    assert_null(pf_countries_get(t, "USA"));
    pf_countries_destroy(t);
}

static void test_every_fact_sourced(void **state)
{
    (void)state;
    pf_countries *t = load_shipped();
    size_t reviewed = 0;
    for (size_t i = 0; i < pf_countries_count(t); i++) {
        const pf_country *c = pf_countries_at(t, i);
        const char *fields[32];
        size_t n = pf_country_unsourced(c, fields, 32);
        if (n)
            print_error("%s: %s has no source\n", c->code, fields[0]);
        pf_check_int(c->code, n, 0);
        /* An entry nobody reviewed may not claim any fact. */
        if (!c->reviewed[0]) {
            pf_check_int(c->code, c->source_count, 0);
            pf_check(c->code, c->sms == PF_TRI_UNKNOWN && c->quiet == PF_QUIET_UNKNOWN);
        } else {
            reviewed++;
            pf_check(c->code, c->source_count > 0);
        }
    }
    print_message("%zu of %zu entries reviewed\n", reviewed, pf_countries_count(t));
    pf_countries_destroy(t);
}

/* The 49 regions the country-table issue requires to be fully reviewed. */
static void test_core_regions_reviewed(void **state)
{
    (void)state;
    static const char *const core[] = {"US", "CA", "GB", "IE", "DE", "FR", "ES", "IT", "NL", "BE",
                                       "CH", "AT", "SE", "NO", "DK", "FI", "PL", "PT", "CZ", "GR",
                                       "RO", "HU", "IN", "BR", "MX", "AR", "CO", "CL", "PE", "AU",
                                       "NZ", "JP", "KR", "CN", "HK", "TW", "SG", "MY", "PH", "ID",
                                       "TH", "VN", "AE", "SA", "IL", "ZA", "NG", "EG", "TR"};
    pf_countries *t = load_shipped();
    for (size_t i = 0; i < PF_ARRAY_LEN(core); i++) {
        const pf_country *c = pf_countries_get(t, core[i]);
        pf_check(core[i], c && c->reviewed[0] && c->source_count > 0);
        pf_check(core[i], c->sms != PF_TRI_UNKNOWN);
    }
    pf_countries_destroy(t);
}

/* The whole shipped table keeps the invariants of data/README.md
 * ("One meaning per value"); each broken one is printed. */
static void test_table_invariants(void **state)
{
    (void)state;
    pf_countries *t = load_shipped();
    size_t n = pf_countries_check(t, NULL, 0);
    pf_country_issue *issues = calloc(n ? n : 1, sizeof *issues);
    assert_non_null(issues);
    assert_int_equal(pf_countries_check(t, issues, n), n);
    for (size_t i = 0; i < n; i++)
        print_error("%s %s: %s\n", issues[i].code, issues[i].field, issues[i].message);
    assert_int_equal(n, 0);
    free(issues);
    pf_countries_destroy(t);
}

/* Secondary aggregators and vendor guides about countries they do not
 * serve are low-confidence wherever they are cited (data/README.md). */
static void test_secondary_sources_low(void **state)
{
    (void)state;
    static const char *const secondary[] = {
        "sent.dm/",
        "s.dm/",
        "docs.aws.amazon.com/pinpoint/latest/userguide/channels-sms-countries",
        "ameex-mobile.com",
        "bybdirectory.com",
        "d7networks.com",
        "gateway-eju.pages.dev",
        "mailpro.com",
        "messagecentral.com",
        "talk-q.com",
        "mobigyaan.com",
        "telerivet.com/blog",
        "zoelaw.ai",
        "wiraya.com",
        "mondaq.com"};
    pf_countries *t = load_shipped();
    size_t low = 0;
    for (size_t i = 0; i < pf_countries_count(t); i++) {
        const pf_country *c = pf_countries_at(t, i);
        for (size_t s = 0; s < c->source_count; s++) {
            bool weak = false;
            for (size_t k = 0; k < PF_ARRAY_LEN(secondary) && !weak; k++)
                weak = strstr(c->sources[s].url, secondary[k]) != NULL;
            if (weak && !c->sources[s].low_confidence)
                print_error("%s: %s is secondary but not marked low\n", c->code, c->sources[s].url);
            pf_check(c->code, !weak || c->sources[s].low_confidence);
            low += c->sources[s].low_confidence;
        }
    }
    assert_true(low > 0);
    pf_countries_destroy(t);
}

/* A one-entry table for the invariant checks: DE with the given senders,
 * registrations, two_way and sms, every known fact sourced by one page. */
static pf_countries *one_entry(const char *sms, const char *two_way, const char *senders,
                               const char *registrations, const char *facts)
{
    char text[4096];
    snprintf(
        text, sizeof text,
        "{\"schema\": 1, \"countries\": {\"DE\": {\"name\": \"Germany\", "
        "\"calling_code\": 49, \"sms\": \"%s\", \"two_way\": \"%s\", "
        "\"concatenation\": \"unknown\", \"length_note\": null, \"landline_sms\": \"unknown\", "
        "\"senders\": {%s}, \"registrations\": [%s], \"sender_id_rules\": null, "
        "\"quiet_hours\": \"unknown\", \"content\": {\"url_shorteners_banned\": \"unknown\", "
        "\"urls_banned\": \"unknown\", \"phone_numbers_banned\": \"unknown\", "
        "\"chat_app_links_banned\": \"unknown\", \"banned_categories\": \"unknown\"}, "
        "\"opt_out\": {\"required\": \"unknown\", \"keywords\": \"unknown\"}, \"notes\": \"\", "
        "\"sources\": [{\"url\": \"https://example.org/a\", \"facts\": [%s]}, "
        "{\"url\": \"https://example.org/b\", \"facts\": [\"sms\"], \"confidence\": \"low\"}], "
        "\"reviewed\": \"2026-12-02\"}}}",
        sms, two_way, senders, registrations, facts);
    const char *texts[] = {text}, *names[] = {"one.json"};
    size_t lens[] = {strlen(text)};
    pf_countries *t = NULL;
    pf_diag d;
    pf_status st = pf_countries_load_buffers(texts, lens, names, 1, &t, &d);
    if (st != PF_OK)
        print_error("%s:%u:%u: %s: %s\n", d.file, d.line, d.column, d.path, d.message);
    assert_int_equal(st, PF_OK);
    return t;
}

#define SENDERS(ld, li, tf, sc, an)                                                                \
    "\"long_code_domestic\": \"" ld "\", \"long_code_international\": \"" li                       \
    "\", \"toll_free\": \"" tf "\", \"short_code\": \"" sc "\", \"alphanumeric\": \"" an "\""

static void test_invariant_checks(void **state)
{
    (void)state;
    static const char *const all = "\"sms\", \"two_way\", \"senders\", \"registrations\"";
    static const struct {
        const char *sms, *two_way, *senders, *registrations, *facts;
        const char *field; /* the issue expected, NULL for none */
        const char *message;
    } rows[] = {
        /* consistent: a required registration and its kind */
        {"yes", "yes",
         SENDERS("registration_required", "unknown", "unknown", "unknown", "supported"),
         "{\"name\": \"R\", \"senders\": [\"long_code_domestic\"], \"note\": \"\"}", all, NULL,
         NULL},
        /* an optional registration may name a supported kind */
        {"yes", "no", SENDERS("unknown", "unknown", "unknown", "unknown", "supported"),
         "{\"name\": \"R\", \"senders\": [\"alphanumeric\"], \"note\": \"\", \"optional\": true}",
         all, NULL, NULL},
        {"yes", "no", SENDERS("registration_required", "unknown", "unknown", "unknown", "unknown"),
         "", all, "senders.long_code_domestic", "no registration that is not optional"},
        {"yes", "no", SENDERS("unknown", "unknown", "unknown", "registration_required", "unknown"),
         "{\"name\": \"R\", \"senders\": [\"short_code\"], \"note\": \"\", \"optional\": true}",
         all, "senders.short_code", "no registration that is not optional"},
        {"yes", "no", SENDERS("unknown", "unknown", "unknown", "supported", "unknown"),
         "{\"name\": \"R\", \"senders\": [\"short_code\"], \"note\": \"\"}", all,
         "senders.short_code", "must be registration_required"},
        {"yes", "yes",
         SENDERS("not_supported", "not_supported", "unknown", "not_supported", "supported"), "",
         all, "two_way", "no numeric sender kind"},
        {"yes", "yes", SENDERS("unknown", "unknown", "unknown", "unknown", "supported"), "", all,
         "two_way", "no numeric sender kind"},
        {"no", "unknown", SENDERS("unknown", "unknown", "unknown", "unknown", "supported"), "", all,
         "senders.alphanumeric", "sms is no"},
        {"yes", "no", SENDERS("unknown", "unknown", "unknown", "unknown", "unknown"), "", "\"sms\"",
         "two_way", "no source backs"},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_countries *t = one_entry(rows[i].sms, rows[i].two_way, rows[i].senders,
                                    rows[i].registrations, rows[i].facts);
        pf_country_issue issues[4];
        size_t n = pf_countries_check(t, issues, 4);
        char label[16];
        snprintf(label, sizeof label, "row %zu", i);
        pf_check_int(label, n, rows[i].field ? 1 : 0);
        if (rows[i].field && n) {
            pf_check_str(label, issues[0].field, rows[i].field);
            pf_check(label, strstr(issues[0].message, rows[i].message) != NULL);
            pf_check_str(label, issues[0].code, "DE");
        }
        pf_countries_destroy(t);
    }
}

/* "confidence": "low" on a source makes the facts only it backs
 * low-confidence; one primary source among the backers lifts that. */
static void test_low_confidence(void **state)
{
    (void)state;
    pf_countries *t =
        one_entry("yes", "no", SENDERS("unknown", "unknown", "unknown", "unknown", "unknown"), "",
                  "\"two_way\"");
    const pf_country *c = pf_countries_get(t, "DE");
    assert_false(c->sources[0].low_confidence);
    assert_true(c->sources[1].low_confidence);
    assert_true(pf_country_fact_low_confidence(c, "sms"));      /* only example.org/b */
    assert_false(pf_country_fact_low_confidence(c, "two_way")); /* example.org/a */
    assert_false(pf_country_fact_low_confidence(c, "senders.alphanumeric")); /* unknown */
    const char *fields[4];
    assert_int_equal(pf_country_low_confidence(c, fields, 4), 1);
    assert_string_equal(fields[0], "sms");
    pf_countries_destroy(t);
    t = one_entry("yes", "no", SENDERS("unknown", "unknown", "unknown", "unknown", "unknown"), "",
                  "\"sms\", \"two_way\"");
    c = pf_countries_get(t, "DE");
    assert_false(pf_country_fact_low_confidence(c, "sms")); /* a and b back it */
    assert_int_equal(pf_country_low_confidence(c, fields, 4), 0);
    pf_countries_destroy(t);
}

static void test_known_facts(void **state)
{
    (void)state;
    pf_countries *t = load_shipped();
    const pf_country *us = pf_countries_get(t, "US");
    assert_int_equal(us->sms, PF_TRI_YES);
    assert_int_equal(us->senders[PF_SK_LONG_CODE_DOMESTIC], PF_SS_REGISTRATION_REQUIRED);
    assert_int_equal(us->senders[PF_SK_TOLL_FREE], PF_SS_REGISTRATION_REQUIRED);
    assert_int_equal(us->quiet, PF_QUIET_WINDOWS);
    /* TCPA: no solicitation before 08:00 or after 21:00 local time. */
    bool tcpa = false;
    for (size_t i = 0; i < us->quiet_window_count; i++) {
        const pf_quiet_window *w = &us->quiet_windows[i];
        tcpa |= w->from_minute == 21 * 60 && w->to_minute == 8 * 60 && w->days == 0x7F;
    }
    assert_true(tcpa);
    const pf_source *s = pf_country_source_for(us, "senders.long_code_domestic");
    assert_non_null(s);
    assert_true(strncmp(s->url, "https://", 8) == 0);
    pf_countries_destroy(t);
}

static void test_overlay(void **state)
{
    (void)state;
    char *base = NULL;
    size_t blen = 0;
    pf_diag d;
    assert_int_equal(pf_read_file(table_path, 1 << 26, &base, &blen, &d), PF_OK);
    const char *over = "{\"schema\": 1, \"overlay\": true, \"countries\": {\"DE\": {"
                       "\"senders\": {\"alphanumeric\": \"not_supported\"}, \"two_way\": \"no\","
                       "\"quiet_hours\": [{\"from\": \"22:00\", \"to\": \"07:00\", \"days\": "
                       "[\"sat\", \"sun\"], \"traffic\": \"all\"}],"
                       "\"sources\": [{\"url\": \"https://example.org/mine\", \"facts\": "
                       "[\"senders\", \"two_way\", \"quiet_hours\"]}]}}}";
    const char *texts[] = {base, over};
    size_t lens[] = {blen, strlen(over)};
    const char *names[] = {"countries.json", "mine.json"};
    pf_countries *t = NULL;
    assert_int_equal(pf_countries_load_buffers(texts, lens, names, 2, &t, &d), PF_OK);
    const pf_country *de = pf_countries_get(t, "DE");
    assert_int_equal(de->senders[PF_SK_ALPHANUMERIC], PF_SS_NOT_SUPPORTED);
    assert_int_equal(de->two_way, PF_TRI_NO);
    assert_int_equal(de->quiet_window_count, 1);
    assert_int_equal(de->quiet_windows[0].days, 0x60);
    assert_int_equal(de->quiet_windows[0].from_minute, 22 * 60);
    /* Fields the overlay did not name keep the shipped values. */
    pf_countries *plain = load_shipped();
    const pf_country *de0 = pf_countries_get(plain, "DE");
    assert_int_equal(de->senders[PF_SK_SHORT_CODE], de0->senders[PF_SK_SHORT_CODE]);
    assert_string_equal(de->name, de0->name);
    assert_int_equal(de->sms, de0->sms);
    pf_countries_destroy(plain);
    pf_countries_destroy(t);

    /* An overlay alone, without a full table before it, is an error. */
    assert_int_equal(pf_countries_load_buffers(&over, &lens[1], &names[1], 1, &t, &d), PF_E_SCHEMA);
    assert_non_null(strstr(d.message, "overlay needs a full table"));
    free(base);
}

struct bad_file {
    const char *file;
    pf_status status;
    unsigned line, column;
    const char *path;
    const char *message;
};

static void test_broken_files(void **state)
{
    (void)state;
    static const struct bad_file rows[] = {
        {"syntax.json", PF_E_SYNTAX, 4, 33, "", "JSON syntax error"},
        {"truncated.json", PF_E_SYNTAX, 4, 1, "", "unexpected end of file"},
        {"unknown-top-key.json", PF_E_SCHEMA, 3, 3, "version", "unknown key 'version'"},
        {"bad-schema-version.json", PF_E_SCHEMA, 1, 12, "schema", "from 1 to 1"},
        {"bad-region.json", PF_E_SCHEMA, 5, 5, "countries.QQ", "not a region code"},
        {"bad-enum.json", PF_E_SCHEMA, 7, 25, "countries.DE.senders.alphanumeric",
         "'maybe' is not one of"},
        {"unknown-entry-key.json", PF_E_SCHEMA, 7, 7, "countries.FR.smss", "unknown key 'smss'"},
        {"wrong-type.json", PF_E_SCHEMA, 6, 23, "countries.JP.calling_code",
         "expected an integer, found a string"},
        {"wrong-calling-code.json", PF_E_SCHEMA, 5, 28, "countries.JP.calling_code",
         "JP has calling code 81, not 82"},
        {"duplicate-region.json", PF_E_SCHEMA, 6, 5, "countries.US", "duplicate region 'US'"},
        {"duplicate-key.json", PF_E_SCHEMA, 6, 12, "countries.US.sms", "duplicate key 'sms'"},
        {"bad-window.json", PF_E_SCHEMA, 7, 33, "countries.US.quiet_hours[0].to",
         "'8am' is not a time HH:MM"},
        {"bad-day.json", PF_E_SCHEMA, 7, 58, "countries.US.quiet_hours[0].days[1]",
         "unknown category 'funday'"},
        {"bad-category.json", PF_E_SCHEMA, 5, 58, "countries.AE.content.banned_categories[1]",
         "unknown category 'knitting'"},
        {"bad-fact-path.json", PF_E_SCHEMA, 5, 75, "countries.AE.sources[0].facts[1]",
         "not a field path"},
        {"bad-date.json", PF_E_SCHEMA, 5, 24, "countries.AE.reviewed", "expected a date"},
        {"missing-key.json", PF_E_SCHEMA, 4, 11, "countries.DE", "missing key 'sms'"},
        {"invalid-utf8.json", PF_E_UTF8, 1, 49, "", "invalid UTF-8"},
        {"bad-confidence.json", PF_E_SCHEMA, 5, 90, "countries.AE.sources[0].confidence",
         "'medium' is not one of"},
        {"bad-optional.json", PF_E_SCHEMA, 5, 97, "countries.AE.registrations[0].optional",
         "expected true or false"},
    };
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct bad_file *r = &rows[i];
        char path[512];
        snprintf(path, sizeof path, "%s/tests/unit/countries_bad/%s", PF_SOURCE_DIR, r->file);
        /* Overlays are loaded over the shipped table, full tables alone. */
        const char *files[] = {table_path, path};
        pf_countries *t = NULL;
        pf_diag d;
        pf_status st = pf_countries_load(files, 2, &t, &d);
        /* Report every failing row before failing, not just the first. */
        if (st != r->status || d.line != r->line || d.column != r->column ||
            strcmp(d.path, r->path) != 0 || !strstr(d.message, r->message) ||
            !strstr(d.file, r->file) || t != NULL) {
            print_error("row '%s': got status %d at %u:%u path '%s' message '%s'; want %d at "
                        "%u:%u path '%s' message with '%s'\n",
                        r->file, st, d.line, d.column, d.path, d.message, r->status, r->line,
                        r->column, r->path, r->message);
            failed++;
        }
        pf_countries_destroy(t);
    }
    assert_int_equal(failed, 0);
}

static void test_zones(void **state)
{
    (void)state;
    pf_countries *t = load_shipped();
    pf_diag d;
    const char *zfile = PF_SOURCE_DIR "/tests/unit/engine/timezones.json";
    assert_int_equal(pf_countries_load_zones(t, zfile, &d), PF_OK);
    static const struct {
        const char *region, *description, *area, *first_zone;
        size_t count;
    } rows[] = {
        {"US", "San Francisco, CA", "CA", "America/Los_Angeles", 1},
        {"US", "New York, NY", "NY", "America/New_York", 1},
        {"US", "Hawaii", "HI", "Pacific/Honolulu", 1},
        {"US", "Texas", "TX", "America/Chicago", 2},
        {"CA", "Ontario", "ON", "America/Toronto", 1},
        {"US", "United States", NULL, NULL, 0},
        {"US", "Springfield, ZZ", NULL, NULL, 0},
        {"CA", "New York, NY", NULL, NULL, 0}, /* another country's area */
        {"US", "", NULL, NULL, 0},
        {"US", "Hawaii/Texas", "HI/TX", "Pacific/Honolulu", 3},
        {"US", "Hawaii/Atlantis", NULL, NULL, 0}, /* one part unknown: all zones */
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const char *z[8];
        char area[16];
        size_t n = pf_countries_area_zones(t, rows[i].region, rows[i].description, z, 8, area,
                                           sizeof area);
        pf_check_int(rows[i].description, n, rows[i].count);
        if (rows[i].area) {
            pf_check_str(rows[i].description, area, rows[i].area);
            pf_check_str(rows[i].description, z[0], rows[i].first_zone);
        }
    }

    static const struct {
        const char *name, *text, *path, *message;
    } bad[] = {
        {"unknown zone",
         "{\"schema\": 1, \"reviewed\": \"2026-11-26\", \"sources\": [\"https://x.org\"], "
         "\"regions\": {\"US\": {\"areas\": {\"CA\": {\"name\": \"California\", \"zones\": "
         "[\"America/Nowhere\"]}}}}}",
         "regions.US.areas.CA.zones[0]", "'America/Nowhere' is not one of ICU's time zones for US"},
        {"zone of another country",
         "{\"schema\": 1, \"reviewed\": \"2026-11-26\", \"sources\": [\"https://x.org\"], "
         "\"regions\": {\"US\": {\"areas\": {\"ON\": {\"name\": \"Ontario\", \"zones\": "
         "[\"America/Toronto\"]}}}}}",
         "regions.US.areas.ON.zones[0]", "not one of ICU's time zones for US"},
        {"no zones",
         "{\"schema\": 1, \"reviewed\": \"2026-11-26\", \"sources\": [\"https://x.org\"], "
         "\"regions\": {\"US\": {\"areas\": {\"CA\": {\"name\": \"California\", \"zones\": "
         "[]}}}}}",
         "regions.US.areas.CA.zones", "at least one zone"},
        {"no sources",
         "{\"schema\": 1, \"reviewed\": \"2026-11-26\", \"sources\": [], \"regions\": {}}",
         "sources", "at least one source"},
        {"bad region",
         "{\"schema\": 1, \"reviewed\": \"2026-11-26\", \"sources\": [\"https://x.org\"], "
         "\"regions\": {\"QQ\": {\"areas\": {}}}}",
         "regions.QQ", "not a region code"},
        {"unknown key",
         "{\"schema\": 1, \"reviewed\": \"2026-11-26\", \"sources\": [\"https://x.org\"], "
         "\"regions\": {\"US\": {\"areas\": {\"CA\": {\"name\": \"California\", \"zone\": "
         "\"America/Los_Angeles\"}}}}}",
         "regions.US.areas.CA.zone", "unknown key 'zone'"},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(bad); i++) {
        pf_countries *fresh = load_shipped();
        pf_status st = pf_countries_load_zones_buffer(fresh, bad[i].text, strlen(bad[i].text),
                                                      "tz.json", &d);
        pf_check_int(bad[i].name, st, PF_E_SCHEMA);
        pf_check_int(bad[i].name, d.status, st);
        pf_check_str(bad[i].name, d.path, bad[i].path);
        pf_check(bad[i].name, strstr(d.message, bad[i].message) != NULL);
        pf_countries_destroy(fresh);
    }
    /* A table with zones is never changed again (checkers may be reading
     * it): a second load, good or bad, is refused and the zones stay. */
    pf_check_int("second load", pf_countries_load_zones(t, zfile, &d), PF_E_INVALID);
    pf_check_int("second load diag", d.status, PF_E_INVALID);
    const char *z[4];
    pf_check("kept", pf_countries_area_zones(t, "US", "Hawaii", z, 4, NULL, 0) == 1);
    pf_countries_destroy(t);
}

/* The shipped zone data: every US state and DC, every Canadian province
 * and territory, each naming only ICU zones of its country (the loader
 * checks that), and the geocoder's descriptions of a few numbers resolve. */
static void test_shipped_zones(void **state)
{
    (void)state;
    static const char *const us[] = {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
        "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
        "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
        "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"};
    static const char *const ca[] = {"AB", "BC", "MB", "NB", "NL", "NS", "NT",
                                     "NU", "ON", "PE", "QC", "SK", "YT"};
    pf_countries *t = load_shipped();
    pf_diag d;
    assert_int_equal(pf_countries_load_zones(t, PF_SOURCE_DIR "/data/timezones.json", &d), PF_OK);
    const char *z[64];
    char area[32];
    for (size_t i = 0; i < PF_ARRAY_LEN(us); i++) {
        char desc[32];
        snprintf(desc, sizeof desc, "Somewhere, %s", us[i]);
        pf_check(us[i], pf_countries_area_zones(t, "US", desc, z, 64, area, sizeof area) > 0);
    }
    for (size_t i = 0; i < PF_ARRAY_LEN(ca); i++) {
        char desc[32];
        snprintf(desc, sizeof desc, "Somewhere, %s", ca[i]);
        pf_check(ca[i], pf_countries_area_zones(t, "CA", desc, z, 64, area, sizeof area) > 0);
    }
    static const struct {
        const char *number, *region, *area;
    } nums[] = {
        {"+14155552671", "US", "CA"}, {"+12125550123", "US", "NY"}, {"+18085550123", "US", "HI"},
        {"+12025550123", "US", "DC"}, {"+14165550188", "CA", "ON"}, {"+19025550123", "CA", "NS/PE"},
        {"+15145550123", "CA", "QC"},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(nums); i++) {
        char desc[128];
        pf_check_int(nums[i].number, pf_number_describe(nums[i].number, desc, sizeof desc), PF_OK);
        pf_check(nums[i].number,
                 pf_countries_area_zones(t, nums[i].region, desc, z, 64, area, sizeof area) > 0);
        pf_check_str(nums[i].number, area, nums[i].area);
    }
    pf_countries_destroy(t);
}

/*
 * The zones loader asks ICU for a region's zones once (pfi_tz_region_ids)
 * instead of once per zone (pfi_tz_zone_in_region, the trusted path): the
 * same answer for every two-letter code, on the region's own zones, the
 * previous region's, a common one and a made-up one.
 */
static void test_region_ids_match_slow_path(void **state)
{
    (void)state;
    char *prev = NULL;
    size_t listed = 0;
    for (char a = 'A'; a <= 'Z'; a++) {
        for (char b = 'A'; b <= 'Z'; b++) {
            char region[3] = {a, b, 0};
            char *ids = NULL;
            pf_check_int(region, pfi_tz_region_ids(region, &ids), PF_OK);
            for (const char *p = ids; *p; p += strlen(p) + 1, listed++)
                pf_check(p, pfi_tz_zone_in_region(p, region));
            const char *others[] = {"America/New_York", "Europe/London", "Not/AZone", ""};
            for (size_t i = 0; i < PF_ARRAY_LEN(others); i++)
                pf_check(others[i], pfi_tz_ids_contain(ids, others[i]) ==
                                        pfi_tz_zone_in_region(others[i], region));
            for (const char *p = prev ? prev : ""; *p; p += strlen(p) + 1)
                pf_check(p, pfi_tz_ids_contain(ids, p) == pfi_tz_zone_in_region(p, region));
            if (*ids) {
                free(prev);
                prev = ids;
            } else {
                free(ids);
            }
        }
    }
    free(prev);
    pf_check("ICU lists zones", listed > 300);
}

/* ---- the binary snapshot (countries.c, issue 20) against the slow load ---- */

static void same_str(const char *what, const char *a, const char *b)
{
    if (!a || !b)
        pf_check(what, a == b);
    else
        pf_check_str(what, a, b);
}

static void same_list(const char *what, const char *const *a, size_t na, const char *const *b,
                      size_t nb)
{
    pf_check(what, (a == NULL) == (b == NULL));
    pf_check_int(what, (long)na, (long)nb);
    for (size_t i = 0; i < na && i < nb; i++)
        same_str(what, a[i], b[i]);
}

/* Every field of every entry, pointers' NULL-ness included. */
static void same_table(const pf_countries *x, const pf_countries *y)
{
    assert_int_equal(pf_countries_count(x), pf_countries_count(y));
    for (size_t i = 0; i < pf_countries_count(x); i++) {
        const pf_country *a = pf_countries_at(x, i), *b = pf_countries_at(y, i);
        const char *w = a->code;
        pf_check_str(w, a->code, b->code);
        pf_check(w, pf_countries_get(y, a->code) == b);
        same_str(w, a->name, b->name);
        pf_check_int(w, a->calling_code, b->calling_code);
        pf_check(w, a->sms == b->sms && a->two_way == b->two_way &&
                        a->concatenation == b->concatenation && a->landline_sms == b->landline_sms);
        same_str(w, a->length_note, b->length_note);
        for (int k = 0; k < PF_SK_COUNT; k++)
            pf_check(w, a->senders[k] == b->senders[k]);
        pf_check_int(w, (long)a->registration_count, (long)b->registration_count);
        for (size_t r = 0; r < a->registration_count && r < b->registration_count; r++) {
            same_str(w, a->registrations[r].name, b->registrations[r].name);
            same_str(w, a->registrations[r].note, b->registrations[r].note);
            pf_check(w, a->registrations[r].senders == b->registrations[r].senders &&
                            a->registrations[r].optional == b->registrations[r].optional);
        }
        same_str(w, a->sender_id_rules, b->sender_id_rules);
        pf_check(w, a->quiet == b->quiet);
        pf_check(w, (a->quiet_windows == NULL) == (b->quiet_windows == NULL));
        pf_check_int(w, (long)a->quiet_window_count, (long)b->quiet_window_count);
        for (size_t q = 0; q < a->quiet_window_count && q < b->quiet_window_count; q++)
            pf_check(w, memcmp(&a->quiet_windows[q], &b->quiet_windows[q],
                               sizeof a->quiet_windows[q]) == 0);
        pf_check(w, a->url_shorteners_banned == b->url_shorteners_banned &&
                        a->urls_banned == b->urls_banned &&
                        a->phone_numbers_banned == b->phone_numbers_banned &&
                        a->chat_app_links_banned == b->chat_app_links_banned);
        pf_check(w, a->banned_categories_known == b->banned_categories_known);
        same_list(w, a->banned_categories, a->banned_category_count, b->banned_categories,
                  b->banned_category_count);
        pf_check(w, a->opt_out_required == b->opt_out_required &&
                        a->opt_out_keywords_known == b->opt_out_keywords_known);
        same_list(w, a->opt_out_keywords, a->opt_out_keyword_count, b->opt_out_keywords,
                  b->opt_out_keyword_count);
        same_str(w, a->notes, b->notes);
        pf_check_int(w, (long)a->source_count, (long)b->source_count);
        for (size_t k = 0; k < a->source_count && k < b->source_count; k++) {
            same_str(w, a->sources[k].url, b->sources[k].url);
            pf_check(w, a->sources[k].low_confidence == b->sources[k].low_confidence);
            same_list(w, a->sources[k].facts, a->sources[k].fact_count, b->sources[k].facts,
                      b->sources[k].fact_count);
        }
        pf_check_str(w, a->reviewed, b->reviewed);
    }
}

static pf_countries *load_files(const char *const *files, size_t n, enum pfi_cache_event want)
{
    pf_countries *t = NULL;
    pf_diag d;
    assert_int_equal(pf_countries_load(files, n, &t, &d), PF_OK);
    pf_check_int("cache event", pfi_cache_last(), want);
    return t;
}

static pf_countries *load_slow(const char *const *files, size_t n)
{
    char *texts[2];
    size_t lens[2];
    pf_diag d;
    pf_countries *t = NULL;
    assert_true(n <= 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pf_read_file(files[i], 1 << 26, &texts[i], &lens[i], &d), PF_OK);
    assert_int_equal(pf_countries_load_buffers((const char *const *)texts, lens, files, n, &t, &d),
                     PF_OK);
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    return t;
}

static void write_text(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The cache file with payload p (re-hashed, so it passes the cache's checks). */
static void forge(const char *path, const unsigned char *file, const unsigned char *p, size_t n)
{
    unsigned char *b = malloc(80 + n);
    assert_non_null(b);
    memcpy(b, file, 40); /* magic, key */
    uint64_t len = n;
    memcpy(b + 40, &len, 8);
    pf_sha256(p, n, b + 48);
    memcpy(b + 80, p, n);
    write_text(path, b, 80 + n);
    free(b);
}

static void test_snapshot_same_as_slow_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/pf_snap_XXXXXX", cache[64], over[64];
    assert_non_null(mkdtemp(dir));
    snprintf(cache, sizeof cache, "%s/countries", dir);
    snprintf(over, sizeof over, "%s/over.json", dir);
    setenv("PREFLIGHT_CACHE_DIR", dir, 1);

    pf_countries *slow = load_slow(&table_path, 1);
    pf_countries *first = load_files(&table_path, 1, PFI_CACHE_WRITTEN);
    pf_countries *snap = load_files(&table_path, 1, PFI_CACHE_HIT);
    same_table(slow, first);
    same_table(slow, snap);
    pf_countries_destroy(first);
    pf_countries_destroy(snap);

    /* Payloads that pass the cache's checks but are not a snapshot this
     * reader accepts: each is thrown away and the table rebuilt the slow
     * way (under ASan, also no read out of bounds). */
    char *file = NULL;
    size_t flen = 0;
    pf_diag d;
    assert_int_equal(pf_read_file(cache, 1 << 26, &file, &flen, &d), PF_OK);
    const unsigned char *fb = (const unsigned char *)file, *pl = fb + 80;
    size_t plen = flen - 80;
    uint32_t nw;
    memcpy(&nw, pl, 4);
    unsigned char *m = malloc(plen);
    assert_non_null(m);
    static const struct {
        const char *name;
        size_t at; /* byte offset into the payload; SIZE_MAX: truncate */
        uint32_t value;
    } rows[] = {
        {"truncated", SIZE_MAX, 0},
        {"word count too large", 0, 0x7fffffff},
        {"no countries", 8, 0},
        {"too many countries", 8, 100000},
        {"code not a region", 12, 0x3131},
        {"name past the pool", 16, 0xfffffff0},
        {"enum out of range", 24, 7},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        memcpy(m, pl, plen);
        size_t n = plen;
        if (rows[i].at == SIZE_MAX)
            n = plen - 7;
        else
            memcpy(m + rows[i].at, &rows[i].value, 4);
        forge(cache, fb, m, n);
        pf_countries *t = load_files(&table_path, 1, PFI_CACHE_WRITTEN);
        same_table(slow, t);
        pf_countries_destroy(t);
        print_message("rejected: %s\n", rows[i].name);
    }
    /* Every word of the first entries set to values a reader must bound. */
    for (size_t w = 1; w < 200 && w < nw; w++) {
        static const uint32_t values[] = {0, 0xffffffff, 0x10000};
        for (size_t v = 0; v < PF_ARRAY_LEN(values); v++) {
            memcpy(m, pl, plen);
            memcpy(m + 8 + 4 * w, &values[v], 4);
            forge(cache, fb, m, plen);
            pf_countries *t = NULL;
            /* Believed or rebuilt; either way a table, and no crash. */
            assert_int_equal(pf_countries_load(&table_path, 1, &t, &d), PF_OK);
            pf_countries_destroy(t);
        }
    }
    /* Control: a forged payload that is well formed is believed (the
     * checks of the cache file are what keep such a file out). */
    memcpy(m, pl, plen);
    unsigned char *name = NULL;
    for (size_t i = 0; !name && i + 11 <= plen; i++)
        name = memcmp(m + i, "Afghanistan", 11) == 0 ? m + i : NULL;
    assert_non_null(name);
    memcpy(name, "Afghanistam", 11);
    forge(cache, fb, m, plen);
    pf_countries *forged = load_files(&table_path, 1, PFI_CACHE_HIT);
    pf_check_str("control: forged name believed", pf_countries_get(forged, "AF")->name,
                 "Afghanistam");
    pf_countries_destroy(forged);
    free(m);

    /* A base table and an overlay: the snapshot keys both files' bytes. */
    const char *overlay = "{\"schema\": 1, \"overlay\": true, \"countries\": {\"FR\": {"
                          "\"two_way\": \"no\", \"sources\": [{\"url\": "
                          "\"https://example.org/o\", \"facts\": [\"two_way\"]}]}}}";
    write_text(over, overlay, strlen(overlay));
    const char *both[] = {table_path, over};
    pf_countries *oslow = load_slow(both, 2);
    pf_countries *o1 = load_files(both, 2, PFI_CACHE_WRITTEN);
    pf_countries *o2 = load_files(both, 2, PFI_CACHE_HIT);
    same_table(oslow, o1);
    same_table(oslow, o2);
    pf_check_int("overlay applied", pf_countries_get(o2, "FR")->two_way, PF_TRI_NO);
    /* The overlay edited: another key, a slow load, the edit seen. */
    const char *edited = "{\"schema\": 1, \"overlay\": true, \"countries\": {\"FR\": {"
                         "\"two_way\": \"yes\", \"sources\": [{\"url\": "
                         "\"https://example.org/o\", \"facts\": [\"two_way\"]}]}}}";
    write_text(over, edited, strlen(edited));
    pf_countries *o3 = load_files(both, 2, PFI_CACHE_WRITTEN);
    pf_check_int("edited overlay seen", pf_countries_get(o3, "FR")->two_way, PF_TRI_YES);
    pf_countries_destroy(o1);
    pf_countries_destroy(o2);
    pf_countries_destroy(o3);
    pf_countries_destroy(oslow);

    /* Off: no file read or written, the same table. */
    setenv("PREFLIGHT_NO_CACHE", "1", 1);
    pf_countries *off = load_files(&table_path, 1, PFI_CACHE_OFF);
    same_table(slow, off);
    pf_countries_destroy(off);
    unsetenv("PREFLIGHT_NO_CACHE");
    unsetenv("PREFLIGHT_CACHE_DIR");

    pf_countries_destroy(slow);
    free(file);
    unlink(cache);
    unlink(over);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_set_matches_libphonenumber),
        cmocka_unit_test(test_every_fact_sourced),
        cmocka_unit_test(test_core_regions_reviewed),
        cmocka_unit_test(test_table_invariants),
        cmocka_unit_test(test_secondary_sources_low),
        cmocka_unit_test(test_invariant_checks),
        cmocka_unit_test(test_low_confidence),
        cmocka_unit_test(test_known_facts),
        cmocka_unit_test(test_overlay),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_shipped_zones),
        cmocka_unit_test(test_region_ids_match_slow_path),
        cmocka_unit_test(test_snapshot_same_as_slow_load),
    };
    return cmocka_run_group_tests_name("countries", tests, NULL, NULL);
}
