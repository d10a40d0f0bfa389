/*
 * curl_dl.h — libcurl through dlopen (issue 20, cold start).
 *
 * Only sending (outbound.c) and `campaign --fetch` (campaign_fetch.c) talk
 * HTTP, yet linking libcurl maps it and its TLS, Kerberos, LDAP, SSH ...
 * tree (about 20 shared libraries) into every process, a few milliseconds
 * of relocation for `check`. So the library is not linked against libcurl:
 * these names resolve through a table that pfi_curl_load() fills from
 * libcurl.so.4 on first use. Include this header instead of <curl/curl.h>;
 * calls keep their libcurl spelling.
 *
 * When libcurl cannot be loaded the table holds stand-ins that fail the
 * way libcurl reports failure (NULL handles, CURLE_FAILED_INIT, -1 dates),
 * and pfi_curl_load() says why, so callers can name the cause.
 */
#ifndef PREFLIGHT_CURL_DL_H
#define PREFLIGHT_CURL_DL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

struct pfi_curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *h);
    void (*easy_reset)(CURL *h);
    CURLcode (*easy_setopt)(CURL *h, CURLoption o, ...);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO i, ...);
    CURLcode (*easy_perform)(CURL *h);
    const char *(*easy_strerror)(CURLcode c);
    void (*free)(void *p);
    time_t (*getdate)(const char *s, const time_t *unused);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *u);
    CURLUcode (*url_get)(const CURLU *u, CURLUPart what, char **part, unsigned int flags);
    CURLUcode (*url_set)(CURLU *u, CURLUPart what, const char *part, unsigned int flags);
    curl_version_info_data *(*version_info)(CURLversion v);
};

/* The table: libcurl's functions once loaded, the failing stand-ins
 * otherwise. Loads on first call (thread-safe); never NULL. */
const struct pfi_curl_api *pfi_curl(void);

/* Whether libcurl is loaded (loading it, and curl_global_init, on the
 * first call); on false, err says why (dlerror's text). */
bool pfi_curl_load(char *err, size_t cap);

/* <curl/curl.h> may define some of these as type-checking macros. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (pfi_curl()->global_init)
#define curl_easy_init (pfi_curl()->easy_init)
#define curl_easy_cleanup (pfi_curl()->easy_cleanup)
#define curl_easy_reset (pfi_curl()->easy_reset)
#define curl_easy_setopt (pfi_curl()->easy_setopt)
#define curl_easy_getinfo (pfi_curl()->easy_getinfo)
#define curl_easy_perform (pfi_curl()->easy_perform)
#define curl_easy_strerror (pfi_curl()->easy_strerror)
#define curl_free (pfi_curl()->free)
#define curl_getdate (pfi_curl()->getdate)
#define curl_slist_append (pfi_curl()->slist_append)
#define curl_slist_free_all (pfi_curl()->slist_free_all)
#define curl_url (pfi_curl()->url)
#define curl_url_cleanup (pfi_curl()->url_cleanup)
#define curl_url_get (pfi_curl()->url_get)
#define curl_url_set (pfi_curl()->url_set)
#define curl_version_info (pfi_curl()->version_info)

#endif
