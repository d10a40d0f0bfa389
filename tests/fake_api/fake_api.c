/*
 * fake_api.c — the scripted Send SMS API stand-in (see fake_api.h).
 *
 * One thread, one connection at a time, HTTP/1.1 with keep-alive (the
 * client reuses its connection, and the tests count requests, not
 * connections). Every wait polls in short slices against the stop flag
 * and the deadline, so the server always stops on time.
 */
#include "fake_api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX (64 * 1024)
#define BODY_MAX (1024 * 1024)
#define SLICE_MS 20

struct fake_api {
    pthread_t thread;
    bool joined;
    int listen_fd;
    unsigned port;
    struct fake_step *steps;
    size_t nsteps;
    unsigned max_requests;
    int64_t deadline_ms;
    char *log_dir;
    pthread_mutex_t lock;
    bool stop;    /* under lock */
    size_t count; /* under lock */
    struct fake_request reqs[FAKE_API_MAX_REQUESTS];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool should_stop(struct fake_api *a)
{
    pthread_mutex_lock(&a->lock);
    bool s = a->stop;
    pthread_mutex_unlock(&a->lock);
    return s || mono_ms() >= a->deadline_ms;
}

/* Poll fd for events in slices; 1 ready, 0 told to stop, -1 error. */
static int wait_fd(struct fake_api *a, int fd, short events)
{
    for (;;) {
        if (should_stop(a))
            return 0;
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, SLICE_MS);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* Error objects shaped like the API's (a JSON object with "detail"). */
static const char *default_body(int status)
{
    switch (status) {
    case 400: return "{\"detail\":\"agent_number is not provisioned for this project\"}";
    case 401: return "{\"detail\":\"Invalid or missing API key\"}";
    case 403: return "{\"detail\":\"API key account does not match the connector\"}";
    case 404: return "{\"detail\":\"Connector not found\"}";
    case 429: return "{\"detail\":\"Rate limit exceeded\"}";
    case 500: return "{\"detail\":\"Internal server error\"}";
    default: return "";
    }
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The first s (n bytes) in buf[0..len), or NULL; buf need not be a string. */
static char *find(char *buf, size_t len, const char *s, size_t n)
{
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(buf + i, s, n) == 0)
            return buf + i;
    }
    return NULL;
}

bool fake_api_header(const struct fake_request *r, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *line = r->head; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        if (ll > nl && line[nl] == ':') {
            size_t i = 0;
            while (i < nl && tolower((unsigned char)line[i]) == tolower((unsigned char)name[i]))
                i++;
            if (i == nl) {
                const char *v = line + nl + 1;
                size_t vl = ll - nl - 1;
                while (vl && *v == ' ') {
                    v++;
                    vl--;
                }
                if (cap) {
                    size_t n = vl < cap - 1 ? vl : cap - 1;
                    memcpy(buf, v, n);
                    buf[n] = '\0';
                }
                return true;
            }
        }
        line = eol ? eol + 2 : line + ll;
    }
    return false;
}

static void log_request(const struct fake_api *a, size_t n, const struct fake_request *r)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/req-%zu.head", a->log_dir, n);
    if ((f = fopen(path, "w"))) {
        fprintf(f, "%s %s\n", r->method, r->path);
        for (const char *p = r->head; *p; p++) {
            if (*p != '\r')
                fputc(*p, f);
        }
        fputc('\n', f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/req-%zu.body", a->log_dir, n);
    if ((f = fopen(path, "w"))) {
        fwrite(r->body, 1, r->body_len, f);
        fclose(f);
    }
}

/*
 * Read one request from fd into *r. Returns 1 for a request, 0 when the
 * peer closed (or we were told to stop), -1 on a malformed request.
 * Bytes past the request stay in buf for the next one (pipelining).
 */
static int read_request(struct fake_api *a, int fd, char *buf, size_t *have, struct fake_request *r)
{
    char *eoh;
    memset(r, 0, sizeof *r);
    while (!(eoh = find(buf, *have, "\r\n\r\n", 4))) {
        if (*have >= HEAD_MAX)
            return -1;
        if (wait_fd(a, fd, POLLIN) <= 0)
            return 0;
        ssize_t n = recv(fd, buf + *have, HEAD_MAX - *have, 0);
        if (n <= 0)
            return 0;
        *have += (size_t)n;
    }
    size_t head_len = (size_t)(eoh - buf) + 4;
    char *first_eol = find(buf, head_len, "\r\n", 2); /* never NULL: eoh is one */
    char line[600];
    size_t ll = (size_t)(first_eol - buf);
    if (ll >= sizeof line)
        return -1;
    memcpy(line, buf, ll);
    line[ll] = '\0';
    if (sscanf(line, "%15s %511s", r->method, r->path) != 2)
        return -1;
    size_t hl = first_eol + 2 <= eoh ? (size_t)(eoh - (first_eol + 2)) : 0;
    r->head = malloc(hl + 1);
    if (!r->head)
        return -1;
    memcpy(r->head, first_eol + 2, hl);
    r->head[hl] = '\0';

    char cl[32];
    size_t want = 0;
    if (fake_api_header(r, "Content-Length", cl, sizeof cl))
        want = (size_t)strtoul(cl, NULL, 10);
    if (want > BODY_MAX)
        return -1;
    if (fake_api_header(r, "Expect", cl, sizeof cl))
        send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    r->body = malloc(want + 1);
    if (!r->body)
        return -1;
    size_t got = *have - head_len < want ? *have - head_len : want;
    memcpy(r->body, buf + head_len, got);
    memmove(buf, buf + head_len + got, *have - head_len - got);
    *have -= head_len + got;
    while (got < want) {
        if (wait_fd(a, fd, POLLIN) <= 0)
            return 0;
        ssize_t n = recv(fd, r->body + got, want - got, 0);
        if (n <= 0)
            return 0;
        got += (size_t)n;
    }
    r->body[want] = '\0';
    r->body_len = want;
    return 1;
}

static void free_request(struct fake_request *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Answer one request per the script; false when the connection is done. */
static bool answer(struct fake_api *a, int fd, size_t index)
{
    const struct fake_step *s = &a->steps[index < a->nsteps ? index : a->nsteps - 1];
    int64_t until = mono_ms() + s->delay_ms;
    while (mono_ms() < until) {
        if (should_stop(a))
            return false;
        struct timespec ts = {0, SLICE_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (s->status == 0)
        return false; /* drop: the caller closes without a word */
    const char *body = s->body ? s->body : default_body(s->status);
    char head[2048];
    int n =
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                 "Content-Length: %zu\r\n%s%s%s%s%.900s%s\r\n",
                 s->status, reason(s->status),
                 s->content_type ? s->content_type : "application/json", strlen(body),
                 s->retry_after ? "Retry-After: " : "", s->retry_after ? s->retry_after : "",
                 s->retry_after ? "\r\n" : "", s->location ? "Location: " : "",
                 s->location ? s->location : "", s->location ? "\r\n" : "");
    return send_all(fd, head, (size_t)n) && send_all(fd, body, strlen(body));
}

static void *serve(void *arg)
{
    struct fake_api *a = arg;
    char *buf = malloc(HEAD_MAX);
    int fd = -1;
    size_t have = 0;

    while (buf && !should_stop(a)) {
        pthread_mutex_lock(&a->lock);
        size_t served = a->count;
        pthread_mutex_unlock(&a->lock);
        if (served >= a->max_requests || served >= FAKE_API_MAX_REQUESTS)
            break;
        if (fd < 0) {
            if (wait_fd(a, a->listen_fd, POLLIN) <= 0)
                break;
            fd = accept(a->listen_fd, NULL, NULL);
            have = 0;
            continue;
        }
        /* A client may leave its old connection idle and open a new one. */
        struct pollfd p[2] = {{fd, POLLIN, 0}, {a->listen_fd, POLLIN, 0}};
        if (have == 0 && poll(p, 2, SLICE_MS) <= 0)
            continue;
        if (have == 0 && !(p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            close(fd);
            fd = -1;
            continue;
        }
        struct fake_request r;
        int got = read_request(a, fd, buf, &have, &r);
        if (got <= 0) {
            free_request(&r);
            close(fd);
            fd = -1;
            continue;
        }
        if (a->log_dir)
            log_request(a, served + 1, &r);
        pthread_mutex_lock(&a->lock);
        a->reqs[a->count++] = r;
        pthread_mutex_unlock(&a->lock);
        if (!answer(a, fd, served)) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

int fake_api_start(const struct fake_step *steps, size_t nsteps, unsigned max_requests,
                   unsigned max_ms, const char *log_dir, struct fake_api **out)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    struct fake_api *a = calloc(1, sizeof *a);

    *out = NULL;
    if (!a || nsteps == 0)
        goto fail;
    a->listen_fd = -1;
    if (!(a->steps = malloc(nsteps * sizeof *steps)))
        goto fail;
    memcpy(a->steps, steps, nsteps * sizeof *steps);
    a->nsteps = nsteps;
    a->max_requests = max_requests;
    a->deadline_ms = mono_ms() + max_ms;
    if (log_dir && !(a->log_dir = strdup(log_dir)))
        goto fail;
    pthread_mutex_init(&a->lock, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((a->listen_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        bind(a->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(a->listen_fd, 16) != 0 ||
        getsockname(a->listen_fd, (struct sockaddr *)&sa, &sl) != 0)
        goto fail_mutex;
    a->port = ntohs(sa.sin_port);
    if (pthread_create(&a->thread, NULL, serve, a) != 0)
        goto fail_mutex;
    *out = a;
    return 0;
fail_mutex:
    pthread_mutex_destroy(&a->lock);
fail:
    if (a) {
        if (a->listen_fd >= 0)
            close(a->listen_fd);
        free(a->steps);
        free(a->log_dir);
        free(a);
    }
    return -1;
}

unsigned fake_api_port(const struct fake_api *a)
{
    return a->port;
}

void fake_api_wait(struct fake_api *a)
{
    if (!a->joined)
        pthread_join(a->thread, NULL);
    a->joined = true;
}

void fake_api_destroy(struct fake_api *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    a->stop = true;
    pthread_mutex_unlock(&a->lock);
    fake_api_wait(a);
    close(a->listen_fd);
    for (size_t i = 0; i < a->count; i++)
        free_request(&a->reqs[i]);
    pthread_mutex_destroy(&a->lock);
    free(a->steps);
    free(a->log_dir);
    free(a);
}

size_t fake_api_count(struct fake_api *a)
{
    pthread_mutex_lock(&a->lock);
    size_t n = a->count;
    pthread_mutex_unlock(&a->lock);
    return n;
}

const struct fake_request *fake_api_request(struct fake_api *a, size_t i)
{
    return i < fake_api_count(a) ? &a->reqs[i] : NULL;
}

int fake_api_parse_step(char *spec, struct fake_step *out)
{
    memset(out, 0, sizeof *out);
    if (strcmp(spec, "drop") == 0)
        return 0;
    char *p;
    long status = strtol(spec, &p, 10);
    if (p == spec || status < 100 || status > 599)
        return -1;
    out->status = (int)status;
    if (*p == '\0')
        return 0;
    if (*p++ != ';')
        return -1;
    for (;;) {
        if (strncmp(p, "body=", 5) == 0) {
            out->body = p + 5;
            return 0;
        }
        char *next = strchr(p, ';');
        if (next)
            *next = '\0'; /* terminates this value */
        if (strncmp(p, "ra=", 3) == 0)
            out->retry_after = p + 3;
        else if (strncmp(p, "ctype=", 6) == 0)
            out->content_type = p + 6;
        else if (strncmp(p, "delay=", 6) == 0)
            out->delay_ms = (unsigned)strtoul(p + 6, NULL, 10);
        else if (strncmp(p, "loc=", 4) == 0)
            out->location = p + 4;
        else
            return -1;
        if (!next)
            return 0;
        p = next + 1;
    }
}

unsigned fake_api_refused_port(void)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    unsigned port = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}
