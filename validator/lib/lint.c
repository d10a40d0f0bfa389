/*
 * lint.c — lint message templates (see lint.h): malformed, undeclared and
 * unused placeholders; the length with every variable at its best and its
 * worst; the message checks; and the content rules run with placeholders
 * made opaque, once per country the template is sent to. Every finding is
 * placed at line:column of the file the template came from.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lint_int.h"
#include "preflight/message.h"
#include "preflight/template.h"

#define SRC_SEGMENTS "https://www.3gpp.org/ftp/Specs/archive/23_series/23.038/"

/*
 * What a placeholder becomes in the copy the content rules scan, byte for
 * byte (so spans need no mapping back). '#' is in GSM-7's basic table; it
 * is not a letter, digit or white space, not one of the separators the
 * words matcher lets split a word or join a phrase (space . - _ *), no
 * l33t stand-in, and never part of a host name: a placeholder joins no
 * banned word, phrase or link with the text around it.
 */
#define OPAQUE '#'

/* Worst-case fillers: one GSM-7 septet, and one character outside GSM-7
 * that is one UTF-16 unit (U+0416 CYRILLIC CAPITAL LETTER ZHE). */
#define FILL_GSM "x"
#define FILL_UNICODE "\xD0\x96"

#define MAX_DISABLED 256

/* The public result and what it owns besides. */
struct lint_result {
    pf_lint_result pub; /* first: pf_lint_result_destroy casts back */
    char **strings;
    size_t nstrings, capstrings;
};

struct lint_ctx {
    const pf_lint_options *o;
    struct lint_result *res;
    pf_scanner *scanner;
    const char *disabled[MAX_DISABLED];
    size_t ndisabled;
    const char *brand;
    unsigned max_segments;
    unsigned default_max;
};

/* A finding on its way into a template's sorted list. */
struct pending {
    const pf_finding *f;
    uint64_t mask; /* the country runs it was found in */
    size_t src_start, src_end;
};

struct pending_list {
    struct pending *items;
    size_t count, cap;
};

pf_lint_options pf_lint_options_default(void)
{
    pf_lint_options o;
    memset(&o, 0, sizeof o);
    return o;
}

/* A copy of s the result owns; NULL when out of memory. */
static const char *keep(struct lint_result *r, const char *s)
{
    char *c = strdup(s);
    if (!c || pfi_grow((void **)&r->strings, &r->capstrings, r->nstrings + 1, sizeof *r->strings)) {
        free(c);
        return NULL;
    }
    r->strings[r->nstrings++] = c;
    return c;
}

static void join(char *buf, size_t cap, const char *const *cc, size_t n, uint64_t mask)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!(mask & ((uint64_t)1 << i)))
            continue;
        int w = snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", cc[i]);
        if (w < 0 || (size_t)w >= cap - o)
            return;
        o += (size_t)w;
    }
}

static pf_status pend(struct pending_list *p, const pf_finding *f, uint64_t mask, size_t s,
                      size_t e)
{
    if (pfi_grow((void **)&p->items, &p->cap, p->count + 1, sizeof *p->items) != PF_OK)
        return PF_E_NOMEM;
    p->items[p->count++] = (struct pending){f, mask, s, e};
    return PF_OK;
}

/* The same finding, found for another country? */
static bool same(const pf_finding *a, const pf_finding *b)
{
    return a->severity == b->severity && a->has_span == b->has_span &&
           (!a->has_span || (a->span_start == b->span_start && a->span_end == b->span_end)) &&
           strcmp(a->id, b->id) == 0 &&
           strcmp(a->message ? a->message : "", b->message ? b->message : "") == 0;
}

/* The order of pf_finding_list_sort (block first, findings without a span
 * first, then by where they start, then id), then by country run. */
static int cmp_pending(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    const pf_finding *p = x->f, *q = y->f;
    if (p->severity != q->severity)
        return p->severity > q->severity ? -1 : 1;
    if (p->has_span != q->has_span)
        return p->has_span ? 1 : -1;
    if (p->has_span && p->span_start != q->span_start)
        return p->span_start < q->span_start ? -1 : 1;
    if (x->src_start != y->src_start)
        return x->src_start < y->src_start ? -1 : 1;
    int c = strcmp(p->id, q->id);
    if (c)
        return c;
    return x->mask < y->mask ? -1 : x->mask > y->mask;
}

static const pf_template_var *find_var(const pf_template_def *def, const char *name, size_t n)
{
    for (size_t i = 0; i < def->var_count; i++) {
        if (strlen(def->vars[i].name) == n && memcmp(def->vars[i].name, name, n) == 0)
            return &def->vars[i];
    }
    return NULL;
}

/*
 * The text with every placeholder filled: worst, each at its max_length
 * (the declared one, or the default) in its charset's costliest ordinary
 * character; else empty (the best case). Malformed placeholders stay as
 * written, as they would be sent.
 */
static pf_status fill(const struct lint_ctx *cx, const pf_template_def *def, const pf_template *t,
                      bool worst, char **out, size_t *out_len)
{
    size_t total = def->len, pos = 0, o = 0;
    for (size_t i = 0; i < t->count && worst; i++) {
        const pf_placeholder *p = &t->placeholders[i];
        const pf_template_var *v = find_var(def, def->text + p->name_start, p->name_len);
        total += (size_t)(v && v->max_length_given ? v->max_length : cx->default_max) * 2;
    }
    char *buf = malloc(total + 1);
    if (!buf)
        return PF_E_NOMEM;
    for (size_t i = 0; i < t->count; i++) {
        const pf_placeholder *p = &t->placeholders[i];
        memcpy(buf + o, def->text + pos, p->start - pos);
        o += p->start - pos;
        pos = p->end;
        if (!worst)
            continue;
        const pf_template_var *v = find_var(def, def->text + p->name_start, p->name_len);
        unsigned n = v && v->max_length_given ? v->max_length : cx->default_max;
        bool uni = v && v->charset == PF_CHARSET_UNICODE;
        for (unsigned k = 0; k < n; k++) {
            const char *c = uni ? FILL_UNICODE : FILL_GSM;
            size_t cl = strlen(c);
            memcpy(buf + o, c, cl);
            o += cl;
        }
    }
    memcpy(buf + o, def->text + pos, def->len - pos);
    o += def->len - pos;
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return PF_OK;
}

static pf_status estimate(const char *text, size_t len, pf_length_estimate *e)
{
    pf_segments *seg = NULL;
    pf_status st = pf_segments_compute(text, len, &seg, NULL);
    if (st != PF_OK)
        return st;
    e->encoding = seg->encoding;
    e->characters = seg->characters;
    e->segments = seg->segment_count;
    pf_segments_destroy(seg);
    return PF_OK;
}

/* The template's own findings: placeholders and length. src[] gets the
 * file span of each finding added to base. */
static pf_status template_findings(struct lint_ctx *cx, const struct pfi_tdef *d,
                                   const pf_template *t, pf_finding_list *base,
                                   struct pending_list *src)
{
    const pf_template_def *def = &d->def;
    pf_status st = PF_OK;
    char msg[512];

    for (size_t i = 0; i < t->error_count && st == PF_OK; i++) {
        const pf_template_error *e = &t->errors[i];
        snprintf(msg, sizeof msg, "Malformed placeholder: %s; it would be sent as written.",
                 e->why);
        pf_finding f = {.id = "template.placeholder-malformed",
                        .severity = PF_SEV_BLOCK,
                        .message = msg,
                        .fix = "Write a placeholder as {{name}}, the name made of letters, "
                               "digits, '_', '-' and '.'.",
                        .source = "heuristic",
                        .has_span = true,
                        .span_start = e->start,
                        .span_end = e->end};
        st = pf_finding_list_add(base, &f);
    }
    for (size_t i = 0; i < t->count && st == PF_OK && def->declares; i++) {
        const pf_placeholder *p = &t->placeholders[i];
        const char *name = def->text + p->name_start;
        if (find_var(def, name, p->name_len))
            continue;
        snprintf(msg, sizeof msg,
                 "{{%.*s}} is not declared in the template's \"variables\"; its worst case is "
                 "taken as %u GSM-7 characters.",
                 (int)p->name_len, name, cx->default_max);
        pf_finding f = {.id = "template.placeholder-undeclared",
                        .severity = PF_SEV_WARN,
                        .message = msg,
                        .fix = "Declare it under \"variables\" with its max_length (and "
                               "\"charset\": \"unicode\" when it may hold other characters), or "
                               "correct the name.",
                        .source = "heuristic",
                        .has_span = true,
                        .span_start = p->start,
                        .span_end = p->end};
        st = pf_finding_list_add(base, &f);
    }
    /* Spans so far are in the text; the next ones are declarations. */
    if (st == PF_OK)
        st = pfi_grow((void **)&src->items, &src->cap, base->count, sizeof *src->items);
    for (size_t i = src->count; i < base->count && st == PF_OK; i++) {
        src->items[i] = (struct pending){NULL, 0, pfi_tdef_offset(d, base->items[i].span_start),
                                         pfi_tdef_offset(d, base->items[i].span_end)};
        src->count = i + 1;
    }
    for (size_t v = 0; v < def->var_count && st == PF_OK; v++) {
        const pf_template_var *var = &def->vars[v];
        bool used = false;
        for (size_t i = 0; i < t->count && !used; i++) {
            const pf_placeholder *p = &t->placeholders[i];
            used = strlen(var->name) == p->name_len &&
                   memcmp(var->name, def->text + p->name_start, p->name_len) == 0;
        }
        if (used)
            continue;
        snprintf(msg, sizeof msg, "Variable '%s' is declared but the text never uses {{%s}}.",
                 var->name, var->name);
        st = pf_finding_list_addf(base, "template.placeholder-unused", PF_SEV_INFO,
                                  "Use it in the text, or remove the declaration.", "heuristic",
                                  "%s", msg);
        if (st == PF_OK)
            st = pend(src, NULL, 0, d->var_start[v], d->var_end[v]);
    }
    return st;
}

/* Where a finding is: its span mapped into the file, or the whole text. */
static void place(const struct pfi_tdef *d, const pf_finding *f, size_t *s, size_t *e)
{
    if (f->has_span) {
        *s = pfi_tdef_offset(d, f->span_start);
        *e = pfi_tdef_offset(d, f->span_end);
    } else {
        *s = d->text_start;
        *e = d->text_end;
    }
}

/* The countries a template is linted for: those asked for that it is sent
 * to, or its own. */
static size_t lint_countries(const pf_lint_options *o, const pf_template_def *def,
                             const char **cc)
{
    size_t ncc = 0;
    if (!o->country_count) {
        for (size_t k = 0; k < def->country_count; k++)
            cc[ncc++] = def->countries[k];
        return ncc;
    }
    for (size_t i = 0; i < o->country_count; i++) {
        bool sent = def->country_count == 0;
        for (size_t k = 0; k < def->country_count && !sent; k++)
            sent = strcmp(def->countries[k], o->countries[i]) == 0;
        if (sent)
            cc[ncc++] = o->countries[i];
    }
    return ncc;
}

/* A template sent to none of the countries asked for: skipped, saying why. */
static pf_status skip(struct lint_ctx *cx, const pf_lint_options *o, const pf_template_def *def,
                      pf_lint_template *lt)
{
    char mine[PF_LINT_MAX_COUNTRIES * 4 + 1], asked[PF_LINT_MAX_COUNTRIES * 4 + 1],
        why[2 * sizeof mine + 64];
    const char *dc[PF_LINT_MAX_COUNTRIES];
    for (size_t k = 0; k < def->country_count; k++)
        dc[k] = def->countries[k];
    join(mine, sizeof mine, dc, def->country_count, UINT64_MAX);
    join(asked, sizeof asked, (const char *const *)o->countries, o->country_count, UINT64_MAX);
    snprintf(why, sizeof why, "sent to %s only, not to %s", mine, asked);
    lt->skipped = true;
    lt->skip_reason = keep(cx->res, why);
    lt->countries = keep(cx->res, "");
    return lt->skip_reason && lt->countries ? PF_OK : PF_E_NOMEM;
}

/* Message checks on the opaque copy (empty, UCS-2: a placeholder is not
 * blank, and its filler is GSM-7, so every UCS-2 character is the
 * template's own) and too-long on the worst case. */
static pf_status message_findings(const struct lint_ctx *cx, const char *opaque, size_t len,
                                  const pf_lint_template *lt, pf_finding_list *extra)
{
    pf_segments *seg = NULL;
    pf_status st = pf_segments_compute(opaque, len, &seg, NULL);
    if (st == PF_OK)
        st = pf_message_check(opaque, len, seg, 0, extra);
    pf_segments_destroy(seg);
    if (st == PF_OK && cx->max_segments && lt->worst.segments > cx->max_segments)
        st = pf_finding_list_addf(
            extra, "message.too-long", PF_SEV_BLOCK,
            "Shorten the text or the variables' max_length, or replace the characters that "
            "force UCS-2.",
            SRC_SEGMENTS,
            "At its longest (every variable at its max_length) the message needs %zu %s "
            "segments; the limit is %u.",
            lt->worst.segments, pf_encoding_name(lt->worst.encoding), cx->max_segments);
    return st;
}

static pf_status lint_one(struct lint_ctx *cx, const pf_template_set *set, const struct pfi_tdef *d,
                          pf_lint_template *lt, pf_diag *diag)
{
    const pf_template_def *def = &d->def;
    const pf_lint_options *o = cx->o;
    const struct pfi_tfile *file = &set->files[d->file];
    const char *cc[PF_LINT_MAX_COUNTRIES];
    size_t ncc = 0, nruns, len = def->len;
    pf_template t;
    pf_finding_list base, extra, runs[PF_LINT_MAX_COUNTRIES];
    struct pending_list src = {0}, all = {0};
    char *opaque = NULL, *best = NULL, *worst = NULL;
    size_t best_len = 0, worst_len = 0;
    char buf[PF_LINT_MAX_COUNTRIES * 4 + 1];
    pf_status st;

    memset(&t, 0, sizeof t);
    pf_finding_list_init(&base);
    pf_finding_list_init(&extra);
    for (size_t i = 0; i < PF_LINT_MAX_COUNTRIES; i++)
        pf_finding_list_init(&runs[i]);
    lt->def = def;
    pf_finding_list_init(&lt->findings);

    ncc = lint_countries(o, def, cc);
    if (o->country_count && ncc == 0)
        return skip(cx, o, def, lt);
    join(buf, sizeof buf, cc, ncc, UINT64_MAX);
    if (!(lt->countries = keep(cx->res, buf)))
        return PF_E_NOMEM;
    nruns = ncc ? ncc : 1;
    uint64_t every = nruns == 64 ? UINT64_MAX : (((uint64_t)1 << nruns) - 1);

    st = pf_template_parse(def->text, len, &t);
    if (st != PF_OK)
        goto out;
    /* The opaque copy: placeholders become filler of the same length. */
    opaque = malloc(len + 1);
    if (!opaque) {
        st = PF_E_NOMEM;
        goto out;
    }
    memcpy(opaque, def->text, len);
    opaque[len] = '\0';
    for (size_t i = 0; i < t.count; i++)
        memset(opaque + t.placeholders[i].start, OPAQUE,
               t.placeholders[i].end - t.placeholders[i].start);

    st = template_findings(cx, d, &t, &base, &src);
    if (st == PF_OK)
        st = fill(cx, def, &t, false, &best, &best_len);
    if (st == PF_OK)
        st = fill(cx, def, &t, true, &worst, &worst_len);
    if (st == PF_OK)
        st = estimate(best, best_len, &lt->best);
    if (st == PF_OK)
        st = estimate(worst, worst_len, &lt->worst);
    if (st != PF_OK)
        goto out;
    if ((st = message_findings(cx, opaque, len, lt, &extra)) != PF_OK)
        goto out;
    for (size_t r = 0; r < nruns && st == PF_OK; r++) {
        pf_scan_options so = pf_scan_options_default();
        so.country = ncc ? cc[r] : NULL;
        so.country_entry = so.country ? pf_countries_get(o->table, so.country) : NULL;
        so.first_message = def->first_message;
        so.brand = cx->brand;
        so.disabled = cx->disabled;
        so.disabled_count = cx->ndisabled;
        st = pf_scanner_scan(cx->scanner, opaque, len, &so, &runs[r], diag);
    }
    if (st != PF_OK)
        goto out;

    /* Everything into one list, each finding once with the runs it was
     * found in; the template's own findings hold for every country. */
    for (size_t i = 0; i < base.count && st == PF_OK; i++)
        st = pend(&all, &base.items[i], every, src.items[i].src_start, src.items[i].src_end);
    for (size_t i = 0; i < extra.count && st == PF_OK; i++) {
        size_t s, e;
        place(d, &extra.items[i], &s, &e);
        st = pend(&all, &extra.items[i], every, s, e);
    }
    size_t own = all.count;
    for (size_t r = 0; r < nruns && st == PF_OK; r++) {
        for (size_t i = 0; i < runs[r].count && st == PF_OK; i++) {
            const pf_finding *f = &runs[r].items[i];
            bool merged = false;
            for (size_t k = own; k < all.count && !merged; k++) {
                if (same(all.items[k].f, f)) {
                    all.items[k].mask |= (uint64_t)1 << r;
                    merged = true;
                }
            }
            if (!merged) {
                size_t s, e;
                place(d, f, &s, &e);
                st = pend(&all, f, (uint64_t)1 << r, s, e);
            }
        }
    }
    if (st != PF_OK)
        goto out;
    if (all.count > 1)
        qsort(all.items, all.count, sizeof *all.items, cmp_pending);
    lt->locations = calloc(all.count ? all.count : 1, sizeof *lt->locations);
    if (!lt->locations) {
        st = PF_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < all.count && st == PF_OK; i++) {
        const struct pending *p = &all.items[i];
        pf_lint_location *loc = &lt->locations[i];
        st = pf_finding_list_add(&lt->findings, p->f);
        pfi_tfile_position(file, p->src_start, &loc->line, &loc->column, &loc->source_line,
                           &loc->source_line_len);
        pfi_tfile_position(file, p->src_end, &loc->end_line, &loc->end_column, NULL, NULL);
        if (st == PF_OK && p->mask != every) {
            join(buf, sizeof buf, cc, ncc, p->mask);
            if (!(loc->countries = keep(cx->res, buf)))
                st = PF_E_NOMEM;
        }
    }
    lt->verdict = pf_verdict_from_findings(&lt->findings);
out:
    pf_template_free(&t);
    pf_finding_list_clear(&base);
    pf_finding_list_clear(&extra);
    for (size_t i = 0; i < PF_LINT_MAX_COUNTRIES; i++)
        pf_finding_list_clear(&runs[i]);
    free(src.items);
    free(all.items);
    free(opaque);
    free(best);
    free(worst);
    return st;
}

pf_status pf_lint_run(const pf_template_set *set, const pf_ruleset *rules,
                      const pf_lint_options *opts, pf_lint_result **out, pf_diag *diag)
{
    struct lint_ctx cx;
    struct lint_result *res = NULL;
    pf_lint_result *r;
    pf_status st = PF_OK;

    *out = NULL;
    pf_diag_clear(diag);
    memset(&cx, 0, sizeof cx);
    if (!set || !rules || !opts || !opts->table) {
        pfi_diag_set(diag, PF_E_INVALID, "pf_lint_run: NULL argument");
        return PF_E_INVALID;
    }
    if (opts->country_count > PF_LINT_MAX_COUNTRIES) {
        pfi_diag_set(diag, PF_E_TOO_LARGE, "at most %d countries", PF_LINT_MAX_COUNTRIES);
        return PF_E_TOO_LARGE;
    }
    for (size_t i = 0; i < opts->country_count; i++) {
        if (!pf_countries_get(opts->table, opts->countries[i])) {
            pfi_diag_path(diag, "%s", opts->countries[i]);
            pfi_diag_set(diag, PF_E_NOT_FOUND,
                         "'%s' is not a region in the country table (use ISO 3166-1 alpha-2, "
                         "upper case, e.g. DE)",
                         opts->countries[i]);
            return PF_E_NOT_FOUND;
        }
    }
    cx.o = opts;
    cx.default_max =
        opts->default_max_length ? opts->default_max_length : PF_LINT_MAX_LENGTH_DEFAULT;
    cx.max_segments = opts->config ? pf_config_max_segments(opts->config) : PF_SEGMENTS_MAX_DEFAULT;
    cx.brand = opts->config ? pf_config_brand(opts->config) : NULL;
    size_t ncfg = 0;
    const char *const *cfg = opts->config ? pf_config_disabled_rules(opts->config, &ncfg) : NULL;
    for (size_t i = 0; i < ncfg && cx.ndisabled < MAX_DISABLED; i++)
        cx.disabled[cx.ndisabled++] = cfg[i];
    for (size_t i = 0; i < opts->disabled_count && cx.ndisabled < MAX_DISABLED; i++)
        cx.disabled[cx.ndisabled++] = opts->disabled[i];

    res = calloc(1, sizeof *res);
    if (!res)
        return PF_E_NOMEM;
    r = &res->pub;
    cx.res = res;
    r->max_segments = cx.max_segments;
    r->templates = calloc(set->ndefs ? set->ndefs : 1, sizeof *r->templates);
    r->files = calloc(set->nfiles ? set->nfiles : 1, sizeof *r->files);
    if (!r->templates || !r->files || pf_scanner_create(rules, &cx.scanner) != PF_OK) {
        st = PF_E_NOMEM;
        goto out;
    }
    for (size_t f = 0; f < set->nfiles; f++)
        r->files[f].path = set->files[f].path;
    r->file_count = set->nfiles;
    /* Templates are stored file by file, so each file's are contiguous. */
    for (size_t i = 0; i < set->ndefs && st == PF_OK; i++) {
        const struct pfi_tdef *d = set->defs[i];
        pf_lint_file *lf = &r->files[d->file];
        if (lf->count == 0)
            lf->first = i;
        lf->count++;
        st = lint_one(&cx, set, d, &r->templates[i], diag);
        r->count = i + 1;
        if (st != PF_OK)
            break;
        const pf_lint_template *lt = &r->templates[i];
        r->skipped += lt->skipped;
        for (size_t k = 0; k < lt->findings.count; k++)
            r->severity_count[lt->findings.items[k].severity]++;
        if (lt->verdict > r->verdict)
            r->verdict = lt->verdict;
    }
out:
    pf_scanner_destroy(cx.scanner);
    if (st != PF_OK) {
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
        pf_lint_result_destroy(r);
        return st;
    }
    *out = r;
    return PF_OK;
}

void pf_lint_result_destroy(pf_lint_result *r)
{
    if (!r)
        return;
    struct lint_result *res = (struct lint_result *)r;
    for (size_t i = 0; i < r->count; i++) {
        pf_finding_list_clear(&r->templates[i].findings);
        free(r->templates[i].locations);
    }
    for (size_t i = 0; i < res->nstrings; i++)
        free(res->strings[i]);
    free(res->strings);
    free(r->templates);
    free(r->files);
    free(res);
}
