/*
 * engine.c — the decision engine: recipient, country, sender, A2P, quiet
 * hours, content and segment checks for one send, into one verdict.
 *
 * Every check adds findings; none stops the others, so a person sees every
 * reason at once. The verdict is the highest severity (info never counts).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "numfast_int.h"
#include "preflight/engine.h"
#include "preflight/message.h"
#include "preflight/session.h"
#include "tz_int.h"
#include "verdict_int.h"

#define SRC_SEND_API "https://docs.poly.ai/api-reference/sms/endpoint/trigger-outbound-sms"
#define SRC_10DLC "https://docs.poly.ai/api-reference/sms/campaign-registration-us"
#define SRC_AVAILABILITY "https://docs.poly.ai/voice-channel/number-availability"
#define SRC_TOLL_FREE "https://www.twilio.com/en-us/guidelines/us/sms"
#define MAX_ZONES 64

/*
 * Exact memo of the content part of a verdict (issue 15): a batch sends
 * the same text to many people. The content part — the message block
 * (encoding, characters, segments) and every finding of pf_message_check
 * and the scanner — is a function of exactly these inputs, which make the
 * key: the message bytes; the scan options check_content builds from the
 * row (the recipient's country code and table entry, the sender kind, the
 * first-message flag); and, fixed for a checker but keyed all the same,
 * the brand, the maximum segments and the disabled rule ids (the session's
 * and the input's). A hit compares the whole key byte for byte. Off unless
 * asked for (batch workers turn it on); tests/unit/test_batch_stream.c
 * compares batches with and without it.
 *
 * A key is remembered the second time its hash is seen (a bit per hash
 * in seen[]): a list where every text is personalised would otherwise
 * evict the texts that do repeat, row after row.
 */
#define CONTENT_MEMO 1024    /* slots, picked by hash */
#define CONTENT_SEEN 65536   /* bits of the "seen once" filter */
#define CONTENT_KEY_MAX 4096 /* longer inputs are scanned, never remembered */

struct content_memo {
    char *key; /* NULL: empty slot */
    size_t keylen, keycap;
    bool has_message;
    pf_encoding encoding;
    size_t characters, segments;
    pf_finding_list found; /* what the content checks added */
};

struct pf_checker {
    pf_session *session; /* the reference this checker holds, or NULL */
    const pf_countries *table;
    const pf_ruleset *rules;
    const pf_config *config;
    pf_scanner *scanner;
    struct pfi_tz_cache *tz;
    struct content_memo *memo; /* CONTENT_MEMO slots, or NULL: no memo */
    unsigned char seen[CONTENT_SEEN / 8];
    size_t memo_hits;
    char key[CONTENT_KEY_MAX]; /* the current input's key */
};

/* The geocoder's description of e164 into where; false when it has none.
 * North American numbers come from numfast.c's process-wide NPA-NXX table
 * (the geocoder itself locks per lookup). */
static bool describe(const char *e164, char *where, size_t cap)
{
    /* A number described before: its answer from the start-up cache,
     * without loading the geocoder (geomemo.c). */
    int known = pfi_geomemo_get(e164, where, cap);
    if (known >= 0)
        return known == 1;
    bool found = pfi_numfast_describe_nanp(e164, where, cap);
    pfi_geomemo_put(e164, found ? where : NULL);
    return found;
}

/* Everything one check knows, passed between the steps. */
struct check {
    pf_checker *ck;
    const pf_check_input *in;
    pf_verdict *v;
    const pf_country *country; /* the recipient's entry, or NULL */
    pf_environment env;
    pf_finding_list *out; /* where add() puts findings: the verdict's, or a scratch list */
    pf_status st;         /* first allocation failure, sticky */
};

const char *pf_verdict_name(pf_verdict_kind v)
{
    return v == PF_VERDICT_BLOCK ? "block" : v == PF_VERDICT_WARN ? "warn" : "pass";
}

pf_verdict_kind pf_verdict_from_findings(const pf_finding_list *findings)
{
    int max = pf_finding_list_max(findings);
    return max == PF_SEV_BLOCK ? PF_VERDICT_BLOCK
           : max == PF_SEV_WARN ? PF_VERDICT_WARN
                                : PF_VERDICT_PASS;
}

pf_check_input pf_check_input_default(void)
{
    pf_check_input in;
    memset(&in, 0, sizeof in);
    in.environment = -1;
    return in;
}

void pf_verdict_init(pf_verdict *v)
{
    memset(v, 0, sizeof *v);
    pf_finding_list_init(&v->findings);
    v->agent_kind = PF_SENDER_UNKNOWN;
}

void pf_verdict_clear(pf_verdict *v)
{
    if (!v)
        return;
    pf_finding_list_clear(&v->findings);
    pf_verdict_init(v);
}

pf_status pfi_checker_create(const pf_countries *table, const pf_ruleset *rules,
                             const pf_config *config, pf_checker **out)
{
    pf_checker *c = calloc(1, sizeof *c);
    pf_status st;
    *out = NULL;
    if (!c)
        return PF_E_NOMEM;
    c->table = table;
    c->rules = rules;
    c->config = config;
    st = pf_scanner_create(rules, &c->scanner);
    if (st == PF_OK)
        st = pfi_tz_cache_create(&c->tz);
    if (st != PF_OK) {
        pf_checker_destroy(c);
        return st;
    }
    *out = c;
    return PF_OK;
}

pf_status pf_checker_create(pf_session *session, pf_checker **out, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!out || !session) {
        if (out)
            *out = NULL;
        pfi_diag_set(diag, PF_E_INVALID, "a checker needs a session");
        return PF_E_INVALID;
    }
    pf_status st = pfi_checker_create(pf_session_countries(session), pf_session_rules(session),
                                      pf_session_config(session), out);
    if (st != PF_OK) {
        pfi_diag_set(diag, st, "%s", pf_strerror(st));
        return st;
    }
    (*out)->session = pf_session_ref(session);
    return PF_OK;
}

void pf_checker_destroy(pf_checker *c)
{
    if (!c)
        return;
    pf_scanner_destroy(c->scanner);
    pfi_tz_cache_destroy(c->tz);
    pf_session_unref(c->session);
    pfi_checker_set_memo(c, false);
    free(c);
}

void pfi_checker_set_memo(pf_checker *c, bool on)
{
    if (on && !c->memo) {
        c->memo = calloc(CONTENT_MEMO, sizeof *c->memo); /* no memory: no memo */
        return;
    }
    if (!on && c->memo) {
        for (size_t i = 0; i < CONTENT_MEMO; i++) {
            free(c->memo[i].key);
            pf_finding_list_clear(&c->memo[i].found);
        }
        free(c->memo);
        c->memo = NULL;
    }
}

size_t pfi_checker_memo_hits(const pf_checker *c)
{
    return c->memo_hits;
}

static void add(struct check *k, const char *id, pf_severity sev, const char *fix,
                const char *source, const char *fmt, ...) PF_PRINTF(6, 7);

static void add(struct check *k, const char *id, pf_severity sev, const char *fix,
                const char *source, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pf_finding f = {.id = id, .severity = sev, .message = msg, .fix = fix, .source = source};
    pf_status st = pf_finding_list_add(k->out, &f);
    if (st != PF_OK && k->st == PF_OK)
        k->st = st;
}

/* The source that backs a country fact, or the platform's availability page. */
static const char *country_source(const pf_country *c, const char *field)
{
    const pf_source *s = c ? pf_country_source_for(c, field) : NULL;
    return s ? s->url : SRC_AVAILABILITY;
}

/* ---- recipient ---- */

static bool is_non_sms_type(pf_number_type t)
{
    return t == PF_NT_PREMIUM_RATE || t == PF_NT_SHARED_COST || t == PF_NT_PAGER ||
           t == PF_NT_UAN || t == PF_NT_VOICEMAIL;
}

static void check_recipient(struct check *k)
{
    const pf_check_input *in = k->in;
    pf_verdict *v = k->v;
    pf_diag d;
    const char *region = in->region;
    if (!region && k->ck->config)
        region = pf_config_default_region(k->ck->config);

    pf_status st =
        pf_number_parse(in->to ? in->to : "", in->to ? in->to_len : 0, region, &v->user, &d);
    if (st != PF_OK) {
        add(k, "number.unparseable", PF_SEV_BLOCK,
            "Give the recipient in E.164 form: '+', the country calling code, then the "
            "national number, e.g. +14155552671.",
            SRC_SEND_API, "The recipient cannot be read as a phone number: %s.", d.message);
        return;
    }
    v->user_parsed = true;
    if (!v->user.strict_e164) {
        char fix[160];
        if (v->user.valid)
            snprintf(fix, sizeof fix, "Send it as %s.", v->user.e164);
        else
            snprintf(fix, sizeof fix,
                     "Write it as '+', the country calling code and the "
                     "national number, without spaces.");
        add(k, "number.not-e164", PF_SEV_BLOCK, fix, SRC_SEND_API,
            "The recipient is not in strict E.164 form, so the API would answer 400.");
    }
    if (!v->user.valid) {
        add(k, "number.invalid", PF_SEV_BLOCK,
            "Check the number with the recipient; it is not a valid number for its region.",
            SRC_SEND_API, "%s is not a valid number%s%s.", v->user.e164,
            v->user.region[0] ? " for " : "", v->user.region);
        return;
    }
    if (is_non_sms_type(v->user.type))
        add(k, "number.non-sms-type", PF_SEV_BLOCK,
            "Text a mobile number of the recipient instead.", "heuristic",
            "%s is a %s number, which does not receive SMS.", v->user.e164,
            pf_number_type_name(v->user.type));
}

/* ---- country ---- */

static void check_country(struct check *k)
{
    pf_verdict *v = k->v;
    if (!v->user_parsed || !v->user.valid)
        return;
    k->country = pf_countries_get(k->ck->table, v->user.region);
    const pf_country *c = k->country;
    if (!c || !c->reviewed[0]) {
        add(k, "country.unverified", PF_SEV_WARN,
            "Check the destination's SMS rules yourself, or add a reviewed entry to the "
            "country table (see data/README.md).",
            "heuristic", "The country table has no reviewed entry for %s.",
            v->user.region[0] ? v->user.region : "this destination");
        if (!c)
            return;
    }
    if (c->sms == PF_TRI_NO)
        add(k, "country.sms-unsupported", PF_SEV_BLOCK,
            "Reach this recipient another way; SMS is not delivered there.",
            country_source(c, "sms"), "SMS is not delivered to %s (%s).", c->name, c->code);
    if (v->user.type == PF_NT_FIXED_LINE && c->landline_sms == PF_TRI_NO)
        add(k, "number.landline", PF_SEV_BLOCK, "Text a mobile number of the recipient instead.",
            country_source(c, "landline_sms"),
            "%s is a landline, and landlines in %s do not receive SMS.", v->user.e164, c->name);
    if (c->two_way == PF_TRI_NO)
        add(k, "country.one-way", PF_SEV_WARN,
            "Tell the recipient how to reach you other than by replying, or use another "
            "channel for conversations.",
            country_source(c, "two_way"),
            "Replies from %s are not supported: the conversation this send opens cannot "
            "continue by SMS.",
            c->name);
}

/* ---- senders ---- */

static bool us_ca(const char *r)
{
    return strcmp(r, "US") == 0 || strcmp(r, "CA") == 0;
}

/*
 * The country-table sender kind of a number sending to region. US and
 * Canadian numbers count as domestic to each other: both ride the same
 * North American A2P system. A toll-free number is the destination's
 * toll-free kind only at home; abroad it is just a numeric sender from
 * another country, which the table calls an international long code.
 */
static pf_sender_kind table_kind(pf_sender_type kind, const char *sender_region,
                                 const char *to_region)
{
    bool domestic =
        strcmp(sender_region, to_region) == 0 || (us_ca(sender_region) && us_ca(to_region));
    if (kind == PF_SENDER_SHORT_CODE)
        return PF_SK_SHORT_CODE;
    if (kind == PF_SENDER_TOLL_FREE && domestic)
        return PF_SK_TOLL_FREE;
    return domestic ? PF_SK_LONG_CODE_DOMESTIC : PF_SK_LONG_CODE_INTERNATIONAL;
}

/*
 * The sender findings for one number and this destination, into list (a
 * scratch list for candidates, the verdict's for the chosen sender).
 * Returns the highest severity added, or -1.
 */
static int sender_findings(struct check *k, const pf_config_number *n, pf_finding_list *list)
{
    pf_finding_list *saved = k->out;
    k->out = list;
    const pf_country *c = k->country;
    const char *to = k->v->user.region;
    if (c) {
        pf_sender_kind sk = table_kind(n->kind, n->region, to);
        pf_sender_status ss = c->senders[sk];
        char field[48];
        snprintf(field, sizeof field, "senders.%s", pf_sender_kind_name(sk));
        if (ss == PF_SS_UNKNOWN) {
            add(k, "country.sender-unknown", PF_SEV_WARN,
                "Check with the provider that this sender kind reaches the destination, or "
                "add a sourced fact to the country table.",
                "heuristic",
                "The country table does not say whether %s senders reach %s; %s is one.",
                pf_sender_kind_name(sk), c->name, n->number);
        } else if (ss == PF_SS_NOT_SUPPORTED) {
            add(k, "country.sender-unsupported", PF_SEV_BLOCK,
                "Send from a sender kind that is allowed there (see 'preflight countries').",
                country_source(c, field), "%s (%s) is a %s sender, which %s does not allow.",
                n->number, pf_sender_type_name(n->kind), pf_sender_kind_name(sk), c->name);
        } else if (ss == PF_SS_REGISTRATION_REQUIRED && !us_ca(to)) {
            const pf_sender_registration *r = pf_config_number_registration(n, c->code);
            if (!r || r->status != PF_REG_APPROVED)
                add(k, "country.registration-required", PF_SEV_WARN,
                    "Register the sender for this country and record it under the number's "
                    "sender_registrations in the config.",
                    country_source(c, "registrations"),
                    "%s requires registration for %s senders; the config records %s for %s.",
                    c->name, pf_sender_kind_name(sk), r ? pf_reg_status_name(r->status) : "none",
                    n->number);
        }
    }
    if (us_ca(to) && n->kind == PF_SENDER_LONG_CODE && us_ca(n->region) &&
        n->a2p_10dlc != PF_REG_APPROVED) {
        if (n->campaign_id)
            add(k, "a2p.10dlc-unregistered", PF_SEV_BLOCK,
                "Wait for the campaign's approval (or fix and resubmit it) before sending, or "
                "send from a number on an approved campaign.",
                SRC_10DLC,
                "%s is on A2P 10DLC campaign %s, which is %s: carriers block unregistered "
                "traffic to %s.",
                n->number, n->campaign_id, pf_reg_status_name(n->a2p_10dlc), to);
        else
            add(k, "a2p.10dlc-unregistered", PF_SEV_BLOCK,
                "Register an A2P 10DLC brand and campaign for this number and record it in the "
                "config.",
                SRC_10DLC,
                "%s has no A2P 10DLC campaign: carriers block unregistered traffic to %s.",
                n->number, to);
    }
    if (us_ca(to) && n->kind == PF_SENDER_TOLL_FREE && n->toll_free_verification != PF_REG_APPROVED)
        add(k, "a2p.toll-free-unverified", PF_SEV_BLOCK,
            "Complete toll-free verification for this number before sending.", SRC_TOLL_FREE,
            "Toll-free number %s is not verified (%s): carriers block unverified toll-free "
            "traffic to %s.",
            n->number, pf_reg_status_name(n->toll_free_verification), to);

    k->out = saved;
    return pf_finding_list_max(list);
}

/*
 * Preference among the environment's senders that pass (documented in the
 * README): first those without warnings, then by kind: 0 domestic long
 * code, 1 toll-free, 2 short code, 3 international long code; then config
 * order.
 */
static int preference(const struct check *k, const pf_config_number *n)
{
    switch (table_kind(n->kind, n->region, k->v->user.region)) {
    case PF_SK_LONG_CODE_DOMESTIC: return 0;
    case PF_SK_TOLL_FREE: return 1;
    case PF_SK_SHORT_CODE: return 2;
    default: return 3;
    }
}

static void set_agent(struct check *k, const char *e164, const pf_config_number *n, bool autosel)
{
    pf_verdict *v = k->v;
    v->has_agent = true;
    v->agent_auto = autosel;
    pfi_copy_cut(v->agent_e164, sizeof v->agent_e164, e164, strlen(e164));
    if (n) {
        v->agent_kind = n->kind;
        memcpy(v->agent_region, n->region, sizeof v->agent_region);
    }
}

static void merge(struct check *k, pf_finding_list *from)
{
    for (size_t i = 0; i < from->count && k->st == PF_OK; i++)
        k->st = pf_finding_list_add(&k->v->findings, &from->items[i]);
}

static void check_sender(struct check *k)
{
    const pf_config *cfg = k->ck->config;
    pf_verdict *v = k->v;
    const pf_check_input *in = k->in;

    if (in->agent_number) {
        pf_number an;
        pf_diag d;
        size_t alen = strlen(in->agent_number);
        bool ok = pf_number_parse(in->agent_number, alen, NULL, &an, &d) == PF_OK;
        const char *e164 = ok && an.valid ? an.e164 : in->agent_number;
        const pf_config_number *n = cfg ? pf_config_find_number(cfg, e164) : NULL;
        set_agent(k, e164, n, false);
        if (!n && ok) {
            v->agent_kind = an.type == PF_NT_TOLL_FREE ? PF_SENDER_TOLL_FREE : PF_SENDER_LONG_CODE;
            memcpy(v->agent_region, an.region, sizeof v->agent_region);
        }
        if (!pf_number_is_strict_e164(in->agent_number, alen))
            add(k, "number.not-e164", PF_SEV_BLOCK,
                ok && an.valid ? "Give agent_number in E.164 form." : "Check the sender number.",
                SRC_SEND_API,
                "The sender %s is not in strict E.164 form, so the API would "
                "answer 400.",
                in->agent_number);
        if (!cfg)
            return; /* nothing to check provisioning against */
        if (!n) {
            add(k, "sender.not-provisioned", PF_SEV_BLOCK,
                "Send from one of the project's numbers (see the config), or omit the sender "
                "and let one be selected.",
                SRC_SEND_API,
                "%s is not one of the project's provisioned numbers: the API would answer 400.",
                e164);
            return;
        }
        if (n->environment != k->env) {
            add(k, "sender.wrong-environment", PF_SEV_BLOCK,
                "Use a number provisioned for this environment, or check --env.", SRC_SEND_API,
                "%s is provisioned for %s, not for %s.", n->number,
                pf_environment_name(n->environment), pf_environment_name(k->env));
            return;
        }
        if (v->user_parsed && v->user.valid)
            sender_findings(k, n, &v->findings);
        return;
    }

    if (!cfg || !v->user_parsed || !v->user.valid)
        return;
    /* Automatic selection: the best sender of the environment that passes. */
    const pf_config_number *best = NULL;
    pf_finding_list best_list;
    int best_pref = 0, best_sev = 0;
    size_t candidates = 0;
    char why[512] = "";
    pf_finding_list_init(&best_list);
    for (size_t i = 0; i < pf_config_number_count(cfg) && k->st == PF_OK; i++) {
        const pf_config_number *n = pf_config_number_at(cfg, i);
        if (n->environment != k->env)
            continue;
        candidates++;
        pf_finding_list tmp;
        pf_finding_list_init(&tmp);
        int sev = sender_findings(k, n, &tmp);
        int pref = preference(k, n);
        if (sev == PF_SEV_BLOCK) {
            const char *id = "blocked";
            for (size_t f = 0; f < tmp.count; f++) {
                if (tmp.items[f].severity == PF_SEV_BLOCK) {
                    id = tmp.items[f].id;
                    break;
                }
            }
            size_t used = strlen(why);
            if (used < sizeof why - 64)
                snprintf(why + used, sizeof why - used, "%s%s (%s)", used ? "; " : "", n->number,
                         id);
            pf_finding_list_clear(&tmp);
        } else if (!best || sev < best_sev || (sev == best_sev && pref < best_pref)) {
            /* Keep the winner's findings: they become the verdict's. */
            pf_finding_list_clear(&best_list);
            best_list = tmp;
            best = n;
            best_pref = pref;
            best_sev = sev;
        } else {
            pf_finding_list_clear(&tmp);
        }
    }
    if (!best) {
        add(k, "sender.none-available", PF_SEV_BLOCK,
            "Provision or register a number that may send to this destination in this "
            "environment.",
            SRC_AVAILABILITY, "No %s number of the project may send to %s%s%s.",
            pf_environment_name(k->env), v->user.region,
            candidates ? ": " : " (the config has none in this environment)",
            candidates ? why : "");
        return;
    }
    set_agent(k, best->number, best, true);
    merge(k, &best_list);
    pf_finding_list_clear(&best_list);
}

/* ---- quiet hours ---- */

static bool in_window(const pf_quiet_window *w, unsigned minute, unsigned weekday)
{
    unsigned prev = (weekday + 6) % 7;
    if (w->from_minute < w->to_minute)
        return (w->days & (1u << weekday)) && minute >= w->from_minute && minute < w->to_minute;
    /* Wraps midnight: the evening part on a listed day, the morning part on
     * the day after a listed day. */
    return ((w->days & (1u << weekday)) && minute >= w->from_minute) ||
           ((w->days & (1u << prev)) && minute < w->to_minute);
}

static void check_quiet_hours(struct check *k)
{
    const pf_country *c = k->country;
    if (!c || c->quiet != PF_QUIET_WINDOWS)
        return;
    /* The zones the recipient can be in: those of the area its number's
     * area code names, where the zone data knows the area; else all of the
     * country's. */
    struct pfi_local_time lt[MAX_ZONES];
    char where[128] = "", note[200] = "", area[32] = "";
    const char *areaz[MAX_ZONES];
    size_t nareaz = 0;
    if (pfi_countries_has_areas(k->ck->table, c->code) &&
        describe(k->v->user.e164, where, sizeof where))
        nareaz = pf_countries_area_zones(k->ck->table, c->code, where, areaz, MAX_ZONES, area,
                                         sizeof area);
    long nz = nareaz
                  ? pfi_tz_local_times_in(k->ck->tz, areaz, nareaz, k->in->send_time, lt, MAX_ZONES)
                  : pfi_tz_local_times(k->ck->tz, c->code, k->in->send_time, lt, MAX_ZONES);
    if (nz < 0) {
        if (k->st == PF_OK)
            k->st = pfi_tz_out_of_memory(k->ck->tz) ? PF_E_NOMEM : PF_E_INTERNAL;
        return;
    }
    if (nz == 0)
        return;
    if (nareaz) {
        /* The geocoder often names the area already ("San Francisco, CA");
         * add the area code only when it does not ("Hawaii", "HI"). */
        size_t wl = strlen(where), al = strlen(area);
        bool named = wl >= al + 2 && memcmp(where + wl - al - 2, ", ", 2) == 0 &&
                     strcmp(where + wl - al, area) == 0;
        if (named)
            snprintf(note, sizeof note, " (the number is in %s)", where);
        else
            snprintf(note, sizeof note, " (the number is in %s, %s)", where, area);
    }
    else if (nz > 1)
        snprintf(note, sizeof note,
                 " (the number's area is not known, so every zone of %s "
                 "counts)",
                 c->code);
    for (size_t w = 0; w < c->quiet_window_count; w++) {
        const pf_quiet_window *win = &c->quiet_windows[w];
        pf_severity sev = PF_SEV_BLOCK;
        if (win->promotional_only) {
            if (k->in->purpose == PF_PURPOSE_TRANSACTIONAL)
                continue;
            if (k->in->purpose == PF_PURPOSE_UNKNOWN)
                sev = PF_SEV_WARN;
        }
        size_t hits = 0;
        const struct pfi_local_time *first = NULL;
        for (long z = 0; z < nz && z < MAX_ZONES; z++) {
            if (in_window(win, lt[z].minute, lt[z].weekday)) {
                if (!first)
                    first = &lt[z];
                hits++;
            }
        }
        if (!hits)
            continue;
        char fix[256];
        snprintf(fix, sizeof fix, "Send outside %02u:%02u-%02u:%02u recipient local time%s.",
                 win->from_minute / 60, win->from_minute % 60, win->to_minute / 60,
                 win->to_minute % 60,
                 win->promotional_only ? ", or mark the message transactional (--purpose) if it "
                                         "is not marketing"
                                       : "");
        add(k, "time.quiet-hours", sev, fix, country_source(c, "quiet_hours"),
            "The send time is %02u:%02u in %s%s, inside %s's %squiet hours "
            "(%02u:%02u-%02u:%02u)%s%s.",
            first->minute / 60, first->minute % 60, first->zone,
            hits > 1 ? " and other candidate zones" : "", c->name,
            win->promotional_only ? "promotional " : "", win->from_minute / 60,
            win->from_minute % 60, win->to_minute / 60, win->to_minute % 60, note,
            win->promotional_only && k->in->purpose == PF_PURPOSE_UNKNOWN
                ? "; the message's purpose is not known"
                : "");
        break; /* one quiet-hours finding per check: the first window that applies */
    }
}

/* ---- content and text ---- */

static pf_status check_content(struct check *k)
{
    const pf_check_input *in = k->in;
    pf_verdict *v = k->v;
    const pf_config *cfg = k->ck->config;
    pf_segments *seg = NULL;
    pf_diag d;
    pf_status st = pf_segments_compute(in->message, in->message_len, &seg, &d);
    if (st != PF_OK)
        return st;
    v->has_message = true;
    v->encoding = seg->encoding;
    v->characters = seg->characters;
    v->segments = seg->segment_count;
    st =
        pf_message_check(in->message, in->message_len, seg,
                         cfg ? pf_config_max_segments(cfg) : PF_SEGMENTS_MAX_DEFAULT, &v->findings);
    pf_segments_destroy(seg);
    if (st != PF_OK)
        return st;

    pf_scan_options o = pf_scan_options_default();
    /* The session's ids (config and options) or the config's, then the
     * check's own: any number of them. */
    size_t base_n = 0;
    const char *const *base = k->ck->session ? pf_session_disabled_rules(k->ck->session, &base_n)
                              : cfg          ? pf_config_disabled_rules(cfg, &base_n)
                                             : NULL;
    const char **disabled = NULL;
    size_t nd = base_n + in->disabled_count;
    if (nd) {
        if (!(disabled = malloc(nd * sizeof *disabled)))
            return PF_E_NOMEM;
        for (size_t i = 0; i < base_n; i++)
            disabled[i] = base[i];
        for (size_t i = 0; i < in->disabled_count; i++)
            disabled[base_n + i] = in->disabled[i];
    }
    o.disabled = disabled;
    o.disabled_count = nd;
    if (v->user_parsed && v->user.valid && v->user.region[0] && strcmp(v->user.region, "001")) {
        o.country = v->user.region;
        o.country_entry = k->country;
    }
    o.sender = v->has_agent ? v->agent_kind : PF_SENDER_UNKNOWN;
    o.first_message = in->first_message;
    o.brand = cfg ? pf_config_brand(cfg) : NULL;
    st = pf_scanner_scan(k->ck->scanner, in->message, in->message_len, &o, &v->findings, &d);
    free(disabled);
    return st;
}

static bool key_put(char *key, size_t *n, const void *p, size_t len)
{
    if (len > CONTENT_KEY_MAX - *n)
        return false;
    memcpy(key + *n, p, len);
    *n += len;
    return true;
}

/* The memo key of this check's content inputs into ck->key; 0: too long to keep. */
static size_t content_key(struct check *k)
{
    const pf_checker *ck = k->ck;
    const pf_check_input *in = k->in;
    const pf_verdict *v = k->v;
    const pf_config *cfg = ck->config;
    char *key = k->ck->key;
    size_t n = 0;
    /* As check_content derives them. */
    bool has_country = v->user_parsed && v->user.valid && v->user.region[0] &&
                       strcmp(v->user.region, "001");
    const char *country = has_country ? v->user.region : "";
    const pf_country *entry = has_country ? k->country : NULL;
    int head[3] = {v->has_agent ? (int)v->agent_kind : (int)PF_SENDER_UNKNOWN,
                   (int)in->first_message, has_country};
    unsigned maxseg = cfg ? pf_config_max_segments(cfg) : PF_SEGMENTS_MAX_DEFAULT;
    const char *brand = cfg ? pf_config_brand(cfg) : NULL;
    size_t base_n = 0;
    const char *const *base = ck->session ? pf_session_disabled_rules(ck->session, &base_n)
                              : cfg       ? pf_config_disabled_rules(cfg, &base_n)
                                          : NULL;
    size_t sizes[3] = {base_n, in->disabled_count, in->message_len};
    bool ok = key_put(key, &n, head, sizeof head) && key_put(key, &n, &maxseg, sizeof maxseg) &&
              key_put(key, &n, &entry, sizeof entry) && key_put(key, &n, sizes, sizeof sizes) &&
              key_put(key, &n, country, strlen(country) + 1) &&
              key_put(key, &n, brand ? "\1" : "\0", 1) &&
              key_put(key, &n, brand ? brand : "", brand ? strlen(brand) + 1 : 0);
    for (size_t i = 0; ok && i < base_n; i++)
        ok = key_put(key, &n, base[i], strlen(base[i]) + 1);
    for (size_t i = 0; ok && i < in->disabled_count; i++)
        ok = key_put(key, &n, in->disabled[i], strlen(in->disabled[i]) + 1);
    if (ok && in->message_len)
        ok = key_put(key, &n, in->message, in->message_len);
    return ok ? n : 0;
}

/*
 * check_content through the memo. Exact only because nothing before the
 * content checks changes their findings: the scanner's overlap rule looks
 * at findings with a span already in the list, and the checks before it
 * add none with a span (asserted here: with one, the memo is skipped).
 */
static pf_status check_content_memo(struct check *k)
{
    pf_checker *ck = k->ck;
    pf_verdict *v = k->v;
    size_t before = v->findings.count;
    struct content_memo *m = NULL;
    size_t keylen = 0;
    bool spans = false;
    for (size_t i = 0; i < before; i++)
        spans = spans || v->findings.items[i].has_span;
    if (ck->memo && !spans)
        keylen = content_key(k);
    uint64_t h = 1469598103934665603ull;
    if (keylen) {
        for (size_t i = 0; i < keylen; i++)
            h = (h ^ (unsigned char)ck->key[i]) * 1099511628211ull;
        m = &ck->memo[h % CONTENT_MEMO];
        if (m->key && m->keylen == keylen && memcmp(m->key, ck->key, keylen) == 0) {
            ck->memo_hits++;
            v->has_message = m->has_message;
            v->encoding = m->encoding;
            v->characters = m->characters;
            v->segments = m->segments;
            for (size_t i = 0; i < m->found.count; i++) {
                pf_status st = pf_finding_list_add(&v->findings, &m->found.items[i]);
                if (st != PF_OK)
                    return st;
            }
            return PF_OK;
        }
    }
    pf_status st = check_content(k);
    if (st != PF_OK || !m)
        return st;
    size_t bit = (size_t)(h >> 32) % CONTENT_SEEN;
    if (!(ck->seen[bit / 8] & (1u << (bit % 8)))) {
        ck->seen[bit / 8] |= (unsigned char)(1u << (bit % 8)); /* first sighting: not kept */
        return PF_OK;
    }
    /* Remember it (a failure to remember is no failure of the check). */
    pf_finding_list_clear(&m->found);
    if (keylen > m->keycap) {
        char *nk = realloc(m->key, keylen);
        if (!nk) {
            free(m->key);
            memset(m, 0, sizeof *m);
            return PF_OK;
        }
        m->key = nk;
        m->keycap = keylen;
    }
    memcpy(m->key, ck->key, keylen);
    m->keylen = keylen;
    m->has_message = v->has_message;
    m->encoding = v->encoding;
    m->characters = v->characters;
    m->segments = v->segments;
    for (size_t i = before; i < v->findings.count; i++) {
        if (pf_finding_list_add(&m->found, &v->findings.items[i]) != PF_OK) {
            pf_finding_list_clear(&m->found);
            m->keylen = (size_t)-1; /* matches no key */
            break;
        }
    }
    return PF_OK;
}

pf_status pf_checker_check(pf_checker *ck, const pf_check_input *in, pf_verdict *v, pf_diag *diag)
{
    struct check k = {.ck = ck, .in = in, .v = v};
    size_t bad = 0;

    pf_diag_clear(diag);
    pf_verdict_init(v);
    k.out = &v->findings;
    if (!in->message && in->message_len) {
        pfi_diag_set(diag, PF_E_INVALID, "no message");
        return PF_E_INVALID;
    }
    if (in->message_len > PF_MESSAGE_MAX) {
        pfi_diag_set(diag, PF_E_TOO_LARGE, "the message is %zu bytes; the limit is %u",
                     in->message_len, PF_MESSAGE_MAX);
        return PF_E_TOO_LARGE;
    }
    if (pf_utf8_validate(in->message ? in->message : "", in->message_len, &bad) != PF_OK) {
        pfi_diag_set(diag, PF_E_UTF8, "the message has invalid UTF-8 at byte %zu", bad);
        if (diag)
            diag->offset = bad;
        return PF_E_UTF8;
    }
    /* A NUL is valid UTF-8 but no SMS character: the API's JSON would carry
     * it, carriers would not. An input error, not a finding. */
    const char *nul = in->message_len ? memchr(in->message, '\0', in->message_len) : NULL;
    if (nul) {
        pfi_diag_set(diag, PF_E_INVALID, "the message has a NUL byte at byte %zu",
                     (size_t)(nul - in->message));
        if (diag)
            diag->offset = (size_t)(nul - in->message);
        return PF_E_INVALID;
    }
    k.env = in->environment >= 0 ? (pf_environment)in->environment
            : ck->session        ? pf_session_environment(ck->session)
            : ck->config         ? pf_config_environment(ck->config)
                                 : PF_ENV_LIVE;
    check_recipient(&k);
    check_country(&k);
    check_sender(&k);
    check_quiet_hours(&k);
    pf_status st = check_content_memo(&k);
    if (st == PF_OK) {
        pf_finding_list_sort(&v->findings);
        /* Said, not hidden: without a config the sender was not checked.
         * Last, after the sort, as the CLI has always printed it. */
        if (!ck->config)
            add(&k, "config.none", PF_SEV_INFO,
                "Pass --config preflight.json to check the sender.", "heuristic",
                "No project config was given: sender provisioning, environment and A2P "
                "registration were not checked.");
        st = k.st;
    }
    if (st != PF_OK) {
        pfi_diag_set(diag, st, "%s", pf_strerror(st));
        pf_verdict_clear(v);
        return st;
    }
    v->verdict = pf_verdict_from_findings(&v->findings);
    return PF_OK;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's method). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

pf_status pf_time_parse(const char *t, int64_t *out)
{
    unsigned y, mo, d, h, mi, sec = 0, oh = 0, om = 0;
    size_t i = 0;
    int sign = 0;
    if (!t || !digits(t, 4, &y) || t[4] != '-' || !digits(t + 5, 2, &mo) || t[7] != '-' ||
        !digits(t + 8, 2, &d) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
        !digits(t + 11, 2, &h) || t[13] != ':' || !digits(t + 14, 2, &mi))
        return PF_E_SYNTAX;
    i = 16;
    if (t[i] == ':') {
        if (!digits(t + i + 1, 2, &sec))
            return PF_E_SYNTAX;
        i += 3;
        if (t[i] == '.' || t[i] == ',') {
            i++;
            if (t[i] < '0' || t[i] > '9')
                return PF_E_SYNTAX;
            while (t[i] >= '0' && t[i] <= '9')
                i++;
        }
    }
    if (t[i] == 'Z' || t[i] == 'z') {
        i++;
    } else if (t[i] == '+' || t[i] == '-') {
        sign = t[i] == '+' ? 1 : -1;
        if (!digits(t + i + 1, 2, &oh))
            return PF_E_SYNTAX;
        i += 3;
        if (t[i] == ':')
            i++;
        if (!digits(t + i, 2, &om))
            return PF_E_SYNTAX;
        i += 2;
    } else {
        return PF_E_SYNTAX; /* a time without an offset is ambiguous */
    }
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (t[i] != '\0' || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
        return PF_E_SYNTAX;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return PF_E_SYNTAX;
    int64_t s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (sec > 59 ? 59 : sec);
    s -= sign * (int64_t)(oh * 3600 + om * 60);
    *out = s;
    return PF_OK;
}
