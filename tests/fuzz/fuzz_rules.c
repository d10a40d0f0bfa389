/*
 * fuzz_rules.c — rule pack files: the loader must reject or accept, never
 * crash; an accepted pack must then scan a fixed message.
 */
#include "fuzz.h"
#include "preflight/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *name = "fuzz.json";
    pf_ruleset *set = NULL;
    pf_diag d;
    if (pf_rules_load_buffers(&text, &size, &name, 1, &set, &d) != PF_OK)
        return 0;
    pf_scanner *sc;
    if (pf_scanner_create(set, &sc) == PF_OK) {
        static const char msg[] = "Acme: WIN a FREE casino trip at bit.ly/x, call +1 415 555 "
                                  "2671. Reply STOP to opt out.";
        pf_finding_list f;
        pf_finding_list_init(&f);
        pf_scan_options o = pf_scan_options_default();
        o.country = "US";
        pf_scanner_scan(sc, msg, sizeof msg - 1, &o, &f, &d);
        pf_finding_list_clear(&f);
        pf_scanner_destroy(sc);
    }
    pf_rules_destroy(set);
    return 0;
}
