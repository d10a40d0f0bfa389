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

void cli_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "preflight%s%s: ", command ? " " : "", command ? command : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool cli_region_ok(const char *command, const char *region)
{
    pf_diag d;
    pf_status st = pf_region_check(region, &d);
    if (st == PF_E_INVALID)
        cli_error(command,
                  "--region: unknown region code '%s' (use ISO 3166-1 alpha-2, upper case, "
                  "e.g. US)",
                  region);
    else if (st != PF_OK)
        cli_error(command, "--region: %s", d.message);
    return st == PF_OK;
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
    /* A region or number the library could not judge because libphonenumber
     * could not be loaded reads as an unknown one: say why. */
    const char *engine = pf_number_engine_error();
    if (*engine)
        fprintf(stderr, "preflight %s: (cannot load the number module: %s)\n", command, engine);
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

static const char *base_dir(const char *what, const char *env, char *buf, size_t cap);

void cli_common_init(struct cli_common *c, const char *command)
{
    char buf[PATH_MAX];
    const char *dir;
    memset(c, 0, sizeof *c);
    c->command = command;
    c->fail_on = CLI_FAIL_BLOCK;
    c->color = want_color("auto");
    /* The shipped rules and data come first; --rules and --data add to
     * them. A failure here surfaces in cli_open_session. */
    if (pf_session_options_create(&c->so) != PF_OK)
        return;
    /* Commands that look at one message and exit: compiling ~170 patterns
     * to machine code would cost them more than the interpreter does
     * (issue 20). batch, mcp, lint, audit and campaign keep the JIT. */
    static const char *const one_shot[] = {"check", "scan", "send", "countries", "rules"};
    for (size_t i = 0; i < sizeof one_shot / sizeof one_shot[0]; i++) {
        if (strcmp(command, one_shot[i]) == 0)
            (void)pf_session_options_set_jit(c->so, false);
    }
    if ((dir = base_dir("rules", "PREFLIGHT_RULES_DIR", buf, sizeof buf)))
        c->has_rules = pf_session_options_add_rules_dir(c->so, dir) == PF_OK;
    if ((dir = base_dir("data", "PREFLIGHT_DATA_DIR", buf, sizeof buf)))
        c->has_data = pf_session_options_add_data_dir(c->so, dir) == PF_OK;
}

void cli_common_free(struct cli_common *c)
{
    pf_session_options_destroy(c->so);
    c->so = NULL;
}

int cli_session_option(struct cli_common *c, int what, const char *val)
{
    pf_status st = PF_E_NOMEM;
    if (c->so) {
        switch (what) {
        case CLI_SO_DISABLE: st = pf_session_options_add_disabled_rule(c->so, val); break;
        case CLI_SO_CONFIG: st = pf_session_options_set_config_file(c->so, val); break;
        default: st = PF_E_INVALID; break;
        }
    }
    if (st != PF_OK) {
        cli_error(c->command, "out of memory");
        return -1;
    }
    return 1;
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
        pf_status st = !c->so               ? PF_E_NOMEM
                       : id == CLI_OPT_RULES ? pf_session_options_add_rules_dir(c->so, val)
                                             : pf_session_options_add_data_dir(c->so, val);
        if (st != PF_OK) {
            cli_error(c->command, "out of memory");
            return -1;
        }
        if (id == CLI_OPT_RULES)
            c->has_rules = true;
        else
            c->has_data = true;
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
    /* A binary in <prefix>/bin finds its data in <prefix>/share/sms-preflight,
     * and only there: the build tree is laid out the same way (CMake links
     * <build>/validator/share/sms-preflight to the sources), so an installed
     * program never reads the build machine's tree. */
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
    return NULL;
}

/* The default directory for rules or data: $env, else the installed one. */
static const char *base_dir(const char *what, const char *env, char *buf, size_t cap)
{
    const char *e = getenv(env);
    if (e && *e)
        return e;
    return cli_default_dir(what, buf, cap);
}

bool cli_open_session(struct cli_common *c, pf_session **out)
{
    pf_diag d;
    *out = NULL;
    if (!c->so) {
        cli_error(c->command, "out of memory");
        return false;
    }
    if (!c->has_rules || !c->has_data) {
        cli_error(c->command,
                  "no %s directory: set PREFLIGHT_%s_DIR or pass --%s DIR (the installed "
                  "one is <prefix>/%s/%s)",
                  c->has_rules ? "data" : "rules", c->has_rules ? "DATA" : "RULES",
                  c->has_rules ? "data" : "rules", PF_SHARE_SUBDIR, c->has_rules ? "data" : "rules");
        return false;
    }
    if (pf_session_open(c->so, out, &d) == PF_OK)
        return true;
    if (d.status == PF_E_NOT_FOUND && !d.file[0] && strcmp(d.path, "disabled_rules") == 0)
        cli_error(c->command, "--disable: %s (see 'preflight rules')", d.message);
    else
        cli_error_diag(c->command, &d);
    return false;
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

bool cli_batch_template(const char *command, const char *file, pf_batch_options *bo)
{
    char *text = NULL;
    size_t len;
    pf_diag d;
    if (pf_read_file(file, PF_MESSAGE_MAX, &text, &len, &d) != PF_OK) {
        cli_error_diag(command, &d);
        return false;
    }
    pf_status st = pf_batch_options_set_template(bo, text, len, &d);
    free(text);
    if (st != PF_OK) {
        cli_error(command, "%s: %s", file, d.message);
        return false;
    }
    return true;
}

bool cli_parse_env(const char *command, const char *val, int *environment)
{
    pf_environment e;
    if (pf_environment_from_name(val, &e) != PF_OK) {
        cli_error(command, "--env takes dev, sandbox or live, not '%s'", val);
        return false;
    }
    *environment = (int)e;
    return true;
}

bool cli_parse_purpose(const char *command, const char *val, pf_purpose *purpose)
{
    if (strcmp(val, "transactional") == 0)
        *purpose = PF_PURPOSE_TRANSACTIONAL;
    else if (strcmp(val, "promotional") == 0)
        *purpose = PF_PURPOSE_PROMOTIONAL;
    else {
        cli_error(command, "--purpose takes transactional or promotional, not '%s'", val);
        return false;
    }
    return true;
}

int cli_exit_for(const struct cli_common *c, int max_severity)
{
    int threshold = c->fail_on == CLI_FAIL_WARN ? PF_SEV_WARN : PF_SEV_BLOCK;
    return max_severity >= threshold ? CLI_EXIT_FINDING : CLI_EXIT_OK;
}
