/* test_forecast.c - unit tests of common/forecast.c: which clients are in
 * the count, which are active and which lapse on which day, the forecast
 * count on a day, and the verdict against the critical range, at the edges
 * (day 0, day 30, a count above the cap, no renewal interval, no clients,
 * exactly at the threshold and one past, no critical threshold). */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "forecast.h"
#include "unit.h"

/* now: 2026-11-25T14:00:00Z, 840 minutes into its UTC day */
#define NOW_MIN 29926920LL
#define NOW_S ((double)NOW_MIN * 60.0)
#define DAY_MIN 1440LL
#define HOUR_MIN 60LL
/* a client last seen (30 - d) days + 1 h ago leaves the count on day d
 * (the generator's --lapse-day) */
#define LAPSE(d) ((30LL - (d)) * DAY_MIN + HOUR_MIN)
/* minutes left in today after now */
#define TODAY_LEFT (DAY_MIN - 840)

#define AT_LEAST(x) { .start = (x), .end_infinite = true }
#define AT_MOST(x) { .end = (x), .start_infinite = true }
#define INSIDE(a, b) { .start = (a), .end = (b), .alert_inside = true }
#define BETWEEN(a, b) { .start = (a), .end = (b) }

struct group {
	long long age_min;
	uint32_t n;
};

struct fcase {
	const char *name;
	struct group clients[4]; /* n 0 ends the list; none: no histogram */
	long long renewal_min;
	long long count, cap;
	bool has_crit;
	struct range crit;
	long long horizon;
	/* expected */
	long long active, lapsing;
	int last_drop_day;
	enum forecast_verdict verdict;
	int day;
	long long at_count;
	bool warns;
};

static const struct fcase cases[] = {
	/* no clients: nothing active, nothing lapsing, the count stays */
	{ "no clients (no histogram)", { { 0, 0 } }, 10080, 31, 50, true, AT_LEAST(25), 7,
	  0, 0, -1, FORECAST_STAYS, -1, 0, false },
	{ "no clients, count already critical", { { 0, 0 } }, 10080, 3, 50, true, AT_LEAST(25), 7,
	  0, 0, -1, FORECAST_ALREADY_CRITICAL, -1, 0, false },

	/* every client renewing */
	{ "31 active, none lapsing", { { 0, 10 }, { 6 * DAY_MIN, 21 } }, 10080, 31, 50, true,
	  AT_LEAST(25), 7, 31, 0, -1, FORECAST_STAYS, -1, 0, false },

	/* the generator's case: 9 of 31 stop renewing and leave on day 3 */
	{ "9 of 31 lapse on day 3, horizon 7", { { HOUR_MIN, 22 }, { LAPSE(3), 9 } }, 10080, 31,
	  50, true, AT_LEAST(25), 7, 22, 9, 3, FORECAST_CROSSES, 3, 22, true },
	{ "crossing exactly at the horizon warns", { { HOUR_MIN, 22 }, { LAPSE(3), 9 } }, 10080,
	  31, 50, true, AT_LEAST(25), 3, 22, 9, 3, FORECAST_CROSSES, 3, 22, true },
	{ "crossing one day past the horizon does not", { { HOUR_MIN, 22 }, { LAPSE(3), 9 } },
	  10080, 31, 50, true, AT_LEAST(25), 2, 22, 9, 3, FORECAST_CROSSES, 3, 22, false },
	{ "horizon 0, crossing on day 3", { { HOUR_MIN, 22 }, { LAPSE(3), 9 } }, 10080, 31, 50,
	  true, AT_LEAST(25), 0, 22, 9, 3, FORECAST_CROSSES, 3, 22, false },

	/* exactly at the threshold and one past */
	{ "6 of 31 lapse: 25 stay, at the threshold", { { HOUR_MIN, 25 }, { LAPSE(3), 6 } },
	  10080, 31, 50, true, AT_LEAST(25), 7, 25, 6, 3, FORECAST_STAYS, -1, 0, false },
	{ "7 of 31 lapse: 24 stay, one past", { { HOUR_MIN, 24 }, { LAPSE(3), 7 } }, 10080, 31,
	  50, true, AT_LEAST(25), 7, 24, 7, 3, FORECAST_CROSSES, 3, 24, true },
	{ "count exactly at the critical threshold", { { HOUR_MIN, 25 } }, 10080, 25, 50, true,
	  AT_LEAST(25), 7, 25, 0, -1, FORECAST_STAYS, -1, 0, false },
	{ "count one below the critical threshold", { { HOUR_MIN, 24 } }, 10080, 24, 50, true,
	  AT_LEAST(25), 7, 24, 0, -1, FORECAST_ALREADY_CRITICAL, -1, 0, false },

	/* day 0: a client silent for exactly 30 days leaves today */
	{ "day 0: last request exactly 30 days ago", { { HOUR_MIN, 24 }, { 30 * DAY_MIN, 1 } },
	  10080, 25, 50, true, AT_LEAST(25), 0, 24, 1, 0, FORECAST_CROSSES, 0, 24, true },
	{ "day 0: the last minute of today", { { HOUR_MIN, 24 }, { 30 * DAY_MIN - TODAY_LEFT + 1, 1 } },
	  10080, 25, 50, true, AT_LEAST(25), 0, 24, 1, 0, FORECAST_CROSSES, 0, 24, true },
	{ "day 1: the first minute of tomorrow", { { HOUR_MIN, 24 }, { 30 * DAY_MIN - TODAY_LEFT, 1 } },
	  10080, 25, 50, true, AT_LEAST(25), 0, 24, 1, 1, FORECAST_CROSSES, 1, 24, false },
	/* the latest a lapsing client leaves: one minute past the active cut */
	{ "the latest drop day", { { 10080 + 2 * DAY_MIN + 1, 1 } }, 10080, 1, 10, true,
	  AT_LEAST(1), 30, 0, 1, 21, FORECAST_CROSSES, 21, 0, true },

	/* the active cut: renewal interval + 2 days, inclusive */
	{ "exactly renewal + 2 days: active", { { 10080 + 2 * DAY_MIN, 26 } }, 10080, 26, 50,
	  true, AT_LEAST(25), 30, 26, 0, -1, FORECAST_STAYS, -1, 0, false },
	{ "one minute past renewal + 2 days: lapsing", { { 10080 + 2 * DAY_MIN + 1, 26 } }, 10080,
	  26, 50, true, AT_LEAST(25), 30, 0, 26, 21, FORECAST_CROSSES, 21, 0, true },
	/* the host's interval: 8 days silent is lapsing at 1 day + 2 */
	{ "renewal interval 1 day: 8 days silent lapses", { { 8 * DAY_MIN, 26 } }, 1440, 26, 50,
	  true, AT_LEAST(25), 30, 0, 26, 22, FORECAST_CROSSES, 22, 0, true },
	{ "no renewal interval (absent): 7 days", { { 8 * DAY_MIN, 26 } }, DOC_ABSENT, 26, 50,
	  true, AT_LEAST(25), 30, 26, 0, -1, FORECAST_STAYS, -1, 0, false },
	{ "renewal interval 0: 7 days", { { 8 * DAY_MIN, 26 } }, 0, 26, 50, true, AT_LEAST(25),
	  30, 26, 0, -1, FORECAST_STAYS, -1, 0, false },

	/* above the cap: the inventory holds more than the count shows */
	{ "60 clients, count 50: 20 lapsing leave the excess first",
	  { { HOUR_MIN, 40 }, { LAPSE(2), 20 } }, 10080, 50, 50, true, AT_LEAST(25), 7, 40, 20, 2,
	  FORECAST_STAYS, -1, 0, false },
	{ "60 clients, count 50: 36 lapsing cross", { { HOUR_MIN, 24 }, { LAPSE(2), 36 } }, 10080,
	  50, 50, true, AT_LEAST(25), 7, 24, 36, 2, FORECAST_CROSSES, 2, 24, true },
	{ "floor: the active clients, capped", { { HOUR_MIN, 15 }, { LAPSE(4), 5 } }, 10080, 10,
	  10, true, AT_LEAST(5), 7, 15, 5, 4, FORECAST_STAYS, -1, 0, false },
	/* lapsing on two days: the first day the count falls in the range */
	{ "two drop days, crossing on the second", { { HOUR_MIN, 20 }, { LAPSE(2), 3 }, { LAPSE(5), 8 } },
	  10080, 31, 50, true, AT_LEAST(25), 7, 20, 11, 5, FORECAST_CROSSES, 5, 20, true },

	/* no critical threshold: nothing to forecast against */
	{ "no critical threshold", { { HOUR_MIN, 22 }, { LAPSE(3), 9 } }, 10080, 31, 50, false,
	  AT_LEAST(0), 7, 22, 9, 3, FORECAST_NO_CRITICAL, -1, 0, false },

	/* other range forms */
	{ "inside range @10:20 reached", { { HOUR_MIN, 15 }, { LAPSE(6), 10 } }, 10080, 25, 50,
	  true, INSIDE(10, 20), 7, 15, 10, 6, FORECAST_CROSSES, 6, 15, true },
	{ "~:40 (above 40) never reached by a falling count", { { HOUR_MIN, 15 }, { LAPSE(6), 10 } },
	  10080, 25, 50, true, AT_MOST(40), 7, 15, 10, 6, FORECAST_STAYS, -1, 0, false },
	{ "range 10:20, count 25 already outside", { { HOUR_MIN, 25 } }, 10080, 25, 50, true,
	  BETWEEN(10, 20), 7, 25, 0, -1, FORECAST_ALREADY_CRITICAL, -1, 0, false },
};

static uint32_t *hist_of(const struct fcase *k)
{
	if (k->clients[0].n == 0)
		return NULL;
	uint32_t *h = calloc((size_t)FORECAST_AGES, sizeof(*h));
	ck_assert(h != NULL);
	for (size_t i = 0; i < 4 && k->clients[i].n; i++) {
		ck_assert(k->clients[i].age_min >= 0 && k->clients[i].age_min < FORECAST_AGES);
		h[k->clients[i].age_min] += k->clients[i].n;
	}
	return h;
}

START_TEST(table)
{
	const struct fcase *k = &cases[_i];
	uint32_t *h = hist_of(k);
	struct forecast f;
	forecast_split(h, NOW_MIN, k->renewal_min, &f);
	ck_assert_msg(f.active == k->active && f.lapsing == k->lapsing,
		      "%s: %lld active, %lld lapsing; want %lld, %lld", k->name, f.active, f.lapsing,
		      k->active, k->lapsing);
	ck_assert_msg(f.last_drop_day == k->last_drop_day, "%s: last drop day %d, want %d",
		      k->name, f.last_drop_day, k->last_drop_day);
	long long sum = 0;
	for (int d = 0; d < FORECAST_DAYS; d++)
		sum += f.drops[d];
	ck_assert_msg(sum == f.lapsing, "%s: drops add up to %lld", k->name, sum);

	struct thresholds th = { .crit = k->crit, .has_crit = k->has_crit };
	struct forecast_outcome o = forecast_judge(&f, k->count, k->cap, &th, k->horizon);
	ck_assert_msg(o.verdict == k->verdict, "%s: verdict %d, want %d", k->name, o.verdict,
		      k->verdict);
	ck_assert_msg(o.day == k->day, "%s: day %d, want %d", k->name, o.day, k->day);
	if (k->verdict == FORECAST_CROSSES)
		ck_assert_msg(o.at_count == k->at_count, "%s: at count %lld, want %lld", k->name,
			      o.at_count, k->at_count);
	ck_assert_msg(o.warns == k->warns, "%s: warns %d, want %d", k->name, o.warns, k->warns);
	free(h);
}
END_TEST

/* The forecast count day by day: day 0, the drop days, day 30 (everyone
 * lapsing gone), and days outside 0..30 clamped. */
START_TEST(count_by_day)
{
	static const struct fcase k = { .name = "two drop days",
					.clients = { { HOUR_MIN, 20 }, { LAPSE(2), 3 }, { LAPSE(5), 8 } } };
	uint32_t *h = hist_of(&k);
	struct forecast f;
	forecast_split(h, NOW_MIN, 10080, &f);
	static const struct {
		int day;
		long long want;
	} days[] = { { -5, 31 }, { 0, 31 }, { 1, 31 }, { 2, 28 }, { 4, 28 }, { 5, 20 },
		     { 30, 20 }, { 31, 20 }, { 1000, 20 } };
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
		ck_assert_msg(forecast_count_at(&f, 31, 50, days[i].day) == days[i].want,
			      "day %d: %lld, want %lld", days[i].day,
			      forecast_count_at(&f, 31, 50, days[i].day), days[i].want);
	/* count above what the inventory holds: nothing to subtract until the
	 * inventory's excess is gone; capped at 10, the floor is 10 */
	ck_assert(forecast_count_at(&f, 10, 10, 30) == 10);
	/* no clients at all: the count stays */
	struct forecast none;
	forecast_split(NULL, NOW_MIN, 10080, &none);
	ck_assert(none.last_drop_day == -1);
	ck_assert(forecast_count_at(&none, 31, 50, 0) == 31);
	ck_assert(forecast_count_at(&none, 31, 50, 30) == 31);
	free(h);
}
END_TEST

/* No thresholds pointer at all reads as "no critical threshold". */
START_TEST(judge_without_thresholds)
{
	struct forecast f;
	forecast_split(NULL, NOW_MIN, 10080, &f);
	struct forecast_outcome o = forecast_judge(&f, 31, 50, NULL, 7);
	ck_assert(o.verdict == FORECAST_NO_CRITICAL && o.day == -1 && !o.warns);
}
END_TEST

/* Which requests are in the count, and their age. */
START_TEST(ages)
{
	static const struct {
		const char *name;
		double t;
		bool in;
		long long age;
	} k[] = {
		{ "now", NOW_S, true, 0 },
		{ "59 s ago: age 1 (whole minutes)", NOW_S - 59, true, 1 },
		{ "one minute ago", NOW_S - 60, true, 1 },
		{ "in the future (clock skew)", NOW_S + 3600, true, 0 },
		{ "exactly 30 days ago", NOW_S - 30 * 86400.0, true, 30 * DAY_MIN },
		{ "30 days and 1 s ago", NOW_S - 30 * 86400.0 - 1, false, 0 },
		{ "30 days and 1 min ago", NOW_S - 30 * 86400.0 - 60, false, 0 },
		{ "no request time", NAN, false, 0 },
		{ "infinite", INFINITY, false, 0 },
		{ "epoch", 0, false, 0 },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		long long age = -12345;
		bool in = forecast_age(NOW_MIN, k[i].t, &age);
		ck_assert_msg(in == k[i].in, "%s: in %d", k[i].name, in);
		if (k[i].in)
			ck_assert_msg(age == k[i].age, "%s: age %lld, want %lld", k[i].name, age,
				      k[i].age);
		else
			ck_assert_msg(age == -12345, "%s: age written", k[i].name);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forecast");
	TCase *tc = tcase_create("rule");
	tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, count_by_day);
	tcase_add_test(tc, judge_without_thresholds);
	tcase_add_test(tc, ages);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
