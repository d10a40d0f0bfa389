/*
 * fuzz_config.c — project config files.
 */
#include "fuzz.h"
#include "preflight/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_config *c = NULL;
    pf_diag d;
    if (pf_config_load_buffer((const char *)data, size, "fuzz.json", &c, &d) != PF_OK)
        return 0;
    for (size_t i = 0; i < pf_config_number_count(c); i++) {
        const pf_config_number *n = pf_config_number_at(c, i);
        pf_config_find_number(c, n->number);
        pf_config_number_registration(n, "GB");
    }
    pf_config_destroy(c);
    return 0;
}
