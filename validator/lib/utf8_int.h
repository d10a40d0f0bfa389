/*
 * utf8_int.h — the strict UTF-8 decoder shared inside the library.
 *
 * Private: not installed, not part of the public API. pf_utf8_validate and
 * the segment calculator must agree byte for byte on what is valid, so both
 * go through this one decoder.
 */
#ifndef PREFLIGHT_UTF8_INT_H
#define PREFLIGHT_UTF8_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode one code point from the len bytes at s (len > 0). Returns how many
 * bytes it took (1-4) and stores the code point in *cp, or returns 0 when
 * the sequence starting at s[0] is ill-formed: a stray continuation byte,
 * an overlong form, a surrogate, a value above U+10FFFF, a byte that never
 * occurs in UTF-8, or a sequence cut short by a bad byte or by the end.
 */
size_t pfi_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * Is cp a decimal digit (general category Nd) — what ICU's u_charType
 * says, from a table generated from the installed ICU at build time
 * (validator/gen/gen_digits.c), so the check path needs no ICU call.
 */
extern const uint32_t pfi_decimal_digit_ranges[][2]; /* sorted, disjoint, inclusive */
extern const size_t pfi_decimal_digit_nranges;
bool pfi_is_decimal_digit(uint32_t cp);

#endif
