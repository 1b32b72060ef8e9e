/* fuzz_render.c - the result model and its renderers (result.h, render.h)
 * on a tree built from the input: every text a plugin prints comes from a
 * document or a peer, so any bytes may reach them.
 *
 * The input is a little program: each op byte adds a top-level subcheck or
 * a child of the last one, sets a state, a default, a headline, a metric
 * with ranges, a note or the OK summary; texts are the bytes up to the next
 * 0xFF. The promises checked on every tree:
 *   - text: line 1 holds at most LINE1_MAX characters before " | ", its
 *     state word is check_state(); the whole is under OUTPUT_MAX bytes;
 *   - JSON: parses, its state is the text's, its summary is line 1's;
 *   - the state rule: no subcheck is better than a metric's own verdict or
 *     a child (the invariant test's property, here on any tree). */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include "fuzz.h"
#include "render.h"
#include "result.h"
#include "text.h"

struct reader {
	const uint8_t *p;
	size_t n;
};

static int next_byte(struct reader *r)
{
	if (r->n == 0)
		return -1;
	r->n--;
	return *r->p++;
}

/* A text up to 0xFF (or the end), at most 300 bytes, NUL-free. */
static void next_text(struct reader *r, char *buf, size_t len)
{
	size_t k = 0;
	int c;
	while ((c = next_byte(r)) >= 0 && c != 0xFF)
		if (k + 1 < len && k < 300 && c != 0)
			buf[k++] = (char)c;
	buf[k] = '\0';
}

static double next_number(struct reader *r)
{
	int a = next_byte(r), b = next_byte(r);
	if (a < 0 || b < 0)
		return 0;
	static const double special[] = { 0, -1, 1, 0.5, 1e15, -1e15, 1e300, NAN, INFINITY };
	if (a >= 0xF0)
		return special[(unsigned)(a - 0xF0) % (sizeof special / sizeof special[0])];
	return (double)((a << 8 | b) - 0x8000) / ((a & 1) ? 100.0 : 1.0);
}

static struct range next_range(struct reader *r)
{
	int shape = next_byte(r);
	double x = next_number(r), y = next_number(r);
	struct range g;
	switch ((shape < 0 ? 0 : shape) % 4) {
	case 0:
		g = range_at_least(x);
		break;
	case 1:
		g = range_at_most(x);
		break;
	default:
		g = range_between(fmin(x, y), fmax(x, y));
		break;
	}
	g.alert_inside = shape >= 0 && (shape & 0x10);
	return g;
}

static void check_rule(const struct subcheck *sc)
{
	state_t st = subcheck_state(sc);
	for (size_t i = 0; i < subcheck_metric_count(sc); i++)
		if (state_worst(st, metric_state(subcheck_metric_at(sc, i))) != st)
			fuzz_fail("a subcheck is better than its metric's verdict");
	for (size_t i = 0; i < subcheck_count(sc); i++) {
		if (state_worst(st, subcheck_state(subcheck_child(sc, i))) != st)
			fuzz_fail("a subcheck is better than its child");
		check_rule(subcheck_child(sc, i));
	}
}

static void check_outputs(const struct check *c)
{
	size_t n;
	char *text = render_check(c, FORMAT_TEXT, "FUZZ", &n);
	if (n != strlen(text) || n > OUTPUT_MAX)
		fuzz_fail("text output of %zu bytes", n);
	size_t line = strcspn(text, "\n");
	const char *bar = memmem(text, line, " | ", 3);
	size_t head = bar ? (size_t)(bar - text) : line;
	if (text_chars(text, head) > LINE1_MAX)
		fuzz_fail("line 1 of %zu characters", text_chars(text, head));
	char want[64];
	snprintf(want, sizeof want, "KMS FUZZ %s", state_name(check_state(c)));
	if (strncmp(text, want, strlen(want)) != 0)
		fuzz_fail("line 1 does not start with \"%s\"", want);

	char *js = render_check(c, FORMAT_JSON, "FUZZ", &n);
	json_error_t e;
	json_t *doc = json_loads(js, 0, &e);
	if (!doc)
		fuzz_fail("JSON does not parse: %s", e.text);
	const char *st = json_string_value(json_object_get(doc, "state"));
	const char *summary = json_string_value(json_object_get(doc, "summary"));
	if (!st || strcmp(st, state_name(check_state(c))) != 0)
		fuzz_fail("JSON state differs");
	size_t pre = strlen(want);
	const char *s1 = head > pre + 3 ? text + pre + 3 : "";
	size_t l1 = head > pre + 3 ? head - pre - 3 : 0;
	/* the JSON summary is line 1's, with the bytes that are not UTF-8
	 * replaced (text_utf8_scrub; render falls back to ASCII only when
	 * jansson is stricter still) */
	char *scrubbed = strndup(s1, l1), *ascii = strndup(s1, l1);
	if (!scrubbed || !ascii)
		abort();
	text_utf8_scrub(scrubbed);
	for (char *q = ascii; *q; q++)
		if ((unsigned char)*q >= 0x80)
			*q = '?';
	if (!summary || (strcmp(summary, scrubbed) != 0 && strcmp(summary, ascii) != 0))
		fuzz_fail("JSON summary is not line 1's");
	free(scrubbed);
	free(ascii);
	json_decref(doc);
	free(js);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct check *c = check_new();
	struct subcheck *top = NULL, *last = NULL;
	char text[512];
	int op;
	for (int ops = 0; ops < 200 && (op = next_byte(&r)) >= 0; ops++) {
		switch (op % 9) {
		case 0:
			next_text(&r, text, sizeof text);
			top = last = check_add(c, "%s", text);
			break;
		case 1:
			next_text(&r, text, sizeof text);
			if (last)
				last = subcheck_add(last, "%s", text);
			break;
		case 2:
			if (last)
				subcheck_set_state(last, (state_t)(next_byte(&r) & 7));
			break;
		case 3:
			if (last)
				subcheck_set_default(last, (state_t)(next_byte(&r) & 7));
			break;
		case 4:
			next_text(&r, text, sizeof text);
			if (top)
				subcheck_headline(top, "%s", text);
			break;
		case 5: {
			next_text(&r, text, sizeof text);
			struct range w = next_range(&r), k = next_range(&r);
			int which = next_byte(&r);
			struct thresholds th = thresholds_of(which & 1 ? &w : NULL, which & 2 ? &k : NULL);
			struct metric m = METRIC(text, next_number(&r));
			m.th = which & 4 ? NULL : &th;
			m.min = which & 8 ? 0 : NAN;
			m.uom = which & 16 ? "s" : (which & 32 ? "furlongs" : "");
			if (last)
				subcheck_metric(last, m);
			break;
		}
		case 6:
			next_text(&r, text, sizeof text);
			check_note(c, "%s", text);
			break;
		case 7:
			next_text(&r, text, sizeof text);
			check_summary_ok(c, "%s", text);
			break;
		default:
			last = top; /* back up to the top level */
			break;
		}
	}
	for (size_t i = 0; i < check_count(c); i++)
		check_rule(check_child(c, i));
	check_outputs(c);
	check_free(c);
	return 0;
}
