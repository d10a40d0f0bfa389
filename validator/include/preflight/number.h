/*
 * number.h — parse and classify phone numbers (libphonenumber underneath).
 *
 * Thread-safe: every call may run on many threads at once. The results are
 * plain structs the caller owns; nothing is allocated.
 */
#ifndef PREFLIGHT_NUMBER_H
#define PREFLIGHT_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libphonenumber's number types; names in SPEC §3 snake case. */
typedef enum pf_number_type {
    PF_NT_UNKNOWN = 0,
    PF_NT_FIXED_LINE,
    PF_NT_MOBILE,
    PF_NT_FIXED_LINE_OR_MOBILE,
    PF_NT_TOLL_FREE,
    PF_NT_PREMIUM_RATE,
    PF_NT_SHARED_COST,
    PF_NT_VOIP,
    PF_NT_PERSONAL_NUMBER,
    PF_NT_PAGER,
    PF_NT_UAN,
    PF_NT_VOICEMAIL
} pf_number_type;

#define PF_NUMBER_TYPE_COUNT 12

/* "mobile", "fixed_line_or_mobile", ...; never NULL. */
PF_EXTERN const char *pf_number_type_name(pf_number_type type);

/* Inverse of pf_number_type_name; PF_E_NOT_FOUND for an unknown name. */
PF_EXTERN pf_status pf_number_type_from_name(const char *name, pf_number_type *out);

/* Longest input kept in pf_number.input; longer input is cut, see truncated. */
#define PF_NUMBER_INPUT_MAX 128

typedef struct pf_number {
    char input[PF_NUMBER_INPUT_MAX]; /* the input as given, NUL-terminated, cut if long */
    bool truncated;                  /* input was longer than the copy above */
    bool strict_e164;                /* exactly '+' then 8-15 digits, first not 0 */
    bool parsed;                     /* libphonenumber could parse it at all */
    bool valid;                      /* a valid number for its region */
    bool possible;                   /* the length is possible for its region */
    char e164[24];                   /* E.164 form when parsed, else "" */
    int calling_code;                /* 0 when not parsed */
    char region[4];                  /* ISO 3166-1 alpha-2, "001" non-geographic, "" unknown */
    pf_number_type type;
} pf_number;

/*
 * Parse input (len bytes, UTF-8) into *out. default_region (ISO alpha-2 or
 * NULL) is used for input without a leading '+'.
 *
 * PF_OK: *out is filled (the number may still be invalid: see out->valid).
 * PF_E_NUMBER: the input cannot be read as a phone number at all; *out has
 *   the input copy and strict_e164 = false; diag->message says why.
 * PF_E_UTF8: the input is not valid UTF-8; diag->offset is the bad byte.
 * PF_E_INVALID: default_region is not a supported region code.
 */
PF_EXTERN pf_status pf_number_parse(const char *input, size_t len, const char *default_region, pf_number *out,
                          pf_diag *diag);

/* The strict E.164 test alone: '+' then 8 to 15 digits, the first not 0. */
PF_EXTERN bool pf_number_is_strict_e164(const char *input, size_t len);

/* True when code is a region libphonenumber supports (upper case alpha-2). */
PF_EXTERN bool pf_region_is_supported(const char *code);

/*
 * The same with the reason when not: PF_E_INVALID "unknown region code
 * 'XX'", or PF_E_INTERNAL when libphonenumber cannot be asked at all (the
 * number module it is loaded from is missing or from another build; the
 * message names what the dynamic loader said).
 */
PF_EXTERN pf_status pf_region_check(const char *code, pf_diag *diag);

/*
 * Why libphonenumber could not be asked, when this process tried and
 * failed to load the number module ("" otherwise: not needed yet, or
 * loaded). Answers from the start-up cache need no module, so a region or
 * number judged unknown for want of it is reported as unknown; a client
 * can print this beside such an error.
 */
PF_EXTERN const char *pf_number_engine_error(void);

/*
 * Copy every supported region code (sorted, NUL-terminated, 3 bytes each)
 * into regions[0..cap). *count receives the total; PF_E_TOO_LARGE when cap
 * is smaller than the total.
 */
PF_EXTERN pf_status pf_region_list(char (*regions)[3], size_t cap, size_t *count);

/* Country calling code for a region, or 0 when unsupported. */
PF_EXTERN int pf_region_calling_code(const char *code);

/*
 * libphonenumber's example number of a type for a region, as E.164, into
 * buf. PF_E_NOT_FOUND when the region has no example of that type.
 */
PF_EXTERN pf_status pf_number_example(const char *region, pf_number_type type, char *buf, size_t cap);

/*
 * libphonenumber's English description of where an E.164 number is ("San
 * Francisco, CA", "Ontario", "United States"), into buf. PF_E_NOT_FOUND
 * when it has none.
 */
PF_EXTERN pf_status pf_number_describe(const char *e164, char *buf, size_t cap);

/* A phone number found inside free text: byte offsets into the text, and
 * libphonenumber's type for it (premium_rate, shared_cost, ...). */
typedef struct pf_number_span {
    size_t start;
    size_t end; /* exclusive */
    pf_number_type type;
} pf_number_span;

/*
 * Find phone numbers inside UTF-8 text (libphonenumber's matcher, "valid"
 * leniency) as dialled from default_region (NULL: only numbers written with
 * a leading '+' are found). Up to cap spans are stored; *count receives the
 * total number found.
 */
PF_EXTERN pf_status pf_number_find_in_text(const char *text, size_t len, const char *default_region,
                                 pf_number_span *spans, size_t cap, size_t *count);

#ifdef __cplusplus
}
#endif

#endif
