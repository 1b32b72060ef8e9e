/* state.h - plugin states and the one rule that orders them.
 *
 * Exit codes are the Nagios ones. "Worst" follows monitoring-plugins:
 * CRITICAL > WARNING > UNKNOWN > OK. The same order picks the exit code and
 * the word on the first line, so the two can never disagree. */
#ifndef KMS_STATE_H
#define KMS_STATE_H

#include <stdbool.h>

typedef enum {
	STATE_OK = 0,
	STATE_WARNING = 1,
	STATE_CRITICAL = 2,
	STATE_UNKNOWN = 3
} state_t;

/* Rank used to pick the worst state: OK 0, UNKNOWN 1, WARNING 2, CRITICAL 3. */
int state_rank(state_t st);

/* The worse of a and b by state_rank(). */
state_t state_worst(state_t a, state_t b);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". Never NULL. */
const char *state_name(state_t st);

/* Parse a state name (case-insensitive, "OK", "WARNING", "CRITICAL",
 * "UNKNOWN", also "0".."3"). Returns false when text is none of those. */
bool state_parse(const char *text, state_t *out);

/* Size of the error buffers that common/ fills: every failing function takes
 * char err[KMS_ERRLEN] and writes one specific, credential-free sentence. */
#define KMS_ERRLEN 512

#endif
