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
	const unsigned char *syntax; /* 20 bytes; NULL: what the bind offered
					in this context when accepted, else zero */
};

/* Transfer syntaxes as the bind offers them (BIND_VECTOR above). */
static const unsigned char *const OFFERED[3] = {
	BIND_VECTOR + 28 + 24, BIND_VECTOR + 28 + 44 + 24, BIND_VECTOR + 28 + 88 + 24,
};
static const unsigned char ZERO[20];

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
		const unsigned char *syn = r[i].syntax ? r[i].syntax
				: r[i].result == 0 && i < 3 ? OFFERED[i] : ZERO;
		memcpy(b + o, syn, 20);
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
	struct ctx_result r[3] = { { 0, 0, NULL }, { 2, 2, NULL }, { 3, 3, NULL } };
	size_t n = make_ack(b, 1, r, 3);
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
	ck_assert_str_eq(res.detail, "bind accepted (KMS interface with NDR)");
}
END_TEST

START_TEST(accepted_ndr64_only)
{
	unsigned char b[512];
	struct ctx_result r[3] = { { 2, 2, NULL }, { 0, 0, NULL }, { 3, 3, NULL } };
	size_t n = make_ack(b, 1, r, 3);
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
	ck_assert_str_eq(res.detail, "bind accepted (KMS interface with NDR64)");
}
END_TEST

START_TEST(accept_of_feature_context_is_not_kms)
{
	unsigned char b[512];
	struct ctx_result r[3] = { { 2, 1, NULL }, { 2, 1, NULL }, { 0, 0, NULL } };
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
		struct ctx_result r[2] = { { cases[i].result, cases[i].reason, NULL },
					   { 2, 2, NULL } };
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
	struct ctx_result r[1] = { { 0, 0, NULL } };
	size_t n = make_ack(b, 1, r, 1);
	b[0] = 4;
	ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
	b[0] = 5;
	b[1] = 1;
	ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
	ck_assert_str_eq(res.detail, "DCE/RPC version 5.1, expected 5.0");
	b[1] = 0;
	b[2] = 2; /* response: DCE/RPC, named for what it is */
	ck_assert_int_eq(parse(b, n, 1), RPC_WRONG_PDU);
	ck_assert_str_eq(res.detail, "response (PDU type 2)");
	b[2] = 11; /* a bind echoed back */
	ck_assert_int_eq(parse(b, n, 1), RPC_WRONG_PDU);
	ck_assert_str_eq(res.detail, "bind (PDU type 11)");
	b[2] = 15;
	ck_assert_int_eq(parse(b, n, 1), RPC_WRONG_PDU);
	ck_assert_str_eq(res.detail, "alter_context_resp (PDU type 15)");
	ck_assert_int_eq(res.ptype, 15);
	static const unsigned not_co[] = { 1, 4, 5, 6, 7, 8, 9, 10, 20, 200, 255 };
	for (size_t i = 0; i < sizeof not_co / sizeof not_co[0]; i++) {
		char want[80];
		b[2] = (unsigned char)not_co[i];
		ck_assert_int_eq(parse(b, n, 1), RPC_NOT_DCERPC);
		snprintf(want, sizeof want,
			 "PDU type %u is not a connection-oriented DCE/RPC type", not_co[i]);
		ck_assert_str_eq(res.detail, want);
	}
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
	struct ctx_result r[3] = { { 0, 0, NULL }, { 2, 2, NULL }, { 3, 3, NULL } };
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
	struct ctx_result r[3] = { { 0, 0, NULL }, { 2, 2, NULL }, { 3, 3, NULL } };
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
	struct ctx_result r[1] = { { 0, 0, NULL } };
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
	struct ctx_result r[1] = { { 0, 0, NULL } };
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
	struct ctx_result r[1] = { { 0, 0, NULL } };
	size_t n = make_ack(b, 7, r, 1);
	ck_assert_int_eq(parse(b, n, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "bind_ack for call_id 7, the bind was call_id 1");
	ck_assert_int_eq(parse(b, n, 7), RPC_ACCEPTED);
}
END_TEST

START_TEST(big_endian_answer)
{
	unsigned char b[512];
	struct ctx_result r[1] = { { 0, 0, NULL } };
	size_t n = make_ack(b, 1, r, 1);
	/* swap every 16/32-bit field the parser reads to big-endian */
	b[4] = 0x00;
	b[8] = 0; b[9] = (unsigned char)n;
	b[12] = 0; b[15] = 1;
	b[24] = 0; b[25] = 5;
	/* NDR's syntax id with its integer fields big-endian, at the first
	 * result (offset 36) after result and reason */
	static const unsigned char ndr_be[20] = {
		0x8a, 0x88, 0x5d, 0x04, 0x1c, 0xeb, 0x11, 0xc9,
		0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x00, 0x02, 0x00, 0x00 };
	memcpy(b + 40, ndr_be, 20);
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
	memcpy(b + 40, OFFERED[0], 20); /* little-endian bytes in a BE answer */
	ck_assert_int_eq(parse(b, n, 1), RPC_BAD_SYNTAX);
}
END_TEST

/* An acceptance counts only with the syntax offered in that context. */
START_TEST(accepted_with_a_syntax_never_offered)
{
	static const unsigned char NDR_V1[20] = {
		0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
		0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x01, 0x00, 0x00, 0x00 };
	static const unsigned char NDR_MINOR[20] = {
		0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
		0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x01, 0x00 };
	static const unsigned char NDR_ONE_BIT[20] = {
		0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
		0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x61, 0x02, 0x00, 0x00, 0x00 };
	const struct {
		struct ctx_result r[3];
		size_t n;
		const char *detail;
	} cases[] = {
		{ { { 0, 0, ZERO }, { 2, 2, NULL }, { 3, 3, NULL } }, 3,
		  "bind accepted with an unknown transfer syntax "
		  "(00000000-0000-0000-0000-000000000000 v0.0 in context 0)" },
		{ { { 0, 0, NDR_V1 } }, 1, "bind accepted with an unknown transfer syntax "
		  "(8a885d04-1ceb-11c9-9fe8-08002b104860 v1.0 in context 0)" },
		{ { { 0, 0, NDR_MINOR } }, 1, "bind accepted with an unknown transfer syntax "
		  "(8a885d04-1ceb-11c9-9fe8-08002b104860 v2.1 in context 0)" },
		{ { { 0, 0, NDR_ONE_BIT } }, 1, "bind accepted with an unknown transfer syntax "
		  "(8a885d04-1ceb-11c9-9fe8-08002b104861 v2.0 in context 0)" },
		{ { { 2, 2, NULL }, { 0, 0, OFFERED[2] } }, 2,
		  "bind accepted with an unknown transfer syntax (bind-time feature "
		  "negotiation 6cb71c2c-9812-4540-0300-000000000000 v1.0 in context 1)" },
		{ { { 0, 0, OFFERED[1] } }, 1, "bind accepted with a transfer syntax of "
		  "another context (NDR64 in context 0, offered NDR)" },
		{ { { 2, 2, NULL }, { 0, 0, OFFERED[0] } }, 2, "bind accepted with a "
		  "transfer syntax of another context (NDR in context 1, offered NDR64)" },
		{ { { 0, 0, NULL }, { 0, 0, ZERO } }, 2, "bind accepted with an unknown "
		  "transfer syntax (00000000-0000-0000-0000-000000000000 v0.0 in context 1)" },
	};
	unsigned char b[512];
	char text[600];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = make_ack(b, 1, cases[i].r, cases[i].n);
		ck_assert_int_eq(parse(b, n, 1), RPC_BAD_SYNTAX);
		ck_assert_str_eq(res.detail, cases[i].detail);
		ck_assert_int_eq(rpc_probe_state(&res, STATE_OK), STATE_CRITICAL);
		rpc_probe_describe(&res, text, sizeof text);
		ck_assert_str_eq(text, cases[i].detail);
		rpc_probe_headline(&res, text, sizeof text);
		ck_assert(strncmp(text, "bind accepted with ", 19) == 0);
		ck_assert(strchr(text, '(') == NULL);
	}
	/* both KMS contexts accepted, each with its own syntax: fine */
	struct ctx_result ok[3] = { { 0, 0, NULL }, { 0, 0, NULL }, { 3, 3, NULL } };
	size_t n = make_ack(b, 1, ok, 3);
	ck_assert_int_eq(parse(b, n, 1), RPC_ACCEPTED);
	ck_assert_uint_eq(res.n_ctx, 3);
	ck_assert_str_eq(res.ctx[0].syntax, "NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0");
	ck_assert_str_eq(res.ctx[1].syntax, "NDR64 71710533-beba-4937-8319-b5dbef9ccc36 v1.0");
	ck_assert_uint_eq(res.ctx[2].result, 3);
	ck_assert_uint_eq(res.max_xmit, 5840);
	ck_assert_uint_eq(res.max_recv, 5840);
}
END_TEST

static size_t make_fault(unsigned char *b, uint32_t status, uint32_t call_id)
{
	memset(b, 0, 64);
	b[0] = 5; b[2] = 3; b[3] = 3; b[4] = 0x10;
	b[12] = (unsigned char)call_id;
	for (int i = 0; i < 4; i++)
		b[24 + i] = (unsigned char)(status >> (8 * i));
	put16(b + 8, 32);
	return 32;
}

START_TEST(faults_are_named)
{
	static const struct { uint32_t st; const char *detail; } cases[] = {
		{ 0x1c010003, "fault 0x1c010003 (nca_s_unk_if)" },
		{ 0x1c010002, "fault 0x1c010002 (nca_s_op_rng_error)" },
		{ 0x1c00001c, "fault 0x1c00001c (nca_s_invalid_pres_context_id)" },
		{ 0x00000005, "fault 0x00000005 (access denied)" },
		{ 0x000006f7, "fault 0x000006f7 (rpc_x_bad_stub_data)" },
		{ 0xdeadbeef, "fault 0xdeadbeef" },
		{ 0, "fault 0x00000000" },
	};
	unsigned char b[64];
	char text[300];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* named whatever its call_id: a server may fault a call it could
		 * not read */
		size_t n = make_fault(b, cases[i].st, (uint32_t)i);
		ck_assert_int_eq(parse(b, n, 1), RPC_FAULT);
		ck_assert_str_eq(res.detail, cases[i].detail);
		ck_assert_uint_eq(res.reason, cases[i].st);
		rpc_probe_describe(&res, text, sizeof text);
		ck_assert(strncmp(text, "answered with a DCE/RPC fault 0x", 32) == 0);
		ck_assert_int_eq(rpc_probe_state(&res, STATE_OK), STATE_CRITICAL);
	}
	size_t n = make_fault(b, 0x1c010003, 1);
	rpc_probe_describe(&res, text, sizeof text);
	ck_assert_str_eq(text, "answered with a DCE/RPC fault 0x00000000");
	parse(b, n, 1);
	rpc_probe_headline(&res, text, sizeof text);
	ck_assert_str_eq(text, "answered with a DCE/RPC fault 0x1c010003");
	for (size_t len = 1; len < n; len++) {
		unsigned char copy[64];
		memcpy(copy, b, len);
		ck_assert_int_eq(parse(copy, len, 1), RPC_MALFORMED);
	}
	put16(b + 8, 24); /* ends before its status */
	ck_assert_int_eq(parse(b, 24, 1), RPC_MALFORMED);
	ck_assert_str_eq(res.detail, "fault of 24 bytes ends before its status");
}
END_TEST

START_TEST(offer_text)
{
	char t[200];
	ck_assert(rpc_bind_offer_text(0, t, sizeof t));
	ck_assert_str_eq(t, "context 0: KMS 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 with "
			    "NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0");
	ck_assert(rpc_bind_offer_text(2, t, sizeof t));
	ck_assert_str_eq(t, "context 2: KMS 51c82175-844e-4750-b0d8-ec255555bc06 v1.0 with "
			    "bind-time feature negotiation 6cb71c2c-9812-4540-0300-000000000000 v1.0");
	ck_assert(!rpc_bind_offer_text(3, t, sizeof t));
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
	/* a name no resolver takes fails before any lookup, so this test
	 * asks no resolver (tests never send a packet off loopback) */
	rpc_bind_probe("kms..invalid", "1688", 0, 2, &p);
	ck_assert_int_eq(p.outcome, RPC_CONNECT_FAILED);
	ck_assert_int_eq(p.net, NET_RESOLVE);
	ck_assert_str_eq(p.detail, "invalid host name \"kms..invalid\": empty label");
	struct rpc_target t[2] = { { "127.0.0.1", "1" }, { "-.invalid!", "1688" } };
	struct rpc_probe_result many[2];
	rpc_bind_probe_many(t, 2, 0, 2, many);
	ck_assert_int_eq(many[0].net, NET_REFUSED);
	ck_assert_int_eq(many[1].net, NET_RESOLVE);
}
END_TEST

START_TEST(host_names)
{
	static const char *const good[] = {
		"kms01", "kms01.corp.example", "kms01.corp.example.", "KMS_01-a.corp",
		"127.0.0.1", "127.1", "10.0.0.1", "::1", "fe80::1%eth0", "::ffff:10.0.0.1",
		"2001:db8::1", "a.b.c.d.e", "1x.2y",
	};
	static const struct { const char *name, *why; } bad[] = {
		{ "", "empty name" }, { ".", "empty name" }, { "a..b", "empty label" },
		{ ".kms", "empty label" }, { "kms..", "empty label" },
		{ "kms/01", "character '/' not allowed" }, { "kms:01", "not an IPv6 address" },
		{ "kms 01", "space or control character" }, { "k\xc3\xa4", "byte 0xc3 not allowed" },
		{ "kms*", "character '*' not allowed" }, { "[::1]",
		  "not an IPv6 address (give it without brackets)" },
		{ "10.0.0.300", "not an IPv4 address" }, { "1.2.3.4.5", "not an IPv4 address" },
		{ "kms.1688", "not an IPv4 address" }, { "fe80::1%", "not an IPv6 address" },
		{ ":::", "not an IPv6 address" }, { "x1.2", "not an IPv4 address" },
	};
	char why[64], name[300];
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(net_host_valid(good[i], why, sizeof why), "%s: %s", good[i], why);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(!net_host_valid(bad[i].name, why, sizeof why), "%s", bad[i].name);
		ck_assert_str_eq(why, bad[i].why);
	}
	memset(name, 'a', 64);
	name[64] = '\0';
	ck_assert(!net_host_valid(name, why, sizeof why));
	ck_assert_str_eq(why, "label longer than 63 bytes");
	name[63] = '\0';
	ck_assert(net_host_valid(name, why, sizeof why));
	for (size_t i = 0; i < 254; i++)
		name[i] = i % 2 ? '.' : 'a';
	name[253] = '\0'; /* 253 bytes, labels of one */
	ck_assert(net_host_valid(name, why, sizeof why));
	name[253] = 'a';
	name[254] = '\0';
	ck_assert(!net_host_valid(name, why, sizeof why));
	ck_assert_str_eq(why, "longer than 253 bytes");
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
	tcase_add_test(tc, accepted_with_a_syntax_never_offered);
	tcase_add_test(tc, faults_are_named);
	tcase_add_test(tc, offer_text);
	tcase_add_test(tc, host_names);
	tcase_add_test(tc, describe_and_state);
	tcase_add_test(tc, probe_refused_and_unresolvable);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
