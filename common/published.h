/* published.h - the KMS hosts published as _vlmcs._tcp SRV records, each
 * resolved and every one of its addresses bind-probed, with one verdict per
 * host. check_kms_host -D and check_kms_dns --probe both use it, so the same
 * answer gives the same host lines and states in both.
 *
 * The verdict of a host (a record: target and port):
 *   - every probed address answers: OK, or what -w/-c say of the slowest
 *     answering address (that address speaks for the host: its times are
 *     the ones graphed and judged);
 *   - some addresses answer, some do not: WARNING (or worse by -w/-c), the
 *     dead addresses named. A client that picks a dead address fails its
 *     connection and tries the next address, then the next SRV record
 *     (Windows' KMS client does both), so the host is degraded -- slower
 *     activations, less redundancy -- but not down;
 *   - no address answers: the worst state of its probes (CRITICAL, or the
 *     -t state when every probe timed out);
 *   - no address at all (the name does not resolve, or has none of the
 *     -4/-6 family): CRITICAL, no client can reach it;
 *   - addresses left out (beyond the DNS_MAX_ADDRS kept per name): at
 *     least WARNING, whatever the probed ones say -- the check cannot
 *     vouch for addresses it did not probe.
 *
 * Every address kept is probed, no cap of our own (the probes run on at
 * most 64 threads, the rest queued). The DNS layer keeps at most
 * DNS_MAX_ADDRS (16) addresses per name and counts the rest (dns_srv.h):
 * the host line says how many were not probed, and each plugin says the
 * total on line 1 with a WARNING top-level subcheck of its own
 * (published_unprobed_text), so a cap no host line can hide (a host line
 * counts at most its share, published_share). */
#ifndef KMS_PUBLISHED_H
#define KMS_PUBLISHED_H

#include <stdbool.h>
#include <stddef.h>
#include "dns_srv.h"
#include "range.h"
#include "rpc_bind.h"
#include "state.h"

/* One probed address of a host. */
struct published_addr {
	const char *addr;            /* into the srv_record */
	struct rpc_probe_result probe;
	state_t st;                  /* this probe alone (-w/-c when it answered) */
	bool answers;                /* probe.outcome == RPC_ACCEPTED */
};

/* One published host (one SRV record) and its verdict. */
struct published_host {
	const struct srv_record *rec;
	struct published_addr *addrs; /* the probed addresses, in numeric
				       * order (IPv4 first): DNS servers rotate */
	size_t n_addrs, n_dead;
	/* addresses of the family the DNS layer left out (rec's drops):
	 * not probed; unprobed_more: yet more, not counted (a floor) */
	size_t n_unprobed;
	bool unprobed_more;
	bool resolve_failed;          /* the target has no address at all */
	char resolve_err[KMS_ERRLEN]; /* why, when resolve_failed */
	state_t st;                   /* the verdict, as above */
	/* the address whose times speak for the host: the slowest that
	 * answered, else the first probed; NULL when none was probed */
	const struct published_addr *speaker;
};

struct published {
	struct published_host *hosts; /* one per SRV record, in answer order */
	size_t n;
	struct published_addr *block; /* every host's addrs, one allocation */
};

/* Resolve A and AAAA of every SRV target through server (the -s server or
 * NULL, as dns_srv_lookup), before the absolute deadline (mono_now()
 * seconds), adding to the addresses of the answer's additional section
 * (which a server may have cut to fit a datagram).
 * Target "." is skipped. errs (may be NULL) gets a[i]'s failure, "" when it
 * resolved; returns how many targets have no address. */
size_t published_resolve(const char *server, struct srv_answer *a, double deadline,
			 char (*errs)[KMS_ERRLEN]);

/* Resolve (as published_resolve) and probe every address of family
 * (AF_UNSPEC, AF_INET, AF_INET6) of every record of a except target ".",
 * all in parallel, ending before the absolute deadline; then judge each
 * host as above. th (NULL: none) judges an answering address by its total
 * time; timeout_st is the -t state. out->hosts[i] belongs to a->records[i]
 * (a target "." gets a host with n_addrs 0 and state OK); a must outlive
 * out. Dies (UNKNOWN) on out of memory. */
void published_probe(const char *server, struct srv_answer *a, int family,
		     double deadline, const struct thresholds *th, state_t timeout_st,
		     struct published *out);

/* The long-output line of a host, the same in every plugin:
 *   "kms01.corp.example:1688 (10.0.0.11): answers KMS RPC in 1.2 ms"
 *   "kms02.corp.example:1688: 1 of 2 addresses does not answer:
 *    10.0.0.13 connection refused; 10.0.0.12 answers KMS RPC in 1.4 ms"
 *   "kms03.corp.example:1688: none of 2 addresses answers: ..."
 *   "kms04.corp.example:1688: all 2 addresses answer: ..."
 *   "kms05.corp.example:1688: name does not resolve (...)"
 * one "ADDRESS PHRASE" per address (rpc_probe_describe, with
 * " (outside -w 0.5 s)" when th judged it), the dead ones first, each
 * group in address order; then, when addresses were left out,
 * "; 4 more addresses not probed (at most 16 per name)". family
 * names the missing family when none of the addresses was of it. */
void published_line(const struct published_host *h, const struct thresholds *th,
		    int family, char *buf, size_t len);

/* The short form for line 1 of a host with dead addresses beside live ones:
 * "10.0.0.13 of kms02.corp.example does not answer", or
 * "2 of 3 addresses of kms02.corp.example do not answer". */
void published_headline(const struct published_host *h, char *buf, size_t len);

/* Addresses not probed in all of p: the sum of n_unprobed; *more (may be
 * NULL) when some host's count is a floor. */
size_t published_unprobed(const struct published *p, bool *more);

/* Line 1's words for n addresses left out by the cap ("probed" or another
 * verb: "listed"): "4 addresses beyond 16 per name not probed", short
 * "4 addresses not probed"; "at least 48 ..." when more. */
void published_unprobed_text(size_t n, bool more, const char *verb, bool short_form,
			     char *buf, size_t len);

/* Does the host answer at all (at least one address answered)? */
bool published_answers(const struct published_host *h);

/* Some addresses answer and some do not. */
bool published_degraded(const struct published_host *h);

void published_free(struct published *p);

/* ---- the verdict as values (no I/O). published_probe() judges with these;
 * tests/unit/test_published.c holds them to the rule at the top. ---- */

/* Seconds rounded to microseconds: all a timer this coarse can tell, and
 * the value both graphed and judged, so the two never disagree at a
 * threshold. NAN stays NAN. */
double published_usec(double s);

/* Judge h from the probe results in h->addrs[0..h->n_addrs) (h->rec set,
 * the addresses in the order they are shown): sets each address's answers
 * and st (th, NULL for none, on its published_usec(total_s) when it
 * answered; rpc_probe_state() with the -t state timeout_st when not),
 * h->n_dead, h->speaker and h->st by the rule at the top (h->n_unprobed and
 * h->unprobed_more read, as set). Target "." is OK with no speaker. */
void published_judge(struct published_host *h, const struct thresholds *th,
		     state_t timeout_st);

/* The state of h's line among the other published hosts when losing
 * redundancy -- a dead address beside live ones, a dead host beside live
 * hosts -- costs `loss` (what the caller's count of answering hosts says:
 * clients retry the next address and the next SRV record, so a loss is
 * only as bad as what is left). The -w/-c verdicts of its answering
 * addresses count whole (clients wait for them); h->st counts at most
 * loss. h->st itself when loss is CRITICAL. */
state_t published_share(const struct published_host *h, state_t loss);

/* " (outside -w 0.5 s)" (or -c) when th judged an answer st, "" when st is
 * OK or th is NULL: the words every plugin adds to an answer's phrase. */
void published_threshold_note(const struct thresholds *th, state_t st, char *buf,
			      size_t len);

#endif
