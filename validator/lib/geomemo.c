/*
 * geomemo.c — the geocoder's descriptions of numbers seen before, kept in
 * the start-up cache (cache_int.h, file "geo-descriptions"; issue 20).
 *
 * Quiet hours ask the offline geocoder where a recipient is. Loading it
 * (libgeocoding's tables, and PhoneNumberUtil behind it) is about 10 ms
 * and 17 MB of a 45 ms, 34 MB `check`: the biggest single cost of one
 * check to a number in a country with quiet hours. The memo maps an E.164
 * number, exactly, to the geocoder's answer for it (or to "none"), so a
 * number checked before needs no geocoder; any other number asks it as
 * before and is added. Exact keys make a hit the geocoder's own answer,
 * as long as the geocoder is the same: the file's key is the identity
 * (path, size, modification time, inode) of libphonenumber.so and of the
 * libgeocoding.so beside it (one Debian source package ships both, so
 * they change together), plus this library's version.
 *
 * Reads take no lock: the file is read once into a sorted array that is
 * never changed. New answers go to a list written back with the old
 * entries (at most PUT_WRITES times per process, at most MAX_ENTRIES in
 * the file), so a batch over many numbers does not rewrite it per row.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "internal.h"
#include "phonenumber_shim.h"
#include "preflight/journal.h"
#include "preflight/version.h"

#define FILE_NAME "geo-descriptions"
#define MAX_ENTRIES 4096
#define PUT_WRITES 8
#define NONE "\x01" /* the geocoder had no description */

struct entry {
    const char *e164, *desc; /* into memo.data */
};

static struct {
    bool usable; /* a key could be made */
    uint8_t key[32];
    char *data; /* the file's payload: lines "e164\tdescription\n" */
    size_t len;
    struct entry *e; /* sorted by e164 */
    size_t n;
} memo;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t put_lock = PTHREAD_MUTEX_INITIALIZER;
static char *pending; /* lines added in this process, under put_lock */
static size_t pending_len, pending_n;
static unsigned writes;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->e164, ((const struct entry *)b)->e164);
}

/* Parse the payload in place; false (nothing trusted) when any line is
 * not "+digits\tdescription". */
static bool parse(void)
{
    size_t cap = 0;
    for (size_t i = 0; i < memo.len; i++)
        cap += memo.data[i] == '\n';
    if (cap > MAX_ENTRIES || (memo.len && memo.data[memo.len - 1] != '\n'))
        return false;
    memo.e = calloc(cap ? cap : 1, sizeof *memo.e);
    if (!memo.e)
        return false;
    for (char *p = memo.data, *end = memo.data + memo.len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *tab = memchr(p, '\t', (size_t)(nl - p));
        if (!tab || p[0] != '+' || tab - p < 2 || tab - p > 16 || tab + 1 == nl)
            return false;
        for (char *d = p + 1; d < tab; d++)
            if (*d < '0' || *d > '9')
                return false;
        *tab = *nl = '\0';
        memo.e[memo.n++] = (struct entry){p, tab + 1};
        p = nl + 1;
    }
    qsort(memo.e, memo.n, sizeof *memo.e, cmp_entry);
    return true;
}

static void load(void)
{
    char id[2048], key[2200];
    if (!pfi_phone_library_identity(id, sizeof id))
        return;
    snprintf(key, sizeof key, "geo-descriptions 1\nlibpreflight %s\n%s", pf_version(), id);
    pf_sha256(key, strlen(key), memo.key);
    memo.usable = true;
    if (!pfi_cache_read(FILE_NAME, memo.key, &memo.data, &memo.len))
        return;
    if (!parse()) {
        free(memo.e);
        free(memo.data);
        memo.e = NULL;
        memo.data = NULL;
        memo.n = memo.len = 0;
    }
}

int pfi_geomemo_get(const char *e164, char *buf, size_t cap)
{
    pthread_once(&once, load);
    struct entry k = {e164, NULL};
    const struct entry *e = memo.n ? bsearch(&k, memo.e, memo.n, sizeof *memo.e, cmp_entry) : NULL;
    if (!e)
        return -1;
    if (strcmp(e->desc, NONE) == 0)
        return 0;
    snprintf(buf, cap, "%s", e->desc);
    return 1;
}

void pfi_geomemo_put(const char *e164, const char *desc)
{
    pthread_once(&once, load);
    const char *d = desc ? desc : NONE;
    size_t el = strlen(e164), dl = strlen(d);
    if (!memo.usable || el < 2 || el > 16 || e164[0] != '+' || strspn(e164 + 1, "0123456789") != el - 1 ||
        !dl || strpbrk(d, "\t\n"))
        return; /* only what parse() accepts back */
    pthread_mutex_lock(&put_lock);
    if (writes < PUT_WRITES && memo.n + pending_n < MAX_ENTRIES) {
        char *p = realloc(pending, pending_len + el + dl + 3); /* tab, newline, NUL */
        if (p) {
            pending = p;
            pending_len += (size_t)sprintf(pending + pending_len, "%s\t%s\n", e164, d);
            pending_n++;
            /* The file's old entries and every new one; unsorted is fine. */
            char *all = malloc(memo.len + pending_len + 1);
            if (all) {
                /* memo.data's separators were turned into NULs: rebuild lines. */
                size_t n = 0;
                for (size_t i = 0; i < memo.n; i++)
                    n += (size_t)sprintf(all + n, "%s\t%s\n", memo.e[i].e164, memo.e[i].desc);
                memcpy(all + n, pending, pending_len);
                if (pfi_cache_write(FILE_NAME, memo.key, all, n + pending_len))
                    writes++;
                free(all);
            }
        }
    }
    pthread_mutex_unlock(&put_lock);
}
