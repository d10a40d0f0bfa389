/*
 * util.h — small helpers the library uses itself and offers its callers.
 */
#ifndef PREFLIGHT_UTIL_H
#define PREFLIGHT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read a whole file ("-" is standard input) into a NUL-terminated heap
 * buffer the caller frees. Files larger than max_size fail with
 * PF_E_TOO_LARGE; diag names the file and the reason.
 */
PF_EXTERN pf_status pf_read_file(const char *path, size_t max_size, char **out, size_t *len, pf_diag *diag);

/*
 * SHA-256 over the *.json files of dir (names not starting with '.', the
 * files a rules or data directory is loaded from), as
 *     cd DIR && LC_ALL=C sha256sum *.json | sha256sum
 * computes it: each file's digest, two spaces, its name and a newline, in
 * byte order of the names, hashed again. *nfiles gets the number of files.
 * PF_E_IO when dir or a file cannot be read (errno is left as the failing
 * call set it).
 */
PF_EXTERN pf_status pf_dir_sha256(const char *dir, uint8_t sha[32], size_t *nfiles, pf_diag *diag);

/* What a rules or data directory holds, as `preflight --version` says it. */
typedef struct pf_dir_facts {
    size_t size;        /* the caller sets sizeof(pf_dir_facts); no more is filled */
    pf_status status;   /* PF_OK, or PF_E_IO: the directory could not be read */
    int error;          /* on PF_E_IO: errno of the failing call */
    uint8_t sha256[32]; /* pf_dir_sha256 */
    size_t files;
    bool loadable;      /* the rule packs / DIR/countries.json load */
    size_t count;       /* rules / countries, when loadable */
    char reviewed[11];  /* data: the newest `reviewed` date, "" when none */
} pf_dir_facts;

/*
 * The facts of rules_dir and data_dir: pf_dir_sha256 of each, the number
 * of rules pf_rules_load finds in rules_dir alone, and the countries of
 * data_dir/countries.json with their newest `reviewed` date. Loading is
 * the dear part, so the counts are kept in the start-up cache under both
 * content hashes and the versions of everything that decides whether a
 * load succeeds (this library, PCRE2, libphonenumber); any other case
 * loads as before.
 */
PF_EXTERN void pf_dir_facts_get(const char *rules_dir, const char *data_dir, pf_dir_facts *rules,
                                pf_dir_facts *data);

#ifdef __cplusplus
}
#endif

#endif
