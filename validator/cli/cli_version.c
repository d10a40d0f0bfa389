/*
 * cli_version.c — `preflight --version`: the program's and the library's
 * versions, and which rules and data the program would load, by content.
 *
 * A version number alone does not say which country facts and rules a run
 * used: the packs and the table are edited far more often than the code,
 * and --rules/--data or PREFLIGHT_*_DIR swap them. So the default rules/
 * and data/ directories are named with a SHA-256 over their JSON files
 * that anyone can recompute with coreutils —
 *     cd DIR && LC_ALL=C sha256sum *.json | sha256sum
 * — the number of rule packs and rules, and the newest `reviewed` date of
 * the country table.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
    uint32_t h[8];
    unsigned char block[64];
    size_t fill;
    uint64_t bytes;
};

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_init(struct sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->fill = 0;
    s->bytes = 0;
}

static void sha_block(struct sha256 *s, const unsigned char *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, s->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
                      ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        s->h[i] += v[i];
}

static void sha_update(struct sha256 *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->bytes += n;
    while (n) {
        size_t take = 64 - s->fill < n ? 64 - s->fill : n;
        memcpy(s->block + s->fill, p, take);
        s->fill += take;
        p += take;
        n -= take;
        if (s->fill == 64) {
            sha_block(s, s->block);
            s->fill = 0;
        }
    }
}

/* The digest as 64 lowercase hex digits and a NUL. */
static void sha_hex(struct sha256 *s, char out[65])
{
    uint64_t bits = s->bytes * 8;
    unsigned char pad[72] = {0x80};
    size_t npad = (s->fill < 56 ? 56 : 120) - s->fill;
    for (int i = 0; i < 8; i++)
        pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, pad, npad + 8);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", (unsigned)s->h[i]);
}

/* ---- the directories ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Hash dir's *.json files as `sha256sum *.json | sha256sum` would (the
 * file digests, two spaces, the name, a newline; names in byte order).
 * Returns the number of files, or -1 when dir or a file cannot be read.
 */
static int hash_dir(const char *dir, char out[65])
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown)
                goto out;
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name)))
            goto out;
        n++;
    }
    qsort(names, n, sizeof *names, by_name);
    struct sha256 all;
    sha_init(&all);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], hex[65];
        unsigned char buf[65536];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            goto out;
        struct sha256 one;
        sha_init(&one);
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            sha_update(&one, buf, got);
        bool bad = ferror(f) != 0;
        fclose(f);
        if (bad)
            goto out;
        sha_hex(&one, hex);
        sha_update(&all, hex, 64);
        sha_update(&all, "  ", 2);
        sha_update(&all, names[i], strlen(names[i]));
        sha_update(&all, "\n", 1);
    }
    sha_hex(&all, out);
    rc = (int)n;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

static const char *default_dir(const char *what, const char *env, char *buf, size_t cap)
{
    const char *e = getenv(env);
    return e && *e ? e : cli_default_dir(what, buf, cap);
}

void cli_print_version(FILE *f)
{
    char rbuf[PATH_MAX], dbuf[PATH_MAX], hex[65];
    const char *rules = default_dir("rules", "PREFLIGHT_RULES_DIR", rbuf, sizeof rbuf);
    const char *data = default_dir("data", "PREFLIGHT_DATA_DIR", dbuf, sizeof dbuf);
    pf_diag d;

    fprintf(f, "preflight %s\n", PF_VERSION_STRING);
    fprintf(f, "libpreflight %s\n", pf_version());

    int n = hash_dir(rules, hex);
    if (n < 0) {
        fprintf(f, "rules: %s: cannot read: %s\n", rules, strerror(errno));
    } else {
        pf_ruleset *set = NULL;
        fprintf(f, "rules: sha256:%s, %d packs", hex, n);
        if (pf_rules_load_flags(&rules, 1, PF_RULES_NO_JIT, &set, &d) == PF_OK)
            fprintf(f, ", %zu rules", pf_rules_count(set));
        else
            fprintf(f, ", not loadable");
        fprintf(f, " (%s)\n", rules);
        pf_rules_destroy(set);
    }

    n = hash_dir(data, hex);
    if (n < 0) {
        fprintf(f, "data: %s: cannot read: %s\n", data, strerror(errno));
    } else {
        char file[PATH_MAX];
        const char *files[1] = {file};
        pf_countries *table = NULL;
        snprintf(file, sizeof file, "%s/countries.json", data);
        fprintf(f, "data: sha256:%s, %d files", hex, n);
        if (pf_countries_load(files, 1, &table, &d) == PF_OK) {
            const char *newest = "";
            for (size_t i = 0; i < pf_countries_count(table); i++) {
                const char *r = pf_countries_at(table, i)->reviewed;
                if (strcmp(r, newest) > 0)
                    newest = r;
            }
            fprintf(f, ", %zu countries, reviewed up to %s", pf_countries_count(table),
                    newest[0] ? newest : "never");
        } else {
            fprintf(f, ", countries.json not loadable");
        }
        fprintf(f, " (%s)\n", data);
        pf_countries_destroy(table);
    }
}
