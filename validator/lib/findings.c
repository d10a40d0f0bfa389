/*
 * findings.c — finding lists and the small string arena behind them.
 *
 * Each list owns an arena of string chunks: adding a finding copies its
 * strings once and frees them all together, so renderers never worry about
 * who owns what.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "preflight/findings.h"

struct pfi_arena {
    struct pfi_arena *next;
    size_t used;
    size_t cap;
    char data[];
};

static char *arena_strdup(struct pfi_arena **head, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    struct pfi_arena *a = *head;
    if (!a || a->cap - a->used < n) {
        size_t cap = n > 4000 ? n : 4000;
        struct pfi_arena *na = malloc(sizeof *na + cap);
        if (!na)
            return NULL;
        na->next = a;
        na->used = 0;
        na->cap = cap;
        *head = a = na;
    }
    char *p = a->data + a->used;
    memcpy(p, s, n);
    a->used += n;
    return p;
}

static const char *const severity_names[] = {"info", "warn", "block"};

const char *pf_severity_name(pf_severity s)
{
    return (unsigned)s < 3 ? severity_names[s] : "unknown";
}

pf_status pf_severity_from_name(const char *name, pf_severity *out)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, severity_names[i]) == 0) {
            *out = (pf_severity)i;
            return PF_OK;
        }
    }
    return PF_E_NOT_FOUND;
}

void pf_finding_list_init(pf_finding_list *list)
{
    memset(list, 0, sizeof *list);
}

void pf_finding_list_clear(pf_finding_list *list)
{
    if (!list)
        return;
    struct pfi_arena *a = list->arena;
    while (a) {
        struct pfi_arena *next = a->next;
        free(a);
        a = next;
    }
    free(list->items);
    pf_finding_list_init(list);
}

pf_status pf_finding_list_add(pf_finding_list *list, const pf_finding *f)
{
    if (list->count == list->cap) {
        size_t ncap = list->cap ? list->cap * 2 : 8;
        pf_finding *ni = realloc(list->items, ncap * sizeof *ni);
        if (!ni)
            return PF_E_NOMEM;
        list->items = ni;
        list->cap = ncap;
    }
    pf_finding c = *f;
    c.id = arena_strdup(&list->arena, f->id);
    c.message = arena_strdup(&list->arena, f->message);
    c.fix = arena_strdup(&list->arena, f->fix);
    c.source = arena_strdup(&list->arena, f->source);
    c.rejection_code = arena_strdup(&list->arena, f->rejection_code);
    if ((f->id && !c.id) || (f->message && !c.message) || (f->fix && !c.fix) ||
        (f->source && !c.source) || (f->rejection_code && !c.rejection_code))
        return PF_E_NOMEM;
    list->items[list->count++] = c;
    return PF_OK;
}

pf_status pf_finding_list_addf(pf_finding_list *list, const char *id, pf_severity sev,
                               const char *fix, const char *source, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pf_finding f = {.id = id, .severity = sev, .message = msg, .fix = fix, .source = source};
    return pf_finding_list_add(list, &f);
}

int pf_finding_list_max(const pf_finding_list *list)
{
    int max = -1;
    for (size_t i = 0; i < list->count; i++) {
        if ((int)list->items[i].severity > max)
            max = (int)list->items[i].severity;
    }
    return max;
}

static int cmp_finding(const void *a, const void *b)
{
    const pf_finding *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity > y->severity ? -1 : 1;
    if (x->has_span != y->has_span)
        return x->has_span ? 1 : -1;
    if (x->span_start != y->span_start)
        return x->span_start < y->span_start ? -1 : 1;
    return strcmp(x->id, y->id);
}

void pf_finding_list_sort(pf_finding_list *list)
{
    if (list->count > 1)
        qsort(list->items, list->count, sizeof *list->items, cmp_finding);
}
