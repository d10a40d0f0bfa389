/*
 * test_rules_snap.c — the rule-set snapshot (rules_snap.c; the start-up
 * cache's "rules-snapshot", issue 20) against the packs' JSON, the slow
 * trusted path.
 *
 * Three pack sets (the shipped packs; those plus rules/optional, whose
 * model rule is the snapshot's largest part; the shipped packs plus a
 * crafted overlay that overrides a shipped rule and uses every key a rule
 * may have) are each loaded three ways through a private cache: in full
 * from JSON, lazily from JSON (the snapshot file removed), and from the
 * snapshot. Every field of every rule is compared (strings by value,
 * pointers by NULL-ness, arrays element by element, the model feature by
 * feature), and the scans of tests/corpus and tests/eval's messages under
 * several option sets give the same findings. `check` verdicts of a
 * session read from the snapshot are byte-identical, as the JSON the CLI
 * prints, to a session without a cache. What is keyed (pack bytes, not
 * names; rules-valid) and a pack rewritten in place behind a warm cache
 * (pf_rules_load takes the hashes from the memo of file hashes). Payloads
 * that are cut, lengthened, altered word by word, or written from a forged
 * set are refused.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cache_int.h"
#include "model_int.h"
#include "preflight/preflight.h"
#include "rules_int.h"

static char cache_dir[] = "/tmp/test_rules_snap.XXXXXX";
static char overlay_dir[] = "/tmp/test_rules_snap_pack.XXXXXX";
static char overlay_file[sizeof overlay_dir + 32];

/* Every key a rule may have, an override of a shipped rule, a signal that
 * counts a rule of an earlier pack, domains out of order. */
static const char overlay_pack[] =
    "{\"pack\": \"overlay\", \"description\": \"crafted for test_rules_snap\", \"rules\": [\n"
    "{\"id\": \"content.prize\", \"category\": \"prize\", \"severity\": \"block\",\n"
    " \"message\": \"Overridden prize.\", \"fix\": \"Say less.\", \"source\": \"heuristic\",\n"
    " \"words\": [\"jackpot\", \"gr\xc3\xa4tis\", \"free gift card\"], \"caseless\": false,\n"
    " \"except\": [\"jackpot road\", \"gift card balance\"], \"countries\": [\"US\", \"GB\"],\n"
    " \"senders\": [\"long_code\", \"short_code\"], \"first_message\": true,\n"
    " \"escalate\": \"category\", \"escalate_with_url\": true},\n"
    "{\"id\": \"content.overlay.pattern\", \"category\": \"overlay\", \"severity\": \"warn\",\n"
    " \"message\": \"A pattern.\", \"fix\": \"f\", \"source\": \"https://example.org/x\",\n"
    " \"pattern\": \"claim (?:now|today)\", \"except\": \"claim today only\",\n"
    " \"exclude_countries\": [\"DE\"]},\n"
    "{\"id\": \"content.overlay.require\", \"category\": \"overlay\", \"severity\": \"info\",\n"
    " \"message\": \"Require.\", \"fix\": \"f\", \"source\": \"heuristic\",\n"
    " \"require\": [\"(?i)stop\", \"opt.?out\"], \"senders\": \"toll_free\"},\n"
    "{\"id\": \"content.overlay.domains\", \"category\": \"overlay\", \"severity\": \"warn\",\n"
    " \"message\": \"Domains.\", \"fix\": \"f\", \"source\": \"heuristic\",\n"
    " \"domains\": [\"zz.example\", \"bit.ly\", \"aa.example\"], \"escalate\": \"urls_banned\"},\n"
    "{\"id\": \"content.overlay.premium\", \"category\": \"overlay\", \"severity\": \"warn\",\n"
    " \"message\": \"Premium.\", \"fix\": \"f\", \"source\": \"heuristic\",\n"
    " \"builtin\": \"phone_number\", \"number_types\": [\"premium_rate\", \"shared_cost\"],\n"
    " \"escalate\": \"phone_numbers_banned\"},\n"
    "{\"id\": \"content.overlay.brand\", \"category\": \"overlay\", \"severity\": \"info\",\n"
    " \"message\": \"Brand.\", \"fix\": \"f\", \"source\": \"heuristic\",\n"
    " \"builtin\": \"brand_missing\"},\n"
    "{\"id\": \"content.overlay.signals\", \"category\": \"overlay\", \"severity\": \"warn\",\n"
    " \"message\": \"Signals.\", \"fix\": \"f\", \"source\": \"heuristic\",\n"
    " \"signals\": {\"threshold\": 3, \"when_unflagged\": true, \"weights\":\n"
    "  {\"content.overlay.pattern\": 2, \"content.url\": 1, \"content.prize\": 2}}}\n"
    "]}\n";

static void clear_cache(void)
{
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char f[sizeof cache_dir + 300];
        if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.'))
            continue;
        snprintf(f, sizeof f, "%s/%s", cache_dir, e->d_name);
        unlink(f);
    }
    if (d)
        closedir(d);
}

static void drop_snapshot_file(void)
{
    char f[sizeof cache_dir + 32];
    snprintf(f, sizeof f, "%s/rules-snapshot", cache_dir);
    assert_int_equal(unlink(f), 0);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(cache_dir) || !mkdtemp(overlay_dir) ||
        setenv("PREFLIGHT_CACHE_DIR", cache_dir, 1) != 0 || unsetenv("PREFLIGHT_NO_CACHE") != 0)
        return -1;
    snprintf(overlay_file, sizeof overlay_file, "%s/overlay.json", overlay_dir);
    FILE *f = fopen(overlay_file, "w");
    if (!f || fwrite(overlay_pack, 1, sizeof overlay_pack - 1, f) != sizeof overlay_pack - 1)
        return -1;
    return fclose(f) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clear_cache();
    rmdir(cache_dir);
    unlink(overlay_file);
    rmdir(overlay_dir);
    return 0;
}

/* ---- every field ---- */

static void same_str(const char *a, const char *b, const char *what, const char *id)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        fail_msg("rule %s: %s differs: '%s' / '%s'", id, what, a ? a : "(null)", b ? b : "(null)");
}

static void same_list(const char *const *a, size_t na, const char *const *b, size_t nb,
                      const char *what, const char *id)
{
    if (na != nb || (a == NULL) != (b == NULL))
        fail_msg("rule %s: %s: %zu items (%s) / %zu (%s)", id, what, na, a ? "set" : "NULL", nb,
                 b ? "set" : "NULL");
    for (size_t i = 0; i < na; i++)
        same_str(a[i], b[i], what, id);
}

/* Compiled code slots: NULL-ness compared when both sets are lazy. */
static void same_slots(const pfi_code_slot *a, const pfi_code_slot *b, size_t n, bool codes,
                       const char *what, const char *id)
{
    if ((a == NULL) != (b == NULL))
        fail_msg("rule %s: %s array NULL-ness differs", id, what);
    for (size_t i = 0; codes && i < n; i++)
        if ((a[i] == NULL) != (b[i] == NULL))
            fail_msg("rule %s: %s[%zu] compiled on one side only", id, what, i);
}

static void same_model(const struct pfi_model *a, const struct pfi_model *b, const char *id)
{
    long ba, bb, ta, tb, wa, wb;
    size_t na, nb, la, lb;
    if ((a == NULL) != (b == NULL))
        fail_msg("rule %s: model on one side only", id);
    if (!a)
        return;
    pfi_model_parts(a, &ba, &ta, &na);
    pfi_model_parts(b, &bb, &tb, &nb);
    assert_int_equal(ba, bb);
    assert_int_equal(ta, tb);
    assert_int_equal(na, nb);
    assert_true(na > 1000); /* the shipped model, not an empty one */
    for (size_t i = 0; i < na; i++) {
        const char *fa = pfi_model_feature(a, i, &la, &wa);
        const char *fb = pfi_model_feature(b, i, &lb, &wb);
        if (la != lb || memcmp(fa, fb, la) != 0 || wa != wb)
            fail_msg("rule %s: model feature %zu differs", id, i);
    }
}

static void same_rule(const struct pfi_rule *a, const struct pfi_rule *b, bool codes)
{
    const char *id = a->info.id;
    same_str(a->info.id, b->info.id, "id", id);
    same_str(a->info.category, b->info.category, "category", id);
    same_str(a->info.message, b->info.message, "message", id);
    same_str(a->info.fix, b->info.fix, "fix", id);
    same_str(a->info.source, b->info.source, "source", id);
    same_str(a->info.file, b->info.file, "file", id);
    same_str(a->info.escalate, b->info.escalate, "escalate", id);
    assert_int_equal(a->info.severity, b->info.severity);
    assert_int_equal(a->info.matcher, b->info.matcher);
    assert_int_equal(a->info.first_message, b->info.first_message);
    assert_int_equal(a->ncodes, b->ncodes);
    same_slots(a->codes, b->codes, a->ncodes, codes, "codes", id);
    same_list((const char *const *)a->sources, a->ncodes, (const char *const *)b->sources,
              b->ncodes, "sources", id);
    assert_int_equal(a->code_base, b->code_base);
    assert_int_equal(a->caseless, b->caseless);
    same_list(a->words, a->nwords, b->words, b->nwords, "words", id);
    assert_int_equal(a->nexcept, b->nexcept);
    same_slots(a->except, b->except, a->nexcept, codes, "except", id);
    same_list(a->except_src, a->nexcept, b->except_src, b->nexcept, "except sources", id);
    assert_int_equal(a->jit, b->jit);
    same_list(a->domains, a->ndomains, b->domains, b->ndomains, "domains", id);
    assert_int_equal(a->builtin, b->builtin);
    same_list(a->countries, a->ncountries, b->countries, b->ncountries, "countries", id);
    same_list(a->excluded, a->nexcluded, b->excluded, b->nexcluded, "excluded", id);
    assert_int_equal(a->senders, b->senders);
    assert_int_equal(a->escalate, b->escalate);
    assert_int_equal(a->escalate_with_url, b->escalate_with_url);
    assert_int_equal(a->number_types, b->number_types);
    assert_int_equal(a->nsignals, b->nsignals);
    if ((a->signals == NULL) != (b->signals == NULL))
        fail_msg("rule %s: signals NULL-ness differs", id);
    for (size_t i = 0; i < a->nsignals; i++) {
        same_str(a->signals[i].id, b->signals[i].id, "signal id", id);
        assert_int_equal(a->signals[i].rule, b->signals[i].rule);
        assert_int_equal(a->signals[i].weight, b->signals[i].weight);
    }
    assert_int_equal(a->threshold, b->threshold);
    assert_int_equal(a->when_unflagged, b->when_unflagged);
    same_model(a->model, b->model, id);
    assert_int_equal(a->pack, b->pack);
    assert_int_equal(a->index, b->index);
}

static void same_set(const pf_ruleset *a, const pf_ruleset *b, bool codes)
{
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->ncodes, b->ncodes);
    assert_int_equal(a->nfiles, b->nfiles);
    for (size_t i = 0; i < a->nfiles; i++)
        assert_string_equal(a->files[i], b->files[i]);
    for (size_t i = 0; i < a->count; i++)
        same_rule(&a->rules[i], &b->rules[i], codes);
    assert_true((a->url == NULL) == (b->url == NULL));
    /* the prefilter each has is the same, byte for byte */
    assert_true((a->onepass == NULL) == (b->onepass == NULL));
    if (a->onepass) {
        char *x, *y;
        size_t lx, ly;
        assert_true(pfi_onepass_serialize(a->onepass, a->ncodes, &x, &lx));
        assert_true(pfi_onepass_serialize(b->onepass, b->ncodes, &y, &ly));
        assert_int_equal(lx, ly);
        assert_memory_equal(x, y, lx);
        free(x);
        free(y);
    }
    for (size_t i = 0; i < a->count; i++) {
        const pf_rule_info *x = pf_rules_at(a, i), *y = pf_rules_at(b, i);
        assert_ptr_equal(pf_rules_find(b, x->id), y);
    }
}

/* ---- scans ---- */

static const char *const countries[] = {"US", "GB", "DE", NULL, "AE"};

/* The findings as one string: every field, in order. */
static char *render(const pf_finding_list *l)
{
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < l->count; i++) {
        const pf_finding *f = &l->items[i];
        size_t need = strlen(f->id) + strlen(f->message ? f->message : "") +
                      strlen(f->fix ? f->fix : "") + strlen(f->source ? f->source : "") + 96;
        if (len + need > cap) {
            cap = 2 * (len + need);
            s = realloc(s, cap);
            assert_non_null(s);
        }
        len +=
            (size_t)snprintf(s + len, cap - len, "%s|%d|%s|%s|%s|%d|%zu|%zu\n", f->id,
                             (int)f->severity, f->message ? f->message : "", f->fix ? f->fix : "",
                             f->source ? f->source : "", f->has_span, f->span_start, f->span_end);
    }
    return s;
}

/* Calls fn with every "text" of a JSON-lines file and its running count
 * *n (which it then advances). */
static void each_text(const char *path, void (*fn)(const char *text, size_t n, void *ctx),
                      void *ctx, size_t *n)
{
    char *buf;
    size_t len;
    pf_diag d;
    assert_int_equal(pf_read_file(path, 1 << 26, &buf, &len, &d), PF_OK);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *row = cJSON_Parse(line);
        const cJSON *text = cJSON_GetObjectItem(row, "text");
        if (cJSON_IsString(text))
            fn(text->valuestring, (*n)++, ctx);
        cJSON_Delete(row);
    }
    free(buf);
}

struct scan_pair {
    pf_scanner *x, *y;
    const pf_countries *t;
};

/* One message through both scanners under the n-th option set. */
static void scan_both(const char *m, size_t n, void *ctx)
{
    const struct scan_pair *p = ctx;
    pf_diag d;
    pf_scan_options o = pf_scan_options_default();
    o.country = countries[n % 5];
    o.country_entry = o.country ? pf_countries_get(p->t, o.country) : NULL;
    o.first_message = (pf_first_message)(n % 3);
    o.sender = (pf_sender_type)(n / 3 % PF_SENDER_TYPE_COUNT);
    o.brand = n % 2 ? "Acme" : NULL;
    pf_finding_list a, b;
    pf_finding_list_init(&a);
    pf_finding_list_init(&b);
    assert_int_equal(pf_scanner_scan(p->x, m, strlen(m), &o, &a, &d), PF_OK);
    assert_int_equal(pf_scanner_scan(p->y, m, strlen(m), &o, &b, &d), PF_OK);
    char *ra = render(&a), *rb = render(&b);
    if (strcmp(ra, rb) != 0)
        fail_msg("findings differ on: %s\n--- JSON load:\n%s--- snapshot:\n%s", m, ra, rb);
    free(ra);
    free(rb);
    pf_finding_list_clear(&a);
    pf_finding_list_clear(&b);
}

static size_t scan_file(pf_scanner *x, pf_scanner *y, const char *path, const pf_countries *t)
{
    struct scan_pair p = {x, y, t};
    size_t n = 0;
    each_text(path, scan_both, &p, &n);
    assert_true(n > 100);
    return n;
}

static void same_scans(const pf_ruleset *a, const pf_ruleset *b)
{
    const char *tf = PF_SOURCE_DIR "/data/countries.json";
    pf_countries *t;
    pf_scanner *x, *y;
    pf_diag d;
    assert_int_equal(pf_countries_load(&tf, 1, &t, &d), PF_OK);
    assert_int_equal(pf_scanner_create(a, &x), PF_OK);
    assert_int_equal(pf_scanner_create(b, &y), PF_OK);
    size_t n = scan_file(x, y, PF_SOURCE_DIR "/tests/corpus/messages.jsonl", t);
    n += scan_file(x, y, PF_SOURCE_DIR "/tests/eval/dev.jsonl", t);
    n += scan_file(x, y, PF_SOURCE_DIR "/tests/eval/test.jsonl", t);
    print_message("%zu messages scanned alike\n", n);
    pf_scanner_destroy(x);
    pf_scanner_destroy(y);
    pf_countries_destroy(t);
}

/*
 * The pack set loaded in full from JSON, lazily from JSON and from the
 * snapshot, through an empty private cache; the three compared.
 */
static void three_ways(const char *const *dirs, size_t ndirs, bool model)
{
    pf_ruleset *full, *lazy, *snap;
    pf_diag d;
    clear_cache();
    assert_int_equal(pf_rules_load(dirs, ndirs, &full, &d), PF_OK);
    assert_false(pfi_rules_lazy(full));
    assert_false(pfi_rules_snapped(full));
    drop_snapshot_file(); /* the first load wrote it */
    assert_int_equal(pf_rules_load(dirs, ndirs, &lazy, &d), PF_OK);
    assert_true(pfi_rules_lazy(lazy));
    assert_false(pfi_rules_snapped(lazy));
    assert_int_equal(pf_rules_load(dirs, ndirs, &snap, &d), PF_OK);
    assert_int_equal(pfi_cache_last(), PFI_CACHE_HIT); /* (the prefilter's file) */
    assert_true(pfi_rules_lazy(snap));
    assert_true(pfi_rules_snapped(snap));
    bool has_model = false;
    for (size_t i = 0; i < snap->count; i++)
        has_model |= snap->rules[i].model != NULL;
    assert_int_equal(has_model, model);
    same_set(lazy, snap, true);
    same_set(full, snap, false);
    same_scans(full, snap);
    /* Patterns compiled on first use by the scans: the snapshot's like the JSON's. */
    size_t compiled = 0;
    for (size_t i = 0; i < snap->count; i++)
        for (size_t c = 0; c < snap->rules[i].ncodes; c++)
            compiled += snap->rules[i].codes[c] != NULL;
    assert_true(compiled > 0);
    pf_rules_destroy(full);
    pf_rules_destroy(lazy);
    pf_rules_destroy(snap);
}

static void shipped(void **state)
{
    (void)state;
    const char *dirs[] = {PF_SOURCE_DIR "/rules"};
    three_ways(dirs, 1, false);
}

static void with_optional(void **state)
{
    (void)state;
    const char *dirs[] = {PF_SOURCE_DIR "/rules", PF_SOURCE_DIR "/rules/optional"};
    three_ways(dirs, 2, true);
}

static void with_overlay(void **state)
{
    (void)state;
    const char *dirs[] = {PF_SOURCE_DIR "/rules", overlay_dir};
    three_ways(dirs, 2, false);
}

/* What the cache keys: another pack's bytes, or the packs no longer known
 * to compile in full (no "rules-valid"), load from JSON. */
static void keyed(void **state)
{
    (void)state;
    const char *dirs[] = {PF_SOURCE_DIR "/rules", overlay_dir};
    const char *one[] = {PF_SOURCE_DIR "/rules"};
    pf_ruleset *s;
    pf_diag d;
    char f[sizeof cache_dir + 32];
    clear_cache();
    assert_int_equal(pf_rules_load(one, 1, &s, &d), PF_OK);
    pf_rules_destroy(s);
    assert_int_equal(pf_rules_load(dirs, 2, &s, &d), PF_OK);
    assert_false(pfi_rules_snapped(s)); /* another set: its own key */
    pf_rules_destroy(s);
    /* One file, the last set's (as the prefilter's): the first set, still
     * known to compile in full, loads lazily from JSON, then from it. */
    assert_int_equal(pf_rules_load(one, 1, &s, &d), PF_OK);
    assert_true(pfi_rules_lazy(s));
    assert_false(pfi_rules_snapped(s));
    pf_rules_destroy(s);
    assert_int_equal(pf_rules_load(one, 1, &s, &d), PF_OK);
    assert_true(pfi_rules_snapped(s));
    pf_rules_destroy(s);
    snprintf(f, sizeof f, "%s/rules-valid", cache_dir);
    assert_int_equal(unlink(f), 0);
    assert_int_equal(pf_rules_load(one, 1, &s, &d), PF_OK);
    assert_false(pfi_rules_snapped(s)); /* compiled in full again, not read back */
    assert_false(pfi_rules_lazy(s));
    pf_rules_destroy(s);
    const char *texts[1] = {overlay_pack}, *names[1] = {"overlay-alone.json"};
    size_t lens[1] = {sizeof overlay_pack - 1};
    /* the overlay alone cannot load (its signal names content.url of the
     * shipped packs): a failed load writes nothing */
    assert_int_not_equal(pf_rules_load_buffers(texts, lens, names, 1, &s, &d), PF_OK);
    assert_non_null(strstr(d.message, "content.url"));
    snprintf(f, sizeof f, "%s/rules-snapshot", cache_dir);
    assert_int_equal(access(f, F_OK), 0); /* the shipped set's file is still there */
}

static void renamed(void **state)
{
    (void)state;
    const char *paths[2] = {PF_SOURCE_DIR "/rules/prize.json", PF_SOURCE_DIR "/rules/url.json"};
    const char *names1[2] = {"a/prize.json", "a/url.json"}, *names2[2] = {"b/p.json", "b/u.json"};
    char *texts[2];
    size_t lens[2];
    pf_diag d;
    pf_ruleset *x, *y;
    clear_cache();
    for (int i = 0; i < 2; i++)
        assert_int_equal(pf_read_file(paths[i], 1 << 24, &texts[i], &lens[i], &d), PF_OK);
    assert_int_equal(pf_rules_load_buffers((const char *const *)texts, lens, names1, 2, &x, &d),
                     PF_OK);
    assert_int_equal(pf_rules_load_buffers((const char *const *)texts, lens, names2, 2, &y, &d),
                     PF_OK);
    assert_true(pfi_rules_snapped(y));
    for (size_t i = 0; i < y->count; i++) {
        assert_string_equal(y->rules[i].info.file, names2[y->rules[i].pack]);
        assert_string_equal(x->rules[i].info.file, names1[x->rules[i].pack]);
    }
    pf_rules_destroy(x);
    pf_rules_destroy(y);
    free(texts[0]);
    free(texts[1]);
}

/*
 * pf_rules_load keys the packs by the memo of file hashes (hashmemo.c) and
 * reads none of them on a snapshot hit: a pack rewritten in place after a
 * warm load, same size, modification time put back, is loaded from its
 * new bytes, not from the snapshot of the old.
 */
static void edited_in_place(void **state)
{
    (void)state;
    const char *dirs[] = {PF_SOURCE_DIR "/rules", overlay_dir};
    pf_ruleset *s;
    pf_diag d;
    struct stat st;
    clear_cache();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pf_rules_load(dirs, 2, &s, &d), PF_OK);
        assert_int_equal(pfi_rules_snapped(s), i == 2);
        pf_rules_destroy(s);
        if (i == 0)
            drop_snapshot_file(); /* the second load: lazily from JSON */
    }
    assert_int_equal(stat(overlay_file, &st), 0);
    char *edited = strdup(overlay_pack);
    assert_non_null(edited);
    char *at = strstr(edited, "Overridden prize.");
    assert_non_null(at);
    memcpy(at, "Overridden PRIZE.", 17);
    FILE *f = fopen(overlay_file, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(edited, 1, strlen(edited), f), strlen(edited));
    assert_int_equal(fclose(f), 0);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, overlay_file, times, 0), 0);
    assert_int_equal(pf_rules_load(dirs, 2, &s, &d), PF_OK);
    assert_false(pfi_rules_snapped(s));
    assert_string_equal(pf_rules_find(s, "content.prize")->message, "Overridden PRIZE.");
    pf_rules_destroy(s);
    /* put back */
    f = fopen(overlay_file, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(overlay_pack, 1, sizeof overlay_pack - 1, f), sizeof overlay_pack - 1);
    assert_int_equal(fclose(f), 0);
    free(edited);
}

/* ---- refusals ---- */

static pf_ruleset *refuse_base; /* the shipped packs plus rules/optional and the overlay */
static const char *const *base_names;

static bool reads(const char *buf, size_t len)
{
    pf_ruleset *s = NULL;
    pf_status st = pfi_rules_from_snapshot(buf, len, base_names, refuse_base->nfiles, &s);
    assert_true(st == PF_OK || st == PF_E_SYNTAX);
    if (s) {
        /* whatever was taken must be walkable */
        for (size_t i = 0; i < pf_rules_count(s); i++)
            assert_non_null(pf_rules_at(s, i)->id);
    }
    pf_rules_destroy(s);
    return st == PF_OK;
}

static void load_refuse_base(void)
{
    const char *dirs[] = {PF_SOURCE_DIR "/rules", PF_SOURCE_DIR "/rules/optional", overlay_dir};
    pf_diag d;
    setenv("PREFLIGHT_NO_CACHE", "1", 1);
    assert_int_equal(pf_rules_load(dirs, 3, &refuse_base, &d), PF_OK);
    unsetenv("PREFLIGHT_NO_CACHE");
    base_names = (const char *const *)refuse_base->files;
}

static void damaged(void **state)
{
    (void)state;
    char *a;
    size_t la;
    load_refuse_base();
    assert_true(pfi_rules_snapshot(refuse_base, &a, &la));
    assert_true(reads(a, la));
    /* other pack counts */
    pf_ruleset *s;
    assert_int_equal(pfi_rules_from_snapshot(a, la, base_names, refuse_base->nfiles - 1, &s),
                     PF_E_SYNTAX);
    assert_false(reads(a, la - 1));
    char *longer = malloc(la + 4);
    assert_non_null(longer);
    memcpy(longer, a, la);
    memset(longer + la, 0, 4);
    assert_false(reads(longer, la + 4));
    free(longer);
    for (size_t cut = 0; cut < la; cut += cut < 4096 ? 1 : 7919)
        assert_false(reads(a, cut));
    char *m = malloc(la);
    assert_non_null(m);
    size_t refused = 0, tried = 0;
    for (size_t w = 0; w < 6000 && 4 * w + 4 <= la; w++) {
        static const uint32_t values[] = {0xffffffffu, 0x7fffffffu, 65536, 7};
        for (size_t v = 0; v < 4; v++) {
            memcpy(m, a, la);
            memcpy(m + 4 * w, &values[v], 4);
            refused += !reads(m, la);
            tried++;
        }
    }
    print_message("snapshot bytes: %zu; altered words refused: %zu of %zu\n", la, refused, tried);
    /* every header word, and most others (an offset moved within the pool
     * still names a string) */
    for (size_t w = 0; w < 7; w++) {
        memcpy(m, a, la);
        m[4 * w] ^= 0x40;
        assert_false(reads(m, la));
    }
    assert_true(refused > tried / 2);
    /* the pool's last NUL */
    memcpy(m, a, la);
    m[la - 1] = 'x';
    assert_false(reads(m, la));
    free(m);
    free(a);
}

/* A set changed in memory, written, must be refused; then changed back. */
static void refuse_written(const char *what)
{
    char *a;
    size_t la;
    assert_true(pfi_rules_snapshot(refuse_base, &a, &la));
    if (reads(a, la))
        fail_msg("a snapshot of a set with %s was read", what);
    free(a);
}

static struct pfi_rule *find(const char *id)
{
    for (size_t i = 0; i < refuse_base->count; i++)
        if (strcmp(refuse_base->rules[i].info.id, id) == 0)
            return &refuse_base->rules[i];
    fail_msg("no rule %s", id);
    return NULL;
}

static void forged(void **state)
{
    (void)state;
    struct pfi_rule *sig = find("content.overlay.signals"), *dom = find("content.overlay.domains");
    struct pfi_rule *words = find("content.prize"), *model = NULL,
                    *builtin = find("content.overlay.brand");
    size_t self = (size_t)(sig - refuse_base->rules);
    for (size_t i = 0; i < refuse_base->count; i++)
        if (refuse_base->rules[i].model)
            model = &refuse_base->rules[i];
    assert_non_null(model);

    size_t keep = sig->signals[0].rule;
    sig->signals[0].rule = self;
    refuse_written("a signal counting its own rule");
    sig->signals[0].rule = refuse_base->count;
    refuse_written("a signal past the rules");
    sig->signals[0].rule = (size_t)(dom - refuse_base->rules);
    refuse_written("a signal whose index names another id");
    sig->signals[0].rule = (size_t)(model - refuse_base->rules);
    const char *keep_id = sig->signals[0].id;
    sig->signals[0].id = model->info.id;
    refuse_written("a signal counting a model rule");
    sig->signals[0].id = keep_id;
    sig->signals[0].rule = keep;
    int w = sig->signals[0].weight;
    sig->signals[0].weight = 0;
    refuse_written("a signal weight of 0");
    sig->signals[0].weight = w;
    int thr = sig->threshold;
    sig->threshold = 0;
    refuse_written("a signals threshold of 0");
    sig->threshold = thr;

    const char *d0 = dom->domains[0];
    dom->domains[0] = dom->domains[dom->ndomains - 1];
    dom->domains[dom->ndomains - 1] = d0;
    refuse_written("domains out of order");
    dom->domains[dom->ndomains - 1] = dom->domains[0];
    dom->domains[0] = d0;

    pf_severity sev = words->info.severity;
    words->info.severity = (pf_severity)3;
    refuse_written("a severity out of range");
    words->info.severity = sev;
    words->info.matcher = PF_MATCH_DOMAINS;
    refuse_written("a words rule read as a domains rule");
    words->info.matcher = (pf_matcher_kind)7;
    refuse_written("a matcher out of range");
    words->info.matcher = PF_MATCH_WORDS;
    enum pfi_escalate esc = words->escalate;
    words->escalate = (enum pfi_escalate)6;
    refuse_written("an escalate out of range");
    words->escalate = esc;
    unsigned senders = words->senders;
    words->senders = 1u << PF_SENDER_TYPE_COUNT;
    refuse_written("a sender bit out of range");
    words->senders = senders;
    size_t pack = words->pack;
    words->pack = refuse_base->nfiles;
    refuse_written("a pack index past the packs");
    words->pack = pack;
    const char *id = words->info.id;
    words->info.id = "prize";
    refuse_written("an id outside content.");
    words->info.id = id;

    builtin->builtin = (enum pfi_builtin)3;
    refuse_written("a builtin out of range");
    builtin->builtin = PFI_BUILTIN_BRAND;
    builtin->info.matcher = PF_MATCH_PATTERN;
    refuse_written("a pattern rule with no pattern");
    builtin->info.matcher = PF_MATCH_BUILTIN;

    model->info.severity = PF_SEV_BLOCK;
    refuse_written("a blocking model rule");
    model->info.severity = PF_SEV_WARN;
    model->info.matcher = PF_MATCH_BUILTIN;
    refuse_written("a builtin rule with a model");
    model->info.matcher = PF_MATCH_MODEL;

    /* back as it was: read */
    char *a;
    size_t la;
    assert_true(pfi_rules_snapshot(refuse_base, &a, &la));
    assert_true(reads(a, la));
    free(a);
    pf_rules_destroy(refuse_base);
    refuse_base = NULL;
}

/* ---- the CLI's JSON ---- */

static pf_session *open_session(void)
{
    pf_session_options *o;
    pf_session *s;
    pf_diag d;
    assert_int_equal(pf_session_options_create(&o), PF_OK);
    assert_int_equal(pf_session_options_add_rules_dir(o, PF_SOURCE_DIR "/rules"), PF_OK);
    assert_int_equal(pf_session_options_add_rules_dir(o, PF_SOURCE_DIR "/rules/optional"), PF_OK);
    assert_int_equal(pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/data"), PF_OK);
    assert_int_equal(pf_session_open(o, &s, &d), PF_OK);
    pf_session_options_destroy(o);
    return s;
}

/* One message through both checkers (a JSON load's session and a
 * snapshot's), the verdicts compared as the CLI prints them. */
static void check_both(const char *m, size_t n, void *ctx)
{
    static const char *const to[] = {"+14155550123", "+447911123456", "+4915112345678"};
    pf_checker *const *pair = ctx;
    pf_diag d;
    pf_check_input in = pf_check_input_default();
    in.to = to[n % 3];
    in.to_len = strlen(in.to);
    in.message = m;
    in.message_len = strlen(m);
    in.first_message = (pf_first_message)(n % 3);
    in.send_time = 1764180000 + (int64_t)(n % 24) * 3600;
    pf_verdict a, b;
    char *ja, *jb;
    size_t la, lb;
    assert_int_equal(pf_checker_check(pair[0], &in, &a, &d), PF_OK);
    assert_int_equal(pf_checker_check(pair[1], &in, &b, &d), PF_OK);
    assert_int_equal(pf_verdict_to_json(&a, PF_JSON_PRETTY | PF_JSON_NEWLINE, &ja, &la), PF_OK);
    assert_int_equal(pf_verdict_to_json(&b, PF_JSON_PRETTY | PF_JSON_NEWLINE, &jb, &lb), PF_OK);
    if (la != lb || memcmp(ja, jb, la) != 0)
        fail_msg("verdicts differ on: %s\n%s\n%s", m, ja, jb);
    free(ja);
    free(jb);
    pf_verdict_clear(&a);
    pf_verdict_clear(&b);
}

static void check_json(void **state)
{
    (void)state;
    static const char *const files[] = {PF_SOURCE_DIR "/tests/corpus/messages.jsonl",
                                        PF_SOURCE_DIR "/tests/eval/dev.jsonl"};
    clear_cache();
    setenv("PREFLIGHT_NO_CACHE", "1", 1);
    pf_session *plain = open_session();
    unsetenv("PREFLIGHT_NO_CACHE");
    pf_session_unref(open_session()); /* fills the cache */
    pf_session *warm = open_session();
    assert_false(pfi_rules_snapped(pf_session_rules(plain)));
    assert_true(pfi_rules_snapped(pf_session_rules(warm)));
    pf_checker *x, *y;
    pf_diag d;
    assert_int_equal(pf_checker_create(plain, &x, &d), PF_OK);
    assert_int_equal(pf_checker_create(warm, &y, &d), PF_OK);
    pf_checker *pair[2] = {x, y};
    size_t n = 0;
    for (size_t f = 0; f < 2; f++)
        each_text(files[f], check_both, pair, &n);
    print_message("%zu verdicts alike\n", n);
    assert_true(n > 200);
    pf_checker_destroy(x);
    pf_checker_destroy(y);
    pf_session_unref(plain);
    pf_session_unref(warm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped),      cmocka_unit_test(with_optional),
        cmocka_unit_test(with_overlay), cmocka_unit_test(keyed),
        cmocka_unit_test(renamed),      cmocka_unit_test(edited_in_place),
        cmocka_unit_test(damaged),      cmocka_unit_test(forged),
        cmocka_unit_test(check_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
