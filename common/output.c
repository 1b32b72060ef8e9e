/* output.c - owns what a plugin prints (output.h): the result tree of
 * partial results and notes, the state rule, perfdata formatting, rendering
 * under the OUTPUT_MAX cap, the single-write exit, die(), and -v logging.
 *
 * Every text is cleaned when it is added (text_clean), so rendering only
 * has to measure, fit and join. */
#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timeout.h"

/* Room kept free for "... and N more\n" whenever long lines exist, so the
 * marker always fits even when the first line had to be shortened. */
#define MORE_RESERVE 40

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

/* A growing string; any allocation failure ends the plugin. */
struct sbuf {
	char *p;
	size_t n, cap;
};

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

/* No allocation here: the line is built on the stack. */
static _Noreturn void out_of_memory(void)
{
	char line[128];
	int n = snprintf(line, sizeof line, "KMS %s UNKNOWN - out of memory\n",
			 output_aspect());
	if (n < 0 || (size_t)n >= sizeof line)
		n = (int)strlen(strcpy(line, "KMS UNKNOWN - out of memory\n"));
	write_all(line, (size_t)n);
	_exit(STATE_UNKNOWN);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory();
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		out_of_memory();
	return d;
}

/* Grow an array of elem-sized items to hold one more. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 8;
	if (nc > ((size_t)-1) / elem)
		out_of_memory();
	*cap = nc;
	return xrealloc(arr, nc * elem);
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->n + n + 1)
			nc *= 2;
		b->p = xrealloc(b->p, nc);
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	text_clean(s);
	return s;
}

/* Back off from cut so a UTF-8 sequence is never split. */
static size_t utf8_cut(const char *s, size_t cut)
{
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}

/* Copied and cleaned; "" (or NULL) resets to the default. */
void output_set_aspect(const char *aspect)
{
	snprintf(aspect_buf, sizeof aspect_buf, "%s", aspect ? aspect : "");
	text_clean(aspect_buf);
}

/* "PLUGIN" until output_set_aspect() is called, so die() before option
 * parsing still prints a well-formed line. */
const char *output_aspect(void)
{
	return aspect_buf[0] ? aspect_buf : "PLUGIN";
}

struct result *result_new(void)
{
	struct result *r = calloc(1, sizeof *r);
	if (!r)
		out_of_memory();
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

static bool uom_valid(const char *uom)
{
	static const char *const known[] = { "", "s", "ms", "us", "%", "B", "KB",
					     "MB", "GB", "TB", "c" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(uom, known[i]) == 0)
			return true;
	return false;
}

/* A threshold still in percent would put '%' into perfdata, which no
 * grapher reads: the caller must range_scale() it first, else it is left
 * out. */
static void perf_range(const struct range *rg, bool has, char *buf, size_t len)
{
	buf[0] = '\0';
	if (has && !rg->percent)
		range_format(rg, buf, len);
}

static void perf_bound(double v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (isfinite(v))
		fmt_number(buf, len, v, FMT_AUTO);
}

void result_perf(struct result *r, const char *label, double value,
		 const char *uom, const struct thresholds *th, double min, double max)
{
	if (!isfinite(value)) {
		vlog(1, "perfdata '%s' left out: value is not a finite number",
		     label ? label : "");
		return;
	}
	if (!uom)
		uom = "";
	if (!uom_valid(uom)) {
		vlog(1, "perfdata '%s': unit '%s' is not a Nagios unit, left out",
		     label ? label : "", uom);
		uom = "";
	}

	char *lab = xstrdup(label && *label ? label : "unnamed");
	text_clean(lab);
	bool quote = false;
	for (char *p = lab; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\'' || c == '=')
			*p = '_';
		else if (c == '|')
			*p = '/';
		else if (c < 0x20 || c == 0x7f)
			*p = ' ';
		c = (unsigned char)*p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			quote = true;
	}

	char val[400], fields[4][400];
	fmt_number(val, sizeof val, value, FMT_AUTO);
	perf_range(th ? &th->warn : NULL, th && th->has_warn, fields[0], sizeof fields[0]);
	perf_range(th ? &th->crit : NULL, th && th->has_crit, fields[1], sizeof fields[1]);
	perf_bound(min, fields[2], sizeof fields[2]);
	perf_bound(max, fields[3], sizeof fields[3]);

	struct sbuf b = { 0 };
	if (quote)
		sb_str(&b, "'");
	sb_str(&b, lab);
	sb_str(&b, quote ? "'=" : "=");
	sb_str(&b, val);
	sb_str(&b, uom);
	int last = 3;
	while (last >= 0 && fields[last][0] == '\0')
		last--; /* trailing empty fields are noise */
	for (int i = 0; i <= last; i++) {
		sb_str(&b, ";");
		sb_str(&b, fields[i]);
	}
	free(lab);

	r->perf = grow(r->perf, &r->cap_perf, r->n_perf, sizeof *r->perf);
	r->perf[r->n_perf++] = b.p;
}

/* Length of " | " plus the first k perfdata items joined by spaces. */
static size_t perf_len(const struct result *r, size_t k)
{
	size_t n = k ? 3 + (k - 1) : 0;
	for (size_t i = 0; i < k; i++)
		n += strlen(r->perf[i]);
	return n;
}

/* Largest k whose perfdata part fits in room bytes (items are kept whole
 * and in order). */
static size_t perf_fit(const struct result *r, size_t room)
{
	size_t k = 0, used = 0;
	while (k < r->n_perf) {
		size_t add = strlen(r->perf[k]) + (k ? 1 : 3);
		if (used + add > room)
			break;
		used += add;
		k++;
	}
	return k;
}

struct outline {
	const char *tag; /* "[CRITICAL] " or "" for a note */
	const char *text;
	size_t len;      /* with tag and newline */
};

static int digits_of(size_t n)
{
	int d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* "... and N more\n" */
static size_t more_len(size_t n)
{
	return strlen("... and  more\n") + (size_t)digits_of(n);
}

/* The headlines worst first (in the order added within a state), joined
 * with "; ", as many as fit in room characters with "; +N more" for the
 * rest; always at least the first, which the caller cuts if need be. */
static void headlines_fit(const struct result *r, size_t room, struct sbuf *out)
{
	const struct partial **order = xrealloc(NULL, r->n_heads * sizeof *order);
	size_t n = 0;
	for (int rank = 3; rank >= 0; rank--)
		for (size_t i = 0; i < r->n_heads; i++)
			if (state_rank(r->heads[i].st) == rank)
				order[n++] = &r->heads[i];
	/* the largest k whose first k phrases plus "; +N more" fit */
	size_t used = 0, k = 1;
	for (size_t j = 1; j <= n; j++) {
		used += text_chars(order[j - 1]->text, strlen(order[j - 1]->text)) + (j > 1 ? 2 : 0);
		size_t rest = n - j;
		size_t more = rest ? strlen("; + more") + (size_t)digits_of(rest) : 0;
		if (used + more <= room)
			k = j;
	}
	for (size_t i = 0; i < k; i++) {
		if (i)
			sb_str(out, "; ");
		sb_str(out, order[i]->text);
	}
	if (k < n) {
		char more[48];
		snprintf(more, sizeof more, "; +%zu more", n - k);
		sb_str(out, more);
	}
	free(order);
}

/* A cut summary's whole text for the long output, itself cut at
 * WHOLE_MAX bytes so it can never crowd out the partials. */
#define WHOLE_MAX 1000
static char *whole_summary(const char *s, size_t n)
{
	if (n <= WHOLE_MAX)
		return xstrdup(s);
	size_t cut = utf8_cut(s, WHOLE_MAX - 3);
	char *w = xrealloc(NULL, cut + 4);
	memcpy(w, s, cut);
	memcpy(w + cut, "...", 4);
	return w;
}

/* The whole output, malloc'd; *len excludes the NUL. */
static char *render_alloc(const struct result *r, size_t *len)
{
	state_t st = result_state(r);
	size_t nlines = r->n_parts + r->n_notes;

	/* Long lines: partials worst first (stable within a state), notes. */
	struct outline *lines = xrealloc(NULL, (nlines ? nlines : 1) * sizeof *lines);
	static const char *const tags[4] = { "[OK] ", "[UNKNOWN] ", "[WARNING] ",
					     "[CRITICAL] " };
	size_t k = 0;
	for (int rank = 3; rank >= 0; rank--)
		for (size_t i = 0; i < r->n_parts; i++)
			if (state_rank(r->parts[i].st) == rank) {
				lines[k].tag = tags[rank];
				lines[k].text = r->parts[i].text;
				lines[k].len = strlen(tags[rank]) + strlen(r->parts[i].text) + 1;
				k++;
			}
	for (size_t i = 0; i < r->n_notes; i++, k++) {
		lines[k].tag = "";
		lines[k].text = r->notes[i];
		lines[k].len = strlen(r->notes[i]) + 1;
	}

	struct sbuf prefix = { 0 };
	sb_str(&prefix, "KMS ");
	sb_str(&prefix, output_aspect());
	sb_str(&prefix, " ");
	sb_str(&prefix, state_name(st));
	size_t room1 = LINE1_MAX - 3 - text_chars(prefix.p, prefix.n); /* " - " */

	/* The summary: explicit, else the headlines worst first, else the
	 * worst partial's text (already in the long output). */
	struct sbuf heads = { 0 };
	const char *summary = r->summary;
	bool repeated = false;
	if (!summary && r->n_heads) {
		headlines_fit(r, room1, &heads);
		summary = heads.p;
	}
	if (!summary) {
		summary = r->n_parts ? lines[0].text : "";
		repeated = r->n_parts > 0;
	}

	struct sbuf out = { 0 };
	sb_add(&out, prefix.p, prefix.n);
	free(prefix.p);
	char *whole = NULL; /* a summary cut on line 1, shown whole below */
	if (*summary) {
		sb_str(&out, " - ");
		size_t n = strlen(summary);
		size_t cut = text_cut_words(summary, n, room1);
		sb_add(&out, summary, cut);
		if (cut < n) {
			sb_str(&out, "...");
			if (!repeated)
				whole = whole_summary(summary, n);
		}
	}
	if (whole) {
		/* shift the long lines down by one: the whole summary first */
		lines = xrealloc(lines, (nlines + 1) * sizeof *lines);
		memmove(lines + 1, lines, nlines * sizeof *lines);
		lines[0].tag = "";
		lines[0].text = whole;
		lines[0].len = strlen(whole) + 1;
		nlines++;
	}

	size_t budget = OUTPUT_MAX - (nlines ? MORE_RESERVE : 0);
	size_t nperf;
	if (out.n + 1 <= budget) {
		nperf = perf_fit(r, budget - out.n - 1);
	} else {
		/* The summary itself is too long: perfdata stays only if it
		 * takes at most half the line, the summary gets "...". */
		nperf = perf_fit(r, budget / 2);
		size_t keep = budget - 1 - perf_len(r, nperf) - 3;
		keep = utf8_cut(out.p, keep);
		out.n = keep;
		out.p[out.n] = '\0';
		sb_str(&out, "...");
	}
	for (size_t i = 0; i < nperf; i++) {
		sb_str(&out, i ? " " : " | ");
		sb_str(&out, r->perf[i]);
	}
	sb_str(&out, "\n");

	/* Whole long lines, as many as fit. The marker counts the objects left
	 * out: the partials. The lines that are not objects (the whole summary
	 * first, the notes after the marker) are kept whole when they take at
	 * most half the room; else everything is cut in order and the marker
	 * counts lines. */
	size_t room = OUTPUT_MAX - out.n, total = 0;
	size_t first_part = whole ? 1 : 0, n_parts = r->n_parts;
	size_t end_parts = first_part + n_parts;
	for (size_t i = 0; i < nlines; i++)
		total += lines[i].len;
	size_t fixed = total;
	for (size_t i = first_part; i < end_parts; i++)
		fixed -= lines[i].len;
	bool all = total <= room, keep_fixed = fixed <= room / 2;
	size_t used = 0, shown = first_part, left_out = 0;
	if (all) {
		shown = end_parts;
	} else if (keep_fixed) {
		while (shown < end_parts &&
		       fixed + used + lines[shown].len + more_len(end_parts - shown - 1) <= room)
			used += lines[shown++].len;
		left_out = end_parts - shown;
	}
	if (all || keep_fixed) {
		for (size_t i = 0; i < nlines; i++) {
			if (i >= shown && i < end_parts)
				continue;
			if (i == end_parts && left_out) {
				char more[64];
				snprintf(more, sizeof more, "... and %zu more\n", left_out);
				sb_str(&out, more);
			}
			sb_str(&out, lines[i].tag);
			sb_str(&out, lines[i].text);
			sb_str(&out, "\n");
		}
		if (left_out && end_parts == nlines) {
			char more[64];
			snprintf(more, sizeof more, "... and %zu more\n", left_out);
			sb_str(&out, more);
		}
	} else {
		shown = 0;
		while (shown < nlines &&
		       used + lines[shown].len + more_len(nlines - shown - 1) <= room)
			used += lines[shown++].len;
		for (size_t i = 0; i < shown; i++) {
			sb_str(&out, lines[i].tag);
			sb_str(&out, lines[i].text);
			sb_str(&out, "\n");
		}
		char more[64];
		snprintf(more, sizeof more, "... and %zu more\n", nlines - shown);
		sb_str(&out, more);
	}
	free(lines);
	free(heads.p);
	free(whole);
	*len = out.n;
	return out.p;
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
