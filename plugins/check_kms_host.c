/* check_kms_host.c - owns the "KMS HOST" check: does a KMS host answer on
 * its RPC port, proven by a DCE/RPC bind to the KMS interface (never by an
 * activation request, which would add this server to the host's count).
 *
 * -H probes one host; -D discovers the hosts published as _vlmcs._tcp SRV
 * records and probes every address of every target in parallel
 * (common/published.c), one subcheck per published host. The probing lives
 * in common/rpc_bind.c, the SRV lookup in common/dns_srv.c, the verdict of a
 * published host in common/published.c; this file builds the result tree
 * (common/result.h) and its words. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_srv.h"
#include "net.h"
#include "options.h"
#include "output.h"
#include "result.h"
#include "published.h"
#include "range.h"
#include "rpc_bind.h"
#include "state.h"
#include "timeout.h"

enum { OPT_MIN_OK = 256 };

struct host_cfg {
	long long min_ok; /* 0: not given */
};

static const struct plugin_info info;
static struct host_cfg cfg;

/* ---- words ----------------------------------------------------------------- */

/* "host:port", IPv6 literals bracketed. */
static void host_port(char *buf, size_t len, const char *host, const char *port)
{
	if (strchr(host, ':'))
		snprintf(buf, len, "[%s]:%s", host, port);
	else
		snprintf(buf, len, "%s:%s", host, port);
}

/* Joins the object and the phrase: "kms01:1688 answers ..." but
 * "kms01:1688: connection refused". */
static const char *joiner(const struct rpc_probe_result *pr)
{
	switch (pr->outcome) {
	case RPC_CONNECT_FAILED:
	case RPC_TIMEOUT:
	case RPC_BAD_SYNTAX:
		return ": ";
	default:
		return " ";
	}
}

/* Cut s to at most max bytes, the cut marked "..." and never inside a
 * UTF-8 sequence. */
static void cut(char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max || max < 4)
		return;
	size_t k = max - 3;
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	memcpy(s + k, "...", 4);
}

/* What line 1 has for a headline in a check in state st, when `reserve`
 * characters are kept for the headlines after it. */
static size_t line1_budget(state_t st, size_t reserve)
{
	size_t fixed = strlen("KMS HOST  - ") + strlen(state_name(st)) + reserve;
	return LINE1_MAX > fixed + 16 ? LINE1_MAX - fixed : 16;
}

/* Line 1 fits a phone: at most `budget` characters (line1_budget) before
 * '|'. The long output carries the whole text, so line 1 drops what it
 * repeats, by rule: first `tail` gives way to its short form `short_tail`
 * (the phrase without its detail; NULL: none), then the end of the object's
 * name `obj` is cut and marked "...". The result is the headline (or the OK
 * summary) of the top-level subcheck: it fits, so the renderer never has to
 * cut it and add the whole text as a long-output line (docs/DESIGN.md,
 * "The output contract"). False when something had to be cut. */
static bool line1_fit(char *line, size_t len, size_t budget, const char *head, const char *obj,
		      const char *tail, const char *short_tail, const char *note)
{
	char t[KMS_ERRLEN + 256], o[300];
	snprintf(t, sizeof t, "%s", tail);
	snprintf(o, sizeof o, "%s", obj);
	size_t fixed = strlen(head) + strlen(note);
	if (fixed + strlen(o) + strlen(t) > budget && short_tail)
		snprintf(t, sizeof t, "%s", short_tail);
	bool whole = fixed + strlen(o) + strlen(t) <= budget;
	if (!whole) {
		size_t rest = fixed + strlen(t);
		cut(o, rest + 16 < budget ? budget - rest : 16);
	}
	snprintf(line, len, "%s%s%s%s", head, o, t, note);
	whole = whole && strlen(line) <= budget;
	cut(line, budget);
	return whole;
}

/* Line 1 of c from sc, its first top-level subcheck: the same text as the
 * OK summary and as sc's headline, fitted in budget. False when cut. */
static bool set_line1(struct check *c, struct subcheck *sc, size_t budget, const char *head,
		      const char *obj, const char *tail, const char *short_tail,
		      const char *note)
{
	char line[KMS_ERRLEN + 700];
	bool whole = line1_fit(line, sizeof line, budget, head, obj, tail, short_tail, note);
	subcheck_headline(sc, "%s", line);
	check_summary_ok(c, "%s", line);
	return whole;
}

/* A bad name as line 1 shows it: short enough that the reason fits too. */
static const char *shown_name(const char *name, char buf[32])
{
	snprintf(buf, 32, "%s", name);
	cut(buf, 28);
	return buf;
}

/* ---- metrics ---------------------------------------------------------------- */

/* The total time of a probe, the metric -w/-c judge. Only an answer is
 * judged by its time: a failed probe is judged by its failure
 * (rpc_probe_state), so its time is graphed without thresholds. */
static struct metric time_metric(const char *label, const struct rpc_probe_result *pr,
				 const struct thresholds *th)
{
	struct metric m = METRIC(label, published_usec(pr->total_s));
	m.uom = "s";
	m.min = 0;
	m.th = pr->outcome == RPC_ACCEPTED ? th : NULL;
	return m;
}

/* time (judged), connect and bind (graphed) of one probe on sc, their
 * labels prefixed "prefix_" unless prefix is "". A value not reached (NAN)
 * is left out by the model. */
static void probe_metrics(struct subcheck *sc, const char *prefix,
			  const struct rpc_probe_result *pr, const struct thresholds *th)
{
	char lab[320];
	const char *sep = *prefix ? "_" : "";
	snprintf(lab, sizeof lab, "%s%stime", prefix, sep);
	subcheck_metric(sc, time_metric(lab, pr, th));
	snprintf(lab, sizeof lab, "%s%sconnect", prefix, sep);
	struct metric m = METRIC(lab, published_usec(pr->connect_s));
	m.uom = "s";
	m.min = 0;
	subcheck_metric(sc, m);
	snprintf(lab, sizeof lab, "%s%sbind", prefix, sep);
	m = METRIC(lab, published_usec(pr->bind_s));
	m.uom = "s";
	m.min = 0;
	subcheck_metric(sc, m);
}

/* ---- -H: one host ------------------------------------------------------------ */

/* The tree of one probe: one top-level subcheck, judged by its time metric
 * when the host answered, else by the failure (the -t state for a
 * timeout). Its output is the long-output line, its headline line 1. */
static void report_one(struct check *c, const char *name, const char *where,
		       const struct rpc_probe_result *pr, const struct thresholds *th,
		       state_t timeout_st)
{
	char desc[KMS_ERRLEN + 128], head[KMS_ERRLEN], note[128] = "";
	char line[KMS_ERRLEN + 700], tail[KMS_ERRLEN + 256], short_tail[KMS_ERRLEN + 256];
	struct metric t = time_metric("time", pr, th);
	if (pr->outcome == RPC_ACCEPTED)
		published_threshold_note(th, metric_state(&t), note, sizeof note);
	rpc_probe_describe(pr, desc, sizeof desc);
	rpc_probe_headline(pr, head, sizeof head);
	const char *obj = where;
	if (pr->outcome == RPC_CONNECT_FAILED && pr->net == NET_RESOLVE) {
		obj = name;
		snprintf(line, sizeof line, "%s: %s", name, desc);
		snprintf(tail, sizeof tail, ": %s", desc);
		snprintf(short_tail, sizeof short_tail, ": %s", head);
	} else {
		if (pr->address[0] && strcmp(pr->address, name) != 0)
			snprintf(line, sizeof line, "%s (%s): %s%s", where, pr->address, desc, note);
		else
			snprintf(line, sizeof line, "%s%s%s%s", where, joiner(pr), desc, note);
		snprintf(tail, sizeof tail, "%s%s", joiner(pr), desc);
		snprintf(short_tail, sizeof short_tail, "%s%s", joiner(pr), head);
	}
	struct subcheck *sc = check_add(c, "%s", line);
	if (pr->outcome != RPC_ACCEPTED)
		subcheck_set_state(sc, rpc_probe_state(pr, timeout_st));
	probe_metrics(sc, "", pr, th);
	set_line1(c, sc, line1_budget(subcheck_state(sc), 0), "", obj, tail, short_tail, note);
}

static _Noreturn void check_one(const struct common_opts *co,
				const struct thresholds *th, const char *port)
{
	char where[300], act[340];
	struct rpc_probe_result pr;

	host_port(where, sizeof where, co->hostname, port);
	snprintf(act, sizeof act, "probing %s", where);
	timeout_set_activity(act);
	rpc_bind_probe(co->hostname, port, co->family, deadline_left(), &pr);

	struct check *c = check_new();
	report_one(c, co->hostname, where, &pr, th, co->timeout_state);
	timeout_stop();
	check_exit(c);
}

/* ---- -D: the published hosts ------------------------------------------------- */

/* The SRV answer for domain (no trailing dot). Ends the plugin when there
 * is none: CRITICAL when nothing is published, the -t state on a timeout,
 * UNKNOWN when the lookup itself failed. */
static void lookup_published(const struct common_opts *co, const char *domain,
			     double deadline, struct srv_answer *ans)
{
	char name[300], act[340], err[KMS_ERRLEN];
	snprintf(name, sizeof name, "_vlmcs._tcp.%s", domain);
	snprintf(act, sizeof act, "looking up %s", name);
	timeout_set_activity(act);
	enum dns_status ds = dns_srv_lookup(co->dns_server, name, deadline, ans, err);
	if (ds == DNS_OK && ans->n > 0)
		return;
	srv_answer_free(ans);
	if (ds == DNS_NXDOMAIN || ds == DNS_NODATA || ds == DNS_OK)
		die_state(STATE_CRITICAL, "no KMS host published for %s: %s %s", domain,
			  name, ds == DNS_NXDOMAIN ? "does not exist (NXDOMAIN)"
						   : "has no SRV record");
	if (ds == DNS_TIMEOUT)
		die_state(co->timeout_state, "DNS lookup of %s: %s", name, err);
	die("DNS lookup of %s failed: %s", name, err);
}

/* hosts_ok's thresholds, as data: CRITICAL below --min-ok (or when none
 * answers); without --min-ok, WARNING when any published host does not. */
static struct thresholds hosts_ok_thresholds(size_t n_hosts)
{
	struct range crit = range_at_least(cfg.min_ok > 0 ? (double)cfg.min_ok : 1);
	struct range warn = range_at_least((double)n_hosts);
	return thresholds_of(cfg.min_ok > 0 ? NULL : &warn, &crit);
}

/* The perfdata prefix of a record: the target, with the port unless 1688.
 * NULL when an earlier record has the same target and port: one set of
 * perfdata, since duplicate labels break graphing. */
static const char *perf_prefix(const struct published *pub, size_t i, char *buf, size_t len)
{
	const struct srv_record *rec = pub->hosts[i].rec;
	for (size_t e = 0; e < i; e++)
		if (pub->hosts[e].rec->port == rec->port &&
		    strcmp(pub->hosts[e].rec->target, rec->target) == 0)
			return NULL;
	if (rec->port == 1688)
		snprintf(buf, len, "%s", rec->target);
	else
		snprintf(buf, len, "%s:%u", rec->target, rec->port);
	return buf;
}

/* One leaf per published host: its line (published_line, the same as
 * check_kms_dns --probe prints), its share of the check (published_share:
 * a lost host or address costs `loss`) and the times of the address that
 * speaks for it. */
static void add_host(struct subcheck *all, const struct published *pub, size_t i,
		     const struct thresholds *th, int family, state_t loss)
{
	const struct published_host *h = &pub->hosts[i];
	char line[OUTPUT_MAX], prefix[300];
	published_line(h, th, family, line, sizeof line);
	struct subcheck *sc = subcheck_add(all, "%s", line);
	subcheck_set_state(sc, published_share(h, loss));
	if (h->speaker && perf_prefix(pub, i, prefix, sizeof prefix))
		probe_metrics(sc, prefix, &h->speaker->probe, th);
}

/* The headline of the hosts (`all`) in budget: "N of M KMS hosts
 * published for DOMAIN answer", then (no --min-ok) the first degraded
 * host's headline; when that does not fit, without the domain (the dead
 * address is the news). False when it had to be cut. */
static bool hosts_line1(struct check *c, struct subcheck *all, const struct published *pub,
			const char *domain_name, size_t n_ok, size_t budget)
{
	char domain[260], head[512], tail[64] = " answer", note[400] = "";
	snprintf(domain, sizeof domain, "%s", domain_name);
	snprintf(head, sizeof head, "%zu of %zu KMS hosts published for ", n_ok, pub->n);
	if (cfg.min_ok > 0 && n_ok < (size_t)cfg.min_ok)
		snprintf(tail, sizeof tail, " answer (--min-ok %lld)", cfg.min_ok);
	size_t n_degraded = 0;
	const struct published_host *first = NULL;
	for (size_t i = 0; i < pub->n; i++)
		if (published_answers(&pub->hosts[i]) && published_degraded(&pub->hosts[i]) &&
		    n_degraded++ == 0)
			first = &pub->hosts[i];
	if (first && cfg.min_ok == 0) {
		char hl[320];
		published_headline(first, hl, sizeof hl);
		snprintf(note, sizeof note, "; %s", hl);
		if (n_degraded > 1)
			text_append(note, sizeof note, " +%zu more", n_degraded - 1);
		if (strlen(head) + strlen(domain) + strlen(tail) + strlen(note) > budget) {
			if (n_ok == pub->n) /* then the count is no news */
				snprintf(head, sizeof head, "%s", note + 2);
			else
				snprintf(head, sizeof head, "%zu of %zu hosts answer%s", n_ok,
					 pub->n, note);
			domain[0] = tail[0] = note[0] = '\0';
		}
	}
	return set_line1(c, all, budget, head, domain, tail, NULL, note);
}

/* The addresses the DNS layer left out (beyond DNS_MAX_ADDRS per name): a
 * top-level subcheck of their own, WARNING -- the check cannot vouch for
 * what it did not probe, and a host line counts at most its share
 * (published_share), so only a top-level subcheck is sure to reach the
 * state and line 1 (docs/DESIGN.md, "The result model"). NULL when none. */
static struct subcheck *add_unprobed(struct check *c, const struct published *pub)
{
	bool more;
	size_t n = published_unprobed(pub, &more);
	if (n == 0 && !more)
		return NULL;
	char words[128], hosts[OUTPUT_MAX] = "";
	published_unprobed_text(n, more, "probed", false, words, sizeof words);
	for (size_t i = 0; i < pub->n; i++) {
		const struct published_host *h = &pub->hosts[i];
		if (h->n_unprobed || h->unprobed_more)
			text_append(hosts, sizeof hosts, "%s%s:%u (%s%zu)", hosts[0] ? ", " : "",
				    h->rec->target, h->rec->port, h->unprobed_more ? "at least " : "",
				    h->n_unprobed);
	}
	struct subcheck *sc = check_add(c, "%s: %s", words, hosts);
	subcheck_set_state(sc, STATE_WARNING);
	return sc;
}

/* Line 1 of -D: the hosts' headline (when not OK, or as the OK summary),
 * then the cap's when addresses were left out: "...; 4 addresses beyond 16
 * per name not probed", or "...; 4 addresses not probed" when the hosts'
 * headline needs the room. Room is kept for it, so it is always said. */
static void domain_line1(struct check *c, struct subcheck *all, struct subcheck *cap,
			 const struct published *pub, const char *domain, size_t n_ok)
{
	state_t st = subcheck_state(all);
	if (!cap) {
		hosts_line1(c, all, pub, domain, n_ok, line1_budget(st, 0));
		return;
	}
	bool more;
	size_t n = published_unprobed(pub, &more);
	char words[128], brief[128];
	published_unprobed_text(n, more, "probed", false, words, sizeof words);
	published_unprobed_text(n, more, "probed", true, brief, sizeof brief);
	state_t cst = state_worst(st, STATE_WARNING);
	const char *said = words;
	if (st != STATE_OK && !hosts_line1(c, all, pub, domain, n_ok,
					   line1_budget(cst, strlen(words) + 2))) {
		said = brief;
		hosts_line1(c, all, pub, domain, n_ok, line1_budget(cst, strlen(brief) + 2));
	}
	subcheck_headline(cap, "%s", said);
}

/* The tree of -D: one top-level subcheck "N of M KMS hosts published for
 * DOMAIN answer", judged by hosts_ok against its thresholds, with one child
 * per published host. A lost host costs what the count says (WARNING while
 * others answer, OK above --min-ok, its own verdict when too few answer),
 * so no host line is worse than the check (docs/DESIGN.md, "The result
 * model"). When addresses were left out by the cap, a second top-level
 * subcheck says how many (add_unprobed), WARNING. */
static void report_domain(struct check *c, const struct published *pub, const char *domain,
			  const struct thresholds *th, int family)
{
	size_t n_ok = 0;
	for (size_t i = 0; i < pub->n; i++)
		n_ok += published_answers(&pub->hosts[i]);
	struct subcheck *all = check_add(c, "%zu of %zu KMS hosts published for %s answer",
					 n_ok, pub->n, domain);
	struct thresholds hth = hosts_ok_thresholds(pub->n);
	struct metric m = METRIC("hosts_ok", (double)n_ok);
	m.th = &hth;
	m.min = 0;
	m.max = (double)pub->n;
	subcheck_metric(all, m);
	/* without --min-ok a lost address or host is at least WARNING, even
	 * when every host answers: the redundancy is gone */
	state_t count = thresholds_check(&hth, (double)n_ok);
	state_t loss = cfg.min_ok > 0 ? count : state_worst(count, STATE_WARNING);
	for (size_t i = 0; i < pub->n; i++)
		add_host(all, pub, i, th, family, loss);
	struct subcheck *cap = add_unprobed(c, pub);
	domain_line1(c, all, cap, pub, domain, n_ok);
}

static _Noreturn void check_domain(const struct common_opts *co,
				   const struct thresholds *th)
{
	char domain[260];
	snprintf(domain, sizeof domain, "%s", co->domain);
	size_t dl = strlen(domain);
	if (dl > 1 && domain[dl - 1] == '.')
		domain[dl - 1] = '\0';

	double deadline = mono_now() + deadline_left();
	struct srv_answer ans = { 0 };
	lookup_published(co, domain, deadline, &ans);
	struct published pub;
	published_probe(co->dns_server, &ans, co->family, deadline, th,
			co->timeout_state, &pub);

	struct check *c = check_new();
	report_domain(c, &pub, domain, th, co->family);
	published_free(&pub);
	srv_answer_free(&ans);
	timeout_stop();
	check_exit(c);
}

/* ---- main: options -> gather -> evaluate -> report ---------------------------- */

int main(int argc, char **argv)
{
	struct common_opts co;
	struct thresholds th;
	char err[KMS_ERRLEN];

	options_parse(argc, argv, &info, &co);
	options_start(&co);
	if (!thresholds_parse(&th, co.warning, co.critical, 0, err))
		die("%s", err);
	if (co.hostname && co.domain)
		die("-H and -D exclude each other: probe one host, or the hosts "
		    "published for a domain");
	if (!co.hostname && !co.domain)
		die("nothing to probe: give -H HOST or -D DOMAIN");
	if (cfg.min_ok > 0 && !co.domain)
		die("--min-ok applies to -D DOMAIN only");
	/* a name no resolver can take is a typo in the configuration, not an
	 * outage: UNKNOWN before any lookup */
	char why[64], shown[32];
	if (co.hostname && !net_host_valid(co.hostname, why, sizeof why))
		die("invalid host name \"%s\": %s", shown_name(co.hostname, shown), why);
	const char *dwhy;
	if (co.domain && !dns_name_valid(co.domain, &dwhy))
		die("-D: \"%s\" is not a valid domain name (%s)",
		    shown_name(co.domain, shown), dwhy);
	if (co.domain && strlen(co.domain) > 241)
		die("-D: domain name longer than 240 bytes (the SRV name must fit in 253)");
	if (co.hostname)
		check_one(&co, &th, co.port ? co.port : "1688");
	check_domain(&co, &th);
}

static bool handle(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct host_cfg *c = ctx;
	if (id == OPT_MIN_OK)
		return number_parse("--min-ok", arg, 1, 10000, &c->min_ok, err);
	snprintf(err, KMS_ERRLEN, "unhandled option %d", id);
	return false;
}

static const struct plugin_option host_options[] = {
	{ "min-ok", 0, true, "N",
	  "With -D: CRITICAL when fewer than N published hosts answer, OK otherwise\n"
	  "(default: CRITICAL when none answers, WARNING when some do not).",
	  OPT_MIN_OK },
	{ 0 },
};

static const struct plugin_info info = {
	.name = "check_kms_host",
	.aspect = "HOST",
	.purpose = "Check that a KMS host answers on its RPC port, proven by a DCE/RPC bind "
		   "to the KMS interface (never by an activation request).",
	.usage = "-H HOST [-p PORT] [-4|-6] [-w SECONDS] [-c SECONDS] [-t SECONDS[:STATE]]\n"
		 "       check_kms_host -D DOMAIN [-s DNS_SERVER[:PORT]] [--min-ok N] [-w ...] [-c ...]",
	.groups = OPTS_THRESHOLDS | OPTS_HOST | OPTS_DNS,
	.options = host_options,
	.notes =
		"-w and -c are ranges on the total response time in seconds (name lookup,\n"
		"connect, bind and its answer); -w 0.5 warns above half a second.\n"
		"The probe connects, sends one DCE/RPC bind for the KMS interface\n"
		"51c82175-844e-4750-b0d8-ec255555bc06 v1.0 (NDR, NDR64 and bind-time feature\n"
		"negotiation contexts, as Windows sends them), reads the answer and closes.\n"
		"It never sends an activation request: a bind registers no client, so the\n"
		"check does not add this server to the KMS host's count.\n"
		"OK when the KMS interface is accepted with the transfer syntax offered for\n"
		"it. CRITICAL when the name does not resolve, the connection is refused or has\n"
		"no route, the peer closes before answering, rejects the bind, answers with\n"
		"bind_nak, a fault or another PDU type, accepts with a transfer syntax never\n"
		"offered, or does not speak DCE/RPC. A timeout gets the -t state (default\n"
		"CRITICAL). A -H no resolver can accept (empty label, label over 63 bytes,\n"
		"name over 253, a character other than letters, digits, '-', '_') is UNKNOWN.\n"
		"-v: address connected to, connect time, the answer; -vv: the bind offered\n"
		"and each context result.\n"
		"-D DOMAIN probes every host published as _vlmcs._tcp.DOMAIN (in parallel,\n"
		"all within -t): CRITICAL when none answers, WARNING when some do not.\n"
		"A host answers when one of its addresses does; one with some dead\n"
		"addresses is WARNING, the dead named: a client retries the next address\n"
		"and SRV record, so it is degraded, not down. At most 16 addresses per\n"
		"name are kept: the first line says how many more were not probed, WARNING.\n"
		"Perfdata: time, connect, bind (seconds); with -D prefixed by the host name\n"
		"and hosts_ok.\n"
		"Examples:\n"
		"  check_kms_host -H kms01.corp.example -w 1 -c 5\n"
		"  check_kms_host -D corp.example -s 10.0.0.2 --min-ok 1",
	.timeout_state = STATE_CRITICAL,
	.handle = handle,
	.ctx = &cfg,
};
