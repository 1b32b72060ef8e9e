/* sku.c - the KMS client SKU table and the client classification rule
 * (sku.h). The table is data from public sources named in sku.h, grouped
 * by product for reading; lookups go through an index sorted by id, built
 * on first use (one binary search per client record: a 1M-client document
 * of SKUs not in the table would otherwise cost 1M full scans). */
#include "sku.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W APPID_WINDOWS
#define O15 APPID_OFFICE2013
#define O14 APPID_OFFICE2010

static const struct sku table[] = {
	/* Windows 10/11 client editions (N-count 25) */
	{ "2de67392-b7a7-462a-b1ca-108dd189f588", "Windows 10/11 Pro", W, 25 },
	{ "a80b5abf-76ad-428b-b05d-a47d2dffeebf", "Windows 10/11 Pro N", W, 25 },
	{ "82bbc092-bc50-4e16-8e18-b74fc486aec3", "Windows 10/11 Pro for Workstations", W, 25 },
	{ "4b1571d3-bafb-4b40-8087-a961be2caf65", "Windows 10/11 Pro N for Workstations", W, 25 },
	{ "3f1afc82-f8ac-4f6c-8005-1d233e606eee", "Windows 10/11 Pro Education", W, 25 },
	{ "5300b18c-2e33-4dc2-8291-47ffcec746dd", "Windows 10/11 Pro Education N", W, 25 },
	{ "e0c42288-980c-4788-a014-c080d2e1926e", "Windows 10/11 Education", W, 25 },
	{ "3c102355-d027-42c6-ad23-2e7ef8a02585", "Windows 10/11 Education N", W, 25 },
	{ "73111121-5638-40f6-bc11-f1d7b0d64300", "Windows 10/11 Enterprise", W, 25 },
	{ "e272e3e2-732f-4c65-a8f0-484747d0d947", "Windows 10/11 Enterprise N", W, 25 },
	{ "e0b2d383-d112-413f-8a80-97f373a5820c", "Windows 10/11 Enterprise G", W, 25 },
	{ "e38454fb-41a4-4f59-a5dc-25080e354730", "Windows 10/11 Enterprise G N", W, 25 },
	{ "ec868e65-fadf-4759-b23e-93fe37f2cc29", "Windows 10/11 Enterprise multi-session", W, 25 },
	{ "32d2fab3-e4a8-42c2-923b-4bf4fd13e6ee", "Windows 10/11 Enterprise LTSC 2019/2021/2024", W, 25 },
	{ "7103a333-b8c8-49cc-93ce-d37c09687f92", "Windows 10/11 Enterprise N LTSC 2019/2021/2024", W, 25 },
	{ "59eb965c-9150-42b7-a0ec-22151b9897c5", "Windows 10/11 IoT Enterprise LTSC 2021/2024", W, 25 },
	{ "2d5a5a60-3040-48bf-beb0-fcd770c20ce0", "Windows 10 Enterprise LTSB 2016", W, 25 },
	{ "9f776d83-7156-45b2-8a5c-359b9c9f22a3", "Windows 10 Enterprise N LTSB 2016", W, 25 },
	{ "7b51a46c-0c04-4e8f-9af4-8496cca90d5e", "Windows 10 Enterprise LTSB 2015", W, 25 },
	{ "87b838b7-41b6-4590-8318-5797951d8529", "Windows 10 Enterprise N LTSB 2015", W, 25 },
	/* Windows 8.1, 8, 7 */
	{ "c06b6981-d7fd-4a35-b7b4-054742b7af67", "Windows 8.1 Pro", W, 25 },
	{ "7476d79f-8e48-49b4-ab63-4d0b813a16e4", "Windows 8.1 Pro N", W, 25 },
	{ "81671aaf-79d1-4eb1-b004-8cbbe173afea", "Windows 8.1 Enterprise", W, 25 },
	{ "113e705c-fa49-48a4-beea-7dd879b46b14", "Windows 8.1 Enterprise N", W, 25 },
	{ "a98bcd6d-5343-4603-8afe-5908e4611112", "Windows 8 Pro", W, 25 },
	{ "ebf245c1-29a8-4daf-9cb1-38dfc608a8c8", "Windows 8 Pro N", W, 25 },
	{ "458e1bec-837a-45f6-b9d5-925ed5d299de", "Windows 8 Enterprise", W, 25 },
	{ "e14997e7-800a-4cf7-ad10-de4b45b578db", "Windows 8 Enterprise N", W, 25 },
	{ "b92e9980-b9d5-4821-9c94-140f632f6312", "Windows 7 Professional", W, 25 },
	{ "54a09a0d-d57b-4c10-8b69-a842d6590ad5", "Windows 7 Professional N", W, 25 },
	{ "ae2ee509-1b34-41c0-acb7-6d4650168915", "Windows 7 Enterprise", W, 25 },
	{ "1cb6d605-11b3-4e14-bb30-da91c8e3983a", "Windows 7 Enterprise N", W, 25 },
	/* Windows Server (N-count 5) */
	{ "7dc26449-db21-4e09-ba37-28f2958506a6", "Windows Server 2025 Standard", W, 5 },
	{ "c052f164-cdf6-409a-a0cb-853ba0f0f55a", "Windows Server 2025 Datacenter", W, 5 },
	{ "c2e946d1-cfa2-4523-8c87-30bc696ee584", "Windows Server 2025 Datacenter: Azure Edition", W, 5 },
	{ "9bd77860-9b31-4b7b-96ad-2564017315bf", "Windows Server 2022 Standard", W, 5 },
	{ "ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03", "Windows Server 2022 Datacenter", W, 5 },
	{ "19b5e0fb-4431-46bc-bac1-2f1873e4ae73", "Windows Server 2022 Datacenter: Azure Edition", W, 5 },
	{ "de32eafd-aaee-4662-9444-c1befb41bde2", "Windows Server 2019 Standard", W, 5 },
	{ "34e1ae55-27f8-4950-8877-7a03be5fb181", "Windows Server 2019 Datacenter", W, 5 },
	{ "034d3cbb-5d4b-4245-b3f8-f84571314078", "Windows Server 2019 Essentials", W, 5 },
	{ "8c1c5410-9f39-4805-8c9d-63a07706358f", "Windows Server 2016 Standard", W, 5 },
	{ "21c56779-b449-4d20-adfc-eece0e1ad74b", "Windows Server 2016 Datacenter", W, 5 },
	{ "2b5a1b0f-a5ab-4c54-ac2f-a6d94824a283", "Windows Server 2016 Essentials", W, 5 },
	{ "b3ca044e-a358-4d68-9883-aaa2941aca99", "Windows Server 2012 R2 Standard", W, 5 },
	{ "00091344-1ea4-4f37-b789-01750ba6988c", "Windows Server 2012 R2 Datacenter", W, 5 },
	{ "21db6ba4-9a7b-4a14-9e29-64a60c59301d", "Windows Server 2012 R2 Essentials", W, 5 },
	{ "f0f5ec41-0d55-4732-af02-440a44a3cf0f", "Windows Server 2012 Standard", W, 5 },
	{ "d3643d60-0c42-412d-a7d6-52e6635327f6", "Windows Server 2012 Datacenter", W, 5 },
	{ "68531fb9-5511-4989-97be-d11a0f55633f", "Windows Server 2008 R2 Standard", W, 5 },
	{ "620e2b3d-09e7-42fd-802a-17a13652fe7a", "Windows Server 2008 R2 Enterprise", W, 5 },
	{ "7482e61b-c589-4b7f-8ecc-46d455ac3b87", "Windows Server 2008 R2 Datacenter", W, 5 },
	/* Office LTSC 2024 (Office 2013+ application, N-count 5) */
	{ "8d368fc1-9470-4be2-8d66-90e836cbb051", "Office LTSC Professional Plus 2024", O15, 5 },
	{ "bbac904f-6a7e-418a-bb4b-24c85da06187", "Office LTSC Standard 2024", O15, 5 },
	{ "f510af75-8ab7-4426-a236-1bfb95c34ff8", "Project Professional 2024", O15, 5 },
	{ "9f144f27-2ac5-40b9-899d-898c2b8b4f81", "Project Standard 2024", O15, 5 },
	{ "fa187091-8246-47b1-964f-80a0b1e5d69a", "Visio LTSC Professional 2024", O15, 5 },
	{ "923fa470-aa71-4b8b-b35c-36b79bf9f44b", "Visio LTSC Standard 2024", O15, 5 },
	/* Office LTSC 2021 */
	{ "fbdb3e18-a8ef-4fb3-9183-dffd60bd0984", "Office LTSC Professional Plus 2021", O15, 5 },
	{ "080a45c5-9f9f-49eb-b4b0-c3c610a5ebd3", "Office LTSC Standard 2021", O15, 5 },
	{ "76881159-155c-43e0-9db7-2d70a9a3a4ca", "Project Professional 2021", O15, 5 },
	{ "6dd72704-f752-4b71-94c7-11cec6bfc355", "Project Standard 2021", O15, 5 },
	{ "fb61ac9a-1688-45d2-8f6b-0674dbffa33c", "Visio LTSC Professional 2021", O15, 5 },
	{ "72fce797-1884-48dd-a860-b2f6a5efd3ca", "Visio LTSC Standard 2021", O15, 5 },
	/* Office 2019 */
	{ "85dd8b5f-eaa4-4af3-a628-cce9e77c9a03", "Office Professional Plus 2019", O15, 5 },
	{ "6912a74b-a5fb-401a-bfdb-2e3ab46f4b02", "Office Standard 2019", O15, 5 },
	{ "2ca2bf3f-949e-446a-82c7-e25a15ec78c4", "Project Professional 2019", O15, 5 },
	{ "1777f0e3-7392-4198-97ea-8ae4de6f6381", "Project Standard 2019", O15, 5 },
	{ "5b5cf08f-b81a-431d-b080-3450d8620565", "Visio Professional 2019", O15, 5 },
	{ "e06d7df3-aad0-419d-8dfb-0ac37e2bdf39", "Visio Standard 2019", O15, 5 },
	/* Office 2016 (and its Click-to-Run Project/Visio licences) */
	{ "d450596f-894d-49e0-966a-fd39ed4c4c64", "Office Professional Plus 2016", O15, 5 },
	{ "dedfa23d-6ed1-45a6-85dc-63cae0546de6", "Office Standard 2016", O15, 5 },
	{ "4f414197-0fc2-4c01-b68a-86cbb9ac254c", "Project Professional 2016", O15, 5 },
	{ "da7ddabc-3fbe-4447-9e01-6ab7440b4cd4", "Project Standard 2016", O15, 5 },
	{ "829b8110-0e6f-4349-bca4-42803577788d", "Project Professional 2016 (Click-to-Run)", O15, 5 },
	{ "cbbaca45-556a-4416-ad03-bda598eaa7c8", "Project Standard 2016 (Click-to-Run)", O15, 5 },
	{ "6bf301c1-b94a-43e9-ba31-d494598c47fb", "Visio Professional 2016", O15, 5 },
	{ "aa2a7821-1827-4c2c-8f1d-4513a34dda97", "Visio Standard 2016", O15, 5 },
	{ "b234abe3-0857-4f9c-b05a-4dc314f85557", "Visio Professional 2016 (Click-to-Run)", O15, 5 },
	{ "361fe620-64f4-41b5-ba77-84f8e079b1f7", "Visio Standard 2016 (Click-to-Run)", O15, 5 },
	/* Office 2013 */
	{ "b322da9c-a2e2-4058-9e4e-f59a6970bd69", "Office Professional Plus 2013", O15, 5 },
	{ "b13afb38-cd79-4ae5-9f7f-eed058d750ca", "Office Standard 2013", O15, 5 },
	{ "4a5d124a-e620-44ba-b6ff-658961b33b9a", "Project Professional 2013", O15, 5 },
	{ "427a28d1-d17c-4abf-b717-32c780ba6f07", "Project Standard 2013", O15, 5 },
	{ "e13ac10e-75d0-4aff-a0cd-764982cf541c", "Visio Professional 2013", O15, 5 },
	{ "ac4efaf0-f81f-4f61-bdf7-ea32b02ab117", "Visio Standard 2013", O15, 5 },
	/* Office 2010 (its own application id) */
	{ "6f327760-8c5c-417c-9b61-836a98287e0c", "Office Professional Plus 2010", O14, 5 },
	{ "9da2a678-fb6b-4e67-ab84-60dd6a9c819a", "Office Standard 2010", O14, 5 },
	{ "df133ff7-bf14-4f95-afe3-7b48e7e331ef", "Project Professional 2010", O14, 5 },
	{ "5dc7bf61-5ec9-4996-9ccb-df806a2d0efe", "Project Standard 2010", O14, 5 },
	{ "92236105-bb67-494f-94c7-7f7a607929bd", "Visio Premium 2010", O14, 5 },
	{ "e558389c-83c3-4b29-adfe-5e4d7f46c358", "Visio Professional 2010", O14, 5 },
	{ "9ed833ff-4f92-4f36-b370-8683a4f13275", "Visio Standard 2010", O14, 5 },
};

#define N_SKUS (sizeof table / sizeof table[0])

const struct sku *sku_table(size_t *n)
{
	*n = N_SKUS;
	return table;
}

static int by_id(const void *a, const void *b)
{
	const struct sku *const *x = a, *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

/* The entry of a canonical (lower-case 8-4-4-4-12) id: a binary search of
 * the table sorted on first use. */
static const struct sku *lookup_canon(const char *id)
{
	static const struct sku *sorted[N_SKUS]; /* plugins are single-threaded */
	static bool ready;
	if (!ready) {
		for (size_t i = 0; i < N_SKUS; i++)
			sorted[i] = &table[i];
		qsort(sorted, N_SKUS, sizeof sorted[0], by_id);
		ready = true;
	}
	size_t lo = 0, hi = N_SKUS;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sorted[mid]->id, id);
		if (c == 0)
			return sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sku *sku_lookup(const char *sku_id)
{
	char id[37];
	if (!sku_id || !guid_canon(sku_id, id))
		return NULL;
	return lookup_canon(id);
}

/* app_family() of a canonical id: what client_product() settles is
 * either a table constant or a record's application_id, canonical both. */
static enum app_family family_canon(const char *id)
{
	if (strcmp(id, APPID_WINDOWS) == 0)
		return APP_WINDOWS;
	if (strcmp(id, APPID_OFFICE2013) == 0 || strcmp(id, APPID_OFFICE2010) == 0)
		return APP_OFFICE;
	return APP_OTHER;
}

const char *app_short_name(const char *application_id)
{
	char id[37];
	if (!application_id || !guid_canon(application_id, id))
		return NULL;
	if (strcmp(id, APPID_WINDOWS) == 0)
		return "Windows";
	if (strcmp(id, APPID_OFFICE2013) == 0)
		return "Office 2013+";
	if (strcmp(id, APPID_OFFICE2010) == 0)
		return "Office 2010";
	return NULL;
}

void client_product(const struct doc_client *c, struct client_product *out)
{
	memset(out, 0, sizeof *out);
	out->family = APP_OTHER;
	/* the loader holds GUIDs canonical (doc.h): no second normalising,
	 * which was most of this per-client call */
	const struct sku *s = c->sku_id ? lookup_canon(c->sku_id) : NULL;
	if (s) {
		out->basis = PB_SKU;
		out->sku = s;
		out->app_id = s->app_id;
		out->name = s->edition;
	} else if (c->required_count == 25) {
		/* only client OSes ask for a count of 25 */
		out->basis = PB_COUNT;
		out->app_id = APPID_WINDOWS;
		out->name = "Windows client OS";
	} else if (c->application_id) {
		out->basis = PB_APPID;
		out->app_id = c->application_id;
		out->name = app_short_name(c->application_id);
		if (!out->name) {
			snprintf(out->buf, sizeof out->buf, "application %s",
				 c->application_id);
			out->name = out->buf;
		}
	} else if (c->required_count == 5) {
		/* servers and Office both ask for 5: which one, nothing says */
		out->basis = PB_AMBIGUOUS;
		out->name = "server OS or Office";
		return;
	} else {
		out->basis = PB_UNKNOWN;
		out->name = "unknown product";
		return;
	}
	out->family = family_canon(out->app_id);
}
