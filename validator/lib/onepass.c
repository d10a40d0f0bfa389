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
 * "require" codes always run.
 *
 * The one place answers may differ from PCRE2 alone: a words pattern PCRE2
 * gives up on (rules.match-limit) on a message the skeleton proves it
 * cannot match. Generated word patterns do not backtrack that far.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rules_int.h"

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

/* Aho-Corasick automaton over skeleton symbols, as a full transition table. */
struct pfi_onepass {
    unsigned char sym[256]; /* skeleton byte -> alphabet index; 0: in no word */
    size_t nsym;
    uint32_t *next;  /* nnodes x nsym transitions */
    uint32_t *out;   /* per node: first index into codes[], ... */
    uint32_t *nout;  /* ... and how many */
    uint32_t *dict;  /* per node: nearest proper suffix node with output, 0 none */
    uint32_t *codes; /* the outputs, flattened */
    size_t nnodes;
    unsigned char *always; /* per code: 1 when the prefilter cannot judge it */
    size_t url;            /* the URL pattern's code index */
    size_t filtered, absent;
};

struct build {
    uint32_t *next; /* trie, nsym wide */
    size_t nnodes, cap, nsym;
    /* outputs as (node, code) pairs */
    uint32_t *pnode, *pcode;
    size_t npairs, pcap;
};

static uint32_t new_node(struct build *b)
{
    if (b->nnodes == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 1024;
        uint32_t *nn = realloc(b->next, ncap * b->nsym * sizeof *nn);
        if (!nn)
            return 0;
        b->next = nn;
        b->cap = ncap;
    }
    memset(b->next + b->nnodes * b->nsym, 0, b->nsym * sizeof *b->next);
    return (uint32_t)b->nnodes++;
}

static bool add_pair(struct build *b, uint32_t node, uint32_t code)
{
    if (b->npairs == b->pcap) {
        size_t ncap = b->pcap ? b->pcap * 2 : 256;
        uint32_t *a = realloc(b->pnode, ncap * sizeof *a);
        if (!a)
            return false;
        b->pnode = a;
        uint32_t *c = realloc(b->pcode, ncap * sizeof *c);
        if (!c)
            return false;
        b->pcode = c;
        b->pcap = ncap;
    }
    b->pnode[b->npairs] = node;
    b->pcode[b->npairs++] = code;
    return true;
}

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

static int cmp_pair_node(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

pf_status pfi_onepass_build(pf_ruleset *set)
{
    size_t n = set->ncodes;
    pf_status st = PF_E_NOMEM;
    struct build b = {0};
    uint32_t *queue = NULL, *fail = NULL;
    uint64_t *pairs = NULL;
    unsigned char *skel = NULL;
    size_t longest = 1;
    struct pfi_onepass *op = calloc(1, sizeof *op);
    if (!op || !(op->always = malloc(n)))
        goto out;
    memset(op->always, 1, n);
    op->url = n - 1;
    for (size_t i = 0; i < set->count; i++) {
        for (size_t w = 0; w < set->rules[i].nwords; w++) {
            size_t l = strlen(set->rules[i].words[w]);
            longest = l > longest ? l : longest;
        }
    }
    if (!(skel = malloc(longest)))
        goto out;
    /* The alphabet: every symbol of every judged word. */
    op->nsym = 1;
    for (size_t i = 0; i < set->count; i++) {
        const struct pfi_rule *r = &set->rules[i];
        for (size_t w = 0; w < r->nwords; w++) {
            size_t k;
            if (!judged(r->words[w], skel, &k))
                continue;
            for (size_t m = 0; m < k; m++) {
                if (!op->sym[skel[m]])
                    op->sym[skel[m]] = (unsigned char)op->nsym++;
            }
        }
    }
    b.nsym = op->nsym;
    if (new_node(&b) != 0 || b.nnodes != 1)
        goto out;
    /* The trie: a words code is judged only when every one of its words is. */
    for (size_t i = 0; i < set->count; i++) {
        const struct pfi_rule *r = &set->rules[i];
        bool all = r->info.matcher == PF_MATCH_WORDS && r->ncodes == 1 && r->nwords > 0;
        for (size_t w = 0; all && w < r->nwords; w++) {
            size_t k;
            all = judged(r->words[w], skel, &k);
        }
        if (!all)
            continue;
        for (size_t w = 0; w < r->nwords; w++) {
            size_t k;
            uint32_t node = 0;
            judged(r->words[w], skel, &k);
            for (size_t m = 0; m < k; m++) {
                uint32_t *slot = &b.next[node * b.nsym + op->sym[skel[m]]];
                if (!*slot) {
                    uint32_t nn = new_node(&b);
                    if (!nn)
                        goto out;
                    /* new_node may have moved the table */
                    slot = &b.next[node * b.nsym + op->sym[skel[m]]];
                    *slot = nn;
                }
                node = *slot;
            }
            if (!add_pair(&b, node, (uint32_t)r->code_base))
                goto out;
        }
        op->always[r->code_base] = 0;
        op->filtered++;
    }
    /* The URL pattern: both of its forms need a '.' (rules.c). */
    op->always[op->url] = 0;
    op->filtered++;
    op->absent = n - op->filtered;
    /* Outputs grouped by node. */
    pairs = malloc((b.npairs ? b.npairs : 1) * sizeof *pairs);
    op->out = calloc(b.nnodes, sizeof *op->out);
    op->nout = calloc(b.nnodes, sizeof *op->nout);
    op->dict = calloc(b.nnodes, sizeof *op->dict);
    op->codes = malloc((b.npairs ? b.npairs : 1) * sizeof *op->codes);
    queue = malloc(b.nnodes * sizeof *queue);
    fail = calloc(b.nnodes, sizeof *fail);
    if (!pairs || !op->out || !op->nout || !op->dict || !op->codes || !queue || !fail)
        goto out;
    for (size_t i = 0; i < b.npairs; i++)
        pairs[i] = ((uint64_t)b.pnode[i] << 32) | b.pcode[i];
    qsort(pairs, b.npairs, sizeof *pairs, cmp_pair_node);
    for (size_t i = 0; i < b.npairs; i++) {
        uint32_t node = (uint32_t)(pairs[i] >> 32);
        if (!op->nout[node])
            op->out[node] = (uint32_t)i;
        op->nout[node]++;
        op->codes[i] = (uint32_t)pairs[i];
    }
    /* Failure links breadth first, turning the trie into a full automaton. */
    size_t head = 0, tail = 0;
    for (size_t c = 1; c < b.nsym; c++) {
        uint32_t v = b.next[c];
        if (v) {
            fail[v] = 0;
            queue[tail++] = v;
        }
    }
    while (head < tail) {
        uint32_t u = queue[head++];
        op->dict[u] = op->nout[fail[u]] ? fail[u] : op->dict[fail[u]];
        for (size_t c = 1; c < b.nsym; c++) {
            uint32_t v = b.next[u * b.nsym + c];
            if (v) {
                fail[v] = b.next[fail[u] * b.nsym + c];
                queue[tail++] = v;
            } else {
                b.next[u * b.nsym + c] = b.next[fail[u] * b.nsym + c];
            }
        }
    }
    op->next = b.next;
    op->nnodes = b.nnodes;
    b.next = NULL;
    set->onepass = op;
    op = NULL;
    st = PF_OK;
out:
    pfi_onepass_free(op);
    free(b.next);
    free(b.pnode);
    free(b.pcode);
    free(queue);
    free(fail);
    free(pairs);
    free(skel);
    return st;
}

void pfi_onepass_free(struct pfi_onepass *op)
{
    if (!op)
        return;
    free(op->next);
    free(op->out);
    free(op->nout);
    free(op->dict);
    free(op->codes);
    free(op->always);
    free(op);
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
                            unsigned char *cand)
{
    const struct pfi_onepass *op = set->onepass;
    (void)scratch;
    if (!op) {
        memset(cand, 1, set->ncodes);
        return;
    }
    memcpy(cand, op->always, set->ncodes);
    cand[op->url] = memchr(msg, '.', len) != NULL;
    /* Skeleton and automaton in one loop: fold, drop, collapse, step. */
    const unsigned char *s = (const unsigned char *)msg;
    uint32_t state = 0;
    unsigned char prev = DROP;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i], f;
        if (c < 0x80) {
            f = fold(c);
            i++;
        } else {
            size_t k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            uint32_t cp = c & (k == 2 ? 0x1F : k == 3 ? 0x0F : 0x07);
            for (size_t m = 1; m < k && i + m < len; m++)
                cp = (cp << 6) | (s[i + m] & 0x3F);
            f = fold_cp(cp);
            i += k;
        }
        if (f == DROP || f == prev)
            continue;
        prev = f;
        state = op->next[(size_t)state * op->nsym + op->sym[f]];
        for (uint32_t v = op->nout[state] ? state : op->dict[state]; v; v = op->dict[v]) {
            for (uint32_t o = 0; o < op->nout[v]; o++)
                cand[op->codes[op->out[v] + o]] = 1;
        }
    }
}

void pfi_onepass_stats(const pf_ruleset *set, size_t *exact, size_t *prefilter, size_t *absent)
{
    const struct pfi_onepass *op = set->onepass;
    *exact = op ? op->filtered : 0;
    *prefilter = 0;
    *absent = op ? op->absent : set->ncodes;
}

#else /* PF_ONEPASS=OFF: PCRE2 runs every code, as it always did */

pf_status pfi_onepass_build(pf_ruleset *set)
{
    set->onepass = NULL;
    return PF_OK;
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
                            unsigned char *cand)
{
    (void)scratch;
    (void)msg;
    (void)len;
    memset(cand, 1, set->ncodes);
}

void pfi_onepass_stats(const pf_ruleset *set, size_t *exact, size_t *prefilter, size_t *absent)
{
    *exact = *prefilter = 0;
    *absent = set->ncodes;
}

#endif
