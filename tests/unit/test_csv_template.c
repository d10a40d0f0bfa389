/*
 * test_csv_template.c — tables for the CSV record reader (pf_csv, RFC 4180
 * over libcsv) and for template parsing and rendering, which were only
 * fuzzed before. Each CSV row is fed whole and one byte at a time: the
 * records must be the same.
 */
#include <stdlib.h>
#include <string.h>

#include "../test_util.h"
#include "preflight/preflight.h"

/* Records as text: fields joined by '|', records by '\n', a record's
 * error as " !error". */
struct collect {
    char out[1024];
};

static int collect(void *ctx, const pf_csv_record *rec)
{
    struct collect *c = ctx;
    size_t n = strlen(c->out);
    for (size_t i = 0; i < rec->count; i++) {
        n += (size_t)snprintf(c->out + n, sizeof c->out - n, "%s%.*s", i ? "|" : "",
                              (int)rec->lens[i], rec->fields[i]);
    }
    if (rec->error)
        n += (size_t)snprintf(c->out + n, sizeof c->out - n, " !%s", rec->error);
    snprintf(c->out + n, sizeof c->out - n, "\n");
    return 0;
}

static pf_status run_csv(const char *in, size_t step, size_t field_max, char *out, size_t cap)
{
    pf_csv *csv = NULL;
    pf_diag d;
    struct collect c = {""};
    pf_status st = pf_csv_create(field_max, &csv);
    size_t len = strlen(in);
    for (size_t i = 0; st == PF_OK && i < len; i += step)
        st = pf_csv_feed(csv, in + i, len - i < step ? len - i : step, collect, &c, &d);
    if (st == PF_OK)
        st = pf_csv_finish(csv, collect, &c, &d);
    pf_csv_destroy(csv);
    snprintf(out, cap, "%s", c.out);
    return st;
}

static void test_csv_table(void **state)
{
    (void)state;
    static const struct {
        const char *name, *in, *want;
        size_t field_max;
    } rows[] = {
        {"plain", "a,b\n1,2\n", "a|b\n1|2\n", 64},
        {"no final newline", "a,b\n1,2", "a|b\n1|2\n", 64},
        {"CRLF", "a,b\r\n1,2\r\n", "a|b\n1|2\n", 64},
        {"quoted comma", "a,b\n\"x,y\",z\n", "a|b\nx,y|z\n", 64},
        {"doubled quote", "a\n\"say \"\"hi\"\"\"\n", "a\nsay \"hi\"\n", 64},
        {"newline in quotes", "a,b\n\"two\nlines\",c\n", "a|b\ntwo\nlines|c\n", 64},
        {"empty fields", "a,b,c\n,,\n", "a|b|c\n||\n", 64},
        {"byte-order mark", "\xef\xbb\xbf" "a,b\n1,2\n", "a|b\n1|2\n", 64},
        {"ragged rows kept", "a,b\n1\n1,2,3\n", "a|b\n1\n1|2|3\n", 64},
        {"UTF-8 passes through", "m\n\xe2\x80\x94\n", "m\n\xe2\x80\x94\n", 64},
        {"field over the limit", "a,b\n12345678,x\n", "a|b\n|x !field 1 is 8 bytes; the limit is 4\n", 4},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        char whole[1024], bytewise[1024];
        pf_check_int(rows[i].name, run_csv(rows[i].in, 1 << 20, rows[i].field_max, whole,
                                           sizeof whole),
                     PF_OK);
        pf_check_int(rows[i].name,
                     run_csv(rows[i].in, 1, rows[i].field_max, bytewise, sizeof bytewise), PF_OK);
        pf_check_str(rows[i].name, whole, rows[i].want);
        pf_check_str(rows[i].name, bytewise, whole);
    }
}

static const char *vars(void *ctx, const char *name, size_t len, size_t *vlen)
{
    (void)ctx;
    static const char *const kv[][2] = {{"first_name", "Ana"}, {"date", "Tue 3"}, {"empty", ""}};
    for (size_t i = 0; i < PF_ARRAY_LEN(kv); i++) {
        if (strlen(kv[i][0]) == len && memcmp(kv[i][0], name, len) == 0) {
            *vlen = strlen(kv[i][1]);
            return kv[i][1];
        }
    }
    return NULL;
}

static void test_template_table(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t placeholders, errors;
        pf_status st;
        const char *want; /* the rendering, or the diag path for an error */
    } rows[] = {
        {"Hi {{first_name}}!", 1, 0, PF_OK, "Hi Ana!"},
        {"Hi {{ first_name }}, {{date}}.", 2, 0, PF_OK, "Hi Ana, Tue 3."},
        {"no placeholders", 0, 0, PF_OK, "no placeholders"},
        {"{{empty}}x{{empty}}", 2, 0, PF_OK, "x"},
        {"{{first_name}}{{first_name}}", 2, 0, PF_OK, "AnaAna"},
        {"Hi {{unknown}}", 1, 0, PF_E_NOT_FOUND, "unknown"},
        {"Hi {{first_name}", 0, 1, PF_E_SYNTAX, ""},
        {"Hi {{}}", 0, 1, PF_E_SYNTAX, ""},
        {"", 0, 0, PF_OK, ""},
    };
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        pf_template t;
        char *out = NULL;
        size_t len = 0;
        pf_diag d;
        const char *name = rows[i].text;
        assert_int_equal(pf_template_parse(rows[i].text, strlen(rows[i].text), &t), PF_OK);
        pf_check_int(name, t.count, rows[i].placeholders);
        pf_check_int(name, t.error_count, rows[i].errors);
        pf_status st = pf_template_render(&t, vars, NULL, &out, &len, &d);
        pf_check_int(name, st, rows[i].st);
        pf_check_int(name, d.status, st); /* the diag says what the call returned */
        if (st == PF_OK) {
            pf_check_str(name, out, rows[i].want);
            pf_check_int(name, len, strlen(rows[i].want));
        } else if (st == PF_E_NOT_FOUND) {
            pf_check_str(name, d.path, rows[i].want);
        }
        free(out);
        pf_template_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_table),
        cmocka_unit_test(test_template_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
