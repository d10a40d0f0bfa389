/*
 * report.h — renderers: turn the library's public result structs into text,
 * JSON (and later SARIF, JUnit, HTML, Markdown). They read only public
 * structs and write to the FILE the CLI hands them.
 */
#ifndef PREFLIGHT_REPORT_H
#define PREFLIGHT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "preflight/preflight.h"

/*
 * Copy possibly-invalid UTF-8 into out[cap] with every bad byte replaced by
 * U+FFFD and control characters other than tab/newline shown as U+FFFD, so
 * every report stays valid UTF-8 (and valid JSON).
 */
void pf_report_clean_utf8(const char *in, size_t len, char *out, size_t cap);

/*
 * Write s to f for a markup format: invalid UTF-8 and control characters
 * cleaned as pf_report_clean_utf8 does, then every byte passed through
 * escape, which returns its replacement or NULL to write the byte itself.
 */
void pf_report_write_escaped(FILE *f, const char *s, const char *(*escape)(char c));

/* One number's result as a JSON object (SPEC §3 user_number fields).
 * error is NULL for a parsed number, else why it could not be parsed. */
cJSON *pf_report_json_number(const pf_number *n, const char *error);

/* Print cJSON (formatted) and a newline; false on allocation failure. */
bool pf_report_json_print(FILE *f, const cJSON *doc);

/* One number's result as one line of text. */
void pf_report_text_number(FILE *f, const pf_number *n, const char *error, bool color);

/* A country entry as JSON, in the data file's own schema plus "code". */
cJSON *pf_report_json_country(const pf_country *c);

/* The country table header and one compact row per entry. */
void pf_report_text_country_header(FILE *f);
void pf_report_text_country_row(FILE *f, const pf_country *c);

/* A full entry, every fact with the source that backs it. */
void pf_report_text_country(FILE *f, const pf_country *c, bool color);

/* "pass", "warn" or "block" for a list of findings (info never counts). */
const char *pf_report_verdict_name(const pf_finding_list *findings);


/* One finding as SPEC §3 JSON. */
cJSON *pf_report_json_finding(const pf_finding *f);

/* {"encoding", "characters", "segments"}: SPEC §3 "message". */
cJSON *pf_report_json_message(const pf_segments *seg);

/* Full segment detail: units, per-segment split and the UCS-2 culprits. */
cJSON *pf_report_json_segments(const char *msg, size_t len, const pf_segments *seg);

/* Findings for a person: severity, id, message, the matched text, fix, source. */
void pf_report_text_findings(FILE *f, const char *msg, size_t len, const pf_finding_list *findings,
                             bool color);

/* Encoding, counts, the split and the culprits, for a person. */
void pf_report_text_segments(FILE *f, const char *msg, size_t len, const pf_segments *seg,
                             bool color);

/* What `preflight scan --format json` prints: the verdict of the findings,
 * the country (NULL: null), the message's segments and the findings. */
cJSON *pf_report_json_scan(const char *country, const pf_segments *seg,
                           const pf_finding_list *findings);

/* A verdict as SPEC §3 JSON: the library's writer (pf_verdict_to_json)
 * parsed back into a tree, for documents that embed it. */
cJSON *pf_report_json_verdict(const pf_verdict *v);

/* A verdict for a person: the verdict first, then each finding. */
void pf_report_text_verdict(FILE *f, const pf_verdict *v, const char *msg, size_t len, bool color);

/* ---- lint (preflight lint): text, JSON, SARIF 2.1.0, JUnit XML ---- */

/* Compiler style: "path:line:col: severity: message [id]", the source line
 * with a caret under the span, the fix; a note per template with its best
 * and worst length; a summary line. */
void pf_report_text_lint(FILE *f, const pf_lint_result *r, bool color);

/* One document: a summary and per-file, per-template results. */
cJSON *pf_report_json_lint(const pf_lint_result *r);

/* How a lint finding's location looks in JSON ("line", "column", ...). */
void pf_report_json_add_location(cJSON *finding, const pf_lint_location *loc);

/*
 * SARIF 2.1.0, one run. rules supplies each content rule's description and
 * default level; cwd (may be NULL) makes absolute paths relative to it.
 * False when writing ran out of memory.
 */
bool pf_report_sarif_lint(FILE *f, const pf_lint_result *r, const pf_ruleset *rules,
                          const char *cwd);

/* JUnit XML: a testsuite per file, a testcase per template, a failure per
 * finding at or above fail_on. */
void pf_report_junit_lint(FILE *f, const pf_lint_result *r, pf_severity fail_on);

/* SARIF's level for a severity: "error", "warning", "note". */
const char *pf_report_sarif_level(pf_severity s);

/* Helpers the lint renderers share with the campaign report. */
/* "   12 | source" and a caret line under loc's span. */
void pf_report_text_source_caret(FILE *f, const pf_lint_location *loc, bool color);
/* path as a relative URI reference (heap), relative to cwd when under it. */
char *pf_report_sarif_uri(const char *path, const char *cwd);
/* o[key] = {"text": text, ending in a period}. */
void pf_report_sarif_text(cJSON *o, const char *key, const char *text);
/* "content.url-shortener" -> "ContentUrlShortener". */
void pf_report_sarif_rule_name(const char *id, char *out, size_t cap);
/* o[key] = {"text": line's code points [from_col, to_col)}. */
void pf_report_sarif_snippet(cJSON *o, const char *key, const char *line, size_t len,
                             unsigned from_col, unsigned to_col);

/* ---- campaign (preflight campaign): text, JSON, SARIF 2.1.0, JUnit XML ---- */

/* Compiler style per finding ("file:line:col: severity: message [id] (code)",
 * the source line and caret, fix and source), a summary line per file. */
void pf_report_text_campaign(FILE *f, const pf_campaign_result *const *r, size_t n, bool color);

/* {"verdict", "campaigns": [{"file", "kind", "brand", "use_case", "verdict",
 * "counts", "findings": [SPEC §3 finding + rejection_code + line, column, path]}]}. */
cJSON *pf_report_json_campaign(const pf_campaign_result *const *r, size_t n);

/* SARIF 2.1.0, one run; every campaign.* check as a rule with its source. */
bool pf_report_sarif_campaign(FILE *f, const pf_campaign_result *const *r, size_t n,
                              const char *cwd);

/* JUnit XML: a testsuite per file, a testcase per check that ran into a
 * finding at or above fail_on, or one passing testcase per clean file. */
void pf_report_junit_campaign(FILE *f, const pf_campaign_result *const *r, size_t n,
                              pf_severity fail_on);

/* ---- audit (preflight audit): text, Markdown, JSON, HTML ---- */

/* For a terminal: the verdict first, the checklist, numbers, templates,
 * findings by category, then the country's facts with their sources. */
void pf_report_text_audit(FILE *f, const pf_audit *a, bool color);

/* GitHub-flavoured Markdown, for pull requests and wikis. */
void pf_report_md_audit(FILE *f, const pf_audit *a);

/* One JSON document (templates as pf_report_json_lint writes them). */
cJSON *pf_report_json_audit(const pf_audit *a);

/* One self-contained HTML page (inline CSS and SVG, no script, nothing
 * fetched), printable, with the verdict at the top and a chart of the
 * findings by category and severity. */
void pf_report_html_audit(FILE *f, const pf_audit *a);

#endif
