/*
 * campaign.c — the campaign pre-scan: every campaign.* check, each tied
 * to the provider's error code it anticipates and that code's page.
 *
 * The table below is the contract (rules/campaign.md explains each row
 * and where its code's meaning was read). Checks are deliberately plain:
 * counts, word lists and the content rule packs, so a verdict is the same
 * on every machine and explains itself. Word lists decide only warnings
 * unless the rule they enforce is unambiguous (no STOP keyword, fewer than
 * two samples, a public shortener, SHAFT content).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign_int.h"
#include "internal.h"
#include "json_int.h"

#define ERR(n) "https://www.twilio.com/docs/api/errors/" #n
/* CTIA Messaging Principles and Best Practices (May 2023). */
#define CTIA                                                                                       \
    "https://api.ctia.org/wp-content/uploads/2023/05/"                                             \
    "230523-CTIA-Messaging-Principles-and-Best-Practices-FINAL.pdf"
/* The UsAppToPerson resource: the campaign attributes (embedded links). */
#define USA2P "https://www.twilio.com/docs/messaging/api/usapptoperson-resource"

/* File-local, visible to the unit tests (PF_UNITTEST). */
PF_STATIC long find_word(const char *text, const char *word);
PF_STATIC void brand_core(const char *name, char *out, size_t cap);
PF_STATIC bool has_contact(const char *s);
PF_STATIC size_t string_offset(const char *text, size_t len, size_t at, size_t want);
PF_STATIC long find_bad_placeholder(const char *s, size_t *n);
PF_STATIC bool url_host(const char *url, char *host, size_t cap, bool *https);
PF_STATIC bool texted_keyword(const char *text);

/* id, severity, summary, 10DLC code + page, toll-free code + page. */
static const pf_campaign_check_info checks[] = {
    {"campaign.description-missing", PF_SEV_BLOCK, "The campaign has no description.", "30886",
     ERR(30886), NULL, ERR(30886)},
    {"campaign.description-short", PF_SEV_BLOCK,
     "The description is too short to say who sends what to whom and why.", "30886", ERR(30886),
     NULL, ERR(30886)},
    {"campaign.description-brand", PF_SEV_WARN, "The description does not name the brand.", "30886",
     ERR(30886), NULL, ERR(30886)},
    {"campaign.description-use-case", PF_SEV_WARN,
     "The description does not describe messages of the declared use case.", "30886", ERR(30886),
     NULL, ERR(30886)},
    {"campaign.description-audience", PF_SEV_WARN,
     "The description does not say who receives the messages.", "30886", ERR(30886), NULL,
     ERR(30886)},
    {"campaign.description-direct-lending", PF_SEV_WARN,
     "A direct lender's description does not say it lends directly.", "30886", ERR(30886), NULL,
     ERR(30886)},
    {"campaign.samples-count", PF_SEV_BLOCK, "The campaign needs two to five sample messages.",
     "30893", ERR(30893), NULL, ERR(30893)},
    {"campaign.sample-empty", PF_SEV_BLOCK, "A sample message is empty.", "30893", ERR(30893), NULL,
     ERR(30893)},
    {"campaign.samples-brand", PF_SEV_BLOCK, "No sample message names the brand.", "30893",
     ERR(30893), NULL, ERR(30893)},
    {"campaign.samples-opt-out", PF_SEV_BLOCK, "No sample message has opt-out language.", "30893",
     ERR(30893), NULL, ERR(30893)},
    {"campaign.sample-placeholder", PF_SEV_WARN,
     "A sample marks a templated field other than with [brackets].", "30893", ERR(30893), NULL,
     ERR(30893)},
    {"campaign.sample-promotional", PF_SEV_BLOCK,
     "A sample is promotional under a use case that is not marketing.", "30893", ERR(30893), NULL,
     ERR(30893)},
    {"campaign.samples-use-case", PF_SEV_WARN,
     "No sample message looks like the declared use case.", "30893", ERR(30893), NULL, ERR(30893)},
    {"campaign.sample-url-shortener", PF_SEV_BLOCK,
     "A sample links through a public URL shortener.", "30892", ERR(30892), NULL, ERR(30892)},
    {"campaign.sample-insecure-link", PF_SEV_WARN, "A sample has a plain http:// link.", "30892",
     ERR(30892), NULL, ERR(30892)},
    {"campaign.content-shaft", PF_SEV_BLOCK,
     "A sample has SHAFT or cannabis content the campaign may not carry.", "30883", ERR(30883),
     NULL, ERR(30441)},
    {"campaign.content-high-risk", PF_SEV_BLOCK,
     "A sample markets high-risk finance (third-party lending, debt relief, trading tips, crypto).",
     "30885", ERR(30885), NULL, ERR(30885)},
    {"campaign.content-disallowed", PF_SEV_BLOCK, "A sample promotes gambling.", "30897",
     ERR(30897), NULL, ERR(30897)},
    {"campaign.sample-phishing", PF_SEV_WARN, "A sample reads like phishing.", "30884", ERR(30884),
     NULL, ERR(30884)},
    {"campaign.sample-content", PF_SEV_WARN, "A content rule flags a sample message.", "30893",
     ERR(30893), NULL, ERR(30893)},
    {"campaign.embedded-links-undeclared", PF_SEV_BLOCK,
     "Samples carry links but embedded_links is not true.", NULL, USA2P, NULL, USA2P},
    {"campaign.embedded-links-unused", PF_SEV_WARN,
     "embedded_links is true but no sample has a link.", NULL, USA2P, NULL, USA2P},
    {"campaign.embedded-phone-undeclared", PF_SEV_BLOCK,
     "Samples carry phone numbers but embedded_phone_numbers is not true.", "30889", ERR(30889),
     NULL, ERR(30889)},
    {"campaign.embedded-phone-unused", PF_SEV_WARN,
     "embedded_phone_numbers is true but no sample has a phone number.", "30889", ERR(30889), NULL,
     ERR(30889)},
    {"campaign.age-gate-flow", PF_SEV_WARN,
     "An age-gated campaign's message flow does not say how age is verified.", "30888", ERR(30888),
     "30456", ERR(30456)},
    {"campaign.message-flow-missing", PF_SEV_BLOCK,
     "There is no message flow (call to action) or it is too short.", "30896", ERR(30896), "30842",
     ERR(30842)},
    {"campaign.cta-method", PF_SEV_BLOCK,
     "The message flow does not say how or where consent is collected.", "30896", ERR(30896),
     "30842", ERR(30842)},
    {"campaign.cta-brand", PF_SEV_WARN, "The message flow does not name the brand.", "30896",
     ERR(30896), "30841", ERR(30841)},
    {"campaign.cta-purpose", PF_SEV_WARN,
     "The message flow does not say what messages the user agrees to.", "30896", ERR(30896),
     "30841", ERR(30841)},
    {"campaign.cta-sms", PF_SEV_WARN, "The message flow does not mention SMS or text messages.",
     "30896", ERR(30896), "30841", ERR(30841)},
    {"campaign.cta-frequency", PF_SEV_WARN, "The message flow does not disclose message frequency.",
     "30902", ERR(30902), NULL, CTIA},
    {"campaign.cta-rates", PF_SEV_WARN,
     "The message flow does not say \"message and data rates may apply\".", "30902", ERR(30902),
     NULL, CTIA},
    {"campaign.cta-stop", PF_SEV_WARN, "The message flow does not tell how to opt out (STOP).",
     "30902", ERR(30902), NULL, CTIA},
    {"campaign.cta-help", PF_SEV_WARN, "The message flow does not tell how to get help (HELP).",
     "30902", ERR(30902), NULL, CTIA},
    {"campaign.cta-privacy", PF_SEV_WARN, "The message flow does not link the privacy policy.",
     "30908", ERR(30908), NULL, CTIA},
    {"campaign.cta-terms", PF_SEV_WARN, "The message flow does not link the terms.", "30896",
     ERR(30896), NULL, CTIA},
    {"campaign.cta-written-consent", PF_SEV_WARN,
     "A marketing campaign's message flow does not show express written consent.", "30896",
     ERR(30896), "30446", ERR(30446)},
    {"campaign.cta-consent-required", PF_SEV_WARN,
     "The message flow makes consent to messages a condition of the service.", "30896", ERR(30896),
     "30832", ERR(30832)},
    {"campaign.opt-in-message-missing", PF_SEV_BLOCK, "There is no opt-in confirmation message.",
     "30896", ERR(30896), "30828", ERR(30828)},
    {"campaign.opt-in-message-elements", PF_SEV_WARN,
     "The opt-in confirmation lacks a required element.", "30896", ERR(30896), "30828", ERR(30828)},
    {"campaign.opt-out-missing", PF_SEV_BLOCK, "Opt-out keywords or the opt-out reply are missing.",
     "30887", ERR(30887), NULL, ERR(30887)},
    {"campaign.opt-out-stop", PF_SEV_BLOCK, "STOP is not among the opt-out keywords.", "30887",
     ERR(30887), NULL, ERR(30887)},
    {"campaign.opt-out-message", PF_SEV_WARN,
     "The opt-out reply does not name the brand or confirm that messages stop.", "30887",
     ERR(30887), NULL, ERR(30887)},
    {"campaign.help-missing", PF_SEV_BLOCK, "HELP keywords or the HELP reply are missing.", "30902",
     ERR(30902), "30531", ERR(30531)},
    {"campaign.help-keyword", PF_SEV_BLOCK, "HELP is not among the help keywords.", "30902",
     ERR(30902), "30531", ERR(30531)},
    {"campaign.help-message", PF_SEV_BLOCK,
     "The HELP reply does not name the brand and a way to reach it.", "30902", ERR(30902), "30531",
     ERR(30531)},
    {"campaign.keyword-conflict", PF_SEV_WARN, "One keyword is in two lists.", NULL, CTIA, NULL,
     CTIA},
    {"campaign.privacy-url-missing", PF_SEV_BLOCK, "There is no privacy policy address.", "30908",
     ERR(30908), NULL, ERR(30908)},
    {"campaign.privacy-url-invalid", PF_SEV_BLOCK,
     "The privacy policy address is not a web address.", "30908", ERR(30908), NULL, ERR(30908)},
    {"campaign.privacy-url-insecure", PF_SEV_WARN, "The privacy policy address is not https.",
     "30908", ERR(30908), NULL, ERR(30908)},
    {"campaign.privacy-url-domain", PF_SEV_WARN,
     "The privacy policy is not on the brand's domain or a named policy host.", "30907", ERR(30907),
     NULL, ERR(30907)},
    {"campaign.terms-url-missing", PF_SEV_WARN, "There is no terms address.", "30896", ERR(30896),
     NULL, ERR(30896)},
    {"campaign.terms-url-invalid", PF_SEV_BLOCK, "The terms address is not a web address.", "30896",
     ERR(30896), NULL, ERR(30896)},
    {"campaign.terms-url-insecure", PF_SEV_WARN, "The terms address is not https.", "30896",
     ERR(30896), NULL, ERR(30896)},
    {"campaign.terms-url-domain", PF_SEV_WARN,
     "The terms are not on the brand's domain or a named policy host.", "30907", ERR(30907), NULL,
     ERR(30907)},
    {"campaign.website-missing", PF_SEV_WARN, "The brand has no https website.", "30907",
     ERR(30907), NULL, ERR(30907)},
    {"campaign.privacy-unreachable", PF_SEV_BLOCK,
     "The privacy policy page could not be fetched (--fetch).", "30908", ERR(30908), NULL,
     ERR(30908)},
    {"campaign.privacy-no-sharing", PF_SEV_BLOCK,
     "The privacy policy page has no statement that mobile data is not shared (--fetch).", "30908",
     ERR(30908), "30848", ERR(30848)},
    {"campaign.terms-unreachable", PF_SEV_WARN, "The terms page could not be fetched (--fetch).",
     "30896", ERR(30896), NULL, ERR(30896)},
    {"campaign.terms-no-sms", PF_SEV_WARN,
     "The terms page has no SMS terms (program, STOP, HELP) (--fetch).", "30896", ERR(30896), NULL,
     ERR(30896)},
    {"campaign.volume-missing", PF_SEV_INFO,
     "A toll-free verification asks for the expected monthly volume.", NULL, "heuristic", NULL,
     "heuristic"},
};

#define NCHECKS (sizeof checks / sizeof checks[0])

/* Fixes, in the order of checks[]. */
static const char *const fixes[NCHECKS] = {
    "Write a description that says who sends (the brand), who receives, and why.",
    "Describe the program in full sentences: the brand, the recipients, what the messages say "
    "and why they are sent.",
    "Name the business that sends the messages (the registered brand, not a platform).",
    "Describe the messages the declared use case is for, or declare the use case that matches.",
    "Say who receives the messages (customers, patients, members, ...) and how they relate to "
    "the brand.",
    "Say \"direct lending\" in the description when the brand lends its own money.",
    "Give two to five samples that are the messages the campaign will really send.",
    "Remove the empty sample or write the message it stands for.",
    "Start at least one sample with the brand's name.",
    "End at least one sample with opt-out language, e.g. \"Reply STOP to opt out.\".",
    "Mark every templated field with square brackets: [first name], [date].",
    "Remove promotional content, or register a MARKETING (or MIXED) campaign for it.",
    "Write samples that are the messages of the declared use case.",
    "Use the full link on the brand's own domain, or a branded short domain the brand owns.",
    "Use https:// links only.",
    "Remove the content; an age-restricted product needs age_gated and an age gate, and sex, "
    "hate and cannabis content cannot be registered.",
    "Remove the content, or set direct_lending when the brand lends its own money to its own "
    "customers.",
    "Remove the content: gambling promotions are not accepted.",
    "Never ask for credentials or payment details by text, and link only the brand's own domain.",
    "Change the sample so the content rule no longer applies.",
    "Set \"embedded_links\": true (the samples must reflect the real messages).",
    "Set \"embedded_links\": false, or add a sample with the link the messages carry.",
    "Set \"embedded_phone_numbers\": true, or remove the number from the samples.",
    "Set \"embedded_phone_numbers\": false, or add a sample with the number the messages carry.",
    "Say in the message flow where age is verified and how (full date of birth or an age "
    "verification service).",
    "Describe how and where users opt in: the form, keyword or script, with its consent text.",
    "Say where consent is collected (web form at an address, keyword to a number, checkout, "
    "verbal script) and how the user gives it.",
    "Name the brand in the consent text the user sees.",
    "Say what the messages are (reminders, codes, offers, ...) in the consent text.",
    "Say \"text messages\" or \"SMS\" in the consent text.",
    "Disclose the frequency: \"Msg frequency varies\" or a number per week or month.",
    "Add \"Msg & data rates may apply\" to the consent text.",
    "Add \"Reply STOP to opt out\" to the consent text.",
    "Add \"Reply HELP for help\" to the consent text.",
    "Link the privacy policy from the consent text.",
    "Link the terms from the consent text.",
    "Collect consent with an unchecked box or a signed form the user completes, and say so; "
    "marketing needs express written consent.",
    "Make consent optional and separate from signing up or buying.",
    "Give the reply sent on opt-in: brand, what and how often, rates, STOP and HELP.",
    "Include the brand, the frequency, \"Msg & data rates may apply\", STOP and HELP.",
    "Give opt-out keywords (STOP at least) and the reply that confirms the opt-out.",
    "Add STOP to the opt-out keywords.",
    "Reply with the brand and a confirmation that no more messages will be sent.",
    "Give HELP keywords and the reply: the brand and a phone number, email or web address.",
    "Add HELP to the help keywords.",
    "Name the brand and give a phone number, email or web address in the HELP reply.",
    "Use each keyword in one list only.",
    "Publish a privacy policy and give its https address.",
    "Give the privacy policy's full https:// address.",
    "Serve the privacy policy over https.",
    "Host the policy on the brand's website, or list its host in policy_hosts.",
    "Publish SMS terms and give their https address.",
    "Give the terms' full https:// address.",
    "Serve the terms over https.",
    "Host the terms on the brand's website, or list their host in policy_hosts.",
    "Give the brand's https website in brand.website.",
    "Make the page public, reachable over https and small; reviewers open it.",
    "State on the page that mobile numbers and SMS consent are not shared with third parties or "
    "affiliates for marketing.",
    "Make the page public and reachable over https.",
    "Add SMS terms: the program, frequency, rates, STOP and HELP.",
    "Give monthly_volume.",
};

size_t pf_campaign_check_count(void)
{
    return NCHECKS;
}

const pf_campaign_check_info *pf_campaign_check_at(size_t i)
{
    return i < NCHECKS ? &checks[i] : NULL;
}

const pf_campaign_check_info *pf_campaign_check_find(const char *id)
{
    for (size_t i = 0; id && i < NCHECKS; i++) {
        if (strcmp(checks[i].id, id) == 0)
            return &checks[i];
    }
    return NULL;
}

pf_campaign_options pf_campaign_options_default(void)
{
    pf_campaign_options o;
    memset(&o, 0, sizeof o);
    o.kind = PF_CAMPAIGN_10DLC;
    return o;
}

/* ---- text matching ---- */

static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/*
 * Offset of word in text (ASCII case-insensitive) at word boundaries, or
 * -1. A word ending in '*' matches as a prefix ("remind*": remind,
 * reminder, reminders).
 */
PF_STATIC long find_word(const char *text, const char *word)
{
    size_t wl = strlen(word);
    bool prefix = wl && word[wl - 1] == '*';
    if (prefix)
        wl--;
    if (!text || !wl)
        return -1;
    for (const char *p = text; *p; p++) {
        if (p > text && is_word_char(p[-1]) && is_word_char(word[0]))
            continue;
        size_t i = 0;
        while (i < wl && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)word[i]))
            i++;
        if (i < wl)
            continue;
        if (!prefix && is_word_char(p[wl]) && is_word_char(word[wl - 1]))
            continue;
        return (long)(p - text);
    }
    return -1;
}

/* Offset of the first word of words (NULL-ended) in text, or -1; *which
 * gets the word. */
static long find_any(const char *text, const char *const *words, const char **which)
{
    long best = -1;
    for (size_t i = 0; words[i]; i++) {
        long at = find_word(text, words[i]);
        if (at >= 0 && (best < 0 || at < best)) {
            best = at;
            if (which)
                *which = words[i];
        }
    }
    return best;
}

static bool has_any(const char *text, const char *const *words)
{
    return find_any(text, words, NULL) >= 0;
}

static size_t count_words(const char *s)
{
    size_t n = 0;
    bool in = false;
    for (; s && *s; s++) {
        bool w = is_word_char(*s);
        n += w && !in;
        in = w;
    }
    return n;
}

static bool blank(const char *s)
{
    return !s || !s[strspn(s, " \t\r\n")];
}

/* The brand as it would appear in text: the name without a trailing legal
 * form ("Acme Dental, LLC" -> "Acme Dental"), into out[cap]. */
PF_STATIC void brand_core(const char *name, char *out, size_t cap)
{
    static const char *const forms[] = {
        "inc",         "inc.",    "llc",     "l.l.c.", "ltd",  "ltd.", "co", "co.", "corp", "corp.",
        "corporation", "company", "limited", "plc",    "gmbh", "pllc", "lp", "llp", NULL};
    pfi_copy_cut(out, cap, name, strlen(name));
    for (;;) {
        size_t n = strlen(out);
        while (n && (out[n - 1] == ' ' || out[n - 1] == ','))
            out[--n] = '\0';
        char *sp = strrchr(out, ' ');
        if (!sp)
            return;
        bool cut = false;
        for (size_t i = 0; forms[i]; i++) {
            if (strcasecmp(sp + 1, forms[i]) == 0)
                cut = true;
        }
        if (!cut)
            return;
        *sp = '\0';
    }
}

/* Offset of the brand in text (case-insensitive), or -1. A shortened
 * form counts too: the name's first two words or more, when that prefix
 * is at least six characters ("Bloom & Root" for "Bloom & Root Garden
 * Supply"), since messages often use the name people know. */
static long find_brand(const char *text, const char *brand)
{
    char core[256];
    brand_core(brand, core, sizeof core);
    if (!core[0])
        pfi_copy_cut(core, sizeof core, brand, strlen(brand));
    long at = find_word(text, core);
    /* Ends of the alphanumeric words of the name, longest prefix first. */
    size_t ends[32], nw = 0;
    for (size_t i = 0; core[i] && nw < 32; i++) {
        if (is_word_char(core[i]) && !is_word_char(core[i + 1]))
            ends[nw++] = i + 1;
    }
    for (size_t w = nw > 1 ? nw - 1 : 0; at < 0 && w >= 2; w--) {
        if (ends[w - 1] < 6)
            break;
        char prefix[256];
        pfi_copy_cut(prefix, sizeof prefix, core, ends[w - 1]);
        at = find_word(text, prefix);
    }
    return at;
}

/* Whether s has an e-mail address, a web address or a phone number (seven
 * digits or more, separators allowed): a way to reach the brand. */
PF_STATIC bool has_contact(const char *s)
{
    size_t digits = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (!strchr(" -.()+", *p))
            digits = 0;
        if (digits >= 7)
            return true;
        if (*p == '@' && p > s && is_word_char(p[-1]) && strchr(p, '.'))
            return true;
    }
    static const char *const web[] = {"http*", "www.*", NULL};
    if (has_any(s, web))
        return true;
    /* A bare host: label.tld (two to six letters) followed by a non-word. */
    for (const char *p = s; *p; p++) {
        if (*p != '.' || p == s || !isalnum((unsigned char)p[-1]))
            continue;
        size_t n = 0;
        while (isalpha((unsigned char)p[1 + n]))
            n++;
        if (n >= 2 && n <= 6 && !is_word_char(p[1 + n]))
            return true;
    }
    return false;
}

/* ---- vocabulary: what a use case's messages talk about ---- */

struct vocab {
    const char *use_case;
    const char *const *words;
};

static const char *const v_2fa[] = {"code*",     "verif*", "one-time", "passcode*", "otp",
                                    "login",     "log in", "sign in",  "sign-in",   "authenticat*",
                                    "password*", "pin",    NULL};
static const char *const v_account[] = {
    "account*", "notif*",   "alert*",   "remind*", "update*",    "appointment*", "balance*",
    "payment*", "bill*",    "invoice*", "order*",  "status",     "renewal*",     "reservation*",
    "booking*", "confirm*", "schedul*", "due",     "statement*", "membership*",  NULL};
static const char *const v_care[] = {
    "support",       "help", "question*", "service*", "ticket*",   "assist*",   "inquir*",
    "customer care", "care", "account*",  "request*", "follow-up", "follow up", NULL};
static const char *const v_delivery[] = {
    "deliver*", "ship*",     "package*",         "parcel*", "order*",  "tracking", "track",
    "arriv*",   "dispatch*", "out for delivery", "pickup",  "pick up", "courier*", NULL};
static const char *const v_marketing[] = {
    "promot*",     "offer*",        "sale*",    "discount*",    "deal*",    "marketing", "coupon*",
    "newsletter*", "event*",        "special*", "new arrival*", "product*", "savings",   "save*",
    "exclusive",   "announcement*", "% off",    "free",         NULL};
static const char *const v_security[] = {"security", "secure",  "suspicious", "unauthori*",
                                         "login",    "sign-in", "sign in",    "password*",
                                         "breach*",  "alert*",  "device*",    NULL};
static const char *const v_fraud[] = {"fraud*",   "suspicious", "transaction*",
                                      "activity", "unauthori*", "alert*",
                                      "charge*",  "purchase*",  NULL};
static const char *const v_polling[] = {"poll*", "survey*", "vote*",    "voting", "feedback",
                                        "rate",  "rating*", "opinion*", NULL};
static const char *const v_charity[] = {"donat*",    "charit*",    "nonprofit*", "non-profit*",
                                        "fundrais*", "volunteer*", "cause",      "give",
                                        "giving",    NULL};
static const char *const v_education[] = {
    "student*", "campus*", "class*", "course*",    "school*",  "enrol*", "semester*",
    "tuition",  "parent*", "grade*", "universit*", "college*", NULL};
static const char *const v_psa[] = {
    "public", "community", "announcement*", "awareness", "residents", "safety", NULL};
static const char *const v_emergency[] = {"emergenc*", "evacuat*", "warning*", "alert*",
                                          "safety",    "shelter*", "outage*",  NULL};
static const char *const v_political[] = {"vote*",     "voting",  "election*", "candidate*",
                                          "campaign*", "ballot*", "polling",   NULL};
static const char *const v_sweepstake[] = {
    "sweepstake*", "prize*", "win*", "winner*", "entry", "entries", "drawing*", "contest*", NULL};

static const struct vocab vocabs[] = {
    {"2FA", v_2fa},
    {"ACCOUNT_NOTIFICATION", v_account},
    {"CUSTOMER_CARE", v_care},
    {"DELIVERY_NOTIFICATION", v_delivery},
    {"MARKETING", v_marketing},
    {"SECURITY_ALERT", v_security},
    {"FRAUD_ALERT", v_fraud},
    {"POLLING_VOTING", v_polling},
    {"CHARITY", v_charity},
    {"HIGHER_EDUCATION", v_education},
    {"K12_EDUCATION", v_education},
    {"PUBLIC_SERVICE_ANNOUNCEMENT", v_psa},
    {"EMERGENCY", v_emergency},
    {"POLITICAL", v_political},
    {"SWEEPSTAKE", v_sweepstake},
};

/* The vocabulary of a use case, or NULL for one too broad to have one
 * (MIXED, LOW_VOLUME, SOCIAL, PROXY, AGENTS_FRANCHISES, ...). */
static const char *const *vocab_of(const char *use_case)
{
    for (size_t i = 0; i < sizeof vocabs / sizeof vocabs[0]; i++) {
        if (strcmp(vocabs[i].use_case, use_case) == 0)
            return vocabs[i].words;
    }
    return NULL;
}

/* Use cases whose traffic is informational: promotional content under
 * them is a mismatch (the 30893 page: samples must match the use case). */
static bool informational(const char *use_case)
{
    static const char *const names[] = {"2FA",
                                        "ACCOUNT_NOTIFICATION",
                                        "CUSTOMER_CARE",
                                        "DELIVERY_NOTIFICATION",
                                        "FRAUD_ALERT",
                                        "SECURITY_ALERT",
                                        "POLLING_VOTING",
                                        "EMERGENCY",
                                        "PUBLIC_SERVICE_ANNOUNCEMENT",
                                        NULL};
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(names[i], use_case) == 0)
            return true;
    }
    return false;
}

static const char *const promo_words[] = {
    "% off",           "sale",          "discount*",     "coupon*",         "promo",   "promo code",
    "promotion*",      "deal",          "deals",         "shop now",        "buy now", "order now",
    "limited time",    "free shipping", "special offer", "exclusive offer", "bogo",    "2-for-1",
    "buy one get one", "clearance",     "flash sale",    "save up to",      NULL};
/* "cancel" and "end" count only as the keyword to send: in prose they are
 * about appointments and dates ("to cancel your visit"). */
static const char *const opt_out_words[] = {
    "stop",        "opt out",   "opt-out",  "optout",     "unsubscribe", "reply cancel",
    "text cancel", "reply end", "text end", "reply quit", NULL};
static const char *const audience_words[] = {
    "customer*",     "client*",   "patient*",   "member*",    "subscriber*",    "user*",
    "student*",      "parent*",   "donor*",     "resident*",  "employee*",      "guest*",
    "visitor*",      "shopper*",  "buyer*",     "tenant*",    "owner*",         "account holder*",
    "policyholder*", "caller*",   "player*",    "fan*",       "supporter*",     "recipient*",
    "people",        "consumer*", "homeowner*", "applicant*", "borrower*",      "contact*",
    "volunteer*",    "attendee*", "traveler*",  "traveller*", "driver*",        "rider*",
    "opted-in",      "opted in",  "who opt*",   "who sign*",  "who subscribe*", NULL};
static const char *const method_words[] = {"website",
                                           "web site",
                                           "web form",
                                           "webform",
                                           "form",
                                           "checkbox",
                                           "check box",
                                           "check-box",
                                           "checkout",
                                           "sign up",
                                           "sign-up",
                                           "signup",
                                           "register*",
                                           "keyword",
                                           "texting",
                                           "verbal*",
                                           "verbally",
                                           "phone call",
                                           "call",
                                           "in person",
                                           "in-person",
                                           "in store",
                                           "in-store",
                                           "point of sale",
                                           "pos",
                                           "paper",
                                           "app",
                                           "mobile app",
                                           "portal",
                                           "qr",
                                           "kiosk",
                                           "enroll*",
                                           "opt in",
                                           "opt-in",
                                           "opts in",
                                           "box",
                                           "tick*",
                                           "settings",
                                           "page",
                                           "online",
                                           "receptionist",
                                           "front desk",
                                           "staff",
                                           "agent*",
                                           "ask*",
                                           "consent*",
                                           "agree*",
                                           "subscribe*",
                                           "account "
                                           "settings",
                                           "profile",
                                           NULL};
/* "Msg & data rates" alone does not say the consent is to text messages
 * (the 30841 page asks for SMS or text messaging by name). */
static const char *const sms_words[] = {
    "sms", "text", "texts", "text message*", "texted", "texting", "txt", "mms", NULL};
static const char *const frequency_words[] = {
    "frequency", "freq",   "per week", "per month", "per day", "a week",  "a month",
    "a day",     "/week",  "/month",   "/day",      "weekly",  "monthly", "daily",
    "recurring", "varies", "msgs/",    "times a",   NULL};
static const char *const rates_words[] = {
    "data rates",     "msg & data",      "msg&data",  "msg and data",   "message and data",
    "message & data", "rates may apply", "std rates", "standard rates", NULL};
static const char *const stop_words[] = {"stop", NULL};
static const char *const help_words[] = {"help", NULL};
static const char *const privacy_words[] = {"privacy", NULL};
static const char *const terms_words[] = {"terms", "t&c", "conditions", NULL};
static const char *const written_words[] = {"checkbox",        "check box",
                                            "check-box",       "unchecked",
                                            "not pre-checked", "not pre-selected",
                                            "i agree",         "written consent",
                                            "express written", "signature",
                                            "sign*",           "e-sign*",
                                            "web form",        "form",
                                            "keyword",         "tick*",
                                            "affirmative*",    NULL};
static const char *const required_words[] = {"required to receive",   "must agree to receive",
                                             "must opt in",           "must opt-in",
                                             "condition of purchase", "condition of service",
                                             "required to opt in",    "required to opt-in",
                                             "required for all",      "mandatory",
                                             "cannot be unchecked",   "pre-checked",
                                             "pre-selected",          "automatically enrolled",
                                             "automatically opted",   NULL};
static const char *const age_words[] = {
    "age",        "21+",          "18+", "21 or older", "18 or older",      "date of birth",
    "birth date", "birthdate",    "dob", "age gate",    "age verification", "verify age",
    "age-verif*", "of legal age", NULL};
static const char *const lending_words[] = {
    "direct lend*", "direct lender*", "direct loan*", "first-party lend*", "lend*", "loan*", NULL};
static const char *const confirm_out_words[] = {
    "no more",       "no further",     "unsubscribed", "opted out", "opted-out", "will not receive",
    "won't receive", "will no longer", "stopped",      "removed",   NULL};

/* ---- the run: findings with their positions ---- */

struct item {
    size_t index;    /* into tmp */
    pf_severity sev; /* for sorting: the finding's severity and id (in tmp's arena) */
    const char *id;
    pf_campaign_location loc;
};

struct ctx {
    const pf_campaign *c;
    const pf_campaign_options *o;
    pf_finding_list tmp;
    struct item *items;
    size_t n, cap;
    pf_status st;
    char brand[256];
};

/* Parse "a.b[2].c" into JSON steps (our keys hold no '.' or '['). */
static int steps_of(const char *path, struct pfi_json_step *steps, char keys[][64], int max)
{
    int n = 0;
    const char *p = path;
    while (*p && n < max) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            steps[n].key = NULL;
            steps[n].index = (size_t)strtoul(p + 1, NULL, 10);
            n++;
            const char *close = strchr(p, ']');
            p = close ? close + 1 : p + strlen(p);
            continue;
        }
        size_t k = strcspn(p, ".[");
        pfi_copy_cut(keys[n], 64, p, k);
        steps[n].key = keys[n];
        steps[n].index = 0;
        n++;
        p += k;
    }
    return n;
}

/* 1-based line and code-point column of offset in text, and its line. */
static void position(const pf_campaign *c, size_t off, unsigned *line, unsigned *col,
                     const char **sl, size_t *sl_len)
{
    unsigned l = 1, k = 1;
    size_t start = 0;
    if (off > c->len)
        off = c->len;
    for (size_t i = 0; i < off; i++) {
        if (c->text[i] == '\n') {
            l++;
            start = i + 1;
            k = 1;
        } else if (((unsigned char)c->text[i] & 0xC0) != 0x80) {
            k++;
        }
    }
    *line = l;
    *col = k;
    if (sl) {
        size_t e = start;
        while (e < c->len && c->text[e] != '\n')
            e++;
        if (e > start && c->text[e - 1] == '\r')
            e--;
        *sl = c->text + start;
        *sl_len = e - start;
    }
}

static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = s[i];
        v = v * 16 + (unsigned)(isdigit((unsigned char)ch)
                                    ? ch - '0'
                                    : (tolower((unsigned char)ch) - 'a' + 10));
    }
    return v;
}

/* The source offset of decoded byte `want` of the JSON string literal
 * starting at text[at] (a '"'), through its escapes. */
PF_STATIC size_t string_offset(const char *text, size_t len, size_t at, size_t want)
{
    size_t i = at + 1, d = 0;
    while (i < len && text[i] != '"') {
        if (d >= want)
            return i;
        if (text[i] == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len) {
                unsigned cp = hex4(text + i + 2);
                if (cp >= 0xD800 && cp < 0xDC00 && i + 11 < len && text[i + 6] == '\\' &&
                    text[i + 7] == 'u') {
                    d += 4;
                    i += 12;
                } else {
                    d += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
                    i += 6;
                }
            } else {
                d++;
                i += 2;
            }
        } else {
            d++;
            i++;
        }
    }
    return i;
}

/* Add a finding of check id about the field at path; span [a, b) inside
 * the field's string value when has_span. code_override replaces the
 * table's code for this kind (NULL: the table's). */
static void add_at(struct ctx *x, const char *id, int sev, const char *code_override,
                   const char *path, bool has_span, size_t a, size_t b, const char *fmt, ...)
    PF_PRINTF(9, 10);

static void add_at(struct ctx *x, const char *id, int sev, const char *code_override,
                   const char *path, bool has_span, size_t a, size_t b, const char *fmt, ...)
{
    if (x->st != PF_OK)
        return;
    const pf_campaign_check_info *ci = pf_campaign_check_find(id);
    for (size_t i = 0; i < x->o->disabled_count; i++) {
        if (strcmp(x->o->disabled[i], id) == 0)
            return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bool tf = x->o->kind == PF_CAMPAIGN_TOLL_FREE;
    pf_finding f = {.id = id,
                    .severity = sev >= 0 ? (pf_severity)sev : ci->severity,
                    .message = msg,
                    .fix = fixes[ci - checks],
                    .source = tf ? ci->source_toll_free : ci->source_10dlc,
                    .rejection_code = code_override ? code_override
                                      : tf          ? ci->code_toll_free
                                                    : ci->code_10dlc};
    char src[96]; /* a per-instance code names its own page */
    if (code_override) {
        snprintf(src, sizeof src, "https://www.twilio.com/docs/api/errors/%s", code_override);
        f.source = src;
    }
    if ((x->st = pfi_grow((void **)&x->items, &x->cap, x->n + 1, sizeof *x->items)) != PF_OK)
        return;
    if ((x->st = pf_finding_list_add(&x->tmp, &f)) != PF_OK)
        return;
    struct item *it = &x->items[x->n++];
    memset(it, 0, sizeof *it);
    it->index = x->tmp.count - 1;
    it->sev = x->tmp.items[it->index].severity;
    it->id = x->tmp.items[it->index].id;
    pfi_copy_cut(it->loc.path, sizeof it->loc.path, path, strlen(path));

    struct pfi_json_step steps[8];
    char keys[8][64];
    int depth = steps_of(path, steps, keys, 8);
    size_t off = depth ? pfi_json_locate(x->c->text, x->c->len, steps, depth, false) : 0;
    off = pfi_json_skip_ws(x->c->text, x->c->len, off);
    /* A missing field points at the document (or its object): one character. */
    size_t end = depth ? pfi_json_skip_value(x->c->text, x->c->len, off) : off + 1;
    if (has_span && off < x->c->len && x->c->text[off] == '"') {
        size_t sa = string_offset(x->c->text, x->c->len, off, a);
        end = string_offset(x->c->text, x->c->len, off, b);
        off = sa;
    }
    pf_lint_location *l = &it->loc.at;
    position(x->c, off, &l->line, &l->column, &l->source_line, &l->source_line_len);
    position(x->c, end, &l->end_line, &l->end_column, NULL, NULL);
    l->countries = NULL;
}

#define ADD(x, id, path, ...) add_at(x, id, -1, NULL, path, false, 0, 0, __VA_ARGS__)

/* ---- the checks ---- */

static void check_description(struct ctx *x)
{
    const pf_campaign *c = x->c;
    const char *d = c->description;
    if (blank(d)) {
        ADD(x, "campaign.description-missing", d ? "description" : "",
            "The campaign has no description; reviewers reject a campaign whose description "
            "does not say who sends what to whom and why.");
        return;
    }
    size_t words = count_words(d), len = strlen(d);
    if (words < 10 || len < 40)
        add_at(x, "campaign.description-short", PF_SEV_BLOCK, NULL, "description", false, 0, 0,
               "The description has %zu word%s; it cannot say who sends what to whom and why.",
               words, words == 1 ? "" : "s");
    else if (len < 100)
        add_at(x, "campaign.description-short", PF_SEV_WARN, NULL, "description", false, 0, 0,
               "The description is %zu characters; a specific one is usually longer than 100.",
               len);
    if (find_brand(d, c->brand_name) < 0)
        ADD(x, "campaign.description-brand", "description",
            "The description does not name the brand \"%s\".", c->brand_name);
    const char *const *v = vocab_of(c->use_case);
    if (v && !has_any(d, v))
        ADD(x, "campaign.description-use-case", "description",
            "The description does not describe %s messages (none of the words such messages "
            "use, e.g. \"%s\").",
            c->use_case, v[0]);
    if (!has_any(d, audience_words))
        ADD(x, "campaign.description-audience", "description",
            "The description does not say who receives the messages.");
    if (c->direct_lending && !has_any(d, lending_words))
        ADD(x, "campaign.description-direct-lending", "description",
            "direct_lending is true but the description does not mention lending.");
}

/* A templated field marked with something other than brackets: {{x}},
 * {x}, <x>, ${x}, %s. Offset or -1; *n its length. */
PF_STATIC long find_bad_placeholder(const char *s, size_t *n)
{
    for (const char *p = s; *p; p++) {
        char close = *p == '{' ? '}' : *p == '<' ? '>' : 0;
        if (close) {
            const char *q = p + 1;
            while (*q == '{')
                q++;
            const char *e = strchr(q, close);
            if (e && e > q && e - q <= 40 && isalpha((unsigned char)*q)) {
                bool ok = true;
                for (const char *r = q; r < e; r++) {
                    if (!(isalnum((unsigned char)*r) || *r == '_' || *r == ' ' || *r == '.' ||
                          *r == '-'))
                        ok = false;
                }
                if (ok) {
                    while (e[1] == close)
                        e++;
                    *n = (size_t)(e + 1 - p);
                    return p - s;
                }
            }
        }
        if (*p == '%' && (p[1] == 's' || p[1] == 'd') && !isalnum((unsigned char)p[2])) {
            *n = 2;
            return p - s;
        }
        if (*p == '$' && p[1] == '{') {
            const char *e = strchr(p, '}');
            *n = e ? (size_t)(e + 1 - p) : 2;
            return p - s;
        }
    }
    return -1;
}

/* A bracketed field that stands for a link or a phone number. */
static bool placeholder_for(const char *s, const char *const *what)
{
    for (const char *p = strchr(s, '['); p; p = strchr(p + 1, '[')) {
        const char *e = strchr(p, ']');
        if (!e || e - p > 60)
            continue;
        char buf[64];
        pfi_copy_cut(buf, sizeof buf, p + 1, (size_t)(e - p - 1));
        if (has_any(buf, what))
            return true;
    }
    return false;
}

struct sample_facts {
    bool link, phone;
};

/* Whether id was already reported at path: several rules of one family
 * (two high-risk finance rules on one sample) make one campaign finding. */
static bool reported(const struct ctx *x, const char *id, const char *path)
{
    for (size_t i = 0; i < x->n; i++) {
        if (strcmp(x->items[i].id, id) == 0 && strcmp(x->items[i].loc.path, path) == 0)
            return true;
    }
    return false;
}

/* Map a content rule's finding on sample k (or on the description when
 * facts is NULL: only prohibited content counts there) to a campaign
 * finding. */
static void map_content(struct ctx *x, size_t k, const pf_finding *f, struct sample_facts *facts)
{
    const pf_campaign *c = x->c;
    bool tf = x->o->kind == PF_CAMPAIGN_TOLL_FREE;
    char path[48], quote[128] = "", what[32];
    const char *s;
    if (facts) {
        snprintf(path, sizeof path, "sample_messages[%zu]", k);
        snprintf(what, sizeof what, "Sample %zu", k + 1);
        s = c->samples[k];
    } else {
        snprintf(path, sizeof path, "description");
        snprintf(what, sizeof what, "The description");
        s = c->description;
    }
    if (f->has_span && f->span_end > f->span_start)
        snprintf(quote, sizeof quote, " (\"%.*s\")",
                 (int)(f->span_end - f->span_start > 80 ? 80 : f->span_end - f->span_start),
                 s + f->span_start);
    const char *id = f->id;
    bool span = f->has_span;
    size_t a = f->span_start, b = f->span_end;
    if (!facts) {
        /* The description: only what makes the program unregistrable. */
        if (strncmp(id, "content.shaft.", 14) && strcmp(id, "content.cannabis") &&
            strncmp(id, "content.high-risk-financial.", 28) && strcmp(id, "content.crypto") &&
            strcmp(id, "content.gambling"))
            return;
    } else if (strcmp(id, "content.url") == 0) {
        facts->link = true;
        if (span && strncmp(s + a, "http://", 7) == 0)
            add_at(x, "campaign.sample-insecure-link", -1, NULL, path, true, a, b,
                   "%s has a plain http:// link%s.", what, quote);
        return;
    }
    if (facts && strcmp(id, "content.phone-number") == 0) {
        facts->phone = true;
        return;
    }
    if (facts && strcmp(id, "content.url-shortener") == 0) {
        facts->link = true;
        add_at(x, "campaign.sample-url-shortener", -1, NULL, path, span, a, b,
               "%s links through a public URL shortener%s.", what, quote);
        return;
    }
    if (strncmp(id, "content.shaft.", 14) == 0 || strcmp(id, "content.cannabis") == 0) {
        const char *cat = strcmp(id, "content.cannabis") == 0 ? "cannabis" : id + 14;
        bool gated_ok = strcmp(cat, "alcohol") == 0 || strcmp(cat, "firearms") == 0 ||
                        strcmp(cat, "tobacco") == 0;
        /* Toll-free takes no tobacco or vape traffic, age gate or not (30458). */
        if (tf && strcmp(cat, "tobacco") == 0)
            gated_ok = false;
        if (gated_ok && c->age_gated)
            return;
        const char *code = NULL;
        if (tf)
            code = strcmp(cat, "sex") == 0       ? "30873"
                   : strcmp(cat, "hate") == 0    ? "30874"
                   : strcmp(cat, "alcohol") == 0 ? "30456"
                   : strcmp(cat, "tobacco") == 0 ? "30458"
                                                 : NULL;
        add_at(x, "campaign.content-shaft", -1, code, path, span, a, b, "%s has %s content%s%s.",
               what, cat, quote,
               gated_ok ? " and the campaign is not age_gated"
                        : "; it cannot be registered even with an age gate");
        return;
    }
    if (strncmp(id, "content.high-risk-financial.", 28) == 0 || strcmp(id, "content.crypto") == 0) {
        /* A declared direct lender may pitch its own loans: the lending
         * rule and the fast-cash pitch rule are what it declared. */
        if ((strcmp(id, "content.high-risk-financial.lending") == 0 ||
             strcmp(id, "content.high-risk-financial.pitch") == 0) &&
            c->direct_lending)
            return;
        /* The rules for other countries than the US and Canada. */
        size_t n = strlen(id);
        if (strcmp(id, "content.high-risk-financial.intl") == 0 ||
            (n > 5 && strcmp(id + n - 5, "-intl") == 0))
            return;
        if (reported(x, "campaign.content-high-risk", path))
            return;
        add_at(x, "campaign.content-high-risk", -1, NULL, path, span, a, b,
               "%s markets high-risk finance (%s)%s%s.", what, id + 8, quote,
               strcmp(id, "content.high-risk-financial.lending") == 0
                   ? " and the campaign does not declare direct_lending"
                   : "");
        return;
    }
    if (strcmp(id, "content.gambling") == 0) {
        add_at(x, "campaign.content-disallowed", -1, NULL, path, span, a, b,
               "%s promotes gambling%s.", what, quote);
        return;
    }
    if (strcmp(id, "content.prize") == 0 && strcmp(c->use_case, "SWEEPSTAKE") == 0)
        return;
    if (strcmp(id, "content.phishing") == 0) {
        add_at(x, "campaign.sample-phishing", -1, NULL, path, span, a, b,
               "%s reads like phishing%s: %s", what, quote, f->message);
        return;
    }
    /* Set-level checks cover these; the .intl rules are not about the US. */
    if (strcmp(id, "content.brand-missing") == 0 || strcmp(id, "content.opt-out-missing") == 0 ||
        strcmp(id, "content.help") == 0 || strstr(id, ".intl") || strstr(id, "-intl"))
        return;
    if (f->severity < PF_SEV_WARN)
        return;
    add_at(x, "campaign.sample-content", (int)f->severity, NULL, path, span, a, b, "%s: %s [%s]%s",
           what, f->message ? f->message : "", id, quote);
}

/* Scan text with the content rule packs as a US message from the
 * campaign's kind of sender. */
static pf_status scan_text(struct ctx *x, pf_scanner *sc, const char *text, pf_finding_list *found,
                           pf_diag *d)
{
    pf_scan_options so = pf_scan_options_default();
    so.country = "US";
    so.sender = x->o->kind == PF_CAMPAIGN_TOLL_FREE ? PF_SENDER_TOLL_FREE : PF_SENDER_LONG_CODE;
    so.first_message = PF_FIRST_NO;
    so.brand = x->c->brand_name;
    return pf_scanner_scan(sc, text, strlen(text), &so, found, d);
}

/* SHAFT, high-risk finance and gambling named in the description itself
 * (reviewers read it first; the 30883/30954 pages count it). */
static void check_description_content(struct ctx *x, pf_scanner *sc)
{
    if (blank(x->c->description))
        return;
    pf_finding_list found;
    pf_diag d;
    pf_finding_list_init(&found);
    pf_status st = scan_text(x, sc, x->c->description, &found, &d);
    if (st == PF_E_NOMEM)
        x->st = st;
    for (size_t i = 0; st == PF_OK && i < found.count; i++)
        map_content(x, 0, &found.items[i], NULL);
    pf_finding_list_clear(&found);
}

static void check_samples(struct ctx *x, pf_scanner *sc)
{
    const pf_campaign *c = x->c;
    bool tf = x->o->kind == PF_CAMPAIGN_TOLL_FREE;
    size_t n = c->sample_count;
    if (n < 2)
        ADD(x, "campaign.samples-count", c->has_samples ? "sample_messages" : "",
            "The campaign has %zu sample message%s; give at least two.", n, n == 1 ? "" : "s");
    else if (n > 5)
        add_at(x, "campaign.samples-count", PF_SEV_WARN, NULL, "sample_messages", false, 0, 0,
               "The campaign has %zu sample messages; the registration takes at most five.", n);
    bool brand = false, opt_out = false, vocab_hit = false;
    struct sample_facts facts = {false, false};
    static const char *const link_words[] = {"link*", "url*", "web*", NULL};
    static const char *const phone_words[] = {
        "phone*", "tel", "telephone*", "call-back number", "callback number", NULL};
    const char *const *v = vocab_of(c->use_case);
    for (size_t k = 0; k < n && x->st == PF_OK; k++) {
        const char *s = c->samples[k];
        char path[48];
        snprintf(path, sizeof path, "sample_messages[%zu]", k);
        if (blank(s)) {
            add_at(x, "campaign.sample-empty", -1, NULL, path, false, 0, 0, "Sample %zu is empty.",
                   k + 1);
            continue;
        }
        brand = brand || find_brand(s, c->brand_name) >= 0;
        opt_out = opt_out || has_any(s, opt_out_words);
        vocab_hit = vocab_hit || (v && has_any(s, v));
        size_t pn;
        long at = find_bad_placeholder(s, &pn);
        if (at >= 0)
            add_at(x, "campaign.sample-placeholder", -1, NULL, path, true, (size_t)at,
                   (size_t)at + pn,
                   "Sample %zu marks a templated field as \"%.*s\"; use [brackets].", k + 1,
                   (int)(pn > 60 ? 60 : pn), s + at);
        const char *which = NULL;
        long pa = informational(c->use_case) ? find_any(s, promo_words, &which) : -1;
        if (pa >= 0) {
            size_t wl = strcspn(which, "*");
            add_at(x, "campaign.sample-promotional", -1, NULL, path, true, (size_t)pa,
                   (size_t)pa + wl, "Sample %zu is promotional (\"%.*s\") under %s.", k + 1,
                   (int)wl, s + pa, c->use_case);
        }
        if (placeholder_for(s, link_words))
            facts.link = true;
        if (placeholder_for(s, phone_words))
            facts.phone = true;
        pf_finding_list found;
        pf_finding_list_init(&found);
        pf_diag d;
        pf_status st = scan_text(x, sc, s, &found, &d);
        if (st == PF_E_NOMEM)
            x->st = st;
        else if (st != PF_OK)
            add_at(x, "campaign.sample-content", PF_SEV_WARN, NULL, path, false, 0, 0,
                   "Sample %zu could not be scanned: %s", k + 1, d.message);
        for (size_t i = 0; st == PF_OK && i < found.count; i++)
            map_content(x, k, &found.items[i], &facts);
        pf_finding_list_clear(&found);
    }
    if (n && !brand)
        ADD(x, "campaign.samples-brand", "sample_messages",
            "No sample message names the brand \"%s\".", c->brand_name);
    if (n && !opt_out)
        ADD(x, "campaign.samples-opt-out", "sample_messages",
            "No sample message has opt-out language (e.g. \"Reply STOP to opt out\").");
    if (n && v && !vocab_hit)
        ADD(x, "campaign.samples-use-case", "sample_messages",
            "No sample message looks like a %s message.", c->use_case);
    if (tf)
        return; /* the toll-free form has no embedded-content attributes */
    if (facts.link && c->embedded_links != PFI_TRUE)
        ADD(x, "campaign.embedded-links-undeclared",
            c->embedded_links == PFI_ABSENT ? "" : "embedded_links",
            "Samples carry links but embedded_links is %s.",
            c->embedded_links == PFI_ABSENT ? "not given" : "false");
    if (!facts.link && c->embedded_links == PFI_TRUE && n)
        ADD(x, "campaign.embedded-links-unused", "embedded_links",
            "embedded_links is true but no sample has a link.");
    if (facts.phone && c->embedded_phone != PFI_TRUE)
        ADD(x, "campaign.embedded-phone-undeclared",
            c->embedded_phone == PFI_ABSENT ? "" : "embedded_phone_numbers",
            "Samples carry phone numbers but embedded_phone_numbers is %s.",
            c->embedded_phone == PFI_ABSENT ? "not given" : "false");
    if (!facts.phone && c->embedded_phone == PFI_TRUE && n)
        ADD(x, "campaign.embedded-phone-unused", "embedded_phone_numbers",
            "embedded_phone_numbers is true but no sample has a phone number.");
}

/* Whether text invites a texted keyword: "text JOIN to 12345", "reply
 * YES" (a keyword in capitals after text / reply / send). */
PF_STATIC bool texted_keyword(const char *text)
{
    static const char *const verbs[] = {"text", "reply", "send", "txt", NULL};
    for (size_t i = 0; verbs[i]; i++) {
        long at;
        const char *from = text;
        while ((at = find_word(from, verbs[i])) >= 0) {
            const char *w = from + at + strlen(verbs[i]);
            while (*w == ' ')
                w++;
            size_t n = 0;
            while (isupper((unsigned char)w[n]) || isdigit((unsigned char)w[n]))
                n++;
            if (n >= 2 && !is_word_char(w[n]) && strncmp(w, "STOP", 4) && strncmp(w, "HELP", 4))
                return true;
            from = w;
        }
    }
    return false;
}

/* Whether the words just before text[at] deny it ("is not a condition
 * of purchase", "never required"). */
static bool negated(const char *text, size_t at)
{
    static const char *const neg[] = {"not", "no", "never", "isn't", "without", "nor", NULL};
    size_t from = at > 32 ? at - 32 : 0;
    char before[40];
    pfi_copy_cut(before, sizeof before, text + from, at - from);
    return has_any(before, neg);
}

static void check_flow(struct ctx *x)
{
    const pf_campaign *c = x->c;
    const char *f = c->message_flow;
    if (c->age_gated && (!f || !has_any(f, age_words)))
        ADD(x, "campaign.age-gate-flow", f ? "message_flow" : "age_gated",
            "age_gated is true but the message flow does not say where and how age is "
            "verified.");
    if (blank(f) || count_words(f) < 8) {
        ADD(x, "campaign.message-flow-missing", f ? "message_flow" : "",
            blank(f) ? "There is no message flow: reviewers need to see how users opt in."
                     : "The message flow is too short to show how users opt in.");
        return;
    }
    if (!has_any(f, method_words) && !texted_keyword(f))
        ADD(x, "campaign.cta-method", "message_flow",
            "The message flow does not say how or where users give consent.");
    if (find_brand(f, c->brand_name) < 0)
        ADD(x, "campaign.cta-brand", "message_flow",
            "The message flow does not name the brand \"%s\".", c->brand_name);
    const char *const *v = vocab_of(c->use_case);
    if (v && !has_any(f, v))
        ADD(x, "campaign.cta-purpose", "message_flow",
            "The message flow does not say what %s messages users agree to.", c->use_case);
    if (!has_any(f, sms_words))
        ADD(x, "campaign.cta-sms", "message_flow",
            "The message flow does not mention text messages or SMS.");
    if (!has_any(f, frequency_words))
        ADD(x, "campaign.cta-frequency", "message_flow",
            "The message flow does not disclose how often messages are sent.");
    if (!has_any(f, rates_words))
        ADD(x, "campaign.cta-rates", "message_flow",
            "The message flow does not say \"message and data rates may apply\".");
    if (!has_any(f, stop_words))
        ADD(x, "campaign.cta-stop", "message_flow",
            "The message flow does not tell users to reply STOP to opt out.");
    if (!has_any(f, help_words))
        ADD(x, "campaign.cta-help", "message_flow",
            "The message flow does not tell users to reply HELP for help.");
    if (!has_any(f, privacy_words) && !(c->privacy_url && strstr(f, c->privacy_url)))
        ADD(x, "campaign.cta-privacy", "message_flow",
            "The message flow does not link the privacy policy.");
    if (!has_any(f, terms_words) && !(c->terms_url && strstr(f, c->terms_url)))
        ADD(x, "campaign.cta-terms", "message_flow", "The message flow does not link the terms.");
    if (strcmp(c->use_case, "MARKETING") == 0 && !has_any(f, written_words) && !texted_keyword(f))
        ADD(x, "campaign.cta-written-consent", "message_flow",
            "A MARKETING campaign needs express written consent; the message flow shows none "
            "(a checkbox, a signed form, a texted keyword).");
    const char *which = NULL;
    long at = find_any(f, required_words, &which);
    if (at >= 0 && negated(f, (size_t)at))
        at = -1;
    if (at >= 0) {
        size_t wl = strcspn(which, "*");
        add_at(x, "campaign.cta-consent-required", -1, NULL, "message_flow", true, (size_t)at,
               (size_t)at + wl, "The message flow makes consent look required (\"%.*s\").", (int)wl,
               f + at);
    }
}

/* Whether keyword kw (case-insensitive) is in k. */
static bool has_keyword(const struct pfi_campaign_keys *k, const char *kw)
{
    for (size_t i = 0; i < k->keyword_count; i++) {
        if (strcasecmp(k->keywords[i], kw) == 0)
            return true;
    }
    return false;
}

static void check_keywords(struct ctx *x)
{
    const pf_campaign *c = x->c;
    const struct pfi_campaign_keys *in = &c->opt_in, *out = &c->opt_out, *help = &c->help;
    /* Opt-in confirmation. */
    if (!in->present || blank(in->message)) {
        bool keywords = in->keyword_count > 0;
        add_at(x, "campaign.opt-in-message-missing", keywords ? PF_SEV_BLOCK : PF_SEV_WARN, NULL,
               in->present ? "opt_in" : "", false, 0, 0,
               keywords ? "opt_in has keywords but no confirmation message."
                        : "There is no opt-in confirmation message (the reply a new "
                          "subscriber gets).");
    } else {
        const char *m = in->message;
        char missing[160] = "";
        if (find_brand(m, c->brand_name) < 0)
            strcat(missing, ", the brand");
        if (!has_any(m, frequency_words))
            strcat(missing, ", the frequency");
        if (!has_any(m, rates_words))
            strcat(missing, ", message and data rates");
        if (!has_any(m, stop_words))
            strcat(missing, ", STOP");
        if (!has_any(m, help_words))
            strcat(missing, ", HELP");
        if (missing[0])
            ADD(x, "campaign.opt-in-message-elements", "opt_in.message",
                "The opt-in confirmation lacks %s.", missing + 2);
    }
    /* Opt-out. */
    if (!out->present || !out->keyword_count || blank(out->message)) {
        ADD(x, "campaign.opt-out-missing", out->present ? "opt_out" : "",
            !out->present         ? "There is no opt_out section (keywords and reply)."
            : !out->keyword_count ? "opt_out has no keywords."
                                  : "opt_out has no reply message.");
    }
    if (out->keyword_count && !has_keyword(out, "STOP"))
        ADD(x, "campaign.opt-out-stop", "opt_out.keywords",
            "STOP is not among the opt-out keywords.");
    if (out->present && !blank(out->message)) {
        bool b = find_brand(out->message, c->brand_name) >= 0;
        bool conf = has_any(out->message, confirm_out_words);
        if (!b || !conf)
            ADD(x, "campaign.opt-out-message", "opt_out.message", "The opt-out reply %s.",
                !b && !conf ? "names no brand and does not confirm that messages stop"
                : !b        ? "does not name the brand"
                            : "does not confirm that no more messages will be sent");
    }
    /* HELP. */
    if (!help->present || !help->keyword_count || blank(help->message)) {
        ADD(x, "campaign.help-missing", help->present ? "help" : "",
            !help->present         ? "There is no help section (keywords and reply)."
            : !help->keyword_count ? "help has no keywords."
                                   : "help has no reply message.");
    }
    if (help->keyword_count && !has_keyword(help, "HELP"))
        ADD(x, "campaign.help-keyword", "help.keywords", "HELP is not among the help keywords.");
    if (help->present && !blank(help->message)) {
        bool b = find_brand(help->message, c->brand_name) >= 0;
        bool contact = has_contact(help->message);
        if (!b || !contact)
            ADD(x, "campaign.help-message", "help.message", "The HELP reply %s.",
                !b && !contact ? "names no brand and no way to reach it"
                : !b           ? "does not name the brand"
                               : "gives no phone number, email or web address");
    }
    /* One keyword, two meanings. */
    const struct pfi_campaign_keys *lists[3] = {in, out, help};
    static const char *const names[3] = {"opt_in", "opt_out", "help"};
    for (int a = 0; a < 3; a++) {
        for (int b = a + 1; b < 3; b++) {
            for (size_t i = 0; i < lists[a]->keyword_count; i++) {
                if (has_keyword(lists[b], lists[a]->keywords[i])) {
                    char path[48];
                    snprintf(path, sizeof path, "%s.keywords", names[b]);
                    ADD(x, "campaign.keyword-conflict", path,
                        "\"%s\" is both an %s and a %s keyword.", lists[a]->keywords[i], names[a],
                        names[b]);
                }
            }
        }
    }
}

/* The host of an http(s) URL into host[cap]; false when url is none.
 * *https tells the scheme. */
PF_STATIC bool url_host(const char *url, char *host, size_t cap, bool *https)
{
    const char *p;
    if (strncasecmp(url, "https://", 8) == 0) {
        *https = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        *https = false;
        p = url + 7;
    } else {
        return false;
    }
    const char *at = p + strcspn(p, "/?#");
    const char *userinfo = memchr(p, '@', (size_t)(at - p));
    if (userinfo)
        p = userinfo + 1;
    size_t n = strcspn(p, ":/?#");
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!(isalnum((unsigned char)ch) || ch == '-' || ch == '.'))
            return false;
        host[i] = (char)tolower((unsigned char)ch);
    }
    host[n] = '\0';
    return strchr(host, '.') != NULL && host[n - 1] != '.';
}

/* The registrable part of a host, naively: its last two labels ("acme.example.com" ->
 * "example.com"), three when the second-level label is short under a
 * two-letter country code ("shop.acme.co.uk" -> "acme.co.uk"). */
static const char *site_of(const char *host)
{
    const char *last = strrchr(host, '.');
    if (!last || last == host)
        return host;
    const char *p = last - 1;
    while (p > host && *p != '.')
        p--;
    if (*p != '.')
        return host;
    size_t sld = (size_t)(last - p - 1), tld = strlen(last + 1);
    if (tld == 2 && sld <= 3 && p > host) {
        const char *q = p - 1;
        while (q > host && *q != '.')
            q--;
        return *q == '.' ? q + 1 : host;
    }
    return p + 1;
}

/* Whether host is h or a subdomain of it. */
static bool host_within(const char *host, const char *h)
{
    size_t a = strlen(host), b = strlen(h);
    if (a == b)
        return strcasecmp(host, h) == 0;
    return a > b && host[a - b - 1] == '.' && strcasecmp(host + a - b, h) == 0;
}

static void check_url(struct ctx *x, const char *url, const char *key, const char *what,
                      const char *missing_id, const char *invalid_id, const char *insecure_id,
                      const char *domain_id)
{
    const pf_campaign *c = x->c;
    char host[256], bhost[256];
    bool https = false, bhttps = false;
    if (blank(url)) {
        ADD(x, missing_id, url ? key : "", "There is no %s address.", what);
        return;
    }
    if (!url_host(url, host, sizeof host, &https)) {
        ADD(x, invalid_id, key, "The %s address \"%.80s\" is not an http(s) web address.", what,
            url);
        return;
    }
    if (!https)
        ADD(x, insecure_id, key, "The %s address is plain http://.", what);
    bool ok = false;
    if (c->brand_website && url_host(c->brand_website, bhost, sizeof bhost, &bhttps))
        ok = strcasecmp(site_of(host), site_of(bhost)) == 0;
    for (size_t i = 0; !ok && i < c->policy_host_count; i++)
        ok = host_within(host, c->policy_hosts[i]);
    if (!ok)
        ADD(x, domain_id, key,
            "The %s is on %s, which is neither the brand's website%s%s%s nor in policy_hosts.",
            what, host, c->brand_website ? " (" : "", c->brand_website ? c->brand_website : "",
            c->brand_website ? ")" : "");
}

static void check_urls(struct ctx *x)
{
    const pf_campaign *c = x->c;
    char host[256];
    bool https = false;
    if (!c->brand_website || !url_host(c->brand_website, host, sizeof host, &https) || !https)
        ADD(x, "campaign.website-missing", c->brand_website ? "brand.website" : "brand",
            c->brand_website ? "The brand's website \"%.80s\" is not an https address."
                             : "The brand has no website%.0s.",
            c->brand_website ? c->brand_website : "");
    check_url(x, c->privacy_url, "privacy_policy_url", "privacy policy",
              "campaign.privacy-url-missing", "campaign.privacy-url-invalid",
              "campaign.privacy-url-insecure", "campaign.privacy-url-domain");
    check_url(x, c->terms_url, "terms_url", "terms", "campaign.terms-url-missing",
              "campaign.terms-url-invalid", "campaign.terms-url-insecure",
              "campaign.terms-url-domain");
    if (x->o->kind == PF_CAMPAIGN_TOLL_FREE && !c->has_volume)
        ADD(x, "campaign.volume-missing", "", "monthly_volume is not given.");
}

/* ---- --fetch: the pages themselves ---- */

static const char *const no_share_words[] = {"not be shared",
                                             "not share",
                                             "never share",
                                             "not sell",
                                             "never sell",
                                             "not be sold",
                                             "will not be shared",
                                             "won't share",
                                             "not rent",
                                             "not be transferred",
                                             "no mobile information",
                                             "excludes text messaging",
                                             NULL};
static const char *const third_words[] = {"third part*", "affiliate*", "partners", NULL};
static const char *const sms_terms_words[] = {"sms", "text messag*", "text message*", NULL};

/* Fetch url and judge its text with ok(); an unreachable page is a
 * finding of unreachable_id. */
static void check_page(struct ctx *x, const char *url, const char *key, const char *what,
                       const char *unreachable_id, const char *content_id,
                       bool (*ok)(const char *body), const char *content_msg)
{
    char *body = NULL, err[256] = "", host[256];
    size_t len = 0;
    bool https;
    if (!url || !url_host(url, host, sizeof host, &https) || x->st != PF_OK)
        return;
    unsigned timeout = x->o->fetch_timeout_ms ? x->o->fetch_timeout_ms : 10000;
    size_t max = x->o->fetch_max_bytes ? x->o->fetch_max_bytes : (1u << 20);
    unsigned redirects = x->o->fetch_max_redirects ? x->o->fetch_max_redirects : 3;
    pf_status st = pfi_campaign_fetch(url, timeout, max, redirects, &body, &len, err, sizeof err);
    if (st == PF_E_NOMEM)
        x->st = st;
    else if (st != PF_OK)
        ADD(x, unreachable_id, key, "The %s page could not be fetched: %s.", what, err);
    else if (!ok(body))
        ADD(x, content_id, key, "%s", content_msg);
    free(body);
}

static bool privacy_ok(const char *body)
{
    return has_any(body, no_share_words) && has_any(body, third_words);
}

static bool terms_ok(const char *body)
{
    return has_any(body, sms_terms_words) && has_any(body, stop_words);
}

static void check_pages(struct ctx *x)
{
    check_page(x, x->c->privacy_url, "privacy_policy_url", "privacy policy",
               "campaign.privacy-unreachable", "campaign.privacy-no-sharing", privacy_ok,
               "The privacy policy page does not say that mobile information is not shared "
               "with third parties.");
    check_page(x, x->c->terms_url, "terms_url", "terms", "campaign.terms-unreachable",
               "campaign.terms-no-sms", terms_ok,
               "The terms page does not describe the SMS program (SMS or text messages, and "
               "STOP).");
}

/* ---- the result ---- */

static int cmp_items(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    if (a->sev != b->sev)
        return a->sev > b->sev ? -1 : 1;
    if (a->loc.at.line != b->loc.at.line)
        return a->loc.at.line < b->loc.at.line ? -1 : 1;
    if (a->loc.at.column != b->loc.at.column)
        return a->loc.at.column < b->loc.at.column ? -1 : 1;
    int k = strcmp(a->id, b->id);
    if (k)
        return k;
    return a->index < b->index ? -1 : a->index > b->index;
}

void pf_campaign_result_destroy(pf_campaign_result *r)
{
    if (!r)
        return;
    pf_finding_list_clear(&r->findings);
    free(r->locations);
    free(r);
}

pf_status pf_campaign_check(const pf_campaign *c, const pf_ruleset *rules,
                            const pf_campaign_options *opts, pf_campaign_result **out,
                            pf_diag *diag)
{
    pf_campaign_options def = pf_campaign_options_default();
    struct ctx x;
    pf_scanner *sc = NULL;
    pf_campaign_result *r = NULL;
    pf_status st;

    pf_diag_clear(diag);
    if (!out)
        return PF_E_INVALID;
    *out = NULL;
    if (!c || !rules) {
        pfi_diag_set(diag, PF_E_INVALID, "a campaign and a rule set are required");
        return PF_E_INVALID;
    }
    memset(&x, 0, sizeof x);
    x.c = c;
    x.o = opts ? opts : &def;
    pf_finding_list_init(&x.tmp);
    if ((st = pf_scanner_create(rules, &sc)) != PF_OK)
        goto out;
    check_description(&x);
    check_description_content(&x, sc);
    check_samples(&x, sc);
    check_flow(&x);
    check_keywords(&x);
    check_urls(&x);
    if (x.o->fetch)
        check_pages(&x);
    if ((st = x.st) != PF_OK)
        goto out;

    r = calloc(1, sizeof *r);
    if (!r || (x.n && !(r->locations = calloc(x.n, sizeof *r->locations)))) {
        st = PF_E_NOMEM;
        goto out;
    }
    pf_finding_list_init(&r->findings);
    r->file = c->file;
    r->brand = c->brand_name;
    r->use_case = c->use_case;
    r->kind = x.o->kind;
    if (x.n > 1)
        qsort(x.items, x.n, sizeof *x.items, cmp_items);
    for (size_t i = 0; i < x.n; i++) {
        const pf_finding *f = &x.tmp.items[x.items[i].index];
        if ((st = pf_finding_list_add(&r->findings, f)) != PF_OK)
            goto out;
        r->locations[i] = x.items[i].loc;
        r->severity_count[f->severity]++;
    }
    r->verdict = r->severity_count[PF_SEV_BLOCK]  ? PF_VERDICT_BLOCK
                 : r->severity_count[PF_SEV_WARN] ? PF_VERDICT_WARN
                                                  : PF_VERDICT_PASS;
    *out = r;
    r = NULL;
out:
    if (st == PF_E_NOMEM)
        pfi_diag_set(diag, st, "out of memory");
    pf_campaign_result_destroy(r);
    pf_scanner_destroy(sc);
    pf_finding_list_clear(&x.tmp);
    free(x.items);
    return st;
}
