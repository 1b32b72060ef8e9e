/* hresult.h - what the KMS error codes mean, for output lines. */
#ifndef KMS_HRESULT_H
#define KMS_HRESULT_H

#include <stdbool.h>
#include <stdint.h>

/* Parse "0xC004F038" / "0x0" / "C004F038" (hex, at most 8 digits). */
bool hresult_parse(const char *text, uint32_t *out);

/* Short meaning of a KMS activation code ("KMS count insufficient"), or NULL
 * when the code is not one we know. 0 is "success". */
const char *hresult_meaning(uint32_t code);

/* What code means for the clients of one edition that get it, for a line
 * "12 x Windows Server 2025 Standard: <phrase>": for 0xC004F042 (the host
 * key is older than the edition) "this host key cannot activate it;
 * install a newer host key (CSVLK)", for any other code its meaning; NULL
 * for a code hresult_meaning() does not know. */
const char *hresult_edition_phrase(uint32_t code);

#endif
