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

/* ---- per domain ------------------------------------------------------------
 *
 * A host publishes its SRV record in every domain of its DnsDomainPublishList
 * (host.dns_publish_domains), and 12293/12294 name the domain (an event's
 * domain). One domain that keeps failing must not be hidden by a success in
 * another, so each domain is judged on its own.
 *
 * Per-domain mode: the document lists dns_publish_domains or some 12293/12294
 * carries a domain, publishing is not off and there is an event log. Without
 * it (pub_domains.per_domain false) the host is judged as one, by
 * publishing_judge(): a document of before exporter 1.3 is judged as it
 * always was.
 *
 * The domains in play, in this order: the listed ones (when the list is
 * there); the host's own domain (host.name minus its first label, when it
 * has a dot) unless listed, since a host always publishes in its own domain
 * and the list only adds to it (Microsoft's documentation of
 * DnsDomainPublishList); then every other domain a 12293/12294 names, in the order
 * of the events, at most PUB_EVENT_DOMAINS_MAX of them (the events of any
 * further domain are counted in events_dropped and not judged: a document
 * cannot make the check's output or its work unbounded).
 * Events without a domain count for the one domain when exactly one is in
 * play; otherwise they are judged together, as one more entry without a
 * name (source PUBD_UNNAMED), by the rule of publishing_judge().
 *
 * Each domain: its newest 12293 after its newest 12294 (or with none) and
 * within the look-back is FAILING (WARNING); else a domain listed in
 * dns_publish_domains without a 12294 within the look-back is NEVER
 * (WARNING: it has not been published there within the look-back). The
 * own domain and event-only domains are not held to that: a host republishes
 * about daily, so asking it within a look-back of one day would flap; they
 * are QUIET without events. Boundaries as publishing_judge(): an event
 * exactly at now - lookback is within it, a 12293 and a 12294 at the same
 * second is recovered. */

#define PUB_EVENT_DOMAINS_MAX 256 /* event-only domains judged, at most */
#define PUB_DOMAINS_MAX (DOC_PUBLISH_DOMAINS_MAX + 1 + PUB_EVENT_DOMAINS_MAX + 1)

enum pub_source {
	PUBD_LISTED,  /* in host.dns_publish_domains */
	PUBD_OWN,     /* the host's own domain, when not listed */
	PUBD_EVENTS,  /* named only by events */
	PUBD_UNNAMED, /* the events without a domain, judged together */
};

enum pub_dkind {
	PUBD_QUIET,     /* no 12293/12294 (and not held to publish) */
	PUBD_PUBLISHED, /* a 12294 and no 12293 */
	PUBD_RECOVERED, /* the newest 12294 is not older than the newest 12293 */
	PUBD_FAILING,   /* WARNING: the newest 12293 after the newest 12294 (or
			   none), within the look-back */
	PUBD_FAIL_OLD,  /* the same, before the look-back: not judged */
	PUBD_NEVER,     /* WARNING: listed, no 12294 within the look-back */
};

struct pub_domain {
	const char *name;        /* lower-case, no trailing dot; points into
				    the document or pub_domains.own; NULL for
				    PUBD_UNNAMED */
	enum pub_source source;
	enum pub_dkind kind;
	state_t state;           /* WARNING for FAILING and NEVER, else OK */
	const struct doc_event *last_fail, *last_ok; /* newest 12293/12294, NULL */
	size_t n_failing;        /* as pub_verdict's */
	double failing_since;
};

struct pub_domains {
	bool per_domain;         /* false: judge with publishing_judge() */
	char own[DOC_DNS_NAME_MAX + 1]; /* the own domain, "" when none */
	struct pub_domain d[PUB_DOMAINS_MAX];
	size_t n;
	size_t n_warning;        /* domains (entries) in WARNING */
	size_t events_dropped;   /* 12293/12294 events of domains beyond the cap */
	size_t undomained;       /* 12293/12294 with a time but no domain */
	bool undomained_to_one;  /* ... counted for the one domain in play */
};

/* Fill *out for in (in->events) and host (name, dns_publish_domains). The
 * pointers in *out point into in->events, host and out. */
void publishing_domains(const struct pub_input *in, const struct doc_host *host,
			struct pub_domains *out);

/* The host's own domain: host_name minus its first label, lower-case,
 * without a trailing dot, when that is a DNS name (doc_dns_name); false
 * for a name without a dot. */
bool publishing_own_domain(const char *host_name, char out[DOC_DNS_NAME_MAX + 1]);

#endif
