/*
 * fuzz_serve.c — the gateway's request body (`preflight serve`): any bytes
 * must be refused with a one-line reason, or parsed into strings that are
 * valid UTF-8 and then checked and rendered as the gateway does, never a
 * crash. The shipped rules and table are loaded once per process.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "serve.h"

static pf_checker *checker;

static void load(void)
{
    pf_session_options *o = NULL;
    pf_session *session = NULL;
    pf_diag d;
    if (pf_session_options_create(&o) != PF_OK ||
        pf_session_options_add_rules_dir(o, PF_SOURCE_DIR "/rules") != PF_OK ||
        pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/data") != PF_OK ||
        pf_session_open(o, &session, &d) != PF_OK || pf_checker_create(session, &checker, &d) != PF_OK)
        abort();
    pf_session_options_destroy(o);
    pf_session_unref(session); /* the checker holds its own reference */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct serve_input in;
    char why[512];
    if (!checker)
        load();
    const char *err = serve_parse_body((const char *)data, size, &in, why, sizeof why);
    if (err) {
        /* One line, never empty. */
        if (!*err || strchr(err, '\n'))
            abort();
        serve_input_clear(&in);
        return 0;
    }
    if (!in.user_number || !in.message)
        abort();
    size_t bad;
    if (pf_utf8_validate(in.message, strlen(in.message), &bad) != PF_OK)
        abort();
    pf_check_input ci = pf_check_input_default();
    ci.to = in.user_number;
    ci.to_len = strlen(in.user_number);
    ci.message = in.message;
    ci.message_len = strlen(in.message);
    ci.agent_number = in.agent_number;
    ci.send_time = 1795000000;
    pf_verdict v;
    pf_diag d;
    pf_verdict_init(&v);
    if (pf_checker_check(checker, &ci, &v, &d) == PF_OK) {
        char *json = NULL;
        if (pf_verdict_to_json(&v, PF_JSON_PRETTY | PF_JSON_NEWLINE, &json, NULL) != PF_OK)
            abort();
        free(json);
    }
    pf_verdict_clear(&v);
    serve_input_clear(&in);
    return 0;
}
