/* test_publishing.c - unit tests of common/publishing.c: the DNS-publishing
 * verdict from the 12293/12294 history. No events, only 12294, 12293 after
 * 12294 and the other way round, a 12293 older than the look-back, exactly
 * at its boundary and one second past it, publishing off (required or not),
 * the setting not reported, events without a time, other event ids, ties. */
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

int main(void)
{
	Suite *s = suite_create("publishing");
	TCase *tc = tcase_create("verdict");
	tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof cases[0]));
	suite_add_tcase(s, tc);
	return unit_run(s);
}
