/* test_hgroups.c - unit tests of common/hgroups.c: clients grouped by
 * HRESULT and by edition within a code in fixed memory, at the boundaries
 * (the 65th code, the 17th edition of a code), the order of groups and
 * editions with ties, and "most" (more than half of a group, by a named
 * edition; exactly half is not most). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "hgroups.h"
#include "unit.h"

static struct hgroups h; /* ~75 KB: not on the test's stack */

static void reset(void)
{
	memset(&h, 0, sizeof h);
}

START_TEST(codes_up_to_the_limit)
{
	reset();
	for (uint32_t c = 1; c <= HGROUPS_MAX; c++)
		hgroups_add(&h, 0xC0000000u + c);
	ck_assert_uint_eq(h.n_groups, HGROUPS_MAX);
	ck_assert_uint_eq(h.other, 0);
	/* the 65th code is only counted, with or without an edition */
	hgroups_add(&h, 0xC0000000u + HGROUPS_MAX + 1);
	hgroups_add_edition(&h, 0xC0000000u + HGROUPS_MAX + 2, "Windows 10/11 Pro", true);
	ck_assert_uint_eq(h.n_groups, HGROUPS_MAX);
	ck_assert_uint_eq(h.other, 2);
	ck_assert_uint_eq(h.total, HGROUPS_MAX + 2);
	/* a code already grouped still counts in its group */
	hgroups_add(&h, 0xC0000001u);
	ck_assert_uint_eq(h.other, 2);
	hgroups_sort(&h);
	ck_assert_uint_eq(h.g[0].code, 0xC0000001u);
	ck_assert_uint_eq(h.g[0].n, 2);
}
END_TEST

START_TEST(editions_up_to_the_limit)
{
	reset();
	char name[32];
	for (int i = 0; i < HGROUPS_EDITIONS; i++) {
		snprintf(name, sizeof name, "edition %02d", i);
		hgroups_add_edition(&h, 0xC004F042u, name, true);
	}
	ck_assert_uint_eq(h.n_groups, 1);
	ck_assert_uint_eq(h.g[0].n_editions, HGROUPS_EDITIONS);
	ck_assert_uint_eq(h.g[0].ed_other, 0);
	/* the 17th edition counts in the code's group, as "other" */
	hgroups_add_edition(&h, 0xC004F042u, "edition 16", true);
	ck_assert_uint_eq(h.g[0].n_editions, HGROUPS_EDITIONS);
	ck_assert_uint_eq(h.g[0].ed_other, 1);
	ck_assert_uint_eq(h.g[0].n, HGROUPS_EDITIONS + 1);
	/* an edition already listed still counts */
	hgroups_add_edition(&h, 0xC004F042u, "edition 05", true);
	ck_assert_uint_eq(h.g[0].ed_other, 1);
	hgroups_sort(&h);
	ck_assert_str_eq(h.g[0].ed[0].name, "edition 05");
	ck_assert_uint_eq(h.g[0].ed[0].n, 2);
	ck_assert_uint_eq(h.total, HGROUPS_EDITIONS + 2);
}
END_TEST

START_TEST(long_names_are_cut)
{
	reset();
	char longname[200];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	hgroups_add_edition(&h, 1, longname, true);
	hgroups_add_edition(&h, 1, longname, true);
	ck_assert_uint_eq(h.g[0].n_editions, 1);
	ck_assert_uint_eq(h.g[0].ed[0].n, 2);
	ck_assert_uint_eq(strlen(h.g[0].ed[0].name), HGROUPS_NAME_MAX - 1);
}
END_TEST

START_TEST(ties_sort_by_code_and_name)
{
	reset();
	hgroups_add_edition(&h, 0xC004F074u, "b", true);
	hgroups_add_edition(&h, 0xC004F038u, "b", true);
	hgroups_add_edition(&h, 0xC004F038u, "a", true);
	hgroups_add_edition(&h, 0xC004F074u, "a", true);
	hgroups_add_edition(&h, 0xC004F042u, "z", true);
	hgroups_sort(&h);
	/* two of 2 each: the lower code first; then the group of one */
	ck_assert_uint_eq(h.g[0].code, 0xC004F038u);
	ck_assert_uint_eq(h.g[1].code, 0xC004F074u);
	ck_assert_uint_eq(h.g[2].code, 0xC004F042u);
	ck_assert_str_eq(h.g[0].ed[0].name, "a");
	ck_assert_str_eq(h.g[0].ed[1].name, "b");
	ck_assert_str_eq(h.g[1].ed[0].name, "a");
	/* a tie at the top is no majority */
	ck_assert_ptr_null(hgroup_most(&h.g[0]));
	ck_assert_ptr_nonnull(hgroup_most(&h.g[2]));
}
END_TEST

START_TEST(most_is_more_than_half)
{
	reset();
	/* 3 of 6: exactly half is not most */
	for (int i = 0; i < 3; i++)
		hgroups_add_edition(&h, 0xC004F042u, "Windows Server 2025 Standard", true);
	hgroups_add_edition(&h, 0xC004F042u, "Windows Server 2025 Datacenter", true);
	hgroups_add_edition(&h, 0xC004F042u, "Windows 10/11 Pro", true);
	hgroups_add_edition(&h, 0xC004F042u, "Windows 10/11 Enterprise", true);
	hgroups_sort(&h);
	ck_assert_uint_eq(h.g[0].n, 6);
	ck_assert_ptr_null(hgroup_most(&h.g[0]));
	/* 4 of 7 is */
	hgroups_add_edition(&h, 0xC004F042u, "Windows Server 2025 Standard", true);
	hgroups_sort(&h);
	const struct hedition *e = hgroup_most(&h.g[0]);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->name, "Windows Server 2025 Standard");
	ck_assert_uint_eq(e->n, 4);
}
END_TEST

START_TEST(most_counts_the_other_editions)
{
	reset();
	/* 16 editions of one client each fill the table; 3 clients of a 17th
	 * count as "other": no edition is most of the 19 */
	char name[32];
	for (int i = 0; i < HGROUPS_EDITIONS; i++) {
		snprintf(name, sizeof name, "edition %02d", i);
		hgroups_add_edition(&h, 7, name, true);
	}
	for (int i = 0; i < 3; i++)
		hgroups_add_edition(&h, 7, "beyond", true);
	ck_assert_uint_eq(h.g[0].ed_other, 3);
	ck_assert_ptr_null(hgroup_most(&h.g[0]));
	/* one named edition alone is most */
	reset();
	hgroups_add_edition(&h, 7, "a", true);
	ck_assert_ptr_nonnull(hgroup_most(&h.g[0]));
}
END_TEST

START_TEST(unnamed_is_never_most)
{
	reset();
	for (int i = 0; i < 5; i++)
		hgroups_add_edition(&h, 0xC004F042u, "SKU 0123abcd-0000-0000-0000-000000000000", false);
	hgroups_sort(&h);
	ck_assert_uint_eq(h.g[0].ed[0].n, 5);
	ck_assert(!h.g[0].ed[0].named);
	ck_assert_ptr_null(hgroup_most(&h.g[0]));
	/* without editions (check_kms_renewal's groups) nothing is most */
	reset();
	hgroups_add(&h, 0xC004F038u);
	ck_assert_uint_eq(h.g[0].n_editions, 0);
	ck_assert_ptr_null(hgroup_most(&h.g[0]));
}
END_TEST

/* hgroups_init() on a used table: every group and edition starts again
 * from nothing, though only the counters were written. */
START_TEST(init_reuses_a_filled_table)
{
	memset(&h, 0xA5, sizeof h); /* what a stack struct may hold */
	hgroups_init(&h);
	ck_assert_uint_eq(h.n_groups, 0);
	ck_assert_uint_eq(h.total, 0);
	hgroups_add_edition(&h, 0xC004F042u, "Windows Server 2025 Standard", true);
	hgroups_add(&h, 0xC004F038u);
	ck_assert_uint_eq(h.n_groups, 2);
	ck_assert_uint_eq(h.other, 0);
	ck_assert_uint_eq(h.g[0].n, 1);
	ck_assert_uint_eq(h.g[0].n_editions, 1);
	ck_assert_uint_eq(h.g[0].ed_other, 0);
	ck_assert_str_eq(h.g[0].ed[0].name, "Windows Server 2025 Standard");
	ck_assert_uint_eq(h.g[1].n_editions, 0);
	ck_assert_uint_eq(h.g[1].ed_other, 0);
	hgroups_sort(&h); /* one client each: by code, 0xC004F038 first */
	ck_assert_ptr_eq(hgroup_most(&h.g[0]), NULL);
	ck_assert_ptr_nonnull(hgroup_most(&h.g[1]));
}
END_TEST

START_TEST(describe)
{
	char buf[160];
	ck_assert_str_eq(hresult_describe(buf, sizeof buf, 0xC004F038u),
			 "0xC004F038 (KMS count insufficient)");
	ck_assert_str_eq(hresult_describe(buf, sizeof buf, 0x80004005u), "0x80004005");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hgroups");
	TCase *tc = tcase_create("hgroups");
	tcase_add_test(tc, codes_up_to_the_limit);
	tcase_add_test(tc, editions_up_to_the_limit);
	tcase_add_test(tc, long_names_are_cut);
	tcase_add_test(tc, ties_sort_by_code_and_name);
	tcase_add_test(tc, most_is_more_than_half);
	tcase_add_test(tc, most_counts_the_other_editions);
	tcase_add_test(tc, unnamed_is_never_most);
	tcase_add_test(tc, init_reuses_a_filled_table);
	tcase_add_test(tc, describe);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
