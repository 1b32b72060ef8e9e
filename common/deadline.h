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

#endif
