/*
 * fuzz_journal.c — journal replay (journal.h) over arbitrary bytes: the
 * scan never reads out of bounds, its accounting adds up (the valid prefix
 * plus the torn tail is the whole input), the valid prefix scans again the
 * same way with no torn tail, and opening the bytes as a journal file
 * (read-only, then a lookup of every row the input could name) agrees
 * with the scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "preflight/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_journal_info a = {.size = sizeof a}, b = {.size = sizeof b};
    pf_diag d;
    pf_status st = pf_journal_scan(data, size, &a, &d);
    if (st != PF_OK) {
        if (st != PF_E_SYNTAX || d.offset > size || !d.message[0])
            abort();
        return 0;
    }
    if (a.valid_bytes + a.torn_bytes != size)
        abort();
    if (a.valid_bytes) {
        if (pf_journal_scan(data, a.valid_bytes, &b, &d) != PF_OK || b.torn_bytes ||
            b.valid_bytes != a.valid_bytes || b.intents != a.intents || b.outcomes != a.outcomes)
            abort();
    }
    /* The same bytes as a file, opened read-only with their own hashes. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_journal_%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    pf_journal *j;
    if (pf_journal_open(path, a.input_sha256, a.config_sha256, PF_JOURNAL_READ_ONLY, &j, &d) !=
        PF_OK)
        abort();
    if (pf_journal_row_count(j) > a.intents + a.outcomes)
        abort();
    for (uint64_t row = 0; row < 64; row++) {
        pf_journal_entry e = {.size = sizeof e};
        if (pf_journal_lookup(j, row, &e) != PF_OK || e.state > PF_JOURNAL_DONE)
            abort();
    }
    pf_journal_close(j);
    unlink(path);
    return 0;
}
