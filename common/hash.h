/* hash.h - the 64-bit mixer of the project's hash tables (the loader's
 * (CMID, product) set in doc.c, the fleet inventory in inventory.c): a
 * bijective finaliser (splitmix64's constants), so keys that differ in any
 * bit spread over every slot. Both tables seed it per process, so a
 * document cannot be built to collide. A leaf: header only. */
#ifndef KMS_HASH_H
#define KMS_HASH_H

#include <stdint.h>

static inline uint64_t hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#endif
