/* check_kms_host.c - owns the "KMS HOST" check: does a KMS host answer on
 * its RPC port, proven by a DCE/RPC bind to the KMS interface (never by an
 * activation request, which would add this server to the host's count).
 *
 * -H probes one host; -D discovers the hosts published as _vlmcs._tcp SRV
 * records and probes every address of every target in parallel, one partial
 * result per published host. The probing lives in common/rpc_bind.c, the SRV
 * lookup in common/dns_srv.c; this file only decides states and words. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_srv.h"
#include "net.h"
#include "options.h"
#include "output.h"
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

#define LINE1_MAX 100

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

/* Line 1 fits a phone: at most LINE1_MAX characters before '|'. The long
 * output carries the whole text, so line 1 drops what it repeats, by rule:
 * first `tail` gives way to its short form `short_tail` (the phrase without
 * its detail; NULL: none), then the end of the object's name `obj` is cut
 * and marked "...". */
static void summary_fit(struct result *r, state_t st, const char *head,
			const char *obj, const char *tail, const char *short_tail,
			const char *note)
{
	size_t budget = LINE1_MAX - (strlen("KMS HOST  - ") + strlen(state_name(st)));
	char t[KMS_ERRLEN + 256], o[300];
	snprintf(t, sizeof t, "%s", tail);
	snprintf(o, sizeof o, "%s", obj);
	size_t fixed = strlen(head) + strlen(note);
	if (fixed + strlen(o) + strlen(t) > budget && short_tail)
		snprintf(t, sizeof t, "%s", short_tail);
	if (fixed + strlen(o) + strlen(t) > budget) {
		size_t rest = fixed + strlen(t);
		cut(o, rest + 16 < budget ? budget - rest : 16);
	}
	char line[KMS_ERRLEN + 700];
	snprintf(line, sizeof line, "%s%s%s%s", head, o, t, note);
	cut(line, budget);
	result_summary(r, "%s", line);
}

/* A bad name as line 1 shows it: short enough that the reason fits too. */
static const char *shown_name(const char *name, char buf[32])
{
	snprintf(buf, 32, "%s", name);
	cut(buf, 28);
	return buf;
}

/* The part of the first line that tells why -w/-c fired. */
static void threshold_note(const struct thresholds *th, state_t st, char *buf,
			   size_t len)
{
	char rg[64];
	buf[0] = '\0';
	if (st == STATE_OK)
		return;
	const struct range *r = st == STATE_CRITICAL ? &th->crit : &th->warn;
	range_format(r, rg, sizeof rg);
	snprintf(buf, len, " (outside %s %s s)", st == STATE_CRITICAL ? "-c" : "-w", rg);
}

/* Microseconds are all a timer this coarse can tell; more digits only
 * clutter the graphs. NAN stays NAN (result_perf drops it). */
static double usec(double s)
{
	return round(s * 1e6) / 1e6;
}

static void perf_host(struct result *r, const char *prefix,
		      const struct rpc_probe_result *pr, const struct thresholds *th)
{
	char lab[320];
	snprintf(lab, sizeof lab, "%s%stime", prefix, *prefix ? "_" : "");
	result_perf(r, lab, usec(pr->total_s), "s", th, 0, NAN);
	snprintf(lab, sizeof lab, "%s%sconnect", prefix, *prefix ? "_" : "");
	result_perf(r, lab, usec(pr->connect_s), "s", NULL, 0, NAN);
	snprintf(lab, sizeof lab, "%s%sbind", prefix, *prefix ? "_" : "");
	result_perf(r, lab, usec(pr->bind_s), "s", NULL, 0, NAN);
}

/* State of one probe: failures as rpc_probe_state(), answers by -w/-c. */
static state_t judge(const struct rpc_probe_result *pr, const struct thresholds *th,
		     state_t timeout_st)
{
	if (pr->outcome == RPC_ACCEPTED)
		return thresholds_check(th, pr->total_s);
	return rpc_probe_state(pr, timeout_st);
}

static _Noreturn void check_one(const struct common_opts *co,
				const struct thresholds *th, const char *port)
{
	char where[300], desc[KMS_ERRLEN + 128], note[128];
	struct rpc_probe_result pr;

	host_port(where, sizeof where, co->hostname, port);
	char act[340];
	snprintf(act, sizeof act, "probing %s", where);
	timeout_set_activity(act);
	rpc_bind_probe(co->hostname, port, co->family, deadline_left(), &pr);

	struct result *r = result_new();
	state_t st = judge(&pr, th, co->timeout_state);
	rpc_probe_describe(&pr, desc, sizeof desc);
	threshold_note(th, pr.outcome == RPC_ACCEPTED ? st : STATE_OK, note, sizeof note);
	char tail[KMS_ERRLEN + 256], head[KMS_ERRLEN], short_tail[KMS_ERRLEN + 256];
	rpc_probe_headline(&pr, head, sizeof head);
	if (pr.outcome == RPC_CONNECT_FAILED && pr.net == NET_RESOLVE) {
		result_add(r, st, "%s: %s", co->hostname, desc);
		snprintf(tail, sizeof tail, ": %s", desc);
		snprintf(short_tail, sizeof short_tail, ": %s", head);
		summary_fit(r, st, "", co->hostname, tail, short_tail, "");
	} else {
		if (pr.address[0] && strcmp(pr.address, co->hostname) != 0)
			result_add(r, st, "%s (%s): %s%s", where, pr.address, desc, note);
		else
			result_add(r, st, "%s%s%s%s", where, joiner(&pr), desc, note);
		snprintf(tail, sizeof tail, "%s%s", joiner(&pr), desc);
		snprintf(short_tail, sizeof short_tail, "%s%s", joiner(&pr), head);
		summary_fit(r, st, "", where, tail, short_tail, note);
	}
	perf_host(r, "", &pr, th);
	timeout_stop();
	result_exit(r);
}

static _Noreturn void check_domain(const struct common_opts *co,
				   const struct thresholds *th)
{
	char name[300], err[KMS_ERRLEN];
	char domain[260];
	snprintf(domain, sizeof domain, "%s", co->domain);
	size_t dl = strlen(domain);
	if (dl > 1 && domain[dl - 1] == '.')
		domain[dl - 1] = '\0';
	snprintf(name, sizeof name, "_vlmcs._tcp.%s", domain);

	char act[340];
	snprintf(act, sizeof act, "looking up %s", name);
	timeout_set_activity(act);
	double deadline = mono_now() + deadline_left();
	struct srv_answer ans = { 0 };
	enum dns_status ds = dns_srv_lookup(co->dns_server, name, deadline, &ans, err);
	if (ds == DNS_NXDOMAIN || ds == DNS_NODATA || (ds == DNS_OK && ans.n == 0)) {
		srv_answer_free(&ans);
		die_state(STATE_CRITICAL, "no KMS host published for %s: %s %s", domain,
			  name, ds == DNS_NXDOMAIN ? "does not exist (NXDOMAIN)"
						   : "has no SRV record");
	}
	if (ds == DNS_TIMEOUT) {
		srv_answer_free(&ans);
		die_state(co->timeout_state, "DNS lookup of %s: %s", name, err);
	}
	if (ds != DNS_OK) {
		srv_answer_free(&ans);
		die("DNS lookup of %s failed: %s", name, err);
	}

	struct published pub;
	published_probe(co->dns_server, &ans, co->family, deadline, th,
			co->timeout_state, &pub);

	/* a host answers when one of its addresses does; one with dead
	 * addresses beside live ones is degraded (published.h says why) */
	struct result *r = result_new();
	size_t n_ok = 0, n_degraded = 0;
	state_t worst_ok = STATE_OK;
	const struct published_host *first_degraded = NULL;
	for (size_t i = 0; i < pub.n; i++) {
		const struct published_host *h = &pub.hosts[i];
		const struct srv_record *rec = h->rec;
		char line[OUTPUT_MAX], prefix[300];
		published_line(h, th, co->family, line, sizeof line);
		result_add(r, h->st, "%s", line);
		if (published_answers(h)) {
			n_ok++;
			/* with --min-ok, hosts down or degraded are tolerated;
			 * slow answers never are */
			state_t slow = STATE_OK;
			for (size_t j = 0; j < h->n_addrs; j++)
				if (h->addrs[j].answers)
					slow = state_worst(slow, h->addrs[j].st);
			worst_ok = state_worst(worst_ok, cfg.min_ok ? slow : h->st);
			if (published_degraded(h) && n_degraded++ == 0)
				first_degraded = h;
		}
		if (!h->speaker)
			continue;
		/* the same target and port published twice: one set of perfdata,
		 * since duplicate labels break graphing */
		bool dup = false;
		for (size_t e = 0; e < i; e++)
			dup |= ans.records[e].port == rec->port &&
			       strcmp(ans.records[e].target, rec->target) == 0;
		if (rec->port == 1688)
			snprintf(prefix, sizeof prefix, "%s", rec->target);
		else
			snprintf(prefix, sizeof prefix, "%s:%u", rec->target, rec->port);
		if (!dup)
			perf_host(r, prefix, &h->speaker->probe, th);
	}

	state_t st;
	if (n_ok == 0 || (cfg.min_ok > 0 && n_ok < (size_t)cfg.min_ok))
		st = STATE_CRITICAL;
	else if (cfg.min_ok == 0 && n_ok < ans.n)
		st = state_worst(STATE_WARNING, worst_ok);
	else
		st = worst_ok;
	result_set_state(r, st);
	char head[512], tail[64] = " answer", note[400] = "";
	snprintf(head, sizeof head, "%zu of %zu KMS hosts published for ", n_ok, ans.n);
	if (cfg.min_ok > 0 && n_ok < (size_t)cfg.min_ok)
		snprintf(tail, sizeof tail, " answer (--min-ok %lld)", cfg.min_ok);
	if (first_degraded && cfg.min_ok == 0) {
		char hl[320];
		published_headline(first_degraded, hl, sizeof hl);
		snprintf(note, sizeof note, "; %s", hl);
		if (n_degraded > 1)
			text_append(note, sizeof note, " +%zu more", n_degraded - 1);
		/* the dead address is the news: without the domain when the
		 * sentence does not fit */
		size_t budget = LINE1_MAX - (strlen("KMS HOST  - ") + strlen(state_name(st)));
		if (strlen(head) + strlen(domain) + strlen(tail) + strlen(note) > budget) {
			if (n_ok == ans.n) /* then the count is no news */
				snprintf(head, sizeof head, "%s", note + 2);
			else
				snprintf(head, sizeof head, "%zu of %zu hosts answer%s", n_ok,
					 ans.n, note);
			domain[0] = tail[0] = note[0] = '\0';
		}
	}
	summary_fit(r, st, head, domain, tail, NULL, note);

	struct thresholds hth = { 0 };
	char crit[32], warn[32];
	snprintf(crit, sizeof crit, "%lld:", cfg.min_ok > 0 ? cfg.min_ok : 1);
	snprintf(warn, sizeof warn, "%zu:", ans.n);
	thresholds_parse(&hth, cfg.min_ok > 0 ? NULL : warn, crit, 0, err);
	result_perf(r, "hosts_ok", (double)n_ok, "", &hth, 0, (double)ans.n);

	published_free(&pub);
	srv_answer_free(&ans);
	timeout_stop();
	result_exit(r);
}

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
		"and SRV record, so it is degraded, not down.\n"
		"Perfdata: time, connect, bind (seconds); with -D prefixed by the host name\n"
		"and hosts_ok.\n"
		"Examples:\n"
		"  check_kms_host -H kms01.corp.example -w 1 -c 5\n"
		"  check_kms_host -D corp.example -s 10.0.0.2 --min-ok 1",
	.timeout_state = STATE_CRITICAL,
	.handle = handle,
	.ctx = &cfg,
};
