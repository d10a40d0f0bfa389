/*
 * metacache.c — libphonenumber's metadata for the number engine, from the
 * start-up cache (cache_int.h, file "phone-metadata"; issue 20).
 *
 * The engine (numfast.c) reads the metadata libphonenumber carries by
 * parsing its serialized protobuf and copying every entry
 * (pfi_phone_metadata): a sixth of a one-message command. The copy is
 * plain data (strings and length lists), so it is kept in the cache in a
 * flat form and read back with every length bounds-checked. The file's key
 * is the identity (path, size, modification time, inode) of the installed
 * libphonenumber.so that holds the metadata and of the libgeocoding.so
 * beside it (pfi_phone_library_identity), with this library's version and
 * the format's; the payload is checked by its SHA-256 like every cache
 * file. diff_numfast checks that a round trip gives every field back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_int.h"
#include "internal.h"
#include "numfast_int.h"
#include "phonenumber_shim.h"
#include "preflight/journal.h"
#include "preflight/version.h"

#define FILE_NAME "phone-metadata"
#define MAX_METAS 4096

struct out {
    char *p;
    size_t n, cap;
    bool failed;
};

static void put(struct out *o, const void *d, size_t n)
{
    if (o->failed)
        return;
    if (o->n + n > o->cap) {
        size_t cap = (o->n + n) * 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, d, n);
    o->n += n;
}

static void put_i32(struct out *o, int32_t v)
{
    put(o, &v, sizeof v);
}

/* A string as its length + 1 (0: NULL) and its bytes. */
static void put_str(struct out *o, const char *s)
{
    put_i32(o, s ? (int32_t)strlen(s) + 1 : 0);
    if (s)
        put(o, s, strlen(s));
}

bool pfi_phone_meta_serialize(const pfi_phone_meta *m, size_t n, char **buf, size_t *len)
{
    struct out o = {0};
    put_i32(&o, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        put(&o, m[i].id, sizeof m[i].id);
        put_i32(&o, m[i].calling_code);
        put_i32(&o, m[i].same_mobile_and_fixed_line);
        put_i32(&o, m[i].main_country_for_code);
        put_str(&o, m[i].leading_digits);
        put_str(&o, m[i].national_prefix_for_parsing);
        put_str(&o, m[i].transform_rule);
        put_str(&o, m[i].international_prefix);
        for (int d = 0; d < PFI_PHONE_DESCS; d++) {
            const pfi_phone_desc *x = &m[i].desc[d];
            put_str(&o, x->pattern);
            put_i32(&o, x->n_lengths);
            put_i32(&o, x->n_local);
            put(&o, x->lengths, sizeof(int) * (size_t)x->n_lengths);
            put(&o, x->local, sizeof(int) * (size_t)x->n_local);
        }
    }
    if (o.failed) {
        free(o.p);
        return false;
    }
    *buf = o.p;
    *len = o.n;
    return true;
}

struct in {
    const char *p, *end;
    bool bad;
};

static void get(struct in *in, void *d, size_t n)
{
    if (in->bad || (size_t)(in->end - in->p) < n) {
        in->bad = true;
        memset(d, 0, n);
        return;
    }
    memcpy(d, in->p, n);
    in->p += n;
}

static int32_t get_i32(struct in *in)
{
    int32_t v;
    get(in, &v, sizeof v);
    return v;
}

static char *get_str(struct in *in)
{
    int32_t n = get_i32(in);
    if (in->bad || n == 0)
        return NULL;
    if (n < 0 || (size_t)(in->end - in->p) < (size_t)n - 1) {
        in->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)n);
    if (!s) {
        in->bad = true;
        return NULL;
    }
    memcpy(s, in->p, (size_t)n - 1);
    s[n - 1] = '\0';
    if (memchr(s, '\0', (size_t)n - 1)) /* an embedded NUL: not what was written */
        in->bad = true;
    in->p += n - 1;
    return s;
}

static int get_count(struct in *in)
{
    int32_t v = get_i32(in);
    if (v < 0 || v > PFI_PHONE_MAX_LENGTHS)
        in->bad = true;
    return in->bad ? 0 : v;
}

bool pfi_phone_meta_deserialize(const char *buf, size_t len, pfi_phone_meta **out, size_t *count)
{
    struct in in = {buf, buf + len, false};
    int32_t n = get_i32(&in);
    if (in.bad || n < 0 || n > MAX_METAS)
        return false;
    pfi_phone_meta *m = calloc(n ? (size_t)n : 1, sizeof *m);
    if (!m)
        return false;
    for (int32_t i = 0; i < n && !in.bad; i++) {
        get(&in, m[i].id, sizeof m[i].id);
        if (memchr(m[i].id, '\0', sizeof m[i].id) == NULL)
            in.bad = true;
        m[i].calling_code = get_i32(&in);
        m[i].same_mobile_and_fixed_line = get_i32(&in) != 0;
        m[i].main_country_for_code = get_i32(&in) != 0;
        m[i].leading_digits = get_str(&in);
        m[i].national_prefix_for_parsing = get_str(&in);
        m[i].transform_rule = get_str(&in);
        m[i].international_prefix = get_str(&in);
        for (int d = 0; d < PFI_PHONE_DESCS && !in.bad; d++) {
            pfi_phone_desc *x = &m[i].desc[d];
            x->pattern = get_str(&in);
            x->n_lengths = get_count(&in);
            x->n_local = get_count(&in);
            get(&in, x->lengths, sizeof(int) * (size_t)x->n_lengths);
            get(&in, x->local, sizeof(int) * (size_t)x->n_local);
        }
    }
    if (in.bad || in.p != in.end) {
        pfi_phone_metadata_free(m, (size_t)n);
        return false;
    }
    *out = m;
    *count = (size_t)n;
    return true;
}

bool pfi_phone_metadata_cached(pfi_phone_meta **out, size_t *count)
{
    char id[2048], k[2200];
    uint8_t key[32];
    char *buf = NULL;
    size_t len = 0;

    if (!pfi_phone_library_identity(id, sizeof id))
        return pfi_phone_metadata(out, count);
    snprintf(k, sizeof k, "phone-metadata 2\nlibpreflight %s\nsizeof %zu\n%s", pf_version(),
             sizeof(pfi_phone_meta), id);
    pf_sha256(k, strlen(k), key);
    if (pfi_cache_read(FILE_NAME, key, &buf, &len)) {
        bool ok = pfi_phone_meta_deserialize(buf, len, out, count);
        free(buf);
        if (ok)
            return true;
    }
    if (!pfi_phone_metadata(out, count))
        return false;
    if (pfi_phone_meta_serialize(*out, *count, &buf, &len)) {
        (void)pfi_cache_write(FILE_NAME, key, buf, len);
        free(buf);
    }
    return true;
}
