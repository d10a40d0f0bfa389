/*
 * rules_snap.c — the loaded rule set as bytes, and back (issue 20): the
 * start-up cache's "rules-snapshot" file, so that a warm start builds the
 * set from one file instead of parsing and validating every pack's JSON.
 *
 * Only a set that loads lazily is read back (rules.c): its patterns are
 * compiled on first use from their sources, exactly as when the packs'
 * JSON is loaded lazily, so the snapshot holds no compiled code.
 *
 * Layout (host byte order; the cache is per machine, and the key names
 * this library's version): seven 32-bit header words (magic, format
 * version, packs, rules, words, pool bytes, arena bytes), then the words,
 * then the string pool. Every string is a word holding its offset in the
 * pool, which ends with a NUL, so any offset inside the pool names a
 * NUL-terminated string. A rule's words are, in order: id, category,
 * message, fix, source; severity, matcher, pack, index in its pack, flags,
 * escalate, builtin, senders, number types, threshold; then the lists,
 * each a count and its items: pattern sources, words, except patterns,
 * domains, countries, excluded countries, signals (id, rule index,
 * weight), and a model (0, or 1 then bias, threshold, feature count and
 * each feature with its weight; the longs as two words, low first).
 *
 * The reader checks all of it: counts against the words left, offsets
 * inside the pool, enums and bit sets in range, the lists each matcher
 * needs and no other, domains sorted, pack and signal indexes (a signal's
 * rule exists, is not itself, has the id named and is neither a signals
 * nor a model rule), the model's features as load_features checks them,
 * and that the words and the arena are used exactly. Anything else is a
 * refusal, and the caller loads the packs' JSON instead. The arena (one
 * block with the pool) holds every array the rules point to, so a set read
 * back costs a handful of allocations.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model_int.h"
#include "preflight/number.h"
#include "preflight/sender.h"
#include "rules_int.h"

#define SNAP_MAGIC 0x53524650u /* "PFRS" read as a little-endian word */
#define HEADER_WORDS 7
#define ALIGN 16
#define FLAG_FIRST_MESSAGE 1u
#define FLAG_CASELESS 2u
#define FLAG_ESCALATE_WITH_URL 4u
#define FLAG_WHEN_UNFLAGGED 8u
#define FLAGS_ALL 15u

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

/* ---- writing ---- */

struct wbuf {
    uint32_t *w;
    size_t nw, capw;
    char *pool;
    size_t npool, cappool;
    size_t arena; /* bytes the reader's arrays take */
    bool failed;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * size);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

static void put(struct wbuf *b, uint32_t v)
{
    if (b->failed || !grow((void **)&b->w, &b->capw, b->nw + 1, sizeof *b->w)) {
        b->failed = true;
        return;
    }
    b->w[b->nw++] = v;
}

static void put_long(struct wbuf *b, long v)
{
    uint64_t u = (uint64_t)v;
    put(b, (uint32_t)u);
    put(b, (uint32_t)(u >> 32));
}

static void put_strn(struct wbuf *b, const char *s, size_t n)
{
    if (b->failed || b->npool + n + 1 > UINT32_MAX ||
        !grow((void **)&b->pool, &b->cappool, b->npool + n + 1, 1)) {
        b->failed = true;
        return;
    }
    put(b, (uint32_t)b->npool);
    memcpy(b->pool + b->npool, s, n);
    b->pool[b->npool + n] = '\0';
    b->npool += n + 1;
}

static void put_str(struct wbuf *b, const char *s)
{
    put_strn(b, s, strlen(s));
}

static void put_count(struct wbuf *b, size_t n)
{
    if (n > UINT32_MAX)
        b->failed = true;
    put(b, (uint32_t)n);
}

static void reserve(struct wbuf *b, size_t n, size_t size)
{
    b->arena += round_up(n * size);
}

static void put_list(struct wbuf *b, const char *const *a, size_t n)
{
    put_count(b, n);
    reserve(b, n, sizeof *a);
    for (size_t i = 0; i < n; i++)
        put_str(b, a[i]);
}

static void put_rule(struct wbuf *b, const struct pfi_rule *r)
{
    const pf_rule_info *in = &r->info;
    put_str(b, in->id);
    put_str(b, in->category);
    put_str(b, in->message);
    put_str(b, in->fix);
    put_str(b, in->source);
    put(b, (uint32_t)in->severity);
    put(b, (uint32_t)in->matcher);
    put_count(b, r->pack);
    put_count(b, r->index);
    put(b, (in->first_message ? FLAG_FIRST_MESSAGE : 0) | (r->caseless ? FLAG_CASELESS : 0) |
               (r->escalate_with_url ? FLAG_ESCALATE_WITH_URL : 0) |
               (r->when_unflagged ? FLAG_WHEN_UNFLAGGED : 0));
    put(b, (uint32_t)r->escalate);
    put(b, (uint32_t)r->builtin);
    put(b, r->senders);
    put(b, r->number_types);
    put(b, (uint32_t)r->threshold);
    reserve(b, r->ncodes, sizeof *r->codes);
    put_list(b, (const char *const *)r->sources, r->ncodes);
    put_list(b, r->words, r->nwords);
    reserve(b, r->nexcept, sizeof *r->except);
    put_list(b, r->except_src, r->nexcept);
    put_list(b, r->domains, r->ndomains);
    put_list(b, r->countries, r->ncountries);
    put_list(b, r->excluded, r->nexcluded);
    put_count(b, r->nsignals);
    reserve(b, r->nsignals, sizeof *r->signals);
    for (size_t i = 0; i < r->nsignals; i++) {
        put_str(b, r->signals[i].id);
        put_count(b, r->signals[i].rule);
        put(b, (uint32_t)r->signals[i].weight);
    }
    put(b, r->model != NULL);
    if (r->model) {
        long bias, threshold, weight;
        size_t n, len;
        pfi_model_parts(r->model, &bias, &threshold, &n);
        put_long(b, bias);
        put_long(b, threshold);
        put_count(b, n);
        for (size_t i = 0; i < n; i++) {
            const char *f = pfi_model_feature(r->model, i, &len, &weight);
            put_strn(b, f, len);
            put_long(b, weight);
        }
    }
}

bool pfi_rules_snapshot(const pf_ruleset *set, char **buf, size_t *len)
{
    struct wbuf b = {0};
    *buf = NULL;
    *len = 0;
    for (size_t i = 0; i < set->count; i++)
        put_rule(&b, &set->rules[i]);
    if (!b.failed && !b.npool) {
        put_strn(&b, "", 0); /* the pool always ends with a NUL */
        b.nw--;              /* (that string's offset is no word of the payload) */
    }
    uint32_t h[HEADER_WORDS] = {SNAP_MAGIC,           PFI_RULES_SNAP_VERSION, (uint32_t)set->nfiles,
                                (uint32_t)set->count, (uint32_t)b.nw,         (uint32_t)b.npool,
                                (uint32_t)b.arena};
    size_t total = sizeof h + b.nw * 4 + b.npool;
    char *out =
        b.failed || set->nfiles > UINT32_MAX || set->count > UINT32_MAX || b.arena > UINT32_MAX
            ? NULL
            : malloc(total);
    if (out) {
        memcpy(out, h, sizeof h);
        if (b.nw)
            memcpy(out + sizeof h, b.w, b.nw * 4);
        memcpy(out + sizeof h + b.nw * 4, b.pool, b.npool);
        *buf = out;
        *len = total;
    }
    free(b.w);
    free(b.pool);
    return out != NULL;
}

/* ---- reading ---- */

struct rbuf {
    const char *w; /* the words: read with memcpy, the buffer may be unaligned */
    size_t nw, at;
    char *pool; /* the set's own copy */
    size_t npool;
    char *arena;
    size_t cap, used;
    bool bad;
};

static uint32_t get(struct rbuf *r)
{
    uint32_t v = 0;
    if (r->at == r->nw) {
        r->bad = true;
        return 0;
    }
    memcpy(&v, r->w + 4 * r->at++, 4);
    return v;
}

static long get_long(struct rbuf *r)
{
    uint64_t lo = get(r), hi = get(r);
    return (long)(int64_t)(lo | hi << 32);
}

static char *get_str(struct rbuf *r)
{
    uint32_t off = get(r);
    if (off >= r->npool) {
        r->bad = true;
        return NULL;
    }
    return r->pool + off;
}

/* A count of items that take at least per words each. */
static size_t get_count(struct rbuf *r, size_t per)
{
    size_t n = get(r);
    if (n > (r->nw - r->at) / per) {
        r->bad = true;
        return 0;
    }
    return n;
}

static void *take(struct rbuf *r, size_t n, size_t size)
{
    size_t bytes = round_up(n * size); /* n is at most the words left: no overflow */
    if (r->bad || !n)
        return NULL;
    if (bytes > r->cap - r->used) {
        r->bad = true;
        return NULL;
    }
    void *p = r->arena + r->used;
    r->used += bytes;
    return p;
}

static char **get_list(struct rbuf *r, size_t *n)
{
    *n = get_count(r, 1);
    char **a = take(r, *n, sizeof *a);
    for (size_t i = 0; a && i < *n; i++)
        a[i] = get_str(r);
    return a;
}

/* The lists each matcher has, and no others. */
static bool matcher_fits(const struct pfi_rule *x)
{
    bool codes = x->ncodes > 0, words = x->nwords > 0, domains = x->ndomains > 0,
         signals = x->nsignals > 0, model = x->model != NULL, except = x->nexcept > 0;
    switch (x->info.matcher) {
    case PF_MATCH_PATTERN:
    case PF_MATCH_REQUIRE:
        return codes && !words && !domains && !signals && !model &&
               (!except || x->info.matcher == PF_MATCH_PATTERN);
    case PF_MATCH_WORDS: return x->ncodes == 1 && words && !domains && !signals && !model;
    case PF_MATCH_DOMAINS: return !codes && !words && domains && !signals && !model && !except;
    case PF_MATCH_BUILTIN:
        return !codes && !words && !domains && !signals && !model && !except &&
               x->builtin <= PFI_BUILTIN_BRAND;
    case PF_MATCH_SIGNALS:
        return !codes && !words && !domains && signals && !model && !except && x->threshold >= 1 &&
               x->threshold <= 1000;
    case PF_MATCH_MODEL:
        return !codes && !words && !domains && !signals && model && !except &&
               x->info.severity != PF_SEV_BLOCK && !x->escalate && !x->escalate_with_url;
    default: return false;
    }
}

static bool get_model(struct rbuf *r, struct pfi_rule *x)
{
    uint32_t has = get(r);
    if (has > 1)
        return false;
    if (!has)
        return true;
    long bias = get_long(r), threshold = get_long(r);
    size_t n = get_count(r, 3);
    if (r->bad || !(x->model = pfi_model_new(bias, threshold, n)))
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *f = get_str(r);
        long w = get_long(r);
        if (r->bad || !pfi_model_add(x->model, f, strlen(f), w))
            return false;
    }
    return pfi_model_complete(x->model);
}

static bool get_rule(struct rbuf *r, const pf_ruleset *set, bool jit, struct pfi_rule *x)
{
    pf_rule_info *in = &x->info;
    in->id = get_str(r);
    in->category = get_str(r);
    in->message = get_str(r);
    in->fix = get_str(r);
    in->source = get_str(r);
    uint32_t sev = get(r), matcher = get(r), pack = get(r), index = get(r), flags = get(r),
             esc = get(r), builtin = get(r), senders = get(r), types = get(r), thr = get(r);
    if (r->bad || sev > PF_SEV_BLOCK || matcher > PF_MATCH_MODEL || pack >= set->nfiles ||
        (flags & ~FLAGS_ALL) || esc > PFI_ESC_CATEGORY || builtin > PFI_BUILTIN_BRAND ||
        senders >> PF_SENDER_TYPE_COUNT || types >> PF_NUMBER_TYPE_COUNT || thr > 1000 ||
        strncmp(in->id, "content.", 8) != 0)
        return false;
    in->severity = (pf_severity)sev;
    in->matcher = (pf_matcher_kind)matcher;
    in->file = set->files[pack];
    in->first_message = flags & FLAG_FIRST_MESSAGE;
    in->escalate = esc ? pfi_escalate_names[esc] : NULL;
    x->pack = pack;
    x->index = index;
    x->caseless = flags & FLAG_CASELESS;
    x->escalate_with_url = flags & FLAG_ESCALATE_WITH_URL;
    x->when_unflagged = flags & FLAG_WHEN_UNFLAGGED;
    x->escalate = (enum pfi_escalate)esc;
    x->builtin = (enum pfi_builtin)builtin;
    x->senders = senders;
    x->number_types = types;
    x->threshold = (int)thr;
    x->jit = jit;

    size_t peek = get_count(r, 1);
    if (r->bad)
        return false;
    r->at--; /* the count again, for get_list */
    x->codes = take(r, peek, sizeof *x->codes);
    for (size_t i = 0; x->codes && i < peek; i++)
        atomic_init(&x->codes[i], NULL); /* compiled by pfi_rule_code on first use */
    x->sources = get_list(r, &x->ncodes);
    x->words = (const char **)get_list(r, &x->nwords);
    peek = get_count(r, 1);
    if (r->bad)
        return false;
    r->at--;
    x->except = take(r, peek, sizeof *x->except);
    for (size_t i = 0; x->except && i < peek; i++)
        atomic_init(&x->except[i], NULL);
    x->except_src = (const char **)get_list(r, &x->nexcept);
    x->domains = (const char **)get_list(r, &x->ndomains);
    x->countries = (const char *const *)get_list(r, &x->ncountries);
    x->excluded = (const char *const *)get_list(r, &x->nexcluded);
    x->nsignals = get_count(r, 3);
    x->signals = take(r, x->nsignals, sizeof *x->signals);
    for (size_t i = 0; x->signals && i < x->nsignals; i++) {
        x->signals[i].id = get_str(r);
        x->signals[i].rule = get(r);
        x->signals[i].weight = (int)get(r);
        if (x->signals[i].weight < 1 || x->signals[i].weight > 100)
            r->bad = true;
    }
    if (r->bad || !get_model(r, x) || r->bad || !matcher_fits(x))
        return false;
    for (size_t i = 1; i < x->ndomains; i++)
        if (strcmp(x->domains[i - 1], x->domains[i]) > 0)
            return false;
    return true;
}

/* Every signal names a rule of the set, by index and by id, that is not
 * itself and is neither a signals nor a model rule (resolve_signals). */
static bool signals_resolve(const pf_ruleset *set)
{
    for (size_t i = 0; i < set->count; i++) {
        const struct pfi_rule *x = &set->rules[i];
        for (size_t k = 0; k < x->nsignals; k++) {
            const struct pfi_signal *sg = &x->signals[k];
            if (sg->rule >= set->count || sg->rule == i)
                return false;
            const struct pfi_rule *t = &set->rules[sg->rule];
            if (t->info.matcher == PF_MATCH_SIGNALS || t->info.matcher == PF_MATCH_MODEL ||
                strcmp(t->info.id, sg->id) != 0)
                return false;
        }
    }
    return true;
}

bool pfi_rules_snap_read(pf_ruleset *set, const char *buf, size_t len, bool jit)
{
    uint32_t h[HEADER_WORDS];
    struct rbuf r = {0};
    if (set->count || set->rules || set->snap || len < sizeof h)
        return false;
    memcpy(h, buf, sizeof h);
    /* Every rule takes at least 23 words, and the arena at most 24 bytes a
     * word (16 for a code's slot and source, up to 15 of padding for each
     * of a rule's seven lists): bounds on what is allocated. */
    if (h[0] != SNAP_MAGIC || h[1] != PFI_RULES_SNAP_VERSION || h[2] != set->nfiles ||
        h[4] > (len - sizeof h) / 4 || h[5] != len - sizeof h - (size_t)h[4] * 4 || h[5] == 0 ||
        buf[len - 1] != '\0' || h[3] > h[4] / 23 || h[6] > (size_t)h[4] * 24)
        return false;
    r.w = buf + sizeof h;
    r.nw = h[4];
    r.npool = h[5];
    r.cap = h[6];
    size_t pool_room = round_up(r.npool);
    set->snap = malloc(pool_room + r.cap);
    set->rules = calloc(h[3] ? h[3] : 1, sizeof *set->rules);
    if (!set->snap || !set->rules)
        goto refuse;
    r.pool = set->snap;
    memcpy(r.pool, buf + sizeof h + r.nw * 4, r.npool);
    r.arena = (char *)set->snap + pool_room;
    for (size_t i = 0; i < h[3]; i++) {
        /* count first: pf_rules_destroy frees what a half-read rule holds */
        set->count++;
        if (!get_rule(&r, set, jit, &set->rules[i]))
            goto refuse;
    }
    if (r.at != r.nw || r.used != r.cap || !signals_resolve(set))
        goto refuse;
    return true;
refuse:
    pfi_rules_snap_drop(set);
    return false;
}

void pfi_rules_snap_drop(pf_ruleset *set)
{
    for (size_t i = 0; i < set->count; i++) {
        struct pfi_rule *x = &set->rules[i];
        for (size_t c = 0; x->codes && c < x->ncodes; c++)
            pcre2_code_free(x->codes[c]);
        for (size_t e = 0; x->except && e < x->nexcept; e++)
            pcre2_code_free(x->except[e]);
        pfi_model_free(x->model);
    }
    free(set->rules);
    free(set->snap);
    set->rules = NULL;
    set->snap = NULL;
    set->count = 0;
}
