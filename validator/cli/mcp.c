/*
 * mcp.c — the Model Context Protocol request handler behind `preflight
 * mcp`: JSON-RPC 2.0 framing, version negotiation, the tool list and the
 * tools themselves, each answering with exactly the JSON the matching CLI
 * command prints (`structuredContent`) plus a short summary for a model.
 *
 * Errors follow JSON-RPC: a line that is not JSON is -32700, a message that
 * is not a request -32600, an unknown method -32601, arguments that do not
 * fit the tool's input schema -32602 naming the field. A tool that runs but
 * cannot use its input (an unknown region, a time without an offset)
 * answers a result with isError, as MCP asks, so the model can correct it.
 */
#include "mcp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "report.h"

/* Newest first: the answer to a version we do not know is the first. */
static const char *const versions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

enum { RPC_PARSE = -32700, RPC_REQUEST = -32600, RPC_METHOD = -32601, RPC_PARAMS = -32602 };

/* ---- argument descriptors: one table gives both the published input
 * schema and the checks the handler runs before a tool sees its input ---- */

enum arg_kind { ARG_STRING, ARG_BOOL, ARG_STRINGS, ARG_OBJECT };

struct arg {
    const char *name;
    enum arg_kind kind;
    bool required;
    const char *description;
    const char *const *choices; /* for strings: the allowed values, NULL-terminated */
    int max_items;              /* for string lists */
};

/* What a tool hands back: a structured result and its summary, or an
 * error the model should see (isError), or a parameter error. */
struct call {
    bool is_error; /* a result the model must not miss (a send that failed) */
    cJSON *structured;
    char *summary;
    char *tool_error;
    char *param_field; /* -32602: the field, e.g. "arguments.to" */
    char *param_message;
};

struct tool {
    const char *name;
    const char *title;
    const char *description;
    const struct arg *args;
    const char *output_schema; /* JSON text */
    bool (*run)(struct mcp_server *s, const cJSON *args, struct call *call);
    bool sends; /* listed and callable only with --allow-send */
};

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (out)
        vsnprintf(out, (size_t)n + 1, fmt, ap);
    return out;
}

static bool tool_error(struct call *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool tool_error(struct call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    call->tool_error = vformat(fmt, ap);
    va_end(ap);
    return call->tool_error != NULL;
}

static bool param_error(struct call *call, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool param_error(struct call *call, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    call->param_message = vformat(fmt, ap);
    va_end(ap);
    call->param_field = strdup(field);
    return call->param_message && call->param_field;
}

/* A string argument must be valid UTF-8 and at most PF_MESSAGE_MAX bytes:
 * what the CLI accepts for a message. */
static bool check_string(const cJSON *v, const char *field, struct call *call)
{
    size_t len = strlen(v->valuestring), bad;
    if (len > PF_MESSAGE_MAX)
        return !param_error(call, field, "%s: %zu bytes; the limit is %u", field, len,
                            PF_MESSAGE_MAX);
    if (pf_utf8_validate(v->valuestring, len, &bad) != PF_OK)
        return !param_error(call, field, "%s: invalid UTF-8 at byte %zu", field, bad);
    return true;
}

static const char *kind_name(enum arg_kind k)
{
    switch (k) {
    case ARG_STRING: return "a string";
    case ARG_BOOL: return "true or false";
    case ARG_STRINGS: return "an array of strings";
    case ARG_OBJECT: return "an object";
    }
    return "?";
}

/* Check args against the descriptors. False with call's param error set
 * (or nothing set when memory ran out). */
static bool check_args(const struct tool *t, const cJSON *args, struct call *call)
{
    char field[160];
    for (const cJSON *v = args->child; v; v = v->next) {
        const struct arg *a = t->args;
        while (a->name && strcmp(a->name, v->string) != 0)
            a++;
        snprintf(field, sizeof field, "arguments.%.120s", v->string);
        if (!a->name) {
            char known[512] = "";
            for (const struct arg *k = t->args; k->name; k++) {
                strncat(known, k->name, sizeof known - strlen(known) - 3);
                if (k[1].name)
                    strncat(known, ", ", sizeof known - strlen(known) - 1);
            }
            param_error(call, field, "%s: the %s tool takes no such argument (it takes %s)", field,
                        t->name, known);
            return false;
        }
        bool ok = (a->kind == ARG_STRING && cJSON_IsString(v)) ||
                  (a->kind == ARG_BOOL && cJSON_IsBool(v)) ||
                  (a->kind == ARG_STRINGS && cJSON_IsArray(v)) ||
                  (a->kind == ARG_OBJECT && cJSON_IsObject(v));
        if (!ok) {
            param_error(call, field, "%s: must be %s", field, kind_name(a->kind));
            return false;
        }
        if (a->kind == ARG_STRING) {
            if (!check_string(v, field, call))
                return false;
            if (a->choices) {
                const char *const *c = a->choices;
                while (*c && strcmp(*c, v->valuestring) != 0)
                    c++;
                if (!*c) {
                    char list[256] = "";
                    for (c = a->choices; *c; c++) {
                        strncat(list, *c, sizeof list - strlen(list) - 3);
                        if (c[1])
                            strncat(list, ", ", sizeof list - strlen(list) - 1);
                    }
                    param_error(call, field, "%s: must be one of %s", field, list);
                    return false;
                }
            }
        }
        if (a->kind == ARG_STRINGS) {
            int n = cJSON_GetArraySize(v), i = 0;
            if (n == 0 || (a->max_items && n > a->max_items)) {
                param_error(call, field, "%s: must hold 1 to %d strings", field, a->max_items);
                return false;
            }
            for (const cJSON *e = v->child; e; e = e->next, i++) {
                char item[200];
                snprintf(item, sizeof item, "%s[%d]", field, i);
                if (!cJSON_IsString(e)) {
                    param_error(call, item, "%s: must be a string", item);
                    return false;
                }
                if (!check_string(e, item, call))
                    return false;
            }
        }
    }
    for (const struct arg *a = t->args; a->name; a++) {
        if (a->required && !cJSON_GetObjectItemCaseSensitive(args, a->name)) {
            snprintf(field, sizeof field, "arguments.%s", a->name);
            param_error(call, field, "%s: required", field);
            return false;
        }
    }
    return true;
}

static const char *str_arg(const cJSON *args, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static pf_first_message first_arg(const cJSON *args)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, "first_message");
    if (!cJSON_IsBool(v))
        return PF_FIRST_UNKNOWN;
    return cJSON_IsTrue(v) ? PF_FIRST_YES : PF_FIRST_NO;
}

/*
 * The rule ids not to run: the session's (its config's and options'), then
 * the call's "disable" list, every one of which must name a loaded rule.
 * *out is an array of borrowed pointers the caller frees. When session is
 * false only the call's ids are given (the checker adds the session's).
 */
static bool disabled_arg(struct mcp_server *s, const cJSON *args, bool session, const char ***out,
                         size_t *n, struct call *call)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, "disable");
    size_t base_n = 0;
    const char *const *base = session ? pf_session_disabled_rules(s->session, &base_n) : NULL;
    size_t count = base_n + (size_t)(v ? cJSON_GetArraySize(v) : 0);
    *n = 0;
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out)
        return false;
    for (size_t i = 0; i < base_n; i++)
        (*out)[(*n)++] = base[i];
    for (const cJSON *e = v ? v->child : NULL; e; e = e->next) {
        if (!pf_rules_find(pf_session_rules(s->session), e->valuestring))
            return tool_error(call, "disable: no rule has the id '%s'", e->valuestring) && false;
        (*out)[(*n)++] = e->valuestring;
    }
    return true;
}

/* "- [block] id: message Fix: fix" for each finding at warn or above,
 * then how many info findings there are. */
static bool summarize(const char *head, const pf_finding_list *f, struct call *call)
{
    size_t cap = 256 + strlen(head), infos = 0;
    for (size_t i = 0; i < f->count; i++)
        cap += 64 + strlen(f->items[i].id) + strlen(f->items[i].message) +
               (f->items[i].fix ? strlen(f->items[i].fix) : 0);
    char *out = malloc(cap), *p = out;
    if (!out)
        return false;
    p += snprintf(p, cap, "%s", head);
    for (size_t i = 0; i < f->count; i++) {
        const pf_finding *x = &f->items[i];
        if (x->severity == PF_SEV_INFO) {
            infos++;
            continue;
        }
        p += snprintf(p, cap - (size_t)(p - out), "\n- [%s] %s: %s%s%s",
                      pf_severity_name(x->severity), x->id, x->message, x->fix ? " Fix: " : "",
                      x->fix ? x->fix : "");
    }
    if (infos)
        snprintf(p, cap - (size_t)(p - out), "\n(%zu informational finding%s in the result)",
                 infos, infos == 1 ? "" : "s");
    call->summary = out;
    return true;
}

static const char *verdict_advice(const char *verdict)
{
    if (strcmp(verdict, "block") == 0)
        return "BLOCK: do not send this; fix every block finding first.";
    if (strcmp(verdict, "warn") == 0)
        return "WARN: it may be sent, but carriers may filter it; review the warnings.";
    return "PASS: nothing found against sending it.";
}

/* ---- the tools ---- */

static const char *const purposes[] = {"transactional", "promotional", NULL};
static const char *const envs[] = {"dev", "sandbox", "live", NULL};
static const char *const sender_kinds[] = {"long_code", "toll_free", "short_code", "alphanumeric",
                                           NULL};
static const char *const charsets[] = {"gsm7", "unicode", NULL};

static const struct arg check_args_def[] = {
    {"to", ARG_STRING, true, "Recipient phone number, E.164 (+14155552671).", NULL, 0},
    {"message", ARG_STRING, true, "The message text exactly as it will be sent (UTF-8).", NULL, 0},
    {"agent_number", ARG_STRING, false,
     "Sender number (E.164). Omit to let the checker pick one of the project's numbers.", NULL, 0},
    {"first_message", ARG_BOOL, false,
     "true when this is the first message to this person (opt-out and brand rules then block); "
     "false when they have had messages before. Omit when unknown.",
     NULL, 0},
    {"purpose", ARG_STRING, false, "transactional or promotional (decides marketing quiet hours).",
     purposes, 0},
    {"at", ARG_STRING, false,
     "Send time, ISO 8601 with a UTC offset (2026-11-26T14:30:00-05:00). Default: now.", NULL, 0},
    {"region", ARG_STRING, false, "Region (ISO 3166-1 alpha-2) for a recipient written without '+'.",
     NULL, 0},
    {"env", ARG_STRING, false, "Project environment whose numbers may send (default: the config's).",
     envs, 0},
    {"disable", ARG_STRINGS, false, "Content rule ids not to run.", NULL, 64},
    {NULL, ARG_STRING, false, NULL, NULL, 0},
};

static const struct arg scan_args_def[] = {
    {"message", ARG_STRING, true, "The message text (UTF-8).", NULL, 0},
    {"country", ARG_STRING, false,
     "Recipient country (ISO 3166-1 alpha-2). Without it, country-scoped rules do not run.", NULL,
     0},
    {"first_message", ARG_BOOL, false,
     "true for a first message to the person, false if not; omit when unknown.", NULL, 0},
    {"brand", ARG_STRING, false, "Brand name a first message must carry.", NULL, 0},
    {"sender", ARG_STRING, false, "Kind of sender number.", sender_kinds, 0},
    {"disable", ARG_STRINGS, false, "Content rule ids not to run.", NULL, 64},
    {NULL, ARG_STRING, false, NULL, NULL, 0},
};

static const struct arg segments_args_def[] = {
    {"message", ARG_STRING, true, "The message text (UTF-8).", NULL, 0},
    {NULL, ARG_STRING, false, NULL, NULL, 0},
};

static const struct arg number_args_def[] = {
    {"numbers", ARG_STRINGS, true, "Phone numbers to parse (1 to 100).", NULL, 100},
    {"region", ARG_STRING, false, "Region (ISO 3166-1 alpha-2) for numbers written without '+'.",
     NULL, 0},
    {NULL, ARG_STRING, false, NULL, NULL, 0},
};

static const struct arg countries_args_def[] = {
    {"codes", ARG_STRINGS, true, "Region codes (ISO 3166-1 alpha-2, e.g. [\"US\", \"DE\"]), 1 to 20.",
     NULL, 20},
    {NULL, ARG_STRING, false, NULL, NULL, 0},
};

static const struct arg lint_args_def[] = {
    {"text", ARG_STRING, true,
     "The template text; placeholders are written {{name}} and stand for values filled in later.",
     NULL, 0},
    {"name", ARG_STRING, false, "A name for the template (default: template).", NULL, 0},
    {"variables", ARG_OBJECT, false,
     "The placeholders it may use: {\"first_name\": {\"max_length\": 20, \"charset\": \"unicode\"}}. "
     "max_length (characters, default 20) and charset (gsm7 or unicode) give the worst-case length.",
     NULL, 0},
    {"first_message", ARG_BOOL, false, "true when the template is a first message to the person.",
     NULL, 0},
    {"countries", ARG_STRINGS, false, "Countries it is sent to (ISO 3166-1 alpha-2).", NULL,
     PF_LINT_MAX_COUNTRIES},
    {NULL, ARG_STRING, false, NULL, NULL, 0},
};

static bool ensure_checker(struct mcp_server *s)
{
    pf_diag d;
    return s->checker || pf_checker_create(s->session, &s->checker, &d) == PF_OK;
}

static bool ensure_scanner(struct mcp_server *s)
{
    return s->scanner || pf_scanner_create(pf_session_rules(s->session), &s->scanner) == PF_OK;
}

/*
 * The check's input from check's (and send's) arguments. False when the
 * tool cannot use them (call's tool error set) or memory ran out (nothing
 * set); *dis is the disabled-id array the caller frees either way.
 */
static bool check_input(struct mcp_server *s, const cJSON *args, pf_check_input *in,
                        const char ***dis, struct call *call)
{
    const char *at = str_arg(args, "at"), *env = str_arg(args, "env");
    size_t ndis = 0;

    *in = pf_check_input_default();
    *dis = NULL;
    in->to = str_arg(args, "to");
    in->to_len = strlen(in->to);
    in->message = str_arg(args, "message");
    in->message_len = strlen(in->message);
    in->agent_number = str_arg(args, "agent_number");
    in->first_message = first_arg(args);
    in->region = str_arg(args, "region");
    if (str_arg(args, "purpose"))
        in->purpose = strcmp(str_arg(args, "purpose"), "promotional") == 0
                          ? PF_PURPOSE_PROMOTIONAL
                          : PF_PURPOSE_TRANSACTIONAL;
    if (env) {
        pf_environment e;
        pf_environment_from_name(env, &e); /* the schema's choices are the names */
        in->environment = (int)e;
    }
    if (at) {
        if (pf_time_parse(at, &in->send_time) != PF_OK)
            return !tool_error(call,
                               "at: '%s' is not an ISO 8601 time with an offset, e.g. "
                               "2026-11-26T14:30:00-05:00",
                               at);
    } else {
        in->send_time = (int64_t)time(NULL);
    }
    pf_diag rd;
    if (in->region && pf_region_check(in->region, &rd) != PF_OK)
        return !tool_error(call, "region: %s", rd.message);
    if (!disabled_arg(s, args, false, dis, &ndis, call))
        return false;
    in->disabled = *dis;
    in->disabled_count = ndis;
    return true;
}

static bool run_check(struct mcp_server *s, const cJSON *args, struct call *call)
{
    pf_check_input in;
    pf_verdict v;
    pf_diag d;
    const char **dis = NULL;
    bool ok = false;

    pf_verdict_init(&v);
    memset(&d, 0, sizeof d);
    if (!check_input(s, args, &in, &dis, call)) {
        ok = call->tool_error != NULL;
        goto out;
    }
    if (!ensure_checker(s))
        goto out;
    if (pf_checker_check(s->checker, &in, &v, &d) != PF_OK) {
        if (d.status == PF_E_NOMEM)
            goto out;
        ok = tool_error(call, "%s", d.message);
        goto out;
    }
    call->structured = pf_report_json_verdict(&v);
    ok = call->structured && summarize(verdict_advice(pf_verdict_name(v.verdict)), &v.findings, call);
out:
    free(dis);
    pf_verdict_clear(&v);
    return ok;
}

/*
 * The gated send, exactly as `preflight send`: the library checks, refuses
 * on block (or warn under fail-on warn) without any request, and otherwise
 * sends with the checked sender named explicitly. A send that went out but
 * was not accepted is a result with isError, so the model cannot miss it.
 */
static bool run_send(struct mcp_server *s, const cJSON *args, struct call *call)
{
    pf_check_input in;
    pf_send_outcome oc;
    pf_diag d;
    const char **dis = NULL;
    char *json = NULL, head[512];
    bool ok = false;

    pf_send_outcome_init(&oc);
    memset(&d, 0, sizeof d);
    if (!check_input(s, args, &in, &dis, call)) {
        ok = call->tool_error != NULL;
        goto out;
    }
    if (pf_sender_send(s->sender, &in, &oc, &d) != PF_OK) {
        if (d.status != PF_E_NOMEM)
            ok = tool_error(call, "not sent: %s", d.message);
        goto out;
    }
    if (pf_send_outcome_to_json(&oc, 0, &json, NULL) != PF_OK ||
        !(call->structured = cJSON_Parse(json)))
        goto out;
    const pf_send_result *r = &oc.result;
    switch (oc.gate) {
    case PF_GATE_BLOCKED:
    case PF_GATE_STOPPED:
        snprintf(head, sizeof head, "NOT SENT: %s. Nothing was sent; fix the findings below.",
                 oc.reason ? oc.reason : "the verdict stops it");
        break;
    case PF_GATE_DRY_RUN: snprintf(head, sizeof head, "DRY RUN: allowed; nothing was sent."); break;
    case PF_GATE_SENT:
        if (r->status == PF_SEND_ACCEPTED) {
            snprintf(head, sizeof head, "SENT: accepted by the API (HTTP %ld).", r->http_status);
        } else {
            call->is_error = true;
            snprintf(head, sizeof head,
                     "FAILED: the API did not accept it (%s, HTTP %ld, %u attempt%s)%s%s. Do not "
                     "send it again before finding out whether it went out.",
                     pf_send_status_name(r->status), r->http_status, r->attempts,
                     r->attempts == 1 ? "" : "s", r->detail ? ": " : "", r->detail ? r->detail : "");
        }
        break;
    }
    ok = summarize(head, &oc.verdict.findings, call);
out:
    free(json);
    free(dis);
    pf_send_outcome_clear(&oc);
    return ok;
}

static bool run_scan(struct mcp_server *s, const cJSON *args, struct call *call)
{
    pf_scan_options so = pf_scan_options_default();
    pf_finding_list findings;
    pf_segments *seg = NULL;
    const char **dis = NULL;
    const char *msg = str_arg(args, "message"), *sender = str_arg(args, "sender");
    size_t len = strlen(msg);
    bool ok = false;
    pf_diag d;

    pf_finding_list_init(&findings);
    so.country = str_arg(args, "country");
    so.first_message = first_arg(args);
    so.brand = str_arg(args, "brand");
    if (sender)
        pf_sender_type_from_name(sender, &so.sender); /* the schema's choices are the names */
    if (so.country &&
        !(so.country_entry = pf_countries_get(pf_session_countries(s->session), so.country))) {
        ok = tool_error(call, "country: '%s' is not a region in the table (ISO 3166-1 alpha-2, "
                              "upper case, e.g. DE)",
                        so.country);
        goto out;
    }
    if (!disabled_arg(s, args, true, &dis, &so.disabled_count, call)) {
        ok = call->tool_error != NULL;
        goto out;
    }
    so.disabled = dis;
    if (!ensure_scanner(s))
        goto out;
    if (pf_segments_compute(msg, len, &seg, &d) != PF_OK ||
        pf_message_check(msg, len, seg, PF_SEGMENTS_MAX_DEFAULT, &findings) != PF_OK ||
        pf_scanner_scan(s->scanner, msg, len, &so, &findings, &d) != PF_OK) {
        if (d.status != PF_E_NOMEM)
            ok = tool_error(call, "%s", d.message);
        goto out;
    }
    pf_finding_list_sort(&findings);
    call->structured = pf_report_json_scan(so.country, seg, &findings);
    ok = call->structured &&
         summarize(verdict_advice(pf_report_verdict_name(&findings)), &findings, call);
out:
    free(dis);
    pf_segments_destroy(seg);
    pf_finding_list_clear(&findings);
    return ok;
}

static bool run_segments(struct mcp_server *s, const cJSON *args, struct call *call)
{
    (void)s;
    const char *msg = str_arg(args, "message");
    size_t len = strlen(msg);
    pf_segments *seg = NULL;
    pf_diag d;
    if (pf_segments_compute(msg, len, &seg, &d) != PF_OK)
        return d.status != PF_E_NOMEM && tool_error(call, "%s", d.message);
    call->structured = pf_report_json_segments(msg, len, seg);
    char head[160];
    snprintf(head, sizeof head, "%s, %zu characters, %zu segment%s%s",
             pf_encoding_name(seg->encoding), seg->characters, seg->segment_count,
             seg->segment_count == 1 ? "" : "s",
             seg->encoding == PF_ENC_UCS2 ? " (characters outside GSM-7 force UCS-2: see "
                                            "ucs2_characters for replacements)"
                                          : "");
    call->summary = strdup(head);
    pf_segments_destroy(seg);
    return call->structured && call->summary;
}

static bool run_number(struct mcp_server *s, const cJSON *args, struct call *call)
{
    (void)s;
    const char *region = str_arg(args, "region");
    size_t valid = 0, total = 0;
    pf_diag rd;
    if (region && pf_region_check(region, &rd) != PF_OK)
        return tool_error(call, "region: %s", rd.message);
    cJSON *list = cJSON_CreateArray();
    call->structured = cJSON_CreateObject();
    if (!list || !call->structured || !cJSON_AddItemToObject(call->structured, "numbers", list)) {
        cJSON_Delete(list);
        return false;
    }
    for (const cJSON *e = cJSON_GetObjectItemCaseSensitive(args, "numbers")->child; e;
         e = e->next, total++) {
        pf_number n;
        pf_diag d;
        pf_status st = pf_number_parse(e->valuestring, strlen(e->valuestring), region, &n, &d);
        if (st == PF_E_NOMEM)
            return false;
        if (st == PF_OK && n.valid)
            valid++;
        cJSON *o = pf_report_json_number(&n, st == PF_OK ? NULL : d.message);
        if (!o || !cJSON_AddItemToArray(list, o)) {
            cJSON_Delete(o);
            return false;
        }
    }
    char head[96];
    snprintf(head, sizeof head, "%zu of %zu number%s valid", valid, total, total == 1 ? "" : "s");
    return (call->summary = strdup(head)) != NULL;
}

static bool run_countries(struct mcp_server *s, const cJSON *args, struct call *call)
{
    cJSON *list = cJSON_CreateArray();
    call->structured = cJSON_CreateObject();
    if (!list || !call->structured || !cJSON_AddItemToObject(call->structured, "countries", list)) {
        cJSON_Delete(list);
        return false;
    }
    size_t cap = 64, used = 0;
    char *sum = malloc(cap);
    if (!sum)
        return false;
    sum[0] = '\0';
    for (const cJSON *e = cJSON_GetObjectItemCaseSensitive(args, "codes")->child; e; e = e->next) {
        const pf_country *c = pf_countries_get(pf_session_countries(s->session), e->valuestring);
        if (!c) {
            free(sum);
            return tool_error(call, "codes: '%s' is not a region in the table (ISO 3166-1 "
                                    "alpha-2, upper case, e.g. DE)",
                              e->valuestring);
        }
        cJSON *o = pf_report_json_country(c);
        if (!o || !cJSON_AddItemToArray(list, o)) {
            cJSON_Delete(o);
            free(sum);
            return false;
        }
        size_t need = used + strlen(c->name) + 64;
        if (need > cap) {
            char *grown = realloc(sum, need * 2);
            if (!grown) {
                free(sum);
                return false;
            }
            sum = grown;
            cap = need * 2;
        }
        used += (size_t)snprintf(sum + used, cap - used, "%s%s (%s): SMS %s, two-way %s",
                                 used ? "\n" : "", c->name, c->code, pf_tri_name(c->sms),
                                 pf_tri_name(c->two_way));
    }
    call->summary = sum;
    return true;
}

/* One template as the lint loader reads a JSON template file, so the
 * tool's template means exactly what a file's does. */
static char *lint_document(const cJSON *args)
{
    cJSON *doc = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(doc, "templates");
    cJSON *t = cJSON_CreateObject();
    if (!doc || !list || !t || !cJSON_AddItemToArray(list, t)) {
        cJSON_Delete(t);
        cJSON_Delete(doc);
        return NULL;
    }
    const char *name = str_arg(args, "name");
    cJSON_AddStringToObject(t, "name", name ? name : "template");
    cJSON_AddStringToObject(t, "text", str_arg(args, "text"));
    static const char *const copied[] = {"variables", "first_message", "countries"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, copied[i]);
        if (v)
            cJSON_AddItemToObject(t, copied[i], cJSON_Duplicate(v, true));
    }
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

static bool run_lint(struct mcp_server *s, const cJSON *args, struct call *call)
{
    pf_template_set *set = NULL;
    pf_lint_result *res = NULL;
    pf_lint_options lo = pf_lint_options_default();
    bool ok = false;
    pf_diag d;
    char *doc = lint_document(args);

    if (!doc || pf_template_set_create(&set) != PF_OK)
        goto out;
    if (pf_template_set_add_buffer(set, doc, strlen(doc), "template.json", &d) != PF_OK) {
        /* The document is ours; what can be wrong is a value inside it
         * (a variable's max_length, a country code): the diag names the
         * key path, which is the argument's. */
        if (d.status != PF_E_NOMEM)
            ok = tool_error(call, "%s%s%s", d.path[0] ? d.path : "", d.path[0] ? ": " : "",
                            d.message);
        goto out;
    }
    lo.table = pf_session_countries(s->session);
    lo.config = pf_session_config(s->session);
    lo.disabled = pf_session_disabled_rules(s->session, &lo.disabled_count);
    if (pf_lint_run(set, pf_session_rules(s->session), &lo, &res, &d) != PF_OK) {
        if (d.status != PF_E_NOMEM)
            ok = tool_error(call, "%s", d.message);
        goto out;
    }
    call->structured = pf_report_json_lint(res);
    if (!call->structured)
        goto out;
    const pf_lint_template *t = &res->templates[0];
    char head[256];
    if (t->skipped)
        snprintf(head, sizeof head, "skipped: %s", t->skip_reason);
    else
        snprintf(head, sizeof head, "%s Length: %zu to %zu segments (%s at worst).",
                 verdict_advice(pf_verdict_name(t->verdict)), t->best.segments, t->worst.segments,
                 pf_encoding_name(t->worst.encoding));
    ok = summarize(head, &t->findings, call);
out:
    pf_lint_result_destroy(res);
    pf_template_set_destroy(set);
    free(doc);
    return ok;
}

/* Output schemas: the shape of each CLI command's JSON, strict enough for a
 * client to validate structuredContent, open where the CLI may grow. */
#define FINDING_SCHEMA                                                                             \
    "{\"type\":\"object\",\"required\":[\"id\",\"severity\",\"message\",\"source\"],"            \
    "\"properties\":{\"id\":{\"type\":\"string\"},\"severity\":{\"enum\":[\"info\",\"warn\","     \
    "\"block\"]},\"message\":{\"type\":\"string\"},\"fix\":{\"type\":[\"string\",\"null\"]},"     \
    "\"source\":{\"type\":\"string\"},\"span\":{\"type\":\"array\",\"items\":{\"type\":"          \
    "\"integer\"},\"minItems\":2,\"maxItems\":2}}}"
#define MESSAGE_SCHEMA                                                                             \
    "{\"type\":\"object\",\"required\":[\"encoding\",\"characters\",\"segments\"],"              \
    "\"properties\":{\"encoding\":{\"enum\":[\"GSM-7\",\"UCS-2\"]},\"characters\":{\"type\":"     \
    "\"integer\"},\"segments\":{\"type\":\"integer\"}}}"
#define VERDICT_ENUM "{\"enum\":[\"pass\",\"warn\",\"block\"]}"

static const char verdict_schema[] =
    "{\"type\":\"object\",\"required\":[\"verdict\",\"user_number\",\"agent_number\",\"message\","
    "\"findings\"],\"properties\":{\"verdict\":" VERDICT_ENUM ",\"user_number\":{\"type\":"
    "\"object\",\"required\":[\"input\",\"valid\"]},\"agent_number\":{\"type\":[\"object\","
    "\"null\"]},\"message\":{\"anyOf\":[" MESSAGE_SCHEMA ",{\"type\":\"null\"}]},\"findings\":"
    "{\"type\":\"array\",\"items\":" FINDING_SCHEMA "}}}";
static const char send_schema[] =
    "{\"type\":\"object\",\"required\":[\"verdict\",\"user_number\",\"message\",\"findings\","
    "\"send\"],\"properties\":{\"verdict\":" VERDICT_ENUM ",\"findings\":{\"type\":\"array\","
    "\"items\":" FINDING_SCHEMA "},\"send\":{\"type\":\"object\",\"required\":[\"status\"],"
    "\"properties\":{\"status\":{\"type\":\"string\"},\"http_status\":{\"type\":"
    "\"integer\"},\"attempts\":{\"type\":\"integer\"}}}}}";
static const char scan_schema[] =
    "{\"type\":\"object\",\"required\":[\"verdict\",\"country\",\"message\",\"findings\"],"
    "\"properties\":{\"verdict\":" VERDICT_ENUM ",\"country\":{\"type\":[\"string\",\"null\"]},"
    "\"message\":" MESSAGE_SCHEMA ",\"findings\":{\"type\":\"array\",\"items\":" FINDING_SCHEMA
    "}}}";
static const char segments_schema[] =
    "{\"type\":\"object\",\"required\":[\"encoding\",\"characters\",\"segments\",\"units\","
    "\"unit\",\"parts\",\"ucs2_characters\"],\"properties\":{\"encoding\":{\"enum\":[\"GSM-7\","
    "\"UCS-2\"]},\"characters\":{\"type\":\"integer\"},\"segments\":{\"type\":\"integer\"},"
    "\"units\":{\"type\":\"integer\"},\"unit\":{\"enum\":[\"septets\",\"utf16_code_units\"]},"
    "\"parts\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"span\","
    "\"units\",\"text\"]}},\"ucs2_characters\":{\"type\":\"array\"}}}";
static const char number_schema[] =
    "{\"type\":\"object\",\"required\":[\"numbers\"],\"properties\":{\"numbers\":{\"type\":"
    "\"array\",\"items\":{\"type\":\"object\",\"required\":[\"input\",\"valid\"],\"properties\":"
    "{\"input\":{\"type\":\"string\"},\"valid\":{\"type\":\"boolean\"},\"possible\":"
    "{\"type\":\"boolean\"},\"strict_e164\":{\"type\":\"boolean\"},\"calling_code\":"
    "{\"type\":\"integer\"},\"e164\":{\"type\":\"string\"},\"region\":{\"type\":"
    "[\"string\",\"null\"]},\"type\":{\"type\":\"string\"},\"error\":{\"type\":"
    "\"string\"}}}}}}";
static const char countries_schema[] =
    "{\"type\":\"object\",\"required\":[\"countries\"],\"properties\":{\"countries\":{\"type\":"
    "\"array\",\"items\":{\"type\":\"object\",\"required\":[\"code\",\"name\",\"sms\","
    "\"two_way\",\"senders\",\"sources\"]}}}}";
static const char lint_schema[] =
    "{\"type\":\"object\",\"required\":[\"verdict\",\"files\"],\"properties\":{\"verdict\":"
    VERDICT_ENUM ",\"files\":{\"type\":\"array\"}}}";

static const struct tool tools[] = {
    {"check", "Check one SMS send",
     "Decide whether one SMS may be sent now: to this recipient, with this text, from this "
     "sender (or a sender the checker selects from the project's numbers). It checks the "
     "number, the destination country's rules, the sender's provisioning and US/Canada A2P "
     "10DLC or toll-free registration, quiet hours at the recipient's local time, content rules "
     "and the segment count. The result is the verdict JSON of `preflight check`: verdict "
     "'pass' (send), 'warn' (may be sent, but review the warnings: carriers may filter it) or "
     "'block' (do NOT send: the API would refuse it or carriers would block it). On block, "
     "read each block finding's message and fix, change the message, sender, time or "
     "recipient accordingly, and check again before sending. Nothing is sent by this tool.",
     check_args_def, verdict_schema, run_check, false},
    {"send", "Check, then send one SMS",
     "SENDS A REAL SMS through the Send SMS API, only when the same check as the check tool "
     "allows it: on 'block' (or 'warn' when the server runs with --fail-on warn) nothing is "
     "sent and the result says why; otherwise the message goes to the recipient from the "
     "sender the check chose, named explicitly. The API key and connector come from the "
     "server's environment, never from arguments. Each accepted send opens a new conversation "
     "with the person, so call it once per message: a result marked isError means the API did "
     "not accept it or the outcome is unknown, and sending again may text the person twice. "
     "Result: the verdict plus \"send\" ({\"status\": accepted|rejected|rate_limited|unknown|"
     "not_sent|..., \"http_status\", \"attempts\"}). Call check first while drafting.",
     check_args_def, send_schema, run_send, true},
    {"scan", "Scan message content",
     "Run the content rules (URL shorteners, SHAFT and other restricted content, phishing "
     "patterns, missing opt-out or brand in a first message, ...) and the message checks over "
     "a text, without a recipient or sender. The result is the JSON of `preflight scan`: a "
     "verdict (pass, warn or block), the encoding and segment count, and every finding with a "
     "byte span into the text, a fix and the rule's source. Use it while writing a message; "
     "use check before sending it.",
     scan_args_def, scan_schema, run_scan, false},
    {"segments", "Count SMS segments",
     "Count how many SMS segments a text takes and why: GSM-7 (160 characters, 153 per part) "
     "or UCS-2 (70, 67 per part) encoding, the split into parts, and each character that "
     "forces UCS-2 with a GSM-7 replacement when one exists. Result: the JSON of `preflight "
     "segments`. Replacing those characters often halves the cost of a message.",
     segments_args_def, segments_schema, run_segments, false},
    {"number", "Parse phone numbers",
     "Parse and classify phone numbers with libphonenumber: the E.164 form, whether it is "
     "valid, its region and type (mobile, fixed_line, toll_free, premium_rate, ...). The API "
     "needs strict E.164 ('+' and digits); give region for numbers written in a national "
     "format. Result: {\"numbers\": [...]}, the list `preflight number --format json` prints.",
     number_args_def, number_schema, run_number, false},
    {"countries", "SMS rules of countries",
     "The SMS facts of destination countries, each with its source: whether SMS and replies "
     "work, which sender kinds are allowed or need registration, sender-ID rules, quiet hours, "
     "restricted content. 'unknown' means no source says. Result: {\"countries\": [...]}, the "
     "entries `preflight countries CC --format json` prints.",
     countries_args_def, countries_schema, run_countries, false},
    {"lint_template", "Lint a message template",
     "Lint one message template with {{placeholders}}: malformed or undeclared placeholders, "
     "content rules (with placeholders treated as opaque), and its length at best (variables "
     "empty) and worst (every variable at its max_length). Result: the JSON of `preflight lint "
     "--format json` for one template file; line and column refer to a generated template "
     "file, span to byte offsets in the text.",
     lint_args_def, lint_schema, run_lint, false},
};

static const struct tool *find_tool(const struct mcp_server *s, const char *name)
{
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        if (strcmp(tools[i].name, name) == 0 && (!tools[i].sends || s->sender))
            return &tools[i];
    }
    return NULL;
}

static cJSON *input_schema(const struct tool *t)
{
    cJSON *o = cJSON_CreateObject(), *props = cJSON_AddObjectToObject(o, "properties");
    cJSON *req = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "type", "object");
    for (const struct arg *a = t->args; a->name; a++) {
        cJSON *p = cJSON_AddObjectToObject(props, a->name);
        static const char *const types[] = {"string", "boolean", "array", "object"};
        cJSON_AddStringToObject(p, "type", types[a->kind]);
        cJSON_AddStringToObject(p, "description", a->description);
        if (a->kind == ARG_STRING && a->choices) {
            cJSON_DeleteItemFromObject(p, "type");
            cJSON *e = cJSON_AddArrayToObject(p, "enum");
            for (const char *const *c = a->choices; *c; c++)
                cJSON_AddItemToArray(e, cJSON_CreateString(*c));
        }
        if (a->kind == ARG_STRINGS) {
            cJSON *items = cJSON_AddObjectToObject(p, "items");
            cJSON_AddStringToObject(items, "type", "string");
            cJSON_AddNumberToObject(p, "minItems", 1);
            if (a->max_items)
                cJSON_AddNumberToObject(p, "maxItems", a->max_items);
        }
        if (a->kind == ARG_OBJECT) {
            /* lint_template's variables: name -> {max_length, charset} */
            cJSON *v = cJSON_AddObjectToObject(p, "additionalProperties");
            cJSON_AddStringToObject(v, "type", "object");
            cJSON *vp = cJSON_AddObjectToObject(v, "properties");
            cJSON *ml = cJSON_AddObjectToObject(vp, "max_length");
            cJSON_AddStringToObject(ml, "type", "integer");
            cJSON_AddNumberToObject(ml, "minimum", 0);
            cJSON *cs = cJSON_AddObjectToObject(vp, "charset");
            cJSON *e = cJSON_AddArrayToObject(cs, "enum");
            for (const char *const *c = charsets; *c; c++)
                cJSON_AddItemToArray(e, cJSON_CreateString(*c));
            cJSON_AddFalseToObject(v, "additionalProperties");
        }
        if (a->required)
            cJSON_AddItemToArray(req, cJSON_CreateString(a->name));
    }
    cJSON_AddItemToObject(o, "required", req);
    cJSON_AddFalseToObject(o, "additionalProperties");
    return o;
}

static cJSON *tool_list(const struct mcp_server *s)
{
    cJSON *res = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(res, "tools");
    for (size_t i = 0; list && i < sizeof tools / sizeof tools[0]; i++) {
        const struct tool *t = &tools[i];
        if (t->sends && !s->sender)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(list, o);
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddStringToObject(o, "title", t->title);
        cJSON_AddStringToObject(o, "description", t->description);
        cJSON_AddItemToObject(o, "inputSchema", input_schema(t));
        cJSON_AddItemToObject(o, "outputSchema", cJSON_Parse(t->output_schema));
        cJSON *ann = cJSON_AddObjectToObject(o, "annotations");
        cJSON_AddBoolToObject(ann, "readOnlyHint", !t->sends);
        if (t->sends) {
            cJSON_AddTrueToObject(ann, "destructiveHint");
            cJSON_AddFalseToObject(ann, "idempotentHint");
        }
        cJSON_AddBoolToObject(ann, "openWorldHint", t->sends);
    }
    return res;
}

/* ---- JSON-RPC ---- */

static cJSON *rpc_error(const cJSON *id, int code, const char *message, const char *field)
{
    cJSON *r = cJSON_CreateObject(), *e = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "jsonrpc", "2.0");
    cJSON_AddItemToObject(r, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
    cJSON_AddItemToObject(r, "error", e);
    cJSON_AddNumberToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    if (field) {
        cJSON *data = cJSON_AddObjectToObject(e, "data");
        cJSON_AddStringToObject(data, "field", field);
    }
    return r;
}

static cJSON *rpc_result(const cJSON *id, cJSON *result)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "jsonrpc", "2.0");
    cJSON_AddItemToObject(r, "id", cJSON_Duplicate(id, true));
    cJSON_AddItemToObject(r, "result", result ? result : cJSON_CreateObject());
    return r;
}

static cJSON *initialize(const cJSON *id, const cJSON *params)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
    if (!cJSON_IsString(v))
        return rpc_error(id, RPC_PARAMS, "params.protocolVersion: required, a string",
                         "params.protocolVersion");
    const char *chosen = versions[0];
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        if (strcmp(v->valuestring, versions[i]) == 0)
            chosen = versions[i];
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "protocolVersion", chosen);
    cJSON *tools_cap = cJSON_AddObjectToObject(cJSON_AddObjectToObject(res, "capabilities"), "tools");
    cJSON_AddFalseToObject(tools_cap, "listChanged");
    cJSON *info = cJSON_AddObjectToObject(res, "serverInfo");
    cJSON_AddStringToObject(info, "name", "sms-preflight");
    cJSON_AddStringToObject(info, "title", "sms-preflight");
    cJSON_AddStringToObject(info, "version", pf_version());
    cJSON_AddStringToObject(res, "instructions",
                            "Before sending any SMS, call check with the recipient, the exact "
                            "text and (if known) the sender; send only on pass or warn, never on "
                            "block. Use scan and segments while drafting text.");
    return rpc_result(id, res);
}

static cJSON *call_tool(struct mcp_server *s, const cJSON *id, const cJSON *params, bool *oom)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    if (!cJSON_IsString(name))
        return rpc_error(id, RPC_PARAMS, "params.name: required, a string", "params.name");
    const struct tool *t = find_tool(s, name->valuestring);
    if (!t) {
        char msg[200];
        snprintf(msg, sizeof msg, "params.name: no tool is called '%.64s' (see tools/list)",
                 name->valuestring);
        pf_report_clean_utf8(msg, strlen(msg), msg, sizeof msg);
        return rpc_error(id, RPC_PARAMS, msg, "params.name");
    }
    cJSON *empty = NULL;
    if (!args)
        args = empty = cJSON_CreateObject();
    if (!cJSON_IsObject(args)) {
        return rpc_error(id, RPC_PARAMS, "params.arguments: must be an object",
                         "params.arguments");
    }
    struct call call = {0};
    cJSON *r = NULL;
    bool ran = check_args(t, args, &call) && t->run(s, args, &call);
    if (call.param_message) {
        r = rpc_error(id, RPC_PARAMS, call.param_message, call.param_field);
    } else if (call.tool_error) {
        cJSON *res = cJSON_CreateObject(), *content = cJSON_AddArrayToObject(res, "content");
        cJSON *text = cJSON_CreateObject();
        cJSON_AddItemToArray(content, text);
        cJSON_AddStringToObject(text, "type", "text");
        cJSON_AddStringToObject(text, "text", call.tool_error);
        cJSON_AddTrueToObject(res, "isError");
        r = rpc_result(id, res);
    } else if (ran && call.structured && call.summary) {
        cJSON *res = cJSON_CreateObject(), *content = cJSON_AddArrayToObject(res, "content");
        cJSON *text = cJSON_CreateObject();
        cJSON_AddItemToArray(content, text);
        cJSON_AddStringToObject(text, "type", "text");
        cJSON_AddStringToObject(text, "text", call.summary);
        cJSON_AddItemToObject(res, "structuredContent", call.structured);
        call.structured = NULL;
        cJSON_AddBoolToObject(res, "isError", call.is_error);
        r = rpc_result(id, res);
    } else {
        *oom = true;
    }
    cJSON_Delete(call.structured);
    free(call.summary);
    free(call.tool_error);
    free(call.param_field);
    free(call.param_message);
    cJSON_Delete(empty);
    return r;
}

/* True when the JSON text holds an escaped NUL (\u0000): cJSON would cut
 * the string there without a word, and no SMS field may carry one. */
static bool has_escaped_nul(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
            return true;
        i++; /* skip the escaped character, so "\\\\u0000" is not one */
    }
    return false;
}

static cJSON *dispatch(struct mcp_server *s, const cJSON *req, bool *oom)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
    const cJSON *jsonrpc = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
    bool notification = id == NULL;

    if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id))
        return rpc_error(NULL, RPC_REQUEST, "id: must be a string or a number", "id");
    if (!cJSON_IsString(jsonrpc) || strcmp(jsonrpc->valuestring, "2.0") != 0)
        return notification ? NULL
                            : rpc_error(id, RPC_REQUEST, "jsonrpc: must be \"2.0\"", "jsonrpc");
    if (!cJSON_IsString(method)) {
        /* A response from the client (we send no requests) or junk. */
        if (cJSON_GetObjectItemCaseSensitive(req, "result") ||
            cJSON_GetObjectItemCaseSensitive(req, "error"))
            return NULL;
        return notification ? NULL : rpc_error(id, RPC_REQUEST, "method: required, a string", "method");
    }
    if (notification)
        return NULL; /* notifications/initialized, notifications/cancelled, ...: nothing to say */
    if (params && !cJSON_IsObject(params))
        return rpc_error(id, RPC_PARAMS, "params: must be an object", "params");
    const char *m = method->valuestring;
    if (strcmp(m, "initialize") == 0)
        return initialize(id, params);
    if (strcmp(m, "ping") == 0)
        return rpc_result(id, NULL);
    if (strcmp(m, "tools/list") == 0)
        return rpc_result(id, tool_list(s));
    if (strcmp(m, "tools/call") == 0)
        return call_tool(s, id, params, oom);
    char msg[160];
    snprintf(msg, sizeof msg, "method not found: '%.64s'", m);
    char clean[200];
    pf_report_clean_utf8(msg, strlen(msg), clean, sizeof clean);
    return rpc_error(id, RPC_METHOD, clean, NULL);
}

void mcp_server_init(struct mcp_server *s, pf_session *session)
{
    memset(s, 0, sizeof *s);
    s->session = pf_session_ref(session);
}

void mcp_server_clear(struct mcp_server *s)
{
    pf_checker_destroy(s->checker);
    pf_scanner_destroy(s->scanner);
    pf_sender_destroy(s->sender);
    pf_session_unref(s->session);
    memset(s, 0, sizeof *s);
}

char *mcp_handle(struct mcp_server *s, const char *line, size_t len, bool *oom)
{
    *oom = false;
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return NULL;
    cJSON *resp = NULL;
    if (len > MCP_LINE_MAX) {
        resp = rpc_error(NULL, RPC_PARSE, "request larger than 1 MiB", NULL);
    } else if (memchr(line, '\0', len)) {
        resp = rpc_error(NULL, RPC_PARSE, "parse error: a NUL byte in the request", NULL);
    } else {
        cJSON *req = cJSON_ParseWithLength(line, len);
        if (!req) {
            resp = rpc_error(NULL, RPC_PARSE, "parse error: the line is not one JSON value", NULL);
        } else if (cJSON_IsArray(req)) {
            resp = rpc_error(NULL, RPC_REQUEST, "batches are not supported: send one request per line",
                             NULL);
        } else if (!cJSON_IsObject(req)) {
            resp = rpc_error(NULL, RPC_REQUEST, "a request must be a JSON object", NULL);
        } else if (has_escaped_nul(line, len)) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
            resp = cJSON_GetObjectItemCaseSensitive(req, "id")
                       ? rpc_error(cJSON_IsString(id) || cJSON_IsNumber(id) ? id : NULL, RPC_PARAMS,
                                   "params: a string holds a NUL character (\\u0000), which no "
                                   "SMS field may carry",
                                   "params")
                       : NULL;
        } else {
            resp = dispatch(s, req, oom);
        }
        cJSON_Delete(req);
    }
    if (!resp)
        return NULL;
    char *out = cJSON_PrintUnformatted(resp);
    cJSON_Delete(resp);
    if (!out)
        *oom = true;
    return out;
}
