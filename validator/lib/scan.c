/*
 * scan.c — run a compiled rule set over one message.
 *
 * A scanner is the per-thread half of "compile once, scan many": it owns
 * the PCRE2 match data, match context (with match and depth limits, so no
 * rule can hang a scan) and JIT stack; the rule set it reads is shared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model_int.h"
#include "numfast_int.h"
#include "preflight/number.h"
#include "preflight/segments.h"
#include "rules_int.h"

/* A rule that needs more than this many backtracking steps on one message
 * is treated as broken: it reports the limit instead of hanging. */
#define MATCH_LIMIT 2000000u
#define DEPTH_LIMIT 20000u
#define MAX_URLS 64
#define MAX_PHONES 64

/*
 * libphonenumber's matcher is the slowest step of a scan, and a batch sends
 * the same text to many people: remember the last few answers per scanner
 * (so per thread), keyed by the exact text and region.
 */
#define PHONE_CACHE 16

struct phone_memo {
    char *text; /* a copy of the text, NULL when the slot is empty */
    size_t len;
    char region[4];
    size_t count;
    pf_number_span spans[MAX_PHONES];
};

struct scan;

/*
 * Exact memo of whole scans (issue 15): a batch sends the same text to many
 * people, and the answer is a function of the text and the options alone
 * (the rule set is fixed for the scanner). The key is every option that
 * reaches a rule, serialised, plus the text; a hit compares it byte for
 * byte, so two inputs share findings only when they are the same input.
 */
#define SCAN_MEMO 64

struct scan_memo {
    char *key; /* NULL: empty slot */
    size_t keylen;
    pf_finding_list found; /* what the scan added */
};

#define SCOPES 16

struct scope_slot {
    char *key; /* NULL: empty */
    size_t keylen;
    size_t *order; /* indexes into the set's rules */
    size_t norder;
};

struct pf_scanner {
    const pf_ruleset *set;
    void *scratch;       /* the one-pass prefilter's (onepass.c), NULL without one */
    unsigned char *cand; /* per code of the set: may it match this message? */
    size_t *limit;       /* per code: no match starts after this offset (PF_NO_LIMIT: unknown) */
    bool onepass;        /* ask the one-pass engine (off: PCRE2 runs every code) */
    struct scan *sc;     /* one message's working state, reused */
    bool memo_on;        /* remember whole scans (off: benchmarks of the scan itself) */
    size_t memo_hits;
    struct scan_memo smemo[SCAN_MEMO];
    char *key; /* the current input's memo key, grown as needed */
    size_t keycap;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    struct phone_memo memo[PHONE_CACHE];
    unsigned char *fired; /* per rule of the set: did it report on this message? */
    /*
     * The rules in effect per scope (country, sender kind, disabled ids:
     * what pfi_rule_applies reads), in the order they run: every other
     * rule, then the signals rules (which count what the others
     * reported). A few scopes are remembered, each found by its key's
     * hash and compared byte for byte: a batch or a server sends to a few
     * countries and sender kinds, and the international rules' country
     * lists cost a string compare per entry per message.
     */
    struct scope_slot scopes[SCOPES];
    const size_t *order; /* the current scope's */
    size_t norder;
    char *scope_next; /* the key being looked up, grown as needed */
    size_t nextcap;
    bool scope_memo_off; /* tests: rebuild the order for every message */
};

struct url {
    size_t start, end; /* span, trailing punctuation trimmed */
    char host[256];    /* lower case */
};

struct scan {
    pf_scanner *s;
    const char *msg;
    size_t len;
    const pf_scan_options *o;
    pf_finding_list *out;
    struct url urls[MAX_URLS];
    size_t nurls;
    int max_sev; /* highest severity reported by a non-signals rule, -1: none */
};

pf_scan_options pf_scan_options_default(void)
{
    pf_scan_options o;
    memset(&o, 0, sizeof o);
    o.sender = PF_SENDER_UNKNOWN;
    return o;
}

pf_status pf_scanner_create(const pf_ruleset *set, pf_scanner **out)
{
    pf_scanner *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return PF_E_NOMEM;
    s->set = set;
    s->md = pcre2_match_data_create(32, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    s->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    s->fired = calloc(set->count ? set->count : 1, 1);
    s->cand = calloc(set->ncodes ? set->ncodes : 1, 1);
    s->limit = calloc(set->ncodes ? set->ncodes : 1, sizeof *s->limit);
    s->sc = malloc(sizeof *s->sc);
    s->onepass = true;
    s->memo_on = true;
    if (!s->md || !s->mctx || !s->fired || !s->cand || !s->limit || !s->sc ||
        pfi_onepass_scratch(set, &s->scratch) != PF_OK) {
        pf_scanner_destroy(s);
        return PF_E_NOMEM;
    }
    for (size_t i = 0; i < set->ncodes; i++)
        s->limit[i] = PF_NO_LIMIT;
    pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, DEPTH_LIMIT);
    if (s->jit)
        pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
    *out = s;
    return PF_OK;
}

void pf_scanner_destroy(pf_scanner *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < PHONE_CACHE; i++)
        free(s->memo[i].text);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jit);
    for (size_t i = 0; i < SCAN_MEMO; i++) {
        free(s->smemo[i].key);
        pf_finding_list_clear(&s->smemo[i].found);
    }
    free(s->key);
    for (size_t i = 0; i < SCOPES; i++) {
        free(s->scopes[i].key);
        free(s->scopes[i].order);
    }
    free(s->scope_next);
    free(s->fired);
    free(s->cand);
    free(s->limit);
    free(s->sc);
    pfi_onepass_scratch_free(s->scratch);
    free(s);
}

void pfi_scanner_set_onepass(pf_scanner *s, bool on)
{
    s->onepass = on;
}

void pfi_scanner_set_memo(pf_scanner *s, bool on)
{
    s->memo_on = on;
}

void pfi_scanner_set_scope_memo(pf_scanner *s, bool on)
{
    s->scope_memo_off = !on;
}

size_t pfi_scanner_memo_hits(const pf_scanner *s)
{
    return s->memo_hits;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], s) == 0)
            return true;
    }
    return false;
}

bool pfi_rule_applies(const struct pfi_rule *r, const pf_scan_options *o)
{
    if (in_list(r->info.id, o->disabled, o->disabled_count))
        return false;
    /* A country-scoped rule needs a known country; without one it is not run. */
    if (r->countries && (!o->country || !in_list(o->country, r->countries, r->ncountries)))
        return false;
    if (r->excluded && o->country && in_list(o->country, r->excluded, r->nexcluded))
        return false;
    if (r->senders && o->sender != PF_SENDER_UNKNOWN && !(r->senders & (1u << o->sender)))
        return false;
    return true;
}

/*
 * Next match of code at or after *from and starting at or before limit
 * (PF_NO_LIMIT: anywhere). Returns 1 and the span, 0 when there is none,
 * or a negative PCRE2 error (match or depth limit).
 */
static int next_match(struct scan *sc, const pcre2_code *code, size_t limit, size_t *from,
                      size_t *start, size_t *end)
{
    if (!code) /* a pattern compiled on first use could not be (memory) */
        return PCRE2_ERROR_NOMEMORY;
    pcre2_set_offset_limit(sc->s->mctx, limit);
    while (*from <= sc->len && *from <= limit) {
        /* The message was validated once in pf_scanner_scan and *from is
         * always at a character boundary, so PCRE2 need not check the
         * whole subject again on every call (one call per rule and match). */
        int rc = pcre2_match(code, (PCRE2_SPTR)sc->msg, sc->len, *from, PCRE2_NO_UTF_CHECK,
                             sc->s->md, sc->s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc < 0)
            return rc;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->s->md);
        *start = ov[0];
        *end = ov[1];
        if (*end > *start) {
            *from = *end;
            return 1;
        }
        /* An empty match: step over one whole UTF-8 character and go on. */
        size_t next = *start + 1;
        while (next < sc->len && ((unsigned char)sc->msg[next] & 0xC0) == 0x80)
            next++;
        *from = next;
    }
    return 0;
}

static pf_status add(struct scan *sc, const struct pfi_rule *r, pf_severity sev, bool span,
                     size_t start, size_t end)
{
    pf_finding f = {.id = r->info.id,
                    .severity = sev,
                    .message = r->info.message,
                    .fix = r->info.fix,
                    .source = r->info.source,
                    .has_span = span,
                    .span_start = start,
                    .span_end = end};
    sc->s->fired[r - sc->s->set->rules] = 1;
    if ((int)sev > sc->max_sev)
        sc->max_sev = (int)sev;
    return pf_finding_list_add(sc->out, &f);
}

static pf_status limit_hit(struct scan *sc, const struct pfi_rule *r, int rc)
{
    char why[128];
    pcre2_get_error_message(rc, (PCRE2_UCHAR *)why, sizeof why);
    return pf_finding_list_addf(sc->out, "rules.match-limit", PF_SEV_WARN,
                                "Simplify the rule's pattern (avoid nested quantifiers).",
                                "heuristic",
                                "Rule %s was stopped on this message (%s); its result is "
                                "unknown.",
                                r->info.id, why);
}

/*
 * Does a match of one of r's except patterns cover start..end? Only asked
 * when a match is about to become a finding, so it may scan the message.
 */
static int excepted(struct scan *sc, const struct pfi_rule *r, size_t start, size_t end)
{
    for (size_t e = 0; e < r->nexcept; e++) {
        size_t from = 0, s, t;
        int rc;
        while ((rc = next_match(sc, pfi_rule_except(r, e), PF_NO_LIMIT, &from, &s, &t)) == 1 &&
               s <= start) {
            if (t >= end)
                return 1;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Whether any of the n flags at c is set: most rules have none for a
 * message, so they are ruled out eight flags at a time. */
static bool any_set(const unsigned char *c, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        if (w)
            return true;
    }
    for (; i < n; i++)
        if (c[i])
            return true;
    return false;
}

/* Every match of every code of r; overlapping matches of one rule count once. */
static pf_status run_patterns(struct scan *sc, const struct pfi_rule *r, pf_severity sev)
{
    if (!any_set(sc->s->cand + r->code_base, r->ncodes))
        return PF_OK; /* the one-pass engine proved none can match */
    for (size_t c = 0; c < r->ncodes; c++) {
        size_t from = 0, start, end;
        int rc;
        if (!sc->s->cand[r->code_base + c])
            continue; /* the one-pass engine proved it cannot match */
        while ((rc = next_match(sc, pfi_rule_code(r, c), sc->s->limit[r->code_base + c], &from,
                                &start, &end)) == 1) {
            bool overlaps = false;
            for (size_t i = 0; i < sc->out->count; i++) {
                const pf_finding *f = &sc->out->items[i];
                if (f->has_span && strcmp(f->id, r->info.id) == 0 && start < f->span_end &&
                    end > f->span_start)
                    overlaps = true;
            }
            if (overlaps)
                continue;
            int ex = r->nexcept ? excepted(sc, r, start, end) : 0;
            if (ex < 0)
                return limit_hit(sc, r, ex);
            if (ex)
                continue;
            pf_status st = add(sc, r, sev, true, start, end);
            if (st != PF_OK)
                return st;
        }
        if (rc < 0)
            return limit_hit(sc, r, rc);
    }
    return PF_OK;
}

static pf_status run_require(struct scan *sc, const struct pfi_rule *r, pf_severity sev)
{
    for (size_t c = 0; c < r->ncodes; c++) {
        size_t from = 0, start, end;
        if (!sc->s->cand[r->code_base + c])
            continue;
        int rc = next_match(sc, pfi_rule_code(r, c), sc->s->limit[r->code_base + c], &from, &start,
                            &end);
        if (rc == 1)
            return PF_OK;
        if (rc < 0)
            return limit_hit(sc, r, rc);
    }
    return add(sc, r, sev, false, 0, 0);
}

static int cmp_host(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

/* Is host a listed domain, or a subdomain of one? */
static bool host_listed(const struct pfi_rule *r, const char *host)
{
    for (const char *h = host; h; h = strchr(h, '.')) {
        if (*h == '.')
            h++;
        if (bsearch(h, r->domains, r->ndomains, sizeof *r->domains, cmp_host))
            return true;
        if (!strchr(h, '.'))
            break;
    }
    return false;
}

static void find_urls(struct scan *sc)
{
    size_t from = 0, start, end;
    sc->nurls = 0;
    if (!sc->s->cand[sc->s->set->ncodes - 1])
        return;
    while (sc->nurls < MAX_URLS &&
           next_match(sc, sc->s->set->url, PF_NO_LIMIT, &from, &start, &end) == 1) {
        /* Sentence punctuation after a link is not part of it. */
        while (end > start && strchr(".,;:!?)]}'\"", sc->msg[end - 1]))
            end--;
        struct url *u = &sc->urls[sc->nurls++];
        u->start = start;
        u->end = end;
        size_t h = start;
        const char *scheme = "://";
        for (size_t i = start; i + 3 <= end && i < start + 8; i++) {
            if (memcmp(sc->msg + i, scheme, 3) == 0)
                h = i + 3;
        }
        size_t n = 0;
        while (h < end && n + 1 < sizeof u->host && !strchr(":/?#", sc->msg[h])) {
            char c = sc->msg[h++];
            u->host[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        u->host[n] = '\0';
    }
}

static bool ci_contains(const char *hay, size_t hlen, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || n > hlen)
        return n == 0;
    for (size_t i = 0; i + n <= hlen; i++) {
        size_t k = 0;
        while (k < n) {
            char a = hay[i + k], b = needle[k];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (char)(b + 32);
            if (a != b)
                break;
            k++;
        }
        if (k == n)
            return true;
    }
    return false;
}

/* FNV-1a over the text and region: picks the memo slot. */
static size_t memo_slot(const char *text, size_t len, const char *region)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
    for (const char *p = region; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (size_t)(h % PHONE_CACHE);
}

/* The phone numbers in the message, from the memo or from libphonenumber. */
static const struct phone_memo *phones(struct scan *sc, pf_status *st)
{
    const char *region = sc->o->country ? sc->o->country : "";
    /* Text the matcher would not even be started on (too few digits, the
     * usual case) is answered here, and takes no slot from one it was. */
    static const struct phone_memo none = {0};
    if (!pfi_numfast_text_may_have_number_in(sc->msg, sc->len, sc->o->country))
        return &none;
    struct phone_memo *m = &sc->s->memo[memo_slot(sc->msg, sc->len, region)];
    if (m->text && m->len == sc->len && strcmp(m->region, region) == 0 &&
        memcmp(m->text, sc->msg, sc->len) == 0)
        return m;
    pf_number_span spans[MAX_PHONES];
    size_t n = 0;
    *st = pf_number_find_in_text(sc->msg, sc->len, sc->o->country, spans, MAX_PHONES, &n);
    if (*st != PF_OK)
        return NULL;
    char *copy = malloc(sc->len + 1);
    if (!copy) {
        *st = PF_E_NOMEM;
        return NULL;
    }
    memcpy(copy, sc->msg, sc->len);
    free(m->text);
    m->text = copy;
    m->len = sc->len;
    snprintf(m->region, sizeof m->region, "%s", region);
    m->count = n < MAX_PHONES ? n : MAX_PHONES;
    memcpy(m->spans, spans, m->count * sizeof *spans);
    return m;
}

static pf_status run_builtin(struct scan *sc, const struct pfi_rule *r, pf_severity sev)
{
    pf_status st = PF_OK;
    switch (r->builtin) {
    case PFI_BUILTIN_URL:
        for (size_t i = 0; i < sc->nurls && st == PF_OK; i++)
            st = add(sc, r, sev, true, sc->urls[i].start, sc->urls[i].end);
        return st;
    case PFI_BUILTIN_PHONE: {
        const struct phone_memo *m = phones(sc, &st);
        for (size_t i = 0; m && i < m->count && i < MAX_PHONES && st == PF_OK; i++) {
            if (r->number_types && !(r->number_types & (1u << m->spans[i].type)))
                continue;
            st = add(sc, r, sev, true, m->spans[i].start, m->spans[i].end);
        }
        return st;
    }
    case PFI_BUILTIN_BRAND:
        /* Never guessed: without a configured brand there is nothing to check. */
        if (sc->o->brand && sc->o->brand[0] && !ci_contains(sc->msg, sc->len, sc->o->brand))
            st = add(sc, r, sev, false, 0, 0);
        return st;
    }
    return st;
}

/*
 * A signals rule: the weights of the rules it lists that reported on this
 * message, against its threshold. The finding names what added up, so the
 * verdict explains itself.
 */
static pf_status run_signals(struct scan *sc, const struct pfi_rule *r, pf_severity sev)
{
    char why[512];
    size_t used = 0;
    int sum = 0;
    why[0] = '\0';
    for (size_t k = 0; k < r->nsignals; k++) {
        const struct pfi_signal *sg = &r->signals[k];
        if (!sc->s->fired[sg->rule])
            continue;
        sum += sg->weight;
        int n = snprintf(why + used, sizeof why - used, "%s%s (+%d)", used ? ", " : "", sg->id,
                         sg->weight);
        if (n > 0 && (size_t)n < sizeof why - used)
            used += (size_t)n;
    }
    if (sum < r->threshold || (r->when_unflagged && sc->max_sev >= PF_SEV_WARN))
        return PF_OK;
    sc->s->fired[r - sc->s->set->rules] = 1;
    return pf_finding_list_addf(sc->out, r->info.id, sev, r->info.fix, r->info.source,
                                "%s Signals: %s = %d, threshold %d.", r->info.message, why, sum,
                                r->threshold);
}

/* A model rule (model.c): one finding, its score and strongest terms in the message. */
static pf_status run_model(struct scan *sc, const struct pfi_rule *r, pf_severity sev)
{
    char why[320];
    long score = 0, thr = pfi_model_threshold(r->model);
    pf_status st = pfi_model_score(r->model, sc->msg, sc->len, &score, why, sizeof why);
    if (st != PF_OK || score < thr)
        return st;
    sc->s->fired[r - sc->s->set->rules] = 1;
    if (sev > PF_SEV_WARN) /* never the only reason for a block (the loader refuses it too) */
        sev = PF_SEV_WARN;
    if ((int)sev > sc->max_sev)
        sc->max_sev = (int)sev;
    return pf_finding_list_addf(sc->out, r->info.id, sev, r->info.fix, r->info.source,
                                "%s Model: score %s%ld.%03ld, threshold %s%ld.%03ld; strongest "
                                "terms: %s.",
                                r->info.message, score < 0 ? "-" : "", labs(score) / 1000,
                                labs(score) % 1000, thr < 0 ? "-" : "", labs(thr) / 1000,
                                labs(thr) % 1000, why[0] ? why : "none");
}

static bool category_banned(const pf_country *c, const char *category)
{
    for (size_t i = 0; c->banned_categories_known && i < c->banned_category_count; i++) {
        if (strcmp(c->banned_categories[i], category) == 0)
            return true;
    }
    return false;
}

/* The rule's severity for this message and destination; -1: do not run. */
static int effective_severity(const struct scan *sc, const struct pfi_rule *r)
{
    int sev = (int)r->info.severity;
    const pf_country *c = sc->o->country_entry;
    if (c) {
        bool esc = false;
        switch (r->escalate) {
        case PFI_ESC_NONE: break;
        case PFI_ESC_URL_SHORTENERS: esc = c->url_shorteners_banned == PF_TRI_YES; break;
        case PFI_ESC_URLS: esc = c->urls_banned == PF_TRI_YES; break;
        case PFI_ESC_PHONE_NUMBERS: esc = c->phone_numbers_banned == PF_TRI_YES; break;
        case PFI_ESC_CHAT_APPS: esc = c->chat_app_links_banned == PF_TRI_YES; break;
        case PFI_ESC_CATEGORY: esc = category_banned(c, r->info.category); break;
        }
        if (esc)
            sev = PF_SEV_BLOCK;
    }
    if (r->escalate_with_url && sc->nurls > 0 && sev < PF_SEV_BLOCK)
        sev++;
    /* SPEC §3: first-message rules block on a first message, warn when
     * that is unknown, and are silent otherwise. */
    if (r->info.first_message) {
        if (sc->o->first_message == PF_FIRST_NO)
            return -1;
        if (sc->o->first_message == PF_FIRST_UNKNOWN && sev > PF_SEV_WARN)
            sev = PF_SEV_WARN;
    }
    return sev;
}

static bool key_add(pf_scanner *s, size_t *n, const void *p, size_t len)
{
    if (*n + len > s->keycap) {
        size_t ncap = s->keycap ? s->keycap * 2 : 1024;
        while (ncap < *n + len)
            ncap *= 2;
        char *nk = realloc(s->key, ncap);
        if (!nk)
            return false;
        s->key = nk;
        s->keycap = ncap;
    }
    memcpy(s->key + *n, p, len);
    *n += len;
    return true;
}

/* The memo key of this input into s->key; 0 when it cannot be built. */
static size_t memo_key(pf_scanner *s, const char *msg, size_t len, const pf_scan_options *o)
{
    size_t n = 0;
    int head[4] = {o->sender, (int)o->first_message, o->brand ? 1 : 0, o->country ? 1 : 0};
    size_t counts[2] = {o->disabled_count, len};
    bool ok = key_add(s, &n, head, sizeof head) && key_add(s, &n, counts, sizeof counts) &&
              key_add(s, &n, &o->country_entry, sizeof o->country_entry);
    const char *strs[2] = {o->country ? o->country : "", o->brand ? o->brand : ""};
    for (size_t i = 0; ok && i < 2; i++)
        ok = key_add(s, &n, strs[i], strlen(strs[i]) + 1);
    for (size_t i = 0; ok && i < o->disabled_count; i++)
        ok = key_add(s, &n, o->disabled[i], strlen(o->disabled[i]) + 1);
    if (ok)
        ok = key_add(s, &n, msg, len);
    return ok ? n : 0;
}

static pf_status scan_once(pf_scanner *s, const char *msg, size_t len, const pf_scan_options *opts,
                           pf_finding_list *out, pf_diag *diag);

pf_status pf_scanner_scan(pf_scanner *s, const char *msg, size_t len, const pf_scan_options *opts,
                          pf_finding_list *out, pf_diag *diag)
{
    pf_scan_options def = pf_scan_options_default();
    const pf_scan_options *o = opts ? opts : &def;
    size_t keylen = s->memo_on ? memo_key(s, msg, len, o) : 0;
    struct scan_memo *m = NULL;
    if (keylen) {
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < keylen; i++)
            h = (h ^ (unsigned char)s->key[i]) * 1099511628211ull;
        m = &s->smemo[h % SCAN_MEMO];
        if (m->key && m->keylen == keylen && memcmp(m->key, s->key, keylen) == 0) {
            pf_diag_clear(diag);
            s->memo_hits++;
            for (size_t i = 0; i < m->found.count; i++) {
                pf_status st = pf_finding_list_add(out, &m->found.items[i]);
                if (st != PF_OK) {
                    pfi_diag_set(diag, st, "out of memory");
                    return st;
                }
            }
            return PF_OK;
        }
    }
    size_t before = out->count;
    pf_status st = scan_once(s, msg, len, o, out, diag);
    if (st != PF_OK || !m)
        return st;
    /* Remember it (a failure to remember is no failure of the scan). */
    free(m->key);
    pf_finding_list_clear(&m->found);
    m->key = malloc(keylen);
    if (!m->key)
        return PF_OK;
    memcpy(m->key, s->key, keylen);
    m->keylen = keylen;
    for (size_t i = before; i < out->count; i++) {
        if (pf_finding_list_add(&m->found, &out->items[i]) != PF_OK) {
            free(m->key);
            m->key = NULL;
            pf_finding_list_clear(&m->found);
            break;
        }
    }
    return PF_OK;
}

static bool scope_put(pf_scanner *s, size_t *n, const void *p, size_t len)
{
    if (pfi_grow((void **)&s->scope_next, &s->nextcap, *n + len, 1) != PF_OK)
        return false;
    memcpy(s->scope_next + *n, p, len);
    *n += len;
    return true;
}

/*
 * s->order for o's scope: remembered when its key is (compared byte for
 * byte), else worked out from pfi_rule_applies into the key's slot.
 * Without memory it is worked out into a slot and not remembered.
 */
static pf_status scope_order(pf_scanner *s, const pf_scan_options *o)
{
    size_t n = 0;
    int head[3] = {(int)o->sender, o->country ? 1 : 0, (int)o->disabled_count};
    bool ok = scope_put(s, &n, head, sizeof head) &&
              (!o->country || scope_put(s, &n, o->country, strlen(o->country) + 1));
    for (size_t i = 0; ok && i < o->disabled_count; i++)
        ok = scope_put(s, &n, o->disabled[i], strlen(o->disabled[i]) + 1);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; ok && i < n; i++)
        h = (h ^ (unsigned char)s->scope_next[i]) * 1099511628211ull;
    struct scope_slot *slot = &s->scopes[ok ? h % SCOPES : 0];
    if (ok && !s->scope_memo_off && slot->key && slot->keylen == n &&
        memcmp(slot->key, s->scope_next, n) == 0) {
        s->order = slot->order;
        s->norder = slot->norder;
        return PF_OK;
    }
    if (!slot->order && !(slot->order = malloc((s->set->count ? s->set->count : 1) *
                                               sizeof *slot->order)))
        return PF_E_NOMEM;
    slot->norder = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->set->count; i++) {
            const struct pfi_rule *r = &s->set->rules[i];
            if ((r->info.matcher == PF_MATCH_SIGNALS) == (pass == 1) && pfi_rule_applies(r, o))
                slot->order[slot->norder++] = i;
        }
    }
    s->order = slot->order;
    s->norder = slot->norder;
    free(slot->key); /* the slot's key no longer names its order */
    slot->key = NULL;
    if (ok && !s->scope_memo_off && (slot->key = malloc(n ? n : 1)) != NULL) {
        memcpy(slot->key, s->scope_next, n);
        slot->keylen = n;
    }
    return PF_OK;
}

static pf_status scan_once(pf_scanner *s, const char *msg, size_t len, const pf_scan_options *opts,
                           pf_finding_list *out, pf_diag *diag)
{
    pf_scan_options def = pf_scan_options_default();
    struct scan *sc;
    size_t bad = 0;
    pf_status st = PF_OK;

    pf_diag_clear(diag);
    if (pf_utf8_validate(msg, len, &bad) != PF_OK) {
        pfi_diag_set(diag, PF_E_UTF8, "invalid UTF-8 at byte %zu", bad);
        if (diag)
            diag->offset = bad;
        return PF_E_UTF8;
    }
    /* The scanner's own working state: no allocation (nor a 17 KB clear)
     * per message; every field read below is set here or by find_urls. */
    sc = s->sc;
    sc->s = s;
    sc->msg = msg;
    sc->len = len;
    sc->o = opts ? opts : &def;
    sc->out = out;
    sc->max_sev = -1;
    sc->nurls = 0;
    if (s->onepass) {
        pfi_onepass_candidates(s->set, s->scratch, msg, len, s->cand, s->limit);
    } else {
        memset(s->cand, 1, s->set->ncodes);
        for (size_t i = 0; i < s->set->ncodes; i++)
            s->limit[i] = PF_NO_LIMIT;
    }
    find_urls(sc);
    memset(s->fired, 0, s->set->count);
    st = scope_order(s, sc->o);
    /* The rules in effect, the signals rules last (they count what the
     * other rules reported). */
    for (size_t k = 0; k < s->norder && st == PF_OK; k++) {
        const struct pfi_rule *r = &s->set->rules[s->order[k]];
        int sev = effective_severity(sc, r);
        if (sev < 0)
            continue;
        switch (r->info.matcher) {
        case PF_MATCH_PATTERN:
        case PF_MATCH_WORDS: st = run_patterns(sc, r, (pf_severity)sev); break;
        case PF_MATCH_REQUIRE: st = run_require(sc, r, (pf_severity)sev); break;
        case PF_MATCH_DOMAINS:
            for (size_t u = 0; u < sc->nurls && st == PF_OK; u++) {
                if (host_listed(r, sc->urls[u].host))
                    st = add(sc, r, (pf_severity)sev, true, sc->urls[u].start, sc->urls[u].end);
            }
            break;
        case PF_MATCH_BUILTIN: st = run_builtin(sc, r, (pf_severity)sev); break;
        case PF_MATCH_SIGNALS: st = run_signals(sc, r, (pf_severity)sev); break;
        case PF_MATCH_MODEL: st = run_model(sc, r, (pf_severity)sev); break;
        }
    }
    if (st == PF_E_NOMEM)
        pfi_diag_set(diag, st, "out of memory");
    return st;
}
