/*
 * fuzz_http.c — what the outbound client reads from the API: Retry-After
 * header values and error bodies. Links the PF_UNITTEST build of the
 * library, where those file-local parsers are reachable.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "preflight/outbound.h"

int64_t outbound_retry_after_ms(const char *value, int64_t now_ms);
char *outbound_error_detail(const char *body, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    /* A header value is one line of text; the parser sees it NUL-terminated. */
    int64_t ms = outbound_retry_after_ms(s, 1795703400000);
    if (ms < -1)
        abort();
    char *detail = outbound_error_detail(s, size);
    if (detail && strlen(detail) > size * 6 + 64)
        abort(); /* the detail is drawn from the body: never much longer */
    free(detail);
    free(s);
    return 0;
}
