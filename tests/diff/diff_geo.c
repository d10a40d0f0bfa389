/*
 * diff_geo.c — numfast.c's NPA-NXX table of North American area
 * descriptions against libphonenumber's geocoder. For each prefix the
 * table is filled from one number (random last four digits) and then asked
 * about a second number of the same prefix, whose answer must equal what
 * the geocoder says for that second number — so the test also checks that
 * the geocoder's answer depends on the NPA-NXX alone, which the table
 * relies on.
 *
 *   diff_geo          100 NXX of every NPA 000-999 (100 000 prefixes)
 *   diff_geo --full   every NPA-NXX (1 000 000 prefixes)
 *   diff_geo --quick  10 NXX of every NPA (sanitizer builds)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "numfast_int.h"
#include "phonenumber_shim.h"

static uint64_t rng = 0x853c49e6748fea9bu;

static unsigned suffix(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % 10000);
}

int main(int argc, char **argv)
{
    int step = argc < 2                          ? 10
               : strcmp(argv[1], "--full") == 0  ? 1
               : strcmp(argv[1], "--quick") == 0 ? 100
                                                 : 10;
    unsigned long n = 0, found = 0, diff = 0;

    for (int npa = 0; npa < 1000; npa++) {
        for (int nxx = npa % step; nxx < 1000; nxx += step) {
            char a[32], b[32], ta[128], tb[128], lb[128];
            snprintf(a, sizeof a, "+1%03d%03d%04u", npa, nxx, suffix());
            snprintf(b, sizeof b, "+1%03d%03d%04u", npa, nxx, suffix());
            pfi_numfast_describe_nanp(a, ta, sizeof ta);
            bool fb = pfi_numfast_describe_nanp(b, tb, sizeof tb);
            bool lf = pfi_phone_describe(b, strlen(b), lb, sizeof lb);
            if (!lf)
                lb[0] = '\0';
            n++;
            found += lf;
            if (fb != lf || strcmp(tb, lb) != 0) {
                if (diff < 20)
                    fprintf(stderr, "DIFF %s (table filled from %s): table '%s', geocoder '%s'\n",
                            b, a, tb, lb);
                diff++;
            }
        }
    }
    printf("NPA-NXX prefixes %lu (with a description %lu), differences %lu\n", n, found, diff);
    /* Most NANP prefixes have a description; none would mean a broken
     * geocoder, not a passing test. */
    return diff != 0 || found * 4 < n;
}
