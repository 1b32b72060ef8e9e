/* check_kms_renewal - KMS clients about to lose their activation: licensed
 * clients that stopped renewing within the 180-day validity, clients whose
 * grace period runs out, and clients already unlicensed or in notification
 * mode, counted against -w/-c and the most urgent listed by name.
 *
 * Owns: the --exclude and --application filters (the deadline rule and
 * the at-risk class of a client in the --days window are common/
 * deadline.h's client_deadline and client_risk), and the
 * aggregation of the client inventory into counters, a bounded heap of the
 * --max-list most urgent clients (names copied) and per-HRESULT groups of
 * failing clients, so a 1M-client document is read in flat memory. A client
 * record is one machine and product (the loader refuses a second record of
 * a (CMID, product) pair; in a fleet the merge does), so "known" counts
 * (CMID, product) pairs: a machine with Windows and Office is known once in
 * each. Its product is the one sku.h's rule settles.
 *
 * The result (docs/DESIGN.md, "The result model"): one top-level subcheck,
 * its output the summary, judged by the at_risk metric (expiring + expired
 * against -w/-c, so the value judged is the value graphed); the listed
 * clients are its children, each at its own state (expired CRITICAL,
 * expiring WARNING, no deadline UNKNOWN) capped at at_risk's verdict, so no
 * line reads worse than the check and a child never changes its parent.
 *
 * A fleet (-u more than once): the hosts' inventories merged by (CMID,
 * product) into one (common/inventory.h), each client judged by its newest
 * record, by the same evaluation; see "a fleet" below. */
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deadline.h"
#include "doc.h"
#include "fleet.h"
#include "hgroups.h"
#include "inventory.h"
#include "options.h"
#include "output.h"
#include "range.h"
#include "sku.h"
#include "text.h"
#include "timeutil.h"
#include "vlog.h"
#include "xalloc.h"

#define DAY_S 86400.0
#define SOON_DAYS 7                 /* the "(N within 7 days)" sub-count */
#define MAX_EXCLUDES 32
#define DEFAULT_WARN_PCT 2.0        /* -w 2% */
#define DEFAULT_CRIT_PCT 10.0       /* -c 10% */
#define MAX_PRODUCTS 8              /* per-product known counts kept */

enum { OPT_DAYS = 256, OPT_EXCLUDE, OPT_APPLICATION, OPT_MAX_LIST };

struct config {
	long long days;
	long long max_list;
	const char *application;          /* NULL: every client */
	regex_t exclude[MAX_EXCLUDES];
	const char *exclude_text[MAX_EXCLUDES];
	size_t n_exclude;
};

/* One listed client: everything its output line needs, name copied. */
struct entry {
	char *name;               /* "pc01", "pc01 (Windows 10/11 Enterprise)" */
	enum client_risk v;       /* deadline.h: never RISK_FINE here */
	double deadline;          /* NAN for RISK_NO_DEADLINE */
	size_t index;             /* document order breaks ties */
	long long license_state;
	double last_request_at, last_success_at;
	bool failed;              /* last result is a non-zero HRESULT */
	uint32_t code;
};

struct gather {
	const struct config *cfg;
	double now, window_s, soon_end;
	size_t known, expiring, soon, expired, no_deadline;
	size_t excluded, other_app;
	double min_left;          /* seconds, INFINITY when no deadline seen */
	struct entry *heap;       /* max-heap on urgency: heap[0] least urgent kept */
	size_t n_heap, listed;    /* listed: every client that earns a line */
	/* known clients per product: application id (or NULL for the two
	 * unsettled kinds) and how many; the rest in by_app_other */
	struct {
		char app[40];
		const char *name;
		size_t n;
	} by_app[MAX_PRODUCTS];
	size_t n_by_app, by_app_other, ambiguous, unknown;
	size_t n_hosts;           /* hosts merged (a fleet), 0 for one document */
	/* last, so gather_init() zeroes what comes before and leaves the
	 * groups' 76 KB of tables to hgroups_init() */
	struct hgroups failing_by_code; /* clients whose last request failed */
};

/* ---- gather --------------------------------------------------------------- */

/* Urgency order: expired and expiring by deadline, then clients without a
 * deadline; document order within equals. true when a is more urgent. */
static bool more_urgent(const struct entry *a, const struct entry *b)
{
	bool ad = a->v != RISK_NO_DEADLINE, bd = b->v != RISK_NO_DEADLINE;
	if (ad != bd)
		return ad;
	if (ad && a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->index < b->index;
}

static void heap_sift_down(struct entry *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		if (l < n && more_urgent(&h[top], &h[l]))
			top = l;
		if (r < n && more_urgent(&h[top], &h[r]))
			top = r;
		if (top == i)
			return;
		struct entry t = h[i];
		h[i] = h[top];
		h[top] = t;
		i = top;
	}
}

static void heap_sift_up(struct entry *h, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!more_urgent(&h[parent], &h[i]))
			return;
		struct entry t = h[i];
		h[i] = h[parent];
		h[parent] = t;
		i = parent;
	}
}

/* Keep e when it is among the max_list most urgent seen so far. */
static void heap_offer(struct gather *g, const struct entry *e, const char *name)
{
	size_t cap = (size_t)g->cfg->max_list;
	if (cap == 0)
		return;
	if (g->n_heap == cap) {
		if (!more_urgent(e, &g->heap[0]))
			return;
		free(g->heap[0].name);
		g->heap[0] = *e;
		g->heap[0].name = strdup(name);
		if (!g->heap[0].name)
			die("out of memory listing clients");
		heap_sift_down(g->heap, g->n_heap, 0);
		return;
	}
	g->heap[g->n_heap] = *e;
	g->heap[g->n_heap].name = strdup(name);
	if (!g->heap[g->n_heap].name)
		die("out of memory listing clients");
	heap_sift_up(g->heap, g->n_heap);
	g->n_heap++;
}

static bool excluded(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_exclude; i++)
		if (regexec(&cfg->exclude[i], name, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* One more known client of product cp. */
static void count_product(struct gather *g, const struct client_product *cp)
{
	if (!cp->app_id) {
		if (cp->basis == PB_AMBIGUOUS)
			g->ambiguous++;
		else
			g->unknown++;
		return;
	}
	for (size_t i = 0; i < g->n_by_app; i++)
		if (strcmp(g->by_app[i].app, cp->app_id) == 0) {
			g->by_app[i].n++;
			return;
		}
	if (g->n_by_app == MAX_PRODUCTS) {
		g->by_app_other++;
		return;
	}
	snprintf(g->by_app[g->n_by_app].app, sizeof g->by_app[0].app, "%s", cp->app_id);
	g->by_app[g->n_by_app].name = app_short_name(cp->app_id);
	g->by_app[g->n_by_app++].n = 1;
}

/* Count one known client by its class (deadline.h's client_risk) and keep
 * the smallest time left of any client with a deadline. */
static void tally(struct gather *g, const struct entry *e)
{
	switch (e->v) {
	case RISK_NO_DEADLINE:
		g->no_deadline++;
		return;
	case RISK_EXPIRED:
		g->expired++;
		break;
	case RISK_EXPIRING:
		g->expiring++;
		if (e->deadline <= g->soon_end)
			g->soon++;
		break;
	case RISK_FINE:
		break;
	}
	double left = e->deadline > g->now ? e->deadline - g->now : 0;
	if (left < g->min_left)
		g->min_left = left;
}

/* The doc_load callback: filter, classify, count, and offer to the heap. */
static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct gather *g = ctx;
	(void)err;
	struct client_product cp;
	client_product(c, &cp);
	if (g->cfg->application && !app_matches(cp.app_id, g->cfg->application)) {
		g->other_app++;
		return true;
	}
	if (excluded(g->cfg, c->name)) {
		g->excluded++;
		return true;
	}
	g->known++;
	count_product(g, &cp);

	struct entry e = {
		.name = NULL, .index = c->index,
		.license_state = c->license_state, .last_request_at = c->last_request_at,
		.last_success_at = c->last_success_at,
		.failed = c->has_result_code && c->result_code != 0,
		.code = c->result_code,
	};
	if (e.failed)
		hgroups_add(&g->failing_by_code, c->result_code);

	e.v = client_risk(c, g->now, g->window_s, &e.deadline);
	tally(g, &e);
	if (e.v == RISK_FINE)
		return true; /* no line */
	g->listed++;
	/* the edition, when the SKU table knows it, names which of a machine's
	 * records this is (Windows and Office share the CMID and the name) */
	char label[512];
	if (cp.sku)
		snprintf(label, sizeof label, "%s (%s)", c->name, cp.sku->edition);
	else
		snprintf(label, sizeof label, "%s", c->name);
	heap_offer(g, &e, label);
	return true;
}

/* ---- evaluate ------------------------------------------------------------- */

static int cmp_urgency(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (more_urgent(x, y))
		return -1;
	return more_urgent(y, x) ? 1 : 0;
}

/* ", last request failed 0xC004F038 (KMS count insufficient)" */
static void append_failure(char *buf, size_t len, const struct entry *e)
{
	char code[160];
	if (e->failed)
		text_append(buf, len, ", last request failed %s",
		       hresult_describe(code, sizeof(code), e->code));
}

static const char *day(char *buf, size_t len, double t)
{
	if (isnan(t)) {
		snprintf(buf, len, "never");
		return buf;
	}
	return fmt_utc(buf, len, t, "%Y-%m-%d");
}

/* A listed client's state: its own (lost CRITICAL, expiring WARNING, no
 * deadline UNKNOWN), never worse than the verdict of at_risk, the metric
 * that judges the parent: a child's state counts toward its parent, so a
 * line can neither contradict the check nor decide it. */
static state_t line_state(enum client_risk v, state_t verdict)
{
	state_t own = v == RISK_EXPIRED ? STATE_CRITICAL
		    : v == RISK_EXPIRING ? STATE_WARNING : STATE_UNKNOWN;
	return state_rank(own) > state_rank(verdict) ? verdict : own;
}

/* One client line, a child of sc: name, what happens when, last contact,
 * last result. */
static void entry_line(struct subcheck *sc, const struct entry *e, state_t verdict)
{
	char line[1024], when[32], req[32], ok[32];
	bool lost = e->v == RISK_EXPIRED;

	snprintf(line, sizeof(line), "%s: ", e->name);
	day(when, sizeof(when), e->deadline);
	day(req, sizeof(req), e->last_request_at);
	day(ok, sizeof(ok), e->last_success_at);
	switch (e->v == RISK_NO_DEADLINE ? -1 : e->license_state) {
	case -1:
		if (e->license_state == DOC_ABSENT)
			text_append(line, sizeof(line), "no license state in the document: deadline unknown");
		else if (e->license_state == LIC_LICENSED)
			text_append(line, sizeof(line), "licensed, but neither last success nor last "
			       "request time in the document: deadline unknown");
		else
			text_append(line, sizeof(line), "%s, but no last request time or state expiry "
			       "in the document: deadline unknown",
			       license_state_name(e->license_state));
		break;
	case LIC_LICENSED:
		text_append(line, sizeof(line), "activation %s %s", lost ? "expired" : "expires", when);
		if (isnan(e->last_success_at))
			text_append(line, sizeof(line), " (no last renewal recorded, counted from "
			       "last contact %s)", req);
		else if (!isnan(e->last_request_at) && strcmp(req, ok) != 0)
			text_append(line, sizeof(line), " (last renewal %s, last contact %s)", ok, req);
		else
			text_append(line, sizeof(line), " (last renewal %s)", ok);
		break;
	case LIC_UNLICENSED:
	case LIC_NOTIFICATION:
		text_append(line, sizeof(line), "%s",
		       e->license_state == LIC_NOTIFICATION ? "in notification mode" : "unlicensed");
		if (isnan(e->last_request_at))
			text_append(line, sizeof(line), " (no request time in the document)");
		else
			text_append(line, sizeof(line), " at last contact %s", req);
		if (!isnan(e->last_success_at))
			text_append(line, sizeof(line), " (last activated %s)", ok);
		break;
	default: /* grace states */
		text_append(line, sizeof(line), "%s %s %s (last contact %s)",
		       license_state_name(e->license_state), lost ? "ended" : "ends", when, req);
		break;
	}
	append_failure(line, sizeof(line), e);
	subcheck_set_state(subcheck_add(sc, "%s", line), line_state(e->v, verdict));
}

/* "37 of 812 clients lose activation within 30 days (12 within 7 days), 3
 * already lost" and its quieter forms, into s. A line that is not OK never
 * opens with "none": it leads with what is wrong ("5 of 43 clients have
 * lost activation"). st is the verdict of at_risk. */
static void summarize(char *s, size_t len, const struct gather *g, long long days, state_t st)
{
	if (g->known == 0 && g->n_hosts > 0) {
		snprintf(s, len, "the merged client inventory is empty: no client has asked "
			 "any of the %zu hosts for activation", g->n_hosts);
		return;
	}
	if (g->known == 0) {
		snprintf(s, len, "the client inventory is empty: no client has asked this "
			 "host for activation");
		return;
	}
	const char *pl = g->known == 1 ? "" : "s", *dpl = days == 1 ? "" : "s";
	if (g->expiring == 0 && g->expired > 0) {
		snprintf(s, len, "%zu of %zu client%s %s lost activation; no other loses it "
			 "within %lld day%s", g->expired, g->known, pl,
			 g->expired == 1 ? "has" : "have", days, dpl);
	} else if (g->expiring == 0) {
		snprintf(s, len, "%s of %zu client%s %s activation within %lld day%s",
			 st == STATE_OK ? "none" : "0", g->known, pl,
			 st == STATE_OK ? "loses" : "lose", days, dpl);
	} else {
		snprintf(s, len, "%zu of %zu client%s %s activation within %lld day%s",
			 g->expiring, g->known, pl, g->expiring == 1 ? "loses" : "lose", days, dpl);
		if (days > SOON_DAYS)
			text_append(s, len, " (%zu within %d days)", g->soon, SOON_DAYS);
		if (g->expired > 0)
			text_append(s, len, ", %zu already lost", g->expired);
	}
	if (g->no_deadline > 0)
		text_append(s, len, ", %zu without a known deadline", g->no_deadline);
}

/* "Known clients by product: Windows 26, Office 2013+ 8", when the
 * inventory holds more than one kind. */
static void product_note(struct check *c, const struct gather *g)
{
	size_t kinds = g->n_by_app + (g->by_app_other > 0) + (g->ambiguous > 0) + (g->unknown > 0);
	if (kinds > 1) {
		char line[1024] = "";
		for (size_t i = 0; i < g->n_by_app; i++) {
			if (g->by_app[i].name)
				text_append(line, sizeof line, "%s%s %zu", i ? ", " : "",
					    g->by_app[i].name, g->by_app[i].n);
			else
				text_append(line, sizeof line, "%sapplication %s %zu", i ? ", " : "",
					    g->by_app[i].app, g->by_app[i].n);
		}
		if (g->by_app_other)
			text_append(line, sizeof line, "%sother applications %zu",
				    line[0] ? ", " : "", g->by_app_other);
		if (g->ambiguous)
			text_append(line, sizeof line, "%sserver OS or Office (ambiguous) %zu",
				    line[0] ? ", " : "", g->ambiguous);
		if (g->unknown)
			text_append(line, sizeof line, "%sunknown product %zu",
				    line[0] ? ", " : "", g->unknown);
		check_note(c, "Known clients by product: %s", line);
	}
}

/* How far back the judged inventory reaches: one document's
 * clients_complete_since, or for a fleet the latest of the merged hosts'
 * (host names it; NaN with host the first host that does not say). */
struct reach {
	double since;             /* NAN when not said */
	const char *host;         /* NULL for one document */
};

/* The notes after the client lines: the cap, failing groups, products,
 * filters, and how far back the inventory reaches. */
static void add_notes(struct check *c, struct gather *g, const struct reach *r)
{
	char date[32];
	if (g->listed > g->n_heap)
		check_note(c, "... and %zu more", g->listed - g->n_heap);

	struct hgroups *h = &g->failing_by_code;
	hgroups_sort(h);
	for (size_t i = 0; i < h->n_groups; i++) {
		char code[160];
		check_note(c, "Failing last request: %zu client%s with %s", h->g[i].n,
			   h->g[i].n == 1 ? "" : "s",
			   hresult_describe(code, sizeof(code), h->g[i].code));
	}
	if (h->other)
		check_note(c, "Failing last request: %zu more client%s with other codes",
			   h->other, h->other == 1 ? "" : "s");

	product_note(c, g);
	if (g->excluded)
		check_note(c, "Excluded by --exclude: %zu client%s", g->excluded,
			   g->excluded == 1 ? "" : "s");
	if (g->other_app)
		check_note(c, "Not of --application %s: %zu client%s", g->cfg->application,
			   g->other_app, g->other_app == 1 ? "" : "s");

	if (r->host && isnan(r->since))
		check_note(c, "%s's document does not say how far back its inventory reaches "
			   "(no clients_complete_since): clients silent for long may not be seen",
			   r->host);
	else if (r->host && r->since > g->now - KMS_VALIDITY_S)
		check_note(c, "The merged inventory reaches back only to %s (%s's, less than "
			   "180 days): clients silent since before then are not seen",
			   day(date, sizeof(date), r->since), r->host);
	else if (isnan(r->since))
		check_note(c, "The document does not say how far back the inventory reaches "
			   "(no clients_complete_since): clients silent for long may not be seen");
	else if (r->since > g->now - KMS_VALIDITY_S)
		check_note(c, "Inventory reaches back only to %s (less than 180 days): "
			   "clients silent since before then are not seen",
			   day(date, sizeof(date), r->since));
}

/* ---- options -------------------------------------------------------------- */

static bool handle_option(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct config *cfg = ctx;
	switch (id) {
	case OPT_DAYS:
		return number_parse("--days", arg, 1, 365, &cfg->days, err);
	case OPT_MAX_LIST:
		return number_parse("--max-list", arg, 0, 10000, &cfg->max_list, err);
	case OPT_APPLICATION:
		if (!app_selector_valid("--application", arg, err))
			return false;
		cfg->application = arg;
		return true;
	case OPT_EXCLUDE: {
		if (cfg->n_exclude == MAX_EXCLUDES) {
			snprintf(err, KMS_ERRLEN, "too many --exclude options (at most %d)", MAX_EXCLUDES);
			return false;
		}
		regex_t *re = &cfg->exclude[cfg->n_exclude];
		int rc = regcomp(re, arg, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (rc != 0) {
			char why[200];
			regerror(rc, re, why, sizeof(why));
			snprintf(err, KMS_ERRLEN, "invalid --exclude regex \"%.100s\": %s", arg, why);
			return false;
		}
		cfg->exclude_text[cfg->n_exclude++] = arg;
		return true;
	}
	}
	snprintf(err, KMS_ERRLEN, "unhandled option %d", id);
	return false;
}

/* Filled by the option handler; defined with its help at the end. */
static struct config renewal_config = { .days = 30, .max_list = 20 };
static const struct plugin_info renewal_info;

/* -w/-c replace both defaults, as in check_kms_count. The defaults are
 * data: -w 2% -c 10%, ranges 0..2 and 0..10 in percent of the known
 * clients (docs/DESIGN.md, "The output contract"). */
static void parse_thresholds(const struct common_opts *co, struct thresholds *th)
{
	char err[KMS_ERRLEN];
	if (!co->warning && !co->critical) {
		struct range w = range_between(0, DEFAULT_WARN_PCT);
		struct range c = range_between(0, DEFAULT_CRIT_PCT);
		w.percent = c.percent = true;
		*th = thresholds_of(&w, &c);
		return;
	}
	if (!thresholds_parse(th, co->warning, co->critical, RANGE_ALLOW_PERCENT, err))
		die("%s", err);
}

/* The aggregate before the first client: the window and the bounded heap
 * of the most urgent --max-list clients. */
static void gather_init(struct gather *g, struct config *cfg)
{
	memset(g, 0, offsetof(struct gather, failing_by_code));
	hgroups_init(&g->failing_by_code);
	g->cfg = cfg;
	g->now = wall_now();
	g->window_s = (double)cfg->days * DAY_S;
	g->soon_end = g->now + SOON_DAYS * DAY_S;
	g->min_left = INFINITY;
	if (cfg->max_list > 0) {
		g->heap = calloc((size_t)cfg->max_list, sizeof(*g->heap));
		if (!g->heap)
			die("out of memory");
	}
}

/* A document without an inventory, or with no client left after the
 * filters, is UNKNOWN: there is nothing to judge. */
static void inventory_or_die(const struct gather *g, struct doc *d)
{
	const struct config *cfg = g->cfg;
	if (!d->has_clients) {
		doc_free(d);
		die("status document has no client inventory (the exporter does not collect clients)");
	}
	vlog(1, "%zu clients: %zu known, %zu excluded, %zu of other applications",
	     d->n_clients, g->known, g->excluded, g->other_app);
	if (g->known == 0 && d->n_clients > 0) {
		size_t n = d->n_clients;
		doc_free(d);
		if (cfg->application)
			die("no client of --application %s is left to check (%zu in the inventory, "
			    "%zu excluded by --exclude)", cfg->application, n, g->excluded);
		die("every one of the %zu clients in the inventory is excluded by --exclude",
		    g->excluded);
	}
}

/* The metrics of sc. Only at_risk (expiring + expired) carries -w/-c: it is
 * the value judged, so it is the value graphed with the thresholds;
 * expiring and expired graph its parts. */
static void add_metrics(struct subcheck *sc, const struct metric *at_risk,
			const struct gather *g)
{
	double known = (double)g->known;
	struct metric m = METRIC("expiring", (double)g->expiring);
	m.min = 0;
	m.max = known;
	subcheck_metric(sc, m);
	m.label = "expired";
	m.value = (double)g->expired;
	subcheck_metric(sc, m);
	subcheck_metric(sc, *at_risk);
	m = METRIC("known", known);
	m.min = 0;
	subcheck_metric(sc, m);
	m.label = "failing";
	m.value = (double)g->failing_by_code.total;
	subcheck_metric(sc, m);
	m.label = "no_deadline";
	m.value = (double)g->no_deadline;
	subcheck_metric(sc, m);
	if (isfinite(g->min_left))
		subcheck_metric(sc, METRIC("min_days_left", floor(g->min_left / DAY_S * 100.0) / 100.0));
}

/* evaluate and report: at_risk's verdict, the one subcheck it judges with
 * the listed clients as its children, the notes. Line 1 is the summary in
 * every state: check_summary_ok() when OK, else the subcheck's output as
 * its headline (docs/DESIGN.md, "The result model"). */
static struct subcheck *evaluate(struct check *c, struct gather *g, const struct reach *r,
				 const struct thresholds *th)
{
	struct metric at_risk = METRIC("at_risk", (double)(g->expiring + g->expired));
	at_risk.th = th;
	at_risk.min = 0;
	at_risk.max = (double)g->known;
	state_t verdict = metric_state(&at_risk);

	char s[512];
	summarize(s, sizeof s, g, g->cfg->days, verdict);
	check_summary_ok(c, "%s", s);
	struct subcheck *sc = check_add(c, "%s", s);
	add_metrics(sc, &at_risk, g);

	if (g->n_heap > 1)
		qsort(g->heap, g->n_heap, sizeof(*g->heap), cmp_urgency);
	for (size_t i = 0; i < g->n_heap; i++)
		entry_line(sc, &g->heap[i], verdict);
	add_notes(c, g, r);
	return sc;
}

/* ---- a fleet: the inventories merged --------------------------------------- */

/* With -u more than once (common/fleet.h) the documents' clients are merged
 * by (CMID, product), the inventory key of doc.h, into one inventory
 * (common/inventory.h) as they stream in: a client's newest record (latest
 * last_request_at; equal: latest last_success_at; equal: the host given
 * first; times to the second) replaces an older one, so each client is
 * judged once, by the record of the host it last reached, and "known" counts
 * distinct clients. A record without a CMID, or of a product sku.h's rule
 * leaves open, cannot be matched across hosts: it is a client of its own.
 * --application and --exclude judge the deciding record, so an older record
 * of an excluded client cannot bring it back.
 *
 * Names are kept only for records that would be listed (at risk and not
 * filtered out), appended to one buffer with the record's number and host;
 * the listed clients are picked from the merged records at the end, and a
 * kept name is used only while its host's record still decides its client.
 * Memory: 34 bytes per distinct client, ~40 per at-risk record, no list scan.
 *
 * The merge keys the records itself, so the loader keeps no (CMID, product)
 * set per document (fleet_load_keyed; 48 MiB per 1M clients): instead each
 * merged record has a bit per host that sent its key (merge.supplied, 2
 * bytes beside the 32-byte record, which has no 16 bits to spare), and a
 * second record of a key from one document fails that document with the
 * loader's words, "$.clients[7]: CMID ... and product Windows already in
 * an earlier record": the host is not usable, as for any invalid document.
 *
 * Which hosts' records count: only those of usable hosts (fleet.h); as in
 * check_kms_count, a host that is not usable is not judged. Whether a host
 * is usable is known only when its document has loaded (fetch failure,
 * invalid half-way, stale, a host.name another -u has), and by then its
 * records have reached the merge (fleet.h) and may have replaced another
 * host's, which a merge of one record per client cannot restore. So when
 * an unusable host's record decides any client, the merge is thrown away
 * and the usable hosts' documents are loaded again, within the same -t:
 * rare (a host in trouble), and exact without a record per host and
 * client. */

/* inv_rec.tag: the host (-u index), the record's risk class, its filter */
#define TAG_HOST(t)   ((unsigned)(t) & 0x0f)
#define TAG_RISK(t)   ((enum client_risk)(((unsigned)(t) >> 4) & 3))
#define TAG_FILTER(t) ((unsigned)(t) >> 6)
#define TAG(host, risk, filter) ((uint8_t)((host) | (unsigned)(risk) << 4 | (filter) << 6))
enum { FILTER_NONE, FILTER_EXCLUDED, FILTER_OTHER_APP };
/* inv_rec.product beyond the interned ones: never merged */
enum { PRODUCT_AMBIGUOUS = INV_MAX_PRODUCTS, PRODUCT_UNKNOWN, PRODUCT_UNINTERNED };
#define LIC_NONE 0xff               /* inv_rec.license_state: DOC_ABSENT */
#define MAX_CODES 254               /* inv_rec.code: 0 none, 1..254 codes[c - 1], */
#define CODE_OTHER 255              /* 255 a failing code beyond the table */
#define NO_SKU 0xff

struct merge {
	struct gather *g;          /* cfg, now and window; the counters at the end */
	struct inventory inv;
	uint32_t codes[MAX_CODES]; /* the failing codes seen */
	size_t n_codes;
	char *names;               /* struct candidate, then the name and NUL, ... */
	size_t names_len, names_cap;
	size_t wins[OPTS_MAX_URLS];/* clients whose deciding record is the host's */
	uint16_t *supplied;        /* per keyed record: bit h when -u h sent its key */
	size_t supplied_cap;
};
_Static_assert(OPTS_MAX_URLS <= 16, "a host bit per -u in merge.supplied");

/* A record kept for the list, in front of its name in merge.names. */
struct candidate {
	uint32_t rec, index, code; /* record number, position in $.clients, result */
	uint8_t host, sku;         /* -u index; sku_table() index or NO_SKU */
};

struct host_ctx {
	struct merge *m;
	unsigned host;
};

/* Is the record (req, ok) of host newer than r? */
static bool newer(uint32_t req, uint32_t ok, unsigned host, const struct inv_rec *r)
{
	if (req != r->last_request)
		return req > r->last_request;
	if (ok != r->last_success)
		return ok > r->last_success;
	return host < TAG_HOST(r->tag);
}

static uint8_t code_number(struct merge *m, uint32_t code)
{
	for (size_t k = 0; k < m->n_codes; k++)
		if (m->codes[k] == code)
			return (uint8_t)(k + 1);
	if (m->n_codes == MAX_CODES)
		return CODE_OTHER;
	m->codes[m->n_codes++] = code;
	return (uint8_t)m->n_codes;
}

static void keep_name(struct merge *m, size_t rec, unsigned host, const struct doc_client *c,
		      const struct client_product *cp)
{
	size_t n_sku;
	const struct sku *table = sku_table(&n_sku);
	struct candidate h = {
		.rec = (uint32_t)rec, .index = (uint32_t)c->index, .code = c->result_code,
		.host = (uint8_t)host,
		.sku = cp->sku && (size_t)(cp->sku - table) < NO_SKU ? (uint8_t)(cp->sku - table) : NO_SKU,
	};
	size_t len = strlen(c->name) + 1;
	while (m->names_len + sizeof h + len > m->names_cap) {
		m->names_cap = m->names_cap ? m->names_cap * 2 : 4096;
		m->names = xrealloc(m->names, m->names_cap);
	}
	memcpy(m->names + m->names_len, &h, sizeof h);
	memcpy(m->names + m->names_len + sizeof h, c->name, len);
	m->names_len += sizeof h + len;
}

/* The fleet_load() callback: the record replaces the client's older one. */
static bool on_fleet_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct host_ctx *hc = ctx;
	struct merge *m = hc->m;
	const struct config *cfg = m->g->cfg;
	struct client_product cp;
	client_product(c, &cp);
	uint32_t req = inv_time(c->last_request_at), ok = inv_time(c->last_success_at);

	int product = cp.app_id ? inv_product(&m->inv, cp.app_id) : -1;
	uint8_t cmid[16];
	size_t i;
	if (product >= 0 && inv_cmid(c->cmid, cmid)) {
		bool added;
		i = inv_get(&m->inv, cmid, (uint8_t)product, &added);
		uint16_t bit = (uint16_t)(1u << hc->host);
		if (added) {
			/* records without a key have numbers but no bits */
			while (i >= m->supplied_cap)
				m->supplied = xgrow(m->supplied, &m->supplied_cap, i,
						    sizeof *m->supplied);
			m->supplied[i] = bit;
		} else if (m->supplied[i] & bit) {
			/* the loader keeps no key set for us (fleet_load_keyed) */
			const char *name = app_short_name(cp.app_id);
			snprintf(err, KMS_ERRLEN,
				 "$.clients[%zu]: CMID %s and product %s already in an earlier record",
				 c->index, c->cmid, name ? name : cp.app_id);
			return false;
		} else {
			m->supplied[i] |= bit;
			if (!newer(req, ok, hc->host, &m->inv.rec[i]))
				return true;
			m->wins[TAG_HOST(m->inv.rec[i].tag)]--;
		}
	} else {
		i = inv_append(&m->inv);
		m->inv.rec[i].product = product >= 0 ? (uint8_t)product
				      : cp.app_id ? PRODUCT_UNINTERNED
				      : cp.basis == PB_AMBIGUOUS ? PRODUCT_AMBIGUOUS : PRODUCT_UNKNOWN;
	}

	unsigned filter = cfg->application && !app_matches(cp.app_id, cfg->application)
			? FILTER_OTHER_APP : excluded(cfg, c->name) ? FILTER_EXCLUDED : FILTER_NONE;
	double deadline;
	enum client_risk v = client_risk(c, m->g->now, m->g->window_s, &deadline);
	struct inv_rec *r = &m->inv.rec[i];
	r->last_request = req;
	r->last_success = ok;
	r->deadline = v == RISK_NO_DEADLINE ? 0 : inv_time(deadline);
	r->tag = TAG(hc->host, v, filter);
	r->license_state = c->license_state == DOC_ABSENT ? LIC_NONE : (uint8_t)c->license_state;
	r->code = c->has_result_code && c->result_code != 0 ? code_number(m, c->result_code) : 0;
	m->wins[hc->host]++;
	if (filter == FILTER_NONE && v != RISK_FINE)
		keep_name(m, i, hc->host, c, &cp);
	return true;
}

static void merge_reset(struct merge *m)
{
	inv_free(&m->inv);
	free(m->supplied);
	m->supplied = NULL;
	m->supplied_cap = 0;
	m->n_codes = 0;
	m->names_len = 0;
	memset(m->wins, 0, sizeof m->wins);
}

static bool unusable_host_decides(const struct merge *m, const struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (!f->docs[i].usable && m->wins[i] > 0)
			return true;
	return false;
}

/* fleet_load() into f, the clients merged into m; again, the usable hosts
 * only, while a host that is not usable decides a client (see above). f
 * keeps the first load's names and why each host is not usable. */
static void merge_load(const struct common_opts *co, struct merge *m, struct fleet *f)
{
	struct host_ctx hc[OPTS_MAX_URLS];
	void *ctxs[OPTS_MAX_URLS];
	for (size_t i = 0; i < co->n_urls; i++) {
		hc[i] = (struct host_ctx){ .m = m, .host = (unsigned)i };
		ctxs[i] = &hc[i];
	}
	fleet_load_keyed(co, on_fleet_client, ctxs, f);
	while (unusable_host_decides(m, f)) {
		struct common_opts again = *co;
		size_t host[OPTS_MAX_URLS];
		again.n_urls = 0;
		for (size_t i = 0; i < f->n; i++) {
			if (!f->docs[i].usable)
				continue;
			host[again.n_urls] = i;
			again.urls[again.n_urls] = co->urls[i];
			hc[again.n_urls] = (struct host_ctx){ .m = m, .host = (unsigned)i };
			ctxs[again.n_urls] = &hc[again.n_urls];
			again.n_urls++;
		}
		vlog(1, "a host that is not usable decides clients: loading the %zu usable again",
		     again.n_urls);
		merge_reset(m);
		if (again.n_urls == 0)
			return;
		again.url = again.urls[0];
		struct fleet f2;
		fleet_load_keyed(&again, on_fleet_client, ctxs, &f2);
		for (size_t k = 0; k < f2.n; k++) {
			struct fleet_doc *d = &f->docs[host[k]];
			char name[sizeof d->name];
			memcpy(name, d->name, sizeof name);
			doc_free(d->doc);
			*d = f2.docs[k];
			memcpy(d->name, name, sizeof name);
		}
	}
}

static int cmp_product_count(const void *a, const void *b, void *ctx)
{
	const size_t *n = ctx;
	int x = *(const int *)a, y = *(const int *)b;
	if (n[x] != n[y])
		return n[x] > n[y] ? -1 : 1;
	return x - y;
}

/* The counters of g from the merged records; known per product most first
 * (equal: the product seen first). */
static void merge_tally(struct merge *m)
{
	struct gather *g = m->g;
	size_t per_product[PRODUCT_UNINTERNED + 1] = { 0 };
	for (size_t i = 0; i < m->inv.n; i++) {
		const struct inv_rec *r = &m->inv.rec[i];
		if (TAG_FILTER(r->tag) == FILTER_OTHER_APP) {
			g->other_app++;
			continue;
		}
		if (TAG_FILTER(r->tag) == FILTER_EXCLUDED) {
			g->excluded++;
			continue;
		}
		g->known++;
		per_product[r->product]++;
		if (r->code == CODE_OTHER) {
			g->failing_by_code.other++;
			g->failing_by_code.total++;
		} else if (r->code) {
			hgroups_add(&g->failing_by_code, m->codes[r->code - 1]);
		}
		struct entry e = { .v = TAG_RISK(r->tag), .deadline = inv_time_back(r->deadline) };
		tally(g, &e);
		if (e.v != RISK_FINE)
			g->listed++;
	}
	g->ambiguous = per_product[PRODUCT_AMBIGUOUS];
	g->unknown = per_product[PRODUCT_UNKNOWN];
	g->by_app_other = per_product[PRODUCT_UNINTERNED];
	int order[INV_MAX_PRODUCTS], n = 0;
	for (int p = 0; p < (int)m->inv.n_products; p++)
		if (per_product[p])
			order[n++] = p;
	qsort_r(order, (size_t)n, sizeof *order, cmp_product_count, per_product);
	for (int k = 0; k < n; k++) {
		int p = order[k];
		if (g->n_by_app == MAX_PRODUCTS) {
			g->by_app_other += per_product[p];
			continue;
		}
		snprintf(g->by_app[g->n_by_app].app, sizeof g->by_app[0].app, "%s",
			 inv_product_id(&m->inv, p));
		g->by_app[g->n_by_app].name = app_short_name(inv_product_id(&m->inv, p));
		g->by_app[g->n_by_app++].n = per_product[p];
	}
}

/* The --max-list most urgent deciding records into g's heap, named with
 * the host each last talked to: "pc0042 (Windows 10/11 Enterprise, kms02)".
 * Equal deadlines in -u order, then document order. */
static void merge_pick(struct merge *m, const struct fleet *f)
{
	size_t n_sku;
	const struct sku *table = sku_table(&n_sku);
	for (size_t off = 0; off < m->names_len;) {
		struct candidate h;
		memcpy(&h, m->names + off, sizeof h);
		const char *name = m->names + off + sizeof h;
		off += sizeof h + strlen(name) + 1;
		const struct inv_rec *r = &m->inv.rec[h.rec];
		if (TAG_HOST(r->tag) != h.host || TAG_FILTER(r->tag) != FILTER_NONE ||
		    TAG_RISK(r->tag) == RISK_FINE)
			continue; /* another host's record decides this client */
		struct entry e = {
			.v = TAG_RISK(r->tag), .deadline = inv_time_back(r->deadline),
			.index = (size_t)h.host << 32 | h.index,
			.license_state = r->license_state == LIC_NONE ? DOC_ABSENT : r->license_state,
			.last_request_at = inv_time_back(r->last_request),
			.last_success_at = inv_time_back(r->last_success),
			.failed = r->code != 0, .code = h.code,
		};
		char label[512];
		const char *host = f->docs[h.host].name;
		if (h.sku != NO_SKU && h.sku < n_sku)
			snprintf(label, sizeof label, "%s (%s, %s)", name, table[h.sku].edition, host);
		else
			snprintf(label, sizeof label, "%s (%s)", name, host);
		heap_offer(m->g, &e, label);
	}
}

/* A fleet: the hosts that are not usable (fleet_host_subcheck) and the
 * judgement of the merged inventory, by the one-document evaluation. */
static struct check *fleet_check(const struct common_opts *co, struct config *cfg,
				 struct thresholds *th, struct gather *g, struct fleet *f)
{
	struct merge m = { .g = g };
	merge_load(co, &m, f);
	struct check *c = check_new();

	char merged[1024] = "";
	struct reach reach = { .since = -INFINITY, .host = NULL };
	size_t n_clients = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_doc *d = &f->docs[i];
		if (!d->usable) {
			fleet_host_subcheck(c, d);
		} else if (!d->doc->has_clients) {
			struct subcheck *host = fleet_host_subcheck(c, d);
			subcheck_set_state(subcheck_add(host, "%s: status document has no client "
							"inventory (the exporter does not "
							"collect clients)", d->name),
					   STATE_UNKNOWN);
			fleet_host_headline(host, d->name);
		}
		if (!d->usable || !d->doc->has_clients)
			continue;
		g->n_hosts++;
		n_clients += d->doc->n_clients;
		text_append(merged, sizeof merged, "%s%s %zu", g->n_hosts > 1 ? ", " : "",
			    d->name, d->doc->n_clients);
		double since = d->doc->clients_complete_since;
		if (isnan(reach.since))
			continue; /* the first host that does not say names it */
		if (isnan(since) || since > reach.since) {
			reach.since = since;
			reach.host = d->name;
		}
	}
	vlog(1, "%zu hosts merged, %zu records, %zu distinct clients", g->n_hosts, n_clients,
	     m.inv.n);
	if (g->n_hosts > 0) {
		merge_tally(&m);
		if (g->known == 0 && n_clients > 0) {
			struct subcheck *sc;
			if (cfg->application)
				sc = check_add(c, "no client of --application %s is left to check "
					       "(%zu in the merged inventory, %zu excluded by "
					       "--exclude)", cfg->application, m.inv.n, g->excluded);
			else
				sc = check_add(c, "every one of the %zu clients in the merged "
					       "inventory is excluded by --exclude", g->excluded);
			subcheck_set_state(sc, STATE_UNKNOWN);
		} else {
			range_scale(&th->warn, (double)g->known);
			range_scale(&th->crit, (double)g->known);
			merge_pick(&m, f);
			evaluate(c, g, &reach, th);
		}
		check_note(c, "Merged inventory of %zu KMS host%s (clients per host: %s): "
			   "%zu distinct", g->n_hosts, g->n_hosts == 1 ? "" : "s", merged, m.inv.n);
	}
	merge_reset(&m);
	free(m.names);
	return c;
}

int main(int argc, char **argv)
{
	struct common_opts co;
	struct config *cfg = &renewal_config;

	/* options */
	options_parse(argc, argv, &renewal_info, &co);
	options_start(&co);
	if (!co.url)
		die("no status document given: use -u URL (http, https, file or a path)");
	struct thresholds th;
	parse_thresholds(&co, &th);

	/* gather, evaluate; a % bound is a share of the known clients */
	struct gather g;
	gather_init(&g, cfg);
	struct check *c;
	struct doc *d = NULL;
	struct fleet f = { 0 };
	if (co.n_urls > 1) {
		c = fleet_check(&co, cfg, &th, &g, &f);
	} else { /* as before fleets: a failure ends the check */
		d = doc_load_or_die(&co, on_client, &g);
		inventory_or_die(&g, d);
		range_scale(&th.warn, (double)g.known);
		range_scale(&th.crit, (double)g.known);
		c = check_new();
		struct reach r = { .since = d->clients_complete_since, .host = NULL };
		evaluate(c, &g, &r, &th);
	}

	/* report */
	for (size_t i = 0; i < g.n_heap; i++)
		free(g.heap[i].name);
	free(g.heap);
	for (size_t i = 0; i < cfg->n_exclude; i++)
		regfree(&cfg->exclude[i]);
	doc_free(d);
	fleet_free(&f);
	check_exit(c);
}

/* ---- help ------------------------------------------------------------------ */

static const struct plugin_option renewal_options[] = {
	{ "days", 0, true, "N",
	  "Window in days (1-365, default 30): a client whose activation runs out\n"
	  "within N days is expiring; one whose activation already ran out is expired.",
	  OPT_DAYS },
	{ "exclude", 0, true, "REGEX",
	  "Leave out clients whose name matches REGEX (POSIX extended, case-\n"
	  "insensitive, unanchored; repeatable, at most 32), e.g. retired machines.",
	  OPT_EXCLUDE },
	{ "application", 0, true, "windows|office|APPID",
	  "Check only clients of this application: windows, office (2010 and\n"
	  "2013+) or an application id, as classified (see below). Default: every\n"
	  "client.",
	  OPT_APPLICATION },
	{ "max-list", 0, true, "N",
	  "List at most N clients in the long output, most urgent first (0-10000,\n"
	  "default 20); the rest are summed up as \"... and N more\".",
	  OPT_MAX_LIST },
	{ NULL, 0, false, NULL, NULL, 0 },
};

static const char renewal_notes[] =
	"When a client loses activation:\n"
	"  licensed (1)              last_success_at + 180 days (no last_success_at:\n"
	"                            last_request_at + 180 days)\n"
	"  grace (2, 3, 4, 6)        last_request_at + state_expires_in_minutes\n"
	"  unlicensed (0),\n"
	"  notification (5)          already lost\n"
	"A client lacking the times its rule needs (or without license_state) has no\n"
	"known deadline: it is listed and counted as no_deadline, but does not change\n"
	"the state.\n"
	"\n"
	"A client record is one machine and product (CMID, product): a machine with\n"
	"Windows and Office has two, listed with their editions when the SKU table\n"
	"knows them. The product is told by sku_id (that table), else by\n"
	"required_count 25 (\"Windows client OS\"), else by application_id; what\n"
	"none settles is \"server OS or Office\" (required_count 5 alone) or\n"
	"\"unknown product\", never taken for Windows or Office: --application\n"
	"does not select it.\n"
	"\n"
	"-w and -c are ranges over at_risk, the number of expiring + expired\n"
	"clients. A trailing % on a bound makes it a share of the known clients\n"
	"(those left after --application and --exclude), as check_disk does.\n"
	"Defaults: -w 2% -c 10%, i.e. WARNING above 2 %, CRITICAL above 10 %. A\n"
	"healthy fleet always has a few machines off the network for weeks\n"
	"(laptops, spares, retired PCs not yet removed): around 1 % on a\n"
	"5,000-client fleet, which must not page anyone; a share over 2 % means a\n"
	"group stopped renewing (a firewall rule, a DNS change, a count below the\n"
	"threshold), over 10 % that a whole site or product is losing activation.\n"
	"Giving -w or -c replaces both defaults.\n"
	"\n"
	"The state is at_risk's against -w/-c, and nothing else. Each listed\n"
	"client's [STATE] is its own (expired CRITICAL, expiring WARNING, no known\n"
	"deadline UNKNOWN), but never worse than the check's: in an OK check every\n"
	"line is [OK], in a WARNING check an expired client is [WARNING].\n"
	"\n"
	"Perfdata: expiring=N;;;0;known expired=N;;;0;known at_risk=N;W;C;0;known\n"
	"known=N;;;0 failing=N;;;0 no_deadline=N;;;0 min_days_left=D. at_risk is\n"
	"expiring + expired, the value -w/-c judge: its thresholds are the\n"
	"absolute ones after % scaling; expiring and expired graph its parts.\n"
	"failing counts clients whose last request returned a non-zero HRESULT;\n"
	"min_days_left is the smallest time left of any known client, in days (0\n"
	"when one is expired), left out when no client has a deadline.\n"
	"\n"
	"Without a \"clients\" array in the document the check is UNKNOWN.\n"
	"\n"
	"Several KMS hosts: -u once per host (at most 16). The inventories are\n"
	"merged by (CMID, product): each client's newest record (latest\n"
	"last_request_at, then last_success_at, then the host given first) decides,\n"
	"from whichever host it last reached; known counts distinct clients; each\n"
	"listed client names that host. The merge reaches back to the latest\n"
	"clients_complete_since. A host whose document cannot be fetched, is\n"
	"invalid, stale or repeats another's host.name is UNKNOWN (stale:\n"
	"--stale-state), named on line 1, and none of its records decides a client.\n"
	"\n"
	"Examples:\n"
	"  check_kms_renewal -u https://kms01.corp.example/kms-status.json --cacert ca.pem\n"
	"  check_kms_renewal -u https://kms01.corp.example/kms-status.json \\\n"
	"      -u https://kms02.corp.example/kms-status.json --cacert ca.pem\n"
	"  check_kms_renewal -u /srv/kms/kms-status.json --days 14 -w 20 -c 100 \\\n"
	"      --exclude '^retired-' --exclude '\\.lab\\.corp\\.example$'\n";

static const struct plugin_info renewal_info = {
	.name = "check_kms_renewal",
	.aspect = "RENEWAL",
	.purpose = "Check the KMS client inventory of the status document for clients "
		   "about to lose activation: licensed clients that stopped renewing "
		   "(180-day validity), grace periods running out, clients already "
		   "unlicensed or in notification mode.",
	.usage = "-u URL [-u URL]... [--days N] [--exclude REGEX]... [--application windows|office|APPID] "
		 "[--max-list N] [-w RANGE] [-c RANGE] [options]",
	.groups = OPTS_THRESHOLDS | OPTS_DOCUMENT,
	.options = renewal_options,
	.notes = renewal_notes,
	.timeout_state = STATE_UNKNOWN,
	.handle = handle_option,
	.ctx = &renewal_config,
};
