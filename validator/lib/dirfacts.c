/*
 * dirfacts.c — what a rules directory and a data directory hold, by
 * content (util.h): the facts `preflight --version` prints.
 *
 * The hashes are cheap; the rule and country counts need the rule packs
 * and the country table loaded and validated, which was most of
 * --version's own time (issue 20). The counts depend only on the bytes of
 * the files the hashes cover (a rules directory loads from its *.json,
 * the data directory's countries.json is one of its *.json) and on the
 * code that loads them: this library, PCRE2 (a pattern that compiles) and
 * libphonenumber (which regions and calling codes exist). So they are
 * kept in the start-up cache (cache_int.h, file "version-facts") under a
 * key of both hashes and those versions, and a file's facts are written
 * only when the hashes, taken again after loading, have not changed
 * meanwhile. An unreadable directory, or a library whose identity is
 * unknown, is never cached. tests/cli/cache_test.py runs --version with
 * every kind of bad cache file against a run without the cache.
 *
 * A file's hash is taken from the memo of file hashes (hashmemo.c) when
 * its stat signature is the one recorded with it: a warm --version stats
 * the files and reads none of them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cache_int.h"
#include "internal.h"
#include "phonenumber_shim.h"
#include "preflight/countries.h"
#include "preflight/journal.h"
#include "preflight/scan.h"
#include "preflight/util.h"
#include "preflight/version.h"

#define FACTS_FILE "version-facts"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

pf_status pf_dir_sha256(const char *dir, uint8_t sha[32], size_t *nfiles, pf_diag *diag)
{
    DIR *d = dir ? opendir(dir) : NULL;
    char **names = NULL, *listing = NULL, *path = NULL;
    size_t n = 0, cap = 0;
    pf_status st = PF_E_IO;
    int err = 0;

    pf_diag_clear(diag);
    *nfiles = 0;
    if (!d) {
        err = dir ? errno : ENOENT;
        pfi_diag_file(diag, dir);
        pfi_diag_set(diag, PF_E_IO, "cannot open directory: %s", strerror(err));
        errno = err;
        return PF_E_IO;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (pfi_grow((void **)&names, &cap, n + 1, sizeof *names) != PF_OK ||
            !(names[n] = strdup(e->d_name))) {
            err = ENOMEM;
            st = PF_E_NOMEM;
            goto out;
        }
        n++;
    }
    qsort(names, n, sizeof *names, by_name);
    /* sha256sum's listing of the files, hashed again: what a shell on
     * another machine recomputes. */
    size_t lcap = 1, llen = 0, pcap = strlen(dir) + 2;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        lcap += 64 + 2 + l + 1;
        pcap = pcap > strlen(dir) + 2 + l ? pcap : strlen(dir) + 2 + l;
    }
    if (!(listing = malloc(lcap)) || !(path = malloc(pcap))) {
        err = ENOMEM;
        st = PF_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char hex[65];
        uint8_t fsha[32];
        snprintf(path, pcap, "%s/%s", dir, names[i]);
        /* From the memo of file hashes when the file is unchanged. */
        if (pfi_file_sha256(path, fsha, diag) != PF_OK) {
            err = errno;
            goto out;
        }
        pf_sha256_hex(fsha, hex);
        llen += (size_t)snprintf(listing + llen, lcap - llen, "%s  %s\n", hex, names[i]);
    }
    pf_sha256(listing, llen, sha);
    *nfiles = n;
    st = PF_OK;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(listing);
    free(path);
    closedir(d);
    pfi_file_sha256_flush();
    if (st != PF_OK) {
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
        errno = err;
    }
    return st;
}

/* The hash and file count of dir into f; false when it cannot be read. */
static bool hash_into(const char *dir, pf_dir_facts *f)
{
    pf_diag d;
    f->status = pf_dir_sha256(dir, f->sha256, &f->files, &d);
    f->error = f->status == PF_OK ? 0 : errno;
    return f->status == PF_OK;
}

/* The counts, the slow way: load and validate. */
static void load_counts(const char *rules_dir, const char *data_dir, pf_dir_facts *rules,
                        pf_dir_facts *data)
{
    pf_diag d;
    pf_ruleset *set = NULL;
    if (rules->status == PF_OK &&
        pf_rules_load_flags(&rules_dir, 1, PF_RULES_NO_JIT, &set, &d) == PF_OK) {
        rules->loadable = true;
        rules->count = pf_rules_count(set);
    }
    pf_rules_destroy(set);
    if (data->status != PF_OK)
        return;
    size_t n = strlen(data_dir) + sizeof "/countries.json";
    char *file = malloc(n);
    pf_countries *table = NULL;
    if (!file)
        return;
    snprintf(file, n, "%s/countries.json", data_dir);
    const char *files[1] = {file};
    if (pf_countries_load(files, 1, &table, &d) == PF_OK) {
        data->loadable = true;
        data->count = pf_countries_count(table);
        for (size_t i = 0; i < data->count; i++) {
            const char *r = pf_countries_at(table, i)->reviewed;
            if (strcmp(r, data->reviewed) > 0)
                memcpy(data->reviewed, r, sizeof data->reviewed);
        }
    }
    pf_countries_destroy(table);
    free(file);
}

/* The cache key for these hashes; false when there is none. */
static bool facts_key(const pf_dir_facts *rules, const pf_dir_facts *data, uint8_t key[32])
{
    char id[2048], v[64] = "", rh[65], dh[65], k[2400];
    if (rules->status != PF_OK || data->status != PF_OK || !pfi_cache_enabled() ||
        !pfi_phone_library_identity(id, sizeof id))
        return false;
    pcre2_config(PCRE2_CONFIG_VERSION, v);
    pf_sha256_hex(rules->sha256, rh);
    pf_sha256_hex(data->sha256, dh);
    int n = snprintf(k, sizeof k,
                     "version-facts 1\nlibpreflight %s\npcre2 %s\n%srules %s %zu\ndata %s %zu\n",
                     pf_version(), v, id, rh, rules->files, dh, data->files);
    if (n <= 0 || (size_t)n >= sizeof k)
        return false;
    pf_sha256(k, (size_t)n, key);
    return true;
}

/* Payload: u8 rules loadable, u64 rules, u8 data loadable, u64 countries,
 * char reviewed[11] (NUL-terminated). */
#define FACTS_LEN (1 + 8 + 1 + 8 + 11)

static void facts_put(const pf_dir_facts *rules, const pf_dir_facts *data, char *p)
{
    uint64_t rc = rules->count, dc = data->count;
    p[0] = rules->loadable;
    memcpy(p + 1, &rc, 8);
    p[9] = data->loadable;
    memcpy(p + 10, &dc, 8);
    memcpy(p + 18, data->reviewed, 11);
}

static bool facts_take(const char *p, size_t len, pf_dir_facts *rules, pf_dir_facts *data)
{
    uint64_t rc, dc;
    if (len != FACTS_LEN || (p[0] != 0 && p[0] != 1) || (p[9] != 0 && p[9] != 1) ||
        memchr(p + 18, '\0', 11) == NULL)
        return false;
    memcpy(&rc, p + 1, 8);
    memcpy(&dc, p + 10, 8);
    rules->loadable = p[0];
    rules->count = rules->loadable ? (size_t)rc : 0;
    data->loadable = p[9];
    data->count = data->loadable ? (size_t)dc : 0;
    memcpy(data->reviewed, p + 18, 11);
    return true;
}

static void facts_get(const char *rules_dir, const char *data_dir, pf_dir_facts *rules,
                      pf_dir_facts *data)
{
    uint8_t key[32];
    char *buf = NULL;
    size_t len = 0;
    hash_into(rules_dir, rules);
    hash_into(data_dir, data);
    bool keyed = facts_key(rules, data, key);
    if (keyed && pfi_cache_read(FACTS_FILE, key, &buf, &len)) {
        bool ok = facts_take(buf, len, rules, data);
        free(buf);
        if (ok)
            return;
    }
    load_counts(rules_dir, data_dir, rules, data);
    if (!keyed)
        return;
    /* Written only for the bytes that were loaded: the same hashes again. */
    pf_dir_facts r2 = {0}, d2 = {0};
    if (!hash_into(rules_dir, &r2) || !hash_into(data_dir, &d2) ||
        memcmp(r2.sha256, rules->sha256, 32) != 0 || memcmp(d2.sha256, data->sha256, 32) != 0 ||
        r2.files != rules->files || d2.files != data->files)
        return;
    char p[FACTS_LEN];
    facts_put(rules, data, p);
    (void)pfi_cache_write(FACTS_FILE, key, p, sizeof p);
}

/* The caller's structs may be older (smaller) ones: fill no more than
 * their size says. */
void pf_dir_facts_get(const char *rules_dir, const char *data_dir, pf_dir_facts *rules,
                      pf_dir_facts *data)
{
    pf_dir_facts r = {0}, d = {0};
    facts_get(rules_dir, data_dir, &r, &d);
    size_t rn = rules->size < sizeof r ? rules->size : sizeof r;
    size_t dn = data->size < sizeof d ? data->size : sizeof d;
    r.size = rn;
    d.size = dn;
    memcpy(rules, &r, rn);
    memcpy(data, &d, dn);
}
