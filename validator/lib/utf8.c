/*
 * utf8.c — strict UTF-8 decoding and validation (RFC 3629 / Unicode
 * Table 3-7): every accepted byte sequence is the shortest form of a scalar
 * value, so messages cannot smuggle overlong or surrogate encodings past the
 * checks that look at code points.
 */
#include <stdbool.h>
#include <string.h>

#include "preflight/segments.h"
#include "utf8_int.h"

size_t pfi_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char b0 = s[0];
    /* Second-byte bounds narrow for E0, ED, F0 and F4: that is what rules
     * out overlong forms, surrogates and values above U+10FFFF without
     * decoding first and range-checking after. */
    unsigned char lo = 0x80, hi = 0xBF;
    size_t need;
    uint32_t v;

    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
        v = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        v = b0 & 0x0Fu;
        if (b0 == 0xE0)
            lo = 0xA0;
        else if (b0 == 0xED)
            hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        v = b0 & 0x07u;
        if (b0 == 0xF0)
            lo = 0x90;
        else if (b0 == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (len < need)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if (i > 1 && (s[i] & 0xC0u) != 0x80u)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    *cp = v;
    return need;
}

/*
 * The offset reported is where the ill-formed sequence starts (its lead
 * byte, or the stray byte itself), the same position Python and ICU report,
 * so an editor can put the cursor on the character that has to go.
 */
pf_status pf_utf8_validate(const char *buf, size_t len, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t pos = 0;

    if (!buf && len > 0)
        return PF_E_INVALID;
    while (pos < len) {
        uint32_t cp;
        size_t n = pfi_utf8_decode(s + pos, len - pos, &cp);

        if (n == 0) {
            if (bad_offset)
                *bad_offset = pos;
            return PF_E_UTF8;
        }
        pos += n;
    }
    return PF_OK;
}

void pf_utf8_clean(const char *in, size_t len, char *out, size_t cap)
{
    static const char repl[] = "\xEF\xBF\xBD";
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, i = 0;
    if (!out || cap == 0)
        return;
    while (in && i < len) {
        uint32_t cp;
        size_t n = pfi_utf8_decode(s + i, len - i, &cp);
        bool control = n == 1 && (s[i] < 0x20 || s[i] == 0x7F) && s[i] != '\t' && s[i] != '\n';
        const char *src = (n == 0 || control) ? repl : in + i;
        size_t slen = (n == 0 || control) ? 3 : n;
        if (o + slen >= cap)
            break;
        memcpy(out + o, src, slen);
        o += slen;
        i += n ? n : 1;
    }
    out[o] = '\0';
}

bool pfi_is_decimal_digit(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    /* The last range starting at or before cp. */
    size_t lo = 0, hi = pfi_decimal_digit_nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pfi_decimal_digit_ranges[mid][0] <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && cp <= pfi_decimal_digit_ranges[lo - 1][1];
}
