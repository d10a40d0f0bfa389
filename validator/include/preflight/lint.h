/*
 * lint.h — message templates from files and their lint: placeholders,
 * worst-case length and the content rules, with every finding placed at
 * line:column of the file it came from (for compiler-style text, SARIF and
 * JUnit reports).
 *
 * Formats (documented in README.md, "Templates"):
 *   NAME.txt   one template: the whole file, less one final newline.
 *   NAME.json  {"templates": [{"name", "text", "variables", "first_message",
 *              "countries", "description"}, ...]}; variables is an object
 *              keyed by placeholder name: {"max_length": N, "charset":
 *              "gsm" | "unicode"}.
 * A directory is walked recursively in name order; other files are not
 * templates and are recorded as ignored.
 *
 * A template set owns the file texts; a lint result points into the set and
 * must not outlive it. Neither is changed after it is built, so threads may
 * share them.
 */
#ifndef PREFLIGHT_LINT_H
#define PREFLIGHT_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "countries.h"
#include "engine.h"
#include "findings.h"
#include "scan.h"
#include "segments.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length of a variable without a declared max_length (characters). A
 * first name, a time or an order number fits; a longer value needs a
 * declaration. */
#define PF_LINT_MAX_LENGTH_DEFAULT 20

/* Largest template file read (bytes). */
#define PF_TEMPLATE_FILE_MAX (4u << 20)

/* The characters a variable's values may hold. */
typedef enum pf_charset {
    PF_CHARSET_GSM = 0, /* GSM-7 basic table only: one septet a character */
    PF_CHARSET_UNICODE  /* anything: forces UCS-2 at worst */
} pf_charset;

/* "gsm" or "unicode". */
PF_EXTERN const char *pf_charset_name(pf_charset c);

typedef struct pf_template_var {
    const char *name;
    unsigned max_length; /* characters; PF_LINT_MAX_LENGTH_DEFAULT when not given */
    bool max_length_given;
    pf_charset charset;
    unsigned line, column; /* where it is declared in its file */
} pf_template_var;

typedef struct pf_template_def {
    const char *name;      /* a .txt template: the file name without ".txt" */
    const char *file;      /* the path as it was found (or the buffer's name) */
    unsigned line, column; /* where the template starts in its file */
    const char *text;      /* UTF-8, NUL-terminated (may hold NULs: use len) */
    size_t len;
    bool declares; /* from a .json file: placeholders must be declared */
    const pf_template_var *vars;
    size_t var_count;
    pf_first_message first_message;
    const char (*countries)[3]; /* the countries it is sent to; none: not said */
    size_t country_count;
} pf_template_def;

typedef struct pf_template_set pf_template_set;

PF_EXTERN pf_status pf_template_set_create(pf_template_set **out);
PF_EXTERN void pf_template_set_destroy(pf_template_set *set);

/*
 * Add a .txt or .json file, or every such file under a directory. An
 * unreadable path, invalid UTF-8, a JSON syntax or schema error (unknown
 * key, wrong type, duplicate name, unknown region) fails with file,
 * line:column and key path in diag; nothing of a failed file is kept. A
 * file named directly that is neither .txt nor .json is PF_E_INVALID.
 */
PF_EXTERN pf_status pf_template_set_add_path(pf_template_set *set, const char *path, pf_diag *diag);

/* The same from memory; the kind comes from name's suffix. */
PF_EXTERN pf_status pf_template_set_add_buffer(pf_template_set *set, const char *text, size_t len,
                                     const char *name, pf_diag *diag);

PF_EXTERN size_t pf_template_set_count(const pf_template_set *set);
PF_EXTERN const pf_template_def *pf_template_set_at(const pf_template_set *set, size_t i);

/* Every template file, in the order loaded (a file may hold no template). */
PF_EXTERN size_t pf_template_set_file_count(const pf_template_set *set);
PF_EXTERN const char *pf_template_set_file_at(const pf_template_set *set, size_t i);

/* Files met in a directory walk that are not templates. */
PF_EXTERN size_t pf_template_set_ignored_count(const pf_template_set *set);
PF_EXTERN const char *pf_template_set_ignored_at(const pf_template_set *set, size_t i);

/* ---- lint ---- */

/* The most countries one template is linted for (--country, or its own
 * "countries", which the loader caps at this). */
#define PF_LINT_MAX_COUNTRIES 64

typedef struct pf_lint_options {
    /* Lint for these countries (upper-case region codes). None: each
     * template for its own "countries", or for no country (then
     * country-scoped rules do not run). */
    const char *const *countries;
    size_t country_count;
    const pf_countries *table;   /* required: scopes and escalates rules */
    const pf_config *config;     /* brand, max_segments, disabled_rules; may be NULL */
    const char *const *disabled; /* more rule ids not to run */
    size_t disabled_count;
    unsigned default_max_length; /* 0: PF_LINT_MAX_LENGTH_DEFAULT */
} pf_lint_options;

PF_EXTERN pf_lint_options pf_lint_options_default(void);

/* Where a finding is, in the template's file. */
typedef struct pf_lint_location {
    unsigned line, column;         /* 1-based; columns count Unicode code points */
    unsigned end_line, end_column; /* just past the span */
    const char *source_line;       /* the text of `line` (no newline), borrowed from the set */
    size_t source_line_len;
    /* The countries this finding was found for when it does not hold for
     * every country the template was linted for ("US, CA"); NULL when it
     * holds for all. */
    const char *countries;
} pf_lint_location;

/* A template's length with its variables filled in. */
typedef struct pf_length_estimate {
    pf_encoding encoding;
    size_t characters;
    size_t segments;
} pf_length_estimate;

typedef struct pf_lint_template {
    const pf_template_def *def;
    bool skipped;            /* not sent to any country asked for */
    const char *skip_reason; /* when skipped */
    const char *countries;   /* linted for, "US, CA"; "" for none */
    pf_verdict_kind verdict;
    /* best: every variable empty; worst: every variable at its max_length,
     * in GSM-7 basic characters or, when declared unicode, in characters
     * outside GSM-7 (one UTF-16 unit each). message.too-long is judged on
     * the worst case. */
    pf_length_estimate best, worst;
    pf_finding_list findings;    /* sorted: block first */
    pf_lint_location *locations; /* locations[i] is where findings.items[i] is */
} pf_lint_template;

typedef struct pf_lint_file {
    const char *path;
    size_t first; /* its first template in pf_lint_result.templates */
    size_t count;
} pf_lint_file;

typedef struct pf_lint_result {
    pf_lint_template *templates; /* file by file, in file order */
    size_t count;
    pf_lint_file *files;
    size_t file_count;
    size_t skipped;           /* templates skipped */
    size_t severity_count[3]; /* findings by pf_severity */
    pf_verdict_kind verdict;  /* the highest severity of all (info never counts) */
    unsigned max_segments;    /* the limit message.too-long was judged against */
} pf_lint_result;

/*
 * Lint every template of set. Content rules run on the template with each
 * placeholder made opaque, so a placeholder never completes a banned word
 * or a link. PF_E_NOT_FOUND (diag names it) for a country not in the
 * table; otherwise only memory failures fail. Destroy *out with
 * pf_lint_result_destroy before the set.
 */
PF_EXTERN pf_status pf_lint_run(const pf_template_set *set, const pf_ruleset *rules,
                      const pf_lint_options *opts, pf_lint_result **out, pf_diag *diag);

PF_EXTERN void pf_lint_result_destroy(pf_lint_result *r);

#ifdef __cplusplus
}
#endif

#endif
