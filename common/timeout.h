/* timeout.h - the hard deadline behind -t.
 *
 * Network code works against deadline_left(); this is the backstop that ends
 * the process whatever it is blocked on (getaddrinfo, a stuck TLS read...).
 * The handler only calls async-signal-safe functions: it write(2)s a line
 * prepared in advance and _exit()s with the configured state.
 * Layer: above the leaves (number, text, vlog, state), below output. */
#ifndef KMS_TIMEOUT_H
#define KMS_TIMEOUT_H

#include "state.h"

/* Parse "-t SECONDS[:STATE]": seconds > 0 (decimals allowed, at most
 * 86400), state defaults to def. false with a message in err when malformed. */
bool timeout_parse(const char *text, state_t def, double *seconds, state_t *st,
		   char err[KMS_ERRLEN]);

/* Start the clock: records the start time, arms the backstop alarm at
 * seconds + 0.3 s. The message printed on expiry is
 * "KMS <ASPECT> <STATE> - <what> timed out after N s"; aspect is the
 * plugin's word ("HOST"), given here because this layer sits below the
 * output layer that keeps it ("CHECK" when NULL or empty). */
void timeout_start(double seconds, state_t st, const char *aspect);

/* Describe what is being waited on, for the expiry message ("fetching
 * https://host/doc.json"). Copied into a static buffer; must hold no secret. */
void timeout_set_activity(const char *what);

/* The expiry in JSON (--output-format json or mp-test-json: the document
 * of render.h with no subchecks), exiting 0 when exit_zero (mp-test-json).
 * Set by output_set_format(). */
void timeout_set_format(bool json, bool exit_zero);

/* Seconds configured with timeout_start(), its state. */
double timeout_seconds(void);
state_t timeout_state(void);

/* Monotonic clock in seconds. */
double mono_now(void);

/* Seconds left until the -t deadline (may be <= 0). */
double deadline_left(void);

/* Disarm the alarm (called before printing the final output). */
void timeout_stop(void);

#endif
