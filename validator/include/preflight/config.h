/*
 * config.h — the project config (preflight.json, SPEC §4): cluster,
 * environment, brand and the provisioned sender numbers with their
 * registrations (A2P 10DLC campaign, toll-free verification, per-country
 * sender registrations).
 *
 * Loaded once, strictly (unknown keys, wrong types, non-E.164 numbers,
 * duplicate numbers and bad status values are errors with file,
 * line:column and key path), into an immutable object threads may share.
 */
#ifndef PREFLIGHT_CONFIG_H
#define PREFLIGHT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "sender.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pf_environment { PF_ENV_DEV = 0, PF_ENV_SANDBOX, PF_ENV_LIVE } pf_environment;

/* "dev", "sandbox", "live". */
PF_EXTERN const char *pf_environment_name(pf_environment env);
PF_EXTERN pf_status pf_environment_from_name(const char *name, pf_environment *out);

/* Registration state as the config records it. */
typedef enum pf_reg_status {
    PF_REG_NONE = 0, /* the config records none */
    PF_REG_APPROVED,
    PF_REG_PENDING,
    PF_REG_REJECTED
} pf_reg_status;

/* "none", "approved", "pending", "rejected". */
PF_EXTERN const char *pf_reg_status_name(pf_reg_status s);


/* A sender registration for one destination country. */
typedef struct pf_sender_registration {
    char country[3];
    pf_reg_status status;
    const char *reference; /* e.g. a registry id; NULL when absent */
} pf_sender_registration;

typedef struct pf_config_number {
    char number[24];   /* E.164 (digits only for a short code) */
    const char *label; /* optional human name; NULL when absent */
    pf_environment environment;
    pf_sender_type kind; /* long code, toll-free or short code: given, or from the number type */
    bool kind_given;
    char region[4];          /* the number's region per libphonenumber ("" for short codes) */
    pf_reg_status a2p_10dlc; /* PF_REG_NONE when no a2p_10dlc block */
    const char *campaign_id; /* NULL when absent */
    const char *brand_id;    /* NULL when absent */
    pf_reg_status toll_free_verification;
    const pf_sender_registration *registrations;
    size_t registration_count;
    unsigned line; /* where the entry starts in the file */
    /* a2p_10dlc.campaign_file: the campaign's registration file (see
     * campaign.h), as written, relative to the config file; NULL when absent. */
    const char *campaign_file;
} pf_config_number;

typedef struct pf_config pf_config;

PF_EXTERN pf_status pf_config_load(const char *file, pf_config **out, pf_diag *diag);
PF_EXTERN pf_status pf_config_load_buffer(const char *text, size_t len, const char *name, pf_config **out,
                                pf_diag *diag);
PF_EXTERN void pf_config_destroy(pf_config *cfg);

/* "us-1", "uk-1", "euw-1", or NULL when the config names none. */
PF_EXTERN const char *pf_config_cluster(const pf_config *cfg);
PF_EXTERN pf_environment pf_config_environment(const pf_config *cfg);
/* The brand the first message must carry, or NULL. */
PF_EXTERN const char *pf_config_brand(const pf_config *cfg);
/* Region for numbers written without '+', or NULL. */
PF_EXTERN const char *pf_config_default_region(const pf_config *cfg);
/* Segment limit before message.too-long (default PF_SEGMENTS_MAX_DEFAULT). */
PF_EXTERN unsigned pf_config_max_segments(const pf_config *cfg);
/* Rule ids the project turns off. */
PF_EXTERN const char *const *pf_config_disabled_rules(const pf_config *cfg, size_t *count);

PF_EXTERN size_t pf_config_number_count(const pf_config *cfg);
PF_EXTERN const pf_config_number *pf_config_number_at(const pf_config *cfg, size_t i);
/* The entry for an E.164 number, or NULL. */
PF_EXTERN const pf_config_number *pf_config_find_number(const pf_config *cfg, const char *e164);
/* The number's registration for a destination country, or NULL. */
PF_EXTERN const pf_sender_registration *pf_config_number_registration(const pf_config_number *n,
                                                            const char *country);

#ifdef __cplusplus
}
#endif

#endif
