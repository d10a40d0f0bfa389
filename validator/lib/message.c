/*
 * message.c — findings about the message as text: empty, too long, and
 * the characters that force UCS-2 (and so cut a segment from 160 to 70).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "preflight/message.h"
#include "utf8_int.h"

#define SRC_SEGMENTS "https://www.3gpp.org/ftp/Specs/archive/23_series/23.038/"

/* White space by Unicode's White_Space property (the parts that occur in
 * text); a message of nothing else shows up as a blank SMS. */
static bool is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

pf_status pf_message_check(const char *msg, size_t len, const pf_segments *seg,
                           unsigned max_segments, pf_finding_list *out)
{
    pf_status st = PF_OK;
    bool blank = true;
    for (size_t i = 0; i < len && blank;) {
        uint32_t cp = 0;
        size_t n = pfi_utf8_decode((const unsigned char *)msg + i, len - i, &cp);
        if (n == 0)
            break;
        blank = is_space(cp);
        i += n;
    }
    if (blank)
        return pf_finding_list_addf(out, "message.empty", PF_SEV_BLOCK, "Write the message text.",
                                    "heuristic", "The message is empty or only white space.");
    if (max_segments && seg->segment_count > max_segments)
        st = pf_finding_list_addf(
            out, "message.too-long", PF_SEV_BLOCK,
            "Shorten the message or replace the characters that force UCS-2.", SRC_SEGMENTS,
            "The message needs %zu %s segments; the limit is %u.", seg->segment_count,
            pf_encoding_name(seg->encoding), max_segments);
    for (size_t i = 0; i < seg->culprit_count && st == PF_OK; i++) {
        const pf_ucs2_char *c = &seg->culprits[i];
        char what[64], fix[160];
        size_t n = c->length < sizeof what - 1 ? c->length : sizeof what - 1;
        memcpy(what, msg + c->offset, n);
        what[n] = '\0';
        if (c->replacement)
            snprintf(fix, sizeof fix, "Replace it with \"%s\" to stay in GSM-7.", c->replacement);
        else
            snprintf(fix, sizeof fix,
                     "Remove it to stay in GSM-7, or accept UCS-2 (70 characters a segment).");
        pf_finding f = {.id = "message.ucs2",
                        .severity = PF_SEV_INFO,
                        .fix = fix,
                        .source = SRC_SEGMENTS,
                        .has_span = true,
                        .span_start = c->offset,
                        .span_end = c->offset + c->length};
        char m[160];
        snprintf(m, sizeof m,
                 "\"%s\" (U+%04X) at byte %zu is not in GSM-7, so the message "
                 "is sent as UCS-2.",
                 what, (unsigned)c->codepoint, c->offset);
        f.message = m;
        st = pf_finding_list_add(out, &f);
    }
    return st;
}
