/*
 * eval_run.c — the external evaluation of the content rules (issue 12).
 *
 * Reads labelled messages (the JSONL files in tests/eval, one object a line: id, text,
 * class, expect, country, first_message, source), runs each through the
 * same path as `preflight scan --country CC --first-message|--not-first`
 * (segments, message checks, every shipped content pack) and prints, per
 * split: precision and recall per content category, the false-alarm rates
 * on personal and transactional messages, the share of spam flagged, the
 * non-compliant A2P recall, the compliant A2P templates flagged, and every
 * miss and false alarm.
 *
 * A message is "flagged" when any content.* finding has severity warn or
 * block (info never changes a verdict). A finding counts for the category
 * "content.<category of its rule>". Category precision is counted only on
 * classes whose labels are complete (everything but spam: spam may be
 * flagged by any category, its `expect` is not a full list); a category a
 * spam message expects still counts for that category's recall. The overall
 * precision/recall pairs leave spam out.
 *
 * usage: eval_run [--rules DIR] [--data DIR] [--thresholds FILE] [--verbose]
 *                 [--diff-cli PREFLIGHT N] [--dump FILE] [--disable ID]...
 *                 [--add-rules DIR]... NAME=FILE...
 *
 * --disable ID leaves a rule out, as `preflight scan --disable ID` does.
 * --add-rules DIR loads the packs of DIR after those of --rules, as
 * `preflight scan --rules DIR` does (e.g. rules/optional: the statistical
 * model, off by default).
 *
 * --dump writes one line per message (split, id, 0/1 flagged, the warn/block
 * content findings) for other tools, e.g. tools/model_experiment.py.
 *
 * --thresholds is checked against the split named "test" (exit 1 when a
 * figure falls below its threshold). --diff-cli runs N messages of every
 * split through the real CLI as well and fails on any difference (the
 * differential test of this fast path against `preflight scan`).
 * Exit: 0 ok, 1 a threshold missed or a CLI difference, 2 bad input.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "preflight/preflight.h"

#define MAX_EXPECT 16
#define MAX_CATS 32
#define MAX_SPLITS 8

enum cls { SPAM, HAM_PERSONAL, HAM_TRANSACTIONAL, A2P_NON, A2P_OK, NCLS };
static const char *const cls_names[NCLS] = {"spam", "ham_personal", "ham_transactional",
                                            "a2p_noncompliant", "a2p_compliant"};

struct row {
    char *id, *text, *source;
    char *subcat; /* the source's own category ("Delivery"), or NULL */
    size_t len;
    int cls;
    bool trap;
    char country[4]; /* "" when null */
    pf_first_message first;
    const char *expect[MAX_EXPECT];
    size_t nexpect;
    bool placeholders; /* text holds an anonymiser's <URL> or <PHONE_NUMBER> */
    /* results */
    bool flagged;
    bool flagged_refilled; /* flagged with the placeholders re-filled (refill()) */
    const char *cats[MAX_CATS]; /* interned category ids */
    size_t ncats;
    char fired[512]; /* warn/block content finding ids, for the listings */
};

struct split {
    const char *name, *file;
    struct row *rows;
    size_t n;
};

/* Category ids ("content.alcohol") are interned so rows can share them. */
static char **interned;
static size_t ninterned;

static const char *intern(const char *s)
{
    for (size_t i = 0; i < ninterned; i++)
        if (strcmp(interned[i], s) == 0)
            return interned[i];
    char **grown = realloc(interned, (ninterned + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    interned = grown;
    if (!(interned[ninterned] = strdup(s)))
        return NULL;
    return interned[ninterned++];
}

static void die_row(const char *file, size_t line, const char *field, const char *what)
{
    fprintf(stderr, "eval_run: %s:%zu: field '%s': %s\n", file, line, field, what);
    exit(2);
}

static char *dup_or_die(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "eval_run: out of memory\n");
        exit(2);
    }
    return d;
}

static const char *string_field(const cJSON *obj, const char *key, const char *file, size_t line)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v) || !v->valuestring[0])
        die_row(file, line, key, "must be a non-empty string");
    return v->valuestring;
}

static void parse_row(const char *file, size_t line, const char *text, struct row *r)
{
    cJSON *obj = cJSON_Parse(text);
    if (!cJSON_IsObject(obj))
        die_row(file, line, "(line)", "not a JSON object");
    memset(r, 0, sizeof *r);
    r->id = dup_or_die(string_field(obj, "id", file, line));
    r->text = dup_or_die(string_field(obj, "text", file, line));
    r->len = strlen(r->text);
    r->source = dup_or_die(string_field(obj, "source", file, line));
    r->trap = strcmp(r->source, "traps") == 0;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(obj, "source_category");
    if (cJSON_IsString(sc) && sc->valuestring[0])
        r->subcat = dup_or_die(sc->valuestring);
    else if (sc && !cJSON_IsNull(sc))
        die_row(file, line, "source_category", "must be a string or null");
    const char *c = string_field(obj, "class", file, line);
    r->cls = -1;
    for (int k = 0; k < NCLS; k++)
        if (strcmp(c, cls_names[k]) == 0)
            r->cls = k;
    if (r->cls < 0)
        die_row(file, line, "class",
                "must be spam, ham_personal, ham_transactional, a2p_noncompliant or "
                "a2p_compliant");
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(obj, "country");
    if (cJSON_IsString(cc) && strlen(cc->valuestring) == 2)
        memcpy(r->country, cc->valuestring, 3);
    else if (!cJSON_IsNull(cc))
        die_row(file, line, "country", "must be a two-letter region or null");
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(obj, "first_message");
    if (cJSON_IsTrue(fm))
        r->first = PF_FIRST_YES;
    else if (cJSON_IsFalse(fm))
        r->first = PF_FIRST_NO;
    else if (cJSON_IsNull(fm))
        r->first = PF_FIRST_UNKNOWN;
    else
        die_row(file, line, "first_message", "must be true, false or null");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(obj, "expect");
    if (!cJSON_IsArray(ex))
        die_row(file, line, "expect", "must be an array of content category ids");
    const cJSON *e;
    cJSON_ArrayForEach(e, ex)
    {
        if (!cJSON_IsString(e) || strncmp(e->valuestring, "content.", 8) != 0)
            die_row(file, line, "expect", "every entry must be a string 'content.<category>'");
        if (r->nexpect == MAX_EXPECT)
            die_row(file, line, "expect", "too many entries");
        r->expect[r->nexpect++] = intern(e->valuestring);
    }
    cJSON_Delete(obj);
}

static void load_split(struct split *s)
{
    char *buf;
    size_t len, cap = 0;
    pf_diag d;
    if (pf_read_file(s->file, 64u << 20, &buf, &len, &d) != PF_OK) {
        fprintf(stderr, "eval_run: %s: %s\n", s->file, d.message);
        exit(2);
    }
    size_t line = 0;
    char *save = NULL;
    for (char *p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
        line++;
        if (!*p)
            continue;
        if (s->n == cap) {
            cap = cap ? cap * 2 : 1024;
            struct row *g = realloc(s->rows, cap * sizeof *g);
            if (!g) {
                fprintf(stderr, "eval_run: out of memory\n");
                exit(2);
            }
            s->rows = g;
        }
        parse_row(s->file, line, p, &s->rows[s->n++]);
    }
    free(buf);
}

static bool has(const char *const *set, size_t n, const char *x)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == x)
            return true;
    return false;
}

/* What an anonymiser's placeholder stood for. Some sources (imc25) replaced
   every link with <URL> and every number with <PHONE_NUMBER> before they
   published; rules that need a link or a call-back number cannot fire on
   such text. The re-filled figure puts one neutral stand-in back for each
   — a link on the reserved example.com (no shortener, no throwaway host)
   and libphonenumber's own example US number — on every class alike, and is
   reported next to the as-published one, never instead of it. No other
   placeholder (<DATE_TIME>, <NAMED_ENTITY>, ...) is touched. */
static const struct {
    const char *tag, *fill;
} placeholders[] = {
    {"<URL>", "https://www.example.com/n"},
    {"<PHONE_NUMBER>", "(201) 555-0123"},
};

static bool has_placeholder(const char *text)
{
    for (size_t k = 0; k < sizeof placeholders / sizeof placeholders[0]; k++)
        if (strstr(text, placeholders[k].tag))
            return true;
    return false;
}

/* A new string: text with every placeholder replaced (caller frees). */
static char *refill(const char *text, size_t *len)
{
    size_t cap = strlen(text) * 4 + 1, n = 0; /* a fill is < 4x its tag */
    char *out = malloc(cap);
    if (!out) {
        fprintf(stderr, "eval_run: out of memory\n");
        exit(2);
    }
    for (const char *p = text; *p;) {
        size_t k = 0, nk = sizeof placeholders / sizeof placeholders[0];
        while (k < nk && strncmp(p, placeholders[k].tag, strlen(placeholders[k].tag)) != 0)
            k++;
        if (k < nk) {
            size_t fl = strlen(placeholders[k].fill);
            memcpy(out + n, placeholders[k].fill, fl);
            n += fl;
            p += strlen(placeholders[k].tag);
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = 0;
    *len = n;
    return out;
}

#define MAX_DISABLED 16
#define PF_ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))
static const char *g_disabled[MAX_DISABLED]; /* --disable */
static size_t g_ndisabled;
static const char *g_rule_dirs[1 + MAX_DISABLED]; /* --rules, then each --add-rules */
static size_t g_nrule_dirs = 1;

/* The scan of `preflight scan`, for one row; fills in the row's results.
   all (optional) receives every finding, for the differential test. */
static void scan_row(pf_scanner *scanner, const pf_ruleset *rules, const pf_countries *table,
                     struct row *r, pf_finding_list *all)
{
    pf_scan_options so = pf_scan_options_default();
    pf_finding_list f;
    pf_segments *seg = NULL;
    pf_diag d;

    pf_finding_list_init(&f);
    so.first_message = r->first;
    so.disabled = g_disabled;
    so.disabled_count = g_ndisabled;
    if (r->country[0]) {
        so.country = r->country;
        so.country_entry = pf_countries_get(table, r->country);
        if (!so.country_entry) {
            fprintf(stderr, "eval_run: row %s: country '%s' is not in the table\n", r->id,
                    r->country);
            exit(2);
        }
    }
    if (pf_segments_compute(r->text, r->len, &seg, &d) != PF_OK ||
        pf_message_check(r->text, r->len, seg, PF_SEGMENTS_MAX_DEFAULT, &f) != PF_OK ||
        pf_scanner_scan(scanner, r->text, r->len, &so, &f, &d) != PF_OK) {
        fprintf(stderr, "eval_run: row %s: %s\n", r->id, d.message[0] ? d.message : "failed");
        exit(2);
    }
    pf_finding_list_sort(&f);
    r->flagged = false;
    r->ncats = 0;
    r->fired[0] = 0;
    for (size_t i = 0; i < f.count; i++) {
        const pf_finding *x = &f.items[i];
        if (all)
            pf_finding_list_add(all, x);
        if (strncmp(x->id, "content.", 8) != 0 || x->severity < PF_SEV_WARN)
            continue;
        r->flagged = true;
        const pf_rule_info *ri = pf_rules_find(rules, x->id);
        char cat[160];
        snprintf(cat, sizeof cat, "content.%s", ri && ri->category ? ri->category : x->id + 8);
        const char *c = intern(cat);
        if (c && !has(r->cats, r->ncats, c) && r->ncats < MAX_CATS)
            r->cats[r->ncats++] = c;
        size_t used = strlen(r->fired);
        snprintf(r->fired + used, sizeof r->fired - used, "%s%s(%s)", used ? " " : "", x->id,
                 pf_severity_name(x->severity));
    }
    pf_segments_destroy(seg);
    pf_finding_list_clear(&f);
}

struct catstat {
    const char *cat;
    unsigned expected, tp, fn, fp, on_spam;
    unsigned ptp; /* true positives on the classes precision is judged on */
};

struct figures {
    unsigned count[NCLS], flagged[NCLS];
    unsigned flagged_refilled[NCLS]; /* flagged with the placeholders re-filled */
    /* rows that held a placeholder; of them flagged as published / re-filled */
    unsigned refilled[NCLS], refilled_flagged_pub[NCLS], refilled_flagged[NCLS];
    unsigned traps, traps_flagged;
    unsigned pairs_tp, pairs_fn, pairs_fp;
    unsigned a2p_pairs_tp, a2p_pairs_fn;
    struct catstat cats[128];
    size_t ncats;
};

static struct catstat *catstat(struct figures *fg, const char *cat)
{
    for (size_t i = 0; i < fg->ncats; i++)
        if (fg->cats[i].cat == cat)
            return &fg->cats[i];
    if (fg->ncats == sizeof fg->cats / sizeof fg->cats[0])
        return NULL;
    struct catstat *c = &fg->cats[fg->ncats++];
    memset(c, 0, sizeof *c);
    c->cat = cat;
    return c;
}

static int cmp_cat(const void *a, const void *b)
{
    return strcmp(((const struct catstat *)a)->cat, ((const struct catstat *)b)->cat);
}

static void compute(const struct split *s, struct figures *fg)
{
    memset(fg, 0, sizeof *fg);
    for (size_t i = 0; i < s->n; i++) {
        const struct row *r = &s->rows[i];
        if (r->trap) {
            fg->traps++;
            fg->traps_flagged += r->flagged;
            continue;
        }
        fg->count[r->cls]++;
        fg->flagged[r->cls] += r->flagged;
        fg->refilled[r->cls] += r->placeholders;
        fg->refilled_flagged_pub[r->cls] += r->placeholders && r->flagged;
        fg->refilled_flagged[r->cls] += r->placeholders && r->flagged_refilled;
        fg->flagged_refilled[r->cls] += r->flagged_refilled;
        if (r->cls == SPAM) {
            /* spam: categories it expects count for their recall (the
               labels come from the source's own categories); what fires is
               counted, never a false alarm */
            for (size_t k = 0; k < r->ncats; k++) {
                struct catstat *c = catstat(fg, r->cats[k]);
                if (c)
                    c->on_spam++;
            }
            for (size_t k = 0; k < r->nexpect; k++) {
                struct catstat *c = catstat(fg, r->expect[k]);
                bool hit = has(r->cats, r->ncats, r->expect[k]);
                if (c) {
                    c->expected++;
                    c->tp += hit;
                    c->fn += !hit;
                }
            }
            continue;
        }
        for (size_t k = 0; k < r->nexpect; k++) {
            struct catstat *c = catstat(fg, r->expect[k]);
            bool hit = has(r->cats, r->ncats, r->expect[k]);
            if (c) {
                c->expected++;
                c->tp += hit;
                c->ptp += hit;
                c->fn += !hit;
            }
            fg->pairs_tp += hit;
            fg->pairs_fn += !hit;
            if (r->cls == A2P_NON) {
                fg->a2p_pairs_tp += hit;
                fg->a2p_pairs_fn += !hit;
            }
        }
        for (size_t k = 0; k < r->ncats; k++) {
            if (has(r->expect, r->nexpect, r->cats[k]))
                continue;
            struct catstat *c = catstat(fg, r->cats[k]);
            if (c)
                c->fp++;
            fg->pairs_fp++;
        }
    }
    qsort(fg->cats, fg->ncats, sizeof fg->cats[0], cmp_cat);
}

/* A figure: value in [0,1], or -1 when its denominator is zero. */
static double ratio(unsigned num, unsigned den)
{
    return den ? (double)num / den : -1.0;
}

static void print_pct(const char *label, unsigned num, unsigned den)
{
    if (den)
        printf("  %-44s %6.1f%%  (%u/%u)\n", label, 100.0 * num / den, num, den);
    else
        printf("  %-44s %7s  (no messages)\n", label, "n/a");
}

static void print_ratio(double v)
{
    if (v < 0)
        printf("  %6s", "n/a");
    else
        printf("  %6.3f", v);
}

/* Spam flagged per the source's own category, when the source has them. */
static void spam_breakdown(const struct split *s)
{
    const char *names[64];
    unsigned count[64] = {0}, flagged[64] = {0}, refilled[64] = {0};
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct row *r = &s->rows[i];
        if (r->cls != SPAM || !r->subcat)
            continue;
        size_t k = 0;
        while (k < n && strcmp(names[k], r->subcat) != 0)
            k++;
        if (k == n) {
            if (n == 64)
                continue;
            names[n++] = r->subcat;
        }
        count[k]++;
        flagged[k] += r->flagged;
        refilled[k] += r->flagged_refilled;
    }
    if (!n)
        return;
    /* stable order: by name */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && strcmp(names[b - 1], names[b]) > 0; b--) {
            const char *t = names[b];
            names[b] = names[b - 1];
            names[b - 1] = t;
            unsigned c = count[b];
            count[b] = count[b - 1];
            count[b - 1] = c;
            c = flagged[b];
            flagged[b] = flagged[b - 1];
            flagged[b - 1] = c;
            c = refilled[b];
            refilled[b] = refilled[b - 1];
            refilled[b - 1] = c;
        }
    printf("\n  %-36s %8s %8s %7s %9s %7s\n", "spam by the source's category", "messages",
           "flagged", "share", "re-filled", "share");
    for (size_t k = 0; k < n; k++)
        printf("  %-36s %8u %8u %6.1f%% %9u %6.1f%%\n", names[k], count[k], flagged[k],
               100.0 * flagged[k] / count[k], refilled[k], 100.0 * refilled[k] / count[k]);
}

static void report(const struct split *s, const struct figures *fg, bool listings)
{
    printf("== split %s (%s): %zu messages:", s->name, s->file, s->n);
    for (int k = 0; k < NCLS; k++)
        printf(" %s %u%s", cls_names[k], fg->count[k], k + 1 < NCLS ? "," : "");
    printf(", traps %u\n\n", fg->traps);
    print_pct("spam flagged (warn/block)", fg->flagged[SPAM], fg->count[SPAM]);
    unsigned nref = 0;
    for (int k = 0; k < NCLS; k++)
        nref += fg->refilled[k];
    if (nref) {
        /* the same figures with <URL>/<PHONE_NUMBER> re-filled (refill()) */
        print_pct("spam flagged, placeholders re-filled", fg->flagged_refilled[SPAM],
                  fg->count[SPAM]);
        printf("  %-44s", "  rows with placeholders, flagged as");
        for (int k = 0; k < NCLS; k++)
            if (fg->refilled[k])
                printf(" %s %u: published %u, re-filled %u;", cls_names[k], fg->refilled[k],
                       fg->refilled_flagged_pub[k], fg->refilled_flagged[k]);
        printf("\n");
        if (fg->flagged_refilled[HAM_PERSONAL] != fg->flagged[HAM_PERSONAL] ||
            fg->flagged_refilled[HAM_TRANSACTIONAL] != fg->flagged[HAM_TRANSACTIONAL] ||
            fg->flagged_refilled[A2P_OK] != fg->flagged[A2P_OK]) {
            print_pct("false alarms, personal, re-filled", fg->flagged_refilled[HAM_PERSONAL],
                      fg->count[HAM_PERSONAL]);
            print_pct("false alarms, transactional, re-filled",
                      fg->flagged_refilled[HAM_TRANSACTIONAL], fg->count[HAM_TRANSACTIONAL]);
            printf("  %-44s %6u   (of %u)\n", "a2p compliant flagged, re-filled",
                   fg->flagged_refilled[A2P_OK], fg->count[A2P_OK]);
        }
    }
    print_pct("a2p non-compliant flagged", fg->flagged[A2P_NON], fg->count[A2P_NON]);
    print_pct("a2p non-compliant categories found", fg->a2p_pairs_tp,
              fg->a2p_pairs_tp + fg->a2p_pairs_fn);
    printf("  %-44s %6u   (of %u)\n", "a2p compliant flagged", fg->flagged[A2P_OK],
           fg->count[A2P_OK]);
    print_pct("false alarms, personal", fg->flagged[HAM_PERSONAL], fg->count[HAM_PERSONAL]);
    print_pct("false alarms, transactional", fg->flagged[HAM_TRANSACTIONAL],
              fg->count[HAM_TRANSACTIONAL]);
    printf("  %-44s %6u   (of %u; written here, not outside data)\n", "traps flagged",
           fg->traps_flagged, fg->traps);
    printf("  %-44s", "overall category precision / recall");
    print_ratio(ratio(fg->pairs_tp, fg->pairs_tp + fg->pairs_fp));
    printf(" /");
    print_ratio(ratio(fg->pairs_tp, fg->pairs_tp + fg->pairs_fn));
    printf("  (tp %u, fp %u, fn %u)\n\n", fg->pairs_tp, fg->pairs_fp, fg->pairs_fn);

    printf("  %-36s %8s %5s %5s %5s %9s %7s %8s\n", "category", "expected", "tp", "fn", "fp",
           "precision", "recall", "on spam");
    for (size_t i = 0; i < fg->ncats; i++) {
        const struct catstat *c = &fg->cats[i];
        printf("  %-36s %8u %5u %5u %5u", c->cat, c->expected, c->tp, c->fn, c->fp);
        double p = ratio(c->ptp, c->ptp + c->fp), rc = ratio(c->tp, c->expected);
        if (p < 0)
            printf(" %9s", "n/a");
        else
            printf(" %9.3f", p);
        if (rc < 0)
            printf(" %7s", "n/a");
        else
            printf(" %7.3f", rc);
        printf(" %8u\n", c->on_spam);
    }
    spam_breakdown(s);
    if (!listings) {
        printf("\n  (misses and false alarms of this split: --verbose)\n\n");
        return;
    }
    printf("\n  misses (a category expected and not produced at warn/block, or spam not "
           "flagged):\n");
    unsigned n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct row *r = &s->rows[i];
        char missing[256] = "";
        for (size_t k = 0; k < r->nexpect; k++) {
            if (has(r->cats, r->ncats, r->expect[k]))
                continue;
            size_t u = strlen(missing);
            snprintf(missing + u, sizeof missing - u, "%s%s", u ? " " : "", r->expect[k]);
        }
        bool spam_miss = r->cls == SPAM && !r->flagged;
        bool a2p_miss = r->cls == A2P_NON && !r->flagged && !missing[0];
        if (!missing[0] && !spam_miss && !a2p_miss)
            continue;
        n++;
        printf("    %s [%s] missing: %s | found: %s%s\n      %s\n", r->id, cls_names[r->cls],
               missing[0] ? missing : "(any warn/block)", r->fired[0] ? r->fired : "-",
               spam_miss && r->flagged_refilled ? " | flagged when re-filled" : "", r->text);
    }
    if (!n)
        printf("    none\n");
    printf("\n  false alarms (a warn/block category not expected; spam excluded):\n");
    n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct row *r = &s->rows[i];
        if (r->cls == SPAM)
            continue;
        bool extra = false;
        for (size_t k = 0; k < r->ncats; k++)
            extra |= !has(r->expect, r->nexpect, r->cats[k]);
        if (!extra)
            continue;
        n++;
        printf("    %s [%s%s] found: %s\n      %s\n", r->id, cls_names[r->cls],
               r->trap ? ", trap" : "", r->fired, r->text);
    }
    if (!n)
        printf("    none\n");
    printf("\n");
}

/* --- thresholds ----------------------------------------------------------- */

struct check {
    const char *key;
    bool is_max;
    bool is_count;
};

static const struct check checks[] = {
    {"spam_flagged_min", false, false},
    {"spam_flagged_refilled_min", false, false},
    {"a2p_noncompliant_flagged_min", false, false},
    {"a2p_noncompliant_categories_min", false, false},
    {"overall_precision_min", false, false},
    {"overall_recall_min", false, false},
    {"personal_false_alarm_max", true, false},
    {"transactional_false_alarm_max", true, false},
    {"a2p_compliant_flagged_max", true, true},
    {"traps_flagged_max", true, true},
};

static double figure(const struct figures *fg, const char *key)
{
    if (!strcmp(key, "spam_flagged_min"))
        return ratio(fg->flagged[SPAM], fg->count[SPAM]);
    if (!strcmp(key, "spam_flagged_refilled_min"))
        return ratio(fg->flagged_refilled[SPAM], fg->count[SPAM]);
    if (!strcmp(key, "a2p_noncompliant_flagged_min"))
        return ratio(fg->flagged[A2P_NON], fg->count[A2P_NON]);
    if (!strcmp(key, "a2p_noncompliant_categories_min"))
        return ratio(fg->a2p_pairs_tp, fg->a2p_pairs_tp + fg->a2p_pairs_fn);
    if (!strcmp(key, "overall_precision_min"))
        return ratio(fg->pairs_tp, fg->pairs_tp + fg->pairs_fp);
    if (!strcmp(key, "overall_recall_min"))
        return ratio(fg->pairs_tp, fg->pairs_tp + fg->pairs_fn);
    if (!strcmp(key, "personal_false_alarm_max"))
        return ratio(fg->flagged[HAM_PERSONAL], fg->count[HAM_PERSONAL]);
    if (!strcmp(key, "transactional_false_alarm_max"))
        return ratio(fg->flagged[HAM_TRANSACTIONAL], fg->count[HAM_TRANSACTIONAL]);
    if (!strcmp(key, "a2p_compliant_flagged_max"))
        return fg->count[A2P_OK] ? (double)fg->flagged[A2P_OK] : -1.0;
    if (!strcmp(key, "traps_flagged_max"))
        return fg->traps ? (double)fg->traps_flagged : -1.0;
    return -1.0;
}

/* Returns the number of thresholds missed; exits 2 on a bad file. */
static int check_thresholds(const char *file, const struct figures *fg)
{
    char *buf;
    size_t len;
    pf_diag d;
    int missed = 0;
    if (pf_read_file(file, 1 << 20, &buf, &len, &d) != PF_OK) {
        fprintf(stderr, "eval_run: %s: %s\n", file, d.message);
        exit(2);
    }
    cJSON *doc = cJSON_Parse(buf);
    free(buf);
    if (!cJSON_IsObject(doc)) {
        fprintf(stderr, "eval_run: %s: not a JSON object\n", file);
        exit(2);
    }
    printf("== thresholds (%s) on the test split\n", file);
    const cJSON *item;
    cJSON_ArrayForEach(item, doc)
    {
        const struct check *c = NULL;
        for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
            if (!strcmp(item->string, checks[i].key))
                c = &checks[i];
        if (!strcmp(item->string, "note"))
            continue;
        if (!c) {
            fprintf(stderr, "eval_run: %s: unknown key '%s'\n", file, item->string);
            exit(2);
        }
        if (!cJSON_IsNumber(item)) {
            fprintf(stderr, "eval_run: %s: '%s' must be a number\n", file, item->string);
            exit(2);
        }
        double want = item->valuedouble, got = figure(fg, c->key);
        bool ok;
        if (got < 0) {
            ok = false; /* a threshold on a figure the split cannot produce */
        } else if (c->is_max) {
            ok = got <= want + 1e-9;
        } else {
            ok = got + 1e-9 >= want;
        }
        missed += !ok;
        if (got < 0)
            printf("  %-36s %s %-8g got n/a (no messages of that kind)  FAIL\n", c->key,
                   c->is_max ? "<=" : ">=", want);
        else if (c->is_count)
            printf("  %-36s %s %-8g got %-8g %s\n", c->key, c->is_max ? "<=" : ">=", want, got,
                   ok ? "ok" : "FAIL");
        else
            printf("  %-36s %s %-8.4f got %-8.4f %s\n", c->key, c->is_max ? "<=" : ">=", want, got,
                   ok ? "ok" : "FAIL");
    }
    cJSON_Delete(doc);
    printf("\n");
    return missed;
}

/* --- differential test against the CLI ------------------------------------ */

static int diff_cli(const char *preflight, const struct split *s, size_t want, pf_scanner *scanner,
                    const pf_ruleset *rules, const pf_countries *table)
{
    char tmpl[] = "/tmp/pf_eval_XXXXXX";
    int fd = mkstemp(tmpl);
    int differences = 0;
    size_t done = 0;
    if (fd < 0) {
        fprintf(stderr, "eval_run: mkstemp: %s\n", strerror(errno));
        exit(2);
    }
    close(fd);
    /* Half the sample from flagged messages (where findings differ most),
       half spread evenly over the rest; rows already carry the library's
       results from the main pass. */
    size_t half = want / 2, step = s->n > want && want ? s->n / (want - half) : 1;
    size_t flagged = 0, other = 0;
    for (size_t i = 0; i < s->n && done < want; i++) {
        struct row *r = &s->rows[i];
        if (r->flagged && flagged < half)
            flagged++;
        else if (!r->flagged && i % step == 0 && other < want - half)
            other++;
        else
            continue;
        done++;
        FILE *t = fopen(tmpl, "wb");
        if (!t || fwrite(r->text, 1, r->len, t) != r->len || fclose(t) != 0) {
            fprintf(stderr, "eval_run: cannot write %s\n", tmpl);
            exit(2);
        }
        char cmd[2048];
        int used_cmd = snprintf(
            cmd, sizeof cmd, "'%s' scan --format json --message-file '%s' %s%s %s", preflight, tmpl,
            r->country[0] ? "--country " : "", r->country,
            r->first == PF_FIRST_YES  ? "--first-message"
            : r->first == PF_FIRST_NO ? "--not-first"
                                      : "");
        for (size_t k = 0; k < g_ndisabled && used_cmd > 0 && (size_t)used_cmd < sizeof cmd; k++)
            used_cmd += snprintf(cmd + used_cmd, sizeof cmd - (size_t)used_cmd, " --disable '%s'",
                                 g_disabled[k]);
        for (size_t k = 1; k < g_nrule_dirs && used_cmd > 0 && (size_t)used_cmd < sizeof cmd; k++)
            used_cmd += snprintf(cmd + used_cmd, sizeof cmd - (size_t)used_cmd, " --rules '%s'",
                                 g_rule_dirs[k]);
        FILE *p = popen(cmd, "r");
        char *out = NULL;
        size_t cap = 0, used = 0;
        if (p) {
            char chunk[4096];
            size_t got;
            while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) {
                if (used + got + 1 > cap) {
                    cap = (used + got + 1) * 2;
                    char *g = realloc(out, cap);
                    if (!g)
                        exit(2);
                    out = g;
                }
                memcpy(out + used, chunk, got);
                used += got;
            }
            pclose(p);
        }
        if (out)
            out[used] = 0;
        cJSON *doc = out ? cJSON_Parse(out) : NULL;
        free(out);
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "findings");
        pf_finding_list lib;
        pf_finding_list_init(&lib);
        scan_row(scanner, rules, table, r, &lib);
        bool same = cJSON_IsArray(arr) && (size_t)cJSON_GetArraySize(arr) == lib.count;
        for (size_t k = 0; same && k < lib.count; k++) {
            const cJSON *f = cJSON_GetArrayItem(arr, (int)k);
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
            const cJSON *sev = cJSON_GetObjectItemCaseSensitive(f, "severity");
            same = cJSON_IsString(id) && cJSON_IsString(sev) &&
                   !strcmp(id->valuestring, lib.items[k].id) &&
                   !strcmp(sev->valuestring, pf_severity_name(lib.items[k].severity));
        }
        if (!same) {
            differences++;
            printf("  DIFFERENT from the CLI: %s (%s)\n", r->id, s->file);
        }
        pf_finding_list_clear(&lib);
        cJSON_Delete(doc);
    }
    unlink(tmpl);
    printf("== differential: %zu messages of %s through `preflight scan`: %d different\n", done,
           s->name, differences);
    return differences;
}

int main(int argc, char **argv)
{
    const char *rules_dir = PF_SOURCE_DIR "/rules", *data_dir = PF_SOURCE_DIR "/data";
    const char *thresholds = NULL, *preflight = NULL, *dump_file = NULL;
    FILE *dump = NULL;
    size_t diff_n = 0;
    bool verbose = false;
    struct split splits[MAX_SPLITS];
    size_t nsplits = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--rules") && i + 1 < argc) {
            rules_dir = argv[++i];
        } else if (!strcmp(a, "--data") && i + 1 < argc) {
            data_dir = argv[++i];
        } else if (!strcmp(a, "--thresholds") && i + 1 < argc) {
            thresholds = argv[++i];
        } else if (!strcmp(a, "--dump") && i + 1 < argc) {
            dump_file = argv[++i];
        } else if (!strcmp(a, "--disable") && i + 1 < argc && g_ndisabled < MAX_DISABLED) {
            g_disabled[g_ndisabled++] = argv[++i];
        } else if (!strcmp(a, "--add-rules") && i + 1 < argc &&
                   g_nrule_dirs < PF_ARRAY_N(g_rule_dirs)) {
            g_rule_dirs[g_nrule_dirs++] = argv[++i];
        } else if (!strcmp(a, "--verbose")) {
            verbose = true;
        } else if (!strcmp(a, "--diff-cli") && i + 2 < argc) {
            preflight = argv[++i];
            diff_n = strtoul(argv[++i], NULL, 10);
        } else if (strchr(a, '=') && a[0] != '-' && nsplits < MAX_SPLITS) {
            struct split *s = &splits[nsplits++];
            memset(s, 0, sizeof *s);
            s->name = dup_or_die(a);
            *strchr((char *)s->name, '=') = 0;
            s->file = strchr(a, '=') + 1;
        } else {
            fprintf(stderr, "usage: eval_run [--rules DIR] [--data DIR] [--thresholds FILE] "
                            "[--verbose] [--diff-cli PREFLIGHT N] [--dump FILE] [--disable ID]... "
                            "[--add-rules DIR]... NAME=FILE...\n");
            return 2;
        }
    }
    if (!nsplits) {
        fprintf(stderr, "eval_run: no split given (NAME=FILE)\n");
        return 2;
    }

    pf_ruleset *rules = NULL;
    pf_countries *table = NULL;
    pf_scanner *scanner = NULL;
    pf_diag d;
    char countries[4096], zones[4096];
    snprintf(countries, sizeof countries, "%s/countries.json", data_dir);
    snprintf(zones, sizeof zones, "%s/timezones.json", data_dir);
    const char *files[1] = {countries};
    g_rule_dirs[0] = rules_dir;
    if (pf_rules_load(g_rule_dirs, g_nrule_dirs, &rules, &d) != PF_OK ||
        pf_countries_load(files, 1, &table, &d) != PF_OK ||
        (access(zones, R_OK) == 0 && pf_countries_load_zones(table, zones, &d) != PF_OK) ||
        pf_scanner_create(rules, &scanner) != PF_OK) {
        fprintf(stderr, "eval_run: %s%s%s\n", d.file, d.file[0] ? ": " : "", d.message);
        return 2;
    }

    if (dump_file && !(dump = fopen(dump_file, "w"))) {
        fprintf(stderr, "eval_run: %s: %s\n", dump_file, strerror(errno));
        return 2;
    }
    int rc = 0;
    for (size_t i = 0; i < nsplits; i++) {
        struct split *s = &splits[i];
        struct figures fg;
        load_split(s);
        for (size_t k = 0; k < s->n; k++) {
            struct row *r = &s->rows[k];
            scan_row(scanner, rules, table, r, NULL);
            r->placeholders = has_placeholder(r->text);
            r->flagged_refilled = r->flagged;
            if (r->placeholders) {
                /* the same row re-filled, scanned on a copy so the listings
                   and the as-published figures keep the published text */
                struct row copy = *r;
                copy.text = refill(r->text, &copy.len);
                scan_row(scanner, rules, table, &copy, NULL);
                r->flagged_refilled = copy.flagged;
                free(copy.text);
            }
        }
        compute(s, &fg);
        for (size_t k = 0; dump && k < s->n; k++)
            fprintf(dump, "%s\t%s\t%d\t%s\n", s->name, s->rows[k].id, s->rows[k].flagged,
                    s->rows[k].fired);
        bool is_test = strcmp(s->name, "test") == 0;
        /* every split whose name starts with "test" lists its misses */
        report(s, &fg, strncmp(s->name, "test", 4) == 0 || verbose);
        if (thresholds && is_test && check_thresholds(thresholds, &fg))
            rc = 1;
        if (preflight) {
            /* the CLI reads its packs and table from these directories too */
            setenv("PREFLIGHT_RULES_DIR", rules_dir, 1);
            setenv("PREFLIGHT_DATA_DIR", data_dir, 1);
            if (diff_cli(preflight, s, diff_n, scanner, rules, table))
                rc = 1;
        }
    }
    if (thresholds) {
        bool any_test = false;
        for (size_t i = 0; i < nsplits; i++)
            any_test |= !strcmp(splits[i].name, "test");
        if (!any_test) {
            fprintf(stderr, "eval_run: --thresholds needs a split named test\n");
            rc = 2;
        }
    }
    if (dump && fclose(dump) != 0) {
        fprintf(stderr, "eval_run: %s: write failed\n", dump_file);
        rc = 2;
    }
    printf("result: %s\n", rc == 0 ? "ok" : rc == 1 ? "below thresholds or CLI differs" : "error");
    for (size_t i = 0; i < nsplits; i++) {
        for (size_t k = 0; k < splits[i].n; k++) {
            free(splits[i].rows[k].id);
            free(splits[i].rows[k].text);
            free(splits[i].rows[k].source);
            free(splits[i].rows[k].subcat);
        }
        free(splits[i].rows);
        free((char *)splits[i].name);
    }
    for (size_t i = 0; i < ninterned; i++)
        free(interned[i]);
    free(interned);
    pf_scanner_destroy(scanner);
    pf_countries_destroy(table);
    pf_rules_destroy(rules);
    return rc;
}
