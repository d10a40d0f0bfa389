/*
 * template.h — message templates with {{name}} placeholders (optional
 * spaces inside the braces): find the placeholders, report malformed ones,
 * and render a template from variables.
 */
#ifndef PREFLIGHT_TEMPLATE_H
#define PREFLIGHT_TEMPLATE_H

#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pf_placeholder {
    size_t start;      /* byte offset of "{{" */
    size_t end;        /* just past "}}" */
    size_t name_start; /* the trimmed name inside */
    size_t name_len;
} pf_placeholder;

/* A malformed placeholder: unbalanced braces or an empty / invalid name. */
typedef struct pf_template_error {
    size_t start;
    size_t end;
    const char *why; /* static text */
} pf_template_error;

typedef struct pf_template {
    const char *text; /* borrowed: the caller keeps it alive */
    size_t len;
    pf_placeholder *placeholders;
    size_t count;
    pf_template_error *errors;
    size_t error_count;
} pf_template;

/*
 * Parse text (UTF-8, len bytes). Placeholder names are letters, digits,
 * '_', '-' and '.'. A lone '{' or '}' is text; "{{" without a matching
 * "}}", "}}" without "{{", "{{}}" and names with other characters are
 * recorded as errors (the text around them still parses).
 */
PF_EXTERN pf_status pf_template_parse(const char *text, size_t len, pf_template *out);
PF_EXTERN void pf_template_free(pf_template *t);

/* The value of a variable, or NULL when it has none. */
typedef const char *(*pf_template_lookup)(void *ctx, const char *name, size_t name_len,
                                          size_t *value_len);

/*
 * Render: every placeholder replaced by its value. A placeholder without a
 * value fails with PF_E_NOT_FOUND and diag->path naming it; a template with
 * errors fails with PF_E_SYNTAX. *out is a NUL-terminated heap buffer.
 */
PF_EXTERN pf_status pf_template_render(const pf_template *t, pf_template_lookup lookup, void *ctx, char **out,
                             size_t *out_len, pf_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
