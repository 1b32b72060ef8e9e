/* check_kms_clients - who the KMS count is made of: machines cloned without
 * `sysprep /generalize` that share one client machine ID (CMID), so that the
 * count sees one of them; clients whose names are under none of the
 * organisation's domains; and bursts of new CMIDs (a rollout, or something
 * charging the count with made-up requests).
 *
 * Owns: the duplicate rule (a CMID whose names_seen holds two or more names
 * that each requested within --window: clones; a name that stopped before
 * the window is a rename, not a clone), the foreign-name rule (--domain),
 * the burst rule (CMIDs first seen within 24 h against --burst), and the
 * table of CMIDs that rules need, keyed by CMID.
 *
 * Memory: no list of all clients. With one document, a record enters the
 * CMID table only when its names_seen holds two or more names within the
 * longest window (the clone and rename candidates) or it was first seen
 * within 24 h (a burst candidate); within one document a shared CMID always
 * shows as such a record, since every record of a CMID lists every name that
 * sent it. In a fleet (-u more than once) a clone may request one KMS host
 * and its twin another, each record holding one name, so every record with
 * a name in the window enters the table (about 150 bytes per CMID), merged
 * by CMID across the hosts. Foreign names are kept once each (their own
 * table), as they are listed.
 *
 * Which host decides: every name kept carries the host it came from, and a
 * host that is not usable (fleet.h) decides nothing: its names are left out
 * when the tables are judged. A machine is a name (any case): one that holds
 * several products, so several records and CMIDs, counts once.
 *
 * The result (docs/DESIGN.md, "The result model"): up to three top-level
 * subchecks, in perfdata order. Duplicates: judged by machines_sharing
 * against -w/-c, its children one per shared CMID (largest first, each
 * judged by its own machine count capped at the parent's verdict, so no line
 * reads worse than the check). Foreign (with --domain): judged by foreign
 * against --foreign-warning/--foreign-critical. Bursts: judged by new_24h
 * against --burst. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "doc.h"
#include "fleet.h"
#include "options.h"
#include "output.h"
#include "range.h"
#include "result.h"
#include "text.h"
#include "timeutil.h"
#include "xalloc.h"

#define DAY_S 86400.0
#define BURST_S DAY_S                      /* "new": first seen within 24 h */
#define COUNT_MEMORY_S (30 * DAY_S)        /* a KMS host counts requests of 30 days */
#define DEFAULT_RENEWAL_S (7 * DAY_S)      /* Windows' default renewal interval */
#define WINDOW_SLACK_S (2 * DAY_S)         /* --window default: renewal + 2 days */
/* The longest window a host can ask for: KMS limits the renewal interval to
 * 43200 minutes. Records are kept by this bound while loading, since a
 * document may list its clients before its host block. */
#define MAX_WINDOW_S (43200 * 60.0 + WINDOW_SLACK_S)
#define MAX_DOMAINS 16
#define NAMES_LISTED 16                    /* names on one group's line */
#define FOREIGN_LISTED 10
#define BURST_LISTED 5
#define DEFAULT_BURST 50

enum { OPT_WINDOW = 256, OPT_DOMAIN, OPT_FOREIGN_WARNING, OPT_FOREIGN_CRITICAL, OPT_BURST };

struct config {
	double window_s;                   /* --window; 0: each host's renewal + 2 d */
	const char *domains[MAX_DOMAINS];  /* --domain, without a leading '.' */
	size_t n_domains;
	const char *foreign_warning, *foreign_critical;
	long long burst;
};

/* ---- the tables ------------------------------------------------------------ */

/* An open-addressing index from a 64-bit key hash to an entry number; the
 * caller compares the keys themselves. */
struct index {
	struct slot {
		uint64_t hash;
		uint32_t entry_plus1; /* 0: empty */
	} *slots;
	size_t cap, n;
};

static uint64_t fnv1a(const void *data, size_t n, bool fold_case)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = p[i];
		if (fold_case && ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch + 32);
		h = (h ^ ch) * 0x100000001b3ULL;
	}
	return h;
}

typedef bool (*key_eq_fn)(const void *tables, uint32_t entry, const void *key);

/* The entry holding key (hash h), or -1 with *slot_out the empty slot where
 * it goes. Grows the index first so that it stays at most half full. */
static long index_find(struct index *ix, uint64_t h, key_eq_fn eq, const void *tables,
		       const void *key, struct slot **slot_out)
{
	if (2 * (ix->n + 1) > ix->cap) {
		size_t ncap = ix->cap ? 2 * ix->cap : 1024;
		struct slot *ns = xrealloc(NULL, ncap * sizeof *ns);
		memset(ns, 0, ncap * sizeof *ns);
		for (size_t i = 0; i < ix->cap; i++) {
			if (!ix->slots[i].entry_plus1)
				continue;
			size_t j = (size_t)ix->slots[i].hash & (ncap - 1);
			while (ns[j].entry_plus1)
				j = (j + 1) & (ncap - 1);
			ns[j] = ix->slots[i];
		}
		free(ix->slots);
		ix->slots = ns;
		ix->cap = ncap;
	}
	size_t j = (size_t)h & (ix->cap - 1);
	while (ix->slots[j].entry_plus1) {
		struct slot *s = &ix->slots[j];
		if (s->hash == h && eq(tables, s->entry_plus1 - 1, key))
			return (long)(s->entry_plus1 - 1);
		j = (j + 1) & (ix->cap - 1);
	}
	*slot_out = &ix->slots[j];
	return -1;
}

static void index_put(struct index *ix, struct slot *s, uint64_t h, uint32_t entry)
{
	s->hash = h;
	s->entry_plus1 = entry + 1;
	ix->n++;
}

/* One name a CMID was sent by, as one host's record has it. */
struct seen {
	char *name;
	double last;              /* last request, Unix seconds */
	uint8_t host;
};

/* One CMID: the names within the longest window, and its first sighting. */
struct cmid_entry {
	uint8_t cmid[16];
	double first_seen;        /* earliest of its records kept; NAN unknown */
	uint8_t first_host;       /* the host of that record */
	char *first_name;         /* its name when first seen within 24 h */
	struct seen *names;
	uint32_t n_names, cap_names;
};

/* One foreign name and the hosts whose records hold it. */
struct foreign {
	char *name;
	uint16_t hosts;
};

struct tables {
	struct index cmid_ix;
	struct cmid_entry *cmids;
	size_t n_cmids, cap_cmids;
	struct index foreign_ix;
	struct foreign *foreign;
	size_t n_foreign, cap_foreign;
};

static bool cmid_eq(const void *t, uint32_t e, const void *key)
{
	return memcmp(((const struct tables *)t)->cmids[e].cmid, key, 16) == 0;
}

static bool foreign_eq(const void *t, uint32_t e, const void *key)
{
	return strcasecmp(((const struct tables *)t)->foreign[e].name, key) == 0;
}

static struct cmid_entry *cmid_entry(struct tables *t, const uint8_t cmid[16])
{
	uint64_t h = fnv1a(cmid, 16, false);
	struct slot *s;
	long e = index_find(&t->cmid_ix, h, cmid_eq, t, cmid, &s);
	if (e >= 0)
		return &t->cmids[e];
	t->cmids = xgrow(t->cmids, &t->cap_cmids, t->n_cmids, sizeof *t->cmids);
	struct cmid_entry *ce = &t->cmids[t->n_cmids];
	memset(ce, 0, sizeof *ce);
	memcpy(ce->cmid, cmid, 16);
	ce->first_seen = NAN;
	index_put(&t->cmid_ix, s, h, (uint32_t)t->n_cmids++);
	return ce;
}

/* Add name (last request last, from host) to ce; the same name from the same
 * host once, with its latest request. */
static void cmid_add_name(struct cmid_entry *ce, const char *name, double last, uint8_t host)
{
	for (uint32_t i = 0; i < ce->n_names; i++) {
		struct seen *s = &ce->names[i];
		if (s->host == host && strcasecmp(s->name, name) == 0) {
			if (last > s->last)
				s->last = last;
			return;
		}
	}
	size_t cap = ce->cap_names;
	ce->names = xgrow(ce->names, &cap, ce->n_names, sizeof *ce->names);
	ce->cap_names = (uint32_t)cap;
	ce->names[ce->n_names++] = (struct seen){ .name = xstrdup(name), .last = last, .host = host };
}

static void foreign_add(struct tables *t, const char *name, uint8_t host)
{
	uint64_t h = fnv1a(name, strlen(name), true);
	struct slot *s;
	long e = index_find(&t->foreign_ix, h, foreign_eq, t, name, &s);
	if (e < 0) {
		t->foreign = xgrow(t->foreign, &t->cap_foreign, t->n_foreign, sizeof *t->foreign);
		t->foreign[t->n_foreign] = (struct foreign){ .name = xstrdup(name), .hosts = 0 };
		e = (long)t->n_foreign;
		index_put(&t->foreign_ix, s, h, (uint32_t)t->n_foreign++);
	}
	t->foreign[e].hosts |= (uint16_t)(1u << host);
}

static void tables_free(struct tables *t)
{
	for (size_t i = 0; i < t->n_cmids; i++) {
		for (uint32_t k = 0; k < t->cmids[i].n_names; k++)
			free(t->cmids[i].names[k].name);
		free(t->cmids[i].names);
		free(t->cmids[i].first_name);
	}
	free(t->cmids);
	free(t->cmid_ix.slots);
	for (size_t i = 0; i < t->n_foreign; i++)
		free(t->foreign[i].name);
	free(t->foreign);
	free(t->foreign_ix.slots);
}

/* ---- gather ---------------------------------------------------------------- */

struct gather {
	const struct config *cfg;
	double now;
	double keep_s;            /* names kept while loading: within this of now */
	bool fleet;               /* keep every record with a name in the window */
	struct tables t;
};

/* What one document's callback needs, and what it counted. */
struct host_ctx {
	struct gather *g;
	uint8_t host;
	size_t records, with_names;
};

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* The loader's lower-case 8-4-4-4-12 CMID text as 16 bytes. */
static bool cmid_bytes(const char *text, uint8_t out[16])
{
	size_t k = 0;
	for (const char *p = text; *p && k < 16; p++) {
		if (*p == '-')
			continue;
		int hi = hexval(p[0]), lo = p[1] ? hexval(p[1]) : -1;
		if (hi < 0 || lo < 0)
			return false;
		out[k++] = (uint8_t)(hi << 4 | lo);
		p++;
	}
	return k == 16;
}

/* Is name under one of the --domain suffixes? A name without a dot has no
 * domain and is under none; a trailing dot (absolute name) is ignored. */
static bool under_domains(const struct config *cfg, const char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	if (!memchr(name, '.', n))
		return false;
	for (size_t i = 0; i < cfg->n_domains; i++) {
		const char *d = cfg->domains[i];
		size_t dn = strlen(d);
		if (n == dn && strncasecmp(name, d, n) == 0)
			return true;
		if (n > dn && name[n - dn - 1] == '.' && strncasecmp(name + n - dn, d, dn) == 0)
			return true;
	}
	return false;
}

/* A time within span before now (or after it: clocks differ). */
static bool within(double now, double t, double span)
{
	return !isnan(t) && now - t <= span;
}

/* The loader names a record without a name by its CMID or "client #N": not a
 * name to judge. */
static bool has_real_name(const struct doc_client *c)
{
	if (c->cmid && strcmp(c->name, c->cmid) == 0)
		return false;
	return c->cmid || strncmp(c->name, "client #", 8) != 0;
}

static void gather_foreign(struct host_ctx *hc, const struct doc_client *c)
{
	struct gather *g = hc->g;
	if (c->has_names_seen) {
		for (size_t i = 0; i < c->n_names_seen; i++) {
			const struct doc_name_seen *ns = &c->names_seen[i];
			double t = isnan(ns->last_request_at) ? c->last_request_at : ns->last_request_at;
			if (within(g->now, t, COUNT_MEMORY_S) && !under_domains(g->cfg, ns->name))
				foreign_add(&g->t, ns->name, hc->host);
		}
	} else if (has_real_name(c) && within(g->now, c->last_request_at, COUNT_MEMORY_S) &&
		   !under_domains(g->cfg, c->name)) {
		foreign_add(&g->t, c->name, hc->host);
	}
}

/* The doc_load callback: the record's clone candidates, burst candidate and
 * foreign names. */
static bool on_client(const struct doc_client *c, void *ctx, char err[KMS_ERRLEN])
{
	struct host_ctx *hc = ctx;
	struct gather *g = hc->g;
	(void)err;
	hc->records++;
	if (c->has_names_seen)
		hc->with_names++;
	if (g->cfg->n_domains)
		gather_foreign(hc, c);

	uint8_t cmid[16];
	if (!c->cmid || !cmid_bytes(c->cmid, cmid))
		return true;
	size_t candidates = 0;
	for (size_t i = 0; i < c->n_names_seen; i++)
		if (within(g->now, c->names_seen[i].last_request_at, g->keep_s))
			candidates++;
	bool is_new = within(g->now, c->first_seen_at, BURST_S);
	bool keep_names = candidates >= 2 || (g->fleet && candidates >= 1);
	/* in a fleet every CMID's first sighting counts: a client that moved
	 * hosts is not new */
	bool keep_first = is_new || (g->fleet && keep_names);
	if (!keep_names && !keep_first)
		return true;

	struct cmid_entry *ce = cmid_entry(&g->t, cmid);
	if (!isnan(c->first_seen_at) && (isnan(ce->first_seen) || c->first_seen_at < ce->first_seen)) {
		ce->first_seen = c->first_seen_at;
		ce->first_host = hc->host;
		free(ce->first_name);
		ce->first_name = is_new ? xstrdup(c->name) : NULL;
	}
	if (keep_names)
		for (size_t i = 0; i < c->n_names_seen; i++) {
			const struct doc_name_seen *ns = &c->names_seen[i];
			if (within(g->now, ns->last_request_at, g->keep_s))
				cmid_add_name(ce, ns->name, ns->last_request_at, hc->host);
		}
	return true;
}

/* ---- evaluate ---------------------------------------------------------------- */

/* What the hosts tell once loaded. */
struct hosts {
	size_t n;
	uint16_t usable;          /* bit per host whose records decide */
	double window_s[OPTS_MAX_URLS];
	const char *name[OPTS_MAX_URLS]; /* fleet names; NULL with one document */
	size_t records;           /* of the usable hosts */
	size_t with_names;
};

static bool usable(const struct hosts *h, uint8_t host)
{
	return (h->usable >> host) & 1u;
}

/* One CMID shared by clones: its distinct names within the window, latest
 * request first. */
struct shared {
	const struct cmid_entry *ce;
	struct seen *active;      /* n_active, owned */
	size_t n_active;
};

static int seen_by_name_then_latest(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int r = strcasecmp(x->name, y->name);
	if (r)
		return r;
	return (x->last < y->last) - (x->last > y->last);
}

static int seen_by_latest(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int r = (x->last < y->last) - (x->last > y->last);
	return r ? r : strcasecmp(x->name, y->name);
}

static int shared_largest_first(const void *a, const void *b)
{
	const struct shared *x = a, *y = b;
	if (x->n_active != y->n_active)
		return x->n_active < y->n_active ? 1 : -1;
	return memcmp(x->ce->cmid, y->ce->cmid, 16);
}

static int names_ci(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* The names of ce that decide: from usable hosts, within their host's
 * window, each name once (its latest request). Returns how many. */
static size_t active_names(const struct cmid_entry *ce, const struct hosts *h, double now,
			   struct seen **out)
{
	struct seen *v = xrealloc(NULL, (ce->n_names ? ce->n_names : 1) * sizeof *v);
	size_t n = 0;
	for (uint32_t i = 0; i < ce->n_names; i++) {
		const struct seen *s = &ce->names[i];
		if (usable(h, s->host) && within(now, s->last, h->window_s[s->host]))
			v[n++] = *s;
	}
	qsort(v, n, sizeof *v, seen_by_name_then_latest);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || strcasecmp(v[k - 1].name, v[i].name) != 0)
			v[k++] = v[i];
	qsort(v, k, sizeof *v, seen_by_latest);
	*out = v;
	return k;
}

static void cmid_text(const uint8_t b[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[b[i] >> 4];
		out[k++] = hex[b[i] & 15];
	}
	out[k] = '\0';
}

/* "within 9 d", or the hosts' own windows when they differ. */
static void window_phrase(const struct hosts *h, char *buf, size_t len)
{
	double w = NAN;
	bool same = true;
	for (size_t i = 0; i < h->n; i++) {
		if (!usable(h, (uint8_t)i))
			continue;
		if (isnan(w))
			w = h->window_s[i];
		else if (h->window_s[i] != w)
			same = false;
	}
	char d[32];
	if (same)
		snprintf(buf, len, "within %s", fmt_duration(d, sizeof d, isnan(w) ? 0 : w));
	else
		snprintf(buf, len, "within each host's renewal interval + 2 d");
}

/* One shared CMID's line: "CMID 9e32...: 12 machines within 9 d:
 * vdi01.corp.example (2026-11-25 13:44 UTC), ...". */
static void add_group(struct subcheck *parent, const struct shared *s, const struct hosts *h,
		      const struct thresholds *th, state_t parent_state, const char *win)
{
	char id[37], when[32], line[4096];
	cmid_text(s->ce->cmid, id);
	snprintf(line, sizeof line, "CMID %s: %zu machines %s:", id, s->n_active, win);
	for (size_t i = 0; i < s->n_active && i < NAMES_LISTED; i++) {
		const struct seen *n = &s->active[i];
		fmt_utc(when, sizeof when, n->last, "%Y-%m-%d %H:%M UTC");
		if (h->name[n->host])
			text_append(line, sizeof line, "%s %s (%s, %s)", i ? "," : "", n->name,
				    h->name[n->host], when);
		else
			text_append(line, sizeof line, "%s %s (%s)", i ? "," : "", n->name, when);
	}
	if (s->n_active > NAMES_LISTED)
		text_append(line, sizeof line, " and %zu more", s->n_active - NAMES_LISTED);
	struct subcheck *sc = subcheck_add(parent, "%s", line);
	state_t st = thresholds_check(th, (double)s->n_active);
	if (state_rank(st) > state_rank(parent_state))
		st = parent_state;
	subcheck_set_state(sc, st);
}

static void add_counts(struct subcheck *sc, const struct hosts *h, size_t cmids,
		       size_t machines, const struct thresholds *th)
{
	struct metric m = METRIC("clients", (double)h->records);
	m.min = 0;
	subcheck_metric(sc, m);
	m = METRIC("cmids_shared", (double)cmids);
	m.min = 0;
	subcheck_metric(sc, m);
	m = METRIC("machines_sharing", (double)machines);
	m.th = th;
	m.min = 0;
	subcheck_metric(sc, m);
}

/* Duplicates: the shared CMIDs, largest first; the number of machines
 * (distinct names over every shared CMID) judged. Returns that number. */
static size_t evaluate_duplicates(struct check *c, struct gather *g, const struct hosts *h,
				  const struct thresholds *th)
{
	if (h->records > 0 && h->with_names == 0) {
		struct subcheck *sc = check_add(c, "duplicates not judged: no client record "
						"carries names_seen");
		struct metric m = METRIC("clients", (double)h->records);
		m.min = 0;
		subcheck_metric(sc, m);
		check_note(c, "The exporter does not report names per CMID (names_seen): upgrade "
			   "it (kms-status-exporter 1.2 or later) to find cloned machines");
		return 0;
	}
	struct shared *sh = NULL;
	size_t n_sh = 0, cap_sh = 0, n_names = 0;
	for (size_t i = 0; i < g->t.n_cmids; i++) {
		struct seen *active;
		size_t n = active_names(&g->t.cmids[i], h, g->now, &active);
		if (n < 2) {
			free(active);
			continue;
		}
		sh = xgrow(sh, &cap_sh, n_sh, sizeof *sh);
		sh[n_sh++] = (struct shared){ .ce = &g->t.cmids[i], .active = active, .n_active = n };
		n_names += n;
	}
	if (n_sh) /* sh is NULL when nothing is shared */
		qsort(sh, n_sh, sizeof *sh, shared_largest_first);

	/* a machine with several CMIDs (Office 2010 has its own) counts once */
	char **all = xrealloc(NULL, (n_names ? n_names : 1) * sizeof *all);
	size_t k = 0, machines = 0;
	for (size_t i = 0; i < n_sh; i++)
		for (size_t j = 0; j < sh[i].n_active; j++)
			all[k++] = sh[i].active[j].name;
	qsort(all, k, sizeof *all, names_ci);
	for (size_t i = 0; i < k; i++)
		if (i == 0 || strcasecmp(all[i - 1], all[i]) != 0)
			machines++;
	free(all);

	char win[96];
	window_phrase(h, win, sizeof win);
	struct subcheck *sc;
	if (n_sh == 0) {
		sc = check_add(c, "no CMID is shared: no two names sent one CMID %s", win);
	} else {
		sc = check_add(c, "%zu machine%s share%s %zu CMID%s (cloned without sysprep "
			       "/generalize): the count sees %zu of them", machines,
			       machines == 1 ? "" : "s", machines == 1 ? "s" : "", n_sh,
			       n_sh == 1 ? "" : "s", n_sh);
	}
	add_counts(sc, h, n_sh, machines, th);
	state_t verdict = thresholds_check(th, (double)machines);
	for (size_t i = 0; i < n_sh; i++)
		add_group(sc, &sh[i], h, th, verdict, win);
	if (n_sh)
		check_note(c, "Fix: run `slmgr /rearm` on each clone and restart, or rebuild the "
			   "image with `sysprep /generalize`");
	for (size_t i = 0; i < n_sh; i++)
		free(sh[i].active);
	free(sh);
	return machines;
}

/* Foreign: names under none of the --domain suffixes, judged by their
 * number. Returns it. */
static size_t evaluate_foreign(struct check *c, const struct gather *g, const struct hosts *h,
			       const struct thresholds *th)
{
	const struct config *cfg = g->cfg;
	char doms[512] = "";
	for (size_t i = 0; i < cfg->n_domains; i++)
		text_append(doms, sizeof doms, "%s%s", i ? ", " : "", cfg->domains[i]);
	const char **names = xrealloc(NULL, (g->t.n_foreign ? g->t.n_foreign : 1) * sizeof *names);
	size_t n = 0;
	for (size_t i = 0; i < g->t.n_foreign; i++)
		if (g->t.foreign[i].hosts & h->usable)
			names[n++] = g->t.foreign[i].name;
	qsort(names, n, sizeof *names, names_ci);

	struct subcheck *sc;
	if (n == 0) {
		sc = check_add(c, "no foreign client: every name seen within 30 d is under %s", doms);
	} else {
		char list[2048] = "";
		for (size_t i = 0; i < n && i < FOREIGN_LISTED; i++)
			text_append(list, sizeof list, "%s%s", i ? ", " : "", names[i]);
		if (n > FOREIGN_LISTED)
			text_append(list, sizeof list, " and %zu more", n - FOREIGN_LISTED);
		sc = check_add(c, "%zu foreign client%s (not under %s): %s", n, n == 1 ? "" : "s",
			       doms, list);
		subcheck_headline(sc, "%zu foreign client%s (not under %s)", n, n == 1 ? "" : "s",
				  doms);
	}
	struct metric m = METRIC("foreign", (double)n);
	m.th = th;
	m.min = 0;
	subcheck_metric(sc, m);
	free(names);
	return n;
}

struct newcomer {
	double first_seen;
	const char *name;
};

static int newcomer_earliest(const void *a, const void *b)
{
	const struct newcomer *x = a, *y = b;
	int r = (x->first_seen > y->first_seen) - (x->first_seen < y->first_seen);
	return r ? r : strcasecmp(x->name, y->name);
}

/* Bursts: CMIDs first seen within 24 h (their earliest sighting on a
 * usable host), judged against --burst. Returns how many. */
static size_t evaluate_burst(struct check *c, const struct gather *g, const struct hosts *h,
			     const struct thresholds *th)
{
	struct newcomer *v = xrealloc(NULL, (g->t.n_cmids ? g->t.n_cmids : 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < g->t.n_cmids; i++) {
		const struct cmid_entry *ce = &g->t.cmids[i];
		if (ce->first_name && usable(h, ce->first_host) &&
		    within(g->now, ce->first_seen, BURST_S))
			v[n++] = (struct newcomer){ ce->first_seen, ce->first_name };
	}
	qsort(v, n, sizeof *v, newcomer_earliest);
	char since[32];
	fmt_utc(since, sizeof since, g->now - BURST_S, "%Y-%m-%d %H:%M UTC");
	struct metric m = METRIC("new_24h", (double)n);
	m.th = th;
	m.min = 0;
	struct subcheck *sc;
	if (thresholds_check(th, (double)n) == STATE_OK) {
		sc = check_add(c, "%zu new client%s since %s", n, n == 1 ? "" : "s", since);
	} else {
		char list[1024] = "", when[32];
		for (size_t i = 0; i < n && i < BURST_LISTED; i++)
			text_append(list, sizeof list, "%s%s (%s)", i ? ", " : "", v[i].name,
				    fmt_utc(when, sizeof when, v[i].first_seen, "%Y-%m-%d %H:%M UTC"));
		if (n > BURST_LISTED)
			text_append(list, sizeof list, " and %zu more", n - BURST_LISTED);
		sc = check_add(c, "%zu new client%s since %s: a rollout, or something charging "
			       "the count? First seen: %s", n, n == 1 ? "" : "s", since, list);
		subcheck_headline(sc, "%zu new client%s since %s: a rollout, or something "
				  "charging the count?", n, n == 1 ? "" : "s", since);
	}
	subcheck_metric(sc, m);
	free(v);
	return n;
}

static void evaluate(struct check *c, struct gather *g, const struct hosts *h,
		     const struct thresholds *dup_th, const struct thresholds *foreign_th,
		     const struct thresholds *burst_th)
{
	size_t machines = evaluate_duplicates(c, g, h, dup_th);
	char ok[256];
	snprintf(ok, sizeof ok, "%zu client%s", h->records, h->records == 1 ? "" : "s");
	if (h->with_names == 0 && h->records > 0)
		text_append(ok, sizeof ok, ", duplicates not judged (no names_seen)");
	else if (machines == 0)
		text_append(ok, sizeof ok, ", no CMID shared");
	else
		text_append(ok, sizeof ok, ", %zu machine%s sharing a CMID", machines,
			    machines == 1 ? "" : "s");
	if (g->cfg->n_domains) {
		size_t n = evaluate_foreign(c, g, h, foreign_th);
		text_append(ok, sizeof ok, ", %zu foreign", n);
	} else {
		check_note(c, "Foreign clients: not judged (no --domain)");
	}
	size_t n_new = evaluate_burst(c, g, h, burst_th);
	text_append(ok, sizeof ok, ", %zu new in 24 h", n_new);
	check_summary_ok(c, "%s", ok);
}

/* The window of a host: --window, else its renewal interval (7 days when
 * the document does not say) + 2 days. */
static double host_window(const struct config *cfg, const struct doc *d)
{
	if (cfg->window_s > 0)
		return cfg->window_s;
	double renewal = d->host.renewal_interval_minutes == DOC_ABSENT
				 ? DEFAULT_RENEWAL_S
				 : (double)d->host.renewal_interval_minutes * 60.0;
	double w = renewal + WINDOW_SLACK_S;
	return w > MAX_WINDOW_S ? MAX_WINDOW_S : w;
}

/* ---- options ---------------------------------------------------------------- */

static bool parse_range_option(const char *option, const char *text, char err[KMS_ERRLEN])
{
	struct range r;
	char why[KMS_ERRLEN];
	if (range_parse(text, 0, &r, why))
		return true;
	text_printf(err, KMS_ERRLEN, "%s: %s", option, why);
	return false;
}

static bool handle_option(int id, const char *arg, void *ctx, char err[KMS_ERRLEN])
{
	struct config *cfg = ctx;
	switch (id) {
	case OPT_WINDOW:
		return duration_parse_positive("--window", arg, &cfg->window_s, err);
	case OPT_DOMAIN: {
		const char *d = arg;
		while (*d == '.')
			d++;
		if (!*d || strpbrk(d, " \t|") || d[strlen(d) - 1] == '.') {
			snprintf(err, KMS_ERRLEN, "invalid --domain \"%.100s\": expected a DNS suffix "
				 "such as corp.example", arg);
			return false;
		}
		if (cfg->n_domains == MAX_DOMAINS) {
			snprintf(err, KMS_ERRLEN, "too many --domain options (at most %d)", MAX_DOMAINS);
			return false;
		}
		cfg->domains[cfg->n_domains++] = d;
		return true;
	}
	case OPT_FOREIGN_WARNING:
		cfg->foreign_warning = arg;
		return parse_range_option("--foreign-warning", arg, err);
	case OPT_FOREIGN_CRITICAL:
		cfg->foreign_critical = arg;
		return parse_range_option("--foreign-critical", arg, err);
	case OPT_BURST:
		return number_parse("--burst", arg, 0, 1000000000, &cfg->burst, err);
	}
	snprintf(err, KMS_ERRLEN, "unhandled option %d", id);
	return false;
}

static struct config clients_config = { .burst = DEFAULT_BURST };
static const struct plugin_info clients_info;

/* The three pairs of thresholds: each option replaces its own default
 * (WARNING at 1 or more machines sharing, CRITICAL at 10 or more; WARNING
 * at 1 or more foreign; WARNING above --burst new). */
static void parse_thresholds(const struct common_opts *co, const struct config *cfg,
			     struct thresholds *dup, struct thresholds *foreign,
			     struct thresholds *burst)
{
	char err[KMS_ERRLEN];
	struct thresholds user;
	struct range w = range_between(0, 0), cr = range_between(0, 9);
	*dup = thresholds_of(&w, &cr);
	if (!thresholds_parse(&user, co->warning, co->critical, 0, err))
		die("%s", err);
	if (co->warning)
		dup->warn = user.warn;
	if (co->critical)
		dup->crit = user.crit;

	if ((cfg->foreign_warning || cfg->foreign_critical) && cfg->n_domains == 0)
		die("--foreign-warning and --foreign-critical need --domain (the DNS suffixes "
		    "clients belong under)");
	*foreign = thresholds_of(&w, NULL);
	if (!thresholds_parse(&user, cfg->foreign_warning, cfg->foreign_critical, 0, err))
		die("%s", err); /* parsed once already: cannot fail */
	if (cfg->foreign_warning)
		foreign->warn = user.warn;
	if (cfg->foreign_critical) {
		foreign->crit = user.crit;
		foreign->has_crit = true;
	}

	struct range b = range_between(0, (double)cfg->burst);
	*burst = thresholds_of(&b, NULL);
}

/* ---- main ------------------------------------------------------------------- */

/* Gather a fleet: every host's records into g's tables (on_client), and
 * into h which hosts decide, their windows and record counts; a host that
 * is not usable, or has no inventory, becomes its own subcheck of c. false
 * when no host has an inventory to judge. */
static bool gather_fleet(const struct common_opts *co, const struct config *cfg,
			 struct host_ctx *hc, void *const *ctxs, struct check *c,
			 struct fleet *f, struct hosts *h)
{
	fleet_load(co, on_client, ctxs, f);
	size_t inventories = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_doc *fd = &f->docs[i];
		h->name[i] = fd->name;
		if (!fd->usable) {
			fleet_host_subcheck(c, fd);
			continue;
		}
		h->window_s[i] = host_window(cfg, fd->doc);
		if (!fd->doc->has_clients) {
			struct subcheck *host = fleet_host_subcheck(c, fd);
			subcheck_set_state(subcheck_add(host, "%s: status document has no "
							"client inventory (the exporter "
							"does not collect clients)", fd->name),
					   STATE_UNKNOWN);
			fleet_host_headline(host, fd->name);
			continue;
		}
		inventories++;
		h->usable |= (uint16_t)(1u << i);
		h->records += hc[i].records;
		h->with_names += hc[i].with_names;
		if (hc[i].records && !hc[i].with_names)
			check_note(c, "%s: the exporter does not report names per CMID "
				   "(names_seen): upgrade it to find clones there", fd->name);
	}
	return inventories > 0;
}

/* Gather one document, as every document plugin: a failure ends the check.
 * false when it has no inventory to judge (said in c). */
static bool gather_document(const struct common_opts *co, const struct config *cfg,
			    struct host_ctx *hc, struct check *c, struct doc **d,
			    struct hosts *h)
{
	bool judged = true;
	*d = doc_load_or_die(co, on_client, &hc[0]);
	if (!(*d)->has_clients) {
		subcheck_set_state(check_add(c, "status document has no client inventory "
					     "(the exporter does not collect clients)"),
				   STATE_UNKNOWN);
		judged = false;
	}
	h->usable = 1;
	h->window_s[0] = host_window(cfg, *d);
	h->records = hc[0].records;
	h->with_names = hc[0].with_names;
	return judged;
}

int main(int argc, char **argv)
{
	struct common_opts co;
	struct config *cfg = &clients_config;

	/* options */
	options_parse(argc, argv, &clients_info, &co);
	options_start(&co);
	if (!co.url)
		die("no status document given: use -u URL (http, https, file or a path)");
	struct thresholds dup_th, foreign_th, burst_th;
	parse_thresholds(&co, cfg, &dup_th, &foreign_th, &burst_th);

	/* gather */
	struct gather g = {
		.cfg = cfg,
		.now = wall_now(),
		.keep_s = cfg->window_s > 0 ? cfg->window_s : MAX_WINDOW_S,
		.fleet = co.n_urls > 1,
	};
	struct host_ctx hc[OPTS_MAX_URLS];
	void *ctxs[OPTS_MAX_URLS];
	for (size_t i = 0; i < OPTS_MAX_URLS; i++) {
		hc[i] = (struct host_ctx){ .g = &g, .host = (uint8_t)i };
		ctxs[i] = &hc[i];
	}
	struct hosts h = { .n = co.n_urls > 1 ? co.n_urls : 1 };
	struct check *c = check_new();
	struct doc *d = NULL;
	struct fleet f = { 0 };
	bool judged = g.fleet ? gather_fleet(&co, cfg, hc, ctxs, c, &f, &h)
			      : gather_document(&co, cfg, hc, c, &d, &h);
	vlog(1, "%zu records, %zu with names_seen, %zu CMIDs kept, %zu foreign names kept",
	     h.records, h.with_names, g.t.n_cmids, g.t.n_foreign);

	/* evaluate */
	if (judged)
		evaluate(c, &g, &h, &dup_th, &foreign_th, &burst_th);

	/* report */
	tables_free(&g.t);
	doc_free(d);
	fleet_free(&f);
	check_exit(c);
}

/* ---- help ------------------------------------------------------------------- */

static const struct plugin_option clients_options[] = {
	{ "window", 0, true, "DURATION",
	  "Names of one CMID that each requested within DURATION are clones\n"
	  "(90, 15m, 2h, 9d; default: the host's renewal interval, 7 days when\n"
	  "the document does not say, plus 2 days).",
	  OPT_WINDOW },
	{ "domain", 0, true, "SUFFIX",
	  "The DNS suffix clients belong under (repeatable): names under none of\n"
	  "them, or without a domain, are foreign. Without it foreign clients are\n"
	  "not judged.",
	  OPT_DOMAIN },
	{ "foreign-warning", 0, true, "RANGE",
	  "WARNING range for the number of foreign names (default 0: one or more).",
	  OPT_FOREIGN_WARNING },
	{ "foreign-critical", 0, true, "RANGE",
	  "CRITICAL range for the number of foreign names (default none).",
	  OPT_FOREIGN_CRITICAL },
	{ "burst", 0, true, "N",
	  "WARNING when more than N CMIDs were first seen within 24 h (default 50).",
	  OPT_BURST },
	{ NULL, 0, false, NULL, NULL, 0 },
};

static const char clients_notes[] =
	"Duplicates: machines cloned without sysprep /generalize keep one client\n"
	"machine ID (CMID), and a KMS host counts distinct CMIDs, so 12 clones count\n"
	"as one. A CMID whose names_seen (kms-status-exporter 1.2) holds two or more\n"
	"names that each requested within --window is shared by clones; a name that\n"
	"stopped before the window is a rename, not a clone (a rename within the\n"
	"window looks like a clone until its old name ages out). -w and -c are on\n"
	"the number of machines sharing a CMID with another, a machine (a name, any\n"
	"case) once however many products it holds; each replaces its own default:\n"
	"  -w 0  (WARNING at 1 or more)   -c 9  (CRITICAL at 10 or more)\n"
	"A document without names_seen leaves duplicates OK with a note.\n"
	"\n"
	"Foreign: with --domain, the names seen within 30 days (a KMS host's\n"
	"memory) that are under none of the suffixes, or have no domain at all.\n"
	"Burst: CMIDs first seen (first_seen_at) within 24 h; more than --burst is\n"
	"WARNING (a rollout, or something charging the count).\n"
	"\n"
	"Several -u: the inventories are judged as one: a CMID sent by names on\n"
	"different KMS hosts is one group; a host that cannot be loaded is UNKNOWN\n"
	"and decides nothing.\n"
	"\n"
	"Perfdata: clients (records; in a fleet summed over the hosts),\n"
	"cmids_shared, machines_sharing;-w;-c, foreign;warn;crit (with --domain),\n"
	"new_24h;burst.\n"
	"\n"
	"Examples:\n"
	"  check_kms_clients -u https://kms01.corp.example/kms-status.json --cacert ca.pem\n"
	"  check_kms_clients -u /srv/kms/kms-status.json --domain corp.example --burst 200\n";

static const struct plugin_info clients_info = {
	.name = "check_kms_clients",
	.aspect = "CLIENTS",
	.purpose = "Check the client inventory of the status document for cloned machines "
		   "sharing a CMID, clients outside the organisation's domains and sudden "
		   "bursts of new clients.",
	.usage = "-u URL [-u URL]... [--window DURATION] [--domain SUFFIX]... "
		 "[--foreign-warning RANGE] [--foreign-critical RANGE] [--burst N] "
		 "[-w RANGE] [-c RANGE] [options]",
	.groups = OPTS_THRESHOLDS | OPTS_DOCUMENT,
	.options = clients_options,
	.notes = clients_notes,
	.timeout_state = STATE_UNKNOWN,
	.handle = handle_option,
	.ctx = &clients_config,
};
