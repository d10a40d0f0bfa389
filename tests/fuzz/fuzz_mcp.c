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
    pf_session_options *o = NULL;
    pf_session *session = NULL;
    pf_diag d;
    if (pf_session_options_create(&o) != PF_OK ||
        pf_session_options_add_rules_dir(o, PF_SOURCE_DIR "/rules") != PF_OK ||
        pf_session_options_add_data_dir(o, PF_SOURCE_DIR "/data") != PF_OK ||
        pf_session_open(o, &session, &d) != PF_OK)
        abort();
    pf_session_options_destroy(o);
    mcp_server_init(&server, session);
    pf_session_unref(session); /* the server holds its own reference */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!server.session)
        load();
    bool oom;
    char *resp = mcp_handle(&server, (const char *)data, size, &oom);
    free(resp);
    return 0;
}
