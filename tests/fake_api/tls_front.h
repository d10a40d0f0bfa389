/*
 * tls_front.h — TLS in front of the fake Send SMS API, for tests only.
 *
 * Listens on 127.0.0.1 on an ephemeral port with the given certificate
 * chain and key, completes the TLS handshake, and relays the decrypted
 * bytes to the plain fake API on backend_port (which records and answers
 * as usual). Each handshake lands in log_dir as tls-N.ok (the protocol) or
 * tls-N.fail (OpenSSL's reason, e.g. the client's "unknown ca" alert). It
 * stops after max_ms milliseconds or when destroyed.
 */
#ifndef PREFLIGHT_TLS_FRONT_H
#define PREFLIGHT_TLS_FRONT_H

struct tls_front;

/* 0, or -1 (OpenSSL's errors on stderr for a bad certificate or key). */
int tls_front_start(const char *cert_file, const char *key_file, unsigned backend_port,
                    unsigned max_ms, const char *log_dir, struct tls_front **out);
unsigned tls_front_port(const struct tls_front *t);
/* Stop now and free everything; accepts NULL. */
void tls_front_destroy(struct tls_front *t);

#endif
