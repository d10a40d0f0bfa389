/*
 * bench_batch.c — `preflight batch` on a generated 1 M-row recipient list
 * (mixed countries, senders and messages; the same seed every time): rows/s
 * at --jobs 1 and --jobs 2, the speedup between them (a ratio from the same
 * run, so shared-machine noise matters less), peak RSS of each run, and
 * rows per second of CPU (user + system: what the rows cost, whatever else
 * the machine is running).
 *
 * Rows: ten countries' numbers, six senders (none, long code, toll-free,
 * foreign), the first_message column true/false/empty, and templated
 * texts, some with links and numbers; one in six carries the row's own
 * order number, so it is a text seen once (no memo helps it).
 *
 * With a second binary (BASELINE, e.g. a build of main), the same list
 * runs through it too, interleaved, and the ratios come from one run.
 *
 * usage: bench_batch PREFLIGHT [ROWS [BASELINE]]   (default 1000000)
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void generate(const char *path, long rows)
{
    static const char *const prefix[] = {"+1415555", "+1650555", "+1212555", "+447400",
                                         "+4915112", "+3361234", "+6141234", "+97150123",
                                         "+8190123", "+5511987"};
    static const char *const msg[] = {
        "Acme Dental: your cleaning is tomorrow at 10:30. Reply C to confirm.",
        NULL, /* the per-row text below */
        "Acme: your verification code is 482913. Do not share it.",
        "\"Acme: hi, your table for 4 is booked for Friday 19:30.\"",
        "Acme: 20% off whitening this week at bit.ly/acme-smile! Reply STOP to opt out.",
        "Acme: see you soon \xe2\x80\x94 call +1 415 555 0132 with questions.",
    };
    static const char *const agent[] = {
        "", "", "", "+14155550132", "+18335550142", "+447400123456"};
    FILE *f = fopen(path, "w");
    fprintf(f, "user_number,message,agent_number,first_message\n");
    unsigned long long s = 42;
    for (long i = 0; i < rows; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(s >> 33);
        static const char *const first[] = {"", "false", "true", "false"};
        char text[160];
        unsigned m = (r >> 8) % 6;
        if (m == 1)
            snprintf(text, sizeof text,
                     "Your Northwind order #%u has shipped and arrives Thursday: acme.co/t/%u",
                     (unsigned)i + 100000, (unsigned)i * 7u % 99991u);
        else
            snprintf(text, sizeof text, "%s", msg[m]);
        fprintf(f, "%s%04u,%s,%s,%s\n", prefix[r % 10], (r >> 4) % 10000, text,
                agent[(r >> 12) % 6], first[(r >> 16) & 3]);
    }
    fclose(f);
}

static int run(const char *bin, const char *in, int jobs, double *secs, long *rss_kb,
               double *cpu)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        char j[8];
        snprintf(j, sizeof j, "%d", jobs);
        /* The rules and data of this tree for both binaries: the same packs. */
        execl(bin, bin, "batch", "--rules", PF_SOURCE_DIR "/rules", "--data", PF_SOURCE_DIR "/data",
              "--config", PF_SOURCE_DIR "/data/examples/preflight.json", "--at",
              "2026-11-26T20:00:00Z", "--input", in, "--output", "/dev/null", "--jobs", j,
              "--quiet", (char *)NULL);
        _exit(127);
    }
    int st;
    struct rusage ru;
    wait4(pid, &st, 0, &ru);
    *secs = now() - t0;
    *rss_kb = ru.ru_maxrss;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct result {
    double s1, s2, c1, c2;
    long r1, r2;
};

static int both(const char *bin, const char *in, struct result *r)
{
    int e1 = run(bin, in, 1, &r->s1, &r->r1, &r->c1);
    int e2 = run(bin, in, 2, &r->s2, &r->r2, &r->c2);
    if (e1 < 0 || e1 > 1 || e2 < 0 || e2 > 1) {
        fprintf(stderr, "bench_batch: %s failed (exit %d, %d)\n", bin, e1, e2);
        return -1;
    }
    return 0;
}

static void report(const char *name, long rows, const struct result *r)
{
    printf("%s --jobs 1: %.0f rows/s, peak RSS %.1f MiB, %.0f rows per CPU-second\n", name,
           (double)rows / r->s1, (double)r->r1 / 1024, (double)rows / r->c1);
    printf("%s --jobs 2: %.0f rows/s, peak RSS %.1f MiB, %.0f rows per CPU-second\n", name,
           (double)rows / r->s2, (double)r->r2 / 1024, (double)rows / r->c2);
    printf("%s speedup --jobs 2 / --jobs 1: %.2fx\n", name, r->s1 / r->s2);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_batch PREFLIGHT [ROWS [BASELINE]]\n");
        return 2;
    }
    long rows = argc > 2 ? atol(argv[2]) : 1000000;
    const char *base = argc > 3 ? argv[3] : NULL;
    char in[] = "/tmp/bench_batch.XXXXXX";
    int fd = mkstemp(in);
    if (fd < 0)
        return 2;
    close(fd);
    generate(in, rows);
    struct result now_r, base_r;
    int bad = 0;
    if (base)
        bad |= both(base, in, &base_r);
    bad |= both(argv[1], in, &now_r);
    unlink(in);
    if (bad)
        return 1;
    printf("rows: %ld\n", rows);
    if (base) {
        report("baseline", rows, &base_r);
        report("this build", rows, &now_r);
        printf("this build vs baseline: %.2fx (--jobs 1), %.2fx (--jobs 2), %.2fx rows per "
               "CPU-second (--jobs 1)\n",
               base_r.s1 / now_r.s1, base_r.s2 / now_r.s2, base_r.c1 / now_r.c1);
    } else {
        report("this build", rows, &now_r);
    }
    return 0;
}
