/*
 * mhd_dl.h — libmicrohttpd through dlopen (issue 20, cold start).
 *
 * Only `preflight serve` runs an HTTP server, yet linking libmicrohttpd
 * maps it and its GnuTLS tree into every command's process. So the
 * program is not linked against it: these names resolve through a table
 * that mhd_dl_load() fills from libmicrohttpd.so.12 before the daemon
 * starts. Include this header instead of <microhttpd.h>; calls keep their
 * libmicrohttpd spelling. Until loaded (or when loading failed) the table
 * holds stand-ins that fail as libmicrohttpd reports failure.
 */
#ifndef PREFLIGHT_MHD_DL_H
#define PREFLIGHT_MHD_DL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct mhd_api {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    MHD_socket (*quiesce_daemon)(struct MHD_Daemon *d);
    void (*stop_daemon)(struct MHD_Daemon *d);
    const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind,
                                           const char *key);
    enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
                                      struct MHD_Response *r);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    void (*destroy_response)(struct MHD_Response *r);
    enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
                                           const char *content);
};

/* The table in use: libmicrohttpd's functions once loaded, else stand-ins. */
extern const struct mhd_api *mhd_dl;

/* Load libmicrohttpd (once; call before starting threads); false with the
 * reason in err when it cannot be loaded. */
bool mhd_dl_load(char *err, size_t cap);

#define MHD_start_daemon (mhd_dl->start_daemon)
#define MHD_quiesce_daemon (mhd_dl->quiesce_daemon)
#define MHD_stop_daemon (mhd_dl->stop_daemon)
#define MHD_lookup_connection_value (mhd_dl->lookup_connection_value)
#define MHD_queue_response (mhd_dl->queue_response)
#define MHD_create_response_from_buffer (mhd_dl->create_response_from_buffer)
#define MHD_destroy_response (mhd_dl->destroy_response)
#define MHD_add_response_header (mhd_dl->add_response_header)

#endif
