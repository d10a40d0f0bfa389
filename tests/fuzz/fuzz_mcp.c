/*
 * fuzz_mcp.c — the MCP server's request handler (`preflight mcp`): any
 * line must get a well-formed JSON-RPC answer or none, never a crash. The
 * shipped rules and table are loaded once per process.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "mcp.h"

static struct mcp_server server;

static void load(void)
{
    const char *dirs[] = {PF_SOURCE_DIR "/rules"};
    const char *files[] = {PF_SOURCE_DIR "/data/countries.json"};
    pf_ruleset *rules = NULL;
    pf_countries *table = NULL;
    pf_diag d;
    if (pf_rules_load(dirs, 1, &rules, &d) != PF_OK ||
        pf_countries_load(files, 1, &table, &d) != PF_OK)
        abort();
    mcp_server_init(&server);
    server.rules = rules;
    server.table = table;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!server.rules)
        load();
    bool oom;
    char *resp = mcp_handle(&server, (const char *)data, size, &oom);
    free(resp);
    return 0;
}
