/* hgroups.c - owns the grouping of clients by HRESULT and edition
 * (hgroups.h) and the "code (meaning)" wording every plugin uses for a
 * code. */
#include "hgroups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hresult.h"

/* The group of code, a new one when there is room; NULL when the table is
 * full (the client then counts in other). */
static struct hgroup *group_of(struct hgroups *h, uint32_t code)
{
	h->total++;
	for (size_t i = 0; i < h->n_groups; i++)
		if (h->g[i].code == code) {
			h->g[i].n++;
			return &h->g[i];
		}
	if (h->n_groups == HGROUPS_MAX) {
		h->other++;
		return NULL;
	}
	struct hgroup *g = &h->g[h->n_groups++];
	memset(g, 0, sizeof *g);
	g->code = code;
	g->n = 1;
	return g;
}

void hgroups_init(struct hgroups *h)
{
	h->n_groups = h->other = h->total = 0;
}

void hgroups_add(struct hgroups *h, uint32_t code)
{
	(void)group_of(h, code);
}

void hgroups_add_edition(struct hgroups *h, uint32_t code, const char *edition, bool named)
{
	struct hgroup *g = group_of(h, code);
	if (!g)
		return;
	char name[HGROUPS_NAME_MAX];
	snprintf(name, sizeof name, "%s", edition);
	for (size_t i = 0; i < g->n_editions; i++)
		if (strcmp(g->ed[i].name, name) == 0) {
			g->ed[i].n++;
			return;
		}
	if (g->n_editions == HGROUPS_EDITIONS) {
		g->ed_other++;
		return;
	}
	struct hedition *e = &g->ed[g->n_editions++];
	memcpy(e->name, name, sizeof name);
	e->named = named;
	e->n = 1;
}

static int cmp_group(const void *a, const void *b)
{
	const struct hgroup *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

static int cmp_edition(const void *a, const void *b)
{
	const struct hedition *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->name, y->name);
}

void hgroups_sort(struct hgroups *h)
{
	qsort(h->g, h->n_groups, sizeof(h->g[0]), cmp_group);
	for (size_t i = 0; i < h->n_groups; i++)
		qsort(h->g[i].ed, h->g[i].n_editions, sizeof(h->g[i].ed[0]), cmp_edition);
}

const struct hedition *hgroup_most(const struct hgroup *g)
{
	if (g->n_editions == 0)
		return NULL;
	const struct hedition *e = &g->ed[0];
	return e->named && e->n * 2 > g->n ? e : NULL;
}

char *hresult_describe(char *buf, size_t len, uint32_t code)
{
	const char *meaning = hresult_meaning(code);
	if (meaning)
		snprintf(buf, len, "0x%08X (%s)", (unsigned)code, meaning);
	else
		snprintf(buf, len, "0x%08X", (unsigned)code);
	return buf;
}
