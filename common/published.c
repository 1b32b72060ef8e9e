/* published.c - resolve and probe the published KMS hosts, judge each one.
 * The contract and the reasons for the verdicts are in published.h. */
#include "published.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "output.h"
#include "timeout.h"

static bool is_root(const struct srv_record *rec)
{
	return strcmp(rec->target, ".") == 0;
}

size_t published_resolve(const char *server, struct srv_answer *a, double deadline,
			 char (*errs)[KMS_ERRLEN])
{
	size_t missing = 0;
	for (size_t i = 0; i < a->n; i++) {
		struct srv_record *rec = &a->records[i];
		char err[KMS_ERRLEN] = "";
		/* always asked, even when the additional section had some: a
		 * server drops additional records that do not fit a datagram
		 * without setting TC (dnsmasq does), so it may hold only some
		 * of a target's addresses. The server that published the names
		 * is asked, as the system's resolver may not know them. */
		if (!is_root(rec))
			dns_addr_lookup(server, rec->target, deadline, rec, err);
		if (!is_root(rec) && rec->n_addrs == 0) {
			missing++;
			if (!err[0])
				snprintf(err, sizeof err, "no address");
		}
		if (errs)
			snprintf(errs[i], KMS_ERRLEN, "%s", err);
	}
	return missing;
}

static bool family_ok(const char *addr, int family)
{
	bool v6 = strchr(addr, ':') != NULL;
	return family == AF_UNSPEC || (family == AF_INET6) == v6;
}

/* Addresses in numeric order, IPv4 first: a DNS server rotates them, and
 * the same set must read the same in every run and every plugin. */
static int addr_cmp(const void *pa, const void *pb)
{
	const struct published_addr *a = pa, *b = pb;
	unsigned char x[17] = { 0 }, y[17] = { 0 };
	x[0] = inet_pton(AF_INET, a->addr, x + 1) == 1 ? 4 :
	       inet_pton(AF_INET6, a->addr, x + 1) == 1 ? 6 : 9;
	y[0] = inet_pton(AF_INET, b->addr, y + 1) == 1 ? 4 :
	       inet_pton(AF_INET6, b->addr, y + 1) == 1 ? 6 : 9;
	int c = memcmp(x, y, sizeof x);
	return c ? c : strcmp(a->addr, b->addr);
}

double published_usec(double s)
{
	return round(s * 1e6) / 1e6;
}

/* The best of a and b by state_rank(): a loss counts at most this much. */
static state_t state_least(state_t a, state_t b)
{
	return state_rank(a) <= state_rank(b) ? a : b;
}

void published_judge(struct published_host *h, const struct thresholds *th,
		     state_t timeout_st)
{
	h->n_dead = 0;
	h->speaker = NULL;
	if (is_root(h->rec)) {
		h->st = STATE_OK;
		return;
	}
	state_t live = STATE_OK, dead = STATE_OK;
	const struct published_addr *slowest = NULL;
	for (size_t j = 0; j < h->n_addrs; j++) {
		struct published_addr *pa = &h->addrs[j];
		pa->answers = pa->probe.outcome == RPC_ACCEPTED;
		pa->st = pa->answers && th ? thresholds_check(th, published_usec(pa->probe.total_s))
					   : rpc_probe_state(&pa->probe, timeout_st);
		if (pa->answers) {
			live = state_worst(live, pa->st);
			if (!slowest || pa->probe.total_s > slowest->probe.total_s)
				slowest = pa;
		} else {
			h->n_dead++;
			dead = state_worst(dead, pa->st);
		}
	}
	if (h->n_addrs == 0) {
		h->st = STATE_CRITICAL; /* no client can reach it */
		return;
	}
	h->speaker = slowest ? slowest : &h->addrs[0];
	if (h->n_dead == 0)
		h->st = live;
	else if (h->n_dead < h->n_addrs)
		h->st = state_worst(STATE_WARNING, live);
	else
		h->st = dead;
	if (h->n_unprobed > 0 || h->unprobed_more)
		h->st = state_worst(STATE_WARNING, h->st);
}

state_t published_share(const struct published_host *h, state_t loss)
{
	state_t slow = STATE_OK;
	for (size_t j = 0; j < h->n_addrs; j++)
		if (h->addrs[j].answers)
			slow = state_worst(slow, h->addrs[j].st);
	return state_worst(slow, state_least(h->st, loss));
}

void published_probe(const char *server, struct srv_answer *a, int family,
		     double deadline, const struct thresholds *th, state_t timeout_st,
		     struct published *out)
{
	out->n = a->n;
	out->hosts = calloc(a->n ? a->n : 1, sizeof *out->hosts);
	char (*errs)[KMS_ERRLEN] = calloc(a->n ? a->n : 1, sizeof *errs);
	if (!out->hosts || !errs)
		die("out of memory for %zu published hosts", a->n);
	timeout_set_activity("resolving the published KMS hosts");
	published_resolve(server, a, deadline, errs);

	size_t total = 0;
	for (size_t i = 0; i < a->n; i++) {
		struct published_host *h = &out->hosts[i];
		h->rec = &a->records[i];
		if (is_root(h->rec))
			continue;
		if (h->rec->n_addrs == 0) {
			h->resolve_failed = true;
			snprintf(h->resolve_err, sizeof h->resolve_err, "%s", errs[i]);
		}
		for (size_t k = 0; k < h->rec->n_addrs; k++)
			total += family_ok(h->rec->addrs[k], family);
		for (size_t k = 0; k < h->rec->n_addrs_dropped; k++)
			h->n_unprobed += family_ok(h->rec->addrs_dropped[k], family);
		h->unprobed_more = h->rec->addrs_dropped_more;
	}
	free(errs);

	/* one flat list for one parallel pass, so every probe shares what is
	 * left before the deadline */
	struct published_addr *all = calloc(total ? total : 1, sizeof *all);
	struct rpc_target *targets = calloc(total ? total : 1, sizeof *targets);
	char (*ports)[8] = calloc(total ? total : 1, sizeof *ports);
	struct rpc_probe_result *res = calloc(total ? total : 1, sizeof *res);
	if (!all || !targets || !ports || !res)
		die("out of memory for %zu probes", total);
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++) {
		struct published_host *h = &out->hosts[i];
		if (is_root(h->rec))
			continue;
		h->addrs = &all[n];
		for (size_t k = 0; k < h->rec->n_addrs; k++) {
			if (!family_ok(h->rec->addrs[k], family))
				continue;
			all[n].addr = h->rec->addrs[k];
			snprintf(ports[n], sizeof ports[n], "%u", h->rec->port);
			targets[n].host = h->rec->addrs[k];
			targets[n].port = ports[n];
			h->n_addrs++;
			n++;
		}
	}
	if (n > 0) {
		char act[128];
		snprintf(act, sizeof act, "probing %zu addresses of %zu published KMS hosts", n, a->n);
		timeout_set_activity(act);
		/* a little before the deadline, so the answer is printed
		 * before the -t backstop fires */
		double left = deadline - mono_now() - 0.1;
		rpc_bind_probe_many(targets, n, family, left < 0.05 ? 0.05 : left, res);
	}
	for (size_t j = 0; j < n; j++)
		all[j].probe = res[j];
	free(targets);
	free(ports);
	free(res);
	for (size_t i = 0; i < a->n; i++) {
		struct published_host *h = &out->hosts[i];
		if (h->n_addrs > 1)
			qsort(h->addrs, h->n_addrs, sizeof *h->addrs, addr_cmp);
		published_judge(h, th, timeout_st);
	}
	out->block = all;
}

void published_threshold_note(const struct thresholds *th, state_t st, char *buf,
			      size_t len)
{
	buf[0] = '\0';
	if (!th || st == STATE_OK)
		return;
	char rg[64];
	range_format(st == STATE_CRITICAL ? &th->crit : &th->warn, rg, sizeof rg);
	snprintf(buf, len, " (outside %s %s s)", st == STATE_CRITICAL ? "-c" : "-w", rg);
}

/* "10.0.0.11 answers KMS RPC in 1.2 ms" or, with show_addr false, the
 * phrase alone. */
static void addr_phrase(const struct published_addr *pa, const struct thresholds *th,
			bool show_addr, char *buf, size_t len)
{
	char desc[KMS_ERRLEN + 128], note[128];
	rpc_probe_describe(&pa->probe, desc, sizeof desc);
	published_threshold_note(th, pa->answers ? pa->st : STATE_OK, note, sizeof note);
	if (show_addr)
		text_append(buf, len, "%s %s%s", pa->addr, desc, note);
	else
		text_append(buf, len, "%s%s", desc, note);
}

/* "; 4 more addresses not probed (at most 16 per name)", or nothing. */
static void unprobed_phrase(const struct published_host *h, char *buf, size_t len)
{
	if (h->n_unprobed == 0 && !h->unprobed_more)
		return;
	text_append(buf, len, "; %s%zu more address%s not probed (at most %d per name)",
		    h->unprobed_more ? "at least " : "", h->n_unprobed,
		    h->n_unprobed == 1 && !h->unprobed_more ? "" : "es", DNS_MAX_ADDRS);
}

void published_line(const struct published_host *h, const struct thresholds *th,
		    int family, char *buf, size_t len)
{
	const struct srv_record *rec = h->rec;
	buf[0] = '\0';
	text_append(buf, len, "%s:%u", rec->target, rec->port);
	if (is_root(rec))
		return;
	if (h->resolve_failed) {
		text_append(buf, len, ": name does not resolve (%s)", h->resolve_err);
		return;
	}
	if (h->n_addrs == 0) {
		text_append(buf, len, ": name has no %s address",
			    family == AF_INET6 ? "IPv6" : "IPv4");
		unprobed_phrase(h, buf, len);
		return;
	}
	if (h->n_addrs == 1) {
		text_append(buf, len, " (%s): ", h->addrs[0].addr);
		addr_phrase(&h->addrs[0], th, false, buf, len);
		unprobed_phrase(h, buf, len);
		return;
	}
	if (h->n_dead == 0)
		text_append(buf, len, ": all %zu addresses answer: ", h->n_addrs);
	else if (h->n_dead == h->n_addrs)
		text_append(buf, len, ": none of %zu addresses answers: ", h->n_addrs);
	else
		text_append(buf, len, ": %zu of %zu addresses %s not answer: ", h->n_dead,
			    h->n_addrs, h->n_dead == 1 ? "does" : "do");
	/* the dead first: they are the news */
	bool first = true;
	for (int pass = 0; pass < 2; pass++)
		for (size_t j = 0; j < h->n_addrs; j++) {
			if (h->addrs[j].answers != (pass == 1))
				continue;
			if (!first)
				text_append(buf, len, "; ");
			first = false;
			addr_phrase(&h->addrs[j], th, true, buf, len);
		}
	unprobed_phrase(h, buf, len);
}

void published_headline(const struct published_host *h, char *buf, size_t len)
{
	buf[0] = '\0';
	const char *dead = NULL;
	for (size_t j = 0; j < h->n_addrs && !dead; j++)
		if (!h->addrs[j].answers)
			dead = h->addrs[j].addr;
	if (h->n_dead == 1 && dead)
		snprintf(buf, len, "%s of %s does not answer", dead, h->rec->target);
	else
		snprintf(buf, len, "%zu of %zu addresses of %s do not answer", h->n_dead,
			 h->n_addrs, h->rec->target);
}

size_t published_unprobed(const struct published *p, bool *more)
{
	size_t n = 0;
	bool m = false;
	for (size_t i = 0; i < p->n; i++) {
		n += p->hosts[i].n_unprobed;
		m = m || p->hosts[i].unprobed_more;
	}
	if (more)
		*more = m;
	return n;
}

void published_unprobed_text(size_t n, bool more, const char *verb, bool short_form,
			     char *buf, size_t len)
{
	const char *s = n == 1 && !more ? "" : "es";
	if (short_form)
		snprintf(buf, len, "%s%zu address%s not %s", more ? "at least " : "", n, s, verb);
	else
		snprintf(buf, len, "%s%zu address%s beyond %d per name not %s",
			 more ? "at least " : "", n, s, DNS_MAX_ADDRS, verb);
}

bool published_answers(const struct published_host *h)
{
	return h->n_addrs > h->n_dead;
}

bool published_degraded(const struct published_host *h)
{
	return h->n_dead > 0 && h->n_dead < h->n_addrs;
}

void published_free(struct published *p)
{
	free(p->block);
	free(p->hosts);
	p->block = NULL;
	p->hosts = NULL;
	p->n = 0;
}
