/*
 * test_schema_ref.c — every loader of a JSON file people edit accepts a
 * top-level "$schema" (the address of its schema in schemas/, for editors),
 * rejects one that is not a string, and still rejects every other unknown
 * key, "$schema" spelt otherwise included.
 *
 * Each row takes a shipped file (which names its schema), and loads it as
 * it is, with the value of "$schema" replaced, and with the key renamed.
 */
#include <stdlib.h>

#include "preflight/preflight.h"
#include "test_util.h"

enum kind { CONFIG, COUNTRIES, ZONES, PACK, TEMPLATES };

static const struct row {
    const char *file; /* under the source tree */
    enum kind kind;
} rows[] = {
    {"data/examples/preflight.json", CONFIG},
    {"data/countries.json", COUNTRIES},
    {"data/timezones.json", ZONES},
    {"rules/url.json", PACK},
    {"data/examples/templates/appointments.json", TEMPLATES},
};

/* Load text as the row's kind; the status, diag in *d. */
static pf_status load(const struct row *r, const char *text, size_t len, pf_diag *d)
{
    pf_status st = PF_E_INTERNAL;
    const char *texts[1] = {text};
    const char *names[1] = {r->file};
    size_t lens[1] = {len};
    switch (r->kind) {
    case CONFIG: {
        pf_config *c = NULL;
        st = pf_config_load_buffer(text, len, r->file, &c, d);
        pf_config_destroy(c);
        break;
    }
    case COUNTRIES: {
        pf_countries *t = NULL;
        st = pf_countries_load_buffers(texts, lens, names, 1, &t, d);
        pf_countries_destroy(t);
        break;
    }
    case ZONES: {
        /* Zones attach to a table: the shipped one. */
        char *ctext = NULL;
        size_t clen = 0;
        pf_countries *t = NULL;
        st = pf_read_file(PF_SOURCE_DIR "/data/countries.json", 64u << 20, &ctext, &clen, d);
        const char *ct[1] = {ctext};
        size_t cl[1] = {clen};
        if (st == PF_OK)
            st = pf_countries_load_buffers(ct, cl, names, 1, &t, d);
        if (st == PF_OK)
            st = pf_countries_load_zones_buffer(t, text, len, r->file, d);
        pf_countries_destroy(t);
        free(ctext);
        break;
    }
    case PACK: {
        pf_ruleset *s = NULL;
        st = pf_rules_load_buffers(texts, lens, names, 1, &s, d);
        pf_rules_destroy(s);
        break;
    }
    case TEMPLATES: {
        pf_template_set *s = NULL;
        st = pf_template_set_create(&s);
        if (st == PF_OK)
            st = pf_template_set_add_buffer(s, text, len, r->file, d);
        pf_template_set_destroy(s);
        break;
    }
    }
    return st;
}

/* text with the first occurrence of from replaced by to (heap). */
static char *replace(const char *text, const char *from, const char *to, size_t *len)
{
    const char *at = strstr(text, from);
    if (!at)
        return NULL;
    size_t n = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t head = (size_t)(at - text);
    memcpy(out, text, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    *len = n;
    return out;
}

static void test_schema_key(void **state)
{
    (void)state;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct row *r = &rows[i];
        char path[512], *text = NULL, *bad = NULL;
        size_t len = 0, blen = 0;
        pf_diag d;
        snprintf(path, sizeof path, "%s/%s", PF_SOURCE_DIR, r->file);
        pf_check(r->file, pf_read_file(path, 64u << 20, &text, &len, &d) == PF_OK);
        pf_check(r->file, strstr(text, "\"$schema\": \"") != NULL);

        /* As shipped, with its "$schema". */
        pf_status st = load(r, text, len, &d);
        if (st != PF_OK)
            print_error("%s: %s\n", r->file, d.message);
        pf_check(r->file, st == PF_OK);

        /* "$schema" that is not a string: its value replaced by 42. */
        const char *v = strstr(text, "\"$schema\": \"") + strlen("\"$schema\": ");
        const char *end = strchr(v + 1, '"') + 1;
        blen = len - (size_t)(end - v) + 2;
        bad = malloc(blen + 1);
        pf_check(r->file, bad != NULL);
        memcpy(bad, text, (size_t)(v - text));
        memcpy(bad + (v - text), "42", 2);
        strcpy(bad + (v - text) + 2, end);
        st = load(r, bad, blen, &d);
        pf_check_int(r->file, st, PF_E_SCHEMA);
        pf_check_str(r->file, d.path, "$schema");
        pf_check(r->file, strstr(d.message, "expected the address of a JSON Schema") != NULL);
        free(bad);

        /* Any other spelling is an unknown key, as before. */
        bad = replace(text, "\"$schema\"", "\"$schemas\"", &blen);
        pf_check(r->file, bad != NULL);
        st = load(r, bad, blen, &d);
        pf_check_int(r->file, st, PF_E_SCHEMA);
        pf_check(r->file, strstr(d.message, "unknown key '$schemas'") != NULL);
        free(bad);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
