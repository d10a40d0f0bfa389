/*
 * campaign_fetch.c — `preflight campaign --fetch`: GET a privacy policy or
 * terms page the way the Send SMS client talks to the network (libcurl,
 * TLS verification always on, plain http only to a loopback address where
 * nothing crosses a network), with every hop of a redirect held to the
 * same rule, the number of redirects, the body size and the time capped.
 *
 * The page comes back as text: tags dropped, white space folded, a few
 * entities decoded, so "will <b>not</b> be shared" reads as words.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curl_dl.h"

#include "campaign_int.h"
#include "internal.h"

PF_STATIC size_t page_text(char *s, size_t len);

/* Whether host (as libcurl's URL parser gives it) is a loopback address;
 * the same rule as the Send SMS client's. */
static bool loopback(const char *host)
{
    unsigned char a4[4];
    if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    return inet_pton(AF_INET, host, a4) == 1 && a4[0] == 127;
}

/* Whether url may be fetched: https, or http to loopback. */
static bool allowed(const char *url, bool *is_loop, char *err, size_t cap)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = false;
    *is_loop = false;
    if (!u) {
        snprintf(err, cap, "out of memory");
        return false;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(err, cap, "'%.120s' is not a URL", url);
        goto out;
    }
    *is_loop = loopback(host);
    if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && *is_loop)) {
        snprintf(err, cap, "'%.120s' is not https", url);
        goto out;
    }
    ok = true;
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

struct sink {
    char *buf;
    size_t len, cap, max;
    bool too_big;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct sink *s = userp;
    size_t n = size * nmemb;
    if (s->len + n > s->max) {
        s->too_big = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t ncap = s->cap ? s->cap : 16384;
        while (ncap < s->len + n + 1)
            ncap *= 2;
        char *nb = realloc(s->buf, ncap);
        if (!nb)
            return 0;
        s->buf = nb;
        s->cap = ncap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

/* HTML to words, in place: tags, scripts and styles out, entities for
 * space, ampersand and apostrophes decoded, white space folded. */
PF_STATIC size_t page_text(char *s, size_t len)
{
    size_t o = 0;
    bool space = true;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '<') {
            bool skip =
                strncasecmp(s + i, "<script", 7) == 0 || strncasecmp(s + i, "<style", 6) == 0;
            const char *end =
                skip ? (strncasecmp(s + i, "<script", 7) == 0 ? "</script" : "</style") : NULL;
            if (end) {
                char *e = NULL;
                for (size_t k = i; k + strlen(end) <= len; k++) {
                    if (strncasecmp(s + k, end, strlen(end)) == 0) {
                        e = s + k;
                        break;
                    }
                }
                i = e ? (size_t)(e - s) : len;
            }
            while (i < len && s[i] != '>')
                i++;
            c = ' ';
        } else if (c == '&') {
            static const struct {
                const char *ent;
                char ch;
            } ents[] = {{"&nbsp;", ' '},   {"&amp;", '&'},   {"&#39;", '\''},
                        {"&rsquo;", '\''}, {"&apos;", '\''}, {"&quot;", '"'}};
            for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
                size_t n = strlen(ents[k].ent);
                if (i + n <= len && strncasecmp(s + i, ents[k].ent, n) == 0) {
                    c = ents[k].ch;
                    i += n - 1;
                    break;
                }
            }
        }
        if (c == '\0' || isspace((unsigned char)c)) {
            if (!space)
                s[o++] = ' ';
            space = true;
            continue;
        }
        s[o++] = c;
        space = false;
    }
    s[o] = '\0';
    return o;
}

pf_status pfi_campaign_fetch(const char *url, unsigned timeout_ms, size_t max_bytes,
                             unsigned max_redirects, char **body, size_t *len, char *err,
                             size_t cap)
{
    CURL *h = NULL;
    struct sink sink = {NULL, 0, 0, max_bytes, false};
    char *current = NULL, errbuf[CURL_ERROR_SIZE] = "";
    pf_status st = PF_E_TRANSPORT;
    bool is_loop;

    *body = NULL;
    *len = 0;
    err[0] = '\0';
    if (!pfi_curl_load(err, cap)) { /* libcurl is loaded on first use (curl_dl.h) */
        st = PF_E_INTERNAL;
        goto out;
    }
    if (!(current = strdup(url)) || !(h = curl_easy_init())) {
        st = PF_E_NOMEM;
        goto out;
    }
    for (unsigned hop = 0;; hop++) {
        long status = 0;
        char *location = NULL;
        if (!allowed(current, &is_loop, err, cap))
            goto out;
        sink.len = 0;
        sink.too_big = false;
        curl_easy_reset(h);
        if (curl_easy_setopt(h, CURLOPT_URL, current) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_USERAGENT, "preflight-campaign") != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
            (is_loop && curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK)) {
            snprintf(err, cap, "libcurl refused an option");
            goto out;
        }
        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
                snprintf(err, cap, "the page is larger than %zu bytes", max_bytes);
            else if (rc == CURLE_WRITE_ERROR)
                st = PF_E_NOMEM;
            else
                snprintf(err, cap, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
            goto out;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 300 && status < 400 &&
            curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
            if (hop >= max_redirects) {
                snprintf(err, cap, "more than %u redirects", max_redirects);
                goto out;
            }
            char *next = strdup(location);
            if (!next) {
                st = PF_E_NOMEM;
                goto out;
            }
            free(current);
            current = next;
            continue;
        }
        if (status < 200 || status >= 300) {
            snprintf(err, cap, "HTTP status %ld", status);
            goto out;
        }
        break;
    }
    if (!sink.buf && !(sink.buf = calloc(1, 1))) {
        st = PF_E_NOMEM;
        goto out;
    }
    *len = page_text(sink.buf, sink.len);
    *body = sink.buf;
    sink.buf = NULL;
    st = PF_OK;
out:
    if (st == PF_E_NOMEM)
        err[0] = '\0';
    free(sink.buf);
    free(current);
    curl_easy_cleanup(h);
    return st;
}
