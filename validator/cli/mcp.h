/*
 * mcp.h — `preflight mcp`: the Model Context Protocol server's request
 * handler, kept apart from the stdio loop so tests and the fuzz target can
 * feed it one line at a time.
 *
 * One request line in, at most one response line out. The handler keeps no
 * state between requests (initialize only negotiates the version it
 * answers with), so any request order is answered the same way.
 */
#ifndef PREFLIGHT_MCP_H
#define PREFLIGHT_MCP_H

#include <stdbool.h>
#include <stddef.h>

#include "preflight/preflight.h"

/* The largest request line read; longer ones are answered -32700. */
#define MCP_LINE_MAX (1u << 20)

struct mcp_server {
    pf_session *session; /* one reference, dropped by mcp_server_clear */
    pf_checker *checker; /* created on first use */
    pf_scanner *scanner;
    pf_sender *sender; /* the send tool's, only with --allow-send; the server owns it */
};

/* Start a server over session, taking a reference to it. */
void mcp_server_init(struct mcp_server *s, pf_session *session);
void mcp_server_clear(struct mcp_server *s);

/*
 * Answer one request line (without its newline). Returns the response as
 * one line of JSON without a newline (malloc'd; the caller frees), or NULL
 * when nothing is to be answered (a notification, a blank line) — and also
 * NULL when memory ran out, with *oom set.
 */
char *mcp_handle(struct mcp_server *s, const char *line, size_t len, bool *oom);

#endif
