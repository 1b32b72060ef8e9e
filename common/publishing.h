/* publishing.h - whether a KMS host publishes itself in DNS, judged from
 * its event history: event 12293 (publishing the _vlmcs._tcp SRV record
 * failed) against 12294 (it succeeded), within a look-back. The decision of
 * check_kms_service's DNS-publishing aspect, as a unit of its own.
 *
 * Pure: the caller passes the host's setting, the events, now and the
 * look-back; a verdict comes back. No I/O, no clock, no text. Uses only the
 * types of doc.h (struct doc_event, DOC_ABSENT), as deadline.h does. */
#ifndef KMS_PUBLISHING_H
#define KMS_PUBLISHING_H

#include <stdbool.h>
#include <stddef.h>
#include "doc.h"
#include "state.h"

#define PUB_EV_FAILED 12293 /* publishing in DNS failed */
#define PUB_EV_OK 12294     /* publishing in DNS succeeded */

enum pub_kind {
	PUB_OFF,         /* the setting is off (host.dns_publishing false) */
	PUB_UNCONFIRMED, /* on, but the document has no event log to confirm it */
	PUB_UNJUDGED,    /* the setting not reported and no event log: nothing to judge */
	PUB_QUIET,       /* an event log without any 12293 or 12294 */
	PUB_PUBLISHED,   /* a 12294 and no 12293 */
	PUB_RECOVERED,   /* the newest 12294 is not older than the newest 12293 */
	PUB_FAILING,     /* the newest 12293 is after the newest 12294 (or there is
			    none) and within the look-back */
	PUB_FAIL_OLD,    /* the same, but before the look-back: no longer judged */
};

struct pub_input {
	long long setting;              /* host.dns_publishing: 1, 0 or DOC_ABSENT */
	bool require;                   /* publishing off is a WARNING */
	bool has_events;                /* the document carries an event log */
	const struct doc_event *events; /* in any order; events without a time
					   are skipped */
	size_t n_events;
	double now, lookback;           /* Unix seconds, seconds */
};

struct pub_verdict {
	enum pub_kind kind;
	state_t state;                      /* WARNING when FAILING, or OFF and
					       required; else OK */
	const struct doc_event *last_fail;  /* the newest 12293, NULL when none */
	const struct doc_event *last_ok;    /* the newest 12294, NULL when none */
	/* The 12293s after the newest 12294 (every 12293 when there is no
	 * 12294): how many, and the time of the first (NAN when none). */
	size_t n_failing;
	double failing_since;
};

/* The verdict for in. A 12293 exactly at now - lookback is within the
 * look-back; a 12293 and a 12294 at the same time count as recovered. Of
 * several events at the same newest time, the first in the array is named.
 * The pointers in the verdict point into in->events. */
struct pub_verdict publishing_judge(const struct pub_input *in);

#endif
