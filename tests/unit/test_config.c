/*
 * test_config.c — the example project config loads and reads back field
 * by field; kinds are derived from libphonenumber's number type when not
 * given; numbers and sender registrations are found; each kind of broken
 * config is rejected with the right message at the right line:column and
 * key path; and a config with 100 000 numbers loads quickly.
 */
#include <stdlib.h>
#include <time.h>

#include "../test_util.h"
#include "preflight/config.h"
#include "preflight/number.h"
#include "preflight/segments.h"

static const char *example_path = PF_SOURCE_DIR "/data/examples/preflight.json";

static pf_config *load_example(void)
{
    pf_config *cfg = NULL;
    pf_diag d;
    pf_status st = pf_config_load(example_path, &cfg, &d);
    if (st != PF_OK)
        print_error("%s:%u:%u: %s: %s\n", d.file, d.line, d.column, d.path, d.message);
    assert_int_equal(st, PF_OK);
    return cfg;
}

static pf_config *load_text(const char *text)
{
    pf_config *cfg = NULL;
    pf_diag d;
    pf_status st = pf_config_load_buffer(text, strlen(text), "inline.json", &cfg, &d);
    if (st != PF_OK)
        print_error("%s:%u:%u: %s: %s\n", d.file, d.line, d.column, d.path, d.message);
    assert_int_equal(st, PF_OK);
    return cfg;
}

static void test_example_top_level(void **state)
{
    (void)state;
    pf_config *cfg = load_example();
    assert_string_equal(pf_config_cluster(cfg), "us-1");
    assert_int_equal(pf_config_environment(cfg), PF_ENV_LIVE);
    assert_string_equal(pf_config_brand(cfg), "Acme Dental");
    assert_string_equal(pf_config_default_region(cfg), "US");
    assert_int_equal(pf_config_max_segments(cfg), 4);
    size_t n = 99;
    const char *const *rules = pf_config_disabled_rules(cfg, &n);
    assert_int_equal(n, 1);
    assert_string_equal(rules[0], "content.help");
    assert_int_equal(pf_config_number_count(cfg), 6);
    assert_null(pf_config_number_at(cfg, 6));
    pf_config_destroy(cfg);
}

/* One row per number of data/examples/preflight.json, in file order. */
struct example_row {
    const char *number;
    const char *label;
    pf_environment env;
    pf_sender_type kind;
    bool kind_given;
    const char *region;
    pf_reg_status a2p;
    const char *campaign;
    const char *brand_id;
    pf_reg_status tfv;
    size_t registrations;
    unsigned line;
};

static void test_example_numbers(void **state)
{
    (void)state;
    static const struct example_row rows[] = {
        {"+14155550132", "SF front desk", PF_ENV_LIVE, PF_SENDER_LONG_CODE, false, "US",
         PF_REG_APPROVED, "C7Q2XKD", "B4MN8RT", PF_REG_NONE, 0, 9},
        {"+16505550147", "Palo Alto reminders", PF_ENV_LIVE, PF_SENDER_LONG_CODE, true, "US",
         PF_REG_PENDING, "C9H3LWP", "B4MN8RT", PF_REG_NONE, 0, 19},
        {"+18335550142", "Appointments hotline", PF_ENV_LIVE, PF_SENDER_TOLL_FREE, false, "US",
         PF_REG_NONE, NULL, NULL, PF_REG_APPROVED, 0, 30},
        {"+447400123456", "London clinic", PF_ENV_LIVE, PF_SENDER_LONG_CODE, false, "GB", PF_REG_NONE,
         NULL, NULL, PF_REG_NONE, 2, 36},
        {"+12025550173", "Integration tests", PF_ENV_SANDBOX, PF_SENDER_LONG_CODE, false, "US",
         PF_REG_NONE, NULL, NULL, PF_REG_NONE, 0, 45},
        {"+14165550188", "Toronto clinic", PF_ENV_LIVE, PF_SENDER_LONG_CODE, false, "CA",
         PF_REG_APPROVED, "C2T6RNB", NULL, PF_REG_NONE, 0, 50},
    };
    pf_config *cfg = load_example();
    assert_int_equal(pf_config_number_count(cfg), PF_ARRAY_LEN(rows));
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct example_row *r = &rows[i];
        const pf_config_number *n = pf_config_number_at(cfg, i);
        pf_check(r->number, n != NULL);
        pf_check_str(r->number, n->number, r->number);
        pf_check_str(r->number, n->label, r->label);
        pf_check_int(r->number, n->environment, r->env);
        pf_check_int(r->number, n->kind, r->kind);
        pf_check_int(r->number, n->kind_given, r->kind_given);
        pf_check_str(r->number, n->region, r->region);
        pf_check_int(r->number, n->a2p_10dlc, r->a2p);
        pf_check_str(r->number, n->campaign_id, r->campaign);
        pf_check_str(r->number, n->brand_id, r->brand_id);
        pf_check_int(r->number, n->toll_free_verification, r->tfv);
        pf_check_int(r->number, n->registration_count, r->registrations);
        pf_check(r->number, (n->registrations != NULL) == (r->registrations > 0));
        pf_check_int(r->number, n->line, r->line);
    }
    pf_config_destroy(cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    pf_config *cfg = load_text("{\"environment\": \"dev\", \"numbers\": []}");
    assert_null(pf_config_cluster(cfg));
    assert_int_equal(pf_config_environment(cfg), PF_ENV_DEV);
    assert_null(pf_config_brand(cfg));
    assert_null(pf_config_default_region(cfg));
    assert_int_equal(pf_config_max_segments(cfg), PF_SEGMENTS_MAX_DEFAULT);
    size_t n = 99;
    pf_config_disabled_rules(cfg, &n);
    assert_int_equal(n, 0);
    assert_int_equal(pf_config_number_count(cfg), 0);
    assert_null(pf_config_number_at(cfg, 0));
    assert_null(pf_config_find_number(cfg, "+14155550132"));
    pf_config_destroy(cfg);

    /* The bounds of max_segments are accepted. */
    cfg = load_text("{\"environment\": \"sandbox\", \"max_segments\": 100, \"numbers\": []}");
    assert_int_equal(pf_config_max_segments(cfg), 100);
    assert_int_equal(pf_config_environment(cfg), PF_ENV_SANDBOX);
    pf_config_destroy(cfg);
    cfg = load_text("{\"environment\": \"live\", \"max_segments\": 1, \"numbers\": [],"
                    "\"cluster\": \"euw-1\"}");
    assert_int_equal(pf_config_max_segments(cfg), 1);
    assert_string_equal(pf_config_cluster(cfg), "euw-1");
    pf_config_destroy(cfg);
}

struct kind_row {
    const char *number;
    const char *kind; /* the "kind" value written, or NULL */
    pf_sender_type want;
    const char *region;
};

static void test_derived_kinds(void **state)
{
    (void)state;
    static const struct kind_row rows[] = {
        {"+14155550132", NULL, PF_SENDER_LONG_CODE, "US"}, /* fixed_line_or_mobile */
        {"+18335550142", NULL, PF_SENDER_TOLL_FREE, "US"}, /* toll_free */
        {"+18005550100", NULL, PF_SENDER_TOLL_FREE, "US"},
        {"+447400123456", NULL, PF_SENDER_LONG_CODE, "GB"}, /* mobile */
        {"+442079460958", NULL, PF_SENDER_LONG_CODE, "GB"}, /* fixed_line */
        {"+448001111111", NULL, PF_SENDER_TOLL_FREE, "GB"}, /* UK 0800 */
        {"+14165550188", NULL, PF_SENDER_LONG_CODE, "CA"},
        {"+16505550100", "long_code", PF_SENDER_LONG_CODE, "US"},
        {"+18885550199", "toll_free", PF_SENDER_TOLL_FREE, "US"},
        {"22395", "short_code", PF_SENDER_SHORT_CODE, ""},
        {"123", "short_code", PF_SENDER_SHORT_CODE, ""},
        {"12345678", "short_code", PF_SENDER_SHORT_CODE, ""},
    };
    char text[4096];
    size_t o = (size_t)snprintf(text, sizeof text, "{\"environment\": \"live\", \"numbers\": [");
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_number pn;
        pf_diag d;
        /* The derivation rests on libphonenumber's type; check the premise. */
        if (!rows[i].kind) {
            pf_status st = pf_number_parse(rows[i].number, strlen(rows[i].number), NULL, &pn, &d);
            pf_check(rows[i].number, st == PF_OK && pn.valid);
            pf_check_int(rows[i].number, pn.type == PF_NT_TOLL_FREE,
                         rows[i].want == PF_SENDER_TOLL_FREE);
        }
        o += (size_t)snprintf(text + o, sizeof text - o,
                              "%s{\"number\": \"%s\", \"environment\": \"dev\"%s%s%s}",
                              i ? ", " : "", rows[i].number, rows[i].kind ? ", \"kind\": \"" : "",
                              rows[i].kind ? rows[i].kind : "", rows[i].kind ? "\"" : "");
    }
    snprintf(text + o, sizeof text - o, "]}");
    pf_config *cfg = load_text(text);
    assert_int_equal(pf_config_number_count(cfg), PF_ARRAY_LEN(rows));
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const pf_config_number *n = pf_config_number_at(cfg, i);
        pf_check_str(rows[i].number, n->number, rows[i].number);
        pf_check_int(rows[i].number, n->kind, rows[i].want);
        pf_check_int(rows[i].number, n->kind_given, rows[i].kind != NULL);
        pf_check_str(rows[i].number, n->region, rows[i].region);
        pf_check_str(rows[i].number, pf_sender_type_name(n->kind),
                     rows[i].want == PF_SENDER_LONG_CODE   ? "long_code"
                     : rows[i].want == PF_SENDER_TOLL_FREE ? "toll_free"
                                                         : "short_code");
        pf_check(rows[i].number, pf_config_find_number(cfg, rows[i].number) == n);
    }
    pf_config_destroy(cfg);
}

static void test_find_number(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        int index; /* -1: not found */
    } rows[] = {
        {"+14155550132", 0},    {"+16505550147", 1},
        {"+18335550142", 2},    {"+447400123456", 3},
        {"+12025550173", 4},    {"+14165550188", 5},
        {"+14155550133", -1},   {"+1 415 555 0132", -1},
        {"14155550132", -1},    {"", -1},
        {"+4474001234567", -1}, {"+1415555013", -1},
    };
    pf_config *cfg = load_example();
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const pf_config_number *n = pf_config_find_number(cfg, rows[i].query);
        const pf_config_number *want =
            rows[i].index < 0 ? NULL : pf_config_number_at(cfg, (size_t)rows[i].index);
        pf_check(rows[i].query, n == want);
    }
    assert_null(pf_config_find_number(cfg, NULL));
    assert_null(pf_config_find_number(NULL, "+14155550132"));
    pf_config_destroy(cfg);
}

static void test_registrations(void **state)
{
    (void)state;
    static const struct {
        const char *number;
        const char *country;
        pf_reg_status status; /* PF_REG_NONE: no registration */
        const char *reference;
    } rows[] = {
        {"+447400123456", "GB", PF_REG_APPROVED, "UK-SR-20417"},
        {"+447400123456", "IE", PF_REG_PENDING, NULL},
        {"+447400123456", "FR", PF_REG_NONE, NULL},
        {"+447400123456", "gb", PF_REG_NONE, NULL},
        {"+447400123456", "", PF_REG_NONE, NULL},
        {"+14155550132", "US", PF_REG_NONE, NULL},
        {"+14155550132", "GB", PF_REG_NONE, NULL},
    };
    pf_config *cfg = load_example();
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const pf_config_number *n = pf_config_find_number(cfg, rows[i].number);
        pf_check(rows[i].number, n != NULL);
        const pf_sender_registration *r = pf_config_number_registration(n, rows[i].country);
        pf_check(rows[i].country, (r != NULL) == (rows[i].status != PF_REG_NONE));
        if (r) {
            pf_check_str(rows[i].country, r->country, rows[i].country);
            pf_check_int(rows[i].country, r->status, rows[i].status);
            pf_check_str(rows[i].country, r->reference, rows[i].reference);
        }
    }
    /* The registrations come in file order. */
    const pf_config_number *uk = pf_config_find_number(cfg, "+447400123456");
    assert_string_equal(uk->registrations[0].country, "GB");
    assert_string_equal(uk->registrations[1].country, "IE");
    assert_null(pf_config_number_registration(NULL, "GB"));
    assert_null(pf_config_number_registration(uk, NULL));
    pf_config_destroy(cfg);
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        pf_environment env;
        const char *name;
    } envs[] = {{PF_ENV_DEV, "dev"}, {PF_ENV_SANDBOX, "sandbox"}, {PF_ENV_LIVE, "live"}};
    for (size_t i = 0; i < PF_ARRAY_LEN(envs); i++) {
        pf_environment e = (pf_environment)99;
        pf_check_str(envs[i].name, pf_environment_name(envs[i].env), envs[i].name);
        pf_check_int(envs[i].name, pf_environment_from_name(envs[i].name, &e), PF_OK);
        pf_check_int(envs[i].name, e, envs[i].env);
    }
    pf_environment e;
    assert_int_equal(pf_environment_from_name("prod", &e), PF_E_NOT_FOUND);
    assert_int_equal(pf_environment_from_name("Live", &e), PF_E_NOT_FOUND);
    assert_int_equal(pf_environment_from_name(NULL, &e), PF_E_INVALID);
    assert_string_equal(pf_reg_status_name(PF_REG_NONE), "none");
    assert_string_equal(pf_reg_status_name(PF_REG_APPROVED), "approved");
    assert_string_equal(pf_reg_status_name(PF_REG_PENDING), "pending");
    assert_string_equal(pf_reg_status_name(PF_REG_REJECTED), "rejected");
    assert_string_equal(pf_sender_type_name(PF_SENDER_LONG_CODE), "long_code");
    assert_string_equal(pf_sender_type_name(PF_SENDER_TOLL_FREE), "toll_free");
    assert_string_equal(pf_sender_type_name(PF_SENDER_SHORT_CODE), "short_code");
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
        {"syntax.json", PF_E_SYNTAX, 3, 3, "", "JSON syntax error"},
        {"truncated.json", PF_E_SYNTAX, 4, 1, "", "unexpected end of file"},
        {"unknown-top-key.json", PF_E_SCHEMA, 3, 3, "project", "unknown key 'project'"},
        {"unknown-number-key.json", PF_E_SCHEMA, 4, 55, "numbers[0].labels",
         "unknown key 'labels'"},
        {"duplicate-key.json", PF_E_SCHEMA, 4, 55, "numbers[0].environment",
         "duplicate key 'environment'"},
        {"wrong-type.json", PF_E_SCHEMA, 3, 14, "numbers", "expected an array, found an object"},
        {"bad-environment.json", PF_E_SCHEMA, 2, 18, "environment",
         "'prod' is not one of: dev, sandbox, live"},
        {"bad-cluster.json", PF_E_SCHEMA, 2, 14, "cluster",
         "'us-2' is not one of: us-1, uk-1, euw-1"},
        {"missing-environment.json", PF_E_SCHEMA, 1, 1, "", "missing key 'environment'"},
        {"missing-numbers.json", PF_E_SCHEMA, 1, 1, "", "missing key 'numbers'"},
        {"number-missing-environment.json", PF_E_SCHEMA, 4, 5, "numbers[0]",
         "missing key 'environment'"},
        {"not-e164.json", PF_E_SCHEMA, 5, 17, "numbers[0].number",
         "'+1 415 555 0100' is not strict E.164"},
        {"invalid-number.json", PF_E_SCHEMA, 5, 16, "numbers[1].number",
         "'+15555550100' is not a valid phone number"},
        {"duplicate-number.json", PF_E_SCHEMA, 6, 16, "numbers[2].number",
         "duplicate number '+14155550132' (first at numbers[0], line 4)"},
        {"bad-10dlc-status.json", PF_E_SCHEMA, 7, 57, "numbers[0].a2p_10dlc.status",
         "'approve' is not one of: approved, pending, rejected"},
        {"missing-campaign-id.json", PF_E_SCHEMA, 7, 20, "numbers[0].a2p_10dlc",
         "missing key 'campaign_id'"},
        {"a2p-on-toll-free.json", PF_E_SCHEMA, 7, 20, "numbers[0].a2p_10dlc",
         "+18335550142 is a toll_free number"},
        {"a2p-on-short-code.json", PF_E_SCHEMA, 8, 20, "numbers[0].a2p_10dlc",
         "22395 is a short_code number"},
        {"tfv-on-long-code.json", PF_E_SCHEMA, 7, 33, "numbers[0].toll_free_verification",
         "+14155550132 is a long_code number"},
        {"bad-registration-region.json", PF_E_SCHEMA, 9, 9, "numbers[0].sender_registrations.UK",
         "'UK' is not a region code"},
        {"duplicate-registration.json", PF_E_SCHEMA, 9, 9, "numbers[0].sender_registrations.GB",
         "duplicate region 'GB'"},
        {"max-segments-zero.json", PF_E_SCHEMA, 3, 19, "max_segments",
         "expected an integer from 1 to 100"},
        {"disabled-rule-number.json", PF_E_SCHEMA, 3, 38, "disabled_rules[1]",
         "expected a rule id"},
        {"bad-default-region.json", PF_E_SCHEMA, 3, 21, "default_region",
         "'UK' is not a region code"},
        {"short-code-bad.json", PF_E_SCHEMA, 4, 16, "numbers[0].number",
         "'+12345' is not a short code"},
        {"bare-short-code.json", PF_E_SCHEMA, 4, 16, "numbers[0].number",
         "a short code needs \"kind\": \"short_code\""},
        {"invalid-utf8.json", PF_E_UTF8, 1, 40, "", "invalid UTF-8"},
    };
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct bad_file *r = &rows[i];
        char path[512];
        snprintf(path, sizeof path, "%s/tests/unit/config_bad/%s", PF_SOURCE_DIR, r->file);
        pf_config *cfg = NULL;
        pf_diag d;
        pf_status st = pf_config_load(path, &cfg, &d);
        /* Report every failing row before failing, not just the first. */
        if (st != r->status || d.status != r->status || d.line != r->line ||
            d.column != r->column || strcmp(d.path, r->path) != 0 ||
            !strstr(d.message, r->message) || !strstr(d.file, r->file) || cfg != NULL) {
            print_error("row '%s': got status %d at %u:%u path '%s' message '%s'; want %d at "
                        "%u:%u path '%s' message with '%s'\n",
                        r->file, st, d.line, d.column, d.path, d.message, r->status, r->line,
                        r->column, r->path, r->message);
            failed++;
        }
        pf_config_destroy(cfg);
    }
    assert_int_equal(failed, 0);
}

static void test_load_errors(void **state)
{
    (void)state;
    pf_config *cfg = (pf_config *)&cfg;
    pf_diag d;
    assert_int_equal(
        pf_config_load(PF_SOURCE_DIR "/tests/unit/config_bad/no-such-file.json", &cfg, &d),
        PF_E_IO);
    assert_null(cfg);
    assert_non_null(strstr(d.file, "no-such-file.json"));
    assert_int_equal(pf_config_load(NULL, &cfg, &d), PF_E_INVALID);
    assert_int_equal(pf_config_load_buffer(NULL, 0, "x.json", &cfg, &d), PF_E_INVALID);
    /* An empty document is a syntax error, not a crash. */
    assert_int_equal(pf_config_load_buffer("", 0, "empty.json", &cfg, &d), PF_E_SYNTAX);
    assert_null(cfg);
    assert_int_equal(pf_config_load_buffer("[]", 2, "array.json", &cfg, &d), PF_E_SCHEMA);
    assert_non_null(strstr(d.message, "expected an object"));
    /* The accessors accept NULL. */
    assert_int_equal(pf_config_number_count(NULL), 0);
    assert_null(pf_config_number_at(NULL, 0));
    assert_null(pf_config_brand(NULL));
    pf_config_destroy(NULL);
}

#define MANY 100000

/* Times are printed, never asserted: speed belongs to tests/bench/. */

/* The k-th generated number: a permutation of +1 650 200 0000 .. 209 9999
 * (or of the short codes 100000 .. 199999), so the file is not already
 * sorted. */
static void many_number(size_t k, bool short_codes, char *buf, size_t cap)
{
    long long n = (long long)((k * 7919u) % MANY);
    if (short_codes)
        snprintf(buf, cap, "%lld", 100000LL + n);
    else
        snprintf(buf, cap, "+%lld", 16502000000LL + n);
}

/* n entries, one a line from line 3, then extra_dup copies of entry 0. */
static char *many_text(size_t n, size_t extra_dup, bool short_codes, size_t *len)
{
    size_t cap = (n + extra_dup + 2) * 160 + 64, o = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    o += (size_t)snprintf(text, cap, "{\"environment\": \"live\",\n\"numbers\": [\n");
    for (size_t k = 0; k < n + extra_dup; k++) {
        char num[24];
        many_number(k < n ? k : 0, short_codes, num, sizeof num);
        o += (size_t)snprintf(text + o, cap - o, "%s{\"number\": \"%s\", \"environment\": \"live\"",
                              k ? ",\n" : "", num);
        if (short_codes)
            o += (size_t)snprintf(text + o, cap - o, ", \"kind\": \"short_code\"");
        /* Every seventh long code carries a campaign, to exercise the sub-objects. */
        else if (k % 7 == 0)
            o += (size_t)snprintf(text + o, cap - o,
                                  ", \"a2p_10dlc\": {\"campaign_id\": \"C%06zu\", \"status\": "
                                  "\"approved\"}",
                                  k);
        o += (size_t)snprintf(text + o, cap - o, "}");
    }
    o += (size_t)snprintf(text + o, cap - o, "\n]}\n");
    *len = o;
    return text;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Load n generated numbers, then find every one of them. */
static pf_config *load_many(bool short_codes, double *secs)
{
    size_t len;
    char *text = many_text(MANY, 0, short_codes, &len);
    pf_config *cfg = NULL;
    pf_diag d;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pf_status st = pf_config_load_buffer(text, len, "many.json", &cfg, &d);
    *secs = seconds_since(&t0);
    free(text);
    if (st != PF_OK)
        print_error("%s:%u:%u: %s: %s\n", d.file, d.line, d.column, d.path, d.message);
    assert_int_equal(st, PF_OK);
    assert_int_equal(pf_config_number_count(cfg), MANY);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t k = 0; k < MANY; k++) {
        char buf[24];
        many_number(k, short_codes, buf, sizeof buf);
        if (pf_config_find_number(cfg, buf) != pf_config_number_at(cfg, k)) {
            print_error("find '%s' failed\n", buf);
            fail();
        }
    }
    print_message("found %d numbers in %.3f s\n", MANY, seconds_since(&t0));
    for (size_t k = 0; k < MANY; k += 9973) {
        const pf_config_number *n = pf_config_number_at(cfg, k);
        char row[32];
        snprintf(row, sizeof row, "numbers[%zu]", k);
        /* Two header lines, then one entry a line. */
        pf_check_int(row, n->line, k + 3);
        pf_check_int(row, n->kind, short_codes ? PF_SENDER_SHORT_CODE : PF_SENDER_LONG_CODE);
        pf_check_int(row, n->a2p_10dlc, !short_codes && k % 7 == 0 ? PF_REG_APPROVED : PF_REG_NONE);
    }
    return cfg;
}

static void test_many_numbers(void **state)
{
    (void)state;
    /* The premise: the generated numbers are valid US numbers. */
    for (size_t k = 0; k < MANY; k += 97) {
        char buf[24];
        pf_number pn;
        pf_diag d;
        many_number(k, false, buf, sizeof buf);
        pf_check(buf, pf_number_parse(buf, strlen(buf), NULL, &pn, &d) == PF_OK && pn.valid);
        pf_check_str(buf, pn.region, "US");
    }
    double secs;
    pf_config *cfg = load_many(false, &secs);
    /* Nearly all of this is libphonenumber validating each number. */
    print_message("loaded %d E.164 numbers in %.3f s\n", MANY, secs);
    assert_null(pf_config_find_number(cfg, "+16502100000"));
    assert_null(pf_config_find_number(cfg, "+16501999999"));
    pf_config_destroy(cfg);
}

/* Short codes skip libphonenumber, so this exercises the loader itself at
 * scale: the sort-based duplicate check and the line scan. */
static void test_many_short_codes(void **state)
{
    (void)state;
    double secs;
    pf_config *cfg = load_many(true, &secs);
    print_message("loaded %d short codes in %.3f s\n", MANY, secs);
    assert_null(pf_config_find_number(cfg, "99999"));
    assert_null(pf_config_find_number(cfg, "200000"));
    pf_config_destroy(cfg);

    /* A duplicate at the very end is found, and points at the second entry. */
    size_t len;
    pf_diag d;
    char *text = many_text(MANY, 1, true, &len);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pf_status st = pf_config_load_buffer(text, len, "many.json", &cfg, &d);
    secs = seconds_since(&t0);
    print_message("rejected %d short codes plus a duplicate in %.3f s\n", MANY, secs);
    assert_int_equal(st, PF_E_SCHEMA);
    assert_null(cfg);
    assert_string_equal(d.path, "numbers[100000].number");
    assert_int_equal(d.line, MANY + 3);
    assert_int_equal(d.column, 12);
    assert_non_null(strstr(d.message, "duplicate number '100000' (first at numbers[0], line 3)"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_top_level),
        cmocka_unit_test(test_example_numbers),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_derived_kinds),
        cmocka_unit_test(test_find_number),
        cmocka_unit_test(test_registrations),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_many_numbers),
        cmocka_unit_test(test_many_short_codes),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
