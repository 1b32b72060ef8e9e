/* check_kms_service - host-side health of a KMS host from its status
 * document, as the SCOM "Microsoft.KMS" management pack watches it: KMS
 * enabled and its service running, the host's own license per KMS host
 * product, DNS publishing (12293 vs 12294), start and renewal-timer failures
 * (12291, 12292), idle time of the host and of each KMS product, and
 * clients whose last request failed, by HRESULT and edition.
 *
 * Reads options -> gathers (the document, the client inventory aggregated
 * while it streams) -> evaluates (one top-level subcheck per finding, whose
 * headline is its short phrase for line 1) -> reports (check_exit). See
 * docs/DESIGN.md, "The result model".
 *
 * With -u given more than once (a fleet, common/fleet.h) every host's
 * document is aggregated on its own and judged by the same findings, as
 * the children of the host's subcheck; idle (of the host and of each
 * product) is then judged for the fleet (no request reached any host)
 * unless --idle-per-host.
 *
 * Owns: the findings and their phrases; the aggregation of the client
 * inventory into the newest request time, overall and per product, and
 * counts of failing clients per HRESULT and edition (never a client list,
 * so a 1M-client document stays in flat memory); the OK line; the request
 * counters as perfdata counters. The DNS-publishing decision is
 * common/publishing.h's. */
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "fleet.h"
#include "hgroups.h"
#include "hresult.h"
#include "options.h"
#include "output.h"
#include "publishing.h"
#include "range.h"
#include "result.h"
#include "sku.h"
#include "timeutil.h"
#include "xalloc.h"

/* Where the idle defaults come from (KMS renewal intervals, not the SCOM
 * pack, whose default no public copy shows): an activated client renews
 * every 7 days (VLRenewalInterval 10080 min) and an unactivated one retries
 * every 2 hours (VLActivationInterval 120 min), so a host serving a few
 * hundred machines hears from some of them every working hour. 12 h
 * without any request covers a quiet night after a working day and still
 * warns the same morning when the service or its port stopped answering.
 * One product is held to 2 d: its clients may be few, and a dozen Office
 * machines renewing once a week at random times are heard from under
 * twice a day, so a day without one happens by chance (two days without
 * one, for 12 clients, with a chance of (5/7)^12, under 2 %); and 2 d is
 * well inside the 7-day renewal interval, so a product that stopped
 * reaching the host (its host key, a firewall rule for its subnet) is
 * found days before its clients' next renewals fail too. Machines off
 * over a weekend (some 62 h) call for --product-idle 4320 (help). */
#define DEFAULT_IDLE_MIN 720LL          /* 12 h: any request at all */
#define DEFAULT_PRODUCT_IDLE_MIN 2880LL /* 2 d: a request of each product */
#define MAX_IDLE_MIN (366LL * 1440)
#define DEFAULT_LOOKBACK_S (24.0 * 3600)
#define DEFAULT_WARN_PCT 2.0            /* -w 2% of the clients heard from */
#define DEFAULT_CRIT_PCT 10.0           /* -c 10% */
#define GROUPS_IN_SUMMARY 2             /* HRESULT groups named in the first line */

#define EV_START_FAILED 12291
#define EV_TIMER_FAILED 12292

#define TIME_FMT "%Y-%m-%d %H:%M"
#define TIME_FMT_UTC "%Y-%m-%d %H:%M UTC"

enum { OPT_LOOKBACK = 256, OPT_IDLE, OPT_PRODUCT_IDLE, OPT_IDLE_PER_HOST, OPT_REQUIRE_DNS };

struct config {
	double lookback;        /* seconds */
	long long idle_min;     /* 0: idle check off */
	long long product_idle_min; /* 0: idle per product off */
	bool require_dns;
	bool idle_per_host;     /* with several -u: idle judged per host, not for the fleet */
	struct thresholds th;   /* -w/-c on failing clients, percent unscaled */
	char th_text[160];      /* "-w 2%, -c 10%", as given */
};

/* The KMS products idle is judged for, by application id: a fixed table,
 * so the per-product aggregate is three numbers, whatever the inventory.
 * Each is named by app_short_name() (line 1, long output, perfdata). */
static const char *const kms_products[] = { APPID_WINDOWS, APPID_OFFICE2013, APPID_OFFICE2010 };
#define N_KMS_PRODUCTS (sizeof kms_products / sizeof kms_products[0])

/* kms_products' index of an application id (canonical text), -1 for NULL
 * or any other. */
static int kms_product_index(const char *app_id)
{
	for (size_t k = 0; app_id && k < N_KMS_PRODUCTS; k++)
		if (strcmp(app_id, kms_products[k]) == 0)
			return (int)k;
	return -1;
}

/* What the client inventory says, aggregated while it streams. */
struct gather {
	double since;           /* now - lookback */
	double last_request;    /* newest last_request_at; NAN when none */
	size_t with_request;    /* clients with a last_request_at */
	size_t heard;           /* ... within the lookback */
	double product_last[N_KMS_PRODUCTS]; /* newest request per product; NAN: none */
	struct hgroups failing; /* heard from, last result non-zero, by HRESULT and
				   edition; most first */
};

/* ---- options -------------------------------------------------------------- */

/* -w/-c, or the defaults 2% and 10% (built as data, docs/DESIGN.md, "The
 * output contract"); th_text is what the failed-requests line quotes. */
static void thresholds_setup(const struct common_opts *co, struct config *cfg)
{
	char err[KMS_ERRLEN];
	if (co->warning || co->critical) {
		if (!thresholds_parse(&cfg->th, co->warning, co->critical, RANGE_ALLOW_PERCENT, err))
			die("%s", err);
		if (co->warning)
			text_append(cfg->th_text, sizeof cfg->th_text, "-w %s", co->warning);
		if (co->critical)
			text_append(cfg->th_text, sizeof cfg->th_text, "%s-c %s",
				    cfg->th_text[0] ? ", " : "", co->critical);
		return;
	}
	struct range w = range_between(0, DEFAULT_WARN_PCT), c = range_between(0, DEFAULT_CRIT_PCT);
	w.percent = c.percent = true;
	cfg->th = thresholds_of(&w, &c);
	char wt[64], ct[64];
	range_format(&w, wt, sizeof wt);
	range_format(&c, ct, sizeof ct);
	snprintf(cfg->th_text, sizeof cfg->th_text, "-w %s, -c %s", wt, ct);
}

/* ---- gather --------------------------------------------------------------- */

/* A failing client's edition for the groups: the SKU table's name; a SKU
 * the table does not know by its id ("SKU 0123abcd-..."), which line 1
 * never shows alone; a record without sku_id by what client_product()
 * settles ("Windows client OS", "Office 2013+"), named when that is a
 * product and not an id or a guess. */
static void add_failing(struct gather *g, const struct doc_client *c,
			const struct client_product *cp)
{
	char id[48];
	if (cp->sku) {
		hgroups_add_edition(&g->failing, c->result_code, cp->sku->edition, true);
	} else if (c->sku_id) {
		snprintf(id, sizeof id, "SKU %s", c->sku_id);
		hgroups_add_edition(&g->failing, c->result_code, id, false);
	} else {
		bool named = cp->basis == PB_COUNT ||
			     (cp->basis == PB_APPID && app_short_name(cp->app_id) != NULL);
		hgroups_add_edition(&g->failing, c->result_code, cp->name, named);
	}
}

/* The doc_load callback: newest request, overall and per product, and
 * failing clients by HRESULT and edition. */
static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct gather *g = ctx;
	(void)err;
	if (isnan(c->last_request_at))
		return true;
	if (g->with_request == 0 || c->last_request_at > g->last_request)
		g->last_request = c->last_request_at;
	g->with_request++;
	struct client_product cp;
	client_product(c, &cp);
	int k = kms_product_index(cp.app_id);
	if (k >= 0 && (isnan(g->product_last[k]) || c->last_request_at > g->product_last[k]))
		g->product_last[k] = c->last_request_at;
	if (c->last_request_at < g->since)
		return true;
	g->heard++;
	if (c->has_result_code && c->result_code != 0)
		add_failing(g, c, &cp);
	return true;
}

static void gather_init(struct gather *g, const struct config *cfg, double now)
{
	/* field by field: the groups' tables are cleared as they fill */
	g->since = now - cfg->lookback;
	g->last_request = NAN;
	g->with_request = g->heard = 0;
	hgroups_init(&g->failing);
	for (size_t k = 0; k < N_KMS_PRODUCTS; k++)
		g->product_last[k] = NAN;
}

/* The document, with the inventory aggregated into *g. */
static struct doc *gather(const struct common_opts *co, const struct config *cfg,
			  double now, struct gather *g)
{
	gather_init(g, cfg, now);
	struct doc *d = doc_load_or_die(co, on_client, g);
	hgroups_sort(&g->failing);
	return d;
}

/* Every document of the fleet (fleet_load), document i's inventory
 * aggregated into g[i]: one aggregate per host, no client kept. */
static void gather_fleet(const struct common_opts *co, const struct config *cfg, double now,
			 struct gather g[OPTS_MAX_URLS], struct fleet *f)
{
	void *ctxs[OPTS_MAX_URLS];
	for (size_t i = 0; i < co->n_urls; i++) {
		gather_init(&g[i], cfg, now);
		ctxs[i] = &g[i];
	}
	fleet_load(co, on_client, ctxs, f);
	for (size_t i = 0; i < f->n; i++)
		hgroups_sort(&g[i].failing);
}

/* ---- evaluate ------------------------------------------------------------- */

/* How one host's idle time is judged. */
enum idle_mode {
	IDLE_JUDGED, /* against --idle: one document, or --idle-per-host */
	IDLE_SHOWN,  /* graphed and shown only: a fleet judges idle as a whole */
};

/* What every finding of one host reads, and where it adds them. */
struct eval {
	struct check *c;
	struct subcheck *host;    /* a fleet's host subcheck; NULL with one document */
	const char *name;         /* a fleet's name for the host ("kms02"), else NULL */
	enum idle_mode idle;
	const struct config *cfg;
	const struct doc *d;
	const struct gather *g;
	double now;
	int verbose;
	char lookback[48];        /* "1 d" */
	struct subcheck *doc_sc;  /* the status-document finding */
	struct subcheck *reqs_sc; /* the failed-requests finding, when judged */
};

/* One line of the host's result. With one document a top-level subcheck;
 * in a fleet a child of the host's subcheck, its text starting with the
 * host's name, since only leaves are printed ("kms02: KMS service ..."). */
static struct subcheck *add_line(struct eval *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct subcheck *add_line(struct eval *ev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	struct subcheck *sc = ev->host ? subcheck_add(ev->host, "%s: %s", ev->name, text)
				       : check_add(ev->c, "%s", text);
	free(text);
	return sc;
}

/* A note of the host's (check_note), named by the host in a fleet. */
static void note(struct eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct eval *ev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	if (ev->host)
		check_note(ev->c, "%s: %s", ev->name, text);
	else
		check_note(ev->c, "%s", text);
	free(text);
}

/* A perfdata label of the host's: "idle" with one document, "kms02 idle"
 * in a fleet, so that every host's metrics stay apart. */
static const char *metric_label(const struct eval *ev, char *buf, size_t len, const char *what)
{
	if (ev->host)
		snprintf(buf, len, "%s %s", ev->name, what);
	else
		snprintf(buf, len, "%s", what);
	return buf;
}

/* One finding: a line with its state, given once. Its headline
 * (subcheck_headline) is the phrase for line 1 when it is not OK; without
 * one, line 1 shows the output. */
static struct subcheck *finding(struct eval *ev, state_t st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct subcheck *finding(struct eval *ev, state_t st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	struct subcheck *sc = add_line(ev, "%s", text);
	free(text);
	subcheck_set_state(sc, st);
	return sc;
}

/* "0x8007232A DNS server failure" from an event's hresult text. */
static const char *event_code(char *buf, size_t len, const char *hresult)
{
	uint32_t code;
	if (!hresult) {
		snprintf(buf, len, "no HRESULT in the event");
	} else if (hresult_parse(hresult, &code)) {
		const char *meaning = hresult_meaning(code);
		snprintf(buf, len, "0x%08X%s%s", (unsigned)code, meaning ? " " : "",
			 meaning ? meaning : "");
	} else {
		snprintf(buf, len, "HRESULT \"%.32s\"", hresult);
	}
	return buf;
}

static void eval_freshness(struct eval *ev)
{
	char at[48], ago[48];
	double age = ev->now - ev->d->generated_at;
	fmt_utc(at, sizeof(at), ev->d->generated_at, TIME_FMT_UTC);
	fmt_duration(ago, sizeof(ago), fabs(age));
	ev->doc_sc = finding(ev, STATE_OK, "status document generated %s (%s %s)", at, ago,
			     age >= 0 ? "ago" : "in the future, within the 5 min allowed");
}

static void eval_enabled(struct eval *ev)
{
	const struct doc_host *h = &ev->d->host;
	if (h->kms_enabled == 0)
		finding(ev, STATE_CRITICAL, "KMS is not enabled on %s (clients get 0xC004F039)",
			h->name);
	else if (h->kms_enabled == 1 && h->port != DOC_ABSENT)
		finding(ev, STATE_OK, "KMS enabled on %s, port %lld", h->name, h->port);
	else if (h->kms_enabled == 1)
		finding(ev, STATE_OK, "KMS enabled on %s", h->name);
	else
		note(ev, "KMS enabled: not reported (host.kms_enabled absent)");
}

static void eval_service(struct eval *ev)
{
	const char *st = ev->d->host.service_state;
	if (!st) {
		note(ev, "KMS service state: not reported (host.service_state absent)");
	} else if (strcasecmp(st, "running") == 0) {
		finding(ev, STATE_OK, "KMS service running");
	} else {
		struct subcheck *sc = finding(ev, STATE_CRITICAL, "KMS service is %.64s, not "
					      "running: clients find no KMS (0xC004F074)", st);
		subcheck_headline(sc, "KMS service %.64s", st);
	}
}

/* Perfdata-safe, unique label of product i: "Windows", "Windows #2". */
static void product_label(const struct doc *d, size_t i, char *buf, size_t len)
{
	const char *name = product_short_name(&d->products[i]);
	int same = 1;
	for (size_t j = 0; j < i; j++)
		if (strcmp(product_short_name(&d->products[j]), name) == 0)
			same++;
	if (same > 1)
		snprintf(buf, len, "%s #%d", name, same);
	else
		snprintf(buf, len, "%s", name);
}

/* The KMS host's own license for product i: a host whose key is not
 * activated answers every client with 0xC004F041. A flat switch over the
 * license states. */
static void eval_license(struct eval *ev, size_t i)
{
	const struct doc_product *p = &ev->d->products[i];
	char label[160], name[512], left[48];
	product_label(ev->d, i, label, sizeof(label));
	if (ev->verbose >= 1 && p->name)
		snprintf(name, sizeof(name), "%s (%s)", label, p->name);
	else
		snprintf(name, sizeof(name), "%s", label);
	long long ls = p->license_status;
	struct subcheck *sc;
	switch (ls) {
	case DOC_ABSENT:
		note(ev, "host key %s: license status not reported", name);
		break;
	case LIC_LICENSED:
		finding(ev, STATE_OK, "host key %s: licensed", name);
		break;
	case LIC_UNLICENSED:
	case LIC_NOTIFICATION:
		sc = finding(ev, STATE_CRITICAL, "host key %s: %s, not activated: clients get "
			     "0xC004F041 (KMS host not activated)", name, license_state_name(ls));
		subcheck_headline(sc, "%s host key not activated (%s): clients get 0xC004F041",
				  label, license_state_name(ls));
		break;
	case LIC_OOB_GRACE:
	case LIC_OOT_GRACE:
	case LIC_NON_GENUINE_GRACE:
	case LIC_EXTENDED_GRACE:
		if (p->grace_remaining_minutes >= 0)
			fmt_duration(left, sizeof(left), 60.0 * (double)p->grace_remaining_minutes);
		else
			snprintf(left, sizeof(left), "unknown time");
		sc = finding(ev, STATE_WARNING, "host key %s: %s, %s left before clients get "
			     "0xC004F041", name, license_state_name(ls), left);
		subcheck_headline(sc, "%s host key in %s, %s left", label, license_state_name(ls),
				  left);
		break;
	default:
		sc = finding(ev, STATE_UNKNOWN, "host key %s: license status %lld is not one of 0-6",
			     name, ls);
		subcheck_headline(sc, "%s host key: license status %lld unknown", label, ls);
		break;
	}
}

static void eval_licenses(struct eval *ev)
{
	if (ev->d->n_products == 0)
		note(ev, "host key: the document lists no KMS host product");
	for (size_t i = 0; i < ev->d->n_products; i++)
		eval_license(ev, i);
}

/* Appends "12293 at <time> (<code>) after the last 12294 at <time>" (or
 * ", no 12294 (published) in the document"), and "; N failures since
 * <time>" when there were several: a failing history, for one host or one
 * domain. */
static void failing_text(char *line, size_t len, const struct doc_event *fail,
			 const struct doc_event *ok, size_t n_failing, double since)
{
	char t1[48], t2[48], code[160];
	event_code(code, sizeof code, fail->hresult);
	text_append(line, len, "12293 at %s (%s)", fmt_utc(t1, sizeof t1, fail->at, TIME_FMT_UTC),
		    code);
	if (ok)
		text_append(line, len, " after the last 12294 at %s",
			    fmt_utc(t2, sizeof t2, ok->at, TIME_FMT_UTC));
	else
		text_append(line, len, ", no 12294 (published) in the document");
	if (n_failing > 1)
		text_append(line, len, "; %zu failures since %s", n_failing,
			    fmt_utc(t2, sizeof t2, since, TIME_FMT_UTC));
}

/* DNS publishing failing: clients that find KMS hosts through the
 * _vlmcs._tcp SRV record may not find this one. */
static void dns_failing(struct eval *ev, const struct pub_verdict *v)
{
	char t2[48], code[160], line[768];
	event_code(code, sizeof(code), v->last_fail->hresult);
	snprintf(line, sizeof(line), "DNS publishing: ");
	failing_text(line, sizeof line, v->last_fail, v->last_ok, v->n_failing, v->failing_since);
	struct subcheck *sc = finding(ev, v->state, "%s", line);
	/* on the document's own UTC day the date is noise on line 1 */
	bool same_day = floor(ev->d->generated_at / 86400) == floor(v->failing_since / 86400);
	subcheck_headline(sc, "DNS publishing failing since %s (%s)",
			  fmt_utc(t2, sizeof(t2), v->failing_since,
				  same_day ? "%H:%M UTC" : TIME_FMT_UTC), code);
}

/* The finding of every other verdict but publishing off. */
static void dns_judged(struct eval *ev, const struct pub_verdict *v)
{
	char t1[48], t2[48];
	const struct doc_event *fail = v->last_fail, *ok = v->last_ok;
	switch (v->kind) {
	case PUB_UNCONFIRMED:
		finding(ev, v->state, "DNS publishing on (no event log in the document to "
			"confirm it)");
		break;
	case PUB_FAIL_OLD:
		finding(ev, v->state, "DNS publishing: last 12293 at %s is older than the "
			"lookback (%s)%s", fmt_utc(t1, sizeof(t1), fail->at, TIME_FMT_UTC),
			ev->lookback, ok ? "" : ", no 12294 in the document");
		break;
	case PUB_RECOVERED:
		finding(ev, v->state, "DNS publishing OK: 12294 at %s after the 12293 at %s",
			fmt_utc(t1, sizeof(t1), ok->at, TIME_FMT_UTC),
			fmt_utc(t2, sizeof(t2), fail->at, TIME_FMT_UTC));
		break;
	case PUB_PUBLISHED:
		finding(ev, v->state, "DNS publishing OK: 12294 at %s",
			fmt_utc(t1, sizeof(t1), ok->at, TIME_FMT_UTC));
		break;
	case PUB_QUIET:
		finding(ev, v->state, "DNS publishing on, no 12293/12294 event in the document");
		break;
	case PUB_FAILING:
		dns_failing(ev, v);
		break;
	case PUB_OFF:
	case PUB_UNJUDGED:
		break;
	}
}

/* ---- DNS publishing per domain (publishing_domains) ---- */

#define DNS_HEADLINE_ROOM (LINE1_MAX - sizeof "KMS SERVICE WARNING - " + 1)

/* "DNS corp.example" or "DNS (events without a domain)": how a domain's
 * line starts. */
static const char *dns_domain_name(const struct pub_domain *dm)
{
	return dm->name ? dm->name : "(events without a domain)";
}

/* The line of one domain of the per-domain mode. */
static void dns_domain_line(const struct eval *ev, const struct pub_domain *dm, char *line,
			    size_t len)
{
	char t1[48], t2[48], code[160];
	const struct doc_event *fail = dm->last_fail, *ok = dm->last_ok;
	snprintf(line, len, "DNS %s: ", dns_domain_name(dm));
	switch (dm->kind) {
	case PUBD_FAILING:
		failing_text(line, len, fail, ok, dm->n_failing, dm->failing_since);
		break;
	case PUBD_NEVER:
		text_append(line, len, "never published within %s (listed in "
			    "dns_publish_domains)", ev->lookback);
		if (ok)
			text_append(line, len, "; last 12294 at %s",
				    fmt_utc(t1, sizeof t1, ok->at, TIME_FMT_UTC));
		else
			text_append(line, len, "; no 12294 in the document");
		if (fail && (!ok || fail->at > ok->at)) {
			event_code(code, sizeof code, fail->hresult);
			text_append(line, len, "; last 12293 at %s (%s)",
				    fmt_utc(t2, sizeof t2, fail->at, TIME_FMT_UTC), code);
		}
		break;
	case PUBD_FAIL_OLD:
		text_append(line, len, "last 12293 at %s is older than the lookback (%s)%s",
			    fmt_utc(t1, sizeof t1, fail->at, TIME_FMT_UTC), ev->lookback,
			    ok ? "" : ", no 12294 in the document");
		break;
	case PUBD_RECOVERED:
		text_append(line, len, "published %s, after the 12293 at %s",
			    fmt_utc(t1, sizeof t1, ok->at, TIME_FMT_UTC),
			    fmt_utc(t2, sizeof t2, fail->at, TIME_FMT_UTC));
		break;
	case PUBD_PUBLISHED:
		text_append(line, len, "published %s", fmt_utc(t1, sizeof t1, ok->at, TIME_FMT_UTC));
		break;
	case PUBD_QUIET:
		text_append(line, len, "no 12293/12294 event in the document");
		break;
	}
}

/* What line 1 says of one domain in WARNING: "corp.example (0x8007232B DNS
 * name does not exist)", short: "corp.example (0x8007232B)". */
static void dns_domain_phrase(const struct eval *ev, const struct pub_domain *dm, bool shorter,
			      char *buf, size_t len)
{
	char code[160];
	uint32_t c;
	if (dm->kind == PUBD_NEVER)
		snprintf(buf, len, "%s (never published within %s)", dns_domain_name(dm),
			 ev->lookback);
	else if (shorter && dm->last_fail->hresult && hresult_parse(dm->last_fail->hresult, &c))
		snprintf(buf, len, "%s (0x%08X)", dns_domain_name(dm), (unsigned)c);
	else
		snprintf(buf, len, "%s (%s)", dns_domain_name(dm),
			 event_code(code, sizeof code, dm->last_fail->hresult));
}

/* Line 1's phrase: "DNS publishing failing for a (code), b (never published
 * within 1 d) +2 more", failing domains before those never published. As
 * many domains as fit the first line, with the HRESULTs explained when that
 * fits too; at least one. */
static void dns_domains_headline(const struct eval *ev, const struct pub_domains *pd,
				 struct subcheck *sc)
{
	char text[1024], phrase[512];
	for (int shorter = 0; shorter < 2; shorter++) {
		for (size_t shown = pd->n_warning; shown >= 1; shown--) {
			snprintf(text, sizeof text, "DNS publishing failing for ");
			size_t k = 0;
			/* failing ones first: they have an HRESULT to say */
			for (int never = 0; never < 2; never++) {
				for (size_t i = 0; i < pd->n && k < shown; i++) {
					const struct pub_domain *dm = &pd->d[i];
					if (dm->state == STATE_OK || (dm->kind == PUBD_NEVER) != never)
						continue;
					dns_domain_phrase(ev, dm, shorter, phrase, sizeof phrase);
					text_append(text, sizeof text, "%s%s", k++ ? ", " : "", phrase);
				}
			}
			if (shown < pd->n_warning)
				text_append(text, sizeof text, " +%zu more", pd->n_warning - shown);
			bool last = shorter && shown == 1;
			if (text_chars(text, strlen(text)) <= DNS_HEADLINE_ROOM || last) {
				subcheck_headline(sc, "%s", text);
				return;
			}
			if (!shorter)
				break; /* first try every domain with short codes */
		}
	}
}

/* Per-domain mode: one "DNS publishing" finding, a child per domain (OK
 * ones too), judged by dns_failing (the domains in WARNING, warn above 0)
 * and its children. */
static void eval_dns_domains(struct eval *ev, const struct pub_domains *pd)
{
	char line[1024], label[320];
	struct subcheck *sc;
	if (pd->n == 0)
		sc = finding(ev, STATE_OK, "DNS publishing: no domain to judge "
			     "(dns_publish_domains is empty and no 12293/12294 event names one)");
	else
		sc = add_line(ev, "DNS publishing in %zu domain%s", pd->n, pd->n == 1 ? "" : "s");
	for (size_t i = 0; i < pd->n; i++) {
		dns_domain_line(ev, &pd->d[i], line, sizeof line);
		struct subcheck *ch = ev->host ? subcheck_add(sc, "%s: %s", ev->name, line)
					       : subcheck_add(sc, "%s", line);
		subcheck_set_state(ch, pd->d[i].state);
	}
	struct range w = range_between(0, 0);
	struct thresholds th = thresholds_of(&w, NULL);
	struct metric m = METRIC(metric_label(ev, label, sizeof label, "dns_failing"),
				 (double)pd->n_warning);
	m.th = &th;
	m.min = 0;
	subcheck_metric(sc, m);
	if (pd->n_warning > 0)
		dns_domains_headline(ev, pd, sc);
	if (pd->events_dropped > 0)
		note(ev, "DNS publishing: %zu 12293/12294 event%s of domains beyond the first %d "
		     "named only by events not judged", pd->events_dropped,
		     pd->events_dropped == 1 ? "" : "s", PUB_EVENT_DOMAINS_MAX);
}

/* DNS publishing, judged by publishing_judge(); off is only noted unless
 * --require-dns-publishing. */
static void eval_dns(struct eval *ev)
{
	const struct doc *d = ev->d;
	struct pub_input in = {
		.setting = d->host.dns_publishing, .require = ev->cfg->require_dns,
		.has_events = d->has_events, .events = d->events, .n_events = d->n_events,
		.now = ev->now, .lookback = ev->cfg->lookback,
	};
	struct pub_verdict v = publishing_judge(&in);
	if (v.kind == PUB_OFF && v.state != STATE_OK) {
		struct subcheck *sc = finding(ev, v.state, "DNS publishing is off on %s: clients "
					      "find it only when pointed at it (slmgr /skms)",
					      d->host.name);
		subcheck_headline(sc, "DNS publishing is off");
		return;
	}
	if (v.kind == PUB_OFF) {
		note(ev, "DNS publishing is off: clients find this host only when "
		     "pointed at it (slmgr /skms); --require-dns-publishing alerts on it");
		return;
	}
	if (in.setting == DOC_ABSENT)
		note(ev, "DNS publishing setting not reported (host.dns_publishing "
		     "absent): judged by the 12293/12294 events");
	/* a document that names domains is judged domain by domain */
	static struct pub_domains pd;
	publishing_domains(&in, &d->host, &pd);
	if (pd.per_domain)
		eval_dns_domains(ev, &pd);
	else
		dns_judged(ev, &v);
}

/* 12291 (KMS failed to start) and 12292 (renewal timer not initialised)
 * within the lookback: the newest of each, and how many. */
static void eval_failure_events(struct eval *ev)
{
	static const struct {
		long long id;
		state_t st;
		const char *what;
	} kinds[] = {
		{ EV_START_FAILED, STATE_CRITICAL, "KMS failed to start" },
		{ EV_TIMER_FAILED, STATE_WARNING, "renewal timer could not be initialised" },
	};
	const struct doc *d = ev->d;
	char at[48], code[160];
	bool any = false;

	if (!d->has_events) {
		note(ev, "no event log in the document: 12291/12292/12293/12294 not checked");
		return;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct doc_event *last = NULL;
		size_t n = 0;
		for (size_t i = 0; i < d->n_events; i++) {
			const struct doc_event *e = &d->events[i];
			if (e->id != kinds[k].id || isnan(e->at) || e->at < ev->g->since)
				continue;
			n++;
			if (!last || e->at > last->at)
				last = e;
		}
		if (!last)
			continue;
		any = true;
		char extra[256] = "";
		uint32_t c;
		if (last->hresult && (!hresult_parse(last->hresult, &c) || c != 0)) {
			event_code(code, sizeof(code), last->hresult);
			text_append(extra, sizeof(extra), " (%s)", code);
		}
		if (n > 1)
			text_append(extra, sizeof(extra), ", %zu times within %s", n, ev->lookback);
		finding(ev, kinds[k].st, "%s (%lld) at %s%s", kinds[k].what, kinds[k].id,
			fmt_utc(at, sizeof(at), last->at, TIME_FMT_UTC), extra);
	}
	if (!any)
		finding(ev, STATE_OK, "no start or renewal-timer failure (12291/12292) within %s",
			ev->lookback);
}

/* An idle limit: warn above minutes (--idle, --product-idle), and its text
 * ("12 h"). */
static struct thresholds minutes_limit(long long minutes, char *text, size_t len)
{
	double limit_s = 60.0 * (double)minutes;
	fmt_duration(text, len, limit_s);
	struct range w = range_between(0, limit_s);
	return thresholds_of(&w, NULL);
}

/* The --idle limit. */
static struct thresholds idle_limit(const struct config *cfg, char *text, size_t len)
{
	return minutes_limit(cfg->idle_min, text, len);
}

/* The idle metric: the whole seconds since the newest request, so the
 * seconds graphed are the seconds judged (th NULL: graphed only). A request
 * "from the future" (clock skew) is recent. */
static double idle_seconds(double now, double last_request)
{
	return floor(now > last_request ? now - last_request : 0);
}

static struct metric idle_metric(const char *label, double now, double last_request,
				 const struct thresholds *th)
{
	struct metric m = METRIC(label, idle_seconds(now, last_request));
	m.uom = "s";
	m.th = th;
	m.min = 0;
	return m;
}

/* Idle: no client request for longer than --idle minutes. The idle metric
 * judges its own subcheck (docs/DESIGN.md, "The result model"). In a fleet
 * judged as a whole (IDLE_SHOWN) the host's last request is shown and
 * graphed only: a standby host may rightly see no request for days. */
static void eval_idle(struct eval *ev)
{
	const struct gather *g = ev->g;
	char at[48], ago[48], limit[48], label[320];
	if (ev->cfg->idle_min == 0) {
		if (!ev->host) /* a fleet notes it once */
			note(ev, "idle check off (--idle 0)");
		return;
	}
	if (!ev->d->has_clients) {
		note(ev, "idle time unknown: no client inventory");
		return;
	}
	struct thresholds th = idle_limit(ev->cfg, limit, sizeof limit);
	bool judged = ev->idle == IDLE_JUDGED;
	if (g->with_request == 0 && !judged) {
		add_line(ev, "no activation request recorded in the client inventory (%zu clients; "
			 "idle judged for the fleet)", ev->d->n_clients);
		return;
	}
	if (g->with_request == 0) {
		struct subcheck *sc = finding(ev, STATE_WARNING, "idle: no activation request "
					      "recorded in the client inventory (%zu clients, "
					      "limit %s)", ev->d->n_clients, limit);
		subcheck_headline(sc, "idle: no activation request recorded");
		return;
	}
	struct metric m = idle_metric(metric_label(ev, label, sizeof label, "idle"), ev->now,
				      g->last_request, judged ? &th : NULL);
	fmt_utc(at, sizeof(at), g->last_request, TIME_FMT);
	fmt_duration(ago, sizeof(ago), m.value);
	struct subcheck *sc;
	if (!judged) {
		sc = add_line(ev, "last activation request %s UTC, %s ago (idle judged for the "
			      "fleet)", at, ago);
	} else if (thresholds_check(&th, m.value) != STATE_OK) {
		sc = add_line(ev, "idle: no activation request since %s UTC, %s ago (limit %s)",
			      at, ago, limit);
		subcheck_headline(sc, "idle %s: no activation request since %s UTC (limit %s)",
				  ago, at, limit);
	} else {
		sc = add_line(ev, "last activation request %s UTC, %s ago (idle limit %s)", at,
			      ago, limit);
	}
	subcheck_metric(sc, m);
}

/* What idle per product is judged on: one host's aggregate, or the
 * fleet's merged over its serving hosts. */
struct product_view {
	double last[N_KMS_PRODUCTS];  /* newest request per product; NAN: none */
	bool listed[N_KMS_PRODUCTS];  /* a host lists the product in products[]:
					 its host key is installed */
	const char *where[N_KMS_PRODUCTS]; /* the fleet's: the host of last[k]; NULL
					      for one host */
	bool fleet;                   /* the fleet's view: lines say "fleet" */
};

/* One host's view: its inventory's newest requests, its products[]. */
static void product_view_of(struct product_view *v, const struct doc *d,
			    const struct gather *g)
{
	memset(v, 0, sizeof *v);
	for (size_t k = 0; k < N_KMS_PRODUCTS; k++)
		v->last[k] = g->product_last[k];
	for (size_t i = 0; i < d->n_products; i++) {
		char id[37];
		int k = d->products[i].application_id &&
				guid_canon(d->products[i].application_id, id)
			? kms_product_index(id) : -1;
		if (k >= 0)
			v->listed[k] = true;
	}
}

/* Add host d's view to the fleet's v (v->last NAN and listed false to
 * start): the newest request of each product on any host. */
static void product_view_merge(struct product_view *v, const struct fleet_doc *fd,
			       const struct gather *g)
{
	struct product_view one;
	product_view_of(&one, fd->doc, g);
	for (size_t k = 0; k < N_KMS_PRODUCTS; k++) {
		if (!isnan(one.last[k]) && (isnan(v->last[k]) || one.last[k] > v->last[k])) {
			v->last[k] = one.last[k];
			v->where[k] = fd->name;
		}
		v->listed[k] |= one.listed[k];
	}
	v->fleet = true;
}

/* Idle per product (--product-idle): a host whose Windows clients renew
 * while no Office client reached it for days has an Office problem (its
 * host key, a firewall rule for a subnet of Office machines). A product is
 * judged while the host as a whole is not idle, that is while some
 * product's newest request is within the limit (a host nobody reaches is
 * the idle finding's, not each product's), and when its host key is
 * listed in products[] (a product the host has no key for fails with
 * 0xC004F042, which the failed requests say). Every product seen in the
 * inventory is graphed; its metric carries the limit when it is judged. A
 * listed product with no record in the inventory is a note. */
static void eval_products(struct eval *ev, const struct product_view *v)
{
	long long minutes = ev->cfg->product_idle_min;
	if (minutes == 0) {
		if (!ev->host)
			note(ev, "idle per product off (--product-idle 0)");
		return;
	}
	char limit[48], at[48], ago[48], label[320], what[64], who[300];
	struct thresholds th = minutes_limit(minutes, limit, sizeof limit);
	int newest = -1;
	for (size_t k = 0; k < N_KMS_PRODUCTS; k++)
		if (!isnan(v->last[k]) && (newest < 0 || v->last[k] > v->last[newest]))
			newest = (int)k;
	bool busy = newest >= 0 &&
		    thresholds_check(&th, idle_seconds(ev->now, v->last[newest])) == STATE_OK;
	for (size_t k = 0; k < N_KMS_PRODUCTS; k++) {
		const char *name = app_short_name(kms_products[k]);
		if (isnan(v->last[k])) {
			if (v->listed[k])
				note(ev, "%s%s: host key installed, no %s client in the client "
				     "inventor%s", v->fleet ? "fleet " : "", name, name,
				     v->fleet ? "ies" : "y");
			continue;
		}
		/* "fleet Office 2013+", and to which host the last request went */
		snprintf(who, sizeof who, "%s%s", v->fleet ? "fleet " : "", name);
		char to[280] = "";
		if (v->where[k])
			snprintf(to, sizeof to, " to %s", v->where[k]);
		bool judged = busy && v->listed[k];
		snprintf(what, sizeof what, "%s idle", name);
		struct metric m = idle_metric(metric_label(ev, label, sizeof label, what), ev->now,
					      v->last[k], judged ? &th : NULL);
		fmt_utc(at, sizeof at, v->last[k], TIME_FMT);
		fmt_duration(ago, sizeof ago, m.value);
		struct subcheck *sc;
		if (!judged && !v->listed[k])
			sc = add_line(ev, "%s: last activation request %s UTC%s, %s ago (no %s "
				      "host key listed: idle not judged)", who, at, to, ago, name);
		else if (!judged)
			sc = add_line(ev, "%s: last activation request %s UTC%s, %s ago (no "
				      "product requested within %s: idle judged for the %s)", who,
				      at, to, ago, limit, v->fleet ? "fleet" : "host");
		else if (thresholds_check(&th, m.value) == STATE_OK)
			sc = add_line(ev, "%s: last activation request %s UTC%s, %s ago (product "
				      "idle limit %s)", who, at, to, ago, limit);
		else {
			const char *busy_name = app_short_name(kms_products[newest]);
			sc = add_line(ev, "%s idle: no activation request since %s UTC%s, %s ago, "
				      "while %s clients still renew (limit %s)", who, at, to, ago,
				      busy_name, limit);
			subcheck_headline(sc, "%s idle %s while %s clients still renew (limit %s)",
					  name, ago, busy_name, limit);
		}
		subcheck_metric(sc, m);
	}
}

/* Idle per product of one host: judged with one document or
 * --idle-per-host; in a fleet judged as a whole, evaluate_fleet does it. */
static void eval_host_products(struct eval *ev)
{
	if (ev->idle != IDLE_JUDGED || !ev->d->has_clients)
		return;
	struct product_view v;
	product_view_of(&v, ev->d, ev->g);
	eval_products(ev, &v);
}

/* Line 1 of failing clients: "8 of 10 clients failing: 8 with 0xC004F038
 * (KMS count insufficient)", the largest groups first; "0 of 10 clients
 * failing" when a range alerts on none (-w 1:, -w @0:3). */
static void failing_headline(struct subcheck *sc, const struct gather *g)
{
	char text[512], what[160];
	snprintf(text, sizeof(text), "%zu of %zu clients failing%s", g->failing.total, g->heard,
		 g->failing.n_groups ? ": " : "");
	size_t shown = g->failing.n_groups < GROUPS_IN_SUMMARY ? g->failing.n_groups
							       : GROUPS_IN_SUMMARY;
	for (size_t i = 0; i < shown; i++) {
		const struct hgroup *hg = &g->failing.g[i];
		text_append(text, sizeof(text), "%s%zu with %s", i ? ", " : "", hg->n,
			    hresult_describe(what, sizeof(what), hg->code));
		/* the largest group's edition, when one makes most of it: "all"
		 * when it is the whole group, so "mostly" never reads as a hedge */
		const struct hedition *e = i == 0 ? hgroup_most(hg) : NULL;
		if (e)
			text_append(text, sizeof(text), ", %s%s",
				    e->n < hg->n ? "mostly " : hg->n > 1 ? "all " : "", e->name);
	}
	size_t more = g->failing.n_groups - shown + (g->failing.other ? 1 : 0);
	if (more)
		text_append(text, sizeof(text), " and %zu more code%s", more, more == 1 ? "" : "s");
	subcheck_headline(sc, "%s", text);
}

/* The failing clients in the long output, by HRESULT and within a code by
 * edition: "Failing last request: 12 clients with 0xC004F042 (...)", then
 * "12 x Windows Server 2025 Standard: this host key cannot activate it;
 * install a newer host key (CSVLK)" (hresult_edition_phrase). Not
 * indented: in a fleet every note starts with the host's name, and a
 * host's notes read the same there as alone. */
static void failing_notes(struct eval *ev, const struct hgroups *h)
{
	char what[160];
	const char *indent = "";
	for (size_t i = 0; i < h->n_groups; i++) {
		const struct hgroup *hg = &h->g[i];
		note(ev, "Failing last request: %zu client%s with %s", hg->n, hg->n == 1 ? "" : "s",
		     hresult_describe(what, sizeof(what), hg->code));
		const char *phrase = hresult_edition_phrase(hg->code);
		for (size_t k = 0; k < hg->n_editions; k++)
			note(ev, "%s%zu x %s%s%s", indent, hg->ed[k].n, hg->ed[k].name,
			     phrase ? ": " : "", phrase ? phrase : "");
		if (hg->ed_other)
			note(ev, "%s%zu x other editions", indent, hg->ed_other);
	}
}

/* Clients whose last request within the lookback failed, by HRESULT. The
 * failing metric judges its own subcheck against -w/-c (a percentage is of
 * the clients heard from within the lookback). */
static void eval_failing(struct eval *ev)
{
	const struct gather *g = ev->g;
	const char *lim = ev->cfg->th_text;
	if (!ev->d->has_clients) {
		note(ev, "failed requests unknown: no client inventory");
		return;
	}
	struct thresholds th = ev->cfg->th;
	if (th.has_warn && th.warn.percent)
		range_scale(&th.warn, (double)g->heard);
	if (th.has_crit && th.crit.percent)
		range_scale(&th.crit, (double)g->heard);
	char label[320];
	struct metric m = METRIC(metric_label(ev, label, sizeof label, "failing"),
				 (double)g->failing.total);
	m.th = &th;
	m.min = 0;
	m.max = (double)g->heard;

	size_t n = g->failing.total;
	const char *s = g->heard == 1 ? "" : "s";
	struct subcheck *sc;
	if (n == 0)
		sc = add_line(ev, "failed requests: none of %zu client%s heard from within %s "
			      "failed (%s)", g->heard, s, ev->lookback, lim);
	else
		sc = add_line(ev, "failed requests: %zu of %zu client%s heard from within %s "
			      "failed their last request (%s)", n, g->heard, s, ev->lookback, lim);
	subcheck_metric(sc, m);
	if (thresholds_check(&th, m.value) != STATE_OK)
		failing_headline(sc, g);
	failing_notes(ev, &g->failing);
	if (g->failing.other)
		note(ev, "Failing last request: %zu more client%s with other codes",
		     g->failing.other, g->failing.other == 1 ? "" : "s");
	ev->reqs_sc = sc;
}

/* The request counters of every product as perfdata counters (UOM c), so a
 * grapher can draw rates. They judge nothing. They ride on the
 * failed-requests finding, or without one on the status document's: either
 * way after the judged idle and failing metrics in the perfdata (depth
 * first), so a cut from the end drops counters first. */
static void perf_requests(struct eval *ev)
{
	const struct doc *d = ev->d;
	struct subcheck *sc = ev->reqs_sc ? ev->reqs_sc : ev->doc_sc;
	for (size_t i = 0; i < d->n_products; i++) {
		const struct doc_requests *q = &d->products[i].requests;
		if (!q->present)
			continue;
		const struct {
			const char *key;
			long long v;
		} items[] = {
			{ "total", q->total }, { "failed", q->failed },
			{ "unlicensed", q->unlicensed }, { "licensed", q->licensed },
			{ "oob_grace", q->oob_grace }, { "oot_grace", q->oot_grace },
			{ "non_genuine_grace", q->non_genuine_grace },
			{ "notification", q->notification },
		};
		char label[160], what[224], lab[512];
		product_label(d, i, label, sizeof(label));
		for (size_t k = 0; k < sizeof(items) / sizeof(items[0]); k++) {
			if (items[k].v < 0)
				continue;
			snprintf(what, sizeof(what), "%s requests %s", label, items[k].key);
			struct metric m = METRIC(metric_label(ev, lab, sizeof lab, what),
						 (double)items[k].v);
			m.uom = "c";
			m.min = 0;
			subcheck_metric(sc, m);
		}
	}
}

/* The OK line being built: phrases in order of what matters. */
struct okline {
	char s[768];
	bool full;       /* a phrase did not fit: the rest stay in the long output */
	const char *sep; /* before the next phrase; NULL: ", " */
};

/* Append ", phrase" while the OK line stays within LINE1_MAX; from the
 * first phrase that does not fit on, nothing more is added. */
static void ok_phrase(struct okline *ol, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok_phrase(struct okline *ol, const char *fmt, ...)
{
	char phrase[160];
	if (ol->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(phrase, sizeof phrase, fmt, ap);
	va_end(ap);
	size_t room = LINE1_MAX - strlen("KMS SERVICE OK - ");
	const char *sep = ol->sep ? ol->sep : ", ";
	if (text_chars(ol->s, strlen(ol->s)) + strlen(sep) + text_chars(phrase, strlen(phrase)) <=
	    room) {
		text_append(ol->s, sizeof ol->s, "%s%s", sep, phrase);
		ol->sep = NULL;
	} else {
		ol->full = true;
	}
}

/* The host's KMS in a word, first on the OK line. */
static const char *ok_kms(const struct doc_host *h)
{
	if (h->kms_enabled == 1)
		return h->service_state ? "KMS running" : "KMS enabled";
	return h->service_state ? "service running" : "KMS state not reported";
}

/* Line 1 when all is OK (check_summary_ok; when not OK the model shows the
 * headlines instead): "kms01.corp.example: KMS running, host key licensed,
 * last request 14 min ago, DNS publishing OK". The host is named once; the
 * phrases follow in order of what matters (failing clients under the
 * thresholds before the last request) while they fit; the port and the
 * rest are in the long output. */
static void ok_summary(struct eval *ev)
{
	const struct doc *d = ev->d;
	const struct gather *g = ev->g;
	struct okline ol = { .full = false };
	char ago[48];
	snprintf(ol.s, sizeof(ol.s), "%s: %s", d->host.name, ok_kms(&d->host));
	/* all OK: every product is licensed or its license status is absent */
	size_t licensed = 0;
	for (size_t i = 0; i < d->n_products; i++)
		licensed += d->products[i].license_status == LIC_LICENSED;
	if (d->n_products == 0)
		ok_phrase(&ol, "no KMS host product listed");
	else if (licensed == d->n_products)
		ok_phrase(&ol, "host key%s licensed", licensed > 1 ? "s" : "");
	else if (licensed == 0)
		ok_phrase(&ol, "host key status not reported");
	else
		ok_phrase(&ol, "%zu of %zu host keys licensed, %zu not reported", licensed,
			  d->n_products, d->n_products - licensed);
	if (g->failing.total > 0)
		ok_phrase(&ol, "%zu client%s failing", g->failing.total,
			  g->failing.total == 1 ? "" : "s");
	if (!d->has_clients)
		ok_phrase(&ol, "no client inventory");
	else if (g->with_request > 0)
		ok_phrase(&ol, "last request %s ago", fmt_duration(ago, sizeof(ago),
			  ev->now > g->last_request ? ev->now - g->last_request : 0));
	if (d->host.dns_publishing == 1)
		ok_phrase(&ol, "DNS publishing OK");
	else if (d->host.dns_publishing == 0)
		ok_phrase(&ol, "DNS publishing off");
	check_summary_ok(ev->c, "%s", ol.s);
}

/* Every finding of one host, in the order of the long output within a
 * state: the same code for one document and for each host of a fleet. */
static void evaluate_host(struct eval *ev)
{
	fmt_duration(ev->lookback, sizeof ev->lookback, ev->cfg->lookback);
	eval_freshness(ev);
	eval_enabled(ev);
	eval_service(ev);
	eval_licenses(ev);
	eval_dns(ev);
	eval_failure_events(ev);
	if (ev->d->host.kms_enabled == 0) {
		/* a host that is not a KMS answers no client: idle time and failed
		 * requests would only repeat the CRITICAL above */
		note(ev, "idle time and failed requests not judged: KMS is not enabled");
	} else {
		eval_idle(ev);
		eval_host_products(ev);
		eval_failing(ev);
	}
	perf_requests(ev);
}

/* One document: its findings are the check's top-level subchecks. */
static struct check *evaluate(const struct config *cfg, const struct doc *d,
			      const struct gather *g, double now, int verbose)
{
	struct eval ev = { .c = check_new(), .idle = IDLE_JUDGED, .cfg = cfg, .d = d, .g = g,
			   .now = now, .verbose = verbose };
	evaluate_host(&ev);
	ok_summary(&ev);
	return ev.c;
}

/* ---- evaluate: a fleet ---------------------------------------------------- */

/* A host of the fleet that idle and the OK line count: usable and a KMS. */
static bool fleet_serving(const struct fleet_doc *fd)
{
	return fd->usable && fd->doc->host.kms_enabled != 0;
}

/* Idle judged for the fleet (the default with several -u): WARNING when no
 * request reached any host within --idle minutes; while one host carries
 * the load a quiet standby is fine. Hosts that are not usable or not a KMS
 * are judged on their own and left out here. */
static void eval_fleet_idle(struct check *c, const struct config *cfg, const struct fleet *f,
			    const struct gather *g, double now)
{
	char at[48], ago[48], limit[48];
	if (cfg->idle_min == 0) {
		check_note(c, "idle check off (--idle 0)");
		return;
	}
	size_t serving = 0, hosts = 0, clients = 0;
	const struct fleet_doc *newest = NULL;
	double last = NAN;
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_doc *fd = &f->docs[i];
		if (!fleet_serving(fd))
			continue;
		serving++;
		if (!fd->doc->has_clients)
			continue;
		hosts++;
		clients += fd->doc->n_clients;
		if (g[i].with_request > 0 && (!newest || g[i].last_request > last)) {
			newest = fd;
			last = g[i].last_request;
		}
	}
	if (serving == 0)
		return;
	if (hosts == 0) {
		check_note(c, "idle time unknown: no client inventory in any document");
		return;
	}
	struct thresholds th = idle_limit(cfg, limit, sizeof limit);
	if (!newest) {
		struct subcheck *sc = check_add(c, "fleet idle: no activation request recorded in "
						"the client inventor%s of %zu KMS host%s (%zu "
						"clients, limit %s)", hosts == 1 ? "y" : "ies",
						hosts, hosts == 1 ? "" : "s", clients, limit);
		subcheck_set_state(sc, STATE_WARNING);
		subcheck_headline(sc, "idle: no activation request recorded on any KMS host");
		return;
	}
	struct metric m = idle_metric("idle", now, last, &th);
	fmt_utc(at, sizeof(at), last, TIME_FMT);
	fmt_duration(ago, sizeof(ago), m.value);
	struct subcheck *sc;
	if (thresholds_check(&th, m.value) != STATE_OK) {
		sc = check_add(c, "fleet idle: no activation request to any KMS host since %s UTC "
			       "(the last to %s), %s ago (limit %s)", at, newest->name, ago, limit);
		subcheck_headline(sc, "idle %s: no request to any KMS host since %s UTC (limit %s)",
				  ago, at, limit);
	} else {
		sc = check_add(c, "fleet: last activation request %s UTC to %s, %s ago (idle limit "
			       "%s)", at, newest->name, ago, limit);
	}
	subcheck_metric(sc, m);
}

/* Idle per product judged for the fleet (the default with several -u): a
 * product's newest request on any serving host with an inventory, judged
 * when some host lists its host key, while the fleet is not idle as a
 * whole (eval_products). */
static void eval_fleet_products(struct check *c, const struct config *cfg,
				const struct fleet *f, const struct gather *g, double now,
				int verbose)
{
	struct product_view v;
	memset(&v, 0, sizeof v);
	for (size_t k = 0; k < N_KMS_PRODUCTS; k++)
		v.last[k] = NAN;
	v.fleet = true;
	size_t hosts = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (!fleet_serving(&f->docs[i]) || !f->docs[i].doc->has_clients)
			continue;
		hosts++;
		product_view_merge(&v, &f->docs[i], &g[i]);
	}
	struct eval ev = { .c = c, .idle = IDLE_JUDGED, .cfg = cfg, .now = now,
			   .verbose = verbose };
	if (hosts > 0 || cfg->product_idle_min == 0)
		eval_products(&ev, &v);
}

/* One aspect over the fleet: "running" when every host (or host key) says
 * so, "2 of 3 running, 1 not reported" when some say nothing (rest: what
 * the others are, NULL: unsaid), none when none says so (NULL: nothing). */
static void fleet_phrase(struct okline *ol, size_t yes, size_t of, const char *what,
			 const char *rest, const char *none)
{
	if (yes == of)
		ok_phrase(ol, "%s", what);
	else if (yes == 0 && none)
		ok_phrase(ol, "%s", none);
	else if (yes > 0 && rest)
		ok_phrase(ol, "%zu of %zu %s, %zu %s", yes, of, what, of - yes, rest);
	else if (yes > 0)
		ok_phrase(ol, "%zu of %zu %s", yes, of, what);
}

/* Line 1 when the whole fleet is OK: "3 KMS hosts OK: running, keys
 * licensed, published in DNS, last request 14 min ago"; per host the long
 * output says the rest. Every host is usable here (or the check is not
 * OK), and every phrase counts what the hosts report. */
static void fleet_ok_summary(struct check *c, const struct fleet *f, const struct gather *g,
			     double now)
{
	struct okline ol = { .full = false, .sep = ": " };
	size_t hosts = 0, running = 0, products = 0, licensed = 0, failing = 0, published = 0,
	       off = 0, with_clients = 0;
	double last = NAN;
	for (size_t i = 0; i < f->n; i++) {
		const struct doc *d = f->docs[i].doc;
		if (!fleet_serving(&f->docs[i]))
			continue;
		hosts++;
		running += d->host.kms_enabled == 1 && d->host.service_state != NULL;
		products += d->n_products;
		for (size_t k = 0; k < d->n_products; k++)
			licensed += d->products[k].license_status == LIC_LICENSED;
		failing += g[i].failing.total;
		published += d->host.dns_publishing == 1;
		off += d->host.dns_publishing == 0;
		with_clients += d->has_clients;
		if (g[i].with_request > 0 && (isnan(last) || g[i].last_request > last))
			last = g[i].last_request;
	}
	snprintf(ol.s, sizeof ol.s, "%zu KMS host%s OK", hosts, hosts == 1 ? "" : "s");
	/* an OK host is a KMS, running or not saying; licensed or not saying */
	fleet_phrase(&ol, running, hosts, "running", "not reported", "KMS state not reported");
	if (products == 0)
		ok_phrase(&ol, "no KMS host product listed");
	else
		fleet_phrase(&ol, licensed, products, products == 1 ? "key licensed" :
			     "keys licensed", "not reported", "host key status not reported");
	if (failing > 0)
		ok_phrase(&ol, "%zu client%s failing", failing, failing == 1 ? "" : "s");
	if (published == hosts)
		ok_phrase(&ol, "published in DNS");
	else if (off == hosts)
		ok_phrase(&ol, "DNS publishing off");
	else if (published > 0) /* short, so that the last request still fits */
		ok_phrase(&ol, "%zu of %zu in DNS", published, hosts);
	char ago[48];
	if (with_clients == 0)
		ok_phrase(&ol, "no client inventory");
	else if (!isnan(last))
		ok_phrase(&ol, "last request %s ago",
			  fmt_duration(ago, sizeof ago, now > last ? now - last : 0));
	check_summary_ok(c, "%s", ol.s);
}

/* Several documents: each host a top-level subcheck whose children are its
 * findings (evaluate_host, as for one document), line 1 naming the worst
 * host and its finding; idle judged for the fleet unless --idle-per-host. */
static struct check *evaluate_fleet(const struct config *cfg, const struct fleet *f,
				    const struct gather *g, double now, int verbose)
{
	struct check *c = check_new();
	/* first, so that a perfdata cut from the end drops hosts' counters first */
	if (!cfg->idle_per_host) {
		eval_fleet_idle(c, cfg, f, g, now);
		eval_fleet_products(c, cfg, f, g, now, verbose);
	} else {
		if (cfg->idle_min == 0)
			check_note(c, "idle check off (--idle 0)");
		if (cfg->product_idle_min == 0)
			check_note(c, "idle per product off (--product-idle 0)");
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_doc *fd = &f->docs[i];
		struct subcheck *host = fleet_host_subcheck(c, fd);
		if (!host)
			continue;
		struct eval ev = { .c = c, .host = host, .name = fd->name,
				   .idle = cfg->idle_per_host ? IDLE_JUDGED : IDLE_SHOWN,
				   .cfg = cfg, .d = fd->doc, .g = &g[i], .now = now,
				   .verbose = verbose };
		evaluate_host(&ev);
		fleet_host_headline(host, fd->name);
	}
	fleet_ok_summary(c, f, g, now);
	return c;
}

/* ---- options: the handler -------------------------------------------------- */

static bool handle_option(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct config *cfg = ctx;
	switch (id) {
	case OPT_LOOKBACK:
		return duration_parse_positive("--lookback", arg, &cfg->lookback, err);
	case OPT_IDLE:
		return number_parse("--idle", arg, 0, MAX_IDLE_MIN, &cfg->idle_min, err);
	case OPT_PRODUCT_IDLE:
		return number_parse("--product-idle", arg, 0, MAX_IDLE_MIN, &cfg->product_idle_min,
				    err);
	case OPT_IDLE_PER_HOST:
		cfg->idle_per_host = true;
		return true;
	case OPT_REQUIRE_DNS:
		cfg->require_dns = true;
		return true;
	}
	snprintf(err, KMS_ERRLEN, "unhandled option %d", id);
	return false;
}

/* Filled by the option handler; defined with its help at the end. */
static struct config service_config = {
	.lookback = DEFAULT_LOOKBACK_S, .idle_min = DEFAULT_IDLE_MIN,
	.product_idle_min = DEFAULT_PRODUCT_IDLE_MIN,
};
static const struct plugin_info service_info;

int main(int argc, char **argv)
{
	struct common_opts co;

	/* options */
	options_parse(argc, argv, &service_info, &co);
	options_start(&co);
	if (!co.url)
		die("no status document given: use -u URL (http, https, file or a path)");
	thresholds_setup(&co, &service_config);

	/* gather, then evaluate: one document, or a fleet (-u more than once) */
	double now = wall_now();
	struct check *c;
	if (co.n_urls > 1) {
		static struct gather g[OPTS_MAX_URLS];
		static struct fleet fleet;
		gather_fleet(&co, &service_config, now, g, &fleet);
		c = evaluate_fleet(&service_config, &fleet, g, now, co.verbose);
		fleet_free(&fleet);
	} else {
		struct gather g;
		struct doc *d = gather(&co, &service_config, now, &g);
		c = evaluate(&service_config, d, &g, now, co.verbose);
		doc_free(d);
	}

	/* report: line 1 is the model's (the OK summary, else the headlines of
	 * the findings that are not OK, worst first) */
	check_exit(c);
}

/* ---- help ------------------------------------------------------------------ */

static const struct plugin_option service_options[] = {
	{ "lookback", 0, true, "DURATION",
	  "How far back events (12291, 12292, 12293) and failed client requests\n"
	  "count: 90 (seconds), 90s, 15m, 2h, 1d. Default 24h.",
	  OPT_LOOKBACK },
	{ "idle", 0, true, "MINUTES",
	  "WARNING when no client request arrived for more than MINUTES\n"
	  "(default 720 = 12 h; 0 turns the idle check off). With several -u:\n"
	  "when no request reached any of the hosts.",
	  OPT_IDLE },
	{ "product-idle", 0, true, "MINUTES",
	  "WARNING when no client of one KMS product (Windows, Office 2013+,\n"
	  "Office 2010) reached the host for more than MINUTES while another\n"
	  "product's clients still do (default 2880 = 2 d; 0 turns it off).\n"
	  "With several -u: over the fleet (a product served by any host\n"
	  "counts), per host with --idle-per-host.",
	  OPT_PRODUCT_IDLE },
	{ "idle-per-host", 0, false, NULL,
	  "With several -u: judge --idle and --product-idle for each host on\n"
	  "its own, for hosts that must each carry load (default: for the\n"
	  "fleet, so that a quiet standby host is OK). With one -u it changes\n"
	  "nothing.",
	  OPT_IDLE_PER_HOST },
	{ "require-dns-publishing", 0, false, NULL,
	  "WARNING when DNS publishing is off (by default only noted in the\n"
	  "long output: a host that clients are pointed at with slmgr /skms\n"
	  "needs no SRV record).",
	  OPT_REQUIRE_DNS },
	{ NULL, 0, false, NULL, NULL, 0 },
};

static const char service_notes[] =
	"Aspects, each a line of the long output:\n"
	"  status document   older than --max-age: --stale-state (default UNKNOWN)\n"
	"  KMS enabled       host.kms_enabled false: CRITICAL (clients get 0xC004F039)\n"
	"  service           host.service_state not \"running\": CRITICAL\n"
	"  host key          per KMS host product: licensed OK; OOB/OOT/non-genuine/\n"
	"                    extended grace WARNING with the time left; unlicensed or\n"
	"                    notification CRITICAL (clients get 0xC004F041)\n"
	"  DNS publishing    a 12293 newer than the last 12294, within --lookback:\n"
	"                    WARNING with the HRESULT explained; publishing off: noted,\n"
	"                    WARNING only with --require-dns-publishing. Per domain\n"
	"                    when the document lists host.dns_publish_domains or a\n"
	"                    12293/12294 names its domain (exporter 1.3): each domain\n"
	"                    judged on its own, a listed domain without a 12294\n"
	"                    within --lookback WARNING (\"never published within 1 d\")\n"
	"  12291 / 12292     within --lookback: CRITICAL / WARNING\n"
	"  idle              newest request older than --idle MINUTES: WARNING\n"
	"  idle per product  newest request of a product (a client's product by its\n"
	"                    SKU id, else its record) older than --product-idle\n"
	"                    MINUTES\n"
	"                    while another product was requested within it: WARNING;\n"
	"                    judged for products whose host key products[] lists; a\n"
	"                    listed product with no client record is noted\n"
	"  failed requests   clients heard from within --lookback whose last request\n"
	"                    failed, grouped by HRESULT and edition, against -w/-c;\n"
	"                    line 1 names an edition that makes most of the largest\n"
	"                    group (0xC004F042: the host key is older than it)\n"
	"Absent fields are noted in the long output and judged no further.\n"
	"\n"
	"Where the idle defaults come from: clients renew every 7 days\n"
	"(VLRenewalInterval 10080 min) and retry every 2 hours while not activated\n"
	"(VLActivationInterval 120 min). 12 h without any request covers a quiet\n"
	"night after a working day and still warns the same morning. 2 d per\n"
	"product lets a product with a dozen weekly renewing clients be quiet by\n"
	"chance (each is heard from once in 7 days) and still finds a product\n"
	"that stopped reaching the host days before its clients' renewals run\n"
	"out. Where a product's machines are off over weekends (Friday evening to\n"
	"Monday morning is some 62 h), use --product-idle 4320.\n"
	"\n"
	"-w/-c: ranges on the number of failing clients; a bound may end in %, a\n"
	"share of the clients heard from within --lookback. Default -w 2% -c 10%\n"
	"(WARNING above 2 %, CRITICAL above 10 %). Why shares and not -w 0: in a\n"
	"fleet of 5,000 a few clients always fail for reasons of their own (a\n"
	"wrong clock, 0xC004F06C; a product this host has no key for, 0xC004F042),\n"
	"which check_kms_renewal names client by client; this check watches the\n"
	"host, and a fault of the host (count too low, host key not activated)\n"
	"makes a large share fail at once. About 700 of 5,000 weekly renewing\n"
	"clients are heard from a day: 2 % is some 14 of them. On a small fleet\n"
	"2 % of 35 is under one client, so one failure warns. Absolute numbers\n"
	"work too: -w 0 -c 20. Giving one of -w/-c drops both defaults.\n"
	"\n"
	"DNS publishing per domain: the domains listed (else the host's own domain,\n"
	"host.name minus its first label), and every domain a 12293/12294 names (at\n"
	"most 256 of those); events without a domain count for the one domain when\n"
	"there is one, else they are judged together. The own domain and domains\n"
	"named only by events are never \"never published\". Line 1: \"DNS publishing\n"
	"failing for corp.example (0x8007232B ...), lab.example (never published\n"
	"within 1 d)\", +N more; perfdata dns_failing=domains failing;0;;0.\n"
	"\n"
	"The first line names every aspect that is not OK, CRITICAL first.\n"
	"Perfdata: failing=N;warn;crit;0;heard, idle=SECONDS;idle limit;;0, per\n"
	"product seen in the inventory 'Windows idle'=SECONDS;product idle limit;;0\n"
	"(the limit only while it is judged), and per host key product the\n"
	"request counters as counters (UOM c): 'Windows requests total',\n"
	"... failed, unlicensed, licensed, oob_grace, oot_grace, non_genuine_grace,\n"
	"notification.\n"
	"\n"
	"Several KMS hosts: give -u once per host's document (at most 16). Each\n"
	"host is judged on its own as above, its long-output lines starting with\n"
	"its name (\"kms02: ...\"), and line 1 names the worst host and what is\n"
	"wrong there; a document that cannot be fetched, is invalid or stale, or\n"
	"names a host another -u names, makes that host UNKNOWN. Idle is judged\n"
	"for the fleet (no request reached any host within --idle; no client of a\n"
	"product reached any host within --product-idle) unless --idle-per-host.\n"
	"Perfdata labels carry the host: 'kms01 failing', 'kms01 idle', 'kms01\n"
	"Windows requests total'; the fleet's are idle and 'Windows idle'.\n"
	"\n"
	"Examples:\n"
	"  check_kms_service -u https://kms01.corp.example/kms-status.json --cacert ca.pem\n"
	"  check_kms_service -u /srv/kms/kms-status.json --idle 240 --require-dns-publishing\n"
	"  check_kms_service -u /srv/kms/kms-status.json --lookback 6h -w 5 -c 50\n"
	"  check_kms_service -u https://kms01.corp.example/kms-status.json \\\n"
	"      -u https://kms02.corp.example/kms-status.json --cacert ca.pem\n";

static const struct plugin_info service_info = {
	.name = "check_kms_service",
	.aspect = "SERVICE",
	.purpose = "Check the host-side health of a KMS host from its status document: "
		   "KMS enabled and running, host key licensed, DNS publishing, start and "
		   "renewal-timer failures, idle time of the host and per product, and "
		   "failing client requests by HRESULT and edition.",
	.usage = "-u URL [-u URL ...] [--lookback DURATION] [--idle MINUTES] "
		 "[--product-idle MINUTES] [--idle-per-host] "
		 "[--require-dns-publishing] [-w RANGE] [-c RANGE] [options]",
	.groups = OPTS_THRESHOLDS | OPTS_DOCUMENT,
	.options = service_options,
	.notes = service_notes,
	.timeout_state = STATE_UNKNOWN,
	.handle = handle_option,
	.ctx = &service_config,
};
