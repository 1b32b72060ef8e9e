/* inventory.c - see inventory.h. */
#include "inventory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
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
	/* most records are of the product the one before was */
	if (inv->n_products && strcmp(inv->product_id[inv->last_product], id) == 0)
		return (int)inv->last_product;
	for (size_t i = 0; i < inv->n_products; i++)
		if (strcmp(inv->product_id[i], id) == 0) {
			inv->last_product = i;
			return (int)i;
		}
	if (inv->n_products == INV_MAX_PRODUCTS)
		return -1;
	inv->product_id[inv->n_products] = xstrdup(id);
	return (int)inv->n_products++;
}

const char *inv_product_id(const struct inventory *inv, int p)
{
	return inv->product_id[p];
}

/* Hex digit values, -1 for anything else: one look-up per character,
 * since this runs once per client record. */
static signed char hex_value(char ch)
{
	static signed char table[256];
	static bool ready;
	if (!ready) {
		memset(table, -1, sizeof table);
		for (int i = 0; i < 10; i++)
			table['0' + i] = (signed char)i;
		for (int i = 0; i < 6; i++)
			table['a' + i] = (signed char)(10 + i);
		ready = true;
	}
	return table[(unsigned char)ch];
}

bool inv_cmid(const char *text, uint8_t out[16])
{
	/* the offsets of the 16 byte pairs in 8-4-4-4-12 text */
	static const unsigned char at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21,
					      24, 26, 28, 30, 32, 34 };
	if (!text || strlen(text) != 36 || text[8] != '-' || text[13] != '-' ||
	    text[18] != '-' || text[23] != '-')
		return false;
	int bad = 0;
	for (size_t k = 0; k < 16; k++) {
		int hi = hex_value(text[at[k]]), lo = hex_value(text[at[k] + 1]);
		bad |= hi | lo;
		out[k] = (uint8_t)((unsigned)hi << 4 | (unsigned)lo); /* junk when bad */
	}
	return bad >= 0;
}

/* A slot: the record number + 1 in the low SLOT_BITS, above it TAG bits of
 * the key's hash, so that most probes past another key need not read its
 * record (a cache miss each in a large inventory). */
#define SLOT_BITS 26
#define SLOT_REC(s) ((s) & ((1u << SLOT_BITS) - 1))
#define MAX_RECORDS ((1u << SLOT_BITS) - 2)

static uint64_t key_hash(const struct inventory *inv, const uint8_t cmid[16], uint8_t product)
{
	uint64_t a, b;
	memcpy(&a, cmid, 8);
	memcpy(&b, cmid + 8, 8);
	return hash_mix64(hash_mix64(a ^ inv->seed) ^ hash_mix64(b + inv->seed + product));
}

static uint32_t slot_tag(uint64_t h)
{
	return (uint32_t)(h >> 58) << SLOT_BITS;
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
		const struct inv_rec *r = &inv->rec[SLOT_REC(old[i]) - 1];
		size_t j = (size_t)key_hash(inv, r->cmid, r->product) & (inv->n_slots - 1);
		while (inv->slot[j])
			j = (j + 1) & (inv->n_slots - 1);
		inv->slot[j] = old[i];
	}
	free(old);
}

size_t inv_append(struct inventory *inv)
{
	if (inv->n >= MAX_RECORDS)
		xalloc_die(); /* 67M clients: 2 GiB of records, past any --max-size */
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
	uint64_t h = key_hash(inv, cmid, product);
	uint32_t tag = slot_tag(h);
	size_t j = (size_t)h & (inv->n_slots - 1);
	while (inv->slot[j]) {
		uint32_t s = inv->slot[j];
		if ((s & ~((1u << SLOT_BITS) - 1)) == tag &&
		    same_key(&inv->rec[SLOT_REC(s) - 1], cmid, product)) {
			*added = false;
			return SLOT_REC(s) - 1;
		}
		j = (j + 1) & (inv->n_slots - 1);
	}
	size_t i = inv_append(inv);
	memcpy(inv->rec[i].cmid, cmid, 16);
	inv->rec[i].product = product;
	inv->slot[j] = tag | (uint32_t)(i + 1);
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
