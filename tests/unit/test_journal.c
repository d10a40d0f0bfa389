/*
 * test_journal.c — the bulk-send journal (journal.h): SHA-256 against
 * published vectors and against itself read in pieces, replay of what was
 * recorded, a torn tail cut at every byte of the last record, a bad
 * checksum in the middle (its offset), the hash binding, the lock, and a
 * write failure that breaks the journal for good.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "preflight/journal.h"
#include "test_util.h"

static uint8_t IN[32], CFG[32];

static void hex_of(const void *data, size_t len, char hex[65])
{
    uint8_t sha[32];
    pf_sha256(data, len, sha);
    pf_sha256_hex(sha, hex);
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    /* FIPS 180-4 examples and the empty string. */
    static const struct {
        const char *name, *in, *hex;
    } rows[] = {
        {"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"448 bits", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"896 bits",
         "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnop"
         "qrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char hex[65];
    for (size_t i = 0; i < PF_ARRAY_LEN(rows); i++) {
        hex_of(rows[i].in, strlen(rows[i].in), hex);
        pf_check_str(rows[i].name, hex, rows[i].hex);
    }
    /* A million 'a's, through a file read in 64 KiB pieces. */
    char path[] = "/tmp/pf_sha_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    assert_int_equal(write(fd, a, 1000000), 1000000);
    close(fd);
    uint8_t sha[32];
    pf_diag d;
    assert_int_equal(pf_sha256_file(path, sha, &d), PF_OK);
    pf_sha256_hex(sha, hex);
    pf_check_str("million a", hex,
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    hex_of(a, 1000000, hex);
    pf_check_str("million a in one piece", hex,
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    unlink(path);
    free(a);
    assert_int_equal(pf_sha256_file("/nonexistent/x", sha, &d), PF_E_IO);
}

/* The SHA-NI compression (when this CPU has it) against the portable one:
 * every length to 300 bytes at every alignment mod 16, then random
 * lengths up to 64 KiB of random bytes; and the vectors through the
 * portable one, so both are checked on a machine with the extensions. */
static void test_sha256_accelerated_same(void **state)
{
    (void)state;
    enum { MAX = 65536 + 16 };
    unsigned char *buf = malloc(MAX);
    assert_non_null(buf);
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < MAX; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    uint8_t a[32], b[32];
    char ha[65], hb[65], label[64];
    for (size_t len = 0; len <= 300; len++) {
        for (size_t off = 0; off < 16; off++) {
            pf_sha256(buf + off, len, a);
            pfi_sha256_portable(buf + off, len, b);
            if (memcmp(a, b, 32) != 0) {
                pf_sha256_hex(a, ha);
                pf_sha256_hex(b, hb);
                snprintf(label, sizeof label, "length %zu offset %zu", len, off);
                pf_check_str(label, ha, hb);
            }
        }
    }
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = (size_t)(x % 65536), off = (size_t)(x >> 32) % 16;
        pf_sha256(buf + off, len, a);
        pfi_sha256_portable(buf + off, len, b);
        pf_sha256_hex(a, ha);
        pf_sha256_hex(b, hb);
        snprintf(label, sizeof label, "random length %zu offset %zu", len, off);
        pf_check_str(label, ha, hb);
    }
    pfi_sha256_portable("abc", 3, b);
    pf_sha256_hex(b, hb);
    pf_check_str("portable abc", hb,
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    print_message("SHA-NI %s\n", pfi_sha256_accelerated() ? "in use" : "not on this CPU");
    free(buf);
}

/* A fresh journal path in /tmp. */
static void tmp_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/pf_journal_XXXXXX");
    int fd = mkstemp(buf);
    close(fd);
    unlink(buf);
}

static pf_journal_entry out_entry(pf_journal_outcome o, pf_send_status s, long http, unsigned att)
{
    pf_journal_entry e = {
        .size = sizeof e, .outcome = o, .status = s, .http_status = http, .attempts = att};
    return e;
}

/* Rows 1..3: 1 sent, 2 intent only, 3 failed; 2 is then resent and sent
 * (the last event wins). Returns the file's size after each record. */
static void write_sample(const char *path, size_t sizes[8], size_t *nsizes)
{
    pf_journal *j;
    pf_diag d;
    struct stat st;
    assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_OK);
    *nsizes = 0;
    stat(path, &st);
    sizes[(*nsizes)++] = (size_t)st.st_size;
    pf_journal_entry sent = out_entry(PF_JOURNAL_SENT, PF_SEND_ACCEPTED, 202, 1);
    pf_journal_entry failed = out_entry(PF_JOURNAL_FAILED, PF_SEND_REJECTED, 400, 1);
    assert_int_equal(pf_journal_record_intent(j, 1, "+14155550001", &d), PF_OK);
    stat(path, &st);
    sizes[(*nsizes)++] = (size_t)st.st_size;
    assert_int_equal(pf_journal_record_outcome(j, 1, &sent, &d), PF_OK);
    stat(path, &st);
    sizes[(*nsizes)++] = (size_t)st.st_size;
    assert_int_equal(pf_journal_record_intent(j, 2, "+14155550002", &d), PF_OK);
    stat(path, &st);
    sizes[(*nsizes)++] = (size_t)st.st_size;
    assert_int_equal(pf_journal_record_intent(j, 3, "+14155550003", &d), PF_OK);
    stat(path, &st);
    sizes[(*nsizes)++] = (size_t)st.st_size;
    assert_int_equal(pf_journal_record_outcome(j, 3, &failed, &d), PF_OK);
    stat(path, &st);
    sizes[(*nsizes)++] = (size_t)st.st_size;
    pf_journal_close(j);
}

static pf_journal_entry look(pf_journal *j, uint64_t row)
{
    pf_journal_entry e = {.size = sizeof e};
    assert_int_equal(pf_journal_lookup(j, row, &e), PF_OK);
    return e;
}

static void test_replay(void **state)
{
    (void)state;
    char path[64];
    size_t sizes[8], n;
    pf_journal *j;
    pf_diag d;
    tmp_path(path, sizeof path);
    write_sample(path, sizes, &n);
    assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_OK);
    assert_int_equal(pf_journal_torn_bytes(j), 0);
    assert_int_equal(pf_journal_row_count(j), 3);
    pf_journal_entry e = look(j, 1);
    assert_int_equal(e.state, PF_JOURNAL_DONE);
    assert_int_equal(e.outcome, PF_JOURNAL_SENT);
    assert_int_equal(e.http_status, 202);
    assert_int_equal(e.attempts, 1);
    assert_int_equal(look(j, 2).state, PF_JOURNAL_PENDING);
    e = look(j, 3);
    assert_int_equal(e.state, PF_JOURNAL_DONE);
    assert_int_equal(e.outcome, PF_JOURNAL_FAILED);
    assert_int_equal(e.status, PF_SEND_REJECTED);
    assert_int_equal(look(j, 4).state, PF_JOURNAL_NONE);
    assert_int_equal(look(j, 0).state, PF_JOURNAL_NONE);
    /* Row 2 resent: the later outcome wins over the earlier intent. */
    pf_journal_entry sent = out_entry(PF_JOURNAL_SENT, PF_SEND_ACCEPTED, 202, 2);
    assert_int_equal(pf_journal_record_intent(j, 2, "+14155550002", &d), PF_OK);
    assert_int_equal(pf_journal_record_outcome(j, 2, &sent, &d), PF_OK);
    /* Only one writer at a time. */
    pf_journal *j2;
    assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j2, &d), PF_E_LIMIT);
    assert_null(j2);
    pf_journal_close(j);
    assert_int_equal(pf_journal_open(path, IN, CFG, PF_JOURNAL_READ_ONLY, &j, &d), PF_OK);
    e = look(j, 2);
    assert_int_equal(e.state, PF_JOURNAL_DONE);
    assert_int_equal(e.attempts, 2);
    /* Read-only refuses appends. */
    assert_int_not_equal(pf_journal_record_intent(j, 9, "+14155550009", &d), PF_OK);
    pf_journal_close(j);
    unlink(path);
    /* Read-only over a journal not made yet: empty, and nothing created. */
    assert_int_equal(pf_journal_open(path, IN, CFG, PF_JOURNAL_READ_ONLY, &j, &d), PF_OK);
    assert_int_equal(look(j, 1).state, PF_JOURNAL_NONE);
    pf_journal_close(j);
    assert_int_not_equal(access(path, F_OK), 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(*len + 1);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Cut the journal at every byte inside its last record: each cut replays
 * as the records before it, is cut back on open, and takes new records. */
static void test_torn_tail(void **state)
{
    (void)state;
    char path[64], label[64];
    size_t sizes[8], n, len;
    pf_diag d;
    tmp_path(path, sizeof path);
    write_sample(path, sizes, &n);
    char *full = slurp(path, &len);
    size_t last = sizes[n - 2]; /* the start of row 3's outcome */
    for (size_t cut = last + 1; cut < len; cut++) {
        snprintf(label, sizeof label, "cut at %zu of %zu", cut, len);
        spit(path, full, cut);
        pf_journal *j;
        assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_OK);
        pf_check_int(label, pf_journal_torn_bytes(j), cut - last);
        pf_check_int(label, look(j, 3).state, PF_JOURNAL_PENDING);
        pf_check_int(label, look(j, 1).state, PF_JOURNAL_DONE);
        struct stat st;
        stat(path, &st);
        pf_check_int(label, st.st_size, last);
        pf_journal_entry f = out_entry(PF_JOURNAL_UNKNOWN, PF_SEND_UNKNOWN, 500, 1);
        assert_int_equal(pf_journal_record_outcome(j, 3, &f, &d), PF_OK);
        pf_journal_close(j);
        assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_OK);
        pf_check_int(label, pf_journal_torn_bytes(j), 0);
        pf_check_int(label, look(j, 3).outcome, PF_JOURNAL_UNKNOWN);
        pf_journal_close(j);
    }
    /* Zeros where a crash extended the file: torn, not corrupt. */
    char *z = calloc(1, len + 40);
    memcpy(z, full, len);
    spit(path, z, len + 40);
    pf_journal *j;
    assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_OK);
    assert_int_equal(pf_journal_torn_bytes(j), 40);
    pf_journal_close(j);
    /* A header cut short: the journal starts over. */
    spit(path, full, 20);
    assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_OK);
    assert_int_equal(pf_journal_row_count(j), 0);
    pf_journal_close(j);
    free(z);
    free(full);
    unlink(path);
}

static void test_corruption(void **state)
{
    (void)state;
    char path[64], label[64];
    size_t sizes[8], n, len;
    pf_diag d;
    pf_journal *j;
    tmp_path(path, sizeof path);
    write_sample(path, sizes, &n);
    char *full = slurp(path, &len);
    /* One flipped byte in each record but the last: corruption at that
     * record's offset, never silently skipped. */
    for (size_t r = 0; r + 2 < n; r++) {
        for (size_t at = sizes[r]; at < sizes[r + 1]; at += 7) {
            snprintf(label, sizeof label, "flip at %zu (record at %zu)", at, sizes[r]);
            char *copy = malloc(len);
            memcpy(copy, full, len);
            copy[at] ^= 0x10;
            spit(path, copy, len);
            pf_status st = pf_journal_open(path, IN, CFG, 0, &j, &d);
            pf_check_int(label, st, PF_E_SYNTAX);
            pf_check_int(label, d.offset, sizes[r]);
            pf_check(label, strstr(d.file, "pf_journal_") != NULL);
            free(copy);
        }
    }
    /* Not a journal at all. */
    spit(path, "user_number,message\n", 20);
    assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_E_SYNTAX);
    assert_int_equal(d.offset, 0);
    /* The same checks on bytes alone. */
    pf_journal_info info = {.size = sizeof info};
    assert_int_equal(pf_journal_scan(full, len, &info, &d), PF_OK);
    assert_int_equal(info.intents, 3);
    assert_int_equal(info.outcomes, 2);
    assert_int_equal(info.valid_bytes, len);
    assert_memory_equal(info.input_sha256, IN, 32);
    free(full);
    unlink(path);
}

static void test_binding(void **state)
{
    (void)state;
    char path[64];
    size_t sizes[8], n;
    pf_diag d;
    pf_journal *j;
    uint8_t other[32];
    tmp_path(path, sizeof path);
    write_sample(path, sizes, &n);
    pf_sha256("other", 5, other);
    assert_int_equal(pf_journal_open(path, other, CFG, 0, &j, &d), PF_E_SCHEMA);
    assert_non_null(strstr(d.message, "different input file"));
    assert_string_equal(d.path, "input");
    assert_int_equal(pf_journal_open(path, IN, other, 0, &j, &d), PF_E_SCHEMA);
    assert_non_null(strstr(d.message, "different config"));
    /* Nothing was changed by the refusals. */
    struct stat st;
    stat(path, &st);
    assert_int_equal(st.st_size, sizes[n - 1]);
    unlink(path);
}

/* A write that fails (here: the file-size limit, as a full disk would)
 * is reported and breaks the journal: no later append succeeds. */
static void test_write_failure(void **state)
{
    (void)state;
    char path[64];
    pf_diag d;
    pf_journal *j;
    struct rlimit old, lim;
    struct stat st;
    tmp_path(path, sizeof path);
    assert_int_equal(pf_journal_open(path, IN, CFG, 0, &j, &d), PF_OK);
    stat(path, &st);
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    assert_int_equal(pf_journal_record_intent(j, 1, "+14155550001", &d), PF_E_IO);
    assert_non_null(strstr(d.message, "cannot write the journal"));
    setrlimit(RLIMIT_FSIZE, &old);
    assert_int_equal(pf_journal_record_intent(j, 2, "+14155550002", &d), PF_E_IO);
    assert_non_null(strstr(d.message, "earlier write"));
    pf_journal_close(j);
    /* /dev/full: the header itself cannot be written. */
    assert_int_equal(pf_journal_open("/dev/full", IN, CFG, 0, &j, &d), PF_E_IO);
    unlink(path);
}

int main(void)
{
    pf_sha256("input", 5, IN);
    pf_sha256("config", 6, CFG);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_accelerated_same), cmocka_unit_test(test_replay),
        cmocka_unit_test(test_torn_tail),      cmocka_unit_test(test_corruption),
        cmocka_unit_test(test_binding),        cmocka_unit_test(test_write_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
