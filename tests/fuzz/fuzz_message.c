/*
 * fuzz_message.c — message text through segments, the message findings and
 * the scanner with every shipped rule pack; then a verdict carrying those
 * findings (and the input as its recipient and sender) through both JSON
 * writers, compact and indented, which must agree byte for byte (issue 15:
 * the streaming writer against the cJSON tree).
 */
#include <stdlib.h>

#include <string.h>

#include "fuzz.h"
#include "internal.h"
#include "preflight/preflight.h"
#include "verdict_int.h"

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
    pf_verdict v;
    pf_verdict_init(&v);
    v.verdict = pf_verdict_from_findings(&f);
    pfi_copy_cut(v.user.input, sizeof v.user.input, msg, size);
    pfi_copy_cut(v.agent_e164, sizeof v.agent_e164, msg, size);
    v.has_agent = size & 1;
    v.user_parsed = size & 2;
    v.has_message = true;
    v.characters = seg->characters;
    v.segments = seg->segment_count;
    v.findings = f;
    char *slow = NULL;
    size_t slow_len = 0;
    struct pfi_buf fast = {NULL, 0, 0, true};
    if (pfi_verdict_to_json_slow(&v, 0, &slow, &slow_len) == PF_OK &&
        pfi_verdict_write_json(&fast, &v, false) &&
        (fast.len != slow_len || memcmp(fast.s, slow, slow_len) != 0))
        abort(); /* the two writers disagree */
    free(slow);
    pfi_buf_free(&fast);
    char *pretty_slow = NULL, *pretty = NULL;
    size_t pretty_slow_len = 0, pretty_len = 0;
    if (pfi_verdict_to_json_slow(&v, PF_JSON_PRETTY, &pretty_slow, &pretty_slow_len) == PF_OK &&
        pf_verdict_to_json(&v, PF_JSON_PRETTY, &pretty, &pretty_len) == PF_OK &&
        (pretty_len != pretty_slow_len || memcmp(pretty, pretty_slow, pretty_len) != 0))
        abort(); /* the indented writers disagree */
    free(pretty_slow);
    free(pretty);
    pf_finding_list_clear(&f);
    pf_segments_destroy(seg);
    return 0;
}
