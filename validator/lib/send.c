/*
 * send.c — the gated send: the check, the gate, then the client, with what
 * was checked being what is sent.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"
#include "preflight/send.h"
#include "preflight/util.h"
#include "send_int.h"
#include "verdict_int.h"

struct pf_send_options {
    char *base_url, *cluster, *auth_token, *token_id;
    char *ca_file, *ca_dir; /* trusted CAs instead of the default bundle; NULL: default */
    pf_severity fail_on;
    bool dry_run;
    pf_client_options client;
    pf_send_verdict_fn on_verdict;
    void *on_verdict_ctx;
};

struct pf_sender {
    pf_checker *ck;
    pf_client *client;
    char *base_url;
    pf_severity fail_on;
    bool dry_run;
    pf_send_verdict_fn on_verdict;
    void *on_verdict_ctx;
};

static void free_secret(char *s)
{
    if (s)
        pfi_wipe(s, strlen(s));
    free(s);
}

/* Replace *slot with a copy of s (NULL clears); wipes the old value. */
static pf_status set_str(char **slot, const char *s, bool secret)
{
    char *copy = NULL;
    if (s && !(copy = strdup(s)))
        return PF_E_NOMEM;
    if (secret)
        free_secret(*slot);
    else
        free(*slot);
    *slot = copy;
    return PF_OK;
}

pf_status pf_send_options_create(pf_send_options **out)
{
    if (!out)
        return PF_E_INVALID;
    if (!(*out = calloc(1, sizeof **out)))
        return PF_E_NOMEM;
    (*out)->fail_on = PF_SEV_BLOCK;
    (*out)->client = pf_client_options_default();
    return PF_OK;
}

void pf_send_options_destroy(pf_send_options *o)
{
    if (!o)
        return;
    free(o->base_url);
    free(o->cluster);
    free(o->ca_file);
    free(o->ca_dir);
    free_secret(o->auth_token);
    free_secret(o->token_id);
    free(o);
}

pf_status pf_send_options_set_ca(pf_send_options *o, const char *ca_file, const char *ca_dir,
                                 pf_diag *diag)
{
    pf_status st;
    pf_diag_clear(diag);
    if (!o) {
        pfi_diag_set(diag, PF_E_INVALID, "no options");
        return PF_E_INVALID;
    }
    if ((st = pfi_ca_check(ca_file, ca_dir, diag)) != PF_OK)
        return st;
    if ((ca_file && (st = set_str(&o->ca_file, ca_file, false)) != PF_OK) ||
        (ca_dir && (st = set_str(&o->ca_dir, ca_dir, false)) != PF_OK)) {
        pfi_diag_set(diag, st, "out of memory");
        return st;
    }
    return PF_OK;
}

pf_status pf_send_options_set_base_url(pf_send_options *o, const char *url)
{
    return o ? set_str(&o->base_url, url, false) : PF_E_INVALID;
}

pf_status pf_send_options_set_cluster(pf_send_options *o, const char *cluster)
{
    if (!o)
        return PF_E_INVALID;
    if (cluster && !pf_cluster_base_url(cluster))
        return PF_E_NOT_FOUND;
    return set_str(&o->cluster, cluster, false);
}

pf_status pf_send_options_set_credentials(pf_send_options *o, const char *auth_token,
                                          const char *token_id)
{
    if (!o)
        return PF_E_INVALID;
    pf_status st = set_str(&o->auth_token, auth_token, true);
    return st == PF_OK ? set_str(&o->token_id, token_id, true) : st;
}

/* ---- credentials from a file ---- */

#define CRED_FILE_MAX (64u * 1024u)

/* Store value (len bytes) into *slot, wiping the old one; an empty value
 * counts as absent. */
static pf_status cred_set(char **slot, const char *value, size_t len)
{
    free_secret(*slot);
    *slot = NULL;
    if (len == 0)
        return PF_OK;
    if (!(*slot = malloc(len + 1)))
        return PF_E_NOMEM;
    memcpy(*slot, value, len);
    (*slot)[len] = '\0';
    return PF_OK;
}

/* {"auth_token": "...", "token_id": "..."}. Errors name the key, never a value. */
static pf_status creds_json(const char *text, size_t len, char **token, char **id, pf_diag *diag)
{
    pf_status st = PF_E_SCHEMA;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!doc || !cJSON_IsObject(doc)) {
        pfi_diag_set(diag, st, "not a JSON object {\"auth_token\": ..., \"token_id\": ...}");
        goto out;
    }
    for (const cJSON *it = doc->child; it; it = it->next) {
        char **slot = strcmp(it->string, "auth_token") == 0 ? token
                      : strcmp(it->string, "token_id") == 0 ? id
                                                            : NULL;
        if (!slot) {
            pfi_diag_set(diag, st, "unknown key '%.64s' (expected auth_token, token_id)",
                         it->string);
            goto out;
        }
        if (!cJSON_IsString(it)) {
            pfi_diag_set(diag, st, "%s must be a string", it->string);
            goto out;
        }
        if ((st = cred_set(slot, it->valuestring, strlen(it->valuestring))) != PF_OK)
            goto out;
        st = PF_E_SCHEMA;
    }
    st = PF_OK;
out:
    cJSON_Delete(doc);
    return st;
}

/* KEY=VALUE lines (POLYAI_AUTH_TOKEN=..., POLYAI_TOKEN_ID=...; '#'
 * comments, optional "export " and quotes), as a .env file has them. */
static pf_status creds_kv(const char *text, size_t len, char **token, char **id, pf_diag *diag)
{
    unsigned lineno = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        const char *s = text + i;
        size_t n = e - i;
        i = e + 1;
        lineno++;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
            n--;
        if (n == 0 || *s == '#')
            continue;
        if (n > 7 && strncmp(s, "export ", 7) == 0) {
            s += 7;
            n -= 7;
        }
        const char *eq = memchr(s, '=', n);
        if (diag)
            diag->line = lineno;
        if (!eq) {
            pfi_diag_set(diag, PF_E_SYNTAX, "expected KEY=VALUE");
            return PF_E_SYNTAX;
        }
        size_t kl = (size_t)(eq - s);
        while (kl && (s[kl - 1] == ' ' || s[kl - 1] == '\t'))
            kl--;
        const char *v = eq + 1;
        size_t vl = n - (size_t)(v - s);
        while (vl && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
            v++;
            vl -= 2;
        }
        char **slot = NULL;
        if ((kl == 17 && strncmp(s, "POLYAI_AUTH_TOKEN", kl) == 0) ||
            (kl == 10 && strncmp(s, "auth_token", kl) == 0))
            slot = token;
        else if ((kl == 15 && strncmp(s, "POLYAI_TOKEN_ID", kl) == 0) ||
                 (kl == 8 && strncmp(s, "token_id", kl) == 0))
            slot = id;
        if (!slot) {
            pfi_diag_set(diag, PF_E_SCHEMA,
                         "unknown key '%.*s' (expected POLYAI_AUTH_TOKEN, POLYAI_TOKEN_ID)",
                         (int)(kl > 64 ? 64 : kl), s);
            return PF_E_SCHEMA;
        }
        pf_status st = cred_set(slot, v, vl);
        if (st != PF_OK)
            return st;
        if (diag)
            diag->line = 0;
    }
    return PF_OK;
}

pf_status pf_send_options_load_credentials(pf_send_options *o, const char *file, pf_diag *diag)
{
    char *text = NULL, *token = NULL, *id = NULL;
    size_t len = 0;
    pf_status st;

    pf_diag_clear(diag);
    if (!o || !file) {
        pfi_diag_set(diag, PF_E_INVALID, "no options or file");
        return PF_E_INVALID;
    }
    if ((st = pf_read_file(file, CRED_FILE_MAX, &text, &len, diag)) != PF_OK)
        return st;
    pfi_diag_file(diag, file);
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    st = i < len && text[i] == '{' ? creds_json(text + i, len - i, &token, &id, diag)
                                   : creds_kv(text + i, len - i, &token, &id, diag);
    if (st == PF_OK && (!token || !id)) {
        st = PF_E_SCHEMA;
        pfi_diag_set(diag, st, "%s is missing or empty",
                     !token ? "the API key (auth_token / POLYAI_AUTH_TOKEN)"
                            : "the connector id (token_id / POLYAI_TOKEN_ID)");
    }
    if (st == PF_OK)
        st = pf_send_options_set_credentials(o, token, id);
    if (st == PF_E_NOMEM)
        pfi_diag_set(diag, st, "out of memory");
    pfi_wipe(text, len); /* it held the credentials */
    free(text);
    free_secret(token);
    free_secret(id);
    return st;
}

pf_status pf_send_options_set_fail_on(pf_send_options *o, pf_severity level)
{
    if (!o || (level != PF_SEV_BLOCK && level != PF_SEV_WARN))
        return PF_E_INVALID;
    o->fail_on = level;
    return PF_OK;
}

pf_status pf_send_options_set_dry_run(pf_send_options *o, bool dry_run)
{
    if (!o)
        return PF_E_INVALID;
    o->dry_run = dry_run;
    return PF_OK;
}

pf_status pf_send_options_set_client(pf_send_options *o, const pf_client_options *c)
{
    if (!o || !c)
        return PF_E_INVALID;
    o->client = *c;
    o->client.base_url = o->client.auth_token = o->client.token_id = NULL;
    return PF_OK;
}

pf_status pf_send_options_set_on_verdict(pf_send_options *o, pf_send_verdict_fn fn, void *ctx)
{
    if (!o)
        return PF_E_INVALID;
    o->on_verdict = fn;
    o->on_verdict_ctx = ctx;
    return PF_OK;
}

const char *pf_send_gate_name(pf_send_gate g)
{
    switch (g) {
    case PF_GATE_BLOCKED: return "blocked";
    case PF_GATE_STOPPED: return "stopped";
    case PF_GATE_DRY_RUN: return "dry_run";
    case PF_GATE_SENT: return "sent";
    }
    return "unknown";
}

void pf_send_outcome_init(pf_send_outcome *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    pf_verdict_init(&out->verdict);
    pf_send_result_init(&out->result);
}

void pf_send_outcome_clear(pf_send_outcome *out)
{
    if (!out)
        return;
    pf_verdict_clear(&out->verdict);
    pf_request_preview_clear(&out->preview);
    pf_send_result_clear(&out->result);
    pf_send_outcome_init(out);
}

/* ---- the sender ---- */

/* The API: options' URL, options' cluster, the config's cluster. */
static pf_status resolve_base(pf_session *session, const pf_send_options *o, const char **base,
                              pf_diag *diag)
{
    *base = o->base_url ? o->base_url : o->cluster ? pf_cluster_base_url(o->cluster) : NULL;
    const pf_config *cfg = pf_session_config(session);
    if (!*base && cfg && pf_config_cluster(cfg)) {
        const char *cl = pf_config_cluster(cfg);
        if (!(*base = pf_cluster_base_url(cl))) {
            /* The loader accepts only known names; kept for a config from
             * a newer library. */
            size_t n = pf_session_file_count(session);
            pfi_diag_file(diag, n ? pf_session_file_at(session, n - 1) : NULL); /* the config */
            pfi_diag_path(diag, "cluster");
            pfi_diag_set(diag, PF_E_SCHEMA, "unknown cluster '%s' (us-1, uk-1 or euw-1)", cl);
            return PF_E_SCHEMA;
        }
    }
    if (!*base) {
        pfi_diag_set(diag, PF_E_INVALID,
                     "no API to send to: give a cluster (us-1, uk-1, euw-1) or a base URL, or "
                     "set \"cluster\" in the config");
        return PF_E_INVALID;
    }
    return PF_OK;
}

pf_status pf_sender_create(pf_session *session, const pf_send_options *o, pf_sender **out,
                           pf_diag *diag)
{
    pf_sender *s = NULL;
    const char *base = NULL;
    pf_status st;

    pf_diag_clear(diag);
    if (out)
        *out = NULL;
    if (!session || !o || !out) {
        pfi_diag_set(diag, PF_E_INVALID, "a sender needs a session and options");
        return PF_E_INVALID;
    }
    if ((st = resolve_base(session, o, &base, diag)) != PF_OK)
        return st;
    st = PF_E_NOMEM;
    if (!(s = calloc(1, sizeof *s)) || !(s->base_url = strdup(base))) {
        pfi_diag_set(diag, st, "out of memory");
        goto out;
    }
    s->fail_on = o->fail_on;
    s->dry_run = o->dry_run;
    s->on_verdict = o->on_verdict;
    s->on_verdict_ctx = o->on_verdict_ctx;
    pf_client_options co = o->client;
    co.base_url = base;
    co.auth_token = o->auth_token;
    co.token_id = o->token_id;
    if ((st = pf_client_create(&co, &s->client, diag)) != PF_OK)
        goto out;
    if ((o->ca_file || o->ca_dir) &&
        (st = pf_client_set_ca(s->client, o->ca_file, o->ca_dir, diag)) != PF_OK)
        goto out;
    st = pf_checker_create(session, &s->ck, diag);
out:
    if (st != PF_OK) {
        pf_sender_destroy(s);
        return st;
    }
    *out = s;
    return PF_OK;
}

void pf_sender_destroy(pf_sender *s)
{
    if (!s)
        return;
    pf_checker_destroy(s->ck);
    pf_client_destroy(s->client);
    free(s->base_url);
    free(s);
}

const char *pf_sender_base_url(const pf_sender *s)
{
    return s ? s->base_url : NULL;
}

pf_status pf_sender_send(pf_sender *s, const pf_check_input *in, pf_send_outcome *out,
                         pf_diag *diag)
{
    return pf_sender_send_as(s, in, NULL, NULL, out, NULL, diag);
}

pf_status pf_sender_send_as(pf_sender *s, const pf_check_input *in, const char *auth_token,
                            const char *token_id, pf_send_outcome *out, pf_send_response *resp,
                            pf_diag *diag)
{
    pf_status st;
    pf_diag_clear(diag);
    if (!s || !in || !out) {
        pfi_diag_set(diag, PF_E_INVALID, "no sender, input or outcome");
        return PF_E_INVALID;
    }
    pf_send_outcome_clear(out);
    if ((st = pf_checker_check(s->ck, in, &out->verdict, diag)) != PF_OK)
        return st;
    out->checked = true;
    const pf_verdict *v = &out->verdict;
    int max = pf_finding_list_max(&v->findings);
    if (max >= (int)s->fail_on) {
        out->gate = v->verdict == PF_VERDICT_BLOCK ? PF_GATE_BLOCKED : PF_GATE_STOPPED;
        out->reason = out->gate == PF_GATE_BLOCKED ? "blocked by the verdict"
                                                   : "stopped by --fail-on warn";
    } else {
        out->gate = s->dry_run ? PF_GATE_DRY_RUN : PF_GATE_SENT;
    }
    const pf_send_request req = {v->user.e164, in->message, in->message_len,
                                 /* What was checked is what is sent: an auto-selected
                                  * sender goes out explicitly, so the API cannot pick a
                                  * different one. */
                                 v->has_agent ? v->agent_e164 : NULL};
    if (out->gate >= PF_GATE_DRY_RUN &&
        (st = pf_client_preview(s->client, &req, &out->preview, diag)) != PF_OK) {
        pfi_diag_set(diag, st, "cannot build the request: %s",
                     diag && diag->message[0] ? diag->message : pf_strerror(st));
        return st;
    }
    if (s->on_verdict)
        s->on_verdict(s->on_verdict_ctx, v);
    if (out->gate != PF_GATE_SENT)
        return PF_OK;
    if ((st = pf_client_send_as(s->client, &req, auth_token, token_id, &out->result, resp,
                                diag)) != PF_OK) {
        pfi_diag_set(diag, st, "cannot send: %s",
                     diag && diag->message[0] ? diag->message : pf_strerror(st));
        return st;
    }
    return PF_OK;
}

/* ---- JSON ---- */

static cJSON *json_preview(const pf_request_preview *p)
{
    cJSON *o = cJSON_CreateObject(), *req, *h;
    if (!o || !cJSON_AddStringToObject(o, "status", "dry_run") ||
        !cJSON_AddNumberToObject(o, "attempts", 0) ||
        !(req = cJSON_AddObjectToObject(o, "request")) ||
        !cJSON_AddStringToObject(req, "method", p->method) ||
        !cJSON_AddStringToObject(req, "url", p->url) ||
        !(h = cJSON_AddObjectToObject(req, "headers")))
        goto fail;
    for (size_t i = 0; i < p->header_count; i++) {
        if (!cJSON_AddStringToObject(h, p->header_names[i], p->header_values[i]))
            goto fail;
    }
    if (!cJSON_AddStringToObject(req, "body", p->body))
        goto fail;
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

static cJSON *json_result(const pf_send_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "status", pf_send_status_name(r->status)) ||
        !(r->http_status ? cJSON_AddNumberToObject(o, "http_status", (double)r->http_status)
                         : cJSON_AddNullToObject(o, "http_status")) ||
        !cJSON_AddNumberToObject(o, "attempts", r->attempts) ||
        !cJSON_AddNumberToObject(o, "waited_ms", (double)r->waited_ms) ||
        !(r->detail ? cJSON_AddStringToObject(o, "detail", r->detail)
                    : cJSON_AddNullToObject(o, "detail")) ||
        !(r->hint ? cJSON_AddStringToObject(o, "hint", r->hint)
                  : cJSON_AddNullToObject(o, "hint"))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *json_not_sent(const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "status", "not_sent") ||
        !cJSON_AddNumberToObject(o, "attempts", 0) ||
        !cJSON_AddStringToObject(o, "reason", reason)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

pf_status pf_send_outcome_to_json(const pf_send_outcome *out, unsigned flags, char **json,
                                  size_t *len)
{
    if (!json)
        return PF_E_INVALID;
    *json = NULL;
    if (len)
        *len = 0;
    if (!out)
        return PF_E_INVALID;
    cJSON *doc = pfi_verdict_json(&out->verdict);
    cJSON *send = !doc                            ? NULL
                  : out->gate <= PF_GATE_STOPPED ? json_not_sent(out->reason ? out->reason : "")
                  : out->gate == PF_GATE_DRY_RUN ? json_preview(&out->preview)
                                                  : json_result(&out->result);
    if (!send || !cJSON_AddItemToObject(doc, "send", send)) {
        cJSON_Delete(send);
        cJSON_Delete(doc);
        return PF_E_NOMEM;
    }
    pf_status st = pfi_json_to_string(doc, flags, json, len);
    cJSON_Delete(doc);
    return st;
}

/* ---- for bulk.c (send_int.h) ---- */

pf_client *pfi_sender_client(pf_sender *s)
{
    return s ? s->client : NULL;
}

pf_client_options pfi_send_options_client(const pf_send_options *o)
{
    return o ? o->client : pf_client_options_default();
}
