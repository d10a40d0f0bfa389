/*
 * bench_start.c — cold start of the preflight program: whole-process wall
 * time of one short command, the median over RUNS runs, as a ratio to
 * /bin/true run in the same loop (the machine is shared, so the ratio says
 * more than the absolute figure), and peak RSS (wait4's ru_maxrss).
 *
 * The commands are interleaved run by run — true, --version, number, ... —
 * so a burst of load elsewhere hits all of them alike.
 *
 * usage: bench_start PREFLIGHT [RUNS]   (default 31, at least 30 for a report)
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000
#define MSG "Acme Dental: your cleaning is tomorrow at 10:30. Reply C to confirm."

struct cmd {
    const char *name;
    const char *argv[24]; /* argv[0] is filled with the program */
    double secs[MAX_RUNS];
    double cpu[MAX_RUNS]; /* user + system */
    long rss_kb[MAX_RUNS];
};

static struct cmd cmds[] = {
    {"/bin/true", {"/bin/true", NULL}, {0}, {0}, {0}},
    {"--version", {NULL, "--version", NULL}, {0}, {0}, {0}},
    {"number", {NULL, "number", "+14155552671", NULL}, {0}, {0}, {0}},
    {"segments", {NULL, "segments", "--message", MSG, NULL}, {0}, {0}, {0}},
    {"scan", {NULL, "scan", "--country", "US", "--not-first", "--message", MSG, NULL}, {0}, {0}, {0}},
    {"check",
     {NULL, "check", "--to", "+14155552671", "--at", "2026-11-26T20:00:00Z", "--not-first",
      "--message", MSG, NULL},
     {0},
     {0},
     {0}},
    {"check --config",
     {NULL, "check", "--config", PF_SOURCE_DIR "/data/examples/preflight.json", "--to",
      "+14155552671", "--at", "2026-11-26T20:00:00Z", "--not-first", "--message", MSG, NULL},
     {0},
     {0},
     {0}},
    {"countries US", {NULL, "countries", "US", NULL}, {0}, {0}, {0}},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run with stdout and stderr on /dev/null; the exit status, or -1. */
static int run(const char *const *argv, double *secs, double *cpu, long *rss_kb)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0)
        return -1;
    *secs = now() - t0;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_start PREFLIGHT [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 31;
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench_start: RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    for (size_t c = 1; c < NCMDS; c++)
        cmds[c].argv[0] = argv[1];
    /* One warm-up round: page cache, not the figures. */
    for (size_t c = 0; c < NCMDS; c++) {
        double s, u;
        long r;
        int e = run(cmds[c].argv, &s, &u, &r);
        if (e < 0 || e > 1) {
            fprintf(stderr, "bench_start: `%s` failed (exit %d)\n", cmds[c].name, e);
            return 1;
        }
    }
    for (int i = 0; i < runs; i++)
        for (size_t c = 0; c < NCMDS; c++)
            if (run(cmds[c].argv, &cmds[c].secs[i], &cmds[c].cpu[i], &cmds[c].rss_kb[i]) < 0) {
                fprintf(stderr, "bench_start: `%s` could not run\n", cmds[c].name);
                return 1;
            }
    for (size_t c = 0; c < NCMDS; c++) {
        qsort(cmds[c].secs, (size_t)runs, sizeof(double), cmp_double);
        qsort(cmds[c].cpu, (size_t)runs, sizeof(double), cmp_double);
        qsort(cmds[c].rss_kb, (size_t)runs, sizeof(long), cmp_long);
    }
    double base = cmds[0].secs[runs / 2], cbase = cmds[0].cpu[runs / 2];
    printf("%-16s %9s %7s %8s %9s %7s %8s\n", "command", "wall ms", "x true", "p90 ms", "CPU ms",
           "x true", "RSS MiB");
    for (size_t c = 0; c < NCMDS; c++) {
        double med = cmds[c].secs[runs / 2], cpu = cmds[c].cpu[runs / 2];
        printf("%-16s %9.2f %7.1f %8.2f %9.2f %7.1f %8.1f\n", cmds[c].name, med * 1e3,
               med / base, cmds[c].secs[runs * 9 / 10] * 1e3, cpu * 1e3,
               cbase > 0 ? cpu / cbase : 0.0, (double)cmds[c].rss_kb[runs - 1] / 1024);
    }
    printf("(%d runs each, interleaved; medians; CPU is user + system from wait4; RSS is\n"
           " the largest peak of any run; on a loaded machine the CPU column is the steadier)\n",
           runs);
    return 0;
}
