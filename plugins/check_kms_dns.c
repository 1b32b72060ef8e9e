/* check_kms_dns - the _vlmcs._tcp SRV records through which KMS clients find
 * their host: present at all, at least --min-hosts of them, every expected
 * host published, no unexpected (rogue) host, every target resolving to an
 * address through the same DNS server, on the expected port; optionally a
 * DCE/RPC bind probe (never an activation request) against every target.
 *
 * Owns: the judgement of one SRV answer and its wording. The DNS work is
 * common/dns_srv.c, the probe common/published.c. main reads options ->
 * gather -> evaluate -> report (docs/DESIGN.md, "Layout").
 *
 * The result (docs/DESIGN.md, "The result model"; common/result.h):
 *   --min-hosts   a top-level subcheck when fewer hosts are published
 *   the answer    the top-level subcheck of the SRV answer: records,
 *                 expected_found, rogue and time (the rogue metric carries
 *                 the --rogue-state threshold and judges it); children:
 *                 one per SRV record (with --probe: the host verdict of
 *                 published.h and what the record itself has wrong), the
 *                 verdict of an answer without any host, and the -e hosts
 *                 not published (one child each, under one subcheck)
 *   the cap       a top-level subcheck, WARNING, when the DNS layer left
 *                 addresses out (beyond DNS_MAX_ADDRS per name): not
 *                 probed (--probe) or not listed, so line 1 says so
 * One record line can say several things (a CNAME that resolves nowhere,
 * a rogue host on another port), and a line is one leaf with one parent,
 * so the kinds of problem cannot each be a top-level subcheck: the
 * answer's headline names them, one phrase per kind (see "line 1" below).
 * The metrics sit on the answer because it always has children: a
 * subcheck without any would print a line of its own. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns_srv.h"
#include "options.h"
#include "output.h"
#include "published.h"
#include "range.h"
#include "result.h"
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

/* The query, from the options. */
struct query {
	char domain[256];       /* -D without its trailing dot */
	char server[80];        /* the DNS server as messages name it */
	const char *dns_server; /* -s as given, NULL for resolv.conf's */
	state_t timeout_state;  /* the -t state */
	double deadline;        /* of the whole check, mono_now() seconds */
};

/* The kinds of problem a record can have; line 1 names each kind once. */
enum {
	F_ROGUE = 1 << 0,        /* published, not in -e */
	F_BAD_PORT = 1 << 1,     /* not on --port */
	F_CNAME = 1 << 2,        /* the target is an alias */
	F_UNRESOLVED = 1 << 3,   /* no address (without --probe) */
	F_PROBE_FAILED = 1 << 4, /* no address answers the bind */
	F_DEGRADED = 1 << 5,     /* some addresses answer, some do not */
};

/* What we learnt about one record, and its verdict. */
struct rec_eval {
	const struct srv_record *rec;
	state_t st;
	unsigned flags;          /* F_* */
	char problems[1024];     /* "; "-joined phrases, "" when none */
	char probe_text[4096];   /* published_line(): the host line of --probe */
	char degraded_text[256]; /* published_headline() when degraded */
};

/* What the answer says as a whole. */
struct verdict {
	size_t hosts; /* distinct target names; "." is no host */
	size_t rogue; /* records of hosts not in -e */
	size_t found; /* -e hosts published */
	bool root;    /* a record with target "." */
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

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
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

/* The query the options ask for; a bad one ends the plugin (UNKNOWN). */
static void query_from_options(const struct common_opts *co, struct query *q)
{
	char err[KMS_ERRLEN], cut[64];
	const char *why;
	if (!co->domain)
		die("no domain given: use -D DOMAIN (the _vlmcs._tcp SRV records of DOMAIN are checked)");
	size_t dl = strlen(co->domain);
	if (dl > 1 && co->domain[dl - 1] == '.')
		dl--;
	if (!dns_name_valid(co->domain, &why))
		die("-D: \"%s\" is not a valid domain name (%s)", quote_cut(cut, sizeof cut, co->domain, 20), why);
	if (dl > 240)
		die("-D: domain name longer than 240 bytes (the SRV name must fit in 253)");
	snprintf(q->domain, sizeof q->domain, "%.*s", (int)dl, co->domain);
	if (!dns_server_check(co->dns_server, q->server, sizeof q->server, err))
		die("%s", err);
	if (cfg.min_hosts > (long long)MAX_EXPECTED * 16)
		die("--min-hosts %lld is more than any SRV answer can hold", cfg.min_hosts);
	q->dns_server = co->dns_server;
	q->timeout_state = co->timeout_state;
	q->deadline = 0;
}

/* ---- line 1: the headlines ----------------------------------------------------
 * render.h writes line 1 from the headlines of the top-level subchecks that
 * are not OK, worst first, joined with "; " while they fit, the rest counted
 * as "+N more". The words are ours: each kind of problem is one phrase,
 * worded three ways, and the headlines take the longest form in which all
 * of them fit within LINE1_MAX, so line 1 names every problem it can. */

/* One phrase: the sentence naming the domain (lead), the sentence once the
 * domain is named (lead_nodom, "" when the sentence does not name it) and
 * the short form (lead_short), each followed by the first object it is
 * about, if any, and "+N more" for the others: the long output lists them
 * all. */
struct phrase {
	state_t st;
	char lead[1024], lead_nodom[1024], lead_short[1024];
	char first[256]; /* "" when the phrase names no object */
	size_t count;    /* objects, counting the first */
};

#define MAX_PHRASES 8

/* A top-level subcheck and the phrases its headline is made of. */
struct head {
	struct subcheck *sc;
	struct phrase ph[MAX_PHRASES];
	size_t n;
	char text[2048]; /* the headline, once worded */
};

/* How a headline is worded: every phrase as a sentence, or in its short
 * form, after "DOMAIN: " or alone. */
enum { FORM_SENTENCE, FORM_SHORT_DOMAIN, FORM_SHORT };

/* How one phrase is worded. */
enum { P_SENTENCE, P_SENTENCE_NODOM, P_SHORT };

static struct phrase *head_phrase(struct head *h, state_t st)
{
	if (h->n == MAX_PHRASES)
		die("internal error: more than %d phrases for one headline", MAX_PHRASES);
	struct phrase *p = &h->ph[h->n++];
	memset(p, 0, sizeof *p);
	p->st = st;
	return p;
}

/* The phrase in a form (P_*), the first object cut to name_max bytes
 * (with "...") when it is longer. */
static void phrase_render(char *buf, size_t len, const struct phrase *p, int form, size_t name_max)
{
	const char *lead = form == P_SENTENCE ? p->lead :
			   form == P_SENTENCE_NODOM && p->lead_nodom[0] ? p->lead_nodom :
			   form == P_SENTENCE_NODOM ? p->lead : p->lead_short;
	text_append(buf, len, "%s", lead);
	if (!p->first[0])
		return;
	if (strlen(p->first) > name_max)
		text_append(buf, len, "%.*s...", (int)name_max, p->first);
	else
		text_append(buf, len, "%s", p->first);
	if (p->count > 1)
		text_append(buf, len, " +%zu more", p->count - 1);
}

/* Word head h in form (FORM_SENTENCE: the domain named once, in the first
 * sentence that names it, *named says whether one did; FORM_SHORT_DOMAIN:
 * the short forms after "DOMAIN: " when first; FORM_SHORT), showing at most
 * keep of its phrases (the rest counted) and its first object cut at
 * name_max bytes. Returns the headline's length. */
static size_t head_word(struct head *h, int form, bool first, const char *domain, bool *named,
			size_t keep, size_t name_max)
{
	size_t show = keep < h->n ? keep : h->n;
	h->text[0] = '\0';
	if (first && form == FORM_SHORT_DOMAIN)
		text_append(h->text, sizeof h->text, "%s: ", domain);
	for (size_t j = 0; j < show; j++) {
		if (j)
			text_append(h->text, sizeof h->text, "; ");
		phrase_render(h->text, sizeof h->text, &h->ph[j],
			      form != FORM_SENTENCE ? P_SHORT : *named ? P_SENTENCE_NODOM : P_SENTENCE,
			      j == 0 ? name_max : SIZE_MAX);
		*named = *named || h->ph[j].lead_nodom[0];
	}
	if (show < h->n)
		text_append(h->text, sizeof h->text, "; +%zu more problem%s", h->n - show,
			    plural(h->n - show));
	return strlen(h->text);
}

/* Word hs[0..k), in the order line 1 shows them, all in one form. Returns
 * the length of the summary they make. */
static size_t heads_word(struct head *const *hs, size_t k, int form, const char *domain)
{
	bool named = false;
	size_t total = 0;
	for (size_t i = 0; i < k; i++)
		total += (i ? 2 : 0) + head_word(hs[i], form, i == 0, domain, &named, SIZE_MAX, SIZE_MAX);
	return total;
}

/* Word hs[0..k) to fit budget bytes: the sentences if they fit; else the
 * short forms after the domain; else without it. Else render.h keeps the
 * headlines that fit and counts the rest ("; +N more"): each in turn shows
 * as many of its phrases as fit beside those before it and that count
 * ("+N more problems" for the others), the first its first object's name
 * cut when even one phrase is too long. */
static void heads_fit(struct head *const *hs, size_t k, const char *domain, size_t budget)
{
	for (int form = FORM_SENTENCE; form <= FORM_SHORT; form++)
		if (heads_word(hs, k, form, domain) <= budget)
			return;
	size_t used = 0;
	bool named = false;
	for (size_t i = 0; i < k; i++) {
		char more[48] = "";
		if (i + 1 < k)
			snprintf(more, sizeof more, "; +%zu more", k - i - 1);
		size_t need = used + (i ? 2 : 0) + strlen(more);
		size_t room = budget > need ? budget - need : 0;
		size_t keep = hs[i]->n, len;
		while ((len = head_word(hs[i], FORM_SHORT, false, domain, &named, keep, SIZE_MAX)) > room &&
		       keep > 1)
			keep--;
		if (len > room && i > 0)
			return; /* render.h counts it and the rest */
		if (len > room && hs[i]->ph[0].first[0]) {
			len = head_word(hs[i], FORM_SHORT, false, domain, &named, 1, 0); /* with "..." */
			if (len + 1 <= room)
				len = head_word(hs[i], FORM_SHORT, false, domain, &named, 1, room - len);
		}
		used += (i ? 2 : 0) + len;
	}
}

/* Bytes line 1 has for the summary in state st. */
static size_t line1_budget(state_t st)
{
	size_t fixed = strlen("KMS  ") + strlen(output_aspect()) + strlen(state_name(st)) + strlen(" - ");
	return LINE1_MAX > fixed ? LINE1_MAX - fixed : 0;
}

/* A head's phrases for line 1: those that are not OK (an OK finding, as a
 * rogue host under --rogue-state OK, does not speak there), worst first,
 * stable. */
static void head_order(struct head *h)
{
	size_t n = 0;
	for (int rank = 3; rank >= 1; rank--)
		for (size_t i = 0; i < h->n; i++)
			if (state_rank(h->ph[i].st) == rank) {
				struct phrase p = h->ph[i];
				for (size_t j = i; j > n; j--)
					h->ph[j] = h->ph[j - 1];
				h->ph[n++] = p;
			}
	h->n = n;
}

/* Set the headlines of heads[0..nh) (the top-level subchecks, in the order
 * added) when the check is not OK, in the order render.h shows them. */
static void headlines_set(const struct check *c, struct head *heads, size_t nh, const char *domain)
{
	state_t st = check_state(c);
	if (st == STATE_OK)
		return;
	struct head *hs[4];
	size_t k = 0;
	for (int rank = 3; rank >= 1; rank--)
		for (size_t i = 0; i < nh && k < 4; i++)
			if (state_rank(subcheck_state(heads[i].sc)) == rank) {
				head_order(&heads[i]);
				if (heads[i].n)
					hs[k++] = &heads[i];
			}
	if (k == 0)
		return;
	heads_fit(hs, k, domain, line1_budget(st));
	for (size_t i = 0; i < k; i++)
		subcheck_headline(hs[i]->sc, "%s", hs[i]->text);
}

/* Line 1 of an OK check: the phrase of h, worded as a headline would be. */
static void summary_ok(struct check *c, struct head *h, const char *domain)
{
	struct head *hs[1] = { h };
	heads_fit(hs, 1, domain, line1_budget(STATE_OK));
	check_summary_ok(c, "%s", h->text);
}

/* The error text without a trailing " (...)": line 1's short form leaves
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

/* ---- gather ----------------------------------------------------------------- */

/* End with the DNS failure of the SRV query itself: one subcheck, the
 * query, judged by the failure. */
static _Noreturn void report_lookup_failure(enum dns_status st, const struct query *q,
					    const struct srv_answer *a, const char *err)
{
	struct check *c = check_new();
	static struct head h; /* large: off the stack */
	struct phrase *p = head_phrase(&h, STATE_CRITICAL);
	const char *dom = q->domain, *server = q->server;
	switch (st) {
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		h.sc = check_add(c, "DNS server %s: _vlmcs._tcp.%s %s", server, dom,
				 st == DNS_NXDOMAIN ? "does not exist (NXDOMAIN)" : "has no SRV record (NOERROR, no data)");
		snprintf(p->lead, sizeof p->lead, "no _vlmcs._tcp SRV record for %s: clients cannot find a KMS host",
			 dom);
		snprintf(p->lead_short, sizeof p->lead_short,
			 "no _vlmcs._tcp SRV record: clients cannot find a KMS host");
		struct metric records = METRIC("records", 0);
		records.min = 0;
		subcheck_metric(h.sc, records);
		break;
	case DNS_SERVFAIL:
	case DNS_REFUSED:
		h.sc = check_add(c, "DNS server %s answered %s for _vlmcs._tcp.%s", server, err, dom);
		snprintf(p->lead, sizeof p->lead, "DNS server %s answered %s for _vlmcs._tcp.%s", server,
			 dns_status_name(st), dom);
		snprintf(p->lead_short, sizeof p->lead_short, "DNS server %s answered %s", server,
			 dns_status_name(st));
		break;
	case DNS_MALFORMED:
		h.sc = check_add(c, "malformed answer from DNS server %s for _vlmcs._tcp.%s: %s", server, dom, err);
		snprintf(p->lead, sizeof p->lead, "malformed DNS answer from %s for _vlmcs._tcp.%s: %s",
			 server, dom, err);
		snprintf(p->lead_short, sizeof p->lead_short, "malformed DNS answer: %s", err);
		drop_trailing_parenthetical(p->lead_short);
		break;
	default: /* DNS_TIMEOUT, DNS_ERROR: err names the server */
		p->st = st == DNS_TIMEOUT ? q->timeout_state : STATE_CRITICAL;
		h.sc = check_add(c, "SRV query for _vlmcs._tcp.%s: %s", dom, err);
		snprintf(p->lead, sizeof p->lead, "SRV query for _vlmcs._tcp.%s: %s", dom, err);
		snprintf(p->lead_short, sizeof p->lead_short, "%s", err);
		drop_trailing_parenthetical(p->lead_short);
		break;
	}
	subcheck_set_state(h.sc, p->st);
	if (st != DNS_TIMEOUT) {
		struct metric time = METRIC("time", perf_seconds(a->elapsed_s));
		time.uom = "s";
		subcheck_metric(h.sc, time);
	}
	if (p->st == STATE_OK)
		summary_ok(c, &h, dom); /* -t N:OK */
	else
		headlines_set(c, &h, 1, dom);
	check_exit(c);
}

/* The SRV query; a failure ends the plugin here. */
static void lookup(struct query *q, struct srv_answer *a)
{
	char qname[300], activity[512], err[KMS_ERRLEN];
	snprintf(qname, sizeof qname, "_vlmcs._tcp.%s", q->domain);
	snprintf(activity, sizeof activity, "SRV query to DNS server %s", q->server);
	timeout_set_activity(activity);
	q->deadline = mono_now() + deadline_left();
	enum dns_status st = dns_srv_lookup(q->dns_server, qname, q->deadline, a, err);
	vlog(1, "SRV %s via %s: %s", qname, q->server, st == DNS_OK ? "answer" : err);
	if (st != DNS_OK) {
		config_free(&cfg);
		report_lookup_failure(st, q, a, err);
	}
}

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
			ev[i].flags |= F_CNAME;
			problem(&ev[i], STATE_WARNING, "is a CNAME (to %s): SRV targets must be host names "
				"with A/AAAA records, RFC 2782", rec->cname);
		}
		if (rec->n_addrs == 0 && !probed) {
			ev[i].flags |= F_UNRESOLVED;
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
		if (!published_answers(h))
			ev[i].flags |= F_PROBE_FAILED;
		if (published_degraded(h)) {
			ev[i].flags |= F_DEGRADED;
			published_headline(h, ev[i].degraded_text, sizeof ev[i].degraded_text);
		}
	}
}

/* Resolve every target (with --probe: and probe every address), one
 * rec_eval per record of a, freed by the caller. */
static struct rec_eval *resolve_targets(const struct query *q, struct srv_answer *a,
					struct published *pub)
{
	struct rec_eval *ev = calloc(a->n ? a->n : 1, sizeof *ev);
	if (!ev)
		die("out of memory");
	for (size_t i = 0; i < a->n; i++)
		ev[i].rec = &a->records[i];
	if (cfg.probe) {
		published_probe(q->dns_server, a, AF_UNSPEC, q->deadline, NULL, q->timeout_state, pub);
		judge_targets(a, ev, NULL, true);
		fold_probes(pub, ev);
		return ev;
	}
	char (*errs)[KMS_ERRLEN] = calloc(a->n ? a->n : 1, sizeof *errs);
	if (!errs)
		die("out of memory");
	timeout_set_activity("resolving the SRV targets");
	published_resolve(q->dns_server, a, q->deadline, errs);
	judge_targets(a, ev, (const char (*)[KMS_ERRLEN])errs, false);
	free(errs);
	return ev;
}

/* ---- evaluate --------------------------------------------------------------- */

static bool published_target(const struct srv_answer *a, const char *name)
{
	for (size_t k = 0; k < a->n; k++)
		if (dns_name_equal(name, a->records[k].target))
			return true;
	return false;
}

/* Each record against the options, and the answer as a whole. Target "."
 * (RFC 2782) says the service is decidedly not available: it names no
 * host, so it is neither rogue nor on a wrong port, and it does not count
 * as a KMS host. Hosts are distinct target names: two records of one host
 * are one host. */
static void evaluate(const struct srv_answer *a, struct rec_eval *ev, struct verdict *v)
{
	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < a->n; i++) {
		struct rec_eval *e = &ev[i];
		if (strcmp(e->rec->target, ".") == 0) {
			problem(e, STATE_WARNING, "target \".\": the service is declared not available");
			v->root = true;
			continue;
		}
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || strcmp(a->records[j].target, e->rec->target) == 0;
		v->hosts += !seen;
		if (cfg.have_expected && !is_expected(&cfg, e->rec->target)) {
			e->flags |= F_ROGUE;
			v->rogue++;
			problem(e, cfg.rogue_state, "published but not expected");
		}
		if (e->rec->port != (unsigned)cfg.port) {
			e->flags |= F_BAD_PORT;
			problem(e, STATE_WARNING, "port %u, not %lld", e->rec->port, cfg.port);
		}
	}
	for (size_t i = 0; i < cfg.n_expected; i++)
		v->found += published_target(a, cfg.expected[i]);
}

/* ---- report ----------------------------------------------------------------- */

/* A phrase in state st about the distinct targets of the records with
 * flag (the first named, all counted), or NULL when no record has it. A
 * probe that failed speaks with its records' states (the -t state may be
 * another than CRITICAL). */
static struct phrase *target_phrase(struct head *h, state_t st, const struct srv_answer *a,
				    const struct rec_eval *ev, unsigned flag)
{
	size_t count = 0;
	const char *first = NULL;
	for (size_t i = 0; i < a->n; i++) {
		if (!(ev[i].flags & flag))
			continue;
		bool dup = false;
		for (size_t j = 0; j < i; j++)
			dup = dup || ((ev[j].flags & flag) && strcmp(ev[j].rec->target, ev[i].rec->target) == 0);
		if (!dup && count++ == 0)
			first = ev[i].rec->target;
	}
	if (!count)
		return NULL;
	struct phrase *p = head_phrase(h, st);
	snprintf(p->first, sizeof p->first, "%s", first);
	p->count = count;
	if (flag == F_PROBE_FAILED)
		for (size_t i = 0; i < a->n; i++)
			if (ev[i].flags & flag)
				p->st = state_worst(p->st, ev[i].st);
	return p;
}

/* The answer's headline, part 1: rogue hosts, no host or target ".", hosts
 * that do not answer the probe, wholly or in part. */
static void answer_phrases(struct head *h, const struct srv_answer *a, const struct rec_eval *ev,
			   const struct verdict *v, const char *dom)
{
	const char *hs = plural(v->hosts);
	struct phrase *p = target_phrase(h, cfg.rogue_state, a, ev, F_ROGUE);
	if (p) {
		const char *s = plural(p->count);
		snprintf(p->lead, sizeof p->lead, "rogue KMS host%s published for %s: ", s, dom);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "rogue KMS host%s: ", s);
		snprintf(p->lead_short, sizeof p->lead_short, "rogue ");
	}
	if (v->hosts == 0) {
		p = head_phrase(h, STATE_CRITICAL);
		snprintf(p->lead, sizeof p->lead, "no KMS host published for %s (SRV target \".\": "
			 "service not available): clients cannot find a KMS host", dom);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "no KMS host published (SRV target \".\": "
			 "service not available)");
		snprintf(p->lead_short, sizeof p->lead_short, "no KMS host, only SRV target \".\" "
			 "(service not available)");
	} else if (v->root) {
		p = head_phrase(h, STATE_WARNING);
		snprintf(p->lead, sizeof p->lead, "SRV target \".\" (service not available) "
			 "published for %s beside %zu KMS host%s", dom, v->hosts, hs);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "SRV target \".\" (service not available) "
			 "beside %zu KMS host%s", v->hosts, hs);
		snprintf(p->lead_short, sizeof p->lead_short, "SRV target \".\" beside %zu host%s", v->hosts, hs);
	}
	if ((p = target_phrase(h, STATE_OK, a, ev, F_PROBE_FAILED))) {
		const char *does = p->count == 1 ? "does" : "do";
		snprintf(p->lead, sizeof p->lead, "%zu of %zu KMS host%s published for %s %s not answer KMS RPC: ",
			 p->count, v->hosts, hs, dom, does);
		snprintf(p->lead_nodom, sizeof p->lead_nodom, "%zu of %zu KMS host%s %s not answer KMS RPC: ",
			 p->count, v->hosts, hs, does);
		snprintf(p->lead_short, sizeof p->lead_short, "no KMS RPC answer from ");
	}
	/* hosts that answer on some addresses only: degraded, the dead
	 * address named (published.h says why this is no outage); the
	 * headline is a sentence of its own, in every form */
	if ((p = target_phrase(h, STATE_WARNING, a, ev, F_DEGRADED)))
		for (size_t i = 0; i < a->n; i++)
			if (ev[i].flags & F_DEGRADED) {
				snprintf(p->first, sizeof p->first, "%s", ev[i].degraded_text);
				break;
			}
}

/* The answer's headline, part 2: what the targets have wrong. */
static void target_phrases(struct head *h, const struct srv_answer *a, const struct rec_eval *ev)
{
	struct phrase *p;
	if ((p = target_phrase(h, STATE_WARNING, a, ev, F_CNAME))) {
		bool one = p->count == 1;
		snprintf(p->lead, sizeof p->lead, "SRV target%s, not %s (RFC 2782): ",
			 one ? " is a CNAME" : "s are CNAMEs", one ? "a host name" : "host names");
		snprintf(p->lead_short, sizeof p->lead_short, "CNAME ");
	}
	if ((p = target_phrase(h, STATE_WARNING, a, ev, F_UNRESOLVED))) {
		snprintf(p->lead, sizeof p->lead, "published KMS host%s without an address: ", plural(p->count));
		snprintf(p->lead_short, sizeof p->lead_short, "no address: ");
	}
	if ((p = target_phrase(h, STATE_WARNING, a, ev, F_BAD_PORT))) {
		snprintf(p->lead, sizeof p->lead, "KMS host%s published on a port other than %lld: ",
			 plural(p->count), cfg.port);
		snprintf(p->lead_short, sizeof p->lead_short, "port not %lld: ", cfg.port);
	}
}

/* One line per record:
 * "kms01.corp.example:1688 -> 10.0.0.11 (prio 0, weight 100, ttl 3600)";
 * with --probe the host line of published.h in place of the target and
 * its addresses, the same as check_kms_host -D prints. */
static void add_record(struct subcheck *parent, const struct rec_eval *e)
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
		if (rec->n_addrs_dropped || rec->addrs_dropped_more)
			text_append(head, sizeof head, ", %s%zu more not listed (at most %d per name)",
				    rec->addrs_dropped_more ? "at least " : "", rec->n_addrs_dropped,
				    DNS_MAX_ADDRS);
		if (e->problems[0])
			text_append(head, sizeof head, ": %s", e->problems);
	}
	struct subcheck *sc = subcheck_add(parent, "%s (prio %u, weight %u, ttl %u)", head, rec->priority,
					   rec->weight, (unsigned)rec->ttl);
	subcheck_set_state(sc, e->st);
}

/* The --rogue-state threshold on the rogue count: 0 is fine, one more is
 * that state. A range cannot say UNKNOWN (or OK): then the rogue records
 * judge the answer by their own state, and the metric only graphs. */
static struct thresholds rogue_thresholds(void)
{
	struct range none = range_between(0, 0);
	if (cfg.rogue_state == STATE_CRITICAL)
		return thresholds_of(NULL, &none);
	if (cfg.rogue_state == STATE_WARNING)
		return thresholds_of(&none, NULL);
	return thresholds_of(NULL, NULL);
}

/* The -e hosts the answer does not hold: a child of the answer with one
 * child each, and their phrase. */
static void add_missing(struct head *h, const struct srv_answer *a, const struct verdict *v,
			const char *dom)
{
	size_t missing = cfg.n_expected - v->found;
	struct subcheck *sc = subcheck_add(h->sc, "%zu of %zu expected KMS host%s not published for %s",
					   missing, cfg.n_expected, plural(cfg.n_expected), dom);
	struct phrase *p = head_phrase(h, STATE_WARNING);
	for (size_t i = 0; i < cfg.n_expected; i++) {
		if (published_target(a, cfg.expected[i]))
			continue;
		subcheck_set_state(subcheck_add(sc, "%s is expected but not published", cfg.expected[i]),
				   STATE_WARNING);
		if (!p->first[0])
			snprintf(p->first, sizeof p->first, "%s", cfg.expected[i]);
	}
	const char *s = plural(missing);
	p->count = missing;
	snprintf(p->lead, sizeof p->lead, "expected KMS host%s not published for %s: ", s, dom);
	snprintf(p->lead_nodom, sizeof p->lead_nodom, "expected KMS host%s not published: ", s);
	snprintf(p->lead_short, sizeof p->lead_short, "missing ");
}

/* The answer: one child per record, the verdict of an answer that names
 * no host, the expected hosts it lacks; its metrics; the phrases of its
 * headline, in the order line 1 has always named them. */
static void add_answer(struct check *c, struct head *h, const struct query *q,
		       const struct srv_answer *a, const struct rec_eval *ev, const struct verdict *v)
{
	h->sc = check_add(c, "_vlmcs._tcp.%s: %zu SRV record%s, %zu KMS host%s", q->domain, a->n,
			  plural(a->n), v->hosts, plural(v->hosts));
	for (size_t i = 0; i < a->n; i++)
		add_record(h->sc, &ev[i]);
	if (v->hosts == 0)
		subcheck_set_state(subcheck_add(h->sc, "no KMS host published for %s: only SRV target \".\" "
						"(service not available)", q->domain), STATE_CRITICAL);
	struct metric m = METRIC("records", (double)a->n);
	m.min = 0;
	subcheck_metric(h->sc, m);
	if (cfg.have_expected) {
		struct thresholds rth = rogue_thresholds();
		m = METRIC("expected_found", (double)v->found);
		m.min = 0;
		subcheck_metric(h->sc, m);
		m = METRIC("rogue", (double)v->rogue);
		m.min = 0;
		m.th = &rth;
		subcheck_metric(h->sc, m);
	}
	m = METRIC("time", perf_seconds(a->elapsed_s));
	m.uom = "s";
	subcheck_metric(h->sc, m);
	answer_phrases(h, a, ev, v, q->domain);
	if (v->found < cfg.n_expected)
		add_missing(h, a, v, q->domain);
	target_phrases(h, a, ev);
}

/* Fewer hosts than --min-hosts (an answer without any is the answer's own
 * verdict): a subcheck of its own. */
static void add_min_hosts(struct check *c, struct head *h, const struct verdict *v, const char *dom)
{
	const char *hs = plural(v->hosts);
	h->sc = check_add(c, "%zu KMS host%s published for %s, --min-hosts %lld", v->hosts, hs, dom,
			  cfg.min_hosts);
	subcheck_set_state(h->sc, STATE_CRITICAL);
	struct phrase *p = head_phrase(h, STATE_CRITICAL);
	snprintf(p->lead, sizeof p->lead, "only %zu KMS host%s published for %s (at least %lld needed)",
		 v->hosts, hs, dom, cfg.min_hosts);
	snprintf(p->lead_nodom, sizeof p->lead_nodom, "only %zu KMS host%s published (at least %lld needed)",
		 v->hosts, hs, cfg.min_hosts);
	snprintf(p->lead_short, sizeof p->lead_short, "only %zu KMS host%s, %lld needed", v->hosts, hs,
		 cfg.min_hosts);
}

/* The good news as a phrase in state st: "N KMS hosts published for DOM,
 * all N expected, all answer KMS RPC". */
static void good_news(struct head *h, state_t st, const struct verdict *v, const char *dom)
{
	struct phrase *p = head_phrase(h, st);
	char more[200] = "";
	if (cfg.have_expected)
		text_append(more, sizeof more, ", all %zu expected", cfg.n_expected);
	if (cfg.probe)
		text_append(more, sizeof more, ", %s answer%s KMS RPC", v->hosts == 1 ? "it" : "all",
			    v->hosts == 1 ? "s" : "");
	snprintf(p->lead, sizeof p->lead, "%zu KMS host%s published for %s%s", v->hosts, plural(v->hosts),
		 dom, more);
	snprintf(p->lead_short, sizeof p->lead_short, "%zu KMS host%s published%s", v->hosts,
		 plural(v->hosts), more);
}

/* Line 1 when all is well (a rogue host under --rogue-state OK included):
 * the good news. */
static void add_summary_ok(struct check *c, const struct verdict *v, const char *dom)
{
	static struct head h; /* large: off the stack */
	good_news(&h, STATE_OK, v, dom);
	summary_ok(c, &h, dom);
}

/* The answer not OK without a phrase of its own that is not: only a host
 * whose kept addresses all answer, WARNING for the ones left out (see
 * published.h), does that. Its headline is then the good news of what was
 * probed; the cap's subcheck says the rest. */
static void quiet_answer(struct head *h, const struct verdict *v, const char *dom)
{
	state_t st = subcheck_state(h->sc);
	if (st == STATE_OK)
		return;
	for (size_t i = 0; i < h->n; i++)
		if (h->ph[i].st != STATE_OK)
			return;
	good_news(h, st, v, dom);
}

/* How many addresses the DNS layer left out (beyond DNS_MAX_ADDRS per
 * name), and where: the probed hosts' with --probe, else each target's
 * once (they are only listed). *more when a count is a floor. */
static size_t unprobed_count(const struct srv_answer *a, const struct published *pub,
			     bool *more, char *where, size_t len)
{
	size_t n = 0;
	*more = false;
	where[0] = '\0';
	for (size_t i = 0; i < a->n; i++) {
		const struct srv_record *rec = &a->records[i];
		size_t k = cfg.probe ? pub->hosts[i].n_unprobed : rec->n_addrs_dropped;
		bool m = cfg.probe ? pub->hosts[i].unprobed_more : rec->addrs_dropped_more;
		bool seen = false;
		for (size_t j = 0; j < i && !cfg.probe; j++)
			seen = seen || strcmp(a->records[j].target, rec->target) == 0;
		if ((k == 0 && !m) || seen)
			continue;
		n += k;
		*more = *more || m;
		if (cfg.probe)
			text_append(where, len, "%s%s:%u (%s%zu)", where[0] ? ", " : "", rec->target,
				    rec->port, m ? "at least " : "", k);
		else
			text_append(where, len, "%s%s (%s%zu)", where[0] ? ", " : "", rec->target,
				    m ? "at least " : "", k);
	}
	return n;
}

/* The cap: a top-level subcheck, WARNING, when addresses were left out;
 * with --probe the check cannot vouch for them, without it the records do
 * not list them. Its phrase: "4 addresses beyond 16 per name not probed",
 * short "4 addresses not probed". False when nothing was left out. */
static bool add_unprobed(struct check *c, struct head *h, const struct srv_answer *a,
			 const struct published *pub)
{
	bool more;
	char where[2048];
	size_t n = unprobed_count(a, pub, &more, where, sizeof where);
	if (n == 0 && !more)
		return false;
	const char *verb = cfg.probe ? "probed" : "listed";
	memset(h, 0, sizeof *h);
	struct phrase *p = head_phrase(h, STATE_WARNING);
	published_unprobed_text(n, more, verb, false, p->lead, sizeof p->lead);
	published_unprobed_text(n, more, verb, true, p->lead_short, sizeof p->lead_short);
	h->sc = check_add(c, "%s: %s", p->lead, where);
	subcheck_set_state(h->sc, STATE_WARNING);
	return true;
}

/* The check (see the top of this file for its tree). --min-hosts comes
 * first: line 1 names the top-level subchecks worst first and in this
 * order within a state, and the answer's headline may hold a WARNING
 * phrase after its CRITICAL one. The cap comes last: it is about what the
 * check did not see. */
static struct check *report(const struct query *q, const struct srv_answer *a,
			    const struct published *pub, const struct rec_eval *ev,
			    const struct verdict *v)
{
	struct check *c = check_new();
	static struct head heads[3]; /* large: off the stack */
	size_t nh = 0;
	if (v->hosts > 0 && (long long)v->hosts < cfg.min_hosts)
		add_min_hosts(c, &heads[nh++], v, q->domain);
	struct head *answer = &heads[nh++];
	add_answer(c, answer, q, a, ev, v);
	quiet_answer(answer, v, q->domain);
	nh += add_unprobed(c, &heads[nh], a, pub);
	if (check_state(c) == STATE_OK)
		add_summary_ok(c, v, q->domain);
	else
		headlines_set(c, heads, nh, q->domain);
	return c;
}

static const struct plugin_info dns_info;

int main(int argc, char **argv)
{
	struct common_opts co;
	options_parse(argc, argv, &dns_info, &co);
	options_start(&co);
	struct query q;
	query_from_options(&co, &q);

	struct srv_answer a;
	lookup(&q, &a); /* a failed query ends the plugin */
	struct published pub = { 0 };
	struct rec_eval *ev = resolve_targets(&q, &a, &pub);

	struct verdict v;
	evaluate(&a, ev, &v);

	struct check *c = report(&q, &a, &pub, ev, &v);
	free(ev);
	published_free(&pub);
	srv_answer_free(&a);
	config_free(&cfg);
	check_exit(c);
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
	"At most 16 addresses per name are kept; the rest are counted and the first\n"
	"line says how many were not probed (--probe) or not listed, WARNING.\n"
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
