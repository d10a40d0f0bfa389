/*
 * diff_numfast.c — the compiled number engine (numfast.c) against
 * libphonenumber itself, number by number: E.164, region, type, valid,
 * possible and calling code must be identical for every input the engine
 * answers, and it must answer nearly all of them (a test that the engine
 * declines everything would prove nothing).
 *
 *   diff_numfast          the CI set (> 500 000 numbers)
 *   diff_numfast --full   the benchmark-mode set (> 10 000 000 numbers)
 *   diff_numfast --quick  the sanitizer builds' set (examples, 1-digit
 *                         prefixes, 20 000 random numbers)
 *
 * Inputs: every example number of every region and type, each mutated (a
 * digit dropped, appended, or changed at every position); per calling code,
 * every national prefix of 1-2 digits (1-4 with --full) filled with random
 * digits (three fillings; one with --full) to every possible length of the
 * code's main region and one either side; and uniformly random strict E.164 strings. Only strict
 * E.164 input reaches the engine's parser, so only that is generated for
 * it. Its national check of runs of digits (national_runs below) is
 * compared likewise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfast_int.h"
#include "phonenumber_shim.h"
#include "preflight/number.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;
static unsigned long long n_total, n_fast, n_diff;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void check(const char *s, size_t len)
{
    pfi_phone_info fast, slow;

    if (!pf_number_is_strict_e164(s, len))
        return;
    n_total++;
    if (!pfi_numfast_parse(s, len, &fast))
        return;
    n_fast++;
    char buf[32];
    memcpy(buf, s, len);
    buf[len] = '\0';
    pfi_phone_error e = pfi_phone_parse(buf, len, NULL, &slow);
    if (e != PFI_PHONE_OK || strcmp(fast.e164, slow.e164) != 0 ||
        strcmp(fast.region, slow.region) != 0 || fast.type != slow.type ||
        fast.valid != slow.valid || fast.possible != slow.possible ||
        fast.calling_code != slow.calling_code) {
        if (n_diff < 20)
            fprintf(stderr,
                    "DIFF %s: fast %s %s type %d valid %d possible %d cc %d | "
                    "libphonenumber err %d %s %s type %d valid %d possible %d cc %d\n",
                    buf, fast.e164, fast.region, fast.type, fast.valid, fast.possible,
                    fast.calling_code, (int)e, slow.e164, slow.region, slow.type, slow.valid,
                    slow.possible, slow.calling_code);
        n_diff++;
    }
}

/* An example and its one-digit mutations. */
static void mutate(const char *ex)
{
    char b[40];
    size_t n = strlen(ex);
    if (n + 2 > sizeof b)
        return;
    check(ex, n);
    check(ex, n - 1); /* a digit dropped */
    for (int d = 0; d < 10; d++) {
        memcpy(b, ex, n);
        b[n] = (char)('0' + d); /* a digit appended */
        check(b, n + 1);
    }
    for (size_t i = 1; i < n; i++) {
        for (int d = 0; d < 10; d++) {
            memcpy(b, ex, n);
            if (b[i] == '0' + d)
                continue;
            b[i] = (char)('0' + d);
            check(b, n);
        }
    }
}

static void examples(void)
{
    static char regions[400][3];
    long nr = pfi_phone_regions(regions, 400);
    for (long r = 0; r < nr && r < 400; r++) {
        for (int t = 0; t < PF_NUMBER_TYPE_COUNT; t++) {
            char ex[32];
            if (pfi_phone_example(regions[r], t, ex, sizeof ex))
                mutate(ex);
        }
    }
}

static const pfi_phone_meta *main_meta(const pfi_phone_meta *metas, size_t nm, int cc)
{
    char regions[64][4];
    if (pfi_phone_calling_code_regions(cc, regions, 64) < 1)
        return NULL;
    for (size_t i = 0; i < nm; i++) {
        if (strcmp(metas[i].id, regions[0]) == 0 &&
            (strcmp(regions[0], "001") != 0 || metas[i].calling_code == cc))
            return &metas[i];
    }
    return NULL;
}

/* Every national prefix up to max_prefix digits, at every length of the
 * main region's general description and one either side. */
static void prefixes(int max_prefix, int fills)
{
    int codes[1000];
    pfi_phone_meta *metas;
    size_t nm;
    long nc = pfi_phone_calling_codes(codes, 1000);
    if (nc < 0 || !pfi_phone_metadata(&metas, &nm)) {
        fprintf(stderr, "cannot read libphonenumber's metadata\n");
        exit(1);
    }
    for (long c = 0; c < nc; c++) {
        const pfi_phone_meta *m = main_meta(metas, nm, codes[c]);
        if (!m)
            continue;
        uint32_t lens = 0;
        for (int i = 0; i < m->desc[0].n_lengths; i++) {
            int l = m->desc[0].lengths[i];
            if (l > 0 && l < 30)
                lens |= 7u << (l - 1);
        }
        char cc[8];
        int ccl = snprintf(cc, sizeof cc, "+%d", codes[c]);
        for (int k = 1; k <= max_prefix; k++) {
            int lim = 1;
            for (int i = 0; i < k; i++)
                lim *= 10;
            for (int p = 0; p < lim; p++) {
                for (int l = k; l < 32; l++) {
                    if (!(lens >> l & 1))
                        continue;
                    for (int f = 0; f < fills; f++) {
                        char b[48];
                        memcpy(b, cc, (size_t)ccl);
                        for (int i = k - 1, q = p; i >= 0; i--, q /= 10)
                            b[ccl + i] = (char)('0' + q % 10);
                        for (int i = k; i < l; i++)
                            b[ccl + i] = (char)('0' + next() % 10);
                        check(b, (size_t)(ccl + l));
                    }
                }
            }
        }
    }
    pfi_phone_metadata_free(metas, nm);
}

static void random_numbers(unsigned long count)
{
    for (unsigned long i = 0; i < count; i++) {
        char b[20];
        size_t len = 9 + next() % 8;
        b[0] = '+';
        b[1] = (char)('1' + next() % 9);
        for (size_t k = 2; k < len; k++)
            b[k] = (char)('0' + next() % 10);
        check(b, len);
    }
}

/* Every calling code's regions: the engine builds the lists from the
 * metadata itself (no PhoneNumberUtil at start); libphonenumber's are the
 * reference, order included. Also every code either knows. */
static int calling_code_table(void)
{
    int bad = 0, known = 0, codes[1000];
    char fast[64][4], slow[64][4];
    long nc = pfi_phone_calling_codes(codes, 1000);
    bool in_lib[1000] = {false};
    if (nc <= 0 || nc > 1000) {
        fprintf(stderr, "libphonenumber lists %ld calling codes\n", nc);
        return 1;
    }
    for (long i = 0; i < nc; i++)
        if (codes[i] > 0 && codes[i] < 1000)
            in_lib[codes[i]] = true;
    for (int cc = 1; cc < 1000; cc++) {
        long nf = pfi_numfast_calling_code_regions(cc, fast, 64);
        long ns = in_lib[cc] ? pfi_phone_calling_code_regions(cc, slow, 64) : 0;
        bool same = nf == ns && nf >= 0 && nf <= 64;
        for (long r = 0; same && r < nf; r++)
            same = strcmp(fast[r], slow[r]) == 0;
        if (!same) {
            fprintf(stderr, "calling code %d: the engine has %ld regions, libphonenumber %ld\n", cc,
                    nf, ns);
            bad++;
        }
        known += ns > 0;
    }
    if (known != nc) {
        fprintf(stderr, "%d calling codes with regions, libphonenumber lists %ld\n", known, nc);
        bad++;
    }
    return bad;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The start-up cache's flat copy of the metadata (metacache.c) gives every
 * field of every entry back. */
static int metadata_round_trip(void)
{
    pfi_phone_meta *a = NULL, *b = NULL;
    size_t na = 0, nb = 0, len = 0;
    char *buf = NULL;
    int bad = 0;
    if (!pfi_phone_metadata(&a, &na) || !pfi_phone_meta_serialize(a, na, &buf, &len) ||
        !pfi_phone_meta_deserialize(buf, len, &b, &nb) || na != nb || na == 0) {
        fprintf(stderr, "metadata round trip failed\n");
        return 1;
    }
    for (size_t i = 0; i < na; i++) {
        bool same = memcmp(a[i].id, b[i].id, 4) == 0 && a[i].calling_code == b[i].calling_code &&
                    a[i].same_mobile_and_fixed_line == b[i].same_mobile_and_fixed_line &&
                    a[i].main_country_for_code == b[i].main_country_for_code &&
                    same_str(a[i].leading_digits, b[i].leading_digits) &&
                    same_str(a[i].national_prefix_for_parsing, b[i].national_prefix_for_parsing) &&
                    same_str(a[i].transform_rule, b[i].transform_rule) &&
                    same_str(a[i].international_prefix, b[i].international_prefix);
        for (int d = 0; same && d < PFI_PHONE_DESCS; d++) {
            const pfi_phone_desc *x = &a[i].desc[d], *y = &b[i].desc[d];
            same = same_str(x->pattern, y->pattern) && x->n_lengths == y->n_lengths &&
                   x->n_local == y->n_local &&
                   memcmp(x->lengths, y->lengths, sizeof(int) * (size_t)x->n_lengths) == 0 &&
                   memcmp(x->local, y->local, sizeof(int) * (size_t)x->n_local) == 0;
        }
        if (!same) {
            fprintf(stderr, "metadata entry %zu (%s) differs after a round trip\n", i, a[i].id);
            bad++;
        }
    }
    /* A cut copy is refused, never half read. */
    pfi_phone_meta *c = NULL;
    size_t nc = 0;
    if (pfi_phone_meta_deserialize(buf, len - 1, &c, &nc)) {
        fprintf(stderr, "a truncated copy was accepted\n");
        pfi_phone_metadata_free(c, nc);
        bad++;
    }
    free(buf);
    pfi_phone_metadata_free(a, na);
    pfi_phone_metadata_free(b, nb);
    return bad;
}

static int region_table(void)
{
    int bad = 0;
    char r[3] = {0};
    for (int a = 0; a < 26; a++) {
        for (int b = 0; b < 26; b++) {
            r[0] = (char)('A' + a);
            r[1] = (char)('B' + b - 1);
            int cc;
            if (!pfi_numfast_region_calling_code(r, &cc) ||
                (cc != 0) != pfi_phone_region_supported(r) ||
                (cc != 0 && cc != pfi_phone_region_calling_code(r))) {
                fprintf(stderr, "region table differs for %s\n", r);
                bad++;
            }
        }
    }
    static const char *const odd[] = {"", "u", "us", "USA", "001", "ZZ", "U1", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        int cc;
        if (!pfi_numfast_region_calling_code(odd[i], &cc) ||
            (cc != 0) != pfi_phone_region_supported(odd[i])) {
            fprintf(stderr, "region table differs for '%s'\n", odd[i]);
            bad++;
        }
    }
    return bad + calling_code_table() + metadata_round_trip();
}

/*
 * National runs (pfi_numfast_national_valid, the plain-run check of
 * number.c): digits only, with a default region, against libphonenumber's
 * Parse + IsValidNumber (pfi_phone_valid). Per region: every example number
 * as its national significant number bare, after a 0, after a 1, after
 * the calling code (E.164 without the plus) and after it and a 0, with their one-digit
 * mutations, and random runs of 3 to 17 digits.
 */
static unsigned long long nat_total, nat_fast, nat_diff;

static void check_national(const char *d, size_t len, const char *region)
{
    nat_total++;
    int fast = pfi_numfast_national_valid(d, len, region);
    if (fast < 0)
        return;
    nat_fast++;
    int slow = pfi_phone_valid(d, len, region);
    if (slow != fast) {
        if (nat_diff < 20)
            fprintf(stderr, "DIFF national %.*s in %s: engine %d, libphonenumber %d\n", (int)len, d,
                    region, fast, slow);
        nat_diff++;
    }
}

static void national_runs(unsigned long random_per_region)
{
    static char regions[400][3];
    long nr = pfi_phone_regions(regions, 400);
    for (long r = 0; r < nr && r < 400; r++) {
        const char *rg = regions[r];
        int cc = 0;
        if (!pfi_numfast_region_calling_code(rg, &cc) || cc == 0)
            continue;
        char ccs[8];
        size_t ccl = (size_t)snprintf(ccs, sizeof ccs, "%d", cc);
        for (int t = 0; t < PF_NUMBER_TYPE_COUNT; t++) {
            char ex[32], b[40];
            if (!pfi_phone_example(rg, t, ex, sizeof ex) || strncmp(ex + 1, ccs, ccl) != 0)
                continue;
            const char *nsn = ex + 1 + ccl;
            size_t n = strlen(nsn);
            /* bare, after a 0, after a 1, after the calling code (and a 0) */
            char cc0[12];
            snprintf(cc0, sizeof cc0, "%s0", ccs);
            const char *heads[] = {"", "0", "1", ccs, cc0};
            for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
                size_t k = strlen(heads[h]);
                memcpy(b, heads[h], k);
                memcpy(b + k, nsn, n);
                size_t bl = k + n;
                check_national(b, bl, rg);
                if (bl > 3)
                    check_national(b, bl - 1, rg);
                for (size_t i = 0; i < bl; i++) {
                    char o = b[i];
                    for (int dd = 0; dd < 10; dd++) {
                        if (o == '0' + dd)
                            continue;
                        b[i] = (char)('0' + dd);
                        check_national(b, bl, rg);
                    }
                    b[i] = o;
                }
            }
        }
        for (unsigned long i = 0; i < random_per_region; i++) {
            char b[20];
            size_t len = 3 + next() % 15;
            for (size_t k = 0; k < len; k++)
                b[k] = (char)('0' + next() % 10);
            check_national(b, len, rg);
            if (i % 16 == 0)
                check_national(b, len, ""); /* no region (the caller's NULL) */
        }
    }
}

int main(int argc, char **argv)
{
    bool full = argc > 1 && strcmp(argv[1], "--full") == 0;
    bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int bad_regions = region_table();
    examples();
    unsigned long long after_examples = n_total;
    prefixes(full ? 4 : quick ? 1 : 2, full ? 1 : 3);
    random_numbers(full ? 2000000ul : quick ? 20000ul : 150000ul);
    national_runs(full ? 20000ul : quick ? 200ul : 2000ul);
    printf("numbers %llu (examples and mutations %llu), answered by the engine %llu (%.2f%%), "
           "differences %llu, region table differences %d\n",
           n_total, after_examples, n_fast, 100.0 * (double)n_fast / (double)n_total, n_diff,
           bad_regions);
    printf("national runs %llu, answered by the engine %llu (%.2f%%), differences %llu\n",
           nat_total, nat_fast, 100.0 * (double)nat_fast / (double)nat_total, nat_diff);
    /* Declines are for inputs libphonenumber rejects (no calling code, too
     * short): a low share would mean the engine is not being tested. The
     * national runs decline those that could read as international (an
     * IDD or the calling code at their start): most still reach it. */
    if (n_diff || bad_regions || n_fast * 10 < n_total * 8)
        return 1;
    if (nat_diff || nat_fast * 2 < nat_total)
        return 1;
    return 0;
}
