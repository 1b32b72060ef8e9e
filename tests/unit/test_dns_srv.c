/* test_dns_srv.c - dns_srv_parse() on hand-built answer messages: good
 * answers with additional A/AAAA, compression, and every kind of damage
 * (truncation at every length, loops, lying counts, rdlength past the end),
 * plus rcodes and the server-spec and name helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_srv.h"
#include "unit.h"

/* A message under construction. */
struct msg {
	unsigned char b[1024];
	size_t n;
};

static void put8(struct msg *m, unsigned v) { m->b[m->n++] = (unsigned char)v; }
static void put16(struct msg *m, unsigned v) { put8(m, v >> 8); put8(m, v & 0xff); }
static void put32(struct msg *m, unsigned long v) { put16(m, (unsigned)(v >> 16)); put16(m, (unsigned)(v & 0xffff)); }

static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		put8(m, (unsigned)l);
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot ? 1 : 0);
	}
	put8(m, 0);
}

static void header(struct msg *m, unsigned rcode, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8580 | rcode);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* Question _vlmcs._tcp.corp.example SRV IN at offset 12. */
static void question(struct msg *m)
{
	put_name(m, "_vlmcs._tcp.corp.example");
	put16(m, 33);
	put16(m, 1);
}

/* An SRV RR owned by the question name (pointer 0xc00c). Returns the offset
 * of its target name. */
static size_t srv_rr(struct msg *m, unsigned prio, unsigned weight, unsigned port,
		     const char *target, unsigned long ttl)
{
	put16(m, 0xc00c);
	put16(m, 33);
	put16(m, 1);
	put32(m, ttl);
	size_t rdlen_at = m->n;
	put16(m, 0);
	put16(m, prio);
	put16(m, weight);
	put16(m, port);
	size_t target_at = m->n;
	put_name(m, target);
	size_t rdlen = m->n - rdlen_at - 2;
	m->b[rdlen_at] = (unsigned char)(rdlen >> 8);
	m->b[rdlen_at + 1] = (unsigned char)rdlen;
	return target_at;
}

static void a_rr(struct msg *m, unsigned name_ptr, const unsigned char *addr, unsigned len)
{
	put16(m, 0xc000 | name_ptr);
	put16(m, len == 4 ? 1 : 28);
	put16(m, 1);
	put32(m, 3600);
	put16(m, len);
	memcpy(m->b + m->n, addr, len);
	m->n += len;
}

static const unsigned char A11[4] = {10, 0, 0, 11};
static const unsigned char AAAA11[16] = {0xfd, 0, [15] = 0x11};

/* Two SRV records (second listed first in the message to test sorting),
 * additional A and AAAA for kms01 by compression pointer. */
static void good_message(struct msg *m)
{
	header(m, 0, 1, 3, 0, 2);
	question(m);
	srv_rr(m, 10, 100, 1688, "kms02.corp.example", 3600);
	size_t t1 = srv_rr(m, 0, 50, 1688, "KMS01.Corp.Example", 600);
	srv_rr(m, 0, 100, 1689, "kms03.corp.example", 60);
	a_rr(m, (unsigned)t1, A11, 4);
	a_rr(m, (unsigned)t1, AAAA11, 16);
}

START_TEST(good_answer_with_additional)
{
	struct msg m;
	good_message(&m);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_OK);
	ck_assert_uint_eq(a.n, 3);
	/* priority ascending, then weight descending */
	ck_assert_str_eq(a.records[0].target, "kms03.corp.example");
	ck_assert_uint_eq(a.records[0].port, 1689);
	ck_assert_uint_eq(a.records[0].weight, 100);
	ck_assert_uint_eq(a.records[0].ttl, 60);
	ck_assert_str_eq(a.records[1].target, "kms01.corp.example");
	ck_assert_uint_eq(a.records[1].weight, 50);
	ck_assert_uint_eq(a.records[1].n_addrs, 2);
	ck_assert_str_eq(a.records[1].addrs[0], "10.0.0.11");
	ck_assert_str_eq(a.records[1].addrs[1], "fd00::11");
	ck_assert_str_eq(a.records[2].target, "kms02.corp.example");
	ck_assert_uint_eq(a.records[2].priority, 10);
	ck_assert_uint_eq(a.records[2].n_addrs, 0);
	srv_answer_free(&a);
	ck_assert_ptr_null(a.records);
}
END_TEST

START_TEST(target_by_compression_pointer)
{
	/* target "kms01" + pointer to "corp.example" inside the question */
	struct msg m;
	header(&m, 0, 1, 1, 0, 0);
	question(&m);
	put16(&m, 0xc00c);
	put16(&m, 33);
	put16(&m, 1);
	put32(&m, 3600);
	put16(&m, 6 + 6 + 2);
	put16(&m, 0);
	put16(&m, 100);
	put16(&m, 1688);
	put8(&m, 5);
	memcpy(m.b + m.n, "kms01", 5);
	m.n += 5;
	put16(&m, 0xc000 | (12 + 7 + 5)); /* "corp.example" after "_vlmcs" "_tcp" */
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_OK);
	ck_assert_str_eq(a.records[0].target, "kms01.corp.example");
	srv_answer_free(&a);
}
END_TEST

START_TEST(compression_loop)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 0);
	question(&m);
	put16(&m, 0xc00c);
	put16(&m, 33);
	put16(&m, 1);
	put32(&m, 3600);
	put16(&m, 8);
	put16(&m, 0);
	put16(&m, 100);
	put16(&m, 1688);
	put16(&m, 0xc000 | (unsigned)m.n); /* points at itself */
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_str_eq(err, "name compression loop at offset 60 in answer record 1");
	ck_assert_ptr_null(a.records);
}
END_TEST

START_TEST(two_pointer_loop_in_owner)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 0);
	question(&m);
	size_t at = m.n;
	put16(&m, 0xc000 | (unsigned)(at + 2));
	put16(&m, 0xc000 | (unsigned)at);
	put16(&m, 33);
	put16(&m, 1);
	put32(&m, 1);
	put16(&m, 0);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_msg(strstr(err, "compression loop") != NULL, "%s", err);
}
END_TEST

START_TEST(pointer_beyond_end)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 0);
	question(&m);
	put16(&m, 0xc000 | 900);
	put16(&m, 33);
	put16(&m, 1);
	put32(&m, 1);
	put16(&m, 0);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_msg(strstr(err, "compression pointer to offset 900 beyond the end") != NULL, "%s", err);
}
END_TEST

/* Every proper prefix of a good message is refused with a named cause and
 * never read past (ASan/valgrind watch the heap copy). */
START_TEST(truncation_at_every_length)
{
	struct msg m;
	good_message(&m);
	for (size_t len = 0; len < m.n; len++) {
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, m.b, len);
		struct srv_answer a;
		char err[KMS_ERRLEN] = "";
		enum dns_status st = dns_srv_parse(copy, len, &a, err);
		ck_assert_msg(st == DNS_MALFORMED, "length %zu: status %d", len, st);
		ck_assert_msg(err[0] != '\0', "length %zu: no cause", len);
		ck_assert_ptr_null(a.records);
		free(copy);
	}
}
END_TEST

START_TEST(short_header)
{
	unsigned char b[7] = {0x12, 0x34, 0x81, 0x80};
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(b, sizeof b, &a, err), DNS_MALFORMED);
	ck_assert_str_eq(err, "answer truncated: 7 bytes, shorter than a DNS header (12)");
}
END_TEST

START_TEST(ancount_lies)
{
	struct msg m;
	header(&m, 0, 1, 3, 0, 0);
	question(&m);
	srv_rr(&m, 0, 100, 1688, "kms01.corp.example", 3600);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_str_eq(err, "header claims 3 answer records but the message holds only 1");
}
END_TEST

START_TEST(arcount_lies)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 4);
	question(&m);
	size_t t = srv_rr(&m, 0, 100, 1688, "kms01.corp.example", 3600);
	a_rr(&m, (unsigned)t, A11, 4);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_str_eq(err, "header claims 4 additional records but the message holds only 1");
}
END_TEST

START_TEST(rdlength_past_end)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 0);
	question(&m);
	srv_rr(&m, 0, 100, 1688, "kms01.corp.example", 3600);
	size_t rdlen_at = 12 + 30 + 2 + 8;
	m.b[rdlen_at] = 0;
	m.b[rdlen_at + 1] = 200;
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_str_eq(err, "rdlength 200 of answer record 1 runs past the message end (80 bytes)");
}
END_TEST

START_TEST(rdlength_disagrees_with_target)
{
	/* rdlength shorter than the target name: the name would run into the
	 * next record */
	struct msg m;
	header(&m, 0, 1, 2, 0, 0);
	question(&m);
	srv_rr(&m, 0, 100, 1688, "kms01.corp.example", 3600);
	srv_rr(&m, 0, 100, 1688, "kms02.corp.example", 3600);
	size_t rdlen_at = 12 + 30 + 2 + 8;
	m.b[rdlen_at + 1] = (unsigned char)(m.b[rdlen_at + 1] - 4);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_msg(err[0], "no cause");
}
END_TEST

START_TEST(bad_a_rdlength)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 1);
	question(&m);
	size_t t = srv_rr(&m, 0, 100, 1688, "kms01.corp.example", 3600);
	a_rr(&m, (unsigned)t, AAAA11, 5); /* an AAAA of 5 bytes */
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_str_eq(err, "AAAA record for kms01.corp.example has rdlength 5, expected 16");
}
END_TEST

START_TEST(rcodes_named)
{
	struct msg m;
	struct srv_answer a;
	char err[KMS_ERRLEN];
	static const struct { unsigned rcode; enum dns_status st; const char *text; } cases[] = {
		{3, DNS_NXDOMAIN, "NXDOMAIN (name does not exist)"},
		{2, DNS_SERVFAIL, "SERVFAIL (server failure)"},
		{5, DNS_REFUSED, "REFUSED (the server refuses to answer this query)"},
		{4, DNS_ERROR, "NOTIMP (the server does not implement this query)"},
		{9, DNS_ERROR, "rcode 9"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		header(&m, cases[i].rcode, 1, 0, 0, 0);
		question(&m);
		ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), cases[i].st);
		ck_assert_str_eq(err, cases[i].text);
	}
}
END_TEST

START_TEST(noerror_without_srv_is_nodata)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 0);
	question(&m);
	a_rr(&m, 12, A11, 4);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_NODATA);
	ck_assert_ptr_null(a.records);
}
END_TEST

START_TEST(trailing_garbage)
{
	struct msg m;
	header(&m, 0, 1, 1, 0, 0);
	question(&m);
	srv_rr(&m, 0, 100, 1688, "kms01.corp.example", 3600);
	put16(&m, 0xdead);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_MALFORMED);
	ck_assert_str_eq(err, "2 bytes of trailing data after the last record");
}
END_TEST

START_TEST(server_specs)
{
	char text[80], err[KMS_ERRLEN];
	ck_assert(dns_server_check("127.0.0.1", text, sizeof text, err));
	ck_assert_str_eq(text, "127.0.0.1:53");
	ck_assert(dns_server_check("127.0.0.1:5353", text, sizeof text, err));
	ck_assert_str_eq(text, "127.0.0.1:5353");
	ck_assert(dns_server_check("::1", text, sizeof text, err));
	ck_assert_str_eq(text, "[::1]:53");
	ck_assert(dns_server_check("[::1]:5300", text, sizeof text, err));
	ck_assert_str_eq(text, "[::1]:5300");
	ck_assert(dns_server_check("[fd00::2]", text, sizeof text, err));
	ck_assert_str_eq(text, "[fd00::2]:53");
	ck_assert(!dns_server_check("[127.0.0.1]:53", text, sizeof text, err));
	ck_assert(!dns_server_check("1.2.3.4:0", text, sizeof text, err));
	ck_assert_str_eq(err, "invalid DNS server \"1.2.3.4:0\": port must be 1..65535");
	ck_assert(!dns_server_check("1.2.3.4:", text, sizeof text, err));
	ck_assert(!dns_server_check("[::1]x", text, sizeof text, err));
	ck_assert(!dns_server_check("300.1.1.1", text, sizeof text, err));
}
END_TEST

START_TEST(name_equality)
{
	ck_assert(dns_name_equal("KMS01.Corp.Example.", "kms01.corp.example"));
	ck_assert(dns_name_equal("a.b", "A.B."));
	ck_assert(!dns_name_equal("kms01.corp.example", "kms01.corp.example.com"));
	ck_assert(!dns_name_equal("kms1", "kms01"));
	const char *why = NULL;
	ck_assert(dns_name_valid("corp.example.", &why));
	ck_assert(!dns_name_valid("corp..example", &why));
	ck_assert_str_eq(why, "empty label");
	ck_assert(!dns_name_valid(".", &why));
	ck_assert(!dns_name_valid("", &why));
	ck_assert_str_eq(why, "empty name");
	ck_assert(!dns_name_valid("a\tb", &why));
	char big[300];
	memset(big, 'a', 64);
	big[64] = '\0';
	ck_assert(!dns_name_valid(big, &why));
	ck_assert_str_eq(why, "label longer than 63 bytes");
	for (int i = 0; i < 300; i++)
		big[i] = i % 10 == 9 ? '.' : 'a';
	big[299] = '\0';
	ck_assert(!dns_name_valid(big, &why));
	ck_assert_str_eq(why, "longer than 253 bytes");
	ck_assert_str_eq(dns_status_name(DNS_SERVFAIL), "SERVFAIL");
	ck_assert_str_eq(dns_status_name(DNS_TIMEOUT), "timed out");
}
END_TEST


/* A CNAME RR owned by the name at name_ptr, aliasing to alias. */
static void cname_rr(struct msg *m, unsigned name_ptr, const char *alias)
{
	put16(m, 0xc000 | name_ptr);
	put16(m, 5);
	put16(m, 1);
	put32(m, 3600);
	size_t rdlen_at = m->n;
	put16(m, 0);
	put_name(m, alias);
	size_t rdlen = m->n - rdlen_at - 2;
	m->b[rdlen_at] = (unsigned char)(rdlen >> 8);
	m->b[rdlen_at + 1] = (unsigned char)rdlen;
}

START_TEST(cname_of_target_noted)
{
	/* RFC 2782 forbids an alias as target; a server may still put the
	 * CNAME (and the alias's address) into the additional section. Only
	 * the record whose target owns the CNAME gets it, and the address of
	 * the alias's target is not taken for the alias's own. */
	static const char *const aliases[] = { "real.corp.example", "Real.Other.Example.", "x.y" };
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		struct msg m;
		header(&m, 0, 1, 2, 0, 2);
		question(&m);
		size_t t1 = srv_rr(&m, 0, 100, 1688, "kms01.corp.example", 3600);
		srv_rr(&m, 0, 50, 1688, "kms02.corp.example", 3600);
		size_t alias_at = m.n + 12;
		cname_rr(&m, (unsigned)t1, aliases[i]);
		a_rr(&m, (unsigned)alias_at, A11, 4);
		struct srv_answer a;
		char err[KMS_ERRLEN];
		ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_OK);
		ck_assert_uint_eq(a.n, 2);
		ck_assert_str_eq(a.records[0].target, "kms01.corp.example");
		char want[64];
		snprintf(want, sizeof want, "%s", aliases[i]);
		for (char *c = want; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		size_t wl = strlen(want);
		if (want[wl - 1] == '.')
			want[wl - 1] = '\0';
		ck_assert_str_eq(a.records[0].cname, want);
		ck_assert_uint_eq(a.records[0].n_addrs, 0);
		ck_assert_str_eq(a.records[1].cname, "");
		srv_answer_free(&a);
	}
}
END_TEST

/* One SRV record, its target with n distinct A records 10.0.1.1..n in the
 * additional section, then (repeat) the first `again` of them once more. */
static void many_addresses(struct msg *m, unsigned n, unsigned again)
{
	header(m, 0, 1, 1, 0, n + again);
	question(m);
	size_t t = srv_rr(m, 0, 100, 1688, "kms01.corp.example", 3600);
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 1; i <= (pass ? again : n); i++) {
			unsigned char a[4] = { 10, 0, (unsigned char)(1 + i / 256), (unsigned char)(i % 256) };
			a_rr(m, (unsigned)t, a, 4);
		}
}

/* The cap: 16 kept, the distinct rest counted, a repeat of either counted
 * never (the same addresses come from the additional section and again
 * from the A lookup). */
START_TEST(addresses_beyond_the_cap_are_counted)
{
	static const struct { unsigned n, again; size_t kept, dropped; } cases[] = {
		{ 16, 0, 16, 0 },   /* exactly the cap: nothing dropped */
		{ 16, 16, 16, 0 },  /* ... each twice */
		{ 17, 0, 16, 1 },   /* one past it */
		{ 20, 0, 16, 4 },
		{ 20, 20, 16, 4 },  /* every one twice: still 4 */
		{ 15, 3, 15, 0 },   /* under it, with repeats */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct msg m;
		many_addresses(&m, cases[c].n, cases[c].again);
		struct srv_answer a;
		char err[KMS_ERRLEN];
		ck_assert_int_eq(dns_srv_parse(m.b, m.n, &a, err), DNS_OK);
		const struct srv_record *r = &a.records[0];
		ck_assert_msg(r->n_addrs == cases[c].kept && r->n_addrs_dropped == cases[c].dropped &&
			      !r->addrs_dropped_more, "case %zu: %zu kept, %zu dropped", c, r->n_addrs,
			      r->n_addrs_dropped);
		ck_assert_str_eq(r->addrs[0], "10.0.1.1");
		if (cases[c].kept == 16)
			ck_assert_str_eq(r->addrs[15], "10.0.1.16");
		if (cases[c].dropped)
			ck_assert_str_eq(r->addrs_dropped[0], "10.0.1.17");
		srv_answer_free(&a);
	}
}
END_TEST

/* srv_record_add_addr itself, as the A and AAAA lookups use it after the
 * SRV answer's additional section: 20 distinct addresses, given in two
 * overlapping rounds, keep 16 and count 4; the remembered drops are
 * bounded, and past them the count is a floor, said so. */
START_TEST(add_addr_counts_drops_once)
{
	struct srv_record rec;
	memset(&rec, 0, sizeof rec);
	char addr[64];
	for (int i = 1; i <= 18; i++) { /* the additional section: cut at 18 */
		snprintf(addr, sizeof addr, "127.0.0.%d", i);
		srv_record_add_addr(&rec, addr);
	}
	ck_assert_uint_eq(rec.n_addrs, 16);
	ck_assert_uint_eq(rec.n_addrs_dropped, 2);
	for (int i = 1; i <= 20; i++) { /* then the A lookup: all 20 */
		snprintf(addr, sizeof addr, "127.0.0.%d", i);
		srv_record_add_addr(&rec, addr);
	}
	srv_record_add_addr(&rec, "::1"); /* another family counts the same */
	ck_assert_uint_eq(rec.n_addrs, 16);
	ck_assert_uint_eq(rec.n_addrs_dropped, 5);
	ck_assert(!rec.addrs_dropped_more);
	ck_assert_str_eq(rec.addrs[15], "127.0.0.16");
	ck_assert_str_eq(rec.addrs_dropped[0], "127.0.0.17");
	ck_assert_str_eq(rec.addrs_dropped[3], "127.0.0.20");
	ck_assert_str_eq(rec.addrs_dropped[4], "::1");

	/* DNS_MAX_DROPPED remembered: exact up to there */
	memset(&rec, 0, sizeof rec);
	for (int i = 1; i <= DNS_MAX_ADDRS + DNS_MAX_DROPPED; i++) {
		snprintf(addr, sizeof addr, "10.0.0.%d", i);
		srv_record_add_addr(&rec, addr);
		srv_record_add_addr(&rec, addr);
	}
	ck_assert_uint_eq(rec.n_addrs_dropped, DNS_MAX_DROPPED);
	ck_assert(!rec.addrs_dropped_more);
	/* one more: counted no further, but said */
	srv_record_add_addr(&rec, "10.0.1.1");
	ck_assert_uint_eq(rec.n_addrs_dropped, DNS_MAX_DROPPED);
	ck_assert(rec.addrs_dropped_more);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_srv");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, good_answer_with_additional);
	tcase_add_test(tc, target_by_compression_pointer);
	tcase_add_test(tc, compression_loop);
	tcase_add_test(tc, two_pointer_loop_in_owner);
	tcase_add_test(tc, pointer_beyond_end);
	tcase_add_test(tc, truncation_at_every_length);
	tcase_add_test(tc, short_header);
	tcase_add_test(tc, ancount_lies);
	tcase_add_test(tc, arcount_lies);
	tcase_add_test(tc, rdlength_past_end);
	tcase_add_test(tc, rdlength_disagrees_with_target);
	tcase_add_test(tc, bad_a_rdlength);
	tcase_add_test(tc, rcodes_named);
	tcase_add_test(tc, noerror_without_srv_is_nodata);
	tcase_add_test(tc, trailing_garbage);
	tcase_add_test(tc, server_specs);
	tcase_add_test(tc, name_equality);
	tcase_add_test(tc, cname_of_target_noted);
	tcase_add_test(tc, addresses_beyond_the_cap_are_counted);
	tcase_add_test(tc, add_addr_counts_drops_once);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
