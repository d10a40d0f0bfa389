/*
 * util.h — small helpers the library uses itself and offers its callers.
 */
#ifndef PREFLIGHT_UTIL_H
#define PREFLIGHT_UTIL_H

#include <stddef.h>

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

#ifdef __cplusplus
}
#endif

#endif
