/*
 * send_int.h — what bulk.c needs of the gated send's internals: the client
 * a sender owns (so bulk send posts through the very client, base URL,
 * credentials and CAs that pf_sender_create configured) and the client
 * options held by the send options (so it can wrap their sleep and trace
 * hooks with its rate limiter).
 */
#ifndef PREFLIGHT_SEND_INT_H
#define PREFLIGHT_SEND_INT_H

#include "preflight/send.h"

pf_client *pfi_sender_client(pf_sender *s);
pf_client_options pfi_send_options_client(const pf_send_options *o);

#endif
