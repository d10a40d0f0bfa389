/*
 * lint_int.h — the template set's private layout, shared by the loader
 * (template_load.c) and the linter (lint.c), never installed.
 *
 * A template's text is the decoded string; findings are byte spans of it.
 * To report them at line:column of the file, each template keeps where
 * every byte of its text came from in the file (a JSON string's escapes
 * make that more than a shift), and each file keeps where its lines start.
 */
#ifndef PREFLIGHT_LINT_INT_H
#define PREFLIGHT_LINT_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "preflight/lint.h"

struct pfi_tfile {
    char *path;
    char *text; /* the whole file, NUL-terminated */
    size_t len;
    size_t *line_starts; /* offset of each line's first byte */
    size_t nlines;
    cJSON *doc; /* .json: names and variable names point into it */
};

struct pfi_tdef {
    pf_template_def def; /* first: the public part */
    size_t file;         /* index into the set's files */
    char *text;          /* the decoded text (def.text) */
    size_t *map;         /* file offset of text byte i, len + 1 entries (map[len]: the end) */
    size_t text_start;   /* file offset of the text's first byte */
    size_t text_end;     /* file offset just past it */
    pf_template_var *vars;
    size_t *var_start; /* file offsets of each variable's declaration (its key) */
    size_t *var_end;
    char (*countries)[3];
};

struct pf_template_set {
    struct pfi_tfile *files;
    size_t nfiles, capfiles;
    struct pfi_tdef **defs; /* pointers, so a def never moves */
    size_t ndefs, capdefs;
    char **ignored;
    size_t nignored, capignored;
};

/* File offset of byte `at` of the template's text (at <= len). */
size_t pfi_tdef_offset(const struct pfi_tdef *d, size_t at);

/* Line (1-based), column (1-based, in code points) of a file offset, and
 * the text of that line. */
void pfi_tfile_position(const struct pfi_tfile *f, size_t offset, unsigned *line, unsigned *column,
                        const char **line_text, size_t *line_len);

#endif
