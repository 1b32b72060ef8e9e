/* timeout.c - owns the -t deadline (timeout.h): parsing -t, the monotonic
 * clock the network code measures against, and the SIGALRM backstop that
 * ends the process whatever it is blocked on.
 *
 * The expiry line is formatted ahead of time, outside the handler, into one
 * of two buffers; the handler reads the index of the finished one, write(2)s
 * it and _exit()s. Rebuilding into the buffer the handler is not using and
 * then flipping the index means an alarm during a rebuild still prints a
 * whole, consistent line. */
#include "timeout.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "number.h"
#include "text.h"
#include "vlog.h"

#define TIMEOUT_MAX_S 86400.0
#define TIMEOUT_DEFAULT_S 10.0
#define TIMEOUT_SLACK_S 0.3 /* the alarm fires after the soft deadline */

static double t_seconds = TIMEOUT_DEFAULT_S;
static state_t t_state = STATE_UNKNOWN;
static double t_start; /* mono_now() at timeout_start(); 0 = not started */
static char t_activity[256] = "check";
static char t_aspect[64]; /* "" until timeout_start() */

static char t_msg[2][768];
static size_t t_msg_len[2];
static volatile sig_atomic_t t_msg_cur = -1; /* -1: nothing prepared */
static bool t_json, t_exit_zero; /* timeout_set_format() */

static void prepare_message(void);

/* "SECONDS[:STATE]". See timeout.h. */
bool timeout_parse(const char *text, state_t def, double *seconds, state_t *st,
		   char err[KMS_ERRLEN])
{
	if (!text || !*text) {
		snprintf(err, KMS_ERRLEN,
			 "invalid timeout \"\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING");
		return false;
	}
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	if (!plain_decimal(text, n)) {
		snprintf(err, KMS_ERRLEN,
			 "invalid timeout \"%.100s\": expected SECONDS[:STATE], e.g. 10 or 10:WARNING",
			 text);
		return false;
	}
	char num[64];
	if (n >= sizeof num) {
		snprintf(err, KMS_ERRLEN, "invalid timeout \"%.100s\": at most %.0f s",
			 text, TIMEOUT_MAX_S);
		return false;
	}
	memcpy(num, text, n);
	num[n] = '\0';
	double v = strtod(num, NULL);
	if (!(v > 0)) {
		snprintf(err, KMS_ERRLEN, "invalid timeout \"%.100s\": must be more than 0 s",
			 text);
		return false;
	}
	if (v > TIMEOUT_MAX_S) {
		snprintf(err, KMS_ERRLEN, "invalid timeout \"%.100s\": at most %.0f s",
			 text, TIMEOUT_MAX_S);
		return false;
	}
	state_t s = def;
	if (colon && !state_parse(colon + 1, &s)) {
		snprintf(err, KMS_ERRLEN,
			 "invalid timeout \"%.100s\": \"%.40s\" is not a state (OK, WARNING, CRITICAL, UNKNOWN)",
			 text, colon + 1);
		return false;
	}
	*seconds = v;
	*st = s;
	return true;
}

/* The expiry as the JSON document of --output-format json (render.h's
 * shape, no subchecks): the summary is line 1's, the activity escaped
 * byte by byte (a byte outside ASCII becomes '?', so the line is always
 * valid JSON). Returns the length written, NUL excluded. */
static int json_message(char *buf, size_t size, int cut, bool was_cut, const char *post)
{
	size_t n = 0;
	int w = snprintf(buf, size, "{\"state\":\"%s\",\"summary\":\"", state_name(t_state));
	if (w < 0 || (size_t)w >= size)
		return -1;
	n = (size_t)w;
	for (int i = 0; i < cut && n + 8 < size; i++) {
		unsigned char c = (unsigned char)t_activity[i];
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, size - n, "\\%c", c);
		else if (c < 0x20)
			n += (size_t)snprintf(buf + n, size - n, "\\u%04x", c);
		else
			buf[n++] = c < 0x80 ? (char)c : '?';
	}
	w = snprintf(buf + n, size - n, "%s%s\",\"checks\":[]}\n", was_cut ? "..." : "", post);
	return w < 0 ? -1 : (int)n + w;
}

void timeout_set_format(bool json, bool exit_zero)
{
	t_json = json;
	t_exit_zero = exit_zero;
	if (t_msg_cur >= 0)
		prepare_message();
}

/* Formats the expiry line into the idle buffer, then publishes it. Never
 * called from the handler. The activity is cut to keep the first line
 * within LINE1_MAX (text.h); then the whole message follows on line 2. */
static void prepare_message(void)
{
	int next = t_msg_cur == 0 ? 1 : 0;
	char num[32], pre[96], post[64];
	fmt_number(num, sizeof num, t_seconds, 3);
	int lp = snprintf(pre, sizeof pre, "KMS %s %s - ",
			  *t_aspect ? t_aspect : "CHECK", state_name(t_state));
	int lq = snprintf(post, sizeof post, " timed out after %s s", num);
	if (lp < 0 || lq < 0)
		return;
	size_t fixed = text_chars(pre, (size_t)lp) + text_chars(post, (size_t)lq);
	size_t alen = strlen(t_activity);
	size_t room = fixed < LINE1_MAX ? LINE1_MAX - fixed : 0;
	size_t cut = text_cut_words(t_activity, alen, room);
	int len = snprintf(t_msg[next], sizeof t_msg[next], "%s%.*s%s%s\n", pre,
			   (int)cut, t_activity, cut < alen ? "..." : "", post);
	if (len >= 0 && cut < alen && (size_t)len < sizeof t_msg[next])
		len += snprintf(t_msg[next] + len, sizeof t_msg[next] - (size_t)len,
				"%s%s\n", t_activity, post);
	if (len < 0)
		return;
	if (t_json)
		len = json_message(t_msg[next], sizeof t_msg[next], (int)cut, cut < alen, post);
	if ((size_t)len >= sizeof t_msg[next]) {
		len = (int)sizeof t_msg[next] - 1;
		t_msg[next][len - 1] = '\n';
	}
	t_msg_len[next] = (size_t)len;
	t_msg_cur = next;
}

static void on_alarm(int sig)
{
	(void)sig;
	int cur = t_msg_cur;
	if (cur >= 0) {
		const char *p = t_msg[cur];
		size_t left = t_msg_len[cur];
		while (left > 0) {
			ssize_t w = write(STDOUT_FILENO, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			p += w;
			left -= (size_t)w;
		}
	}
	vlog_flush(); /* after the status line: see vlog.h */
	_exit(t_exit_zero ? 0 : (int)t_state);
}

/* CLOCK_MONOTONIC in seconds: immune to wall-clock steps (NTP, admins). */
double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Records the start, prepares the expiry line, installs the handler and arms
 * ITIMER_REAL at seconds + 0.3 s. Calling it again restarts the clock. The
 * aspect is copied (and cleaned), so the caller's string may go away. */
void timeout_start(double seconds, state_t st, const char *aspect)
{
	if (!(seconds > 0) || seconds > TIMEOUT_MAX_S)
		seconds = TIMEOUT_DEFAULT_S;
	t_seconds = seconds;
	t_state = st;
	snprintf(t_aspect, sizeof t_aspect, "%s", aspect ? aspect : "");
	text_clean(t_aspect);
	t_start = mono_now();
	prepare_message();

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	double fire = seconds + TIMEOUT_SLACK_S;
	struct itimerval it;
	memset(&it, 0, sizeof it);
	it.it_value.tv_sec = (time_t)fire;
	it.it_value.tv_usec = (suseconds_t)((fire - floor(fire)) * 1e6);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Call from the main thread (the prepared line is not locked). Keeps a
 * sanitised copy: '|' would start perfdata and a newline would
 * split the status line, so both are replaced. */
void timeout_set_activity(const char *what)
{
	size_t i = 0;
	if (what && *what) {
		for (; what[i] && i < sizeof t_activity - 1; i++) {
			char c = what[i];
			t_activity[i] = c == '|' ? '/' : (c == '\n' || c == '\r') ? ' ' : c;
		}
	} else {
		for (; "check"[i]; i++)
			t_activity[i] = "check"[i];
	}
	t_activity[i] = '\0';
	text_clean(t_activity);
	if (t_msg_cur >= 0)
		prepare_message();
}

/* The values of the last timeout_start(); 10 s and UNKNOWN before it. */
double timeout_seconds(void)
{
	return t_seconds;
}

state_t timeout_state(void)
{
	return t_state;
}

/* Before timeout_start() the clock has not started: the whole default
 * timeout is left. */
double deadline_left(void)
{
	if (t_start == 0)
		return t_seconds;
	return t_start + t_seconds - mono_now();
}

/* Disarms ITIMER_REAL; the handler stays installed but never fires. */
void timeout_stop(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
}
