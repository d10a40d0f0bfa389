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
 * the country table. The library works them out (pf_dir_facts_get, from
 * the start-up cache when it can).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
    pf_dir_facts r = {.size = sizeof r}, d = {.size = sizeof d};
    /* No installed directory and no variable: say so rather than crash. */
    const char *rname = rules ? rules : "(no rules directory)";
    const char *dname = data ? data : "(no data directory)";

    fprintf(f, "preflight %s\n", PF_VERSION_STRING);
    fprintf(f, "libpreflight %s\n", pf_version());
    /* The counts come from the start-up cache when these bytes were
     * counted before (dirfacts.c). */
    pf_dir_facts_get(rules, data, &r, &d);

    if (r.status != PF_OK) {
        fprintf(f, "rules: %s: cannot read: %s\n", rname, strerror(r.error));
    } else {
        pf_sha256_hex(r.sha256, hex);
        fprintf(f, "rules: sha256:%s, %zu packs", hex, r.files);
        if (r.loadable)
            fprintf(f, ", %zu rules", r.count);
        else
            fprintf(f, ", not loadable");
        fprintf(f, " (%s)\n", rules);
    }

    if (d.status != PF_OK) {
        fprintf(f, "data: %s: cannot read: %s\n", dname, strerror(d.error));
    } else {
        pf_sha256_hex(d.sha256, hex);
        fprintf(f, "data: sha256:%s, %zu files", hex, d.files);
        if (d.loadable)
            fprintf(f, ", %zu countries, reviewed up to %s", d.count,
                    d.reviewed[0] ? d.reviewed : "never");
        else
            fprintf(f, ", countries.json not loadable");
        fprintf(f, " (%s)\n", data);
    }
}
