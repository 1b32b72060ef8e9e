/* check_kms_service - host-side health of a KMS host from its status
 * document, as the SCOM "Microsoft.KMS" management pack watches it: KMS
 * enabled and its service running, the host's own license per KMS host
 * product, DNS publishing (12293 vs 12294), start and renewal-timer failures
 * (12291, 12292), idle time, and clients whose last request failed.
 *
 * Owns: one partial result per aspect and the first line that names every
 * non-OK aspect, worst first; the aggregation of the client inventory into
 * the newest request time and per-HRESULT counts of failing clients (never a
 * client list, so a 1M-client document stays in flat memory); the request
 * counters as perfdata counters. */
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "hgroups.h"
#include "hresult.h"
#include "options.h"
#include "output.h"
#include "range.h"
#include "timeutil.h"

#define DEFAULT_IDLE_MIN 720LL          /* SCOM's idle monitor: 12 h */
#define MAX_IDLE_MIN (366LL * 1440)
#define DEFAULT_LOOKBACK_S (24.0 * 3600)
#define DEFAULT_WARN "2%"
#define DEFAULT_CRIT "10%"
#define GROUPS_IN_SUMMARY 2             /* HRESULT groups named in the first line */

#define EV_START_FAILED 12291
#define EV_TIMER_FAILED 12292
#define EV_DNS_FAILED 12293
#define EV_DNS_OK 12294

#define TIME_FMT "%Y-%m-%d %H:%M"
#define TIME_FMT_UTC "%Y-%m-%d %H:%M UTC"

enum { OPT_LOOKBACK = 256, OPT_IDLE, OPT_REQUIRE_DNS };

struct config {
	double lookback;        /* seconds */
	long long idle_min;     /* 0: idle check off */
	bool require_dns;
};

/* What the client inventory says, aggregated while it streams. */
struct gather {
	double since;           /* now - lookback */
	double last_request;    /* newest last_request_at; NAN when none */
	size_t with_request;    /* clients with a last_request_at */
	size_t heard;           /* ... within the lookback */
	struct hgroups failing; /* heard from, last result non-zero */
};

/* ---- gather --------------------------------------------------------------- */

/* The doc_load callback: newest request, and failing clients by HRESULT. */
static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct gather *g = ctx;
	(void)err;
	if (isnan(c->last_request_at))
		return true;
	if (g->with_request == 0 || c->last_request_at > g->last_request)
		g->last_request = c->last_request_at;
	g->with_request++;
	if (c->last_request_at < g->since)
		return true;
	g->heard++;
	if (c->has_result_code && c->result_code != 0)
		hgroups_add(&g->failing, c->result_code);
	return true;
}

/* ---- evaluate ------------------------------------------------------------- */

/* "0x8007232A DNS server failure" from an event's hresult text. */
static void event_code(char *buf, size_t len, const char *hresult)
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
}

static void eval_freshness(struct result *r, const struct doc *d, double now)
{
	char at[48], ago[48];
	double age = now - d->generated_at;
	fmt_utc(at, sizeof(at), d->generated_at, TIME_FMT_UTC);
	fmt_duration(ago, sizeof(ago), fabs(age));
	result_add(r, STATE_OK, "status document generated %s (%s %s)", at, ago,
		   age >= 0 ? "ago" : "in the future, within the 5 min allowed");
}

static void eval_enabled(struct result *r, const struct doc *d)
{
	const struct doc_host *h = &d->host;
	if (h->kms_enabled == 0) {
		result_add(r, STATE_CRITICAL, "KMS is not enabled on %s (clients get 0xC004F039)",
			   h->name);
		result_headline(r, STATE_CRITICAL, "KMS is not enabled on %s (clients get 0xC004F039)", h->name);
	} else if (h->kms_enabled == 1) {
		if (h->port != DOC_ABSENT)
			result_add(r, STATE_OK, "KMS enabled on %s, port %lld", h->name, h->port);
		else
			result_add(r, STATE_OK, "KMS enabled on %s", h->name);
	} else {
		result_note(r, "KMS enabled: not reported (host.kms_enabled absent)");
	}
}

static void eval_service(struct result *r, const struct doc *d)
{
	const char *st = d->host.service_state;
	if (!st) {
		result_note(r, "KMS service state: not reported (host.service_state absent)");
	} else if (strcasecmp(st, "running") == 0) {
		result_add(r, STATE_OK, "KMS service running");
	} else {
		result_add(r, STATE_CRITICAL, "KMS service is %.64s, not running: clients find "
			   "no KMS (0xC004F074)", st);
		result_headline(r, STATE_CRITICAL, "KMS service %.64s", st);
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

/* The KMS host's own license, per KMS host product: a host whose key is not
 * activated answers every client with 0xC004F041. */
static void eval_licenses(struct result *r, const struct doc *d,
			  int verbose)
{
	if (d->n_products == 0) {
		result_note(r, "host key: the document lists no KMS host product");
		return;
	}
	for (size_t i = 0; i < d->n_products; i++) {
		const struct doc_product *p = &d->products[i];
		char label[160], name[512], left[48];
		product_label(d, i, label, sizeof(label));
		if (verbose >= 1 && p->name)
			snprintf(name, sizeof(name), "%s (%s)", label, p->name);
		else
			snprintf(name, sizeof(name), "%s", label);
		long long ls = p->license_status;
		switch (ls) {
		case DOC_ABSENT:
			result_note(r, "host key %s: license status not reported", name);
			break;
		case LIC_LICENSED:
			result_add(r, STATE_OK, "host key %s: licensed", name);
			break;
		case LIC_UNLICENSED:
		case LIC_NOTIFICATION:
			result_add(r, STATE_CRITICAL, "host key %s: %s, not activated: clients get "
				   "0xC004F041 (KMS host not activated)", name, license_state_name(ls));
			result_headline(r, STATE_CRITICAL, "%s host key not activated (%s): clients get 0xC004F041",
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
			result_add(r, STATE_WARNING, "host key %s: %s, %s left before clients get "
				   "0xC004F041", name, license_state_name(ls), left);
			result_headline(r, STATE_WARNING, "%s host key in %s, %s left", label,
			     license_state_name(ls), left);
			break;
		default:
			result_add(r, STATE_UNKNOWN, "host key %s: license status %lld is not one of 0-6",
				   name, ls);
			result_headline(r, STATE_UNKNOWN, "%s host key: license status %lld unknown", label, ls);
			break;
		}
	}
}

/* DNS publishing: a 12293 (failed) newer than the last 12294 (succeeded)
 * and within the lookback means clients that find KMS hosts through the
 * _vlmcs._tcp SRV record may not find this one. */
static void eval_dns(struct result *r, const struct config *cfg,
		     const struct doc *d, double since)
{
	long long pub = d->host.dns_publishing;
	char lb[48], t1[48], t2[48], code[160];
	fmt_duration(lb, sizeof(lb), cfg->lookback);

	if (pub == 0) {
		if (cfg->require_dns) {
			result_add(r, STATE_WARNING, "DNS publishing is off on %s: clients find it "
				   "only when pointed at it (slmgr /skms)", d->host.name);
			result_headline(r, STATE_WARNING, "DNS publishing is off");
		} else {
			result_note(r, "DNS publishing is off: clients find this host only when "
				    "pointed at it (slmgr /skms); --require-dns-publishing alerts on it");
		}
		return;
	}
	if (pub == DOC_ABSENT)
		result_note(r, "DNS publishing setting not reported (host.dns_publishing absent): "
			    "judged by the 12293/12294 events");
	if (!d->has_events) {
		if (pub == 1)
			result_add(r, STATE_OK, "DNS publishing on (no event log in the document "
				   "to confirm it)");
		return;
	}

	/* the last success, the last failure, and the failures since the success */
	const struct doc_event *ok = NULL, *fail = NULL, *first_fail = NULL;
	for (size_t i = 0; i < d->n_events; i++) {
		const struct doc_event *e = &d->events[i];
		if (isnan(e->at))
			continue;
		if (e->id == EV_DNS_OK && (!ok || e->at > ok->at))
			ok = e;
		else if (e->id == EV_DNS_FAILED && (!fail || e->at > fail->at))
			fail = e;
	}
	size_t n_fail = 0;
	for (size_t i = 0; fail && i < d->n_events; i++) {
		const struct doc_event *e = &d->events[i];
		if (e->id != EV_DNS_FAILED || isnan(e->at) || (ok && e->at <= ok->at))
			continue;
		n_fail++;
		if (!first_fail || e->at < first_fail->at)
			first_fail = e;
	}

	if (fail && (!ok || fail->at > ok->at) && fail->at >= since) {
		char line[768];
		event_code(code, sizeof(code), fail->hresult);
		fmt_utc(t1, sizeof(t1), fail->at, TIME_FMT_UTC);
		snprintf(line, sizeof(line), "DNS publishing: 12293 at %s (%s)", t1, code);
		if (ok)
			text_append(line, sizeof(line), " after the last 12294 at %s",
			       fmt_utc(t2, sizeof(t2), ok->at, TIME_FMT_UTC));
		else
			text_append(line, sizeof(line), ", no 12294 (published) in the document");
		if (n_fail > 1)
			text_append(line, sizeof(line), "; %zu failures since %s", n_fail,
			       fmt_utc(t2, sizeof(t2), first_fail->at, TIME_FMT_UTC));
		result_add(r, STATE_WARNING, "%s", line);
		/* on the document's own UTC day the date is noise on line 1 */
		bool same_day = floor(d->generated_at / 86400) == floor(first_fail->at / 86400);
		result_headline(r, STATE_WARNING, "DNS publishing failing since %s (%s)",
		     fmt_utc(t2, sizeof(t2), first_fail->at, same_day ? "%H:%M UTC" : TIME_FMT_UTC),
		     code);
		return;
	}
	if (fail && (!ok || fail->at > ok->at)) {
		result_add(r, STATE_OK, "DNS publishing: last 12293 at %s is older than the "
			   "lookback (%s)%s", fmt_utc(t1, sizeof(t1), fail->at, TIME_FMT_UTC), lb,
			   ok ? "" : ", no 12294 in the document");
		return;
	}
	if (ok) {
		fmt_utc(t1, sizeof(t1), ok->at, TIME_FMT_UTC);
		if (fail)
			result_add(r, STATE_OK, "DNS publishing OK: 12294 at %s after the 12293 at %s",
				   t1, fmt_utc(t2, sizeof(t2), fail->at, TIME_FMT_UTC));
		else
			result_add(r, STATE_OK, "DNS publishing OK: 12294 at %s", t1);
		return;
	}
	result_add(r, STATE_OK, "DNS publishing on, no 12293/12294 event in the document");
}

/* 12291 (KMS failed to start) and 12292 (renewal timer not initialised)
 * within the lookback: the newest of each, and how many. */
static void eval_failure_events(struct result *r, const struct config *cfg,
				const struct doc *d, double since)
{
	static const struct {
		long long id;
		state_t st;
		const char *what;
	} kinds[] = {
		{ EV_START_FAILED, STATE_CRITICAL, "KMS failed to start" },
		{ EV_TIMER_FAILED, STATE_WARNING, "renewal timer could not be initialised" },
	};
	char lb[48], at[48], code[160];
	bool any = false;

	if (!d->has_events) {
		result_note(r, "no event log in the document: 12291/12292/12293/12294 not checked");
		return;
	}
	fmt_duration(lb, sizeof(lb), cfg->lookback);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct doc_event *last = NULL;
		size_t n = 0;
		for (size_t i = 0; i < d->n_events; i++) {
			const struct doc_event *e = &d->events[i];
			if (e->id != kinds[k].id || isnan(e->at) || e->at < since)
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
			text_append(extra, sizeof(extra), ", %zu times within %s", n, lb);
		result_add(r, kinds[k].st, "%s (%lld) at %s%s", kinds[k].what, kinds[k].id,
			   fmt_utc(at, sizeof(at), last->at, TIME_FMT_UTC), extra);
		result_headline(r, kinds[k].st, "%s (%lld) at %s%s", kinds[k].what, kinds[k].id,
		     fmt_utc(at, sizeof(at), last->at, TIME_FMT_UTC), extra);
	}
	if (!any)
		result_add(r, STATE_OK, "no start or renewal-timer failure (12291/12292) within %s", lb);
}

/* Idle: no client request for longer than --idle minutes. */
static void eval_idle(struct result *r, const struct config *cfg,
		      const struct doc *d, const struct gather *g, double now)
{
	char at[48], ago[48], limit[48];
	if (cfg->idle_min == 0) {
		result_note(r, "idle check off (--idle 0)");
		return;
	}
	if (!d->has_clients) {
		result_note(r, "idle time unknown: no client inventory");
		return;
	}
	double limit_s = 60.0 * (double)cfg->idle_min;
	fmt_duration(limit, sizeof(limit), limit_s);
	if (g->with_request == 0) {
		result_add(r, STATE_WARNING, "idle: no activation request recorded in the client "
			   "inventory (%zu clients, limit %s)", d->n_clients, limit);
		result_headline(r, STATE_WARNING, "idle: no activation request recorded");
		return;
	}
	double idle = now - g->last_request;
	if (idle < 0)
		idle = 0; /* clock skew: a request "from the future" is recent */
	fmt_utc(at, sizeof(at), g->last_request, TIME_FMT);
	fmt_duration(ago, sizeof(ago), idle);
	if (idle > limit_s) {
		result_add(r, STATE_WARNING, "idle: no activation request since %s UTC, %s ago "
			   "(limit %s)", at, ago, limit);
		result_headline(r, STATE_WARNING, "idle %s: no activation request since %s UTC (limit %s)",
		     ago, at, limit);
	} else {
		result_add(r, STATE_OK, "last activation request %s UTC, %s ago (idle limit %s)",
			   at, ago, limit);
	}
	struct thresholds th;
	char num[64], err[KMS_ERRLEN];
	if (thresholds_parse(&th, fmt_number(num, sizeof(num), limit_s, 0), NULL, 0, err))
		result_perf(r, "idle", floor(idle), "s", &th, 0, NAN);
}

/* Clients whose last request within the lookback failed, by HRESULT, against
 * -w/-c (a percentage is of the clients heard from within the lookback). */
static void eval_failing(struct result *r, const struct config *cfg,
			 const struct doc *d, struct gather *g, const char *warn,
			 const char *crit)
{
	char lb[48], err[KMS_ERRLEN], lim[160] = "", what[160];
	if (!d->has_clients) {
		result_note(r, "failed requests unknown: no client inventory");
		return;
	}
	struct thresholds th;
	if (!thresholds_parse(&th, warn, crit, RANGE_ALLOW_PERCENT, err))
		die("%s", err); /* checked in main() already */
	if (th.has_warn && th.warn.percent)
		range_scale(&th.warn, (double)g->heard);
	if (th.has_crit && th.crit.percent)
		range_scale(&th.crit, (double)g->heard);
	if (warn)
		text_append(lim, sizeof(lim), "-w %s", warn);
	if (crit)
		text_append(lim, sizeof(lim), "%s-c %s", lim[0] ? ", " : "", crit);

	size_t n = g->failing.total;
	state_t st = thresholds_check(&th, (double)n);
	fmt_duration(lb, sizeof(lb), cfg->lookback);
	hgroups_sort(&g->failing);
	if (n == 0) {
		result_add(r, st, "failed requests: none of %zu client%s heard from within %s "
			   "failed%s%s%s", g->heard, g->heard == 1 ? "" : "s", lb,
			   lim[0] ? " (" : "", lim, lim[0] ? ")" : "");
	} else {
		result_add(r, st, "failed requests: %zu of %zu client%s heard from within %s "
			   "failed their last request%s%s%s", n, g->heard, g->heard == 1 ? "" : "s",
			   lb, lim[0] ? " (" : "", lim, lim[0] ? ")" : "");
	}
	for (size_t i = 0; i < g->failing.n_groups; i++)
		result_note(r, "Failing last request: %zu client%s with %s", g->failing.g[i].n,
			    g->failing.g[i].n == 1 ? "" : "s",
			    hresult_describe(what, sizeof(what), g->failing.g[i].code));
	if (g->failing.other)
		result_note(r, "Failing last request: %zu more client%s with other codes",
			    g->failing.other, g->failing.other == 1 ? "" : "s");
	if (st != STATE_OK) {
		char text[512];
		snprintf(text, sizeof(text), "%zu of %zu clients failing: ", n, g->heard);
		size_t shown = g->failing.n_groups < GROUPS_IN_SUMMARY ? g->failing.n_groups
								       : GROUPS_IN_SUMMARY;
		for (size_t i = 0; i < shown; i++)
			text_append(text, sizeof(text), "%s%zu with %s", i ? ", " : "", g->failing.g[i].n,
			       hresult_describe(what, sizeof(what), g->failing.g[i].code));
		size_t more = g->failing.n_groups - shown + (g->failing.other ? 1 : 0);
		if (more)
			text_append(text, sizeof(text), " and %zu more code%s", more, more == 1 ? "" : "s");
		result_headline(r, st, "%s", text);
	}
	result_perf(r, "failing", (double)n, "", &th, 0, (double)g->heard);
}

/* The request counters of every product as perfdata counters (UOM c), so a
 * grapher can draw rates. */
static void perf_requests(struct result *r, const struct doc *d)
{
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
		char label[160], lab[224];
		product_label(d, i, label, sizeof(label));
		for (size_t k = 0; k < sizeof(items) / sizeof(items[0]); k++) {
			if (items[k].v < 0)
				continue;
			snprintf(lab, sizeof(lab), "%s requests %s", label, items[k].key);
			result_perf(r, lab, (double)items[k].v, "c", NULL, 0, NAN);
		}
	}
}

/* The OK line being built: phrases in order of what matters. */
struct okline {
	char s[768];
	bool full; /* a phrase did not fit: the rest stay in the long output */
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
	if (text_chars(ol->s, strlen(ol->s)) + 2 + text_chars(phrase, strlen(phrase)) <= room)
		text_append(ol->s, sizeof ol->s, ", %s", phrase);
	else
		ol->full = true;
}

/* "kms01.corp.example: KMS running, host key licensed, last request 14
 * min ago, DNS publishing OK": only used when all is OK (failing clients
 * under the thresholds come before the last request). The host is named
 * once; the phrases follow in order of what matters while they fit (the
 * port and the rest are in the long output). */
static void ok_summary(struct result *r, const struct doc *d, const struct gather *g,
		       double now)
{
	const struct doc_host *h = &d->host;
	struct okline ol = { .full = false };
	char *s = ol.s, ago[48];
	snprintf(s, sizeof(ol.s), "%s: ", h->name);
	if (h->kms_enabled == 1 && h->service_state)
		text_append(s, sizeof(ol.s), "KMS running");
	else if (h->kms_enabled == 1)
		text_append(s, sizeof(ol.s), "KMS enabled");
	else if (h->service_state)
		text_append(s, sizeof(ol.s), "service running");
	else
		text_append(s, sizeof(ol.s), "KMS state not reported");
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
		ok_phrase(&ol, "last request %s ago",
		       fmt_duration(ago, sizeof(ago), now > g->last_request ? now - g->last_request : 0));
	if (h->dns_publishing == 1)
		ok_phrase(&ol, "DNS publishing OK");
	else if (h->dns_publishing == 0)
		ok_phrase(&ol, "DNS publishing off");
	result_summary(r, "%s", s);
}

/* ---- options -------------------------------------------------------------- */

static bool handle_option(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct config *cfg = ctx;
	switch (id) {
	case OPT_LOOKBACK:
		if (!duration_parse(arg, &cfg->lookback, err))
			return false;
		if (cfg->lookback <= 0) {
			snprintf(err, KMS_ERRLEN, "invalid --lookback \"%.64s\": must be more than 0", arg);
			return false;
		}
		return true;
	case OPT_IDLE:
		return number_parse("--idle", arg, 0, MAX_IDLE_MIN, &cfg->idle_min, err);
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
};
static const struct plugin_info service_info;

int main(int argc, char **argv)
{
	struct common_opts co;

	options_parse(argc, argv, &service_info, &co);
	options_start(&co);
	if (!co.url)
		die("no status document given: use -u URL (http, https, file or a path)");
	const char *warn = co.warning, *crit = co.critical;
	if (!warn && !crit) {
		warn = DEFAULT_WARN;
		crit = DEFAULT_CRIT;
	}
	struct thresholds th;
	char err[KMS_ERRLEN];
	if (!thresholds_parse(&th, warn, crit, RANGE_ALLOW_PERCENT, err))
		die("%s", err);

	/* gather */
	double now = wall_now();
	struct gather g;
	memset(&g, 0, sizeof(g));
	g.since = now - service_config.lookback;
	g.last_request = NAN;
	struct doc *d = doc_load_or_die(&co, on_client, &g);

	/* evaluate: one partial per aspect */
	struct result *r = result_new();
	eval_freshness(r, d, now);
	eval_enabled(r, d);
	eval_service(r, d);
	eval_licenses(r, d, co.verbose);
	eval_dns(r, &service_config, d, g.since);
	eval_failure_events(r, &service_config, d, g.since);
	if (d->host.kms_enabled == 0) {
		/* a host that is not a KMS answers no client: idle time and failed
		 * requests would only repeat the CRITICAL above */
		result_note(r, "idle time and failed requests not judged: KMS is not enabled");
	} else {
		eval_idle(r, &service_config, d, &g, now);
		eval_failing(r, &service_config, d, &g, warn, crit);
	}
	perf_requests(r, d);

	/* the first line: every non-OK aspect, worst first (the headlines),
	 * or when all is well, what is well */
	if (result_state(r) == STATE_OK)
		ok_summary(r, d, &g, now);

	/* report */
	doc_free(d);
	result_exit(r);
}

/* ---- help ------------------------------------------------------------------ */

static const struct plugin_option service_options[] = {
	{ "lookback", 0, true, "DURATION",
	  "How far back events (12291, 12292, 12293) and failed client requests\n"
	  "count: 90 (seconds), 90s, 15m, 2h, 1d. Default 24h.",
	  OPT_LOOKBACK },
	{ "idle", 0, true, "MINUTES",
	  "WARNING when no client request arrived for more than MINUTES\n"
	  "(default 720 = 12 h, as the SCOM pack; 0 turns the idle check off).",
	  OPT_IDLE },
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
	"                    WARNING only with --require-dns-publishing\n"
	"  12291 / 12292     within --lookback: CRITICAL / WARNING\n"
	"  idle              newest request older than --idle MINUTES: WARNING\n"
	"  failed requests   clients heard from within --lookback whose last request\n"
	"                    failed, grouped by HRESULT, against -w/-c\n"
	"Absent fields are noted in the long output and judged no further.\n"
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
	"The first line names every aspect that is not OK, CRITICAL first.\n"
	"Perfdata: failing=N;warn;crit;0;heard, idle=SECONDS;idle limit;;0, and per\n"
	"product the request counters as counters (UOM c): 'Windows requests total',\n"
	"... failed, unlicensed, licensed, oob_grace, oot_grace, non_genuine_grace,\n"
	"notification.\n"
	"\n"
	"Examples:\n"
	"  check_kms_service -u https://kms01.corp.example/kms-status.json --cacert ca.pem\n"
	"  check_kms_service -u /srv/kms/kms-status.json --idle 240 --require-dns-publishing\n"
	"  check_kms_service -u /srv/kms/kms-status.json --lookback 6h -w 5 -c 50\n";

static const struct plugin_info service_info = {
	.name = "check_kms_service",
	.aspect = "SERVICE",
	.purpose = "Check the host-side health of a KMS host from its status document: "
		   "KMS enabled and running, host key licensed, DNS publishing, start and "
		   "renewal-timer failures, idle time and failing client requests.",
	.usage = "-u URL [--lookback DURATION] [--idle MINUTES] [--require-dns-publishing] "
		 "[-w RANGE] [-c RANGE] [options]",
	.groups = OPTS_THRESHOLDS | OPTS_DOCUMENT,
	.options = service_options,
	.notes = service_notes,
	.timeout_state = STATE_UNKNOWN,
	.handle = handle_option,
	.ctx = &service_config,
};
