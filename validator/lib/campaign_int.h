/*
 * campaign_int.h — the loaded campaign (campaign_load.c) as the checks
 * (campaign.c) read it.
 */
#ifndef PREFLIGHT_CAMPAIGN_INT_H
#define PREFLIGHT_CAMPAIGN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "preflight/campaign.h"

/* Array caps of the loader: far above what a registration form takes, low
 * enough that a hostile file cannot make the checks slow. */
#define PFI_CAMPAIGN_MAX_SAMPLES 32
#define PFI_CAMPAIGN_MAX_KEYWORDS 32
#define PFI_CAMPAIGN_MAX_HOSTS 16

/* opt_in, opt_out or help: keywords and the reply to them. */
struct pfi_campaign_keys {
    bool present;
    const char *keywords[PFI_CAMPAIGN_MAX_KEYWORDS];
    size_t keyword_count;
    bool has_keywords;
    const char *message; /* NULL when absent */
};

/* A tri-state attribute of the form: absent, false, true. */
enum pfi_tristate { PFI_ABSENT = -1, PFI_FALSE = 0, PFI_TRUE = 1 };

struct pf_campaign {
    char *file;
    char *text; /* the file as read (NUL-terminated), for positions */
    size_t len;
    cJSON *doc; /* every string below points into it */
    const char *brand_name, *brand_website, *brand_vertical;
    const char *use_case;
    const char *description, *message_flow;
    const char *samples[PFI_CAMPAIGN_MAX_SAMPLES];
    size_t sample_count;
    bool has_samples;
    struct pfi_campaign_keys opt_in, opt_out, help;
    const char *privacy_url, *terms_url;
    const char *policy_hosts[PFI_CAMPAIGN_MAX_HOSTS];
    size_t policy_host_count;
    int embedded_links, embedded_phone; /* enum pfi_tristate */
    bool age_gated, direct_lending, number_pool;
    bool has_volume;
    long monthly_volume;
};

/*
 * GET url into *body (NUL-terminated, heap; *len bytes): https only (plain
 * http only to a loopback address), at most max_redirects redirects (each
 * held to the same rule), max_bytes of body, timeout_ms in all; a status
 * outside 2xx fails. PF_E_TRANSPORT with why in err[cap]; PF_E_NOMEM.
 */
pf_status pfi_campaign_fetch(const char *url, unsigned timeout_ms, size_t max_bytes,
                             unsigned max_redirects, char **body, size_t *len, char *err,
                             size_t cap);

/* The use-case names the loader accepts (NULL-ended). */
extern const char *const pfi_campaign_use_cases[];

#endif
