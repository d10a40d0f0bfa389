/*
 * phonenumber_shim.h — the plain C face of libphonenumber.
 *
 * phonenumber_shim.cc is the only file that includes libphonenumber's C++
 * headers; it is built into the number module (phone_module.h), and the
 * library's functions of these names (phone_dl.c) call into it, failing
 * as below when the module cannot be loaded. Every function here catches
 * all exceptions at the boundary and reports failure through its return
 * value; none allocates memory the caller must free.
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

/* Whether input parses, with default region (NULL or "": none), to a
 * valid number: pfi_phone_parse's info.valid without the rest of info.
 * 1 valid, 0 not (or not a number), -1 the C++ side threw. */
int pfi_phone_valid(const char *input, size_t len, const char *region);

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

/*
 * libphonenumber's own metadata, as the installed library carries it (its
 * serialized PhoneMetadataCollection), for the compiled fast path
 * (numfast.c). Unlike the rest of this interface these allocate: the caller
 * frees with pfi_phone_metadata_free.
 */
#define PFI_PHONE_MAX_LENGTHS 24
#define PFI_PHONE_DESCS 12 /* indexed by pf_number_type; [0] general, [3] unused */

typedef struct pfi_phone_desc {
    char *pattern; /* national_number_pattern; NULL when empty */
    int n_lengths, n_local;
    int lengths[PFI_PHONE_MAX_LENGTHS]; /* possible_length, in metadata order */
    int local[PFI_PHONE_MAX_LENGTHS];   /* possible_length_local_only */
} pfi_phone_desc;

typedef struct pfi_phone_meta {
    char id[4]; /* region code, or "001" for a non-geographic entity */
    int calling_code;
    bool same_mobile_and_fixed_line;
    bool main_country_for_code; /* first in its calling code's region list */
    char *leading_digits;              /* NULL when the region has none */
    char *national_prefix_for_parsing; /* NULL when empty */
    char *transform_rule;              /* national_prefix_transform_rule; NULL when empty */
    char *international_prefix;        /* the IDD pattern; NULL when empty */
    pfi_phone_desc desc[PFI_PHONE_DESCS];
} pfi_phone_meta;

/* What libphonenumber's (and ICU's) answers come from, as a line of text
 * to key start-up cache files by: the SHA-256 of the number module's
 * identity — the module and the libraries it maps, the geocoder, the
 * loader's cache and environment (phone_dl.c; known without loading the
 * module once remembered); false when unknown. */
bool pfi_phone_library_identity(char *buf, size_t cap);
/* Whether a remembered identity's text (the "module-identity" cache
 * file's payload) still holds line by line: each file stat()s to the same
 * figures, each variable has the same value. */
bool pfi_phone_identity_still_true(const char *text, size_t len);

/* Every metadata entry; false on failure (nothing to free then). */
bool pfi_phone_metadata(pfi_phone_meta **out, size_t *count);
void pfi_phone_metadata_free(pfi_phone_meta *metas, size_t count);

/* The calling codes libphonenumber knows (sorted); total count, or -1. */
long pfi_phone_calling_codes(int *codes, size_t cap);

/* The regions of a calling code in libphonenumber's order (its main
 * country first; "001" for non-geographic entities); total count, or -1. */
long pfi_phone_calling_code_regions(int calling_code, char (*regions)[4], size_t cap);

#ifdef __cplusplus
}
#endif

#endif
