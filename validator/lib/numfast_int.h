/*
 * numfast_int.h — the compiled number engine (numfast.c): libphonenumber's
 * own metadata, read from the installed library once per process and
 * compiled to anchored PCRE2 patterns, answering strict E.164 input ('+' and
 * digits) the way libphonenumber does without going through it.
 *
 * Everything it declines (no known calling code, a national number shorter
 * than libphonenumber accepts, metadata it does not understand) goes to
 * libphonenumber as before; tests/unit/test_numfast.c and
 * tests/fuzz/fuzz_numfast.c hold the two paths to identical answers.
 */
#ifndef PREFLIGHT_NUMFAST_INT_H
#define PREFLIGHT_NUMFAST_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "phonenumber_shim.h"

/*
 * input[0..len) must pass pf_number_is_strict_e164. True: *info holds
 * exactly what pfi_phone_parse would (and it would have returned
 * PFI_PHONE_OK). False: not handled here; ask libphonenumber.
 */
bool pfi_numfast_parse(const char *input, size_t len, pfi_phone_info *info);

/*
 * libphonenumber's calling code for a region (0 when it does not support
 * it), from the same metadata. False when the engine could not load; the
 * caller then asks libphonenumber.
 */
bool pfi_numfast_region_calling_code(const char *region, int *calling_code);

/*
 * digits[0..len): ASCII digits only. Whether libphonenumber would parse
 * them with region as the default region to a valid number (Parse, then
 * IsValidNumber): 1 yes, 0 no, -1 not answered here (digits that could
 * read as international, an engine that could not load); the caller then
 * asks libphonenumber (pfi_phone_valid).
 */
int pfi_numfast_national_valid(const char *digits, size_t len, const char *region);

/* Interpret the engine's patterns instead of JIT-compiling them (for a
 * process that checks one message); effective only before the engine
 * first loads, which is the first call of any function here. */
void pfi_numfast_prefer_interpreter(void);

/* Tests: the regions of a calling code as the engine holds them (the
 * order of pfi_phone_calling_code_regions); count (0: unknown code), or -1
 * when the engine could not load. */
long pfi_numfast_calling_code_regions(int calling_code, char (*regions)[4], size_t cap);

/*
 * libphonenumber's geocoder description (pfi_phone_describe) of an E.164
 * number, remembered per "+1NPANXX" for the process without a lock per
 * lookup; other numbers go straight to libphonenumber. False when it has
 * no description (buf is then "").
 */
bool pfi_numfast_describe_nanp(const char *e164, char *buf, size_t cap);

/*
 * False only when libphonenumber's matcher cannot find a valid number in
 * text (too few digits together); pf_number_find_in_text then skips it.
 */
bool pfi_numfast_text_may_have_number(const char *text, size_t len);
/* The same for the matcher run with default region (NULL: none), which
 * bounds numbers without a plus sign more tightly. */
bool pfi_numfast_text_may_have_number_in(const char *text, size_t len, const char *region);
/*
 * For text that passes the bound above: true when every stretch of it
 * that reaches the bound is a plain run (ASCII digits one after another,
 * no x, label or other character between them, at most 17) and there is
 * no plus sign; then those runs (byte offset and length, *n of them, at
 * most cap) are the only candidates the matcher can take, each as it
 * stands. False when any is anything else, or there are more than cap.
 */
bool pfi_numfast_text_plain_runs(const char *text, size_t len, const char *region, size_t *starts,
                                 size_t *lens, size_t cap, size_t *n);
/* Tests (number.c): how many texts the plain runs' parse spared the matcher. */
unsigned long pfi_number_plain_skips(void);

/*
 * metacache.c: pfi_phone_metadata through the start-up cache (the same
 * entries, without parsing libphonenumber's protobuf when a valid copy is
 * cached), and the flat form it keeps (tests compare a round trip).
 */
bool pfi_phone_metadata_cached(pfi_phone_meta **out, size_t *count);
bool pfi_phone_meta_serialize(const pfi_phone_meta *m, size_t n, char **buf, size_t *len);
bool pfi_phone_meta_deserialize(const char *buf, size_t len, pfi_phone_meta **out, size_t *count);

#endif
