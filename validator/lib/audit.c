/*
 * audit.c — the country launch audit (see audit.h): the country's facts
 * with their sources, a checklist judged against the project config, every
 * provisioned number of the environment checked by the engine, the
 * templates linted for the country, and an overall verdict.
 *
 * Nothing here decides about a sender on its own: each number goes through
 * pf_checker_check exactly as `preflight check --agent-number` would, so
 * the audit cannot contradict a check.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "preflight/audit.h"
#include "preflight/number.h"
#include "verdict_int.h"

/* A message no content rule cares about: the audit asks about senders. */
#define NEUTRAL_MESSAGE "Your appointment is confirmed."

struct audit {
    pf_audit pub; /* first: pf_audit_destroy casts back */
    char **strings;
    size_t nstrings, capstrings;
    pf_status st; /* first allocation failure, sticky */
};

const char *pf_audit_state_name(pf_audit_state s)
{
    return s == PF_AUDIT_READY ? "ready" : s == PF_AUDIT_ACTION ? "action needed" : "unknown";
}

const char *pf_audit_verdict_name(pf_audit_verdict v)
{
    return v == PF_AUDIT_VERDICT_READY      ? "ready"
           : v == PF_AUDIT_VERDICT_WARNINGS ? "ready with warnings"
                                            : "not ready";
}

pf_audit_options pf_audit_options_default(void)
{
    pf_audit_options o;
    memset(&o, 0, sizeof o);
    return o;
}

/* A printf-formatted string the audit owns ("" after a failure, which
 * st remembers). */
static const char *fmt(struct audit *a, const char *f, ...) PF_PRINTF(2, 3);

static const char *fmt(struct audit *a, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s || pfi_grow((void **)&a->strings, &a->capstrings, a->nstrings + 1, sizeof *a->strings)) {
        free(s);
        a->st = PF_E_NOMEM;
        return "";
    }
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    a->strings[a->nstrings++] = s;
    return s;
}

/* A growing text, for lists inside details. */
struct text {
    char buf[2048];
    size_t n;
};

static void add(struct text *t, const char *f, ...) PF_PRINTF(2, 3);

static void add(struct text *t, const char *f, ...)
{
    va_list ap;
    if (t->n >= sizeof t->buf - 1)
        return;
    va_start(ap, f);
    int w = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, f, ap);
    va_end(ap);
    if (w > 0)
        t->n = t->n + (size_t)w < sizeof t->buf ? t->n + (size_t)w : sizeof t->buf - 1;
}

static const char *source_of(const pf_country *c, const char *field)
{
    const pf_source *s = pf_country_source_for(c, field);
    return s ? s->url : NULL;
}

/* The first source backing field or anything inside it ("senders" is
 * backed by a source of "senders.alphanumeric"). */
static const char *source_within(const pf_country *c, const char *field)
{
    const char *s = source_of(c, field);
    size_t n = strlen(field);
    for (size_t i = 0; !s && i < c->source_count; i++) {
        for (size_t k = 0; !s && k < c->sources[i].fact_count; k++) {
            const char *f = c->sources[i].facts[k];
            if (strncmp(f, field, n) == 0 && f[n] == '.')
                s = c->sources[i].url;
        }
    }
    return s;
}

/* ---- facts ---- */

static void quiet_text(const pf_country *c, struct text *t)
{
    static const char *const names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    if (c->quiet == PF_QUIET_UNKNOWN) {
        add(t, "unknown");
        return;
    }
    if (c->quiet == PF_QUIET_NONE) {
        add(t, "none");
        return;
    }
    for (size_t i = 0; i < c->quiet_window_count; i++) {
        const pf_quiet_window *w = &c->quiet_windows[i];
        add(t, "%s%02u:%02u-%02u:%02u ", i ? "; " : "", w->from_minute / 60, w->from_minute % 60,
            w->to_minute / 60, w->to_minute % 60);
        if (w->days == 0x7F) {
            add(t, "every day");
        } else {
            bool first = true;
            for (int k = 0; k < 7; k++) {
                if (w->days & (1u << k)) {
                    add(t, "%s%s", first ? "" : ",", names[k]);
                    first = false;
                }
            }
        }
        add(t, ", %s traffic", w->promotional_only ? "promotional" : "all");
    }
}

static void list_text(struct text *t, const char *const *items, size_t n, bool known)
{
    if (!known) {
        add(t, "unknown");
        return;
    }
    if (n == 0)
        add(t, "none");
    for (size_t i = 0; i < n; i++)
        add(t, "%s%s", i ? ", " : "", items[i]);
}

static pf_status facts(struct audit *a, const pf_country *c)
{
    static const char *const kind_labels[PF_SK_COUNT] = {
        "Sender: domestic long code", "Sender: international long code", "Sender: toll-free",
        "Sender: short code", "Sender: alphanumeric ID"};
    pf_audit *p = &a->pub;
    size_t cap = 0;
    struct text t;

#define FACT(lbl, fld, val, kn)                                                                    \
    do {                                                                                           \
        if (pfi_grow((void **)&p->facts, &cap, p->fact_count + 1, sizeof *p->facts) != PF_OK)      \
            return PF_E_NOMEM;                                                                     \
        p->facts[p->fact_count++] = (pf_audit_fact){(lbl),                                         \
                                                    (fld),                                         \
                                                    (val),                                         \
                                                    (kn),                                          \
                                                    source_of(c, (fld)),                           \
                                                    pf_country_fact_low_confidence(c, (fld))};     \
    } while (0)

    FACT("SMS delivered", "sms", pf_tri_name(c->sms), c->sms != PF_TRI_UNKNOWN);
    FACT("Two-way (replies)", "two_way", pf_tri_name(c->two_way), c->two_way != PF_TRI_UNKNOWN);
    FACT("Concatenated messages", "concatenation", pf_tri_name(c->concatenation),
         c->concatenation != PF_TRI_UNKNOWN);
    if (c->length_note)
        FACT("Length", "length_note", c->length_note, true);
    FACT("Landlines receive SMS", "landline_sms", pf_tri_name(c->landline_sms),
         c->landline_sms != PF_TRI_UNKNOWN);
    for (int k = 0; k < PF_SK_COUNT; k++) {
        const char *field = fmt(a, "senders.%s", pf_sender_kind_name((pf_sender_kind)k));
        FACT(kind_labels[k], field, pf_sender_status_name(c->senders[k]),
             c->senders[k] != PF_SS_UNKNOWN);
    }
    t.n = 0;
    t.buf[0] = '\0';
    for (size_t i = 0; i < c->registration_count; i++)
        add(&t, "%s%s", i ? "; " : "", c->registrations[i].name);
    FACT("Registrations", "registrations",
         c->registration_count ? fmt(a, "%s", t.buf) : "none listed", true);
    if (c->sender_id_rules)
        FACT("Sender ID rules", "sender_id_rules", c->sender_id_rules, true);
    t.n = 0;
    t.buf[0] = '\0';
    quiet_text(c, &t);
    FACT("Quiet hours (local time)", "quiet_hours", fmt(a, "%s", t.buf),
         c->quiet != PF_QUIET_UNKNOWN);
    FACT("URL shorteners banned", "content.url_shorteners_banned",
         pf_tri_name(c->url_shorteners_banned), c->url_shorteners_banned != PF_TRI_UNKNOWN);
    FACT("URLs banned", "content.urls_banned", pf_tri_name(c->urls_banned),
         c->urls_banned != PF_TRI_UNKNOWN);
    FACT("Phone numbers banned", "content.phone_numbers_banned",
         pf_tri_name(c->phone_numbers_banned), c->phone_numbers_banned != PF_TRI_UNKNOWN);
    FACT("Chat-app links banned", "content.chat_app_links_banned",
         pf_tri_name(c->chat_app_links_banned), c->chat_app_links_banned != PF_TRI_UNKNOWN);
    t.n = 0;
    t.buf[0] = '\0';
    list_text(&t, c->banned_categories, c->banned_category_count, c->banned_categories_known);
    FACT("Banned content categories", "content.banned_categories", fmt(a, "%s", t.buf),
         c->banned_categories_known);
    FACT("Opt-out required", "opt_out.required", pf_tri_name(c->opt_out_required),
         c->opt_out_required != PF_TRI_UNKNOWN);
    t.n = 0;
    t.buf[0] = '\0';
    list_text(&t, c->opt_out_keywords, c->opt_out_keyword_count, c->opt_out_keywords_known);
    FACT("Opt-out keywords", "opt_out.keywords", fmt(a, "%s", t.buf), c->opt_out_keywords_known);
#undef FACT
    return a->st;
}

/* ---- numbers ---- */

static bool kept(const char *id)
{
    /* Quiet hours depend on the send time and content on the message: the
     * checklist has items for both. */
    return strncmp(id, "time.", 5) != 0 && strncmp(id, "content.", 8) != 0 &&
           strncmp(id, "message.", 8) != 0 && strncmp(id, "rules.", 6) != 0;
}

static pf_status check_numbers(struct audit *a, const pf_audit_options *o, pf_diag *diag)
{
    pf_audit *p = &a->pub;
    const pf_config *cfg = o->config;
    pf_checker *ck = NULL;
    pf_status st = PF_OK;
    size_t n = pf_config_number_count(cfg);
    pf_environment env = pf_config_environment(cfg);

    p->numbers = calloc(n ? n : 1, sizeof *p->numbers);
    if (!p->numbers)
        return PF_E_NOMEM;
    if (p->recipient[0] && (st = pfi_checker_create(o->table, o->rules, cfg, &ck)) != PF_OK)
        return st;
    for (size_t i = 0; i < n && st == PF_OK; i++) {
        const pf_config_number *num = pf_config_number_at(cfg, i);
        if (num->environment != env) {
            p->other_numbers++;
            continue;
        }
        pf_audit_number *an = &p->numbers[p->number_count++];
        an->number = num;
        an->two_way = p->country->two_way;
        pf_verdict_init(&an->verdict);
        if (!ck)
            continue;
        pf_check_input in = pf_check_input_default();
        pf_verdict raw;
        in.to = p->recipient;
        in.to_len = strlen(p->recipient);
        in.message = NEUTRAL_MESSAGE;
        in.message_len = strlen(NEUTRAL_MESSAGE);
        in.agent_number = num->number;
        in.first_message = PF_FIRST_NO;
        in.purpose = PF_PURPOSE_TRANSACTIONAL;
        st = pf_checker_check(ck, &in, &raw, diag);
        if (st != PF_OK)
            break;
        an->verdict = raw;
        pf_finding_list_init(&an->verdict.findings);
        for (size_t k = 0; k < raw.findings.count && st == PF_OK; k++) {
            if (kept(raw.findings.items[k].id))
                st = pf_finding_list_add(&an->verdict.findings, &raw.findings.items[k]);
        }
        pf_finding_list_clear(&raw.findings);
        an->verdict.verdict = pf_verdict_from_findings(&an->verdict.findings);
        an->checked = true;
        an->can_send = an->verdict.verdict != PF_VERDICT_BLOCK;
    }
    pf_checker_destroy(ck);
    return st;
}

/* ---- the checklist ---- */

static void item(struct audit *a, size_t *cap, const char *id, const char *title,
                 pf_audit_state state, pf_severity weight, const char *detail, const char *source)
{
    pf_audit *p = &a->pub;
    if (pfi_grow((void **)&p->items, cap, p->item_count + 1, sizeof *p->items) != PF_OK) {
        a->st = PF_E_NOMEM;
        return;
    }
    p->items[p->item_count++] = (pf_audit_item){id, title, state, weight, detail, source};
}

static bool is_registration(const char *id)
{
    return strcmp(id, "country.registration-required") == 0 ||
           strcmp(id, "a2p.10dlc-unregistered") == 0 || strcmp(id, "a2p.toll-free-unverified") == 0;
}

static bool has_registration_finding(const pf_audit_number *n)
{
    for (size_t i = 0; i < n->verdict.findings.count; i++) {
        if (is_registration(n->verdict.findings.items[i].id))
            return true;
    }
    return false;
}

/* The first blocking finding's id, for "why it cannot send". */
static const char *first_block(const pf_audit_number *n)
{
    for (size_t i = 0; i < n->verdict.findings.count; i++) {
        if (n->verdict.findings.items[i].severity == PF_SEV_BLOCK)
            return n->verdict.findings.items[i].id;
    }
    return "blocked";
}

static void item_sms(struct audit *a, size_t *cap, const pf_country *c)
{
    const char *src = source_of(c, "sms");
    if (c->sms == PF_TRI_YES)
        item(a, cap, "sms", "SMS is delivered", PF_AUDIT_READY, PF_SEV_BLOCK,
             fmt(a, "SMS is delivered to %s.", c->name), src);
    else if (c->sms == PF_TRI_NO)
        item(a, cap, "sms", "SMS is delivered", PF_AUDIT_ACTION, PF_SEV_BLOCK,
             fmt(a, "SMS is not delivered to %s: reach these users another way.", c->name), src);
    else
        item(a, cap, "sms", "SMS is delivered", PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             fmt(a, "The country table does not say whether SMS reaches %s.", c->name), src);
}

static void item_senders(struct audit *a, size_t *cap, const pf_country *c)
{
    const pf_audit *p = &a->pub;
    const char *title = "A provisioned number may send there";
    const char *src = source_within(c, "senders");
    struct text t = {.n = 0};
    t.buf[0] = '\0';
    add(&t, "Sender kinds for %s:", c->code);
    for (int k = 0; k < PF_SK_COUNT; k++)
        add(&t, "%s %s %s", k ? "," : "", pf_sender_kind_name((pf_sender_kind)k),
            pf_sender_status_name(c->senders[k]));
    add(&t, ".");
    if (!p->has_config) {
        item(a, cap, "senders", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             fmt(a, "No project config was given, so no number was checked. %s", t.buf), src);
        return;
    }
    if (!p->recipient[0]) {
        item(a, cap, "senders", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             fmt(a,
                 "libphonenumber has no example number for %s, so no sender could be "
                 "checked. %s",
                 c->code, t.buf),
             src);
        return;
    }
    if (p->number_count == 0) {
        item(a, cap, "senders", title, PF_AUDIT_ACTION, PF_SEV_BLOCK,
             fmt(a, "The config has no %s numbers. %s", p->environment, t.buf), src);
        return;
    }
    struct text ok = {.n = 0}, bad = {.n = 0};
    ok.buf[0] = bad.buf[0] = '\0';
    size_t nok = 0;
    for (size_t i = 0; i < p->number_count; i++) {
        const pf_audit_number *n = &p->numbers[i];
        if (n->can_send) {
            add(&ok, "%s%s", nok ? ", " : "", n->number->number);
            nok++;
        } else {
            add(&bad, "%s%s (%s)", bad.n ? ", " : "", n->number->number, first_block(n));
        }
    }
    if (nok)
        item(a, cap, "senders", title, PF_AUDIT_READY, PF_SEV_BLOCK,
             fmt(a, "%zu of %zu %s numbers may send to %s: %s. %s", nok, p->number_count,
                 p->environment, c->code, ok.buf, t.buf),
             src);
    else
        item(a, cap, "senders", title, PF_AUDIT_ACTION, PF_SEV_BLOCK,
             fmt(a, "None of the %zu %s numbers may send to %s: %s. %s", p->number_count,
                 p->environment, c->code, bad.buf, t.buf),
             src);
}

static void item_registrations(struct audit *a, size_t *cap, const pf_country *c)
{
    const pf_audit *p = &a->pub;
    const char *title = "Sender registrations are in place";
    const char *src = source_of(c, "registrations");
    bool needed = c->registration_count > 0;
    for (int k = 0; k < PF_SK_COUNT; k++)
        needed |= c->senders[k] == PF_SS_REGISTRATION_REQUIRED;
    struct text t = {.n = 0};
    t.buf[0] = '\0';
    for (size_t i = 0; i < c->registration_count; i++)
        add(&t, "%s%s", i ? "; " : "", c->registrations[i].name);
    if (!needed) {
        item(a, cap, "registrations", title, PF_AUDIT_READY, PF_SEV_WARN,
             fmt(a, "The country table lists no sender registration for %s.", c->code), src);
        return;
    }
    const char *what = c->registration_count ? fmt(a, "Required: %s.", t.buf)
                                             : "Some sender kinds need registration.";
    if (!p->has_config || !p->recipient[0]) {
        item(a, cap, "registrations", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             fmt(a, "%s No number was checked.", what), src);
        return;
    }
    struct text ok = {.n = 0}, bad = {.n = 0};
    ok.buf[0] = bad.buf[0] = '\0';
    bool any_can = false;
    for (size_t i = 0; i < p->number_count; i++) {
        const pf_audit_number *n = &p->numbers[i];
        any_can |= n->can_send;
        if (!n->checked)
            continue;
        if (has_registration_finding(n)) {
            for (size_t k = 0; k < n->verdict.findings.count; k++) {
                const pf_finding *f = &n->verdict.findings.items[k];
                if (is_registration(f->id))
                    add(&bad, "%s%s (%s)", bad.n ? ", " : "", n->number->number, f->id);
            }
        } else if (n->can_send) {
            add(&ok, "%s%s", ok.n ? ", " : "", n->number->number);
        }
    }
    if (ok.n)
        item(a, cap, "registrations", title, PF_AUDIT_READY, PF_SEV_WARN,
             fmt(a, "%s Registered senders: %s.%s%s", what, ok.buf,
                 bad.n ? " Not registered: " : "", bad.n ? fmt(a, "%s.", bad.buf) : ""),
             src);
    else if (bad.n)
        item(a, cap, "registrations", title, PF_AUDIT_ACTION, any_can ? PF_SEV_WARN : PF_SEV_BLOCK,
             fmt(a, "%s Not registered: %s.", what, bad.buf), src);
    else
        item(a, cap, "registrations", title, PF_AUDIT_ACTION, PF_SEV_WARN,
             fmt(a, "%s No number that may send there records one.", what), src);
}

/* Does the country ban what this rule category is about? */
static bool banned_here(const pf_country *c, const char *category)
{
    if ((strcmp(category, "url-shortener") == 0 && c->url_shorteners_banned == PF_TRI_YES) ||
        (strcmp(category, "url") == 0 && c->urls_banned == PF_TRI_YES) ||
        (strcmp(category, "phone-number") == 0 && c->phone_numbers_banned == PF_TRI_YES) ||
        (strcmp(category, "chat-app") == 0 && c->chat_app_links_banned == PF_TRI_YES))
        return true;
    for (size_t i = 0; c->banned_categories_known && i < c->banned_category_count; i++) {
        if (strcmp(c->banned_categories[i], category) == 0)
            return true;
    }
    return false;
}

static void item_content(struct audit *a, size_t *cap, const pf_country *c, const pf_ruleset *rules)
{
    const pf_audit *p = &a->pub;
    const char *title = "Templates keep clear of the country's content bans";
    const char *src = source_within(c, "content");
    bool known = c->banned_categories_known || c->url_shorteners_banned != PF_TRI_UNKNOWN ||
                 c->urls_banned != PF_TRI_UNKNOWN || c->phone_numbers_banned != PF_TRI_UNKNOWN ||
                 c->chat_app_links_banned != PF_TRI_UNKNOWN;
    struct text bans = {.n = 0};
    bans.buf[0] = '\0';
    add(&bans, "Banned in %s:", c->code);
    size_t nb = 0;
    if (c->url_shorteners_banned == PF_TRI_YES)
        add(&bans, "%s URL shorteners", nb++ ? "," : "");
    if (c->urls_banned == PF_TRI_YES)
        add(&bans, "%s links", nb++ ? "," : "");
    if (c->phone_numbers_banned == PF_TRI_YES)
        add(&bans, "%s phone numbers", nb++ ? "," : "");
    if (c->chat_app_links_banned == PF_TRI_YES)
        add(&bans, "%s chat-app links", nb++ ? "," : "");
    for (size_t i = 0; c->banned_categories_known && i < c->banned_category_count; i++)
        add(&bans, "%s %s", nb++ ? "," : "", c->banned_categories[i]);
    add(&bans, nb ? "." : " nothing the table knows of.");
    if (!p->lint) {
        item(a, cap, "content", title, PF_AUDIT_UNKNOWN, PF_SEV_INFO,
             fmt(a, "%s Templates were not checked: pass --templates.", bans.buf), src);
        return;
    }
    struct text hits = {.n = 0};
    hits.buf[0] = '\0';
    for (size_t i = 0; i < p->lint->count; i++) {
        const pf_lint_template *t = &p->lint->templates[i];
        for (size_t k = 0; k < t->findings.count; k++) {
            const pf_finding *f = &t->findings.items[k];
            const pf_rule_info *ri = pf_rules_find(rules, f->id);
            if (ri && banned_here(c, ri->category))
                add(&hits, "%s'%s' (%s)", hits.n ? ", " : "", t->def->name, f->id);
        }
    }
    if (hits.n)
        item(a, cap, "content", title, PF_AUDIT_ACTION, PF_SEV_BLOCK,
             fmt(a, "%s Breaking them: %s.", bans.buf, hits.buf), src);
    else if (!known)
        item(a, cap, "content", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             fmt(a,
                 "The country table lists no content bans for %s; templates were checked "
                 "against the rule packs only.",
                 c->code),
             src);
    else
        item(a, cap, "content", title, PF_AUDIT_READY, PF_SEV_BLOCK,
             fmt(a, "%s No template breaks them.", bans.buf), src);
}

static void item_quiet(struct audit *a, size_t *cap, const pf_country *c)
{
    const char *title = "Sends are scheduled outside quiet hours";
    const char *src = source_of(c, "quiet_hours");
    struct text t = {.n = 0};
    t.buf[0] = '\0';
    quiet_text(c, &t);
    if (c->quiet == PF_QUIET_WINDOWS)
        item(a, cap, "quiet-hours", title, PF_AUDIT_READY, PF_SEV_WARN,
             fmt(a,
                 "Quiet hours, recipient local time: %s. preflight check and send block a "
                 "send inside them (--at and --purpose).",
                 t.buf),
             src);
    else if (c->quiet == PF_QUIET_NONE)
        item(a, cap, "quiet-hours", title, PF_AUDIT_READY, PF_SEV_WARN,
             "A source states there is no time restriction.", src);
    else
        item(a, cap, "quiet-hours", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             "The country table does not know the quiet hours: check local rules before "
             "scheduling campaigns.",
             src);
}

/* Is word in text as a whole word (ASCII case-insensitive)? */
static bool has_word(const char *text, size_t len, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; n && i + n <= len; i++) {
        if (i > 0 && isalnum((unsigned char)text[i - 1]))
            continue;
        if (i + n < len && isalnum((unsigned char)text[i + n]))
            continue;
        size_t k = 0;
        while (k < n && tolower((unsigned char)text[i + k]) == tolower((unsigned char)word[k]))
            k++;
        if (k == n)
            return true;
    }
    return false;
}

static void item_opt_out(struct audit *a, size_t *cap, const pf_country *c)
{
    const pf_audit *p = &a->pub;
    const char *title = "First messages carry opt-out language";
    const char *src = source_within(c, "opt_out");
    struct text kw = {.n = 0};
    kw.buf[0] = '\0';
    list_text(&kw, c->opt_out_keywords, c->opt_out_keyword_count, c->opt_out_keywords_known);
    if (c->opt_out_required == PF_TRI_NO) {
        item(a, cap, "opt-out", title, PF_AUDIT_READY, PF_SEV_WARN,
             "The country table says opt-out language is not required (offering it is still "
             "good practice).",
             src);
        return;
    }
    if (c->opt_out_required == PF_TRI_UNKNOWN) {
        item(a, cap, "opt-out", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             "The country table does not say whether opt-out language is required.", src);
        return;
    }
    if (!p->lint) {
        item(a, cap, "opt-out", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             fmt(a, "Required (keywords: %s); templates were not checked: pass --templates.",
                 kw.buf),
             src);
        return;
    }
    /* A template that may be a first message needs the language: by the
     * rule packs' finding where a rule runs for the country, else by one
     * of the country's keywords appearing as a word. */
    struct text missing = {.n = 0};
    missing.buf[0] = '\0';
    pf_severity weight = PF_SEV_WARN;
    size_t firsts = 0;
    for (size_t i = 0; i < p->lint->count; i++) {
        const pf_lint_template *t = &p->lint->templates[i];
        if (t->skipped || t->def->first_message == PF_FIRST_NO)
            continue;
        firsts++;
        bool lacks = false;
        for (size_t k = 0; k < t->findings.count; k++) {
            const pf_finding *f = &t->findings.items[k];
            if (strcmp(f->id, "content.opt-out-missing") == 0) {
                lacks = true;
                if (f->severity > weight)
                    weight = f->severity;
            }
        }
        if (!lacks && c->opt_out_keywords_known) {
            bool any = false;
            for (size_t k = 0; k < c->opt_out_keyword_count && !any; k++)
                any = has_word(t->def->text, t->def->len, c->opt_out_keywords[k]);
            lacks = !any;
        }
        if (lacks)
            add(&missing, "%s'%s'", missing.n ? ", " : "", t->def->name);
    }
    if (missing.n)
        item(a, cap, "opt-out", title, PF_AUDIT_ACTION, weight,
             fmt(a, "Required (keywords: %s). Without it (first message, or not known): %s.",
                 kw.buf, missing.buf),
             src);
    else
        item(a, cap, "opt-out", title, PF_AUDIT_READY, PF_SEV_WARN,
             fmt(a, "Required (keywords: %s). %s", kw.buf,
                 firsts ? "Every template that may be a first message has it."
                        : "No template is marked as a possible first message."),
             src);
}

static void item_two_way(struct audit *a, size_t *cap, const pf_country *c)
{
    const char *title = "Replies reach the agent (two-way)";
    const char *src = source_of(c, "two_way");
    if (c->two_way == PF_TRI_YES)
        item(a, cap, "two-way", title, PF_AUDIT_READY, PF_SEV_WARN,
             fmt(a, "Replies from %s are delivered, so conversations can continue.", c->name), src);
    else if (c->two_way == PF_TRI_NO)
        item(a, cap, "two-way", title, PF_AUDIT_ACTION, PF_SEV_WARN,
             fmt(a,
                 "Replies from %s are not delivered: a conversation a send opens cannot "
                 "continue by SMS. Tell recipients how else to reach you.",
                 c->name),
             src);
    else
        item(a, cap, "two-way", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             "The country table does not say whether replies are delivered.", src);
}

static void item_reviewed(struct audit *a, size_t *cap, const pf_country *c)
{
    const char *title = "The country's entry is reviewed";
    if (c->reviewed[0])
        item(a, cap, "reviewed", title, PF_AUDIT_READY, PF_SEV_WARN,
             fmt(a, "The entry was reviewed on %s against %zu source%s.", c->reviewed,
                 c->source_count, c->source_count == 1 ? "" : "s"),
             NULL);
    else
        item(a, cap, "reviewed", title, PF_AUDIT_UNKNOWN, PF_SEV_WARN,
             "The entry has not been reviewed: check its facts before relying on them (see "
             "data/README.md).",
             NULL);
}

/* The campaign files, pre-scanned as 10DLC campaigns (campaign.c): ready
 * when none has a finding at warn or above. Only US and Canadian traffic
 * needs a campaign. */
static void item_campaigns(struct audit *a, size_t *cap, const pf_country *c,
                           const pf_audit_options *o)
{
    const char *title = "A2P 10DLC campaign ready to submit";
    const char *src = "https://www.twilio.com/docs/api/errors/30899";
    if (!o->campaign_count)
        return;
    if (strcmp(c->code, "US") != 0 && strcmp(c->code, "CA") != 0) {
        item(a, cap, "campaign", title, PF_AUDIT_READY, PF_SEV_INFO,
             fmt(a, "A2P 10DLC campaigns are for US and Canadian traffic; not needed for %s.",
                 c->code),
             src);
        return;
    }
    struct text t = {.n = 0};
    t.buf[0] = '\0';
    int worst = -1;
    for (size_t i = 0; i < o->campaign_count && a->st == PF_OK; i++) {
        pf_campaign_result *r = NULL;
        pf_diag d;
        pf_campaign_options co = pf_campaign_options_default();
        pf_status st = pf_campaign_check(o->campaigns[i], o->rules, &co, &r, &d);
        if (st != PF_OK) {
            a->st = st;
            break;
        }
        int max = r->verdict == PF_VERDICT_BLOCK  ? PF_SEV_BLOCK
                  : r->verdict == PF_VERDICT_WARN ? PF_SEV_WARN
                                                  : -1;
        if (max > worst)
            worst = max;
        add(&t, "%s%s: %s (%zu block, %zu warn)", i ? "; " : "", r->file,
            pf_verdict_name(r->verdict), r->severity_count[PF_SEV_BLOCK],
            r->severity_count[PF_SEV_WARN]);
        if (r->findings.count && r->findings.items[0].severity >= PF_SEV_WARN)
            add(&t, ", first: line %u %s", r->locations[0].at.line, r->findings.items[0].id);
        pf_campaign_result_destroy(r);
    }
    if (worst < 0)
        item(a, cap, "campaign", title, PF_AUDIT_READY, PF_SEV_INFO,
             fmt(a, "%s.", t.buf), src);
    else
        item(a, cap, "campaign", title, PF_AUDIT_ACTION, (pf_severity)worst,
             fmt(a, "%s. Run 'preflight campaign' on the file for each finding and its fix.",
                 t.buf),
             src);
}

static void item_templates(struct audit *a, size_t *cap, const pf_country *c)
{
    const pf_audit *p = &a->pub;
    const char *title = "Templates pass lint";
    if (!p->lint) {
        item(a, cap, "templates", title, PF_AUDIT_UNKNOWN, PF_SEV_INFO,
             "Templates were not checked: pass --templates PATH.", NULL);
        return;
    }
    const pf_lint_result *r = p->lint;
    size_t linted = r->count - r->skipped, worst = 0;
    struct text blocked = {.n = 0}, warned = {.n = 0};
    blocked.buf[0] = warned.buf[0] = '\0';
    for (size_t i = 0; i < r->count; i++) {
        const pf_lint_template *t = &r->templates[i];
        if (t->skipped)
            continue;
        if (t->worst.segments > worst)
            worst = t->worst.segments;
        if (t->verdict == PF_VERDICT_BLOCK)
            add(&blocked, "%s'%s'", blocked.n ? ", " : "", t->def->name);
        else if (t->verdict == PF_VERDICT_WARN)
            add(&warned, "%s'%s'", warned.n ? ", " : "", t->def->name);
    }
    if (linted == 0)
        item(a, cap, "templates", title, PF_AUDIT_UNKNOWN, PF_SEV_INFO,
             fmt(a, "No template is sent to %s (%zu skipped).", c->code, r->skipped), NULL);
    else if (blocked.n)
        item(a, cap, "templates", title, PF_AUDIT_ACTION, PF_SEV_BLOCK,
             fmt(a, "Blocked: %s%s%s.", blocked.buf, warned.n ? "; with warnings: " : "",
                 warned.buf),
             NULL);
    else if (warned.n)
        item(a, cap, "templates", title, PF_AUDIT_ACTION, PF_SEV_WARN,
             fmt(a, "With warnings: %s.", warned.buf), NULL);
    else
        item(a, cap, "templates", title, PF_AUDIT_READY, PF_SEV_BLOCK,
             fmt(a, "%zu template%s pass%s; the longest is at most %zu segment%s.", linted,
                 linted == 1 ? "" : "s", linted == 1 ? "es" : "", worst, worst == 1 ? "" : "s"),
             NULL);
}

/* ---- the chart's counts ---- */

static void count(struct audit *a, size_t *cap, const pf_finding *f, const pf_ruleset *rules)
{
    pf_audit *p = &a->pub;
    char name[40];
    const pf_rule_info *ri =
        strncmp(f->id, "content.", 8) == 0 ? pf_rules_find(rules, f->id) : NULL;
    if (ri) {
        snprintf(name, sizeof name, "%s", ri->category);
    } else {
        const char *dot = strchr(f->id, '.');
        snprintf(name, sizeof name, "%.*s", (int)(dot ? (size_t)(dot - f->id) : strlen(f->id)),
                 f->id);
    }
    p->severity_count[f->severity]++;
    for (size_t i = 0; i < p->category_count; i++) {
        if (strcmp(p->categories[i].name, name) == 0) {
            p->categories[i].count[f->severity]++;
            return;
        }
    }
    if (pfi_grow((void **)&p->categories, cap, p->category_count + 1, sizeof *p->categories)) {
        a->st = PF_E_NOMEM;
        return;
    }
    pf_audit_category *c = &p->categories[p->category_count++];
    memset(c, 0, sizeof *c);
    memcpy(c->name, name, sizeof c->name);
    c->count[f->severity]++;
}

static int cmp_category(const void *x, const void *y)
{
    return strcmp(((const pf_audit_category *)x)->name, ((const pf_audit_category *)y)->name);
}

/* ---- the audit ---- */

pf_status pf_audit_run(const pf_audit_options *o, pf_audit **out, pf_diag *diag)
{
    struct audit *a = NULL;
    pf_audit *p;
    pf_status st = PF_OK;
    size_t icap = 0, ccap = 0;

    *out = NULL;
    pf_diag_clear(diag);
    if (!o || !o->country || !o->table || !o->rules) {
        pfi_diag_set(diag, PF_E_INVALID, "pf_audit_run: NULL argument");
        return PF_E_INVALID;
    }
    const pf_country *c = pf_countries_get(o->table, o->country);
    if (!c) {
        pfi_diag_path(diag, "%s", o->country);
        pfi_diag_set(diag, PF_E_NOT_FOUND,
                     "'%s' is not a region in the country table (use ISO 3166-1 alpha-2, upper "
                     "case, e.g. DE)",
                     o->country);
        return PF_E_NOT_FOUND;
    }
    a = calloc(1, sizeof *a);
    if (!a)
        return PF_E_NOMEM;
    p = &a->pub;
    p->country = c;
    p->has_config = o->config != NULL;
    p->environment = o->config ? pf_environment_name(pf_config_environment(o->config)) : NULL;
    /* A representative recipient: libphonenumber's own example mobile
     * number, or the nearest type it has. */
    static const pf_number_type types[] = {PF_NT_MOBILE, PF_NT_FIXED_LINE_OR_MOBILE,
                                           PF_NT_FIXED_LINE};
    for (size_t i = 0; i < sizeof types / sizeof types[0] && !p->recipient[0]; i++) {
        if (pf_number_example(c->code, types[i], p->recipient, sizeof p->recipient) != PF_OK)
            p->recipient[0] = '\0';
    }

    st = facts(a, c);
    if (st == PF_OK && o->config)
        st = check_numbers(a, o, diag);
    if (st == PF_OK && o->templates) {
        pf_lint_options lo = pf_lint_options_default();
        const char *cc[1] = {c->code};
        lo.countries = cc;
        lo.country_count = 1;
        lo.table = o->table;
        lo.config = o->config;
        st = pf_lint_run(o->templates, o->rules, &lo, &p->lint, diag);
    }
    if (st != PF_OK)
        goto out;

    item_sms(a, &icap, c);
    item_senders(a, &icap, c);
    item_registrations(a, &icap, c);
    item_content(a, &icap, c, o->rules);
    item_opt_out(a, &icap, c);
    item_quiet(a, &icap, c);
    item_two_way(a, &icap, c);
    item_templates(a, &icap, c);
    item_campaigns(a, &icap, c, o);
    item_reviewed(a, &icap, c);

    for (size_t i = 0; i < p->number_count; i++) {
        const pf_finding_list *l = &p->numbers[i].verdict.findings;
        for (size_t k = 0; k < l->count; k++)
            count(a, &ccap, &l->items[k], o->rules);
    }
    for (size_t i = 0; p->lint && i < p->lint->count; i++) {
        const pf_finding_list *l = &p->lint->templates[i].findings;
        for (size_t k = 0; k < l->count; k++)
            count(a, &ccap, &l->items[k], o->rules);
    }
    if (p->category_count > 1)
        qsort(p->categories, p->category_count, sizeof *p->categories, cmp_category);

    /* The verdict: the heaviest item that is not ready. */
    int worst = -1;
    struct text why = {.n = 0};
    why.buf[0] = '\0';
    for (size_t i = 0; i < p->item_count; i++) {
        const pf_audit_item *it = &p->items[i];
        if (it->state != PF_AUDIT_READY && it->weight != PF_SEV_INFO && (int)it->weight > worst)
            worst = (int)it->weight;
    }
    for (size_t i = 0; i < p->item_count; i++) {
        const pf_audit_item *it = &p->items[i];
        if (it->state != PF_AUDIT_READY && worst >= 0 && (int)it->weight == worst)
            add(&why, "%s%s", why.n ? ", " : "", it->id);
    }
    p->verdict = worst == PF_SEV_BLOCK  ? PF_AUDIT_VERDICT_NOT_READY
                 : worst == PF_SEV_WARN ? PF_AUDIT_VERDICT_WARNINGS
                                        : PF_AUDIT_VERDICT_READY;
    p->summary = p->verdict == PF_AUDIT_VERDICT_NOT_READY
                     ? fmt(a, "Not ready to launch in %s: blocked by %s.", c->name, why.buf)
                 : p->verdict == PF_AUDIT_VERDICT_WARNINGS
                     ? fmt(a, "Ready to launch in %s, with warnings: %s.", c->name, why.buf)
                     : fmt(a, "Ready to launch in %s.", c->name);
    st = a->st;
out:
    if (st != PF_OK) {
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
        pf_audit_destroy(p);
        return st;
    }
    *out = p;
    return PF_OK;
}

void pf_audit_destroy(pf_audit *p)
{
    if (!p)
        return;
    struct audit *a = (struct audit *)p;
    for (size_t i = 0; i < p->number_count; i++)
        pf_finding_list_clear(&p->numbers[i].verdict.findings);
    pf_lint_result_destroy(p->lint);
    for (size_t i = 0; i < a->nstrings; i++)
        free(a->strings[i]);
    free(a->strings);
    free(p->facts);
    free(p->items);
    free(p->numbers);
    free(p->categories);
    free(a);
}
