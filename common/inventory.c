/* inventory.c - see inventory.h. */
#include "inventory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

_Static_assert(sizeof(struct inv_rec) == 32, "a merged record is 32 bytes");

void inv_free(struct inventory *inv)
{
	free(inv->rec);
	free(inv->slot);
	for (size_t i = 0; i < inv->n_products; i++)
		free(inv->product_id[i]);
	memset(inv, 0, sizeof *inv);
}

int inv_product(struct inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->n_products; i++)
		if (strcmp(inv->product_id[i], id) == 0)
			return (int)i;
	if (inv->n_products == INV_MAX_PRODUCTS)
		return -1;
	inv->product_id[inv->n_products] = xstrdup(id);
	return (int)inv->n_products++;
}

const char *inv_product_id(const struct inventory *inv, int p)
{
	return inv->product_id[p];
}

bool inv_cmid(const char *text, uint8_t out[16])
{
	static const size_t dash[] = { 8, 13, 18, 23 };
	if (!text || strlen(text) != 36)
		return false;
	size_t k = 0, d = 0;
	for (size_t i = 0; i < 36; i++) {
		char ch = text[i];
		if (d < 4 && i == dash[d]) {
			if (ch != '-')
				return false;
			d++;
			continue;
		}
		unsigned v;
		if (ch >= '0' && ch <= '9')
			v = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = (unsigned)(ch - 'a' + 10);
		else
			return false;
		if (k % 2 == 0)
			out[k / 2] = (uint8_t)(v << 4);
		else
			out[k / 2] |= (uint8_t)v;
		k++;
	}
	return true;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static size_t home_slot(const struct inventory *inv, const uint8_t cmid[16], uint8_t product)
{
	uint64_t a, b;
	memcpy(&a, cmid, 8);
	memcpy(&b, cmid + 8, 8);
	uint64_t h = mix64(a ^ inv->seed) ^ mix64(b + inv->seed + product);
	return (size_t)mix64(h) & (inv->n_slots - 1);
}

static bool same_key(const struct inv_rec *r, const uint8_t cmid[16], uint8_t product)
{
	return r->product == product && memcmp(r->cmid, cmid, 16) == 0;
}

/* Twice the slots (1024 at first), every keyed record placed again. */
static void grow_index(struct inventory *inv)
{
	if (!inv->slot && getrandom(&inv->seed, sizeof inv->seed, GRND_NONBLOCK) !=
			  (ssize_t)sizeof inv->seed)
		inv->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
			    (uint64_t)(uintptr_t)inv;
	uint32_t *old = inv->slot;
	size_t n_old = inv->n_slots;
	inv->n_slots = n_old ? n_old * 2 : 1024;
	inv->slot = calloc(inv->n_slots, sizeof *inv->slot);
	if (!inv->slot)
		xalloc_die();
	for (size_t i = 0; i < n_old; i++) {
		if (!old[i])
			continue;
		const struct inv_rec *r = &inv->rec[old[i] - 1];
		size_t j = home_slot(inv, r->cmid, r->product);
		while (inv->slot[j])
			j = (j + 1) & (inv->n_slots - 1);
		inv->slot[j] = old[i];
	}
	free(old);
}

size_t inv_append(struct inventory *inv)
{
	if (inv->n >= UINT32_MAX - 1)
		xalloc_die(); /* the slots hold record number + 1 in 32 bits */
	inv->rec = xgrow(inv->rec, &inv->cap, inv->n, sizeof *inv->rec);
	memset(&inv->rec[inv->n], 0, sizeof *inv->rec);
	return inv->n++;
}

size_t inv_get(struct inventory *inv, const uint8_t cmid[16], uint8_t product, bool *added)
{
	/* keyed records only count toward the load: unkeyed ones have no slot,
	 * but n counts both, so this errs on the roomy side */
	if ((inv->n + 1) * 4 > inv->n_slots * 3)
		grow_index(inv);
	size_t j = home_slot(inv, cmid, product);
	while (inv->slot[j]) {
		size_t i = inv->slot[j] - 1;
		if (same_key(&inv->rec[i], cmid, product)) {
			*added = false;
			return i;
		}
		j = (j + 1) & (inv->n_slots - 1);
	}
	size_t i = inv_append(inv);
	memcpy(inv->rec[i].cmid, cmid, 16);
	inv->rec[i].product = product;
	inv->slot[j] = (uint32_t)(i + 1);
	*added = true;
	return i;
}

uint32_t inv_time(double t)
{
	if (isnan(t))
		return 0;
	if (t < 1)
		return 1;
	if (t >= (double)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)t;
}

double inv_time_back(uint32_t t)
{
	return t ? (double)t : NAN;
}
