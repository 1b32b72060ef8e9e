/* inventory.h - a client inventory merged from several KMS hosts'
 * documents (check_kms_renewal with -u more than once): one compact record
 * per client, found by its (CMID, product) key, the inventory key of doc.h.
 *
 * Records live in one dense array of 32-byte records, found through an
 * open-addressing index of 32-bit slots (record number + 1 and 6 bits of
 * the key's hash, 0 free, linear probing, at most 3/4 full; at most 2^26 - 2
 * records, 2 GiB): 2M distinct clients cost 64 MiB of records and
 * 16 MiB of index, and a lookup per record, never a scan. The hash is
 * seeded per process (getrandom) so a document cannot be built to make
 * every insert collide. Products are interned as small numbers
 * (INV_MAX_PRODUCTS at most); the record's other fields are the caller's to
 * fill (what a merge needs to pick the newest record and judge it).
 *
 * A leaf: libc and xalloc.h only. */
#ifndef KMS_INVENTORY_H
#define KMS_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Interned products are 0..INV_MAX_PRODUCTS-1; the values above are the
 * caller's for records that are not keyed (they never merge). */
#define INV_MAX_PRODUCTS 250

/* One client of the merged inventory. Times are whole Unix seconds, 0 when
 * absent (before 1970 reads as 1 s, after 2106 as UINT32_MAX). */
struct inv_rec {
	uint8_t cmid[16];         /* the key, with product */
	uint32_t last_request;
	uint32_t last_success;
	uint32_t deadline;
	uint8_t product;          /* interned number, or the caller's >= INV_MAX_PRODUCTS */
	uint8_t tag;              /* the caller's bits */
	uint8_t license_state;    /* the caller's coding */
	uint8_t code;             /* the caller's coding */
};

struct inventory {
	struct inv_rec *rec;      /* dense, in the order added */
	size_t n, cap;
	uint32_t *slot;           /* record number + 1, hash bits; 0 = free */
	size_t n_slots;           /* a power of two, or 0 before the first key */
	uint64_t seed;
	char *product_id[INV_MAX_PRODUCTS]; /* interned ids, copied */
	size_t n_products;
	size_t last_product;      /* the one found last */
};

/* Zero-initialise ({0}) before use; inv_free() makes it empty again. */
void inv_free(struct inventory *inv);

/* The number of product id (compared as given: pass canonical text), added
 * when new; -1 when INV_MAX_PRODUCTS are interned already. */
int inv_product(struct inventory *inv, const char *id);

/* The id of product number p (p < inv->n_products). */
const char *inv_product_id(const struct inventory *inv, int p);

/* Canonical GUID text (doc.h: lower-case 8-4-4-4-12) into 16 bytes; false
 * for anything else. */
bool inv_cmid(const char *text, uint8_t out[16]);

/* The record of key (cmid, product), product < INV_MAX_PRODUCTS: its
 * number, *added true when it was just made (zeroed but for the key).
 * Record numbers stay; pointers (inv->rec + i) last until the next add. */
size_t inv_get(struct inventory *inv, const uint8_t cmid[16], uint8_t product, bool *added);

/* A new record found by no key (a client that cannot be matched across
 * hosts), zeroed: its number. */
size_t inv_append(struct inventory *inv);

/* Seconds as a record's time: 0 for NaN, 1..UINT32_MAX otherwise. */
uint32_t inv_time(double t);

/* A record's time back: NaN for 0. */
double inv_time_back(uint32_t t);

#endif
