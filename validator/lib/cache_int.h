/*
 * cache_int.h — the start-up cache (issue 20): results that are costly to
 * work out at every start and depend only on named inputs, kept in one
 * file per kind under $XDG_CACHE_HOME/sms-preflight (else
 * $HOME/.cache/sms-preflight; neither set: no cache).
 *
 * A file is trusted only when everything checks: its magic and format
 * version, the key (a SHA-256 of what the content depends on: versions of
 * the libraries that computed it, the source files' bytes), the payload
 * size against the file size, and the payload's own SHA-256. Anything
 * else is a miss: the caller computes the answer the slow way, as without
 * a cache, and writes a fresh file (a temporary file renamed over the old
 * one, so a reader never sees half a file). A cache that cannot be written
 * (read-only directory, no $HOME) is simply not used. The library never
 * prints: what happened is in pfi_cache_last (for tests).
 *
 * PREFLIGHT_NO_CACHE=1 (any non-empty value but "0") turns the cache off;
 * PREFLIGHT_CACHE_DIR names the directory instead of the XDG one.
 */
#ifndef PREFLIGHT_CACHE_INT_H
#define PREFLIGHT_CACHE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "preflight/status.h"

enum pfi_cache_event {
    PFI_CACHE_OFF = 0,   /* disabled, or no directory to use */
    PFI_CACHE_HIT,       /* read and every check passed */
    PFI_CACHE_MISSING,   /* no file */
    PFI_CACHE_REJECTED,  /* a file that failed a check (corrupt, stale, other format) */
    PFI_CACHE_WRITTEN,   /* a fresh file was written */
    PFI_CACHE_WRITE_FAILED
};

/* The directory in use (NULL: no cache), for the name given (a file
 * name, no slash); into buf. */
const char *pfi_cache_path(const char *name, char *buf, size_t cap);

/* Whether there is a cache to use at all (not off, a directory named):
 * callers skip working out a key when there is not. */
bool pfi_cache_enabled(void);

/* The payload of cache file name when it is valid for key; malloc'd into
 * *data (NUL-terminated past *len, for text payloads); false on a miss. */
bool pfi_cache_read(const char *name, const uint8_t key[32], char **data, size_t *len);

/* Replace cache file name with payload data for key (atomically); false
 * when it could not be written (never an error to the caller). */
bool pfi_cache_write(const char *name, const uint8_t key[32], const void *data, size_t len);

/* Tests: what the last read or write in this thread did. */
enum pfi_cache_event pfi_cache_last(void);

/*
 * The memo of file content hashes (hashmemo.c, file "file-hashes"): the
 * SHA-256 of a file's bytes, as pf_sha256_file gives it, answered from the
 * memo when the file's stat signature (device, inode, size, modification
 * and change times) is the one recorded with the hash, and the entry was
 * recorded at least two seconds after both times; otherwise the file is
 * read and hashed, and the entry recorded. Without a cache it is
 * pf_sha256_file. Errors (and their diag) are pf_sha256_file's.
 */
pf_status pfi_file_sha256(const char *path, uint8_t out[32], pf_diag *diag);

/* Write the entries recorded since the last call (one cache write; none
 * when nothing is new). Callers call it when done with a set of files. */
void pfi_file_sha256_flush(void);

/* Tests: whether this thread's last pfi_file_sha256 was answered from the
 * memo; and forget the memo read in this process (as a new process would). */
bool pfi_file_sha256_was_memo(void);
void pfi_file_sha256_forget(void);

/* The memo reader on a payload (fuzz_snapshot): the number of entries it
 * accepts, or -1 when it refuses the payload. */
long pfi_file_sha256_parse(const char *payload, size_t len);

#endif
