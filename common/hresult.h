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

#endif
