/*
 * cli_send.h — what `preflight send` (cli_send.c) and bulk send
 * (cli_bulk.c, `preflight send --input`) share: the API, credential and
 * client flags, read the same way for both.
 */
#ifndef PREFLIGHT_CLI_SEND_H
#define PREFLIGHT_CLI_SEND_H

#include "cli.h"

enum {
    OPT_CLUSTER = CLI_OPT_OWN,
    OPT_BASE_URL,
    OPT_CREDENTIALS,
    OPT_DRY_RUN,
    OPT_CONNECT_TIMEOUT,
    OPT_TIMEOUT,
    OPT_MAX_ATTEMPTS,
    OPT_MAX_WAIT,
    OPT_RETRY_5XX,
    OPT_VERBOSE,
    OPT_CACERT,
    OPT_CAPATH
};

/* The rows of the option table for the flags above. */
#define CLI_SEND_OPTS                                                                              \
    {"cluster", CLI_ARG, OPT_CLUSTER, "C", "us-1, uk-1 or euw-1 (default: the config's)"},         \
        {"base-url", CLI_ARG, OPT_BASE_URL, "URL", "API base URL instead of a cluster"},           \
        {"credentials", CLI_ARG, OPT_CREDENTIALS, "FILE",                                          \
         "JSON {auth_token, token_id} or KEY=VALUE file (default: environment)"},                  \
        {"dry-run", CLI_NO_ARG, OPT_DRY_RUN, NULL, "print the request instead of sending it"},     \
        {"connect-timeout", CLI_ARG, OPT_CONNECT_TIMEOUT, "S",                                     \
         "connect timeout, seconds (default 10)"},                                                 \
        {"timeout", CLI_ARG, OPT_TIMEOUT, "S", "timeout of each attempt, seconds (default 30)"},   \
        {"max-attempts", CLI_ARG, OPT_MAX_ATTEMPTS, "N",                                           \
         "attempts on 429 or no connection (default 5)"},                                          \
        {"max-wait", CLI_ARG, OPT_MAX_WAIT, "S",                                                   \
         "total wait between attempts, seconds (default 60)"},                                     \
        {"retry-server-errors", CLI_NO_ARG, OPT_RETRY_5XX, NULL,                                   \
         "retry 5xx too (the person may get the text twice)"},                                     \
        {"verbose", CLI_NO_ARG, OPT_VERBOSE, NULL, "trace each attempt on stderr"},                \
        {"cacert", CLI_ARG, OPT_CACERT, "FILE",                                                    \
         "trust the CA certificates in FILE (PEM) instead of the default bundle "                  \
         "(default: $PREFLIGHT_CA_BUNDLE)"},                                                       \
    {                                                                                              \
        "capath", CLI_ARG, OPT_CAPATH, "DIR",                                                      \
            "trust the CA certificates in DIR (hashed by openssl rehash) instead of the default "  \
            "directory (default: $PREFLIGHT_CA_PATH)"                                              \
    }

struct send_opts {
    const char *cluster, *base_url, *cred_file;
    const char *cacert, *capath; /* --cacert, --capath; NULL: the environment's */
    bool dry_run, verbose;
    pf_client_options client;
};

/* 1 handled, 0 not a send option, -1 bad value (reported). */
int cli_send_option(struct send_opts *s, int id, const char *val);
/* True (after reporting) when argv tries to carry a credential. */
bool cli_send_credential_on_argv(int argc, char **argv);
/* The credentials into o, from --credentials or the environment; 0 or an
 * exit code after reporting. source gets where they came from. */
int cli_send_load_credentials(const struct send_opts *s, pf_send_options *o, char *source,
                              size_t cap);
/* --cacert / --capath (or their variables) into o; 0 or an exit code. */
int cli_send_apply_ca(const struct send_opts *s, pf_send_options *o);

/* `preflight send --input LIST.csv --journal RUN.journal` (cli_bulk.c). */
int cli_bulk_send(int argc, char **argv);

#endif
