/*
 * json.c — strict JSON reading with positions for error messages
 * (see json_int.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "json_int.h"
#include "preflight/segments.h"

void pfi_text_position(const char *text, size_t len, size_t offset, unsigned *line,
                       unsigned *column)
{
    unsigned l = 1;
    size_t start = 0;
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            start = i + 1;
        }
    }
    *line = l;
    *column = (unsigned)(offset - start + 1);
}

size_t pfi_json_skip_ws(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* t[i] is '"': the index just past the closing quote. */
static size_t skip_string(const char *t, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return len;
}

size_t pfi_json_skip_value(const char *t, size_t len, size_t i)
{
    i = pfi_json_skip_ws(t, len, i);
    if (i >= len)
        return len;
    if (t[i] == '"')
        return skip_string(t, len, i);
    if (t[i] == '{' || t[i] == '[') {
        int depth = 0;
        while (i < len) {
            char c = t[i];
            if (c == '"') {
                i = skip_string(t, len, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return len;
    }
    while (i < len && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' &&
           t[i] != '\r' && t[i] != '\t')
        i++;
    return i;
}

size_t pfi_json_locate(const char *t, size_t len, const struct pfi_json_step *path, int depth,
                       bool at_key)
{
    size_t i = pfi_json_skip_ws(t, len, 0);
    for (int d = 0; d < depth; d++) {
        const struct pfi_json_step *s = &path[d];
        size_t here = i;
        if (s->key) {
            if (i >= len || t[i] != '{')
                return here;
            size_t klen = strlen(s->key), seen = 0;
            bool found = false;
            i++;
            for (;;) {
                i = pfi_json_skip_ws(t, len, i);
                if (i >= len || t[i] != '"')
                    return here;
                size_t kstart = i + 1, kend = skip_string(t, len, i);
                bool match = kend - 1 - kstart == klen && memcmp(t + kstart, s->key, klen) == 0;
                i = pfi_json_skip_ws(t, len, kend);
                if (i >= len || t[i] != ':')
                    return here;
                i = pfi_json_skip_ws(t, len, i + 1);
                if (match && seen++ == s->index) {
                    /* "unknown key" and "duplicate key" errors land on the
                     * key itself, every other error on the value. */
                    if (d == depth - 1 && at_key)
                        return kstart - 1;
                    found = true;
                    break;
                }
                i = pfi_json_skip_ws(t, len, pfi_json_skip_value(t, len, i));
                if (i >= len || t[i] != ',')
                    return here;
                i++;
            }
            if (!found)
                return here;
        } else {
            if (i >= len || t[i] != '[')
                return here;
            i = pfi_json_skip_ws(t, len, i + 1);
            for (size_t k = 0; k < s->index; k++) {
                i = pfi_json_skip_ws(t, len, pfi_json_skip_value(t, len, i));
                if (i >= len || t[i] != ',')
                    return here;
                i = pfi_json_skip_ws(t, len, i + 1);
            }
        }
    }
    return i;
}

/* Does the text end inside an object, array or string? cJSON reports such
 * an error on the last byte or at the start of the unfinished string, where
 * "end of file" is the honest answer. */
static bool unclosed(const char *t, size_t len)
{
    long depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return in_string || depth > 0;
}

pf_status pfi_json_parse(struct pfi_json *j, const char *text, size_t len, const char *file,
                         pf_diag *diag, cJSON **root)
{
    size_t bad = 0;
    memset(j, 0, sizeof *j);
    j->text = text;
    j->len = len;
    j->file = file;
    j->diag = diag;
    *root = NULL;
    pf_diag_clear(diag);
    pfi_diag_file(diag, file);
    if (pf_utf8_validate(text, len, &bad) != PF_OK) {
        if (diag) {
            diag->offset = bad;
            pfi_text_position(text, len, bad, &diag->line, &diag->column);
        }
        pfi_diag_set(diag, PF_E_UTF8, "invalid UTF-8");
        return PF_E_UTF8;
    }
    /* cJSON skips every byte up to 0x20 as white space; JSON allows only
     * space, tab, CR and LF there, and no raw control character in strings. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            if (diag) {
                diag->offset = i;
                pfi_text_position(text, len, i, &diag->line, &diag->column);
            }
            pfi_diag_set(diag, PF_E_SYNTAX, "JSON syntax error: control character 0x%02X", c);
            return PF_E_SYNTAX;
        }
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t at = end ? (size_t)(end - text) : 0;
    if (doc) {
        at = pfi_json_skip_ws(text, len, at);
        if (at < len && text[at] != '\0') {
            cJSON_Delete(doc);
            doc = NULL;
        }
    }
    if (!doc) {
        /* cJSON puts an error at the end on the last byte; say "end of file"
         * when nothing but white space follows the position it gives. */
        if (pfi_json_skip_ws(text, len, at) >= len ||
            (at < len && unclosed(text, len) && !memchr(text + at + 1, '"', len - at - 1)))
            at = len;
        if (diag) {
            diag->offset = at;
            pfi_text_position(text, len, at, &diag->line, &diag->column);
        }
        pfi_diag_set(diag, PF_E_SYNTAX,
                     at >= len ? "JSON syntax error: unexpected end of file" : "JSON syntax error");
        return PF_E_SYNTAX;
    }
    *root = doc;
    return PF_OK;
}

void pfi_json_push_key(struct pfi_json *j, const char *key)
{
    if (j->depth < PFI_JSON_MAX_DEPTH)
        j->path[j->depth] = (struct pfi_json_step){.key = key, .index = 0};
    j->depth++;
}

void pfi_json_push_index(struct pfi_json *j, size_t index)
{
    if (j->depth < PFI_JSON_MAX_DEPTH)
        j->path[j->depth] = (struct pfi_json_step){.key = NULL, .index = index};
    j->depth++;
}

void pfi_json_pop(struct pfi_json *j)
{
    if (j->depth > 0)
        j->depth--;
}

static void format_path(const struct pfi_json *j, char *buf, size_t cap)
{
    size_t o = 0;
    int depth = j->depth < PFI_JSON_MAX_DEPTH ? j->depth : PFI_JSON_MAX_DEPTH;
    buf[0] = '\0';
    for (int d = 0; d < depth && o < cap; d++) {
        const struct pfi_json_step *s = &j->path[d];
        int n = s->key ? snprintf(buf + o, cap - o, "%s%s", o ? "." : "", s->key)
                       : snprintf(buf + o, cap - o, "[%zu]", s->index);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

static pf_status verror(struct pfi_json *j, const char *key, size_t nth, bool at_key,
                        pf_status status, const char *fmt, va_list ap) PF_PRINTF(6, 0);

static pf_status verror(struct pfi_json *j, const char *key, size_t nth, bool at_key,
                        pf_status status, const char *fmt, va_list ap)
{
    pf_diag *d = j->diag;
    if (key)
        pfi_json_push_key(j, key);
    if (key && j->depth <= PFI_JSON_MAX_DEPTH)
        j->path[j->depth - 1].index = nth;
    if (d) {
        d->status = status;
        vsnprintf(d->message, sizeof d->message, fmt, ap);
        format_path(j, d->path, sizeof d->path);
        int depth = j->depth < PFI_JSON_MAX_DEPTH ? j->depth : PFI_JSON_MAX_DEPTH;
        d->offset = pfi_json_locate(j->text, j->len, j->path, depth, at_key);
        pfi_text_position(j->text, j->len, d->offset, &d->line, &d->column);
        pfi_diag_file(d, j->file);
    }
    if (key)
        pfi_json_pop(j);
    return status;
}

pf_status pfi_json_error(struct pfi_json *j, const char *key, pf_status status, const char *fmt,
                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(j, key, 0, false, status, fmt, ap);
    va_end(ap);
    return status;
}

pf_status pfi_json_error_key(struct pfi_json *j, const char *key, size_t nth, pf_status status,
                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(j, key, nth, true, status, fmt, ap);
    va_end(ap);
    return status;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "invalid";
}

pf_status pfi_json_object(struct pfi_json *j, const cJSON *obj, const char *const *allowed)
{
    if (!cJSON_IsObject(obj))
        return pfi_json_error(j, NULL, PF_E_SCHEMA, "expected an object, found %s", type_name(obj));
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, c->string) == 0;
        if (!known)
            return pfi_json_error_key(j, c->string, 0, PF_E_SCHEMA, "unknown key '%s'", c->string);
        size_t nth = 0;
        for (const cJSON *p = obj->child; p != c; p = p->next)
            nth += strcmp(p->string, c->string) == 0;
        if (nth)
            return pfi_json_error_key(j, c->string, nth, PF_E_SCHEMA, "duplicate key '%s'",
                                      c->string);
    }
    return PF_OK;
}

pf_status pfi_json_schema_ref(struct pfi_json *j, const cJSON *root)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "$schema");
    if (v && !cJSON_IsString(v))
        return pfi_json_error(j, "$schema", PF_E_SCHEMA,
                              "expected the address of a JSON Schema (a string), found %s",
                              type_name(v));
    return PF_OK;
}

/* Shared start of every getter: find the item, handle absence. */
static pf_status lookup(struct pfi_json *j, const cJSON *obj, const char *key, const cJSON **item,
                        bool *present)
{
    *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (present)
        *present = *item != NULL;
    if (!*item && !present)
        return pfi_json_error(j, NULL, PF_E_SCHEMA, "missing key '%s'", key);
    return PF_OK;
}

pf_status pfi_json_get_string(struct pfi_json *j, const cJSON *obj, const char *key,
                              const char **out, bool *present)
{
    const cJSON *v;
    pf_status st = lookup(j, obj, key, &v, present);
    *out = NULL;
    if (st != PF_OK || !v)
        return st;
    if (!cJSON_IsString(v))
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected a string, found %s", type_name(v));
    *out = v->valuestring;
    return PF_OK;
}

pf_status pfi_json_get_bool(struct pfi_json *j, const cJSON *obj, const char *key, bool *out,
                            bool *present)
{
    const cJSON *v;
    pf_status st = lookup(j, obj, key, &v, present);
    if (st != PF_OK || !v)
        return st;
    if (!cJSON_IsBool(v))
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected true or false, found %s",
                              type_name(v));
    *out = cJSON_IsTrue(v);
    return PF_OK;
}

pf_status pfi_json_get_int(struct pfi_json *j, const cJSON *obj, const char *key, long min,
                           long max, long *out, bool *present)
{
    const cJSON *v;
    pf_status st = lookup(j, obj, key, &v, present);
    if (st != PF_OK || !v)
        return st;
    if (!cJSON_IsNumber(v))
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected an integer, found %s", type_name(v));
    double d = v->valuedouble;
    if (d != floor(d) || d < (double)min || d > (double)max)
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected an integer from %ld to %ld", min, max);
    *out = (long)d;
    return PF_OK;
}

pf_status pfi_json_get_array(struct pfi_json *j, const cJSON *obj, const char *key,
                             const cJSON **out, bool *present)
{
    const cJSON *v;
    pf_status st = lookup(j, obj, key, &v, present);
    *out = NULL;
    if (st != PF_OK || !v)
        return st;
    if (!cJSON_IsArray(v))
        return pfi_json_error(j, key, PF_E_SCHEMA, "expected an array, found %s", type_name(v));
    *out = v;
    return PF_OK;
}

pf_status pfi_json_get_enum(struct pfi_json *j, const cJSON *obj, const char *key,
                            const char *const *names, int *out, bool *present)
{
    const char *s;
    pf_status st = pfi_json_get_string(j, obj, key, &s, present);
    if (st != PF_OK || !s)
        return st;
    for (int i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = i;
            return PF_OK;
        }
    }
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        strncat(list, names[i], sizeof list - strlen(list) - 1);
        if (names[i + 1])
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    return pfi_json_error(j, key, PF_E_SCHEMA, "'%s' is not one of: %s", s, list);
}
