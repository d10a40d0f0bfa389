/*
 * template_load.c — read message templates from .txt and .json files and
 * from directories into a template set (formats in lint.h), keeping for
 * every byte of a template's text the place in the file it came from, so
 * lint findings land on the file's own line:column.
 *
 * The JSON loader is as strict as the other loaders: unknown keys, wrong
 * types, duplicate names or variables and unknown regions are errors with
 * file, line:column and key path. A failed file leaves nothing behind.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "json_int.h"
#include "lint_int.h"
#include "preflight/number.h"
#include "preflight/segments.h"
#include "preflight/util.h"

/* Directories nested deeper than this are a mistake or a symlink loop. */
#define MAX_DEPTH 16
/* A variable longer than this is over ten GSM-7 segments on its own. */
#define VAR_MAX_LENGTH 1600

static const char *const file_keys[] = {"templates", NULL};
static const char *const template_keys[] = {"name",          "description", "text", "variables",
                                            "first_message", "countries",   NULL};
static const char *const var_keys[] = {"max_length", "charset", NULL};
static const char *const charset_names[] = {"gsm", "unicode", NULL};

const char *pf_charset_name(pf_charset c)
{
    return c == PF_CHARSET_UNICODE ? "unicode" : "gsm";
}

pf_status pf_template_set_create(pf_template_set **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? PF_OK : PF_E_NOMEM;
}

static void tdef_free(struct pfi_tdef *d)
{
    if (!d)
        return;
    free(d->text);
    free(d->map);
    free(d->vars);
    free(d->var_start);
    free(d->var_end);
    free(d->countries);
    free(d);
}

static void tfile_free(struct pfi_tfile *f)
{
    free(f->path);
    free(f->text);
    free(f->line_starts);
    cJSON_Delete(f->doc);
    memset(f, 0, sizeof *f);
}

void pf_template_set_destroy(pf_template_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->ndefs; i++)
        tdef_free(set->defs[i]);
    for (size_t i = 0; i < set->nfiles; i++)
        tfile_free(&set->files[i]);
    for (size_t i = 0; i < set->nignored; i++)
        free(set->ignored[i]);
    free(set->defs);
    free(set->files);
    free(set->ignored);
    free(set);
}

size_t pf_template_set_count(const pf_template_set *set)
{
    return set ? set->ndefs : 0;
}

const pf_template_def *pf_template_set_at(const pf_template_set *set, size_t i)
{
    return set && i < set->ndefs ? &set->defs[i]->def : NULL;
}

size_t pf_template_set_file_count(const pf_template_set *set)
{
    return set ? set->nfiles : 0;
}

const char *pf_template_set_file_at(const pf_template_set *set, size_t i)
{
    return set && i < set->nfiles ? set->files[i].path : NULL;
}

size_t pf_template_set_ignored_count(const pf_template_set *set)
{
    return set ? set->nignored : 0;
}

const char *pf_template_set_ignored_at(const pf_template_set *set, size_t i)
{
    return set && i < set->nignored ? set->ignored[i] : NULL;
}

/* ---- positions ---- */

static pf_status index_lines(struct pfi_tfile *f)
{
    size_t n = 1, cap = 0;
    for (size_t i = 0; i < f->len; i++)
        n += f->text[i] == '\n';
    if (pfi_grow((void **)&f->line_starts, &cap, n, sizeof *f->line_starts) != PF_OK)
        return PF_E_NOMEM;
    f->line_starts[0] = 0;
    f->nlines = 1;
    for (size_t i = 0; i < f->len; i++) {
        if (f->text[i] == '\n')
            f->line_starts[f->nlines++] = i + 1;
    }
    return PF_OK;
}

void pfi_tfile_position(const struct pfi_tfile *f, size_t offset, unsigned *line, unsigned *column,
                        const char **line_text, size_t *line_len)
{
    size_t lo = 0, hi = f->nlines;
    if (offset > f->len)
        offset = f->len;
    /* The last line that starts at or before offset. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->line_starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    size_t start = f->line_starts[lo], end = start, col = 1;
    for (size_t i = start; i < offset; i++)
        col += ((unsigned char)f->text[i] & 0xC0) != 0x80;
    while (end < f->len && f->text[end] != '\n')
        end++;
    if (end > start && f->text[end - 1] == '\r')
        end--;
    *line = (unsigned)(lo + 1);
    *column = (unsigned)col;
    if (line_text)
        *line_text = f->text + start;
    if (line_len)
        *line_len = end - start;
}

size_t pfi_tdef_offset(const struct pfi_tdef *d, size_t at)
{
    return d->map ? d->map[at] : d->text_start + at;
}

/* ---- JSON strings, decoded with their source offsets ---- */

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decode the string literal whose opening quote is t[q] into d->text, with
 * d->map[i] the file offset of the character decoded byte i came from
 * (every byte of an escape maps to its backslash). The document has parsed
 * already, so the literal is well formed; a decoded string is never longer
 * than its literal.
 */
static pf_status decode_string(const char *t, size_t len, size_t q, struct pfi_tdef *d)
{
    size_t end = pfi_json_skip_value(t, len, q), i = q + 1, n = 0;
    size_t cap = end - q + 1;
    d->text = malloc(cap);
    d->map = malloc(cap * sizeof *d->map);
    if (!d->text || !d->map)
        return PF_E_NOMEM;
    while (i < len && t[i] != '"') {
        size_t from = i;
        char c = t[i];
        if (c != '\\') {
            d->text[n] = c;
            d->map[n++] = i++;
            continue;
        }
        c = i + 1 < len ? t[i + 1] : '\\';
        if (c == 'u' && i + 6 <= len) {
            unsigned cp = hex4(t + i + 2);
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= len && t[i] == '\\' && t[i + 1] == 'u') {
                unsigned lo = hex4(t + i + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* cJSON rejects lone surrogates; never reached */
            size_t k = put_utf8(d->text + n, cp);
            for (size_t b = 0; b < k; b++)
                d->map[n + b] = from;
            n += k;
            continue;
        }
        switch (c) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        default: break; /* '"', '\\', '/' stand for themselves */
        }
        d->text[n] = c;
        d->map[n++] = from;
        i += 2;
    }
    d->text[n] = '\0';
    d->map[n] = i < len ? i : len;
    d->text_start = q + 1;
    d->text_end = d->map[n];
    d->def.text = d->text;
    d->def.len = n;
    return PF_OK;
}

/* ---- .json files ---- */

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static bool valid_var_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        if (!name_char(*s))
            return false;
    }
    return true;
}

/* Offset in the file of path (relative to the element at estart..eend). */
static size_t locate_in(const struct pfi_tfile *f, size_t estart, size_t eend,
                        const struct pfi_json_step *path, int depth, bool at_key)
{
    return estart + pfi_json_locate(f->text + estart, eend - estart, path, depth, at_key);
}

static pf_status load_variables(struct pfi_json *j, const struct pfi_tfile *f, const cJSON *e,
                                size_t estart, size_t eend, struct pfi_tdef *d)
{
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(e, "variables");
    pf_status st = PF_OK;
    size_t n = 0;
    if (!vars)
        return PF_OK;
    pfi_json_push_key(j, "variables");
    if (!cJSON_IsObject(vars)) {
        st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                            "expected an object keyed by variable name, e.g. "
                            "{\"first_name\": {\"max_length\": 20}}");
        goto out;
    }
    n = (size_t)cJSON_GetArraySize(vars);
    d->vars = calloc(n ? n : 1, sizeof *d->vars);
    d->var_start = calloc(n ? n : 1, sizeof *d->var_start);
    d->var_end = calloc(n ? n : 1, sizeof *d->var_end);
    if (!d->vars || !d->var_start || !d->var_end) {
        st = PF_E_NOMEM;
        goto out;
    }
    size_t k = 0;
    for (const cJSON *v = vars->child; v && st == PF_OK; v = v->next, k++) {
        pf_template_var *var = &d->vars[k];
        size_t nth = 0;
        for (const cJSON *p = vars->child; p != v; p = p->next)
            nth += strcmp(p->string, v->string) == 0;
        if (nth) {
            st = pfi_json_error_key(j, v->string, nth, PF_E_SCHEMA, "duplicate variable '%s'",
                                    v->string);
            break;
        }
        if (!valid_var_name(v->string)) {
            st = pfi_json_error_key(j, v->string, 0, PF_E_SCHEMA,
                                    "'%.40s' is not a placeholder name (letters, digits, '_', "
                                    "'-' and '.')",
                                    v->string);
            break;
        }
        var->name = v->string;
        var->max_length = PF_LINT_MAX_LENGTH_DEFAULT;
        var->charset = PF_CHARSET_GSM;
        pfi_json_push_key(j, v->string);
        st = pfi_json_object(j, v, var_keys);
        long ml = 0;
        int cs = 0;
        bool present = false;
        if (st == PF_OK)
            st = pfi_json_get_int(j, v, "max_length", 1, VAR_MAX_LENGTH, &ml, &present);
        if (st == PF_OK && present) {
            var->max_length = (unsigned)ml;
            var->max_length_given = true;
        }
        if (st == PF_OK)
            st = pfi_json_get_enum(j, v, "charset", charset_names, &cs, &present);
        if (st == PF_OK && present)
            var->charset = (pf_charset)cs;
        pfi_json_pop(j);
        struct pfi_json_step path[2] = {{"variables", 0}, {v->string, 0}};
        size_t at = locate_in(f, estart, eend, path, 2, true);
        d->var_start[k] = at;
        d->var_end[k] = pfi_json_skip_value(f->text, f->len, at);
        pfi_tfile_position(f, at, &var->line, &var->column, NULL, NULL);
    }
    d->def.vars = d->vars;
    d->def.var_count = k;
out:
    pfi_json_pop(j);
    return st;
}

static pf_status load_countries(struct pfi_json *j, const cJSON *e, struct pfi_tdef *d)
{
    const cJSON *arr;
    bool present;
    pf_status st = pfi_json_get_array(j, e, "countries", &arr, &present);
    if (st != PF_OK || !present)
        return st;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0)
        return pfi_json_error(j, "countries", PF_E_SCHEMA,
                              "list at least one region code, or leave \"countries\" out");
    if (n > PF_LINT_MAX_COUNTRIES)
        return pfi_json_error(j, "countries", PF_E_TOO_LARGE, "at most %d countries",
                              PF_LINT_MAX_COUNTRIES);
    d->countries = calloc(n, sizeof *d->countries);
    if (!d->countries)
        return PF_E_NOMEM;
    pfi_json_push_key(j, "countries");
    size_t k = 0;
    for (const cJSON *c = arr->child; c && st == PF_OK; c = c->next, k++) {
        pfi_json_push_index(j, k);
        if (!cJSON_IsString(c) || strlen(c->valuestring) != 2 ||
            !pf_region_is_supported(c->valuestring)) {
            st = pfi_json_error(j, NULL, PF_E_SCHEMA,
                                "expected a region code libphonenumber supports (ISO 3166-1 "
                                "alpha-2, upper case, e.g. \"DE\")");
        } else {
            for (size_t p = 0; p < k && st == PF_OK; p++) {
                if (strcmp(d->countries[p], c->valuestring) == 0)
                    st = pfi_json_error(j, NULL, PF_E_SCHEMA, "'%s' is listed twice",
                                        c->valuestring);
            }
            memcpy(d->countries[k], c->valuestring, 3);
        }
        pfi_json_pop(j);
    }
    pfi_json_pop(j);
    d->def.countries = (const char(*)[3])d->countries;
    d->def.country_count = k;
    return st;
}

/* One element of "templates", which spans estart..eend of the file. */
static pf_status load_template(struct pfi_json *j, const struct pfi_tfile *f, size_t fi,
                               const cJSON *e, size_t estart, size_t eend, struct pfi_tdef **out)
{
    struct pfi_tdef *d = calloc(1, sizeof *d);
    const char *s = NULL;
    bool present = false, first = false;
    pf_status st;

    *out = NULL;
    if (!d)
        return PF_E_NOMEM;
    d->file = fi;
    d->def.file = f->path;
    d->def.declares = true;
    pfi_tfile_position(f, estart, &d->def.line, &d->def.column, NULL, NULL);
    st = pfi_json_object(j, e, template_keys);
    if (st == PF_OK)
        st = pfi_json_get_string(j, e, "name", &d->def.name, NULL);
    if (st == PF_OK && !d->def.name[0])
        st = pfi_json_error(j, "name", PF_E_SCHEMA, "'name' must not be empty");
    if (st == PF_OK)
        st = pfi_json_get_string(j, e, "description", &s, &present);
    if (st == PF_OK)
        st = pfi_json_get_string(j, e, "text", &s, NULL);
    if (st == PF_OK) {
        struct pfi_json_step path[1] = {{"text", 0}};
        st = decode_string(f->text, f->len, locate_in(f, estart, eend, path, 1, false), d);
    }
    if (st == PF_OK && d->def.len > PF_MESSAGE_MAX)
        st = pfi_json_error(j, "text", PF_E_TOO_LARGE, "the text is %zu bytes; the limit is %u",
                            d->def.len, PF_MESSAGE_MAX);
    if (st == PF_OK)
        st = load_variables(j, f, e, estart, eend, d);
    if (st == PF_OK)
        st = pfi_json_get_bool(j, e, "first_message", &first, &present);
    if (st == PF_OK && present)
        d->def.first_message = first ? PF_FIRST_YES : PF_FIRST_NO;
    if (st == PF_OK)
        st = load_countries(j, e, d);
    if (st != PF_OK) {
        tdef_free(d);
        return st;
    }
    *out = d;
    return PF_OK;
}

struct named {
    const char *name;
    size_t index;
};

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

/* Template names are unique in a file: they name JUnit test cases and
 * report rows. Sorted, so a file of many templates stays linear-ish. */
static pf_status check_unique(struct pfi_json *j, struct pfi_tdef **defs, size_t n)
{
    struct named *v = malloc((n ? n : 1) * sizeof *v);
    pf_status st = PF_OK;
    if (!v)
        return PF_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (struct named){defs[i]->def.name, i};
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_named);
    size_t dup = n;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i].name, v[i - 1].name) == 0 && (dup == n || v[i].index < dup))
            dup = v[i].index;
    }
    if (dup < n) {
        pfi_json_push_key(j, "templates");
        pfi_json_push_index(j, dup);
        st = pfi_json_error(j, "name", PF_E_SCHEMA, "duplicate template name '%s'",
                            defs[dup]->def.name);
        pfi_json_pop(j);
        pfi_json_pop(j);
    }
    free(v);
    return st;
}

static pf_status load_json(pf_template_set *set, size_t fi, pf_diag *diag)
{
    struct pfi_tfile *f = &set->files[fi];
    struct pfi_tdef **defs = NULL;
    struct pfi_json j;
    const cJSON *arr = NULL;
    cJSON *root = NULL;
    size_t n = 0, k = 0;
    pf_status st = pfi_json_parse(&j, f->text, f->len, f->path, diag, &root);
    if (st != PF_OK)
        return st;
    f->doc = root;
    st = pfi_json_object(&j, root, file_keys);
    if (st == PF_OK)
        st = pfi_json_get_array(&j, root, "templates", &arr, NULL);
    if (st != PF_OK)
        return st;
    n = (size_t)cJSON_GetArraySize(arr);
    defs = calloc(n ? n : 1, sizeof *defs);
    if (!defs)
        return PF_E_NOMEM;
    /* One forward pass over the array for where each element starts:
     * locating each from the top would be quadratic in the templates. */
    struct pfi_json_step top = {"templates", 0};
    size_t pos = pfi_json_locate(f->text, f->len, &top, 1, false) + 1;
    pfi_json_push_key(&j, "templates");
    for (const cJSON *e = arr->child; e && st == PF_OK; e = e->next, k++) {
        size_t estart = pfi_json_skip_ws(f->text, f->len, pos);
        size_t eend = pfi_json_skip_value(f->text, f->len, estart);
        pfi_json_push_index(&j, k);
        st = load_template(&j, f, fi, e, estart, eend, &defs[k]);
        pfi_json_pop(&j);
        pos = pfi_json_skip_ws(f->text, f->len, eend);
        if (pos < f->len && f->text[pos] == ',')
            pos++;
    }
    pfi_json_pop(&j);
    if (st == PF_OK)
        st = check_unique(&j, defs, n);
    if (st == PF_OK)
        st = pfi_grow((void **)&set->defs, &set->capdefs, set->ndefs + n, sizeof *set->defs);
    if (st == PF_OK) {
        for (size_t i = 0; i < n; i++)
            set->defs[set->ndefs++] = defs[i];
    } else {
        for (size_t i = 0; i < n; i++)
            tdef_free(defs[i]);
    }
    free(defs);
    return st;
}

/* ---- .txt files ---- */

enum kind { KIND_NONE, KIND_TXT, KIND_JSON };

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n <= m)
        return false;
    for (size_t i = 0; i < m; i++) {
        if (tolower((unsigned char)s[n - m + i]) != suffix[i])
            return false;
    }
    return true;
}

static enum kind kind_of(const char *name)
{
    return ends_with(name, ".json") ? KIND_JSON : ends_with(name, ".txt") ? KIND_TXT : KIND_NONE;
}

static pf_status load_txt(pf_template_set *set, size_t fi, pf_diag *diag)
{
    struct pfi_tfile *f = &set->files[fi];
    size_t bad = 0, len = f->len;
    if (pf_utf8_validate(f->text, f->len, &bad) != PF_OK) {
        pfi_diag_file(diag, f->path);
        if (diag) {
            diag->offset = bad;
            pfi_text_position(f->text, f->len, bad, &diag->line, &diag->column);
        }
        pfi_diag_set(diag, PF_E_UTF8, "invalid UTF-8");
        return PF_E_UTF8;
    }
    /* Editors end a file with a newline; it is not part of the message. */
    if (len && f->text[len - 1] == '\n')
        len--;
    if (len && f->text[len - 1] == '\r')
        len--;
    if (len > PF_MESSAGE_MAX) {
        pfi_diag_file(diag, f->path);
        pfi_diag_set(diag, PF_E_TOO_LARGE, "the template is %zu bytes; the limit is %u", len,
                     PF_MESSAGE_MAX);
        return PF_E_TOO_LARGE;
    }
    /* The name is the file's base name without ".txt"; it is stored after
     * the text, in the same allocation. */
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    size_t blen = strlen(base);
    struct pfi_tdef *d = calloc(1, sizeof *d);
    if (!d || !(d->text = malloc(len + 1 + blen + 1)) ||
        pfi_grow((void **)&set->defs, &set->capdefs, set->ndefs + 1, sizeof *set->defs) != PF_OK) {
        tdef_free(d);
        return PF_E_NOMEM;
    }
    memcpy(d->text, f->text, len);
    d->text[len] = '\0';
    char *name = d->text + len + 1;
    memcpy(name, base, blen + 1);
    if (ends_with(name, ".txt"))
        name[blen - 4] = '\0';
    d->file = fi;
    d->def.name = name;
    d->def.file = f->path;
    d->def.line = 1;
    d->def.column = 1;
    d->def.text = d->text;
    d->def.len = len;
    d->text_start = 0;
    d->text_end = len;
    set->defs[set->ndefs++] = d;
    return PF_OK;
}

/* ---- files and directories ---- */

/* Take ownership of buf (len bytes, NUL-terminated) as the file name. */
static pf_status add_owned(pf_template_set *set, char *buf, size_t len, const char *name,
                           pf_diag *diag)
{
    enum kind k = kind_of(name);
    pf_status st;
    if (k == KIND_NONE) {
        free(buf);
        pfi_diag_file(diag, name);
        pfi_diag_set(diag, PF_E_INVALID,
                     "not a template file (a template is a .txt or a .json "
                     "file)");
        return PF_E_INVALID;
    }
    st = pfi_grow((void **)&set->files, &set->capfiles, set->nfiles + 1, sizeof *set->files);
    if (st != PF_OK) {
        free(buf);
        return st;
    }
    struct pfi_tfile *f = &set->files[set->nfiles];
    memset(f, 0, sizeof *f);
    f->text = buf;
    f->len = len;
    f->path = strdup(name);
    if (!f->path || index_lines(f) != PF_OK) {
        tfile_free(f);
        return PF_E_NOMEM;
    }
    set->nfiles++;
    st = k == KIND_JSON ? load_json(set, set->nfiles - 1, diag)
                        : load_txt(set, set->nfiles - 1, diag);
    if (st != PF_OK) {
        set->nfiles--;
        tfile_free(&set->files[set->nfiles]);
        if (st == PF_E_NOMEM)
            pfi_diag_set(diag, st, "out of memory");
    }
    return st;
}

pf_status pf_template_set_add_buffer(pf_template_set *set, const char *text, size_t len,
                                     const char *name, pf_diag *diag)
{
    char *buf = malloc(len + 1);
    pf_diag_clear(diag);
    if (!buf)
        return pfi_diag_status(diag, PF_E_NOMEM);
    memcpy(buf, text, len);
    buf[len] = '\0';
    return pfi_diag_status(diag, add_owned(set, buf, len, name, diag));
}

static pf_status add_file(pf_template_set *set, const char *path, pf_diag *diag)
{
    char *buf = NULL;
    size_t len = 0;
    pf_status st = pf_read_file(path, PF_TEMPLATE_FILE_MAX, &buf, &len, diag);
    if (st != PF_OK)
        return st;
    return add_owned(set, buf, len, path, diag);
}

static pf_status add_ignored(pf_template_set *set, const char *path)
{
    char *p = strdup(path);
    if (!p || pfi_grow((void **)&set->ignored, &set->capignored, set->nignored + 1,
                       sizeof *set->ignored) != PF_OK) {
        free(p);
        return PF_E_NOMEM;
    }
    set->ignored[set->nignored++] = p;
    return PF_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static pf_status walk(pf_template_set *set, const char *dir, int depth, pf_diag *diag)
{
    char **names = NULL, *path = NULL;
    size_t n = 0, cap = 0;
    pf_status st = PF_OK;
    struct dirent *ent;
    DIR *dh = opendir(dir);

    if (!dh) {
        pfi_diag_file(diag, dir);
        pfi_diag_set(diag, PF_E_IO, "cannot open directory: %s", strerror(errno));
        return PF_E_IO;
    }
    while ((ent = readdir(dh)) != NULL && st == PF_OK) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char *name = strdup(ent->d_name);
        st = name ? pfi_grow((void **)&names, &cap, n + 1, sizeof *names) : PF_E_NOMEM;
        if (st == PF_OK)
            names[n++] = name;
        else
            free(name);
    }
    closedir(dh);
    if (st != PF_OK)
        goto out;
    /* Name order, so reports and their golden files are stable. */
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    for (size_t i = 0; i < n && st == PF_OK; i++) {
        size_t plen = dlen + 1 + strlen(names[i]) + 1;
        free(path);
        path = malloc(plen);
        if (!path) {
            st = PF_E_NOMEM;
            break;
        }
        snprintf(path, plen, "%.*s/%s", (int)dlen, dir, names[i]);
        struct stat sb;
        /* Hidden files and folders (.git, editor swap files) are not templates. */
        if (names[i][0] == '.' || stat(path, &sb) != 0) {
            st = add_ignored(set, path);
        } else if (S_ISDIR(sb.st_mode)) {
            if (depth + 1 > MAX_DEPTH) {
                pfi_diag_file(diag, path);
                pfi_diag_set(diag, PF_E_TOO_LARGE,
                             "directories nested deeper than %d (a symbolic link loop?)",
                             MAX_DEPTH);
                st = PF_E_TOO_LARGE;
            } else {
                st = walk(set, path, depth + 1, diag);
            }
        } else if (S_ISREG(sb.st_mode) && kind_of(names[i]) != KIND_NONE) {
            st = add_file(set, path, diag);
        } else {
            st = add_ignored(set, path);
        }
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(path);
    return st;
}

pf_status pf_template_set_add_path(pf_template_set *set, const char *path, pf_diag *diag)
{
    struct stat sb;
    pf_diag_clear(diag);
    if (stat(path, &sb) != 0) {
        pfi_diag_file(diag, path);
        pfi_diag_set(diag, PF_E_IO, "cannot open: %s", strerror(errno));
        return PF_E_IO;
    }
    if (S_ISDIR(sb.st_mode))
        return pfi_diag_status(diag, walk(set, path, 0, diag));
    return pfi_diag_status(diag, add_file(set, path, diag));
}
