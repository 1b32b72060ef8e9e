/* test_publishing.c - unit tests of common/publishing.c: the DNS-publishing
 * verdict from the 12293/12294 history. No events, only 12294, 12293 after
 * 12294 and the other way round, a 12293 older than the look-back, exactly
 * at its boundary and one second past it, publishing off (required or not),
 * the setting not reported, events without a time, other event ids, ties;
 * per domain (publishing_domains): when it applies, listed domains failing,
 * recovered and never published, the look-back's boundaries, the own
 * domain, domains named only by events and their cap, events without a
 * domain beside one domain and beside several. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "publishing.h"
#include "unit.h"

#define NOW (1795000000.0) /* 2026-11-18T11:06:40Z */
#define H (3600.0)
#define DAY (86400.0)
#define LB DAY             /* the default look-back */
#define NONE (-1)          /* no event named */
#define A NAN              /* an event without a time */
#define F PUB_EV_FAILED
#define S PUB_EV_OK
#define MAX_EV 6

struct ev {
	long long id;
	double at;
};

struct pcase {
	const char *name;
	long long setting;
	bool require, has_events;
	struct ev ev[MAX_EV];
	size_t n;
	double lookback;
	/* the verdict */
	enum pub_kind kind;
	state_t state;
	int last_fail, last_ok; /* indexes into ev, NONE */
	size_t n_failing;
	double since;           /* NAN when none */
};

static const struct pcase cases[] = {
	/* no history */
	{ "event log without events", 1, false, true, { { 0 } }, 0, LB,
	  PUB_QUIET, STATE_OK, NONE, NONE, 0, NAN },
	{ "no event log, publishing on", 1, false, false, { { 0 } }, 0, LB,
	  PUB_UNCONFIRMED, STATE_OK, NONE, NONE, 0, NAN },
	{ "no event log, setting not reported", DOC_ABSENT, false, false, { { 0 } }, 0, LB,
	  PUB_UNJUDGED, STATE_OK, NONE, NONE, 0, NAN },
	{ "no event log: the events are not looked at", 1, false, false, { { F, NOW } }, 1, LB,
	  PUB_UNCONFIRMED, STATE_OK, NONE, NONE, 0, NAN },
	{ "only other event ids", 1, false, true,
	  { { 12291, NOW - H }, { 12292, NOW - H }, { 12290, NOW }, { DOC_ABSENT, NOW } }, 4, LB,
	  PUB_QUIET, STATE_OK, NONE, NONE, 0, NAN },

	/* only 12294 */
	{ "one 12294", 1, false, true, { { S, NOW - 8 * H } }, 1, LB,
	  PUB_PUBLISHED, STATE_OK, NONE, 0, 0, NAN },
	{ "several 12294: the newest is named", 1, false, true,
	  { { S, NOW - 30 * DAY }, { S, NOW - H }, { S, NOW - 2 * DAY } }, 3, LB,
	  PUB_PUBLISHED, STATE_OK, NONE, 1, 0, NAN },
	{ "12294 older than the look-back still counts", 1, false, true,
	  { { S, NOW - 90 * DAY } }, 1, LB, PUB_PUBLISHED, STATE_OK, NONE, 0, 0, NAN },

	/* 12293 after 12294 */
	{ "12293 after 12294", 1, false, true, { { S, NOW - 29 * H }, { F, NOW - H } }, 2, LB,
	  PUB_FAILING, STATE_WARNING, 1, 0, 1, NOW - H },
	{ "12293s after 12294: counted from the first after it", 1, false, true,
	  { { F, NOW - H }, { S, NOW - 29 * H }, { F, NOW - 4 * H }, { F, NOW - 30 * H } }, 4, LB,
	  PUB_FAILING, STATE_WARNING, 0, 1, 2, NOW - 4 * H },
	{ "12293 without any 12294", 1, false, true, { { F, NOW - H } }, 1, LB,
	  PUB_FAILING, STATE_WARNING, 0, NONE, 1, NOW - H },
	{ "12293s without 12294: every one counts, older than the look-back too", 1, false, true,
	  { { F, NOW - 3 * DAY }, { F, NOW - H } }, 2, LB,
	  PUB_FAILING, STATE_WARNING, 1, NONE, 2, NOW - 3 * DAY },
	{ "12293 in the future (clock skew) is within", 1, false, true,
	  { { S, NOW - H }, { F, NOW + 600 } }, 2, LB,
	  PUB_FAILING, STATE_WARNING, 1, 0, 1, NOW + 600 },
	{ "setting not reported: judged by the events", DOC_ABSENT, false, true,
	  { { S, NOW - 2 * H }, { F, NOW - H } }, 2, LB,
	  PUB_FAILING, STATE_WARNING, 1, 0, 1, NOW - H },

	/* 12294 after 12293 */
	{ "12294 after 12293", 1, false, true, { { F, NOW - 2 * H }, { S, NOW - H } }, 2, LB,
	  PUB_RECOVERED, STATE_OK, 0, 1, 0, NAN },
	{ "12293 and 12294 at the same time: recovered", 1, false, true,
	  { { F, NOW - H }, { S, NOW - H } }, 2, LB, PUB_RECOVERED, STATE_OK, 0, 1, 0, NAN },
	{ "12294 after several 12293", 1, false, true,
	  { { F, NOW - 5 * H }, { F, NOW - 3 * H }, { S, NOW - 2 * H } }, 3, LB,
	  PUB_RECOVERED, STATE_OK, 1, 2, 0, NAN },

	/* the look-back */
	{ "12293 older than the look-back", 1, false, true,
	  { { S, NOW - 3 * DAY }, { F, NOW - LB - 60 } }, 2, LB,
	  PUB_FAIL_OLD, STATE_OK, 1, 0, 1, NOW - LB - 60 },
	{ "12293 older than the look-back, no 12294", 1, false, true,
	  { { F, NOW - 2 * DAY } }, 1, LB, PUB_FAIL_OLD, STATE_OK, 0, NONE, 1, NOW - 2 * DAY },
	{ "12293 exactly at the look-back boundary is within", 1, false, true,
	  { { S, NOW - 3 * DAY }, { F, NOW - LB } }, 2, LB,
	  PUB_FAILING, STATE_WARNING, 1, 0, 1, NOW - LB },
	{ "12293 one second before the boundary", 1, false, true,
	  { { S, NOW - 3 * DAY }, { F, NOW - LB - 1 } }, 2, LB,
	  PUB_FAIL_OLD, STATE_OK, 1, 0, 1, NOW - LB - 1 },
	{ "a longer look-back takes it in again", 1, false, true,
	  { { S, NOW - 3 * DAY }, { F, NOW - LB - 60 } }, 2, LB + 60,
	  PUB_FAILING, STATE_WARNING, 1, 0, 1, NOW - LB - 60 },
	{ "an old 12293 does not count once a 12294 followed", 1, false, true,
	  { { F, NOW - 3 * DAY }, { S, NOW - 2 * DAY }, { F, NOW - H } }, 3, LB,
	  PUB_FAILING, STATE_WARNING, 2, 1, 1, NOW - H },

	/* publishing off: the events do not matter */
	{ "publishing off", 0, false, true, { { F, NOW - H } }, 1, LB,
	  PUB_OFF, STATE_OK, NONE, NONE, 0, NAN },
	{ "publishing off, required", 0, true, true, { { S, NOW - H } }, 1, LB,
	  PUB_OFF, STATE_WARNING, NONE, NONE, 0, NAN },
	{ "publishing off, required, no event log", 0, true, false, { { 0 } }, 0, LB,
	  PUB_OFF, STATE_WARNING, NONE, NONE, 0, NAN },
	{ "publishing on, required: the events decide", 1, true, true, { { S, NOW - H } }, 1, LB,
	  PUB_PUBLISHED, STATE_OK, NONE, 0, 0, NAN },

	/* events without a time are skipped */
	{ "12293 without a time", 1, false, true, { { F, A }, { S, NOW - H } }, 2, LB,
	  PUB_PUBLISHED, STATE_OK, NONE, 1, 0, NAN },
	{ "12294 without a time", 1, false, true, { { S, A }, { F, NOW - H } }, 2, LB,
	  PUB_FAILING, STATE_WARNING, 1, NONE, 1, NOW - H },
	{ "only events without a time", 1, false, true, { { S, A }, { F, A } }, 2, LB,
	  PUB_QUIET, STATE_OK, NONE, NONE, 0, NAN },

	/* ties: the first of the newest is named */
	{ "two 12293 at the same newest time", 1, false, true,
	  { { F, NOW - H }, { F, NOW - H } }, 2, LB, PUB_FAILING, STATE_WARNING, 0, NONE, 2, NOW - H },
	{ "two 12294 at the same newest time", 1, false, true,
	  { { S, NOW - H }, { S, NOW - H } }, 2, LB, PUB_PUBLISHED, STATE_OK, NONE, 0, 0, NAN },
};

static const char *kind_name(enum pub_kind k)
{
	static const char *const names[] = { "OFF", "UNCONFIRMED", "UNJUDGED", "QUIET",
					     "PUBLISHED", "RECOVERED", "FAILING", "FAIL_OLD" };
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static int index_of(const struct doc_event *evs, const struct doc_event *e)
{
	return e ? (int)(e - evs) : NONE;
}

START_TEST(table)
{
	const struct pcase *k = &cases[_i];
	struct doc_event evs[MAX_EV];
	memset(evs, 0, sizeof evs);
	for (size_t i = 0; i < k->n; i++) {
		evs[i].id = k->ev[i].id;
		evs[i].at = k->ev[i].at;
	}
	struct pub_input in = {
		.setting = k->setting, .require = k->require, .has_events = k->has_events,
		.events = k->has_events ? evs : NULL, .n_events = k->has_events ? k->n : 0,
		.now = NOW, .lookback = k->lookback,
	};
	struct pub_verdict v = publishing_judge(&in);
	ck_assert_msg(v.kind == k->kind, "%s: kind %s, want %s", k->name, kind_name(v.kind),
		      kind_name(k->kind));
	ck_assert_msg(v.state == k->state, "%s: state %d, want %d", k->name, v.state, k->state);
	ck_assert_msg(index_of(evs, v.last_fail) == k->last_fail, "%s: last 12293 #%d, want #%d",
		      k->name, index_of(evs, v.last_fail), k->last_fail);
	ck_assert_msg(index_of(evs, v.last_ok) == k->last_ok, "%s: last 12294 #%d, want #%d",
		      k->name, index_of(evs, v.last_ok), k->last_ok);
	ck_assert_msg(v.n_failing == k->n_failing, "%s: %zu failing, want %zu", k->name,
		      v.n_failing, k->n_failing);
	if (isnan(k->since))
		ck_assert_msg(isnan(v.failing_since), "%s: failing since %.17g, want none",
			      k->name, v.failing_since);
	else
		ck_assert_msg(v.failing_since == k->since, "%s: failing since %.17g, want %.17g",
			      k->name, v.failing_since, k->since);
}
END_TEST

/* ---- per domain: publishing_domains() ------------------------------------ */

#define MAX_DEV 6
#define MAX_DOM 4
#define NOLIST ((const char *)1) /* no dns_publish_domains in the host */

struct dev {
	long long id;
	double at;
	const char *domain; /* NULL: none */
};

struct dexp {
	const char *name;   /* NULL: the unnamed entry */
	enum pub_source src;
	enum pub_dkind kind;
	int last_fail, last_ok; /* indexes into ev, NONE */
};

struct dcase {
	const char *name;
	const char *host;
	const char *list[MAX_DOM + 1]; /* { NOLIST }: absent; NULL-terminated */
	long long setting;
	bool has_events;
	struct dev ev[MAX_DEV];
	size_t n;
	/* the verdict */
	bool per_domain;
	size_t n_dom, n_warning;
	bool to_one;
	struct dexp d[MAX_DOM + 1];
};

#define ABSENT_LIST { NOLIST }
#define HOST "kms01.corp.example"
/* the rules of listed domains, without an own domain beside them */
#define NODOT "kms01"

static const struct dcase dcases[] = {
	/* today's documents: judged as one */
	{ "no list, no domain on any event", HOST, ABSENT_LIST, 1, true,
	  { { F, NOW - H, NULL }, { S, NOW - 2 * H, NULL } }, 2, false, 0, 0, false, { { 0 } } },
	{ "a domain on another event id only", HOST, ABSENT_LIST, 1, true,
	  { { 12291, NOW - H, "corp.example" }, { S, NOW - 2 * H, NULL } }, 2,
	  false, 0, 0, false, { { 0 } } },
	{ "a domain on an event without a time", HOST, ABSENT_LIST, 1, true,
	  { { F, A, "corp.example" } }, 1, false, 0, 0, false, { { 0 } } },
	{ "publishing off: judged as one", HOST, { "corp.example", NULL }, 0, true,
	  { { F, NOW - H, "corp.example" } }, 1, false, 0, 0, false, { { 0 } } },
	{ "no event log: judged as one", HOST, { "corp.example", NULL }, 1, false,
	  { { 0 } }, 0, false, 0, 0, false, { { 0 } } },

	/* listed domains */
	{ "one failing, one recovered, one never published", NODOT,
	  { "a.example", "b.example", "c.example", NULL }, 1, true,
	  { { S, NOW - 29 * H, "a.example" }, { F, NOW - H, "a.example" },
	    { F, NOW - 3 * H, "b.example" }, { S, NOW - 2 * H, "b.example" } }, 4,
	  true, 3, 2, false,
	  { { "a.example", PUBD_LISTED, PUBD_FAILING, 1, 0 },
	    { "b.example", PUBD_LISTED, PUBD_RECOVERED, 2, 3 },
	    { "c.example", PUBD_LISTED, PUBD_NEVER, NONE, NONE } } },
	{ "12294 exactly at the look-back boundary is within", NODOT, { "a.example", NULL }, 1, true,
	  { { S, NOW - LB, "a.example" } }, 1, true, 1, 0, false,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 } } },
	{ "12294 one second before the boundary: never published within", NODOT,
	  { "a.example", NULL }, 1, true, { { S, NOW - LB - 1, "a.example" } }, 1, true, 1, 1, false,
	  { { "a.example", PUBD_LISTED, PUBD_NEVER, NONE, 0 } } },
	{ "12293 exactly at the boundary is failing", NODOT, { "a.example", NULL }, 1, true,
	  { { S, NOW - 3 * DAY, "a.example" }, { F, NOW - LB, "a.example" } }, 2, true, 1, 1, false,
	  { { "a.example", PUBD_LISTED, PUBD_FAILING, 1, 0 } } },
	{ "a listed domain's old 12293 and no 12294 since: never published", NODOT,
	  { "a.example", NULL }, 1, true,
	  { { S, NOW - 3 * DAY, "a.example" }, { F, NOW - 2 * DAY, "a.example" } }, 2,
	  true, 1, 1, false, { { "a.example", PUBD_LISTED, PUBD_NEVER, 1, 0 } } },
	{ "12293 and 12294 at the same second: recovered", NODOT, { "a.example", NULL }, 1, true,
	  { { F, NOW - H, "a.example" }, { S, NOW - H, "a.example" } }, 2, true, 1, 0, false,
	  { { "a.example", PUBD_LISTED, PUBD_RECOVERED, 0, 1 } } },
	{ "a success in one domain does not hide another's failure", NODOT,
	  { "a.example", "b.example", NULL }, 1, true,
	  { { F, NOW - 2 * H, "a.example" }, { S, NOW - H, "b.example" } }, 2, true, 2, 1, false,
	  { { "a.example", PUBD_LISTED, PUBD_FAILING, 0, NONE },
	    { "b.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 1 } } },
	{ "an empty list and no events naming a domain: nothing in play", NODOT, { NULL }, 1, true,
	  { { 0 } }, 0, true, 0, 0, false, { { 0 } } },
	{ "an empty list: the undomained events judged together", NODOT, { NULL }, 1, true,
	  { { F, NOW - H, NULL } }, 1, true, 1, 1, false,
	  { { NULL, PUBD_UNNAMED, PUBD_FAILING, 0, NONE } } },
	{ "setting not reported: per domain all the same", NODOT, { "a.example", NULL }, DOC_ABSENT,
	  true, { { S, NOW - H, "a.example" } }, 1, true, 1, 0, false,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 } } },

	/* the own domain beside a list: a host always publishes there too */
	{ "own domain judged beside a list, quiet without events", HOST, { "a.example", NULL }, 1,
	  true, { { S, NOW - H, "a.example" } }, 1, true, 2, 0, false,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 },
	    { "corp.example", PUBD_OWN, PUBD_QUIET, NONE, NONE } } },
	{ "own domain failing beside a publishing list is not hidden", HOST, { "a.example", NULL },
	  1, true, { { S, NOW - H, "a.example" }, { F, NOW - 2 * H, "corp.example" } }, 2, true, 2,
	  1, false,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 },
	    { "corp.example", PUBD_OWN, PUBD_FAILING, 1, NONE } } },
	{ "own domain listed: once, and held to publish as listed", HOST,
	  { "corp.example", NULL }, 1, true, { { S, NOW - 3 * DAY, "corp.example" } }, 1, true, 1, 1,
	  false, { { "corp.example", PUBD_LISTED, PUBD_NEVER, NONE, 0 } } },
	{ "undomained events beside a list and the own domain: judged together", HOST,
	  { "a.example", NULL }, 1, true, { { S, NOW - H, "a.example" }, { F, NOW - H, NULL } }, 2,
	  true, 3, 1, false,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 },
	    { "corp.example", PUBD_OWN, PUBD_QUIET, NONE, NONE },
	    { NULL, PUBD_UNNAMED, PUBD_FAILING, 1, NONE } } },

	/* the own domain: never held to publish within the look-back */
	{ "own domain from host.name, judged by its events", HOST, ABSENT_LIST, 1, true,
	  { { S, NOW - 30 * H, "corp.example" }, { F, NOW - H, "corp.example" } }, 2,
	  true, 1, 1, false, { { "corp.example", PUBD_OWN, PUBD_FAILING, 1, 0 } } },
	{ "own domain without events is quiet, not never published", HOST, ABSENT_LIST, 1, true,
	  { { S, NOW - H, "lab.example" } }, 1, true, 2, 0, false,
	  { { "corp.example", PUBD_OWN, PUBD_QUIET, NONE, NONE },
	    { "lab.example", PUBD_EVENTS, PUBD_PUBLISHED, NONE, 0 } } },
	{ "own domain with an old 12294 only: published", HOST, ABSENT_LIST, 1, true,
	  { { S, NOW - 9 * DAY, "corp.example" } }, 1, true, 1, 0, false,
	  { { "corp.example", PUBD_OWN, PUBD_PUBLISHED, NONE, 0 } } },
	{ "own domain of an upper-case host name with a dot at the end", "KMS01.Corp.Example.",
	  ABSENT_LIST, 1, true, { { S, NOW - H, "corp.example" } }, 1, true, 1, 0, false,
	  { { "corp.example", PUBD_OWN, PUBD_PUBLISHED, NONE, 0 } } },
	{ "a host name without a dot has no own domain", "kms01", ABSENT_LIST, 1, true,
	  { { F, NOW - H, "corp.example" } }, 1, true, 1, 1, false,
	  { { "corp.example", PUBD_EVENTS, PUBD_FAILING, 0, NONE } } },

	/* event-only domains beside the list */
	{ "a domain named only by events is judged too, never held to publish", NODOT,
	  { "a.example", NULL }, 1, true,
	  { { S, NOW - H, "a.example" }, { F, NOW - 10 * DAY, "x.example" } }, 2, true, 2, 0, false,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 },
	    { "x.example", PUBD_EVENTS, PUBD_FAIL_OLD, 1, NONE } } },

	/* events without a domain */
	{ "undomained events count for the one domain in play", NODOT, { "a.example", NULL }, 1, true,
	  { { S, NOW - 2 * H, "a.example" }, { F, NOW - H, NULL } }, 2, true, 1, 1, true,
	  { { "a.example", PUBD_LISTED, PUBD_FAILING, 1, 0 } } },
	{ "undomained 12294 publishes the one listed domain", NODOT, { "a.example", NULL }, 1, true,
	  { { S, NOW - H, NULL } }, 1, true, 1, 0, true,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 } } },
	{ "undomained events beside several domains are judged together", NODOT,
	  { "a.example", "b.example", NULL }, 1, true,
	  { { S, NOW - H, "a.example" }, { S, NOW - H, "b.example" }, { F, NOW - 3 * H, NULL },
	    { S, NOW - 2 * H, NULL } }, 4, true, 3, 0, false,
	  { { "a.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 0 },
	    { "b.example", PUBD_LISTED, PUBD_PUBLISHED, NONE, 1 },
	    { NULL, PUBD_UNNAMED, PUBD_RECOVERED, 2, 3 } } },
	{ "undomained failure beside several domains warns on its own", HOST,
	  ABSENT_LIST, 1, true,
	  { { S, NOW - H, "corp.example" }, { S, NOW - H, "lab.example" }, { F, NOW - 3 * H, NULL } },
	  3, true, 3, 1, false,
	  { { "corp.example", PUBD_OWN, PUBD_PUBLISHED, NONE, 0 },
	    { "lab.example", PUBD_EVENTS, PUBD_PUBLISHED, NONE, 1 },
	    { NULL, PUBD_UNNAMED, PUBD_FAILING, 2, NONE } } },
};

static const char *dkind_name(enum pub_dkind k)
{
	static const char *const names[] = { "QUIET", "PUBLISHED", "RECOVERED", "FAILING",
					     "FAIL_OLD", "NEVER" };
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static struct pub_domains out;

START_TEST(domains_table)
{
	const struct dcase *k = &dcases[_i];
	struct doc_event evs[MAX_DEV];
	memset(evs, 0, sizeof evs);
	for (size_t i = 0; i < k->n; i++) {
		evs[i].id = k->ev[i].id;
		evs[i].at = k->ev[i].at;
		evs[i].domain = (char *)k->ev[i].domain;
	}
	struct doc_host host = { .name = (char *)k->host };
	char *list[MAX_DOM];
	if (k->list[0] != NOLIST) {
		host.has_dns_publish_domains = true;
		while (host.n_dns_publish_domains < MAX_DOM && k->list[host.n_dns_publish_domains]) {
			list[host.n_dns_publish_domains] = (char *)k->list[host.n_dns_publish_domains];
			host.n_dns_publish_domains++;
		}
		host.dns_publish_domains = list;
	}
	struct pub_input in = {
		.setting = k->setting, .has_events = k->has_events,
		.events = k->has_events ? evs : NULL, .n_events = k->has_events ? k->n : 0,
		.now = NOW, .lookback = LB,
	};
	publishing_domains(&in, &host, &out);
	ck_assert_msg(out.per_domain == k->per_domain, "%s: per_domain %d", k->name, out.per_domain);
	ck_assert_msg(out.n == k->n_dom, "%s: %zu domains, want %zu", k->name, out.n, k->n_dom);
	ck_assert_msg(out.n_warning == k->n_warning, "%s: %zu warning, want %zu", k->name,
		      out.n_warning, k->n_warning);
	ck_assert_msg(out.undomained_to_one == k->to_one, "%s: undomained_to_one", k->name);
	ck_assert_uint_eq(out.events_dropped, 0);
	for (size_t i = 0; i < out.n && i < k->n_dom; i++) {
		const struct pub_domain *d = &out.d[i];
		const struct dexp *x = &k->d[i];
		if (x->name)
			ck_assert_msg(d->name && strcmp(d->name, x->name) == 0, "%s: #%zu is %s",
				      k->name, i, d->name ? d->name : "(unnamed)");
		else
			ck_assert_msg(!d->name, "%s: #%zu is %s, want unnamed", k->name, i, d->name);
		ck_assert_msg(d->source == x->src, "%s: #%zu source %d", k->name, i, d->source);
		ck_assert_msg(d->kind == x->kind, "%s: #%zu kind %s, want %s", k->name, i,
			      dkind_name(d->kind), dkind_name(x->kind));
		state_t want = x->kind == PUBD_FAILING || x->kind == PUBD_NEVER ? STATE_WARNING
										: STATE_OK;
		ck_assert_msg(d->state == want, "%s: #%zu state %d", k->name, i, d->state);
		ck_assert_msg(index_of(evs, d->last_fail) == x->last_fail, "%s: #%zu last 12293 #%d",
			      k->name, i, index_of(evs, d->last_fail));
		ck_assert_msg(index_of(evs, d->last_ok) == x->last_ok, "%s: #%zu last 12294 #%d",
			      k->name, i, index_of(evs, d->last_ok));
	}
}
END_TEST

/* The cap on domains named only by events: the first 256 are judged, the
 * events of the rest counted; a listed domain is never capped. */
START_TEST(domains_cap)
{
	enum { N = PUB_EVENT_DOMAINS_MAX + 40 };
	static struct doc_event evs[N + 2];
	static char names[N][24];
	memset(evs, 0, sizeof evs);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "d%d.example", i);
		evs[i] = (struct doc_event){ .id = F, .at = NOW - H, .domain = names[i] };
	}
	/* a second event of a dropped domain, and one of a judged one */
	evs[N] = (struct doc_event){ .id = S, .at = NOW - 2 * H, .domain = names[N - 1] };
	evs[N + 1] = (struct doc_event){ .id = S, .at = NOW - 2 * H, .domain = names[0] };
	char *list[] = { "listed.example" };
	struct doc_host host = { .name = HOST, .has_dns_publish_domains = true,
				 .dns_publish_domains = list, .n_dns_publish_domains = 1 };
	struct pub_input in = { .setting = 1, .has_events = true, .events = evs,
				.n_events = N + 2, .now = NOW, .lookback = LB };
	publishing_domains(&in, &host, &out);
	ck_assert(out.per_domain);
	/* the listed domain, the own domain (kms01.corp.example), then the
	 * event-only domains */
	ck_assert_uint_eq(out.n, 2 + PUB_EVENT_DOMAINS_MAX);
	ck_assert_str_eq(out.d[0].name, "listed.example");
	ck_assert_int_eq(out.d[0].kind, PUBD_NEVER);
	ck_assert_str_eq(out.d[1].name, "corp.example");
	ck_assert_int_eq(out.d[1].kind, PUBD_QUIET);
	ck_assert_str_eq(out.d[PUB_EVENT_DOMAINS_MAX + 1].name, names[PUB_EVENT_DOMAINS_MAX - 1]);
	ck_assert_uint_eq(out.events_dropped, 40 + 1);
	ck_assert_uint_eq(out.n_warning, 1 + PUB_EVENT_DOMAINS_MAX);
	ck_assert_ptr_eq(out.d[2].last_ok, &evs[N + 1]);
}
END_TEST

START_TEST(own_domain)
{
	char d[DOC_DNS_NAME_MAX + 1];
	ck_assert(publishing_own_domain("kms01.corp.example", d));
	ck_assert_str_eq(d, "corp.example");
	ck_assert(publishing_own_domain("KMS01.Corp.Example.", d));
	ck_assert_str_eq(d, "corp.example");
	ck_assert(!publishing_own_domain("kms01", d));
	ck_assert(!publishing_own_domain("kms01.", d));
	ck_assert(!publishing_own_domain("kms01.corp_x.example", d));
	ck_assert(!publishing_own_domain(NULL, d));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("publishing");
	TCase *tc = tcase_create("verdict");
	tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof cases[0]));
	suite_add_tcase(s, tc);
	TCase *td = tcase_create("per domain");
	tcase_add_loop_test(td, domains_table, 0, (int)(sizeof dcases / sizeof dcases[0]));
	tcase_add_test(td, domains_cap);
	tcase_add_test(td, own_domain);
	suite_add_tcase(s, td);
	return unit_run(s);
}
