/*
 * session.h — everything a check needs, loaded once: the rule packs, the
 * country table with its time zones by area, the project config and the
 * rule ids turned off. A session is immutable once open and reference
 * counted, so any number of threads share it, each with its own checker
 * (engine.h), batch (batch.h) or gated send (send.h).
 *
 * Reloading is opening a new session and swapping it in (pf_session_slot
 * does that atomically); work in flight keeps its reference to the old one,
 * which is freed when the last reference goes.
 *
 *     pf_session_options *o;
 *     pf_session *s;
 *     pf_diag d;
 *     pf_session_options_create(&o);
 *     pf_session_options_add_rules_dir(o, "/usr/share/sms-preflight/rules");
 *     pf_session_options_add_data_dir(o, "/usr/share/sms-preflight/data");
 *     pf_session_options_set_config_file(o, "preflight.json");
 *     if (pf_session_open(o, &s, &d) != PF_OK) ... d names file:line:col
 *     pf_session_options_destroy(o);
 *     ... pf_checker_create(s, &ck) per thread ...
 *     pf_session_unref(s);
 */
#ifndef PREFLIGHT_SESSION_H
#define PREFLIGHT_SESSION_H

#include <stddef.h>

#include "config.h"
#include "countries.h"
#include "scan.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- options: an opaque object with setters, so it can grow ---- */

typedef struct pf_session_options pf_session_options;

PF_EXTERN pf_status pf_session_options_create(pf_session_options **out);
PF_EXTERN void pf_session_options_destroy(pf_session_options *o);

/*
 * A directory of rule packs (every *.json in name order); directories in
 * the order added, a later rule replacing an earlier one with the same id.
 * At least one is required. The string is copied.
 */
PF_EXTERN pf_status pf_session_options_add_rules_dir(pf_session_options *o, const char *dir);

/*
 * A data directory: its countries.json is required (a full table replaces
 * what came before, an "overlay": true file corrects it field by field);
 * its timezones.json is optional (the last directory that has one wins).
 * At least one is required. The string is copied.
 */
PF_EXTERN pf_status pf_session_options_add_data_dir(pf_session_options *o, const char *dir);

/* The project config (preflight.json, SPEC §4); NULL for none (then the
 * engine skips sender checks and says so with config.none). */
PF_EXTERN pf_status pf_session_options_set_config_file(pf_session_options *o, const char *file);

/* A rule id to turn off for every check, on top of the config's
 * disabled_rules; any number. Open fails if no loaded rule has the id. */
PF_EXTERN pf_status pf_session_options_add_disabled_rule(pf_session_options *o, const char *id);

/* Whether the rules are JIT-compiled (default true; see PF_RULES_NO_JIT:
 * a program checking one message is faster with false). */
PF_EXTERN pf_status pf_session_options_set_jit(pf_session_options *o, bool jit);

/* The environment whose senders are used; by default the config's. */
PF_EXTERN pf_status pf_session_options_set_environment(pf_session_options *o, pf_environment env);

/* ---- the session ---- */

typedef struct pf_session pf_session;

/*
 * Load rules, then the country table and its zones, then the config, then
 * check every disabled rule id (the config's and the options') against the
 * loaded rules. The first error goes to diag (file, line:column, key path;
 * an unknown disabled id has path "disabled_rules", and file the config
 * when it came from there) and *out stays NULL. The options may be
 * destroyed after the call. The new session holds one reference.
 */
PF_EXTERN pf_status pf_session_open(const pf_session_options *o, pf_session **out, pf_diag *diag);

/* Take another reference (returns s); drop one, freeing on the last.
 * Both are atomic and accept NULL. */
PF_EXTERN pf_session *pf_session_ref(pf_session *s);
PF_EXTERN void pf_session_unref(pf_session *s);

PF_EXTERN const pf_ruleset *pf_session_rules(const pf_session *s);
PF_EXTERN const pf_countries *pf_session_countries(const pf_session *s);
/* NULL when the session has no config. */
PF_EXTERN const pf_config *pf_session_config(const pf_session *s);
/* The environment checks use: the options', else the config's, else live. */
PF_EXTERN pf_environment pf_session_environment(const pf_session *s);
/* Every rule id turned off: the config's, then the options'. */
PF_EXTERN const char *const *pf_session_disabled_rules(const pf_session *s, size_t *count);
/* The files and directories the session was loaded from, in load order. */
PF_EXTERN size_t pf_session_file_count(const pf_session *s);
PF_EXTERN const char *pf_session_file_at(const pf_session *s, size_t i);

/* ---- a slot to swap sessions in atomically (reload under load) ---- */

typedef struct pf_session_slot pf_session_slot;

/* A slot holding a reference to s (which may be NULL). */
PF_EXTERN pf_status pf_session_slot_create(pf_session *s, pf_session_slot **out);
/* The destroyed slot drops its reference. */
PF_EXTERN void pf_session_slot_destroy(pf_session_slot *slot);
/* A new reference to the current session (the caller unrefs it), or NULL. */
PF_EXTERN pf_session *pf_session_slot_get(pf_session_slot *slot);
/* Put s in (taking a reference) and drop the slot's reference to the old
 * one; work holding the old one finishes on it. */
PF_EXTERN void pf_session_slot_set(pf_session_slot *slot, pf_session *s);

#ifdef __cplusplus
}
#endif

#endif
