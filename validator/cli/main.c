/*
 * main.c — the preflight program: find the subcommand and run it.
 */
#include <string.h>

#include "cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"number", cli_number, "parse and classify phone numbers"},
    {"check", cli_check, "full verdict for one send"},
    {"send", cli_send, "check, then send through the API if not blocked"},
    {"batch", cli_batch, "verdict for every row of a recipient list (CSV)"},
    {"scan", cli_scan, "content rules and segments of a message"},
    {"lint", cli_lint, "lint message templates (text, JSON, SARIF, JUnit)"},
    {"audit", cli_audit, "launch-readiness report for one country"},
    {"campaign", cli_campaign, "pre-scan a 10DLC campaign or toll-free verification"},
    {"segments", cli_segments, "encoding and segment count of a message"},
    {"countries", cli_countries, "the country SMS table, with sources"},
    {"rules", cli_rules, "the loaded content rules"},
    {"serve", cli_serve, "pre-send HTTP gateway in front of the Send SMS API"},
    {"mcp", cli_mcp, "Model Context Protocol server on stdin/stdout, for AI agents"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: preflight COMMAND [OPTIONS]\n\n"
               "Pre-flight checks for outbound SMS.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'preflight COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        cli_print_version(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    cli_error(NULL, "unknown command '%s'", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
