/* dns_srv.c - SRV and address lookups through one chosen DNS server, and the
 * parser that turns an answer message into struct srv_answer.
 *
 * Why our own socket instead of res_nquery(): res_nquery has its own retry
 * and timeout policy (RES_TIMEOUT seconds per try, per server) that ignores
 * the plugin's -t deadline, cannot aim at an arbitrary port or an IPv6
 * server given on the command line, and folds every failure into h_errno.
 * Here the query is built with res_nmkquery, sent over UDP (once more half
 * way to the deadline, over TCP when the answer is truncated), and every
 * wait is a poll() against the absolute deadline.
 *
 * Answers are read with ns_initparse/ns_parserr/dn_expand. When those refuse
 * a message, diagnose() walks it by hand only to name the cause (truncation,
 * a count that lies, an rdlength past the end, a compression loop), since the
 * library says EMSGSIZE for all of them. */
#include "dns_srv.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output.h"
#include "timeout.h"

#define DNS_DEFAULT_PORT 53
#define DNS_UDP_MAX 4096
#define DNS_TCP_MAX 65535

/* A DNS server to ask: where, and how to name it in messages. */
struct dns_server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char text[80]; /* "127.0.0.1:5353", "[::1]:53" */
};

/* ------------------------------------------------------------------ names */

const char *dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_OK: return "OK";
	case DNS_NXDOMAIN: return "NXDOMAIN";
	case DNS_NODATA: return "no data";
	case DNS_SERVFAIL: return "SERVFAIL";
	case DNS_REFUSED: return "REFUSED";
	case DNS_TIMEOUT: return "timed out";
	case DNS_MALFORMED: return "malformed answer";
	case DNS_ERROR: return "failed";
	}
	return "failed";
}

/* Copy src into dst of size n, truncated, always terminated. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n - 1);
	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* Lower-case and drop one trailing dot (but keep the root "."). */
static void name_normalize(char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
}

bool dns_name_valid(const char *name, const char **why)
{
	size_t n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		n--;
	if (n == 0 || (n == 1 && name[0] == '.')) {
		*why = "empty name";
		return false;
	}
	if (n > 253) {
		*why = "longer than 253 bytes";
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || name[i] == '.') {
			if (label == 0) {
				*why = "empty label";
				return false;
			}
			if (label > 63) {
				*why = "label longer than 63 bytes";
				return false;
			}
			label = 0;
		} else if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f) {
			*why = "space or control character";
			return false;
		} else {
			label++;
		}
	}
	return true;
}

/* Case-insensitive name equality, a trailing dot on either side ignored. */
bool dns_name_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 1 && a[la - 1] == '.')
		la--;
	if (lb > 1 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* ---------------------------------------------------------------- servers */

static void server_format(struct dns_server *s)
{
	char a[INET6_ADDRSTRLEN];
	if (s->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&s->sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		snprintf(s->text, sizeof s->text, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&s->sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		snprintf(s->text, sizeof s->text, "%s:%u", a, ntohs(s4->sin_port));
	}
}

static bool set_addr(struct dns_server *s, const char *addr, unsigned port)
{
	memset(s, 0, sizeof *s);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&s->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&s->sa;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s->salen = sizeof *s4;
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s->salen = sizeof *s6;
	} else {
		return false;
	}
	server_format(s);
	return true;
}

/* The first nameserver of /etc/resolv.conf, as glibc reads it. */
static bool server_from_resolv(struct dns_server *s, char err[KMS_ERRLEN])
{
	struct __res_state rs;
	memset(&rs, 0, sizeof rs);
	memset(s, 0, sizeof *s);
	if (res_ninit(&rs) != 0) {
		snprintf(err, KMS_ERRLEN, "cannot read the system resolver configuration (/etc/resolv.conf)");
		return false;
	}
	bool ok = false;
	if (rs.nscount > 0 && rs.nsaddr_list[0].sin_family == AF_INET) {
		memcpy(&s->sa, &rs.nsaddr_list[0], sizeof rs.nsaddr_list[0]);
		s->salen = sizeof rs.nsaddr_list[0];
		ok = true;
	} else if (rs.nscount > 0 && rs._u._ext.nsaddrs[0] != NULL) {
		memcpy(&s->sa, rs._u._ext.nsaddrs[0], sizeof(struct sockaddr_in6));
		s->salen = sizeof(struct sockaddr_in6);
		ok = true;
	}
	res_nclose(&rs);
	if (!ok) {
		snprintf(err, KMS_ERRLEN, "no nameserver in /etc/resolv.conf (give one with -s)");
		return false;
	}
	server_format(s);
	return true;
}

static bool parse_port(const char *text, unsigned *port)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 65535 || text[0] == '+' || text[0] == '-')
		return false;
	*port = (unsigned)v;
	return true;
}

/* Parse a server spec (see dns_srv.h) into *s. */
static bool server_parse(const char *spec, struct dns_server *s, char err[KMS_ERRLEN])
{
	if (spec == NULL || spec[0] == '\0')
		return server_from_resolv(s, err);
	/* The spec as quoted in errors, cut so that the message fits line 1. */
	char q[32];
	if (strlen(spec) <= 23)
		snprintf(q, sizeof q, "%s", spec);
	else
		snprintf(q, sizeof q, "%.20s...", spec);
	char addr[INET6_ADDRSTRLEN + 8];
	unsigned port = DNS_DEFAULT_PORT;
	const char *colon = strchr(spec, ':');
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || (size_t)(close - spec - 1) >= sizeof addr) {
			snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": missing ']' after the IPv6 address", q);
			return false;
		}
		memcpy(addr, spec + 1, (size_t)(close - spec - 1));
		addr[close - spec - 1] = '\0';
		if (close[1] == ':') {
			if (!parse_port(close + 2, &port)) {
				snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": port must be 1..65535", q);
				return false;
			}
		} else if (close[1] != '\0') {
			snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": unexpected text after ']'", q);
			return false;
		}
		if (strchr(addr, ':') == NULL) {
			snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": brackets are for IPv6 addresses", q);
			return false;
		}
	} else if (colon && strchr(colon + 1, ':') == NULL) {
		/* exactly one colon: ADDR:PORT */
		if ((size_t)(colon - spec) >= sizeof addr) {
			snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": not a numeric IPv4 or IPv6 address", q);
			return false;
		}
		memcpy(addr, spec, (size_t)(colon - spec));
		addr[colon - spec] = '\0';
		if (!parse_port(colon + 1, &port)) {
			snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": port must be 1..65535", q);
			return false;
		}
	} else {
		if (strlen(spec) >= sizeof addr) {
			snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": not a numeric IPv4 or IPv6 address", q);
			return false;
		}
		strcpy(addr, spec);
	}
	if (!set_addr(s, addr, port)) {
		snprintf(err, KMS_ERRLEN, "invalid DNS server \"%s\": not a numeric IPv4 or IPv6 address", q);
		return false;
	}
	return true;
}

bool dns_server_check(const char *server, char *text, size_t len, char err[KMS_ERRLEN])
{
	struct dns_server s;
	if (!server_parse(server, &s, err))
		return false;
	if (text && len)
		snprintf(text, len, "%s", s.text);
	return true;
}

/* ----------------------------------------------------------- diagnosis */

static const char *section_name(int sect)
{
	switch (sect) {
	case 0: return "question";
	case 1: return "answer";
	case 2: return "authority";
	default: return "additional";
	}
}

/* Walk the (possibly compressed) name at off. *next is the offset after the
 * name in place. Follows pointers only to check them. */
static bool diag_name(const unsigned char *msg, size_t len, size_t off, size_t *next,
		      const char *where, char err[KMS_ERRLEN])
{
	size_t pos = off, total = 0;
	int jumps = 0;
	bool jumped = false;
	for (;;) {
		if (pos >= len) {
			snprintf(err, KMS_ERRLEN, "message truncated inside a name in %s", where);
			return false;
		}
		unsigned c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len) {
				snprintf(err, KMS_ERRLEN, "message truncated inside a compression pointer in %s", where);
				return false;
			}
			size_t target = ((c & 0x3fu) << 8) | msg[pos + 1];
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			if (target >= len) {
				snprintf(err, KMS_ERRLEN, "compression pointer to offset %zu beyond the end of the message (%zu bytes) in %s",
					 target, len, where);
				return false;
			}
			if (++jumps > 64 || target == pos) {
				snprintf(err, KMS_ERRLEN, "name compression loop at offset %zu in %s", pos, where);
				return false;
			}
			pos = target;
			continue;
		}
		if ((c & 0xc0) != 0) {
			snprintf(err, KMS_ERRLEN, "unsupported label type 0x%02x in %s", c, where);
			return false;
		}
		if (c == 0) {
			if (!jumped)
				*next = pos + 1;
			return true;
		}
		total += c + 1;
		if (total > 255) {
			snprintf(err, KMS_ERRLEN, "name longer than 255 bytes in %s", where);
			return false;
		}
		pos += c + 1;
	}
}

/* Name the first structural fault of msg; false when none is found. */
static bool diagnose(const unsigned char *msg, size_t len, char err[KMS_ERRLEN])
{
	if (len < NS_HFIXEDSZ) {
		snprintf(err, KMS_ERRLEN, "answer truncated: %zu bytes, shorter than a DNS header (12)", len);
		return true;
	}
	unsigned counts[4];
	for (int i = 0; i < 4; i++)
		counts[i] = ns_get16(msg + 4 + 2 * i);
	size_t pos = NS_HFIXEDSZ;
	char where[64];
	for (int sect = 0; sect < 4; sect++) {
		for (unsigned i = 0; i < counts[sect]; i++) {
			if (pos == len) {
				snprintf(err, KMS_ERRLEN, "header claims %u %s records but the message holds only %u",
					 counts[sect], section_name(sect), i);
				return true;
			}
			snprintf(where, sizeof where, "%s record %u", section_name(sect), i + 1);
			if (!diag_name(msg, len, pos, &pos, where, err))
				return true;
			size_t fixed = sect == 0 ? 4 : 10;
			if (pos + fixed > len) {
				snprintf(err, KMS_ERRLEN, "message truncated in %s", where);
				return true;
			}
			if (sect == 0) {
				pos += 4;
				continue;
			}
			unsigned type = ns_get16(msg + pos);
			unsigned rdlen = ns_get16(msg + pos + 8);
			pos += 10;
			if (pos + rdlen > len) {
				snprintf(err, KMS_ERRLEN, "rdlength %u of %s runs past the message end (%zu bytes)",
					 rdlen, where, len);
				return true;
			}
			if (type == ns_t_srv && rdlen > 6) {
				size_t after;
				if (!diag_name(msg, pos + rdlen, pos + 6, &after, where, err))
					return true;
			}
			pos += rdlen;
		}
	}
	if (pos < len) {
		snprintf(err, KMS_ERRLEN, "%zu bytes of trailing data after the last record", len - pos);
		return true;
	}
	return false;
}

/* -------------------------------------------------------------- parsing */

void srv_record_add_addr(struct srv_record *rec, const char *addr)
{
	for (size_t i = 0; i < rec->n_addrs; i++)
		if (strcmp(rec->addrs[i], addr) == 0)
			return;
	if (rec->n_addrs < DNS_MAX_ADDRS) {
		snprintf(rec->addrs[rec->n_addrs++], sizeof rec->addrs[0], "%s", addr);
		return;
	}
	/* full: a drop, unless this one was dropped before (each name's
	 * addresses come from the additional section and again from the A
	 * and AAAA lookups) */
	for (size_t i = 0; i < rec->n_addrs_dropped; i++)
		if (strcmp(rec->addrs_dropped[i], addr) == 0)
			return;
	if (rec->n_addrs_dropped < DNS_MAX_DROPPED)
		snprintf(rec->addrs_dropped[rec->n_addrs_dropped++], sizeof rec->addrs_dropped[0],
			 "%s", addr);
	else
		rec->addrs_dropped_more = true; /* cannot tell new from repeat */
}

static int srv_cmp(const void *pa, const void *pb)
{
	const struct srv_record *a = pa, *b = pb;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	int c = strcmp(a->target, b->target);
	if (c)
		return c;
	return (a->port > b->port) - (a->port < b->port);
}

/* Status from the header's rcode; DNS_OK for NOERROR. */
static enum dns_status rcode_status(const unsigned char *msg, char err[KMS_ERRLEN])
{
	unsigned rcode = msg[3] & 0x0fu;
	switch (rcode) {
	case ns_r_noerror: return DNS_OK;
	case ns_r_nxdomain:
		snprintf(err, KMS_ERRLEN, "NXDOMAIN (name does not exist)");
		return DNS_NXDOMAIN;
	case ns_r_servfail:
		snprintf(err, KMS_ERRLEN, "SERVFAIL (server failure)");
		return DNS_SERVFAIL;
	case ns_r_refused:
		snprintf(err, KMS_ERRLEN, "REFUSED (the server refuses to answer this query)");
		return DNS_REFUSED;
	case ns_r_formerr:
		snprintf(err, KMS_ERRLEN, "FORMERR (the server could not read the query)");
		return DNS_ERROR;
	case ns_r_notimpl:
		snprintf(err, KMS_ERRLEN, "NOTIMP (the server does not implement this query)");
		return DNS_ERROR;
	default:
		snprintf(err, KMS_ERRLEN, "rcode %u", rcode);
		return DNS_ERROR;
	}
}

/* Read an address record's rdata into text; false when its size is wrong. */
static bool rr_addr(const ns_rr *rr, char *out, size_t len, char err[KMS_ERRLEN])
{
	int type = ns_rr_type(*rr);
	size_t want = type == ns_t_a ? 4 : 16;
	if (ns_rr_rdlen(*rr) != want) {
		snprintf(err, KMS_ERRLEN, "%s record for %.200s has rdlength %u, expected %zu",
			 type == ns_t_a ? "A" : "AAAA", ns_rr_name(*rr), ns_rr_rdlen(*rr), want);
		return false;
	}
	inet_ntop(type == ns_t_a ? AF_INET : AF_INET6, ns_rr_rdata(*rr), out, (socklen_t)len);
	return true;
}

/* Set rec->cname when rr is a CNAME owned by name. */
static void note_cname(const ns_msg *h, const ns_rr *rr, const char *name, struct srv_record *rec)
{
	if (ns_rr_type(*rr) != ns_t_cname || ns_rr_class(*rr) != ns_c_in || rec->cname[0] ||
	    !dns_name_equal(ns_rr_name(*rr), name))
		return;
	char alias[NS_MAXDNAME];
	if (dn_expand(ns_msg_base(*h), ns_msg_end(*h), ns_rr_rdata(*rr), alias, sizeof alias) < 0)
		return; /* an unreadable alias: the address lookup still tells */
	copy_str(rec->cname, sizeof rec->cname, alias[0] ? alias : ".");
	name_normalize(rec->cname);
}

/* An NXDOMAIN answer to an address query may still carry the CNAME that
 * led to the missing name (RFC 6604): note it, best effort. */
static void cnames_of_error(const unsigned char *msg, size_t len, const char *name,
			    struct srv_record *rec)
{
	ns_msg h;
	if (ns_initparse(msg, (int)len, &h) < 0)
		return;
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		ns_rr rr;
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return;
		note_cname(&h, &rr, name, rec);
	}
}

/* Parse msg. With srv: collect SRV records of the answer section and attach
 * A/AAAA (and note CNAMEs) of the answer and additional sections to them.
 * With addr_rec: append A/AAAA of the answer section to it and note a CNAME
 * owned by addr_name. */
static enum dns_status parse_message(const unsigned char *msg, size_t len,
				     struct srv_answer *srv, struct srv_record *addr_rec,
				     const char *addr_name, char err[KMS_ERRLEN])
{
	if (len < NS_HFIXEDSZ) {
		diagnose(msg, len, err);
		return DNS_MALFORMED;
	}
	enum dns_status st = rcode_status(msg, err);
	if (st == DNS_NXDOMAIN && addr_rec)
		cnames_of_error(msg, len, addr_name, addr_rec);
	if (st != DNS_OK)
		return st;
	ns_msg h;
	if (ns_initparse(msg, (int)len, &h) < 0) {
		if (!diagnose(msg, len, err))
			snprintf(err, KMS_ERRLEN, "answer could not be parsed (%s)", strerror(errno));
		return DNS_MALFORMED;
	}
	size_t cap = 0, found = 0;
	for (int sect = ns_s_an; sect <= ns_s_ar; sect++) {
		if (sect == ns_s_ns)
			continue;
		int count = ns_msg_count(h, (ns_sect)sect);
		for (int i = 0; i < count; i++) {
			ns_rr rr;
			if (ns_parserr(&h, (ns_sect)sect, i, &rr) < 0) {
				if (!diagnose(msg, len, err))
					snprintf(err, KMS_ERRLEN, "%s record %d could not be parsed (%s)",
						 section_name(sect), i + 1, strerror(errno));
				return DNS_MALFORMED;
			}
			int type = ns_rr_type(rr);
			if (ns_rr_class(rr) != ns_c_in)
				continue;
			if (type == ns_t_srv && sect == ns_s_an && srv) {
				const unsigned char *rd = ns_rr_rdata(rr);
				unsigned rdlen = ns_rr_rdlen(rr);
				if (rdlen < 7) {
					snprintf(err, KMS_ERRLEN, "SRV record %d has rdlength %u, too short for priority, weight, port and target",
						 i + 1, rdlen);
					return DNS_MALFORMED;
				}
				char target[NS_MAXDNAME];
				int n = dn_expand(msg, msg + len, rd + 6, target, sizeof target);
				if (n < 0) {
					if (!diagnose(msg, len, err))
						snprintf(err, KMS_ERRLEN, "SRV record %d: target name cannot be expanded", i + 1);
					return DNS_MALFORMED;
				}
				if ((unsigned)n != rdlen - 6) {
					snprintf(err, KMS_ERRLEN, "SRV record %d: rdlength %u does not match its target name (%d bytes)",
						 i + 1, rdlen, n + 6);
					return DNS_MALFORMED;
				}
				if (found == cap) {
					cap = cap ? cap * 2 : 8;
					struct srv_record *nr = realloc(srv->records, cap * sizeof *nr);
					if (!nr) {
						snprintf(err, KMS_ERRLEN, "out of memory");
						return DNS_ERROR;
					}
					srv->records = nr;
				}
				struct srv_record *rec = &srv->records[found];
				memset(rec, 0, sizeof *rec);
				copy_str(rec->target, sizeof rec->target, target[0] ? target : ".");
				name_normalize(rec->target);
				rec->priority = ns_get16(rd);
				rec->weight = ns_get16(rd + 2);
				rec->port = ns_get16(rd + 4);
				rec->ttl = ns_rr_ttl(rr);
				srv->n = ++found;
			}
		}
	}
	/* Second pass: addresses (SRV records are all known now). */
	for (int sect = ns_s_an; sect <= ns_s_ar; sect++) {
		if (sect == ns_s_ns || (addr_rec && sect != ns_s_an))
			continue;
		int count = ns_msg_count(h, (ns_sect)sect);
		for (int i = 0; i < count; i++) {
			ns_rr rr;
			if (ns_parserr(&h, (ns_sect)sect, i, &rr) < 0)
				continue; /* cannot happen: the first pass parsed it */
			int type = ns_rr_type(rr);
			if (addr_rec)
				note_cname(&h, &rr, addr_name, addr_rec);
			if (srv)
				for (size_t k = 0; k < srv->n; k++)
					note_cname(&h, &rr, srv->records[k].target, &srv->records[k]);
			if (ns_rr_class(rr) != ns_c_in || (type != ns_t_a && type != ns_t_aaaa))
				continue;
			char text[INET6_ADDRSTRLEN];
			if (!rr_addr(&rr, text, sizeof text, err))
				return DNS_MALFORMED;
			if (addr_rec)
				srv_record_add_addr(addr_rec, text);
			if (srv)
				for (size_t k = 0; k < srv->n; k++)
					if (dns_name_equal(srv->records[k].target, ns_rr_name(rr)))
						srv_record_add_addr(&srv->records[k], text);
		}
	}
	if (srv) {
		if (srv->n == 0) {
			snprintf(err, KMS_ERRLEN, "no SRV record in the answer");
			return DNS_NODATA;
		}
		qsort(srv->records, srv->n, sizeof *srv->records, srv_cmp);
	}
	return DNS_OK;
}

enum dns_status dns_srv_parse(const unsigned char *msg, size_t len,
			      struct srv_answer *out, char err[KMS_ERRLEN])
{
	memset(out, 0, sizeof *out);
	err[0] = '\0';
	enum dns_status st = parse_message(msg, len, out, NULL, NULL, err);
	if (st != DNS_OK)
		srv_answer_free(out);
	return st;
}

void srv_answer_free(struct srv_answer *a)
{
	if (!a)
		return;
	free(a->records);
	a->records = NULL;
	a->n = 0;
}

/* ------------------------------------------------------------ transport */

/* Does answer a belong to query q: same ID, QR set, same question? */
static bool answer_matches(const unsigned char *q, size_t qlen,
			   const unsigned char *a, size_t alen)
{
	if (alen < NS_HFIXEDSZ || a[0] != q[0] || a[1] != q[1] || !(a[2] & 0x80))
		return false;
	/* A server may drop the question from an error answer. */
	if (ns_get16(a + 4) == 0)
		return (a[3] & 0x0f) != 0;
	if (ns_get16(a + 4) != 1)
		return false;
	char qn[NS_MAXDNAME], an[NS_MAXDNAME];
	int ql = dn_expand(q, q + qlen, q + NS_HFIXEDSZ, qn, sizeof qn);
	int al = dn_expand(a, a + alen, a + NS_HFIXEDSZ, an, sizeof an);
	if (ql < 0 || al < 0 || (size_t)(NS_HFIXEDSZ + al + 4) > alen)
		return false;
	return strcasecmp(qn, an) == 0 &&
	       memcmp(q + NS_HFIXEDSZ + ql, a + NS_HFIXEDSZ + al, 4) == 0;
}

static void fmt_wait(char *buf, size_t len, double s)
{
	if (s >= 1)
		snprintf(buf, len, "%.0f s", s);
	else
		snprintf(buf, len, "%.0f ms", s * 1000);
}

/* Wait for fd to get events before deadline. 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, double until)
{
	for (;;) {
		double left = until - mono_now();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int ms = (int)(left * 1000) + 1;
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			continue; /* re-check the clock */
		return 1;
	}
}

/* Read exactly n bytes over TCP before deadline. */
static bool tcp_read(int fd, unsigned char *buf, size_t n, double deadline)
{
	size_t got = 0;
	while (got < n) {
		if (wait_fd(fd, POLLIN, deadline) != 1)
			return false;
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* The query again over TCP (the UDP answer was truncated). */
static enum dns_status exchange_tcp(const struct dns_server *s, const unsigned char *q,
				    size_t qlen, double deadline, unsigned char **ans,
				    size_t *alen, char err[KMS_ERRLEN])
{
	int fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, KMS_ERRLEN, "cannot create a TCP socket: %s", strerror(errno));
		return DNS_ERROR;
	}
	enum dns_status st = DNS_ERROR;
	double start = mono_now();
	char w[32];
	unsigned char *buf = NULL;
	if (connect(fd, (const struct sockaddr *)&s->sa, s->salen) < 0 && errno != EINPROGRESS) {
		snprintf(err, KMS_ERRLEN, "answer truncated over UDP and TCP connect to DNS server %s failed: %s",
			 s->text, strerror(errno));
		goto out;
	}
	if (wait_fd(fd, POLLOUT, deadline) != 1) {
		fmt_wait(w, sizeof w, mono_now() - start);
		snprintf(err, KMS_ERRLEN, "answer truncated over UDP and TCP connect to DNS server %s timed out after %s",
			 s->text, w);
		st = DNS_TIMEOUT;
		goto out;
	}
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr) {
		snprintf(err, KMS_ERRLEN, "answer truncated over UDP and TCP connect to DNS server %s failed: %s",
			 s->text, strerror(soerr));
		goto out;
	}
	unsigned char pkt[2 + NS_PACKETSZ];
	pkt[0] = (unsigned char)(qlen >> 8);
	pkt[1] = (unsigned char)qlen;
	memcpy(pkt + 2, q, qlen);
	if (send(fd, pkt, qlen + 2, MSG_NOSIGNAL) != (ssize_t)(qlen + 2)) {
		snprintf(err, KMS_ERRLEN, "cannot send the query over TCP to DNS server %s: %s", s->text, strerror(errno));
		goto out;
	}
	for (;;) {
		unsigned char lenbuf[2];
		if (!tcp_read(fd, lenbuf, 2, deadline))
			break;
		size_t n = ns_get16(lenbuf);
		free(buf);
		buf = malloc(n ? n : 1);
		if (!buf || !tcp_read(fd, buf, n, deadline))
			break;
		if (!answer_matches(q, qlen, buf, n))
			continue; /* not ours: keep reading */
		*ans = buf;
		*alen = n;
		buf = NULL;
		st = DNS_OK;
		goto out;
	}
	if (mono_now() >= deadline) {
		fmt_wait(w, sizeof w, mono_now() - start);
		snprintf(err, KMS_ERRLEN, "no whole answer over TCP from DNS server %s within %s", s->text, w);
		st = DNS_TIMEOUT;
	} else {
		snprintf(err, KMS_ERRLEN, "DNS server %s closed the TCP connection before a whole answer", s->text);
		st = DNS_MALFORMED;
	}
out:
	free(buf);
	close(fd);
	return st;
}

/* Send query q to s and return the matching answer in *ans (malloc'd).
 * UDP first, sent again half way to the deadline; TCP when truncated. */
static enum dns_status exchange(const struct dns_server *s, const unsigned char *q,
				size_t qlen, double deadline, unsigned char **ans,
				size_t *alen, char err[KMS_ERRLEN])
{
	double start = mono_now();
	char w[32];
	int fd = socket(s->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, KMS_ERRLEN, "cannot create a UDP socket: %s", strerror(errno));
		return DNS_ERROR;
	}
	if (connect(fd, (const struct sockaddr *)&s->sa, s->salen) < 0) {
		snprintf(err, KMS_ERRLEN, "cannot reach DNS server %s: %s", s->text, strerror(errno));
		close(fd);
		return DNS_ERROR;
	}
	unsigned char buf[DNS_UDP_MAX];
	unsigned ignored = 0;
	int sends = 0;
	double resend_at = start + (deadline - start) / 2;
	enum dns_status st = DNS_TIMEOUT;
	for (;;) {
		if (sends == 0 || (sends == 1 && mono_now() >= resend_at)) {
			if (send(fd, q, qlen, 0) < 0 && errno != ECONNREFUSED) {
				snprintf(err, KMS_ERRLEN, "cannot send the query to DNS server %s: %s", s->text, strerror(errno));
				st = DNS_ERROR;
				break;
			}
			vlog(3, "sent %zu-byte query to %s", qlen, s->text);
			sends++;
		}
		int r = wait_fd(fd, POLLIN, sends == 1 ? (resend_at < deadline ? resend_at : deadline) : deadline);
		if (r == 0) {
			if (sends == 1 && mono_now() < deadline)
				continue; /* time to send again */
			fmt_wait(w, sizeof w, mono_now() - start);
			if (ignored)
				snprintf(err, KMS_ERRLEN, "no answer from DNS server %s within %s; %u unusable answer%s ignored (wrong ID or question)",
					 s->text, w, ignored, ignored == 1 ? "" : "s");
			else
				snprintf(err, KMS_ERRLEN, "no answer from DNS server %s within %s", s->text, w);
			st = DNS_TIMEOUT;
			break;
		}
		if (r < 0) {
			snprintf(err, KMS_ERRLEN, "waiting for DNS server %s: %s", s->text, strerror(errno));
			st = DNS_ERROR;
			break;
		}
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ECONNREFUSED) {
			snprintf(err, KMS_ERRLEN, "DNS server %s is not answering: port unreachable", s->text);
			st = DNS_ERROR;
			break;
		}
		if (n < 0) {
			snprintf(err, KMS_ERRLEN, "reading from DNS server %s: %s", s->text, strerror(errno));
			st = DNS_ERROR;
			break;
		}
		if (n >= NS_HFIXEDSZ && buf[0] == q[0] && buf[1] == q[1] && (buf[2] & 0x80) &&
		    (size_t)n < NS_HFIXEDSZ + 5 /* cut inside the question */) {
			/* Our ID, but too short to hold the question back. */
			snprintf(err, KMS_ERRLEN, "answer truncated: %zd bytes, the question section is incomplete", n);
			st = DNS_MALFORMED;
			break;
		}
		if (!answer_matches(q, qlen, buf, (size_t)n)) {
			vlog(2, "ignored a %zd-byte datagram from %s: wrong ID or question", n, s->text);
			ignored++;
			continue;
		}
		if (buf[2] & 0x02) { /* TC: ask again over TCP */
			vlog(2, "answer from %s truncated (TC), retrying over TCP", s->text);
			close(fd);
			return exchange_tcp(s, q, qlen, deadline, ans, alen, err);
		}
		*ans = malloc((size_t)n);
		if (!*ans) {
			snprintf(err, KMS_ERRLEN, "out of memory");
			st = DNS_ERROR;
			break;
		}
		memcpy(*ans, buf, (size_t)n);
		*alen = (size_t)n;
		st = DNS_OK;
		break;
	}
	close(fd);
	return st;
}

/* Build the query for name/type, exchange it, return the answer. */
static enum dns_status query(const struct dns_server *s, const char *name, int type,
			     double deadline, unsigned char **ans, size_t *alen,
			     char err[KMS_ERRLEN])
{
	/* res_nmkquery needs a state: its options set RD and it picks a
	 * random ID. Closed again at once so nothing outlives the query. */
	struct __res_state rs;
	memset(&rs, 0, sizeof rs);
	if (res_ninit(&rs) != 0)
		vlog(2, "res_ninit failed; building the query with default options");
	unsigned char q[NS_PACKETSZ];
	int qlen = res_nmkquery(&rs, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, q, sizeof q);
	res_nclose(&rs);
	if (qlen < 0) {
		snprintf(err, KMS_ERRLEN, "cannot build a DNS query for \"%.300s\" (not a valid domain name?)", name);
		return DNS_ERROR;
	}
	return exchange(s, q, (size_t)qlen, deadline, ans, alen, err);
}

enum dns_status dns_srv_lookup(const char *server, const char *name,
			       double deadline, struct srv_answer *out,
			       char err[KMS_ERRLEN])
{
	memset(out, 0, sizeof *out);
	err[0] = '\0';
	struct dns_server s;
	if (!server_parse(server, &s, err))
		return DNS_ERROR;
	double t0 = mono_now();
	unsigned char *ans = NULL;
	size_t alen = 0;
	enum dns_status st = query(&s, name, ns_t_srv, deadline, &ans, &alen, err);
	out->elapsed_s = mono_now() - t0;
	if (st != DNS_OK)
		return st;
	double elapsed = out->elapsed_s;
	st = dns_srv_parse(ans, alen, out, err);
	out->elapsed_s = elapsed;
	free(ans);
	vlog(2, "SRV %s via %s: %s, %zu record(s) in %.4f s", name, s.text,
	     dns_status_name(st), out->n, elapsed);
	return st;
}

enum dns_status dns_addr_lookup(const char *server, const char *name,
				double deadline, struct srv_record *rec,
				char err[KMS_ERRLEN])
{
	err[0] = '\0';
	struct dns_server s;
	if (!server_parse(server, &s, err))
		return DNS_ERROR;
	static const int types[2] = {ns_t_a, ns_t_aaaa};
	enum dns_status res[2];
	char errs[2][KMS_ERRLEN];
	for (int i = 0; i < 2; i++) {
		unsigned char *ans = NULL;
		size_t alen = 0;
		errs[i][0] = '\0';
		res[i] = query(&s, name, types[i], deadline, &ans, &alen, errs[i]);
		if (res[i] == DNS_OK) {
			res[i] = parse_message(ans, alen, NULL, rec, name, errs[i]);
			free(ans);
		}
		if (res[i] == DNS_TIMEOUT)
			break; /* no time left for the other type */
	}
	if (rec->n_addrs > 0)
		return DNS_OK;
	/* No address: report the most telling failure. */
	for (int i = 0; i < 2; i++)
		if (res[i] != DNS_OK && res[i] != DNS_NXDOMAIN && res[i] != DNS_NODATA) {
			copy_str(err, KMS_ERRLEN, errs[i]);
			return res[i];
		}
	/* Behind an alias the missing name is the alias's target. */
	char what[300];
	if (rec->cname[0])
		snprintf(what, sizeof what, "CNAME target %s", rec->cname);
	else
		snprintf(what, sizeof what, "%s", name);
	if (res[0] == DNS_NXDOMAIN) {
		snprintf(err, KMS_ERRLEN, "%s does not exist (NXDOMAIN)", what);
		return DNS_NXDOMAIN;
	}
	snprintf(err, KMS_ERRLEN, "%s has no A or AAAA record", what);
	return DNS_NODATA;
}
