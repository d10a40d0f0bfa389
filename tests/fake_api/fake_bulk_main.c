/*
 * fake_bulk_main.c — the fake Send SMS API for bulk-send tests: many
 * connections at once (one poll loop), thousands of requests, answers
 * drawn at random with fixed odds, and a log line per request written
 * (and flushed) BEFORE the answer goes out, so a request the client sent
 * is in the log even when the client dies before reading the answer.
 *
 *   fake_bulk_server --port-file F --log FILE [--max-seconds T] [--seed N]
 *                    [--p429 P] [--retry-after S] [--p500 P] [--pdrop P]
 *                    [--limit-rps N] [--delay-ms MS] [--storm N]
 *
 * Log line: "<monotonic microseconds> <answer> <method> <path> <body>",
 * answer being the status sent or "drop" (the connection closed after the
 * whole body arrived, with no answer). --limit-rps answers 429 (with
 * Retry-After) to a request that comes sooner than 1/N s after the last
 * one it let through, like a per-project rate limit. --storm N answers
 * the first N requests 429 (a storm), then follows the odds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 64
#define BUF_MAX (256 * 1024)

struct conn {
    int fd;
    char *buf;
    size_t have;
    int64_t answer_at; /* with --delay-ms: when to answer; 0 none pending */
    char pending[512];
    size_t pending_len;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rng = 88172645463325252ULL;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void close_conn(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->have = 0;
    c->answer_at = 0;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static size_t content_length(const char *head, size_t n)
{
    const char *p = head;
    while (p < head + n) {
        const char *eol = memchr(p, '\n', (size_t)(head + n - p));
        if (!eol)
            break;
        if ((size_t)(eol - p) > 15 && strncasecmp(p, "Content-Length:", 15) == 0)
            return (size_t)strtoul(p + 15, NULL, 10);
        p = eol + 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *log_file = NULL, *retry_after = "1";
    double p429 = 0, p500 = 0, pdrop = 0, limit_rps = 0;
    unsigned max_seconds = 60, delay_ms = 0, storm = 0, served = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--port-file") == 0)
            port_file = v;
        else if (strcmp(k, "--log") == 0)
            log_file = v;
        else if (strcmp(k, "--max-seconds") == 0)
            max_seconds = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(k, "--seed") == 0)
            rng ^= strtoull(v, NULL, 10) * 0x9E3779B97F4A7C15ULL;
        else if (strcmp(k, "--p429") == 0)
            p429 = strtod(v, NULL);
        else if (strcmp(k, "--retry-after") == 0)
            retry_after = v;
        else if (strcmp(k, "--p500") == 0)
            p500 = strtod(v, NULL);
        else if (strcmp(k, "--pdrop") == 0)
            pdrop = strtod(v, NULL);
        else if (strcmp(k, "--limit-rps") == 0)
            limit_rps = strtod(v, NULL);
        else if (strcmp(k, "--storm") == 0)
            storm = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(k, "--delay-ms") == 0)
            delay_ms = (unsigned)strtoul(v, NULL, 10);
        else {
            fprintf(stderr, "fake_bulk_server: bad argument '%s'\n", k);
            return 2;
        }
    }
    if (!port_file || !log_file) {
        fprintf(stderr, "usage: fake_bulk_server --port-file F --log FILE [options]\n");
        return 2;
    }
    FILE *log = fopen(log_file, "a");
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (!log || lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(lfd, 128) != 0 || getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
        perror("fake_bulk_server");
        return 1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *pf = fopen(tmp, "w");
    if (!pf || fprintf(pf, "%u\n", ntohs(sa.sin_port)) < 0 || fclose(pf) != 0 ||
        rename(tmp, port_file) != 0) {
        perror("fake_bulk_server: port file");
        return 1;
    }
    struct conn conns[MAX_CONN];
    for (int i = 0; i < MAX_CONN; i++) {
        conns[i].fd = -1;
        conns[i].buf = malloc(BUF_MAX);
        conns[i].have = 0;
        conns[i].answer_at = 0;
    }
    int64_t deadline = mono_us() + (int64_t)max_seconds * 1000000;
    int64_t last_let = 0;
    while (mono_us() < deadline) {
        struct pollfd p[MAX_CONN + 1];
        p[0] = (struct pollfd){lfd, POLLIN, 0};
        for (int i = 0; i < MAX_CONN; i++)
            p[i + 1] = (struct pollfd){conns[i].fd, POLLIN, 0};
        if (poll(p, MAX_CONN + 1, 5) < 0 && errno != EINTR)
            break;
        if (p[0].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL);
            int slot = -1;
            for (int i = 0; i < MAX_CONN && fd >= 0; i++) {
                if (conns[i].fd < 0) {
                    slot = i;
                    break;
                }
            }
            if (slot < 0 && fd >= 0)
                close(fd);
            else if (fd >= 0) {
                conns[slot].fd = fd;
                conns[slot].have = 0;
            }
        }
        int64_t t = mono_us();
        for (int i = 0; i < MAX_CONN; i++) {
            struct conn *c = &conns[i];
            if (c->fd >= 0 && c->answer_at && t >= c->answer_at) {
                send_all(c->fd, c->pending, c->pending_len);
                c->answer_at = 0;
            }
            if (c->fd < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = recv(c->fd, c->buf + c->have, BUF_MAX - 1 - c->have, 0);
            if (n <= 0) {
                close_conn(c);
                continue;
            }
            c->have += (size_t)n;
            for (;;) {
                if (c->answer_at)
                    break; /* one request at a time per connection */
                c->buf[c->have] = '\0';
                char *eoh = strstr(c->buf, "\r\n\r\n");
                if (!eoh)
                    break;
                size_t hl = (size_t)(eoh - c->buf) + 4;
                size_t bl = content_length(c->buf, hl);
                if (c->have < hl + bl)
                    break;
                char method[16] = "", path[256] = "";
                sscanf(c->buf, "%15s %255s", method, path);
                if (strstr(c->buf, "Expect: 100-continue"))
                    send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
                double u = urand();
                int status = 202;
                bool drop = false;
                int64_t now = mono_us();
                if (served++ < storm)
                    status = 429;
                else if (limit_rps > 0 && last_let && now - last_let < (int64_t)(1e6 / limit_rps))
                    status = 429;
                else if (u < pdrop)
                    drop = true;
                else if (u < pdrop + p500)
                    status = 500;
                else if (u < pdrop + p500 + p429)
                    status = 429;
                if (status != 429 && limit_rps > 0)
                    last_let = now;
                fprintf(log, "%lld %s%.0d %s %s %.*s\n", (long long)now, drop ? "drop" : "",
                        drop ? 0 : status, method, path, (int)bl, c->buf + hl);
                fflush(log);
                memmove(c->buf, c->buf + hl + bl, c->have - hl - bl);
                c->have -= hl + bl;
                if (drop) {
                    close_conn(c);
                    break;
                }
                const char *body = status == 202   ? ""
                                   : status == 429 ? "{\"detail\":\"Rate limit exceeded\"}"
                                                   : "{\"detail\":\"Internal server error\"}";
                int hn =
                    snprintf(c->pending, sizeof c->pending,
                             "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n%s%s%s\r\n%s",
                             status,
                             status == 202   ? "Accepted"
                             : status == 429 ? "Too Many Requests"
                                             : "Internal Server Error",
                             strlen(body), status == 429 ? "Retry-After: " : "",
                             status == 429 ? retry_after : "", status == 429 ? "\r\n" : "", body);
                c->pending_len = (size_t)hn;
                if (delay_ms) {
                    c->answer_at = now + (int64_t)delay_ms * 1000;
                } else {
                    send_all(c->fd, c->pending, c->pending_len);
                }
            }
        }
    }
    fclose(log);
    return 0;
}
