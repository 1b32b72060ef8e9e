/* test_options.c - unit tests of common/options.c: the standard options and
 * a plugin's own table, -v counting, bad input ending with UNKNOWN and a
 * specific message, --help/--version, and --extra-opts (sections, comments,
 * lookup through MP_CONFIG_FILE, missing file/section, malformed lines, and
 * the command line winning over the file).
 *
 * Functions that exit run in a child forked here (run_child), with stdout
 * and stderr captured in files, so the exact exit code and message are
 * checked whether or not Check itself forks (CK_FORK=no under valgrind). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"
#include "output.h"
#include "timeout.h"
#include "unit.h"

/* ---- child runner ------------------------------------------------------- */

struct run {
	int status; /* exit code, or 128 + signal */
	char out[16384];
	char err[4096];
};

static void slurp(FILE *f, char *buf, size_t len)
{
	rewind(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs fn(arg) in a child with stdout/stderr captured; a child that returns
 * from fn exits 0. */
static void run_child(void (*fn)(void *), void *arg, struct run *r)
{
	FILE *out = tmpfile(), *err = tmpfile();
	ck_assert(out && err);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fileno(out), STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		fn(arg);
		fflush(NULL);
		vlog_flush(); /* what result_exit() would do */
		_exit(0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, r->out, sizeof r->out);
	slurp(err, r->err, sizeof r->err);
}

/* ---- a test plugin -------------------------------------------------------- */

struct pctx {
	const char *product;
	long long days;
	int list;
};

static bool handle(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct pctx *c = ctx;
	switch (id) {
	case 'P':
		c->product = arg;
		return true;
	case 256:
		return number_parse("--forecast-days", arg, 0, 365, &c->days, err);
	case 257:
		c->list++;
		return true;
	}
	snprintf(err, KMS_ERRLEN, "unexpected id %d", id);
	return false;
}

static const struct plugin_option popts[] = {
	{ "product", 'P', true, "NAME", "Only this product.", 'P' },
	{ "forecast-days", 0, true, "N", "Forecast horizon in days.\nSecond help line.", 256 },
	{ "list", 0, false, NULL, "List everything.", 257 },
	{ 0 },
};

static struct pctx pc;

static struct plugin_info info = {
	.name = "check_kms_test",
	.aspect = "TEST",
	.purpose = "Test the option parser.",
	.usage = "-u URL [-P NAME]",
	.groups = OPTS_THRESHOLDS | OPTS_HOST | OPTS_DNS | OPTS_DOCUMENT,
	.options = popts,
	.notes = "Notes: a note.",
	.timeout_state = STATE_CRITICAL,
	.handle = handle,
	.ctx = &pc,
};

static struct common_opts co;

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

/* Parses in this process (options_parse arms no alarm). */
static void parse(int argc, char **argv)
{
	memset(&pc, 0, sizeof pc);
	options_parse(argc, argv, &info, &co);
}

/* Parses and starts as a plugin's main does, then disarms the alarm. */
static void parse_start(int argc, char **argv)
{
	parse(argc, argv);
	options_start(&co);
	timeout_stop();
}

/* For run_child: argv as a NULL-terminated array. */
static void parse_child(void *arg)
{
	char **argv = arg;
	int argc = 0;
	while (argv[argc])
		argc++;
	parse(argc, argv);
}

/* For run_child: parse and start, then block until the -t alarm ends the
 * child (what a plugin stuck in a network call sees). */
static void start_and_block_child(void *arg)
{
	char **argv = arg;
	int argc = 0;
	while (argv[argc])
		argc++;
	parse(argc, argv);
	options_start(&co);
	int p[2];
	if (pipe(p) != 0)
		_exit(99);
	char c;
	for (;;)
		if (read(p[0], &c, 1) >= 0)
			break;
	_exit(98); /* the read returned: the test fails on this code */
}

/* For run_child: parse and start (no block); the caller reads stderr. */
static void start_child(void *arg)
{
	char **argv = arg;
	int argc = 0;
	while (argv[argc])
		argc++;
	parse_start(argc, argv);
}

static void expect_die(char **argv, const char *message)
{
	struct run r;
	run_child(parse_child, argv, &r);
	ck_assert_int_eq(r.status, 3);
	char want[2048];
	int pre = snprintf(want, sizeof want, "KMS TEST UNKNOWN - ");
	if (pre + strlen(message) <= LINE1_MAX) {
		snprintf(want + pre, sizeof want - (size_t)pre, "%s\n", message);
	} else {
		/* too long for line 1: cut at a word with "...", whole on line 2 */
		size_t cut = text_cut_words(message, strlen(message), LINE1_MAX - (size_t)pre);
		ck_assert_uint_lt(cut, strlen(message));
		snprintf(want + pre, sizeof want - (size_t)pre, "%.*s...\n%s\n",
			 (int)cut, message, message);
	}
	ck_assert_str_eq(r.out, want);
	ck_assert_uint_le(strcspn(r.out, "\n"), LINE1_MAX);
}

/* ---- standard and plugin options ---------------------------------------- */

START_TEST(defaults)
{
	char *argv[] = { "check_kms_test", NULL };
	parse_start(ARGC(argv), argv);
	ck_assert_int_eq(co.verbose, 0);
	ck_assert(co.timeout == 10);
	ck_assert_int_eq(co.timeout_state, STATE_CRITICAL);
	ck_assert_ptr_null(co.warning);
	ck_assert_ptr_null(co.port);
	ck_assert_ptr_null(co.url);
	ck_assert_int_eq(co.family, AF_UNSPEC);
	ck_assert(co.fetch.max_size == FETCH_DEFAULT_MAX_SIZE);
	ck_assert(!co.fetch.insecure);
	ck_assert(co.max_age == 3600);
	ck_assert_int_eq(co.stale_state, STATE_UNKNOWN);
	ck_assert_str_eq(output_aspect(), "TEST");
	ck_assert(timeout_seconds() == 10);
	ck_assert_int_eq(timeout_state(), STATE_CRITICAL);
}
END_TEST

START_TEST(all_standard)
{
	char *argv[] = { "check_kms_test", "-w", "5:", "-c", "@1:2", "-H", "kms01",
			 "-p", "1689", "-6", "-D", "corp.example", "-s", "[::1]:5353",
			 "-u", "/tmp/doc.json", "--cacert", "ca.pem", "--client-cert=c.pem",
			 "--client-key", "k.pem", "--insecure", "--auth-file", "auth",
			 "--netrc", "--netrc-file", "nrc", "--max-size", "2M",
			 "--max-age", "2h", "--stale-state", "critical", "-t", "2.5:warning",
			 NULL };
	parse_start(ARGC(argv), argv);
	ck_assert_str_eq(co.warning, "5:");
	ck_assert_str_eq(co.critical, "@1:2");
	ck_assert_str_eq(co.hostname, "kms01");
	ck_assert_str_eq(co.port, "1689");
	ck_assert_int_eq(co.family, AF_INET6);
	ck_assert_str_eq(co.domain, "corp.example");
	ck_assert_str_eq(co.dns_server, "[::1]:5353");
	ck_assert_str_eq(co.url, "/tmp/doc.json");
	ck_assert_str_eq(co.fetch.cacert, "ca.pem");
	ck_assert_str_eq(co.fetch.client_cert, "c.pem");
	ck_assert_str_eq(co.fetch.client_key, "k.pem");
	ck_assert(co.fetch.insecure);
	ck_assert_str_eq(co.fetch.auth_file, "auth");
	ck_assert(co.fetch.netrc);
	ck_assert_str_eq(co.fetch.netrc_file, "nrc");
	ck_assert(co.fetch.max_size == 2ULL * 1024 * 1024);
	ck_assert(co.max_age == 7200);
	ck_assert_int_eq(co.stale_state, STATE_CRITICAL);
	ck_assert(co.timeout == 2.5);
	ck_assert_int_eq(co.timeout_state, STATE_WARNING);
	ck_assert(timeout_seconds() == 2.5);
}
END_TEST

START_TEST(ipv4_and_sizes)
{
	char *argv[] = { "check_kms_test", "-4", "--max-size", "512", "--max-age", "90", NULL };
	parse(ARGC(argv), argv);
	ck_assert_int_eq(co.family, AF_INET);
	ck_assert(co.fetch.max_size == 512);
	ck_assert(co.max_age == 90);
	char *argv2[] = { "check_kms_test", "--max-size=3k", "--max-age=15m", NULL };
	parse(ARGC(argv2), argv2);
	ck_assert(co.fetch.max_size == 3072);
	ck_assert(co.max_age == 900);
}
END_TEST

START_TEST(verbose_counting)
{
	char *one[] = { "check_kms_test", "-v", NULL };
	parse_start(ARGC(one), one);
	ck_assert_int_eq(co.verbose, 1);
	ck_assert_int_eq(output_verbosity(), 1);
	char *two[] = { "check_kms_test", "--verbose", "-v", NULL };
	parse(ARGC(two), two);
	ck_assert_int_eq(co.verbose, 2);
	char *many[] = { "check_kms_test", "-vv", "-v", "-vvv", NULL };
	parse_start(ARGC(many), many);
	ck_assert_int_eq(co.verbose, 3);
	ck_assert_int_eq(output_verbosity(), 3);
}
END_TEST

START_TEST(plugin_options)
{
	char *argv[] = { "check_kms_test", "-P", "Windows", "--forecast-days", "14",
			 "--list", "--list", NULL };
	parse(ARGC(argv), argv);
	ck_assert_str_eq(pc.product, "Windows");
	ck_assert_int_eq(pc.days, 14);
	ck_assert_int_eq(pc.list, 2);
	char *argv2[] = { "check_kms_test", "--product=Office", NULL };
	parse(ARGC(argv2), argv2);
	ck_assert_str_eq(pc.product, "Office");
	ck_assert_int_eq(pc.list, 0);
}
END_TEST

/* ---- bad input ---------------------------------------------------------- */

START_TEST(bad_unknown_long)
{
	char *argv[] = { "check_kms_test", "--bogus=1", NULL };
	expect_die(argv, "unknown option \"--bogus\" (see --help)");
}
END_TEST

START_TEST(bad_unknown_short)
{
	char *argv[] = { "check_kms_test", "-vx", NULL };
	expect_die(argv, "unknown option \"-x\" (see --help)");
}
END_TEST

START_TEST(bad_missing_argument)
{
	char *a[] = { "check_kms_test", "-v", "-t", NULL };
	expect_die(a, "option \"-t\" needs an argument");
	char *b[] = { "check_kms_test", "--warning", NULL };
	expect_die(b, "option \"--warning\" needs an argument");
}
END_TEST

START_TEST(bad_stray_argument)
{
	char *argv[] = { "check_kms_test", "-H", "kms01", "extra", NULL };
	expect_die(argv, "unexpected argument \"extra\" (this plugin takes options only; see --help)");
}
END_TEST

START_TEST(bad_flag_with_value)
{
	char *argv[] = { "check_kms_test", "--insecure=yes", NULL };
	expect_die(argv, "option \"--insecure\" takes no argument");
}
END_TEST

START_TEST(bad_values)
{
	char *p0[] = { "check_kms_test", "-p", "0", NULL };
	expect_die(p0, "invalid port \"0\": must be 1 to 65535");
	char *p1[] = { "check_kms_test", "-p", "65536", NULL };
	expect_die(p1, "invalid port \"65536\": must be 1 to 65535");
	char *p2[] = { "check_kms_test", "-p", "16x", NULL };
	expect_die(p2, "invalid port \"16x\": not a whole number");
	char *t0[] = { "check_kms_test", "-t", "0", NULL };
	expect_die(t0, "invalid timeout \"0\": must be more than 0 s");
	char *t1[] = { "check_kms_test", "-t", "10:SOON", NULL };
	expect_die(t1, "invalid timeout \"10:SOON\": \"SOON\" is not a state (OK, WARNING, CRITICAL, UNKNOWN)");
	char *ms[] = { "check_kms_test", "--max-size", "5X", NULL };
	expect_die(ms, "invalid --max-size \"5X\": expected BYTES with an optional K, M or G");
	char *ma[] = { "check_kms_test", "--max-age", "-5", NULL };
	expect_die(ma, "--max-age: invalid duration \"-5\": expected a number with an optional unit s, m, h or d (e.g. 90, 15m, 2h)");
	char *ss[] = { "check_kms_test", "--stale-state", "bad", NULL };
	expect_die(ss, "--stale-state: \"bad\" is not a state (OK, WARNING, CRITICAL, UNKNOWN)");
	char *pl[] = { "check_kms_test", "--forecast-days", "400", NULL };
	expect_die(pl, "invalid --forecast-days \"400\": must be 0 to 365");
}
END_TEST

/* 2^34 G is 2^64 bytes: it wrapped to 0 (read as the 64 MiB default), and
 * anything above 2^63 - 1 turned negative as libcurl's curl_off_t. */
START_TEST(max_size_too_large)
{
	char *wrap[] = { "check_kms_test", "--max-size", "17179869184G", NULL };
	expect_die(wrap, "invalid --max-size \"17179869184G\": at most 9223372036854775807 bytes");
	char *neg[] = { "check_kms_test", "--max-size", "8589934592G", NULL };
	expect_die(neg, "invalid --max-size \"8589934592G\": at most 9223372036854775807 bytes");
	char *top[] = { "check_kms_test", "--max-size", "8589934591G", NULL };
	parse(ARGC(top), top);
	ck_assert(co.fetch.max_size == 8589934591ULL * 1024 * 1024 * 1024);
}
END_TEST

static struct plugin_info host_only = {
	.name = "check_kms_hostonly", .aspect = "TEST", .purpose = "p", .usage = "-H HOST",
	.groups = OPTS_HOST, .timeout_state = STATE_CRITICAL,
};

static void parse_host_only(void *arg)
{
	char **argv = arg;
	int argc = 0;
	while (argv[argc])
		argc++;
	options_parse(argc, argv, &host_only, &co);
}

START_TEST(group_not_asked_for)
{
	char *argv[] = { "check_kms_hostonly", "-u", "x", NULL };
	struct run r;
	run_child(parse_host_only, argv, &r);
	ck_assert_int_eq(r.status, 3);
	ck_assert_str_eq(r.out, "KMS TEST UNKNOWN - unknown option \"-u\" (see --help)\n");
}
END_TEST

/* ---- help and version ---------------------------------------------------- */

START_TEST(help_exits_0)
{
	char *argv[] = { "check_kms_test", "--help", NULL };
	struct run r;
	run_child(parse_child, argv, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert(strncmp(r.out, "check_kms_test - Test the option parser.\n\n"
			  "Usage: check_kms_test -u URL [-P NAME]\n", 79) == 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\n -t, --timeout=SECONDS[:STATE]\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n --max-size=BYTES\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n --extra-opts=[SECTION][@FILE]\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n -P, --product=NAME\n    Only this product.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n --forecast-days=N\n    Forecast horizon in days.\n    Second help line.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n --list\n    List everything.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "\nNotes: a note.\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "the state is CRITICAL unless -t gives one"));
	/* standard options come before the plugin's */
	ck_assert(strstr(r.out, "--stale-state") < strstr(r.out, "--product"));
	const char *tail = "Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; --help and --version exit 0.\n";
	size_t lo = strlen(r.out), lt = strlen(tail);
	ck_assert(lo > lt);
	ck_assert_str_eq(r.out + lo - lt, tail);
}
END_TEST

START_TEST(help_only_asked_groups)
{
	char *argv[] = { "check_kms_hostonly", "-h", NULL };
	struct run r;
	run_child(parse_host_only, argv, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, " -H, --hostname=HOST\n"));
	ck_assert_ptr_null(strstr(r.out, "--url"));
	ck_assert_ptr_null(strstr(r.out, "--warning"));
}
END_TEST

START_TEST(version_exits_0)
{
	char *argv[] = { "check_kms_test", "-V", NULL };
	struct run r;
	run_child(parse_child, argv, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "check_kms_test (kms-plugins) " KMS_VERSION "\n");
}
END_TEST

START_TEST(insecure_logged)
{
	char *argv[] = { "check_kms_test", "-v", "--insecure", NULL };
	struct run r;
	run_child(start_child, argv, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.err, "TLS verification disabled (--insecure)\n");
	char *quiet[] = { "check_kms_test", "--insecure", NULL };
	run_child(start_child, quiet, &r);
	ck_assert_str_eq(r.err, "");
	/* parsing alone logs nothing: the level is set by options_start() */
	run_child(parse_child, argv, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.err, "");
}
END_TEST

/* options_parse() only parses: whatever -v and -t say, the verbosity, the
 * -t clock and the alarm are as before until options_start(). */
START_TEST(parse_only_start_applies)
{
	static const struct {
		const char *v, *t;
		int level;
		double secs;
		state_t st;
	} cases[] = {
		{ "-v", "7:warning", 1, 7, STATE_WARNING },
		{ "-vvv", "0.5", 3, 0.5, STATE_CRITICAL }, /* info's default state */
		{ "-vv", "86400:ok", 2, 86400, STATE_OK },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		output_set_verbosity(0);
		timeout_start(3, STATE_UNKNOWN, "BEFORE");
		timeout_stop();
		char *argv[] = { "check_kms_test", (char *)cases[i].v, "-t",
				 (char *)cases[i].t, NULL };
		parse(ARGC(argv), argv);
		ck_assert_int_eq(co.verbose, cases[i].level);
		ck_assert(co.timeout == cases[i].secs);
		ck_assert_int_eq(co.timeout_state, cases[i].st);
		ck_assert_int_eq(output_verbosity(), 0);
		ck_assert(timeout_seconds() == 3);
		ck_assert_int_eq(timeout_state(), STATE_UNKNOWN);
		struct itimerval it;
		ck_assert_int_eq(getitimer(ITIMER_REAL, &it), 0);
		ck_assert(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0);

		options_start(&co);
		ck_assert_int_eq(getitimer(ITIMER_REAL, &it), 0);
		ck_assert(it.it_value.tv_sec != 0 || it.it_value.tv_usec != 0);
		timeout_stop();
		ck_assert_int_eq(output_verbosity(), cases[i].level);
		ck_assert(timeout_seconds() == cases[i].secs);
		ck_assert_int_eq(timeout_state(), cases[i].st);
	}
	output_set_verbosity(0);
}
END_TEST

/* The clock options_start() arms names the aspect options_parse() set from
 * plugin_info, with the -t state, as a plugin's -t expiry does. */
START_TEST(start_arms_clock_with_aspect)
{
	static const struct {
		const char *t;
		int status;
		const char *out;
	} cases[] = {
		{ "0.2", 2, "KMS TEST CRITICAL - check timed out after 0.2 s\n" },
		{ "0.1:warning", 1, "KMS TEST WARNING - check timed out after 0.1 s\n" },
		{ "0.15:ok", 0, "KMS TEST OK - check timed out after 0.15 s\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *argv[] = { "check_kms_test", "-t", (char *)cases[i].t, NULL };
		struct run r;
		run_child(start_and_block_child, argv, &r);
		ck_assert_int_eq(r.status, cases[i].status);
		ck_assert_str_eq(r.out, cases[i].out);
	}
}
END_TEST

/* Check's own exit-test mechanism (only added when Check forks). */
START_TEST(exit_test_unknown_option)
{
	char *argv[] = { "check_kms_test", "--nope", NULL };
	if (!freopen("/dev/null", "w", stdout))
		return;
	parse(ARGC(argv), argv);
}
END_TEST

START_TEST(exit_test_help)
{
	char *argv[] = { "check_kms_test", "--help", NULL };
	if (!freopen("/dev/null", "w", stdout))
		return;
	parse(ARGC(argv), argv);
}
END_TEST

/* ---- small parsers --------------------------------------------------------- */

START_TEST(durations)
{
	char err[KMS_ERRLEN];
	double s;
	ck_assert(duration_parse("90", &s, err) && s == 90);
	ck_assert(duration_parse("90s", &s, err) && s == 90);
	ck_assert(duration_parse("15m", &s, err) && s == 900);
	ck_assert(duration_parse("15min", &s, err) && s == 900);
	ck_assert(duration_parse("1.5h", &s, err) && s == 5400);
	ck_assert(duration_parse("1d", &s, err) && s == 86400);
	ck_assert(duration_parse("0", &s, err) && s == 0);
	ck_assert(!duration_parse("", &s, err));
	ck_assert(!duration_parse("h", &s, err));
	ck_assert(!duration_parse("1e3", &s, err));
	ck_assert(!duration_parse("5 m", &s, err));
	ck_assert(!duration_parse("1.2.3", &s, err));
	ck_assert(!duration_parse("2w", &s, err));
	ck_assert_str_eq(err, "invalid duration \"2w\": expected a number with an optional unit s, m, h or d (e.g. 90, 15m, 2h)");
	ck_assert(!duration_parse("99999999999d", &s, err));
	ck_assert_str_eq(err, "invalid duration \"99999999999d\": more than 100 years");

	/* a look-back or window: more than 0, the option named */
	s = -1;
	ck_assert(duration_parse_positive("--lookback", "1s", &s, err) && s == 1);
	ck_assert(duration_parse_positive("--lookback", "0.5", &s, err) && s == 0.5);
	s = 7;
	ck_assert(!duration_parse_positive("--lookback", "0", &s, err) && s == 7);
	ck_assert_str_eq(err, "invalid --lookback \"0\": must be more than 0");
	ck_assert(!duration_parse_positive("--window", "0.0d", &s, err) && s == 7);
	ck_assert_str_eq(err, "invalid --window \"0.0d\": must be more than 0");
	ck_assert(!duration_parse_positive("--window", "-1h", &s, err) && s == 7);
	ck_assert_str_eq(err, "--window: invalid duration \"-1h\": expected a number with an optional unit s, m, h or d (e.g. 90, 15m, 2h)");
}
END_TEST

START_TEST(numbers)
{
	char err[KMS_ERRLEN];
	long long v;
	ck_assert(number_parse("-n", "42", 0, 100, &v, err) && v == 42);
	ck_assert(number_parse("-n", "-3", -5, 5, &v, err) && v == -3);
	ck_assert(!number_parse("-n", "", 0, 100, &v, err));
	ck_assert_str_eq(err, "invalid -n \"\": not a whole number");
	ck_assert(!number_parse("-n", " 4", 0, 100, &v, err));
	ck_assert(!number_parse("-n", "99999999999999999999", 0, 100, &v, err));
	ck_assert_str_eq(err, "invalid -n \"99999999999999999999\": must be 0 to 100");
}
END_TEST

/* ---- --extra-opts ------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/kms-opts-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Writes content to tmpdir/name; the path goes into path. */
static void write_file(const char *name, const char *content, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
}

static const char *ini =
	"# a comment\n"
	"; another comment\n"
	"\n"
	"[check_kms_test]\n"
	"  warning = 5  \n"
	"critical=10\n"
	"verbose\n"
	"\n"
	"[other]\n"
	"hostname=elsewhere\n"
	"this line is not for us\n"
	"[ spaced ]\n"
	"   # indented comment\n"
	"H = kms02\n"
	"url=\n"
	"[check_kms_test]\n"
	"port=1690\n";

static void free_args(char **args, int n)
{
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(args);
}

START_TEST(extra_sections_and_comments)
{
	char path[256], spec[300], err[KMS_ERRLEN];
	write_file("a.ini", ini, path, sizeof path);
	char **args = NULL;
	int n = 0;
	snprintf(spec, sizeof spec, "@%s", path);
	ck_assert_msg(extra_opts_read(spec, "check_kms_test", &args, &n, err), "%s", err);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(args[0], "--warning=5");
	ck_assert_str_eq(args[1], "--critical=10");
	ck_assert_str_eq(args[2], "--verbose");
	ck_assert_str_eq(args[3], "--port=1690");
	/* appended to what is already there */
	snprintf(spec, sizeof spec, "spaced@%s", path);
	ck_assert_msg(extra_opts_read(spec, "check_kms_test", &args, &n, err), "%s", err);
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(args[4], "-H");
	ck_assert_str_eq(args[5], "kms02");
	ck_assert_str_eq(args[6], "--url=");
	free_args(args, n);
}
END_TEST

START_TEST(extra_missing_file)
{
	char err[KMS_ERRLEN];
	char **args = NULL;
	int n = 0;
	ck_assert(!extra_opts_read("@/nonexistent/kms.ini", "check_kms_test", &args, &n, err));
	ck_assert_str_eq(err, "--extra-opts: cannot read /nonexistent/kms.ini: No such file or directory");
	ck_assert_int_eq(n, 0);
	ck_assert(!extra_opts_read("sec@", "check_kms_test", &args, &n, err));
	ck_assert_str_eq(err, "--extra-opts=sec@: no file name after '@'");
	free(args);
}
END_TEST

START_TEST(extra_missing_section)
{
	char path[256], spec[300], err[KMS_ERRLEN], want[600];
	write_file("b.ini", ini, path, sizeof path);
	char **args = NULL;
	int n = 0;
	snprintf(spec, sizeof spec, "nosuch@%s", path);
	ck_assert(!extra_opts_read(spec, "check_kms_test", &args, &n, err));
	snprintf(want, sizeof want, "--extra-opts: section [nosuch] not found in %s", path);
	ck_assert_str_eq(err, want);
	free_args(args, n);
}
END_TEST

START_TEST(extra_malformed)
{
	static const struct {
		const char *content, *why;
		unsigned line;
	} cases[] = {
		{ "[check_kms_test]\nwarning=1\n = 5\n", "'=' without an option name", 3 },
		{ "[check_kms_test]\n--warning=1\n", "option name starts with '-' (write it without dashes)", 2 },
		{ "[check_kms_test]\nmax age=1\n", "option name holds a space", 2 },
		{ "# c\nwarning=1\n[check_kms_test]\n", "option outside any [section]", 2 },
		{ "[check_kms_test\nwarning=1\n", "section header without a closing ']'", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[256], spec[300], err[KMS_ERRLEN], want[600];
		write_file("bad.ini", cases[i].content, path, sizeof path);
		char **args = NULL;
		int n = 0;
		snprintf(spec, sizeof spec, "@%s", path);
		ck_assert(!extra_opts_read(spec, "check_kms_test", &args, &n, err));
		snprintf(want, sizeof want, "--extra-opts: %s line %u: %s", path,
			 cases[i].line, cases[i].why);
		ck_assert_str_eq(err, want);
		free_args(args, n);
	}
}
END_TEST

START_TEST(extra_mp_config_file)
{
	char path[256], err[KMS_ERRLEN];
	write_file("env.ini", "[check_kms_test]\ntimeout=7\n[custom]\nc=9\n", path, sizeof path);
	setenv("MP_CONFIG_FILE", path, 1);
	char **args = NULL;
	int n = 0;
	ck_assert_msg(extra_opts_read("", "check_kms_test", &args, &n, err), "%s", err);
	ck_assert_msg(extra_opts_read("custom", "check_kms_test", &args, &n, err), "%s", err);
	unsetenv("MP_CONFIG_FILE");
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(args[0], "--timeout=7");
	ck_assert_str_eq(args[1], "-c");
	ck_assert_str_eq(args[2], "9");
	free_args(args, n);
}
END_TEST

START_TEST(extra_command_line_wins)
{
	char path[256], spec[300];
	write_file("win.ini", "[kms]\nwarning=5\ncritical=10\nverbose\nt=7:ok\n", path, sizeof path);
	snprintf(spec, sizeof spec, "--extra-opts=kms@%s", path);
	char *argv[] = { "check_kms_test", "-w", "7", spec, "-H", "kms01", NULL };
	parse(ARGC(argv), argv);
	ck_assert_str_eq(co.warning, "7");
	ck_assert_str_eq(co.critical, "10");
	ck_assert_str_eq(co.hostname, "kms01");
	ck_assert_int_eq(co.verbose, 1);
	ck_assert(co.timeout == 7);
	ck_assert_int_eq(co.timeout_state, STATE_OK);
}
END_TEST

/* -u is a list: the ini file's URLs make a fleet, and the command line's
 * replace them instead of adding to them. */
START_TEST(extra_urls_are_a_list)
{
	char path[256], spec[300];
	write_file("fleet.ini", "[fleet]\nurl=https://kms01/a.json\nu=https://kms02/a.json\n",
		   path, sizeof path);
	snprintf(spec, sizeof spec, "--extra-opts=fleet@%s", path);
	char *from_ini[] = { "check_kms_test", spec, NULL };
	parse(ARGC(from_ini), from_ini);
	ck_assert_uint_eq(co.n_urls, 2);
	ck_assert_str_eq(co.urls[0], "https://kms01/a.json");
	ck_assert_str_eq(co.urls[1], "https://kms02/a.json");
	ck_assert_ptr_eq(co.url, co.urls[0]);

	char *both[] = { "check_kms_test", "-u", "/srv/kms03.json", spec, "-u", "/srv/kms04.json",
			 NULL };
	parse(ARGC(both), both);
	ck_assert_uint_eq(co.n_urls, 2);
	ck_assert_str_eq(co.urls[0], "/srv/kms03.json");
	ck_assert_str_eq(co.urls[1], "/srv/kms04.json");
	ck_assert_str_eq(co.url, "/srv/kms03.json");
}
END_TEST

START_TEST(urls_at_most_16_each_once)
{
	char *argv[2 + 2 * (OPTS_MAX_URLS + 1)];
	char urls[OPTS_MAX_URLS + 1][32];
	int argc = 0;
	argv[argc++] = "check_kms_test";
	for (int i = 0; i < OPTS_MAX_URLS; i++) {
		snprintf(urls[i], sizeof urls[i], "/srv/kms%02d.json", i + 1);
		argv[argc++] = "-u";
		argv[argc++] = urls[i];
	}
	argv[argc] = NULL;
	parse(argc, argv);
	ck_assert_uint_eq(co.n_urls, OPTS_MAX_URLS);
	ck_assert_str_eq(co.urls[OPTS_MAX_URLS - 1], "/srv/kms16.json");

	snprintf(urls[OPTS_MAX_URLS], sizeof urls[0], "/srv/kms17.json");
	argv[argc++] = "-u";
	argv[argc++] = urls[OPTS_MAX_URLS];
	argv[argc] = NULL;
	expect_die(argv, "more than 16 -u/--url: at most one status document per KMS host, 16 hosts");

	char *twice[] = { "check_kms_test", "-u", "https://u:secret@kms01/a.json?t=1", "-u",
			  "/srv/kms02.json", "--url=https://u:secret@kms01/a.json?t=1", NULL };
	expect_die(twice, "-u https://kms01/a.json?... is given twice: one document per KMS host");
}
END_TEST

START_TEST(extra_default_section_via_env)
{
	char path[256];
	write_file("def.ini", "[check_kms_test]\nproduct=Office\n", path, sizeof path);
	setenv("MP_CONFIG_FILE", path, 1);
	char *argv[] = { "check_kms_test", "--extra-opts", NULL };
	parse(ARGC(argv), argv);
	unsetenv("MP_CONFIG_FILE");
	ck_assert_str_eq(pc.product, "Office");
}
END_TEST

START_TEST(extra_errors_exit_3)
{
	char path[256], spec[300], want[700];
	write_file("c.ini", "[check_kms_test]\nwarning=1\n", path, sizeof path);
	snprintf(spec, sizeof spec, "--extra-opts=missing@%s", path);
	char *argv[] = { "check_kms_test", spec, NULL };
	snprintf(want, sizeof want, "--extra-opts: section [missing] not found in %s", path);
	expect_die(argv, want);
	char *nofile[] = { "check_kms_test", "--extra-opts=@/nonexistent.ini", NULL };
	expect_die(nofile, "--extra-opts: cannot read /nonexistent.ini: No such file or directory");
	write_file("d.ini", "[check_kms_test]\nbogus-option=1\n", path, sizeof path);
	snprintf(spec, sizeof spec, "--extra-opts=@%s", path);
	char *unknown[] = { "check_kms_test", spec, NULL };
	snprintf(want, sizeof want, "unknown option \"--bogus-option\" in %s, [check_kms_test] line 2 (see --help)", path);
	expect_die(unknown, want);
	/* the same named in the two-word form, with a section and line 3 */
	write_file("e.ini", "[kms]\nwarning=1\nnot-an-option\n", path, sizeof path);
	snprintf(spec, sizeof spec, "kms@%s", path);
	char *two[] = { "check_kms_test", "--extra-opts", spec, NULL };
	snprintf(want, sizeof want, "unknown option \"--not-an-option\" in %s, [kms] line 3 (see --help)", path);
	expect_die(two, want);
	/* a one-letter key whose value is missing */
	write_file("f.ini", "[kms]\nH\n", path, sizeof path);
	snprintf(spec, sizeof spec, "kms@%s", path);
	char *noval[] = { "check_kms_test", "--extra-opts", spec, NULL };
	snprintf(want, sizeof want, "option \"-H\" needs an argument in %s, [kms] line 2", path);
	expect_die(noval, want);
	/* an unknown option on the command line itself names no file */
	char *cmdline[] = { "check_kms_test", "--extra-opts", spec, "--nope", NULL };
	write_file("f.ini", "[kms]\nH=kms01\n", path, sizeof path);
	expect_die(cmdline, "unknown option \"--nope\" (see --help)");
}
END_TEST

/* "--extra-opts SPEC" in two words (what Icinga 2 renders) means the same
 * as "--extra-opts=SPEC", for every form of SPEC; a following option is not
 * taken as a spec. */
START_TEST(extra_two_word_form)
{
	char path[256], spec[300], one[320];
	write_file("two.ini", "[check_kms_test]\nwarning=3\n[kms]\nwarning=5\ncritical=9\n",
		   path, sizeof path);
	const char *sections[] = { "kms", "" };
	const char *want_w[] = { "5", "3" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(spec, sizeof spec, "%s@%s", sections[i], path);
		char *argv[] = { "check_kms_test", "--extra-opts", spec, "-H", "kms01", NULL };
		parse(ARGC(argv), argv);
		ck_assert_str_eq(co.warning, want_w[i]);
		ck_assert_str_eq(co.hostname, "kms01");
		snprintf(one, sizeof one, "--extra-opts=%s", spec);
		char *argv1[] = { "check_kms_test", one, "-H", "kms01", NULL };
		parse(ARGC(argv1), argv1);
		ck_assert_str_eq(co.warning, want_w[i]);
	}
	/* the section alone, the file from MP_CONFIG_FILE */
	setenv("MP_CONFIG_FILE", path, 1);
	char *sec[] = { "check_kms_test", "--extra-opts", "kms", "-v", NULL };
	parse(ARGC(sec), sec);
	ck_assert_str_eq(co.critical, "9");
	ck_assert_int_eq(co.verbose, 1);
	/* followed by an option: the default section [check_kms_test] */
	char *dflt[] = { "check_kms_test", "--extra-opts", "-H", "kms02", NULL };
	parse(ARGC(dflt), dflt);
	unsetenv("MP_CONFIG_FILE");
	ck_assert_str_eq(co.warning, "3");
	ck_assert_str_eq(co.hostname, "kms02");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, all_standard);
	tcase_add_test(tc, ipv4_and_sizes);
	tcase_add_test(tc, verbose_counting);
	tcase_add_test(tc, plugin_options);
	tcase_add_test(tc, bad_unknown_long);
	tcase_add_test(tc, bad_unknown_short);
	tcase_add_test(tc, bad_missing_argument);
	tcase_add_test(tc, bad_stray_argument);
	tcase_add_test(tc, bad_flag_with_value);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, max_size_too_large);
	tcase_add_test(tc, group_not_asked_for);
	tcase_add_test(tc, help_exits_0);
	tcase_add_test(tc, help_only_asked_groups);
	tcase_add_test(tc, version_exits_0);
	tcase_add_test(tc, insecure_logged);
	tcase_add_test(tc, parse_only_start_applies);
	tcase_add_test(tc, start_arms_clock_with_aspect);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, numbers);
	/* Exit tests end the runner itself when Check does not fork. */
	const char *fork_env = getenv("CK_FORK");
	if (!fork_env || strcmp(fork_env, "no") != 0) {
		tcase_add_exit_test(tc, exit_test_unknown_option, 3);
		tcase_add_exit_test(tc, exit_test_help, 0);
	}
	suite_add_tcase(s, tc);

	TCase *te = tcase_create("extra-opts");
	tcase_add_unchecked_fixture(te, make_tmpdir, remove_tmpdir);
	tcase_add_test(te, extra_sections_and_comments);
	tcase_add_test(te, extra_missing_file);
	tcase_add_test(te, extra_missing_section);
	tcase_add_test(te, extra_malformed);
	tcase_add_test(te, extra_mp_config_file);
	tcase_add_test(te, extra_command_line_wins);
	tcase_add_test(te, extra_default_section_via_env);
	tcase_add_test(te, extra_urls_are_a_list);
	tcase_add_test(te, urls_at_most_16_each_once);
	tcase_add_test(te, extra_errors_exit_3);
	tcase_add_test(te, extra_two_word_form);
	suite_add_tcase(s, te);
	return unit_run(s);
}
