/* hgroups.h - clients grouped by the HRESULT of their last request, and
 * within a code by edition, in fixed memory: what check_kms_service and
 * check_kms_renewal both report as "8 clients with 0xC004F038 (KMS count
 * insufficient)", and check_kms_service as "12 x Windows Server 2025
 * Standard: this host key cannot activate it". A group per distinct code up
 * to HGROUPS_MAX, an edition per distinct name up to HGROUPS_EDITIONS within
 * a group; clients with further codes or editions are only counted, so a
 * 1M-client document with random codes and SKUs cannot grow it. */
#ifndef KMS_HGROUPS_H
#define KMS_HGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HGROUPS_MAX 64
#define HGROUPS_EDITIONS 16
#define HGROUPS_NAME_MAX 56     /* an edition's name, NUL included; longer is cut */

/* The clients of one code that share an edition. */
struct hedition {
	char name[HGROUPS_NAME_MAX]; /* "Windows Server 2025 Standard", "SKU <id>" */
	bool named;                  /* a name a reader knows, not an id: line 1 may show it */
	size_t n;
};

struct hgroup {
	uint32_t code;
	size_t n;                    /* every client of the code */
	struct hedition ed[HGROUPS_EDITIONS];
	size_t n_editions;
	size_t ed_other;             /* clients of the code whose edition found no free slot */
};

/* Zero-initialise ({0}) or hgroups_init() before use. */
struct hgroups {
	struct hgroup g[HGROUPS_MAX];
	size_t n_groups;
	size_t other;   /* clients whose code found no free group */
	size_t total;   /* every client added */
};

/* Empty h without writing its tables (a group is cleared when first
 * used): zeroing the whole 76 KB cost a small document's check 3 %. */
void hgroups_init(struct hgroups *h);

/* Count one client with code (no edition: check_kms_renewal). */
void hgroups_add(struct hgroups *h, uint32_t code);

/* Count one client with code and its edition (never NULL; cut to
 * HGROUPS_NAME_MAX - 1 bytes); named as struct hedition says. */
void hgroups_add_edition(struct hgroups *h, uint32_t code, const char *edition, bool named);

/* Order groups by clients, most first, equal counts by code; and the
 * editions of each group the same way, equal counts by name. */
void hgroups_sort(struct hgroups *h);

/* The edition that makes more than half of group g's clients (exactly half
 * is not most) when it is named; else NULL. Sorted (hgroups_sort) first. */
const struct hedition *hgroup_most(const struct hgroup *g);

/* "0xC004F038 (KMS count insufficient)", or "0x80070005" for a code
 * hresult_meaning() does not know. Returns buf. */
char *hresult_describe(char *buf, size_t len, uint32_t code);

#endif
