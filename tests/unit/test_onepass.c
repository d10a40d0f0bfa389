/*
 * test_onepass.c — differential test of the one-pass prefilter (onepass.c):
 * every message gives byte-identical findings (id, severity, message, fix,
 * source, span, in order) with the prefilter on and with PCRE2 alone.
 *
 * Messages: tests/corpus, tests/eval's dev and test splits, and generated
 * ones — templates filled with words taken from the shipped word lists and
 * random text, passed through evasion transforms (l33t, separators between
 * letters, repeated letters, case, Unicode spaces and case-folding
 * characters, cut words). Each message runs under several scan options
 * (countries, first message, sender kinds), rotating. A third scanner
 * scans the real messages and every 16th generated one twice, so the exact
 * memo of whole scans (scan.c) is checked against PCRE2 alone as well.
 * A crafted pack (look-arounds, small classes, sets of more than 48
 * strings) runs over every string of up to 4 characters of an alphabet
 * that hits and misses it.
 *
 * usage: test_onepass [GENERATED]   (default 100 000; 3 000 and one option set
 * per real message in sanitizer and Debug builds; scripts/bench runs 1 000 000)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cache_int.h"
#include "preflight/preflight.h"
#include "rules_int.h"

static pf_ruleset *rules, *lazy_rules; /* the same packs: compiled at load, on first use */
static char cache_dir[] = "/tmp/test_onepass.XXXXXX";
static pf_countries *table;
static pf_scanner *fast, *slow, *memo;
#ifndef PF_ONEPASS_GENERATED
#define PF_ONEPASS_GENERATED 100000
#endif
/* Option sets per real message: 4 (every 37th of 120), 1 in slow builds. */
#ifndef PF_ONEPASS_STEP
#define PF_ONEPASS_STEP 37
#endif
static size_t generated = PF_ONEPASS_GENERATED, checked, phone_rules;
static const char *no_phone[8];

static int setup(void **state)
{
    const char *dir = PF_SOURCE_DIR "/rules";
    const char *tf = PF_SOURCE_DIR "/data/countries.json";
    pf_diag d;
    (void)state;
    /* A private start-up cache: the first load compiles every pattern and
     * records the packs as valid, so the second leaves its patterns to be
     * compiled on first use (rules.c, lazy compilation). */
    if (!mkdtemp(cache_dir) || setenv("PREFLIGHT_CACHE_DIR", cache_dir, 1) != 0 ||
        unsetenv("PREFLIGHT_NO_CACHE") != 0)
        return -1;
    /* The second load also reads the prefilter the first one built and
     * wrote (onepass.c, "rules-onepass"): the memo scanner runs on it. */
    if (pf_rules_load(&dir, 1, &rules, &d) || pf_rules_load(&dir, 1, &lazy_rules, &d) ||
        pfi_cache_last() != PFI_CACHE_HIT || pfi_rules_lazy(rules) ||
        !pfi_rules_lazy(lazy_rules) ||
        pf_countries_load(&tf, 1, &table, &d) || pf_scanner_create(rules, &fast) ||
        pf_scanner_create(rules, &slow) || pf_scanner_create(lazy_rules, &memo))
        return -1;
    /* fast and slow differ only in the prefilter; memo adds the exact memo
     * of whole scans (scan.c), checked by scanning inputs twice, over the
     * lazily compiled copy of the packs. */
    pfi_scanner_set_onepass(fast, true);
    pfi_scanner_set_memo(fast, false);
    pfi_scanner_set_onepass(slow, false);
    pfi_scanner_set_memo(slow, false);
    /* The trusted path also works out the rules in effect for every
     * message; fast and memo remember them per scope (scan.c). */
    pfi_scanner_set_scope_memo(slow, false);
    for (size_t i = 0; i < rules->count && phone_rules < 8; i++) {
        if (rules->rules[i].info.matcher == PF_MATCH_BUILTIN &&
            rules->rules[i].builtin == PFI_BUILTIN_PHONE)
            no_phone[phone_rules++] = rules->rules[i].info.id;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pf_scanner_destroy(fast);
    pf_scanner_destroy(slow);
    pf_scanner_destroy(memo);
    pf_countries_destroy(table);
    pf_rules_destroy(rules);
    pf_rules_destroy(lazy_rules);
    static const char *const files[] = {"rules-valid", "rules-onepass", "countries",
                                        "phone-metadata", "icu-zones", "geo-descriptions"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char f[sizeof cache_dir + 32];
        snprintf(f, sizeof f, "%s/%s", cache_dir, files[i]);
        unlink(f);
    }
    rmdir(cache_dir);
    return 0;
}

static const char *const countries[] = {"US", "GB", "AE", "IN", NULL, "CA", "DE", "SG"};

static bool same_findings(const pf_finding_list *a, const pf_finding_list *b)
{
    bool same = a->count == b->count;
    for (size_t i = 0; same && i < a->count; i++) {
        const pf_finding *x = &a->items[i], *y = &b->items[i];
        same = strcmp(x->id, y->id) == 0 && x->severity == y->severity &&
               strcmp(x->message, y->message) == 0 && strcmp(x->fix, y->fix) == 0 &&
               strcmp(x->source, y->source) == 0 && x->has_span == y->has_span &&
               x->span_start == y->span_start && x->span_end == y->span_end;
    }
    return same;
}

/*
 * Scan with both engines under option set k; fail with the message on any
 * difference. With twice, the memo scanner also scans it twice (the second
 * time from its memo) and must agree too.
 */
static void compare(const char *msg, size_t len, unsigned k, bool with_phone, bool twice)
{
    pf_scan_options o = pf_scan_options_default();
    pf_finding_list a, b;
    pf_diag d;
    o.country = countries[k % 8];
    o.country_entry = o.country ? pf_countries_get(table, o.country) : NULL;
    o.first_message = (pf_first_message)(k / 8 % 3);
    o.sender = (int)(k / 24 % 5) - 1;
    o.brand = k % 2 ? "Acme" : NULL;
    /* libphonenumber's matcher is the same call on both paths (the
     * prefilter does not touch it) and the slowest step: the generated
     * messages skip it to keep the test fast. */
    if (!with_phone) {
        o.disabled = no_phone;
        o.disabled_count = phone_rules;
    }
    pf_finding_list_init(&a);
    pf_finding_list_init(&b);
    pf_status sa = pf_scanner_scan(fast, msg, len, &o, &a, &d);
    pf_status sb = pf_scanner_scan(slow, msg, len, &o, &b, &d);
    bool same = sa == sb && same_findings(&a, &b);
    for (int t = 0; twice && same && t < 2; t++) {
        pf_finding_list c;
        pf_finding_list_init(&c);
        same = pf_scanner_scan(memo, msg, len, &o, &c, &d) == sb && same_findings(&c, &b);
        pf_finding_list_clear(&c);
    }
    if (!same) {
        fprintf(stderr, "engines differ (options %u) on: %.*s\n", k, (int)len, msg);
        for (size_t i = 0; i < a.count; i++)
            fprintf(stderr, "  one pass: %s %zu-%zu\n", a.items[i].id, a.items[i].span_start,
                    a.items[i].span_end);
        for (size_t i = 0; i < b.count; i++)
            fprintf(stderr, "  PCRE2:    %s %zu-%zu\n", b.items[i].id, b.items[i].span_start,
                    b.items[i].span_end);
    }
    pf_finding_list_clear(&a);
    pf_finding_list_clear(&b);
    checked++;
    assert_true(same);
}

/*
 * The rules in effect are remembered per scope (country, sender kind,
 * disabled ids, compared by content): a caller that rewrites its disabled
 * list in place, or its country buffer, between two scans gets the
 * answer of the new scope, as a scanner that works it out every time does.
 */
static void scope_changes(void **state)
{
    (void)state;
    static const char msg[] = "FREE entry!!! Txt WIN to claim your $$$ prize at bit.ly/x now, "
                              "call +1 415 555 0132 or reply STOP";
    const char *disabled[2] = {NULL, NULL};
    char country[3] = "US";
    pf_finding_list a, b;
    pf_diag d;
    size_t differ = 0;
    for (unsigned k = 0; k < 4 * 5 * 3 * 2; k++) {
        pf_scan_options o = pf_scan_options_default();
        /* The same buffers every time, their contents changed. */
        memcpy(country, (const char *[]){"US", "DE", "AE", "IN"}[k % 4], 3);
        o.country = country;
        o.country_entry = pf_countries_get(table, country);
        o.sender = (int)(k / 4 % 5) - 1;
        disabled[0] = (const char *[]){"content.filter-evasion.money", "content.url-shortener",
                                       "content.phone-number"}[k / 20 % 3];
        o.disabled = disabled;
        o.disabled_count = k / 60 % 2 ? 1 : 0;
        pf_finding_list_init(&a);
        pf_finding_list_init(&b);
        assert_int_equal(pf_scanner_scan(fast, msg, sizeof msg - 1, &o, &a, &d), PF_OK);
        assert_int_equal(pf_scanner_scan(slow, msg, sizeof msg - 1, &o, &b, &d), PF_OK);
        assert_true(same_findings(&a, &b));
        /* The scopes do change the answer (this test can see a stale one). */
        static size_t prev = (size_t)-1;
        differ += prev != (size_t)-1 && prev != a.count;
        prev = a.count;
        pf_finding_list_clear(&a);
        pf_finding_list_clear(&b);
        checked++;
    }
    assert_true(differ > 10);
}

/* Every "text" of a JSON-lines file, under every option set in turn. */
static void file_messages(const char *path)
{
    char *buf;
    size_t len, n = 0;
    pf_diag d;
    assert_int_equal(pf_read_file(path, 1 << 26, &buf, &len, &d), PF_OK);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *row = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItem(row, "text");
        if (cJSON_IsString(t)) {
            for (unsigned k = 0; k < 120; k += PF_ONEPASS_STEP)
                compare(t->valuestring, strlen(t->valuestring), k + (unsigned)n, true, true);
            n++;
        }
        cJSON_Delete(row);
    }
    free(buf);
    assert_true(n > 100);
}

static void corpus_and_eval(void **state)
{
    (void)state;
    file_messages(PF_SOURCE_DIR "/tests/corpus/messages.jsonl");
    file_messages(PF_SOURCE_DIR "/tests/eval/dev.jsonl");
    file_messages(PF_SOURCE_DIR "/tests/eval/test.jsonl");
}

/* ---- generated messages ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

struct buf {
    char s[1024];
    size_t n;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n < sizeof b->s) {
        memcpy(b->s + b->n, s, n);
        b->n += n;
    }
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static const char *const fills[] = {"Acme",
                                    "your order",
                                    "tomorrow",
                                    "10:30",
                                    "https://acme.example/x",
                                    "bit.ly/3xYz",
                                    "www.acme.co.uk",
                                    "Reply STOP to opt out",
                                    "call 415-555-2671",
                                    "+14155552671",
                                    "$500",
                                    "100%",
                                    "txt HELP",
                                    "FREE",
                                    "win",
                                    "click here",
                                    "verify",
                                    "account",
                                    "WhatsApp",
                                    "t.me/acme",
                                    "\xE2\x80\x8B",
                                    "caf\xC3\xA9",
                                    "\xF0\x9F\x8E\x89",
                                    "Kelvin \xE2\x84\xAA",
                                    "\xC5\xBF",
                                    "\xC2\xA0",
                                    "e.g.",
                                    "Mr.Smith",
                                    "a@b.com",
                                    "..."};

static const char *const templates[] = {
    "Hi {}, {} is ready. {}", "{}! {} {} {}",
    "URGENT: {} {}, {}.",     "{}{}{}",
    "Your code is {}. {} {}", "Dear customer, {} at {} - {}",
};

/* A word of a random words rule, or a fill. */
static const char *pick_word(void)
{
    if (rnd(3) == 0)
        return fills[rnd(sizeof fills / sizeof *fills)];
    for (int tries = 0; tries < 8; tries++) {
        const struct pfi_rule *r = &rules->rules[rnd((uint32_t)rules->count)];
        if (r->nwords)
            return r->words[rnd((uint32_t)r->nwords)];
    }
    return "casino";
}

/* One evasion of w into b. */
static void evade(struct buf *b, const char *w)
{
    static const char *const seps[] = {" ", ".", "-", "_", "*", "\xC2\xA0", "\xE2\x80\x83", "/"};
    static const char leet_from[] = "aaeiilosstbgzo";
    static const char *const leet_to[] = {"4", "@", "3", "1", "!", "|", "0",
                                          "5", "$", "7", "8", "9", "2", "()"};
    uint32_t how = rnd(10);
    const char *sep = seps[rnd(8)];
    size_t n = strlen(w);
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if ((unsigned char)c >= 0x80 || how == 0) {
            put(b, &c, 1);
            continue;
        }
        const char *l = strchr(leet_from, c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (how == 1 && l && rnd(2))
            puts_(b, leet_to[l - leet_from + rnd(2) * (l[1] == l[0])]);
        else if (how == 2 && (c == 'k' || c == 'K') && rnd(2))
            puts_(b, "\xE2\x84\xAA");
        else if (how == 2 && (c == 's' || c == 'S') && rnd(2))
            puts_(b, "\xC5\xBF");
        else if (how == 3)
            put(b, &(char){(char)(c >= 'a' && c <= 'z' ? c - 32 : c)}, 1);
        else
            put(b, &c, 1);
        if (how == 4 && rnd(3) == 0)
            put(b, &c, 1); /* repeated letter */
        if ((how == 5 || how == 6) && i + 1 < n)
            puts_(b, sep); /* one separator between letters */
        if (how == 7 && i + 1 < n && rnd(4) == 0)
            puts_(b, seps[rnd(8)]); /* a stray one */
        if (how == 8 && i == n / 2)
            break; /* a cut word */
    }
}

static void generate(struct buf *b)
{
    const char *t = templates[rnd(sizeof templates / sizeof *templates)];
    b->n = 0;
    for (const char *p = t; *p; p++) {
        if (p[0] == '{' && p[1] == '}') {
            evade(b, pick_word());
            if (rnd(4) == 0) {
                puts_(b, " ");
                evade(b, pick_word());
            }
            p++;
        } else {
            put(b, p, 1);
        }
    }
}

static void generated_messages(void **state)
{
    struct buf b;
    (void)state;
    for (size_t i = 0; i < generated; i++) {
        generate(&b);
        compare(b.s, b.n, (unsigned)i, false, i % 16 == 0);
    }
    /* The memo was used: every second scan of an input is a hit. */
    assert_true(pfi_scanner_memo_hits(memo) >= generated / 16);
}

/*
 * The literal reader's newer cases on a pack of their own: positive and
 * negative look-arounds, small classes (ranges, a literal ']' or '-',
 * escaped punctuation, quantifiers with minimum 0), sets of more than 48
 * strings. Messages are every short string over an alphabet that hits
 * and misses them; the prefilter and PCRE2 alone must agree on each.
 */
static const char crafted_pack[] =
    "{\"pack\": \"crafted\", \"description\": \"d\", \"rules\": ["
    "{\"id\": \"content.x.look\", \"category\": \"x\", \"severity\": \"warn\", \"message\": \"m\","
    " \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": ["
    "\"(?=\\\\w{0,3}[0-9@])x[a4]y\", \"(?<=pr)ek\", \"(?<!n)o[s5$]t\", \"(?!ab)[a-c]{2}z\","
    "\"[]x-]+ab\", \"[-q]w?k\", \"[\\\\.!]{2}\", \"z[k-m]*q\", \"(?=.*q)(?=.*z)k\","
    "\"(?:a1|a2|a3|a4|a5|a6|a7|a8|a9|b1|b2|b3|b4|b5|b6|b7|b8|b9|c1|c2|c3|c4|c5|c6|c7|c8|c9"
    "|d1|d2|d3|d4|d5|d6|d7|d8|d9|e1|e2|e3|e4|e5|e6|e7|e8|e9|f1|f2|f3|f4|f5|f6)q"
    "|(?:g1|g2|g3|g4|g5|g6|g7|g8|g9|h1|h2|h3|h4|h5|h6|h7|h8|h9|i1|i2|i3|i4|i5|i6|i7|i8|i9"
    "|j1|j2|j3|j4|j5|j6|j7|j8|j9|k1|k2|k3|k4|k5|k6|k7|k8|k9|l1|l2|l3|l4|l5|l6)z\"]}]}";

/* A crafted pack and two scanners over it: f with the prefilter, sl with
 * PCRE2 alone, neither remembering scans. */
static void load_pair(const char *pack, size_t len, const char *name, pf_ruleset **set,
                      pf_scanner **f, pf_scanner **sl)
{
    pf_diag d;
    assert_int_equal(pf_rules_load_buffers(&pack, &len, &name, 1, set, &d), PF_OK);
    assert_int_equal(pf_scanner_create(*set, f), PF_OK);
    assert_int_equal(pf_scanner_create(*set, sl), PF_OK);
    pfi_scanner_set_onepass(*sl, false);
    pfi_scanner_set_memo(*f, false);
    pfi_scanner_set_memo(*sl, false);
}

/* Both scanners of a pair on one message: the findings must agree (else
 * the test fails naming pack and message); how many PCRE2 alone found. */
static size_t pair_agree(pf_scanner *f, pf_scanner *sl, const char *msg, size_t l,
                         const char *pack)
{
    pf_finding_list a, b;
    pf_diag d;
    pf_finding_list_init(&a);
    pf_finding_list_init(&b);
    assert_int_equal(pf_scanner_scan(f, msg, l, NULL, &a, &d), PF_OK);
    assert_int_equal(pf_scanner_scan(sl, msg, l, NULL, &b, &d), PF_OK);
    if (!same_findings(&a, &b))
        fail_msg("engines differ on the %s pack for '%.*s'", pack, (int)l, msg);
    size_t found = b.count;
    checked++;
    pf_finding_list_clear(&a);
    pf_finding_list_clear(&b);
    return found;
}

/* The pair and its set, freed. */
static void drop_pair(pf_ruleset *set, pf_scanner *f, pf_scanner *sl)
{
    pf_scanner_destroy(f);
    pf_scanner_destroy(sl);
    pf_rules_destroy(set);
}

static void crafted_patterns(void **state)
{
    pf_ruleset *set;
    pf_scanner *f, *sl;
    (void)state;
    assert_true(pfi_onepass_folds_ok());
    load_pair(crafted_pack, sizeof crafted_pack - 1, "crafted.json", &set, &f, &sl);
    size_t exact, pre, absent;
    pfi_onepass_stats(set, &exact, &pre, &absent);
    assert_true(exact >= 10); /* every crafted pattern is judged */
    static const char alpha[] = "xa4y0@prekno5$tbcz]-qw.!kmAX1g6";
    const size_t na = sizeof alpha - 1;
    size_t hits = 0;
    char msg[8];
    /* Every string of 1 to 4 characters over the alphabet (to 3 in slow
     * builds and under valgrind, which ask for few generated messages). */
    size_t maxlen = generated < 10000 ? 3 : 4;
    for (size_t l = 1; l <= maxlen; l++) {
        size_t total = 1;
        for (size_t i = 0; i < l; i++)
            total *= na;
        for (size_t k = 0; k < total; k++) {
            size_t v = k;
            for (size_t i = 0; i < l; i++) {
                msg[i] = alpha[v % na];
                v /= na;
            }
            hits += pair_agree(f, sl, msg, l, "crafted");
        }
    }
    assert_true(hits > 100); /* the patterns do match: the test is not vacuous */
    drop_pair(set, f, sl);
}

/* A random message of 1 to most pieces into msg (each piece followed by a
 * space half the time when spaced); its length. */
static size_t pieces_message(char *msg, const char *const *piece, size_t np, uint32_t most,
                             bool spaced)
{
    size_t l = 0, want = 1 + rnd(most);
    for (size_t i = 0; i < want; i++) {
        const char *c = piece[rnd((uint32_t)np)];
        memcpy(msg + l, c, strlen(c));
        l += strlen(c);
        if (spaced && rnd(2))
            msg[l++] = ' ';
    }
    return l;
}

/*
 * The reader's sets of whole texts: a group or class whose every branch is
 * literal extends the text before and after it (".co/" or ".n/"), also
 * repeated ("a(?:b|c)+d": "ab"/"ac" and "bd"/"cd"), with (?i:...), \d
 * (any script's digit), non-ASCII literals (the Kelvin sign is a 'k' to
 * caseless matching), an empty branch, nesting; and a set that grows past
 * its bound. Random strings over an alphabet that hits and misses them.
 */
static const char sets_pack[] =
    "{\"pack\": \"sets\", \"description\": \"d\", \"rules\": ["
    "{\"id\": \"content.x.sets\", \"category\": \"x\", \"severity\": \"warn\", \"message\": \"m\","
    " \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": ["
    "\"\\\\.(?:co|n)/\", \"a(?:b|c)+d\", \"(?i:x[yz])\\\\d\", \"\\u00e9[ab]\", \"\\u212aq\","
    "\"(?:ab|)c\", \"x(?:y|z(?:w|v))q\", \"(?:a|b)?cd\", \"(?:1|2){2}m\", \"[0-9][0-9][0-9]k\","
    "\"(?:a|b|c|d)(?:a|b|c|d)(?:a|b|c|d)(?:a|b|c|d)(?:e|f)\"]}]}";

static void whole_sets(void **state)
{
    pf_ruleset *set;
    pf_scanner *f, *sl;
    (void)state;
    load_pair(sets_pack, sizeof sets_pack - 1, "sets.json", &set, &f, &sl);
    size_t exact, pre, absent;
    pfi_onepass_stats(set, &exact, &pre, &absent);
    assert_true(exact >= 11); /* every pattern is judged */
    static const char *const alpha[] = {".", "c", "o", "n", "/", "a", "b", "d", "x", "X", "y",
                                        "z", "0", "7", "\xd9\xa3", "\xc3\xa9", "\xc3\x89", "k",
                                        "K", "\xe2\x84\xaa", "q", "w", "v", "1", "2", "m",
                                        "e", "f", " "};
    const size_t na = sizeof alpha / sizeof alpha[0];
    size_t hits = 0, n = generated < 10000 ? 20000 : 300000;
    char msg[64];
    for (size_t k = 0; k < n; k++) {
        size_t l = pieces_message(msg, alpha, na, 8, false);
        hits += pair_agree(f, sl, msg, l, "sets");
    }
    assert_true(hits > 500); /* the patterns do match: the test is not vacuous */
    drop_pair(set, f, sl);
}

/*
 * Classes the reader must not misread (found in review): quoted text in a
 * class may hold its ']', and "[:" that is no POSIX name is a literal '['
 * to PCRE2. Each pattern on messages it matches, and on a few it does not.
 */
static const char class_pack[] =
    "{\"pack\": \"classes\", \"description\": \"d\", \"rules\": ["
    "{\"id\": \"content.x.classes\", \"category\": \"x\", \"severity\": \"warn\", \"message\": \"m\","
    " \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": ["
    "\"[\\\\Q]x\\\\E]\", \"a[\\\\Q]\\\\E]+b\", \"[[:]|ab:]]cd\", \"[[:alpha:]]q[[:^digit:]]\"]}]}";

static void class_edges(void **state)
{
    pf_ruleset *set;
    pf_scanner *f, *sl;
    (void)state;
    load_pair(class_pack, sizeof class_pack - 1, "classes.json", &set, &f, &sl);
    static const char *const msgs[] = {"x", "]", "a]b", "a]]b", "[", "|", ":", "abcd", "cd",
                                       "zqz", "zq1", "q", "nothing here"};
    size_t hits = 0;
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        hits += pair_agree(f, sl, msgs[i], strlen(msgs[i]), "class");
    }
    assert_true(hits >= 6); /* x, ], a]b, [, |, zqz at least */
    drop_pair(set, f, sl);
}

/*
 * Branches' conjunctions paired up (onepass.c, conj_zip): a pattern of
 * several branches, each needing several words, needs one word of each
 * pair. Patterns with a branch of one set, a branch from a look-behind, a
 * nested alternation, a pair too large for a set (the strings of a branch
 * go past RQ_MAX together), branches whose best sets together go past it
 * (the pairs still hold: found in review), a look-behind whose string ends
 * before the point tested, and one branch that needs nothing. Random
 * strings of those words; and the pairing itself on two messages.
 */
static const char branch_pack[] =
    "{\"pack\": \"branches\", \"description\": \"d\", \"rules\": ["
    "{\"id\": \"content.x.branches\", \"category\": \"x\", \"severity\": \"warn\","
    " \"message\": \"m\", \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": ["
    "\"\\\\bput\\\\b.{0,9}\\\\bhold\\\\b.{0,9}\\\\byour\\\\b|\\\\baccount\\\\b.{0,9}\\\\blimited\\\\b\","
    "\"(?<=pre)fix.*ed|post.*(?:fix|tag).*ing|tag\","
    "\"(?:hold|put)\\\\s+your\\\\s+(?:account|fix)|limited.*(?:hold|pre)\","
    "\"x(?:a1|a2|a3|a4|a5|a6|a7|a8|a9|b1|b2|b3|b4|b5|b6|b7|b8|b9|c1|c2|c3|c4|c5|c6|c7|c8|c9"
    "|d1|d2|d3|d4|d5|d6|d7|d8|d9|e1|e2|e3|e4|e5|e6|e7|e8|e9|f1|f2|f3|f4|f5|f6|f7|f8|f9|g1|g2|g3"
    "|g4|g5|g6|g7|g8|g9|h1|h2|h3|h4|h5|h6|h7|h8|h9)q.*your|y(?:i1|i2|i3|i4|i5|i6|i7|i8|i9"
    "|j1|j2|j3|j4|j5|j6|j7|j8|j9|k1|k2|k3|k4|k5|k6|k7|k8|k9|l1|l2|l3|l4|l5|l6|l7|l8|l9|m1|m2"
    "|m3|m4|m5|m6|m7|m8|m9|n1|n2|n3|n4|n5|n6|n7|n8|n9|o1|o2|o3|o4|o5|o6|o7|o8|o9)q.*hold\","
    "\"your.*q|(?<=hold.)x\","
    "\""
    "(?:a00|a01|a02|a03|a04|a05|a06|a07|a08|a09|a10|a11|a12|a13|a14|a15|a16|a17|a18|a19|a20|a"
    "21|a22|a23|a24|a25|a26|a27|a28|a29|a30|a31|a32|a33|a34|a35|a36|a37|a38|a39|a40|a41|a42|a"
    "43|a44|a45|a46|a47|a48|a49).*hi|(?:b00|b01|b02|b03|b04|b05|b06|b07|b08|b09|b10|b11|b12|b"
    "13|b14|b15|b16|b17|b18|b19|b20|b21|b22|b23|b24|b25|b26|b27|b28|b29|b30|b31|b32|b33|b34|b"
    "35|b36|b37|b38|b39|b40|b41|b42|b43|b44|b45|b46|b47|b48|b49).*yo|(?:c00|c01|c02|c03|c04|c"
    "05|c06|c07|c08|c09|c10|c11|c12|c13|c14|c15|c16|c17|c18|c19|c20|c21|c22|c23|c24|c25|c26|c"
    "27|c28|c29|c30|c31|c32|c33|c34|c35|c36|c37|c38|c39|c40|c41|c42|c43|c44|c45|c46|c47|c48|c"
    "49).*ok"
    "\","
    "\"hold.*put|\\\\d*\"]}]}";

static void branch_conjunctions(void **state)
{
    pf_ruleset *set;
    pf_scanner *f, *sl;
    (void)state;
    load_pair(branch_pack, sizeof branch_pack - 1, "branches.json", &set, &f, &sl);
    size_t exact, pre, absent;
    pfi_onepass_stats(set, &exact, &pre, &absent);
    assert_int_equal(absent, 1); /* all but the branch that needs nothing */
    static const char *const words[] = {"put", "hold", "your", "account", "limited", "pre",
                                        "fix", "ed", "post", "tag", "ing", "x", "a1", "h9",
                                        "q", "y", "i1", "o9", "b5", " ", "  ", "\n", "7",
                                        "a07", "b49", "c00", "hi", "yo", "ok", "hold!"};
    const size_t nw = sizeof words / sizeof words[0];
    size_t hits = 0, n = generated < 10000 ? 20000 : 200000;
    char msg[128];
    for (size_t k = 0; k < n; k++) {
        size_t l = pieces_message(msg, words, nw, 10, true);
        hits += pair_agree(f, sl, msg, l, "branches");
    }
    assert_true(hits > 1000); /* the patterns do match: the test is not vacuous */
    /* The pairing: "hold" and "account" are each one branch's best word,
     * but neither branch's other words are there ("your", "limited"). */
    void *scratch = NULL;
    unsigned char *cand = malloc(set->ncodes);
    size_t *limit = malloc(set->ncodes * sizeof *limit);
    assert_non_null(cand);
    assert_non_null(limit);
    assert_int_equal(pfi_onepass_scratch(set, &scratch), PF_OK);
    assert_int_equal(set->rules[0].code_base, 0); /* code 0: the first pattern */
    pfi_onepass_candidates(set, scratch, "hold account", 12, cand, limit);
    assert_int_equal(cand[0], 0);
    pfi_onepass_candidates(set, scratch, "put hold your", 13, cand, limit);
    assert_int_equal(cand[0], 1);
    pfi_onepass_scratch_free(scratch);
    free(cand);
    free(limit);
    drop_pair(set, f, sl);
}

/*
 * URLs: the URL pattern runs only when a dot is followed by a letter
 * (onepass.c, url_may_match); its forms, and near misses.
 */
static void url_forms(void **state)
{
    static const char *const msgs[] = {
        "go to a.KZ now", "www.m\xc3\xbcnchen.de", "http://\xd0\xbf\xd1\x80.\xd1\x80\xd1\x84",
        "visit acme.\xc5\xbfhop", "acme.\xe2\x84\xaaz", "1.5 and 2.0", "end.", "e.g. this",
        "x.!y", "http://10.0.0.1/x", "https://a.b.c/d?e=f.", "www.x.1", ".com", "a..co",
        "A.CO!", "see acme.co/t/12.", "https://x.\xc3\xa9t\xc3\xa9"};
    (void)state;
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        for (unsigned k = 0; k < 8; k++)
            compare(msgs[i], strlen(msgs[i]), k, true, false);
    }
}

/*
 * The prefilter read back from the start-up cache is the built one, array
 * for array (the memo scanner above scans with it); and bytes that are not
 * a prefilter are refused without reading out of bounds or looping: every
 * truncation point of the header and a sample of the rest, each of the
 * first 4096 words set to values past every bound, a dictionary link to
 * itself.
 */
static void cached_prefilter(void **state)
{
    (void)state;
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    assert_non_null(rules->onepass);
    assert_non_null(lazy_rules->onepass);
    assert_true(pfi_onepass_serialize(rules->onepass, rules->ncodes, &a, &la));
    assert_true(pfi_onepass_serialize(lazy_rules->onepass, lazy_rules->ncodes, &b, &lb));
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(b);
    struct pfi_onepass *op = pfi_onepass_deserialize(a, la, rules->ncodes);
    assert_non_null(op);
    pfi_onepass_free(op);
    assert_null(pfi_onepass_deserialize(a, la, rules->ncodes + 1));
    assert_null(pfi_onepass_deserialize(a, la + 1, rules->ncodes));
    for (size_t cut = 0; cut < la; cut += cut < 2048 ? 1 : 4093)
        assert_null(pfi_onepass_deserialize(a, cut, rules->ncodes));
    char *m = malloc(la);
    assert_non_null(m);
    size_t refused = 0;
    for (size_t w = 0; w < 4096 && 4 * w + 4 <= la; w++) {
        static const uint32_t values[] = {0xffffffffu, 0x7fffffffu, 65536};
        for (size_t v = 0; v < 3; v++) {
            memcpy(m, a, la);
            memcpy(m + 4 * w, &values[v], 4);
            op = pfi_onepass_deserialize(m, la, rules->ncodes);
            refused += op == NULL;
            pfi_onepass_free(op);
        }
    }
    print_message("prefilter bytes: %zu; altered words refused: %zu\n", la, refused);
    assert_true(refused > 1000);
    free(m);
    free(a);
}

/*
 * Where a search may stop (issue 15): the prefilter bounds each match's
 * start by the last place a string of a required set ends (PCRE2's offset
 * limit). Longer random messages over a few characters, the Kelvin sign
 * and long s, so strings are found early, late and both; a look-behind's
 * strings (which lie before the match) must not bound it.
 */
static const char bounds_pack[] =
    "{\"pack\": \"bounds\", \"description\": \"d\", \"rules\": ["
    "{\"id\": \"content.x.bounds\", \"category\": \"x\", \"severity\": \"warn\", \"message\": "
    "\"m\","
    " \"fix\": \"f\", \"source\": \"heuristic\", \"pattern\": ["
    "\"(?<=k.)z\", \"(?<=ab)[^ ]{0,3}q\", \"\\\\w{0,2}qz\", \"(?=.{0,2}ab)[a-z]\", \"x(?=.?q)\","
    " \"(?:ab|a.b){1,2}q\", \"q[a-c]*z\", \"\\\\Gx?a\", \"k+q\", \"a.{3}b\", \"\\\\bzq\\\\b\","
    " \"ks\", \"(?:s|x)(?:k|z){2}\", \"[xz]{2}\", \"(?=[^ ]*ka)b\", \"a.{6}(?=q)\"]}]}";

static void search_bounds(void **state)
{
    pf_ruleset *set;
    pf_scanner *f, *sl;
    (void)state;
    load_pair(bounds_pack, sizeof bounds_pack - 1, "bounds.json", &set, &f, &sl);
    static const char *const tok[] = {
        "a",        "b",        "k",  "q", "z", "x", "s", ".", " ", "ab", "\xe2\x84\xaa",
        "\xc5\xbf", "\xc3\xa9", "qz", "ka"};
    const size_t ntok = sizeof tok / sizeof *tok;
    unsigned long long seed = 15;
    size_t hits = 0, n = generated < 10000 ? 20000 : 200000;
    char msg[256];
    for (size_t i = 0; i < n; i++) {
        size_t l = 0, k;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        k = 1 + (size_t)(seed >> 33) % 48;
        while (k--) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            const char *t = tok[(seed >> 33) % ntok];
            memcpy(msg + l, t, strlen(t));
            l += strlen(t);
        }
        hits += pair_agree(f, sl, msg, l, "bounds");
    }
    assert_true(hits > n); /* the patterns do match, several times a message */
    drop_pair(set, f, sl);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        generated = (size_t)strtoull(argv[1], NULL, 10);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_and_eval),
        cmocka_unit_test(generated_messages),
        cmocka_unit_test(crafted_patterns),
        cmocka_unit_test(cached_prefilter),
        cmocka_unit_test(search_bounds),
        cmocka_unit_test(scope_changes),
        cmocka_unit_test(whole_sets),
        cmocka_unit_test(branch_conjunctions),
        cmocka_unit_test(url_forms),
        cmocka_unit_test(class_edges),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    fprintf(stderr, "test_onepass: %zu scans compared\n", checked);
    return rc;
}
