/*
 * onepass.c — one pass over the message to learn which rule codes can
 * match at all; only those run in PCRE2, which decides every span.
 *
 * The prefilter is never a judge: a code it reports runs in PCRE2 exactly
 * as before (same spans, except patterns, overlap rules), a code it rules
 * out provably cannot match, and a code it cannot reason about is a
 * candidate on every message. So findings are the PCRE2 path's by
 * construction; tests/unit/test_onepass.c checks that on real and
 * generated messages, and fuzz_onepass on anything.
 *
 * Why not Hyperscan (measured, issue 15): none of the 184 shipped patterns
 * compiles exactly (\b under UCP, look-arounds), and in prefilter mode the
 * set takes about 250 s to compile (57 s for one phishing pattern) — the
 * library compiles its packs at every start of the CLI.
 *
 * What it judges: "words" codes, which rules.c generates itself, so their
 * language is known exactly. Every match of a word's alternative folds to
 * the word's *skeleton*: lower case, each l33t stand-in to its letter (one
 * symbol for i and l, which share 1 and |), separators dropped, runs of a
 * symbol collapsed to one. The skeleton of a substring is a substring of
 * the message's skeleton, so a words code whose word skeletons all miss
 * the message's skeleton cannot match. One Aho-Corasick pass over the
 * message's skeleton finds every word of every words rule at once. And the
 * URL pattern needs a '.' in any match. Hand-written "pattern" and
 * "require" codes are judged by the literal strings every match must
 * contain, read conservatively from their PCRE2 syntax (any construct the
 * reader does not know leaves the code always running); a second automaton
 * over the lower-cased message finds them in the same loop. The reader
 * also takes what a positive look-around requires (it is in the message
 * even when outside the match) and a class of a few ASCII characters as a
 * set of one-character strings ("[0-9@$!|]" in every match of the leet
 * rule); tests/unit/test_onepass.c's crafted pack covers both.
 *
 * The one place answers may differ from PCRE2 alone: a pattern PCRE2 gives
 * up on (rules.match-limit) on a message the prefilter proves it cannot
 * match at all; the one-pass answer is then the true "no match". The
 * shipped packs never reach the limit on the differential test's messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "internal.h"
#include "preflight/journal.h"
#include "rules_int.h"
#include "utf8_int.h"

#ifndef PF_NO_ONEPASS

#include <stdint.h>

#define DROP 0x00  /* a separator: not in the skeleton */
#define OTHER 0x80 /* a character no word skeleton contains */

/*
 * The skeleton symbol of one ASCII byte, as word_alternative's classes
 * (rules.c) and the caseless flag see it: every byte a word letter's class
 * matches maps to that letter's symbol.
 */
static unsigned char fold(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        c = (unsigned char)(c + 32);
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case '.':
    case '-':
    case '_':
    case '*': return DROP;
    case '4':
    case '@': return 'a';
    case '8': return 'b';
    case '3': return 'e';
    case '9': return 'g';
    case '1':
    case '!':
    case '|':
    case 'l': return 'i';
    case '0': return 'o';
    case '5':
    case '$': return 's';
    case '7':
    case '+': return 't';
    case '2': return 'z';
    default: return c;
    }
}

/* fold() of every ASCII byte, as a table (the scan's loop reads it; a
 * switch there was a call per byte). test_onepass checks it against fold. */
static const unsigned char folds[128] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x00, 0x69, 0x22, 0x23, 0x73, 0x25, 0x26, 0x27, 0x28, 0x29, 0x00, 0x74, 0x2c, 0x00, 0x00, 0x2f,
    0x6f, 0x69, 0x7a, 0x65, 0x61, 0x73, 0x36, 0x74, 0x62, 0x67, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x61, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x69, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x00,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x69, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x69, 0x7d, 0x7e, 0x7f,
};

/*
 * A non-ASCII character: white space under UCP is a separator (\s), the
 * Kelvin sign and long s fold to k and s under PCRE2's caseless matching,
 * dotted and dotless i are taken as i (more candidates, never fewer);
 * anything else can only be matched by a non-ASCII word letter, and words
 * with those always run.
 */
static unsigned char fold_cp(uint32_t cp)
{
    if (cp == 0x85 || cp == 0xA0 || cp == 0x1680 || cp == 0x180E ||
        (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000)
        return DROP;
    if (cp == 0x212A)
        return 'k';
    if (cp == 0x17F)
        return 's';
    if (cp == 0x130 || cp == 0x131)
        return 'i';
    return OTHER;
}

/* The skeleton of s[0..len) into out (at most len bytes); returns its length. */
static size_t skeleton(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i], f;
        if (c < 0x80) {
            f = fold(c);
            i++;
        } else {
            /* Valid UTF-8 (checked by the caller): decode one character. */
            size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            uint32_t cp = c & (k == 2 ? 0x1F : k == 3 ? 0x0F : 0x07);
            for (size_t m = 1; m < k && i + m < len; m++)
                cp = (cp << 6) | (s[i + m] & 0x3F);
            f = fold_cp(cp);
            i += k;
        }
        if (f == DROP || (n > 0 && out[n - 1] == f))
            continue;
        out[n++] = f;
    }
    return n;
}

/* Required sets per code (a bit each in a byte): see struct conj. */
#define CONJ_MAX 8

/* ---- Aho-Corasick over byte strings, as a full transition table ---- */

struct ac {
    unsigned char sym[256]; /* byte -> alphabet index; 0: in no string (back to the root) */
    size_t nsym;
    uint32_t *next;  /* nnodes x nsym transitions */
    uint32_t *out;   /* per node: first index into codes[], ... */
    uint32_t *nout;  /* ... and how many */
    uint32_t *dict;  /* per node: nearest proper suffix node with output, 0 none */
    uint32_t *codes; /* the outputs, flattened */
    uint32_t *fail;  /* per node: its failure link (for the cache's rows, below) */
    size_t nnodes;
    /* Derived (ac_flatten), not stored: per node, every (code, set) whose
     * string ends there, its own and along its dictionary chain, each
     * once: flat[flat_at[v] .. flat_at[v + 1]). */
    uint32_t *flat_at, *flat;
};

/* The strings to build from: bytes, with the code each one stands for. */
struct strs {
    unsigned char *bytes;
    size_t nbytes, bcap;
    size_t *off, *len;
    uint32_t *code;
    size_t n, cap;
};

static bool strs_add(struct strs *s, const unsigned char *p, size_t n, uint32_t code)
{
    if (s->nbytes + n > s->bcap) {
        size_t ncap = s->bcap ? s->bcap : 4096;
        while (ncap < s->nbytes + n)
            ncap *= 2;
        unsigned char *nb = realloc(s->bytes, ncap);
        if (!nb)
            return false;
        s->bytes = nb;
        s->bcap = ncap;
    }
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        size_t *no = realloc(s->off, ncap * sizeof *no);
        if (no)
            s->off = no;
        size_t *nl = realloc(s->len, ncap * sizeof *nl);
        if (nl)
            s->len = nl;
        uint32_t *nc = realloc(s->code, ncap * sizeof *nc);
        if (nc)
            s->code = nc;
        if (!no || !nl || !nc)
            return false;
        s->cap = ncap;
    }
    memcpy(s->bytes + s->nbytes, p, n);
    s->off[s->n] = s->nbytes;
    s->len[s->n] = n;
    s->code[s->n++] = code;
    s->nbytes += n;
    return true;
}

static void strs_free(struct strs *s)
{
    free(s->bytes);
    free(s->off);
    free(s->len);
    free(s->code);
}

static void ac_free(struct ac *a)
{
    free(a->next);
    free(a->out);
    free(a->nout);
    free(a->dict);
    free(a->codes);
    free(a->fail);
    free(a->flat_at);
    free(a->flat);
}

/* a->flat and a->flat_at from the outputs and dictionary links (whose
 * chains end at the root: built so, or checked by ac_get). */
static pf_status ac_flatten(struct ac *a)
{
    size_t total = 0, cap = 0;
    a->flat_at = malloc((a->nnodes + 1) * sizeof *a->flat_at);
    if (!a->flat_at)
        return PF_E_NOMEM;
    for (size_t u = 0; u < a->nnodes; u++) {
        a->flat_at[u] = (uint32_t)total;
        for (uint32_t v = a->nout[u] ? (uint32_t)u : a->dict[u]; v; v = a->dict[v]) {
            for (uint32_t o = 0; o < a->nout[v]; o++) {
                uint32_t cs = a->codes[a->out[v] + o];
                bool dup = false;
                for (size_t k = a->flat_at[u]; k < total && !dup; k++)
                    dup = a->flat[k] == cs;
                if (dup)
                    continue;
                if (total >= UINT32_MAX ||
                    pfi_grow((void **)&a->flat, &cap, total + 1, sizeof *a->flat) != PF_OK)
                    return PF_E_NOMEM;
                a->flat[total++] = cs;
            }
        }
    }
    a->flat_at[a->nnodes] = (uint32_t)total;
    return PF_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static pf_status ac_build(struct ac *a, const struct strs *s)
{
    pf_status st = PF_E_NOMEM;
    uint32_t *queue = NULL, *fail = NULL, *end = NULL;
    uint64_t *pairs = NULL;
    size_t cap = 1 + s->nbytes; /* nodes: at most one per byte, plus the root */
    memset(a, 0, sizeof *a);
    a->nsym = 1;
    for (size_t i = 0; i < s->nbytes; i++) {
        if (!a->sym[s->bytes[i]])
            a->sym[s->bytes[i]] = (unsigned char)a->nsym++;
    }
    a->next = calloc(cap * a->nsym, sizeof *a->next);
    end = malloc((s->n ? s->n : 1) * sizeof *end);
    if (!a->next || !end)
        goto out;
    a->nnodes = 1;
    for (size_t i = 0; i < s->n; i++) {
        uint32_t node = 0;
        for (size_t m = 0; m < s->len[i]; m++) {
            uint32_t *slot = &a->next[node * a->nsym + a->sym[s->bytes[s->off[i] + m]]];
            if (!*slot)
                *slot = (uint32_t)a->nnodes++;
            node = *slot;
        }
        end[i] = node;
    }
    pairs = malloc((s->n ? s->n : 1) * sizeof *pairs);
    a->out = calloc(a->nnodes, sizeof *a->out);
    a->nout = calloc(a->nnodes, sizeof *a->nout);
    a->dict = calloc(a->nnodes, sizeof *a->dict);
    a->codes = malloc((s->n ? s->n : 1) * sizeof *a->codes);
    queue = malloc(a->nnodes * sizeof *queue);
    fail = calloc(a->nnodes, sizeof *fail);
    if (!pairs || !a->out || !a->nout || !a->dict || !a->codes || !queue || !fail)
        goto out;
    /* Outputs grouped by node. */
    for (size_t i = 0; i < s->n; i++)
        pairs[i] = ((uint64_t)end[i] << 32) | s->code[i];
    qsort(pairs, s->n, sizeof *pairs, cmp_u64);
    for (size_t i = 0; i < s->n; i++) {
        uint32_t node = (uint32_t)(pairs[i] >> 32);
        if (!a->nout[node])
            a->out[node] = (uint32_t)i;
        a->nout[node]++;
        a->codes[i] = (uint32_t)pairs[i];
    }
    /* Failure links breadth first, turning the trie into a full automaton. */
    size_t head = 0, tail = 0;
    for (size_t c = 1; c < a->nsym; c++) {
        if (a->next[c])
            queue[tail++] = a->next[c];
    }
    while (head < tail) {
        uint32_t u = queue[head++];
        a->dict[u] = a->nout[fail[u]] ? fail[u] : a->dict[fail[u]];
        for (size_t c = 1; c < a->nsym; c++) {
            uint32_t v = a->next[u * a->nsym + c];
            if (v) {
                fail[v] = a->next[fail[u] * a->nsym + c];
                queue[tail++] = v;
            } else {
                a->next[u * a->nsym + c] = a->next[fail[u] * a->nsym + c];
            }
        }
    }
    a->fail = fail;
    fail = NULL;
    st = ac_flatten(a);
out:
    free(queue);
    free(fail);
    free(end);
    free(pairs);
    return st;
}

/*
 * One step on byte f; marks the (code, set) of every string that ends here
 * and, when last is given, records pos (the byte offset just past the
 * string's last character) as where a string of that set last ended.
 */
static inline uint32_t ac_step(const struct ac *a, uint32_t state, unsigned char f,
                               unsigned char *hits, size_t *last, size_t pos)
{
    state = a->next[(size_t)state * a->nsym + a->sym[f]];
    for (uint32_t k = a->flat_at[state]; k < a->flat_at[state + 1]; k++) {
        uint32_t cs = a->flat[k];
        hits[cs / CONJ_MAX] |= (unsigned char)(1u << (cs % CONJ_MAX));
        if (last)
            last[cs] = pos;
    }
    return state;
}

/* ---- required literals of hand-written patterns ---- */

/*
 * A requirement: every match contains at least one of these strings (lower
 * case), or none is known. Extracted by a small, conservative reading of
 * the PCRE2 syntax the packs use; anything it does not know makes the code
 * unjudged (always a candidate) instead of guessed.
 */
/* Up to 128 strings a set: a pattern naming forty brands in each of two
 * branches is still judged (the sets live on the heap while reading). */
#define RQ_MAX 128
#define LIT_MAX 48

struct req {
    bool none;   /* no requirement known */
    bool behind; /* some of its strings come from a look-behind (may lie before the match) */
    bool exact;  /* a group's or class's set: what it consumes is always one of the strings */
    size_t n;
    unsigned char len[RQ_MAX];
    char s[RQ_MAX][LIT_MAX];
};

struct rx {
    const char *p;
    bool bail; /* syntax this reader does not handle */
    int depth;
};

static size_t req_score(const struct req *r)
{
    size_t m = LIT_MAX;
    if (r->none || r->n == 0)
        return 0;
    for (size_t i = 0; i < r->n; i++)
        m = r->len[i] < m ? r->len[i] : m;
    return m;
}

/* Keep the better of best and cand: the longer shortest string, then fewer strings. */
static void req_consider(struct req *best, const struct req *cand)
{
    size_t a = req_score(best), b = req_score(cand);
    if (b > a || (b == a && b > 0 && cand->n < best->n))
        *best = *cand;
}

/*
 * Every requirement of one branch also holds together with the others: the
 * top level keeps the best few (a conjunction), so a pattern like "hot ...
 * girls" needs both words, not just one.
 */

struct conj {
    size_t n;
    struct req r[CONJ_MAX];
};

static void offer(struct req *best, struct conj *cj, const struct req *cand)
{
    size_t sc = req_score(cand);
    /* One of many single characters ("a letter") rules out next to no
     * message and would fire on most bytes: not worth a set. */
    if (sc == 1 && cand->n > 16)
        return;
    req_consider(best, cand);
    if (!cj || sc == 0)
        return;
    if (cj->n < CONJ_MAX) {
        cj->r[cj->n++] = *cand;
        return;
    }
    size_t worst = 0;
    for (size_t i = 1; i < cj->n; i++) {
        if (req_score(&cj->r[i]) < req_score(&cj->r[worst]))
            worst = i;
    }
    if (sc > req_score(&cj->r[worst]))
        cj->r[worst] = *cand;
}

/* The literal pass's symbol for a character of a pattern or message (below). */
static unsigned char lower_cp(uint32_t cp);

/* Offer what the text just read is exactly one of (cur), then forget it. */
static void cur_flush(struct req *cur, struct req *best, struct conj *cj)
{
    offer(best, cj, cur);
    cur->n = 1;
    cur->len[0] = 0;
}

/*
 * How many distinct strings the last keep bytes of cur's strings are (a
 * shorter string whole); with into (not cur), they are put there.
 */
static size_t suffixes(const struct req *cur, size_t keep, struct req *into)
{
    size_t n = 0;
    for (size_t i = 0; i < cur->n; i++) {
        size_t l = cur->len[i] < keep ? cur->len[i] : keep;
        const char *t = cur->s[i] + cur->len[i] - l;
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) {
            size_t lk = cur->len[k] < keep ? cur->len[k] : keep;
            dup = lk == l && memcmp(cur->s[k] + cur->len[k] - lk, t, l) == 0;
        }
        if (dup)
            continue;
        if (into) {
            memcpy(into->s[n], t, l);
            into->len[n] = (unsigned char)l;
        }
        n++;
    }
    if (into)
        into->n = n;
    return n;
}

/*
 * The text just read (one of cur) is followed by one of g: cur becomes
 * their concatenations. Too many or too long: cur is offered as it is and
 * g starts afresh, and false says the branch's whole set is no longer known.
 */
static bool cur_append(struct req *cur, const struct req *g, struct req *best, struct conj *cj)
{
    size_t maxl = 0, maxg = 0;
    for (size_t i = 0; i < cur->n; i++)
        maxl = cur->len[i] > maxl ? cur->len[i] : maxl;
    for (size_t j = 0; j < g->n; j++)
        maxg = g->len[j] > maxg ? g->len[j] : maxg;
    if (cur->n * g->n > RQ_MAX || maxl + maxg > LIT_MAX) {
        offer(best, cj, cur);
        /* Keep what the text read ends with, as long as the concatenations
         * then fit: "[a-z0-9]+\\.(?:info|xyz|...)" still yields ".info". */
        size_t keep = maxl;
        while (keep > 0 && (maxg + keep > LIT_MAX || suffixes(cur, keep, NULL) * g->n > RQ_MAX))
            keep--;
        if (keep == 0) {
            cur->n = g->n;
            for (size_t j = 0; j < g->n; j++) {
                cur->len[j] = g->len[j];
                memcpy(cur->s[j], g->s[j], g->len[j]);
            }
            return false;
        }
        struct req *t = malloc(sizeof *t);
        if (t) {
            suffixes(cur, keep, t);
            cur->n = t->n;
            memcpy(cur->len, t->len, sizeof t->len);
            memcpy(cur->s, t->s, t->n * sizeof t->s[0]);
            free(t);
            (void)cur_append(cur, g, best, cj);
            return false;
        }
        cur->n = g->n; /* no memory for the suffixes: start from g alone */
        for (size_t j = 0; j < g->n; j++) {
            cur->len[j] = g->len[j];
            memcpy(cur->s[j], g->s[j], g->len[j]);
        }
        return false;
    }
    /* In place, last string first: slot i * g->n + j from slot i. */
    for (size_t i = cur->n; i-- > 0;) {
        for (size_t j = g->n; j-- > 0;) {
            size_t k = i * g->n + j, l = cur->len[i];
            if (k != i)
                memcpy(cur->s[k], cur->s[i], l);
            memcpy(cur->s[k] + l, g->s[j], g->len[j]);
            cur->len[k] = (unsigned char)(l + g->len[j]);
        }
    }
    cur->n *= g->n;
    return true;
}

/*
 * An atom whose text is one of g, under quantifier q (quantifier()): once,
 * it extends cur; repeated ("+", "{2,}"), cur and one repetition are read
 * and what follows continues from the last one ("ab+c": "ab" and "bc");
 * optional, the text around it is cut. Returns whether the branch's whole
 * set is still known.
 */
static bool cur_atom(struct req *cur, const struct req *g, int q, struct req *best,
                     struct conj *cj)
{
    if (q == 0) {
        cur_flush(cur, best, cj);
        return false;
    }
    bool whole = cur_append(cur, g, best, cj);
    if (q < 0)
        return whole;
    offer(best, cj, cur);
    cur->n = g->n;
    for (size_t j = 0; j < g->n; j++) {
        cur->len[j] = g->len[j];
        memcpy(cur->s[j], g->s[j], g->len[j]);
    }
    return false;
}

/* A quantifier at rx->p: its minimum (0 or 1 for "at least one"), or -1 for none. */
static int quantifier(struct rx *rx)
{
    const char *p = rx->p;
    int min;
    if (*p == '*' || *p == '?') {
        min = 0;
        p++;
    } else if (*p == '+') {
        min = 1;
        p++;
    } else if (*p == '{') {
        const char *q = p + 1;
        long lo = 0;
        bool digits = false;
        while (*q >= '0' && *q <= '9') {
            lo = lo * 10 + (*q++ - '0');
            digits = true;
            if (lo > 100000)
                lo = 100000;
        }
        if (*q == ',') {
            q++;
            while (*q >= '0' && *q <= '9')
                q++;
        } else if (!digits) {
            return -1;
        }
        if (*q != '}')
            return -1; /* not a quantifier: the caller sees a '{' */
        /* "{,m}" is a literal in older PCRE2 and {0,m} in newer: minimum 0 is
         * right for one and only weaker for the other. */
        min = lo > 0 ? 1 : 0;
        p = q + 1;
    } else {
        return -1;
    }
    if (*p == '?' || *p == '+')
        p++; /* lazy or possessive */
    rx->p = p;
    return min;
}

static void alternation(struct rx *rx, struct req *out, struct conj *cj);

/* Skip a character class at rx->p ('['). */
static void skip_class(struct rx *rx)
{
    const char *p = rx->p + 1;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p && *p != ']') {
        if (*p == '\\' && (p[1] == 'Q' || p[1] == 'E')) {
            rx->bail = true; /* quoted text in a class may hold the ']' (found in review) */
            return;
        }
        if (*p == '\\' && p[1])
            p += 2;
        else if (*p == '[' && p[1] == ':') {
            /* Only a POSIX name, "[:alpha:]" or "[:^alpha:]"; PCRE2 reads
             * any other "[:" as a literal '[' (found in review): unjudged. */
            const char *e = p + 2;
            if (*e == '^')
                e++;
            const char *name = e;
            while (*e >= 'a' && *e <= 'z')
                e++;
            if (e == name || e[0] != ':' || e[1] != ']') {
                rx->bail = true;
                return;
            }
            p = e + 2;
        } else
            p++;
    }
    if (*p != ']')
        rx->bail = true;
    else
        p++;
    rx->p = p;
}

/*
 * The literal pass's symbols a class escape can match, or NULL when the
 * reader does not know it: letters are a-z or a non-ASCII character
 * (OTHER; those caseless matching takes for an ASCII letter map to it:
 * lower_cp), digits under UCP any script's. At p: the letter after the
 * backslash; *end: past the escape.
 */
static const char *escape_set(const char *p, const char **end)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz\x80";
    static const char digits[] = "0123456789\x80";
    static const char word[] = "abcdefghijklmnopqrstuvwxyz0123456789_\x80";
    *end = p + 1;
    if (*p == 'd')
        return digits;
    if (*p == 'w')
        return word;
    if (*p != 'p')
        return NULL;
    static const char *const names[] = {"{L}", "{Ll}", "{Lu}", "{N}", "{Nd}"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t l = strlen(names[i]);
        if (strncmp(p + 1, names[i], l) == 0) {
            *end = p + 1 + l;
            return names[i][1] == 'L' ? letters : digits;
        }
    }
    return NULL;
}

/*
 * A class of known characters ("[0-9@$!|]", "[a4@]", "[A-Za-z\d]",
 * "[£$€]"): the set of their symbols in the literal pass (lower case;
 * a non-ASCII one by lower_cp), each a one-byte string; false for any
 * other class (negated, POSIX names, escapes but escaped punctuation and
 * those of escape_set, ranges with non-ASCII ends), which stays unknown.
 */
static bool small_class(const char *p, struct req *out)
{
    bool seen[256] = {false};
    size_t n = 0;
    out->none = false;
    out->behind = false;
    out->exact = true;
    out->n = 0;
    p++; /* '[' */
    if (*p == '^')
        return false;
    for (bool first = true; *p && (*p != ']' || first); first = false) {
        int lo;
        if (*p == '\\') {
            const char *e, *set = escape_set(p + 1, &e);
            if (set) {
                for (const char *c = set; *c; c++) {
                    unsigned char l = (unsigned char)*c;
                    if (!seen[l]) {
                        seen[l] = true;
                        out->len[n] = 1;
                        out->s[n++][0] = (char)l;
                    }
                }
                p = e;
                continue;
            }
            unsigned char c = (unsigned char)p[1];
            if (c == 0 || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9'))
                return false;
            lo = c;
            p += 2;
        } else if ((unsigned char)*p >= 0x80) {
            uint32_t cp;
            size_t k = pfi_utf8_decode((const unsigned char *)p, strlen(p), &cp);
            if (k == 0 || p[k] == '-')
                return false; /* a range from a non-ASCII character */
            p += k;
            unsigned char l = lower_cp(cp);
            if (!seen[l]) {
                seen[l] = true;
                out->len[n] = 1;
                out->s[n++][0] = (char)l;
            }
            continue;
        } else if (*p == '[' && p[1] == ':') {
            return false;
        } else {
            lo = (unsigned char)*p++;
        }
        int hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') {
            if (p[1] == '\\' || (unsigned char)p[1] >= 0x80)
                return false;
            hi = (unsigned char)p[1];
            p += 2;
            if (hi < lo)
                return false;
        }
        for (int c = lo; c <= hi; c++) {
            int l = c >= 'A' && c <= 'Z' ? c + 32 : c;
            if (seen[l])
                continue;
            seen[l] = true;
            out->len[n] = 1;
            out->s[n++][0] = (char)l;
        }
    }
    out->n = n;
    if (*p != ']' || n == 0)
        return false;
    return true;
}

/* A set of one-character strings (s[0..n)), exact. */
static void chars_set(struct req *g, const unsigned char *c, size_t n)
{
    g->none = false;
    g->behind = false;
    g->exact = true;
    g->n = n;
    for (size_t i = 0; i < n; i++) {
        g->len[i] = 1;
        g->s[i][0] = (char)c[i];
    }
}

/*
 * One branch: a sequence of atoms up to '|' or ')' or the end. best gets
 * the branch's best requirement; when every atom's text is one of a known
 * set (literals, small classes, groups of such), the branch's whole set,
 * marked exact, so that the group around it can extend the text before
 * and after it ("\.(?:com|net)/": ".com/" or ".net/").
 */
static void sequence(struct rx *rx, struct req *best, struct conj *cj)
{
    struct req *cur = malloc(sizeof *cur), *g = malloc(sizeof *g);
    bool whole = true;
    best->none = true;
    best->behind = false;
    best->exact = false;
    best->n = 0;
    if (!cur || !g) {
        free(cur);
        free(g);
        rx->bail = true; /* unjudged: always a candidate */
        return;
    }
    cur->none = cur->behind = cur->exact = false;
    cur->n = 1;
    cur->len[0] = 0;
    while (*rx->p && *rx->p != '|' && *rx->p != ')' && !rx->bail) {
        const char *p = rx->p;
        int lit = -1; /* the literal pass's symbol of this atom, or -1 */
        bool zero = false;
        if (*p == '(') {
            p++;
            bool look = false, neg = false, behind = false;
            if (*p == '*') {
                rx->bail = true; /* (*VERB) and (*UTF) options */
                break;
            }
            if (*p == '?') {
                if (p[1] == ':' || p[1] == '>') {
                    p += 2;
                } else if (p[1] == '=' || p[1] == '!') {
                    neg = p[1] == '!';
                    p += 2;
                    look = true;
                } else if (p[1] == '<' && (p[2] == '=' || p[2] == '!')) {
                    neg = p[2] == '!';
                    p += 3;
                    look = true;
                    behind = true;
                } else if (p[1] == '<' || (p[1] == 'P' && p[2] == '<') || p[1] == '\'') {
                    char close = p[1] == '\'' ? '\'' : '>';
                    const char *e = strchr(p + 2, close);
                    if (!e) {
                        rx->bail = true;
                        break;
                    }
                    p = e + 1;
                } else {
                    /* Option settings: (?i) (?-i) (?i:...); any other (?...) bails. */
                    const char *q = p + 1;
                    while ((*q >= 'a' && *q <= 'z') || *q == '-' || *q == '^')
                        q++;
                    if (q == p + 1 || (*q != ')' && *q != ':') ||
                        memchr(p + 1, 'x', (size_t)(q - p - 1))) {
                        rx->bail = true;
                        break;
                    }
                    if (*q == ')') {
                        rx->p = q + 1;
                        continue; /* zero width; case is folded anyway */
                    }
                    p = q + 1;
                }
            }
            if (++rx->depth > 32) {
                rx->bail = true;
                break;
            }
            rx->p = p;
            alternation(rx, g, NULL);
            rx->depth--;
            if (rx->bail || *rx->p != ')') {
                rx->bail = true;
                break;
            }
            rx->p++;
            if (look) {
                /* An assertion consumes nothing: the text around it stays
                 * adjacent. What a positive one requires is in the message
                 * all the same. */
                if (!neg && !g->none) {
                    g->behind |= behind;
                    g->exact = false;
                    offer(best, cj, g);
                }
                continue;
            }
            int q = quantifier(rx);
            if (g->exact && !g->none) {
                whole = cur_atom(cur, g, q, best, cj) && whole;
                continue;
            }
            cur_flush(cur, best, cj);
            whole = false;
            if (q != 0 && !g->none)
                offer(best, cj, g);
            continue;
        }
        if (*p == '[') {
            bool known = small_class(rx->p, g);
            skip_class(rx);
            int q = rx->bail ? 0 : quantifier(rx);
            if (rx->bail)
                break;
            if (known) {
                whole = cur_atom(cur, g, q, best, cj) && whole;
                continue;
            }
            cur_flush(cur, best, cj);
            whole = false;
            continue;
        }
        if (*p == '\\') {
            unsigned char e = (unsigned char)p[1];
            const char *after;
            p += 2;
            if (e == 0) {
                rx->bail = true;
                break;
            }
            if (strchr("bBAzZGE", e)) {
                zero = true;
            } else if (escape_set(p - 1, &after) != NULL) {
                const char *set = escape_set(p - 1, &after);
                rx->p = after;
                chars_set(g, (const unsigned char *)set, strlen(set));
                whole = cur_atom(cur, g, quantifier(rx), best, cj) && whole;
                continue;
            } else if (strchr("DwWsShHvVRNXC", e)) {
                /* a class of characters */
            } else if (e == 'p' || e == 'P') {
                if (*p == '{') {
                    const char *c = strchr(p, '}');
                    if (!c) {
                        rx->bail = true;
                        break;
                    }
                    p = c + 1;
                } else if (*p) {
                    p++;
                }
            } else if (e < 0x80 && !((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
                                     (e >= '0' && e <= '9'))) {
                lit = e; /* an escaped punctuation character */
            } else {
                rx->bail = true; /* back-references, \x, \Q, \K, control escapes ... */
                break;
            }
        } else if (*p == '.') {
            p++;
        } else if (*p == '^' || *p == '$') {
            p++;
            zero = true;
        } else if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
            /* A quantifier with nothing before it, or a literal '{': unjudged. */
            rx->bail = true;
            break;
        } else if ((unsigned char)*p >= 0x80) {
            /* A non-ASCII literal: its symbol, as the message's characters
             * that match it get theirs (lower_cp: every character caseless
             * matching takes for it maps to the same one). */
            uint32_t cp;
            size_t k = pfi_utf8_decode((const unsigned char *)p, strlen(p), &cp);
            if (k == 0) {
                rx->bail = true;
                break;
            }
            p += k;
            lit = lower_cp(cp);
        } else {
            lit = (unsigned char)*p++;
        }
        rx->p = p;
        if (zero)
            continue; /* consumes nothing: adjacent literals stay adjacent */
        int q = quantifier(rx);
        if (lit < 0) {
            cur_flush(cur, best, cj);
            whole = false;
            continue;
        }
        unsigned char c = (unsigned char)(lit >= 'A' && lit <= 'Z' ? lit + 32 : lit);
        chars_set(g, &c, 1);
        whole = cur_atom(cur, g, q, best, cj) && whole;
    }
    if (!rx->bail) {
        offer(best, cj, cur);
        if (whole) {
            /* The branch's text is always one of cur: that, exactly. */
            *best = *cur;
            best->none = false;
            best->exact = true;
        } else if (best->n) {
            best->none = false;
        }
    }
    free(cur);
    free(g);
}

/* Is a a better set than b (req_consider's order)? */
static bool req_better(const struct req *a, const struct req *b)
{
    size_t x = req_score(a), y = req_score(b);
    return x > y || (x == y && a->n < b->n);
}

/*
 * The conjunction of branches joined by '|'. A match goes through one
 * branch and so contains a string of each of that branch's sets; pair the
 * sets of every branch, best with best, second with second ..., and each
 * pair's union holds for every match: "(?:placed|put) ... hold ... your |
 * account ... limited" needs one of {placed, put, limited} and one of
 * {hold, ..., account, access}, not just one of {your, limited}. acc holds
 * the unions of the branches read so far (one set of each), b the next
 * branch's sets (sorted here); a union over RQ_MAX strings, or of many
 * single characters, is dropped, and what is left keeps its pairing.
 */
static void conj_zip(struct conj *acc, struct conj *b, bool first)
{
    for (size_t i = 1; i < b->n; i++) { /* best first */
        for (size_t j = i; j > 0 && req_better(&b->r[j], &b->r[j - 1]); j--) {
            struct req t = b->r[j];
            b->r[j] = b->r[j - 1];
            b->r[j - 1] = t;
        }
    }
    if (first) {
        *acc = *b;
        return;
    }
    size_t k = 0;
    for (size_t j = 0; j < acc->n && j < b->n; j++) {
        struct req *u = &acc->r[j];
        const struct req *v = &b->r[j];
        bool fits = true;
        for (size_t i = 0; i < v->n && fits; i++) {
            bool dup = false;
            for (size_t m = 0; m < u->n && !dup; m++)
                dup = u->len[m] == v->len[i] && memcmp(u->s[m], v->s[i], v->len[i]) == 0;
            if (dup)
                continue;
            if (u->n == RQ_MAX) {
                fits = false;
                break;
            }
            u->len[u->n] = v->len[i];
            memcpy(u->s[u->n++], v->s[i], v->len[i]);
        }
        u->behind |= v->behind;
        u->exact = false;
        size_t sc = req_score(u);
        if (!fits || sc == 0 || (sc == 1 && u->n > 16))
            continue;
        if (k != j)
            acc->r[k] = *u;
        k++;
    }
    acc->n = k;
}

/* Branches joined by '|': every match contains one branch's requirement;
 * with cj, the branches' conjunctions are paired up into it (conj_zip). */
static void alternation(struct rx *rx, struct req *out, struct conj *cj)
{
    out->none = false;
    out->behind = false;
    out->exact = true;
    out->n = 0;
    struct req *b = malloc(sizeof *b);
    struct conj *bc = cj ? malloc(sizeof *bc) : NULL;
    if (!b || (cj && !bc)) {
        free(b);
        free(bc);
        rx->bail = true;
        return;
    }
    if (cj)
        cj->n = 0;
    for (bool first = true;; first = false) {
        if (bc)
            bc->n = 0;
        sequence(rx, b, bc);
        if (rx->bail)
            break;
        if (cj)
            conj_zip(cj, bc, first);
        out->exact = out->exact && b->exact;
        if (b->none || out->none || out->n + b->n > RQ_MAX) {
            out->none = true;
        } else {
            out->behind |= b->behind;
            for (size_t i = 0; i < b->n; i++) {
                out->len[out->n] = b->len[i];
                memcpy(out->s[out->n++], b->s[i], b->len[i]);
            }
        }
        if (*rx->p != '|')
            break;
        rx->p++;
    }
    free(b);
    free(bc);
    if (out->n == 0)
        out->none = true;
    if (out->none)
        out->exact = false;
}

/*
 * The required literals of one pattern: every set in cj->r holds (each
 * match contains a string of each); false when none is known.
 */
static bool required(const char *re, struct conj *cj)
{
    struct rx rx = {.p = re};
    struct req all;
    cj->n = 0;
    alternation(&rx, &all, cj);
    if (rx.bail || *rx.p != '\0')
        return false;
    /* The branches' paired sets hold even when the union of their best
     * ones grew past RQ_MAX (all.none); a branch with no requirement
     * leaves no pairs (conj_zip). */
    if (cj->n == 0 && all.none)
        return false;
    if (cj->n == 0) {
        /* A branch that can consume nothing ("|a", "\\b") puts the empty
         * string in the set: then every message holds one, and the code
         * is not judged (offer never keeps such a set either). */
        if (req_score(&all) == 0 || (req_score(&all) == 1 && all.n > 16))
            return false; /* and a set of many single characters, as offer */
        cj->r[0] = all;
        cj->n = 1;
    }
    return true;
}

/* The literal pass's byte for an ASCII byte: lower case. */
static unsigned char lower(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/*
 * A non-ASCII character for the literal pass: only those PCRE2's caseless
 * matching takes for an ASCII letter count (Kelvin sign, long s; dotted
 * and dotless i to be safe); anything else matches no ASCII literal.
 */
static unsigned char lower_cp(uint32_t cp)
{
    if (cp == 0x212A)
        return 'k';
    if (cp == 0x17F)
        return 's';
    if (cp == 0x130 || cp == 0x131)
        return 'i';
    return OTHER;
}

/* ---- the prefilter ---- */

struct pfi_onepass {
    struct ac words; /* word skeletons of the words rules */
    struct ac lits;  /* required literals of pattern and require codes */
    unsigned char
        *need; /* per code: a bit per required set; 0 when the prefilter cannot judge it */
    unsigned char *ahead; /* per code: the sets of need whose strings never lie before a match */
    uint32_t *bounded;    /* the codes with a set in ahead, nbounded of them */
    size_t nbounded;
    size_t url; /* the URL pattern's code index */
    size_t filtered, absent;
};

/* Can the prefilter judge this word? Only all-ASCII words with a skeleton. */
static bool judged(const char *w, unsigned char *skel, size_t *n)
{
    for (const char *p = w; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            return false;
    }
    *n = skeleton((const unsigned char *)w, strlen(w), skel);
    return *n > 0;
}

pf_status pfi_onepass_build(pf_ruleset *set)
{
    size_t n = set->ncodes;
    pf_status st = PF_E_NOMEM;
    struct strs ws = {0}, ls = {0};
    unsigned char *skel = NULL;
    struct conj *rq = malloc(sizeof *rq);
    size_t longest = 1;
    struct pfi_onepass *op = calloc(1, sizeof *op);
    if (!op || !rq || !(op->need = calloc(n, 1)) || !(op->ahead = calloc(n, 1)))
        goto out;
    op->url = n - 1;
    for (size_t i = 0; i < set->count; i++) {
        for (size_t w = 0; w < set->rules[i].nwords; w++) {
            size_t l = strlen(set->rules[i].words[w]);
            longest = l > longest ? l : longest;
        }
    }
    if (!(skel = malloc(longest)))
        goto out;
    for (size_t i = 0; i < set->count; i++) {
        const struct pfi_rule *r = &set->rules[i];
        if (r->info.matcher == PF_MATCH_WORDS) {
            /* Judged only when every one of its words is. */
            bool all = r->ncodes == 1 && r->nwords > 0;
            for (size_t w = 0; all && w < r->nwords; w++) {
                size_t k = 0;
                all = judged(r->words[w], skel, &k);
            }
            for (size_t w = 0; all && w < r->nwords; w++) {
                size_t k = 0;
                judged(r->words[w], skel, &k);
                if (!strs_add(&ws, skel, k, (uint32_t)r->code_base * CONJ_MAX))
                    goto out;
            }
            if (all) {
                op->need[r->code_base] = 1;
                op->filtered++;
            }
        } else if (r->info.matcher == PF_MATCH_PATTERN || r->info.matcher == PF_MATCH_REQUIRE) {
            for (size_t c = 0; c < r->ncodes; c++) {
                if (!required(r->sources[c], rq))
                    continue;
                for (size_t j = 0; j < rq->n; j++) {
                    for (size_t k = 0; k < rq->r[j].n; k++) {
                        if (!strs_add(&ls, (const unsigned char *)rq->r[j].s[k], rq->r[j].len[k],
                                      (uint32_t)((r->code_base + c) * CONJ_MAX + j)))
                            goto out;
                    }
                    op->need[r->code_base + c] |= (unsigned char)(1u << j);
                    if (!rq->r[j].behind)
                        op->ahead[r->code_base + c] |= (unsigned char)(1u << j);
                }
                op->filtered++;
            }
        }
    }
    if (!(op->bounded = malloc(n * sizeof *op->bounded)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (op->ahead[i])
            op->bounded[op->nbounded++] = (uint32_t)i;
    }
    /* The URL pattern: both of its forms need a '.' (rules.c). */
    op->filtered++;
    op->absent = n - op->filtered;
    if (ac_build(&op->words, &ws) != PF_OK || ac_build(&op->lits, &ls) != PF_OK)
        goto out;
    set->onepass = op;
    op = NULL;
    st = PF_OK;
out:
    pfi_onepass_free(op);
    strs_free(&ws);
    strs_free(&ls);
    free(skel);
    free(rq);
    return st;
}

void pfi_onepass_free(struct pfi_onepass *op)
{
    if (!op)
        return;
    ac_free(&op->words);
    ac_free(&op->lits);
    free(op->need);
    free(op->ahead);
    free(op->bounded);
    free(op);
}

/*
 * The scratch: a byte per code, the required sets seen in this message,
 * then per (code, set) where a string of the set last ended. An entry of
 * last is read only when its set's bit is set in this message, so it
 * needs no clearing.
 */
struct scratch {
    unsigned char *hits;
    size_t *last;
};

pf_status pfi_onepass_scratch(const pf_ruleset *set, void **out)
{
    *out = NULL;
    if (!set->onepass)
        return PF_OK;
    struct scratch *sc = malloc(sizeof *sc);
    if (!sc)
        return PF_E_NOMEM;
    sc->hits = malloc(set->ncodes);
    sc->last = malloc(set->ncodes * CONJ_MAX * sizeof *sc->last);
    if (!sc->hits || !sc->last) {
        pfi_onepass_scratch_free(sc);
        return PF_E_NOMEM;
    }
    *out = sc;
    return PF_OK;
}

void pfi_onepass_scratch_free(void *scratch)
{
    struct scratch *sc = scratch;
    if (!sc)
        return;
    free(sc->hits);
    free(sc->last);
    free(sc);
}

/*
 * Can the URL pattern (rules.c) match? In either of its forms the last
 * label of the host comes right after a dot and starts with a letter:
 * \p{L} after "https?://" or "www.", [a-z] or a generic domain's name,
 * caseless, otherwise (the caseless [a-z] also takes U+212A and U+017F).
 * So every match has a '.' followed by an ASCII letter or a byte of a
 * non-ASCII character.
 */
static bool url_may_match(const char *msg, size_t len)
{
    for (const char *p = msg; (p = memchr(p, '.', len - (size_t)(p - msg))) != NULL; p++) {
        if ((size_t)(p - msg) + 1 >= len)
            return false;
        unsigned char c = (unsigned char)p[1];
        if (c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
            return true;
    }
    return false;
}

/*
 * cand[i] = 1 when need[i] is 0 (not judged) or hits[i] == need[i] (every
 * required set seen), else 0; eight codes at a time: a byte of x is zero
 * exactly when the two are equal, and ((x & 0x7f..) + 0x7f..) | x has its
 * top bit clear exactly in the zero bytes (no carry crosses a byte).
 */
static void cand_bytes(const unsigned char *need, const unsigned char *hits, unsigned char *cand,
                       size_t n)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t nd, ht;
        memcpy(&nd, need + i, 8);
        memcpy(&ht, hits + i, 8);
        uint64_t x = nd ^ ht;
        uint64_t zero_eq = ~(((x & low7) + low7) | x) & ~low7;
        uint64_t zero_nd = ~(((nd & low7) + low7) | nd) & ~low7;
        uint64_t c = (zero_eq | zero_nd) >> 7;
        memcpy(cand + i, &c, 8);
    }
    for (; i < n; i++)
        cand[i] = (unsigned char)((need[i] == 0) | (hits[i] == need[i]));
}

void pfi_onepass_candidates(const pf_ruleset *set, void *scratch, const char *msg, size_t len,
                            unsigned char *cand, size_t *limit)
{
    const struct pfi_onepass *op = set->onepass;
    struct scratch *sc = scratch;
    if (!op || !sc) {
        memset(cand, 1, set->ncodes);
        for (size_t i = 0; i < set->ncodes; i++)
            limit[i] = PF_NO_LIMIT;
        return;
    }
    unsigned char *hits = sc->hits;
    size_t *last = sc->last;
    memset(hits, 0, set->ncodes);
    /* Both automata in one loop over the message. */
    const unsigned char *s = (const unsigned char *)msg;
    uint32_t ws = 0, ls = 0;
    unsigned char prev = DROP;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i], f, l;
        if (c < 0x80) {
            f = folds[c];
            l = lower(c);
            i++;
        } else {
            /* Valid UTF-8 (pf_scanner_scan checked): decode one character. */
            size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            uint32_t cp = c & (k == 2 ? 0x1F : k == 3 ? 0x0F : 0x07);
            for (size_t m = 1; m < k && i + m < len; m++)
                cp = (cp << 6) | (s[i + m] & 0x3F);
            f = fold_cp(cp);
            l = lower_cp(cp);
            i += k;
        }
        ls = ac_step(&op->lits, ls, l, hits, last, i);
        if (f == DROP || f == prev)
            continue;
        prev = f;
        ws = ac_step(&op->words, ws, f, hits, NULL, 0);
    }
    /*
     * A judged code is a candidate when every one of its required sets was
     * seen. And every match of it contains a string of each set: one of a
     * set in op->ahead at or after the match's start, so no match starts
     * past where the last such string ended (PCRE2's offset limit: the
     * matches that remain are the same, found the same way). The words
     * automaton runs on the collapsed skeleton, whose positions promise no
     * such thing; it records none.
     */
    cand_bytes(op->need, hits, cand, set->ncodes);
    for (size_t b = 0; b < op->nbounded; b++) {
        size_t i = op->bounded[b];
        limit[i] = PF_NO_LIMIT;
        if (!cand[i])
            continue;
        for (unsigned j = 0; j < CONJ_MAX; j++) {
            size_t cs = i * CONJ_MAX + j;
            if ((op->ahead[i] >> j & 1u) && last[cs] < limit[i])
                limit[i] = last[cs];
        }
    }
    cand[op->url] = url_may_match(msg, len);
}

bool pfi_onepass_folds_ok(void)
{
    for (int c = 0; c < 128; c++) {
        if (folds[c] != fold((unsigned char)c))
            return false;
    }
    return true;
}

void pfi_onepass_stats(const pf_ruleset *set, size_t *exact, size_t *prefilter, size_t *absent)
{
    const struct pfi_onepass *op = set->onepass;
    *exact = op ? op->filtered : 0;
    *prefilter = 0;
    *absent = op ? op->absent : set->ncodes;
}

/* ---- the automata from the start-up cache (issue 20) ----
 *
 * Building both automata (and reading every pattern's literals) was a
 * sixth of a one-message command's start. They depend only on the rule
 * set, which depends only on the packs' bytes in order, so rules.c passes
 * the key it already computes for them and the built prefilter is kept in
 * the cache (file "rules-onepass") as its arrays, native byte order, each
 * automaton's transitions as the root's row and every other row's
 * differences from its failure link's row (its trie edges). The
 * reader checks every index against the arrays it indexes, and that no
 * dictionary chain loops, so a file that passes the cache's checks still
 * cannot send ac_step out of bounds or round in circles; anything odd is a
 * miss and the prefilter is built as before (with the search bounds of
 * issue 15: which required sets lie at or after a match). test_onepass compares a
 * prefilter read back with a built one, array for array.
 */
#define OP_FILE "rules-onepass"

struct op_out {
    char *b;
    size_t n, cap;
    bool failed;
};

static void op_put(struct op_out *o, const void *p, size_t n)
{
    if (o->failed || pfi_grow((void **)&o->b, &o->cap, o->n + n, 1) != PF_OK) {
        o->failed = true;
        return;
    }
    if (n)
        memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void op_put_u64(struct op_out *o, uint64_t v)
{
    op_put(o, &v, sizeof v);
}

static size_t ac_noutputs(const struct ac *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nnodes; i++)
        n += a->nout[i];
    return n;
}

/* Nodes other than the root, each after its failure link (by the length
 * of its chain of links to the root); malloc'd, NULL on memory. */
static uint32_t *ac_link_order(const struct ac *a)
{
    uint32_t *depth = calloc(a->nnodes, sizeof *depth), *order = NULL, *start = NULL;
    size_t maxd = 0;
    if (!depth)
        return NULL;
    for (size_t u = 1; u < a->nnodes; u++) {
        /* Links only go to shallower trie nodes, so the walk ends at the root. */
        uint32_t d = 0;
        for (uint32_t v = (uint32_t)u; v; v = a->fail[v])
            d++;
        depth[u] = d;
        maxd = d > maxd ? d : maxd;
    }
    order = malloc(a->nnodes * sizeof *order);
    start = calloc(maxd + 2, sizeof *start);
    if (order && start) {
        for (size_t u = 1; u < a->nnodes; u++)
            start[depth[u] + 1]++;
        for (size_t d = 1; d <= maxd + 1; d++)
            start[d] += start[d - 1];
        for (size_t u = 1; u < a->nnodes; u++)
            order[start[depth[u]]++] = (uint32_t)u;
    } else {
        free(order);
        order = NULL;
    }
    free(start);
    free(depth);
    return order;
}

static void ac_put(struct op_out *o, const struct ac *a)
{
    size_t nc = ac_noutputs(a);
    op_put(o, a->sym, sizeof a->sym);
    op_put_u64(o, a->nsym);
    op_put_u64(o, a->nnodes);
    op_put_u64(o, nc);
    /* Transitions: the root's row in full, then for each other node, in
     * an order where its failure link comes first, that link and the
     * entries where its row differs from the link's row (its trie
     * children: a full automaton's row is its failure link's elsewhere). */
    op_put(o, a->next, a->nsym * sizeof *a->next);
    uint32_t *order = ac_link_order(a);
    if (!order) {
        o->failed = true;
        return;
    }
    for (size_t i = 0; i + 1 < a->nnodes; i++) {
        uint32_t u = order[i], f = a->fail[u];
        const uint32_t *row = a->next + (size_t)u * a->nsym, *frow = a->next + (size_t)f * a->nsym;
        uint32_t k = 0;
        for (size_t c = 0; c < a->nsym; c++)
            k += row[c] != frow[c];
        uint32_t head[3] = {u, f, k};
        op_put(o, head, sizeof head);
        for (uint32_t c = 0; c < a->nsym; c++) {
            if (row[c] != frow[c]) {
                uint32_t pair[2] = {c, row[c]};
                op_put(o, pair, sizeof pair);
            }
        }
    }
    free(order);
    op_put(o, a->out, a->nnodes * sizeof *a->out);
    op_put(o, a->nout, a->nnodes * sizeof *a->nout);
    op_put(o, a->dict, a->nnodes * sizeof *a->dict);
    op_put(o, a->codes, nc * sizeof *a->codes);
}

/* The prefilter's bytes (malloc'd into *buf); false on memory. */
bool pfi_onepass_serialize(const struct pfi_onepass *op, size_t ncodes, char **buf, size_t *len)
{
    struct op_out o = {0};
    op_put_u64(&o, ncodes);
    op_put_u64(&o, op->filtered);
    op_put_u64(&o, op->absent);
    op_put(&o, op->need, ncodes);
    op_put(&o, op->ahead, ncodes);
    ac_put(&o, &op->words);
    ac_put(&o, &op->lits);
    if (o.failed) {
        free(o.b);
        return false;
    }
    *buf = o.b;
    *len = o.n;
    return true;
}

struct op_in {
    const char *p;
    size_t left;
    bool bad;
};

static void op_get(struct op_in *in, void *d, size_t n)
{
    if (in->bad || n > in->left) {
        in->bad = true;
        memset(d, 0, n);
        return;
    }
    memcpy(d, in->p, n);
    in->p += n;
    in->left -= n;
}

static uint64_t op_get_u64(struct op_in *in)
{
    uint64_t v;
    op_get(in, &v, sizeof v);
    return v;
}

/* An array of n elements of size bytes, copied out; NULL when the input
 * is short (then in->bad) or memory runs out. */
static void *op_get_array(struct op_in *in, uint64_t n, size_t size)
{
    if (in->bad || n > in->left / size) {
        in->bad = true;
        return NULL;
    }
    void *a = malloc(n ? (size_t)n * size : 1);
    if (!a) {
        in->bad = true;
        return NULL;
    }
    op_get(in, a, (size_t)n * size);
    return a;
}

/* One automaton, checked: every transition, output range, dictionary link
 * and output code in bounds, and no dictionary chain that loops. */
static bool ac_get(struct op_in *in, struct ac *a, size_t ncodes)
{
    memset(a, 0, sizeof *a);
    op_get(in, a->sym, sizeof a->sym);
    a->nsym = (size_t)op_get_u64(in);
    a->nnodes = (size_t)op_get_u64(in);
    uint64_t nc = op_get_u64(in);
    if (in->bad || a->nsym == 0 || a->nsym > 256 || a->nnodes == 0 || a->nnodes > UINT32_MAX ||
        a->nnodes - 1 > in->left / 12) /* a record for every node but the root */
        return false;
    a->next = op_get_array(in, a->nsym, sizeof *a->next);
    if (a->next) {
        uint32_t *grown = realloc(a->next, a->nnodes * a->nsym * sizeof *a->next);
        if (!grown)
            in->bad = true;
        else
            a->next = grown;
    }
    /* Each node once, after the node its row is copied from. */
    unsigned char *done = in->bad ? NULL : calloc(a->nnodes, 1);
    a->fail = in->bad ? NULL : calloc(a->nnodes, sizeof *a->fail);
    if (!done || !a->fail)
        in->bad = true;
    else
        done[0] = 1;
    for (size_t i = 1; !in->bad && i < a->nnodes; i++) {
        uint32_t head[3], pair[2];
        op_get(in, head, sizeof head);
        if (in->bad || head[0] >= a->nnodes || head[1] >= a->nnodes || done[head[0]] ||
            !done[head[1]] || head[2] > a->nsym) {
            in->bad = true;
            break;
        }
        uint32_t *row = a->next + (size_t)head[0] * a->nsym;
        memcpy(row, a->next + (size_t)head[1] * a->nsym, a->nsym * sizeof *row);
        a->fail[head[0]] = head[1];
        done[head[0]] = 1;
        for (uint32_t k = 0; !in->bad && k < head[2]; k++) {
            op_get(in, pair, sizeof pair);
            if (pair[0] >= a->nsym)
                in->bad = true;
            else
                row[pair[0]] = pair[1]; /* bounded with the rest below */
        }
    }
    free(done);
    a->out = op_get_array(in, a->nnodes, sizeof *a->out);
    a->nout = op_get_array(in, a->nnodes, sizeof *a->nout);
    a->dict = op_get_array(in, a->nnodes, sizeof *a->dict);
    a->codes = op_get_array(in, nc, sizeof *a->codes);
    if (in->bad)
        return false;
    for (size_t i = 0; i < 256; i++)
        if (a->sym[i] >= a->nsym)
            return false;
    for (size_t i = 0; i < a->nnodes * a->nsym; i++)
        if (a->next[i] >= a->nnodes)
            return false;
    uint64_t total = 0;
    for (size_t i = 0; i < a->nnodes; i++) {
        if (a->dict[i] >= a->nnodes || (i && a->dict[i] == i) ||
            (a->nout[i] && (a->out[i] > nc || a->nout[i] > nc - a->out[i])))
            return false;
        total += a->nout[i];
    }
    if (total != nc || a->nout[0] || a->dict[0])
        return false;
    for (size_t i = 0; i < nc; i++)
        if (a->codes[i] / CONJ_MAX >= ncodes)
            return false;
    /* Dictionary chains end at the root: mark each node once it is known
     * to, walking at most nnodes steps from any node. */
    unsigned char *ok = calloc(a->nnodes, 1);
    if (!ok)
        return false;
    ok[0] = 1;
    bool good = true;
    for (size_t i = 1; good && i < a->nnodes; i++) {
        size_t steps = 0;
        uint32_t v = (uint32_t)i;
        while (!ok[v] && steps++ <= a->nnodes)
            v = a->dict[v];
        good = ok[v] != 0;
        for (v = (uint32_t)i; good && !ok[v]; v = a->dict[v])
            ok[v] = 1;
    }
    free(ok);
    return good && ac_flatten(a) == PF_OK;
}

/* A prefilter from its bytes for a set of ncodes codes; NULL when they are
 * not one (or memory runs out). */
struct pfi_onepass *pfi_onepass_deserialize(const char *buf, size_t len, size_t ncodes)
{
    struct op_in in = {buf, len, false};
    struct pfi_onepass *op = calloc(1, sizeof *op);
    if (!op || ncodes == 0)
        goto bad;
    if (op_get_u64(&in) != ncodes)
        goto bad;
    op->filtered = (size_t)op_get_u64(&in);
    op->absent = (size_t)op_get_u64(&in);
    if (in.bad || op->filtered > ncodes || op->absent != ncodes - op->filtered)
        goto bad;
    op->url = ncodes - 1;
    if (!(op->need = op_get_array(&in, ncodes, 1)) || !(op->ahead = op_get_array(&in, ncodes, 1)) ||
        !(op->bounded = malloc(ncodes * sizeof *op->bounded)))
        goto bad;
    /* The search bounds (issue 15): sets of need only, and the list of the
     * codes that have one, rebuilt as pfi_onepass_build makes it. */
    for (size_t i = 0; i < ncodes; i++) {
        if (op->ahead[i] & ~op->need[i])
            goto bad;
        if (op->ahead[i])
            op->bounded[op->nbounded++] = (uint32_t)i;
    }
    if (!ac_get(&in, &op->words, ncodes) || !ac_get(&in, &op->lits, ncodes) || in.left)
        goto bad;
    /* Only the literal automaton records where a set last ended, so a
     * bounded set must never come from the words automaton (a forged file
     * could otherwise bound a search by a stale position; found in review). */
    for (size_t v = 0; v < op->words.nnodes; v++)
        for (uint32_t o = 0; o < op->words.nout[v]; o++) {
            uint32_t cs = op->words.codes[op->words.out[v] + o];
            if (op->ahead[cs / CONJ_MAX] >> (cs % CONJ_MAX) & 1u)
                goto bad;
        }
    return op;
bad:
    pfi_onepass_free(op);
    return NULL;
}

pf_status pfi_onepass_build_cached(pf_ruleset *set, const uint8_t key[32])
{
    uint8_t k[32];
    uint8_t d[32 + 64];
    char *buf = NULL;
    size_t len = 0;
    if (!pfi_cache_enabled())
        return pfi_onepass_build(set);
    memcpy(d, key, 32);
    memset(d + 32, 0, 64);
    snprintf((char *)d + 32, 64, "rules-onepass 9 conj %d", CONJ_MAX);
    pf_sha256(d, sizeof d, k);
    if (pfi_cache_read(OP_FILE, k, &buf, &len)) {
        set->onepass = pfi_onepass_deserialize(buf, len, set->ncodes);
        free(buf);
        if (set->onepass)
            return PF_OK;
    }
    pf_status st = pfi_onepass_build(set);
    if (st == PF_OK && set->onepass &&
        pfi_onepass_serialize(set->onepass, set->ncodes, &buf, &len)) {
        (void)pfi_cache_write(OP_FILE, k, buf, len);
        free(buf);
    }
    return st;
}

#else /* PF_ONEPASS=OFF: PCRE2 runs every code, as it always did */

pf_status pfi_onepass_build(pf_ruleset *set)
{
    set->onepass = NULL;
    return PF_OK;
}

pf_status pfi_onepass_build_cached(pf_ruleset *set, const uint8_t key[32])
{
    (void)key;
    return pfi_onepass_build(set);
}

bool pfi_onepass_serialize(const struct pfi_onepass *op, size_t ncodes, char **buf, size_t *len)
{
    (void)op;
    (void)ncodes;
    *buf = NULL;
    *len = 0;
    return false;
}

struct pfi_onepass *pfi_onepass_deserialize(const char *buf, size_t len, size_t ncodes)
{
    (void)buf;
    (void)len;
    (void)ncodes;
    return NULL;
}

void pfi_onepass_free(struct pfi_onepass *op)
{
    (void)op;
}

pf_status pfi_onepass_scratch(const pf_ruleset *set, void **out)
{
    (void)set;
    *out = NULL;
    return PF_OK;
}

void pfi_onepass_scratch_free(void *scratch)
{
    (void)scratch;
}

void pfi_onepass_candidates(const pf_ruleset *set, void *scratch, const char *msg, size_t len,
                            unsigned char *cand, size_t *limit)
{
    (void)scratch;
    (void)msg;
    (void)len;
    memset(cand, 1, set->ncodes);
    for (size_t i = 0; i < set->ncodes; i++)
        limit[i] = PF_NO_LIMIT;
}

bool pfi_onepass_folds_ok(void)
{
    return true;
}

void pfi_onepass_stats(const pf_ruleset *set, size_t *exact, size_t *prefilter, size_t *absent)
{
    *exact = *prefilter = 0;
    *absent = set->ncodes;
}

#endif
