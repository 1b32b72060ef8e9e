/* range.h - Nagios threshold ranges and warning/critical pairs.
 *
 * Syntax (monitoring-plugins development guidelines), endpoints inclusive:
 *   text     alerts when value is
 *   10       < 0 or > 10          (0..10 is fine)
 *   10:      < 10                 (10..inf is fine)
 *   ~:10     > 10                 (-inf..10 is fine)
 *   10:20    < 10 or > 20
 *   @10:20   >= 10 and <= 20      (inside the range)
 * Numbers may be negative and have decimals; no exponents, no inf/nan.
 * Rejected: empty text, start > end, junk ("1:2:3", "abc", "5x").
 * With RANGE_ALLOW_PERCENT a bound may end in '%' (as check_disk): the range
 * is then a share in percent, turned into absolute numbers by range_scale(). */
#ifndef KMS_RANGE_H
#define KMS_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

struct range {
	double start, end;
	bool start_infinite; /* "~:" */
	bool end_infinite;   /* "N:" */
	bool alert_inside;   /* leading '@' */
	bool percent;        /* a bound carried '%' (only with RANGE_ALLOW_PERCENT) */
};

enum { RANGE_ALLOW_PERCENT = 1 };

/* Parse text into *r. On failure returns false and writes
 * 'invalid range "TEXT": REASON' into err. flags: 0 or RANGE_ALLOW_PERCENT. */
bool range_parse(const char *text, int flags, struct range *r, char err[KMS_ERRLEN]);

/* true when value must raise an alert under r. */
bool range_violates(const struct range *r, double value);

/* Turn a percent range into absolute numbers: bound * total / 100. */
void range_scale(struct range *r, double total);

/* Canonical text of r for perfdata ("10", "10:", "~:10", "@10:20"); never
 * uses exponent notation. Writes at most len bytes, always NUL-terminated. */
void range_format(const struct range *r, char *buf, size_t len);

/* Ranges as data, for defaults (never parsed from text):
 *   range_at_least(10)  "10:"    alerts when value < 10
 *   range_at_most(10)   "~:10"   alerts when value > 10
 *   range_between(0,10) "0:10"   alerts outside 0..10 */
struct range range_at_least(double start);
struct range range_at_most(double end);
struct range range_between(double start, double end);

/* A warning/critical pair; either may be unset. */
struct thresholds {
	struct range warn, crit;
	bool has_warn, has_crit;
};

/* Parse -w / -c texts (either may be NULL = unset). On a bad range returns
 * false with err naming the option: 'invalid range for -c: "2:1" (start is
 * greater than end)'. */
bool thresholds_parse(struct thresholds *t, const char *warn, const char *crit,
		      int flags, char err[KMS_ERRLEN]);

/* A pair from ranges as data: thresholds_of(&w, &c), either may be NULL. */
struct thresholds thresholds_of(const struct range *warn, const struct range *crit);

/* CRITICAL when crit is violated, else WARNING when warn is, else OK. */
state_t thresholds_check(const struct thresholds *t, double value);

#endif
