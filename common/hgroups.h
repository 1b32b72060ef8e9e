/* hgroups.h - clients grouped by the HRESULT of their last request, in fixed
 * memory: what check_kms_service and check_kms_renewal both report as
 * "8 clients with 0xC004F038 (KMS count insufficient)". A group per distinct
 * code up to HGROUPS_MAX; clients with further codes are only counted, so a
 * 1M-client document with random codes cannot grow it. */
#ifndef KMS_HGROUPS_H
#define KMS_HGROUPS_H

#include <stddef.h>
#include <stdint.h>

#define HGROUPS_MAX 64

struct hgroup {
	uint32_t code;
	size_t n;
};

/* Zero-initialise ({0}) before use. */
struct hgroups {
	struct hgroup g[HGROUPS_MAX];
	size_t n_groups;
	size_t other;   /* clients whose code found no free group */
	size_t total;   /* every client added */
};

/* Count one client with code. */
void hgroups_add(struct hgroups *h, uint32_t code);

/* Order groups by clients, most first; equal counts by code. */
void hgroups_sort(struct hgroups *h);

/* "0xC004F038 (KMS count insufficient)", or "0x80070005" for a code
 * hresult_meaning() does not know. Returns buf. */
char *hresult_describe(char *buf, size_t len, uint32_t code);

#endif
