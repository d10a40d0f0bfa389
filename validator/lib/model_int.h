/*
 * model_int.h — the "model" matcher (model.c): a logistic-regression spam
 * score over word 1-2-grams and character 3-5-grams of a normalised text,
 * loaded from a rule pack (rules/README.md, "model") and shared read-only
 * between threads like the compiled patterns.
 */
#ifndef PREFLIGHT_MODEL_INT_H
#define PREFLIGHT_MODEL_INT_H

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
