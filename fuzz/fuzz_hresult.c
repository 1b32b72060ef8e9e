/* fuzz_hresult.c - hresult_parse on any text (it reads "last_result" and
 * event "hresult" strings from the status document), then its meaning. */
#include <stdint.h>
#include "fuzz.h"
#include "hresult.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	uint32_t code = 0;
	if (hresult_parse(s, &code)) {
		const char *m = hresult_meaning(code);
		if (m && !*m)
			fuzz_fail("empty meaning for 0x%08X", (unsigned)code);
	}
	free(s);
	return 0;
}
