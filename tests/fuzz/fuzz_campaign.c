/*
 * fuzz_campaign.c — campaign files (preflight campaign): the strict loader,
 * then every check for both kinds and every renderer over whatever loads.
 * Nothing is fetched.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "preflight/preflight.h"
#include "report.h"

static pf_ruleset *rules;
static FILE *sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_diag d;
    if (!rules) {
        const char *dir = PF_SOURCE_DIR "/rules";
        if (pf_rules_load(&dir, 1, &rules, &d) != PF_OK || !(sink = fopen("/dev/null", "w")))
            abort();
    }
    pf_campaign *c = NULL;
    if (pf_campaign_load_buffer((const char *)data, size, "fuzz.json", &c, &d) != PF_OK)
        return 0;
    for (int kind = 0; kind < 2; kind++) {
        pf_campaign_options o = pf_campaign_options_default();
        o.kind = (pf_campaign_kind)kind;
        pf_campaign_result *r = NULL;
        if (pf_campaign_check(c, rules, &o, &r, &d) != PF_OK)
            abort(); /* only memory can fail */
        const pf_campaign_result *rr[1] = {r};
        pf_report_text_campaign(sink, rr, 1, true);
        cJSON *doc = pf_report_json_campaign(rr, 1);
        if (doc)
            pf_report_json_print(sink, doc);
        cJSON_Delete(doc);
        pf_report_sarif_campaign(sink, rr, 1, "/tmp");
        pf_report_junit_campaign(sink, rr, 1, PF_SEV_WARN);
        pf_campaign_result_destroy(r);
    }
    pf_campaign_destroy(c);
    return 0;
}
