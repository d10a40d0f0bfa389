/*
 * bench_batch.c — `preflight batch` on a generated 1 M-row recipient list
 * (mixed countries, senders and messages; the same seed every time): rows/s
 * at --jobs 1 and --jobs 2, the speedup between them (a ratio from the same
 * run, so shared-machine noise matters less), and peak RSS of each run.
 *
 * usage: bench_batch PREFLIGHT [ROWS]   (default 1000000)
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
        "Your Northwind order #{n} has shipped and arrives Thursday.",
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
        fprintf(f, "%s%04u,%s,%s,%s\n", prefix[r % 10], (r >> 4) % 10000, msg[(r >> 8) % 6],
                agent[(r >> 12) % 6], (r >> 16) & 1 ? "false" : "");
    }
    fclose(f);
}

static int run(const char *bin, const char *in, int jobs, double *secs, long *rss_kb)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        char j[8];
        snprintf(j, sizeof j, "%d", jobs);
        execl(bin, bin, "batch", "--config", PF_SOURCE_DIR "/data/examples/preflight.json", "--at",
              "2026-11-26T20:00:00Z", "--input", in, "--output", "/dev/null", "--jobs", j,
              "--quiet", (char *)NULL);
        _exit(127);
    }
    int st;
    struct rusage ru;
    wait4(pid, &st, 0, &ru);
    *secs = now() - t0;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_batch PREFLIGHT [ROWS]\n");
        return 2;
    }
    long rows = argc > 2 ? atol(argv[2]) : 1000000;
    char in[] = "/tmp/bench_batch.XXXXXX";
    int fd = mkstemp(in);
    if (fd < 0)
        return 2;
    close(fd);
    generate(in, rows);
    double s1, s2;
    long r1, r2;
    int e1 = run(argv[1], in, 1, &s1, &r1);
    int e2 = run(argv[1], in, 2, &s2, &r2);
    unlink(in);
    if (e1 < 0 || e1 > 1 || e2 < 0 || e2 > 1) {
        fprintf(stderr, "bench_batch: preflight failed (exit %d, %d)\n", e1, e2);
        return 1;
    }
    printf("rows: %ld\n", rows);
    printf("--jobs 1: %.0f rows/s, peak RSS %.1f MiB\n", (double)rows / s1, (double)r1 / 1024);
    printf("--jobs 2: %.0f rows/s, peak RSS %.1f MiB\n", (double)rows / s2, (double)r2 / 1024);
    printf("speedup --jobs 2 / --jobs 1: %.2fx\n", s1 / s2);
    return 0;
}
