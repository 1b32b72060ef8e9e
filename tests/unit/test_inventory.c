/* test_inventory.c - unit tests of common/inventory.c: a key is found again
 * after any number of growths, the product is part of the key, records
 * without a key never merge, CMID text is parsed exactly, products are
 * interned, and times convert both ways. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "inventory.h"
#include "unit.h"

static void key_of(unsigned n, uint8_t out[16])
{
	char text[40];
	snprintf(text, sizeof text, "%08x-0000-4000-8000-%012x", n * 2654435761u, n);
	ck_assert(inv_cmid(text, out));
}

START_TEST(keys_found_after_growth)
{
	struct inventory inv = { 0 };
	enum { N = 300000 };
	uint8_t k[16];
	for (unsigned i = 0; i < N; i++) {
		bool added;
		key_of(i, k);
		size_t r = inv_get(&inv, k, (uint8_t)(i % 3), &added);
		ck_assert(added);
		ck_assert_uint_eq(r, i);
		inv.rec[r].last_request = i + 1;
	}
	for (unsigned i = 0; i < N; i++) {
		bool added;
		key_of(i, k);
		size_t r = inv_get(&inv, k, (uint8_t)(i % 3), &added);
		ck_assert(!added);
		ck_assert_uint_eq(inv.rec[r].last_request, i + 1);
		ck_assert_uint_eq(inv.rec[r].product, i % 3);
		ck_assert(memcmp(inv.rec[r].cmid, k, 16) == 0);
	}
	ck_assert_uint_eq(inv.n, N);
	/* at most 3/4 full, a power of two */
	ck_assert_uint_ge(inv.n_slots * 3, (size_t)N * 4);
	ck_assert_uint_eq(inv.n_slots & (inv.n_slots - 1), 0);
	inv_free(&inv);
	ck_assert_uint_eq(inv.n, 0);
}
END_TEST

START_TEST(product_is_part_of_the_key)
{
	struct inventory inv = { 0 };
	uint8_t k[16];
	key_of(7, k);
	bool added;
	size_t win = inv_get(&inv, k, 0, &added);
	ck_assert(added);
	size_t office = inv_get(&inv, k, 1, &added);
	ck_assert(added);
	ck_assert_uint_ne(win, office);
	ck_assert_uint_eq(inv_get(&inv, k, 0, &added), win);
	ck_assert(!added);
	inv_free(&inv);
}
END_TEST

START_TEST(unkeyed_records_never_merge)
{
	struct inventory inv = { 0 };
	uint8_t k[16];
	key_of(1, k);
	bool added;
	size_t a = inv_append(&inv), b = inv_append(&inv);
	ck_assert_uint_ne(a, b);
	/* an appended record is zeroed and found by no key */
	ck_assert_uint_eq(inv.rec[a].product, 0);
	size_t c = inv_get(&inv, k, 0, &added);
	ck_assert(added);
	ck_assert_uint_eq(c, 2);
	ck_assert_uint_eq(inv.n, 3);
	inv_free(&inv);
}
END_TEST

START_TEST(cmid_text)
{
	uint8_t k[16];
	ck_assert(inv_cmid("0d6b1f2e-3a4c-4d5e-8f90-a1b2c3d4e5f6", k));
	static const uint8_t want[16] = { 0x0d, 0x6b, 0x1f, 0x2e, 0x3a, 0x4c, 0x4d, 0x5e,
					  0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6 };
	ck_assert(memcmp(k, want, 16) == 0);
	ck_assert(!inv_cmid(NULL, k));
	ck_assert(!inv_cmid("", k));
	ck_assert(!inv_cmid("0D6B1F2E-3A4C-4D5E-8F90-A1B2C3D4E5F6", k)); /* not canonical */
	ck_assert(!inv_cmid("{0d6b1f2e-3a4c-4d5e-8f90-a1b2c3d4e5f6}", k));
	ck_assert(!inv_cmid("0d6b1f2e-3a4c-4d5e-8f90-a1b2c3d4e5f", k));
	ck_assert(!inv_cmid("0d6b1f2e-3a4c-4d5e-8f90-a1b2c3d4e5fg", k));
	ck_assert(!inv_cmid("0d6b1f2e03a4c-4d5e-8f90-a1b2c3d4e5f6", k));
}
END_TEST

START_TEST(products_interned)
{
	struct inventory inv = { 0 };
	ck_assert_int_eq(inv_product(&inv, "55c92734-d682-4d71-983e-d6ec3f16059f"), 0);
	ck_assert_int_eq(inv_product(&inv, "0ff1ce15-a989-479d-af46-f275c6370663"), 1);
	ck_assert_int_eq(inv_product(&inv, "55c92734-d682-4d71-983e-d6ec3f16059f"), 0);
	ck_assert_str_eq(inv_product_id(&inv, 1), "0ff1ce15-a989-479d-af46-f275c6370663");
	char id[40];
	for (int i = 2; i < INV_MAX_PRODUCTS; i++) {
		snprintf(id, sizeof id, "app-%d", i);
		ck_assert_int_eq(inv_product(&inv, id), i);
	}
	ck_assert_int_eq(inv_product(&inv, "one-too-many"), -1);
	ck_assert_int_eq(inv_product(&inv, "app-7"), 7);
	inv_free(&inv);
}
END_TEST

START_TEST(times)
{
	ck_assert_uint_eq(inv_time(NAN), 0);
	ck_assert(isnan(inv_time_back(0)));
	ck_assert_uint_eq(inv_time(1795615200.0), 1795615200u);
	ck_assert_uint_eq(inv_time(1795615200.9), 1795615200u);
	ck_assert_uint_eq(inv_time(-5), 1);
	ck_assert_uint_eq(inv_time(1e12), UINT32_MAX);
	ck_assert(inv_time_back(1795615200u) == 1795615200.0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("inventory");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, keys_found_after_growth);
	tcase_add_test(tc, product_is_part_of_the_key);
	tcase_add_test(tc, unkeyed_records_never_merge);
	tcase_add_test(tc, cmid_text);
	tcase_add_test(tc, products_interned);
	tcase_add_test(tc, times);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
