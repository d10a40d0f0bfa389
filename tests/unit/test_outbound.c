/*
 * test_outbound.c — the Send SMS API client: its retry policy as pure
 * functions (Retry-After, backoff, classification, error details, base
 * URLs), then whole sends against the fake API (tests/fake_api/) running
 * in-process on 127.0.0.1, with the clock, sleep and jitter injected so
 * that no row waits in real time.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "../test_util.h"
#include "fake_api.h"
#include "preflight/preflight.h"

/* PF_STATIC internals of outbound.c (visible in the PF_UNITTEST build). */
int64_t outbound_retry_after_ms(const char *value, int64_t now_ms);
int64_t outbound_backoff_ms(unsigned retry, int64_t base, int64_t cap, uint64_t rnd);
pf_send_status outbound_classify_http(long http, bool retry_5xx, bool has_agent, bool *retry,
                                      const char **hint);
pf_send_status outbound_classify_curl(int code, bool reached, bool *retry, const char **hint);
char *outbound_error_detail(const char *body, size_t len);
pf_status outbound_endpoint(const char *base, char **url, bool *loopback, pf_diag *diag);

#define TOKEN "sk-test-SECRET-7f3a9"
#define TOKEN_ID "conn-SECRET-42b1"
#define TO "+14155552671"
#define FROM "+14155550132"
#define MSG "Acme Dental: your cleaning is tomorrow at 10:30."
/* 2026-11-26T20:00:00Z, the fake clock's start. */
#define NOW_MS 1795723200000LL

/* ---- Retry-After ---- */

static void test_retry_after(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int64_t want;
    } rows[] = {
        {"1", 1000},
        {"0", 0},
        {" 120 ", 120000},
        {"Thu, 26 Nov 2026 20:00:07 GMT", 7000},    /* IMF-fixdate */
        {"Thursday, 26-Nov-26 20:00:07 GMT", 7000}, /* RFC 850 */
        {"Thu Nov 26 20:00:07 2026", 7000},         /* asctime */
        {"Thu, 26 Nov 2026 19:59:00 GMT", 0},       /* past: now */
        {"99999999999999999999", INT64_MAX},        /* more than a year, without overflow */
        {"", -1},
        {"soon", -1},
        {"-5", -1},
        {"1.5", -1},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        int64_t got = outbound_retry_after_ms(rows[i].value, NOW_MS);
        if (rows[i].want == INT64_MAX)
            pf_check(rows[i].value, got > 366LL * 86400 * 1000);
        else
            pf_check_int(rows[i].value, got, rows[i].want);
    }
}

/* ---- exponential backoff with full jitter ---- */

static void test_backoff(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned retry;
        int64_t base, cap;
        uint64_t rnd;
        int64_t want;
    } rows[] = {
        {"first retry, top of range", 1, 1000, 30000, 1000, 1000},
        {"first retry, bottom", 1, 1000, 30000, 1001, 0},
        {"first retry, middle", 1, 1000, 30000, 500, 500},
        {"second doubles", 2, 1000, 30000, 2000, 2000},
        {"third doubles again", 3, 1000, 30000, 4000, 4000},
        {"ceiling is capped", 6, 1000, 30000, 30000, 30000},
        {"capped range wraps", 6, 1000, 30000, 30001, 0},
        {"huge retry does not overflow", 4000000000u, 1000, 30000, 29999, 29999},
        {"zero base", 3, 0, 30000, 12345, 0},
        {"random bits reduced", 1, 1000, 30000, UINT64_MAX, (int64_t)(UINT64_MAX % 1001)},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_check_int(rows[i].name,
                     outbound_backoff_ms(rows[i].retry, rows[i].base, rows[i].cap, rows[i].rnd),
                     rows[i].want);
    }
}

/* ---- what a status or a transport failure means ---- */

static void test_classify_http(void **state)
{
    (void)state;
    static const struct {
        long http;
        bool retry_5xx, agent;
        pf_send_status want;
        bool retry;
        const char *hint; /* substring; NULL: no hint */
    } rows[] = {
        {202, false, true, PF_SEND_ACCEPTED, false, NULL},
        {200, false, false, PF_SEND_ACCEPTED, false, NULL},
        {400, false, true, PF_SEND_REJECTED, false, "not provisioned for this project"},
        {400, false, false, PF_SEND_REJECTED, false, "E.164"},
        {401, false, false, PF_SEND_REJECTED, false, "missing or invalid"},
        {403, false, false, PF_SEND_REJECTED, false, "different accounts"},
        {404, false, false, PF_SEND_REJECTED, false, "no numbers"},
        {422, false, false, PF_SEND_REJECTED, false, "refused"},
        {301, false, false, PF_SEND_REJECTED, false, "redirect"},
        {429, false, false, PF_SEND_RATE_LIMITED, true, "rate limit"},
        {500, false, false, PF_SEND_UNKNOWN, false, "may or may not"},
        {503, false, false, PF_SEND_UNKNOWN, false, "twice"},
        {500, true, false, PF_SEND_UNKNOWN, true, "may or may not"},
        {504, true, true, PF_SEND_UNKNOWN, true, "may or may not"},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        char name[64];
        snprintf(name, sizeof name, "%ld%s%s", rows[i].http, rows[i].retry_5xx ? " retry-5xx" : "",
                 rows[i].agent ? " agent" : "");
        bool retry = !rows[i].retry;
        const char *hint = "unset";
        pf_send_status s =
            outbound_classify_http(rows[i].http, rows[i].retry_5xx, rows[i].agent, &retry, &hint);
        pf_check_str(name, pf_send_status_name(s), pf_send_status_name(rows[i].want));
        pf_check_int(name, retry, rows[i].retry);
        if (rows[i].hint)
            pf_check(name, hint && strstr(hint, rows[i].hint));
        else
            pf_check(name, hint == NULL);
    }
}

static void test_classify_curl(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int code;
        bool reached;
        pf_send_status want;
        bool retry;
    } rows[] = {
        {"dns", CURLE_COULDNT_RESOLVE_HOST, false, PF_SEND_TRANSPORT_ERROR, true},
        {"proxy dns", CURLE_COULDNT_RESOLVE_PROXY, false, PF_SEND_TRANSPORT_ERROR, true},
        {"refused", CURLE_COULDNT_CONNECT, false, PF_SEND_TRANSPORT_ERROR, true},
        {"tls handshake", CURLE_SSL_CONNECT_ERROR, false, PF_SEND_TRANSPORT_ERROR, true},
        {"connect timeout", CURLE_OPERATION_TIMEDOUT, false, PF_SEND_TRANSPORT_ERROR, true},
        {"bad certificate", CURLE_PEER_FAILED_VERIFICATION, false, PF_SEND_TRANSPORT_ERROR, false},
        {"bad protocol", CURLE_UNSUPPORTED_PROTOCOL, false, PF_SEND_TRANSPORT_ERROR, false},
        {"timeout after send", CURLE_OPERATION_TIMEDOUT, true, PF_SEND_UNKNOWN, false},
        {"dropped after send", CURLE_GOT_NOTHING, true, PF_SEND_UNKNOWN, false},
        {"recv error after send", CURLE_RECV_ERROR, true, PF_SEND_UNKNOWN, false},
        {"send error mid-body", CURLE_SEND_ERROR, true, PF_SEND_UNKNOWN, false},
        /* Even a "never reached" code is not retried once the body went out. */
        {"refused but reached", CURLE_COULDNT_CONNECT, true, PF_SEND_UNKNOWN, false},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        bool retry = !rows[i].retry;
        const char *hint = NULL;
        pf_send_status s = outbound_classify_curl(rows[i].code, rows[i].reached, &retry, &hint);
        pf_check_str(rows[i].name, pf_send_status_name(s), pf_send_status_name(rows[i].want));
        pf_check_int(rows[i].name, retry, rows[i].retry);
        pf_check(rows[i].name, hint != NULL);
    }
}

/* ---- the detail of an error response ---- */

static void test_error_detail(void **state)
{
    (void)state;
    static const struct {
        const char *name, *body, *want;
    } rows[] = {
        {"detail string", "{\"detail\":\"Connector not found\"}", "Connector not found"},
        {"detail array (validation errors)",
         "{\"detail\":[{\"loc\":[\"body\",\"user_number\"],\"msg\":\"field required\"}]}",
         "[{\"loc\":[\"body\",\"user_number\"],\"msg\":\"field required\"}]"},
        {"object without detail", "{\"error\": \"bad\", \"code\": 7}",
         "{\"error\":\"bad\",\"code\":7}"},
        {"not JSON", "<html>Bad gateway</html>", "<html>Bad gateway</html>"},
        {"control characters flattened", "line one\nline\ttwo", "line one line two"},
        {"invalid UTF-8 replaced", "bad \xff byte", "bad ? byte"},
        {"empty", "", NULL},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        char *got = outbound_error_detail(rows[i].body, strlen(rows[i].body));
        if (rows[i].want)
            pf_check_str(rows[i].name, got, rows[i].want);
        else
            pf_check(rows[i].name, got == NULL);
        free(got);
    }
    /* A huge body is cut, at a character boundary, and marked. */
    size_t n = 10000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    big[n] = '\0';
    char *got = outbound_error_detail(big, n);
    pf_check("huge", got && strlen(got) < 2100 && strcmp(got + strlen(got) - 3, "...") == 0);
    size_t bad;
    pf_check("huge stays UTF-8", pf_utf8_validate(got, strlen(got), &bad) == PF_OK);
    free(got);
    free(big);
}

/* ---- base URLs ---- */

static void test_endpoint(void **state)
{
    (void)state;
    static const struct {
        const char *base;
        const char *url; /* NULL: refused */
        bool loopback;
    } rows[] = {
        {"https://api.us-1.platform.polyai.app",
         "https://api.us-1.platform.polyai.app/v1/outbound-sms", false},
        {"https://api.uk-1.platform.polyai.app/",
         "https://api.uk-1.platform.polyai.app/v1/outbound-sms", false},
        {"https://example.test:8443/prefix/", "https://example.test:8443/prefix/v1/outbound-sms",
         false},
        {"http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/outbound-sms", true},
        {"http://127.1.2.3:9", "http://127.1.2.3:9/v1/outbound-sms", true},
        {"http://localhost:1234", "http://localhost:1234/v1/outbound-sms", true},
        {"http://[::1]:1234", "http://[::1]:1234/v1/outbound-sms", true},
        {"http://api.us-1.platform.polyai.app", NULL, false},
        {"http://10.0.0.1:80", NULL, false},
        {"http://128.0.0.1", NULL, false},
        {"http://localhost.evil.test", NULL, false},
        {"ftp://127.0.0.1/", NULL, false},
        {"https://user:pw@api.us-1.platform.polyai.app", NULL, false},
        {"https://api.us-1.platform.polyai.app/?x=1", NULL, false},
        {"https://api.us-1.platform.polyai.app/#frag", NULL, false},
        {"not a url", NULL, false},
        {"", NULL, false},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        char *url = NULL;
        bool lb = false;
        pf_diag d;
        pf_diag_clear(&d);
        pf_status st = outbound_endpoint(rows[i].base, &url, &lb, &d);
        if (rows[i].url) {
            pf_check_int(rows[i].base, st, PF_OK);
            pf_check_str(rows[i].base, url, rows[i].url);
            pf_check_int(rows[i].base, lb, rows[i].loopback);
        } else {
            pf_check_int(rows[i].base, st, PF_E_INVALID);
            pf_check(rows[i].base, d.message[0] != '\0');
            /* The refusal never repeats a password it was given. */
            pf_check(rows[i].base, strstr(d.message, "pw") == NULL);
        }
        free(url);
    }
    pf_check_str("us-1", pf_cluster_base_url("us-1"), "https://api.us-1.platform.polyai.app");
    pf_check_str("uk-1", pf_cluster_base_url("uk-1"), "https://api.uk-1.platform.polyai.app");
    pf_check_str("euw-1", pf_cluster_base_url("euw-1"), "https://api.euw-1.platform.polyai.app");
    pf_check("eu-2", pf_cluster_base_url("eu-2") == NULL);
    pf_check("NULL", pf_cluster_base_url(NULL) == NULL);
}

static void test_create_options(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int64_t connect_ms, total_ms;
        unsigned attempts;
        int64_t max_wait;
        pf_status want;
    } rows[] = {
        {"defaults", 10000, 30000, 5, 60000, PF_OK},
        {"zero connect timeout", 0, 30000, 5, 60000, PF_E_INVALID},
        {"negative timeout", 10000, -1, 5, 60000, PF_E_INVALID},
        {"zero attempts", 10000, 30000, 0, 60000, PF_E_INVALID},
        {"too many attempts", 10000, 30000, 101, 60000, PF_E_INVALID},
        {"negative wait budget", 10000, 30000, 5, -1, PF_E_INVALID},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_client_options o = pf_client_options_default();
        o.base_url = "https://api.us-1.platform.polyai.app";
        o.connect_timeout_ms = rows[i].connect_ms;
        o.timeout_ms = rows[i].total_ms;
        o.max_attempts = rows[i].attempts;
        o.max_total_wait_ms = rows[i].max_wait;
        pf_client *c = NULL;
        pf_diag d;
        pf_check_int(rows[i].name, pf_client_create(&o, &c, &d), rows[i].want);
        pf_check(rows[i].name, (c != NULL) == (rows[i].want == PF_OK));
        pf_client_destroy(c);
    }
    /* A credential that would break the header line is refused, unquoted. */
    static const char *const bad_creds[] = {"tok\r\nX-Evil: 1", "tok en", "t\xc3\xa9"};
    for (size_t i = 0; i < PF_ARRAY_LEN(bad_creds); i++) {
        pf_client_options o = pf_client_options_default();
        o.base_url = "https://api.us-1.platform.polyai.app";
        o.auth_token = bad_creds[i];
        o.token_id = TOKEN_ID;
        pf_client *c = NULL;
        pf_diag d;
        pf_check_int(bad_creds[i], pf_client_create(&o, &c, &d), PF_E_INVALID);
        pf_check(bad_creds[i], strstr(d.message, "API key") && !strstr(d.message, "tok"));
        pf_client_destroy(c);
    }
    pf_client_options o = pf_client_options_default();
    pf_check_int("default connect", o.connect_timeout_ms, 10000);
    pf_check_int("default total", o.timeout_ms, 30000);
    pf_check_int("default attempts", o.max_attempts, 5);
    pf_check_int("default 5xx", o.retry_server_errors, false);
}

/* ---- trusted CAs (pf_client_set_ca): what is accepted before libcurl ---- */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_set_ca(void **state)
{
    (void)state;
    char dir[] = "/tmp/pf_test_ca.XXXXXX";
    char p[5][512];
    assert_non_null(mkdtemp(dir));
    snprintf(p[0], sizeof p[0], "%s/ca.pem", dir);
    snprintf(p[1], sizeof p[1], "%s/not-pem.json", dir);
    snprintf(p[2], sizeof p[2], "%s/hashed", dir);
    snprintf(p[3], sizeof p[3], "%s/unhashed", dir);
    snprintf(p[4], sizeof p[4], "%s/missing", dir);
    write_text(p[0], "subject=test\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    write_text(p[1], "{\"not\": \"a certificate\"}\n");
    char f[600];
    assert_int_equal(mkdir(p[2], 0700), 0);
    snprintf(f, sizeof f, "%s/0a1B2c3d.12", p[2]);
    write_text(f, "");
    assert_int_equal(mkdir(p[3], 0700), 0);
    static const char *const near[] = {"ca.pem", "0a1b2c3d.", "0a1b2c3d.0x", "0a1b2c3.0",
                                       "0a1b2c3g.0"};
    for (size_t i = 0; i < PF_ARRAY_LEN(near); i++) {
        snprintf(f, sizeof f, "%s/%s", p[3], near[i]);
        write_text(f, "");
    }
    const struct {
        const char *name, *file, *dir;
        pf_status want;
        const char *msg; /* in diag.message */
        const char *bad; /* diag.file: the path at fault */
    } rows[] = {
        {"neither", NULL, NULL, PF_OK, "", ""},
        {"PEM file", p[0], NULL, PF_OK, "", ""},
        {"hashed dir", NULL, p[2], PF_OK, "", ""},
        {"both", p[0], p[2], PF_OK, "", ""},
        {"file without PEM", p[1], NULL, PF_E_INVALID, "no PEM certificate", p[1]},
        {"missing file", p[4], NULL, PF_E_IO, "cannot read the CA file", p[4]},
        {"dir as file", p[2], NULL, PF_E_IO, "not a regular file", p[2]},
        {"dir without hashed names", NULL, p[3], PF_E_INVALID, "openssl rehash", p[3]},
        {"missing dir", NULL, p[4], PF_E_IO, "cannot read the CA directory", p[4]},
        {"file as dir", NULL, p[0], PF_E_IO, "cannot read the CA directory", p[0]},
        {"good file, bad dir", p[0], p[3], PF_E_INVALID, "openssl rehash", p[3]},
    };
    pf_client_options o = pf_client_options_default();
    o.base_url = "https://api.us-1.platform.polyai.app";
    pf_client *c = NULL;
    pf_diag d;
    assert_int_equal(pf_client_create(&o, &c, &d), PF_OK);
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_check_int(rows[i].name, pf_client_set_ca(c, rows[i].file, rows[i].dir, &d),
                     rows[i].want);
        pf_check(rows[i].name, strstr(d.message, rows[i].msg) != NULL);
        pf_check_str(rows[i].name, d.file, rows[i].bad);
    }
    pf_check_int("no client", pf_client_set_ca(NULL, p[0], NULL, &d), PF_E_INVALID);
    pf_client_destroy(c);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- whole sends against the fake API ---- */

/* The injected clock, sleep and jitter; the trace collector. */
struct fake_env {
    int64_t now;
    int64_t sleeps[16];
    size_t nsleeps;
    size_t nrandom;
    unsigned requests_traced, waits_traced;
    bool secret_traced;
};

static int64_t env_now(void *ctx)
{
    return ((struct fake_env *)ctx)->now;
}

static void env_sleep(void *ctx, int64_t ms)
{
    struct fake_env *e = ctx;
    if (e->nsleeps < PF_ARRAY_LEN(e->sleeps))
        e->sleeps[e->nsleeps++] = ms;
    e->now += ms;
}

/* Chosen so that each backoff lands on a recognisable value: retry n has
 * ceiling 1000 * 2^(n-1), and these are ceiling/2, ceiling-1, ceiling ... */
static uint64_t env_random(void *ctx)
{
    static const uint64_t seq[] = {500, 1999, 4000, 7999, 16000, 30000};
    struct fake_env *e = ctx;
    return seq[e->nrandom++ % PF_ARRAY_LEN(seq)];
}

static void env_trace(void *ctx, const pf_send_event *ev)
{
    struct fake_env *e = ctx;
    if (strstr(ev->text, TOKEN) || strstr(ev->text, TOKEN_ID))
        e->secret_traced = true;
    if (ev->kind == PF_SEND_EV_REQUEST)
        e->requests_traced++;
    if (ev->kind == PF_SEND_EV_WAIT)
        e->waits_traced++;
}

static pf_client *make_client(const char *base, struct fake_env *env, unsigned attempts,
                              bool retry_5xx, int64_t timeout_ms, int64_t max_wait_ms)
{
    pf_client_options o = pf_client_options_default();
    o.base_url = base;
    o.auth_token = TOKEN;
    o.token_id = TOKEN_ID;
    if (attempts)
        o.max_attempts = attempts;
    o.retry_server_errors = retry_5xx;
    if (timeout_ms)
        o.timeout_ms = timeout_ms;
    if (max_wait_ms)
        o.max_total_wait_ms = max_wait_ms;
    o.now_ms = env_now;
    o.sleep_ms = env_sleep;
    o.random = env_random;
    o.ctx = env;
    o.trace = env_trace;
    o.trace_ctx = env;
    pf_client *c = NULL;
    pf_diag d;
    if (pf_client_create(&o, &c, &d) != PF_OK) {
        print_error("pf_client_create(%s): %s\n", base, d.message);
        return NULL;
    }
    return c;
}

struct send_row {
    const char *name;
    struct fake_step steps[3]; /* the last repeats */
    size_t nsteps;             /* 0: nothing listens (connection refused) */
    bool agent;
    unsigned attempts; /* 0: the default (5) */
    bool retry_5xx;
    int64_t timeout_ms;  /* 0: the default */
    int64_t max_wait_ms; /* 0: the default */
    pf_send_status want;
    long http;
    unsigned want_attempts;
    size_t requests; /* what the server saw */
    int64_t sleeps[6];
    size_t nsleeps;
    const char *detail; /* substring of the detail; NULL: no detail */
    const char *hint;   /* substring of the hint; NULL: no hint */
};

#define S(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static const struct send_row send_rows[] = {
    {"202", S({.status = 202}), 1, true, 0, false, 0, 0, PF_SEND_ACCEPTED, 202, 1, 1, S(0), 0, NULL,
     NULL},
    {"400 agent", S({.status = 400}), 1, true, 0, false, 0, 0, PF_SEND_REJECTED, 400, 1, 1, S(0), 0,
     "agent_number is not provisioned", "not provisioned for this project"},
    {"400 no agent", S({.status = 400, .body = "{\"detail\":\"user_number is not E.164\"}"}), 1,
     false, 0, false, 0, 0, PF_SEND_REJECTED, 400, 1, 1, S(0), 0, "user_number is not E.164",
     "E.164"},
    {"401", S({.status = 401}), 1, true, 0, false, 0, 0, PF_SEND_REJECTED, 401, 1, 1, S(0), 0,
     "Invalid or missing API key", "missing or invalid"},
    {"403", S({.status = 403}), 1, true, 0, false, 0, 0, PF_SEND_REJECTED, 403, 1, 1, S(0), 0,
     "does not match", "different accounts"},
    {"404", S({.status = 404}), 1, true, 0, false, 0, 0, PF_SEND_REJECTED, 404, 1, 1, S(0), 0,
     "Connector not found", "no numbers provisioned"},
    {"422 validation array",
     S({.status = 422, .body = "{\"detail\":[{\"msg\":\"field required\"}]}"}), 1, true, 0, false,
     0, 0, PF_SEND_REJECTED, 422, 1, 1, S(0), 0, "[{\"msg\":\"field required\"}]", "refused"},
    {"error echoing the credentials is scrubbed",
     S({.status = 400, .body = "{\"detail\":\"token " TOKEN " does not belong to " TOKEN_ID "\"}"}),
     1, true, 0, false, 0, 0, PF_SEND_REJECTED, 400, 1, 1, S(0), 0,
     "token *** does not belong to ***", NULL},
    {"429 Retry-After: 1 then 202", S({.status = 429, .retry_after = "1"}, {.status = 202}), 2,
     true, 0, false, 0, 0, PF_SEND_ACCEPTED, 202, 2, 2, S(1000), 1, NULL, NULL},
    {"429 Retry-After date then 202",
     S({.status = 429, .retry_after = "Thu, 26 Nov 2026 20:00:07 GMT"}, {.status = 202}), 2, true,
     0, false, 0, 0, PF_SEND_ACCEPTED, 202, 2, 2, S(7000), 1, NULL, NULL},
    {"429 Retry-After: 0 then 202", S({.status = 429, .retry_after = "0"}, {.status = 202}), 2,
     true, 0, false, 0, 0, PF_SEND_ACCEPTED, 202, 2, 2, S(0), 1, NULL, NULL},
    {"429 bad Retry-After falls back to backoff",
     S({.status = 429, .retry_after = "whenever"}, {.status = 202}), 2, true, 0, false, 0, 0,
     PF_SEND_ACCEPTED, 202, 2, 2, S(500), 1, NULL, NULL},
    {"429 x3 backoff then 202", S({.status = 429}, {.status = 429}, {.status = 429}), 3, true, 4,
     false, 0, 0, PF_SEND_RATE_LIMITED, 429, 4, 4, S(500, 1999, 4000), 3, "Rate limit exceeded",
     "rate limit"},
    {"429 forever, 5 attempts", S({.status = 429}), 1, true, 0, false, 0, 0, PF_SEND_RATE_LIMITED,
     429, 5, 5, S(500, 1999, 4000, 7999), 4, "Rate limit exceeded", "rate limit"},
    {"429 forever, 1 attempt", S({.status = 429}), 1, true, 1, false, 0, 0, PF_SEND_RATE_LIMITED,
     429, 1, 1, S(0), 0, "Rate limit exceeded", "rate limit"},
    {"429 Retry-After beyond the wait budget", S({.status = 429, .retry_after = "40"}), 1, true, 0,
     false, 0, 60000, PF_SEND_RATE_LIMITED, 429, 2, 2, S(40000), 1, "total wait limit",
     "rate limit"},
    {"429 Retry-After 2 with a 1 s budget", S({.status = 429, .retry_after = "2"}), 1, true, 0,
     false, 0, 1000, PF_SEND_RATE_LIMITED, 429, 1, 1, S(0), 0, "total wait limit of 1000 ms",
     "rate limit"},
    {"500 not retried", S({.status = 500}, {.status = 202}), 2, true, 0, false, 0, 0,
     PF_SEND_UNKNOWN, 500, 1, 1, S(0), 0, "Internal server error", "may or may not"},
    {"502 HTML body", S({.status = 502, .body = "<html>Bad gateway</html>"}), 1, true, 0, false, 0,
     0, PF_SEND_UNKNOWN, 502, 1, 1, S(0), 0, "<html>Bad gateway</html>", "may or may not"},
    {"500 retried when opted in", S({.status = 500}, {.status = 202}), 2, true, 0, true, 0, 0,
     PF_SEND_ACCEPTED, 202, 2, 2, S(500), 1, NULL, NULL},
    {"503 Retry-After honoured when opted in",
     S({.status = 503, .retry_after = "2"}, {.status = 202}), 2, true, 0, true, 0, 0,
     PF_SEND_ACCEPTED, 202, 2, 2, S(2000), 1, NULL, NULL},
    {"500 forever opted in", S({.status = 500}), 1, true, 3, true, 0, 0, PF_SEND_UNKNOWN, 500, 3, 3,
     S(500, 1999), 2, "Internal server error", "may or may not"},
    {"answer after the timeout", S({.status = 202, .delay_ms = 1500}), 1, true, 0, false, 300, 0,
     PF_SEND_UNKNOWN, 0, 1, 1, S(0), 0, "after the request was sent", "may already have been sent"},
    {"connection dropped after the request", S({.status = 0}), 1, true, 0, false, 0, 0,
     PF_SEND_UNKNOWN, 0, 1, 1, S(0), 0, "after the request was sent", "may already have been sent"},
    {"connection refused, retried", S({.status = 0}), 0, true, 3, false, 0, 0,
     PF_SEND_TRANSPORT_ERROR, 0, 3, 0, S(500, 1999), 2, "onnect", "nothing was sent"},
};

static void run_send_row(const struct send_row *row)
{
    struct fake_env env = {.now = NOW_MS};
    struct fake_api *api = NULL;
    char base[64];

    if (row->nsteps) {
        assert_int_equal(fake_api_start(row->steps, row->nsteps, 16, 10000, NULL, &api), 0);
        snprintf(base, sizeof base, "http://127.0.0.1:%u", fake_api_port(api));
    } else {
        unsigned port = fake_api_refused_port();
        assert_true(port != 0);
        snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
    }
    pf_client *c =
        make_client(base, &env, row->attempts, row->retry_5xx, row->timeout_ms, row->max_wait_ms);
    pf_check(row->name, c != NULL);
    pf_send_request req = {TO, MSG, strlen(MSG), row->agent ? FROM : NULL};
    pf_send_result r;
    pf_diag d;
    pf_send_result_init(&r);
    pf_check_int(row->name, pf_client_send(c, &req, &r, &d), PF_OK);
    pf_check_str(row->name, pf_send_status_name(r.status), pf_send_status_name(row->want));
    pf_check_int(row->name, r.http_status, row->http);
    pf_check_int(row->name, r.attempts, row->want_attempts);
    pf_check_int(row->name, api ? fake_api_count(api) : 0, row->requests);
    pf_check_int(row->name, env.nsleeps, row->nsleeps);
    int64_t total = 0;
    for (size_t i = 0; i < row->nsleeps && i < env.nsleeps; i++) {
        pf_check_int(row->name, env.sleeps[i], row->sleeps[i]);
        total += env.sleeps[i];
    }
    pf_check_int(row->name, r.waited_ms, total);
    if (row->detail) {
        if (!r.detail || !strstr(r.detail, row->detail))
            print_error("detail: %s\n", r.detail ? r.detail : "(null)");
        pf_check(row->name, r.detail && strstr(r.detail, row->detail));
    } else {
        pf_check(row->name, r.detail == NULL);
    }
    if (row->hint)
        pf_check(row->name, r.hint && strstr(r.hint, row->hint));
    else if (row->want == PF_SEND_ACCEPTED)
        pf_check(row->name, r.hint == NULL);
    pf_check(row->name, !r.detail || (!strstr(r.detail, TOKEN) && !strstr(r.detail, TOKEN_ID)));
    pf_check(row->name, !env.secret_traced);
    pf_check_int(row->name, env.requests_traced, r.attempts);
    pf_check_int(row->name, env.waits_traced, env.nsleeps);
    pf_send_result_clear(&r);
    pf_client_destroy(c);
    fake_api_destroy(api);
}

static void test_sends(void **state)
{
    (void)state;
    for (size_t i = 0; i < PF_ARRAY_LEN(send_rows); i++)
        run_send_row(&send_rows[i]);
}

/* The exact request: method, path, headers, body; and a second send on
 * the same client (the connection is reused) that lets the API choose. */
static void test_request_shape(void **state)
{
    (void)state;
    static const struct fake_step steps[] = {{.status = 202}};
    struct fake_env env = {.now = NOW_MS};
    struct fake_api *api = NULL;
    char base[64], v[256];

    assert_int_equal(fake_api_start(steps, 1, 4, 10000, NULL, &api), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", fake_api_port(api));
    pf_client *c = make_client(base, &env, 0, false, 0, 0);
    assert_non_null(c);
    static const char msg[] = "Caf\xc3\xa9 \"quoted\"\nline";
    pf_send_request req = {TO, msg, strlen(msg), FROM};
    pf_send_result r;
    pf_diag d;
    pf_send_result_init(&r);
    assert_int_equal(pf_client_send(c, &req, &r, &d), PF_OK);
    assert_int_equal(r.status, PF_SEND_ACCEPTED);
    req.agent_number = NULL;
    assert_int_equal(pf_client_send(c, &req, &r, &d), PF_OK);
    assert_int_equal(r.status, PF_SEND_ACCEPTED);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(fake_api_count(api), 2);

    static const struct {
        const char *name, *want;
    } headers[] = {
        {"X-PolyAi-Auth-Token", TOKEN},
        {"X-TOKEN-ID", TOKEN_ID},
        {"Content-Type", "application/json"},
        {"Accept", "application/json"},
        {"User-Agent", "sms-preflight/" PF_VERSION_STRING},
    };
    static const char *const bodies[] = {
        "{\"user_number\":\"" TO "\",\"message\":\"Caf\xc3\xa9 \\\"quoted\\\"\\nline\","
        "\"agent_number\":\"" FROM "\"}",
        "{\"user_number\":\"" TO "\",\"message\":\"Caf\xc3\xa9 \\\"quoted\\\"\\nline\"}",
    };
    for (size_t i = 0; i < 2; i++) {
        const struct fake_request *q = fake_api_request(api, i);
        pf_check_str(bodies[i], q->method, "POST");
        pf_check_str(bodies[i], q->path, "/v1/outbound-sms");
        for (size_t h = 0; h < PF_ARRAY_LEN(headers); h++) {
            pf_check(headers[h].name, fake_api_header(q, headers[h].name, v, sizeof v));
            pf_check_str(headers[h].name, v, headers[h].want);
        }
        pf_check("no Expect", !fake_api_header(q, "Expect", v, sizeof v));
        pf_check_str("body", q->body, bodies[i]);
    }
    pf_send_result_clear(&r);
    pf_client_destroy(c);
    fake_api_destroy(api);
}

/* A reused connection that the server drops without answering: libcurl
 * would resend on a fresh one, but the first request may have been taken
 * (a text sent), so the outcome is unknown and nothing goes out twice. */
static void test_no_resend_on_reused_connection(void **state)
{
    (void)state;
    static const struct fake_step steps[] = {{.status = 202}, {.status = 0}};
    struct fake_env env = {.now = NOW_MS};
    struct fake_api *api = NULL;
    char base[64];

    assert_int_equal(fake_api_start(steps, 2, 8, 10000, NULL, &api), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", fake_api_port(api));
    pf_client *c = make_client(base, &env, 0, false, 0, 0);
    assert_non_null(c);
    pf_send_request req = {TO, "hi", 2, FROM};
    pf_send_result r;
    pf_diag d;
    pf_send_result_init(&r);
    assert_int_equal(pf_client_send(c, &req, &r, &d), PF_OK);
    assert_int_equal(r.status, PF_SEND_ACCEPTED);
    assert_int_equal(pf_client_send(c, &req, &r, &d), PF_OK); /* same connection, dropped */
    assert_int_equal(r.status, PF_SEND_UNKNOWN);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(fake_api_count(api), 2);
    pf_send_result_clear(&r);
    pf_client_destroy(c);
    fake_api_destroy(api);
}

/* pf_client_send_as: this call's credentials go out (the client's own
 * after it), the final response is kept for relaying, scrubbed, with its
 * Content-Type and Retry-After; a credential no header can carry is
 * refused before anything is sent. */
static void test_send_as(void **state)
{
    (void)state;
    static const char other_tok[] = "caller-TOKEN-123456", other_id[] = "caller-ID-98765";
    static const struct fake_step steps[] = {
        {.status = 429, .retry_after = "7", .content_type = "application/problem+json",
         .body = "{\"detail\":\"slow down caller-TOKEN-123456\"}"},
        {.status = 202},
    };
    struct fake_env env = {.now = NOW_MS};
    struct fake_api *api = NULL;
    char base[64], v[256];

    assert_int_equal(fake_api_start(steps, 2, 4, 10000, NULL, &api), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", fake_api_port(api));
    pf_client *c = make_client(base, &env, 1, false, 0, 0); /* 429 not retried */
    assert_non_null(c);
    pf_send_request req = {TO, "hi", 2, FROM};
    pf_send_result r;
    pf_send_response resp;
    pf_diag d;
    pf_send_result_init(&r);
    pf_send_response_init(&resp);
    assert_int_equal(pf_client_send_as(c, &req, "bad token", other_id, &r, &resp, &d), PF_E_INVALID);
    pf_check("never echoed", strstr(d.message, "bad token") == NULL);
    assert_int_equal(fake_api_count(api), 0);
    assert_int_equal(pf_client_send_as(c, &req, other_tok, other_id, &r, &resp, &d), PF_OK);
    assert_int_equal(r.status, PF_SEND_RATE_LIMITED);
    assert_int_equal(r.http_status, 429);
    pf_check_str("kept body, scrubbed", resp.body, "{\"detail\":\"slow down ***\"}");
    assert_int_equal(resp.body_len, strlen(resp.body));
    pf_check_str("retry-after", resp.retry_after, "7");
    pf_check_str("content type", resp.content_type, "application/problem+json");
    pf_check("detail scrubbed", r.detail && strstr(r.detail, other_tok) == NULL);
    /* The client's own credentials again without the per-call ones. */
    assert_int_equal(pf_client_send(c, &req, &r, &d), PF_OK);
    assert_int_equal(r.status, PF_SEND_ACCEPTED);
    assert_int_equal(fake_api_count(api), 2);
    const struct fake_request *q = fake_api_request(api, 0);
    pf_check("caller token", fake_api_header(q, "X-PolyAi-Auth-Token", v, sizeof v));
    pf_check_str("caller token", v, other_tok);
    pf_check("caller id", fake_api_header(q, "X-TOKEN-ID", v, sizeof v));
    pf_check_str("caller id", v, other_id);
    pf_check("no Expect", !fake_api_header(q, "Expect", v, sizeof v));
    q = fake_api_request(api, 1);
    pf_check("own token", fake_api_header(q, "X-PolyAi-Auth-Token", v, sizeof v));
    pf_check_str("own token", v, TOKEN);
    pf_send_response_clear(&resp);
    pf_send_result_clear(&r);
    pf_client_destroy(c);
    fake_api_destroy(api);
}

/* The preview is the request, credentials shown as ***, with or without them. */
static void test_preview(void **state)
{
    (void)state;
    for (int with_creds = 0; with_creds < 2; with_creds++) {
        pf_client_options o = pf_client_options_default();
        o.base_url = "https://api.euw-1.platform.polyai.app/";
        if (with_creds) {
            o.auth_token = TOKEN;
            o.token_id = TOKEN_ID;
        }
        pf_client *c = NULL;
        pf_diag d;
        assert_int_equal(pf_client_create(&o, &c, &d), PF_OK);
        pf_send_request req = {TO, MSG, strlen(MSG), FROM};
        pf_request_preview p;
        assert_int_equal(pf_client_preview(c, &req, &p, &d), PF_OK);
        pf_check_str("method", p.method, "POST");
        pf_check_str("url", p.url, "https://api.euw-1.platform.polyai.app/v1/outbound-sms");
        static const char *const want[][2] = {
            {"X-PolyAi-Auth-Token", "***"},
            {"X-TOKEN-ID", "***"},
            {"Content-Type", "application/json"},
            {"Accept", "application/json"},
            {"User-Agent", "sms-preflight/" PF_VERSION_STRING},
            {"Content-Length", "121"},
        };
        pf_check_int("headers", p.header_count, PF_ARRAY_LEN(want));
        for (size_t i = 0; i < PF_ARRAY_LEN(want) && i < p.header_count; i++) {
            pf_check_str(want[i][0], p.header_names[i], want[i][0]);
            pf_check_str(want[i][0], p.header_values[i], want[i][1]);
        }
        pf_check_str("body", p.body,
                     "{\"user_number\":\"" TO "\",\"message\":\"" MSG "\",\"agent_number\":\"" FROM
                     "\"}");
        pf_check_int("body_len", p.body_len, strlen(p.body));
        pf_request_preview_clear(&p);
        pf_client_destroy(c);
    }
}

/* Requests the client refuses: nothing reaches the server. */
static void test_bad_requests(void **state)
{
    (void)state;
    static const struct fake_step steps[] = {{.status = 202}};
    static const struct {
        const char *name, *to, *msg;
        size_t len;
        const char *agent;
        bool creds;
        pf_status want;
    } rows[] = {
        {"no credentials", TO, MSG, sizeof MSG - 1, NULL, false, PF_E_INVALID},
        {"national recipient", "(415) 555-2671", MSG, sizeof MSG - 1, NULL, true, PF_E_INVALID},
        {"recipient with spaces", "+1 415 555 2671", MSG, sizeof MSG - 1, NULL, true, PF_E_INVALID},
        {"no recipient", NULL, MSG, sizeof MSG - 1, NULL, true, PF_E_INVALID},
        {"bad agent", TO, MSG, sizeof MSG - 1, "4155550132", true, PF_E_INVALID},
        {"no message", TO, NULL, 0, NULL, true, PF_E_INVALID},
        {"NUL in message", TO, "a\0b", 3, NULL, true, PF_E_INVALID},
        {"invalid UTF-8", TO, "caf\xc3(", 5, NULL, true, PF_E_UTF8},
    };
    struct fake_api *api = NULL;
    char base[64];
    assert_int_equal(fake_api_start(steps, 1, 4, 10000, NULL, &api), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", fake_api_port(api));
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_client_options o = pf_client_options_default();
        o.base_url = base;
        if (rows[i].creds) {
            o.auth_token = TOKEN;
            o.token_id = TOKEN_ID;
        }
        pf_client *c = NULL;
        pf_diag d;
        assert_int_equal(pf_client_create(&o, &c, &d), PF_OK);
        pf_send_request req = {rows[i].to, rows[i].msg, rows[i].len, rows[i].agent};
        pf_send_result r;
        pf_send_result_init(&r);
        pf_check_int(rows[i].name, pf_client_send(c, &req, &r, &d), rows[i].want);
        pf_check(rows[i].name, d.message[0] != '\0');
        pf_check_int(rows[i].name, r.attempts, 0);
        pf_send_result_clear(&r);
        pf_client_destroy(c);
    }
    pf_check_int("requests", fake_api_count(api), 0);
    fake_api_destroy(api);
}

/* The step parser the CLI cases' server uses. */
static void test_fake_steps(void **state)
{
    (void)state;
    char a[] = "429;ra=Thu, 26 Nov 2026 20:00:07 GMT;delay=5";
    char b[] = "400;body={\"detail\":\"a;b\"}";
    char c[] = "drop";
    char e[] = "429;bogus=1";
    struct fake_step s;
    assert_int_equal(fake_api_parse_step(a, &s), 0);
    pf_check_int("a", s.status, 429);
    pf_check_str("a", s.retry_after, "Thu, 26 Nov 2026 20:00:07 GMT");
    pf_check_int("a", s.delay_ms, 5);
    assert_int_equal(fake_api_parse_step(b, &s), 0);
    pf_check_str("b", s.body, "{\"detail\":\"a;b\"}");
    assert_int_equal(fake_api_parse_step(c, &s), 0);
    pf_check_int("c", s.status, 0);
    assert_int_equal(fake_api_parse_step(e, &s), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after),    cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_classify_http),  cmocka_unit_test(test_classify_curl),
        cmocka_unit_test(test_error_detail),   cmocka_unit_test(test_endpoint),
        cmocka_unit_test(test_create_options), cmocka_unit_test(test_sends),
        cmocka_unit_test(test_request_shape),  cmocka_unit_test(test_preview),
        cmocka_unit_test(test_bad_requests),   cmocka_unit_test(test_fake_steps),
        cmocka_unit_test(test_send_as), cmocka_unit_test(test_no_resend_on_reused_connection),
        cmocka_unit_test(test_set_ca),
    };
    return cmocka_run_group_tests_name("outbound", tests, NULL, NULL);
}
