/*
 * bench_number.c — pf_number_parse (the compiled engine, numfast.c) against
 * libphonenumber itself (the shim's pfi_phone_parse: parse, E.164, region,
 * type, valid, possible) on the same E.164 numbers in one process, one core.
 *
 * The numbers are libphonenumber's example numbers (fixed line and mobile)
 * of every region with their last four digits randomised: mixed countries,
 * mostly valid, a few invalid — what a send list looks like. Every answer
 * of the timed engine run is also compared with libphonenumber's.
 *
 * usage: bench_number [COUNT [engine]]   (default 1000000; "engine": time
 *        the engine alone, for profiling)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "phonenumber_shim.h"
#include "preflight/preflight.h"

/* CPU time of this thread: on a shared, oversubscribed machine wall time
 * measures the neighbours; the numbers/s figures are per CPU-second. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t count = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    static char regions[400][3];
    static char examples[800][24];
    size_t ne = 0;
    uint64_t rng = 0x2545f4914f6cdd1du;

    long nr = pfi_phone_regions(regions, 400);
    for (long r = 0; r < nr && r < 400; r++) {
        for (int t = PF_NT_FIXED_LINE; t <= PF_NT_MOBILE; t++) {
            if (ne < 800 && pfi_phone_example(regions[r], t, examples[ne], 24) &&
                strlen(examples[ne]) >= 9)
                ne++;
        }
    }
    if (count == 0 || ne == 0)
        return 1;
    char(*nums)[24] = malloc(count * sizeof *nums);
    size_t *lens = malloc(count * sizeof *lens);
    if (!nums || !lens)
        return 1;
    for (size_t i = 0; i < count; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        const char *ex = examples[rng % ne];
        size_t n = strlen(ex);
        memcpy(nums[i], ex, n + 1);
        for (size_t k = n - 4; k < n; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            nums[i][k] = (char)('0' + rng % 10);
        }
        lens[i] = n;
    }

    /* Warm both (the engine compiles a calling code on first use,
     * libphonenumber fills its regex cache). */
    pf_number pn;
    pfi_phone_info info;
    for (size_t i = 0; i < count && i < 20000; i++) {
        pf_number_parse(nums[i], lens[i], NULL, &pn, NULL);
        pfi_phone_parse(nums[i], lens[i], NULL, &info);
    }

    size_t valid = 0;
    double t0 = now();
    for (size_t i = 0; i < count; i++) {
        pf_number_parse(nums[i], lens[i], NULL, &pn, NULL);
        valid += pn.valid;
    }
    double fast = now() - t0;
    if (argc > 2 && strcmp(argv[2], "engine") == 0) {
        printf("pf_number_parse: %.3f CPU s, %.0f numbers/s\n", fast, (double)count / fast);
        return 0;
    }

    t0 = now();
    for (size_t i = 0; i < count; i++) {
        pfi_phone_parse(nums[i], lens[i], NULL, &info);
        valid += info.valid;
    }
    double slow = now() - t0;

    size_t diff = 0;
    for (size_t i = 0; i < count; i++) {
        pf_number_parse(nums[i], lens[i], NULL, &pn, NULL);
        pfi_phone_parse(nums[i], lens[i], NULL, &info);
        diff += strcmp(pn.e164, info.e164) != 0 || strcmp(pn.region, info.region) != 0 ||
                (int)pn.type != info.type || pn.valid != info.valid ||
                pn.possible != info.possible || pn.calling_code != info.calling_code;
    }
    printf("%zu E.164 numbers (%zu examples, %zu%% valid), one core\n", count, ne,
           valid * 50 / count);
    printf("pf_number_parse (compiled engine): %.3f CPU s, %.0f numbers/s\n", fast,
           (double)count / fast);
    printf("libphonenumber:                    %.3f CPU s, %.0f numbers/s\n", slow,
           (double)count / slow);
    printf("ratio %.1fx, differences %zu\n", slow / fast, diff);
    free(nums);
    free(lens);
    return diff != 0;
}
