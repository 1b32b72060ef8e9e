/* publishing.c - the DNS-publishing verdict from the 12293/12294 history
 * (publishing.h). No I/O. */
#include "publishing.h"

#include <math.h>
#include <string.h>

/* Which events an entry counts: all (publishing_judge), one domain's, or
 * those without a domain; with_undomained adds those to a domain's. */
struct pick {
	bool all;
	const char *domain;    /* NULL: the events without a domain */
	bool with_undomained;
};

static bool picked(const struct pick *p, const struct doc_event *e)
{
	if (p->all)
		return true;
	if (!e->domain)
		return !p->domain || p->with_undomained;
	return p->domain && strcmp(e->domain, p->domain) == 0;
}

/* The newest events of each id, and the 12293s after the newest 12294, of
 * the events p picks. */
static void scan(const struct pub_input *in, const struct pick *p, struct pub_verdict *v)
{
	for (size_t i = 0; i < in->n_events; i++) {
		const struct doc_event *e = &in->events[i];
		if (isnan(e->at) || !picked(p, e))
			continue;
		if (e->id == PUB_EV_OK && (!v->last_ok || e->at > v->last_ok->at))
			v->last_ok = e;
		else if (e->id == PUB_EV_FAILED && (!v->last_fail || e->at > v->last_fail->at))
			v->last_fail = e;
	}
	for (size_t i = 0; v->last_fail && i < in->n_events; i++) {
		const struct doc_event *e = &in->events[i];
		if (e->id != PUB_EV_FAILED || isnan(e->at) || !picked(p, e) ||
		    (v->last_ok && e->at <= v->last_ok->at))
			continue;
		v->n_failing++;
		if (isnan(v->failing_since) || e->at < v->failing_since)
			v->failing_since = e->at;
	}
}

struct pub_verdict publishing_judge(const struct pub_input *in)
{
	struct pub_verdict v = { .state = STATE_OK, .failing_since = NAN };
	if (in->setting == 0) {
		v.kind = PUB_OFF;
		v.state = in->require ? STATE_WARNING : STATE_OK;
		return v;
	}
	if (!in->has_events) {
		v.kind = in->setting == 1 ? PUB_UNCONFIRMED : PUB_UNJUDGED;
		return v;
	}
	static const struct pick all = { .all = true };
	scan(in, &all, &v);
	if (v.last_fail && (!v.last_ok || v.last_fail->at > v.last_ok->at)) {
		bool recent = v.last_fail->at >= in->now - in->lookback;
		v.kind = recent ? PUB_FAILING : PUB_FAIL_OLD;
		v.state = recent ? STATE_WARNING : STATE_OK;
	} else if (v.last_ok) {
		v.kind = v.last_fail ? PUB_RECOVERED : PUB_PUBLISHED;
	} else {
		v.kind = PUB_QUIET;
	}
	return v;
}

/* ---- per domain ------------------------------------------------------------ */

static bool is_pub_event(const struct doc_event *e)
{
	return (e->id == PUB_EV_FAILED || e->id == PUB_EV_OK) && !isnan(e->at);
}

bool publishing_own_domain(const char *host_name, char out[DOC_DNS_NAME_MAX + 1])
{
	const char *dot = host_name ? strchr(host_name, '.') : NULL;
	char why[128];
	return dot && dot[1] && doc_dns_name(dot + 1, out, why);
}

static struct pub_domain *add_domain(struct pub_domains *o, const char *name,
				     enum pub_source src)
{
	struct pub_domain *d = &o->d[o->n++];
	*d = (struct pub_domain){ .name = name, .source = src, .state = STATE_OK,
				  .failing_since = NAN };
	return d;
}

static bool known(const struct pub_domains *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->d[i].name && strcmp(o->d[i].name, name) == 0)
			return true;
	return false;
}

/* One entry's verdict from the events it picks. */
static void judge_domain(const struct pub_input *in, const struct pick *p,
			 struct pub_domain *d)
{
	struct pub_verdict v = { .state = STATE_OK, .failing_since = NAN };
	scan(in, p, &v);
	d->last_fail = v.last_fail;
	d->last_ok = v.last_ok;
	d->n_failing = v.n_failing;
	d->failing_since = v.failing_since;
	double since = in->now - in->lookback;
	if (v.last_fail && (!v.last_ok || v.last_fail->at > v.last_ok->at)) {
		bool recent = v.last_fail->at >= since;
		d->kind = recent ? PUBD_FAILING : PUBD_FAIL_OLD;
		if (recent)
			d->state = STATE_WARNING;
		else if (d->source == PUBD_LISTED) {
			d->kind = PUBD_NEVER; /* an old failure and no 12294 since */
			d->state = STATE_WARNING;
		}
	} else if (d->source == PUBD_LISTED && (!v.last_ok || v.last_ok->at < since)) {
		d->kind = PUBD_NEVER;
		d->state = STATE_WARNING;
	} else if (v.last_ok) {
		d->kind = v.last_fail ? PUBD_RECOVERED : PUBD_PUBLISHED;
	} else {
		d->kind = PUBD_QUIET;
	}
}

void publishing_domains(const struct pub_input *in, const struct doc_host *host,
			struct pub_domains *o)
{
	/* the scalars only: each entry of d[] is written whole when added, and
	 * zeroing all PUB_DOMAINS_MAX of them (18 KB) was a measurable share
	 * of a small document's check */
	o->per_domain = o->undomained_to_one = false;
	o->own[0] = '\0';
	o->n = o->n_warning = o->events_dropped = o->undomained = 0;
	bool named = false;
	for (size_t i = 0; i < in->n_events; i++) {
		const struct doc_event *e = &in->events[i];
		if (!is_pub_event(e))
			continue;
		if (e->domain)
			named = true;
		else
			o->undomained++;
	}
	if (in->setting == 0 || !in->has_events || (!host->has_dns_publish_domains && !named))
		return;
	o->per_domain = true;
	/* The host always publishes in its own domain too, the list adds to
	 * it (Microsoft's DnsDomainPublishList documentation), so the own
	 * domain is judged beside a list; only listed domains are held to
	 * "never published" (docs/DESIGN.md). */
	if (host->has_dns_publish_domains)
		for (size_t i = 0; i < host->n_dns_publish_domains; i++)
			add_domain(o, host->dns_publish_domains[i], PUBD_LISTED);
	if (publishing_own_domain(host->name, o->own) && !known(o, o->own))
		add_domain(o, o->own, PUBD_OWN);
	size_t from_events = 0;
	for (size_t i = 0; i < in->n_events; i++) {
		const struct doc_event *e = &in->events[i];
		if (!is_pub_event(e) || !e->domain || known(o, e->domain))
			continue;
		if (from_events < PUB_EVENT_DOMAINS_MAX) {
			add_domain(o, e->domain, PUBD_EVENTS);
			from_events++;
		} else {
			o->events_dropped++;
		}
	}
	o->undomained_to_one = o->undomained > 0 && o->n == 1;
	size_t named_n = o->n;
	if (o->undomained > 0 && named_n != 1)
		add_domain(o, NULL, PUBD_UNNAMED);
	for (size_t i = 0; i < o->n; i++) {
		struct pick p = { .domain = o->d[i].name, .with_undomained = o->undomained_to_one };
		judge_domain(in, &p, &o->d[i]);
		o->n_warning += o->d[i].state != STATE_OK;
	}
}
