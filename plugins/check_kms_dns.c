/* check_kms_dns - the _vlmcs._tcp SRV records through which KMS clients find
 * their host: present at all, at least --min-hosts of them, every expected
 * host published, no unexpected (rogue) host, every target resolving to an
 * address through the same DNS server, on the expected port; optionally a
 * DCE/RPC bind probe (never an activation request) against every target.
 *
 * Owns: the judgement of one SRV answer and its wording. The DNS work is
 * common/dns_srv.c, the probe common/rpc_bind.c. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_srv.h"
#include "options.h"
#include "output.h"
#include "range.h"
#include "rpc_bind.h"
#include "timeout.h"

#define MAX_EXPECTED 64
#define MAX_PROBES 64 /* rpc_bind_probe_many's limit */
#define KMS_PORT 1688

enum { OPT_MIN_HOSTS = 256, OPT_PORT, OPT_ROGUE_STATE, OPT_PROBE };

struct config {
	char *expected[MAX_EXPECTED]; /* -e names, normalised by dns_name_equal */
	size_t n_expected;
	bool have_expected;
	long long min_hosts;
	long long port;
	state_t rogue_state;
	bool probe;
};

static struct config cfg = {
	.min_hosts = 1, .port = KMS_PORT, .rogue_state = STATE_CRITICAL,
};

/* What we learnt about one record, and its verdict. */
struct rec_eval {
	struct srv_record *rec;
	state_t st;
	char problems[1024];   /* "; "-joined phrases, "" when none */
	char probe_text[512];  /* "127.0.0.1 answers KMS RPC in 1.2 ms" */
	bool rogue, unresolved, bad_port, probe_failed;
};

static void problem(struct rec_eval *e, state_t st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Add a phrase to the record's line and worsen its state. */
static void problem(struct rec_eval *e, state_t st, const char *fmt, ...)
{
	char phrase[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(phrase, sizeof phrase, fmt, ap);
	va_end(ap);
	text_append(e->problems, sizeof e->problems, "%s%s", e->problems[0] ? "; " : "", phrase);
	e->st = state_worst(e->st, st);
}

/* Seconds rounded to the microsecond: more digits are clock noise. */
static double perf_seconds(double s)
{
	return round(s * 1e6) / 1e6;
}

/* ---- options ---------------------------------------------------------------- */

static bool handle_option(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct config *c = ctx;
	switch (id) {
	case 'e': {
		char *copy = strdup(arg);
		if (!copy) {
			snprintf(err, KMS_ERRLEN, "out of memory");
			return false;
		}
		c->have_expected = true;
		for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok;
		     tok = strtok_r(NULL, ", ", &save)) {
			if (c->n_expected == MAX_EXPECTED) {
				snprintf(err, KMS_ERRLEN, "-e: at most %d expected hosts", MAX_EXPECTED);
				free(copy);
				return false;
			}
			const char *why;
			if (!dns_name_valid(tok, &why)) {
				snprintf(err, KMS_ERRLEN, "-e: \"%.80s\" is not a valid host name (%s)", tok, why);
				free(copy);
				return false;
			}
			c->expected[c->n_expected] = strdup(tok);
			if (!c->expected[c->n_expected]) {
				snprintf(err, KMS_ERRLEN, "out of memory");
				free(copy);
				return false;
			}
			c->n_expected++;
		}
		free(copy);
		if (c->n_expected == 0) {
			snprintf(err, KMS_ERRLEN, "-e/--expect needs at least one host name");
			return false;
		}
		return true;
	}
	case OPT_MIN_HOSTS:
		return number_parse("--min-hosts", arg, 0, 1000, &c->min_hosts, err);
	case OPT_PORT:
		return number_parse("--port", arg, 1, 65535, &c->port, err);
	case OPT_ROGUE_STATE:
		if (!state_parse(arg, &c->rogue_state)) {
			snprintf(err, KMS_ERRLEN, "--rogue-state: \"%s\" is not OK, WARNING, CRITICAL or UNKNOWN", arg);
			return false;
		}
		return true;
	case OPT_PROBE:
		c->probe = true;
		return true;
	}
	snprintf(err, KMS_ERRLEN, "unhandled option %d", id);
	return false;
}

static void config_free(struct config *c)
{
	for (size_t i = 0; i < c->n_expected; i++)
		free(c->expected[i]);
	c->n_expected = 0;
}

static bool is_expected(const struct config *c, const char *target)
{
	for (size_t i = 0; i < c->n_expected; i++)
		if (dns_name_equal(c->expected[i], target))
			return true;
	return false;
}

/* ---- gather ----------------------------------------------------------------- */

/* Fill in addresses of targets the additional section did not cover. */
static void resolve_targets(const char *server, struct srv_answer *a, struct rec_eval *ev,
			    double deadline)
{
	for (size_t i = 0; i < a->n; i++) {
		struct srv_record *rec = &a->records[i];
		if (rec->n_addrs > 0 || strcmp(rec->target, ".") == 0)
			continue;
		char err[KMS_ERRLEN];
		enum dns_status st = dns_addr_lookup(server, rec->target, deadline, rec, err);
		if (st != DNS_OK) {
			ev[i].unresolved = true;
			problem(&ev[i], STATE_WARNING, "does not resolve to any address (%s)", err);
		}
	}
}

/* Bind-probe every address of every record, in parallel, within what is
 * left of -t; fold each result into its record. */
static void probe_targets(struct srv_answer *a, struct rec_eval *ev, state_t timeout_st)
{
	struct rpc_target targets[MAX_PROBES];
	size_t owner[MAX_PROBES], n = 0;
	char ports[MAX_PROBES][8];
	for (size_t i = 0; i < a->n && n < MAX_PROBES; i++)
		for (size_t k = 0; k < a->records[i].n_addrs && n < MAX_PROBES; k++) {
			snprintf(ports[n], sizeof ports[n], "%u", a->records[i].port);
			targets[n].host = a->records[i].addrs[k];
			targets[n].port = ports[n];
			owner[n++] = i;
		}
	if (n == 0)
		return;
	double left = deadline_left() - 0.1;
	if (left < 0.05)
		left = 0.05;
	struct rpc_probe_result *res = calloc(n, sizeof *res);
	if (!res)
		die("out of memory");
	timeout_set_activity("probing the published KMS hosts with a DCE/RPC bind");
	rpc_bind_probe_many(targets, n, AF_UNSPEC, left, res);
	for (size_t j = 0; j < n; j++) {
		struct rec_eval *e = &ev[owner[j]];
		char desc[KMS_ERRLEN];
		rpc_probe_describe(&res[j], desc, sizeof desc);
		state_t st = rpc_probe_state(&res[j], timeout_st);
		text_append(e->probe_text, sizeof e->probe_text, "%s%s %s",
		       e->probe_text[0] ? ", " : "", res[j].address[0] ? res[j].address : targets[j].host, desc);
		if (st != STATE_OK) {
			e->probe_failed = true;
			e->st = state_worst(e->st, st);
		}
	}
	free(res);
}

/* ---- evaluate --------------------------------------------------------------- */

/* One long-output line per record:
 * "kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)". */
static void add_record_line(struct result *r, const struct rec_eval *e)
{
	const struct srv_record *rec = e->rec;
	char addrs[1200] = "";
	for (size_t k = 0; k < rec->n_addrs; k++)
		text_append(addrs, sizeof addrs, "%s%s", k ? ", " : " -> ", rec->addrs[k]);
	char detail[1600] = "";
	if (e->problems[0])
		text_append(detail, sizeof detail, ": %s", e->problems);
	if (e->probe_text[0])
		text_append(detail, sizeof detail, "%s%s", e->problems[0] ? "; " : ": ", e->probe_text);
	result_add(r, e->st, "%s:%u%s%s (prio %u, weight %u, ttl %u)", rec->target, rec->port,
		   e->probe_text[0] ? "" : addrs, detail, rec->priority, rec->weight,
		   (unsigned)rec->ttl);
}

/* "a, b, c" of the targets of records whose flag is set (at most 3 shown). */
static void list_targets(char *buf, size_t len, const struct rec_eval *ev, size_t n,
			 size_t flag_offset, size_t *count)
{
	buf[0] = '\0';
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!*(const bool *)((const char *)&ev[i] + flag_offset))
			continue;
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			if (*(const bool *)((const char *)&ev[j] + flag_offset) &&
			    strcmp(ev[j].rec->target, ev[i].rec->target) == 0)
				dup = true;
		if (dup)
			continue;
		if (*count < 3)
			text_append(buf, len, "%s%s", *count ? ", " : "", ev[i].rec->target);
		else if (*count == 3)
			text_append(buf, len, ", ...");
		(*count)++;
	}
}

/* End with the DNS failure of the SRV query itself. */
static _Noreturn void report_lookup_failure(enum dns_status st, const char *domain,
					    const char *server, const struct srv_answer *a,
					    const char *err, state_t timeout_st)
{
	struct result *r = result_new();
	switch (st) {
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		result_add(r, STATE_CRITICAL, "DNS server %s: _vlmcs._tcp.%s %s", server, domain,
			   st == DNS_NXDOMAIN ? "does not exist (NXDOMAIN)" : "has no SRV record (NOERROR, no data)");
		result_summary(r, "no _vlmcs._tcp SRV record for %s: clients cannot find a KMS host", domain);
		result_perf(r, "records", 0, "", NULL, 0, NAN);
		break;
	case DNS_SERVFAIL:
	case DNS_REFUSED:
		result_add(r, STATE_CRITICAL, "DNS server %s answered %s for _vlmcs._tcp.%s", server, err, domain);
		result_summary(r, "DNS server %s answered %s for _vlmcs._tcp.%s", server,
			       dns_status_name(st), domain);
		break;
	case DNS_TIMEOUT:
		result_add(r, timeout_st, "%s", err);
		result_summary(r, "SRV query for _vlmcs._tcp.%s: %s", domain, err);
		break;
	case DNS_MALFORMED:
		result_add(r, STATE_CRITICAL, "%s", err);
		result_summary(r, "malformed DNS answer from %s for _vlmcs._tcp.%s: %s", server, domain, err);
		break;
	default:
		result_add(r, STATE_CRITICAL, "%s", err);
		result_summary(r, "SRV query for _vlmcs._tcp.%s: %s", domain, err);
		break;
	}
	if (st != DNS_TIMEOUT)
		result_perf(r, "time", perf_seconds(a->elapsed_s), "s", NULL, NAN, NAN);
	result_exit(r);
}

static const struct plugin_info dns_info;

int main(int argc, char **argv)
{
	struct common_opts co;
	options_parse(argc, argv, &dns_info, &co);
	if (!co.domain)
		die("no domain given: use -D DOMAIN (the _vlmcs._tcp SRV records of DOMAIN are checked)");

	char domain[256], server[80], err[KMS_ERRLEN];
	size_t dl = strlen(co.domain);
	if (dl > 1 && co.domain[dl - 1] == '.')
		dl--;
	const char *why;
	if (!dns_name_valid(co.domain, &why))
		die("-D: \"%.80s\" is not a valid domain name (%s)", co.domain, why);
	if (dl > 240)
		die("-D: domain name longer than 240 bytes (the SRV name must fit in 253)");
	snprintf(domain, sizeof domain, "%.*s", (int)dl, co.domain);
	if (!dns_server_check(co.dns_server, server, sizeof server, err))
		die("%s", err);
	if (cfg.min_hosts > (long long)MAX_EXPECTED * 16)
		die("--min-hosts %lld is more than any SRV answer can hold", cfg.min_hosts);

	/* gather */
	char qname[300], activity[512];
	snprintf(qname, sizeof qname, "_vlmcs._tcp.%s", domain);
	snprintf(activity, sizeof activity, "asking DNS server %s for %s SRV", server, qname);
	timeout_set_activity(activity);
	double deadline = mono_now() + deadline_left();
	struct srv_answer a;
	enum dns_status st = dns_srv_lookup(co.dns_server, qname, deadline, &a, err);
	vlog(1, "SRV %s via %s: %s", qname, server, st == DNS_OK ? "answer" : err);
	if (st != DNS_OK) {
		config_free(&cfg);
		report_lookup_failure(st, domain, server, &a, err, co.timeout_state);
	}
	struct rec_eval *ev = calloc(a.n, sizeof *ev);
	if (!ev)
		die("out of memory");
	for (size_t i = 0; i < a.n; i++)
		ev[i].rec = &a.records[i];
	timeout_set_activity("resolving the SRV targets");
	resolve_targets(co.dns_server, &a, ev, deadline);
	if (cfg.probe)
		probe_targets(&a, ev, co.timeout_state);

	/* evaluate: each record. Target "." (RFC 2782) says the service is
	 * decidedly not available: it names no host, so it is neither rogue nor
	 * on a wrong port, and it does not count as a KMS host. */
	size_t rogue = 0, hosts = 0;
	for (size_t i = 0; i < a.n; i++) {
		struct rec_eval *e = &ev[i];
		if (strcmp(e->rec->target, ".") == 0) {
			problem(e, STATE_WARNING, "target \".\": the service is declared not available");
			continue;
		}
		hosts++;
		if (cfg.have_expected && !is_expected(&cfg, e->rec->target)) {
			e->rogue = true;
			rogue++;
			problem(e, cfg.rogue_state, "published but not expected");
		}
		if (e->rec->port != (unsigned)cfg.port) {
			e->bad_port = true;
			problem(e, STATE_WARNING, "port %u, not %lld", e->rec->port, cfg.port);
		}
	}
	struct result *r = result_new();
	for (size_t i = 0; i < a.n; i++)
		add_record_line(r, &ev[i]);

	/* evaluate: the set */
	char names[800];
	size_t cnt;
	list_targets(names, sizeof names, ev, a.n, offsetof(struct rec_eval, rogue), &cnt);
	if (cnt)
		result_headline(r, cfg.rogue_state, "rogue KMS host%s published for %s: %s",
			 cnt == 1 ? "" : "s", domain, names);
	if (hosts == 0) {
		result_add(r, STATE_CRITICAL, "no KMS host published for %s: only SRV target \".\" "
			   "(service not available)", domain);
		result_headline(r, STATE_CRITICAL, "no KMS host published for %s (SRV target \".\": "
				"service not available): clients cannot find a KMS host", domain);
	} else if ((long long)hosts < cfg.min_hosts) {
		result_add(r, STATE_CRITICAL, "%zu KMS host%s published for %s, --min-hosts %lld",
			   hosts, hosts == 1 ? "" : "s", domain, cfg.min_hosts);
		result_headline(r, STATE_CRITICAL, "only %zu KMS host%s published for %s (at least %lld needed)",
			 hosts, hosts == 1 ? "" : "s", domain, cfg.min_hosts);
	}
	if (hosts > 0 && hosts < a.n)
		result_headline(r, STATE_WARNING, "SRV target \".\" (service not available) "
				"published for %s beside %zu KMS host%s", domain, hosts,
				hosts == 1 ? "" : "s");
	list_targets(names, sizeof names, ev, a.n, offsetof(struct rec_eval, probe_failed), &cnt);
	if (cnt) {
		state_t pst = STATE_OK;
		for (size_t i = 0; i < a.n; i++)
			if (ev[i].probe_failed)
				pst = state_worst(pst, ev[i].st);
		result_headline(r, pst, "%zu of %zu KMS host%s published for %s do%s not answer KMS RPC: %s",
			 cnt, a.n, a.n == 1 ? "" : "s", domain, cnt == 1 ? "es" : "", names);
	}
	size_t found = 0;
	names[0] = '\0';
	size_t missing = 0;
	for (size_t i = 0; i < cfg.n_expected; i++) {
		bool pub = false;
		for (size_t k = 0; k < a.n; k++)
			if (dns_name_equal(cfg.expected[i], a.records[k].target))
				pub = true;
		if (pub) {
			found++;
			continue;
		}
		result_add(r, STATE_WARNING, "%s is expected but not published", cfg.expected[i]);
		if (missing < 3)
			text_append(names, sizeof names, "%s%s", missing ? ", " : "", cfg.expected[i]);
		else if (missing == 3)
			text_append(names, sizeof names, ", ...");
		missing++;
	}
	if (missing)
		result_headline(r, STATE_WARNING, "expected KMS host%s not published for %s: %s",
			 missing == 1 ? "" : "s", domain, names);
	list_targets(names, sizeof names, ev, a.n, offsetof(struct rec_eval, unresolved), &cnt);
	if (cnt)
		result_headline(r, STATE_WARNING, "published KMS host%s without an address: %s",
			 cnt == 1 ? "" : "s", names);
	list_targets(names, sizeof names, ev, a.n, offsetof(struct rec_eval, bad_port), &cnt);
	if (cnt)
		result_headline(r, STATE_WARNING, "KMS host%s published on a port other than %lld: %s",
			 cnt == 1 ? "" : "s", cfg.port, names);

	/* the first line: the headlines above, every problem worst first; when
	 * all is well, the good news */
	if (result_state(r) == STATE_OK) {
		char summary[1024];
		snprintf(summary, sizeof summary, "%zu KMS host%s published for %s", hosts,
			 hosts == 1 ? "" : "s", domain);
		if (cfg.have_expected)
			text_append(summary, sizeof summary, ", all %zu expected", cfg.n_expected);
		if (cfg.probe)
			text_append(summary, sizeof summary, ", %s answer%s KMS RPC",
				    hosts == 1 ? "it" : "all", hosts == 1 ? "s" : "");
		result_summary(r, "%s", summary);
	}

	/* report */
	result_perf(r, "records", (double)a.n, "", NULL, 0, NAN);
	if (cfg.have_expected) {
		struct thresholds rth = {0};
		char e2[KMS_ERRLEN];
		if (cfg.rogue_state == STATE_CRITICAL)
			thresholds_parse(&rth, NULL, "0", 0, e2);
		else if (cfg.rogue_state == STATE_WARNING)
			thresholds_parse(&rth, "0", NULL, 0, e2);
		result_perf(r, "expected_found", (double)found, "", NULL, 0, NAN);
		result_perf(r, "rogue", (double)rogue, "", &rth, 0, NAN);
	}
	result_perf(r, "time", perf_seconds(a.elapsed_s), "s", NULL, NAN, NAN);
	free(ev);
	srv_answer_free(&a);
	config_free(&cfg);
	result_exit(r);
}

/* ---- help ------------------------------------------------------------------- */

static const struct plugin_option dns_options[] = {
	{ "expect", 'e', true, "HOST[,HOST...]",
	  "KMS hosts that should be published (repeatable). With -e, a published\n"
	  "host not in the list is a rogue host (CRITICAL, see --rogue-state) and a\n"
	  "listed host not published is WARNING. Case and a trailing dot are ignored.",
	  'e' },
	{ "min-hosts", 0, true, "N",
	  "CRITICAL when fewer than N SRV records are published (default 1).",
	  OPT_MIN_HOSTS },
	{ "port", 0, true, "N",
	  "The port the records should name; another port is WARNING (default 1688).",
	  OPT_PORT },
	{ "rogue-state", 0, true, "STATE",
	  "State for a published host missing from -e (default CRITICAL).",
	  OPT_ROGUE_STATE },
	{ "probe", 0, false, NULL,
	  "Also send a DCE/RPC bind (never an activation request) to every address\n"
	  "of every target, as check_kms_host does, and judge each record by it.",
	  OPT_PROBE },
	{ NULL, 0, false, NULL, NULL, 0 },
};

static const char dns_notes[] =
	"The query is _vlmcs._tcp.DOMAIN SRV, sent over UDP (again half way to the -t\n"
	"deadline, over TCP when the answer is truncated) to the -s server or the\n"
	"first nameserver of /etc/resolv.conf. Targets are resolved (A and AAAA)\n"
	"through the same server; addresses in the answer's additional section count.\n"
	"\n"
	"CRITICAL: no SRV record (NXDOMAIN or no data), fewer than --min-hosts hosts,\n"
	"a rogue host, the DNS server answering SERVFAIL/REFUSED or a malformed\n"
	"message, no answer within -t (state from -t SECONDS:STATE), a failed probe.\n"
	"WARNING: an expected host not published, a target without any address, a\n"
	"record on another port than 1688 (or --port).\n"
	"A record with target \".\" (RFC 2782: service not available) names no host:\n"
	"it is reported (WARNING), never counted as a host or as rogue; published\n"
	"alone it is CRITICAL, as no record at all.\n"
	"\n"
	"Perfdata: records (published), expected_found and rogue (with -e), time\n"
	"(seconds the SRV query took).\n"
	"\n"
	"Examples:\n"
	"  check_kms_dns -D corp.example -s 10.0.0.2 -e kms01.corp.example,kms02.corp.example\n"
	"  check_kms_dns -D corp.example --min-hosts 2 --probe -t 5\n";

static const struct plugin_info dns_info = {
	.name = "check_kms_dns",
	.aspect = "DNS",
	.purpose = "Check the _vlmcs._tcp SRV records KMS clients use to find their KMS host: "
		   "present, the expected hosts, no rogue host, every target resolving.",
	.usage = "-D DOMAIN [-s SERVER[:PORT]] [-e HOST[,HOST...]]... [--min-hosts N] "
		 "[--port N] [--rogue-state STATE] [--probe] [-t SECONDS[:STATE]]",
	.groups = OPTS_DNS,
	.options = dns_options,
	.notes = dns_notes,
	.timeout_state = STATE_CRITICAL,
	.handle = handle_option,
	.ctx = &cfg,
};
