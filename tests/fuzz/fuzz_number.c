/*
 * fuzz_number.c — phone number strings: pf_number_parse with and without a
 * default region (the first byte picks one), and the matcher over text.
 */
#include <string.h>

#include "fuzz.h"
#include "preflight/number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const regions[] = {NULL, "US", "GB", "DE", "IN", "BR", "JP", "ZZ"};
    const char *region = size ? regions[data[0] % 8] : NULL;
    const char *s = (const char *)data + (size ? 1 : 0);
    size_t len = size ? size - 1 : 0;
    pf_number n;
    pf_diag d;
    pf_number_parse(s, len, region, &n, &d);
    pf_number_is_strict_e164(s, len);
    if (len < 4096) {
        pf_number_span spans[8];
        size_t count;
        pf_number_find_in_text(s, len, region, spans, 8, &count);
    }
    return 0;
}
