/* publishing.c - the DNS-publishing verdict from the 12293/12294 history
 * (publishing.h). No I/O. */
#include "publishing.h"

#include <math.h>

/* The newest events of each id, and the 12293s after the newest 12294. */
static void scan(const struct pub_input *in, struct pub_verdict *v)
{
	for (size_t i = 0; i < in->n_events; i++) {
		const struct doc_event *e = &in->events[i];
		if (isnan(e->at))
			continue;
		if (e->id == PUB_EV_OK && (!v->last_ok || e->at > v->last_ok->at))
			v->last_ok = e;
		else if (e->id == PUB_EV_FAILED && (!v->last_fail || e->at > v->last_fail->at))
			v->last_fail = e;
	}
	for (size_t i = 0; v->last_fail && i < in->n_events; i++) {
		const struct doc_event *e = &in->events[i];
		if (e->id != PUB_EV_FAILED || isnan(e->at) ||
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
	scan(in, &v);
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
