/*
 * test_model.c — the "model" matcher (validator/lib/model.c):
 *
 * - the model pack rules/optional/spam-model.json scores every text of the fixture the
 *   trainer wrote (tests/unit/data/model_fixture.tsv, by
 *   tests/eval/tools/train_model.py's own scorer) to exactly the same
 *   integer score and the same strongest terms: C and Python agree on the
 *   features bit for bit;
 * - malformed models are errors naming the pack, line and key path;
 * - in a scan: a finding at warn with its terms, never a block, silent
 *   when disabled by id or below the threshold;
 * - differential: the shipped packs plus the model give the same findings
 *   with and without the one-pass prefilter and the scan memo, on every
 *   message of tests/eval/dev.jsonl.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../test_util.h"
#include "model_int.h"
#include "preflight/scan.h"
#include "preflight/util.h"
#include "rules_int.h"

#include <cjson/cJSON.h>

static const struct pfi_rule *model_rule(const pf_ruleset *set)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->rules[i].info.matcher == PF_MATCH_MODEL)
            return &set->rules[i];
    return NULL;
}

static void test_fixture(void **state)
{
    (void)state;
    const char *dir = PF_SOURCE_DIR "/rules/optional";
    pf_ruleset *set = NULL;
    pf_diag d;
    assert_int_equal(pf_rules_load(&dir, 1, &set, &d), PF_OK);
    const struct pfi_rule *r = model_rule(set);
    assert_non_null(r);
    assert_string_equal(r->info.id, "content.spam-likely");
    FILE *f = fopen(PF_SOURCE_DIR "/tests/unit/data/model_fixture.tsv", "r");
    assert_non_null(f);
    char line[8192], why[320], row[64];
    int n = 0, above = 0, below = 0, with_terms = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        assert_non_null(t2);
        *t1 = *t2 = '\0';
        long want = strtol(line, NULL, 10), got = 0;
        const char *text = t2 + 1;
        snprintf(row, sizeof row, "fixture row %d", n + 1);
        pf_check_int(row, pfi_model_score(r->model, text, strlen(text), &got, why, sizeof why),
                     PF_OK);
        pf_check_int(row, got, want);
        pf_check_str(row, why, t1 + 1);
        if (want >= pfi_model_threshold(r->model))
            above++;
        else
            below++;
        with_terms += why[0] != '\0';
        n++;
    }
    fclose(f);
    /* The fixture must exercise both sides of the threshold and the terms. */
    assert_true(n >= 20);
    assert_true(above > 0 && below > 0 && with_terms > 0);
    pf_rules_destroy(set);
}

#define PACK(sev, extra, model)                                                                    \
    "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [\n"                                     \
    "{\"id\": \"content.spam-likely\", \"category\": \"spam-likely\", \"severity\": \"" sev        \
    "\",\n \"message\": \"m\", \"fix\": \"f\", \"source\": \"heuristic\"" extra ",\n"              \
    " \"model\": " model "}\n]}\n"
#define MODEL(bias, thr, feats)                                                                    \
    "{\"format\": \"preflight-lr-1\", \"bias\": " bias ", \"threshold\": " thr ",\n"              \
    "  \"features\": [\n" feats "]}"

struct bad_model {
    const char *name;
    const char *text;
    unsigned line;
    const char *path;
    const char *message;
};

static void test_malformed(void **state)
{
    (void)state;
    static const struct bad_model rows[] = {
        {"weight not a number",
         PACK("warn", "", MODEL("0", "1", "\"1.5 w:win\",\n\"x1 w:prize\""
                                          "\n")),
         7, "rules[0].model.features[1]", "'x1 w:prize', is not \"<weight> <feature>\""},
        {"four decimals", PACK("warn", "", MODEL("0", "1", "\"1.2345 w:win\"\n")), 6,
         "rules[0].model.features[0]", "three decimals"},
        {"no kind", PACK("warn", "", MODEL("0", "1", "\"1 win\"\n")), 6,
         "rules[0].model.features[0]", "w:, b: or c:"},
        {"empty feature", PACK("warn", "", MODEL("0", "1", "\"1 w:\"\n")), 6,
         "rules[0].model.features[0]", "is not"},
        {"feature not a string", PACK("warn", "", MODEL("0", "1", "\"1 w:a\", 2\n")), 6,
         "rules[0].model.features[1]", "a features line is a string"},
        {"second of a line", PACK("warn", "", MODEL("0", "1", "\"1 w:a | 2 b:a b | x c:abc\"\n")),
         6, "rules[0].model.features[0]", "feature 3 of the line, 'x c:abc', is not"},
        {"duplicate feature", PACK("warn", "", MODEL("0", "1", "\"1 w:a\",\n\"2 w:a\"\n")), 7,
         "rules[0].model.features[1]", "feature 1 of the line, 'w:a', is a duplicate"},
        {"bias missing",
         PACK("warn", "", "{\"format\": \"preflight-lr-1\", \"threshold\": 1, \"features\": []}"),
         4, "rules[0].model", "missing key 'bias'"},
        {"threshold a string", PACK("warn", "", MODEL("0", "\"1\"", "")), 4,
         "rules[0].model.threshold", "is a number"},
        {"unknown format",
         PACK("warn", "", "{\"format\": \"svm-2\", \"bias\": 0, \"threshold\": 1, "
                          "\"features\": []}"),
         4, "rules[0].model.format", "unknown model format 'svm-2'"},
        {"unknown model key",
         PACK("warn", "", "{\"format\": \"preflight-lr-1\", \"bias\": 0, \"threshold\": 1, "
                          "\"features\": [], \"bits\": 18}"),
         4, "rules[0].model.bits", "unknown key 'bits'"},
        {"model at block", PACK("block", "", MODEL("0", "1", "")), 2, "rules[0].severity",
         "at most \"warn\""},
        {"model escalated", PACK("warn", ", \"escalate_with_url\": true", MODEL("0", "1", "")), 3,
         "rules[0].escalate_with_url", "cannot be escalated"},
        {"signals count a model",
         "{\"pack\": \"t\", \"description\": \"d\", \"rules\": [\n"
         "{\"id\": \"content.m\", \"category\": \"m\", \"severity\": \"warn\", \"message\": \"m\", "
         "\"fix\": \"f\", \"source\": \"heuristic\", \"model\": " MODEL("0", "1", "") "},\n"
         "{\"id\": \"content.s\", \"category\": \"s\", \"severity\": \"block\", \"message\": "
         "\"m\", \"fix\": \"f\", \"source\": \"heuristic\",\n \"signals\": {\"threshold\": 1, "
         "\"weights\": {\"content.m\": 1}}}]}",
         6, "rules[1].signals.weights.content.m", "is a model rule"},
    };
    int failed = 0;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct bad_model *r = &rows[i];
        const char *names[] = {"t.json"};
        size_t len = strlen(r->text);
        pf_ruleset *set = NULL;
        pf_diag d;
        pf_status st = pf_rules_load_buffers(&r->text, &len, names, 1, &set, &d);
        if (st != PF_E_SCHEMA || d.line != r->line || strcmp(d.path, r->path) != 0 ||
            !strstr(d.message, r->message) || strcmp(d.file, "t.json") != 0 || set) {
            print_error("row '%s': got %d at %s:%u '%s' '%s'; want %d at %u '%s' '%s'\n", r->name,
                        st, d.file, d.line, d.path, d.message, PF_E_SCHEMA, r->line, r->path,
                        r->message);
            failed++;
        }
        pf_rules_destroy(set);
    }
    assert_int_equal(failed, 0);
}

/* A hand-made model: every score below is worked out by hand in thousandths. */
static void test_scan(void **state)
{
    (void)state;
    static const char pack[] =
        PACK("warn", "", MODEL("-1.000", "2.000",
                               "\"1.500 w:prize | 0.750 b:claim your\",\n\"0.500 w:<url>\","
                               "\n\"-3.000 w:dentist | 0.250 c:<pr | 0.100 w:00000\"\n"));
    const char *text = pack, *names[] = {"t.json"};
    size_t len = strlen(pack);
    pf_ruleset *set = NULL;
    pf_scanner *sc = NULL;
    pf_diag d;
    assert_int_equal(pf_rules_load_buffers(&text, &len, names, 1, &set, &d), PF_OK);
    const struct pfi_rule *r = model_rule(set);
    long score = 0;
    char why[320];
    /* bias -1, prize 1.5 + its c:<pr 0.25 (once, though "prize" is twice),
     * "claim your" 0.75, a link 0.5, a number of 5+ digits 0.1 */
    const char *m1 = "PRIZE! Claim your prize at https://x.example.com/p now, ref 12345678";
    assert_int_equal(pfi_model_score(r->model, m1, strlen(m1), &score, why, sizeof why), PF_OK);
    assert_int_equal(score, -1000 + 1500 + 250 + 750 + 500 + 100);
    assert_string_equal(why, "\"prize\" (+1.750), \"claim your\" (+0.750), \"<url>\" (+0.500)");
    const char *m2 = "Your dentist prize draw";
    assert_int_equal(pfi_model_score(r->model, m2, strlen(m2), &score, why, sizeof why), PF_OK);
    assert_int_equal(score, -1000 - 3000 + 1750);
    assert_string_equal(why, "\"prize\" (+1.750)");
    /* A term that does not fit is left out whole, never cut inside a
     * UTF-8 character: "prize" and 200 Cyrillic letters is one token
     * (its c:<pr counts, 0.250) of 405 bytes. */
    char m3[512] = "Claim your prize";
    for (int i = 0; i < 200; i++)
        strcat(m3, "\xd0\xb6");
    assert_int_equal(pfi_model_score(r->model, m3, strlen(m3), &score, why, sizeof why), PF_OK);
    assert_int_equal(score, -1000 + 750 + 250);
    assert_string_equal(why, "\"claim your\" (+0.750)");

    pf_scan_options o = pf_scan_options_default();
    pf_finding_list out;
    pf_finding_list_init(&out);
    assert_int_equal(pf_scanner_create(set, &sc), PF_OK);
    assert_int_equal(pf_scanner_scan(sc, m1, strlen(m1), &o, &out, &d), PF_OK);
    assert_int_equal(out.count, 1);
    assert_string_equal(out.items[0].id, "content.spam-likely");
    assert_int_equal(out.items[0].severity, PF_SEV_WARN);
    assert_non_null(strstr(out.items[0].message, "score 2.100, threshold 2.000; strongest terms: "
                                                 "\"prize\" (+1.750)"));
    pf_finding_list_clear(&out);
    assert_int_equal(pf_scanner_scan(sc, m2, strlen(m2), &o, &out, &d), PF_OK);
    assert_int_equal(out.count, 0);
    const char *off[] = {"content.spam-likely"};
    o.disabled = off;
    o.disabled_count = 1;
    assert_int_equal(pf_scanner_scan(sc, m1, strlen(m1), &o, &out, &d), PF_OK);
    assert_int_equal(out.count, 0);
    pf_finding_list_clear(&out);
    pf_scanner_destroy(sc);
    pf_rules_destroy(set);
}

static void findings_text(const pf_finding_list *l, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l->count && used < cap; i++) {
        const pf_finding *f = &l->items[i];
        int n = snprintf(out + used, cap - used, "%s/%d/%s/%d:%zu-%zu;", f->id, (int)f->severity,
                         f->message ? f->message : "", f->has_span, f->span_start, f->span_end);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void test_differential(void **state)
{
    (void)state;
    const char *dirs[] = {PF_SOURCE_DIR "/rules", PF_SOURCE_DIR "/rules/optional"};
    pf_ruleset *set = NULL;
    pf_scanner *fast = NULL, *slow = NULL;
    pf_diag d;
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(pf_rules_load(dirs, 2, &set, &d), PF_OK);
    assert_non_null(model_rule(set));
    assert_int_equal(pf_scanner_create(set, &fast), PF_OK);
    assert_int_equal(pf_scanner_create(set, &slow), PF_OK);
    pfi_scanner_set_onepass(slow, false);
    pfi_scanner_set_memo(slow, false);
    assert_int_equal(pf_read_file(PF_SOURCE_DIR "/tests/eval/dev.jsonl", 1 << 24, &buf, &len, &d),
                     PF_OK);
    static char a[1 << 16], b[1 << 16], c[1 << 16];
    int rows = 0, flagged = 0, differ = 0;
    pf_scan_options o = pf_scan_options_default();
    o.country = "US";
    /* Every row twice through the fast scanner (the second from its memo). */
    {
        for (char *line = buf, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            cJSON *row = cJSON_Parse(line);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(row, "text");
            assert_true(cJSON_IsString(t));
            pf_finding_list x, y, z;
            pf_finding_list_init(&x);
            pf_finding_list_init(&y);
            pf_finding_list_init(&z);
            size_t n = strlen(t->valuestring);
            assert_int_equal(pf_scanner_scan(fast, t->valuestring, n, &o, &x, &d), PF_OK);
            assert_int_equal(pf_scanner_scan(fast, t->valuestring, n, &o, &z, &d), PF_OK);
            assert_int_equal(pf_scanner_scan(slow, t->valuestring, n, &o, &y, &d), PF_OK);
            findings_text(&x, a, sizeof a);
            findings_text(&y, b, sizeof b);
            findings_text(&z, c, sizeof c);
            if ((strcmp(a, b) != 0 || strcmp(c, b) != 0) && differ++ < 5)
                print_error("differs on %.80s:\n  fast %s\n  memo %s\n  slow %s\n",
                            t->valuestring, a, c, b);
            rows++;
            flagged += strstr(a, "content.spam-likely") != NULL;
            pf_finding_list_clear(&x);
            pf_finding_list_clear(&y);
            pf_finding_list_clear(&z);
            cJSON_Delete(row);
            if (next)
                next[-1] = '\n';
        }
    }
    assert_int_equal(differ, 0);
    /* The model must have fired, or this compares nothing of it. */
    assert_true(rows > 1000 && flagged > 50);
    assert_true(pfi_scanner_memo_hits(fast) > 0);
    free(buf);
    pf_scanner_destroy(fast);
    pf_scanner_destroy(slow);
    pf_rules_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
