/* fuzz_dns_srv.c - the DNS answer parser (dns_srv_parse) on any message:
 * compression loops, lying counts, truncation. An accepted answer's records
 * must hold terminated names, at most DNS_MAX_ADDRS addresses and at most
 * DNS_MAX_DROPPED counted drops, none of them a kept address. */
#include <stdint.h>
#include "dns_srv.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *msg = malloc(size ? size : 1);
	if (!msg)
		abort();
	memcpy(msg, data, size);
	struct srv_answer a;
	char err[KMS_ERRLEN];
	memset(err, 'x', sizeof err);
	enum dns_status st = dns_srv_parse(msg, size, &a, err);
	fuzz_check_err(err, st == DNS_MALFORMED || st == DNS_ERROR);
	if (st == DNS_OK) {
		for (size_t i = 0; i < a.n; i++) {
			const struct srv_record *r = &a.records[i];
			if (!memchr(r->target, '\0', sizeof r->target))
				fuzz_fail("record %zu: target not terminated", i);
			if (r->n_addrs > DNS_MAX_ADDRS)
				fuzz_fail("record %zu: %zu addresses", i, r->n_addrs);
			for (size_t k = 0; k < r->n_addrs; k++)
				if (!memchr(r->addrs[k], '\0', sizeof r->addrs[k]))
					fuzz_fail("record %zu: address not terminated", i);
			if (r->n_addrs_dropped > DNS_MAX_DROPPED ||
			    (r->n_addrs_dropped && r->n_addrs < DNS_MAX_ADDRS))
				fuzz_fail("record %zu: %zu drops beside %zu addresses", i,
					  r->n_addrs_dropped, r->n_addrs);
			for (size_t k = 0; k < r->n_addrs_dropped; k++)
				for (size_t j = 0; j < r->n_addrs; j++)
					if (strcmp(r->addrs_dropped[k], r->addrs[j]) == 0)
						fuzz_fail("record %zu: %s kept and dropped", i, r->addrs[j]);
			if (i && (a.records[i - 1].priority > r->priority))
				fuzz_fail("records not sorted by priority");
		}
	} else if (a.records || a.n) {
		fuzz_fail("failed parse left %zu records", a.n);
	}
	(void)dns_status_name(st);
	srv_answer_free(&a);
	free(msg);
	return 0;
}
