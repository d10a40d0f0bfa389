/*
 * model_int.h — the "model" matcher (model.c): a logistic-regression spam
 * score over word 1-2-grams and character 3-5-grams of a normalised text,
 * loaded from a rule pack (rules/README.md, "model") and shared read-only
 * between threads like the compiled patterns.
 */
#ifndef PREFLIGHT_MODEL_INT_H
#define PREFLIGHT_MODEL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "json_int.h"
#include "preflight/status.h"

struct pfi_model;

/*
 * Load the value of a rule's "model" key (at the loader's current path).
 * Feature strings point into the cJSON tree, which must outlive the model.
 * Errors name file, line:column and key path (model.features[12]).
 */
pf_status pfi_model_load(struct pfi_json *j, const cJSON *model, struct pfi_model **out);
void pfi_model_free(struct pfi_model *m);

/*
 * The rule-set snapshot (rules_snap.c): a model's parts, and a model built
 * back from them. pfi_model_new makes room for n features; pfi_model_add
 * adds one (not copied: it must outlive the model), false when it is not
 * a feature load_features would take (form, weight range, duplicate) or
 * there is no room; pfi_model_complete tells whether all n were added.
 * NULL from pfi_model_new: out of range, or out of memory.
 */
void pfi_model_parts(const struct pfi_model *m, long *bias, long *threshold, size_t *n);
const char *pfi_model_feature(const struct pfi_model *m, size_t i, size_t *len, long *weight);
struct pfi_model *pfi_model_new(long bias, long threshold, size_t n);
bool pfi_model_add(struct pfi_model *m, const char *feat, size_t len, long weight);
bool pfi_model_complete(const struct pfi_model *m);

/* The threshold, in thousandths: a message scoring at least this is flagged. */
long pfi_model_threshold(const struct pfi_model *m);

/*
 * Score msg (len bytes of valid UTF-8) in thousandths: the bias plus the
 * weight of every distinct feature the message has. When why is not NULL
 * it gets (cut to whysize) the strongest terms, up to three, as
 * `"claim" (+1.234), "<url>" (+0.500)` ("" when none adds to the score).
 * Exactly the score and terms of tests/eval/tools/train_model.py.
 */
pf_status pfi_model_score(const struct pfi_model *m, const char *msg, size_t len, long *score,
                          char *why, size_t whysize);

#endif
