/* hgroups.c - owns the grouping of clients by HRESULT (hgroups.h) and the
 * "code (meaning)" wording every plugin uses for a code. */
#include "hgroups.h"

#include <stdio.h>
#include <stdlib.h>

#include "hresult.h"

void hgroups_add(struct hgroups *h, uint32_t code)
{
	h->total++;
	for (size_t i = 0; i < h->n_groups; i++)
		if (h->g[i].code == code) {
			h->g[i].n++;
			return;
		}
	if (h->n_groups == HGROUPS_MAX) {
		h->other++;
		return;
	}
	h->g[h->n_groups].code = code;
	h->g[h->n_groups].n = 1;
	h->n_groups++;
}

static int cmp_group(const void *a, const void *b)
{
	const struct hgroup *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

void hgroups_sort(struct hgroups *h)
{
	qsort(h->g, h->n_groups, sizeof(h->g[0]), cmp_group);
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
