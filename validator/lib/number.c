/*
 * number.c — the public number API over the libphonenumber shim.
 *
 * The strict E.164 test is ours, not libphonenumber's: the Send SMS API
 * answers 400 to anything but '+' and digits, so "+1 415 555 2671" parses
 * fine yet is not strict E.164.
 *
 * Strict E.164 input is answered by the compiled engine (numfast.c) from
 * libphonenumber's own metadata, with the same answers; everything else,
 * and whatever the engine declines, goes to libphonenumber.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "numfast_int.h"
#include "phone_module.h"
#include "phonenumber_shim.h"
#include "preflight/number.h"
#include "preflight/segments.h"

static const char *const type_names[PF_NUMBER_TYPE_COUNT] = {
    "unknown",         "fixed_line",   "mobile",      "fixed_line_or_mobile",
    "toll_free",       "premium_rate", "shared_cost", "voip",
    "personal_number", "pager",        "uan",         "voicemail",
};

const char *pf_number_type_name(pf_number_type type)
{
    if ((unsigned)type >= PF_NUMBER_TYPE_COUNT)
        return "unknown";
    return type_names[type];
}

pf_status pf_number_type_from_name(const char *name, pf_number_type *out)
{
    for (int i = 0; i < PF_NUMBER_TYPE_COUNT; i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *out = (pf_number_type)i;
            return PF_OK;
        }
    }
    return PF_E_NOT_FOUND;
}

bool pf_number_is_strict_e164(const char *input, size_t len)
{
    /* E.164 allows at most 15 digits; the shortest real numbers have 8
     * including the country code (e.g. +290 Saint Helena: +290 + 4 digits). */
    if (len < 9 || len > 16 || input[0] != '+' || input[1] == '0')
        return false;
    for (size_t i = 1; i < len; i++) {
        if (input[i] < '0' || input[i] > '9')
            return false;
    }
    return true;
}

static const char *phone_error_text(pfi_phone_error e)
{
    switch (e) {
    case PFI_PHONE_OK: return "ok";
    case PFI_PHONE_INVALID_COUNTRY_CODE:
        return "no valid country calling code (write it with a leading '+' or give a region)";
    case PFI_PHONE_NOT_A_NUMBER: return "not a phone number";
    case PFI_PHONE_TOO_SHORT_AFTER_IDD: return "too short after the international prefix";
    case PFI_PHONE_TOO_SHORT_NSN: return "too short to be a phone number";
    case PFI_PHONE_TOO_LONG: return "too long to be a phone number";
    case PFI_PHONE_EXCEPTION: return "internal error in libphonenumber";
    }
    return "cannot be parsed";
}

pf_status pf_number_parse(const char *input, size_t len, const char *default_region, pf_number *out,
                          pf_diag *diag)
{
    char buf[PFI_NUMBER_PARSE_MAX + 1];
    size_t bad = 0;

    pf_diag_clear(diag);
    memset(out, 0, sizeof *out);
    if (!input)
        return PF_E_INVALID;
    if (default_region && *default_region) {
        pf_status st = pf_region_check(default_region, diag);
        if (st != PF_OK)
            return st;
    }

    out->truncated = len >= sizeof out->input;
    pfi_copy_cut(out->input, sizeof out->input, input, len);
    out->strict_e164 = pf_number_is_strict_e164(input, len);

    pfi_phone_info info;
    /* Strict E.164 is valid UTF-8 without NUL and short: the checks below
     * cannot fail for it. */
    if (out->strict_e164 && pfi_numfast_parse(input, len, &info))
        goto parsed;

    if (pf_utf8_validate(input, len, &bad) != PF_OK) {
        pfi_diag_set(diag, PF_E_UTF8, "invalid UTF-8 at byte %zu", bad);
        if (diag)
            diag->offset = bad;
        return PF_E_UTF8;
    }
    const char *nul = memchr(input, '\0', len);
    if (nul) {
        pfi_diag_set(diag, PF_E_NUMBER, "contains a NUL byte at byte %zu", (size_t)(nul - input));
        if (diag)
            diag->offset = (size_t)(nul - input);
        return PF_E_NUMBER;
    }
    if (len == 0) {
        pfi_diag_set(diag, PF_E_NUMBER, "empty");
        return PF_E_NUMBER;
    }
    /* libphonenumber refuses anything over 250 characters itself; we say so
     * before copying, so the message names the real reason. */
    if (len > PFI_NUMBER_PARSE_MAX) {
        pfi_diag_set(diag, PF_E_NUMBER, "too long (%zu bytes; at most %d)", len,
                     PFI_NUMBER_PARSE_MAX);
        return PF_E_NUMBER;
    }
    memcpy(buf, input, len);
    buf[len] = '\0';

    pfi_phone_error e = pfi_phone_parse(buf, len, default_region, &info);
    if (e == PFI_PHONE_EXCEPTION && *pfi_phone_module_error()) {
        pfi_diag_set(diag, PF_E_INTERNAL, "cannot load the number module: %s",
                     pfi_phone_module_error());
        return PF_E_INTERNAL;
    }
    if (e == PFI_PHONE_EXCEPTION) {
        pfi_diag_set(diag, PF_E_INTERNAL, "%s", phone_error_text(e));
        return PF_E_INTERNAL;
    }
    if (e != PFI_PHONE_OK) {
        pfi_diag_set(diag, PF_E_NUMBER, "%s", phone_error_text(e));
        return PF_E_NUMBER;
    }
parsed:
    out->parsed = true;
    out->valid = info.valid;
    out->possible = info.possible;
    out->calling_code = info.calling_code;
    out->type = (pf_number_type)info.type;
    memcpy(out->e164, info.e164, sizeof out->e164);
    memcpy(out->region, info.region, sizeof out->region);
    return PF_OK;
}

bool pf_region_is_supported(const char *code)
{
    int cc;
    if (!code)
        return false;
    /* The engine's table is libphonenumber's region map; ask the library
     * only when the engine could not load. */
    if (pfi_numfast_region_calling_code(code, &cc))
        return cc != 0;
    return pfi_phone_region_supported(code);
}

const char *pf_number_engine_error(void)
{
    return pfi_phone_module_error();
}

pf_status pf_region_check(const char *code, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (pf_region_is_supported(code))
        return PF_OK;
    if (!pfi_phone_module_get()) {
        pfi_diag_set(diag, PF_E_INTERNAL, "cannot load the number module: %s",
                     pfi_phone_module_error());
        return PF_E_INTERNAL;
    }
    pfi_diag_set(diag, PF_E_INVALID, "unknown region code '%.8s'", code ? code : "");
    return PF_E_INVALID;
}

int pf_region_calling_code(const char *code)
{
    int cc;
    if (code && pfi_numfast_region_calling_code(code, &cc))
        return cc;
    return pf_region_is_supported(code) ? pfi_phone_region_calling_code(code) : 0;
}

pf_status pf_region_list(char (*regions)[3], size_t cap, size_t *count)
{
    long n = pfi_phone_regions(regions, cap);
    if (n < 0)
        return PF_E_INTERNAL;
    *count = (size_t)n;
    return (size_t)n > cap ? PF_E_TOO_LARGE : PF_OK;
}

pf_status pf_number_example(const char *region, pf_number_type type, char *buf, size_t cap)
{
    if (!pf_region_is_supported(region) || (unsigned)type >= PF_NUMBER_TYPE_COUNT)
        return PF_E_INVALID;
    return pfi_phone_example(region, (int)type, buf, cap) ? PF_OK : PF_E_NOT_FOUND;
}

/*
 * Text whose only long enough stretches of digits are plain runs (an
 * order number, a one-time code): the matcher's one candidate in each is
 * the run itself (or it in brackets: the same digits), and it reports one
 * only when libphonenumber parses it, with the default region, to a valid
 * number. Parsing the runs costs a few microseconds where the matcher
 * costs 50 to 700 (and the compiled engine answers most runs in well under
 * one: pfi_numfast_national_valid, checked against pfi_phone_valid by
 * diff_numfast). False only when none of them is valid; diff_text
 * compares the two on texts built for it.
 */
static _Atomic unsigned long plain_skips;

unsigned long pfi_number_plain_skips(void)
{
    return plain_skips;
}

static bool plain_runs_may_match(const char *text, size_t len, const char *region)
{
    enum { CAP = 8 };
    size_t starts[CAP], lens[CAP], n;
    if (!pfi_numfast_text_plain_runs(text, len, region, starts, lens, CAP, &n))
        return true;
    for (size_t i = 0; i < n; i++) {
        /* The compiled engine answers most runs (numfast.c); the rest, and
         * any it cannot, libphonenumber itself. */
        int v = pfi_numfast_national_valid(text + starts[i], lens[i], region);
        if (v < 0)
            v = pfi_phone_valid(text + starts[i], lens[i], region);
        if (v != 0)
            return true; /* valid, or libphonenumber failed: the matcher decides */
    }
    plain_skips++;
    return false;
}

pf_status pf_number_find_in_text(const char *text, size_t len, const char *default_region,
                                 pf_number_span *spans, size_t cap, size_t *count)
{
    enum { CHUNK = 16 };
    size_t starts[CHUNK], ends[CHUNK];
    int types[CHUNK];
    size_t *s = starts, *e = ends;
    int *ty = types;
    pf_status st = PF_OK;

    *count = 0;
    /* The matcher costs tens of microseconds even on text without a
     * number; most messages have too few digits for one. */
    if (!pfi_numfast_text_may_have_number_in(text, len, default_region))
        return PF_OK;
    if (!plain_runs_may_match(text, len, default_region))
        return PF_OK;
    if (cap > CHUNK) {
        s = malloc(cap * sizeof *s);
        e = malloc(cap * sizeof *e);
        ty = malloc(cap * sizeof *ty);
        if (!s || !e || !ty) {
            st = PF_E_NOMEM;
            goto out;
        }
    }
    long n = pfi_phone_find(text, len, default_region, s, e, ty, cap);
    if (n < 0) {
        st = PF_E_INTERNAL;
        goto out;
    }
    for (size_t i = 0; i < (size_t)n && i < cap; i++) {
        spans[i].start = s[i];
        spans[i].end = e[i];
        spans[i].type = (pf_number_type)ty[i];
    }
    *count = (size_t)n;
out:
    if (s != starts) {
        free(s);
        free(e);
        free(ty);
    }
    return st;
}

pf_status pf_number_describe(const char *e164, char *buf, size_t cap)
{
    if (!e164 || cap == 0)
        return PF_E_INVALID;
    buf[0] = '\0';
    return pfi_phone_describe(e164, strlen(e164), buf, cap) ? PF_OK : PF_E_NOT_FOUND;
}
