/*
 * sender.h — the one sender-type enum: what kind of number a message is
 * sent from, as the config records it, as rules scope themselves, and as a
 * verdict reports it. (The country table splits long codes further into
 * domestic and international: pf_sender_kind in countries.h, its columns.)
 */
#ifndef PREFLIGHT_SENDER_H
#define PREFLIGHT_SENDER_H

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pf_sender_type {
    PF_SENDER_UNKNOWN = 0, /* no sender known */
    PF_SENDER_LONG_CODE,
    PF_SENDER_TOLL_FREE,
    PF_SENDER_SHORT_CODE,
    PF_SENDER_ALPHANUMERIC,
    PF_SENDER_TYPE_COUNT
} pf_sender_type;

/* "unknown", "long_code", "toll_free", "short_code", "alphanumeric". */
PF_EXTERN const char *pf_sender_type_name(pf_sender_type t);
/* Inverse (not "unknown"); PF_E_NOT_FOUND for another name. */
PF_EXTERN pf_status pf_sender_type_from_name(const char *name, pf_sender_type *out);

#ifdef __cplusplus
}
#endif

#endif
