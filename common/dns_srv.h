/* dns_srv.h - the _vlmcs._tcp SRV lookup and target addresses, with glibc's
 * resolver library: res_nmkquery builds the query, our own UDP (TCP on
 * truncation) socket sends it within the -t deadline to the chosen server
 * (IPv4 or IPv6, any port), and ns_initparse/ns_parserr/dn_expand read the
 * answer, so malformed answers (truncation, compression loops, lying counts)
 * become a named error, never a crash or a hang. */
#ifndef KMS_DNS_SRV_H
#define KMS_DNS_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "state.h"

/* At most DNS_MAX_ADDRS addresses are kept per name; the distinct ones
 * refused beyond that are counted (n_addrs_dropped), exactly for the first
 * DNS_MAX_DROPPED of them, which are remembered so that the same address
 * met again (the additional section, then the A lookup) counts once. */
#define DNS_MAX_ADDRS 16
#define DNS_MAX_DROPPED 48

enum dns_status {
	DNS_OK,        /* answer with records */
	DNS_NXDOMAIN,  /* name does not exist */
	DNS_NODATA,    /* name exists, no record of that type */
	DNS_SERVFAIL,
	DNS_REFUSED,
	DNS_TIMEOUT,   /* no answer within the deadline */
	DNS_MALFORMED, /* an answer we cannot trust */
	DNS_ERROR      /* anything else (rcode named in err) */
};

struct srv_record {
	char target[256];      /* lower-case, no trailing dot */
	unsigned port, priority, weight;
	uint32_t ttl;
	char addrs[DNS_MAX_ADDRS][64]; /* numeric; from additional section or lookups */
	size_t n_addrs;
	/* distinct addresses refused because addrs was full: never a
	 * duplicate of a kept one or of an earlier refused one; the first
	 * DNS_MAX_DROPPED of them in addrs_dropped. addrs_dropped_more: yet
	 * others were refused, not counted (n_addrs_dropped is a floor). */
	char addrs_dropped[DNS_MAX_DROPPED][64];
	size_t n_addrs_dropped;
	bool addrs_dropped_more;
	char cname[256];       /* "" unless target is an alias (RFC 2782 forbids
				* that): the CNAME's target, the first hop only,
				* lower-case, no trailing dot */
};

struct srv_answer {
	struct srv_record *records; /* malloc'd, sorted by priority then weight desc */
	size_t n;
	double elapsed_s;           /* time the SRV query took */
};

/* Where to ask: NULL or "" for the system resolver's first nameserver
 * (/etc/resolv.conf), else "ADDR", "ADDR:PORT", "[V6ADDR]:PORT", "V6ADDR". */

/* Errors (err) name the server and the cause: "no answer from DNS server
 * 127.0.0.1:5353 within 10 s", "SERVFAIL (server failure)", "rdlength 200 of
 * answer record 1 runs past the end of the message (60 bytes)". An
 * unparsable server spec is DNS_ERROR with 'invalid DNS server ...'. */

/* Look up SRV records of name (e.g. "_vlmcs._tcp.corp.example") through
 * server before the absolute deadline (mono_now() seconds). Addresses from
 * the additional section are attached to the records, and a CNAME there
 * whose owner is a target sets that record's cname. A timeout names the
 * datagrams ignored on the way: "no answer from DNS server S within 2 s;
 * 2 unusable answers ignored (wrong ID or question)". */
enum dns_status dns_srv_lookup(const char *server, const char *name,
			       double deadline, struct srv_answer *out,
			       char err[KMS_ERRLEN]);

/* Resolve A and AAAA of name through the same server; appends to rec->addrs
 * (without duplicates, as srv_record_add_addr). A CNAME owned by name in either answer sets
 * rec->cname, even when the alias leads nowhere; then a failure names the
 * alias's target ("CNAME target ghost.corp.example has no A or AAAA record",
 * "... does not exist (NXDOMAIN)"). */
enum dns_status dns_addr_lookup(const char *server, const char *name,
				double deadline, struct srv_record *rec,
				char err[KMS_ERRLEN]);

/* Parse a DNS answer message for an SRV query (exposed for tests and fuzzing). */
enum dns_status dns_srv_parse(const unsigned char *msg, size_t len,
			      struct srv_answer *out, char err[KMS_ERRLEN]);

void srv_answer_free(struct srv_answer *a);

/* Add a numeric address to rec: kept when new and addrs has room, else
 * counted in n_addrs_dropped when new (see struct srv_record); a repeat
 * of a kept or a refused address changes nothing. */
void srv_record_add_addr(struct srv_record *rec, const char *addr);

/* "SERVFAIL", "NXDOMAIN", "timed out", ... */
const char *dns_status_name(enum dns_status st);

/* Validate a server spec (as above) before any query. On success writes
 * how messages name it ("127.0.0.1:5353", "[::1]:53") into text (may be
 * NULL); false with 'invalid DNS server "x": ...' in err otherwise. */
bool dns_server_check(const char *server, char *text, size_t len,
		      char err[KMS_ERRLEN]);

/* Is name a usable domain name: labels of 1..63 bytes, at most 253 bytes
 * without the trailing dot? false with the reason in why ("empty label",
 * "label longer than 63 bytes", "longer than 253 bytes"). */
bool dns_name_valid(const char *name, const char **why);

/* DNS name equality: case-insensitive, one trailing dot on either side
 * ignored ("KMS01.Corp.Example." equals "kms01.corp.example"). */
bool dns_name_equal(const char *a, const char *b);

#endif
