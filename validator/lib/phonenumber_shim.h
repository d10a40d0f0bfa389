/*
 * phonenumber_shim.h — the plain C face of libphonenumber.
 *
 * phonenumber_shim.cc is the only file that includes libphonenumber's C++
 * headers. Every function here catches all exceptions at the boundary and
 * reports failure through its return value; none allocates memory the
 * caller must free.
 */
#ifndef PREFLIGHT_PHONENUMBER_SHIM_H
#define PREFLIGHT_PHONENUMBER_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Outcome of pfi_phone_parse; mirrors libphonenumber's ErrorType. */
typedef enum pfi_phone_error {
    PFI_PHONE_OK = 0,
    PFI_PHONE_INVALID_COUNTRY_CODE,
    PFI_PHONE_NOT_A_NUMBER,
    PFI_PHONE_TOO_SHORT_AFTER_IDD,
    PFI_PHONE_TOO_SHORT_NSN,
    PFI_PHONE_TOO_LONG,
    PFI_PHONE_EXCEPTION /* the C++ side threw; treated as an internal error */
} pfi_phone_error;

typedef struct pfi_phone_info {
    char e164[24];
    int calling_code;
    char region[4];
    int type; /* pf_number_type value */
    bool valid;
    bool possible;
} pfi_phone_info;

/* input must be NUL-terminated UTF-8; region may be NULL or "". */
pfi_phone_error pfi_phone_parse(const char *input, size_t len, const char *region,
                                pfi_phone_info *info);

bool pfi_phone_region_supported(const char *region);
int pfi_phone_region_calling_code(const char *region);

/* Fills up to cap codes; returns the total count, or -1 on failure. */
long pfi_phone_regions(char (*regions)[3], size_t cap);

/* Returns false when there is no example of that type. */
bool pfi_phone_example(const char *region, int type, char *buf, size_t cap);

/* libphonenumber's English geographic description of a number ("San
 * Francisco, CA", "Ontario", "United States"); false when it has none. */
bool pfi_phone_describe(const char *input, size_t len, char *buf, size_t cap);

/* Returns the total number of matches, or -1 on failure. types (may be
 * NULL) receives each match's pf_number_type. */
long pfi_phone_find(const char *text, size_t len, const char *region, size_t *starts, size_t *ends,
                    int *types, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
