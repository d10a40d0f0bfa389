/*
 * csv.c — CSV records over libcsv (see csv.h).
 *
 * libcsv does the RFC 4180 parsing; this file gathers its per-field
 * callbacks into whole records, drops a field over the size limit (marking
 * its record) instead of keeping megabytes, and strips a byte-order mark
 * from the first field of the input.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "internal.h"
#include "preflight/csv.h"

struct pf_csv {
    struct csv_parser parser;
    size_t field_max;
    /* the record being gathered */
    char *data;
    size_t data_len, data_cap;
    size_t *off, *lens;
    const char **fields;
    size_t count, cap;
    char error[128];
    size_t records;
    bool failed;  /* out of memory inside a callback */
    /* where records go, for the duration of one feed */
    pf_csv_record_fn fn;
    void *ctx;
    int stop;
};

pf_status pf_csv_create(size_t field_max, pf_csv **out)
{
    pf_csv *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return PF_E_NOMEM;
    if (csv_init(&c->parser, CSV_APPEND_NULL) != 0) {
        free(c);
        return PF_E_NOMEM;
    }
    /* libcsv grows a field 128 bytes at a time by default: quadratic on a
     * hostile 10 MB field. */
    csv_set_blk_size(&c->parser, 1u << 20);
    c->field_max = field_max;
    *out = c;
    return PF_OK;
}

void pf_csv_destroy(pf_csv *c)
{
    if (!c)
        return;
    csv_free(&c->parser);
    free(c->data);
    free(c->off);
    free(c->lens);
    free(c->fields);
    free(c);
}

static bool grow_data(pf_csv *c, size_t need)
{
    if (c->data_len + need <= c->data_cap)
        return true;
    size_t ncap = c->data_cap ? c->data_cap * 2 : 1024;
    while (ncap < c->data_len + need)
        ncap *= 2;
    char *nd = realloc(c->data, ncap);
    if (!nd)
        return false;
    c->data = nd;
    c->data_cap = ncap;
    return true;
}

static void on_field(void *s, size_t len, void *ctx)
{
    pf_csv *c = ctx;
    if (c->failed)
        return;
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        size_t *no = realloc(c->off, ncap * sizeof *no);
        if (no)
            c->off = no;
        size_t *nl = no ? realloc(c->lens, ncap * sizeof *nl) : NULL;
        if (nl)
            c->lens = nl;
        const char **nf = nl ? realloc(c->fields, ncap * sizeof *nf) : NULL;
        if (nf)
            c->fields = nf;
        if (!nf) {
            c->failed = true;
            return;
        }
        c->cap = ncap;
    }
    const char *src = s ? s : "";
    /* The input's first bytes may be a UTF-8 byte-order mark: not text. */
    if (c->records == 0 && c->count == 0 && len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0) {
        src += 3;
        len -= 3;
    }
    if (len > c->field_max) {
        if (!c->error[0])
            snprintf(c->error, sizeof c->error, "field %zu is %zu bytes; the limit is %zu",
                     c->count + 1, len, c->field_max);
        len = 0;
    }
    if (!grow_data(c, len + 1)) {
        c->failed = true;
        return;
    }
    memcpy(c->data + c->data_len, src, len);
    c->data[c->data_len + len] = '\0';
    c->off[c->count] = c->data_len;
    c->lens[c->count] = len;
    c->data_len += len + 1;
    c->count++;
}

static void on_record(int term, void *ctx)
{
    pf_csv *c = ctx;
    (void)term;
    if (c->failed || c->stop)
        goto reset;
    /* Offsets, not pointers, while gathering: the buffer moves as it grows. */
    for (size_t i = 0; i < c->count; i++)
        c->fields[i] = c->data + c->off[i];
    pf_csv_record rec = {.number = ++c->records,
                         .count = c->count,
                         .fields = c->fields,
                         .lens = c->lens,
                         .error = c->error[0] ? c->error : NULL};
    c->stop = c->fn(c->ctx, &rec);
reset:
    c->count = 0;
    c->data_len = 0;
    c->error[0] = '\0';
}

static pf_status after(pf_csv *c, pf_diag *diag)
{
    if (c->failed) {
        pfi_diag_set(diag, PF_E_NOMEM, "out of memory");
        return PF_E_NOMEM;
    }
    if (c->stop) {
        pfi_diag_set(diag, PF_E_LIMIT, "stopped by the caller");
        return PF_E_LIMIT;
    }
    return PF_OK;
}

pf_status pf_csv_feed(pf_csv *c, const char *buf, size_t len, pf_csv_record_fn fn, void *ctx,
                      pf_diag *diag)
{
    pf_diag_clear(diag);
    c->fn = fn;
    c->ctx = ctx;
    if (csv_parse(&c->parser, buf, len, on_field, on_record, c) != len) {
        pfi_diag_set(diag, PF_E_SYNTAX, "%s", csv_strerror(csv_error(&c->parser)));
        return c->failed ? PF_E_NOMEM : PF_E_SYNTAX;
    }
    return after(c, diag);
}

pf_status pf_csv_finish(pf_csv *c, pf_csv_record_fn fn, void *ctx, pf_diag *diag)
{
    pf_diag_clear(diag);
    c->fn = fn;
    c->ctx = ctx;
    if (csv_fini(&c->parser, on_field, on_record, c) != 0) {
        pfi_diag_set(diag, PF_E_SYNTAX, "%s", csv_strerror(csv_error(&c->parser)));
        return PF_E_SYNTAX;
    }
    return after(c, diag);
}
