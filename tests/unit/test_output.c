/* test_output.c - unit tests of common/output.c: the state rule, the first
 * line, long output order, text cleaning, perfdata formatting, the output
 * cap, fmt_number, and the exits (result_exit, die, die_state) run in a
 * child process whose stdout is read back through a pipe. */
#include <check.h>
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

static char out[OUTPUT_MAX + 1];

static const char *render(struct result *r)
{
	size_t n = result_render(r, out, sizeof out);
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_uint_le(n, OUTPUT_MAX);
	return out;
}

static void setup(void)
{
	output_set_aspect("TEST");
}

START_TEST(empty_result_is_ok)
{
	struct result *r = result_new();
	ck_assert_int_eq(result_state(r), STATE_OK);
	ck_assert_str_eq(render(r), "KMS TEST OK\n");
	result_free(r);
}
END_TEST

START_TEST(worst_partial_picks_state_and_summary)
{
	struct result *r = result_new();
	result_add(r, STATE_OK, "kms01 answers in %d ms", 3);
	result_add(r, STATE_UNKNOWN, "kms03: no address");
	result_add(r, STATE_WARNING, "kms02 slow");
	result_add(r, STATE_WARNING, "kms04 slow too");
	/* WARNING beats UNKNOWN: exit code and first line agree */
	ck_assert_int_eq(result_state(r), STATE_WARNING);
	ck_assert_uint_eq(result_count(r, STATE_WARNING), 2);
	ck_assert_uint_eq(result_count(r, STATE_UNKNOWN), 1);
	ck_assert_uint_eq(result_count(r, STATE_CRITICAL), 0);
	ck_assert_str_eq(render(r),
			 "KMS TEST WARNING - kms02 slow\n"
			 "[WARNING] kms02 slow\n"
			 "[WARNING] kms04 slow too\n"
			 "[UNKNOWN] kms03: no address\n"
			 "[OK] kms01 answers in 3 ms\n");
	result_free(r);
}
END_TEST

START_TEST(summary_notes_and_forced_state)
{
	struct result *r = result_new();
	result_add(r, STATE_OK, "a");
	result_add(r, STATE_CRITICAL, "b");
	result_note(r, "Forecast: %s", "stable");
	result_summary(r, "first summary");
	result_summary(r, "1 of %d hosts down", 2);
	ck_assert_int_eq(result_state(r), STATE_CRITICAL);
	result_set_state(r, STATE_UNKNOWN);
	ck_assert_int_eq(result_state(r), STATE_UNKNOWN);
	ck_assert_str_eq(render(r),
			 "KMS TEST UNKNOWN - 1 of 2 hosts down\n"
			 "[CRITICAL] b\n"
			 "[OK] a\n"
			 "Forecast: stable\n");
	result_free(r);
}
END_TEST

START_TEST(headlines_worst_first_summary_wins)
{
	struct result *r = result_new();
	result_add(r, STATE_OK, "Office fine");
	result_add(r, STATE_WARNING, "DNS line");
	result_add(r, STATE_CRITICAL, "Windows line");
	result_headline(r, STATE_OK, "Office 10 OK");
	result_headline(r, STATE_WARNING, "DNS publishing | failing");
	result_headline(r, STATE_UNKNOWN, "idle unknown");
	result_headline(r, STATE_CRITICAL, "Windows 18/25");
	result_headline(r, STATE_WARNING, "idle 14 h");
	/* a headline does not change the state; the partials do */
	ck_assert_int_eq(result_state(r), STATE_CRITICAL);
	ck_assert_str_eq(render(r),
			 "KMS TEST CRITICAL - Windows 18/25; DNS publishing / failing; "
			 "idle 14 h; idle unknown; Office 10 OK\n"
			 "[CRITICAL] Windows line\n"
			 "[WARNING] DNS line\n"
			 "[OK] Office fine\n");
	result_summary(r, "explicit");
	ck_assert_str_eq(render(r),
			 "KMS TEST CRITICAL - explicit\n"
			 "[CRITICAL] Windows line\n"
			 "[WARNING] DNS line\n"
			 "[OK] Office fine\n");
	result_free(r);
}
END_TEST

START_TEST(out_of_range_state_counts_as_unknown)
{
	struct result *r = result_new();
	result_add(r, STATE_OK, "fine");
	result_add(r, (state_t)9, "odd");
	ck_assert_int_eq(result_state(r), STATE_UNKNOWN);
	ck_assert_str_eq(render(r), "KMS TEST UNKNOWN - odd\n[UNKNOWN] odd\n[OK] fine\n");
	result_set_state(r, (state_t)-1);
	ck_assert_int_eq(result_state(r), STATE_UNKNOWN);
	result_free(r);
}
END_TEST

START_TEST(pipes_and_newlines_are_cleaned)
{
	struct result *r = result_new();
	result_summary(r, "a|b\nc");
	result_add(r, STATE_OK, "x|y\r\nz\t!");
	result_note(r, "n|1");
	result_perf(r, "p", 1, "", NULL, NAN, NAN);
	ck_assert_str_eq(render(r), "KMS TEST OK - a/b c | p=1\n"
				    "[OK] x/y  z !\n"
				    "n/1\n");
	result_free(r);
}
END_TEST

START_TEST(perfdata_format)
{
	struct result *r = result_new();
	struct thresholds th;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&th, "1", "5", 0, err));
	result_summary(r, "s");
	result_perf(r, "time", 0.0032, "s", &th, 0, NAN);
	result_perf(r, "connect", 0.000412, "s", NULL, 0, NAN);
	result_perf(r, "count", 18, "", NULL, NAN, NAN);
	ck_assert(thresholds_parse(&th, "30:", "25:", 0, err));
	result_perf(r, "Office 2013+", 12, "", &th, 0, 50);
	result_perf(r, "it's=x", 1, "c", NULL, NAN, 10);
	result_perf(r, "a|b", 2, "", NULL, NAN, NAN);
	result_perf(r, "nan", NAN, "", NULL, NAN, NAN);
	result_perf(r, "inf", INFINITY, "s", NULL, NAN, NAN);
	result_perf(r, "tiny", 1e-7, "s", NULL, NAN, NAN);
	result_perf(r, "big", 1e12, "B", NULL, NAN, NAN);
	result_perf(r, "neg", -95.99, "", NULL, -INFINITY, NAN);
	result_perf(r, "bad_uom", 3, "furlongs", NULL, NAN, NAN);
	result_perf(r, "", 4, "", NULL, NAN, NAN);
	ck_assert_str_eq(render(r),
			 "KMS TEST OK - s | time=0.0032s;1;5;0 connect=0.000412s;;;0 "
			 "count=18 'Office 2013+'=12;30:;25:;0;50 it_s_x=1c;;;;10 "
			 "'a/b'=2 tiny=0.0000001s big=1000000000000B neg=-95.99 "
			 "bad_uom=3 unnamed=4\n");
	result_free(r);
}
END_TEST

START_TEST(perfdata_leaves_out_unscaled_percent)
{
	struct result *r = result_new();
	struct thresholds th;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&th, "80%", "90%", RANGE_ALLOW_PERCENT, err));
	result_perf(r, "used", 5, "", &th, 0, 100);
	range_scale(&th.warn, 200);
	result_perf(r, "used2", 5, "", &th, 0, 100);
	ck_assert_str_eq(render(r), "KMS TEST OK | used=5;;;0;100 used2=5;160;;0;100\n");
	result_free(r);
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
}
END_TEST

START_TEST(cap_drops_whole_lines)
{
	struct result *r = result_new();
	char line[300];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	result_summary(r, "many");
	result_perf(r, "n", 100, "", NULL, 0, NAN);
	for (int i = 0; i < 100; i++)
		result_add(r, i % 3 ? STATE_OK : STATE_WARNING, "client%03d %s", i, line);
	const char *o = render(r);
	size_t n = strlen(o);
	ck_assert_uint_le(n, OUTPUT_MAX);
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
	/* the most urgent lines are the ones kept */
	ck_assert(strncmp(o + 36, "[WARNING] client000 ", 20) == 0);
	/* and the next line would not have fitted */
	ck_assert_uint_gt(n + 301 + 16, OUTPUT_MAX);
	result_free(r);
}
END_TEST

START_TEST(cap_notes_dropped_first)
{
	struct result *r = result_new();
	char line[1500];
	memset(line, 'y', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	result_add(r, STATE_CRITICAL, "c %s", line);
	result_add(r, STATE_OK, "o %s", line);
	result_add(r, STATE_OK, "p %s", line);
	result_note(r, "note %s", line);
	result_note(r, "note2 %s", line);
	result_note(r, "note3 %s", line);
	const char *o = render(r);
	ck_assert_uint_le(strlen(o), OUTPUT_MAX);
	ck_assert_ptr_nonnull(strstr(o, "\n[OK] p y"));
	ck_assert_ptr_nonnull(strstr(o, "\nnote y"));
	ck_assert_ptr_nonnull(strstr(o, "\nnote2 y"));
	ck_assert_ptr_null(strstr(o, "note3"));
	const char *tail = "\n... and 1 more\n";
	ck_assert_str_eq(o + strlen(o) - strlen(tail), tail);
	result_free(r);
}
END_TEST

/* The cap's marker counts the objects left out (the partials), for any
 * number of them; the notes still follow it, whole. */
START_TEST(cap_marker_counts_partials_notes_follow)
{
	for (int n = 100; n <= 400; n += 75) {
		struct result *r = result_new();
		for (int i = 0; i < n; i++)
			result_add(r, STATE_WARNING, "client%03d.corp.example: grace ends 2026-12-01, last "
				   "request failed 0xC004F038 (KMS count insufficient)", i);
		result_note(r, "Failing last request: %d clients with 0xC004F038", n);
		result_note(r, "inventory complete since 2026-05-01");
		const char *o = render(r);
		ck_assert_uint_le(strlen(o), OUTPUT_MAX);
		int shown = 0;
		for (const char *p = o; (p = strstr(p, "\n[WARNING] ")); p++)
			shown++;
		char tail[200];
		snprintf(tail, sizeof tail, "\n... and %d more\nFailing last request: %d clients with "
			 "0xC004F038\ninventory complete since 2026-05-01\n", n - shown, n);
		ck_assert_msg(shown > 0 && shown < n, "n=%d shown=%d", n, shown);
		ck_assert_str_eq(o + strlen(o) - strlen(tail), tail);
		result_free(r);
	}
}
END_TEST

START_TEST(cap_long_summary_shortened)
{
	struct result *r = result_new();
	char *big = malloc(20000);
	memset(big, 's', 19999);
	big[19999] = '\0';
	/* the cut counts characters, not bytes: after the 20 of "KMS TEST
	 * CRITICAL - " the summary keeps 77 characters (78 bytes, the
	 * two-byte one whole), then "..." */
	big[76] = '\xc3';
	big[77] = '\xa9';
	result_summary(r, "%s", big);
	result_perf(r, "t", 1, "s", NULL, NAN, NAN);
	result_add(r, STATE_CRITICAL, "one line");
	const char *o = render(r);
	size_t n = strlen(o);
	ck_assert_uint_le(n, OUTPUT_MAX);
	const char *nl = strchr(o, '\n');
	ck_assert(strncmp(nl - 10, "... | t=1s\n", 11) == 0);
	ck_assert_uint_eq((size_t)(nl - o) - strlen(" | t=1s"), 20 + 78 + 3);
	ck_assert(strncmp(nl - 13, "s\xc3\xa9...", 6) == 0);
	/* the whole summary follows, cut at 1000 bytes, then the partial */
	const char *l2 = nl + 1, *l3 = strchr(l2, '\n') + 1;
	ck_assert_uint_eq((size_t)(l3 - l2), 1000 + 1);
	ck_assert(strncmp(l2, big, 997) == 0);
	ck_assert_str_eq(l3, "[CRITICAL] one line\n");
	result_free(r);

	/* perfdata larger than half the line is dropped to save the summary */
	r = result_new();
	result_summary(r, "%s", big);
	for (int i = 0; i < 1000; i++)
		result_perf(r, "label_long_enough", i, "", NULL, NAN, NAN);
	o = render(r);
	ck_assert_uint_le(strlen(o), OUTPUT_MAX);
	ck_assert_ptr_nonnull(strstr(o, "... | label_long_enough=0 "));
	ck_assert_uint_gt(strlen(o), OUTPUT_MAX - 40);
	result_free(r);
	free(big);
}
END_TEST

START_TEST(cap_perfdata_items_whole)
{
	struct result *r = result_new();
	result_summary(r, "short");
	for (int i = 0; i < 2000; i++)
		result_perf(r, "metric", i, "s", NULL, 0, NAN);
	const char *o = render(r);
	size_t n = strlen(o);
	ck_assert_uint_le(n, OUTPUT_MAX);
	ck_assert(o[n - 1] == '\n');
	/* the last item is complete */
	const char *last = strrchr(o, ' ') + 1;
	ck_assert(strncmp(last, "metric=", 7) == 0);
	ck_assert(strcmp(last + strcspn(last, "s"), "s;;;0\n") == 0);
	result_free(r);
}
END_TEST

/* Run fn in a child with stdout on a pipe; return its exit status and what
 * it printed. */
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

static void child_die(void)
{
	output_set_aspect("COUNT");
	die("invalid range for -c: \"%s\" (start is greater than end)", "2:1");
}

static void child_die_state(void)
{
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
	char big[OUTPUT_MAX * 2];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	die("%s", big);
}

static void child_exit_critical(void)
{
	struct result *r = result_new();
	result_add(r, STATE_UNKNOWN, "u");
	result_add(r, STATE_CRITICAL, "kms02 refused");
	result_perf(r, "time", 0.5, "s", NULL, 0, NAN);
	result_exit(r);
}

START_TEST(die_exits_unknown_with_message)
{
	char buf[OUTPUT_MAX * 2];
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

START_TEST(result_exit_code_matches_first_line)
{
	char buf[OUTPUT_MAX * 2];
	ck_assert_int_eq(run_child(child_exit_critical, buf, sizeof buf), 2);
	ck_assert_str_eq(buf, "KMS TEST CRITICAL - kms02 refused | time=0.5s;;;0\n"
			      "[CRITICAL] kms02 refused\n"
			      "[UNKNOWN] u\n");
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
 * one space, wherever it comes from: the class, not one example. */
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
		struct result *r = result_new();
		result_summary(r, "pc%s01", bad[i]);
		result_add(r, STATE_OK, "x%sy", bad[i]);
		result_note(r, "n%sm", bad[i]);
		result_perf(r, "a b", 1, "", NULL, NAN, NAN);
		ck_assert_msg(strcmp(render(r), "KMS TEST OK - pc 01 | 'a b'=1\n[OK] x y\nn m\n") == 0,
			      "case %zu: %s", i, render(r));
		result_free(r);
		char lab[32];
		snprintf(lab, sizeof lab, "p%sq", bad[i]);
		r = result_new();
		result_perf(r, lab, 1, "", NULL, NAN, NAN);
		ck_assert_msg(strcmp(render(r), "KMS TEST OK | 'p q'=1\n") == 0, "label %zu: %s", i, render(r));
		result_free(r);
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
		struct result *r = result_new();
		for (int i = 0; i < n; i++) {
			result_headline(r, i % 3 == 0 ? STATE_CRITICAL : STATE_WARNING,
					"problem %02d with kms%02d.branch-office.corp.example", i, i);
			result_add(r, i % 3 == 0 ? STATE_CRITICAL : STATE_WARNING, "line %d", i);
		}
		result_perf(r, "x", 1, "", NULL, NAN, NAN);
		const char *o = render(r);
		size_t l1 = strstr(o, " | ") - o;
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
		result_free(r);
	}
	/* short phrases: several fit before the count */
	struct result *r = result_new();
	for (int i = 0; i < 20; i++)
		result_headline(r, STATE_WARNING, "p%d", i);
	ck_assert_str_eq(render(r), "KMS TEST OK - p0; p1; p2; p3; p4; p5; p6; p7; p8; p9; "
				    "p10; p11; p12; p13; p14; p15; p16; +3 more\n");
	result_free(r);
	r = result_new(); /* exactly 100 characters: all fit */
	for (int i = 0; i < 19; i++)
		result_headline(r, STATE_WARNING, "p%d", i);
	result_headline(r, STATE_WARNING, "q");
	ck_assert_str_eq(render(r), "KMS TEST OK - p0; p1; p2; p3; p4; p5; p6; p7; p8; p9; "
				    "p10; p11; p12; p13; p14; p15; p16; p17; p18; q\n");
	result_free(r);
}
END_TEST

/* A summary too long for line 1 is cut at a word and shown whole below. */
START_TEST(long_summary_cut_at_word_whole_below)
{
	struct result *r = result_new();
	result_summary(r, "status document https://kms01.branch-office.corp.example/"
		       "kms/status/kms-status.json: HTTP 404 Not Found");
	result_add(r, STATE_UNKNOWN, "detail");
	const char *o = render(r);
	ck_assert_uint_eq(strcspn(o, "\n"), LINE1_MAX);
	/* no blank in the second half of the room: cut inside the URL */
	ck_assert_str_eq(o, "KMS TEST UNKNOWN - status document "
			    "https://kms01.branch-office.corp.example/kms/status/kms-status...\n"
			    "status document https://kms01.branch-office.corp.example/kms/status/"
			    "kms-status.json: HTTP 404 Not Found\n"
			    "[UNKNOWN] detail\n");
	result_free(r);
	/* with a blank in reach, the cut is at a word */
	r = result_new();
	result_summary(r, "kms01.corp.example: KMS running on port 1688, host keys licensed, "
		       "DNS publishing OK, last request 14 min ago, 3 clients failing");
	ck_assert_str_eq(render(r), "KMS TEST OK - kms01.corp.example: KMS running on port 1688, "
				    "host keys licensed, DNS publishing...\n"
				    "kms01.corp.example: KMS running on port 1688, host keys licensed, "
				    "DNS publishing OK, last request 14 min ago, 3 clients failing\n");
	result_free(r);
}
END_TEST

/* Icinga 2 reads stdout and stderr through one pipe: -v lines must come
 * after the status line, whether the plugin ends by result_exit or die. */
static void child_verbose_exit(void)
{
	output_set_verbosity(3);
	vlog(1, "connecting to 127.0.0.1:1688");
	vlog(3, "bind offered");
	struct result *r = result_new();
	result_add(r, STATE_WARNING, "slow");
	result_exit(r);
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
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, empty_result_is_ok);
	tcase_add_test(tc, worst_partial_picks_state_and_summary);
	tcase_add_test(tc, summary_notes_and_forced_state);
	tcase_add_test(tc, headlines_worst_first_summary_wins);
	tcase_add_test(tc, out_of_range_state_counts_as_unknown);
	tcase_add_test(tc, pipes_and_newlines_are_cleaned);
	tcase_add_test(tc, unicode_line_breakers_and_bidi_are_cleaned);
	tcase_add_test(tc, cap_marker_counts_partials_notes_follow);
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
	tcase_add_test(tc, result_exit_code_matches_first_line);
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
