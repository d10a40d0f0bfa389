/*
 * test_countries.c — the shipped country table loads, covers exactly the
 * regions libphonenumber supports, backs every known fact with a source;
 * overlays merge per field; and each kind of broken file is rejected with
 * the right message at the right line:column.
 */
#include <stdlib.h>

#include "../test_util.h"
#include "preflight/countries.h"
#include "preflight/number.h"
#include "preflight/util.h"

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
        {"+14155552671", "US", "CA"},   {"+12125550123", "US", "NY"},
        {"+18085550123", "US", "HI"},   {"+12025550123", "US", "DC"},
        {"+14165550188", "CA", "ON"},   {"+19025550123", "CA", "NS/PE"},
        {"+15145550123", "CA", "QC"},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(nums); i++) {
        char desc[128];
        pf_check_int(nums[i].number, pf_number_describe(nums[i].number, desc, sizeof desc),
                     PF_OK);
        pf_check(nums[i].number,
                 pf_countries_area_zones(t, nums[i].region, desc, z, 64, area, sizeof area) > 0);
        pf_check_str(nums[i].number, area, nums[i].area);
    }
    pf_countries_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_set_matches_libphonenumber),
        cmocka_unit_test(test_every_fact_sourced),
        cmocka_unit_test(test_core_regions_reviewed),
        cmocka_unit_test(test_known_facts),
        cmocka_unit_test(test_overlay),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_shipped_zones),
    };
    return cmocka_run_group_tests_name("countries", tests, NULL, NULL);
}
