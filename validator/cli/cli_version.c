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
    char **names = NULL, *listing = NULL;
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
    /* sha256sum's listing of the files, hashed again: what a shell on
     * another machine recomputes. The library's SHA-256 (journal.h). */
    size_t lcap = 1, llen = 0;
    for (size_t i = 0; i < n; i++)
        lcap += 64 + 2 + strlen(names[i]) + 1;
    if (!(listing = malloc(lcap)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX], hex[65];
        uint8_t sha[32];
        pf_diag dg;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (pf_sha256_file(path, sha, &dg) != PF_OK)
            goto out;
        pf_sha256_hex(sha, hex);
        llen += (size_t)snprintf(listing + llen, lcap - llen, "%s  %s\n", hex, names[i]);
    }
    uint8_t all[32];
    pf_sha256(listing, llen, all);
    pf_sha256_hex(all, out);
    rc = (int)n;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(listing);
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
