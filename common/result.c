/* result.c - the result model (result.h): the tree, its state rule and the
 * read access the renderers use. No I/O. */
#include "result.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vlog.h"
#include "xalloc.h"

/* A stored metric: the public struct, with th pointing at our own copy of
 * the thresholds, allocated one by one so the pointers never move. */
struct metric_item {
	struct metric m;
	struct thresholds th;
	char *label, *uom;
};

struct subcheck {
	char *output, *headline;
	bool has_state;
	state_t state, dflt;
	struct metric_item **metrics;
	size_t n_metrics, cap_metrics;
	struct subcheck **kids;
	size_t n_kids, cap_kids;
};

struct check {
	struct subcheck root; /* its kids are the top-level subchecks */
	char *ok_summary;
	char **notes;
	size_t n_notes, cap_notes;
};

static char *vclean(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vclean(const char *fmt, va_list ap)
{
	char *s = xvasprintf(fmt, ap);
	text_clean(s);
	return s;
}

static state_t valid_state(state_t st)
{
	return (unsigned)st > STATE_UNKNOWN ? STATE_UNKNOWN : st;
}

struct check *check_new(void)
{
	struct check *c = calloc(1, sizeof *c);
	if (!c)
		xalloc_die();
	return c;
}

static void subcheck_free(struct subcheck *sc)
{
	for (size_t i = 0; i < sc->n_metrics; i++) {
		free(sc->metrics[i]->label);
		free(sc->metrics[i]->uom);
		free(sc->metrics[i]);
	}
	for (size_t i = 0; i < sc->n_kids; i++) {
		subcheck_free(sc->kids[i]);
		free(sc->kids[i]);
	}
	free(sc->metrics);
	free(sc->kids);
	free(sc->output);
	free(sc->headline);
}

void check_free(struct check *c)
{
	if (!c)
		return;
	subcheck_free(&c->root);
	for (size_t i = 0; i < c->n_notes; i++)
		free(c->notes[i]);
	free(c->notes);
	free(c->ok_summary);
	free(c);
}

/* Replace the text in *slot. */
static void replace(char **slot, char *s)
{
	free(*slot);
	*slot = s;
}

void check_summary_ok(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	replace(&c->ok_summary, vclean(fmt, ap));
	va_end(ap);
}

void check_note(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vclean(fmt, ap);
	va_end(ap);
	c->notes = xgrow(c->notes, &c->cap_notes, c->n_notes, sizeof *c->notes);
	c->notes[c->n_notes++] = s;
}

static struct subcheck *add_child(struct subcheck *parent, char *output)
{
	struct subcheck *sc = calloc(1, sizeof *sc);
	if (!sc)
		xalloc_die();
	sc->output = output;
	parent->kids = xgrow(parent->kids, &parent->cap_kids, parent->n_kids, sizeof *parent->kids);
	parent->kids[parent->n_kids++] = sc;
	return sc;
}

struct subcheck *check_add(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct subcheck *sc = add_child(&c->root, vclean(fmt, ap));
	va_end(ap);
	return sc;
}

struct subcheck *subcheck_add(struct subcheck *parent, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct subcheck *sc = add_child(parent, vclean(fmt, ap));
	va_end(ap);
	return sc;
}

void subcheck_set_state(struct subcheck *sc, state_t st)
{
	sc->has_state = true;
	sc->state = valid_state(st);
}

void subcheck_set_default(struct subcheck *sc, state_t st)
{
	sc->dflt = valid_state(st);
}

void subcheck_headline(struct subcheck *sc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	replace(&sc->headline, vclean(fmt, ap));
	va_end(ap);
}

/* A range judges only if its perfdata can show it (the value judged is the
 * value graphed): an infinite bound becomes an open end, a NaN bound or a
 * percent range not yet scaled to absolute numbers (range_scale) drops the
 * range, with a -v line: either is a plugin's bug, never the peer's. */
static bool range_shown(struct range *r, const char *label, const char *which)
{
	if (isinf(r->start) && r->start < 0)
		r->start_infinite = true;
	if (isinf(r->end) && r->end > 0)
		r->end_infinite = true;
	bool ok = !r->percent && (r->start_infinite || isfinite(r->start)) &&
		  (r->end_infinite || isfinite(r->end));
	if (!ok)
		vlog(1, "perfdata '%s': %s range left out (not absolute finite numbers)", label, which);
	return ok;
}

void subcheck_metric(struct subcheck *sc, struct metric m)
{
	const char *label = m.label && *m.label ? m.label : "unnamed";
	if (!isfinite(m.value)) {
		vlog(1, "perfdata '%s' left out: value is not a finite number", label);
		return;
	}
	struct metric_item *it = calloc(1, sizeof *it);
	if (!it)
		xalloc_die();
	it->label = xstrdup(label);
	text_clean(it->label);
	it->uom = xstrdup(m.uom ? m.uom : "");
	if (m.th) {
		it->th = *m.th;
		it->th.has_warn = it->th.has_warn && range_shown(&it->th.warn, label, "warning");
		it->th.has_crit = it->th.has_crit && range_shown(&it->th.crit, label, "critical");
	}
	it->m = m;
	it->m.label = it->label;
	it->m.uom = it->uom;
	it->m.th = m.th ? &it->th : NULL;
	sc->metrics = xgrow(sc->metrics, &sc->cap_metrics, sc->n_metrics, sizeof *sc->metrics);
	sc->metrics[sc->n_metrics++] = it;
}

bool metric_judged(const struct metric *m)
{
	return m->th && (m->th->has_warn || m->th->has_crit);
}

state_t metric_state(const struct metric *m)
{
	return metric_judged(m) ? thresholds_check(m->th, m->value) : STATE_OK;
}

state_t subcheck_state(const struct subcheck *sc)
{
	bool decided = sc->has_state;
	state_t st = sc->has_state ? sc->state : STATE_OK;
	for (size_t i = 0; i < sc->n_metrics; i++)
		if (metric_judged(&sc->metrics[i]->m)) {
			decided = true;
			st = state_worst(st, metric_state(&sc->metrics[i]->m));
		}
	for (size_t i = 0; i < sc->n_kids; i++) {
		decided = true;
		st = state_worst(st, subcheck_state(sc->kids[i]));
	}
	return decided ? st : sc->dflt;
}

state_t check_state(const struct check *c)
{
	state_t st = STATE_OK;
	for (size_t i = 0; i < c->root.n_kids; i++)
		st = state_worst(st, subcheck_state(c->root.kids[i]));
	return st;
}

size_t check_count(const struct check *c)
{
	return c->root.n_kids;
}

const struct subcheck *check_child(const struct check *c, size_t i)
{
	return i < c->root.n_kids ? c->root.kids[i] : NULL;
}

size_t subcheck_count(const struct subcheck *sc)
{
	return sc->n_kids;
}

const struct subcheck *subcheck_child(const struct subcheck *sc, size_t i)
{
	return i < sc->n_kids ? sc->kids[i] : NULL;
}

const char *subcheck_output(const struct subcheck *sc)
{
	return sc->output;
}

const char *subcheck_headline_text(const struct subcheck *sc)
{
	return sc->headline ? sc->headline : sc->output;
}

size_t subcheck_metric_count(const struct subcheck *sc)
{
	return sc->n_metrics;
}

const struct metric *subcheck_metric_at(const struct subcheck *sc, size_t i)
{
	return i < sc->n_metrics ? &sc->metrics[i]->m : NULL;
}

const char *check_ok_summary(const struct check *c)
{
	return c->ok_summary;
}

size_t check_notes(const struct check *c, const char *const **out)
{
	*out = (const char *const *)c->notes;
	return c->n_notes;
}
