/*
 * curl_dl.c — libcurl loaded on first use (see curl_dl.h for why).
 */
#include "curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The stand-ins: every call fails as libcurl itself reports failure. */
static CURLcode no_global_init(long flags)
{
    (void)flags;
    return CURLE_FAILED_INIT;
}
static CURL *no_easy_init(void)
{
    return NULL;
}
static void no_handle(CURL *h)
{
    (void)h;
}
static CURLcode no_setopt(CURL *h, CURLoption o, ...)
{
    (void)h;
    (void)o;
    return CURLE_FAILED_INIT;
}
static CURLcode no_getinfo(CURL *h, CURLINFO i, ...)
{
    (void)h;
    (void)i;
    return CURLE_FAILED_INIT;
}
static CURLcode no_perform(CURL *h)
{
    (void)h;
    return CURLE_FAILED_INIT;
}
static const char *no_strerror(CURLcode c)
{
    (void)c;
    return "libcurl is not available";
}
static void no_free(void *p)
{
    (void)p; /* nothing was ever allocated by a stand-in */
}
static time_t no_getdate(const char *s, const time_t *unused)
{
    (void)s;
    (void)unused;
    return -1;
}
static struct curl_slist *no_slist_append(struct curl_slist *l, const char *s)
{
    (void)l;
    (void)s;
    return NULL;
}
static void no_slist_free_all(struct curl_slist *l)
{
    (void)l;
}
static CURLU *no_url(void)
{
    return NULL;
}
static void no_url_cleanup(CURLU *u)
{
    (void)u;
}
static CURLUcode no_url_get(const CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
    (void)u;
    (void)what;
    (void)flags;
    if (part)
        *part = NULL;
    return CURLUE_OUT_OF_MEMORY;
}
static CURLUcode no_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
    (void)u;
    (void)what;
    (void)part;
    (void)flags;
    return CURLUE_OUT_OF_MEMORY;
}
static curl_version_info_data *no_version_info(CURLversion v)
{
    static curl_version_info_data none = {.version = "none", .ssl_version = "none"};
    (void)v;
    return &none;
}

static const struct pfi_curl_api stand_ins = {
    no_global_init, no_easy_init,   no_handle,         no_handle,  no_setopt,
    no_getinfo,     no_perform,     no_strerror,       no_free,    no_getdate,
    no_slist_append, no_slist_free_all, no_url,        no_url_cleanup, no_url_get,
    no_url_set,     no_version_info,
};

static struct pfi_curl_api loaded;
static const struct pfi_curl_api *api = &stand_ins;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* One symbol into *slot (a function pointer's storage); false when absent.
 * POSIX guarantees a dlsym'd object pointer converts to a function pointer. */
static bool sym(void *lib, const char *name, void *slot, size_t size)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(load_error, sizeof load_error, "libcurl.so.4 lacks %s", name);
        return false;
    }
    memcpy(slot, &p, size);
    return true;
}

#define SYM(field, name) sym(lib, name, &loaded.field, sizeof loaded.field)

static void load(void)
{
    /* The soname Debian's libcurl4 (OpenSSL) ships; the program's own
     * package depends on it. RTLD_LOCAL: its symbols stay out of the way. */
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(load_error, sizeof load_error, "libcurl.so.4 could not be loaded: %s",
                 e ? e : "unknown reason");
        return;
    }
    if (!SYM(global_init, "curl_global_init") || !SYM(easy_init, "curl_easy_init") ||
        !SYM(easy_cleanup, "curl_easy_cleanup") || !SYM(easy_reset, "curl_easy_reset") ||
        !SYM(easy_setopt, "curl_easy_setopt") || !SYM(easy_getinfo, "curl_easy_getinfo") ||
        !SYM(easy_perform, "curl_easy_perform") || !SYM(easy_strerror, "curl_easy_strerror") ||
        !SYM(free, "curl_free") || !SYM(getdate, "curl_getdate") ||
        !SYM(slist_append, "curl_slist_append") || !SYM(slist_free_all, "curl_slist_free_all") ||
        !SYM(url, "curl_url") || !SYM(url_cleanup, "curl_url_cleanup") ||
        !SYM(url_get, "curl_url_get") || !SYM(url_set, "curl_url_set") ||
        !SYM(version_info, "curl_version_info")) {
        dlclose(lib);
        return;
    }
    /* Once, before any handle, while no other thread can be inside libcurl
     * (pthread_once): what curl_easy_init would otherwise do on its own. */
    if (loaded.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "libcurl could not be initialised");
        return; /* kept mapped: libcurl may hold state */
    }
    /* Never unloaded: handles and TLS state live to the end of the process. */
    api = &loaded;
}

const struct pfi_curl_api *pfi_curl(void)
{
    pthread_once(&once, load);
    return api;
}

bool pfi_curl_load(char *err, size_t cap)
{
    bool ok = pfi_curl() == &loaded;
    if (!ok && err && cap)
        snprintf(err, cap, "%s", load_error);
    return ok;
}
