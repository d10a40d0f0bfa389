/*
 * test_number.c — the number module against libphonenumber's own example
 * numbers, a table of bad input, and national input with a region.
 */
#include <stdlib.h>

#include "../test_util.h"
#include "preflight/number.h"

/* Every supported region, every type: the example number libphonenumber
 * ships must parse back to its region and type. Expectations come from the
 * library itself, not from us. */
static void test_examples_all_regions(void **state)
{
    (void)state;
    char regions[300][3];
    size_t count = 0;
    assert_int_equal(pf_region_list(regions, 300, &count), PF_OK);
    assert_true(count >= 240);

    size_t checked = 0, regions_with_examples = 0;
    for (size_t r = 0; r < count; r++) {
        bool any = false;
        for (int t = 1; t < PF_NUMBER_TYPE_COUNT; t++) {
            char ex[32], row[96];
            /* Metadata has no fixed_line_or_mobile description: asking for
             * one returns the fixed-line example. */
            if (t == PF_NT_FIXED_LINE_OR_MOBILE)
                continue;
            if (pf_number_example(regions[r], (pf_number_type)t, ex, sizeof ex) != PF_OK)
                continue;
            snprintf(row, sizeof row, "%.2s %s %.31s", regions[r],
                     pf_number_type_name((pf_number_type)t), ex);
            pf_number n;
            pf_diag d;
            pf_check_int(row, pf_number_parse(ex, strlen(ex), NULL, &n, &d), PF_OK);
            pf_check(row, n.parsed && n.valid && n.possible);
            /* A few examples (e.g. Iranian UANs) are shorter than the 8
             * digits strict E.164 asks of a number the API will take. */
            pf_check(row, n.strict_e164 == (strlen(ex) >= 9));
            pf_check_str(row, n.e164, ex);
            pf_check_int(row, n.calling_code, pf_region_calling_code(regions[r]));
            /* Regions sharing a calling code (e.g. +1, +7, +44) resolve an
             * example to the region whose metadata matches it first. */
            pf_check(row, strcmp(n.region, regions[r]) == 0 ||
                              pf_region_calling_code(n.region) == n.calling_code);
            /* Where fixed-line and mobile patterns coincide the library
             * answers fixed_line_or_mobile for both. */
            bool same =
                n.type == (pf_number_type)t || ((t == PF_NT_FIXED_LINE || t == PF_NT_MOBILE) &&
                                                n.type == PF_NT_FIXED_LINE_OR_MOBILE);
            pf_check(row, same);
            checked++;
            any = true;
        }
        regions_with_examples += any;
    }
    print_message("checked %zu example numbers in %zu regions\n", checked, regions_with_examples);
    assert_true(regions_with_examples >= 30);
    assert_true(checked >= 500);
}

struct bad_row {
    const char *name;
    const char *input;
    size_t len; /* 0: strlen(input) */
    pf_status want;
    const char *message_contains;
};

static void test_bad_input(void **state)
{
    (void)state;
    static char digits200[201];
    static char long_utf8[400];
    memset(digits200, '7', 200);
    digits200[0] = '+';
    for (size_t i = 0; i + 2 < sizeof long_utf8; i += 2)
        memcpy(long_utf8 + i, "\xc3\xa9", 2);
    const struct bad_row rows[] = {
        {"empty", "", 0, PF_E_NUMBER, "empty"},
        {"letters", "hello", 0, PF_E_NUMBER, "not a phone number"},
        {"only plus", "+", 0, PF_E_NUMBER, "not a phone number"},
        {"200 digits", digits200, 0, PF_E_NUMBER, "too long"},
        {"nul inside",
         "+1415\0"
         "555",
         9, PF_E_NUMBER, "NUL byte at byte 5"},
        {"invalid utf8", "+1415\xff", 0, PF_E_UTF8, "byte 5"},
        {"overlong utf8", "\xc0\xaf+14155552671", 0, PF_E_UTF8, "byte 0"},
        {"very long", long_utf8, sizeof long_utf8 - 2, PF_E_NUMBER, "too long"},
        {"no country code", "4155552671", 0, PF_E_NUMBER, "country calling code"},
        {"bad country code", "+999 1234 5678", 0, PF_E_NUMBER, "country calling code"},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct bad_row *r = &rows[i];
        size_t len = r->len ? r->len : strlen(r->input);
        pf_number n;
        pf_diag d;
        pf_check_int(r->name, pf_number_parse(r->input, len, NULL, &n, &d), r->want);
        pf_check_int(r->name, d.status, r->want);
        pf_check(r->name, strstr(d.message, r->message_contains) != NULL);
        pf_check(r->name, !n.parsed && !n.valid && !n.strict_e164);
    }
}

struct parse_row {
    const char *name;
    const char *input;
    const char *region;
    const char *e164;
    const char *want_region;
    pf_number_type type;
    bool valid;
    bool strict;
};

static void test_parse_table(void **state)
{
    (void)state;
    const struct parse_row rows[] = {
        {"us strict", "+14155552671", NULL, "+14155552671", "US", PF_NT_FIXED_LINE_OR_MOBILE, true,
         true},
        {"us spaced", "+1 415 555 2671", NULL, "+14155552671", "US", PF_NT_FIXED_LINE_OR_MOBILE,
         true, false},
        {"us national with region", "(415) 555-2671", "US", "+14155552671", "US",
         PF_NT_FIXED_LINE_OR_MOBILE, true, false},
        {"gb mobile", "+447400123456", NULL, "+447400123456", "GB", PF_NT_MOBILE, true, true},
        {"gb national with region", "07400 123456", "GB", "+447400123456", "GB", PF_NT_MOBILE, true,
         false},
        /* libphonenumber's metadata puts +44 7911 1xxxxx in Guernsey. */
        {"guernsey range of +44", "+447911123456", NULL, "+447911123456", "GG", PF_NT_MOBILE, true,
         true},
        {"gb fixed", "020 7946 0958", "GB", "+442079460958", "GB", PF_NT_FIXED_LINE, true, false},
        {"de mobile national", "0151 23456789", "DE", "+4915123456789", "DE", PF_NT_MOBILE, true,
         false},
        {"intl prefix from de", "00 33 6 12 34 56 78", "DE", "+33612345678", "FR", PF_NT_MOBILE,
         true, false},
        {"short invalid", "12345", "US", "+112345", "", PF_NT_UNKNOWN, false, false},
        {"us toll free", "+18005550199", NULL, "+18005550199", "US", PF_NT_TOLL_FREE, true, true},
        {"non-geographic", "+80012345678", NULL, "+80012345678", "001", PF_NT_TOLL_FREE, true,
         true},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct parse_row *r = &rows[i];
        pf_number n;
        pf_diag d;
        pf_check_int(r->name, pf_number_parse(r->input, strlen(r->input), r->region, &n, &d),
                     PF_OK);
        pf_check_str(r->name, n.e164, r->e164);
        pf_check_str(r->name, n.region, r->want_region);
        pf_check_str(r->name, pf_number_type_name(n.type), pf_number_type_name(r->type));
        pf_check_int(r->name, n.valid, r->valid);
        pf_check_int(r->name, n.strict_e164, r->strict);
        pf_check_str(r->name, n.input, r->input);
    }
}

static void test_strict_e164(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool want;
    } rows[] = {
        {"+14155552671", true},
        {"+1415555267", true},
        {"+1234567", false},
        {"+12345678", true},
        {"+123456789012345", true},
        {"+1234567890123456", false},
        {"14155552671", false},
        {"+1 4155552671", false},
        {"+01234567890", false},
        {"+1415555267a", false},
        {"", false},
        {"+", false},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++)
        pf_check_int(rows[i].s, pf_number_is_strict_e164(rows[i].s, strlen(rows[i].s)),
                     rows[i].want);
}

static void test_regions(void **state)
{
    (void)state;
    char small[3][3];
    size_t count;
    assert_int_equal(pf_region_list(small, 3, &count), PF_E_TOO_LARGE);
    assert_int_equal(count, 245);
    assert_true(pf_region_is_supported("US"));
    assert_true(pf_region_is_supported("XK"));
    assert_false(pf_region_is_supported("us"));
    assert_false(pf_region_is_supported("ZZ"));
    assert_false(pf_region_is_supported("USA"));
    assert_int_equal(pf_region_calling_code("GB"), 44);
    assert_int_equal(pf_region_calling_code("QQ"), 0);
    pf_number n;
    pf_diag d;
    assert_int_equal(pf_number_parse("123", 3, "QQ", &n, &d), PF_E_INVALID);
}

static void test_find_in_text(void **state)
{
    (void)state;
    const char *text = "Call us at +1 415-555-2671 or 020 7946 0958 — thanks";
    pf_number_span spans[4];
    size_t count;
    assert_int_equal(pf_number_find_in_text(text, strlen(text), "GB", spans, 4, &count), PF_OK);
    assert_int_equal(count, 2);
    assert_int_equal(spans[0].start, 11);
    assert_int_equal(spans[0].end, 26);
    assert_int_equal(spans[1].start, 30);
    assert_int_equal(spans[1].end, 43);
    assert_int_equal(spans[0].type, PF_NT_FIXED_LINE_OR_MOBILE);
    assert_int_equal(spans[1].type, PF_NT_FIXED_LINE);
    const char *prem = "Claim now: call 09061 701461 or 0845 123 4567";
    assert_int_equal(pf_number_find_in_text(prem, strlen(prem), "GB", spans, 4, &count), PF_OK);
    assert_int_equal(count, 2);
    assert_int_equal(spans[0].type, PF_NT_PREMIUM_RATE);
    const char *utf = "Café: +44 20 7946 0958";
    assert_int_equal(pf_number_find_in_text(utf, strlen(utf), NULL, spans, 4, &count), PF_OK);
    assert_int_equal(count, 1);
    assert_int_equal(spans[0].start, 7);
    assert_int_equal(spans[0].end, strlen(utf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_all_regions),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_strict_e164),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_find_in_text),
    };
    return cmocka_run_group_tests_name("number", tests, NULL, NULL);
}
