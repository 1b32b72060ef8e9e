/* output.c - owns what a plugin prints (output.h): the aspect, the output
 * format, the single-write exit of a check (check_exit) and die(). */
#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timeout.h"
#include "xalloc.h"

static char aspect_buf[64];
static enum output_format format = FORMAT_TEXT;

static void write_all(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* stdout is gone: nobody left to tell */
		}
		s += w;
		n -= (size_t)w;
	}
}

/* Copied and cleaned; "" (or NULL) resets to the default. */
void output_set_aspect(const char *aspect)
{
	snprintf(aspect_buf, sizeof aspect_buf, "%s", aspect ? aspect : "");
	text_clean(aspect_buf);
	xalloc_set_aspect(aspect_buf);
}

/* "PLUGIN" until output_set_aspect() is called, so die() before option
 * parsing still prints a well-formed line. */
const char *output_aspect(void)
{
	return aspect_buf[0] ? aspect_buf : "PLUGIN";
}

void output_set_format(enum output_format f)
{
	format = f;
	timeout_set_format(f != FORMAT_TEXT, f == FORMAT_MP_TEST_JSON);
}

/* mp-test-json always exits 0, as monitoring-plugins does: its reader
 * takes the state from the document. */
static int exit_code(state_t st)
{
	return format == FORMAT_MP_TEST_JSON ? 0 : (int)st;
}

_Noreturn void check_exit(struct check *c)
{
	timeout_stop();
	size_t n;
	char *s = render_check(c, format, output_aspect(), &n);
	state_t st = check_state(c);
	write_all(s, n);
	vlog_flush(); /* after the status output: see vlog.h */
	free(s);
	check_free(c);
	exit(exit_code(st));
}

/* die() in a JSON format: the document of a check that ended early, with
 * line 1's summary and, when it was cut, the whole message as a note. Falls
 * back to text when the document cannot be built. */
static void die_json(state_t st, const char *summary, size_t summary_len, const char *msg,
		     bool cut)
{
	char *sum = strndup(summary, summary_len + (cut ? 3 : 0));
	if (!sum)
		return;
	char *js_sum = render_json_string(sum);
	char *js_msg = cut ? render_json_string(msg) : NULL;
	free(sum);
	char *s = NULL;
	int n = asprintf(&s, "{\"state\":\"%s\",\"summary\":%s,\"checks\":[]%s%s%s}\n",
			 state_name(st), js_sum, cut ? ",\"notes\":[" : "", cut ? js_msg : "",
			 cut ? "]" : "");
	free(js_sum);
	free(js_msg);
	if (n < 0)
		return;
	write_all(s, (size_t)n);
	free(s);
	vlog_flush();
	exit(exit_code(st));
}

static _Noreturn void vdie(state_t st, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Built on the stack, so it works when memory is short too. A message
 * longer than the first line allows is cut there with "..." and follows
 * whole on the second line. */
static _Noreturn void vdie(state_t st, const char *fmt, va_list ap)
{
	char msg[OUTPUT_MAX / 2], line[OUTPUT_MAX + 8];

	timeout_stop();
	if ((unsigned)st > STATE_UNKNOWN)
		st = STATE_UNKNOWN;
	int m = vsnprintf(msg, sizeof msg, fmt, ap);
	if (m < 0)
		msg[0] = '\0';
	size_t mlen = text_clean(msg);
	int pre = snprintf(line, sizeof line, "KMS %s %s - ", output_aspect(),
			   state_name(st));
	if (pre < 0 || (size_t)pre >= sizeof line)
		pre = 0;
	size_t room = LINE1_MAX - text_chars(line, (size_t)pre);
	size_t cut = text_cut_words(msg, mlen, room);
	size_t n = (size_t)pre;
	memcpy(line + n, msg, cut);
	n += cut;
	if (cut < mlen) {
		memcpy(line + n, "...\n", 4);
		n += 4;
		memcpy(line + n, msg, mlen); /* fits: msg is half of line */
		n += mlen;
	}
	line[n++] = '\n';
	if (format != FORMAT_TEXT)
		die_json(st, line + pre, cut, msg, cut < mlen);
	write_all(line, n);
	vlog_flush();
	exit((int)st);
}

_Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(STATE_UNKNOWN, fmt, ap);
}

_Noreturn void die_state(state_t st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(st, fmt, ap);
}

/* See output.h. */
void text_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}
