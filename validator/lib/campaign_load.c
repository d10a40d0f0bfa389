/*
 * campaign_load.c — the strict loader of campaign files (format in
 * rules/campaign.md): every key known, every type checked, every error
 * with file, line:column and key path. What a reviewer would reject (a
 * short description, no HELP reply, a missing privacy policy) is not a
 * load error: the loader only refuses what cannot be read as a campaign,
 * and the checks report the rest as findings.
 */
#include <stdlib.h>
#include <string.h>

#include "campaign_int.h"
#include "internal.h"
#include "json_int.h"
#include "preflight/util.h"

/* The Campaign Registry's use-case codes as Twilio's use-case resource
 * lists them (twilio.com/docs/messaging/api/us-app-to-person-messaging-
 * service-use-case-resource), plus LOW_VOLUME_MIXED, the name SPEC §6 uses
 * for LOW_VOLUME ("Low Volume Mixed"). */
const char *const pfi_campaign_use_cases[] = {
    "2FA",
    "ACCOUNT_NOTIFICATION",
    "AGENTS_FRANCHISES",
    "CHARITY",
    "CUSTOMER_CARE",
    "DELIVERY_NOTIFICATION",
    "EMERGENCY",
    "FRAUD_ALERT",
    "HIGHER_EDUCATION",
    "K12_EDUCATION",
    "LOW_VOLUME",
    "LOW_VOLUME_MIXED",
    "MARKETING",
    "MIXED",
    "POLITICAL",
    "POLLING_VOTING",
    "PROXY",
    "PUBLIC_SERVICE_ANNOUNCEMENT",
    "SECURITY_ALERT",
    "SOCIAL",
    "SOLE_PROPRIETOR",
    "SWEEPSTAKE",
    NULL,
};

static const char *const top_keys[] = {
    "$schema",
    "brand",
    "use_case",
    "description",
    "message_flow",
    "sample_messages",
    "opt_in",
    "opt_out",
    "help",
    "privacy_policy_url",
    "terms_url",
    "policy_hosts",
    "embedded_links",
    "embedded_phone_numbers",
    "age_gated",
    "direct_lending",
    "number_pool",
    "monthly_volume",
    NULL,
};
static const char *const brand_keys[] = {"name", "website", "vertical", NULL};
static const char *const keys_keys[] = {"keywords", "message", NULL};

static const char *const kind_names[] = {"10dlc", "toll-free"};

const char *pf_campaign_kind_name(pf_campaign_kind k)
{
    return (unsigned)k < 2 ? kind_names[k] : "unknown";
}

pf_status pf_campaign_kind_from_name(const char *name, pf_campaign_kind *out)
{
    for (int i = 0; i < 2; i++) {
        if (name && strcmp(name, kind_names[i]) == 0) {
            *out = (pf_campaign_kind)i;
            return PF_OK;
        }
    }
    return PF_E_NOT_FOUND;
}

/* An array of strings at obj[key] into out[cap]; each non-empty, and one
 * word when one_word (keywords are texted back as a single word). */
static pf_status get_strings(struct pfi_json *j, const cJSON *obj, const char *key,
                             const char **out, size_t cap, size_t *count, bool *present,
                             bool one_word)
{
    const cJSON *arr;
    pf_status st = pfi_json_get_array(j, obj, key, &arr, present);
    *count = 0;
    if (st != PF_OK || !arr)
        return st;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > cap)
        return pfi_json_error(j, key, PF_E_TOO_LARGE, "%zu entries; at most %zu are read", n, cap);
    pfi_json_push_key(j, key);
    for (const cJSON *e = arr->child; e && st == PF_OK; e = e->next) {
        pfi_json_push_index(j, *count);
        if (!cJSON_IsString(e))
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "expected a string");
        else if (one_word && (!e->valuestring[0] || strpbrk(e->valuestring, " \t\r\n,")))
            st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                                "a keyword is one word (no spaces or commas), not '%.40s'",
                                e->valuestring);
        else
            out[(*count)++] = e->valuestring;
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

static pf_status get_keys(struct pfi_json *j, const cJSON *root, const char *key,
                          struct pfi_campaign_keys *k)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, key);
    bool present;
    if (!o)
        return PF_OK;
    k->present = true;
    pfi_json_push_key(j, key);
    pf_status st = pfi_json_object(j, o, keys_keys);
    if (st == PF_OK)
        st = get_strings(j, o, "keywords", k->keywords, PFI_CAMPAIGN_MAX_KEYWORDS,
                         &k->keyword_count, &k->has_keywords, true);
    if (st == PF_OK)
        st = pfi_json_get_string(j, o, "message", &k->message, &present);
    pfi_json_pop(j);
    return st;
}

static pf_status get_flag(struct pfi_json *j, const cJSON *root, const char *key, int *out)
{
    bool v = false, present;
    pf_status st = pfi_json_get_bool(j, root, key, &v, &present);
    *out = !present ? PFI_ABSENT : v ? PFI_TRUE : PFI_FALSE;
    return st;
}

static pf_status check_campaign(struct pfi_json *j, pf_campaign *c)
{
    const cJSON *root = c->doc, *brand;
    const char *schema;
    bool present;
    int idx = 0, flag;
    pf_status st = pfi_json_object(j, root, top_keys);
    if (st == PF_OK)
        st = pfi_json_get_string(j, root, "$schema", &schema, &present);
    if (st == PF_OK) {
        brand = cJSON_GetObjectItemCaseSensitive(root, "brand");
        if (!brand)
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key 'brand'");
    }
    if (st == PF_OK) {
        pfi_json_push_key(j, "brand");
        st = pfi_json_object(j, brand, brand_keys);
        if (st == PF_OK)
            st = pfi_json_get_string(j, brand, "name", &c->brand_name, NULL);
        if (st == PF_OK && !c->brand_name[strspn(c->brand_name, " \t\r\n")])
            st = pfi_json_error(j, "name", PF_E_SCHEMA, "the brand name is empty");
        if (st == PF_OK)
            st = pfi_json_get_string(j, brand, "website", &c->brand_website, &present);
        if (st == PF_OK)
            st = pfi_json_get_string(j, brand, "vertical", &c->brand_vertical, &present);
        pfi_json_pop(j);
    }
    if (st == PF_OK)
        st = pfi_json_get_enum(j, root, "use_case", pfi_campaign_use_cases, &idx, NULL);
    if (st == PF_OK)
        c->use_case = pfi_campaign_use_cases[idx];
    if (st == PF_OK)
        st = pfi_json_get_string(j, root, "description", &c->description, &present);
    if (st == PF_OK)
        st = pfi_json_get_string(j, root, "message_flow", &c->message_flow, &present);
    if (st == PF_OK)
        st = get_strings(j, root, "sample_messages", c->samples, PFI_CAMPAIGN_MAX_SAMPLES,
                         &c->sample_count, &c->has_samples, false);
    if (st == PF_OK)
        st = get_keys(j, root, "opt_in", &c->opt_in);
    if (st == PF_OK)
        st = get_keys(j, root, "opt_out", &c->opt_out);
    if (st == PF_OK)
        st = get_keys(j, root, "help", &c->help);
    if (st == PF_OK)
        st = pfi_json_get_string(j, root, "privacy_policy_url", &c->privacy_url, &present);
    if (st == PF_OK)
        st = pfi_json_get_string(j, root, "terms_url", &c->terms_url, &present);
    if (st == PF_OK)
        st = get_strings(j, root, "policy_hosts", c->policy_hosts, PFI_CAMPAIGN_MAX_HOSTS,
                         &c->policy_host_count, &present, true);
    if (st == PF_OK)
        st = get_flag(j, root, "embedded_links", &c->embedded_links);
    if (st == PF_OK)
        st = get_flag(j, root, "embedded_phone_numbers", &c->embedded_phone);
    if (st == PF_OK && (st = get_flag(j, root, "age_gated", &flag)) == PF_OK)
        c->age_gated = flag == PFI_TRUE;
    if (st == PF_OK && (st = get_flag(j, root, "direct_lending", &flag)) == PF_OK)
        c->direct_lending = flag == PFI_TRUE;
    if (st == PF_OK && (st = get_flag(j, root, "number_pool", &flag)) == PF_OK)
        c->number_pool = flag == PFI_TRUE;
    if (st == PF_OK)
        st = pfi_json_get_int(j, root, "monthly_volume", 0, 1000000000L, &c->monthly_volume,
                              &c->has_volume);
    return st;
}

void pf_campaign_destroy(pf_campaign *c)
{
    if (!c)
        return;
    cJSON_Delete(c->doc);
    free(c->text);
    free(c->file);
    free(c);
}

pf_status pf_campaign_load_buffer(const char *text, size_t len, const char *name, pf_campaign **out,
                                  pf_diag *diag)
{
    struct pfi_json j;
    pf_status st = PF_OK;
    pf_campaign *c = NULL;

    pf_diag_clear(diag);
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (!name)
        name = "campaign.json";
    if (!text) {
        pfi_diag_set(diag, PF_E_INVALID, "no campaign text given");
        return PF_E_INVALID;
    }
    if (len > PF_CAMPAIGN_FILE_MAX) {
        pfi_diag_file(diag, name);
        pfi_diag_set(diag, PF_E_TOO_LARGE, "the file is %zu bytes; a campaign file is at most %u",
                     len, PF_CAMPAIGN_FILE_MAX);
        return PF_E_TOO_LARGE;
    }
    c = calloc(1, sizeof *c);
    if (!c || !(c->file = strdup(name)) || !(c->text = malloc(len + 1))) {
        st = PF_E_NOMEM;
        goto out;
    }
    memcpy(c->text, text, len);
    c->text[len] = '\0';
    c->len = len;
    st = pfi_json_parse(&j, c->text, c->len, c->file, diag, &c->doc);
    if (st == PF_OK && !cJSON_IsObject(c->doc))
        st = pfi_json_error(&j, NULL, PF_E_SCHEMA, "a campaign file is one JSON object");
    if (st == PF_OK)
        st = check_campaign(&j, c);
out:
    if (st == PF_E_NOMEM)
        pfi_diag_set(diag, st, "out of memory");
    if (st != PF_OK) {
        pf_campaign_destroy(c);
        return st;
    }
    *out = c;
    return PF_OK;
}

pf_status pf_campaign_load(const char *path, pf_campaign **out, pf_diag *diag)
{
    char *text = NULL;
    size_t len = 0;
    pf_diag_clear(diag);
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (!path) {
        pfi_diag_set(diag, PF_E_INVALID, "no campaign file given");
        return PF_E_INVALID;
    }
    pf_status st = pf_read_file(path, PF_CAMPAIGN_FILE_MAX, &text, &len, diag);
    if (st == PF_OK)
        st = pf_campaign_load_buffer(text, len, path, out, diag);
    free(text);
    return st;
}

const char *pf_campaign_file(const pf_campaign *c)
{
    return c ? c->file : NULL;
}

const char *pf_campaign_brand(const pf_campaign *c)
{
    return c ? c->brand_name : NULL;
}

const char *pf_campaign_use_case(const pf_campaign *c)
{
    return c ? c->use_case : NULL;
}
