/* test_range.c - unit tests of common/range.c: the Nagios range syntax,
 * what alerts, the texts of rejected ranges, percent ranges, canonical
 * formatting and warning/critical pairs. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "range.h"
#include "unit.h"

struct case_ {
	const char *text;
	double value;
	bool alerts;
};

static void check_cases(const struct case_ *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct range r;
		char err[KMS_ERRLEN] = "";
		ck_assert_msg(range_parse(c[i].text, 0, &r, err), "\"%s\" rejected: %s",
			      c[i].text, err);
		ck_assert_msg(range_violates(&r, c[i].value) == c[i].alerts,
			      "range \"%s\" value %g: expected %s", c[i].text,
			      c[i].value, c[i].alerts ? "alert" : "no alert");
	}
}

#define CHECK_CASES(arr) check_cases(arr, sizeof arr / sizeof arr[0])

/* The table of the monitoring-plugins development guidelines. */
START_TEST(guideline_examples)
{
	static const struct case_ c[] = {
		{ "10", -0.001, true }, { "10", 0, false }, { "10", 10, false },
		{ "10", 10.001, true },  { "10", 5, false },
		{ "10:", 9.999, true },  { "10:", 10, false }, { "10:", 1e9, false },
		{ "~:10", 10.001, true }, { "~:10", 10, false }, { "~:10", -1e9, false },
		{ "10:20", 9.99, true }, { "10:20", 10, false }, { "10:20", 20, false },
		{ "10:20", 20.01, true },
		{ "@10:20", 10, true },  { "@10:20", 20, true }, { "@10:20", 15, true },
		{ "@10:20", 9.99, false }, { "@10:20", 20.01, false },
	};
	CHECK_CASES(c);
}
END_TEST

START_TEST(issue_examples)
{
	static const struct case_ c[] = {
		{ "6", 6, false },        { "6", 6.5, true },      { "6", -1, true },
		{ "-7:23", -7, false },   { "-7:23", -7.01, true }, { "-7:23", 23, false },
		{ "-7:23", 23.5, true },
		/* empty start means 0, as monitoring-plugins */
		{ ":5.75", 0, false },    { ":5.75", 5.75, false }, { ":5.75", 5.76, true },
		{ ":5.75", -0.1, true },
		{ "~:-95.99", -95.99, false }, { "~:-95.99", -95.98, true },
		{ "~:-95.99", -1000, false },
		{ "~:0", 0.5, true },     { "~:0", 0, false },     { "~:0", -10, false },
		{ "@1:1", 1, true },      { "@1:1", 0.99, false }, { "@1:1", 1.01, false },
		{ "1:1", 1, false },      { "1:1", 0, true },      { "1:1", 2, true },
		{ "+3", 3, false },       { "0.5:.75", 0.6, false }, { "~:", 1e300, false },
		{ "@~:", -5, true },
	};
	CHECK_CASES(c);
}
END_TEST

START_TEST(parsed_fields)
{
	struct range r;
	char err[KMS_ERRLEN];
	ck_assert(range_parse("@-7.5:23", 0, &r, err));
	ck_assert(r.alert_inside);
	ck_assert(!r.start_infinite && !r.end_infinite && !r.percent);
	ck_assert_double_eq(r.start, -7.5);
	ck_assert_double_eq(r.end, 23);
	ck_assert(range_parse("10:", 0, &r, err));
	ck_assert(r.end_infinite && !r.start_infinite);
	ck_assert_double_eq(r.start, 10);
	ck_assert(range_parse("~:10", 0, &r, err));
	ck_assert(r.start_infinite && !r.end_infinite);
}
END_TEST

static void expect_rejected(const char *text, int flags, const char *message)
{
	struct range r;
	char err[KMS_ERRLEN] = "";
	ck_assert_msg(!range_parse(text, flags, &r, err), "\"%s\" accepted", text);
	ck_assert_str_eq(err, message);
}

START_TEST(rejected_with_reason)
{
	expect_rejected("2:1", 0, "invalid range \"2:1\": start is greater than end");
	expect_rejected("@5:-5", 0, "invalid range \"@5:-5\": start is greater than end");
	expect_rejected("1:2:3", 0, "invalid range \"1:2:3\": more than one ':'");
	expect_rejected("abc", 0, "invalid range \"abc\": not a number");
	expect_rejected("5x", 0, "invalid range \"5x\": not a number");
	expect_rejected("", 0, "invalid range \"\": empty");
	expect_rejected("@", 0, "invalid range \"@\": nothing after '@'");
	expect_rejected("inf", 0, "invalid range \"inf\": not a number");
	expect_rejected("nan", 0, "invalid range \"nan\": not a number");
	expect_rejected("-inf:5", 0, "invalid range \"-inf:5\": start is not a number");
	expect_rejected("0x10", 0, "invalid range \"0x10\": not a number");
	expect_rejected("1e5", 0, "invalid range \"1e5\": exponent notation is not allowed");
	expect_rejected("1:2E3", 0, "invalid range \"1:2E3\": exponent notation is not allowed");
	expect_rejected(" 5", 0, "invalid range \" 5\": leading or trailing space");
	expect_rejected("5 ", 0, "invalid range \"5 \": leading or trailing space");
	expect_rejected("5:abc", 0, "invalid range \"5:abc\": end is not a number");
	expect_rejected("~5", 0, "invalid range \"~5\": not a number");
	expect_rejected(".", 0, "invalid range \".\": not a number");
	expect_rejected("-", 0, "invalid range \"-\": not a number");
	/* found by fuzz_range: "-72" is 0:-72, start > end */
	expect_rejected("-72", 0,
			"invalid range \"-72\": start is greater than end (a single number N means 0:N)");
	expect_rejected("-5%", RANGE_ALLOW_PERCENT,
			"invalid range \"-5%\": start is greater than end (a single number N means 0:N)");
	expect_rejected("1..2", 0, "invalid range \"1..2\": not a number");
	expect_rejected("@@1", 0, "invalid range \"@@1\": not a number");
	expect_rejected("10%", 0, "invalid range \"10%\": percent is not allowed here");
	expect_rejected("10%:20", RANGE_ALLOW_PERCENT,
			"invalid range \"10%:20\": mixes percent and absolute bounds");
	expect_rejected("a\nb", 0, "invalid range \"a?b\": not a number");
}
END_TEST

START_TEST(huge_and_long_text)
{
	char big[1000];
	memset(big, '9', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct range r;
	char err[KMS_ERRLEN] = "";
	ck_assert(!range_parse(big, 0, &r, err));
	/* the message quotes a cut text and stays one bounded line */
	ck_assert_ptr_nonnull(strstr(err, "...\": number is too long"));
	ck_assert_uint_lt(strlen(err), 200);
}
END_TEST

START_TEST(percent_ranges)
{
	struct range r;
	char err[KMS_ERRLEN], buf[64];
	ck_assert(range_parse("80%:", RANGE_ALLOW_PERCENT, &r, err));
	ck_assert(r.percent && r.end_infinite);
	range_format(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, "80%:");
	range_scale(&r, 50);
	ck_assert(!r.percent);
	ck_assert_double_eq(r.start, 40);
	ck_assert(range_violates(&r, 39));
	ck_assert(!range_violates(&r, 40));
	range_format(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, "40:");
	range_scale(&r, 50); /* already absolute: unchanged */
	ck_assert_double_eq(r.start, 40);

	ck_assert(range_parse("@10%:20%", RANGE_ALLOW_PERCENT, &r, err));
	range_scale(&r, 812);
	range_format(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, "@81.2:162.4");

	/* a plain number is fine where percent is allowed, and not scaled */
	ck_assert(range_parse("30", RANGE_ALLOW_PERCENT, &r, err));
	ck_assert(!r.percent);
	range_scale(&r, 1000);
	ck_assert_double_eq(r.end, 30);

	/* found by fuzz_range: a 308-digit percent times a total overflowed to
	 * inf, and perfdata showed "inf" */
	char big[320];
	memset(big, '9', 308);
	memcpy(big + 308, "%", 2);
	ck_assert(range_parse(big, RANGE_ALLOW_PERCENT, &r, err));
	range_scale(&r, 34);
	ck_assert(isfinite(r.end));
	ck_assert(!range_violates(&r, 1e300));
	char wide[400];
	range_format(&r, wide, sizeof wide);
	ck_assert_ptr_null(strpbrk(wide, "in"));
}
END_TEST

static void expect_format(const char *text, const char *canonical)
{
	struct range r;
	char err[KMS_ERRLEN], buf[64];
	ck_assert_msg(range_parse(text, 0, &r, err), "%s", err);
	range_format(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, canonical);
}

START_TEST(format_canonical)
{
	expect_format("10", "10");
	expect_format("0:10", "10");
	expect_format(":10", "10");
	expect_format("10:", "10:");
	expect_format("~:10", "~:10");
	expect_format("@10:20", "@10:20");
	expect_format("-7:23", "-7:23");
	expect_format("~:", "~:");
	expect_format("1.50:2.250", "1.5:2.25");
	expect_format("0.0000001", "0.0000001");
	expect_format("1000000000000:", "1000000000000:");
	expect_format("-0", "0");

	/* a truncated buffer is still NUL-terminated */
	struct range r = { .start = 0, .end = 123456 };
	char small[4];
	range_format(&r, small, sizeof small);
	ck_assert_str_eq(small, "123");
}
END_TEST

START_TEST(thresholds_w30_c60)
{
	struct thresholds t;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&t, "30", "60", 0, err));
	ck_assert(t.has_warn && t.has_crit);
	ck_assert_int_eq(thresholds_check(&t, 15.3), STATE_OK);
	ck_assert_int_eq(thresholds_check(&t, 30), STATE_OK);
	ck_assert_int_eq(thresholds_check(&t, 30.0001), STATE_WARNING);
	ck_assert_int_eq(thresholds_check(&t, 60), STATE_WARNING);
	ck_assert_int_eq(thresholds_check(&t, 69), STATE_CRITICAL);
	ck_assert_int_eq(thresholds_check(&t, -1), STATE_CRITICAL);
}
END_TEST

START_TEST(thresholds_unset_sides)
{
	struct thresholds t;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&t, NULL, NULL, 0, err));
	ck_assert(!t.has_warn && !t.has_crit);
	ck_assert_int_eq(thresholds_check(&t, 1e12), STATE_OK);
	ck_assert(thresholds_parse(&t, NULL, "25:", 0, err));
	ck_assert(!t.has_warn && t.has_crit);
	ck_assert_int_eq(thresholds_check(&t, 24), STATE_CRITICAL);
	ck_assert_int_eq(thresholds_check(&t, 25), STATE_OK);
	ck_assert(thresholds_parse(&t, "30:", NULL, 0, err));
	ck_assert_int_eq(thresholds_check(&t, 29), STATE_WARNING);
	ck_assert_int_eq(thresholds_check(&t, NAN), STATE_OK);
}
END_TEST

START_TEST(thresholds_errors_name_the_option)
{
	struct thresholds t;
	char err[KMS_ERRLEN];
	ck_assert(!thresholds_parse(&t, "1", "2:1", 0, err));
	ck_assert_str_eq(err, "invalid range for -c: \"2:1\" (start is greater than end)");
	ck_assert(!thresholds_parse(&t, "abc", "5", 0, err));
	ck_assert_str_eq(err, "invalid range for -w: \"abc\" (not a number)");
	ck_assert(!thresholds_parse(&t, "", NULL, 0, err));
	ck_assert_str_eq(err, "invalid range for -w: \"\" (empty)");
	ck_assert(!thresholds_parse(&t, NULL, "1:2:3", 0, err));
	ck_assert_str_eq(err, "invalid range for -c: \"1:2:3\" (more than one ':')");
	ck_assert(!thresholds_parse(&t, "5x", NULL, 0, err));
	ck_assert_str_eq(err, "invalid range for -w: \"5x\" (not a number)");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("range");
	TCase *tc = tcase_create("range");
	tcase_add_test(tc, guideline_examples);
	tcase_add_test(tc, issue_examples);
	tcase_add_test(tc, parsed_fields);
	tcase_add_test(tc, rejected_with_reason);
	tcase_add_test(tc, huge_and_long_text);
	tcase_add_test(tc, percent_ranges);
	tcase_add_test(tc, format_canonical);
	tcase_add_test(tc, thresholds_w30_c60);
	tcase_add_test(tc, thresholds_unset_sides);
	tcase_add_test(tc, thresholds_errors_name_the_option);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
