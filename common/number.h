/* number.h - numbers in and out: strict parsing of option values and the
 * one fixed-notation formatter for humans and perfdata.
 *
 * A leaf: uses only libc and state.h (the error length, KMS_ERRLEN).
 * range, timeout, output and options all build on it, so none of them has
 * to include another for a number (the layers: tests/integration/test_layers.py). */
#ifndef KMS_NUMBER_H
#define KMS_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

/* true when s[0..n) is digits with at most one '.' and at least one digit:
 * no sign, no exponent, no "inf"/"nan" that strtod would take. */
bool plain_decimal(const char *s, size_t n);

/* Parse a whole number in [min, max] for option `name`: decimal digits
 * with an optional leading '-', nothing else. false with err
 * ('invalid NAME "TEXT": ...') otherwise. */
bool number_parse(const char *name, const char *text, long long min,
		  long long max, long long *out, char err[KMS_ERRLEN]);

/* Parse a duration: "90" (seconds), "90s", "15m", "15min", "2h", "1d",
 * decimals allowed ("1.5h"), 0 to 100 years. false with err otherwise. */
bool duration_parse(const char *text, double *seconds, char err[KMS_ERRLEN]);

/* duration_parse() for option `name` that must be more than 0 (a look-back,
 * a window): 'invalid NAME "TEXT": must be more than 0' for 0, and
 * duration_parse()'s message after "NAME: " otherwise. */
bool duration_parse_positive(const char *name, const char *text, double *seconds,
			     char err[KMS_ERRLEN]);

/* printf-style formatting of a number for humans and perfdata: fixed
 * notation, at most `decimals` decimals, trailing zeros trimmed ("0.003214",
 * "18", "2.5"). Never exponent notation. Returns buf.
 * decimals FMT_AUTO (< 0): as many decimals as 15 significant digits need
 * (1e-7 -> "0.0000001", 1e12 -> "1000000000000"); what perfdata uses.
 * NaN and infinities read "NaN", "inf", "-inf"; "-0" reads "0". */
#define FMT_AUTO (-1)
char *fmt_number(char *buf, size_t len, double v, int decimals);

#endif
