/* range.c - owns Nagios threshold ranges (range.h): parsing the full range
 * syntax strictly, deciding whether a value alerts, scaling percent ranges,
 * formatting a range back for perfdata, and warning/critical pairs.
 *
 * Numbers are checked by hand before strtod() converts them: strtod alone
 * would accept "inf", "nan", "0x10", "1e5" and leading spaces, none of which
 * a user means as a threshold. */
#include "range.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

/* Longest part of the offending text quoted in a message; keeps every
 * message well inside KMS_ERRLEN. */
#define SHOW_MAX 120

/* Copy text for a message: control bytes become '?', long text is cut with
 * "...", so a message always stays one readable line. */
static void show_text(const char *text, char *out, size_t len)
{
	size_t n = 0, i = 0;
	for (; text[i] && i < SHOW_MAX && n + 1 < len; i++) {
		unsigned char c = (unsigned char)text[i];
		out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
	if (text[i] && n + 4 < len)
		memcpy(out + n, "...", 4);
}

/* Parse one bound [+-]digits[.digits] (at least one digit), optionally
 * followed by '%' when allowed. Sets *pct when '%' was present. Returns NULL
 * on success, else the reason. which is "start", "end" or NULL (a single
 * number), to name the side in the reason. */
static const char *parse_bound(const char *s, size_t n, int flags,
			       const char *which, double *out, bool *pct)
{
	const char *p = s, *end = s + n;
	size_t digits = 0;

	*pct = false;
	if (n == 0)
		return "empty";
	if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
		return "leading or trailing space";
	if (s[n - 1] == '%') {
		if (!(flags & RANGE_ALLOW_PERCENT))
			return "percent is not allowed here";
		*pct = true;
		end--;
	}
	if (p < end && (*p == '+' || *p == '-'))
		p++;
	while (p < end && isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (p < end && *p == '.') {
		p++;
		while (p < end && isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (digits > 0 && p < end && (*p == 'e' || *p == 'E'))
		return "exponent notation is not allowed";
	if (digits == 0 || p != end) {
		if (!which)
			return "not a number";
		return strcmp(which, "start") == 0 ? "start is not a number"
						   : "end is not a number";
	}

	/* Only [+-]digits[.digits] reach strtod, so it cannot misread. */
	char buf[400];
	size_t len = (size_t)(end - s);
	if (len >= sizeof buf)
		return "number is too long";
	memcpy(buf, s, len);
	buf[len] = '\0';
	double v = strtod(buf, NULL);
	if (!isfinite(v))
		return "number is out of range";
	*out = v;
	return NULL;
}

/* The whole syntax; returns NULL on success or a reason without the text. */
static const char *parse_range(const char *text, int flags, struct range *r)
{
	memset(r, 0, sizeof *r);
	if (!text || !*text)
		return "empty";

	const char *s = text;
	if (*s == '@') {
		r->alert_inside = true;
		s++;
		if (!*s)
			return "nothing after '@'";
	}
	const char *colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':'))
		return "more than one ':'";

	const char *why;
	bool pct_start = false, pct_end = false;
	if (!colon) {
		/* "10" means 0..10 */
		why = parse_bound(s, strlen(s), flags, NULL, &r->end, &pct_end);
		if (why)
			return why;
		r->start = 0;
		r->percent = pct_end;
		if (r->end < 0)
			return "start is greater than end (a single number N means 0:N)";
		return NULL;
	}

	size_t start_len = (size_t)(colon - s);
	if (start_len == 1 && s[0] == '~') {
		r->start_infinite = true;
	} else if (start_len == 0) {
		/* ":5.75" as monitoring-plugins: the start defaults to 0 */
		r->start = 0;
	} else {
		why = parse_bound(s, start_len, flags, "start", &r->start, &pct_start);
		if (why)
			return why;
	}

	const char *e = colon + 1;
	if (!*e) {
		r->end_infinite = true;
	} else {
		why = parse_bound(e, strlen(e), flags, "end", &r->end, &pct_end);
		if (why)
			return why;
	}

	/* "10%:20" would compare a share with an absolute number. */
	bool start_finite = !r->start_infinite && start_len > 0;
	bool end_finite = !r->end_infinite;
	if (start_finite && end_finite && pct_start != pct_end)
		return "mixes percent and absolute bounds";
	r->percent = pct_start || pct_end;

	if (!r->start_infinite && !r->end_infinite && r->start > r->end)
		return "start is greater than end";
	return NULL;
}

/* See range.h. The message quotes the text as given (control bytes shown as
 * '?', cut after SHOW_MAX bytes). */
bool range_parse(const char *text, int flags, struct range *r, char err[KMS_ERRLEN])
{
	const char *why = parse_range(text, flags, r);
	if (!why)
		return true;
	char shown[SHOW_MAX + 8];
	show_text(text ? text : "", shown, sizeof shown);
	snprintf(err, KMS_ERRLEN, "invalid range \"%s\": %s", shown, why);
	return false;
}

/* See range.h. A NaN value never alerts: a missing measurement is the
 * caller's to judge, not a threshold's. */
bool range_violates(const struct range *r, double value)
{
	if (isnan(value))
		return false;
	bool inside = (r->start_infinite || value >= r->start) &&
		      (r->end_infinite || value <= r->end);
	return r->alert_inside ? inside : !inside;
}

/* See range.h. A range without '%' is left alone; after scaling the range
 * is absolute (percent cleared), so scaling twice is harmless. */
/* A share of a finite total is finite: an absurd percent (a 309-digit
 * number) times the total overflows to inf, which perfdata must never show;
 * such a bound is clamped to the largest double, which compares the same. */
static double scale_bound(double v, double total)
{
	double x = v * total / 100.0;
	return isfinite(x) ? x : copysign(DBL_MAX, x);
}

void range_scale(struct range *r, double total)
{
	if (!r->percent)
		return;
	if (!r->start_infinite)
		r->start = scale_bound(r->start, total);
	if (!r->end_infinite)
		r->end = scale_bound(r->end, total);
	r->percent = false;
}

/* See range.h. A start of 0 with a finite end is written the short way
 * ("10"), as the guidelines do. */
void range_format(const struct range *r, char *buf, size_t len)
{
	char a[400], b[400];
	const char *pct = r->percent ? "%" : "";
	const char *at = r->alert_inside ? "@" : "";

	if (len == 0)
		return;
	fmt_number(a, sizeof a, r->start, FMT_AUTO);
	fmt_number(b, sizeof b, r->end, FMT_AUTO);
	if (r->start_infinite && r->end_infinite)
		snprintf(buf, len, "%s~:", at);
	else if (r->start_infinite)
		snprintf(buf, len, "%s~:%s%s", at, b, pct);
	else if (r->end_infinite)
		snprintf(buf, len, "%s%s%s:", at, a, pct);
	else if (r->start == 0)
		snprintf(buf, len, "%s%s%s", at, b, pct);
	else
		snprintf(buf, len, "%s%s%s:%s%s", at, a, pct, b, pct);
}

/* See range.h. *t is cleared first, so an unset side reads has_* false. */
bool thresholds_parse(struct thresholds *t, const char *warn, const char *crit,
		      int flags, char err[KMS_ERRLEN])
{
	const struct {
		const char *text, *opt;
		struct range *r;
		bool *has;
	} side[2] = {
		{ warn, "-w", &t->warn, &t->has_warn },
		{ crit, "-c", &t->crit, &t->has_crit },
	};

	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < 2; i++) {
		if (!side[i].text)
			continue;
		const char *why = parse_range(side[i].text, flags, side[i].r);
		if (why) {
			char shown[SHOW_MAX + 8];
			show_text(side[i].text, shown, sizeof shown);
			snprintf(err, KMS_ERRLEN, "invalid range for %s: \"%s\" (%s)",
				 side[i].opt, shown, why);
			return false;
		}
		*side[i].has = true;
	}
	return true;
}

/* See range.h. */
state_t thresholds_check(const struct thresholds *t, double value)
{
	if (t->has_crit && range_violates(&t->crit, value))
		return STATE_CRITICAL;
	if (t->has_warn && range_violates(&t->warn, value))
		return STATE_WARNING;
	return STATE_OK;
}

struct range range_at_least(double start)
{
	return (struct range){ .start = start, .end_infinite = true };
}

struct range range_at_most(double end)
{
	return (struct range){ .end = end, .start_infinite = true };
}

struct range range_between(double start, double end)
{
	return (struct range){ .start = start, .end = end };
}

struct thresholds thresholds_of(const struct range *warn, const struct range *crit)
{
	struct thresholds t = { .has_warn = warn != NULL, .has_crit = crit != NULL };
	if (warn)
		t.warn = *warn;
	if (crit)
		t.crit = *crit;
	return t;
}
