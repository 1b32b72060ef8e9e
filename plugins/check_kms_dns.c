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
#include "published.h"
#include "range.h"
#include "rpc_bind.h"
#include "timeout.h"

#define MAX_EXPECTED 64
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
	char probe_text[4096]; /* published_line(): the host line of --probe */
	char degraded_text[256]; /* published_headline() when degraded */
	bool rogue, unresolved, bad_port, probe_failed, probe_degraded, cname;
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

/* "kms01.corp.example" or, past max bytes, its first max-3 and "...":
 * error messages quote what the user gave and must still fit line 1. */
static const char *quote_cut(char *buf, size_t len, const char *s, size_t max)
{
	if (strlen(s) <= max)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%.*s...", (int)(max - 3), s);
	return buf;
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
			char q[64];
			if (!dns_name_valid(tok, &why)) {
				snprintf(err, KMS_ERRLEN, "-e: \"%s\" is not a valid host name (%s)",
					 quote_cut(q, sizeof q, tok, 22), why);
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

/* Judge the targets once resolved (published_resolve or published_probe):
 * an alias as target, a target without address. errs[i] is a->records[i]'s
 * resolution failure, "" when it resolved. With --probe the host line says
 * a missing address (CRITICAL, no client can reach it), so only the alias
 * is judged here. */
static void judge_targets(const struct srv_answer *a, struct rec_eval *ev,
			  const char (*errs)[KMS_ERRLEN], bool probed)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct srv_record *rec = &a->records[i];
		if (strcmp(rec->target, ".") == 0)
			continue;
		if (rec->cname[0]) {
			ev[i].cname = true;
			problem(&ev[i], STATE_WARNING, "is a CNAME (to %s): SRV targets must be host names "
				"with A/AAAA records, RFC 2782", rec->cname);
		}
		if (rec->n_addrs == 0 && !probed) {
			ev[i].unresolved = true;
			problem(&ev[i], STATE_WARNING, "does not resolve to any address (%s)", errs[i]);
		}
	}
}

/* Fold the verdict of each probed host (published.c) into its record. */
static void fold_probes(const struct published *pub, struct rec_eval *ev)
{
	for (size_t i = 0; i < pub->n; i++) {
		const struct published_host *h = &pub->hosts[i];
		if (strcmp(h->rec->target, ".") == 0)
			continue;
		published_line(h, NULL, AF_UNSPEC, ev[i].probe_text, sizeof ev[i].probe_text);
		ev[i].st = state_worst(ev[i].st, h->st);
		ev[i].probe_failed = !published_answers(h);
		ev[i].probe_degraded = published_degraded(h);
		if (ev[i].probe_degraded)
			published_headline(h, ev[i].degraded_text, sizeof ev[i].degraded_text);
	}
}

/* ---- evaluate --------------------------------------------------------------- */

/* One long-output line per record:
 * "kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)";
 * with --probe the host line of published.h in place of the target and
 * its addresses, the same as check_kms_host -D prints. */
static void add_record_line(struct result *r, const struct rec_eval *e)
{
	const struct srv_record *rec = e->rec;
	char head[4400] = "";
	if (e->probe_text[0]) {
		text_append(head, sizeof head, "%s", e->probe_text);
		if (e->problems[0])
			text_append(head, sizeof head, "; %s", e->problems);
	} else {
		text_append(head, sizeof head, "%s:%u", rec->target, rec->port);
		for (size_t k = 0; k < rec->n_addrs; k++)
			text_append(head, sizeof head, "%s%s", k ? ", " : " -> ", rec->addrs[k]);
		if (e->problems[0])
			text_append(head, sizeof head, ": %s", e->problems);
	}
	result_add(r, e->st, "%s (prio %u, weight %u, ttl %u)", head, rec->priority, rec->weight,
		   (unsigned)rec->ttl);
}

/* ---- the first line ------------------------------------------------------ */

/* Line 1 must fit a phone: at most this many characters before '|'. */
#define LINE1_MAX 100

/* One thing line 1 says, worded three ways: the sentence naming the domain
 * (lead), the sentence once the domain is named (lead_nodom) and the compact
 * form (lead_short). Each is followed by the first object it is about, if
 * any, and "+N more" for the others: the long output lists them all. */
struct phrase {
	state_t st;
	char lead[1024], lead_nodom[1024], lead_short[1024];
	char first[256]; /* "" when the phrase names no object */
	size_t count;    /* objects, counting the first */
};

static struct phrase *phrase_add(struct phrase *ph, size_t *n, state_t st)
{
	struct phrase *p = &ph[(*n)++];
	memset(p, 0, sizeof *p);
	p->st = st;
	return p;
}

/* form 0 the sentence, 1 the sentence without the domain, 2 compact; the
 * first object cut to name_max bytes (with "...") when it is longer. */
static void phrase_render(char *buf, size_t len, const struct phrase *p, int form, size_t name_max)
{
	const char *lead = form == 0 ? p->lead : form == 1 && p->lead_nodom[0] ? p->lead_nodom :
			   form == 1 ? p->lead : p->lead_short;
	text_append(buf, len, "%s", lead);
	if (!p->first[0])
		return;
	size_t nl = strlen(p->first);
	if (nl > name_max)
		text_append(buf, len, "%.*s...", (int)name_max, p->first);
	else
		text_append(buf, len, "%s", p->first);
	if (p->count > 1)
		text_append(buf, len, " +%zu more", p->count - 1);
}

/* Compose line 1 from ph (worst first) in one of the ways below. */
static void compose(char *buf, size_t len, const struct phrase *ph, size_t n, const char *domain,
		    bool sentences, bool with_domain, size_t keep, size_t name_max)
{
	buf[0] = '\0';
	if (sentences) {
		bool named = false;
		for (size_t i = 0; i < n; i++) {
			if (i)
				text_append(buf, len, "; ");
			/* the domain once: in the first phrase whose sentence
			 * names it (those have a lead_nodom) */
			phrase_render(buf, len, &ph[i], named ? 1 : 0, SIZE_MAX);
			named = named || ph[i].lead_nodom[0];
		}
		return;
	}
	if (with_domain)
		text_append(buf, len, "%s: ", domain);
	for (size_t i = 0; i < keep; i++) {
		if (i)
			text_append(buf, len, "; ");
		phrase_render(buf, len, &ph[i], 2, i == 0 ? name_max : SIZE_MAX);
	}
	if (keep < n)
		text_append(buf, len, "; +%zu more problem%s", n - keep, n - keep == 1 ? "" : "s");
}

/* Set line 1 to the phrases, worst first, within LINE1_MAX. The rule, for
 * every state: the sentences if they fit; else the compact forms after the
 * domain; else without it; else the first phrases with "+N more problems";
 * else the first object's name cut; else the line cut. */
static void line1_set(struct result *r, struct phrase *ph, size_t n, const char *domain)
{
	if (n == 0)
		return; /* nothing to say: output.c shows the worst partial */
	/* stable, worst first */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && state_rank(ph[j].st) > state_rank(ph[j - 1].st); j--) {
			struct phrase t = ph[j];
			ph[j] = ph[j - 1];
			ph[j - 1] = t;
		}
	state_t st = result_state(r);
	size_t fixed = strlen("KMS  ") + strlen(output_aspect()) + strlen(state_name(st)) + strlen(" - ");
	size_t budget = LINE1_MAX > fixed ? LINE1_MAX - fixed : 0;
	char buf[4096];
	compose(buf, sizeof buf, ph, n, domain, true, false, n, SIZE_MAX);
	if (strlen(buf) <= budget)
		goto done;
	compose(buf, sizeof buf, ph, n, domain, false, true, n, SIZE_MAX);
	if (strlen(buf) <= budget)
		goto done;
	for (size_t keep = n; keep >= 1; keep--) {
		compose(buf, sizeof buf, ph, n, domain, false, false, keep, SIZE_MAX);
		if (strlen(buf) <= budget)
			goto done;
	}
	if (n > 0 && ph[0].first[0]) {
		compose(buf, sizeof buf, ph, n, domain, false, false, 1, 0);
		size_t used = strlen(buf); /* with "..." for the name */
		if (used + 1 <= budget) {
			compose(buf, sizeof buf, ph, n, domain, false, false, 1, budget - used);
			goto done;
		}
	}
	/* A lead longer than the line (a long server name in an error): cut
	 * it, on a UTF-8 boundary. */
	if (strlen(buf) > budget && budget > 3) {
		size_t cut = budget - 3;
		while (cut > 0 && ((unsigned char)buf[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(buf + cut, "...", 4);
	}
done:
	result_summary(r, "%s", buf);
}

/* The distinct targets of records whose flag is set: the first and how
 * many, into p. */
static void phrase_targets(struct phrase *p, const struct rec_eval *ev, size_t n, size_t flag_offset)
{
	p->first[0] = '\0';
	p->count = 0;
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
		if (p->count++ == 0)
			snprintf(p->first, sizeof p->first, "%s", ev[i].rec->target);
	}
}

/* The error text without a trailing " (...)": line 1's compact form leaves
 * the elaboration to the long output. */
static void drop_trailing_parenthetical(char *s)
{
	size_t n = strlen(s);
	if (n < 2 || s[n - 1] != ')')
		return;
	int depth = 0;
	for (size_t i = n; i-- > 0;) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0) {
			if (i > 0 && s[i - 1] == ' ')
				s[i - 1] = '\0';
			return;
		}
	}
}

/* End with the DNS failure of the SRV query itself. */
static _Noreturn void report_lookup_failure(enum dns_status st, const char *domain,
					    const char *server, const struct srv_answer *a,
					    const char *err, state_t timeout_st)
{
	struct result *r = result_new();
	struct phrase ph[1];
	size_t n = 0;
	struct phrase *p = phrase_add(ph, &n, STATE_CRITICAL);
	switch (st) {
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		result_add(r, STATE_CRITICAL, "DNS server %s: _vlmcs._tcp.%s %s", server, domain,
			   st == DNS_NXDOMAIN ? "does not exist (NXDOMAIN)" : "has no SRV record (NOERROR, no data)");
		snprintf(p->lead, sizeof p->lead, "no _vlmcs._tcp SRV record for %s: clients cannot find a KMS host",
			 domain);
		snprintf(p->lead_short, sizeof p->lead_short,
			 "no _vlmcs._tcp SRV record: clients cannot find a KMS host");
		result_perf(r, "records", 0, "", NULL, 0, NAN);
		break;
	case DNS_SERVFAIL:
	case DNS_REFUSED:
		result_add(r, STATE_CRITICAL, "DNS server %s answered %s for _vlmcs._tcp.%s", server, err, domain);
		snprintf(p->lead, sizeof p->lead, "DNS server %s answered %s for _vlmcs._tcp.%s", server,
			 dns_status_name(st), domain);
		snprintf(p->lead_short, sizeof p->lead_short, "DNS server %s answered %s", server,
			 dns_status_name(st));
		break;
	case DNS_MALFORMED:
		result_add(r, STATE_CRITICAL, "malformed answer from DNS server %s for _vlmcs._tcp.%s: %s",
			   server, domain, err);
		snprintf(p->lead, sizeof p->lead, "malformed DNS answer from %s for _vlmcs._tcp.%s: %s",
			 server, domain, err);
		snprintf(p->lead_short, sizeof p->lead_short, "malformed DNS answer: %s", err);
		drop_trailing_parenthetical(p->lead_short);
		break;
	default: /* DNS_TIMEOUT, DNS_ERROR: err names the server */
		p->st = st == DNS_TIMEOUT ? timeout_st : STATE_CRITICAL;
		result_add(r, p->st, "SRV query for _vlmcs._tcp.%s: %s", domain, err);
		snprintf(p->lead, sizeof p->lead, "SRV query for _vlmcs._tcp.%s: %s", domain, err);
		snprintf(p->lead_short, sizeof p->lead_short, "%s", err);
		drop_trailing_parenthetical(p->lead_short);
		break;
	}
	line1_set(r, ph, n, domain);
	if (st != DNS_TIMEOUT)
		result_perf(r, "time", perf_seconds(a->elapsed_s), "s", NULL, NAN, NAN);
	result_exit(r);
}

static const struct plugin_info dns_info;

int main(int argc, char **argv)
{
	struct common_opts co;
	options_parse(argc, argv, &dns_info, &co);
	options_start(&co);
	if (!co.domain)
		die("no domain given: use -D DOMAIN (the _vlmcs._tcp SRV records of DOMAIN are checked)");

	char domain[256], server[80], err[KMS_ERRLEN], q[64];
	size_t dl = strlen(co.domain);
	if (dl > 1 && co.domain[dl - 1] == '.')
		dl--;
	const char *why;
	if (!dns_name_valid(co.domain, &why))
		die("-D: \"%s\" is not a valid domain name (%s)", quote_cut(q, sizeof q, co.domain, 20), why);
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
	snprintf(activity, sizeof activity, "SRV query to DNS server %s", server);
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
	struct published pub = { 0 };
	if (cfg.probe) {
		published_probe(co.dns_server, &a, AF_UNSPEC, deadline, NULL, co.timeout_state, &pub);
		judge_targets(&a, ev, NULL, true);
		fold_probes(&pub, ev);
	} else {
		char (*errs)[KMS_ERRLEN] = calloc(a.n ? a.n : 1, sizeof *errs);
		if (!errs)
			die("out of memory");
		timeout_set_activity("resolving the SRV targets");
		published_resolve(co.dns_server, &a, deadline, errs);
		judge_targets(&a, ev, (const char (*)[KMS_ERRLEN])errs, false);
		free(errs);
	}

	/* evaluate: each record. Target "." (RFC 2782) says the service is
	 * decidedly not available: it names no host, so it is neither rogue nor
	 * on a wrong port, and it does not count as a KMS host. Hosts are
	 * distinct target names: two records of one host are one host. */
	size_t rogue = 0, hosts = 0;
	bool root = false;
	for (size_t i = 0; i < a.n; i++) {
		struct rec_eval *e = &ev[i];
		if (strcmp(e->rec->target, ".") == 0) {
			problem(e, STATE_WARNING, "target \".\": the service is declared not available");
			root = true;
			continue;
		}
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(a.records[j].target, e->rec->target) == 0)
				seen = true;
		hosts += !seen;
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

	/* evaluate: the set, one phrase per kind of problem */
	struct phrase ph[11];
	size_t n = 0;
	struct phrase *p;
	const char *hs = hosts == 1 ? "" : "s";
	p = phrase_add(ph, &n, cfg.rogue_state);
	phrase_targets(p, ev, a.n, offsetof(struct rec_eval, rogue));
	if (p->count) {
		const char *s = p->count == 1 ? "" : "s";
		snprintf(p->lead, sizeof p->lead, "rogue KMS host%s published for %s: ", s, domain);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "rogue KMS host%s: ", s);
		snprintf(p->lead_short, sizeof p->lead_short, "rogue ");
	} else {
		n--;
	}
	if (hosts == 0) {
		result_add(r, STATE_CRITICAL, "no KMS host published for %s: only SRV target \".\" "
			   "(service not available)", domain);
		p = phrase_add(ph, &n, STATE_CRITICAL);
		snprintf(p->lead, sizeof p->lead, "no KMS host published for %s (SRV target \".\": "
			 "service not available): clients cannot find a KMS host", domain);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "no KMS host published (SRV target \".\": "
			 "service not available)");
		snprintf(p->lead_short, sizeof p->lead_short, "no KMS host, only SRV target \".\" "
			 "(service not available)");
	} else if ((long long)hosts < cfg.min_hosts) {
		result_add(r, STATE_CRITICAL, "%zu KMS host%s published for %s, --min-hosts %lld",
			   hosts, hs, domain, cfg.min_hosts);
		p = phrase_add(ph, &n, STATE_CRITICAL);
		snprintf(p->lead, sizeof p->lead, "only %zu KMS host%s published for %s (at least %lld needed)",
			 hosts, hs, domain, cfg.min_hosts);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "only %zu KMS host%s published (at least %lld needed)",
			 hosts, hs, cfg.min_hosts);
		snprintf(p->lead_short, sizeof p->lead_short, "only %zu KMS host%s, %lld needed",
			 hosts, hs, cfg.min_hosts);
	}
	if (hosts > 0 && root) {
		p = phrase_add(ph, &n, STATE_WARNING);
		snprintf(p->lead, sizeof p->lead, "SRV target \".\" (service not available) "
			 "published for %s beside %zu KMS host%s", domain, hosts, hs);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "SRV target \".\" (service not available) "
			 "beside %zu KMS host%s", hosts, hs);
		snprintf(p->lead_short, sizeof p->lead_short, "SRV target \".\" beside %zu host%s", hosts, hs);
	}
	p = phrase_add(ph, &n, STATE_OK);
	phrase_targets(p, ev, a.n, offsetof(struct rec_eval, probe_failed));
	if (p->count) {
		for (size_t i = 0; i < a.n; i++)
			if (ev[i].probe_failed)
				p->st = state_worst(p->st, ev[i].st);
		const char *does = p->count == 1 ? "does" : "do";
		snprintf(p->lead, sizeof p->lead, "%zu of %zu KMS host%s published for %s %s not answer KMS RPC: ",
			 p->count, hosts, hs, domain, does);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "%zu of %zu KMS host%s %s not answer KMS RPC: ",
			 p->count, hosts, hs, does);
		snprintf(p->lead_short, sizeof p->lead_short, "no KMS RPC answer from ");
	} else {
		n--;
	}
	/* hosts that answer on some addresses only: degraded, the dead
	 * address named (published.h says why this is no outage) */
	p = phrase_add(ph, &n, STATE_WARNING);
	phrase_targets(p, ev, a.n, offsetof(struct rec_eval, probe_degraded));
	if (p->count) {
		for (size_t i = 0; i < a.n; i++)
			if (ev[i].probe_degraded) {
				snprintf(p->first, sizeof p->first, "%s", ev[i].degraded_text);
				break;
			}
		/* the headline is a sentence of its own, in every form */
	} else {
		n--;
	}
	size_t found = 0, missing = 0;
	p = phrase_add(ph, &n, STATE_WARNING);
	for (size_t i = 0; i < cfg.n_expected; i++) {
		bool published = false;
		for (size_t k = 0; k < a.n; k++)
			if (dns_name_equal(cfg.expected[i], a.records[k].target))
				published = true;
		if (published) {
			found++;
			continue;
		}
		result_add(r, STATE_WARNING, "%s is expected but not published", cfg.expected[i]);
		if (missing++ == 0)
			snprintf(p->first, sizeof p->first, "%s", cfg.expected[i]);
	}
	if (missing) {
		const char *s = missing == 1 ? "" : "s";
		p->count = missing;
		snprintf(p->lead, sizeof p->lead, "expected KMS host%s not published for %s: ", s, domain);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "expected KMS host%s not published: ", s);
		snprintf(p->lead_short, sizeof p->lead_short, "missing ");
	} else {
		n--;
	}
	p = phrase_add(ph, &n, STATE_WARNING);
	phrase_targets(p, ev, a.n, offsetof(struct rec_eval, cname));
	if (p->count) {
		bool one = p->count == 1;
		snprintf(p->lead, sizeof p->lead, "SRV target%s, not %s (RFC 2782): ",
			 one ? " is a CNAME" : "s are CNAMEs", one ? "a host name" : "host names");
		snprintf(p->lead_short, sizeof p->lead_short, "CNAME ");
	} else {
		n--;
	}
	p = phrase_add(ph, &n, STATE_WARNING);
	phrase_targets(p, ev, a.n, offsetof(struct rec_eval, unresolved));
	if (p->count) {
		snprintf(p->lead, sizeof p->lead, "published KMS host%s without an address: ",
			 p->count == 1 ? "" : "s");
		snprintf(p->lead_short, sizeof p->lead_short, "no address: ");
	} else {
		n--;
	}
	p = phrase_add(ph, &n, STATE_WARNING);
	phrase_targets(p, ev, a.n, offsetof(struct rec_eval, bad_port));
	if (p->count) {
		snprintf(p->lead, sizeof p->lead, "KMS host%s published on a port other than %lld: ",
			 p->count == 1 ? "" : "s", cfg.port);
		snprintf(p->lead_short, sizeof p->lead_short, "port not %lld: ", cfg.port);
	} else {
		n--;
	}

	/* the first line: every problem worst first; when all is well (a
	 * rogue host with --rogue-state OK included), the good news */
	if (result_state(r) == STATE_OK) {
		n = 0;
		p = phrase_add(ph, &n, STATE_OK);
		char more[200] = "";
		if (cfg.have_expected)
			text_append(more, sizeof more, ", all %zu expected", cfg.n_expected);
		if (cfg.probe)
			text_append(more, sizeof more, ", %s answer%s KMS RPC",
				    hosts == 1 ? "it" : "all", hosts == 1 ? "s" : "");
		snprintf(p->lead, sizeof p->lead, "%zu KMS host%s published for %s%s", hosts, hs, domain, more);
		snprintf(p->lead_short, sizeof p->lead_short, "%zu KMS host%s published%s", hosts, hs, more);
	}
	line1_set(r, ph, n, domain);

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
	published_free(&pub);
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
	  "CRITICAL when fewer than N KMS hosts are published (default 1):\n"
	  "distinct SRV target names; a target published on several ports counts\n"
	  "once, target \".\" (service not available) not at all.",
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
	"through the same server, added to the answer's additional section.\n"
	"--probe judges each host as check_kms_host -D does, with the same line: a\n"
	"host with some dead addresses is WARNING (clients retry the next address\n"
	"and record: degraded, not down), one with none answering CRITICAL.\n"
	"\n"
	"CRITICAL: no SRV record (NXDOMAIN or no data), fewer than --min-hosts hosts,\n"
	"a rogue host, the DNS server answering SERVFAIL/REFUSED or a malformed\n"
	"message, no answer within -t (state from -t SECONDS:STATE), a failed probe.\n"
	"WARNING: an expected host not published, a target without any address, a\n"
	"target that is a CNAME (RFC 2782 wants a host name), a record on another\n"
	"port than 1688 (or --port).\n"
	"A record with target \".\" (RFC 2782: service not available) names no host:\n"
	"it is reported (WARNING), never counted as a host or as rogue; published\n"
	"alone it is CRITICAL, as no record at all.\n"
	"\n"
	"The first line names every problem, worst first, in at most 100 characters:\n"
	"a list of hosts shows the first and \"+N more\", and when the sentences do\n"
	"not fit they become short forms (\"corp.example: rogue kms09.corp.example\n"
	"+2 more; missing kms02.corp.example\"). The long output has everything.\n"
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
