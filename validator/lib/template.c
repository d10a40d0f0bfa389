/*
 * template.c — {{placeholder}} parsing and rendering.
 *
 * One scanner for batch (rendering a row's message) and lint (finding
 * malformed and undeclared placeholders), so the two never disagree about
 * what a placeholder is.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "preflight/template.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

static pf_status push(void **arr, size_t *n, size_t *cap, size_t size, const void *item)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        void *na = realloc(*arr, ncap * size);
        if (!na)
            return PF_E_NOMEM;
        *arr = na;
        *cap = ncap;
    }
    memcpy((char *)*arr + *n * size, item, size);
    (*n)++;
    return PF_OK;
}

pf_status pf_template_parse(const char *s, size_t len, pf_template *t)
{
    size_t pcap = 0, ecap = 0, i = 0;
    pf_status st = PF_OK;

    memset(t, 0, sizeof *t);
    t->text = s;
    t->len = len;
    while (i + 1 < len && st == PF_OK) {
        if (s[i] == '}' && s[i + 1] == '}') {
            pf_template_error e = {i, i + 2, "'}}' without a matching '{{'"};
            st = push((void **)&t->errors, &t->error_count, &ecap, sizeof e, &e);
            i += 2;
            continue;
        }
        if (s[i] != '{' || s[i + 1] != '{') {
            i++;
            continue;
        }
        size_t open = i, j = i + 2;
        while (j + 1 < len && !(s[j] == '}' && s[j + 1] == '}') &&
               !(s[j] == '{' && s[j + 1] == '{') && s[j] != '\n')
            j++;
        if (j + 1 >= len || s[j] != '}' || s[j + 1] != '}') {
            pf_template_error e = {open, j < len && s[j] == '\n' ? j : (j + 1 >= len ? len : j),
                                   "'{{' without a matching '}}'"};
            st = push((void **)&t->errors, &t->error_count, &ecap, sizeof e, &e);
            i = open + 2;
            continue;
        }
        size_t a = open + 2, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        bool ok = a < b;
        for (size_t k = a; k < b && ok; k++)
            ok = name_char(s[k]);
        if (!ok) {
            pf_template_error e = {open, j + 2,
                                   a == b ? "empty placeholder"
                                          : "a placeholder name has only letters, digits, "
                                            "'_', '-' and '.'"};
            st = push((void **)&t->errors, &t->error_count, &ecap, sizeof e, &e);
        } else {
            pf_placeholder p = {open, j + 2, a, b - a};
            st = push((void **)&t->placeholders, &t->count, &pcap, sizeof p, &p);
        }
        i = j + 2;
    }
    if (st != PF_OK)
        pf_template_free(t);
    return st;
}

void pf_template_free(pf_template *t)
{
    if (!t)
        return;
    free(t->placeholders);
    free(t->errors);
    memset(t, 0, sizeof *t);
}

pf_status pf_template_render(const pf_template *t, pf_template_lookup lookup, void *ctx, char **out,
                             size_t *out_len, pf_diag *diag)
{
    size_t total = t->len, pos = 0, o = 0;
    const char **vals = NULL;
    size_t *lens = NULL;
    char *buf = NULL;
    pf_status st = PF_OK;

    *out = NULL;
    *out_len = 0;
    pf_diag_clear(diag);
    if (t->error_count) {
        if (diag)
            diag->offset = t->errors[0].start;
        pfi_diag_set(diag, PF_E_SYNTAX, "malformed placeholder at byte %zu: %s", t->errors[0].start,
                     t->errors[0].why);
        return PF_E_SYNTAX;
    }
    vals = calloc(t->count ? t->count : 1, sizeof *vals);
    lens = calloc(t->count ? t->count : 1, sizeof *lens);
    if (!vals || !lens) {
        st = PF_E_NOMEM;
        goto out;
    }
    /* Look every value up first, so the buffer is allocated once. */
    for (size_t i = 0; i < t->count; i++) {
        const pf_placeholder *p = &t->placeholders[i];
        vals[i] = lookup(ctx, t->text + p->name_start, p->name_len, &lens[i]);
        if (!vals[i]) {
            pfi_diag_path(diag, "%.*s", (int)p->name_len, t->text + p->name_start);
            pfi_diag_set(diag, PF_E_NOT_FOUND, "no value for placeholder {{%.*s}}",
                         (int)p->name_len, t->text + p->name_start);
            if (diag)
                diag->offset = p->start;
            st = PF_E_NOT_FOUND;
            goto out;
        }
        total = total - (p->end - p->start) + lens[i];
    }
    buf = malloc(total + 1);
    if (!buf) {
        st = PF_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < t->count; i++) {
        const pf_placeholder *p = &t->placeholders[i];
        memcpy(buf + o, t->text + pos, p->start - pos);
        o += p->start - pos;
        memcpy(buf + o, vals[i], lens[i]);
        o += lens[i];
        pos = p->end;
    }
    memcpy(buf + o, t->text + pos, t->len - pos);
    o += t->len - pos;
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    buf = NULL;
out:
    free(buf);
    free(vals);
    free(lens);
    if (st == PF_E_NOMEM)
        pfi_diag_set(diag, st, "out of memory");
    return st;
}
