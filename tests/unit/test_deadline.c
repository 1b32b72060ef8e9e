/* test_deadline.c - unit tests of common/deadline.c: when a client loses
 * its activation, for every license state, with each time present or
 * absent, at the edges (day 0, exactly 180 days, 0 minutes of grace, the
 * largest minutes a document may hold) and for a clock behind the records;
 * and the at-risk class of a client (fine, expiring within the window,
 * expired, no deadline) at the window's edges. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deadline.h"
#include "doc.h"
#include "unit.h"

#define DAY (86400.0)
#define NOW (1795000000.0) /* 2026-11-18T11:06:40Z */
#define A NAN               /* an absent time */
#define SENTINEL (-12345.0)

struct dcase {
	const char *name;
	long long state;        /* license_state, DOC_ABSENT for absent */
	double last_success, last_request;
	long long minutes;      /* state_expires_in_minutes, DOC_ABSENT */
	double now;
	bool ok;                /* a deadline is known */
	double want;            /* when ok */
};

static const struct dcase cases[] = {
	/* licensed: last_success_at + 180 days */
	{ "licensed, renewed today (day 0)", 1, NOW, NOW, DOC_ABSENT, NOW, true, NOW + 180 * DAY },
	{ "licensed, renewed 30 days ago", 1, NOW - 30 * DAY, NOW - 30 * DAY, DOC_ABSENT, NOW, true, NOW + 150 * DAY },
	{ "licensed, renewed exactly 180 days ago", 1, NOW - 180 * DAY, NOW - 180 * DAY, DOC_ABSENT, NOW, true, NOW },
	{ "licensed, renewed 181 days ago", 1, NOW - 181 * DAY, NOW - 181 * DAY, DOC_ABSENT, NOW, true, NOW - DAY },
	{ "licensed, a later failed request does not extend it", 1, NOW - 100 * DAY, NOW - DAY, DOC_ABSENT, NOW, true, NOW + 80 * DAY },
	{ "licensed, state minutes are ignored", 1, NOW - 10 * DAY, NOW - 10 * DAY, 60, NOW, true, NOW + 170 * DAY },
	{ "licensed, last_success absent: from last_request", 1, A, NOW - 20 * DAY, DOC_ABSENT, NOW, true, NOW + 160 * DAY },
	{ "licensed, last_request absent", 1, NOW - 5 * DAY, A, DOC_ABSENT, NOW, true, NOW + 175 * DAY },
	{ "licensed, both times absent", 1, A, A, DOC_ABSENT, NOW, false, 0 },
	{ "licensed, now does not matter", 1, NOW - 5 * DAY, A, DOC_ABSENT, 0, true, NOW + 175 * DAY },
	{ "licensed, epoch", 1, 0, A, DOC_ABSENT, NOW, true, 180 * DAY },

	/* grace states: last_request_at + state_expires_in_minutes */
	{ "OOB grace, 30 days left", 2, A, NOW - DAY, 30 * 1440, NOW, true, NOW + 29 * DAY },
	{ "OOT grace, 90 minutes left", 3, A, NOW, 90, NOW, true, NOW + 5400 },
	{ "non-genuine grace, 1 minute", 4, A, NOW - 3600, 1, NOW, true, NOW - 3540 },
	{ "extended grace, 0 minutes", 6, A, NOW - 3600, 0, NOW, true, NOW - 3600 },
	{ "OOB grace, 0 minutes at now", 2, A, NOW, 0, NOW, true, NOW },
	{ "OOB grace, ran out long ago", 2, A, NOW - 200 * DAY, 1440, NOW, true, NOW - 199 * DAY },
	{ "OOB grace, last_success is ignored", 2, NOW - 2 * DAY, NOW - DAY, 1440, NOW, true, NOW },
	{ "OOB grace, minutes absent", 2, A, NOW, DOC_ABSENT, NOW, false, 0 },
	{ "OOT grace, last_request absent", 3, A, A, 60, NOW, false, 0 },
	{ "non-genuine grace, only last_success", 4, NOW, A, 60, NOW, false, 0 },
	{ "extended grace, both absent", 6, A, A, DOC_ABSENT, NOW, false, 0 },

	/* unlicensed and notification: already lost */
	{ "unlicensed, heard of yesterday", 0, A, NOW - DAY, DOC_ABSENT, NOW, true, NOW - DAY },
	{ "unlicensed, never heard of", 0, A, A, DOC_ABSENT, NOW, true, NOW },
	{ "unlicensed, request exactly now", 0, A, NOW, DOC_ABSENT, NOW, true, NOW },
	{ "unlicensed, request after now (clock skew)", 0, A, NOW + 60, DOC_ABSENT, NOW, true, NOW },
	{ "unlicensed, last_success is ignored", 0, NOW - 10 * DAY, NOW - DAY, 5, NOW, true, NOW - DAY },
	{ "notification, last contact 190 days ago", 5, NOW - 190 * DAY, NOW - 190 * DAY, DOC_ABSENT, NOW, true, NOW - 190 * DAY },
	{ "notification, never heard of", 5, NOW - 190 * DAY, A, DOC_ABSENT, NOW, true, NOW },
	{ "notification, request after now", 5, A, NOW + 1, 0, NOW, true, NOW },

	/* no license state: no rule applies */
	{ "state absent", DOC_ABSENT, NOW, NOW, 60, NOW, false, 0 },
	{ "state absent, no times", DOC_ABSENT, A, A, DOC_ABSENT, NOW, false, 0 },
	{ "state 7 (not a WMI state)", 7, NOW, NOW, 60, NOW, false, 0 },
	{ "state -1", -1, NOW, NOW, 60, NOW, false, 0 },
};

static struct doc_client client_of(const struct dcase *k)
{
	struct doc_client c;
	memset(&c, 0, sizeof c);
	c.name = "pc01";
	c.is_virtual = DOC_ABSENT;
	c.required_count = DOC_ABSENT;
	c.first_seen_at = A;
	c.license_state = k->state;
	c.last_success_at = k->last_success;
	c.last_request_at = k->last_request;
	c.state_expires_in_minutes = k->minutes;
	return c;
}

START_TEST(table)
{
	const struct dcase *k = &cases[_i];
	struct doc_client c = client_of(k);
	double got = SENTINEL;
	bool ok = client_deadline(&c, k->now, &got);
	ck_assert_msg(ok == k->ok, "%s: returned %d, want %d", k->name, ok, k->ok);
	if (k->ok)
		ck_assert_msg(got == k->want, "%s: deadline %.17g, want %.17g (%+.17g s)",
			      k->name, got, k->want, got - k->want);
	else
		ck_assert_msg(got == SENTINEL, "%s: *out written on failure", k->name);
}
END_TEST

/* The largest minutes a document may hold (the range is 0..LLONG_MAX):
 * the deadline is far away and finite, never an overflow or NaN. */
START_TEST(very_large_minutes)
{
	static const long long big[] = { 1LL << 40, (1LL << 53) + 1, LLONG_MAX };
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		for (long long st = 2; st <= 6; st++) {
			if (st == LIC_NOTIFICATION)
				continue;
			struct doc_client c = client_of(&cases[0]);
			c.license_state = st;
			c.last_request_at = NOW;
			c.state_expires_in_minutes = big[i];
			double got = SENTINEL;
			ck_assert(client_deadline(&c, NOW, &got));
			ck_assert(isfinite(got));
			ck_assert(got > NOW + 1000.0 * 365 * DAY);
			ck_assert(got == NOW + 60.0 * (double)big[i]);
		}
}
END_TEST

/* Every WMI license state 0..6 falls in exactly one row of the rule: with
 * every time and the minutes present, each state gets a deadline; with
 * nothing present, only the "already lost" states do, and at now. */
START_TEST(every_state)
{
	for (long long st = LIC_UNLICENSED; st <= LIC_EXTENDED_GRACE; st++) {
		struct doc_client c = client_of(&cases[0]);
		c.license_state = st;
		c.last_success_at = NOW - 10 * DAY;
		c.last_request_at = NOW - 2 * DAY;
		c.state_expires_in_minutes = 1440;
		double got = SENTINEL;
		ck_assert_msg(client_deadline(&c, NOW, &got), "state %lld", st);
		double want = st == LIC_LICENSED ? NOW + 170 * DAY
			    : (st == LIC_UNLICENSED || st == LIC_NOTIFICATION) ? NOW - 2 * DAY
			    : NOW - DAY;
		ck_assert_msg(got == want, "state %lld: %.17g, want %.17g", st, got, want);

		c.last_success_at = A;
		c.last_request_at = A;
		c.state_expires_in_minutes = DOC_ABSENT;
		got = SENTINEL;
		bool lost = st == LIC_UNLICENSED || st == LIC_NOTIFICATION;
		ck_assert_msg(client_deadline(&c, NOW, &got) == lost, "state %lld, no times", st);
		ck_assert(got == (lost ? NOW : SENTINEL));
	}
}
END_TEST

START_TEST(validity_constant)
{
	ck_assert(KMS_VALIDITY_S == 15552000.0); /* 180 * 86400 */
}
END_TEST

/* ---- client_risk: the at-risk classification ---------------------------- */

struct rcase {
	const char *name;
	long long state;        /* license_state, DOC_ABSENT for absent */
	double last_success, last_request;
	long long minutes;      /* state_expires_in_minutes, DOC_ABSENT */
	double window;          /* seconds (--days * 86400) */
	enum client_risk want;
	double deadline;        /* when want is not RISK_NO_DEADLINE */
};

#define W30 (30 * DAY)

static const struct rcase risks[] = {
	/* licensed: the deadline against now and now + window */
	{ "licensed, renewed today (day 0)", 1, NOW, NOW, DOC_ABSENT, W30, RISK_FINE, NOW + 180 * DAY },
	{ "licensed, deadline exactly now: lost", 1, NOW - 180 * DAY, NOW - DAY, DOC_ABSENT, W30, RISK_EXPIRED, NOW },
	{ "licensed, one second left", 1, NOW - 180 * DAY + 1, NOW - DAY, DOC_ABSENT, W30, RISK_EXPIRING, NOW + 1 },
	{ "licensed, one second past the deadline", 1, NOW - 180 * DAY - 1, NOW - DAY, DOC_ABSENT, W30, RISK_EXPIRED, NOW - 1 },
	{ "licensed, exactly --days left", 1, NOW - 150 * DAY, NOW - DAY, DOC_ABSENT, W30, RISK_EXPIRING, NOW + W30 },
	{ "licensed, --days and one second left", 1, NOW - 150 * DAY + 1, NOW - DAY, DOC_ABSENT, W30, RISK_FINE, NOW + W30 + 1 },
	{ "licensed, one second inside --days", 1, NOW - 150 * DAY - 1, NOW - DAY, DOC_ABSENT, W30, RISK_EXPIRING, NOW + W30 - 1 },
	{ "licensed, --days 1, exactly a day left", 1, NOW - 179 * DAY, A, DOC_ABSENT, DAY, RISK_EXPIRING, NOW + DAY },
	{ "licensed, --days 1, a day and a second", 1, NOW - 179 * DAY + 1, A, DOC_ABSENT, DAY, RISK_FINE, NOW + DAY + 1 },
	{ "licensed, --days 365 reaches every licensed client", 1, NOW, NOW, DOC_ABSENT, 365 * DAY, RISK_EXPIRING, NOW + 180 * DAY },
	{ "licensed, no renewal recorded: from last request", 1, A, NOW - 160 * DAY, DOC_ABSENT, W30, RISK_EXPIRING, NOW + 20 * DAY },
	{ "licensed, no renewal recorded, request long ago", 1, A, NOW - 200 * DAY, DOC_ABSENT, W30, RISK_EXPIRED, NOW - 20 * DAY },
	{ "licensed, no renewal and no request: no deadline", 1, A, A, DOC_ABSENT, W30, RISK_NO_DEADLINE, 0 },

	/* grace states: last_request_at + state_expires_in_minutes */
	{ "OOB grace, ends exactly at --days", 2, A, NOW - DAY, 31 * 1440, W30, RISK_EXPIRING, NOW + W30 },
	{ "OOT grace, ends a minute after --days", 3, A, NOW - DAY, 31 * 1440 + 1, W30, RISK_FINE, NOW + W30 + 60 },
	{ "non-genuine grace, 0 minutes at now: lost", 4, A, NOW, 0, W30, RISK_EXPIRED, NOW },
	{ "extended grace, ends in a minute", 6, A, NOW, 1, W30, RISK_EXPIRING, NOW + 60 },
	{ "OOB grace, ended yesterday", 2, A, NOW - 2 * DAY, 1440, W30, RISK_EXPIRED, NOW - DAY },
	{ "OOB grace, minutes absent: no deadline", 2, A, NOW - DAY, DOC_ABSENT, W30, RISK_NO_DEADLINE, 0 },
	{ "OOT grace, last request absent: no deadline", 3, NOW, A, 60, W30, RISK_NO_DEADLINE, 0 },

	/* unlicensed, notification: lost, whatever the window */
	{ "unlicensed, heard of yesterday", 0, A, NOW - DAY, DOC_ABSENT, W30, RISK_EXPIRED, NOW - DAY },
	{ "unlicensed, no times at all", 0, A, A, DOC_ABSENT, W30, RISK_EXPIRED, NOW },
	{ "notification, request after now (skew)", 5, A, NOW + 60, DOC_ABSENT, DAY, RISK_EXPIRED, NOW },

	/* no license state */
	{ "state absent, times present: no deadline", DOC_ABSENT, NOW, NOW, 60, W30, RISK_NO_DEADLINE, 0 },
	{ "state absent, nothing present", DOC_ABSENT, A, A, DOC_ABSENT, W30, RISK_NO_DEADLINE, 0 },
};

START_TEST(risk_table)
{
	const struct rcase *k = &risks[_i];
	struct dcase d = { k->name, k->state, k->last_success, k->last_request, k->minutes,
			   NOW, false, 0 };
	struct doc_client c = client_of(&d);
	double dl = SENTINEL;
	enum client_risk got = client_risk(&c, NOW, k->window, &dl);
	ck_assert_msg(got == k->want, "%s: class %d, want %d", k->name, got, k->want);
	if (k->want == RISK_NO_DEADLINE)
		ck_assert_msg(isnan(dl), "%s: deadline %.17g, want NAN", k->name, dl);
	else
		ck_assert_msg(dl == k->deadline, "%s: deadline %.17g, want %.17g (%+.17g s)",
			      k->name, dl, k->deadline, dl - k->deadline);
}
END_TEST

/* The class is the deadline rule's, read against the window: for every
 * row of the deadline table, client_risk() agrees with client_deadline(). */
START_TEST(risk_follows_the_rule)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct doc_client c = client_of(&cases[i]);
		double now = cases[i].now, want_dl = SENTINEL, dl = SENTINEL;
		bool ok = client_deadline(&c, now, &want_dl);
		enum client_risk r = client_risk(&c, now, W30, &dl);
		if (!ok) {
			ck_assert_msg(r == RISK_NO_DEADLINE && isnan(dl), "%s", cases[i].name);
			continue;
		}
		ck_assert_msg(dl == want_dl, "%s", cases[i].name);
		enum client_risk want = want_dl <= now ? RISK_EXPIRED
				      : want_dl <= now + W30 ? RISK_EXPIRING : RISK_FINE;
		ck_assert_msg(r == want, "%s: class %d, want %d", cases[i].name, r, want);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("deadline");
	TCase *tc = tcase_create("rule");
	tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, very_large_minutes);
	tcase_add_test(tc, every_state);
	tcase_add_test(tc, validity_constant);
	suite_add_tcase(s, tc);
	TCase *tr = tcase_create("risk");
	tcase_add_loop_test(tr, risk_table, 0, (int)(sizeof risks / sizeof risks[0]));
	tcase_add_test(tr, risk_follows_the_rule);
	suite_add_tcase(s, tr);
	return unit_run(s);
}
