/*
 * session.c — rules, country table (with zones), config and disabled rule
 * ids loaded once into an immutable, reference-counted object; and the
 * slot that swaps sessions under load.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "numfast_int.h"
#include "preflight/session.h"

/* A growable list of owned strings. */
struct strlist {
    char **items;
    size_t count, cap;
};

struct pf_session_options {
    struct strlist rules_dirs, data_dirs, disabled;
    char *config_file;
    int environment; /* pf_environment, or -1 for the config's */
    bool no_jit;
};

struct pf_session {
    atomic_size_t refs;
    pf_ruleset *rules;
    pf_countries *table;
    pf_config *config;
    pf_environment environment;
    struct strlist disabled; /* config's, then the options' */
    struct strlist files;
};

struct pf_session_slot {
    pthread_mutex_t mu;
    pf_session *current;
};

static pf_status strlist_add(struct strlist *l, const char *s, size_t len)
{
    void *arr = l->items;
    pf_status st = pfi_grow(&arr, &l->cap, l->count + 1, sizeof *l->items);
    l->items = arr;
    if (st != PF_OK)
        return st;
    char *copy = malloc(len + 1);
    if (!copy)
        return PF_E_NOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    l->items[l->count++] = copy;
    return PF_OK;
}

static void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ---- options ---- */

pf_status pf_session_options_create(pf_session_options **out)
{
    if (!out)
        return PF_E_INVALID;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return PF_E_NOMEM;
    (*out)->environment = -1;
    return PF_OK;
}

void pf_session_options_destroy(pf_session_options *o)
{
    if (!o)
        return;
    strlist_free(&o->rules_dirs);
    strlist_free(&o->data_dirs);
    strlist_free(&o->disabled);
    free(o->config_file);
    free(o);
}

pf_status pf_session_options_add_rules_dir(pf_session_options *o, const char *dir)
{
    if (!o || !dir)
        return PF_E_INVALID;
    return strlist_add(&o->rules_dirs, dir, strlen(dir));
}

pf_status pf_session_options_add_data_dir(pf_session_options *o, const char *dir)
{
    if (!o || !dir)
        return PF_E_INVALID;
    return strlist_add(&o->data_dirs, dir, strlen(dir));
}

pf_status pf_session_options_set_config_file(pf_session_options *o, const char *file)
{
    if (!o)
        return PF_E_INVALID;
    char *copy = NULL;
    if (file && !(copy = strdup(file)))
        return PF_E_NOMEM;
    free(o->config_file);
    o->config_file = copy;
    return PF_OK;
}

pf_status pf_session_options_add_disabled_rule(pf_session_options *o, const char *id)
{
    if (!o || !id)
        return PF_E_INVALID;
    return strlist_add(&o->disabled, id, strlen(id));
}

pf_status pf_session_options_set_environment(pf_session_options *o, pf_environment env)
{
    if (!o || (int)env < PF_ENV_DEV || env > PF_ENV_LIVE)
        return PF_E_INVALID;
    o->environment = (int)env;
    return PF_OK;
}

pf_status pf_session_options_set_jit(pf_session_options *o, bool jit)
{
    if (!o)
        return PF_E_INVALID;
    o->no_jit = !jit;
    return PF_OK;
}

/* ---- open ---- */

static void session_free(pf_session *s)
{
    if (!s)
        return;
    pf_config_destroy(s->config);
    pf_countries_destroy(s->table);
    pf_rules_destroy(s->rules);
    strlist_free(&s->disabled);
    strlist_free(&s->files);
    free(s);
}

/* "dir/name" into a new string of the list; false on memory. */
static pf_status add_path(struct strlist *l, const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name);
    char *p = malloc(n + 1);
    if (!p)
        return PF_E_NOMEM;
    snprintf(p, n + 1, "%s/%s", dir, name);
    pf_status st = strlist_add(l, p, n);
    free(p);
    return st;
}

static pf_status load_rules(pf_session *s, const pf_session_options *o, pf_diag *diag)
{
    pf_status st =
        pf_rules_load_flags((const char *const *)o->rules_dirs.items, o->rules_dirs.count,
                            o->no_jit ? PF_RULES_NO_JIT : 0, &s->rules, diag);
    for (size_t i = 0; st == PF_OK && i < o->rules_dirs.count; i++)
        st = strlist_add(&s->files, o->rules_dirs.items[i], strlen(o->rules_dirs.items[i]));
    return st;
}

static pf_status load_table(pf_session *s, const pf_session_options *o, pf_diag *diag)
{
    struct strlist files = {0};
    pf_status st = PF_OK;
    const char *zones = NULL;
    char *zpath = NULL;
    for (size_t i = 0; st == PF_OK && i < o->data_dirs.count; i++)
        st = add_path(&files, o->data_dirs.items[i], "countries.json");
    if (st == PF_OK)
        st = pf_countries_load((const char *const *)files.items, files.count, &s->table, diag);
    /* Time zones by area: the last data directory that has the file. */
    for (size_t i = 0; st == PF_OK && i < o->data_dirs.count; i++) {
        size_t n = strlen(o->data_dirs.items[i]) + sizeof "/timezones.json";
        char *p = malloc(n);
        if (!p) {
            st = PF_E_NOMEM;
            break;
        }
        snprintf(p, n, "%s/timezones.json", o->data_dirs.items[i]);
        if (access(p, R_OK) == 0) {
            free(zpath);
            zpath = p;
            zones = zpath;
        } else {
            free(p);
        }
    }
    if (st == PF_OK && zones)
        st = pf_countries_load_zones(s->table, zones, diag);
    for (size_t i = 0; st == PF_OK && i < files.count; i++)
        st = strlist_add(&s->files, files.items[i], strlen(files.items[i]));
    if (st == PF_OK && zones)
        st = strlist_add(&s->files, zones, strlen(zones));
    free(zpath);
    strlist_free(&files);
    return st;
}

static pf_status check_disabled(pf_session *s, const pf_session_options *o, pf_diag *diag)
{
    size_t n = 0;
    const char *const *cfg = s->config ? pf_config_disabled_rules(s->config, &n) : NULL;
    for (size_t i = 0; i < n + o->disabled.count; i++) {
        const char *id = i < n ? cfg[i] : o->disabled.items[i - n];
        if (!pf_rules_find(s->rules, id)) {
            pf_diag_clear(diag);
            if (i < n)
                pfi_diag_file(diag, o->config_file);
            pfi_diag_path(diag, "disabled_rules");
            pfi_diag_set(diag, PF_E_NOT_FOUND, "no rule has the id '%s'", id);
            return PF_E_NOT_FOUND;
        }
        pf_status st = strlist_add(&s->disabled, id, strlen(id));
        if (st != PF_OK)
            return st;
    }
    return PF_OK;
}

pf_status pf_session_open(const pf_session_options *o, pf_session **out, pf_diag *diag)
{
    pf_session *s = NULL;
    pf_status st;

    pf_diag_clear(diag);
    if (out)
        *out = NULL;
    if (!o || !out || !o->rules_dirs.count || !o->data_dirs.count) {
        pfi_diag_set(diag, PF_E_INVALID, "a session needs a rules directory and a data directory");
        return PF_E_INVALID;
    }
    /* A session without JIT is for one message: the number engine's
     * patterns are then interpreted too (JIT-compiling a calling code's
     * patterns costs more than one number's matches; issue 20). */
    if (o->no_jit)
        pfi_numfast_prefer_interpreter();
    if (!(s = calloc(1, sizeof *s))) {
        st = PF_E_NOMEM;
        goto out;
    }
    atomic_init(&s->refs, 1);
    st = load_rules(s, o, diag);
    if (st == PF_OK)
        st = load_table(s, o, diag);
    if (st == PF_OK && o->config_file) {
        st = pf_config_load(o->config_file, &s->config, diag);
        if (st == PF_OK)
            st = strlist_add(&s->files, o->config_file, strlen(o->config_file));
    }
    if (st == PF_OK)
        st = check_disabled(s, o, diag);
    s->environment = o->environment >= 0 ? (pf_environment)o->environment
                     : s->config         ? pf_config_environment(s->config)
                                         : PF_ENV_LIVE;
out:
    if (st != PF_OK) {
        /* Loaders set their own diag; a bare allocation failure gets one here. */
        if (!diag || diag->status != st)
            pfi_diag_set(diag, st, "%s", pf_strerror(st));
        session_free(s);
        return st;
    }
    *out = s;
    return PF_OK;
}

pf_session *pf_session_ref(pf_session *s)
{
    if (s)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void pf_session_unref(pf_session *s)
{
    /* Release on every drop, acquire before the free: the last owner sees
     * every other owner's work done. */
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        session_free(s);
}

const pf_ruleset *pf_session_rules(const pf_session *s)
{
    return s ? s->rules : NULL;
}

const pf_countries *pf_session_countries(const pf_session *s)
{
    return s ? s->table : NULL;
}

const pf_config *pf_session_config(const pf_session *s)
{
    return s ? s->config : NULL;
}

pf_environment pf_session_environment(const pf_session *s)
{
    return s ? s->environment : PF_ENV_LIVE;
}

const char *const *pf_session_disabled_rules(const pf_session *s, size_t *count)
{
    if (count)
        *count = s ? s->disabled.count : 0;
    return s ? (const char *const *)s->disabled.items : NULL;
}

size_t pf_session_file_count(const pf_session *s)
{
    return s ? s->files.count : 0;
}

const char *pf_session_file_at(const pf_session *s, size_t i)
{
    return s && i < s->files.count ? s->files.items[i] : NULL;
}

/* ---- the slot ---- */

pf_status pf_session_slot_create(pf_session *s, pf_session_slot **out)
{
    if (!out)
        return PF_E_INVALID;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return PF_E_NOMEM;
    if (pthread_mutex_init(&(*out)->mu, NULL) != 0) {
        free(*out);
        *out = NULL;
        return PF_E_INTERNAL;
    }
    (*out)->current = pf_session_ref(s);
    return PF_OK;
}

void pf_session_slot_destroy(pf_session_slot *slot)
{
    if (!slot)
        return;
    pf_session_unref(slot->current);
    pthread_mutex_destroy(&slot->mu);
    free(slot);
}

pf_session *pf_session_slot_get(pf_session_slot *slot)
{
    if (!slot)
        return NULL;
    /* The reference is taken under the lock, so a concurrent set cannot
     * free the session between reading the pointer and counting it. */
    pthread_mutex_lock(&slot->mu);
    pf_session *s = pf_session_ref(slot->current);
    pthread_mutex_unlock(&slot->mu);
    return s;
}

void pf_session_slot_set(pf_session_slot *slot, pf_session *s)
{
    if (!slot)
        return;
    pf_session_ref(s);
    pthread_mutex_lock(&slot->mu);
    pf_session *old = slot->current;
    slot->current = s;
    pthread_mutex_unlock(&slot->mu);
    pf_session_unref(old);
}
