/* fuzz.h - helpers shared by the libFuzzer targets in this directory.
 *
 * Each target feeds the fuzzer's bytes to one parser of outside input and
 * then checks what the parser promises (NUL-terminated messages under
 * KMS_ERRLEN, no NaN where a value is promised, round trips). A broken
 * promise calls fuzz_fail(), which aborts so libFuzzer records the input. */
#ifndef KMS_FUZZ_H
#define KMS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state.h"

/* A malloc'd NUL-terminated copy of data (the caller frees); embedded NULs
 * stay, so the parser sees the text up to the first one, as from argv. */
static inline char *fuzz_cstr(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Abort with why: a parser broke its contract on this input. */
#define fuzz_fail(...) do { fprintf(stderr, "fuzz: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } while (0)

/* After a failure, err must be a non-empty message terminated inside
 * KMS_ERRLEN (on success it may be left untouched). */
static inline void fuzz_check_err(const char err[KMS_ERRLEN], int failed)
{
	if (!failed)
		return;
	if (!memchr(err, '\0', KMS_ERRLEN))
		fuzz_fail("error message not terminated");
	if (err[0] == '\0')
		fuzz_fail("failure without a message");
}

#endif
