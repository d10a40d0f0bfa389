/*
 * fuzz_numfast.c — differential: the compiled number engine (numfast.c)
 * against libphonenumber on the same strict E.164 input. Any input the
 * engine answers must get libphonenumber's answer, field for field; a
 * difference aborts (a crash to libFuzzer).
 *
 * The bytes are read three ways: as they are (when they are strict E.164);
 * as digits (each byte mod 10 after a '+', the first made non-zero), so
 * the fuzzer's mutations land on real calling codes and national numbers;
 * and, for the national check of a run of digits
 * (pfi_numfast_national_valid against Parse + IsValidNumber), the first two
 * bytes pick a region of the engine's table and the rest are the digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "numfast_int.h"
#include "phonenumber_shim.h"
#include "preflight/number.h"

static void same(const char *s, size_t len)
{
    pfi_phone_info fast, slow;
    char buf[32];

    if (!pf_number_is_strict_e164(s, len) || !pfi_numfast_parse(s, len, &fast))
        return;
    memcpy(buf, s, len);
    buf[len] = '\0';
    pfi_phone_error e = pfi_phone_parse(buf, len, NULL, &slow);
    if (e != PFI_PHONE_OK || strcmp(fast.e164, slow.e164) != 0 ||
        strcmp(fast.region, slow.region) != 0 || fast.type != slow.type ||
        fast.valid != slow.valid || fast.possible != slow.possible ||
        fast.calling_code != slow.calling_code) {
        fprintf(stderr,
                "numfast differs from libphonenumber on %s: %s %s %d %d %d | %d %s %s %d %d %d\n",
                buf, fast.e164, fast.region, fast.type, fast.valid, fast.possible, (int)e,
                slow.e164, slow.region, slow.type, slow.valid, slow.possible);
        abort();
    }
}

static void same_national(const uint8_t *data, size_t size)
{
    static char regions[400][3];
    static long nr = -1;
    char digits[32];
    if (nr < 0)
        nr = pfi_phone_regions(regions, 400);
    if (nr <= 0 || size < 5 || size > 2 + 20)
        return;
    const char *region = regions[(data[0] | data[1] << 8) % nr];
    size_t len = size - 2;
    for (size_t i = 0; i < len; i++)
        digits[i] = (char)('0' + data[i + 2] % 10);
    int fast = pfi_numfast_national_valid(digits, len, region);
    if (fast < 0)
        return;
    int slow = pfi_phone_valid(digits, len, region);
    if (fast != slow) {
        fprintf(stderr, "numfast differs from libphonenumber on %.*s in %s: %d | %d\n", (int)len,
                digits, region, fast, slow);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char digits[17];

    same_national(data, size);

    same((const char *)data, size);
    if (size < 8 || size > 15)
        return 0;
    digits[0] = '+';
    for (size_t i = 0; i < size; i++)
        digits[i + 1] = (char)('0' + data[i] % 10);
    if (digits[1] == '0')
        digits[1] = '1';
    same(digits, size + 1);
    return 0;
}
