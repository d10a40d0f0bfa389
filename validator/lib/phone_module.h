/*
 * phone_module.h — the number module (issue 20): libphonenumber, protobuf,
 * abseil, ICU and libstdc++ live in one shared object, preflight-phone.so,
 * that the library loads with dlopen the first time it needs one of them
 * (phone_dl.c), so a command that does not — `--version`, `segments`, a
 * `check` answered from the start-up cache — never maps or relocates them.
 *
 * ICU came along (tz_icu.c is built into the module too): libphonenumber
 * needs it anyway, and a warm start needs neither (tz.c's offset tables,
 * numfast.c's digit table).
 *
 * The module exports one symbol, PFI_PHONE_MODULE_SYMBOL, a function that
 * returns this table. The library refuses a module whose abi, size or
 * version or build_id differ from its own: the two are built together and
 * must match exactly (a module of another build is not loaded).
 *
 * Each entry behaves as the pfi_phone_* function of the same name in
 * phonenumber_shim.h; the library's pfi_phone_* functions (phone_dl.c) load
 * the module and call through the table.
 */
#ifndef PREFLIGHT_PHONE_MODULE_H
#define PREFLIGHT_PHONE_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "phonenumber_shim.h"
#include "tz_icu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PFI_PHONE_MODULE_ABI 3
#define PFI_PHONE_MODULE_SYMBOL "pfi_phone_module_v1"
/* The file name the library asks the dynamic loader for. */
#define PFI_PHONE_MODULE_FILE "preflight-phone.so"

struct pfi_phone_module {
    unsigned abi;        /* PFI_PHONE_MODULE_ABI */
    size_t size;         /* sizeof(struct pfi_phone_module) */
    const char *version; /* PF_VERSION_STRING the module was built as */
    const char *build_id; /* PF_BUILD_ID: the build both come from */
    pfi_phone_error (*parse)(const char *input, size_t len, const char *region,
                             pfi_phone_info *info);
    bool (*region_supported)(const char *region);
    int (*region_calling_code)(const char *region);
    long (*regions)(char (*regions)[3], size_t cap);
    bool (*example)(const char *region, int type, char *buf, size_t cap);
    bool (*describe)(const char *input, size_t len, char *buf, size_t cap);
    long (*find)(const char *text, size_t len, const char *region, size_t *starts, size_t *ends,
                 int *types, size_t cap);
    bool (*metadata)(pfi_phone_meta **out, size_t *count);
    long (*calling_codes)(int *codes, size_t cap);
    long (*calling_code_regions)(int calling_code, char (*regions)[4], size_t cap);
    /* Files the module's answers depend on that it opens itself rather
     * than links (the geocoder, named whether or not it is installed):
     * absolute paths, one per line, into buf; false when libphonenumber's
     * own file cannot be found. */
    bool (*extra_files)(char *buf, size_t cap);
    /* ICU (tz_icu.h), each as the pfi_icu_* function of that name. */
    struct pfi_icu_zone *(*icu_zone_open)(const char *id);
    void (*icu_zone_close)(struct pfi_icu_zone *z);
    bool (*icu_local_time)(struct pfi_icu_zone *z, int64_t t, unsigned *minute,
                           unsigned *weekday);
    pf_status (*icu_offsets)(struct pfi_icu_zone *z, int64_t from, int64_t to, int32_t *initial,
                             int64_t **at, int32_t **offset, size_t *n, size_t max);
    pf_status (*icu_region_ids)(const char *region, char **ids);
    bool (*icu_zone_in_region)(const char *zone, const char *region);
    bool (*icu_is_decimal_digit)(uint32_t cp);
    int (*valid)(const char *input, size_t len, const char *region);
};

typedef const struct pfi_phone_module *(*pfi_phone_module_fn)(void);

/* The library side (phone_dl.c). */

/* The loaded module, loading it on first call; NULL when it cannot be
 * loaded (pfi_phone_module_error says why). Thread-safe. */
const struct pfi_phone_module *pfi_phone_module_get(void);

/* Why the module could not be loaded ("" before any attempt, or when it
 * loaded). */
const char *pfi_phone_module_error(void);

/* Tests (PF_UNITTEST builds): look for this build's module in dir
 * instead; before the first load. */
void pfi_phone_module_build_dir(const char *dir);

/* Whether this process has loaded the module (tests: a warm `check` must
 * not). */
bool pfi_phone_module_loaded(void);

#ifdef __cplusplus
}
#endif

#endif
