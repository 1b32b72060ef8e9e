/* deadline.h - when a KMS client loses its activation: the rule of
 * docs/DESIGN.md, "The client deadline rule", as a unit of its own.
 *
 * A leaf: uses only the types of doc.h (struct doc_client, enum
 * license_state, DOC_ABSENT) and libm; no I/O, no clock of its own (the
 * caller passes now), so a table of records is its whole test. */
#ifndef KMS_DEADLINE_H
#define KMS_DEADLINE_H

#include <stdbool.h>
#include "doc.h"

/* A KMS activation is valid 180 days (in seconds). */
#define KMS_VALIDITY_S (180.0 * 86400.0)

/* When c loses activation, in Unix seconds, into *out:
 *   licensed (1)            last_success_at + 180 days, else (never
 *                           reported) last_request_at + 180 days: the
 *                           state was reported then, so it renewed at the
 *                           latest then (an upper bound);
 *   grace (2, 3, 4, 6)      last_request_at + state_expires_in_minutes;
 *   unlicensed, notification (0, 5)
 *                           already lost: last_request_at when it is before
 *                           now, else now.
 * Returns false, *out untouched, when c lacks what its state needs (a
 * licensed client with neither time, a grace client without
 * last_request_at or state_expires_in_minutes) or has no license state. */
bool client_deadline(const struct doc_client *c, double now, double *out);

/* Where a client stands at now, with a window of window_s seconds (the
 * --days of check_kms_renewal): the at-risk classification. */
enum client_risk {
	RISK_FINE,        /* deadline after now + window_s */
	RISK_EXPIRING,    /* deadline in (now, now + window_s]: loses it soon */
	RISK_EXPIRED,     /* deadline <= now: activation already lost */
	RISK_NO_DEADLINE, /* client_deadline() found none: at risk unknown */
};

/* The class of c by client_deadline() at now: a deadline exactly at now
 * is already lost, one exactly at now + window_s is still expiring, one a
 * second later is fine. *deadline gets the deadline, NAN for
 * RISK_NO_DEADLINE. Expiring and expired together are the clients at
 * risk, the value check_kms_renewal judges with -w/-c. */
enum client_risk client_risk(const struct doc_client *c, double now, double window_s,
			     double *deadline);

#endif
