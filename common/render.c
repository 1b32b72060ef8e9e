/* render.c - a check as text or JSON (render.h): the line-1 rule, the long
 * output under the OUTPUT_MAX cap, perfdata, and the JSON document. */
#include "render.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "number.h"
#include "text.h"
#include "vlog.h"
#include "xalloc.h"

/* Room kept free for "... and N more\n" whenever long lines exist, so the
 * marker always fits even when the first line had to be shortened. */
#define MORE_RESERVE 40

/* A growing string; any allocation failure ends the plugin. */
struct sbuf {
	char *p;
	size_t n, cap;
};

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


/* Back off from cut so a UTF-8 sequence is never split. */
static size_t utf8_cut(const char *s, size_t cut)
{
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
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

/* The label as perfdata shows it (without the quotes), malloc'd; *quote
 * tells whether it needs them. JSON shows the same text. */
static char *perf_label(const char *label, bool *quote)
{
	char *lab = xstrdup(label && *label ? label : "unnamed");
	text_clean(lab);
	*quote = false;
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
			*quote = true;
	}
	return lab;
}

/* The unit as perfdata shows it: a Nagios unit, else "". */
static const char *perf_uom(const char *label, const char *uom)
{
	if (!uom)
		return "";
	if (!uom_valid(uom)) {
		vlog(1, "perfdata '%s': unit '%s' is not a Nagios unit, left out",
		     label ? label : "", uom);
		return "";
	}
	return uom;
}

char *perf_item_format(const char *label, double value, const char *uom,
		       const struct thresholds *th, double min, double max)
{
	if (!isfinite(value)) {
		vlog(1, "perfdata '%s' left out: value is not a finite number",
		     label ? label : "");
		return NULL;
	}
	uom = perf_uom(label, uom);
	bool quote;
	char *lab = perf_label(label, &quote);

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

	return b.p;
}

static size_t perf_len(const struct text_view *v, size_t k)
{
	size_t n = k ? 3 + (k - 1) : 0;
	for (size_t i = 0; i < k; i++)
		n += strlen(v->perf[i]);
	return n;
}

/* Largest k whose perfdata part fits in room bytes (items are kept whole
 * and in order). */
static size_t perf_fit(const struct text_view *v, size_t room)
{
	size_t k = 0, used = 0;
	while (k < v->n_perf) {
		size_t add = strlen(v->perf[k]) + (k ? 1 : 3);
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
static void headlines_fit(const struct text_view *v, size_t room, struct sbuf *out)
{
	const struct view_line **order = xrealloc(NULL, v->n_heads * sizeof *order);
	size_t n = 0;
	for (int rank = 3; rank >= 0; rank--)
		for (size_t i = 0; i < v->n_heads; i++)
			if (state_rank(v->heads[i].st) == rank)
				order[n++] = &v->heads[i];
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
char *render_view(const struct text_view *v, const char *aspect, size_t *len)
{
	state_t st = v->state;
	size_t nlines = v->n_parts + v->n_notes;

	/* Long lines: partials worst first (stable within a state), notes. */
	struct outline *lines = xrealloc(NULL, (nlines ? nlines : 1) * sizeof *lines);
	static const char *const tags[4] = { "[OK] ", "[UNKNOWN] ", "[WARNING] ",
					     "[CRITICAL] " };
	size_t k = 0;
	for (int rank = 3; rank >= 0; rank--)
		for (size_t i = 0; i < v->n_parts; i++)
			if (state_rank(v->parts[i].st) == rank) {
				lines[k].tag = tags[rank];
				lines[k].text = v->parts[i].text;
				lines[k].len = strlen(tags[rank]) + strlen(v->parts[i].text) + 1;
				k++;
			}
	for (size_t i = 0; i < v->n_notes; i++, k++) {
		lines[k].tag = "";
		lines[k].text = v->notes[i];
		lines[k].len = strlen(v->notes[i]) + 1;
	}

	struct sbuf prefix = { 0 };
	sb_str(&prefix, "KMS ");
	sb_str(&prefix, aspect);
	sb_str(&prefix, " ");
	sb_str(&prefix, state_name(st));
	size_t room1 = LINE1_MAX - 3 - text_chars(prefix.p, prefix.n); /* " - " */

	/* The summary: explicit, else the headlines worst first, else the
	 * worst partial's text (already in the long output). */
	struct sbuf heads = { 0 };
	const char *summary = v->summary;
	bool repeated = false;
	if (!summary && v->n_heads) {
		headlines_fit(v, room1, &heads);
		summary = heads.p;
	}
	if (!summary) {
		summary = v->n_parts ? lines[0].text : "";
		repeated = v->n_parts > 0;
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
		nperf = perf_fit(v, budget - out.n - 1);
	} else {
		/* The summary itself is too long: perfdata stays only if it
		 * takes at most half the line, the summary gets "...". */
		nperf = perf_fit(v, budget / 2);
		size_t keep = budget - 1 - perf_len(v, nperf) - 3;
		keep = utf8_cut(out.p, keep);
		out.n = keep;
		out.p[out.n] = '\0';
		sb_str(&out, "...");
	}
	for (size_t i = 0; i < nperf; i++) {
		sb_str(&out, i ? " " : " | ");
		sb_str(&out, v->perf[i]);
	}
	sb_str(&out, "\n");

	/* Whole long lines, as many as fit. The marker counts the objects left
	 * out: the partials. The lines that are not objects (the whole summary
	 * first, the notes after the marker) are kept whole when they take at
	 * most half the room; else everything is cut in order and the marker
	 * counts lines. */
	size_t room = OUTPUT_MAX - out.n, total = 0;
	size_t first_part = whole ? 1 : 0, n_parts = v->n_parts;
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


bool output_format_parse(const char *name, enum output_format *out)
{
	static const struct {
		const char *name;
		enum output_format f;
	} known[] = { { "text", FORMAT_TEXT },
		      { "json", FORMAT_JSON },
		      { "mp-test-json", FORMAT_MP_TEST_JSON } };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (name && strcasecmp(name, known[i].name) == 0) {
			*out = known[i].f;
			return true;
		}
	return false;
}

/* A check flattened for render_view(): the leaves, the headlines of the
 * top-level subchecks that are not OK, every metric's perfdata item. */
struct flat {
	struct view_line *parts, *heads;
	size_t n_parts, cap_parts, n_heads, cap_heads;
	char **perf;
	size_t n_perf, cap_perf;
};

static void flatten(const struct subcheck *sc, struct flat *f)
{
	for (size_t i = 0; i < subcheck_metric_count(sc); i++) {
		const struct metric *m = subcheck_metric_at(sc, i);
		char *item = perf_item_format(m->label, m->value, m->uom, m->th, m->min, m->max);
		if (!item)
			continue;
		f->perf = xgrow(f->perf, &f->cap_perf, f->n_perf, sizeof *f->perf);
		f->perf[f->n_perf++] = item;
	}
	size_t n = subcheck_count(sc);
	if (n == 0) {
		f->parts = xgrow(f->parts, &f->cap_parts, f->n_parts, sizeof *f->parts);
		f->parts[f->n_parts++] = (struct view_line){ subcheck_state(sc), subcheck_output(sc) };
	}
	for (size_t i = 0; i < n; i++)
		flatten(subcheck_child(sc, i), f);
}

static char *render_text(const struct check *c, const char *aspect, size_t *len)
{
	struct flat f = { 0 };
	state_t st = check_state(c);
	for (size_t i = 0; i < check_count(c); i++) {
		const struct subcheck *sc = check_child(c, i);
		flatten(sc, &f);
		state_t s = subcheck_state(sc);
		/* not OK: the headlines of the subchecks that are not; OK
		 * without an OK summary: every headline */
		if (s != STATE_OK || (st == STATE_OK && !check_ok_summary(c))) {
			f.heads = xgrow(f.heads, &f.cap_heads, f.n_heads, sizeof *f.heads);
			f.heads[f.n_heads++] = (struct view_line){ s, subcheck_headline_text(sc) };
		}
	}
	const char *const *notes;
	size_t n_notes = check_notes(c, &notes);
	struct text_view v = {
		.state = st,
		.summary = st == STATE_OK ? check_ok_summary(c) : NULL,
		.heads = f.heads, .n_heads = f.n_heads,
		.parts = f.parts, .n_parts = f.n_parts,
		.notes = notes, .n_notes = n_notes,
		.perf = f.perf, .n_perf = f.n_perf,
	};
	char *text = render_view(&v, aspect, len);
	for (size_t i = 0; i < f.n_perf; i++)
		free(f.perf[i]);
	free(f.perf);
	free(f.parts);
	free(f.heads);
	return text;
}

/* Line 1's summary as the text shows it: after "KMS ASPECT STATE - ", up to
 * " | " or the end of the line. */
static char *line1_summary(const char *text, const char *aspect, state_t st)
{
	size_t pre = strlen("KMS ") + strlen(aspect) + 1 + strlen(state_name(st));
	const char *s = text + pre;
	if (strncmp(s, " - ", 3) != 0)
		return xstrdup("");
	s += 3;
	size_t n = strcspn(s, "\n");
	const char *bar = memmem(s, n, " | ", 3);
	if (bar)
		n = (size_t)(bar - s);
	char *out = xrealloc(NULL, n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* JSON, written here rather than through jansson: building a jansson tree
 * cost the plugins that never parse a document (host, dns) the loading of
 * libjansson on every run, text or not (bench/regress.py). Every text is
 * text_clean()ed already; what JSON still needs is done here. */

/* s as a JSON string: '"' and '\' escaped, control bytes as \u00XX (text_clean
 * leaves none, a peer's bytes through die() may), DEL as \u007f, and a byte
 * that is not part of well-formed UTF-8 as '?' (text_utf8_scrub). */
static void js_str(struct sbuf *b, const char *s)
{
	char *copy = xstrdup(s);
	text_utf8_scrub(copy);
	sb_str(b, "\"");
	const char *run = copy;
	for (const char *p = copy;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c != '\0' && c != '"' && c != '\\' && c >= 0x20 && c != 0x7f)
			continue;
		sb_add(b, run, (size_t)(p - run));
		if (c == '\0')
			break;
		char esc[8];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof esc, "\\%c", c);
		else
			snprintf(esc, sizeof esc, "\\u%04x", c);
		sb_str(b, esc);
		run = p + 1;
	}
	sb_str(b, "\"");
	free(copy);
}

char *render_json_string(const char *s)
{
	struct sbuf b = { 0 };
	js_str(&b, s);
	return b.p;
}

/* A finite number as perfdata prints it (fmt_number: fixed notation, 15
 * significant digits), so JSON and text carry the same value; an integral
 * value too large for a 64-bit integer gets ".0" so a reader takes it as
 * a real, not an overflowing integer. */
static void js_num(struct sbuf *b, double v)
{
	char num[400];
	fmt_number(num, sizeof num, v, FMT_AUTO);
	sb_str(b, num);
	if (fabs(v) >= 9e15 && !strchr(num, '.'))
		sb_str(b, ".0");
}

static void js_key(struct sbuf *b, bool *first, const char *key)
{
	sb_str(b, *first ? "\"" : ",\"");
	sb_str(b, key);
	sb_str(b, "\":");
	*first = false;
}

static void js_bound(struct sbuf *b, bool infinite, const char *name, double v)
{
	if (infinite) {
		sb_str(b, "\"");
		sb_str(b, name);
		sb_str(b, "\"");
	} else {
		js_num(b, v);
	}
}

static void js_range(struct sbuf *b, const struct range *r)
{
	sb_str(b, "{\"start\":");
	js_bound(b, r->start_infinite, "-inf", r->start);
	sb_str(b, ",\"end\":");
	js_bound(b, r->end_infinite, "inf", r->end);
	sb_str(b, r->alert_inside ? ",\"alert_on_inside\":true}" : ",\"alert_on_inside\":false}");
}

static void js_metric(struct sbuf *b, const struct metric *m)
{
	bool first = true, quote;
	char *lab = perf_label(m->label, &quote);
	sb_str(b, "{");
	js_key(b, &first, "label");
	js_str(b, lab);
	free(lab);
	js_key(b, &first, "value");
	js_num(b, m->value);
	js_key(b, &first, "uom");
	js_str(b, perf_uom(m->label, m->uom));
	if (m->th && m->th->has_warn && !m->th->warn.percent) {
		js_key(b, &first, "warn");
		js_range(b, &m->th->warn);
	}
	if (m->th && m->th->has_crit && !m->th->crit.percent) {
		js_key(b, &first, "crit");
		js_range(b, &m->th->crit);
	}
	if (isfinite(m->min)) {
		js_key(b, &first, "min");
		js_num(b, m->min);
	}
	if (isfinite(m->max)) {
		js_key(b, &first, "max");
		js_num(b, m->max);
	}
	sb_str(b, "}");
}

static void js_subcheck(struct sbuf *b, const struct subcheck *sc)
{
	bool first = true;
	sb_str(b, "{");
	js_key(b, &first, "output");
	js_str(b, subcheck_output(sc));
	js_key(b, &first, "state");
	js_str(b, state_name(subcheck_state(sc)));
	size_t nm = subcheck_metric_count(sc), nk = subcheck_count(sc);
	if (nm) {
		js_key(b, &first, "perfdata");
		for (size_t i = 0; i < nm; i++) {
			sb_str(b, i ? "," : "[");
			js_metric(b, subcheck_metric_at(sc, i));
		}
		sb_str(b, "]");
	}
	if (nk) {
		js_key(b, &first, "checks");
		for (size_t i = 0; i < nk; i++) {
			sb_str(b, i ? "," : "[");
			js_subcheck(b, subcheck_child(sc, i));
		}
		sb_str(b, "]");
	}
	sb_str(b, "}");
}

/* text is the check's text rendering, for line 1's summary. */
static char *render_json(const struct check *c, const char *text, const char *aspect,
			 size_t *len)
{
	state_t st = check_state(c);
	struct sbuf b = { 0 };
	bool first = true;
	sb_str(&b, "{");
	js_key(&b, &first, "state");
	js_str(&b, state_name(st));
	char *summary = line1_summary(text, aspect, st);
	js_key(&b, &first, "summary");
	js_str(&b, summary);
	free(summary);
	js_key(&b, &first, "checks");
	sb_str(&b, "[");
	for (size_t i = 0; i < check_count(c); i++) {
		if (i)
			sb_str(&b, ",");
		js_subcheck(&b, check_child(c, i));
	}
	sb_str(&b, "]");
	const char *const *notes;
	size_t n_notes = check_notes(c, &notes);
	if (n_notes) {
		js_key(&b, &first, "notes");
		for (size_t i = 0; i < n_notes; i++) {
			sb_str(&b, i ? "," : "[");
			js_str(&b, notes[i]);
		}
		sb_str(&b, "]");
	}
	sb_str(&b, "}\n");
	*len = b.n;
	return b.p;
}

char *render_check(const struct check *c, enum output_format f, const char *aspect,
		   size_t *len)
{
	char *text = render_text(c, aspect, len);
	if (f == FORMAT_TEXT)
		return text;
	char *json = render_json(c, text, aspect, len);
	free(text);
	return json;
}
