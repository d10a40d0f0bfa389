/*
 * fuzz_csv.c — CSV input as batch reads it: the bytes are fed in pieces
 * whose sizes the input itself chooses, and every record must be whole
 * (fields inside their record, lengths matching the NUL-terminated text
 * unless the field holds a NUL).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "preflight/csv.h"

static int check(void *ctx, const pf_csv_record *rec)
{
    size_t *records = ctx;
    if (rec->number != ++*records)
        abort();
    for (size_t i = 0; i < rec->count; i++) {
        if (rec->fields[i][rec->lens[i]] != '\0')
            abort();
        if (!memchr(rec->fields[i], '\0', rec->lens[i]) && strlen(rec->fields[i]) != rec->lens[i])
            abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_csv *csv;
    pf_diag d;
    size_t records = 0;
    if (pf_csv_create(64, &csv) != PF_OK)
        abort();
    size_t i = 0, step = size ? (size_t)data[0] % 7 + 1 : 1;
    while (i < size) {
        size_t n = size - i < step ? size - i : step;
        if (pf_csv_feed(csv, (const char *)data + i, n, check, &records, &d) != PF_OK)
            break;
        i += n;
        step = step * 3 % 11 + 1;
    }
    pf_csv_finish(csv, check, &records, &d);
    pf_csv_destroy(csv);
    return 0;
}
