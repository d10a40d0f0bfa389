/*
 * test_threads.c — one session shared by many threads (the ThreadSanitizer
 * suite, scripts/test: build-tsan/): checkers on every thread, a batch with
 * its own workers at the same time, and the session swapped under load
 * through a pf_session_slot. Every verdict must be the one a single thread
 * computes; TSan reports any data race.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test_util.h"
#include "preflight/preflight.h"
#include "rules_int.h"

#define NTHREADS 4
#define ROUNDS 40

static pf_session_slot *slot;
static atomic_int failures;

static const char *const recipients[] = {"+14155552671", "+447400123456", "+971501234567",
                                         "+61412345678", "not a number"};
static const char *const messages[] = {"Acme: your order shipped.",
                                       "Acme: 50% off at bit.ly/x Reply STOP to opt out",
                                       "Acme: see you \xe2\x80\x94 soon"};
#define NCASES (sizeof recipients / sizeof *recipients * (sizeof messages / sizeof *messages))
static char *expected[NCASES]; /* the JSON a single thread wrote */

static pf_session *open_session(void)
{
    pf_session_options *o = NULL;
    pf_session *s = NULL;
    pf_diag d;
    if (pf_session_options_create(&o) != PF_OK ||
        pf_session_options_add_rules_dir(o, PF_SOURCE_DIR "/rules") != PF_OK ||
        pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/data") != PF_OK ||
        pf_session_options_set_config_file(o, PF_SOURCE_DIR "/tests/cli/fixtures/config.json") !=
            PF_OK ||
        pf_session_open(o, &s, &d) != PF_OK)
        fail_msg("cannot open a session: %s", d.message);
    pf_session_options_destroy(o);
    return s;
}

static char *check_one(pf_checker *ck, size_t i)
{
    pf_check_input in = pf_check_input_default();
    in.to = recipients[i % 5];
    in.to_len = strlen(in.to);
    in.message = messages[i / 5];
    in.message_len = strlen(in.message);
    in.send_time = 1764180000;
    pf_verdict v;
    pf_diag d;
    char *json = NULL;
    if (pf_checker_check(ck, &in, &v, &d) != PF_OK ||
        pf_verdict_to_json(&v, 0, &json, NULL) != PF_OK)
        atomic_fetch_add(&failures, 1);
    pf_verdict_clear(&v);
    return json;
}

static void *checker_thread(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        /* Each round takes whatever session is current, as a request would. */
        pf_session *s = pf_session_slot_get(slot);
        pf_checker *ck = NULL;
        pf_diag d;
        if (pf_checker_create(s, &ck, &d) != PF_OK) {
            atomic_fetch_add(&failures, 1);
            pf_session_unref(s);
            continue;
        }
        pf_session_unref(s); /* the checker keeps its own reference */
        for (size_t i = 0; i < NCASES; i++) {
            char *json = check_one(ck, i);
            if (!json || strcmp(json, expected[i]) != 0)
                atomic_fetch_add(&failures, 1);
            free(json);
        }
        pf_checker_destroy(ck);
    }
    return NULL;
}

static int count_row(void *ctx, const pf_batch_row *row)
{
    size_t *n = ctx;
    (*n)++;
    return row->json && row->json_len ? 0 : 1;
}

static void *batch_thread(void *arg)
{
    (void)arg;
    for (int r = 0; r < 4; r++) {
        pf_session *s = pf_session_slot_get(slot);
        pf_batch_options *o = NULL;
        pf_batch *b = NULL;
        pf_diag d;
        size_t rows = 0;
        pf_check_input base = pf_check_input_default();
        base.send_time = 1764180000;
        if (pf_batch_options_create(&o) != PF_OK || pf_batch_options_set_jobs(o, 3) != PF_OK ||
            pf_batch_options_set_base(o, &base) != PF_OK ||
            pf_batch_options_set_json(o, true) != PF_OK ||
            pf_batch_options_set_on_row(o, count_row, &rows) != PF_OK ||
            pf_batch_create(s, o, &b, &d) != PF_OK) {
            atomic_fetch_add(&failures, 1);
        } else {
            char csv[65536];
            size_t len = (size_t)snprintf(csv, sizeof csv, "user_number,message\n");
            for (int i = 0; i < 600; i++)
                len += (size_t)snprintf(csv + len, sizeof csv - len, "%s,\"%s\"\n",
                                        recipients[i % 5], messages[i % 3]);
            if (pf_batch_feed_csv(b, csv, len, &d) != PF_OK || pf_batch_finish(b, &d) != PF_OK ||
                rows != 600)
                atomic_fetch_add(&failures, 1);
            pf_batch_summary sum = {.size = sizeof sum};
            if (pf_batch_get_summary(b, &sum) != PF_OK || sum.duplicates != 600 - 120 - 4) /* "not a number" is no recipient */
                atomic_fetch_add(&failures, 1);
        }
        pf_batch_destroy(b);
        pf_batch_options_destroy(o);
        pf_session_unref(s);
    }
    return NULL;
}

static void test_shared_session_and_swap(void **state)
{
    (void)state;
    pf_session *first = open_session();
    pf_checker *ck = NULL;
    pf_diag d;
    assert_int_equal(pf_checker_create(first, &ck, &d), PF_OK);
    for (size_t i = 0; i < NCASES; i++)
        assert_non_null(expected[i] = check_one(ck, i));
    pf_checker_destroy(ck);
    assert_int_equal(pf_session_slot_create(first, &slot), PF_OK);
    pf_session_unref(first);

    pthread_t t[NTHREADS + 1];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, checker_thread, NULL), 0);
    assert_int_equal(pthread_create(&t[NTHREADS], NULL, batch_thread, NULL), 0);
    /* Reload under load: new sessions replace the current one while the
     * threads hold references to older ones. */
    for (int k = 0; k < 3; k++) {
        pf_session *next = open_session();
        assert_true(pfi_rules_lazy(pf_session_rules(next)));
        pf_session_slot_set(slot, next);
        pf_session_unref(next);
    }
    for (int i = 0; i <= NTHREADS; i++)
        pthread_join(t[i], NULL);
    pf_session_slot_destroy(slot);
    for (size_t i = 0; i < NCASES; i++)
        free(expected[i]);
    assert_int_equal(atomic_load(&failures), 0);
}

int main(void)
{
    /* A private start-up cache: the first session compiles every rule
     * pattern and records the packs as valid; the sessions swapped in
     * under load compile theirs on first use, from many threads at once
     * (rules.c's compare-and-swap), and must give the first one's JSON. */
    static char dir[] = "/tmp/test_threads.XXXXXX";
    if (!mkdtemp(dir) || setenv("PREFLIGHT_CACHE_DIR", dir, 1) != 0 ||
        unsetenv("PREFLIGHT_NO_CACHE") != 0)
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_shared_session_and_swap)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    static const char *const files[] = {"rules-valid", "icu-zones", "geo-descriptions"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char f[sizeof dir + 32];
        snprintf(f, sizeof f, "%s/%s", dir, files[i]);
        unlink(f);
    }
    rmdir(dir);
    return rc;
}
