/*
 * fuzz.h — what every fuzz target shares. Each target defines
 * LLVMFuzzerTestOneInput; built with -fsanitize=fuzzer it is a libFuzzer
 * binary, built without it replay.c supplies main() and runs the target over
 * every file of its seed corpus, so the normal test build runs them too.
 */
#ifndef PREFLIGHT_FUZZ_H
#define PREFLIGHT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
