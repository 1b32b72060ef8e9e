/* test_rpc_bind.c - unit tests of common/rpc_bind.c: the exact bytes of the
 * bind PDU against a vector written from the DCE 1.1 / MS-RPCE layout, and
 * the bind_ack / bind_nak parser on good, rejecting and lying answers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rpc_bind.h"
#include "unit.h"

/* The bind, field by field (DCE 1.1 12.6.3.1 common header, 12.6.4.3 bind;
 * MS-RPCE 2.2.2.13 bind-time feature negotiation). */
static const unsigned char BIND_VECTOR[160] = {
	0x05, 0x00,             /* rpc_vers 5, rpc_vers_minor 0 */
	0x0b,                   /* PTYPE bind */
	0x03,                   /* pfc_flags PFC_FIRST_FRAG | PFC_LAST_FRAG */
	0x10, 0x00, 0x00, 0x00, /* drep: little-endian, ASCII, IEEE */
	0xa0, 0x00,             /* frag_length 160 */
	0x00, 0x00,             /* auth_length 0 */
	0x2a, 0x00, 0x00, 0x00, /* call_id 42 */
	0xd0, 0x16, 0xd0, 0x16, /* max_xmit_frag, max_recv_frag 5840 */
	0x00, 0x00, 0x00, 0x00, /* assoc_group_id 0 */
	0x03, 0x00, 0x00, 0x00, /* n_context_elem 3, reserved */
	/* ctx 0: KMS 51c82175-844e-4750-b0d8-ec255555bc06 v1.0, NDR v2.0 */
	0x00, 0x00, 0x01, 0x00,
	0x75, 0x21, 0xc8, 0x51, 0x4e, 0x84, 0x50, 0x47,
	0xb0, 0xd8, 0xec, 0x25, 0x55, 0x55, 0xbc, 0x06, 0x01, 0x00, 0x00, 0x00,
	0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
	0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
	/* ctx 1: KMS v1.0, NDR64 71710533-beba-4937-8319-b5dbef9ccc36 v1.0 */
	0x01, 0x00, 0x01, 0x00,
	0x75, 0x21, 0xc8, 0x51, 0x4e, 0x84, 0x50, 0x47,
	0xb0, 0xd8, 0xec, 0x25, 0x55, 0x55, 0xbc, 0x06, 0x01, 0x00, 0x00, 0x00,
	0x33, 0x05, 0x71, 0x71, 0xba, 0xbe, 0x37, 0x49,
	0x83, 0x19, 0xb5, 0xdb, 0xef, 0x9c, 0xcc, 0x36, 0x01, 0x00, 0x00, 0x00,
	/* ctx 2: KMS v1.0, bind-time feature negotiation
	 * 6cb71c2c-9812-4540-0300-000000000000 v1.0 */
	0x02, 0x00, 0x01, 0x00,
	0x75, 0x21, 0xc8, 0x51, 0x4e, 0x84, 0x50, 0x47,
	0xb0, 0xd8, 0xec, 0x25, 0x55, 0x55, 0xbc, 0x06, 0x01, 0x00, 0x00, 0x00,
	0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
};

static size_t put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
	return 2;
}

struct ctx_result {
	unsigned result, reason;
};

/* A bind_ack as a server writes it: header, max frags, assoc group,
 * sec_addr "1688\0", padding to 4, results. Returns its length. */
static size_t make_ack(unsigned char *b, uint32_t call_id, const struct ctx_result *r,
		       size_t n)
{
	size_t o = 0;
	memset(b, 0, 512);
	b[0] = 5; b[1] = 0; b[2] = 12; b[3] = 3; b[4] = 0x10;
	b[12] = (unsigned char)call_id;
	b[13] = (unsigned char)(call_id >> 8);
	o = 16;
	o += put16(b + o, 5840);
	o += put16(b + o, 5840);
	b[o] = 0x34; b[o + 1] = 0x12; o += 4;
	o += put16(b + o, 5);
	memcpy(b + o, "1688", 5);
	o += 5;
	while (o % 4)
		b[o++] = 0;
	b[o] = (unsigned char)n;
	o += 4;
	for (size_t i = 0; i < n; i++) {
		o += put16(b + o, r[i].result);
		o += put16(b + o, r[i].reason);
		o += 20;
	}
	put16(b + 8, (unsigned)o);
	return o;
}

static size_t make_nak(unsigned char *b, unsigned reason)
{
	memset(b, 0, 64);
	b[0] = 5; b[2] = 13; b[3] = 3; b[4] = 0x10;
	b[12] = 1;
	put16(b + 16, reason);
	b[18] = 1; b[19] = 5; b[20] = 0;
	put16(b + 8, 21);
	return 21;
}

static struct rpc_probe_result res;

static enum rpc_outcome parse(const unsigned char *b, size_t n, uint32_t cid)
{
	memset(&res, 0, sizeof res);
	return rpc_bind_answer_parse(b, n, cid, &res);
}

START_TEST(build_matches_vector)
{
	unsigned char buf[256];
	size_t n = rpc_bind_build(buf, sizeof buf, 42);
	ck_assert_uint_eq(n, sizeof BIND_VECTOR);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(buf[i] == BIND_VECTOR[i], "byte %zu: 0x%02x, expected 0x%02x",
			      i, buf[i], BIND_VECTOR[i]);
	ck_assert_uint_eq(rpc_bind_build(buf, 159, 42), 0);
}
END_TEST

START_TEST(accepted_ndr)
{
	unsigned char b[512];
	struct ctx_result r[3] = { { 0, 0 }, { 2, 2 }, { 3, 3 } };
	size_t n = make_ack(b, 1, r, 3);
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
	ck_assert_str_eq(res.detail, "bind accepted (KMS interface with NDR)");
}
END_TEST

START_TEST(accepted_ndr64_only)
{
	unsigned char b[512];
	struct ctx_result r[3] = { { 2, 2 }, { 0, 0 }, { 3, 3 } };
	size_t n = make_ack(b, 1, r, 3);
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
	ck_assert_str_eq(res.detail, "bind accepted (KMS interface with NDR64)");
}
END_TEST

START_TEST(accept_of_feature_context_is_not_kms)
{
	unsigned char b[512];
	struct ctx_result r[3] = { { 2, 1 }, { 2, 1 }, { 0, 0 } };
	size_t n = make_ack(b, 1, r, 3);
	ck_assert_int_eq(parse(b, n, 1), RPC_REJECTED);
}
END_TEST

START_TEST(rejected_reasons)
{
	static const struct { unsigned result, reason; const char *text; } cases[] = {
		{ 2, 0, "bind rejected: reason not specified" },
		{ 2, 1, "bind rejected: abstract syntax not supported" },
		{ 2, 2, "bind rejected: proposed transfer syntaxes not supported" },
		{ 2, 3, "bind rejected: local limit exceeded" },
		{ 2, 9, "bind rejected: reason 9" },
		{ 1, 1, "rejected by the server application: abstract syntax not supported" },
		{ 3, 3, "answered with negotiate_ack (result 3, reason 3)" },
	};
	unsigned char b[512];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ctx_result r[2] = { { cases[i].result, cases[i].reason },
					   { 2, 2 } };
		size_t n = make_ack(b, 1, r, 2);
		ck_assert_int_eq(parse(b, n, 1), RPC_REJECTED);
		ck_assert_uint_eq(res.reason, cases[i].reason);
		ck_assert_str_eq(res.detail, cases[i].text);
	}
}
END_TEST

START_TEST(nak_reasons)
{
	static const char *const names[] = {
		"bind_nak: reason not specified", "bind_nak: temporary congestion",
		"bind_nak: local limit exceeded",
		"bind_nak: called presentation address unknown",
		"bind_nak: protocol version not supported",
	};
	unsigned char b[64];
	for (unsigned i = 0; i < 5; i++) {
		size_t n = make_nak(b, i);
		ck_assert_int_eq(parse(b, n, 1), RPC_NAK);
		ck_assert_uint_eq(res.reason, i);
		ck_assert_str_eq(res.detail, names[i]);
	}
	size_t n = make_nak(b, 77);
	ck_assert_int_eq(parse(b, n, 1), RPC_NAK);
	ck_assert_str_eq(res.detail, "bind_nak: reason 77");
}
END_TEST

START_TEST(wrong_version_and_type)
{
	unsigned char b[512];
	struct ctx_result r[1] = { { 0, 0 } };
	size_t n = make_ack(b, 1, r, 1);
	b[0] = 4;
	ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
	b[0] = 5;
	b[1] = 1;
	ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
	ck_assert_str_eq(res.detail, "DCE/RPC version 5.1, expected 5.0");
	b[1] = 0;
	b[2] = 2; /* response */
	ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
	ck_assert_str_eq(res.detail,
			 "PDU type 2 where a bind_ack (12) or bind_nak (13) was expected");
	b[2] = 11; /* a bind echoed back */
	ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
	b[2] = 12;
	b[4] = 0x20; /* no such integer representation */
	ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
	const unsigned char http[] = "HTTP/1.1 400 Bad Request\r\n";
	ck_assert_int_eq(parse(http, sizeof http - 1, 1), RPC_NOT_DCERPC);
	ck_assert_str_eq(res.detail,
			 "first bytes \"HTTP/1.1\" are not a DCE/RPC 5.0 header");
}
END_TEST

/* Every prefix of a good answer is refused, never read past. */
START_TEST(truncated_at_every_length)
{
	unsigned char b[512];
	struct ctx_result r[3] = { { 0, 0 }, { 2, 2 }, { 3, 3 } };
	size_t n = make_ack(b, 1, r, 3);
	ck_assert_int_eq(parse(b, 0, 1), RPC_CLOSED);
	for (size_t len = 1; len < n; len++) {
		unsigned char copy[512];
		memcpy(copy, b, len); /* exact-size copy: ASan/valgrind see overreads */
		enum rpc_outcome o = parse(copy, len, 1);
		ck_assert_msg(o == RPC_MALFORMED, "length %zu: outcome %d", len, o);
		ck_assert_msg(strstr(res.detail, "truncated") != NULL, "length %zu: %s", len,
			      res.detail);
	}
	unsigned char nak[64];
	size_t nn = make_nak(nak, 4);
	for (size_t len = 1; len < nn; len++)
		ck_assert_int_eq(parse(nak, len, 1), RPC_MALFORMED);
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
}
END_TEST

START_TEST(frag_length_lies)
{
	unsigned char b[512];
	struct ctx_result r[3] = { { 0, 0 }, { 2, 2 }, { 3, 3 } };
	size_t n = make_ack(b, 1, r, 3);
	put16(b + 8, 4000); /* more than was received */
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "truncated bind_ack: 108 of 4000 bytes");
	put16(b + 8, 65000); /* more than any bind answer */
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail,
			 "bind_ack frag_length 65000 exceeds the 4096 bytes a bind answer can need");
	put16(b + 8, 10); /* less than a header */
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	put16(b + 8, 40); /* ends inside the result list */
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "bind_ack claims 3 context results but has room for 0");
	put16(b + 8, 28); /* ends inside the secondary address */
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	put16(b + 8, (unsigned)n);
	put16(b + 10, 200); /* auth_length past the end */
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "bind_ack auth_length 200 runs past its end (108 bytes)");
}
END_TEST

START_TEST(sec_addr_overflow)
{
	unsigned char b[512];
	struct ctx_result r[1] = { { 0, 0 } };
	size_t n = make_ack(b, 1, r, 1);
	put16(b + 24, 0xffff);
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail,
			 "bind_ack secondary address length 65535 runs past its end (60 bytes)");
	put16(b + 24, 34); /* 26 + 34 = 60: fits, but leaves no result list */
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "bind_ack of 60 bytes ends before its result list");
}
END_TEST

START_TEST(n_results_overflow)
{
	unsigned char b[512];
	struct ctx_result r[1] = { { 0, 0 } };
	size_t n = make_ack(b, 1, r, 1);
	b[32] = 200;
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "bind_ack claims 200 context results but has room for 1");
	b[32] = 0;
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "bind_ack holds no presentation context result");
}
END_TEST

START_TEST(call_id_mismatch)
{
	unsigned char b[512];
	struct ctx_result r[1] = { { 0, 0 } };
	size_t n = make_ack(b, 7, r, 1);
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "bind_ack for call_id 7, the bind was call_id 1");
	ck_assert_int_eq(parse(b, n, 7), RPC_ACCEPTED);
}
END_TEST

START_TEST(big_endian_answer)
{
	unsigned char b[512];
	struct ctx_result r[1] = { { 0, 0 } };
	size_t n = make_ack(b, 1, r, 1);
	/* swap every 16/32-bit field the parser reads to big-endian */
	b[4] = 0x00;
	b[8] = 0; b[9] = (unsigned char)n;
	b[12] = 0; b[15] = 1;
	b[24] = 0; b[25] = 5;
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
}
END_TEST

START_TEST(describe_and_state)
{
	struct rpc_probe_result p;
	char buf[600];
	memset(&p, 0, sizeof p);
	p.outcome = RPC_ACCEPTED;
	p.total_s = 0.003214;
	rpc_probe_describe(&p, buf, sizeof buf);
	ck_assert_str_eq(buf, "answers KMS RPC in 3.2 ms");
	ck_assert_int_eq(rpc_probe_state(&p, STATE_WARNING), STATE_OK);
	p.outcome = RPC_REJECTED;
	p.reason = 1;
	snprintf(p.detail, sizeof p.detail, "bind rejected: abstract syntax not supported");
	rpc_probe_describe(&p, buf, sizeof buf);
	ck_assert_str_eq(buf, "answers DCE/RPC but is not a KMS host "
			      "(bind rejected: abstract syntax not supported)");
	ck_assert_int_eq(rpc_probe_state(&p, STATE_WARNING), STATE_CRITICAL);
	p.outcome = RPC_TIMEOUT;
	ck_assert_int_eq(rpc_probe_state(&p, STATE_WARNING), STATE_WARNING);
}
END_TEST

START_TEST(probe_refused_and_unresolvable)
{
	struct rpc_probe_result p;
	rpc_bind_probe("127.0.0.1", "1", 0, 2, &p);
	ck_assert_int_eq(p.outcome, RPC_CONNECT_FAILED);
	ck_assert_int_eq(p.net, NET_REFUSED);
	ck_assert_str_eq(p.detail, "connection refused");
	ck_assert_str_eq(p.address, "127.0.0.1");
	ck_assert(isnan(p.bind_s));
	rpc_bind_probe("kms.invalid", "1688", 0, 2, &p);
	ck_assert_int_eq(p.outcome, RPC_CONNECT_FAILED);
	ck_assert_int_eq(p.net, NET_RESOLVE);
	ck_assert(strncmp(p.detail, "name does not resolve", 21) == 0);
	struct rpc_target t[2] = { { "127.0.0.1", "1" }, { "kms.invalid", "1688" } };
	struct rpc_probe_result many[2];
	rpc_bind_probe_many(t, 2, 0, 2, many);
	ck_assert_int_eq(many[0].net, NET_REFUSED);
	ck_assert_int_eq(many[1].net, NET_RESOLVE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rpc_bind");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, build_matches_vector);
	tcase_add_test(tc, accepted_ndr);
	tcase_add_test(tc, accepted_ndr64_only);
	tcase_add_test(tc, accept_of_feature_context_is_not_kms);
	tcase_add_test(tc, rejected_reasons);
	tcase_add_test(tc, nak_reasons);
	tcase_add_test(tc, wrong_version_and_type);
	tcase_add_test(tc, truncated_at_every_length);
	tcase_add_test(tc, frag_length_lies);
	tcase_add_test(tc, sec_addr_overflow);
	tcase_add_test(tc, n_results_overflow);
	tcase_add_test(tc, call_id_mismatch);
	tcase_add_test(tc, big_endian_answer);
	tcase_add_test(tc, describe_and_state);
	tcase_add_test(tc, probe_refused_and_unresolvable);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
