/*
 * fuzz_onepass.c — differential: any message gives the same findings with
 * the one-pass prefilter (onepass.c) and with PCRE2 alone. The first byte
 * picks the scan options; the rest is the message.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "preflight/preflight.h"
#include "rules_int.h"

static pf_ruleset *rules;
static pf_countries *table;
static pf_scanner *fast, *slow;

static void setup(void)
{
    const char *dir = PF_SOURCE_DIR "/rules";
    const char *file = PF_SOURCE_DIR "/data/countries.json";
    pf_diag d;
    if (pf_rules_load(&dir, 1, &rules, &d) != PF_OK ||
        pf_countries_load(&file, 1, &table, &d) != PF_OK ||
        pf_scanner_create(rules, &fast) != PF_OK || pf_scanner_create(rules, &slow) != PF_OK)
        abort();
    pfi_scanner_set_onepass(slow, false);
    pfi_scanner_set_memo(slow, false); /* fast keeps its memo: repeated inputs check it too */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const countries[] = {"US", "GB", "AE", NULL};
    if (!fast)
        setup();
    if (size == 0)
        return 0;
    unsigned k = data[0];
    const char *msg = (const char *)data + 1;
    size_t len = size - 1;
    pf_scan_options o = pf_scan_options_default();
    o.country = countries[k & 3];
    o.country_entry = o.country ? pf_countries_get(table, o.country) : NULL;
    o.first_message = (pf_first_message)((k >> 2) % 3);
    o.sender = (int)((k >> 4) % 5) - 1;
    o.brand = k & 0x80 ? "Acme" : NULL;
    pf_finding_list a, b;
    pf_diag d;
    pf_finding_list_init(&a);
    pf_finding_list_init(&b);
    pf_status sa = pf_scanner_scan(fast, msg, len, &o, &a, &d);
    pf_status sb = pf_scanner_scan(slow, msg, len, &o, &b, &d);
    if (sa != sb || a.count != b.count)
        abort();
    for (size_t i = 0; i < a.count; i++) {
        const pf_finding *x = &a.items[i], *y = &b.items[i];
        if (strcmp(x->id, y->id) != 0 || x->severity != y->severity ||
            strcmp(x->message, y->message) != 0 || x->has_span != y->has_span ||
            x->span_start != y->span_start || x->span_end != y->span_end)
            abort(); /* the prefilter dropped or changed a finding */
    }
    pf_finding_list_clear(&a);
    pf_finding_list_clear(&b);
    return 0;
}
