/* number.c - owns number parsing and formatting (number.h).
 *
 * Text is checked by hand before strtod()/strtoll() convert it: alone they
 * would accept "inf", "nan", "0x10", "1e5" and leading spaces, none of which
 * a user means as a number of seconds or a count. */
#include "number.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* See number.h. */
bool plain_decimal(const char *s, size_t n)
{
	size_t ndig = 0, ndot = 0;
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			ndig++;
		else if (s[i] == '.')
			ndot++;
		else
			return false;
	}
	return ndig > 0 && ndot <= 1;
}

/* "90", "90s", "15m", "15min", "2h", "1d", decimals allowed ("1.5h"), at most
 * 100 years. Zero is accepted; negative, empty and junk are not. */
bool duration_parse(const char *text, double *seconds, char err[KMS_ERRLEN])
{
	static const struct {
		const char *suffix;
		double factor;
	} units[] = { { "", 1 }, { "s", 1 }, { "m", 60 }, { "min", 60 },
		      { "h", 3600 }, { "d", 86400 } };
	if (!text)
		text = "";
	size_t n = 0;
	while (isdigit((unsigned char)text[n]) || text[n] == '.')
		n++;
	if (n > 0 && n < 32 && plain_decimal(text, n)) {
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (strcmp(text + n, units[i].suffix) != 0)
				continue;
			char num[32];
			memcpy(num, text, n);
			num[n] = '\0';
			double v = strtod(num, NULL) * units[i].factor;
			if (v > 100.0 * 366 * 86400) {
				snprintf(err, KMS_ERRLEN,
					 "invalid duration \"%.100s\": more than 100 years", text);
				return false;
			}
			*seconds = v;
			return true;
		}
	}
	snprintf(err, KMS_ERRLEN,
		 "invalid duration \"%.100s\": expected a number with an optional unit s, m, h or d (e.g. 90, 15m, 2h)",
		 text);
	return false;
}

bool duration_parse_positive(const char *name, const char *text, double *seconds,
			     char err[KMS_ERRLEN])
{
	double v;
	char why[KMS_ERRLEN];
	if (!duration_parse(text, &v, why)) {
		snprintf(err, KMS_ERRLEN, "%.32s: %.400s", name, why);
		return false;
	}
	if (v <= 0) {
		snprintf(err, KMS_ERRLEN, "invalid %s \"%.64s\": must be more than 0", name, text);
		return false;
	}
	*seconds = v;
	return true;
}

/* Decimal digits only (an optional leading '-'), no spaces or trailing
 * text, within [min, max]. */
bool number_parse(const char *name, const char *text, long long min,
		  long long max, long long *out, char err[KMS_ERRLEN])
{
	const char *p = text ? text : "";
	const char *d = *p == '-' ? p + 1 : p;
	bool ok = *d != '\0';
	for (const char *q = d; *q; q++)
		if (!isdigit((unsigned char)*q))
			ok = false;
	if (!ok) {
		snprintf(err, KMS_ERRLEN, "invalid %s \"%.100s\": not a whole number", name, p);
		return false;
	}
	errno = 0;
	long long v = strtoll(p, NULL, 10);
	if (errno == ERANGE || v < min || v > max) {
		snprintf(err, KMS_ERRLEN, "invalid %s \"%.100s\": must be %lld to %lld",
			 name, p, min, max);
		return false;
	}
	*out = v;
	return true;
}

/* See number.h. */
char *fmt_number(char *buf, size_t len, double v, int decimals)
{
	char tmp[400]; /* DBL_MAX in fixed notation is 309 digits */

	if (len == 0)
		return buf;
	if (isnan(v)) {
		snprintf(buf, len, "%s", "NaN");
		return buf;
	}
	if (isinf(v)) {
		snprintf(buf, len, "%s", v < 0 ? "-inf" : "inf");
		return buf;
	}
	if (fabs(v) < 9007199254740992.0 && v == trunc(v)) {
		/* a whole number (counts, seconds: most perfdata) prints the
		 * same digits as the fixed notation below, without printf's
		 * slow path for doubles; -0 reads "0" */
		snprintf(buf, len, "%lld", (long long)v);
		return buf;
	}
	if (decimals < 0) {
		/* 15 significant digits: all a double holds reliably, so
		 * 0.1 + 0.2 prints as 0.3 and 1e-7 still shows. */
		double a = fabs(v);
		decimals = a == 0 ? 0 : 15 - ((int)floor(log10(a)) + 1);
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 20)
		decimals = 20;
	snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
	if (strchr(tmp, '.')) {
		size_t n = strlen(tmp);
		while (tmp[n - 1] == '0')
			tmp[--n] = '\0';
		if (tmp[n - 1] == '.')
			tmp[--n] = '\0';
	}
	if (strcmp(tmp, "-0") == 0)
		strcpy(tmp, "0");
	snprintf(buf, len, "%s", tmp);
	return buf;
}
