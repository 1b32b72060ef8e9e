/* test_state.c - unit tests of common/state.c: the one order of states,
 * their names, and parsing them from option text. */
#include <check.h>

#include "state.h"
#include "unit.h"

START_TEST(rank_order_is_critical_warning_unknown_ok)
{
	ck_assert_int_gt(state_rank(STATE_CRITICAL), state_rank(STATE_WARNING));
	ck_assert_int_gt(state_rank(STATE_WARNING), state_rank(STATE_UNKNOWN));
	ck_assert_int_gt(state_rank(STATE_UNKNOWN), state_rank(STATE_OK));
}
END_TEST

START_TEST(worst_follows_rank_not_exit_code)
{
	/* UNKNOWN has the highest exit code (3) but is not the worst. */
	ck_assert_int_eq(state_worst(STATE_UNKNOWN, STATE_WARNING), STATE_WARNING);
	ck_assert_int_eq(state_worst(STATE_WARNING, STATE_UNKNOWN), STATE_WARNING);
	ck_assert_int_eq(state_worst(STATE_OK, STATE_UNKNOWN), STATE_UNKNOWN);
	ck_assert_int_eq(state_worst(STATE_CRITICAL, STATE_UNKNOWN), STATE_CRITICAL);
	ck_assert_int_eq(state_worst(STATE_OK, STATE_OK), STATE_OK);
	ck_assert_int_eq(state_worst(STATE_WARNING, STATE_CRITICAL), STATE_CRITICAL);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(state_name(STATE_OK), "OK");
	ck_assert_str_eq(state_name(STATE_WARNING), "WARNING");
	ck_assert_str_eq(state_name(STATE_CRITICAL), "CRITICAL");
	ck_assert_str_eq(state_name(STATE_UNKNOWN), "UNKNOWN");
	ck_assert_str_eq(state_name((state_t)7), "UNKNOWN");
}
END_TEST

START_TEST(parse_names_and_digits)
{
	state_t st = STATE_OK;
	ck_assert(state_parse("warning", &st));
	ck_assert_int_eq(st, STATE_WARNING);
	ck_assert(state_parse("CRITICAL", &st));
	ck_assert_int_eq(st, STATE_CRITICAL);
	ck_assert(state_parse("Unknown", &st));
	ck_assert_int_eq(st, STATE_UNKNOWN);
	ck_assert(state_parse("ok", &st));
	ck_assert_int_eq(st, STATE_OK);
	ck_assert(state_parse("2", &st));
	ck_assert_int_eq(st, STATE_CRITICAL);
	ck_assert(state_parse("3", &st));
	ck_assert_int_eq(st, STATE_UNKNOWN);
}
END_TEST

START_TEST(parse_rejects_other_text)
{
	state_t st = STATE_WARNING;
	const char *bad[] = { "", "4", "22", "-1", "warn", "crit", " OK", "OK ", "OKAY" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!state_parse(bad[i], &st), "accepted \"%s\"", bad[i]);
	ck_assert(!state_parse(NULL, &st));
	ck_assert_int_eq(st, STATE_WARNING); /* untouched on failure */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	tcase_add_test(tc, rank_order_is_critical_warning_unknown_ok);
	tcase_add_test(tc, worst_follows_rank_not_exit_code);
	tcase_add_test(tc, names);
	tcase_add_test(tc, parse_names_and_digits);
	tcase_add_test(tc, parse_rejects_other_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
