/*
 * test_module_missing.c — the library without its number module: built
 * into a directory where the installed layouts' places have none, and
 * told to look for the build's in one that does not exist, with the
 * start-up cache off. What needs libphonenumber must fail and say why; what
 * does not (segments) must work.
 */
#include <stdlib.h>

#include "../test_util.h"
#include "phone_module.h"
#include "preflight/number.h"
#include "preflight/segments.h"

static int setup(void **state)
{
    (void)state;
    pfi_phone_module_build_dir("/nonexistent/sms-preflight");
    return setenv("PREFLIGHT_NO_CACHE", "1", 1);
}

static void test_region_says_why(void **state)
{
    (void)state;
    pf_diag d;
    assert_string_equal(pf_number_engine_error(), ""); /* nothing tried yet */
    assert_false(pf_region_is_supported("US"));
    assert_int_equal(pf_region_check("US", &d), PF_E_INTERNAL);
    assert_non_null(strstr(d.message, "cannot load the number module: "));
    assert_non_null(strstr(d.message, PFI_PHONE_MODULE_FILE));
    assert_non_null(strstr(pf_number_engine_error(), PFI_PHONE_MODULE_FILE));
    assert_false(pfi_phone_module_loaded());
}

static void test_number_says_why(void **state)
{
    (void)state;
    pf_number n;
    pf_diag d;
    const char *e164 = "+14155552671";
    assert_int_equal(pf_number_parse(e164, strlen(e164), NULL, &n, &d), PF_E_INTERNAL);
    assert_non_null(strstr(d.message, "cannot load the number module"));
    char buf[64];
    assert_false(pfi_phone_library_identity(buf, sizeof buf));
}

static void test_segments_need_no_module(void **state)
{
    (void)state;
    pf_segments *s = NULL;
    pf_diag d;
    assert_int_equal(pf_segments_compute("hello", 5, &s, &d), PF_OK);
    assert_int_equal(s->segment_count, 1);
    pf_segments_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_says_why),
        cmocka_unit_test(test_number_says_why),
        cmocka_unit_test(test_segments_need_no_module),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
