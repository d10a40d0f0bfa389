/*
 * numfast.c — the compiled number engine (see numfast_int.h).
 *
 * libphonenumber spends its time interpreting ICU regular expressions
 * through a locked cache and building strings. Its metadata (the serialized
 * PhoneMetadataCollection the installed library parses itself, so an
 * upgrade is picked up) is read once per process; the patterns of a calling
 * code are compiled with PCRE2's JIT the first time a number with that code
 * is seen, so a one-number CLI run compiles one country, not 250.
 *
 * The steps mirror PhoneNumberUtil for a number written '+' and digits:
 * ExtractCountryCode (first 1-3 digit prefix with regions), the national
 * prefix stripping Parse does with the main country's metadata
 * (MaybeStripNationalPrefixAndCarrierCode + TestNumberLength), the region
 * (GetRegionCodeForNumberFromRegionList: leading digits, else a number type
 * other than unknown), GetNumberTypeHelper's order, IsValidNumberForRegion
 * and IsPossibleNumber (lengths of the main country's general description).
 *
 * Why PCRE2 and not a DFA of our own: the patterns are regular and short,
 * PCRE2's JIT matches a 10-digit number in tens of nanoseconds, and the
 * national-prefix step needs capture groups with backtracking priority —
 * ICU's semantics, which PCRE2 shares. One engine for all of it keeps the
 * code small; tests/bench/bench_number.c measures the result.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "internal.h"
#include "numfast_int.h"
#include "preflight/journal.h"
#include "preflight/version.h"
#include "utf8_int.h"

#define NF_MAX_CC 1000
#define NF_OVECTOR 16
#define NF_NSN_MAX 17 /* libphonenumber's kMaxLengthForNsn */
#define NF_NSN_MIN 2  /* kMinLengthForNsn */

/* Descriptions in GetNumberTypeHelper's order after the general one. */
enum {
    NF_GENERAL = 0,
    NF_FIXED = 1,
    NF_MOBILE = 2,
    NF_TOLL_FREE = 4,
    NF_PREMIUM = 5,
    NF_SHARED = 6,
    NF_VOIP = 7,
    NF_PERSONAL = 8,
    NF_PAGER = 9,
    NF_UAN = 10,
    NF_VOICEMAIL = 11,
};

typedef struct nf_desc {
    pcre2_code *full;   /* whole-string match; NULL: the pattern is empty, never matches */
    uint64_t first2[2]; /* bit 10a+b: some match can start with digits a, b */
    uint32_t lenmask;   /* possible lengths as bits */
    bool has_lengths;   /* no lengths: the length test is skipped, as in libphonenumber */
} nf_desc;

typedef struct nf_meta {
    const pfi_phone_meta *raw;
    pcre2_code *leading;  /* prefix match; NULL when raw->leading_digits is */
    uint64_t leading2[2]; /* as nf_desc.first2, for the leading digits */
    pcre2_code *npp;      /* national_prefix_for_parsing, prefix match */
    uint32_t npp_groups;
    nf_desc desc[PFI_PHONE_DESCS];
} nf_meta;

typedef struct nf_cc {
    nf_meta **metas; /* libphonenumber's region order for the code, main first */
    int n;
    atomic_int state; /* 0 not compiled yet, 1 ready, -1 not handled here */
} nf_cc;

static struct {
    pfi_phone_meta *raw;
    size_t n_raw;
    nf_meta *metas;
    nf_meta **lists;
    nf_cc cc[NF_MAX_CC];
    int region_cc[26 * 26];
    int min_valid_digits;    /* fewest national digits any valid number has */
    int cc_min[NF_MAX_CC];   /* fewest national digits of a code's entries; 0: no entry */
    int cc_added[NF_MAX_CC]; /* most digits a national prefix transform of a code's entries adds */
    int intl_min;            /* fewest digits of calling code + national number, less cc_added */
    int region_added[26 * 26]; /* digits the region's own national prefix transform adds */
    int region_idd[26 * 26];   /* fewest digits the region's international (IDD) prefix has */
    nf_meta *region_meta[26 * 26]; /* the region's entry (find_meta's, found once) */
    bool ok;
    bool jit;
    pthread_key_t md_key;
} g;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static atomic_bool prefer_interpreter;

void pfi_numfast_prefer_interpreter(void)
{
    atomic_store(&prefer_interpreter, true);
}
static pthread_mutex_t g_compile_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local pcre2_match_data *tl_md;

static void free_match_data(void *md)
{
    pcre2_match_data_free(md);
}

static int region_index(const char *r)
{
    if (r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z' || r[2] != '\0')
        return -1;
    return (r[0] - 'A') * 26 + (r[1] - 'A');
}

static nf_meta *find_meta(const char *id, int cc)
{
    /* "001" entries are told apart by calling code, regions by id alone
     * (the first one wins, as libphonenumber's map insert does). */
    bool nongeo = strcmp(id, "001") == 0;
    for (size_t i = 0; i < g.n_raw; i++) {
        if (strcmp(g.raw[i].id, id) == 0 && (!nongeo || g.raw[i].calling_code == cc))
            return &g.metas[i];
    }
    return NULL;
}

/*
 * The fewest characters any match of an IDD pattern has (PCRE2's minimum
 * length, a lower bound): libphonenumber strips the prefix from the
 * number's normalised digits, so a number written after it has at least
 * that many digits more. 0 when there is none or it does not compile.
 */
static int idd_digits(const char *pattern)
{
    int err;
    PCRE2_SIZE off;
    uint32_t min = 0;
    if (!pattern)
        return 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
    if (!re)
        return 0;
    if (pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &min) != 0)
        min = 0;
    pcre2_code_free(re);
    return min > 16 ? 16 : (int)min;
}

static void load(void)
{
    size_t total = 0;

    if (pthread_key_create(&g.md_key, free_match_data) != 0)
        return;
    if (!pfi_phone_metadata_cached(&g.raw, &g.n_raw))
        return;
    g.metas = calloc(g.n_raw ? g.n_raw : 1, sizeof *g.metas);
    g.lists = calloc(g.n_raw ? g.n_raw : 1, sizeof *g.lists);
    if (!g.metas || !g.lists)
        return;
    g.min_valid_digits = 99;
    for (size_t i = 0; i < g.n_raw; i++) {
        g.metas[i].raw = &g.raw[i];
        /* A valid number matches its general description, lengths included
         * (one without lengths could be any length: no bound then); the
         * national prefix transform rule may add its literal digits to
         * what was written ("1534$1"). */
        const pfi_phone_desc *gd = &g.raw[i].desc[NF_GENERAL];
        int added = 0;
        for (const char *p = g.raw[i].transform_rule; p && *p; p++) {
            if (*p == '$' && p[1])
                p++;
            else
                added++;
        }
        if (gd->n_lengths == 0)
            g.min_valid_digits = 1;
        int shortest = gd->n_lengths == 0 ? 1 : 99;
        for (int k = 0; k < gd->n_lengths; k++) {
            if (gd->lengths[k] > 0 && gd->lengths[k] - added < g.min_valid_digits)
                g.min_valid_digits = gd->lengths[k] - added;
            if (gd->lengths[k] > 0 && gd->lengths[k] < shortest)
                shortest = gd->lengths[k];
        }
        int cc = g.raw[i].calling_code;
        if (cc > 0 && cc < NF_MAX_CC && (g.cc_min[cc] == 0 || shortest < g.cc_min[cc]))
            g.cc_min[cc] = shortest;
        if (cc > 0 && cc < NF_MAX_CC && added > g.cc_added[cc])
            g.cc_added[cc] = added;
        int ri = region_index(g.raw[i].id);
        if (ri >= 0 && strcmp(g.raw[i].id, "ZZ") != 0 && g.region_cc[ri] == 0) {
            g.region_cc[ri] = g.raw[i].calling_code;
            g.region_added[ri] = added;
            g.region_idd[ri] = idd_digits(g.raw[i].international_prefix);
            g.region_meta[ri] = &g.metas[i];
        }
    }
    g.intl_min = 99;
    for (int cc = 1; cc < NF_MAX_CC; cc++) {
        int written = (cc < 10 ? 1 : cc < 100 ? 2 : 3) + g.cc_min[cc] - g.cc_added[cc];
        if (g.cc_min[cc] && written < g.intl_min)
            g.intl_min = written;
    }
    /*
     * Each calling code's regions, in the order PhoneNumberUtil builds its
     * map from the same metadata when it starts: collection order, a
     * region marked main_country_for_code to the front, "ZZ" left out.
     * Built here rather than asked of PhoneNumberUtil, whose singleton
     * (every pattern compiled as an ICU regex) costs a cold start about
     * 6 ms (issue 20); diff_numfast compares the two lists for every code.
     */
    for (int cc = 1; cc < NF_MAX_CC; cc++) {
        size_t n = 0;
        g.cc[cc].metas = &g.lists[total];
        for (size_t i = 0; i < g.n_raw; i++) {
            const pfi_phone_meta *m = &g.raw[i];
            if (m->calling_code != cc || strcmp(m->id, "ZZ") == 0)
                continue;
            nf_meta *fm = find_meta(m->id, cc);
            if (!fm || total + n >= g.n_raw)
                return;
            if (n > 0 && m->main_country_for_code) {
                memmove(&g.cc[cc].metas[1], &g.cc[cc].metas[0], n * sizeof *g.cc[cc].metas);
                g.cc[cc].metas[0] = fm;
            } else {
                g.cc[cc].metas[n] = fm;
            }
            n++;
        }
        if (n == 0)
            g.cc[cc].metas = NULL;
        g.cc[cc].n = (int)n;
        total += n;
    }
    /* JIT may be unavailable (an SELinux policy, PF_NO_JIT builds). */
    uint32_t jit = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &jit);
#ifdef PF_NO_JIT
    jit = 0;
#endif
    g.jit = jit != 0 && !atomic_load(&prefer_interpreter);
    g.ok = true;
}

static bool loaded(void)
{
    pthread_once(&g_once, load);
    return g.ok;
}

static pcre2_code *compile(const char *pattern, bool whole, uint32_t *groups)
{
    int err;
    PCRE2_SIZE off;
    char buf[8192];
    const char *p = pattern;

    /* A whole-string match, as ICU's matches(): the pattern wrapped and
     * pinned to the end, anchored at the start by the option. */
    if (whole) {
        int n = snprintf(buf, sizeof buf, "(?:%s)\\z", pattern);
        if (n < 0 || (size_t)n >= sizeof buf)
            return NULL;
        p = buf;
    }
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED, &err, &off, NULL);
    if (!re)
        return NULL;
    if (g.jit && pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0) {
        pcre2_code_free(re);
        return NULL;
    }
    if (groups)
        pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, groups);
    return re;
}

/* '$' followed by one group digit, or literal digits: every rule the
 * metadata has. Anything else is left to libphonenumber. At most two
 * groups (real rules have one), so a transformed number — at most 16
 * literal digits, two copies of groups of the at most 17 digits, the rest
 * of those digits — fits strip_prefix's 64 bytes. */
static bool rule_understood(const char *rule)
{
    int groups = 0;
    if (strlen(rule) > 16)
        return false;
    for (const char *p = rule; *p; p++) {
        if (*p == '$') {
            if (p[1] < '0' || p[1] > '9' || (p[2] >= '0' && p[2] <= '9') || ++groups > 2)
                return false;
            p++;
        } else if (*p < '0' || *p > '9') {
            return false;
        }
    }
    return true;
}

/*
 * Which two-digit starts can begin a match: a partial match (PCRE2's
 * PARTIAL_HARD, interpreted) of the two digits says whether some
 * continuation could match, so a clear bit proves no number starting with
 * those digits matches and the pattern need not run. Sound for any pattern
 * (the engine keeps every path alive until the subject ends).
 */
static bool first_two(const pcre2_code *re, uint64_t mask[2])
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md)
        return false;
    mask[0] = mask[1] = 0;
    for (int v = 0; v < 100; v++) {
        char two[2] = {(char)('0' + v / 10), (char)('0' + v % 10)};
        int rc =
            pcre2_match(re, (PCRE2_SPTR)two, 2, 0, PCRE2_PARTIAL_HARD | PCRE2_NO_JIT, md, NULL);
        if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL)
            mask[v / 64] |= 1ull << (v % 64);
    }
    pcre2_match_data_free(md);
    return true;
}

static uint32_t length_mask(const int *lengths, int n)
{
    uint32_t m = 0;
    for (int i = 0; i < n; i++) {
        if (lengths[i] >= 0 && lengths[i] < 32)
            m |= 1u << lengths[i];
    }
    return m;
}

/* Compile m's patterns, or (cached) take the codes and masks already set
 * from the start-up cache; the other checks run either way. */
static bool compile_meta(nf_meta *m, bool cached)
{
    const pfi_phone_meta *r = m->raw;

    if (r->leading_digits && !cached &&
        (!(m->leading = compile(r->leading_digits, false, NULL)) ||
         !first_two(m->leading, m->leading2)))
        return false;
    if (r->national_prefix_for_parsing) {
        if (!cached)
            m->npp = compile(r->national_prefix_for_parsing, false, &m->npp_groups);
        else
            pcre2_pattern_info(m->npp, PCRE2_INFO_CAPTURECOUNT, &m->npp_groups);
        if (!m->npp || m->npp_groups >= NF_OVECTOR)
            return false;
    }
    if (r->transform_rule && !rule_understood(r->transform_rule))
        return false;
    for (int i = 0; i < PFI_PHONE_DESCS; i++) {
        const pfi_phone_desc *d = &r->desc[i];
        for (int k = 0; k < d->n_lengths; k++) {
            if (d->lengths[k] >= 32)
                return false;
        }
        m->desc[i].has_lengths = d->n_lengths > 0;
        m->desc[i].lenmask = length_mask(d->lengths, d->n_lengths);
        if (d->pattern && !cached &&
            (!(m->desc[i].full = compile(d->pattern, true, NULL)) ||
             !first_two(m->desc[i].full, m->desc[i].first2)))
            return false;
    }
    /* TestNumberLength reads the general lengths' first element. */
    return r->desc[NF_GENERAL].n_lengths > 0;
}

/*
 * A calling code's compiled patterns from the start-up cache (issue 20).
 * Compiling them and working out each one's two-digit mask (a hundred
 * partial matches a pattern) was the dearest step of a one-number command:
 * code 1 has 25 regions, 300 patterns. PCRE2 serializes compiled code
 * (pcre2_serialize_encode): the codes of a calling code, in the order
 * code_slots lists them, and their masks are kept in one file per code
 * ("phone-patterns-CC"), keyed by the SHA-256 of every pattern's text in
 * that order, PCRE2's version and this library's, so another metadata
 * release or PCRE2 is a miss. A decoded code is the compiled one byte for
 * byte; the JIT, when in use, compiles it after decoding. The counts are
 * checked against the metadata; anything else is a miss and the code
 * compiles as before. ctest diff.numfast.cached runs diff_numfast against
 * libphonenumber on codes decoded from a warm cache.
 */
struct code_slot {
    pcre2_code **code;
    uint64_t *mask; /* NULL: the national prefix pattern has none */
    const char *pattern;
    bool whole;
};

#define SLOTS_PER_META (2 + PFI_PHONE_DESCS)

static int code_slots(nf_meta *m, struct code_slot *out)
{
    const pfi_phone_meta *r = m->raw;
    int n = 0;
    if (r->leading_digits)
        out[n++] = (struct code_slot){&m->leading, m->leading2, r->leading_digits, false};
    if (r->national_prefix_for_parsing)
        out[n++] = (struct code_slot){&m->npp, NULL, r->national_prefix_for_parsing, false};
    for (int i = 0; i < PFI_PHONE_DESCS; i++) {
        if (r->desc[i].pattern)
            out[n++] = (struct code_slot){&m->desc[i].full, m->desc[i].first2, r->desc[i].pattern,
                                          true};
    }
    return n;
}

/* Every slot of calling code c (malloc'd into *out); -1 on memory. */
static int cc_slots(nf_cc *c, struct code_slot **out)
{
    struct code_slot *s = malloc(((size_t)c->n * SLOTS_PER_META + 1) * sizeof *s);
    int n = 0;
    if (!s)
        return -1;
    for (int i = 0; i < c->n; i++)
        n += code_slots(c->metas[i], s + n);
    *out = s;
    return n;
}

/* false on memory */
static bool cc_key(int cc, const struct code_slot *s, int n, uint8_t key[32])
{
    char v[64] = "";
    pcre2_config(PCRE2_CONFIG_VERSION, v);
    size_t cap = 256;
    for (int i = 0; i < n; i++)
        cap += strlen(s[i].pattern) + 2;
    char *b = malloc(cap);
    if (!b)
        return false;
    size_t len = (size_t)snprintf(b, cap, "phone-patterns 1\nlibpreflight %s\npcre2 %s\ncc %d %d\n",
                                  pf_version(), v, cc, n);
    for (int i = 0; i < n && len < cap; i++) {
        /* The kind (whole-string or prefix match) and the text, NUL-ended. */
        size_t l = strlen(s[i].pattern) + 1;
        b[len++] = s[i].whole ? 'W' : 'P';
        memcpy(b + len, s[i].pattern, l);
        len += l;
    }
    pf_sha256(b, len, key);
    free(b);
    return true;
}

/* Payload: u32 count, count x u64[2] masks, PCRE2's serialized codes. */
static bool cc_from_cache(nf_cc *c, int cc)
{
    struct code_slot *s = NULL;
    pcre2_code **codes = NULL;
    char *buf = NULL, name[32];
    size_t len = 0;
    uint8_t key[32];
    uint32_t count;
    bool ok = false;
    int n = cc_slots(c, &s), got = 0;

    if (n <= 0 || !pfi_cache_enabled())
        goto out;
    snprintf(name, sizeof name, "phone-patterns-%d", cc);
    if (!cc_key(cc, s, n, key) || !pfi_cache_read(name, key, &buf, &len) || len < 4)
        goto out;
    memcpy(&count, buf, 4);
    /* PCRE2 trusts the codes it decodes: what stands between a bad file
     * and them is the cache's checks (its SHA-256; the directory is the
     * user's own, 0700), as for every cache file. Here only the counts. */
    if (count != (uint32_t)n || (len - 4) / 16 < (size_t)n + 1 ||
        pcre2_serialize_get_number_of_codes((const uint8_t *)buf + 4 + 16 * (size_t)n) != n ||
        !(codes = calloc((size_t)n, sizeof *codes)))
        goto out;
    got = pcre2_serialize_decode(codes, n, (const uint8_t *)buf + 4 + 16 * (size_t)n, NULL);
    if (got != n)
        goto out;
    for (int i = 0; i < n; i++) {
        if (g.jit && pcre2_jit_compile(codes[i], PCRE2_JIT_COMPLETE) != 0)
            goto out;
    }
    for (int i = 0; i < n; i++) {
        *s[i].code = codes[i];
        if (s[i].mask)
            memcpy(s[i].mask, buf + 4 + 16 * (size_t)i, 16);
    }
    ok = true;
    for (int i = 0; i < c->n; i++)
        ok = ok && compile_meta(c->metas[i], true);
    if (!ok) {
        /* Back to nothing set, for the compile that follows. */
        for (int i = 0; i < n; i++) {
            *s[i].code = NULL;
            if (s[i].mask)
                memset(s[i].mask, 0, 16);
        }
    }
out:
    if (!ok && codes) {
        for (int i = 0; i < got && i < n; i++)
            pcre2_code_free(codes[i]);
    }
    free(codes);
    free(buf);
    free(s);
    return ok;
}

static void cc_to_cache(nf_cc *c, int cc)
{
    struct code_slot *s = NULL;
    const pcre2_code **codes = NULL;
    uint8_t *ser = NULL, key[32];
    PCRE2_SIZE slen = 0;
    char *buf = NULL, name[32];
    int n = cc_slots(c, &s);

    if (n <= 0 || !pfi_cache_enabled() || !(codes = malloc((size_t)n * sizeof *codes)))
        goto out;
    for (int i = 0; i < n; i++)
        codes[i] = *s[i].code;
    if (pcre2_serialize_encode(codes, n, &ser, &slen, NULL) != n)
        goto out;
    size_t len = 4 + 16 * (size_t)n + slen;
    if (!(buf = malloc(len)))
        goto out;
    uint32_t count = (uint32_t)n;
    memcpy(buf, &count, 4);
    for (int i = 0; i < n; i++) {
        uint64_t none[2] = {0, 0};
        memcpy(buf + 4 + 16 * (size_t)i, s[i].mask ? s[i].mask : none, 16);
    }
    memcpy(buf + 4 + 16 * (size_t)n, ser, slen);
    snprintf(name, sizeof name, "phone-patterns-%d", cc);
    if (cc_key(cc, s, n, key))
        (void)pfi_cache_write(name, key, buf, len);
out:
    if (ser)
        pcre2_serialize_free(ser);
    free(buf);
    free(codes);
    free(s);
}

static bool cc_ready(nf_cc *c)
{
    int s = atomic_load_explicit(&c->state, memory_order_acquire);
    if (s == 0) {
        pthread_mutex_lock(&g_compile_lock);
        s = atomic_load_explicit(&c->state, memory_order_relaxed);
        if (s == 0) {
            int cc = (int)(c - g.cc);
            s = 1;
            if (!cc_from_cache(c, cc)) {
                for (int i = 0; i < c->n; i++) {
                    if (!compile_meta(c->metas[i], false))
                        s = -1;
                }
                if (s == 1)
                    cc_to_cache(c, cc);
            }
            atomic_store_explicit(&c->state, s, memory_order_release);
        }
        pthread_mutex_unlock(&g_compile_lock);
    }
    return s == 1;
}

static pcre2_match_data *match_data(void)
{
    if (!tl_md) {
        tl_md = pcre2_match_data_create(NF_OVECTOR, NULL);
        /* Freed when the thread ends; the main thread's lives as long as
         * the process, like libphonenumber's own singleton. */
        if (tl_md && pthread_setspecific(g.md_key, tl_md) != 0) {
            pcre2_match_data_free(tl_md);
            tl_md = NULL;
        }
    }
    return tl_md;
}

static int run(const pcre2_code *re, const char *s, size_t n, pcre2_match_data *md)
{
    if (g.jit)
        return pcre2_jit_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
    return pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
}

/* IsNumberMatchingDesc: the length list first (when there is one), then
 * the pattern (an empty pattern never matches). */
static bool may_start(const uint64_t mask[2], const char *s, size_t n)
{
    if (n < 2)
        return true; /* the masks speak of two digits; shorter input runs the pattern */
    int v = (s[0] - '0') * 10 + (s[1] - '0');
    return mask[v / 64] >> (v % 64) & 1;
}

static bool desc_matches(const nf_desc *d, const char *s, size_t n, pcre2_match_data *md)
{
    if (d->has_lengths && (n >= 32 || !(d->lenmask >> n & 1)))
        return false;
    return d->full && may_start(d->first2, s, n) && run(d->full, s, n, md) >= 0;
}

/* GetNumberTypeHelper, returning a pf_number_type value. */
static int number_type(const nf_meta *m, const char *s, size_t n, pcre2_match_data *md)
{
    static const int order[] = {NF_PREMIUM,  NF_TOLL_FREE, NF_SHARED, NF_VOIP,
                                NF_PERSONAL, NF_PAGER,     NF_UAN,    NF_VOICEMAIL};
    if (!desc_matches(&m->desc[NF_GENERAL], s, n, md))
        return 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (desc_matches(&m->desc[order[i]], s, n, md))
            return order[i];
    }
    bool same = m->raw->same_mobile_and_fixed_line;
    if (desc_matches(&m->desc[NF_FIXED], s, n, md)) {
        if (same || desc_matches(&m->desc[NF_MOBILE], s, n, md))
            return 3; /* fixed_line_or_mobile */
        return NF_FIXED;
    }
    if (!same && desc_matches(&m->desc[NF_MOBILE], s, n, md))
        return NF_MOBILE;
    return 0;
}

enum { NF_POSSIBLE, NF_LOCAL_ONLY, NF_TOO_SHORT, NF_TOO_LONG, NF_INVALID_LENGTH };

/* TestNumberLength for type UNKNOWN: the general description's lengths,
 * first element as minimum and last as maximum, as libphonenumber reads them. */
static int test_length(const nf_meta *m, size_t n)
{
    const pfi_phone_desc *d = &m->raw->desc[NF_GENERAL];
    int len = (int)n;
    if (d->lengths[0] == -1)
        return NF_INVALID_LENGTH;
    for (int i = 0; i < d->n_local; i++) {
        if (d->local[i] == len)
            return NF_LOCAL_ONLY;
    }
    if (d->lengths[0] == len)
        return NF_POSSIBLE;
    if (d->lengths[0] > len)
        return NF_TOO_SHORT;
    if (d->lengths[d->n_lengths - 1] < len)
        return NF_TOO_LONG;
    for (int i = 1; i < d->n_lengths; i++) {
        if (d->lengths[i] == len)
            return NF_POSSIBLE;
    }
    return NF_INVALID_LENGTH;
}

/*
 * MaybeStripNationalPrefixAndCarrierCode on num[0..*n) (room for 64), then
 * (parse) kept only when the rest is a possible length, as Parse does.
 */
static void strip_prefix(const nf_meta *m, char *num, size_t *n, pcre2_match_data *md, bool parse)
{
    char out[64];
    size_t on = 0;

    if (*n == 0 || !m->npp)
        return;
    if (run(m->npp, num, *n, md) < 0)
        return;
    /* Copied out: the next match reuses the match data. */
    PCRE2_SIZE groups[2 * NF_OVECTOR];
    memcpy(groups, pcre2_get_ovector_pointer(md), sizeof(PCRE2_SIZE) * 2 * (m->npp_groups + 1));
    size_t end = groups[1];
    bool viable = m->desc[NF_GENERAL].full && run(m->desc[NF_GENERAL].full, num, *n, md) >= 0;
    /* The group the transform rule is keyed on: the second when there are
     * two or more (the first is the carrier code), else the first. */
    uint32_t key = m->npp_groups >= 2 ? 2 : 1;
    PCRE2_SIZE ks = m->npp_groups >= 1 ? groups[2 * key] : PCRE2_UNSET;
    PCRE2_SIZE ke = m->npp_groups >= 1 ? groups[2 * key + 1] : PCRE2_UNSET;
    const char *rule = m->raw->transform_rule;

    if (rule && m->npp_groups >= 1 && ks != PCRE2_UNSET && ke > ks) {
        bool failed = false;
        for (const char *p = rule; *p; p++) {
            if (*p == '$') {
                uint32_t gi = (uint32_t)(p[1] - '0');
                p++;
                if (gi > m->npp_groups) {
                    failed = true; /* ICU refuses the replacement; the number stays */
                    break;
                }
                if (groups[2 * gi] != PCRE2_UNSET) {
                    size_t gl = groups[2 * gi + 1] - groups[2 * gi];
                    memcpy(out + on, num + groups[2 * gi], gl);
                    on += gl;
                }
            } else {
                out[on++] = *p;
            }
        }
        if (failed) {
            memcpy(out, num, *n);
            on = *n;
        } else {
            memcpy(out + on, num + end, *n - end);
            on += *n - end;
        }
    } else {
        memcpy(out, num + end, *n - end);
        on = *n - end;
    }
    if (viable && !(m->desc[NF_GENERAL].full && run(m->desc[NF_GENERAL].full, out, on, md) >= 0))
        return;
    int t = parse ? test_length(m, on) : NF_POSSIBLE;
    if (t == NF_TOO_SHORT || t == NF_LOCAL_ONLY || t == NF_INVALID_LENGTH)
        return;
    memcpy(num, out, on);
    *n = on;
}

/* GetRegionCodeForNumber for the national significant number nsn of code
 * c: its entry, or NULL. A region chosen by its number type gives that type
 * in *type (GetNumberType would compute the same again), else -1. */
static const nf_meta *region_for_number(const nf_cc *c, const char *nsn, size_t n,
                                        pcre2_match_data *md, int *type)
{
    const nf_meta *region = NULL;
    *type = -1;
    if (c->n == 1)
        return c->metas[0];
    for (int i = 0; i < c->n && !region; i++) {
        const nf_meta *m = c->metas[i];
        if (m->raw->leading_digits) {
            if (may_start(m->leading2, nsn, n) && run(m->leading, nsn, n, md) >= 0)
                region = m;
        } else if ((*type = number_type(m, nsn, n, md)) != 0) {
            region = m;
        }
    }
    if (region && region->raw->leading_digits)
        *type = -1;
    return region;
}

bool pfi_numfast_parse(const char *input, size_t len, pfi_phone_info *info)
{
    char nsn[64];
    size_t n;
    int cc = 0;
    size_t ccl = 0;

    if (len < 4 || len > 16 || !loaded())
        return false;
    const char *d = input + 1;
    size_t dn = len - 1;
    /* ExtractCountryCode: the shortest prefix that is a known code. */
    int v = 0;
    for (size_t i = 1; i <= 3 && i <= dn; i++) {
        v = v * 10 + (d[i - 1] - '0');
        if (g.cc[v].n > 0) {
            cc = v;
            ccl = i;
            break;
        }
    }
    if (cc == 0)
        return false;
    nf_cc *c = &g.cc[cc];
    if (!cc_ready(c))
        return false;
    pcre2_match_data *md = match_data();
    if (!md)
        return false;
    const nf_meta *main_meta = c->metas[0];
    n = dn - ccl;
    memcpy(nsn, d + ccl, n);
    strip_prefix(main_meta, nsn, &n, md, true);
    if (n < NF_NSN_MIN || n > NF_NSN_MAX)
        return false;

    int type;
    const nf_meta *region = region_for_number(c, nsn, n, md, &type);

    memset(info, 0, sizeof *info);
    info->calling_code = cc;
    /* "+", the calling code, the national number: E.164 as Format writes it. */
    char *e = info->e164;
    *e++ = '+';
    memcpy(e, d, ccl);
    e += ccl;
    memcpy(e, nsn, n);
    e[n] = '\0';
    if (region) {
        memcpy(info->region, region->raw->id, sizeof info->region);
        info->type = type >= 0 ? type : number_type(region, nsn, n, md);
        info->valid = info->type != 0;
    } else if (strcmp(main_meta->raw->id, "001") == 0) {
        memcpy(info->region, "001", 4);
    }
    int t = test_length(main_meta, n);
    info->possible = t == NF_POSSIBLE || t == NF_LOCAL_ONLY;
    return true;
}

/* Each region's IDD pattern, compiled the first time a national number of
 * the region is asked about: 0 not yet, 1 ready (NULL code: the region has
 * none), -1 it did not compile. */
static pcre2_code *idd_code[26 * 26];
static atomic_int idd_state[26 * 26];

static int idd_ready(int ri, const nf_meta *m)
{
    int s = atomic_load_explicit(&idd_state[ri], memory_order_acquire);
    if (s != 0)
        return s;
    pthread_mutex_lock(&g_compile_lock);
    s = atomic_load_explicit(&idd_state[ri], memory_order_relaxed);
    if (s == 0) {
        const char *p = m->raw->international_prefix;
        idd_code[ri] = p ? compile(p, false, NULL) : NULL;
        s = p && !idd_code[ri] ? -1 : 1;
        atomic_store_explicit(&idd_state[ri], s, memory_order_release);
    }
    pthread_mutex_unlock(&g_compile_lock);
    return s;
}

/*
 * Parse then IsValidNumber for a run of ASCII digits written as a national
 * number of region — what the plain-run check asks libphonenumber
 * (pfi_phone_valid, which reads no region as "ZZ": Parse then refuses
 * digits without a plus). Parse with a default region and no plus sign: the
 * digits are viable and hold no extension; an IDD prefix of the region at
 * their start would make them international — left to libphonenumber.
 * MaybeExtractCountryCode then takes the region's own calling code off
 * their start when, with the region's national prefix stripped too, the
 * rest matches the region's general pattern and the whole did not, or the
 * whole is too long for the region; the code's main region then strips
 * the national prefix again (Parse), else the region does. The prefix
 * stays when what is left would not have a possible length; a national
 * number of 2 to 17 digits is valid if GetRegionCodeForNumber finds a
 * region whose number types take it.
 */
int pfi_numfast_national_valid(const char *digits, size_t len, const char *region)
{
    char nsn[64];
    /* No region: Parse refuses digits without a plus (INVALID_COUNTRY_CODE). */
    if (!region || !*region)
        return len >= 3 && len <= NF_NSN_MAX && loaded() ? 0 : -1;
    int ri = region_index(region);
    if (len < 3 || len > NF_NSN_MAX || ri < 0 || !loaded())
        return -1;
    int cc = g.region_cc[ri];
    if (cc <= 0 || cc >= NF_MAX_CC)
        return -1;
    nf_cc *c = &g.cc[cc];
    const nf_meta *m = g.region_meta[ri];
    /* No IDD pattern at all: libphonenumber would try an empty one, which
     * matches anywhere — left to it (no region lacks one today). */
    if (!m || !m->raw->international_prefix || !cc_ready(c) || idd_ready(ri, m) != 1)
        return -1;
    pcre2_match_data *md = match_data();
    if (!md)
        return -1;
    if (idd_code[ri] && run(idd_code[ri], digits, len, md) >= 0)
        return -1; /* perhaps an international number after the IDD */
    size_t n = len;
    memcpy(nsn, digits, n);
    const nf_meta *strip = m;
    char ccs[8];
    int ccl = snprintf(ccs, sizeof ccs, "%d", cc);
    if (ccl > 0 && (size_t)ccl <= len && memcmp(digits, ccs, (size_t)ccl) == 0) {
        /* The calling code written without the plus? */
        char rest[64];
        size_t rn = len - (size_t)ccl;
        memcpy(rest, digits + ccl, rn);
        strip_prefix(m, rest, &rn, md, false);
        const pcre2_code *gen = m->desc[NF_GENERAL].full;
        bool whole = gen && run(gen, digits, len, md) >= 0;
        bool after = gen && run(gen, rest, rn, md) >= 0;
        if ((!whole && after) || test_length(m, len) == NF_TOO_LONG) {
            memcpy(nsn, rest, rn);
            n = rn;
            strip = c->metas[0]; /* GetRegionCodeForCountryCode: the main region */
        }
    }
    if (n < NF_NSN_MIN)
        return 0; /* Parse fails before the strip: too short */
    strip_prefix(strip, nsn, &n, md, true);
    if (n < NF_NSN_MIN || n > NF_NSN_MAX)
        return 0; /* Parse fails: too short or too long */
    int type;
    const nf_meta *r = region_for_number(c, nsn, n, md, &type);
    if (!r)
        return 0;
    return (type >= 0 ? type : number_type(r, nsn, n, md)) != 0;
}

bool pfi_numfast_region_calling_code(const char *region, int *calling_code)
{
    if (!loaded())
        return false;
    int ri = region_index(region);
    *calling_code = ri < 0 ? 0 : g.region_cc[ri];
    return true;
}

/*
 * North American area descriptions for quiet hours (engine.c): one table
 * for the process, indexed by the six digits after "+1" (NPA-NXX), filled
 * from libphonenumber's offline geocoder the first time a prefix is asked
 * for. The geocoder describes these numbers by NPA-NXX (its prefix data
 * stops there; tests/diff/diff_geo.c checks every NPA-NXX against a second
 * number of the same prefix). Readers take no lock: an entry is published
 * with a release store after its string is in place; only a miss locks,
 * to intern the string.
 *
 * Entry values: 0 not asked yet, 1 no description, k + 2 pool string k.
 */
#define GEO_KEYS 1000000
#define GEO_POOL 65536
#define GEO_HASH (GEO_POOL * 2)

static struct {
    _Atomic uint32_t *entry;
    const char *pool[GEO_POOL];
    uint32_t n_pool;
    uint32_t hash[GEO_HASH]; /* pool index + 1, open addressing */
} geo;

static pthread_once_t geo_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t geo_lock = PTHREAD_MUTEX_INITIALIZER;

static void geo_load(void)
{
    /* 4 MB of address space; only the pages of prefixes asked for are
     * ever touched. */
    geo.entry = calloc(GEO_KEYS, sizeof *geo.entry);
}

static uint32_t geo_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The entry value for description s (interned), or 0 when the pool is full. */
static uint32_t geo_intern(const char *s)
{
    uint32_t v = 0;
    pthread_mutex_lock(&geo_lock);
    for (uint32_t h = geo_hash(s) % GEO_HASH;; h = (h + 1) % GEO_HASH) {
        if (geo.hash[h] == 0) {
            char *copy = geo.n_pool < GEO_POOL ? strdup(s) : NULL;
            if (copy) {
                geo.pool[geo.n_pool] = copy;
                geo.hash[h] = ++geo.n_pool;
                v = geo.n_pool + 1;
            }
            break;
        }
        if (strcmp(geo.pool[geo.hash[h] - 1], s) == 0) {
            v = geo.hash[h] + 1;
            break;
        }
    }
    pthread_mutex_unlock(&geo_lock);
    return v;
}

long pfi_numfast_calling_code_regions(int calling_code, char (*regions)[4], size_t cap)
{
    if (!loaded() || calling_code <= 0 || calling_code >= NF_MAX_CC)
        return -1;
    const nf_cc *c = &g.cc[calling_code];
    for (int i = 0; i < c->n && (size_t)i < cap; i++)
        memcpy(regions[i], c->metas[i]->raw->id, 4);
    return c->n;
}

bool pfi_numfast_describe_nanp(const char *e164, char *buf, size_t cap)
{
    uint32_t key = 0;

    if (cap == 0)
        return false;
    buf[0] = '\0';
    if (strncmp(e164, "+1", 2) != 0 || strlen(e164) != 12)
        return pfi_phone_describe(e164, strlen(e164), buf, cap);
    for (int i = 2; i < 12; i++) {
        if (e164[i] < '0' || e164[i] > '9')
            return pfi_phone_describe(e164, 12, buf, cap);
        if (i < 8)
            key = key * 10 + (uint32_t)(e164[i] - '0');
    }
    pthread_once(&geo_once, geo_load);
    if (!geo.entry)
        return pfi_phone_describe(e164, 12, buf, cap);
    uint32_t v = atomic_load_explicit(&geo.entry[key], memory_order_acquire);
    if (v == 0) {
        char where[256];
        bool found = pfi_phone_describe(e164, 12, where, sizeof where);
        v = found ? geo_intern(where) : 1;
        if (v == 0) { /* pool full: answer without remembering */
            snprintf(buf, cap, "%s", where);
            return true;
        }
        atomic_store_explicit(&geo.entry[key], v, memory_order_release);
    }
    if (v == 1)
        return false;
    snprintf(buf, cap, "%s", geo.pool[v - 2]);
    return true;
}

/*
 * Whether libphonenumber's matcher could find a valid number in text. Its
 * candidates are blocks of decimal digits (any script: \p{Nd}) joined by
 * punctuation and spaces, never by a letter other than 'x' (which Parse
 * may read as a keypad digit when three letters remain), then an optional
 * extension it strips; a valid number has at least min_valid_digits digits
 * as written. So when no stretch of text free of ASCII letters holds that
 * many digits and x's, there is nothing to find. Every other character
 * joins a stretch, and any non-ASCII character other than a digit or a
 * fullwidth x neither counts nor breaks: a superset of the matcher's
 * candidates, so the test can only say "maybe" too often.
 */
/* Whether text has a plus sign libphonenumber reads as one ('+', U+FF0B). */
static bool has_plus(const char *text, size_t len)
{
    static const char fullwidth_plus[] = "\xef\xbc\x8b";
    if (memchr(text, '+', len))
        return true;
    for (const char *p = text; (p = memchr(p, '\xef', len - (size_t)(p - text))) != NULL; p++) {
        if ((size_t)(text + len - p) >= 3 && memcmp(p, fullwidth_plus, 3) == 0)
            return true;
    }
    return false;
}

/*
 * With a default region it can be tighter (issue 20: a "10:30" in a
 * message to a US number started PhoneNumberUtil, 14 % of a check). Text
 * without a plus sign holds either a national number of the default
 * region's calling code (libphonenumber strips and transforms it with the
 * default region's metadata: at least the shortest length of any region
 * sharing the code, less the digits the region's own transform adds), or
 * a number after an international (IDD) prefix: the prefix's digits, a
 * calling code and a national number (transformed by one of the code's
 * regions: less the most any of them adds), at least intl_min, plus the
 * fewest digits of the default region's own IDD prefix (libphonenumber
 * strips only that one: "011" in the US, "00" in most of the world). Any
 * plus sign anywhere: the region-free bound. diff_text compares the
 * matcher with and without this under twelve regions.
 */
/*
 * Stretches of text as may_have_number reads it; with runs, each stretch
 * of at least need is recorded, and the walk goes on to the end.
 */
struct runs {
    size_t *starts, *lens, cap, n;
    bool plain; /* every recorded stretch was a plain run (see below) */
};
static bool may_have_number(const char *text, size_t len, int need, struct runs *runs);

/* The fewest digits a number the matcher reports in text with default
 * region (NULL: none) has; 0 when the engine is not loaded (no bound). */
static int text_need(const char *text, size_t len, const char *region)
{
    int cc = 0;
    if (!loaded() || g.min_valid_digits < 2)
        return 0;
    if (has_plus(text, len))
        return g.min_valid_digits;
    int ri = region ? region_index(region) : -1;
    int need = g.intl_min + (ri >= 0 ? g.region_idd[ri] : 0);
    if (ri >= 0 && pfi_numfast_region_calling_code(region, &cc) && cc > 0 && cc < NF_MAX_CC &&
        g.cc_min[cc] && g.cc_min[cc] - g.region_added[ri] < need)
        need = g.cc_min[cc] - g.region_added[ri];
    if (need < g.min_valid_digits) /* that bound holds for every number */
        need = g.min_valid_digits;
    return need;
}

bool pfi_numfast_text_may_have_number_in(const char *text, size_t len, const char *region)
{
    int need = text_need(text, len, region);
    return need == 0 || may_have_number(text, len, need, NULL);
}

bool pfi_numfast_text_may_have_number(const char *text, size_t len)
{
    if (!loaded() || g.min_valid_digits < 2)
        return true;
    return may_have_number(text, len, g.min_valid_digits, NULL);
}

/*
 * The longest plain run taken: libphonenumber's longest national number.
 * Its matcher takes up to 20 digits a block, so a run this long is one
 * candidate, whole.
 */
#define PLAIN_MAX 17

bool pfi_numfast_text_plain_runs(const char *text, size_t len, const char *region, size_t *starts,
                                 size_t *lens, size_t cap, size_t *n)
{
    *n = 0;
    int need = text_need(text, len, region);
    if (need == 0 || has_plus(text, len))
        return false;
    struct runs r = {starts, lens, cap, 0, true};
    (void)may_have_number(text, len, need, &r);
    *n = r.n;
    return r.plain;
}

/*
 * Is the ASCII letter word s[0..n) one libphonenumber's matcher can take
 * as an extension label (its "e?xt(?:ensi(?:o\u0301?|\u00F3))?n?",
 * "anexo" and "int"; "n" is the end of "extensió n" after the accented
 * letter)? Such a label ends a candidate, and when the matcher then tries
 * the part of a candidate before a split (libphonenumber's inner matches:
 * "338 ext. 010" yields "338 ext"), Parse reads its letters as keypad
 * digits: they count. diff_text has such texts.
 */
static bool ext_label(const unsigned char *s, size_t n)
{
    static const char *const labels[] = {"xt",      "ext",     "xtn",      "extn",     "xtensi",
                                         "extensi", "xtensio", "extensio", "xtension", "extension",
                                         "n",       "anexo",   "int"};
    for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
        if (strlen(labels[k]) != n)
            continue;
        size_t m = 0;
        while (m < n && (s[m] | 0x20) == (unsigned char)labels[k][m])
            m++;
        if (m == n)
            return true;
    }
    return false;
}

/*
 * The stretch being read. A plain run is a stretch whose counted
 * characters are ASCII digits, one right after another, at most
 * PLAIN_MAX of them: nothing the matcher could split, join or extend, so
 * its one candidate there holds exactly those digits.
 */
struct stretch {
    int count;          /* what counts toward need */
    size_t first, next; /* the first counted byte; just past the last */
    bool plain;
};

/* The stretch ends (a letter that breaks it, or the end of the text). */
static void stretch_end(struct stretch *st, int need, struct runs *runs)
{
    if (runs && st->count >= need) {
        if (!st->plain || st->count > PLAIN_MAX || runs->n == runs->cap) {
            runs->plain = false;
        } else {
            runs->starts[runs->n] = st->first;
            runs->lens[runs->n++] = st->next - st->first;
        }
    }
    st->count = 0;
    st->plain = true;
}

/* One more counted character, s[i..i+k); ascii_digit: an ASCII digit. */
static void stretch_add(struct stretch *st, size_t i, size_t k, bool ascii_digit)
{
    if (st->count == 0)
        st->first = i;
    else if (i != st->next)
        st->plain = false; /* something between two counted characters */
    if (!ascii_digit)
        st->plain = false;
    st->next = i + k;
    st->count++;
}

static bool may_have_number(const char *text, size_t len, int need, struct runs *runs)
{
    const unsigned char *s = (const unsigned char *)text;
    struct stretch st = {0, 0, 0, true};
    for (size_t i = 0; i < len;) {
        unsigned char b = s[i];
        if (b < 0x80) {
            /* An 'x' is read with its word below, so a label that starts
             * with one ("xtension") is seen whole. */
            if (b >= '0' && b <= '9') {
                stretch_add(&st, i, 1, true);
                i++;
                if (!runs && st.count >= need)
                    return true;
            } else if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') {
                /* A word of letters: an extension label counts, any other
                 * breaks the stretch. */
                size_t w = i;
                while (w < len && (s[w] | 0x20) >= 'a' && (s[w] | 0x20) <= 'z')
                    w++;
                if (ext_label(s + i, w - i)) {
                    for (size_t k = i; k < w; k++)
                        stretch_add(&st, k, 1, false);
                } else {
                    /* As before, letter by letter: an 'x' counts, any
                     * other letter breaks the stretch. */
                    for (size_t k = i; k < w; k++) {
                        if ((s[k] | 0x20) == 'x')
                            stretch_add(&st, k, 1, false);
                        else
                            stretch_end(&st, need, runs);
                    }
                }
                if (!runs && st.count >= need)
                    return true;
                i = w;
            } else {
                i++;
            }
            continue;
        }
        uint32_t cp;
        size_t k = pfi_utf8_decode(s + i, len - i, &cp);
        if (k == 0) { /* ill-formed: a replacement character to the matcher */
            i++;
            continue;
        }
        bool digit = pfi_is_decimal_digit(cp) || cp == 0xFF58 ||
                     cp == 0xFF38; /* fullwidth x, X */
        if (digit) {
            stretch_add(&st, i, k, false);
            if (!runs && st.count >= need)
                return true;
        }
        i += k;
    }
    stretch_end(&st, need, runs);
    return false;
}
