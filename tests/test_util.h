/*
 * test_util.h — assertion helpers for table-driven cmocka tests.
 *
 * Each helper reports the caller's __FILE__:__LINE__ and the name of the
 * table row that failed, so a failure in a loop over 500 rows points at the
 * row, not at the loop.
 */
#ifndef PREFLIGHT_TEST_UTIL_H
#define PREFLIGHT_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static inline void pf_check_at(const char *file, int line, const char *row, bool ok,
                               const char *what)
{
    if (!ok) {
        print_error("%s:%d: row '%s': %s\n", file, line, row, what);
        _fail(file, line);
    }
}

static inline void pf_check_str_at(const char *file, int line, const char *row, const char *got,
                                   const char *want)
{
    if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
        print_error("%s:%d: row '%s': got \"%s\", want \"%s\"\n", file, line, row,
                    got ? got : "(null)", want ? want : "(null)");
        _fail(file, line);
    }
}

static inline void pf_check_int_at(const char *file, int line, const char *row, long long got,
                                   long long want, const char *what)
{
    if (got != want) {
        print_error("%s:%d: row '%s': %s: got %lld, want %lld\n", file, line, row, what, got, want);
        _fail(file, line);
    }
}

/* Check a condition for a named row. */
#define pf_check(row, cond) pf_check_at(__FILE__, __LINE__, (row), (cond), #cond)
/* Compare two strings (NULL-safe) for a named row. */
#define pf_check_str(row, got, want) pf_check_str_at(__FILE__, __LINE__, (row), (got), (want))
/* Compare two integers for a named row. */
#define pf_check_int(row, got, want)                                                               \
    pf_check_int_at(__FILE__, __LINE__, (row), (long long)(got), (long long)(want), #got)

#define PF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include "preflight/findings.h"

/* The distinct finding ids of a list, sorted and joined by ',' into out:
 * what the table-driven tests compare against their expected sets. */
static inline void pf_test_finding_ids(const pf_finding_list *l, char *out, size_t cap)
{
    const char *ids[64];
    size_t n = 0;
    for (size_t i = 0; i < l->count && n < 64; i++) {
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup |= strcmp(ids[k], l->items[i].id) == 0;
        if (!dup)
            ids[n++] = l->items[i].id;
    }
    for (size_t i = 1; i < n; i++) {
        for (size_t k = i; k > 0 && strcmp(ids[k - 1], ids[k]) > 0; k--) {
            const char *t = ids[k];
            ids[k] = ids[k - 1];
            ids[k - 1] = t;
        }
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, ids[i], cap - strlen(out) - 1);
    }
}

#endif
