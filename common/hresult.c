/* hresult.c - owns the KMS error codes (hresult.h): parsing the hex text the
 * event log and the status document carry, and the short meaning shown next
 * to a code in output lines. Meanings follow Microsoft's volume-activation
 * troubleshooting tables, shortened for a one-line status. */
#include "hresult.h"

#include <stddef.h>

/* Accepts "0x"/"0X" followed by 1..8 hex digits, or the digits alone.
 * Nothing else: no sign, no spaces, no trailing text, so a corrupted field
 * is noticed instead of being half-read. */
bool hresult_parse(const char *text, uint32_t *out)
{
	if (!text)
		return false;
	const char *p = text;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	uint32_t v = 0;
	size_t digits = 0;
	for (; *p; p++, digits++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (*p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return false;
		if (digits == 8)
			return false;
		v = (v << 4) | d;
	}
	if (digits == 0)
		return false;
	if (out)
		*out = v;
	return true;
}

static const struct {
	uint32_t code;
	const char *meaning;
} meanings[] = {
	{ 0x00000000u, "success" },
	{ 0xC004F038u, "KMS count insufficient" },
	{ 0xC004F039u, "KMS not enabled" },
	{ 0xC004F041u, "KMS host not activated" },
	{ 0xC004F042u, "product not served by this KMS host" },
	{ 0xC004F050u, "invalid product key" },
	{ 0xC004F06Bu, "KMS not supported in a virtual machine" },
	{ 0xC004F06Cu, "client time outside the validity window" },
	{ 0xC004F074u, "no KMS reachable" },
	{ 0xC004C003u, "product key blocked" },
	{ 0xC004C008u, "host key activation limit reached" },
	{ 0x8007007Bu, "KMS name invalid or not found in DNS" },
	{ 0x8007232Au, "DNS server failure" },
	{ 0x8007232Bu, "DNS name does not exist" },
	{ 0x800706BAu, "RPC server unavailable" },
};

/* Table lookup; NULL for a code not in the table, so callers can fall back
 * to showing the bare code. */
const char *hresult_meaning(uint32_t code)
{
	for (size_t i = 0; i < sizeof meanings / sizeof meanings[0]; i++)
		if (meanings[i].code == code)
			return meanings[i].meaning;
	return NULL;
}

/* 0xC004F042 names the edition's problem: a host key (CSVLK) activates
 * the editions released up to its own, so a Windows Server 2025 machine
 * fails against a 2019 host key until a newer key is installed. */
const char *hresult_edition_phrase(uint32_t code)
{
	if (code == 0xC004F042u)
		return "this host key cannot activate it; install a newer host key (CSVLK)";
	return hresult_meaning(code);
}
