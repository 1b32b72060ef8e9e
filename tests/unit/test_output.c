/* test_output.c - unit tests of what a plugin prints: a check (result.h)
 * rendered as text by render_check() - line 1, the long output's order,
 * text cleaning, perfdata formatting, the OUTPUT_MAX cap - fmt_number, -v
 * logging, and the exits (check_exit, die, die_state, in text and in the
 * JSON formats) run in a child process whose stdout is read back through a
 * pipe. The model's own rules (the state rule, the JSON tree) are
 * test_result.c's. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"
#include "unit.h"

/* The last text render_text() returned; freed by the next call and by the
 * fixture's teardown. */
static char *last_text;

static const char *render_text(const struct check *c)
{
	size_t n;
	free(last_text);
	last_text = render_check(c, FORMAT_TEXT, "TEST", &n);
	ck_assert_ptr_nonnull(last_text);
	ck_assert_uint_eq(n, strlen(last_text));
	ck_assert_uint_le(n, OUTPUT_MAX);
	ck_assert(n > 0 && last_text[n - 1] == '\n');
	return last_text;
}

static void setup(void)
{
	output_set_aspect("TEST");
}

static void teardown(void)
{
	free(last_text);
	last_text = NULL;
}

/* A leaf with an explicit state: what result_add() was. */
static struct subcheck *add_leaf(struct check *c, state_t st, const char *text)
{
	struct subcheck *sc = check_add(c, "%s", text);
	subcheck_set_state(sc, st);
	return sc;
}

/* Line 1 of o, without its newline (a static copy). */
static const char *line1(const char *o)
{
	static char buf[OUTPUT_MAX + 1];
	size_t n = strcspn(o, "\n");
	memcpy(buf, o, n);
	buf[n] = '\0';
	return buf;
}

static size_t count_state(const struct check *c, state_t st)
{
	size_t n = 0;
	for (size_t i = 0; i < check_count(c); i++)
		n += subcheck_state(check_child(c, i)) == st;
	return n;
}

START_TEST(empty_check_is_ok)
{
	struct check *c = check_new();
	ck_assert_int_eq(check_state(c), STATE_OK);
	ck_assert_str_eq(render_text(c), "KMS TEST OK\n");
	check_free(c);
}
END_TEST

/* The worst subcheck gives the state. Line 1 of a non-OK check is the
 * headlines of every non-OK top-level subchecks, worst first (the
 * transitional API showed only the worst partial's text). */
START_TEST(worst_subcheck_picks_state_and_line1)
{
	struct check *c = check_new();
	check_add(c, "kms01 answers in %d ms", 3);
	add_leaf(c, STATE_UNKNOWN, "kms03: no address");
	add_leaf(c, STATE_WARNING, "kms02 slow");
	add_leaf(c, STATE_WARNING, "kms04 slow too");
	/* WARNING beats UNKNOWN: exit code and first line agree */
	ck_assert_int_eq(check_state(c), STATE_WARNING);
	ck_assert_uint_eq(count_state(c, STATE_WARNING), 2);
	ck_assert_uint_eq(count_state(c, STATE_UNKNOWN), 1);
	ck_assert_uint_eq(count_state(c, STATE_CRITICAL), 0);
	ck_assert_str_eq(render_text(c),
			 "KMS TEST WARNING - kms02 slow; kms04 slow too; kms03: no address\n"
			 "[WARNING] kms02 slow\n"
			 "[WARNING] kms04 slow too\n"
			 "[UNKNOWN] kms03: no address\n"
			 "[OK] kms01 answers in 3 ms\n");
	check_free(c);
}
END_TEST

/* The model has no forced state and no summary for a non-OK check (the
 * transitional result_set_state/result_summary): the OK summary (the last
 * one set) speaks only while the check is OK; once a subcheck fails, its
 * headline does. Notes follow the leaves in both. */
START_TEST(ok_summary_only_when_ok_notes_after_leaves)
{
	struct check *c = check_new();
	check_add(c, "a");
	check_note(c, "Forecast: %s", "stable");
	check_summary_ok(c, "first summary");
	check_summary_ok(c, "%d of %d hosts up", 2, 2);
	ck_assert_str_eq(render_text(c),
			 "KMS TEST OK - 2 of 2 hosts up\n"
			 "[OK] a\n"
			 "Forecast: stable\n");
	struct subcheck *b = add_leaf(c, STATE_CRITICAL, "b");
	subcheck_headline(b, "1 of %d hosts down", 2);
	ck_assert_int_eq(check_state(c), STATE_CRITICAL);
	ck_assert_str_eq(render_text(c),
			 "KMS TEST CRITICAL - 1 of 2 hosts down\n"
			 "[CRITICAL] b\n"
			 "[OK] a\n"
			 "Forecast: stable\n");
	check_free(c);
}
END_TEST

/* Headlines worst first, in the order added within a state; an OK
 * subcheck's headline is not on a non-OK line 1, and the OK summary cannot
 * replace the headlines (the transitional "summary wins" has no meaning in
 * the model; a headline now always belongs to a subcheck). */
START_TEST(headlines_worst_first_ok_summary_ignored)
{
	struct check *c = check_new();
	subcheck_headline(add_leaf(c, STATE_OK, "Office fine"), "Office 10 OK");
	subcheck_headline(add_leaf(c, STATE_WARNING, "DNS line"), "DNS publishing | failing");
	subcheck_headline(add_leaf(c, STATE_UNKNOWN, "idle line"), "idle unknown");
	subcheck_headline(add_leaf(c, STATE_CRITICAL, "Windows line"), "Windows 18/25");
	subcheck_headline(add_leaf(c, STATE_WARNING, "idle2 line"), "idle 14 h");
	ck_assert_int_eq(check_state(c), STATE_CRITICAL);
	const char *want = "KMS TEST CRITICAL - Windows 18/25; DNS publishing / failing; "
			   "idle 14 h; idle unknown\n"
			   "[CRITICAL] Windows line\n"
			   "[WARNING] DNS line\n"
			   "[WARNING] idle2 line\n"
			   "[UNKNOWN] idle line\n"
			   "[OK] Office fine\n";
	ck_assert_str_eq(render_text(c), want);
	check_summary_ok(c, "explicit");
	ck_assert_str_eq(render_text(c), want);
	/* a later headline replaces the earlier one */
	subcheck_headline((struct subcheck *)check_child(c, 3), "Windows 19/25");
	ck_assert(strncmp(render_text(c), "KMS TEST CRITICAL - Windows 19/25; DNS", 38) == 0);
	check_free(c);
}
END_TEST

START_TEST(out_of_range_state_counts_as_unknown)
{
	struct check *c = check_new();
	check_add(c, "fine");
	struct subcheck *odd = add_leaf(c, (state_t)9, "odd");
	ck_assert_int_eq(subcheck_state(odd), STATE_UNKNOWN);
	ck_assert_int_eq(check_state(c), STATE_UNKNOWN);
	ck_assert_str_eq(render_text(c), "KMS TEST UNKNOWN - odd\n[UNKNOWN] odd\n[OK] fine\n");
	struct subcheck *neg = check_add(c, "negative default");
	subcheck_set_default(neg, (state_t)-1);
	ck_assert_int_eq(subcheck_state(neg), STATE_UNKNOWN);
	check_free(c);
}
END_TEST

START_TEST(pipes_and_newlines_are_cleaned)
{
	struct check *c = check_new();
	check_summary_ok(c, "a|b\nc");
	struct subcheck *sc = check_add(c, "x|y\r\nz\t!");
	check_note(c, "n|1");
	subcheck_metric(sc, METRIC("p", 1));
	ck_assert_str_eq(render_text(c), "KMS TEST OK - a/b c | p=1\n"
					 "[OK] x/y  z !\n"
					 "n/1\n");
	/* a headline is cleaned too */
	subcheck_set_state(sc, STATE_WARNING);
	subcheck_headline(sc, "h|1\n2");
	ck_assert_str_eq(render_text(c), "KMS TEST WARNING - h/1 2 | p=1\n"
					 "[WARNING] x/y  z !\n"
					 "n/1\n");
	check_free(c);
}
END_TEST

/* Perfdata of every metric, in order: quoting, units, thresholds, min and
 * max, NaN and infinities left out. In the model a metric with thresholds
 * judges its subcheck: 'Office 2013+'=12 is under its critical 25: and makes
 * the check CRITICAL (the transitional result_perf only graphed). */
START_TEST(perfdata_format)
{
	struct check *c = check_new();
	struct subcheck *sc = check_add(c, "s");
	struct thresholds th;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&th, "1", "5", 0, err));
	subcheck_metric(sc, unit_metric("time", 0.0032, "s", &th, 0, NAN));
	subcheck_metric(sc, unit_metric("connect", 0.000412, "s", NULL, 0, NAN));
	subcheck_metric(sc, unit_metric("count", 18, "", NULL, NAN, NAN));
	ck_assert(thresholds_parse(&th, "30:", "25:", 0, err)); /* copied: time keeps 1;5 */
	subcheck_metric(sc, unit_metric("Office 2013+", 12, "", &th, 0, 50));
	subcheck_metric(sc, unit_metric("it's=x", 1, "c", NULL, NAN, 10));
	subcheck_metric(sc, unit_metric("a|b", 2, "", NULL, NAN, NAN));
	subcheck_metric(sc, unit_metric("nan", NAN, "", NULL, NAN, NAN));
	subcheck_metric(sc, unit_metric("inf", INFINITY, "s", NULL, NAN, NAN));
	subcheck_metric(sc, unit_metric("tiny", 1e-7, "s", NULL, NAN, NAN));
	subcheck_metric(sc, unit_metric("big", 1e12, "B", NULL, NAN, NAN));
	subcheck_metric(sc, unit_metric("neg", -95.99, "", NULL, -INFINITY, NAN));
	subcheck_metric(sc, unit_metric("bad_uom", 3, "furlongs", NULL, NAN, NAN));
	subcheck_metric(sc, unit_metric("", 4, "", NULL, NAN, NAN));
	subcheck_metric(sc, unit_metric("null uom", 5, NULL, NULL, NAN, NAN));
	ck_assert_int_eq(check_state(c), STATE_CRITICAL);
	ck_assert_str_eq(render_text(c),
			 "KMS TEST CRITICAL - s | time=0.0032s;1;5;0 connect=0.000412s;;;0 "
			 "count=18 'Office 2013+'=12;30:;25:;0;50 it_s_x=1c;;;;10 "
			 "'a/b'=2 tiny=0.0000001s big=1000000000000B neg=-95.99 "
			 "bad_uom=3 unnamed=4 'null uom'=5\n"
			 "[CRITICAL] s\n");
	check_free(c);
}
END_TEST

/* A range still in percent is left out of perfdata; scaled, it shows. */
START_TEST(perfdata_leaves_out_unscaled_percent)
{
	struct check *c = check_new();
	struct subcheck *sc = check_add(c, "disk");
	struct thresholds th;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&th, "80%", "90%", RANGE_ALLOW_PERCENT, err));
	subcheck_metric(sc, unit_metric("used", 5, "", &th, 0, 100));
	range_scale(&th.warn, 200);
	subcheck_metric(sc, unit_metric("used2", 5, "", &th, 0, 100));
	ck_assert_str_eq(render_text(c), "KMS TEST OK - disk | used=5;;;0;100 used2=5;160;;0;100\n"
					 "[OK] disk\n");
	check_free(c);
}
END_TEST

START_TEST(fmt_number_fixed_notation)
{
	char b[64];
	ck_assert_str_eq(fmt_number(b, sizeof b, 0.003214, 6), "0.003214");
	ck_assert_str_eq(fmt_number(b, sizeof b, 18, 3), "18");
	ck_assert_str_eq(fmt_number(b, sizeof b, 2.5, 1), "2.5");
	ck_assert_str_eq(fmt_number(b, sizeof b, 2.56, 1), "2.6");
	ck_assert_str_eq(fmt_number(b, sizeof b, 1e-7, FMT_AUTO), "0.0000001");
	ck_assert_str_eq(fmt_number(b, sizeof b, 1e12, FMT_AUTO), "1000000000000");
	ck_assert_str_eq(fmt_number(b, sizeof b, 1e12, 2), "1000000000000");
	ck_assert_str_eq(fmt_number(b, sizeof b, 0.1 + 0.2, FMT_AUTO), "0.3");
	ck_assert_str_eq(fmt_number(b, sizeof b, -0.0001, 2), "0");
	ck_assert_str_eq(fmt_number(b, sizeof b, 0, FMT_AUTO), "0");
	ck_assert_str_eq(fmt_number(b, sizeof b, NAN, 2), "NaN");
	ck_assert_str_eq(fmt_number(b, sizeof b, -INFINITY, 2), "-inf");
	ck_assert_ptr_null(strchr(fmt_number(b, sizeof b, 1e300, FMT_AUTO), 'e'));
	char small[3];
	ck_assert_str_eq(fmt_number(small, sizeof small, 12345, 0), "12");

	/* whole numbers take a shortcut: the same digits as fixed notation,
	 * at and around its bound 2^53, signed, and -0 */
	const double whole[] = { 1, -1, 42, 1e15, -1e15, 9007199254740991.0,
				 -9007199254740991.0, 9007199254740992.0,
				 9007199254740994.0, 1e17, -1e17 };
	char want[64];
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		snprintf(want, sizeof want, "%.0f", whole[i]);
		ck_assert_str_eq(fmt_number(b, sizeof b, whole[i], FMT_AUTO), want);
		ck_assert_str_eq(fmt_number(b, sizeof b, whole[i], 3), want);
	}
	ck_assert_str_eq(fmt_number(b, sizeof b, -0.0, FMT_AUTO), "0");
	ck_assert_str_eq(fmt_number(b, sizeof b, 86400, 0), "86400");
}
END_TEST

/* 100 clients as the children of one top-level subcheck whose headline is
 * line 1 (the model's way to say "many" for a WARNING check). */
START_TEST(cap_drops_whole_lines)
{
	struct check *c = check_new();
	char line[300];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	struct subcheck *all = check_add(c, "clients");
	subcheck_headline(all, "many");
	subcheck_metric(all, unit_metric("n", 100, "", NULL, 0, NAN));
	for (int i = 0; i < 100; i++)
		subcheck_set_state(subcheck_add(all, "client%03d %s", i, line),
				   i % 3 ? STATE_OK : STATE_WARNING);
	const char *o = render_text(c);
	size_t n = strlen(o);
	ck_assert(strncmp(o, "KMS TEST WARNING - many | n=100;;;0\n", 36) == 0);
	/* every line is whole: either the marker or a full 300+ byte line */
	size_t lines = 0, kept = 0;
	const char *p = o;
	const char *last = NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		if (lines > 0 && strncmp(p, "... and ", 8) != 0) {
			ck_assert(p[0] == '[');
			ck_assert_uint_eq(strspn(nl - 299, "x"), 299);
			ck_assert(nl[-300] == ' ');
			kept++;
		}
		last = p;
		lines++;
		p = nl + 1;
	}
	char want[64];
	snprintf(want, sizeof want, "... and %zu more\n", 100 - kept);
	ck_assert_str_eq(last, want);
	ck_assert_uint_gt(kept, 20);
	/* the most urgent lines are the ones kept; the parent has no line */
	ck_assert(strncmp(o + 36, "[WARNING] client000 ", 20) == 0);
	ck_assert_ptr_null(strstr(o, "clients"));
	/* and the next line would not have fitted */
	ck_assert_uint_gt(n + 301 + 16, OUTPUT_MAX);
	check_free(c);
}
END_TEST

/* The critical subcheck has a short headline, so line 1 needs no whole
 * summary below it and the notes compete with the leaves alone. */
START_TEST(cap_notes_dropped_first)
{
	struct check *c = check_new();
	char line[1500];
	memset(line, 'y', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	struct subcheck *crit = check_add(c, "c %s", line);
	subcheck_set_state(crit, STATE_CRITICAL);
	subcheck_headline(crit, "c failed");
	check_add(c, "o %s", line);
	check_add(c, "p %s", line);
	check_note(c, "note %s", line);
	check_note(c, "note2 %s", line);
	check_note(c, "note3 %s", line);
	const char *o = render_text(c);
	ck_assert(strncmp(o, "KMS TEST CRITICAL - c failed\n[CRITICAL] c y", 43) == 0);
	ck_assert_ptr_nonnull(strstr(o, "\n[OK] p y"));
	ck_assert_ptr_nonnull(strstr(o, "\nnote y"));
	ck_assert_ptr_nonnull(strstr(o, "\nnote2 y"));
	ck_assert_ptr_null(strstr(o, "note3"));
	const char *tail = "\n... and 1 more\n";
	ck_assert_str_eq(o + strlen(o) - strlen(tail), tail);
	check_free(c);
}
END_TEST

/* The cap's marker counts the objects left out (the leaves), for any
 * number of them; the notes still follow it, whole. */
START_TEST(cap_marker_counts_leaves_notes_follow)
{
	for (int n = 100; n <= 400; n += 75) {
		struct check *c = check_new();
		struct subcheck *grace = check_add(c, "clients in grace");
		subcheck_headline(grace, "%d clients in grace", n);
		for (int i = 0; i < n; i++)
			subcheck_set_state(subcheck_add(grace, "client%03d.corp.example: grace ends "
							"2026-12-01, last request failed 0xC004F038 "
							"(KMS count insufficient)", i),
					   STATE_WARNING);
		check_note(c, "Failing last request: %d clients with 0xC004F038", n);
		check_note(c, "inventory complete since 2026-05-01");
		const char *o = render_text(c);
		char head[64];
		snprintf(head, sizeof head, "KMS TEST WARNING - %d clients in grace\n", n);
		ck_assert(strncmp(o, head, strlen(head)) == 0);
		int shown = 0;
		for (const char *p = o; (p = strstr(p, "\n[WARNING] ")); p++)
			shown++;
		char tail[200];
		snprintf(tail, sizeof tail, "\n... and %d more\nFailing last request: %d clients with "
			 "0xC004F038\ninventory complete since 2026-05-01\n", n - shown, n);
		ck_assert_msg(shown > 0 && shown < n, "n=%d shown=%d", n, shown);
		ck_assert_str_eq(o + strlen(o) - strlen(tail), tail);
		check_free(c);
	}
}
END_TEST

/* A headline too long for line 1 is cut there and shown whole (itself cut
 * at 1000 bytes) as the first long-output line. */
START_TEST(cap_long_summary_shortened)
{
	char *big = malloc(20000);
	ck_assert_ptr_nonnull(big);
	memset(big, 's', 19999);
	big[19999] = '\0';
	/* the cut counts characters, not bytes: after the 20 of "KMS TEST
	 * CRITICAL - " the summary keeps 77 characters (78 bytes, the
	 * two-byte one whole), then "..." */
	big[76] = '\xc3';
	big[77] = '\xa9';
	struct check *c = check_new();
	struct subcheck *sc = add_leaf(c, STATE_CRITICAL, "one line");
	subcheck_headline(sc, "%s", big);
	subcheck_metric(sc, unit_metric("t", 1, "s", NULL, NAN, NAN));
	const char *o = render_text(c);
	const char *nl = strchr(o, '\n');
	ck_assert(strncmp(nl - 10, "... | t=1s\n", 11) == 0);
	ck_assert_uint_eq((size_t)(nl - o) - strlen(" | t=1s"), 20 + 78 + 3);
	ck_assert(strncmp(nl - 13, "s\xc3\xa9...", 6) == 0);
	/* the whole headline follows, cut at 1000 bytes, then the leaf */
	const char *l2 = nl + 1, *l3 = strchr(l2, '\n') + 1;
	ck_assert_uint_eq((size_t)(l3 - l2), 1000 + 1);
	ck_assert(strncmp(l2, big, 997) == 0);
	ck_assert_str_eq(l3, "[CRITICAL] one line\n");
	check_free(c);

	/* an OK summary as long, with perfdata that cannot all fit: the items
	 * that fit stay whole after the cut summary */
	c = check_new();
	check_summary_ok(c, "%s", big);
	sc = check_add(c, "x");
	for (int i = 0; i < 1000; i++)
		subcheck_metric(sc, METRIC("label_long_enough", i));
	o = render_text(c);
	ck_assert_ptr_nonnull(strstr(o, "... | label_long_enough=0 "));
	ck_assert_uint_gt(strlen(o), OUTPUT_MAX - 40);
	check_free(c);
	free(big);
}
END_TEST

START_TEST(cap_perfdata_items_whole)
{
	struct check *c = check_new();
	check_summary_ok(c, "short");
	struct subcheck *sc = check_add(c, "m");
	for (int i = 0; i < 2000; i++)
		subcheck_metric(sc, unit_metric("metric", i, "s", NULL, 0, NAN));
	const char *o = render_text(c);
	ck_assert(strncmp(o, "KMS TEST OK - short | metric=0s;;;0 metric=1s;;;0 ", 50) == 0);
	/* the last item of line 1 is complete; the leaf line follows */
	const char *nl = strchr(o, '\n');
	ck_assert_str_eq(nl, "\n[OK] m\n");
	const char *item = nl;
	while (item[-1] != ' ')
		item--;
	ck_assert(strncmp(item, "metric=", 7) == 0);
	ck_assert(strncmp(item + strcspn(item, "s"), "s;;;0\n", 6) == 0);
	check_free(c);
}
END_TEST

/* Run fn in a child; its stdout (and its stderr too when merged, as
 * Icinga 2 reads both through one pipe) into buf. Returns the exit code. */
static int run_child_io(void (*fn)(void), char *buf, size_t len, bool merged)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		if (merged)
			dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		fn();
		_exit(100); /* fn must not return */
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t got;
	while (n + 1 < len && (got = read(fds[0], buf + n, len - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	close(fds[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int run_child(void (*fn)(void), char *buf, size_t len)
{
	return run_child_io(fn, buf, len, false);
}

/* The format the next child runs in (set by the parent before the fork). */
static enum output_format child_format = FORMAT_TEXT;

static void child_die(void)
{
	output_set_format(child_format);
	output_set_aspect("COUNT");
	die("invalid range for -c: \"%s\" (start is greater than end)", "2:1");
}

static void child_die_state(void)
{
	output_set_format(child_format);
	output_set_aspect("HOST");
	die_state(STATE_WARNING, "timed out|after\n%d s", 10);
}

static void child_die_no_aspect(void)
{
	output_set_aspect(NULL);
	die("cannot parse options");
}

static void child_die_long(void)
{
	output_set_format(child_format);
	char big[OUTPUT_MAX * 2];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	die("%s", big);
}

static void child_exit_critical(void)
{
	output_set_format(child_format);
	struct check *c = check_new();
	add_leaf(c, STATE_UNKNOWN, "u");
	struct subcheck *sc = add_leaf(c, STATE_CRITICAL, "kms02 refused");
	subcheck_metric(sc, unit_metric("time", 0.5, "s", NULL, 0, NAN));
	check_exit(c);
}

START_TEST(die_exits_unknown_with_message)
{
	char buf[OUTPUT_MAX * 2];
	child_format = FORMAT_TEXT;
	ck_assert_int_eq(run_child(child_die, buf, sizeof buf), 3);
	ck_assert_str_eq(buf, "KMS COUNT UNKNOWN - invalid range for -c: \"2:1\" "
			      "(start is greater than end)\n");
	ck_assert_int_eq(run_child(child_die_state, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "KMS HOST WARNING - timed out/after 10 s\n");
	ck_assert_int_eq(run_child(child_die_no_aspect, buf, sizeof buf), 3);
	ck_assert_str_eq(buf, "KMS PLUGIN UNKNOWN - cannot parse options\n");
	ck_assert_int_eq(run_child(child_die_long, buf, sizeof buf), 3);
	ck_assert_uint_le(strlen(buf), OUTPUT_MAX);
	/* line 1: 100 characters with "..."; line 2: the message, cut at the
	 * 3999 bytes die() formats */
	const char *nl = strchr(buf, '\n');
	ck_assert_uint_eq((size_t)(nl - buf), LINE1_MAX);
	ck_assert(strncmp(nl - 6, "zzz...\n", 7) == 0);
	ck_assert_uint_eq(strlen(nl + 1), OUTPUT_MAX / 2 - 1 + 1);
	ck_assert_uint_eq(strspn(nl + 1, "z"), OUTPUT_MAX / 2 - 1);
}
END_TEST

/* die() in a JSON format prints one line, the document of a check that
 * ended early: its state, line 1's summary as the text would print it, no
 * subchecks. json exits with the state, mp-test-json with 0. */
START_TEST(die_in_json_formats)
{
	static const enum output_format formats[] = { FORMAT_JSON, FORMAT_MP_TEST_JSON };
	char buf[OUTPUT_MAX * 2];
	for (size_t i = 0; i < 2; i++) {
		bool mp = formats[i] == FORMAT_MP_TEST_JSON;
		child_format = formats[i];
		ck_assert_int_eq(run_child(child_die, buf, sizeof buf), mp ? 0 : 3);
		ck_assert_str_eq(buf, "{\"state\":\"UNKNOWN\",\"summary\":\"invalid range for -c: "
				      "\\\"2:1\\\" (start is greater than end)\",\"checks\":[]}\n");
		ck_assert_int_eq(run_child(child_die_state, buf, sizeof buf), mp ? 0 : 1);
		ck_assert_str_eq(buf, "{\"state\":\"WARNING\",\"summary\":\"timed out/after 10 s\","
				      "\"checks\":[]}\n");
		/* a message too long for line 1: the summary cut as the text
		 * cuts it, the whole message as the one note */
		ck_assert_int_eq(run_child(child_die_long, buf, sizeof buf), mp ? 0 : 3);
		ck_assert_uint_eq(strcspn(buf, "\n"), strlen(buf) - 1);
		json_error_t je;
		json_t *doc = json_loads(buf, JSON_REJECT_DUPLICATES, &je);
		ck_assert_msg(doc != NULL, "%s: %s", je.text, buf);
		ck_assert_str_eq(json_string_value(json_object_get(doc, "state")), "UNKNOWN");
		const char *sum = json_string_value(json_object_get(doc, "summary"));
		ck_assert_ptr_nonnull(sum);
		ck_assert_uint_eq(strlen(sum), LINE1_MAX - strlen("KMS TEST UNKNOWN - "));
		ck_assert_uint_eq(strspn(sum, "z"), strlen(sum) - 3);
		ck_assert_str_eq(sum + strlen(sum) - 3, "...");
		ck_assert_uint_eq(json_array_size(json_object_get(doc, "checks")), 0);
		json_t *notes = json_object_get(doc, "notes");
		ck_assert_uint_eq(json_array_size(notes), 1);
		const char *note = json_string_value(json_array_get(notes, 0));
		ck_assert_uint_eq(strlen(note), OUTPUT_MAX / 2 - 1);
		ck_assert_uint_eq(strspn(note, "z"), OUTPUT_MAX / 2 - 1);
		ck_assert_uint_eq(json_object_size(doc), 4);
		json_decref(doc);
	}
	child_format = FORMAT_TEXT;
}
END_TEST

START_TEST(check_exit_code_matches_first_line)
{
	char buf[OUTPUT_MAX * 2];
	child_format = FORMAT_TEXT;
	ck_assert_int_eq(run_child(child_exit_critical, buf, sizeof buf), 2);
	ck_assert_str_eq(buf, "KMS TEST CRITICAL - kms02 refused; u | time=0.5s;;;0\n"
			      "[CRITICAL] kms02 refused\n"
			      "[UNKNOWN] u\n");
	/* the same check as JSON: exit 2 for json, 0 for mp-test-json, the
	 * same document, the one the renderer gives */
	struct check *c = check_new();
	add_leaf(c, STATE_UNKNOWN, "u");
	subcheck_metric(add_leaf(c, STATE_CRITICAL, "kms02 refused"),
			unit_metric("time", 0.5, "s", NULL, 0, NAN));
	size_t n;
	char *want = render_check(c, FORMAT_JSON, "TEST", &n);
	check_free(c);
	ck_assert_str_eq(want, "{\"state\":\"CRITICAL\",\"summary\":\"kms02 refused; u\",\"checks\":"
			       "[{\"output\":\"u\",\"state\":\"UNKNOWN\"},{\"output\":\"kms02 refused\","
			       "\"state\":\"CRITICAL\",\"perfdata\":[{\"label\":\"time\",\"value\":0.5,"
			       "\"uom\":\"s\",\"min\":0}]}]}\n");
	child_format = FORMAT_JSON;
	ck_assert_int_eq(run_child(child_exit_critical, buf, sizeof buf), 2);
	ck_assert_str_eq(buf, want);
	child_format = FORMAT_MP_TEST_JSON;
	ck_assert_int_eq(run_child(child_exit_critical, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, want);
	child_format = FORMAT_TEXT;
	free(want);
}
END_TEST

/* die() under Check's own exit test: the exit code alone. */
START_TEST(die_exit_test)
{
	FILE *null = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(null);
	dup2(fileno(null), STDOUT_FILENO);
	die("bye");
}
END_TEST

START_TEST(verbosity_clamped)
{
	output_set_verbosity(7);
	ck_assert_int_eq(output_verbosity(), 3);
	output_set_verbosity(-2);
	ck_assert_int_eq(output_verbosity(), 0);
	output_set_verbosity(2);
	ck_assert_int_eq(output_verbosity(), 2);
	vlog(3, "not shown");
	output_set_verbosity(0);
}
END_TEST

/* rpc_bind_probe_many() logs from its worker threads: every -v line must
 * come out whole, never a line of one thread with another's text inside. */
#define VLOG_THREADS 4
#define VLOG_LINES 1000 /* 4 x 1000 x 61 bytes: within the 256 KiB held */
#define VLOG_WIDTH 60

static void *vlog_worker(void *arg)
{
	char line[VLOG_WIDTH + 1];
	memset(line, *(const char *)arg, VLOG_WIDTH);
	line[VLOG_WIDTH] = '\0';
	for (int i = 0; i < VLOG_LINES; i++)
		vlog(1, "%s", line);
	return NULL;
}

START_TEST(vlog_lines_whole_across_threads)
{
	static const char letters[VLOG_THREADS] = { 'a', 'b', 'c', 'd' };
	FILE *tmp = tmpfile();
	ck_assert_ptr_nonnull(tmp);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	dup2(fileno(tmp), STDERR_FILENO);
	output_set_verbosity(1);
	pthread_t th[VLOG_THREADS];
	for (int i = 0; i < VLOG_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, vlog_worker, (void *)&letters[i]), 0);
	for (int i = 0; i < VLOG_THREADS; i++)
		pthread_join(th[i], NULL);
	output_set_verbosity(0);
	vlog_flush();
	dup2(saved, STDERR_FILENO);
	close(saved);

	rewind(tmp);
	char buf[256];
	size_t lines = 0;
	while (fgets(buf, sizeof buf, tmp)) {
		size_t n = strcspn(buf, "\n");
		ck_assert_msg(n == VLOG_WIDTH && buf[n] == '\n' &&
			      strspn(buf, (char[]){ buf[0], 0 }) == VLOG_WIDTH,
			      "line %zu is not whole: \"%.80s\"", lines + 1, buf);
		lines++;
	}
	fclose(tmp);
	ck_assert_uint_eq(lines, VLOG_THREADS * VLOG_LINES);
}
END_TEST

/* Every character that ends a line or reorders a terminal's text becomes
 * one space, wherever it comes from (OK summary, headline, output, note,
 * label): the class, not one example. */
START_TEST(unicode_line_breakers_and_bidi_are_cleaned)
{
	static const char *const bad[] = {
		"\xc2\x85", "\xc2\x80", "\xc2\x9f",             /* NEL, C1 */
		"\xe2\x80\xa8", "\xe2\x80\xa9",                 /* LS, PS */
		"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", /* LRE RLE PDF */
		"\xe2\x80\xad", "\xe2\x80\xae",                 /* LRO RLO */
		"\xe2\x80\x8e", "\xe2\x80\x8f", "\xd8\x9c",     /* LRM RLM ALM */
		"\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",
		"\r", "\n", "\x0b", "\x0c", "\x1b", "\x7f",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct check *c = check_new();
		check_summary_ok(c, "pc%s01", bad[i]);
		struct subcheck *sc = check_add(c, "x%sy", bad[i]);
		check_note(c, "n%sm", bad[i]);
		subcheck_metric(sc, METRIC("a b", 1));
		const char *o = render_text(c);
		ck_assert_msg(strcmp(o, "KMS TEST OK - pc 01 | 'a b'=1\n[OK] x y\nn m\n") == 0,
			      "case %zu: %s", i, o);
		subcheck_set_state(sc, STATE_CRITICAL);
		subcheck_headline(sc, "h%sl", bad[i]);
		o = render_text(c);
		ck_assert_msg(strcmp(o, "KMS TEST CRITICAL - h l | 'a b'=1\n[CRITICAL] x y\nn m\n") == 0,
			      "headline %zu: %s", i, o);
		check_free(c);
		char lab[32];
		snprintf(lab, sizeof lab, "p%sq", bad[i]);
		c = check_new();
		subcheck_metric(check_add(c, "o"), METRIC(lab, 1));
		o = render_text(c);
		ck_assert_msg(strcmp(o, "KMS TEST OK - o | 'p q'=1\n[OK] o\n") == 0, "label %zu: %s", i, o);
		check_free(c);
	}
	/* what stays: ordinary non-ASCII text, and near neighbours of the
	 * cleaned ranges (U+00A0, U+2027, U+202F, U+2065, U+2070) */
	static const char *const good[] = { "\xc3\xa9", "\xc2\xa0", "\xe2\x80\xa7",
					    "\xe2\x80\xaf", "\xe2\x81\xa5", "\xe2\x81\xb0",
					    "\xe6\x9d\xb1" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char want[64], got[64];
		snprintf(got, sizeof got, "a%sb", good[i]);
		snprintf(want, sizeof want, "a%sb", good[i]);
		ck_assert_uint_eq(text_clean(got), strlen(want));
		ck_assert_str_eq(got, want);
	}
}
END_TEST

/* Line 1 fits LINE1_MAX whatever the number and length of headlines: as
 * many whole phrases as fit, worst first, then "+N more". */
START_TEST(headlines_fit_line1_with_more)
{
	for (int n = 1; n <= 30; n++) {
		struct check *c = check_new();
		for (int i = 0; i < n; i++) {
			struct subcheck *sc = add_leaf(c, i % 3 == 0 ? STATE_CRITICAL : STATE_WARNING,
						       "line");
			subcheck_headline(sc, "problem %02d with kms%02d.branch-office.corp.example", i, i);
		}
		subcheck_metric((struct subcheck *)check_child(c, 0), METRIC("x", 1));
		const char *o = render_text(c);
		size_t l1 = (size_t)(strstr(o, " | ") - o);
		ck_assert_uint_le(l1, LINE1_MAX);
		ck_assert(strncmp(o, "KMS TEST CRITICAL - problem 00 with kms00.", 42) == 0);
		if (n == 1) {
			ck_assert(strncmp(o + l1 - 12, "corp.example", 12) == 0);
		} else {
			/* the first phrase and "+N-1 more" for the others */
			char tail[32];
			snprintf(tail, sizeof tail, "; +%d more", n - 1);
			ck_assert_msg(strncmp(o + l1 - strlen(tail), tail, strlen(tail)) == 0, "%s", o);
		}
		check_free(c);
	}
	/* short phrases: several fit before the count. "KMS TEST WARNING - "
	 * leaves 81 characters. */
	struct check *c = check_new();
	for (int i = 0; i < 20; i++)
		subcheck_headline(add_leaf(c, STATE_WARNING, "w"), "p%d", i);
	ck_assert_str_eq(line1(render_text(c)), "KMS TEST WARNING - p0; p1; p2; p3; p4; p5; "
						"p6; p7; p8; p9; p10; p11; p12; p13; p14; p15; +4 more");
	check_free(c);
	c = check_new(); /* exactly 100 characters: all fit */
	for (int i = 0; i < 18; i++)
		subcheck_headline(add_leaf(c, STATE_WARNING, "w"), "p%d", i);
	subcheck_headline(add_leaf(c, STATE_WARNING, "w"), "q");
	const char *o = line1(render_text(c));
	ck_assert_uint_eq(strlen(o), LINE1_MAX);
	ck_assert_str_eq(o, "KMS TEST WARNING - p0; p1; p2; p3; p4; p5; "
			    "p6; p7; p8; p9; p10; p11; p12; p13; p14; p15; p16; p17; q");
	check_free(c);
	c = check_new(); /* one more character: the last three become "+3 more" */
	for (int i = 0; i < 18; i++)
		subcheck_headline(add_leaf(c, STATE_WARNING, "w"), "p%d", i);
	subcheck_headline(add_leaf(c, STATE_WARNING, "w"), "qq");
	ck_assert_str_eq(line1(render_text(c)), "KMS TEST WARNING - p0; p1; p2; p3; p4; p5; "
						"p6; p7; p8; p9; p10; p11; p12; p13; p14; p15; +3 more");
	check_free(c);
}
END_TEST

/* A headline too long for line 1 is cut at a word and shown whole below;
 * so is an OK summary. */
START_TEST(long_summary_cut_at_word_whole_below)
{
	struct check *c = check_new();
	subcheck_headline(add_leaf(c, STATE_UNKNOWN, "detail"),
			  "status document https://kms01.branch-office.corp.example/"
			  "kms/status/kms-status.json: HTTP 404 Not Found");
	const char *o = render_text(c);
	ck_assert_uint_eq(strcspn(o, "\n"), LINE1_MAX);
	/* no blank in the second half of the room: cut inside the URL */
	ck_assert_str_eq(o, "KMS TEST UNKNOWN - status document "
			    "https://kms01.branch-office.corp.example/kms/status/kms-status...\n"
			    "status document https://kms01.branch-office.corp.example/kms/status/"
			    "kms-status.json: HTTP 404 Not Found\n"
			    "[UNKNOWN] detail\n");
	check_free(c);
	/* with a blank in reach, the cut is at a word */
	c = check_new();
	check_summary_ok(c, "kms01.corp.example: KMS running on port 1688, host keys licensed, "
			 "DNS publishing OK, last request 14 min ago, 3 clients failing");
	ck_assert_str_eq(render_text(c), "KMS TEST OK - kms01.corp.example: KMS running on port 1688, "
					 "host keys licensed, DNS publishing...\n"
					 "kms01.corp.example: KMS running on port 1688, host keys licensed, "
					 "DNS publishing OK, last request 14 min ago, 3 clients failing\n");
	check_free(c);
}
END_TEST

/* Icinga 2 reads stdout and stderr through one pipe: -v lines must come
 * after the status line, whether the plugin ends by check_exit or die. */
static void child_verbose_exit(void)
{
	output_set_verbosity(3);
	vlog(1, "connecting to 127.0.0.1:1688");
	vlog(3, "bind offered");
	struct check *c = check_new();
	add_leaf(c, STATE_WARNING, "slow");
	check_exit(c);
}

static void child_verbose_die(void)
{
	output_set_verbosity(1);
	vlog(1, "reading the document");
	vlog(2, "not shown at -v");
	die("status document: bad");
}

START_TEST(verbose_lines_follow_status_line)
{
	char buf[OUTPUT_MAX * 2];
	ck_assert_int_eq(run_child_io(child_verbose_exit, buf, sizeof buf, true), 1);
	ck_assert_str_eq(buf, "KMS TEST WARNING - slow\n[WARNING] slow\n"
			      "connecting to 127.0.0.1:1688\nbind offered\n");
	ck_assert_int_eq(run_child_io(child_verbose_die, buf, sizeof buf, true), 3);
	ck_assert_str_eq(buf, "KMS TEST UNKNOWN - status document: bad\nreading the document\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_check_is_ok);
	tcase_add_test(tc, worst_subcheck_picks_state_and_line1);
	tcase_add_test(tc, ok_summary_only_when_ok_notes_after_leaves);
	tcase_add_test(tc, headlines_worst_first_ok_summary_ignored);
	tcase_add_test(tc, out_of_range_state_counts_as_unknown);
	tcase_add_test(tc, pipes_and_newlines_are_cleaned);
	tcase_add_test(tc, unicode_line_breakers_and_bidi_are_cleaned);
	tcase_add_test(tc, cap_marker_counts_leaves_notes_follow);
	tcase_add_test(tc, headlines_fit_line1_with_more);
	tcase_add_test(tc, long_summary_cut_at_word_whole_below);
	tcase_add_test(tc, verbose_lines_follow_status_line);
	tcase_add_test(tc, perfdata_format);
	tcase_add_test(tc, perfdata_leaves_out_unscaled_percent);
	tcase_add_test(tc, fmt_number_fixed_notation);
	tcase_add_test(tc, cap_drops_whole_lines);
	tcase_add_test(tc, cap_notes_dropped_first);
	tcase_add_test(tc, cap_long_summary_shortened);
	tcase_add_test(tc, cap_perfdata_items_whole);
	tcase_add_test(tc, die_exits_unknown_with_message);
	tcase_add_test(tc, die_in_json_formats);
	tcase_add_test(tc, check_exit_code_matches_first_line);
	tcase_add_test(tc, verbosity_clamped);
	tcase_add_test(tc, vlog_lines_whole_across_threads);
	/* an exit test needs Check's fork mode (CK_FORK=no runs it in-process) */
	const char *fork_env = getenv("CK_FORK");
	if (!fork_env || strcmp(fork_env, "no") != 0)
		tcase_add_exit_test(tc, die_exit_test, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
