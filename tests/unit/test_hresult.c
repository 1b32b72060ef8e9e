/* test_hresult.c - unit tests of common/hresult.c: parsing the hex forms
 * found in event logs and documents, and the meanings shown in output. */
#include <check.h>
#include <stdint.h>

#include "hresult.h"
#include "unit.h"

START_TEST(parse_good)
{
	uint32_t v = 1;
	ck_assert(hresult_parse("0x0", &v) && v == 0);
	ck_assert(hresult_parse("0xC004F038", &v) && v == 0xC004F038u);
	ck_assert(hresult_parse("0Xc004f038", &v) && v == 0xC004F038u);
	ck_assert(hresult_parse("C004F074", &v) && v == 0xC004F074u);
	ck_assert(hresult_parse("0x8007232a", &v) && v == 0x8007232Au);
	ck_assert(hresult_parse("0xFFFFFFFF", &v) && v == 0xFFFFFFFFu);
	ck_assert(hresult_parse("00000000", &v) && v == 0);
}
END_TEST

START_TEST(parse_bad)
{
	uint32_t v = 7;
	ck_assert(!hresult_parse(NULL, &v));
	ck_assert(!hresult_parse("", &v));
	ck_assert(!hresult_parse("0x", &v));
	ck_assert(!hresult_parse("0x1C004F038", &v)); /* 9 digits */
	ck_assert(!hresult_parse("0xC004F03G", &v));
	ck_assert(!hresult_parse(" 0x0", &v));
	ck_assert(!hresult_parse("0x0 ", &v));
	ck_assert(!hresult_parse("-0x1", &v));
	ck_assert(!hresult_parse("0x-1", &v));
	ck_assert_uint_eq(v, 7); /* untouched on failure */
}
END_TEST

START_TEST(meanings)
{
	ck_assert_str_eq(hresult_meaning(0), "success");
	ck_assert_str_eq(hresult_meaning(0xC004F038u), "KMS count insufficient");
	ck_assert_str_eq(hresult_meaning(0xC004F074u), "no KMS reachable");
	ck_assert_str_eq(hresult_meaning(0xC004F039u), "KMS not enabled");
	ck_assert_str_eq(hresult_meaning(0xC004F041u), "KMS host not activated");
	ck_assert_str_eq(hresult_meaning(0xC004F042u), "product not served by this KMS host");
	ck_assert_str_eq(hresult_meaning(0xC004C008u), "host key activation limit reached");
	ck_assert_str_eq(hresult_meaning(0xC004F050u), "invalid product key");
	ck_assert_str_eq(hresult_meaning(0x8007232Au), "DNS server failure");
	ck_assert_str_eq(hresult_meaning(0x8007232Bu), "DNS name does not exist");
	ck_assert_str_eq(hresult_meaning(0x800706BAu), "RPC server unavailable");
	ck_assert_str_eq(hresult_meaning(0xC004F06Cu), "client time outside the validity window");
	ck_assert_ptr_null(hresult_meaning(0x80004005u));
	ck_assert_ptr_null(hresult_meaning(1));
}
END_TEST

START_TEST(edition_phrases)
{
	ck_assert_str_eq(hresult_edition_phrase(0xC004F042u), "this host key cannot activate "
			 "it; install a newer host key (CSVLK)");
	ck_assert_str_eq(hresult_edition_phrase(0xC004F038u), "KMS count insufficient");
	ck_assert_ptr_null(hresult_edition_phrase(0x80004005u));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hresult");
	TCase *tc = tcase_create("hresult");
	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, parse_bad);
	tcase_add_test(tc, meanings);
	tcase_add_test(tc, edition_phrases);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
