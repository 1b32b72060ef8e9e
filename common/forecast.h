/* forecast.h - how a KMS host's current count develops when clients stop
 * renewing: the forecast check_kms_count judges, as a unit of its own.
 *
 * The rule (KMS facts: the count holds the clients seen in the last 30
 * days; clients renew every renewal interval, 7 days by default):
 *   - a client whose last request is at most the renewal interval plus 2
 *     days old is active: it is assumed to keep renewing and never leaves;
 *   - every other client seen within 30 days is lapsing: it leaves the
 *     count 30 days after its last request, on that UTC day (0 = today);
 *   - the forecast count on day d is the current count minus the lapsing
 *     clients gone by the end of day d, where clients in the inventory
 *     beyond the reported count (above the cap) leave first without
 *     lowering it, and never below the active clients (capped at cap);
 *   - the verdict against the critical range: no critical threshold, the
 *     count already critical, the count stays out of it for 31 days, or the
 *     first day it falls in; that day within the horizon warns.
 *
 * No I/O, no clock of its own: the caller passes now and the clients' ages,
 * so a table of cases is its whole test (tests/unit/test_forecast.c). */
#ifndef KMS_FORECAST_H
#define KMS_FORECAST_H

#include <stdbool.h>
#include <stdint.h>
#include "range.h"

#define FORECAST_MIN_PER_DAY 1440LL
#define FORECAST_WINDOW_MIN (30LL * FORECAST_MIN_PER_DAY) /* the count holds 30 days */
#define FORECAST_AGES (FORECAST_WINDOW_MIN + 1)           /* ages 0 .. 30 days, in minutes */
#define FORECAST_SLACK_MIN (2LL * FORECAST_MIN_PER_DAY)   /* renewal interval + 2 days */
#define FORECAST_DEFAULT_RENEWAL_MIN 10080LL              /* VLRenewalInterval: 7 days */
#define FORECAST_DAYS 31                                  /* every lapsing client is out by then */

/* The age in whole minutes of a request at last_request_at (Unix seconds)
 * seen from now_min (Unix minutes, rounded down) into *age_min: false when
 * the client is not in the count (no request time, or older than 30 days).
 * A request after now (clock skew) is age 0. */
bool forecast_age(long long now_min, double last_request_at, long long *age_min);

/* One product's clients split by the rule above. */
struct forecast {
	long long active, lapsing;
	long long drops[FORECAST_DAYS]; /* lapsing clients leaving on day d */
	int last_drop_day;              /* the last such day; -1 when none lapsing */
};

/* Split the clients of by_age (FORECAST_AGES counters: clients by age in
 * minutes; NULL when the product has none) seen from now_min. renewal_min
 * <= 0 (absent) means the default, 7 days. */
void forecast_split(const uint32_t *by_age, long long now_min, long long renewal_min,
		    struct forecast *f);

/* The forecast count at the end of day (0 = today, clamped to 0 ..
 * FORECAST_DAYS - 1) for a current count and its cap. */
long long forecast_count_at(const struct forecast *f, long long count, long long cap, int day);

enum forecast_verdict {
	FORECAST_NO_CRITICAL,      /* th has no critical range to forecast against */
	FORECAST_ALREADY_CRITICAL, /* count violates the critical range today */
	FORECAST_STAYS,            /* out of the critical range for FORECAST_DAYS days */
	FORECAST_CROSSES,          /* in it on .day, at .at_count */
};

struct forecast_outcome {
	enum forecast_verdict verdict;
	int day;            /* FORECAST_CROSSES: the first day, else -1 */
	long long at_count; /* FORECAST_CROSSES: the forecast count that day */
	bool warns;         /* FORECAST_CROSSES within horizon days (day <= horizon) */
};

/* The verdict of f for a current count and its cap against th's critical
 * range. */
struct forecast_outcome forecast_judge(const struct forecast *f, long long count, long long cap,
				       const struct thresholds *th, long long horizon);

#endif
