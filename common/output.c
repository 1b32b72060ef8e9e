/* output.c - owns what a plugin prints (output.h): the aspect, the output
 * format, the single-write exit of a check, die(), and the transitional
 * partial-result API that plugins not yet on result.h still use. */
#include "output.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timeout.h"
#include "xalloc.h"

struct partial {
	state_t st;
	char *text;
};

struct result {
	struct partial *parts;
	size_t n_parts, cap_parts;
	char **notes;
	size_t n_notes, cap_notes;
	char **perf;
	size_t n_perf, cap_perf;
	struct partial *heads; /* result_headline() phrases */
	size_t n_heads, cap_heads;
	char *summary;
	bool forced;
	state_t forced_state;
};

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

#define grow xgrow

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	char *s = xvasprintf(fmt, ap);
	text_clean(s);
	return s;
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

enum output_format output_get_format(void)
{
	return format;
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

struct result *result_new(void)
{
	struct result *r = calloc(1, sizeof *r);
	if (!r)
		xalloc_die();
	return r;
}

void result_add(struct result *r, state_t st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	if ((unsigned)st > STATE_UNKNOWN)
		st = STATE_UNKNOWN; /* out-of-range values count as UNKNOWN */
	r->parts = grow(r->parts, &r->cap_parts, r->n_parts, sizeof *r->parts);
	r->parts[r->n_parts].st = st;
	r->parts[r->n_parts].text = text;
	r->n_parts++;
}

void result_note(struct result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	r->notes = grow(r->notes, &r->cap_notes, r->n_notes, sizeof *r->notes);
	r->notes[r->n_notes++] = text;
}

void result_headline(struct result *r, state_t st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	if ((unsigned)st > STATE_UNKNOWN)
		st = STATE_UNKNOWN;
	r->heads = grow(r->heads, &r->cap_heads, r->n_heads, sizeof *r->heads);
	r->heads[r->n_heads].st = st;
	r->heads[r->n_heads].text = text;
	r->n_heads++;
}

void result_summary(struct result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	free(r->summary);
	r->summary = text;
}

void result_set_state(struct result *r, state_t st)
{
	if ((unsigned)st > STATE_UNKNOWN)
		st = STATE_UNKNOWN;
	r->forced = true;
	r->forced_state = st;
}

/* The one rule: forced state, else the worst partial, else OK. */
state_t result_state(const struct result *r)
{
	if (r->forced)
		return r->forced_state;
	state_t st = STATE_OK;
	for (size_t i = 0; i < r->n_parts; i++)
		st = state_worst(st, r->parts[i].st);
	return st;
}

size_t result_count(const struct result *r, state_t st)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_parts; i++)
		n += r->parts[i].st == st;
	return n;
}

void result_perf(struct result *r, const char *label, double value,
		 const char *uom, const struct thresholds *th, double min, double max)
{
	char *item = perf_item_format(label, value, uom, th, min, max);
	if (!item)
		return;
	r->perf = grow(r->perf, &r->cap_perf, r->n_perf, sizeof *r->perf);
	r->perf[r->n_perf++] = item;
}

static char *render_alloc(const struct result *r, size_t *len)
{
	struct view_line *parts = xrealloc(NULL, (r->n_parts + 1) * sizeof *parts);
	struct view_line *heads = xrealloc(NULL, (r->n_heads + 1) * sizeof *heads);
	for (size_t i = 0; i < r->n_parts; i++)
		parts[i] = (struct view_line){ r->parts[i].st, r->parts[i].text };
	for (size_t i = 0; i < r->n_heads; i++)
		heads[i] = (struct view_line){ r->heads[i].st, r->heads[i].text };
	struct text_view v = {
		.state = result_state(r), .summary = r->summary,
		.heads = heads, .n_heads = r->n_heads,
		.parts = parts, .n_parts = r->n_parts,
		.notes = (const char *const *)r->notes, .n_notes = r->n_notes,
		.perf = r->perf, .n_perf = r->n_perf,
	};
	char *s = render_view(&v, output_aspect(), len);
	free(parts);
	free(heads);
	return s;
}

/* See output.h. When len is too small the text is cut (tests size their
 * buffer OUTPUT_MAX + 1, which always suffices). */
size_t result_render(const struct result *r, char *buf, size_t len)
{
	size_t n;
	char *s = render_alloc(r, &n);
	if (len == 0) {
		free(s);
		return 0;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	free(s);
	return n;
}


_Noreturn void result_exit(struct result *r)
{
	timeout_stop();
	size_t n;
	char *s = render_alloc(r, &n);
	state_t st = result_state(r);
	write_all(s, n);
	vlog_flush(); /* after the status line: see vlog.h */
	free(s);
	result_free(r);
	exit((int)st);
}

void result_free(struct result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_parts; i++)
		free(r->parts[i].text);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	for (size_t i = 0; i < r->n_perf; i++)
		free(r->perf[i]);
	for (size_t i = 0; i < r->n_heads; i++)
		free(r->heads[i].text);
	free(r->parts);
	free(r->heads);
	free(r->notes);
	free(r->perf);
	free(r->summary);
	free(r);
}

/* die() in a JSON format: the document of a check that ended early, with
 * line 1's summary and, when it was cut, the whole message as a note. Falls
 * back to text when the document cannot be built. */
static void die_json(state_t st, const char *summary, size_t summary_len, const char *msg,
		     bool cut)
{
	json_t *doc = json_object();
	char *s = NULL;
	char whole[OUTPUT_MAX / 2];
	snprintf(whole, sizeof whole, "%s", msg);
	text_utf8_scrub(whole); /* a peer's bytes: JSON wants UTF-8 */
	msg = whole;
	if (doc) {
		json_object_set_new(doc, "state", json_string(state_name(st)));
		char *sum = strndup(summary, summary_len + (cut ? 3 : 0));
		if (sum)
			text_utf8_scrub(sum);
		json_object_set_new(doc, "summary", json_string(sum ? sum : ""));
		free(sum);
		json_object_set_new(doc, "checks", json_array());
		if (cut) {
			json_t *notes = json_array();
			json_array_append_new(notes, json_string(msg));
			json_object_set_new(doc, "notes", notes);
		}
		s = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(doc);
	}
	if (!s)
		return;
	write_all(s, strlen(s));
	write_all("\n", 1);
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
