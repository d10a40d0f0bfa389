/*
 * fuzz_countries.c — the country table: as a full table, and as an overlay
 * over a small full table (two base entries; the whole table would make
 * every run slow).
 */
#include <stdlib.h>

#include "fuzz.h"
#include "preflight/countries.h"
#include "preflight/util.h"

static char *base;
static size_t base_len;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_diag d;
    if (!base &&
        pf_read_file(PF_SOURCE_DIR "/tests/cli/cases/countries-fixture/data/countries.json",
                     1 << 26, &base, &base_len, &d) != PF_OK)
        abort();
    const char *texts[] = {base, (const char *)data};
    size_t lens[] = {base_len, size};
    const char *names[] = {"countries.json", "fuzz.json"};
    pf_countries *t = NULL;
    if (pf_countries_load_buffers(texts + 1, lens + 1, names + 1, 1, &t, &d) == PF_OK) {
        for (size_t i = 0; i < pf_countries_count(t); i++) {
            const char *f[32];
            pf_country_unsourced(pf_countries_at(t, i), f, 32);
        }
        pf_countries_destroy(t);
    }
    if (pf_countries_load_buffers(texts, lens, names, 2, &t, &d) == PF_OK)
        pf_countries_destroy(t);
    return 0;
}
