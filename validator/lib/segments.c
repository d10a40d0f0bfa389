/*
 * segments.c — GSM-7 / UCS-2 choice and SMS segmentation.
 *
 * Counts must match what the reference message-segment-calculator (and so
 * the carrier bill) says, including its quirks: it packs whole grapheme
 * clusters, as its bundled splitter (UAX #29, Unicode 10) finds them, into
 * 1120-bit segments, and when a message needs a second segment it adds the
 * 48-bit header to the first one and moves whatever no longer fits, plus the
 * cluster that overflowed, into the second, unchecked. We reproduce that
 * packing unit for unit rather than the textbook "160/153, 70/67" split,
 * which disagrees with it around clusters. Unlike the reference, an empty
 * message has no segments. Nothing here rewrites the text: replacements are
 * only suggested.
 */
#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"
#include "preflight/segments.h"
#include "utf8_int.h"

enum {
    GSM_SINGLE = 160, /* septets in 140 octets */
    GSM_MULTI = 153,  /* after the 6-octet concatenation header */
    UCS2_SINGLE = 70,
    UCS2_MULTI = 67
};

/* ---- GSM 03.38 --------------------------------------------------------- */

/*
 * Septets per ASCII character: 0 where the default alphabet has no such
 * character (controls other than LF/FF/CR, the backtick, DEL), 2 for the
 * extension table (escape + code).
 */
static const unsigned char ascii_septets[128] = {
    ['\n'] = 1, ['\f'] = 2, ['\r'] = 1, [' '] = 1, ['!'] = 1, ['"'] = 1, ['#'] = 1, ['$'] = 1,
    ['%'] = 1,  ['&'] = 1,  ['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
    ['-'] = 1,  ['.'] = 1,  ['/'] = 1,  ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1,  ['6'] = 1,  ['7'] = 1,  ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1,
    ['='] = 1,  ['>'] = 1,  ['?'] = 1,  ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1,  ['F'] = 1,  ['G'] = 1,  ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1,  ['N'] = 1,  ['O'] = 1,  ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1,  ['V'] = 1,  ['W'] = 1,  ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 2, ['\\'] = 2,
    [']'] = 2,  ['^'] = 2,  ['_'] = 1,  ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
    ['f'] = 1,  ['g'] = 1,  ['h'] = 1,  ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1,
    ['n'] = 1,  ['o'] = 1,  ['p'] = 1,  ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1,  ['w'] = 1,  ['x'] = 1,  ['y'] = 1, ['z'] = 1, ['{'] = 2, ['|'] = 2, ['}'] = 2,
    ['~'] = 2,
};

/* The non-ASCII part of the basic table, sorted for bsearch. */
static const uint16_t gsm_basic_other[] = {
    0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
    0x00C9, 0x00D1, 0x00D6, 0x00D8, 0x00DC, 0x00DF, 0x00E0, 0x00E4, 0x00E5, 0x00E6,
    0x00E8, 0x00E9, 0x00EC, 0x00F1, 0x00F2, 0x00F6, 0x00F8, 0x00F9, 0x00FC, 0x0393,
    0x0394, 0x0398, 0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9,
};

#define EURO_SIGN 0x20ACu /* the one extension character outside ASCII */

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

    return (x > y) - (x < y);
}

/* Septets cp takes in GSM-7, or 0 if it forces UCS-2. */
static unsigned gsm_septets(uint32_t cp)
{
    uint16_t key;

    if (cp < 0x80)
        return ascii_septets[cp];
    if (cp == EURO_SIGN)
        return 2;
    if (cp > 0x03A9)
        return 0;
    key = (uint16_t)cp;
    return bsearch(&key, gsm_basic_other, sizeof gsm_basic_other / sizeof gsm_basic_other[0],
                   sizeof gsm_basic_other[0], cmp_u16)
               ? 1
               : 0;
}

/* ---- Suggested GSM-7 replacements -------------------------------------- */

typedef struct {
    uint32_t cp;
    const char *text;
} replacement;

/*
 * Look-alikes people paste from word processors and phones. The replacement
 * is GSM-7 text that reads the same; "" means the character is invisible
 * and can simply be dropped. Sorted by code point.
 */
static const replacement replacements[] = {
    {0x0009, " "},   {0x0060, "'"},   {0x00A0, " "},   {0x00A2, "c"},  {0x00A9, "(c)"},
    {0x00AB, "\""},  {0x00AD, ""},    {0x00AE, "(R)"}, {0x00B2, "2"},  {0x00B3, "3"},
    {0x00B4, "'"},   {0x00B7, "*"},   {0x00B9, "1"},   {0x00BB, "\""}, {0x00BC, "1/4"},
    {0x00BD, "1/2"}, {0x00BE, "3/4"}, {0x00C0, "A"},   {0x00C1, "A"},  {0x00C2, "A"},
    {0x00C3, "A"},   {0x00C8, "E"},   {0x00CA, "E"},   {0x00CB, "E"},  {0x00CC, "I"},
    {0x00CD, "I"},   {0x00CE, "I"},   {0x00CF, "I"},   {0x00D0, "D"},  {0x00D2, "O"},
    {0x00D3, "O"},   {0x00D4, "O"},   {0x00D5, "O"},   {0x00D7, "x"},  {0x00D9, "U"},
    {0x00DA, "U"},   {0x00DB, "U"},   {0x00DD, "Y"},   {0x00DE, "Th"}, {0x00E1, "a"},
    {0x00E2, "a"},   {0x00E3, "a"},   {0x00E7, "c"},   {0x00EA, "e"},  {0x00EB, "e"},
    {0x00ED, "i"},   {0x00EE, "i"},   {0x00EF, "i"},   {0x00F0, "d"},  {0x00F3, "o"},
    {0x00F4, "o"},   {0x00F5, "o"},   {0x00F7, "/"},   {0x00FA, "u"},  {0x00FB, "u"},
    {0x00FD, "y"},   {0x00FE, "th"},  {0x00FF, "y"},   {0x0152, "OE"}, {0x0153, "oe"},
    {0x02BC, "'"},   {0x02C6, "^"},   {0x02DC, "~"},   {0x1680, " "},  {0x2000, " "},
    {0x2001, " "},   {0x2002, " "},   {0x2003, " "},   {0x2004, " "},  {0x2005, " "},
    {0x2006, " "},   {0x2007, " "},   {0x2008, " "},   {0x2009, " "},  {0x200A, " "},
    {0x200B, ""},    {0x200C, ""},    {0x200D, ""},    {0x2010, "-"},  {0x2011, "-"},
    {0x2012, "-"},   {0x2013, "-"},   {0x2014, "-"},   {0x2015, "-"},  {0x2018, "'"},
    {0x2019, "'"},   {0x201A, "'"},   {0x201B, "'"},   {0x201C, "\""}, {0x201D, "\""},
    {0x201E, "\""},  {0x201F, "\""},  {0x2022, "*"},   {0x2023, "*"},  {0x2026, "..."},
    {0x2028, "\n"},  {0x2029, "\n"},  {0x202F, " "},   {0x2032, "'"},  {0x2033, "\""},
    {0x2039, "<"},   {0x203A, ">"},   {0x2043, "-"},   {0x2044, "/"},  {0x205F, " "},
    {0x2060, ""},    {0x2122, "TM"},  {0x2212, "-"},   {0x2215, "/"},  {0x2219, "*"},
    {0x25CF, "*"},   {0x25E6, "*"},   {0x3000, " "},   {0x3001, ","},  {0x3002, "."},
    {0xFEFF, ""},
};

/*
 * Full-width ASCII (U+FF01..U+FF5E) maps onto '!'..'~' in order; indexed by
 * cp - 0xFF01. The full-width backtick has no GSM-7 twin, hence "'".
 */
static const char fullwidth[94][2] = {
    "!", "\"", "#",  "$", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/", "0", "1", "2", "3",
    "4", "5",  "6",  "7", "8", "9", ":", ";", "<", "=", ">", "?", "@", "A", "B", "C", "D", "E", "F",
    "G", "H",  "I",  "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y",
    "Z", "[",  "\\", "]", "^", "_", "'", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
    "m", "n",  "o",  "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "{", "|", "}", "~",
};

static int cmp_replacement(const void *key, const void *elem)
{
    uint32_t cp = *(const uint32_t *)key;
    uint32_t other = ((const replacement *)elem)->cp;

    return (cp > other) - (cp < other);
}

static const char *replacement_for(uint32_t cp)
{
    const replacement *r;

    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return fullwidth[cp - 0xFF01];
    r = bsearch(&cp, replacements, sizeof replacements / sizeof replacements[0],
                sizeof replacements[0], cmp_replacement);
    return r ? r->text : NULL;
}

/* ---- Grapheme clusters, as the reference's splitter finds them ---------- */

/* Grapheme_Cluster_Break values of Unicode 10 (with the emoji ones). */
typedef enum {
    GB_OTHER,
    GB_CR,
    GB_LF,
    GB_CONTROL,
    GB_EXTEND,
    GB_RI,
    GB_SPACING,
    GB_L,
    GB_V,
    GB_T,
    GB_LV,
    GB_LVT,
    GB_PREPEND,
    GB_EBASE,
    GB_EMOD,
    GB_ZWJ,
    GB_GAZ,
    GB_EBG,
    GB_NONE /* "no such position": the splitter reads past the start */
} gbp;

typedef struct {
    uint32_t first;
    uint32_t last;
    unsigned char prop;
} gb_range;

/*
 * Every code point that is not GB_OTHER, outside the precomposed Hangul
 * syllables (computed instead). Derived from GraphemeBreakProperty.txt
 * 10.0.0 plus the emoji properties, exactly the data the reference's
 * splitter (grapheme-splitter 1.0.4) carries, so clusters break in the same
 * places even where later Unicode versions changed the rules.
 */
static const gb_range gb_ranges[] = {
    {0x0000, 0x0009, GB_CONTROL},   {0x000A, 0x000A, GB_LF},        {0x000B, 0x000C, GB_CONTROL},
    {0x000D, 0x000D, GB_CR},        {0x000E, 0x001F, GB_CONTROL},   {0x007F, 0x009F, GB_CONTROL},
    {0x00AD, 0x00AD, GB_CONTROL},   {0x0300, 0x036F, GB_EXTEND},    {0x0483, 0x0489, GB_EXTEND},
    {0x0591, 0x05BD, GB_EXTEND},    {0x05BF, 0x05BF, GB_EXTEND},    {0x05C1, 0x05C2, GB_EXTEND},
    {0x05C4, 0x05C5, GB_EXTEND},    {0x05C7, 0x05C7, GB_EXTEND},    {0x0600, 0x0605, GB_PREPEND},
    {0x0610, 0x061A, GB_EXTEND},    {0x061C, 0x061C, GB_CONTROL},   {0x064B, 0x065F, GB_EXTEND},
    {0x0670, 0x0670, GB_EXTEND},    {0x06D6, 0x06DC, GB_EXTEND},    {0x06DD, 0x06DD, GB_PREPEND},
    {0x06DF, 0x06E4, GB_EXTEND},    {0x06E7, 0x06E8, GB_EXTEND},    {0x06EA, 0x06ED, GB_EXTEND},
    {0x070F, 0x070F, GB_PREPEND},   {0x0711, 0x0711, GB_EXTEND},    {0x0730, 0x074A, GB_EXTEND},
    {0x07A6, 0x07B0, GB_EXTEND},    {0x07EB, 0x07F3, GB_EXTEND},    {0x0816, 0x0819, GB_EXTEND},
    {0x081B, 0x0823, GB_EXTEND},    {0x0825, 0x0827, GB_EXTEND},    {0x0829, 0x082D, GB_EXTEND},
    {0x0859, 0x085B, GB_EXTEND},    {0x08D4, 0x08E1, GB_EXTEND},    {0x08E2, 0x08E2, GB_PREPEND},
    {0x08E3, 0x0902, GB_EXTEND},    {0x0903, 0x0903, GB_SPACING},   {0x093A, 0x093A, GB_EXTEND},
    {0x093B, 0x093B, GB_SPACING},   {0x093C, 0x093C, GB_EXTEND},    {0x093E, 0x0940, GB_SPACING},
    {0x0941, 0x0948, GB_EXTEND},    {0x0949, 0x094C, GB_SPACING},   {0x094D, 0x094D, GB_EXTEND},
    {0x094E, 0x094F, GB_SPACING},   {0x0951, 0x0957, GB_EXTEND},    {0x0962, 0x0963, GB_EXTEND},
    {0x0981, 0x0981, GB_EXTEND},    {0x0982, 0x0983, GB_SPACING},   {0x09BC, 0x09BC, GB_EXTEND},
    {0x09BE, 0x09BE, GB_EXTEND},    {0x09BF, 0x09C0, GB_SPACING},   {0x09C1, 0x09C4, GB_EXTEND},
    {0x09C7, 0x09C8, GB_SPACING},   {0x09CB, 0x09CC, GB_SPACING},   {0x09CD, 0x09CD, GB_EXTEND},
    {0x09D7, 0x09D7, GB_EXTEND},    {0x09E2, 0x09E3, GB_EXTEND},    {0x0A01, 0x0A02, GB_EXTEND},
    {0x0A03, 0x0A03, GB_SPACING},   {0x0A3C, 0x0A3C, GB_EXTEND},    {0x0A3E, 0x0A40, GB_SPACING},
    {0x0A41, 0x0A42, GB_EXTEND},    {0x0A47, 0x0A48, GB_EXTEND},    {0x0A4B, 0x0A4D, GB_EXTEND},
    {0x0A51, 0x0A51, GB_EXTEND},    {0x0A70, 0x0A71, GB_EXTEND},    {0x0A75, 0x0A75, GB_EXTEND},
    {0x0A81, 0x0A82, GB_EXTEND},    {0x0A83, 0x0A83, GB_SPACING},   {0x0ABC, 0x0ABC, GB_EXTEND},
    {0x0ABE, 0x0AC0, GB_SPACING},   {0x0AC1, 0x0AC5, GB_EXTEND},    {0x0AC7, 0x0AC8, GB_EXTEND},
    {0x0AC9, 0x0AC9, GB_SPACING},   {0x0ACB, 0x0ACC, GB_SPACING},   {0x0ACD, 0x0ACD, GB_EXTEND},
    {0x0AE2, 0x0AE3, GB_EXTEND},    {0x0AFA, 0x0AFF, GB_EXTEND},    {0x0B01, 0x0B01, GB_EXTEND},
    {0x0B02, 0x0B03, GB_SPACING},   {0x0B3C, 0x0B3C, GB_EXTEND},    {0x0B3E, 0x0B3F, GB_EXTEND},
    {0x0B40, 0x0B40, GB_SPACING},   {0x0B41, 0x0B44, GB_EXTEND},    {0x0B47, 0x0B48, GB_SPACING},
    {0x0B4B, 0x0B4C, GB_SPACING},   {0x0B4D, 0x0B4D, GB_EXTEND},    {0x0B56, 0x0B57, GB_EXTEND},
    {0x0B62, 0x0B63, GB_EXTEND},    {0x0B82, 0x0B82, GB_EXTEND},    {0x0BBE, 0x0BBE, GB_EXTEND},
    {0x0BBF, 0x0BBF, GB_SPACING},   {0x0BC0, 0x0BC0, GB_EXTEND},    {0x0BC1, 0x0BC2, GB_SPACING},
    {0x0BC6, 0x0BC8, GB_SPACING},   {0x0BCA, 0x0BCC, GB_SPACING},   {0x0BCD, 0x0BCD, GB_EXTEND},
    {0x0BD7, 0x0BD7, GB_EXTEND},    {0x0C00, 0x0C00, GB_EXTEND},    {0x0C01, 0x0C03, GB_SPACING},
    {0x0C3E, 0x0C40, GB_EXTEND},    {0x0C41, 0x0C44, GB_SPACING},   {0x0C46, 0x0C48, GB_EXTEND},
    {0x0C4A, 0x0C4D, GB_EXTEND},    {0x0C55, 0x0C56, GB_EXTEND},    {0x0C62, 0x0C63, GB_EXTEND},
    {0x0C81, 0x0C81, GB_EXTEND},    {0x0C82, 0x0C83, GB_SPACING},   {0x0CBC, 0x0CBC, GB_EXTEND},
    {0x0CBE, 0x0CBE, GB_SPACING},   {0x0CBF, 0x0CBF, GB_EXTEND},    {0x0CC0, 0x0CC1, GB_SPACING},
    {0x0CC2, 0x0CC2, GB_EXTEND},    {0x0CC3, 0x0CC4, GB_SPACING},   {0x0CC6, 0x0CC6, GB_EXTEND},
    {0x0CC7, 0x0CC8, GB_SPACING},   {0x0CCA, 0x0CCB, GB_SPACING},   {0x0CCC, 0x0CCD, GB_EXTEND},
    {0x0CD5, 0x0CD6, GB_EXTEND},    {0x0CE2, 0x0CE3, GB_EXTEND},    {0x0D00, 0x0D01, GB_EXTEND},
    {0x0D02, 0x0D03, GB_SPACING},   {0x0D3B, 0x0D3C, GB_EXTEND},    {0x0D3E, 0x0D3E, GB_EXTEND},
    {0x0D3F, 0x0D40, GB_SPACING},   {0x0D41, 0x0D44, GB_EXTEND},    {0x0D46, 0x0D48, GB_SPACING},
    {0x0D4A, 0x0D4C, GB_SPACING},   {0x0D4D, 0x0D4D, GB_EXTEND},    {0x0D4E, 0x0D4E, GB_PREPEND},
    {0x0D57, 0x0D57, GB_EXTEND},    {0x0D62, 0x0D63, GB_EXTEND},    {0x0D82, 0x0D83, GB_SPACING},
    {0x0DCA, 0x0DCA, GB_EXTEND},    {0x0DCF, 0x0DCF, GB_EXTEND},    {0x0DD0, 0x0DD1, GB_SPACING},
    {0x0DD2, 0x0DD4, GB_EXTEND},    {0x0DD6, 0x0DD6, GB_EXTEND},    {0x0DD8, 0x0DDE, GB_SPACING},
    {0x0DDF, 0x0DDF, GB_EXTEND},    {0x0DF2, 0x0DF3, GB_SPACING},   {0x0E31, 0x0E31, GB_EXTEND},
    {0x0E33, 0x0E33, GB_SPACING},   {0x0E34, 0x0E3A, GB_EXTEND},    {0x0E47, 0x0E4E, GB_EXTEND},
    {0x0EB1, 0x0EB1, GB_EXTEND},    {0x0EB3, 0x0EB3, GB_SPACING},   {0x0EB4, 0x0EB9, GB_EXTEND},
    {0x0EBB, 0x0EBC, GB_EXTEND},    {0x0EC8, 0x0ECD, GB_EXTEND},    {0x0F18, 0x0F19, GB_EXTEND},
    {0x0F35, 0x0F35, GB_EXTEND},    {0x0F37, 0x0F37, GB_EXTEND},    {0x0F39, 0x0F39, GB_EXTEND},
    {0x0F3E, 0x0F3F, GB_SPACING},   {0x0F71, 0x0F7E, GB_EXTEND},    {0x0F7F, 0x0F7F, GB_SPACING},
    {0x0F80, 0x0F84, GB_EXTEND},    {0x0F86, 0x0F87, GB_EXTEND},    {0x0F8D, 0x0F97, GB_EXTEND},
    {0x0F99, 0x0FBC, GB_EXTEND},    {0x0FC6, 0x0FC6, GB_EXTEND},    {0x102D, 0x1030, GB_EXTEND},
    {0x1031, 0x1031, GB_SPACING},   {0x1032, 0x1037, GB_EXTEND},    {0x1039, 0x103A, GB_EXTEND},
    {0x103B, 0x103C, GB_SPACING},   {0x103D, 0x103E, GB_EXTEND},    {0x1056, 0x1057, GB_SPACING},
    {0x1058, 0x1059, GB_EXTEND},    {0x105E, 0x1060, GB_EXTEND},    {0x1071, 0x1074, GB_EXTEND},
    {0x1082, 0x1082, GB_EXTEND},    {0x1084, 0x1084, GB_SPACING},   {0x1085, 0x1086, GB_EXTEND},
    {0x108D, 0x108D, GB_EXTEND},    {0x109D, 0x109D, GB_EXTEND},    {0x1100, 0x115F, GB_L},
    {0x1160, 0x11A7, GB_V},         {0x11A8, 0x11FF, GB_T},         {0x135D, 0x135F, GB_EXTEND},
    {0x1712, 0x1714, GB_EXTEND},    {0x1732, 0x1734, GB_EXTEND},    {0x1752, 0x1753, GB_EXTEND},
    {0x1772, 0x1773, GB_EXTEND},    {0x17B4, 0x17B5, GB_EXTEND},    {0x17B6, 0x17B6, GB_SPACING},
    {0x17B7, 0x17BD, GB_EXTEND},    {0x17BE, 0x17C5, GB_SPACING},   {0x17C6, 0x17C6, GB_EXTEND},
    {0x17C7, 0x17C8, GB_SPACING},   {0x17C9, 0x17D3, GB_EXTEND},    {0x17DD, 0x17DD, GB_EXTEND},
    {0x180B, 0x180D, GB_EXTEND},    {0x180E, 0x180E, GB_CONTROL},   {0x1885, 0x1886, GB_EXTEND},
    {0x18A9, 0x18A9, GB_EXTEND},    {0x1920, 0x1922, GB_EXTEND},    {0x1923, 0x1926, GB_SPACING},
    {0x1927, 0x1928, GB_EXTEND},    {0x1929, 0x192B, GB_SPACING},   {0x1930, 0x1931, GB_SPACING},
    {0x1932, 0x1932, GB_EXTEND},    {0x1933, 0x1938, GB_SPACING},   {0x1939, 0x193B, GB_EXTEND},
    {0x1A17, 0x1A18, GB_EXTEND},    {0x1A19, 0x1A1A, GB_SPACING},   {0x1A1B, 0x1A1B, GB_EXTEND},
    {0x1A55, 0x1A55, GB_SPACING},   {0x1A56, 0x1A56, GB_EXTEND},    {0x1A57, 0x1A57, GB_SPACING},
    {0x1A58, 0x1A5E, GB_EXTEND},    {0x1A60, 0x1A60, GB_EXTEND},    {0x1A62, 0x1A62, GB_EXTEND},
    {0x1A65, 0x1A6C, GB_EXTEND},    {0x1A6D, 0x1A72, GB_SPACING},   {0x1A73, 0x1A7C, GB_EXTEND},
    {0x1A7F, 0x1A7F, GB_EXTEND},    {0x1AB0, 0x1ABE, GB_EXTEND},    {0x1B00, 0x1B03, GB_EXTEND},
    {0x1B04, 0x1B04, GB_SPACING},   {0x1B34, 0x1B34, GB_EXTEND},    {0x1B35, 0x1B35, GB_SPACING},
    {0x1B36, 0x1B3A, GB_EXTEND},    {0x1B3B, 0x1B3B, GB_SPACING},   {0x1B3C, 0x1B3C, GB_EXTEND},
    {0x1B3D, 0x1B41, GB_SPACING},   {0x1B42, 0x1B42, GB_EXTEND},    {0x1B43, 0x1B44, GB_SPACING},
    {0x1B6B, 0x1B73, GB_EXTEND},    {0x1B80, 0x1B81, GB_EXTEND},    {0x1B82, 0x1B82, GB_SPACING},
    {0x1BA1, 0x1BA1, GB_SPACING},   {0x1BA2, 0x1BA5, GB_EXTEND},    {0x1BA6, 0x1BA7, GB_SPACING},
    {0x1BA8, 0x1BA9, GB_EXTEND},    {0x1BAA, 0x1BAA, GB_SPACING},   {0x1BAB, 0x1BAD, GB_EXTEND},
    {0x1BE6, 0x1BE6, GB_EXTEND},    {0x1BE7, 0x1BE7, GB_SPACING},   {0x1BE8, 0x1BE9, GB_EXTEND},
    {0x1BEA, 0x1BEC, GB_SPACING},   {0x1BED, 0x1BED, GB_EXTEND},    {0x1BEE, 0x1BEE, GB_SPACING},
    {0x1BEF, 0x1BF1, GB_EXTEND},    {0x1BF2, 0x1BF3, GB_SPACING},   {0x1C24, 0x1C2B, GB_SPACING},
    {0x1C2C, 0x1C33, GB_EXTEND},    {0x1C34, 0x1C35, GB_SPACING},   {0x1C36, 0x1C37, GB_EXTEND},
    {0x1CD0, 0x1CD2, GB_EXTEND},    {0x1CD4, 0x1CE0, GB_EXTEND},    {0x1CE1, 0x1CE1, GB_SPACING},
    {0x1CE2, 0x1CE8, GB_EXTEND},    {0x1CED, 0x1CED, GB_EXTEND},    {0x1CF2, 0x1CF3, GB_SPACING},
    {0x1CF4, 0x1CF4, GB_EXTEND},    {0x1CF7, 0x1CF7, GB_SPACING},   {0x1CF8, 0x1CF9, GB_EXTEND},
    {0x1DC0, 0x1DF9, GB_EXTEND},    {0x1DFB, 0x1DFF, GB_EXTEND},    {0x200B, 0x200B, GB_CONTROL},
    {0x200C, 0x200C, GB_EXTEND},    {0x200D, 0x200D, GB_ZWJ},       {0x200E, 0x200F, GB_CONTROL},
    {0x2028, 0x202E, GB_CONTROL},   {0x2060, 0x206F, GB_CONTROL},   {0x20D0, 0x20F0, GB_EXTEND},
    {0x261D, 0x261D, GB_EBASE},     {0x2640, 0x2640, GB_GAZ},       {0x2642, 0x2642, GB_GAZ},
    {0x2695, 0x2696, GB_GAZ},       {0x26F9, 0x26F9, GB_EBASE},     {0x2708, 0x2708, GB_GAZ},
    {0x270A, 0x270D, GB_EBASE},     {0x2764, 0x2764, GB_GAZ},       {0x2CEF, 0x2CF1, GB_EXTEND},
    {0x2D7F, 0x2D7F, GB_EXTEND},    {0x2DE0, 0x2DFF, GB_EXTEND},    {0x302A, 0x302F, GB_EXTEND},
    {0x3099, 0x309A, GB_EXTEND},    {0xA66F, 0xA672, GB_EXTEND},    {0xA674, 0xA67D, GB_EXTEND},
    {0xA69E, 0xA69F, GB_EXTEND},    {0xA6F0, 0xA6F1, GB_EXTEND},    {0xA802, 0xA802, GB_EXTEND},
    {0xA806, 0xA806, GB_EXTEND},    {0xA80B, 0xA80B, GB_EXTEND},    {0xA823, 0xA824, GB_SPACING},
    {0xA825, 0xA826, GB_EXTEND},    {0xA827, 0xA827, GB_SPACING},   {0xA880, 0xA881, GB_SPACING},
    {0xA8B4, 0xA8C3, GB_SPACING},   {0xA8C4, 0xA8C5, GB_EXTEND},    {0xA8E0, 0xA8F1, GB_EXTEND},
    {0xA926, 0xA92D, GB_EXTEND},    {0xA947, 0xA951, GB_EXTEND},    {0xA952, 0xA953, GB_SPACING},
    {0xA960, 0xA97C, GB_L},         {0xA980, 0xA982, GB_EXTEND},    {0xA983, 0xA983, GB_SPACING},
    {0xA9B3, 0xA9B3, GB_EXTEND},    {0xA9B4, 0xA9B5, GB_SPACING},   {0xA9B6, 0xA9B9, GB_EXTEND},
    {0xA9BA, 0xA9BB, GB_SPACING},   {0xA9BC, 0xA9BC, GB_EXTEND},    {0xA9BD, 0xA9C0, GB_SPACING},
    {0xA9E5, 0xA9E5, GB_EXTEND},    {0xAA29, 0xAA2E, GB_EXTEND},    {0xAA2F, 0xAA30, GB_SPACING},
    {0xAA31, 0xAA32, GB_EXTEND},    {0xAA33, 0xAA34, GB_SPACING},   {0xAA35, 0xAA36, GB_EXTEND},
    {0xAA43, 0xAA43, GB_EXTEND},    {0xAA4C, 0xAA4C, GB_EXTEND},    {0xAA4D, 0xAA4D, GB_SPACING},
    {0xAA7C, 0xAA7C, GB_EXTEND},    {0xAAB0, 0xAAB0, GB_EXTEND},    {0xAAB2, 0xAAB4, GB_EXTEND},
    {0xAAB7, 0xAAB8, GB_EXTEND},    {0xAABE, 0xAABF, GB_EXTEND},    {0xAAC1, 0xAAC1, GB_EXTEND},
    {0xAAEB, 0xAAEB, GB_SPACING},   {0xAAEC, 0xAAED, GB_EXTEND},    {0xAAEE, 0xAAEF, GB_SPACING},
    {0xAAF5, 0xAAF5, GB_SPACING},   {0xAAF6, 0xAAF6, GB_EXTEND},    {0xABE3, 0xABE4, GB_SPACING},
    {0xABE5, 0xABE5, GB_EXTEND},    {0xABE6, 0xABE7, GB_SPACING},   {0xABE8, 0xABE8, GB_EXTEND},
    {0xABE9, 0xABEA, GB_SPACING},   {0xABEC, 0xABEC, GB_SPACING},   {0xABED, 0xABED, GB_EXTEND},
    {0xD7B0, 0xD7C6, GB_V},         {0xD7CB, 0xD7FB, GB_T},         {0xFB1E, 0xFB1E, GB_EXTEND},
    {0xFE00, 0xFE0F, GB_EXTEND},    {0xFE20, 0xFE2F, GB_EXTEND},    {0xFEFF, 0xFEFF, GB_CONTROL},
    {0xFF9E, 0xFF9F, GB_EXTEND},    {0xFFF0, 0xFFFB, GB_CONTROL},   {0x101FD, 0x101FD, GB_EXTEND},
    {0x102E0, 0x102E0, GB_EXTEND},  {0x10376, 0x1037A, GB_EXTEND},  {0x10A01, 0x10A03, GB_EXTEND},
    {0x10A05, 0x10A06, GB_EXTEND},  {0x10A0C, 0x10A0F, GB_EXTEND},  {0x10A38, 0x10A3A, GB_EXTEND},
    {0x10A3F, 0x10A3F, GB_EXTEND},  {0x10AE5, 0x10AE6, GB_EXTEND},  {0x11000, 0x11000, GB_SPACING},
    {0x11001, 0x11001, GB_EXTEND},  {0x11002, 0x11002, GB_SPACING}, {0x11038, 0x11046, GB_EXTEND},
    {0x1107F, 0x11081, GB_EXTEND},  {0x11082, 0x11082, GB_SPACING}, {0x110B0, 0x110B2, GB_SPACING},
    {0x110B3, 0x110B6, GB_EXTEND},  {0x110B7, 0x110B8, GB_SPACING}, {0x110B9, 0x110BA, GB_EXTEND},
    {0x110BD, 0x110BD, GB_PREPEND}, {0x11100, 0x11102, GB_EXTEND},  {0x11127, 0x1112B, GB_EXTEND},
    {0x1112C, 0x1112C, GB_SPACING}, {0x1112D, 0x11134, GB_EXTEND},  {0x11173, 0x11173, GB_EXTEND},
    {0x11180, 0x11181, GB_EXTEND},  {0x11182, 0x11182, GB_SPACING}, {0x111B3, 0x111B5, GB_SPACING},
    {0x111B6, 0x111BE, GB_EXTEND},  {0x111BF, 0x111C0, GB_SPACING}, {0x111C2, 0x111C3, GB_PREPEND},
    {0x111CA, 0x111CC, GB_EXTEND},  {0x1122C, 0x1122E, GB_SPACING}, {0x1122F, 0x11231, GB_EXTEND},
    {0x11232, 0x11233, GB_SPACING}, {0x11234, 0x11234, GB_EXTEND},  {0x11235, 0x11235, GB_SPACING},
    {0x11236, 0x11237, GB_EXTEND},  {0x1123E, 0x1123E, GB_EXTEND},  {0x112DF, 0x112DF, GB_EXTEND},
    {0x112E0, 0x112E2, GB_SPACING}, {0x112E3, 0x112EA, GB_EXTEND},  {0x11300, 0x11301, GB_EXTEND},
    {0x11302, 0x11303, GB_SPACING}, {0x1133C, 0x1133C, GB_EXTEND},  {0x1133E, 0x1133E, GB_EXTEND},
    {0x1133F, 0x1133F, GB_SPACING}, {0x11340, 0x11340, GB_EXTEND},  {0x11341, 0x11344, GB_SPACING},
    {0x11347, 0x11348, GB_SPACING}, {0x1134B, 0x1134D, GB_SPACING}, {0x11357, 0x11357, GB_EXTEND},
    {0x11362, 0x11363, GB_SPACING}, {0x11366, 0x1136C, GB_EXTEND},  {0x11370, 0x11374, GB_EXTEND},
    {0x11435, 0x11437, GB_SPACING}, {0x11438, 0x1143F, GB_EXTEND},  {0x11440, 0x11441, GB_SPACING},
    {0x11442, 0x11444, GB_EXTEND},  {0x11445, 0x11445, GB_SPACING}, {0x11446, 0x11446, GB_EXTEND},
    {0x114B0, 0x114B0, GB_EXTEND},  {0x114B1, 0x114B2, GB_SPACING}, {0x114B3, 0x114B8, GB_EXTEND},
    {0x114B9, 0x114B9, GB_SPACING}, {0x114BA, 0x114BA, GB_EXTEND},  {0x114BB, 0x114BC, GB_SPACING},
    {0x114BD, 0x114BD, GB_EXTEND},  {0x114BE, 0x114BE, GB_SPACING}, {0x114BF, 0x114C0, GB_EXTEND},
    {0x114C1, 0x114C1, GB_SPACING}, {0x114C2, 0x114C3, GB_EXTEND},  {0x115AF, 0x115AF, GB_EXTEND},
    {0x115B0, 0x115B1, GB_SPACING}, {0x115B2, 0x115B5, GB_EXTEND},  {0x115B8, 0x115BB, GB_SPACING},
    {0x115BC, 0x115BD, GB_EXTEND},  {0x115BE, 0x115BE, GB_SPACING}, {0x115BF, 0x115C0, GB_EXTEND},
    {0x115DC, 0x115DD, GB_EXTEND},  {0x11630, 0x11632, GB_SPACING}, {0x11633, 0x1163A, GB_EXTEND},
    {0x1163B, 0x1163C, GB_SPACING}, {0x1163D, 0x1163D, GB_EXTEND},  {0x1163E, 0x1163E, GB_SPACING},
    {0x1163F, 0x11640, GB_EXTEND},  {0x116AB, 0x116AB, GB_EXTEND},  {0x116AC, 0x116AC, GB_SPACING},
    {0x116AD, 0x116AD, GB_EXTEND},  {0x116AE, 0x116AF, GB_SPACING}, {0x116B0, 0x116B5, GB_EXTEND},
    {0x116B6, 0x116B6, GB_SPACING}, {0x116B7, 0x116B7, GB_EXTEND},  {0x1171D, 0x1171F, GB_EXTEND},
    {0x11720, 0x11721, GB_SPACING}, {0x11722, 0x11725, GB_EXTEND},  {0x11726, 0x11726, GB_SPACING},
    {0x11727, 0x1172B, GB_EXTEND},  {0x11A01, 0x11A06, GB_EXTEND},  {0x11A07, 0x11A08, GB_SPACING},
    {0x11A09, 0x11A0A, GB_EXTEND},  {0x11A33, 0x11A38, GB_EXTEND},  {0x11A39, 0x11A39, GB_SPACING},
    {0x11A3A, 0x11A3A, GB_PREPEND}, {0x11A3B, 0x11A3E, GB_EXTEND},  {0x11A47, 0x11A47, GB_EXTEND},
    {0x11A51, 0x11A56, GB_EXTEND},  {0x11A57, 0x11A58, GB_SPACING}, {0x11A59, 0x11A5B, GB_EXTEND},
    {0x11A86, 0x11A89, GB_PREPEND}, {0x11A8A, 0x11A96, GB_EXTEND},  {0x11A97, 0x11A97, GB_SPACING},
    {0x11A98, 0x11A99, GB_EXTEND},  {0x11C2F, 0x11C2F, GB_SPACING}, {0x11C30, 0x11C36, GB_EXTEND},
    {0x11C38, 0x11C3D, GB_EXTEND},  {0x11C3E, 0x11C3E, GB_SPACING}, {0x11C3F, 0x11C3F, GB_EXTEND},
    {0x11C92, 0x11CA7, GB_EXTEND},  {0x11CA9, 0x11CA9, GB_SPACING}, {0x11CAA, 0x11CB0, GB_EXTEND},
    {0x11CB1, 0x11CB1, GB_SPACING}, {0x11CB2, 0x11CB3, GB_EXTEND},  {0x11CB4, 0x11CB4, GB_SPACING},
    {0x11CB5, 0x11CB6, GB_EXTEND},  {0x11D31, 0x11D36, GB_EXTEND},  {0x11D3A, 0x11D3A, GB_EXTEND},
    {0x11D3C, 0x11D3D, GB_EXTEND},  {0x11D3F, 0x11D45, GB_EXTEND},  {0x11D46, 0x11D46, GB_PREPEND},
    {0x11D47, 0x11D47, GB_EXTEND},  {0x16AF0, 0x16AF4, GB_EXTEND},  {0x16B30, 0x16B36, GB_EXTEND},
    {0x16F51, 0x16F7E, GB_SPACING}, {0x16F8F, 0x16F92, GB_EXTEND},  {0x1BC9D, 0x1BC9E, GB_EXTEND},
    {0x1BCA0, 0x1BCA3, GB_CONTROL}, {0x1D165, 0x1D165, GB_EXTEND},  {0x1D166, 0x1D166, GB_SPACING},
    {0x1D167, 0x1D169, GB_EXTEND},  {0x1D16D, 0x1D16D, GB_SPACING}, {0x1D16E, 0x1D172, GB_EXTEND},
    {0x1D173, 0x1D17A, GB_CONTROL}, {0x1D17B, 0x1D182, GB_EXTEND},  {0x1D185, 0x1D18B, GB_EXTEND},
    {0x1D1AA, 0x1D1AD, GB_EXTEND},  {0x1D242, 0x1D244, GB_EXTEND},  {0x1DA00, 0x1DA36, GB_EXTEND},
    {0x1DA3B, 0x1DA6C, GB_EXTEND},  {0x1DA75, 0x1DA75, GB_EXTEND},  {0x1DA84, 0x1DA84, GB_EXTEND},
    {0x1DA9B, 0x1DA9F, GB_EXTEND},  {0x1DAA1, 0x1DAAF, GB_EXTEND},  {0x1E000, 0x1E006, GB_EXTEND},
    {0x1E008, 0x1E018, GB_EXTEND},  {0x1E01B, 0x1E021, GB_EXTEND},  {0x1E023, 0x1E024, GB_EXTEND},
    {0x1E026, 0x1E02A, GB_EXTEND},  {0x1E8D0, 0x1E8D6, GB_EXTEND},  {0x1E944, 0x1E94A, GB_EXTEND},
    {0x1F1E6, 0x1F1FF, GB_RI},      {0x1F308, 0x1F308, GB_GAZ},     {0x1F33E, 0x1F33E, GB_GAZ},
    {0x1F373, 0x1F373, GB_GAZ},     {0x1F385, 0x1F385, GB_EBASE},   {0x1F393, 0x1F393, GB_GAZ},
    {0x1F3A4, 0x1F3A4, GB_GAZ},     {0x1F3A8, 0x1F3A8, GB_GAZ},     {0x1F3C2, 0x1F3C4, GB_EBASE},
    {0x1F3C7, 0x1F3C7, GB_EBASE},   {0x1F3CA, 0x1F3CC, GB_EBASE},   {0x1F3EB, 0x1F3EB, GB_GAZ},
    {0x1F3ED, 0x1F3ED, GB_GAZ},     {0x1F3FB, 0x1F3FF, GB_EMOD},    {0x1F442, 0x1F443, GB_EBASE},
    {0x1F446, 0x1F450, GB_EBASE},   {0x1F466, 0x1F469, GB_EBG},     {0x1F46E, 0x1F46E, GB_EBASE},
    {0x1F470, 0x1F478, GB_EBASE},   {0x1F47C, 0x1F47C, GB_EBASE},   {0x1F481, 0x1F483, GB_EBASE},
    {0x1F485, 0x1F487, GB_EBASE},   {0x1F48B, 0x1F48B, GB_GAZ},     {0x1F4AA, 0x1F4AA, GB_EBASE},
    {0x1F4BB, 0x1F4BC, GB_GAZ},     {0x1F527, 0x1F527, GB_GAZ},     {0x1F52C, 0x1F52C, GB_GAZ},
    {0x1F574, 0x1F575, GB_EBASE},   {0x1F57A, 0x1F57A, GB_EBASE},   {0x1F590, 0x1F590, GB_EBASE},
    {0x1F595, 0x1F596, GB_EBASE},   {0x1F5E8, 0x1F5E8, GB_GAZ},     {0x1F645, 0x1F647, GB_EBASE},
    {0x1F64B, 0x1F64F, GB_EBASE},   {0x1F680, 0x1F680, GB_GAZ},     {0x1F692, 0x1F692, GB_GAZ},
    {0x1F6A3, 0x1F6A3, GB_EBASE},   {0x1F6B4, 0x1F6B6, GB_EBASE},   {0x1F6C0, 0x1F6C0, GB_EBASE},
    {0x1F6CC, 0x1F6CC, GB_EBASE},   {0x1F918, 0x1F91C, GB_EBASE},   {0x1F91E, 0x1F91F, GB_EBASE},
    {0x1F926, 0x1F926, GB_EBASE},   {0x1F930, 0x1F939, GB_EBASE},   {0x1F93D, 0x1F93E, GB_EBASE},
    {0x1F9D1, 0x1F9DD, GB_EBASE},   {0xE0000, 0xE001F, GB_CONTROL}, {0xE0020, 0xE007F, GB_EXTEND},
    {0xE0080, 0xE00FF, GB_CONTROL}, {0xE0100, 0xE01EF, GB_EXTEND},  {0xE01F0, 0xE0FFF, GB_CONTROL},
};

static int cmp_gb_range(const void *key, const void *elem)
{
    uint32_t cp = *(const uint32_t *)key;
    const gb_range *r = elem;

    return cp < r->first ? -1 : cp > r->last ? 1 : 0;
}

static gbp break_property(uint32_t cp)
{
    const gb_range *r;

    if (cp >= 0xAC00 && cp <= 0xD7A3)
        return (cp - 0xAC00) % 28 == 0 ? GB_LV : GB_LVT;
    r = bsearch(&cp, gb_ranges, sizeof gb_ranges / sizeof gb_ranges[0], sizeof gb_ranges[0],
                cmp_gb_range);
    return r ? (gbp)r->prop : GB_OTHER;
}

/*
 * The reference's splitter decides each break from the whole cluster so far
 * ("all" = first code point, the "mid" ones, the candidate), and some of its
 * rules differ from UAX #29 as written: a flag followed by two combining
 * marks loses the second one, an emoji base with two marks before a skin
 * tone loses the tone, and so on. Rather than keep the cluster's property
 * list (quadratic on long runs of marks) we keep just the summaries its
 * rules look at. Positions count from the first code point, which is 0;
 * -1 means "none".
 */
typedef struct {
    gbp start;
    gbp prev;                /* last code point of the cluster so far */
    ptrdiff_t n;             /* code points after the first */
    ptrdiff_t first_non_ext; /* first after position 0 that is not Extend */
    ptrdiff_t first_non_ri;  /* first after position 0 that is not RI */
    ptrdiff_t last_emod;
    ptrdiff_t last_ri;
    ptrdiff_t last_ext;
    gbp before_last_ext; /* property just before last_ext */
} cluster;

static void cluster_start(cluster *c, gbp p)
{
    c->start = p;
    c->prev = p;
    c->n = 0;
    c->first_non_ext = -1;
    c->first_non_ri = -1;
    c->last_emod = p == GB_EMOD ? 0 : -1;
    c->last_ri = p == GB_RI ? 0 : -1;
    c->last_ext = p == GB_EXTEND ? 0 : -1;
    c->before_last_ext = GB_NONE;
}

static void cluster_add(cluster *c, gbp p)
{
    ptrdiff_t pos = c->n + 1;

    if (p != GB_EXTEND && c->first_non_ext < 0)
        c->first_non_ext = pos;
    if (p != GB_RI && c->first_non_ri < 0)
        c->first_non_ri = pos;
    if (p == GB_EMOD)
        c->last_emod = pos;
    if (p == GB_RI)
        c->last_ri = pos;
    if (p == GB_EXTEND) {
        c->last_ext = pos;
        c->before_last_ext = c->prev;
    }
    c->prev = p;
    c->n = pos;
}

/* Are positions 1 .. end-1 all Extend (first_non) / all RI? */
static int run_before(ptrdiff_t first_non, ptrdiff_t end)
{
    return first_non < 0 || first_non >= end;
}

static int is_ebase(gbp p)
{
    return p == GB_EBASE || p == GB_EBG;
}

static int is_control(gbp p)
{
    return p == GB_CONTROL || p == GB_CR || p == GB_LF;
}

/* Does the reference break before a code point of property next? */
static int breaks_before(const cluster *c, gbp next)
{
    gbp prev = c->prev;
    ptrdiff_t at = c->n + 1; /* position next would take */
    ptrdiff_t i;

    /* Its look-ahead form of GB10 runs before everything else. */
    i = next == GB_EMOD ? at : c->last_emod;
    if (i > 1 && run_before(c->first_non_ext, i) && c->start != GB_EXTEND && !is_ebase(c->start))
        return 1;

    /* Its look-ahead form of GB12/13: either outcome is a break. */
    i = next == GB_RI ? at : c->last_ri;
    if (i > 0 && run_before(c->first_non_ri, i) && prev != GB_PREPEND && prev != GB_RI)
        return 1;

    /* GB3 joins CR LF, but the reference then splits that cluster again,
     * so CR LF are two separate characters. */
    if (prev == GB_CR)
        return 1;
    if (is_control(prev) || is_control(next))
        return 1;
    if (prev == GB_L && (next == GB_L || next == GB_V || next == GB_LV || next == GB_LVT))
        return 0;
    if ((prev == GB_LV || prev == GB_V) && (next == GB_V || next == GB_T))
        return 0;
    if ((prev == GB_LVT || prev == GB_T) && next == GB_T)
        return 0;
    if (next == GB_EXTEND || next == GB_ZWJ || next == GB_SPACING)
        return 0;
    if (prev == GB_PREPEND)
        return 0;

    /* Its GB10 looks only at what precedes the last Extend. */
    if (next == GB_EMOD) {
        if (c->last_ext < 0) {
            if (is_ebase(prev))
                return 0;
        } else if (c->last_ext >= 1 && c->last_ext == c->n && is_ebase(c->before_last_ext)) {
            return 0;
        }
    }
    if (prev == GB_ZWJ && (next == GB_GAZ || next == GB_EBG))
        return 0;
    if (c->last_ri >= 1)
        return 1;
    if (prev == GB_RI && next == GB_RI)
        return 0;
    return 1;
}

/* ---- Packing ----------------------------------------------------------- */

static unsigned utf16_units(uint32_t cp)
{
    return cp > 0xFFFF ? 2 : 1;
}

/*
 * The next indivisible piece of s starting at pos: a single character in
 * GSM-7 (no GSM-7 character ever joins another), a grapheme cluster in
 * UCS-2. Returns where it ends and its size in *units. s is valid UTF-8.
 */
static size_t next_piece(const unsigned char *s, size_t len, size_t pos, pf_encoding enc,
                         size_t *units)
{
    uint32_t cp = 0;
    size_t n = pfi_utf8_decode(s + pos, len - pos, &cp);
    cluster c;

    if (n == 0) /* cannot happen after validation; never loop */
        n = 1;
    if (enc == PF_ENC_GSM7) {
        *units = gsm_septets(cp);
        return pos + n;
    }
    *units = utf16_units(cp);
    cluster_start(&c, break_property(cp));
    pos += n;
    while (pos < len) {
        gbp p;

        n = pfi_utf8_decode(s + pos, len - pos, &cp);
        if (n == 0)
            break;
        p = break_property(cp);
        if (breaks_before(&c, p))
            break;
        cluster_add(&c, p);
        *units += utf16_units(cp);
        pos += n;
    }
    return pos;
}

static void emit(pf_segment *out, size_t *count, size_t start, size_t end, size_t units)
{
    if (out) {
        out[*count].byte_start = start;
        out[*count].byte_end = end;
        out[*count].units = (unsigned)units;
    }
    (*count)++;
}

/*
 * Split s into segments as the reference does; with out == NULL only count
 * them. The first segment is filled to the single-message size; only when
 * something does not fit does it get a header and shed its tail, and that
 * tail plus the piece that did not fit open the second segment even if
 * together they overflow it. Later segments just fill up, a piece larger
 * than a segment sitting alone in one.
 */
static size_t pack(const unsigned char *s, size_t len, pf_encoding enc, pf_segment *out)
{
    size_t single = enc == PF_ENC_GSM7 ? GSM_SINGLE : UCS2_SINGLE;
    size_t multi = enc == PF_ENC_GSM7 ? GSM_MULTI : UCS2_MULTI;
    size_t count = 0, pos = 0, used = 0, keep_end = 0, keep_units = 0;
    size_t units, end, seg_start;

    if (len == 0)
        return 0;
    for (;;) {
        end = next_piece(s, len, pos, enc, &units);
        if (used + units > single)
            break;
        used += units;
        pos = end;
        if (used <= multi) {
            keep_end = pos;
            keep_units = used;
        }
        if (pos == len) {
            emit(out, &count, 0, len, used);
            return count;
        }
    }
    emit(out, &count, 0, keep_end, keep_units);
    seg_start = keep_end;
    used = used - keep_units + units;
    pos = end;
    while (pos < len) {
        end = next_piece(s, len, pos, enc, &units);
        if (used + units > multi) {
            emit(out, &count, seg_start, pos, used);
            seg_start = pos;
            used = 0;
        }
        used += units;
        pos = end;
    }
    emit(out, &count, seg_start, len, used);
    return count;
}

/* ---- Public ------------------------------------------------------------ */

const char *pf_encoding_name(pf_encoding enc)
{
    switch (enc) {
    case PF_ENC_GSM7: return "GSM-7";
    case PF_ENC_UCS2: return "UCS-2";
    }
    return "unknown";
}

static size_t align_up(size_t n)
{
    size_t a = alignof(max_align_t);

    return (n + a - 1) / a * a;
}

/* Fill diag for a failure at byte offset (0 when no byte is to blame). */
static pf_status fail(pf_diag *diag, pf_status status, size_t offset, const char *message)
{
    pfi_diag_set(diag, status, "%s", message);
    if (diag)
        diag->offset = offset;
    return status;
}

pf_status pf_segments_compute(const char *msg, size_t len, pf_segments **out, pf_diag *diag)
{
    const unsigned char *s = (const unsigned char *)msg;
    pf_segments *res = NULL;
    pf_encoding enc = PF_ENC_GSM7;
    size_t characters = 0, units = 0, culprits = 0, nseg, bad, pos, size;
    size_t seg_off, culprit_off;
    pf_status st;

    if (out)
        *out = NULL;
    if (!out || (!msg && len > 0))
        return fail(diag, PF_E_INVALID, 0, "pf_segments_compute: NULL argument");
#if SIZE_MAX > UINT_MAX
    /* Per-segment units are unsigned; a message this large is not an SMS. */
    if (len > UINT_MAX)
        return fail(diag, PF_E_TOO_LARGE, 0, "message too large");
#endif
    st = pf_utf8_validate(msg, len, &bad);
    if (st != PF_OK)
        return fail(diag, st, bad, "message is not valid UTF-8");

    for (pos = 0; pos < len;) {
        uint32_t cp = 0;
        size_t n = pfi_utf8_decode(s + pos, len - pos, &cp);

        characters++;
        if (gsm_septets(cp) == 0)
            culprits++;
        pos += n;
    }
    if (culprits > 0)
        enc = PF_ENC_UCS2;
    nseg = pack(s, len, enc, NULL);

    /* One block: the struct, then the segments, then the culprits. */
    seg_off = align_up(sizeof *res);
    culprit_off = align_up(seg_off + nseg * sizeof(pf_segment));
    size = culprit_off + culprits * sizeof(pf_ucs2_char);
    res = calloc(1, size);
    if (!res)
        return fail(diag, PF_E_NOMEM, 0, "out of memory");
    res->encoding = enc;
    res->characters = characters;
    res->segment_count = nseg;
    res->segments = nseg ? (pf_segment *)((char *)res + seg_off) : NULL;
    res->culprit_count = culprits;
    res->culprits = culprits ? (pf_ucs2_char *)((char *)res + culprit_off) : NULL;
    pack(s, len, enc, res->segments);

    culprits = 0;
    for (pos = 0; pos < len;) {
        uint32_t cp = 0;
        size_t n = pfi_utf8_decode(s + pos, len - pos, &cp);
        unsigned septets = gsm_septets(cp);

        units += enc == PF_ENC_GSM7 ? septets : utf16_units(cp);
        if (septets == 0) {
            pf_ucs2_char *c = &res->culprits[culprits++];

            c->offset = pos;
            c->length = n;
            c->codepoint = cp;
            c->replacement = replacement_for(cp);
        }
        pos += n;
    }
    res->units = units;
    *out = res;
    return PF_OK;
}

void pf_segments_destroy(pf_segments *seg)
{
    free(seg);
}
