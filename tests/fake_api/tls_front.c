/*
 * tls_front.c — TLS in front of the fake Send SMS API, for the tests of
 * `preflight send --cacert/--capath` (see tls_front.h).
 *
 * One thread, one connection at a time: the TLS handshake with the
 * client, then the decrypted bytes relayed both ways to the plain fake API
 * on loopback, which records and answers as usual. Every wait is bounded
 * (poll slices against the stop flag and the deadline; socket timeouts
 * under OpenSSL's blocking calls), so it always stops on time.
 */
#include "tls_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define SLICE_MS 20

struct tls_front {
    pthread_t thread;
    bool started;
    int listen_fd;
    unsigned port;
    unsigned backend_port;
    int64_t deadline_ms;
    char *log_dir;
    SSL_CTX *ctx;
    pthread_mutex_t lock;
    bool stop; /* under lock */
    unsigned handshakes;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool should_stop(struct tls_front *t)
{
    pthread_mutex_lock(&t->lock);
    bool s = t->stop;
    pthread_mutex_unlock(&t->lock);
    return s || mono_ms() >= t->deadline_ms;
}

/* OpenSSL's calls block; none may block past two seconds. */
static void set_timeouts(int fd)
{
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* D/tls-N.ok or D/tls-N.fail, holding OpenSSL's reason for a failure: the
 * tests tell "the client refused our certificate" from "nothing came". */
static void log_handshake(const struct tls_front *t, unsigned n, bool ok, const char *why)
{
    char path[4096];
    if (!t->log_dir)
        return;
    snprintf(path, sizeof path, "%s/tls-%u.%s", t->log_dir, n, ok ? "ok" : "fail");
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%s\n", why);
        fclose(f);
    }
}

static int connect_backend(unsigned port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    set_timeouts(fd);
    return fd;
}

/* Relay until either side closes, or we must stop. */
static void relay(struct tls_front *t, SSL *ssl, int cfd, int bfd)
{
    char buf[16384];
    while (!should_stop(t)) {
        struct pollfd p[2] = {{cfd, POLLIN, 0}, {bfd, POLLIN, 0}};
        if (SSL_pending(ssl) == 0 && poll(p, 2, SLICE_MS) <= 0)
            continue;
        if (SSL_pending(ssl) > 0 || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) {
                int e = SSL_get_error(ssl, n);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                    continue;
                return;
            }
            for (int off = 0; off < n;) {
                ssize_t w = send(bfd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
                if (w <= 0)
                    return;
                off += (int)w;
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(bfd, buf, sizeof buf, 0);
            if (n <= 0)
                return;
            if (SSL_write(ssl, buf, (int)n) <= 0)
                return;
        }
    }
}

static void *serve(void *arg)
{
    struct tls_front *t = arg;
    while (!should_stop(t)) {
        struct pollfd p = {t->listen_fd, POLLIN, 0};
        if (poll(&p, 1, SLICE_MS) <= 0)
            continue;
        int cfd = accept(t->listen_fd, NULL, NULL);
        if (cfd < 0)
            continue;
        set_timeouts(cfd);
        unsigned n = ++t->handshakes;
        SSL *ssl = SSL_new(t->ctx);
        if (!ssl) {
            close(cfd);
            continue;
        }
        SSL_set_fd(ssl, cfd);
        ERR_clear_error();
        if (SSL_accept(ssl) != 1) {
            char why[256] = "handshake failed";
            unsigned long e = ERR_peek_last_error();
            if (e)
                ERR_error_string_n(e, why, sizeof why);
            log_handshake(t, n, false, why);
        } else {
            log_handshake(t, n, true, SSL_get_version(ssl));
            int bfd = connect_backend(t->backend_port);
            if (bfd >= 0) {
                relay(t, ssl, cfd, bfd);
                close(bfd);
            }
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        close(cfd);
    }
    return NULL;
}

int tls_front_start(const char *cert_file, const char *key_file, unsigned backend_port,
                    unsigned max_ms, const char *log_dir, struct tls_front **out)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    struct tls_front *t = calloc(1, sizeof *t);

    *out = NULL;
    if (!t)
        return -1;
    t->listen_fd = -1;
    t->backend_port = backend_port;
    t->deadline_ms = mono_ms() + max_ms;
    pthread_mutex_init(&t->lock, NULL);
    if (log_dir && !(t->log_dir = strdup(log_dir)))
        goto fail;
    if (!(t->ctx = SSL_CTX_new(TLS_server_method())) ||
        SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(t->ctx) != 1) {
        ERR_print_errors_fp(stderr);
        goto fail;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((t->listen_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        bind(t->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(t->listen_fd, 16) != 0 ||
        getsockname(t->listen_fd, (struct sockaddr *)&sa, &sl) != 0)
        goto fail;
    t->port = ntohs(sa.sin_port);
    if (pthread_create(&t->thread, NULL, serve, t) != 0)
        goto fail;
    t->started = true;
    *out = t;
    return 0;
fail:
    tls_front_destroy(t);
    return -1;
}

unsigned tls_front_port(const struct tls_front *t)
{
    return t->port;
}

void tls_front_destroy(struct tls_front *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_mutex_unlock(&t->lock);
    if (t->started)
        pthread_join(t->thread, NULL);
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    SSL_CTX_free(t->ctx);
    pthread_mutex_destroy(&t->lock);
    free(t->log_dir);
    free(t);
}
