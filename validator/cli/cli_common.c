/*
 * cli_common.c — option parsing from a table, the common flags, errors,
 * output files, and where the shipped rules/ and data/ live.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef PF_SHARE_SUBDIR
#define PF_SHARE_SUBDIR "share/sms-preflight"
#endif
#ifndef PF_SOURCE_DIR
#define PF_SOURCE_DIR "."
#endif

void cli_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "preflight%s%s: ", command ? " " : "", command ? command : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_error_diag(const char *command, const pf_diag *d)
{
    fprintf(stderr, "preflight %s: ", command);
    if (d->file[0]) {
        fputs(d->file, stderr);
        if (d->line)
            fprintf(stderr, ":%u:%u", d->line, d->column);
        fputs(": ", stderr);
    }
    if (d->path[0])
        fprintf(stderr, "%s: ", d->path);
    fprintf(stderr, "%s\n", d->message[0] ? d->message : pf_strerror(d->status));
}

void cli_parser_init(struct cli_parser *p, const char *command, int argc, char **argv,
                     const struct cli_opt *opts)
{
    memset(p, 0, sizeof *p);
    p->argc = argc;
    p->argv = argv;
    p->i = 1; /* argv[0] is the command name */
    p->opts = opts;
    p->command = command;
}

int cli_next(struct cli_parser *p, const char **val)
{
    *val = NULL;
    if (p->i >= p->argc)
        return CLI_END;
    const char *a = p->argv[p->i++];
    if (p->only_positional || a[0] != '-' || strcmp(a, "-") == 0) {
        *val = a;
        return CLI_POSITIONAL;
    }
    if (strcmp(a, "--") == 0) {
        p->only_positional = true;
        return cli_next(p, val);
    }
    if (a[1] != '-') {
        cli_error(p->command, "unknown option '%s' (options are long: --name)", a);
        return CLI_ERROR;
    }
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    for (const struct cli_opt *o = p->opts; o->name; o++) {
        if (strlen(o->name) != nlen || strncmp(o->name, name, nlen) != 0)
            continue;
        if (o->arg == CLI_NO_ARG) {
            if (eq) {
                cli_error(p->command, "option --%s takes no value", o->name);
                return CLI_ERROR;
            }
            return o->id;
        }
        if (eq) {
            *val = eq + 1;
        } else if (p->i < p->argc) {
            *val = p->argv[p->i++];
        } else {
            cli_error(p->command, "option --%s needs a value (%s)", o->name, o->metavar);
            return CLI_ERROR;
        }
        return o->id;
    }
    cli_error(p->command, "unknown option '--%.*s' (see 'preflight %s --help')", (int)nlen, name,
              p->command);
    return CLI_ERROR;
}

static bool want_color(const char *when)
{
    if (strcmp(when, "always") == 0)
        return true;
    if (strcmp(when, "never") == 0)
        return false;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return false;
    return isatty(STDOUT_FILENO) != 0;
}

void cli_common_init(struct cli_common *c, const char *command)
{
    memset(c, 0, sizeof *c);
    c->command = command;
    c->fail_on = CLI_FAIL_BLOCK;
    c->color = want_color("auto");
}

int cli_common_option(struct cli_common *c, int id, const char *val, const struct cli_opt *opts,
                      const char *usage)
{
    switch (id) {
    case CLI_OPT_HELP: cli_print_help(stdout, usage, opts); return 2;
    case CLI_OPT_VERSION: cli_print_version(stdout); return 2;
    case CLI_OPT_FORMAT: c->format = val; return 1;
    case CLI_OPT_OUTPUT: c->output = val; return 1;
    case CLI_OPT_RULES:
    case CLI_OPT_DATA: {
        const char **dirs = id == CLI_OPT_RULES ? c->rules : c->data;
        int *n = id == CLI_OPT_RULES ? &c->nrules : &c->ndata;
        if (*n == CLI_MAX_DIRS) {
            cli_error(c->command, "at most %d --%s directories", CLI_MAX_DIRS,
                      id == CLI_OPT_RULES ? "rules" : "data");
            return -1;
        }
        dirs[(*n)++] = val;
        return 1;
    }
    case CLI_OPT_FAIL_ON:
        if (strcmp(val, "block") == 0) {
            c->fail_on = CLI_FAIL_BLOCK;
        } else if (strcmp(val, "warn") == 0) {
            c->fail_on = CLI_FAIL_WARN;
        } else {
            cli_error(c->command, "--fail-on takes block or warn, not '%s'", val);
            return -1;
        }
        return 1;
    case CLI_OPT_QUIET: c->quiet = true; return 1;
    case CLI_OPT_COLOR:
        if (strcmp(val, "auto") != 0 && strcmp(val, "always") != 0 && strcmp(val, "never") != 0) {
            cli_error(c->command, "--color takes auto, always or never, not '%s'", val);
            return -1;
        }
        c->color = want_color(val);
        return 1;
    default: return 0;
    }
}

bool cli_check_format(struct cli_common *c, const char *const *allowed)
{
    if (!c->format) {
        c->format = allowed[0];
        return true;
    }
    for (const char *const *a = allowed; *a; a++) {
        if (strcmp(*a, c->format) == 0)
            return true;
    }
    char list[256] = "";
    for (const char *const *a = allowed; *a; a++) {
        strncat(list, *a, sizeof list - strlen(list) - 1);
        if (a[1])
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    cli_error(c->command, "--format takes %s, not '%s'", list, c->format);
    return false;
}

FILE *cli_open_output(const struct cli_common *c)
{
    if (!c->output || strcmp(c->output, "-") == 0)
        return stdout;
    FILE *f = fopen(c->output, "w");
    if (!f)
        cli_error(c->command, "%s: cannot write: %s", c->output, strerror(errno));
    return f;
}

bool cli_close_output(const struct cli_common *c, FILE *f)
{
    bool ok = !ferror(f);
    if (f == stdout)
        ok = fflush(f) == 0 && ok;
    else
        ok = fclose(f) == 0 && ok;
    if (!ok)
        cli_error(c->command, "%s: write failed", c->output ? c->output : "stdout");
    return ok;
}

void cli_print_help(FILE *f, const char *usage, const struct cli_opt *opts)
{
    fprintf(f, "%s\n\nOptions:\n", usage);
    for (const struct cli_opt *o = opts; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->metavar : "");
        fprintf(f, "  %-24s %s\n", left, o->help);
    }
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_default_dir(const char *what, char *buf, size_t cap)
{
    /* An installed binary lives in <prefix>/bin and finds its data in
     * <prefix>/share/sms-preflight; a binary in the build tree falls back to
     * the source tree it was configured from. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, cap, "%s/../%s/%s", exe, PF_SHARE_SUBDIR, what);
            if (is_dir(buf))
                return buf;
        }
    }
    snprintf(buf, cap, "%s/%s", PF_SOURCE_DIR, what);
    return buf;
}

/* The default directory for rules or data: $env, else installed/source. */
static const char *base_dir(const char *what, const char *env, char *buf, size_t cap)
{
    const char *e = getenv(env);
    if (e && *e)
        return e;
    return cli_default_dir(what, buf, cap);
}

bool cli_load_countries(const struct cli_common *c, pf_countries **out)
{
    char base[PATH_MAX], paths[CLI_MAX_DIRS + 1][PATH_MAX];
    const char *files[CLI_MAX_DIRS + 1];
    size_t n = 0;
    pf_diag d;

    snprintf(paths[n], sizeof paths[n], "%s/countries.json",
             base_dir("data", "PREFLIGHT_DATA_DIR", base, sizeof base));
    files[n] = paths[n];
    n++;
    for (int i = 0; i < c->ndata; i++, n++) {
        snprintf(paths[n], sizeof paths[n], "%s/countries.json", c->data[i]);
        files[n] = paths[n];
    }
    if (pf_countries_load(files, n, out, &d) != PF_OK) {
        cli_error_diag(c->command, &d);
        return false;
    }
    /* Time zones by area: the last data directory that has the file wins. */
    const char *zones = NULL;
    char zpath[CLI_MAX_DIRS + 1][PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        snprintf(zpath[i], sizeof zpath[i], "%.*s/timezones.json",
                 (int)(strlen(files[i]) - strlen("/countries.json")), files[i]);
        if (access(zpath[i], R_OK) == 0)
            zones = zpath[i];
    }
    if (zones && pf_countries_load_zones(*out, zones, &d) != PF_OK) {
        cli_error_diag(c->command, &d);
        pf_countries_destroy(*out);
        *out = NULL;
        return false;
    }
    return true;
}

bool cli_load_rules(const struct cli_common *c, pf_ruleset **out)
{
    char base[PATH_MAX];
    const char *dirs[CLI_MAX_DIRS + 1];
    size_t n = 0;
    pf_diag d;

    dirs[n++] = base_dir("rules", "PREFLIGHT_RULES_DIR", base, sizeof base);
    for (int i = 0; i < c->nrules; i++)
        dirs[n++] = c->rules[i];
    if (pf_rules_load(dirs, n, out, &d) != PF_OK) {
        cli_error_diag(c->command, &d);
        return false;
    }
    return true;
}

int cli_read_message(const char *command, const char *text, const char *file, char **buf,
                     size_t *len)
{
    pf_diag d;
    size_t bad;
    if ((text != NULL) == (file != NULL)) {
        cli_error(command, "give the message with exactly one of --message TEXT or "
                           "--message-file FILE");
        return CLI_EXIT_USAGE;
    }
    if (text) {
        *len = strlen(text);
        if (*len > PF_MESSAGE_MAX) {
            cli_error(command, "--message: %zu bytes; the limit is %u", *len, PF_MESSAGE_MAX);
            return CLI_EXIT_USAGE;
        }
        *buf = malloc(*len + 1);
        if (!*buf) {
            cli_error(command, "out of memory");
            return CLI_EXIT_USAGE;
        }
        memcpy(*buf, text, *len + 1);
    } else if (pf_read_file(file, PF_MESSAGE_MAX, buf, len, &d) != PF_OK) {
        if (d.status == PF_E_TOO_LARGE)
            cli_error(command, "%s: the message is larger than the limit of %u bytes", file,
                      PF_MESSAGE_MAX);
        else
            cli_error_diag(command, &d);
        return CLI_EXIT_USAGE;
    }
    if (pf_utf8_validate(*buf, *len, &bad) != PF_OK) {
        cli_error(command, "%s: invalid UTF-8 at byte %zu", file ? file : "--message", bad);
        free(*buf);
        *buf = NULL;
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_exit_for(const struct cli_common *c, int max_severity)
{
    int threshold = c->fail_on == CLI_FAIL_WARN ? PF_SEV_WARN : PF_SEV_BLOCK;
    return max_severity >= threshold ? CLI_EXIT_FINDING : CLI_EXIT_OK;
}

bool cli_load_config(const struct cli_common *c, const char *file, const pf_ruleset *rules,
                     pf_config **out)
{
    pf_diag d;
    *out = NULL;
    if (!file)
        return true;
    if (pf_config_load(file, out, &d) != PF_OK) {
        cli_error_diag(c->command, &d);
        return false;
    }
    size_t n = 0;
    const char *const *dis = pf_config_disabled_rules(*out, &n);
    for (size_t i = 0; i < n; i++) {
        if (!pf_rules_find(rules, dis[i])) {
            cli_error(c->command, "%s: disabled_rules: no rule has the id '%s'", file, dis[i]);
            pf_config_destroy(*out);
            *out = NULL;
            return false;
        }
    }
    return true;
}
