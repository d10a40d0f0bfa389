/*
 * fuzz_message.c — message text through segments, the message findings and
 * the scanner with every shipped rule pack.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "preflight/preflight.h"

static pf_ruleset *rules;
static pf_countries *table;
static pf_scanner *scanner;

static void setup(void)
{
    const char *dir = PF_SOURCE_DIR "/rules";
    const char *file = PF_SOURCE_DIR "/data/countries.json";
    pf_diag d;
    if (pf_rules_load(&dir, 1, &rules, &d) != PF_OK ||
        pf_countries_load(&file, 1, &table, &d) != PF_OK ||
        pf_scanner_create(rules, &scanner) != PF_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!scanner)
        setup();
    const char *msg = (const char *)data;
    pf_segments *seg = NULL;
    pf_diag d;
    if (pf_segments_compute(msg, size, &seg, &d) != PF_OK)
        return 0;
    pf_finding_list f;
    pf_finding_list_init(&f);
    pf_message_check(msg, size, seg, 10, &f);
    pf_scan_options o = pf_scan_options_default();
    o.country = size && (data[0] & 1) ? "US" : "AE";
    o.country_entry = pf_countries_get(table, o.country);
    o.first_message = size ? (pf_first_message)(data[size - 1] % 3) : PF_FIRST_UNKNOWN;
    o.brand = "Acme";
    pf_scanner_scan(scanner, msg, size, &o, &f, &d);
    for (size_t i = 0; i < f.count; i++) {
        if (f.items[i].has_span &&
            (f.items[i].span_end > size || f.items[i].span_start > f.items[i].span_end))
            abort(); /* a span outside the message is a bug */
    }
    pf_finding_list_clear(&f);
    pf_segments_destroy(seg);
    return 0;
}
