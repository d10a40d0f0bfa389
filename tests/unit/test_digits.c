/*
 * test_digits.c — the decimal digit table generated at build time
 * (validator/gen/gen_digits.c, utf8_int.h) against ICU's u_charType
 * (tz_icu.c) for every code point, and the table's own shape.
 */
#include "test_util.h"
#include "tz_icu.h"
#include "utf8_int.h"

static void test_table_is_icu(void **state)
{
    (void)state;
    size_t digits = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        bool want = pfi_icu_is_decimal_digit(cp);
        if (pfi_is_decimal_digit(cp) != want) {
            char row[32];
            snprintf(row, sizeof row, "U+%04X", (unsigned)cp);
            pf_check(row, false);
        }
        digits += want;
    }
    print_message("%zu decimal digits in %zu ranges\n", digits, pfi_decimal_digit_nranges);
    pf_check("ICU knows the scripts' digits", digits >= 600);
}

static void test_table_shape(void **state)
{
    (void)state;
    pf_check("ranges", pfi_decimal_digit_nranges > 50);
    for (size_t i = 0; i < pfi_decimal_digit_nranges; i++) {
        char row[32];
        snprintf(row, sizeof row, "range %zu", i);
        pf_check(row, pfi_decimal_digit_ranges[i][0] <= pfi_decimal_digit_ranges[i][1]);
        pf_check(row, pfi_decimal_digit_ranges[i][1] <= 0x10FFFF);
        /* Sorted, and apart: adjacent ranges would have been one. */
        if (i)
            pf_check(row, pfi_decimal_digit_ranges[i][0] > pfi_decimal_digit_ranges[i - 1][1] + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_icu),
        cmocka_unit_test(test_table_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
