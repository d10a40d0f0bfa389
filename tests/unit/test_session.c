/*
 * test_session.c — pf_session: what it loads, what it refuses (with the
 * diag naming the file and the id), references and the swap slot, and that
 * a checker made from it emits config.none without a config.
 */
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "preflight/preflight.h"

#define FIX PF_SOURCE_DIR "/tests/cli/fixtures/"

static pf_session_options *shipped(void)
{
    pf_session_options *o = NULL;
    assert_int_equal(pf_session_options_create(&o), PF_OK);
    assert_int_equal(pf_session_options_add_rules_dir(o, PF_SOURCE_DIR "/rules"), PF_OK);
    assert_int_equal(pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/data"), PF_OK);
    return o;
}

static void test_open_and_getters(void **state)
{
    (void)state;
    pf_session_options *o = shipped();
    pf_session *s = NULL;
    pf_diag d;
    assert_int_equal(pf_session_options_set_config_file(o, FIX "config.json"), PF_OK);
    assert_int_equal(pf_session_options_add_disabled_rule(o, "content.url-shortener"), PF_OK);
    assert_int_equal(pf_session_open(o, &s, &d), PF_OK);
    assert_int_equal(d.status, PF_OK);
    pf_session_options_destroy(o);
    assert_non_null(pf_session_rules(s));
    assert_non_null(pf_countries_get(pf_session_countries(s), "US"));
    assert_non_null(pf_session_config(s));
    /* The zones were found in the data directory, not handed in. */
    const char *z[8];
    pf_check("zones", pf_countries_area_zones(pf_session_countries(s), "US", "Hawaii", z, 8,
                                              NULL, 0) == 1);
    size_t n = 0;
    const char *const *dis = pf_session_disabled_rules(s, &n);
    pf_check("disabled", n >= 1 && strcmp(dis[n - 1], "content.url-shortener") == 0);
    /* rules dir, countries.json, timezones.json, the config */
    pf_check_int("files", pf_session_file_count(s), 4);
    pf_check("timezones listed", strstr(pf_session_file_at(s, 2), "timezones.json") != NULL);
    pf_check("past the end", pf_session_file_at(s, 4) == NULL);
    pf_session_unref(s);
}

static void test_refusals(void **state)
{
    (void)state;
    pf_session *s = (pf_session *)1;
    pf_diag d;

    /* An unknown disabled id from the options: named, no file. */
    pf_session_options *o = shipped();
    assert_int_equal(pf_session_options_add_disabled_rule(o, "content.nope"), PF_OK);
    assert_int_equal(pf_session_open(o, &s, &d), PF_E_NOT_FOUND);
    pf_check("out cleared", s == NULL);
    pf_check_int("diag status", d.status, PF_E_NOT_FOUND);
    pf_check_str("path", d.path, "disabled_rules");
    pf_check_str("no file", d.file, "");
    pf_check("names the id", strstr(d.message, "'content.nope'") != NULL);
    pf_session_options_destroy(o);

    /* Many disabled ids: no cap. */
    o = shipped();
    for (int i = 0; i < 500; i++)
        assert_int_equal(pf_session_options_add_disabled_rule(o, "content.url-shortener"), PF_OK);
    assert_int_equal(pf_session_open(o, &s, &d), PF_OK);
    size_t n;
    pf_session_disabled_rules(s, &n);
    pf_check_int("500 ids", n, 500);
    pf_session_unref(s);
    pf_session_options_destroy(o);

    /* A data directory without countries.json: the file is named. */
    o = shipped();
    assert_int_equal(pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/rules"), PF_OK);
    pf_check_int("no table", pf_session_open(o, &s, &d), PF_E_IO);
    pf_check("file named", strstr(d.file, "rules/countries.json") != NULL);
    pf_check_int("diag = return", d.status, PF_E_IO);
    pf_session_options_destroy(o);

    /* No directories at all. */
    assert_int_equal(pf_session_options_create(&o), PF_OK);
    pf_check_int("empty", pf_session_open(o, &s, &d), PF_E_INVALID);
    pf_check_int("empty diag", d.status, PF_E_INVALID);
    pf_session_options_destroy(o);
}

static void test_refs_slot_and_config_none(void **state)
{
    (void)state;
    pf_session_options *o = shipped();
    pf_session *a = NULL, *b = NULL;
    pf_diag d;
    assert_int_equal(pf_session_open(o, &a, &d), PF_OK);
    assert_int_equal(pf_session_open(o, &b, &d), PF_OK);
    pf_session_options_destroy(o);

    pf_session_slot *slot = NULL;
    assert_int_equal(pf_session_slot_create(a, &slot), PF_OK);
    pf_session *cur = pf_session_slot_get(slot);
    pf_check("slot has a", cur == a);
    pf_checker *ck = NULL;
    assert_int_equal(pf_checker_create(cur, &ck, &d), PF_OK);
    pf_session_unref(cur);
    /* Swap, and drop every reference to a but the checker's: the checker
     * still works on it. */
    pf_session_slot_set(slot, b);
    pf_session_unref(a);
    pf_session_unref(b);
    pf_check_input in = pf_check_input_default();
    in.to = "+14155552671";
    in.to_len = strlen(in.to);
    in.message = "Hello";
    in.message_len = 5;
    pf_verdict v;
    assert_int_equal(pf_checker_check(ck, &in, &v, &d), PF_OK);
    pf_check_str("config.none last", v.findings.items[v.findings.count - 1].id, "config.none");
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(pf_verdict_to_json(&v, PF_JSON_NEWLINE, &json, &len), PF_OK);
    pf_check("compact json", json[0] == '{' && json[len - 1] == '\n' && !strchr(json, '\t'));
    free(json);
    pf_verdict_clear(&v);
    pf_checker_destroy(ck); /* frees a */
    cur = pf_session_slot_get(slot);
    pf_check("slot has b", cur == b);
    pf_session_unref(cur);
    pf_session_slot_destroy(slot); /* frees b */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_getters),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_refs_slot_and_config_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
