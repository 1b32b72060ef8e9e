/* test_timeout.c - unit tests of common/timeout.c: -t parsing, the
 * monotonic clock and deadline_left(), and the hard deadline itself: a
 * child that blocks forever must be ended by the alarm with the configured
 * state, within seconds + 0.3 s (+ scheduling slack), having printed the
 * prepared timeout line. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timeout.h"
#include "unit.h"

static void ok_parse(const char *text, state_t def, double secs, state_t st)
{
	char err[KMS_ERRLEN] = "";
	double s = -1;
	state_t got = STATE_OK;
	ck_assert_msg(timeout_parse(text, def, &s, &got, err), "%s: %s", text, err);
	ck_assert_msg(s == secs, "%s: %f", text, s);
	ck_assert_int_eq(got, st);
}

static void bad_parse(const char *text, const char *want)
{
	char err[KMS_ERRLEN] = "";
	double s = 1;
	state_t st = STATE_OK;
	ck_assert_msg(!timeout_parse(text, STATE_CRITICAL, &s, &st, err), "%s accepted", text);
	ck_assert_str_eq(err, want);
}

START_TEST(parse_good)
{
	ok_parse("10", STATE_CRITICAL, 10, STATE_CRITICAL);
	ok_parse("2.5", STATE_UNKNOWN, 2.5, STATE_UNKNOWN);
	ok_parse("10:WARNING", STATE_CRITICAL, 10, STATE_WARNING);
	ok_parse("10:critical", STATE_UNKNOWN, 10, STATE_CRITICAL);
	ok_parse("10:ok", STATE_CRITICAL, 10, STATE_OK);
	ok_parse("1:3", STATE_CRITICAL, 1, STATE_UNKNOWN);
	ok_parse("86400", STATE_CRITICAL, 86400, STATE_CRITICAL);
	ok_parse(".5", STATE_CRITICAL, 0.5, STATE_CRITICAL);
}
END_TEST

START_TEST(parse_bad)
{
	bad_parse("0", "invalid timeout \"0\": must be more than 0 s");
	bad_parse("0.0", "invalid timeout \"0.0\": must be more than 0 s");
	bad_parse("-5", "invalid timeout \"-5\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse("abc", "invalid timeout \"abc\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse("", "invalid timeout \"\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse("10s", "invalid timeout \"10s\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse("1e3", "invalid timeout \"1e3\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse("inf", "invalid timeout \"inf\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse("1.2.3", "invalid timeout \"1.2.3\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse(":WARNING", "invalid timeout \":WARNING\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
	bad_parse("86400.5", "invalid timeout \"86400.5\": at most 86400 s");
	bad_parse("10:", "invalid timeout \"10:\": \"\" is not a state (OK, WARNING, CRITICAL, UNKNOWN)");
	bad_parse("10:WARN", "invalid timeout \"10:WARN\": \"WARN\" is not a state (OK, WARNING, CRITICAL, UNKNOWN)");
	bad_parse("10:WARNING:x", "invalid timeout \"10:WARNING:x\": \"WARNING:x\" is not a state (OK, WARNING, CRITICAL, UNKNOWN)");
}
END_TEST

START_TEST(clock_and_deadline)
{
	double a = mono_now();
	usleep(20000);
	double b = mono_now();
	ck_assert(b - a >= 0.019 && b - a < 1);
	timeout_start(5, STATE_WARNING, "HOST");
	timeout_stop();
	ck_assert(timeout_seconds() == 5);
	ck_assert_int_eq(timeout_state(), STATE_WARNING);
	double left = deadline_left();
	ck_assert_msg(left > 4.9 && left <= 5, "%f", left);
	usleep(100000);
	left = deadline_left();
	ck_assert_msg(left > 4.5 && left <= 4.905, "%f", left);
}
END_TEST

/* The aspect block_child() passes; a test may change it before forking. */
static const char *block_aspect = "HOST";

/* Runs in a child: arms the deadline and blocks in a read that never ends
 * (a pipe whose write end stays open). */
static void block_child(double secs, state_t st, const char *activity)
{
	timeout_start(secs, st, block_aspect);
	if (activity)
		timeout_set_activity(activity);
	int p[2];
	if (pipe(p) != 0)
		_exit(99);
	char c;
	for (;;)
		if (read(p[0], &c, 1) >= 0)
			break;
	_exit(98); /* the read returned: the test fails on this code */
}

struct expiry {
	int status;
	double elapsed;
	char out[1024];
};

static void run_expiry(double secs, state_t st, const char *activity, struct expiry *e)
{
	int out[2];
	ck_assert_int_eq(pipe(out), 0);
	fflush(NULL);
	double t0 = mono_now();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(out[0]);
		dup2(out[1], STDOUT_FILENO);
		block_child(secs, st, activity);
	}
	close(out[1]);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof e->out - 1 && (r = read(out[0], e->out + n, sizeof e->out - 1 - n)) > 0)
		n += (size_t)r;
	e->out[n] = '\0';
	close(out[0]);
	int wst;
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	e->elapsed = mono_now() - t0;
	e->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
}

START_TEST(deadline_ends_blocked_child)
{
	struct expiry e;
	run_expiry(0.5, STATE_CRITICAL, NULL, &e);
	ck_assert_int_eq(e.status, 2);
	ck_assert_str_eq(e.out, "KMS HOST CRITICAL - check timed out after 0.5 s\n");
	/* armed at 0.5 + 0.3 s; 0.3 s more for scheduling (valgrind included) */
	ck_assert_msg(e.elapsed >= 0.79 && e.elapsed < 1.1, "elapsed %f", e.elapsed);
}
END_TEST

START_TEST(deadline_names_activity_and_state)
{
	struct expiry e;
	run_expiry(0.2, STATE_WARNING, "fetching https://kms01/doc.json|x\nmore", &e);
	ck_assert_int_eq(e.status, 1);
	ck_assert_str_eq(e.out,
			 "KMS HOST WARNING - fetching https://kms01/doc.json/x more timed out after 0.2 s\n");
	ck_assert_msg(e.elapsed >= 0.49 && e.elapsed < 0.8, "elapsed %f", e.elapsed);
}
END_TEST

/* The aspect is the caller's (timeout sits below output): copied, cleaned,
 * "CHECK" when there is none. */
START_TEST(deadline_names_given_aspect)
{
	static const struct {
		const char *aspect, *word;
	} cases[] = {
		{ "COUNT", "COUNT" }, { "DNS", "DNS" }, { NULL, "CHECK" }, { "", "CHECK" },
		{ "A|B", "A/B" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		block_aspect = cases[i].aspect;
		struct expiry e;
		run_expiry(0.1, STATE_CRITICAL, NULL, &e);
		char want[128];
		snprintf(want, sizeof want, "KMS %s CRITICAL - check timed out after 0.1 s\n",
			 cases[i].word);
		ck_assert_int_eq(e.status, 2);
		ck_assert_str_eq(e.out, want);
	}
	block_aspect = "HOST";
}
END_TEST

START_TEST(stop_disarms)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		timeout_start(0.05, STATE_CRITICAL, "HOST");
		timeout_stop();
		usleep(600000);
		_exit(0);
	}
	int wst;
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert(WIFEXITED(wst));
	ck_assert_int_eq(WEXITSTATUS(wst), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("timeout");
	TCase *tc = tcase_create("timeout");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, parse_bad);
	tcase_add_test(tc, clock_and_deadline);
	tcase_add_test(tc, deadline_ends_blocked_child);
	tcase_add_test(tc, deadline_names_activity_and_state);
	tcase_add_test(tc, deadline_names_given_aspect);
	tcase_add_test(tc, stop_disarms);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
