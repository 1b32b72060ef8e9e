/* sku.h - what product a KMS client record is: a table of KMS client
 * activation ids (the SKU id a client sends in its request, logged as the
 * activation id of event 12290 and written as a client's "sku_id") with the
 * edition name, the application id and the minimum count (N-count policy)
 * the edition needs, and the one rule every plugin classifies a client by.
 *
 * Where the data comes from (public; facts only, no code copied):
 * - Microsoft Learn, "Key Management Services (KMS) client activation and
 *   product keys" (learn.microsoft.com/windows-server/get-started/
 *   kms-client-activation-keys) and "Volume activation of Office" (GVLKs per
 *   edition): which editions are KMS-activated at all.
 * - The activation id of each edition's VOLUME_KMSCLIENT licence, with its
 *   application and N-count policy, as listed in the public KMS emulator
 *   database KmsDataBase.xml (py-kms, github.com/SystemRage/py-kms:
 *   AppItem -> KmsItem NCountPolicy -> SkuItem Id) for Windows Vista ..
 *   Server 2019 and Office 2010 .. 2021; for Windows Server 2022/2025 and
 *   Office LTSC 2024, the activation-id -> GVLK tables of public activation
 *   scripts (KMS_VL_ALL, Microsoft-Activation-Scripts, OfficeRTool),
 *   cross-checked against each other and against Microsoft's GVLK list
 *   (ids of different sources agreeing and mapping to Microsoft's GVLK
 *   for the edition), and against slmgr/ospp output quoted publicly
 *   ("Office24ProPlus2024VL_KMS_Client_AE edition", "ServerDatacenter
 *   edition (ef6cfc9f-...)").
 * Windows 10 and 11 share their activation ids, so an edition reads
 * "Windows 10/11 Enterprise"; so do the Enterprise LTSC 2019/2021/2024
 * editions. Minimum counts: 25 for client OSes, 5 for server OSes and every
 * Office product (Microsoft's activation thresholds).
 *
 * The rule (client_product): the sku_id through the table; else a
 * required_count of 25 (only client OSes ask for 25: Windows); else the
 * record's application_id; else a required_count of 5 says "a server OS or
 * Office" and no more (ambiguous: it is said so); else "unknown product".
 * Never a silent Windows or Office. */
#ifndef KMS_SKU_H
#define KMS_SKU_H

#include <stddef.h>
#include "doc.h"

struct sku {
	const char *id;        /* activation id, lower-case 8-4-4-4-12 */
	const char *edition;   /* "Windows 10/11 Enterprise" */
	const char *app_id;    /* APPID_WINDOWS, APPID_OFFICE2013, APPID_OFFICE2010 */
	int min_count;         /* 25 (client OS) or 5 (server OS, Office) */
};

/* The table entry of an activation id in any form doc.h accepts (any case,
 * braces, blanks around); NULL for NULL, an unknown id or no GUID. */
const struct sku *sku_lookup(const char *sku_id);

/* The whole table (for tests): *n entries. */
const struct sku *sku_table(size_t *n);

/* How a client's product was settled. */
enum product_basis {
	PB_SKU,        /* sku_id found in the table */
	PB_COUNT,      /* required_count 25: a Windows client OS */
	PB_APPID,      /* the record's application_id */
	PB_AMBIGUOUS,  /* required_count 5 only: a server OS or Office */
	PB_UNKNOWN     /* nothing says */
};

struct client_product {
	enum product_basis basis;
	/* the application id the record belongs to (lower case), NULL for
	 * PB_AMBIGUOUS and PB_UNKNOWN: the (CMID, product) key and the
	 * per-product aggregation use it */
	const char *app_id;
	enum app_family family;  /* APP_OTHER when app_id is NULL or unknown */
	const struct sku *sku;   /* the table entry for PB_SKU, else NULL */
	/* for output, never NULL: the edition ("Windows 10/11 Enterprise"),
	 * "Windows client OS", "Windows", "Office 2013+", "Office 2010",
	 * "application <id>", "server OS or Office", "unknown product" */
	const char *name;
	char buf[56];            /* backs name for "application <id>" */
};

/* Classify c by the rule above into *out (out->name may point into out).
 * c's GUIDs as the loader holds them: canonical lower-case (doc.h). */
void client_product(const struct doc_client *c, struct client_product *out);

/* "Windows", "Office 2013+", "Office 2010" for the three application ids
 * (any GUID form), NULL for any other or NULL. */
const char *app_short_name(const char *application_id);

#endif
