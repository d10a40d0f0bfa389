/*
 * text.c — the plain-text renderer, for people at a terminal.
 */
#include <string.h>

#include "report.h"

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_OFF "\033[0m"

void pf_report_text_number(FILE *f, const pf_number *n, const char *error, bool color)
{
    char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    pf_report_clean_utf8(n->input, strlen(n->input), clean, sizeof clean);
    if (error) {
        fprintf(f, "%-20s %sunparseable%s  %s\n", clean, color ? C_RED : "", color ? C_OFF : "",
                error);
        return;
    }
    const char *state = n->valid ? "valid" : "invalid";
    const char *col = n->valid ? C_GREEN : C_RED;
    fprintf(f, "%-20s %s%-7s%s %-16s %-3s %s%s\n", clean, color ? col : "", state,
            color ? C_OFF : "", n->e164, n->region[0] ? n->region : "--",
            pf_number_type_name(n->type),
            n->strict_e164 ? "" : (n->valid ? "  (not strict E.164)" : ""));
}

static const char *short_status(pf_sender_status s)
{
    switch (s) {
    case PF_SS_SUPPORTED: return "yes";
    case PF_SS_REGISTRATION_REQUIRED: return "reg";
    case PF_SS_NOT_SUPPORTED: return "no";
    case PF_SS_UNKNOWN: return "?";
    }
    return "?";
}

static const char *short_tri(pf_tri t)
{
    return t == PF_TRI_YES ? "yes" : t == PF_TRI_NO ? "no" : "?";
}

void pf_report_text_country_header(FILE *f)
{
    fprintf(f, "%-4s %-26s %-4s %-4s %-4s %-4s %-4s %-4s %-4s %-10s %s\n", "CODE", "NAME", "SMS",
            "2WAY", "LCD", "LCI", "TF", "SC", "ALPH", "REVIEWED", "REGISTRATIONS");
}

void pf_report_text_country_row(FILE *f, const pf_country *c)
{
    char name[27];
    snprintf(name, sizeof name, "%s", c->name ? c->name : "");
    fprintf(f, "%-4s %-26s %-4s %-4s", c->code, name, short_tri(c->sms), short_tri(c->two_way));
    for (int k = 0; k < PF_SK_COUNT; k++)
        fprintf(f, " %-4s", short_status(c->senders[k]));
    fprintf(f, " %-10s ", c->reviewed[0] ? c->reviewed : "-");
    for (size_t i = 0; i < c->registration_count; i++)
        fprintf(f, "%s%s", i ? "; " : "", c->registrations[i].name);
    fputc('\n', f);
}

/* " [n]" naming the source that backs field, or " [no source]". */
static void cite(FILE *f, const pf_country *c, const char *field, bool known)
{
    const pf_source *s = pf_country_source_for(c, field);
    if (s)
        fprintf(f, "  [%zu]", (size_t)(s - c->sources) + 1);
    else if (known)
        fputs("  [no source]", f);
    fputc('\n', f);
}

static void fact(FILE *f, const pf_country *c, const char *label, const char *field,
                 const char *value, bool known)
{
    fprintf(f, "  %-28s %s", label, value);
    cite(f, c, field, known);
}

static void days_text(unsigned days, char *buf, size_t cap)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    size_t o = 0;
    buf[0] = '\0';
    if (days == 0x7F) {
        snprintf(buf, cap, "every day");
        return;
    }
    for (int k = 0; k < 7; k++) {
        if (days & (1u << k)) {
            int n = snprintf(buf + o, cap - o, "%s%s", o ? "," : "", names[k]);
            if (n < 0 || (size_t)n >= cap - o)
                return;
            o += (size_t)n;
        }
    }
}

void pf_report_text_country(FILE *f, const pf_country *c, bool color)
{
    fprintf(f, "%s%s  %s (+%d)%s", color ? "\033[1m" : "", c->code, c->name ? c->name : "",
            c->calling_code, color ? "\033[0m" : "");
    fprintf(f, "   %s %s\n", c->reviewed[0] ? "reviewed" : "not reviewed",
            c->reviewed[0] ? c->reviewed : "");
    fact(f, c, "SMS delivered", "sms", pf_tri_name(c->sms), c->sms != PF_TRI_UNKNOWN);
    fact(f, c, "two-way (replies)", "two_way", pf_tri_name(c->two_way),
         c->two_way != PF_TRI_UNKNOWN);
    fact(f, c, "concatenation", "concatenation", pf_tri_name(c->concatenation),
         c->concatenation != PF_TRI_UNKNOWN);
    if (c->length_note)
        fact(f, c, "length", "length_note", c->length_note, true);
    fact(f, c, "landlines receive SMS", "landline_sms", pf_tri_name(c->landline_sms),
         c->landline_sms != PF_TRI_UNKNOWN);
    fprintf(f, "  senders\n");
    for (int k = 0; k < PF_SK_COUNT; k++) {
        char field[64], label[40];
        snprintf(field, sizeof field, "senders.%s", pf_sender_kind_name((pf_sender_kind)k));
        snprintf(label, sizeof label, "  %s", pf_sender_kind_name((pf_sender_kind)k));
        fact(f, c, label, field, pf_sender_status_name(c->senders[k]),
             c->senders[k] != PF_SS_UNKNOWN);
    }
    if (c->registration_count) {
        fprintf(f, "  registrations");
        cite(f, c, "registrations", true);
        for (size_t i = 0; i < c->registration_count; i++)
            fprintf(f, "    - %s%s: %s\n", c->registrations[i].name,
                    c->registrations[i].optional ? " (optional)" : "",
                    c->registrations[i].note ? c->registrations[i].note : "");
    }
    if (c->sender_id_rules)
        fact(f, c, "sender ID rules", "sender_id_rules", c->sender_id_rules, true);
    if (c->quiet == PF_QUIET_WINDOWS) {
        fprintf(f, "  %-28s", "quiet hours (local time)");
        cite(f, c, "quiet_hours", true);
        for (size_t i = 0; i < c->quiet_window_count; i++) {
            const pf_quiet_window *w = &c->quiet_windows[i];
            char days[40];
            days_text(w->days, days, sizeof days);
            fprintf(f, "    %02u:%02u-%02u:%02u %s, %s traffic\n", w->from_minute / 60,
                    w->from_minute % 60, w->to_minute / 60, w->to_minute % 60, days,
                    w->promotional_only ? "promotional" : "all");
        }
    } else {
        fact(f, c, "quiet hours", "quiet_hours",
             c->quiet == PF_QUIET_NONE ? "none (a source says so)" : "unknown",
             c->quiet != PF_QUIET_UNKNOWN);
    }
    fprintf(f, "  content\n");
    fact(f, c, "  URL shorteners banned", "content.url_shorteners_banned",
         pf_tri_name(c->url_shorteners_banned), c->url_shorteners_banned != PF_TRI_UNKNOWN);
    fact(f, c, "  URLs banned", "content.urls_banned", pf_tri_name(c->urls_banned),
         c->urls_banned != PF_TRI_UNKNOWN);
    fact(f, c, "  phone numbers banned", "content.phone_numbers_banned",
         pf_tri_name(c->phone_numbers_banned), c->phone_numbers_banned != PF_TRI_UNKNOWN);
    fact(f, c, "  chat-app links banned", "content.chat_app_links_banned",
         pf_tri_name(c->chat_app_links_banned), c->chat_app_links_banned != PF_TRI_UNKNOWN);
    fprintf(f, "    %-26s ", "banned categories");
    if (!c->banned_categories_known)
        fputs("unknown", f);
    else if (c->banned_category_count == 0)
        fputs("none", f);
    for (size_t i = 0; c->banned_categories_known && i < c->banned_category_count; i++)
        fprintf(f, "%s%s", i ? ", " : "", c->banned_categories[i]);
    cite(f, c, "content.banned_categories", c->banned_categories_known);
    fact(f, c, "opt-out required", "opt_out.required", pf_tri_name(c->opt_out_required),
         c->opt_out_required != PF_TRI_UNKNOWN);
    fprintf(f, "  %-28s ", "opt-out keywords");
    if (!c->opt_out_keywords_known)
        fputs("unknown", f);
    for (size_t i = 0; c->opt_out_keywords_known && i < c->opt_out_keyword_count; i++)
        fprintf(f, "%s%s", i ? ", " : "", c->opt_out_keywords[i]);
    cite(f, c, "opt_out.keywords", c->opt_out_keywords_known);
    if (c->notes && c->notes[0])
        fprintf(f, "  notes: %s\n", c->notes);
    if (c->source_count)
        fprintf(f, "  sources\n");
    for (size_t i = 0; i < c->source_count; i++)
        fprintf(f, "    [%zu] %s%s\n", i + 1, c->sources[i].url,
                c->sources[i].low_confidence ? " (low confidence)" : "");
}

static const char *sev_color(pf_severity s)
{
    return s == PF_SEV_BLOCK ? C_RED : s == PF_SEV_WARN ? "\033[33m" : "\033[36m";
}

/* Print at most 60 bytes of the message around a span, on one line. */
static void excerpt(FILE *f, const char *msg, size_t len, size_t start, size_t end)
{
    char buf[256];
    size_t n = end - start;
    bool cut = n > 60;
    if (cut)
        n = 60;
    /* Never cut inside a UTF-8 sequence. */
    while (cut && n > 0 && ((unsigned char)msg[start + n] & 0xC0) == 0x80)
        n--;
    (void)len;
    pf_report_clean_utf8(msg + start, n, buf, sizeof buf);
    for (char *p = buf; *p; p++) {
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    }
    fprintf(f, "      \"%s%s\" (bytes %zu-%zu)\n", buf, cut ? "..." : "", start, end);
}

void pf_report_text_findings(FILE *f, const char *msg, size_t len, const pf_finding_list *findings,
                             bool color)
{
    for (size_t i = 0; i < findings->count; i++) {
        const pf_finding *x = &findings->items[i];
        fprintf(f, "  %s%-5s%s %s\n", color ? sev_color(x->severity) : "",
                pf_severity_name(x->severity), color ? C_OFF : "", x->id);
        fprintf(f, "      %s\n", x->message ? x->message : "");
        if (x->has_span && msg)
            excerpt(f, msg, len, x->span_start, x->span_end);
        if (x->fix && x->fix[0])
            fprintf(f, "      fix: %s\n", x->fix);
        fprintf(f, "      source: %s\n", x->source ? x->source : "heuristic");
    }
}

void pf_report_text_segments(FILE *f, const char *msg, size_t len, const pf_segments *seg,
                             bool color)
{
    (void)len;
    fprintf(f, "%sencoding%s    %s\n", color ? "\033[1m" : "", color ? C_OFF : "",
            pf_encoding_name(seg->encoding));
    fprintf(f, "characters  %zu\n", seg->characters);
    fprintf(f, "%-11s %zu\n", seg->encoding == PF_ENC_GSM7 ? "septets" : "code units", seg->units);
    fprintf(f, "segments    %zu\n", seg->segment_count);
    for (size_t i = 0; i < seg->segment_count; i++) {
        const pf_segment *s = &seg->segments[i];
        fprintf(f, "  [%zu] %u units, bytes %zu-%zu\n", i + 1, s->units, s->byte_start,
                s->byte_end);
    }
    if (seg->culprit_count)
        fprintf(f, "characters that force UCS-2:\n");
    for (size_t i = 0; i < seg->culprit_count; i++) {
        const pf_ucs2_char *c = &seg->culprits[i];
        char ch[32];
        pf_report_clean_utf8(msg + c->offset, c->length, ch, sizeof ch);
        fprintf(f, "  U+%04X %s at byte %zu", (unsigned)c->codepoint, ch, c->offset);
        if (c->replacement)
            fprintf(f, "  (GSM-7: \"%s\")", c->replacement);
        fputc('\n', f);
    }
}

void pf_report_text_verdict(FILE *f, const pf_verdict *v, const char *msg, size_t len, bool color)
{
    static const char *const col[] = {C_GREEN, "\033[33m", C_RED};
    char clean[PF_NUMBER_INPUT_MAX * 3 + 4];
    fprintf(f, "%s%s%s\n", color ? col[v->verdict] : "",
            v->verdict == PF_VERDICT_BLOCK  ? "BLOCK"
            : v->verdict == PF_VERDICT_WARN ? "WARN"
                                            : "PASS",
            color ? C_OFF : "");
    pf_report_clean_utf8(v->user.input, strlen(v->user.input), clean, sizeof clean);
    if (v->user_parsed)
        fprintf(f, "  to       %s -> %s (%s, %s%s)\n", clean, v->user.e164,
                v->user.region[0] ? v->user.region : "--", pf_number_type_name(v->user.type),
                v->user.valid ? "" : ", invalid");
    else
        fprintf(f, "  to       %s (cannot be parsed)\n", clean);
    if (v->has_agent)
        fprintf(f, "  from     %s (%s, %s%s%s)\n", v->agent_e164, pf_sender_type_name(v->agent_kind),
                v->agent_auto ? "selected automatically" : "given", v->agent_region[0] ? ", " : "",
                v->agent_region);
    else
        fprintf(f, "  from     (not checked: no sender given or selected)\n");
    if (v->has_message)
        fprintf(f, "  message  %s, %zu characters, %zu segment%s\n", pf_encoding_name(v->encoding),
                v->characters, v->segments, v->segments == 1 ? "" : "s");
    if (v->findings.count)
        fprintf(f, "findings:\n");
    pf_report_text_findings(f, msg, len, &v->findings, color);
}
