/*
 * segments.h — GSM-7 / UCS-2 encoding and SMS segment counting.
 *
 * Follows 3GPP TS 23.038 (GSM 7-bit default alphabet and its extension
 * table) and the behaviour of the reference message-segment-calculator:
 * GSM-7 when every character is in the basic or extension table (extension
 * characters take two septets and an escape pair is never split between
 * segments), otherwise UCS-2 counted in UTF-16 code units (a surrogate pair
 * is never split). One segment holds 160 septets / 70 code units; a
 * concatenated message holds 153 / 67 per segment.
 */
#ifndef PREFLIGHT_SEGMENTS_H
#define PREFLIGHT_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pf_encoding { PF_ENC_GSM7 = 0, PF_ENC_UCS2 = 1 } pf_encoding;

/* "GSM-7" or "UCS-2". */
PF_EXTERN const char *pf_encoding_name(pf_encoding enc);

/* One character that forces UCS-2. */
typedef struct pf_ucs2_char {
    size_t offset; /* byte offset of the character in the message */
    size_t length; /* its length in bytes */
    uint32_t codepoint;
    const char *replacement; /* GSM-7 replacement (UTF-8, static), or NULL */
} pf_ucs2_char;

/* One segment: a byte range of the message and how many units it uses. */
typedef struct pf_segment {
    size_t byte_start;
    size_t byte_end; /* exclusive */
    unsigned units;  /* septets (GSM-7) or UTF-16 code units (UCS-2) */
} pf_segment;

typedef struct pf_segments {
    pf_encoding encoding;
    size_t characters;      /* Unicode code points in the message */
    size_t units;           /* total septets (GSM-7) or UTF-16 code units (UCS-2) */
    size_t segment_count;   /* 0 for an empty message */
    pf_segment *segments;   /* segment_count entries */
    pf_ucs2_char *culprits; /* characters that force UCS-2 */
    size_t culprit_count;
} pf_segments;

/*
 * Compute the encoding and segments of a UTF-8 message of len bytes.
 * Invalid UTF-8 (including overlong forms, surrogates and code points above
 * U+10FFFF) fails with PF_E_UTF8 and diag->offset set to the first bad byte.
 * diag may be NULL. *out is freed with pf_segments_destroy.
 */
PF_EXTERN pf_status pf_segments_compute(const char *msg, size_t len, pf_segments **out, pf_diag *diag);

PF_EXTERN void pf_segments_destroy(pf_segments *seg);

/* The longest message the tool accepts (bytes). Far above any real SMS
 * (the API's own limit is a few thousand characters); it bounds the work
 * one hostile input can cause. */
#define PF_MESSAGE_MAX (64u * 1024u)

/* The default limit on segments before message.too-long (SPEC §3). */
#define PF_SEGMENTS_MAX_DEFAULT 10

/* Check that buf is valid UTF-8; on failure *bad_offset is the first bad byte. */
PF_EXTERN pf_status pf_utf8_validate(const char *buf, size_t len, size_t *bad_offset);

/*
 * Copy possibly-invalid UTF-8 into out[cap] (always NUL-terminated, cut at
 * a character boundary to fit) with every ill-formed byte and every control
 * character but tab and newline replaced by U+FFFD: text from outside made
 * safe for a report or JSON. The same decoder as pf_utf8_validate.
 */
PF_EXTERN void pf_utf8_clean(const char *in, size_t len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
