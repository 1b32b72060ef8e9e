/* forecast.c - the count forecast (forecast.h). No I/O. */
#include "forecast.h"

#include <math.h>
#include <string.h>

bool forecast_age(long long now_min, double last_request_at, long long *age_min)
{
	if (!isfinite(last_request_at))
		return false;
	long long age = now_min - (long long)floor(last_request_at / 60.0);
	if (age > FORECAST_WINDOW_MIN)
		return false;
	*age_min = age < 0 ? 0 : age; /* a request "from the future" is recent */
	return true;
}

void forecast_split(const uint32_t *by_age, long long now_min, long long renewal_min,
		    struct forecast *f)
{
	memset(f, 0, sizeof(*f));
	f->last_drop_day = -1;
	if (!by_age)
		return;
	if (renewal_min <= 0)
		renewal_min = FORECAST_DEFAULT_RENEWAL_MIN;
	long long active_max = renewal_min + FORECAST_SLACK_MIN;
	long long today = now_min / FORECAST_MIN_PER_DAY;
	for (long long age = 0; age < FORECAST_AGES; age++) {
		uint32_t n = by_age[age];
		if (!n)
			continue;
		if (age <= active_max) {
			f->active += n;
			continue;
		}
		/* the UTC day on which it has been silent for 30 days */
		long long day = (now_min - age + FORECAST_WINDOW_MIN) / FORECAST_MIN_PER_DAY - today;
		if (day < 0)
			day = 0;
		if (day >= FORECAST_DAYS)
			day = FORECAST_DAYS - 1;
		f->lapsing += n;
		f->drops[day] += n;
		if (day > f->last_drop_day)
			f->last_drop_day = (int)day;
	}
}

long long forecast_count_at(const struct forecast *f, long long count, long long cap, int day)
{
	if (day < 0)
		day = 0;
	if (day >= FORECAST_DAYS)
		day = FORECAST_DAYS - 1;
	/* inventory clients beyond the reported count (above the cap) leave
	 * first without lowering it */
	long long excess = f->active + f->lapsing - count;
	if (excess < 0)
		excess = 0;
	long long dropped = 0;
	for (int d = 0; d <= day; d++)
		dropped += f->drops[d];
	long long lost = dropped > excess ? dropped - excess : 0;
	long long floor_count = f->active < cap ? f->active : cap;
	long long fc = count - lost;
	return fc < floor_count ? floor_count : fc;
}

struct forecast_outcome forecast_judge(const struct forecast *f, long long count, long long cap,
				       const struct thresholds *th, long long horizon)
{
	struct forecast_outcome o = { .verdict = FORECAST_NO_CRITICAL, .day = -1 };
	if (!th || !th->has_crit)
		return o;
	if (range_violates(&th->crit, (double)count)) {
		o.verdict = FORECAST_ALREADY_CRITICAL;
		return o;
	}
	o.verdict = FORECAST_STAYS;
	for (int day = 0; day < FORECAST_DAYS; day++) {
		long long fc = forecast_count_at(f, count, cap, day);
		if (range_violates(&th->crit, (double)fc)) {
			o.verdict = FORECAST_CROSSES;
			o.day = day;
			o.at_count = fc;
			o.warns = day <= horizon;
			break;
		}
	}
	return o;
}
