/* timeutil.c - owns wall-clock time (with the KMS_PLUGINS_NOW override for
 * reproducible runs), strict RFC 3339 parsing, and the human wording of
 * times and durations (timeutil.h). Parsing is pure arithmetic (no timegm,
 * no TZ), so the result never depends on the machine's time zone. */
#include "timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"

/* Days since 1970-01-01 of a proleptic Gregorian date. Shifting the year to
 * start in March puts the leap day last, so each 400-year era is a fixed
 * 146097 days and a month's offset is a linear formula. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	if (m <= 2)
		y -= 1;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);                  /* 0..399 */
	unsigned mp = m > 2 ? m - 3 : m + 9;                       /* March = 0 */
	unsigned doy = (153 * mp + 2) / 5 + d - 1;                 /* 0..365 */
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;      /* 0..146096 */
	return era * 146097 + (long long)doe - 719468;
}

static bool is_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(long long y, unsigned m)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30,
					    31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Read exactly n decimal digits at *p; advances *p. */
static bool digits(const char **p, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool fail(const char *text, const char *why, char err[KMS_ERRLEN])
{
	/* The text is quoted, cut at 80 bytes so a huge field cannot flood the
	 * status line. */
	snprintf(err, KMS_ERRLEN, "not an RFC 3339 time: \"%.80s%s\" (%s)", text,
		 strlen(text) > 80 ? "..." : "", why);
	return false;
}

/* YYYY-MM-DD(T|t| )HH:MM:SS[.frac](Z|z|+HH:MM|-HH:MM), nothing after it.
 * A leap second (60) reads as :59 because Unix time has no slot for it. */
bool rfc3339_parse(const char *text, double *out, char err[KMS_ERRLEN])
{
	if (!text)
		return fail("", "no text", err);
	const char *p = text;
	unsigned y, mo, d, h, mi, s;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return fail(text, "expected YYYY-MM-DD", err);
	if (mo < 1 || mo > 12)
		return fail(text, "month out of range", err);
	if (d < 1 || d > days_in_month(y, mo))
		return fail(text, "day out of range for the month", err);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return fail(text, "expected 'T' between date and time", err);
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &s))
		return fail(text, "expected HH:MM:SS", err);
	if (h > 23 || mi > 59 || s > 60)
		return fail(text, "time of day out of range", err);
	if (s == 60)
		s = 59;
	double frac = 0;
	if (*p == '.') {
		p++;
		double scale = 0.1;
		const char *start = p;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
		if (p == start)
			return fail(text, "no digits after '.'", err);
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		unsigned oh, om;
		p++;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om))
			return fail(text, "expected a zone offset +HH:MM", err);
		if (oh > 23 || om > 59)
			return fail(text, "zone offset out of range", err);
		offset = sign * (long)(oh * 3600 + om * 60);
	} else {
		return fail(text, "missing zone (Z or +HH:MM)", err);
	}
	if (*p != '\0')
		return fail(text, "trailing characters", err);
	long long secs = days_from_civil(y, mo, d) * 86400LL + h * 3600LL +
			 mi * 60LL + s - offset;
	*out = (double)secs + frac;
	return true;
}

/* KMS_PLUGINS_NOW, when set and non-empty, is the only clock: a bad value
 * ends the plugin rather than silently falling back to the real time. */
double wall_now(void)
{
	const char *fake = getenv("KMS_PLUGINS_NOW");
	if (fake && *fake) {
		char err[KMS_ERRLEN];
		double t;
		if (!rfc3339_parse(fake, &t, err))
			die("KMS_PLUGINS_NOW: %s", err);
		return t;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* strftime_fmt NULL means "%Y-%m-%d %H:%M UTC". A time that is not finite
 * or out of gmtime's range is written as "unknown time". %Y is written here,
 * as at least 4 digits ("0000", "0999", "-0001"): glibc's strftime writes
 * year 0 as "0", which no reader takes for a year. Returns buf. */
char *fmt_utc(char *buf, size_t len, double t, const char *strftime_fmt)
{
	if (len == 0)
		return buf;
	const char *fmt = strftime_fmt ? strftime_fmt : "%Y-%m-%d %H:%M UTC";
	struct tm tm;
	if (!isfinite(t) || fabs(t) > 1e15) {
		snprintf(buf, len, "unknown time");
		return buf;
	}
	time_t tt = (time_t)floor(t);
	if (!gmtime_r(&tt, &tm)) {
		snprintf(buf, len, "unknown time");
		return buf;
	}
	/* the format with each %Y replaced by the year's digits */
	char year[24], f2[256];
	long long y = (long long)tm.tm_year + 1900;
	snprintf(year, sizeof year, "%s%04lld", y < 0 ? "-" : "", y < 0 ? -y : y);
	size_t o = 0;
	for (const char *q = fmt; *q; q++) {
		const char *ins = NULL;
		char two[3] = { q[0], q[1], '\0' };
		if (q[0] == '%' && q[1] == 'Y') {
			ins = year;
			q++;
		} else if (q[0] == '%' && q[1]) {
			ins = two; /* another conversion, or %%: strftime's */
			q++;
		} else {
			two[1] = '\0';
			ins = two;
		}
		size_t n = strlen(ins);
		if (o + n >= sizeof f2) {
			buf[0] = '\0';
			return buf;
		}
		memcpy(f2 + o, ins, n);
		o += n;
	}
	f2[o] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	size_t n = strftime(buf, len, f2, &tm);
#pragma GCC diagnostic pop
	if (n == 0)
		buf[0] = '\0';
	return buf;
}

/* Two units at most, truncated (never rounded up, so "59 min" never reads
 * "1 h"); a zero second unit is left out ("3 h", not "3 h 0 min").
 * Negative durations get a leading '-'; NaN/inf read "unknown". */
char *fmt_duration(char *buf, size_t len, double seconds)
{
	if (len == 0)
		return buf;
	if (!isfinite(seconds) || fabs(seconds) > 1e15) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	const char *sign = seconds < 0 ? "-" : "";
	long long s = (long long)floor(fabs(seconds));
	if (s < 60)
		snprintf(buf, len, "%s%lld s", sign, s);
	else if (s < 3600)
		snprintf(buf, len, "%s%lld min", sign, s / 60);
	else if (s < 86400) {
		long long m = s % 3600 / 60;
		if (m)
			snprintf(buf, len, "%s%lld h %lld min", sign, s / 3600, m);
		else
			snprintf(buf, len, "%s%lld h", sign, s / 3600);
	} else {
		long long h = s % 86400 / 3600;
		if (h)
			snprintf(buf, len, "%s%lld d %lld h", sign, s / 86400, h);
		else
			snprintf(buf, len, "%s%lld d", sign, s / 86400);
	}
	return buf;
}
