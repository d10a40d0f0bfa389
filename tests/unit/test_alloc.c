/*
 * test_alloc.c — allocation failures (curl's "torture" idea): every
 * allocation the library makes itself goes through a wrapper (the link
 * wraps malloc, calloc, realloc, strdup, strndup), and each operation is
 * run once to count them, then again failing the k-th allocation for every
 * k. Each run must end in PF_OK (a failure the library can absorb) or in
 * PF_E_NOMEM with the diag saying so, never a crash; under ASan, never a
 * leak.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "preflight/preflight.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long calls, fail_at; /* fail_at 0: never */

#include <execinfo.h>

static bool fail_now(void)
{
    bool fail = ++calls == fail_at;
    if (fail && getenv("PF_ALLOC_TRACE")) {
        /* Where the failed allocation was made, for debugging a run. */
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
    }
    return fail;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : __real_strndup(s, n);
}

#define DIR PF_SOURCE_DIR "/tests/unit/alloc/"

/* One operation under test: returns its status and fills diag. */
typedef pf_status (*op_fn)(pf_diag *d);

static pf_status open_session(pf_session **s, pf_diag *d)
{
    pf_session_options *o = NULL;
    pf_status st = pf_session_options_create(&o);
    if (st == PF_OK)
        st = pf_session_options_add_rules_dir(o, DIR "rules");
    if (st == PF_OK)
        st = pf_session_options_add_data_dir(o, DIR "data");
    if (st == PF_OK)
        st = pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/tests/cli/fixtures/data");
    if (st == PF_OK)
        st = pf_session_options_set_config_file(o, PF_SOURCE_DIR "/tests/cli/fixtures/config.json");
    if (st == PF_OK)
        st = pf_session_options_add_disabled_rule(o, "content.url-shortener");
    if (st == PF_OK)
        st = pf_session_open(o, s, d);
    else
        pf_diag_clear(d), d->status = st; /* an options setter has no diag */
    pf_session_options_destroy(o);
    return st;
}

static pf_status op_session(pf_diag *d)
{
    pf_session *s = NULL;
    pf_status st = open_session(&s, d);
    pf_session_unref(s);
    return st;
}

static pf_session *shared; /* opened without failures, for the engine ops */

static pf_status op_check(pf_diag *d)
{
    pf_checker *ck = NULL;
    pf_status st = pf_checker_create(shared, &ck, d);
    if (st != PF_OK)
        return st;
    pf_check_input in = pf_check_input_default();
    in.to = "+14155552671";
    in.to_len = strlen(in.to);
    in.message = "Acme: 50% off at bit.ly/x \xe2\x80\x94 reply STOP to opt out";
    in.message_len = strlen(in.message);
    in.send_time = 1764180000;
    pf_verdict v;
    st = pf_checker_check(ck, &in, &v, d);
    if (st == PF_OK) {
        char *json = NULL;
        st = pf_verdict_to_json(&v, PF_JSON_PRETTY, &json, NULL);
        if (st != PF_OK)
            pf_diag_clear(d), d->status = st; /* the writer has no diag: the status is it */
        free(json);
    }
    pf_verdict_clear(&v);
    pf_checker_destroy(ck);
    return st;
}

/* The optional statistical model (rules/optional): its load and a scan it reports on. */
static pf_status op_model(pf_diag *d)
{
    const char *dir = PF_SOURCE_DIR "/rules/optional";
    const char *msg = "Dear customer, your account will be blocked today. Please update your "
                      "PAN card details here";
    pf_ruleset *set = NULL;
    pf_scanner *sc = NULL;
    pf_finding_list f;
    pf_finding_list_init(&f);
    pf_status st = pf_rules_load(&dir, 1, &set, d);
    if (st == PF_OK && (st = pf_scanner_create(set, &sc)) != PF_OK)
        pf_diag_clear(d), d->status = st; /* no diag: the status is it */
    if (st == PF_OK)
        st = pf_scanner_scan(sc, msg, strlen(msg), NULL, &f, d);
    if (st == PF_OK && (f.count != 1 || strcmp(f.items[0].id, "content.spam-likely") != 0)) {
        pf_diag_clear(d);
        st = d->status = PF_E_INTERNAL; /* the model must have reported */
    }
    pf_finding_list_clear(&f);
    pf_scanner_destroy(sc);
    pf_rules_destroy(set);
    return st;
}

static pf_status op_config(pf_diag *d)
{
    pf_config *c = NULL;
    pf_status st = pf_config_load(PF_SOURCE_DIR "/tests/cli/fixtures/config.json", &c, d);
    pf_config_destroy(c);
    return st;
}

static pf_status op_templates(pf_diag *d)
{
    pf_template_set *set = NULL;
    pf_status st = pf_template_set_create(&set);
    if (st == PF_OK)
        st = pf_template_set_add_path(set, PF_SOURCE_DIR "/data/examples/templates", d);
    else
        pf_diag_clear(d), d->status = st;
    pf_template_set_destroy(set);
    return st;
}

static pf_status op_dry_run_send(pf_diag *d)
{
    pf_send_options *o = NULL;
    pf_sender *snd = NULL;
    pf_send_outcome out;
    pf_send_outcome_init(&out);
    pf_status st = pf_send_options_create(&o);
    if (st == PF_OK)
        st = pf_send_options_set_dry_run(o, true);
    if (st == PF_OK)
        st = pf_send_options_set_credentials(o, "token", "connector");
    if (st == PF_OK)
        st = pf_send_options_set_cluster(o, "us-1");
    if (st != PF_OK) {
        pf_diag_clear(d);
        d->status = st;
    }
    if (st == PF_OK)
        st = pf_sender_create(shared, o, &snd, d);
    pf_check_input in = pf_check_input_default();
    in.to = "+14155552671";
    in.to_len = strlen(in.to);
    in.message = "Acme: your order shipped.";
    in.message_len = strlen(in.message);
    in.send_time = 1764180000;
    if (st == PF_OK)
        st = pf_sender_send(snd, &in, &out, d);
    if (st == PF_OK) {
        char *json = NULL;
        st = pf_send_outcome_to_json(&out, 0, &json, NULL);
        if (st != PF_OK) {
            pf_diag_clear(d);
            d->status = st;
        }
        free(json);
    }
    pf_send_outcome_clear(&out);
    pf_sender_destroy(snd);
    pf_send_options_destroy(o);
    return st;
}

/* Run op failing each allocation in turn; the number of runs that broke
 * the contract. */
static int torture(const char *name, op_fn op)
{
    pf_diag d;
    calls = 0;
    fail_at = 0;
    pf_status st = op(&d);
    long total = calls;
    if (st != PF_OK) {
        fprintf(stderr, "%s: fails without injection: %s\n", name, d.message);
        return 1;
    }
    int bad = 0;
    for (long k = 1; k <= total; k++) {
        calls = 0;
        fail_at = k;
        memset(&d, 0x5a, sizeof d); /* a stale diag must not pass for a set one */
        st = op(&d);
        fail_at = 0;
        bool ok = st == PF_OK || (st == PF_E_NOMEM && d.status == PF_E_NOMEM);
        if (!ok && bad++ < 5)
            fprintf(stderr, "%s: allocation %ld of %ld failed: status %d (%s), diag status %d\n",
                    name, k, total, st, pf_strerror(st), d.status);
    }
    printf("%s: %ld allocations, each failed once: %s\n", name, total, bad ? "BROKEN" : "ok");
    return bad;
}

static void test_every_allocation(void **state)
{
    (void)state;
    pf_diag d;
    int bad = 0;
    bad += torture("config", op_config);
    bad += torture("templates", op_templates);
    bad += torture("session", op_session);
    bad += torture("model", op_model);
    assert_int_equal(open_session(&shared, &d), PF_OK);
    bad += torture("check", op_check);
    bad += torture("dry-run send", op_dry_run_send);
    pf_session_unref(shared);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_allocation)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
