/* test_timeutil.c - unit tests of common/timeutil.c: strict RFC 3339
 * parsing (offsets, fractions, leap days, ranges, trailing junk), the
 * KMS_PLUGINS_NOW clock override, fmt_utc and fmt_duration. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"
#include "timeutil.h"
#include "unit.h"

static void good(const char *text, double want)
{
	char err[KMS_ERRLEN] = "";
	double t = -1;
	ck_assert_msg(rfc3339_parse(text, &t, err), "%s: %s", text, err);
	ck_assert_msg(fabs(t - want) < 1e-6, "%s: got %.6f want %.6f", text, t, want);
}

static void bad(const char *text, const char *why)
{
	char err[KMS_ERRLEN] = "", want[KMS_ERRLEN];
	double t = 0;
	ck_assert_msg(!rfc3339_parse(text, &t, err), "%s accepted", text);
	snprintf(want, sizeof want, "not an RFC 3339 time: \"%s\" (%s)", text, why);
	ck_assert_str_eq(err, want);
}

START_TEST(rfc3339_good)
{
	good("1970-01-01T00:00:00Z", 0);
	good("2026-11-25T14:00:00Z", 1795615200);
	good("2026-11-25t14:00:00z", 1795615200);
	good("2026-11-25 14:00:00Z", 1795615200);
	good("2026-11-25T15:00:00+01:00", 1795615200);
	good("2026-11-25T09:30:00-04:30", 1795615200);
	good("2026-11-25T14:00:00.25Z", 1795615200.25);
	good("2026-11-25T15:00:00.125+01:00", 1795615200.125);
	good("2024-02-29T12:00:00Z", 1709208000);
	good("2000-02-29T00:00:00Z", 951782400);
	good("1969-12-31T23:59:59Z", -1);
	good("2016-12-31T23:59:60Z", 1483228799); /* leap second reads as :59 */
	good("2026-12-31T23:59:59Z", 1798761599);
}
END_TEST

START_TEST(rfc3339_bad)
{
	bad("", "expected YYYY-MM-DD");
	bad("2026-11-25", "expected 'T' between date and time");
	bad("2026-11-25T14:00Z", "expected HH:MM:SS");
	bad("26-11-25T14:00:00Z", "expected YYYY-MM-DD");
	bad("2026-13-01T00:00:00Z", "month out of range");
	bad("2026-00-01T00:00:00Z", "month out of range");
	bad("2026-11-31T00:00:00Z", "day out of range for the month");
	bad("2026-11-00T00:00:00Z", "day out of range for the month");
	bad("2025-02-29T00:00:00Z", "day out of range for the month");
	bad("1900-02-29T00:00:00Z", "day out of range for the month");
	bad("2026-11-25T24:00:00Z", "time of day out of range");
	bad("2026-11-25T23:60:00Z", "time of day out of range");
	bad("2026-11-25T23:59:61Z", "time of day out of range");
	bad("2026-11-25T14:00:00", "missing zone (Z or +HH:MM)");
	bad("2026-11-25T14:00:00.Z", "no digits after '.'");
	bad("2026-11-25T14:00:00+0100", "expected a zone offset +HH:MM");
	bad("2026-11-25T14:00:00+24:00", "zone offset out of range");
	bad("2026-11-25T14:00:00Z ", "trailing characters");
	bad("2026-11-25T14:00:00Zjunk", "trailing characters");
	bad("2026-11-25X14:00:00Z", "expected 'T' between date and time");
	bad("+026-11-25T14:00:00Z", "expected YYYY-MM-DD");
}
END_TEST

START_TEST(rfc3339_long_text_is_cut)
{
	char text[300], err[KMS_ERRLEN];
	double t;
	memset(text, 'x', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	ck_assert(!rfc3339_parse(text, &t, err));
	ck_assert_uint_eq(strlen(err), strlen("not an RFC 3339 time: \"\" (expected YYYY-MM-DD)") + 83);
}
END_TEST

START_TEST(now_override)
{
	setenv("KMS_PLUGINS_NOW", "2026-11-25T14:00:00Z", 1);
	ck_assert(wall_now() == 1795615200);
	unsetenv("KMS_PLUGINS_NOW");
	double t = wall_now();
	ck_assert(t > 1.7e9);
}
END_TEST

START_TEST(now_override_invalid)
{
	int out[2];
	ck_assert_int_eq(pipe(out), 0);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		output_set_aspect("COUNT");
		setenv("KMS_PLUGINS_NOW", "yesterday", 1);
		wall_now();
		_exit(0);
	}
	close(out[1]);
	char buf[512];
	ssize_t n = read(out[0], buf, sizeof buf - 1);
	close(out[0]);
	buf[n > 0 ? n : 0] = '\0';
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	ck_assert_str_eq(buf, "KMS COUNT UNKNOWN - KMS_PLUGINS_NOW: not an RFC 3339 time: \"yesterday\" (expected YYYY-MM-DD)\n");
}
END_TEST

START_TEST(utc_format)
{
	char buf[64];
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, 1795615200 + 62 * 60 + 11, NULL), "2026-11-25 15:02 UTC");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, 1795615200.9, "%Y-%m-%d"), "2026-11-25");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, -0.5, "%Y-%m-%dT%H:%M:%SZ"), "1969-12-31T23:59:59Z");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, NAN, NULL), "unknown time");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, INFINITY, NULL), "unknown time");
	ck_assert_str_eq(fmt_utc(buf, 5, 0, NULL), "");
}
END_TEST

/* Years print as 4 digits at least, whatever glibc's %Y does: every RFC
 * 3339 year parses and prints back the same, 0000 included. */
START_TEST(utc_format_years)
{
	static const char *const times[] = {
		"0000-01-01T00:00:00Z", "0000-02-29T12:34:56Z", "0000-12-31T23:59:59Z",
		"0001-01-01T00:00:00Z", "0009-06-15T01:02:03Z", "0099-07-04T00:00:00Z",
		"0999-12-31T23:59:59Z", "1000-01-01T00:00:00Z", "1899-12-31T23:59:59Z",
		"1900-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z",
	};
	char buf[64], err[KMS_ERRLEN];
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		double t;
		ck_assert_msg(rfc3339_parse(times[i], &t, err), "%s: %s", times[i], err);
		ck_assert_str_eq(fmt_utc(buf, sizeof buf, t, "%Y-%m-%dT%H:%M:%SZ"), times[i]);
	}
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, -62167219200.0, NULL), "0000-01-01 00:00 UTC");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, -62167219200.0, "%Y"), "0000");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, -62167219200.0 - 1, "%Y-%m-%d"), "-0001-12-31");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, 253402300800.0, "%Y-%m-%d"), "10000-01-01");
	/* %% and other conversions stay strftime's; a %Y in the middle too */
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, -62167219200.0, "%%Y=%Y %j%%"), "%Y=0000 001%");
	ck_assert_str_eq(fmt_utc(buf, sizeof buf, 0, "year %Y, day %d"), "year 1970, day 01");
}
END_TEST

START_TEST(durations)
{
	char buf[64];
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 0), "0 s");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 45), "45 s");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 59.9), "59 s");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 60), "1 min");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 14 * 60 + 59), "14 min");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 3600), "1 h");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 3 * 3600 + 10 * 60 + 30), "3 h 10 min");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 86399), "23 h 59 min");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 86400), "1 d");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 2 * 86400 + 4 * 3600 + 59 * 60), "2 d 4 h");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, 180 * 86400.0), "180 d");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, -7200), "-2 h");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, -30.5), "-30 s");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, NAN), "unknown");
	ck_assert_str_eq(fmt_duration(buf, sizeof buf, -INFINITY), "unknown");
	ck_assert_str_eq(fmt_duration(buf, 4, 3 * 3600), "3 h");
	ck_assert_str_eq(fmt_duration(buf, 3, 3 * 3600), "3 ");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timeutil");
	TCase *tc = tcase_create("timeutil");
	tcase_add_test(tc, rfc3339_good);
	tcase_add_test(tc, rfc3339_bad);
	tcase_add_test(tc, rfc3339_long_text_is_cut);
	tcase_add_test(tc, now_override);
	tcase_add_test(tc, now_override_invalid);
	tcase_add_test(tc, utc_format);
	tcase_add_test(tc, utc_format_years);
	tcase_add_test(tc, durations);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
