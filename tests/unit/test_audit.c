/*
 * test_audit.c — the country launch audit over a table of countries, with
 * and without a config and templates: the verdict and every checklist
 * item's state. Then the promise the audit makes: for every number it
 * lists, `preflight check` with that number as the sender comes to the
 * same answer.
 *
 * Inputs are the golden snapshots (tests/golden/inputs): country table,
 * rule packs, the example project's config and templates.
 */
#include <stdlib.h>

#include "../test_util.h"
#include "preflight/preflight.h"
#include "verdict_int.h"

#define INPUTS PF_SOURCE_DIR "/tests/golden/inputs/"

static pf_countries *table;
static pf_ruleset *rules;
static pf_config *config;
static pf_template_set *templates;

static int setup(void **state)
{
    (void)state;
    const char *files[] = {INPUTS "data/countries.json"};
    const char *dirs[] = {INPUTS "rules"};
    pf_diag d;
    if (pf_countries_load(files, 1, &table, &d) != PF_OK || pf_rules_load(dirs, 1, &rules, &d) ||
        pf_config_load(INPUTS "config.json", &config, &d) != PF_OK ||
        pf_template_set_create(&templates) != PF_OK ||
        pf_template_set_add_path(templates, INPUTS "templates", &d) != PF_OK) {
        print_error("%s:%u:%u: %s\n", d.file, d.line, d.column, d.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pf_template_set_destroy(templates);
    pf_config_destroy(config);
    pf_rules_destroy(rules);
    pf_countries_destroy(table);
    return 0;
}

struct row {
    const char *name;
    const char *country;
    bool with_config, with_templates;
    const char *verdict;
    /* "id=state" for every item, in order; states r(eady), a(ction), u(nknown) */
    const char *items;
    int can_send; /* numbers that can send, or -1 */
};

static const struct row rows[] = {
    {"GB full", "GB", true, true, "not ready",
     "sms=r,senders=r,registrations=r,content=a,opt-out=a,quiet-hours=r,two-way=r,templates=a,"
     "reviewed=r",
     1},
    {"US full", "US", true, true, "not ready",
     "sms=r,senders=r,registrations=r,content=a,opt-out=a,quiet-hours=r,two-way=r,templates=a,"
     "reviewed=r",
     3},
    /* No number of the example project may send to the Emirates. */
    {"AE no sender", "AE", true, false, "not ready",
     "sms=r,senders=a,registrations=a,content=u,opt-out=u,quiet-hours=r,two-way=a,templates=u,"
     "reviewed=r",
     0},
    {"DE bare", "DE", false, false, "ready with warnings",
     "sms=r,senders=u,registrations=r,content=u,opt-out=u,quiet-hours=r,two-way=r,templates=u,"
     "reviewed=r",
     -1},
};

static char state_letter(pf_audit_state s)
{
    return s == PF_AUDIT_READY ? 'r' : s == PF_AUDIT_ACTION ? 'a' : 'u';
}

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        const struct row *r = &rows[i];
        pf_audit_options o = pf_audit_options_default();
        pf_audit *a = NULL;
        pf_diag d;
        o.country = r->country;
        o.table = table;
        o.rules = rules;
        o.config = r->with_config ? config : NULL;
        o.templates = r->with_templates ? templates : NULL;
        pf_check_int(r->name, pf_audit_run(&o, &a, &d), PF_OK);
        if (!a)
            continue;
        char items[512] = "";
        for (size_t k = 0; k < a->item_count; k++) {
            size_t n = strlen(items);
            snprintf(items + n, sizeof items - n, "%s%s=%c", k ? "," : "", a->items[k].id,
                     state_letter(a->items[k].state));
        }
        pf_check_str(r->name, items, r->items);
        pf_check_str(r->name, pf_audit_verdict_name(a->verdict), r->verdict);
        pf_check(r->name, a->summary && a->summary[0]);
        if (r->can_send >= 0) {
            int n = 0;
            for (size_t k = 0; k < a->number_count; k++)
                n += a->numbers[k].can_send;
            pf_check_int(r->name, n, r->can_send);
        }
        pf_check(r->name, (a->lint != NULL) == r->with_templates);
        /* Every fact has a value, and every known fact the table backs
         * with a source names exactly that source. */
        const pf_country *entry = pf_countries_get(table, o.country);
        size_t sourced = 0;
        for (size_t k = 0; k < a->fact_count; k++) {
            const pf_audit_fact *f = &a->facts[k];
            pf_check(f->label, f->value != NULL);
            const pf_source *src = entry && f->field ? pf_country_source_for(entry, f->field) : NULL;
            if (!f->known || !src)
                continue;
            pf_check_str(f->label, f->source ? f->source : "(no source)", src->url);
            sourced++;
        }
        pf_check(r->name, !entry || entry->source_count == 0 || sourced > 0);
        pf_audit_destroy(a);
    }
}

/* The audit and `check --agent-number N` never disagree about a sender. */
static void test_agrees_with_check(void **state)
{
    (void)state;
    static const char *const countries[] = {"US", "CA", "GB", "DE", "AE"};
    pf_checker *ck = NULL;
    assert_int_equal(pfi_checker_create(table, rules, config, &ck), PF_OK);
    for (size_t i = 0; i < PF_ARRAY_LEN(countries); i++) {
        pf_audit_options o = pf_audit_options_default();
        pf_audit *a = NULL;
        pf_diag d;
        o.country = countries[i];
        o.table = table;
        o.rules = rules;
        o.config = config;
        assert_int_equal(pf_audit_run(&o, &a, &d), PF_OK);
        pf_check(countries[i], a->recipient[0] != '\0');
        for (size_t k = 0; k < a->number_count; k++) {
            const pf_audit_number *n = &a->numbers[k];
            pf_check_input in = pf_check_input_default();
            pf_verdict v;
            in.to = a->recipient;
            in.to_len = strlen(a->recipient);
            in.message = "Your appointment is confirmed.";
            in.message_len = strlen(in.message);
            in.agent_number = n->number->number;
            in.first_message = PF_FIRST_NO;
            in.purpose = PF_PURPOSE_TRANSACTIONAL;
            assert_int_equal(pf_checker_check(ck, &in, &v, &d), PF_OK);
            bool blocked = false;
            for (size_t f = 0; f < v.findings.count; f++)
                blocked |= v.findings.items[f].severity == PF_SEV_BLOCK &&
                           strncmp(v.findings.items[f].id, "time.", 5) != 0;
            pf_check(n->number->number, n->can_send == !blocked);
            pf_verdict_clear(&v);
        }
        pf_audit_destroy(a);
    }
    pf_checker_destroy(ck);
}

static void test_errors(void **state)
{
    (void)state;
    pf_audit_options o = pf_audit_options_default();
    pf_audit *a = NULL;
    pf_diag d;
    o.country = "ZZ";
    o.table = table;
    o.rules = rules;
    pf_check_int("unknown country", pf_audit_run(&o, &a, &d), PF_E_NOT_FOUND);
    pf_check("names it", strstr(d.message, "'ZZ'") != NULL);
    pf_check("nothing returned", a == NULL);
    o.table = NULL;
    pf_check_int("no table", pf_audit_run(&o, &a, &d), PF_E_INVALID);
    pf_audit_destroy(NULL);
}

/* A fact is marked low-confidence exactly when every source backing it
 * is: in the snapshot, DE's concatenation rests only on a vendor guide,
 * its two_way also on the platform's own page, its sms only on that page. */
static void test_low_confidence_facts(void **state)
{
    (void)state;
    pf_audit_options o = pf_audit_options_default();
    pf_audit *a = NULL;
    pf_diag d;
    o.country = "DE";
    o.table = table;
    o.rules = rules;
    assert_int_equal(pf_audit_run(&o, &a, &d), PF_OK);
    int seen = 0;
    for (size_t i = 0; i < a->fact_count; i++) {
        const pf_audit_fact *f = &a->facts[i];
        if (strcmp(f->field, "concatenation") == 0 || strcmp(f->field, "landline_sms") == 0) {
            pf_check(f->field, f->known && f->low_confidence);
            seen++;
        } else if (strcmp(f->field, "two_way") == 0 || strcmp(f->field, "sms") == 0) {
            pf_check(f->field, f->known && !f->low_confidence);
            seen++;
        } else if (!f->known) {
            pf_check(f->field, !f->low_confidence);
        }
    }
    assert_int_equal(seen, 4);
    pf_audit_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_agrees_with_check),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_low_confidence_facts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
