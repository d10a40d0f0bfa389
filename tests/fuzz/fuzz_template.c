/*
 * fuzz_template.c — template text: placeholder parsing and rendering with
 * every variable bound to a fixed value.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "preflight/template.h"

static const char *value(void *ctx, const char *name, size_t len, size_t *vlen)
{
    (void)ctx;
    (void)name;
    *vlen = len % 3 == 0 ? 0 : 5;
    return "value";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_template t;
    if (pf_template_parse((const char *)data, size, &t) != PF_OK)
        return 0;
    for (size_t i = 0; i < t.count; i++) {
        if (t.placeholders[i].end > size ||
            t.placeholders[i].name_start + t.placeholders[i].name_len > size)
            abort();
    }
    char *out = NULL;
    size_t len;
    pf_diag d;
    if (pf_template_render(&t, value, NULL, &out, &len, &d) == PF_OK && strlen(out) != len &&
        !memchr(data, 0, size))
        abort(); /* the length handed back must be the text's */
    free(out);
    pf_template_free(&t);
    return 0;
}
