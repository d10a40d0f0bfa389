/*
 * status.c — status strings and the diagnostic struct.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "preflight/status.h"
#include "preflight/util.h"
#include "preflight/version.h"

const char *pf_strerror(pf_status status)
{
    switch (status) {
    case PF_OK: return "success";
    case PF_E_NOMEM: return "out of memory";
    case PF_E_INVALID: return "invalid argument";
    case PF_E_IO: return "input/output error";
    case PF_E_SYNTAX: return "syntax error";
    case PF_E_SCHEMA: return "invalid value";
    case PF_E_UTF8: return "invalid UTF-8";
    case PF_E_TOO_LARGE: return "input too large";
    case PF_E_NOT_FOUND: return "not found";
    case PF_E_NUMBER: return "phone number cannot be parsed";
    case PF_E_INTERNAL: return "internal error";
    case PF_E_TRANSPORT: return "transport error";
    case PF_E_LIMIT: return "limit exceeded";
    }
    return "unknown status";
}

void pf_diag_clear(pf_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
}

void pfi_diag_set(pf_diag *diag, pf_status status, const char *fmt, ...)
{
    if (!diag)
        return;
    va_list ap;
    diag->status = status;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
}

void pfi_diag_file(pf_diag *diag, const char *file)
{
    if (diag && file)
        snprintf(diag->file, sizeof diag->file, "%s", file);
}

void pfi_diag_path(pf_diag *diag, const char *fmt, ...)
{
    if (!diag)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->path, sizeof diag->path, fmt, ap);
    va_end(ap);
}

void pfi_copy_cut(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0)
        return;
    size_t n = len < cap - 1 ? len : cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

pf_status pf_read_file(const char *path, size_t max_size, char **out, size_t *len, pf_diag *diag)
{
    pf_status st = PF_OK;
    char *buf = NULL;
    size_t used = 0, cap = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");

    *out = NULL;
    *len = 0;
    pf_diag_clear(diag);
    pfi_diag_file(diag, path);
    if (!f) {
        pfi_diag_set(diag, PF_E_IO, "cannot open: %s", strerror(errno));
        return PF_E_IO;
    }
    for (;;) {
        if (cap - used < 4096 + 1) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                st = PF_E_NOMEM;
                pfi_diag_set(diag, st, "out of memory");
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + used, 1, cap - used - 1, f);
        used += n;
        if (used > max_size) {
            pfi_diag_set(diag, PF_E_TOO_LARGE, "file is larger than %zu bytes", max_size);
            st = PF_E_TOO_LARGE;
            goto out;
        }
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        pfi_diag_set(diag, PF_E_IO, "read error: %s", strerror(errno));
        st = PF_E_IO;
        goto out;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
out:
    free(buf);
    if (f != stdin)
        fclose(f);
    return st;
}

const char *pf_version(void)
{
    return PF_VERSION_STRING;
}

pf_status pfi_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return PF_OK;
    if (size == 0 || need > SIZE_MAX / size)
        return PF_E_NOMEM;
    size_t ncap = *cap ? *cap : 16;
    /* Double, but never past what ncap * size can hold. */
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 / size ? need : ncap * 2;
    void *na = realloc(*arr, ncap * size);
    if (!na)
        return PF_E_NOMEM;
    *arr = na;
    *cap = ncap;
    return PF_OK;
}

void pfi_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

pf_status pfi_diag_status(pf_diag *diag, pf_status st)
{
    if (st != PF_OK && diag && diag->status != st)
        pfi_diag_set(diag, st, "%s", pf_strerror(st));
    return st;
}
