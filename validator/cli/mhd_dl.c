/*
 * mhd_dl.c — libmicrohttpd loaded by `preflight serve` only (see mhd_dl.h).
 */
#include "mhd_dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static struct MHD_Daemon *no_start(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                   void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    (void)flags, (void)port, (void)apc, (void)apc_cls, (void)dh, (void)dh_cls;
    return NULL;
}
static MHD_socket no_quiesce(struct MHD_Daemon *d)
{
    (void)d;
    return MHD_INVALID_SOCKET;
}
static void no_stop(struct MHD_Daemon *d)
{
    (void)d;
}
static const char *no_lookup(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key)
{
    (void)c, (void)kind, (void)key;
    return NULL;
}
static enum MHD_Result no_queue(struct MHD_Connection *c, unsigned int status,
                                struct MHD_Response *r)
{
    (void)c, (void)status, (void)r;
    return MHD_NO;
}
static struct MHD_Response *no_create(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
    (void)size, (void)buffer, (void)mode;
    return NULL;
}
static void no_destroy(struct MHD_Response *r)
{
    (void)r;
}
static enum MHD_Result no_header(struct MHD_Response *r, const char *header, const char *content)
{
    (void)r, (void)header, (void)content;
    return MHD_NO;
}

static const struct mhd_api stand_ins = {no_start, no_quiesce, no_stop,    no_lookup,
                                         no_queue, no_create,  no_destroy, no_header};
static struct mhd_api loaded;
const struct mhd_api *mhd_dl = &stand_ins;

static bool sym(void *lib, const char *name, void *slot, size_t size, char *err, size_t cap)
{
    void *p = dlsym(lib, name);
    if (!p) {
        snprintf(err, cap, "libmicrohttpd.so.12 lacks %s", name);
        return false;
    }
    memcpy(slot, &p, size); /* POSIX: a dlsym'd pointer converts to a function pointer */
    return true;
}

#define SYM(field, name) sym(lib, name, &loaded.field, sizeof loaded.field, err, cap)

bool mhd_dl_load(char *err, size_t cap)
{
    if (mhd_dl == &loaded)
        return true;
    void *lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(err, cap, "libmicrohttpd.so.12 could not be loaded: %s", e ? e : "unknown reason");
        return false;
    }
    if (!SYM(start_daemon, "MHD_start_daemon") || !SYM(quiesce_daemon, "MHD_quiesce_daemon") ||
        !SYM(stop_daemon, "MHD_stop_daemon") ||
        !SYM(lookup_connection_value, "MHD_lookup_connection_value") ||
        !SYM(queue_response, "MHD_queue_response") ||
        !SYM(create_response_from_buffer, "MHD_create_response_from_buffer") ||
        !SYM(destroy_response, "MHD_destroy_response") ||
        !SYM(add_response_header, "MHD_add_response_header")) {
        dlclose(lib);
        return false;
    }
    /* Never unloaded: the daemon's threads run its code to the end. */
    mhd_dl = &loaded;
    return true;
}
