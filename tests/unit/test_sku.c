/* test_sku.c - unit tests of common/sku.c: the SKU table's integrity (every
 * id a canonical GUID, once; a known application; a count of 5 or 25), its
 * lookups in every spelling, and the client classification rule in each of
 * its branches and their order. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "doc.h"
#include "sku.h"
#include "unit.h"

static bool canonical(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

START_TEST(table_integrity)
{
	size_t n;
	const struct sku *t = sku_table(&n);
	ck_assert_uint_ge(n, 80);
	size_t per_app[3] = { 0, 0, 0 };
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(canonical(t[i].id), "entry %zu: id %s", i, t[i].id);
		ck_assert_msg(t[i].edition && t[i].edition[0], "entry %zu: no edition", i);
		ck_assert_msg(t[i].min_count == 5 || t[i].min_count == 25,
			      "%s: count %d", t[i].edition, t[i].min_count);
		if (strcmp(t[i].app_id, APPID_WINDOWS) == 0) {
			per_app[0]++;
			/* servers need 5, client OSes 25 */
			bool server = strstr(t[i].edition, "Server") != NULL;
			ck_assert_msg(t[i].min_count == (server ? 5 : 25), "%s", t[i].edition);
			ck_assert_msg(strncmp(t[i].edition, "Windows ", 8) == 0, "%s", t[i].edition);
		} else if (strcmp(t[i].app_id, APPID_OFFICE2013) == 0) {
			per_app[1]++;
			ck_assert_int_eq(t[i].min_count, 5);
			ck_assert_ptr_null(strstr(t[i].edition, "2010"));
		} else if (strcmp(t[i].app_id, APPID_OFFICE2010) == 0) {
			per_app[2]++;
			ck_assert_int_eq(t[i].min_count, 5);
			ck_assert_ptr_nonnull(strstr(t[i].edition, "2010"));
		} else {
			ck_abort_msg("%s: unknown application %s", t[i].edition, t[i].app_id);
		}
		/* never an application id as a SKU id */
		ck_assert_str_ne(t[i].id, APPID_WINDOWS);
		ck_assert_str_ne(t[i].id, APPID_OFFICE2013);
		for (size_t j = 0; j < i; j++) {
			ck_assert_msg(strcmp(t[i].id, t[j].id) != 0, "%s twice (%s, %s)",
				      t[i].id, t[j].edition, t[i].edition);
			ck_assert_msg(strcmp(t[i].edition, t[j].edition) != 0, "edition %s twice",
				      t[i].edition);
		}
		/* every entry is found by its own id */
		ck_assert_ptr_eq(sku_lookup(t[i].id), &t[i]);
	}
	ck_assert_uint_ge(per_app[0], 40);
	ck_assert_uint_ge(per_app[1], 30);
	ck_assert_uint_ge(per_app[2], 5);
}
END_TEST

/* Known ids in the spellings Windows writes, with what they are. */
static const struct {
	const char *id, *edition, *app;
	int count;
} known[] = {
	{ "73111121-5638-40f6-bc11-f1d7b0d64300", "Windows 10/11 Enterprise", APPID_WINDOWS, 25 },
	{ "2de67392-b7a7-462a-b1ca-108dd189f588", "Windows 10/11 Pro", APPID_WINDOWS, 25 },
	{ "e0c42288-980c-4788-a014-c080d2e1926e", "Windows 10/11 Education", APPID_WINDOWS, 25 },
	{ "ae2ee509-1b34-41c0-acb7-6d4650168915", "Windows 7 Enterprise", APPID_WINDOWS, 25 },
	{ "b3ca044e-a358-4d68-9883-aaa2941aca99", "Windows Server 2012 R2 Standard", APPID_WINDOWS, 5 },
	{ "21c56779-b449-4d20-adfc-eece0e1ad74b", "Windows Server 2016 Datacenter", APPID_WINDOWS, 5 },
	{ "de32eafd-aaee-4662-9444-c1befb41bde2", "Windows Server 2019 Standard", APPID_WINDOWS, 5 },
	{ "ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03", "Windows Server 2022 Datacenter", APPID_WINDOWS, 5 },
	{ "7dc26449-db21-4e09-ba37-28f2958506a6", "Windows Server 2025 Standard", APPID_WINDOWS, 5 },
	{ "b322da9c-a2e2-4058-9e4e-f59a6970bd69", "Office Professional Plus 2013", APPID_OFFICE2013, 5 },
	{ "d450596f-894d-49e0-966a-fd39ed4c4c64", "Office Professional Plus 2016", APPID_OFFICE2013, 5 },
	{ "85dd8b5f-eaa4-4af3-a628-cce9e77c9a03", "Office Professional Plus 2019", APPID_OFFICE2013, 5 },
	{ "fbdb3e18-a8ef-4fb3-9183-dffd60bd0984", "Office LTSC Professional Plus 2021", APPID_OFFICE2013, 5 },
	{ "8d368fc1-9470-4be2-8d66-90e836cbb051", "Office LTSC Professional Plus 2024", APPID_OFFICE2013, 5 },
	{ "f510af75-8ab7-4426-a236-1bfb95c34ff8", "Project Professional 2024", APPID_OFFICE2013, 5 },
	{ "fa187091-8246-47b1-964f-80a0b1e5d69a", "Visio LTSC Professional 2024", APPID_OFFICE2013, 5 },
	{ "6f327760-8c5c-417c-9b61-836a98287e0c", "Office Professional Plus 2010", APPID_OFFICE2010, 5 },
};

START_TEST(known_ids_in_every_spelling)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		char up[40], forms[5][64];
		for (size_t k = 0; k < sizeof up && k <= strlen(known[i].id); k++)
			up[k] = (char)toupper((unsigned char)known[i].id[k]);
		snprintf(forms[0], sizeof forms[0], "%s", known[i].id);
		snprintf(forms[1], sizeof forms[1], "%s", up);
		snprintf(forms[2], sizeof forms[2], "{%s}", up);
		snprintf(forms[3], sizeof forms[3], " {%s} ", known[i].id);
		snprintf(forms[4], sizeof forms[4], "\t%s\n", up);
		for (int f = 0; f < 5; f++) {
			const struct sku *s = sku_lookup(forms[f]);
			ck_assert_msg(s, "%s not found", forms[f]);
			ck_assert_str_eq(s->id, known[i].id);
			ck_assert_str_eq(s->edition, known[i].edition);
			ck_assert_str_eq(s->app_id, known[i].app);
			ck_assert_int_eq(s->min_count, known[i].count);
		}
	}
}
END_TEST

START_TEST(unknown_ids)
{
	static const char *const ids[] = {
		APPID_WINDOWS, APPID_OFFICE2013, APPID_OFFICE2010,
		"00000000-0000-0000-0000-000000000000",
		"5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01",   /* the samples' synthetic SKUs */
		"73111121-5638-40f6-bc11-f1d7b0d64301",   /* one digit off */
		"73111121-5638-40f6-bc11-f1d7b0d6430",    /* one short */
		"73111121563840f6bc11f1d7b0d64300",       /* no dashes */
		"", "x", NULL,
	};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		ck_assert_msg(!sku_lookup(ids[i]), "%s found", ids[i] ? ids[i] : "NULL");
}
END_TEST

static struct doc_client mk(const char *sku, long long count, const char *app)
{
	struct doc_client c;
	memset(&c, 0, sizeof c);
	c.name = "pc";
	c.sku_id = sku;
	c.required_count = count;
	c.application_id = app;
	return c;
}

/* Each branch of the rule, and that an earlier one wins over a later one. */
START_TEST(classification_rule)
{
	static const struct {
		const char *sku;
		long long count;
		const char *app;
		enum product_basis basis;
		const char *app_out, *name;
		enum app_family fam;
	} cases[] = {
		/* the table first, whatever the count or application id say */
		{ "73111121-5638-40f6-bc11-f1d7b0d64300", 25, NULL, PB_SKU, APPID_WINDOWS,
		  "Windows 10/11 Enterprise", APP_WINDOWS },
		{ "73111121-5638-40f6-bc11-f1d7b0d64300", DOC_ABSENT, APPID_OFFICE2013, PB_SKU,
		  APPID_WINDOWS, "Windows 10/11 Enterprise", APP_WINDOWS },
		{ "8d368fc1-9470-4be2-8d66-90e836cbb051", 25, APPID_WINDOWS, PB_SKU, APPID_OFFICE2013,
		  "Office LTSC Professional Plus 2024", APP_OFFICE },
		{ "ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03", 5, NULL, PB_SKU, APPID_WINDOWS,
		  "Windows Server 2022 Datacenter", APP_WINDOWS },
		{ "6f327760-8c5c-417c-9b61-836a98287e0c", 5, NULL, PB_SKU, APPID_OFFICE2010,
		  "Office Professional Plus 2010", APP_OFFICE },
		/* an unknown SKU: a count of 25 is a Windows client OS */
		{ "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01", 25, NULL, PB_COUNT, APPID_WINDOWS,
		  "Windows client OS", APP_WINDOWS },
		{ NULL, 25, APPID_OFFICE2013, PB_COUNT, APPID_WINDOWS, "Windows client OS", APP_WINDOWS },
		/* then the record's application id */
		{ "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c3e01", 5, APPID_OFFICE2013, PB_APPID,
		  APPID_OFFICE2013, "Office 2013+", APP_OFFICE },
		{ NULL, DOC_ABSENT, APPID_WINDOWS, PB_APPID, APPID_WINDOWS, "Windows", APP_WINDOWS },
		{ NULL, 1, APPID_OFFICE2010, PB_APPID, APPID_OFFICE2010, "Office 2010", APP_OFFICE },
		{ NULL, 5, "12345678-1234-1234-1234-123456789abc", PB_APPID,
		  "12345678-1234-1234-1234-123456789abc",
		  "application 12345678-1234-1234-1234-123456789abc", APP_OTHER },
		/* 5 alone: a server OS or Office, not settled */
		{ "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c2e01", 5, NULL, PB_AMBIGUOUS, NULL,
		  "server OS or Office", APP_OTHER },
		{ NULL, 5, NULL, PB_AMBIGUOUS, NULL, "server OS or Office", APP_OTHER },
		/* nothing settles it */
		{ NULL, DOC_ABSENT, NULL, PB_UNKNOWN, NULL, "unknown product", APP_OTHER },
		{ "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01", DOC_ABSENT, NULL, PB_UNKNOWN, NULL,
		  "unknown product", APP_OTHER },
		{ "5a1e0c4b-7e2d-4c1a-9f3e-2b8d6a0c1e01", 50, NULL, PB_UNKNOWN, NULL,
		  "unknown product", APP_OTHER },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct doc_client c = mk(cases[i].sku, cases[i].count, cases[i].app);
		struct client_product cp;
		client_product(&c, &cp);
		ck_assert_msg(cp.basis == cases[i].basis, "case %zu: basis %d", i, cp.basis);
		if (cases[i].app_out)
			ck_assert_str_eq(cp.app_id, cases[i].app_out);
		else
			ck_assert_ptr_null(cp.app_id);
		ck_assert_str_eq(cp.name, cases[i].name);
		ck_assert_int_eq(cp.family, cases[i].fam);
		ck_assert(cases[i].basis == PB_SKU ? cp.sku != NULL : cp.sku == NULL);
	}
	ck_assert_str_eq(app_short_name("{55C92734-D682-4D71-983E-D6EC3F16059F}"), "Windows");
	ck_assert_str_eq(app_short_name(APPID_OFFICE2013), "Office 2013+");
	ck_assert_str_eq(app_short_name(APPID_OFFICE2010), "Office 2010");
	ck_assert_ptr_null(app_short_name("12345678-1234-1234-1234-123456789abc"));
	ck_assert_ptr_null(app_short_name(NULL));
	ck_assert_ptr_null(app_short_name("windows"));
}
END_TEST

static Suite *sku_suite(void)
{
	Suite *s = suite_create("sku");
	TCase *tc = tcase_create("sku");
	tcase_add_test(tc, table_integrity);
	tcase_add_test(tc, known_ids_in_every_spelling);
	tcase_add_test(tc, unknown_ids);
	tcase_add_test(tc, classification_rule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(sku_suite());
}
