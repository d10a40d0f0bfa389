/*
 * model.c — the "model" matcher: a small, transparent spam score
 * (issue 12, item 4; rules/README.md, "model").
 *
 * The text is normalised (ASCII lower case; a white-space-separated token
 * that looks like a link becomes "<url>"; other tokens split into runs of
 * letters, digits, '$', '%' and non-ASCII bytes; digits fold to '0', a run
 * of more than five keeping five), and its features are each token
 * ("w:"), each pair of neighbouring tokens ("b:") and the character 3-, 4-
 * and 5-grams of each token between '<' and '>' with every non-ASCII
 * character written '~' ("c:"). The score is the bias plus the weight of
 * every distinct feature, all in integer thousandths, so that it is
 * exactly the score tests/eval/tools/train_model.py computes (the unit
 * test checks both against a fixture the trainer writes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "model_int.h"

#define MODEL_FORMAT "preflight-lr-1"
#define MAX_FEATURES 100000
#define LIMIT_THOUSANDTHS 1000000000L /* |bias|, |threshold| and |weight| below 10^6 */

struct entry {
    const char *feat; /* into the cJSON tree, or the rule-set snapshot's pool */
    size_t len;
    long weight; /* thousandths */
};

/* A table slot: the feature's hash (compared before the text) and its entry + 1 (0: empty). */
struct slot {
    uint32_t hash, entry;
};

struct pfi_model {
    struct entry *e;
    size_t n;
    struct slot *table; /* open addressing, at most a quarter full */
    size_t mask;
    long bias, threshold;
    size_t cap; /* entries room was made for (pfi_model_new) */
};

static const char *const model_keys[] = {"format", "about", "bias", "threshold", "features", NULL};
static const char *const tlds[] = {"com",  "net",  "org", "in",     "ly",   "co",  "me",   "io",
                                   "info", "xyz",  "top", "link",   "site", "online", "shop",
                                   "app",  "gov",  "us",  "uk",     "biz",  "club", "live",
                                   "click", NULL};

static uint32_t fnv(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Most features of a message are not in the model: a miss usually ends
 * at an empty slot or on a hash that differs, without touching the entries. */
static long lookup(const struct pfi_model *m, const char *f, size_t n)
{
    uint32_t h = fnv(f, n);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const struct slot *s = &m->table[i];
        if (!s->entry)
            return -1;
        if (s->hash != h)
            continue;
        const struct entry *e = &m->e[s->entry - 1];
        if (e->len == n && memcmp(e->feat, f, n) == 0)
            return (long)(s->entry - 1);
    }
}

void pfi_model_free(struct pfi_model *m)
{
    if (!m)
        return;
    free(m->e);
    free(m->table);
    free(m);
}

long pfi_model_threshold(const struct pfi_model *m)
{
    return m->threshold;
}

/* "-1.234" -> -1234; false unless the whole of s[0..n) is such a number. */
static bool parse_milli(const char *s, size_t n, long *out)
{
    size_t i = 0, digits = 0, frac = 0;
    long v = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9' && digits < 7; i++, digits++)
        v = v * 10 + (s[i] - '0');
    if (!digits)
        return false;
    v *= 1000;
    if (i < n && s[i] == '.') {
        long scale = 100;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9' && frac < 3; i++, frac++, scale /= 10)
            v += (s[i] - '0') * scale;
        if (!frac)
            return false;
    }
    if (i != n)
        return false;
    *out = neg ? -v : v;
    return true;
}

static pf_status milli_number(struct pfi_json *j, const cJSON *model, const char *key, long *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(model, key);
    if (!v)
        return pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key '%s'", key);
    double d = cJSON_IsNumber(v) ? v->valuedouble * 1000.0 : 0.0;
    /* (NaN and the infinities fail the range check: no libm needed) */
    if (!cJSON_IsNumber(v) || !(d > -(double)LIMIT_THOUSANDTHS && d < (double)LIMIT_THOUSANDTHS))
        return pfi_json_error(j, key, PF_E_SCHEMA, "'%s' is a number between -999999 and 999999",
                              key);
    *out = (long)(d + (d < 0 ? -0.5 : 0.5)); /* three decimals: the nearest thousandth */
    return PF_OK;
}

/* One "<weight> <feature>" of s[0..n); false when malformed. */
static bool parse_feature(const char *s, size_t n, long *w, const char **feat, size_t *flen)
{
    const char *sp = memchr(s, ' ', n);
    if (!sp || !parse_milli(s, (size_t)(sp - s), w))
        return false;
    *feat = sp + 1;
    *flen = n - (size_t)(sp + 1 - s);
    return *flen > 2 && (sp[1] == 'w' || sp[1] == 'b' || sp[1] == 'c') && sp[2] == ':';
}

#define SEP " | "

/* Each string of "features" holds features separated by " | " (none
 * holds a '|'), so that the file has few JSON values to parse. */
static pf_status load_features(struct pfi_json *j, const cJSON *arr, struct pfi_model *m)
{
    size_t n = 0, cap = 16, i = 0;
    pf_status st = PF_OK;
    pfi_json_push_key(j, "features");
    for (const cJSON *f = arr->child; f && st == PF_OK; f = f->next, i++) {
        if (!cJSON_IsString(f)) {
            pfi_json_push_index(j, i);
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "a features line is a string");
            pfi_json_pop(j);
            break;
        }
        n++;
        for (const char *p = f->valuestring; (p = strstr(p, SEP)) != NULL; p += 3)
            n++;
    }
    if (st == PF_OK && n > MAX_FEATURES)
        st = pfi_json_error(j, NULL, PF_E_TOO_LARGE, "more than %d features", MAX_FEATURES);
    while (cap < 4 * n)
        cap *= 2;
    if (st == PF_OK) {
        m->e = calloc(n ? n : 1, sizeof *m->e);
        m->table = calloc(cap, sizeof *m->table);
        m->mask = cap - 1;
        m->cap = n;
        if (!m->e || !m->table)
            st = PF_E_NOMEM;
    }
    i = 0;
    for (const cJSON *f = arr->child; f && st == PF_OK; f = f->next, i++) {
        pfi_json_push_index(j, i);
        const char *s = f->valuestring;
        for (size_t k = 1; st == PF_OK; k++) {
            const char *end = strstr(s, SEP), *feat;
            size_t n1 = end ? (size_t)(end - s) : strlen(s), flen;
            long w;
            if (!parse_feature(s, n1, &w, &feat, &flen)) {
                st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                                    "feature %zu of the line, '%.*s', is not \"<weight> "
                                    "<feature>\": a weight with at most three decimals, one "
                                    "space, then w:, b: or c: and the text",
                                    k, (int)(n1 < 60 ? n1 : 60), s);
            } else if (lookup(m, feat, flen) >= 0) {
                st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                                    "feature %zu of the line, '%.*s', is a duplicate", k,
                                    (int)(flen < 60 ? flen : 60), feat);
            } else {
                m->e[m->n] = (struct entry){feat, flen, w};
                uint32_t h = fnv(feat, flen);
                size_t slot = h & m->mask;
                while (m->table[slot].entry)
                    slot = (slot + 1) & m->mask;
                m->table[slot] = (struct slot){h, (uint32_t)++m->n};
            }
            if (!end)
                break;
            s = end + 3;
        }
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

pf_status pfi_model_load(struct pfi_json *j, const cJSON *model, struct pfi_model **out)
{
    const char *format = NULL, *about = NULL;
    const cJSON *features = NULL;
    bool present;
    struct pfi_model *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return PF_E_NOMEM;
    pfi_json_push_key(j, "model");
    pf_status st = pfi_json_object(j, model, model_keys);
    if (st == PF_OK)
        st = pfi_json_get_string(j, model, "format", &format, NULL);
    if (st == PF_OK && strcmp(format, MODEL_FORMAT) != 0)
        st = pfi_json_error(j, "format", PF_E_SCHEMA,
                            "unknown model format '%s' (this library reads " MODEL_FORMAT ")",
                            format);
    if (st == PF_OK)
        st = pfi_json_get_string(j, model, "about", &about, &present);
    if (st == PF_OK)
        st = milli_number(j, model, "bias", &m->bias);
    if (st == PF_OK)
        st = milli_number(j, model, "threshold", &m->threshold);
    if (st == PF_OK)
        st = pfi_json_get_array(j, model, "features", &features, NULL);
    if (st == PF_OK)
        st = load_features(j, features, m);
    pfi_json_pop(j);
    if (st != PF_OK) {
        pfi_model_free(m);
        return st;
    }
    *out = m;
    return PF_OK;
}

/* ---- the rule-set snapshot (rules_snap.c) ---- */

/* A feature weight parse_milli can give: at most seven integer digits. */
#define WEIGHT_LIMIT 10000000000L

void pfi_model_parts(const struct pfi_model *m, long *bias, long *threshold, size_t *n)
{
    *bias = m->bias;
    *threshold = m->threshold;
    *n = m->n;
}

const char *pfi_model_feature(const struct pfi_model *m, size_t i, size_t *len, long *weight)
{
    *len = m->e[i].len;
    *weight = m->e[i].weight;
    return m->e[i].feat;
}

struct pfi_model *pfi_model_new(long bias, long threshold, size_t n)
{
    if (!(bias > -LIMIT_THOUSANDTHS && bias < LIMIT_THOUSANDTHS) ||
        !(threshold > -LIMIT_THOUSANDTHS && threshold < LIMIT_THOUSANDTHS) || n > MAX_FEATURES)
        return NULL;
    size_t cap = 16;
    while (cap < 4 * n)
        cap *= 2;
    struct pfi_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->e = calloc(n ? n : 1, sizeof *m->e);
    m->table = calloc(cap, sizeof *m->table);
    m->mask = cap - 1;
    m->bias = bias;
    m->threshold = threshold;
    m->cap = n;
    if (!m->e || !m->table) {
        pfi_model_free(m);
        return NULL;
    }
    return m;
}

/* The checks load_features makes, so that a model read back scores as
 * the one loaded: the form of a feature, its weight's range, no duplicate. */
bool pfi_model_add(struct pfi_model *m, const char *feat, size_t len, long weight)
{
    if (m->n == m->cap || len <= 2 || (feat[0] != 'w' && feat[0] != 'b' && feat[0] != 'c') ||
        feat[1] != ':' || !(weight > -WEIGHT_LIMIT && weight < WEIGHT_LIMIT) ||
        lookup(m, feat, len) >= 0)
        return false;
    m->e[m->n] = (struct entry){feat, len, weight};
    uint32_t h = fnv(feat, len);
    size_t slot = h & m->mask;
    while (m->table[slot].entry)
        slot = (slot + 1) & m->mask;
    m->table[slot] = (struct slot){h, (uint32_t)++m->n};
    return true;
}

bool pfi_model_complete(const struct pfi_model *m)
{
    return m->n == m->cap;
}

/* ---- scoring ---- */

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '$' || c == '%' || c >= 0x80;
}

/* t (lower case, len n): a link? "://", "www." or a host ending in a listed top-level domain. */
static bool is_url(const char *t, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/')
            return true;
    if (n >= 4 && memcmp(t, "www.", 4) == 0)
        return true;
    size_t host = 0, dot = 0;
    bool has_dot = false;
    while (host < n && t[host] != '/')
        host++;
    for (size_t i = 0; i < host; i++)
        if (t[i] == '.') {
            dot = i;
            has_dot = true;
        }
    if (!has_dot || dot == 0)
        return false;
    for (const char *const *d = tlds; *d; d++)
        if (strlen(*d) == host - dot - 1 && memcmp(t + dot + 1, *d, host - dot - 1) == 0)
            return true;
    return false;
}

struct work {
    char *tb;      /* normalised tokens, back to back */
    size_t *off;   /* token i is tb[off[i] .. off[i] + tl[i]) */
    size_t *tl;
    size_t ntok, capoff, captl;
    bool failed; /* out of memory while tokenising */
    size_t *canon;    /* first token with the same text */
    long *tsum;       /* contribution per token term (by canonical index) */
    size_t *tseq;     /* order of its first hit (0: none yet) */
    long *bsum;       /* contribution of the pair ending at token i */
    size_t *bseq;
    unsigned char *seen; /* feature already counted, per model entry */
    char *fbuf;
    size_t seq;
    long score;
};

/* Token i at tb[off..off+n): false when out of memory. Per-token arrays
 * grow with the tokens, not with the message's bytes. */
static bool push_token(struct work *w, size_t off, size_t n)
{
    if (pfi_grow((void **)&w->off, &w->capoff, w->ntok + 1, sizeof *w->off) != PF_OK ||
        pfi_grow((void **)&w->tl, &w->captl, w->ntok + 1, sizeof *w->tl) != PF_OK) {
        w->failed = true;
        return false;
    }
    w->off[w->ntok] = off;
    w->tl[w->ntok++] = n;
    return true;
}

static void tokenise(struct work *w, const char *msg, size_t len)
{
    static const char lead[] = "([{\"'", trail[] = ".,;:!?)]}\"'";
    size_t used = 0, i = 0;
    w->ntok = 0;
    while (i < len) {
        while (i < len && is_space((unsigned char)msg[i]))
            i++;
        size_t j = i;
        while (j < len && !is_space((unsigned char)msg[j]))
            j++;
        if (j == i)
            break;
        /* The lower-cased raw token goes at the end of tb, then is cut. */
        char *raw = w->tb + used;
        size_t n = j - i;
        for (size_t k = 0; k < n; k++)
            raw[k] = (char)lower((unsigned char)msg[i + k]);
        i = j;
        size_t s = 0, e = n;
        while (s < e && strchr(lead, raw[s]) && raw[s])
            s++;
        while (e > s && strchr(trail, raw[e - 1]) && raw[e - 1])
            e--;
        if (s < e && is_url(raw + s, e - s)) {
            memcpy(raw, "<url>", 5);
            if (!push_token(w, used, 5))
                return;
            used += 5;
            continue;
        }
        /* Split into word runs, folding digits, compacting in place (the
         * output never overtakes the input). */
        size_t k = 0, o = 0;
        while (k < n) {
            while (k < n && !word_byte((unsigned char)raw[k]))
                k++;
            if (k == n)
                break;
            size_t start = o, run = 0;
            for (; k < n && word_byte((unsigned char)raw[k]); k++) {
                if (raw[k] >= '0' && raw[k] <= '9') {
                    if (++run <= 5)
                        raw[o++] = '0';
                } else {
                    run = 0;
                    raw[o++] = raw[k];
                }
            }
            if (!push_token(w, used + start, o - start))
                return;
        }
        used += o;
    }
}

static bool tok_eq(const struct work *w, size_t a, size_t b)
{
    return w->tl[a] == w->tl[b] && memcmp(w->tb + w->off[a], w->tb + w->off[b], w->tl[a]) == 0;
}

/* canon[i]: the first token whose text is token i's (hashing the texts). */
static pf_status canonicalise(struct work *w)
{
    size_t cap = 16;
    while (cap < 2 * w->ntok)
        cap *= 2;
    size_t *h = calloc(cap, sizeof *h); /* token index + 1 */
    if (!h)
        return PF_E_NOMEM;
    for (size_t i = 0; i < w->ntok; i++) {
        size_t k = fnv(w->tb + w->off[i], w->tl[i]) & (cap - 1);
        while (h[k] && !tok_eq(w, h[k] - 1, i))
            k = (k + 1) & (cap - 1);
        if (!h[k])
            h[k] = i + 1;
        w->canon[i] = h[k] - 1;
    }
    free(h);
    return PF_OK;
}

/* Count feature fbuf[0..n) once; its weight goes to the token term (pair false) or the pair. */
static void feature(const struct pfi_model *m, struct work *w, size_t n, size_t term, bool pair)
{
    long e = lookup(m, w->fbuf, n);
    if (e < 0 || w->seen[e])
        return;
    w->seen[e] = 1;
    long wt = m->e[e].weight;
    w->score += wt;
    if (!wt)
        return;
    long *sum = pair ? &w->bsum[term] : &w->tsum[w->canon[term]];
    size_t *seq = pair ? &w->bseq[term] : &w->tseq[w->canon[term]];
    if (!*seq)
        *seq = ++w->seq;
    *sum += wt;
}

static void features(const struct pfi_model *m, struct work *w)
{
    for (size_t i = 0; i < w->ntok; i++) {
        const char *t = w->tb + w->off[i];
        size_t n = w->tl[i];
        memcpy(w->fbuf, "w:", 2);
        memcpy(w->fbuf + 2, t, n);
        feature(m, w, n + 2, i, false);
        if (i > 0) {
            size_t p = w->tl[i - 1];
            memcpy(w->fbuf, "b:", 2);
            memcpy(w->fbuf + 2, w->tb + w->off[i - 1], p);
            w->fbuf[2 + p] = ' ';
            memcpy(w->fbuf + 3 + p, t, n);
            feature(m, w, n + p + 3, i, true);
        }
        if (n == 5 && memcmp(t, "<url>", 5) == 0)
            continue;
        /* "<" token ">", each non-ASCII character one '~', after "c:". */
        char *c = w->fbuf + 2 + 2 * n + 8; /* past any feature built from it */
        size_t cl = 0;
        c[cl++] = '<';
        for (size_t k = 0; k < n; k++) {
            unsigned char b = (unsigned char)t[k];
            if (b < 0x80)
                c[cl++] = (char)b;
            else if ((b & 0xC0) != 0x80)
                c[cl++] = '~';
        }
        c[cl++] = '>';
        for (size_t g = 3; g <= 5; g++) {
            for (size_t k = 0; k + g <= cl; k++) {
                memcpy(w->fbuf, "c:", 2);
                memcpy(w->fbuf + 2, c + k, g);
                feature(m, w, g + 2, i, false);
            }
        }
    }
}

/* The strongest (up to three) terms with a positive sum, into why. */
static void explain(const struct work *w, char *why, size_t whysize)
{
    size_t used = 0, picked[3];
    bool pair[3];
    size_t np = 0;
    why[0] = '\0';
    for (; np < 3; np++) {
        long best = 0;
        size_t bseq = 0, bi = 0;
        bool bpair = false;
        for (size_t i = 0; i < w->ntok; i++) {
            for (int p = 0; p < 2; p++) {
                long s = p ? w->bsum[i] : w->tsum[i];
                size_t q = p ? w->bseq[i] : w->tseq[i];
                bool taken = false;
                for (size_t k = 0; k < np; k++)
                    taken |= picked[k] == i && pair[k] == (p == 1);
                if (!q || s <= 0 || taken)
                    continue;
                if (s > best || (s == best && q < bseq)) {
                    best = s;
                    bseq = q;
                    bi = i;
                    bpair = p == 1;
                }
            }
        }
        if (!best)
            break;
        picked[np] = bi;
        pair[np] = bpair;
        int r;
        if (bpair)
            r = snprintf(why + used, whysize - used, "%s\"%.*s %.*s\" (+%ld.%03ld)",
                         np ? ", " : "", (int)w->tl[bi - 1], w->tb + w->off[bi - 1],
                         (int)w->tl[bi], w->tb + w->off[bi], best / 1000, best % 1000);
        else
            r = snprintf(why + used, whysize - used, "%s\"%.*s\" (+%ld.%03ld)", np ? ", " : "",
                         (int)w->tl[bi], w->tb + w->off[bi], best / 1000, best % 1000);
        if (r < 0 || (size_t)r >= whysize - used) {
            /* The term did not fit: drop what snprintf wrote of it, which
             * may end inside a UTF-8 character (found in review). */
            why[used] = '\0';
            break;
        }
        used += (size_t)r;
    }
}

pf_status pfi_model_score(const struct pfi_model *m, const char *msg, size_t len, long *score,
                          char *why, size_t whysize)
{
    struct work w = {0};
    pf_status st = PF_E_NOMEM;
    /* Tokens never outgrow 2 * len + 16 bytes ("://" becomes "<url>"). */
    w.tb = malloc(2 * len + 16);
    /* Room for an SMS's tokens at once; longer texts grow the arrays. */
    size_t guess = len / 2 + 1 < 256 ? len / 2 + 1 : 256;
    if (!w.tb || pfi_grow((void **)&w.off, &w.capoff, guess, sizeof *w.off) != PF_OK ||
        pfi_grow((void **)&w.tl, &w.captl, guess, sizeof *w.tl) != PF_OK)
        goto out;
    tokenise(&w, msg, len);
    size_t n1 = w.ntok + 1;
    w.canon = malloc(n1 * sizeof *w.canon);
    w.tsum = calloc(n1, sizeof *w.tsum);
    w.tseq = calloc(n1, sizeof *w.tseq);
    w.bsum = calloc(n1, sizeof *w.bsum);
    w.bseq = calloc(n1, sizeof *w.bseq);
    w.seen = calloc(m->n ? m->n : 1, 1);
    if (w.failed || !w.canon || !w.tsum || !w.tseq || !w.bsum || !w.bseq || !w.seen)
        goto out;
    size_t longest = 0;
    for (size_t i = 0; i < w.ntok; i++)
        longest = w.tl[i] > longest ? w.tl[i] : longest;
    /* A pair "b:x y", then a token's character form after it. */
    w.fbuf = malloc(2 * longest + 2 + 8 + longest + 2 + 8);
    if (!w.fbuf || canonicalise(&w) != PF_OK)
        goto out;
    w.score = m->bias;
    features(m, &w);
    *score = w.score;
    if (why && whysize)
        explain(&w, why, whysize);
    st = PF_OK;
out:
    free(w.tb);
    free(w.off);
    free(w.tl);
    free(w.canon);
    free(w.tsum);
    free(w.tseq);
    free(w.bsum);
    free(w.bseq);
    free(w.seen);
    free(w.fbuf);
    return st;
}
