/* test_result.c - unit tests of the result model (common/result.c) and of
 * what render.c makes of it: the state rule, metric verdicts at range
 * boundaries, line 1 of the model, the JSON document (parsed back with
 * jansson and compared as a tree) and output_format_parse. test_output.c
 * covers the text layout (cap, cleaning, perfdata text) and the exits. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "result.h"
#include "text.h"
#include "unit.h"

#define NONE (-1) /* no explicit state / no default in a table row */

/* --- the state rule ------------------------------------------------------ */

/* The metric of a row: none, one judged by warn ~:10 crit ~:20, or one
 * graphed only (no thresholds). */
enum mkind { M_NONE, M_JUDGED, M_GRAPH };

struct state_case {
	const char *name;
	int explicit_st;      /* subcheck_set_state(), or NONE */
	int dflt;             /* subcheck_set_default(), or NONE */
	enum mkind metric;
	double value;         /* the metric's value */
	int kids[3];          /* explicit states of leaf children, NONE ends */
	state_t want;
};

#define K0 { NONE, NONE, NONE }
#define OK STATE_OK
#define WA STATE_WARNING
#define CR STATE_CRITICAL
#define UN STATE_UNKNOWN

static const struct state_case state_cases[] = {
	{ "nothing at all: OK", NONE, NONE, M_NONE, 0, K0, OK },
	{ "default only", NONE, WA, M_NONE, 0, K0, WA },
	{ "default UNKNOWN only", NONE, UN, M_NONE, 0, K0, UN },
	{ "explicit only", CR, NONE, M_NONE, 0, K0, CR },
	{ "explicit WARNING only", WA, NONE, M_NONE, 0, K0, WA },
	{ "explicit OK beats the default", OK, CR, M_NONE, 0, K0, OK },
	{ "explicit UNKNOWN, default OK", UN, OK, M_NONE, 0, K0, UN },
	{ "metric only, OK", NONE, NONE, M_JUDGED, 5, K0, OK },
	{ "metric only, WARNING", NONE, NONE, M_JUDGED, 15, K0, WA },
	{ "metric only, CRITICAL", NONE, NONE, M_JUDGED, 25, K0, CR },
	{ "an OK metric decides: the default is not used", NONE, CR, M_JUDGED, 5, K0, OK },
	{ "a graphed metric decides nothing: default", NONE, WA, M_GRAPH, 25, K0, WA },
	{ "a graphed metric alone: OK", NONE, NONE, M_GRAPH, 1e9, K0, OK },
	{ "NaN metric judges nothing: default", NONE, WA, M_JUDGED, NAN, K0, WA },
	{ "infinite metric judges nothing: default", NONE, UN, M_JUDGED, INFINITY, K0, UN },
	{ "-inf metric judges nothing: OK", NONE, NONE, M_JUDGED, -INFINITY, K0, OK },
	{ "children only, worst", NONE, NONE, M_NONE, 0, { OK, CR, NONE }, CR },
	{ "children only, all OK: default not used", NONE, CR, M_NONE, 0, { OK, OK, NONE }, OK },
	{ "children: WARNING beats UNKNOWN", NONE, NONE, M_NONE, 0, { UN, WA, NONE }, WA },
	{ "children: UNKNOWN beats OK", NONE, NONE, M_NONE, 0, { OK, UN, OK }, UN },
	{ "children: CRITICAL beats all", NONE, NONE, M_NONE, 0, { UN, CR, WA }, CR },
	{ "explicit OK under a CRITICAL metric: CRITICAL", OK, NONE, M_JUDGED, 25, K0, CR },
	{ "explicit OK under a WARNING metric: WARNING", OK, NONE, M_JUDGED, 15, K0, WA },
	{ "explicit CRITICAL with an OK metric stays", CR, NONE, M_JUDGED, 5, K0, CR },
	{ "explicit UNKNOWN, WARNING metric: WARNING", UN, NONE, M_JUDGED, 15, K0, WA },
	{ "explicit UNKNOWN, OK metric: UNKNOWN", UN, NONE, M_JUDGED, 5, K0, UN },
	{ "explicit UNKNOWN, WARNING child: WARNING", UN, NONE, M_NONE, 0, { WA, NONE, NONE }, WA },
	{ "explicit WARNING, UNKNOWN child: WARNING", WA, NONE, M_NONE, 0, { UN, NONE, NONE }, WA },
	{ "explicit OK, CRITICAL child: CRITICAL", OK, NONE, M_NONE, 0, { CR, NONE, NONE }, CR },
	{ "metric WARNING, child UNKNOWN: WARNING", NONE, NONE, M_JUDGED, 15, { UN, NONE, NONE }, WA },
	{ "metric OK, child CRITICAL: CRITICAL", NONE, NONE, M_JUDGED, 5, { CR, NONE, NONE }, CR },
	{ "all three, worst is the metric", WA, OK, M_JUDGED, 25, { UN, OK, NONE }, CR },
};

static struct thresholds warn10_crit20(void)
{
	struct range w = range_at_most(10), c = range_at_most(20);
	return thresholds_of(&w, &c);
}

START_TEST(state_rule_table)
{
	const struct state_case *t = &state_cases[_i];
	struct check *c = check_new();
	struct subcheck *sc = check_add(c, "subject");
	struct thresholds th = warn10_crit20();
	if (t->explicit_st != NONE)
		subcheck_set_state(sc, (state_t)t->explicit_st);
	if (t->dflt != NONE)
		subcheck_set_default(sc, (state_t)t->dflt);
	if (t->metric != M_NONE) {
		struct metric m = METRIC("m", t->value);
		m.th = t->metric == M_JUDGED ? &th : NULL;
		subcheck_metric(sc, m);
		ck_assert_uint_eq(subcheck_metric_count(sc), isfinite(t->value) ? 1 : 0);
	}
	for (size_t k = 0; k < 3 && t->kids[k] != NONE; k++)
		subcheck_set_state(subcheck_add(sc, "kid %zu", k), (state_t)t->kids[k]);
	ck_assert_msg(subcheck_state(sc) == t->want, "%s: got %s, want %s", t->name,
		      state_name(subcheck_state(sc)), state_name(t->want));
	/* the check's state is its one top-level subcheck's */
	ck_assert_int_eq(check_state(c), t->want);
	check_free(c);
}
END_TEST

/* State climbs three levels; the check is the worst top-level subcheck. */
START_TEST(state_nested_three_levels)
{
	struct check *c = check_new();
	struct subcheck *top = check_add(c, "top");
	struct subcheck *mid = subcheck_add(top, "mid");
	subcheck_set_state(mid, STATE_OK); /* an explicit OK hides nothing below */
	struct subcheck *leaf = subcheck_add(mid, "leaf");
	struct thresholds th = warn10_crit20();
	struct metric m = METRIC("v", 15);
	m.th = &th;
	subcheck_metric(leaf, m);
	struct subcheck *other = check_add(c, "other");
	subcheck_set_state(other, STATE_UNKNOWN);
	ck_assert_int_eq(subcheck_state(leaf), STATE_WARNING);
	ck_assert_int_eq(subcheck_state(mid), STATE_WARNING);
	ck_assert_int_eq(subcheck_state(top), STATE_WARNING);
	ck_assert_int_eq(check_state(c), STATE_WARNING);
	subcheck_set_state(subcheck_add(mid, "leaf2"), STATE_CRITICAL);
	ck_assert_int_eq(subcheck_state(leaf), STATE_WARNING);
	ck_assert_int_eq(subcheck_state(mid), STATE_CRITICAL);
	ck_assert_int_eq(subcheck_state(top), STATE_CRITICAL);
	ck_assert_int_eq(check_state(c), STATE_CRITICAL);
	/* the tree as read back */
	ck_assert_uint_eq(check_count(c), 2);
	ck_assert_ptr_eq(check_child(c, 0), top);
	ck_assert_ptr_eq(check_child(c, 1), other);
	ck_assert_ptr_null(check_child(c, 2));
	ck_assert_uint_eq(subcheck_count(top), 1);
	ck_assert_ptr_eq(subcheck_child(top, 0), mid);
	ck_assert_ptr_null(subcheck_child(top, 1));
	ck_assert_uint_eq(subcheck_count(mid), 2);
	ck_assert_str_eq(subcheck_output(subcheck_child(mid, 1)), "leaf2");
	ck_assert_uint_eq(subcheck_count(leaf), 0);
	check_free(c);
}
END_TEST

/* A check without subchecks is OK, whatever else it holds. */
START_TEST(state_of_empty_check)
{
	struct check *c = check_new();
	check_note(c, "only a note");
	check_summary_ok(c, "nothing to do");
	ck_assert_int_eq(check_state(c), STATE_OK);
	ck_assert_uint_eq(check_count(c), 0);
	check_free(c);
	check_free(NULL);
}
END_TEST

/* The thresholds, label and unit are copied: the caller's may change or
 * go away after subcheck_metric(). */
START_TEST(metric_copied)
{
	struct check *c = check_new();
	struct subcheck *sc = check_add(c, "s");
	struct thresholds th = warn10_crit20();
	char label[16] = "time", uom[4] = "s";
	struct metric m = METRIC(label, 15);
	m.uom = uom;
	m.th = &th;
	m.min = 0;
	subcheck_metric(sc, m);
	th.warn = range_at_most(100);
	th.has_crit = false;
	strcpy(label, "other");
	strcpy(uom, "ms");
	const struct metric *got = subcheck_metric_at(sc, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_ne(got->th, &th);
	ck_assert_ptr_ne(got->label, label);
	ck_assert_str_eq(got->label, "time");
	ck_assert_str_eq(got->uom, "s");
	ck_assert(got->th->has_warn && got->th->has_crit);
	ck_assert(got->th->warn.end == 10 && got->th->crit.end == 20);
	ck_assert(got->value == 15 && got->min == 0 && isnan(got->max));
	ck_assert_int_eq(subcheck_state(sc), STATE_WARNING);
	ck_assert_ptr_null(subcheck_metric_at(sc, 1));
	/* many more metrics: the first one's thresholds never move */
	for (int i = 0; i < 100; i++)
		subcheck_metric(sc, m);
	ck_assert_str_eq(subcheck_metric_at(sc, 0)->label, "time");
	ck_assert(subcheck_metric_at(sc, 0)->th->warn.end == 10);
	ck_assert(subcheck_metric_at(sc, 100)->th->warn.end == 100);
	ck_assert_int_eq(subcheck_state(sc), STATE_WARNING);
	/* without thresholds the copy has none; a NULL uom is ""; an empty
	 * label is "unnamed"; the label is cleaned */
	struct metric g = METRIC("a|b", 1);
	g.uom = NULL;
	subcheck_metric(sc, g);
	subcheck_metric(sc, METRIC("", 2));
	const struct metric *m1 = subcheck_metric_at(sc, 101), *m2 = subcheck_metric_at(sc, 102);
	ck_assert_ptr_null(m1->th);
	ck_assert_str_eq(m1->label, "a/b");
	ck_assert_str_eq(m1->uom, "");
	ck_assert_str_eq(m2->label, "unnamed");
	check_free(c);
}
END_TEST

/* --- metric_state at range boundaries ----------------------------------- */

struct metric_case {
	const char *warn, *crit; /* range texts, NULL unset */
	double value;
	state_t want;
};

static const struct metric_case metric_cases[] = {
	/* warn 10 (0..10 fine), crit 20 (0..20 fine) */
	{ "10", "20", 0, OK },
	{ "10", "20", 10, OK },       /* exactly at warn's end */
	{ "10", "20", 10.001, WA },
	{ "10", "20", 11, WA },       /* one past */
	{ "10", "20", 20, WA },       /* exactly at crit's end */
	{ "10", "20", 21, CR },
	{ "10", "20", -0.001, CR },   /* below both starts */
	/* at least: 10: warns below 10, 5: is critical below 5 */
	{ "10:", "5:", 10, OK },
	{ "10:", "5:", 9.999, WA },
	{ "10:", "5:", 9, WA },
	{ "10:", "5:", 5, WA },
	{ "10:", "5:", 4, CR },
	{ "10:", "5:", 1e12, OK },
	/* at most */
	{ "~:10", "~:20", -1e12, OK },
	{ "~:10", "~:20", 10, OK },
	{ "~:10", "~:20", 11, WA },
	{ "~:10", "~:20", 21, CR },
	/* inside ranges alert on their bounds too */
	{ "@10:20", "@15:16", 9.99, OK },
	{ "@10:20", "@15:16", 10, WA },
	{ "@10:20", "@15:16", 14.99, WA },
	{ "@10:20", "@15:16", 15, CR },
	{ "@10:20", "@15:16", 16, CR },
	{ "@10:20", "@15:16", 16.01, WA },
	{ "@10:20", "@15:16", 20, WA },
	{ "@10:20", "@15:16", 20.01, OK },
	/* one side only */
	{ NULL, "~:5", 5, OK },
	{ NULL, "~:5", 6, CR },
	{ "~:5", NULL, 6, WA },
	{ "~:5", NULL, 1e9, WA },
	{ NULL, NULL, 1e9, OK },      /* neither: not judged */
};

START_TEST(metric_state_table)
{
	const struct metric_case *t = &metric_cases[_i];
	struct thresholds th;
	char err[KMS_ERRLEN];
	ck_assert_msg(thresholds_parse(&th, t->warn, t->crit, 0, err), "%s", err);
	struct metric m = METRIC("m", t->value);
	m.th = &th;
	ck_assert_msg(metric_state(&m) == t->want, "warn %s crit %s value %g: got %s, want %s",
		      t->warn ? t->warn : "-", t->crit ? t->crit : "-", t->value,
		      state_name(metric_state(&m)), state_name(t->want));
	ck_assert(metric_judged(&m) == (t->warn || t->crit));
	/* the same verdict once stored on a subcheck */
	struct check *c = check_new();
	struct subcheck *sc = check_add(c, "s");
	subcheck_metric(sc, m);
	ck_assert_int_eq(metric_state(subcheck_metric_at(sc, 0)), t->want);
	ck_assert_int_eq(subcheck_state(sc), t->want);
	check_free(c);
}
END_TEST

START_TEST(metric_without_thresholds_is_ok)
{
	struct metric m = METRIC("m", -1e300);
	ck_assert(!metric_judged(&m));
	ck_assert_int_eq(metric_state(&m), STATE_OK);
	struct thresholds none = thresholds_of(NULL, NULL);
	m.th = &none;
	ck_assert(!metric_judged(&m));
	ck_assert_int_eq(metric_state(&m), STATE_OK);
}
END_TEST

/* --- line 1 on the model --------------------------------------------------- */

static char *text_of(const struct check *c)
{
	size_t n;
	char *s = render_check(c, FORMAT_TEXT, "TEST", &n);
	ck_assert_uint_eq(n, strlen(s));
	return s;
}

#define ASSERT_TEXT(c, want)                      \
	do {                                      \
		char *got_ = text_of(c);          \
		ck_assert_str_eq(got_, want);     \
		free(got_);                       \
	} while (0)

START_TEST(line1_ok_summary_or_all_headlines)
{
	struct check *c = check_new();
	check_add(c, "first");
	check_add(c, "second");
	ASSERT_TEXT(c, "KMS TEST OK - first; second\n[OK] first\n[OK] second\n");
	check_summary_ok(c, "2 hosts fine");
	ASSERT_TEXT(c, "KMS TEST OK - 2 hosts fine\n[OK] first\n[OK] second\n");
	ck_assert_str_eq(check_ok_summary(c), "2 hosts fine");
	check_free(c);
	/* a parent and a leaf: both headlines on line 1, the leaves below */
	c = check_new();
	struct subcheck *p = check_add(c, "parent");
	subcheck_add(p, "kid 1");
	subcheck_add(p, "kid 2");
	check_add(c, "leaf");
	ck_assert_ptr_null(check_ok_summary(c));
	ASSERT_TEXT(c, "KMS TEST OK - parent; leaf\n[OK] kid 1\n[OK] kid 2\n[OK] leaf\n");
	check_free(c);
	/* only an OK summary */
	c = check_new();
	check_summary_ok(c, "nothing to check");
	ASSERT_TEXT(c, "KMS TEST OK - nothing to check\n");
	check_free(c);
}
END_TEST

/* Not OK: the headlines of the non-OK top-level subchecks only. A parent
 * has no long line; its children do; a child's headline is never on line 1. */
START_TEST(line1_headlines_top_level_only)
{
	struct check *c = check_new();
	check_summary_ok(c, "all fine"); /* not shown: the check is not OK */
	struct subcheck *hosts = check_add(c, "hosts");
	subcheck_headline(hosts, "2 of 3 hosts down");
	struct subcheck *h1 = subcheck_add(hosts, "h1 down");
	subcheck_set_state(h1, STATE_CRITICAL);
	subcheck_headline(h1, "h1 headline");
	subcheck_set_state(subcheck_add(hosts, "h2 down"), STATE_CRITICAL);
	subcheck_add(hosts, "h3 up");
	struct subcheck *ok = check_add(c, "dns fine");
	subcheck_headline(ok, "dns headline");
	struct subcheck *slow = check_add(c, "disk slow"); /* headline = output */
	subcheck_set_state(slow, STATE_WARNING);
	ck_assert_str_eq(subcheck_headline_text(slow), "disk slow");
	ck_assert_str_eq(subcheck_headline_text(hosts), "2 of 3 hosts down");
	ck_assert_str_eq(subcheck_output(hosts), "hosts");
	ASSERT_TEXT(c, "KMS TEST CRITICAL - 2 of 3 hosts down; disk slow\n"
		       "[CRITICAL] h1 down\n"
		       "[CRITICAL] h2 down\n"
		       "[WARNING] disk slow\n"
		       "[OK] h3 up\n"
		       "[OK] dns fine\n");
	check_free(c);
	/* a parent without a headline: its output on line 1, nowhere else */
	c = check_new();
	struct subcheck *p = check_add(c, "records");
	subcheck_set_state(subcheck_add(p, "_vlmcs._tcp missing"), STATE_WARNING);
	ASSERT_TEXT(c, "KMS TEST WARNING - records\n[WARNING] _vlmcs._tcp missing\n");
	check_free(c);
}
END_TEST

/* A line-1 text too long is shown whole below it, untagged, before the
 * leaves (the output contract: the reader finds the whole sentence on line
 * 2), even when a leaf's own line repeats it. */
START_TEST(line1_cut_text_shown_whole)
{
	char longer[200];
	snprintf(longer, sizeof longer, "%s", "kms01.branch-office.corp.example: KMS answers "
		 "on port 1688 but the host key is not licensed for Windows Server 2025");
	const char *cut = "kms01.branch-office.corp.example: KMS answers on port 1688 but the host key is...";
	char want[600];

	/* OK, no summary: the headlines joined, cut, and whole below */
	struct check *c = check_new();
	check_add(c, "%s", longer);
	check_add(c, "second");
	snprintf(want, sizeof want, "KMS TEST OK - %s\n%s; +1 more\n[OK] %s\n[OK] second\n",
		 "kms01.branch-office.corp.example: KMS answers on port 1688 but the host key is not...",
		 longer, longer);
	ASSERT_TEXT(c, want);
	check_free(c);

	/* one failing leaf without a headline: its output is the headline */
	c = check_new();
	subcheck_set_state(check_add(c, "%s", longer), STATE_UNKNOWN);
	check_add(c, "second");
	snprintf(want, sizeof want, "KMS TEST UNKNOWN - %s\n%s\n[UNKNOWN] %s\n[OK] second\n", cut,
		 longer, longer);
	ASSERT_TEXT(c, want);
	check_free(c);

	/* a parent's output has no line of its own: shown whole */
	c = check_new();
	subcheck_add(check_add(c, "%s", longer), "kid");
	snprintf(want, sizeof want, "KMS TEST OK - %s\n%s\n[OK] kid\n",
		 "kms01.branch-office.corp.example: KMS answers on port 1688 but the host key is not...",
		 longer);
	ASSERT_TEXT(c, want);
	check_free(c);

	/* a headline that differs from the output: shown whole */
	c = check_new();
	struct subcheck *sc = check_add(c, "short output");
	subcheck_set_state(sc, STATE_UNKNOWN);
	subcheck_headline(sc, "%s", longer);
	snprintf(want, sizeof want, "KMS TEST UNKNOWN - %s\n%s\n[UNKNOWN] short output\n", cut,
		 longer);
	ASSERT_TEXT(c, want);
	check_free(c);
}
END_TEST

/* --- the JSON document ---------------------------------------------------- */

/* render_check() in a JSON format: one line ending in "\n", the same for
 * json and mp-test-json, parsed back. */
static json_t *json_of(const struct check *c)
{
	size_t n, n2;
	char *s = render_check(c, FORMAT_JSON, "TEST", &n);
	char *s2 = render_check(c, FORMAT_MP_TEST_JSON, "TEST", &n2);
	ck_assert_uint_eq(n, strlen(s));
	ck_assert_str_eq(s, s2);
	ck_assert(n > 1 && s[n - 1] == '\n');
	ck_assert_ptr_eq(strchr(s, '\n'), s + n - 1);
	json_error_t je;
	json_t *doc = json_loads(s, JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(doc != NULL, "%s at %d: %s", je.text, je.position, s);
	free(s);
	free(s2);
	return doc;
}

/* got must equal the tree in want (JSON text); integers and reals differ. */
static void assert_tree(json_t *got, const char *want)
{
	json_error_t je;
	json_t *w = json_loads(want, JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(w != NULL, "expected tree: %s: %s", je.text, want);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
	char *ws = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(json_equal(got, w), "got  %s\nwant %s", g, ws);
	free(g);
	free(ws);
	json_decref(w);
}

/* Line 1's summary from the text: after "KMS TEST STATE - ", before " | ". */
static char *text_summary(const struct check *c)
{
	char *t = text_of(c);
	const char *s = t + strlen("KMS TEST ") + strlen(state_name(check_state(c)));
	size_t n = 0;
	if (strncmp(s, " - ", 3) == 0) {
		s += 3;
		n = strcspn(s, "\n");
		const char *bar = strstr(s, " | ");
		if (bar && (size_t)(bar - s) < n)
			n = (size_t)(bar - s);
	}
	char *out = strndup(s, n);
	free(t);
	return out;
}

static void assert_summary_agrees(const struct check *c, json_t *doc)
{
	char *want = text_summary(c);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "summary")), want);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "state")),
			 state_name(check_state(c)));
	free(want);
}

START_TEST(json_tree_exact)
{
	struct check *c = check_new();
	struct subcheck *host = check_add(c, "host kms01");
	subcheck_headline(host, "kms01: count 12 below 25");
	struct range w1 = range_at_most(1), c1 = range_at_most(5);
	struct thresholds t_time = thresholds_of(&w1, &c1);
	subcheck_metric(subcheck_add(host, "kms01 answers in 3 ms"),
			unit_metric("time", 0.003, "s", &t_time, 0, NAN));
	struct range w2 = range_at_least(30), c2 = range_at_least(25);
	struct thresholds t_count = thresholds_of(&w2, &c2);
	subcheck_metric(subcheck_add(host, "kms01 count 12"),
			unit_metric("count", 12, "", &t_count, 0, 50));
	struct subcheck *dns = check_add(c, "DNS: 2 records");
	subcheck_metric(dns, METRIC("records", 2));
	struct thresholds t_in;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&t_in, "@10:20", NULL, 0, err));
	subcheck_metric(dns, unit_metric("ratio", 2.5, "%", &t_in, NAN, 100.5));
	struct subcheck *l2 = subcheck_add(check_add(c, "level 1"), "level 2");
	subcheck_set_state(subcheck_add(l2, "level 3"), STATE_WARNING);
	check_note(c, "Forecast: stable");
	check_note(c, "second note");

	json_t *doc = json_of(c);
	assert_tree(doc,
		"{\"state\":\"CRITICAL\",\"summary\":\"kms01: count 12 below 25; level 1\","
		" \"checks\":["
		"  {\"output\":\"host kms01\",\"state\":\"CRITICAL\",\"checks\":["
		"    {\"output\":\"kms01 answers in 3 ms\",\"state\":\"OK\",\"perfdata\":["
		"      {\"label\":\"time\",\"value\":0.003,\"uom\":\"s\","
		"       \"warn\":{\"start\":\"-inf\",\"end\":1,\"alert_on_inside\":false},"
		"       \"crit\":{\"start\":\"-inf\",\"end\":5,\"alert_on_inside\":false},\"min\":0}]},"
		"    {\"output\":\"kms01 count 12\",\"state\":\"CRITICAL\",\"perfdata\":["
		"      {\"label\":\"count\",\"value\":12,\"uom\":\"\","
		"       \"warn\":{\"start\":30,\"end\":\"inf\",\"alert_on_inside\":false},"
		"       \"crit\":{\"start\":25,\"end\":\"inf\",\"alert_on_inside\":false},"
		"       \"min\":0,\"max\":50}]}]},"
		"  {\"output\":\"DNS: 2 records\",\"state\":\"OK\",\"perfdata\":["
		"    {\"label\":\"records\",\"value\":2,\"uom\":\"\"},"
		"    {\"label\":\"ratio\",\"value\":2.5,\"uom\":\"%\","
		"     \"warn\":{\"start\":10,\"end\":20,\"alert_on_inside\":true},\"max\":100.5}]},"
		"  {\"output\":\"level 1\",\"state\":\"WARNING\",\"checks\":["
		"    {\"output\":\"level 2\",\"state\":\"WARNING\",\"checks\":["
		"      {\"output\":\"level 3\",\"state\":\"WARNING\"}]}]}],"
		" \"notes\":[\"Forecast: stable\",\"second note\"]}");
	assert_summary_agrees(c, doc);
	json_decref(doc);
	check_free(c);
}
END_TEST

/* Absent parts are left out: no notes, no perfdata, no checks on a leaf;
 * an empty check is state, summary "" and no checks. */
START_TEST(json_absent_fields_left_out)
{
	struct check *c = check_new();
	json_t *doc = json_of(c);
	assert_tree(doc, "{\"state\":\"OK\",\"summary\":\"\",\"checks\":[]}");
	assert_summary_agrees(c, doc);
	json_decref(doc);
	struct subcheck *sc = check_add(c, "leaf");
	struct metric m = METRIC("bad_unit", 1);
	m.uom = "furlongs"; /* not a Nagios unit: "" as in the text */
	subcheck_metric(sc, m);
	subcheck_metric(sc, METRIC("nan", NAN)); /* left out */
	doc = json_of(c);
	assert_tree(doc, "{\"state\":\"OK\",\"summary\":\"leaf\",\"checks\":[{\"output\":\"leaf\","
			 "\"state\":\"OK\",\"perfdata\":[{\"label\":\"bad_unit\",\"value\":1,"
			 "\"uom\":\"\"}]}]}");
	json_decref(doc);
	check_free(c);
}
END_TEST

/* A value that is a whole number (below 2^53-ish) is a JSON integer, any
 * other a real; min and max the same. */
struct num_case {
	double v;
	bool integer;
};

static const struct num_case num_cases[] = {
	{ 0, true }, { -0.0, true }, { 12, true }, { -3, true }, { 1e15, true },
	{ 2.5, false }, { 0.003, false }, { -95.99, false }, { 1e16, false },
	{ 1e-7, false },
};

START_TEST(json_integer_or_real)
{
	const struct num_case *t = &num_cases[_i];
	struct check *c = check_new();
	subcheck_metric(check_add(c, "n"), unit_metric("v", t->v, "", NULL, t->v, t->v));
	json_t *doc = json_of(c);
	json_t *pd = json_array_get(json_object_get(json_array_get(json_object_get(doc, "checks"),
								   0), "perfdata"), 0);
	static const char *const keys[] = { "value", "min", "max" };
	for (size_t k = 0; k < 3; k++) {
		json_t *v = json_object_get(pd, keys[k]);
		ck_assert_msg(t->integer ? json_is_integer(v) : json_is_real(v), "%g %s: wrong type",
			      t->v, keys[k]);
		ck_assert_msg(json_number_value(v) == t->v, "%g %s: %g", t->v, keys[k],
			      json_number_value(v));
	}
	json_decref(doc);
	check_free(c);
}
END_TEST

/* The summary is line 1's text exactly: cut with "...", headlines joined,
 * "+N more", cleaned. */
START_TEST(json_summary_is_line1)
{
	struct check *c = check_new();
	for (int i = 0; i < 12; i++)
		subcheck_set_state(check_add(c, "client%02d grace", i),
				   i % 2 ? STATE_WARNING : STATE_CRITICAL);
	subcheck_metric((struct subcheck *)check_child(c, 0), METRIC("n", 12));
	json_t *doc = json_of(c);
	assert_summary_agrees(c, doc);
	const char *s = json_string_value(json_object_get(doc, "summary"));
	/* critical first: 00, 02, 04, 06 fit in 80 characters with "; +8 more" */
	ck_assert_str_eq(s, "client00 grace; client02 grace; client04 grace; client06 grace; +8 more");
	json_decref(doc);
	check_free(c);

	c = check_new();
	subcheck_headline(check_add(c, "x"), "a|b");
	subcheck_set_state((struct subcheck *)check_child(c, 0), STATE_WARNING);
	subcheck_headline((struct subcheck *)check_child(c, 0), "%s",
			  "a very long headline that will not fit on the first line of the "
			  "output, so it is cut at a word and continued below");
	doc = json_of(c);
	assert_summary_agrees(c, doc);
	s = json_string_value(json_object_get(doc, "summary"));
	ck_assert_str_eq(s + strlen(s) - 3, "...");
	json_decref(doc);
	check_free(c);
}
END_TEST

/* Text that is not UTF-8 (a peer's name) cannot be a JSON string: each
 * byte that is not part of a valid sequence becomes '?', the valid text
 * around it stays (JSON escapes it as \uXXXX). */
struct utf8_case {
	const char *in, *want;
};

static const struct utf8_case utf8_cases[] = {
	{ "caf\xc3\xa9 \xff host", "caf\xc3\xa9 ? host" },
	{ "Z\xc3\xbcrich \xfe\xfe", "Z\xc3\xbcrich ??" },
	{ "n\xc3\xa9 \xc3", "n\xc3\xa9 ?" },                 /* a sequence cut at the end */
	{ "\xc3(", "?(" },                                   /* a lead byte without its tail */
	{ "\xc0\xaf", "??" },                                /* overlong '/' */
	{ "\xed\xa0\x80x", "???x" },                         /* a UTF-16 surrogate */
	{ "\xf4\x90\x80\x80", "????" },                      /* above U+10FFFF */
	{ "\xf0\x9f\x98\x80 \xe6\x9d\xb1", "\xf0\x9f\x98\x80 \xe6\x9d\xb1" }, /* valid stays */
	{ "\x80\xbf", "??" },                                /* lone continuations */
};

START_TEST(json_invalid_utf8_replaced)
{
	const struct utf8_case *t = &utf8_cases[_i];
	struct check *c = check_new();
	check_summary_ok(c, "%s", t->in);
	struct subcheck *sc = check_add(c, "%s", t->in);
	char label[64];
	snprintf(label, sizeof label, "l %s", t->in);
	subcheck_metric(sc, METRIC(label, 1));
	check_note(c, "%s", t->in);
	json_t *doc = json_of(c);
	json_t *leaf = json_array_get(json_object_get(doc, "checks"), 0);
	char want_label[64];
	snprintf(want_label, sizeof want_label, "l %s", t->want);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "summary")), t->want);
	ck_assert_str_eq(json_string_value(json_object_get(leaf, "output")), t->want);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(doc, "notes"), 0)), t->want);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
				 json_object_get(leaf, "perfdata"), 0), "label")), want_label);
	json_decref(doc);
	check_free(c);
}
END_TEST

/* Every short byte sequence around the edges of UTF-8 (overlong, surrogate,
 * above U+10FFFF, cut short): what jansson takes is kept as it is, the rest
 * loses only its own bytes - the valid character after it always stays. */
START_TEST(json_invalid_utf8_keeps_valid_neighbours)
{
	static const unsigned char b2s[] = { 0x80, 0x9f, 0xa0, 0xbf, 'a' };
	static const unsigned char b3s[] = { 0x80, 0xbf, 'a' };
	static const unsigned char b4s[] = { 0x80, 0x8f, 0x90, 'a' };
	for (unsigned b1 = 0x80; b1 <= 0xff; b1++)
		for (size_t i = 0; i < sizeof b2s; i++)
			for (size_t j = 0; j < sizeof b3s; j++)
				for (size_t k = 0; k < sizeof b4s; k++) {
					char in[16];
					snprintf(in, sizeof in, "x%c%c%c%c\xe6\x9d\xb1", (char)b1,
						 (char)b2s[i], (char)b3s[j], (char)b4s[k]);
					struct check *c = check_new();
					check_note(c, "%s", in);
					json_t *doc = json_of(c);
					const char *got = json_string_value(
						json_array_get(json_object_get(doc, "notes"), 0));
					ck_assert_ptr_nonnull(got);
					text_clean(in); /* C1 controls become blanks first */
					json_t *direct = json_string(in);
					if (direct)
						ck_assert_str_eq(got, in);
					else
						ck_assert_msg(strlen(got) == strlen(in) &&
							      strcmp(got + strlen(got) - 3, "\xe6\x9d\xb1") == 0 &&
							      strchr(got, '?'),
							      "%02x %02x %02x %02x: %s", b1, b2s[i], b3s[j],
							      b4s[k], got);
					json_decref(direct);
					json_decref(doc);
					check_free(c);
				}
}
END_TEST

/* --- output_format_parse --------------------------------------------------- */

struct fmt_case {
	const char *name;
	bool ok;
	enum output_format want;
};

static const struct fmt_case fmt_cases[] = {
	{ "text", true, FORMAT_TEXT },
	{ "TEXT", true, FORMAT_TEXT },
	{ "Text", true, FORMAT_TEXT },
	{ "json", true, FORMAT_JSON },
	{ "JSON", true, FORMAT_JSON },
	{ "jSoN", true, FORMAT_JSON },
	{ "mp-test-json", true, FORMAT_MP_TEST_JSON },
	{ "MP-TEST-JSON", true, FORMAT_MP_TEST_JSON },
	{ "Mp-Test-Json", true, FORMAT_MP_TEST_JSON },
	{ "", false, FORMAT_TEXT },
	{ NULL, false, FORMAT_TEXT },
	{ "yaml", false, FORMAT_TEXT },
	{ "json ", false, FORMAT_TEXT },
	{ " json", false, FORMAT_TEXT },
	{ "jsonx", false, FORMAT_TEXT },
	{ "mp_test_json", false, FORMAT_TEXT },
	{ "mp-test", false, FORMAT_TEXT },
	{ "txt", false, FORMAT_TEXT },
};

START_TEST(output_format_parse_table)
{
	const struct fmt_case *t = &fmt_cases[_i];
	enum output_format f = (enum output_format)99;
	bool ok = output_format_parse(t->name, &f);
	ck_assert_msg(ok == t->ok, "\"%s\": %s", t->name ? t->name : "(null)",
		      ok ? "accepted" : "rejected");
	if (ok)
		ck_assert_int_eq(f, t->want);
	else
		ck_assert_int_eq(f, 99); /* left alone */
}
END_TEST

#define N(a) ((int)(sizeof a / sizeof a[0]))

/* A range perfdata cannot show does not judge: a NaN bound, an unscaled
 * percent range. An infinite bound is an open end, shown as "inf". */
START_TEST(metric_unshowable_range_dropped)
{
	struct check *c = check_new();
	struct subcheck *sc = check_add(c, "x");
	struct range nan_end = range_between(0, NAN), pct = range_at_most(5);
	pct.percent = true;
	struct thresholds th = thresholds_of(&nan_end, &pct);
	struct metric m = METRIC("v", 100);
	m.th = &th;
	subcheck_metric(sc, m);
	const struct metric *got = subcheck_metric_at(sc, 0);
	ck_assert(!got->th->has_warn && !got->th->has_crit);
	ck_assert(!metric_judged(got));
	ck_assert_int_eq(check_state(c), STATE_OK);

	struct range open = range_between(-INFINITY, 10);
	th = thresholds_of(NULL, &open);
	m = METRIC("w", 11);
	m.th = &th;
	subcheck_metric(sc, m);
	got = subcheck_metric_at(sc, 1);
	ck_assert(got->th->has_crit && got->th->crit.start_infinite);
	ck_assert_int_eq(check_state(c), STATE_CRITICAL);
	char *text = text_of(c);
	ck_assert_ptr_nonnull(strstr(text, "| v=100 w=11;;~:10\n"));
	free(text);
	check_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("result");
	TCase *tc = tcase_create("state");
	tcase_add_loop_test(tc, state_rule_table, 0, N(state_cases));
	tcase_add_test(tc, state_nested_three_levels);
	tcase_add_test(tc, state_of_empty_check);
	tcase_add_test(tc, metric_copied);
	tcase_add_loop_test(tc, metric_state_table, 0, N(metric_cases));
	tcase_add_test(tc, metric_without_thresholds_is_ok);
	tcase_add_test(tc, metric_unshowable_range_dropped);
	suite_add_tcase(s, tc);
	tc = tcase_create("line1");
	tcase_add_test(tc, line1_ok_summary_or_all_headlines);
	tcase_add_test(tc, line1_headlines_top_level_only);
	tcase_add_test(tc, line1_cut_text_shown_whole);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_test(tc, json_tree_exact);
	tcase_add_test(tc, json_absent_fields_left_out);
	tcase_add_loop_test(tc, json_integer_or_real, 0, N(num_cases));
	tcase_add_test(tc, json_summary_is_line1);
	tcase_add_loop_test(tc, json_invalid_utf8_replaced, 0, N(utf8_cases));
	tcase_add_test(tc, json_invalid_utf8_keeps_valid_neighbours);
	suite_add_tcase(s, tc);
	tc = tcase_create("format");
	tcase_add_loop_test(tc, output_format_parse_table, 0, N(fmt_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
