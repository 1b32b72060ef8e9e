/* test_published.c - unit tests of the verdict of a published KMS host
 * (common/published.c, the rule in published.h): from the probe results
 * of its addresses -- one live one dead, all dead, all timed out, timeouts
 * mixed with refusals, no address at all, target "." -- and the -w/-c
 * thresholds on the time exactly at a boundary and one microsecond past it,
 * addresses left out by the DNS layer's cap (at least WARNING, never
 * better than what was probed); then the share of a host among others
 * (published_share) for each loss, and the words of the cap. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "published.h"
#include "unit.h"

#define OK STATE_OK
#define WARN STATE_WARNING
#define CRIT STATE_CRITICAL
#define UNKN STATE_UNKNOWN
#define MAX_ADDRS 4

/* One probe as the verdict reads it. */
struct probe {
	enum rpc_outcome out;
	double total_s;
};

#define LIVE(t) { RPC_ACCEPTED, (t) }
#define REFUSED { RPC_CONNECT_FAILED, NAN }
#define TIMEOUT { RPC_TIMEOUT, NAN }
#define NOT_KMS(t) { RPC_REJECTED, (t) }

struct pcase {
	const char *name;
	const char *target;
	size_t n;
	struct probe a[MAX_ADDRS];
	bool th;                 /* -w 0.5 -c 1 */
	state_t timeout_st;      /* the -t state */
	state_t want;            /* h->st */
	size_t want_dead;
	int want_speaker;        /* index into a, -1 for none */
	state_t want_addr[MAX_ADDRS];
	state_t share_ok, share_warn; /* published_share with loss OK, WARNING */
	size_t unprobed;         /* addresses left out by the cap */
	bool unprobed_more;      /* ... and more, not counted */
};

static const struct pcase cases[] = {
	/* every address answers */
	{ "one live", "kms01", 1, { LIVE(0.01) }, true, CRIT, OK, 0, 0, { OK }, OK, OK, 0, false },
	{ "two live, the slowest speaks", "kms01", 2, { LIVE(0.01), LIVE(0.3) }, true, CRIT,
	  OK, 0, 1, { OK, OK }, OK, OK, 0, false },
	{ "no thresholds: any answer is OK", "kms01", 1, { LIVE(30.0) }, false, CRIT,
	  OK, 0, 0, { OK }, OK, OK, 0, false },

	/* -w 0.5 -c 1 on the time, endpoints inclusive, judged in microseconds */
	{ "time exactly at -w", "kms01", 1, { LIVE(0.5) }, true, CRIT, OK, 0, 0, { OK }, OK, OK, 0, false },
	{ "time one microsecond past -w", "kms01", 1, { LIVE(0.500001) }, true, CRIT,
	  WARN, 0, 0, { WARN }, WARN, WARN, 0, false },
	{ "time under half a microsecond past -w rounds to it", "kms01", 1, { LIVE(0.5000004) },
	  true, CRIT, OK, 0, 0, { OK }, OK, OK, 0, false },
	{ "time exactly at -c", "kms01", 1, { LIVE(1.0) }, true, CRIT, WARN, 0, 0, { WARN },
	  WARN, WARN, 0, false },
	{ "time one microsecond past -c", "kms01", 1, { LIVE(1.000001) }, true, CRIT,
	  CRIT, 0, 0, { CRIT }, CRIT, CRIT, 0, false },
	{ "the slow one of two live decides", "kms01", 2, { LIVE(0.2), LIVE(0.7) }, true, CRIT,
	  WARN, 0, 1, { OK, WARN }, WARN, WARN, 0, false },

	/* some dead beside live: degraded */
	{ "one live one dead", "kms01", 2, { LIVE(0.01), REFUSED }, true, CRIT,
	  WARN, 1, 0, { OK, CRIT }, OK, WARN, 0, false },
	{ "one live two dead", "kms01", 3, { REFUSED, LIVE(0.01), NOT_KMS(0.02) }, true, CRIT,
	  WARN, 2, 1, { CRIT, OK, CRIT }, OK, WARN, 0, false },
	{ "one live one timed out, -t OK", "kms01", 2, { LIVE(0.01), TIMEOUT }, true, OK,
	  WARN, 1, 0, { OK, OK }, OK, WARN, 0, false },
	{ "slow live past -c beside a dead one", "kms01", 2, { LIVE(1.5), REFUSED }, true, CRIT,
	  CRIT, 1, 0, { CRIT, CRIT }, CRIT, CRIT, 0, false },
	{ "slow live past -w beside a dead one", "kms01", 2, { LIVE(0.7), REFUSED }, true, CRIT,
	  WARN, 1, 0, { WARN, CRIT }, WARN, WARN, 0, false },

	/* no address answers: the worst of the probes */
	{ "one dead", "kms01", 1, { REFUSED }, true, CRIT, CRIT, 1, 0, { CRIT }, OK, WARN, 0, false },
	{ "all dead", "kms01", 3, { REFUSED, NOT_KMS(0.02), REFUSED }, true, CRIT,
	  CRIT, 3, 0, { CRIT, CRIT, CRIT }, OK, WARN, 0, false },
	{ "dead with a time past -c is judged by its failure", "kms01", 1, { NOT_KMS(5.0) },
	  true, WARN, CRIT, 1, 0, { CRIT }, OK, WARN, 0, false },
	{ "all timed out, -t CRITICAL", "kms01", 2, { TIMEOUT, TIMEOUT }, true, CRIT,
	  CRIT, 2, 0, { CRIT, CRIT }, OK, WARN, 0, false },
	{ "all timed out, -t WARNING", "kms01", 2, { TIMEOUT, TIMEOUT }, true, WARN,
	  WARN, 2, 0, { WARN, WARN }, OK, WARN, 0, false },
	{ "all timed out, -t UNKNOWN", "kms01", 1, { TIMEOUT }, true, UNKN,
	  UNKN, 1, 0, { UNKN }, OK, UNKN, 0, false },
	{ "all timed out, -t OK", "kms01", 1, { TIMEOUT }, true, OK, OK, 1, 0, { OK }, OK, OK, 0, false },
	{ "timed out and refused, -t WARNING", "kms01", 2, { TIMEOUT, REFUSED }, true, WARN,
	  CRIT, 2, 0, { WARN, CRIT }, OK, WARN, 0, false },
	{ "refused and timed out, -t OK", "kms01", 2, { REFUSED, TIMEOUT }, true, OK,
	  CRIT, 2, 0, { CRIT, OK }, OK, WARN, 0, false },

	/* no address at all */
	{ "no address (does not resolve)", "kms01", 0, { { 0 } }, true, CRIT,
	  CRIT, 0, -1, { OK }, OK, WARN, 0, false },
	{ "no address, -t WARNING does not soften it", "kms01", 0, { { 0 } }, true, WARN,
	  CRIT, 0, -1, { OK }, OK, WARN, 0, false },
	{ "target \".\": no service, nothing to probe", ".", 0, { { 0 } }, true, CRIT,
	  OK, 0, -1, { OK }, OK, OK, 0, false },

	/* addresses left out by the cap (DNS_MAX_ADDRS per name): the check
	 * cannot vouch for them, so at least WARNING; what was probed still
	 * counts whole when worse */
	{ "live, 4 left out", "kms01", 1, { LIVE(0.01) }, true, CRIT,
	  WARN, 0, 0, { OK }, OK, WARN, 4, false },
	{ "live, 1 left out", "kms01", 2, { LIVE(0.01), LIVE(0.02) }, true, CRIT,
	  WARN, 0, 1, { OK, OK }, OK, WARN, 1, false },
	{ "live, a floor of drops only", "kms01", 1, { LIVE(0.01) }, true, CRIT,
	  WARN, 0, 0, { OK }, OK, WARN, 0, true },
	{ "one live one dead, 4 left out", "kms01", 2, { LIVE(0.01), REFUSED }, true, CRIT,
	  WARN, 1, 0, { OK, CRIT }, OK, WARN, 4, false },
	{ "live past -w, 4 left out", "kms01", 1, { LIVE(0.7) }, true, CRIT,
	  WARN, 0, 0, { WARN }, WARN, WARN, 4, false },
	{ "live past -c, 4 left out: the time decides", "kms01", 1, { LIVE(1.5) }, true, CRIT,
	  CRIT, 0, 0, { CRIT }, CRIT, CRIT, 4, false },
	{ "all dead, 4 left out", "kms01", 2, { REFUSED, REFUSED }, true, CRIT,
	  CRIT, 2, 0, { CRIT, CRIT }, OK, WARN, 4, false },
	{ "all timed out, -t OK, 4 left out", "kms01", 1, { TIMEOUT }, true, OK,
	  WARN, 1, 0, { OK }, OK, WARN, 4, false },
	{ "all timed out, -t UNKNOWN, 4 left out (WARNING ranks over UNKNOWN)", "kms01", 1,
	  { TIMEOUT }, true, UNKN, WARN, 1, 0, { UNKN }, OK, WARN, 4, false },
	{ "none of the family probed, 4 of it left out", "kms01", 0, { { 0 } }, true, CRIT,
	  CRIT, 0, -1, { OK }, OK, WARN, 4, false },
};

/* h over the probes of k, as published_probe() hands it to the verdict. */
static void host_of(const struct pcase *k, struct srv_record *rec,
		    struct published_addr *addrs, struct published_host *h)
{
	memset(rec, 0, sizeof *rec);
	snprintf(rec->target, sizeof rec->target, "%s", k->target);
	rec->port = 1688;
	memset(addrs, 0, MAX_ADDRS * sizeof *addrs);
	for (size_t j = 0; j < k->n; j++) {
		snprintf(rec->addrs[j], sizeof rec->addrs[j], "10.0.0.%zu", j + 1);
		addrs[j].addr = rec->addrs[j];
		addrs[j].probe.outcome = k->a[j].out;
		addrs[j].probe.total_s = k->a[j].total_s;
		addrs[j].probe.connect_s = k->a[j].total_s;
		addrs[j].probe.bind_s = NAN;
		/* what the verdict must overwrite */
		addrs[j].answers = k->a[j].out != RPC_ACCEPTED;
		addrs[j].st = STATE_UNKNOWN;
	}
	rec->n_addrs = k->n;
	memset(h, 0, sizeof *h);
	h->rec = rec;
	h->addrs = k->n ? addrs : NULL;
	h->n_addrs = k->n;
	h->n_dead = 99;
	h->st = STATE_UNKNOWN;
	h->resolve_failed = k->n == 0 && strcmp(k->target, ".") != 0 && k->unprobed == 0;
	h->n_unprobed = k->unprobed;
	h->unprobed_more = k->unprobed_more;
}

static struct thresholds th_of(void)
{
	struct thresholds th;
	char err[KMS_ERRLEN];
	ck_assert(thresholds_parse(&th, "0.5", "1", 0, err));
	return th;
}

START_TEST(verdict)
{
	const struct pcase *k = &cases[_i];
	struct srv_record rec;
	struct published_addr addrs[MAX_ADDRS];
	struct published_host h;
	struct thresholds th = th_of();
	host_of(k, &rec, addrs, &h);

	published_judge(&h, k->th ? &th : NULL, k->timeout_st);
	ck_assert_msg(h.st == k->want, "%s: state %s, want %s", k->name, state_name(h.st),
		      state_name(k->want));
	ck_assert_msg(h.n_dead == k->want_dead, "%s: %zu dead, want %zu", k->name, h.n_dead,
		      k->want_dead);
	const struct published_addr *want_sp = k->want_speaker < 0 ? NULL : &addrs[k->want_speaker];
	ck_assert_msg(h.speaker == want_sp, "%s: speaker %td, want %d", k->name,
		      h.speaker ? h.speaker - addrs : -1, k->want_speaker);
	for (size_t j = 0; j < k->n; j++) {
		ck_assert_msg(addrs[j].st == k->want_addr[j], "%s: address %zu %s, want %s",
			      k->name, j, state_name(addrs[j].st), state_name(k->want_addr[j]));
		ck_assert_msg(addrs[j].answers == (k->a[j].out == RPC_ACCEPTED),
			      "%s: address %zu answers", k->name, j);
	}
	ck_assert_msg(published_answers(&h) == (k->n > k->want_dead), "%s: answers", k->name);
	ck_assert_msg(published_degraded(&h) == (k->want_dead > 0 && k->want_dead < k->n),
		      "%s: degraded", k->name);

	state_t s_ok = published_share(&h, STATE_OK);
	state_t s_warn = published_share(&h, STATE_WARNING);
	ck_assert_msg(s_ok == k->share_ok, "%s: share at loss OK %s, want %s", k->name,
		      state_name(s_ok), state_name(k->share_ok));
	ck_assert_msg(s_warn == k->share_warn, "%s: share at loss WARNING %s, want %s",
		      k->name, state_name(s_warn), state_name(k->share_warn));
	/* when losing it is critical, a host counts as its own verdict */
	ck_assert_msg(published_share(&h, STATE_CRITICAL) == h.st, "%s: share at CRITICAL",
		      k->name);
}
END_TEST

/* Judging twice gives the same verdict: nothing accumulates. */
START_TEST(judge_is_idempotent)
{
	struct srv_record rec;
	struct published_addr addrs[MAX_ADDRS];
	struct published_host h;
	struct thresholds th = th_of();
	const struct pcase *k = NULL;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(cases[i].name, "one live two dead") == 0)
			k = &cases[i];
	ck_assert_ptr_nonnull(k);
	host_of(k, &rec, addrs, &h);
	published_judge(&h, &th, STATE_CRITICAL);
	published_judge(&h, &th, STATE_CRITICAL);
	ck_assert_uint_eq(h.n_dead, 2);
	ck_assert_int_eq(h.st, STATE_WARNING);
}
END_TEST

START_TEST(usec_rounding)
{
	ck_assert(published_usec(0.5) == 0.5);
	ck_assert(published_usec(0.5000004) == 0.5);
	ck_assert(published_usec(0.5000006) == 0.500001);
	ck_assert(published_usec(0) == 0);
	ck_assert(isnan(published_usec(NAN)));
}
END_TEST

START_TEST(threshold_note)
{
	struct thresholds th = th_of();
	char buf[64];
	published_threshold_note(&th, STATE_WARNING, buf, sizeof buf);
	ck_assert_str_eq(buf, " (outside -w 0.5 s)");
	published_threshold_note(&th, STATE_CRITICAL, buf, sizeof buf);
	ck_assert_str_eq(buf, " (outside -c 1 s)");
	published_threshold_note(&th, STATE_OK, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	published_threshold_note(NULL, STATE_CRITICAL, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* The host line ends with what was left out; line 1's words. */
START_TEST(unprobed_words)
{
	struct srv_record rec;
	struct published_addr addrs[MAX_ADDRS];
	struct published_host h;
	static const struct pcase two = { "two live", "kms01.corp.example", 2,
					  { LIVE(0.0012), LIVE(0.0014) }, false, CRIT, OK, 0, 1,
					  { OK, OK }, OK, OK, 4, false };
	host_of(&two, &rec, addrs, &h);
	published_judge(&h, NULL, STATE_CRITICAL);
	ck_assert_int_eq(h.st, STATE_WARNING);
	char line[1024];
	published_line(&h, NULL, AF_UNSPEC, line, sizeof line);
	ck_assert_str_eq(line, "kms01.corp.example:1688: all 2 addresses answer: "
			 "10.0.0.1 answers KMS RPC in 1.2 ms; 10.0.0.2 answers KMS RPC in 1.4 ms; "
			 "4 more addresses not probed (at most 16 per name)");
	h.n_unprobed = 1;
	published_line(&h, NULL, AF_UNSPEC, line, sizeof line);
	ck_assert_ptr_nonnull(strstr(line, "; 1 more address not probed (at most 16 per name)"));
	h.n_unprobed = 48;
	h.unprobed_more = true;
	published_line(&h, NULL, AF_UNSPEC, line, sizeof line);
	ck_assert_ptr_nonnull(strstr(line, "; at least 48 more addresses not probed (at most 16 per name)"));
	h.n_unprobed = 0;
	h.unprobed_more = false;
	published_line(&h, NULL, AF_UNSPEC, line, sizeof line);
	ck_assert_ptr_null(strstr(line, "not probed"));

	char buf[128];
	published_unprobed_text(4, false, "probed", false, buf, sizeof buf);
	ck_assert_str_eq(buf, "4 addresses beyond 16 per name not probed");
	published_unprobed_text(4, false, "probed", true, buf, sizeof buf);
	ck_assert_str_eq(buf, "4 addresses not probed");
	published_unprobed_text(1, false, "listed", false, buf, sizeof buf);
	ck_assert_str_eq(buf, "1 address beyond 16 per name not listed");
	published_unprobed_text(48, true, "probed", false, buf, sizeof buf);
	ck_assert_str_eq(buf, "at least 48 addresses beyond 16 per name not probed");

	/* the sum over the hosts, and whether it is a floor */
	struct published_host hs[2] = { h, h };
	hs[0].n_unprobed = 4;
	hs[1].n_unprobed = 2;
	struct published p = { hs, 2, NULL };
	bool more = true;
	ck_assert_uint_eq(published_unprobed(&p, &more), 6);
	ck_assert(!more);
	hs[1].unprobed_more = true;
	ck_assert_uint_eq(published_unprobed(&p, &more), 6);
	ck_assert(more);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("published");
	TCase *tc = tcase_create("verdict");
	tcase_add_loop_test(tc, verdict, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, judge_is_idempotent);
	tcase_add_test(tc, usec_rounding);
	tcase_add_test(tc, threshold_note);
	tcase_add_test(tc, unprobed_words);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
