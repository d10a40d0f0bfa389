/*
 * test_segments.c — table-driven tests for the GSM-7 / UCS-2 segment
 * calculator and the strict UTF-8 validator.
 *
 * Every expected encoding, code point count, unit count and segment count
 * below was checked against the reference message-segment-calculator; the
 * one deliberate difference is the empty message, which has no segments
 * here (the reference reports one empty segment). Inputs are built from
 * (text, repeat) pieces so a 307-character boundary case stays readable.
 */
#include <stdlib.h>

#include "../test_util.h"
#include "preflight/segments.h"

#define GSM PF_ENC_GSM7
#define UCS PF_ENC_UCS2

#define MAX_PIECES 6
#define MAX_CULPRITS 8
#define MAX_SEGMENTS 4

typedef struct {
    const char *text;
    unsigned times;
} piece;

typedef struct {
    const char *name;
    piece input[MAX_PIECES];
    pf_encoding encoding;
    size_t characters;
    size_t units;
    size_t segments;
} count_row;

/* Frequently used characters, spelled once. */
#define ZHE "\u0416"      /* Cyrillic Zhe: UCS-2, 1 unit */
#define GRIN "\U0001F600" /* surrogate pair */
#define FAMILY "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"
#define FLAG_FR "\U0001F1EB\U0001F1F7" /* regional indicator pair */
#define THUMB_TONE "\U0001F44D\U0001F3FD"
#define E_ACUTE_COMB "e\u0301" /* e + combining acute */

/*
 * An extension character (two septets) placed so its escape septet falls on
 * septet 152, 153 or 154 of a 306-septet message: only at 153 would the pair
 * straddle the 153-septet segment boundary, so it moves whole to segment 2
 * and the message needs a third segment. At 159-161 of a short message it
 * decides between one segment and two.
 */
#define EXT_ROWS(label, x)                                                                         \
    {label " escape at septet 152", {{"a", 151}, {x, 1}, {"a", 153}}, GSM, 305, 306, 2},           \
        {label " escape at septet 153", {{"a", 152}, {x, 1}, {"a", 152}}, GSM, 305, 306, 3},       \
        {label " escape at septet 154", {{"a", 153}, {x, 1}, {"a", 151}}, GSM, 305, 306, 2},       \
        {label " escape at septet 159", {{"a", 158}, {x, 1}}, GSM, 159, 160, 1},                   \
        {label " escape at septet 160", {{"a", 159}, {x, 1}}, GSM, 160, 161, 2},                   \
    {                                                                                              \
        label " escape at septet 161", {{"a", 160}, {x, 1}}, GSM, 161, 162, 2                      \
    }

static const count_row count_rows[] = {
    /* empty and trivial */
    {"empty message", {{NULL, 0}}, GSM, 0, 0, 0},
    {"one character", {{"a", 1}}, GSM, 1, 1, 1},

    /* GSM-7 length boundaries: 160 single, 153 per concatenated part */
    {"gsm 160", {{"a", 160}}, GSM, 160, 160, 1},
    {"gsm 161", {{"a", 161}}, GSM, 161, 161, 2},
    {"gsm 306", {{"a", 306}}, GSM, 306, 306, 2},
    {"gsm 307", {{"a", 307}}, GSM, 307, 307, 3},
    {"gsm 459", {{"a", 459}}, GSM, 459, 459, 3},
    {"gsm 460", {{"a", 460}}, GSM, 460, 460, 4},

    /* the whole basic table, non-ASCII part, is one septet each */
    {"gsm basic table non-ascii",
     {{"\u00a3\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\u00d8\u00f8"
       "\u00c5\u00e5\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3"
       "\u0398\u039e\u00c6\u00e6\u00df\u00c9\u00a4\u00a1\u00c4\u00d6"
       "\u00d1\u00dc\u00a7\u00bf\u00e4\u00f6\u00f1\u00fc\u00e0",
       1}},
     GSM,
     39,
     39,
     1},
    {"gsm ascii punctuation", {{" !\"#$%&'()*+,-./:;<=>?@_", 1}}, GSM, 24, 24, 1},
    {"gsm every extension character", {{"^{}\\[]~|\u20ac\f", 1}}, GSM, 10, 20, 1},
    {"gsm 80 extension characters fill one segment", {{"{", 80}}, GSM, 80, 160, 1},
    {"gsm 81 extension characters", {{"}", 81}}, GSM, 81, 162, 2},
    {"gsm 153 extension characters", {{"]", 153}}, GSM, 153, 306, 3},

    EXT_ROWS("caret", "^"),
    EXT_ROWS("left brace", "{"),
    EXT_ROWS("right brace", "}"),
    EXT_ROWS("backslash", "\\"),
    EXT_ROWS("left bracket", "["),
    EXT_ROWS("right bracket", "]"),
    EXT_ROWS("tilde", "~"),
    EXT_ROWS("pipe", "|"),
    EXT_ROWS("euro", "\u20ac"),
    EXT_ROWS("form feed", "\f"),

    /* CR LF: two characters, never one cluster */
    {"crlf", {{"a\r\nb", 1}}, GSM, 4, 4, 1},
    {"crlf 80 times", {{"\r\n", 80}}, GSM, 160, 160, 1},
    {"crlf straddling 160", {{"a", 159}, {"\r\n", 1}}, GSM, 161, 161, 2},
    {"lone cr and lf", {{"\r", 3}, {"\n", 3}}, GSM, 6, 6, 1},

    /* characters that look like GSM-7 but are not */
    {"backtick", {{"`", 1}}, UCS, 1, 1, 1},
    {"tab", {{"a\tb", 1}}, UCS, 3, 3, 1},
    {"small c cedilla", {{"\u00e7", 1}}, UCS, 1, 1, 1},
    {"capital c cedilla", {{"\u00c7", 1}}, GSM, 1, 1, 1},
    {"a acute", {{"\u00e1", 1}}, UCS, 1, 1, 1},
    {"curly apostrophe", {{"it\u2019s", 1}}, UCS, 4, 4, 1},
    {"non-breaking space", {{"a\u00a0b", 1}}, UCS, 3, 3, 1},

    /* UCS-2 length boundaries: 70 single, 67 per concatenated part */
    {"ucs2 70", {{ZHE, 70}}, UCS, 70, 70, 1},
    {"ucs2 71", {{ZHE, 71}}, UCS, 71, 71, 2},
    {"ucs2 134", {{ZHE, 134}}, UCS, 134, 134, 2},
    {"ucs2 135", {{ZHE, 135}}, UCS, 135, 135, 3},
    {"ucs2 201", {{ZHE, 201}}, UCS, 201, 201, 3},
    {"ucs2 202", {{ZHE, 202}}, UCS, 202, 202, 4},
    {"one non-gsm char makes 70 gsm chars ucs2", {{"a", 69}, {"\u00e1", 1}}, UCS, 70, 70, 1},
    {"one non-gsm char makes 71 gsm chars two segments",
     {{"a", 70}, {"\u00e1", 1}},
     UCS,
     71,
     71,
     2},
    {"extension chars are one unit in ucs2", {{"{", 69}, {ZHE, 1}}, UCS, 70, 70, 1},
    {"euro is one unit in ucs2", {{"\u20ac", 70}, {ZHE, 1}}, UCS, 71, 71, 2},

    /* surrogate pairs */
    {"emoji 35 fill one segment", {{GRIN, 35}}, UCS, 35, 70, 1},
    {"emoji 36", {{GRIN, 36}}, UCS, 36, 72, 2},
    {"emoji ends at unit 70", {{ZHE, 68}, {GRIN, 1}}, UCS, 69, 70, 1},
    {"emoji ends at unit 71", {{ZHE, 69}, {GRIN, 1}}, UCS, 70, 71, 2},
    {"emoji at units 66-67", {{ZHE, 65}, {GRIN, 1}, {ZHE, 67}}, UCS, 133, 134, 2},
    {"emoji at units 67-68 is not split", {{ZHE, 66}, {GRIN, 1}, {ZHE, 66}}, UCS, 133, 134, 3},
    {"emoji at units 68-69", {{ZHE, 67}, {GRIN, 1}, {ZHE, 65}}, UCS, 133, 134, 2},
    {"emoji at units 134-135", {{ZHE, 133}, {GRIN, 1}}, UCS, 134, 135, 3},
    {"supplementary plane letter", {{"\U00010400", 35}}, UCS, 35, 70, 1},

    /* grapheme clusters are never split */
    {"zwj family one cluster", {{FAMILY, 1}}, UCS, 7, 11, 1},
    {"zwj family ends at unit 67", {{ZHE, 56}, {FAMILY, 1}, {ZHE, 67}}, UCS, 130, 134, 2},
    {"zwj family across unit 67", {{ZHE, 60}, {FAMILY, 1}, {ZHE, 63}}, UCS, 130, 134, 3},
    {"zwj families fill 66 units", {{FAMILY, 6}, {ZHE, 4}}, UCS, 46, 70, 1},
    {"flag", {{FLAG_FR, 1}}, UCS, 2, 4, 1},
    {"flags 17 fill 68 units", {{FLAG_FR, 17}}, UCS, 34, 68, 1},
    {"flag ends at unit 67", {{ZHE, 63}, {FLAG_FR, 1}, {ZHE, 67}}, UCS, 132, 134, 2},
    {"flag across unit 67", {{ZHE, 65}, {FLAG_FR, 1}, {ZHE, 65}}, UCS, 132, 134, 3},
    {"three regional indicators", {{"\U0001F1EB\U0001F1F7\U0001F1E9", 1}}, UCS, 3, 6, 1},
    {"skin tone across unit 67", {{ZHE, 65}, {THUMB_TONE, 1}, {ZHE, 65}}, UCS, 132, 134, 3},
    {"combining mark", {{E_ACUTE_COMB, 1}}, UCS, 2, 2, 1},
    {"combining marks 35 pairs", {{E_ACUTE_COMB, 35}}, UCS, 70, 70, 1},
    {"combining mark across unit 67", {{ZHE, 66}, {E_ACUTE_COMB, 1}, {ZHE, 66}}, UCS, 134, 134, 3},
    {"combining mark at units 66-67", {{ZHE, 65}, {E_ACUTE_COMB, 1}, {ZHE, 67}}, UCS, 134, 134, 2},
    {"devanagari virama cluster across unit 67",
     {{ZHE, 66}, {"\u0915\u094D\u0937\u093F", 1}, {ZHE, 64}},
     UCS,
     134,
     134,
     3},
    {"hangul jamo across unit 67",
     {{ZHE, 66}, {"\u1100\u1161\u11A8", 1}, {ZHE, 65}},
     UCS,
     134,
     134,
     3},
    {"hangul syllables", {{"\uAC00\uAC01", 35}}, UCS, 70, 70, 1},

    /* CR LF stays two separate characters in UCS-2 as well */
    {"crlf in ucs2", {{ZHE "\r\n", 1}}, UCS, 3, 3, 1},
    {"crlf across unit 67", {{ZHE, 66}, {"\r\n", 1}, {ZHE, 66}}, UCS, 134, 134, 2},

    /*
     * The reference never splits a cluster, even one longer than a segment:
     * it leaves the first segment empty and puts the cluster alone in the
     * second. Operators would bill it the same way.
     */
    {"cluster longer than a segment", {{"e", 1}, {"\u0301", 80}}, UCS, 81, 81, 2},
    {"moved tail plus next cluster overfill segment 2",
     {{"x", 10}, {"e", 1}, {"\u0301", 59}, {"f", 1}, {"\u0301", 59}},
     UCS,
     130,
     130,
     2},
};

typedef struct {
    size_t offset;
    size_t length;
    uint32_t codepoint;
    const char *replacement;
} culprit;

typedef struct {
    const char *name;
    const char *input;
    size_t count;
    culprit culprits[MAX_CULPRITS];
} culprit_row;

static const culprit_row culprit_rows[] = {
    {"gsm only has none", "Hello {world} \u20ac5", 0, {{0, 0, 0, NULL}}},
    {"curly quotes",
     "It\u2019s \u201cok\u201d",
     3,
     {{2, 3, 0x2019, "'"}, {7, 3, 0x201C, "\""}, {12, 3, 0x201D, "\""}}},
    {"dashes and ellipsis",
     "a\u2013b\u2014c\u2026",
     3,
     {{1, 3, 0x2013, "-"}, {5, 3, 0x2014, "-"}, {9, 3, 0x2026, "..."}}},
    {"unicode spaces",
     "1\u00a0000\u2009m\u3000",
     3,
     {{1, 2, 0x00A0, " "}, {6, 3, 0x2009, " "}, {10, 3, 0x3000, " "}}},
    {"bullets", "\u2022 one \u25cf two", 2, {{0, 3, 0x2022, "*"}, {8, 3, 0x25CF, "*"}}},
    {"invisible characters",
     "a\u200bb\ufeff\u00ad",
     3,
     {{1, 3, 0x200B, ""}, {5, 3, 0xFEFF, ""}, {8, 2, 0x00AD, ""}}},
    {"accents outside gsm",
     "\u00e7a \u00e1 \u00c7a",
     2,
     {{0, 2, 0x00E7, "c"}, {4, 2, 0x00E1, "a"}}},
    {"backtick and tab", "`\t", 2, {{0, 1, 0x60, "'"}, {1, 1, 0x09, " "}}},
    {"full-width letters",
     "\uff21\uff42\uff40",
     3,
     {{0, 3, 0xFF21, "A"}, {3, 3, 0xFF42, "b"}, {6, 3, 0xFF40, "'"}}},
    {"emoji has no replacement", "hi " GRIN, 1, {{3, 4, 0x1F600, NULL}}},
    {"cyrillic has no replacement",
     "\u0416\u0443\u043a",
     3,
     {{0, 2, 0x416, NULL}, {2, 2, 0x443, NULL}, {4, 2, 0x43A, NULL}}},
    {"combining mark is the culprit, not its base", E_ACUTE_COMB, 1, {{1, 2, 0x301, NULL}}},
    {"zwj family: every code point",
     FAMILY,
     7,
     {{0, 4, 0x1F468, NULL},
      {4, 3, 0x200D, ""},
      {7, 4, 0x1F469, NULL},
      {11, 3, 0x200D, ""},
      {14, 4, 0x1F467, NULL},
      {18, 3, 0x200D, ""},
      {21, 4, 0x1F466, NULL}}},
    {"flag", FLAG_FR, 2, {{0, 4, 0x1F1EB, NULL}, {4, 4, 0x1F1F7, NULL}}},
};

typedef struct {
    const char *name;
    const char *bytes;
    size_t len;
    size_t bad_offset; /* SIZE_MAX: valid */
} utf8_row;

#define VALID SIZE_MAX
#define BYTES(s) s, sizeof(s) - 1

static const utf8_row utf8_rows[] = {
    {"empty", BYTES(""), VALID},
    {"ascii", BYTES("plain"), VALID},
    {"nul byte", BYTES("a\0b"), VALID},
    {"two-byte min U+0080", BYTES("\xC2\x80"), VALID},
    {"last before surrogates U+D7FF", BYTES("\xED\x9F\xBF"), VALID},
    {"first after surrogates U+E000", BYTES("\xEE\x80\x80"), VALID},
    {"max U+10FFFF", BYTES("\xF4\x8F\xBF\xBF"), VALID},
    {"emoji", BYTES("\xF0\x9F\x98\x80"), VALID},
    {"overlong nul C0 80", BYTES("ab\xC0\x80"), 2},
    {"overlong C1 BF", BYTES("\xC1\xBF"), 0},
    {"overlong three-byte slash", BYTES("x\xE0\x80\xAF"), 1},
    {"overlong three-byte max E0 9F BF", BYTES("\xE0\x9F\xBF"), 0},
    {"overlong four-byte", BYTES("\xF0\x80\x80\x80"), 0},
    {"overlong four-byte max F0 8F BF BF", BYTES("ok\xF0\x8F\xBF\xBF"), 2},
    {"high surrogate U+D800", BYTES("x\xED\xA0\x80"), 1},
    {"low surrogate U+DFFF", BYTES("\xED\xBF\xBF"), 0},
    {"cesu-8 surrogate pair", BYTES("\xED\xA0\xBD\xED\xB8\x80"), 0},
    {"above max U+110000", BYTES("abc\xF4\x90\x80\x80"), 3},
    {"lead byte F5", BYTES("\xF5\x80\x80\x80"), 0},
    {"byte FF", BYTES("a\xFF"), 1},
    {"byte FE", BYTES("\xFE"), 0},
    {"truncated two-byte at end", BYTES("abc\xC3"), 3},
    {"truncated three-byte at end", BYTES("\xE2\x82"), 0},
    {"truncated four-byte before ascii",
     BYTES("\xF0\x9F\x98"
           "A"),
     0},
    {"truncated three-byte before lead", BYTES("\xE2\x82\xE2\x82\xAC"), 0},
    {"stray continuation",
     BYTES("a\x80"
           "b"),
     1},
    {"stray continuation after emoji", BYTES("\xF0\x9F\x98\x80\xBF"), 4},
    {"good then bad", BYTES("\xC3\xA9\xC3"), 2},
};

typedef struct {
    const char *name;
    piece input[MAX_PIECES];
    size_t count;
    pf_segment segments[MAX_SEGMENTS];
} range_row;

static const range_row range_rows[] = {
    {"short", {{"hello", 1}}, 1, {{0, 5, 5}}},
    {"gsm 161", {{"a", 161}}, 2, {{0, 153, 153}, {153, 161, 8}}},
    {"gsm 307", {{"a", 307}}, 3, {{0, 153, 153}, {153, 306, 153}, {306, 307, 1}}},
    {"escape pair pushed to segment 2",
     {{"a", 152}, {"\u20ac", 1}, {"a", 152}},
     3,
     {{0, 152, 152}, {152, 306, 153}, {306, 307, 1}}},
    {"ucs2 71", {{ZHE, 71}}, 2, {{0, 134, 67}, {134, 142, 4}}},
    {"surrogate pair pushed to segment 2",
     {{ZHE, 66}, {GRIN, 1}, {ZHE, 66}},
     3,
     {{0, 132, 66}, {132, 266, 67}, {266, 268, 1}}},
    {"zwj family pushed to segment 2",
     {{ZHE, 60}, {FAMILY, 1}, {ZHE, 63}},
     3,
     {{0, 120, 60}, {120, 257, 67}, {257, 271, 7}}},
    {"crlf split at the boundary",
     {{ZHE, 66}, {"\r\n", 1}, {ZHE, 66}},
     2,
     {{0, 133, 67}, {133, 266, 67}}},
    {"cluster longer than a segment", {{"e", 1}, {"\u0301", 80}}, 2, {{0, 0, 0}, {0, 161, 81}}},
    {"moved tail plus next cluster overfill segment 2",
     {{"x", 10}, {"e", 1}, {"\u0301", 59}, {"f", 1}, {"\u0301", 59}},
     2,
     {{0, 10, 10}, {10, 248, 120}}},
};

/* Concatenate a row's pieces into a fresh buffer. */
static char *build(const piece *pieces, size_t *len)
{
    size_t total = 0, pos = 0;
    char *buf;

    for (size_t i = 0; i < MAX_PIECES && pieces[i].text; i++)
        total += strlen(pieces[i].text) * pieces[i].times;
    buf = malloc(total + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < MAX_PIECES && pieces[i].text; i++) {
        size_t n = strlen(pieces[i].text);

        for (unsigned k = 0; k < pieces[i].times; k++) {
            memcpy(buf + pos, pieces[i].text, n);
            pos += n;
        }
    }
    buf[pos] = '\0';
    *len = pos;
    return buf;
}

static void test_counts(void **state)
{
    (void)state;
    for (size_t r = 0; r < PF_ARRAY_LEN(count_rows); r++) {
        const count_row *row = &count_rows[r];
        pf_segments *seg = NULL;
        size_t len, sum = 0, at = 0;
        char *msg = build(row->input, &len);

        pf_check_int(row->name, pf_segments_compute(msg, len, &seg, NULL), PF_OK);
        pf_check_str(row->name, pf_encoding_name(seg->encoding), pf_encoding_name(row->encoding));
        pf_check_int(row->name, seg->characters, row->characters);
        pf_check_int(row->name, seg->units, row->units);
        pf_check_int(row->name, seg->segment_count, row->segments);
        /* The parts tile the message and add up to the total. */
        for (size_t i = 0; i < seg->segment_count; i++) {
            pf_check_int(row->name, seg->segments[i].byte_start, at);
            at = seg->segments[i].byte_end;
            sum += seg->segments[i].units;
        }
        pf_check_int(row->name, at, len);
        pf_check_int(row->name, sum, seg->units);
        pf_check(row->name, (seg->encoding == PF_ENC_UCS2) == (seg->culprit_count > 0));
        pf_segments_destroy(seg);
        free(msg);
    }
}

static void test_culprits(void **state)
{
    (void)state;
    for (size_t r = 0; r < PF_ARRAY_LEN(culprit_rows); r++) {
        const culprit_row *row = &culprit_rows[r];
        pf_segments *seg = NULL;

        pf_check_int(row->name, pf_segments_compute(row->input, strlen(row->input), &seg, NULL),
                     PF_OK);
        pf_check_int(row->name, seg->culprit_count, row->count);
        for (size_t i = 0; i < row->count; i++) {
            const pf_ucs2_char *got = &seg->culprits[i];
            const culprit *want = &row->culprits[i];

            pf_check_int(row->name, got->offset, want->offset);
            pf_check_int(row->name, got->length, want->length);
            pf_check_int(row->name, got->codepoint, want->codepoint);
            pf_check_str(row->name, got->replacement, want->replacement);
        }
        pf_segments_destroy(seg);
    }
}

static void test_utf8(void **state)
{
    (void)state;
    for (size_t r = 0; r < PF_ARRAY_LEN(utf8_rows); r++) {
        const utf8_row *row = &utf8_rows[r];
        size_t bad = 12345;
        pf_segments *seg = NULL;
        pf_diag diag;
        pf_status st = pf_utf8_validate(row->bytes, row->len, &bad);
        pf_status cst;

        pf_diag_clear(&diag);
        cst = pf_segments_compute(row->bytes, row->len, &seg, &diag);
        if (row->bad_offset == VALID) {
            pf_check_int(row->name, st, PF_OK);
            pf_check_int(row->name, cst, PF_OK);
            pf_check(row->name, seg != NULL);
            pf_segments_destroy(seg);
            continue;
        }
        pf_check_int(row->name, st, PF_E_UTF8);
        pf_check_int(row->name, bad, row->bad_offset);
        pf_check_int(row->name, cst, PF_E_UTF8);
        pf_check(row->name, seg == NULL);
        pf_check_int(row->name, diag.status, PF_E_UTF8);
        pf_check_int(row->name, diag.offset, row->bad_offset);
    }
}

static void test_ranges(void **state)
{
    (void)state;
    for (size_t r = 0; r < PF_ARRAY_LEN(range_rows); r++) {
        const range_row *row = &range_rows[r];
        pf_segments *seg = NULL;
        size_t len;
        char *msg = build(row->input, &len);

        pf_check_int(row->name, pf_segments_compute(msg, len, &seg, NULL), PF_OK);
        pf_check_int(row->name, seg->segment_count, row->count);
        for (size_t i = 0; i < row->count; i++) {
            const pf_segment *got = &seg->segments[i];
            const pf_segment *want = &row->segments[i];

            pf_check_int(row->name, got->byte_start, want->byte_start);
            pf_check_int(row->name, got->byte_end, want->byte_end);
            pf_check_int(row->name, got->units, want->units);
        }
        pf_segments_destroy(seg);
        free(msg);
    }
}

static void test_api_edges(void **state)
{
    pf_segments *seg = NULL;
    pf_diag diag;
    size_t bad = 0;

    (void)state;
    assert_string_equal(pf_encoding_name(PF_ENC_GSM7), "GSM-7");
    assert_string_equal(pf_encoding_name(PF_ENC_UCS2), "UCS-2");

    /* NULL with length 0 is the empty message */
    assert_int_equal(pf_segments_compute(NULL, 0, &seg, NULL), PF_OK);
    assert_non_null(seg);
    assert_int_equal(seg->encoding, PF_ENC_GSM7);
    assert_int_equal(seg->segment_count, 0);
    assert_null(seg->segments);
    assert_int_equal(seg->culprit_count, 0);
    pf_segments_destroy(seg);

    pf_diag_clear(&diag);
    assert_int_equal(pf_segments_compute(NULL, 3, &seg, &diag), PF_E_INVALID);
    assert_null(seg);
    assert_int_equal(diag.status, PF_E_INVALID);
    assert_int_equal(pf_segments_compute("abc", 3, NULL, NULL), PF_E_INVALID);
    assert_int_equal(pf_utf8_validate(NULL, 1, &bad), PF_E_INVALID);
    assert_int_equal(pf_utf8_validate(NULL, 0, &bad), PF_OK);
    assert_int_equal(pf_utf8_validate("\x80", 1, NULL), PF_E_UTF8);

    /* embedded NUL is a character (and not GSM-7) when len says so */
    assert_int_equal(pf_segments_compute("a\0b", 3, &seg, NULL), PF_OK);
    assert_int_equal(seg->encoding, PF_ENC_UCS2);
    assert_int_equal(seg->characters, 3);
    assert_int_equal(seg->culprit_count, 1);
    assert_int_equal(seg->culprits[0].offset, 1);
    pf_segments_destroy(seg);

    pf_segments_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),    cmocka_unit_test(test_culprits),
        cmocka_unit_test(test_utf8),      cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_api_edges),
    };

    return cmocka_run_group_tests_name("segments", tests, NULL, NULL);
}
