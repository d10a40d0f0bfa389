/*
 * fuzz_snapshot.c — the start-up cache's binary readers (issue 20) on
 * anything: the country table's snapshot (countries.c), the one-pass
 * prefilter's (onepass.c), the memo of file hashes (hashmemo.c) and the
 * loaded rule set's (rules_snap.c). The cache's SHA-256 checks keep a
 * damaged file away from them, but a forged file with the right hash
 * reaches them, so each must reject what is not well formed and hand on
 * only structures its users can walk: every entry's strings and lists, the
 * table's own checks, the prefilter's automata over a few messages, and a
 * rule set's every rule info, a lookup by id, the prefilter built over it
 * and scans of a few messages (patterns compiled on first use from the
 * sources read, the model scoring). The first byte's low four bits pick
 * the reader: 0 the countries reader on the rest as it stands in a cache
 * file after the header, 1 the prefilter reader likewise, 4 the memo
 * reader likewise, 5 the time zone offset table reader (tz.c) on the rest
 * as a "tz-<zone>" file holds it, asked for the zone the payload names (so
 * a forged name does not stop it at the first check), a table it hands on
 * asked about instants across and beyond its window, 8 the rule-set reader
 * likewise (for the shipped packs' names), 9 the rule-set reader on the
 * snapshot of the shipped packs plus rules/optional (its model rule) with
 * the rest applied as patches, every other value the prefilter reader on
 * the shipped rules' own serialized prefilter patched so (5 bytes each: a
 * little-endian offset, taken modulo the length, and the byte to put
 * there; a trailing byte cuts the payload to that many 256ths), so they
 * stay near a well-formed file whatever the rules become. The seeds are
 * payloads of a warm cache of the shipped data and rules, and of
 * America/Los_Angeles's table.
 *
 * Two readers take a payload as it stands: 6 the remembered module
 * identity's (phone_dl.c: each line re-checked by stat() or getenv), 7 the
 * icu-zones memo's (tz.c: whole records or nothing), then asked for the
 * regions of the payload's first two records (a miss asks ICU, as in use).
 * Seeds: a warm cache's files.
 */
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "fuzz.h"
#include "internal.h"
#include "phonenumber_shim.h"
#include "preflight/preflight.h"
#include "rules_int.h"
#include "tz_int.h"

static pf_ruleset *rules;
static char *own;  /* the shipped rules' prefilter, serialized */
static size_t own_len;
static pf_ruleset *full; /* the shipped packs plus rules/optional */
static char *snap;       /* its snapshot */
static size_t snap_len;

static void setup(void)
{
    const char *dir = PF_SOURCE_DIR "/rules";
    pf_diag d;
    setenv("PREFLIGHT_NO_CACHE", "1", 1); /* the set as built, not read back */
    if (pf_rules_load(&dir, 1, &rules, &d) != PF_OK)
        abort();
    if (rules->onepass && !pfi_onepass_serialize(rules->onepass, rules->ncodes, &own, &own_len))
        abort();
    const char *dirs[] = {PF_SOURCE_DIR "/rules", PF_SOURCE_DIR "/rules/optional"};
    if (pf_rules_load(dirs, 2, &full, &d) != PF_OK || !pfi_rules_snapshot(full, &snap, &snap_len))
        abort();
}

static void walk_onepass(const char *p, size_t n);
static void walk_rules(const char *p, size_t n, const pf_ruleset *names);

/* buf (len bytes) with the patches of p applied (see the top); its new length. */
static size_t patch(char *buf, size_t len, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 5 <= n; i += 5) {
        uint32_t off = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                       (uint32_t)p[i + 3] << 24;
        buf[off % len] = (char)p[i + 4];
    }
    return i < n ? len * p[i] / 256 : len;
}

static void walk_rules_patched(const uint8_t *p, size_t n)
{
    char *buf = malloc(snap_len);
    if (!buf)
        return;
    memcpy(buf, snap, snap_len);
    walk_rules(buf, patch(buf, snap_len, p, n), full);
    free(buf);
}

static void walk_rules(const char *p, size_t n, const pf_ruleset *names)
{
    static const char *const msgs[] = {
        "WIN a FREE prize!!! Claim at bit.ly/x now, txt STOP to end. Call 09061234567",
        "Acme: your code is 123456. Reply STOP to opt out.",
        "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac 5 c.a.s.i.n.o www.example.com",
        ""};
    static const char *const regions[] = {"GB", "US", NULL, "DE"};
    pf_ruleset *set = NULL;
    pf_scanner *sc = NULL;
    if (pfi_rules_from_snapshot(p, n, (const char *const *)names->files, names->nfiles, &set) !=
        PF_OK)
        return;
    for (size_t i = 0; i < pf_rules_count(set); i++) {
        const pf_rule_info *in = pf_rules_at(set, i);
        if (!in || !in->id || !in->file || !in->message || !in->fix || !in->source ||
            !in->category || !pf_rules_find(set, in->id))
            abort(); /* a rule its users cannot walk */
    }
    if (pfi_onepass_build(set) == PF_OK && pf_scanner_create(set, &sc) == PF_OK) {
        for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
            pf_scan_options o = pf_scan_options_default();
            pf_finding_list f;
            pf_diag d;
            o.country = regions[i];
            o.sender = (pf_sender_type)(i % PF_SENDER_TYPE_COUNT);
            o.brand = i % 2 ? "Acme" : NULL;
            pf_finding_list_init(&f);
            (void)pf_scanner_scan(sc, msgs[i], strlen(msgs[i]), &o, &f, &d);
            pf_finding_list_clear(&f);
        }
    }
    pf_scanner_destroy(sc);
    pf_rules_destroy(set);
}

/* The shipped prefilter with patches applied (see the top). */
static void walk_patched(const uint8_t *p, size_t n)
{
    if (!own)
        return; /* a build without the prefilter */
    char *buf = malloc(own_len);
    if (!buf)
        return;
    memcpy(buf, own, own_len);
    walk_onepass(buf, patch(buf, own_len, p, n));
    free(buf);
}

static void walk_countries(const char *p, size_t n)
{
    static const char *const fields[] = {"mobile", "sender_id", "quiet_hours", "registration",
                                         "alphanumeric", "nonsense"};
    pf_countries *t = pfi_countries_from_snapshot(p, n);
    if (!t)
        return;
    pf_country_issue issues[64];
    pf_countries_check(t, issues, 64);
    for (size_t i = 0; i < pf_countries_count(t); i++) {
        const pf_country *c = pf_countries_at(t, i);
        const char *f[64];
        pf_country_unsourced(c, f, 64);
        pf_country_low_confidence(c, f, 64);
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
            const pf_source *s = pf_country_source_for(c, fields[k]);
            if (s)
                pf_source_backs(s, fields[k]);
            pf_country_fact_low_confidence(c, fields[k]);
        }
        if (pf_countries_get(t, c->code) != c)
            abort(); /* the index disagrees with the entries */
    }
    pf_countries_get(t, "US");
    pf_countries_get(t, "ZZ");
    pf_countries_destroy(t);
}

/* The memo's reader: a payload accepted or refused as a whole, within
 * the bound, every entry taking its fixed 96 bytes and a path. */
static void walk_memo(const char *p, size_t n)
{
    long k = pfi_file_sha256_parse(p, n);
    if (k < -1 || k > 256 || (k >= 0 && (size_t)k * 98 + 4 > n))
        abort();
}

static void walk_onepass(const char *p, size_t n)
{
    static const char *const msgs[] = {
        "WIN a FREE prize!!! Claim at bit.ly/x now, txt STOP to end",
        "Acme: your code is 123456. Reply STOP to opt out.",
        "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac 5 c.a.s.i.n.o",
        ""};
    struct pfi_onepass *op = pfi_onepass_deserialize(p, n, rules->ncodes);
    if (!op)
        return;
    struct pfi_onepass *built = rules->onepass;
    rules->onepass = op;
    void *scratch = NULL;
    unsigned char *cand = malloc(rules->ncodes);
    size_t *limit = malloc(rules->ncodes * sizeof *limit);
    if (cand && limit && pfi_onepass_scratch(rules, &scratch) == PF_OK) {
        for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
            size_t len = strlen(msgs[i]);
            for (size_t k = 0; k < rules->ncodes; k++)
                limit[k] = PF_NO_LIMIT;
            pfi_onepass_candidates(rules, scratch, msgs[i], len, cand, limit);
            for (size_t k = 0; k < rules->ncodes; k++)
                if (limit[k] != PF_NO_LIMIT && limit[k] > len)
                    abort(); /* a search bound past the message's end */
        }
    }
    pfi_onepass_scratch_free(scratch);
    free(limit);
    free(cand);
    rules->onepass = built;
    pfi_onepass_free(op);
}

static void walk_tz(const char *p, size_t n)
{
    /* The id where the reader expects it: after format and window. */
    char zone[256] = "";
    if (n > 21) {
        size_t l = (unsigned char)p[20];
        if (l > n - 21)
            l = n - 21;
        memcpy(zone, p + 21, l);
        zone[l] = 0;
        if (strlen(zone) != l)
            return; /* a NUL in the name: no zone is called that */
    }
    struct pfi_tz_table t;
    if (!pfi_tz_table_decode(zone, p, n, &t))
        return;
    static const int64_t at[] = {PFI_TZ_FROM - 1, PFI_TZ_FROM, -1,        0,        1795000000,
                                 PFI_TZ_TO - 1,   PFI_TZ_TO,   INT64_MIN, INT64_MAX};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        unsigned minute = 0, weekday = 0;
        bool in = at[i] >= PFI_TZ_FROM && at[i] < PFI_TZ_TO;
        if (pfi_tz_table_local(&t, at[i], &minute, &weekday) != in)
            abort(); /* answered outside its window, or declined inside */
        if (minute >= 1440 || weekday > 6)
            abort();
    }
    for (size_t i = 0; i < t.n; i++) {
        unsigned minute = 0, weekday = 0;
        if (!pfi_tz_table_local(&t, t.at[i], &minute, &weekday) || minute >= 1440 || weekday > 6)
            abort();
    }
    pfi_tz_table_free(&t);
}

static void walk_identity(const char *p, size_t n)
{
    (void)pfi_phone_identity_still_true(p, n);
}

/* The memo over the payload, asked for the regions its first two records
 * name (as far as the bytes look like records: two capitals), each list
 * walked to its end; then closed (the cache is off: nothing written). */
static void walk_zones(const char *p, size_t n)
{
    char *copy = malloc(n ? n : 1);
    struct pfi_tz_ids_memo *m = pfi_tz_ids_memo_blank();
    if (!copy || !m) {
        free(copy);
        pfi_tz_ids_memo_close(m);
        return;
    }
    memcpy(copy, p, n);
    char region[2][3] = {"", ""};
    if (n >= 3)
        memcpy(region[0], p, 2);
    /* the second record starts after the first list's empty id */
    for (size_t i = 3; i + 1 < n; i++) {
        if (p[i] == '\0' && p[i + 1] == '\0') {
            if (i + 4 <= n)
                memcpy(region[1], p + i + 2, 2);
            break;
        }
    }
    pfi_tz_ids_memo_adopt(m, copy, n);
    for (int i = 0; i < 2; i++) {
        char *ids = NULL;
        const char *r = region[i];
        if (r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z')
            continue;
        if (pfi_tz_ids_memo_get(m, r, &ids) != PF_OK)
            continue; /* out of memory, or ICU could not answer */
        for (const char *q = ids; *q; q += strlen(q) + 1)
            continue; /* ASan: the walk stays within the copy get made */
        free(ids);
    }
    pfi_tz_ids_memo_close(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rules)
        setup();
    if (size == 0)
        return 0;
    switch (data[0] & 15) {
    case 0: walk_countries((const char *)data + 1, size - 1); break;
    case 1: walk_onepass((const char *)data + 1, size - 1); break;
    case 4: walk_memo((const char *)data + 1, size - 1); break;
    case 5: walk_tz((const char *)data + 1, size - 1); break;
    case 6: walk_identity((const char *)data + 1, size - 1); break;
    case 7: walk_zones((const char *)data + 1, size - 1); break;
    case 8: walk_rules((const char *)data + 1, size - 1, rules); break;
    case 9: walk_rules_patched(data + 1, size - 1); break;
    default: walk_patched(data + 1, size - 1); break;
    }
    return 0;
}
