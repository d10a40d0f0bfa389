/*
 * cli.h — what the preflight program's files share: the option table and
 * parser, the common flags, output and exit codes.
 *
 * The CLI is a client of the public library API only.
 */
#ifndef PREFLIGHT_CLI_H
#define PREFLIGHT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "preflight/preflight.h"

/* Exit codes, SPEC §2. */
enum {
    CLI_EXIT_OK = 0,      /* nothing at or above --fail-on */
    CLI_EXIT_FINDING = 1, /* a finding at or above --fail-on */
    CLI_EXIT_USAGE = 2,   /* usage or input error */
    CLI_EXIT_SEND = 3     /* the send itself failed */
};

enum cli_arg { CLI_NO_ARG = 0, CLI_ARG = 1 };

/* One row of a command's option table; also the source of its --help. */
struct cli_opt {
    const char *name;    /* long name without "--" */
    enum cli_arg arg;
    int id;              /* returned by cli_next */
    const char *metavar; /* for --help, when arg */
    const char *help;
};

/* Ids of the common options; commands number their own from CLI_OPT_OWN. */
enum {
    CLI_OPT_HELP = 1000,
    CLI_OPT_VERSION,
    CLI_OPT_FORMAT,
    CLI_OPT_OUTPUT,
    CLI_OPT_RULES,
    CLI_OPT_DATA,
    CLI_OPT_FAIL_ON,
    CLI_OPT_QUIET,
    CLI_OPT_COLOR,
    CLI_OPT_OWN = 2000
};

/* Rows for the common options, to put at the end of a command's table. */
#define CLI_COMMON_OPTS                                                                  \
    {"format", CLI_ARG, CLI_OPT_FORMAT, "FMT", "output format (text, json, ...)"},       \
        {"output", CLI_ARG, CLI_OPT_OUTPUT, "FILE", "write the result to FILE"},         \
        {"rules", CLI_ARG, CLI_OPT_RULES, "DIR", "rule pack directory (repeatable)"},    \
        {"data", CLI_ARG, CLI_OPT_DATA, "DIR", "data directory (repeatable)"},           \
        {"fail-on", CLI_ARG, CLI_OPT_FAIL_ON, "LEVEL", "exit 1 at block (default) or warn"}, \
        {"quiet", CLI_NO_ARG, CLI_OPT_QUIET, NULL, "print nothing but errors"},          \
        {"color", CLI_ARG, CLI_OPT_COLOR, "WHEN", "auto (default), always or never"},    \
        {"help", CLI_NO_ARG, CLI_OPT_HELP, NULL, "show this help"},                      \
        {"version", CLI_NO_ARG, CLI_OPT_VERSION, NULL, "show the version"},              \
    {                                                                                    \
        NULL, CLI_NO_ARG, 0, NULL, NULL                                                  \
    }

enum cli_level { CLI_FAIL_BLOCK = 0, CLI_FAIL_WARN = 1 };

/* The common flags after parsing. */
struct cli_common {
    const char *command;
    const char *format; /* NULL until set */
    const char *output;
    pf_session_options *so; /* rules and data dirs, config, disabled ids */
    bool has_rules, has_data;
    enum cli_level fail_on;
    bool quiet;
    bool color;
};

/* Parser state over argv. Options may come before or after positionals;
 * "--" ends options. */
struct cli_parser {
    int argc;
    char **argv;
    int i;
    const struct cli_opt *opts;
    const char *command;
    bool only_positional;
};

enum { CLI_END = -1, CLI_ERROR = -2, CLI_POSITIONAL = 0 };

void cli_parser_init(struct cli_parser *p, const char *command, int argc, char **argv,
                     const struct cli_opt *opts);

/* Next option id, CLI_POSITIONAL (value in *val), CLI_END, or CLI_ERROR
 * (already reported on stderr). */
int cli_next(struct cli_parser *p, const char **val);

/* Start the common flags with their defaults (color from the TTY and NO_COLOR). */
void cli_common_init(struct cli_common *c, const char *command);

/*
 * Handle a common option. Returns 1 when handled, 0 when id is not a common
 * option, -1 on a bad value (reported), and for --help / --version prints
 * and returns 2 (the command should exit 0).
 */
int cli_common_option(struct cli_common *c, int id, const char *val,
                      const struct cli_opt *opts, const char *usage);

/* Check --format against the allowed list (NULL-terminated); default first. */
bool cli_check_format(struct cli_common *c, const char *const *allowed);

/* Print "preflight CMD: message" to stderr. */
void cli_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print a diag as "file:line:col: path: message" to stderr. */
void cli_error_diag(const char *command, const pf_diag *diag);
/* Whether --region's code is one libphonenumber knows; else says why (an
 * unknown code, or a number module that cannot be loaded). */
bool cli_region_ok(const char *command, const char *region);

/* Open --output (or stdout). Returns NULL after reporting an error. */
FILE *cli_open_output(const struct cli_common *c);
/* Close it; returns false (and reports) when writing failed. */
bool cli_close_output(const struct cli_common *c, FILE *f);

/* Print a command's help from its usage line and option table. */
void cli_print_help(FILE *f, const char *usage, const struct cli_opt *opts);

/* `--version`: program, library, and the default rules/ and data/ by
 * content hash (cli_version.c). */
void cli_print_version(FILE *f);

/* The installed directory holding "rules" or "data", or NULL. */
const char *cli_default_dir(const char *what, char *buf, size_t cap);

/* Release what cli_common_init allocated. */
void cli_common_free(struct cli_common *c);

/* Session settings from command flags; 1, or -1 after reporting. */
enum { CLI_SO_DISABLE = 1, CLI_SO_CONFIG };
int cli_session_option(struct cli_common *c, int what, const char *val);

/*
 * Open the session: the shipped rules/ and data/ (or $PREFLIGHT_RULES_DIR,
 * $PREFLIGHT_DATA_DIR), each --rules and --data DIR, the config and the
 * disabled ids given. Reports errors; false on failure.
 */
bool cli_open_session(struct cli_common *c, pf_session **out);

/*
 * The message from --message TEXT or --message-file FILE (exactly one):
 * into *buf (heap, the caller frees) and *len. Checks the size limit and
 * UTF-8. Returns 0, or the exit code after reporting the error.
 */
int cli_read_message(const char *command, const char *text, const char *file, char **buf,
                     size_t *len);

/* Read a batch template file (--template) into the batch options; false
 * after reporting. Shared by batch and bulk send. */
bool cli_batch_template(const char *command, const char *file, pf_batch_options *bo);

/* --env and --purpose, shared by check, send, batch and bulk send: true
 * with the value set, false after reporting a bad value. */
bool cli_parse_env(const char *command, const char *val, int *environment);
bool cli_parse_purpose(const char *command, const char *val, pf_purpose *purpose);

/* Exit code for a verdict's highest severity (-1 for none) under --fail-on. */
int cli_exit_for(const struct cli_common *c, int max_severity);

/* ---- check and send share their options and their first half ---- */

enum {
    OPT_CK_TO = 1500,
    OPT_CK_MESSAGE,
    OPT_CK_MESSAGE_FILE,
    OPT_CK_AGENT,
    OPT_CK_CONFIG,
    OPT_CK_ENV,
    OPT_CK_AT,
    OPT_CK_FIRST,
    OPT_CK_NOT_FIRST,
    OPT_CK_PURPOSE,
    OPT_CK_REGION,
    OPT_CK_DISABLE
};

#define CLI_CHECK_OPTS                                                                       \
    {"to", CLI_ARG, OPT_CK_TO, "NUMBER", "recipient (E.164)"},                                  \
        {"message", CLI_ARG, OPT_CK_MESSAGE, "TEXT", "the message text"},                       \
        {"message-file", CLI_ARG, OPT_CK_MESSAGE_FILE, "FILE", "read the message from FILE"},   \
        {"agent-number", CLI_ARG, OPT_CK_AGENT, "NUMBER", "sender (default: select one)"},      \
        {"config", CLI_ARG, OPT_CK_CONFIG, "FILE", "project config (preflight.json)"},          \
        {"env", CLI_ARG, OPT_CK_ENV, "ENV", "dev, sandbox or live (default: the config's)"},    \
        {"at", CLI_ARG, OPT_CK_AT, "TIME", "send time, ISO 8601 with offset (default: now)"},   \
        {"first-message", CLI_NO_ARG, OPT_CK_FIRST, NULL, "first message to this contact"},     \
        {"not-first", CLI_NO_ARG, OPT_CK_NOT_FIRST, NULL, "the contact has had messages"},      \
        {"purpose", CLI_ARG, OPT_CK_PURPOSE, "P", "transactional or promotional"},              \
        {"region", CLI_ARG, OPT_CK_REGION, "CC", "region for a recipient without '+'"},         \
        {"disable", CLI_ARG, OPT_CK_DISABLE, "ID", "do not run rule ID (repeatable)"}

struct cli_check {
    struct cli_common c;
    const char *to, *text, *file, *at, *config_file;
    pf_check_input in;
    char *msg;
    size_t len;
    pf_session *session;
    pf_verdict verdict;
};

void cli_check_init(struct cli_check *k, const char *command);
/* 1 handled, 0 not a check option, -1 bad value (reported). */
int cli_check_option(struct cli_check *k, int id, const char *val);
/* Read the message and flags and open the session, filling k->in; 0 or
 * the exit code after reporting. */
int cli_check_setup(struct cli_check *k);
/* Setup, then check into k->verdict; 0 or the exit code after reporting. */
int cli_check_prepare(struct cli_check *k);
/* Report a message the check refused (diag from pf_checker_check). */
void cli_check_input_error(const struct cli_check *k, const pf_diag *d);
bool cli_check_print(struct cli_check *k, FILE *out);
void cli_check_free(struct cli_check *k);

int cli_number(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_batch(int argc, char **argv);
int cli_send(int argc, char **argv);
int cli_lint(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_campaign(int argc, char **argv);
int cli_countries(int argc, char **argv);
int cli_segments(int argc, char **argv);
int cli_scan(int argc, char **argv);
int cli_rules(int argc, char **argv);
int cli_mcp(int argc, char **argv);
int cli_serve(int argc, char **argv);

#endif
