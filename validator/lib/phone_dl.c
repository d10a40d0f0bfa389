/*
 * phone_dl.c — the number module (phone_module.h) loaded on first use, and
 * its identity known without loading it.
 *
 * Where the module is: beside the object this code is linked into, as
 * installed — <its dir>/sms-preflight/ (libpreflight.so in <libdir>) or
 * <its dir>/PF_MODULE_REL/ (the program in <bindir>, PF_MODULE_REL leading
 * to <libdir>/sms-preflight) — else, for a program or library that is in
 * the build tree (PF_BUILD_TREE), where this build put it
 * (PF_MODULE_BUILD_DIR). Full paths
 * only: no RUNPATH (the dynamic loader would probe its every directory,
 * and a dozen hardware-capability subdirectories of each, for every
 * library the program needs, at every start), no search of the loader's
 * (a sanitizer's dlopen interceptor would search its own). A module is
 * taken only if it is of this very build (PF_BUILD_ID, made when the
 * build was configured), so a program installed from one build never
 * loads another's from a build tree.
 *
 * The identity. Start-up cache files whose contents come from libphonenumber
 * or ICU (the number engine's metadata, the country snapshot, the
 * geocoder's answers, the zones) are keyed by what would answer: the module
 * file and every shared object the dynamic loader maps with it, the
 * geocoder it opens itself, /etc/ld.so.cache and the environment variables
 * that steer the loader and ICU — each file as its path, device, inode,
 * size, modification and change times. Working that out means loading the
 * module, the very cost a warm start avoids; so the text is remembered in
 * the start-up cache ("module-identity", keyed by this library's version
 * and the object it is linked into) and believed only when every line of it
 * is still true: each file stat()s to the same figures, each variable has
 * the same value. A module, library or tzdata upgrade, a rebuilt module, a
 * new LD_LIBRARY_PATH all change a line, and the module is loaded to work
 * the identity out again.
 */
#define _GNU_SOURCE /* dladdr1, dlinfo */
#include "phone_module.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_int.h"
#include "tz_icu.h"
#include "preflight/journal.h" /* pf_sha256 */
#include "preflight/version.h"


static pthread_once_t module_once = PTHREAD_ONCE_INIT;
static const struct pfi_phone_module *module;
/* Set (release) once load_module has finished, so that pfi_phone_module_error
 * and pfi_phone_module_loaded, which do not wait for a load another thread
 * may be running, read module and module_err only after it (acquire). */
static _Atomic bool load_done;
static void *module_handle;
static char module_err[512];

/* The file of the object this code is linked into (the program or
 * libpreflight.so), into buf; false when unknown. */
static bool self_path(char *buf, size_t cap)
{
    Dl_info info;
    struct link_map *lm = NULL;
    if (!dladdr1((void *)&self_path, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
        return false;
    if (lm->l_name && lm->l_name[0]) {
        char real[PATH_MAX];
        if (!realpath(lm->l_name, real) || strlen(real) >= cap)
            return false;
        strcpy(buf, real);
        return true;
    }
    /* The main program: its map has no name. */
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return false;
    buf[n] = '\0';
    return true;
}

/* Appends to module_err. */
__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
    size_t used = strlen(module_err);
    if (used && used + 2 < sizeof module_err) {
        strcpy(module_err + used, "; ");
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(module_err + used, sizeof module_err - used, fmt, ap);
    va_end(ap);
}

#ifdef PF_UNITTEST
/* Tests: where this build's module is (unit.test_module_missing names a
 * directory without one). */
static const char *build_dir = PF_MODULE_BUILD_DIR;
void pfi_phone_module_build_dir(const char *dir)
{
    build_dir = dir;
}
#define PF_MODULE_DIR_NOW build_dir
#else
#define PF_MODULE_DIR_NOW PF_MODULE_BUILD_DIR
#endif

/* The module at path when it is there, is a module of this very build,
 * and loads; else NULL, with why in module_err. */
static const struct pfi_phone_module *try_module(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        note("no %s", path);
        return NULL;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        note("%s", e ? e : path);
        return NULL;
    }
    pfi_phone_module_fn get;
    void *sym = dlsym(h, PFI_PHONE_MODULE_SYMBOL);
    memcpy(&get, &sym, sizeof get);
    const struct pfi_phone_module *m = sym ? get() : NULL;
    if (!m || m->abi != PFI_PHONE_MODULE_ABI || m->size != sizeof *m || !m->version ||
        strcmp(m->version, PF_VERSION_STRING) != 0 || !m->build_id ||
        strcmp(m->build_id, PF_BUILD_ID) != 0) {
        note("%s is not the module of this build of libpreflight %s", path, PF_VERSION_STRING);
        dlclose(h);
        return NULL;
    }
    module_handle = h;
    return m;
}

static void load_module(void)
{
    char self[PATH_MAX], path[PATH_MAX + 64];
    const struct pfi_phone_module *m = NULL;
    char *slash;
    if (self_path(self, sizeof self) && (slash = strrchr(self, '/')) != NULL) {
        *slash = '\0';
        snprintf(path, sizeof path, "%s/sms-preflight/%s", self, PFI_PHONE_MODULE_FILE);
        m = try_module(path);
        if (!m) {
            snprintf(path, sizeof path, "%s/%s/%s", self, PF_MODULE_REL, PFI_PHONE_MODULE_FILE);
            m = try_module(path);
        }
    } else {
        note("cannot tell where this program or library is");
        self[0] = '\0';
    }
    /* The build's own directory only for a program or library in the
     * build tree: an installed one never reads the tree it was built from. */
    if (!m && strncmp(self, PF_BUILD_TREE "/", strlen(PF_BUILD_TREE "/")) == 0) {
        snprintf(path, sizeof path, "%s/%s", PF_MODULE_DIR_NOW, PFI_PHONE_MODULE_FILE);
        m = try_module(path);
    }
    if (m) {
        module_err[0] = '\0';
        module = m;
    }
    atomic_store_explicit(&load_done, true, memory_order_release);
}

const struct pfi_phone_module *pfi_phone_module_get(void)
{
    pthread_once(&module_once, load_module);
    return module;
}

const char *pfi_phone_module_error(void)
{
    /* Not tried yet, or being tried: nothing has failed so far. */
    if (!atomic_load_explicit(&load_done, memory_order_acquire))
        return "";
    return module ? "" : module_err;
}

bool pfi_phone_module_loaded(void)
{
    return atomic_load_explicit(&load_done, memory_order_acquire) && module != NULL;
}

/* ---- the identity ---- */

/* One file's line: "F dev ino size mtime ctime path\n", or with the five
 * figures "-" when there is no such file (so its coming into being is a
 * change too). */
static int file_line(const char *path, char *buf, size_t cap)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return snprintf(buf, cap, "F - - - - - %s\n", path);
    return snprintf(buf, cap, "F %llu %llu %lld %lld.%09ld %lld.%09ld %s\n",
                    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                    (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                    (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, path);
}

static const char *const env_names[] = {"LD_LIBRARY_PATH", "LD_PRELOAD", "ICU_DATA",
                                        "ICU_TIMEZONE_FILES_DIR", NULL};

static int env_line(const char *name, char *buf, size_t cap)
{
    const char *v = getenv(name);
    return snprintf(buf, cap, "E %s%s%s\n", name, v ? "=" : "", v ? v : "");
}

struct text {
    char *s;
    size_t len, cap;
    bool failed;
};

static void add_line(struct text *t, int (*line)(const char *, char *, size_t), const char *arg)
{
    if (t->failed)
        return;
    int n = line(arg, NULL, 0);
    if (n < 0) {
        t->failed = true;
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->len + (size_t)n + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    t->len += (size_t)line(arg, t->s + t->len, t->cap - t->len);
}

/* The identity of the loaded module: the lines of the self object, the
 * module and everything mapped after it, its extra files, the loader's
 * cache and the environment. */
static char *identity_of_loaded(const char *self)
{
    struct text t = {0};
    struct link_map *lm = NULL;
    char extra[4 * PATH_MAX];
    add_line(&t, file_line, self);
    if (dlinfo(module_handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm)
        t.failed = true;
    for (; lm && !t.failed; lm = lm->l_next) {
        char real[PATH_MAX];
        if (lm->l_name && lm->l_name[0] && realpath(lm->l_name, real))
            add_line(&t, file_line, real);
    }
    if (!module->extra_files(extra, sizeof extra))
        t.failed = true;
    for (char *p = extra, *nl; !t.failed && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        *nl = '\0';
        add_line(&t, file_line, p);
    }
    /* ICU reads its zone data from here first when the variable is set. */
    const char *tzdir = getenv("ICU_TIMEZONE_FILES_DIR");
    if (tzdir && strlen(tzdir) < PATH_MAX) {
        char tzfile[PATH_MAX + 32];
        snprintf(tzfile, sizeof tzfile, "%s/zoneinfo64.res", tzdir);
        add_line(&t, file_line, tzfile);
    }
    add_line(&t, file_line, "/etc/ld.so.cache");
    for (const char *const *e = env_names; *e; e++)
        add_line(&t, env_line, *e);
    if (t.failed || !t.s) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* Whether line(arg) writes exactly the n bytes at p (lines have no length
 * bound: a long LD_LIBRARY_PATH makes a long one). */
static bool line_is(int (*line)(const char *, char *, size_t), const char *arg, const char *p,
                    size_t n)
{
    int need = line(arg, NULL, 0);
    if (need <= 0 || (size_t)need != n)
        return false;
    char *now = malloc(n + 1);
    bool same = now && line(arg, now, n + 1) == need && memcmp(now, p, n) == 0;
    free(now);
    return same;
}

/* Is every line of a remembered identity still true? (Not static for
 * fuzz_snapshot: the cache file's payload reaches it as it stands.) */
bool pfi_phone_identity_still_true(const char *text, size_t len)
{
    if (len == 0 || text[len - 1] != '\n')
        return false;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(nl - p) + 1;
        bool same = false;
        if (n > 2 && p[0] == 'F' && p[1] == ' ') {
            /* the path is what follows the sixth space */
            const char *q = p;
            for (int sp = 0; sp < 6 && q && q < nl; sp++)
                q = memchr(q + 1, ' ', (size_t)(nl - q - 1));
            if (!q || q >= nl)
                return false;
            char *path = strndup(q + 1, (size_t)(nl - q - 1));
            same = path && line_is(file_line, path, p, n);
            free(path);
        } else if (n > 2 && p[0] == 'E' && p[1] == ' ') {
            char name[64];
            size_t k = strcspn(p + 2, "=\n");
            if (k == 0 || k >= sizeof name)
                return false;
            memcpy(name, p + 2, k);
            name[k] = '\0';
            same = line_is(env_line, name, p, n);
        }
        if (!same)
            return false;
        p = nl + 1;
    }
    return true;
}

static pthread_once_t identity_once = PTHREAD_ONCE_INIT;
static char *identity;

static void work_out_identity(void)
{
    char self[PATH_MAX], k[PATH_MAX + 128];
    uint8_t key[32];
    if (!self_path(self, sizeof self))
        return;
    int kl = snprintf(k, sizeof k, "module-identity 1\nlibpreflight %s\n%s\n", PF_VERSION_STRING,
                      self);
    if (kl <= 0 || (size_t)kl >= sizeof k)
        return;
    pf_sha256(k, (size_t)kl, key);
    char *old = NULL;
    size_t old_len = 0;
    bool cached = pfi_cache_enabled() && pfi_cache_read("module-identity", key, &old, &old_len);
    if (cached && pfi_phone_identity_still_true(old, old_len)) {
        identity = old;
        return;
    }
    free(old);
    if (!pfi_phone_module_get())
        return;
    identity = identity_of_loaded(self);
    if (identity && pfi_cache_enabled())
        (void)pfi_cache_write("module-identity", key, identity, strlen(identity));
}

bool pfi_phone_library_identity(char *buf, size_t cap)
{
    pthread_once(&identity_once, work_out_identity);
    /* The first line, the program's or library's own, only says whose
     * record this is (which module its search finds): programs that find
     * the same module share their cache files. */
    const char *id = identity ? strchr(identity, '\n') : NULL;
    if (!id)
        return false;
    /* Its digest: the text grows with every library the module maps
     * (over 3 KB), and callers only need a key that changes with it. */
    uint8_t sha[32];
    char hex[65];
    pf_sha256(id + 1, strlen(id + 1), sha);
    pf_sha256_hex(sha, hex);
    int n = snprintf(buf, cap, "number module sha256:%s\n", hex);
    return n > 0 && (size_t)n < cap;
}

/* ---- the library's face of the module ---- */

pfi_phone_error pfi_phone_parse(const char *input, size_t len, const char *region,
                                pfi_phone_info *info)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->parse(input, len, region, info) : PFI_PHONE_EXCEPTION;
}

int pfi_phone_valid(const char *input, size_t len, const char *region)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->valid(input, len, region) : -1;
}

bool pfi_phone_region_supported(const char *region)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m && m->region_supported(region);
}

int pfi_phone_region_calling_code(const char *region)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->region_calling_code(region) : 0;
}

long pfi_phone_regions(char (*regions)[3], size_t cap)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->regions(regions, cap) : -1;
}

bool pfi_phone_example(const char *region, int type, char *buf, size_t cap)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m && m->example(region, type, buf, cap);
}

bool pfi_phone_describe(const char *input, size_t len, char *buf, size_t cap)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m && m->describe(input, len, buf, cap);
}

long pfi_phone_find(const char *text, size_t len, const char *region, size_t *starts, size_t *ends,
                    int *types, size_t cap)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->find(text, len, region, starts, ends, types, cap) : -1;
}

bool pfi_phone_metadata(pfi_phone_meta **out, size_t *count)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m && m->metadata(out, count);
}

/* Here, not in the module: the engine's cached copy (metacache.c) is the
 * library's own allocation, and both sides allocate with libc's malloc. */
void pfi_phone_metadata_free(pfi_phone_meta *metas, size_t count)
{
    if (!metas)
        return;
    for (size_t i = 0; i < count; i++) {
        free(metas[i].leading_digits);
        free(metas[i].national_prefix_for_parsing);
        free(metas[i].transform_rule);
        free(metas[i].international_prefix);
        for (int d = 0; d < PFI_PHONE_DESCS; d++)
            free(metas[i].desc[d].pattern);
    }
    free(metas);
}

long pfi_phone_calling_codes(int *codes, size_t cap)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->calling_codes(codes, cap) : -1;
}

long pfi_phone_calling_code_regions(int calling_code, char (*regions)[4], size_t cap)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->calling_code_regions(calling_code, regions, cap) : -1;
}

/* ---- ICU (tz_icu.h) through the module ---- */

bool pfi_icu_identity(char *buf, size_t cap)
{
    return pfi_phone_library_identity(buf, cap);
}

struct pfi_icu_zone *pfi_icu_zone_open(const char *id)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->icu_zone_open(id) : NULL;
}

void pfi_icu_zone_close(struct pfi_icu_zone *z)
{
    /* Only the module hands out zones, so it is loaded when there is one. */
    if (z && module)
        module->icu_zone_close(z);
}

bool pfi_icu_local_time(struct pfi_icu_zone *z, int64_t t, unsigned *minute, unsigned *weekday)
{
    return z && module && module->icu_local_time(z, t, minute, weekday);
}

pf_status pfi_icu_offsets(struct pfi_icu_zone *z, int64_t from, int64_t to, int32_t *initial,
                          int64_t **at, int32_t **offset, size_t *n, size_t max)
{
    if (!z || !module)
        return PF_E_INTERNAL;
    return module->icu_offsets(z, from, to, initial, at, offset, n, max);
}

pf_status pfi_icu_region_ids(const char *region, char **ids)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m ? m->icu_region_ids(region, ids) : PF_E_INTERNAL;
}

bool pfi_icu_zone_in_region(const char *zone, const char *region)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m && m->icu_zone_in_region(zone, region);
}

bool pfi_icu_is_decimal_digit(uint32_t cp)
{
    const struct pfi_phone_module *m = pfi_phone_module_get();
    return m && m->icu_is_decimal_digit(cp);
}
