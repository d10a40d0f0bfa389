/*
 * bench_start.c — cold start of the preflight program: whole-process wall
 * time of one short command, the median over RUNS runs, as a ratio to
 * /bin/true run in the same loop (the machine is shared, so the ratio says
 * more than the absolute figure), and peak RSS (wait4's ru_maxrss).
 *
 * The commands are interleaved run by run — true, --version, number, ... —
 * so a burst of load elsewhere hits all of them alike.
 *
 * usage: bench_start PREFLIGHT [RUNS [BASELINE]]   (RUNS default 31, at least
 * 30 for a report). With BASELINE (another build of the program, e.g. the
 * main branch's), both run in the same loop and the table sets them side
 * by side: before/after figures under the same load.
 *
 * The start-up cache (validator/lib/cache_int.h) is whatever the user's
 * is; set PREFLIGHT_NO_CACHE=1 to measure without it, or PREFLIGHT_CACHE_DIR
 * for a private one. The warm-up round fills it. With a BASELINE and
 * PREFLIGHT_CACHE_DIR, the baseline gets PREFLIGHT_CACHE_DIR/baseline: two
 * builds whose keys differ for a file would otherwise rewrite it for each
 * other at every run (each file keeps one entry), and both would be timed
 * cold.
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

static struct cmd cmds[2][8] = {{
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
}};
#define NCMDS (sizeof cmds[0] / sizeof cmds[0][0])

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run with stdout and stderr on /dev/null; the exit status, or -1. */
static int run(const char *const *argv, const char *cache_dir, double *secs, double *cpu,
               long *rss_kb)
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
        if (cache_dir)
            setenv("PREFLIGHT_CACHE_DIR", cache_dir, 1);
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

static void sort_runs(struct cmd *c, int runs)
{
    qsort(c->secs, (size_t)runs, sizeof(double), cmp_double);
    qsort(c->cpu, (size_t)runs, sizeof(double), cmp_double);
    qsort(c->rss_kb, (size_t)runs, sizeof(long), cmp_long);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_start PREFLIGHT [RUNS [BASELINE]]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 31;
    int nbin = argc > 3 ? 2 : 1; /* cmds[1]: the baseline */
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench_start: RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    if (nbin == 2)
        memcpy(cmds[1], cmds[0], sizeof cmds[0]);
    for (int b = 0; b < nbin; b++)
        for (size_t c = 1; c < NCMDS; c++)
            cmds[b][c].argv[0] = argv[b ? 3 : 1];
    static char baseline_dir[4096];
    const char *dirs[2] = {NULL, NULL}, *own = getenv("PREFLIGHT_CACHE_DIR");
    if (nbin == 2 && own && own[0] == '/' &&
        (size_t)snprintf(baseline_dir, sizeof baseline_dir, "%s/baseline", own) <
            sizeof baseline_dir) {
        mkdir(own, 0700);
        mkdir(baseline_dir, 0700);
        dirs[1] = baseline_dir;
    }
    /* One warm-up round: page cache (and start-up cache), not the figures. */
    for (int b = 0; b < nbin; b++)
        for (size_t c = 0; c < NCMDS; c++) {
            double s, u;
            long r;
            int e = run(cmds[b][c].argv, dirs[b], &s, &u, &r);
            if (e < 0 || e > 1) {
                fprintf(stderr, "bench_start: `%s %s` failed (exit %d)\n", argv[b ? 3 : 1],
                        cmds[b][c].name, e);
                return 1;
            }
        }
    for (int i = 0; i < runs; i++)
        for (size_t c = 0; c < NCMDS; c++)
            for (int b = 0; b < nbin; b++)
                if (run(cmds[b][c].argv, dirs[b], &cmds[b][c].secs[i], &cmds[b][c].cpu[i],
                        &cmds[b][c].rss_kb[i]) < 0) {
                    fprintf(stderr, "bench_start: `%s` could not run\n", cmds[b][c].name);
                    return 1;
                }
    for (int b = 0; b < nbin; b++)
        for (size_t c = 0; c < NCMDS; c++)
            sort_runs(&cmds[b][c], runs);
    double base = cmds[0][0].secs[runs / 2], cbase = cmds[0][0].cpu[runs / 2];
    if (nbin == 1) {
        printf("%-16s %9s %7s %8s %9s %7s %8s\n", "command", "wall ms", "x true", "p90 ms",
               "CPU ms", "x true", "RSS MiB");
        for (size_t c = 0; c < NCMDS; c++) {
            const struct cmd *m = &cmds[0][c];
            double med = m->secs[runs / 2], cpu = m->cpu[runs / 2];
            printf("%-16s %9.2f %7.1f %8.2f %9.2f %7.1f %8.1f\n", m->name, med * 1e3,
                   med / base, m->secs[runs * 9 / 10] * 1e3, cpu * 1e3,
                   cbase > 0 ? cpu / cbase : 0.0, (double)m->rss_kb[runs - 1] / 1024);
        }
    } else {
        /* The baseline's /bin/true row is the same program: one base. */
        printf("%-16s %10s %9s %7s %9s %9s %15s\n", "command", "CPU ms base", "CPU ms", "faster",
               "x true", "wall ms", "RSS MiB");
        for (size_t c = 0; c < NCMDS; c++) {
            const struct cmd *o = &cmds[1][c], *m = &cmds[0][c];
            double cpu = m->cpu[runs / 2], ocpu = o->cpu[runs / 2];
            printf("%-16s %11.2f %9.2f %6.1fx %9.1f %9.2f %7.1f -> %5.1f\n", m->name, ocpu * 1e3,
                   cpu * 1e3, cpu > 0 ? ocpu / cpu : 0.0, cbase > 0 ? cpu / cbase : 0.0,
                   m->secs[runs / 2] * 1e3, (double)o->rss_kb[runs - 1] / 1024,
                   (double)m->rss_kb[runs - 1] / 1024);
        }
    }
    printf("(%d runs each, interleaved; medians; CPU is user + system from wait4; RSS is\n"
           " the largest peak of any run; on a loaded machine the CPU column is the steadier)\n",
           runs);
    return 0;
}
