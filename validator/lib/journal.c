/*
 * journal.c — the bulk send's append-only journal (journal.h), with the
 * SHA-256 that binds it to its input and CRC-32C for each record.
 *
 * Layout, all integers little-endian:
 *
 *   "PFJRNL1\n"                                  8-byte magic
 *   record*: u32 len | body[len] | u32 crc32c(len bytes, body)
 *   body:    'H' u32 version, input sha256[32], config sha256[32], i64 created_ms
 *            'I' u64 row, i64 time_ms, char e164[24] (NUL-padded)
 *            'O' u64 row, i64 time_ms, u8 outcome, u8 status, u16 http, u32 attempts
 *
 * The header is the first record and only there. Every body has a fixed
 * length per type, so a length that is not one of them is corruption, not
 * a reason to skip ahead.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "preflight/journal.h"

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t have;
};

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_block(struct sha256 *s, const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 =
            h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

/*
 * The same compression with the x86 SHA extensions (SHA-NI), several
 * times faster: the start-up cache hashes the country table and every
 * cache file it reads on each start (issue 20). Chosen at run time by
 * CPUID; tests/unit/test_journal.c compares it with sha_block above on
 * random inputs of every length and alignment.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI 1

__attribute__((target("sha,sse4.1,ssse3"))) static void sha_blocks_ni(uint32_t h[8],
                                                                      const uint8_t *p, size_t n)
{
    /* Big-endian words within each 16-byte lane. */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    /* The instructions keep the state as ABEF and CDGH. */
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)h), 0xB1);
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)(h + 4)), 0x1B);
    __m128i abef = _mm_alignr_epi8(dcba, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);
    for (; n; n--, p += 64) {
        __m128i m[4], save0 = abef, save1 = cdgh;
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
            m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)),
                                    bswap);
        /* Unrolled, so m[] stays in registers. */
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            if (g >= 4) {
                /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time:
                 * m[g%4] holds words of group g-4, the others g-3, g-2, g-1. */
                __m128i w7 = _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4);
                __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]), w7);
                m[g & 3] = _mm_sha256msg2_epu32(x, m[(g + 3) & 3]);
            }
            __m128i wk = _mm_add_epi32(m[g & 3],
                                       _mm_loadu_si128((const __m128i *)(const void *)&K[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
        }
        abef = _mm_add_epi32(abef, save0);
        cdgh = _mm_add_epi32(cdgh, save1);
    }
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)(void *)h, _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)(void *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

static bool cpu_has_sha_ni(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
        return false;
    if (__get_cpuid_max(0, NULL) < 7)
        return false;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & bit_SHA) != 0;
}
#endif

/* 0: not yet known, 1: portable, 2: SHA-NI. A race only repeats the CPUID. */
static _Atomic int sha_impl;
static _Thread_local bool sha_portable_only; /* pfi_sha256_portable */

static void sha_blocks(struct sha256 *s, const uint8_t *p, size_t n)
{
#ifdef HAVE_SHA_NI
    int impl = sha_impl;
    if (!impl)
        sha_impl = impl = cpu_has_sha_ni() ? 2 : 1;
    if (impl == 2 && !sha_portable_only) {
        sha_blocks_ni(s->h, p, n);
        return;
    }
#endif
    for (; n; n--, p += 64)
        sha_block(s, p);
}

static void sha_init(struct sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->bytes = 0;
    s->have = 0;
}

static void sha_update(struct sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->bytes += len;
    while (len) {
        if (s->have == 0 && len >= 64) {
            /* Whole blocks straight from the input. */
            size_t nb = len / 64;
            sha_blocks(s, p, nb);
            p += 64 * nb, len -= 64 * nb;
            continue;
        }
        size_t n = 64 - s->have < len ? 64 - s->have : len;
        memcpy(s->buf + s->have, p, n);
        s->have += n, p += n, len -= n;
        if (s->have == 64) {
            sha_blocks(s, s->buf, 1);
            s->have = 0;
        }
    }
}

static void sha_final(struct sha256 *s, uint8_t out[32])
{
    uint64_t bits = s->bytes * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (s->have < 56 ? 56 : 120) - s->have;
    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(s, pad, padlen + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

void pf_sha256(const void *data, size_t len, uint8_t out[32])
{
    struct sha256 s;
    sha_init(&s);
    sha_update(&s, data, len);
    sha_final(&s, out);
}

void pfi_sha256_portable(const void *data, size_t len, uint8_t out[32])
{
    sha_portable_only = true;
    pf_sha256(data, len, out);
    sha_portable_only = false;
}

bool pfi_sha256_accelerated(void)
{
#ifdef HAVE_SHA_NI
    return cpu_has_sha_ni();
#else
    return false;
#endif
}

pf_status pf_sha256_file(const char *path, uint8_t out[32], pf_diag *diag)
{
    pf_diag_clear(diag);
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        pfi_diag_file(diag, path);
        pfi_diag_set(diag, PF_E_IO, "cannot open: %s", path ? strerror(errno) : "no file");
        return PF_E_IO;
    }
    struct sha256 s;
    uint8_t buf[65536];
    size_t n;
    sha_init(&s);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha_update(&s, buf, n);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        pfi_diag_file(diag, path);
        pfi_diag_set(diag, PF_E_IO, "read error");
        return PF_E_IO;
    }
    sha_final(&s, out);
    return PF_OK;
}

void pf_sha256_hex(const uint8_t sha[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[sha[i] >> 4];
        hex[2 * i + 1] = digits[sha[i] & 15];
    }
    hex[64] = '\0';
}

/* ---- CRC-32C (Castagnoli), reflected, as iSCSI and ext4 use it ---- */

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
    }
    return ~crc;
}

/* ---- encoding ---- */

#define MAGIC "PFJRNL1\n"
#define MAGIC_LEN 8
#define VERSION 1
#define LEN_H 77
#define LEN_I 41
#define LEN_O 25
#define E164_LEN 24
#define REC_MAX (4 + LEN_H + 4)

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Frame body[len] as a record in out (4 + len + 4 bytes); returns its size. */
static size_t frame(uint8_t *out, const uint8_t *body, uint32_t len)
{
    put32(out, len);
    memcpy(out + 4, body, len);
    put32(out + 4 + len, crc32c(0, out, 4 + (size_t)len));
    return 4 + (size_t)len + 4;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- replay ---- */

struct event {
    uint64_t row;
    size_t seq;
    pf_journal_entry e; /* state PENDING for an intent, DONE for an outcome */
};

typedef void (*event_fn)(void *ctx, const struct event *ev);

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i])
            return false;
    }
    return true;
}

/* The scan behind pf_journal_scan and open: events to fn (may be NULL). */
static pf_status scan(const uint8_t *p, size_t len, pf_journal_info *info, event_fn fn, void *ctx,
                      pf_diag *diag)
{
    pf_journal_info tmp = {.size = sizeof tmp};
    size_t off = MAGIC_LEN, seq = 0;
    bool header = false;

    if (len == 0)
        goto done;
    if (len < MAGIC_LEN) {
        /* Killed while writing the magic of a new journal. */
        if (memcmp(p, MAGIC, len) == 0 || all_zero(p, len)) {
            tmp.torn_bytes = len;
            goto done;
        }
        goto bad_magic;
    }
    if (memcmp(p, MAGIC, MAGIC_LEN) != 0)
        goto bad_magic;
    tmp.valid_bytes = MAGIC_LEN;
    while (off < len) {
        size_t left = len - off;
        uint32_t rl = left >= 4 ? get32(p + off) : 0;
        bool known = rl == LEN_I || rl == LEN_O || (!header && rl == LEN_H);
        /* A record cut short at the end of the file, or zeros where a
         * crash left the file longer than what was written: torn. */
        if (left < 4 || all_zero(p + off, left) || (known && left < 4 + (size_t)rl + 4)) {
            tmp.torn_bytes = left;
            break;
        }
        if (!known) {
            pfi_diag_set(diag, PF_E_SYNTAX, "record at byte %zu has an impossible length %u", off,
                         (unsigned)rl);
            goto corrupt;
        }
        const uint8_t *b = p + off + 4;
        if (crc32c(0, p + off, 4 + (size_t)rl) != get32(b + rl)) {
            /* The last record may be torn; anything before it is damage. */
            if (off + 4 + rl + 4 == len) {
                tmp.torn_bytes = left;
                break;
            }
            pfi_diag_set(diag, PF_E_SYNTAX, "bad checksum in the record at byte %zu", off);
            goto corrupt;
        }
        char type = (char)b[0];
        struct event ev = {.seq = seq++};
        ev.e.size = sizeof ev.e;
        if (!header) {
            if (type != 'H' || rl != LEN_H || get32(b + 1) != VERSION) {
                pfi_diag_set(diag, PF_E_SYNTAX,
                             "the first record (byte %zu) is not a version %d header", off,
                             VERSION);
                goto corrupt;
            }
            memcpy(tmp.input_sha256, b + 5, 32);
            memcpy(tmp.config_sha256, b + 37, 32);
            tmp.created_ms = (int64_t)get64(b + 69);
            header = true;
        } else if (type == 'I' && rl == LEN_I) {
            ev.row = get64(b + 1);
            ev.e.time_ms = (int64_t)get64(b + 9);
            ev.e.state = PF_JOURNAL_PENDING;
            tmp.intents++;
            if (fn)
                fn(ctx, &ev);
        } else if (type == 'O' && rl == LEN_O && b[17] >= PF_JOURNAL_SENT &&
                   b[17] <= PF_JOURNAL_UNKNOWN && b[18] <= PF_SEND_TRANSPORT_ERROR) {
            ev.row = get64(b + 1);
            ev.e.time_ms = (int64_t)get64(b + 9);
            ev.e.state = PF_JOURNAL_DONE;
            ev.e.outcome = (pf_journal_outcome)b[17];
            ev.e.status = (pf_send_status)b[18];
            ev.e.http_status = (long)(b[19] | b[20] << 8);
            ev.e.attempts = get32(b + 21);
            tmp.outcomes++;
            if (fn)
                fn(ctx, &ev);
        } else {
            pfi_diag_set(diag, PF_E_SYNTAX, "record at byte %zu is of no known kind", off);
            goto corrupt;
        }
        off += 4 + (size_t)rl + 4;
        tmp.valid_bytes = off;
    }
    /* A journal whose header never became whole holds nothing: start over. */
    if (!header) {
        tmp.torn_bytes = len;
        tmp.valid_bytes = 0;
    }
done:
    if (info && info->size >= sizeof *info)
        *info = tmp;
    return PF_OK;
bad_magic:
    pfi_diag_set(diag, PF_E_SYNTAX, "not a preflight journal (bad magic at byte 0)");
    off = 0;
corrupt:
    if (diag)
        diag->offset = off;
    return PF_E_SYNTAX;
}

pf_status pf_journal_scan(const void *data, size_t len, pf_journal_info *info, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!data && len)
        return PF_E_INVALID;
    return scan(data, len, info, NULL, NULL, diag);
}

/* ---- the open journal ---- */

struct pf_journal {
    int fd;
    bool read_only;
    bool broken; /* an append failed: no more appends, ever */
    pthread_mutex_t mu;
    char *path;
    struct event *rows; /* one per row, sorted by row */
    size_t nrows, cap;
    size_t torn;
};

struct collect {
    struct event *ev;
    size_t n, cap;
    bool nomem;
};

static void collect_event(void *ctx, const struct event *ev)
{
    struct collect *c = ctx;
    if (c->nomem || pfi_grow((void **)&c->ev, &c->cap, c->n + 1, sizeof *c->ev) != PF_OK) {
        c->nomem = true;
        return;
    }
    c->ev[c->n++] = *ev;
}

static int cmp_event(const void *x, const void *y)
{
    const struct event *a = x, *b = y;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Events into one state per row: the last event of each row wins. */
static void collapse(pf_journal *j, struct collect *c)
{
    if (c->n) /* qsort's array may not be NULL, even for no elements */
        qsort(c->ev, c->n, sizeof *c->ev, cmp_event);
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (n && c->ev[n - 1].row == c->ev[i].row)
            c->ev[n - 1] = c->ev[i];
        else
            c->ev[n++] = c->ev[i];
    }
    j->rows = c->ev;
    j->nrows = n;
    j->cap = c->cap;
}

static pf_status io_error(pf_diag *diag, const char *path, const char *what)
{
    int e = errno;
    pfi_diag_file(diag, path);
    pfi_diag_set(diag, PF_E_IO, "%s: %s", what, strerror(e));
    return PF_E_IO;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Make a new file's directory entry durable too. */
static void sync_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static pf_status read_all(int fd, const char *path, uint8_t **out, size_t *len, pf_diag *diag)
{
    struct stat st;
    *out = NULL;
    *len = 0;
    if (fstat(fd, &st) != 0)
        return io_error(diag, path, "cannot stat");
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size + 1);
    if (!buf) {
        pfi_diag_set(diag, PF_E_NOMEM, "out of memory");
        return PF_E_NOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return io_error(diag, path, "cannot read");
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *out = buf;
    *len = got;
    return PF_OK;
}

pf_status pf_journal_open(const char *path, const uint8_t input_sha256[32],
                          const uint8_t config_sha256[32], unsigned flags, pf_journal **out,
                          pf_diag *diag)
{
    pf_journal *j = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    struct collect c = {0};
    pf_journal_info info = {.size = sizeof info};
    pf_status st;

    pf_diag_clear(diag);
    if (out)
        *out = NULL;
    if (!path || !input_sha256 || !config_sha256 || !out) {
        pfi_diag_set(diag, PF_E_INVALID, "a journal needs a path, two hashes and an out pointer");
        return PF_E_INVALID;
    }
    if (!(j = calloc(1, sizeof *j)) || !(j->path = strdup(path))) {
        st = PF_E_NOMEM;
        pfi_diag_set(diag, st, "out of memory");
        goto out;
    }
    j->fd = -1;
    pthread_mutex_init(&j->mu, NULL);
    j->read_only = flags & PF_JOURNAL_READ_ONLY;
    j->fd = j->read_only ? open(path, O_RDONLY | O_CLOEXEC)
                         : open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        if (j->read_only && errno == ENOENT) {
            st = PF_OK; /* a dry run over a journal not made yet */
            goto out;
        }
        st = io_error(diag, path, "cannot open the journal");
        goto out;
    }
    /* Two runs appending to one journal would each think the other's rows
     * are in flight; the lock goes away with the process, even on SIGKILL. */
    if (!j->read_only && flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        st = errno == EWOULDBLOCK ? PF_E_LIMIT : PF_E_IO;
        pfi_diag_file(diag, path);
        pfi_diag_set(diag, st, "%s",
                     st == PF_E_LIMIT ? "the journal is in use by another running send"
                                      : "cannot lock the journal");
        goto out;
    }
    if ((st = read_all(j->fd, path, &data, &len, diag)) != PF_OK)
        goto out;
    if ((st = scan(data, len, &info, collect_event, &c, diag)) != PF_OK) {
        pfi_diag_file(diag, path);
        goto out;
    }
    if (c.nomem) {
        st = PF_E_NOMEM;
        pfi_diag_set(diag, st, "out of memory");
        goto out;
    }
    j->torn = info.torn_bytes;
    bool has_header = info.valid_bytes > 0;
    if (has_header && (memcmp(info.input_sha256, input_sha256, 32) != 0 ||
                       memcmp(info.config_sha256, config_sha256, 32) != 0)) {
        bool in = memcmp(info.input_sha256, input_sha256, 32) != 0;
        char want[65], got[65];
        pf_sha256_hex(in ? info.input_sha256 : info.config_sha256, want);
        pf_sha256_hex(in ? input_sha256 : config_sha256, got);
        pfi_diag_file(diag, path);
        pfi_diag_path(diag, in ? "input" : "config");
        pfi_diag_set(diag, PF_E_SCHEMA,
                     "this journal belongs to a run over a different %s (sha256 %.12s..., now "
                     "%.12s...): resume with the same %s, or start a new journal",
                     in ? "input file" : "config and template", want, got,
                     in ? "input" : "config and template");
        st = PF_E_SCHEMA;
        goto out;
    }
    collapse(j, &c);
    c.ev = NULL;
    if (j->read_only)
        goto out;
    /* Cut a torn tail, so the next record starts on a boundary. */
    if (info.torn_bytes && ftruncate(j->fd, (off_t)info.valid_bytes) != 0) {
        st = io_error(diag, path, "cannot cut the torn last record");
        goto out;
    }
    if (!has_header) {
        uint8_t body[LEN_H], rec[MAGIC_LEN + REC_MAX];
        body[0] = 'H';
        put32(body + 1, VERSION);
        memcpy(body + 5, input_sha256, 32);
        memcpy(body + 37, config_sha256, 32);
        put64(body + 69, (uint64_t)now_ms());
        memcpy(rec, MAGIC, MAGIC_LEN);
        size_t n = MAGIC_LEN + frame(rec + MAGIC_LEN, body, LEN_H);
        if (!write_all(j->fd, rec, n) || fdatasync(j->fd) != 0) {
            st = io_error(diag, path, "cannot write the journal");
            goto out;
        }
        sync_dir(path);
    } else if (info.torn_bytes && fdatasync(j->fd) != 0) {
        st = io_error(diag, path, "cannot sync the journal");
        goto out;
    }
out:
    free(data);
    free(c.ev);
    if (st != PF_OK) {
        pf_journal_close(j);
        return st;
    }
    *out = j;
    return PF_OK;
}

void pf_journal_close(pf_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    pthread_mutex_destroy(&j->mu);
    free(j->rows);
    free(j->path);
    free(j);
}

size_t pf_journal_torn_bytes(const pf_journal *j)
{
    return j ? j->torn : 0;
}

size_t pf_journal_row_count(const pf_journal *j)
{
    return j ? j->nrows : 0;
}

pf_status pf_journal_lookup(const pf_journal *j, uint64_t row, pf_journal_entry *e)
{
    if (!j || !e || e->size < sizeof *e)
        return PF_E_INVALID;
    size_t lo = 0, hi = j->nrows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (j->rows[mid].row < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < j->nrows && j->rows[lo].row == row)
        *e = j->rows[lo].e;
    else
        *e = (pf_journal_entry){.size = sizeof *e};
    return PF_OK;
}

/* Append one record and make it durable, or break the journal for good. */
static pf_status append(pf_journal *j, const uint8_t *body, uint32_t len, pf_diag *diag)
{
    uint8_t rec[REC_MAX];
    size_t n = frame(rec, body, len);
    pf_status st = PF_OK;
    pthread_mutex_lock(&j->mu);
    if (j->read_only || j->fd < 0) {
        st = PF_E_INVALID;
        pfi_diag_set(diag, st, "the journal is open read-only");
    } else if (j->broken) {
        st = PF_E_IO;
        pfi_diag_file(diag, j->path);
        pfi_diag_set(diag, st, "an earlier write to the journal failed");
    } else if (!write_all(j->fd, rec, n) || fdatasync(j->fd) != 0) {
        /* What reached the file is unknowable now (a part of the record,
         * maybe); replay treats it as a torn tail. */
        j->broken = true;
        st = io_error(diag, j->path, "cannot write the journal");
    }
    pthread_mutex_unlock(&j->mu);
    return st;
}

pf_status pf_journal_record_intent(pf_journal *j, uint64_t row, const char *e164, pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!j || !e164 || strlen(e164) >= E164_LEN) {
        pfi_diag_set(diag, PF_E_INVALID, "an intent needs a journal and an E.164 number");
        return PF_E_INVALID;
    }
    uint8_t body[LEN_I] = {'I'};
    put64(body + 1, row);
    put64(body + 9, (uint64_t)now_ms());
    memcpy(body + 17, e164, strlen(e164));
    return append(j, body, LEN_I, diag);
}

pf_status pf_journal_record_outcome(pf_journal *j, uint64_t row, const pf_journal_entry *e,
                                    pf_diag *diag)
{
    pf_diag_clear(diag);
    if (!j || !e || e->outcome < PF_JOURNAL_SENT || e->outcome > PF_JOURNAL_UNKNOWN ||
        (unsigned)e->status > PF_SEND_TRANSPORT_ERROR || e->http_status < 0 ||
        e->http_status > 65535) {
        pfi_diag_set(diag, PF_E_INVALID, "an outcome needs a journal and a valid entry");
        return PF_E_INVALID;
    }
    uint8_t body[LEN_O] = {'O'};
    put64(body + 1, row);
    put64(body + 9, (uint64_t)now_ms());
    body[17] = (uint8_t)e->outcome;
    body[18] = (uint8_t)e->status;
    body[19] = (uint8_t)(e->http_status & 0xff);
    body[20] = (uint8_t)(e->http_status >> 8);
    put32(body + 21, e->attempts);
    return append(j, body, LEN_O, diag);
}

const char *pf_journal_outcome_name(pf_journal_outcome o)
{
    switch (o) {
    case PF_JOURNAL_SENT: return "sent";
    case PF_JOURNAL_FAILED: return "failed";
    case PF_JOURNAL_UNKNOWN: return "unknown";
    }
    return "?";
}
