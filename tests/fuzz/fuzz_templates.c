/*
 * fuzz_templates.c — template files (.json with many templates, and
 * .txt), then lint over whatever loads.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "preflight/preflight.h"

static pf_ruleset *rules;
static pf_countries *table;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_diag d;
    if (!rules) {
        const char *dir = PF_SOURCE_DIR "/rules";
        const char *file = PF_SOURCE_DIR "/data/countries.json";
        if (pf_rules_load(&dir, 1, &rules, &d) != PF_OK ||
            pf_countries_load(&file, 1, &table, &d) != PF_OK)
            abort();
    }
    pf_template_set *set;
    if (pf_template_set_create(&set) != PF_OK)
        abort();
    /* A JSON template file starts with its object; anything else is .txt. */
    const char *name = size && data[0] == '{' ? "fuzz.json" : "fuzz.txt";
    if (pf_template_set_add_buffer(set, (const char *)data, size, name, &d) == PF_OK) {
        pf_lint_options o = pf_lint_options_default();
        o.table = table;
        pf_lint_result *r = NULL;
        if (pf_lint_run(set, rules, &o, &r, &d) == PF_OK)
            pf_lint_result_destroy(r);
    }
    pf_template_set_destroy(set);
    return 0;
}
