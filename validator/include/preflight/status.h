/*
 * status.h — the one status enum and the diagnostic struct.
 *
 * Every library call that can fail returns a pf_status. Calls that read
 * outside input also fill a pf_diag, so the caller can say where the input
 * was wrong (file, line, column, byte offset, key path) without the library
 * ever printing.
 */
#ifndef PREFLIGHT_STATUS_H
#define PREFLIGHT_STATUS_H

#include <stddef.h>

/*
 * PF_EXTERN marks the library's public functions: the shared library is
 * built with -fvisibility=hidden, so only these are exported.
 */
#if defined(__GNUC__)
#define PF_EXTERN __attribute__((visibility("default")))
#else
#define PF_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pf_status {
    PF_OK = 0,      /* 0 */
    PF_E_NOMEM,     /* 1  allocation failed */
    PF_E_INVALID,   /* 2  invalid argument from the caller */
    PF_E_IO,        /* 3  a file could not be read or written */
    PF_E_SYNTAX,    /* 4  input is not well formed (JSON, regex, CSV, time) */
    PF_E_SCHEMA,    /* 5  well formed, but a key, type or value is wrong */
    PF_E_UTF8,      /* 6  invalid UTF-8 */
    PF_E_TOO_LARGE, /* 7  input exceeds a documented limit */
    PF_E_NOT_FOUND, /* 8  a named thing (region, rule, number) is unknown */
    PF_E_NUMBER,    /* 9  a phone number cannot be parsed */
    PF_E_INTERNAL,  /* 10 a dependency failed unexpectedly */
    PF_E_TRANSPORT, /* 11 the network request failed */
    PF_E_LIMIT      /* 12 a match or resource limit was hit */
} pf_status;

/* A short English description of a status; never NULL. */
PF_EXTERN const char *pf_strerror(pf_status status);

/*
 * Where and why input was rejected. Fields that do not apply are 0 / empty.
 * line and column are 1-based; offset is a 0-based byte offset.
 */
typedef struct pf_diag {
    pf_status status;
    char file[512];
    unsigned line;
    unsigned column;
    size_t offset;
    char path[256]; /* key path into a document, e.g. "DE.senders.alphanumeric" */
    char message[512];
} pf_diag;

/* Reset a diag to "no error". Accepts NULL. */
PF_EXTERN void pf_diag_clear(pf_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
