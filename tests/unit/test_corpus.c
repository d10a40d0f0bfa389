/*
 * test_corpus.c — the shipped rule packs against the labelled corpus in
 * tests/corpus/messages.jsonl: every message must produce exactly the
 * content finding ids its label lists. Prints precision and recall over
 * (message, id) pairs, and every disagreement.
 */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "../test_util.h"
#include "preflight/countries.h"
#include "preflight/scan.h"
#include "preflight/util.h"

static bool has_id(const cJSON *arr, const char *id)
{
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next) {
        if (cJSON_IsString(e) && strcmp(e->valuestring, id) == 0)
            return true;
    }
    return false;
}

static void test_corpus(void **state)
{
    (void)state;
    const char *dir = PF_SOURCE_DIR "/rules";
    const char *table_file = PF_SOURCE_DIR "/data/countries.json";
    pf_ruleset *rules = NULL;
    pf_countries *table = NULL;
    pf_scanner *scanner = NULL;
    pf_diag d;
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(pf_rules_load(&dir, 1, &rules, &d), PF_OK);
    assert_int_equal(pf_countries_load(&table_file, 1, &table, &d), PF_OK);
    assert_int_equal(pf_scanner_create(rules, &scanner), PF_OK);
    assert_int_equal(
        pf_read_file(PF_SOURCE_DIR "/tests/corpus/messages.jsonl", 1 << 24, &text, &len, &d),
        PF_OK);

    size_t rows = 0, tp = 0, fp = 0, fn = 0, exact = 0, clean = 0;
    char *line = text;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!*line) {
            line = nl ? nl + 1 : NULL;
            continue;
        }
        cJSON *row = cJSON_Parse(line);
        assert_non_null(row);
        const char *id = cJSON_GetObjectItem(row, "id")->valuestring;
        const cJSON *msg = cJSON_GetObjectItem(row, "text");
        const cJSON *country = cJSON_GetObjectItem(row, "country");
        const cJSON *first = cJSON_GetObjectItem(row, "first_message");
        const cJSON *brand = cJSON_GetObjectItem(row, "brand");
        const cJSON *expect = cJSON_GetObjectItem(row, "expect");
        pf_scan_options o = pf_scan_options_default();
        if (cJSON_IsString(country)) {
            o.country = country->valuestring;
            o.country_entry = pf_countries_get(table, o.country);
        }
        o.first_message = cJSON_IsTrue(first)    ? PF_FIRST_YES
                          : cJSON_IsFalse(first) ? PF_FIRST_NO
                                                 : PF_FIRST_UNKNOWN;
        if (cJSON_IsString(brand))
            o.brand = brand->valuestring;
        pf_finding_list got;
        pf_finding_list_init(&got);
        assert_int_equal(
            pf_scanner_scan(scanner, msg->valuestring, strlen(msg->valuestring), &o, &got, &d),
            PF_OK);
        bool same = true;
        for (size_t i = 0; i < got.count; i++) {
            bool dup = false;
            for (size_t k = 0; k < i; k++)
                dup |= strcmp(got.items[k].id, got.items[i].id) == 0;
            if (dup)
                continue;
            if (has_id(expect, got.items[i].id)) {
                tp++;
            } else {
                fp++;
                same = false;
                print_message("%s: unexpected %s\n", id, got.items[i].id);
            }
        }
        for (const cJSON *e = expect->child; e; e = e->next) {
            bool found = false;
            for (size_t i = 0; i < got.count; i++)
                found |= strcmp(got.items[i].id, e->valuestring) == 0;
            if (!found) {
                fn++;
                same = false;
                print_message("%s: missed %s\n", id, e->valuestring);
            }
        }
        rows++;
        exact += same;
        clean += cJSON_GetArraySize(expect) == 0;
        pf_finding_list_clear(&got);
        cJSON_Delete(row);
        line = nl ? nl + 1 : NULL;
    }
    double precision = tp + fp ? (double)tp / (double)(tp + fp) : 1.0;
    double recall = tp + fn ? (double)tp / (double)(tp + fn) : 1.0;
    print_message("corpus: %zu messages (%zu compliant), %zu exact; precision %.3f recall %.3f "
                  "(tp %zu fp %zu fn %zu)\n",
                  rows, clean, exact, precision, recall, tp, fp, fn);
    assert_true(rows >= 150);
    assert_int_equal(exact, rows);
    free(text);
    pf_scanner_destroy(scanner);
    pf_countries_destroy(table);
    pf_rules_destroy(rules);
}

static bool same_finding(const pf_finding *a, const pf_finding *b)
{
    return strcmp(a->id, b->id) == 0 && a->severity == b->severity &&
           strcmp(a->message, b->message) == 0 && a->has_span == b->has_span &&
           a->span_start == b->span_start && a->span_end == b->span_end;
}

/*
 * One-message commands load the rules with PF_RULES_NO_JIT (issue 20): the
 * interpreter must find exactly what the JIT code finds — every corpus
 * message under its own options and under GB / unknown first message.
 */
static void test_no_jit_same_findings(void **state)
{
    (void)state;
    const char *dir = PF_SOURCE_DIR "/rules";
    pf_ruleset *jit = NULL, *interp = NULL;
    pf_scanner *sj = NULL, *si = NULL;
    pf_diag d;
    char *text = NULL;
    size_t len = 0, compared = 0, with_findings = 0;
    assert_int_equal(pf_rules_load_flags(&dir, 1, 0, &jit, &d), PF_OK);
    assert_int_equal(pf_rules_load_flags(&dir, 1, PF_RULES_NO_JIT, &interp, &d), PF_OK);
    assert_int_equal(pf_scanner_create(jit, &sj), PF_OK);
    assert_int_equal(pf_scanner_create(interp, &si), PF_OK);
    assert_int_equal(
        pf_read_file(PF_SOURCE_DIR "/tests/corpus/messages.jsonl", 1 << 24, &text, &len, &d),
        PF_OK);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *row = cJSON_Parse(line);
        assert_non_null(row);
        const cJSON *msg = cJSON_GetObjectItem(row, "text");
        const cJSON *country = cJSON_GetObjectItem(row, "country");
        const cJSON *first = cJSON_GetObjectItem(row, "first_message");
        for (int variant = 0; variant < 2; variant++) {
            pf_scan_options o = pf_scan_options_default();
            if (variant == 0) {
                o.country = cJSON_IsString(country) ? country->valuestring : NULL;
                o.first_message = cJSON_IsTrue(first) ? PF_FIRST_YES : PF_FIRST_NO;
            } else {
                o.country = "GB";
                o.first_message = PF_FIRST_UNKNOWN;
            }
            pf_finding_list a, b;
            pf_finding_list_init(&a);
            pf_finding_list_init(&b);
            size_t n = strlen(msg->valuestring);
            assert_int_equal(pf_scanner_scan(sj, msg->valuestring, n, &o, &a, &d), PF_OK);
            assert_int_equal(pf_scanner_scan(si, msg->valuestring, n, &o, &b, &d), PF_OK);
            bool same = a.count == b.count;
            for (size_t i = 0; same && i < a.count; i++)
                same = same_finding(&a.items[i], &b.items[i]);
            if (!same)
                print_error("%s: JIT %zu findings, interpreter %zu\n",
                            cJSON_GetObjectItem(row, "id")->valuestring, a.count, b.count);
            assert_true(same);
            compared++;
            with_findings += a.count > 0;
            pf_finding_list_clear(&a);
            pf_finding_list_clear(&b);
        }
        cJSON_Delete(row);
    }
    print_message("JIT vs interpreter: %zu scans, %zu with findings, identical\n", compared,
                  with_findings);
    assert_true(compared > 500 && with_findings > 100);
    free(text);
    pf_scanner_destroy(sj);
    pf_scanner_destroy(si);
    pf_rules_destroy(jit);
    pf_rules_destroy(interp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus),
                                       cmocka_unit_test(test_no_jit_same_findings)};
    return cmocka_run_group_tests_name("corpus", tests, NULL, NULL);
}
