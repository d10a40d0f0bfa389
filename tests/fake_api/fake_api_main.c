/*
 * fake_api_main.c — the fake Send SMS API as a program, for the shell-driven
 * CLI tests (tests/cli/send_cases.sh).
 *
 *   fake_api_server --port-file F --log-dir D [--max-requests N]
 *                   [--max-seconds T] [--tls-cert CHAIN --tls-key KEY] STEP...
 *
 * STEP is "STATUS[;ra=VALUE][;delay=MS][;ctype=TYPE][;body=TEXT]" or "drop" (see
 * fake_api.h); the last one repeats. The port is written to F (atomically,
 * through a rename) once the server listens; each request lands in
 * D/req-N.head and D/req-N.body before it is answered. The program exits
 * after N requests (default 16) or T seconds (default 20).
 *
 * With --tls-cert and --tls-key the port written is that of a TLS front
 * (tls_front.h) relaying to the plain server, which keeps recording as
 * before; each handshake also lands in D/tls-N.ok or D/tls-N.fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api.h"
#include "tls_front.h"

static int usage(void)
{
    fprintf(stderr, "usage: fake_api_server --port-file F --log-dir D [--max-requests N] "
                    "[--max-seconds T] [--tls-cert CHAIN --tls-key KEY] STEP...\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *log_dir = NULL, *tls_cert = NULL, *tls_key = NULL;
    unsigned max_requests = 16, max_seconds = 20;
    struct fake_step steps[32];
    size_t nsteps = 0;
    struct fake_api *api = NULL;
    struct tls_front *front = NULL;
    char tmp[4096];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
        } else if (strcmp(argv[i], "--log-dir") == 0 && i + 1 < argc) {
            log_dir = argv[++i];
        } else if (strcmp(argv[i], "--max-requests") == 0 && i + 1 < argc) {
            max_requests = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc) {
            tls_cert = argv[++i];
        } else if (strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc) {
            tls_key = argv[++i];
        } else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
            max_seconds = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (nsteps < sizeof steps / sizeof steps[0] &&
                   fake_api_parse_step(argv[i], &steps[nsteps]) == 0) {
            nsteps++;
        } else {
            fprintf(stderr, "fake_api_server: bad argument '%s'\n", argv[i]);
            return usage();
        }
    }
    if (!port_file || !log_dir || nsteps == 0 || !tls_cert != !tls_key)
        return usage();
    if (fake_api_start(steps, nsteps, max_requests, max_seconds * 1000u, log_dir, &api) != 0) {
        perror("fake_api_server: start");
        return 1;
    }
    unsigned port = fake_api_port(api);
    if (tls_cert) {
        if (tls_front_start(tls_cert, tls_key, port, max_seconds * 1000u, log_dir, &front) != 0) {
            fprintf(stderr, "fake_api_server: cannot start TLS with %s and %s\n", tls_cert,
                    tls_key);
            fake_api_destroy(api);
            return 1;
        }
        port = tls_front_port(front);
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
        perror("fake_api_server: port file");
        tls_front_destroy(front);
        fake_api_destroy(api);
        return 1;
    }
    fake_api_wait(api);
    tls_front_destroy(front);
    fake_api_destroy(api);
    return 0;
}
