/*
 * test_lint.c — template loading and lint, table-driven: broken template
 * files (status, line:column, key path), lint findings and lengths per
 * template, opaque placeholders, positions through JSON escapes, per-country
 * findings and skipped templates.
 *
 * The rules and country table are the golden snapshots (tests/golden/inputs),
 * so the rows test the linter, not today's rule packs.
 */
#include <stdlib.h>

#include "../test_util.h"
#include "preflight/preflight.h"

#define INPUTS PF_SOURCE_DIR "/tests/golden/inputs/"

static pf_countries *table;
static pf_ruleset *rules;
static pf_config *config;

static int setup(void **state)
{
    (void)state;
    const char *files[] = {INPUTS "data/countries.json"};
    const char *dirs[] = {INPUTS "rules"};
    pf_diag d;
    if (pf_countries_load(files, 1, &table, &d) != PF_OK || pf_rules_load(dirs, 1, &rules, &d) ||
        pf_config_load(INPUTS "config.json", &config, &d) != PF_OK) {
        print_error("%s:%u:%u: %s\n", d.file, d.line, d.column, d.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pf_config_destroy(config);
    pf_rules_destroy(rules);
    pf_countries_destroy(table);
    return 0;
}

/* ---- broken files ---- */

struct load_row {
    const char *name;
    const char *file;
    const char *text;
    pf_status status;
    unsigned line, column;
    const char *path;    /* the diag's key path, or NULL for none */
    const char *message; /* a part of the message */
};

static const struct load_row load_rows[] = {
    {"json syntax", "a.json", "{\"templates\": [\n  {\"name\": \"a\" \"text\": \"x\"}]}",
     PF_E_SYNTAX, 2, 16, NULL, "JSON syntax error"},
    {"json cut short", "a.json", "{\"templates\": [\n  {\"name\": \"a\",", PF_E_SYNTAX, 2, 16, NULL,
     "end of file"},
    {"not an object", "a.json", "[]", PF_E_SCHEMA, 1, 1, NULL, "expected an object"},
    {"no templates", "a.json", "{}", PF_E_SCHEMA, 1, 1, NULL, "missing key 'templates'"},
    {"unknown top key", "a.json", "{\"templates\": [], \"x\": 1}", PF_E_SCHEMA, 1, 19, "x",
     "unknown key 'x'"},
    {"unknown key", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"colour\": 1}]}", PF_E_SCHEMA, 1, 43,
     "templates[0].colour", "unknown key 'colour'"},
    {"text not a string", "a.json", "{\"templates\": [\n {\"name\": \"a\",\n  \"text\": 5}]}",
     PF_E_SCHEMA, 3, 11, "templates[0].text", "expected a string"},
    {"no text", "a.json", "{\"templates\": [{\"name\": \"a\"}]}", PF_E_SCHEMA, 1, 16,
     "templates[0]", "missing key 'text'"},
    {"empty name", "a.json", "{\"templates\": [{\"name\": \"\", \"text\": \"x\"}]}", PF_E_SCHEMA, 1,
     25, "templates[0].name", "must not be empty"},
    {"duplicate name", "a.json",
     "{\"templates\": [\n{\"name\": \"a\", \"text\": \"x\"},\n{\"name\": \"a\", \"text\": \"y\"}]}",
     PF_E_SCHEMA, 3, 10, "templates[1].name", "duplicate template name 'a'"},
    {"bad variable name", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"variables\": {\"first name\": {}}}]}",
     PF_E_SCHEMA, 1, 57, "templates[0].variables.first name", "not a placeholder name"},
    {"max_length zero", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"variables\": {\"n\": {\"max_length\": "
     "0}}}]}",
     PF_E_SCHEMA, 1, 77, "templates[0].variables.n.max_length", "from 1 to 1600"},
    {"bad charset", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"variables\": {\"n\": {\"charset\": "
     "\"latin1\"}}}]}",
     PF_E_SCHEMA, 1, 74, "templates[0].variables.n.charset",
     "'latin1' is not one of: gsm, unicode"},
    {"duplicate variable", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"variables\": {\"n\": {}, \"n\": {}}}]}",
     PF_E_SCHEMA, 1, 66, "templates[0].variables.n", "duplicate variable 'n'"},
    {"unknown region", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"countries\": [\"US\", \"XX\"]}]}",
     PF_E_SCHEMA, 1, 63, "templates[0].countries[1]", "region code"},
    {"empty countries", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"countries\": []}]}", PF_E_SCHEMA, 1, 56,
     "templates[0].countries", "at least one"},
    {"first_message not bool", "a.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\", \"first_message\": \"yes\"}]}",
     PF_E_SCHEMA, 1, 60, "templates[0].first_message", "true or false"},
    {"txt invalid utf-8", "a.txt", "Hello\nab\xff", PF_E_UTF8, 2, 3, NULL, "invalid UTF-8"},
    {"json invalid utf-8", "a.json", "{\"templates\": [\"\xc3\"]}", PF_E_UTF8, 1, 17, NULL,
     "invalid UTF-8"},
    {"not a template file", "a.yaml", "x: 1", PF_E_INVALID, 0, 0, NULL, "not a template file"},
};

static void test_load_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < PF_ARRAY_LEN(load_rows); i++) {
        const struct load_row *r = &load_rows[i];
        pf_template_set *set = NULL;
        pf_diag d;
        assert_int_equal(pf_template_set_create(&set), PF_OK);
        pf_status st = pf_template_set_add_buffer(set, r->text, strlen(r->text), r->file, &d);
        pf_check_int(r->name, st, r->status);
        pf_check_int(r->name, d.line, r->line);
        pf_check_int(r->name, d.column, r->column);
        pf_check_str(r->name, d.file, r->file);
        if (r->path)
            pf_check_str(r->name, d.path, r->path);
        pf_check(r->name, strstr(d.message, r->message) != NULL);
        /* A failed file leaves nothing behind. */
        pf_check_int(r->name, pf_template_set_count(set), 0);
        pf_check_int(r->name, pf_template_set_file_count(set), 0);
        pf_template_set_destroy(set);
    }
}

/* ---- lint rows ---- */

struct lint_row {
    const char *name;
    const char *file; /* its suffix decides the format */
    const char *text;
    const char *countries; /* --country list "US,GB", or NULL */
    const char *ids;       /* sorted, de-duplicated finding ids */
    const char *verdict;
    int best, worst; /* segments */
    pf_encoding worst_enc;
};

#define ONE(text) "{\"templates\": [" text "]}"
#define GSM PF_ENC_GSM7
#define UCS PF_ENC_UCS2

static const struct lint_row lint_rows[] = {
    /* placeholders are opaque to the content rules */
    {"word not completed", "t.txt", "Acme Dental: cas{{x}}ino tonight", NULL, "", "pass", 1, 1,
     GSM},
    {"word itself", "t.txt", "Acme Dental: casino tonight", NULL, "content.gambling.intl", "pass",
     1, 1, GSM},
    {"word next to a placeholder", "t.txt", "Acme Dental: {{x}}casino", NULL,
     "content.gambling.intl", "pass", 1, 1, GSM},
    {"word in the US", "t.txt", "Acme Dental: casino tonight", "US",
     "content.gambling,content.opt-out-missing", "block", 1, 1, GSM},
    {"host not completed", "t.txt", "Acme Dental: see acme.{{tld}} today", NULL, "", "pass", 1, 1,
     GSM},
    {"host before a placeholder", "t.txt", "Acme Dental: see {{sub}}.bit.ly today", NULL, "",
     "pass", 1, 1, GSM},
    {"link with a placeholder path", "t.txt", "Acme Dental: bit.ly/{{code}}", NULL,
     "content.url,content.url-shortener", "warn", 1, 1, GSM},
    {"symbols across a placeholder", "t.txt", "Acme Dental: !!{{x}}!", NULL, "", "pass", 1, 1, GSM},
    /* placeholders themselves */
    {"malformed open", "t.txt", "Acme Dental: hi {{name, welcome", NULL,
     "template.placeholder-malformed", "block", 1, 1, GSM},
    {"malformed empty", "t.txt", "Acme Dental: hi {{ }}", NULL, "template.placeholder-malformed",
     "block", 1, 1, GSM},
    {"malformed close", "t.txt", "Acme Dental: hi name}}", NULL, "template.placeholder-malformed",
     "block", 1, 1, GSM},
    {"txt never undeclared", "t.txt", "Acme Dental: hi {{name}}", NULL, "", "pass", 1, 1, GSM},
    {"undeclared and unused", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{nme}}\", \"variables\": {\"name\": {}}}"),
     NULL, "template.placeholder-undeclared,template.placeholder-unused", "warn", 1, 1, GSM},
    {"no variables declared", "t.json", ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{x}}\"}"),
     NULL, "template.placeholder-undeclared", "warn", 1, 1, GSM},
    {"declared and used", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{ x }}\", \"variables\": {\"x\": {}}}"), NULL,
     "", "pass", 1, 1, GSM},
    /* length: best empty, worst at max_length; too-long on the worst */
    {"default max length", "t.txt",
     "Acme Dental: 123456789012345678901234567890123456789012345678901234567890123456789012345678"
     "90123456789012345678901234567890123456789012345678901234567890123 {{x}}",
     NULL, "", "pass", 1, 2, GSM},
    {"unicode variable", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{n}}\", \"variables\": {\"n\": "
         "{\"max_length\": "
         "10, \"charset\": \"unicode\"}}}"),
     NULL, "", "pass", 1, 1, UCS},
    {"unicode worst over 70", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{n}}\", \"variables\": {\"n\": "
         "{\"max_length\": "
         "60, \"charset\": \"unicode\"}}}"),
     NULL, "", "pass", 1, 2, UCS},
    {"too long at worst", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{n}}\", \"variables\": {\"n\": "
         "{\"max_length\": "
         "1600}}}"),
     NULL, "message.too-long", "block", 1, 11, GSM},
    {"config limit", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{n}}\", \"variables\": {\"n\": "
         "{\"max_length\": "
         "700}}}"),
     "US", "content.opt-out-missing,message.too-long", "block", 1, 5, GSM},
    /* the configured brand is missing from these, and it may be a first message */
    {"empty template", "t.txt", "", NULL, "content.brand-missing,message.empty", "block", 0, 0,
     GSM},
    {"blank template", "t.txt", "  \n", NULL, "content.brand-missing,message.empty", "block", 1, 1,
     GSM},
    {"only a placeholder", "t.txt", "{{body}}", NULL, "content.brand-missing", "warn", 0, 1, GSM},
    {"ucs2 character", "t.txt", "Acme Dental: caf\xc3\xa9 \xe2\x80\x94 open", NULL, "message.ucs2",
     "pass", 1, 1, UCS},
    /* first message, from the template */
    {"first message", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Welcome!\", \"first_message\": true, \"countries\": "
         "[\"US\"]}"),
     NULL, "content.brand-missing,content.opt-out-missing", "block", 1, 1, GSM},
    {"not first", "t.json",
     ONE("{\"name\": \"a\", \"text\": \"Welcome!\", \"first_message\": false, \"countries\": "
         "[\"US\"]}"),
     NULL, "", "pass", 1, 1, GSM},
    /* content.help is in the config's disabled_rules */
    {"first unknown warns", "t.txt", "Welcome!", "US",
     "content.brand-missing,content.opt-out-missing", "warn", 1, 1, GSM},
};

static pf_lint_result *lint_text(const char *file, const char *text, const char *countries,
                                 pf_template_set **set_out)
{
    pf_template_set *set = NULL;
    pf_lint_result *res = NULL;
    pf_diag d;
    static char buf[256];
    const char *cc[8];
    size_t ncc = 0;
    assert_int_equal(pf_template_set_create(&set), PF_OK);
    if (pf_template_set_add_buffer(set, text, strlen(text), file, &d) != PF_OK) {
        print_error("%s:%u:%u: %s\n", d.file, d.line, d.column, d.message);
        fail();
    }
    if (countries) {
        snprintf(buf, sizeof buf, "%s", countries);
        for (char *p = strtok(buf, ","); p && ncc < 8; p = strtok(NULL, ","))
            cc[ncc++] = p;
    }
    pf_lint_options o = pf_lint_options_default();
    o.table = table;
    o.config = config;
    o.countries = cc;
    o.country_count = ncc;
    assert_int_equal(pf_lint_run(set, rules, &o, &res, &d), PF_OK);
    *set_out = set;
    return res;
}

static void test_lint_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < PF_ARRAY_LEN(lint_rows); i++) {
        const struct lint_row *r = &lint_rows[i];
        pf_template_set *set;
        pf_lint_result *res = lint_text(r->file, r->text, r->countries, &set);
        char ids[512];
        pf_check_int(r->name, res->count, 1);
        const pf_lint_template *t = &res->templates[0];
        pf_test_finding_ids(&t->findings, ids, sizeof ids);
        pf_check_str(r->name, ids, r->ids);
        pf_check_str(r->name, pf_verdict_name(t->verdict), r->verdict);
        pf_check_int(r->name, t->best.segments, r->best);
        pf_check_int(r->name, t->worst.segments, r->worst);
        pf_check_int(r->name, t->worst.encoding, r->worst_enc);
        /* Every finding has a location inside the file. */
        for (size_t k = 0; k < t->findings.count; k++)
            pf_check(r->name, t->locations[k].line >= 1 && t->locations[k].column >= 1);
        pf_lint_result_destroy(res);
        pf_template_set_destroy(set);
    }
}

/* ---- where findings are ---- */

struct pos_row {
    const char *name;
    const char *file;
    const char *text;
    const char *id;
    unsigned line, column, end_line, end_column;
};

static const struct pos_row pos_rows[] = {
    {"txt second line", "t.txt", "Acme Dental:\nsee bit.ly/x now", "content.url-shortener", 2, 5, 2,
     13},
    {"txt after a multibyte char", "t.txt", "Acme Dental: \xc3\xa9\xc3\xa9 bit.ly/x",
     "content.url-shortener", 1, 17, 1, 25},
    {"json plain", "t.json", "{\"templates\": [{\"name\": \"a\", \"text\": \"Acme: bit.ly/x\"}]}",
     "content.url-shortener", 1, 45, 1, 53},
    /* \u00e9 is one character of the text but six of the file */
    {"json after escapes", "t.json",
     "{\"templates\": [\n {\"name\": \"a\",\n  \"text\": \"Acme \\u00e9\\n\\\"x\\\" bit.ly/x\"}]}",
     "content.url-shortener", 3, 31, 3, 39},
    {"json escape inside the span", "t.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"Acme \\u2014 ok\"}]}", "message.ucs2", 1, 44,
     1, 50},
    {"json surrogate pair", "t.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"Acme \\ud83d\\ude00 ok\"}]}", "message.ucs2",
     1, 44, 1, 56},
    {"spanless: the whole text", "t.json", "{\"templates\": [{\"name\": \"a\", \"text\": \"\"}]}",
     "message.empty", 1, 39, 1, 39},
    {"unused: the declaration", "t.json",
     "{\"templates\": [{\"name\": \"a\", \"text\": \"x\",\n  \"variables\": {\"v\": {}}}]}",
     "template.placeholder-unused", 2, 17, 2, 20},
    {"malformed to end of line", "t.txt", "Hi {{name\nthere", "template.placeholder-malformed", 1,
     4, 1, 10},
};

static void test_positions(void **state)
{
    (void)state;
    for (size_t i = 0; i < PF_ARRAY_LEN(pos_rows); i++) {
        const struct pos_row *r = &pos_rows[i];
        pf_template_set *set;
        pf_lint_result *res = lint_text(r->file, r->text, "US", &set);
        const pf_lint_template *t = &res->templates[0];
        bool found = false;
        for (size_t k = 0; k < t->findings.count && !found; k++) {
            if (strcmp(t->findings.items[k].id, r->id) != 0)
                continue;
            found = true;
            const pf_lint_location *l = &t->locations[k];
            pf_check_int(r->name, l->line, r->line);
            pf_check_int(r->name, l->column, r->column);
            pf_check_int(r->name, l->end_line, r->end_line);
            pf_check_int(r->name, l->end_column, r->end_column);
            pf_check(r->name, l->source_line != NULL);
        }
        pf_check(r->name, found);
        pf_lint_result_destroy(res);
        pf_template_set_destroy(set);
    }
}

/* ---- countries ---- */

static void test_countries(void **state)
{
    (void)state;
    pf_template_set *set;
    /* A link: a block in GB (links banned), info in the US. The shortener
     * is a block in both and so names no country. */
    pf_lint_result *res = lint_text("t.txt", "Acme Dental: bit.ly/x", "US,GB", &set);
    const pf_lint_template *t = &res->templates[0];
    pf_check_str("countries", t->countries, "US, GB");
    size_t seen = 0;
    for (size_t k = 0; k < t->findings.count; k++) {
        const pf_finding *f = &t->findings.items[k];
        const char *cc = t->locations[k].countries;
        if (strcmp(f->id, "content.url-shortener") == 0) {
            pf_check("shortener", cc == NULL);
            seen++;
        } else if (strcmp(f->id, "content.url") == 0) {
            pf_check_str("url", cc, f->severity == PF_SEV_BLOCK ? "GB" : "US");
            seen++;
        }
    }
    pf_check_int("findings", seen, 3);
    pf_lint_result_destroy(res);
    pf_template_set_destroy(set);

    /* A template sent to the US only is skipped for DE. */
    res = lint_text("t.json",
                    ONE("{\"name\": \"a\", \"text\": \"x\", \"countries\": [\"US\", \"CA\"]}"),
                    "DE", &set);
    pf_check("skipped", res->templates[0].skipped);
    pf_check_str("reason", res->templates[0].skip_reason, "sent to US, CA only, not to DE");
    pf_check_int("skipped count", res->skipped, 1);
    pf_lint_result_destroy(res);
    pf_template_set_destroy(set);

    /* An unknown --country is an error naming it. */
    pf_template_set_create(&set);
    pf_template_set_add_buffer(set, "x", 1, "t.txt", NULL);
    pf_lint_options o = pf_lint_options_default();
    const char *cc[] = {"ZZ"};
    pf_diag d;
    o.table = table;
    o.countries = cc;
    o.country_count = 1;
    pf_check_int("unknown country", pf_lint_run(set, rules, &o, &res, &d), PF_E_NOT_FOUND);
    pf_check_str("unknown country path", d.path, "ZZ");
    pf_template_set_destroy(set);
}

/* ---- files and directories ---- */

static void test_directory(void **state)
{
    (void)state;
    pf_template_set *set;
    pf_diag d;
    assert_int_equal(pf_template_set_create(&set), PF_OK);
    assert_int_equal(pf_template_set_add_path(set, INPUTS "templates", &d), PF_OK);
    /* Name order, recursively; notes.md is not a template. */
    static const char *const files[] = {"basic.json", "casino.txt", "gb.json", "nested/broken.txt",
                                        "plain.txt"};
    pf_check_int("files", pf_template_set_file_count(set), PF_ARRAY_LEN(files));
    for (size_t i = 0; i < PF_ARRAY_LEN(files); i++) {
        const char *f = pf_template_set_file_at(set, i);
        pf_check_str(files[i], f + strlen(f) - strlen(files[i]), files[i]);
    }
    pf_check_int("ignored", pf_template_set_ignored_count(set), 1);
    pf_check("ignored notes.md", strstr(pf_template_set_ignored_at(set, 0), "notes.md") != NULL);
    pf_check_int("templates", pf_template_set_count(set), 10);
    const pf_template_def *broken = pf_template_set_at(set, 8);
    pf_check_str("txt name", broken->name, "broken");
    /* The final newline is not part of a .txt template. */
    const pf_template_def *plain = pf_template_set_at(set, 9);
    pf_check("no final newline", plain->len > 0 && plain->text[plain->len - 1] != '\n');
    pf_check_int("unreadable path", pf_template_set_add_path(set, INPUTS "nope", &d), PF_E_IO);
    pf_check("names the path", strstr(d.file, "nope") != NULL);
    pf_template_set_destroy(set);
}

/* default_max_length (--max-length) covers every variable without its own. */
static void test_max_length(void **state)
{
    (void)state;
    static const char text[] =
        ONE("{\"name\": \"a\", \"text\": \"Acme Dental: {{x}} {{y}}\", \"variables\": {\"x\": {}, "
            "\"y\": {\"max_length\": 5}}}");
    pf_template_set *set = NULL;
    pf_lint_result *res = NULL;
    pf_diag d;
    assert_int_equal(pf_template_set_create(&set), PF_OK);
    assert_int_equal(pf_template_set_add_buffer(set, text, strlen(text), "t.json", &d), PF_OK);
    pf_lint_options o = pf_lint_options_default();
    o.table = table;
    o.default_max_length = 200;
    assert_int_equal(pf_lint_run(set, rules, &o, &res, &d), PF_OK);
    /* 13 + 200 + 1 + 5 characters */
    pf_check_int("worst characters", res->templates[0].worst.characters, 219);
    pf_check_int("worst segments", res->templates[0].worst.segments, 2);
    pf_lint_result_destroy(res);
    pf_template_set_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors), cmocka_unit_test(test_lint_rows),
        cmocka_unit_test(test_positions),   cmocka_unit_test(test_countries),
        cmocka_unit_test(test_directory),   cmocka_unit_test(test_max_length),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
