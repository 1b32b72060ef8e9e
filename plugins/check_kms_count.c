/* check_kms_count - the KMS current count of every KMS host product in the
 * status document, held against the activation thresholds (25 for client
 * OSes, 5 for server OSes and Office), and a forecast of the day the count
 * falls below the critical threshold because clients stopped renewing.
 *
 * Owns: the per-product thresholds and their wording, the client-inventory
 * aggregation (a per-application histogram of request ages, never a client
 * list, so a 1M-client document stays in flat memory) and the forecast.
 * A client's application is the one sku.h's rule settles (SKU table,
 * required_count 25, application_id); the loader keeps one record per
 * (CMID, product), so a histogram counts each machine once per product: a
 * machine with Windows and Office records is in each forecast once. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "options.h"
#include "output.h"
#include "range.h"
#include "sku.h"
#include "timeutil.h"

#define MAX_SELECTORS 16
#define MAX_APPS 8                    /* distinct application ids aggregated */
#define MINUTES_PER_DAY 1440LL
#define COUNT_WINDOW_MIN (30LL * MINUTES_PER_DAY) /* the count holds 30 days */
#define ACTIVE_SLACK_MIN (2LL * MINUTES_PER_DAY)  /* renewal interval + 2 days */
#define DEFAULT_RENEWAL_MIN 10080LL   /* VLRenewalInterval: 7 days */
#define FORECAST_DAYS_MAX 31          /* every lapsing client is out by then */

enum { OPT_PRODUCT = 256, OPT_SERVERS_ONLY, OPT_FORECAST_DAYS };

struct config {
	const char *selectors[MAX_SELECTORS];
	size_t n_selectors;
	bool servers_only;
	long long forecast_days;
};

/* Requests of one application id, by age in whole minutes (0 .. 30 days).
 * Ages are counted from now rounded down to the minute, so the active/lapsing
 * cut and the drop-out dates can be derived after loading, once the host's
 * renewal interval is known (the document may list clients before host). */
struct app_hist {
	char app_id[40];
	uint32_t *by_age; /* COUNT_WINDOW_MIN + 1 entries */
};

struct gather {
	long long now_min;
	struct app_hist apps[MAX_APPS];
	size_t n_apps;
	size_t skipped; /* clients of further application ids (vlog only) */
	size_t ambiguous, unknown; /* in the window, product not settled */
};

/* What the inventory says about one product. */
struct forecast {
	bool have;              /* inventory present and product has an app id */
	long long active, lapsing;
	long long drops[FORECAST_DAYS_MAX]; /* lapsing clients leaving on day d */
	int last_drop_day;      /* -1 when none lapsing */
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
	h->by_age = calloc((size_t)COUNT_WINDOW_MIN + 1, sizeof(*h->by_age));
	if (!h->by_age)
		die("out of memory aggregating the client inventory");
	memcpy(h->app_id, id, sizeof(id));
	g->n_apps++;
	return h;
}

/* The doc_load callback: one histogram increment per client still in the
 * count; clients silent for more than 30 days are no longer counted. */
static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct gather *g = ctx;
	(void)err;
	if (isnan(c->last_request_at))
		return true;
	long long age = g->now_min - (long long)floor(c->last_request_at / 60.0);
	if (age > COUNT_WINDOW_MIN)
		return true;
	if (age < 0)
		age = 0; /* clock skew: a request "from the future" is recent */
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
	return true;
}

static void gather_free(struct gather *g)
{
	for (size_t i = 0; i < g->n_apps; i++)
		free(g->apps[i].by_age);
}

/* ---- evaluate ------------------------------------------------------------- */

/* Split a product's clients into active (renewing) and lapsing ones, and
 * lapsing ones by the UTC day (0 = today) on which they leave the count. */
static void forecast_build(const struct gather *g, const struct doc *d,
			   const struct doc_product *p, struct forecast *f)
{
	memset(f, 0, sizeof(*f));
	f->last_drop_day = -1;
	if (!d->has_clients || !p->application_id)
		return;
	f->have = true;
	const struct app_hist *h = NULL;
	for (size_t i = 0; i < g->n_apps; i++)
		if (strcasecmp(g->apps[i].app_id, p->application_id) == 0)
			h = &g->apps[i];
	if (!h)
		return;
	long long renewal = d->host.renewal_interval_minutes;
	if (renewal <= 0)
		renewal = DEFAULT_RENEWAL_MIN;
	long long active_max = renewal + ACTIVE_SLACK_MIN;
	long long today = g->now_min / MINUTES_PER_DAY;
	for (long long age = 0; age <= COUNT_WINDOW_MIN; age++) {
		uint32_t n = h->by_age[age];
		if (!n)
			continue;
		if (age <= active_max) {
			f->active += n;
			continue;
		}
		long long drop_min = g->now_min - age + COUNT_WINDOW_MIN;
		long long day = drop_min / MINUTES_PER_DAY - today;
		if (day < 0)
			day = 0;
		if (day >= FORECAST_DAYS_MAX)
			day = FORECAST_DAYS_MAX - 1;
		f->lapsing += n;
		f->drops[day] += n;
		if (day > f->last_drop_day)
			f->last_drop_day = (int)day;
	}
}

/* First UTC day (0 = today) on which the forecast count violates the
 * critical range, or -1. The forecast count is the current count minus the
 * clients that have left by then, but never below the active clients (they
 * keep renewing; capped); clients in the inventory beyond the reported count
 * (above the cap) leave first without lowering it. */
static int forecast_cross_day(const struct forecast *f, long long count,
			      long long cap, const struct range *crit,
			      long long *at_count)
{
	long long excess = f->active + f->lapsing - count;
	long long floor_count = f->active < cap ? f->active : cap;
	long long dropped = 0;

	if (excess < 0)
		excess = 0;
	for (int day = 0; day < FORECAST_DAYS_MAX; day++) {
		dropped += f->drops[day];
		long long lost = dropped > excess ? dropped - excess : 0;
		long long fc = count - lost;
		if (fc < floor_count)
			fc = floor_count;
		if (range_violates(crit, (double)fc)) {
			*at_count = fc;
			return day;
		}
	}
	return -1;
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

struct product_eval {
	const struct doc_product *p;
	char label[128];
	state_t st;
	char frag[640]; /* for the first line */
};

/* Say what the forecast of one product holds (a long-output note) and
 * whether it warns: the count reaches the critical range within horizon
 * days. phrase then reads "forecast to fall below 25 on 2026-11-28 (in 3
 * days)". */
static bool forecast_judge(struct result *r, const char *label, const struct forecast *f,
			   const struct thresholds *th, long long count, long long cap,
			   state_t st, long long today, long long horizon,
			   char *phrase, size_t len)
{
	char note[512], date[32], num[64], text[96];

	snprintf(note, sizeof(note), "Forecast %s: %lld active", label, f->active);
	if (f->lapsing > 0) {
		fmt_utc(date, sizeof(date), (double)((today + f->last_drop_day) * 86400LL), "%Y-%m-%d");
		text_append(note, sizeof(note), ", %lld lapsing (all out of the count by %s)",
		       f->lapsing, date);
	} else {
		text_append(note, sizeof(note), ", none lapsing");
	}
	if (!th->has_crit) {
		result_note(r, "%s; no critical threshold to forecast against", note);
		return false;
	}
	if (st == STATE_CRITICAL) {
		result_note(r, "%s; count already critical", note);
		return false;
	}
	bool floor_form = range_is_floor(&th->crit);
	fmt_number(num, sizeof(num), th->crit.start, FMT_AUTO);
	range_format(&th->crit, text, sizeof(text));
	long long at_count = 0;
	int day = forecast_cross_day(f, count, cap, &th->crit, &at_count);
	if (day < 0) {
		if (floor_form)
			result_note(r, "%s; count stays at %s or more", note, num);
		else
			result_note(r, "%s; count stays out of the critical range %s", note, text);
		return false;
	}
	char when[32];
	fmt_utc(date, sizeof(date), (double)((today + day) * 86400LL), "%Y-%m-%d");
	if (day == 0)
		snprintf(when, sizeof(when), "today");
	else
		snprintf(when, sizeof(when), "in %d day%s", day, day == 1 ? "" : "s");
	if (floor_form)
		snprintf(phrase, len, "forecast to fall below %s on %s (%s)", num, date, when);
	else
		snprintf(phrase, len, "forecast to be critical (range %s) on %s (%s)", text, date, when);
	/* the note adds the forecast count inside the phrase's parenthesis */
	result_note(r, "%s; %.*s, count %lld)", note, (int)strlen(phrase) - 1, phrase, at_count);
	return day <= horizon;
}

/* Judge one product: add its partial, forecast note and perfdata, and write
 * its fragment of the first line. */
static void evaluate_product(struct result *r, const struct config *cfg,
			     const struct common_opts *co, const struct thresholds *user,
			     const struct gather *g, const struct doc *d,
			     struct product_eval *e)
{
	const struct doc_product *p = e->p;
	enum app_family fam = product_family(p);
	if (fam == APP_OTHER) {
		/* the thresholds differ five-fold: guessing Office would call a
		 * Windows count of 12 OK */
		size_t idx = (size_t)(p - d->products);
		e->st = STATE_UNKNOWN;
		snprintf(e->frag, sizeof(e->frag),
			 "$.products[%zu]: neither application_id nor name tells Windows from Office",
			 idx);
		result_add(r, e->st, "$.products[%zu] (name %s%s%s, application_id %s): neither "
			   "says whether it is Windows or Office, so no threshold applies",
			   idx, p->name ? "\"" : "", p->name ? p->name : "absent", p->name ? "\"" : "",
			   p->application_id ? p->application_id : "absent");
		return;
	}
	bool win = fam == APP_WINDOWS;
	long long cap = (win && !cfg->servers_only) ? 50 : 10;
	struct thresholds th;
	char err[KMS_ERRLEN], name[512], crit_txt[128] = "", warn_txt[128] = "";

	if (user)
		th = *user;
	else if (win && !cfg->servers_only)
		thresholds_parse(&th, "30:", "25:", 0, err);
	else
		thresholds_parse(&th, "7:", "5:", 0, err);
	if (th.has_crit)
		describe_range(&th.crit, crit_txt, sizeof(crit_txt));
	if (th.has_warn)
		describe_range(&th.warn, warn_txt, sizeof(warn_txt));

	if (co->verbose >= 1)
		snprintf(name, sizeof(name), "%s (%s, %s)", e->label,
			 p->name ? p->name : "no name",
			 p->application_id ? p->application_id : "no application id");
	else
		snprintf(name, sizeof(name), "%s", e->label);

	long long count = p->current_count;
	if (count < 0) {
		e->st = STATE_CRITICAL;
		snprintf(e->frag, sizeof(e->frag), "%s not enabled as a KMS host or no request received yet",
			 e->label);
		result_add(r, e->st, "%s: not enabled as a KMS host or no request received yet "
			   "(no current count)", name);
		return;
	}

	e->st = thresholds_check(&th, (double)count);
	char line[1024] = "";
	text_append(line, sizeof(line), "%s: count %lld", name, count);
	if (th.has_crit)
		text_append(line, sizeof(line), ", critical %s", crit_txt);
	if (th.has_warn)
		text_append(line, sizeof(line), ", warning %s", warn_txt);
	text_append(line, sizeof(line), ", cap %lld: %s", cap, count_allows(fam, count));

	/* The first-line fragment: "Windows 18/25 (clients cannot activate)". */
	if (e->st == STATE_OK) {
		snprintf(e->frag, sizeof(e->frag), "%s %lld OK", e->label, count);
	} else {
		const struct range *hit = e->st == STATE_CRITICAL ? &th.crit : &th.warn;
		char num[64], text[96];
		if (range_is_floor(hit)) {
			char why[64];
			count_shortfall(fam, cfg->servers_only, count, e->st, &th, why, sizeof(why));
			snprintf(e->frag, sizeof(e->frag), "%s %lld/%s (%s)", e->label, count,
				 fmt_number(num, sizeof(num), hit->start, FMT_AUTO), why);
		} else {
			range_format(hit, text, sizeof(text));
			snprintf(e->frag, sizeof(e->frag), "%s %lld (%s range %s)", e->label,
				 count, e->st == STATE_CRITICAL ? "critical" : "warning", text);
		}
	}

	/* The forecast, when the inventory is there. */
	struct forecast f;
	forecast_build(g, d, p, &f);
	if (!f.have) {
		if (d->has_clients)
			result_note(r, "Forecast %s: no application id to match clients with", e->label);
	} else {
		char phrase[256];
		if (forecast_judge(r, e->label, &f, &th, count, cap, e->st, g->now_min / MINUTES_PER_DAY,
				   cfg->forecast_days, phrase, sizeof(phrase))) {
			e->st = state_worst(e->st, STATE_WARNING);
			snprintf(e->frag, sizeof(e->frag), "%s count %lld %s: %lld client%s stopped renewing",
				 e->label, count, phrase, f.lapsing, f.lapsing == 1 ? "" : "s");
			text_append(line, sizeof(line), "; %s", phrase);
		}
	}
	result_add(r, e->st, "%s", line);
	result_perf(r, e->label, (double)count, "", &th, 0, (double)cap);
	if (f.have) {
		char lab[160];
		snprintf(lab, sizeof(lab), "%s active", e->label);
		result_perf(r, lab, (double)f.active, "", NULL, 0, NAN);
		snprintf(lab, sizeof(lab), "%s lapsing", e->label);
		result_perf(r, lab, (double)f.lapsing, "", NULL, 0, NAN);
	}
}

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

/* UNKNOWN naming what was asked for and what the document holds. */
_Noreturn static void die_no_match(const struct config *cfg, const struct doc *d)
{
	char asked[256] = "", held[1024] = "";
	for (size_t i = 0; i < cfg->n_selectors; i++)
		text_append(asked, sizeof(asked), "%s%s", i ? ", " : "", cfg->selectors[i]);
	for (size_t i = 0; i < d->n_products; i++)
		text_append(held, sizeof(held), "%s%s (%s)", i ? ", " : "",
		       product_short_name(&d->products[i]),
		       d->products[i].application_id ? d->products[i].application_id : "no application id");
	if (d->n_products == 0)
		die("no product matches --product %s: the status document lists no KMS host product", asked);
	die("no product matches --product %s: the status document holds %s", asked, held);
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
		return number_parse("--forecast-days", arg, 0, FORECAST_DAYS_MAX - 1,
				    &cfg->forecast_days, err);
	}
	snprintf(err, KMS_ERRLEN, "unhandled option %d", id);
	return false;
}

/* Filled by the option handler; defined with its help at the end. */
static struct config count_config = { .forecast_days = 7 };
static const struct plugin_info count_info;

/* The products to judge (--product), each with a unique perfdata label;
 * ends UNKNOWN when none is left. The caller frees the array. */
static struct product_eval *select_products(const struct doc *d, size_t *out_n)
{
	struct product_eval *ev = calloc(d->n_products ? d->n_products : 1, sizeof(*ev));
	if (!ev)
		die("out of memory");
	size_t n = 0;
	for (size_t i = 0; i < d->n_products; i++) {
		if (!product_selected(&count_config, &d->products[i]))
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
		n++;
	}
	if (n == 0) {
		if (count_config.n_selectors)
			die_no_match(&count_config, d);
		die("the status document lists no KMS host product (host %s)", d->host.name);
	}

	*out_n = n;
	return ev;
}

/* Why some clients are not in any forecast. */
static void add_forecast_notes(struct result *r, const struct doc *d, const struct gather *g)
{
	if (!d->has_clients)
		result_note(r, "Forecast: no client inventory in the document");
	if (g->ambiguous)
		result_note(r, "Forecast: %zu client%s seen within 30 days left out: server OS or "
			    "Office, ambiguous (required_count 5, SKU not in the table, no "
			    "application_id)", g->ambiguous, g->ambiguous == 1 ? "" : "s");
	if (g->unknown)
		result_note(r, "Forecast: %zu client%s seen within 30 days left out: unknown product "
			    "(neither sku_id, required_count nor application_id tells)",
			    g->unknown, g->unknown == 1 ? "" : "s");
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

	/* gather */
	struct gather g;
	memset(&g, 0, sizeof(g));
	g.now_min = (long long)floor(wall_now() / 60.0);
	struct doc *d = doc_load_or_die(&co, on_client, &g);
	if (g.skipped)
		vlog(1, "%zu clients of more than %d application ids not aggregated",
		     g.skipped, MAX_APPS);

	/* evaluate */
	size_t n;
	struct product_eval *ev = select_products(d, &n);
	struct result *r = result_new();
	add_forecast_notes(r, d, &g);
	for (size_t i = 0; i < n; i++)
		evaluate_product(r, &count_config, &co, have_user ? &user : NULL, &g, d, &ev[i]);

	/* the first line names every product, worst first */
	for (size_t i = 0; i < n; i++)
		result_headline(r, ev[i].st, "%s", ev[i].frag);

	/* report */
	free(ev);
	doc_free(d);
	gather_free(&g);
	result_exit(r);
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
	"Perfdata per product: 'Windows'=count;warn;crit;0;cap, plus 'Windows active'\n"
	"and 'Windows lapsing' when the document has a client inventory.\n"
	"\n"
	"Examples:\n"
	"  check_kms_count -u https://kms01.corp.example/kms-status.json --cacert ca.pem\n"
	"  check_kms_count -u /srv/kms/kms-status.json --product windows -c 25: -w 35:\n";

static const struct plugin_info count_info = {
	.name = "check_kms_count",
	.aspect = "COUNT",
	.purpose = "Check the KMS current count of each KMS host product in the status "
		   "document against the activation thresholds (25 for client OSes, 5 for "
		   "server OSes and Office), and forecast when it falls below them.",
	.usage = "-u URL [--product windows|office|APPID]... [--servers-only] "
		 "[--forecast-days N] [-w RANGE] [-c RANGE] [options]",
	.groups = OPTS_THRESHOLDS | OPTS_DOCUMENT,
	.options = count_options,
	.notes = count_notes,
	.timeout_state = STATE_UNKNOWN,
	.handle = handle_option,
	.ctx = &count_config,
};
