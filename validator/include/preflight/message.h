/*
 * message.h — the message.* findings of SPEC §3, from the text and its
 * segments: message.empty, message.too-long and message.ucs2.
 */
#ifndef PREFLIGHT_MESSAGE_H
#define PREFLIGHT_MESSAGE_H

#include <stddef.h>

#include "findings.h"
#include "segments.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Append the message findings for msg (len bytes, already segmented into
 * seg) to out: empty or white-space-only text blocks; more than
 * max_segments segments blocks; every character that forces UCS-2 is an
 * info finding naming it, its offset and a GSM-7 replacement when one
 * exists.
 */
PF_EXTERN pf_status pf_message_check(const char *msg, size_t len, const pf_segments *seg,
                           unsigned max_segments, pf_finding_list *out);

#ifdef __cplusplus
}
#endif

#endif
