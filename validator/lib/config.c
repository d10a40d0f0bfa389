/*
 * config.c — load and query the project config (preflight.json, see
 * config.h).
 *
 * The document is validated strictly with the json_int.h layer while the
 * pf_config_number structs are filled in; their strings point into the
 * cJSON tree, which is kept for the config's lifetime. Nothing changes
 * after loading, so threads share a config freely.
 *
 * A project may provision tens of thousands of numbers, so nothing here is
 * quadratic in them: duplicates are found by sorting, lookups are a binary
 * search over that sorted index, and the start line of every entry comes
 * from one forward scan of the text.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json_int.h"
#include "preflight/config.h"
#include "preflight/number.h"
#include "preflight/segments.h"
#include "preflight/util.h"

/* A config with 100 000 numbers is a few MiB; far larger is a mistake. */
#define CONFIG_FILE_MAX (16u << 20)

/* Short codes are 3 to 8 digits (5-6 in the US, 3-8 elsewhere). */
#define SHORT_CODE_MIN 3
#define SHORT_CODE_MAX 8

struct pf_config {
    cJSON *doc; /* strings below point into it */
    const char *cluster;
    pf_environment environment;
    const char *brand;
    const char *default_region;
    unsigned max_segments;
    const char **disabled;
    size_t disabled_count;
    pf_config_number *numbers; /* file order */
    size_t count;
    const pf_config_number **sorted; /* by number, for pf_config_find_number */
    pf_sender_registration *regs;    /* every number's registrations, one block */
};

static const char *const env_names[] = {"dev", "sandbox", "live", NULL};
static const char *const kind_names[] = {"long_code", "toll_free", "short_code", NULL};
/* Config values; pf_reg_status is the index + 1 (0 is "none"). */
static const char *const reg_names[] = {"approved", "pending", "rejected", NULL};
static const char *const reg_status_names[] = {"none", "approved", "pending", "rejected"};

static const char *const top_keys[] = {
    "cluster",      "environment",    "brand",   "default_region",
    "max_segments", "disabled_rules", "numbers", NULL};
static const char *const number_keys[] = {"number",
                                          "label",
                                          "environment",
                                          "kind",
                                          "a2p_10dlc",
                                          "toll_free_verification",
                                          "sender_registrations",
                                          NULL};
static const char *const a2p_keys[] = {"campaign_id", "brand_id", "status", "campaign_file",
                                       NULL};
static const char *const registration_keys[] = {"status", "reference", NULL};

const char *pf_environment_name(pf_environment env)
{
    return (unsigned)env <= PF_ENV_LIVE ? env_names[env] : "unknown";
}

pf_status pf_environment_from_name(const char *name, pf_environment *out)
{
    if (!name || !out)
        return PF_E_INVALID;
    for (int i = 0; env_names[i]; i++) {
        if (strcmp(env_names[i], name) == 0) {
            *out = (pf_environment)i;
            return PF_OK;
        }
    }
    return PF_E_NOT_FOUND;
}

const char *pf_reg_status_name(pf_reg_status s)
{
    return (unsigned)s <= PF_REG_REJECTED ? reg_status_names[s] : "unknown";
}

const char *pf_sender_type_name(pf_sender_type t)
{
    static const char *const names[] = {"unknown", "long_code", "toll_free", "short_code",
                                        "alphanumeric"};
    return (unsigned)t < PF_SENDER_TYPE_COUNT ? names[t] : "unknown";
}

pf_status pf_sender_type_from_name(const char *name, pf_sender_type *out)
{
    for (int t = PF_SENDER_LONG_CODE; name && t < PF_SENDER_TYPE_COUNT; t++) {
        if (strcmp(name, pf_sender_type_name((pf_sender_type)t)) == 0) {
            *out = (pf_sender_type)t;
            return PF_OK;
        }
    }
    return PF_E_NOT_FOUND;
}

/* ---- where each entry of "numbers" starts ---- */

/*
 * cJSON keeps no positions, and pfi_json_locate walks from the top of the
 * document, so using it per entry would be quadratic: one pass over the
 * array instead.
 */
/* Set numbers[k].line for the n entries of the array that starts at t[at]. */
static void entry_lines(const char *t, size_t len, size_t at, pf_config_number *numbers, size_t n)
{
    unsigned line = 1;
    size_t counted = 0; /* newlines in t[0..counted) are in line */
    size_t i = at + 1;
    for (size_t k = 0; k < n && i < len; k++) {
        i = pfi_json_skip_ws(t, len, i);
        for (; counted < i; counted++)
            line += t[counted] == '\n';
        numbers[k].line = line;
        i = pfi_json_skip_ws(t, len, pfi_json_skip_value(t, len, i));
        if (i < len && t[i] == ',')
            i++;
    }
}

/* ---- validation and building ---- */

/* An optional string that, when given, is not empty. */
static pf_status get_text(struct pfi_json *j, const cJSON *obj, const char *key, const char **out,
                          bool required)
{
    bool present;
    pf_status st = pfi_json_get_string(j, obj, key, out, required ? NULL : &present);
    if (st == PF_OK && *out && !(*out)[0])
        st = pfi_json_error(j, key, PF_E_SCHEMA, "'%s' must not be empty", key);
    return st;
}

/* An optional approved/pending/rejected value; PF_REG_NONE when absent. */
static pf_status get_reg(struct pfi_json *j, const cJSON *obj, const char *key, pf_reg_status *out,
                         bool required)
{
    int idx = -1;
    bool present;
    pf_status st = pfi_json_get_enum(j, obj, key, reg_names, &idx, required ? NULL : &present);
    *out = idx < 0 ? PF_REG_NONE : (pf_reg_status)(idx + 1);
    return st;
}

static bool is_short_code(const char *s)
{
    size_t n = strlen(s);
    if (n < SHORT_CODE_MIN || n > SHORT_CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* The "number" value against the kind: sets out->number, region and kind. */
static pf_status check_number_value(struct pfi_json *j, const char *s, pf_config_number *out)
{
    size_t len = strlen(s);
    if (out->kind_given && out->kind == PF_SENDER_SHORT_CODE) {
        if (!is_short_code(s))
            return pfi_json_error(j, "number", PF_E_SCHEMA,
                                  "'%s' is not a short code (%d to %d digits, no '+')", s,
                                  SHORT_CODE_MIN, SHORT_CODE_MAX);
        memcpy(out->number, s, len + 1);
        return PF_OK;
    }
    if (!pf_number_is_strict_e164(s, len)) {
        /* A bare short code is the likeliest reason; say what fixes it. */
        if (is_short_code(s))
            return pfi_json_error(j, "number", PF_E_SCHEMA,
                                  "'%s' is not strict E.164; a short code needs \"kind\": "
                                  "\"short_code\"",
                                  s);
        return pfi_json_error(j, "number", PF_E_SCHEMA,
                              "'%.40s' is not strict E.164 ('+' then 8 to 15 digits, no spaces "
                              "or punctuation)",
                              s);
    }
    pf_number pn;
    pf_diag pd;
    pf_status st = pf_number_parse(s, len, NULL, &pn, &pd);
    if (st == PF_E_NOMEM || st == PF_E_INTERNAL)
        return pfi_json_error(j, "number", st, "'%s': %s", s, pd.message);
    if (st != PF_OK || !pn.valid)
        return pfi_json_error(j, "number", PF_E_SCHEMA,
                              "'%s' is not a valid phone number (libphonenumber)", s);
    memcpy(out->number, s, len + 1);
    memcpy(out->region, pn.region, sizeof out->region);
    if (!out->kind_given)
        out->kind = pn.type == PF_NT_TOLL_FREE ? PF_SENDER_TOLL_FREE : PF_SENDER_LONG_CODE;
    return PF_OK;
}

static pf_status check_a2p(struct pfi_json *j, const cJSON *entry, pf_config_number *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(entry, "a2p_10dlc");
    if (!a)
        return PF_OK;
    if (out->kind != PF_SENDER_LONG_CODE)
        return pfi_json_error(j, "a2p_10dlc", PF_E_SCHEMA,
                              "A2P 10DLC applies to long codes only; %s is a %s number",
                              out->number, pf_sender_type_name(out->kind));
    pfi_json_push_key(j, "a2p_10dlc");
    pf_status st = pfi_json_object(j, a, a2p_keys);
    if (st == PF_OK)
        st = get_text(j, a, "campaign_id", &out->campaign_id, true);
    if (st == PF_OK)
        st = get_text(j, a, "brand_id", &out->brand_id, false);
    if (st == PF_OK)
        st = get_reg(j, a, "status", &out->a2p_10dlc, true);
    if (st == PF_OK)
        st = get_text(j, a, "campaign_file", &out->campaign_file, false);
    pfi_json_pop(j);
    return st;
}

/* sender_registrations: an object keyed by destination region; the
 * entries go to regs (room reserved by the caller). */
static pf_status check_registrations(struct pfi_json *j, const cJSON *entry, pf_config_number *out,
                                     pf_sender_registration *regs)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(entry, "sender_registrations");
    if (!o)
        return PF_OK;
    pfi_json_push_key(j, "sender_registrations");
    pf_status st = PF_OK;
    if (!cJSON_IsObject(o))
        st = pfi_json_error(j, NULL, PF_E_SCHEMA, "expected an object keyed by region code");
    size_t n = 0;
    for (const cJSON *r = o->child; r && st == PF_OK; r = r->next) {
        if (strlen(r->string) != 2 || !pf_region_is_supported(r->string)) {
            st = pfi_json_error_key(j, r->string, 0, PF_E_SCHEMA,
                                    "'%.16s' is not a region code libphonenumber supports "
                                    "(ISO 3166-1 alpha-2, upper case)",
                                    r->string);
            break;
        }
        size_t nth = 0;
        for (const cJSON *p = o->child; p != r; p = p->next)
            nth += strcmp(p->string, r->string) == 0;
        if (nth) {
            st = pfi_json_error_key(j, r->string, nth, PF_E_SCHEMA, "duplicate region '%s'",
                                    r->string);
            break;
        }
        pf_sender_registration *reg = &regs[n];
        memcpy(reg->country, r->string, 3);
        pfi_json_push_key(j, r->string);
        st = pfi_json_object(j, r, registration_keys);
        if (st == PF_OK)
            st = get_reg(j, r, "status", &reg->status, true);
        if (st == PF_OK)
            st = get_text(j, r, "reference", &reg->reference, false);
        pfi_json_pop(j);
        n++;
    }
    pfi_json_pop(j);
    out->registrations = n ? regs : NULL;
    out->registration_count = n;
    return st;
}

static pf_status check_entry(struct pfi_json *j, const cJSON *e, pf_config_number *out,
                             pf_sender_registration *regs)
{
    const char *number;
    int idx = 0;
    bool present;
    pf_status st = pfi_json_object(j, e, number_keys);
    if (st == PF_OK)
        st = pfi_json_get_string(j, e, "number", &number, NULL);
    if (st == PF_OK)
        st = get_text(j, e, "label", &out->label, false);
    if (st == PF_OK)
        st = pfi_json_get_enum(j, e, "environment", env_names, &idx, NULL);
    out->environment = (pf_environment)idx;
    /* The kind comes first: it decides how "number" is read. */
    if (st == PF_OK)
        st = pfi_json_get_enum(j, e, "kind", kind_names, &idx, &present);
    if (st == PF_OK && present) {
        out->kind = (pf_sender_type)(PF_SENDER_LONG_CODE + idx); /* kind_names' order */
        out->kind_given = true;
    }
    if (st == PF_OK)
        st = check_number_value(j, number, out);
    if (st == PF_OK)
        st = check_a2p(j, e, out);
    if (st == PF_OK)
        st = get_reg(j, e, "toll_free_verification", &out->toll_free_verification, false);
    if (st == PF_OK && out->toll_free_verification != PF_REG_NONE && out->kind != PF_SENDER_TOLL_FREE)
        st = pfi_json_error(j, "toll_free_verification", PF_E_SCHEMA,
                            "toll-free verification applies to toll-free numbers only; %s is "
                            "a %s number",
                            out->number, pf_sender_type_name(out->kind));
    if (st == PF_OK)
        st = check_registrations(j, e, out, regs);
    return st;
}

static int cmp_number(const void *a, const void *b)
{
    const pf_config_number *x = *(const pf_config_number *const *)a;
    const pf_config_number *y = *(const pf_config_number *const *)b;
    int c = strcmp(x->number, y->number);
    /* Ties in file order, so the entry reported as the duplicate is the
     * later one. */
    if (c == 0)
        c = (x > y) - (x < y);
    return c;
}

/* Sort the index and reject the first entry (in file order) that repeats
 * an earlier one. */
static pf_status check_duplicates(struct pfi_json *j, pf_config *cfg)
{
    for (size_t i = 0; i < cfg->count; i++)
        cfg->sorted[i] = &cfg->numbers[i];
    if (cfg->count > 1)
        qsort(cfg->sorted, cfg->count, sizeof *cfg->sorted, cmp_number);
    const pf_config_number *dup = NULL, *first = NULL;
    for (size_t i = 1; i < cfg->count; i++) {
        const pf_config_number *prev = cfg->sorted[i - 1], *cur = cfg->sorted[i];
        if (strcmp(prev->number, cur->number) != 0)
            continue;
        /* Only the second of a group matters: later ones come after it. */
        if (i >= 2 && strcmp(cfg->sorted[i - 2]->number, cur->number) == 0)
            continue;
        if (!dup || cur < dup) {
            dup = cur;
            first = prev;
        }
    }
    if (!dup)
        return PF_OK;
    pfi_json_push_key(j, "numbers");
    pfi_json_push_index(j, (size_t)(dup - cfg->numbers));
    pfi_json_error(j, "number", PF_E_SCHEMA,
                   "duplicate number '%s' (first at numbers[%zu], line %u)", dup->number,
                   (size_t)(first - cfg->numbers), first->line);
    pfi_json_pop(j);
    pfi_json_pop(j);
    return PF_E_SCHEMA;
}

static pf_status check_numbers(struct pfi_json *j, pf_config *cfg, const cJSON *arr)
{
    size_t n = (size_t)cJSON_GetArraySize(arr), nregs = 0;
    for (const cJSON *e = arr->child; e; e = e->next) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "sender_registrations");
        if (cJSON_IsObject(r))
            nregs += (size_t)cJSON_GetArraySize(r);
    }
    cfg->numbers = calloc(n ? n : 1, sizeof *cfg->numbers);
    cfg->sorted = calloc(n ? n : 1, sizeof *cfg->sorted);
    cfg->regs = calloc(nregs ? nregs : 1, sizeof *cfg->regs);
    if (!cfg->numbers || !cfg->sorted || !cfg->regs)
        return PF_E_NOMEM;

    struct pfi_json_step at = {.key = "numbers", .index = 0};
    entry_lines(j->text, j->len, pfi_json_locate(j->text, j->len, &at, 1, false), cfg->numbers, n);

    pf_status st = PF_OK;
    size_t used = 0;
    pfi_json_push_key(j, "numbers");
    for (const cJSON *e = arr->child; e && st == PF_OK; e = e->next) {
        pf_config_number *num = &cfg->numbers[cfg->count];
        pfi_json_push_index(j, cfg->count);
        st = check_entry(j, e, num, cfg->regs + used);
        pfi_json_pop(j);
        used += num->registration_count;
        cfg->count++;
    }
    pfi_json_pop(j);
    if (st == PF_OK)
        st = check_duplicates(j, cfg);
    return st;
}

static pf_status check_disabled(struct pfi_json *j, pf_config *cfg, const cJSON *arr)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    cfg->disabled = calloc(n ? n : 1, sizeof *cfg->disabled);
    if (!cfg->disabled)
        return PF_E_NOMEM;
    pf_status st = PF_OK;
    pfi_json_push_key(j, "disabled_rules");
    for (const cJSON *e = arr->child; e && st == PF_OK; e = e->next) {
        pfi_json_push_index(j, cfg->disabled_count);
        if (!cJSON_IsString(e) || !e->valuestring[0])
            st = pfi_json_error(j, NULL, PF_E_SCHEMA, "expected a rule id (a non-empty string)");
        else
            cfg->disabled[cfg->disabled_count++] = e->valuestring;
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    return st;
}

static pf_status check_config(struct pfi_json *j, pf_config *cfg)
{
    const cJSON *root = cfg->doc, *disabled, *numbers;
    int idx = 0;
    long max = PF_SEGMENTS_MAX_DEFAULT;
    bool present;
    pf_status st = pfi_json_object(j, root, top_keys);
    if (st == PF_OK)
        st = pfi_json_get_enum(j, root, "cluster", pfi_cluster_names, &idx, &present);
    if (st == PF_OK && present)
        cfg->cluster = pfi_cluster_names[idx];
    if (st == PF_OK)
        st = pfi_json_get_enum(j, root, "environment", env_names, &idx, NULL);
    cfg->environment = (pf_environment)idx;
    if (st == PF_OK)
        st = get_text(j, root, "brand", &cfg->brand, false);
    if (st == PF_OK)
        st = pfi_json_get_string(j, root, "default_region", &cfg->default_region, &present);
    if (st == PF_OK && cfg->default_region &&
        (strlen(cfg->default_region) != 2 || !pf_region_is_supported(cfg->default_region)))
        st = pfi_json_error(j, "default_region", PF_E_SCHEMA,
                            "'%.16s' is not a region code libphonenumber supports "
                            "(ISO 3166-1 alpha-2, upper case)",
                            cfg->default_region);
    if (st == PF_OK)
        st = pfi_json_get_int(j, root, "max_segments", 1, 100, &max, &present);
    cfg->max_segments = (unsigned)max;
    if (st == PF_OK)
        st = pfi_json_get_array(j, root, "disabled_rules", &disabled, &present);
    if (st == PF_OK && disabled)
        st = check_disabled(j, cfg, disabled);
    if (st == PF_OK)
        st = pfi_json_get_array(j, root, "numbers", &numbers, NULL);
    if (st == PF_OK)
        st = check_numbers(j, cfg, numbers);
    return st;
}

void pf_config_destroy(pf_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->disabled);
    free(cfg->numbers);
    free(cfg->sorted);
    free(cfg->regs);
    cJSON_Delete(cfg->doc);
    free(cfg);
}

pf_status pf_config_load_buffer(const char *text, size_t len, const char *name, pf_config **out,
                                pf_diag *diag)
{
    struct pfi_json j;
    pf_status st;
    pf_config *cfg = NULL;

    pf_diag_clear(diag);
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (!text) {
        pfi_diag_set(diag, PF_E_INVALID, "no config text given");
        return PF_E_INVALID;
    }
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        st = PF_E_NOMEM;
        goto out;
    }
    st = pfi_json_parse(&j, text, len, name ? name : "preflight.json", diag, &cfg->doc);
    if (st == PF_OK)
        st = check_config(&j, cfg);
out:
    if (st != PF_OK) {
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
        pf_config_destroy(cfg);
        return st;
    }
    *out = cfg;
    return PF_OK;
}

pf_status pf_config_load(const char *file, pf_config **out, pf_diag *diag)
{
    char *text = NULL;
    size_t len = 0;
    pf_status st;

    if (out)
        *out = NULL;
    if (!file || !out) {
        pf_diag_clear(diag);
        pfi_diag_set(diag, PF_E_INVALID, "no config file given");
        return PF_E_INVALID;
    }
    st = pf_read_file(file, CONFIG_FILE_MAX, &text, &len, diag);
    if (st == PF_OK)
        st = pf_config_load_buffer(text, len, file, out, diag);
    free(text);
    return pfi_diag_status(diag, st);
}

const char *pf_config_cluster(const pf_config *cfg)
{
    return cfg ? cfg->cluster : NULL;
}

pf_environment pf_config_environment(const pf_config *cfg)
{
    return cfg ? cfg->environment : PF_ENV_DEV;
}

const char *pf_config_brand(const pf_config *cfg)
{
    return cfg ? cfg->brand : NULL;
}

const char *pf_config_default_region(const pf_config *cfg)
{
    return cfg ? cfg->default_region : NULL;
}

unsigned pf_config_max_segments(const pf_config *cfg)
{
    return cfg ? cfg->max_segments : PF_SEGMENTS_MAX_DEFAULT;
}

const char *const *pf_config_disabled_rules(const pf_config *cfg, size_t *count)
{
    if (count)
        *count = cfg ? cfg->disabled_count : 0;
    return cfg && cfg->disabled_count ? cfg->disabled : NULL;
}

size_t pf_config_number_count(const pf_config *cfg)
{
    return cfg ? cfg->count : 0;
}

const pf_config_number *pf_config_number_at(const pf_config *cfg, size_t i)
{
    return cfg && i < cfg->count ? &cfg->numbers[i] : NULL;
}

const pf_config_number *pf_config_find_number(const pf_config *cfg, const char *e164)
{
    if (!cfg || !e164)
        return NULL;
    size_t lo = 0, hi = cfg->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(cfg->sorted[mid]->number, e164);
        if (c == 0)
            return cfg->sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const pf_sender_registration *pf_config_number_registration(const pf_config_number *n,
                                                            const char *country)
{
    if (!n || !country)
        return NULL;
    for (size_t i = 0; i < n->registration_count; i++) {
        if (strcmp(n->registrations[i].country, country) == 0)
            return &n->registrations[i];
    }
    return NULL;
}
