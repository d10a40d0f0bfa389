/*
 * bench_scan.c — throughput of the content scanner with every shipped pack,
 * on one core, over the labelled corpus's messages.
 *
 * Machines here are shared and noisy, so the figure that matters is the
 * ratio against a baseline measured in the same process, interleaved:
 * segment counting alone (which every check does anyway).
 *
 * The scanner runs twice: with the one-pass prefilter (onepass.c) and
 * PCRE2-only, interleaved in the same process; and once more with the
 * phone-number rules disabled, since libphonenumber's matcher is a cost
 * the prefilter does not touch (issue 15: what bounds the rate).
 *
 * usage: bench_scan [SECONDS_PER_ROUND [profile]]   (default 1; "profile" runs
 * only the one-pass scan without the phone rules, for perf)
 *        bench_scan 0 passes N [pcre2] [nophone] [without ID]...   N passes
 * over the corpus (with the rules named disabled besides) and
 * nothing timed, for an instruction count that machine load does not move:
 * valgrind --tool=callgrind with N = 2, minus the same with N = 0, over
 * 2 x 315 messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "preflight/preflight.h"
#include "rules_int.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct corpus {
    char **text;
    size_t *len;
    char **country;
    size_t n;
};

static int load(struct corpus *c)
{
    char *buf;
    size_t len;
    pf_diag d;
    if (pf_read_file(PF_SOURCE_DIR "/tests/corpus/messages.jsonl", 1 << 24, &buf, &len, &d))
        return -1;
    c->text = calloc(4096, sizeof *c->text);
    c->len = calloc(4096, sizeof *c->len);
    c->country = calloc(4096, sizeof *c->country);
    for (char *line = strtok(buf, "\n"); line && c->n < 4096; line = strtok(NULL, "\n")) {
        cJSON *row = cJSON_Parse(line);
        if (!row)
            continue;
        const cJSON *t = cJSON_GetObjectItem(row, "text");
        const cJSON *cc = cJSON_GetObjectItem(row, "country");
        c->text[c->n] = strdup(t->valuestring);
        c->len[c->n] = strlen(t->valuestring);
        c->country[c->n] = cJSON_IsString(cc) ? strdup(cc->valuestring) : NULL;
        c->n++;
        cJSON_Delete(row);
    }
    free(buf);
    return 0;
}

/* Messages per second of one kind of work for about secs seconds. Kind 3
 * scans with the rules of off[] disabled: the phone rules, and in a count
 * of passes those named after "without" too. */
static const char *off[32];
static size_t noff;
static const char *phone[8];
static size_t nphone;

static double run(int kind, const struct corpus *c, pf_scanner *sc, const pf_countries *t,
                  double secs)
{
    size_t done = 0;
    double start = now(), end;
    do {
        for (size_t i = 0; i < c->n; i++) {
            if (kind == 0) {
                pf_segments *seg = NULL;
                pf_segments_compute(c->text[i], c->len[i], &seg, NULL);
                pf_segments_destroy(seg);
            } else {
                pf_scan_options o = pf_scan_options_default();
                o.country = c->country[i];
                o.country_entry = c->country[i] ? pf_countries_get(t, c->country[i]) : NULL;
                o.first_message = PF_FIRST_YES;
                o.brand = "Acme";
                if (kind == 3) {
                    o.disabled = off;
                    o.disabled_count = noff;
                }
                pf_finding_list f;
                pf_finding_list_init(&f);
                pf_scanner_scan(sc, c->text[i], c->len[i], &o, &f, NULL);
                pf_finding_list_clear(&f);
            }
        }
        done += c->n;
        end = now();
    } while (end - start < secs);
    return (double)done / (end - start);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    const char *dir = PF_SOURCE_DIR "/rules";
    const char *table_file = PF_SOURCE_DIR "/data/countries.json";
    struct corpus c = {0};
    pf_ruleset *rules;
    pf_countries *table;
    pf_scanner *sc;
    pf_diag d;
    if (load(&c) || pf_rules_load(&dir, 1, &rules, &d) ||
        pf_countries_load(&table_file, 1, &table, &d) || pf_scanner_create(rules, &sc)) {
        fprintf(stderr, "bench_scan: setup failed\n");
        return 2;
    }
    for (size_t i = 0; i < pf_rules_count(rules) && nphone < 8; i++) {
        const pf_rule_info *ri = pf_rules_at(rules, i);
        if (ri->matcher == PF_MATCH_BUILTIN && rules->rules[i].builtin == PFI_BUILTIN_PHONE)
            off[noff++] = phone[nphone++] = ri->id;
    }
    /* The scan itself, not the memo of whole scans (a batch's repeated texts). */
    pfi_scanner_set_memo(sc, false);
    if (argc > 3 && strcmp(argv[2], "passes") == 0) {
        int passes = atoi(argv[3]);
        int kind = 1;
        noff = 0;
        for (int a = 4; a < argc; a++) {
            if (strcmp(argv[a], "pcre2") == 0)
                pfi_scanner_set_onepass(sc, false);
            if (strcmp(argv[a], "nophone") == 0) {
                kind = 3;
                for (size_t i = 0; i < nphone && noff < 32; i++)
                    off[noff++] = phone[i];
            }
            if (strcmp(argv[a], "without") == 0 && a + 1 < argc && noff < 32) {
                kind = 3;
                off[noff++] = argv[++a];
            }
        }
        size_t n = 0;
        for (int p = 0; p < passes; p++) {
            (void)run(kind, &c, sc, table, 0); /* secs 0: exactly one pass */
            n += c.n;
        }
        printf("%zu scans\n", n);
        return 0;
    }
    if (argc > 2 && strcmp(argv[2], "profile") == 0) {
        printf("one pass, phone rules disabled: %.0f messages/s\n", run(3, &c, sc, table, secs));
        return 0;
    }
    /* Interleave the measurements so drift in machine load hits all. */
    double seg = 0, one = 0, pcre = 0, nophone = 0;
    const int rounds = 5;
    for (int r = 0; r < rounds; r++) {
        seg += run(0, &c, sc, table, secs);
        pfi_scanner_set_onepass(sc, true);
        one += run(1, &c, sc, table, secs);
        pfi_scanner_set_onepass(sc, false);
        pcre += run(1, &c, sc, table, secs);
        pfi_scanner_set_onepass(sc, true);
        nophone += run(3, &c, sc, table, secs);
    }
    seg /= rounds;
    one /= rounds;
    pcre /= rounds;
    nophone /= rounds;
    size_t exact, pre, absent;
    pfi_onepass_stats(rules, &exact, &pre, &absent);
    (void)pre;
    printf("corpus: %zu messages, %zu rules, %zu patterns (the one-pass prefilter judges %zu, "
           "%zu always run), %d rounds of %.1f s each\n",
           c.n, pf_rules_count(rules), rules->ncodes, exact, absent, rounds, secs);
    printf("segments only (baseline):        %9.0f messages/s\n", seg);
    printf("scan, all packs, PCRE2 only:     %9.0f messages/s (%.1fx the baseline)\n", pcre,
           seg / pcre);
    printf("scan, all packs, one pass:       %9.0f messages/s (%.1fx the baseline)\n", one,
           seg / one);
    printf("one pass, phone rules disabled:  %9.0f messages/s (%.1fx the baseline)\n", nophone,
           seg / nophone);
    printf("one pass vs PCRE2 only: %.1fx faster\n", one / pcre);
    pf_scanner_destroy(sc);
    pf_countries_destroy(table);
    pf_rules_destroy(rules);
    for (size_t i = 0; i < c.n; i++) {
        free(c.text[i]);
        free(c.country[i]);
    }
    free(c.text);
    free(c.len);
    free(c.country);
    return 0;
}
