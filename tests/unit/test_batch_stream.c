/*
 * test_batch_stream.c — the batch fast paths of issue 15 against their
 * trusted slow paths, byte for byte:
 *
 * - the streaming verdict writer (pfi_verdict_write_json, and
 *   pf_verdict_to_json compact and indented) against the cJSON tree
 *   (pfi_verdict_to_json_slow), on verdicts of every message of
 *   tests/corpus and tests/eval's dev and test splits (under rotating
 *   recipients, senders and first-message flags), and on generated
 *   verdicts with hostile strings (quotes, backslashes, control bytes,
 *   invalid UTF-8 in the inputs; 21 000, 4 200 in slow builds) and
 *   numbers up to SIZE_MAX;
 * - the exact content memo of a checker (engine.c) against a checker
 *   without it;
 * - whole batches: the streaming JSON lines against the cJSON ones, with
 *   and without the content memo, for --jobs 1, 2 and 5; the CSV lines the
 *   workers render against pf_batch_row_to_csv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../test_util.h"
#include "internal.h"
#include "preflight/preflight.h"
#include "verdict_int.h"

#ifndef PF_BATCH_STREAM_ROWS
#define PF_BATCH_STREAM_ROWS 3000 /* 600 in sanitizer and Debug builds */
#endif

static pf_session *session;
static size_t compared;

static int setup(void **state)
{
    pf_session_options *o = NULL;
    pf_diag d;
    (void)state;
    if (pf_session_options_create(&o) != PF_OK ||
        pf_session_options_add_rules_dir(o, PF_SOURCE_DIR "/rules") != PF_OK ||
        pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/data") != PF_OK ||
        pf_session_options_set_config_file(o, PF_SOURCE_DIR "/tests/cli/fixtures/config.json") !=
            PF_OK ||
        pf_session_open(o, &session, &d) != PF_OK) {
        pf_session_options_destroy(o);
        return -1;
    }
    pf_session_options_destroy(o);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pf_session_unref(session);
    return 0;
}

/* The writer against cJSON on one verdict: compact, its "open" form, and
 * indented (pf_verdict_to_json itself, both layouts and the newline). */
static void compare_verdict(const pf_verdict *v, const char *what)
{
    static const unsigned flags[] = {0, PF_JSON_PRETTY, PF_JSON_PRETTY | PF_JSON_NEWLINE,
                                     PF_JSON_NEWLINE};
    char *slow = NULL;
    size_t slow_len = 0;
    struct pfi_buf fast = {NULL, 0, 0, true};
    assert_int_equal(pfi_verdict_to_json_slow(v, 0, &slow, &slow_len), PF_OK);
    assert_true(pfi_verdict_write_json(&fast, v, false));
    if (fast.len != slow_len || memcmp(fast.s, slow, slow_len) != 0) {
        fprintf(stderr, "writers differ on %s:\n  cJSON:  %s\n  stream: %s\n", what, slow,
                fast.s);
        fail();
    }
    pfi_buf_reset(&fast);
    assert_true(pfi_verdict_write_json(&fast, v, true));
    pfi_buf_put(&fast, "}", 1);
    assert_true(fast.len == slow_len && memcmp(fast.s, slow, slow_len) == 0);
    pfi_buf_free(&fast);
    free(slow);
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char *a = NULL, *b = NULL;
        size_t alen = 0, blen = 0;
        assert_int_equal(pfi_verdict_to_json_slow(v, flags[i], &a, &alen), PF_OK);
        assert_int_equal(pf_verdict_to_json(v, flags[i], &b, &blen), PF_OK);
        if (alen != blen || memcmp(a, b, alen) != 0 || strlen(b) != blen) {
            fprintf(stderr, "writers differ on %s (flags %u):\n  cJSON:  %s\n  stream: %s\n",
                    what, flags[i], a, b);
            fail();
        }
        free(a);
        free(b);
    }
    compared++;
}

static const char *const recipients[] = {"+14155552671", "+447400123456", "+971501234567",
                                         "+61412345678", "not a number",  "+1 (415) 555-2671",
                                         "\"+1\\x\x01\x7f",  "+4915112345678", "\xff\xfe+1"};
static const char *const agents[] = {NULL, "+14155550132", "+18335550142", "+447400123456",
                                     "garbage\t\"x\""};

/* Every message of a JSON-lines file (its "text"), through a checker. */
static void verdicts_of_file(pf_checker *ck, const char *path, size_t *k)
{
    char *buf;
    size_t len;
    pf_diag d;
    assert_int_equal(pf_read_file(path, 1 << 26, &buf, &len, &d), PF_OK);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *row = cJSON_Parse(line);
        const cJSON *t = row ? cJSON_GetObjectItem(row, "text") : NULL;
        if (!cJSON_IsString(t)) {
            cJSON_Delete(row);
            continue;
        }
        pf_check_input in = pf_check_input_default();
        in.to = recipients[*k % 9];
        in.to_len = strlen(in.to);
        in.agent_number = agents[*k / 9 % 5];
        in.first_message = (pf_first_message)(*k % 3);
        in.message = t->valuestring;
        in.message_len = strlen(t->valuestring);
        in.send_time = 1764180000 + (int64_t)(*k % 24) * 3600;
        pf_verdict v;
        if (pf_checker_check(ck, &in, &v, &d) == PF_OK) {
            compare_verdict(&v, t->valuestring);
            pf_verdict_clear(&v);
        }
        (*k)++;
        cJSON_Delete(row);
    }
    free(buf);
}

static void test_writer_real(void **state)
{
    pf_checker *ck = NULL;
    pf_diag d;
    size_t k = 0;
    (void)state;
    assert_int_equal(pf_checker_create(session, &ck, &d), PF_OK);
    verdicts_of_file(ck, PF_SOURCE_DIR "/tests/corpus/messages.jsonl", &k);
    verdicts_of_file(ck, PF_SOURCE_DIR "/tests/eval/dev.jsonl", &k);
    verdicts_of_file(ck, PF_SOURCE_DIR "/tests/eval/test.jsonl", &k);
    pf_checker_destroy(ck);
    assert_true(compared > 300);
}

static unsigned long long rng = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(rng >> 33) % n;
}

/* A string of hostile bytes: every escape cJSON knows, controls, UTF-8. */
static void hostile(char *out, size_t cap)
{
    static const char *const bits[] = {"\"", "\\", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f",
                                       "/",  "\x7f", "\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x98\x80",
                                       "a",  "Z",    " ",        "\xff",        "%s", "\\u0000"};
    size_t n = 0, parts = rnd(12);
    for (size_t i = 0; i < parts; i++) {
        const char *b = bits[rnd(20)];
        size_t l = strlen(b);
        if (n + l + 1 >= cap)
            break;
        memcpy(out + n, b, l);
        n += l;
    }
    out[n] = '\0';
}

static size_t big_number(void)
{
    static const size_t edges[] = {0,           1,           9,           10,
                                   999999999,   2147483647,  2147483648u, 4294967295u,
                                   999999999999999ull,       1000000000000000ull,
                                   9007199254740992ull,      9007199254740993ull,
                                   123456789012345678ull,    (size_t)-1};
    return rnd(3) ? rnd(100000) : edges[rnd(14)];
}

static void test_writer_generated(void **state)
{
    (void)state;
    char strs[6][96];
    for (int round = 0; round < PF_BATCH_STREAM_ROWS * 7; round++) {
        pf_verdict v;
        pf_verdict_init(&v);
        v.verdict = (pf_verdict_kind)rnd(3);
        hostile(strs[0], sizeof strs[0]);
        pfi_copy_cut(v.user.input, sizeof v.user.input, strs[0], strlen(strs[0]));
        v.user_parsed = rnd(2);
        v.user.valid = rnd(2);
        snprintf(v.user.e164, sizeof v.user.e164, "+%u", rnd(1000000));
        if (rnd(2))
            snprintf(v.user.region, sizeof v.user.region, "%c%c", 'A' + rnd(26), 'A' + rnd(26));
        v.user.type = (pf_number_type)rnd(4);
        v.has_agent = rnd(2);
        v.agent_auto = rnd(2);
        hostile(strs[1], sizeof v.agent_e164);
        pfi_copy_cut(v.agent_e164, sizeof v.agent_e164, strs[1], strlen(strs[1]));
        v.agent_kind = (pf_sender_type)rnd(3);
        if (rnd(2))
            snprintf(v.agent_region, sizeof v.agent_region, "US");
        v.has_message = rnd(2);
        v.encoding = (pf_encoding)rnd(2);
        v.characters = big_number();
        v.segments = big_number();
        for (unsigned f = rnd(5); f > 0; f--) {
            for (int s = 2; s < 6; s++)
                hostile(strs[s], sizeof strs[s]);
            pf_finding x = {.id = strs[2],
                            .severity = (pf_severity)rnd(3),
                            .message = rnd(8) ? strs[3] : NULL,
                            .fix = rnd(8) ? strs[4] : NULL,
                            .source = rnd(8) ? strs[5] : NULL,
                            .has_span = rnd(2),
                            .span_start = big_number(),
                            .span_end = big_number()};
            assert_int_equal(pf_finding_list_add(&v.findings, &x), PF_OK);
        }
        compare_verdict(&v, "a generated verdict");
        pf_verdict_clear(&v);
    }
}

/* The content memo: the same check twice gives the same verdict, from it. */
static void test_checker_memo(void **state)
{
    pf_checker *plain = NULL, *memo = NULL;
    pf_diag d;
    (void)state;
    assert_int_equal(pf_checker_create(session, &plain, &d), PF_OK);
    assert_int_equal(pf_checker_create(session, &memo, &d), PF_OK);
    pfi_checker_set_memo(memo, true);
    static const char *const texts[] = {
        "Acme: 50% off at bit.ly/x Reply STOP to opt out", "Acme: your code is 123456.",
        "FREE CASH!!! call +1 415 555 0132 now $$$", "", "Acme: see you \xe2\x80\x94 soon"};
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < 5 * 9 * 5 * 3; i++) {
            pf_check_input in = pf_check_input_default();
            in.to = recipients[i % 9];
            in.to_len = strlen(in.to);
            in.agent_number = agents[i / 9 % 5];
            in.first_message = (pf_first_message)(i / 45 % 3);
            in.message = texts[i / 135 % 5];
            in.message_len = strlen(in.message);
            in.send_time = 1764180000;
            pf_verdict a, b;
            pf_status sa = pf_checker_check(plain, &in, &a, &d);
            pf_status sb = pf_checker_check(memo, &in, &b, &d);
            assert_int_equal(sa, sb);
            if (sa != PF_OK)
                continue;
            char *ja = NULL, *jb = NULL;
            assert_int_equal(pf_verdict_to_json(&a, 0, &ja, NULL), PF_OK);
            assert_int_equal(pf_verdict_to_json(&b, 0, &jb, NULL), PF_OK);
            assert_string_equal(ja, jb);
            free(ja);
            free(jb);
            pf_verdict_clear(&a);
            pf_verdict_clear(&b);
            n++;
        }
    }
    /* The second pass (at least) came from the memo. */
    assert_true(pfi_checker_memo_hits(memo) >= n / 2);
    pf_checker_destroy(plain);
    pf_checker_destroy(memo);
}

/* ---- whole batches ---- */

struct collect {
    char *s;
    size_t len, cap;
    bool csv;
    int mismatches;
};

static int collect_row(void *ctx, const pf_batch_row *r)
{
    struct collect *c = ctx;
    const char *line = c->csv ? r->csv : r->json;
    size_t n = c->csv ? r->csv_len : r->json_len;
    if (!line)
        return 1;
    if (c->csv) {
        /* The worker's CSV line is pf_batch_row_to_csv's. */
        char *slow = NULL;
        size_t slow_len = 0;
        if (pf_batch_row_to_csv(r, &slow, &slow_len) != PF_OK || slow_len != n ||
            memcmp(slow, line, n) != 0)
            c->mismatches++;
        free(slow);
    }
    while (c->len + n + 1 > c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1 << 16;
        c->s = realloc(c->s, c->cap);
        if (!c->s)
            return 1;
    }
    memcpy(c->s + c->len, line, n);
    c->len += n;
    c->s[c->len] = '\0';
    return 0;
}

static char *run_batch(const char *csv, size_t len, unsigned jobs, bool csv_out, bool slow,
                       bool memo, const char *tmpl)
{
    pf_batch_options *o = NULL;
    pf_batch *b = NULL;
    pf_diag d;
    struct collect c = {.csv = csv_out};
    pf_check_input base = pf_check_input_default();
    base.send_time = 1764180000;
    assert_int_equal(pf_batch_options_create(&o), PF_OK);
    assert_int_equal(pf_batch_options_set_jobs(o, jobs), PF_OK);
    assert_int_equal(pf_batch_options_set_base(o, &base), PF_OK);
    assert_int_equal(csv_out ? pf_batch_options_set_csv(o, true) : pf_batch_options_set_json(o, true),
                     PF_OK);
    if (tmpl)
        assert_int_equal(pf_batch_options_set_template(o, tmpl, strlen(tmpl), &d), PF_OK);
    pfi_batch_options_set_slow_json(o, slow);
    pfi_batch_options_set_memo(o, memo);
    assert_int_equal(pf_batch_options_set_on_row(o, collect_row, &c), PF_OK);
    assert_int_equal(pf_batch_create(session, o, &b, &d), PF_OK);
    /* Fed in uneven pieces: rows cross feeds. */
    for (size_t off = 0; off < len;) {
        size_t n = 1 + rnd(4096);
        if (n > len - off)
            n = len - off;
        assert_int_equal(pf_batch_feed_csv(b, csv + off, n, &d), PF_OK);
        off += n;
    }
    assert_int_equal(pf_batch_finish(b, &d), PF_OK);
    pf_batch_destroy(b);
    pf_batch_options_destroy(o);
    assert_int_equal(c.mismatches, 0);
    assert_non_null(c.s);
    return c.s;
}

/* A list with what a real one has: few texts to many people, repeats,
 * links, every sender, first-message values, and broken rows. */
static char *make_csv(size_t rows, size_t *len)
{
    static const char *const msgs[] = {
        "Acme Dental: your cleaning is tomorrow at 10:30. Reply C to confirm.",
        "Acme: 20% off whitening this week at bit.ly/acme-smile! Reply STOP to opt out.",
        "\"Acme: hi, your table for 4 is booked for Friday 19:30.\"",
        "Acme: see you soon \xe2\x80\x94 call +1 415 555 0132 with questions.",
        "WIN FREE CASH NOW!!! claim at http://paypa1-secure.xyz/login $$$",
        "\"Acme: \"\"quoted\"\", comma, and\nnewline\"",
        "Acme: \xc3\xa9t\xc3\xa9 \xe2\x82\xac 5 off"};
    /* Number prefixes, then that many random digits (the last: none). */
    static const char *const prefixes[] = {"+1415555", "+447400", "+97150123", "+614123",
                                           "+5511987", "",        "",          "+1650555"};
    static const int ndigits[] = {4, 6, 4, 5, 6, 3, 0, 4};
    static const char *const agents_csv[] = {"", "", "+14155550132", "+18335550142",
                                             "+447400123456", "nope"};
    static const char *const firsts[] = {"", "true", "false", "maybe"};
    size_t cap = rows * 200 + 256, n = 0;
    char *s = malloc(cap);
    n += (size_t)snprintf(s + n, cap - n, "user_number,message,agent_number,first_message,name\n");
    for (size_t i = 0; i < rows; i++) {
        char num[32];
        unsigned p = rnd(8);
        snprintf(num, sizeof num, "%s%0*u", prefixes[p], ndigits[p], ndigits[p] ? rnd(200) : 0);
        if (!ndigits[p])
            num[0] = '\0';
        if (rnd(97) == 0) {
            n += (size_t)snprintf(s + n, cap - n, "%s,ragged\n", num);
            continue;
        }
        n += (size_t)snprintf(s + n, cap - n, "%s,%s,%s,%s,Name%u\n", num, msgs[rnd(7)],
                              agents_csv[rnd(6)], rnd(50) ? firsts[rnd(3)] : firsts[3], rnd(5));
    }
    *len = n;
    return s;
}

static void test_batch_identical(void **state)
{
    (void)state;
    size_t len;
    char *csv = make_csv(PF_BATCH_STREAM_ROWS, &len);
    char *ref = run_batch(csv, len, 1, false, true, false, NULL); /* cJSON, no memo */
    const unsigned jobs[] = {1, 2, 5};
    for (int j = 0; j < 3; j++) {
        for (int memo = 0; memo < 2; memo++) {
            char *got = run_batch(csv, len, jobs[j], false, false, memo, NULL);
            if (strcmp(got, ref) != 0)
                fail_msg("JSON lines differ: --jobs %u, memo %d", jobs[j], memo);
            free(got);
        }
    }
    char *cref = run_batch(csv, len, 1, true, false, false, NULL);
    for (int j = 0; j < 3; j++) {
        char *got = run_batch(csv, len, jobs[j], true, false, true, NULL);
        if (strcmp(got, cref) != 0)
            fail_msg("CSV lines differ: --jobs %u", jobs[j]);
        free(got);
    }
    /* A template: every row's text differs by a column, the memo still exact. */
    const char *t = "Hi {{name}}, Acme: 20% off at bit.ly/x! Reply STOP to opt out.";
    char *tref = run_batch(csv, len, 1, false, true, false, t);
    char *tgot = run_batch(csv, len, 2, false, false, true, t);
    assert_string_equal(tgot, tref);
    free(tref);
    free(tgot);
    free(cref);
    free(ref);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_real),
        cmocka_unit_test(test_writer_generated),
        cmocka_unit_test(test_checker_memo),
        cmocka_unit_test(test_batch_identical),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
