/* check_kms_count - the KMS current count of every KMS host product in the
 * status document, held against the activation thresholds (25 for client
 * OSes, 5 for server OSes and Office), and a forecast of the day the count
 * falls below the critical threshold because clients stopped renewing.
 *
 * Owns: the per-product thresholds and their wording, the client-inventory
 * aggregation (a per-application histogram of request ages, never a client
 * list, so a 1M-client document stays in flat memory) and the tree of
 * results. The forecast's math is common/forecast.h's.
 * A client's application is the one sku.h's rule settles (SKU table,
 * required_count 25, application_id); the loader keeps one record per
 * (CMID, product), so a histogram counts each machine once per product: a
 * machine with Windows and Office records is in each forecast once.
 *
 * The tree (docs/DESIGN.md, "The result model"): one top-level subcheck per
 * product, its output the product's line-1 phrase ("Windows 18/25 (clients
 * cannot activate)"). A product judged by its count has a count child (the
 * count metric, with the thresholds that judge it) and, with a client
 * inventory, a forecast child (explicit state: WARNING when the count is
 * forecast to turn critical within --forecast-days, else OK; its active and
 * lapsing metrics only graph). A product not enabled as a KMS host
 * (CRITICAL) or of no known family (UNKNOWN) is a leaf with that explicit
 * state and no metric.
 *
 * A fleet (-u more than once, common/fleet.h): every host is judged on its
 * own, since counts are not shared (a client that reaches a host below its
 * threshold gets 0xC004F038 from it and does not try another). Each host is
 * a top-level subcheck holding the tree above for its document, built by
 * the same functions; its texts and perfdata labels start with the host's
 * name ("kms01 Windows: count 31, ...", 'kms01 Windows'), its products'
 * headlines do not (line 1 says "kms01: " once, fleet_host_headline). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "fleet.h"
#include "forecast.h"
#include "options.h"
#include "output.h"
#include "range.h"
#include "result.h"
#include "sku.h"
#include "text.h"
#include "timeutil.h"

#define MAX_SELECTORS 16
#define MAX_APPS 8 /* distinct application ids aggregated */

enum { OPT_PRODUCT = 256, OPT_SERVERS_ONLY, OPT_FORECAST_DAYS };

struct config {
	const char *selectors[MAX_SELECTORS];
	size_t n_selectors;
	bool servers_only;
	long long forecast_days;
};

/* Filled by the option handler; defined with its help at the end. */
static struct config count_config = { .forecast_days = 7 };
static const struct plugin_info count_info;

/* Requests of one application id, by age in whole minutes (0 .. 30 days).
 * Ages are counted from now rounded down to the minute, so the active/lapsing
 * cut and the drop-out dates can be derived after loading, once the host's
 * renewal interval is known (the document may list clients before host). */
struct app_hist {
	char app_id[40];
	uint32_t *by_age; /* FORECAST_AGES entries */
	/* Clones (issue 18): a CMID whose names_seen holds two or more names
	 * requesting within a window is shared by clones. By the age of the
	 * record's second most recent name (the window from which on it is
	 * shared), the CMIDs; by the age at which each name joins, the
	 * machines. Summed up to the window once the host's renewal interval is
	 * known. NULL until a record with two names comes. */
	uint32_t *shared_by_age, *sharing_by_age;
};

struct gather {
	long long now_min;
	struct app_hist apps[MAX_APPS];
	size_t n_apps;
	size_t skipped; /* clients of further application ids (vlog only) */
	size_t ambiguous, unknown; /* in the window, product not settled */
};

/* ---- gather --------------------------------------------------------------- */

static struct app_hist *app_slot(struct gather *g, const char *app_id)
{
	char id[40];
	size_t i;

	for (i = 0; app_id[i] && i < sizeof(id) - 1; i++)
		id[i] = (char)((app_id[i] >= 'A' && app_id[i] <= 'Z') ? app_id[i] + 32 : app_id[i]);
	id[i] = '\0';
	for (i = 0; i < g->n_apps; i++)
		if (strcmp(g->apps[i].app_id, id) == 0)
			return &g->apps[i];
	if (g->n_apps == MAX_APPS)
		return NULL;
	struct app_hist *h = &g->apps[g->n_apps];
	h->by_age = calloc((size_t)FORECAST_AGES, sizeof(*h->by_age));
	if (!h->by_age)
		die("out of memory aggregating the client inventory");
	memcpy(h->app_id, id, sizeof(id));
	g->n_apps++;
	return h;
}

/* The ages (minutes) of c's names that requested within 30 days, sorted,
 * into the clone histograms of h: check_kms_clients' rule, for the one
 * line this plugin says of it. */
static void count_clones(const struct gather *g, struct app_hist *h, const struct doc_client *c)
{
	long long ages[DOC_NAMES_SEEN_MAX];
	size_t n = 0;
	for (size_t i = 0; i < c->n_names_seen && n < DOC_NAMES_SEEN_MAX; i++) {
		long long a;
		if (!forecast_age(g->now_min, c->names_seen[i].last_request_at, &a))
			continue;
		size_t k = n++;
		for (; k > 0 && ages[k - 1] > a; k--)
			ages[k] = ages[k - 1];
		ages[k] = a;
	}
	if (n < 2)
		return;
	if (!h->shared_by_age) {
		h->shared_by_age = calloc((size_t)FORECAST_AGES, sizeof(*h->shared_by_age));
		h->sharing_by_age = calloc((size_t)FORECAST_AGES, sizeof(*h->sharing_by_age));
		if (!h->shared_by_age || !h->sharing_by_age)
			die("out of memory aggregating the client inventory");
	}
	h->shared_by_age[ages[1]]++;
	h->sharing_by_age[ages[1]] += 2;
	for (size_t i = 2; i < n; i++)
		h->sharing_by_age[ages[i]]++;
}

/* The doc_load callback: one histogram increment per client still in the
 * count; clients silent for more than 30 days are no longer counted. */
static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct gather *g = ctx;
	(void)err;
	long long age;
	if (!forecast_age(g->now_min, c->last_request_at, &age))
		return true;
	struct client_product cp;
	client_product(c, &cp);
	if (!cp.app_id) {
		/* never guessed into a product's forecast: said in a note */
		if (cp.basis == PB_AMBIGUOUS)
			g->ambiguous++;
		else
			g->unknown++;
		return true;
	}
	struct app_hist *h = app_slot(g, cp.app_id);
	if (!h) {
		g->skipped++;
		return true;
	}
	h->by_age[age]++;
	if (c->n_names_seen >= 2)
		count_clones(g, h, c);
	return true;
}

static void gather_free(struct gather *g)
{
	for (size_t i = 0; i < g->n_apps; i++) {
		free(g->apps[i].by_age);
		free(g->apps[i].shared_by_age);
		free(g->apps[i].sharing_by_age);
	}
}

/* ---- evaluate: where one document's results go ---------------------------- */

/* A product to judge and what it is called. */
struct product_eval {
	const struct doc_product *p;
	char label[128]; /* unique in its document: "Windows", "Windows #2" */
	char perf[400];  /* unique in the fleet: the perfdata label, pre and label */
};

/* One document: its products are the check's top-level subchecks. In a
 * fleet: children of its host's subcheck, every text (and note) starting
 * with pre, the host's name; a product's headline stays without it. */
struct host_out {
	struct check *c;
	struct subcheck *host; /* NULL: one document */
	const char *pre;       /* "" or "kms01 " */
};

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *vformat(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	return s;
}

/* A product's subcheck, its output text (pre in front in a fleet, where the
 * headline is text alone until the caller sets another). */
static struct subcheck *product_add(const struct host_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct subcheck *product_add(const struct host_out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	struct subcheck *sc;
	if (o->host) {
		sc = subcheck_add(o->host, "%s%s", o->pre, text);
		subcheck_headline(sc, "%s", text);
	} else {
		sc = check_add(o->c, "%s", text);
	}
	free(text);
	return sc;
}

/* A child of a product's subcheck: a leaf line, pre in front. */
static struct subcheck *finding_add(const struct host_out *o, struct subcheck *ps,
				    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct subcheck *finding_add(const struct host_out *o, struct subcheck *ps,
				    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	struct subcheck *sc = subcheck_add(ps, "%s%s", o->pre, text);
	free(text);
	return sc;
}

/* ---- evaluate: thresholds and wording ------------------------------------- */

/* What a product is held to. The defaults are data, from the KMS rule:
 * client OSes activate at a count of 25, server OSes and Office at 5, and
 * the count caps at 50 (10 on a servers-only network); warn 5 and 2 above
 * those. -w/-c replace both for every product. */
struct product_rule {
	enum app_family fam;
	struct thresholds th;
	long long cap;
};

static struct product_rule product_rule(const struct config *cfg, const struct thresholds *user,
					enum app_family fam)
{
	bool clients = fam == APP_WINDOWS && !cfg->servers_only;
	struct range warn = range_at_least(clients ? 30 : 7);
	struct range crit = range_at_least(clients ? 25 : 5);
	return (struct product_rule){
		.fam = fam,
		.th = user ? *user : thresholds_of(&warn, &crit),
		.cap = clients ? 50 : 10,
	};
}

/* "N:" (alert below N): the form the defaults take, worded "below N". */
static bool range_is_floor(const struct range *r)
{
	return !r->alert_inside && !r->start_infinite && r->end_infinite;
}

static void describe_range(const struct range *r, char *buf, size_t len)
{
	char num[64], text[96];
	if (range_is_floor(r)) {
		snprintf(buf, len, "below %s", fmt_number(num, sizeof(num), r->start, FMT_AUTO));
		return;
	}
	range_format(r, text, sizeof(text));
	snprintf(buf, len, "range %s", text);
}

/* What a count lets activate, from the KMS rules (25 client OSes, 5 servers
 * and Office). */
static const char *count_allows(enum app_family fam, long long count)
{
	if (fam == APP_WINDOWS) {
		if (count >= 25)
			return "servers and clients can activate";
		if (count >= 5)
			return "servers can activate, client OSes cannot";
		return "nothing can activate";
	}
	if (count >= 5)
		return fam == APP_OFFICE ? "Office can activate" : "its clients can activate";
	return "nothing can activate";
}

/* The few words of the first line for a count that is not OK: what cannot
 * activate, else how close the count is to the critical threshold. */
static void count_shortfall(enum app_family fam, bool servers_only, long long count,
			    state_t st, const struct thresholds *th, char *buf, size_t len)
{
	char num[64];
	if (fam == APP_WINDOWS && !servers_only && count >= 5 && count < 25)
		snprintf(buf, len, "clients cannot activate");
	else if (count < 5)
		snprintf(buf, len, "nothing can activate");
	else if (st == STATE_WARNING && th->has_crit && range_is_floor(&th->crit))
		snprintf(buf, len, "close to %s", fmt_number(num, sizeof(num), th->crit.start, FMT_AUTO));
	else
		snprintf(buf, len, "%s", st == STATE_CRITICAL ? "critical" : "warning");
}

/* The product's phrase for line 1 from its count: "Windows 31 OK",
 * "Windows 18/25 (clients cannot activate)", "Windows 11 (critical range
 * 10)". */
static void count_phrase(const char *label, const struct product_rule *pr, bool servers_only,
			 long long count, char *buf, size_t len)
{
	state_t st = thresholds_check(&pr->th, (double)count);
	char num[64], text[96], why[64];
	if (st == STATE_OK) {
		snprintf(buf, len, "%s %lld OK", label, count);
		return;
	}
	const struct range *hit = st == STATE_CRITICAL ? &pr->th.crit : &pr->th.warn;
	if (range_is_floor(hit)) {
		count_shortfall(pr->fam, servers_only, count, st, &pr->th, why, sizeof(why));
		snprintf(buf, len, "%s %lld/%s (%s)", label, count,
			 fmt_number(num, sizeof(num), hit->start, FMT_AUTO), why);
	} else {
		range_format(hit, text, sizeof(text));
		snprintf(buf, len, "%s %lld (%s range %s)", label, count,
			 st == STATE_CRITICAL ? "critical" : "warning", text);
	}
}

/* The count child: "Windows: count 18, critical below 25, warning below 30,
 * cap 50: servers can activate, client OSes cannot", judged by the count
 * metric it graphs. */
static void add_count(const struct host_out *o, struct subcheck *ps, const char *perf_label,
		      const char *name, const struct product_rule *pr, long long count)
{
	char line[1024] = "", rng[128];
	text_append(line, sizeof(line), "%s: count %lld", name, count);
	if (pr->th.has_crit) {
		describe_range(&pr->th.crit, rng, sizeof(rng));
		text_append(line, sizeof(line), ", critical %s", rng);
	}
	if (pr->th.has_warn) {
		describe_range(&pr->th.warn, rng, sizeof(rng));
		text_append(line, sizeof(line), ", warning %s", rng);
	}
	text_append(line, sizeof(line), ", cap %lld: %s", pr->cap, count_allows(pr->fam, count));
	struct subcheck *sc = finding_add(o, ps, "%s", line);
	struct metric m = METRIC(perf_label, (double)count);
	m.th = &pr->th;
	m.min = 0;
	m.max = (double)pr->cap;
	subcheck_metric(sc, m);
}

/* ---- evaluate: the forecast ----------------------------------------------- */

/* One product's forecast (common/forecast.h) and its verdict. */
struct product_forecast {
	struct forecast f;
	struct forecast_outcome o;
	long long today; /* UTC day number of now */
};

/* false when there is nothing to forecast with: no inventory, or a product
 * without an application id to match clients with. */
static bool product_forecast(const struct gather *g, const struct doc *d,
			     const struct doc_product *p, const struct product_rule *pr,
			     long long horizon, struct product_forecast *pf)
{
	if (!d->has_clients || !p->application_id)
		return false;
	const uint32_t *by_age = NULL;
	for (size_t i = 0; i < g->n_apps; i++)
		if (strcasecmp(g->apps[i].app_id, p->application_id) == 0)
			by_age = g->apps[i].by_age;
	forecast_split(by_age, g->now_min, d->host.renewal_interval_minutes, &pf->f);
	pf->o = forecast_judge(&pf->f, p->current_count, pr->cap, &pr->th, horizon);
	pf->today = g->now_min / FORECAST_MIN_PER_DAY;
	return true;
}

/* "forecast to fall below 25 on 2026-11-28 (in 3 days)"; with at_count the
 * parenthesis adds ", count 22". */
static void crossing_phrase(const struct product_forecast *pf, const struct range *crit,
			    bool at_count, char *buf, size_t len)
{
	char date[32], num[64], text[96], when[32], extra[48] = "";
	int day = pf->o.day;
	fmt_utc(date, sizeof(date), (double)((pf->today + day) * 86400LL), "%Y-%m-%d");
	if (day == 0)
		snprintf(when, sizeof(when), "today");
	else
		snprintf(when, sizeof(when), "in %d day%s", day, day == 1 ? "" : "s");
	if (at_count)
		snprintf(extra, sizeof(extra), ", count %lld", pf->o.at_count);
	if (range_is_floor(crit))
		snprintf(buf, len, "forecast to fall below %s on %s (%s%s)",
			 fmt_number(num, sizeof(num), crit->start, FMT_AUTO), date, when, extra);
	else {
		range_format(crit, text, sizeof(text));
		snprintf(buf, len, "forecast to be critical (range %s) on %s (%s%s)", text, date,
			 when, extra);
	}
}

/* The forecast child: "Forecast Windows: 22 active, 9 lapsing (all out of
 * the count by 2026-11-28); forecast to fall below 25 on ...", WARNING when
 * the crossing is within the horizon, else OK. */
static void add_forecast(const struct host_out *o, struct subcheck *ps, const char *label,
			 const char *perf_label, const struct product_rule *pr,
			 const struct product_forecast *pf)
{
	const struct forecast *f = &pf->f;
	char line[512], date[32], num[64], text[96], phrase[256];

	snprintf(line, sizeof(line), "Forecast %s: %lld active", label, f->active);
	if (f->lapsing > 0) {
		fmt_utc(date, sizeof(date), (double)((pf->today + f->last_drop_day) * 86400LL),
			"%Y-%m-%d");
		text_append(line, sizeof(line), ", %lld lapsing (all out of the count by %s)",
			    f->lapsing, date);
	} else {
		text_append(line, sizeof(line), ", none lapsing");
	}
	switch (pf->o.verdict) {
	case FORECAST_NO_CRITICAL:
		text_append(line, sizeof(line), "; no critical threshold to forecast against");
		break;
	case FORECAST_ALREADY_CRITICAL:
		text_append(line, sizeof(line), "; count already critical");
		break;
	case FORECAST_STAYS:
		if (range_is_floor(&pr->th.crit))
			text_append(line, sizeof(line), "; count stays at %s or more",
				    fmt_number(num, sizeof(num), pr->th.crit.start, FMT_AUTO));
		else {
			range_format(&pr->th.crit, text, sizeof(text));
			text_append(line, sizeof(line), "; count stays out of the critical range %s",
				    text);
		}
		break;
	case FORECAST_CROSSES:
		crossing_phrase(pf, &pr->th.crit, true, phrase, sizeof(phrase));
		text_append(line, sizeof(line), "; %s", phrase);
		break;
	}
	struct subcheck *sc = finding_add(o, ps, "%s", line);
	subcheck_set_state(sc, pf->o.warns ? STATE_WARNING : STATE_OK);
	/* graphed, not judged: the verdict is the state above */
	char lab[sizeof(((struct product_eval *)0)->perf) + 16];
	snprintf(lab, sizeof(lab), "%s active", perf_label);
	struct metric m = METRIC(lab, (double)f->active);
	m.min = 0;
	subcheck_metric(sc, m);
	snprintf(lab, sizeof(lab), "%s lapsing", perf_label);
	m.value = (double)f->lapsing;
	subcheck_metric(sc, m);
}

/* ---- evaluate: one product ------------------------------------------------ */

/* What every product is judged with: the options. */
struct judge {
	const struct config *cfg;
	int verbose;
	const struct thresholds *user; /* -w/-c, NULL for the defaults */
};

/* A product neither its application id nor its name places: UNKNOWN, never
 * judged, since the thresholds differ five-fold (guessing Office would call
 * a Windows count of 12 OK). */
static void add_unclassified(const struct host_out *o, const struct doc *d,
			     const struct doc_product *p)
{
	size_t idx = (size_t)(p - d->products);
	struct subcheck *sc = product_add(o, "$.products[%zu] (name %s%s%s, application_id %s): "
					"neither says whether it is Windows or Office, so no "
					"threshold applies", idx, p->name ? "\"" : "",
					p->name ? p->name : "absent", p->name ? "\"" : "",
					p->application_id ? p->application_id : "absent");
	subcheck_headline(sc, "$.products[%zu]: neither application_id nor name tells Windows "
			  "from Office", idx);
	subcheck_set_state(sc, STATE_UNKNOWN);
}

/* A product in trouble whose inventory shows CMIDs shared by clones (names
 * within the renewal interval + 2 days, check_kms_clients' default window):
 * the count sees one machine per CMID, so say so in one line. */
static void note_clones(const struct host_out *o, const struct gather *g, const struct doc *d,
			const struct product_eval *e)
{
	const struct app_hist *h = NULL;
	for (size_t i = 0; i < g->n_apps && e->p->application_id; i++)
		if (strcasecmp(g->apps[i].app_id, e->p->application_id) == 0)
			h = &g->apps[i];
	if (!h || !h->shared_by_age)
		return;
	long long renewal = d->host.renewal_interval_minutes;
	long long window = (renewal == DOC_ABSENT ? 7 * 1440 : renewal) + 2 * 1440;
	if (window > FORECAST_AGES - 1)
		window = FORECAST_AGES - 1;
	unsigned long long cmids = 0, machines = 0;
	for (long long a = 0; a <= window; a++) {
		cmids += h->shared_by_age[a];
		machines += h->sharing_by_age[a];
	}
	if (cmids)
		check_note(o->c, "%s%s: %llu machines share %llu CMID%s: see check_kms_clients",
			   o->pre, e->label, machines, cmids, cmids == 1 ? "" : "s");
}

/* Judge one product: its top-level subcheck, and the count and forecast
 * children when it has a count (see the tree at the top). */
static void evaluate_product(const struct host_out *o, const struct judge *j,
			     const struct gather *g, const struct doc *d,
			     const struct product_eval *e)
{
	const struct config *cfg = j->cfg;
	const struct doc_product *p = e->p;
	enum app_family fam = product_family(p);
	if (fam == APP_OTHER) {
		add_unclassified(o, d, p);
		return;
	}
	char name[512];
	if (j->verbose >= 1)
		snprintf(name, sizeof(name), "%s (%s, %s)", e->label, p->name ? p->name : "no name",
			 p->application_id ? p->application_id : "no application id");
	else
		snprintf(name, sizeof(name), "%s", e->label);

	long long count = p->current_count;
	if (count < 0) { /* -1 or absent: DOC_ABSENT */
		struct subcheck *sc = product_add(o, "%s: not enabled as a KMS host or no request "
						"received yet (no current count)", name);
		subcheck_headline(sc, "%s not enabled as a KMS host or no request received yet",
				  e->label);
		subcheck_set_state(sc, STATE_CRITICAL);
		return;
	}

	struct product_rule pr = product_rule(cfg, j->user, fam);
	struct product_forecast pf;
	bool have_fc = product_forecast(g, d, p, &pr, cfg->forecast_days, &pf);
	char head[640], phrase[256];
	if (have_fc && pf.o.warns) {
		/* "Windows count 31 forecast to fall below 25 on 2026-11-28 (in 3
		 * days): 9 clients stopped renewing" */
		crossing_phrase(&pf, &pr.th.crit, false, phrase, sizeof(phrase));
		snprintf(head, sizeof(head), "%s count %lld %s: %lld client%s stopped renewing",
			 e->label, count, phrase, pf.f.lapsing, pf.f.lapsing == 1 ? "" : "s");
	} else {
		count_phrase(e->label, &pr, cfg->servers_only, count, head, sizeof(head));
	}
	struct subcheck *ps = product_add(o, "%s", head);
	add_count(o, ps, e->perf, name, &pr, count);
	if (have_fc)
		add_forecast(o, ps, e->label, e->perf, &pr, &pf);
	else if (d->has_clients)
		check_note(o->c, "%sForecast %s: no application id to match clients with", o->pre,
			   e->label);
	if (subcheck_state(ps) != STATE_OK)
		note_clones(o, g, d, e);
}

/* ---- evaluate: which products --------------------------------------------- */

/* windows/office select by product_family(); a product of neither family is
 * selected by both, since it may be either and must be said to be unknown;
 * a GUID selects by application id. */
static bool product_selected(const struct config *cfg, const struct doc_product *p)
{
	if (cfg->n_selectors == 0)
		return true;
	enum app_family fam = product_family(p);
	for (size_t i = 0; i < cfg->n_selectors; i++) {
		const char *sel = cfg->selectors[i];
		bool win = strcasecmp(sel, "windows") == 0, off = strcasecmp(sel, "office") == 0;
		if (win || off) {
			if (fam == APP_OTHER || fam == (win ? APP_WINDOWS : APP_OFFICE))
				return true;
		} else if (app_matches(p->application_id, sel)) {
			return true;
		}
	}
	return false;
}

#define NONE_LEN 2048 /* "no product matches": asked and held fit */

/* Why no product is left to judge: what was asked for and what the
 * document holds. */
static void no_product(const struct config *cfg, const struct doc *d, char why[NONE_LEN])
{
	char asked[256] = "", held[1024] = "";
	if (!cfg->n_selectors) {
		snprintf(why, NONE_LEN, "the status document lists no KMS host product (host %s)",
			 d->host.name);
		return;
	}
	for (size_t i = 0; i < cfg->n_selectors; i++)
		text_append(asked, sizeof(asked), "%s%s", i ? ", " : "", cfg->selectors[i]);
	for (size_t i = 0; i < d->n_products; i++)
		text_append(held, sizeof(held), "%s%s (%s)", i ? ", " : "",
		       product_short_name(&d->products[i]),
		       d->products[i].application_id ? d->products[i].application_id : "no application id");
	if (d->n_products == 0)
		snprintf(why, NONE_LEN, "no product matches --product %s: the status document lists "
			 "no KMS host product", asked);
	else
		snprintf(why, NONE_LEN, "no product matches --product %s: the status document holds %s",
			 asked, held);
}

/* The products of d to judge (--product), each with a label unique in the
 * document and a perfdata label (pre and label) unique in the fleet. NULL
 * with why set when none is left; else the caller frees the array. */
static struct product_eval *select_products(const struct config *cfg, const struct doc *d,
					    const char *pre, size_t *out_n, char why[NONE_LEN])
{
	struct product_eval *ev = calloc(d->n_products ? d->n_products : 1, sizeof(*ev));
	if (!ev)
		die("out of memory");
	size_t n = 0;
	for (size_t i = 0; i < d->n_products; i++) {
		if (!product_selected(cfg, &d->products[i]))
			continue;
		struct product_eval *e = &ev[n];
		e->p = &d->products[i];
		snprintf(e->label, sizeof(e->label), "%s", product_short_name(e->p));
		/* perfdata labels must be unique: number a repeated name */
		int same = 1;
		for (size_t j = 0; j < n; j++)
			if (strcmp(product_short_name(ev[j].p), e->label) == 0)
				same++;
		if (same > 1)
			snprintf(e->label, sizeof(e->label), "%s #%d", product_short_name(e->p), same);
		snprintf(e->perf, sizeof(e->perf), "%s%s", pre, e->label);
		n++;
	}
	if (n == 0) {
		free(ev);
		no_product(cfg, d, why);
		return NULL;
	}
	*out_n = n;
	return ev;
}

/* ---- evaluate: one document, a fleet ---------------------------------------- */

/* Why some clients are not in any forecast. */
static void add_forecast_notes(const struct host_out *o, const struct doc *d,
			       const struct gather *g)
{
	if (!d->has_clients)
		check_note(o->c, "%sForecast: no client inventory in the document", o->pre);
	if (g->ambiguous)
		check_note(o->c, "%sForecast: %zu client%s seen within 30 days left out: server OS "
			   "or Office, ambiguous (required_count 5, SKU not in the table, no "
			   "application_id)", o->pre, g->ambiguous, g->ambiguous == 1 ? "" : "s");
	if (g->unknown)
		check_note(o->c, "%sForecast: %zu client%s seen within 30 days left out: unknown "
			   "product (neither sku_id, required_count nor application_id tells)",
			   o->pre, g->unknown, g->unknown == 1 ? "" : "s");
}

/* One document's products judged into o: the one evaluation of a host,
 * alone or in a fleet. */
static void evaluate_host(const struct host_out *o, const struct judge *j,
			  const struct gather *g, const struct doc *d,
			  const struct product_eval *ev, size_t n)
{
	add_forecast_notes(o, d, g);
	for (size_t i = 0; i < n; i++)
		evaluate_product(o, j, g, d, &ev[i]);
}

/* One -u: the products are the check's top-level subchecks; no product to
 * judge ends the check (UNKNOWN). */
static void evaluate_document(struct check *c, const struct judge *j, const struct gather *g,
			      const struct doc *d)
{
	char why[NONE_LEN];
	size_t n;
	struct product_eval *ev = select_products(j->cfg, d, "", &n, why);
	if (!ev)
		die("%s", why);
	struct host_out o = { .c = c, .host = NULL, .pre = "" };
	evaluate_host(&o, j, g, d, ev, n);
	free(ev);
}

/* The lowest count of one product label over the fleet, for the OK line. */
struct lowest {
	char label[128];
	long long count;
	const char *host;
};

#define MAX_LOWEST 16 /* more product labels than line 1 can name */

static void note_lowest(struct lowest *low, size_t *n_low, const char *host,
			const struct product_eval *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long long count = ev[i].p->current_count;
		if (count < 0 || product_family(ev[i].p) == APP_OTHER)
			continue;
		size_t k = 0;
		while (k < *n_low && strcmp(low[k].label, ev[i].label) != 0)
			k++;
		if (k == *n_low) {
			if (*n_low == MAX_LOWEST)
				continue;
			snprintf(low[k].label, sizeof(low[k].label), "%s", ev[i].label);
			low[k].count = count;
			low[k].host = host;
			(*n_low)++;
		} else if (count < low[k].count) {
			low[k].count = count;
			low[k].host = host;
		}
	}
}

/* "3 KMS hosts OK; lowest: Windows 31 (kms02), Office 2013+ 10 (kms01)":
 * the headroom of the fleet, as many products as line 1 holds. */
static void fleet_summary_ok(struct check *c, size_t n_hosts, const struct lowest *low,
			     size_t n_low)
{
	/* line 1 is "KMS COUNT OK - " and this */
	size_t room = LINE1_MAX - strlen("KMS  OK - ") - strlen(count_info.aspect);
	char line[512], item[400];
	snprintf(line, sizeof(line), "%zu KMS hosts OK", n_hosts);
	for (size_t i = 0; i < n_low; i++) {
		text_printf(item, sizeof(item), "%s%s %lld (%s)", i ? ", " : "; lowest: ",
			 low[i].label, low[i].count, low[i].host);
		char more[32] = "";
		if (i + 1 < n_low)
			snprintf(more, sizeof(more), ", +%zu more", n_low - i - 1);
		if (i > 0 && strlen(line) + strlen(item) + strlen(more) > room) {
			snprintf(more, sizeof(more), ", +%zu more", n_low - i);
			text_append(line, sizeof(line), "%s", more);
			break;
		}
		text_append(line, sizeof(line), "%s", item);
	}
	check_summary_ok(c, "%s", line);
}

/* Several -u: every usable host's products judged on their own under the
 * host's subcheck (counts are never summed: a client below a host's
 * threshold is refused by that host); a host that is not usable is its own
 * UNKNOWN (or --stale-state) leaf. */
static void evaluate_fleet(struct check *c, const struct judge *j, const struct fleet *f,
			   const struct gather *g)
{
	struct lowest low[MAX_LOWEST];
	size_t n_low = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_doc *fd = &f->docs[i];
		struct subcheck *host = fleet_host_subcheck(c, fd);
		if (!host)
			continue;
		char pre[sizeof(fd->name) + 1], why[NONE_LEN];
		snprintf(pre, sizeof(pre), "%s ", fd->name);
		size_t n;
		struct product_eval *ev = select_products(j->cfg, fd->doc, pre, &n, why);
		if (ev) {
			struct host_out o = { .c = c, .host = host, .pre = pre };
			evaluate_host(&o, j, &g[i], fd->doc, ev, n);
			note_lowest(low, &n_low, fd->name, ev, n);
			free(ev);
		} else {
			struct subcheck *sc = subcheck_add(host, "%s: %s", fd->name, why);
			subcheck_set_state(sc, STATE_UNKNOWN);
		}
		fleet_host_headline(host, fd->name);
	}
	if (check_state(c) == STATE_OK)
		fleet_summary_ok(c, f->n, low, n_low);
}

/* ---- options -------------------------------------------------------------- */

static bool handle_option(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct config *cfg = ctx;
	switch (id) {
	case OPT_PRODUCT:
		if (!app_selector_valid("--product", arg, err))
			return false;
		if (cfg->n_selectors == MAX_SELECTORS) {
			snprintf(err, KMS_ERRLEN, "too many --product options (at most %d)", MAX_SELECTORS);
			return false;
		}
		cfg->selectors[cfg->n_selectors++] = arg;
		return true;
	case OPT_SERVERS_ONLY:
		cfg->servers_only = true;
		return true;
	case OPT_FORECAST_DAYS:
		return number_parse("--forecast-days", arg, 0, FORECAST_DAYS - 1,
				    &cfg->forecast_days, err);
	}
	snprintf(err, KMS_ERRLEN, "unhandled option %d", id);
	return false;
}

int main(int argc, char **argv)
{
	struct common_opts co;

	options_parse(argc, argv, &count_info, &co);
	options_start(&co);
	if (!co.url)
		die("no status document given: use -u URL (http, https, file or a path)");

	struct thresholds user;
	bool have_user = co.warning || co.critical;
	char err[KMS_ERRLEN];
	if (have_user && !thresholds_parse(&user, co.warning, co.critical, 0, err))
		die("%s", err);
	struct judge j = { .cfg = &count_config, .verbose = co.verbose,
			   .user = have_user ? &user : NULL };

	/* gather: each document's clients into its own histograms */
	struct gather g[OPTS_MAX_URLS];
	void *ctxs[OPTS_MAX_URLS];
	long long now_min = (long long)floor(wall_now() / 60.0);
	for (size_t i = 0; i < co.n_urls; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].now_min = now_min;
		ctxs[i] = &g[i];
	}
	struct fleet f;
	memset(&f, 0, sizeof(f));
	struct doc *d = NULL;
	if (co.n_urls == 1) /* as before fleets: its failure ends the check */
		d = doc_load_or_die(&co, on_client, &g[0]);
	else
		fleet_load(&co, on_client, ctxs, &f);
	for (size_t i = 0; i < co.n_urls; i++)
		if (g[i].skipped)
			vlog(1, "%s%s%zu clients of more than %d application ids not aggregated",
			     d ? "" : f.docs[i].name, d ? "" : ": ", g[i].skipped, MAX_APPS);

	/* evaluate */
	struct check *c = check_new();
	if (d)
		evaluate_document(c, &j, &g[0], d);
	else
		evaluate_fleet(c, &j, &f, g);

	/* report */
	doc_free(d);
	fleet_free(&f);
	for (size_t i = 0; i < co.n_urls; i++)
		gather_free(&g[i]);
	check_exit(c);
}

/* ---- help ------------------------------------------------------------------ */

static const struct plugin_option count_options[] = {
	{ "product", 0, true, "windows|office|APPID",
	  "Check only these products (repeatable): windows, office (2010 and 2013+),\n"
	  "or an application id. Default: every KMS host product in the document.",
	  OPT_PRODUCT },
	{ "servers-only", 0, false, NULL,
	  "The network has only server OSes: Windows thresholds become CRITICAL\n"
	  "below 5 and WARNING below 7, and the Windows count caps at 10.",
	  OPT_SERVERS_ONLY },
	{ "forecast-days", 0, true, "N",
	  "WARNING when the forecast count falls into the critical range within N\n"
	  "days (0-30, default 7).",
	  OPT_FORECAST_DAYS },
	{ NULL, 0, false, NULL, NULL, 0 },
};

static const char count_notes[] =
	"Default thresholds, per product (a KMS host activates client OSes at a\n"
	"count of 25, server OSes and Office at 5):\n"
	"  Windows  -c 25: -w 30:   (--servers-only: -c 5: -w 7:)\n"
	"  Office   -c 5:  -w 7:\n"
	"-w and -c replace both defaults for every selected product: give both\n"
	"(e.g. -c 25: -w 30:); one alone leaves the other unset.\n"
	"A current_count of -1 or absent is CRITICAL: not enabled as a KMS host or\n"
	"no request received yet.\n"
	"A product is Windows or Office by its application id, else by its name\n"
	"(the word Windows or Office in it); one neither says is UNKNOWN, never\n"
	"judged with the other family's thresholds (--product windows and office\n"
	"both select it; select the others by application id to leave it out).\n"
	"\n"
	"Forecast: a client belongs to a product by its sku_id (a table of KMS client\n"
	"SKUs), else by required_count 25 (a Windows client OS), else by its\n"
	"application_id; one none of them settles (required_count 5 alone: a server\n"
	"OS or Office) is left out and counted in a note, never guessed. The\n"
	"inventory holds one record per (CMID, product): a machine with Windows and\n"
	"Office counts once in each.\n"
	"Clients whose last request is within the host's renewal interval\n"
	"(default 7 days) plus 2 days are active and assumed to keep renewing; every\n"
	"other client seen in the last 30 days leaves the count 30 days after its\n"
	"last request. Without a client inventory in the document there is no\n"
	"forecast and the state is unaffected.\n"
	"\n"
	"A product that is not OK and whose records show CMIDs shared by clones (two\n"
	"or more names_seen within the renewal interval + 2 days) gets one more line:\n"
	"\"Windows: 17 machines share 2 CMIDs: see check_kms_clients\".\n"
	"\n"
	"Perfdata per product: 'Windows'=count;warn;crit;0;cap, plus 'Windows active'\n"
	"and 'Windows lapsing' when the document has a client inventory.\n"
	"\n"
	"Several KMS hosts: give -u once per host (at most 16). Counts are not shared\n"
	"between hosts (a client that reaches a host below its threshold is refused\n"
	"and does not try another), so every host's products are judged on their\n"
	"own, never summed; line 1 names the worst host and product (\"kms02: Windows\n"
	"23/25 ...\"), long output and perfdata labels carry the host ('kms01\n"
	"Windows'). A host whose document cannot be fetched, is invalid, stale or\n"
	"repeats another's host.name is UNKNOWN (stale: --stale-state), the others\n"
	"are judged as usual.\n"
	"\n"
	"Examples:\n"
	"  check_kms_count -u https://kms01.corp.example/kms-status.json --cacert ca.pem\n"
	"  check_kms_count -u /srv/kms/kms-status.json --product windows -c 25: -w 35:\n"
	"  check_kms_count -u https://kms01.corp.example/kms-status.json \\\n"
	"                  -u https://kms02.corp.example/kms-status.json --cacert ca.pem\n";

static const struct plugin_info count_info = {
	.name = "check_kms_count",
	.aspect = "COUNT",
	.purpose = "Check the KMS current count of each KMS host product in the status "
		   "document against the activation thresholds (25 for client OSes, 5 for "
		   "server OSes and Office), and forecast when it falls below them.",
	.usage = "-u URL [-u URL]... [--product windows|office|APPID]... [--servers-only] "
		 "[--forecast-days N] [-w RANGE] [-c RANGE] [options]",
	.groups = OPTS_THRESHOLDS | OPTS_DOCUMENT,
	.options = count_options,
	.notes = count_notes,
	.timeout_state = STATE_UNKNOWN,
	.handle = handle_option,
	.ctx = &count_config,
};
